//! The provider registry read again while running (`learncity run` and `learncity collect`): on
//! SIGHUP, and when the main file or a file of `collector.providers` changes (looked at every
//! [`POLL`]). A registry with a mistake is not taken: every mistake is logged with its file and
//! line, and the providers as last read go on. Only the providers are taken; every other
//! setting still needs a restart (and so does a provider's `priority`, `role` or `city` for the
//! catalog builder's merge).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use learncity_collector::{Collector, RegistryChange, StateStore};
use learncity_ops::CancellationToken;

/// How often the files are looked at.
pub const POLL: Duration = Duration::from_secs(2);

/// What the files look like: each one's path, length and modification time.
fn fingerprint(config: &learncity_config::Config) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let stat = |p: &Path| {
        let m = std::fs::metadata(p).ok();
        (p.to_owned(), m.as_ref().map_or(0, std::fs::Metadata::len), m.and_then(|m| m.modified().ok()))
    };
    let mut files = vec![stat(&config.path)];
    if let Some(dir) = &config.collector.providers {
        let dir = config.path.parent().unwrap_or(Path::new(".")).join(dir);
        files.push(stat(&dir));
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            names.sort();
            files.extend(names.iter().map(|p| stat(p)));
        }
    }
    files
}

/// Reads the registry again whenever it changes or SIGHUP arrives, until `stop`; gives each
/// change taken to `collector` (and then to `changed`, e.g. to publish the registry).
pub async fn watch<S: StateStore + 'static>(
    config: learncity_config::Config,
    collector: Arc<Collector<S>>,
    changed: impl AsyncFn(&RegistryChange),
    stop: CancellationToken,
) {
    let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP; provider files are still looked at");
            None
        }
    };
    let mut seen = fingerprint(&config);
    loop {
        let asked = tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(POLL) => false,
            Some(()) = async { match hangup.as_mut() { Some(h) => h.recv().await, None => std::future::pending().await } } => true,
        };
        let now = fingerprint(&config);
        if !asked && now == seen {
            continue;
        }
        seen = now;
        match learncity_config::load(&config.path) {
            Ok(read) => {
                let change = collector.set_providers(read.providers);
                if change.is_empty() {
                    tracing::info!(providers = collector.providers().len(), "provider registry read again: no change");
                    continue;
                }
                tracing::info!(
                    added = ?change.added,
                    removed = ?change.removed,
                    changed = ?change.changed,
                    "provider registry read again"
                );
                metrics::counter!("learncity_collector_registry_reloads_total", "result" => "changed").increment(1);
                changed(&change).await;
            }
            Err(errors) => {
                metrics::counter!("learncity_collector_registry_reloads_total", "result" => "refused").increment(1);
                for e in &errors.0 {
                    tracing::error!(mistake = %e, "provider registry not taken; the providers as last read go on");
                }
            }
        }
    }
}
