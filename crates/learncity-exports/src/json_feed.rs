//! JSON Feed 1.1 export (<https://jsonfeed.org/version/1.1>): one item per catalogue entry.
//!
//! The feed has `version`, `title`, `home_page_url`, `feed_url`, `language`, `authors`, and a
//! `_learncity` extension (the feed's `id` and `updated`, which JSON Feed has no field for).
//! An item has `id` (`urn:learncity:entry:{id}`, as in Atom), `url` (the entry page),
//! `external_url` (the provider's page), `title`, `content_html` (the sanitised description)
//! or else `content_text` (the summary, or the title), `summary` (beside `content_html`),
//! `image`, `date_modified`, `authors` (the organiser), `tags` (the categories), `language`
//! (when the entry has exactly one), and a `_learncity` extension with what a calendar-aware
//! reader needs: the entry id, kind, mode, status, sessions (start/end in RFC 3339 with their
//! own offset), location, online and registration URLs, and languages. Absent values are left
//! out, never `null`.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use learncity_model::{Entry, Kind, Location, Mode, Session, Status};
use serde_json::{Map, Value, json};

use crate::text::{clean_opt, clean_text, web_url};
use crate::{FeedMeta, GENERATOR, entry_uri};

/// The JSON Feed version this module writes.
pub const VERSION: &str = "https://jsonfeed.org/version/1.1";

/// The catalogue as a JSON Feed 1.1 document (`application/feed+json`), pretty-printed.
pub fn json_feed(entries: &[Entry], meta: &FeedMeta) -> String {
    let mut feed = Map::new();
    feed.insert("version".into(), json!(VERSION));
    feed.insert("title".into(), json!(clean_text(&meta.title)));
    feed.insert("home_page_url".into(), json!(clean_text(&meta.html_url).trim()));
    feed.insert("feed_url".into(), json!(clean_text(&meta.self_url).trim()));
    insert_opt(&mut feed, "language", clean_opt(meta.language.as_deref()));
    feed.insert("authors".into(), json!([{ "name": GENERATOR }]));
    feed.insert("_learncity".into(), json!({ "id": clean_text(&meta.id), "updated": rfc3339_utc(meta.updated) }));
    feed.insert("items".into(), Value::Array(entries.iter().map(|e| item(e, meta)).collect()));
    // `{:#}` pretty-prints; formatting a `Value` into a `String` cannot fail.
    format!("{:#}\n", Value::Object(feed))
}

/// One item.
fn item(entry: &Entry, meta: &FeedMeta) -> Value {
    let mut item = Map::new();
    item.insert("id".into(), json!(entry_uri(&entry.id)));
    item.insert("url".into(), json!(meta.entry_url(&entry.id)));
    insert_opt(&mut item, "external_url", web_url(entry.landing_url.as_deref()).map(str::to_owned));
    item.insert("title".into(), json!(clean_text(&entry.title)));
    // JSON Feed wants `content_html` or `content_text`: without HTML the summary (or else the
    // title) is the content, and is then not repeated as `summary`.
    let summary = clean_opt(entry.summary.as_deref());
    match clean_opt(entry.description_html.as_deref()) {
        Some(html) => {
            item.insert("content_html".into(), json!(html));
            insert_opt(&mut item, "summary", summary);
        }
        None => {
            let text = summary.unwrap_or_else(|| clean_text(&entry.title));
            item.insert("content_text".into(), json!(text));
        }
    }
    insert_opt(&mut item, "image", entry.images.iter().find_map(|i| web_url(Some(i))).map(str::to_owned));
    item.insert("date_modified".into(), json!(rfc3339_utc(entry.updated_at)));
    if let Some(organizer) = &entry.organizer
        && let Some(name) = clean_opt(Some(&organizer.name))
    {
        let mut author = Map::new();
        author.insert("name".into(), json!(name));
        insert_opt(&mut author, "url", web_url(organizer.url.as_deref()).map(str::to_owned));
        item.insert("authors".into(), json!([author]));
    }
    let tags: Vec<String> = entry.categories.iter().filter_map(|c| clean_opt(Some(c))).collect();
    if !tags.is_empty() {
        item.insert("tags".into(), json!(tags));
    }
    if let [language] = entry.languages.as_slice() {
        insert_opt(&mut item, "language", clean_opt(Some(language)));
    }
    item.insert("_learncity".into(), extension(entry));
    Value::Object(item)
}

/// The item's `_learncity` object.
fn extension(entry: &Entry) -> Value {
    let mut ext = Map::new();
    ext.insert("id".into(), json!(clean_text(&entry.id)));
    ext.insert("kind".into(), json!(kind_str(entry.kind)));
    ext.insert("mode".into(), json!(mode_str(entry.mode)));
    ext.insert("status".into(), json!(status_str(entry.status)));
    ext.insert("sessions".into(), Value::Array(entry.sessions.iter().map(session).collect()));
    if let Some(location) = entry.location.as_ref().map(location).filter(|l| !l.is_empty()) {
        ext.insert("location".into(), Value::Object(location));
    }
    insert_opt(&mut ext, "online_url", web_url(entry.online_url.as_deref()).map(str::to_owned));
    insert_opt(&mut ext, "registration_url", web_url(entry.registration_url.as_deref()).map(str::to_owned));
    let languages: Vec<String> = entry.languages.iter().filter_map(|l| clean_opt(Some(l))).collect();
    if !languages.is_empty() {
        ext.insert("languages".into(), json!(languages));
    }
    Value::Object(ext)
}

/// A session: `start`, `end` (when known), `time_zone`, and the `all_day`/`cancelled` flags.
fn session(s: &Session) -> Value {
    let mut out = Map::new();
    out.insert("start".into(), json!(rfc3339(s.start)));
    insert_opt(&mut out, "end", s.end.map(rfc3339));
    insert_opt(&mut out, "time_zone", clean_opt(s.time_zone.as_deref()));
    out.insert("all_day".into(), json!(s.all_day));
    out.insert("cancelled".into(), json!(s.cancelled));
    Value::Object(out)
}

/// The location's known fields; `geo` only with finite coordinates.
fn location(l: &Location) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in [
        ("venue", &l.venue),
        ("address", &l.address),
        ("city", &l.city),
        ("district", &l.district),
        ("postal_code", &l.postal_code),
        ("country", &l.country),
    ] {
        insert_opt(&mut out, key, clean_opt(value.as_deref()));
    }
    if let Some(geo) = l.geo.filter(|g| g.lat.is_finite() && g.lon.is_finite()) {
        out.insert("geo".into(), json!({ "lat": geo.lat, "lon": geo.lon }));
    }
    out
}

fn insert_opt(map: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(value) = value {
        map.insert(key.into(), Value::String(value));
    }
}

/// RFC 3339 with the instant's own offset (`2026-03-12T18:00:00+03:00`).
fn rfc3339(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// RFC 3339 in UTC (`2026-03-12T15:00:00Z`).
fn rfc3339_utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The model's snake_case name of a kind.
fn kind_str(kind: Kind) -> &'static str {
    match kind {
        Kind::Course => "course",
        Kind::Workshop => "workshop",
        Kind::Lecture => "lecture",
        Kind::Masterclass => "masterclass",
        Kind::Tour => "tour",
        Kind::Event => "event",
        Kind::Other => "other",
    }
}

/// The model's snake_case name of a mode.
fn mode_str(mode: Mode) -> &'static str {
    match mode {
        Mode::InPerson => "in_person",
        Mode::Online => "online",
        Mode::Hybrid => "hybrid",
        Mode::Unknown => "unknown",
    }
}

/// The model's snake_case name of a status.
fn status_str(status: Status) -> &'static str {
    match status {
        Status::Scheduled => "scheduled",
        Status::Tentative => "tentative",
        Status::Cancelled => "cancelled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_names_match_the_models_serde_names() {
        for kind in
            [Kind::Course, Kind::Workshop, Kind::Lecture, Kind::Masterclass, Kind::Tour, Kind::Event, Kind::Other]
        {
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind_str(kind)));
        }
        for mode in [Mode::InPerson, Mode::Online, Mode::Hybrid, Mode::Unknown] {
            assert_eq!(serde_json::to_value(mode).unwrap(), json!(mode_str(mode)));
        }
        for status in [Status::Scheduled, Status::Tentative, Status::Cancelled] {
            assert_eq!(serde_json::to_value(status).unwrap(), json!(status_str(status)));
        }
    }
}
