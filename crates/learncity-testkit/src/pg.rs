//! The machine's PostgreSQL for tests: its URL and a fresh schema name per test.

use std::sync::atomic::{AtomicU32, Ordering};

/// `LEARNCITY_TEST_PG`, else the machine's server (`postgres://postgres@127.0.0.1:5432/test`).
pub fn pg_url() -> String {
    std::env::var("LEARNCITY_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A schema name no other test of any process uses: `{prefix}_{pid}_{counter}_{nanos}`.
pub fn unique_schema(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{prefix}_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}
