//! `learncity serve`: the catalogue service — pages, `/api/v1`, exports — over the store named
//! in `[catalog] store`, until SIGTERM.

use std::path::Path;

use anyhow::Context;
use learncity_config::LogFormat;

/// Serves the catalogue until SIGTERM or Ctrl-C.
pub async fn run(config_path: &Path) -> anyhow::Result<()> {
    let config = learncity_config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    learncity_ops::init_logging(config.log.format == LogFormat::Json, &config.log.filter);
    let stop = learncity_ops::shutdown_on_signal();
    let store = crate::catalog::open_store(&config).await?;
    tracing::info!(store = %store.describe(), "catalogue service starting");
    let (bound, task) = learncity_serve::start(config.serve.clone(), store, stop).await.context("serve")?;
    tracing::info!(%bound, "open http://{bound}/");
    task.await.context("the catalogue service task")?;
    Ok(())
}
