//! Fetch state per provider — validators, content hashes, outcome, failures, items, when to
//! fetch next — and where it is kept.
//!
//! In cluster mode the state lives on the compacted `collector-state` topic, keyed by provider
//! id ([`KafkaStateStore`]): it survives restarts, every instance reads all of it, so a provider
//! that moves to another instance (a rebalance) keeps its validators and schedule — the new
//! owner makes a conditional request when it is due, not a fresh fetch at once. The same
//! records are the provider health view (last fetch, outcome, items, errors).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use learncity_bus::{KafkaSettings, OutRecord, Producer};
use learncity_fetch::Validators;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::Producer as _;
use rdkafka::{Message, Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::{CollectError, lock};

/// How the last attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Never fetched.
    #[default]
    Never,
    /// Fetched, read and published.
    Published,
    /// The server answered 304 Not Modified.
    NotModified,
    /// Fetched, but the content hash was unchanged: nothing published.
    Unchanged,
    /// Fetched, but the document is truncated: its complete items were published, no snapshot.
    Incomplete,
    /// Fetched and read, but the document holds no offering while the catalogue holds some of
    /// the provider's: no snapshot published (nothing withdrawn); see `last_error`.
    Emptied,
    /// Failed (fetch or read); see `last_error`.
    Failed,
}

impl Outcome {
    /// The label used in metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Never => "never",
            Outcome::Published => "published",
            Outcome::NotModified => "not_modified",
            Outcome::Unchanged => "unchanged",
            Outcome::Incomplete => "incomplete",
            Outcome::Emptied => "emptied",
            Outcome::Failed => "failed",
        }
    }
}

/// Most warnings of one read kept in words in the fetch state.
pub const KEPT_WARNINGS: usize = 200;

/// Runs kept in a provider's [`ProviderState::history`].
pub const KEPT_RUNS: usize = 20;

/// One past run of a provider, as its history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastRun {
    /// When it started.
    pub at: DateTime<Utc>,
    /// How it ended.
    pub outcome: Outcome,
    /// The failure's kind, when it failed (or `emptied`, `incomplete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    /// Offerings in the document it read.
    #[serde(default)]
    pub item_count: usize,
    /// Warnings of that read.
    #[serde(default)]
    pub warning_count: usize,
}

/// One provider's fetch state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProviderState {
    /// The provider.
    pub provider_id: String,
    /// The collector instance that wrote this state.
    pub instance: Option<String>,
    /// Hash of the provider's config and the collector's version: a change re-reads the
    /// document even when its content did not change.
    pub config_hash: String,
    /// When the last attempt started.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the last attempt that did not fail ended.
    pub last_success_at: Option<DateTime<Utc>>,
    /// How the last attempt ended.
    pub outcome: Outcome,
    /// HTTP status of the last response, when there was one.
    pub last_status: Option<u16>,
    /// The last failure's kind (`timeout`, `status_5xx`, `read`...), while failing.
    pub error_kind: Option<String>,
    /// The last failure, in words, while failing.
    pub last_error: Option<String>,
    /// Failures in a row (0 after a success).
    pub consecutive_failures: u32,
    /// When it is due again.
    pub next_due_at: Option<DateTime<Utc>>,
    /// ETag / Last-Modified of the last complete document.
    pub validators: Validators,
    /// Hash of the last complete document (calendars without `DTSTAMP` lines).
    pub content_hash: Option<String>,
    /// The document URL after redirects.
    pub document_url: Option<String>,
    /// Bytes of the last document.
    pub bytes: u64,
    /// Offerings in the last document.
    pub item_count: usize,
    /// Offerings listed by the last snapshot published: what the catalogue holds of the
    /// provider. A read that holds none while this is not 0 publishes no snapshot.
    pub listed_count: usize,
    /// Warnings of the last read.
    pub warning_count: usize,
    /// The last read's warnings in words, each naming its item and field (the first
    /// [`KEPT_WARNINGS`]): what an operator shows the provider.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The last [`KEPT_RUNS`] runs, oldest first: what an operator reads a provider's record
    /// from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<PastRun>,
    /// Content hash of every item published, by source id: unchanged items are not sent again.
    pub item_hashes: BTreeMap<String, String>,
    /// Stored before the run's events were published (an intent): the run's final state, with
    /// the same `last_attempt_at`, supersedes it.
    pub intent: bool,
}

impl ProviderState {
    /// Whether this state was stored after `other`: a later attempt, or the same attempt's final
    /// state after its intent.
    pub fn newer_than(&self, other: &ProviderState) -> bool {
        (self.last_attempt_at, !self.intent) > (other.last_attempt_at, !other.intent)
    }
}

/// Where fetch state is kept.
pub trait StateStore: Send + Sync + 'static {
    /// The state of one provider, when there is one.
    fn get(&self, provider_id: &str) -> Option<ProviderState>;
    /// Stores a provider's state durably (returns once it is).
    fn put(&self, state: ProviderState) -> impl Future<Output = Result<(), CollectError>> + Send;
    /// Returns once every state stored before the call, by any instance, is visible to `get`.
    fn sync(&self) -> impl Future<Output = Result<(), CollectError>> + Send;
}

/// Fetch state in memory (tests).
#[derive(Debug, Default)]
pub struct MemoryStateStore(Mutex<HashMap<String, ProviderState>>);

impl StateStore for MemoryStateStore {
    fn get(&self, provider_id: &str) -> Option<ProviderState> {
        lock(&self.0).get(provider_id).cloned()
    }

    async fn put(&self, state: ProviderState) -> Result<(), CollectError> {
        lock(&self.0).insert(state.provider_id.clone(), state);
        Ok(())
    }

    async fn sync(&self) -> Result<(), CollectError> {
        Ok(())
    }
}

/// Fetch state in the catalogue store's `fetch_state` table (the standalone mode, where one
/// SQLite file holds everything): read whole at start, written through on every `put`.
pub struct StoredStateStore {
    store: Arc<dyn learncity_store::CatalogStore>,
    states: Mutex<HashMap<String, ProviderState>>,
}

impl StoredStateStore {
    /// Reads every provider's state from `store`. A state that cannot be read (written by an
    /// incompatible version) is dropped with a warning: that provider is fetched afresh.
    pub async fn load(store: Arc<dyn learncity_store::CatalogStore>) -> Result<Self, CollectError> {
        let rows = store.fetch_states().await.map_err(|e| CollectError::State(e.to_string()))?;
        let mut states = HashMap::new();
        for (provider_id, json) in rows {
            match serde_json::from_str::<ProviderState>(&json) {
                Ok(state) => {
                    states.insert(provider_id, state);
                }
                Err(e) => tracing::warn!(
                    provider = %provider_id,
                    store = %store.describe(),
                    error = %e,
                    "stored fetch state unreadable; the provider is fetched afresh"
                ),
            }
        }
        Ok(Self { store, states: Mutex::new(states) })
    }

    /// Every provider's state (the provider health view).
    pub fn all(&self) -> Vec<ProviderState> {
        let mut all: Vec<ProviderState> = lock(&self.states).values().cloned().collect();
        all.sort_by(|a, b| a.provider_id.cmp(&b.provider_id));
        all
    }
}

impl StateStore for StoredStateStore {
    fn get(&self, provider_id: &str) -> Option<ProviderState> {
        lock(&self.states).get(provider_id).cloned()
    }

    async fn put(&self, state: ProviderState) -> Result<(), CollectError> {
        let json = serde_json::to_string(&state).map_err(|e| CollectError::State(e.to_string()))?;
        self.store
            .put_fetch_state(&state.provider_id, &json)
            .await
            .map_err(|e| CollectError::State(format!("provider {}: {e}", state.provider_id)))?;
        lock(&self.states).insert(state.provider_id.clone(), state);
        Ok(())
    }

    async fn sync(&self) -> Result<(), CollectError> {
        Ok(())
    }
}

/// Fetch state on the compacted `collector-state` topic: a reader thread follows the whole
/// topic into memory; `put` publishes (and waits for the acknowledgement).
pub struct KafkaStateStore {
    shared: Arc<Shared>,
    producer: Producer,
    topic: String,
    cancel: CancellationToken,
    reader: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    changed: Condvar,
}

#[derive(Default)]
struct Inner {
    states: HashMap<String, ProviderState>,
    /// Next offset to read, per partition.
    positions: HashMap<i32, i64>,
    stop: bool,
    error: Option<String>,
}

impl KafkaStateStore {
    /// Starts following the state topic (which `learncity topics ensure` created).
    pub async fn start(
        settings: &KafkaSettings,
        producer: Producer,
        cancel: CancellationToken,
    ) -> Result<Self, CollectError> {
        let topic = settings.collector_state_topic.clone();
        let partitions = producer.partition_count(&topic).await?;
        let consumer: BaseConsumer<learncity_bus::QuietLog> =
            learncity_bus::consumer_config(settings, &format!("{}-state-reader", settings.client_id))
                .set("fetch.wait.max.ms", "100")
                .create_with_context(learncity_bus::QuietLog::default())
                .map_err(|source| learncity_bus::BusError::Client {
                    what: "state consumer",
                    brokers: settings.brokers.clone(),
                    source,
                })?;
        let mut assignment = TopicPartitionList::new();
        for p in 0..partitions {
            assignment
                .add_partition_offset(&topic, p, Offset::Beginning)
                .map_err(|e| CollectError::State(format!("cannot assign {topic}/{p}: {e}")))?;
        }
        consumer.assign(&assignment).map_err(|e| CollectError::State(format!("cannot assign {topic}: {e}")))?;
        let shared = Arc::new(Shared::default());
        {
            let mut inner = lock(&shared.inner);
            for p in 0..partitions {
                inner.positions.insert(p, 0);
            }
        }
        let reader_shared = Arc::clone(&shared);
        let reader_topic = topic.clone();
        let reader = std::thread::Builder::new()
            .name("state-reader".into())
            .spawn(move || follow(consumer, &reader_topic, &reader_shared))
            .map_err(|e| CollectError::State(format!("cannot start the state reader thread: {e}")))?;
        Ok(Self { shared, producer, topic, cancel, reader: Mutex::new(Some(reader)) })
    }

    /// Every state known (the provider health view).
    pub fn all(&self) -> Vec<ProviderState> {
        let mut all: Vec<_> = lock(&self.shared.inner).states.values().cloned().collect();
        all.sort_by(|a, b| a.provider_id.cmp(&b.provider_id));
        all
    }

    /// Stops the reader thread.
    pub fn stop(&self) {
        lock(&self.shared.inner).stop = true;
        if let Some(handle) = lock(&self.reader).take() {
            let _ = handle.join();
        }
    }
}

impl Drop for KafkaStateStore {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The reader thread: applies every record of the topic, in order, to the shared map.
fn follow(consumer: BaseConsumer<learncity_bus::QuietLog>, topic: &str, shared: &Shared) {
    loop {
        if lock(&shared.inner).stop {
            // Let the last fetch come back before the connection closes: a request cut short
            // inside the broker is harmless to Kafka, but stops Tansu 0.6 serving anyone.
            if let Ok(assignment) = consumer.assignment() {
                let _ = consumer.pause(&assignment);
            }
            let _ = consumer.poll(Duration::from_millis(200));
            return;
        }
        let Some(result) = consumer.poll(Duration::from_millis(200)) else { continue };
        match result {
            Ok(message) => {
                let mut inner = lock(&shared.inner);
                inner.positions.insert(message.partition(), message.offset() + 1);
                let Some(key) = message.key().and_then(|k| std::str::from_utf8(k).ok()) else { continue };
                match message.payload() {
                    None => {
                        inner.states.remove(key);
                    }
                    Some(bytes) => match serde_json::from_slice::<ProviderState>(bytes) {
                        Ok(state) => {
                            // This instance's own `put` is in the map already; a record of an
                            // earlier attempt still on its way must not take the state back.
                            let older = inner.states.get(key).is_some_and(|known| known.newer_than(&state));
                            if !older {
                                inner.states.insert(key.to_owned(), state);
                            }
                        }
                        Err(e) => tracing::warn!(
                            topic,
                            key,
                            offset = message.offset(),
                            error = %e,
                            "ignoring an unreadable fetch-state record (the provider is fetched afresh)"
                        ),
                    },
                }
                drop(inner);
                shared.changed.notify_all();
            }
            Err(e) => {
                tracing::debug!(topic, error = %e, "state reader: consumer error (retrying)");
                lock(&shared.inner).error = Some(e.to_string());
            }
        }
    }
}

impl StateStore for KafkaStateStore {
    fn get(&self, provider_id: &str) -> Option<ProviderState> {
        lock(&self.shared.inner).states.get(provider_id).cloned()
    }

    async fn put(&self, state: ProviderState) -> Result<(), CollectError> {
        let payload = serde_json::to_vec(&state).map_err(|e| CollectError::State(e.to_string()))?;
        let record = OutRecord::new(self.topic.as_str(), state.provider_id.as_str(), Some(payload))
            .header("content-type", "application/json");
        self.producer.publish(vec![record], &self.cancel).await?;
        lock(&self.shared.inner).states.insert(state.provider_id.clone(), state);
        Ok(())
    }

    async fn sync(&self) -> Result<(), CollectError> {
        let producer = self.producer.clone();
        let shared = Arc::clone(&self.shared);
        let topic = self.topic.clone();
        tokio::task::spawn_blocking(move || {
            let partitions: Vec<i32> = lock(&shared.inner).positions.keys().copied().collect();
            let mut highs = Vec::with_capacity(partitions.len());
            for p in partitions {
                let (_, high) = producer
                    .rdkafka()
                    .client()
                    .fetch_watermarks(&topic, p, Duration::from_secs(10))
                    .map_err(|e| CollectError::State(format!("cannot read the end offsets of {topic}/{p}: {e}")))?;
                highs.push((p, high));
            }
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            let mut inner = lock(&shared.inner);
            while !highs.iter().all(|(p, high)| inner.positions.get(p).copied().unwrap_or(0) >= *high) {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return Err(CollectError::State(format!(
                        "the fetch state on {topic} was not read to its end within 60 s (last error: {})",
                        inner.error.as_deref().unwrap_or("none")
                    )));
                }
                inner = shared
                    .changed
                    .wait_timeout(inner, left.min(Duration::from_millis(200)))
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
            }
            Ok(())
        })
        .await
        .map_err(|e| CollectError::State(e.to_string()))?
    }
}
