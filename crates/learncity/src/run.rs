//! `learncity run`: the standalone mode — collector, catalog builder and catalogue service in
//! one process, for one small city on one machine without infrastructure.
//!
//! The stages are the daemons' own code; only the transport and the store differ: the
//! collector publishes through the in-process [`LocalBus`] (a hand-off acknowledged once the
//! builder's store transaction committed) instead of Kafka, and the catalogue store (by
//! default one SQLite file) also keeps the collector's fetch state, so a restart continues
//! where it stopped: unchanged providers are not fetched again before they are due, and then
//! with conditional requests.
//!
//! With a `[demo]` section the process also serves the demo city's fictional providers
//! (documents generated for today by [`learncity_citygen::demo`]) where the demo's provider
//! files point.
//!
//! Shutdown (SIGTERM, Ctrl-C) stops the stages in the order data flows: the collector first
//! (its runs in flight finish publishing), then the builder, then the service.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use learncity_bus::{LocalBus, Publish};
use learncity_collector::{Collector, Ownership, Shutdown, StoredStateStore};
use learncity_config::{Config, LogFormat};
use learncity_fetch::Fetcher;
use learncity_ops::CancellationToken;
use learncity_serve::health::{HealthSource, ProviderStatus};
use tokio::task::JoinHandle;

/// The in-process bus has one offerings partition: every provider's offerings can match.
const PARTITIONS: i32 = 1;

/// Collector runs whose events may wait for the builder at once.
const DELIVERY_QUEUE: usize = 16;

/// The provider health page from the fetch state kept in the store.
struct StoredHealth(Arc<StoredStateStore>);

impl HealthSource for StoredHealth {
    fn statuses(&self) -> Result<Vec<ProviderStatus>, String> {
        Ok(self.0.all().into_iter().map(crate::serve::provider_status).collect())
    }
}

/// A running standalone process.
pub struct Standalone {
    /// Where the catalogue is served.
    pub serve_addr: SocketAddr,
    /// Where the demo providers are served, with a `[demo]` section.
    pub demo_addr: Option<SocketAddr>,
    /// Ends when every stage has stopped (after `stop`), or with the first stage's failure.
    pub task: JoinHandle<anyhow::Result<()>>,
}

/// Runs the standalone mode until SIGTERM or Ctrl-C.
pub async fn run(config_path: &Path) -> anyhow::Result<()> {
    let config = learncity_config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    learncity_ops::init_logging(config.log.format == LogFormat::Json, &config.log.filter);
    let stop = learncity_ops::shutdown_on_signal();
    let running = start(config, stop).await?;
    tracing::info!(serve = %running.serve_addr, "open http://{}/", running.serve_addr);
    running.task.await.context("the standalone process")?
}

/// Starts every stage; they run until `stop` fires (tests drive it this way).
pub async fn start(config: Config, stop: CancellationToken) -> anyhow::Result<Standalone> {
    let config = Arc::new(config);
    let origin = config.path.display().to_string();

    let demo_stop = CancellationToken::new();
    let demo = match &config.demo {
        Some(demo) => {
            let listener = tokio::net::TcpListener::bind(demo.listen)
                .await
                .with_context(|| format!("cannot bind demo.listen {} (in {origin})", demo.listen))?;
            let addr = listener.local_addr()?;
            let city = Arc::new(learncity_citygen::demo(chrono::Utc::now().date_naive()));
            tracing::info!(%addr, documents = city.documents.len(), "serving the demo city's providers");
            let task = tokio::spawn(learncity_citygen::serve(city, listener, demo_stop.clone()));
            Some((addr, task))
        }
        None => None,
    };

    let store = crate::catalog::open_store(&config).await?;
    let bus = Arc::new(LocalBus::new());

    // The builder: subscribed before anything publishes.
    let deliveries = bus.subscribe(&config.kafka.offerings_topic, DELIVERY_QUEUE);
    let builder_stop = CancellationToken::new();
    let (builder_providers, providers_taken) = tokio::sync::watch::channel(learncity_builder::providers(&config));
    let mut builder = {
        let (config, store, bus, stop) =
            (Arc::clone(&config), Arc::clone(&store), Arc::clone(&bus), builder_stop.clone());
        tokio::spawn(async move {
            learncity_builder::local::run(&config, store, bus, deliveries, providers_taken, stop).await
        })
    };

    // The collector: owns every provider, keeps its fetch state in the store.
    let state = Arc::new(StoredStateStore::load(Arc::clone(&store)).await?);
    let collector_stop = CancellationToken::new();
    let fetcher = Arc::new(Fetcher::new(config.http.clone())?);
    let publish: Arc<dyn Publish> = bus;
    let collector = Arc::new(Collector::new(
        &config,
        fetcher,
        publish,
        Arc::clone(&state),
        Ownership::everything(),
        "standalone".to_owned(),
        PARTITIONS,
        Shutdown::new(collector_stop.clone()),
    ));
    // Provider files added, changed or removed are taken without a restart, by the collector
    // and by the builder.
    tokio::spawn(crate::registry::watch((*config).clone(), collector_stop.clone(), {
        let collector = Arc::clone(&collector);
        async move |read| {
            crate::registry::to_collector(&collector, &read);
            crate::registry::to_builder(&builder_providers, &read);
        }
    }));
    let mut collector = tokio::spawn(collector.run());

    // The service.
    let serve_stop = CancellationToken::new();
    let health: Arc<dyn HealthSource> = Arc::new(StoredHealth(state));
    let (serve_addr, serve) = learncity_serve::start(
        config.serve.clone(),
        store,
        Some(health),
        crate::serve::curation_context(&config),
        serve_stop.clone(),
    )
    .await
    .context("serve")?;
    tracing::info!(
        providers = config.providers.len(),
        store = %config.catalog.store,
        %serve_addr,
        "learncity running standalone"
    );

    let demo_addr = demo.as_ref().map(|(addr, _)| *addr);
    let task = tokio::spawn(async move {
        // A stage that ends on its own has failed: stop the others and report it.
        let early = tokio::select! {
            () = stop.cancelled() => None,
            r = &mut collector => Some(("collector", flatten(r))),
            r = &mut builder => Some(("catalog builder", flatten(r))),
        };
        let failure = match early {
            Some((stage, result)) => {
                collector_stop.cancel();
                builder_stop.cancel();
                Some(
                    result
                        .err()
                        .unwrap_or_else(|| anyhow::anyhow!("it stopped unasked"))
                        .context(format!("the {stage}")),
                )
            }
            None => {
                tracing::info!("stopping: the collector (runs in flight finish), then the builder, then the service");
                collector_stop.cancel();
                let collected = flatten(collector.await).context("the collector");
                builder_stop.cancel();
                let built = flatten(builder.await).context("the catalog builder");
                collected.and(built).err()
            }
        };
        serve_stop.cancel();
        let _ = serve.await;
        demo_stop.cancel();
        if let Some((_, task)) = demo {
            let _ = task.await;
        }
        tracing::info!("learncity stopped");
        failure.map_or(Ok(()), Err)
    });
    Ok(Standalone { serve_addr, demo_addr, task })
}

/// A stage task's result as one error.
fn flatten<E: Into<anyhow::Error>>(r: Result<Result<(), E>, tokio::task::JoinError>) -> anyhow::Result<()> {
    r.map_err(anyhow::Error::from)?.map_err(Into::into)
}
