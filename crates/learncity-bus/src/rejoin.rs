//! A consumer-group member's guard against orphaned partitions.
//!
//! After evicting a crashed member, Tansu 0.6's group coordinator may keep the survivors' old
//! assignment, so the crashed member's partitions stay unassigned. What that looks like from a
//! survivor: a rebalance that leaves it exactly the partitions it held, short of all of them.
//! [`RejoinGuard`] spots it; the member then re-joins once (unsubscribe, subscribe), which makes
//! the coordinator assign every partition again. A re-join is never repeated within a minute.
//!
//! A workaround for one test broker's bug, so it is off unless `[kafka]
//! rejoin-unchanged-assignment` turns it on ([`RejoinGuard::new`]): on a correct broker it
//! would cost an extra rebalance each time a member's assignment stays the same.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Remembers what a member held before a rebalance and when it last re-joined.
#[derive(Debug, Default)]
pub struct RejoinGuard {
    enabled: bool,
    before: Mutex<Option<BTreeSet<i32>>>,
    rejoined_at: Mutex<Option<Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RejoinGuard {
    /// A guard that asks for re-joins only when `enabled` (`[kafka] rejoin-unchanged-assignment`).
    pub fn new(enabled: bool) -> Self {
        Self { enabled, ..Self::default() }
    }

    /// Call when partitions are revoked, with what the member held until then.
    pub fn revoked(&self, held: impl IntoIterator<Item = i32>) {
        *lock(&self.before) = Some(held.into_iter().collect());
    }

    /// Call when partitions are assigned; `true` when the member should re-join now: the
    /// guard is enabled, the assignment is what it held before, not empty, short of all
    /// `partitions`, and it has not re-joined within the last minute.
    pub fn assigned(&self, parts: impl IntoIterator<Item = i32>, partitions: i32) -> bool {
        let parts: BTreeSet<i32> = parts.into_iter().collect();
        let unchanged = lock(&self.before).take().is_some_and(|b| b == parts);
        let recently = lock(&self.rejoined_at).is_some_and(|t| t.elapsed() < Duration::from_secs(60));
        if self.enabled && unchanged && !parts.is_empty() && (parts.len() as i32) < partitions && !recently {
            *lock(&self.rejoined_at) = Some(Instant::now());
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_partial_assignment_asks_for_one_rejoin() {
        let guard = RejoinGuard::new(true);
        assert!(!guard.assigned([0, 1], 4), "a first assignment is not a rebalance");
        guard.revoked([0, 1]);
        assert!(guard.assigned([1, 0], 4), "unchanged and partial: re-join");
        guard.revoked([0, 1]);
        assert!(!guard.assigned([0, 1], 4), "never twice within a minute");
        let guard = RejoinGuard::new(true);
        guard.revoked([0, 1]);
        assert!(!guard.assigned([0, 1, 2, 3], 4), "a changed assignment is fine");
        guard.revoked([0, 1, 2, 3]);
        assert!(!guard.assigned([0, 1, 2, 3], 4), "holding everything is fine");
    }

    #[test]
    fn off_by_default_as_a_correct_broker_needs() {
        let guard = RejoinGuard::new(false);
        guard.revoked([0, 1]);
        assert!(!guard.assigned([0, 1], 4), "the workaround is off unless configured");
        assert!(!crate::KafkaSettings::default().rejoin_unchanged_assignment);
    }
}
