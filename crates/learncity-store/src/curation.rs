//! Operators' requests turned into decisions (learncity_model::curation) against what the
//! store holds, and kept: what `learncity curate` and the admin API of `learncity serve` share.
//!
//! Targets are entry ids (`e-…`: the entry's sources now, its earliest first) or source keys
//! (`provider/source`). A decision is kept with its curation-topic record in the outbox, in one
//! transaction; the builders read the store's decisions and apply them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use learncity_model::curation::{Action, CURATION_SCHEMA_VERSION, Decision, EVENT_CURATION, Pin, Revocation};
use learncity_model::entry::{HEADER_CONTENT_TYPE, HEADER_EVENT_TYPE, HEADER_SCHEMA_VERSION};
use serde::Deserialize;

use crate::{CatalogStore, OutboxRecord, SourceState, StoreError};

/// Who decides, and why: every decision carries both.
#[derive(Debug, Clone)]
pub struct Author {
    /// The operator's name.
    pub by: String,
    /// Why.
    pub reason: String,
}

/// What an operator asks for, before its targets are looked up.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// One entry of all `targets` (two or more entries or sources).
    Merge {
        /// Entry ids or source keys.
        targets: Vec<String>,
    },
    /// Never one entry: with one target (an entry) and `sources`, those sources out of it; with
    /// two targets, the first's sources apart from the second's.
    Split {
        /// One entry, or two entries or sources.
        targets: Vec<String>,
        /// Sources of the one entry to take out of it.
        #[serde(default)]
        sources: Vec<String>,
    },
    /// Out of the catalogue.
    Hide {
        /// Entry ids or source keys.
        targets: Vec<String>,
    },
    /// A field set by hand on the entry `target`.
    Pin {
        /// An entry id or a source key.
        target: String,
        /// `title`, `kind`, `mode`, `categories`, `venue`, `price` or `source`.
        field: String,
        /// The value, as an operator types it ([`Pin::parse`]).
        value: String,
    },
}

/// Why a request was not kept.
#[derive(Debug, thiserror::Error)]
pub enum CurationError {
    /// The request cannot be a decision (the message says what to give instead).
    #[error("{0}")]
    Invalid(String),
    /// A target or a decision is not known.
    #[error("{0}")]
    NotFound(String),
    /// The store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Turns `request` into a decision by `author` against the store, keeps it (with its record for
/// `curation_topic` in the outbox) and returns it.
pub async fn decide(
    store: &dyn CatalogStore,
    request: Request,
    author: &Author,
    curation_topic: &str,
) -> Result<Decision, CurationError> {
    if author.reason.trim().is_empty() {
        return Err(CurationError::Invalid("say why (a reason): operators read it later".into()));
    }
    let sources = Sources::read(store).await?;
    let invalid = CurationError::Invalid;
    let action = match request {
        Request::Merge { targets } => {
            let keys = sources.resolve_all(store, &targets).await?;
            let partitions: BTreeSet<i32> = keys.iter().filter_map(|k| sources.0.get(k).map(|s| s.0)).collect();
            if partitions.len() > 1 {
                return Err(invalid(format!(
                    "cannot merge {}: their sources are in different offerings-topic partitions (cities) \
                     {partitions:?}, and one builder never sees two partitions; check the providers' `city`",
                    targets.join(", ")
                )));
            }
            Action::Merge { sources: keys }
        }
        Request::Split { targets, sources: out } => match targets.as_slice() {
            [one] if !out.is_empty() => {
                let all = sources.resolve(store, one).await?;
                if let Some(k) = out.iter().find(|k| !all.contains(k)) {
                    return Err(invalid(format!("source `{k}` is not in {one} (its sources: {})", all.join(", "))));
                }
                let rest: Vec<String> = all.into_iter().filter(|k| !out.contains(k)).collect();
                Action::Split { apart: out, from: rest }
            }
            [a, b] if out.is_empty() => {
                Action::Split { apart: sources.resolve(store, a).await?, from: sources.resolve(store, b).await? }
            }
            _ => {
                return Err(invalid(
                    "split takes an entry and the sources to take out of it, or two entries or sources".into(),
                ));
            }
        },
        Request::Hide { targets } => Action::Hide { sources: sources.resolve_all(store, &targets).await? },
        Request::Pin { target, field, value } => {
            let keys = sources.resolve(store, &target).await?;
            let pin = Pin::parse(&field, &value).map_err(invalid)?;
            if let Pin::Source(k) = &pin
                && !keys.contains(k)
            {
                return Err(invalid(format!("source `{k}` is not in {target} (its sources: {})", keys.join(", "))));
            }
            Action::Pin { sources: keys, pin }
        }
    };
    if let Some(problem) = action.problem() {
        return Err(invalid(problem));
    }
    let decision = Decision::new(action, &author.by, Utc::now(), &author.reason);
    keep(store, &decision, curation_topic).await?;
    Ok(decision)
}

/// Takes decision `id` back (it stays kept, marked revoked) and returns it.
pub async fn revoke(
    store: &dyn CatalogStore,
    id: &str,
    author: &Author,
    curation_topic: &str,
) -> Result<Decision, CurationError> {
    let decisions = store.decisions().await?;
    let Some(mut decision) = decisions.into_iter().find(|d| d.id == id) else {
        return Err(CurationError::NotFound(format!("no decision `{id}` is kept")));
    };
    if let Some(r) = &decision.revoked {
        return Err(CurationError::Invalid(format!(
            "decision {id} was revoked already, by {} at {}",
            r.by,
            r.at.to_rfc3339()
        )));
    }
    decision.revoked = Some(Revocation { by: author.by.clone(), at: Utc::now(), reason: author.reason.clone() });
    keep(store, &decision, curation_topic).await?;
    Ok(decision)
}

/// Keeps `decision` in the store with its curation-topic record in the outbox.
async fn keep(store: &dyn CatalogStore, decision: &Decision, topic: &str) -> Result<(), StoreError> {
    let record = OutboxRecord {
        topic: topic.to_owned(),
        key: Some(decision.id.clone().into_bytes()),
        value: Some(serde_json::to_vec(decision).expect("a decision always serialises")),
        headers: vec![
            (HEADER_EVENT_TYPE.to_owned(), EVENT_CURATION.as_bytes().to_vec()),
            (HEADER_SCHEMA_VERSION.to_owned(), CURATION_SCHEMA_VERSION.to_string().into_bytes()),
            (HEADER_CONTENT_TYPE.to_owned(), b"application/json".to_vec()),
        ],
    };
    store.put_decision(decision, Some(&record)).await?;
    metrics::counter!("learncity_curation_decisions_total", "action" => decision.action.name(), "revoked" => decision.revoked.is_some().to_string()).increment(1);
    tracing::info!(
        decision = %decision.id,
        action = decision.action.name(),
        by = %decision.by,
        revoked = decision.revoked.is_some(),
        reason = %decision.reason,
        "curation decision kept"
    );
    Ok(())
}

/// A decision as the operators' lists show it: whether it still applies, and which of its
/// sources are not live.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Standing {
    /// The decision.
    pub decision: Decision,
    /// In force and at least one of its sources live.
    pub applies: bool,
    /// Its sources that are withdrawn, expired or unknown.
    pub sources_not_live: Vec<String>,
}

/// Every decision kept (the revoked too when `all`), in force first, oldest first.
pub async fn standings(store: &dyn CatalogStore, all: bool) -> Result<Vec<Standing>, StoreError> {
    let sources = Sources::read(store).await?;
    let mut decisions = store.decisions().await?;
    decisions.retain(|d| all || d.in_force());
    decisions.sort_by(|a, b| (a.revoked.is_some(), a.at, &a.id).cmp(&(b.revoked.is_some(), b.at, &b.id)));
    Ok(decisions
        .into_iter()
        .map(|d| {
            let gone: Vec<String> = d.action.sources().filter(|k| !sources.live(k)).cloned().collect();
            let applies = d.in_force() && gone.len() < d.action.sources().count();
            Standing { decision: d, applies, sources_not_live: gone }
        })
        .collect())
}

/// Two sources an operator said are one offering (`same`) or two: what a merge or a split in
/// force says of each pair it names, for the deduplication's evaluation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LabelledPair {
    /// One source (the lower key).
    pub a: String,
    /// The other.
    pub b: String,
    /// One offering (a merge) or two (a split).
    pub same: bool,
    /// The decision that says so.
    pub decision: String,
}

/// Every pair the merges and splits in force among `decisions` label, by key; a pair labelled
/// both ways takes the split's word (as the builder does).
pub fn labelled_pairs(decisions: &[Decision]) -> Vec<LabelledPair> {
    let mut pairs: BTreeMap<(String, String), LabelledPair> = BTreeMap::new();
    let mut label = |x: &String, y: &String, same: bool, id: &str| {
        if x == y {
            return;
        }
        let (a, b) = if x < y { (x.clone(), y.clone()) } else { (y.clone(), x.clone()) };
        let pair = LabelledPair { a: a.clone(), b: b.clone(), same, decision: id.to_owned() };
        match pairs.get(&(a.clone(), b.clone())) {
            Some(kept) if !kept.same => {}
            _ => {
                pairs.insert((a, b), pair);
            }
        }
    };
    for d in decisions.iter().filter(|d| d.in_force()) {
        match &d.action {
            Action::Merge { sources } => {
                for (i, x) in sources.iter().enumerate() {
                    for y in &sources[i + 1..] {
                        label(x, y, true, &d.id);
                    }
                }
            }
            Action::Split { apart, from } => {
                for x in apart {
                    for y in from {
                        label(x, y, false, &d.id);
                    }
                }
            }
            Action::Hide { .. } | Action::Pin { .. } => {}
        }
    }
    pairs.into_values().collect()
}

/// One line saying what `d` decides.
pub fn describe(d: &Decision) -> String {
    match &d.action {
        Action::Merge { sources } => format!("merge {}", sources.join(" + ")),
        Action::Split { apart, from } => format!("split {} from {}", apart.join(", "), from.join(", ")),
        Action::Hide { sources } => format!("hide {}", sources.join(", ")),
        Action::Pin { sources, pin } => {
            let value = match pin {
                Pin::Title(v) | Pin::Venue(v) | Pin::Source(v) => v.clone(),
                Pin::Categories(v) => v.join(","),
                other => serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.get("value").map(ToString::to_string))
                    .unwrap_or_default(),
            };
            format!("pin {} = {value} on the entry of {}", pin.field(), sources.first().map_or("", String::as_str))
        }
    }
}

/// What the store knows of the sources: partition, first-seen order and state, by key.
struct Sources(BTreeMap<String, (i32, i64, SourceState)>);

impl Sources {
    async fn read(store: &dyn CatalogStore) -> Result<Self, StoreError> {
        let rows = store.sources().await?;
        Ok(Sources(rows.into_iter().map(|r| (r.key, (r.partition, r.seen_order, r.state))).collect()))
    }

    fn live(&self, key: &str) -> bool {
        self.0.get(key).is_some_and(|s| s.2 == SourceState::Active)
    }

    /// The sources of entry or source `target`: an entry's earliest first (the one its id comes
    /// from), then the rest in the entry's order.
    async fn resolve(&self, store: &dyn CatalogStore, target: &str) -> Result<Vec<String>, CurationError> {
        if target.starts_with("e-") && !target.contains('/') {
            let entry = store.entry(target).await?.and_then(|r| r.entry).ok_or_else(|| {
                CurationError::NotFound(format!(
                    "no live entry `{target}` (ids are e-…, as the API and `catalog export` show them)"
                ))
            })?;
            let mut keys: Vec<String> = entry.sources.iter().map(|s| s.key.clone()).collect();
            let earliest =
                keys.iter().enumerate().min_by_key(|(_, k)| self.0.get(k.as_str()).map_or(i64::MAX, |s| s.1));
            if let Some((at, _)) = earliest {
                let anchor = keys.remove(at);
                keys.insert(0, anchor);
            }
            return Ok(keys);
        }
        if !self.0.contains_key(target) {
            return Err(CurationError::NotFound(format!(
                "no source `{target}`; give an entry id (e-…) or a source key (provider/source) as \
                 `catalog explain ENTRY` lists them"
            )));
        }
        Ok(vec![target.to_owned()])
    }

    /// The sources of every target, each once, in order.
    async fn resolve_all(&self, store: &dyn CatalogStore, targets: &[String]) -> Result<Vec<String>, CurationError> {
        let mut keys = Vec::new();
        for t in targets {
            for k in self.resolve(store, t).await? {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_and_splits_label_pairs_and_a_split_wins() {
        let at = "2026-12-07T10:00:00Z".parse().unwrap();
        let keys = |k: &[&str]| k.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
        let merge = Decision::new(Action::Merge { sources: keys(&["b/2", "a/1", "c/3"]) }, "anna", at, "one");
        let split = Decision::new(Action::Split { apart: keys(&["c/3"]), from: keys(&["a/1"]) }, "anna", at, "two");
        let mut revoked = Decision::new(Action::Merge { sources: keys(&["x/1", "y/2"]) }, "anna", at, "no");
        revoked.revoked = Some(Revocation { by: "boris".into(), at, reason: "wrong".into() });
        let hide = Decision::new(Action::Hide { sources: keys(&["a/1"]) }, "anna", at, "junk");
        let pairs = labelled_pairs(&[split.clone(), merge.clone(), revoked, hide]);
        let got: Vec<(&str, &str, bool)> = pairs.iter().map(|p| (p.a.as_str(), p.b.as_str(), p.same)).collect();
        assert_eq!(got, [("a/1", "b/2", true), ("a/1", "c/3", false), ("b/2", "c/3", true)]);
        assert_eq!(pairs[1].decision, split.id);
    }
}
