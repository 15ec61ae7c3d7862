//! The application's notion of "now" in Unix seconds. Tests move it forward instead of
//! sleeping; nothing else in the code reads the system clock for business rules.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        system + self.offset_seconds.load(Ordering::Relaxed)
    }

    /// "Now" in Unix milliseconds, moved forward with [`Clock::now`] (for the per-IP limit,
    /// whose allowance comes back in steps shorter than a second).
    pub fn now_millis(&self) -> i64 {
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        system + self.offset_seconds.load(Ordering::Relaxed) * 1000
    }

    /// Moves this clock (and every copy of it) forward; for tests.
    pub fn advance(&self, seconds: i64) {
        self.offset_seconds.fetch_add(seconds, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn advancing_a_clock_moves_all_its_copies() {
        let clock = super::Clock::default();
        let copy = clock.clone();
        let before = copy.now();
        clock.advance(3600);
        assert!(copy.now() >= before + 3600);
    }
}
