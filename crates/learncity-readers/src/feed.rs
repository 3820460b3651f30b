//! RSS 0.9x/1.0/2.0 and Atom (through feed-rs) and JSON Feed: one [`Draft`] per item.
//!
//! XML feeds go through three steps:
//! 1. [`prepass`]: a tolerant repair of what real feeds get wrong (bare `&`, HTML entities,
//!    unbalanced tags, a cut-off body, a stale `encoding` declaration), since feed-rs, like any
//!    XML parser, refuses the whole document for one of them;
//! 2. feed-rs parses the repaired text (no sanitising here: [`crate::normalise`] does it once for
//!    every format; ids it would invent are suppressed, so normalisation's URL/content fallback
//!    applies);
//! 3. [`scan`]: a light quick-xml pass for what feed-rs does not expose — event extensions
//!    (`ev:startdate`/`ev:enddate`/`ev:location`, xCal), GeoRSS and W3C geo points, GUID
//!    permalinks — keyed by item position, plus the line and column of the first XML error.
//!
//! JSON Feed is read by [`json`] from a `serde_json::Value` (see there why not feed-rs).
//!
//! Guarantees: no panics, no I/O; a document that is cut off yields its complete items and a
//! document warning; a document from which nothing can be recovered is a
//! [`ReadError::Malformed`] naming the parser's message and, for XML, the line and column.

mod json;
mod map;
mod prepass;
mod scan;
mod when;

use feed_rs::model::{Feed, FeedType};
use feed_rs::parser::{Builder, ParseErrorKind, ParseFeedError, Parser};
use learncity_model::SourceFormat;
use url::Url;

pub use map::NO_DATE;
pub use prepass::html_entity;

use crate::{ReadContext, ReadError, Warning, draft::Draft};

/// What a feed yielded.
#[derive(Debug, Clone)]
pub struct FeedOutput {
    /// One draft per entry.
    pub drafts: Vec<Draft>,
    /// RSS, Atom or JSON Feed.
    pub format: SourceFormat,
    /// RSS `<ttl>` in minutes.
    pub ttl_minutes: Option<u32>,
    /// Problems with the whole document (a truncated body, a JSON item that is not an object).
    pub warnings: Vec<Warning>,
    /// Why the document is incomplete (a truncated body), when it is: the items read are
    /// real, but what is missing must not be taken for withdrawn.
    pub incomplete: Option<String>,
}

/// Reads a feed (already decoded to text).
pub fn read(text: &str, ctx: &ReadContext<'_>) -> Result<FeedOutput, ReadError> {
    let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if start.starts_with('{') || start.starts_with('[') {
        let (drafts, warnings) = json::read(start, ctx.document_url, ctx.settings.tz())?;
        return Ok(FeedOutput {
            drafts,
            format: SourceFormat::Jsonfeed,
            ttl_minutes: None,
            warnings,
            incomplete: None,
        });
    }
    read_xml(start, ctx)
}

/// RSS and Atom.
fn read_xml(text: &str, ctx: &ReadContext<'_>) -> Result<FeedOutput, ReadError> {
    let decoded = decode_base64_elements(text);
    let decoded = drop_empty_extension_text(&decoded);
    let prepared = prepass::prepare(&decoded);
    let format_name = if prepared.root.as_deref() == Some("feed") { "Atom" } else { "RSS" };
    let scan = scan::scan(&prepared.text, ctx.document_url);
    // A parser for each attempt: one that panicked is left in a broken state.
    let parser = || {
        Builder::new()
            .base_uri(ctx.document_url.map(Url::as_str))
            .sanitize_content(false)
            // An empty id marks "the feed gave none" (feed-rs would invent a hash or a UUID).
            .id_generator(|_, _, _| String::new())
            .build()
    };
    let parse = |text: &str| match parse_guarded(&parser(), text)? {
        // `<rss>` without `<channel>` (items straight under the root, or an empty feed): read
        // as if the channel were there.
        Err(ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot)) if prepared.root.as_deref() == Some("rss") => {
            match with_channel(text) {
                Some(text) => parse_guarded(&parser(), &text),
                None => Ok(Err(ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot))),
            }
        }
        other => Ok(other),
    };
    // feed-rs 3.0 panics on a person whose e-mail address follows a character of more than one
    // byte ("Anna Müller\u{a0}anna@example.org", found by fuzzing): such a document is read again
    // with those characters made spaces, and one that still panics is refused as malformed.
    let parsed =
        parse(&prepared.text).or_else(|_| parse(&space_before_addresses(&prepared.text))).map_err(|panic| {
            ReadError::Malformed {
                format: format_name,
                detail: format!("the feed parser (feed-rs) failed on it: {panic}"),
            }
        })?;
    let feed = parsed.map_err(|e| match e {
        // Not a feed at all but a course catalogue: say which format reads it.
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) if crate::detect::is_xcri(text) => {
            ReadError::Malformed {
                format: "XCRI-CAP",
                detail:
                    "this is an XCRI-CAP course catalogue (root <catalog>), not RSS or Atom; set format = \"xcri\" \
                         for this provider"
                        .to_owned(),
            }
        }
        e => malformed(format_name, &e, scan.error.as_ref(), prepared.root.as_deref()),
    })?;
    let format = match feed.feed_type {
        FeedType::Atom => SourceFormat::Atom,
        FeedType::JSON => SourceFormat::Jsonfeed,
        FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2 => SourceFormat::Rss,
    };
    // Extension data is matched by position; if the two passes disagree on the item count
    // (they walk the same elements, so only on documents feed-rs reads differently), none is used.
    let aligned = scan.items.len() == feed.entries.len();
    let tz = ctx.settings.tz();
    let drafts: Vec<Draft> = feed
        .entries
        .iter()
        .enumerate()
        .map_while(|(i, e)| {
            let d = map::entry(e, scan.items.get(i).filter(|_| aligned), &feed.feed_type, ctx.document_url, tz);
            crate::budget::take(d.sessions.len()).then_some(d)
        })
        .collect();
    let mut warnings = Vec::new();
    let mut incomplete = None;
    if let Some(t) = &prepared.truncation {
        if drafts.is_empty() {
            return Err(ReadError::Malformed {
                format: format_name,
                detail: format!("the document is truncated at line {} and holds no complete item", t.line),
            });
        }
        let message = format!(
            "the {format_name} document is truncated at line {}: {} complete item{} recovered{}",
            t.line,
            drafts.len(),
            if drafts.len() == 1 { " was" } else { "s were" },
            if t.dropped_partial_item { "; the cut-off last item was dropped" } else { "" }
        );
        warnings.push(Warning::document(message.clone()));
        incomplete = Some(message);
    }
    Ok(FeedOutput { drafts, format, ttl_minutes: feed.ttl, warnings, incomplete })
}

/// The document with a `<channel>` inside its `<rss>` root (which the pre-pass has closed).
fn with_channel(xml: &str) -> Option<String> {
    let root = xml.find("<rss")?;
    let open_end = root + xml[root..].find('>')? + 1;
    if xml[..open_end].ends_with("/>") {
        return Some(format!("{}><channel></channel></rss>", &xml[..open_end - 2]));
    }
    let close = xml.rfind("</rss>")?;
    (close >= open_end)
        .then(|| format!("{}<channel>{}</channel>{}", &xml[..open_end], &xml[open_end..close], &xml[close..]))
}

/// Empty text elements of extension namespaces (`<media:description/>`, `<media:title></media:title>`):
/// feed-rs refuses the whole document for one ("missing text"), and they carry nothing.
fn drop_empty_extension_text(text: &str) -> std::borrow::Cow<'_, str> {
    static EMPTY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"<([A-Za-z_][\w.-]*:(?:title|description|text|keywords|credit|copyright|category|summary|subtitle))(?:\s[^<>]*?)?(?:/>|>\s*(?:<!\[CDATA\[\s*\]\]>\s*)?</([A-Za-z_][\w.-]*:[\w.-]+)\s*>)",
        )
        .expect("static regex")
    });
    if !EMPTY.is_match(text) {
        return std::borrow::Cow::Borrowed(text);
    }
    EMPTY.replace_all(text, |c: &regex::Captures<'_>| match c.get(2) {
        // `<a:x></b:y>` is not one empty element: left as written.
        Some(close) if close.as_str() != &c[1] => c[0].to_owned(),
        _ => String::new(),
    })
}

/// Base64 text constructs: Atom 0.3's `mode="base64"`, and Atom 1.0 content whose `type` is a
/// MIME type that is neither text nor XML. feed-rs reads them verbatim, so each one's content is
/// decoded and XML-escaped in place and marked `type="html"`; content that is not valid base64
/// or not UTF-8 is left as it is.
fn decode_base64_elements(text: &str) -> std::borrow::Cow<'_, str> {
    static ELEMENT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?s)<((?:[A-Za-z_][\w.-]*:)?(?:title|summary|content|tagline|info|subtitle|copyright|rights))(\s[^<>]*?)?>([^<]*)</",
        )
        .expect("static regex")
    });
    static ATTR: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"\s(mode|type)\s*=\s*["']([^"']*)["']"#).expect("static regex")
    });
    use base64::Engine as _;
    if !text.contains("base64") && !text.contains("octet-stream") && !text.contains("type=\"image/") {
        return std::borrow::Cow::Borrowed(text);
    }
    ELEMENT.replace_all(text, |c: &regex::Captures<'_>| {
        let attrs = c.get(2).map_or("", |m| m.as_str());
        let is_base64 = ATTR.captures_iter(attrs).any(|a| match &a[1] {
            "mode" => a[2].eq_ignore_ascii_case("base64"),
            _ => {
                let t = a[2].to_ascii_lowercase();
                t.contains('/') && !t.starts_with("text/") && !t.ends_with("xml") && !t.ends_with("+xml")
            }
        });
        let decoded = is_base64
            .then(|| c[3].chars().filter(|ch| !ch.is_whitespace()).collect::<String>())
            .and_then(|raw| base64::engine::general_purpose::STANDARD.decode(raw.as_bytes()).ok())
            .and_then(|b| String::from_utf8(b).ok());
        match decoded {
            Some(d) => {
                format!("<{} type=\"html\"{}>{}</", &c[1], ATTR.replace_all(attrs, ""), crate::text::escape_html(&d))
            }
            None => c[0].to_owned(),
        }
    })
}

/// The error of a document feed-rs refuses, with the XML position when quick-xml found one.
/// `parser.parse(text)`, with a panic inside feed-rs caught and given as its message.
fn parse_guarded(parser: &Parser, text: &str) -> Result<Result<Feed, ParseFeedError>, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(text.as_bytes()))).map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "a panic".to_owned())
    })
}

/// `text` with each non-ASCII character that directly precedes an e-mail address's local part
/// (letters, digits, `._%+-` up to an `@`) replaced by a space.
fn space_before_addresses(text: &str) -> String {
    let local = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let chars: Vec<char> = text.chars().collect();
    let mut out = chars.clone();
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let mut i = at;
        while i > 0 && local(chars[i - 1]) {
            i -= 1;
        }
        if i > 0 && !chars[i - 1].is_ascii() {
            out[i - 1] = ' ';
        }
    }
    out.into_iter().collect()
}

fn malformed(
    format: &'static str,
    e: &ParseFeedError,
    xml_error: Option<&(usize, usize, String)>,
    root: Option<&str>,
) -> ReadError {
    let detail = match (e, xml_error) {
        (ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot), _) => match root {
            Some(root) => {
                format!("no RSS <channel>, RSS 1.0 <rdf:RDF> or Atom <feed> was found; the root element is <{root}>")
            }
            None => "no XML element was found".to_owned(),
        },
        (_, Some((line, column, message))) => format!("line {line}, column {column}: {message}"),
        (e, None) => e.to_string(),
    };
    ReadError::Malformed { format, detail }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::ReaderSettings;
    use crate::test_support::{fetched_at, with_ctx};

    fn read_with(text: &str, settings: &ReaderSettings) -> Result<FeedOutput, ReadError> {
        with_ctx(settings, Some("https://college.example/news/rss.php"), fetched_at(), |ctx| read(text, ctx))
    }

    fn read_doc(text: &str) -> Result<FeedOutput, ReadError> {
        read_with(text, &ReaderSettings { time_zone: "Europe/Minsk".into(), ..ReaderSettings::default() })
    }

    const RSS_RU: &str = r#"<?xml version="1.0" encoding="windows-1251"?>
<rss version="2.0" xmlns:ev="http://purl.org/rss/1.0/modules/event/" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>Колледж</title><link>https://college.example/</link><ttl>120</ttl>
<item>
  <title>Мастер-класс &laquo;Резьба по дереву&raquo; & выставка</title>
  <link>/events/42</link>
  <guid isPermaLink="false">event-42</guid>
  <description><![CDATA[<p>Приглашаем &laquo;всех&raquo; <b>желающих</b></p>]]></description>
  <category>Мастер-классы</category>
  <pubDate>Mon, 24 Feb 2025 10:00:00 +0300</pubDate>
  <ev:startdate>2025-03-12T15:00:00+03:00</ev:startdate>
  <ev:enddate>2025-03-12T17:00:00+03:00</ev:enddate>
  <ev:location>Витебск, ул. Чкалова, 14, ауд. 201</ev:location>
  <media:thumbnail url="/img/42.jpg"/>
  <enclosure url="https://college.example/ics/42.ics" type="text/calendar" length="100"/>
</item>
<item><title>Без даты</title><guid>https://college.example/n/7</guid></item>
</channel></rss>"#;

    #[test]
    fn an_address_after_a_wide_character_does_not_bring_the_parser_down() {
        // feed-rs 3.0 panics slicing before the address; found by `scripts/fuzz` (read_feed).
        let rss = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>t</title>\
            <item><title>Kurs</title><link>https://a.example/k</link>\
            <author>Max Mustermann\u{a0}max@example.org</author></item>\
            <item><title>Vortrag</title><link>https://a.example/v</link>\
            <dc:creator xmlns:dc=\"http://purl.org/dc/elements/1.1/\">Anna Müller\u{a0}anna@example.org</dc:creator>\
            </item></channel></rss>";
        let out = read_doc(rss).unwrap();
        let titles: Vec<&str> = out.drafts.iter().filter_map(|d| d.title.as_deref()).collect();
        assert_eq!(titles, ["Kurs", "Vortrag"]);
        assert_eq!(space_before_addresses("Anna Müller\u{a0}anna@x.org ’b@y"), "Anna Müller anna@x.org  b@y");
    }

    #[test]
    fn maps_an_rss_item_with_event_module() {
        let out = read_doc(RSS_RU).unwrap();
        assert_eq!((out.format, out.ttl_minutes), (SourceFormat::Rss, Some(120)));
        assert!(out.warnings.is_empty());
        let d = &out.drafts[0];
        assert_eq!(d.guid.as_deref(), Some("event-42"));
        assert_eq!(d.url.as_deref(), Some("https://college.example/events/42"));
        assert_eq!(d.title.as_deref(), Some("Мастер-класс «Резьба по дереву» & выставка"));
        assert_eq!(d.description_html.as_deref(), Some("<p>Приглашаем &laquo;всех&raquo; <b>желающих</b></p>"));
        assert_eq!(d.summary, None);
        assert_eq!(d.categories, ["Мастер-классы"]);
        assert_eq!(d.published_at.map(|t| t.to_rfc3339()).as_deref(), Some("2025-02-24T07:00:00+00:00"));
        assert_eq!(d.sessions.len(), 1);
        assert_eq!(d.sessions[0].start.to_rfc3339(), "2025-03-12T15:00:00+03:00");
        assert_eq!(d.sessions[0].end.map(|t| t.to_rfc3339()).as_deref(), Some("2025-03-12T17:00:00+03:00"));
        assert_eq!(d.location_text.as_deref(), Some("Витебск, ул. Чкалова, 14, ауд. 201"));
        assert_eq!(d.images, ["https://college.example/img/42.jpg"]);
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        // No link: a permalink GUID is the landing page; no event date: a warning.
        let d = &out.drafts[1];
        assert_eq!(d.url.as_deref(), Some("https://college.example/n/7"));
        assert_eq!(d.warnings, [("start".to_owned(), NO_DATE.to_owned())]);
    }

    #[test]
    fn missing_ids_stay_missing() {
        let out =
            read_doc("<rss version=\"2.0\"><channel><item><title>A</title><link>https://a.example/1</link></item></channel></rss>")
                .unwrap();
        assert_eq!(out.drafts[0].guid, None);
        let out =
            read_doc("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>A</title><id>  </id></entry></feed>")
                .unwrap();
        assert_eq!(out.drafts[0].guid, None);
    }

    #[test]
    fn atom_text_content_xml_base_and_summary() {
        let out = read_doc(
            r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://museum.example/be/">
<title>Музей</title><id>urn:m</id>
<entry xml:base="padzei/"><id>urn:m:1</id><title type="text">Лекцыя: &lt;b&gt; тэг</title>
<link rel="alternate" href="1.html"/><link rel="enclosure" type="image/jpeg" href="/img/1.jpg"/>
<summary>Кароткі &amp; змест</summary><content type="html">&lt;p&gt;Поўны&lt;/p&gt;</content>
<updated>2025-02-20T12:00:00+03:00</updated><published>2025-02-19T12:00:00+03:00</published>
<category term="lectures" label="Лекцыі"/><author><name>Прэс-служба</name></author></entry></feed>"#,
        )
        .unwrap();
        assert_eq!(out.format, SourceFormat::Atom);
        let d = &out.drafts[0];
        assert_eq!(d.url.as_deref(), Some("https://museum.example/be/padzei/1.html"));
        assert_eq!(d.title.as_deref(), Some("Лекцыя: &lt;b&gt; тэг"));
        assert_eq!(d.description_html.as_deref(), Some("<p>Поўны</p>"));
        assert_eq!(d.summary.as_deref(), Some("Кароткі &amp; змест"));
        assert_eq!(d.categories, ["Лекцыі"]);
        assert_eq!(d.images, ["https://museum.example/img/1.jpg"]);
        assert_eq!(d.organizer, None);
        assert!(d.updated_at > d.published_at);
    }

    #[test]
    fn base64_text_constructs_are_decoded() {
        let doc = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><title type="text/html" mode="base64">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</title></entry></feed>"#;
        let out = decode_base64_elements(doc);
        assert!(out.contains(r#"<title type="html">Example &lt;b&gt;Atom&lt;/b&gt;</title>"#), "{out}");
        let atom10 = r#"<feed><entry><content type="application/octet-stream">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</content></entry></feed>"#;
        assert!(decode_base64_elements(atom10).contains(r#"<content type="html">Example &lt;b&gt;"#));
        let bad = r#"<feed><entry><title mode="base64">not base64!</title></entry></feed>"#;
        assert_eq!(decode_base64_elements(bad), bad);
    }

    /// One empty `<media:description/>` made feed-rs refuse the whole feed ("missing text").
    #[test]
    fn empty_extension_elements_do_not_cost_the_feed() {
        let out = read_doc(
            r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>C</title>
<item><title>A</title><link>https://a.example/1</link><media:description/><media:title type="plain"></media:title>
<media:content url="https://a.example/1.jpg" type="image/jpeg"><media:description><![CDATA[]]></media:description></media:content></item>
<item><title>B</title><link>https://a.example/2</link></item></channel></rss>"#,
        )
        .unwrap();
        let titles: Vec<&str> = out.drafts.iter().filter_map(|d| d.title.as_deref()).collect();
        assert_eq!(titles, ["A", "B"]);
        assert_eq!(out.drafts[0].images, ["https://a.example/1.jpg"]);
    }

    /// A relative `<link>` with no xml:base and no document URL was dropped without a word.
    #[test]
    fn a_relative_link_without_base_is_a_warning() {
        let rss = r#"<rss version="2.0"><channel><item><title>A</title><link>/events/1</link></item></channel></rss>"#;
        let out = with_ctx(&ReaderSettings::default(), None, fetched_at(), |ctx| read(rss, ctx)).unwrap();
        let d = &out.drafts[0];
        assert_eq!(d.url, None);
        assert!(
            d.warnings.iter().any(|(f, m)| f == "url" && m.contains("`/events/1` is a relative link")),
            "{:?}",
            d.warnings
        );
    }

    #[test]
    fn truncated_feeds_keep_complete_items() {
        let cut = &RSS_RU[..RSS_RU.find("<item><title>Без").unwrap() + 20];
        let out = read_doc(cut).unwrap();
        assert_eq!(out.drafts.len(), 1);
        assert_eq!(out.warnings.len(), 1);
        assert!(out.warnings[0].message.contains("truncated at line"), "{}", out.warnings[0]);
        assert!(out.warnings[0].message.contains("1 complete item was recovered; the cut-off last item was dropped"));

        let err = read_doc(&RSS_RU[..RSS_RU.find("</item>").unwrap()]).unwrap_err();
        assert!(
            matches!(err, ReadError::Malformed { format: "RSS", ref detail } if detail.contains("no complete item")),
            "{err}"
        );
    }

    #[test]
    fn unreadable_documents_name_the_problem() {
        let err = read_doc("<html><body>hello</body></html>").unwrap_err();
        assert!(err.to_string().contains("the root element is <html>"), "{err}");
        // An XCRI-CAP catalogue was "an RSS document whose root element is <catalog>".
        let err = read_doc(
            "<?xml version=\"1.0\"?><catalog xmlns=\"http://xcri.org/profiles/1.2/catalog\"><provider><course>\
             <title>Python</title></course></provider></catalog>",
        )
        .unwrap_err();
        assert!(matches!(err, ReadError::Malformed { format: "XCRI-CAP", .. }), "{err}");
        assert!(err.to_string().contains("set format = \"xcri\""), "{err}");
        let err = read_doc("{\"version\": ").unwrap_err();
        assert!(matches!(err, ReadError::Malformed { format: "JSON Feed", .. }), "{err}");
    }

    #[test]
    fn rss_without_channel() {
        let out = read_doc("<rss version=\"2.0\"><item><title>A</title></item></rss>").unwrap();
        assert_eq!(out.drafts.len(), 1);
        assert_eq!(read_doc("<rss version=\"2.0\">\n</rss>").unwrap().drafts.len(), 0);
        assert_eq!(read_doc("<rss version=\"2.0\"/>").unwrap().drafts.len(), 0);
    }

    #[test]
    fn undecodable_event_dates_are_warnings() {
        let out = read_doc(
            r#"<rss version="2.0" xmlns:ev="http://purl.org/rss/1.0/modules/event/"><channel><item><title>A</title>
<ev:startdate>12 марта</ev:startdate></item><item><title>B</title><ev:startdate>2025-03-14</ev:startdate><ev:enddate>soon</ev:enddate></item></channel></rss>"#,
        )
        .unwrap();
        assert_eq!(out.drafts[0].sessions, []);
        assert!(out.drafts[0].warnings[0].1.contains("`12 марта` in ev:startdate is not a date"));
        let b = &out.drafts[1];
        assert!(b.sessions[0].all_day);
        assert_eq!(b.sessions[0].end.map(|t| t.to_rfc3339()).as_deref(), Some("2025-03-15T00:00:00+03:00"));
        assert_eq!(b.warnings[0].0, "end");
    }

    #[test]
    fn rss1_rdf_items() {
        let out = read_doc(
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://lib.example/"><title>Бібліятэка</title><link>https://lib.example/</link><items><rdf:Seq><rdf:li resource="https://lib.example/e/1"/></rdf:Seq></items></channel>
<item rdf:about="https://lib.example/e/1"><title>Кніжны клуб</title><link>https://lib.example/e/1</link><dc:date>2025-02-10T10:00:00+03:00</dc:date></item>
</rdf:RDF>"#,
        )
        .unwrap();
        assert_eq!(out.drafts.len(), 1);
        assert_eq!(out.drafts[0].url.as_deref(), Some("https://lib.example/e/1"));
        assert!(out.drafts[0].published_at.is_some());
    }

    /// A deep document and a long one are read to their end (how long it takes is for the fuzz
    /// targets' timeout and the read's time budget, not for a test to assert).
    #[test]
    fn deep_and_repetitive_documents_are_read_to_their_end() {
        let deep = format!("<rss version=\"2.0\"><channel><item><title>x</title>{}", "<div>".repeat(50_000));
        // Cut off inside its only item: refused with what happened, not read half.
        match read_doc(&deep) {
            Err(ReadError::Malformed { detail, .. }) => assert!(detail.contains("truncated"), "{detail}"),
            other => panic!("expected a truncated document: {:?}", other.map(|o| o.drafts.len())),
        }
        let many = format!(
            "<rss version=\"2.0\"><channel>{}</channel></rss>",
            "<item><title>A &amp; B</title><description>&lt;p&gt;x&lt;/p&gt;</description></item>".repeat(20_000)
        );
        assert_eq!(read_doc(&many).map(|o| o.drafts.len()).ok(), Some(20_000));
    }
}
