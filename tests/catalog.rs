//! The catalog builder against real services: a real Kafka-API broker (Tansu, started by
//! `scripts/kafka-up`), and both stores — a SQLite file and the machine's PostgreSQL
//! (`postgres://postgres@127.0.0.1:5432/test`, a schema per test; `LEARNCITY_TEST_PG` names
//! another). Offerings events are produced as the collector publishes them; what the builder
//! writes is read back from the store and from the catalog and dead-letter topics.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use learncity_bus::Producer;
use learncity_bus::partition::{city_key, partition_for};
use learncity_bus::producer::OutRecord;
use learncity_model::{Entry, Listing, Offering, Snapshot, Status};
use learncity_store::{CatalogStore, SourceState};
use learncity_testkit::broker::{
    Broker, Record, create_topic, free_port, kafka_names_toml, read_topic_all, unique_name,
};
use learncity_testkit::catalogue::{reduce, store_view};
use learncity_testkit::offerings::{OfferingExt, in_days, offering};
use learncity_testkit::pg::{pg_url, unique_schema};
use tokio_util::sync::CancellationToken;

const PARTITIONS: i32 = 3;

/// Which store a test town uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreKind {
    Sqlite,
    Postgres,
}

/// Topics with unique names on the shared broker, a config file, a store.
struct Town {
    bootstrap: String,
    dir: tempfile::TempDir,
    prefix: String,
    store_url: String,
    schema: Option<String>,
    /// Where the builder serves /healthz, /readyz and /metrics.
    ops_port: u16,
}

impl Town {
    async fn new(kind: StoreKind) -> Town {
        let broker = Broker::shared();
        let prefix = unique_name("catalog");
        let dir = tempfile::tempdir().unwrap();
        let (store_url, schema) = match kind {
            StoreKind::Sqlite => (format!("sqlite:{}", dir.path().join("catalog.sqlite").display()), None),
            StoreKind::Postgres => {
                let schema = unique_schema("catalog");
                (format!("{}?schema={schema}", pg_url()), Some(schema))
            }
        };
        let town = Town { bootstrap: broker.bootstrap.clone(), dir, prefix, store_url, schema, ops_port: free_port() };
        create_topic(&town.bootstrap, &town.topic("offerings"), PARTITIONS, &[]).await.unwrap();
        create_topic(&town.bootstrap, &town.topic("catalog"), PARTITIONS, &[("cleanup.policy", "compact")])
            .await
            .unwrap();
        create_topic(&town.bootstrap, &town.topic("dead-letter"), 1, &[]).await.unwrap();
        town.write_config(&town.prefix, "learncity");
        town
    }

    fn topic(&self, name: &str) -> String {
        format!("{}.{name}", self.prefix)
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("learncity.toml")
    }

    /// The config: the town's topics, a consumer group named `group`, catalog topic `catalog_topic`.
    fn write_config(&self, catalog_prefix: &str, group: &str) {
        self.write_config_with(catalog_prefix, group, "");
    }

    /// [`Town::write_config`] with extra `[kafka.properties]` lines.
    fn write_config_with(&self, catalog_prefix: &str, group: &str, properties: &str) {
        let main = format!(
            r#"[catalog]
store = "{store}"
listen = "127.0.0.1:{ops_port}"
group-id = "{prefix}-{group}"
batch-max = 200
batch-wait = "20ms"
expiry-grace = "1h"
expiry-interval = "1s"
shutdown-timeout = "10s"

[kafka]
{kafka}
partitions = {PARTITIONS}
delivery-timeout = "30s"
[kafka.properties]
"session.timeout.ms" = "3000"
"heartbeat.interval.ms" = "500"
{properties}

[log]
filter = "info,learncity_builder=debug"

[[provider]]
id = "vsu"
name = "Vitebsk State University"
city = "Витебск"
url = "https://vsu.example/courses.ics"
priority = 10

[[provider]]
id = "library"
name = "Central Library"
city = "Vitebsk"
url = "https://library.example/events.xml"

[[provider]]
id = "museum"
name = "City Museum"
city = "Віцебск"
url = "https://museum.example/feed.json"

[[provider]]
id = "mogilev"
name = "Mogilev College"
city = "Могилёв"
url = "https://college.example/feed.json"
"#,
            store = self.store_url,
            prefix = self.prefix,
            kafka = kafka_names_toml(&self.bootstrap, &self.prefix, catalog_prefix),
            ops_port = self.ops_port,
        );
        std::fs::write(self.config_path(), main).unwrap();
    }

    fn config(&self) -> learncity_config::Config {
        learncity_config::load(&self.config_path()).unwrap_or_else(|e| panic!("test config: {e}"))
    }

    async fn store(&self) -> Arc<dyn CatalogStore> {
        Arc::from(learncity_store::open(&self.store_url).await.unwrap_or_else(|e| panic!("{e}")))
    }

    async fn produce(&self, records: Vec<OutRecord>) {
        let producer = Producer::new(&self.config().kafka).unwrap();
        producer.publish(records, &CancellationToken::new()).await.unwrap();
    }

    /// The builder in this process until the returned token is cancelled.
    fn start_builder(&self) -> (CancellationToken, tokio::task::JoinHandle<anyhow::Result<()>>) {
        let stop = CancellationToken::new();
        let task = tokio::spawn(learncity::catalog::run_until(self.config(), stop.clone()));
        (stop, task)
    }

    /// The catalog topic read from its start, reduced to the latest value per key (tombstones
    /// delete), as a downstream service would.
    async fn catalog_view(&self, topic: &str) -> (BTreeMap<String, serde_json::Value>, Vec<Record>) {
        let records = read_topic_all(&self.bootstrap, topic, Duration::from_secs(30)).await;
        (reduce(&records), records)
    }
}

impl Drop for Town {
    fn drop(&mut self) {
        if let Some(schema) = &self.schema {
            let _ = Command::new("psql")
                .args([&pg_url(), "-q", "-c", &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")])
                .output();
        }
    }
}

/// An upsert as the collector publishes it: keyed `{provider}/{source}`, partitioned by city.
fn upsert(topic: &str, o: &Offering, provider_city: &str) -> OutRecord {
    OutRecord::new(topic, o.key(), Some(serde_json::to_vec(o).unwrap()))
        .partition(partition_for(city_key(Some(provider_city), &o.provider.id).as_bytes(), PARTITIONS))
        .header("event-type", "upsert")
        .header("schema-version", "1")
        .header("provider-id", o.provider.id.as_str())
}

fn snapshot(topic: &str, provider: &str, provider_city: &str, ids: &[&str]) -> OutRecord {
    let s = Snapshot {
        schema_version: 1,
        provider_id: provider.into(),
        listing: Listing::Complete,
        source_ids: ids.iter().map(|s| (*s).to_owned()).collect(),
        fetched_at: chrono::Utc::now(),
        document_url: None,
    };
    OutRecord::new(topic, provider, Some(serde_json::to_vec(&s).unwrap()))
        .partition(partition_for(city_key(Some(provider_city), provider).as_bytes(), PARTITIONS))
        .header("event-type", "snapshot")
        .header("schema-version", "1")
}

/// Waits until `check` holds for the store's catalogue; panics with the last view when not.
async fn wait_for(store: &dyn CatalogStore, what: &str, check: impl Fn(&[Entry]) -> bool) -> Vec<Entry> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let entries = store.entries().await.unwrap();
        if check(&entries) {
            return entries;
        }
        if Instant::now() > deadline {
            let titles: Vec<(String, Vec<String>)> =
                entries.iter().map(|e| (e.title.clone(), e.sources.iter().map(|s| s.key.clone()).collect())).collect();
            panic!("timed out waiting for {what}; the catalogue holds {titles:#?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn sources_of<'a>(entries: &'a [Entry], key: &str) -> Option<&'a Entry> {
    entries.iter().find(|e| e.sources.iter().any(|s| s.key == key))
}

/// Duplicates merged, updates in place, withdrawals, expiry, splits, tombstones, dead letters —
/// on one store; the catalog topic read from its start equals the store.
async fn builder_scenario(kind: StoreKind) {
    let town = Town::new(kind).await;
    let topic = town.topic("offerings");
    let store = town.store().await;
    let (stop, task) = town.start_builder();

    let english_vsu = offering("vsu", "eng-1", "Курсы английского языка для начинающих")
        .city("Витебск")
        .venue("ул. Московская 33")
        .at(&in_days(10, 18))
        .url("https://vsu.example/eng-1");
    let english_library = offering("library", "ev-77", "Kursy angliyskogo yazyka dlya nachinayushchikh")
        .city("Viciebsk")
        .at(&in_days(10, 18));
    let chagall = offering("museum", "chagall", "Лекция о Шагале").city("Віцебск").at(&in_days(12, 17));
    let mogilev =
        offering("mogilev", "eng-m", "Курсы английского языка для начинающих").city("Mahilioŭ").at(&in_days(10, 18));
    let gone = offering("vsu", "gone-1", "Семинар по керамике").city("Витебск").at(&in_days(20, 11));
    let past = offering("library", "old-1", "Прошедшая лекция").city("Vitebsk").at(&in_days(-3, 10));
    // Ends 20 s before the 1 h grace runs out: listed, then expired by a sweep.
    let mut expiring = offering("museum", "ending", "Экскурсия по Ратуше").city("Віцебск");
    let end = chrono::Utc::now() - chrono::Duration::hours(1) + chrono::Duration::seconds(20);
    expiring.sessions.push(learncity_model::Session {
        start: (end - chrono::Duration::hours(2)).fixed_offset(),
        end: Some(end.fixed_offset()),
        time_zone: None,
        all_day: false,
        floating: false,
        cancelled: false,
    });
    let mut bad = upsert(&topic, &chagall, "Віцебск");
    bad.key = "museum/broken".into();
    bad.payload = Some(b"{not json".to_vec());
    town.produce(vec![
        upsert(&topic, &english_vsu, "Витебск"),
        upsert(&topic, &english_library, "Vitebsk"),
        upsert(&topic, &chagall, "Віцебск"),
        upsert(&topic, &mogilev, "Могилёв"),
        upsert(&topic, &gone, "Витебск"),
        upsert(&topic, &past, "Vitebsk"),
        upsert(&topic, &expiring, "Віцебск"),
        bad,
    ])
    .await;
    let entries = wait_for(&*store, "the first catalogue", |e| e.len() == 5).await;
    let expiring_id = sources_of(&entries, "museum/ending").expect("listed before its grace ran out").id.clone();
    let entries = wait_for(&*store, "the expiry sweep", |e| sources_of(e, "museum/ending").is_none()).await;

    // The English course of two providers, spelled in two scripts and two city spellings, is
    // one entry; Mogilev's course of the same name and time is another.
    assert_eq!(entries.len(), 4);
    let english = sources_of(&entries, "vsu/eng-1").expect("the English course");
    let keys: Vec<&str> = english.sources.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, vec!["vsu/eng-1", "library/ev-77"], "merged, the higher priority first");
    assert_eq!(english.title, "Курсы английского языка для начинающих");
    assert_ne!(sources_of(&entries, "mogilev/eng-m").unwrap().id, english.id, "another city stays apart");
    assert!(sources_of(&entries, "library/old-1").is_none(), "a past offering is not listed");
    let english_id = english.id.clone();

    // An update in place (same id), the same event again (no change), a withdrawal by snapshot,
    // a cancellation, and a split: the library's item moves to another week.
    let mut english_v2 = english_vsu.clone();
    english_v2.summary = Some("Для взрослых, 12 занятий".into());
    town.produce(vec![
        upsert(&topic, &english_v2, "Витебск"),
        upsert(&topic, &english_v2, "Витебск"),
        snapshot(&topic, "vsu", "Витебск", &["eng-1"]),
        upsert(&topic, &chagall.clone().status(Status::Cancelled), "Віцебск"),
    ])
    .await;
    let entries = wait_for(&*store, "update, withdrawal and cancellation", |e| {
        e.len() == 3
            && sources_of(e, "vsu/eng-1").is_some_and(|x| x.summary.is_some())
            && sources_of(e, "museum/chagall").is_some_and(|x| x.status == Status::Cancelled)
    })
    .await;
    assert_eq!(sources_of(&entries, "vsu/eng-1").unwrap().id, english_id, "updated in place");
    assert!(sources_of(&entries, "vsu/gone-1").is_none(), "withdrawn by the snapshot");

    let mut moved = english_library.clone();
    moved.sessions.clear();
    let moved = moved.at(&in_days(17, 18));
    town.produce(vec![upsert(&topic, &moved, "Vitebsk")]).await;
    let entries = wait_for(&*store, "the split", |e| e.len() == 4).await;
    assert_eq!(sources_of(&entries, "vsu/eng-1").unwrap().id, english_id, "the earliest source keeps the id");
    assert_ne!(sources_of(&entries, "library/ev-77").unwrap().id, english_id);
    // ... and merging back leaves a tombstone of the split-off entry, naming the survivor.
    let split_id = sources_of(&entries, "library/ev-77").unwrap().id.clone();
    town.produce(vec![upsert(&topic, &english_library, "Vitebsk")]).await;
    let entries = wait_for(&*store, "the merge back", |e| e.len() == 3).await;
    assert_eq!(sources_of(&entries, "library/ev-77").unwrap().id, english_id);

    // Store and topic agree (wait until the outbox is published).
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.counts().await.unwrap().outbox > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (view, records) = town.catalog_view(&town.topic("catalog")).await;
    assert_eq!(view, store_view(&store.entries().await.unwrap()), "the catalog topic read from its start is the store");
    let tombstone = |id: &str, reason: &str| {
        records
            .iter()
            .any(|r| r.key.as_deref() == Some(id) && r.payload.is_none() && r.header("reason") == Some(reason))
    };
    assert!(tombstone(&split_id, "merged"), "tombstone of the merged entry");
    let merged = records.iter().find(|r| r.key.as_deref() == Some(split_id.as_str()) && r.payload.is_none()).unwrap();
    assert_eq!(merged.header("merged-into"), Some(english_id.as_str()));
    assert!(
        records.iter().any(|r| r.payload.is_none() && r.header("reason") == Some("withdrawn")),
        "tombstone of the withdrawn entry"
    );
    assert!(tombstone(&expiring_id, "expired"), "tombstone of the expired entry");
    for r in records.iter().filter(|r| r.payload.is_some()) {
        assert_eq!(r.header("event-type"), Some("entry"));
        let entry: Entry = serde_json::from_slice(r.payload.as_deref().unwrap()).expect("an entry by the schema");
        assert_eq!(Some(entry.id.as_str()), r.key.as_deref());
    }

    // The undecodable record went to the dead-letter topic, with why and where.
    let dead = read_topic_all(&town.bootstrap, &town.topic("dead-letter"), Duration::from_secs(20)).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].key.as_deref(), Some("museum/broken"));
    assert_eq!(dead[0].header("dead-letter-kind"), Some("invalid-json"));
    assert!(dead[0].header("dead-letter-reason").unwrap().contains("not a valid upsert"), "{:?}", dead[0].headers);
    assert_eq!(dead[0].header("dead-letter-topic"), Some(topic.as_str()));
    assert_eq!(dead[0].payload.as_deref(), Some(&b"{not json"[..]));

    // The past offering is kept as expired; the withdrawn one as withdrawn.
    let sources = store.sources().await.unwrap();
    let state = |key: &str| sources.iter().find(|s| s.key == key).map(|s| s.state);
    assert_eq!(state("library/old-1"), Some(SourceState::Expired));
    assert_eq!(state("vsu/gone-1"), Some(SourceState::Withdrawn));

    // Health and metrics, as the collector's.
    let ops = format!("http://127.0.0.1:{}", town.ops_port);
    let ready = reqwest::get(format!("{ops}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200, "{}", ready.text().await.unwrap());
    let metrics = reqwest::get(format!("{ops}/metrics")).await.unwrap().text().await.unwrap();
    for name in [
        "learncity_catalog_events_total{type=\"snapshot\"}",
        "learncity_catalog_upserts_total",
        "learncity_catalog_merges_total",
        "learncity_catalog_splits_total",
        "learncity_catalog_withdrawals_total",
        "learncity_catalog_expirations_total",
        "learncity_catalog_dead_letters_total",
        "learncity_catalog_tombstones_total",
        "learncity_catalog_entries",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics:\n{metrics}");
    }

    stop.cancel();
    task.await.unwrap().unwrap();

    // `catalog rebuild` (builders stopped) ends in the same catalogue and keeps the topic equal.
    let before = store_view(&store.entries().await.unwrap());
    let out = Command::new(env!("CARGO_BIN_EXE_learncity"))
        .args(["catalog", "rebuild", "--config"])
        .arg(town.config_path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "rebuild failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("3 entries"), "{stdout}");
    assert_eq!(store_view(&store.entries().await.unwrap()), before, "rebuilt = built");
    let (view, _) = town.catalog_view(&town.topic("catalog")).await;
    assert_eq!(view, before, "the catalog topic after the rebuild");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builder_on_sqlite() {
    builder_scenario(StoreKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builder_on_postgres() {
    builder_scenario(StoreKind::Postgres).await;
}

/// A tiny deterministic generator (the same events every run).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const TOPICS: &[(&str, &str)] = &[
    ("английского языка", "angliyskogo yazyka"),
    ("немецкого языка", "nemetskogo yazyka"),
    ("программирования на Python", "programmirovaniya na Python"),
    ("керамики", "keramiki"),
    ("живописи маслом", "zhivopisi maslom"),
    ("цифровой фотографии", "tsifrovoy fotografii"),
    ("финансовой грамотности", "finansovoy gramotnosti"),
    ("шахмат для детей", "shakhmat dlya detey"),
    ("робототехники", "robototekhniki"),
    ("эстрадного вокала", "estradnogo vokala"),
    ("веб-дизайна", "veb-dizayna"),
    ("каллиграфии", "kalligrafii"),
];

/// Offerings events of a busy city: duplicates across providers and scripts, updates, moves
/// (splits), a withdrawal by snapshot, and a few broken records.
fn busy_city(topic: &str) -> Vec<OutRecord> {
    let mut rng = Lcg(7);
    let mut events = Vec::new();
    let mut later = Vec::new();
    let mut vsu_ids = Vec::new();
    for round in 0..4 {
        for (i, (ru, lat)) in TOPICS.iter().enumerate() {
            let n = round * TOPICS.len() + i;
            let day = 5 + (n % 40) as i64;
            let hour = 9 + (n % 9) as u32;
            let vsu = offering("vsu", &format!("c-{n}"), &format!("Курсы {ru} (группа {round})"))
                .city("Витебск")
                .at(&in_days(day, hour));
            vsu_ids.push(format!("c-{n}"));
            events.push(upsert(topic, &vsu, "Витебск"));
            if rng.below(10) < 6 {
                let lib = offering("library", &format!("ev-{n}"), &format!("Kursy {lat} (gruppa {round})"))
                    .city("Vitebsk")
                    .at(&in_days(day, hour));
                events.push(upsert(topic, &lib, "Vitebsk"));
                if rng.below(10) < 2 {
                    let mut moved = lib.clone();
                    moved.sessions.clear();
                    later.push(upsert(topic, &moved.at(&in_days(day + 3, hour)), "Vitebsk"));
                }
            }
            if rng.below(10) < 3 {
                let museum = offering("museum", &format!("m-{n}"), &format!("Курсы {ru} (группа {round})"))
                    .city("Віцебск")
                    .at(&in_days(day, hour));
                events.push(upsert(topic, &museum, "Віцебск"));
            }
            if rng.below(10) < 3 {
                let m = offering("mogilev", &format!("g-{n}"), &format!("Курсы {ru} (группа {round})"))
                    .city("Могилёв")
                    .at(&in_days(day, hour));
                events.push(upsert(topic, &m, "Могилёв"));
            }
            if rng.below(10) < 3 {
                let mut updated = vsu.clone();
                updated.summary = Some(format!("Обновлено: {n}"));
                later.push(upsert(topic, &updated, "Витебск"));
            }
        }
    }
    let mut broken = upsert(topic, &offering("museum", "x", "x"), "Віцебск");
    broken.payload = Some(b"\x00\x01 not json".to_vec());
    events.push(broken);
    events.extend(later);
    let kept: Vec<&str> = vsu_ids.iter().skip(8).map(String::as_str).collect();
    events.push(snapshot(topic, "vsu", "Витебск", &kept));
    events
}

/// A `learncity catalog` process.
fn spawn_builder(config: &Path, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_learncity"))
        .args(["catalog", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the learncity binary starts")
}

/// Waits until the store has applied every record (its offsets reach `ends`) and published its outbox.
async fn wait_applied(store: &dyn CatalogStore, topic: &str, ends: &BTreeMap<i32, i64>, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let offsets: BTreeMap<i32, i64> = store.offsets(topic).await.unwrap().into_iter().collect();
        if &offsets == ends && store.counts().await.unwrap().outbox == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_twenty_times_the_builder_ends_in_the_catalogue_of_an_uninterrupted_run() {
    let town = Town::new(StoreKind::Sqlite).await;
    let topic = town.topic("offerings");
    let events = busy_city(&topic);
    let mut ends: BTreeMap<i32, i64> = BTreeMap::new();
    for e in &events {
        *ends.entry(e.partition.unwrap()).or_default() += 1;
    }
    let log = town.dir.path().join("builder.log");

    // Events flow in chunks while the builder is killed with SIGKILL at random moments.
    let producer_town_config = town.config();
    let chunks: Vec<Vec<OutRecord>> = events.chunks(6).map(<[OutRecord]>::to_vec).collect();
    let flow = tokio::spawn(async move {
        let producer = Producer::new(&producer_town_config.kafka).unwrap();
        for chunk in chunks {
            producer.publish(chunk, &CancellationToken::new()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(3000)).await;
        }
    });
    let mut rng = Lcg(42);
    for _ in 0..20 {
        let mut child = spawn_builder(&town.config_path(), &log);
        tokio::time::sleep(Duration::from_millis(1000 + rng.below(5000))).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    flow.await.unwrap();
    let store = town.store().await;
    let applied_while_killed: i64 = store.offsets(&topic).await.unwrap().iter().map(|(_, o)| *o).sum();
    let runs = std::fs::read_to_string(&log).unwrap_or_default().matches("catalog builder running").count();
    eprintln!("{runs} of 20 killed runs joined the group; {applied_while_killed} of {} records applied", events.len());
    assert!(
        runs >= 10 && applied_while_killed > 0,
        "the killed runs must have worked: {runs} joined, {applied_while_killed} applied"
    );
    // The last run finishes the work and stops gracefully.
    let mut child = spawn_builder(&town.config_path(), &log);
    let applied = wait_applied(&*store, &topic, &ends, Duration::from_secs(120)).await;
    // SIGTERM once it runs (before its signal handler is installed SIGTERM would kill it).
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(&log).unwrap_or_default().matches("catalog builder running").count() <= runs
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let status = child.wait().unwrap();
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(applied, "the builder did not apply every record; log tail:\n{}", tail(&log_text, 60));
    assert!(status.success(), "graceful stop failed ({status}); log tail:\n{}", tail(&log_text, 40));
    let killed = store.entries().await.unwrap();

    // The same events, applied by one uninterrupted builder into a fresh store.
    let reference_dir = tempfile::tempdir().unwrap();
    let reference = Town {
        bootstrap: town.bootstrap.clone(),
        store_url: format!("sqlite:{}", reference_dir.path().join("reference.sqlite").display()),
        dir: reference_dir,
        prefix: town.prefix.clone(),
        schema: None,
        ops_port: 0,
    };
    let reference_catalog = unique_name("reference");
    create_topic(
        &town.bootstrap,
        &format!("{reference_catalog}.catalog"),
        PARTITIONS,
        &[("cleanup.policy", "compact")],
    )
    .await
    .unwrap();
    reference.write_config(&reference_catalog, "reference");
    let reference_store = reference.store().await;
    let (stop, task) = reference.start_builder();
    assert!(wait_applied(&*reference_store, &topic, &ends, Duration::from_secs(120)).await, "the reference run");
    stop.cancel();
    task.await.unwrap().unwrap();
    let uninterrupted = reference_store.entries().await.unwrap();

    assert!(uninterrupted.len() > 40, "a busy city: {} entries", uninterrupted.len());
    assert!(uninterrupted.iter().any(|e| e.sources.len() >= 3), "three providers merged somewhere");
    assert_eq!(store_view(&killed), store_view(&uninterrupted), "killed 20 times = uninterrupted");
    let (view, _) = town.catalog_view(&town.topic("catalog")).await;
    assert_eq!(view, store_view(&killed), "the catalog topic of the killed run equals its store");
    let (reference_view, _) = reference.catalog_view(&format!("{reference_catalog}.catalog")).await;
    assert_eq!(reference_view, store_view(&uninterrupted));
    let dead = read_topic_all(&town.bootstrap, &town.topic("dead-letter"), Duration::from_secs(20)).await;
    let offsets: std::collections::BTreeSet<&str> =
        dead.iter().filter_map(|r| r.header("dead-letter-offset")).collect();
    assert_eq!(offsets.len(), 1, "one broken record, dead-lettered (a crash may repeat it, never lose it)");
}

/// Copies a SQLite store (with its write-ahead log, when there is one) from `from` to `to`,
/// removing `to`'s own when `from` has none.
fn copy_sqlite(from: &Path, to: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let (src, dst) =
            (PathBuf::from(format!("{}{suffix}", from.display())), PathBuf::from(format!("{}{suffix}", to.display())));
        let _ = std::fs::remove_file(&dst);
        if src.exists() {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_restored_from_a_backup_reads_on_from_its_own_offsets() {
    let town = Town::new(StoreKind::Sqlite).await;
    let topic = town.topic("offerings");
    let events = busy_city(&topic);
    let (first, second) = events.split_at(events.len() / 2);
    let ends = |records: &[OutRecord]| {
        let mut ends: BTreeMap<i32, i64> = BTreeMap::new();
        for e in records {
            *ends.entry(e.partition.unwrap()).or_default() += 1;
        }
        ends
    };
    let file = town.dir.path().join("catalog.sqlite");
    let backup = town.dir.path().join("backup.sqlite");
    let run_until_applied = |ends: BTreeMap<i32, i64>, what: &'static str| {
        let town = &town;
        async move {
            let store = town.store().await;
            let (stop, task) = town.start_builder();
            let applied = wait_applied(&*store, &town.topic("offerings"), &ends, Duration::from_secs(90)).await;
            stop.cancel();
            task.await.unwrap().unwrap();
            let entries = store.entries().await.unwrap();
            let offsets = store.offsets(&town.topic("offerings")).await.unwrap();
            assert!(
                applied,
                "{what}: the builder did not apply every record (store offsets {offsets:?}, want {ends:?})"
            );
            entries
        }
    };

    // The first half applied; the store backed up by `learncity backup` while the builder runs.
    town.produce(first.to_vec()).await;
    {
        let store = town.store().await;
        let (stop, task) = town.start_builder();
        assert!(wait_applied(&*store, &topic, &ends(first), Duration::from_secs(90)).await, "first half");
        let back_up = || {
            Command::new(env!("CARGO_BIN_EXE_learncity"))
                .args(["backup", "--to"])
                .arg(&backup)
                .arg("--config")
                .arg(town.config_path())
                .output()
                .unwrap()
        };
        let out = back_up();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let again = back_up();
        assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("exists"));
        stop.cancel();
        task.await.unwrap().unwrap();
    }
    // The second half applied too: the group's offsets are now at the end of the topic.
    town.produce(second.to_vec()).await;
    let whole = run_until_applied(ends(&events), "second half").await;

    // The store restored from the backup (the runbook's drill: the builder stopped, the copy put
    // back without the live file's -wal and -shm): its offsets are the first half's. The builder
    // reads on from them, not from the group's, and ends in the same catalogue without a rebuild.
    copy_sqlite(&backup, &file);
    let restored = town.store().await;
    assert_eq!(restored.offsets(&topic).await.unwrap().into_iter().collect::<BTreeMap<_, _>>(), ends(first));
    drop(restored);
    let after = run_until_applied(ends(&events), "after the restore").await;
    assert_eq!(store_view(&after), store_view(&whole), "restored and caught up = never restored");
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// An upsert of `o` as an older builder kept it, unable to read a field of this release's.
fn older_builders_dead_letter(topic: &str, o: &Offering, partition: i32, offset: i64) -> learncity_store::DeadLetter {
    learncity_store::DeadLetter {
        record: learncity_store::OutboxRecord {
            topic: topic.to_owned(),
            key: Some(o.key().into_bytes()),
            value: Some(serde_json::to_vec(o).unwrap()),
            headers: vec![("event-type".into(), b"upsert".to_vec()), ("schema-version".into(), b"1".to_vec())],
        },
        partition,
        offset,
        kind: "invalid-json".into(),
        reason: "unknown field `place` (an older builder)".into(),
    }
}

/// Waits until the builder has taken the replay of dead letter `id` and forgotten it.
async fn wait_forgotten(store: &dyn CatalogStore, id: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.dead_letter(id).await.unwrap().is_some() {
        assert!(Instant::now() < deadline, "dead letter {id} replayed is never forgotten");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `learncity dead-letters` on what the running builder keeps.
fn dead_letters_cli(config: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_learncity"))
        .arg("dead-letters")
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .expect("the learncity binary starts");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A record the builder cannot apply is kept in the store (not only on the dead-letter topic);
/// `dead-letters list|show` show it, `replay` refuses it while this binary cannot apply it and
/// refuses a record the store has a newer read of, and a replayable one is applied by the
/// builder that reads its partition and then forgotten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_kept_listed_and_replayed() {
    let town = Town::new(StoreKind::Sqlite).await;
    let offerings = town.topic("offerings");
    let (stop, task) = town.start_builder();
    let store = town.store().await;

    // A broken value: dead-lettered, and kept.
    let broken = OutRecord::new(&offerings, "library/broken", Some(b"{\"title\": ".to_vec()))
        .partition(partition_for(city_key(Some("Vitebsk"), "library").as_bytes(), PARTITIONS))
        .header("event-type", "upsert")
        .header("schema-version", "1");
    let now =
        offering("library", "now", "Курс керамики").city("Vitebsk").at(&in_days(3, 18)).fetched(chrono::Utc::now());
    town.produce(vec![broken, upsert(&offerings, &now, "Vitebsk")]).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let kept = loop {
        let kept = store.dead_letters(10).await.unwrap();
        if !kept.is_empty() {
            break kept;
        }
        assert!(Instant::now() < deadline, "the broken record was never kept in the store");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    wait_for(&*store, "the good record beside it", |e| sources_of(e, "library/now").is_some()).await;
    assert_eq!(kept.len(), 1);
    let broken_id = kept[0].id;
    assert_eq!(kept[0].letter.kind, "invalid-json");
    assert_eq!(kept[0].letter.record.key.as_deref(), Some(&b"library/broken"[..]));

    let config = town.config_path();
    let (ok, listed, _) = dead_letters_cli(&config, &["list", "--json"]);
    assert!(ok);
    let line: serde_json::Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    assert_eq!(
        (line["id"].as_i64(), line["kind"].as_str(), line["key"].as_str()),
        (Some(broken_id), Some("invalid-json"), Some("library/broken"))
    );
    let (ok, shown, _) = dead_letters_cli(&config, &["show", &broken_id.to_string()]);
    assert!(ok && shown.contains("{\"title\": ") && shown.contains("header event-type: upsert"), "{shown}");
    let (ok, _, err) = dead_letters_cli(&config, &["replay", &broken_id.to_string()]);
    assert!(!ok && err.contains("still cannot apply it (invalid-json"), "{err}");
    let (ok, _, err) = dead_letters_cli(&config, &["show", "999999"]);
    assert!(!ok && err.contains("no dead letter 999999"), "{err}");

    // Records an older builder could not apply (kept as it kept them): one the store has a newer
    // read of, and one it does not know.
    let partition = partition_for(city_key(Some("Vitebsk"), "library").as_bytes(), PARTITIONS);
    let letter = |o: &Offering, offset: i64| older_builders_dead_letter(&offerings, o, partition, offset);
    let stale = now.clone().fetched(chrono::Utc::now() - chrono::Duration::days(30));
    let fresh = offering("library", "later", "Лекция о Шагале").city("Vitebsk").at(&in_days(5, 18));
    let changes = learncity_store::Changeset {
        dead_letters: vec![letter(&stale, 1_000_000), letter(&fresh, 1_000_001)],
        ..Default::default()
    };
    store.apply(&changes).await.unwrap();
    let ids: Vec<i64> =
        store.dead_letters(10).await.unwrap().iter().map(|d| d.id).filter(|id| *id != broken_id).collect();
    let (ok, _, err) = dead_letters_cli(&config, &["replay", &ids[0].to_string()]);
    assert!(!ok && err.contains("newer than this record; --force replays it anyway"), "{err}");
    let (ok, out, err) = dead_letters_cli(&config, &["replay", &ids[1].to_string()]);
    assert!(ok && out.contains("1 dead letter(s) to replay"), "{out}{err}");
    wait_for(&*store, "the replayed record applied", |e| sources_of(e, "library/later").is_some()).await;
    wait_forgotten(&*store, ids[1]).await;
    let left: Vec<i64> = store.dead_letters(10).await.unwrap().iter().map(|d| d.id).collect();
    assert_eq!(left, [broken_id, ids[0]], "what was not replayed is still kept");
    stop.cancel();
    task.await.unwrap().unwrap();
}

/// The standalone mode (`learncity run`'s in-process builder) keeps what it cannot apply in the
/// store — no dead-letter topic is read there — and applies a replay asked for in the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_standalone_mode_dead_letters_are_kept_and_replayed() {
    use learncity_bus::{LocalBus, Publish};

    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("learncity.toml");
    let store_url = format!("sqlite:{}", dir.path().join("run.sqlite").display());
    std::fs::write(&config_path, format!("[catalog]\nstore = \"{store_url}\"\nexpiry-grace = \"30d\"\n")).unwrap();
    let config = learncity_config::load(&config_path).unwrap_or_else(|e| panic!("{e}"));
    let topic = config.kafka.offerings_topic.clone();
    let store = learncity::catalog::open_store(&config).await.unwrap();
    let bus = Arc::new(LocalBus::new());
    let deliveries = bus.subscribe(&topic, 16);
    let stop = CancellationToken::new();
    // The provider files do not change here.
    let (_files, providers) = tokio::sync::watch::channel(learncity_builder::providers(&config));
    let builder = {
        let (config, store, bus, stop) = (config.clone(), Arc::clone(&store), Arc::clone(&bus), stop.clone());
        tokio::spawn(
            async move { learncity_builder::local::run(&config, store, bus, deliveries, providers, stop).await },
        )
    };

    let broken = OutRecord::new(&topic, "library/broken", Some(b"not json".to_vec()))
        .header("event-type", "upsert")
        .header("schema-version", "1");
    bus.publish(vec![broken], &CancellationToken::new()).await.unwrap();
    let kept = store.dead_letters(10).await.unwrap();
    assert_eq!(kept.len(), 1, "kept once the delivery is acknowledged");
    assert_eq!(
        (kept[0].letter.kind.as_str(), kept[0].letter.record.value.as_deref()),
        ("invalid-json", Some(&b"not json"[..]))
    );

    let good = offering("library", "replayed", "Лекция о Шагале").city("Vitebsk").at(&in_days(5, 18));
    let letter = older_builders_dead_letter(&topic, &good, 0, 99);
    store.apply(&learncity_store::Changeset { dead_letters: vec![letter], ..Default::default() }).await.unwrap();
    let id = store.dead_letters(10).await.unwrap().last().unwrap().id;
    // One read from another topic (a renamed offerings topic): no builder would take it.
    let elsewhere = older_builders_dead_letter("learncity.offerings-old", &good, 0, 7);
    store.apply(&learncity_store::Changeset { dead_letters: vec![elsewhere], ..Default::default() }).await.unwrap();
    let other = store.dead_letters(10).await.unwrap().last().unwrap().id;
    let (ok, _, err) = dead_letters_cli(&config_path, &["replay", &other.to_string()]);
    assert!(!ok && err.contains("it was read from topic learncity.offerings-old"), "{err}");
    let (ok, out, err) = dead_letters_cli(&config_path, &["replay", &id.to_string()]);
    assert!(ok, "{out}{err}");
    wait_for(&*store, "the replayed record applied", |e| sources_of(e, "library/replayed").is_some()).await;
    wait_forgotten(&*store, id).await;
    assert_eq!(store.dead_letters(10).await.unwrap().len(), 2, "the broken record and the other topic's are kept");
    stop.cancel();
    builder.await.unwrap().unwrap();
}
