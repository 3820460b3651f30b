//! HTML pages: schema.org JSON-LD when the page has any describing a Course or Event, else
//! schema.org microdata, else microformats2 `h-event`s, else the provider's selector rules
//! (`[reader.html]`). A bare JSON document (a provider's JSON-LD endpoint) is read as JSON-LD.
//!
//! Guarantees: no panic on any page; a JSON-LD block that is not JSON is reported and skipped;
//! an item the rules find without a title is skipped with a warning naming its position
//! (`item 3`); links and images come out absolute (against `<base href>` or the page URL) and
//! `javascript:` links are dropped; descriptions are kept as raw HTML (sanitised in
//! [`crate::normalise`]). Times read by rules are in the provider's zone, which is authoritative
//! for pages (`floating` stays false).
//!
//! A page whose text opens `<html>` or `<body>` but closes neither is truncated ([`truncation`]):
//! the parser closes what is left open, so only the raw text shows the cut.

use std::sync::LazyLock;

use learncity_model::SourceFormat;
use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use url::Url;

use crate::dates::{self, Clock};
use crate::draft::Draft;
use crate::jsonld::{self, Env};
use crate::settings::{FieldRule, HtmlRules};
use crate::text::{collapse_whitespace, resolve_url};
use crate::{ReadContext, ReadError, Warning, microdata, microformats};

/// A page's opening `<html>` or `<body>` tag.
static PAGE_OPEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)<(html|body)[\s/>]").expect("static regex"));

/// A page's closing `</html>` or `</body>` tag.
static PAGE_CLOSE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)</(html|body)\s*>").expect("static regex"));

/// Reads an HTML page (already decoded to text), or a bare JSON-LD document.
pub fn read_page(
    text: &str,
    ctx: &ReadContext<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<(Vec<Draft>, SourceFormat), ReadError> {
    if let Some(body) = bare_json(text) {
        return read_bare_jsonld(body, ctx, warnings);
    }
    let page = Html::parse_document(&crate::nesting::limit_nesting(text));
    let base = page_base(&page, ctx.document_url);
    let env = Env::new(ctx, base.as_ref());

    let blocks = Value::Array(jsonld_blocks(&page, warnings));
    if jsonld::has_offerings(&blocks) {
        return Ok((jsonld::read_document(&blocks, &env), SourceFormat::Jsonld));
    }
    let mut other_types = jsonld::type_names(&blocks);
    if microdata::has_items(&page) {
        let items = Value::Array(microdata::items(&page));
        if jsonld::has_offerings(&items) {
            return Ok((jsonld::read_document(&items, &env), SourceFormat::Microdata));
        }
        other_types.extend(jsonld::type_names(&items));
    }
    if microformats::has_events(&page) {
        return Ok((microformats::read(&page, &env), SourceFormat::Microformats));
    }
    match &ctx.settings.html {
        Some(rules) => Ok((read_rules(&page, rules, &env, warnings)?, SourceFormat::Html)),
        None => Err(ReadError::NoHtmlRules { found: schema_data_found(&page, other_types) }),
    }
}

/// What schema.org data a page without Course/Event items has, for the error that asks for
/// rules: the JSON-LD and microdata types it does have, or RDFa (which is not read).
fn schema_data_found(page: &Html, mut types: Vec<String>) -> String {
    let types_of = |mut names: Vec<String>| {
        names.sort();
        names.dedup();
        names.truncate(8);
        names.join(", ")
    };
    let rdfa_types: Vec<String> = Selector::parse("[typeof]")
        .map(|sel| {
            page.select(&sel)
                .flat_map(|el| el.value().attr("typeof").unwrap_or_default().split_whitespace())
                .map(|t| jsonld::local_name(t).to_owned())
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();
    types.retain(|t| !t.is_empty());
    if !types.is_empty() {
        let names: Vec<String> = types.iter().map(|t| jsonld::local_name(t).to_owned()).collect();
        format!("schema.org data of types {} but no Event or Course", types_of(names))
    } else if !rdfa_types.is_empty() {
        format!(
            "schema.org data only as RDFa (types {}), which learncity does not read, and no JSON-LD or microdata Event \
             or Course",
            types_of(rdfa_types)
        )
    } else {
        "no schema.org JSON-LD or microdata".to_owned()
    }
}

/// Why the page (already decoded to text) is incomplete, when it is: it opens `<html>` or
/// `<body>` and closes neither (case-insensitive; whatever follows the closing tag — whitespace,
/// comments, a script a server appends — is fine). A page cut off by a dying server ends before
/// its closing tags, and the HTML parser would close them silently. A fragment (a listing served
/// without `<html>` and `<body>`) and a bare JSON-LD document cannot be told from a cut one and
/// are never incomplete.
pub fn truncation(text: &str) -> Option<String> {
    if bare_json(text).is_some() || !PAGE_OPEN.is_match(text) || PAGE_CLOSE.is_match(text) {
        return None;
    }
    Some(
        "the HTML page ends without its closing </body> and </html> tags: the document was probably truncated; \
         its complete items are published, nothing is withdrawn"
            .to_owned(),
    )
}

/// The text from its first character, when it is a JSON document rather than a page.
fn bare_json(text: &str) -> Option<&str> {
    let body = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    (body.starts_with('{') || body.starts_with('[')).then_some(body)
}

/// A JSON document: JSON-LD, read leniently.
fn read_bare_jsonld(
    body: &str,
    ctx: &ReadContext<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<(Vec<Draft>, SourceFormat), ReadError> {
    let (doc, repairs) =
        jsonld::parse_repairing(body).map_err(|detail| ReadError::Malformed { format: "JSON-LD", detail })?;
    if let Some(repairs) = repairs {
        warnings.push(Warning::document(format!("the JSON-LD document {repairs}; the rest was read")));
    }
    if !jsonld::has_offerings(&doc) {
        warnings.push(jsonld::no_offerings_warning(&doc));
        return Ok((Vec::new(), SourceFormat::Jsonld));
    }
    let env = Env::new(ctx, ctx.document_url);
    Ok((jsonld::read_document(&doc, &env), SourceFormat::Jsonld))
}

/// The base for relative links: `<base href>` resolved against the page URL, else the page URL.
fn page_base(page: &Html, document_url: Option<&Url>) -> Option<Url> {
    let declared = Selector::parse("base[href]")
        .ok()
        .and_then(|sel| page.select(&sel).next())
        .and_then(|el| el.value().attr("href"))
        .and_then(|href| resolve_url(document_url, href))
        .and_then(|u| Url::parse(&u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    declared.or_else(|| document_url.cloned())
}

/// Every `<script type="application/ld+json">` block, parsed; one warning per block that is
/// not JSON.
fn jsonld_blocks(page: &Html, warnings: &mut Vec<Warning>) -> Vec<Value> {
    let Ok(sel) = Selector::parse("script[type]") else { return Vec::new() };
    let mut blocks = Vec::new();
    let scripts = page.select(&sel).filter(|el| {
        let kind = el.value().attr("type").unwrap_or_default();
        kind.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/ld+json")
    });
    for (i, el) in scripts.enumerate() {
        let text: String = el.text().collect();
        if text.trim().is_empty() {
            continue;
        }
        match jsonld::parse_repairing(&text) {
            Ok((v, repairs)) => {
                if let Some(repairs) = repairs {
                    warnings.push(Warning::document(format!(
                        "JSON-LD block {} (<script type=\"application/ld+json\">) {repairs}; the rest was read",
                        i + 1
                    )));
                }
                blocks.push(v)
            }
            Err(e) => warnings.push(Warning::document(format!(
                "JSON-LD block {} (<script type=\"application/ld+json\">) is not valid JSON ({e}); ignored",
                i + 1
            ))),
        }
    }
    blocks
}

/// The rules' selectors, compiled.
struct Compiled<'r> {
    item: Selector,
    fields: Vec<(&'static str, &'r FieldRule, Selector)>,
}

impl<'r> Compiled<'r> {
    fn new(rules: &'r HtmlRules) -> Result<Self, ReadError> {
        let parse = |name: &str, s: &str| {
            Selector::parse(s)
                .map_err(|e| ReadError::Settings(format!("html.{name}: `{s}` is not a valid CSS selector: {e}")))
        };
        let item = parse("item", &rules.item)?;
        let mut fields = Vec::new();
        for (name, rule) in rules.fields() {
            fields.push((name, rule, parse(name, rule.selector())?));
        }
        Ok(Compiled { item, fields })
    }

    fn field(&self, name: &str) -> Option<(&'r FieldRule, &Selector)> {
        self.fields.iter().find(|(n, _, _)| *n == name).map(|(_, r, s)| (*r, s))
    }
}

/// Applies the provider's selector rules: one draft per item element.
fn read_rules(
    page: &Html,
    rules: &HtmlRules,
    env: &Env<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Draft>, ReadError> {
    let compiled = Compiled::new(rules)?;
    let mut drafts = Vec::new();
    let mut count = 0;
    for (i, item) in page.select(&compiled.item).enumerate() {
        count += 1;
        let position = format!("item {}", i + 1);
        if !crate::budget::alive() {
            break;
        }
        match read_item(item, &compiled, env) {
            Some(d) if !crate::budget::take(d.sessions.len()) => break,
            Some(d) => drafts.push(d),
            None => warnings.push(Warning::field(
                Some(position),
                "title",
                format!("the item has no title (selector `{}` found no text in it); skipped", rules.title.selector()),
            )),
        }
    }
    if count == 0 {
        warnings.push(Warning::document(format!(
            "the item selector `{}` matched nothing on the page; check [reader.html] item",
            rules.item
        )));
    }
    Ok(drafts)
}

/// One item by the rules; `None` when it has no title.
fn read_item(item: ElementRef<'_>, rules: &Compiled<'_>, env: &Env<'_>) -> Option<Draft> {
    let (title_rule, title_sel) = rules.field("title")?;
    let title = first_value(item, title_sel, title_rule.attr())?;
    let mut d = Draft { title: Some(title), ..Draft::default() };
    let base = env.base;

    if let Some((rule, sel)) = rules.field("id") {
        d.guid = first_value(item, sel, rule.attr());
    }
    for (field, slot) in [("link", &mut d.url), ("registration", &mut d.registration_url)] {
        if let Some((rule, sel)) = rules.field(field)
            && let Some(href) = first_link(item, sel, rule.attr())
        {
            match resolve_url(base, &href) {
                Some(u) => *slot = Some(u),
                None => d.warnings.push((field.to_owned(), crate::text::unresolved_url_message(base, &href))),
            }
        }
    }
    if let Some((rule, sel)) = rules.field("image") {
        for src in matches(item, sel).filter_map(|el| image_source(el, rule.attr())) {
            match resolve_url(base, &src) {
                Some(u) if !d.images.contains(&u) => d.images.push(u),
                Some(_) => {}
                None => d.warn("image", crate::text::unresolved_url_message(base, &src)),
            }
        }
    }
    if let Some((rule, sel)) = rules.field("description") {
        d.description_html = description(item, sel, rule.attr());
    }
    if let Some((rule, sel)) = rules.field("location") {
        d.location_text = first_value(item, sel, rule.attr());
    }
    if let Some((rule, sel)) = rules.field("price") {
        d.price_text = first_value(item, sel, rule.attr());
    }
    if let Some((rule, sel)) = rules.field("audience") {
        d.audience_text = first_value(item, sel, rule.attr());
    }
    if let Some((rule, sel)) = rules.field("schedule") {
        d.schedule_text = first_value(item, sel, rule.attr());
    }
    for (field, slot) in
        [("venue", &mut d.location.venue), ("address", &mut d.location.address), ("city", &mut d.location.city)]
    {
        if let Some((rule, sel)) = rules.field(field) {
            *slot = first_value(item, sel, rule.attr());
        }
    }
    if let Some((rule, sel)) = rules.field("organizer") {
        d.organizer =
            first_value(item, sel, rule.attr()).map(|name| learncity_model::Party { name, url: None, email: None });
    }
    if let Some((rule, sel)) = rules.field("online")
        && let Some(href) = first_link(item, sel, rule.attr())
    {
        match resolve_url(base, &href) {
            Some(u) => d.online_urls.push(u),
            None => d.warn("online", crate::text::unresolved_url_message(base, &href)),
        }
    }
    if let Some((rule, sel)) = rules.field("category") {
        for term in matches(item, sel).filter_map(|el| value_of(el, rule.attr())) {
            if !d.categories.contains(&term) {
                d.categories.push(term);
            }
        }
    }
    read_dates(item, rules, env, &mut d);
    Some(d)
}

/// Start and end by the rules. An end rule that gives only a time ("20:00") ends on the start's
/// day; without an end rule, a range in the start text ("18:30–20:00", "12–14 марта") gives it.
fn read_dates(item: ElementRef<'_>, rules: &Compiled<'_>, env: &Env<'_>, d: &mut Draft) {
    let Some((start_rule, start_sel)) = rules.field("start") else { return };
    let clock: Clock = env.clock;
    // A start selector may match several elements (a label and the value, or a line in
    // another language): the first that reads as a date wins.
    let texts: Vec<String> = matches(item, start_sel).filter_map(|el| value_of(el, start_rule.attr())).collect();
    let Some(first_text) = texts.first() else { return };
    let Some(span) = texts.iter().find_map(|t| dates::parse_span(t, start_rule.formats(), &clock)) else {
        let hint = if dates::names_impossible_day(first_text, &clock) {
            ""
        } else {
            "; add a chrono format to [reader.html] start.formats"
        };
        d.warn("start", format!("{}{hint}", dates::explain_failure(first_text, &clock)));
        return;
    };
    let mut end = span.end;
    if let Some((end_rule, end_sel)) = rules.field("end")
        && let Some(end_text) = first_value(item, end_sel, end_rule.attr())
    {
        match dates::parse_end_text(&end_text, end_rule.formats(), &span.start, &clock) {
            Some(e) => end = Some(e),
            None => d.warn("end", format!("{}; the end was left out", dates::explain_failure(&end_text, &clock))),
        }
    }
    // The provider's configured zone is authoritative for its pages, which never state one:
    // these times are not "floating" guesses.
    d.sessions.push(dates::to_session(&span.start, end.as_ref(), clock.tz, false));
}

/// Elements a field selector matches within an item; `:scope` alone matches the item itself.
fn matches<'a, 's>(item: ElementRef<'a>, sel: &'s Selector) -> impl Iterator<Item = ElementRef<'a>> + use<'a, 's> {
    let own = sel.matches_with_scope(&item, Some(item)).then_some(item);
    own.into_iter().chain(item.select(sel))
}

/// The first non-empty value (attribute or text) among the matches.
fn first_value(item: ElementRef<'_>, sel: &Selector, attr: Option<&str>) -> Option<String> {
    matches(item, sel).find_map(|el| value_of(el, attr))
}

/// An attribute's value, or the element's text, whitespace collapsed; `None` when empty.
fn value_of(el: ElementRef<'_>, attr: Option<&str>) -> Option<String> {
    let v = match attr {
        Some(a) => collapse_whitespace(el.value().attr(a)?),
        None => collapse_whitespace(&element_text(el)),
    };
    (!v.is_empty()).then_some(v)
}

/// A link: the attribute asked for, else the element's `href`, else the first `a[href]` in it.
fn first_link(item: ElementRef<'_>, sel: &Selector, attr: Option<&str>) -> Option<String> {
    if attr.is_some() {
        return first_value(item, sel, attr);
    }
    let anchor = Selector::parse("a[href]").ok();
    matches(item, sel).find_map(|el| {
        el.value()
            .attr("href")
            .map(str::to_owned)
            .or_else(|| {
                anchor
                    .as_ref()
                    .and_then(|a| el.select(a).next())
                    .and_then(|a| a.value().attr("href"))
                    .map(str::to_owned)
            })
            .filter(|h| !h.trim().is_empty())
    })
}

/// An image: the attribute asked for, else `src`, `data-src`, or the first `img` in it.
fn image_source(el: ElementRef<'_>, attr: Option<&str>) -> Option<String> {
    if let Some(a) = attr {
        return el.value().attr(a).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    }
    let own = |e: ElementRef<'_>| {
        e.value()
            .attr("src")
            .or_else(|| e.value().attr("data-src"))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    own(el).or_else(|| Selector::parse("img").ok().and_then(|s| el.select(&s).find_map(own)))
}

/// The description's raw HTML: one match's inner HTML, several matches' outer HTML joined, or
/// an attribute's value.
fn description(item: ElementRef<'_>, sel: &Selector, attr: Option<&str>) -> Option<String> {
    if attr.is_some() {
        return first_value(item, sel, attr);
    }
    let found: Vec<ElementRef<'_>> = matches(item, sel).collect();
    let html = match found.as_slice() {
        [] => return None,
        [one] => one.inner_html(),
        many => many.iter().map(|el| el.html()).collect::<Vec<_>>().join("\n"),
    };
    (!html.trim().is_empty()).then(|| html.trim().to_owned())
}

/// Elements whose text is never content.
const HIDDEN: &[&str] = &["script", "style", "template", "noscript", "head"];
/// Elements that separate words even without whitespace around them.
const BREAKING: &[&str] = &[
    "br", "p", "div", "li", "td", "th", "tr", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
    "header", "footer", "table", "ul", "ol",
];

/// The text of an element as a reader sees it: script and style left out, a space where a
/// line break or block separates words. Iterative, so deep nesting cannot overflow the stack.
pub(crate) fn element_text(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    let mut stack = vec![*el];
    while let Some(node) = stack.pop() {
        match node.value() {
            scraper::Node::Text(t) => out.push_str(t),
            scraper::Node::Element(e) => {
                if HIDDEN.contains(&e.name()) {
                    continue;
                }
                if BREAKING.contains(&e.name()) {
                    out.push(' ');
                }
                let children: Vec<_> = node.children().collect();
                stack.extend(children.into_iter().rev());
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::ReaderSettings;
    use crate::test_support::{fetched_at, with_ctx};

    type Read = (Result<(Vec<Draft>, SourceFormat), ReadError>, Vec<Warning>);

    fn read_with(text: &str, settings: &ReaderSettings) -> Read {
        let mut warnings = Vec::new();
        let out = with_ctx(settings, Some("https://library.vitebsk.example/afisha/index.html"), fetched_at(), |ctx| {
            read_page(text, ctx, &mut warnings)
        });
        (out, warnings)
    }

    fn rules_settings() -> ReaderSettings {
        toml::from_str(
            r#"
            time-zone = "Europe/Minsk"
            [html]
            item = "article.event"
            title = "h3"
            link = "h3"
            start = ".date"
            end = ".end"
            description = ".text"
            location = ".place"
            price = ".price"
            category = ".tags a"
            image = "img"
            id = { selector = ":scope", attr = "data-id" }
            "#,
        )
        .unwrap()
    }

    const LIST: &str = r#"<!DOCTYPE html><html><head><title>Афиша</title><base href="/afisha/2025/">
        <script type="application/ld+json">{"@type": "Organization", "name": "Библиотека"}</script></head><body>
        <article class="event" data-id="ev-101">
          <h3><a href="lecture-101.html">Лекция «Шагал и&nbsp;Витебск»</a></h3>
          <div class="date">12 марта 2025, 18:30–20:00</div>
          <div class="text"><p>Рассказ о <b>художнике</b>.</p><script>alert(1)</script></div>
          <div class="place">Читальный зал, ул. Ленина, 8</div><div class="price">Вход свободный</div>
          <div class="tags"><a>История</a> <a>Искусство</a></div>
          <img src="../img/chagall.jpg" alt="">
        </article>
        <article class="event" data-id="ev-102"><h3>Мастер-класс</h3><div class="date">14.03.2025<br>16:00</div><div class="end">17:30</div></article>
        <article class="event"><div class="date">когда-нибудь</div></article>
        <article class="event"><h3><a href="javascript:alert(1)">Клуб</a></h3><div class="date">скоро</div></article>
        </body></html>"#;

    #[test]
    fn rules_extract_every_field() {
        let (out, warnings) = read_with(LIST, &rules_settings());
        let (drafts, format) = out.unwrap();
        assert_eq!(format, SourceFormat::Html);
        assert_eq!(drafts.len(), 3);
        let d = &drafts[0];
        assert_eq!(d.title.as_deref(), Some("Лекция «Шагал и Витебск»"));
        assert_eq!(d.guid.as_deref(), Some("ev-101"));
        assert_eq!(d.url.as_deref(), Some("https://library.vitebsk.example/afisha/2025/lecture-101.html"));
        assert_eq!(d.images, ["https://library.vitebsk.example/afisha/img/chagall.jpg"]);
        assert!(d.description_html.as_deref().unwrap().starts_with("<p>Рассказ о <b>художнике</b>.</p>"));
        assert_eq!(d.location_text.as_deref(), Some("Читальный зал, ул. Ленина, 8"));
        assert_eq!(d.price_text.as_deref(), Some("Вход свободный"));
        assert_eq!(d.categories, ["История", "Искусство"]);
        let s = &d.sessions[0];
        assert_eq!(s.start.to_rfc3339(), "2025-03-12T18:30:00+03:00");
        assert_eq!(s.end.unwrap().to_rfc3339(), "2025-03-12T20:00:00+03:00");
        assert_eq!(s.time_zone.as_deref(), Some("Europe/Minsk"));
        assert!(!s.floating);
        let s = &drafts[1].sessions[0];
        assert_eq!(s.start.to_rfc3339(), "2025-03-14T16:00:00+03:00");
        assert_eq!(s.end.unwrap().to_rfc3339(), "2025-03-14T17:30:00+03:00");
        // The untitled third item is reported by position; the fourth has a bad link and date.
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].item.as_deref(), Some("item 3"));
        assert_eq!(warnings[0].field.as_deref(), Some("title"));
        let fields: Vec<&str> = drafts[2].warnings.iter().map(|w| w.0.as_str()).collect();
        assert_eq!(fields, ["link", "start"]);
        assert!(drafts[2].url.is_none());
    }

    #[test]
    fn jsonld_wins_over_microdata_and_rules() {
        let page = r#"<html><head><script type="application/ld+json">{"@type": "Event", "name": "Из JSON-LD",}</script>
            <script type="application/ld+json">{ broken</script></head>
            <body><div itemscope itemtype="https://schema.org/Event"><span itemprop="name">Из microdata</span></div>
            <article class="event"><h3>Из правил</h3></article></body></html>"#;
        let (out, warnings) = read_with(page, &rules_settings());
        let (drafts, format) = out.unwrap();
        assert_eq!(format, SourceFormat::Jsonld);
        assert_eq!(drafts[0].title.as_deref(), Some("Из JSON-LD"));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.starts_with("JSON-LD block 2"), "{}", warnings[0].message);

        let no_ld = page.replace("\"Event\"", "\"Organization\"");
        let (out, _) = read_with(&no_ld, &rules_settings());
        let (drafts, format) = out.unwrap();
        assert_eq!(format, SourceFormat::Microdata);
        assert_eq!(drafts[0].title.as_deref(), Some("Из microdata"));

        let rules_only = no_ld.replace("https://schema.org/Event", "https://schema.org/Person");
        let (out, _) = read_with(&rules_only, &rules_settings());
        let (drafts, format) = out.unwrap();
        assert_eq!(format, SourceFormat::Html);
        assert_eq!(drafts[0].title.as_deref(), Some("Из правил"));

        let (out, _) = read_with(&rules_only, &ReaderSettings::default());
        // The error names the schema.org types the page does have (it said "no JSON-LD").
        let err = out.unwrap_err();
        assert_eq!(
            err,
            ReadError::NoHtmlRules {
                found: "schema.org data of types Organization, Person but no Event or Course".into()
            }
        );
        assert!(err.to_string().contains("add rules"), "{err}");
    }

    /// An RDFa-only page was said to have "no JSON-LD or microdata", as if it had no data at all.
    #[test]
    fn an_rdfa_only_page_says_so() {
        let page = r#"<html><body vocab="https://schema.org/"><div typeof="Event"><span property="name">Лекция</span></div>
            <div typeof="schema:Organization">Музей</div></body></html>"#;
        let (out, _) = read_with(page, &ReaderSettings::default());
        let err = out.unwrap_err().to_string();
        assert!(err.contains("only as RDFa (types Event, Organization), which learncity does not read"), "{err}");
        let (out, _) = read_with("<html><body><p>Привет</p></body></html>", &ReaderSettings::default());
        assert!(out.unwrap_err().to_string().contains("has no schema.org JSON-LD or microdata"));
    }

    /// A block opening with a whole HTML comment (as SEO plugins write) was dropped, and the page
    /// was said to have no JSON-LD.
    #[test]
    fn a_jsonld_block_after_a_comment_is_read() {
        let page = r#"<html><head><script type="application/ld+json"><!-- Yoast SEO -->
            {"@context": "https://schema.org", "@type": "Event", "name": "Лекция", "startDate": "2025-03-20T18:00"}
            <!-- / Yoast SEO --></script></head><body></body></html>"#;
        let (out, warnings) = read_with(page, &ReaderSettings::default());
        let (drafts, format) = out.unwrap();
        assert_eq!(format, SourceFormat::Jsonld);
        assert_eq!(drafts[0].title.as_deref(), Some("Лекция"));
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn bare_json_is_jsonld() {
        let (out, _) = read_with(" [{\"@type\": \"Course\", \"name\": \"Курс\"}]", &ReaderSettings::default());
        let (drafts, format) = out.unwrap();
        assert_eq!((drafts.len(), format), (1, SourceFormat::Jsonld));
        let (out, warnings) = read_with("{\"@type\": \"Organization\"}", &ReaderSettings::default());
        assert!(out.unwrap().0.is_empty());
        assert!(warnings[0].message.contains("Organization"));
        let (out, _) = read_with("{\"@type\": ", &ReaderSettings::default());
        assert!(matches!(out, Err(ReadError::Malformed { format: "JSON-LD", .. })));
    }

    #[test]
    fn belarusian_dates_and_scope_rules() {
        let settings: ReaderSettings = toml::from_str(
            r#"
            time-zone = "Europe/Minsk"
            [html]
            item = "li.padzeya"
            title = { selector = ":scope", attr = "data-title" }
            start = "p"
            "#,
        )
        .unwrap();
        let page = r#"<ul><li class="padzeya" data-title="Экскурсія"><p>Пятніца, 14 сакавіка а 18:00</p></li>
            <li class="padzeya" data-title="Выстава"><p>12–14 сакавіка 2025</p></li></ul>"#;
        let (out, warnings) = read_with(page, &settings);
        let (drafts, _) = out.unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(drafts[0].sessions[0].start.to_rfc3339(), "2025-03-14T18:00:00+03:00");
        let s = &drafts[1].sessions[0];
        assert!(s.all_day);
        assert_eq!(s.end.unwrap().to_rfc3339(), "2025-03-15T00:00:00+03:00");
    }

    #[test]
    fn element_text_skips_script_and_separates_blocks() {
        let page = Html::parse_fragment("<div>12 марта<br>18:30<script>var x = '19:00';</script><p>зал</p></div>");
        let text = collapse_whitespace(&element_text(page.root_element()));
        assert_eq!(text, "12 марта 18:30 зал");
    }

    /// The whole read, as the collector does it: how many offerings `page` yields and what
    /// `incomplete` says of it.
    fn read_whole(page: &str, settings: &ReaderSettings) -> (usize, Option<String>) {
        with_ctx(settings, Some("https://library.vitebsk.example/afisha/index.html"), fetched_at(), |ctx| {
            crate::read(page.as_bytes(), crate::FormatHint::Auto, ctx)
        })
        .map(|out| (out.offerings.len(), out.incomplete))
        .unwrap()
    }

    /// A page cut off (a CMS dying half way through with a 200) is incomplete, so that it
    /// withdraws nothing: the parser closes the open elements silently, only the text shows it.
    #[test]
    fn a_page_cut_before_its_closing_tags_is_incomplete() {
        let settings = rules_settings();
        assert_eq!(read_whole(LIST, &settings), (3, None));
        let cut = &LIST[..LIST.find("<article class=\"event\" data-id=\"ev-102\"").unwrap()];
        let (offerings, reason) = read_whole(cut, &settings);
        let reason = reason.expect("a cut page is incomplete");
        assert!(reason.contains("</body> and </html>") && reason.contains("nothing is withdrawn"), "{reason}");
        assert_eq!(offerings, 0, "the item nearest the cut is held back: it may be the cut one");
        let cut = &LIST[..LIST.find("<article class=\"event\"><div class=\"date\">когда").unwrap()];
        assert_eq!(read_whole(cut, &settings).0, 1, "the items before it are read");
        // The same for a page read through its JSON-LD (cut after the block).
        let jsonld = r#"<!DOCTYPE html><html><head><script type="application/ld+json">
            {"@type": "Event", "name": "Лекция", "startDate": "2025-03-12T18:30"}</script></head><body><h1>Афиша</h1>"#;
        let (offerings, reason) = read_whole(jsonld, &ReaderSettings::default());
        assert_eq!(offerings, 1);
        assert!(reason.is_some(), "a cut JSON-LD page is incomplete");
        assert!(read_whole(&format!("{jsonld}</body></html>"), &ReaderSettings::default()).1.is_none());
    }

    #[test]
    fn only_a_page_that_opens_and_never_closes_is_truncated() {
        let cut = "<!DOCTYPE html><html><head><title>Афиша</title></head><body><article>";
        assert!(truncation(cut).is_some());
        assert!(truncation("<HTML><BODY class=\"afisha\"><p>…").is_some(), "tags are case-insensitive");
        assert!(truncation("<html><head><title>Афиша</title>").is_some(), "cut in the head");
        // Either closing tag will do, in any case, with anything after it.
        for end in [
            "</body></html>",
            "</BODY>\n</HTML>\n",
            "</body>",
            "</html >",
            "</body>\n<!-- generated in 0.2 s -->\n",
            "</html><script>track()</script>",
        ] {
            assert!(truncation(&format!("{cut}{end}")).is_none(), "{end:?}");
        }
        // Cannot be told from a cut page: a fragment and a bare JSON-LD document.
        assert!(truncation("<ul><li class=\"padzeya\">Экскурсія</li>").is_none());
        assert!(truncation("[{\"@type\": \"Event\", \"description\": \"<html><body>\"").is_none());
        // `<htmlx>` or `<bodyguard>` is no page tag.
        assert!(truncation("<htmlx><bodyguard>").is_none());
    }

    /// Pieces of real pages: markup, JSON-LD, microdata, dates in every supported form.
    const SOUP: &[&str] = &[
        "<article class=\"event\" data-id=\"7\">",
        "</article>",
        "<h3>",
        "</h3>",
        "<a href=\"/x\">",
        "<a href=\"javascript:x\">",
        "</a>",
        "<div class=\"date\">",
        "<div class=\"end\">",
        "</div>",
        "<p>",
        "<br>",
        "<img src=\"../i.jpg\">",
        "<script type=\"application/ld+json\">",
        "</script>",
        "<script>",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\"@type\"",
        "\"Event\"",
        "\"Course\"",
        "\"CourseInstance\"",
        "\"hasCourseInstance\"",
        "\"@graph\"",
        "\"@id\"",
        "\"#c\"",
        "\"startDate\"",
        "\"endDate\"",
        "\"eventSchedule\"",
        "\"repeatFrequency\"",
        "\"P1W\"",
        "\"byDay\"",
        "\"Monday\"",
        "\"2MO\"",
        "\"repeatCount\"",
        "99999999999",
        "-1",
        "1e308",
        "\"location\"",
        "\"offers\"",
        "\"price\"",
        "\"name\"",
        "\"2025-03-30T02:30\"",
        "\"2025-02-30\"",
        "null",
        "true",
        "<div itemscope itemtype=\"https://schema.org/Event\" itemref=\"a\" id=\"a\">",
        "<span itemprop=\"name\">",
        "<meta itemprop=\"startDate\" content=\"2025-03-12\">",
        "<div itemprop=\"location\" itemscope>",
        "</span>",
        "12 марта 2025",
        "18:30–20:00",
        "12–14 сакавіка",
        "а 18:00",
        "31.02.2025",
        "29 февраля",
        "at 6 pm",
        "12. März",
        "сегодня",
        "з",
        "па",
        "12",
        ".",
        "-",
        " ",
        "\u{a0}",
        "𝟙",
        "<!--",
        "-->",
        "<base href=\"//evil\">",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        #[test]
        fn token_soups_never_panic(picks in proptest::collection::vec(0..SOUP.len(), 0..120)) {
            let text: String = picks.iter().filter_map(|i| SOUP.get(*i)).copied().collect();
            let settings = rules_settings();
            let _ = read_with(&text, &settings);
            let _ = read_with(&format!("[{text}]"), &settings);
        }

        #[test]
        fn any_date_text_and_format_never_panics(text in "\\PC{0,40}", format in "[%a-zA-Z .:/-]{0,12}") {
            let clock = Clock {
                now: DateTime::parse_from_rfc3339("2025-03-01T09:00:00Z").unwrap().with_timezone(&Utc),
                tz: chrono_tz::Europe::Berlin,
            };
            let formats = vec![format];
            if let Some(span) = dates::parse_span(&text, &formats, &clock) {
                let _ = dates::to_session(&span.start, span.end.as_ref(), clock.tz, false);
            }
            let _ = dates::explain_failure(&text, &clock);
        }
    }
}
