//! schema.org microdata (`itemscope`/`itemtype`/`itemprop`) converted into the JSON shape
//! JSON-LD uses, so that [`crate::jsonld`] maps both the same way.
//!
//! Follows the HTML microdata algorithm: top-level items are `itemscope` elements without
//! `itemprop`; an item's properties are the `itemprop` elements under it (and under its
//! `itemref` ids) that are not inside a nested item; a property on an `itemscope` element is a
//! nested item. Property values: `meta[content]`; `src` of media elements; `href` of `a`,
//! `area`, `link`; `data` of `object`; `value` of `data`/`meter`; `datetime` of `time`; else a
//! `content` attribute (common, though not in the spec); else the text. A `description` with
//! markup keeps its inner HTML, which normalisation sanitises.
//!
//! Guarantees: no recursion deeper than [`MAX_DEPTH`] items, no `itemref` cycles, no panics.

use std::collections::{HashMap, HashSet};

use scraper::{ElementRef, Html, Selector};
use serde_json::{Map, Value};

use crate::text::collapse_whitespace;

/// Nested items deeper than this are read as text.
pub const MAX_DEPTH: usize = 16;

/// Items built per page at most. `itemref` lets items share subtrees, so without a page-wide
/// budget a small page could make the work grow as (references per item)^depth.
pub const MAX_ITEMS_PER_PAGE: usize = 5_000;

/// Names of one `itemprop` used at most (each name gets a copy of the value).
const MAX_NAMES_PER_PROPERTY: usize = 8;

/// The page's top-level microdata items, as JSON-LD-shaped objects.
pub fn items(doc: &Html) -> Vec<Value> {
    let Ok(scoped) = Selector::parse("[itemscope]") else { return Vec::new() };
    let ids = id_index(doc);
    let reader = Reader { ids, budget: std::cell::Cell::new(MAX_ITEMS_PER_PAGE) };
    doc.select(&scoped)
        .filter(|el| el.value().attr("itemprop").is_none() || !has_item_ancestor(el))
        .map(|el| reader.item(el, 0, &mut HashSet::new()))
        .collect()
}

/// True when the document has any `itemscope` element.
pub fn has_items(doc: &Html) -> bool {
    Selector::parse("[itemscope]").is_ok_and(|s| doc.select(&s).next().is_some())
}

fn has_item_ancestor(el: &ElementRef<'_>) -> bool {
    el.ancestors().filter_map(ElementRef::wrap).any(|a| a.value().attr("itemscope").is_some())
}

fn id_index(doc: &Html) -> HashMap<String, ElementRef<'_>> {
    let mut ids = HashMap::new();
    if let Ok(sel) = Selector::parse("[id]") {
        for el in doc.select(&sel) {
            if let Some(id) = el.value().attr("id") {
                ids.entry(id.to_owned()).or_insert(el);
            }
        }
    }
    ids
}

struct Reader<'a> {
    ids: HashMap<String, ElementRef<'a>>,
    /// Items that may still be built on this page (see [`MAX_ITEMS_PER_PAGE`]).
    budget: std::cell::Cell<usize>,
}

impl<'a> Reader<'a> {
    /// One item: `@type` (first itemtype), `@id` (itemid), and its properties; a property given
    /// several times becomes a list.
    fn item(&self, root: ElementRef<'a>, depth: usize, chain: &mut HashSet<ego_id::Id>) -> Value {
        self.budget.set(self.budget.get().saturating_sub(1));
        let mut obj = Map::new();
        let mut types: Vec<Value> = root
            .value()
            .attr("itemtype")
            .unwrap_or_default()
            .split_whitespace()
            .map(|t| Value::String(t.to_owned()))
            .collect();
        match types.len() {
            0 => {}
            1 => {
                obj.insert("@type".into(), types.remove(0));
            }
            _ => {
                obj.insert("@type".into(), Value::Array(types));
            }
        }
        if let Some(id) = root.value().attr("itemid").map(str::trim).filter(|s| !s.is_empty()) {
            obj.insert("@id".into(), Value::String(id.to_owned()));
        }
        chain.insert(ego_id::of(&root));
        for prop_el in self.properties(root) {
            let names = prop_el.value().attr("itemprop").unwrap_or_default();
            let nested = prop_el.value().attr("itemscope").is_some();
            let value =
                if nested && depth < MAX_DEPTH && self.budget.get() > 0 && !chain.contains(&ego_id::of(&prop_el)) {
                    self.item(prop_el, depth + 1, chain)
                } else {
                    Value::String(property_value(prop_el, names))
                };
            for name in names.split_whitespace().take(MAX_NAMES_PER_PROPERTY) {
                add(&mut obj, name, value.clone());
            }
        }
        chain.remove(&ego_id::of(&root));
        // An offer's visible words ("15 BYN за занятие", "10–15 BYN") say more than its
        // `price` meta: kept for the price reading.
        if depth > 0 && root.value().attr("itemtype").is_some_and(|t| t.contains("Offer")) {
            let visible = collapse_whitespace(&root.text().collect::<String>());
            if !visible.is_empty() {
                obj.insert("@text".into(), Value::String(visible));
            }
        }
        Value::Object(obj)
    }

    /// The property elements of an item, in tree order: descendants (not inside nested items)
    /// and the subtrees named by `itemref`.
    fn properties(&self, root: ElementRef<'a>) -> Vec<ElementRef<'a>> {
        let mut roots: Vec<ElementRef<'a>> = Vec::new();
        let mut seen: HashSet<ego_id::Id> = HashSet::new();
        seen.insert(ego_id::of(&root));
        let mut out = Vec::new();
        let mut pending: Vec<ElementRef<'a>> = root.child_elements().collect::<Vec<_>>();
        pending.reverse();
        for id in root.value().attr("itemref").unwrap_or_default().split_whitespace() {
            if let Some(el) = self.ids.get(id) {
                roots.push(*el);
            }
        }
        // itemref subtrees come after the item's own descendants.
        for el in roots.into_iter().rev() {
            pending.insert(0, el);
        }
        while let Some(el) = pending.pop() {
            if !seen.insert(ego_id::of(&el)) {
                continue;
            }
            if el.value().attr("itemprop").is_some() {
                out.push(el);
            }
            if el.value().attr("itemscope").is_none() {
                let mut children: Vec<ElementRef<'a>> = el.child_elements().collect();
                children.reverse();
                pending.extend(children);
            }
        }
        out
    }
}

/// Node identity for cycle checks: the address of the node's element in the parsed tree,
/// which lives as long as the document.
mod ego_id {
    use scraper::ElementRef;

    /// A node's identity.
    pub type Id = usize;

    pub fn of(el: &ElementRef<'_>) -> Id {
        std::ptr::from_ref(el.value()) as usize
    }
}

fn add(obj: &mut Map<String, Value>, name: &str, value: Value) {
    match obj.get_mut(name) {
        None => {
            obj.insert(name.to_owned(), value);
        }
        Some(Value::Array(list)) => list.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// The value of a non-item property element, per the HTML microdata rules.
fn property_value(el: ElementRef<'_>, names: &str) -> String {
    let e = el.value();
    let attr = |name: &str| e.attr(name).map(str::trim).map(str::to_owned);
    let by_element = match e.name() {
        "meta" => attr("content"),
        "audio" | "embed" | "iframe" | "img" | "source" | "track" | "video" => attr("src"),
        "a" | "area" | "link" => attr("href"),
        "object" => attr("data"),
        "data" | "meter" => attr("value"),
        "time" => attr("datetime"),
        _ => None,
    };
    if let Some(v) = by_element.or_else(|| attr("content")) {
        return v;
    }
    let is_description = names.split_whitespace().any(|n| n.ends_with("description"));
    if is_description && el.child_elements().next().is_some() {
        return el.inner_html().trim().to_owned();
    }
    collapse_whitespace(&crate::html::element_text(el))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_nested_items_and_value_rules() {
        let html = Html::parse_document(
            r##"<div itemscope itemtype="https://schema.org/Event" itemid="#lecture-1">
                 <h2 itemprop="name">Лекция  «Витебск   Шагала»</h2>
                 <time itemprop="startDate" datetime="2025-03-12T18:30">12 марта, 18:30</time>
                 <div itemprop="startDate" content="ignored-second"></div>
                 <a itemprop="url" href="/events/1">Подробнее</a>
                 <img itemprop="image" src="/img/1.jpg">
                 <div itemprop="location" itemscope itemtype="https://schema.org/Place">
                   <span itemprop="name">Библиотека</span>
                   <div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">
                     <span itemprop="streetAddress">ул. Ленина, 8</span>, <span itemprop="addressLocality">Витебск</span>
                   </div>
                 </div>
                 <div itemprop="description"><p>Текст <b>жирный</b></p></div>
                 <meta itemprop="eventStatus" content="https://schema.org/EventCancelled">
               </div>
               <p itemprop="name">orphan property</p>"##,
        );
        let items = items(&html);
        assert_eq!(items.len(), 1);
        let e = &items[0];
        assert_eq!(e["@type"], "https://schema.org/Event");
        assert_eq!(e["@id"], "#lecture-1");
        assert_eq!(e["name"], "Лекция «Витебск Шагала»");
        assert_eq!(e["startDate"], json!(["2025-03-12T18:30", "ignored-second"]));
        assert_eq!(e["url"], "/events/1");
        assert_eq!(e["image"], "/img/1.jpg");
        assert_eq!(e["location"]["name"], "Библиотека");
        assert_eq!(e["location"]["address"]["addressLocality"], "Витебск");
        assert_eq!(e["description"], "<p>Текст <b>жирный</b></p>");
        assert_eq!(e["eventStatus"], "https://schema.org/EventCancelled");
    }

    /// Regression (review): items sharing subtrees through `itemref` made the work grow as
    /// width^depth. Level k holds four items that each reference all four items of level k+1.
    #[test]
    fn shared_itemref_subtrees_stay_within_the_page_budget() {
        let levels = MAX_DEPTH + 2;
        let mut page = String::from("<html><body>");
        for level in 0..levels {
            for i in 0..4 {
                let refs: Vec<String> = (0..4).map(|j| format!("l{}-{j}", level + 1)).collect();
                let itemref =
                    if level + 1 < levels { format!(r#" itemref="{}""#, refs.join(" ")) } else { String::new() };
                let prop = if level == 0 { String::new() } else { r#" itemprop="subEvent""#.to_owned() };
                page.push_str(&format!(
                    r#"<div id="l{level}-{i}" itemscope itemtype="https://schema.org/Event"{prop}{itemref}><span itemprop="name">E{level}-{i}</span></div>"#
                ));
            }
        }
        page.push_str("</body></html>");
        let items = items(&Html::parse_document(&page));
        fn count(v: &Value) -> usize {
            match v {
                Value::Object(o) => 1 + o.values().map(count).sum::<usize>(),
                Value::Array(a) => a.iter().map(count).sum(),
                _ => 0,
            }
        }
        let built: usize = items.iter().map(count).sum();
        assert!(!items.is_empty());
        assert!(built <= MAX_ITEMS_PER_PAGE + items.len(), "{built} items built");
    }

    #[test]
    fn itemref_and_cycles() {
        let html = Html::parse_document(
            r#"<div itemscope itemtype="https://schema.org/Course" itemref="extra"><span itemprop="name">Курс</span></div>
               <p id="extra"><span itemprop="description">Описание</span></p>
               <div id="loop" itemscope itemtype="https://schema.org/Event" itemref="loop inner">
                 <div id="inner" itemprop="subEvent" itemscope itemtype="https://schema.org/Event" itemref="loop"></div>
               </div>"#,
        );
        let items = items(&html);
        assert_eq!(items[0]["description"], "Описание");
        assert_eq!(items.len(), 2);
    }
}
