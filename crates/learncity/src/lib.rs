//! # learncity: the command's library
//!
//! The subcommands of the `learncity` binary, kept in a library so tests drive the same code
//! the command runs. Subcommands:
//! - [`check`] — read one provider document (file or URL) and show how it is read;
//! - `schema` — print the record contract's JSON Schema (in `main.rs`, one line).
//!
//! Layout: [`provider_file`] loads a provider's TOML config (errors name file, line, field);
//! [`fetch`] is one bounded HTTP GET.

pub mod check;
pub mod fetch;
pub mod provider_file;
