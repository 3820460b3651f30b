//! Format sniffing: which reader a document needs, from its first characters and the
//! `Content-Type`. The content wins over the header, because providers often serve feeds as
//! `text/html` or calendars as `text/plain`.

use crate::{FormatHint, ReadError};

/// Decides the format of a decoded document.
pub fn sniff(text: &str, content_type: Option<&str>) -> Result<FormatHint, ReadError> {
    let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if starts_with_ignore_case(start, "BEGIN:VCALENDAR") || starts_with_ignore_case(start, "BEGIN:VEVENT") {
        return Ok(FormatHint::Ical);
    }
    if start.starts_with('{') || start.starts_with('[') {
        return Ok(sniff_json(start));
    }
    if start.starts_with('<') {
        return Ok(sniff_markup(start));
    }
    let mime = content_type.map(|c| c.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    match mime.as_deref() {
        Some("text/calendar") => Ok(FormatHint::Ical),
        Some("application/feed+json") => Ok(FormatHint::Jsonfeed),
        Some("text/html") => Ok(FormatHint::Html),
        _ => Err(ReadError::UnknownFormat { start: start.chars().take(40).collect() }),
    }
}

/// True for an XCRI-CAP course catalogue (`<catalog xmlns="http://xcri.org/profiles/1.2/catalog">`):
/// XML that the feed reader cannot read, so that its error can name the format to set.
pub fn is_xcri(text: &str) -> bool {
    let head: String = text.chars().take(4096).collect();
    let start = head.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let root_is_catalog = start.starts_with('<') && sniff_root(start).rsplit(':').next() == Some("catalog");
    root_is_catalog || head.contains("xcri.org/profiles")
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// JSON Feed declares its version URL; anything else in JSON is read as JSON-LD (by the HTML reader).
fn sniff_json(text: &str) -> FormatHint {
    let head: String = text.chars().take(4096).collect();
    if head.contains("jsonfeed.org/version") { FormatHint::Jsonfeed } else { FormatHint::Html }
}

/// The first element name, skipping the XML declaration, comments, processing instructions and doctype.
fn sniff_markup(text: &str) -> FormatHint {
    let rest = after_prolog(text);
    if starts_with_ignore_case(rest, "<!doctype html") {
        return FormatHint::Html;
    }
    let name = sniff_root(rest);
    let local = name.rsplit(':').next().unwrap_or_default();
    match local {
        "rss" | "rdf" | "channel" => FormatHint::Rss,
        "feed" => FormatHint::Atom,
        // Unknown XML roots go to the feed reader, which names what it found.
        "" | "html" | "head" | "body" | "div" | "meta" | "title" | "section" | "article" | "main" | "script" => {
            FormatHint::Html
        }
        _ if crate::xcri::looks_like_xcri(local, rest) => FormatHint::Xcri,
        _ if rest.contains("<html") || rest.contains("<body") => FormatHint::Html,
        _ => FormatHint::Rss,
    }
}

/// The text from its first element (or `<!doctype html`), past the XML declaration, comments,
/// processing instructions and other doctypes.
fn after_prolog(text: &str) -> &str {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->").map_or("", |(_, r)| r);
        } else if rest.starts_with("<?") || rest.starts_with("<!") {
            if starts_with_ignore_case(rest, "<!doctype html") {
                return rest;
            }
            rest = rest.split_once('>').map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    rest
}

/// The lowercased (qualified) name of the element `text` starts with.
fn sniff_root(text: &str) -> String {
    let rest = after_prolog(text);
    rest.trim_start_matches('<')
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
        .collect::<String>()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_every_format() {
        let cases = [
            ("BEGIN:VCALENDAR\r\nVERSION:2.0", FormatHint::Ical),
            ("<?xml version=\"1.0\"?>\n<!-- c -->\n<rss version=\"2.0\">", FormatHint::Rss),
            ("<rdf:RDF xmlns:rdf=\"x\">", FormatHint::Rss),
            ("<?xml version='1.0'?><feed xmlns=\"http://www.w3.org/2005/Atom\">", FormatHint::Atom),
            ("{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": []}", FormatHint::Jsonfeed),
            ("{\"@context\": \"https://schema.org\", \"@type\": \"Course\"}", FormatHint::Html),
            ("<!DOCTYPE html><html><body>", FormatHint::Html),
            ("  <html lang=\"be\">", FormatHint::Html),
            ("<?xml version=\"1.0\"?>\n<catalog xmlns=\"http://xcri.org/profiles/1.2/catalog\">", FormatHint::Xcri),
            ("<xcri:catalog xmlns:xcri=\"http://xcri.org/profiles/1.2/catalog\">", FormatHint::Xcri),
        ];
        for (text, want) in cases {
            assert_eq!(sniff(text, None).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn recognises_xcri_catalogues() {
        assert!(is_xcri("<?xml version=\"1.0\"?>\n<catalog xmlns=\"http://xcri.org/profiles/1.2/catalog\">"));
        assert!(is_xcri("<xcri:catalog xmlns:xcri=\"http://xcri.org/profiles/1.2/catalog\">"));
        assert!(!is_xcri("<rss version=\"2.0\"><channel>"));
    }

    #[test]
    fn header_decides_only_when_content_does_not() {
        assert_eq!(sniff("<rss>", Some("text/html")).unwrap(), FormatHint::Rss);
        assert_eq!(sniff("hello", Some("text/calendar; charset=utf-8")).unwrap(), FormatHint::Ical);
        assert!(matches!(sniff("hello world", None), Err(ReadError::UnknownFormat { .. })));
    }
}
