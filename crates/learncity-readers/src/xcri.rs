//! XCRI-CAP 1.2 course catalogues (`<catalog xmlns="http://xcri.org/profiles/1.2/catalog">`), the
//! UK/EU standard colleges and universities publish their course marketing data in:
//! `catalog → provider → course → presentation`, with Dublin Core (`dc:`), MLO (`mlo:`) and
//! `xcriTerms:` vocabularies.
//!
//! One [`Draft`] per presentation (a course without presentations is one draft of its own):
//! - title, description, landing URL (`mlo:url`), subjects, images, cost, language and
//!   `applyTo` from the course, the presentation's own values winning;
//! - `dc:description`s: the untyped one first, then each typed one (`xsi:type="xcriTerms:aim"`…)
//!   under its term; `xcriTerms:abstract` is the summary; XHTML content keeps its markup
//!   (sanitised in normalisation); `mlo:duration` is kept as a "Duration" line of the text;
//! - `mlo:start` / `end` (`dtf` attribute, else the text) give one session from start to end;
//! - `attendanceMode` (and `studyMode`) give the mode: campus, face-to-face and work-based →
//!   in person; online, distance without attendance → online; mixed, blended, distance with
//!   attendance → hybrid (the XCRI codes `CM`, `NC`, `WB`, `ON`, `DS`, `MM`, `DA` too);
//! - `venue/provider`: its title is the venue, its `mlo:location` the address, town, postcode
//!   and coordinates;
//! - the catalogue's `provider` is the organiser;
//! - source id: the presentation's `dc:identifier`, else the course's identifier + `#` + the
//!   start (`dtf`), else + the presentation's position.
//!
//! Elements are matched by local name, whatever prefix or namespace a catalogue binds them to
//! (real catalogues get namespaces wrong often enough). Guarantees: no panic, no I/O; a
//! catalogue cut off part way yields its complete presentations and is marked incomplete.

use chrono_tz::Tz;
use learncity_model::{Geo, Kind, Location, Mode, Party};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use url::Url;

use crate::dates::{self, Clock, When};
use crate::draft::Draft;
use crate::text::{collapse_whitespace, escape_html, resolve_url};
use crate::{ReadContext, ReadError, Warning};

/// Elements nested deeper than this are skipped (no real catalogue comes near it).
const MAX_DEPTH: usize = 128;
/// Elements kept per document at most; the rest are skipped with a warning.
const MAX_ELEMENTS: usize = 500_000;
/// Text kept per element at most (bytes).
const MAX_TEXT: usize = 256 * 1024;

/// What a catalogue yielded.
#[derive(Debug, Clone, Default)]
pub struct XcriOutput {
    /// One draft per presentation.
    pub drafts: Vec<Draft>,
    /// Problems with the whole document.
    pub warnings: Vec<Warning>,
    /// Why the document is incomplete (cut off, or broken XML part way), when it is.
    pub incomplete: Option<String>,
}

/// True when a document whose root element has this local name, and whose text from the root's
/// `<` on is `root`, is an XCRI catalogue: a `catalog` root, or the XCRI namespace bound in the
/// root's start tag.
pub fn looks_like_xcri(root_local_name: &str, root: &str) -> bool {
    let start_tag = root.split_once('>').map_or(root, |(tag, _)| tag);
    root_local_name.eq_ignore_ascii_case("catalog") || start_tag.contains("xcri.org/profiles/")
}

/// Reads an XCRI-CAP catalogue (already decoded to text).
pub fn read(text: &str, ctx: &ReadContext<'_>) -> Result<XcriOutput, ReadError> {
    let parsed = parse_tree(text);
    let Some(root) = parsed.root else {
        return Err(ReadError::Malformed {
            format: "XCRI-CAP",
            detail: parsed.error.unwrap_or_else(|| "no root element".to_owned()),
        });
    };
    if root.local != "catalog" {
        return Err(ReadError::Malformed {
            format: "XCRI-CAP",
            detail: format!("the root element is <{}>, not <catalog>", root.name),
        });
    }
    let mut out = XcriOutput::default();
    if parsed.skipped > 0 {
        out.warnings.push(Warning::document(format!(
            "{} elements beyond the reader's limits (depth {MAX_DEPTH}, {MAX_ELEMENTS} elements) were skipped",
            parsed.skipped
        )));
    }
    if let Some(error) = &parsed.error {
        out.incomplete = Some(format!(
            "the XCRI-CAP catalogue breaks off ({error}): its complete presentations are published, nothing is \
             withdrawn"
        ));
    }
    let env = Env { base: ctx.document_url, clock: Clock { now: ctx.fetched_at, tz: ctx.settings.tz() } };
    let mut courses = 0;
    for provider in root.children_named("provider") {
        let organizer = provider.child_text("title").map(|name| Party {
            name,
            url: provider.child_text("url").and_then(|u| resolve_url(env.base, &u)),
            email: None,
        });
        for course in provider.children_named("course") {
            if !crate::budget::alive() {
                break;
            }
            courses += 1;
            let presentations: Vec<&Node> = course.children_named("presentation").collect();
            if presentations.is_empty() {
                let mut d = draft(course, None, 0, &env);
                d.organizer = organizer.clone();
                if !crate::budget::take(d.sessions.len()) {
                    break;
                }
                out.drafts.push(d);
            }
            for (i, p) in presentations.into_iter().enumerate() {
                let mut d = draft(course, Some(p), i, &env);
                d.organizer = organizer.clone();
                if !crate::budget::take(d.sessions.len()) {
                    break;
                }
                out.drafts.push(d);
            }
        }
    }
    if courses == 0 {
        out.warnings.push(Warning::document("the XCRI-CAP catalogue lists no course (catalog → provider → course)"));
    }
    Ok(out)
}

struct Env<'a> {
    base: Option<&'a Url>,
    clock: Clock,
}

/// One presentation of a course (or the course alone).
fn draft(course: &Node, p: Option<&Node>, index: usize, env: &Env<'_>) -> Draft {
    // The presentation's value when it has one, else the course's.
    let pick = |local: &str| p.and_then(|p| p.child_text(local)).or_else(|| course.child_text(local));
    let mut d = Draft {
        kind: Some(Kind::Course),
        title: pick("title"),
        url: pick("url").and_then(|u| resolve_url(env.base, &u)),
        registration_url: pick("applyTo").and_then(|u| resolve_url(env.base, &u)),
        price_text: pick("cost"),
        ..Draft::default()
    };

    let own_descriptions = p.is_some_and(|p| p.children_named("description").next().is_some());
    let described = if own_descriptions { p.unwrap_or(course) } else { course };
    let (summary, mut html) = descriptions(described);
    d.summary = summary;
    if let Some(duration) = p.and_then(|p| p.child_text("duration")).or_else(|| course.child_text("duration")) {
        html.push_str(&format!("<p>Duration: {}</p>", escape_html(&duration)));
    }
    d.description_html = (!html.is_empty()).then_some(html);

    for node in [Some(course), p].into_iter().flatten() {
        for subject in node.children_named("subject").filter_map(Node::text_nonempty) {
            if !d.categories.contains(&subject) {
                d.categories.push(subject);
            }
        }
        for src in node.children_named("image").filter_map(|i| i.attr("src")) {
            if let Some(u) = resolve_url(env.base, src.trim())
                && !d.images.contains(&u)
            {
                d.images.push(u);
            }
        }
    }
    let languages_of = |n: &Node| n.children_named("languageOfInstruction").filter_map(Node::text_nonempty).collect();
    d.languages = p.map(languages_of).filter(|l: &Vec<String>| !l.is_empty()).unwrap_or_else(|| languages_of(course));

    let mut start_key = None;
    if let Some(p) = p {
        d.mode = ["attendanceMode", "studyMode"].into_iter().filter_map(|m| p.child(m)).find_map(mode_of);
        if let Some(venue) = p.child("venue") {
            let place = venue.child("provider").unwrap_or(venue);
            d.location = location(place);
        }
        start_key = sessions(p, env, &mut d);
    }
    d.guid = p
        .and_then(identifier)
        .or_else(|| {
            let course_id = identifier(course)?;
            Some(match (p, start_key) {
                (None, _) => course_id,
                (Some(_), Some(start)) => format!("{course_id}#{start}"),
                (Some(_), None) => format!("{course_id}#presentation-{}", index + 1),
            })
        })
        .filter(|id| !id.is_empty());
    d
}

/// The summary (`xcriTerms:abstract`) and the description HTML: the untyped description first,
/// then each typed one under its term.
fn descriptions(node: &Node) -> (Option<String>, String) {
    let mut summary = None;
    let mut untyped = String::new();
    let mut typed = String::new();
    for desc in node.children_named("description") {
        let kind = desc.attr("type").map(|t| t.rsplit(':').next().unwrap_or(t).trim().to_owned());
        let body = desc.as_html();
        if body.is_empty() {
            continue;
        }
        match kind.as_deref() {
            None | Some("") => untyped.push_str(&body),
            Some("abstract") if summary.is_none() => summary = desc.text_nonempty(),
            Some(term) => {
                typed.push_str(&format!("<h3>{}</h3>", escape_html(&term_label(term))));
                typed.push_str(&body);
            }
        }
    }
    untyped.push_str(&typed);
    (summary, untyped)
}

/// `learningOutcome` → `Learning outcome`.
fn term_label(term: &str) -> String {
    let mut out = String::new();
    for (i, c) in term.chars().enumerate() {
        if i == 0 {
            out.extend(c.to_uppercase());
        } else if c.is_uppercase() {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The first `dc:identifier` that is not a typed internal code, else the first one.
fn identifier(node: &Node) -> Option<String> {
    let ids: Vec<&Node> = node.children_named("identifier").collect();
    ids.iter().find(|i| i.attr("type").is_none()).or_else(|| ids.first()).and_then(|i| i.text_nonempty())
}

/// The mode an `attendanceMode` or `studyMode` element names, by its `identifier` code or text.
fn mode_of(node: &Node) -> Option<Mode> {
    let code = node.attr("identifier").map(|c| c.trim().to_ascii_uppercase());
    match code.as_deref() {
        Some("CM" | "NC" | "WB") => return Some(Mode::InPerson),
        Some("ON" | "DS") => return Some(Mode::Online),
        Some("MM" | "DA") => return Some(Mode::Hybrid),
        _ => {}
    }
    let text = node.text().to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&["mixed", "blended", "hybrid", "distance with attendance"]) {
        Some(Mode::Hybrid)
    } else if has(&["online", "distance", "e-learning", "elearning", "remote"]) {
        Some(Mode::Online)
    } else if has(&["campus", "face-to-face", "face to face", "work-based", "work based", "classroom", "in person"]) {
        Some(Mode::InPerson)
    } else {
        None
    }
}

/// A venue: its title and its `mlo:location`.
fn location(place: &Node) -> Location {
    let mut loc = Location { venue: place.child_text("title"), ..Location::default() };
    let Some(where_) = place.child("location") else { return loc };
    let mut lines: Vec<String> = where_.children_named("address").filter_map(Node::text_nonempty).collect();
    lines.extend(where_.children_named("street").filter_map(Node::text_nonempty));
    loc.address = (!lines.is_empty()).then(|| lines.join(", "));
    loc.city = where_.child_text("town");
    loc.postal_code = where_.child_text("postcode");
    let coordinate = |name: &str| where_.child_text(name).and_then(|v| v.trim().parse::<f64>().ok());
    if let (Some(lat), Some(lon)) = (coordinate("latitude"), coordinate("longitude")) {
        loc.geo = Some(Geo { lat, lon });
    }
    loc
}

/// The presentation's session from `start` to `end`; returns the start as written in `dtf` (or
/// the text), the key that tells a course's presentations apart.
fn sessions(p: &Node, env: &Env<'_>, d: &mut Draft) -> Option<String> {
    let start_node = p.child("start")?;
    let (start, start_raw) = match when_of(start_node, &env.clock) {
        Ok(v) => v,
        Err(raw) => {
            d.warn("start", format!("{}; give it as `dtf=\"YYYY-MM-DD\"`", dates::explain_failure(&raw, &env.clock)));
            return (!raw.is_empty()).then_some(raw);
        }
    };
    let end = match p.child("end").map(|e| when_of(e, &env.clock)) {
        Some(Ok((end, _))) => Some(end),
        Some(Err(raw)) => {
            d.warn("end", format!("{}; the end was left out", dates::explain_failure(&raw, &env.clock)));
            None
        }
        None => None,
    };
    let tz: Tz = env.clock.tz;
    d.sessions.push(dates::to_session(&start, end.as_ref(), tz, false));
    Some(start_raw)
}

/// A date element: its `dtf` attribute (ISO 8601), else its text. `Err` carries what could not be read.
fn when_of(node: &Node, clock: &Clock) -> Result<(When, String), String> {
    let raw =
        node.attr("dtf").map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).unwrap_or_else(|| node.text());
    match dates::parse_when(&raw, &[], clock) {
        Some(w) => Ok((w, raw)),
        None => Err(raw),
    }
}

// ---- a small element tree -------------------------------------------------------------------

/// One element: qualified and local name, attributes (local names), children.
#[derive(Debug, Default)]
struct Node {
    name: String,
    local: String,
    attrs: Vec<(String, String)>,
    children: Vec<Child>,
}

#[derive(Debug)]
enum Child {
    Element(Node),
    Text(String),
}

impl Node {
    fn children_named<'a, 'n>(&'a self, local: &'n str) -> impl Iterator<Item = &'a Node> + use<'a, 'n> {
        self.children.iter().filter_map(move |c| match c {
            Child::Element(n) if n.local == local => Some(n),
            _ => None,
        })
    }

    fn child(&self, local: &str) -> Option<&Node> {
        self.children_named(local).next()
    }

    /// The first child of that name with any text, whitespace collapsed.
    fn child_text(&self, local: &str) -> Option<String> {
        self.children_named(local).find_map(Node::text_nonempty)
    }

    fn attr(&self, local: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == local).map(|(_, v)| v.as_str())
    }

    /// All text inside, whitespace collapsed.
    fn text(&self) -> String {
        let mut s = String::new();
        self.collect_text(&mut s);
        collapse_whitespace(&s)
    }

    fn text_nonempty(&self) -> Option<String> {
        Some(self.text()).filter(|t| !t.is_empty())
    }

    fn collect_text(&self, out: &mut String) {
        for c in &self.children {
            match c {
                Child::Text(t) => out.push_str(t),
                Child::Element(n) => {
                    out.push(' ');
                    n.collect_text(out);
                }
            }
        }
    }

    /// The content as HTML: XHTML markup kept (by local name), plain text escaped into a paragraph.
    fn as_html(&self) -> String {
        if !self.children.iter().any(|c| matches!(c, Child::Element(_))) {
            let text = self.text();
            return if text.is_empty() { String::new() } else { format!("<p>{}</p>", escape_html(&text)) };
        }
        let mut s = String::new();
        self.inner_markup(&mut s);
        s
    }

    fn inner_markup(&self, out: &mut String) {
        for c in &self.children {
            match c {
                Child::Text(t) => out.push_str(&escape_html(t)),
                Child::Element(n) => {
                    out.push('<');
                    out.push_str(&n.local);
                    for (k, v) in &n.attrs {
                        if k != "xmlns" && !k.starts_with("xmlns") {
                            out.push_str(&format!(" {k}=\"{}\"", escape_html(v)));
                        }
                    }
                    out.push('>');
                    n.inner_markup(out);
                    out.push_str(&format!("</{}>", n.local));
                }
            }
        }
    }
}

/// A parsed document: the root (closed where the text broke off), the first error, and how
/// many elements were skipped for the limits.
struct Parsed {
    root: Option<Node>,
    error: Option<String>,
    skipped: usize,
}

fn new_node(start: &BytesStart<'_>) -> Node {
    let name = start.name().as_ref().to_owned();
    let local = start.local_name().as_ref().to_owned();
    let attrs = start
        .attributes()
        .flatten()
        .filter_map(|a| {
            let key = a.key.as_ref().to_owned();
            let key = if key.starts_with("xmlns") { key } else { key.rsplit(':').next().unwrap_or(&key).to_owned() };
            let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok()?.into_owned();
            Some((key, value))
        })
        .collect();
    Node { name, local, attrs, children: Vec::new() }
}

fn parse_tree(text: &str) -> Parsed {
    let mut reader = Reader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    reader.config_mut().check_end_names = false;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut error = None;
    let mut elements = 0usize;
    let mut skipped = 0usize;
    // Depth inside an element being skipped (0 = not skipping).
    let mut skipping = 0usize;
    let push_text = |stack: &mut Vec<Node>, t: &str| {
        if let Some(top) = stack.last_mut() {
            if let Some(Child::Text(last)) = top.children.last_mut() {
                if last.len() < MAX_TEXT {
                    last.push_str(t);
                }
            } else {
                top.children.push(Child::Text(t.to_owned()));
            }
        }
    };
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => {
                if skipping > 0 || stack.len() >= MAX_DEPTH || elements >= MAX_ELEMENTS || root.is_some() {
                    skipping += 1;
                    skipped += 1;
                    continue;
                }
                elements += 1;
                stack.push(new_node(&start));
            }
            Ok(Event::End(_)) => {
                if skipping > 0 {
                    skipping -= 1;
                    continue;
                }
                let Some(done) = stack.pop() else { continue };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Child::Element(done)),
                    None => root = Some(done),
                }
            }
            Ok(Event::Text(t)) if skipping == 0 => push_text(&mut stack, &t.xml10_content()),
            Ok(Event::CData(t)) if skipping == 0 => push_text(&mut stack, &t.xml10_content()),
            Ok(Event::GeneralRef(r)) if skipping == 0 => {
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = r.xml10_content();
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .map_or_else(|| crate::feed::html_entity(&name).unwrap_or_default(), str::to_owned)
                    }
                };
                push_text(&mut stack, &text);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                let line = text.get(..at.min(text.len())).map_or(0, |s| s.matches('\n').count() + 1);
                error = Some(format!("{e} at line {line}"));
                break;
            }
        }
    }
    if root.is_none() && !stack.is_empty() {
        // Cut off: close what is open, keeping only the complete children of each element (an
        // open presentation may lack its end; the caller publishes only closed ones).
        error.get_or_insert_with(|| "the document ends inside an element".to_owned());
        while let Some(done) = stack.pop() {
            let has_presentations = done.children_named("presentation").next().is_some();
            match stack.last_mut() {
                // A presentation cut off may be missing anything: dropped. A course cut off keeps
                // its complete presentations; one cut before any is dropped (it would be read as
                // a course without presentations).
                Some(_) if done.local == "presentation" || (done.local == "course" && !has_presentations) => {}
                Some(parent) => parent.children.push(Child::Element(done)),
                None => root = Some(done),
            }
        }
    }
    Parsed { root, error, skipped }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{fetched_at, with_ctx};
    use crate::{FormatHint, ReaderSettings};

    const CATALOG: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<catalog xmlns="http://xcri.org/profiles/1.2/catalog" xmlns:xcriTerms="http://xcri.org/profiles/1.2/catalog/terms"
  xmlns:mlo="http://purl.org/net/mlo" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xhtml="http://www.w3.org/1999/xhtml">
 <provider>
  <dc:title>Bonn Adult Education Centre</dc:title>
  <mlo:url>https://vhs.example/</mlo:url>
  <course>
   <dc:identifier>https://vhs.example/courses/spanish-a1</dc:identifier>
   <dc:title>Spanish for beginners A1</dc:title>
   <dc:subject>Languages</dc:subject>
   <dc:description><xhtml:div><xhtml:p>Learn <xhtml:em>everyday</xhtml:em> Spanish.</xhtml:p></xhtml:div></dc:description>
   <dc:description xsi:type="xcriTerms:abstract">Spanish from scratch.</dc:description>
   <dc:description xsi:type="xcriTerms:learningOutcome">Order a meal &amp; ask the way.</dc:description>
   <mlo:url>/courses/spanish-a1</mlo:url>
   <presentation>
    <dc:identifier>https://vhs.example/courses/spanish-a1/p/2025-1</dc:identifier>
    <mlo:start dtf="2025-03-10T18:00:00+01:00">10 March 2025, 6 pm</mlo:start>
    <end dtf="2025-03-10T19:30:00+01:00">7.30 pm</end>
    <mlo:duration interval="PT1H30M">90 minutes</mlo:duration>
    <applyTo>https://vhs.example/apply?c=spanish-a1</applyTo>
    <attendanceMode identifier="CM">Campus</attendanceMode>
    <mlo:languageOfInstruction>es</mlo:languageOfInstruction>
    <mlo:cost>EUR 89</mlo:cost>
    <venue><provider>
     <dc:title>VHS-Haus, room 2.01</dc:title>
     <mlo:location><mlo:town>Bonn</mlo:town><mlo:postcode>53111</mlo:postcode>
      <mlo:address>Mülheimer Platz 1</mlo:address><mlo:latitude>50.7339</mlo:latitude><mlo:longitude>7.0982</mlo:longitude>
     </mlo:location>
    </provider></venue>
   </presentation>
   <presentation>
    <mlo:start dtf="2025-04-07">7 April 2025</mlo:start>
    <end dtf="2025-06-30"/>
    <attendanceMode>Online (no attendance)</attendanceMode>
    <mlo:cost>free</mlo:cost>
   </presentation>
   <presentation>
    <dc:title>Spanish A1 weekend intensive</dc:title>
    <mlo:start>sometime in spring</mlo:start>
    <attendanceMode identifier="MM">Mixed mode</attendanceMode>
   </presentation>
  </course>
 </provider>
</catalog>"#;

    fn read_str(text: &str) -> XcriOutput {
        let settings = ReaderSettings { time_zone: "Europe/Berlin".into(), ..Default::default() };
        with_ctx(&settings, Some("https://vhs.example/xcri.xml"), fetched_at(), |ctx| read(text, ctx).unwrap())
    }

    #[test]
    fn one_draft_per_presentation_with_course_fields_inherited() {
        let out = read_str(CATALOG);
        assert_eq!(out.drafts.len(), 3);
        assert!(out.incomplete.is_none() && out.warnings.is_empty(), "{:?}", out.warnings);
        let first = &out.drafts[0];
        assert_eq!(first.title.as_deref(), Some("Spanish for beginners A1"));
        assert_eq!(first.guid.as_deref(), Some("https://vhs.example/courses/spanish-a1/p/2025-1"));
        assert_eq!(first.url.as_deref(), Some("https://vhs.example/courses/spanish-a1"));
        assert_eq!(first.registration_url.as_deref(), Some("https://vhs.example/apply?c=spanish-a1"));
        assert_eq!(first.kind, Some(Kind::Course));
        assert_eq!(first.mode, Some(Mode::InPerson));
        assert_eq!(first.languages, ["es"]);
        assert_eq!(first.price_text.as_deref(), Some("EUR 89"));
        assert_eq!(first.categories, ["Languages"]);
        assert_eq!(first.summary.as_deref(), Some("Spanish from scratch."));
        let html = first.description_html.as_deref().unwrap();
        assert!(html.starts_with("<div><p>Learn <em>everyday</em> Spanish.</p></div>"), "{html}");
        assert!(html.contains("<h3>Learning outcome</h3><p>Order a meal &amp; ask the way.</p>"), "{html}");
        assert!(html.ends_with("<p>Duration: 90 minutes</p>"), "{html}");
        let s = &first.sessions[0];
        assert_eq!(s.start.to_rfc3339(), "2025-03-10T18:00:00+01:00");
        assert_eq!(s.end.unwrap().to_rfc3339(), "2025-03-10T19:30:00+01:00");
        let loc = &first.location;
        assert_eq!(loc.venue.as_deref(), Some("VHS-Haus, room 2.01"));
        assert_eq!(loc.address.as_deref(), Some("Mülheimer Platz 1"));
        assert_eq!(loc.city.as_deref(), Some("Bonn"));
        assert_eq!(loc.postal_code.as_deref(), Some("53111"));
        assert_eq!(loc.geo, Some(Geo { lat: 50.7339, lon: 7.0982 }));
        assert_eq!(first.organizer.as_ref().map(|o| o.name.as_str()), Some("Bonn Adult Education Centre"));
    }

    #[test]
    fn presentations_without_identifier_are_told_apart_by_start() {
        let out = read_str(CATALOG);
        let second = &out.drafts[1];
        assert_eq!(second.guid.as_deref(), Some("https://vhs.example/courses/spanish-a1#2025-04-07"));
        assert_eq!(second.mode, Some(Mode::Online));
        assert_eq!(second.price_text.as_deref(), Some("free"));
        assert!(second.sessions[0].all_day);
        assert_eq!(second.sessions[0].end.unwrap().date_naive().to_string(), "2025-07-01");
        // The third's start is not a date: a warning, and the text keeps the presentations apart.
        let third = &out.drafts[2];
        assert_eq!(third.title.as_deref(), Some("Spanish A1 weekend intensive"));
        assert_eq!(third.mode, Some(Mode::Hybrid));
        assert!(third.sessions.is_empty());
        assert!(third.warnings.iter().any(|(f, _)| f == "start"), "{:?}", third.warnings);
        assert_eq!(third.guid.as_deref(), Some("https://vhs.example/courses/spanish-a1#sometime in spring"));
    }

    #[test]
    fn reads_through_the_public_entry_point_with_prices_and_modes_normalised() {
        let settings = ReaderSettings { time_zone: "Europe/Berlin".into(), ..Default::default() };
        let out = with_ctx(&settings, Some("https://vhs.example/xcri.xml"), fetched_at(), |ctx| {
            crate::read(CATALOG.as_bytes(), FormatHint::Auto, ctx).unwrap()
        });
        assert_eq!(out.format, learncity_model::SourceFormat::Xcri);
        assert_eq!(out.offerings.len(), 3);
        let price = out.offerings[0].price.as_ref().unwrap();
        assert_eq!((price.amount, price.currency.as_deref()), (Some(89.0), Some("EUR")));
        assert!(out.offerings[1].price.as_ref().unwrap().free);
        assert_eq!(out.offerings[1].mode, Mode::Online);
        assert_eq!(out.offerings[0].registration_url.as_deref(), Some("https://vhs.example/apply?c=spanish-a1"));
    }

    #[test]
    fn a_cut_off_catalogue_keeps_its_complete_presentations() {
        let cut = CATALOG.split("<mlo:cost>free").next().unwrap();
        let out = read_str(cut);
        assert!(out.incomplete.is_some());
        assert_eq!(out.drafts.len(), 1, "only the closed presentation");
    }

    #[test]
    fn courses_without_presentations_and_broken_documents() {
        let doc = r#"<catalog><provider><course><dc:identifier>c1</dc:identifier><dc:title>Pottery</dc:title>
            <studyMode>Part time</studyMode></course></provider></catalog>"#;
        let out = read_str(doc);
        assert_eq!(out.drafts.len(), 1);
        assert_eq!(out.drafts[0].guid.as_deref(), Some("c1"));
        assert!(out.drafts[0].sessions.is_empty());
        let settings = ReaderSettings::default();
        with_ctx(&settings, None, fetched_at(), |ctx| {
            assert!(matches!(read("", ctx), Err(ReadError::Malformed { .. })));
            assert!(matches!(read("<rss/>", ctx), Err(ReadError::Malformed { .. })));
            let empty = read("<catalog/>", ctx).unwrap();
            assert!(empty.drafts.is_empty() && !empty.warnings.is_empty());
        });
    }

    #[test]
    fn mode_words_and_codes() {
        let node = |code: Option<&str>, text: &str| Node {
            local: "attendanceMode".into(),
            attrs: code.map(|c| vec![("identifier".to_owned(), c.to_owned())]).unwrap_or_default(),
            children: vec![Child::Text(text.into())],
            ..Node::default()
        };
        assert_eq!(mode_of(&node(Some("DS"), "")), Some(Mode::Online));
        assert_eq!(mode_of(&node(None, "Distance with attendance")), Some(Mode::Hybrid));
        assert_eq!(mode_of(&node(None, "Distance without attendance")), Some(Mode::Online));
        assert_eq!(mode_of(&node(None, "Face-to-face non-campus")), Some(Mode::InPerson));
        assert_eq!(mode_of(&node(None, "Blended learning")), Some(Mode::Hybrid));
        assert_eq!(mode_of(&node(None, "Full time")), None);
    }
}
