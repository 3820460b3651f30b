//! JSON Feed 1.0 / 1.1, read from a `serde_json::Value` rather than through feed-rs.
//!
//! feed-rs deserialises JSON Feed into strict structs: one item with a numeric `id`, a feed
//! without `title`, or an attachment without `mime_type` refuses the whole document, and item
//! `image` / `banner_image` are dropped. Providers' JSON feeds are hand-made often enough that
//! this reader takes each field on its own: a bad field is skipped (with a warning where it
//! matters), never the document.
//!
//! Event data: JSON Feed has no standard event extension. Extensions are objects under keys
//! starting with `_`; any such object on an item that has conventional event keys (`start` /
//! `start_date` / `startDate` / `dtstart`, the same for `end`, `location` as text or
//! `{name, address}`, `latitude` + `longitude` or `geo: {lat, lon}`, `organizer`) is read as the
//! item's event.

use chrono_tz::Tz;
use serde_json::{Map, Value};
use url::Url;

use super::map;
use super::scan::{Extracted, ItemExtras};
use super::when;
use crate::draft::Draft;
use crate::infer;
use crate::text::escape_html as escape;
use crate::text::resolve_url;
use crate::{ReadError, Warning};

/// Drafts and document warnings of one JSON Feed (an item that is not an object becomes an
/// empty draft with a warning, which normalisation reports at its position and skips).
pub fn read(text: &str, base: Option<&Url>, tz: Tz) -> Result<(Vec<Draft>, Vec<Warning>), ReadError> {
    let mut warnings = Vec::new();
    // One bad character must not cost the document: NULs dropped, lone surrogates replaced.
    let (text, repairs) = crate::text::repair_json_text(text);
    if let Some(repairs) = repairs {
        warnings.push(Warning::document(format!("the JSON Feed {repairs}; the rest was read")));
    }
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| ReadError::Malformed { format: "JSON Feed", detail: format!("invalid JSON: {e}") })?;
    let Value::Object(feed) = doc else {
        return Err(ReadError::Malformed { format: "JSON Feed", detail: "the document is not a JSON object".into() });
    };
    let version = feed.get("version").and_then(Value::as_str).unwrap_or_default();
    if !version.contains("jsonfeed.org/version/1") {
        warnings.push(Warning::document(format!(
            "`version` is {:?}, not a JSON Feed 1.x version URL; read as JSON Feed 1.1",
            version
        )));
    }
    // Relative item URLs resolve against the feed's own URL when it gives one.
    let feed_base = feed.get("feed_url").and_then(Value::as_str).and_then(|u| resolve_url(base, u));
    let feed_base = feed_base.as_deref().and_then(|u| Url::parse(u).ok());
    let base = feed_base.as_ref().or(base);
    let items = match feed.get("items") {
        Some(Value::Array(items)) => items.as_slice(),
        None | Some(Value::Null) => &[],
        Some(_) => {
            return Err(ReadError::Malformed { format: "JSON Feed", detail: "`items` is not an array".into() });
        }
    };
    let mut drafts = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Object(item) => {
                let d = item_draft(item, base, tz);
                if !crate::budget::take(d.sessions.len()) {
                    break;
                }
                drafts.push(d);
            }
            // Kept as an empty draft, so that normalisation reports it at its position in the
            // document (and skips it for having no title).
            _ => {
                let mut d = Draft::default();
                d.warn("item", "the item is not a JSON object");
                drafts.push(d);
            }
        }
    }
    Ok((drafts, warnings))
}

/// One item to a draft.
fn item_draft(item: &Map<String, Value>, base: Option<&Url>, tz: Tz) -> Draft {
    let mut d = Draft::default();
    d.guid = match item.get("id") {
        Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        // The spec says string, but numbers and booleans are common: keep their text.
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
        Some(Value::Null) | None => None,
        Some(_) => {
            d.warn("id", "`id` is not a string; the item is identified by its URL or content instead");
            None
        }
    };
    let url = string(item, "url").and_then(|u| resolve_url(base, u));
    let external = string(item, "external_url").and_then(|u| resolve_url(base, u));
    // `external_url` beside `url`: the page the item is about (an organiser's, for a digest's
    // re-announcement) — kept as a related link, which matching counts as identity evidence.
    match (url, external) {
        (Some(own), Some(other)) if own != other => {
            d.url = Some(own);
            d.related_urls.push(other);
        }
        (url, external) => d.url = url.or(external),
    }
    if d.url.is_none()
        && let Some(href) =
            string(item, "url").or_else(|| string(item, "external_url")).filter(|u| !u.trim().is_empty())
    {
        d.warn("url", crate::text::unresolved_url_message(base, href));
    }
    d.title = string(item, "title").map(escape).filter(|t| !t.trim().is_empty());
    let html = string(item, "content_html").filter(|s| !s.trim().is_empty());
    let plain = string(item, "content_text").filter(|s| !s.trim().is_empty());
    d.description_html = html.map(str::to_owned);
    d.description_text = if html.is_none() { plain.map(str::to_owned) } else { None };
    d.summary = string(item, "summary").filter(|s| !s.trim().is_empty()).map(escape);
    if let Some(Value::Array(tags)) = item.get("tags") {
        d.categories =
            tags.iter().filter_map(Value::as_str).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
    }
    d.published_at = date(&mut d, item, "date_published");
    d.updated_at = date(&mut d, item, "date_modified");
    for key in ["image", "banner_image"] {
        if let Some(u) = string(item, key).and_then(|u| resolve_url(base, u))
            && !d.images.contains(&u)
        {
            d.images.push(u);
        }
    }
    if let Some(Value::Array(attachments)) = item.get("attachments") {
        for a in attachments.iter().filter_map(Value::as_object) {
            let mime = string(a, "mime_type").unwrap_or_default();
            let Some(u) = string(a, "url").and_then(|u| resolve_url(base, u)) else { continue };
            if mime.starts_with("image/") && !d.images.contains(&u) {
                d.images.push(u);
            } else if infer::is_meeting_url(&u) {
                d.online_urls.push(u);
            }
        }
    }
    let extras = event_extension(item);
    map::apply_event(&mut d, extras.as_ref(), base, tz);
    event_words(&mut d, item);
    d
}

/// What an `_` extension object says in words beside the event's dates and place: its price,
/// audience (ages) and schedule, read as the same fields of any other format are.
fn event_words(d: &mut Draft, item: &Map<String, Value>) {
    let Some(ext) = item
        .iter()
        .filter(|(k, _)| k.starts_with('_'))
        .filter_map(|(_, v)| v.as_object())
        .find(|ext| ["price", "audience", "schedule"].iter().any(|k| ext.contains_key(*k)))
    else {
        return;
    };
    let price = match ext.get("price") {
        // {"amount": 15, "currency": "BYN"}
        Some(Value::Object(o)) => {
            let parts: Vec<String> = ["amount", "price", "value", "currency", "priceCurrency"]
                .iter()
                .filter_map(|k| first_text(o, &[k]))
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }
        _ => first_text(ext, &["price"]),
    };
    d.price_text = d.price_text.take().or(price);
    d.audience_text = d.audience_text.take().or_else(|| first_text(ext, &["audience", "age", "ages"]));
    d.schedule_text = d.schedule_text.take().or_else(|| first_text(ext, &["schedule"]));
}

fn string<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str).map(str::trim)
}

/// An RFC 3339 date field; a value that is not one is a warning.
fn date(d: &mut Draft, item: &Map<String, Value>, key: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let raw = string(item, key)?;
    let parsed = when::instant(raw);
    if parsed.is_none() {
        d.warn(key, format!("`{raw}` is not an RFC 3339 date; ignored"));
    }
    parsed
}

/// The first `_` extension object that carries event keys, as [`ItemExtras`].
fn event_extension(item: &Map<String, Value>) -> Option<ItemExtras> {
    item.iter().filter(|(k, _)| k.starts_with('_')).filter_map(|(_, v)| v.as_object()).find_map(|ext| {
        let start = first_text(ext, &["start", "start_date", "startDate", "dtstart", "start_time"])?;
        let mut x = ItemExtras {
            start: Some(Extracted { value: start, element: "the `_` extension's start" }),
            ..ItemExtras::default()
        };
        x.end = first_text(ext, &["end", "end_date", "endDate", "dtend", "end_time"])
            .map(|value| Extracted { value, element: "the `_` extension's end" });
        x.location = match ext.get("location") {
            Some(Value::String(s)) => Some(s.trim().to_owned()),
            Some(Value::Object(o)) => {
                let parts: Vec<&str> =
                    ["name", "address"].iter().filter_map(|k| string(o, k)).filter(|s| !s.is_empty()).collect();
                (!parts.is_empty()).then(|| parts.join(", "))
            }
            _ => None,
        }
        .filter(|s| !s.is_empty());
        x.organizer = match ext.get("organizer") {
            Some(Value::String(s)) => Some(s.trim().to_owned()),
            Some(Value::Object(o)) => string(o, "name").map(str::to_owned),
            _ => None,
        }
        .filter(|s| !s.is_empty());
        let geo = ext.get("geo").and_then(Value::as_object).unwrap_or(ext);
        x.lat = first_text(geo, &["lat", "latitude"]);
        x.lon = first_text(geo, &["lon", "lng", "long", "longitude"]);
        Some(x)
    })
}

/// The first of `keys` present as a string or number, as text.
fn first_text(o: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match o.get(*k)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_items(json: &str) -> Vec<Draft> {
        read(json, Url::parse("https://it.example/feed.json").ok().as_ref(), chrono_tz::Europe::Minsk).unwrap().0
    }

    #[test]
    fn tolerant_fields() {
        let d = read_items(
            r#"{"version":"https://jsonfeed.org/version/1.1","items":[
              {"id": 42, "url": "/c/1", "title": "C++ <для> всех", "content_text": "Plain", "image": "/i.png",
               "tags": ["IT", 5], "date_published": "2025-02-01T10:00:00+03:00", "date_modified": "вчера"},
              {"id": {"x": 1}, "external_url": "https://ext.example/2", "content_html": "<p>x</p>", "summary": "a < b"}
            ]}"#,
        );
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].guid.as_deref(), Some("42"));
        assert_eq!(d[0].url.as_deref(), Some("https://it.example/c/1"));
        assert_eq!(d[0].title.as_deref(), Some("C++ &lt;для&gt; всех"));
        assert_eq!(d[0].description_text.as_deref(), Some("Plain"));
        assert_eq!(d[0].images, ["https://it.example/i.png"]);
        assert_eq!(d[0].categories, ["IT"]);
        assert!(d[0].published_at.is_some() && d[0].updated_at.is_none());
        assert!(d[0].warnings.iter().any(|(f, _)| f == "date_modified"));
        assert_eq!(d[1].guid, None);
        assert!(d[1].warnings.iter().any(|(f, _)| f == "id"));
        assert_eq!(d[1].url.as_deref(), Some("https://ext.example/2"));
        assert_eq!(d[1].summary.as_deref(), Some("a &lt; b"));
    }

    #[test]
    fn an_external_url_beside_the_items_own_is_a_related_link() {
        let d = read_items(
            r#"{"version":"https://jsonfeed.org/version/1.1","items":[
              {"id": "tg-1", "url": "https://t.me/digest/1", "external_url": "https://library.example/e/7", "title": "A"}
            ]}"#,
        );
        assert_eq!(d[0].url.as_deref(), Some("https://t.me/digest/1"));
        assert_eq!(d[0].related_urls, ["https://library.example/e/7"]);
    }

    #[test]
    fn event_extension_objects() {
        let d = read_items(
            r#"{"version":"https://jsonfeed.org/version/1","items":[{"id":"1","title":"Meetup",
              "_event":{"startDate":"2025-03-20T19:00","location":{"name":"IT-хаб","address":"ул. Ленина, 1"},"geo":{"lat":55.19,"lon":30.2}}}]}"#,
        );
        let s = &d[0].sessions;
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].start.to_rfc3339(), "2025-03-20T19:00:00+03:00");
        assert!(s[0].floating);
        assert_eq!(d[0].location_text.as_deref(), Some("IT-хаб, ул. Ленина, 1"));
        assert_eq!(d[0].location.geo.map(|g| (g.lat, g.lon)), Some((55.19, 30.2)));
        assert!(d[0].warnings.is_empty(), "{:?}", d[0].warnings);
    }

    /// One NUL and one lone surrogate escape (`"\ud800"`) each refused the whole feed.
    #[test]
    fn a_nul_and_a_lone_surrogate_are_repaired() {
        let (drafts, warnings) = read(
            "{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{\"id\":\"1\",\"title\":\"Курс\\ud800 \u{0}A\"},\
             {\"id\":\"2\",\"title\":\"Emoji \\ud83d\\ude00\"}]}",
            None,
            chrono_tz::UTC,
        )
        .unwrap();
        assert_eq!(drafts[0].title.as_deref(), Some("Курс\u{fffd} A"));
        assert_eq!(drafts[1].title.as_deref(), Some("Emoji 😀"));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].message.contains("1 NUL") && warnings[0].message.contains("1 lone"), "{warnings:?}");
    }

    /// A relative item URL with no feed_url and no document URL vanished without a word.
    #[test]
    fn a_relative_url_without_base_is_a_warning() {
        let (drafts, _) = read(
            r#"{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"A","url":"/c/1"}]}"#,
            None,
            chrono_tz::UTC,
        )
        .unwrap();
        assert_eq!(drafts[0].url, None);
        assert!(
            drafts[0].warnings.iter().any(|(f, m)| f == "url" && m.contains("relative link")),
            "{:?}",
            drafts[0].warnings
        );
    }

    #[test]
    fn broken_documents_are_named() {
        let err = read("{\"items\": [", None, chrono_tz::UTC).unwrap_err();
        assert!(
            matches!(err, ReadError::Malformed { format: "JSON Feed", ref detail } if detail.contains("line 1")),
            "{err}"
        );
        assert!(read("[1]", None, chrono_tz::UTC).is_err());
        let (drafts, _) = read(r#"{"items": ["x", {"title": "A"}]}"#, None, chrono_tz::UTC).unwrap();
        assert_eq!(drafts.len(), 2, "a non-object item keeps its position");
        assert_eq!(drafts[0].warnings[0].0, "item");
        assert_eq!(drafts[1].title.as_deref(), Some("A"));
    }
}
