//! A seeded generator of realistic post streams for `care trends eval` and the tests: a steady
//! mix (five languages, five channels, products, problems, questions, praise and chatter, with
//! a daily cycle and a weekly dip) into which bursts are injected (a defect, an outage, a slow
//! rise, a burst in one language) and decoys (a positive meme in chatter, a retweet storm of one
//! text). Same seed, same stream.

use jiff::Timestamp;
use socialcare_domain::{Channel, Intent};

/// SplitMix64: small, fast, seeded, good enough for a workload.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    /// A Poisson draw (Knuth below 30, a normal approximation above).
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda < 30.0 {
            let l = (-lambda).exp();
            let (mut k, mut p) = (0u64, 1.0);
            loop {
                p *= self.f64();
                if p <= l {
                    return k;
                }
                k += 1;
            }
        }
        let (u1, u2) = (self.f64().max(1e-12), self.f64());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        (lambda + z * lambda.sqrt()).round().max(0.0) as u64
    }
}

/// One generated post.
#[derive(Debug, Clone, PartialEq)]
pub struct SimPost {
    pub id: String,
    pub author: String,
    pub text: String,
    pub language: &'static str,
    pub channel: Channel,
    pub region: &'static str,
    pub sentiment: f32,
    pub intent: Intent,
    pub at: Timestamp,
    /// The burst or decoy it belongs to (index into the spec's bursts).
    pub burst: Option<usize>,
}

impl SimPost {
    pub fn observation(&self) -> crate::Observation<'_> {
        crate::Observation {
            post_id: &self.id,
            author_id: &self.author,
            text: &self.text,
            language: self.language,
            channel: self.channel,
            region: Some(self.region),
            sentiment: self.sentiment,
            intent: Some(self.intent),
            at: self.at,
        }
    }
}

/// What a burst is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BurstKind {
    /// A product defect: the product's rate at least triples for an hour, with a new phrase.
    Defect,
    /// An outage: the app's rate ×20 within ten minutes, for forty more.
    Outage,
    /// A slow rise: the product's rate climbs to three times over a day.
    SlowRise,
    /// A burst in one language only (German ink cartridges).
    OneLanguage,
    /// Decoy: a positive meme spiking in chatter.
    Meme,
    /// Decoy: one text reposted by hundreds of accounts.
    RetweetStorm,
}

impl BurstKind {
    pub fn is_decoy(self) -> bool {
        matches!(self, BurstKind::Meme | BurstKind::RetweetStorm)
    }
    pub fn name(self) -> &'static str {
        match self {
            BurstKind::Defect => "defect ×3 for an hour",
            BurstKind::Outage => "outage ×20 in 10 min",
            BurstKind::SlowRise => "slow rise ×3 over a day",
            BurstKind::OneLanguage => "one language (de) ×5",
            BurstKind::Meme => "decoy: positive meme in chatter",
            BurstKind::RetweetStorm => "decoy: retweet storm of one text",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    pub kind: BurstKind,
    /// Seconds after the stream's start.
    pub start: i64,
}

impl Burst {
    /// How long it lasts, seconds.
    pub fn duration(&self) -> i64 {
        match self.kind {
            BurstKind::Defect => 3 * 3600,
            BurstKind::Outage => 50 * 60,
            BurstKind::SlowRise => 30 * 3600,
            BurstKind::OneLanguage => 2 * 3600,
            BurstKind::Meme => 3600,
            BurstKind::RetweetStorm => 30 * 60,
        }
    }
}

/// A stream: its volume, length, seed and what is injected.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSpec {
    pub seed: u64,
    pub start: Timestamp,
    pub secs: i64,
    /// Average posts per second over a day (the daily cycle swings around it).
    pub posts_per_sec: f64,
    /// Peak-to-mean swing of the daily cycle (0.6: the afternoon peak is 1.6×, the night 0.4×).
    pub daily_swing: f64,
    pub bursts: Vec<Burst>,
}

/// HP's volume: 25,000 posts a month.
pub const HP_PER_SEC: f64 = 25_000.0 / (30.0 * 86_400.0);
/// The X firehose average the stack is sized for.
pub const FIREHOSE_PER_SEC: f64 = 5_700.0;

struct Lang {
    code: &'static str,
    share: f64,
    region: &'static str,
    products: [&'static str; 5],
    problems: &'static [&'static str],
    questions: &'static [&'static str],
    praise: &'static [&'static str],
    chatter: &'static [&'static str],
    fillers: &'static [&'static str],
}

/// Products in the order of `Lang::products`: laptop, printer, ink, monitor, app.
pub const PRODUCTS: [&str; 5] = ["laptop", "printer", "ink", "monitor", "app"];
const PRODUCT_SHARE: [f64; 5] = [0.3, 0.3, 0.15, 0.1, 0.15];

const EN: Lang = Lang {
    code: "en",
    share: 0.55,
    region: "amer",
    products: ["laptop", "printer", "ink cartridge", "monitor", "smart app"],
    problems: &[
        "my {p} stopped working {f}",
        "{p} keeps crashing {f} and support is slow",
        "the {p} is broken again {f}",
        "cannot get my {p} to connect {f}",
        "{p} error after restart {f}",
    ],
    questions: &[
        "how do I reset my {p} {f}",
        "is there a fix for the {p} {f}",
        "where can I buy a {p} {f}",
    ],
    praise: &[
        "love my new {p} {f}",
        "the {p} works great {f}",
        "great service on my {p} {f}",
    ],
    chatter: &[
        "just saw an ad for the {p} {f}",
        "thinking about a {p} {f}",
        "{f} {f} weekend plans",
    ],
    fillers: &[
        "today",
        "at work",
        "for school",
        "again",
        "this morning",
        "tonight",
        "really",
        "since monday",
        "for my kids",
        "at home",
        "in the office",
        "after lunch",
        "on the train",
        "right now",
        "lately",
        "every time",
        "twice",
        "so annoying",
        "seriously",
        "honestly",
        "any ideas",
        "help",
        "weird",
        "still",
        "yesterday",
        "last week",
        "my mom",
        "my boss",
        "the team",
        "the store",
    ],
};
const ES: Lang = Lang {
    code: "es",
    share: 0.15,
    region: "latam",
    products: ["portátil", "impresora", "cartucho de tinta", "monitor", "aplicación"],
    problems: &[
        "mi {p} dejó de funcionar {f}",
        "la {p} falla otra vez {f}",
        "no puedo conectar mi {p} {f}",
    ],
    questions: &["cómo reinicio mi {p} {f}", "dónde compro una {p} {f}"],
    praise: &["me encanta mi {p} {f}", "excelente servicio con mi {p} {f}"],
    chatter: &["vi un anuncio de la {p} {f}", "pensando en una {p} {f}"],
    fillers: &[
        "hoy",
        "en el trabajo",
        "otra vez",
        "esta mañana",
        "en casa",
        "ayer",
        "ahora",
        "siempre",
        "la semana pasada",
        "en la oficina",
    ],
};
const PT: Lang = Lang {
    code: "pt",
    share: 0.12,
    region: "latam",
    products: ["notebook", "impressora", "cartucho de tinta", "monitor", "aplicativo"],
    problems: &[
        "meu {p} parou de funcionar {f}",
        "a {p} falhou de novo {f}",
        "não consigo conectar o {p} {f}",
    ],
    questions: &["como reinicio o {p} {f}", "onde compro um {p} {f}"],
    praise: &["adoro meu {p} {f}", "ótimo atendimento com o {p} {f}"],
    chatter: &["vi um anúncio do {p} {f}", "pensando num {p} {f}"],
    fillers: &[
        "hoje",
        "no trabalho",
        "de novo",
        "esta manhã",
        "em casa",
        "ontem",
        "agora",
        "sempre",
        "semana passada",
        "no escritório",
    ],
};
const FR: Lang = Lang {
    code: "fr",
    share: 0.1,
    region: "emea",
    products: ["portable", "imprimante", "cartouche d'encre", "écran", "application"],
    problems: &[
        "mon {p} ne marche plus {f}",
        "l'{p} plante encore {f}",
        "impossible de connecter mon {p} {f}",
    ],
    questions: &["comment réinitialiser mon {p} {f}", "où acheter une {p} {f}"],
    praise: &["j'adore mon {p} {f}", "super service pour mon {p} {f}"],
    chatter: &["vu une pub pour l'{p} {f}", "je pense à une {p} {f}"],
    fillers: &[
        "aujourd'hui",
        "au travail",
        "encore",
        "ce matin",
        "à la maison",
        "hier",
        "maintenant",
        "toujours",
        "la semaine dernière",
        "au bureau",
    ],
};
const DE: Lang = Lang {
    code: "de",
    share: 0.08,
    region: "emea",
    products: ["Laptop", "Drucker", "Tintenpatrone", "Monitor", "App"],
    problems: &[
        "mein {p} funktioniert nicht mehr {f}",
        "der {p} stürzt wieder ab {f}",
        "kann meinen {p} nicht verbinden {f}",
    ],
    questions: &["wie setze ich meinen {p} zurück {f}", "wo kaufe ich einen {p} {f}"],
    praise: &["ich liebe meinen {p} {f}", "toller Service für meinen {p} {f}"],
    chatter: &["Werbung für den {p} gesehen {f}", "denke über einen {p} nach {f}"],
    fillers: &[
        "heute",
        "bei der Arbeit",
        "schon wieder",
        "heute morgen",
        "zu Hause",
        "gestern",
        "jetzt",
        "immer",
        "letzte Woche",
        "im Büro",
    ],
};
const LANGS: [&Lang; 5] = [&EN, &ES, &PT, &FR, &DE];
const CHANNELS: [(Channel, f64); 5] = [
    (Channel::X, 0.45),
    (Channel::Facebook, 0.2),
    (Channel::Instagram, 0.15),
    (Channel::Messenger, 0.1),
    (Channel::Generic, 0.1),
];

fn weighted<T: Copy>(rng: &mut Rng, xs: &[(T, f64)]) -> T {
    let total: f64 = xs.iter().map(|x| x.1).sum();
    let mut r = rng.f64() * total;
    for (x, w) in xs {
        if r < *w {
            return *x;
        }
        r -= w;
    }
    xs[xs.len() - 1].0
}

/// The daily (and weekly) cycle: the rate's multiplier at `t` (mean 1 over a weekday).
pub fn cycle(t: Timestamp, swing: f64) -> f64 {
    let secs = t.as_second();
    let day = (secs as f64 % 86_400.0) / 86_400.0;
    // Peak at 15:00 UTC, trough at 03:00.
    let daily = 1.0 + swing * (2.0 * std::f64::consts::PI * (day - 0.375)).sin();
    let weekday = (secs.div_euclid(86_400) + 3).rem_euclid(7);
    let weekly = if weekday >= 5 { 0.7 } else { 1.12 };
    daily * weekly
}

/// The stream, in time order, produced lazily (10 million posts need no memory).
pub struct Stream {
    spec: StreamSpec,
    rng: Rng,
    step: i64,
    next_t: i64,
    pending: std::collections::VecDeque<SimPost>,
    serial: u64,
}

/// Seconds generated at a time.
const STEP: i64 = 10;

impl Stream {
    pub fn new(spec: StreamSpec) -> Self {
        Self {
            rng: Rng::new(spec.seed),
            spec,
            step: STEP,
            next_t: 0,
            pending: std::collections::VecDeque::new(),
            serial: 0,
        }
    }

    fn post(&mut self, t: i64, lang: &'static Lang, product: usize, kind: Intent, burst: Option<usize>) -> SimPost {
        let rng = &mut self.rng;
        let templates = match kind {
            Intent::Problem | Intent::Complaint => lang.problems,
            Intent::Question => lang.questions,
            Intent::Praise => lang.praise,
            _ => lang.chatter,
        };
        let mut text = rng.pick(templates).replacen("{p}", lang.products[product], 1);
        while text.contains("{f}") {
            let f = *rng.pick(lang.fillers);
            text = text.replacen("{f}", f, 1);
        }
        let sentiment = match kind {
            Intent::Problem | Intent::Complaint => -0.4 - 0.4 * rng.f64() as f32,
            Intent::Question => -0.1 + 0.2 * rng.f64() as f32,
            Intent::Praise => 0.5 + 0.4 * rng.f64() as f32,
            _ => 0.1 * rng.f64() as f32,
        };
        self.serial += 1;
        let id = match burst {
            Some(b) => format!("b{b}-{}", self.serial),
            None => format!("p-{}", self.serial),
        };
        let author = format!("u-{}", self.rng.below(2_000_000));
        let channel = weighted(&mut self.rng, &CHANNELS);
        let offset = (self.rng.f64() * 1000.0 * STEP as f64) as i64;
        SimPost {
            id,
            author,
            text,
            language: lang.code,
            channel,
            region: lang.region,
            sentiment,
            intent: kind,
            at: self.at(t * 1000 + offset),
            burst,
        }
    }

    fn at(&self, ms: i64) -> Timestamp {
        self.spec
            .start
            .checked_add(jiff::SignedDuration::from_millis(ms))
            .unwrap_or(self.spec.start)
    }

    /// The steady rate of one product in one language (posts per second, before the cycle).
    fn base_rate(&self, lang: &Lang, product: usize) -> f64 {
        self.spec.posts_per_sec * lang.share * PRODUCT_SHARE[product]
    }

    fn fill(&mut self, t: i64) {
        let now = self.at(t * 1000);
        let c = cycle(now, self.spec.daily_swing);
        let lambda = self.spec.posts_per_sec * c * STEP as f64;
        let n = self.rng.poisson(lambda);
        let mut batch = Vec::with_capacity(n as usize + 8);
        let lang_weights: Vec<(usize, f64)> = LANGS.iter().enumerate().map(|(i, l)| (i, l.share)).collect();
        let product_weights: Vec<(usize, f64)> = PRODUCT_SHARE.iter().copied().enumerate().collect();
        let kinds = [
            (Intent::Problem, 0.3),
            (Intent::Question, 0.2),
            (Intent::Praise, 0.15),
            (Intent::Other, 0.35),
        ];
        for _ in 0..n {
            let lang = LANGS[weighted(&mut self.rng, &lang_weights)];
            let product = weighted(&mut self.rng, &product_weights);
            let kind = weighted(&mut self.rng, &kinds);
            batch.push(self.post(t, lang, product, kind, None));
        }
        for (bi, b) in self.spec.bursts.clone().iter().enumerate() {
            let since = t - b.start;
            if since < 0 || since >= b.duration() {
                continue;
            }
            let minutes = since as f64 / 60.0;
            // Extra posts per second of the burst now.
            let (extra, lang, product, kind): (f64, &'static Lang, usize, Intent) = match b.kind {
                BurstKind::Defect => {
                    let base = self.spec.posts_per_sec * PRODUCT_SHARE[1];
                    ((2.0 * base * c).max(40.0 / 3600.0), &EN, 1, Intent::Problem)
                }
                BurstKind::Outage => {
                    let base = self.spec.posts_per_sec * PRODUCT_SHARE[4];
                    let full = (19.0 * base * c).max(200.0 / 3600.0);
                    (full * (minutes / 10.0).min(1.0), &EN, 4, Intent::Problem)
                }
                BurstKind::SlowRise => {
                    let base = self.spec.posts_per_sec * PRODUCT_SHARE[3];
                    let full = (2.0 * base * c).max(12.0 / 3600.0);
                    (full * (minutes / 1440.0).min(1.0), &EN, 3, Intent::Problem)
                }
                BurstKind::OneLanguage => {
                    let base = self.base_rate(&DE, 2);
                    ((4.0 * base * c).max(20.0 / 3600.0), &DE, 2, Intent::Complaint)
                }
                BurstKind::Meme => (
                    (0.5 * self.spec.posts_per_sec).max(100.0 / 3600.0),
                    &EN,
                    1,
                    Intent::Other,
                ),
                BurstKind::RetweetStorm => (
                    (0.5 * self.spec.posts_per_sec).max(300.0 / 1800.0),
                    &EN,
                    1,
                    Intent::Other,
                ),
            };
            let k = self.rng.poisson(extra * STEP as f64);
            for _ in 0..k {
                let mut p = self.post(t, lang, product, kind, Some(bi));
                match b.kind {
                    BurstKind::Defect => p.text = format!("{} after the firmware update", p.text),
                    BurstKind::Outage => p.text = format!("{} login fails, is it down", p.text),
                    BurstKind::SlowRise => p.text = format!("{} flickering screen", p.text),
                    BurstKind::OneLanguage => p.text = format!("{} Patrone wird nicht erkannt", p.text),
                    BurstKind::Meme => {
                        p.text = format!("lol the dancing printer video is everything {}", self.rng.below(50));
                        p.sentiment = 0.8;
                    }
                    BurstKind::RetweetStorm => {
                        p.text = "RT @bigaccount: printers are a total scam, they spy on you".to_string();
                        p.sentiment = -0.6;
                    }
                }
                batch.push(p);
            }
        }
        batch.sort_by_key(|p| p.at);
        self.pending.extend(batch);
    }
}

impl Iterator for Stream {
    type Item = SimPost;

    fn next(&mut self) -> Option<SimPost> {
        while self.pending.is_empty() {
            if self.next_t >= self.spec.secs {
                return None;
            }
            let t = self.next_t;
            self.fill(t);
            self.next_t += self.step;
        }
        self.pending.pop_front()
    }
}

/// The topics the generator talks about, with the aliases of its five languages (the `[trends]`
/// topics an evaluation configures).
pub fn topics() -> Vec<crate::TopicRule> {
    (0..PRODUCTS.len())
        .map(|i| crate::TopicRule {
            name: PRODUCTS[i].to_string(),
            aliases: LANGS.iter().map(|l| l.products[i].to_lowercase()).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(seed: u64) -> StreamSpec {
        StreamSpec {
            seed,
            start: Timestamp::from_second(1_767_225_600).unwrap_or(Timestamp::UNIX_EPOCH),
            secs: 86_400,
            posts_per_sec: 0.05,
            daily_swing: 0.6,
            bursts: vec![Burst {
                kind: BurstKind::Outage,
                start: 3600,
            }],
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_stream_in_time_order() {
        let a: Vec<SimPost> = Stream::new(spec(7)).collect();
        let b: Vec<SimPost> = Stream::new(spec(7)).collect();
        assert_eq!(a, b);
        assert!(
            a.windows(2)
                .all(|w| w[0].at <= w[1].at || w[0].at.as_second() / 10 != w[1].at.as_second() / 10)
        );
        let c: Vec<SimPost> = Stream::new(spec(8)).collect();
        assert_ne!(a, c);
        // ~4,320 steady posts and an outage of ~170.
        let burst = a.iter().filter(|p| p.burst.is_some()).count();
        assert!((3_500..5_500).contains(&(a.len() - burst)), "{}", a.len());
        assert!((120..260).contains(&burst), "{burst}");
    }

    #[test]
    fn the_day_has_a_cycle() {
        let day = |h: i64| {
            cycle(
                Timestamp::from_second(1_767_225_600 + h * 3600).unwrap_or(Timestamp::UNIX_EPOCH),
                0.6,
            )
        };
        assert!(day(15) > 1.5 * day(3));
    }
}
