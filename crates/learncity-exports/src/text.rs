//! Text shared by the three formats: cleaning of provider text (control characters, line
//! breaks), sanitised HTML to plain text, percent-encoding of ids, the filter that keeps only
//! web links, an entry's one-line location, and the plain-text description a calendar shows.

use std::fmt::Write as _;

use learncity_model::{Entry, Location};

use crate::FeedMeta;

/// True for a character no export carries: the C0 controls but tab and line feed (a carriage
/// return is turned into a line feed before this test), DEL, the C1 controls, and U+FFFE/U+FFFF.
/// This covers everything XML 1.0 forbids (Rust `char`s are never surrogates), everything
/// iCalendar TEXT forbids, and the controls XML 1.0 discourages.
pub(crate) fn is_unwanted(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
}

/// Provider text made safe for every format: line breaks (`\r\n`, `\r`) become `\n`, and the
/// characters no export carries are dropped (C0 controls but tab and line feed, DEL, C1
/// controls, U+FFFE, U+FFFF). Everything else is kept as is.
pub fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            c if is_unwanted(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// [`clean_text`], trimmed, `None` when nothing is left.
pub(crate) fn clean_opt(s: Option<&str>) -> Option<String> {
    let cleaned = clean_text(s?);
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Appends `s` percent-encoded as one URI path segment: every byte but the unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) becomes `%XX`.
pub(crate) fn push_percent_encoded(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// A link worth putting in an export: an `http`/`https` URL without whitespace or control
/// characters, trimmed. Anything else (`javascript:`, relative paths, junk) is `None`.
pub(crate) fn web_url(url: Option<&str>) -> Option<&str> {
    let url = url?.trim();
    let lower = url.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    let scheme_ok = lower.starts_with("http://") || lower.starts_with("https://");
    let host_ok = url.len() > if lower.starts_with("https://") { 8 } else { 7 };
    let chars_ok = !url.chars().any(|c| c.is_whitespace() || c.is_control() || is_unwanted(c));
    (scheme_ok && host_ok && chars_ok).then_some(url)
}

/// An entry's location on one line: venue, address, city, joined by `, `, leaving out a part
/// an earlier part already contains ("ул. Ленина, 5, Витебск" and "Витебск"). `None` when the
/// entry has no location or every part is empty.
pub(crate) fn location_line(location: Option<&Location>) -> Option<String> {
    let location = location?;
    let mut parts: Vec<String> = Vec::new();
    for part in [&location.venue, &location.address, &location.city] {
        let Some(part) = clean_opt(part.as_deref()) else { continue };
        let part = part.replace('\n', " ");
        if !parts.iter().any(|p| p.contains(&part)) {
            parts.push(part);
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// What a feed reader shows of an offering before its description: when (the first session in
/// its own time zone, the last one's date and how many when there are several), where (the place,
/// or "online") and the price, joined by " · " — e.g. `2027-01-12 18:30 … 2027-02-25 (12) ·
/// Библиотека, ул. Ленина, 5 · 15 BYN`. Words ("free", "online") in `language` (be, ru, else en).
pub(crate) fn facts_line(entry: &Entry, language: Option<&str>) -> Option<String> {
    let (free, online) = match language.map(|l| l.get(..2).unwrap_or(l)) {
        Some("be") => ("бясплатна", "анлайн"),
        Some("ru") => ("бесплатно", "онлайн"),
        _ => ("free", "online"),
    };
    let mut parts: Vec<String> = Vec::new();
    let live: Vec<&learncity_model::Session> = entry.sessions.iter().filter(|s| !s.cancelled).collect();
    if let (Some(first), Some(last)) = (live.first(), live.last()) {
        let mut when = if first.all_day {
            first.start.format("%Y-%m-%d").to_string()
        } else {
            first.start.format("%Y-%m-%d %H:%M").to_string()
        };
        if live.len() > 1 {
            let _ = write!(when, " … {} ({})", last.start.format("%Y-%m-%d"), live.len());
        }
        parts.push(when);
    }
    match location_line(entry.location.as_ref()) {
        Some(place) => parts.push(place),
        None if entry.online_url.is_some() || entry.mode == learncity_model::Mode::Online => {
            parts.push(online.to_owned());
        }
        None => {}
    }
    if let Some(price) = &entry.price {
        let amount = |a: f64| if a.fract() == 0.0 { format!("{a:.0}") } else { format!("{a:.2}") };
        let currency = clean_opt(price.currency.as_deref()).map(|c| format!(" {c}")).unwrap_or_default();
        match (price.free, price.amount, price.amount_max) {
            (true, _, _) => parts.push(free.to_owned()),
            (false, Some(a), Some(b)) if b > a => parts.push(format!("{}–{}{currency}", amount(a), amount(b))),
            (false, Some(a), _) => parts.push(format!("{}{currency}", amount(a))),
            _ => {}
        }
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// Provider names of the entry's sources (the id when a source has no name), each once, in
/// source order.
pub(crate) fn source_names(entry: &Entry) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for source in &entry.sources {
        let name = clean_opt(source.provider_name.as_deref()).or_else(|| clean_opt(Some(&source.provider_id)));
        if let Some(name) = name.map(|n| n.replace('\n', " "))
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

/// The body text of an entry: its summary, or else its HTML description as plain text.
pub(crate) fn body_text(entry: &Entry) -> Option<String> {
    clean_opt(entry.summary.as_deref()).or_else(|| {
        let text = html_to_text(&clean_text(entry.description_html.as_deref()?));
        (!text.is_empty()).then_some(text)
    })
}

/// The plain-text description of an entry for a calendar: the body ([`body_text`]), a blank
/// line, then `Register: URL`, `Online: URL`, `More: {entry page}` and `Sources: A, B`, each on
/// its own line when known. Already cleaned; not escaped.
pub(crate) fn plain_description(entry: &Entry, meta: &FeedMeta) -> String {
    let mut lines: Vec<String> = Vec::new();
    if let Some(url) = web_url(entry.registration_url.as_deref()) {
        lines.push(format!("Register: {url}"));
    }
    if let Some(url) = web_url(entry.online_url.as_deref()) {
        lines.push(format!("Online: {url}"));
    }
    lines.push(format!("More: {}", meta.entry_url(&entry.id)));
    let names = source_names(entry);
    match names.len() {
        0 => {}
        1 => lines.push(format!("Source: {}", names[0])),
        _ => lines.push(format!("Sources: {}", names.join(", "))),
    }
    let links = lines.join("\n");
    match body_text(entry) {
        Some(body) => format!("{body}\n\n{links}"),
        None => links,
    }
}

/// Block elements that end a paragraph.
const PARAGRAPH_TAGS: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "dl",
    "blockquote",
    "pre",
    "table",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "figure",
    "address",
];
/// Elements that end a line.
const LINE_TAGS: &[&str] = &["br", "li", "tr", "dt", "dd", "figcaption"];

/// Plain text of (sanitised) HTML: tags dropped, paragraphs and list items on their own lines
/// (`- ` before a list item), runs of HTML whitespace collapsed, the common character
/// references decoded (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;`, numeric ones; an
/// unknown one is kept verbatim, and so is a bare `&` or `<` that starts no tag), comments and
/// the content of `script`/`style` dropped. Trimmed.
pub fn html_to_text(html: &str) -> String {
    let mut out = TextBuilder::default();
    let mut rest = html;
    while let Some(pos) = rest.find(['<', '&']) {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        if rest.starts_with('&') {
            let (decoded, len) = decode_reference(rest);
            match decoded {
                Some(c) => out.push_char(c),
                None => out.push_str(&rest[..len]),
            }
            rest = &rest[len..];
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
        } else if let Some((name, closing, len)) = parse_tag(rest) {
            rest = &rest[len..];
            if !closing && (name == "script" || name == "style") {
                let close = format!("</{name}");
                rest = find_ignore_ascii_case(rest, &close)
                    .map_or("", |end| &rest[end..])
                    .split_once('>')
                    .map_or("", |(_, after)| after);
            } else if PARAGRAPH_TAGS.contains(&name.as_str()) {
                out.line_break(2);
            } else if LINE_TAGS.contains(&name.as_str()) {
                out.line_break(1);
                if name == "li" && !closing {
                    out.push_str("- ");
                }
            }
        } else {
            out.push_char('<');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out.finish()
}

/// Byte offset of `needle` in `haystack`, ASCII case-insensitively.
fn find_ignore_ascii_case(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    (0..=h.len().checked_sub(n.len())?).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// A tag at the start of `s` (`<name ...>` or `</name>`): its lowercase name, whether it
/// closes, and its length in bytes. `None` when `s` starts no tag.
fn parse_tag(s: &str) -> Option<(String, bool, usize)> {
    let inner = s.strip_prefix('<')?;
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(after) => (true, after),
        None => (false, inner),
    };
    let name_len = inner.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(inner.len());
    if name_len == 0 || !inner.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let end = s.find('>')?;
    Some((inner[..name_len].to_ascii_lowercase(), closing, end + 1))
}

/// A character reference at the start of `s` (which starts with `&`): the character, if it is
/// one this decoder knows, and the length to consume (1 for a bare `&`).
fn decode_reference(s: &str) -> (Option<char>, usize) {
    let Some(end) = s.char_indices().take(34).find(|&(_, c)| c == ';').map(|(i, _)| i) else {
        return (None, 1);
    };
    let name = &s[1..end];
    let decoded = if let Some(num) = name.strip_prefix('#') {
        let value = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse::<u32>().ok(),
        };
        value.and_then(char::from_u32).filter(|c| *c != '\0')
    } else {
        match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            "ndash" => Some('\u{2013}'),
            "mdash" => Some('\u{2014}'),
            "laquo" => Some('\u{ab}'),
            "raquo" => Some('\u{bb}'),
            "hellip" => Some('\u{2026}'),
            _ => None,
        }
    };
    match decoded {
        Some(c) => (Some(c), end + 1),
        None => (None, 1),
    }
}

/// Builds plain text with HTML's whitespace collapsing and explicit line breaks.
#[derive(Default)]
struct TextBuilder {
    out: String,
    pending_space: bool,
}

impl TextBuilder {
    fn push_str(&mut self, s: &str) {
        s.chars().for_each(|c| self.push_char(c));
    }

    fn push_char(&mut self, c: char) {
        if matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}') {
            self.pending_space = true;
            return;
        }
        if self.pending_space && !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push(' ');
        }
        self.pending_space = false;
        self.out.push(c);
    }

    /// Ends the line; with `n == 2` leaves a blank line too. Never at the start of the text.
    fn line_break(&mut self, n: usize) {
        self.pending_space = false;
        let trimmed_len = self.out.trim_end_matches([' ', '\u{a0}']).len();
        self.out.truncate(trimmed_len);
        if self.out.is_empty() {
            return;
        }
        let present = self.out.len() - self.out.trim_end_matches('\n').len();
        for _ in present..n {
            self.out.push('\n');
        }
    }

    fn finish(self) -> String {
        self.out.lines().map(str::trim_end).collect::<Vec<_>>().join("\n").trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_normalises_breaks_and_drops_controls() {
        assert_eq!(clean_text("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(clean_text("x\u{0}\u{7}\u{1b}\u{7f}\u{85}\u{9f}\u{fffe}\u{ffff}y\tz"), "xy\tz");
        assert_eq!(clean_text("Кириллица 🎨 \u{a0}é"), "Кириллица 🎨 \u{a0}é");
    }

    #[test]
    fn html_to_text_keeps_paragraphs_and_decodes_references() {
        assert_eq!(html_to_text("<p>a &amp; b</p>"), "a & b");
        assert_eq!(html_to_text("<p>a & b</p>"), "a & b");
        assert_eq!(
            html_to_text("<h2>План</h2>\n<p>Первый  \n абзац<br>строка</p><ul><li>один</li><li>два</li></ul>"),
            "План\n\nПервый абзац\nстрока\n\n- один\n- два"
        );
        assert_eq!(html_to_text("1 &lt; 2 &#x263A; &#9731; &bogus; &"), "1 < 2 \u{263a} \u{2603} &bogus; &");
        assert_eq!(html_to_text("<!-- x --><script>alert(1)</script><STYLE>p{}</style>ok"), "ok");
        assert_eq!(html_to_text("a < b <3"), "a < b <3");
        assert_eq!(html_to_text("<p>unterminated"), "unterminated");
        assert_eq!(html_to_text("<a href=\"https://x.example/\">link</a> text"), "link text");
        assert_eq!(html_to_text(""), "");
    }

    #[test]
    fn web_url_keeps_only_http_links() {
        assert_eq!(web_url(Some(" https://x.example/a?b=1 ")), Some("https://x.example/a?b=1"));
        assert_eq!(web_url(Some("HTTP://x.example")), Some("HTTP://x.example"));
        assert_eq!(web_url(Some("javascript:alert(1)")), None);
        assert_eq!(web_url(Some("/relative")), None);
        assert_eq!(web_url(Some("https://")), None);
        assert_eq!(web_url(Some("https://x.example/a b")), None);
        assert_eq!(web_url(None), None);
    }

    #[test]
    fn facts_line_says_when_where_and_the_price() {
        let mut e: Entry = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "id": "e-0000000000000001", "title": "Курс", "kind": "course",
            "mode": "in_person", "status": "scheduled", "audience": {}, "sources": [],
            "updated_at": "2026-12-01T10:00:00Z",
            "sessions": [
                {"start": "2027-01-12T18:30:00+03:00"},
                {"start": "2027-01-14T18:30:00+03:00", "cancelled": true},
                {"start": "2027-02-25T18:30:00+03:00"}
            ],
            "location": {"venue": "Библиотека", "address": "ул. Ленина, 5"},
            "price": {"free": false, "amount": 15, "amount_max": 20.5, "currency": "BYN"}
        }))
        .unwrap();
        assert_eq!(
            facts_line(&e, Some("ru")).as_deref(),
            Some("2027-01-12 18:30 … 2027-02-25 (2) · Библиотека, ул. Ленина, 5 · 15–20.50 BYN")
        );
        e.sessions.truncate(1);
        e.location = None;
        e.mode = learncity_model::Mode::Online;
        e.price = Some(learncity_model::Price::free());
        assert_eq!(facts_line(&e, Some("be")).as_deref(), Some("2027-01-12 18:30 · анлайн · бясплатна"));
        assert_eq!(facts_line(&e, None).as_deref(), Some("2027-01-12 18:30 · online · free"));
        e.sessions.clear();
        e.mode = learncity_model::Mode::InPerson;
        e.price = None;
        assert_eq!(facts_line(&e, Some("en")), None);
    }

    #[test]
    fn location_line_joins_and_skips_repeats() {
        let loc = Location {
            venue: Some("Библиотека, зал 2".into()),
            address: Some("ул. Ленина, 5, Витебск".into()),
            city: Some("Витебск".into()),
            ..Location::default()
        };
        assert_eq!(location_line(Some(&loc)).as_deref(), Some("Библиотека, зал 2, ул. Ленина, 5, Витебск"));
        assert_eq!(location_line(Some(&Location::default())), None);
        assert_eq!(location_line(None), None);
    }
}
