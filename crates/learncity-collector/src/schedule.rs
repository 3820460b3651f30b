//! When a provider is fetched next: pure functions of the last outcome, so they are tested
//! without a clock.
//!
//! - After a success (including a 304 or an unchanged body) the next fetch is one interval
//!   away — the provider's own `interval`, or the collector's — but never sooner than the
//!   source asks (RSS `ttl`, `Cache-Control: max-age`, `Expires`), and always within
//!   `min-interval..max-interval`; jitter adds up to `jitter` × that delay, so providers on one
//!   host do not fall due together.
//! - After a failure it backs off exponentially with jitter (`backoff-base` doubling per
//!   consecutive failure, capped by `backoff-max`), or waits what a `Retry-After` asked when
//!   that is longer (also capped): a provider that keeps failing is retried less often but is
//!   never forgotten.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Bounds and defaults of the schedule (from `[collector]`).
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Interval when the provider sets none.
    pub interval: Duration,
    /// Lower bound of any success delay.
    pub min_interval: Duration,
    /// Upper bound of any success delay.
    pub max_interval: Duration,
    /// Jitter fraction (0..=1).
    pub jitter: f64,
    /// First retry delay.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
}

/// The next fetch after a success. `provider_interval` is the provider's own setting; `hint` is
/// the source's freshness (feed ttl, max-age, Expires); `r01` a random number in `[0, 1)`.
pub fn after_success(
    now: DateTime<Utc>,
    bounds: &Bounds,
    provider_interval: Option<Duration>,
    hint: Option<Duration>,
    r01: f64,
) -> DateTime<Utc> {
    let interval = provider_interval.unwrap_or(bounds.interval);
    let delay = interval.max(hint.unwrap_or_default()).clamp(bounds.min_interval, bounds.max_interval);
    let jitter = delay.mul_f64(bounds.jitter.clamp(0.0, 1.0) * r01.clamp(0.0, 1.0));
    now + to_chrono(delay + jitter)
}

/// The next attempt after the `failures`-th consecutive failure; `retry_after` is what the
/// server asked (429/503).
pub fn after_failure(
    now: DateTime<Utc>,
    bounds: &Bounds,
    failures: u32,
    retry_after: Option<Duration>,
    r01: f64,
) -> DateTime<Utc> {
    let backoff = learncity_fetch::backoff_delay(bounds.backoff_base, bounds.backoff_max, failures.max(1), r01);
    let asked = retry_after.unwrap_or_default().min(bounds.backoff_max);
    now + to_chrono(backoff.max(asked))
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds() -> Bounds {
        Bounds {
            interval: Duration::from_secs(3600),
            min_interval: Duration::from_secs(300),
            max_interval: Duration::from_secs(86_400),
            jitter: 0.1,
            backoff_base: Duration::from_secs(60),
            backoff_max: Duration::from_secs(6 * 3600),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-03-01T10:00:00Z".parse().unwrap()
    }

    fn secs(t: DateTime<Utc>) -> i64 {
        (t - now()).num_seconds()
    }

    #[test]
    fn success_uses_the_interval_plus_jitter() {
        assert_eq!(secs(after_success(now(), &bounds(), None, None, 0.0)), 3600);
        assert_eq!(secs(after_success(now(), &bounds(), None, None, 0.5)), 3780);
        assert_eq!(secs(after_success(now(), &bounds(), Some(Duration::from_secs(1800)), None, 0.0)), 1800);
    }

    #[test]
    fn source_hints_delay_within_bounds() {
        // ttl of 2 h beats the 1 h interval.
        assert_eq!(secs(after_success(now(), &bounds(), None, Some(Duration::from_secs(7200)), 0.0)), 7200);
        // A max-age of a year is capped by max-interval.
        assert_eq!(secs(after_success(now(), &bounds(), None, Some(Duration::from_secs(31_536_000)), 0.0)), 86_400);
        // A 10 s provider interval is raised to min-interval.
        assert_eq!(secs(after_success(now(), &bounds(), Some(Duration::from_secs(10)), None, 0.0)), 300);
    }

    #[test]
    fn failures_back_off_and_respect_retry_after() {
        let a = secs(after_failure(now(), &bounds(), 1, None, 0.99));
        let b = secs(after_failure(now(), &bounds(), 4, None, 0.99));
        assert!(a < b, "{a} < {b}");
        // Capped: never forgotten, retried at least every backoff-max.
        let c = secs(after_failure(now(), &bounds(), 60, None, 0.99));
        assert!(c <= 6 * 3600, "{c}");
        assert!(c > 0);
        // Retry-After longer than the backoff wins, within backoff-max.
        assert_eq!(secs(after_failure(now(), &bounds(), 1, Some(Duration::from_secs(900)), 0.0)), 900);
        assert_eq!(secs(after_failure(now(), &bounds(), 1, Some(Duration::from_secs(999_999)), 0.0)), 6 * 3600);
    }
}
