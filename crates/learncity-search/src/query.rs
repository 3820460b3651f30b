//! The search request ([`Query`], [`Sort`]), its result ([`Page`], [`Hit`]), and how a request
//! becomes a tantivy query.
//!
//! ## Text matching
//! The text is cut into words (runs of letters and digits; quotes, colons, brackets, `AND`,
//! `OR`, `-` are plain text, never query syntax: no query parser is involved). Stopwords
//! ("в", "для", "the"...) are dropped unless every word is one; at most [`MAX_WORDS`] words
//! are used. A word matches an entry when any of these matches in any text field group:
//! - its Russian stem in the `ru_stem` fields, and its English stem in the `en_stem` fields:
//!   exactly, or within the typo distance of the stem;
//! - its folded form (see [`crate::schema`]) in the `translit` fields: exactly, as a prefix
//!   (forms of 4 letters or more), as a prefix within the typo distance, and — for forms of 7
//!   letters or more — its crude stem (the form less its last three letters, at least five kept)
//!   as a prefix; and the five-letter prefixes of every name of a place it names, from the
//!   catalogue's place-alias table (Могилёве → Магілёў, Mahilioŭ...).
//!
//! Typo distance (Levenshtein, a transposition counts as one edit): 0 for terms under 5
//! characters, 1 from 5, 2 from 9 (of the term searched: the stem or the folded form).
//!
//! Every word must match (AND). When that finds nothing and there are several words, the
//! search is run again with any word matching (OR), ranked by how well they match, and
//! [`Page::relaxed`] says so.
//!
//! ## Scores
//! Title matches weigh 3, categories/provider 2, summary/place 1; an exact stem match scores by
//! BM25, the others a constant: exact folded 0.8, prefix 0.5, crude stem and place alias 0.4,
//! fuzzy 0.3 (times the group weight).

use std::collections::HashSet;
use std::ops::Bound;

use chrono::{DateTime, Utc};
use learncity_model::Mode;
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query as TantivyQuery, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TokenizerManager;

use crate::SearchError;
use crate::schema::{Analyzer, Fields, Group, keyword, mode_term, status_term};
use crate::text::{crude_stem, folded, is_stopword, place_aliases, typo_distance, words};

/// Longest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// At most this many words of the text are searched; the rest are ignored.
pub const MAX_WORDS: usize = 32;
/// A page holds at most this many hits; a larger [`Query::limit`] is lowered to it. (As many as
/// the largest export, `[serve] export-max`; the catalogue service's pages hold at most 1 000.)
pub const MAX_LIMIT: usize = 100_000;
/// [`Query::limit`] of [`Query::default`].
pub const DEFAULT_LIMIT: usize = 20;

/// Order of the hits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best text match first; ties (and every hit of a query without text) by next session.
    #[default]
    Relevance,
    /// Earliest next session first (see [`Hit::next_session`]); entries without one last;
    /// ties by relevance.
    NextSession,
}

/// A search request. Every filter that is `None` (or blank) does not filter; filters combine
/// with AND.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Words to search (at most [`MAX_QUERY_CHARS`] characters); `None` or blank: every entry.
    pub text: Option<String>,
    /// Only entries with a session ending at or after this instant (with `to`: overlapping
    /// `[from, to]`). Cancelled sessions never count.
    pub from: Option<DateTime<Utc>>,
    /// Only entries with a session starting at or before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Only entries attended this way. `Online` and `InPerson` also match `Hybrid` entries;
    /// `Hybrid` and `Unknown` match only themselves.
    pub mode: Option<Mode>,
    /// Only entries of this taxonomy category id (`languages`, `it`...).
    pub category: Option<String>,
    /// Only entries taught in this language: a BCP 47 tag, compared case-insensitively; a
    /// primary subtag (`be`) also matches the entry's longer tags (`be-Latn`).
    pub language: Option<String>,
    /// `Some(true)`: only free entries; `Some(false)`: only entries with a price (amount known
    /// or not). Entries whose price is unknown match neither.
    pub free: Option<bool>,
    /// Only entries whose lowest price is at most this (free entries count as 0). The currency is
    /// not compared. Entries whose amount is unknown do not match.
    pub max_price: Option<f64>,
    /// Only entries whose audience age range (`age_min..=age_max`, an open end when absent)
    /// holds this age.
    pub age: Option<u8>,
    /// Only entries with this accessibility feature (`wheelchair`, `sign_language`...).
    pub accessibility: Option<String>,
    /// Only entries in this district, compared folded (case, script and diacritics aside).
    pub district: Option<String>,
    /// Only entries with a source from this provider id.
    pub provider: Option<String>,
    /// Also return cancelled entries (by default they are left out).
    pub include_cancelled: bool,
    /// Order of the hits.
    pub sort: Sort,
    /// "Now", for [`Sort::NextSession`]: sessions starting before it (or before `from`, when
    /// later) are past.
    pub now: DateTime<Utc>,
    /// Hits to skip.
    pub offset: usize,
    /// Hits to return, at most [`MAX_LIMIT`].
    pub limit: usize,
}

impl Default for Query {
    /// Every entry not cancelled, by relevance, the first [`DEFAULT_LIMIT`], now being the
    /// current time.
    fn default() -> Self {
        Query {
            text: None,
            from: None,
            to: None,
            mode: None,
            category: None,
            language: None,
            free: None,
            max_price: None,
            age: None,
            accessibility: None,
            district: None,
            provider: None,
            include_cancelled: false,
            sort: Sort::default(),
            now: Utc::now(),
            offset: 0,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl Query {
    /// A default query searching `text`.
    pub fn text(text: impl Into<String>) -> Self {
        Query { text: Some(text.into()), ..Query::default() }
    }

    /// Checks the parameters a tantivy query cannot hold.
    pub(crate) fn validate(&self) -> Result<(), SearchError> {
        if let Some(text) = &self.text {
            let chars = text.chars().count();
            if chars > MAX_QUERY_CHARS {
                return Err(SearchError::QueryTooLong { chars, max: MAX_QUERY_CHARS });
            }
        }
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(SearchError::InvalidQuery(format!(
                "`from` ({from}) is after `to` ({to}): swap them or leave one out"
            )));
        }
        if let Some(p) = self.max_price
            && !(p.is_finite() && p >= 0.0)
        {
            return Err(SearchError::InvalidQuery(format!("max_price {p} is not a price: give a number ≥ 0")));
        }
        Ok(())
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// How many entries match in all (every page).
    pub total: usize,
    /// The page's hits, in order.
    pub hits: Vec<Hit>,
    /// True when no entry matched every word, and the hits match only some of the words (see
    /// the [module documentation](self)).
    pub relaxed: bool,
}

/// One matching entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The entry id.
    pub id: String,
    /// Relevance (higher is better; only comparable within one search).
    pub score: f32,
    /// Start of the entry's earliest session not cancelled starting at or after `now` (or
    /// `from`, when later).
    pub next_session: Option<DateTime<Utc>>,
}

/// What a query searches for one word.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Word {
    /// Russian and English stems (per analyzer).
    stems: Vec<(Analyzer, String)>,
    /// Folded form.
    folded: Option<String>,
}

/// Runs `text` through the registered analyzer `name` and returns its tokens.
fn analyze(tokenizers: &TokenizerManager, name: &str, text: &str) -> Vec<String> {
    let Some(mut analyzer) = tokenizers.get(name) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// The words of `text` to search, analysed.
fn query_words(tokenizers: &TokenizerManager, text: &str) -> Vec<Word> {
    let all = words(text);
    let mut kept: Vec<String> = all.iter().filter(|w| !is_stopword(w)).cloned().collect();
    if kept.is_empty() {
        kept = all;
    }
    let mut seen = HashSet::new();
    kept.retain(|w| seen.insert(w.clone()));
    kept.truncate(MAX_WORDS);
    kept.iter()
        .map(|w| Word {
            stems: [Analyzer::Ru, Analyzer::En]
                .into_iter()
                .flat_map(|a| analyze(tokenizers, a.tokenizer(), w).into_iter().map(move |s| (a, s)))
                .collect(),
            folded: folded(w),
        })
        .collect()
}

fn boosted(query: impl TantivyQuery, boost: f32) -> (Occur, Box<dyn TantivyQuery>) {
    (Occur::Should, Box::new(BoostQuery::new(Box::new(query), boost)))
}

/// Any of the ways `word` can match, across every group.
fn word_query(fields: &Fields, word: &Word) -> Box<dyn TantivyQuery> {
    let mut alternatives: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
    for group in Group::ALL {
        let weight = group.boost();
        for (analyzer, stem) in &word.stems {
            let term = Term::from_field_text(fields.text(group, *analyzer), stem);
            alternatives.push(boosted(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs), weight));
            let distance = typo_distance(stem);
            if distance > 0 {
                alternatives.push(boosted(FuzzyTermQuery::new(term, distance, true), weight * 0.3));
            }
        }
        let field = fields.text(group, Analyzer::Translit);
        if let Some(form) = &word.folded {
            let term = |text: &str| Term::from_field_text(field, text);
            alternatives.push(boosted(TermQuery::new(term(form), IndexRecordOption::WithFreqs), weight * 0.8));
            if form.len() >= 4 {
                alternatives.push(boosted(FuzzyTermQuery::new_prefix(term(form), 0, true), weight * 0.5));
            }
            let distance = typo_distance(form);
            if distance > 0 {
                alternatives.push(boosted(FuzzyTermQuery::new_prefix(term(form), distance, true), weight * 0.3));
            }
            if let Some(stem) = crude_stem(form) {
                alternatives.push(boosted(FuzzyTermQuery::new_prefix(term(stem), 0, true), weight * 0.4));
            }
            for alias in place_aliases(form) {
                alternatives.push(boosted(FuzzyTermQuery::new_prefix(term(alias), 0, true), weight * 0.4));
            }
        }
    }
    Box::new(BooleanQuery::new(alternatives))
}

/// A filter clause: must match, adds nothing to the score.
fn filter(query: impl TantivyQuery) -> (Occur, Box<dyn TantivyQuery>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(Box::new(query), 0.0)))
}

fn raw_term(field: Field, value: &str) -> TermQuery {
    TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic)
}

/// Any of `values` in `field`.
fn any_term(field: Field, values: &[&str]) -> BooleanQuery {
    BooleanQuery::new(values.iter().map(|v| (Occur::Should, Box::new(raw_term(field, v)) as Box<_>)).collect())
}

fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The filter clauses of `q` (everything but the text and the date window).
fn filters(fields: &Fields, q: &Query) -> Vec<(Occur, Box<dyn TantivyQuery>)> {
    let mut out = Vec::new();
    if let Some(mode) = q.mode {
        let accepted: &[Mode] = match mode {
            Mode::Online => &[Mode::Online, Mode::Hybrid],
            Mode::InPerson => &[Mode::InPerson, Mode::Hybrid],
            Mode::Hybrid => &[Mode::Hybrid],
            Mode::Unknown => &[Mode::Unknown],
        };
        let terms: Vec<&str> = accepted.iter().map(|m| mode_term(*m)).collect();
        out.push(filter(any_term(fields.mode, &terms)));
    }
    for (field, value) in [
        (fields.category, non_blank(&q.category)),
        (fields.language, non_blank(&q.language)),
        (fields.accessibility, non_blank(&q.accessibility)),
    ] {
        if let Some(v) = value {
            out.push(filter(raw_term(field, &keyword(v))));
        }
    }
    if let Some(p) = non_blank(&q.provider) {
        out.push(filter(raw_term(fields.provider, p)));
    }
    if let Some(d) = non_blank(&q.district) {
        out.push(filter(raw_term(fields.district, &learncity_catalog::fold::fold(d))));
    }
    if let Some(free) = q.free {
        out.push(filter(raw_term(fields.price_kind, if free { "free" } else { "paid" })));
    }
    if let Some(max) = q.max_price {
        out.push(filter(RangeQuery::new(
            Bound::Unbounded,
            Bound::Included(Term::from_field_f64(fields.price_min, max)),
        )));
    }
    if let Some(age) = q.age {
        let age = u64::from(age);
        out.push(filter(RangeQuery::new(Bound::Unbounded, Bound::Included(Term::from_field_u64(fields.age_min, age)))));
        out.push(filter(RangeQuery::new(Bound::Included(Term::from_field_u64(fields.age_max, age)), Bound::Unbounded)));
    }
    if !q.include_cancelled {
        out.push((Occur::MustNot, Box::new(raw_term(fields.status, status_term(learncity_model::Status::Cancelled)))));
    }
    out
}

/// The tantivy queries to run for `q`, in order: the strict one (every word), and, when the text
/// has several words, the relaxed one (any word) to run if the strict one finds nothing.
pub(crate) fn build(
    fields: &Fields,
    tokenizers: &TokenizerManager,
    q: &Query,
) -> (Box<dyn TantivyQuery>, Option<Box<dyn TantivyQuery>>) {
    let words = q.text.as_deref().map(|t| query_words(tokenizers, t)).unwrap_or_default();
    let with_filters = |text: Box<dyn TantivyQuery>| -> Box<dyn TantivyQuery> {
        let mut clauses = vec![(Occur::Must, text)];
        clauses.extend(filters(fields, q));
        Box::new(BooleanQuery::new(clauses))
    };
    if words.is_empty() {
        return (with_filters(Box::new(ConstScoreQuery::new(Box::new(AllQuery), 0.0))), None);
    }
    let strict = BooleanQuery::new(words.iter().map(|w| (Occur::Must, word_query(fields, w))).collect());
    let relaxed = (words.len() > 1)
        .then(|| BooleanQuery::new(words.iter().map(|w| (Occur::Should, word_query(fields, w))).collect()));
    (with_filters(Box::new(strict)), relaxed.map(|r| with_filters(Box::new(r))))
}
