//! The fetcher against a real HTTP server on 127.0.0.1:0 (so `allow_private: true`, except where the guard is
//! under test).

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap as AxHeaders, StatusCode as AxStatus, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use futures_util::stream;

use super::*;

const ETAG_V1: &str = "\"v1\"";
const LAST_MODIFIED_V1: &str = "Tue, 15 Nov 1994 12:45:26 GMT";

/// Requests the server saw: path and arrival time.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, Instant)>>>);

impl Seen {
    fn paths(&self) -> Vec<String> {
        self.0.lock().unwrap().iter().map(|(p, _)| p.clone()).collect()
    }
    fn count(&self, path: &str) -> usize {
        self.paths().iter().filter(|p| *p == path).count()
    }
    fn arrivals(&self, path: &str) -> Vec<Instant> {
        self.0.lock().unwrap().iter().filter(|(p, _)| p == path).map(|(_, t)| *t).collect()
    }
}

async fn record(State(seen): State<Seen>, req: Request, next: Next) -> Response {
    seen.0.lock().unwrap().push((req.uri().path().to_owned(), Instant::now()));
    next.run(req).await
}

fn gzip_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..50 {
            encoder.write_all(&zeros).unwrap();
        }
        encoder.finish().unwrap()
    })
}

async fn etag(headers: AxHeaders) -> Response {
    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == ETAG_V1) {
        return (AxStatus::NOT_MODIFIED, [(header::CACHE_CONTROL, "max-age=60")]).into_response();
    }
    ([(header::ETAG, ETAG_V1), (header::CONTENT_TYPE, "application/rss+xml")], "<rss/>").into_response()
}

async fn last_modified(headers: AxHeaders) -> Response {
    if headers.get(header::IF_MODIFIED_SINCE).is_some_and(|v| v == LAST_MODIFIED_V1) {
        return AxStatus::NOT_MODIFIED.into_response();
    }
    ([(header::LAST_MODIFIED, LAST_MODIFIED_V1)], "body").into_response()
}

async fn status(Path(code): Path<u16>) -> Response {
    let status = AxStatus::from_u16(code).unwrap();
    if code == 429 || code == 503 {
        return (status, [(header::RETRY_AFTER, "7")]).into_response();
    }
    status.into_response()
}

fn drip() -> Body {
    // 1 byte every 200 ms for 100 bytes: 20 s in all.
    Body::from_stream(stream::unfold(0u32, |n| async move {
        if n == 100 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        Some((Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"x")), n + 1))
    }))
}

fn chunked(chunks: usize) -> Body {
    let chunk = bytes::Bytes::from(vec![b'a'; 64 * 1024]);
    Body::from_stream(stream::iter((0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone()))))
}

async fn chain(Path(n): Path<u32>) -> Response {
    if n == 0 {
        "end of chain".into_response()
    } else {
        Redirect::temporary(&format!("/chain/{}", n - 1)).into_response()
    }
}

fn router(seen: Seen) -> Router {
    Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nDisallow: /private\n" }))
        .route("/public", get(|| async { "public" }))
        .route("/other", get(|| async { "other" }))
        .route("/private/x", get(|| async { "secret" }))
        .route("/ua", get(|headers: AxHeaders| async move { headers[header::USER_AGENT].as_bytes().to_vec() }))
        .route("/etag", get(etag))
        .route("/lm", get(last_modified))
        .route("/max-age", get(|| async { ([(header::CACHE_CONTROL, "public, max-age=120")], "x") }))
        .route(
            "/expires",
            get(|| async {
                [(header::DATE, "Sun, 06 Nov 1994 08:49:37 GMT"), (header::EXPIRES, "Sun, 06 Nov 1994 08:54:37 GMT")]
            }),
        )
        .route("/no-store", get(|| async { ([(header::CACHE_CONTROL, "no-store, max-age=120")], "x") }))
        .route("/status/{code}", get(status))
        .route("/drip", get(|| async { drip() }))
        .route("/big", get(|| async { vec![b'a'; 2 * 1024 * 1024] }))
        .route("/chunked/{n}", get(|Path(n): Path<usize>| async move { chunked(n) }))
        .route("/bomb", get(|| async { ([(header::CONTENT_ENCODING, "gzip")], gzip_bomb()) }))
        .route("/loop/a", get(|| async { Redirect::temporary("/loop/b") }))
        .route("/loop/b", get(|| async { Redirect::temporary("/loop/a") }))
        .route("/chain/{n}", get(chain))
        .layer(middleware::from_fn_with_state(seen, record))
}

async fn serve(router: Router) -> SocketAddr {
    serve_on("127.0.0.1:0", router).await
}

async fn serve_on(bind: &str, router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind(bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

struct Server {
    addr: SocketAddr,
    seen: Seen,
}

impl Server {
    async fn start() -> Self {
        let seen = Seen::default();
        Self { addr: serve(router(seen.clone())).await, seen }
    }
    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{path}", self.addr)).unwrap()
    }
}

fn settings() -> FetchSettings {
    FetchSettings {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(10),
        per_host_delay: Duration::ZERO,
        ..FetchSettings::default()
    }
}

async fn get_with(fetcher: &Fetcher, url: &Url, validators: Option<&Validators>) -> Result<FetchOutcome, FetchError> {
    fetcher.fetch(FetchRequest { url, validators, allow_private: true }).await
}

async fn fetched(fetcher: &Fetcher, url: &Url) -> Fetched {
    match get_with(fetcher, url, None).await {
        Ok(FetchOutcome::Fetched(f)) => f,
        other => panic!("{url}: expected a body, got {other:?}"),
    }
}

async fn failed(fetcher: &Fetcher, url: &Url) -> FetchError {
    match get_with(fetcher, url, None).await {
        Err(e) => e,
        Ok(other) => panic!("{url}: expected an error, got {other:?}"),
    }
}

#[test]
fn fetcher_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Fetcher>();
    assert_send_sync::<FetchError>();
}

#[test]
fn new_refuses_invalid_settings() {
    let err = Fetcher::new(FetchSettings { concurrency: 0, ..FetchSettings::default() }).unwrap_err();
    assert!(matches!(&err, FetchError::InvalidUrl { detail, .. } if detail == "concurrency: must be at least 1"));
}

#[tokio::test]
async fn etag_round_trip_gives_not_modified() {
    let server = Server::start().await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let url = server.url("/etag");
    let first = fetched(&fetcher, &url).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body, b"<rss/>");
    assert_eq!(first.url, url);
    assert_eq!(first.content_type.as_deref(), Some("application/rss+xml"));
    assert_eq!(first.validators, Validators { etag: Some(ETAG_V1.into()), last_modified: None });
    let second = get_with(&fetcher, &url, Some(&first.validators)).await.unwrap();
    assert_eq!(second, FetchOutcome::NotModified { cache: CacheHint { fresh_for: Some(Duration::from_secs(60)) } });
}

#[tokio::test]
async fn last_modified_round_trip_gives_not_modified() {
    let server = Server::start().await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let url = server.url("/lm");
    let first = fetched(&fetcher, &url).await;
    assert_eq!(first.validators.last_modified.as_deref(), Some(LAST_MODIFIED_V1));
    assert_eq!(first.cache, CacheHint::default());
    let second = get_with(&fetcher, &url, Some(&first.validators)).await.unwrap();
    assert!(matches!(second, FetchOutcome::NotModified { .. }), "{second:?}");
}

#[tokio::test]
async fn cache_headers_give_fresh_for() {
    let server = Server::start().await;
    let fetcher = Fetcher::new(settings()).unwrap();
    assert_eq!(fetched(&fetcher, &server.url("/max-age")).await.cache.fresh_for, Some(Duration::from_secs(120)));
    assert_eq!(fetched(&fetcher, &server.url("/expires")).await.cache.fresh_for, Some(Duration::from_secs(300)));
    assert_eq!(fetched(&fetcher, &server.url("/no-store")).await.cache.fresh_for, None);
}

#[tokio::test]
async fn server_error_is_a_transient_status() {
    let server = Server::start().await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let err = failed(&fetcher, &server.url("/status/500")).await;
    assert!(matches!(err, FetchError::Status { status: 500, retry_after: None, .. }), "{err:?}");
    assert_eq!(err.kind(), "status_5xx");
    assert!(err.is_transient());
    let err = failed(&fetcher, &server.url("/status/404")).await;
    assert_eq!((err.kind(), err.is_transient()), ("status_4xx", false));
    assert!(err.to_string().contains(&server.url("/status/404").to_string()), "{err}");
}

#[tokio::test]
async fn too_many_requests_carries_retry_after() {
    let server = Server::start().await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let err = failed(&fetcher, &server.url("/status/429")).await;
    assert!(matches!(err, FetchError::Status { status: 429, .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(err.kind(), "status_429");
    assert!(err.is_transient());
}

#[tokio::test]
async fn retry_after_pushes_the_hosts_next_request() {
    let server = Server::start().await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let _ = failed(&fetcher, &server.url("/status/503")).await;
    let slot = fetcher.host_slot(&format!("127.0.0.1:{}", server.addr.port()));
    let next = slot.lock().await.next_allowed.expect("next allowed time set");
    // per-host-delay is 0 here: only the Retry-After of 7 s can have put it this far out.
    assert!(next >= Instant::now() + Duration::from_secs(6), "{:?}", next - Instant::now());
}

#[tokio::test]
async fn slow_drip_body_times_out() {
    let server = Server::start().await;
    let fetcher = Fetcher::new(FetchSettings {
        connect_timeout: Duration::from_secs(1),
        total_timeout: Duration::from_secs(1),
        ..settings()
    })
    .unwrap();
    let err = failed(&fetcher, &server.url("/drip")).await;
    assert!(matches!(err, FetchError::Timeout { after, .. } if after == Duration::from_secs(1)), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn oversized_content_length_is_too_large() {
    let server = Server::start().await;
    let fetcher = Fetcher::new(FetchSettings { max_body_bytes: 1024 * 1024, ..settings() }).unwrap();
    let err = failed(&fetcher, &server.url("/big")).await;
    assert!(matches!(err, FetchError::TooLarge { limit: 1_048_576, .. }), "{err:?}");
    assert!(!err.is_transient());
}

#[tokio::test]
async fn oversized_chunked_body_is_too_large() {
    let server = Server::start().await;
    let fetcher = Fetcher::new(FetchSettings { max_body_bytes: 1024 * 1024, ..settings() }).unwrap();
    // 32 chunks of 64 KiB = 2 MiB, no Content-Length.
    let err = failed(&fetcher, &server.url("/chunked/32")).await;
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err:?}");
    // Exactly at the limit is fine.
    assert_eq!(fetched(&fetcher, &server.url("/chunked/16")).await.body.len(), 1024 * 1024);
}

#[tokio::test]
async fn gzip_bomb_is_too_large() {
    let server = Server::start().await;
    assert!(gzip_bomb().len() < 1024 * 1024, "the bomb itself is small: {} bytes", gzip_bomb().len());
    let fetcher = Fetcher::new(FetchSettings { max_body_bytes: 1024 * 1024, ..settings() }).unwrap();
    let err = failed(&fetcher, &server.url("/bomb")).await;
    assert!(matches!(err, FetchError::TooLarge { limit: 1_048_576, .. }), "{err:?}");
}

#[tokio::test]
async fn redirect_loop_is_too_many_redirects() {
    let server = Server::start().await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let err = failed(&fetcher, &server.url("/loop/a")).await;
    assert!(matches!(err, FetchError::TooManyRedirects { limit: 5, .. }), "{err:?}");
    assert_eq!(err.kind(), "redirects");
    // The loop is caught when /loop/a comes round again, not after max-redirects hops.
    assert_eq!(server.seen.count("/loop/a") + server.seen.count("/loop/b"), 2);
}

#[tokio::test]
async fn redirect_chain_is_followed_up_to_the_limit() {
    let server = Server::start().await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let ok = fetched(&fetcher, &server.url("/chain/5")).await;
    assert_eq!(ok.url, server.url("/chain/0"));
    assert_eq!(ok.body, b"end of chain");
    let err = failed(&fetcher, &server.url("/chain/6")).await;
    assert!(matches!(err, FetchError::TooManyRedirects { .. }), "{err:?}");
}

#[tokio::test]
async fn robots_disallow_is_obeyed_and_robots_txt_fetched_once() {
    let server = Server::start().await;
    let fetcher = Fetcher::new(settings()).unwrap();
    assert_eq!(fetched(&fetcher, &server.url("/public")).await.body, b"public");
    assert_eq!(fetched(&fetcher, &server.url("/other")).await.body, b"other");
    let err = failed(&fetcher, &server.url("/private/x")).await;
    match &err {
        FetchError::RobotsDisallowed { url, robots_url } => {
            assert_eq!(url, &server.url("/private/x").to_string());
            assert_eq!(robots_url, &server.url("/robots.txt").to_string());
        }
        other => panic!("expected RobotsDisallowed, got {other:?}"),
    }
    assert!(!err.is_transient());
    assert_eq!(server.seen.count("/robots.txt"), 1);
    assert_eq!(server.seen.count("/private/x"), 0);
}

#[tokio::test]
async fn missing_robots_txt_allows_all() {
    let seen = Seen::default();
    let app = Router::new()
        .route("/private/x", get(|| async { "ok" }))
        .layer(middleware::from_fn_with_state(seen.clone(), record));
    let addr = serve(app).await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let url = Url::parse(&format!("http://{addr}/private/x")).unwrap();
    assert_eq!(fetched(&fetcher, &url).await.body, b"ok");
    assert_eq!(seen.paths(), ["/robots.txt", "/private/x"]);
}

#[tokio::test]
async fn robots_server_error_disallows_for_now_and_is_transient() {
    let seen = Seen::default();
    let app = Router::new()
        .route("/robots.txt", get(|| async { AxStatus::SERVICE_UNAVAILABLE }))
        .route("/feed", get(|| async { "ok" }))
        .layer(middleware::from_fn_with_state(seen.clone(), record));
    let addr = serve(app).await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let url = Url::parse(&format!("http://{addr}/feed")).unwrap();
    for _ in 0..2 {
        let err = failed(&fetcher, &url).await;
        assert!(matches!(&err, FetchError::Status { status: 503, url, .. } if url.ends_with("/robots.txt")), "{err:?}");
        assert!(err.is_transient());
    }
    // The "unreachable" verdict is cached (briefly) too, and the page was never requested.
    assert_eq!(seen.paths(), ["/robots.txt"]);
}

#[tokio::test]
async fn requests_to_one_host_are_spaced_by_the_per_host_delay() {
    let server = Server::start().await;
    let delay = Duration::from_millis(300);
    let fetcher = Arc::new(Fetcher::new(FetchSettings { per_host_delay: delay, ..settings() }).unwrap());
    // Concurrent callers must still be serialised and spaced.
    let a = server.url("/public");
    let b = server.url("/other");
    let (ra, rb) = tokio::join!(get_with(&fetcher, &a, None), get_with(&fetcher, &b, None));
    ra.unwrap();
    rb.unwrap();
    let _ = fetched(&fetcher, &a).await;
    let mut arrivals: Vec<Instant> =
        ["/robots.txt", "/public", "/other"].iter().flat_map(|p| server.seen.arrivals(p)).collect();
    arrivals.sort();
    assert_eq!(arrivals.len(), 4, "{:?}", server.seen.paths());
    for pair in arrivals.windows(2) {
        assert!(pair[1] - pair[0] >= delay, "two requests only {:?} apart", pair[1] - pair[0]);
    }
}

#[tokio::test]
async fn user_agent_is_honest() {
    let server = Server::start().await;
    let s = FetchSettings { contact_url: "https://learn.vitebsk.example/about".into(), ..settings() };
    let fetcher = Fetcher::new(s.clone()).unwrap();
    assert_eq!(fetcher.settings().contact_url, s.contact_url);
    let body = fetched(&fetcher, &server.url("/ua")).await.body;
    assert_eq!(String::from_utf8(body).unwrap(), s.user_agent());
    assert!(s.user_agent().starts_with("learncity/"));
}

#[tokio::test]
async fn private_ip_literal_is_refused_without_a_request() {
    let server = Server::start().await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let url = server.url("/public");
    let err = fetcher.fetch(FetchRequest { url: &url, validators: None, allow_private: false }).await.unwrap_err();
    assert!(matches!(&err, FetchError::PrivateAddress { address, .. } if address == "127.0.0.1"), "{err:?}");
    assert_eq!(err.kind(), "private_address");
    assert!(!err.is_transient());
    assert_eq!(server.seen.paths(), Vec::<String>::new());
}

#[tokio::test]
async fn name_resolving_to_loopback_is_refused_without_a_request() {
    let server = Server::start().await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let url = Url::parse(&format!("http://localhost:{}/public", server.addr.port())).unwrap();
    let err = fetcher.fetch(FetchRequest { url: &url, validators: None, allow_private: false }).await.unwrap_err();
    match &err {
        FetchError::PrivateAddress { url: u, address } => {
            assert_eq!(u, &url.to_string());
            assert!(address.contains("127.0.0.1"), "{address}");
            assert!(address.contains("resolves only to private addresses"), "{address}");
        }
        other => panic!("expected PrivateAddress, got {other:?}"),
    }
    assert_eq!(server.seen.paths(), Vec::<String>::new());
    // The same URL is fine for a provider allowed on a private network.
    assert_eq!(fetched(&fetcher, &url).await.body, b"public");
}

#[tokio::test]
async fn redirect_refusal_surfaces_as_private_address() {
    // The guarded redirect policy on its own (the first hop is on loopback, so without the guarded resolver):
    // checks that the typed refusal survives reqwest's error wrapping.
    let server = Server::start().await;
    let s = settings();
    let client =
        reqwest::Client::builder().redirect(guard::redirect_policy(5, Trust::Nothing)).no_proxy().build().unwrap();
    let target = server.url("/public");
    let app = Router::new().route("/go", get(move || async move { Redirect::temporary(target.as_str()) }));
    let addr = serve(app).await;
    let start = Url::parse(&format!("http://{addr}/go")).unwrap();
    let err = client.get(start.clone()).send().await.unwrap_err();
    let mapped = map_reqwest(&s, &start, &err);
    match &mapped {
        FetchError::PrivateAddress { url, address } => {
            assert_eq!(url, &start.to_string());
            assert!(address.starts_with("127.0.0.1 (redirect to"), "{address}");
        }
        other => panic!("expected PrivateAddress, got {other:?}"),
    }
    assert_eq!(server.seen.paths(), Vec::<String>::new());
}

/// A server on `bind` redirecting `/go` to `target`.
async fn redirector(bind: &str, target: String) -> SocketAddr {
    serve_on(bind, Router::new().route("/go", get(move || async move { Redirect::temporary(&target) }))).await
}

#[tokio::test]
async fn allow_private_trusts_the_requested_origin_not_where_it_redirects() {
    // Regression: the `allow_private` client used to follow any redirect, so a private provider's page
    // redirecting to 127.0.0.2, [::1] or another port of its own host reached them.
    let fetcher = Fetcher::new(settings()).unwrap();
    let seen2 = Seen::default();
    let loopback2 = Server { addr: serve_on("127.0.0.2:0", router(seen2.clone())).await, seen: seen2 };
    let seen_v6 = Seen::default();
    let v6 = serve_on("[::1]:0", router(seen_v6.clone())).await;
    let other_port = Server::start().await;
    let targets = [
        (loopback2.url("/public"), "127.0.0.2"),
        (Url::parse(&format!("http://{v6}/public")).unwrap(), "::1"),
        (other_port.url("/public"), "127.0.0.1"),
        (Url::parse(&format!("http://localhost:{}/public", other_port.addr.port())).unwrap(), "127.0.0.1"),
    ];
    for (target, address) in targets {
        let start = Url::parse(&format!("http://{}/go", redirector("127.0.0.1:0", target.to_string()).await)).unwrap();
        let err = failed(&fetcher, &start).await;
        match &err {
            FetchError::PrivateAddress { address: a, .. } => assert!(a.contains(address), "{target}: {a}"),
            other => panic!("{target}: expected PrivateAddress, got {other:?}"),
        }
    }
    assert_eq!(loopback2.seen.paths(), Vec::<String>::new());
    assert_eq!(other_port.seen.paths(), Vec::<String>::new());
    assert_eq!(seen_v6.paths(), Vec::<String>::new());

    // A trusted name's other port is refused as such (its name resolves unfiltered).
    let target = format!("http://localhost:{}/public", other_port.addr.port());
    let named = redirector("127.0.0.1:0", target).await;
    let start_named = Url::parse(&format!("http://localhost:{}/go", named.port())).unwrap();
    let err = failed(&fetcher, &start_named).await;
    assert!(err.to_string().contains("leaves `http://localhost:"), "{err}");
    assert_eq!(err.kind(), "private_address");

    // Redirects within the trusted origin are followed.
    let server = Server::start().await;
    assert_eq!(fetched(&fetcher, &server.url("/chain/2")).await.body, b"end of chain");
}

#[tokio::test]
async fn unsupported_scheme_is_invalid() {
    let fetcher = Fetcher::new(settings()).unwrap();
    let err = failed(&fetcher, &Url::parse("ftp://example.org/feed").unwrap()).await;
    assert_eq!(err.kind(), "invalid_url");
    assert!(err.to_string().contains("ftp://example.org/feed"), "{err}");
}

#[tokio::test]
async fn connection_refused_is_connect_and_transient() {
    // Bind then drop a listener: nothing listens on that port any more.
    let addr = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let fetcher = Fetcher::new(settings()).unwrap();
    let url = Url::parse(&format!("http://{addr}/feed")).unwrap();
    // robots.txt unreachable -> disallowed for now, reported as the transient connect failure.
    let err = failed(&fetcher, &url).await;
    assert_eq!(err.kind(), "connect", "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn file_urls_are_read_with_validators_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    std::fs::write(&path, b"<rss>local</rss>").unwrap();
    let url = Url::from_file_path(&path).unwrap();
    let fetcher = Fetcher::new(FetchSettings { max_body_bytes: 100, ..settings() }).unwrap();

    let first = fetched(&fetcher, &url).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body, b"<rss>local</rss>");
    assert_eq!(first.content_type.as_deref(), Some("application/xml"));
    let lm = first.validators.last_modified.clone().expect("mtime as Last-Modified");
    assert!(httpdate::parse_http_date(&lm).is_ok(), "{lm}");
    let again = get_with(&fetcher, &url, Some(&first.validators)).await.unwrap();
    assert_eq!(again, FetchOutcome::NotModified { cache: CacheHint::default() });
    let stale = Validators { etag: None, last_modified: Some("Tue, 15 Nov 1994 12:45:26 GMT".into()) };
    assert!(matches!(get_with(&fetcher, &url, Some(&stale)).await.unwrap(), FetchOutcome::Fetched(_)));

    let big = dir.path().join("big.xml");
    std::fs::write(&big, vec![b'a'; 101]).unwrap();
    let err = failed(&fetcher, &Url::from_file_path(&big).unwrap()).await;
    assert!(matches!(err, FetchError::TooLarge { limit: 100, .. }), "{err:?}");

    let err = failed(&fetcher, &Url::from_file_path(dir.path().join("missing.xml")).unwrap()).await;
    assert!(matches!(&err, FetchError::File { path, .. } if path.ends_with("missing.xml")), "{err:?}");
    assert!(!err.is_transient());
    let err = failed(&fetcher, &Url::from_file_path(dir.path()).unwrap()).await;
    assert_eq!(err.kind(), "file", "{err:?}");
}

#[tokio::test]
async fn endless_file_is_cut_at_the_limit() {
    // /dev/zero reports length 0 and never ends.
    let fetcher = Fetcher::new(FetchSettings { max_body_bytes: 4096, ..settings() }).unwrap();
    let err = failed(&fetcher, &Url::parse("file:///dev/zero").unwrap()).await;
    assert!(matches!(err, FetchError::TooLarge { limit: 4096, .. }), "{err:?}");
}
