//! The canonical catalogue entry of a cluster of offerings.
//!
//! A cluster (see [`crate::matching::clusters`]) is a set of offerings of different providers
//! that are one real-world offering. [`canonical`] merges them into one [`Entry`]; the result
//! depends only on the *set* of [`Member`]s, never on the order they are passed in, because the
//! members are first put in [preference order](preference_order).
//!
//! ## Preference order
//! Organisers before aggregators ([`Member::role`], the provider file's `role`), then higher
//! [`Member::priority`], then the more complete source ([`completeness`]: a re-announcer's
//! abbreviated item loses to the full one), then [`Offering::key`] ascending; members that tie
//! on all of these (the same key twice, which a caller should not pass) are ordered by
//! `provenance.content_hash`, then `provenance.fetched_at`. When sources were seen plays no part,
//! so the same sources give the same entry whatever order the providers were fetched in (the
//! standalone and the cluster mode, a rebuild, two builders); only the entry id remembers the
//! earliest source.
//! The *preferred* member is the first in this order; "ties → more preferred" below means the
//! member earlier in this order wins a tie.
//!
//! ## Merge rules
//! - `title`: the preferred member's title.
//! - `summary`, `description_html`: the longest value (counted in `char`s, as given) among the
//!   members' non-blank values (blank = empty or whitespace only); ties → more preferred.
//!   `None` when no member has a non-blank value.
//! - `kind`: the first member in preference order whose kind is not [`Kind::Other`], else
//!   `Other`.
//! - `mode`: the first member in preference order whose mode is not [`Mode::Unknown`], else
//!   `Unknown`.
//! - `status`: the preferred member's status, and [`Status::Cancelled`] when every member is
//!   cancelled. Another source's cancellation alone cancels nothing: no provider can cancel
//!   another provider's offering through its own items (the entry's sources still show it).
//! - `sessions` and `recurrence`: both from the member listing the most sessions (ties → more
//!   preferred, so with no sessions anywhere they come from the preferred member); the sessions
//!   sorted by start (stable, so equal starts keep that member's order).
//! - `location`: among members with a location, the most complete one (the number of `Some`
//!   fields among `venue`, `address`, `city`, `district`, `postal_code`, `country`, `geo`),
//!   ties → more preferred; each of its `None` fields is then filled from the other members'
//!   locations, field by field, from the first member in preference order that has that field.
//!   `None` when no member has a location.
//! - `online_url`, `price`, `organizer`, `landing_url`, `registration_url`: each from the first
//!   member in preference order that has one.
//! - `languages`, `categories`: the union of the members' values, sorted and deduplicated.
//! - `provider_categories`, `images`: the union in preference order (each member's values in
//!   their own order), deduplicated keeping the first occurrence.
//! - `teachers`: the union in preference order, deduplicated by name compared trimmed and
//!   case-insensitively, keeping the first occurrence (with its URL and e-mail).
//! - `audience`: the most complete one (the number of set fields among `age_min`, `age_max`,
//!   `accessibility_notes` plus non-empty lists among `groups`, `accessibility`), ties → more
//!   preferred; its `age_min` and `age_max` are kept as they are, its `groups` and
//!   `accessibility` become the union over all members (sorted, deduplicated), and when its
//!   `accessibility_notes` is `None` it takes the first member's in preference order that has
//!   some.
//! - `sources`: one [`EntrySource`] per member, in preference order: `key` = [`Offering::key`],
//!   `provider_id`, `provider_name` (= `provider.name`), `source_id`, `url` (= `landing_url`),
//!   `title`, `status`, `format`, `fetched_at` and `source_updated_at` (from `provenance`), and
//!   the member's `priority`.
//! - `updated_at`: the latest `provenance.fetched_at` of the members.
//! - `schema_version`: [`ENTRY_SCHEMA_VERSION`]; `id` and `place` are given by the caller.
//!
//! The entry id ([`entry_id`]) is derived from the key of the entry's earliest source (its
//! *anchor*), chosen by the caller: it stays while that source stays in the entry.

use std::cmp::Reverse;
use std::collections::HashSet;

use learncity_model::entry::ENTRY_SCHEMA_VERSION;
use learncity_model::{Audience, Entry, EntrySource, Kind, Location, Mode, Offering, Party, Role, Status};
use sha2::{Digest, Sha256};

/// One source of an entry as the merge sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Member<'a> {
    /// The provider's offering.
    pub offering: &'a Offering,
    /// The provider's merge priority (from config); higher is preferred.
    pub priority: i32,
    /// The provider's role (from config): organisers are preferred to aggregators.
    pub role: Role,
}

/// How much a source tells: the number of known fields among summary, description, a timed
/// session, venue, address, price, organiser, landing and registration URLs, languages and
/// images.
pub fn completeness(o: &Offering) -> usize {
    let location = o.location.as_ref();
    [
        o.summary.as_deref().is_some_and(|s| !s.trim().is_empty()),
        o.description_html.as_deref().is_some_and(|s| !s.trim().is_empty()),
        o.sessions.iter().any(|s| !s.all_day),
        location.is_some_and(|l| l.venue.is_some()),
        location.is_some_and(|l| l.address.is_some()),
        o.price.is_some(),
        o.organizer.is_some(),
        o.landing_url.is_some(),
        o.registration_url.is_some(),
        !o.languages.is_empty(),
        !o.images.is_empty(),
    ]
    .into_iter()
    .filter(|known| *known)
    .count()
}

/// The stable entry id for an entry whose earliest source has key `anchor_key`: `e-` and the
/// first 16 (lowercase) hex digits of SHA-256 of the key's UTF-8 bytes.
pub fn entry_id(anchor_key: &str) -> String {
    let digest = Sha256::digest(anchor_key.as_bytes());
    format!("e-{}", hex::encode(&digest[..8]))
}

/// Sorts `members` in place into preference order: organisers first, then higher `priority`,
/// then higher [`completeness`], then [`Offering::key`] ascending (then, for members with the
/// same key, `provenance.content_hash` and `provenance.fetched_at` ascending). Never the arrival
/// order: the canonical entry must not depend on the order sources arrived in.
pub fn preference_order(members: &mut [Member<'_>]) {
    members.sort_by_cached_key(|m| {
        let o = m.offering;
        (
            m.role != Role::Organiser,
            Reverse(m.priority),
            Reverse(completeness(o)),
            o.key(),
            o.provenance.content_hash.clone(),
            o.provenance.fetched_at,
        )
    });
}

/// The canonical entry of `members`, with the given `id` and `place`, by the rules of the
/// [module documentation](self). The same set of members in any order gives the same entry.
///
/// # Panics
/// When `members` is empty: an entry has at least one source, so an empty cluster is a
/// programming error of the caller.
pub fn canonical(id: &str, place: Option<&str>, members: &[Member<'_>]) -> Entry {
    assert!(!members.is_empty(), "merge::canonical needs at least one member");
    let mut ordered = members.to_vec();
    preference_order(&mut ordered);
    let ordered = ordered.as_slice();
    let preferred = ordered[0].offering;

    // `min_by_key` keeps the first of equal keys, i.e. the more preferred member.
    let schedule = ordered.iter().map(|m| m.offering).min_by_key(|o| Reverse(o.sessions.len())).unwrap_or(preferred);
    let mut sessions = schedule.sessions.clone();
    sessions.sort_by_key(|s| s.start);

    Entry {
        schema_version: ENTRY_SCHEMA_VERSION,
        id: id.to_owned(),
        place: place.map(str::to_owned),
        title: preferred.title.clone(),
        summary: longest(ordered, |o| o.summary.as_deref()),
        description_html: longest(ordered, |o| o.description_html.as_deref()),
        kind: ordered.iter().map(|m| m.offering.kind).find(|k| *k != Kind::Other).unwrap_or(Kind::Other),
        mode: ordered.iter().map(|m| m.offering.mode).find(|k| *k != Mode::Unknown).unwrap_or(Mode::Unknown),
        status: if ordered.iter().all(|m| m.offering.status == Status::Cancelled) {
            Status::Cancelled
        } else {
            preferred.status
        },
        sessions,
        recurrence: schedule.recurrence.clone(),
        location: merged_location(ordered),
        online_url: first_some(ordered, |o| o.online_url.as_ref()),
        languages: sorted_union(ordered, |o| &o.languages),
        audience: merged_audience(ordered),
        price: first_some(ordered, |o| o.price.as_ref()),
        categories: sorted_union(ordered, |o| &o.categories),
        provider_categories: ordered_union(ordered, |o| &o.provider_categories),
        organizer: first_some(ordered, |o| o.organizer.as_ref()),
        teachers: merged_teachers(ordered),
        landing_url: first_some(ordered, |o| o.landing_url.as_ref()),
        registration_url: first_some(ordered, |o| o.registration_url.as_ref()),
        images: ordered_union(ordered, |o| &o.images),
        sources: ordered.iter().map(source_of).collect(),
        updated_at: ordered
            .iter()
            .map(|m| m.offering.provenance.fetched_at)
            .max()
            .unwrap_or(preferred.provenance.fetched_at),
    }
}

/// The longest non-blank value (in chars); ties → the earlier member.
fn longest<'o>(ordered: &[Member<'o>], get: impl Fn(&'o Offering) -> Option<&'o str>) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for value in ordered.iter().filter_map(|m| get(m.offering)).filter(|v| !v.trim().is_empty()) {
        let len = value.chars().count();
        if best.is_none_or(|(best_len, _)| len > best_len) {
            best = Some((len, value));
        }
    }
    best.map(|(_, value)| value.to_owned())
}

/// The value of the first member that has one.
fn first_some<'o, T: Clone + 'o>(ordered: &[Member<'o>], get: impl Fn(&'o Offering) -> Option<&'o T>) -> Option<T> {
    ordered.iter().find_map(|m| get(m.offering)).cloned()
}

/// The union of the members' lists, sorted and deduplicated.
fn sorted_union<'o>(ordered: &[Member<'o>], get: impl Fn(&'o Offering) -> &'o [String]) -> Vec<String> {
    let mut all: Vec<String> = ordered.iter().flat_map(|m| get(m.offering)).cloned().collect();
    all.sort();
    all.dedup();
    all
}

/// The union of the members' lists in member order, keeping the first occurrence.
fn ordered_union<'o>(ordered: &[Member<'o>], get: impl Fn(&'o Offering) -> &'o [String]) -> Vec<String> {
    let mut seen = HashSet::new();
    ordered.iter().flat_map(|m| get(m.offering)).filter(|v| seen.insert(v.as_str())).cloned().collect()
}

/// The union of the members' teachers by trimmed, case-insensitive name, in member order.
fn merged_teachers(ordered: &[Member<'_>]) -> Vec<Party> {
    let mut seen = HashSet::new();
    ordered
        .iter()
        .flat_map(|m| &m.offering.teachers)
        .filter(|p| seen.insert(p.name.trim().to_lowercase()))
        .cloned()
        .collect()
}

/// Number of known fields of a location.
fn location_completeness(l: &Location) -> usize {
    [
        l.venue.is_some(),
        l.address.is_some(),
        l.city.is_some(),
        l.district.is_some(),
        l.postal_code.is_some(),
        l.country.is_some(),
        l.geo.is_some(),
    ]
    .into_iter()
    .filter(|known| *known)
    .count()
}

/// Sets `slot` to `other` when `slot` is unknown.
fn fill<T: Clone>(slot: &mut Option<T>, other: &Option<T>) {
    if slot.is_none() {
        slot.clone_from(other);
    }
}

/// The most complete location (ties → the earlier member), its gaps filled field by field from
/// the other members' locations in member order.
fn merged_location(ordered: &[Member<'_>]) -> Option<Location> {
    let locations: Vec<&Location> = ordered.iter().filter_map(|m| m.offering.location.as_ref()).collect();
    let mut merged = (*locations.iter().min_by_key(|l| Reverse(location_completeness(l)))?).clone();
    for other in &locations {
        fill(&mut merged.venue, &other.venue);
        fill(&mut merged.address, &other.address);
        if merged.city.is_none() {
            // The key names the city: the two come from one source.
            merged.city.clone_from(&other.city);
            merged.place.clone_from(&other.place);
        }
        fill(&mut merged.district, &other.district);
        fill(&mut merged.postal_code, &other.postal_code);
        fill(&mut merged.country, &other.country);
        fill(&mut merged.geo, &other.geo);
    }
    Some(merged)
}

/// Number of set fields (and non-empty lists) of an audience.
fn audience_completeness(a: &Audience) -> usize {
    [
        a.age_min.is_some(),
        a.age_max.is_some(),
        !a.groups.is_empty(),
        !a.accessibility.is_empty(),
        a.accessibility_notes.is_some(),
    ]
    .into_iter()
    .filter(|set| *set)
    .count()
}

/// The most complete audience (ties → the earlier member) with the union of all groups and
/// accessibility features, and the first notes when it has none.
fn merged_audience(ordered: &[Member<'_>]) -> Audience {
    let mut merged = ordered
        .iter()
        .map(|m| &m.offering.audience)
        .min_by_key(|a| Reverse(audience_completeness(a)))
        .cloned()
        .unwrap_or_default();
    merged.groups = sorted_union(ordered, |o| &o.audience.groups);
    merged.accessibility = sorted_union(ordered, |o| &o.audience.accessibility);
    if merged.accessibility_notes.is_none() {
        merged.accessibility_notes = first_some(ordered, |o| o.audience.accessibility_notes.as_ref());
    }
    merged
}

/// The entry's record of one member.
fn source_of(m: &Member<'_>) -> EntrySource {
    let o = m.offering;
    EntrySource {
        key: o.key(),
        provider_id: o.provider.id.clone(),
        provider_name: o.provider.name.clone(),
        source_id: o.source_id.clone(),
        url: o.landing_url.clone(),
        title: o.title.clone(),
        status: o.status,
        format: o.provenance.format,
        priority: m.priority,
        fetched_at: o.provenance.fetched_at,
        source_updated_at: o.provenance.source_updated_at,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, FixedOffset, Utc};
    use learncity_model::{Geo, Price, Provenance, ProviderRef, Recurrence, SCHEMA_VERSION, Session, SourceFormat};

    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        t(s).with_timezone(&Utc)
    }

    /// A minimal offering `{provider}/{source_id}`: a title, nothing optional set.
    fn offering(provider: &str, source_id: &str) -> Offering {
        Offering {
            schema_version: SCHEMA_VERSION,
            source_id: source_id.into(),
            provider: ProviderRef { id: provider.into(), name: None },
            title: format!("Title of {provider}"),
            summary: None,
            description_html: None,
            kind: Kind::Other,
            mode: Mode::Unknown,
            status: Status::Scheduled,
            sessions: vec![],
            recurrence: None,
            location: None,
            online_url: None,
            languages: vec![],
            audience: Audience::default(),
            price: None,
            categories: vec![],
            provider_categories: vec![],
            organizer: None,
            teachers: vec![],
            landing_url: None,
            registration_url: None,
            images: vec![],
            related_urls: Vec::new(),
            provenance: Provenance {
                format: SourceFormat::Rss,
                fetched_at: utc("2026-03-01T10:00:00Z"),
                document_url: None,
                content_hash: format!("sha256:{provider}{source_id}"),
                source_updated_at: None,
                source_published_at: None,
            },
        }
    }

    fn session(start: &str) -> Session {
        Session { start: t(start), end: None, time_zone: None, all_day: false, floating: false, cancelled: false }
    }

    fn party(name: &str) -> Party {
        Party { name: name.into(), url: None, email: None }
    }

    /// A member; `_seen_order` (when the builder first saw it) plays no part in the merge.
    fn m(offering: &Offering, priority: i32, _seen_order: i64) -> Member<'_> {
        Member { offering, priority, role: Role::Organiser }
    }

    /// Three members of equal priority, preferred in the order a, b, c (by seen order).
    fn merge3(a: &Offering, b: &Offering, c: &Offering) -> Entry {
        canonical("e-x", None, &[m(c, 0, 3), m(a, 0, 1), m(b, 0, 2)])
    }

    fn merge2(a: &Offering, b: &Offering) -> Entry {
        canonical("e-x", None, &[m(b, 0, 2), m(a, 0, 1)])
    }

    fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
        if items.len() <= 1 {
            return vec![items.to_vec()];
        }
        let mut all = Vec::new();
        for i in 0..items.len() {
            let mut rest = items.to_vec();
            let head = rest.remove(i);
            for mut tail in permutations(&rest) {
                tail.insert(0, head.clone());
                all.push(tail);
            }
        }
        all
    }

    #[test]
    fn entry_id_is_stable_and_well_formed() {
        let id = entry_id("vsu/course-1");
        assert_eq!(id, "e-475e0c1053304691", "first 16 hex digits of SHA-256(\"vsu/course-1\")");
        assert_eq!(entry_id("vsu/course-1"), id);
        assert_ne!(entry_id("vsu/course-2"), id);
        let hex = id.strip_prefix("e-").unwrap();
        assert_eq!(hex.len(), 16);
        assert!(hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)), "{id}");
    }

    #[test]
    fn preference_order_is_priority_then_key_never_arrival() {
        let a = offering("a", "1");
        let b = offering("b", "1");
        let c = offering("c", "1");
        let d = offering("d", "1");
        let mut members = [m(&d, 0, 1), m(&c, 0, 5), m(&b, 0, 9), m(&a, 9, 7)];
        preference_order(&mut members);
        let keys: Vec<String> = members.iter().map(|m| m.offering.key()).collect();
        assert_eq!(keys, ["a/1", "b/1", "c/1", "d/1"]);
    }

    #[test]
    fn single_member_gives_that_offerings_fields() {
        let mut o = offering("vsu", "course-1");
        o.provider.name = Some("Vitebsk State University".into());
        o.title = "Курсы английского языка".into();
        o.summary = Some("Для начинающих".into());
        o.description_html = Some("<p>Для начинающих</p>".into());
        o.kind = Kind::Course;
        o.mode = Mode::Hybrid;
        o.status = Status::Tentative;
        o.sessions = vec![session("2026-03-05T18:30:00+03:00"), session("2026-03-12T18:30:00+03:00")];
        o.recurrence = Some(Recurrence {
            rrule: vec!["FREQ=WEEKLY;COUNT=2".into()],
            rdate: vec![],
            exdate: vec![],
            expanded_until: utc("2026-06-01T00:00:00Z"),
            truncated: false,
        });
        o.location = Some(Location { city: Some("Витебск".into()), ..Location::default() });
        o.online_url = Some("https://meet.example/1".into());
        o.languages = vec!["be".into(), "ru".into()];
        o.audience = Audience {
            age_min: Some(16),
            age_max: None,
            groups: vec!["adults".into(), "teens".into()],
            accessibility: vec!["wheelchair".into()],
            accessibility_notes: Some("Ramp at the side entrance".into()),
        };
        o.price = Some(Price::free());
        o.categories = vec!["languages".into()];
        o.provider_categories = vec!["Языки".into(), "Курсы".into()];
        o.organizer = Some(party("ВГУ"));
        o.teachers = vec![party("Анна Петрова")];
        o.landing_url = Some("https://vsu.example/courses/1".into());
        o.registration_url = Some("https://vsu.example/register/1".into());
        o.images = vec!["https://vsu.example/b.jpg".into(), "https://vsu.example/a.jpg".into()];
        o.provenance.source_updated_at = Some(utc("2026-02-20T09:00:00Z"));

        let e = canonical("e-1", Some("vitebsk"), &[m(&o, 3, 1)]);
        let expected = Entry {
            schema_version: ENTRY_SCHEMA_VERSION,
            id: "e-1".into(),
            place: Some("vitebsk".into()),
            title: o.title.clone(),
            summary: o.summary.clone(),
            description_html: o.description_html.clone(),
            kind: o.kind,
            mode: o.mode,
            status: o.status,
            sessions: o.sessions.clone(),
            recurrence: o.recurrence.clone(),
            location: o.location.clone(),
            online_url: o.online_url.clone(),
            languages: o.languages.clone(),
            audience: o.audience.clone(),
            price: o.price.clone(),
            categories: o.categories.clone(),
            provider_categories: o.provider_categories.clone(),
            organizer: o.organizer.clone(),
            teachers: o.teachers.clone(),
            landing_url: o.landing_url.clone(),
            registration_url: o.registration_url.clone(),
            images: o.images.clone(),
            sources: vec![EntrySource {
                key: "vsu/course-1".into(),
                provider_id: "vsu".into(),
                provider_name: Some("Vitebsk State University".into()),
                source_id: "course-1".into(),
                url: o.landing_url.clone(),
                title: o.title.clone(),
                status: Status::Tentative,
                format: SourceFormat::Rss,
                priority: 3,
                fetched_at: o.provenance.fetched_at,
                source_updated_at: o.provenance.source_updated_at,
            }],
            updated_at: o.provenance.fetched_at,
        };
        assert_eq!(e, expected);
    }

    #[test]
    fn canonical_is_the_same_for_every_order_of_the_members() {
        let mut a = offering("a", "1");
        a.summary = Some("short".into());
        a.teachers = vec![party("Ivan")];
        a.images = vec!["x".into(), "y".into()];
        a.languages = vec!["ru".into()];
        a.location = Some(Location { city: Some("Minsk".into()), ..Location::default() });
        let mut b = offering("b", "1");
        b.summary = Some("longer".into());
        b.teachers = vec![party("ivan"), party("Olga")];
        b.images = vec!["y".into(), "z".into()];
        b.languages = vec!["be".into()];
        b.sessions = vec![session("2026-03-05T18:00:00+03:00")];
        b.location =
            Some(Location { venue: Some("Hall".into()), address: Some("Main 1".into()), ..Location::default() });
        let mut c = offering("c", "1");
        c.summary = Some("longer".replace('l', "L"));
        c.status = Status::Cancelled;
        c.provenance.fetched_at = utc("2026-03-02T00:00:00Z");
        c.location =
            Some(Location { venue: Some("Room".into()), city: Some("Мінск".into()), ..Location::default() });

        let members = [m(&a, 1, 3), m(&b, 1, 1), m(&c, 2, 9)];
        let first = canonical("e-x", Some("minsk"), &members);
        for perm in permutations(&members) {
            assert_eq!(canonical("e-x", Some("minsk"), &perm), first);
        }
        assert_eq!(first.title, "Title of c", "highest priority is preferred");
        assert_eq!(first.summary.as_deref(), Some("Longer"), "tie between b and c goes to c");
    }

    #[test]
    fn title_and_single_valued_fields_come_from_the_preferred_source_that_has_one() {
        let mut a = offering("a", "1");
        a.landing_url = Some("https://a.example/1".into());
        let mut b = offering("b", "1");
        b.landing_url = Some("https://b.example/1".into());
        b.online_url = Some("https://meet.example/b".into());
        b.price = Some(Price::free());
        b.organizer = Some(party("B"));
        let mut c = offering("c", "1");
        c.registration_url = Some("https://c.example/register".into());
        c.organizer = Some(party("C"));
        c.price =
            Some(Price { free: false, amount: Some(10.0), amount_max: None, currency: None, per: None, text: None });

        let e = merge3(&a, &b, &c);
        // b and c tell three fields each, a one: b (its key sorts before c's) is preferred.
        assert_eq!(e.title, "Title of b");
        assert_eq!(e.landing_url.as_deref(), Some("https://b.example/1"));
        assert_eq!(e.online_url.as_deref(), Some("https://meet.example/b"));
        assert_eq!(e.price, Some(Price::free()));
        assert_eq!(e.organizer, Some(party("B")));
        assert_eq!(e.registration_url.as_deref(), Some("https://c.example/register"));
    }

    #[test]
    fn the_longest_non_blank_summary_and_description_win_and_ties_go_to_the_preferred() {
        let mut a = offering("a", "1");
        a.summary = Some("same".into());
        a.description_html = Some("         \n   ".into());
        let mut b = offering("b", "1");
        b.summary = Some("SAME".into());
        b.description_html = Some("<p>b</p>".into());
        let mut c = offering("c", "1");
        c.summary = Some("шшш".into());
        c.description_html = Some("<p>long c</p>".into());
        let e = merge3(&a, &b, &c);
        assert_eq!(
            e.summary.as_deref(),
            Some("SAME"),
            "a tie of 4 chars goes to b (more complete than a); 3 Cyrillic chars lose"
        );
        assert_eq!(e.description_html.as_deref(), Some("<p>long c</p>"), "blank never wins");

        let blank = Offering { summary: Some(" ".into()), ..offering("d", "1") };
        assert_eq!(merge2(&blank, &offering("e", "1")).summary, None);
    }

    #[test]
    fn kind_and_mode_come_from_the_preferred_source_that_knows_them() {
        let a = offering("a", "1");
        let b = Offering { kind: Kind::Lecture, mode: Mode::Online, ..offering("b", "1") };
        let c = Offering { kind: Kind::Course, mode: Mode::InPerson, ..offering("c", "1") };
        let e = merge3(&a, &b, &c);
        assert_eq!((e.kind, e.mode), (Kind::Lecture, Mode::Online));
        let e = merge2(&a, &offering("z", "1"));
        assert_eq!((e.kind, e.mode), (Kind::Other, Mode::Unknown));
    }

    #[test]
    fn the_preferred_source_decides_the_status_and_another_cannot_cancel_it() {
        let a = Offering { status: Status::Tentative, ..offering("a", "1") };
        let b = offering("b", "1");
        let c = Offering { status: Status::Cancelled, ..offering("c", "1") };
        assert_eq!(merge3(&a, &b, &c).status, Status::Tentative, "a less preferred source's cancellation");
        assert_eq!(merge2(&c, &a).status, Status::Tentative);
        assert_eq!(merge2(&b, &a).status, Status::Tentative, "whichever was seen first");
        let c2 = Offering { status: Status::Cancelled, ..offering("a", "2") };
        assert_eq!(merge2(&c, &c2).status, Status::Cancelled, "every source cancelled");
        let mut organiser = offering("z", "1");
        organiser.status = Status::Cancelled;
        let e =
            canonical("e-x", None, &[m(&a, 0, 1), Member { offering: &organiser, priority: 0, role: Role::Organiser }]);
        assert_eq!(e.status, Status::Tentative, "a and z tie: a's key sorts first");
        let aggregator = Member { offering: &a, priority: 5, role: Role::Aggregator };
        let e =
            canonical("e-x", None, &[aggregator, Member { offering: &organiser, priority: 0, role: Role::Organiser }]);
        assert_eq!(e.status, Status::Cancelled, "the organiser cancels, whatever the aggregator's priority");
        assert_eq!(e.title, "Title of z");
    }

    #[test]
    fn organisers_then_priority_then_completeness_decide_the_canonical_fields() {
        let mut portal = offering("a-portal", "1");
        portal.title = "Керамика (кратко)".into();
        portal.location = Some(Location { venue: Some("Музей".into()), ..Location::default() });
        let mut museum = offering("museum", "1");
        museum.title = "Мастер-класс по керамике для взрослых".into();
        museum.summary = Some("Полное описание".into());
        museum.landing_url = Some("https://museum.example/1".into());
        museum.location =
            Some(Location { venue: Some("Художественный музей".into()), ..Location::default() });
        let org = |o| Member { offering: o, priority: 0, role: Role::Organiser };
        let e = canonical("e-x", None, &[org(&portal), org(&museum)]);
        assert_eq!(e.title, museum.title, "the more complete source wins a tie of role and priority");
        let agg = Member { offering: &museum, priority: 9, role: Role::Aggregator };
        let e = canonical("e-x", None, &[org(&portal), agg]);
        assert_eq!(e.title, portal.title, "an organiser beats an aggregator whatever its priority");
        assert_eq!(e.summary.as_deref(), Some("Полное описание"), "an aggregator still fills the gaps");
    }

    #[test]
    fn sessions_and_recurrence_come_from_the_source_listing_the_most() {
        let rule = |r: &str| Recurrence {
            rrule: vec![r.into()],
            rdate: vec![],
            exdate: vec![],
            expanded_until: utc("2026-06-01T00:00:00Z"),
            truncated: false,
        };
        let mut a = offering("a", "1");
        a.sessions = vec![session("2026-03-05T18:00:00+03:00")];
        a.recurrence = Some(rule("FREQ=WEEKLY;COUNT=1"));
        let mut b = offering("b", "1");
        b.sessions = vec![session("2026-03-12T18:00:00+03:00"), session("2026-03-05T15:00:00Z")];
        let mut c = offering("c", "1");
        c.sessions = vec![session("2026-04-01T18:00:00+03:00"), session("2026-04-08T18:00:00+03:00")];
        c.recurrence = Some(rule("FREQ=WEEKLY;COUNT=2"));

        let e = merge3(&a, &b, &c);
        assert_eq!(e.sessions, vec![session("2026-03-05T15:00:00Z"), session("2026-03-12T18:00:00+03:00")]);
        assert_eq!(e.recurrence, None, "b lists as many as c and is preferred; its (absent) rule comes along");
        let e = merge2(&c, &a);
        assert_eq!(e.sessions.len(), 2);
        assert_eq!(e.recurrence, Some(rule("FREQ=WEEKLY;COUNT=2")));
    }

    #[test]
    fn the_most_complete_location_is_filled_field_by_field() {
        let mut a = offering("a", "1");
        a.location = Some(Location { city: Some("Minsk".into()), country: Some("BY".into()), ..Location::default() });
        let mut b = offering("b", "1");
        b.location = Some(Location {
            venue: Some("Library".into()),
            address: Some("Main 1".into()),
            city: Some("Мінск".into()),
            place: Some("minsk".into()),
            ..Location::default()
        });
        let mut c = offering("c", "1");
        c.location = Some(Location {
            district: Some("Centre".into()),
            country: Some("XX".into()),
            geo: Some(Geo { lat: 53.9, lon: 27.56 }),
            postal_code: Some("220030".into()),
            ..Location::default()
        });
        let e = merge3(&a, &b, &c);
        let expected = Location {
            venue: Some("Library".into()),
            address: Some("Main 1".into()),
            city: Some("Мінск".into()),
            place: Some("minsk".into()),
            district: Some("Centre".into()),
            postal_code: Some("220030".into()),
            country: Some("XX".into()),
            geo: Some(Geo { lat: 53.9, lon: 27.56 }),
        };
        assert_eq!(
            e.location,
            Some(expected),
            "c (4 fields) wins and keeps its country; its city and the city's key come from b (venue and address: more complete than a)"
        );
        let nowhere = merge2(&offering("x", "1"), &offering("y", "1"));
        assert_eq!(nowhere.location, None);
    }

    #[test]
    fn location_ties_go_to_the_preferred_source() {
        let mut a = offering("a", "1");
        a.location = Some(Location { city: Some("Minsk".into()), ..Location::default() });
        let mut b = offering("b", "1");
        b.location =
            Some(Location { city: Some("Мінск".into()), venue: Some("Hall".into()), ..Location::default() });
        let mut c = offering("c", "1");
        c.location =
            Some(Location { city: Some("Минск".into()), address: Some("Main 1".into()), ..Location::default() });
        let e = merge3(&a, &b, &c);
        let expected = Location {
            venue: Some("Hall".into()),
            address: Some("Main 1".into()),
            city: Some("Мінск".into()),
            ..Location::default()
        };
        assert_eq!(e.location, Some(expected));
    }

    #[test]
    fn lists_are_unions_sorted_or_in_preference_order() {
        let mut a = offering("a", "1");
        a.languages = vec!["ru".into(), "be".into()];
        a.categories = vec!["it".into()];
        a.provider_categories = vec!["Курсы".into(), "IT".into()];
        a.images = vec!["https://a/2.jpg".into()];
        a.teachers = vec![Party { name: "Anna Petrova".into(), url: Some("https://a/anna".into()), email: None }];
        let mut b = offering("b", "1");
        b.languages = vec!["en".into(), "ru".into()];
        b.categories = vec!["arts".into(), "it".into()];
        b.provider_categories = vec!["IT".into(), "Дети".into()];
        b.images = vec!["https://b/1.jpg".into(), "https://a/2.jpg".into()];
        b.teachers = vec![party(" anna PETROVA "), party("Ivan")];
        let e = merge2(&a, &b);
        assert_eq!(e.languages, ["be", "en", "ru"]);
        assert_eq!(e.categories, ["arts", "it"]);
        assert_eq!(e.provider_categories, ["Курсы", "IT", "Дети"]);
        assert_eq!(e.images, ["https://a/2.jpg", "https://b/1.jpg"]);
        assert_eq!(e.teachers, vec![a.teachers[0].clone(), party("Ivan")]);
    }

    #[test]
    fn the_most_complete_audience_takes_every_group_and_the_first_notes() {
        let mut a = offering("a", "1");
        a.audience = Audience { groups: vec!["teens".into()], ..Audience::default() };
        let mut b = offering("b", "1");
        b.audience = Audience {
            age_min: Some(12),
            age_max: Some(17),
            groups: vec!["children".into()],
            accessibility: vec!["wheelchair".into()],
            accessibility_notes: None,
        };
        let mut c = offering("c", "1");
        c.audience = Audience {
            age_min: Some(6),
            accessibility: vec!["easy_read".into(), "wheelchair".into()],
            accessibility_notes: Some("Lift available".into()),
            ..Audience::default()
        };
        let e = merge3(&a, &b, &c);
        assert_eq!(
            e.audience,
            Audience {
                age_min: Some(12),
                age_max: Some(17),
                groups: vec!["children".into(), "teens".into()],
                accessibility: vec!["easy_read".into(), "wheelchair".into()],
                accessibility_notes: Some("Lift available".into()),
            }
        );
        let e = merge2(&c, &a);
        assert_eq!(e.audience.age_min, Some(6), "c (3 fields) beats a (1)");
        assert_eq!(e.audience.groups, ["teens"]);
    }

    #[test]
    fn sources_are_listed_in_preference_order_and_updated_at_is_the_latest_fetch() {
        let mut a = offering("a", "1");
        a.provider.name = Some("Alpha".into());
        a.landing_url = Some("https://a.example/1".into());
        a.provenance.format = SourceFormat::Ical;
        a.provenance.source_updated_at = Some(utc("2026-02-01T00:00:00Z"));
        let mut b = offering("b", "7");
        b.title = "Beta's title".into();
        b.status = Status::Cancelled;
        b.provenance.fetched_at = utc("2026-03-05T12:00:00Z");
        let e = canonical("e-x", None, &[m(&b, 1, 1), m(&a, 5, 2)]);
        assert_eq!(e.sources.iter().map(|s| s.key.as_str()).collect::<Vec<_>>(), ["a/1", "b/7"]);
        assert_eq!(
            e.sources[1],
            EntrySource {
                key: "b/7".into(),
                provider_id: "b".into(),
                provider_name: None,
                source_id: "7".into(),
                url: None,
                title: "Beta's title".into(),
                status: Status::Cancelled,
                format: SourceFormat::Rss,
                priority: 1,
                fetched_at: utc("2026-03-05T12:00:00Z"),
                source_updated_at: None,
            }
        );
        let first = &e.sources[0];
        assert_eq!(first.provider_name.as_deref(), Some("Alpha"));
        assert_eq!(first.url.as_deref(), Some("https://a.example/1"));
        assert_eq!((first.format, first.priority), (SourceFormat::Ical, 5));
        assert_eq!(first.source_updated_at, Some(utc("2026-02-01T00:00:00Z")));
        assert_eq!(e.updated_at, utc("2026-03-05T12:00:00Z"));
        assert_eq!(e.schema_version, ENTRY_SCHEMA_VERSION);
    }

    #[test]
    #[should_panic(expected = "at least one member")]
    fn an_empty_cluster_is_a_programming_error() {
        canonical("e-x", None, &[]);
    }
}
