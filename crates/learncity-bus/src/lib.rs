//! # learncity-bus: the transport between the stages
//!
//! [`Publish`] is what the stages publish through: Kafka ([`Producer`]) in cluster mode, the
//! in-process [`local::LocalBus`] in the standalone mode.
//!
//! - [`KafkaSettings`]: the `[kafka]` section — brokers, topic names, partitions, replication,
//!   extra librdkafka properties;
//! - [`topics`]: `learncity topics ensure` — creates every topic with its partitions,
//!   replication factor and cleanup policy through the admin client (never broker
//!   auto-creation);
//! - [`producer`]: the idempotent producer (acks=all, compression, headers) whose
//!   [`producer::Producer::publish`] returns only when every record of a batch is acknowledged,
//!   re-sending what failed — a broker outage stalls publishing, it loses nothing;
//! - [`partition`]: Kafka's murmur2 partitioner and the partition key that keeps possible
//!   duplicates (one city) on one partition.

pub mod client_log;
pub mod local;
pub mod partition;
pub mod producer;
pub mod rejoin;
pub mod settings;
pub mod topics;

pub use client_log::QuietLog;
pub use local::LocalBus;
pub use producer::{OutRecord, Producer};

use tokio_util::sync::CancellationToken;

/// Where a stage publishes: the Kafka brokers ([`Producer`], cluster mode) or the in-process
/// bus ([`LocalBus`], `learncity run`). The stages hold a `dyn Publish` and never know which.
#[async_trait::async_trait]
pub trait Publish: Send + Sync {
    /// Publishes `records` in order and returns once every one is acknowledged (by the brokers,
    /// or by the in-process subscriber); gives up only when `cancel` fires
    /// ([`BusError::Cancelled`]) or the transport refuses them for good.
    async fn publish(&self, records: Vec<OutRecord>, cancel: &CancellationToken) -> Result<(), BusError>;
}

#[async_trait::async_trait]
impl Publish for Producer {
    async fn publish(&self, records: Vec<OutRecord>, cancel: &CancellationToken) -> Result<(), BusError> {
        Producer::publish(self, records, cancel).await
    }
}
pub use settings::KafkaSettings;

/// Failures of the Kafka transport; each says what failed against which brokers and what to do.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// A client could not be created (a bad property).
    #[error("cannot create the Kafka {what} for brokers {brokers}: {source}; check [kafka] brokers and properties")]
    Client {
        /// Producer, consumer or admin client.
        what: &'static str,
        /// `kafka.brokers`.
        brokers: String,
        /// librdkafka's error.
        source: rdkafka::error::KafkaError,
    },
    /// The brokers did not answer a metadata request.
    #[error("the Kafka brokers {brokers} do not answer ({detail}); is the cluster up and `kafka.brokers` right?")]
    Unreachable {
        /// `kafka.brokers`.
        brokers: String,
        /// What librdkafka said.
        detail: String,
    },
    /// A topic is missing.
    #[error("topic {topic} does not exist on {brokers}; create it with `learncity topics ensure`")]
    MissingTopic {
        /// The topic.
        topic: String,
        /// `kafka.brokers`.
        brokers: String,
    },
    /// Creating a topic failed.
    #[error("cannot create topic {topic}: {detail}")]
    CreateTopic {
        /// The topic.
        topic: String,
        /// The broker's answer.
        detail: String,
    },
    /// The in-process bus could not deliver (standalone mode).
    #[error("the in-process bus could not deliver to {topic}: {detail}; the work that produced the records is redone")]
    Local {
        /// The topic.
        topic: String,
        /// Why.
        detail: String,
    },
    /// Publishing was abandoned because the daemon is shutting down.
    #[error(
        "publishing to {topic} was abandoned at shutdown with {pending} records unacknowledged; the work that produced them is redone after the restart"
    )]
    Cancelled {
        /// The topic.
        topic: String,
        /// Records not acknowledged.
        pending: usize,
    },
}

/// Runs a blocking librdkafka call on the blocking pool.
pub(crate) async fn off_runtime<T: Send + 'static>(
    brokers: &str,
    call: impl FnOnce() -> Result<T, BusError> + Send + 'static,
) -> Result<T, BusError> {
    tokio::task::spawn_blocking(call).await.map_err(|e| BusError::Unreachable {
        brokers: brokers.to_owned(),
        detail: format!("the client call failed: {e}"),
    })?
}

/// A consumer configuration in `group`: offsets are never committed nor stored automatically
/// (the daemons decide what is processed).
pub fn consumer_config(settings: &KafkaSettings, group: &str) -> rdkafka::ClientConfig {
    let mut config = client_config(settings);
    config.set("group.id", group).set("enable.auto.commit", "false").set("enable.auto.offset.store", "false");
    config
}

/// The configuration of a consumer that is a member of `group` with partitions assigned by the
/// group (the builder, the collector): [`consumer_config`] with the group-membership defaults —
/// a killed member is replaced after `session.timeout.ms` (10 s), heartbeats every 3 s — and
/// `extra` defaults, each unless `[kafka.properties]` sets it (a slow broker may need a longer
/// session). A session timeout set without a heartbeat interval gets heartbeats at a third of it.
pub fn group_member_config(settings: &KafkaSettings, group: &str, extra: &[(&str, &str)]) -> rdkafka::ClientConfig {
    let mut config = consumer_config(settings, group);
    let heartbeat = match settings.properties.get("session.timeout.ms").map(|ms| ms.trim().parse::<u64>()) {
        Some(Ok(session_ms)) => (session_ms / 3).max(1).to_string(),
        _ => "3000".to_owned(),
    };
    let defaults = [("session.timeout.ms", "10000"), ("heartbeat.interval.ms", heartbeat.as_str())];
    for (key, value) in defaults.iter().chain(extra) {
        if !settings.properties.contains_key(*key) {
            config.set(*key, *value);
        }
    }
    config
}

/// A librdkafka client configuration with the brokers, client id and extra properties of
/// `settings`.
pub fn client_config(settings: &KafkaSettings) -> rdkafka::ClientConfig {
    let mut config = rdkafka::ClientConfig::new();
    config.set("bootstrap.servers", &settings.brokers).set("client.id", &settings.client_id);
    for (key, value) in &settings.properties {
        config.set(key, value);
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_members_get_defaults_that_the_properties_override() {
        let get = |config: &rdkafka::ClientConfig, key: &str| config.get(key).map(str::to_owned);
        let settings = KafkaSettings::default();
        let config = group_member_config(&settings, "g", &[("fetch.wait.max.ms", "100")]);
        assert_eq!(get(&config, "session.timeout.ms").as_deref(), Some("10000"));
        assert_eq!(get(&config, "heartbeat.interval.ms").as_deref(), Some("3000"));
        assert_eq!(get(&config, "fetch.wait.max.ms").as_deref(), Some("100"));
        assert_eq!(get(&config, "group.id").as_deref(), Some("g"));

        // A session set alone gets heartbeats at a third of it; both set are kept as they are.
        let mut settings = KafkaSettings::default();
        settings.properties.insert("session.timeout.ms".into(), "60000".into());
        let config = group_member_config(&settings, "g", &[]);
        assert_eq!(get(&config, "session.timeout.ms").as_deref(), Some("60000"));
        assert_eq!(get(&config, "heartbeat.interval.ms").as_deref(), Some("20000"));
        settings.properties.insert("heartbeat.interval.ms".into(), "500".into());
        assert_eq!(get(&group_member_config(&settings, "g", &[]), "heartbeat.interval.ms").as_deref(), Some("500"));
    }
}
