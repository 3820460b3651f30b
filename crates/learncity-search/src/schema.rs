//! The index schema, its text analyzers, and the tantivy document of a catalogue [`Entry`].
//!
//! ## Text fields
//! An entry's searchable text falls into three *groups*, each boosted differently at query time:
//! - title: the title and every source's own title (another provider may name the
//!   same offering in another language or script);
//! - meta: the taxonomy categories (id and their English, Russian and Belarusian
//!   labels), the providers' own category terms, the providers' ids and names, the organiser;
//! - body: the summary, the venue, address, city and district, the teachers' names.
//!
//! Each group is indexed three times (fields `{group}_ru`, `{group}_en`, `{group}_tr`), by
//! three analyzers:
//! - `ru_stem`: words lowercased and stemmed by the Russian Snowball stemmer (Latin words pass
//!   through it unchanged);
//! - `en_stem`: words lowercased and stemmed by the English Snowball stemmer;
//! - `translit`: the words folded by `learncity_catalog::fold::fold` (ASCII, case, diacritics,
//!   Cyrillic↔Latin transliteration variants: "Віцебск" and "Viciebsk" both give `vicebsk`),
//!   plus the Belarusian spelling merges of the crate (`o`→`a`, single letters for doubled
//!   ones, `ph`→`f`), unstemmed, split on whitespace. Belarusian has no stemmer; this field, searched by prefix
//!   and fuzzily, stands in for one.
//!
//! No text is stored: the index keeps the entry id (stored) and the filter fields below.
//!
//! ## Filter fields
//! Raw (untokenized) terms: `mode`, `status`, `category`, `language` (the tag lowercased, and
//! its primary subtag), `accessibility`, `district` (folded), `provider` (every source's
//! provider id), `price_kind` (`free`, `paid`, `unknown`). Numbers: `price_min` (0 when free,
//! else the lowest amount; absent when unknown), `age_min` (0 when absent), `age_max`
//! (255 when absent). Fast field `sessions`: each session not cancelled, its start and end
//! packed into one `u64` (start in the high 32 bits, end in the low ones, Unix seconds).

use learncity_model::taxonomy;
use learncity_model::{Entry, Mode, Status};
use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer, TokenizerManager,
    WhitespaceTokenizer,
};

use crate::collect::pack_session;
use crate::text::{MAX_TOKEN_BYTES, normalize, translit_text};

/// Name of the Russian stemming analyzer.
pub const RU_STEM: &str = "ru_stem";
/// Name of the English stemming analyzer.
pub const EN_STEM: &str = "en_stem";
/// Name of the analyzer of the folded, transliterated fields (whitespace split only).
pub const TRANSLIT: &str = "translit";

/// `age_max` of an entry without an upper age limit.
pub(crate) const AGE_MAX_NONE: u64 = u8::MAX as u64;

/// A group of text fields, boosted as one at query time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    /// Titles.
    Title,
    /// Categories, providers, organiser.
    Meta,
    /// Summary, place, teachers.
    Body,
}

impl Group {
    /// Every group.
    pub(crate) const ALL: [Group; 3] = [Group::Title, Group::Meta, Group::Body];

    /// Relative weight of a match in this group: title > categories/provider > summary/venue.
    pub(crate) fn boost(self) -> f32 {
        match self {
            Group::Title => 3.0,
            Group::Meta => 2.0,
            Group::Body => 1.0,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Group::Title => "title",
            Group::Meta => "meta",
            Group::Body => "body",
        }
    }
}

/// How a text field is analysed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Analyzer {
    /// `ru_stem`.
    Ru,
    /// `en_stem`.
    En,
    /// `translit`.
    Translit,
}

impl Analyzer {
    /// Every analyzer.
    pub(crate) const ALL: [Analyzer; 3] = [Analyzer::Ru, Analyzer::En, Analyzer::Translit];

    fn suffix(self) -> &'static str {
        match self {
            Analyzer::Ru => "ru",
            Analyzer::En => "en",
            Analyzer::Translit => "tr",
        }
    }

    /// The registered name of the analyzer.
    pub(crate) fn tokenizer(self) -> &'static str {
        match self {
            Analyzer::Ru => RU_STEM,
            Analyzer::En => EN_STEM,
            Analyzer::Translit => TRANSLIT,
        }
    }
}

/// The fields of the schema.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    pub(crate) id: Field,
    /// Indexed by `[group][analyzer]` in the order of [`Group::ALL`] and [`Analyzer::ALL`].
    text: [[Field; 3]; 3],
    pub(crate) mode: Field,
    pub(crate) status: Field,
    pub(crate) category: Field,
    pub(crate) language: Field,
    pub(crate) accessibility: Field,
    pub(crate) district: Field,
    pub(crate) provider: Field,
    pub(crate) price_kind: Field,
    pub(crate) price_min: Field,
    pub(crate) age_min: Field,
    pub(crate) age_max: Field,
    pub(crate) sessions: Field,
}

/// Name of the fast field of packed sessions.
pub(crate) const SESSIONS: &str = "sessions";

impl Fields {
    /// The text field of `group` analysed by `analyzer`.
    pub(crate) fn text(&self, group: Group, analyzer: Analyzer) -> Field {
        let g = Group::ALL.iter().position(|x| *x == group).unwrap_or(0);
        let a = Analyzer::ALL.iter().position(|x| *x == analyzer).unwrap_or(0);
        self.text[g][a]
    }
}

/// The schema and its fields.
pub(crate) fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = b.add_text_field("id", STRING | STORED);
    let text = Group::ALL.map(|group| {
        Analyzer::ALL.map(|analyzer| {
            let indexing = TextFieldIndexing::default()
                .set_tokenizer(analyzer.tokenizer())
                .set_index_option(IndexRecordOption::WithFreqs);
            b.add_text_field(
                &format!("{}_{}", group.name(), analyzer.suffix()),
                TextOptions::default().set_indexing_options(indexing),
            )
        })
    });
    let fields = Fields {
        id,
        text,
        mode: b.add_text_field("mode", STRING),
        status: b.add_text_field("status", STRING),
        category: b.add_text_field("category", STRING),
        language: b.add_text_field("language", STRING),
        accessibility: b.add_text_field("accessibility", STRING),
        district: b.add_text_field("district", STRING),
        provider: b.add_text_field("provider", STRING),
        price_kind: b.add_text_field("price_kind", STRING),
        price_min: b.add_f64_field("price_min", INDEXED | FAST),
        age_min: b.add_u64_field("age_min", INDEXED | FAST),
        age_max: b.add_u64_field("age_max", INDEXED | FAST),
        sessions: b.add_u64_field(SESSIONS, FAST),
    };
    (b.build(), fields)
}

/// Registers the three analyzers on an index's tokenizer manager.
pub(crate) fn register_analyzers(manager: &TokenizerManager) {
    manager.register(
        RU_STEM,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::Russian))
            .build(),
    );
    manager.register(
        EN_STEM,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::English))
            .build(),
    );
    manager.register(
        TRANSLIT,
        TextAnalyzer::builder(WhitespaceTokenizer::default()).filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES)).build(),
    );
}

/// The raw term of a mode.
pub(crate) fn mode_term(mode: Mode) -> &'static str {
    match mode {
        Mode::InPerson => "in_person",
        Mode::Online => "online",
        Mode::Hybrid => "hybrid",
        Mode::Unknown => "unknown",
    }
}

/// The raw term of a status.
pub(crate) fn status_term(status: Status) -> &'static str {
    match status {
        Status::Scheduled => "scheduled",
        Status::Tentative => "tentative",
        Status::Cancelled => "cancelled",
    }
}

/// A filter value as indexed: trimmed and lowercased.
pub(crate) fn keyword(value: &str) -> String {
    value.trim().to_lowercase()
}

/// The searchable text of each group of `entry`, in the order of [`Group::ALL`].
fn group_texts(entry: &Entry) -> [Vec<&str>; 3] {
    let mut title = vec![entry.title.as_str()];
    for s in &entry.sources {
        if !title.contains(&s.title.as_str()) {
            title.push(&s.title);
        }
    }

    let mut meta: Vec<&str> = Vec::new();
    for id in &entry.categories {
        meta.push(id);
        if let Some(c) = taxonomy::category(id) {
            meta.extend([c.en, c.ru, c.be]);
        }
    }
    meta.extend(entry.provider_categories.iter().map(String::as_str));
    for s in &entry.sources {
        meta.push(&s.provider_id);
        meta.extend(s.provider_name.as_deref());
    }
    meta.extend(entry.organizer.as_ref().map(|o| o.name.as_str()));

    let mut body: Vec<&str> = entry.summary.as_deref().into_iter().collect();
    if let Some(l) = &entry.location {
        body.extend([&l.venue, &l.address, &l.city, &l.district].into_iter().flatten().map(String::as_str));
    }
    body.extend(entry.teachers.iter().map(|t| t.name.as_str()));
    [title, meta, body]
}

/// The tantivy document of `entry`.
pub(crate) fn document(fields: &Fields, entry: &Entry) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, &entry.id);

    for (group, texts) in Group::ALL.into_iter().zip(group_texts(entry)) {
        let text = normalize(&texts.join("\n"));
        doc.add_text(fields.text(group, Analyzer::Ru), &text);
        doc.add_text(fields.text(group, Analyzer::En), &text);
        doc.add_text(fields.text(group, Analyzer::Translit), translit_text(&text));
    }

    doc.add_text(fields.mode, mode_term(entry.mode));
    doc.add_text(fields.status, status_term(entry.status));
    for c in &entry.categories {
        doc.add_text(fields.category, keyword(c));
    }
    for lang in &entry.languages {
        let tag = keyword(lang);
        if let Some((primary, _)) = tag.split_once(['-', '_']) {
            doc.add_text(fields.language, primary);
        }
        doc.add_text(fields.language, tag);
    }
    for a in &entry.audience.accessibility {
        doc.add_text(fields.accessibility, keyword(a));
    }
    if let Some(district) = entry.location.as_ref().and_then(|l| l.district.as_deref()) {
        let folded = learncity_catalog::fold::fold(district);
        if !folded.is_empty() {
            doc.add_text(fields.district, folded);
        }
    }
    for s in &entry.sources {
        doc.add_text(fields.provider, &s.provider_id);
    }

    match &entry.price {
        Some(p) if p.free => {
            doc.add_text(fields.price_kind, "free");
            doc.add_f64(fields.price_min, 0.0);
        }
        Some(p) => {
            doc.add_text(fields.price_kind, "paid");
            if let Some(amount) = p.amount.filter(|a| a.is_finite()) {
                doc.add_f64(fields.price_min, amount.max(0.0));
            }
        }
        None => doc.add_text(fields.price_kind, "unknown"),
    }
    doc.add_u64(fields.age_min, entry.audience.age_min.map_or(0, u64::from));
    doc.add_u64(fields.age_max, entry.audience.age_max.map_or(AGE_MAX_NONE, u64::from));

    for s in entry.sessions.iter().filter(|s| !s.cancelled) {
        doc.add_u64(fields.sessions, pack_session(s.start.timestamp(), s.end.map(|e| e.timestamp())));
    }
    doc
}
