//! Why sources are or are not one entry: what `learncity catalog explain` prints.
//!
//! For an entry: each source, its provider's role and priority, and the evidence joining it to
//! every other source of the entry (title, start, venue, link, score). For a pair of sources:
//! the same evidence, what keeps them apart if anything, and whether the catalogue holds them
//! in one entry. Both as text for a terminal and as JSON for tools.

use std::fmt::Write as _;

use learncity_catalog::matching::{self, Assessment};
use learncity_model::{Entry, Offering, Role};
use serde_json::{Value, json};

use crate::state::Rules;

/// One line of evidence between two sources.
fn evidence(x: &Assessment) -> String {
    let mut s = format!(
        "score {:.2}: title {:.2}, start {:.2}{}",
        x.score,
        x.title,
        x.closeness,
        x.venue.map(|v| format!(", venue {v:.2}")).unwrap_or_default()
    );
    if let Some(link) = &x.link {
        let _ = write!(s, ", link {link}");
    }
    if x.kinds_differ {
        s.push_str(", titles name different kinds");
    }
    if x.place_guessed {
        s.push_str(", places differ only by an aggregator's own city (a guess)");
    }
    if let Some(g) = &x.gate {
        let _ = write!(s, ", held below a candidate: {g}");
    }
    if let Some(c) = &x.conflict {
        let _ = write!(s, " — kept apart: {c}");
    }
    s
}

fn evidence_json(x: &Assessment) -> Value {
    json!({
        "score": x.score,
        "title": x.title,
        "start": x.closeness,
        "venue": x.venue,
        "link": x.link,
        "kinds_differ": x.kinds_differ,
        "place_guessed": x.place_guessed,
        "gate": x.gate.map(|g| g.to_string()),
        "conflict": x.conflict.map(|c| c.to_string()),
    })
}

/// What the rules make of the score of a pair with no conflict.
fn verdict(x: &Assessment, rules: &Rules) -> &'static str {
    let t = &rules.thresholds;
    match x.conflict {
        Some(_) => "never one entry",
        None if x.score >= t.match_score => "a match",
        None if x.score >= t.candidate_score => "a candidate: one entry when each is the other's clear best match",
        None => "too unlike to match",
    }
}

fn role(rules: &Rules, o: &Offering) -> &'static str {
    match rules.provider(&o.provider.id).role {
        Role::Organiser => "organiser",
        Role::Aggregator => "aggregator",
    }
}

fn describe(o: &Offering, rules: &Rules) -> String {
    let start = o.first_start().map_or_else(|| "no date".to_owned(), |s| s.format("%Y-%m-%d %H:%M %:z").to_string());
    let place = o
        .location
        .as_ref()
        .map(|l| [&l.venue, &l.city].into_iter().flatten().map(String::as_str).collect::<Vec<_>>().join(", "));
    format!(
        "{} ({}) «{}», {start}{}",
        o.key(),
        role(rules, o),
        o.title,
        place.map(|p| format!(", {p}")).unwrap_or_default()
    )
}

/// The operators' decisions in force that name any of `keys` (`learncity curate`), as text
/// lines and JSON.
fn decisions(keys: &[String], rules: &Rules) -> (String, Value) {
    let mut text = String::new();
    let mut out = Vec::new();
    for d in rules.curation.decisions().filter(|d| d.in_force() && d.action.sources().any(|k| keys.contains(k))) {
        let _ = writeln!(
            text,
            "decision {} ({} by {} at {}): {}",
            d.id,
            d.action.name(),
            d.by,
            d.at.format("%Y-%m-%d %H:%M"),
            d.reason
        );
        out.push(json!({"id": d.id, "action": d.action, "by": d.by, "at": d.at, "reason": d.reason}));
    }
    (text, Value::Array(out))
}

/// The explanation of `entry` whose sources' offerings are `members` (in the entry's order),
/// as text and JSON.
pub fn entry(entry: &Entry, members: &[&Offering], rules: &Rules) -> (String, Value) {
    let features: Vec<_> = members.iter().map(|o| rules.features(o)).collect();
    let mut text = format!("entry {} «{}»: {} sources, in preference order\n", entry.id, entry.title, members.len());
    let mut sources = Vec::new();
    for (i, o) in members.iter().enumerate() {
        let _ = writeln!(text, "{}. {}", i + 1, describe(o, rules));
        let mut pairs = Vec::new();
        for (j, other) in members.iter().enumerate() {
            if i == j {
                continue;
            }
            let x = matching::assess(&features[i], &features[j], &rules.thresholds);
            let _ = writeln!(text, "     with {}: {}", other.key(), evidence(&x));
            pairs.push(json!({"with": other.key(), "evidence": evidence_json(&x), "verdict": verdict(&x, rules)}));
        }
        sources.push(json!({"key": o.key(), "role": role(rules, o), "title": o.title, "pairs": pairs}));
    }
    let keys: Vec<String> = members.iter().map(|o| o.key()).collect();
    let (decided, decisions) = decisions(&keys, rules);
    text.push_str(&decided);
    (text, json!({"entry": entry.id, "title": entry.title, "sources": sources, "decisions": decisions}))
}

/// The explanation of the pair `a`, `b`; `entries` are the entries each is in (if any), as text
/// and JSON.
pub fn pair(a: &Offering, b: &Offering, entries: (Option<&str>, Option<&str>), rules: &Rules) -> (String, Value) {
    let x = matching::assess(&rules.features(a), &rules.features(b), &rules.thresholds);
    let together = match entries {
        (Some(ea), Some(eb)) if ea == eb => format!("both in entry {ea}"),
        (Some(ea), Some(eb)) => format!("in entries {ea} and {eb}"),
        _ => "not both in the catalogue (withdrawn or expired)".to_owned(),
    };
    let (ka, kb) = (a.key(), b.key());
    let operator = if rules.curation.kept_apart(&ka, &kb) {
        Some("an operator's split keeps them apart")
    } else if rules.curation.merged_with(&ka).any(|k| *k == kb) {
        Some("an operator's merge puts them in one entry")
    } else {
        None
    };
    let verdict = operator.unwrap_or_else(|| verdict(&x, rules));
    let (decided, decisions) = decisions(&[ka.clone(), kb.clone()], rules);
    let text =
        format!("{}\n{}\n{}\n{verdict}; {together}\n{decided}", describe(a, rules), describe(b, rules), evidence(&x));
    let value = json!({
        "a": ka,
        "b": kb,
        "evidence": evidence_json(&x),
        "verdict": verdict,
        "entries": [entries.0, entries.1],
        "decisions": decisions,
    });
    (text, value)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use learncity_testkit::offerings::{OfferingExt, entry_of, offering};

    use super::*;
    use crate::state::ProviderInfo;

    fn rules() -> Rules {
        let mut providers = HashMap::new();
        providers.insert(
            "museum".to_owned(),
            ProviderInfo { priority: 0, city: Some("Минск".into()), role: Role::Organiser },
        );
        providers.insert(
            "portal".to_owned(),
            ProviderInfo { priority: 0, city: Some("Минск".into()), role: Role::Aggregator },
        );
        Rules {
            thresholds: Default::default(),
            expiry_grace: chrono::Duration::days(1),
            providers,
            catalog_topic: "catalog".into(),
            curation: Default::default(),
        }
    }

    #[test]
    fn a_pair_kept_apart_says_why_and_a_match_says_so() {
        let r = rules();
        let at = "2026-05-01T11:00:00+03:00";
        let kids = offering("museum", "1", "Керамика для детей").at(at);
        let adults = offering("portal", "2", "Керамика для взрослых").at(at);
        let (text, json) = pair(&kids, &adults, (Some("e-1"), Some("e-2")), &r);
        assert!(text.contains("kept apart: different audience"), "{text}");
        assert!(text.contains("in entries e-1 and e-2"), "{text}");
        assert_eq!(json["verdict"], "never one entry");
        let again = offering("portal", "3", "Керамика для детей").at(at);
        let (text, json) = pair(&kids, &again, (Some("e-1"), Some("e-1")), &r);
        assert_eq!(json["verdict"], "a match", "{text}");
        assert!(text.contains("portal/3 (aggregator)"), "{text}");
    }

    #[test]
    fn an_operators_decision_is_named_with_who_when_and_why() {
        use learncity_model::curation::{Action, Decision};
        let mut r = rules();
        let at = "2026-05-01T11:00:00+03:00";
        let kids = offering("museum", "1", "Керамика для детей").at(at);
        let again = offering("portal", "3", "Керамика для детей").at(at);
        let split = Decision::new(
            Action::Split { apart: vec!["portal/3".into()], from: vec!["museum/1".into()] },
            "anna",
            "2026-04-20T09:00:00Z".parse().unwrap(),
            "the portal's item is another group",
        );
        r.curation.set(split.clone());
        let (text, json) = pair(&kids, &again, (Some("e-1"), Some("e-3")), &r);
        assert_eq!(json["verdict"], "an operator's split keeps them apart", "{text}");
        assert!(text.contains(&format!("decision {} (split by anna at 2026-04-20 09:00)", split.id)), "{text}");
        assert_eq!(json["decisions"][0]["reason"], "the portal's item is another group");
        let lone = entry_of(std::slice::from_ref(&kids));
        let (text, json) = entry(&lone, &[&kids], &r);
        assert!(text.contains("the portal's item is another group"), "{text}");
        assert_eq!(json["decisions"].as_array().unwrap().len(), 1);
    }
}
