//! The in-process bus of the standalone mode (`learncity run`): the same [`Publish`] the stages
//! use in cluster mode, delivering to a task of the same process instead of Kafka.
//!
//! Delivery is a hand-off: [`LocalBus::publish`] returns once the subscriber of each topic has
//! processed the records and acknowledged them (for the offerings topic: once the catalog
//! builder's store transaction holding them committed). A publisher therefore stores its own
//! progress (the collector's fetch state) only after the records are safe, exactly as it does
//! after a Kafka acknowledgement; a crash in between makes it redo the work, never lose it.
//!
//! Records for a topic nobody subscribed to (the catalog topic when no downstream service runs
//! in-process) are counted (`learncity_bus_local_discarded_total{topic}`) and dropped: in the
//! standalone mode the store is the catalogue.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::{BusError, OutRecord, Publish};

/// Records handed to a subscriber, and how it acknowledges them.
#[derive(Debug)]
pub struct Delivery {
    /// The records, in publishing order.
    pub records: Vec<OutRecord>,
    /// Send `Ok(())` once they are processed, or why they could not be.
    pub ack: oneshot::Sender<Result<(), String>>,
}

/// The in-process bus: one subscriber per topic.
#[derive(Debug, Default)]
pub struct LocalBus {
    subscribers: Mutex<HashMap<String, mpsc::Sender<Delivery>>>,
}

impl LocalBus {
    /// A bus without subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Subscribes to `topic`: every later publish to it is delivered to the returned receiver
    /// (a second subscription replaces the first). `capacity` deliveries may wait.
    pub fn subscribe(&self, topic: &str, capacity: usize) -> mpsc::Receiver<Delivery> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        self.subscribers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(topic.to_owned(), tx);
        rx
    }

    fn subscriber(&self, topic: &str) -> Option<mpsc::Sender<Delivery>> {
        self.subscribers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(topic).cloned()
    }
}

#[async_trait::async_trait]
impl Publish for LocalBus {
    /// Hands each topic's records (in order, topic by topic as they first appear) to its
    /// subscriber and waits for the acknowledgement; fails when the subscriber is gone or
    /// refuses them, or when `cancel` fires first.
    async fn publish(&self, records: Vec<OutRecord>, cancel: &CancellationToken) -> Result<(), BusError> {
        let mut runs: Vec<(String, Vec<OutRecord>)> = Vec::new();
        for record in records {
            match runs.last_mut() {
                Some((topic, batch)) if *topic == record.topic => batch.push(record),
                _ => runs.push((record.topic.clone(), vec![record])),
            }
        }
        for (topic, batch) in runs {
            let Some(subscriber) = self.subscriber(&topic) else {
                metrics::counter!("learncity_bus_local_discarded_total", "topic" => topic.clone())
                    .increment(batch.len() as u64);
                continue;
            };
            let count = batch.len();
            let (ack, done) = oneshot::channel();
            let gone = |detail: &str| BusError::Local { topic: topic.clone(), detail: detail.to_owned() };
            tokio::select! {
                sent = subscriber.send(Delivery { records: batch, ack }) => {
                    sent.map_err(|_| gone("its subscriber has stopped"))?;
                }
                () = cancel.cancelled() => return Err(BusError::Cancelled { topic, pending: count }),
            }
            tokio::select! {
                answer = done => match answer {
                    Ok(Ok(())) => {
                        metrics::counter!("learncity_bus_records_total", "topic" => topic.clone()).increment(count as u64);
                    }
                    Ok(Err(why)) => return Err(gone(&why)),
                    Err(_) => return Err(gone("its subscriber stopped before acknowledging")),
                },
                () = cancel.cancelled() => return Err(BusError::Cancelled { topic, pending: count }),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(topic: &str, key: &str) -> OutRecord {
        OutRecord::new(topic, key, Some(b"{}".to_vec()))
    }

    #[tokio::test]
    async fn publish_returns_after_the_subscriber_acknowledges_in_order() {
        let bus = std::sync::Arc::new(LocalBus::new());
        let mut rx = bus.subscribe("offerings", 4);
        let seen = tokio::spawn(async move {
            let mut keys = Vec::new();
            while let Some(d) = rx.recv().await {
                keys.extend(d.records.iter().map(|r| String::from_utf8(r.key.clone()).unwrap()));
                d.ack.send(Ok(())).unwrap();
            }
            keys
        });
        let cancel = CancellationToken::new();
        let records = vec![record("offerings", "a"), record("catalog", "x"), record("offerings", "b")];
        bus.publish(records, &cancel).await.unwrap();
        bus.publish(vec![record("offerings", "c")], &cancel).await.unwrap();
        drop(bus);
        assert_eq!(seen.await.unwrap(), ["a", "b", "c"]);
    }

    #[tokio::test]
    async fn a_refusal_or_a_missing_subscriber_is_an_error_naming_the_topic() {
        let bus = LocalBus::new();
        let mut rx = bus.subscribe("offerings", 1);
        tokio::spawn(async move {
            let d = rx.recv().await.unwrap();
            d.ack.send(Err("the store is read-only".into())).unwrap();
        });
        let cancel = CancellationToken::new();
        let err = bus.publish(vec![record("offerings", "a")], &cancel).await.unwrap_err().to_string();
        assert!(err.contains("offerings") && err.contains("the store is read-only"), "{err}");
        let err = bus.publish(vec![record("offerings", "b")], &cancel).await.unwrap_err().to_string();
        assert!(err.contains("subscriber has stopped"), "{err}");
    }

    #[tokio::test]
    async fn cancel_gives_up_waiting_for_the_acknowledgement() {
        let bus = LocalBus::new();
        let _rx = bus.subscribe("offerings", 1);
        let cancel = CancellationToken::new();
        cancel.cancel();
        let err = bus.publish(vec![record("offerings", "a")], &cancel).await.unwrap_err();
        assert!(matches!(err, BusError::Cancelled { pending: 1, .. }), "{err}");
    }
}
