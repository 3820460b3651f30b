//! Server-rendered pages for residents: fast without JavaScript, accessible (a skip link,
//! landmarks, a label for every control, visible focus, contrast above WCAG AA), usable on a
//! phone, in Belarusian, Russian or English. Every text from a provider is escaped; a
//! description (sanitised HTML from the collector) is sanitised once more before it is shown,
//! and its images are never loaded by the page ([`description`]): a provider's `<img>` would be
//! fetched from its server (or a third party's) by every resident who opens the entry — a
//! tracking pixel. They become their alt text, or a plain link (`[serve] images = "link"`).

use std::fmt::Write as _;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use learncity_config::ImageMode;
use learncity_model::{Entry, Mode, Status};
use learncity_search::Page;

use crate::i18n::{Lang, Words};
use crate::params::Filters;

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What every page needs to know.
pub struct PageContext<'a> {
    /// Interface language.
    pub lang: Lang,
    /// The catalogue's name.
    pub title: &'a str,
    /// This page's path and query without `lang` (for the language switch).
    pub here: String,
    /// What a description's images become.
    pub images: ImageMode,
    /// The city's time zone (`[serve] time-zone`): times are shown in it.
    pub zone: Option<chrono_tz::Tz>,
}

/// An `<img>` as ammonia serialises it: `name="value"` attributes, `"` inside a value written
/// `&quot;` (but `<` and `>` left as they are).
static IMG: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r#"<img((?:\s+[^\s="'<>/]+(?:="[^"]*")?)*)\s*/?>"#).expect("static regex"));
static ATTR: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r#"([^\s="'<>/]+)="([^"]*)""#).expect("static regex"));

/// A description for display: sanitised (links get `rel="noopener noreferrer nofollow"`), and
/// every `<img>` replaced — by its alt text (`drop`), or by a link to it labelled with its alt text
/// or `image_word` (`link`). Nothing in the result makes the browser fetch anything.
pub fn description(html: &str, images: ImageMode, image_word: &str) -> String {
    let cleaned = ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto", "tel"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string();
    IMG.replace_all(&cleaned, |c: &regex::Captures<'_>| {
        let attrs = c.get(1).map_or("", |m| m.as_str());
        let attr = |name: &str| {
            ATTR.captures_iter(attrs)
                .find(|a| a[1].eq_ignore_ascii_case(name))
                // Already escaped for an attribute except for `<` and `>`.
                .map(|a| a[2].trim().replace('<', "&lt;").replace('>', "&gt;"))
                .filter(|v| !v.is_empty())
        };
        let alt = attr("alt");
        match (images, attr("src")) {
            (ImageMode::Link, Some(src)) if src.starts_with("http://") || src.starts_with("https://") => {
                let label = alt.unwrap_or_else(|| esc(image_word));
                format!("<a href=\"{src}\" rel=\"noopener noreferrer nofollow\">{label}</a>")
            }
            _ => alt.map(|a| format!("[{a}]")).unwrap_or_default(),
        }
    })
    .into_owned()
}

const STYLE: &str = "body{font:1rem/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff}\
a{color:#0645ad}a:focus,button:focus,input:focus,select:focus{outline:3px solid #b35900;outline-offset:2px}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}\
header,main,footer{max-width:60rem;margin:0 auto;padding:1rem}header{display:flex;flex-wrap:wrap;gap:1rem;justify-content:space-between;border-bottom:1px solid #ccc}\
form.search{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:.75rem}\
label{display:block;font-weight:600}input,select,button{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}\
button{background:#0645ad;color:#fff;border:0;cursor:pointer}ol.results{padding-left:1.25rem}ol.results li{margin:.75rem 0}\
.meta{color:#444}.badge{background:#a30000;color:#fff;padding:0 .4rem;border-radius:.2rem}nav.pages{display:flex;flex-wrap:wrap;gap:.75rem}\
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}\
ul.active-filters{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;padding:0}\
ul.active-filters li{background:#eef;padding:.1rem .6rem;border-radius:1rem}";

/// The page around `body`.
pub fn layout(ctx: &PageContext<'_>, page_title: &str, body: &str) -> String {
    let t = ctx.lang.t();
    let mut switch = String::new();
    for l in Lang::ALL {
        let sep = if ctx.here.contains('?') { '&' } else { '?' };
        if l == ctx.lang {
            let _ = write!(switch, "<li><span aria-current=\"true\">{}</span></li>", l.name());
        } else {
            let _ = write!(
                switch,
                "<li><a href=\"{}{sep}lang={}\" hreflang=\"{}\" lang=\"{}\">{}</a></li>",
                esc(&ctx.here),
                l.code(),
                l.code(),
                l.code(),
                l.name()
            );
        }
    }
    format!(
        "<!doctype html>\n<html lang=\"{code}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{page_title} — {site}</title><style>{STYLE}</style>\
<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/export.atom\" title=\"Atom\"></head>\
<body><a class=\"skip\" href=\"#main\">{skip}</a>\
<header><a href=\"/\">{site}</a><nav aria-label=\"{lang_label}\"><ul style=\"display:flex;gap:1rem;list-style:none;margin:0;padding:0\">{switch}</ul></nav></header>\
<main id=\"main\">{body}</main>\
<footer><a href=\"/providers\">{providers}</a> · <a href=\"/api/v1/openapi.json\">API</a></footer></body></html>\n",
        code = ctx.lang.code(),
        page_title = esc(page_title),
        site = esc(ctx.title),
        skip = t.skip,
        lang_label = t.interface_language,
        providers = t.providers,
    )
}

fn option(value: &str, label: &str, current: Option<&str>) -> String {
    let selected = if current == Some(value) { " selected" } else { "" };
    format!("<option value=\"{}\"{selected}>{}</option>", esc(value), esc(label))
}

/// The search form, filled with `f`; the category and provider choices with their entry counts.
pub fn search_form(
    t: &Words,
    f: &Filters,
    lang: Lang,
    categories: &[(String, usize)],
    providers: &[crate::catalogue::ProviderSummary],
) -> String {
    let v = |o: &Option<String>| esc(o.as_deref().unwrap_or(""));
    let mode = f.mode.as_deref();
    let mut cats = option("", t.any, f.category.as_deref());
    for (c, n) in categories {
        cats.push_str(&option(c, &format!("{} ({n})", category_label(c, lang)), f.category.as_deref()));
    }
    let mut provs = option("", t.any, f.provider.as_deref());
    for p in providers {
        let name = p.name.as_deref().unwrap_or(&p.id);
        provs.push_str(&option(&p.id, &format!("{name} ({})", p.entries), f.provider.as_deref()));
    }
    let checked = if matches!(f.free.as_deref(), Some("true" | "1" | "on" | "yes")) { " checked" } else { "" };
    let sort = f.sort.as_deref();
    format!(
        "<form class=\"search\" method=\"get\" action=\"/\" role=\"search\">\
<input type=\"hidden\" name=\"lang\" value=\"{lang}\">\
<div style=\"grid-column:1/-1\"><label for=\"q\">{search_label}</label>\
<input id=\"q\" name=\"q\" type=\"search\" maxlength=\"500\" value=\"{q}\" placeholder=\"{placeholder}\"></div>\
<div><label for=\"from\">{from}</label><input id=\"from\" name=\"from\" type=\"date\" value=\"{from_v}\"></div>\
<div><label for=\"to\">{to}</label><input id=\"to\" name=\"to\" type=\"date\" value=\"{to_v}\"></div>\
<div><label for=\"mode\">{mode_l}</label><select id=\"mode\" name=\"mode\">{m0}{m1}{m2}{m3}</select></div>\
<div><label for=\"category\">{category}</label><select id=\"category\" name=\"category\">{cats}</select></div>\
<div><label for=\"provider\">{provider}</label><select id=\"provider\" name=\"provider\">{provs}</select></div>\
<div><label for=\"age\">{age}</label><input id=\"age\" name=\"age\" type=\"number\" min=\"0\" max=\"120\" value=\"{age_v}\"></div>\
<div><label for=\"max_price\">{max_price}</label><input id=\"max_price\" name=\"max_price\" type=\"number\" min=\"0\" step=\"any\" value=\"{price_v}\"></div>\
<div><label for=\"language\">{language}</label><input id=\"language\" name=\"language\" value=\"{language_v}\" placeholder=\"be, ru, en\"></div>\
<div><label for=\"district\">{district}</label><input id=\"district\" name=\"district\" value=\"{district_v}\"></div>\
<div><label for=\"sort\">{sort_l}</label><select id=\"sort\" name=\"sort\">{s_auto}{s0}{s1}</select></div>\
<div><label><input type=\"checkbox\" name=\"free\" value=\"true\"{checked} style=\"width:auto\"> {free_only}</label></div>\
<div style=\"grid-column:1/-1\"><button type=\"submit\">{search}</button></div></form>",
        lang = lang.code(),
        search_label = t.search_label,
        q = v(&f.q),
        placeholder = t.search_placeholder,
        from = t.from,
        from_v = v(&f.from),
        to = t.to,
        to_v = v(&f.to),
        mode_l = t.mode,
        m0 = option("", t.any, mode),
        m1 = option("in_person", t.in_person, mode),
        m2 = option("online", t.online, mode),
        m3 = option("hybrid", t.hybrid, mode),
        category = t.category,
        provider = t.providers,
        age = t.age,
        age_v = v(&f.age),
        max_price = t.max_price,
        price_v = v(&f.max_price),
        language = t.language,
        language_v = v(&f.language),
        district = t.district,
        district_v = v(&f.district),
        sort_l = t.sort,
        s_auto = option("", t.sort_auto, sort),
        s0 = option("next", t.sort_next, sort),
        s1 = option("relevance", t.sort_relevance, sort),
        free_only = t.free_only,
        search = t.search,
    )
}

/// A session as the page's language says it, in a `<time>` element.
fn when(ctx: &PageContext<'_>, s: &learncity_model::Session) -> String {
    format!("<time datetime=\"{}\">{}</time>", s.start.to_rfc3339(), esc(&crate::when::session(ctx.lang, ctx.zone, s)))
}

fn kind_word(t: &Words, k: learncity_model::Kind) -> &'static str {
    use learncity_model::Kind;
    match k {
        Kind::Course => t.kind_course,
        Kind::Workshop => t.kind_workshop,
        Kind::Lecture => t.kind_lecture,
        Kind::Masterclass => t.kind_masterclass,
        Kind::Tour => t.kind_tour,
        Kind::Event => t.kind_event,
        Kind::Other => t.kind_other,
    }
}

/// A category's label in the page's language (its id when the taxonomy has none).
pub fn category_label(id: &str, lang: Lang) -> &str {
    learncity_model::taxonomy::category(id).map_or(id, |c| match lang {
        Lang::Be => c.be,
        Lang::Ru => c.ru,
        Lang::En => c.en,
    })
}

fn mode_word(t: &Words, m: Mode) -> Option<&'static str> {
    match m {
        Mode::InPerson => Some(t.in_person),
        Mode::Online => Some(t.online),
        Mode::Hybrid => Some(t.hybrid),
        Mode::Unknown => None,
    }
}

/// The next session of `e` after `now` (else its last).
fn next_session(e: &Entry, now: DateTime<Utc>) -> Option<&learncity_model::Session> {
    e.sessions.iter().find(|s| s.end_or_start() >= now).or_else(|| e.sessions.last())
}

/// One result in a list: title and state, then what a resident decides on — kind, the next
/// session's weekday, date and time range, mode, place, price — then a course's size and
/// rhythm ("12 занятий · вт, чт · 12 янв. – 25 февр. 2027 г."), its categories and who
/// offers it.
pub fn result_item(ctx: &PageContext<'_>, e: &Entry, now: DateTime<Utc>) -> String {
    let (t, lang) = (ctx.lang.t(), ctx.lang);
    let mut meta = vec![kind_word(t, e.kind).to_owned()];
    if let Some(s) = next_session(e, now) {
        meta.push(when(ctx, s));
    }
    if let Some(m) = mode_word(t, e.mode) {
        meta.push(m.to_owned());
    }
    if let Some(l) = &e.location {
        let place: Vec<&str> =
            [l.venue.as_deref(), l.district.as_deref(), l.city.as_deref()].into_iter().flatten().collect();
        if !place.is_empty() {
            meta.push(esc(&place.join(", ")));
        }
    }
    if let Some(p) = &e.price {
        meta.push(esc(&short_price(p, t.free)));
    }
    let mut course = Vec::new();
    if e.sessions.len() > 1 {
        course.push(lang.count("sessions-count", e.sessions.len()));
        course.extend(crate::when::rhythm(lang, ctx.zone, &e.sessions).map(|r| esc(&r)));
    }
    let categories: Vec<String> = e.categories.iter().map(|c| esc(category_label(c, lang))).collect();
    let providers: Vec<String> = e
        .sources
        .iter()
        .map(|s| esc(s.provider_name.as_deref().unwrap_or(&s.provider_id)))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let badge = if e.status == Status::Cancelled {
        format!(" <span class=\"badge\">{}</span>", t.cancelled)
    } else {
        String::new()
    };
    let line = |parts: &[String]| {
        if parts.is_empty() { String::new() } else { format!("<div class=\"meta\">{}</div>", parts.join(" · ")) }
    };
    format!(
        "<li><a href=\"/entry/{id}?lang={code}\"{title_lang}>{title}</a>{badge}{meta}{course}{categories}{providers}</li>",
        id = esc(&e.id),
        code = lang.code(),
        title_lang = lang_attr(e, lang),
        title = esc(&e.title),
        meta = line(&meta),
        course = line(&course),
        categories = line(&categories),
        providers = line(&[providers.join(", ")]),
    )
}

/// A price in a few words for a result card: "free", "10 BYN", "25–40 BYN" (the provider's
/// wording only when it gives no amount).
fn short_price(p: &learncity_model::Price, free: &str) -> String {
    if p.free || p.amount.is_none() {
        return price_text(p, free);
    }
    price_text(&learncity_model::Price { text: None, ..p.clone() }, free)
}

/// What the home page says beside its results.
#[derive(Debug, Default)]
pub struct Notes {
    /// Filters that could not be used, left out of the search: (parameter, what was wrong).
    pub unusable: Vec<(&'static str, String)>,
    /// For an empty result: the active filters without which something would be found —
    /// (parameter, how many, the query string without it).
    pub emptied_by: Vec<(&'static str, usize, String)>,
}

/// A filter's name on the page.
fn filter_label(t: &Words, name: &str) -> &'static str {
    match name {
        "q" => t.filter_words,
        "from" => t.from,
        "to" => t.to,
        "mode" => t.mode,
        "category" => t.category,
        "language" => t.language,
        "free" => t.free_only,
        "max_price" => t.max_price,
        "age" => t.age,
        "accessibility" => t.accessibility,
        "district" => t.district,
        "provider" => t.provider,
        "cancelled" => t.cancelled,
        "sort" => t.sort,
        "per_page" => t.per_page,
        _ => t.page,
    }
}

/// An active filter as a resident reads it: "Категория: История и культура", "Только бесплатные".
fn filter_text(
    ctx: &PageContext<'_>,
    name: &str,
    value: &str,
    providers: &[crate::catalogue::ProviderSummary],
) -> String {
    let t = ctx.lang.t();
    let shown = match name {
        "free" | "cancelled" => return filter_label(t, name).to_owned(),
        "category" => category_label(value, ctx.lang).to_owned(),
        "provider" => {
            providers.iter().find(|p| p.id == value).and_then(|p| p.name.clone()).unwrap_or_else(|| value.to_owned())
        }
        "mode" => match value {
            "in_person" => t.in_person.to_owned(),
            "online" => t.online.to_owned(),
            "hybrid" => t.hybrid.to_owned(),
            _ => value.to_owned(),
        },
        _ => value.to_owned(),
    };
    format!("{}: {shown}", filter_label(t, name))
}

/// Page links: previous, the first, the pages around this one, the last, next ("‹ 1 … 4 5
/// [6] 7 8 … 13 ›").
fn paging(ctx: &PageContext<'_>, f: &Filters, current: usize, pages: usize) -> String {
    let t = ctx.lang.t();
    let lang = ctx.lang.code();
    let link = |n: usize, rel: &str, text: &str| {
        format!("<a{rel} href=\"/?{}&amp;lang={lang}\">{text}</a>", esc(&f.query_string(Some(n))))
    };
    let mut parts = Vec::new();
    if current > 1 && current <= pages {
        parts.push(link(current - 1, " rel=\"prev\"", &format!("‹ {}", t.previous_page)));
    }
    let near = |n: usize| n == 1 || n == pages || n.abs_diff(current) <= 2;
    let mut gap = false;
    for n in 1..=pages {
        if !near(n) {
            if !gap {
                parts.push("<span aria-hidden=\"true\">…</span>".to_owned());
            }
            gap = true;
            continue;
        }
        gap = false;
        if n == current {
            parts.push(format!("<span aria-current=\"page\">{n}</span>"));
        } else {
            parts.push(link(n, "", &n.to_string()));
        }
    }
    if current < pages {
        parts.push(link(current + 1, " rel=\"next\"", &format!("{} ›", t.next_page)));
    }
    format!("<nav class=\"pages\" aria-label=\"{}\">{}</nav>", t.pages, parts.join(" "))
}

/// The home page: the form (with every provider and category to filter by), the active
/// filters (each removable), the results, numbered paging, export links; a filter that could
/// not be used and an empty result are explained.
#[allow(clippy::too_many_arguments)]
pub fn home(
    ctx: &PageContext<'_>,
    f: &Filters,
    page: &Page,
    entries: &[std::sync::Arc<Entry>],
    per_page: usize,
    categories: &[(String, usize)],
    providers: &[crate::catalogue::ProviderSummary],
    notes: &Notes,
    now: DateTime<Utc>,
) -> String {
    let (t, lang) = (ctx.lang.t(), ctx.lang);
    let mut body = format!("<h1>{}</h1>", esc(ctx.title));
    if !notes.unusable.is_empty() {
        body.push_str("<div role=\"alert\">");
        for (name, why) in &notes.unusable {
            let text = lang.message("bad-filter", &[("filter", filter_label(t, name)), ("value", why)]);
            let _ = write!(body, "<p>{}</p>", esc(&text));
        }
        body.push_str("</div>");
    }
    body.push_str(&search_form(t, f, lang, categories, providers));
    let active = f.active();
    if !active.is_empty() {
        let _ = write!(
            body,
            "<h2 class=\"visually-hidden\" id=\"active\">{}</h2><ul class=\"active-filters\" aria-labelledby=\"active\">",
            t.active_filters
        );
        for &(name, value) in &active {
            let text = filter_text(ctx, name, value, providers);
            let remove = lang.message("remove-filter", &[("filter", &text)]);
            let _ = write!(
                body,
                "<li>{} <a href=\"/?{}&amp;lang={}\" aria-label=\"{}\" title=\"{}\">✕</a></li>",
                esc(&text),
                esc(&f.without(name).query_string(None)),
                lang.code(),
                esc(&remove),
                esc(&remove)
            );
        }
        body.push_str("</ul>");
    }
    let current = f.page();
    let pages = page.total.div_ceil(per_page.max(1));
    let where_ = if pages > 1 && current <= pages {
        format!(" · {}", lang.message("page-of", &[("page", &current.to_string()), ("pages", &pages.to_string())]))
    } else {
        String::new()
    };
    let _ = write!(
        body,
        "<section aria-labelledby=\"results\"><h2 id=\"results\">{} ({}){where_}</h2>",
        t.results, page.total
    );
    if entries.is_empty() {
        if page.total > 0 {
            // Past the last page: say so, and where the last one is.
            let text = lang.message("past-last-page", &[("page", &current.to_string()), ("pages", &pages.to_string())]);
            let _ = write!(
                body,
                "<p>{} <a href=\"/?{}&amp;lang={}\">{}</a></p>",
                esc(&text),
                esc(&f.query_string(Some(pages))),
                lang.code(),
                t.last_page
            );
        } else {
            let _ = write!(body, "<p>{}</p>", t.nothing);
            if !notes.emptied_by.is_empty() {
                body.push_str("<ul>");
                for (name, found, qs) in &notes.emptied_by {
                    let value = active.iter().find(|(n, _)| n == name).map_or("", |(_, v)| *v);
                    let text = lang.message(
                        "emptied-by",
                        &[
                            ("filter", &filter_text(ctx, name, value, providers)),
                            ("found", &lang.count("entries-count", *found)),
                        ],
                    );
                    let _ =
                        write!(body, "<li><a href=\"/?{}&amp;lang={}\">{}</a></li>", esc(qs), lang.code(), esc(&text));
                }
                body.push_str("</ul>");
            }
        }
    } else {
        let start = (current - 1) * per_page + 1;
        let _ = write!(body, "<ol class=\"results\" start=\"{start}\">");
        for e in entries {
            body.push_str(&result_item(ctx, e, now));
        }
        body.push_str("</ol>");
    }
    if pages > 1 {
        body.push_str(&paging(ctx, f, current, pages));
    }
    let qs = esc(&f.query_string(None));
    let _ = write!(
        body,
        "<p>{}: <a href=\"/export.ics?{qs}\">iCal</a> · <a href=\"/export.atom?{qs}\">Atom</a> · <a href=\"/export.json?{qs}\">JSON Feed</a></p></section>",
        t.subscribe
    );
    layout(ctx, t.search, &body)
}

/// schema.org JSON-LD of an entry (a `Course` with course instances, or an `Event`), safe to
/// embed in a `<script>` element.
pub fn json_ld(e: &Entry, url: &str) -> String {
    let location = e.location.as_ref().map(|l| {
        let mut place = serde_json::json!({"@type": "Place", "name": l.venue, "address": {
            "@type": "PostalAddress", "streetAddress": l.address, "addressLocality": l.city,
            "postalCode": l.postal_code, "addressCountry": l.country}});
        if let Some(g) = l.geo {
            place["geo"] = serde_json::json!({"@type": "GeoCoordinates", "latitude": g.lat, "longitude": g.lon});
        }
        place
    });
    let status = if e.status == Status::Cancelled {
        "https://schema.org/EventCancelled"
    } else {
        "https://schema.org/EventScheduled"
    };
    let attendance = match e.mode {
        Mode::Online => "https://schema.org/OnlineEventAttendanceMode",
        Mode::Hybrid => "https://schema.org/MixedEventAttendanceMode",
        _ => "https://schema.org/OfflineEventAttendanceMode",
    };
    let organizer: Vec<serde_json::Value> = e
        .sources
        .iter()
        .map(|s| serde_json::json!({"@type": "Organization", "name": s.provider_name.as_deref().unwrap_or(&s.provider_id)}))
        .collect();
    let events: Vec<serde_json::Value> = e
        .sessions
        .iter()
        .map(|s| {
            let mut ev = serde_json::json!({
                "@type": "Event", "name": e.title, "startDate": s.start.to_rfc3339(),
                "eventStatus": status, "eventAttendanceMode": attendance, "url": url,
            });
            if let Some(end) = s.end {
                ev["endDate"] = end.to_rfc3339().into();
            }
            if let Some(l) = &location {
                ev["location"] = l.clone();
            }
            if let Some(u) = &e.online_url {
                ev["location"] = serde_json::json!({"@type": "VirtualLocation", "url": u});
            }
            if let Some(p) = &e.price {
                ev["offers"] = serde_json::json!({"@type": "Offer", "price": if p.free { Some(0.0) } else { p.amount },
                    "priceCurrency": p.currency, "url": e.registration_url.as_deref().unwrap_or(url)});
            }
            ev
        })
        .collect();
    let value = if events.len() == 1 {
        let mut ev = events.into_iter().next().unwrap_or_default();
        ev["@context"] = "https://schema.org".into();
        ev["description"] = e.summary.clone().into();
        ev["organizer"] = organizer.into();
        ev
    } else {
        serde_json::json!({"@context": "https://schema.org", "@type": "Course", "name": e.title,
            "description": e.summary, "url": url, "provider": organizer,
            "hasCourseInstance": events.into_iter().map(|mut ev| { ev["@type"] = "CourseInstance".into(); ev }).collect::<Vec<_>>()})
    };
    // `</script>` or `<!--` inside a string must not end the element.
    serde_json::to_string(&value)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// ` lang="xx"` when the entry is in one language other than the page's (WCAG 3.1.2: a screen
/// reader then speaks a Belarusian title on an English page as Belarusian); empty otherwise.
fn lang_attr(e: &Entry, page: Lang) -> String {
    match e.languages.as_slice() {
        [one] if !one.eq_ignore_ascii_case(page.code()) => format!(" lang=\"{}\"", esc(one)),
        _ => String::new(),
    }
}

/// The page of one entry.
pub fn entry(ctx: &PageContext<'_>, e: &Entry, public_url: &str, now: DateTime<Utc>) -> String {
    let t = ctx.lang.t();
    let url = format!("{public_url}/entry/{}", e.id);
    let text_lang = lang_attr(e, ctx.lang);
    let mut body = format!("<article><h1{text_lang}>{}</h1>", esc(&e.title));
    if e.status == Status::Cancelled {
        let _ = write!(body, "<p><span class=\"badge\">{}</span></p>", t.cancelled);
    }
    let about: Vec<String> = std::iter::once(kind_word(t, e.kind).to_owned())
        .chain(mode_word(t, e.mode).map(str::to_owned))
        .chain(e.categories.iter().map(|c| esc(category_label(c, ctx.lang))))
        .collect();
    let _ = write!(body, "<p class=\"meta\">{}</p>", about.join(" · "));
    // The summary, unless the description already says it (most providers' summary is the
    // description's first sentences: shown twice, it read as a defect).
    if let Some(s) = e.summary.as_deref().filter(|s| !e.description_html.as_deref().is_some_and(|d| says(d, s))) {
        let _ = write!(body, "<p{text_lang}>{}</p>", esc(s));
    }
    if let Some(d) = &e.description_html {
        let _ = write!(body, "<div>{}</div>", description(d, ctx.images, t.image));
    }
    let _ = write!(body, "<h2>{}</h2>", t.sessions);
    if e.sessions.len() > 1 {
        let rhythm = crate::when::rhythm(ctx.lang, ctx.zone, &e.sessions).map(|r| format!(" · {}", esc(&r)));
        let _ =
            write!(body, "<p>{}{}</p>", ctx.lang.count("sessions-count", e.sessions.len()), rhythm.unwrap_or_default());
    }
    body.push_str("<ul>");
    for s in &e.sessions {
        let past = if s.end_or_start() < now { " class=\"meta\"" } else { "" };
        let cancelled =
            if s.cancelled { format!(" <span class=\"badge\">{}</span>", t.cancelled) } else { String::new() };
        let _ = write!(body, "<li{past}>{}{cancelled}</li>", when(ctx, s));
    }
    body.push_str("</ul>");
    if let Some(l) = &e.location {
        let text: Vec<&str> = [l.venue.as_deref(), l.address.as_deref(), l.district.as_deref(), l.city.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        let _ = write!(body, "<h2>{}</h2><p>{}</p>", t.place, esc(&text.join(", ")));
        if let Some(g) = l.geo {
            let _ = write!(
                body,
                "<p><a href=\"https://www.openstreetmap.org/?mlat={lat}&amp;mlon={lon}#map=17/{lat}/{lon}\">{}</a></p>",
                t.map,
                lat = g.lat,
                lon = g.lon
            );
        }
    }
    if let Some(u) = &e.online_url {
        let _ = write!(body, "<p>{}: <a href=\"{u}\">{u}</a></p>", t.online_at, u = esc(u));
    }
    if let Some(p) = &e.price {
        let _ = write!(body, "<p>{}: {}</p>", t.price, esc(&price_text(p, t.free)));
    }
    if !e.audience.accessibility.is_empty() || e.audience.accessibility_notes.is_some() {
        let notes = e.audience.accessibility_notes.as_deref().unwrap_or("");
        let _ =
            write!(body, "<p>{}: {} {}</p>", t.accessibility, esc(&e.audience.accessibility.join(", ")), esc(notes));
    }
    // Where "Register" leads is said: the entry's sources may be several providers', and the
    // link may be another's than the one a resident expects.
    if let Some(r) = e.registration_url.as_ref().or(e.landing_url.as_ref()) {
        let host = url::Url::parse(r).ok().and_then(|u| u.host_str().map(|h| h.trim_start_matches("www.").to_owned()));
        let at = host.map(|h| format!(" <span class=\"meta\">({})</span>", esc(&h))).unwrap_or_default();
        let _ = write!(body, "<p><a href=\"{}\">{}</a>{at}</p>", esc(r), t.register);
    }
    if !e.sessions.is_empty() {
        let _ = write!(body, "<p><a href=\"/entry/{}/calendar.ics\">{}</a></p>", esc(&e.id), t.add_to_calendar);
    }
    let _ = write!(body, "<h2>{}</h2><ul>", t.sources);
    for s in &e.sources {
        let name = esc(s.provider_name.as_deref().unwrap_or(&s.provider_id));
        let link = s.url.as_deref().map(|u| format!(" — <a href=\"{0}\">{0}</a>", esc(u))).unwrap_or_default();
        let _ = write!(
            body,
            "<li><a href=\"/provider/{}?lang={}\">{name}</a>: {}{link}</li>",
            esc(&s.provider_id),
            ctx.lang.code(),
            esc(&s.title)
        );
    }
    body.push_str("</ul></article>");
    let _ = write!(body, "<script type=\"application/ld+json\">{}</script>", json_ld(e, &url));
    layout(ctx, &e.title, &body)
}

/// A price as a resident reads it: "free", or the amount (a range when given) and currency,
/// then the provider's own wording when it adds something (never "10 BYN 10 BYN").
pub fn price_text(p: &learncity_model::Price, free: &str) -> String {
    if p.free {
        return free.to_owned();
    }
    let amount = match (p.amount, p.amount_max) {
        (Some(a), Some(b)) if b > a => Some(format!("{a}–{b}")),
        (Some(a), _) => Some(a.to_string()),
        _ => None,
    };
    let stated: Vec<String> = [amount, p.currency.clone()].into_iter().flatten().collect();
    let stated = stated.join(" ");
    match p.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => stated,
        Some(text) if stated.is_empty() => text.to_owned(),
        // The wording repeats the amount ("10 BYN", "10 руб. за занятие"): the wording alone says more.
        Some(text) if p.amount.is_some_and(|a| text.replace(',', ".").contains(&a.to_string())) => text.to_owned(),
        Some(text) => format!("{stated} ({text})"),
    }
}

/// Whether the description `html` already says `summary` (compared as plain words).
fn says(html: &str, summary: &str) -> bool {
    static TAG: LazyLock<regex::Regex> = LazyLock::new(|| regex::Regex::new(r"<[^>]*>").expect("static regex"));
    let words = |text: &str| -> String {
        let text = text.replace("&nbsp;", " ").replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'");
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let summary = words(summary);
    !summary.is_empty() && words(&TAG.replace_all(html, " ")).contains(&summary)
}

/// The list of providers.
pub fn providers(ctx: &PageContext<'_>, providers: &[crate::catalogue::ProviderSummary]) -> String {
    let t = ctx.lang.t();
    let mut body = format!("<h1>{}</h1><ul>", t.providers);
    for p in providers {
        let _ = write!(
            body,
            "<li><a href=\"/provider/{}?lang={}\">{}</a> — {}</li>",
            esc(&p.id),
            ctx.lang.code(),
            esc(p.name.as_deref().unwrap_or(&p.id)),
            ctx.lang.count("entries-count", p.entries)
        );
    }
    body.push_str("</ul>");
    layout(ctx, t.providers, &body)
}

/// The page of one provider: its entries, soonest first.
pub fn provider(
    ctx: &PageContext<'_>,
    summary: &crate::catalogue::ProviderSummary,
    entries: &[std::sync::Arc<Entry>],
    now: DateTime<Utc>,
) -> String {
    let t = ctx.lang.t();
    let name = summary.name.as_deref().unwrap_or(&summary.id);
    let mut body = format!(
        "<h1>{}</h1><p>{}</p><ol class=\"results\">",
        esc(name),
        ctx.lang.count("entries-count", summary.entries)
    );
    for e in entries {
        body.push_str(&result_item(ctx, e, now));
    }
    let _ = write!(
        body,
        "</ol><p>{}: <a href=\"/export.ics?provider={id}\">iCal</a> · <a href=\"/export.atom?provider={id}\">Atom</a></p>",
        t.subscribe,
        id = esc(&summary.id)
    );
    layout(ctx, name, &body)
}

/// An error page.
pub fn error(ctx: &PageContext<'_>, heading: &str, message: &str) -> String {
    let body =
        format!("<h1>{}</h1><p>{}</p><p><a href=\"/\">{}</a></p>", esc(heading), esc(message), ctx.lang.t().home);
    layout(ctx, heading, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIXEL: &str =
        r#"<p>Hello <img src="https://tracker.example/p.gif?u=1" alt="Our &quot;poster&quot; <b>" width="1">world</p>"#;

    #[test]
    fn images_are_dropped_for_their_alt_text_by_default() {
        // Regression: `<img src="https://tracker.example/p.gif">` in a description was rendered as is, so every
        // resident opening the entry fetched the provider's tracking pixel.
        let out = description(PIXEL, ImageMode::Drop, "image");
        assert!(!out.contains("<img") && !out.contains("tracker.example"), "{out}");
        assert_eq!(out, "<p>Hello [Our &quot;poster&quot; &lt;b&gt;]world</p>");
        let out = description(
            r#"<p>a<img src="https://x.example/i.png">b<img src="x.png" alt=""/>c</p>"#,
            ImageMode::Drop,
            "image",
        );
        assert_eq!(out, "<p>abc</p>");
    }

    #[test]
    fn a_title_in_another_language_than_the_page_says_which() {
        let entry = |languages: &[&str]| -> Entry {
            serde_json::from_value(serde_json::json!({
                "schema_version": 1, "id": "e-0000000000000001", "title": "Лекцыя пра Скарыну", "kind": "lecture",
                "mode": "in_person", "status": "scheduled", "audience": {}, "languages": languages,
                "sources": [], "updated_at": "2026-12-01T10:00:00Z"
            }))
            .unwrap()
        };
        assert_eq!(lang_attr(&entry(&["be"]), Lang::En), r#" lang="be""#);
        assert_eq!(lang_attr(&entry(&["be"]), Lang::Be), "", "the page's own language needs no attribute");
        assert_eq!(lang_attr(&entry(&["be", "ru"]), Lang::En), "", "two languages: not one to name");
        assert_eq!(lang_attr(&entry(&[]), Lang::En), "");
        let ctx =
            PageContext { lang: Lang::En, title: "Catalogue", here: "/".into(), images: ImageMode::Drop, zone: None };
        let page = super::entry(&ctx, &entry(&["be"]), "https://learn.example", Utc::now());
        assert!(page.contains(r#"<h1 lang="be">Лекцыя пра Скарыну</h1>"#), "{page}");
    }

    #[test]
    fn images_can_become_plain_links() {
        let out = description(PIXEL, ImageMode::Link, "image");
        assert!(!out.contains("<img"), "{out}");
        assert!(
            out.contains(r#"<a href="https://tracker.example/p.gif?u=1" rel="noopener noreferrer nofollow">Our &quot;poster&quot; &lt;b&gt;</a>"#),
            "{out}"
        );
        let out = description(r#"<img src="https://x.example/i.png">"#, ImageMode::Link, "изображение");
        assert!(out.contains(">изображение</a>"), "{out}");
        // Only absolute http(s) images become links.
        assert_eq!(description(r#"<img src="javascript:alert(1)" alt="x">"#, ImageMode::Link, "image"), "[x]");
    }

    #[test]
    fn odd_img_markup_never_survives() {
        for html in [
            r#"<IMG SRC="https://t.example/a.gif">"#,
            r#"<img/src="https://t.example/a.gif">"#,
            r#"<img src=https://t.example/a.gif alt=x>"#,
            r#"<img srcset="https://t.example/a.gif 1x" alt='x > y'>"#,
            r#"<picture><source srcset="https://t.example/a.gif"><img src="https://t.example/b.gif"></picture>"#,
            r#"<svg><image href="https://t.example/a.gif"/></svg>"#,
            r#"<p style="background:url(https://t.example/a.gif)">x</p>"#,
        ] {
            for mode in [ImageMode::Drop, ImageMode::Link] {
                let out = description(html, mode, "image");
                assert!(!out.to_ascii_lowercase().contains("<img"), "{html} -> {out}");
                assert!(
                    !out.contains("srcset") && !out.contains("<source") && !out.contains("<image"),
                    "{html} -> {out}"
                );
                assert!(!out.contains("style="), "{html} -> {out}");
                if mode == ImageMode::Drop {
                    assert!(!out.contains("t.example"), "{html} -> {out}");
                }
            }
        }
    }

    #[test]
    fn a_price_is_said_once_with_the_providers_wording_when_it_adds_something() {
        let price = |amount: Option<f64>, text: Option<&str>| learncity_model::Price {
            free: false,
            amount,
            amount_max: None,
            currency: Some("BYN".into()),
            per: None,
            text: text.map(str::to_owned),
        };
        // Regression: "Цена: 10 BYN 10 BYN".
        assert_eq!(price_text(&price(Some(10.0), Some("10 BYN")), "free"), "10 BYN");
        assert_eq!(price_text(&price(Some(12.5), Some("12,5 руб. за занятие")), "free"), "12,5 руб. за занятие");
        assert_eq!(price_text(&price(Some(410.0), Some("за курс")), "free"), "410 BYN (за курс)");
        assert_eq!(price_text(&price(Some(10.0), None), "free"), "10 BYN");
        let range = learncity_model::Price { amount_max: Some(25.0), ..price(Some(15.0), None) };
        assert_eq!(price_text(&range, "free"), "15–25 BYN");
        assert_eq!(price_text(&learncity_model::Price::free(), "бясплатна"), "бясплатна");
    }

    #[test]
    fn paging_numbers_the_pages_around_this_one() {
        let ctx =
            PageContext { lang: Lang::En, title: "Catalogue", here: "/".into(), images: ImageMode::Drop, zone: None };
        let nav = paging(&ctx, &Filters::default(), 6, 13);
        let shown: Vec<&str> =
            nav.split(['>', '<']).filter(|t| !t.trim().is_empty() && !t.contains('=') && !t.starts_with('/')).collect();
        assert_eq!(shown, ["‹ Previous page", "1", "…", "4", "5", "6", "7", "8", "…", "13", "Next page ›"], "{nav}");
        assert!(
            nav.contains("<span aria-current=\"page\">6</span>")
                && nav.contains("rel=\"next\" href=\"/?page=7&amp;lang=en\"")
        );
        let first = paging(&ctx, &Filters::default(), 1, 2);
        assert!(!first.contains("rel=\"prev\"") && first.contains("rel=\"next\""), "{first}");
    }

    #[test]
    fn a_summary_the_description_already_says_is_not_said_twice() {
        assert!(says("<p>Для начинающих,&nbsp;12 <b>занятий</b>. Запись открыта.</p>", "Для начинающих, 12 занятий"));
        assert!(!says("<p>Запись открыта.</p>", "Для начинающих, 12 занятий"));
        assert!(!says("<p>x</p>", "  "));
    }
}
