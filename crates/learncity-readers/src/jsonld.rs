//! schema.org JSON-LD to drafts: `Course` (with its `hasCourseInstance`s), `CourseInstance`,
//! `EducationalOccupationalProgram`, and `Event` with every subtype (`EducationEvent`,
//! `ExhibitionEvent`, `Festival`, OpenActive `SessionSeries`...).
//!
//! Input is a `serde_json::Value` in the shape JSON-LD gives (microdata is converted into the
//! same shape by [`crate::microdata`]): `@graph`, top-level arrays, `@type` as a string or an
//! array, full IRIs (`https://schema.org/Event`) or prefixed names, `{"@id": ...}` references to
//! other nodes of the document, `{"@value": ...}` literals. Items are found anywhere in the tree
//! (an `Organization`'s `event`, an OpenActive feed's `items[].data`); an item's own children
//! (`subEvent`, `hasCourseInstance`) belong to it and are not items of their own.
//!
//! Guarantees: no panic on any value; a value of an unexpected type is ignored with a warning on
//! the draft; nothing is sanitised or inferred here (see [`crate::normalise`]); relative URLs are
//! resolved against the page.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use learncity_model::{Geo, Kind, Mode, Party, Price, Recurrence, Session, Status};
use serde_json::{Map, Value};
use url::Url;

use crate::dates::{self, Clock, When};
use crate::draft::Draft;
use crate::text::{collapse_whitespace, resolve_url};
use crate::{ReadContext, Warning};

type Obj = Map<String, Value>;

/// How deep the document tree is searched for items and references are followed.
const MAX_DEPTH: usize = 48;
/// Days scanned at most when expanding one schedule (a daily rule from the 1900s stops here).
const MAX_SCHEDULE_DAYS: i64 = 40_000;
/// Occurrences generated at most for one schedule before the cap is applied.
const MAX_GENERATED: usize = 20_000;

/// schema.org types read as learning offers (local names). `CourseInstance` and the OpenActive
/// session types are `Event` subtypes.
const OFFERING_TYPES: &[&str] = &[
    "Course",
    "CourseInstance",
    "EducationalOccupationalProgram",
    "Event",
    "EducationEvent",
    "BusinessEvent",
    "ChildrensEvent",
    "ComedyEvent",
    "DanceEvent",
    "DeliveryEvent",
    "EventSeries",
    "ExhibitionEvent",
    "Festival",
    "FoodEvent",
    "Hackathon",
    "LiteraryEvent",
    "MusicEvent",
    "PublicationEvent",
    "BroadcastEvent",
    "OnDemandEvent",
    "SaleEvent",
    "ScreeningEvent",
    "SocialEvent",
    "SportsEvent",
    "TheaterEvent",
    "VisualArtsEvent",
    "SessionSeries",
    "ScheduledSession",
];

/// What the mapper needs from the read: the base for relative URLs, "now", the zone for times
/// without one, and the recurrence limits.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    /// Base for relative URLs (the page, or its `<base href>`).
    pub base: Option<&'a Url>,
    /// Fetch time and provider zone.
    pub clock: Clock,
    /// Schedules are expanded up to this instant.
    pub horizon_end: DateTime<Utc>,
    /// At most this many sessions per item.
    pub max_sessions: usize,
}

impl<'a> Env<'a> {
    /// The mapper's view of a read context, with `base` as the URL base.
    pub fn new(ctx: &ReadContext<'_>, base: Option<&'a Url>) -> Self {
        let days = Duration::try_days(i64::from(ctx.settings.horizon_days)).unwrap_or(Duration::days(365));
        Env {
            base,
            clock: Clock { now: ctx.fetched_at, tz: ctx.settings.tz() },
            horizon_end: ctx.fetched_at.checked_add_signed(days).unwrap_or(ctx.fetched_at),
            max_sessions: ctx.settings.max_sessions.max(1),
        }
    }
}

/// The local name of a schema.org type or enumeration IRI: `https://schema.org/Event`,
/// `schema:Event` and `Event` all give `Event`.
pub fn local_name(iri: &str) -> &str {
    let s = iri.trim();
    let s = s.rsplit(['/', '#']).next().unwrap_or(s);
    s.rsplit(':').next().unwrap_or(s)
}

/// True for a type read as a learning offer.
pub fn is_offering_type(name: &str) -> bool {
    OFFERING_TYPES.contains(&local_name(name))
}

/// True when the document holds at least one item of an offering type.
pub fn has_offerings(doc: &Value) -> bool {
    let mut found = Vec::new();
    collect_items(doc, 0, &mut found);
    !found.is_empty()
}

/// The `@type`s found in a document (for telling a provider what its JSON-LD describes).
pub fn type_names(doc: &Value) -> Vec<String> {
    let mut names = Vec::new();
    collect_types(doc, 0, &mut names);
    names.sort();
    names.dedup();
    names
}

fn collect_types(v: &Value, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| collect_types(i, depth + 1, out)),
        Value::Object(obj) => {
            out.extend(types(obj).into_iter().map(str::to_owned));
            obj.values().for_each(|i| collect_types(i, depth + 1, out));
        }
        _ => {}
    }
}

/// Parses a JSON-LD block leniently: tolerates HTML comment and CDATA wrappers, trailing
/// commas, JavaScript comments, raw line breaks inside strings, and several values in a row.
/// The error names the line and column of the original problem.
pub fn parse_lenient(text: &str) -> Result<Value, String> {
    parse_repairing(text).map(|(value, _)| value)
}

/// [`parse_lenient`], also repairing NUL characters and lone surrogate escapes (`"\ud800"`),
/// which serde_json refuses: the second value says what was repaired, for a warning.
pub fn parse_repairing(text: &str) -> Result<(Value, Option<String>), String> {
    let (text, repairs) = crate::text::repair_json_text(text);
    parse_cleaned(&text).map(|value| (value, repairs))
}

fn parse_cleaned(text: &str) -> Result<Value, String> {
    let cleaned = strip_wrappers(text);
    let first_error = match serde_json::from_str::<Value>(&cleaned) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let repaired = repair_json(&cleaned);
    if let Ok(v) = serde_json::from_str::<Value>(&repaired) {
        return Ok(v);
    }
    let mut values = Vec::new();
    for v in serde_json::Deserializer::from_str(&repaired).into_iter::<Value>() {
        match v {
            Ok(v) => values.push(v),
            Err(_) => {
                values.clear();
                break;
            }
        }
    }
    if values.len() > 1 {
        return Ok(Value::Array(values));
    }
    Err(format!("line {} column {}: {}", first_error.line(), first_error.column(), describe_json_error(&first_error)))
}

fn describe_json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; the caller says where.
    msg.split(" at line ").next().unwrap_or(&msg).to_owned()
}

/// Drops what pages wrap JSON-LD in: `<!-- -->`, `<![CDATA[ ]]>` (and their `//` and `/* */`
/// forms), whole HTML comments before or after the JSON (`<!-- Yoast SEO -->`), a BOM.
fn strip_wrappers(text: &str) -> String {
    const OPENERS: [&str; 4] = ["/*<![CDATA[*/", "//<![CDATA[", "<![CDATA[", "<!--"];
    const CLOSERS: [&str; 5] = ["/*]]>*/", "//]]>", "]]>", "//-->", "-->"];
    let mut s = text.trim().trim_start_matches('\u{feff}').trim();
    // Each round drops one opener or one whole comment; the bound only guards the loop.
    for _ in 0..16 {
        let json_at = s.find(['{', '[']).unwrap_or(s.len());
        let whole_comment = s
            .strip_prefix("<!--")
            .and_then(|rest| rest.find("-->").map(|end| (end, rest)))
            .filter(|(end, _)| end + 4 < json_at)
            .map(|(end, rest)| &rest[end + 3..]);
        let next = whole_comment.or_else(|| OPENERS.iter().find_map(|w| s.strip_prefix(w)));
        match next {
            Some(rest) => s = rest.trim(),
            None => break,
        }
    }
    for _ in 0..16 {
        let json_end = s.rfind(['}', ']']).map_or(0, |i| i + 1);
        let whole_comment = s.strip_suffix("-->").and_then(|rest| rest.rfind("<!--")).filter(|at| *at >= json_end);
        let next = match whole_comment {
            Some(at) => Some(&s[..at]),
            None => CLOSERS.iter().find_map(|w| s.strip_suffix(w)),
        };
        match next {
            Some(rest) => s = rest.trim(),
            None => break,
        }
    }
    s.to_owned()
}

/// Removes trailing commas and `//` / `/* */` comments outside strings, and replaces raw
/// control characters inside strings with spaces.
fn repair_json(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if in_string {
            if escaped {
                escaped = false;
                out.push(c);
            } else if c == '\\' {
                escaped = true;
                out.push(c);
            } else if c == '"' {
                in_string = false;
                out.push(c);
            } else if c.is_control() {
                out.push(' ');
            } else {
                out.push(c);
            }
            i += 1;
            continue;
        }
        match (c, chars.get(i + 1)) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                while chars.get(i).is_some_and(|&c| c != '\n') {
                    i += 1;
                }
                continue;
            }
            ('/', Some('*')) => {
                i += 2;
                while chars.get(i).is_some() && !(chars.get(i) == Some(&'*') && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 2;
                continue;
            }
            (',', _) => {
                let next = chars.iter().skip(i + 1).find(|c| !c.is_whitespace());
                if !matches!(next, Some('}' | ']')) {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// Reads every offering item of a JSON-LD document (or of the microdata converted into one).
pub fn read_document(doc: &Value, env: &Env<'_>) -> Vec<Draft> {
    let mut items = Vec::new();
    collect_items(doc, 0, &mut items);
    let mapper = Mapper { env, index: build_index(doc) };

    // Course instances that are separate nodes (in @graph) belong to their course.
    let mut course_ids: HashSet<String> = HashSet::new();
    let mut instance_ids: HashSet<String> = HashSet::new();
    for item in &items {
        if is_course(item) {
            if let Some(id) = node_id(item) {
                course_ids.insert(id.to_owned());
            }
            for inst in prop_values(item, "hasCourseInstance") {
                if let Some(id) = inst.as_object().and_then(node_id) {
                    instance_ids.insert(id.to_owned());
                }
            }
        }
    }
    let belongs_to_course = |item: &Obj| {
        node_id(item).is_some_and(|id| instance_ids.contains(id))
            || prop_values(item, "instanceOfCourse")
                .iter()
                .any(|c| c.as_object().and_then(node_id).is_some_and(|id| course_ids.contains(id)))
    };

    let mut drafts = Vec::new();
    for item in &items {
        if !crate::budget::alive() {
            break;
        }
        if is_course(item) {
            let linked: Vec<&Obj> = items
                .iter()
                .copied()
                .filter(|i| has_type(i, "CourseInstance") && belongs_to_course(i) && links_to(i, item))
                .collect();
            drafts.push(mapper.course(item, &linked));
        } else if !(has_type(item, "CourseInstance") && belongs_to_course(item)) {
            drafts.push(mapper.event(item));
        }
        if drafts.last().is_some_and(|d| !crate::budget::take(d.sessions.len())) {
            break;
        }
    }
    drafts
}

/// True when the instance is listed by `course` or points to it.
fn links_to(instance: &Obj, course: &Obj) -> bool {
    let Some(inst_id) = node_id(instance) else {
        return course_id_matches(instance, course);
    };
    prop_values(course, "hasCourseInstance").iter().any(|v| v.as_object().and_then(node_id) == Some(inst_id))
        || course_id_matches(instance, course)
}

fn course_id_matches(instance: &Obj, course: &Obj) -> bool {
    let Some(cid) = node_id(course) else { return false };
    prop_values(instance, "instanceOfCourse").iter().any(|c| c.as_object().and_then(node_id) == Some(cid))
}

/// Items of an offering type, in document order; an item's own subtree is not searched.
fn collect_items<'v>(v: &'v Value, depth: usize, out: &mut Vec<&'v Obj>) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| collect_items(i, depth + 1, out)),
        Value::Object(obj) => {
            let is_item = types(obj).iter().any(|t| is_offering_type(t)) && !is_reference(obj);
            if is_item {
                out.push(obj);
            } else {
                obj.values().for_each(|i| collect_items(i, depth + 1, out));
            }
        }
        _ => {}
    }
}

/// Every node with an `@id` and content of its own, for following `{"@id": ...}` references.
fn build_index(doc: &Value) -> HashMap<&str, &Obj> {
    fn walk<'v>(v: &'v Value, depth: usize, index: &mut HashMap<&'v str, &'v Obj>) {
        if depth > MAX_DEPTH {
            return;
        }
        match v {
            Value::Array(items) => items.iter().for_each(|i| walk(i, depth + 1, index)),
            Value::Object(obj) => {
                if let Some(id) = node_id(obj)
                    && !is_reference(obj)
                {
                    index.entry(id).or_insert(obj);
                }
                obj.values().for_each(|i| walk(i, depth + 1, index));
            }
            _ => {}
        }
    }
    let mut index = HashMap::new();
    walk(doc, 0, &mut index);
    index
}

/// A node that only points to another: `{"@id": "..."}` (perhaps with its `@type`).
fn is_reference(obj: &Obj) -> bool {
    obj.contains_key("@id") && obj.keys().all(|k| k == "@id" || k == "@type")
}

fn node_id(obj: &Obj) -> Option<&str> {
    obj.get("@id").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// The local names of a node's `@type`s.
fn types(obj: &Obj) -> Vec<&str> {
    match obj.get("@type") {
        Some(Value::String(s)) => vec![local_name(s)],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(local_name).collect(),
        _ => Vec::new(),
    }
}

fn has_type(obj: &Obj, name: &str) -> bool {
    types(obj).contains(&name)
}

fn is_course(obj: &Obj) -> bool {
    let t = types(obj);
    (t.contains(&"Course") || t.contains(&"EducationalOccupationalProgram")) && !t.contains(&"CourseInstance")
}

/// A property by its plain name or a schema.org-prefixed one.
fn prop<'v>(obj: &'v Obj, name: &str) -> Option<&'v Value> {
    obj.get(name)
        .or_else(|| obj.get(&format!("schema:{name}")))
        .or_else(|| obj.get(&format!("https://schema.org/{name}")))
        .or_else(|| obj.get(&format!("http://schema.org/{name}")))
        .filter(|v| !v.is_null())
}

/// A property's values: an array's elements, or the single value.
fn prop_values<'v>(obj: &'v Obj, name: &str) -> Vec<&'v Value> {
    match prop(obj, name) {
        Some(Value::Array(items)) => items.iter().filter(|v| !v.is_null()).collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    }
}

/// A text value: a string, a number, an `{"@value"}` literal, or the first of an array.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => o.get("@value").and_then(text),
        Value::Array(items) => items.iter().find_map(text),
        _ => None,
    }
}

fn prop_text(obj: &Obj, name: &str) -> Option<String> {
    prop(obj, name).and_then(text)
}

/// A JSON type's name, for warnings.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A non-negative number from a number or a numeric string ("13.00", "15,50").
fn number(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().replace([' ', '\u{a0}'], "").replace(',', ".").parse::<f64>().ok()?,
        Value::Object(o) => return o.get("@value").and_then(number),
        _ => return None,
    };
    (n.is_finite() && n >= 0.0).then_some(n)
}

fn age(v: &Value) -> Option<u8> {
    number(v).filter(|n| *n <= 150.0).map(|n| n.round() as u8)
}

/// Turns a schema.org node into one draft; holds the document's id index.
struct Mapper<'a, 'v> {
    env: &'a Env<'a>,
    index: HashMap<&'v str, &'v Obj>,
}

impl<'v> Mapper<'_, 'v> {
    /// The node a value stands for: a reference is followed to its node in the document.
    fn resolve(&self, v: &'v Value) -> &'v Value {
        v
    }

    /// The object a value stands for, following an `{"@id"}` reference.
    fn object(&self, v: &'v Value) -> Option<&'v Obj> {
        let obj = self.resolve(v).as_object()?;
        if is_reference(obj) {
            return node_id(obj).and_then(|id| self.index.get(id).copied()).or(Some(obj));
        }
        Some(obj)
    }

    fn url(&self, s: &str) -> Option<String> {
        resolve_url(self.env.base, s)
    }

    /// Why a URL value was refused, naming the link when the value holds one.
    fn url_problem(&self, field: &str, v: &Value) -> String {
        match v {
            Value::String(s) => crate::text::unresolved_url_message(self.env.base, s),
            Value::Object(o) => match o.get("@id").or_else(|| prop(o, "url")).or_else(|| prop(o, "contentUrl")) {
                Some(inner) => self.url_problem(field, inner),
                None => format!("{field} {} names no URL; ignored", short(v)),
            },
            Value::Array(items) => items
                .first()
                .map_or_else(|| format!("{field} is an empty list; ignored"), |i| self.url_problem(field, i)),
            _ => format!("{field} {} is not a web address; ignored", short(v)),
        }
    }

    /// A URL from text or from a node with `@id`/`url`.
    fn url_value(&self, v: &Value) -> Option<String> {
        match v {
            Value::String(s) => self.url(s),
            Value::Object(o) => o
                .get("@id")
                .or_else(|| prop(o, "url"))
                .or_else(|| prop(o, "contentUrl"))
                .and_then(|v| self.url_value(v)),
            Value::Array(items) => items.iter().find_map(|v| self.url_value(v)),
            _ => None,
        }
    }

    /// A course: its own fields, then one group of sessions per instance (nested, or separate
    /// nodes that point to it).
    fn course(&self, node: &'v Obj, linked: &[&'v Obj]) -> Draft {
        let mut d = Draft { kind: Some(Kind::Course), ..Draft::default() };
        self.common(node, &mut d);
        let mut instances: Vec<&Obj> = prop_values(node, "hasCourseInstance")
            .into_iter()
            .filter_map(|v| {
                let obj = self.object(v);
                if obj.is_none() {
                    d.warn(
                        "hasCourseInstance",
                        format!("hasCourseInstance is {}, not a CourseInstance; ignored", kind_of(v)),
                    );
                }
                obj
            })
            .collect();
        for inst in linked {
            if !instances.iter().any(|i| std::ptr::eq(*i, *inst)) {
                instances.push(inst);
            }
        }
        let mut modes = Vec::new();
        let mut all_cancelled = !instances.is_empty();
        for inst in &instances {
            let cancelled = matches!(self.status(inst, &mut d), Some(Status::Cancelled));
            all_cancelled &= cancelled;
            let before = d.sessions.len();
            self.sessions(inst, &mut d);
            for s in d.sessions.iter_mut().skip(before) {
                s.cancelled |= cancelled;
            }
            modes.extend(self.modes(inst, &mut d));
            if d.location.is_empty() && d.location_text.is_none() {
                self.location(inst, &mut d);
            } else {
                self.online_locations(inst, &mut d);
            }
            self.teachers(inst, &mut d);
            if d.price.is_none() && d.price_text.is_none() {
                self.offers(inst, &mut d);
            }
            if d.url.is_none() {
                d.url = prop(inst, "url").and_then(|v| self.url_value(v));
            }
            self.languages(inst, &mut d);
        }
        if all_cancelled {
            d.status = Status::Cancelled;
            d.sessions.iter_mut().for_each(|s| s.cancelled = false);
        }
        modes.extend(self.modes(node, &mut d));
        d.mode = combine_modes(&modes).or(d.mode);
        self.sessions(node, &mut d);
        self.cap_sessions(&mut d);
        d
    }

    /// An event (or a course instance on its own, with its course's fields as defaults).
    fn event(&self, node: &'v Obj) -> Draft {
        let mut d = Draft::default();
        if has_type(node, "CourseInstance") {
            d.kind = Some(Kind::Course);
        }
        // A course instance without its own name takes its course's fields; an OpenActive
        // ScheduledSession takes its SessionSeries' (`superEvent`). The parent's id stays its own.
        for parent in ["instanceOfCourse", "superEvent"] {
            if let Some(p) = prop(node, parent).and_then(|v| self.object(v)).filter(|p| !is_reference(p)) {
                self.common(p, &mut d);
                d.guid = None;
            }
        }
        self.common(node, &mut d);
        if let Some(status) = self.status(node, &mut d) {
            d.status = status;
        }
        let modes = self.modes(node, &mut d);
        d.mode = combine_modes(&modes).or(d.mode);
        if d.status == Status::Scheduled
            && prop_text(node, "eventStatus").is_some_and(|s| local_name(&s) == "EventMovedOnline")
            && d.mode.is_none()
        {
            d.mode = Some(Mode::Online);
        }
        self.sessions(node, &mut d);
        self.cap_sessions(&mut d);
        d
    }

    /// Fields every item type shares. Values present here overwrite earlier ones (a course
    /// instance's own name wins over its course's), lists are extended.
    fn common(&self, node: &'v Obj, d: &mut Draft) {
        if let Some(id) = node_id(node).filter(|id| !id.starts_with("_:")) {
            d.guid = Some(self.url(id).unwrap_or_else(|| id.to_owned()));
        }
        if let Some(name) = prop_text(node, "name").or_else(|| prop_text(node, "headline")) {
            d.title = Some(name);
        }
        if let Some(v) = prop(node, "description") {
            match text(v) {
                Some(desc) if looks_like_html(&desc) => {
                    d.description_html = Some(desc);
                    d.description_text = None;
                }
                Some(desc) => {
                    d.description_text = Some(desc);
                    d.description_html = None;
                }
                None => d.warn("description", format!("description is {}, not text; ignored", kind_of(v))),
            }
        }
        if let Some(v) = prop(node, "url") {
            match self.url_value(v) {
                Some(u) => d.url = Some(u),
                None => d.warn("url", self.url_problem("url", v)),
            }
        }
        // `sameAs`: a page that names the same event (the organiser's own, where a portal
        // re-announces it) — identity evidence for matching, like Atom's `rel="related"`.
        for v in prop_values(node, "sameAs") {
            if let Some(u) = self.url_value(v)
                && d.url.as_ref() != Some(&u)
                && !d.related_urls.contains(&u)
            {
                d.related_urls.push(u);
            }
        }
        for v in prop_values(node, "image") {
            match self.url_value(v) {
                Some(u) if !d.images.contains(&u) => d.images.push(u),
                Some(_) => {}
                None => d.warn("image", self.url_problem("image", v)),
            }
        }
        self.languages(node, d);
        self.categories(node, d);
        self.organizer(node, d);
        self.teachers(node, d);
        self.audience(node, d);
        self.offers(node, d);
        if prop(node, "isAccessibleForFree")
            .is_some_and(|v| v == &Value::Bool(true) || text(v).as_deref() == Some("true"))
        {
            d.price = Some(Price::free());
        }
        self.location(node, d);
        for (name, slot) in [("dateModified", &mut d.updated_at), ("datePublished", &mut d.published_at)] {
            if let Some(v) = prop(node, name).and_then(text) {
                match dates::parse_timestamp(&v, &self.env.clock) {
                    Some(t) => *slot = Some(t),
                    None => d.warnings.push((name.to_owned(), format!("`{v}` is not a date; ignored"))),
                }
            }
        }
    }

    fn languages(&self, node: &'v Obj, d: &mut Draft) {
        for v in prop_values(node, "inLanguage") {
            let lang = match self.resolve(v) {
                Value::Object(o) => {
                    let alt = prop_text(o, "alternateName").filter(|a| crate::text::is_language_tag(a));
                    alt.or_else(|| prop_text(o, "name"))
                }
                other => text(other),
            };
            match lang {
                Some(l) if !d.languages.contains(&l) => d.languages.push(l),
                Some(_) => {}
                None => d.warn("language", format!("inLanguage is {}, not a language; ignored", kind_of(v))),
            }
        }
    }

    /// The provider's own terms: keywords, about, genre, category, OpenActive activity.
    fn categories(&self, node: &'v Obj, d: &mut Draft) {
        let mut terms = Vec::new();
        for v in prop_values(node, "keywords") {
            match v {
                Value::String(s) => terms.extend(s.split(',').map(collapse_whitespace)),
                other => terms.extend(self.term(other)),
            }
        }
        for name in ["about", "genre", "category", "activity"] {
            for v in prop_values(node, name) {
                terms.extend(self.term(v));
            }
        }
        for t in terms {
            if !t.is_empty() && !d.categories.contains(&t) {
                d.categories.push(t);
            }
        }
    }

    /// A term from text, a `DefinedTerm`/`Concept`/`Thing` (name, prefLabel).
    fn term(&self, v: &'v Value) -> Option<String> {
        match self.object(v) {
            Some(o) => prop_text(o, "name").or_else(|| prop_text(o, "prefLabel")).or_else(|| prop_text(o, "termCode")),
            None => text(v).map(|t| collapse_whitespace(&t)),
        }
    }

    fn party(&self, v: &'v Value) -> Option<Party> {
        match self.object(v) {
            Some(o) => {
                let name = prop_text(o, "name").or_else(|| {
                    let given = prop_text(o, "givenName");
                    let family = prop_text(o, "familyName");
                    let full = [given, family].into_iter().flatten().collect::<Vec<_>>().join(" ");
                    (!full.is_empty()).then_some(full)
                })?;
                Some(Party {
                    name: collapse_whitespace(&name),
                    url: prop(o, "url").and_then(|u| self.url_value(u)),
                    email: prop_text(o, "email").map(|e| e.trim_start_matches("mailto:").to_owned()),
                })
            }
            None => text(v).map(|name| Party { name: collapse_whitespace(&name), url: None, email: None }),
        }
    }

    fn organizer(&self, node: &'v Obj, d: &mut Draft) {
        for name in ["organizer", "provider"] {
            if let Some(p) = prop_values(node, name).into_iter().find_map(|v| self.party(v)) {
                d.organizer = Some(p);
                return;
            }
        }
    }

    fn teachers(&self, node: &'v Obj, d: &mut Draft) {
        for name in ["instructor", "performer", "leader"] {
            for v in prop_values(node, name) {
                if let Some(p) = self.party(v)
                    && !d.teachers.iter().any(|t| t.name == p.name)
                {
                    d.teachers.push(p);
                }
            }
        }
    }

    /// Audience facts: `audience` (audienceType, suggested/required ages), `typicalAgeRange`,
    /// OpenActive `ageRange`.
    fn audience(&self, node: &'v Obj, d: &mut Draft) {
        let mut texts = Vec::new();
        for v in prop_values(node, "audience") {
            match self.object(v) {
                Some(a) => {
                    for t in prop_values(a, "audienceType") {
                        texts.extend(text(t));
                    }
                    if texts.is_empty() {
                        texts.extend(prop_text(a, "name"));
                    }
                    let min = prop(a, "suggestedMinAge").or_else(|| prop(a, "requiredMinAge")).and_then(age);
                    let max = prop(a, "suggestedMaxAge").or_else(|| prop(a, "requiredMaxAge")).and_then(age);
                    d.audience.age_min = min.or(d.audience.age_min);
                    d.audience.age_max = max.or(d.audience.age_max);
                    if let Some(range) = prop(a, "suggestedAge").and_then(|v| self.object(v)) {
                        self.quantitative_age(range, d);
                    }
                }
                None => texts.extend(text(v)),
            }
        }
        if let Some(range) = prop_text(node, "typicalAgeRange") {
            match parse_age_range(&range) {
                Some((min, max)) => {
                    d.audience.age_min = Some(min);
                    d.audience.age_max = max;
                }
                None => d.warn("audience", format!("typicalAgeRange `{range}` is not an age range like 7-12 or 18-")),
            }
        }
        if let Some(range) = prop(node, "ageRange").and_then(|v| self.object(v)) {
            self.quantitative_age(range, d);
        }
        if !texts.is_empty() {
            let joined = texts.join("; ");
            d.audience_text = Some(match d.audience_text.take() {
                Some(prev) if prev != joined => format!("{prev}; {joined}"),
                _ => joined,
            });
        }
    }

    fn quantitative_age(&self, range: &Obj, d: &mut Draft) {
        if let Some(min) = prop(range, "minValue").and_then(age) {
            d.audience.age_min = Some(min);
        }
        if let Some(max) = prop(range, "maxValue").and_then(age) {
            d.audience.age_max = Some(max);
        }
    }

    /// Price from `offers`: an Offer, an AggregateOffer (low/high price, nested offers), or a
    /// list; `price` 0 everywhere means free. The first offer URL is the registration link.
    fn offers(&self, node: &'v Obj, d: &mut Draft) {
        let mut amounts: Vec<f64> = Vec::new();
        let mut currency = None;
        let mut texts = Vec::new();
        let mut visible = Vec::new();
        let mut described = Vec::new();
        let mut stack: Vec<(&Value, usize)> = prop_values(node, "offers").into_iter().map(|v| (v, 0)).collect();
        let mut seen_offer = false;
        while let Some((v, depth)) = stack.pop() {
            let Some(offer) = self.object(v) else {
                d.warn("price", format!("offers is {}, not an Offer; ignored", short(v)));
                continue;
            };
            seen_offer = true;
            let specs: Vec<&Obj> =
                prop_values(offer, "priceSpecification").into_iter().filter_map(|s| self.object(s)).collect();
            let holders: Vec<&Obj> = std::iter::once(offer).chain(specs).collect();
            for h in holders {
                for name in ["price", "lowPrice", "highPrice"] {
                    if let Some(p) = prop(h, name) {
                        match number(p) {
                            Some(n) => amounts.push(n),
                            None => texts.extend(text(p)),
                        }
                    }
                }
                if currency.is_none() {
                    currency = prop_text(h, "priceCurrency").map(|c| c.to_uppercase());
                }
            }
            if d.registration_url.is_none() {
                d.registration_url = prop(offer, "url").and_then(|u| self.url_value(u));
            }
            visible.extend(prop_text(offer, "@text"));
            described.extend(prop_text(offer, "description"));
            if depth < 3 {
                stack.extend(prop_values(offer, "offers").into_iter().map(|v| (v, depth + 1)));
            }
        }
        if !amounts.is_empty() {
            let min = amounts.iter().copied().fold(f64::INFINITY, f64::min);
            let max = amounts.iter().copied().fold(0.0, f64::max);
            d.price = Some(if max == 0.0 {
                Price::free()
            } else {
                Price {
                    free: false,
                    amount: Some(min),
                    amount_max: (max > min).then_some(max),
                    currency,
                    per: None,
                    text: None,
                }
            });
        } else if !texts.is_empty() {
            d.price_text = Some(texts.join("; "));
        } else if seen_offer && d.price.is_none() {
            // An Offer without a price says nothing about the cost.
        }
        if d.price_text.is_none() && !visible.is_empty() {
            d.price_text = Some(visible.join("; "));
        }
        // An Offer without a price whose description speaks of it ("Price on request", "Кошт
        // удакладняецца"): its words are the price's, for the normaliser to read or warn about.
        if d.price.is_none() && d.price_text.is_none() && !described.is_empty() {
            d.price_text = Some(described.join("; "));
        }
    }

    /// Where: Place (name, address, geo), VirtualLocation (join URL), text, or a list of them
    /// (hybrid). The first Place wins; every virtual location's URL is kept.
    fn location(&self, node: &'v Obj, d: &mut Draft) {
        for v in prop_values(node, "location") {
            self.one_location(v, d, 0);
        }
    }

    /// Only the online parts of a node's locations (later course instances).
    fn online_locations(&self, node: &'v Obj, d: &mut Draft) {
        for v in prop_values(node, "location") {
            if let Some(o) = self.object(v)
                && has_type(o, "VirtualLocation")
            {
                self.one_location(v, d, 0);
            }
        }
    }

    fn one_location(&self, v: &'v Value, d: &mut Draft, depth: usize) {
        if depth > 3 {
            return;
        }
        match v {
            Value::String(s) => match resolve_url(None, s) {
                Some(u) => d.online_urls.push(u),
                None if d.location_text.is_none() => d.location_text = Some(collapse_whitespace(s)),
                None => {}
            },
            Value::Array(items) => items.iter().for_each(|i| self.one_location(i, d, depth + 1)),
            Value::Object(_) => {
                let Some(o) = self.object(v) else { return };
                if has_type(o, "VirtualLocation") {
                    match prop(o, "url").and_then(|u| self.url_value(u)) {
                        Some(u) => d.online_urls.push(u),
                        None => d.warn("location", "a VirtualLocation without url; ignored"),
                    }
                } else if d.location.is_empty() {
                    self.place(o, d);
                }
            }
            other => d.warn("location", format!("location is {}, not a Place or text; ignored", kind_of(other))),
        }
    }

    fn place(&self, o: &'v Obj, d: &mut Draft) {
        d.location.venue = prop_text(o, "name").map(|n| collapse_whitespace(&n));
        if let Some(addr) = prop(o, "address") {
            match self.object(addr) {
                Some(a) => {
                    d.location.address = prop_text(a, "streetAddress").map(|s| collapse_whitespace(&s));
                    d.location.city = prop_text(a, "addressLocality").map(|s| collapse_whitespace(&s));
                    d.location.postal_code = prop_text(a, "postalCode");
                    d.location.country = prop(a, "addressCountry")
                        .and_then(|c| match self.object(c) {
                            Some(country) => prop_text(country, "name").or_else(|| prop_text(country, "identifier")),
                            None => text(c),
                        })
                        .and_then(|c| country_code(&c));
                    if d.location.address.is_none() && d.location.venue.is_none() {
                        d.location.address = prop_text(a, "name");
                    }
                }
                None => d.location.address = text(addr).map(|s| collapse_whitespace(&s)),
            }
        }
        let geo = prop(o, "geo").and_then(|g| self.object(g)).unwrap_or(o);
        if let (Some(lat), Some(lon)) =
            (prop(geo, "latitude").and_then(signed_number), prop(geo, "longitude").and_then(signed_number))
        {
            d.location.geo = Some(Geo { lat, lon });
        }
        if d.location.is_empty() {
            d.warn("location", "a Place without name, address or coordinates; ignored");
        }
    }

    /// `eventStatus` as a status (`None` when absent or unknown).
    fn status(&self, node: &'v Obj, d: &mut Draft) -> Option<Status> {
        let s = prop_text(node, "eventStatus")?;
        match local_name(&s) {
            "EventCancelled" => Some(Status::Cancelled),
            "EventPostponed" => Some(Status::Tentative),
            "EventScheduled" | "EventRescheduled" | "EventMovedOnline" => Some(Status::Scheduled),
            other => {
                d.warn("status", format!("eventStatus `{other}` is not a schema.org EventStatusType; ignored"));
                None
            }
        }
    }

    /// Modes stated by `eventAttendanceMode`, `courseMode`, `educationalProgramMode`.
    fn modes(&self, node: &'v Obj, d: &mut Draft) -> Vec<Mode> {
        let mut modes = Vec::new();
        if let Some(s) = prop_text(node, "eventAttendanceMode") {
            match local_name(&s) {
                "OfflineEventAttendanceMode" => modes.push(Mode::InPerson),
                "OnlineEventAttendanceMode" => modes.push(Mode::Online),
                "MixedEventAttendanceMode" => modes.push(Mode::Hybrid),
                other => {
                    d.warn("mode", format!("eventAttendanceMode `{other}` is not Offline, Online or Mixed; ignored"))
                }
            }
        }
        for name in ["courseMode", "educationalProgramMode"] {
            for v in prop_values(node, name) {
                modes.extend(text(v).and_then(|t| mode_from_text(&t)));
            }
        }
        modes
    }

    /// Sessions from `eventSchedule`/`courseSchedule`, else the dated `subEvent`s when there
    /// are several (a parent's `startDate`/`endDate` then only spans them), else
    /// `startDate`/`endDate`, else a single dated `subEvent`.
    fn sessions(&self, node: &'v Obj, d: &mut Draft) {
        let before = d.sessions.len();
        for name in ["eventSchedule", "courseSchedule"] {
            for v in prop_values(node, name) {
                match self.object(v) {
                    Some(s) => self.schedule(s, node, d),
                    None => d.warn("start", format!("{name} is {}, not a Schedule; ignored", kind_of(v))),
                }
            }
        }
        if d.sessions.len() > before {
            return;
        }
        let mut subs = Draft::default();
        for v in prop_values(node, "subEvent") {
            if let Some(sub) = self.object(v) {
                let cancelled = prop_text(sub, "eventStatus").is_some_and(|s| local_name(&s) == "EventCancelled");
                let from = subs.sessions.len();
                self.dated(sub, &mut subs);
                subs.sessions.iter_mut().skip(from).for_each(|s| s.cancelled = cancelled);
            }
        }
        if subs.sessions.len() < 2 {
            self.dated(node, d);
            if d.sessions.len() > before {
                return;
            }
        }
        d.sessions.append(&mut subs.sessions);
        d.warnings.append(&mut subs.warnings);
    }

    /// `startDate` (one or several) with `endDate` or `duration`.
    fn dated(&self, node: &'v Obj, d: &mut Draft) {
        let tz = self.env.clock.tz;
        let starts: Vec<When> =
            prop_values(node, "startDate").into_iter().filter_map(|v| self.when(v, "start", d)).collect();
        let ends: Vec<When> = prop_values(node, "endDate").into_iter().filter_map(|v| self.when(v, "end", d)).collect();
        let duration = prop_text(node, "duration").and_then(|s| dates::parse_duration(&s));
        for (i, start) in starts.iter().enumerate() {
            let end = if starts.len() == ends.len() {
                ends.get(i).copied()
            } else if starts.len() == 1 {
                ends.first().copied()
            } else {
                None
            };
            let end =
                end.or_else(|| duration.and_then(|du| start.plus(du)).filter(|_| !matches!(start, When::Date(_))));
            // schema.org times should carry an offset; one without is "floating" and read in
            // the provider's zone.
            d.sessions.push(dates::to_session(start, end.as_ref(), tz, true));
        }
    }

    /// Parses one date value, warning about what is not a date.
    fn when(&self, v: &Value, field: &str, d: &mut Draft) -> Option<When> {
        let Some(s) = text(v) else {
            d.warn(field, format!("{field}Date is {}, not a date; ignored", kind_of(v)));
            return None;
        };
        // Structured data states dates; words like "завтра" are for pages, not JSON-LD.
        let parsed =
            s.chars().any(|c| c.is_ascii_digit()).then(|| dates::parse_when(&s, &[], &self.env.clock)).flatten();
        if parsed.is_none() {
            let why = dates::explain_failure(&s, &self.env.clock);
            d.warn(field, format!("{why} (expected ISO 8601 like 2025-03-12T18:30:00+03:00); ignored"));
        }
        parsed
    }

    /// Expands a schema.org `Schedule` (daily, weekly or monthly by day of month) over the
    /// horizon, and keeps it as an RRULE.
    fn schedule(&self, s: &'v Obj, owner: &'v Obj, d: &mut Draft) {
        let zone: Option<Tz> = prop_text(s, "scheduleTimezone").and_then(|z| z.parse().ok());
        let tz = zone.unwrap_or(self.env.clock.tz);
        let clock = Clock { now: self.env.clock.now, tz };
        let parse = |name: &str| prop_text(s, name).and_then(|t| dates::parse_when(&t, &[], &clock));
        let start = parse("startDate").or_else(|| {
            prop_values(owner, "startDate")
                .first()
                .and_then(|v| text(v))
                .and_then(|t| dates::parse_when(&t, &[], &clock))
        });
        let end = parse("endDate");
        let start_time = prop_text(s, "startTime").and_then(|t| parse_time(&t)).or(match start {
            Some(When::Local(dt)) => Some(dt.time()),
            Some(When::Instant(dt)) => Some(dt.time()),
            _ => None,
        });
        let end_time = prop_text(s, "endTime").and_then(|t| parse_time(&t));
        let duration = prop_text(s, "duration").and_then(|t| dates::parse_duration(&t));
        let freq = prop_text(s, "repeatFrequency").map(|f| parse_frequency(&f));
        let first_day = start.map(|w| w.date()).unwrap_or_else(|| clock.now.with_timezone(&tz).date_naive());
        let horizon_day = self.env.horizon_end.with_timezone(&tz).date_naive();
        let last_day = end.map(|w| w.date()).map_or(horizon_day, |e| e.min(horizon_day));
        let count = prop(s, "repeatCount").and_then(number).map(|n| n as usize);
        let except: Vec<NaiveDate> = prop_values(s, "exceptDate")
            .into_iter()
            .filter_map(text)
            .filter_map(|t| dates::parse_when(&t, &[], &clock))
            .map(|w| w.date())
            .collect();

        let mut by_day = Vec::new();
        for v in prop_values(s, "byDay") {
            match text(v).as_deref().map(local_name).and_then(parse_weekday) {
                Some(w) => by_day.push(w),
                None => {
                    d.warn("start", format!("schedule byDay {} is not a day of the week (nth weekdays are not expanded); schedule ignored", short(v)));
                    return;
                }
            }
        }
        let by_month_day: Vec<u32> =
            prop_values(s, "byMonthDay").into_iter().filter_map(number).map(|n| n as u32).collect();

        let freq = match freq {
            Some(Some(f)) => f,
            Some(None) => {
                d.warn(
                    "start",
                    format!(
                        "schedule repeatFrequency {} is not daily, weekly or monthly; not expanded",
                        short(prop(s, "repeatFrequency").unwrap_or(&Value::Null))
                    ),
                );
                return;
            }
            // A schedule without repetition is one occurrence.
            None if start.is_some() => Frequency { unit: Unit::Daily, interval: 1 },
            None => {
                d.warn("start", "a Schedule without startDate or repeatFrequency; ignored");
                return;
            }
        };
        let single = prop(s, "repeatFrequency").is_none();
        let unbounded = end.is_none() && count.is_none();
        // Like the iCal reader: an unbounded schedule's occurrences that ended more than
        // LOOKBACK_DAYS ago are dropped, so an old weekly class does not fill the cap with its past.
        let lookback = self.env.clock.now - Duration::days(crate::ical::LOOKBACK_DAYS);
        let mut produced = 0usize;
        let mut sessions: Vec<Session> = Vec::new();
        let mut day = first_day;
        let mut scanned = 0i64;
        let mut cut_short = false;
        while day <= last_day && count.is_none_or(|c| produced < c) {
            if scanned > MAX_SCHEDULE_DAYS || sessions.len() > MAX_GENERATED {
                cut_short = true;
                break;
            }
            if freq.matches(first_day, day, &by_day, &by_month_day) && !except.contains(&day) {
                let start_when = When::from_parts(day, start_time);
                let end_when = match (end_time, start_time) {
                    (Some(et), Some(st)) => {
                        let next = if et <= st { day.succ_opt().unwrap_or(day) } else { day };
                        Some(When::Local(next.and_time(et)))
                    }
                    _ => duration.and_then(|du| start_when.plus(du)),
                };
                let session = dates::to_session(&start_when, end_when.as_ref(), tz, zone.is_none());
                if session.start > self.env.horizon_end {
                    break;
                }
                produced += 1;
                if !(unbounded && session.end.unwrap_or(session.start) < lookback) {
                    sessions.push(session);
                }
                if single {
                    break;
                }
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
            scanned += 1;
        }
        let over_cap = sessions.len() > self.env.max_sessions;
        crate::draft::cap_sessions(&mut sessions, self.env.max_sessions, self.env.clock.now);
        d.sessions.extend(sessions);
        if single {
            return;
        }
        // More occurrences exist beyond the horizon when the schedule ends later or never.
        let beyond_horizon = end.is_none_or(|e| e.date() > horizon_day) && count.is_none_or(|c| produced < c);
        let truncated = cut_short || over_cap;
        let mut rule = freq.rrule(&by_day, &by_month_day);
        if let Some(c) = count {
            rule.push_str(&format!(";COUNT={c}"));
        } else if let Some(e) = end {
            rule.push_str(&format!(";UNTIL={}T235959", e.date().format("%Y%m%d")));
        }
        let rec = d.recurrence.get_or_insert_with(|| Recurrence {
            rrule: Vec::new(),
            rdate: Vec::new(),
            exdate: Vec::new(),
            expanded_until: self.env.horizon_end,
            truncated: false,
        });
        rec.rrule.push(rule);
        rec.exdate.extend(except.iter().map(|x| When::from_parts(*x, start_time).to_instant(tz)));
        rec.truncated |= truncated || beyond_horizon;
    }

    /// Keeps at most `max_sessions` sessions (past ones go first, then the latest), marking the
    /// recurrence truncated.
    fn cap_sessions(&self, d: &mut Draft) {
        let max = self.env.max_sessions;
        if d.sessions.len() > max {
            d.sessions.sort_by_key(|s| s.start);
            crate::draft::cap_sessions(&mut d.sessions, max, self.env.clock.now);
            if let Some(r) = d.recurrence.as_mut() {
                r.truncated = true;
            }
            d.warn("start", format!("more than {} sessions; the rest were dropped", self.env.max_sessions));
        }
    }
}

impl When {
    /// A date with an optional time.
    fn from_parts(date: NaiveDate, time: Option<NaiveTime>) -> When {
        match time {
            Some(t) => When::Local(date.and_time(t)),
            None => When::Date(date),
        }
    }
}

/// A short rendering of a value for warnings.
fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("`{s}`"),
        other => kind_of(other).to_owned(),
    };
    s.chars().take(80).collect()
}

fn looks_like_html(s: &str) -> bool {
    s.contains('<') && s.contains('>') || s.contains("&lt;") || s.contains("&amp;") || s.contains("&nbsp;")
}

fn signed_number(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().replace(',', ".").parse::<f64>().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// "7-12", "7–12", "18-", "18+", "6+" → (min, max).
fn parse_age_range(s: &str) -> Option<(u8, Option<u8>)> {
    let s = s.trim().replace(['–', '—'], "-");
    let (lo, hi) = match s.split_once('-') {
        Some((lo, hi)) => (lo.trim(), hi.trim()),
        None => (s.trim_end_matches('+').trim(), ""),
    };
    let min: u8 = lo.trim_end_matches('+').parse().ok()?;
    let max = if hi.is_empty() { None } else { Some(hi.parse::<u8>().ok()?) };
    Some((min, max))
}

/// A two-letter country code from a code or a few common names.
fn country_code(s: &str) -> Option<String> {
    let t = s.trim();
    if t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(t.to_ascii_uppercase());
    }
    let code = match t.to_lowercase().as_str() {
        "belarus" | "беларусь" | "беларусь." | "рэспубліка беларусь" | "республика беларусь" | "blr" => {
            "BY"
        }
        "russia" | "россия" | "russian federation" | "rus" => "RU",
        "germany" | "deutschland" | "deu" => "DE",
        "azerbaijan" | "азербайджан" | "aze" => "AZ",
        "finland" | "suomi" | "fin" => "FI",
        "poland" | "polska" | "pol" => "PL",
        "lithuania" | "lietuva" | "ltu" => "LT",
        "latvia" | "latvija" | "lva" => "LV",
        "ukraine" | "україна" | "украина" | "ukr" => "UA",
        "united kingdom" | "uk" | "gbr" => "GB",
        "united states" | "usa" => "US",
        _ => return None,
    };
    Some(code.to_owned())
}

/// A mode from free text (`courseMode`: "online", "MOOC", "distance learning", "onsite",
/// "blended"); `None` for what says nothing about it ("full-time").
fn mode_from_text(s: &str) -> Option<Mode> {
    let l = local_name(s).to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| l.contains(w));
    if has(&["blended", "hybrid", "mixed", "смешан", "гібрыд", "гибрид", "змешан"]) {
        Some(Mode::Hybrid)
    } else if has(&[
        "online",
        "mooc",
        "distance",
        "remote",
        "virtual",
        "онлайн",
        "анлайн",
        "дистанц",
        "дыстанц",
        "заочн",
        "завочн",
    ]) {
        Some(Mode::Online)
    } else if has(&[
        "onsite",
        "on-site",
        "in-person",
        "in person",
        "offline",
        "classroom",
        "campus",
        "очн",
        "вочн",
        "präsenz",
    ]) {
        Some(Mode::InPerson)
    } else {
        None
    }
}

fn combine_modes(modes: &[Mode]) -> Option<Mode> {
    let online = modes.iter().any(|m| matches!(m, Mode::Online | Mode::Hybrid));
    let in_person = modes.iter().any(|m| matches!(m, Mode::InPerson | Mode::Hybrid));
    match (online, in_person) {
        (true, true) => Some(Mode::Hybrid),
        (true, false) => Some(Mode::Online),
        (false, true) => Some(Mode::InPerson),
        (false, false) => None,
    }
}

/// "19:00", "19:00:00", "T19:00".
fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim().trim_start_matches('T');
    let s = s.split(['+', 'Z', 'z']).next().unwrap_or(s);
    NaiveTime::parse_from_str(s, "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(s, "%H:%M")).ok()
}

fn parse_weekday(s: &str) -> Option<Weekday> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "monday" | "mo" | "mon" => Weekday::Mon,
        "tuesday" | "tu" | "tue" => Weekday::Tue,
        "wednesday" | "we" | "wed" => Weekday::Wed,
        "thursday" | "th" | "thu" => Weekday::Thu,
        "friday" | "fr" | "fri" => Weekday::Fri,
        "saturday" | "sa" | "sat" => Weekday::Sat,
        "sunday" | "su" | "sun" => Weekday::Sun,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Daily,
    Weekly,
    Monthly,
}

#[derive(Debug, Clone, Copy)]
struct Frequency {
    unit: Unit,
    interval: u32,
}

/// `P1D`, `P1W`, `P2W`, `P1M`, `P7D` (weekly), or the words daily/weekly/monthly.
fn parse_frequency(s: &str) -> Option<Frequency> {
    let l = s.trim().to_ascii_lowercase();
    let word = match l.as_str() {
        "daily" => Some(Unit::Daily),
        "weekly" => Some(Unit::Weekly),
        "monthly" => Some(Unit::Monthly),
        _ => None,
    };
    if let Some(unit) = word {
        return Some(Frequency { unit, interval: 1 });
    }
    let body = l.strip_prefix('p')?;
    let (n, unit) = body.split_at_checked(body.len().checked_sub(1)?)?;
    let n: u32 = n.parse().ok().filter(|n| *n > 0)?;
    match unit {
        "d" if n.is_multiple_of(7) => Some(Frequency { unit: Unit::Weekly, interval: n / 7 }),
        "d" => Some(Frequency { unit: Unit::Daily, interval: n }),
        "w" => Some(Frequency { unit: Unit::Weekly, interval: n }),
        "m" => Some(Frequency { unit: Unit::Monthly, interval: n }),
        _ => None,
    }
}

impl Frequency {
    fn matches(&self, first: NaiveDate, day: NaiveDate, by_day: &[Weekday], by_month_day: &[u32]) -> bool {
        let days = (day - first).num_days();
        let interval = i64::from(self.interval.max(1));
        match self.unit {
            Unit::Daily => days % interval == 0 && (by_day.is_empty() || by_day.contains(&day.weekday())),
            Unit::Weekly => {
                let week_start = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
                let weeks = (day - week_start).num_days() / 7;
                let on_day =
                    if by_day.is_empty() { day.weekday() == first.weekday() } else { by_day.contains(&day.weekday()) };
                weeks % interval == 0 && on_day
            }
            Unit::Monthly => {
                let months = (day.year() - first.year()) * 12 + day.month() as i32 - first.month() as i32;
                let on_day =
                    if by_month_day.is_empty() { day.day() == first.day() } else { by_month_day.contains(&day.day()) };
                i64::from(months) % interval == 0 && on_day && (by_day.is_empty() || by_day.contains(&day.weekday()))
            }
        }
    }

    fn rrule(&self, by_day: &[Weekday], by_month_day: &[u32]) -> String {
        let mut r = String::from(match self.unit {
            Unit::Daily => "FREQ=DAILY",
            Unit::Weekly => "FREQ=WEEKLY",
            Unit::Monthly => "FREQ=MONTHLY",
        });
        if self.interval > 1 {
            r.push_str(&format!(";INTERVAL={}", self.interval));
        }
        if !by_day.is_empty() {
            let days: Vec<&str> = by_day
                .iter()
                .map(|w| match w {
                    Weekday::Mon => "MO",
                    Weekday::Tue => "TU",
                    Weekday::Wed => "WE",
                    Weekday::Thu => "TH",
                    Weekday::Fri => "FR",
                    Weekday::Sat => "SA",
                    Weekday::Sun => "SU",
                })
                .collect();
            r.push_str(&format!(";BYDAY={}", days.join(",")));
        }
        if !by_month_day.is_empty() {
            let days: Vec<String> = by_month_day.iter().map(u32::to_string).collect();
            r.push_str(&format!(";BYMONTHDAY={}", days.join(",")));
        }
        r
    }
}

/// A document-level warning for a document that is JSON-LD but describes no offering.
pub fn no_offerings_warning(doc: &Value) -> Warning {
    let found = type_names(doc);
    let found = if found.is_empty() { "no @type at all".to_owned() } else { format!("found {}", found.join(", ")) };
    Warning::document(format!(
        "the JSON-LD describes no schema.org Course, CourseInstance or Event ({found}); nothing to read"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env_for(url: &Url) -> Env<'_> {
        let now = DateTime::parse_from_rfc3339("2025-03-01T09:00:00Z").unwrap().with_timezone(&Utc);
        Env {
            base: Some(url),
            clock: Clock { now, tz: chrono_tz::Europe::Minsk },
            horizon_end: now + Duration::days(90),
            max_sessions: 50,
        }
    }

    fn read(doc: Value) -> Vec<Draft> {
        let url = Url::parse("https://vsu.example/courses/index.html").unwrap();
        read_document(&doc, &env_for(&url))
    }

    fn rfc(s: &Session) -> (String, Option<String>) {
        (s.start.to_rfc3339(), s.end.map(|e| e.to_rfc3339()))
    }

    #[test]
    fn same_as_links_to_the_page_of_the_same_event() {
        let d = read(json!({"@type": "Event", "name": "Лекция", "startDate": "2027-01-28T18:00",
            "url": "https://vsu.example/afisha/1",
            "sameAs": ["https://library.example/events/shlyahta", "https://vsu.example/afisha/1"]}));
        assert_eq!(d[0].related_urls, ["https://library.example/events/shlyahta"]);
    }

    #[test]
    fn lenient_parsing_tolerates_what_pages_do() {
        assert!(parse_lenient("<!-- {\"@type\": \"Event\", \"name\": \"A\",} -->").is_ok());
        // A block that opens with a whole comment, or wrapped in `/* */` CDATA markers, was
        // dropped and the page said to have no JSON-LD.
        for wrapped in [
            "<!-- This site is optimized with the Yoast SEO plugin -->\n{\"@type\": \"Event\"}\n<!-- / Yoast SEO -->",
            "/*<![CDATA[*/ {\"@type\": \"Event\"} /*]]>*/",
            "//<![CDATA[\n<!--\n[{\"@type\": \"Event\"}]\n//-->\n//]]>",
        ] {
            assert!(parse_lenient(wrapped).is_ok_and(|v| type_names(&v) == ["Event"]), "{wrapped}");
        }
        assert!(parse_lenient("{\"name\": \"line\nbreak\", \"x\": [1, 2, ],}").is_ok());
        assert!(parse_lenient("// comment\n{\"a\": \"http://x.example/\" /* c */}").is_ok());
        let two = parse_lenient("{\"a\":1}\n{\"b\":2}").unwrap();
        assert_eq!(two.as_array().map(Vec::len), Some(2));
        let err = parse_lenient("{\"@type\": \"Event\", \"name\": }").unwrap_err();
        assert!(err.starts_with("line 1 column"), "{err}");
    }

    #[test]
    fn types_as_iri_prefixed_or_array() {
        assert!(is_offering_type("https://schema.org/EducationEvent"));
        assert!(is_offering_type("schema:Course"));
        assert!(!is_offering_type("Organization"));
        let d = read(
            json!({"@type": ["Event", "EducationEvent"], "name": "Лекция", "startDate": "2025-03-12T18:30:00+03:00"}),
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].title.as_deref(), Some("Лекция"));
        assert!(!has_offerings(&json!({"@type": "Organization", "name": "ВГУ"})));
    }

    #[test]
    fn graph_course_with_referenced_instances_is_one_draft() {
        let doc = json!({
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "CollegeOrUniversity", "@id": "#vsu", "name": "ВГУ имени П. М. Машерова", "url": "/"},
                {"@type": "Course", "@id": "#python", "name": "Python для начинающих",
                 "description": "<p>Основы программирования</p>", "provider": {"@id": "#vsu"},
                 "hasCourseInstance": [{"@id": "#python-1"}, {"@id": "#python-2"}],
                 "inLanguage": "ru", "keywords": "программирование, IT"},
                {"@type": "CourseInstance", "@id": "#python-1", "courseMode": "onsite",
                 "startDate": "2025-03-12T18:30", "endDate": "2025-03-12T20:00",
                 "location": {"@type": "Place", "name": "Корпус 1", "address": {"@type": "PostalAddress",
                   "streetAddress": "Московский пр., 33", "addressLocality": "Витебск", "postalCode": "210038", "addressCountry": "BY"}}},
                {"@type": "CourseInstance", "@id": "#python-2", "courseMode": "online",
                 "startDate": "2025-03-19T18:30:00+03:00", "endDate": "2025-03-19T20:00:00+03:00",
                 "location": {"@type": "VirtualLocation", "url": "https://meet.example/python"}}
            ]
        });
        let d = read(doc);
        assert_eq!(d.len(), 1, "{d:#?}");
        let c = &d[0];
        assert_eq!(c.kind, Some(Kind::Course));
        assert_eq!(c.guid.as_deref(), Some("https://vsu.example/courses/index.html#python"));
        assert_eq!(c.organizer.as_ref().unwrap().name, "ВГУ имени П. М. Машерова");
        assert_eq!(c.organizer.as_ref().unwrap().url.as_deref(), Some("https://vsu.example/"));
        assert_eq!(c.sessions.len(), 2);
        assert_eq!(rfc(&c.sessions[0]), ("2025-03-12T18:30:00+03:00".into(), Some("2025-03-12T20:00:00+03:00".into())));
        assert!(c.sessions[0].floating);
        assert!(!c.sessions[1].floating);
        assert_eq!(c.mode, Some(Mode::Hybrid));
        assert_eq!(c.location.city.as_deref(), Some("Витебск"));
        assert_eq!(c.location.country.as_deref(), Some("BY"));
        assert_eq!(c.online_urls, ["https://meet.example/python"]);
        assert_eq!(c.categories, ["программирование", "IT"]);
        assert_eq!(c.description_html.as_deref(), Some("<p>Основы программирования</p>"));
    }

    #[test]
    fn nested_course_instances_and_schedule() {
        let d = read(json!({
            "@type": "Course", "name": "Английский язык A2",
            "hasCourseInstance": {
                "@type": "CourseInstance", "courseMode": ["MOOC", "online"],
                "courseSchedule": {"@type": "Schedule", "repeatFrequency": "P1W", "byDay": ["https://schema.org/Tuesday", "Thursday"],
                  "startDate": "2025-03-04", "endDate": "2025-03-27", "startTime": "18:00", "endTime": "19:30"},
                "instructor": {"@type": "Person", "name": "Ольга Ковалёва"}
            }
        }));
        let c = &d[0];
        assert_eq!(c.sessions.len(), 8, "{:#?}", c.sessions);
        assert_eq!(rfc(&c.sessions[0]), ("2025-03-04T18:00:00+03:00".into(), Some("2025-03-04T19:30:00+03:00".into())));
        assert_eq!(rfc(&c.sessions[7]).0, "2025-03-27T18:00:00+03:00");
        let r = c.recurrence.as_ref().unwrap();
        assert_eq!(r.rrule, ["FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20250327T235959"]);
        assert!(!r.truncated);
        assert_eq!(c.mode, Some(Mode::Online));
        assert_eq!(c.teachers[0].name, "Ольга Ковалёва");
    }

    #[test]
    fn open_ended_schedule_is_capped_by_horizon() {
        let d = read(json!({"@type": "Event", "name": "Tai chi", "eventSchedule": {"@type": "Schedule",
            "startDate": "2025-01-01", "repeatFrequency": "P1W", "byDay": "https://schema.org/Wednesday", "startTime": "19:00:00",
            "duration": "PT60M", "scheduleTimezone": "Europe/Berlin"}}));
        let e = &d[0];
        // Wednesdays from 1 Jan 2025; those ended 30 days before the fetch (1 March) are dropped;
        // up to 30 May 2025 (90 days after the fetch): 5 February to 28 May.
        assert_eq!(e.sessions.len(), 17);
        assert_eq!(rfc(&e.sessions[0]).0, "2025-02-05T19:00:00+01:00");
        assert_eq!(e.sessions[0].time_zone.as_deref(), Some("Europe/Berlin"));
        assert!(!e.sessions[0].floating);
        assert_eq!(rfc(&e.sessions[0]).1.unwrap(), "2025-02-05T20:00:00+01:00");
        assert!(e.recurrence.as_ref().unwrap().truncated);
        let d = read(json!({"@type": "Event", "name": "Count", "eventSchedule": {"@type": "Schedule",
            "startDate": "2025-03-10", "repeatFrequency": "P1D", "repeatCount": 3, "startTime": "09:00"}}));
        assert_eq!(d[0].sessions.len(), 3);
        assert_eq!(d[0].recurrence.as_ref().unwrap().rrule, ["FREQ=DAILY;COUNT=3"]);
        let d = read(json!({"@type": "Event", "name": "Nth", "eventSchedule": {"@type": "Schedule",
            "repeatFrequency": "P1M", "byDay": "2MO", "startTime": "18:00:00"}}));
        assert!(d[0].sessions.is_empty());
        assert_eq!(d[0].warnings[0].0, "start");
    }

    #[test]
    fn events_array_with_virtual_hybrid_and_cancelled() {
        let d = read(json!([
            {"@context": "https://schema.org", "@type": "EducationEvent", "name": "Вебинар",
             "startDate": "2025-03-20T19:00:00+03:00", "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode",
             "location": {"@type": "VirtualLocation", "url": "https://zoom.example/j/1"}},
            {"@type": "Event", "name": "Гибрид", "startDate": "2025-03-21T19:00:00+03:00",
             "location": [{"@type": "Place", "name": "Библиотека", "address": "ул. Ленина, 8, Витебск"},
                          {"@type": "VirtualLocation", "url": "https://vk.example/live"}]},
            {"@type": "Event", "name": "Отменено", "startDate": "2025-03-22", "eventStatus": "https://schema.org/EventCancelled"},
            {"@type": "Event", "name": "Перенесено", "startDate": "2025-03-23", "eventStatus": "EventPostponed"}
        ]));
        assert_eq!(d.len(), 4);
        assert_eq!(d[0].mode, Some(Mode::Online));
        assert_eq!(d[0].online_urls, ["https://zoom.example/j/1"]);
        assert_eq!(d[1].location.venue.as_deref(), Some("Библиотека"));
        assert_eq!(d[1].location.address.as_deref(), Some("ул. Ленина, 8, Витебск"));
        assert_eq!(d[1].online_urls, ["https://vk.example/live"]);
        assert_eq!(d[2].status, Status::Cancelled);
        assert!(d[2].sessions[0].all_day);
        assert_eq!(d[3].status, Status::Tentative);
    }

    #[test]
    fn offers_free_priced_range_and_text() {
        let price = |offers: Value| read(json!({"@type": "Event", "name": "x", "offers": offers})).remove(0);
        assert_eq!(price(json!({"@type": "Offer", "price": 0})).price, Some(Price::free()));
        assert_eq!(price(json!({"@type": "Offer", "price": "0", "priceCurrency": "BYN"})).price, Some(Price::free()));
        let p = price(json!({"@type": "Offer", "price": "15.50", "priceCurrency": "byn", "url": "/buy"}));
        assert_eq!(
            p.price,
            Some(Price {
                free: false,
                amount: Some(15.5),
                amount_max: None,
                currency: Some("BYN".into()),
                per: None,
                text: None
            })
        );
        assert_eq!(p.registration_url.as_deref(), Some("https://vsu.example/buy"));
        let p = price(json!({"@type": "AggregateOffer", "lowPrice": 10, "highPrice": "25", "priceCurrency": "BYN"}));
        assert_eq!(p.price.as_ref().map(|p| (p.amount, p.amount_max)), Some((Some(10.0), Some(25.0))));
        let p = price(
            json!([{"@type": "Offer", "price": 124, "priceCurrency": "GBP"}, {"@type": "Offer", "price": 154, "priceCurrency": "GBP"}]),
        );
        assert_eq!(p.price.as_ref().map(|p| (p.amount, p.amount_max)), Some((Some(124.0), Some(154.0))));
        let p = price(json!({"@type": "Offer", "price": "по договорённости"}));
        assert_eq!(p.price_text.as_deref(), Some("по договорённости"));
        // An Offer with no price (or an empty one) whose description says why.
        for (offer, said) in [
            (json!({"@type": "Offer", "description": "Price on request"}), "Price on request"),
            (
                json!({"@type": "Offer", "price": "", "priceCurrency": "BYN", "description": "Кошт удакладняецца"}),
                "Кошт удакладняецца",
            ),
        ] {
            let p = price(offer);
            assert_eq!((p.price.as_ref(), p.price_text.as_deref()), (None, Some(said)));
        }
        let p = price(json!({"@type": "Offer", "price": 12, "priceCurrency": "BYN", "description": "Ticket"}));
        assert_eq!((p.price.map(|p| p.amount), p.price_text), (Some(Some(12.0)), None));
        let p = price(json!("ticketmaster.com/x"));
        assert!(p.price.is_none() && p.warnings[0].0 == "price");
        let free = read(json!({"@type": "Event", "name": "x", "isAccessibleForFree": true})).remove(0);
        assert_eq!(free.price, Some(Price::free()));
    }

    #[test]
    fn languages_audience_people_images() {
        let d = read(json!({"@type": "Event", "name": "x", "startDate": "2025-03-12T18:30:00+03:00",
            "inLanguage": [{"@type": "Language", "name": "Belarusian", "alternateName": "be"}, "ru"],
            "audience": {"@type": "PeopleAudience", "audienceType": "пенсионеры", "suggestedMinAge": 60},
            "typicalAgeRange": "60-", "organizer": [{"@type": "Organization", "name": "Библиотека", "url": "https://lib.example"}],
            "performer": {"@type": "Person", "givenName": "Анна", "familyName": "Петрова"},
            "image": [{"@type": "ImageObject", "url": "/img/a.jpg"}, "https://cdn.example/b.png", 5],
            "dateModified": "2025-02-20T10:00:00Z", "url": "javascript:alert(1)"
        })).remove(0);
        assert_eq!(d.languages, ["be", "ru"]);
        assert_eq!(d.audience.age_min, Some(60));
        assert_eq!(d.audience_text.as_deref(), Some("пенсионеры"));
        assert_eq!(d.organizer.unwrap().name, "Библиотека");
        assert_eq!(d.teachers[0].name, "Анна Петрова");
        assert_eq!(d.images, ["https://vsu.example/img/a.jpg", "https://cdn.example/b.png"]);
        assert_eq!(d.updated_at.unwrap().to_rfc3339(), "2025-02-20T10:00:00+00:00");
        assert!(d.url.is_none());
        let fields: Vec<&str> = d.warnings.iter().map(|w| w.0.as_str()).collect();
        assert!(fields.contains(&"url") && fields.contains(&"image"), "{fields:?}");
        assert_eq!(parse_age_range("7–12"), Some((7, Some(12))));
        assert_eq!(parse_age_range("6+"), Some((6, None)));
        assert_eq!(parse_age_range("взрослые"), None);
    }

    #[test]
    fn nested_items_and_openactive_feeds_are_found() {
        let d = read(
            json!({"@type": "MusicGroup", "name": "Band", "event": [{"@type": "Event", "name": "Show", "startDate": "2025-05-20"}]}),
        );
        assert_eq!(d.len(), 1);
        let d = read(json!({"items": [{"state": "updated", "data": {"@type": "SessionSeries", "name": "Йога",
            "subEvent": [{"@type": "ScheduledSession", "startDate": "2025-03-05T10:00:00Z", "endDate": "2025-03-05T11:00:00Z"},
                         {"@type": "ScheduledSession", "startDate": "2025-03-12T10:00:00Z", "eventStatus": "EventCancelled"}]}}]}));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].sessions.len(), 2);
        assert!(d[0].sessions[1].cancelled);
        let d = read(json!({"@type": "CourseInstance", "startDate": "2018-08-01", "endDate": "2018-08-04",
            "instanceOfCourse": {"@type": "Course", "name": "Netball Youth Camp", "url": "https://netball.example/NYC"}}));
        assert_eq!(d[0].title.as_deref(), Some("Netball Youth Camp"));
        assert_eq!(d[0].guid, None);
        assert_eq!(rfc(&d[0].sessions[0]).1.unwrap(), "2018-08-05T00:00:00+03:00");
        let d = read(
            json!({"@type": "ScheduledSession", "@id": "https://oa.example/s/1", "startDate": "2025-03-05T10:00:00Z",
            "superEvent": {"@type": "SessionSeries", "@id": "https://oa.example/series/9", "name": "Йога для начинающих",
              "location": {"@type": "Place", "name": "Спортзал"}}}),
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].title.as_deref(), Some("Йога для начинающих"));
        assert_eq!(d[0].guid.as_deref(), Some("https://oa.example/s/1"));
        assert_eq!(d[0].location.venue.as_deref(), Some("Спортзал"));
    }

    #[test]
    fn unexpected_types_warn_and_never_panic() {
        let d = read(json!({"@type": "Event", "name": ["Имя", "Name"], "startDate": 20250312, "endDate": {"x": 1},
            "location": 42, "offers": [null, true], "description": {"a": 1}, "inLanguage": 7, "eventSchedule": "weekly",
            "hasCourseInstance": "x", "typicalAgeRange": "много", "eventStatus": "Bogus", "eventAttendanceMode": 3}));
        assert_eq!(d[0].title.as_deref(), Some("Имя"));
        assert!(d[0].warnings.len() >= 5, "{:?}", d[0].warnings);
        for doc in [json!(null), json!([]), json!({"@graph": 5}), json!({"@type": 5}), json!({"@type": ["Event", 1]})] {
            let _ = read(doc);
        }
    }
}
