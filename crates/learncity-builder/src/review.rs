//! The review queue: what the machine was unsure of, for an operator to decide
//! (`learncity curate queue`).
//!
//! - **Near pairs**: two live sources of different providers whose score lies within a margin
//!   of the match score, whichever way matching decided — the pairs where a small change of
//!   wording would flip the catalogue. Closest to the threshold first.
//! - **Disagreeing entries**: entries whose sources say different things of what residents
//!   filter on: kinds, prices, venues (the venue evidence of matching below one half).
//!
//! Pairs and entries an operator has decided on (a merge or a split naming both sources, a pin
//! of the field in question, a hidden source) are not listed again. Each decision an operator
//! takes on a pair is a labelled pair for the deduplication's evaluation (`curate list --json`).

use std::collections::{BTreeMap, BTreeSet};

use learncity_catalog::matching::{self, Features};
use learncity_model::{Entry, Kind, Offering};
use learncity_store::{SourceRow, SourceState};
use serde::Serialize;

use crate::explain;
use crate::state::Rules;

/// Default distance from the match score within which a pair is listed.
pub const MARGIN: f64 = 0.1;

/// A pair of sources scored near the match score.
#[derive(Debug, Clone, Serialize)]
pub struct NearPair {
    /// One source's key.
    pub a: String,
    /// The other's.
    pub b: String,
    /// Their score.
    pub score: f64,
    /// Whether the catalogue holds them in one entry.
    pub together: bool,
    /// The evidence, as `catalog explain --pair` prints it.
    pub explanation: String,
}

/// An entry whose sources disagree on a field.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    /// The entry.
    pub entry: String,
    /// Its title.
    pub title: String,
    /// `kind`, `price` or `venue`.
    pub field: &'static str,
    /// What each source says, by key.
    pub values: BTreeMap<String, String>,
}

/// What the queue holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Queue {
    /// Near pairs, closest to the match score first.
    pub pairs: Vec<NearPair>,
    /// Disagreeing entries, by entry id and field.
    pub disagreements: Vec<Disagreement>,
}

/// The review queue of the catalogue `entries` made from `sources` under `rules` (its
/// `curation` the decisions in force); pairs within `margin` of the match score.
pub fn queue(sources: &[SourceRow], entries: &[Entry], rules: &Rules, margin: f64) -> Queue {
    let curation = &rules.curation;
    let live: Vec<&SourceRow> =
        sources.iter().filter(|s| s.state == SourceState::Active && !curation.hidden(&s.key)).collect();
    let features: Vec<Features> = live.iter().map(|s| rules.features(&s.offering)).collect();
    let entry_of: BTreeMap<&str, &str> =
        live.iter().filter_map(|s| s.entry_id.as_deref().map(|e| (s.key.as_str(), e))).collect();
    let t = &rules.thresholds;
    let mut pairs: Vec<NearPair> = matching::candidates(&features, t)
        .into_iter()
        .filter(|&(_, _, s)| (s - t.match_score).abs() <= margin)
        .filter_map(|(i, j, score)| {
            let (a, b) = (live[i], live[j]);
            if live[i].partition != live[j].partition || decided(rules, &a.key, &b.key) {
                return None;
            }
            let ea = entry_of.get(a.key.as_str()).copied();
            let eb = entry_of.get(b.key.as_str()).copied();
            let (explanation, _) = explain::pair(&a.offering, &b.offering, (ea, eb), rules);
            Some(NearPair {
                a: a.key.clone(),
                b: b.key.clone(),
                score,
                together: ea.is_some() && ea == eb,
                explanation,
            })
        })
        .collect();
    pairs.sort_by(|x, y| {
        (x.score - t.match_score)
            .abs()
            .total_cmp(&(y.score - t.match_score).abs())
            .then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b)))
    });

    let by_key: BTreeMap<&str, &Offering> = live.iter().map(|s| (s.key.as_str(), &s.offering)).collect();
    let mut disagreements = Vec::new();
    let mut ordered: Vec<&Entry> = entries.iter().filter(|e| e.sources.len() > 1).collect();
    ordered.sort_by(|a, b| a.id.cmp(&b.id));
    for e in ordered {
        let members: Vec<(&str, &Offering)> =
            e.sources.iter().filter_map(|s| by_key.get(s.key.as_str()).map(|o| (s.key.as_str(), *o))).collect();
        let keys: BTreeSet<&str> = members.iter().map(|(k, _)| *k).collect();
        let pinned: Vec<&str> =
            curation.pins_for(&keys, |k| by_key.contains_key(k)).iter().map(|p| p.field()).collect();
        let mut say = |field: &'static str, values: BTreeMap<String, String>| {
            let distinct: BTreeSet<&String> = values.values().collect();
            if distinct.len() > 1 && !pinned.contains(&field) {
                disagreements.push(Disagreement { entry: e.id.clone(), title: e.title.clone(), field, values });
            }
        };
        say(
            "kind",
            members
                .iter()
                .filter(|(_, o)| o.kind != Kind::Other)
                .map(|(k, o)| ((*k).to_owned(), format!("{:?}", o.kind).to_lowercase()))
                .collect(),
        );
        say(
            "price",
            members.iter().filter_map(|(k, o)| o.price.as_ref().map(|p| ((*k).to_owned(), price_text(p)))).collect(),
        );
        // Venues: named differently enough that matching's venue evidence is below one half.
        let features: Vec<(&str, Features, Option<&str>)> = members
            .iter()
            .map(|(k, o)| (*k, rules.features(o), o.location.as_ref().and_then(|l| l.venue.as_deref())))
            .collect();
        let apart = features.iter().enumerate().any(|(i, (_, fa, _))| {
            features[i + 1..].iter().any(|(_, fb, _)| matching::assess(fa, fb, t).venue.is_some_and(|v| v < 0.5))
        });
        if apart {
            say("venue", features.iter().filter_map(|(k, _, v)| v.map(|v| ((*k).to_owned(), v.to_owned()))).collect());
        }
    }
    Queue { pairs, disagreements }
}

/// Whether an operator's merge or split names both `a` and `b`.
fn decided(rules: &Rules, a: &str, b: &str) -> bool {
    rules.curation.kept_apart(a, b) || rules.curation.merged_with(a).any(|k| k == b)
}

fn price_text(p: &learncity_model::Price) -> String {
    match (p.free, p.amount, p.currency.as_deref()) {
        (true, _, _) => "free".to_owned(),
        (false, Some(a), c) => format!("{a} {}", c.unwrap_or("")).trim().to_owned(),
        (false, None, _) => p.text.clone().unwrap_or_else(|| "stated".to_owned()),
    }
}

/// The command an operator would run to settle a near pair.
pub fn suggestion(pair: &NearPair) -> String {
    let (verb, why) = if pair.together { ("split", "two offerings") } else { ("merge", "one offering") };
    format!("learncity curate {verb} {} {} --reason \"{why}\"", pair.a, pair.b)
}

#[cfg(test)]
mod tests {
    use learncity_model::curation::{Action, Decision, Pin};
    use learncity_testkit::offerings::{OfferingExt, offering};

    use super::*;
    use crate::state::{Effects, PartitionCatalog};

    fn rules() -> Rules {
        Rules {
            thresholds: Default::default(),
            expiry_grace: chrono::Duration::days(1),
            providers: Default::default(),
            catalog_topic: "catalog".into(),
            curation: Default::default(),
        }
    }

    fn catalogue(offerings: Vec<Offering>, r: &Rules) -> (Vec<SourceRow>, Vec<Entry>) {
        let mut c = PartitionCatalog::load(0, vec![], vec![], r);
        let mut fx = Effects::default();
        let now = "2026-03-01T00:00:00Z".parse().unwrap();
        for (i, o) in offerings.into_iter().enumerate() {
            c.upsert(o, i as i64, now, r, &mut fx);
        }
        let (changes, _) = fx.into_changeset(vec![]);
        let mut rows: BTreeMap<String, SourceRow> = BTreeMap::new();
        for row in changes.sources {
            rows.insert(row.key.clone(), row);
        }
        (rows.into_values().collect(), c.entries().cloned().collect())
    }

    #[test]
    fn a_pair_near_the_threshold_is_listed_until_an_operator_decides() {
        let mut r = rules();
        let at = "2026-03-12T18:00:00+03:00";
        let a = offering("vsu", "1", "Курсы английского языка для начинающих").city("Витебск").at(at);
        let b = offering("library", "2", "Английский язык: курс для начинающих").city("Витебск").at(at);
        let far = offering("museum", "3", "Экскурсия по музею Шагала").city("Витебск").at(at);
        let (sources, entries) = catalogue(vec![a, b, far], &r);
        // Sources by key: library/2, museum/3, vsu/1.
        let x = matching::assess(&r.features(&sources[0].offering), &r.features(&sources[2].offering), &r.thresholds);
        let q = queue(&sources, &entries, &r, 1.0);
        assert_eq!(q.pairs.len(), 1, "{:?}", q.pairs);
        let p = &q.pairs[0];
        assert_eq!((p.a.as_str(), p.b.as_str()), ("library/2", "vsu/1"));
        assert!((p.score - x.score).abs() < 1e-9);
        assert!(p.explanation.contains("score"), "{}", p.explanation);
        assert!(suggestion(p).starts_with(if p.together {
            "learncity curate split"
        } else {
            "learncity curate merge"
        }));
        // Outside a narrow margin it is not listed.
        assert!(queue(&sources, &entries, &r, (p.score - r.thresholds.match_score).abs() / 2.0).pairs.is_empty());
        // Decided: no longer listed.
        r.curation.set(Decision::new(
            Action::Merge { sources: vec!["vsu/1".into(), "library/2".into()] },
            "anna",
            "2026-03-01T10:00:00Z".parse().unwrap(),
            "one course",
        ));
        assert!(queue(&sources, &entries, &r, 1.0).pairs.is_empty());
    }

    #[test]
    fn an_entry_whose_sources_disagree_on_kind_or_price_is_listed_until_pinned() {
        let mut r = rules();
        let at = "2026-03-12T18:00:00+03:00";
        let mut a = offering("vsu", "1", "Курсы английского языка для начинающих").city("Витебск").at(at);
        let mut b = offering("library", "2", "Курсы английского языка для начинающих").city("Витебск").at(at);
        b.kind = Kind::Lecture;
        a.price = Some(learncity_model::Price::free());
        b.price = Some(learncity_model::Price {
            free: false,
            amount: Some(15.0),
            amount_max: None,
            currency: Some("BYN".into()),
            per: None,
            text: None,
        });
        let (sources, entries) = catalogue(vec![a, b], &r);
        assert_eq!(entries.len(), 1);
        let q = queue(&sources, &entries, &r, 0.0);
        let fields: Vec<&str> = q.disagreements.iter().map(|d| d.field).collect();
        assert_eq!(fields, ["kind", "price"]);
        assert_eq!(q.disagreements[1].values["library/2"], "15 BYN");
        r.curation.set(Decision::new(
            Action::Pin { sources: vec!["vsu/1".into()], pin: Pin::Kind(Kind::Course) },
            "anna",
            "2026-03-01T10:00:00Z".parse().unwrap(),
            "a course",
        ));
        let q = queue(&sources, &entries, &r, 0.0);
        assert_eq!(q.disagreements.iter().map(|d| d.field).collect::<Vec<_>>(), ["price"]);
    }
}
