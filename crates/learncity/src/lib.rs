//! # learncity: the command's library
//!
//! The subcommands of the `learncity` binary, kept in a library so tests drive the same code
//! the command runs:
//! - [`check`] — read one provider document (file or URL) and show how it is read;
//! - [`collect`] — the collector daemon;
//! - [`catalog`] — the catalog builder daemon, `catalog rebuild` and `catalog export`;
//! - [`serve`] — the catalogue service (pages, JSON API, exports);
//! - [`registry`] — provider files read again on SIGHUP or when they change;
//! - [`run`] — the standalone mode: all three stages in one process, in-process bus, one store;
//! - [`curate`] — operators' decisions on the catalogue (merge, split, hide, pin, revoke);
//! - [`admin`] — `topics ensure` and `config check`;
//! - `schema` — print the record contract's JSON Schema (in `main.rs`, one line).
//!
//! Configuration is [`learncity_config`]; fetching [`learncity_fetch`]; Kafka [`learncity_bus`].

pub mod admin;
pub mod catalog;
pub mod check;
pub mod collect;
pub mod curate;
pub mod dead_letters;
pub mod registry;
pub mod run;
pub mod serve;
