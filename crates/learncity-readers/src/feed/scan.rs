//! A second, light pass over the repaired XML with quick-xml, for what feed-rs does not expose:
//! the event extensions of items (RSS event module `ev:`, xCal, GeoRSS / W3C geo), whether a
//! GUID is a permalink, Dublin Core / Media RSS / iTunes fallbacks for title, description and
//! categories, Dublin Core terms dates, the `xml:base` in force at an item's content, and the
//! first XML error with its line and column (feed-rs reports errors without a position).
//!
//! Items are collected in document order exactly as feed-rs walks them (`item` children of
//! `channel`, of an RSS 1.0 `RDF` root, or of `rss`; `entry` children of `feed`), so the n-th
//! [`ItemExtras`] belongs to the n-th feed-rs entry (feed-rs drops RSS 1.0 items without a
//! `link`; so does this pass).

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, XmlVersion};
use url::Url;

/// RSS 1.0 event module (mod_event).
const NS_EVENT: &str = "http://purl.org/rss/1.0/modules/event/";
/// xCal: the pre-RFC draft namespace and RFC 6321's.
const NS_XCAL: &[&str] = &["urn:ietf:params:xml:ns:xcal", "urn:ietf:params:xml:ns:icalendar-2.0"];
/// GeoRSS Simple.
const NS_GEORSS: &str = "http://www.georss.org/georss";
/// GML (GeoRSS GML profile).
const NS_GML: &str = "http://www.opengis.net/gml";
/// W3C basic geo vocabulary.
const NS_GEO: &str = "http://www.w3.org/2003/01/geo/wgs84_pos#";
/// Dublin Core terms.
const NS_DCTERMS: &str = "http://purl.org/dc/terms/";
/// Media RSS.
const NS_MEDIA: &str = "http://search.yahoo.com/mrss/";
/// Dublin Core elements.
const NS_DC: &str = "http://purl.org/dc/elements/1.1/";
/// XHTML (`<xhtml:body>` in RSS items).
const NS_XHTML: &str = "http://www.w3.org/1999/xhtml";
/// iTunes podcast elements.
const NS_ITUNES: &str = "http://www.itunes.com/dtds/podcast-1.0.dtd";
/// Atom 1.0 (Atom 0.3 was mapped onto it by the pre-pass).
const NS_ATOM: &str = "http://www.w3.org/2005/Atom";

/// What one item carries beyond what feed-rs reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemExtras {
    /// `guid` text, trimmed.
    pub guid: Option<String>,
    /// `guid isPermaLink` (RSS 2.0 default: true).
    pub guid_is_permalink: bool,
    /// Event start as written (`ev:startdate`, xCal `dtstart`).
    pub start: Option<Extracted>,
    /// Event end as written (`ev:enddate`, xCal `dtend`).
    pub end: Option<Extracted>,
    /// Free-text location (`ev:location`, xCal `location`, `georss:featurename`).
    pub location: Option<String>,
    /// Organiser name (`ev:organizer`, xCal `organizer`).
    pub organizer: Option<String>,
    /// Event type (`ev:type`).
    pub event_type: Option<String>,
    /// xCal `url`.
    pub event_url: Option<String>,
    /// Coordinates as written: `georss:point` / `gml:pos` ("lat lon").
    pub point: Option<String>,
    /// `geo:lat`, as written.
    pub lat: Option<String>,
    /// `geo:long`, as written.
    pub lon: Option<String>,
    /// A publication date feed-rs does not read (`dcterms:issued`/`created`, Atom 0.3 `issued`/`created`).
    pub published: Option<String>,
    /// A modification date feed-rs does not read (`dcterms:modified`, Atom 0.3 `modified`).
    pub updated: Option<String>,
    /// `media:thumbnail` URLs as written (feed-rs drops thumbnails without `media:content`).
    pub thumbnails: Vec<String>,
    /// A title feed-rs does not read (`dc:title`, `media:title`).
    pub title: Option<String>,
    /// A description feed-rs does not read (`dc:description`, `media:description`, `itunes:summary`,
    /// `xhtml:body`, `fullitem`).
    pub description: Option<String>,
    /// Categories feed-rs does not read (`dc:subject`, `media:category`).
    pub categories: Vec<String>,
    /// The `xml:base` in force at the item's content or description, when the document sets one.
    pub content_base: Option<Url>,
    /// An RSS 1.0 item (a child of `rdf:RDF`).
    pub rdf_item: bool,
    /// The item has a `link` child.
    pub has_link: bool,
}

/// A value and the element it came from (for warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The text, trimmed.
    pub value: String,
    /// `ev:startdate`, `xCal:dtstart`...
    pub element: &'static str,
}

/// The result of the pass.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// One per item, in document order.
    pub items: Vec<ItemExtras>,
    /// The first XML error: (line, column, message).
    pub error: Option<(usize, usize, String)>,
}

/// Which extension field an element feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Guid,
    Start(&'static str),
    End(&'static str),
    Location,
    Organizer,
    EventType,
    EventUrl,
    Point,
    Lat,
    Lon,
    Published,
    Updated,
    Title,
    Description,
    Category,
}

/// Runs the pass over repaired XML; `base` is the document's URL.
pub fn scan(xml: &str, base: Option<&Url>) -> Scan {
    let mut reader = NsReader::from_str(xml);
    reader.config_mut().expand_empty_elements = true;
    let mut out = Scan::default();
    // Local names of open elements, and whether each opened an item.
    let mut stack: Vec<(String, bool)> = Vec::new();
    let mut current: Option<ItemExtras> = None;
    let mut capture: Option<(Target, usize, String)> = None;
    // `xml:base` values in force: (depth of the element that set it, resolved URL).
    let mut bases: Vec<(usize, Url)> = Vec::new();
    loop {
        let event = match reader.read_resolved_event() {
            Ok((ns, event)) => (namespace_of(&ns), event),
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                out.error = Some(position_message(xml, at, &e.to_string()));
                break;
            }
        };
        match event {
            (ns, Event::Start(start)) => {
                let local = start.local_name().as_ref().to_owned();
                if let Some(value) = attribute_qualified(&start, "xml:base") {
                    let current = bases.last().map(|(_, u)| u).or(base);
                    let resolved = match current {
                        Some(b) => b.join(value.trim()).ok(),
                        None => Url::parse(value.trim()).ok(),
                    };
                    if let Some(u) = resolved {
                        bases.push((stack.len(), u));
                    }
                }
                let parent = stack.last().map(|(n, _)| n.as_str()).unwrap_or_default();
                let opens_item = current.is_none()
                    && ((local == "item" && matches!(parent, "channel" | "RDF" | "rss"))
                        || (local == "entry" && parent == "feed"));
                if opens_item {
                    let rdf_item = parent == "RDF";
                    current = Some(ItemExtras { guid_is_permalink: true, rdf_item, ..ItemExtras::default() });
                } else if let Some(item) = current.as_mut()
                    && stack.last().is_some_and(|(_, is_item)| *is_item)
                    && matches!(
                        local.as_str(),
                        "content" | "summary" | "description" | "encoded" | "body" | "fullitem" | "link"
                    )
                {
                    if local == "link" {
                        item.has_link = true;
                    } else if item.content_base.is_none() && !bases.is_empty() {
                        item.content_base = bases.last().map(|(_, u)| u.clone());
                    }
                    if let Some(target) = target_of(ns.as_deref(), prefix_of(&start).as_deref(), &local, &stack)
                        && capture.is_none()
                    {
                        capture = Some((target, stack.len(), String::new()));
                    }
                } else if let Some(item) = current.as_mut()
                    && local == "thumbnail"
                    && (ns.as_deref() == Some(NS_MEDIA)
                        || (ns.is_none() && prefix_of(&start).as_deref() == Some("media")))
                    && let Some(url) = attribute(&start, "url")
                {
                    item.thumbnails.push(url.trim().to_owned());
                } else if let Some(item) = current.as_mut()
                    && capture.is_none()
                    && let Some(target) = target_of(ns.as_deref(), prefix_of(&start).as_deref(), &local, &stack)
                {
                    if target == Target::Guid {
                        item.guid_is_permalink =
                            !attribute(&start, "isPermaLink").is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
                    }
                    capture = Some((target, stack.len(), String::new()));
                }
                stack.push((local, opens_item));
            }
            (_, Event::End(_)) => {
                if let Some((target, _, text)) = capture.take_if(|(_, depth, _)| *depth + 1 == stack.len())
                    && let Some(item) = current.as_mut()
                {
                    store(item, target, text);
                }
                if let Some((_, true)) = stack.pop()
                    && let Some(item) = current.take()
                    && (!item.rdf_item || item.has_link)
                {
                    out.items.push(item);
                }
                while bases.last().is_some_and(|(depth, _)| *depth >= stack.len()) {
                    bases.pop();
                }
            }
            (_, Event::Text(t)) => append(&mut capture, &t.xml10_content()),
            (_, Event::CData(t)) => append(&mut capture, &t.xml10_content()),
            (_, Event::GeneralRef(r)) => {
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = r.xml10_content();
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .map_or_else(|| format!("&{name};"), str::to_owned)
                    }
                };
                append(&mut capture, &text);
            }
            (_, Event::Eof) => break,
            _ => {}
        }
    }
    out
}

fn namespace_of(ns: &ResolveResult<'_>) -> Option<String> {
    match ns {
        ResolveResult::Bound(n) => Some(n.as_ref().to_owned()),
        _ => None,
    }
}

fn prefix_of(start: &BytesStart<'_>) -> Option<String> {
    start.name().prefix().map(|p| p.as_ref().to_ascii_lowercase())
}

/// An attribute by its qualified name (`xml:base`).
fn attribute_qualified(start: &BytesStart<'_>, name: &str) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

fn attribute(start: &BytesStart<'_>, name: &str) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

/// The extension field an element feeds, by namespace (or, when the document forgot to bind the
/// prefix, by the conventional prefix).
fn target_of(ns: Option<&str>, prefix: Option<&str>, local: &str, stack: &[(String, bool)]) -> Option<Target> {
    let is = |uri: &str, conventional: &[&str]| match ns {
        Some(n) => n == uri,
        None => prefix.is_some_and(|p| conventional.contains(&p)),
    };
    let xcal = match ns {
        Some(n) => NS_XCAL.contains(&n),
        None => prefix.is_some_and(|p| p == "xcal"),
    };
    let in_rss = ns.is_none() && prefix.is_none();
    let parent = stack.last().map(|(n, _)| n.as_str()).unwrap_or_default();
    match local {
        "guid" if in_rss || ns == Some("http://purl.org/rss/1.0/") => Some(Target::Guid),
        "startdate" if is(NS_EVENT, &["ev"]) => Some(Target::Start("ev:startdate")),
        "enddate" if is(NS_EVENT, &["ev"]) => Some(Target::End("ev:enddate")),
        "location" if is(NS_EVENT, &["ev"]) => Some(Target::Location),
        "organizer" if is(NS_EVENT, &["ev"]) => Some(Target::Organizer),
        "type" if is(NS_EVENT, &["ev"]) => Some(Target::EventType),
        // xCal: `<xCal:dtstart>` holds the value itself, RFC 6321 wraps it in `<date-time>`/`<date>`.
        "dtstart" if xcal => Some(Target::Start("xCal:dtstart")),
        "dtend" if xcal => Some(Target::End("xCal:dtend")),
        "location" if xcal => Some(Target::Location),
        "organizer" if xcal => Some(Target::Organizer),
        "url" if xcal => Some(Target::EventUrl),
        "point" if is(NS_GEORSS, &["georss"]) => Some(Target::Point),
        "featurename" if is(NS_GEORSS, &["georss"]) => Some(Target::Location),
        "pos" if is(NS_GML, &["gml"]) && parent == "Point" => Some(Target::Point),
        "lat" if is(NS_GEO, &["geo"]) => Some(Target::Lat),
        "long" | "lon" if is(NS_GEO, &["geo"]) => Some(Target::Lon),
        "issued" | "created" if is(NS_DCTERMS, &["dcterms"]) => Some(Target::Published),
        "modified" if is(NS_DCTERMS, &["dcterms"]) => Some(Target::Updated),
        "issued" | "created" if ns == Some(NS_ATOM) => Some(Target::Published),
        "modified" if ns == Some(NS_ATOM) => Some(Target::Updated),
        "title" if is(NS_DC, &["dc"]) || is(NS_MEDIA, &["media"]) => Some(Target::Title),
        "description" if is(NS_DC, &["dc"]) || is(NS_MEDIA, &["media"]) => Some(Target::Description),
        "summary" if is(NS_ITUNES, &["itunes"]) => Some(Target::Description),
        // XHTML bodies (RSS 2.0 practice of the 2000s) and UserLand's `fullitem`.
        "body" if is(NS_XHTML, &["xhtml"]) || in_rss => Some(Target::Description),
        "fullitem" if in_rss => Some(Target::Description),
        "subject" if is(NS_DC, &["dc"]) => Some(Target::Category),
        "category" if is(NS_MEDIA, &["media"]) => Some(Target::Category),
        _ => None,
    }
}

fn append(capture: &mut Option<(Target, usize, String)>, text: &str) {
    if let Some((_, _, buf)) = capture.as_mut()
        && buf.len() < 64 * 1024
    {
        buf.push_str(text);
    }
}

/// Stores a captured value; the first occurrence of each field wins (as in feed-rs).
fn store(item: &mut ItemExtras, target: Target, text: String) {
    let value = text.trim().to_owned();
    if value.is_empty() {
        return;
    }
    let slot = match target {
        Target::Guid => &mut item.guid,
        Target::Location => &mut item.location,
        Target::Organizer => &mut item.organizer,
        Target::EventType => &mut item.event_type,
        Target::EventUrl => &mut item.event_url,
        Target::Point => &mut item.point,
        Target::Lat => &mut item.lat,
        Target::Lon => &mut item.lon,
        Target::Published => &mut item.published,
        Target::Updated => &mut item.updated,
        Target::Title => &mut item.title,
        Target::Description => &mut item.description,
        Target::Category => {
            item.categories.push(value);
            return;
        }
        Target::Start(element) => {
            item.start.get_or_insert(Extracted { value, element });
            return;
        }
        Target::End(element) => {
            item.end.get_or_insert(Extracted { value, element });
            return;
        }
    };
    slot.get_or_insert(value);
}

/// `(line, column, message)` for a byte offset of `text` (column in characters, both 1-based).
pub fn position_message(text: &str, at: usize, message: &str) -> (usize, usize, String) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = 1 + before.matches('\n').count();
    let column = 1 + before.rsplit('\n').next().unwrap_or_default().chars().count();
    (line, column, message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_module_and_georss_per_item() {
        let xml = r#"<rss version="2.0" xmlns:ev="http://purl.org/rss/1.0/modules/event/" xmlns:georss="http://www.georss.org/georss" xmlns:geo="http://www.w3.org/2003/01/geo/wgs84_pos#">
<channel><title>t</title>
<item><guid isPermaLink="false"> a1 </guid><ev:startdate>2025-03-12T18:30:00+03:00</ev:startdate><ev:enddate>2025-03-12T20:00</ev:enddate>
<ev:location>Библиотека &amp; зал</ev:location><ev:organizer>ВГУ</ev:organizer><georss:point>55.19 30.20</georss:point></item>
<item><guid>https://x.example/2</guid><geo:lat>55.1</geo:lat><geo:long>30.2</geo:long></item>
</channel></rss>"#;
        let s = scan(xml, None);
        assert_eq!(s.error, None);
        assert_eq!(s.items.len(), 2);
        let a = &s.items[0];
        assert_eq!(a.guid.as_deref(), Some("a1"));
        assert!(!a.guid_is_permalink);
        assert_eq!(
            a.start.as_ref().map(|e| (e.value.as_str(), e.element)),
            Some(("2025-03-12T18:30:00+03:00", "ev:startdate"))
        );
        assert_eq!(a.end.as_ref().map(|e| e.value.as_str()), Some("2025-03-12T20:00"));
        assert_eq!(a.location.as_deref(), Some("Библиотека & зал"));
        assert_eq!(a.organizer.as_deref(), Some("ВГУ"));
        assert_eq!(a.point.as_deref(), Some("55.19 30.20"));
        let b = &s.items[1];
        assert!(b.guid_is_permalink);
        assert_eq!((b.lat.as_deref(), b.lon.as_deref()), (Some("55.1"), Some("30.2")));
    }

    #[test]
    fn xcal_both_shapes_and_atom_entries() {
        let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:xCal="urn:ietf:params:xml:ns:xcal">
<entry><xCal:dtstart>20250312T183000</xCal:dtstart><xCal:location><![CDATA[Музей]]></xCal:location></entry>
<entry><xCal:dtstart><xCal:date-time>2025-03-13T10:00:00Z</xCal:date-time></xCal:dtstart><issued>2025-01-01T00:00:00Z</issued></entry>
</feed>"#;
        let s = scan(xml, None);
        assert_eq!(s.items.len(), 2);
        assert_eq!(s.items[0].start.as_ref().map(|e| e.value.as_str()), Some("20250312T183000"));
        assert_eq!(s.items[0].location.as_deref(), Some("Музей"));
        assert_eq!(s.items[1].start.as_ref().map(|e| e.value.as_str()), Some("2025-03-13T10:00:00Z"));
        assert_eq!(s.items[1].published.as_deref(), Some("2025-01-01T00:00:00Z"));
    }

    #[test]
    fn unbound_conventional_prefixes_still_count() {
        let s = scan("<rss><channel><item><ev:startdate>2025-03-12</ev:startdate></item></channel></rss>", None);
        assert_eq!(s.items[0].start.as_ref().map(|e| e.value.as_str()), Some("2025-03-12"));
    }

    #[test]
    fn fallbacks_bases_and_rdf_items_without_link() {
        let xml = r#"<rdf:RDF xmlns:rdf="r" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<item><title>no link: feed-rs drops it</title></item>
<item xml:base="https://lib.example/a/"><link>x</link><dc:title>T</dc:title><dc:subject>A</dc:subject><dc:subject>B</dc:subject>
<description xml:base="b/">d</description></item></rdf:RDF>"#;
        let s = scan(xml, None);
        assert_eq!(s.items.len(), 1);
        let i = &s.items[0];
        assert_eq!(i.title.as_deref(), Some("T"));
        assert_eq!(i.categories, ["A", "B"]);
        assert_eq!(i.content_base.as_ref().map(Url::as_str), Some("https://lib.example/a/b/"));
    }

    #[test]
    fn errors_have_line_and_column() {
        let s = scan("<rss>\n<channel>\n  <item></chanel>", None);
        let (line, column, _) = s.error.expect("an error");
        assert_eq!(line, 3);
        assert!(column >= 3, "{column}");
    }
}
