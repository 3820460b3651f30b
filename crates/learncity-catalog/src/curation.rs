//! Operators' decisions in force, indexed for the builder: which sources are hidden, which must
//! be one entry, which must never be, and which fields of an entry are set by hand.
//!
//! The rules (README, "Curation"):
//! - a **hidden** source is in no entry, as if withdrawn, until the decision is revoked;
//! - sources a **merge** names are one entry whatever matching says (the operator's word
//!   overrides the machine's conflicts), except where a **split** keeps two of them apart: a
//!   split always wins;
//! - a **pin** applies to the entry holding the first of its sources that is live; pins of one
//!   field apply in the order they were decided (the latest wins);
//! - decisions never depend on the order they arrived in: the same decisions in force and the
//!   same live sources give the same catalogue.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use learncity_model::curation::{Action, Decision, Pin};
use learncity_model::{Entry, Location};

/// The decisions in force, indexed.
#[derive(Debug, Clone, Default)]
pub struct Curation {
    /// Every decision known (in force or revoked), by id.
    decisions: BTreeMap<String, Decision>,
    hidden: HashSet<String>,
    merged: HashMap<String, BTreeSet<String>>,
    apart: HashSet<(String, String)>,
    /// Pins in force, in the order decided: `(sources, pin)`.
    pins: Vec<(Vec<String>, Pin)>,
    /// Source → every source of a decision in force that names it.
    related: HashMap<String, BTreeSet<String>>,
}

impl Curation {
    /// The index of `decisions` (revoked ones are kept but not applied).
    pub fn new(decisions: impl IntoIterator<Item = Decision>) -> Self {
        let mut c = Curation::default();
        for d in decisions {
            c.decisions.insert(d.id.clone(), d);
        }
        c.reindex();
        c
    }

    /// Takes in a new or changed (revoked) decision; returns every source whose entry may
    /// change: those the decision names now and named before.
    pub fn set(&mut self, decision: Decision) -> BTreeSet<String> {
        let mut touched: BTreeSet<String> = decision.action.sources().cloned().collect();
        if let Some(old) = self.decisions.insert(decision.id.clone(), decision) {
            touched.extend(old.action.sources().cloned());
        }
        self.reindex();
        touched
    }

    /// Whether no decision is in force.
    pub fn is_empty(&self) -> bool {
        self.decisions.values().all(|d| !d.in_force())
    }

    /// Every decision known, by id.
    pub fn decisions(&self) -> impl Iterator<Item = &Decision> {
        self.decisions.values()
    }

    /// The decision `id`, when known.
    pub fn get(&self, id: &str) -> Option<&Decision> {
        self.decisions.get(id)
    }

    /// Every source any decision names (in force or revoked).
    pub fn named_sources(&self) -> BTreeSet<String> {
        self.decisions.values().flat_map(|d| d.action.sources().cloned()).collect()
    }

    /// Whether source `key` is hidden.
    pub fn hidden(&self, key: &str) -> bool {
        self.hidden.contains(key)
    }

    /// The sources a merge in force puts in one entry with `key`.
    pub fn merged_with(&self, key: &str) -> impl Iterator<Item = &String> {
        self.merged.get(key).into_iter().flatten()
    }

    /// Whether a split in force keeps `a` and `b` apart.
    pub fn kept_apart(&self, a: &str, b: &str) -> bool {
        let pair = if a < b { (a, b) } else { (b, a) };
        !self.apart.is_empty() && self.apart.contains(&(pair.0.to_owned(), pair.1.to_owned()))
    }

    /// The sources named together with `key` by any decision in force.
    pub fn related(&self, key: &str) -> impl Iterator<Item = &String> {
        self.related.get(key).into_iter().flatten()
    }

    /// The pins in force whose target is in an entry of `members`, in the order decided;
    /// `live` says whether a source is live (a pin falls to its next source when the first is
    /// not).
    pub fn pins_for<'a>(&'a self, members: &BTreeSet<&str>, live: impl Fn(&str) -> bool) -> Vec<&'a Pin> {
        self.pins
            .iter()
            .filter(|(sources, _)| {
                sources.iter().map(String::as_str).find(|k| live(k)).is_some_and(|k| members.contains(k))
            })
            .map(|(_, pin)| pin)
            .collect()
    }

    fn reindex(&mut self) {
        self.hidden.clear();
        self.merged.clear();
        self.apart.clear();
        self.pins.clear();
        self.related.clear();
        let mut in_force: Vec<&Decision> = self.decisions.values().filter(|d| d.in_force()).collect();
        in_force.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        for d in in_force {
            let named: BTreeSet<String> = d.action.sources().cloned().collect();
            for k in &named {
                self.related.entry(k.clone()).or_default().extend(named.iter().filter(|o| *o != k).cloned());
            }
            match &d.action {
                Action::Hide { sources } => self.hidden.extend(sources.iter().cloned()),
                Action::Merge { sources } => {
                    for k in sources {
                        self.merged.entry(k.clone()).or_default().extend(sources.iter().filter(|o| *o != k).cloned());
                    }
                }
                Action::Split { apart, from } => {
                    for a in apart {
                        for b in from {
                            let pair = if a < b { (a.clone(), b.clone()) } else { (b.clone(), a.clone()) };
                            self.apart.insert(pair);
                        }
                    }
                }
                Action::Pin { sources, pin } => self.pins.push((sources.clone(), pin.clone())),
            }
        }
    }
}

/// Sets the pinned fields of `entry` (all but [`Pin::Source`], which the caller applies by
/// preferring that source before the merge), in order: a later pin of a field wins.
pub fn pin_fields(entry: &mut Entry, pins: &[&Pin]) {
    for pin in pins {
        match pin {
            Pin::Title(title) => entry.title.clone_from(title),
            Pin::Kind(kind) => entry.kind = *kind,
            Pin::Mode(mode) => entry.mode = *mode,
            Pin::Categories(categories) => {
                let mut c = categories.clone();
                c.sort();
                c.dedup();
                entry.categories = c;
            }
            Pin::Venue(venue) => entry.location.get_or_insert_with(Location::default).venue = Some(venue.clone()),
            Pin::Price(price) => entry.price = Some(price.clone()),
            Pin::Source(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use learncity_model::Kind;
    use learncity_model::curation::Revocation;

    use super::*;

    fn at(minute: u32) -> chrono::DateTime<chrono::Utc> {
        format!("2026-12-07T10:{minute:02}:00Z").parse().unwrap()
    }

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn decisions_index_whatever_order_they_come_in() {
        let hide = Decision::new(Action::Hide { sources: keys(&["p/1"]) }, "anna", at(1), "junk");
        let merge = Decision::new(Action::Merge { sources: keys(&["a/1", "b/2", "c/3"]) }, "anna", at(2), "one course");
        let split = Decision::new(Action::Split { apart: keys(&["a/1"]), from: keys(&["d/4"]) }, "anna", at(3), "kids");
        let one = Curation::new([hide.clone(), merge.clone(), split.clone()]);
        let other = Curation::new([split, merge, hide]);
        for c in [&one, &other] {
            assert!(c.hidden("p/1") && !c.hidden("a/1"));
            assert_eq!(c.merged_with("b/2").collect::<Vec<_>>(), ["a/1", "c/3"]);
            assert!(c.kept_apart("d/4", "a/1") && c.kept_apart("a/1", "d/4") && !c.kept_apart("a/1", "b/2"));
            assert_eq!(c.related("a/1").collect::<Vec<_>>(), ["b/2", "c/3", "d/4"]);
        }
    }

    #[test]
    fn a_revoked_decision_applies_no_more_and_names_what_it_touched() {
        let hide = Decision::new(Action::Hide { sources: keys(&["p/1", "q/2"]) }, "anna", at(1), "junk");
        let mut c = Curation::new([hide.clone()]);
        assert!(c.hidden("q/2"));
        let mut revoked = hide;
        revoked.revoked = Some(Revocation { by: "boris".into(), at: at(5), reason: "not junk".into() });
        let touched = c.set(revoked);
        assert_eq!(touched.into_iter().collect::<Vec<_>>(), ["p/1", "q/2"]);
        assert!(!c.hidden("q/2") && c.is_empty());
        assert_eq!(c.decisions().count(), 1, "a revoked decision is kept, for the record");
    }

    #[test]
    fn a_pin_falls_to_its_next_source_and_the_latest_pin_of_a_field_wins() {
        let first = Decision::new(
            Action::Pin { sources: keys(&["a/1", "b/2"]), pin: Pin::Kind(Kind::Course) },
            "anna",
            at(1),
            "",
        );
        let later =
            Decision::new(Action::Pin { sources: keys(&["b/2"]), pin: Pin::Kind(Kind::Lecture) }, "anna", at(2), "");
        let c = Curation::new([later, first]);
        let entry_b: BTreeSet<&str> = ["b/2"].into();
        // a/1 is live elsewhere: only the later pin is for the entry of b/2.
        assert_eq!(c.pins_for(&entry_b, |_| true), [&Pin::Kind(Kind::Lecture)]);
        // a/1 withdrawn: both are, in the order decided.
        assert_eq!(c.pins_for(&entry_b, |k| k != "a/1"), [&Pin::Kind(Kind::Course), &Pin::Kind(Kind::Lecture)]);
    }
}
