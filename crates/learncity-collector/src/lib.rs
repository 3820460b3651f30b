//! # learncity-collector: the collector daemon
//!
//! Fetches every provider it owns on its schedule — politely, through [`learncity_fetch`] —
//! reads the documents with [`learncity_readers`], and publishes `upsert` and `snapshot` events
//! on the offerings topic through [`learncity_bus`].
//!
//! ```text
//! scheduler ──due & owned──▶ fetch_run: fetch ─▶ unchanged? ─▶ read (+ pages) ─▶ enrich ─▶ publish ─▶ state
//!     ▲                                                                                      │
//!     └──────── membership (consumer group on the providers topic) · state (compacted topic) ◀┘
//! ```
//! - [`schedule`]: when a provider is due (interval, source hints, backoff) — pure;
//! - [`state`]: fetch state per provider and where it is kept;
//! - [`membership`]: which providers this instance owns (Kafka consumer-group assignment);
//! - [`fetch_run`]: one run of one provider;
//! - [`pages`]: the further pages of a multi-page listing (also used by `learncity check`);
//! - [`enrich`]: landing pages of feed items without dates.

pub mod enrich;
pub mod fetch_run;
pub mod membership;
pub mod pages;
pub mod schedule;
pub mod state;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use learncity_bus::partition::{city_key, partition_for};
use learncity_bus::{KafkaSettings, OutRecord, Publish};
use learncity_config::{CollectorSettings, Config, Provider};
use learncity_fetch::Fetcher;
use sha2::{Digest, Sha256};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use fetch_run::{RunReport, document_hash};
pub use membership::{GroupMember, Ownership};
pub use state::{KafkaStateStore, MemoryStateStore, Outcome, ProviderState, StateStore, StoredStateStore};

/// Locks a mutex; a panic elsewhere while holding it leaves data that is still usable here
/// (sets and maps updated in one step), so poisoning is ignored.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Failures that stop the collector (a provider's own failures never do: they end in its state).
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The Kafka transport.
    #[error(transparent)]
    Bus(#[from] learncity_bus::BusError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Fetch(#[from] learncity_fetch::FetchError),
    /// Fetch state or group membership.
    #[error("collector state: {0}")]
    State(String),
    /// A shutdown stopped the run while it read its document: nothing of it is kept, and the
    /// provider is fetched again at the next start.
    #[error("stopped by the shutdown while reading: {0}")]
    Stopped(String),
}

/// What reading the provider files again changed, by provider id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryChange {
    /// New providers.
    pub added: Vec<String>,
    /// Providers no longer configured.
    pub removed: Vec<String>,
    /// Providers whose settings changed.
    pub changed: Vec<String>,
}

impl RegistryChange {
    fn between(before: &[Provider], after: &[Provider]) -> Self {
        let old: std::collections::BTreeMap<&str, &Provider> = before.iter().map(|p| (p.id.as_str(), p)).collect();
        let new: std::collections::BTreeMap<&str, &Provider> = after.iter().map(|p| (p.id.as_str(), p)).collect();
        RegistryChange {
            added: new.keys().filter(|id| !old.contains_key(*id)).map(|id| (*id).to_owned()).collect(),
            removed: old.keys().filter(|id| !new.contains_key(*id)).map(|id| (*id).to_owned()).collect(),
            // (Provider settings are compared as written out: they hold no float or map.)
            changed: new
                .iter()
                .filter(|(id, p)| old.get(*id).is_some_and(|o| format!("{o:?}") != format!("{p:?}")))
                .map(|(id, _)| (*id).to_owned())
                .collect(),
        }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// How a collector stops: `stop` ends scheduling (SIGTERM); runs in flight then finish, until
/// `abandon` fires (`shutdown-timeout` later) and their unacknowledged publishing is given up.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    /// Stops scheduling new runs.
    pub stop: CancellationToken,
    /// Gives up publishing in flight.
    pub abandon: CancellationToken,
}

impl Shutdown {
    /// Tokens for a daemon stopped by `stop`.
    pub fn new(stop: CancellationToken) -> Self {
        Self { stop, abandon: CancellationToken::new() }
    }
}

/// A collector: the providers, the fetcher, where it publishes (Kafka, or the in-process bus of
/// the standalone mode), the state, and what it owns.
pub struct Collector<S: StateStore> {
    /// The registry: replaced whole when it is read again ([`Collector::set_providers`]).
    providers: std::sync::RwLock<Arc<Vec<Provider>>>,
    settings: CollectorSettings,
    kafka: KafkaSettings,
    bounds: schedule::Bounds,
    fetcher: Arc<Fetcher>,
    producer: Arc<dyn Publish>,
    state: Arc<S>,
    ownership: Arc<Ownership>,
    instance: String,
    offerings_partitions: i32,
    /// Stops scheduling new runs.
    cancel: CancellationToken,
    /// Abandons the publishing of runs in flight (fired when `shutdown-timeout` has passed).
    abandon: CancellationToken,
}

impl<S: StateStore> Collector<S> {
    /// Assembles a collector. `offerings_partitions` is the partition count of the offerings
    /// topic; `shutdown` stops it.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: &Config,
        fetcher: Arc<Fetcher>,
        producer: Arc<dyn Publish>,
        state: Arc<S>,
        ownership: Arc<Ownership>,
        instance: String,
        offerings_partitions: i32,
        shutdown: Shutdown,
    ) -> Self {
        let c = &config.collector;
        Self {
            providers: std::sync::RwLock::new(Arc::new(config.providers.clone())),
            settings: c.clone(),
            kafka: config.kafka.clone(),
            bounds: schedule::Bounds {
                interval: c.interval,
                min_interval: c.min_interval,
                max_interval: c.max_interval,
                jitter: c.jitter,
                backoff_base: c.backoff_base,
                backoff_max: c.backoff_max,
            },
            fetcher,
            producer,
            state,
            ownership,
            instance,
            offerings_partitions,
            cancel: shutdown.stop,
            abandon: shutdown.abandon,
        }
    }

    /// The state store.
    pub fn state(&self) -> &Arc<S> {
        &self.state
    }

    /// The partition of a provider's offering events: the one of its city.
    fn offerings_partition(&self, provider: &Provider) -> i32 {
        partition_for(city_key(provider.city.as_deref(), &provider.id).as_bytes(), self.offerings_partitions)
    }

    /// Hash of what decides how a document is read: the provider's config and this version.
    fn config_hash(&self, provider: &Provider) -> String {
        let mut p = provider.clone();
        p.origin = String::new();
        p.interval = None;
        p.enabled = true;
        let text = format!("{}|{p:?}", env!("CARGO_PKG_VERSION"));
        hex::encode(&Sha256::digest(text.as_bytes())[..12])
    }

    /// The providers as last read.
    pub fn providers(&self) -> Arc<Vec<Provider>> {
        Arc::clone(&self.providers.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Replaces the registry with `providers` (the provider files read again); the next
    /// scheduling round fetches what was added, stops scheduling what was removed (a run in
    /// flight finishes), and reads a changed provider with its new settings. Says what changed.
    pub fn set_providers(&self, providers: Vec<Provider>) -> RegistryChange {
        let mut slot = self.providers.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let change = RegistryChange::between(&slot, &providers);
        *slot = Arc::new(providers);
        change
    }

    /// Publishes the provider registry on the providers topic (key: id; partition: the one
    /// whose owner fetches it), so the topic shows who is configured.
    pub async fn publish_registry(&self, providers_partitions: i32) -> Result<(), CollectError> {
        let records = self
            .providers()
            .iter()
            .map(|p| {
                let value = serde_json::json!({
                    "id": p.id,
                    "name": p.name,
                    "city": p.city,
                    "url": p.url.as_ref().map(url::Url::as_str),
                    "format": p.format.as_str(),
                    "listing": p.listing,
                    "enabled": p.enabled,
                    "origin": p.origin,
                });
                OutRecord::new(self.kafka.providers_topic.as_str(), p.id.as_str(), Some(value.to_string().into_bytes()))
                    .partition(partition_for(p.id.as_bytes(), providers_partitions))
                    .header("content-type", "application/json")
            })
            .collect();
        self.producer.publish(records, &self.cancel).await?;
        Ok(())
    }

    /// The scheduling loop: starts a run for every owned provider that is due, at most
    /// `http.concurrency` at once, until cancelled; then waits for the runs in flight (up to
    /// `shutdown-timeout`).
    pub async fn run(self: Arc<Self>) -> Result<(), CollectError> {
        let max_runs = self.fetcher.settings().concurrency.max(1) * 2;
        let mut runs: JoinSet<()> = JoinSet::new();
        let mut seen_generation = 0;
        let mut sync_failures = 0u32;
        loop {
            if self.cancel.is_cancelled() {
                break;
            }
            let generation = self.ownership.generation();
            if generation != seen_generation {
                // New providers may have arrived: read the state others wrote for them first.
                match self.state.sync().await {
                    Ok(()) => {
                        seen_generation = generation;
                        sync_failures = 0;
                    }
                    // Scheduling on a state that may lag (a provider fetched once more than
                    // needed) beats not scheduling at all: after three failed reads, go on.
                    Err(e) if sync_failures >= 2 => {
                        tracing::warn!(error = %e, "fetch state not read to its end; scheduling with what is known");
                        seen_generation = generation;
                        sync_failures = 0;
                    }
                    Err(e) => {
                        sync_failures += 1;
                        tracing::warn!(error = %e, "cannot read the fetch state yet; retrying");
                        self.pause(Duration::from_secs(1)).await;
                        continue;
                    }
                }
            }
            let now = Utc::now();
            let mut next_wake = now + chrono::Duration::seconds(1);
            let mut waiting = 0usize;
            let mut owned = 0usize;
            let providers = self.providers();
            for provider in providers.iter().filter(|p| p.enabled && p.url.is_some()) {
                if !self.ownership.owns(&provider.id) {
                    continue;
                }
                owned += 1;
                let due = self.state.get(&provider.id).and_then(|s| s.next_due_at).unwrap_or(now);
                if due > now {
                    next_wake = next_wake.min(due);
                    continue;
                }
                if runs.len() >= max_runs {
                    waiting += 1;
                    continue;
                }
                let Some(guard) = self.ownership.begin(&provider.id, seen_generation) else { continue };
                let this = Arc::clone(&self);
                let provider = provider.clone();
                runs.spawn(async move {
                    let _guard = guard;
                    if let Err(e) = this.run_provider(&provider).await {
                        tracing::warn!(provider = %provider.id, error = %e, "run abandoned");
                    }
                });
            }
            metrics::gauge!("learncity_collector_queue_depth").set(waiting as f64);
            metrics::gauge!("learncity_collector_owned_providers").set(owned as f64);
            let sleep = (next_wake - Utc::now()).to_std().unwrap_or_default().min(Duration::from_secs(1));
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                Some(done) = runs.join_next(), if !runs.is_empty() => {
                    if let Err(e) = done {
                        tracing::error!(error = %e, "a provider run ended abnormally; the provider is tried again");
                    }
                }
                () = self.cancel.cancelled() => {}
            }
        }
        tracing::info!(in_flight = runs.len(), "collector stopping: waiting for runs in flight");
        let drain = async { while runs.join_next().await.is_some() {} };
        if tokio::time::timeout(self.settings.shutdown_timeout, drain).await.is_err() {
            tracing::warn!("runs still in flight after shutdown-timeout; abandoning them (fetched again next start)");
            self.abandon.cancel();
            runs.abort_all();
        }
        Ok(())
    }

    async fn pause(&self, d: Duration) {
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = self.cancel.cancelled() => {}
        }
    }
}
