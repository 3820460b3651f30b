//! Applying batches of offerings records: the in-memory catalogues of the partitions, one store
//! transaction per batch, then the outbox published.
//!
//! Delivery: a batch's effects (sources, entries, the catalog and dead-letter records to
//! publish, and the offsets consumed up to) are written in one store transaction; then the
//! outbox is published and every record acknowledged before it is deleted; only then the
//! caller commits the consumer offsets. Records below a partition's stored offset were already
//! applied and are skipped, so a crash anywhere re-delivers records without applying them twice,
//! and an outbox left by a crash is published first at the next start.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use learncity_bus::{OutRecord, Publish};
use learncity_store::{CatalogStore, DeadLetter, OutboxRecord, StoreError};
use tokio_util::sync::CancellationToken;

use crate::BuildError;
use crate::decode::{Event, dead_letter, decode};
use crate::state::{Effects, PartitionCatalog, Rules, Stats};

/// One record of the offerings topic, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct InRecord {
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Its key.
    pub key: Option<Vec<u8>>,
    /// Its value.
    pub value: Option<Vec<u8>>,
    /// Its headers.
    pub headers: Vec<(String, Vec<u8>)>,
}

struct Loaded {
    catalog: PartitionCatalog,
    next_offset: i64,
}

/// The builder's state across batches.
pub struct Processor {
    store: Arc<dyn CatalogStore>,
    producer: Arc<dyn Publish>,
    rules: Rules,
    offerings_topic: String,
    dead_letter_topic: String,
    partitions: HashMap<i32, Loaded>,
    /// What loading a partition changed (operators' decisions taken while it was not held),
    /// written with the next commit.
    pending: Effects,
}

/// What [`Processor::apply`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Records applied.
    pub applied: u64,
    /// Records skipped (below the stored offset: applied before).
    pub skipped: u64,
    /// Records sent to the dead-letter topic.
    pub dead_letters: u64,
    /// What they changed.
    pub stats: Stats,
}

impl Processor {
    /// A processor writing to `store` and publishing through `producer` (Kafka, or the
    /// in-process bus of the standalone mode).
    pub fn new(
        store: Arc<dyn CatalogStore>,
        producer: Arc<dyn Publish>,
        rules: Rules,
        offerings_topic: &str,
        dead_letter_topic: &str,
    ) -> Self {
        Self {
            store,
            producer,
            rules,
            offerings_topic: offerings_topic.to_owned(),
            dead_letter_topic: dead_letter_topic.to_owned(),
            partitions: HashMap::new(),
            pending: Effects::default(),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn CatalogStore> {
        &self.store
    }

    /// Whether `partition` is held in memory.
    pub fn is_loaded(&self, partition: i32) -> bool {
        self.partitions.contains_key(&partition)
    }

    /// Forgets `partition` (given to another instance, or out of step with the store).
    pub fn unload(&mut self, partition: i32) {
        self.partitions.remove(&partition);
    }

    /// Forgets every partition.
    pub fn unload_all(&mut self) {
        self.partitions.clear();
        self.pending = Effects::default();
    }

    /// The partitions held in memory.
    pub fn loaded(&self) -> Vec<i32> {
        let mut v: Vec<i32> = self.partitions.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Live entries held in memory.
    pub fn entry_count(&self) -> usize {
        self.partitions.values().map(|p| p.catalog.entries().count()).sum()
    }

    /// Loads `partition` from the store unless held; returns its next offset.
    pub async fn ensure_loaded(&mut self, partition: i32) -> Result<i64, StoreError> {
        if let Some(p) = self.partitions.get(&partition) {
            return Ok(p.next_offset);
        }
        let state = self.store.load_partition(&self.offerings_topic, partition).await?;
        let mut catalog = PartitionCatalog::load(partition, state.sources, state.entries, &self.rules);
        // Decisions taken or revoked while the partition was not held here: its stored entries
        // may not show them yet (computing again what already shows them changes nothing).
        // So may a provider's priority changed meanwhile (a role or a city changed meanwhile
        // shows with the entry's next change, or after `catalog rebuild`).
        let mut stale = self.rules.curation.named_sources();
        stale.extend(catalog.sources_with_other_priority(&self.rules));
        catalog.reconsider(&stale, &self.rules, &mut self.pending);
        let next_offset = state.next_offset.unwrap_or(0);
        tracing::info!(partition, sources = catalog.source_count(), next_offset, "partition loaded from the store");
        self.partitions.insert(partition, Loaded { catalog, next_offset });
        Ok(next_offset)
    }

    /// Loads every partition the store holds records of, and writes what loading them changed
    /// (operators' decisions and providers' priorities that changed while the builder was
    /// stopped). Returns how many partitions were loaded.
    pub async fn load_stored(&mut self, abandon: &CancellationToken) -> Result<usize, BuildError> {
        let stored = self.store.offsets(&self.offerings_topic).await.map_err(BuildError::Store)?;
        for (partition, _) in &stored {
            self.ensure_loaded(*partition).await.map_err(BuildError::Store)?;
        }
        self.commit(Effects::default(), Vec::new(), abandon).await?;
        Ok(stored.len())
    }

    /// Applies `records` (in order) as one store transaction and publishes what it says;
    /// `now` decides what has expired.
    pub async fn apply(
        &mut self,
        records: Vec<InRecord>,
        now: DateTime<Utc>,
        abandon: &CancellationToken,
    ) -> Result<BatchOutcome, BuildError> {
        let mut fx = Effects::default();
        let mut outcome = BatchOutcome::default();
        let mut offsets: BTreeMap<i32, i64> = BTreeMap::new();
        for record in records {
            self.ensure_loaded(record.partition).await.map_err(BuildError::Store)?;
            let loaded = self.partitions.get_mut(&record.partition).expect("loaded above");
            if record.offset < loaded.next_offset {
                outcome.skipped += 1;
                metrics::counter!("learncity_catalog_events_total", "type" => "skipped").increment(1);
                continue;
            }
            match decode(record.key.as_deref(), record.value.as_deref(), &record.headers) {
                Ok(Event::Upsert(offering)) => {
                    metrics::counter!("learncity_catalog_events_total", "type" => "upsert").increment(1);
                    loaded.catalog.upsert(*offering, record.offset, now, &self.rules, &mut fx);
                }
                Ok(Event::Snapshot(snapshot)) => {
                    metrics::counter!("learncity_catalog_events_total", "type" => "snapshot").increment(1);
                    loaded.catalog.snapshot(&snapshot, &self.rules, &mut fx);
                }
                Err(why) => {
                    metrics::counter!("learncity_catalog_events_total", "type" => "dead_letter").increment(1);
                    tracing::warn!(
                        partition = record.partition,
                        offset = record.offset,
                        kind = why.kind(),
                        reason = %why,
                        "record sent to the dead-letter topic"
                    );
                    metrics::counter!("learncity_catalog_dead_letters_total", "kind" => why.kind()).increment(1);
                    fx.publish(dead_letter(
                        &self.dead_letter_topic,
                        (&self.offerings_topic, record.partition, record.offset),
                        record.key.as_deref(),
                        record.value.as_deref(),
                        &record.headers,
                        &why,
                    ));
                    // Kept in the store as well: the standalone mode reads no dead-letter topic,
                    // and `learncity dead-letters` lists and replays from here in both modes.
                    fx.keep_dead_letter(DeadLetter {
                        record: OutboxRecord {
                            topic: self.offerings_topic.clone(),
                            key: record.key,
                            value: record.value,
                            headers: record.headers,
                        },
                        partition: record.partition,
                        offset: record.offset,
                        kind: why.kind().to_owned(),
                        reason: why.to_string(),
                    });
                    outcome.dead_letters += 1;
                }
            }
            outcome.applied += 1;
            loaded.next_offset = record.offset + 1;
            offsets.insert(record.partition, record.offset + 1);
        }
        let offsets = offsets.into_iter().map(|(p, o)| (self.offerings_topic.clone(), p, o)).collect();
        outcome.stats = self.commit(fx, offsets, abandon).await?;
        Ok(outcome)
    }

    /// Expires what is due in every loaded partition.
    pub async fn expire(&mut self, now: DateTime<Utc>, abandon: &CancellationToken) -> Result<Stats, BuildError> {
        let mut fx = Effects::default();
        for loaded in self.partitions.values_mut() {
            loaded.catalog.expire(now, &self.rules, &mut fx);
        }
        self.commit(fx, Vec::new(), abandon).await
    }

    /// Writes `fx` (and `offsets`) in one transaction, then publishes the outbox.
    async fn commit(
        &mut self,
        fx: Effects,
        offsets: Vec<(String, i32, i64)>,
        abandon: &CancellationToken,
    ) -> Result<Stats, BuildError> {
        let mut all = std::mem::take(&mut self.pending);
        all.absorb(fx);
        let (changes, stats) = all.into_changeset(offsets);
        if !changes.is_empty() {
            let mut delay = Duration::from_millis(200);
            loop {
                match self.store.apply(&changes).await {
                    Ok(()) => break,
                    Err(e) => {
                        tracing::error!(error = %e, store = %self.store.describe(), "cannot write a batch; retrying");
                        metrics::counter!("learncity_catalog_store_errors_total").increment(1);
                        tokio::select! {
                            () = tokio::time::sleep(delay) => {}
                            () = abandon.cancelled() => {
                                // The memory is ahead of the store: forget it.
                                self.unload_all();
                                return Err(BuildError::Store(e));
                            }
                        }
                        delay = (delay * 2).min(Duration::from_secs(30));
                    }
                }
            }
        }
        record_stats(&stats);
        self.publish_outbox(abandon).await?;
        Ok(stats)
    }

    /// Publishes the outbox (oldest first) and deletes what the brokers acknowledged.
    pub async fn publish_outbox(&self, abandon: &CancellationToken) -> Result<u64, BuildError> {
        let mut published = 0;
        loop {
            let rows = self.store.outbox(1000).await.map_err(BuildError::Store)?;
            if rows.is_empty() {
                return Ok(published);
            }
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let records = rows.into_iter().map(|r| out_record(r.record)).collect();
            self.producer.publish(records, abandon).await.map_err(BuildError::Bus)?;
            self.store.outbox_done(&ids).await.map_err(BuildError::Store)?;
            published += ids.len() as u64;
        }
    }
}

impl Processor {
    /// Reads the operators' decisions from the store and applies those new or changed since the
    /// last read to the partitions held (the others when they are loaded); returns how many.
    pub async fn refresh_curation(&mut self, abandon: &CancellationToken) -> Result<usize, BuildError> {
        let decisions = self.store.decisions().await.map_err(BuildError::Store)?;
        let mut touched = BTreeSet::new();
        let mut changed = 0;
        for d in decisions {
            if self.rules.curation.get(&d.id) != Some(&d) {
                changed += 1;
                touched.extend(self.rules.curation.set(d));
            }
        }
        if changed == 0 {
            return Ok(0);
        }
        let mut fx = Effects::default();
        for loaded in self.partitions.values_mut() {
            loaded.catalog.reconsider(&touched, &self.rules, &mut fx);
        }
        let stats = self.commit(fx, Vec::new(), abandon).await?;
        metrics::gauge!("learncity_curation_decisions").set(self.rules.curation.decisions().count() as f64);
        tracing::info!(
            decisions = changed,
            sources = touched.len(),
            entries_put = stats.entries_put,
            entries_removed = stats.entries_removed,
            "operators' decisions applied"
        );
        Ok(changed)
    }

    /// Takes the providers' rules read again from their files (`priority`, `role`, `city`):
    /// the sources of every provider whose rules changed are matched again and their entries
    /// computed again, in one commit. Returns the ids of those providers.
    pub async fn set_providers(
        &mut self,
        providers: crate::Providers,
        abandon: &CancellationToken,
    ) -> Result<BTreeSet<String>, BuildError> {
        let old = &self.rules.providers;
        let changed: BTreeSet<String> =
            old.keys().chain(providers.keys()).filter(|id| old.get(*id) != providers.get(*id)).cloned().collect();
        if changed.is_empty() {
            return Ok(changed);
        }
        self.rules.providers = providers;
        let mut fx = Effects::default();
        let mut sources = 0;
        for loaded in self.partitions.values_mut() {
            let keys = loaded.catalog.sources_of(&changed);
            sources += keys.len();
            loaded.catalog.reconsider(&keys, &self.rules, &mut fx);
        }
        let stats = self.commit(fx, Vec::new(), abandon).await?;
        tracing::info!(
            providers = ?changed,
            sources,
            entries_put = stats.entries_put,
            entries_removed = stats.entries_removed,
            "providers' rules changed: their entries computed again"
        );
        Ok(changed)
    }

    /// The dead letters an operator asked to replay (`learncity dead-letters replay`) of the
    /// partitions `owns` says this builder reads, as records of the offerings topic again
    /// (their original key, value, headers and partition), with their ids in the store.
    pub async fn replay_requests(&self, owns: impl Fn(i32) -> bool) -> Result<Vec<(i64, OutRecord)>, BuildError> {
        let rows = self.store.replay_requests(REPLAYS_PER_POLL).await.map_err(BuildError::Store)?;
        Ok(rows
            .into_iter()
            .filter(|r| r.letter.record.topic == self.offerings_topic && owns(r.letter.partition))
            .map(|r| {
                let partition = r.letter.partition;
                (r.id, OutRecord { partition: Some(partition), ..out_record(r.letter.record) })
            })
            .collect())
    }

    /// Publishes the replays asked for of the partitions `owns` says this builder reads onto the
    /// offerings topic (the cluster mode: the group reads them like any record), then forgets
    /// them; returns how many.
    pub async fn publish_replays(
        &self,
        owns: impl Fn(i32) -> bool,
        abandon: &CancellationToken,
    ) -> Result<usize, BuildError> {
        let replays = self.replay_requests(owns).await?;
        if replays.is_empty() {
            return Ok(0);
        }
        let (ids, records): (Vec<i64>, Vec<OutRecord>) = replays.into_iter().unzip();
        self.producer.publish(records, abandon).await.map_err(BuildError::Bus)?;
        self.store.forget_dead_letters(&ids).await.map_err(BuildError::Store)?;
        tracing::info!(records = ids.len(), "dead letters replayed onto the offerings topic");
        Ok(ids.len())
    }
}

/// Replays read per poll (the rest at the next one).
const REPLAYS_PER_POLL: i64 = 500;

/// How often a builder looks for dead letters an operator asked to replay.
pub const REPLAY_POLL: Duration = Duration::from_secs(2);

fn out_record(r: OutboxRecord) -> OutRecord {
    OutRecord { topic: r.topic, partition: None, key: r.key.unwrap_or_default(), payload: r.value, headers: r.headers }
}

fn record_stats(s: &Stats) {
    metrics::counter!("learncity_catalog_merges_total").increment(s.merges);
    metrics::counter!("learncity_catalog_splits_total").increment(s.splits);
    metrics::counter!("learncity_catalog_withdrawals_total").increment(s.withdrawals);
    metrics::counter!("learncity_catalog_expirations_total").increment(s.expirations);
    metrics::counter!("learncity_catalog_entries_published_total").increment(s.entries_put);
    metrics::counter!("learncity_catalog_tombstones_total").increment(s.entries_removed);
    metrics::counter!("learncity_catalog_upserts_total", "result" => "changed").increment(s.upserts);
    metrics::counter!("learncity_catalog_upserts_total", "result" => "unchanged").increment(s.unchanged);
}
