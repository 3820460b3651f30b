//! Atom 1.0 (RFC 4287) export: one `feed` with one `entry` per catalogue entry, and the XML
//! escaping it is written with.
//!
//! The feed has `id`, `title`, `updated`, `link rel="self"` and `rel="alternate"`, `author`
//! (learncity) and `generator`; an entry has `id` (`urn:learncity:entry:{id}`, see
//! [`entry_uri`](crate::entry_uri())), `title`, `updated` (the entry's `updated_at`),
//! `link rel="alternate"` (the entry page) and `rel="related"` (the provider's page and the
//! registration page), `author` (the organiser, when known), `summary type="text"` (a line of
//! when, where and the price, then the entry's summary),
//! `content type="html"` (the sanitised description, escaped) and one `category` per
//! catalogue category. All text is escaped, and characters XML 1.0 does not allow are dropped.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use learncity_model::Entry;

use crate::text::{clean_opt, clean_text, facts_line, is_unwanted, web_url};
use crate::{FeedMeta, GENERATOR, entry_uri};

/// The Atom namespace.
pub const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// The catalogue as an Atom feed (`application/atom+xml`).
pub fn atom(entries: &[Entry], meta: &FeedMeta) -> String {
    let mut out = String::with_capacity(1024 + entries.len() * 2048);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = write!(out, "<feed xmlns=\"{ATOM_NS}\"");
    if let Some(lang) = clean_opt(meta.language.as_deref()) {
        let _ = write!(out, " xml:lang=\"{}\"", escape_xml_attr(&lang));
    }
    out.push_str(">\n");
    element(&mut out, 1, "id", "", &clean_text(&meta.id));
    element(&mut out, 1, "title", " type=\"text\"", &clean_text(&meta.title));
    element(&mut out, 1, "updated", "", &rfc3339(meta.updated));
    link(&mut out, 1, "self", Some("application/atom+xml"), &meta.self_url, None);
    link(&mut out, 1, "alternate", Some("text/html"), &meta.html_url, None);
    out.push_str("  <author>\n");
    element(&mut out, 2, "name", "", GENERATOR);
    out.push_str("  </author>\n");
    element(&mut out, 1, "generator", "", GENERATOR);
    for entry in entries {
        write_entry(&mut out, entry, meta);
    }
    out.push_str("</feed>\n");
    out
}

/// One `<entry>`.
fn write_entry(out: &mut String, entry: &Entry, meta: &FeedMeta) {
    out.push_str("  <entry>\n");
    element(out, 2, "id", "", &entry_uri(&entry.id));
    element(out, 2, "title", " type=\"text\"", &clean_text(&entry.title));
    element(out, 2, "updated", "", &rfc3339(entry.updated_at));
    link(out, 2, "alternate", Some("text/html"), &meta.entry_url(&entry.id), None);
    if let Some(url) = web_url(entry.landing_url.as_deref()) {
        link(out, 2, "related", None, url, None);
    }
    if let Some(url) = web_url(entry.registration_url.as_deref())
        && web_url(entry.landing_url.as_deref()) != Some(url)
    {
        link(out, 2, "related", None, url, Some("Register"));
    }
    if let Some(organizer) = &entry.organizer
        && let Some(name) = clean_opt(Some(&organizer.name))
    {
        out.push_str("    <author>\n");
        element(out, 3, "name", "", &name);
        if let Some(url) = web_url(organizer.url.as_deref()) {
            element(out, 3, "uri", "", url);
        }
        out.push_str("    </author>\n");
    }
    // When, where and the price first: Atom has no elements for them, and a feed reader shows
    // the summary.
    let facts = facts_line(entry, meta.language.as_deref());
    let summary = match (facts, clean_opt(entry.summary.as_deref())) {
        (Some(f), Some(s)) => Some(format!("{f}\n{s}")),
        (f, s) => f.or(s),
    };
    if let Some(summary) = summary {
        element(out, 2, "summary", " type=\"text\"", &summary);
    }
    if let Some(html) = clean_opt(entry.description_html.as_deref()) {
        element(out, 2, "content", " type=\"html\"", &html);
    }
    for term in entry.categories.iter().filter_map(|c| clean_opt(Some(c))) {
        let _ = writeln!(out, "    <category term=\"{}\"/>", escape_xml_attr(&term));
    }
    out.push_str("  </entry>\n");
}

/// `<name attrs>text</name>` on its own line, `depth` levels deep; `attrs` is written as is.
fn element(out: &mut String, depth: usize, name: &str, attrs: &str, text: &str) {
    let _ = writeln!(out, "{:indent$}<{name}{attrs}>{}</{name}>", "", escape_xml_text(text), indent = depth * 2);
}

/// `<link rel=".." type=".." href=".." title=".."/>`.
fn link(out: &mut String, depth: usize, rel: &str, media_type: Option<&str>, href: &str, title: Option<&str>) {
    let _ = write!(out, "{:indent$}<link rel=\"{rel}\"", "", indent = depth * 2);
    if let Some(media_type) = media_type {
        let _ = write!(out, " type=\"{media_type}\"");
    }
    let _ = write!(out, " href=\"{}\"", escape_xml_attr(clean_text(href).trim()));
    if let Some(title) = title {
        let _ = write!(out, " title=\"{}\"", escape_xml_attr(title));
    }
    out.push_str("/>\n");
}

/// An RFC 3339 timestamp in UTC, to the second (`2026-03-12T15:00:00Z`).
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Escapes text for XML element content: `&` `<` `>` `"` `'` become entity references, `\r`
/// becomes `&#13;` (so a parser does not turn it into `\n`), and characters XML 1.0 does not
/// allow (plus the controls it discourages) are dropped.
pub fn escape_xml_text(s: &str) -> String {
    escape(s, false)
}

/// [`escape_xml_text`] for an attribute value: tab and line feed become character references
/// too, since a parser would otherwise turn them into spaces.
pub fn escape_xml_attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c if is_unwanted(c) => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(
            escape_xml_text("<p>a & b</p> \"q\" 'a'"),
            "&lt;p&gt;a &amp; b&lt;/p&gt; &quot;q&quot; &apos;a&apos;"
        );
        assert_eq!(escape_xml_text("]]>"), "]]&gt;");
        assert_eq!(escape_xml_text("a\u{0}\u{7}\u{1b}\u{fffe}\u{ffff}\u{85}b"), "ab");
        assert_eq!(escape_xml_text("line\nnext\ttab\rcr"), "line\nnext\ttab&#13;cr");
        assert_eq!(escape_xml_attr("line\nnext\ttab"), "line&#10;next&#9;tab");
        assert_eq!(escape_xml_text("Кириллица 🎨"), "Кириллица 🎨");
    }
}
