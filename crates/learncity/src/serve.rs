//! `learncity serve`: the catalogue service — pages, `/api/v1`, exports, provider health —
//! over the store named in `[catalog] store`, until SIGTERM. Provider health comes from the
//! collectors' fetch state on the `collector-state` topic, followed when the brokers answer.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use learncity_collector::{KafkaStateStore, ProviderState};
use learncity_config::{Config, LogFormat};
use learncity_ops::CancellationToken;
use learncity_serve::health::{HealthSource, ProviderStatus};

/// The collectors' fetch state, once the state topic could be read.
struct CollectorHealth {
    state: Mutex<Result<Arc<KafkaStateStore>, String>>,
}

impl HealthSource for CollectorHealth {
    fn statuses(&self) -> Result<Vec<ProviderStatus>, String> {
        let state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()?;
        Ok(state.all().into_iter().map(provider_status).collect())
    }
}

/// What the provider health page shows of a collector's fetch state.
pub(crate) fn provider_status(s: ProviderState) -> ProviderStatus {
    ProviderStatus {
        provider_id: s.provider_id,
        last_attempt_at: s.last_attempt_at,
        last_success_at: s.last_success_at,
        outcome: s.outcome.as_str().to_owned(),
        last_status: s.last_status,
        error_kind: s.error_kind,
        last_error: s.last_error,
        consecutive_failures: s.consecutive_failures,
        next_due_at: s.next_due_at,
        item_count: s.item_count,
        warning_count: s.warning_count,
        warnings: s.warnings,
        history: s
            .history
            .into_iter()
            .map(|run| learncity_serve::health::PastRun {
                at: run.at,
                outcome: run.outcome.as_str().to_owned(),
                error_kind: run.error_kind,
                item_count: run.item_count,
                warning_count: run.warning_count,
            })
            .collect(),
    }
}

/// Follows the state topic in the background, trying again every 10 s until the brokers answer.
fn collector_health(config: &Config, stop: CancellationToken) -> Arc<CollectorHealth> {
    let health = Arc::new(CollectorHealth {
        state: Mutex::new(Err(format!("connecting to the brokers at {}", config.kafka.brokers))),
    });
    let (kafka, shared) = (config.kafka.clone(), Arc::clone(&health));
    tokio::spawn(async move {
        loop {
            let started = async {
                let producer = learncity_bus::Producer::new(&kafka)?;
                anyhow::Ok(KafkaStateStore::start(&kafka, producer, stop.clone()).await?)
            };
            match started.await {
                Ok(state) => {
                    *shared.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Ok(Arc::new(state));
                    return;
                }
                Err(e) => {
                    let why = format!("cannot read {} on {}: {e:#}", kafka.collector_state_topic, kafka.brokers);
                    tracing::warn!(error = %why, "provider health unavailable; retrying in 10 s");
                    *shared.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Err(why);
                }
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(10)) => {}
                () = stop.cancelled() => return,
            }
        }
    });
    health
}

/// Serves the catalogue until SIGTERM or Ctrl-C.
pub async fn run(config_path: &Path) -> anyhow::Result<()> {
    let config = learncity_config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    learncity_ops::init_logging(config.log.format == LogFormat::Json, &config.log.filter);
    // Each client connection takes a file descriptor: a soft limit left at the usual 1024 would
    // cap the connections at 768 however high the hard limit is.
    match learncity_serve::server::raise_open_file_limit() {
        Ok(files) => tracing::info!(open_file_limit = files, "open-file limit"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-file limit; connections are capped below the current one")
        }
    }
    let (bound, task) = start(&config, learncity_ops::shutdown_on_signal()).await?;
    tracing::info!(%bound, "open http://{bound}/");
    task.await.context("the catalogue service task")?;
    Ok(())
}

/// Starts the catalogue service of `config` (the cluster mode's `serve`: the store, provider
/// health from the state topic) until `stop`; the bound address and the server task (tests
/// drive it this way).
pub async fn start(
    config: &Config,
    stop: CancellationToken,
) -> anyhow::Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    let store = crate::catalog::open_store(config).await?;
    tracing::info!(store = %store.describe(), "catalogue service starting");
    let health: Arc<dyn HealthSource> = collector_health(config, stop.clone());
    learncity_serve::start(config.serve.clone(), store, Some(health), curation_context(config), stop)
        .await
        .context("serve")
}

/// What the operators' side of `serve` needs from the config: the curation topic and the
/// builders' matching rules (the review queue scores pairs with them).
pub fn curation_context(config: &learncity_config::Config) -> learncity_serve::CurationContext {
    let providers_dir = config
        .collector
        .providers
        .as_ref()
        .map(|dir| config.path.parent().unwrap_or(std::path::Path::new(".")).join(dir));
    learncity_serve::CurationContext {
        topic: config.kafka.curation_topic.clone(),
        rules: learncity_builder::rules(config),
        http: config.http.clone(),
        providers_dir: providers_dir.filter(|d| d.is_dir()),
    }
}
