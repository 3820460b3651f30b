//! microformats2 `h-event`s in HTML pages (`class="h-event"` with `p-name`, `dt-start`,
//! `dt-end`, `dt-duration`, `p-location` — text or a nested `h-card` / `h-adr` / `h-geo` —,
//! `p-summary`, `e-content`/`e-description`, `u-url`, `u-uid`, `u-photo`, `p-category`, and the
//! widespread `p-organizer` and `p-price`): read automatically, like JSON-LD and microdata, when
//! a page has no schema.org data.
//!
//! A small parser after the microformats2 parsing rules (<https://microformats.org/wiki/microformats2-parsing>):
//! an item's properties are the elements under it with `p-`/`u-`/`dt-`/`e-` classes, not looking
//! inside nested items (a property that is itself an item, `class="p-location h-card"`, is
//! read as one); values come from `abbr[title]`, `data[value]`, `time[datetime]`, `a[href]`,
//! `img[src]`/`img[alt]`… as the rules say, then from the text; the value-class pattern
//! (`<span class="dt-start"><span class="value">2025-03-12</span> <span class="value">18:30</span></span>`)
//! is honoured. Implied properties and microformats1 (`vevent`) are not read.
//!
//! Guarantees: no panic, nesting read [`MAX_DEPTH`] items deep at most, descriptions kept as
//! raw HTML (sanitised in [`crate::normalise`]), URLs made absolute against the page.

use learncity_model::{Geo, Location, Party};
use scraper::{ElementRef, Html, Selector};

use crate::dates;
use crate::draft::Draft;
use crate::jsonld::Env;
use crate::text::{collapse_whitespace, resolve_url};

/// Nested items deeper than this are read as text.
pub const MAX_DEPTH: usize = 8;
/// `h-event`s read per page at most.
pub const MAX_EVENTS: usize = 5_000;

/// True when the page has any `h-event`.
pub fn has_events(page: &Html) -> bool {
    Selector::parse(".h-event").is_ok_and(|s| page.select(&s).next().is_some())
}

/// One draft per `h-event` on the page, in document order.
pub fn read(page: &Html, env: &Env<'_>) -> Vec<Draft> {
    let Ok(sel) = Selector::parse(".h-event") else { return Vec::new() };
    page.select(&sel)
        .take(MAX_EVENTS)
        .map(|el| draft(&item(el, 0), env))
        .map_while(|d| crate::budget::take(d.sessions.len()).then_some(d))
        .collect()
}

/// A parsed microformat: its `h-*` types and its properties in document order.
#[derive(Debug, Clone, Default, PartialEq)]
struct Item {
    types: Vec<String>,
    props: Vec<Prop>,
    /// The item element's whole text (a nested item's value when it has no name).
    text: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Prop {
    name: String,
    /// The value by the prefix's rules (`u-`: the URL; `dt-`: the date text; `e-`: the text).
    value: String,
    /// `e-` properties: the inner HTML.
    html: Option<String>,
    /// A property that is itself an item.
    nested: Option<Item>,
}

impl Item {
    fn all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a Prop> + use<'a, 'n> {
        self.props.iter().filter(move |p| p.name == name)
    }

    fn first(&self, name: &str) -> Option<&Prop> {
        self.all(name).find(|p| !p.value.is_empty() || p.nested.is_some())
    }

    fn value(&self, name: &str) -> Option<String> {
        self.all(name).map(|p| p.value.clone()).find(|v| !v.is_empty())
    }
}

fn classes(el: ElementRef<'_>) -> impl Iterator<Item = &str> {
    el.value().attr("class").unwrap_or_default().split_whitespace()
}

fn is_item(el: ElementRef<'_>) -> bool {
    classes(el).any(|c| c.starts_with("h-") && c.len() > 2)
}

/// Parses the item rooted at `root`.
fn item(root: ElementRef<'_>, depth: usize) -> Item {
    let types = classes(root).filter(|c| c.starts_with("h-") && c.len() > 2).map(str::to_owned).collect();
    let mut props = Vec::new();
    let mut pending: Vec<ElementRef<'_>> = root.child_elements().collect();
    pending.reverse();
    while let Some(el) = pending.pop() {
        let nested_item = is_item(el);
        for class in classes(el) {
            let Some((prefix, name)) = class.split_once('-') else { continue };
            if name.is_empty() || !matches!(prefix, "p" | "u" | "dt" | "e") {
                continue;
            }
            let mut prop = Prop { name: name.to_owned(), ..Prop::default() };
            if nested_item && depth < MAX_DEPTH {
                let nested = item(el, depth + 1);
                prop.value = nested.value("name").unwrap_or_else(|| nested.text.clone());
                if prefix == "u" {
                    prop.value = nested.value("url").unwrap_or(prop.value);
                }
                prop.nested = Some(nested);
            } else {
                prop.value = match prefix {
                    "u" => url_value(el),
                    "dt" => dt_value(el),
                    "e" => text_of(el),
                    _ => p_value(el),
                };
                if prefix == "e" {
                    prop.html = Some(el.inner_html());
                }
            }
            props.push(prop);
        }
        // A nested item's properties are its own.
        if !nested_item {
            let mut children: Vec<ElementRef<'_>> = el.child_elements().collect();
            children.reverse();
            pending.extend(children);
        }
    }
    Item { types, props, text: text_of(root) }
}

fn text_of(el: ElementRef<'_>) -> String {
    collapse_whitespace(&el.text().collect::<String>())
}

fn attr(el: ElementRef<'_>, name: &str) -> Option<String> {
    el.value().attr(name).map(collapse_whitespace).filter(|v| !v.is_empty())
}

/// The `value` children of a property, when it uses the value-class pattern.
fn value_parts(el: ElementRef<'_>, of: fn(ElementRef<'_>) -> String) -> Option<String> {
    let Ok(sel) = Selector::parse(".value, .value-title") else { return None };
    let parts: Vec<String> = el
        .select(&sel)
        .map(|v| if classes(v).any(|c| c == "value-title") { attr(v, "title").unwrap_or_default() } else { of(v) })
        .filter(|v| !v.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// `p-*`: `abbr`/`link` title, `data`/`input` value, `img`/`area` alt, else the text.
fn p_value(el: ElementRef<'_>) -> String {
    if let Some(v) = value_parts(el, |v| {
        let by = match v.value().name() {
            "img" | "area" => attr(v, "alt"),
            "data" => attr(v, "value"),
            "abbr" => attr(v, "title"),
            _ => None,
        };
        by.unwrap_or_else(|| text_of(v))
    }) {
        return v;
    }
    let by = match el.value().name() {
        "abbr" | "link" => attr(el, "title"),
        "data" | "input" => attr(el, "value"),
        "img" | "area" => attr(el, "alt"),
        _ => None,
    };
    by.unwrap_or_else(|| text_of(el))
}

/// `u-*`: `href` of `a`/`area`/`link`, `src` of media, `data` of `object`, else like `p-*`.
fn url_value(el: ElementRef<'_>) -> String {
    let by = match el.value().name() {
        "a" | "area" | "link" => attr(el, "href"),
        "img" | "audio" | "video" | "source" | "iframe" => attr(el, "src"),
        "object" => attr(el, "data"),
        _ => None,
    };
    by.unwrap_or_else(|| p_value(el))
}

/// `dt-*`: value-class parts, else `datetime` of `time`/`ins`/`del`, `title` of `abbr`, `value`
/// of `data`/`input`, else the text.
fn dt_value(el: ElementRef<'_>) -> String {
    if let Some(v) = value_parts(el, |v| {
        let by = match v.value().name() {
            "time" | "ins" | "del" => attr(v, "datetime"),
            "abbr" => attr(v, "title"),
            "data" | "input" => attr(v, "value"),
            _ => None,
        };
        by.unwrap_or_else(|| text_of(v))
    }) {
        return v;
    }
    let by = match el.value().name() {
        "time" | "ins" | "del" => attr(el, "datetime"),
        "abbr" => attr(el, "title"),
        "data" | "input" => attr(el, "value"),
        _ => None,
    };
    by.unwrap_or_else(|| text_of(el))
}

/// An `h-event` as a draft.
fn draft(ev: &Item, env: &Env<'_>) -> Draft {
    let base = env.base;
    let mut d = Draft {
        title: ev.value("name"),
        summary: ev.value("summary"),
        guid: ev.value("uid"),
        price_text: ev.value("price"),
        ..Draft::default()
    };
    if let Some(url) = ev.value("url") {
        match resolve_url(base, &url) {
            Some(u) => d.url = Some(u),
            None => d.warn("url", crate::text::unresolved_url_message(base, &url)),
        }
    }
    d.description_html = ["content", "description"]
        .into_iter()
        .find_map(|n| ev.all(n).find_map(|p| p.html.clone().filter(|h| !h.trim().is_empty())));
    if d.description_html.is_none() {
        d.description_text = ev.value("description");
    }
    for photo in ev.all("photo").map(|p| p.value.as_str()).filter(|v| !v.is_empty()) {
        if let Some(u) = resolve_url(base, photo)
            && !d.images.contains(&u)
        {
            d.images.push(u);
        }
    }
    for term in ev.all("category").map(|p| p.value.clone()).filter(|v| !v.is_empty()) {
        if !d.categories.contains(&term) {
            d.categories.push(term);
        }
    }
    if let Some(org) = ev.first("organizer") {
        let url = org.nested.as_ref().and_then(|n| n.value("url")).and_then(|u| resolve_url(base, &u));
        if !org.value.is_empty() {
            d.organizer = Some(Party { name: org.value.clone(), url, email: None });
        }
    }
    if let Some(place) = ev.first("location") {
        match &place.nested {
            Some(card) => {
                d.location = location(card);
                if d.location.venue.is_none() && d.location.address.is_none() {
                    d.location_text = Some(place.value.clone()).filter(|v| !v.is_empty());
                }
            }
            None => d.location_text = Some(place.value.clone()),
        }
    }
    read_dates(ev, env, &mut d);
    d
}

/// A nested `h-card`, `h-adr` or `h-geo` as a location.
fn location(card: &Item) -> Location {
    let adr = card.first("adr").and_then(|p| p.nested.as_ref()).unwrap_or(card);
    let pick = |name: &str| card.value(name).or_else(|| adr.value(name));
    let is_geo_only = card.types.iter().all(|t| t == "h-geo");
    let mut street: Vec<String> = ["street-address", "extended-address"].iter().filter_map(|n| pick(n)).collect();
    street.dedup();
    let mut loc = Location {
        venue: if is_geo_only { None } else { card.value("name").or_else(|| card.value("org")) },
        address: (!street.is_empty()).then(|| street.join(", ")),
        city: pick("locality"),
        postal_code: pick("postal-code"),
        ..Location::default()
    };
    // An h-adr with only a name: its name is the address.
    if loc.address.is_none() && card.types.iter().any(|t| t == "h-adr") {
        loc.address = loc.venue.take();
    }
    let geo = card.first("geo").and_then(|p| p.nested.as_ref()).unwrap_or(card);
    let coordinate = |name: &str| geo.value(name).and_then(|v| v.trim().parse::<f64>().ok());
    if let (Some(lat), Some(lon)) = (coordinate("latitude"), coordinate("longitude")) {
        loc.geo = Some(Geo { lat, lon });
    }
    loc
}

/// `dt-start`, then `dt-end` (a time alone ends on the start's day) or `dt-duration`.
fn read_dates(ev: &Item, env: &Env<'_>, d: &mut Draft) {
    let clock = env.clock;
    let Some(start_text) = ev.value("start") else { return };
    let Some(span) = dates::parse_span(&start_text, &[], &clock) else {
        d.warn("start", dates::explain_failure(&start_text, &clock));
        return;
    };
    let mut end = span.end;
    if let Some(end_text) = ev.value("end") {
        match dates::parse_end_text(&end_text, &[], &span.start, &clock) {
            Some(e) => end = Some(e),
            None => d.warn("end", format!("{}; the end was left out", dates::explain_failure(&end_text, &clock))),
        }
    } else if let Some(duration) = ev.value("duration") {
        match dates::parse_duration(&duration).and_then(|len| span.start.plus(len)) {
            Some(e) => end = Some(e),
            None => d.warn("duration", format!("`{duration}` is not an ISO 8601 duration; the end was left out")),
        }
    }
    d.sessions.push(dates::to_session(&span.start, end.as_ref(), clock.tz, false));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{fetched_at, with_ctx};
    use crate::{FormatHint, ReaderSettings};
    use learncity_model::{Mode, SourceFormat};

    const PAGE: &str = r#"<!DOCTYPE html><html><body>
<div class="h-feed">
 <article class="h-event" id="e1">
  <h2><a class="p-name u-url" href="/events/pottery">Pottery for beginners</a></h2>
  <p class="p-summary">Throw your first bowl.</p>
  <time class="dt-start" datetime="2025-03-12T18:30">12 March, 18:30</time>–<time class="dt-end" datetime="20:00">20:00</time>
  <div class="p-location h-card">
   <span class="p-name">Art Centre, studio 3</span>,
   <span class="p-street-address">Lenin St 8</span>, <span class="p-locality">Vitebsk</span>
   <data class="p-latitude" value="55.19"></data><data class="p-longitude" value="30.20"></data>
  </div>
  <div class="e-content"><p>Clay and <b>glaze</b> included.</p></div>
  <a class="p-category" href="/tag/art">Art</a> <span class="p-category">Crafts</span>
  <img class="u-photo" src="/img/pottery.jpg" alt="">
  <span class="p-price">15 BYN</span>
 </article>
 <article class="h-event">
  <h2 class="p-name">Python evening</h2>
  <span class="dt-start"><span class="value">2025-03-20</span> at <span class="value">19:00</span></span>
  <abbr class="dt-duration" title="PT2H">two hours</abbr>
  <span class="p-location">Online, link after registration: https://zoom.us/j/123456789</span>
 </article>
 <article class="h-event"><span class="p-name">Someday talk</span><span class="dt-start">soon</span></article>
</div>
</body></html>"#;

    fn read_page(text: &str) -> Vec<Draft> {
        let settings = ReaderSettings { time_zone: "Europe/Minsk".into(), ..Default::default() };
        with_ctx(&settings, Some("https://art.example/afisha/"), fetched_at(), |ctx| {
            let page = Html::parse_document(text);
            read(&page, &Env::new(ctx, ctx.document_url))
        })
    }

    #[test]
    fn reads_every_h_event_with_its_properties() {
        let drafts = read_page(PAGE);
        assert_eq!(drafts.len(), 3);
        let d = &drafts[0];
        assert_eq!(d.title.as_deref(), Some("Pottery for beginners"));
        assert_eq!(d.url.as_deref(), Some("https://art.example/events/pottery"));
        assert_eq!(d.summary.as_deref(), Some("Throw your first bowl."));
        assert_eq!(d.description_html.as_deref().map(str::trim), Some("<p>Clay and <b>glaze</b> included.</p>"));
        assert_eq!(d.categories, ["Art", "Crafts"]);
        assert_eq!(d.images, ["https://art.example/img/pottery.jpg"]);
        assert_eq!(d.price_text.as_deref(), Some("15 BYN"));
        assert_eq!(d.sessions[0].start.to_rfc3339(), "2025-03-12T18:30:00+03:00");
        assert_eq!(d.sessions[0].end.unwrap().to_rfc3339(), "2025-03-12T20:00:00+03:00");
        assert_eq!(d.location.venue.as_deref(), Some("Art Centre, studio 3"));
        assert_eq!(d.location.address.as_deref(), Some("Lenin St 8"));
        assert_eq!(d.location.city.as_deref(), Some("Vitebsk"));
        assert_eq!(d.location.geo, Some(Geo { lat: 55.19, lon: 30.20 }));
        // The card's own name is not the event's.
        assert!(d.location_text.is_none());
    }

    #[test]
    fn value_class_pattern_duration_and_text_locations() {
        let drafts = read_page(PAGE);
        let d = &drafts[1];
        assert_eq!(d.sessions[0].start.to_rfc3339(), "2025-03-20T19:00:00+03:00");
        assert_eq!(d.sessions[0].end.unwrap().to_rfc3339(), "2025-03-20T21:00:00+03:00");
        assert!(d.location_text.as_deref().unwrap().contains("zoom.us"));
        let bad = &drafts[2];
        assert!(bad.sessions.is_empty() && bad.warnings.iter().any(|(f, _)| f == "start"), "{:?}", bad.warnings);
    }

    #[test]
    fn pages_with_h_events_are_read_automatically_without_rules() {
        let settings = ReaderSettings { time_zone: "Europe/Minsk".into(), ..Default::default() };
        let out = with_ctx(&settings, Some("https://art.example/afisha/"), fetched_at(), |ctx| {
            crate::read(PAGE.as_bytes(), FormatHint::Auto, ctx).unwrap()
        });
        assert_eq!(out.format, SourceFormat::Microformats);
        assert_eq!(out.offerings.len(), 3);
        assert_eq!(out.offerings[0].mode, Mode::InPerson);
        assert_eq!(out.offerings[1].mode, Mode::Online);
        assert_eq!(out.offerings[1].online_url.as_deref(), Some("https://zoom.us/j/123456789"));
        let price = out.offerings[0].price.as_ref().unwrap();
        assert_eq!((price.amount, price.currency.as_deref()), (Some(15.0), Some("BYN")));
    }

    #[test]
    fn schema_org_data_wins_over_h_events() {
        let page = format!(
            "{}<script type=\"application/ld+json\">{{\"@context\":\"https://schema.org\",\"@type\":\"Event\",\
             \"name\":\"From JSON-LD\",\"startDate\":\"2025-05-01T10:00\"}}</script></body></html>",
            PAGE.trim_end_matches("</body></html>")
        );
        let settings = ReaderSettings::default();
        let out =
            with_ctx(&settings, None, fetched_at(), |ctx| crate::read(page.as_bytes(), FormatHint::Html, ctx).unwrap());
        assert_eq!(out.format, SourceFormat::Jsonld);
    }

    #[test]
    fn nested_properties_stay_with_their_item() {
        let page = r#"<div class="h-event"><span class="p-name">Outer</span>
            <div class="p-organizer h-card"><a class="p-name u-url" href="https://org.example/">Org</a>
              <span class="p-category">not the event's</span></div></div>"#;
        let d = &read_page(page)[0];
        assert_eq!(d.title.as_deref(), Some("Outer"));
        assert!(d.categories.is_empty());
        let org = d.organizer.as_ref().unwrap();
        assert_eq!((org.name.as_str(), org.url.as_deref()), ("Org", Some("https://org.example/")));
    }
}
