//! The builder of the standalone mode (`learncity run`): the same [`Processor`] as the daemon,
//! fed by the in-process bus instead of a Kafka consumer group.
//!
//! Each delivery (one collector run's events) becomes one batch and one store transaction; the
//! delivery is acknowledged only after that transaction committed, so the collector stores its
//! fetch state only once its records are in the catalogue. Offsets are the builder's own: the
//! next offset of a partition is the one the store holds, so a restart continues the sequence
//! and nothing applied is applied twice.

use std::sync::Arc;

use learncity_bus::local::Delivery;
use learncity_bus::{LocalBus, OutRecord};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::BuildError;
use crate::daemon::{abandon_after, rules};
use crate::processor::{InRecord, Processor, REPLAY_POLL};

/// Runs the standalone builder until `shutdown`: applies every delivery on the offerings topic
/// of `bus` (subscribed by the caller, `deliveries`), sweeps expired offerings every
/// `catalog.expiry-interval`, publishes catalog records back through `bus`, and takes the
/// providers' rules sent on `providers` (the provider files read again) without a restart.
pub async fn run(
    config: &learncity_config::Config,
    store: Arc<dyn learncity_store::CatalogStore>,
    bus: Arc<LocalBus>,
    mut deliveries: mpsc::Receiver<Delivery>,
    mut providers: tokio::sync::watch::Receiver<crate::Providers>,
    shutdown: CancellationToken,
) -> Result<(), BuildError> {
    let settings = &config.catalog;
    let kafka = &config.kafka;
    let abandon = abandon_after(&shutdown, settings.shutdown_timeout);
    let mut processor = Processor::new(store, bus, rules(config), &kafka.offerings_topic, &kafka.dead_letter_topic);
    processor.publish_outbox(&abandon).await?;
    processor.refresh_curation(&abandon).await?;
    // The whole catalogue is this builder's: held from the start, so expiry and changed rules
    // reach it before any new record does.
    processor.load_stored(&abandon).await?;
    let mut expiry = tokio::time::interval(settings.expiry_interval);
    expiry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut replays = tokio::time::interval(REPLAY_POLL);
    replays.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(store = %processor.store().describe(), "catalog builder running (in-process)");
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            _ = expiry.tick() => match processor.expire(chrono::Utc::now(), &abandon).await {
                Ok(stats) if stats.expirations > 0 => tracing::info!(expired = stats.expirations, "offerings expired"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "expiry sweep failed"),
            },
            Ok(()) = providers.changed() => {
                let now = providers.borrow_and_update().clone();
                if let Err(e) = processor.set_providers(now, &abandon).await {
                    tracing::error!(error = %e, "cannot compute again the entries of providers whose rules changed; loading again");
                    processor.unload_all();
                }
            }
            _ = replays.tick() => {
                if let Err(e) = processor.refresh_curation(&abandon).await {
                    tracing::error!(error = %e, "cannot apply the operators' decisions; trying again");
                    processor.unload_all();
                }
                if let Err(e) = replay(&mut processor, &abandon).await {
                    tracing::error!(error = %e, "cannot replay dead letters; trying again");
                    processor.unload_all();
                }
            },
            delivery = deliveries.recv() => {
                let Some(Delivery { records, ack }) = delivery else { break };
                let started = std::time::Instant::now();
                let count = records.len();
                let result = match in_records(&mut processor, records).await {
                    Ok(batch) => processor.apply(batch, chrono::Utc::now(), &abandon).await.map(|_| ()),
                    Err(e) => Err(e),
                };
                if let Err(e) = &result {
                    // The memory may be ahead of the store: load it again before the next batch.
                    tracing::error!(error = %e, records = count, "a batch failed; the collector fetches it again");
                    processor.unload_all();
                } else {
                    metrics::histogram!("learncity_catalog_batch_seconds").record(started.elapsed().as_secs_f64());
                    metrics::gauge!("learncity_catalog_entries").set(processor.entry_count() as f64);
                }
                // The publisher may have given up waiting (shutdown): nothing to tell it then.
                let _ = ack.send(result.map_err(|e| e.to_string()));
            }
        }
    }
    tracing::info!("catalog builder stopped");
    Ok(())
}

/// Applies the dead letters an operator asked to replay (`learncity dead-letters replay`) as
/// records read now, then forgets them (applying one twice changes nothing).
async fn replay(processor: &mut Processor, abandon: &CancellationToken) -> Result<(), BuildError> {
    let replays = processor.replay_requests(|_| true).await?;
    if replays.is_empty() {
        return Ok(());
    }
    let (ids, records): (Vec<i64>, Vec<OutRecord>) = replays.into_iter().unzip();
    let batch = in_records(processor, records).await?;
    let outcome = processor.apply(batch, chrono::Utc::now(), abandon).await?;
    processor.store().forget_dead_letters(&ids).await.map_err(BuildError::Store)?;
    tracing::info!(records = ids.len(), dead_letters = outcome.dead_letters, "dead letters replayed");
    Ok(())
}

/// Numbers `records` after the offsets the store holds for their partitions.
async fn in_records(processor: &mut Processor, records: Vec<OutRecord>) -> Result<Vec<InRecord>, BuildError> {
    let mut next = std::collections::HashMap::new();
    let mut batch = Vec::with_capacity(records.len());
    for r in records {
        let partition = r.partition.unwrap_or(0);
        if let std::collections::hash_map::Entry::Vacant(slot) = next.entry(partition) {
            slot.insert(processor.ensure_loaded(partition).await.map_err(BuildError::Store)?);
        }
        let offset = next.get_mut(&partition).expect("inserted above");
        batch.push(InRecord { partition, offset: *offset, key: Some(r.key), value: r.payload, headers: r.headers });
        *offset += 1;
    }
    Ok(batch)
}
