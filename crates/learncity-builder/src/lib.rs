//! # learncity-builder: the catalog builder
//!
//! Consumes the offerings topic (a consumer group: builders share its partitions, and the
//! partition key — the provider's city — keeps possible duplicates in one partition), keeps the
//! catalogue in a [`learncity_store::CatalogStore`], and publishes every change of an entry on
//! the compacted catalog topic.
//!
//! - [`decode`]: an offerings record → an upsert, a snapshot, or a dead letter with its reason;
//! - [`state`]: the catalogue of one partition in memory — identity, cross-provider
//!   deduplication (through [`learncity_catalog::matching`]), merges and splits, withdrawal,
//!   expiry — and what each change writes and publishes;
//! - [`processor`]: batches applied in one store transaction each, the outbox published after
//!   the commit, records below the stored offsets skipped;
//! - [`daemon`]: `learncity catalog` (the consumer-group loop, rebalances, expiry sweeps,
//!   graceful shutdown) and `learncity catalog rebuild`;
//! - [`local`]: the same processor fed by the in-process bus (`learncity run`);
//! - [`explain`]: why sources are or are not one entry (`catalog explain`);
//! - [`review`]: the review queue of what matching was unsure of (`curate queue`).

pub mod daemon;
pub mod decode;
pub mod explain;
pub mod local;
pub mod processor;
pub mod review;
pub mod state;

pub use daemon::{RebuildSummary, providers, rebuild, rules, run};

/// What the builder takes of each provider's file, by provider id; a builder is given them again
/// through a [`tokio::sync::watch`] channel when the files change ([`daemon::run`],
/// [`local::run`]).
pub type Providers = std::collections::HashMap<String, state::ProviderInfo>;

/// Why the builder stopped.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The store failed.
    #[error("catalogue store: {0}")]
    Store(#[source] learncity_store::StoreError),
    /// The brokers failed.
    #[error("{0}")]
    Bus(#[source] learncity_bus::BusError),
    /// The consumer group failed.
    #[error("{0}")]
    Group(String),
}
