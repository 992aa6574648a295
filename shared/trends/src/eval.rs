//! `care trends eval`: a generated stream through a detector, scored. Per burst: alerted or not
//! and how soon after it began; for decoys: whether they (wrongly) alerted; the alerts that
//! belong to no burst (false alerts per day); the state's size at the end.

use crate::sim::{Burst, BurstKind, SimPost, Stream, StreamSpec};
use crate::{Detector, TrendAlert, TrendsConfig};
use jiff::Timestamp;

/// One burst's result.
#[derive(Debug, Clone, PartialEq)]
pub struct BurstResult {
    pub kind: BurstKind,
    pub start: Timestamp,
    /// Posts the burst added.
    pub posts: u64,
    /// Seconds from its start to its first alert (None: never alerted).
    pub latency: Option<i64>,
    /// The key of that alert.
    pub alert: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub posts: u64,
    pub secs: i64,
    pub alerts: Vec<TrendAlert>,
    pub bursts: Vec<BurstResult>,
    /// Alerts that belong to no burst or decoy.
    pub false_alerts: usize,
    /// Seconds spent in the detector (observe and advance), as the caller's stopwatch measured.
    pub detector_secs: f64,
    /// Bytes of the detector's state at the end.
    pub state_bytes: usize,
}

impl Report {
    pub fn false_alerts_per_day(&self) -> f64 {
        self.false_alerts as f64 * 86_400.0 / self.secs.max(1) as f64
    }
    pub fn posts_per_sec(&self) -> f64 {
        self.posts as f64 / self.detector_secs.max(1e-9)
    }
}

/// Words that mark a burst's keys (stems or labels).
fn markers(kind: BurstKind) -> &'static [&'static str] {
    match kind {
        BurstKind::Defect => &["topic:printer", "firmwar", "firmware", "intent:problem"],
        BurstKind::Outage => &["topic:app", "login", "down", "intent:problem"],
        BurstKind::SlowRise => &["topic:monitor", "flicker", "intent:problem"],
        BurstKind::OneLanguage => &["topic:ink", "patron", "intent:complaint"],
        BurstKind::Meme => &["danc", "video"],
        BurstKind::RetweetStorm => &["scam", "spy", "bigaccount"],
    }
}

fn belongs(alert: &TrendAlert, index: usize, burst: &Burst, start: Timestamp, window: i64) -> bool {
    let begin = start.as_second() + burst.start;
    let end = begin + burst.duration() + window + 3600;
    let fired = alert.fired_at.as_second();
    if fired < begin || fired > end {
        return false;
    }
    let prefix = format!("b{index}-");
    alert.examples.iter().any(|e| e.starts_with(&prefix))
        || markers(burst.kind)
            .iter()
            .any(|m| alert.key.contains(m) || alert.label.contains(m) || alert.related.iter().any(|r| r.contains(m)))
        || alert.key.starts_with("intent:")
}

/// Runs `spec` through a detector made of `config`; `stopwatch` answers seconds since some
/// fixed point (the caller's clock: this crate reads none).
pub fn run(spec: &StreamSpec, config: TrendsConfig, stopwatch: &mut dyn FnMut() -> f64) -> Result<Report, String> {
    let window = config.window_secs();
    let mut detector =
        Detector::new(config).map_err(|p| p.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))?;
    let mut alerts = Vec::new();
    let mut posts = 0u64;
    let mut burst_posts = vec![0u64; spec.bursts.len()];
    let mut spent = 0.0;
    let mut stream = Stream::new(spec.clone());
    let mut chunk: Vec<SimPost> = Vec::with_capacity(65_536);
    loop {
        chunk.clear();
        chunk.extend(stream.by_ref().take(65_536));
        if chunk.is_empty() {
            break;
        }
        for p in &chunk {
            if let Some(b) = p.burst {
                burst_posts[b] += 1;
            }
        }
        posts += chunk.len() as u64;
        let t0 = stopwatch();
        for p in &chunk {
            for closed in detector.observe(&p.observation()) {
                alerts.extend(closed.alerts);
            }
        }
        spent += stopwatch() - t0;
    }
    let end = spec
        .start
        .checked_add(jiff::SignedDuration::from_secs(spec.secs + 2 * window))
        .unwrap_or(spec.start);
    for closed in detector.advance(end) {
        alerts.extend(closed.alerts);
    }
    let mut claimed = vec![false; alerts.len()];
    let bursts = spec
        .bursts
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let begin = spec.start.as_second() + b.start;
            let mut first: Option<&TrendAlert> = None;
            for (ai, a) in alerts.iter().enumerate() {
                if belongs(a, i, b, spec.start, window) {
                    claimed[ai] = true;
                    if first.is_none_or(|f| a.fired_at < f.fired_at) {
                        first = Some(a);
                    }
                }
            }
            BurstResult {
                kind: b.kind,
                start: Timestamp::from_second(begin).unwrap_or(spec.start),
                posts: burst_posts[i],
                latency: first.map(|a| a.fired_at.as_second() - begin),
                alert: first.map(|a| a.key.clone()),
            }
        })
        .collect();
    Ok(Report {
        posts,
        secs: spec.secs,
        false_alerts: claimed.iter().filter(|c| !**c).count(),
        alerts,
        bursts,
        detector_secs: spent,
        state_bytes: detector.state_bytes(),
    })
}

/// The configuration an evaluation runs with: the defaults, with the generator's products as
/// topics (and a one-minute bucket at the firehose's rate, where a ten-minute window holds
/// hundreds of thousands of posts).
pub fn config_for(posts_per_sec: f64) -> TrendsConfig {
    let mut c = TrendsConfig {
        topics: crate::sim::topics(),
        ..TrendsConfig::default()
    };
    if posts_per_sec >= 100.0 {
        c.bucket_secs = 60;
        c.window_buckets = 5;
        c.warmup_secs = 600;
        c.half_life_secs = 3600;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::HP_PER_SEC;

    fn start() -> Timestamp {
        Timestamp::from_second(1_767_225_600).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn zero() -> impl FnMut() -> f64 {
        || 0.0
    }

    /// Ten days at HP's volume: two quiet days of warm-up, then an outage and a defect; no
    /// alert belongs to nothing, both bursts alert within ten minutes.
    #[test]
    fn a_seeded_stream_alerts_its_bursts_soon_and_nothing_else() {
        let spec = StreamSpec {
            seed: 19,
            start: start(),
            secs: 10 * 86_400,
            posts_per_sec: HP_PER_SEC,
            daily_swing: 0.6,
            bursts: vec![
                Burst {
                    kind: BurstKind::Outage,
                    start: 3 * 86_400 + 14 * 3600,
                },
                Burst {
                    kind: BurstKind::Defect,
                    start: 6 * 86_400 + 10 * 3600,
                },
                Burst {
                    kind: BurstKind::RetweetStorm,
                    start: 8 * 86_400 + 16 * 3600,
                },
            ],
        };
        let report = run(&spec, config_for(HP_PER_SEC), &mut zero()).unwrap_or_else(|e| panic!("{e}"));
        for b in &report.bursts[..2] {
            assert!(b.posts >= 20, "{b:?}");
            assert!(b.latency.is_some_and(|l| l <= 600), "{b:?}\n{:#?}", report.alerts);
        }
        assert_eq!(report.bursts[2].latency, None, "{:#?}", report.alerts);
        assert_eq!(report.false_alerts, 0, "{:#?}", report.alerts);
    }

    #[test]
    fn the_alert_says_what_where_and_which_posts() {
        let spec = StreamSpec {
            seed: 3,
            start: start(),
            secs: 3 * 86_400,
            posts_per_sec: HP_PER_SEC,
            daily_swing: 0.6,
            bursts: vec![Burst {
                kind: BurstKind::OneLanguage,
                start: 2 * 86_400 + 12 * 3600,
            }],
        };
        let report = run(&spec, config_for(HP_PER_SEC), &mut zero()).unwrap_or_else(|e| panic!("{e}"));
        let a = report
            .alerts
            .iter()
            .find(|a| a.key.contains("ink") || a.label.contains("atron"))
            .unwrap_or_else(|| panic!("{:#?}", report.alerts));
        assert!(a.count as f64 >= 3.0 * a.expected);
        assert_eq!(a.languages.keys().collect::<Vec<_>>(), vec!["de"]);
        assert_eq!(a.regions.keys().collect::<Vec<_>>(), vec!["emea"]);
        assert_eq!(a.examples.len(), 3);
        assert!(a.sentiment_shift < 0.0, "{a:?}");
        assert!(!a.authors.is_empty());
    }
}

/// The scenarios `care trends eval` runs (and the README's figures come from).
pub mod scenarios {
    use crate::sim::{Burst, BurstKind, FIREHOSE_PER_SEC, HP_PER_SEC, StreamSpec};
    use jiff::Timestamp;

    /// Thursday 1 January 2026, 00:00 UTC.
    pub fn start() -> Timestamp {
        Timestamp::from_second(1_767_225_600).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    const DAY: i64 = 86_400;
    const HOUR: i64 = 3600;

    /// `days` of HP's steady volume, nothing injected: every alert is a false one.
    pub fn hp_steady(seed: u64, days: i64) -> StreamSpec {
        StreamSpec {
            seed,
            start: start(),
            secs: days * DAY,
            posts_per_sec: HP_PER_SEC,
            daily_swing: 0.6,
            bursts: vec![],
        }
    }

    /// Three weeks at HP's volume with every burst and decoy, days apart.
    pub fn hp_bursts(seed: u64) -> StreamSpec {
        let at = |day: i64, hour: i64| day * DAY + hour * HOUR;
        StreamSpec {
            bursts: vec![
                Burst {
                    kind: BurstKind::Outage,
                    start: at(3, 14),
                },
                Burst {
                    kind: BurstKind::Defect,
                    start: at(5, 10),
                },
                Burst {
                    kind: BurstKind::SlowRise,
                    start: at(7, 6),
                },
                Burst {
                    kind: BurstKind::OneLanguage,
                    start: at(11, 12),
                },
                Burst {
                    kind: BurstKind::Meme,
                    start: at(13, 13),
                },
                Burst {
                    kind: BurstKind::RetweetStorm,
                    start: at(15, 16),
                },
                Burst {
                    kind: BurstKind::Outage,
                    start: at(17, 2),
                },
                Burst {
                    kind: BurstKind::Defect,
                    start: at(19, 21),
                },
            ],
            ..hp_steady(seed, 21)
        }
    }

    /// The firehose's average rate until about `posts` steady posts, with an outage, a defect,
    /// a one-language burst and a retweet storm after a ten-minute warm-up.
    pub fn firehose(seed: u64, posts: u64) -> StreamSpec {
        let secs = (posts as f64 / FIREHOSE_PER_SEC).ceil() as i64;
        let at = |fraction: f64| (secs as f64 * fraction) as i64;
        StreamSpec {
            seed,
            start: start() + jiff::SignedDuration::from_hours(14),
            secs,
            posts_per_sec: FIREHOSE_PER_SEC,
            daily_swing: 0.0,
            bursts: vec![
                Burst {
                    kind: BurstKind::RetweetStorm,
                    start: at(0.4),
                },
                Burst {
                    kind: BurstKind::Defect,
                    start: at(0.5),
                },
                Burst {
                    kind: BurstKind::OneLanguage,
                    start: at(0.6),
                },
                Burst {
                    kind: BurstKind::Outage,
                    start: at(0.8),
                },
            ],
        }
    }
}
