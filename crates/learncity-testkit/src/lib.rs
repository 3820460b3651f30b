//! What learncity's integration tests share.
//!
//! - [`broker`]: a real Kafka-API broker (Tansu, started by `scripts/kafka-up`), topic creation and
//!   read-back helpers. Tests that need Kafka fail loudly when no broker answers; they never skip.
//! - [`http`]: an in-process fixture HTTP server with validators (ETag / Last-Modified, 304s), injected
//!   faults (5xx, 429, slow drip, oversized and gzip-bomb bodies, redirect loops, redirects to a URL) and a
//!   request log; it can listen on another loopback address (127.0.0.2, `::1`).
//! - [`cities`]: the labelled cities of `tests/fixtures/`, read as the collector reads them;
//! - [`catalogue`]: catalogues as data to compare (the catalog topic reduced, the store's
//!   entries, entries keyed by their provider items);
//! - [`operators`]: operators of the console and the admin API, with a known password;
//! - [`fixture`]: the bytes of a file under `tests/fixtures/` of the repository;
//! - [`eventually`]: poll a condition until it holds or a timeout passes.

pub mod broker;
pub mod catalogue;
pub mod cities;
pub mod http;
pub mod offerings;
pub mod operators;
pub mod pg;

use std::path::{Path, PathBuf};

pub use broker::{Broker, Record, create_topic, read_topic_all, read_topic_until, unique_name};
pub use http::{Fault, FixtureServer, SeenRequest};

/// The repository root (the directory holding `scripts/` and `tests/fixtures/`).
pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Polls `check` every 500 ms until it returns `Ok`, or panics after `timeout` with `what` and
/// the last error.
pub async fn eventually<T, F, Fut>(timeout: std::time::Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match check().await {
            Ok(v) => return v,
            Err(last) if std::time::Instant::now() > deadline => {
                panic!("timed out after {timeout:?} waiting for {what}: {last}")
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
        }
    }
}

/// The bytes of `tests/fixtures/<path>` under the repository root, e.g. `fixture("rss/library.xml")`.
///
/// Panics with the full path when the file cannot be read.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = repo_root().join("tests/fixtures").join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", full.display()))
}
