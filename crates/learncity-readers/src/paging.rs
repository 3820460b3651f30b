//! Multi-page listings: where a document says its next page is.
//!
//! The readers stay pure: a read reports the next page's URL ([`crate::ReadOutput::next_page`]) and
//! the caller (the collector, `learncity check`) fetches it, reads it and merges the pages. Where
//! the next page is found:
//! - RSS and Atom: a feed-level `<link rel="next" href="…"/>` (`atom:link` in RSS; RFC 5005
//!   paged feeds), always;
//! - JSON Feed: its `next_url`, always;
//! - HTML pages: the element matched by `[reader.paging] next` (a CSS selector; its `href`, or
//!   the `href` of the first link inside it), only when configured;
//! - JSON documents (a JSON-LD or other JSON API): the string at `[reader.paging] next-pointer`
//!   (an RFC 6901 JSON pointer, `/links/next`), only when configured — for a JSON Feed too.
//!
//! A next page is only reported when it is an absolute `http(s)` URL (or `file` when the page was
//! a file) other than the page itself.

use learncity_model::SourceFormat;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde::{Deserialize, Serialize};
use url::Url;

/// Most pages `max-pages` may allow.
pub const MAX_PAGES_LIMIT: u32 = 1_000;

const fn default_max_pages() -> u32 {
    20
}

/// `[reader.paging]`: how to find a listing's next page, and how many pages to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Paging {
    /// CSS selector of the next-page link on an HTML page (`a[rel=next]`, `.pagination .next a`).
    #[serde(default)]
    pub next: Option<String>,
    /// JSON pointer (RFC 6901) to the next page's URL in a JSON document (`/links/next`).
    #[serde(default)]
    pub next_pointer: Option<String>,
    /// Pages read per fetch at most, the first one included (1–1000). Default 20. A listing with
    /// more pages than this is read as incomplete: nothing is withdrawn.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
}

impl Default for Paging {
    fn default() -> Self {
        Paging { next: None, next_pointer: None, max_pages: default_max_pages() }
    }
}

impl Paging {
    /// Checks the selector, the pointer and the page bound. Returns `field: message`.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(next) = &self.next
            && let Err(e) = scraper::Selector::parse(next)
        {
            return Err(format!("next: `{next}` is not a valid CSS selector: {e}"));
        }
        if let Some(pointer) = &self.next_pointer
            && !(pointer.is_empty() || pointer.starts_with('/'))
        {
            return Err(format!("next-pointer: `{pointer}` is not a JSON pointer (it starts with `/`: `/links/next`)"));
        }
        if !(1..=MAX_PAGES_LIMIT).contains(&self.max_pages) {
            return Err(format!("max-pages: {} is outside 1..={MAX_PAGES_LIMIT}", self.max_pages));
        }
        Ok(())
    }
}

/// The next page of a document read as `format`, when it names one (see the module docs).
pub fn next_page(text: &str, format: SourceFormat, paging: &Paging, page_url: Option<&Url>) -> Option<String> {
    let body = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let is_json = body.starts_with('{') || body.starts_with('[');
    // Cheap tests first: most documents name no next page, and a second full parse of every
    // feed would cost as much as reading it.
    let found = match format {
        SourceFormat::Rss | SourceFormat::Atom if !body.contains("next") => None,
        SourceFormat::Rss | SourceFormat::Atom => feed_next(body),
        SourceFormat::Jsonfeed if paging.next_pointer.is_none() && !body.contains("\"next_url\"") => None,
        _ if is_json => json_next(body, format, paging),
        SourceFormat::Html | SourceFormat::Jsonld | SourceFormat::Microdata | SourceFormat::Microformats => {
            paging.next.as_deref().and_then(|sel| html_next(body, sel))
        }
        SourceFormat::Jsonfeed | SourceFormat::Ical | SourceFormat::Xcri => None,
    }?;
    let found = found.trim();
    let resolved = match Url::parse(found) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => page_url?.join(found).ok()?,
        Err(_) => return None,
    };
    let scheme_ok = match resolved.scheme() {
        "http" | "https" => true,
        "file" => page_url.is_some_and(|u| u.scheme() == "file"),
        _ => false,
    };
    let same = page_url.is_some_and(|u| {
        let mut a = u.clone();
        let mut b = resolved.clone();
        a.set_fragment(None);
        b.set_fragment(None);
        a == b
    });
    (scheme_ok && !same).then(|| resolved.to_string())
}

/// A feed-level `link rel="next"` (outside items and entries).
fn feed_next(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    let mut depth_in_item = 0usize;
    let next_of = |e: &BytesStart<'_>| -> Option<String> {
        if e.local_name().as_ref() != "link" {
            return None;
        }
        let attr = |name: &str| {
            e.attributes()
                .flatten()
                .find(|a| a.key.local_name().as_ref() == name)
                .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.trim().to_owned()))
        };
        let rel = attr("rel")?;
        rel.split_whitespace().any(|r| r.eq_ignore_ascii_case("next")).then(|| attr("href")).flatten()
    };
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let local = e.local_name();
                if depth_in_item > 0 || matches!(local.as_ref(), "item" | "entry") {
                    depth_in_item += 1;
                } else if let Some(href) = next_of(&e) {
                    return Some(href);
                }
            }
            Ok(Event::Empty(e)) if depth_in_item == 0 => {
                if let Some(href) = next_of(&e) {
                    return Some(href);
                }
            }
            Ok(Event::End(_)) => depth_in_item = depth_in_item.saturating_sub(1),
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// JSON: the configured pointer, else a JSON Feed's `next_url`.
fn json_next(body: &str, format: SourceFormat, paging: &Paging) -> Option<String> {
    let doc: serde_json::Value = serde_json::from_str(body).ok()?;
    if let Some(pointer) = &paging.next_pointer {
        return doc.pointer(pointer).and_then(|v| v.as_str()).map(str::to_owned);
    }
    if format == SourceFormat::Jsonfeed {
        return doc.get("next_url").and_then(|v| v.as_str()).map(str::to_owned);
    }
    None
}

/// The configured next-page element's `href` (or that of the first link inside it).
fn html_next(html: &str, selector: &str) -> Option<String> {
    let sel = scraper::Selector::parse(selector).ok()?;
    let anchor = scraper::Selector::parse("a[href]").ok()?;
    let page = scraper::Html::parse_document(&crate::nesting::limit_nesting(html));
    page.select(&sel).find_map(|el| {
        el.value()
            .attr("href")
            .or_else(|| el.select(&anchor).next().and_then(|a| a.value().attr("href")))
            .map(str::trim)
            .filter(|h| !h.is_empty() && !h.starts_with('#'))
            .map(str::to_owned)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn feeds_name_their_next_page_at_feed_level_only() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><link rel="self" href="/f?p=1"/>
            <link rel="next" href="/f?p=2"/><entry><link rel="next" href="/wrong"/></entry></feed>"#;
        let base = url("https://a.example/f?p=1");
        assert_eq!(
            next_page(atom, SourceFormat::Atom, &Paging::default(), Some(&base)).as_deref(),
            Some("https://a.example/f?p=2")
        );
        let rss = r#"<rss xmlns:atom="http://www.w3.org/2005/Atom"><channel><item><atom:link rel="next" href="/x"/></item>
            <atom:link rel="next" href="https://a.example/feed/?paged=2"></atom:link></channel></rss>"#;
        assert_eq!(
            next_page(rss, SourceFormat::Rss, &Paging::default(), Some(&base)).as_deref(),
            Some("https://a.example/feed/?paged=2")
        );
        let last = r#"<feed><link rel="previous" href="/f?p=1"/><entry><link rel="next" href="/x"/></entry></feed>"#;
        assert_eq!(next_page(last, SourceFormat::Atom, &Paging::default(), Some(&base)), None);
        // A page naming itself as next is the last one.
        let own = r#"<feed><link rel="next" href="https://a.example/f?p=1#top"/></feed>"#;
        assert_eq!(next_page(own, SourceFormat::Atom, &Paging::default(), Some(&base)), None);
    }

    #[test]
    fn json_feed_next_url_and_json_pointers() {
        let base = url("https://a.example/feed.json");
        let feed = r#"{"version":"https://jsonfeed.org/version/1.1","items":[],"next_url":"feed.json?page=2"}"#;
        assert_eq!(
            next_page(feed, SourceFormat::Jsonfeed, &Paging::default(), Some(&base)).as_deref(),
            Some("https://a.example/feed.json?page=2")
        );
        let api = r#"{"@graph":[],"links":{"next":"https://a.example/api?page=3"}}"#;
        let paging = Paging { next_pointer: Some("/links/next".into()), ..Paging::default() };
        assert_eq!(
            next_page(api, SourceFormat::Jsonld, &paging, Some(&base)).as_deref(),
            Some("https://a.example/api?page=3")
        );
        assert_eq!(next_page(api, SourceFormat::Jsonld, &Paging::default(), Some(&base)), None);
        let null = r#"{"links":{"next":null}}"#;
        assert_eq!(next_page(null, SourceFormat::Jsonld, &paging, Some(&base)), None);
    }

    #[test]
    fn html_pages_follow_the_configured_selector() {
        let base = url("https://lib.example/afisha/");
        let page = r#"<html><body><nav class="pager"><a href="?page=1">1</a>
            <li class="next"><a href="?page=2">»</a></li></nav></body></html>"#;
        let paging = Paging { next: Some(".pager .next".into()), ..Paging::default() };
        assert_eq!(
            next_page(page, SourceFormat::Html, &paging, Some(&base)).as_deref(),
            Some("https://lib.example/afisha/?page=2")
        );
        assert_eq!(next_page(page, SourceFormat::Html, &Paging::default(), Some(&base)), None);
        let js = r#"<a class="next" href="javascript:more()">»</a>"#;
        let paging = Paging { next: Some("a.next".into()), ..Paging::default() };
        assert_eq!(next_page(js, SourceFormat::Html, &paging, Some(&base)), None);
        // A file page may page to files; an http page may not.
        let file = url("file:///tmp/p1.html");
        let rel = r#"<a class="next" href="p2.html">»</a>"#;
        assert_eq!(next_page(rel, SourceFormat::Html, &paging, Some(&file)).as_deref(), Some("file:///tmp/p2.html"));
        let to_file = r#"<a class="next" href="file:///etc/passwd">»</a>"#;
        assert_eq!(next_page(to_file, SourceFormat::Html, &paging, Some(&base)), None);
    }

    #[test]
    fn settings_are_checked() {
        assert!(Paging::default().validate().is_ok());
        let bad = Paging { next: Some("a[".into()), ..Paging::default() };
        assert!(bad.validate().unwrap_err().starts_with("next:"));
        let bad = Paging { next_pointer: Some("links.next".into()), ..Paging::default() };
        assert!(bad.validate().unwrap_err().starts_with("next-pointer:"));
        let bad = Paging { max_pages: 0, ..Paging::default() };
        assert!(bad.validate().unwrap_err().starts_with("max-pages:"));
    }
}
