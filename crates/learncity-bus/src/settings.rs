//! `[kafka]`: brokers, topic names and layout, extra client properties.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

/// `[kafka]` of the main config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct KafkaSettings {
    /// Bootstrap brokers, `host:port[,host:port...]`.
    pub brokers: String,
    /// Client id prefix shown in broker logs.
    pub client_id: String,
    /// Offering events (`upsert`, `snapshot`), keyed `{provider_id}/{source_id}`; compacted.
    pub offerings_topic: String,
    /// The catalogue (one record per entry, tombstones on removal); compacted.
    pub catalog_topic: String,
    /// The provider registry, one record per provider; compacted. Collector instances join a
    /// consumer group on it: a provider belongs to the instance that holds its partition.
    pub providers_topic: String,
    /// The collectors' fetch state per provider (validators, hashes, next fetch, health);
    /// compacted. Survives restarts and moves with a provider to another instance.
    pub collector_state_topic: String,
    /// Records a stage could not process, with the reason in headers.
    pub dead_letter_topic: String,
    /// Operators' curation decisions (`learncity curate`), keyed by decision id; compacted.
    pub curation_topic: String,
    /// Partitions of every topic created by `topics ensure`.
    pub partitions: i32,
    /// Replication factor of every topic created by `topics ensure` (3 in production).
    pub replication_factor: i32,
    /// `compression.type` of the producer: none, gzip, snappy, lz4 or zstd.
    pub compression: String,
    /// How long librdkafka keeps trying to deliver one record before reporting a failure
    /// (the producer then sends it again, so nothing is lost; this only bounds one attempt).
    #[serde(with = "humantime_serde")]
    pub delivery_timeout: Duration,
    /// Retention of the dead-letter topic.
    #[serde(with = "humantime_serde")]
    pub dead_letter_retention: Duration,
    /// Idempotent producer (`enable.idempotence`): retries never duplicate or reorder records.
    /// Turn it off only for brokers whose idempotence is broken (Tansu 0.6 stops serving when an
    /// idempotent producer writes again after the broker restarted); the producer then sends one
    /// request at a time per connection, so order is kept and a retry may duplicate a record,
    /// which every consumer of learncity's topics absorbs (upserts are idempotent).
    pub idempotence: bool,
    /// Re-join the consumer group once after a rebalance that left a member exactly the
    /// partitions it held, short of all of them (`learncity_bus::rejoin`). Off by default: a
    /// correct Kafka broker reassigns a crashed member's partitions itself. Turn it on only for
    /// Tansu 0.6, whose coordinator keeps the survivors' old assignment after evicting a crashed
    /// member, so the crashed member's partitions would stay unserved.
    pub rejoin_unchanged_assignment: bool,
    /// Extra librdkafka properties for every client (`"security.protocol" = "SASL_SSL"`, ...).
    pub properties: BTreeMap<String, String>,
}

impl Default for KafkaSettings {
    fn default() -> Self {
        Self {
            brokers: "127.0.0.1:9092".to_owned(),
            client_id: "learncity".to_owned(),
            offerings_topic: "learncity.offerings".to_owned(),
            catalog_topic: "learncity.catalog".to_owned(),
            providers_topic: "learncity.providers".to_owned(),
            collector_state_topic: "learncity.collector-state".to_owned(),
            dead_letter_topic: "learncity.dead-letter".to_owned(),
            curation_topic: "learncity.curation".to_owned(),
            partitions: 12,
            replication_factor: 1,
            compression: "lz4".to_owned(),
            delivery_timeout: Duration::from_secs(120),
            dead_letter_retention: Duration::from_secs(14 * 24 * 3600),
            idempotence: true,
            rejoin_unchanged_assignment: false,
            properties: BTreeMap::new(),
        }
    }
}

/// Properties the daemons set themselves; overriding them would break delivery guarantees.
const RESERVED: &[&str] = &[
    "bootstrap.servers",
    "enable.idempotence",
    "acks",
    "group.id",
    "enable.auto.commit",
    "enable.auto.offset.store",
    "max.in.flight.requests.per.connection",
];

impl KafkaSettings {
    /// Every mistake in the values (all of them, not only the first), each as `field: message`
    /// with the kebab-case field name, e.g. "jitter: 3 must be between 0 and 1".
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.brokers.split(',').any(|b| {
            let b = b.trim();
            b.rsplit_once(':').is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err())
        }) {
            problems.push(format!("brokers: `{}` must be host:port[,host:port...]", self.brokers));
        }
        for (field, topic) in [
            ("offerings-topic", &self.offerings_topic),
            ("catalog-topic", &self.catalog_topic),
            ("providers-topic", &self.providers_topic),
            ("collector-state-topic", &self.collector_state_topic),
            ("dead-letter-topic", &self.dead_letter_topic),
            ("curation-topic", &self.curation_topic),
        ] {
            if topic.is_empty()
                || topic.len() > 249
                || !topic.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            {
                problems.push(format!("{field}: `{topic}` is not a valid topic name (1-249 of a-z A-Z 0-9 . _ -)"));
            }
        }
        if !(1..=10_000).contains(&self.partitions) {
            problems.push(format!("partitions: {} must be between 1 and 10000", self.partitions));
        }
        if !(1..=16).contains(&self.replication_factor) {
            problems.push(format!("replication-factor: {} must be between 1 and 16", self.replication_factor));
        }
        if !matches!(self.compression.as_str(), "none" | "gzip" | "snappy" | "lz4" | "zstd") {
            problems.push(format!("compression: `{}` must be none, gzip, snappy, lz4 or zstd", self.compression));
        }
        if self.delivery_timeout < Duration::from_secs(1) {
            problems.push("delivery-timeout: must be at least 1s".to_owned());
        }
        if let Some(key) = self.properties.keys().find(|k| RESERVED.contains(&k.as_str())) {
            problems.push(format!("properties: `{key}` is set by learncity itself and cannot be overridden"));
        }
        problems
    }

    /// The first of [`Self::problems`], if any.
    pub fn validate(&self) -> Result<(), String> {
        self.problems().into_iter().next().map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_mistakes_name_the_field() {
        assert_eq!(KafkaSettings::default().validate(), Ok(()));
        let bad = KafkaSettings { brokers: "kafka".into(), ..Default::default() };
        assert!(bad.validate().unwrap_err().starts_with("brokers:"));
        let bad = KafkaSettings { catalog_topic: "a b".into(), ..Default::default() };
        assert!(bad.validate().unwrap_err().starts_with("catalog-topic:"));
        let bad = KafkaSettings { partitions: 0, ..Default::default() };
        assert!(bad.validate().unwrap_err().starts_with("partitions:"));
        let bad = KafkaSettings { compression: "brotli".into(), ..Default::default() };
        assert!(bad.validate().unwrap_err().starts_with("compression:"));
        let mut props = BTreeMap::new();
        props.insert("acks".to_owned(), "1".to_owned());
        let bad = KafkaSettings { properties: props, ..Default::default() };
        assert!(bad.validate().unwrap_err().starts_with("properties: `acks`"));
        let ok = KafkaSettings { brokers: "k1:9092, k2:9093".into(), ..Default::default() };
        assert_eq!(ok.validate(), Ok(()));
    }
}
