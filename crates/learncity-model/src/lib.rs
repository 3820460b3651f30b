//! # learncity-model: the record contract
//!
//! One normalised [`Offering`] per provider item. This crate is the contract between the
//! collector (which produces offerings), the catalog builder (which consumes them) and any
//! downstream service. It holds only data types and pure helpers: no I/O, no async.
//!
//! ## Guarantees
//! - Every record carries [`SCHEMA_VERSION`]; a breaking change of the JSON shape bumps it and
//!   gets a new schema file (`schemas/offering.v{N}.json`).
//! - The committed JSON Schema is generated from these types ([`offering_schema`]); a test in
//!   this crate fails when the committed file drifts from the types.
//! - Times are time-zone aware: every session instant carries its UTC offset, and the IANA zone
//!   it was expressed in when the provider gave one.
//! - Every field residents filter on (dates, mode, kind, language, price, age, accessibility,
//!   district, category) is a typed field, never buried in free text.
//!
//! ## Layout
//! - [`offering`]: the `Offering` record and its parts.
//! - [`entry`]: the catalogue entry published on the catalog topic, and its headers.
//! - [`curation`]: operators' decisions (merge, split, hide, pin) applied on top of matching.
//! - [`event`]: the events on the offerings topic (`upsert`, `snapshot`) and their headers.
//! - [`taxonomy`]: the project's category taxonomy and the mapping of provider terms onto it.
//! - [`schema`]: JSON Schema generation.

pub mod curation;
pub mod entry;
pub mod event;
pub mod offering;
pub mod places;
pub mod schema;
pub mod taxonomy;

pub use entry::{Entry, EntrySource};
pub use event::{Listing, Role, Snapshot};
pub use offering::*;
pub use schema::{entry_schema, entry_schema_text, offering_schema, offering_schema_text};
