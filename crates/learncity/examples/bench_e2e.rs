//! End to end against a Kafka-API broker (Tansu): the `learncity collect` and `learncity catalog`
//! daemons (the release binary, as child processes, as in production) on a seeded synthetic city,
//! the catalogue in PostgreSQL (or the store given).
//!
//! 1. **Throughput.** Every provider document is served by a fixture HTTP server of its own (one
//!    host per provider, as in a real city; ETag / Last-Modified validators). The clock starts
//!    when both daemons are spawned and stops when a consumer of the catalog topic (latest record
//!    per key, tombstones delete) holds exactly the store's live entries — the same ids with the
//!    same sources — and the store holds every announcement the documents carry (active or
//!    expired on arrival) with an empty outbox. The end time is when that consumer received the
//!    last catalog record. Phases: the collector's published runs (its log), the moment the store
//!    held every announcement, the catalog records' timestamps (when the builder produced them).
//!    Nothing else reads the offerings topic: on Tansu 0.6 (sqlite engine) every record a consumer
//!    fetches costs the broker a scan of every header it stores, so a second reader of the
//!    offerings topic would double the broker's main cost. CPU seconds of the broker (given its
//!    pid), both daemons and this process are reported per phase.
//! 2. **Change latency.** Then, one at a time, the title of K items (each the only source of its
//!    entry; spread over the providers and so over every format) is changed in its provider's
//!    document, which the server then serves with a new ETag; the time from that change to the
//!    moment the consumer receives the catalog record carrying the new title is the latency. Its
//!    part without the poll wait ends the same and starts at the collector's fetch of the changed
//!    document (the `fetched_at` of that source in the entry, set when the collector's run starts).
//!    Before each change a random pause of up to one poll interval puts the change at a random
//!    point of the poll cycle.
//!
//! Prints progress and the figures; the last line is `RESULT {json}` (also written to
//! `DIR/result.json`). The broker must already run (`scripts/bench-e2e` starts a private Tansu
//! and stops it afterwards); the daemons' logs stay in `DIR`.
//!
//! ```sh
//! cargo build --release --locked -p learncity --bin learncity --example bench_e2e
//! target/release/examples/bench_e2e --brokers 127.0.0.1:19092 --offerings 5000 --providers 40
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use chrono::{DateTime, Utc};
use clap::Parser;
use learncity_citygen::{Format, SplitMix64, SynthParams, synthetic};
use learncity_store::{CatalogStore, SourceState};
use learncity_testkit::FixtureServer;
use learncity_testkit::broker::{free_port, kafka_names_toml, unique_name};
use learncity_testkit::pg::{pg_url, unique_schema};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(about = "End-to-end benchmark of learncity collect + catalog against a Kafka-API broker")]
struct Args {
    /// The broker, host:port (already running).
    #[arg(long)]
    brokers: String,
    /// Real-world offerings of the synthetic city (about 1.2 times as many announcements).
    #[arg(long, default_value_t = 5_000)]
    offerings: usize,
    /// Providers (formats round-robin over RSS, Atom, JSON Feed, iCalendar, HTML rules, JSON-LD).
    #[arg(long, default_value_t = 40)]
    providers: usize,
    /// Items changed one at a time for the latency measurement.
    #[arg(long, default_value_t = 50)]
    changes: usize,
    /// The collector's poll interval in seconds (also its min-interval; no jitter). At least 1.
    #[arg(long, default_value_t = 1.0)]
    interval: f64,
    /// Partitions of every topic (`[kafka] partitions`; the product's default is 12).
    #[arg(long, default_value_t = 12)]
    partitions: i32,
    /// The catalogue store; default: the machine's PostgreSQL (`LEARNCITY_TEST_PG` or
    /// postgres://postgres@127.0.0.1:5432/test) in a schema of its own, dropped afterwards.
    #[arg(long)]
    store: Option<String>,
    /// The learncity binary (default: target/release/learncity of this checkout).
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Working directory: config, provider files, daemon logs, `pids`, `result.json`.
    #[arg(long, default_value = "target/bench-e2e/run")]
    dir: PathBuf,
    /// Seed of the synthetic city and of the pauses between changes.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// An extra `[kafka.properties]` entry for the daemons, `KEY=VALUE` (repeatable), e.g.
    /// `session.timeout.ms=60000` for a broker too slow to answer heartbeats within 10 s.
    #[arg(long = "kafka-property", value_name = "KEY=VALUE")]
    kafka_properties: Vec<String>,
    /// The broker's process id, to report the CPU time it used (a local broker only).
    #[arg(long)]
    broker_pid: Option<u32>,
    /// Give up on the throughput phase after this many seconds.
    #[arg(long, default_value_t = 900)]
    timeout: u64,
}

/// What the reader of the catalog topic saw.
#[derive(Default)]
struct Seen {
    catalog_records: u64,
    tombstones: u64,
    first_catalog: Option<DateTime<Utc>>,
    last_catalog: Option<DateTime<Utc>>,
    /// The latest record timestamp (the catalog builder's clock when it produced the record).
    last_catalog_produced: Option<DateTime<Utc>>,
    /// The catalogue as a downstream consumer holds it: entry id → its source keys (sorted).
    view: HashMap<String, Vec<String>>,
    /// Source key → (text its title must contain, who waits for it).
    watch: HashMap<String, (String, oneshot::Sender<Hit>)>,
    bad_records: u64,
}

/// The catalog record that carried a watched change.
#[derive(Debug)]
struct Hit {
    received: DateTime<Utc>,
    /// The record's timestamp: when the catalog builder produced it.
    produced: Option<DateTime<Utc>>,
    fetched_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct EntryLite {
    sources: Vec<SourceLite>,
}

#[derive(Deserialize)]
struct SourceLite {
    key: String,
    title: String,
    fetched_at: DateTime<Utc>,
}

fn lock(seen: &Mutex<Seen>) -> MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A daemon child process, its output in a log file; stopped (TERM, then KILL) when dropped.
struct Daemon {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn spawn(bin: &Path, name: &'static str, config: &Path, dir: &Path) -> anyhow::Result<Daemon> {
        let log = dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new(bin)
            .arg(name)
            .arg("--config")
            .arg(config)
            .env("LEARNCITY_LOG", "info")
            .stdout(out.try_clone()?)
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {} {name}", bin.display()))?;
        // For the script's trap, should this process die without cleaning up.
        let mut pids = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("pids"))?;
        std::io::Write::write_all(&mut pids, format!("{}\n", child.id()).as_bytes())?;
        Ok(Daemon { name, child, log })
    }

    fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("learncity {} exited ({status}); last lines of its log:\n{}", self.name, tail(&self.log, 30));
        }
        Ok(())
    }

    /// SIGTERM, then the exit status within `timeout` (KILL after it).
    fn terminate(mut self, timeout: Duration) -> anyhow::Result<()> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                ensure!(status.success(), "learncity {} exited with {status}:\n{}", self.name, tail(&self.log, 30));
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("learncity {} still running {timeout:?} after SIGTERM:\n{}", self.name, tail(&self.log, 30));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Daemon {
    /// On an error path: SIGTERM, up to 20 s to stop, then KILL.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// One provider document as the benchmark serves it; iCalendar text is kept unfolded and folded
/// again (as `learncity-citygen` folds it) when served, so a title can be replaced in it.
struct Doc {
    provider: String,
    path: String,
    content_type: String,
    format: Format,
    text: String,
    server: FixtureServer,
}

impl Doc {
    fn body(&self) -> String {
        if self.format == Format::Ical { fold_ical(&self.text) } else { self.text.clone() }
    }
}

fn unfold_ical(text: &str) -> String {
    text.replace("\r\n ", "").replace("\r\n\t", "")
}

/// Content lines folded at 75 octets, never inside a character (RFC 5545 §3.1).
fn fold_ical(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 40);
    for line in text.split_inclusive("\r\n") {
        let (content, end) = match line.strip_suffix("\r\n") {
            Some(content) => (content, "\r\n"),
            None => (line, ""),
        };
        let mut width = 0;
        for c in content.chars() {
            if width + c.len_utf8() > 75 {
                out.push_str("\r\n ");
                width = 1;
            }
            out.push(c);
            width += c.len_utf8();
        }
        out.push_str(end);
    }
    out
}

/// CPU seconds (user + system) a process used so far, from /proc.
fn cpu_seconds(pid: &str) -> Option<f64> {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let ticks = *TICKS.get_or_init(|| {
        let out = Command::new("getconf").arg("CLK_TCK").output().ok();
        out.and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok()).unwrap_or(100.0)
    });
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let used: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(used / ticks)
}

/// CPU seconds of the broker, the two daemons and this process, by name.
fn cpu_of(broker: Option<u32>, collector: &Daemon, builder: &Daemon) -> BTreeMap<&'static str, f64> {
    let mut out = BTreeMap::new();
    let pids = [
        ("broker", broker.map(|p| p.to_string())),
        ("collect", Some(collector.child.id().to_string())),
        ("catalog", Some(builder.child.id().to_string())),
        ("bench (HTTP servers, catalog reader, store polls)", Some("self".to_owned())),
    ];
    for (name, pid) in pids {
        if let Some(cpu) = pid.as_deref().and_then(cpu_seconds) {
            out.insert(name, cpu);
        }
    }
    out
}

fn cpu_delta(before: &BTreeMap<&'static str, f64>, after: &BTreeMap<&'static str, f64>) -> serde_json::Value {
    let delta: serde_json::Map<String, serde_json::Value> = after
        .iter()
        .map(|(name, t)| {
            (name.to_string(), json!(((t - before.get(name).copied().unwrap_or(0.0)) * 10.0).round() / 10.0))
        })
        .collect();
    serde_json::Value::Object(delta)
}

fn cpu_line(cpu: &serde_json::Value) -> String {
    let parts: Vec<String> = cpu
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| format!("{name} {:.1} s", s.as_f64().unwrap_or(f64::NAN)))
        .collect();
    parts.join(", ")
}

/// The collector's `provider run` log lines that published: (when, upserts).
fn published_runs(log: &Path) -> Vec<(DateTime<Utc>, usize)> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|line| line.contains("provider run") && line.contains("outcome=\"published\""))
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let at = DateTime::parse_from_rfc3339(words.next()?).ok()?.with_timezone(&Utc);
            let upserts = words.find_map(|w| w.strip_prefix("upserts="))?.parse().ok()?;
            Some((at, upserts))
        })
        .collect()
}

fn secs(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn summary(values: &[f64]) -> serde_json::Value {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    json!({
        "n": sorted.len(),
        "p50_ms": (percentile(&sorted, 50.0) * 1000.0).round(),
        "p90_ms": (percentile(&sorted, 90.0) * 1000.0).round(),
        "p99_ms": (percentile(&sorted, 99.0) * 1000.0).round(),
        "max_ms": (sorted.last().copied().unwrap_or(f64::NAN) * 1000.0).round(),
        "min_ms": (sorted.first().copied().unwrap_or(f64::NAN) * 1000.0).round(),
    })
}

fn reader(brokers: &str, topic: &str, partitions: i32) -> anyhow::Result<StreamConsumer> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("client.id", "bench-e2e-reader")
        // Never joins the group (partitions are assigned), commits nothing; librdkafka wants one.
        .set("group.id", unique_name("bench-e2e-reader"))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "50")
        .create()
        .context("creating the reader")?;
    let mut assignment = TopicPartitionList::new();
    for partition in 0..partitions {
        assignment.add_partition_offset(topic, partition, Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;
    Ok(consumer)
}

/// Follows the catalog topic into `seen` until `stop`; then pauses fetching and lets the last
/// fetch come back before the consumer is dropped (Tansu 0.6 stops serving every client when one
/// disconnects while its request is in the storage engine).
async fn follow(consumer: StreamConsumer, seen: Arc<Mutex<Seen>>, stop: CancellationToken) -> anyhow::Result<()> {
    loop {
        let message = tokio::select! {
            () = stop.cancelled() => break,
            message = consumer.recv() => message,
        };
        let received = Utc::now();
        let message = match message {
            Ok(message) => message,
            Err(e) => {
                eprintln!("bench-e2e: reader: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let produced = message.timestamp().to_millis().and_then(DateTime::from_timestamp_millis);
        let mut seen = lock(&seen);
        let Some(key) = message.key().map(|k| String::from_utf8_lossy(k).into_owned()) else {
            seen.bad_records += 1;
            continue;
        };
        seen.catalog_records += 1;
        seen.first_catalog.get_or_insert(received);
        seen.last_catalog = Some(received);
        if produced.is_some() {
            seen.last_catalog_produced = seen.last_catalog_produced.max(produced);
        }
        let Some(payload) = message.payload() else {
            seen.tombstones += 1;
            seen.view.remove(&key);
            continue;
        };
        let entry: EntryLite = match serde_json::from_slice(payload) {
            Ok(entry) => entry,
            Err(e) => {
                eprintln!("bench-e2e: catalog record {key} is not an entry: {e}");
                seen.bad_records += 1;
                continue;
            }
        };
        for source in &entry.sources {
            let wanted = seen.watch.get(&source.key).is_some_and(|(marker, _)| source.title.contains(marker.as_str()));
            if wanted && let Some((_, notify)) = seen.watch.remove(&source.key) {
                let _ = notify.send(Hit { received, produced, fetched_at: source.fetched_at });
            }
        }
        let mut keys: Vec<String> = entry.sources.into_iter().map(|s| s.key).collect();
        keys.sort();
        seen.view.insert(key, keys);
    }
    if let Ok(assignment) = consumer.assignment() {
        let _ = consumer.pause(&assignment);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(consumer);
    Ok(())
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let stop = CancellationToken::new();
    let signals = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("installing a SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            eprintln!("bench-e2e: interrupted; stopping what it started");
            stop.cancel();
        })
    };
    let result = run(args, stop).await;
    signals.abort();
    match result {
        Ok(()) => {}
        Err(e) => {
            eprintln!("bench-e2e: error: {e:#}");
            std::process::exit(1);
        }
    }
}

async fn run(args: Args, stop: CancellationToken) -> anyhow::Result<()> {
    ensure!(args.interval >= 1.0, "--interval must be at least 1 (second: the collector's minimum)");
    let root = learncity_testkit::repo_root();
    let bin = args.bin.clone().unwrap_or_else(|| root.join("target/release/learncity"));
    ensure!(bin.exists(), "{} does not exist: cargo build --release --locked -p learncity", bin.display());
    let dir = if args.dir.is_absolute() { args.dir.clone() } else { root.join(&args.dir) };
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir.join("providers"))?;

    // The city, one server per provider.
    let today = Utc::now().date_naive();
    let placeholder = "http://bench-e2e.invalid";
    let params = SynthParams {
        base_url: placeholder.to_owned(),
        ..SynthParams::new(args.seed, args.providers, args.offerings, today)
    };
    let started = Instant::now();
    let city = synthetic(&params);
    let announcements = city.truth.item_count();
    let bytes: usize = city.documents.iter().map(|d| d.body.len()).sum();
    let mut docs = Vec::with_capacity(city.documents.len());
    for (document, file) in city.documents.iter().zip(&city.provider_files) {
        ensure!(document.provider == file.id, "documents and provider files are in one order");
        let server = FixtureServer::start().await;
        let text = String::from_utf8(document.body.clone()).context("a synthetic document is UTF-8")?;
        let text = if document.format == Format::Ical { unfold_ical(&text) } else { text };
        let doc = Doc {
            provider: document.provider.clone(),
            path: document.path.clone(),
            content_type: document.content_type.clone(),
            format: document.format,
            text,
            server,
        };
        ensure!(doc.body().as_bytes() == document.body.as_slice(), "{}: folding does not round-trip", doc.path);
        doc.server.set(&doc.path, &doc.content_type, document.body.clone());
        let toml = file.toml.replace(placeholder, &format!("http://{}", doc.server.addr));
        ensure!(toml != file.toml, "{}: its url is not on {placeholder}", file.id);
        std::fs::write(dir.join("providers").join(&file.file_name), toml)?;
        docs.push(doc);
    }
    println!(
        "city: {} real-world offerings, {announcements} announcements, {} providers ({} formats), {:.1} MiB of \
         documents, generated in {:.1} s",
        args.offerings,
        docs.len(),
        docs.iter().map(|d| d.format).collect::<BTreeSet<_>>().len(),
        bytes as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64()
    );

    // Config, store, topics.
    let prefix = unique_name("bench-e2e");
    let (store_url, schema) = match &args.store {
        Some(url) => (url.clone(), None),
        None => {
            let schema = unique_schema("bench_e2e");
            // For the script's trap, should this process die before it drops the schema.
            std::fs::write(dir.join("schema"), &schema)?;
            (format!("{}?schema={schema}", pg_url()), Some(schema))
        }
    };
    let mut properties = Vec::new();
    for property in &args.kafka_properties {
        let Some((key, value)) = property.split_once('=') else {
            bail!("--kafka-property {property}: not KEY=VALUE");
        };
        properties.push(format!("{} = {}", json!(key.trim()), json!(value.trim())));
    }
    let interval_text = format!("{}ms", (args.interval * 1000.0).round());
    let config = dir.join("learncity.toml");
    std::fs::write(
        &config,
        format!(
            r#"[collector]
providers = "providers"
listen = "127.0.0.1:{collector_port}"
group-id = "{prefix}-collectors"
interval = "{interval_text}"
min-interval = "{interval_text}"
max-interval = "{interval_text}"
jitter = 0.0
enrich-per-run = 0
shutdown-timeout = "20s"
[catalog]
store = "{store_url}"
listen = "127.0.0.1:{catalog_port}"
group-id = "{prefix}-builders"
shutdown-timeout = "20s"
[http]
contact-url = "https://learncity.example/contact"
per-host-delay = "0s"
[kafka]
{kafka}
partitions = {partitions}
[kafka.properties]
{properties}
[log]
filter = "info"
"#,
            collector_port = free_port(),
            catalog_port = free_port(),
            kafka = kafka_names_toml(&args.brokers, &prefix, &prefix),
            partitions = args.partitions,
            properties = properties.join("\n"),
        ),
    )?;
    let out = Command::new(&bin).args(["topics", "ensure", "--config"]).arg(&config).output()?;
    ensure!(
        out.status.success(),
        "learncity topics ensure: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Migrations run here, before the clock starts (a deployed store has its tables already).
    let store: Arc<dyn CatalogStore> =
        Arc::from(learncity_store::open(&store_url).await.with_context(|| format!("opening {store_url}"))?);
    let store_name = store.describe();

    let outcome = measure(&args, &bin, &config, &dir, &prefix, &city, &mut docs, store, &stop).await;

    if let Some(schema) = schema {
        let dropped = Command::new("psql")
            .args([&pg_url(), "-q", "-c", &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")])
            .env("PGOPTIONS", "-c client_min_messages=warning")
            .status();
        if !matches!(dropped, Ok(s) if s.success()) {
            eprintln!("bench-e2e: could not drop schema {schema} ({dropped:?})");
        }
    }
    let mut result = outcome?;
    result["store"] = json!(store_name);
    std::fs::write(dir.join("result.json"), serde_json::to_string_pretty(&result)?)?;
    println!("RESULT {result}");
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn measure(
    args: &Args,
    bin: &Path,
    config: &Path,
    dir: &Path,
    prefix: &str,
    city: &learncity_citygen::City,
    docs: &mut [Doc],
    store: Arc<dyn CatalogStore>,
    stop: &CancellationToken,
) -> anyhow::Result<serde_json::Value> {
    let interval = Duration::from_secs_f64(args.interval);
    let announcements = city.truth.item_count();
    let catalog_topic = format!("{prefix}.catalog");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let follow_stop = CancellationToken::new();
    let consumer = reader(&args.brokers, &catalog_topic, args.partitions)?;
    let follower = tokio::spawn(follow(consumer, Arc::clone(&seen), follow_stop.clone()));

    // Phase 1: throughput.
    let t0 = Utc::now();
    let clock = Instant::now();
    let mut collector = Daemon::spawn(bin, "collect", config, dir)?;
    let mut builder = Daemon::spawn(bin, "catalog", config, dir)?;
    let cpu_start = cpu_of(args.broker_pid, &collector, &builder);
    println!("daemons started at {t0}; waiting for the catalogue to settle");
    let deadline = clock + Duration::from_secs(args.timeout);
    let mut last_report = Instant::now();
    let mut store_complete = None;
    let (t_end, live, counts) = loop {
        tokio::select! {
            () = stop.cancelled() => bail!("interrupted"),
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        collector.check_alive()?;
        builder.check_alive()?;
        let counts = store.counts().await?;
        let stored = counts.sources_active + counts.sources_expired + counts.sources_withdrawn;
        if store_complete.is_none() && stored as usize >= announcements {
            store_complete = Some(Utc::now());
        }
        let (view_len, records) = {
            let seen = lock(&seen);
            (seen.view.len() as i64, seen.catalog_records)
        };
        if last_report.elapsed() >= Duration::from_secs(10) {
            last_report = Instant::now();
            let published = published_runs(&collector.log).iter().map(|&(_, n)| n).sum::<usize>();
            println!(
                "  {:>6.1} s: collector published {published} upserts; store {stored} sources, {} entries, outbox {}; \
                 catalog topic read: {records} records, {view_len} live entries",
                clock.elapsed().as_secs_f64(),
                counts.entries,
                counts.outbox
            );
        }
        if stored as usize >= announcements && counts.outbox == 0 && view_len == counts.entries {
            let entries = store.entries().await?;
            let want: HashMap<String, Vec<String>> = entries
                .iter()
                .map(|e| {
                    let mut keys: Vec<String> = e.sources.iter().map(|s| s.key.clone()).collect();
                    keys.sort();
                    (e.id.clone(), keys)
                })
                .collect();
            let seen = lock(&seen);
            if seen.view == want
                && let Some(t_end) = seen.last_catalog
            {
                break (t_end, want, counts);
            }
        }
        if Instant::now() > deadline {
            bail!("the catalogue did not settle within {} s", args.timeout);
        }
    };
    let cpu_throughput = cpu_delta(&cpu_start, &cpu_of(args.broker_pid, &collector, &builder));
    let throughput = {
        let runs = published_runs(&collector.log);
        let published: usize = runs.iter().map(|&(_, n)| n).sum();
        let first_publish = runs.iter().map(|&(t, _)| t).min().context("the collector logged no published run")?;
        let last_publish = runs.iter().map(|&(t, _)| t).max().context("the collector logged no published run")?;
        let seen = lock(&seen);
        let first_catalog = seen.first_catalog.context("no catalog record seen")?;
        let total = secs(t0, t_end);
        let keys: BTreeSet<&String> = live.values().flatten().collect();
        let live_groups = city.truth.groups.iter().filter(|g| g.iter().any(|k| keys.contains(k))).count();
        json!({
            "announcements": announcements,
            "upserts_published": published,
            "sources_active": counts.sources_active,
            "sources_expired": counts.sources_expired,
            "entries": counts.entries,
            "real_world_offerings_live": live_groups,
            "catalog_records": seen.catalog_records,
            "tombstones": seen.tombstones,
            "first_provider_published_s": secs(t0, first_publish),
            "last_provider_published_s": secs(t0, last_publish),
            "store_complete_s": store_complete.map(|t| secs(t0, t)),
            "first_catalog_received_s": secs(t0, first_catalog),
            "last_catalog_produced_s": seen.last_catalog_produced.map(|t| secs(t0, t)),
            "catalog_complete_s": total,
            "offerings_per_s": announcements as f64 / total,
            "entries_per_s": counts.entries as f64 / total,
            "collector_offerings_per_s": announcements as f64 / secs(t0, last_publish),
            "cpu_s": cpu_throughput,
        })
    };
    let at = |field: &str| throughput[field].as_f64().unwrap_or(f64::NAN);
    println!(
        "throughput: {announcements} announcements → {} entries ({} of the generator's real-world offerings live; {} \
         expired on arrival)",
        throughput["entries"], throughput["real_world_offerings_live"], throughput["sources_expired"],
    );
    println!(
        "  phases (s after the start): collector's first provider published {:.1}, last {:.1}; every announcement in \
         the store {:.1}; catalog topic: first record read {:.1}, last produced {:.1}, last read (complete) {:.1} \
         ({} records, {} tombstones)",
        at("first_provider_published_s"),
        at("last_provider_published_s"),
        at("store_complete_s"),
        at("first_catalog_received_s"),
        at("last_catalog_produced_s"),
        at("catalog_complete_s"),
        throughput["catalog_records"],
        throughput["tombstones"],
    );
    println!(
        "  {:.0} offerings/s and {:.0} entries/s from the start to the catalog topic complete (the collector alone, \
         start to its last publish: {:.0} offerings/s)",
        at("offerings_per_s"),
        at("entries_per_s"),
        at("collector_offerings_per_s"),
    );
    println!("  CPU used meanwhile: {} (2 cores shared with the rest of the machine)", cpu_line(&cpu_throughput));

    // Phase 2: change latency.
    let latency = if args.changes == 0 {
        serde_json::Value::Null
    } else {
        let sources = store.sources().await?;
        let singletons: BTreeSet<&String> = city.truth.groups.iter().filter(|g| g.len() == 1).flatten().collect();
        let mut titles: HashMap<(String, String), usize> = HashMap::new();
        for s in &sources {
            *titles.entry((s.offering.provider.id.clone(), s.offering.title.clone())).or_default() += 1;
        }
        let now = Utc::now();
        // Candidates per document: active, alone in its entry, not expiring soon, a title unique in
        // its document and written there as the reader read it.
        let mut candidates: Vec<Vec<(String, String)>> = vec![Vec::new(); docs.len()];
        let doc_of: HashMap<&str, usize> = docs.iter().enumerate().map(|(i, d)| (d.provider.as_str(), i)).collect();
        for s in &sources {
            let Some(&d) = doc_of.get(s.offering.provider.id.as_str()) else { continue };
            let alone = s.entry_id.as_ref().and_then(|id| live.get(id)).is_some_and(|keys| keys.len() == 1);
            let future = s.offering.sessions.first().is_some_and(|x| x.start > now + chrono::Duration::days(1));
            if s.state == SourceState::Active
                && alone
                && future
                && singletons.contains(&s.key)
                && titles[&(s.offering.provider.id.clone(), s.offering.title.clone())] == 1
                && docs[d].text.contains(&s.offering.title)
            {
                candidates[d].push((s.key.clone(), s.offering.title.clone()));
            }
        }
        let mut rng = SplitMix64::new(args.seed ^ 0x5eed);
        for list in &mut candidates {
            list.sort();
            // Shuffle (Fisher-Yates) so the changed items are spread over each document.
            for i in (1..list.len()).rev() {
                let j = rng.below(i + 1);
                list.swap(i, j);
            }
        }
        let with_candidates: Vec<usize> = (0..docs.len()).filter(|&d| !candidates[d].is_empty()).collect();
        ensure!(!with_candidates.is_empty() || args.changes == 0, "no item qualifies for the change measurement");
        let formats: BTreeSet<Format> = with_candidates.iter().map(|&d| docs[d].format).collect();
        println!(
            "change latency: {} changes, one at a time, over {} documents in {} formats; poll interval {} s (no jitter)",
            args.changes,
            with_candidates.len(),
            formats.len(),
            args.interval
        );
        let cpu_changes_start = cpu_of(args.broker_pid, &collector, &builder);
        let changes_started = Instant::now();
        let mut total = Vec::new();
        let mut pipeline = Vec::new();
        let mut delivery = Vec::new();
        let mut poll_wait = Vec::new();
        let mut by_format: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for n in 0..args.changes {
            let d = with_candidates[n % with_candidates.len()];
            let Some((key, title)) = candidates[d].pop() else { bail!("out of items to change in {}", docs[d].path) };
            let marker = format!("(обновлено {n})");
            let new_title = format!("{title} {marker}");
            let pause = interval.mul_f64(rng.unit());
            tokio::select! {
                () = stop.cancelled() => bail!("interrupted"),
                () = tokio::time::sleep(pause) => {}
            }
            let (notify, hit) = oneshot::channel();
            lock(&seen).watch.insert(key.clone(), (marker, notify));
            let doc = &mut docs[d];
            doc.text = doc.text.replace(&title, &new_title);
            let body = doc.body();
            let changed = Utc::now();
            doc.server.set(&doc.path, &doc.content_type, body);
            let hit = tokio::select! {
                () = stop.cancelled() => bail!("interrupted"),
                hit = tokio::time::timeout(Duration::from_secs(60) + interval * 3, hit) => hit,
            };
            let hit = match hit {
                Ok(Ok(hit)) => hit,
                _ => bail!("the change of {key} ({new_title}) did not reach the catalog topic within 60 s"),
            };
            let latency = secs(changed, hit.received);
            total.push(latency);
            pipeline.push(secs(hit.fetched_at, hit.received));
            if let Some(produced) = hit.produced {
                delivery.push(secs(produced, hit.received));
            }
            poll_wait.push(secs(changed, hit.fetched_at));
            by_format.entry(format!("{:?}", doc.format)).or_default().push(latency);
            collector.check_alive()?;
            builder.check_alive()?;
        }
        let cpu_changes = cpu_delta(&cpu_changes_start, &cpu_of(args.broker_pid, &collector, &builder));
        let latency = json!({
            "changes": args.changes,
            "wall_s": changes_started.elapsed().as_secs_f64(),
            "cpu_s": cpu_changes,
            "poll_interval_s": interval.as_secs_f64(),
            "change_to_catalog_event": summary(&total),
            "fetch_to_catalog_event": summary(&pipeline),
            "poll_wait": summary(&poll_wait),
            "catalog_record_produced_to_received": summary(&delivery),
            "change_to_catalog_event_by_format": by_format.iter().map(|(f, v)| (f.clone(), summary(v))).collect::<serde_json::Map<_, _>>(),
        });
        let ms = |v: &serde_json::Value, field: &str| v[field].as_f64().unwrap_or(f64::NAN);
        for (name, value) in [
            ("change → catalog event", &latency["change_to_catalog_event"]),
            ("collector's fetch → catalog event", &latency["fetch_to_catalog_event"]),
            ("  of which catalog record produced → received", &latency["catalog_record_produced_to_received"]),
            ("poll wait (change → fetch)", &latency["poll_wait"]),
        ] {
            println!(
                "  {name}: p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms (min {:.0} ms, n {})",
                ms(value, "p50_ms"),
                ms(value, "p90_ms"),
                ms(value, "p99_ms"),
                ms(value, "max_ms"),
                ms(value, "min_ms"),
                value["n"]
            );
        }
        for (format, value) in latency["change_to_catalog_event_by_format"].as_object().into_iter().flatten() {
            println!(
                "    {format}: p50 {:.0} ms, max {:.0} ms (n {})",
                ms(value, "p50_ms"),
                ms(value, "max_ms"),
                value["n"]
            );
        }

        println!(
            "  CPU used during the {:.0} s of changes: {}",
            latency["wall_s"].as_f64().unwrap_or_default(),
            cpu_line(&latency["cpu_s"])
        );
        latency
    };

    // Stop in the order data flows, then the reader.
    collector.terminate(Duration::from_secs(60))?;
    builder.terminate(Duration::from_secs(60))?;
    follow_stop.cancel();
    follower.await.context("the reader task")??;
    let bad = lock(&seen).bad_records;
    ensure!(bad == 0, "{bad} catalog records were not entries");
    Ok(json!({
        "offerings": args.offerings,
        "providers": args.providers,
        "partitions": args.partitions,
        "kafka_properties": args.kafka_properties,
        "throughput": throughput,
        "latency": latency,
    }))
}
