//! A clock that stands still until told to move: time is an input.

use jiff::{SignedDuration, Timestamp};
use socialcare_domain::ports::Clock;
use std::sync::Mutex;

#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<Timestamp>,
}

impl FixedClock {
    pub fn new(now: Timestamp) -> Self {
        Self { now: Mutex::new(now) }
    }

    /// At `second` seconds after the Unix epoch (the epoch itself if out of range).
    pub fn at_second(second: i64) -> Self {
        Self::new(Timestamp::from_second(second).unwrap_or(Timestamp::UNIX_EPOCH))
    }

    pub fn set(&self, now: Timestamp) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = now;
    }

    /// Moves the clock by `by` (negative moves it back); saturates at the ends of time.
    pub fn advance(&self, by: SignedDuration) -> Timestamp {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now = now.saturating_add(by).unwrap_or(*now);
        *now
    }

    pub fn advance_secs(&self, secs: i64) -> Timestamp {
        self.advance(SignedDuration::from_secs(secs))
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stands_still_until_moved() {
        let c = FixedClock::at_second(1_000);
        assert_eq!(c.now().as_second(), 1_000);
        assert_eq!(c.now(), c.now());
        c.advance_secs(60);
        assert_eq!(c.now().as_second(), 1_060);
        c.advance(SignedDuration::from_secs(-10));
        assert_eq!(c.now().as_second(), 1_050);
        c.set(Timestamp::UNIX_EPOCH);
        assert_eq!(c.now(), Timestamp::UNIX_EPOCH);
    }
}
