//! `learncity curate merge|split|hide|pin|list|revoke`: operators' decisions on the catalogue
//! (learncity_model::curation), acting on a running or a stopped instance.
//!
//! A decision is written to the catalogue store, with its record for the curation topic in the
//! store's outbox in the same transaction (a `learncity catalog` daemon publishes it; the
//! standalone mode has no such topic and drops it). Every builder reads the store's decisions
//! every two seconds and applies what changed; a stopped one applies them when it starts.
//!
//! Targets are entry ids (`e-…`), turned into the entry's sources now, or source keys
//! (`provider/source`), as `catalog explain` and `catalog export` show them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::Utc;
use learncity_model::curation::{Action, CURATION_SCHEMA_VERSION, Decision, EVENT_CURATION, Pin, Revocation};
use learncity_model::entry::{HEADER_CONTENT_TYPE, HEADER_EVENT_TYPE, HEADER_SCHEMA_VERSION};
use learncity_model::{Kind, Mode, Price, taxonomy};
use learncity_store::{CatalogStore, OutboxRecord, SourceRow, SourceState};

use crate::catalog::open_store;

/// Who decides, and why: every decision carries both.
#[derive(Debug, Clone)]
pub struct Author {
    /// The operator's name.
    pub by: String,
    /// Why.
    pub reason: String,
}

/// What the command was asked to decide, before its targets are looked up.
#[derive(Debug, Clone)]
pub enum Request {
    /// One entry of all `targets`.
    Merge {
        /// Entry ids or source keys (two or more).
        targets: Vec<String>,
    },
    /// `sources` (or the second target's sources) never in one entry with the rest of the first
    /// target's.
    Split {
        /// One entry id or source key, or two.
        targets: Vec<String>,
        /// Sources of the first target to take out of it.
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
        /// The value, as text (see [`pin_value`]).
        value: String,
    },
}

/// Decides: checks the request against the store, keeps the decision (and its curation-topic
/// record), and says what was decided.
pub async fn decide(config_path: &Path, request: Request, author: Author) -> anyhow::Result<ExitCode> {
    let config = learncity_config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = open_store(&config).await?;
    let sources = Sources::read(store.as_ref()).await?;
    let action = match request {
        Request::Merge { targets } => {
            let mut keys = Vec::new();
            for t in &targets {
                keys.extend(sources.resolve(store.as_ref(), t).await?);
            }
            let partitions: BTreeSet<i32> = keys.iter().filter_map(|k| sources.partition(k)).collect();
            if partitions.len() > 1 {
                bail!(
                    "cannot merge {}: their sources are in different offerings-topic partitions (cities) {partitions:?}, \
                     and one builder never sees two partitions; check the providers' `city`",
                    targets.join(", ")
                );
            }
            Action::Merge { sources: dedup(keys) }
        }
        Request::Split { targets, sources: out } => match targets.as_slice() {
            [one] if !out.is_empty() => {
                let all = sources.resolve(store.as_ref(), one).await?;
                for k in &out {
                    if !all.contains(k) {
                        bail!("source `{k}` is not in {one} (its sources: {})", all.join(", "));
                    }
                }
                let rest: Vec<String> = all.into_iter().filter(|k| !out.contains(k)).collect();
                Action::Split { apart: out, from: rest }
            }
            [a, b] if out.is_empty() => Action::Split {
                apart: sources.resolve(store.as_ref(), a).await?,
                from: sources.resolve(store.as_ref(), b).await?,
            },
            _ => bail!("split takes an entry and --source KEY (the sources to take out), or two entries or sources"),
        },
        Request::Hide { targets } => {
            let mut keys = Vec::new();
            for t in &targets {
                keys.extend(sources.resolve(store.as_ref(), t).await?);
            }
            Action::Hide { sources: dedup(keys) }
        }
        Request::Pin { target, field, value } => {
            let keys = sources.resolve(store.as_ref(), &target).await?;
            let pin = pin_value(&field, &value)?;
            if let Pin::Source(k) = &pin
                && !keys.contains(k)
            {
                bail!("source `{k}` is not in {target} (its sources: {})", keys.join(", "));
            }
            Action::Pin { sources: keys, pin }
        }
    };
    if let Some(problem) = action.problem() {
        bail!("{problem}");
    }
    let decision = Decision::new(action, &author.by, Utc::now(), &author.reason);
    keep(store.as_ref(), &decision, &config.kafka.curation_topic).await?;
    println!("{}  {}", decision.id, describe(&decision));
    println!("kept; a running builder applies it within seconds, a stopped one when it starts");
    Ok(ExitCode::SUCCESS)
}

/// `curate revoke ID`: takes a decision back (it stays listed, marked revoked).
pub async fn revoke(config_path: &Path, id: &str, author: Author) -> anyhow::Result<ExitCode> {
    let config = learncity_config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = open_store(&config).await?;
    let decisions = store.decisions().await.context("reading the curation decisions")?;
    let Some(mut decision) = decisions.into_iter().find(|d| d.id == id) else {
        bail!("no decision `{id}` is kept; `learncity curate list` shows those that are");
    };
    if let Some(r) = &decision.revoked {
        bail!("decision {id} was revoked already, by {} at {}", r.by, r.at.to_rfc3339());
    }
    decision.revoked = Some(Revocation { by: author.by, at: Utc::now(), reason: author.reason });
    keep(store.as_ref(), &decision, &config.kafka.curation_topic).await?;
    println!("{id}  revoked: {}", describe(&decision));
    Ok(ExitCode::SUCCESS)
}

/// `curate list`: every decision, in force first, with whether it still applies.
pub async fn list(config_path: &Path, json: bool, all: bool) -> anyhow::Result<ExitCode> {
    let config = learncity_config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = open_store(&config).await?;
    let sources = Sources::read(store.as_ref()).await?;
    let mut decisions = store.decisions().await.context("reading the curation decisions")?;
    decisions.retain(|d| all || d.in_force());
    decisions.sort_by(|a, b| (a.revoked.is_some(), a.at, &a.id).cmp(&(b.revoked.is_some(), b.at, &b.id)));
    let mut out = String::new();
    for d in &decisions {
        let gone: Vec<&String> = d.action.sources().filter(|k| !sources.live(k)).collect();
        let applies = d.in_force() && gone.len() < d.action.sources().count();
        if json {
            let line = serde_json::json!({"decision": d, "applies": applies, "sources_not_live": gone});
            out.push_str(&line.to_string());
        } else {
            let state = match (&d.revoked, applies, gone.is_empty()) {
                (Some(r), _, _) => format!("revoked by {} at {}: {}", r.by, r.at.format("%Y-%m-%d %H:%M"), r.reason),
                (None, false, _) => "NO LONGER APPLIES: none of its sources is live".to_owned(),
                (None, true, false) => format!("applies; not live: {}", join(&gone)),
                (None, true, true) => "applies".to_owned(),
            };
            let _ = write!(
                out,
                "{}  {}  {:<10} {}\n    why: {}\n    {state}",
                d.id,
                d.at.format("%Y-%m-%d %H:%M"),
                d.by,
                describe(d),
                d.reason
            );
        }
        out.push('\n');
    }
    if !json {
        let _ = writeln!(out, "{} decision(s)", decisions.len());
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// `curate queue`: what matching was unsure of — pairs scored near the match score, entries
/// whose sources disagree — each with its evidence and the command that settles it.
pub async fn queue(config_path: &Path, json: bool, margin: f64, limit: usize) -> anyhow::Result<ExitCode> {
    let config = learncity_config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = open_store(&config).await?;
    let mut rules = learncity_builder::rules(&config);
    rules.curation =
        learncity_catalog::curation::Curation::new(store.decisions().await.context("reading the curation decisions")?);
    let sources = store.sources().await.context("reading the sources")?;
    let entries = store.entries().await.context("reading the catalogue")?;
    let mut queue = learncity_builder::review::queue(&sources, &entries, &rules, margin);
    queue.pairs.truncate(limit);
    queue.disagreements.truncate(limit);
    if json {
        println!("{}", serde_json::to_string_pretty(&queue)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} pair(s) scored within {margin} of the match score {}:",
        queue.pairs.len(),
        rules.thresholds.match_score
    );
    for (n, p) in queue.pairs.iter().enumerate() {
        let _ = writeln!(out, "\n{}. {}", n + 1, if p.together { "one entry" } else { "two entries" });
        for line in p.explanation.lines() {
            let _ = writeln!(out, "   {line}");
        }
        let _ = writeln!(out, "   to decide: {}", learncity_builder::review::suggestion(p));
    }
    let _ = writeln!(out, "\n{} entr(ies) whose sources disagree:", queue.disagreements.len());
    for d in &queue.disagreements {
        let values: Vec<String> = d.values.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let _ = writeln!(out, "\n{} «{}»: {} differs ({})", d.entry, d.title, d.field, values.join("; "));
        let _ = writeln!(
            out,
            "   to decide: learncity curate pin {} --field {} --value ... --reason ..., or split it: curate split {} --source KEY",
            d.entry, d.field, d.entry
        );
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// Keeps `decision` in the store with its curation-topic record in the outbox.
async fn keep(store: &dyn CatalogStore, decision: &Decision, topic: &str) -> anyhow::Result<()> {
    let record = OutboxRecord {
        topic: topic.to_owned(),
        key: Some(decision.id.clone().into_bytes()),
        value: Some(serde_json::to_vec(decision)?),
        headers: vec![
            (HEADER_EVENT_TYPE.to_owned(), EVENT_CURATION.as_bytes().to_vec()),
            (HEADER_SCHEMA_VERSION.to_owned(), CURATION_SCHEMA_VERSION.to_string().into_bytes()),
            (HEADER_CONTENT_TYPE.to_owned(), b"application/json".to_vec()),
        ],
    };
    store.put_decision(decision, Some(&record)).await.with_context(|| format!("keeping decision {}", decision.id))?;
    tracing::info!(decision = %decision.id, action = decision.action.name(), by = %decision.by, revoked = decision.revoked.is_some(), "curation decision kept");
    Ok(())
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

/// The pinned value of `field` read from `value`: text for `title` and `venue`, a kind or a
/// mode by name, categories as a comma-separated list of taxonomy ids, a price as `free`, an
/// amount and a currency (`15 BYN`, `12.50 EUR`) or the price's JSON, a source key for `source`.
pub fn pin_value(field: &str, value: &str) -> anyhow::Result<Pin> {
    let value = value.trim();
    if value.is_empty() {
        bail!("--value is empty");
    }
    // An enum's name as its JSON (`In person` → "in_person").
    let named = || serde_json::Value::String(value.to_lowercase().replace([' ', '-'], "_")).to_string();
    Ok(match field {
        "title" => Pin::Title(value.to_owned()),
        "venue" => Pin::Venue(value.to_owned()),
        "kind" => Pin::Kind(serde_json::from_str::<Kind>(&named()).map_err(|_| {
            anyhow::anyhow!("unknown kind `{value}`; use course, workshop, lecture, masterclass, tour, event or other")
        })?),
        "mode" => Pin::Mode(
            serde_json::from_str::<Mode>(&named())
                .map_err(|_| anyhow::anyhow!("unknown mode `{value}`; use in_person, online or hybrid"))?,
        ),
        "categories" | "category" => {
            let ids: Vec<String> = value.split(',').map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect();
            if let Some(bad) = ids.iter().find(|c| taxonomy::category(c).is_none()) {
                bail!(
                    "`{bad}` is no category of the taxonomy (its ids: languages, it, arts, music, history-culture, ...; `GET /api/v1/categories` lists them)"
                );
            }
            Pin::Categories(ids)
        }
        "price" => Pin::Price(price(value)?),
        "source" => Pin::Source(value.to_owned()),
        other => bail!("cannot pin `{other}`; pin title, kind, mode, categories, venue, price or source"),
    })
}

fn price(value: &str) -> anyhow::Result<Price> {
    if value.eq_ignore_ascii_case("free") {
        return Ok(Price::free());
    }
    if value.starts_with('{') {
        return serde_json::from_str(value).context("--value is not a price's JSON");
    }
    let mut words = value.split_whitespace();
    let (Some(amount), Some(currency), None) = (words.next(), words.next(), words.next()) else {
        bail!("a price is `free`, an amount and a currency (`15 BYN`), or the price's JSON");
    };
    let amount: f64 = amount.replace(',', ".").parse().with_context(|| format!("`{amount}` is not an amount"))?;
    if !(amount.is_finite() && amount >= 0.0)
        || currency.len() != 3
        || !currency.chars().all(|c| c.is_ascii_alphabetic())
    {
        bail!("a price is a non-negative amount and an ISO 4217 currency code (`15 BYN`)");
    }
    Ok(Price {
        free: amount == 0.0,
        amount: Some(amount),
        amount_max: None,
        currency: Some(currency.to_uppercase()),
        per: None,
        text: None,
    })
}

/// What the store knows of the sources: their partitions and states.
struct Sources(BTreeMap<String, (i32, SourceState)>);

impl Sources {
    async fn read(store: &dyn CatalogStore) -> anyhow::Result<Self> {
        let rows: Vec<SourceRow> = store.sources().await.context("reading the sources")?;
        Ok(Sources(rows.into_iter().map(|r| (r.key, (r.partition, r.state))).collect()))
    }

    fn partition(&self, key: &str) -> Option<i32> {
        self.0.get(key).map(|(p, _)| *p)
    }

    fn live(&self, key: &str) -> bool {
        self.0.get(key).is_some_and(|(_, s)| *s == SourceState::Active)
    }

    /// The sources of entry or source `target`: an entry's earliest first (the one its id
    /// comes from), then the rest in the entry's order.
    async fn resolve(&self, store: &dyn CatalogStore, target: &str) -> anyhow::Result<Vec<String>> {
        if target.starts_with("e-") && !target.contains('/') {
            let record = store.entry(target).await.with_context(|| format!("reading entry {target}"))?;
            let Some(entry) = record.and_then(|r| r.entry) else {
                bail!("no live entry `{target}` in the store (ids are e-…, as the API and `catalog export` show them)");
            };
            let mut keys: Vec<String> = entry.sources.iter().map(|s| s.key.clone()).collect();
            if let Some(at) = keys.iter().position(|k| learncity_catalog::merge::entry_id(k) == entry.id) {
                let anchor = keys.remove(at);
                keys.insert(0, anchor);
            }
            return Ok(keys);
        }
        if !self.0.contains_key(target) {
            bail!(
                "no source `{target}` in the store; give an entry id (e-…) or a source key (provider/source) \
                 as `catalog explain ENTRY` lists them"
            );
        }
        Ok(vec![target.to_owned()])
    }
}

fn dedup(keys: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    keys.into_iter().filter(|k| seen.insert(k.clone())).collect()
}

fn join(keys: &[&String]) -> String {
    keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_values_are_read_or_refused_with_what_to_give() {
        assert_eq!(pin_value("kind", "Lecture").unwrap(), Pin::Kind(Kind::Lecture));
        assert_eq!(pin_value("mode", "in person").unwrap(), Pin::Mode(Mode::InPerson));
        assert_eq!(pin_value("price", "free").unwrap(), Pin::Price(Price::free()));
        let Pin::Price(p) = pin_value("price", "12,50 byn").unwrap() else { panic!() };
        assert_eq!((p.amount, p.currency.as_deref(), p.free), (Some(12.5), Some("BYN"), false));
        assert!(pin_value("price", "12 rubles").unwrap_err().to_string().contains("ISO 4217"));
        assert!(pin_value("kind", "party").unwrap_err().to_string().contains("use course"));
        assert!(pin_value("colour", "red").unwrap_err().to_string().contains("cannot pin `colour`"));
        assert!(pin_value("categories", "no-such-category").unwrap_err().to_string().contains("no-such-category"));
        assert!(pin_value("title", "  ").is_err());
    }
}
