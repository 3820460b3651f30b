//! Which providers this instance fetches.
//!
//! Collector instances share the providers through Kafka's consumer-group membership: all join
//! one group on the `providers` topic, the group coordinator splits its partitions among them,
//! and a provider belongs to the instance that holds partition `murmur2(id) % partitions` (the
//! partition its registry record is published to). When an instance stops or dies, its
//! partitions — and so its providers — go to the survivors at the next rebalance.
//!
//! Before a partition is given away, [`Ownership`] stops starting runs for its providers and
//! waits until the runs in flight have published and stored their state, so the new owner
//! finds the state and does not fetch the provider a second time.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use learncity_bus::KafkaSettings;
use learncity_bus::partition::partition_for;
use learncity_bus::rejoin::RejoinGuard;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::{ClientContext, TopicPartitionList};

use crate::{CollectError, lock};

/// The set of providers this instance owns, and the runs in flight.
#[derive(Debug)]
pub struct Ownership {
    inner: Mutex<Inner>,
    idle: Condvar,
}

#[derive(Debug)]
struct Inner {
    /// Partitions of the providers topic; 0 = this instance owns every provider.
    partitions: i32,
    assigned: HashSet<i32>,
    /// Partitions being handed over: no new run starts, runs in flight may still finish.
    draining: HashSet<i32>,
    in_flight: HashSet<String>,
    generation: u64,
}

impl Ownership {
    /// Owns every provider (a single instance; the standalone mode).
    pub fn everything() -> Arc<Self> {
        Arc::new(Self::with(0))
    }

    /// Owns what the group assigns, out of `partitions` partitions; nothing until then.
    pub fn partitioned(partitions: i32) -> Arc<Self> {
        Arc::new(Self::with(partitions))
    }

    fn with(partitions: i32) -> Self {
        Self {
            inner: Mutex::new(Inner {
                partitions,
                assigned: HashSet::new(),
                draining: HashSet::new(),
                in_flight: HashSet::new(),
                generation: 1,
            }),
            idle: Condvar::new(),
        }
    }

    /// Whether this instance owns `provider_id` now.
    pub fn owns(&self, provider_id: &str) -> bool {
        owns(&lock(&self.inner), provider_id)
    }

    /// Changes on every assignment: a caller re-reads shared state when it changed.
    pub fn generation(&self) -> u64 {
        lock(&self.inner).generation
    }

    /// How many partitions are assigned (0 when owning everything).
    pub fn assigned_partitions(&self) -> usize {
        lock(&self.inner).assigned.len()
    }

    /// Starts a run of `provider_id` when this instance owns it, no run of it is in flight, and
    /// the assignment is still the one of `generation` (the one whose state the caller read);
    /// the guard ends the run when dropped.
    pub fn begin(self: &Arc<Self>, provider_id: &str, generation: u64) -> Option<RunGuard> {
        let mut inner = lock(&self.inner);
        if inner.generation != generation || !owns(&inner, provider_id) || inner.in_flight.contains(provider_id) {
            return None;
        }
        inner.in_flight.insert(provider_id.to_owned());
        Some(RunGuard { ownership: Arc::clone(self), provider_id: provider_id.to_owned() })
    }

    /// Takes partitions away, then waits (up to `wait`) until no run of their providers is in
    /// flight. Returns the providers still running after the wait.
    pub fn revoke(&self, partitions: &[i32], wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        let mut inner = lock(&self.inner);
        for p in partitions {
            inner.assigned.remove(p);
            inner.draining.insert(*p);
        }
        let n = inner.partitions;
        let busy = |inner: &Inner| -> Vec<String> {
            inner.in_flight.iter().filter(|id| partitions.contains(&partition_for(id.as_bytes(), n))).cloned().collect()
        };
        loop {
            let running = busy(&inner);
            let left = deadline.saturating_duration_since(Instant::now());
            if running.is_empty() || left.is_zero() {
                // From here on a run still going publishes and stores nothing (`still_runs`).
                for p in partitions {
                    inner.draining.remove(p);
                }
                return running;
            }
            inner = self.idle.wait_timeout(inner, left).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
    }

    /// Whether a run of `provider_id` in flight may still publish and store its state: its
    /// partition is owned, or being handed over and waiting for it.
    pub fn still_runs(&self, provider_id: &str) -> bool {
        let inner = lock(&self.inner);
        owns(&inner, provider_id) || inner.draining.contains(&partition_for(provider_id.as_bytes(), inner.partitions))
    }

    /// Adds assigned partitions.
    pub fn assign(&self, partitions: &[i32]) {
        let mut inner = lock(&self.inner);
        inner.assigned.extend(partitions.iter().copied());
        inner.generation += 1;
    }
}

fn owns(inner: &Inner, provider_id: &str) -> bool {
    inner.partitions == 0 || inner.assigned.contains(&partition_for(provider_id.as_bytes(), inner.partitions))
}

/// One run in flight; dropping it ends the run.
#[derive(Debug)]
pub struct RunGuard {
    ownership: Arc<Ownership>,
    provider_id: String,
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        lock(&self.ownership.inner).in_flight.remove(&self.provider_id);
        self.ownership.idle.notify_all();
    }
}

/// Group membership on the providers topic: a thread polls a consumer whose rebalance
/// callbacks move partitions in and out of [`Ownership`].
pub struct GroupMember {
    stop: Arc<Mutex<bool>>,
    thread: Option<JoinHandle<()>>,
}

struct GroupContext {
    topic: String,
    ownership: Arc<Ownership>,
    revoke_wait: Duration,
    /// Partitions of the providers topic.
    partitions: i32,
    /// Spots a rebalance that orphaned partitions (see `learncity_bus::rejoin`).
    guard: RejoinGuard,
    /// Set by a rebalance after which the member should re-join (see `post_rebalance`).
    rejoin: AtomicBool,
    /// librdkafka's own lines, throttled.
    quiet: learncity_bus::QuietLog,
}

impl ClientContext for GroupContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.quiet.line(level, fac, log_message);
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        self.quiet.error(&error, reason);
    }
}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            let parts = partitions_of(list, &self.topic);
            self.guard.revoked(parts.iter().copied());
            let still = self.ownership.revoke(&parts, self.revoke_wait);
            tracing::info!(partitions = ?parts, "providers' partitions revoked");
            if !still.is_empty() {
                tracing::warn!(providers = ?still, "runs still in flight when their partitions were given away");
            }
            metrics::gauge!("learncity_collector_assigned_partitions").set(self.ownership.assigned_partitions() as f64);
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                // Membership is all this consumer is for: it fetches nothing (which also spares
                // brokers a fetch cut short when the process ends).
                if let Err(e) = consumer.pause(list) {
                    tracing::debug!(error = %e, "cannot pause the providers topic");
                }
                let parts = partitions_of(list, &self.topic);
                tracing::info!(partitions = ?parts, "providers' partitions assigned");
                if self.guard.assigned(parts.iter().copied(), self.partitions) {
                    self.rejoin.store(true, Ordering::SeqCst);
                }
                self.ownership.assign(&parts);
                metrics::gauge!("learncity_collector_assigned_partitions")
                    .set(self.ownership.assigned_partitions() as f64);
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => tracing::warn!(error = %e, "consumer-group rebalance failed; retrying"),
        }
    }
}

fn partitions_of(list: &TopicPartitionList, topic: &str) -> Vec<i32> {
    list.elements().iter().filter(|e| e.topic() == topic).map(|e| e.partition()).collect()
}

impl GroupMember {
    /// Joins `group_id` on the providers topic and keeps the membership alive until [`stop`].
    ///
    /// [`stop`]: GroupMember::stop
    pub fn join(
        settings: &KafkaSettings,
        group_id: &str,
        instance: &str,
        ownership: Arc<Ownership>,
        revoke_wait: Duration,
    ) -> Result<Self, CollectError> {
        let topic = settings.providers_topic.clone();
        let partitions = lock(&ownership.inner).partitions;
        let context = GroupContext {
            topic: topic.clone(),
            ownership,
            revoke_wait,
            partitions,
            guard: RejoinGuard::new(settings.rejoin_unchanged_assignment),
            rejoin: AtomicBool::new(false),
            quiet: learncity_bus::QuietLog::default(),
        };
        let consumer: BaseConsumer<GroupContext> = learncity_bus::group_member_config(settings, group_id, &[])
            .set("client.id", format!("{}-{instance}", settings.client_id))
            .set("auto.offset.reset", "latest")
            .create_with_context(context)
            .map_err(|source| learncity_bus::BusError::Client {
                what: "group consumer",
                brokers: settings.brokers.clone(),
                source,
            })?;
        consumer
            .subscribe(&[&topic])
            .map_err(|e| CollectError::State(format!("cannot join group {group_id} on {topic}: {e}")))?;
        let stop = Arc::new(Mutex::new(false));
        let thread_stop = Arc::clone(&stop);
        let group = group_id.to_owned();
        let thread = std::thread::Builder::new()
            .name("group-member".into())
            .spawn(move || {
                while !*lock(&thread_stop) {
                    // Messages (the registry) are not needed: polling serves the rebalances.
                    if let Some(Err(e)) = consumer.poll(Duration::from_millis(100)) {
                        tracing::debug!(error = %e, "group consumer error (retrying)");
                    }
                    if consumer.context().rejoin.swap(false, Ordering::SeqCst) {
                        tracing::info!(
                            group = %group,
                            "assignment unchanged by a rebalance: re-joining once so the coordinator assigns \
                             every partition again (a crashed member's partitions must not stay orphaned)"
                        );
                        consumer.unsubscribe();
                        if let Err(e) = consumer.subscribe(&[&topic]) {
                            tracing::warn!(error = %e, "cannot re-join the consumer group");
                        }
                    }
                }
                // Leaving the group hands the partitions to the other instances at once.
                consumer.unsubscribe();
                drop(consumer);
            })
            .map_err(|e| CollectError::State(format!("cannot start the group member thread: {e}")))?;
        Ok(Self { stop, thread: Some(thread) })
    }

    /// Leaves the group (its partitions go to the other instances).
    pub fn stop(&mut self) {
        *lock(&self.stop) = true;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for GroupMember {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owning_everything_and_by_partition() {
        let all = Ownership::everything();
        assert!(all.owns("anything"));
        let some = Ownership::partitioned(4);
        assert!(!some.owns("vsu"));
        let p = partition_for(b"vsu", 4);
        some.assign(&[p]);
        assert!(some.owns("vsu"));
    }

    #[test]
    fn one_run_per_provider_and_revoke_waits_for_it() {
        let own = Ownership::partitioned(2);
        own.assign(&[0, 1]);
        let guard = own.begin("vsu", own.generation()).expect("owned and idle");
        assert!(own.begin("vsu", own.generation()).is_none(), "a second run of one provider is refused");
        let p = partition_for(b"vsu", 2);
        let own2 = Arc::clone(&own);
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(guard);
        });
        let still = own2.revoke(&[p], Duration::from_secs(10));
        assert!(still.is_empty(), "revoke waited for the run: {still:?}");
        releaser.join().unwrap();
        assert!(!own.owns("vsu"));
        assert!(!own.still_runs("vsu"), "handed over: a late run publishes nothing");
        assert!(own.begin("vsu", own.generation()).is_none(), "not owned any more");
        // A revoke whose wait runs out names what is still running.
        own.assign(&[p]);
        let _g = own.begin("vsu", own.generation()).unwrap();
        assert_eq!(own.revoke(&[p], Duration::from_millis(10)), vec!["vsu".to_owned()]);
    }
}
