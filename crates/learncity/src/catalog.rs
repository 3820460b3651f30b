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
    // Provider files changed: the builder takes each provider's priority, role and city again.
    let (providers, taken) = tokio::sync::watch::channel(learncity_builder::providers(&config));
    let watch_stop = CancellationToken::new();
    let registry = tokio::spawn(crate::registry::watch(config.clone(), watch_stop.clone(), async move |read| {
        crate::registry::to_builder(&providers, &read);
    }));
    let result = learncity_builder::run(&config, store, readiness.clone(), taken, stop).await;
    watch_stop.cancel();
    let _ = registry.await;
    readiness.set_not_ready("shutting down");
    ops_stop.cancel();
    let _ = ops_task.await;
    result.context("catalog builder")
}

/// `catalog explain`: why entry `entry` holds its sources, or why the two sources of `pair`
/// are or are not one entry, from the store (a running or stopped builder's).
pub async fn explain(
    config_path: &Path,
    entry: Option<&str>,
    pair: Option<&[String]>,
    as_json: bool,
) -> anyhow::Result<()> {
    let config = learncity_config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = open_store(&config).await?;
    let mut rules = learncity_builder::rules(&config);
    rules.curation = learncity_catalog::curation::Curation::new(
        store.decisions().await.context("reading the operators' decisions")?,
    );
    let sources = store.sources().await.context("reading the sources")?;
    let find = |key: &str| {
        sources.iter().find(|s| s.key == key).with_context(|| {
            format!("no source `{key}` in the store (keys are provider/source, as `catalog export` lists them)")
        })
    };
    let (text, value) = match (entry, pair) {
        (_, Some([a, b])) => {
            let (a, b) = (find(a)?, find(b)?);
            learncity_builder::explain::pair(
                &a.offering,
                &b.offering,
                (a.entry_id.as_deref(), b.entry_id.as_deref()),
                &rules,
            )
        }
        (Some(id), _) => {
            let record = store.entry(id).await.context("reading the entry")?;
            let Some(e) = record.and_then(|r| r.entry) else {
                anyhow::bail!("no live entry `{id}` in the store (ids are e-…, as `catalog export` lists them)");
            };
            let members: Vec<&learncity_model::Offering> =
                e.sources.iter().map(|s| find(&s.key).map(|r| &r.offering)).collect::<anyhow::Result<_>>()?;
            learncity_builder::explain::entry(&e, &members, &rules)
        }
        _ => anyhow::bail!("give an entry id or --pair KEY KEY"),
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{text}");
    }
    Ok(())
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

/// `learncity backup --to FILE`: a consistent copy of the store, taken while it is in use.
pub async fn backup(config_path: &Path, to: &Path) -> anyhow::Result<std::process::ExitCode> {
    let config = learncity_config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = open_store(&config).await?;
    store.backup(to).await?;
    let size = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    println!(
        "backed up {} to {} ({size} bytes); to restore, stop the builders and serve, put it back as the store file \
         (without its -wal and -shm files) and start them: they read on from the copy's offsets",
        store.describe(),
        to.display()
    );
    Ok(std::process::ExitCode::SUCCESS)
}
