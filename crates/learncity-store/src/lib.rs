//! # learncity-store: the catalogue store
//!
//! What the catalog builder keeps between runs and what the catalogue service reads:
//! - **sources**: every provider item the builder has seen (`{provider_id}/{source_id}`), its
//!   latest offering, its state (active, withdrawn, expired) and the entry it belongs to;
//! - **entries**: the catalogue — one row per entry id ever published, the body `NULL` once the
//!   entry disappeared; every change takes the next value of a store-wide change sequence, so a
//!   reader can follow the catalogue with [`CatalogStore::changes_since`];
//! - **offsets**: per offerings-topic partition, the next offset to apply. They are written in
//!   the same transaction as the effects of the records before them: the store, not the
//!   consumer group, says what has been applied, so a crash between the store commit and the
//!   Kafka offset commit re-delivers records the builder then skips;
//! - **outbox**: catalog (and dead-letter) records written in the same transaction, published
//!   after the commit and deleted once the broker acknowledged them;
//! - **curation**: operators' decisions (`learncity curate`), kept across `catalog rebuild`;
//! - **fetch state**: the collector's state per provider when it keeps it in the store (the
//!   standalone mode, `learncity run`: one file holds everything).
//!
//! Two implementations behind [`CatalogStore`]: [`SqliteStore`] (one file, the embedded
//! default) and [`PgStore`] (PostgreSQL, production). Migrations ship in `migrations/` and run
//! when a store is opened. [`open`] picks one by URL.

mod codec;
pub mod curation;
mod error;
mod postgres;
mod sqlite;

use chrono::{DateTime, Utc};
use learncity_model::curation::Decision;
use learncity_model::{Entry, Offering};
use serde::{Deserialize, Serialize};

pub use error::StoreError;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Where a source stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    /// In the catalogue.
    Active,
    /// Vanished from its provider's complete listing.
    Withdrawn,
    /// Its last session ended more than the grace period ago.
    Expired,
}

impl SourceState {
    /// `active`, `withdrawn` or `expired`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceState::Active => "active",
            SourceState::Withdrawn => "withdrawn",
            SourceState::Expired => "expired",
        }
    }

    /// The state stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(SourceState::Active),
            "withdrawn" => Some(SourceState::Withdrawn),
            "expired" => Some(SourceState::Expired),
            _ => None,
        }
    }
}

/// One provider item as the builder keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRow {
    /// `{provider_id}/{source_id}`.
    pub key: String,
    /// The offerings-topic partition its records arrive on.
    pub partition: i32,
    /// Where its first upsert was in that partition (its offset): orders the sources of an
    /// entry, the earliest names the entry.
    pub seen_order: i64,
    /// Where it stands.
    pub state: SourceState,
    /// The entry it belongs to while active.
    pub entry_id: Option<String>,
    /// Its latest offering.
    pub offering: Offering,
}

/// A change of one entry.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // Puts dominate a changeset: boxing would only add an allocation each.
pub enum EntryChange {
    /// The entry is new or changed: store the whole entry.
    Put {
        /// The offerings-topic partition whose sources make it.
        partition: i32,
        /// The entry.
        entry: Entry,
    },
    /// The entry disappeared.
    Remove {
        /// Its id.
        id: String,
        /// `withdrawn`, `expired` or `merged`.
        reason: String,
    },
}

/// A record to publish once the transaction that wrote it committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRecord {
    /// Topic to publish to.
    pub topic: String,
    /// Record key (`None` for a keyless record).
    pub key: Option<Vec<u8>>,
    /// Record value (`None` for a tombstone).
    pub value: Option<Vec<u8>>,
    /// Record headers, in order.
    pub headers: Vec<(String, Vec<u8>)>,
}

/// An outbox record with its position in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOutbox {
    /// Position: records are published in this order.
    pub id: i64,
    /// The record.
    pub record: OutboxRecord,
}

/// A record the builder could not apply, kept with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The record as read: the topic it was read from, its key, value and headers.
    pub record: OutboxRecord,
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Why, in short (the `dead-letter-kind` header: `invalid-json`, `schema-version`...).
    pub kind: String,
    /// Why, in words.
    pub reason: String,
}

/// A kept dead letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDeadLetter {
    /// Its number in the store.
    pub id: i64,
    /// When it was kept (RFC 3339, UTC).
    pub recorded_at: String,
    /// `learncity dead-letters replay` asked for it to be published again.
    pub replay_requested: bool,
    /// The record and why.
    pub letter: DeadLetter,
}

/// Everything one batch of the builder changes, applied in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changeset {
    /// Sources written (inserted or replaced whole).
    pub sources: Vec<SourceRow>,
    /// Entries changed, in order.
    pub entries: Vec<EntryChange>,
    /// Records to publish after the commit, in order.
    pub outbox: Vec<OutboxRecord>,
    /// `(topic, partition, next offset)` consumed up to.
    pub offsets: Vec<(String, i32, i64)>,
    /// Records that could not be applied (kept once per topic, partition and offset).
    pub dead_letters: Vec<DeadLetter>,
}

impl Changeset {
    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
            && self.entries.is_empty()
            && self.outbox.is_empty()
            && self.offsets.is_empty()
            && self.dead_letters.is_empty()
    }
}

/// What the store holds of one offerings-topic partition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartitionState {
    /// Every source of the partition (any state).
    pub sources: Vec<SourceRow>,
    /// The live entries of the partition.
    pub entries: Vec<Entry>,
    /// The next offset to apply, when any record was applied.
    pub next_offset: Option<i64>,
}

/// A signed-in operator's console session, kept by the store so every `serve` instance knows
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// SHA-256 (hex) of the session cookie's value: the cookie itself is never kept.
    pub id: String,
    /// The operator's name (the role is read from the config at each request).
    pub operator: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

/// One row of the entries' change log.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryRecord {
    /// Entry id.
    pub id: String,
    /// Change sequence of its latest change.
    pub seq: i64,
    /// The entry, `None` once it disappeared.
    pub entry: Option<Entry>,
    /// Why it disappeared.
    pub removed_reason: Option<String>,
}

/// Counts for health pages and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// Sources per state: active, withdrawn, expired.
    pub sources_active: i64,
    /// Withdrawn sources.
    pub sources_withdrawn: i64,
    /// Expired sources.
    pub sources_expired: i64,
    /// Live entries.
    pub entries: i64,
    /// Records waiting in the outbox.
    pub outbox: i64,
}

/// The catalogue store.
#[async_trait::async_trait]
pub trait CatalogStore: Send + Sync {
    /// What the store is (`sqlite:PATH`, `postgres://HOST/DB`), without credentials.
    fn describe(&self) -> String;

    /// Every source and live entry of `partition` and its next offset on `topic`.
    async fn load_partition(&self, topic: &str, partition: i32) -> Result<PartitionState, StoreError>;

    /// Apply `changes` in one transaction: sources replaced whole, entries put (taking the
    /// next change sequence) or removed (body cleared, reason kept, next change sequence),
    /// outbox records appended in order, offsets set.
    async fn apply(&self, changes: &Changeset) -> Result<(), StoreError>;

    /// Up to `limit` outbox records, oldest first.
    async fn outbox(&self, limit: i64) -> Result<Vec<StoredOutbox>, StoreError>;

    /// Delete the outbox records `ids` (published and acknowledged).
    async fn outbox_done(&self, ids: &[i64]) -> Result<(), StoreError>;

    /// Every live entry, by id.
    async fn entries(&self) -> Result<Vec<Entry>, StoreError>;

    /// One entry by id, live or not (`None` when never known).
    async fn entry(&self, id: &str) -> Result<Option<EntryRecord>, StoreError>;

    /// Entry changes with a sequence above `seq`, in sequence order, at most `limit`.
    async fn changes_since(&self, seq: i64, limit: i64) -> Result<Vec<EntryRecord>, StoreError>;

    /// Every source, by key.
    async fn sources(&self) -> Result<Vec<SourceRow>, StoreError>;

    /// The next offsets applied per partition of `topic`.
    async fn offsets(&self, topic: &str) -> Result<Vec<(i32, i64)>, StoreError>;

    /// Counts of sources, entries and outbox records.
    async fn counts(&self) -> Result<StoreCounts, StoreError>;

    /// Every provider's stored fetch state (JSON text, the collector's format), by provider id.
    async fn fetch_states(&self) -> Result<Vec<(String, String)>, StoreError>;

    /// Store a provider's fetch state (JSON text), replacing the one before.
    async fn put_fetch_state(&self, provider_id: &str, state: &str) -> Result<(), StoreError>;

    /// Up to `limit` kept dead letters, oldest first.
    async fn dead_letters(&self, limit: i64) -> Result<Vec<StoredDeadLetter>, StoreError>;

    /// One kept dead letter.
    async fn dead_letter(&self, id: i64) -> Result<Option<StoredDeadLetter>, StoreError>;

    /// Ask for the dead letters `ids` to be published again (by the builder that reads their
    /// partition); returns how many of them are kept.
    async fn request_replay(&self, ids: &[i64]) -> Result<u64, StoreError>;

    /// Up to `limit` dead letters whose replay was asked for, oldest first.
    async fn replay_requests(&self, limit: i64) -> Result<Vec<StoredDeadLetter>, StoreError>;

    /// Forget the dead letters `ids` (published again).
    async fn forget_dead_letters(&self, ids: &[i64]) -> Result<(), StoreError>;

    /// Keep an operator's decision (new, or revoked: replaced whole by its id), and append
    /// `publish` (its record on the curation topic, in the cluster mode) to the outbox in the
    /// same transaction.
    async fn put_decision(&self, decision: &Decision, publish: Option<&OutboxRecord>) -> Result<(), StoreError>;

    /// Every decision kept (in force or revoked), by id.
    async fn decisions(&self) -> Result<Vec<Decision>, StoreError>;

    /// Keep a new console session (and forget the ones that ended).
    async fn open_console_session(&self, session: &ConsoleSession) -> Result<(), StoreError>;

    /// The console session whose id hashes to `id`, while it lasts.
    async fn console_session(&self, id: &str) -> Result<Option<ConsoleSession>, StoreError>;

    /// Forget the console session whose id hashes to `id` (signed out).
    async fn close_console_session(&self, id: &str) -> Result<(), StoreError>;

    /// The console's secret shared by every `serve` instance of this store: made once, at the
    /// first call, then the same for all.
    async fn console_secret(&self, made: &str) -> Result<String, StoreError>;

    /// Write a consistent copy of the whole store to the new file `to` while it is in use
    /// (SQLite's `VACUUM INTO`); a PostgreSQL store says to use `pg_dump`.
    async fn backup(&self, to: &std::path::Path) -> Result<(), StoreError>;

    /// Forget sources and offsets and mark every live entry removed with `reason` (for a
    /// rebuild); returns the ids of the entries that were live. The outbox is kept.
    async fn reset(&self, reason: &str) -> Result<Vec<String>, StoreError>;
}

/// Open the store named by `url`: `sqlite:PATH` (created when missing) or
/// `postgres://...` / `postgresql://...` (a `schema=NAME` query parameter puts the tables in
/// that schema, created when missing); migrations run before it is returned.
pub async fn open(url: &str) -> Result<Box<dyn CatalogStore>, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        Ok(Box::new(SqliteStore::open(std::path::Path::new(path)).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let (url, schema) = split_schema(url);
        Ok(Box::new(PgStore::connect(&url, schema.as_deref()).await?))
    } else {
        Err(StoreError::Url { url: url.to_owned() })
    }
}

/// `url` without its `schema=NAME` query parameter, and the name.
fn split_schema(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_owned(), None) };
    let mut schema = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("schema=") {
            Some(name) => {
                schema = Some(name.to_owned());
                false
            }
            None => !pair.is_empty(),
        })
        .collect();
    let url = if rest.is_empty() { base.to_owned() } else { format!("{base}?{}", rest.join("&")) };
    (url, schema)
}

#[cfg(test)]
mod url_tests {
    #[test]
    fn the_schema_parameter_is_taken_out_of_the_url() {
        assert_eq!(super::split_schema("postgres://h/db"), ("postgres://h/db".into(), None));
        assert_eq!(super::split_schema("postgres://h/db?schema=cat"), ("postgres://h/db".into(), Some("cat".into())));
        assert_eq!(
            super::split_schema("postgres://h/db?sslmode=disable&schema=cat"),
            ("postgres://h/db?sslmode=disable".into(), Some("cat".into()))
        );
    }
}
