//! Training: logistic / softmax regression by AdaGrad, one pass order per epoch from a seeded
//! generator, on one thread, so the same examples always give the same model bytes.
//!
//! An example may carry only some labels (a sentiment corpus says nothing of spam): each head
//! learns from the examples that label it. The rules' features are left out of a share of the
//! training passes (`rule_dropout`): the team's own posts were written with the rules in mind,
//! and a model that only learned to copy the rules would fail exactly where they fail.

use super::{HEADS, Head, Model, features::Features, sigmoid, softmax};

/// One training example: its features and whichever labels it has.
#[derive(Debug, Clone, Default)]
pub struct Example {
    pub features: Features,
    pub actionable: Option<bool>,
    pub spam: Option<bool>,
    pub urgent: Option<bool>,
    /// 0 negative, 1 neutral, 2 positive.
    pub sentiment: Option<usize>,
    /// How much this example counts (corrections by people count more).
    pub weight: f32,
}

/// Training settings; the defaults are what `care train` uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    pub bits: u32,
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    /// Share of passes over an example that hide the rule features.
    pub rule_dropout: f32,
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            bits: 18,
            epochs: 12,
            learning_rate: 0.3,
            l2: 1e-6,
            rule_dropout: 0.2,
            seed: 0x5eed_ca5e,
        }
    }
}

/// xorshift64*: small, seeded, the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn label_of(e: &Example, head: &str) -> Option<usize> {
    match head {
        "actionable" => e.actionable.map(usize::from),
        "spam" => e.spam.map(usize::from),
        "urgent" => e.urgent.map(usize::from),
        "sentiment" => e.sentiment.filter(|s| *s < 3),
        _ => None,
    }
}

/// Per class weights so a rare class (spam, urgent) is not drowned by the common one:
/// the rarer side of a yes/no head counts up to four times.
fn class_weights(examples: &[Example], head: &str, classes: usize) -> Vec<f32> {
    let n = classes.max(2);
    let mut counts = vec![0usize; n];
    for e in examples {
        if let Some(l) = label_of(e, head) {
            counts[l.min(n - 1)] += 1;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(1).max(1) as f32;
    counts
        .iter()
        .map(|c| {
            if *c == 0 {
                1.0
            } else {
                (max / *c as f32).clamp(1.0, 4.0)
            }
        })
        .collect()
}

/// Trains every head of [`HEADS`] on `examples`.
pub fn train(examples: &[Example], cfg: &TrainConfig) -> Model {
    let dims = 1usize << cfg.bits;
    let mut rng = Rng(cfg.seed | 1);
    let mut heads = Vec::new();
    for (name, classes) in HEADS {
        let mut head = Head::new(name, classes, dims);
        let mut grad_sq = vec![1e-6f32; classes * dims];
        let mut bias_sq = vec![1e-6f32; classes];
        let weights = class_weights(examples, name, classes);
        let mut order: Vec<usize> = (0..examples.len())
            .filter(|i| label_of(&examples[*i], name).is_some())
            .collect();
        let mut logits = [0.0f32; 3];
        let mut g = [0.0f32; 3];
        for _ in 0..cfg.epochs {
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i + 1));
            }
            for &i in &order {
                let e = &examples[i];
                let Some(label) = label_of(e, name) else { continue };
                let rules_on = rng.unit() >= cfg.rule_dropout;
                head.logits(&e.features, rules_on, &mut logits);
                let w = e.weight.max(0.0) * weights[label.min(weights.len() - 1)];
                if classes == 1 {
                    g[0] = (sigmoid(logits[0]) - label as f32) * w;
                } else {
                    softmax(&mut logits[..classes]);
                    for c in 0..classes {
                        g[c] = (logits[c] - if c == label { 1.0 } else { 0.0 }) * w;
                    }
                }
                let v = e.features.text_value();
                let text = e.features.text.iter().map(|f| (*f, v));
                let rules = e.features.rules.iter().filter(|_| rules_on).map(|f| (*f, 1.0));
                for (f, x) in text.chain(rules) {
                    let base = f as usize * classes;
                    for (c, gc) in g.iter().enumerate().take(classes) {
                        let at = base + c;
                        let grad = gc * x + cfg.l2 * head.weights[at];
                        grad_sq[at] += grad * grad;
                        head.weights[at] -= cfg.learning_rate * grad / grad_sq[at].sqrt();
                    }
                }
                for c in 0..classes {
                    bias_sq[c] += g[c] * g[c];
                    head.bias[c] -= cfg.learning_rate * g[c] / bias_sq[c].sqrt();
                }
            }
        }
        heads.push(head);
    }
    Model::from_heads(cfg.bits, heads)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(text: &[u32], actionable: bool) -> Example {
        Example {
            features: Features {
                text: text.to_vec(),
                rules: Vec::new(),
            },
            actionable: Some(actionable),
            weight: 1.0,
            ..Example::default()
        }
    }

    #[test]
    fn it_learns_a_separable_rule_and_is_reproducible() {
        let examples: Vec<Example> = (0..200u32)
            .map(|i| {
                let yes = i % 3 == 0;
                ex(&[if yes { 1 } else { 2 }, 10 + i % 7], yes)
            })
            .collect();
        let cfg = TrainConfig {
            bits: 10,
            ..TrainConfig::default()
        };
        let m = train(&examples, &cfg);
        let yes = m.scores(&ex(&[1, 12], true).features).actionable;
        let no = m.scores(&ex(&[2, 12], false).features).actionable;
        assert!(yes > 0.8 && no < 0.2, "{yes} {no}");
        assert_eq!(train(&examples, &cfg).to_bytes(), m.to_bytes());
    }

    #[test]
    fn heads_without_labels_stay_undecided() {
        let m = train(
            &[ex(&[1], true)],
            &TrainConfig {
                bits: 8,
                ..TrainConfig::default()
            },
        );
        let s = m.scores(&ex(&[1], true).features);
        assert!((s.spam - 0.5).abs() < 1e-6);
        assert!((s.sentiment[0] - 1.0 / 3.0).abs() < 1e-6);
    }
}
