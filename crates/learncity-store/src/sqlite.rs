//! [`SqliteStore`]: the catalogue store in one SQLite file (the embedded default).
//!
//! WAL journal, `synchronous = NORMAL`, a 5 s busy timeout and a small pool. Writes run in
//! `BEGIN IMMEDIATE` transactions, so the single writer takes the write lock up front; the
//! change sequence of an entry is `MAX(seq) + 1` taken inside that transaction.
//!
//! Opening is serialised across processes by an exclusive lock on `PATH.lock` (sqlx takes no
//! lock around SQLite migrations, so two processes opening a new file at once would both create
//! the tables); the operating system releases it when its holder exits, however it exits.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use learncity_model::Entry;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};

use crate::codec::{
    COUNTS_SQL, counts_from_row, dead_letter_from_row, decision_json, decode_decision, entry_json, headers_json,
    live_entry_from_row, offering_json, outbox_from_row, record_from_row, source_from_row,
};
use crate::{
    CatalogStore, Changeset, ConsoleSession, EntryChange, EntryRecord, OutboxRecord, PartitionState, SourceRow,
    StoreCounts, StoreError, StoredDeadLetter, StoredOutbox,
};
use learncity_model::curation::Decision;

/// A query of the `dead_letters` rows, with the columns [`dead_letter_from_row`] reads, and
/// `$rest` (its `WHERE`, `ORDER BY`, `LIMIT`) after them.
macro_rules! dead_letters_query {
    ($rest:literal) => {
        concat!("SELECT id, topic, partition, \"offset\", key, value, headers, kind, reason, recorded_at, (replay_requested_at IS NOT NULL) AS replay_requested FROM dead_letters", $rest)
    };
}

/// `ids` as the JSON array `json_each` reads (SQLite has no array parameter).
fn json_ids(ids: &[i64]) -> String {
    serde_json::to_string(ids).expect("a list of integers always serialises to JSON")
}

/// Connections in the pool (one writer at a time; the others read).
const MAX_CONNECTIONS: u32 = 4;

/// How often a process waiting for another one's migrations tries the lock again.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// How long a process waits for another one's migrations before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(60);

/// The catalogue store in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    /// Open (creating it and its folder when missing) the store at `path` and run its migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let what = format!("sqlite:{}", path.display());
        // The file's folder too (`sqlite:data/catalog.sqlite` on a fresh checkout).
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Open { what: what.clone(), source: sqlx::Error::Io(e) })?;
        }
        // Held until the migrations are done: another process opening the file waits here.
        let _lock = migration_lock(path, &what).await?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { what: what.clone(), source })?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate { what, source })?;
        tracing::debug!(path = %path.display(), "sqlite store open");
        Ok(SqliteStore { pool, path: path.to_owned() })
    }

    /// The connection pool (for tests and maintenance).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A write transaction holding the write lock from its start.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(StoreError::query("begin a write transaction"))
    }
}

/// The lock file of the store at `path`: `PATH.lock`.
fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the exclusive lock on the store's lock file, waiting (up to [`LOCK_WAIT`]) while another
/// process holds it; closing the returned file releases it. `None` for an in-memory database
/// and where no lock can be had (a read-only folder, a file system without locks): the store
/// opens unlocked then, as it did before there was a lock.
async fn migration_lock(path: &Path, what: &str) -> Result<Option<File>, StoreError> {
    if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
        return Ok(None);
    }
    let lock = lock_path(path);
    let file = match OpenOptions::new().create(true).truncate(false).write(true).open(&lock) {
        Ok(file) => file,
        Err(e) => {
            tracing::warn!(lock = %lock.display(), error = %e, "cannot create the store's lock file; opening it unlocked");
            return Ok(None);
        }
    };
    let attempts = LOCK_WAIT.as_millis() / LOCK_POLL.as_millis();
    for attempt in 0..=attempts {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(TryLockError::WouldBlock) => {
                if attempt == 0 {
                    tracing::debug!(lock = %lock.display(), "another process is opening the store; waiting");
                } else if attempt == 50 {
                    tracing::info!(
                        lock = %lock.display(),
                        "still waiting for another process that is opening (migrating) the store; `fuser` on the \
                         lock file names it"
                    );
                }
                tokio::time::sleep(LOCK_POLL).await;
            }
            Err(TryLockError::Error(e)) => {
                tracing::warn!(lock = %lock.display(), error = %e, "cannot lock the store's lock file; opening it unlocked");
                return Ok(None);
            }
        }
    }
    Err(StoreError::Locked { what: what.to_owned(), lock: lock.display().to_string(), waited_s: LOCK_WAIT.as_secs() })
}

/// The highest change sequence so far (0 when none).
async fn max_seq(tx: &mut Transaction<'static, Sqlite>) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM entries")
        .fetch_one(&mut **tx)
        .await
        .map_err(StoreError::query("read the latest entry change sequence"))
}

/// Appends `record` to the outbox in `tx`; `what` names the step in an error.
async fn append_outbox(
    tx: &mut Transaction<'static, Sqlite>,
    record: &OutboxRecord,
    what: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO outbox (topic, key, value, headers) VALUES (?, ?, ?, ?)")
        .bind(&record.topic)
        .bind(&record.key)
        .bind(&record.value)
        .bind(headers_json(&record.headers))
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::Query { what: what.to_owned(), source: e })?;
    Ok(())
}

#[async_trait::async_trait]
impl CatalogStore for SqliteStore {
    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }

    async fn load_partition(&self, topic: &str, partition: i32) -> Result<PartitionState, StoreError> {
        let mut conn = self.pool.begin().await.map_err(StoreError::query("begin a read transaction"))?;
        let sources = sqlx::query(
            "SELECT key, partition, seen_order, state, entry_id, offering FROM sources WHERE partition = ? ORDER BY key",
        )
        .bind(partition)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| StoreError::Query { what: format!("load the sources of partition {partition}"), source: e })?
        .iter()
        .map(source_from_row)
        .collect::<Result<Vec<_>, _>>()?;
        let entries = sqlx::query("SELECT id, body FROM entries WHERE partition = ? AND body IS NOT NULL ORDER BY id")
            .bind(partition)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| StoreError::Query { what: format!("load the entries of partition {partition}"), source: e })?
            .iter()
            .map(live_entry_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next_offset = sqlx::query_scalar("SELECT next_offset FROM offsets WHERE topic = ? AND partition = ?")
            .bind(topic)
            .bind(partition)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| StoreError::Query { what: format!("load the offset of {topic}/{partition}"), source: e })?;
        conn.commit().await.map_err(StoreError::query("end a read transaction"))?;
        Ok(PartitionState { sources, entries, next_offset })
    }

    async fn apply(&self, changes: &Changeset) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;

        for source in &changes.sources {
            sqlx::query(
                "INSERT INTO sources (key, partition, seen_order, state, entry_id, offering) VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (key) DO UPDATE SET partition = excluded.partition, seen_order = excluded.seen_order,
                   state = excluded.state, entry_id = excluded.entry_id, offering = excluded.offering",
            )
            .bind(&source.key)
            .bind(source.partition)
            .bind(source.seen_order)
            .bind(source.state.as_str())
            .bind(&source.entry_id)
            .bind(offering_json(&source.offering))
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::Query { what: format!("upsert source {:?}", source.key), source: e })?;
        }

        if !changes.entries.is_empty() {
            let mut seq = max_seq(&mut tx).await?;
            for change in &changes.entries {
                match change {
                    EntryChange::Put { partition, entry } => {
                        // An unchanged live entry is no change: it keeps its sequence.
                        let done = sqlx::query(
                            "INSERT INTO entries (id, partition, seq, body, removed_reason) VALUES (?, ?, ?, ?, NULL)
                             ON CONFLICT (id) DO UPDATE SET partition = excluded.partition, seq = excluded.seq,
                               body = excluded.body, removed_reason = NULL
                             WHERE entries.body IS NOT excluded.body OR entries.partition <> excluded.partition",
                        )
                        .bind(&entry.id)
                        .bind(partition)
                        .bind(seq + 1)
                        .bind(entry_json(entry))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| StoreError::Query { what: format!("put entry {:?}", entry.id), source: e })?;
                        if done.rows_affected() > 0 {
                            seq += 1;
                        }
                    }
                    EntryChange::Remove { id, reason } => {
                        let what = || format!("remove entry {id:?}");
                        let done = sqlx::query(
                            "UPDATE entries SET body = NULL, removed_reason = ?, seq = ? WHERE id = ? AND body IS NOT NULL",
                        )
                        .bind(reason)
                        .bind(seq + 1)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| StoreError::Query { what: what(), source: e })?;
                        // Never stored: keep a row so the change log shows the removal; already
                        // removed: no change.
                        let done = if done.rows_affected() > 0 {
                            done
                        } else {
                            sqlx::query(
                                "INSERT INTO entries (id, partition, seq, body, removed_reason) VALUES (?, -1, ?, NULL, ?)
                                 ON CONFLICT (id) DO NOTHING",
                            )
                            .bind(id)
                            .bind(seq + 1)
                            .bind(reason)
                            .execute(&mut *tx)
                            .await
                            .map_err(|e| StoreError::Query { what: what(), source: e })?
                        };
                        if done.rows_affected() > 0 {
                            seq += 1;
                        }
                    }
                }
            }
        }

        for (n, record) in changes.outbox.iter().enumerate() {
            append_outbox(&mut tx, record, &format!("append outbox record {n} (topic {:?})", record.topic)).await?;
        }

        for letter in &changes.dead_letters {
            sqlx::query(
                "INSERT INTO dead_letters (topic, partition, \"offset\", key, value, headers, kind, reason)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (topic, partition, \"offset\") DO NOTHING",
            )
            .bind(&letter.record.topic)
            .bind(letter.partition)
            .bind(letter.offset)
            .bind(&letter.record.key)
            .bind(&letter.record.value)
            .bind(headers_json(&letter.record.headers))
            .bind(&letter.kind)
            .bind(&letter.reason)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::Query {
                what: format!(
                    "keep the dead letter of {} partition {} offset {}",
                    letter.record.topic, letter.partition, letter.offset
                ),
                source: e,
            })?;
        }

        for (topic, partition, next_offset) in &changes.offsets {
            sqlx::query(
                "INSERT INTO offsets (topic, partition, next_offset) VALUES (?, ?, ?)
                 ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset",
            )
            .bind(topic)
            .bind(partition)
            .bind(next_offset)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::Query { what: format!("set the offset of {topic}/{partition}"), source: e })?;
        }

        tx.commit().await.map_err(StoreError::query("commit a changeset"))
    }

    async fn outbox(&self, limit: i64) -> Result<Vec<StoredOutbox>, StoreError> {
        let rows = sqlx::query("SELECT id, topic, key, value, headers FROM outbox ORDER BY id LIMIT ?")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("read the outbox"))?;
        rows.iter().map(outbox_from_row).collect()
    }

    async fn outbox_done(&self, ids: &[i64]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids = json_ids(ids);
        sqlx::query("DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))")
            .bind(ids)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("delete published outbox records"))?;
        Ok(())
    }

    async fn entries(&self) -> Result<Vec<Entry>, StoreError> {
        sqlx::query("SELECT id, body FROM entries WHERE body IS NOT NULL ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("read the live entries"))?
            .iter()
            .map(live_entry_from_row)
            .collect()
    }

    async fn entry(&self, id: &str) -> Result<Option<EntryRecord>, StoreError> {
        sqlx::query("SELECT id, seq, body, removed_reason FROM entries WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| StoreError::Query { what: format!("read entry {id:?}"), source: e })?
            .as_ref()
            .map(record_from_row)
            .transpose()
    }

    async fn changes_since(&self, seq: i64, limit: i64) -> Result<Vec<EntryRecord>, StoreError> {
        sqlx::query("SELECT id, seq, body, removed_reason FROM entries WHERE seq > ? ORDER BY seq LIMIT ?")
            .bind(seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| StoreError::Query { what: format!("read the entry changes after {seq}"), source: e })?
            .iter()
            .map(record_from_row)
            .collect()
    }

    async fn sources(&self) -> Result<Vec<SourceRow>, StoreError> {
        sqlx::query("SELECT key, partition, seen_order, state, entry_id, offering FROM sources ORDER BY key")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("read the sources"))?
            .iter()
            .map(source_from_row)
            .collect()
    }

    async fn offsets(&self, topic: &str) -> Result<Vec<(i32, i64)>, StoreError> {
        sqlx::query_as("SELECT partition, next_offset FROM offsets WHERE topic = ? ORDER BY partition")
            .bind(topic)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| StoreError::Query { what: format!("read the offsets of topic {topic:?}"), source: e })
    }

    async fn counts(&self) -> Result<StoreCounts, StoreError> {
        let row = sqlx::query(COUNTS_SQL)
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::query("count sources, entries and outbox records"))?;
        counts_from_row(&row)
    }

    async fn fetch_states(&self) -> Result<Vec<(String, String)>, StoreError> {
        sqlx::query_as("SELECT provider_id, state FROM fetch_state ORDER BY provider_id")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("read the fetch state"))
    }

    async fn put_fetch_state(&self, provider_id: &str, state: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO fetch_state (provider_id, state) VALUES (?, ?) ON CONFLICT (provider_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at")
            .bind(provider_id)
            .bind(state)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("store a provider's fetch state"))?;
        Ok(())
    }

    async fn dead_letters(&self, limit: i64) -> Result<Vec<StoredDeadLetter>, StoreError> {
        sqlx::query(dead_letters_query!(" ORDER BY id LIMIT ?"))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("read the dead letters"))?
            .iter()
            .map(dead_letter_from_row)
            .collect()
    }

    async fn dead_letter(&self, id: i64) -> Result<Option<StoredDeadLetter>, StoreError> {
        sqlx::query(dead_letters_query!(" WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| StoreError::Query { what: format!("read dead letter {id}"), source: e })?
            .as_ref()
            .map(dead_letter_from_row)
            .transpose()
    }

    async fn request_replay(&self, ids: &[i64]) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let done = sqlx::query("UPDATE dead_letters SET replay_requested_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id IN (SELECT value FROM json_each(?))")
            .bind(json_ids(ids))
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("ask for dead letters to be replayed"))?;
        Ok(done.rows_affected())
    }

    async fn replay_requests(&self, limit: i64) -> Result<Vec<StoredDeadLetter>, StoreError> {
        sqlx::query(dead_letters_query!(" WHERE replay_requested_at IS NOT NULL ORDER BY id LIMIT ?"))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("read the dead letters to replay"))?
            .iter()
            .map(dead_letter_from_row)
            .collect()
    }

    async fn forget_dead_letters(&self, ids: &[i64]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        sqlx::query("DELETE FROM dead_letters WHERE id IN (SELECT value FROM json_each(?))")
            .bind(json_ids(ids))
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("forget replayed dead letters"))?;
        Ok(())
    }

    async fn put_decision(&self, decision: &Decision, publish: Option<&OutboxRecord>) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO curation (id, body) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at")
            .bind(&decision.id)
            .bind(decision_json(decision))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("keep a curation decision"))?;
        if let Some(record) = publish {
            append_outbox(&mut tx, record, "append a curation record to the outbox").await?;
        }
        tx.commit().await.map_err(StoreError::query("commit a curation decision"))
    }

    async fn decisions(&self) -> Result<Vec<Decision>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, body FROM curation ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("read the curation decisions"))?;
        rows.iter().map(|(id, body)| decode_decision(id, body)).collect()
    }

    async fn open_console_session(&self, session: &ConsoleSession) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM console_sessions WHERE expires_at <= ?")
            .bind(utc_text(Utc::now()))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("forget ended console sessions"))?;
        sqlx::query("INSERT INTO console_sessions (id, operator, csrf, expires_at) VALUES (?, ?, ?, ?)")
            .bind(&session.id)
            .bind(&session.operator)
            .bind(&session.csrf)
            .bind(utc_text(session.expires_at))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("keep a console session"))?;
        tx.commit().await.map_err(StoreError::query("commit a console session"))
    }

    async fn console_session(&self, id: &str) -> Result<Option<ConsoleSession>, StoreError> {
        let row: Option<(String, String, String)> =
            sqlx::query_as("SELECT operator, csrf, expires_at FROM console_sessions WHERE id = ? AND expires_at > ?")
                .bind(id)
                .bind(utc_text(Utc::now()))
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read a console session"))?;
        Ok(row.and_then(|(operator, csrf, until)| {
            let expires_at = DateTime::parse_from_rfc3339(&until).ok()?.with_timezone(&Utc);
            Some(ConsoleSession { id: id.to_owned(), operator, csrf, expires_at })
        }))
    }

    async fn close_console_session(&self, id: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM console_sessions WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("forget a console session"))?;
        tx.commit().await.map_err(StoreError::query("commit a sign-out"))
    }

    async fn console_secret(&self, made: &str) -> Result<String, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO console_secret (id, secret) VALUES (1, ?) ON CONFLICT (id) DO NOTHING")
            .bind(made)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("keep the console's secret"))?;
        let secret: String = sqlx::query_scalar("SELECT secret FROM console_secret WHERE id = 1")
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::query("read the console's secret"))?;
        tx.commit().await.map_err(StoreError::query("commit the console's secret"))?;
        Ok(secret)
    }

    async fn backup(&self, to: &Path) -> Result<(), StoreError> {
        let what = || format!("back up {} to {}", self.describe(), to.display());
        if to.exists() {
            return Err(StoreError::Refused {
                what: what(),
                instead: "the file exists and a backup never overwrites one: name a new file".into(),
            });
        }
        // VACUUM INTO writes a new file only; it is written beside the target and renamed, so a
        // backup cut short never leaves a file that looks whole.
        let partial = to.with_file_name(format!(
            ".{}.partial",
            to.file_name().map_or_else(|| "backup".into(), |n| n.to_string_lossy().into_owned())
        ));
        let _ = std::fs::remove_file(&partial);
        sqlx::query("VACUUM INTO ?")
            .bind(partial.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError::Query { what: what(), source: e })?;
        std::fs::rename(&partial, to).map_err(|e| StoreError::Refused {
            what: what(),
            instead: format!("the copy is in {} but could not be renamed: {e}", partial.display()),
        })
    }

    async fn reset(&self, reason: &str) -> Result<Vec<String>, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sources").execute(&mut *tx).await.map_err(StoreError::query("delete the sources"))?;
        sqlx::query("DELETE FROM offsets").execute(&mut *tx).await.map_err(StoreError::query("delete the offsets"))?;
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM entries WHERE body IS NOT NULL ORDER BY id")
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::query("list the live entries"))?;
        let seq = max_seq(&mut tx).await?;
        // Each live entry takes the next sequence, in id order.
        sqlx::query(
            "UPDATE entries SET body = NULL, removed_reason = ?, seq = ? + live.n
             FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM entries WHERE body IS NOT NULL) AS live
             WHERE entries.id = live.id",
        )
        .bind(reason)
        .bind(seq)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::query("mark the live entries removed"))?;
        tx.commit().await.map_err(StoreError::query("commit a reset"))?;
        Ok(ids)
    }
}

/// An instant as the store's text columns keep it (RFC 3339, UTC, whole seconds): such texts
/// sort as the instants do.
fn utc_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use super::*;

    /// Opens the store at `path` on a runtime of its own (as another process would).
    fn open_blocking(path: &Path) -> Result<SqliteStore, StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(SqliteStore::open(path))
    }

    /// Several openers at once on one new file (each with its own pool, as `learncity catalog`
    /// and `learncity serve` started together): all open it, the migrations run once. Without
    /// the lock the losers of the race failed with "table sources already exists".
    #[test]
    fn concurrent_openers_of_a_new_file_all_succeed() {
        const OPENERS: usize = 4;
        const ROUNDS: usize = 20;
        let migrations = sqlx::migrate!("./migrations/sqlite").iter().count() as i64;
        for round in 0..ROUNDS {
            let dir = tempfile::tempdir().expect("a temp dir");
            let path = dir.path().join("data").join("catalog.sqlite");
            let start = Arc::new(Barrier::new(OPENERS));
            let openers: Vec<_> = (0..OPENERS)
                .map(|_| {
                    let (path, start) = (path.clone(), Arc::clone(&start));
                    std::thread::spawn(move || {
                        start.wait();
                        open_blocking(&path).map(|store| store.path().to_owned())
                    })
                })
                .collect();
            for opener in openers {
                let opened = opener.join().expect("an opener thread");
                assert!(opened.is_ok(), "round {round}: {}", opened.unwrap_err());
            }
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                let store = SqliteStore::open(&path).await.expect("reopen");
                let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                    .fetch_one(store.pool())
                    .await
                    .expect("the migrations table");
                assert_eq!(applied, migrations, "round {round}: each migration applied once");
                let tables: Vec<String> =
                    sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                        .fetch_all(store.pool())
                        .await
                        .expect("the schema");
                for table in ["entries", "fetch_state", "offsets", "outbox", "sources"] {
                    assert!(tables.iter().any(|t| t == table), "round {round}: no table {table}: {tables:?}");
                }
            });
            assert!(lock_path(&path).exists(), "the lock file lies beside the store");
        }
    }

    /// An opener waits while another process holds the lock, and opens the store once it is
    /// released. (The pause only gives an opener that ignored the lock time to finish early; the
    /// test cannot fail because of a slow machine.)
    #[test]
    fn an_opener_waits_for_the_lock() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("catalog.sqlite");
        let held =
            OpenOptions::new().create(true).truncate(false).write(true).open(lock_path(&path)).expect("lock file");
        held.lock().expect("the lock");
        let released = Arc::new(AtomicBool::new(false));
        let opener = {
            let (path, released) = (path.clone(), Arc::clone(&released));
            std::thread::spawn(move || open_blocking(&path).map(|_| released.load(Ordering::SeqCst)))
        };
        std::thread::sleep(Duration::from_millis(300));
        released.store(true, Ordering::SeqCst);
        drop(held);
        let after_release = opener.join().expect("the opener thread").expect("opened once the lock was released");
        assert!(after_release, "the store opened while another process held its lock");
    }

    #[test]
    fn the_lock_file_is_named_after_the_store() {
        assert_eq!(lock_path(Path::new("data/catalog.sqlite")), Path::new("data/catalog.sqlite.lock"));
    }
}
