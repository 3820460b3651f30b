//! [`SearchError`]: what went wrong in the search index, and what to do about it.

use std::path::PathBuf;

/// Anything [`crate::SearchIndex`] can fail with. Each message says what failed and what to do.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query text is longer than [`crate::MAX_QUERY_CHARS`] characters.
    #[error("the search text is {chars} characters long, at most {max} are allowed: shorten it")]
    QueryTooLong {
        /// Length of the text given, in characters.
        chars: usize,
        /// The limit, [`crate::MAX_QUERY_CHARS`].
        max: usize,
    },
    /// A query parameter is out of range (`from` after `to`, a negative or non-finite price).
    #[error("invalid search query: {0}")]
    InvalidQuery(String),
    /// The index directory could not be opened or created.
    #[error(
        "cannot open the search index in {path}: {source}; check the directory's permissions, stop any other \
         process using it, or delete the directory and rebuild the index from the catalogue"
    )]
    Open {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// tantivy failed while indexing or searching.
    #[error("the search index failed to {action}: {source}; retry, and rebuild the index if it keeps failing")]
    Index {
        /// What the index was doing ("add an entry", "commit", "search"...).
        action: &'static str,
        /// The underlying error.
        #[source]
        source: tantivy::TantivyError,
    },
    /// A thread panicked while it held the index writer, which may be in an unknown state.
    #[error(
        "the search index writer is unusable since a thread panicked while holding it: create a new index and \
         re-add every entry"
    )]
    WriterPoisoned,
}

/// Wraps a tantivy error with what the index was doing.
pub(crate) fn index_err(action: &'static str) -> impl FnOnce(tantivy::TantivyError) -> SearchError {
    move |source| SearchError::Index { action, source }
}
