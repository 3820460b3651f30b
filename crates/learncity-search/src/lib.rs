//! # learncity-search: the full-text search index over catalogue entries
//!
//! [`SearchIndex`] indexes [`Entry`] values (tantivy 0.27, in memory or in a directory) and
//! answers a [`Query`]: words searched in title, categories, providers, summary and place, with
//! Russian and English stemming, case/diacritics folding, Cyrillic↔Latin transliteration and
//! typo tolerance; filters on dates, mode, category, language, price, age, accessibility,
//! district, provider and status; sorted by relevance or next session; paged, with the total.
//!
//! The index keeps only entry ids (and the filter fields): the caller looks the entries up by
//! id. How text is analysed: [`schema`] (fields) and [`query`] (matching rules).
//!
//! Belarusian has no stemmer: Belarusian words are matched through the folded, transliterated
//! fields (where unstressed `о`/`а`, doubled letters and `ф`/`ph` are merged too), by prefix,
//! crude stem and fuzzily, and through the Belarusian category labels of the taxonomy. A
//! Belarusian inflected form usually finds the Russian or Belarusian forms of the same word
//! ("англійскай" → "английского", "фатаграфія" → "фотография", "Магілёў" → "Могилёв");
//! translations with other roots ("мова" / "язык") are found only through the category labels,
//! and words that differ beyond their ending ("праграмаванне" / "программирование") not at all.
//!
//! ```
//! # fn main() -> Result<(), learncity_search::SearchError> {
//! use learncity_search::{Query, SearchIndex};
//! let index = SearchIndex::in_memory()?;
//! // index.upsert(&entry)?; ... index.commit()?;
//! let page = index.search(&Query::text("английский курс Витебск"))?;
//! assert_eq!(page.total, 0);
//! # Ok(()) }
//! ```

mod collect;
mod error;
pub mod query;
pub mod schema;
mod text;

use std::path::Path;
use std::sync::Mutex;

use learncity_model::Entry;
use tantivy::directory::MmapDirectory;
use tantivy::schema::Value;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub use error::SearchError;
pub use query::{DEFAULT_LIMIT, Hit, MAX_LIMIT, MAX_QUERY_CHARS, MAX_WORDS, Page, Query, Sort};
pub use schema::{EN_STEM, RU_STEM, TRANSLIT};

use collect::{Match, Matches, clamp_secs};
use error::index_err;
use schema::Fields;

/// Memory budget of the index writer, in bytes.
pub const WRITER_MEMORY_BYTES: usize = 50_000_000;

/// The search index: a tantivy index, its writer (behind a mutex) and a reader reloaded on
/// [`commit`](Self::commit). Share it between threads behind an `Arc`.
///
/// Changes ([`upsert`](Self::upsert), [`remove`](Self::remove)) become visible to
/// [`search`](Self::search) and [`len`](Self::len) only after [`commit`](Self::commit); commit
/// after a batch rather than after each entry.
pub struct SearchIndex {
    index: Index,
    fields: Fields,
    writer: Mutex<IndexWriter>,
    reader: IndexReader,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("docs", &self.len()).finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// An empty index held in memory.
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, fields) = schema::build_schema();
        Self::with_index(Index::create_in_ram(schema), fields)
    }

    /// The index kept in directory `path`: opened when it holds one, else created (with the
    /// directory). Fails when another process has it open for writing, or when it was written by
    /// a version of this crate with another schema: delete the directory and rebuild then.
    pub fn open_in_dir(path: &Path) -> Result<Self, SearchError> {
        let open_err =
            |source: Box<dyn std::error::Error + Send + Sync>| SearchError::Open { path: path.to_path_buf(), source };
        std::fs::create_dir_all(path).map_err(|e| open_err(Box::new(e)))?;
        let directory = MmapDirectory::open(path).map_err(|e| open_err(Box::new(e)))?;
        let (schema, fields) = schema::build_schema();
        let index = Index::open_or_create(directory, schema).map_err(|e| open_err(Box::new(e)))?;
        Self::with_index(index, fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<Self, SearchError> {
        schema::register_analyzers(index.tokenizers());
        let writer = index.writer(WRITER_MEMORY_BYTES).map_err(index_err("create its writer"))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(index_err("create its reader"))?;
        Ok(SearchIndex { index, fields, writer: Mutex::new(writer), reader })
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>, SearchError> {
        self.writer.lock().map_err(|_| SearchError::WriterPoisoned)
    }

    /// Adds `entry`, replacing any entry with the same id. Visible after [`commit`](Self::commit).
    pub fn upsert(&self, entry: &Entry) -> Result<(), SearchError> {
        let doc = schema::document(&self.fields, entry);
        let writer = self.writer()?;
        writer.delete_term(Term::from_field_text(self.fields.id, &entry.id));
        writer.add_document(doc).map_err(index_err("add an entry"))?;
        Ok(())
    }

    /// Removes the entry with id `id` (nothing when there is none). Visible after
    /// [`commit`](Self::commit).
    pub fn remove(&self, id: &str) -> Result<(), SearchError> {
        self.writer()?.delete_term(Term::from_field_text(self.fields.id, id));
        Ok(())
    }

    /// Removes every entry (to rebuild from scratch). Visible after [`commit`](Self::commit).
    pub fn clear(&self) -> Result<(), SearchError> {
        self.writer()?.delete_all_documents().map_err(index_err("remove every entry"))?;
        Ok(())
    }

    /// Makes every change so far durable and visible to searches.
    pub fn commit(&self) -> Result<(), SearchError> {
        self.writer()?.commit().map_err(index_err("commit"))?;
        self.reader.reload().map_err(index_err("reload its reader after a commit"))?;
        Ok(())
    }

    /// Number of entries visible to searches.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// True when no entry is visible to searches.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries matching `q`, one page of them, with the total. Never fails on the content of
    /// the text (any string of at most [`MAX_QUERY_CHARS`] characters is a valid search);
    /// fails on a longer text, `from` after `to`, or a negative or non-finite `max_price`.
    pub fn search(&self, q: &Query) -> Result<Page, SearchError> {
        q.validate()?;
        let searcher = self.reader.searcher();
        let (strict, relaxed) = query::build(&self.fields, self.index.tokenizers(), q);

        let window = (q.from.is_some() || q.to.is_some()).then(|| {
            (q.from.map_or(0, |t| clamp_secs(t.timestamp())), q.to.map_or(u32::MAX, |t| clamp_secs(t.timestamp())))
        });
        let threshold = clamp_secs(q.from.map_or(q.now, |from| from.max(q.now)).timestamp());
        let collector = Matches { window, threshold };

        let mut matches = searcher.search(strict.as_ref(), &collector).map_err(index_err("search"))?;
        let mut was_relaxed = false;
        if matches.is_empty()
            && let Some(relaxed) = relaxed
        {
            matches = searcher.search(relaxed.as_ref(), &collector).map_err(index_err("search"))?;
            was_relaxed = !matches.is_empty();
        }

        let total = matches.len();
        let limit = q.limit.min(MAX_LIMIT);
        sort_page(&mut matches, q.sort, q.offset.saturating_add(limit));
        let mut hits = Vec::with_capacity(limit.min(total));
        for m in matches.iter().skip(q.offset).take(limit) {
            let doc: TantivyDocument = searcher.doc(m.address).map_err(index_err("read a matching entry's id"))?;
            let id = doc.get_first(self.fields.id).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            let next_session = m.next.and_then(|secs| chrono::DateTime::from_timestamp(i64::from(secs), 0));
            hits.push(Hit { id, score: m.score, next_session });
        }
        Ok(Page { total, hits, relaxed: was_relaxed })
    }
}

/// Puts the first `upto` matches in `sort` order at the front (the rest after them, in no
/// order): a page needs only those, and selecting them is linear in the matches where sorting all
/// of a million is not. The document address breaks the remaining ties so that pages never
/// overlap.
fn sort_page(matches: &mut [Match], sort: Sort, upto: usize) {
    let by_next = |a: &Match, b: &Match| match (a.next, b.next) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    };
    let by_score = |a: &Match, b: &Match| b.score.total_cmp(&a.score);
    let order = |a: &Match, b: &Match| {
        let first = match sort {
            Sort::Relevance => by_score(a, b).then_with(|| by_next(a, b)),
            Sort::NextSession => by_next(a, b).then_with(|| by_score(a, b)),
        };
        first.then_with(|| a.address.cmp(&b.address))
    };
    if upto < matches.len() {
        matches.select_nth_unstable_by(upto, order);
    }
    let front = upto.min(matches.len());
    matches[..front].sort_by(order);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_shared_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<SearchIndex>();
        send_sync::<Query>();
        send_sync::<SearchError>();
    }
}
