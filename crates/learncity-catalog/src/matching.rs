//! Which offerings of different providers are one real-world offering.
//!
//! 1. [`Features`] of each offering: title units ([`crate::glossary::units`]: folded words and
//!    the glossary concepts they name, so a translation shares units with its original), place
//!    key ([`crate::places::place_key`] of its city, else the provider's unless it is held
//!    online; an aggregator's city standing in is only a guess: [`Features::place_guessed`]),
//!    first start and whether it has a time of day, venue units, its own URLs, the URLs it
//!    links to, the kind its title names, and its discriminators ([`crate::marks`]).
//! 2. Blocking ([`block_ids`]): `place | time bucket | title token` and `place | time bucket |
//!    token pair`, where a bucket is `start_tolerance` long and each offering is keyed in its
//!    own bucket and the next — so two offerings whose first starts are within the tolerance
//!    share a bucket, midnight or not; an offering without a time of day is keyed on its local
//!    date instead, and every timed offering on its local date too, so a date-only
//!    re-announcement meets the offerings of its day, and on that date in any place (`*`), where
//!    an item placed by a guess meets them. Title words and concepts both key, and
//!    every URL an offering has or links to keys `url|…`. A key shared by more than
//!    [`MAX_BLOCK`] offerings is passed over like a stop word.
//! 3. Conflicts ([`conflict`]): two offerings are never one when they come from one provider,
//!    name different places (unless one is a guess) or street addresses with other house
//!    numbers, start further apart than `start_tolerance` (when one has no time of day: on
//!    different local dates), or disagree on a discriminator (age band, audience, level, group,
//!    part, open lesson, online/in person). Identical URLs change none of that.
//! 4. Scoring ([`assess`]): title similarity (soft Dice over units), start closeness (a
//!    date-only start counts as half close, so it needs a closer title), venue similarity, less
//!    0.3 when the titles name different kinds ("Курс" / "Семинар") and [`GUESSED_PLACE_PENALTY`]
//!    when only a guessed place parts them; a link between the two (a
//!    URL one has that the other has or links to) adds [`LINK_BONUS`], and each discriminator
//!    both name alike (age band, level, group...; at most two) [`AGREEMENT_BONUS`] when the
//!    titles share anything at all. Kind, audience and level words ([`generic`]) are no title
//!    evidence. Below the match score a [`Gate`] holds a pair
//!    under the candidate score: two rooms of one building, or titles alike in less than half
//!    their words (with no link) when the starts are a quarter of an hour apart or more or the
//!    venues, told in full, differ.
//! 5. Clusters ([`partition`]): pairs scoring at least `match_score` are candidate edges. An
//!    offering whose best two partners conflict with each other and score within
//!    [`AMBIGUITY_MARGIN`] joins neither (a vague portal item that fits the children's and the
//!    adults' workshop alike). An edge below the match score counts only when each end is the
//!    other's clear best: [`AMBIGUITY_MARGIN`] above every other partner that is of the other's
//!    provider or unlike the other (conflicting with it, or sharing no title word — unless it
//!    is a match of its own and the pair's titles share something: an organiser's item and a
//!    library's reworded copy do not keep the portal's copy away). The other
//!    edges are taken best first (ties by key) and join two
//!    groups only when no member of one conflicts with a member of the other — and, for an edge
//!    below the match score, none is in another room of one building than a member of the
//!    other: matches never chain two conflicting offerings into one entry. The result depends only on the set of
//!    offerings, never on their order.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, Timelike};
use learncity_model::{Offering, Role};
use rayon::prelude::*;

use crate::glossary::{Unit, units};
use crate::marks::{MarkConflict, Marks};
use crate::places::{place_key, places_in_title, places_in_venue};

/// Matching thresholds (from the catalog builder's config).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// First starts further apart than this never match.
    pub start_tolerance: chrono::Duration,
    /// Two tokens at least this Jaro-Winkler-similar count as one word.
    pub token_similarity: f64,
    /// A pair scoring at least this is one offering (when nothing keeps them apart).
    pub match_score: f64,
    /// A pair scoring at least this (and less than `match_score`) is one offering when each is
    /// the other's clear best match among the other's provider's items.
    pub candidate_score: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            start_tolerance: chrono::Duration::minutes(30),
            token_similarity: 0.88,
            match_score: 0.72,
            candidate_score: 0.35,
        }
    }
}

/// What a link between two offerings (a URL one has that the other has or links to) adds to
/// their score, when their venues do not differ.
pub const LINK_BONUS: f64 = 0.2;

/// Start closeness of a pair of which one has a date and no time (the same local date): as
/// close as two starts a whole tolerance apart.
pub const DATE_ONLY_CLOSENESS: f64 = 0.5;

/// What titles naming different kinds ("Курс" / "Семинар") take off a pair's score: with the
/// rest of the title alike, it leaves the pair below the match score.
pub const KINDS_DIFFER_PENALTY: f64 = 0.3;

/// Venue similarity below which two named venues count as unknown (no evidence either way).
pub const VENUE_DIFFERS: f64 = 0.3;

/// Two partners of one offering that conflict with each other and score closer than this are
/// an ambiguity: the offering joins neither.
pub const AMBIGUITY_MARGIN: f64 = 0.1;

/// What a pair placed apart only by an aggregator's guessed city takes off its score: more
/// than the [`AMBIGUITY_MARGIN`], so that a partner in the guessed town is the clear one.
pub const GUESSED_PLACE_PENALTY: f64 = 2.0 * AMBIGUITY_MARGIN;

/// Added per discriminator both name alike (at most two).
pub const AGREEMENT_BONUS: f64 = 0.05;

/// What matching looks at in one offering.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// The record key (`provider/source`): orders ties, names the offering in explanations.
    pub key: String,
    /// The provider (offerings of one provider are never merged).
    pub provider: String,
    /// Title units (folded words and their glossary concepts), sorted.
    pub title: Vec<Unit>,
    /// The title units that are not [`generic`] (kind and group words, small numbers): what
    /// title similarity compares (computed once: scoring runs for every candidate pair).
    pub content: Vec<Unit>,
    /// For a title of generic words only ("Лекция", "Мастер-класс", "Workshop"): the content
    /// units of the start of its summary, which then names the subject ("Линогравюра на дне
    /// открытых дверей…"); empty otherwise.
    pub described: Vec<Unit>,
    /// Place key of the offering's city, else of a place its venue or address names, else of
    /// the provider's default city (not for an offering held online).
    pub place: Option<String>,
    /// Its place is only its aggregator's default city: a portal or a digest covering several
    /// towns gives its one configured city to every item that names none, so that city is a
    /// guess, no evidence that an offering placed elsewhere is another one.
    pub place_guessed: bool,
    /// Places its venue, address or title ("в Лиде", "in Lida") names, as keys.
    pub mentions: Vec<&'static str>,
    /// Of those, the places its title names.
    pub title_mentions: Vec<&'static str>,
    /// Earliest session start.
    pub first_start: Option<DateTime<FixedOffset>>,
    /// Whether that start has a time of day (not an all-day or date-only session, nor exactly
    /// local midnight, which is how a date without a time is often published).
    pub timed: bool,
    /// Venue and address units.
    pub venue: Vec<Unit>,
    /// The house number of the street address its venue or address gives ("ул. Ленина, 15а" →
    /// "15a"; see [`house_number`]).
    pub house: Option<String>,
    /// Rooms its venue names ("зал 204", "ауд. 305", "room 3"), sorted.
    pub rooms: Vec<String>,
    /// Its landing and registration URLs ([`url_key`]).
    pub urls: Vec<String>,
    /// URLs of other announcements it links to ([`url_key`]).
    pub links: Vec<String>,
    /// The kind its title names ("Курс", "Семинар", "Lecture"...), when it names one.
    pub kind: Option<&'static str>,
    /// Its discriminators.
    pub marks: Marks,
    /// Its provider says it is cancelled.
    pub cancelled: bool,
}

impl Features {
    /// The features of `o`; `default_city`, its provider's city, stands in when the offering
    /// names no city (not for an offering held online, which is in no town), and is only a guess
    /// when `role` is an aggregator's.
    pub fn of(o: &Offering, default_city: Option<&str>, role: Role) -> Self {
        let venue_text = o
            .location
            .as_ref()
            .map(|l| format!("{} {}", l.venue.as_deref().unwrap_or(""), l.address.as_deref().unwrap_or("")))
            .unwrap_or_default();
        // A city the reader did not split off ("Районная библиотека, Шклов") still counts.
        let named = places_in_venue(&venue_text).first().copied();
        let online = o.mode == learncity_model::Mode::Online && named.is_none();
        let stated = o.location.as_ref().and_then(|l| l.city.as_deref());
        let city = stated.or(named).or(default_city.filter(|_| !online));
        let urls: Vec<&str> = [o.landing_url.as_deref(), o.registration_url.as_deref()].into_iter().flatten().collect();
        let mut f = Self::from_parts(&o.provider.id, &o.title, city, o.first_start(), &venue_text, &urls);
        f.key = o.key();
        f.timed = o.sessions.iter().min_by_key(|s| s.start).is_some_and(|s| !s.all_day) && f.timed;
        f.links = o.related_urls.iter().map(|u| url_key(u)).filter(|u| !f.urls.contains(u)).collect();
        f.links.sort();
        f.links.dedup();
        // The title's marks are in `f` already (from_parts): only the offering's part is added.
        f.marks = std::mem::take(&mut f.marks).completed_by(o);
        f.cancelled = o.status == learncity_model::Status::Cancelled;
        // The reader puts the provider's default city into an item's location too: the same
        // city and no town named anywhere in the item is the default.
        f.place_guessed = role == Role::Aggregator
            && f.mentions.is_empty()
            && f.place.is_some()
            && f.place.as_deref() == default_city.and_then(place_key).as_deref();
        if f.content.is_empty()
            && let Some(summary) = o.summary.as_deref()
        {
            let start: String = summary.chars().take(DESCRIBED_CHARS).collect();
            f.described = units(&start).into_iter().filter(|u| !generic(u)).collect();
        }
        f
    }

    /// The features of an offering given by its parts (a timed start, no links, the marks of
    /// its title).
    pub fn from_parts(
        provider: &str,
        title: &str,
        city: Option<&str>,
        first_start: Option<DateTime<FixedOffset>>,
        venue: &str,
        urls: &[&str],
    ) -> Self {
        let title_units = units(title);
        let marks = Marks::of_title_units(title, &title_units);
        Self {
            key: format!("{provider}/{title}"),
            provider: provider.to_owned(),
            kind: kind_of(&title_units),
            content: title_units.iter().filter(|u| !generic(u)).cloned().collect(),
            described: Vec::new(),
            title: title_units,
            place: city.and_then(place_key),
            place_guessed: false,
            mentions: {
                let mut m = places_in_venue(venue);
                m.extend(places_in_title(title));
                m.sort_unstable();
                m.dedup();
                m
            },
            title_mentions: places_in_title(title),
            first_start,
            timed: first_start.is_some_and(|s| s.time().num_seconds_from_midnight() != 0),
            venue: {
                // A venue of nothing but rooms and buildings ("Корпус 1, аўд. 305", "Актавая
                // зала") names no place to compare: as if none were given.
                let u = units(venue);
                if u.iter().all(room_level) { Vec::new() } else { u }
            },
            rooms: rooms(venue),
            house: house_number(venue),
            urls: urls.iter().map(|u| url_key(u)).collect(),
            links: Vec::new(),
            marks,
            cancelled: false,
        }
    }
}

/// Words before a room's number ("зал 204", "аўд. 305", "room 3", "каб. 12"), folded.
const ROOM_WORDS: &[&str] = &["zal", "zala", "aud", "auditoria", "room", "kab", "kabinet", "hall"];

/// Glossary concepts of the parts of a building.
const ROOM_CONCEPTS: &[&str] = &[
    "hall",
    "auditorium",
    "conference-room",
    "room",
    "cabinet",
    "office",
    "floor",
    "building",
    "block",
    "reading-room",
    "exhibition-hall",
    "main",
];

/// Whether a venue unit names only a part of a building, or is a number.
fn room_level(u: &Unit) -> bool {
    u.token.bytes().all(|b| b.is_ascii_digit())
        || ROOM_WORDS.contains(&u.token.as_str())
        || (!u.concepts.is_empty()
            && u.concepts.iter().all(|c| ROOM_CONCEPTS.contains(&crate::glossary::concept_id(*c))))
}

/// The rooms a venue text names: the numbers after [`ROOM_WORDS`], sorted.
fn rooms(venue: &str) -> Vec<String> {
    let folded = crate::fold::fold(venue);
    let words: Vec<&str> = folded.split(' ').collect();
    let mut out: Vec<String> = words
        .windows(2)
        .filter(|w| ROOM_WORDS.contains(&w[0]) && w[1].bytes().all(|b| b.is_ascii_digit()) && !w[1].is_empty())
        .map(|w| w[1].to_owned())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The house number of the first street address in a venue text: the first number within four
/// words after a street word ([`learncity_model::places::STREET_WORDS`]: "ул. Ленина, д. 15а" →
/// "15a", "пр-т Фрунзе, 81" → "81"), or, for an English street word, just before the street's
/// name ("15 Lenin Street"). A number before any street word ("Библиотека-филиал № 5") is a
/// name, not a house; so is a postal code (six digits).
pub fn house_number(venue: &str) -> Option<String> {
    static WORDS: OnceLock<(Vec<String>, Vec<String>)> = OnceLock::new();
    let (before, after) = WORDS.get_or_init(|| {
        use learncity_model::places::{STREET_WORDS, STREET_WORDS_AFTER_NAME};
        // Folded, a one-letter abbreviation ("ш." for шоссе) is the preposition "с": left out.
        let fold_all = |ws: &mut dyn Iterator<Item = &&str>| {
            ws.map(|w| crate::fold::fold(w)).filter(|w| w.len() >= 2).collect::<Vec<_>>()
        };
        let mut names_first = STREET_WORDS.iter().filter(|w| !STREET_WORDS_AFTER_NAME.contains(w));
        (fold_all(&mut names_first), fold_all(&mut STREET_WORDS_AFTER_NAME.iter()))
    });
    let folded = crate::fold::fold(venue);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let is_house = |w: &str| {
        w.as_bytes().first().is_some_and(u8::is_ascii_digit) && !(w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
    };
    for (i, w) in words.iter().enumerate() {
        if before.iter().any(|s| s == w) {
            if let Some(n) = words.iter().skip(i + 1).take(4).find(|w| is_house(w)) {
                return Some((*n).to_owned());
            }
        } else if after.iter().any(|s| s == w) {
            // "Molodyozhnaya St 48" gives its number after the street word, "48 Molodyozhnaya
            // St" before the name ("School No. 2, Molodyozhnaya St 48": the 2 is the school's).
            if let Some(n) = words.get(i + 1).filter(|w| is_house(w)) {
                return Some((*n).to_owned());
            }
            if i >= 2
                && let Some(n) = words[i.saturating_sub(3)..i - 1].iter().rev().find(|w| is_house(w))
            {
                return Some((*n).to_owned());
            }
        }
    }
    None
}

/// Words a title names its kind with (be, ru, en, de), by kind.
const KIND_WORDS: &[(&str, &[&str])] = &[
    ("course", &["курс", "курсы", "course", "kurs"]),
    ("seminar", &["семинар", "seminar"]),
    ("lecture", &["лекция", "лекцыя", "lecture", "vortrag"]),
    ("training", &["тренинг", "трэнінг", "training"]),
    // A master class and a workshop are one kind to re-announcers.
    ("masterclass", &["мастер", "майстар", "masterclass", "workshop", "воркшоп"]),
    ("tour", &["экскурсия", "экскурсія", "tour", "führung"]),
];

/// The kind a title's units name, when exactly one.
fn kind_of(title: &[Unit]) -> Option<&'static str> {
    static FOLDED: OnceLock<Vec<(String, &'static str)>> = OnceLock::new();
    let folded = FOLDED.get_or_init(|| {
        KIND_WORDS
            .iter()
            .flat_map(|(kind, words)| words.iter().flat_map(|w| crate::fold::words(w)).map(|t| (t, *kind)))
            .collect()
    });
    // A phrase ("мастер-класс" is the phrase "maste klass") names the kind of its first word.
    let mut kinds = title.iter().filter_map(|u| {
        let head = u.token.split(' ').next().unwrap_or_default();
        folded.iter().find(|(w, _)| w == head).map(|(_, k)| *k)
    });
    let first = kinds.next()?;
    kinds.all(|k| k == first).then_some(first)
}

/// A URL as matching compares it: without scheme, `www.`, fragment and trailing slash,
/// lowercased.
pub fn url_key(url: &str) -> String {
    let u = url.trim();
    let u = u.split_once('#').map_or(u, |(a, _)| a).trim_end_matches('/');
    let u = u.split_once("://").map_or(u, |(_, rest)| rest);
    u.strip_prefix("www.").unwrap_or(u).to_ascii_lowercase()
}

/// A key (blocking or URL) shared by more offerings than this joins none of them: a title word,
/// a word pair or a link that so many offerings of one place and hour share says nothing about
/// which offering one is, like a stop word. Offerings that are one share rarer keys as well
/// (their other words, their word pairs), so this bounds the pairs compared per offering
/// without losing them.
pub const MAX_BLOCK: usize = 100;

/// The blocking keys of an offering: candidates for a match share at least one.
pub fn blocking_keys(f: &Features, t: &Thresholds) -> Vec<String> {
    let mut keys = Vec::new();
    for_each_blocking_key(f, t, |k| keys.push(k.to_owned()));
    keys
}

/// The blocks of an offering, as numbers: a hash of each of its [`blocking_keys`]. Offerings
/// sharing a number are compared (two keys sharing a hash only put more pairs to the score).
/// What the catalog builder indexes and [`clusters`] sorts.
pub fn block_ids(f: &Features, t: &Thresholds) -> Vec<u64> {
    let hash = |key: &str| {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        h.finish()
    };
    let mut ids = Vec::with_capacity(6 * f.title.len() + f.urls.len() + f.links.len());
    for_each_blocking_key(f, t, |k| ids.push(hash(k)));
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// What a title unit keys on: its first concept, else its token.
fn unit_key(u: &Unit) -> String {
    match u.concepts.first() {
        Some(c) => format!("#{c}"),
        None => u.token.clone(),
    }
}

/// Calls `emit` with each blocking key of `f` (see [`blocking_keys`]), reusing one buffer.
fn for_each_blocking_key(f: &Features, t: &Thresholds, mut emit: impl FnMut(&str)) {
    let place = f.place.as_deref().unwrap_or("-");
    let mut key = String::with_capacity(64);
    let mut words: Vec<String> = f.title.iter().map(unit_key).collect();
    words.sort();
    words.dedup();
    let by_words = |key: &mut String, place: &str, bucket: &str, emit: &mut dyn FnMut(&str)| {
        for (i, w) in words.iter().enumerate() {
            key.clear();
            let _ = write!(key, "{place}|{bucket}|{w}");
            emit(key);
            // Neighbouring words (in sorted order): rarer than either word alone.
            if let Some(next) = words.get(i + 1) {
                key.clear();
                let _ = write!(key, "{place}|{bucket}|{w} {next}");
                emit(key);
            }
        }
    };
    match f.first_start {
        Some(start) => {
            if f.timed {
                // Starts within the tolerance are in one bucket or in neighbouring ones; keyed in
                // its own bucket and the next, every such pair shares a bucket.
                let width = t.start_tolerance.num_seconds().max(60);
                let bucket = start.timestamp().div_euclid(width);
                for b in [bucket, bucket + 1] {
                    by_words(&mut key, place, &b.to_string(), &mut emit);
                }
            }
            // Every offering on its local date: where a date-only re-announcement meets it.
            let day = format!("d{}", start.date_naive());
            by_words(&mut key, place, &day, &mut emit);
            // And on its date in any place: where an aggregator's item placed by a guess
            // ([`Features::place_guessed`]) meets it.
            by_words(&mut key, "*", &day, &mut emit);
        }
        None => {
            let head: Vec<&str> = words.iter().take(2).map(String::as_str).collect();
            let _ = write!(key, "{place}|-|{}", head.join(" "));
            emit(&key);
        }
    }
    for u in f.urls.iter().chain(&f.links) {
        key.clear();
        let _ = write!(key, "url|{u}");
        emit(&key);
    }
}

/// Soft Dice similarity of two unit sets: a unit of the smaller set counts when the other holds
/// the same unit ([`Unit::same_as`]). Symmetric: for sets of one size, the direction counting
/// fewer decides (the catalog builder's search for an entry's members relies on
/// `score(a, b) == score(b, a)`).
fn soft_dice(a: &[Unit], b: &[Unit], min: f64) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let found_in =
        |small: &[Unit], large: &[Unit]| small.iter().filter(|u| large.iter().any(|v| u.same_as(v, min))).count();
    let matched = match a.len().cmp(&b.len()) {
        std::cmp::Ordering::Less => found_in(a, b),
        std::cmp::Ordering::Greater => found_in(b, a),
        std::cmp::Ordering::Equal => found_in(a, b).min(found_in(b, a)),
    };
    (2 * matched) as f64 / (a.len() + b.len()) as f64
}

/// How much of a summary stands in for a generic title ([`Features::described`]).
const DESCRIBED_CHARS: usize = 160;

/// How much a summary's words count against a title's: a summary says more than the subject,
/// so even all of a title's words found in it are a little less than the same title.
const DESCRIBED_WEIGHT: f64 = 0.85;

/// The share of `content` (a title's words) that the summary standing in for a generic title
/// names, weighted by [`DESCRIBED_WEIGHT`]; symmetric by construction (callers pass the
/// generic side's summary first).
fn described_similarity(described: &[Unit], content: &[Unit], min: f64) -> f64 {
    if described.is_empty() || content.is_empty() {
        return 0.0;
    }
    let found = content.iter().filter(|u| described.iter().any(|v| u.same_as(v, min))).count();
    DESCRIBED_WEIGHT * found as f64 / content.len() as f64
}

/// Words that name what kind of offering it is ("Курс", "Лекция", "Workshop", "занятие") and
/// so say nothing about which offering it is: two titles sharing only such a word are not alike.
const GENERIC_WORDS: &str = "курс курсы лекция лекцыя мастер-класс майстар-клас семинар тренинг трэнінг воркшоп \
    экскурсия экскурсія занятие заняткі занятак встреча сустрэча клуб урок встреча course courses lecture talk \
    workshop masterclass master-class seminar training tour excursion class lesson meetup meeting club session \
    группа група group поток stream набор лет года годика гадоў гады years aged ages";

/// Glossary concepts that say whom an offering is for or at what level ("для детей",
/// "для пачаткоўцаў", "for teens", "A1"): discriminators ([`crate::marks`]), not names. Two
/// titles sharing only such words ("Английский A1 для детей" / "Шахматы для детей") are not
/// alike, and a re-announcement that drops them ("Робототехника" for "Робототехника для детей
/// 8–10 лет") loses nothing.
const AUDIENCE_CONCEPTS: &[&str] = &[
    "children",
    "kids",
    "preschoolers",
    "teenagers",
    "youth",
    "young",
    "adults",
    "seniors",
    "pensioners",
    "parents",
    "family",
    "everyone",
    "schoolchildren",
    "beginner",
    "elementary",
    "pre-intermediate",
    "intermediate",
    "upper-intermediate",
    "advanced",
    "level",
    "a1",
    "a2",
    "b1",
    "b2",
    "c1",
    "c2",
    "age",
];

/// Whether a unit is a [`GENERIC_WORDS`] word or names only [`AUDIENCE_CONCEPTS`].
fn generic(u: &Unit) -> bool {
    static GENERIC: OnceLock<Vec<Unit>> = OnceLock::new();
    let words = GENERIC.get_or_init(|| units(GENERIC_WORDS));
    // A small number ("группа 2", "Лекция 3") is a discriminator (see crate::marks), not a name.
    let small_number = u.token.len() <= 2 && u.token.bytes().all(|b| b.is_ascii_digit());
    let audience = !u.concepts.is_empty()
        && u.concepts.iter().all(|c| AUDIENCE_CONCEPTS.contains(&crate::glossary::concept_id(*c)));
    small_number
        || audience
        || words.iter().any(|g| g.token == u.token || (!u.concepts.is_empty() && g.concepts == u.concepts))
}

/// Title similarity: the soft Dice of the titles' words that are not [`generic`] (of all their
/// words when one title has only generic ones).
fn title_similarity(a: &Features, b: &Features, min: f64) -> f64 {
    match (a.content.is_empty(), b.content.is_empty()) {
        (true, true) => soft_dice(&a.title, &b.title, min),
        // "Лекция" names no lecture in particular: it is like none of "Лекция о Шагале" and
        // "Лекция по астрономии" more than the other — unless its summary names the subject.
        (true, false) => described_similarity(&a.described, &b.content, min),
        (false, true) => described_similarity(&b.described, &a.content, min),
        (false, false) => soft_dice(&a.content, &b.content, min),
    }
}

/// Why two offerings are never one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Both come from one provider: a provider listing two items is two offerings.
    SameProvider,
    /// Different places.
    Place,
    /// Different buildings: both name a street address, with other house numbers.
    Address,
    /// Starts further apart than the tolerance, or on different dates.
    Time,
    /// One has a date, the other none.
    Undated,
    /// A discriminator differs.
    Mark(MarkConflict),
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SameProvider => f.write_str("one provider's two items"),
            Self::Place => f.write_str("different places"),
            Self::Address => f.write_str("different street addresses"),
            Self::Time => f.write_str("starts too far apart"),
            Self::Undated => f.write_str("one has a date, the other none"),
            Self::Mark(m) => write!(f, "different {}", m.as_str()),
        }
    }
}

/// The first reason `a` and `b` can never be one offering.
pub fn conflict(a: &Features, b: &Features, t: &Thresholds) -> Option<Conflict> {
    if a.provider == b.provider {
        return Some(Conflict::SameProvider);
    }
    if let (Some(pa), Some(pb)) = (&a.place, &b.place)
        && pa != pb
    {
        // A provider covering several towns gives its default city to an item whose venue or
        // title names the other town ("Лекция в Борисове" read with "Молодечно"): the item's own
        // words are the better evidence.
        let names_only =
            |x: &Features, other: &str, own: &str| x.mentions.contains(&other) && !x.mentions.contains(&own);
        if !(names_only(a, pb, pa) || names_only(b, pa, pb) || a.place_guessed || b.place_guessed) {
            return Some(Conflict::Place);
        }
    }
    // "Летняя IT-школа в Лиде" is not the one in the provider's city. A venue naming another
    // town in an institution's name ("Полацкі дзяржаўны ўніверсітэт", "Polotsk State
    // University", which is in Novopolotsk) is no other place when both are placed alike.
    let elsewhere = |x: &Features, y: &Features| {
        x.mentions.iter().any(|m| {
            y.place.as_deref().is_some_and(|p| p != *m)
                && !y.place_guessed
                && !y.mentions.contains(m)
                && (x.place != y.place || x.title_mentions.contains(m))
        })
    };
    if elsewhere(a, b) || elsewhere(b, a) {
        return Some(Conflict::Place);
    }
    // "Calligraphy, 19:00" at the city library (Ленина, 15) and at the regional one (Ленина, 53)
    // are two classes: a house number is what venues written in any words still share.
    if let (Some(x), Some(y)) = (&a.house, &b.house)
        && x != y
    {
        return Some(Conflict::Address);
    }
    match (a.first_start, b.first_start) {
        (Some(x), Some(y)) => {
            if a.timed && b.timed {
                if (x - y).abs() > t.start_tolerance {
                    return Some(Conflict::Time);
                }
            } else {
                // A date-only start is a local date: the other start read in its offset.
                let (date_only, other) = if a.timed { (b, x) } else { (a, y) };
                let day = date_only.first_start.map(|d| d.date_naive());
                let other_day = date_only.first_start.map(|d| other.with_timezone(d.offset()).date_naive());
                if day != other_day {
                    return Some(Conflict::Time);
                }
            }
        }
        (None, None) => {}
        _ => return Some(Conflict::Undated),
    }
    a.marks.conflict(&b.marks).map(Conflict::Mark)
}

/// What holds a pair below the candidate score (see [`assess`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Two rooms of one building.
    OtherRooms,
    /// Timed starts a quarter of an hour apart or more, titles alike in less than half.
    StartsApart,
    /// Venues told in full that share next to nothing, titles alike in less than half.
    VenuesDiffer,
}

impl std::fmt::Display for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::OtherRooms => "two rooms of one building",
            Self::StartsApart => "starts a quarter of an hour apart or more with titles alike in less than half",
            Self::VenuesDiffer => "different venues with titles alike in less than half",
        })
    }
}

/// The evidence on one pair and its score.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// Why they can never be one, when they cannot.
    pub conflict: Option<Conflict>,
    /// Title similarity (0..=1).
    pub title: f64,
    /// Start closeness (1 = the same minute, 0.5 = the same date without a time).
    pub closeness: f64,
    /// Venue similarity, when both name a venue.
    pub venue: Option<f64>,
    /// A URL one has that the other has or links to.
    pub link: Option<String>,
    /// Their titles name different kinds.
    pub kinds_differ: bool,
    /// Their places differ and one is only a guess ([`Features::place_guessed`]): no conflict,
    /// [`GUESSED_PLACE_PENALTY`] off the score.
    pub place_guessed: bool,
    /// Why a pair below the match score is no candidate however its title scores.
    pub gate: Option<Gate>,
    /// The score (0 when they conflict).
    pub score: f64,
}

/// A URL of `a` that `b` has or links to, or the other way round.
fn shared_link(a: &Features, b: &Features) -> Option<String> {
    let hit = |own: &[String], other: &Features| {
        own.iter().find(|u| other.urls.contains(u) || other.links.contains(u)).cloned()
    };
    hit(&a.urls, b).or_else(|| hit(&b.urls, a))
}

/// The evidence that `a` and `b` are one offering, and its score.
pub fn assess(a: &Features, b: &Features, t: &Thresholds) -> Assessment {
    assess_with(a, b, t, conflict(a, b, t))
}

/// [`assess`], given what [`conflict`] says of the pair.
fn assess_with(a: &Features, b: &Features, t: &Thresholds, conflict: Option<Conflict>) -> Assessment {
    let closeness = match (a.first_start, b.first_start) {
        (Some(x), Some(y)) if a.timed && b.timed => {
            let tol = t.start_tolerance.num_seconds().max(1) as f64;
            (1.0 - 0.5 * (x - y).abs().num_seconds() as f64 / tol).max(0.5)
        }
        _ => DATE_ONLY_CLOSENESS,
    };
    let title = title_similarity(a, b, t.token_similarity);
    // Two rooms of one building ("зал 102", "зал 204") are two venues.
    let other_rooms = !a.rooms.is_empty() && !b.rooms.is_empty() && !a.rooms.iter().any(|r| b.rooms.contains(r));
    let venue = (!a.venue.is_empty() && !b.venue.is_empty())
        .then(|| if other_rooms { 0.0 } else { soft_dice(&a.venue, &b.venue, t.token_similarity) });
    let link = shared_link(a, b);
    let kinds_differ = matches!((a.kind, b.kind), (Some(x), Some(y)) if x != y);
    // Venues are written so differently (a room, a building, an abbreviation, a translation)
    // that only agreement counts: venues sharing next to nothing weigh as unknown ones.
    let mut score = match venue {
        Some(v) if v >= VENUE_DIFFERS => 0.55 * title + 0.25 * closeness + 0.2 * v,
        _ => 0.75 * title + 0.25 * closeness,
    };
    // "Курс 3D-моделирования" and "Семинар 3D-моделирования" at one time and place are two
    // offerings: titles that name different kinds count against a match.
    if kinds_differ {
        score -= KINDS_DIFFER_PENALTY;
    }
    // A guessed place ([`Features::place_guessed`]) keeps nothing apart, but it is still the
    // likelier one: of two partners alike but for their towns, the one in the guessed town wins
    // clearly instead of leaving the pair ambiguous.
    let place_guessed = a.place != b.place && (a.place_guessed || b.place_guessed);
    if place_guessed {
        score -= GUESSED_PLACE_PENALTY;
    }
    // A link between the two: evidence, not a verdict — it adds to what else agrees, not to a
    // pair whose venues differ (someone else's course page on another place's event).
    if link.is_some() && venue.is_none_or(|v| v >= VENUE_DIFFERS) {
        score += LINK_BONUS;
    }
    // Discriminators named alike tell which of a family of look-alikes a re-announcement names;
    // they are no evidence that two unrelated titles, or two kinds, are one.
    if title > 0.0 && !kinds_differ {
        score += AGREEMENT_BONUS * a.marks.agreements(&b.marks).min(2) as f64;
    }
    let mut score = score.clamp(0.0, 1.0);
    // Below the match score a pair is a candidate only on more than chance. It is not when:
    // - they are in two rooms of one building;
    // - their titles share less than half their words, with no link, and either they are timed
    //   a quarter of an hour apart or more (a school's 17:30 workshop and the 18:00 club in its
    //   room share "English" and no more) or their venues, told in full, share next to nothing
    //   (an abbreviation — "БрГУ", "BrSU" — is too short to tell).
    let weak_title = title < 0.5 && link.is_none();
    let venues_differ = venue.is_some_and(|v| v < VENUE_DIFFERS) && a.venue.len() >= 2 && b.venue.len() >= 2;
    let gate = if score >= t.match_score {
        None
    } else if other_rooms {
        Some(Gate::OtherRooms)
    } else if weak_title && a.timed && b.timed && closeness <= 0.75 {
        Some(Gate::StartsApart)
    } else if weak_title && venues_differ {
        Some(Gate::VenuesDiffer)
    } else {
        None
    };
    if gate.is_some() {
        score = score.min(t.candidate_score / 2.0);
    }
    // Titles naming different kinds are one offering only on strong evidence: never as a mere
    // candidate (see [`partition`]).
    // So is a cancelled item: a cancellation joins an entry only where it plainly belongs.
    if (kinds_differ || a.cancelled || b.cancelled) && score < t.match_score {
        score = score.min(t.candidate_score / 2.0);
    }
    let score = if conflict.is_some() { 0.0 } else { score };
    Assessment { conflict, title, closeness, venue, link, kinds_differ, place_guessed, gate, score }
}

/// How likely `a` and `b` are one offering (0..=1); `None` when they cannot be.
pub fn score(a: &Features, b: &Features, t: &Thresholds) -> Option<f64> {
    // Most pairs a blocking key brings together conflict (another town met through the any-place
    // date key, another day): the cheap check first, titles and venues only for the rest.
    if conflict(a, b, t).is_some() {
        return None;
    }
    Some(assess_with(a, b, t, None).score)
}

/// The groups of `items` that are one offering each, given the candidate `edges` (index pairs
/// and their scores, each at least the match score): see the [module documentation](self),
/// step 5. Every item is in exactly one group; groups are in order of their first item, each
/// sorted. The same items and edges in any order give the same groups.
pub fn partition(items: &[&Features], edges: &[(usize, usize, f64)], t: &Thresholds) -> Vec<Vec<usize>> {
    partition_curated(items, edges, t, &Constraints::default())
}

/// Operators' constraints on a [`partition`] (see [`crate::curation`]): pairs that must be in
/// one group whatever their conflicts, and pairs never in one group; a pair in both is apart.
#[derive(Debug, Clone, Default)]
pub struct Constraints {
    /// Index pairs joined first, before any match.
    pub together: Vec<(usize, usize)>,
    /// Index pairs (lower index first) never in one group.
    pub apart: std::collections::HashSet<(usize, usize)>,
}

impl Constraints {
    fn apart(&self, a: usize, b: usize) -> bool {
        !self.apart.is_empty() && self.apart.contains(&(a.min(b), a.max(b)))
    }
}

/// [`partition`] under operators' constraints: the `together` pairs are joined first (never
/// across an `apart` pair), then the matches as [`partition`] joins them, none across an
/// `apart` pair.
pub fn partition_curated(
    items: &[&Features],
    edges: &[(usize, usize, f64)],
    t: &Thresholds,
    constraints: &Constraints,
) -> Vec<Vec<usize>> {
    let order = |i: usize| (items[i].key.as_str(), i);
    let kept: Vec<(usize, usize, f64)>;
    let edges = if constraints.apart.is_empty() {
        edges
    } else {
        kept = edges.iter().copied().filter(|&(i, j, _)| !constraints.apart(i, j)).collect();
        &kept
    };
    // Ambiguities: an item whose close-scoring partners conflict with each other joins neither.
    let mut partners: HashMap<usize, Vec<(usize, f64)>> = HashMap::new();
    for &(i, j, s) in edges {
        partners.entry(i).or_default().push((j, s));
        partners.entry(j).or_default().push((i, s));
    }
    let mut dropped: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    for (&x, ps) in &partners {
        for (n, &(y, sy)) in ps.iter().enumerate() {
            for &(z, sz) in &ps[n + 1..] {
                // Partners apart on a discriminator the item fits both ways ("Мастер-класс" for
                // the children's and the adults' one) leave it vague whatever the scores; others
                // (two items of one provider, two times) only when they score alike.
                // (Marks are compared on their own: the children's and the adults' class of one
                // provider conflict first as one provider's two items.)
                let vague = items[y].marks.conflict(&items[z].marks).is_some()
                    || (conflict(items[y], items[z], t).is_some() && (sy - sz).abs() < AMBIGUITY_MARGIN);
                if vague {
                    // A link to one of them (the what's-on item's `rel="related"` to the
                    // course's page, not to its trial lesson's) says which one it is.
                    let linked = |w: usize| shared_link(items[x], items[w]).is_some();
                    match (linked(y), linked(z)) {
                        (true, false) => dropped.insert((x.min(z), x.max(z))),
                        (false, true) => dropped.insert((x.min(y), x.max(y))),
                        _ => dropped.insert((x.min(y), x.max(y))) | dropped.insert((x.min(z), x.max(z))),
                    };
                }
            }
        }
    }
    // A candidate below the match score counts only when each is the other's clear best: among
    // the other's provider's items, and among the other partners that are not alike the other
    // (a date-only or translated re-announcement is taken for the one offering of that day and
    // place it fits best, never for two; a title of nothing but "Лекция" fits every lecture of
    // its hour and joins none of them).
    let clear_best = |x: usize, y: usize, s: f64| {
        let titles_alike = title_similarity(items[x], items[y], t.token_similarity) > 0.0;
        partners[&x].iter().all(|&(z, sz)| {
            z == y
                || sz < s - AMBIGUITY_MARGIN
                || (items[z].provider != items[y].provider
                    && conflict(items[y], items[z], t).is_none()
                    && ((titles_alike && sz >= t.match_score)
                        || title_similarity(items[y], items[z], t.token_similarity) > 0.0))
        })
    };
    let mut sorted: Vec<(usize, usize, f64)> = edges
        .iter()
        .map(|&(i, j, s)| (i.min(j), i.max(j), s))
        .filter(|(i, j, _)| !dropped.contains(&(*i, *j)))
        .filter(|&(i, j, s)| s >= t.match_score || (clear_best(i, j, s) && clear_best(j, i, s)))
        .collect();
    sorted.sort_by(|a, b| {
        b.2.total_cmp(&a.2).then_with(|| order(a.0).cmp(&order(b.0))).then_with(|| order(a.1).cmp(&order(b.1)))
    });
    sorted.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);

    // Greedy joins under cannot-link constraints, the operators' first.
    let mut group_of: Vec<usize> = (0..items.len()).collect();
    let mut members: Vec<Vec<usize>> = (0..items.len()).map(|i| vec![i]).collect();
    let join = |group_of: &mut Vec<usize>, members: &mut Vec<Vec<usize>>, gi: usize, gj: usize| {
        let (keep, gone) = (gi.min(gj), gi.max(gj));
        let moved = std::mem::take(&mut members[gone]);
        for &m in &moved {
            group_of[m] = keep;
        }
        members[keep].extend(moved);
    };
    let mut together = constraints.together.clone();
    together
        .sort_by(|a, b| (order(a.0.min(a.1)), order(a.0.max(a.1))).cmp(&(order(b.0.min(b.1)), order(b.0.max(b.1)))));
    for (i, j) in together {
        let (gi, gj) = (group_of[i], group_of[j]);
        if gi != gj && !members[gi].iter().any(|&x| members[gj].iter().any(|&y| constraints.apart(x, y))) {
            join(&mut group_of, &mut members, gi, gj);
        }
    }
    for (i, j, s) in sorted {
        let (gi, gj) = (group_of[i], group_of[j]);
        if gi == gj {
            continue;
        }
        let clash = members[gi].iter().any(|&x| {
            members[gj].iter().any(|&y| constraints.apart(x, y) || conflict(items[x], items[y], t).is_some())
        });
        if clash {
            continue;
        }
        // A weak join (below the match score) does not chain two groups where any two members
        // are held apart as two rooms of one building (the other gates, tried here too, cost
        // recall): the digest's vague item that fits the library's teen quest in room 101 and
        // the IT school's cyber quest in room 204 joins one of them.
        let held = s < t.match_score
            && members[gi]
                .iter()
                .any(|&x| members[gj].iter().any(|&y| assess(items[x], items[y], t).gate == Some(Gate::OtherRooms)));
        if held {
            continue;
        }
        join(&mut group_of, &mut members, gi, gj);
    }
    let mut groups: Vec<Vec<usize>> = members.into_iter().filter(|g| !g.is_empty()).collect();
    for g in &mut groups {
        g.sort_unstable();
    }
    groups.sort_by_key(|g| g[0]);
    groups
}

/// Groups of indexes into `items` that are one offering each (every item in exactly one group,
/// groups in order of their first item). The whole-catalogue form of what the catalog builder
/// does one offering at a time: the same blocks, the same [`MAX_BLOCK`], the same scores, the
/// same [`partition`]. Uses every core (rayon).
pub fn clusters(items: &[Features], t: &Thresholds) -> Vec<Vec<usize>> {
    let edges = candidates(items, t);
    let refs: Vec<&Features> = items.iter().collect();
    partition(&refs, &edges, t)
}

/// Every pair of `items` of different providers that shares a block (of at most [`MAX_BLOCK`])
/// and scores at least the candidate score, each once, with its score: the edges [`clusters`]
/// partitions. Uses every core (rayon).
pub fn candidates(items: &[Features], t: &Thresholds) -> Vec<(usize, usize, f64)> {
    // (block, item) for every block of every item, sorted: each run of one block id is a block.
    let mut keyed: Vec<(u64, u32)> = items
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, f)| block_ids(f, t).into_iter().map(move |b| (b, i as u32)))
        .collect();
    keyed.par_sort_unstable();
    let blocks: Vec<&[(u64, u32)]> =
        keyed.chunk_by(|a, b| a.0 == b.0).filter(|b| (2..=MAX_BLOCK).contains(&b.len())).collect();

    // Candidate pairs (of different providers), each scored once.
    let mut pairs: Vec<(u32, u32)> = blocks
        .par_iter()
        .flat_map_iter(|block| {
            let mut out = Vec::new();
            for (x, &(_, i)) in block.iter().enumerate() {
                for &(_, j) in &block[x + 1..] {
                    if items[i as usize].provider != items[j as usize].provider {
                        out.push((i.min(j), i.max(j)));
                    }
                }
            }
            out
        })
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs
        .into_par_iter()
        .filter_map(|(i, j)| {
            let s = score(&items[i as usize], &items[j as usize], t)?;
            (s >= t.candidate_score).then_some((i as usize, j as usize, s))
        })
        .collect()
}

#[cfg(test)]
mod tests;
