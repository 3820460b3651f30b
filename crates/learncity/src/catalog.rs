//! `learncity catalog`: the catalog builder daemon; `catalog rebuild` and `catalog export`.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use learncity_config::{Config, LogFormat};
use learncity_ops::{CancellationToken, Readiness};
use learncity_store::CatalogStore;

fn load(config_path: &Path) -> anyhow::Result<Config> {
    let config = learncity_config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    learncity_ops::init_logging(config.log.format == LogFormat::Json, &config.log.filter);
    Ok(config)
}

/// Opens the store named in `[catalog] store` (running its migrations).
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn CatalogStore>> {
    let store = learncity_store::open(&config.catalog.store)
        .await
        .with_context(|| format!("opening the catalogue store named by catalog.store in {}", config.path.display()))?;
    Ok(Arc::from(store))
}

/// Runs the builder until SIGTERM or Ctrl-C.
pub async fn run(config_path: &Path) -> anyhow::Result<()> {
    let config = load(config_path)?;
    let stop = learncity_ops::shutdown_on_signal();
    run_until(config, stop).await
}

/// Runs the builder until `stop` fires (tests drive it this way).
pub async fn run_until(config: Config, stop: CancellationToken) -> anyhow::Result<()> {
    let metrics = learncity_ops::install_metrics()?;
    let readiness = Readiness::default();
    readiness.set_not_ready("starting");
    let ops_stop = CancellationToken::new();
    let (ops_addr, ops_task) =
        learncity_ops::serve_ops(config.catalog.listen, readiness.clone(), metrics, ops_stop.clone()).await?;
    let store = open_store(&config).await?;
    tracing::info!(ops = %ops_addr, store = %store.describe(), brokers = %config.kafka.brokers, "catalog builder starting");
    let result = learncity_builder::run(&config, store, readiness.clone(), stop).await;
    readiness.set_not_ready("shutting down");
    ops_stop.cancel();
    let _ = ops_task.await;
    result.context("catalog builder")
}

/// `catalog rebuild`: the store rebuilt from the offerings topic.
pub async fn rebuild(config_path: &Path) -> anyhow::Result<()> {
    let config = load(config_path)?;
    let store = open_store(&config).await?;
    let stop = learncity_ops::shutdown_on_signal();
    let summary = learncity_builder::rebuild(&config, store, stop).await.context("catalog rebuild")?;
    println!(
        "rebuilt: {} records read, {} entries, {} former entries removed",
        summary.records, summary.entries, summary.removed
    );
    Ok(())
}

/// `catalog export`: every live entry as one JSON object per line, by id.
pub async fn export(config_path: &Path) -> anyhow::Result<()> {
    let config = learncity_config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = open_store(&config).await?;
    let entries = store.entries().await.context("reading the catalogue")?;
    let mut out = String::new();
    for e in &entries {
        out.push_str(&serde_json::to_string(e)?);
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}
