//! The store contract, run against both stores: every suite function takes a
//! `&dyn CatalogStore` and `both!` runs it on a fresh SQLite file and on a fresh PostgreSQL
//! schema (dropped afterwards). PostgreSQL is `postgres://postgres@127.0.0.1:5432/test` unless
//! `LEARNCITY_TEST_PG` names another database; these tests fail when it is unreachable.

use std::time::Instant;

use learncity_model::{Entry, Offering};
use learncity_store::{
    CatalogStore, Changeset, DeadLetter, EntryChange, OutboxRecord, PgStore, SourceRow, SourceState, SqliteStore,
    StoreCounts, StoreError,
};
use learncity_testkit::pg::{pg_url, unique_schema};
use serde_json::json;
use sqlx::AssertSqlSafe;

const TOPIC: &str = "learncity.offerings.v1";

// ---------------------------------------------------------------------------------------------
// Fixtures

fn offering(key: &str, title: &str) -> Offering {
    let (provider, source_id) = key.split_once('/').expect("key is provider/source");
    serde_json::from_value(json!({
        "schema_version": 1,
        "source_id": source_id,
        "provider": {"id": provider, "name": "Провайдер"},
        "title": title,
        "kind": "course",
        "mode": "in_person",
        "sessions": [{"start": "2025-03-05T18:30:00+03:00", "end": "2025-03-05T20:00:00+03:00",
                      "time_zone": "Europe/Minsk"}],
        "location": {"city": "Витебск", "geo": {"lat": 55.190_4, "lon": 30.204_9}},
        "price": {"free": false, "amount": 12.5, "currency": "BYN"},
        "provenance": {"format": "rss", "fetched_at": "2025-03-01T10:00:00Z", "content_hash": "sha256:00"}
    }))
    .expect("a valid offering")
}

fn entry(id: &str, title: &str) -> Entry {
    serde_json::from_value(json!({
        "schema_version": 1,
        "id": id,
        "title": title,
        "kind": "course",
        "mode": "in_person",
        "status": "scheduled",
        "sessions": [{"start": "2025-03-05T18:30:00+03:00", "time_zone": "Europe/Minsk"}],
        "location": {"geo": {"lat": 55.190_4, "lon": 30.204_9}},
        "languages": ["be", "ru"],
        "audience": {"age_min": 16},
        "sources": [{
            "key": "p/1", "provider_id": "p", "source_id": "1", "title": title, "status": "scheduled",
            "format": "ical", "priority": 10, "fetched_at": "2025-03-01T10:00:00Z"
        }],
        "updated_at": "2025-03-01T10:00:00Z"
    }))
    .expect("a valid entry")
}

fn source(key: &str, partition: i32, seen_order: i64, state: SourceState, entry_id: Option<&str>) -> SourceRow {
    SourceRow {
        key: key.to_owned(),
        partition,
        seen_order,
        state,
        entry_id: entry_id.map(str::to_owned),
        offering: offering(key, &format!("Курс {key}")),
    }
}

fn put(partition: i32, entry: Entry) -> EntryChange {
    EntryChange::Put { partition, entry }
}

fn remove(id: &str, reason: &str) -> EntryChange {
    EntryChange::Remove { id: id.to_owned(), reason: reason.to_owned() }
}

fn record(topic: &str, key: Option<&[u8]>, value: Option<&[u8]>, headers: &[(&str, &[u8])]) -> OutboxRecord {
    OutboxRecord {
        topic: topic.to_owned(),
        key: key.map(<[u8]>::to_vec),
        value: value.map(<[u8]>::to_vec),
        headers: headers.iter().map(|(n, v)| ((*n).to_owned(), v.to_vec())).collect(),
    }
}

/// A changeset over two partitions.
fn two_partitions() -> Changeset {
    Changeset {
        sources: vec![
            source("b/2", 0, 7, SourceState::Active, Some("e-00000000000000a1")),
            source("a/1", 0, 3, SourceState::Active, Some("e-00000000000000a1")),
            source("c/9", 1, 1, SourceState::Withdrawn, None),
            source("d/4", 1, 2, SourceState::Active, Some("e-00000000000000b2")),
        ],
        entries: vec![
            put(0, entry("e-00000000000000a1", "Английский")),
            put(1, entry("e-00000000000000b2", "Шахматы")),
        ],
        outbox: vec![],
        offsets: vec![(TOPIC.to_owned(), 0, 8), (TOPIC.to_owned(), 1, 3), ("other".to_owned(), 0, 100)],
        dead_letters: Vec::new(),
    }
}

/// The highest change sequence in the store (0 when none).
async fn max_seq(store: &dyn CatalogStore) -> i64 {
    store.changes_since(0, i64::MAX).await.unwrap().iter().map(|r| r.seq).max().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// The suite

async fn round_trip(store: &dyn CatalogStore) {
    let changes = two_partitions();
    store.apply(&changes).await.unwrap();

    let p0 = store.load_partition(TOPIC, 0).await.unwrap();
    assert_eq!(p0.next_offset, Some(8));
    assert_eq!(p0.sources.iter().map(|s| s.key.as_str()).collect::<Vec<_>>(), ["a/1", "b/2"]);
    assert_eq!(p0.sources[0], changes.sources[1], "a source round-trips whole");
    assert_eq!(p0.entries, vec![entry("e-00000000000000a1", "Английский")]);

    let p1 = store.load_partition(TOPIC, 1).await.unwrap();
    assert_eq!(p1.next_offset, Some(3));
    assert_eq!(p1.sources.len(), 2, "withdrawn sources are loaded too");
    assert_eq!(p1.sources[0].state, SourceState::Withdrawn);
    assert_eq!(p1.entries.len(), 1);

    let empty = store.load_partition(TOPIC, 5).await.unwrap();
    assert_eq!((empty.sources.len(), empty.entries.len(), empty.next_offset), (0, 0, None));
    assert_eq!(store.load_partition("unknown-topic", 0).await.unwrap().next_offset, None);

    let ids: Vec<String> = store.entries().await.unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(ids, ["e-00000000000000a1", "e-00000000000000b2"]);
    let keys: Vec<String> = store.sources().await.unwrap().into_iter().map(|s| s.key).collect();
    assert_eq!(keys, ["a/1", "b/2", "c/9", "d/4"]);
    assert_eq!(store.offsets(TOPIC).await.unwrap(), [(0, 8), (1, 3)]);
    assert_eq!(store.offsets("other").await.unwrap(), [(0, 100)]);

    let a1 = store.entry("e-00000000000000a1").await.unwrap().expect("stored");
    assert_eq!(a1.entry, Some(entry("e-00000000000000a1", "Английский")));
    assert_eq!(a1.removed_reason, None);
    assert!(a1.seq > 0);
    assert_eq!(store.entry("e-ffffffffffffffff").await.unwrap(), None);

    // A source replaced whole.
    let mut moved = source("a/1", 0, 3, SourceState::Expired, None);
    moved.offering.title = "Новое название".into();
    store.apply(&Changeset { sources: vec![moved.clone()], ..Changeset::default() }).await.unwrap();
    let sources = store.sources().await.unwrap();
    assert_eq!(sources[0], moved);

    // An empty changeset is fine.
    store.apply(&Changeset::default()).await.unwrap();
}

async fn idempotent_reapply(store: &dyn CatalogStore) {
    let changes = two_partitions();
    store.apply(&changes).await.unwrap();
    let sources = store.sources().await.unwrap();
    let log = store.changes_since(0, 100).await.unwrap();
    assert_eq!(log.len(), 2);
    let seq = max_seq(store).await;

    store.apply(&changes).await.unwrap();
    assert_eq!(store.sources().await.unwrap(), sources);
    assert_eq!(store.changes_since(0, 100).await.unwrap(), log, "unchanged entries keep their sequence");
    assert_eq!(max_seq(store).await, seq);
    assert_eq!(store.offsets(TOPIC).await.unwrap(), [(0, 8), (1, 3)]);

    // One real change takes exactly one new sequence.
    let changed = Changeset {
        entries: vec![
            put(0, entry("e-00000000000000a1", "Английский B1")),
            put(1, entry("e-00000000000000b2", "Шахматы")),
        ],
        ..Changeset::default()
    };
    store.apply(&changed).await.unwrap();
    let after = store.changes_since(seq, 100).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].id, "e-00000000000000a1");
    assert!(after[0].seq > seq);
    assert_eq!(after[0].entry.as_ref().unwrap().title, "Английский B1");

    // Moving an entry to another partition is a change too.
    let seq = max_seq(store).await;
    store
        .apply(&Changeset {
            entries: vec![put(1, entry("e-00000000000000a1", "Английский B1"))],
            ..Changeset::default()
        })
        .await
        .unwrap();
    assert!(max_seq(store).await > seq);
    assert_eq!(store.load_partition(TOPIC, 1).await.unwrap().entries.len(), 2);
    assert_eq!(store.load_partition(TOPIC, 0).await.unwrap().entries.len(), 0);
}

async fn remove_and_change_log(store: &dyn CatalogStore) {
    store.apply(&two_partitions()).await.unwrap();
    let seq = max_seq(store).await;

    store
        .apply(&Changeset {
            entries: vec![remove("e-00000000000000a1", "withdrawn"), remove("e-never-stored", "merged")],
            ..Changeset::default()
        })
        .await
        .unwrap();
    let log = store.changes_since(seq, 100).await.unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0].id, "e-00000000000000a1");
    assert_eq!(log[0].entry, None);
    assert_eq!(log[0].removed_reason.as_deref(), Some("withdrawn"));
    assert_eq!(log[1].id, "e-never-stored");
    assert_eq!(log[1].removed_reason.as_deref(), Some("merged"));
    assert!(seq < log[0].seq && log[0].seq < log[1].seq);

    let ids: Vec<String> = store.entries().await.unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(ids, ["e-00000000000000b2"]);
    assert!(store.load_partition(TOPIC, 0).await.unwrap().entries.is_empty());
    let gone = store.entry("e-00000000000000a1").await.unwrap().unwrap();
    assert_eq!((gone.entry, gone.removed_reason.as_deref()), (None, Some("withdrawn")));

    // Removing again is no change.
    let seq = max_seq(store).await;
    store
        .apply(&Changeset { entries: vec![remove("e-00000000000000a1", "withdrawn")], ..Changeset::default() })
        .await
        .unwrap();
    assert_eq!(max_seq(store).await, seq);

    // Put back: live again, reason cleared, new sequence.
    store
        .apply(&Changeset { entries: vec![put(0, entry("e-00000000000000a1", "Снова"))], ..Changeset::default() })
        .await
        .unwrap();
    let back = store.entry("e-00000000000000a1").await.unwrap().unwrap();
    assert_eq!(back.removed_reason, None);
    assert_eq!(back.entry.unwrap().title, "Снова");
    assert!(back.seq > seq);

    // Changes in one changeset take sequences in order; limit pages through them.
    let seq = max_seq(store).await;
    let entries = (0..5).map(|n| put(2, entry(&format!("e-page-{n}"), "x"))).rev().collect();
    store.apply(&Changeset { entries, ..Changeset::default() }).await.unwrap();
    let first = store.changes_since(seq, 2).await.unwrap();
    assert_eq!(first.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["e-page-4", "e-page-3"]);
    let rest = store.changes_since(first[1].seq, 10).await.unwrap();
    assert_eq!(rest.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["e-page-2", "e-page-1", "e-page-0"]);
}

async fn outbox_order_and_done(store: &dyn CatalogStore) {
    let first = vec![
        record(
            "catalog",
            Some(b"e-1"),
            Some(b"{\"id\":\"e-1\"}"),
            &[("event-type", b"entry"), ("schema-version", b"1")],
        ),
        record("catalog", Some(b"e-2"), None, &[("event-type", b"tombstone"), ("bin", &[0, 255, 1])]),
        record("dead-letter", None, Some(&[0xff, 0x00]), &[]),
    ];
    store.apply(&Changeset { outbox: first.clone(), ..Changeset::default() }).await.unwrap();
    let second =
        vec![record("catalog", Some(b"e-3"), Some(b"3"), &[]), record("catalog", Some(b"e-4"), Some(b""), &[])];
    store.apply(&Changeset { outbox: second.clone(), ..Changeset::default() }).await.unwrap();

    let all = store.outbox(100).await.unwrap();
    let expected: Vec<OutboxRecord> = first.iter().chain(&second).cloned().collect();
    assert_eq!(all.iter().map(|o| o.record.clone()).collect::<Vec<_>>(), expected);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "ids ascend: {all:?}");
    assert_eq!(store.counts().await.unwrap().outbox, 5);

    let head = store.outbox(2).await.unwrap();
    assert_eq!(head, all[..2]);
    store.outbox_done(&head.iter().map(|o| o.id).collect::<Vec<_>>()).await.unwrap();
    store.outbox_done(&[]).await.unwrap();
    store.outbox_done(&[i64::MAX]).await.unwrap();
    let left = store.outbox(100).await.unwrap();
    assert_eq!(left, all[2..]);
    assert_eq!(store.counts().await.unwrap().outbox, 3);

    // Appended after deletions, still in order after the others.
    store.apply(&Changeset { outbox: vec![record("catalog", None, None, &[])], ..Changeset::default() }).await.unwrap();
    let left = store.outbox(100).await.unwrap();
    assert_eq!(left.len(), 4);
    assert!(left[3].id > all[4].id);
}

async fn offsets(store: &dyn CatalogStore) {
    assert!(store.offsets(TOPIC).await.unwrap().is_empty());
    let set = |offsets: &[(&str, i32, i64)]| Changeset {
        offsets: offsets.iter().map(|(t, p, o)| ((*t).to_owned(), *p, *o)).collect(),
        ..Changeset::default()
    };
    store.apply(&set(&[(TOPIC, 2, 10), (TOPIC, 0, 5), ("x", 0, 1)])).await.unwrap();
    assert_eq!(store.offsets(TOPIC).await.unwrap(), [(0, 5), (2, 10)]);
    store.apply(&set(&[(TOPIC, 0, 42), (TOPIC, 0, 43)])).await.unwrap();
    assert_eq!(store.offsets(TOPIC).await.unwrap(), [(0, 43), (2, 10)], "the last offset of a changeset wins");
    assert_eq!(store.offsets("x").await.unwrap(), [(0, 1)]);
    assert_eq!(store.load_partition(TOPIC, 2).await.unwrap().next_offset, Some(10));
}

async fn counts(store: &dyn CatalogStore) {
    assert_eq!(store.counts().await.unwrap(), StoreCounts::default());
    let mut changes = two_partitions();
    changes.sources.push(source("e/5", 2, 1, SourceState::Expired, None));
    changes.sources.push(source("e/6", 2, 2, SourceState::Expired, None));
    changes.entries.push(remove("e-00000000000000b2", "expired"));
    changes.outbox.push(record("catalog", None, None, &[]));
    store.apply(&changes).await.unwrap();
    assert_eq!(
        store.counts().await.unwrap(),
        StoreCounts { sources_active: 3, sources_withdrawn: 1, sources_expired: 2, entries: 1, outbox: 1 }
    );
}

async fn reset(store: &dyn CatalogStore) {
    let mut changes = two_partitions();
    changes.entries.push(put(3, entry("e-00000000000000c3", "c")));
    changes.entries.push(remove("e-00000000000000c3", "merged"));
    changes.entries.push(put(3, entry("e-00000000000000d4", "d")));
    changes.outbox.push(record("catalog", Some(b"k"), Some(b"v"), &[]));
    store.apply(&changes).await.unwrap();
    let seq = max_seq(store).await;

    let ids = store.reset("rebuild").await.unwrap();
    assert_eq!(ids, ["e-00000000000000a1", "e-00000000000000b2", "e-00000000000000d4"]);
    assert!(store.sources().await.unwrap().is_empty());
    assert!(store.offsets(TOPIC).await.unwrap().is_empty());
    assert!(store.offsets("other").await.unwrap().is_empty());
    assert!(store.entries().await.unwrap().is_empty());
    assert_eq!(store.counts().await.unwrap(), StoreCounts { outbox: 1, ..StoreCounts::default() }, "outbox kept");

    let log = store.changes_since(seq, 100).await.unwrap();
    assert_eq!(log.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ids, "one change per live entry");
    assert!(log.iter().all(|r| r.entry.is_none() && r.removed_reason.as_deref() == Some("rebuild")));
    let merged = store.entry("e-00000000000000c3").await.unwrap().unwrap();
    assert_eq!(merged.removed_reason.as_deref(), Some("merged"), "removed entries keep their reason");

    assert!(store.reset("again").await.unwrap().is_empty());
    assert_eq!(max_seq(store).await, log.last().unwrap().seq);

    // The store works as new after a reset.
    store.apply(&two_partitions()).await.unwrap();
    assert_eq!(store.entries().await.unwrap().len(), 2);
    assert!(max_seq(store).await > log.last().unwrap().seq);
}

async fn curation(store: &dyn CatalogStore) {
    use learncity_model::curation::{Action, Decision, Revocation};
    let at = "2026-12-07T10:00:00Z".parse().unwrap();
    let hide = Decision::new(Action::Hide { sources: vec!["p/1".into()] }, "anna", at, "junk");
    let merge = Decision::new(Action::Merge { sources: vec!["a/1".into(), "b/2".into()] }, "anna", at, "one course");
    assert!(store.decisions().await.unwrap().is_empty());
    let published = record("curation", Some(hide.id.as_bytes()), Some(b"{}"), &[("event-type", b"curation")]);
    store.put_decision(&hide, Some(&published)).await.unwrap();
    store.put_decision(&merge, None).await.unwrap();
    let mut both = vec![hide.clone(), merge.clone()];
    both.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(store.decisions().await.unwrap(), both);
    let outbox = store.outbox(10).await.unwrap();
    assert_eq!(
        outbox.iter().map(|o| &o.record).collect::<Vec<_>>(),
        [&published],
        "the record in the same transaction"
    );

    // Revoked: the same row, replaced whole.
    let mut revoked = hide.clone();
    revoked.revoked = Some(Revocation { by: "boris".into(), at, reason: "not junk".into() });
    store.put_decision(&revoked, None).await.unwrap();
    let kept = store.decisions().await.unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept.iter().find(|d| d.id == hide.id), Some(&revoked));

    // A rebuild forgets the sources, never the operators' decisions.
    store.reset("rebuild").await.unwrap();
    assert_eq!(store.decisions().await.unwrap().len(), 2);
}

async fn large_batch(store: &dyn CatalogStore) {
    const N: usize = 3000;
    let changes = Changeset {
        sources: (0..N)
            .map(|n| source(&format!("p/{n}"), (n % 4) as i32, n as i64, SourceState::Active, None))
            .collect(),
        entries: (0..N).map(|n| put((n % 4) as i32, entry(&format!("e-{n:016x}"), "x"))).collect(),
        outbox: (0..N).map(|n| record("catalog", Some(format!("e-{n}").as_bytes()), Some(b"{}"), &[])).collect(),
        offsets: (0..4).map(|p| (TOPIC.to_owned(), p, N as i64)).collect(),
        dead_letters: Vec::new(),
    };
    let started = Instant::now();
    store.apply(&changes).await.unwrap();
    let took = started.elapsed();
    eprintln!("{}: applied {N} sources, entries and outbox records in {took:?}", store.describe());
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.sources_active, counts.entries, counts.outbox), (N as i64, N as i64, N as i64));
    assert_eq!(store.load_partition(TOPIC, 1).await.unwrap().entries.len(), N / 4);
}

async fn fetch_state(store: &dyn CatalogStore) {
    assert!(store.fetch_states().await.unwrap().is_empty());
    store.put_fetch_state("library", r#"{"provider_id":"library","bytes":1}"#).await.unwrap();
    store.put_fetch_state("museum", r#"{"provider_id":"museum"}"#).await.unwrap();
    store.put_fetch_state("library", r#"{"provider_id":"library","bytes":2}"#).await.unwrap();
    let states = store.fetch_states().await.unwrap();
    let ids: Vec<&str> = states.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["library", "museum"]);
    let library: serde_json::Value = serde_json::from_str(&states[0].1).unwrap();
    assert_eq!(library["bytes"], 2, "the later state replaces the earlier one");
    // A rebuild forgets the catalogue, not what the collector knows about its providers.
    store.reset("rebuild").await.unwrap();
    assert_eq!(store.fetch_states().await.unwrap().len(), 2);
}

fn dead_letter(partition: i32, offset: i64, value: &[u8]) -> DeadLetter {
    DeadLetter {
        record: record(TOPIC, Some(b"library/1"), Some(value), &[("event-type", b"upsert"), ("raw", &[0, 255])]),
        partition,
        offset,
        kind: "invalid-json".into(),
        reason: "the value is not an offering: expected value at line 1 column 1".into(),
    }
}

async fn dead_letters(store: &dyn CatalogStore) {
    assert!(store.dead_letters(10).await.unwrap().is_empty());
    let batch = Changeset {
        dead_letters: vec![dead_letter(0, 7, b"{broken"), dead_letter(1, 3, b"\x00\xff")],
        offsets: vec![(TOPIC.into(), 0, 8), (TOPIC.into(), 1, 4)],
        ..Changeset::default()
    };
    store.apply(&batch).await.unwrap();
    // A batch applied again (a crash before the consumer committed) keeps each record once.
    store.apply(&batch).await.unwrap();
    let kept = store.dead_letters(10).await.unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0].letter, batch.dead_letters[0], "kept whole: topic, key, value, headers with raw bytes, why");
    assert_eq!(kept[1].letter, batch.dead_letters[1]);
    assert!(kept[0].id < kept[1].id && !kept[0].replay_requested);
    assert!(kept[0].recorded_at.ends_with('Z') && kept[0].recorded_at.len() == 20, "{}", kept[0].recorded_at);
    assert_eq!(store.dead_letter(kept[1].id).await.unwrap().as_ref(), Some(&kept[1]));
    assert_eq!(store.dead_letter(kept[1].id + 100).await.unwrap(), None);

    assert_eq!(store.request_replay(&[kept[1].id, kept[1].id + 100]).await.unwrap(), 1, "only kept ones count");
    let asked = store.replay_requests(10).await.unwrap();
    assert_eq!(asked.iter().map(|d| d.id).collect::<Vec<_>>(), [kept[1].id]);
    assert!(asked[0].replay_requested);
    // A rebuild forgets the catalogue, not the records it could not apply.
    store.reset("rebuild").await.unwrap();
    store.forget_dead_letters(&[kept[1].id]).await.unwrap();
    assert!(store.replay_requests(10).await.unwrap().is_empty());
    assert_eq!(store.dead_letters(10).await.unwrap().iter().map(|d| d.id).collect::<Vec<_>>(), [kept[0].id]);
}

async fn console_sessions(store: &dyn CatalogStore) {
    use chrono::Timelike;
    use learncity_store::ConsoleSession;
    let now = chrono::Utc::now();
    let session = |id: &str, hours: i64| ConsoleSession {
        id: id.into(),
        operator: "anna".into(),
        csrf: format!("csrf-{id}"),
        expires_at: (now + chrono::Duration::hours(hours)).with_nanosecond(0).unwrap(),
    };
    let (live, ended) = (session("live", 8), session("ended", -1));
    store.open_console_session(&ended).await.unwrap();
    store.open_console_session(&live).await.unwrap();
    assert_eq!(store.console_session("live").await.unwrap(), Some(live.clone()));
    assert_eq!(store.console_session("ended").await.unwrap(), None, "an ended session signs nobody in");
    assert_eq!(store.console_session("other").await.unwrap(), None);
    // A rebuild forgets the catalogue, not who is signed in.
    store.reset("rebuild").await.unwrap();
    assert_eq!(store.console_session("live").await.unwrap(), Some(live));
    store.close_console_session("live").await.unwrap();
    assert_eq!(store.console_session("live").await.unwrap(), None, "signed out");

    // The secret is made once: the first caller's, then the same for every caller.
    assert_eq!(store.console_secret("first").await.unwrap(), "first");
    assert_eq!(store.console_secret("second").await.unwrap(), "first");
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let store = learncity_store::SqliteStore::open(&dir.path().join("catalog.db")).await.unwrap();
                super::$name(&store).await;
            }

            #[tokio::test]
            async fn postgres() {
                let pg = super::PgSchema::new().await;
                let store = pg.store.clone();
                let outcome = tokio::spawn(async move { super::$name(&store).await }).await;
                pg.drop().await;
                if let Err(failure) = outcome {
                    std::panic::resume_unwind(failure.into_panic());
                }
            }
        }
    )*};
}

both!(
    round_trip,
    idempotent_reapply,
    remove_and_change_log,
    outbox_order_and_done,
    offsets,
    counts,
    reset,
    large_batch,
    fetch_state,
    dead_letters,
    curation,
    console_sessions
);

// ---------------------------------------------------------------------------------------------
// PostgreSQL: one schema per test

struct PgSchema {
    store: PgStore,
    schema: String,
}

impl PgSchema {
    async fn new() -> Self {
        let schema = unique_schema("t");
        Self::with_url(&pg_url(), schema).await
    }

    async fn with_url(url: &str, schema: String) -> Self {
        let store = PgStore::connect(url, Some(&schema)).await.unwrap_or_else(|e| {
            panic!("these tests need PostgreSQL at {url} (set LEARNCITY_TEST_PG to use another database): {e}")
        });
        PgSchema { store, schema }
    }

    async fn drop(self) {
        sqlx::query(AssertSqlSafe(format!("DROP SCHEMA \"{}\" CASCADE", self.schema)))
            .execute(self.store.pool())
            .await
            .unwrap_or_else(|e| panic!("dropping test schema {}: {e}", self.schema));
        self.store.pool().close().await;
    }
}

#[tokio::test]
async fn postgres_schemas_are_isolated() {
    let one = PgSchema::new().await;
    let two = PgSchema::new().await;
    one.store.apply(&two_partitions()).await.unwrap();
    let one_counts = one.store.counts().await.unwrap();
    let two_counts = two.store.counts().await.unwrap();
    let one_sources = one.store.sources().await.unwrap().len();
    // Reconnecting to an existing schema keeps its data and reruns no migration.
    let again = PgStore::connect(&pg_url(), Some(&one.schema)).await.unwrap();
    let again_entries = again.entries().await.unwrap().len();
    again.pool().close().await;
    let in_two: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(two.store.pool()).await.unwrap();
    one.drop().await;
    two.drop().await;
    assert_eq!((one_counts.entries, one_sources), (2, 4));
    assert_eq!(two_counts, StoreCounts::default());
    assert_eq!(again_entries, 2);
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres")).unwrap().count();
    assert_eq!(in_two, migrations as i64, "each schema has its own migrations table, with every migration");
}

#[tokio::test]
async fn postgres_backup_names_pg_dump() {
    let pg = PgSchema::new().await;
    let err = pg.store.backup(std::path::Path::new("/tmp/never-written.sqlite")).await.unwrap_err();
    pg.drop().await;
    assert!(err.to_string().contains("pg_dump --format=custom"), "{err}");
}

#[tokio::test]
async fn sqlite_backup_is_a_whole_store_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("catalog.db")).await.unwrap();
    store.apply(&two_partitions()).await.unwrap();
    let to = dir.path().join("backup.db");
    store.backup(&to).await.unwrap();
    let copy = SqliteStore::open(&to).await.unwrap();
    assert_eq!(copy.sources().await.unwrap(), store.sources().await.unwrap());
    assert_eq!(copy.offsets(TOPIC).await.unwrap(), store.offsets(TOPIC).await.unwrap());
    let err = store.backup(&to).await.unwrap_err();
    assert!(err.to_string().contains("never overwrites"), "{err}");
    assert!(!dir.path().join(".backup.db.partial").exists());
}

#[tokio::test]
async fn postgres_describe_hides_the_password() {
    let url = pg_url();
    let with_password = match url.split_once("://").and_then(|(scheme, rest)| Some((scheme, rest.split_once('@')?))) {
        Some((scheme, (user, host))) if !user.contains(':') => format!("{scheme}://{user}:s3cret-pw@{host}"),
        _ => url.clone(),
    };
    let schema = unique_schema("t");
    let pg = PgSchema::with_url(&with_password, schema.clone()).await;
    let described = pg.store.describe();
    pg.drop().await;
    assert!(!described.contains("s3cret-pw"), "{described}");
    assert!(described.starts_with("postgres://") && described.contains(&schema), "{described}");
}

#[tokio::test]
async fn postgres_corrupt_body_is_reported() {
    let pg = PgSchema::new().await;
    pg.store.apply(&two_partitions()).await.unwrap();
    sqlx::query("UPDATE entries SET body = '{\"not\": \"an entry\"}'::jsonb WHERE id = 'e-00000000000000b2'")
        .execute(pg.store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE sources SET state = 'lost' WHERE key = 'c/9'").execute(pg.store.pool()).await.unwrap();
    let entries = pg.store.entries().await;
    let sources = pg.store.sources().await;
    pg.drop().await;
    assert_corrupt(entries.map(|_| ()), "e-00000000000000b2");
    assert_corrupt(sources.map(|_| ()), "c/9");
}

// ---------------------------------------------------------------------------------------------
// SQLite only

#[tokio::test]
async fn sqlite_file_reopened_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested-ok.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let mut changes = two_partitions();
    changes.outbox.push(record("catalog", Some(b"k"), Some(b"v"), &[("h", b"1")]));
    store.apply(&changes).await.unwrap();
    let seq = max_seq(&store).await;
    assert_eq!(store.describe(), format!("sqlite:{}", path.display()));
    store.pool().close().await;
    drop(store);

    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.entries().await.unwrap().len(), 2);
    assert_eq!(store.sources().await.unwrap().len(), 4);
    assert_eq!(store.offsets(TOPIC).await.unwrap(), [(0, 8), (1, 3)]);
    assert_eq!(store.outbox(10).await.unwrap()[0].record, changes.outbox[0]);
    assert_eq!(max_seq(&store).await, seq);
    store
        .apply(&Changeset { entries: vec![remove("e-00000000000000a1", "expired")], ..Changeset::default() })
        .await
        .unwrap();
    assert_eq!(max_seq(&store).await, seq + 1, "the sequence goes on after a reopen");
}

#[tokio::test]
async fn sqlite_corrupt_body_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("c.db")).await.unwrap();
    store.apply(&two_partitions()).await.unwrap();
    sqlx::query("UPDATE entries SET body = 'not json' WHERE id = 'e-00000000000000b2'")
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE sources SET state = 'lost' WHERE key = 'c/9'").execute(store.pool()).await.unwrap();
    assert_corrupt(store.entries().await.map(|_| ()), "e-00000000000000b2");
    assert_corrupt(store.changes_since(0, 10).await.map(|_| ()), "e-00000000000000b2");
    assert_corrupt(store.sources().await.map(|_| ()), "c/9");
    assert_corrupt(store.load_partition(TOPIC, 1).await.map(|_| ()), "c/9");
}

#[tokio::test]
async fn sqlite_open_fails_on_an_unusable_path() {
    let dir = tempfile::tempdir().unwrap();
    // A missing folder is created; a folder that is a file cannot be.
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let err = SqliteStore::open(&file.join("x.db")).await.unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err}");
    assert!(err.to_string().contains("not-a-dir"), "{err}");
    let created = dir.path().join("missing-dir").join("x.db");
    SqliteStore::open(&created).await.unwrap();
    assert!(created.is_file(), "the store's folder was created");
}

#[tokio::test]
async fn open_picks_the_store_by_url() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("by-url.db");
    let store = learncity_store::open(&format!("sqlite:{}", path.display())).await.unwrap();
    assert!(store.describe().starts_with("sqlite:"));
    store.apply(&two_partitions()).await.unwrap();
    assert!(path.exists());

    let err = learncity_store::open("mysql://u@h/db").await.err().expect("refused");
    assert!(matches!(err, StoreError::Url { .. }), "{err}");
    assert!(err.to_string().contains("sqlite:PATH"), "{err}");
}

fn assert_corrupt(result: Result<(), StoreError>, naming: &str) {
    match result {
        Err(err @ StoreError::Corrupt { .. }) => assert!(err.to_string().contains(naming), "{err}"),
        other => panic!("expected a Corrupt error naming {naming}, got {other:?}"),
    }
}
