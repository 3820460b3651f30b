//! A real Kafka-API broker for tests (Tansu with its sqlite storage engine, started by
//! `scripts/kafka-up`), plus helpers to create topics and read them back.
//!
//! Tests never skip: when no broker answers, [`Broker::shared`] panics with what failed, the
//! script's output and how to fix it.
//!
//! What was checked against Tansu 0.6.0 (sqlite engine) with rdkafka 0.39:
//! - `AdminClient::create_topics` with config pairs (`cleanup.policy=compact`) works; the topic is
//!   visible in metadata shortly after, so [`create_topic`] polls metadata until it shows the topic
//!   with all its partitions.
//! - A consumer that `assign`s partitions at `Offset::Beginning` (never subscribing, committing
//!   nothing) reads them; it needs a `group.id` all the same (see `assigned_consumer`).
//! - `fetch_watermarks` reports real high watermarks (the memory engine does not: never use it), and
//!   `enable.partition.eof` signals the end of a partition.
//! - Stopping the broker (TERM) and starting it again on the same data dir keeps topics, records and
//!   offsets (tested by `private_broker_keeps_topics_and_records_across_restarts_and_is_wiped_on_drop`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use crate::repo_root;

/// The environment variable naming an already running broker (`host:port`) for the tests.
pub const TEST_KAFKA_ENV: &str = "LEARNCITY_TEST_KAFKA";

/// The port of the shared test broker started by `scripts/kafka-up`.
pub const SHARED_PORT: u16 = 9092;

/// A broker the tests talk to.
///
/// [`Broker::shared`] is the one all tests use (never stopped by the testkit);
/// [`Broker::start_private`] runs one on its own port and data dir for tests that stop and restart it
/// (it is stopped and its data wiped when dropped).
#[derive(Debug)]
pub struct Broker {
    /// `host:port` for `bootstrap.servers`.
    pub bootstrap: String,
    pub port: u16,
    /// The broker's data dir (empty for an external broker named by `LEARNCITY_TEST_KAFKA`).
    pub data_dir: PathBuf,
    owned: bool,
}

impl Broker {
    /// The shared broker for tests: `LEARNCITY_TEST_KAFKA` (`host:port`) when set, else the one
    /// `scripts/kafka-up` runs on port 9092 (started once per test process; kept running afterwards).
    ///
    /// Panics with a clear message (what failed, the script's output, how to fix) when no broker
    /// answers: tests never skip.
    pub fn shared() -> Broker {
        if let Ok(bootstrap) = std::env::var(TEST_KAFKA_ENV) {
            let bootstrap = bootstrap.trim().to_string();
            let port = bootstrap
                .rsplit_once(':')
                .and_then(|(_, p)| p.parse().ok())
                .unwrap_or_else(|| panic!("{TEST_KAFKA_ENV}={bootstrap:?} is not host:port (e.g. 127.0.0.1:9092)"));
            return Broker { bootstrap, port, data_dir: PathBuf::new(), owned: false };
        }
        static STARTED: OnceLock<Result<(), String>> = OnceLock::new();
        let data_dir = repo_root().join("target/tansu").join(SHARED_PORT.to_string());
        let started = STARTED.get_or_init(|| kafka_up(SHARED_PORT, &data_dir));
        if let Err(message) = started {
            panic!("{message}");
        }
        Broker { bootstrap: format!("127.0.0.1:{SHARED_PORT}"), port: SHARED_PORT, data_dir, owned: false }
    }

    /// A private broker on its own port and a fresh data dir (under `target/tansu/`), for tests that
    /// stop and restart it: `scripts/kafka-up --port P --data D`. Stopped and wiped on drop.
    ///
    /// Pick the port with [`free_port`]. Panics when it does not come up.
    pub fn start_private(port: u16) -> Broker {
        let parent = repo_root().join("target/tansu");
        std::fs::create_dir_all(&parent).unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        let data_dir = tempfile::Builder::new()
            .prefix(&format!("private-{port}-"))
            .tempdir_in(&parent)
            .unwrap_or_else(|e| panic!("cannot create a data dir under {}: {e}", parent.display()))
            .keep();
        let broker = Broker { bootstrap: format!("127.0.0.1:{port}"), port, data_dir, owned: true };
        // On failure the panic drops `broker`, which runs kafka-down --wipe.
        broker.start();
        broker
    }

    /// Stops the broker (`scripts/kafka-down`); its data is kept for [`Broker::start`].
    pub fn stop(&self) {
        self.require_local("stop");
        if let Err(message) = run_script("kafka-down", self.port, &self.data_dir, &[]) {
            panic!("{message}");
        }
    }

    /// Starts the broker again with the same port and data (`scripts/kafka-up`) and waits until it
    /// answers a Kafka request. Does nothing but check when it already runs.
    pub fn start(&self) {
        self.require_local("start");
        if let Err(message) = kafka_up(self.port, &self.data_dir) {
            panic!("{message}");
        }
    }

    fn require_local(&self, what: &str) {
        if self.data_dir.as_os_str().is_empty() {
            panic!(
                "cannot {what} the external broker {} named by {TEST_KAFKA_ENV}: \
                 use Broker::start_private for tests that stop and start a broker",
                self.bootstrap
            );
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if self.owned
            && let Err(message) = run_script("kafka-down", self.port, &self.data_dir, &["--wipe"])
        {
            eprintln!("learncity-testkit: could not stop the private broker on port {}: {message}", self.port);
        }
    }
}

fn kafka_up(port: u16, data_dir: &Path) -> Result<(), String> {
    run_script("kafka-up", port, data_dir, &[]).map_err(|message| {
        format!(
            "{message}\n\nNo Kafka broker answers on 127.0.0.1:{port}; the Kafka tests cannot run (they never skip).\n\
             Fix: run `scripts/kafka-up --port {port} --data {data}` by hand and read its log \
             ({data}/tansu.log); it needs tansu (`cargo install tansu --version 0.6.0 --locked --features \
             dynostore,libsql,postgres`). Or point {TEST_KAFKA_ENV}=host:port at a running broker.",
            data = data_dir.display()
        )
    })
}

/// Runs `scripts/<name> --port P --data D [extra]`; Err carries the command and its output.
fn run_script(name: &str, port: u16, data_dir: &Path, extra: &[&str]) -> Result<(), String> {
    let script = repo_root().join("scripts").join(name);
    let mut command = Command::new(&script);
    command.arg("--port").arg(port.to_string()).arg("--data").arg(data_dir).args(extra);
    tracing::info!(?command, "learncity-testkit: running");
    let output = command.output().map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        tracing::info!(%stdout, %stderr, "learncity-testkit: {name} done");
        Ok(())
    } else {
        Err(format!("{command:?} failed ({}):\n--- stdout ---\n{stdout}--- stderr ---\n{stderr}", output.status))
    }
}

/// A free TCP port on 127.0.0.1 (bound then released), for [`Broker::start_private`].
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

/// A unique topic / group name for one test: `{prefix}-{pid}-{counter}-{nanos}`.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{counter}-{nanos}", std::process::id())
}

/// The `[kafka]` keys naming the broker, the client and every topic of a test town: topics
/// `{prefix}.offerings`, `.providers`, `.state`, `.dead-letter`, `.curation`, and `{catalog_prefix}.catalog`
/// (a test may give the catalog topic a prefix of its own), and the re-join workaround the test
/// broker (Tansu 0.6) needs (`rejoin-unchanged-assignment`). Lines to put under `[kafka]`.
pub fn kafka_names_toml(bootstrap: &str, prefix: &str, catalog_prefix: &str) -> String {
    format!(
        r#"brokers = "{bootstrap}"
client-id = "{prefix}"
offerings-topic = "{prefix}.offerings"
catalog-topic = "{catalog_prefix}.catalog"
providers-topic = "{prefix}.providers"
collector-state-topic = "{prefix}.state"
dead-letter-topic = "{prefix}.dead-letter"
curation-topic = "{prefix}.curation"
rejoin-unchanged-assignment = true"#
    )
}

/// A main file of the cluster mode for a test town: the provider files in the folder
/// `providers` beside it, the collector and the builder on free ports in consumer groups named
/// after `prefix`, the catalogue in `store`, the topics of [`kafka_names_toml`] on `bootstrap`
/// (three partitions, quick group timeouts), then `more` (other sections, e.g. `[serve]`).
pub fn cluster_main_toml(bootstrap: &str, prefix: &str, store: &str, more: &str) -> String {
    format!(
        r#"[collector]
providers = "providers"
listen = "127.0.0.1:{collector_port}"
group-id = "{prefix}-collectors"
[catalog]
store = "{store}"
listen = "127.0.0.1:{catalog_port}"
group-id = "{prefix}-builders"
[http]
contact-url = "https://learncity.example/contact"
per-host-delay = "0s"
[kafka]
{kafka}
partitions = 3
[kafka.properties]
"session.timeout.ms" = "6000"
"heartbeat.interval.ms" = "1000"
{more}"#,
        collector_port = free_port(),
        catalog_port = free_port(),
        kafka = kafka_names_toml(bootstrap, prefix, prefix),
    )
}

/// Creates a topic with the admin client (`partitions`, replication factor 1, config pairs such as
/// `("cleanup.policy", "compact")`) and waits until metadata shows it with all its partitions.
///
/// An already existing topic is an error (use [`unique_name`]).
pub async fn create_topic(bootstrap: &str, name: &str, partitions: i32, config: &[(&str, &str)]) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> =
        base_config(bootstrap).create().with_context(|| format!("creating an admin client for {bootstrap}"))?;
    let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    for (key, value) in config {
        topic = topic.set(key, value);
    }
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin
        .create_topics([&topic], &options)
        .await
        .with_context(|| format!("creating topic {name} on {bootstrap}"))?;
    for result in results {
        if let Err((topic, code)) = result {
            bail!("creating topic {topic} on {bootstrap} failed: {code:?} ({code})");
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    match partitions_of(bootstrap, name, deadline).await {
        Some(found) if found.len() == usize::try_from(partitions).unwrap_or(0) => Ok(()),
        Some(found) => bail!("topic {name} was created with {partitions} partitions, but metadata shows {found:?}"),
        None => bail!("topic {name} was created but metadata on {bootstrap} did not show it within 30 s"),
    }
}

/// A record read back from a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The key as UTF-8 (lossy).
    pub key: Option<String>,
    /// Header names and values (lossy UTF-8; a header without value has an empty one), in order.
    pub headers: Vec<(String, String)>,
    /// The payload; `None` for a tombstone.
    pub payload: Option<Vec<u8>>,
}

impl Record {
    /// The value of the first header named `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The payload parsed as JSON; panics (showing the payload) when it is absent or not JSON.
    pub fn json(&self) -> serde_json::Value {
        let Some(payload) = &self.payload else {
            panic!(
                "record {}/{}@{} (key {:?}) is a tombstone, not JSON",
                self.topic, self.partition, self.offset, self.key
            )
        };
        serde_json::from_slice(payload).unwrap_or_else(|e| {
            panic!(
                "record {}/{}@{} (key {:?}) is not JSON ({e}): {}",
                self.topic,
                self.partition,
                self.offset,
                self.key,
                String::from_utf8_lossy(payload)
            )
        })
    }

    /// The payload as UTF-8 (lossy); `None` for a tombstone.
    pub fn payload_str(&self) -> Option<String> {
        self.payload.as_deref().map(|p| String::from_utf8_lossy(p).into_owned())
    }

    fn from_message(message: &BorrowedMessage<'_>) -> Record {
        let headers = message
            .headers()
            .map(|headers| {
                headers
                    .iter()
                    .map(|h| {
                        (
                            h.key.to_string(),
                            h.value.map(|v| String::from_utf8_lossy(v).into_owned()).unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Record {
            topic: message.topic().to_string(),
            partition: message.partition(),
            offset: message.offset(),
            key: message.key().map(|k| String::from_utf8_lossy(k).into_owned()),
            headers,
            payload: message.payload().map(<[u8]>::to_vec),
        }
    }
}

/// Reads `topic` from the beginning (all partitions; no consumer group: the partitions are assigned at
/// `Offset::Beginning`) until `until(&records)` is true or `timeout` passes, and returns what was read,
/// in arrival order (the caller asserts). Waits for the topic to appear when it does not exist yet.
pub async fn read_topic_until(
    bootstrap: &str,
    topic: &str,
    timeout: Duration,
    until: impl Fn(&[Record]) -> bool,
) -> Vec<Record> {
    let deadline = Instant::now() + timeout;
    let mut records = Vec::new();
    if until(&records) {
        return records;
    }
    let Some(partitions) = partitions_of(bootstrap, topic, deadline).await else {
        tracing::warn!(topic, "read_topic_until: the topic did not appear before the timeout");
        return records;
    };
    let consumer = assigned_consumer(bootstrap, topic, &partitions, false);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match tokio::time::timeout(left, consumer.recv()).await {
            Err(_) => break,
            Ok(Ok(message)) => {
                records.push(Record::from_message(&message));
                if until(&records) {
                    break;
                }
            }
            Ok(Err(KafkaError::PartitionEOF(_))) => {}
            Ok(Err(e)) => {
                tracing::warn!(topic, error = %e, "read_topic_until: consumer error");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    quiesce(consumer).await;
    records
}

/// Reads everything in `topic` up to the high watermarks of its partitions as they are when called,
/// and returns it sorted by (partition, offset). Stops early with what was read when `timeout` passes.
/// A topic that does not exist reads as empty.
pub async fn read_topic_all(bootstrap: &str, topic: &str, timeout: Duration) -> Vec<Record> {
    let deadline = Instant::now() + timeout;
    let Some(partitions) = partitions_of(bootstrap, topic, deadline).await else {
        tracing::warn!(topic, "read_topic_all: the topic does not exist");
        return Vec::new();
    };
    let marks = {
        let (bootstrap, topic, partitions) = (bootstrap.to_string(), topic.to_string(), partitions.clone());
        tokio::task::spawn_blocking(move || watermarks(&bootstrap, &topic, &partitions))
            .await
            .expect("the watermark task panicked")
    };
    let high: HashMap<i32, i64> = marks.iter().map(|&(p, _, high)| (p, high)).collect();
    let mut pending: HashSet<i32> = marks.iter().filter(|&&(_, low, high)| high > low).map(|&(p, _, _)| p).collect();
    let mut records = Vec::new();
    if pending.is_empty() {
        return records;
    }
    let consumer = assigned_consumer(bootstrap, topic, &partitions, true);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match tokio::time::timeout(left, consumer.recv()).await {
            Err(_) => break,
            Ok(Ok(message)) => {
                let record = Record::from_message(&message);
                let end = high.get(&record.partition).copied().unwrap_or(i64::MAX);
                if record.offset + 1 >= end {
                    pending.remove(&record.partition);
                }
                if record.offset < end {
                    records.push(record);
                }
            }
            // The end of a partition: everything up to (at least) its high watermark was read.
            Ok(Err(KafkaError::PartitionEOF(partition))) => {
                pending.remove(&partition);
            }
            Ok(Err(e)) => {
                tracing::warn!(topic, error = %e, "read_topic_all: consumer error");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        if pending.is_empty() {
            break;
        }
    }
    if !pending.is_empty() {
        tracing::warn!(topic, ?pending, "read_topic_all: timed out before the high watermark of these partitions");
    }
    quiesce(consumer).await;
    records.sort_by_key(|r| (r.partition, r.offset));
    records
}

/// Stops a reader's fetching and lets its last fetch come back before it is dropped. Tansu 0.6
/// stops serving every client for good when a client disconnects while one of its requests is
/// inside the storage engine (its storage task ends when it cannot send a response), and
/// dropping a consumer with a fetch in flight does exactly that.
async fn quiesce(consumer: StreamConsumer) {
    if let Ok(assignment) = consumer.assignment() {
        let _ = consumer.pause(&assignment);
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    drop(consumer);
}

fn base_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap).set("client.id", "learncity-testkit");
    config
}

/// A consumer with every partition of `topic` assigned at the beginning, outside any consumer group:
/// it never subscribes (so it joins no group) and commits nothing.
///
/// It still gets a (unique, unused) `group.id`: without one librdkafka (2.12, rdkafka 0.39) has no group
/// handle and `assign` fails with "Local: Unknown group".
fn reader_group() -> &'static str {
    static GROUP: OnceLock<String> = OnceLock::new();
    GROUP.get_or_init(|| unique_name("learncity-testkit-reader"))
}

fn assigned_consumer(bootstrap: &str, topic: &str, partitions: &[i32], partition_eof: bool) -> StreamConsumer {
    let consumer: StreamConsumer = base_config(bootstrap)
        // One group id per test process: the consumer only assigns (never joins or commits), and a
        // new id per consumer would make the broker store a new group each time (Tansu 0.6 writes one
        // row per group; bursts of such writes beside group heartbeats were seen to kill its sqlite
        // storage task).
        .set("group.id", reader_group())
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", if partition_eof { "true" } else { "false" })
        .set("fetch.wait.max.ms", "50")
        .create()
        .unwrap_or_else(|e| panic!("creating a consumer for {bootstrap}: {e}"));
    let mut assignment = TopicPartitionList::new();
    for &partition in partitions {
        assignment
            .add_partition_offset(topic, partition, Offset::Beginning)
            .unwrap_or_else(|e| panic!("assigning {topic}/{partition}: {e}"));
    }
    consumer.assign(&assignment).unwrap_or_else(|e| panic!("assigning the partitions of {topic}: {e}"));
    consumer
}

/// The partition ids of `topic` once metadata shows it (polling until `deadline`); `None` if it never does.
async fn partitions_of(bootstrap: &str, topic: &str, deadline: Instant) -> Option<Vec<i32>> {
    let (bootstrap, topic) = (bootstrap.to_string(), topic.to_string());
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer =
            base_config(&bootstrap).create().unwrap_or_else(|e| panic!("creating a client for {bootstrap}: {e}"));
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match consumer.fetch_metadata(Some(&topic), left.clamp(Duration::from_millis(100), Duration::from_secs(5)))
            {
                Ok(metadata) => {
                    let found = metadata.topics().iter().find(|t| t.name() == topic).and_then(|t| {
                        (t.error().is_none() && !t.partitions().is_empty())
                            .then(|| t.partitions().iter().map(|p| p.id()).collect::<Vec<_>>())
                    });
                    if let Some(mut ids) = found {
                        ids.sort_unstable();
                        return Some(ids);
                    }
                }
                Err(e) => tracing::debug!(%topic, error = %e, "metadata request failed; retrying"),
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    })
    .await
    .expect("the metadata task panicked")
}

/// (partition, low, high) watermarks of each partition; panics when the broker does not answer.
fn watermarks(bootstrap: &str, topic: &str, partitions: &[i32]) -> Vec<(i32, i64, i64)> {
    let consumer: BaseConsumer =
        base_config(bootstrap).create().unwrap_or_else(|e| panic!("creating a client for {bootstrap}: {e}"));
    partitions
        .iter()
        .map(|&partition| {
            let mut attempt = 0;
            loop {
                match consumer.fetch_watermarks(topic, partition, Duration::from_secs(10)) {
                    Ok((low, high)) => return (partition, low, high),
                    Err(e) if attempt < 5 && is_retriable(&e) => {
                        attempt += 1;
                        std::thread::sleep(Duration::from_millis(200));
                    }
                    Err(e) => panic!("fetching the watermarks of {topic}/{partition} from {bootstrap}: {e}"),
                }
            }
        })
        .collect()
}

fn is_retriable(error: &KafkaError) -> bool {
    matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::LeaderNotAvailable
                | RDKafkaErrorCode::NotLeaderForPartition
                | RDKafkaErrorCode::RequestTimedOut
                | RDKafkaErrorCode::OperationTimedOut
                | RDKafkaErrorCode::BrokerTransportFailure
        )
    )
}
