//! The HTTP server under the catalogue: an accept loop of its own over hyper's HTTP/1
//! connections, so that every limit against many or slow clients sits in one place
//! (`axum::serve` sets no header-read timeout and accepts until the process runs out of file
//! descriptors).
//!
//! - At most [`ConnectionLimits::max_connections`] client connections are open at once. At the
//!   limit the loop stops accepting until one closes: new clients wait in the kernel's listen
//!   backlog instead of the process running out of file descriptors. [`connection_limit`] caps
//!   the configured number at three quarters of the open-file limit the process runs under.
//! - `header-read-timeout`: hyper closes a connection whose request line and headers have not
//!   all arrived in time, counted from when the connection starts waiting for a request (a new
//!   connection, or a kept-alive one between two requests). This is what ends slowloris clients.
//! - `idle-timeout`: a connection on which no byte moves either way for this long is closed (a
//!   client that stops reading its answer, a stalled request body).
//! - `request-timeout` is a layer on the router (see `crate::app`), not here.
//! - At `stop` the loop stops accepting and closes the listener; each open connection finishes
//!   the request in hand (hyper's graceful shutdown) and is dropped after at most
//!   [`ConnectionLimits::shutdown_grace`] more.
//!
//! Each request carries the client's address as axum's `ConnectInfo<SocketAddr>`, which the
//! API's per-client rate limit keys on.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use learncity_ops::CancellationToken;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::task::TaskTracker;
use tower::ServiceExt as _;

/// How the server treats client connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most connections open at once.
    pub max_connections: usize,
    /// Longest wait for a request's line and headers.
    pub header_read_timeout: Duration,
    /// Longest time a connection may go without a byte moving either way.
    pub idle_timeout: Duration,
    /// Longest time a connection may stay open after the stop signal.
    pub shutdown_grace: Duration,
}

/// The number of connections to allow: `configured`, but at most three quarters of the
/// process's open-file limit (when it has one), so the store, the Kafka client and the logs
/// always have descriptors left.
pub fn connection_limit(configured: usize, open_file_limit: Option<u64>) -> usize {
    match open_file_limit {
        Some(files) => {
            let share = usize::try_from(files / 4 * 3).unwrap_or(usize::MAX).max(1);
            configured.min(share)
        }
        None => configured,
    }
}

/// The soft open-file limit (`RLIMIT_NOFILE`) of this process, when it is finite and can be read.
pub fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let (soft, _hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).ok()?;
        (soft != rlimit::INFINITY).then_some(soft)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Raises this process's soft open-file limit to its hard limit (at most 1 048 576, Linux's
/// default `fs.nr_open`), as Go programs do at start: distribution and container defaults often
/// leave the soft limit at 1024 whatever the hard one. Returns the soft limit now in force.
pub fn raise_open_file_limit() -> std::io::Result<u64> {
    #[cfg(unix)]
    {
        rlimit::increase_nofile_limit(1 << 20)
    }
    #[cfg(not(unix))]
    {
        Ok(u64::MAX)
    }
}

/// Serves `app` on `listener` under `limits` until `stop`; returns once every connection has
/// closed.
pub async fn serve(listener: TcpListener, app: Router, limits: ConnectionLimits, stop: CancellationToken) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let connections = TaskTracker::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let mut at_limit = false;
    loop {
        let permit = match Arc::clone(&permits).try_acquire_owned() {
            Ok(permit) => {
                at_limit = false;
                permit
            }
            Err(_) => {
                if !at_limit {
                    at_limit = true;
                    metrics::counter!("learncity_serve_connection_limit_reached_total").increment(1);
                    tracing::warn!(
                        limit = limits.max_connections,
                        "connection limit reached: not accepting until a connection closes"
                    );
                }
                tokio::select! {
                    permit = Arc::clone(&permits).acquire_owned() => permit.expect("the semaphore is never closed"),
                    () = stop.cancelled() => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors (another part of the process took them) or
                    // out of memory: wait instead of spinning, as axum::serve does.
                    tracing::warn!(error = %e, "cannot accept a connection; trying again in 100 ms");
                    drop(permit);
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(100)) => continue,
                        () = stop.cancelled() => break,
                    }
                }
            },
            () = stop.cancelled() => break,
        };
        connections.spawn(connection(http.clone(), stream, peer, app.clone(), limits, stop.clone(), permit));
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}

/// One client connection, holding its `permit` until it closes.
async fn connection(
    http: hyper::server::conn::http1::Builder,
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    stop: CancellationToken,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let activity = Activity::new();
    let io = TokioIo::new(Watched { inner: stream, activity: Arc::clone(&activity) });
    let app = app.map_request(move |mut request: axum::http::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let conn = http.serve_connection(io, TowerToHyperService::new(app));
    tokio::pin!(conn);
    metrics::gauge!("learncity_serve_connections_open").increment(1.0);
    let mut grace_until: Option<Instant> = None;
    let reason = loop {
        let idle_until = activity.last() + limits.idle_timeout;
        let wake = grace_until.map_or(idle_until, |g| g.min(idle_until));
        tokio::select! {
            result = conn.as_mut() => break match result {
                Ok(()) => "done",
                Err(e) if e.is_timeout() => "header_read_timeout",
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "connection error");
                    "error"
                }
            },
            () = stop.cancelled(), if grace_until.is_none() => {
                conn.as_mut().graceful_shutdown();
                grace_until = Some(Instant::now() + limits.shutdown_grace);
            }
            () = tokio::time::sleep_until(wake) => {
                let now = Instant::now();
                if grace_until.is_some_and(|g| now >= g) {
                    break "shutdown";
                }
                if activity.last() + limits.idle_timeout <= now {
                    break "idle_timeout";
                }
            }
        }
    };
    metrics::gauge!("learncity_serve_connections_open").decrement(1.0);
    metrics::counter!("learncity_serve_connections_closed_total", "reason" => reason).increment(1);
    tracing::debug!(%peer, reason, "connection closed");
}

/// When a byte last moved on a connection, as milliseconds after `origin`.
struct Activity {
    origin: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Arc<Self> {
        Arc::new(Activity { origin: Instant::now(), last_ms: AtomicU64::new(0) })
    }

    fn touch(&self) {
        let ms = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.origin + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

/// A stream that records in [`Activity`] each time bytes are read or written.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;

    const PATIENCE: Duration = Duration::from_secs(30);

    fn limits(max_connections: usize, header_read_timeout: Duration, idle_timeout: Duration) -> ConnectionLimits {
        ConnectionLimits {
            max_connections,
            header_read_timeout,
            idle_timeout,
            shutdown_grace: Duration::from_millis(200),
        }
    }

    async fn start(limits: ConnectionLimits) -> (SocketAddr, CancellationToken, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route(
            "/",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { format!("hello {}", peer.ip()) }),
        );
        let stop = CancellationToken::new();
        let task = tokio::spawn(serve(listener, app, limits, stop.clone()));
        (addr, stop, task)
    }

    /// A request line and half a header, then nothing.
    async fn stalled(addr: SocketAddr) -> TcpStream {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
        s
    }

    /// Whether the server closes `s` (end of file or reset) within `wait`, whatever it sends first.
    async fn closed_within(s: &mut TcpStream, wait: Duration) -> bool {
        let mut buf = [0u8; 512];
        tokio::time::timeout(wait, async {
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await
        .is_ok()
    }

    async fn get_root(addr: SocketAddr) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).await.unwrap();
        answer
    }

    #[test]
    fn the_connection_limit_leaves_a_quarter_of_the_file_limit() {
        assert_eq!(connection_limit(8192, Some(256)), 192);
        assert_eq!(connection_limit(8192, Some(1024)), 768);
        assert_eq!(connection_limit(8192, Some(65536)), 8192);
        assert_eq!(connection_limit(100, None), 100);
        assert_eq!(connection_limit(100, Some(0)), 1);
    }

    #[tokio::test]
    async fn a_client_that_never_finishes_its_headers_is_closed_after_the_header_read_timeout() {
        let (addr, stop, _task) = start(limits(16, Duration::from_millis(300), Duration::from_secs(60))).await;
        let mut slow = stalled(addr).await;
        assert!(closed_within(&mut slow, PATIENCE).await, "the stalled connection is still open");
        // A byte every so often does not extend it either: the headers must all be in in time.
        let mut dripping = TcpStream::connect(addr).await.unwrap();
        let drip = async {
            for b in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
                if dripping.write_all(&[*b]).await.is_err() {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        };
        assert!(drip.await, "a client dripping its headers byte by byte was never cut off");
        assert!(get_root(addr).await.starts_with("HTTP/1.1 200"));
        stop.cancel();
    }

    #[tokio::test]
    async fn a_silent_connection_is_closed_after_the_idle_timeout() {
        // Headers may take a minute, so only the idle timeout can close it.
        let (addr, stop, _task) = start(limits(16, Duration::from_secs(60), Duration::from_millis(300))).await;
        let mut silent = TcpStream::connect(addr).await.unwrap();
        assert!(closed_within(&mut silent, PATIENCE).await, "the silent connection is still open");
        stop.cancel();
    }

    #[tokio::test]
    async fn at_the_connection_limit_a_new_client_waits_until_a_connection_closes() {
        let (addr, stop, _task) = start(limits(2, Duration::from_secs(60), Duration::from_secs(60))).await;
        let first = stalled(addr).await;
        let _second = stalled(addr).await;
        let waiting = tokio::spawn(get_root(addr));
        // Both slots are taken for a minute: the third client is not served meanwhile.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!waiting.is_finished(), "a third connection was served at a limit of 2");
        drop(first);
        let answer = tokio::time::timeout(PATIENCE, waiting).await.expect("served once a slot freed").unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("hello 127.0.0.1"), "the handler sees the client's address: {answer}");
        stop.cancel();
    }

    #[tokio::test]
    async fn stop_closes_the_listener_and_every_connection_within_the_grace() {
        let (addr, stop, task) = start(limits(16, Duration::from_secs(60), Duration::from_secs(60))).await;
        let mut slow = stalled(addr).await;
        assert!(get_root(addr).await.starts_with("HTTP/1.1 200"));
        stop.cancel();
        tokio::time::timeout(PATIENCE, task).await.expect("serve returns after stop").unwrap();
        assert!(closed_within(&mut slow, PATIENCE).await, "a connection outlived the server");
        assert!(TcpStream::connect(addr).await.is_err(), "the listener is closed");
    }
}
