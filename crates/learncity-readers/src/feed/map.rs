//! One feed-rs [`Entry`] (plus the extension data of [`ItemExtras`]) to one [`Draft`].
//!
//! Decisions, so that every format means the same thing downstream:
//! - `guid` only when the feed gave one (feed-rs invents ids; the reader's id generator returns
//!   an empty string so that normalisation's URL/content fallback applies instead);
//! - `url`: the `alternate` link (or the RSS `link`), else the first web link, else an RSS GUID
//!   that is a permalink URL; always absolute (feed-rs resolves `xml:base` and the document URL);
//! - plain text (Atom `type="text"`, JSON Feed titles) is HTML-escaped, because normalisation reads
//!   titles and summaries as HTML fragments and would otherwise eat a literal `<b>`;
//! - the description is the full content, else the summary; the summary is kept separately only
//!   when both exist;
//! - authors are not mapped: they are the feed's writers (a press office), not the event's
//!   organiser; `ev:organizer` / xCal `organizer` are;
//! - the feed's language is the language of its text, not necessarily of instruction: not mapped
//!   (the provider's `default-language` applies);
//! - images: media thumbnails, image media/enclosures; other enclosures (audio, `text/calendar`)
//!   are ignored;
//! - Dublin Core / Media RSS / iTunes elements fill title, description and categories the core
//!   elements leave empty;
//! - relative links in a description are resolved against the `xml:base` in force there (when
//!   it differs from the document URL, which normalisation uses);
//! - an item without an event date gets a `start` warning: the collector looks for a date on its
//!   landing page.

use std::sync::LazyLock;

use chrono_tz::Tz;
use feed_rs::model::{Entry, FeedType, Link, Text};
use learncity_model::{Geo, Party};
use regex::Regex;

use super::scan::ItemExtras;
use super::when;
use crate::draft::Draft;
use crate::infer;
use crate::text::resolve_url;
use url::Url;

/// The warning of an item without event date.
pub const NO_DATE: &str = "no date: the item has no event date; the collector will look for one on its landing page";

/// Maps one entry.
pub fn entry(e: &Entry, extras: Option<&ItemExtras>, feed_type: &FeedType, base: Option<&Url>, tz: Tz) -> Draft {
    let mut d = Draft { guid: crate::text::nonblank(&e.id).map(str::to_owned), ..Draft::default() };
    let plain_is_literal = matches!(feed_type, FeedType::Atom | FeedType::JSON);
    let landing = landing_link(&e.links);
    d.url = landing.and_then(|href| resolve_url(base, href)).or_else(|| permalink_guid(extras, base));
    if d.url.is_none()
        && let Some(href) = landing
    {
        // A relative link with neither xml:base nor a document URL has nothing to resolve against.
        d.warn("url", crate::text::unresolved_url_message(base, href));
    }
    d.title = e.title.as_ref().map(|t| text_as_html(t, plain_is_literal)).filter(|t| !t.trim().is_empty());

    let content = e.content.as_ref().filter(|c| c.body.as_deref().is_some_and(|b| !b.trim().is_empty()));
    if d.title.is_none() {
        d.title = extras.and_then(|x| x.title.clone());
    }
    let summary = e.summary.as_ref().filter(|s| !s.content.trim().is_empty());
    match content {
        Some(c) if c.content_type.essence().to_string() == "text/plain" => {
            d.description_text = c.body.clone();
        }
        Some(c) if is_markup(&c.content_type.essence().to_string()) => d.description_html = c.body.clone(),
        _ => {}
    }
    match summary {
        Some(s) if d.description_html.is_none() && d.description_text.is_none() => {
            if s.content_type.essence().to_string() == "text/plain" && plain_is_literal {
                d.description_text = Some(s.content.clone());
            } else {
                d.description_html = Some(s.content.clone());
            }
        }
        Some(s) => d.summary = Some(text_as_html(s, plain_is_literal)),
        None if d.description_html.is_none() && d.description_text.is_none() => {
            d.description_html = extras.and_then(|x| x.description.clone());
        }
        None => {}
    }
    if let Some(content_base) = extras.and_then(|x| x.content_base.as_ref()).filter(|b| Some(*b) != base) {
        d.description_html = d.description_html.take().map(|h| absolutize(&h, content_base));
        d.summary = d.summary.take().map(|h| absolutize(&h, content_base));
    }

    for c in &e.categories {
        let label = c.label.as_deref().map(str::trim).filter(|l| !l.is_empty());
        if let Some(name) = label.or_else(|| Some(c.term.trim()).filter(|t| !t.is_empty())) {
            d.categories.push(name.to_owned());
        }
    }
    if let Some(x) = extras {
        for c in &x.categories {
            if !d.categories.contains(c) {
                d.categories.push(c.clone());
            }
        }
    }
    d.published_at = e.published;
    d.updated_at = e.updated;
    if let Some(x) = extras {
        d.published_at = d.published_at.or_else(|| x.published.as_deref().and_then(when::instant));
        d.updated_at = d.updated_at.or_else(|| x.updated.as_deref().and_then(when::instant));
    }
    d.images = images(e, base);
    for t in extras.map(|x| x.thumbnails.as_slice()).unwrap_or_default() {
        if let Some(u) = resolve_url(base, t)
            && !d.images.contains(&u)
        {
            d.images.push(u);
        }
    }
    d.online_urls = e
        .links
        .iter()
        .filter_map(|l| resolve_url(base, &l.href))
        .filter(|u| infer::is_meeting_url(u) && Some(u) != d.url.as_ref())
        .collect();
    d.related_urls = e
        .links
        .iter()
        .filter(|l| {
            l.rel.as_deref().is_some_and(|r| r.eq_ignore_ascii_case("related") || r.eq_ignore_ascii_case("via"))
        })
        .filter_map(|l| resolve_url(base, &l.href))
        .collect();
    apply_event(&mut d, extras, base, tz);
    d
}

/// Event extensions (dates, place, organiser) into the draft, with the `start` warning when the
/// item has no date. Shared with the JSON Feed reader.
pub fn apply_event(d: &mut Draft, extras: Option<&ItemExtras>, base: Option<&Url>, tz: Tz) {
    let Some(x) = extras else {
        d.warn("start", NO_DATE);
        return;
    };
    if let Some(loc) = &x.location {
        d.location_text = Some(loc.clone());
    }
    if let Some(name) = &x.organizer {
        d.organizer = Some(Party { name: name.clone(), url: None, email: None });
    }
    if let Some(kind) = &x.event_type {
        d.categories.push(kind.clone());
    }
    if let Some(url) = x.event_url.as_deref().and_then(|u| resolve_url(base, u)) {
        if d.url.is_none() {
            d.url = Some(url);
        } else if d.url.as_ref() != Some(&url) {
            d.registration_url = Some(url);
        }
    }
    apply_geo(d, x);
    let Some(start) = &x.start else {
        d.warn("start", NO_DATE);
        return;
    };
    let Some(begins) = when::parse(&start.value, tz) else {
        d.warn(
            "start",
            format!(
                "`{}` in {} is not a date; the collector will look for one on its landing page",
                start.value, start.element
            ),
        );
        return;
    };
    let ends = x.end.as_ref().and_then(|e| {
        let parsed = when::parse(&e.value, tz);
        if parsed.is_none() {
            d.warn("end", format!("`{}` in {} is not a date; the end was ignored", e.value, e.element));
        }
        parsed
    });
    let (session, problem) = when::session(begins, ends, tz);
    if let Some(problem) = problem {
        d.warn("end", problem);
    }
    d.sessions.push(session);
}

/// GeoRSS point / gml:pos ("lat lon") or W3C geo lat + long.
fn apply_geo(d: &mut Draft, x: &ItemExtras) {
    let pair = match (&x.point, &x.lat, &x.lon) {
        (Some(p), _, _) => {
            let mut parts = p.split(|c: char| c.is_whitespace() || c == ',').filter(|s| !s.is_empty());
            (parts.next(), parts.next())
        }
        (None, Some(lat), Some(lon)) => (Some(lat.as_str()), Some(lon.as_str())),
        _ => return,
    };
    match pair {
        (Some(lat), Some(lon)) => match (lat.parse::<f64>(), lon.parse::<f64>()) {
            (Ok(lat), Ok(lon)) if lat.is_finite() && lon.is_finite() => d.location.geo = Some(Geo { lat, lon }),
            _ => d.warn("geo", format!("`{lat} {lon}` are not coordinates; ignored")),
        },
        _ => d.warn("geo", "the point has no latitude and longitude; ignored"),
    }
}

/// Text as an HTML fragment: plain text is escaped when the format says it is literal.
fn text_as_html(t: &Text, plain_is_literal: bool) -> String {
    if plain_is_literal && t.content_type.essence().to_string() == "text/plain" {
        crate::text::escape_html(&t.content)
    } else {
        t.content.clone()
    }
}

static LINK_ATTRIBUTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\b(href|src)(\s*=\s*)("([^"]*)"|'([^']*)')"#).expect("static regex"));

/// Resolves relative `href`/`src` values of an HTML fragment against `base` (absolute ones and
/// other schemes are left as they are; the sanitiser decides about those).
fn absolutize(html: &str, base: &Url) -> String {
    LINK_ATTRIBUTE
        .replace_all(html, |c: &regex::Captures<'_>| {
            let value = c.get(4).or_else(|| c.get(5)).map_or("", |m| m.as_str());
            let whole = c.get(0).map_or("", |m| m.as_str()).to_owned();
            match Url::parse(value.trim()) {
                Err(url::ParseError::RelativeUrlWithoutBase) => match base.join(value.trim()) {
                    Ok(u) => format!("{}{}\"{}\"", &c[1], &c[2], u.as_str().replace('"', "%22")),
                    Err(_) => whole,
                },
                _ => whole,
            }
        })
        .into_owned()
}

fn is_markup(essence: &str) -> bool {
    matches!(essence, "text/html" | "application/xhtml+xml" | "application/xhtml" | "text/xhtml" | "text/xml")
}

/// The item's own page, as written: `alternate` (or RSS `link`, which has no rel) first.
fn landing_link(links: &[Link]) -> Option<&str> {
    let page = |l: &&Link| {
        l.target.is_none() && l.media_type.as_deref().is_none_or(|t| t.starts_with("text/html") || t.contains("xhtml"))
    };
    let alternate =
        links.iter().filter(page).find(|l| l.rel.as_deref().is_none_or(|r| r.eq_ignore_ascii_case("alternate")));
    let fallback = || {
        links.iter().find(|l| {
            l.target.is_none()
                && !l.rel.as_deref().is_some_and(|r| matches!(r, "self" | "enclosure" | "edit" | "replies" | "license"))
        })
    };
    alternate.or_else(fallback).map(|l| l.href.as_str()).filter(|href| !href.trim().is_empty())
}

/// An RSS GUID that is a permalink (the default) and a web URL stands for the missing `link`.
fn permalink_guid(extras: Option<&ItemExtras>, base: Option<&Url>) -> Option<String> {
    let x = extras.filter(|x| x.guid_is_permalink)?;
    let guid = x.guid.as_deref()?;
    (guid.starts_with("http://") || guid.starts_with("https://")).then(|| resolve_url(base, guid)).flatten()
}

/// Image URLs: thumbnails, then image media and enclosures.
fn images(e: &Entry, base: Option<&Url>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |u: &str| {
        if let Some(u) = resolve_url(base, u)
            && !out.contains(&u)
        {
            out.push(u);
        }
    };
    for m in &e.media {
        for t in &m.thumbnails {
            push(&t.image.uri);
        }
        for c in &m.content {
            let Some(url) = &c.url else { continue };
            let is_image = match &c.content_type {
                Some(t) => t.ty().as_str().eq_ignore_ascii_case("image"),
                None => has_image_extension(url.path()),
            };
            if is_image {
                push(url.as_str());
            }
        }
    }
    for l in &e.links {
        let typed_image = l.media_type.as_deref().is_some_and(|t| t.starts_with("image/"));
        if typed_image && l.rel.as_deref().is_some_and(|r| r == "enclosure") {
            push(&l.href);
        }
    }
    out
}

fn has_image_extension(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg"].iter().any(|ext| lower.ends_with(ext))
}
