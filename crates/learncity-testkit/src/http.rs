//! A fixture HTTP server for fetch tests: content with validators (ETag, Last-Modified, 304 on
//! `If-None-Match` / `If-Modified-Since`), injected faults, and a log of every request.
//!
//! It runs in-process (axum on 127.0.0.1:0) on the current tokio runtime; every method but
//! [`FixtureServer::start`] is synchronous and may be called while it serves.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use futures_util::stream;
use sha2::{Digest, Sha256};

pub use crate::fixture;

/// A fault injected at a path (it replaces the content set there until [`FixtureServer::clear_fault`]
/// or [`FixtureServer::remove`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// That status, with a short text body (e.g. 500).
    Status(u16),
    /// 429 with `Retry-After: <retry_after_secs>`.
    TooManyRequests { retry_after_secs: u64 },
    /// 200 with a body that trickles forever at about that rate (the path's content, repeated, or `a`s).
    SlowDrip { bytes_per_sec: usize },
    /// 200 with a chunked body (no Content-Length) of that many bytes, streamed, never held in memory.
    Oversized { bytes: u64 },
    /// 200 with `Content-Encoding: gzip`: a tiny gzip body that inflates to that many zero bytes.
    GzipBomb { decompressed_bytes: u64 },
    /// 302 to the same path, forever.
    RedirectLoop,
    /// 302 to this absolute URL.
    RedirectTo(String),
    /// That status for the first `times` requests, then the content set with `set` for the path.
    FailTimes { times: u32, status: u16 },
}

/// A request the server saw.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    /// The request path (without query).
    pub path: String,
    pub at: Instant,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub user_agent: Option<String>,
}

impl SeenRequest {
    /// Whether the request carried a validator (`If-None-Match` or `If-Modified-Since`).
    pub fn is_conditional(&self) -> bool {
        self.if_none_match.is_some() || self.if_modified_since.is_some()
    }
}

#[derive(Debug, Clone)]
struct Resource {
    content_type: String,
    body: Bytes,
    /// Quoted strong ETag; `None` when served without validators.
    etag: Option<String>,
    /// Whole seconds (HTTP dates have no finer resolution); `None` when served without validators.
    last_modified: Option<SystemTime>,
}

#[derive(Debug)]
struct ActiveFault {
    fault: Fault,
    /// Requests answered with the fault so far (for `FailTimes`).
    served: u32,
    /// The compressed body of a `GzipBomb`, built once when the fault is set.
    gzip: Option<Bytes>,
}

#[derive(Debug, Default)]
struct ServerState {
    resources: HashMap<String, Resource>,
    faults: HashMap<String, ActiveFault>,
    requests: Vec<SeenRequest>,
}

#[derive(Debug, Default)]
struct Inner {
    state: Mutex<ServerState>,
    /// Set when the server is dropped: endless bodies (slow drip) stop.
    closed: AtomicBool,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, ServerState> {
        // A test that panicked while holding the lock must not hide the server from the others.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The fixture server. Dropping it stops accepting connections and ends endless bodies.
#[derive(Debug)]
pub struct FixtureServer {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl FixtureServer {
    /// Binds 127.0.0.1:0 and serves on the current tokio runtime.
    pub async fn start() -> FixtureServer {
        Self::start_on(std::net::Ipv4Addr::LOCALHOST.into()).await
    }

    /// Binds `ip` on port 0 (another loopback address such as 127.0.0.2 or `::1`: a second "host" to
    /// redirect to) and serves on the current tokio runtime.
    pub async fn start_on(ip: std::net::IpAddr) -> FixtureServer {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.expect("binding the fixture server");
        let addr = listener.local_addr().expect("fixture server address");
        let inner = Arc::new(Inner::default());
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "fixture server stopped");
            }
        });
        FixtureServer { addr, inner, task }
    }

    /// `http://ADDRESS:PORT/path` (`http://127.0.0.1:PORT/path` unless started elsewhere; a missing leading `/`
    /// is added; a query is kept).
    pub fn url(&self, path: &str) -> url::Url {
        let path = normalise(path);
        url::Url::parse(&format!("http://{}{path}", self.addr))
            .unwrap_or_else(|e| panic!("bad fixture path {path:?}: {e}"))
    }

    /// Serves `body` at `path` with `content_type`, with validators: ETag = quoted hex prefix of the
    /// body's SHA-256, Last-Modified = when it was set (`If-None-Match` / `If-Modified-Since` get 304).
    ///
    /// May be called again to change the content while running. Setting the same body again keeps the
    /// validators; a new body gets a Last-Modified at least one second after the previous one, so a
    /// client validating with `If-Modified-Since` alone sees the change even within the same second.
    pub fn set(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) {
        let body = Bytes::from(body.into());
        let etag = etag_of(&body);
        let mut state = self.inner.lock();
        let path = normalise(path);
        let previous = state.resources.get(&path);
        if let Some(previous) = previous
            && previous.etag.as_deref() == Some(etag.as_str())
            && previous.content_type == content_type
        {
            return;
        }
        let now = whole_seconds(SystemTime::now());
        let last_modified = match previous.and_then(|p| p.last_modified) {
            Some(before) if before >= now => before + Duration::from_secs(1),
            _ => now,
        };
        let resource = Resource {
            content_type: content_type.to_string(),
            body,
            etag: Some(etag),
            last_modified: Some(last_modified),
        };
        state.resources.insert(path, resource);
    }

    /// Like [`FixtureServer::set`], but the response has no ETag and no Last-Modified (a server
    /// without validators: it never answers 304).
    pub fn set_without_validators(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) {
        let resource = Resource {
            content_type: content_type.to_string(),
            body: Bytes::from(body.into()),
            etag: None,
            last_modified: None,
        };
        self.inner.lock().resources.insert(normalise(path), resource);
    }

    /// Removes the content and any fault at `path`: it answers 404.
    pub fn remove(&self, path: &str) {
        let path = normalise(path);
        let mut state = self.inner.lock();
        state.resources.remove(&path);
        state.faults.remove(&path);
    }

    /// Serves `text` as `/robots.txt` (404 while never set).
    pub fn set_robots(&self, text: &str) {
        self.set("/robots.txt", "text/plain; charset=utf-8", text);
    }

    /// Injects `fault` at `path` (replacing any earlier fault there; the content set with `set` stays
    /// and is served again after [`FixtureServer::clear_fault`], or after `FailTimes` is used up).
    pub fn fault(&self, path: &str, fault: Fault) {
        let gzip = match &fault {
            Fault::GzipBomb { decompressed_bytes } => Some(gzip_zeros(*decompressed_bytes)),
            _ => None,
        };
        self.inner.lock().faults.insert(normalise(path), ActiveFault { fault, served: 0, gzip });
    }

    /// Removes the fault at `path`: its content (or 404) is served again.
    pub fn clear_fault(&self, path: &str) {
        self.inner.lock().faults.remove(&normalise(path));
    }

    /// Every request seen, in order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.inner.lock().requests.clone()
    }

    /// The requests seen to `path` (without query), in order.
    pub fn requests_to(&self, path: &str) -> Vec<SeenRequest> {
        let path = normalise(path);
        let path = path.split('?').next().unwrap_or_default();
        self.inner.lock().requests.iter().filter(|r| r.path == path).cloned().collect()
    }

    /// Forgets the requests seen so far.
    pub fn clear_requests(&self) {
        self.inner.lock().requests.clear();
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.inner.closed.store(true, Ordering::Relaxed);
        self.task.abort();
    }
}

fn normalise(path: &str) -> String {
    if path.starts_with('/') { path.to_string() } else { format!("/{path}") }
}

fn etag_of(body: &[u8]) -> String {
    let digest = hex::encode(Sha256::digest(body));
    format!("\"{}\"", &digest[..16])
}

fn whole_seconds(time: SystemTime) -> SystemTime {
    let secs = time.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// What to answer, decided under the lock; bodies are built after it is released.
enum Plan {
    NotFound,
    Status(u16),
    TooManyRequests(u64),
    SlowDrip { bytes_per_sec: usize, content: Option<Bytes>, content_type: String },
    Oversized { bytes: u64, content_type: String },
    GzipBomb { gzip: Bytes, content_type: String },
    Redirect(String),
    Content { resource: Resource, not_modified: bool },
}

async fn handle(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let headers = request.headers();
    let path = request.uri().path().to_string();
    let seen = SeenRequest {
        path: path.clone(),
        at: Instant::now(),
        if_none_match: header_string(headers, header::IF_NONE_MATCH),
        if_modified_since: header_string(headers, header::IF_MODIFIED_SINCE),
        user_agent: header_string(headers, header::USER_AGENT),
    };
    let plan = {
        let mut state = inner.lock();
        state.requests.push(seen.clone());
        plan(&mut state, &path, &seen)
    };
    match plan {
        Plan::NotFound => (StatusCode::NOT_FOUND, "not found\n").into_response(),
        Plan::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, format!("injected fault: status {code}\n")).into_response()
        }
        Plan::TooManyRequests(secs) => {
            (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, secs.to_string())], "slow down\n").into_response()
        }
        Plan::SlowDrip { bytes_per_sec, content, content_type } => {
            let body = slow_drip(inner.clone(), bytes_per_sec, content);
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Plan::Oversized { bytes, content_type } => {
            ([(header::CONTENT_TYPE, content_type)], oversized(bytes)).into_response()
        }
        Plan::GzipBomb { gzip, content_type } => {
            ([(header::CONTENT_TYPE, content_type), (header::CONTENT_ENCODING, "gzip".to_string())], gzip)
                .into_response()
        }
        Plan::Redirect(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Plan::Content { resource, not_modified } => {
            let mut response = if not_modified {
                StatusCode::NOT_MODIFIED.into_response()
            } else {
                ([(header::CONTENT_TYPE, resource.content_type.clone())], resource.body.clone()).into_response()
            };
            let headers = response.headers_mut();
            if let Some(etag) = &resource.etag
                && let Ok(value) = HeaderValue::from_str(etag)
            {
                headers.insert(header::ETAG, value);
            }
            if let Some(time) = resource.last_modified
                && let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(time))
            {
                headers.insert(header::LAST_MODIFIED, value);
            }
            response
        }
    }
}

fn plan(state: &mut ServerState, path: &str, seen: &SeenRequest) -> Plan {
    let resource = state.resources.get(path).cloned();
    let content_type =
        resource.as_ref().map(|r| r.content_type.clone()).unwrap_or_else(|| "application/octet-stream".to_string());
    if let Some(active) = state.faults.get_mut(path) {
        match &active.fault {
            Fault::Status(code) => return Plan::Status(*code),
            Fault::TooManyRequests { retry_after_secs } => return Plan::TooManyRequests(*retry_after_secs),
            Fault::SlowDrip { bytes_per_sec } => {
                let content = resource.map(|r| r.body).filter(|b| !b.is_empty());
                return Plan::SlowDrip { bytes_per_sec: *bytes_per_sec, content, content_type };
            }
            Fault::Oversized { bytes } => return Plan::Oversized { bytes: *bytes, content_type },
            Fault::GzipBomb { .. } => {
                let gzip = active.gzip.clone().unwrap_or_default();
                return Plan::GzipBomb { gzip, content_type };
            }
            Fault::RedirectLoop => return Plan::Redirect(path.to_string()),
            Fault::RedirectTo(url) => return Plan::Redirect(url.clone()),
            Fault::FailTimes { times, status } => {
                if active.served < *times {
                    active.served += 1;
                    return Plan::Status(*status);
                }
            }
        }
    }
    match resource {
        None => Plan::NotFound,
        Some(resource) => {
            let not_modified = not_modified(&resource, seen);
            Plan::Content { resource, not_modified }
        }
    }
}

/// RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since when both are present.
fn not_modified(resource: &Resource, seen: &SeenRequest) -> bool {
    if let Some(if_none_match) = &seen.if_none_match {
        let Some(etag) = &resource.etag else { return false };
        return if_none_match.split(',').map(str::trim).any(|candidate| {
            // Weak comparison: W/"x" matches "x".
            candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
        });
    }
    if let (Some(since), Some(modified)) = (&seen.if_modified_since, resource.last_modified)
        && let Ok(since) = httpdate::parse_http_date(since)
    {
        return modified <= since;
    }
    false
}

/// A body that never ends: about `bytes_per_sec` bytes a second until the client goes away or the server
/// is dropped.
fn slow_drip(inner: Arc<Inner>, bytes_per_sec: usize, content: Option<Bytes>) -> Body {
    let content = content.unwrap_or_else(|| Bytes::from_static(b"a"));
    // Chunks of about a tenth of a second's worth (at least one byte).
    let chunk = (bytes_per_sec / 10).max(1);
    let interval = if bytes_per_sec == 0 {
        Duration::from_secs(3600)
    } else {
        Duration::from_secs_f64(chunk as f64 / bytes_per_sec as f64)
    };
    let stream = stream::unfold(0usize, move |position| {
        let (inner, content) = (inner.clone(), content.clone());
        async move {
            tokio::time::sleep(interval).await;
            if inner.closed.load(Ordering::Relaxed) {
                return None;
            }
            let bytes: Vec<u8> = (0..chunk).map(|i| content[(position + i) % content.len()]).collect();
            Some((Ok::<_, std::io::Error>(Bytes::from(bytes)), (position + chunk) % content.len()))
        }
    });
    Body::from_stream(stream)
}

/// `bytes` bytes of `a` in 64 KiB chunks, generated as they are sent.
fn oversized(bytes: u64) -> Body {
    const CHUNK: usize = 64 * 1024;
    static BLOCK: [u8; CHUNK] = [b'a'; CHUNK];
    let stream = stream::unfold(bytes, |left| async move {
        if left == 0 {
            return None;
        }
        let n = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
        Some((Ok::<_, std::io::Error>(Bytes::from_static(&BLOCK[..n])), left - n as u64))
    });
    Body::from_stream(stream)
}

/// Gzip of `bytes` zero bytes (about 1 KiB per MiB), compressed without holding the input.
fn gzip_zeros(bytes: u64) -> Bytes {
    let zeros = vec![0u8; 1024 * 1024];
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    let mut left = bytes;
    while left > 0 {
        let n = usize::try_from(left).unwrap_or(zeros.len()).min(zeros.len());
        encoder.write_all(&zeros[..n]).expect("gzip into memory");
        left -= n as u64;
    }
    Bytes::from(encoder.finish().expect("gzip into memory"))
}
