//! How deep HTML may nest before it is parsed.
//!
//! html5ever's tree builder checks "has an element in scope" by walking the stack of open
//! elements, so every start tag costs the current depth: 13 000 nested `<div>` (65 KB) took
//! seconds per parse, and a description is parsed several times (sanitised, made plain text,
//! searched for links). No page or description nests anywhere near [`MAX_NESTING`] levels, so
//! the start and end tags below that depth are dropped before parsing; their text is kept.

use std::borrow::Cow;

/// The deepest element nesting kept. Real pages nest a few dozen levels.
pub const MAX_NESTING: usize = 256;

/// Elements that never hold content, and those whose end tag is optional (`<p>`, `<li>`, table
/// parts): neither makes a document deeper the way this scanner counts, since the parser closes
/// the latter by itself.
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr", "p",
    "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot", "colgroup", "caption", "rb",
    "rt", "rp", "html", "head", "body",
];

/// HTML start tags that end SVG or MathML content (the HTML standard's "breakout" list).
const BREAKOUT: &[&str] = &[
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "center",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "hr",
    "i",
    "img",
    "li",
    "listing",
    "menu",
    "meta",
    "nobr",
    "ol",
    "p",
    "pre",
    "ruby",
    "s",
    "small",
    "span",
    "strong",
    "strike",
    "sub",
    "sup",
    "table",
    "tt",
    "u",
    "ul",
    "var",
];

/// Elements whose content is text up to their own end tag (a `<div>` inside a script is no tag).
const RAW_TEXT: &[&str] = &["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"];

/// `html` without the start and end tags that would nest deeper than [`MAX_NESTING`] (see the
/// module docs); borrowed unchanged when it cannot nest that deep.
pub fn limit_nesting(html: &str) -> Cow<'_, str> {
    // Fewer tags than levels cannot nest too deep: the common case costs one byte count.
    if html.bytes().filter(|b| *b == b'<').count() <= MAX_NESTING {
        return Cow::Borrowed(html);
    }
    let bytes = html.as_bytes();
    let mut out = String::new();
    // Everything before `kept_from` that is not yet in `out` is copied on the next cut.
    let mut kept_from = 0;
    let mut depth = 0usize;
    // Open `<svg>` and `<math>` elements: inside them `<path/>` is closed; outside, an HTML
    // parser takes `<div/>` as an open `<div>`.
    let mut foreign = 0usize;
    let mut i = 0;
    while let Some(at) = html[i..].find('<').map(|p| i + p) {
        let rest = &html[at..];
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(html.len(), |p| at + p + 3);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            i = rest.find('>').map_or(html.len(), |p| at + p + 1);
            continue;
        }
        let closing = rest.starts_with("</");
        let name_start = at + if closing { 2 } else { 1 };
        let name_len = bytes[name_start..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'-').count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            i = at + 1;
            continue;
        }
        let end = tag_end(bytes, name_start + name_len);
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        if !closing && RAW_TEXT.contains(&name.as_str()) {
            // Skip to the element's end tag; its content is no markup.
            let close = format!("</{name}");
            i = ascii_find_ignore_case(&html[end..], &close).map_or(html.len(), |p| end + p);
            continue;
        }
        i = end;
        let self_closed = bytes[..end].ends_with(b"/>");
        let opens_foreign = matches!(name.as_str(), "svg" | "math");
        // An HTML element inside SVG or MathML ends the foreign content (the parser's
        // "breakout"): after it, `<div/>` is an open `<div>` again.
        if !closing && foreign > 0 && BREAKOUT.contains(&name.as_str()) {
            foreign = 0;
        }
        if NOT_NESTING.contains(&name.as_str()) || (self_closed && (foreign > 0 || opens_foreign)) {
            continue;
        }
        if opens_foreign {
            foreign = if closing { foreign.saturating_sub(1) } else { foreign + 1 };
        }
        let too_deep = if closing {
            let deep = depth > MAX_NESTING;
            depth = depth.saturating_sub(1);
            deep
        } else {
            depth += 1;
            depth > MAX_NESTING
        };
        if too_deep {
            out.push_str(&html[kept_from..at]);
            kept_from = end;
        }
    }
    if kept_from == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[kept_from..]);
    Cow::Owned(out)
}

/// The end of the tag whose name ends at `from`: past its `>`, quoted attribute values skipped
/// (`title="a > b"`); the end of the text when it is never closed.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote = None;
    for (i, b) in bytes.iter().enumerate().skip(from) {
        match (quote, b) {
            (Some(q), _) if *b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(*b),
            (None, b'>') => return i + 1,
            _ => {}
        }
    }
    bytes.len()
}

/// Where `needle` (ASCII) first occurs in `haystack`, ignoring ASCII case.
fn ascii_find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    (0..=h.len().checked_sub(n.len())?).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_of(html: &str) -> usize {
        let page = scraper::Html::parse_fragment(html);
        page.root_element().descendants().map(|n| n.ancestors().count()).max().unwrap_or(0)
    }

    #[test]
    fn ordinary_html_is_borrowed_unchanged() {
        let html = "<div><p>Курс <b>рисования</b><br>12 марта</p><ul><li>a<li>b</ul></div>";
        assert!(matches!(limit_nesting(html), Cow::Borrowed(_)));
        // Many tags but shallow: unchanged too, whatever the count.
        let list = format!("<ul>{}</ul>", "<li><b>x</b> <i>y</i></li>".repeat(500));
        assert!(matches!(limit_nesting(&list), Cow::Borrowed(_)));
        let paragraphs = "<p>one".repeat(1000);
        assert!(matches!(limit_nesting(&paragraphs), Cow::Borrowed(_)));
    }

    #[test]
    fn tags_deeper_than_the_limit_go_and_their_text_stays() {
        let n = 5_000;
        let html = format!("{}text{}", "<div><span>".repeat(n), "</span></div>".repeat(n));
        let limited = limit_nesting(&html);
        assert!(depth_of(&limited) <= MAX_NESTING + 3, "depth {}", depth_of(&limited));
        assert_eq!(limited.matches("<div>").count() + limited.matches("<span>").count(), MAX_NESTING);
        assert_eq!(limited.matches("</div>").count() + limited.matches("</span>").count(), MAX_NESTING);
        assert_eq!(crate::text::html_to_text(&limited), "text");
        // Unclosed, as a fuzzer or a broken template writes it, and "self-closed", which HTML
        // parsers take as open.
        let open = format!("{}x", "<div>".repeat(n));
        assert!(depth_of(&limit_nesting(&open)) <= MAX_NESTING + 3);
        let slashed = format!("{}x", "<div/>".repeat(n));
        assert!(depth_of(&slashed) > n, "html5ever nests them");
        assert!(depth_of(&limit_nesting(&slashed)) <= MAX_NESTING + 3);
        // Inside SVG a self-closed element is closed: a page of many icons keeps every tag.
        let icons = format!("<div>{}</div><p>after</p>", "<svg><path d='M0'/><circle r='1'/></svg>".repeat(400));
        assert!(matches!(limit_nesting(&icons), Cow::Borrowed(_)));
        // But an HTML element ends the SVG, and a self-closed SVG is no SVG to be inside.
        for opener in ["<svg>", "<svg/>", "<math/>"] {
            let broken_out = format!("{opener}{}x", "<div/>".repeat(n));
            assert!(depth_of(&limit_nesting(&broken_out)) <= MAX_NESTING + 4, "{opener}");
        }
    }

    #[test]
    fn script_content_comments_and_quoted_brackets_are_not_tags() {
        let deep = "<div>".repeat(300);
        let html =
            format!("<script>{deep}</script><!--{deep}--><a title=\"a > b\" href='x'>link</a>{}", "<div>".repeat(10));
        assert!(matches!(limit_nesting(&html), Cow::Borrowed(_)));
    }

    #[test]
    fn odd_input_never_panics() {
        for s in ["<", "</", "<a", "<a b='", "<!--", "<script>", "<1", "<é>", "</a ", "<a/>", "<<<<"] {
            let long = s.repeat(400);
            assert!(limit_nesting(&long).len() <= long.len());
            let deep = format!("{}{long}", "<div>".repeat(300));
            assert!(limit_nesting(&deep).len() < deep.len());
        }
    }
}
