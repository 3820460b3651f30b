//! `learncity catalog`: the consumer-group daemon, and `learncity catalog rebuild`.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use learncity_bus::rejoin::RejoinGuard;
use learncity_bus::{KafkaSettings, Producer};
use learncity_config::CatalogSettings;
use learncity_ops::Readiness;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;

use crate::BuildError;
use crate::processor::{InRecord, Processor};
use crate::state::Rules;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Rebalances as the main loop sees them.
struct GroupContext {
    topic: String,
    /// Partitions held now.
    assigned: Mutex<BTreeSet<i32>>,
    /// Partitions given away since the main loop last looked.
    revoked: Mutex<BTreeSet<i32>>,
    /// Spots a rebalance that orphaned partitions (see `learncity_bus::rejoin`).
    guard: RejoinGuard,
    rejoin: AtomicBool,
    partitions: i32,
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

    fn stats(&self, statistics: Statistics) {
        let Some(topic) = statistics.topics.get(&self.topic) else { return };
        let mut total = 0;
        for (id, p) in &topic.partitions {
            if *id >= 0 && p.consumer_lag >= 0 {
                metrics::gauge!("learncity_catalog_lag", "partition" => id.to_string()).set(p.consumer_lag as f64);
                total += p.consumer_lag;
            }
        }
        metrics::gauge!("learncity_catalog_lag_total").set(total as f64);
    }
}

fn partitions_of(list: &TopicPartitionList, topic: &str) -> BTreeSet<i32> {
    list.elements().iter().filter(|e| e.topic() == topic).map(|e| e.partition()).collect()
}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            let parts = partitions_of(list, &self.topic);
            self.guard.revoked(lock(&self.assigned).iter().copied());
            lock(&self.assigned).retain(|p| !parts.contains(p));
            lock(&self.revoked).extend(parts.iter().copied());
            tracing::info!(partitions = ?parts, "offerings partitions revoked");
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                let parts = partitions_of(list, &self.topic);
                tracing::info!(partitions = ?parts, "offerings partitions assigned");
                if self.guard.assigned(parts.iter().copied(), self.partitions) {
                    self.rejoin.store(true, Ordering::SeqCst);
                }
                lock(&self.assigned).extend(parts);
                metrics::gauge!("learncity_catalog_assigned_partitions").set(lock(&self.assigned).len() as f64);
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => tracing::warn!(error = %e, "consumer-group rebalance failed; retrying"),
        }
    }
}

fn in_record(m: &BorrowedMessage<'_>) -> InRecord {
    let headers = m
        .headers()
        .map(|h| h.iter().map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec).unwrap_or_default())).collect())
        .unwrap_or_default();
    InRecord {
        partition: m.partition(),
        offset: m.offset(),
        key: m.key().map(<[u8]>::to_vec),
        value: m.payload().map(<[u8]>::to_vec),
        headers,
    }
}

/// What the builder takes of each provider of `config`, by id.
pub fn providers(config: &learncity_config::Config) -> crate::Providers {
    config
        .providers
        .iter()
        .map(|p| {
            (p.id.clone(), crate::state::ProviderInfo { priority: p.priority, city: p.city.clone(), role: p.role })
        })
        .collect()
}

/// The matching and merge rules of `config`.
pub fn rules(config: &learncity_config::Config) -> Rules {
    let c = &config.catalog;
    Rules {
        thresholds: learncity_catalog::matching::Thresholds {
            start_tolerance: chrono::Duration::from_std(c.start_tolerance).unwrap_or(chrono::Duration::MAX),
            token_similarity: c.token_similarity,
            match_score: c.match_score,
            candidate_score: c.candidate_score,
        },
        expiry_grace: chrono::Duration::from_std(c.expiry_grace).unwrap_or(chrono::Duration::MAX),
        providers: providers(config),
        catalog_topic: config.kafka.catalog_topic.clone(),
        curation: Default::default(),
    }
}

/// Puts back into the store every operator's decision of the curation topic it lacks (a store
/// lost and restored from an older backup, or a new one), and every revocation it missed; the
/// topic is read from its start to its end. Returns how many were put back. A missing topic
/// (a deployment older than curation) restores nothing.
async fn restore_decisions(
    kafka: &KafkaSettings,
    producer: &Producer,
    store: &dyn learncity_store::CatalogStore,
    shutdown: &CancellationToken,
) -> Result<usize, BuildError> {
    use learncity_model::curation::Decision;
    let topic = kafka.curation_topic.clone();
    let partitions = match producer.partition_count(&topic).await {
        Ok(n) => n,
        Err(learncity_bus::BusError::MissingTopic { .. }) => {
            tracing::warn!(%topic, "no curation topic: no decision to restore (`learncity topics ensure` creates it)");
            return Ok(0);
        }
        Err(e) => return Err(BuildError::Bus(e)),
    };
    let consumer: StreamConsumer<learncity_bus::QuietLog> =
        learncity_bus::consumer_config(kafka, "learncity-curation-restore")
            .set("enable.auto.commit", "false")
            .create_with_context(learncity_bus::QuietLog::default())
            .map_err(|source| {
                BuildError::Bus(learncity_bus::BusError::Client {
                    what: "curation reader",
                    brokers: kafka.brokers.clone(),
                    source,
                })
            })?;
    let mut ends = std::collections::BTreeMap::new();
    let mut assignment = TopicPartitionList::new();
    for p in 0..partitions {
        let (low, high) = consumer
            .fetch_watermarks(&topic, p, Duration::from_secs(10))
            .map_err(|e| BuildError::Group(format!("cannot read the watermarks of {topic}/{p}: {e}")))?;
        if high > low {
            ends.insert(p, high);
            let _ = assignment.add_partition_offset(&topic, p, Offset::Beginning);
        }
    }
    let mut on_topic: std::collections::BTreeMap<String, Decision> = std::collections::BTreeMap::new();
    if !ends.is_empty() {
        consumer.assign(&assignment).map_err(|e| BuildError::Group(format!("cannot assign {topic}: {e}")))?;
    }
    while !ends.is_empty() {
        let m = tokio::select! {
            () = shutdown.cancelled() => return Err(BuildError::Group("rebuild interrupted; run it again".into())),
            m = tokio::time::timeout(Duration::from_secs(30), consumer.recv()) => m,
        };
        let m = match m {
            Ok(Ok(m)) => m,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "curation reader error (retrying)");
                continue;
            }
            Err(_) => {
                return Err(BuildError::Group(format!(
                    "{topic} was not read to its end within 30 s; run the rebuild again"
                )));
            }
        };
        if ends.get(&m.partition()).is_some_and(|end| m.offset() + 1 >= *end) {
            ends.remove(&m.partition());
        }
        match m.payload().map(serde_json::from_slice::<Decision>) {
            Some(Ok(d)) => {
                on_topic.insert(d.id.clone(), d);
            }
            Some(Err(e)) => {
                tracing::warn!(partition = m.partition(), offset = m.offset(), error = %e, "a curation record that is no decision; skipped")
            }
            None => {}
        }
    }
    let kept: std::collections::HashMap<String, Decision> =
        store.decisions().await.map_err(BuildError::Store)?.into_iter().map(|d| (d.id.clone(), d)).collect();
    let mut restored = 0;
    for (id, d) in on_topic {
        let missing = match kept.get(&id) {
            None => true,
            Some(k) => k.revoked.is_none() && d.revoked.is_some(),
        };
        if missing {
            store.put_decision(&d, None).await.map_err(BuildError::Store)?;
            restored += 1;
        }
    }
    Ok(restored)
}

/// A token cancelled `timeout` after `shutdown`: work still in flight then is abandoned.
pub(crate) fn abandon_after(shutdown: &CancellationToken, timeout: Duration) -> CancellationToken {
    let abandon = CancellationToken::new();
    let (s, a) = (shutdown.clone(), abandon.clone());
    tokio::spawn(async move {
        s.cancelled().await;
        tokio::time::sleep(timeout).await;
        a.cancel();
    });
    abandon
}

/// Runs the builder until `shutdown`: joins the consumer group on the offerings topic and
/// applies what arrives, batch by batch; takes the providers' rules sent on `providers` (the
/// provider files read again) without a restart.
pub async fn run(
    config: &learncity_config::Config,
    store: Arc<dyn learncity_store::CatalogStore>,
    readiness: Readiness,
    mut providers: tokio::sync::watch::Receiver<crate::Providers>,
    shutdown: CancellationToken,
) -> Result<(), BuildError> {
    let settings: &CatalogSettings = &config.catalog;
    let kafka: &KafkaSettings = &config.kafka;
    let abandon = abandon_after(&shutdown, settings.shutdown_timeout);
    let producer = Producer::new(kafka).map_err(BuildError::Bus)?;
    // Brokers that do not answer yet (a cluster starting with it) are waited for, with
    // readiness saying why; a missing topic is a setup mistake and stops the builder.
    let partitions = loop {
        match producer.partition_count(&kafka.offerings_topic).await {
            Ok(partitions) => break partitions,
            Err(e @ learncity_bus::BusError::MissingTopic { .. }) => return Err(BuildError::Bus(e)),
            Err(e) => {
                tracing::warn!(error = %e, "waiting for the Kafka brokers");
                readiness.set_not_ready(e.to_string());
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
            () = shutdown.cancelled() => return Ok(()),
        }
    };
    let mut processor = Processor::new(
        store,
        Arc::new(producer.clone()),
        rules(config),
        &kafka.offerings_topic,
        &kafka.dead_letter_topic,
    );

    // What a crash left in the outbox goes out before anything new.
    let left = processor.publish_outbox(&abandon).await?;
    if left > 0 {
        tracing::info!(records = left, "published the outbox a previous run left");
    }
    processor.refresh_curation(&abandon).await?;

    let topic = kafka.offerings_topic.clone();
    let context = GroupContext {
        topic: topic.clone(),
        assigned: Mutex::new(BTreeSet::new()),
        revoked: Mutex::new(BTreeSet::new()),
        guard: RejoinGuard::new(kafka.rejoin_unchanged_assignment),
        rejoin: AtomicBool::new(false),
        partitions,
        quiet: learncity_bus::QuietLog::default(),
    };
    let mut client = learncity_bus::group_member_config(kafka, &settings.group_id, &[("fetch.wait.max.ms", "100")]);
    client.set("auto.offset.reset", "earliest").set("statistics.interval.ms", "5000");
    let consumer: StreamConsumer<GroupContext> = client.create_with_context(context).map_err(|source| {
        BuildError::Bus(learncity_bus::BusError::Client {
            what: "catalog consumer",
            brokers: kafka.brokers.clone(),
            source,
        })
    })?;
    consumer
        .subscribe(&[&topic])
        .map_err(|e| BuildError::Group(format!("cannot join group {} on {topic}: {e}", settings.group_id)))?;
    readiness.set_ready();
    tracing::info!(group = %settings.group_id, topic = %topic, "catalog builder running");

    let mut expiry = tokio::time::interval(settings.expiry_interval);
    expiry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut replays = tokio::time::interval(crate::processor::REPLAY_POLL);
    replays.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let result = loop {
        let mut batch = Vec::new();
        let mut sweep = false;
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break Ok(()),
            _ = expiry.tick() => sweep = true,
            Ok(()) = providers.changed() => {
                let now = providers.borrow_and_update().clone();
                if let Err(e) = processor.set_providers(now, &abandon).await {
                    tracing::error!(error = %e, "cannot compute again the entries of providers whose rules changed; loading again");
                    processor.unload_all();
                }
            }
            _ = replays.tick() => {
                // Each builder replays the dead letters of the partitions it reads.
                let assigned = lock(&consumer.context().assigned).clone();
                if let Err(e) = processor.publish_replays(|p| assigned.contains(&p), &abandon).await {
                    tracing::error!(error = %e, "cannot replay dead letters; trying again");
                }
                if let Err(e) = processor.refresh_curation(&abandon).await {
                    tracing::error!(error = %e, "cannot apply the operators' decisions; trying again");
                    processor.unload_all();
                }
            }
            m = consumer.recv() => match m {
                Ok(m) => batch.push(in_record(&m)),
                Err(e) => {
                    tracing::warn!(error = %e, "consumer error (retrying)");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            },
        }
        if !batch.is_empty() {
            let deadline = tokio::time::Instant::now() + settings.batch_wait;
            while batch.len() < settings.batch_max {
                match tokio::time::timeout_at(deadline, consumer.recv()).await {
                    Ok(Ok(m)) => batch.push(in_record(&m)),
                    Ok(Err(e)) => tracing::warn!(error = %e, "consumer error (retrying)"),
                    Err(_) => break,
                }
            }
        }
        if consumer.context().rejoin.swap(false, Ordering::SeqCst) {
            tracing::info!("assignment unchanged by a rebalance: re-joining once so every partition is assigned");
            consumer.unsubscribe();
            if let Err(e) = consumer.subscribe(&[&topic]) {
                tracing::warn!(error = %e, "cannot re-join the consumer group");
            }
        }
        // Partitions given away: forget them (the store has what was applied), and drop what
        // the batch holds of them (their new owner applies it).
        let revoked: BTreeSet<i32> = std::mem::take(&mut *lock(&consumer.context().revoked));
        for p in &revoked {
            processor.unload(*p);
        }
        let assigned = lock(&consumer.context().assigned).clone();
        batch.retain(|r| assigned.contains(&r.partition));
        for p in &assigned {
            let fresh = !processor.is_loaded(*p);
            match processor.ensure_loaded(*p).await {
                // The store, not the group, says where a partition stands: a store restored from
                // a backup is behind the group's offsets, an emptied one has none. Read on from
                // the store's next offset; what the batch holds of the partition is read again.
                Ok(next) if fresh => {
                    batch.retain(|r| r.partition != *p);
                    if let Err(e) = consumer.seek(&topic, *p, Offset::Offset(next), Duration::from_secs(5)) {
                        tracing::warn!(partition = p, next, error = %e, "cannot seek to the store's offset; trying again");
                        processor.unload(*p);
                    } else {
                        tracing::debug!(partition = p, next, "reading on from the store's offset");
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::error!(partition = p, error = %e, "cannot load a partition from the store"),
            }
        }
        let now = chrono::Utc::now();
        if sweep {
            match processor.expire(now, &abandon).await {
                Ok(stats) if stats.expirations > 0 => tracing::info!(expired = stats.expirations, "offerings expired"),
                Ok(_) => {}
                Err(e) if abandon.is_cancelled() => break Err(e),
                Err(e) => tracing::error!(error = %e, "expiry sweep failed"),
            }
        }
        if batch.is_empty() {
            continue;
        }
        let started = Instant::now();
        let count = batch.len();
        let mut commit = TopicPartitionList::new();
        for r in &batch {
            // Last one wins: records are in offset order per partition.
            let _ = commit.add_partition_offset(&topic, r.partition, Offset::Offset(r.offset + 1));
        }
        match processor.apply(batch, now, &abandon).await {
            Ok(outcome) => {
                metrics::histogram!("learncity_catalog_batch_seconds").record(started.elapsed().as_secs_f64());
                metrics::gauge!("learncity_catalog_entries").set(processor.entry_count() as f64);
                tracing::debug!(records = count, ?outcome, "batch applied");
                readiness.set_ready();
                if let Err(e) = consumer.commit(&commit, CommitMode::Async) {
                    // The store holds the offsets; the group's are for lag and a faster restart.
                    tracing::warn!(error = %e, "cannot commit consumer offsets (the store has them)");
                }
            }
            Err(e) if abandon.is_cancelled() => break Err(e),
            Err(e) => {
                tracing::error!(error = %e, "a batch failed; its partitions are loaded again from the store");
                readiness.set_not_ready(format!("a batch failed: {e}"));
                processor.unload_all();
                // The records are re-read from the stored offsets.
                for p in &assigned {
                    let next = processor.ensure_loaded(*p).await.unwrap_or(0);
                    let _ = consumer.seek(&topic, *p, Offset::Offset(next), Duration::from_secs(5));
                }
            }
        }
    };
    consumer.unsubscribe();
    tracing::info!("catalog builder stopped");
    result
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebuildSummary {
    /// Records read from the offerings topic.
    pub records: u64,
    /// Live entries after the rebuild.
    pub entries: u64,
    /// Entries of the old catalogue that are gone (tombstoned).
    pub removed: u64,
}

/// `learncity catalog rebuild`: forgets the store's sources, reads the offerings topic from its
/// start to its end, publishes every entry again and a tombstone for each former entry that is
/// gone. Run it with the builders stopped.
pub async fn rebuild(
    config: &learncity_config::Config,
    store: Arc<dyn learncity_store::CatalogStore>,
    shutdown: CancellationToken,
) -> Result<RebuildSummary, BuildError> {
    let kafka = &config.kafka;
    let abandon = abandon_after(&shutdown, config.catalog.shutdown_timeout);
    let producer = Producer::new(kafka).map_err(BuildError::Bus)?;
    let topic = kafka.offerings_topic.clone();
    let partitions = producer.partition_count(&topic).await.map_err(BuildError::Bus)?;
    let mut processor =
        Processor::new(store.clone(), Arc::new(producer.clone()), rules(config), &topic, &kafka.dead_letter_topic);
    processor.publish_outbox(&abandon).await?;
    let restored = restore_decisions(kafka, &producer, store.as_ref(), &shutdown).await?;
    if restored > 0 {
        tracing::info!(decisions = restored, "operators' decisions restored from the curation topic");
    }
    processor.refresh_curation(&abandon).await?;
    let before: BTreeSet<String> = store.reset("rebuilt").await.map_err(BuildError::Store)?.into_iter().collect();
    tracing::info!(entries = before.len(), "store reset; reading the offerings topic from its start");

    let consumer: StreamConsumer<learncity_bus::QuietLog> =
        learncity_bus::consumer_config(kafka, &config.catalog.group_id)
            .set("fetch.wait.max.ms", "100")
            .create_with_context(learncity_bus::QuietLog::default())
            .map_err(|source| {
                BuildError::Bus(learncity_bus::BusError::Client {
                    what: "rebuild consumer",
                    brokers: kafka.brokers.clone(),
                    source,
                })
            })?;
    let mut ends = Vec::new();
    let mut assignment = TopicPartitionList::new();
    for p in 0..partitions {
        let (low, high) = consumer
            .fetch_watermarks(&topic, p, Duration::from_secs(10))
            .map_err(|e| BuildError::Group(format!("cannot read the watermarks of {topic}/{p}: {e}")))?;
        if high > low {
            ends.push((p, high));
            let _ = assignment.add_partition_offset(&topic, p, Offset::Beginning);
        }
    }
    let mut summary = RebuildSummary::default();
    if !ends.is_empty() {
        consumer.assign(&assignment).map_err(|e| BuildError::Group(format!("cannot assign {topic}: {e}")))?;
    }
    let mut remaining: BTreeSet<i32> = ends.iter().map(|(p, _)| *p).collect();
    let end_of = |p: i32| ends.iter().find(|(q, _)| *q == p).map_or(0, |(_, h)| *h);
    while !remaining.is_empty() {
        let mut batch = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
        while batch.len() < 2000 {
            tokio::select! {
                () = shutdown.cancelled() => return Err(BuildError::Group("rebuild interrupted; run it again".into())),
                m = tokio::time::timeout_at(deadline, consumer.recv()) => match m {
                    Ok(Ok(m)) => {
                        let r = in_record(&m);
                        if r.offset + 1 >= end_of(r.partition) {
                            remaining.remove(&r.partition);
                        }
                        if r.offset < end_of(r.partition) {
                            batch.push(r);
                        }
                    }
                    Ok(Err(e)) => tracing::warn!(error = %e, "consumer error (retrying)"),
                    Err(_) => break,
                },
            }
        }
        summary.records += batch.len() as u64;
        processor.apply(batch, chrono::Utc::now(), &abandon).await?;
    }
    // Tombstones for the former entries that are gone.
    let after: BTreeSet<String> =
        processor.store().entries().await.map_err(BuildError::Store)?.into_iter().map(|e| e.id).collect();
    let gone: Vec<&String> = before.difference(&after).collect();
    let changes = learncity_store::Changeset {
        outbox: gone
            .iter()
            .map(|id| crate::state::tombstone(&config.kafka.catalog_topic, id, "rebuilt", None))
            .collect(),
        ..Default::default()
    };
    if !changes.is_empty() {
        processor.store().apply(&changes).await.map_err(BuildError::Store)?;
        processor.publish_outbox(&abandon).await?;
    }
    summary.entries = after.len() as u64;
    summary.removed = gone.len() as u64;
    // Park the group at the end so the daemon resumes there (it would skip what the store has
    // applied anyway).
    let mut commit = TopicPartitionList::new();
    for (p, high) in &ends {
        let _ = commit.add_partition_offset(&topic, *p, Offset::Offset(*high));
    }
    if commit.count() > 0
        && let Err(e) = consumer.commit(&commit, CommitMode::Sync)
    {
        tracing::warn!(error = %e, "cannot commit the group's offsets after the rebuild (the store has them)");
    }
    Ok(summary)
}
