//! # learncity-catalog: the catalog builder's pure core
//!
//! No I/O: what decides that two offerings of different providers are one real-world offering.
//! - [`fold`]: text folded for matching — case, diacritics, Cyrillic↔Latin transliteration
//!   variants ("Віцебск", "Витебск", "Vitebsk", "Viciebsk" fold close together);
//! - [`places`]: the curated place-alias table (Mahilioŭ / Mogilev / Магілёў / Могилёв are one
//!   key — no string distance bridges official Belarusian and Russian names);
//! - [`matching`]: features of an offering, blocking keys (place + first session date + title
//!   token), pairwise scoring (title, start time within a tolerance, venue, identical URLs), and
//!   clusters;
//! - [`merge`]: the canonical catalogue entry of a cluster — preference order of its sources,
//!   field-by-field merge rules, and the stable entry id.
//!
//! The daemon around it (store, Kafka, catalog topic) is issue 4's remaining work.

pub mod fold;
pub mod matching;
pub mod merge;
pub mod places;
