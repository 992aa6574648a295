//! The learned part of triage: one linear model per decision (actionable, spam, urgent:
//! logistic; sentiment: softmax over negative/neutral/positive) over hashed word and character
//! n-grams plus the rules' evidence ([`features`]). Trained by `care train` ([`train`]) from
//! the corpus in the repository, reproducibly: the same examples give the same model bytes.
//!
//! The file format is ours and small: `SCMODEL1`, the hash width, then each head's name, its
//! classes, biases and weights quantised to 16 bits with one scale per head, all DEFLATE
//! compressed. The model's version is a hash of those bytes, so every classification names
//! the exact model that made it.

pub mod corpus;
pub(crate) mod features;
pub mod train;

pub use features::Features;
use std::fmt;

/// The decisions the model makes, in file order.
pub const HEADS: [(&str, usize); 4] = [("actionable", 1), ("spam", 1), ("urgent", 1), ("sentiment", 3)];

/// Why a model file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("not a socialcare model file (bad magic or compression)")]
    NotAModel,
    #[error("model file is cut short or malformed: {0}")]
    Malformed(&'static str),
}

/// One decision's weights: `classes` per feature (`weights[f * classes + c]`) and biases.
#[derive(Clone, PartialEq)]
pub(crate) struct Head {
    pub name: String,
    pub classes: usize,
    pub bias: Vec<f32>,
    pub weights: Vec<f32>,
}

impl Head {
    pub(crate) fn new(name: &str, classes: usize, dims: usize) -> Self {
        Self {
            name: name.to_string(),
            classes,
            bias: vec![0.0; classes],
            weights: vec![0.0; classes * dims],
        }
    }

    /// Raw scores (logits) of each class for `f`; `rules_on: false` leaves the rule features out.
    pub(crate) fn logits(&self, f: &Features, rules_on: bool, out: &mut [f32]) {
        let k = self.classes;
        out[..k].copy_from_slice(&self.bias);
        let v = f.text_value();
        for &i in &f.text {
            let base = i as usize * k;
            for (o, w) in out[..k].iter_mut().zip(&self.weights[base..base + k]) {
                *o += w * v;
            }
        }
        if rules_on {
            for &i in &f.rules {
                let base = i as usize * k;
                for (o, w) in out[..k].iter_mut().zip(&self.weights[base..base + k]) {
                    *o += w;
                }
            }
        }
    }
}

/// Probabilities the model gives a post.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub actionable: f32,
    pub spam: f32,
    pub urgent: f32,
    /// Negative, neutral, positive.
    pub sentiment: [f32; 3],
}

/// A trained model: hashed feature width and the heads of [`HEADS`].
#[derive(Clone)]
pub struct Model {
    pub(crate) bits: u32,
    pub(crate) heads: Vec<Head>,
    version: String,
    /// Every head's weights of one feature side by side (`ROW` floats a feature, in the
    /// order of [`HEADS`]): scoring a post touches one cache line per feature, not one per head.
    rows: Vec<f32>,
    bias: [f32; ROW],
}

/// Weights per feature over all heads: 1 + 1 + 1 + 3.
const ROW: usize = 6;

impl PartialEq for Model {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits && self.heads == other.heads
    }
}

fn interleave(bits: u32, heads: &[Head]) -> (Vec<f32>, [f32; ROW]) {
    let dims = 1usize << bits;
    let mut rows = vec![0.0f32; dims * ROW];
    let mut bias = [0.0f32; ROW];
    let mut col = 0;
    for (name, classes) in HEADS {
        if let Some(h) = heads.iter().find(|h| h.name == name && h.classes == classes) {
            bias[col..col + classes].copy_from_slice(&h.bias);
            for f in 0..dims {
                rows[f * ROW + col..f * ROW + col + classes]
                    .copy_from_slice(&h.weights[f * classes..(f + 1) * classes]);
            }
        }
        col += classes;
    }
    (rows, bias)
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("version", &self.version)
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

pub(crate) fn softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in x.iter_mut() {
        *v /= sum;
    }
}

const MAGIC: &[u8; 8] = b"SCMODEL1";

/// The model shipped with the classifier (trained by `care train`, see `model/README.md`).
const SHIPPED: &[u8] = include_bytes!("../../model/triage.scm");

impl Model {
    pub(crate) fn from_heads(bits: u32, heads: Vec<Head>) -> Self {
        let (rows, bias) = interleave(bits, &heads);
        let mut m = Self {
            bits,
            heads,
            version: String::new(),
            rows,
            bias,
        };
        // Quantise once so a trained model and the same model read back are equal.
        let bytes = m.to_bytes();
        if let Ok(read) = Self::from_bytes(&bytes) {
            m = read;
        }
        m
    }

    /// The model that ships with the classifier.
    pub fn shipped() -> Result<Self, ModelError> {
        Self::from_bytes(SHIPPED)
    }

    /// `model-<8 hex digits>`: a hash of the model's bytes.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn dims(&self) -> usize {
        1 << self.bits
    }

    /// The probabilities of each decision for a post's features.
    pub fn scores(&self, f: &Features) -> Scores {
        let mut acc = self.bias;
        let mut add = |i: u32, v: f32| {
            let at = i as usize * ROW;
            if let Some(row) = self.rows.get(at..at + ROW) {
                for (a, w) in acc.iter_mut().zip(row) {
                    *a += w * v;
                }
            }
        };
        let v = f.text_value();
        for &i in &f.text {
            add(i, v);
        }
        for &i in &f.rules {
            add(i, 1.0);
        }
        let mut sentiment = [acc[3], acc[4], acc[5]];
        softmax(&mut sentiment);
        Scores {
            actionable: sigmoid(acc[0]),
            spam: sigmoid(acc[1]),
            urgent: sigmoid(acc[2]),
            sentiment,
        }
    }

    /// The model file: deterministic for a given model.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut raw: Vec<u8> = Vec::new();
        raw.extend_from_slice(MAGIC);
        raw.push(u8::try_from(self.bits).unwrap_or(u8::MAX));
        raw.push(u8::try_from(self.heads.len()).unwrap_or(u8::MAX));
        for h in &self.heads {
            raw.push(u8::try_from(h.name.len()).unwrap_or(u8::MAX));
            raw.extend_from_slice(h.name.as_bytes());
            raw.push(u8::try_from(h.classes).unwrap_or(u8::MAX));
            for b in &h.bias {
                raw.extend_from_slice(&b.to_le_bytes());
            }
            let max = h.weights.iter().fold(0.0f32, |m, w| m.max(w.abs()));
            let scale = if max > 0.0 { max / 32767.0 } else { 1.0 };
            raw.extend_from_slice(&scale.to_le_bytes());
            for w in &h.weights {
                let q = (w / scale).round().clamp(-32767.0, 32767.0) as i16;
                raw.extend_from_slice(&q.to_le_bytes());
            }
        }
        miniz_oxide::deflate::compress_to_vec(&raw, 9)
    }

    /// Reads a model file written by [`Model::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let raw =
            miniz_oxide::inflate::decompress_to_vec_with_limit(bytes, 64 << 20).map_err(|_| ModelError::NotAModel)?;
        let mut r = Reader { raw: &raw, at: 0 };
        if r.take(8)? != MAGIC {
            return Err(ModelError::NotAModel);
        }
        let bits = u32::from(r.byte()?);
        if !(8..=24).contains(&bits) {
            return Err(ModelError::Malformed("feature width"));
        }
        let dims = 1usize << bits;
        let n = r.byte()?;
        let mut heads = Vec::new();
        for _ in 0..n {
            let len = usize::from(r.byte()?);
            let name = String::from_utf8(r.take(len)?.to_vec()).map_err(|_| ModelError::Malformed("head name"))?;
            let classes = usize::from(r.byte()?);
            if !(1..=3).contains(&classes) {
                return Err(ModelError::Malformed("classes"));
            }
            let mut bias = Vec::with_capacity(classes);
            for _ in 0..classes {
                bias.push(r.f32()?);
            }
            let scale = r.f32()?;
            let body = r.take(classes * dims * 2)?;
            let weights = body
                .chunks_exact(2)
                .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) * scale)
                .collect();
            heads.push(Head {
                name,
                classes,
                bias,
                weights,
            });
        }
        if r.at != raw.len() {
            return Err(ModelError::Malformed("trailing bytes"));
        }
        let version = format!("model-{:08x}", fnv64(bytes) >> 32);
        let (rows, bias) = interleave(bits, &heads);
        Ok(Self {
            bits,
            heads,
            version,
            rows,
            bias,
        })
    }
}

fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

struct Reader<'a> {
    raw: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        let end = self.at.checked_add(n).ok_or(ModelError::Malformed("length"))?;
        let s = self.raw.get(self.at..end).ok_or(ModelError::Malformed("cut short"))?;
        self.at = end;
        Ok(s)
    }
    fn byte(&mut self) -> Result<u8, ModelError> {
        Ok(self.take(1)?[0])
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        let b = self.take(4)?;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_reads_back_as_it_was_written() {
        let mut head = Head::new("actionable", 1, 1 << 8);
        head.weights[3] = 0.5;
        head.weights[7] = -1.25;
        head.bias[0] = 0.1;
        let m = Model::from_heads(8, vec![head]);
        let bytes = m.to_bytes();
        let back = Model::from_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, m);
        assert_eq!(back.to_bytes(), bytes);
        assert!(back.version().starts_with("model-"));
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        assert_eq!(Model::from_bytes(b"nope"), Err(ModelError::NotAModel));
        let cut = miniz_oxide::deflate::compress_to_vec(b"SCMODEL1\x12\x01\x03act", 6);
        assert!(matches!(Model::from_bytes(&cut), Err(ModelError::Malformed(_))));
    }

    #[test]
    fn the_shipped_model_loads() {
        let m = Model::shipped().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.heads.len(), HEADS.len());
    }
}
