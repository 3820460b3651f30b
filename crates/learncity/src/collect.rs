//! `learncity collect`: the collector daemon — config, logging, metrics, health endpoints,
//! the Kafka clients, group membership, and the scheduling loop, until SIGTERM.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use learncity_bus::{BusError, Producer};
use learncity_collector::{Collector, GroupMember, KafkaStateStore, Ownership, Shutdown};
use learncity_config::{Config, LogFormat};
use learncity_fetch::Fetcher;
use learncity_ops::{CancellationToken, Readiness};

/// Runs the collector until SIGTERM or Ctrl-C.
pub async fn run(config_path: &Path) -> anyhow::Result<()> {
    let config = learncity_config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    learncity_ops::init_logging(config.log.format == LogFormat::Json, &config.log.filter);
    let stop = learncity_ops::shutdown_on_signal();
    run_until(config, stop).await
}

/// Runs the collector until `stop` fires (tests drive it this way).
pub async fn run_until(config: Config, stop: CancellationToken) -> anyhow::Result<()> {
    let metrics = learncity_ops::install_metrics()?;
    let readiness = Readiness::default();
    let ops_stop = CancellationToken::new();
    let (ops_addr, ops_task) =
        learncity_ops::serve_ops(config.collector.listen, readiness.clone(), metrics, ops_stop.clone()).await?;
    let instance = config.collector.instance_id.clone().unwrap_or_else(default_instance);
    tracing::info!(%instance, ops = %ops_addr, providers = config.providers.len(), brokers = %config.kafka.brokers, "collector starting");

    let shutdown = Shutdown::new(stop.clone());
    let producer = Producer::new(&config.kafka)?;
    let Some((offerings_partitions, providers_partitions)) =
        wait_for_topics(&config, &producer, &readiness, &stop).await?
    else {
        ops_stop.cancel();
        return Ok(());
    };
    let state = Arc::new(KafkaStateStore::start(&config.kafka, producer.clone(), shutdown.abandon.clone()).await?);
    let ownership = Ownership::partitioned(providers_partitions);
    let member = GroupMember::join(
        &config.kafka,
        &config.collector.group_id,
        &instance,
        Arc::clone(&ownership),
        config.collector.shutdown_timeout,
    )?;
    let fetcher = Arc::new(Fetcher::new(config.http.clone())?);
    let collector = Arc::new(Collector::new(
        &config,
        fetcher,
        Arc::new(producer.clone()),
        Arc::clone(&state),
        ownership,
        instance.clone(),
        offerings_partitions,
        shutdown.clone(),
    ));
    collector.publish_registry(providers_partitions).await?;
    // Provider files added, changed or removed are taken without a restart, and published.
    let registry = tokio::spawn(crate::registry::watch(config.clone(), stop.clone(), {
        let collector = Arc::clone(&collector);
        async move |read| {
            if crate::registry::to_collector(&collector, &read).is_some()
                && let Err(e) = collector.publish_registry(providers_partitions).await
            {
                tracing::warn!(error = %e, "cannot publish the provider registry; it is published again at the next change");
            }
        }
    }));

    // Readiness follows the brokers.
    let probe = {
        let producer = producer.clone();
        let readiness = readiness.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            loop {
                match producer.check_reachable(Duration::from_secs(5)).await {
                    Ok(()) => readiness.set_ready(),
                    Err(e) => readiness.set_not_ready(e.to_string()),
                }
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(5)) => {}
                    () = stop.cancelled() => return,
                }
            }
        })
    };

    let result = collector.run().await;
    registry.abort();
    readiness.set_not_ready("shutting down");
    probe.abort();
    // Leave the group first, so the other instances take the providers over at once.
    let mut member = member;
    tokio::task::spawn_blocking(move || member.stop()).await.ok();
    if let Err(e) = producer.flush(config.collector.shutdown_timeout).await {
        tracing::warn!(error = %e, "records left unflushed at shutdown; they are published again on the next run");
    }
    state.stop();
    ops_stop.cancel();
    let _ = ops_task.await;
    tracing::info!(%instance, "collector stopped");
    result.context("collector")
}

/// Waits until the brokers answer and the topics exist; `None` when stopped meanwhile. A
/// missing topic is an error (`learncity topics ensure` creates them); unreachable brokers
/// are waited for, with readiness saying why.
async fn wait_for_topics(
    config: &Config,
    producer: &Producer,
    readiness: &Readiness,
    stop: &CancellationToken,
) -> anyhow::Result<Option<(i32, i32)>> {
    loop {
        let counts = async {
            let offerings = producer.partition_count(&config.kafka.offerings_topic).await?;
            let providers = producer.partition_count(&config.kafka.providers_topic).await?;
            producer.partition_count(&config.kafka.collector_state_topic).await?;
            Ok::<_, BusError>((offerings, providers))
        };
        match counts.await {
            Ok(counts) => return Ok(Some(counts)),
            Err(e @ BusError::MissingTopic { .. }) => return Err(e.into()),
            Err(e) => {
                tracing::warn!(error = %e, "waiting for the Kafka brokers");
                readiness.set_not_ready(e.to_string());
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
            () = stop.cancelled() => return Ok(None),
        }
    }
}

/// `HOSTNAME-PID`: unique among instances, readable in logs.
fn default_instance() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "collector".to_owned());
    format!("{host}-{}", std::process::id())
}
