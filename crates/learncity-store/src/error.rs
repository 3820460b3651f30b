//! [`StoreError`]: what can go wrong opening, migrating, reading or writing a catalogue store.
//!
//! Every variant names what failed and on which input (a path, a URL without its password, a
//! query, a row) and its message says what to do about it.

/// A failure of the catalogue store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// What was asked cannot be done (here, or by learncity for this kind of store).
    #[error("cannot {what}: {instead}")]
    Refused {
        /// What was asked.
        what: String,
        /// What to do instead.
        instead: String,
    },

    /// The store URL names no known store.
    #[error("unknown store URL {url:?}; use sqlite:PATH or postgres://USER@HOST:PORT/DB")]
    Url {
        /// The URL as given.
        url: String,
    },

    /// The PostgreSQL schema name is not usable.
    #[error("invalid PostgreSQL schema name {name:?}; use lowercase letters, digits and '_' only")]
    Schema {
        /// The name as given.
        name: String,
    },

    /// Opening the SQLite file or connecting to PostgreSQL failed.
    #[error(
        "cannot open the store {what}: {source}; check that the path is writable or that the \
         server is up and the URL (host, port, user, database) is right"
    )]
    Open {
        /// The path or URL (without password).
        what: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },

    /// Another process held the SQLite store's migration lock for too long.
    #[error(
        "cannot open the store {what}: another process has held its migration lock {lock} for {waited_s} s; \
         check for a stuck learncity process using this store, then retry"
    )]
    Locked {
        /// The store's path.
        what: String,
        /// The lock file.
        lock: String,
        /// How long this process waited, in seconds.
        waited_s: u64,
    },

    /// Running the embedded migrations failed.
    #[error(
        "cannot migrate the store {what}: {source}; the database may have been migrated by a newer \
         learncity or edited by hand: restore a backup or start from an empty database"
    )]
    Migrate {
        /// The path or URL (without password).
        what: String,
        /// The migrator's error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    /// A query failed.
    #[error("store query failed: {what}: {source}; check that the database is reachable and not full, then retry")]
    Query {
        /// Which query (and on which row when it matters).
        what: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },

    /// A stored value does not decode.
    #[error(
        "corrupt store data in {what}: {detail}; the row was written by an incompatible version or edited \
         by hand: fix or delete the row, or rebuild the catalogue"
    )]
    Corrupt {
        /// Which row and column.
        what: String,
        /// Why it does not decode.
        detail: String,
    },
}

impl StoreError {
    /// A [`StoreError::Query`] for `what`.
    pub(crate) fn query(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError {
        let what = what.into();
        move |source| StoreError::Query { what, source }
    }
}
