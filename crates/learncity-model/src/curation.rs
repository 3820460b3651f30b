//! Operators' curation decisions: what an operator says of the catalogue that matching alone
//! got wrong, kept as data so that it lasts.
//!
//! A decision names **sources** (`{provider_id}/{source_id}`, [`crate::Offering::key`]), never
//! entry ids: an entry id follows its earliest source and changes when an entry splits, while a
//! source key stays as long as the provider publishes the item. The tools that take an entry id
//! (`learncity curate hide ENTRY_ID`) turn it into the entry's sources at the time of the
//! decision.
//!
//! The catalog builder applies every decision in force on top of matching, deterministically:
//! the same live sources and the same decisions give the same catalogue in either mode, after a
//! restart and after `catalog rebuild`.
//!
//! ## Where decisions are kept
//! In the catalogue store in both modes (the builders read them from there), and in the cluster
//! mode also as keyed records on the compacted curation topic (`kafka.curation-topic`): key the
//! decision id, value the decision as JSON, headers `event-type: curation`, `schema-version`,
//! `content-type: application/json`. A revoked decision is published again with `revoked` set
//! (never deleted), so the topic holds the whole history of what operators decided.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Kind, Mode, Price};

/// Version of a decision's JSON shape; a breaking change bumps it.
pub const CURATION_SCHEMA_VERSION: u32 = 1;
/// `event-type` of a record on the curation topic.
pub const EVENT_CURATION: &str = "curation";

/// One operator's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Always [`CURATION_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Stable id (`d-` and 16 hex digits, [`Decision::new`]).
    pub id: String,
    /// What was decided.
    pub action: Action,
    /// Who decided (an operator's name).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Why, in the operator's words (shown to operators, never to residents).
    pub reason: String,
    /// Set when the decision was taken back: it is no longer applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
}

/// When and why a decision was taken back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// Who took it back.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

/// What an operator decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// These sources are one offering: one entry holds all of those that are live, whatever
    /// matching says (a split decision still keeps two of them apart).
    Merge {
        /// Two sources or more.
        sources: Vec<String>,
    },
    /// Never one entry: no source of `apart` is in one entry with a source of `from`, whatever
    /// matching or a third source says.
    Split {
        /// One side.
        apart: Vec<String>,
        /// The other side.
        from: Vec<String>,
    },
    /// Out of the catalogue: these sources are in no entry (an entry that held only them
    /// disappears) until the decision is revoked.
    Hide {
        /// The sources hidden.
        sources: Vec<String>,
    },
    /// A field of an entry set by hand: on the entry that holds the first of `sources` that is
    /// live (the entry's sources when it was decided, earliest first).
    Pin {
        /// The entry's sources.
        sources: Vec<String>,
        /// The field and its value.
        pin: Pin,
    },
}

/// A field set by hand, and its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum Pin {
    /// The title.
    Title(String),
    /// The kind.
    Kind(Kind),
    /// The mode.
    Mode(Mode),
    /// The taxonomy categories (replacing the merged ones).
    Categories(Vec<String>),
    /// The venue's name.
    Venue(String),
    /// The price.
    Price(Price),
    /// The source whose fields come first (its key): the canonical source.
    Source(String),
}

impl Pin {
    /// The field's name, as the command line and the JSON say it.
    pub fn field(&self) -> &'static str {
        match self {
            Pin::Title(_) => "title",
            Pin::Kind(_) => "kind",
            Pin::Mode(_) => "mode",
            Pin::Categories(_) => "categories",
            Pin::Venue(_) => "venue",
            Pin::Price(_) => "price",
            Pin::Source(_) => "source",
        }
    }
}

impl Pin {
    /// The pin of `field` read from `value` as an operator types it: text for `title` and
    /// `venue`, a kind or a mode by name, categories as a comma-separated list of taxonomy ids,
    /// a price as `free`, an amount and a currency (`15 BYN`, `12,50 EUR`) or the price's JSON,
    /// a source key for `source`. The error says what to give instead.
    pub fn parse(field: &str, value: &str) -> Result<Pin, String> {
        let value = value.trim();
        if value.is_empty() {
            return Err(format!("the value of `{field}` is empty"));
        }
        // An enum's name as its JSON (`In person` → "in_person").
        let named = || serde_json::Value::String(value.to_lowercase().replace([' ', '-'], "_")).to_string();
        Ok(match field {
            "title" => Pin::Title(value.to_owned()),
            "venue" => Pin::Venue(value.to_owned()),
            "kind" => Pin::Kind(serde_json::from_str::<Kind>(&named()).map_err(|_| {
                format!("unknown kind `{value}`; use course, workshop, lecture, masterclass, tour, event or other")
            })?),
            "mode" => Pin::Mode(
                serde_json::from_str::<Mode>(&named())
                    .map_err(|_| format!("unknown mode `{value}`; use in_person, online or hybrid"))?,
            ),
            "categories" | "category" => {
                let ids: Vec<String> =
                    value.split(',').map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect();
                if let Some(bad) = ids.iter().find(|c| crate::taxonomy::category(c).is_none()) {
                    return Err(format!(
                        "`{bad}` is no category of the taxonomy (ids such as languages, it, arts, music, \
                         history-culture; `GET /api/v1/categories` lists them)"
                    ));
                }
                Pin::Categories(ids)
            }
            "price" => Pin::Price(parse_price(value)?),
            "source" => Pin::Source(value.to_owned()),
            other => {
                return Err(format!("cannot pin `{other}`; pin title, kind, mode, categories, venue, price or source"));
            }
        })
    }
}

fn parse_price(value: &str) -> Result<Price, String> {
    if value.eq_ignore_ascii_case("free") {
        return Ok(Price::free());
    }
    if value.starts_with('{') {
        return serde_json::from_str(value).map_err(|e| format!("not a price's JSON: {e}"));
    }
    let mut words = value.split_whitespace();
    let (Some(amount), Some(currency), None) = (words.next(), words.next(), words.next()) else {
        return Err("a price is `free`, an amount and a currency (`15 BYN`), or the price's JSON".into());
    };
    let amount: f64 = amount.replace(',', ".").parse().map_err(|_| format!("`{amount}` is not an amount"))?;
    if !(amount.is_finite() && amount >= 0.0)
        || currency.len() != 3
        || !currency.chars().all(|c| c.is_ascii_alphabetic())
    {
        return Err("a price is a non-negative amount and an ISO 4217 currency code (`15 BYN`)".into());
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

impl Action {
    /// Every source the decision names, in its order.
    pub fn sources(&self) -> impl Iterator<Item = &String> {
        let (a, b): (&[String], &[String]) = match self {
            Action::Merge { sources } | Action::Hide { sources } | Action::Pin { sources, .. } => (sources, &[]),
            Action::Split { apart, from } => (apart, from),
        };
        a.iter().chain(b)
    }

    /// `merge`, `split`, `hide` or `pin`.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Merge { .. } => "merge",
            Action::Split { .. } => "split",
            Action::Hide { .. } => "hide",
            Action::Pin { .. } => "pin",
        }
    }

    /// What is wrong with the decision as given, when anything is.
    pub fn problem(&self) -> Option<String> {
        let bad_key = self.sources().find(|k| !k.contains('/') || k.starts_with('/') || k.ends_with('/'));
        if let Some(k) = bad_key {
            return Some(format!("`{k}` is not a source key (`provider/source`, as `catalog explain` shows them)"));
        }
        match self {
            Action::Merge { sources } if sources.len() < 2 => {
                Some("a merge names two sources or more (or two entries)".into())
            }
            Action::Split { apart, from } if apart.is_empty() || from.is_empty() => {
                Some("a split names sources on both sides".into())
            }
            Action::Split { apart, from } if apart.iter().any(|k| from.contains(k)) => {
                Some("a split cannot put one source on both sides".into())
            }
            Action::Hide { sources } | Action::Pin { sources, .. } if sources.is_empty() => {
                Some(format!("a {} names a source or an entry", self.name()))
            }
            _ => None,
        }
    }
}

impl Decision {
    /// A new decision; its id is derived from what, who and when.
    pub fn new(action: Action, by: &str, at: DateTime<Utc>, reason: &str) -> Self {
        let mut hash = Sha256::new();
        hash.update(serde_json::to_vec(&action).expect("an action always serialises"));
        hash.update([0]);
        hash.update(by.as_bytes());
        hash.update([0]);
        hash.update(at.to_rfc3339().as_bytes());
        let id = format!("d-{}", hex::encode(&hash.finalize()[..8]));
        Decision {
            schema_version: CURATION_SCHEMA_VERSION,
            id,
            action,
            by: by.to_owned(),
            at,
            reason: reason.to_owned(),
            revoked: None,
        }
    }

    /// Whether the builder applies it.
    pub fn in_force(&self) -> bool {
        self.revoked.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        "2026-12-07T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_decision_reads_back_as_written() {
        let d = Decision::new(
            Action::Pin { sources: vec!["vsu/1".into(), "lib/2".into()], pin: Pin::Kind(Kind::Lecture) },
            "anna",
            at(),
            "a lecture, not a course",
        );
        let text = serde_json::to_string(&d).unwrap();
        assert!(
            text.contains(
                r#""action":{"type":"pin","sources":["vsu/1","lib/2"],"pin":{"field":"kind","value":"lecture"}}"#
            ),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Decision>(&text).unwrap(), d);
        assert!(d.id.starts_with("d-") && d.id.len() == 18, "{}", d.id);
    }

    #[test]
    fn ids_differ_by_what_who_and_when() {
        let hide = |k: &str| Action::Hide { sources: vec![k.into()] };
        let a = Decision::new(hide("p/1"), "anna", at(), "junk");
        assert_eq!(a.id, Decision::new(hide("p/1"), "anna", at(), "other words").id, "the reason is not identity");
        assert_ne!(a.id, Decision::new(hide("p/2"), "anna", at(), "junk").id);
        assert_ne!(a.id, Decision::new(hide("p/1"), "boris", at(), "junk").id);
        assert_ne!(a.id, Decision::new(hide("p/1"), "anna", at() + chrono::Duration::seconds(1), "junk").id);
    }

    #[test]
    fn malformed_decisions_are_named() {
        assert!(Action::Merge { sources: vec!["a/1".into()] }.problem().unwrap().contains("two sources"));
        assert!(Action::Hide { sources: vec!["nokey".into()] }.problem().unwrap().contains("`nokey`"));
        let both = Action::Split { apart: vec!["a/1".into()], from: vec!["a/1".into(), "b/2".into()] };
        assert!(both.problem().unwrap().contains("both sides"));
        assert!(Action::Split { apart: vec!["a/1".into()], from: vec![] }.problem().is_some());
        assert_eq!(Action::Merge { sources: vec!["a/1".into(), "b/2".into()] }.problem(), None);
    }

    #[test]
    fn pinned_values_are_read_or_refused_with_what_to_give() {
        assert_eq!(Pin::parse("kind", "Lecture").unwrap(), Pin::Kind(Kind::Lecture));
        assert_eq!(Pin::parse("mode", "in person").unwrap(), Pin::Mode(Mode::InPerson));
        assert_eq!(Pin::parse("price", "free").unwrap(), Pin::Price(Price::free()));
        let Pin::Price(p) = Pin::parse("price", "12,50 byn").unwrap() else { panic!("a price") };
        assert_eq!((p.amount, p.currency.as_deref(), p.free), (Some(12.5), Some("BYN"), false));
        assert!(Pin::parse("price", "12 rubles").unwrap_err().contains("ISO 4217"));
        assert!(Pin::parse("kind", "party").unwrap_err().contains("use course"));
        assert!(Pin::parse("colour", "red").unwrap_err().contains("cannot pin `colour`"));
        assert!(Pin::parse("categories", "no-such-category").unwrap_err().contains("no-such-category"));
        assert_eq!(
            Pin::parse("categories", "arts, music").unwrap(),
            Pin::Categories(vec!["arts".into(), "music".into()])
        );
        assert!(Pin::parse("title", "  ").is_err());
    }
}
