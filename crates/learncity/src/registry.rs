//! The provider registry read again while running (`learncity run`, `learncity collect` and
//! `learncity catalog`): on SIGHUP, and when the main file or a file of `collector.providers`
//! changes (looked at every [`POLL`]). A registry with a mistake is not taken: every mistake is
//! logged with its file and line, and the providers as last read go on. Only the providers are
//! taken — the collector's provider list, and the catalog builder's rules of each provider
//! (`priority`, `role`, `city`); every other setting still needs a restart.

use std::path::{Path, PathBuf};
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

/// Reads the config again whenever the registry's files change or SIGHUP arrives, until
/// `stop`, and gives each config read without a mistake to `take`.
pub async fn watch(
    config: learncity_config::Config,
    stop: CancellationToken,
    mut take: impl AsyncFnMut(learncity_config::Config),
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
                metrics::counter!("learncity_registry_reloads_total", "result" => "taken").increment(1);
                take(read).await;
            }
            Err(errors) => {
                metrics::counter!("learncity_registry_reloads_total", "result" => "refused").increment(1);
                for e in &errors.0 {
                    tracing::error!(mistake = %e, "provider registry not taken; the providers as last read go on");
                }
            }
        }
    }
}

/// Gives the providers of `read` to `collector`; says what changed, or `None` when nothing did.
pub fn to_collector<S: StateStore>(
    collector: &Collector<S>,
    read: &learncity_config::Config,
) -> Option<RegistryChange> {
    let change = collector.set_providers(read.providers.clone());
    if change.is_empty() {
        tracing::info!(
            providers = collector.providers().len(),
            "provider registry read again: no change for the collector"
        );
        return None;
    }
    tracing::info!(
        added = ?change.added,
        removed = ?change.removed,
        changed = ?change.changed,
        "provider registry read again: the collector takes it"
    );
    Some(change)
}

/// The catalog builder's rules of each provider in `read`, for the builder's channel: a send
/// only when they changed (a builder computes again the entries of the providers that did).
pub fn to_builder(builder: &tokio::sync::watch::Sender<learncity_builder::Providers>, read: &learncity_config::Config) {
    let providers = learncity_builder::providers(read);
    builder.send_if_modified(|now| {
        if *now == providers {
            return false;
        }
        *now = providers;
        true
    });
}
