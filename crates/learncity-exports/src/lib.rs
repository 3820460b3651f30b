//! # learncity-exports: the catalogue as calendars and feeds
//!
//! Turns a list of catalogue [`Entry`]s (any filtered view of the catalogue) into the three
//! formats residents subscribe to:
//!
//! - [`ical()`]: iCalendar (RFC 5545), `text/calendar`: one `VEVENT` per session;
//! - [`atom()`]: Atom 1.0 (RFC 4287), `application/atom+xml`: one `entry` per catalogue entry;
//! - [`json_feed()`]: JSON Feed 1.1, `application/feed+json`: one item per catalogue entry.
//!
//! Pure functions: no I/O, no clock (every timestamp comes from the entries or [`FeedMeta`]),
//! so the same input always gives the same bytes and the documents can be cached and
//! compared. The output is valid whatever the text in the entries: characters a format does
//! not allow (control characters, XML-forbidden code points) are dropped, everything else is
//! escaped, and iCalendar lines are folded at 75 octets.
//!
//! ## Layout
//! - this file: [`FeedMeta`], the media types, and the three entry points;
//! - `text`: text cleaning, HTML to plain text, URLs and the plain-text description;
//! - [`ical`](mod@ical): iCalendar writing, text escaping and line folding;
//! - [`atom`](mod@atom): Atom writing and XML escaping;
//! - [`json_feed`](mod@json_feed): JSON Feed writing.

pub mod atom;
pub mod ical;
pub mod json_feed;
mod text;

use chrono::{DateTime, Utc};
pub use learncity_model::Entry;

pub use atom::{atom, escape_xml_attr, escape_xml_text};
pub use ical::{escape_text as escape_ical_text, fold_line as fold_ical_line, ical};
pub use json_feed::json_feed;
pub use text::{clean_text, html_to_text};

/// `Content-Type` of [`ical()`]'s output.
pub const ICAL_CONTENT_TYPE: &str = "text/calendar; charset=utf-8";
/// `Content-Type` of [`atom()`]'s output.
pub const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";
/// `Content-Type` of [`json_feed()`]'s output.
pub const JSON_FEED_CONTENT_TYPE: &str = "application/feed+json; charset=utf-8";

/// Name of the generator and of the feeds' author.
pub const GENERATOR: &str = "learncity";

/// What a document says about itself, as opposed to its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedMeta {
    /// Title of the feed or calendar ("Courses in Vitebsk: languages").
    pub title: String,
    /// URL of this very document (Atom `rel="self"`, JSON Feed `feed_url`).
    pub self_url: String,
    /// URL of the same view as a web page (Atom `rel="alternate"`, JSON Feed `home_page_url`).
    pub html_url: String,
    /// Stable id of the feed (an IRI, e.g. `urn:learncity:feed:...` or `tag:...`): Atom `id`.
    pub id: String,
    /// When the view last changed: Atom `updated`, iCalendar `DTSTAMP`.
    pub updated: DateTime<Utc>,
    /// Base of the entry pages: the page of an entry is `{entry_base_url}/{entry.id}`.
    pub entry_base_url: String,
    /// Language of the feed (BCP 47), when known: Atom `xml:lang`, JSON Feed `language`.
    pub language: Option<String>,
}

impl FeedMeta {
    /// The page of an entry: `{entry_base_url}/{id}`, the id percent-encoded as a path segment
    /// (a no-op for the catalogue's `e-` + hex ids) and a trailing `/` of the base ignored.
    pub fn entry_url(&self, entry_id: &str) -> String {
        let base = text::clean_text(&self.entry_base_url);
        let mut url = base.trim().trim_end_matches('/').to_owned();
        url.push('/');
        text::push_percent_encoded(&mut url, entry_id);
        url
    }
}

/// The stable id of an entry in every feed: `urn:learncity:entry:{id}` (Atom `id`, JSON Feed
/// item `id`). It does not depend on the view or the host, so a reader that subscribes to two
/// views sees one item.
pub fn entry_uri(entry_id: &str) -> String {
    let mut uri = String::from("urn:learncity:entry:");
    text::push_percent_encoded(&mut uri, entry_id);
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(base: &str) -> FeedMeta {
        FeedMeta {
            title: "t".into(),
            self_url: "https://x.example/feed".into(),
            html_url: "https://x.example/".into(),
            id: "urn:learncity:feed:t".into(),
            updated: DateTime::<Utc>::UNIX_EPOCH,
            entry_base_url: base.into(),
            language: None,
        }
    }

    #[test]
    fn entry_url_joins_base_and_id() {
        assert_eq!(meta("https://x.example/e").entry_url("e-00ff"), "https://x.example/e/e-00ff");
        assert_eq!(meta("https://x.example/e/").entry_url("e-00ff"), "https://x.example/e/e-00ff");
        assert_eq!(meta("https://x.example/e").entry_url("a b/ц"), "https://x.example/e/a%20b%2F%D1%86");
    }

    #[test]
    fn entry_uri_is_an_urn() {
        assert_eq!(entry_uri("e-0123456789abcdef"), "urn:learncity:entry:e-0123456789abcdef");
        assert_eq!(entry_uri("a:b"), "urn:learncity:entry:a%3Ab");
    }
}
