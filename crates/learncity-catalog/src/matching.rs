//! Which offerings of different providers are one real-world offering.
//!
//! 1. [`Features`] of each offering: title tokens ([`crate::fold::tokens`]), place key
//!    ([`crate::places::place_key`] of its city, else the provider's), first start, venue
//!    tokens, URLs.
//! 2. Blocking ([`blocking_keys`]): `place | time bucket | title token` and `place | time
//!    bucket | token pair`, where a bucket is `start_tolerance` long and each offering is
//!    keyed in its own bucket and the next — so two offerings whose first starts are within the
//!    tolerance share a bucket, midnight or not. Offerings without a date are blocked on their
//!    first two title tokens. Only offerings sharing a key are compared, and a key shared by more
//!    than [`MAX_BLOCK`] offerings is passed over like a stop word: the cost grows with the
//!    offerings, not with their pairs.
//! 3. Scoring ([`score`]): identical landing or registration URLs match outright; otherwise
//!    different places or first starts further apart than `start_tolerance` never match, and
//!    the score weighs title similarity (0.6), start closeness (0.25) and venue similarity
//!    (0.15; its weight moves to the title when either venue is unknown), less 0.15 when the
//!    titles name different kinds ("Курс" / "Семинар").
//! 4. Clusters ([`clusters`]): pairs scoring at least `match_score` are joined (union-find).
//!    Offerings of one provider are never merged with each other: one provider listing two
//!    items is two offerings.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset};
use learncity_model::Offering;
use rayon::prelude::*;

use crate::fold::tokens;
use crate::places::place_key;

/// Matching thresholds (from the catalog builder's config).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// First starts further apart than this never match.
    pub start_tolerance: chrono::Duration,
    /// Two tokens at least this Jaro-Winkler-similar count as one word.
    pub token_similarity: f64,
    /// A pair scoring at least this is one offering.
    pub match_score: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { start_tolerance: chrono::Duration::minutes(30), token_similarity: 0.88, match_score: 0.72 }
    }
}

/// What matching looks at in one offering.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// The provider (offerings of one provider are never merged).
    pub provider: String,
    /// Folded title tokens.
    pub title: Vec<String>,
    /// Place key of the offering's city (or the provider's default city).
    pub place: Option<String>,
    /// Earliest session start.
    pub first_start: Option<DateTime<FixedOffset>>,
    /// Folded venue and address tokens.
    pub venue: Vec<String>,
    /// Landing and registration URLs without scheme, `www.` and trailing slash.
    pub urls: Vec<String>,
    /// The kind its title names ("Курс", "Семинар", "Lecture"...), when it names one.
    pub kind: Option<&'static str>,
}

impl Features {
    /// The features of `o`; `default_city` stands in when the offering names no city.
    pub fn of(o: &Offering, default_city: Option<&str>) -> Self {
        let city = o.location.as_ref().and_then(|l| l.city.as_deref()).or(default_city);
        let venue_text = o
            .location
            .as_ref()
            .map(|l| format!("{} {}", l.venue.as_deref().unwrap_or(""), l.address.as_deref().unwrap_or("")))
            .unwrap_or_default();
        let urls: Vec<&str> = [o.landing_url.as_deref(), o.registration_url.as_deref()].into_iter().flatten().collect();
        Self::from_parts(&o.provider.id, &o.title, city, o.first_start(), &venue_text, &urls)
    }

    /// The features of an offering given by its parts.
    pub fn from_parts(
        provider: &str,
        title: &str,
        city: Option<&str>,
        first_start: Option<DateTime<FixedOffset>>,
        venue: &str,
        urls: &[&str],
    ) -> Self {
        let title = tokens(title);
        Self {
            provider: provider.to_owned(),
            kind: kind_of(&title),
            title,
            place: city.and_then(place_key),
            first_start,
            venue: tokens(venue),
            urls: urls.iter().map(|u| url_key(u)).collect(),
        }
    }
}

/// Words a title names its kind with (be, ru, en, de), by kind.
const KIND_WORDS: &[(&str, &[&str])] = &[
    ("course", &["курс", "курсы", "course", "kurs"]),
    ("seminar", &["семинар", "seminar"]),
    ("lecture", &["лекция", "лекцыя", "lecture", "vortrag"]),
    ("training", &["тренинг", "трэнінг", "training"]),
    ("masterclass", &["мастер", "майстар", "masterclass"]),
    ("workshop", &["workshop", "воркшоп"]),
    ("tour", &["экскурсия", "экскурсія", "tour", "führung"]),
];

/// The kind a title's tokens name, when exactly one.
fn kind_of(title: &[String]) -> Option<&'static str> {
    static FOLDED: OnceLock<Vec<(String, &'static str)>> = OnceLock::new();
    let folded = FOLDED.get_or_init(|| {
        KIND_WORDS.iter().flat_map(|(kind, words)| words.iter().flat_map(|w| tokens(w)).map(|t| (t, *kind))).collect()
    });
    let mut kinds = title.iter().filter_map(|t| folded.iter().find(|(w, _)| w == t).map(|(_, k)| *k));
    let first = kinds.next()?;
    kinds.all(|k| k == first).then_some(first)
}

fn url_key(url: &str) -> String {
    let u = url.trim().trim_end_matches('/');
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

/// The blocks of an offering, as numbers: a hash of each of its [`blocking_keys`] and of each of
/// its URLs. Offerings sharing a number are compared (two keys sharing a hash only put more pairs
/// to the score). What the catalog builder indexes and [`clusters`] sorts.
pub fn block_ids(f: &Features, t: &Thresholds) -> Vec<u64> {
    let hash = |key: &str| {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        h.finish()
    };
    let mut ids = Vec::with_capacity(4 * f.title.len() + f.urls.len());
    for_each_blocking_key(f, t, |k| ids.push(hash(k)));
    ids.extend(f.urls.iter().map(|u| hash(&format!("url|{u}"))));
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Calls `emit` with each blocking key of `f` (see [`blocking_keys`]), reusing one buffer.
fn for_each_blocking_key(f: &Features, t: &Thresholds, mut emit: impl FnMut(&str)) {
    let place = f.place.as_deref().unwrap_or("-");
    let mut key = String::with_capacity(64);
    match f.first_start {
        Some(start) => {
            // Starts within the tolerance are in one bucket or in neighbouring ones; keyed in
            // its own bucket and the next, every such pair shares a bucket.
            let width = t.start_tolerance.num_seconds().max(60);
            let bucket = start.timestamp().div_euclid(width);
            for b in [bucket, bucket + 1] {
                for (i, token) in f.title.iter().enumerate() {
                    key.clear();
                    let _ = write!(key, "{place}|{b}|{token}");
                    emit(&key);
                    // Neighbouring tokens (in sorted order): rarer than either word alone.
                    if let Some(next) = f.title.get(i + 1) {
                        key.clear();
                        let _ = write!(key, "{place}|{b}|{token} {next}");
                        emit(&key);
                    }
                }
            }
        }
        None => {
            let head: Vec<&str> = f.title.iter().take(2).map(String::as_str).collect();
            let _ = write!(key, "{place}|-|{}", head.join(" "));
            emit(&key);
        }
    }
}

/// Soft Dice similarity of two token sets (each sorted, as [`crate::fold::tokens`] gives them):
/// a token of the smaller set counts when the other holds it or a token at least `min`
/// Jaro-Winkler-similar. Symmetric: for sets of one size, the direction counting fewer decides
/// (the catalog builder's search for an entry's members relies on `score(a, b) == score(b, a)`).
fn soft_dice(a: &[String], b: &[String], min: f64) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let found_in = |small: &[String], large: &[String]| {
        small
            .iter()
            .filter(|t| large.binary_search(t).is_ok() || large.iter().any(|u| strsim::jaro_winkler(t, u) >= min))
            .count()
    };
    let matched = match a.len().cmp(&b.len()) {
        std::cmp::Ordering::Less => found_in(a, b),
        std::cmp::Ordering::Greater => found_in(b, a),
        std::cmp::Ordering::Equal => found_in(a, b).min(found_in(b, a)),
    };
    (2 * matched) as f64 / (a.len() + b.len()) as f64
}

/// How likely `a` and `b` are one offering (0..=1); `None` when they cannot be.
pub fn score(a: &Features, b: &Features, t: &Thresholds) -> Option<f64> {
    if a.urls.iter().any(|u| b.urls.contains(u)) {
        return Some(1.0);
    }
    if let (Some(pa), Some(pb)) = (&a.place, &b.place)
        && pa != pb
    {
        return None;
    }
    let closeness = match (a.first_start, b.first_start) {
        (Some(x), Some(y)) => {
            let apart = (x - y).abs();
            if apart > t.start_tolerance {
                return None;
            }
            let tol = t.start_tolerance.num_seconds().max(1) as f64;
            1.0 - apart.num_seconds() as f64 / tol
        }
        (None, None) => 0.5,
        _ => return None,
    };
    let title = soft_dice(&a.title, &b.title, t.token_similarity);
    let s = if a.venue.is_empty() || b.venue.is_empty() {
        0.75 * title + 0.25 * closeness
    } else {
        0.6 * title + 0.25 * closeness + 0.15 * soft_dice(&a.venue, &b.venue, t.token_similarity)
    };
    // "Курс 3D-моделирования" and "Семинар 3D-моделирования" at one time and place are two
    // offerings: titles that name different kinds count against a match.
    let kinds_differ = matches!((a.kind, b.kind), (Some(x), Some(y)) if x != y);
    Some(if kinds_differ { s - 0.15 } else { s })
}

/// Groups of indexes into `items` that are one offering each (every item in exactly one group,
/// groups in order of their first item). The whole-catalogue form of what the catalog builder
/// does one offering at a time: the same blocks, the same [`MAX_BLOCK`], the same scores. Uses
/// every core (rayon).
pub fn clusters(items: &[Features], t: &Thresholds) -> Vec<Vec<usize>> {
    // (block, item) for every block of every item, sorted: each run of one block id is a block.
    let mut keyed: Vec<(u64, u32)> = items
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, f)| block_ids(f, t).into_iter().map(move |b| (b, i as u32)))
        .collect();
    keyed.par_sort_unstable();
    let blocks: Vec<&[(u64, u32)]> =
        keyed.chunk_by(|a, b| a.0 == b.0).filter(|b| (2..=MAX_BLOCK).contains(&b.len())).collect();

    // Candidate pairs (of different providers, starts close enough), each scored once.
    let close = |a: &Features, b: &Features| match (a.first_start, b.first_start) {
        (Some(x), Some(y)) => (x - y).abs() <= t.start_tolerance,
        _ => true,
    };
    let mut pairs: Vec<(u32, u32)> = blocks
        .par_iter()
        .flat_map_iter(|block| {
            let mut out = Vec::new();
            for (x, &(_, i)) in block.iter().enumerate() {
                for &(_, j) in &block[x + 1..] {
                    let (a, b) = (&items[i as usize], &items[j as usize]);
                    if a.provider != b.provider && close(a, b) {
                        out.push((i.min(j), i.max(j)));
                    }
                }
            }
            out
        })
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    let matched: Vec<(u32, u32)> = pairs
        .into_par_iter()
        .filter(|&(i, j)| score(&items[i as usize], &items[j as usize], t).is_some_and(|s| s >= t.match_score))
        .collect();

    let mut parent: Vec<usize> = (0..items.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (i, j) in matched {
        let (ri, rj) = (root(&mut parent, i as usize), root(&mut parent, j as usize));
        parent[ri.max(rj)] = ri.min(rj);
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut index: HashMap<usize, usize> = HashMap::new();
    for i in 0..items.len() {
        let r = root(&mut parent, i);
        let g = *index.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(provider: &str, title: &str, city: &str, start: Option<&str>, venue: &str) -> Features {
        let start = start.map(|s| DateTime::parse_from_rfc3339(s).unwrap());
        Features::from_parts(provider, title, Some(city), start, venue, &[])
    }

    #[test]
    fn titles_naming_different_kinds_count_against_a_match() {
        let at = Some("2026-05-01T11:00:00+03:00");
        let a = f("a", "Курс 3D-моделирования", "Minsk", at, "Дом культуры");
        let b = f("b", "Семинар 3D-моделирования", "Minsk", at, "Дом культуры");
        let c = f("b", "Kurs 3D-modelirovaniya", "Minsk", at, "Дом культуры");
        assert_eq!((a.kind, b.kind), (Some("course"), Some("seminar")));
        let t = Thresholds::default();
        assert!(score(&a, &b, &t).unwrap() < t.match_score);
        assert!(score(&a, &c, &t).unwrap() >= t.match_score);
    }

    #[test]
    fn one_course_announced_in_two_scripts_is_one_cluster() {
        let items = vec![
            f(
                "vsu",
                "Курсы английского языка для начинающих",
                "Витебск",
                Some("2026-03-12T18:00:00+03:00"),
                "ул. Московская 33",
            ),
            f("library", "Kursy angliyskogo yazyka dlya nachinayushchikh", "Віцебск", Some("2026-03-12T15:00:00Z"), ""),
            f("library", "Курсы английского языка для начинающих", "Vitebsk", Some("2026-04-12T18:00:00+03:00"), ""),
            f("museum", "Курсы английского языка для начинающих", "Mogilev", Some("2026-03-12T18:00:00+03:00"), ""),
        ];
        let groups = clusters(&items, &Thresholds::default());
        assert_eq!(
            groups,
            vec![vec![0, 1], vec![2], vec![3]],
            "same time in two zones merges; another date or city does not"
        );
    }

    #[test]
    fn typos_and_official_place_names_still_match() {
        let a = f("a", "Мастер-класс по керамике", "Магілёў", Some("2026-05-01T11:00:00+03:00"), "");
        let b = f("b", "Мастер класс по керамикке", "Mogilev", Some("2026-05-01T11:15:00+03:00"), "");
        let s = score(&a, &b, &Thresholds::default()).unwrap();
        assert!(s >= Thresholds::default().match_score, "{s}");
        let far = f("b", "Мастер класс по керамике", "Mogilev", Some("2026-05-01T13:00:00+03:00"), "");
        assert_eq!(score(&a, &far, &Thresholds::default()), None, "two hours apart");
        let other = f("b", "Лекция о Шагале", "Mogilev", Some("2026-05-01T11:00:00+03:00"), "");
        assert!(score(&a, &other, &Thresholds::default()).unwrap() < Thresholds::default().match_score);
    }

    #[test]
    fn identical_urls_match_and_one_provider_never_merges_with_itself() {
        let a = Features::from_parts("a", "Python", Some("Minsk"), None, "", &["https://www.it.example/course/7/"]);
        let b =
            Features::from_parts("b", "Programming for kids", Some("Minsk"), None, "", &["http://it.example/course/7"]);
        assert_eq!(score(&a, &b, &Thresholds::default()), Some(1.0));
        let c = f("a", "Python", "Minsk", None, "");
        assert_eq!(clusters(&[a, b, c], &Thresholds::default()), vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn scores_do_not_depend_on_the_order_of_the_pair() {
        let t = Thresholds::default();
        let at = Some("2026-05-01T11:00:00+03:00");
        // Of equal length: "kursa" is like both "kursi" and "kursu", "kursi" only like "kursa".
        let a = f("a", "kursa kursi", "Minsk", at, "kursa kursi");
        let b = f("b", "kursu zzzzz", "Minsk", at, "kursu zzzzz");
        assert_eq!(score(&a, &b, &t), score(&b, &a, &t));
        let c = f("c", "Мастер-класс по керамике", "Minsk", at, "");
        let d = f("d", "Мастер класс керамикке", "Minsk", at, "Дом");
        assert_eq!(score(&c, &d, &t), score(&d, &c, &t));
    }

    #[test]
    fn blocking_keys_carry_place_time_and_title_tokens() {
        let t = Thresholds::default();
        let x = f("a", "Английский язык", "Віцебск", Some("2026-03-12T18:00:00+03:00"), "");
        let keys = blocking_keys(&x, &t);
        assert!(keys.iter().all(|k| k.starts_with("vitebsk|")), "{keys:?}");
        // Two tokens and their pair, in two buckets.
        assert_eq!(keys.len(), 2 * (x.title.len() + 1), "{keys:?}");
        let undated = f("a", "Английский язык", "Віцебск", None, "");
        assert_eq!(blocking_keys(&undated, &t).len(), 1);
    }

    #[test]
    fn starts_within_the_tolerance_share_a_key_across_midnight() {
        let t = Thresholds::default();
        let late = f("a", "Ночная экскурсия", "Minsk", Some("2026-03-12T23:50:00+03:00"), "");
        let early = f("b", "Ночная экскурсия", "Minsk", Some("2026-03-13T00:10:00+03:00"), "");
        let (a, b) = (blocking_keys(&late, &t), blocking_keys(&early, &t));
        assert!(a.iter().any(|k| b.contains(k)), "{a:?} / {b:?}");
        assert_eq!(clusters(&[late, early], &t), vec![vec![0, 1]]);
    }

    #[test]
    fn a_key_shared_by_too_many_offerings_joins_none_but_rarer_keys_still_do() {
        let t = Thresholds::default();
        let at = Some("2026-05-01T11:00:00+03:00");
        // MAX_BLOCK + 1 providers announce "Лекция" with a made-up name each; two of them
        // announce the same lecture.
        let mut items: Vec<Features> = (0..=MAX_BLOCK)
            .map(|i| f(&format!("p{i}"), &format!("Лекция {}", fold_free_name(i)), "Minsk", at, ""))
            .collect();
        items.push(f("extra", "Лекция Шагал", "Minsk", at, ""));
        items.push(f("other", "Лекция", "Minsk", at, ""));
        let groups = clusters(&items, &t);
        let of = |i: usize| groups.iter().position(|g| g.contains(&i)).unwrap();
        assert_eq!(of(MAX_BLOCK + 1), of(7), "the same lecture, through its rarer words");
        // "Лекция" alone shares only the oversized block: it joins nobody.
        assert_eq!(groups[of(MAX_BLOCK + 2)], vec![MAX_BLOCK + 2]);
    }

    /// A made-up word per number, distinct in its first five letters (what a token keeps).
    fn fold_free_name(i: usize) -> String {
        if i == 7 {
            return "Шагал".to_owned();
        }
        let letters = ["б", "д", "к", "м", "п", "т"];
        let mut n = i;
        let mut s = String::new();
        for _ in 0..3 {
            s.push_str(letters[n % letters.len()]);
            s.push('а');
            n /= letters.len();
        }
        s
    }
}
