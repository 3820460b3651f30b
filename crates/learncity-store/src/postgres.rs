//! [`PgStore`]: the catalogue store on PostgreSQL (production).
//!
//! Offerings, entries and outbox headers are JSONB (bound as text and cast with `::jsonb`, read
//! back with `::text`); the change sequence of entries is the sequence `entry_seq`. With a
//! schema, the schema is created when missing and every pooled connection uses it as its
//! `search_path`, migrations table included, so several stores can share one database.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use learncity_model::Entry;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection, Postgres, Transaction};

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
        concat!("SELECT id, topic, partition, \"offset\", key, value, headers::text AS headers, kind, reason, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS recorded_at, (replay_requested_at IS NOT NULL)::int AS replay_requested FROM dead_letters", $rest)
    };
}

/// Connections in the pool.
const MAX_CONNECTIONS: u32 = 5;
/// How long to wait for a pooled connection (or a new one) before giving up.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(15);

/// The catalogue store on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    described: String,
}

impl PgStore {
    /// Connect to the database at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`), in
    /// `schema` when given (created when missing; `[a-z0-9_]+`), and run the migrations.
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        if let Some(name) = schema
            && (name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
        {
            return Err(StoreError::Schema { name: name.to_owned() });
        }
        let base =
            PgConnectOptions::from_str(url).map_err(|source| StoreError::Open { what: redact_url(url), source })?;
        let described = describe(&base, schema);

        let options = match schema {
            Some(name) => {
                create_schema(&base, name, &described).await?;
                base.options([("search_path", name)])
            }
            None => base,
        };
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { what: described.clone(), source })?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate { what: described.clone(), source })?;
        tracing::debug!(store = %described, "postgres store open");
        Ok(PgStore { pool, described })
    }

    /// The connection pool (for tests and maintenance).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin(&self, what: &'static str) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pool.begin().await.map_err(StoreError::query(what))
    }
}

/// `CREATE SCHEMA IF NOT EXISTS "name"` on a connection of its own.
async fn create_schema(base: &PgConnectOptions, name: &str, described: &str) -> Result<(), StoreError> {
    let mut conn = PgConnection::connect_with(base)
        .await
        .map_err(|source| StoreError::Open { what: described.to_owned(), source })?;
    // `name` is checked to be [a-z0-9_]+, so quoting it is enough.
    let created =
        sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS \"{name}\""))).execute(&mut conn).await;
    let _ = conn.close().await;
    match created {
        Ok(_) => Ok(()),
        // Created concurrently by another connection: there it is.
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("23505" | "42P06")) => Ok(()),
        Err(e) => Err(StoreError::Query { what: format!("create schema {name:?} in {described}"), source: e }),
    }
}

/// `postgres://HOST:PORT/DB`, plus the schema: no user, no password.
fn describe(options: &PgConnectOptions, schema: Option<&str>) -> String {
    let mut text =
        format!("postgres://{}:{}/{}", options.get_host(), options.get_port(), options.get_database().unwrap_or(""));
    if let Some(schema) = schema {
        text.push_str(&format!(" (schema {schema})"));
    }
    text
}

/// `url` with its password (in the user info or a `password=` parameter) masked.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
                    _ => param.to_owned(),
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// Appends `record` to the outbox in `tx`; `what` names the step in an error.
async fn append_outbox(
    tx: &mut Transaction<'static, Postgres>,
    record: &OutboxRecord,
    what: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO outbox (topic, key, value, headers) VALUES ($1, $2, $3, $4::jsonb)")
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
impl CatalogStore for PgStore {
    fn describe(&self) -> String {
        self.described.clone()
    }

    async fn load_partition(&self, topic: &str, partition: i32) -> Result<PartitionState, StoreError> {
        // One snapshot for the three reads.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(StoreError::query("begin a read transaction"))?;
        let sources = sqlx::query(
            "SELECT key, partition, seen_order, state, entry_id, offering::text AS offering
             FROM sources WHERE partition = $1 ORDER BY key",
        )
        .bind(partition)
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| StoreError::Query { what: format!("load the sources of partition {partition}"), source: e })?
        .iter()
        .map(source_from_row)
        .collect::<Result<Vec<_>, _>>()?;
        let entries = sqlx::query(
            "SELECT id, body::text AS body FROM entries WHERE partition = $1 AND body IS NOT NULL ORDER BY id",
        )
        .bind(partition)
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| StoreError::Query { what: format!("load the entries of partition {partition}"), source: e })?
        .iter()
        .map(live_entry_from_row)
        .collect::<Result<Vec<_>, _>>()?;
        let next_offset = sqlx::query_scalar("SELECT next_offset FROM offsets WHERE topic = $1 AND partition = $2")
            .bind(topic)
            .bind(partition)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| StoreError::Query { what: format!("load the offset of {topic}/{partition}"), source: e })?;
        tx.commit().await.map_err(StoreError::query("end a read transaction"))?;
        Ok(PartitionState { sources, entries, next_offset })
    }

    async fn apply(&self, changes: &Changeset) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin("begin a write transaction").await?;

        for source in &changes.sources {
            sqlx::query(
                "INSERT INTO sources (key, partition, seen_order, state, entry_id, offering)
                 VALUES ($1, $2, $3, $4, $5, $6::jsonb)
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

        for change in &changes.entries {
            match change {
                EntryChange::Put { partition, entry } => {
                    // An unchanged live entry is no change: it keeps its sequence.
                    sqlx::query(
                        "INSERT INTO entries (id, partition, seq, body, removed_reason)
                         VALUES ($1, $2, nextval('entry_seq'), $3::jsonb, NULL)
                         ON CONFLICT (id) DO UPDATE SET partition = excluded.partition, seq = excluded.seq,
                           body = excluded.body, removed_reason = NULL
                         WHERE entries.body IS DISTINCT FROM excluded.body OR entries.partition <> excluded.partition",
                    )
                    .bind(&entry.id)
                    .bind(partition)
                    .bind(entry_json(entry))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| StoreError::Query { what: format!("put entry {:?}", entry.id), source: e })?;
                }
                EntryChange::Remove { id, reason } => {
                    let what = || format!("remove entry {id:?}");
                    let done = sqlx::query(
                        "UPDATE entries SET body = NULL, removed_reason = $1, seq = nextval('entry_seq')
                         WHERE id = $2 AND body IS NOT NULL",
                    )
                    .bind(reason)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| StoreError::Query { what: what(), source: e })?;
                    // Never stored: keep a row so the change log shows the removal; already
                    // removed: no change.
                    if done.rows_affected() == 0 {
                        sqlx::query(
                            "INSERT INTO entries (id, partition, seq, body, removed_reason)
                             VALUES ($1, -1, nextval('entry_seq'), NULL, $2)
                             ON CONFLICT (id) DO NOTHING",
                        )
                        .bind(id)
                        .bind(reason)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| StoreError::Query { what: what(), source: e })?;
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
                 VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8) ON CONFLICT (topic, partition, \"offset\") DO NOTHING",
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
                "INSERT INTO offsets (topic, partition, next_offset) VALUES ($1, $2, $3)
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
        let rows =
            sqlx::query("SELECT id, topic, key, value, headers::text AS headers FROM outbox ORDER BY id LIMIT $1")
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
        sqlx::query("DELETE FROM outbox WHERE id = ANY($1)")
            .bind(ids)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("delete published outbox records"))?;
        Ok(())
    }

    async fn entries(&self) -> Result<Vec<Entry>, StoreError> {
        sqlx::query("SELECT id, body::text AS body FROM entries WHERE body IS NOT NULL ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("read the live entries"))?
            .iter()
            .map(live_entry_from_row)
            .collect()
    }

    async fn entry(&self, id: &str) -> Result<Option<EntryRecord>, StoreError> {
        sqlx::query("SELECT id, seq, body::text AS body, removed_reason FROM entries WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| StoreError::Query { what: format!("read entry {id:?}"), source: e })?
            .as_ref()
            .map(record_from_row)
            .transpose()
    }

    async fn changes_since(&self, seq: i64, limit: i64) -> Result<Vec<EntryRecord>, StoreError> {
        sqlx::query(
            "SELECT id, seq, body::text AS body, removed_reason FROM entries WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
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
        sqlx::query(
            "SELECT key, partition, seen_order, state, entry_id, offering::text AS offering FROM sources ORDER BY key",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::query("read the sources"))?
        .iter()
        .map(source_from_row)
        .collect()
    }

    async fn offsets(&self, topic: &str) -> Result<Vec<(i32, i64)>, StoreError> {
        sqlx::query_as("SELECT partition, next_offset FROM offsets WHERE topic = $1 ORDER BY partition")
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
        sqlx::query_as("SELECT provider_id, state::text FROM fetch_state ORDER BY provider_id")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("read the fetch state"))
    }

    async fn put_fetch_state(&self, provider_id: &str, state: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO fetch_state (provider_id, state) VALUES ($1, $2::jsonb) ON CONFLICT (provider_id) DO UPDATE SET state = excluded.state, updated_at = now()")
            .bind(provider_id)
            .bind(state)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("store a provider's fetch state"))?;
        Ok(())
    }

    async fn dead_letters(&self, limit: i64) -> Result<Vec<StoredDeadLetter>, StoreError> {
        sqlx::query(dead_letters_query!(" ORDER BY id LIMIT $1"))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("read the dead letters"))?
            .iter()
            .map(dead_letter_from_row)
            .collect()
    }

    async fn dead_letter(&self, id: i64) -> Result<Option<StoredDeadLetter>, StoreError> {
        sqlx::query(dead_letters_query!(" WHERE id = $1"))
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
        let done = sqlx::query("UPDATE dead_letters SET replay_requested_at = now() WHERE id = ANY($1)")
            .bind(ids)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("ask for dead letters to be replayed"))?;
        Ok(done.rows_affected())
    }

    async fn replay_requests(&self, limit: i64) -> Result<Vec<StoredDeadLetter>, StoreError> {
        sqlx::query(dead_letters_query!(" WHERE replay_requested_at IS NOT NULL ORDER BY id LIMIT $1"))
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
        sqlx::query("DELETE FROM dead_letters WHERE id = ANY($1)")
            .bind(ids)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("forget replayed dead letters"))?;
        Ok(())
    }

    async fn put_decision(&self, decision: &Decision, publish: Option<&OutboxRecord>) -> Result<(), StoreError> {
        let mut tx = self.begin("begin a transaction").await?;
        sqlx::query("INSERT INTO curation (id, body) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = now()")
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
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, body::text AS body FROM curation ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("read the curation decisions"))?;
        rows.iter().map(|(id, body)| decode_decision(id, body)).collect()
    }

    async fn open_console_session(&self, session: &ConsoleSession) -> Result<(), StoreError> {
        let mut tx = self.begin("begin a console session").await?;
        sqlx::query("DELETE FROM console_sessions WHERE expires_at <= now()")
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("forget ended console sessions"))?;
        sqlx::query("INSERT INTO console_sessions (id, operator, csrf, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(&session.id)
            .bind(&session.operator)
            .bind(&session.csrf)
            .bind(session.expires_at)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("keep a console session"))?;
        tx.commit().await.map_err(StoreError::query("commit a console session"))
    }

    async fn console_session(&self, id: &str) -> Result<Option<ConsoleSession>, StoreError> {
        let row: Option<(String, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT operator, csrf, expires_at FROM console_sessions WHERE id = $1 AND expires_at > now()",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::query("read a console session"))?;
        Ok(row.map(|(operator, csrf, expires_at)| ConsoleSession { id: id.to_owned(), operator, csrf, expires_at }))
    }

    async fn close_console_session(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM console_sessions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("forget a console session"))?;
        Ok(())
    }

    async fn console_secret(&self, made: &str) -> Result<String, StoreError> {
        sqlx::query("INSERT INTO console_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
            .bind(made)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("keep the console's secret"))?;
        sqlx::query_scalar("SELECT secret FROM console_secret WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::query("read the console's secret"))
    }

    async fn backup(&self, _to: &std::path::Path) -> Result<(), StoreError> {
        Err(StoreError::Refused {
            what: "back up a PostgreSQL store with learncity".into(),
            instead: "run pg_dump --format=custom --file=learncity.dump against its database \
                      (with --schema=NAME for a store URL with ?schema=NAME); docs/runbook.md, Back up and restore"
                .into(),
        })
    }

    async fn reset(&self, reason: &str) -> Result<Vec<String>, StoreError> {
        let mut tx = self.begin("begin a reset").await?;
        sqlx::query("DELETE FROM sources").execute(&mut *tx).await.map_err(StoreError::query("delete the sources"))?;
        sqlx::query("DELETE FROM offsets").execute(&mut *tx).await.map_err(StoreError::query("delete the offsets"))?;
        // Each live entry takes the next sequence, in id order.
        let mut ids: Vec<String> = sqlx::query_scalar(
            "WITH live AS (
               SELECT id, nextval('entry_seq') AS seq
               FROM (SELECT id FROM entries WHERE body IS NOT NULL ORDER BY id FOR UPDATE) AS ordered
             )
             UPDATE entries SET body = NULL, removed_reason = $1, seq = live.seq
             FROM live WHERE entries.id = live.id
             RETURNING entries.id",
        )
        .bind(reason)
        .fetch_all(&mut *tx)
        .await
        .map_err(StoreError::query("mark the live entries removed"))?;
        tx.commit().await.map_err(StoreError::query("commit a reset"))?;
        ids.sort();
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_masks_passwords() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("postgres://h/db?user=u&password=secret"), "postgres://h/db?user=u&password=***");
        assert_eq!(redact_url("postgresql://u:p@ss@h"), "postgresql://u:***@h");
        assert_eq!(redact_url("nonsense"), "nonsense");
    }

    #[test]
    fn describe_has_no_credentials() {
        let options = PgConnectOptions::from_str("postgres://u:secret@db.example:6543/cat").unwrap();
        assert_eq!(describe(&options, Some("t_1")), "postgres://db.example:6543/cat (schema t_1)");
        assert_eq!(describe(&options, None), "postgres://db.example:6543/cat");
    }

    #[tokio::test]
    async fn bad_schema_names_are_refused() {
        for name in ["", "Public", "a-b", "x\"; drop", "ä"] {
            let err = PgStore::connect("postgres://u@127.0.0.1:1/db", Some(name)).await.unwrap_err();
            assert!(matches!(err, StoreError::Schema { .. }), "{name:?}: {err}");
        }
    }
}
