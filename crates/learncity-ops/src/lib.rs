//! # learncity-ops: what every learncity daemon shares for operations
//!
//! - [`init_logging`]: `tracing` to stderr, human-readable or one JSON object per line;
//! - [`install_metrics`]: the global `metrics` recorder, rendered in Prometheus text format;
//! - [`serve_ops`]: `/healthz` (the process answers), `/readyz` (its dependencies answer:
//!   the daemon sets [`Readiness`]), `/metrics`;
//! - [`shutdown_on_signal`]: a [`CancellationToken`] cancelled by SIGTERM or Ctrl-C, which the
//!   daemon's loops watch to stop taking work, finish what is in flight and flush.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
pub use tokio_util::sync::CancellationToken;

/// Failures of the operations endpoints.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// The listen address is taken or not allowed.
    #[error("cannot listen on {addr} for /healthz, /readyz and /metrics: {source}; choose another `listen` address")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The global metrics recorder could not be installed.
    #[error("cannot install the Prometheus metrics recorder: {0}")]
    Metrics(String),
}

/// Sets up `tracing`: the filter is `LEARNCITY_LOG` when set, else `filter`; `json` writes one
/// JSON object per line. Calling it twice keeps the first setup.
pub fn init_logging(json: bool, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEARNCITY_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _already_set = if json { builder.json().flatten_event(true).try_init() } else { builder.try_init() };
}

/// Installs the process-wide metrics recorder (once) and returns the handle that renders it.
pub fn install_metrics() -> Result<PrometheusHandle, OpsError> {
    // A mutex, not a once-cell: two threads installing at once must not both try.
    static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
    let mut slot = HANDLE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(handle) = slot.as_ref() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new().install_recorder().map_err(|e| OpsError::Metrics(e.to_string()))?;
    *slot = Some(handle.clone());
    Ok(handle)
}

/// Whether the daemon can do its work, and if not, why (`/readyz` answers 503 with the reason).
#[derive(Clone, Debug)]
pub struct Readiness(Arc<RwLock<Result<(), String>>>);

impl Default for Readiness {
    fn default() -> Self {
        Self(Arc::new(RwLock::new(Err("starting".to_owned()))))
    }
}

impl Readiness {
    /// Marks the daemon ready.
    pub fn set_ready(&self) {
        self.set(Ok(()));
    }

    /// Marks it not ready, with the reason.
    pub fn set_not_ready(&self, reason: impl Into<String>) {
        self.set(Err(reason.into()));
    }

    fn set(&self, state: Result<(), String>) {
        match self.0.write() {
            Ok(mut guard) => *guard = state,
            Err(poisoned) => *poisoned.into_inner() = state,
        }
    }

    /// The current state.
    pub fn get(&self) -> Result<(), String> {
        match self.0.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

#[derive(Clone)]
struct OpsState {
    readiness: Readiness,
    metrics: PrometheusHandle,
}

/// The operations routes (to merge into a bigger router, or serve alone with [`serve_ops`]).
pub fn ops_router(readiness: Readiness, metrics: PrometheusHandle) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        .with_state(OpsState { readiness, metrics })
}

async fn readyz(State(state): State<OpsState>) -> impl IntoResponse {
    match state.readiness.get() {
        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {reason}\n")),
    }
}

async fn render_metrics(State(state): State<OpsState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}

/// Binds `addr` and serves the operations routes until `cancel` fires. Returns the bound
/// address (useful with port 0) and the server task.
pub async fn serve_ops(
    addr: SocketAddr,
    readiness: Readiness,
    metrics: PrometheusHandle,
    cancel: CancellationToken,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), OpsError> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| OpsError::Bind { addr, source })?;
    let bound = listener.local_addr().map_err(|source| OpsError::Bind { addr, source })?;
    let app = ops_router(readiness, metrics);
    let task = tokio::spawn(async move {
        let shutdown = cancel.cancelled_owned();
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::error!(error = %e, "the operations endpoint stopped");
        }
    });
    tracing::info!(%bound, "serving /healthz, /readyz and /metrics");
    Ok((bound, task))
}

/// A token cancelled on SIGTERM or SIGINT (Ctrl-C). A second signal exits at once.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested: finishing work in flight");
        cancel.cancel();
        wait_for_signal().await;
        tracing::warn!("second signal: exiting at once");
        std::process::exit(130);
    });
    token
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGTERM; only Ctrl-C stops this process gracefully");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_health_readiness_and_metrics() {
        let handle = install_metrics().unwrap();
        metrics::counter!("learncity_ops_test_total", "kind" => "x").increment(3);
        let readiness = Readiness::default();
        let cancel = CancellationToken::new();
        let (addr, task) =
            serve_ops(SocketAddr::from(([127, 0, 0, 1], 0)), readiness.clone(), handle, cancel.clone()).await.unwrap();
        let base = format!("http://{addr}");
        let client = reqwest::Client::new();
        let get = |path: &'static str| {
            let client = client.clone();
            let url = format!("{base}{path}");
            async move {
                let r = client.get(url).send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        assert_eq!(get("/healthz").await, (200, "ok\n".to_owned()));
        assert_eq!(get("/readyz").await, (503, "not ready: starting\n".to_owned()));
        readiness.set_not_ready("broker 127.0.0.1:9 unreachable");
        assert_eq!(get("/readyz").await.1, "not ready: broker 127.0.0.1:9 unreachable\n");
        readiness.set_ready();
        assert_eq!(get("/readyz").await, (200, "ready\n".to_owned()));
        let (status, body) = get("/metrics").await;
        assert_eq!(status, 200);
        assert!(body.contains("learncity_ops_test_total{kind=\"x\"} 3"), "{body}");

        cancel.cancel();
        task.await.unwrap();
        assert!(client.get(format!("{base}/healthz")).send().await.is_err(), "the server stopped");
    }

    #[test]
    fn a_second_bind_of_a_taken_port_names_the_address() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = taken.local_addr().unwrap();
            let err = serve_ops(addr, Readiness::default(), install_metrics().unwrap(), CancellationToken::new())
                .await
                .unwrap_err();
            assert!(err.to_string().contains(&addr.to_string()), "{err}");
        });
    }
}
