//! Text helpers shared by every reader: cleaning titles, sanitising descriptions, plain-text
//! summaries, URL resolution, language tags.
//!
//! Guarantee: [`sanitize_html`] output never carries script — no `<script>`/`<style>`/`<iframe>`,
//! no `on*=` handlers, no `javascript:`/`data:`/`vbscript:` URLs — whatever the input.

use std::collections::HashSet;
use std::sync::LazyLock;

use url::Url;

/// Collapses runs of whitespace (including non-breaking spaces) into one space and trims.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c == '\u{a0}' || c == '\u{200b}') {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Whether `c` changes the direction of the text around it or shows as nothing: bidi embeddings,
/// overrides and isolates (U+202A–U+202E, U+2066–U+2069), directional marks (U+200E, U+200F,
/// U+061C), zero-width and joining characters (U+200B–U+200D, U+2060–U+2064, U+FEFF), the soft
/// hyphen (U+00AD), the other format characters that have no business in a short field
/// (U+180E, U+206A–U+206F, U+FFF9–U+FFFB, tags U+E0000–U+E007F), and the Hangul fillers that
/// render as blank letters (U+115F, U+1160, U+3164, U+FFA0).
///
/// A title with U+202E shows its end backwards ("…gpj.exe" as "exe.jpg…"); zero-width characters make
/// two titles look the same and differ. Such characters are removed from short fields
/// ([`strip_invisible`]).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Emoji and their modifiers, for keeping a ZWJ that joins two of them (👩‍💻).
fn is_emoji_part(c: char) -> bool {
    matches!(c, '\u{2600}'..='\u{27BF}' | '\u{FE0F}' | '\u{1F000}'..='\u{1FAFF}')
}

/// `s` without the characters [`is_invisible`] names, except a zero-width joiner between two emoji (an
/// emoji sequence such as 👩‍💻 keeps its meaning). Borrowed when nothing was removed.
pub fn strip_invisible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_invisible) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let joins_emoji = c == '\u{200D}'
            && out.chars().next_back().is_some_and(is_emoji_part)
            && chars.peek().is_some_and(|n| is_emoji_part(*n));
        if joins_emoji || !is_invisible(c) {
            out.push(c);
        }
    }
    if out.len() == s.len() { std::borrow::Cow::Borrowed(s) } else { std::borrow::Cow::Owned(out) }
}

/// Escapes the characters HTML and XML give meaning to in text (`&`, `<`, `>`, `"`).
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `s` trimmed, or `None` when nothing is left.
pub fn nonblank(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty()).then_some(s)
}

/// Plain text of a title-like value: entities decoded, tags dropped, whitespace collapsed,
/// control characters removed.
pub fn clean_text(s: &str) -> String {
    let text = if s.contains('<') || s.contains('&') { html_fragment_text(s) } else { s.to_owned() };
    let text: String = text.chars().filter(|c| !c.is_control() || c.is_whitespace()).collect();
    collapse_whitespace(&text)
}

/// The text content of an HTML fragment (entities decoded, tags dropped).
fn html_fragment_text(s: &str) -> String {
    let fragment = scraper::Html::parse_fragment(&crate::nesting::limit_nesting(s));
    let mut out = String::new();
    for node in fragment.root_element().descendants() {
        if let Some(t) = node.value().as_text() {
            if !in_code(node) {
                out.push_str(t);
            }
        } else if let Some(el) = node.value().as_element()
            && matches!(el.name(), "br" | "p" | "div" | "li")
        {
            out.push(' ');
        }
    }
    out
}

static ALLOWED_TAGS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "code",
        "dd",
        "del",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
    ]
    .into_iter()
    .collect()
});

/// Sanitises provider HTML for display to residents: a conservative tag allow-list, links made
/// absolute against `base`, only http/https/mailto/tel URLs, `rel="noopener noreferrer nofollow"`.
pub fn sanitize_html(html: &str, base: Option<&Url>) -> String {
    let html = crate::nesting::limit_nesting(html);
    let html = close_self_closed_containers(&html);
    let mut builder = ammonia::Builder::default();
    builder
        .tags(ALLOWED_TAGS.clone())
        .clean_content_tags(["script", "style", "iframe", "object", "embed", "template", "noscript"].into())
        .url_schemes(["http", "https", "mailto", "tel"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true);
    if let Some(base) = base {
        builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
    } else {
        builder.url_relative(ammonia::UrlRelative::Deny);
    }
    collapse_blank_html(&builder.clean(&html).to_string())
}

static SELF_CLOSED_CONTAINER: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)<(iframe|object|embed|script|style|noscript|textarea|title|video|audio|canvas)(\s[^<>]*?)?/>",
    )
    .expect("static regex")
});

/// Feeds are written as XHTML, where `<iframe/>` is empty; an HTML parser would take it as an
/// open element and swallow the rest of the description into it. Close such elements explicitly.
fn close_self_closed_containers(html: &str) -> std::borrow::Cow<'_, str> {
    SELF_CLOSED_CONTAINER.replace_all(html, |c: &regex::Captures<'_>| {
        format!("<{0}{1}></{0}>", &c[1], c.get(2).map_or("", |m| m.as_str()))
    })
}

/// Trims an HTML string and drops the result when it holds no text and no image.
fn collapse_blank_html(html: &str) -> String {
    let trimmed = html.trim();
    if !trimmed.contains("<img") && clean_text(trimmed).is_empty() { String::new() } else { trimmed.to_owned() }
}

/// Plain text of an HTML description: block elements become paragraph breaks, `<br>` a line
/// break, whitespace collapsed within lines, links reduced to their text (no footnote markers).
pub fn html_to_text(html: &str) -> String {
    let fragment = scraper::Html::parse_fragment(&crate::nesting::limit_nesting(html));
    let mut text = String::new();
    for edge in fragment.root_element().traverse() {
        match edge {
            ego_tree::iter::Edge::Open(node) => {
                if let Some(t) = node.value().as_text() {
                    if !in_code(node) {
                        text.push_str(t);
                    }
                } else if let Some(el) = node.value().as_element() {
                    match el.name() {
                        "br" => text.push('\n'),
                        "td" | "th" => text.push(' '),
                        name if is_block(name) => text.push_str("\n\n"),
                        _ => {}
                    }
                }
            }
            ego_tree::iter::Edge::Close(node) => {
                if node.value().as_element().is_some_and(|el| is_block(el.name())) {
                    text.push_str("\n\n");
                }
            }
        }
    }
    let lines: Vec<String> = text.lines().map(collapse_whitespace).collect();
    let mut out = String::new();
    let mut blank = false;
    for line in lines {
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        out.push_str(&line);
    }
    out
}

/// True for the text of a `<script>` or `<style>` element, which is code, not content.
fn in_code(node: ego_tree::NodeRef<'_, scraper::Node>) -> bool {
    node.parent().and_then(|p| p.value().as_element().map(|e| matches!(e.name(), "script" | "style"))).unwrap_or(false)
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "tr"
            | "table"
            | "blockquote"
            | "pre"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "figure"
            | "figcaption"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "hr"
    )
}

/// Cuts `s` to at most `max` characters at a word boundary, adding "…". Returns the text and
/// whether it was cut.
pub fn truncate_chars(s: &str, max: usize) -> (String, bool) {
    if s.chars().count() <= max {
        return (s.to_owned(), false);
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    let at_word = match cut.rfind(char::is_whitespace) {
        Some(i) if i > cut.len() / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    (format!("{}…", at_word.trim_end_matches(|c: char| c.is_whitespace() || c == ',' || c == ';')), true)
}

/// Resolves `href` against `base` into an absolute URL. Only `http`, `https` and `mailto` are
/// kept; `javascript:`, `data:` and unparseable values give `None`.
/// The web links of a description: every `href` of its sanitised HTML, then every `http(s)://`
/// URL written in its plain text, in order (duplicates kept; trailing punctuation dropped).
pub fn linked_urls<'a>(html: &'a str, plain: &'a str) -> impl Iterator<Item = &'a str> {
    let hrefs = html.split("href=\"").skip(1).filter_map(|rest| rest.split('"').next());
    let bare = plain.match_indices("http").filter_map(move |(at, _)| {
        let rest = &plain[at..];
        if !(rest.starts_with("http://") || rest.starts_with("https://")) {
            return None;
        }
        let end =
            rest.find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '«' | '»')).unwrap_or(rest.len());
        Some(rest[..end].trim_end_matches(['.', ',', ';', ':', ')', '!', '?']))
    });
    hrefs.filter(|h| h.starts_with("http://") || h.starts_with("https://")).chain(bare)
}

pub fn resolve_url(base: Option<&Url>, href: &str) -> Option<String> {
    let href = href.trim().trim_matches(|c: char| c.is_control());
    if href.is_empty() {
        return None;
    }
    let url = match Url::parse(href) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(href).ok()?,
        Err(_) => return None,
    };
    matches!(url.scheme(), "http" | "https" | "mailto").then(|| url.to_string())
}

/// Why [`resolve_url`] refused `href`, as a warning for the provider.
pub fn unresolved_url_message(base: Option<&Url>, href: &str) -> String {
    let shown: String = href.trim().chars().take(120).collect();
    if base.is_none() && matches!(Url::parse(href.trim()), Err(url::ParseError::RelativeUrlWithoutBase)) {
        format!(
            "`{shown}` is a relative link and the document's URL is unknown (set the provider's url, or pass --url to check); ignored"
        )
    } else {
        format!("`{shown}` is not a web address (only http, https and mailto links are kept); ignored")
    }
}

/// JSON text with what serde_json refuses in an otherwise good document repaired: NUL characters
/// dropped, and `\uD800`-style escapes of a lone UTF-16 surrogate replaced by `\uFFFD`. Returns
/// what was repaired, in words (`1 NUL character was dropped`), when anything was.
pub fn repair_json_text(text: &str) -> (std::borrow::Cow<'_, str>, Option<String>) {
    let nuls = text.matches('\0').count();
    let is_surrogate_escape = |s: &str, range: std::ops::RangeInclusive<u32>| {
        s.strip_prefix("\\u")
            .and_then(|h| h.get(..4))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .is_some_and(|v| range.contains(&v))
    };
    let mut lone = 0usize;
    let mut out = String::new();
    if text.contains("\\u") {
        let mut rest = text;
        while let Some(at) = rest.find('\\') {
            out.push_str(&rest[..at]);
            let tail = &rest[at..];
            let high = is_surrogate_escape(tail, 0xD800..=0xDBFF);
            let paired = high && tail.get(6..).is_some_and(|next| is_surrogate_escape(next, 0xDC00..=0xDFFF));
            let step = if paired {
                12
            } else if high || is_surrogate_escape(tail, 0xDC00..=0xDFFF) {
                lone += 1;
                out.push_str("\\ufffd");
                rest = &tail[6..];
                continue;
            } else {
                // An escape of anything else (`\\`, `\"`, `\u0041`): copied with its next character.
                tail.char_indices().nth(2).map_or(tail.len(), |(i, _)| i)
            };
            out.push_str(&tail[..step]);
            rest = &tail[step..];
        }
        out.push_str(rest);
    }
    if nuls == 0 && lone == 0 {
        return (std::borrow::Cow::Borrowed(text), None);
    }
    let repaired = if lone > 0 { out } else { text.to_owned() };
    let mut said = Vec::new();
    if nuls > 0 {
        said.push(format!("had {nuls} NUL character(s), which were dropped"));
    }
    if lone > 0 {
        said.push(format!("had {lone} lone UTF-16 surrogate escape(s) (`\\ud800`), replaced with U+FFFD"));
    }
    (std::borrow::Cow::Owned(repaired.replace('\0', "")), Some(said.join(" and ")))
}

/// True for a plausible BCP 47 tag: a 2–3 letter primary subtag, then alphanumeric subtags.
pub fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Language names and codes as providers write them, mapped to BCP 47.
const LANGUAGE_NAMES: &[(&str, &[&str])] = &[
    ("be", &["belarusian", "беларуская", "белорусский", "беларуская мова", "белорусском", "беларускай", "bel"]),
    ("ru", &["russian", "русский", "руская", "расейская", "русском", "рускай", "rus"]),
    ("en", &["english", "английский", "англійская", "английском", "англійскай", "eng"]),
    ("de", &["german", "deutsch", "немецкий", "нямецкая", "немецком", "ger", "deu"]),
    ("fr", &["french", "français", "francais", "французский", "французская", "fra", "fre"]),
    ("es", &["spanish", "español", "espanol", "испанский", "іспанская", "spa"]),
    ("pl", &["polish", "polski", "польский", "польская", "pol"]),
    ("uk", &["ukrainian", "українська", "украинский", "украінская", "ukr"]),
    ("zh", &["chinese", "китайский", "кітайская", "中文", "zho", "chi"]),
    ("az", &["azerbaijani", "azərbaycan", "азербайджанский", "aze"]),
    ("fi", &["finnish", "suomi", "финский", "fin"]),
    ("sv", &["swedish", "svenska", "шведский", "swe"]),
    ("lt", &["lithuanian", "lietuvių", "литовский", "lit"]),
    ("lv", &["latvian", "latviešu", "латышский", "lav"]),
];

/// Normalises a language as a provider wrote it ("Русский", "EN", "en_US", "Belarusian") to a
/// BCP 47 tag (`ru`, `en`, `en-US`, `be`). `None` when it is not recognisable.
pub fn normalise_language(s: &str) -> Option<String> {
    let s = collapse_whitespace(s);
    let lower = s.to_lowercase();
    if let Some((tag, _)) = LANGUAGE_NAMES.iter().find(|(_, names)| names.contains(&lower.as_str())) {
        return Some((*tag).to_owned());
    }
    let candidate = s.replace('_', "-");
    if !is_language_tag(&candidate) {
        return None;
    }
    let mut parts = candidate.split('-');
    let primary = parts.next().unwrap_or_default().to_ascii_lowercase();
    let primary = match primary.as_str() {
        "rus" => "ru".to_owned(),
        "bel" => "be".to_owned(),
        "eng" => "en".to_owned(),
        "by" => "be".to_owned(), // a common mistake: the country code used for the language
        _ => primary,
    };
    let rest: Vec<String> = parts.map(|p| if p.len() == 2 { p.to_ascii_uppercase() } else { p.to_owned() }).collect();
    Some(std::iter::once(primary).chain(rest).collect::<Vec<_>>().join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_invisible_removes_bidi_and_zero_width_only() {
        assert_eq!(strip_invisible("Керамика для детей"), "Керамика для детей");
        assert!(matches!(strip_invisible("plain"), std::borrow::Cow::Borrowed(_)));
        for c in [
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{202E}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200E}',
            '\u{200F}',
            '\u{061C}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{3164}',
            '\u{E0041}',
        ] {
            assert_eq!(strip_invisible(&format!("a{c}b")), "ab", "U+{:04X}", c as u32);
        }
        // A joiner inside an emoji sequence stays; one between letters does not.
        assert_eq!(strip_invisible("👨\u{200D}👩\u{200D}👧"), "👨\u{200D}👩\u{200D}👧");
        assert_eq!(strip_invisible("❤\u{FE0F}\u{200D}🔥"), "❤\u{FE0F}\u{200D}🔥");
        assert_eq!(strip_invisible("a\u{200D}👩"), "a👩");
        assert_eq!(strip_invisible("👩\u{200D}\u{202E}💻"), "👩💻");
        // Right-to-left text itself is left alone.
        assert_eq!(strip_invisible("שלום عربى"), "שלום عربى");
    }

    #[test]
    fn clean_text_decodes_entities_and_drops_tags() {
        assert_eq!(
            clean_text("  &laquo;Курс&raquo; <b>Python</b>&nbsp;для\n начинающих "),
            "«Курс» Python для начинающих"
        );
        assert_eq!(clean_text("Tom &amp; Jerry"), "Tom & Jerry");
        assert_eq!(clean_text("Курс<script>alert(1)</script><style>b{}</style> Python"), "Курс Python");
        assert_eq!(clean_text("a\u{0}b"), "ab");
    }

    #[test]
    fn sanitize_strips_script_handlers_and_javascript_urls() {
        let base = Url::parse("https://lib.example/events/").unwrap();
        let out = sanitize_html(
            r#"<p onclick="x()">Hi <script>alert(1)</script><img src="a.png" onerror="alert(2)"><a href="javascript:alert(3)">x</a><a href="/more">more</a></p><style>p{}</style>"#,
            Some(&base),
        );
        assert!(!out.contains("script") && !out.contains("onerror") && !out.contains("onclick"), "{out}");
        assert!(!out.contains("javascript:") && !out.contains("alert"), "{out}");
        assert!(out.contains(r#"src="https://lib.example/events/a.png""#), "{out}");
        assert!(out.contains(r#"href="https://lib.example/more""#), "{out}");
    }

    #[test]
    fn self_closed_iframes_do_not_swallow_the_rest() {
        assert_eq!(
            sanitize_html(r#"safe <iframe src="http://x.example/"/> <b>description</b>"#, None),
            "safe  <b>description</b>"
        );
    }

    #[test]
    fn sanitize_of_empty_markup_is_empty() {
        assert_eq!(sanitize_html("<p> </p><script>x</script>", None), "");
    }

    #[test]
    fn html_to_text_keeps_paragraphs() {
        assert_eq!(html_to_text("<p>One  two</p><p>Three<br>four</p>"), "One two\n\nThree\nfour");
        // Regression (library-events fixture): links gave "[36-52-14]" footnote markers.
        assert_eq!(html_to_text("Звоните <a href=\"tel:365214\">36-52-14</a>."), "Звоните 36-52-14.");
        assert_eq!(html_to_text("<ul><li>a</li><li>b</li></ul><script>x()</script>"), "a\n\nb");
    }

    #[test]
    fn truncate_cuts_at_word_boundary() {
        let (t, cut) = truncate_chars("Курсы английского языка для взрослых", 20);
        assert!(cut);
        assert_eq!(t, "Курсы английского…");
        assert!(t.chars().count() <= 20);
        assert_eq!(truncate_chars("short", 20), ("short".to_owned(), false));
    }

    #[test]
    fn resolve_url_makes_absolute_and_refuses_script() {
        let base = Url::parse("https://vsu.example/news/index.html").unwrap();
        assert_eq!(resolve_url(Some(&base), "../c/1").as_deref(), Some("https://vsu.example/c/1"));
        assert_eq!(resolve_url(None, "https://a.example/x").as_deref(), Some("https://a.example/x"));
        assert_eq!(resolve_url(Some(&base), "javascript:alert(1)"), None);
        assert_eq!(resolve_url(None, "/relative"), None);
        assert_eq!(resolve_url(Some(&base), "  "), None);
        assert!(unresolved_url_message(None, "/relative").contains("relative link"));
        assert!(unresolved_url_message(Some(&base), "javascript:x").contains("not a web address"));
    }

    #[test]
    fn languages_normalise_to_bcp47() {
        assert_eq!(normalise_language("Русский").as_deref(), Some("ru"));
        assert_eq!(normalise_language("беларуская").as_deref(), Some("be"));
        assert_eq!(normalise_language("en_us").as_deref(), Some("en-US"));
        assert_eq!(normalise_language("BY").as_deref(), Some("be"));
        assert_eq!(normalise_language("Klingon language"), None);
        assert!(is_language_tag("be-Latn"));
        assert!(!is_language_tag("b"));
    }
}
