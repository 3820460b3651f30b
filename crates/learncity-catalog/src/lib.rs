//! # learncity-catalog: the catalog builder's pure core
//!
//! No I/O: what decides that two offerings of different providers are one real-world offering.
//! - [`fold`]: text folded for matching — case, diacritics, Cyrillic↔Latin transliteration
//!   variants ("Віцебск", "Витебск", "Vitebsk", "Viciebsk" fold close together);
//! - [`places`]: the curated place-alias table (Mahilioŭ / Mogilev / Магілёў / Могилёв are one
//!   key — no string distance bridges official Belarusian and Russian names);
//! - [`glossary`]: the ru/be/en glossary that makes a title and its translation share units;
//! - [`marks`]: discriminators that keep look-alikes apart (age band, audience, level, group,
//!   part, open lesson, online/in person);
//! - [`matching`]: features of an offering, blocking keys (place + start bucket or date + title
//!   unit, URLs), conflicts, pairwise scoring (title, start, venue, links), and clusters under
//!   cannot-link constraints;
//! - [`curation`]: operators' decisions in force (hide, merge, split, pin), indexed for the
//!   builder;
//! - [`merge`]: the canonical catalogue entry of a cluster — preference order of its sources,
//!   field-by-field merge rules, and the stable entry id.
//!
//! The daemon around it (store, Kafka, catalog topic) is `learncity-builder`.

pub mod curation;
pub mod fold;
pub mod glossary;
pub mod marks;
pub mod matching;
pub mod merge;
pub mod places;
