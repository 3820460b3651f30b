//! The producer every stage publishes through: idempotent (`enable.idempotence`, `acks=all`),
//! compressed, and patient — [`Producer::publish`] returns once every record of the batch is
//! acknowledged by the brokers, sending again whatever failed (a broker outage stalls it; it
//! never drops a record), and gives up only when the daemon shuts down.

use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};

use crate::QuietLog;
use tokio_util::sync::CancellationToken;

use crate::{BusError, KafkaSettings, client_config};

/// One record to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutRecord {
    /// Destination topic.
    pub topic: String,
    /// Explicit partition; `None` lets the partitioner hash the key.
    pub partition: Option<i32>,
    /// Record key (bytes: a dead letter keeps the key it came with, UTF-8 or not).
    pub key: Vec<u8>,
    /// Value; `None` is a tombstone.
    pub payload: Option<Vec<u8>>,
    /// Headers, in order.
    pub headers: Vec<(String, Vec<u8>)>,
}

impl OutRecord {
    /// A record for `topic` with `key` and `payload`, no headers, partitioned by its key.
    pub fn new(topic: impl Into<String>, key: impl Into<Vec<u8>>, payload: Option<Vec<u8>>) -> Self {
        Self { topic: topic.into(), partition: None, key: key.into(), payload, headers: Vec::new() }
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets the partition.
    #[must_use]
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }
}

/// The idempotent producer.
#[derive(Clone)]
pub struct Producer {
    inner: FutureProducer<QuietLog>,
    brokers: String,
}

impl Producer {
    /// Creates the producer (no connection is made until the first request).
    pub fn new(settings: &KafkaSettings) -> Result<Self, BusError> {
        let mut config = client_config(settings);
        config
            .set("enable.idempotence", if settings.idempotence { "true" } else { "false" })
            .set("acks", "all")
            .set("compression.type", &settings.compression)
            .set("linger.ms", "20")
            .set("message.timeout.ms", settings.delivery_timeout.as_millis().to_string());
        if !settings.idempotence {
            config.set("max.in.flight.requests.per.connection", "1");
        }
        let inner: FutureProducer<QuietLog> = config
            .create_with_context(QuietLog::default())
            .map_err(|source| BusError::Client { what: "producer", brokers: settings.brokers.clone(), source })?;
        Ok(Self { inner, brokers: settings.brokers.clone() })
    }

    /// The underlying rdkafka producer.
    pub fn rdkafka(&self) -> &FutureProducer<QuietLog> {
        &self.inner
    }

    /// Asks the brokers for metadata: `Ok` when they answer within `timeout`.
    pub async fn check_reachable(&self, timeout: Duration) -> Result<(), BusError> {
        let inner = self.inner.clone();
        let brokers = self.brokers.clone();
        crate::off_runtime(&self.brokers, move || {
            inner
                .client()
                .fetch_metadata(None, timeout)
                .map(|_| ())
                .map_err(|e| BusError::Unreachable { brokers, detail: e.to_string() })
        })
        .await
    }

    /// The partition count of `topic` (fails with [`BusError::MissingTopic`] when it does not exist).
    pub async fn partition_count(&self, topic: &str) -> Result<i32, BusError> {
        let inner = self.inner.clone();
        let brokers = self.brokers.clone();
        let topic = topic.to_owned();
        crate::off_runtime(&self.brokers, move || crate::topics::partition_count(inner.client(), &brokers, &topic))
            .await
    }

    /// Publishes `records` and waits until the brokers acknowledged every one; what fails is
    /// sent again with backoff (0.5 s doubling to 30 s) until it succeeds or `cancel` fires.
    /// Order is kept: after a failure, every record from the first failed one on is sent again
    /// (a record acknowledged in between may then arrive twice).
    pub async fn publish(&self, records: Vec<OutRecord>, cancel: &CancellationToken) -> Result<(), BusError> {
        let mut pending = records;
        let mut attempt: u32 = 0;
        while !pending.is_empty() {
            let started = Instant::now();
            let mut deliveries = Vec::with_capacity(pending.len());
            for record in &pending {
                deliveries.push(self.enqueue(record, cancel).await);
            }
            let mut failed = Vec::new();
            let mut last_error = None;
            for (record, delivery) in pending.into_iter().zip(deliveries) {
                let result = match delivery {
                    Ok(future) => tokio::select! {
                        r = future => match r {
                            Ok(Ok(_)) => Ok(()),
                            Ok(Err((e, _))) => Err(e.to_string()),
                            Err(_) => Err("the producer dropped the delivery report".to_owned()),
                        },
                        () = cancel.cancelled() => Err("shutting down".to_owned()),
                    },
                    Err(e) => Err(e),
                };
                match result {
                    Ok(()) => {
                        metrics::counter!("learncity_bus_records_total", "topic" => record.topic.clone()).increment(1);
                        metrics::histogram!("learncity_bus_publish_seconds", "topic" => record.topic.clone())
                            .record(started.elapsed().as_secs_f64());
                    }
                    Err(e) => {
                        metrics::counter!("learncity_bus_publish_errors_total", "topic" => record.topic.clone())
                            .increment(1);
                        last_error = Some(e);
                        failed.push(record);
                        continue;
                    }
                }
                // Everything after the first failure is sent again, in order, so a later record
                // (a snapshot) never lands before an earlier one (its upserts).
                if !failed.is_empty() {
                    failed.push(record);
                }
            }
            if failed.is_empty() {
                return Ok(());
            }
            if cancel.is_cancelled() {
                return Err(BusError::Cancelled { topic: failed[0].topic.clone(), pending: failed.len() });
            }
            attempt += 1;
            let delay = Duration::from_millis(500u64.saturating_mul(1 << attempt.min(6))).min(Duration::from_secs(30));
            tracing::warn!(
                brokers = %self.brokers,
                failed = failed.len(),
                attempt,
                error = last_error.as_deref().unwrap_or(""),
                "records not acknowledged; sending them again in {delay:?}"
            );
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = cancel.cancelled() => {
                    return Err(BusError::Cancelled { topic: failed[0].topic.clone(), pending: failed.len() });
                }
            }
            pending = failed;
        }
        Ok(())
    }

    /// Puts one record on the producer's queue, waiting while the queue is full.
    async fn enqueue(
        &self,
        record: &OutRecord,
        cancel: &CancellationToken,
    ) -> Result<rdkafka::producer::DeliveryFuture, String> {
        loop {
            let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
            for (key, value) in &record.headers {
                headers = headers.insert(Header { key, value: Some(value.as_slice()) });
            }
            let mut fr: FutureRecord<'_, [u8], [u8]> =
                FutureRecord::to(&record.topic).key(record.key.as_slice()).headers(headers);
            if let Some(payload) = &record.payload {
                fr = fr.payload(payload.as_slice());
            }
            if let Some(p) = record.partition {
                fr = fr.partition(p);
            }
            match self.inner.send_result(fr) {
                Ok(future) => return Ok(future),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) if !cancel.is_cancelled() => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err((e, _)) => return Err(e.to_string()),
            }
        }
    }

    /// Waits up to `timeout` for every queued record to be delivered (at shutdown).
    pub async fn flush(&self, timeout: Duration) -> Result<(), BusError> {
        let inner = self.inner.clone();
        let brokers = self.brokers.clone();
        crate::off_runtime(&self.brokers, move || {
            inner.flush(timeout).map_err(|e| BusError::Unreachable { brokers, detail: format!("flush: {e}") })
        })
        .await
    }
}
