//! A small token bucket for the unsigned handshake routes (`GET /webhooks/x`, `GET /webhooks/meta`).
//! The platforms call them a few times an hour; anything faster is someone else probing, and the
//! HMAC work of a CRC answer is ours to spend. Per instance (a Lambda instance or `care serve`).

use std::sync::Mutex;
use std::time::Instant;

/// Handshakes answered at once before the rate applies.
pub const BURST: f64 = 20.0;
/// Handshakes answered per second after a burst.
pub const PER_SEC: f64 = 2.0;

#[derive(Debug)]
pub struct HandshakeLimit {
    state: Mutex<(f64, Option<Instant>)>,
}

impl Default for HandshakeLimit {
    fn default() -> Self {
        Self {
            state: Mutex::new((BURST, None)),
        }
    }
}

impl HandshakeLimit {
    /// Takes one token at `now`; false when the bucket is empty (answer 429).
    pub fn take(&self, now: Instant) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        let (tokens, last) = *state;
        let refilled = match last {
            Some(last) => (tokens + now.saturating_duration_since(last).as_secs_f64() * PER_SEC).min(BURST),
            None => tokens,
        };
        if refilled < 1.0 {
            *state = (refilled, Some(now));
            return false;
        }
        *state = (refilled - 1.0, Some(now));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_rate() {
        let limit = HandshakeLimit::default();
        let t0 = Instant::now();
        let answered = (0..50).filter(|_| limit.take(t0)).count();
        assert_eq!(answered, BURST as usize);
        assert!(!limit.take(t0 + Duration::from_millis(100)));
        assert!(
            limit.take(t0 + Duration::from_millis(600)),
            "one token back after 0.5 s"
        );
        assert!(!limit.take(t0 + Duration::from_millis(600)));
    }
}
