//! # learncity-serve: the catalogue service
//!
//! `learncity serve` reads the catalogue store (SQLite or PostgreSQL) and stays current by
//! following its change sequence ([`catalogue::follow`]); replicas run side by side.
//!
//! - Pages for residents ([`pages`]): `/` (search and filters, results, paging, export links),
//!   `/entry/{id}` (sessions, place and map link, registration, every source, schema.org
//!   JSON-LD), `/providers`, `/provider/{id}`; in be, ru, en ([`i18n`]: `?lang=`, a cookie, or
//!   `Accept-Language`), times in the city's zone and each language's CLDR patterns ([`when`]).
//! - JSON API under `/api/v1` ([`api`]), described by `/api/v1/openapi.json`
//!   (`openapi.json` beside this crate; a test keeps it true to the router).
//! - Exports of any filtered view: `/export.ics`, `/export.atom`, `/export.json`.
//! - Provider health for operators ([`health`]): `/health/providers` and
//!   `/api/v1/providers/health`.
//! - `/healthz`, `/readyz` (ready once the catalogue has been read), `/metrics`.
//!
//! Filters are the same query parameters everywhere ([`params`]).
//!
//! Against many or slow clients ([`server`]): a header-read timeout, an idle timeout and a cap on
//! open connections below the open-file limit, a request timeout (503), and a per-client rate
//! limit on `/api/v1` (429, keyed on the client's address). Every answer, errors and 404s
//! included, carries [`SECURITY_HEADERS`]; pages also carry a `Content-Security-Policy`.

pub mod add_provider;
pub mod admin;
pub mod api;
pub mod catalogue;
pub mod console;
pub mod health;
pub mod i18n;
pub mod pages;
pub mod params;
pub mod server;
pub mod when;

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use learncity_config::ServeSettings;
use learncity_ops::{CancellationToken, Readiness};

use crate::catalogue::Catalogue;
use crate::i18n::Lang;
use crate::pages::PageContext;
use crate::params::Filters;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The catalogue.
    pub catalogue: Arc<Catalogue>,
    /// `[serve]`.
    pub settings: Arc<ServeSettings>,
    /// The providers' fetch state, when a source is configured.
    pub health: Option<Arc<dyn health::HealthSource>>,
    /// The store (operators' decisions are written to it).
    pub store: Arc<dyn learncity_store::CatalogStore>,
    /// What operators' decisions need.
    pub curation: Arc<CurationContext>,
    /// Wrong operator sign-ins per client address.
    pub sign_ins: Arc<admin::SignInGuard>,
    /// Operators signed in to the console.
    pub sessions: Arc<console::Sessions>,
    /// The city's time zone (`time-zone`, checked when the configuration is read), parsed once.
    pub zone: Option<chrono_tz::Tz>,
}

/// What the operators' side needs from the rest of the config.
#[derive(Debug, Clone, Default)]
pub struct CurationContext {
    /// The curation topic (`kafka.curation-topic`) decisions are published on.
    pub topic: String,
    /// The builders' matching rules (the review queue scores pairs with them).
    pub rules: learncity_builder::state::Rules,
    /// `[http]`: how "add a provider" fetches a document (as the collector would).
    pub http: learncity_fetch::FetchSettings,
    /// The folder of provider files (`collector.providers`, when it names a folder), where
    /// "add a provider" saves one.
    pub providers_dir: Option<std::path::PathBuf>,
}

impl AppState {
    fn default_lang(&self) -> Lang {
        Lang::from_code(&self.settings.default_language).unwrap_or(Lang::Ru)
    }

    fn public_url(&self) -> &str {
        self.settings.public_url.trim_end_matches('/')
    }
}

/// The per-client rate limit of `/api/v1`: requests keyed on the client's address.
pub type ApiRateLimit = tower_governor::governor::GovernorConfig<
    tower_governor::key_extractor::PeerIpKeyExtractor,
    governor::middleware::NoOpMiddleware,
>;

/// The rate limit `api-rate-limit` and `api-rate-burst` describe.
pub fn api_rate_limit(settings: &ServeSettings) -> Arc<ApiRateLimit> {
    let per_request = std::time::Duration::from_nanos(1_000_000_000 / u64::from(settings.api_rate_limit.max(1)));
    let config = tower_governor::governor::GovernorConfigBuilder::default()
        .period(per_request)
        .burst_size(settings.api_rate_burst.max(1))
        .finish()
        .expect("validated settings give a nonzero period and burst");
    Arc::new(config)
}

/// A rate-limited API request's answer: the API's JSON error, with `Retry-After`.
fn api_limited(error: tower_governor::GovernorError) -> Response {
    match error {
        tower_governor::GovernorError::TooManyRequests { wait_time, headers } => {
            metrics::counter!("learncity_serve_api_rate_limited_total").increment(1);
            let mut response = api::error(
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many requests from this address: try again in {wait_time} s"),
            );
            response.headers_mut().extend(headers.unwrap_or_default());
            response
        }
        other => api::error(StatusCode::INTERNAL_SERVER_ERROR, format!("rate limit: {other}")),
    }
}

/// Headers on every answer: pages, API, exports, operations routes, errors and 404s.
pub const SECURITY_HEADERS: [(&str, &str); 3] = [
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    (
        "permissions-policy",
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
    ),
];

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    response
}

/// The service's routes (without the operations routes), the API limited by `api-rate-limit`.
pub fn router(state: AppState) -> Router {
    let limit = api_rate_limit(&state.settings);
    routes(state, limit)
}

fn routes(state: AppState, api_limit: Arc<ApiRateLimit>) -> Router {
    let api = api::router().layer(tower_governor::GovernorLayer::new(api_limit).error_handler(api_limited));
    // The catalogue's open data — the API and the exports — may be read by any web page (a city
    // site's widget) and cached for a minute; the residents' pages are not.
    let open_data = Router::new()
        .route("/export.ics", get(export_ical))
        .route("/export.atom", get(export_atom))
        .route("/export.json", get(export_json_feed))
        .nest("/api/v1", api)
        .layer(axum::middleware::map_response(open_data_cache))
        .layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(tower_http::cors::Any)
                .allow_methods([axum::http::Method::GET, axum::http::Method::HEAD])
                .expose_headers([TOTAL_COUNT, header::RETRY_AFTER]),
        );
    Router::new()
        .route("/", get(home))
        .route("/entry/{id}", get(entry_page))
        .route("/entry/{id}/calendar.ics", get(entry_calendar))
        .route("/providers", get(providers_page))
        .route("/provider/{id}", get(provider_page))
        .route("/health/providers", get(health_page))
        .route("/robots.txt", get(robots))
        .route("/sitemap.xml", get(sitemap))
        .nest("/api/v1/admin", admin::router())
        .nest("/admin", console::router())
        .merge(open_data)
        .fallback(not_found)
        .with_state(state)
        // gzip or Brotli when the client accepts it (a page of 100 API entries is ~170 KB raw).
        .layer(tower_http::compression::CompressionLayer::new())
}

/// What crawlers may index: the pages residents read, not the API, the exports or the
/// operators' health page; where the sitemap is.
async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nDisallow: /api/\nDisallow: /export.\nDisallow: /health/\nDisallow: /admin\nSitemap: {}/sitemap.xml\n",
        state.public_url()
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// URLs a sitemap file may hold (sitemaps.org).
const SITEMAP_MAX_URLS: usize = 50_000;

/// The home page, the providers page and every entry page, each entry with its last change.
async fn sitemap(State(state): State<AppState>) -> Response {
    let base = pages::esc(state.public_url());
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in ["/", "/providers"] {
        let _ = writeln!(xml, "<url><loc>{base}{path}</loc></url>");
    }
    let entries = state.catalogue.ids_and_updates();
    if entries.len() + 2 > SITEMAP_MAX_URLS {
        tracing::warn!(entries = entries.len(), "the sitemap holds the first {SITEMAP_MAX_URLS} URLs only");
    }
    for (id, updated) in entries.iter().take(SITEMAP_MAX_URLS - 2) {
        let _ = writeln!(
            xml,
            "<url><loc>{base}/entry/{}</loc><lastmod>{}</lastmod></url>",
            pages::esc(id),
            updated.format("%Y-%m-%dT%H:%M:%SZ")
        );
    }
    xml.push_str("</urlset>\n");
    ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], xml).into_response()
}

/// `Cache-Control` of a successful answer of the API or an export: the store changes within
/// seconds, so a minute; errors and refusals (400, 429) are not cached.
async fn open_data_cache(mut response: Response) -> Response {
    if response.status().is_success() && !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    }
    response
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(header::COOKIE)?.to_str().ok()?.split(';').find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

fn lang_of(state: &AppState, param: Option<&str>, headers: &HeaderMap) -> Lang {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    Lang::negotiate(param, cookie(headers, "lang"), accept, state.default_lang())
}

/// The context of a page at `here` and the language the request chose explicitly (`?lang=`),
/// to be remembered in a cookie.
fn page_context<'a>(
    state: &'a AppState,
    param: Option<&str>,
    headers: &HeaderMap,
    here: String,
) -> (PageContext<'a>, Option<Lang>) {
    let lang = lang_of(state, param, headers);
    (
        PageContext { lang, title: &state.settings.title, here, images: state.settings.images, zone: state.zone },
        param.and_then(Lang::from_code),
    )
}

/// The pages' Content-Security-Policy: no script, no frames, and no image from anywhere — the pages have
/// none of their own, and a provider's `<img>` must not be loaded by a resident's browser (a tracking
/// pixel), should one ever get past [`pages::description`].
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'self'; base-uri 'none'; \
                   frame-ancestors 'none'";

/// A page, remembering an explicitly chosen language in a cookie.
fn html(status: StatusCode, body: String, chosen: Option<Lang>) -> Response {
    let mut response = (status, Html(body)).into_response();
    if let Some(l) = chosen
        && let Ok(v) = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax", l.code()).parse()
    {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(CSP));
    response
}

fn here(path: &str, f: &Filters) -> String {
    let qs = f.query_string(if f.page() > 1 { Some(f.page()) } else { None });
    if qs.is_empty() { path.to_owned() } else { format!("{path}?{qs}") }
}

async fn home(State(state): State<AppState>, Query(asked): Query<Filters>, headers: HeaderMap) -> Response {
    let (ctx, chosen) = page_context(&state, asked.lang.as_deref(), &headers, here("/", &asked));
    let lang = ctx.lang;
    let now = Utc::now();
    let s = &state.settings;
    // A filter that cannot be used is said and left out; the rest still search, and the form
    // keeps what the resident typed.
    let mut notes = pages::Notes::default();
    let mut f = asked.clone();
    let query = loop {
        match f.to_query(now, s.page_size, s.max_page_size) {
            Ok(q) => break q,
            Err(e) if notes.unusable.len() < 16 => {
                f = f.without(e.name);
                notes.unusable.push((e.name, e.message));
            }
            Err(e) => {
                return html(StatusCode::BAD_REQUEST, pages::error(&ctx, lang.t().bad_request, &e.to_string()), chosen);
            }
        }
    };
    let index = state.catalogue.index();
    let page = match index.search(&query) {
        Ok(page) => page,
        Err(e) => {
            return html(StatusCode::BAD_REQUEST, pages::error(&ctx, lang.t().bad_request, &e.to_string()), chosen);
        }
    };
    if page.total == 0 {
        // Which filter emptied it: each active one taken away in turn.
        for (name, _) in f.active() {
            let without = f.without(name);
            if let Ok(q) = without.to_query(now, s.page_size, s.max_page_size)
                && let Ok(found) = index.search(&learncity_search::Query { limit: 1, offset: 0, ..q })
                && found.total > 0
            {
                notes.emptied_by.push((name, found.total, without.query_string(None)));
            }
        }
    }
    let ids: Vec<String> = page.hits.iter().map(|h| h.id.clone()).collect();
    let entries = state.catalogue.get_all(&ids);
    let (categories, providers) = (state.catalogue.categories(), state.catalogue.providers());
    let body = pages::home(&ctx, &f, &page, &entries, query.limit, &categories, &providers, &notes, now);
    let status = if notes.unusable.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    html(status, body, chosen)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct LangParam {
    lang: Option<String>,
}

async fn entry_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(p): Query<LangParam>,
    headers: HeaderMap,
) -> Response {
    let (ctx, chosen) = page_context(&state, p.lang.as_deref(), &headers, format!("/entry/{id}"));
    let lang = ctx.lang;
    match state.catalogue.get(&id) {
        Some(e) => html(StatusCode::OK, pages::entry(&ctx, &e, state.public_url(), Utc::now()), chosen),
        None => html(StatusCode::NOT_FOUND, pages::error(&ctx, lang.t().not_found, &id), chosen),
    }
}

/// One entry's sessions as a calendar file ("add to my calendar"): the same UIDs as the
/// whole-city calendar, so importing both never doubles a session.
async fn entry_calendar(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(e) = state.catalogue.get(&id) else {
        return api::error(StatusCode::NOT_FOUND, format!("no entry {id}"));
    };
    let base = state.public_url();
    let meta = learncity_exports::FeedMeta {
        title: e.title.clone(),
        self_url: format!("{base}/entry/{id}/calendar.ics"),
        html_url: format!("{base}/entry/{id}"),
        id: format!("{base}/entry/{id}/calendar.ics"),
        updated: e.updated_at,
        entry_base_url: format!("{base}/entry"),
        language: None,
    };
    let disposition = format!("attachment; filename=\"{id}.ics\"");
    (
        [
            (header::CONTENT_TYPE, learncity_exports::ICAL_CONTENT_TYPE.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        learncity_exports::ical(std::slice::from_ref(&*e), &meta),
    )
        .into_response()
}

async fn providers_page(State(state): State<AppState>, Query(p): Query<LangParam>, headers: HeaderMap) -> Response {
    let (ctx, chosen) = page_context(&state, p.lang.as_deref(), &headers, "/providers".into());
    html(StatusCode::OK, pages::providers(&ctx, &state.catalogue.providers()), chosen)
}

async fn provider_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(p): Query<LangParam>,
    headers: HeaderMap,
) -> Response {
    let (ctx, chosen) = page_context(&state, p.lang.as_deref(), &headers, format!("/provider/{id}"));
    let lang = ctx.lang;
    let Some(summary) = state.catalogue.providers().into_iter().find(|p| p.id == id) else {
        return html(StatusCode::NOT_FOUND, pages::error(&ctx, lang.t().not_found, &id), chosen);
    };
    let now = Utc::now();
    let query = learncity_search::Query {
        provider: Some(id.clone()),
        sort: learncity_search::Sort::NextSession,
        include_cancelled: true,
        limit: state.settings.max_page_size,
        now,
        ..Default::default()
    };
    let entries = match state.catalogue.index().search(&query) {
        Ok(page) => state.catalogue.get_all(&page.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>()),
        Err(e) => return html(StatusCode::INTERNAL_SERVER_ERROR, pages::error(&ctx, "error", &e.to_string()), chosen),
    };
    html(StatusCode::OK, pages::provider(&ctx, &summary, &entries, now), chosen)
}

/// The providers' health rows and, when the fetch state cannot be read, why.
///
/// Public (`detail` false): without the failures' words and without why the state is
/// unavailable (they name providers' internal addresses and the brokers); operators signed in
/// get them whole.
pub fn health_rows(state: &AppState, detail: bool) -> (Vec<health::HealthRow>, Option<String>) {
    let (mut statuses, unavailable) = match &state.health {
        Some(source) => match source.statuses() {
            Ok(s) => (s, None),
            Err(e) => (Vec::new(), Some(e)),
        },
        None => (Vec::new(), Some("no collector state source is configured for this service".to_owned())),
    };
    let unavailable = if detail {
        unavailable
    } else {
        for s in &mut statuses {
            s.last_error = None;
            s.warnings.clear();
            s.history.clear();
        }
        unavailable.map(|_| "the collectors' fetch state cannot be read now".to_owned())
    };
    (health::rows(&statuses, &state.catalogue.providers()), unavailable)
}

async fn health_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (ctx, _) = page_context(&state, None, &headers, "/health/providers".into());
    let (rows, unavailable) = health_rows(&state, false);
    html(StatusCode::OK, health::page(&ctx, &rows, unavailable.as_deref()), None)
}

async fn not_found(State(state): State<AppState>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return api::error(StatusCode::NOT_FOUND, format!("no such resource: {}", uri.path()));
    }
    let (ctx, _) = page_context(&state, None, &headers, "/".into());
    html(StatusCode::NOT_FOUND, pages::error(&ctx, ctx.lang.t().not_found, uri.path()), None)
}

/// The entries of a filtered view for an export — all of them, up to `export-max`, whatever
/// page the filters name — and how many matched; or why the filters cannot be used.
fn export_entries(state: &AppState, f: &Filters) -> Result<(Vec<learncity_model::Entry>, usize), String> {
    let s = &state.settings;
    let mut query = f.to_query(Utc::now(), s.page_size, s.max_page_size).map_err(|e| e.to_string())?;
    query.limit = s.export_max;
    query.offset = 0;
    if f.sort.is_none() {
        query.sort = learncity_search::Sort::NextSession;
    }
    let page = state.catalogue.index().search(&query).map_err(|e| e.to_string())?;
    let ids: Vec<String> = page.hits.iter().map(|h| h.id.clone()).collect();
    if page.total > ids.len() {
        tracing::info!(matched = page.total, exported = ids.len(), "an export holds the first export-max entries");
    }
    Ok((state.catalogue.get_all(&ids).iter().map(|e| (**e).clone()).collect(), page.total))
}

fn feed_meta(
    state: &AppState,
    f: &Filters,
    path: &str,
    entries: &[learncity_model::Entry],
) -> learncity_exports::FeedMeta {
    let base = state.public_url();
    let qs = f.query_string(None);
    let suffix = if qs.is_empty() { String::new() } else { format!("?{qs}") };
    let updated = entries.iter().map(|e| e.updated_at).max().unwrap_or_else(Utc::now);
    let title = match f.q.as_deref().filter(|q| !q.trim().is_empty()) {
        Some(q) => format!("{} — {q}", state.settings.title),
        None => state.settings.title.clone(),
    };
    learncity_exports::FeedMeta {
        title,
        self_url: format!("{base}{path}{suffix}"),
        html_url: format!("{base}/{suffix}"),
        id: format!("{base}{path}{suffix}"),
        updated,
        entry_base_url: format!("{base}/entry"),
        language: None,
    }
}

/// How many entries matched an export's filters (it holds at most `export-max` of them).
const TOTAL_COUNT: header::HeaderName = header::HeaderName::from_static("x-total-count");

fn export(
    state: &AppState,
    f: &Filters,
    path: &str,
    content_type: &'static str,
    render: fn(&[learncity_model::Entry], &learncity_exports::FeedMeta) -> String,
) -> Response {
    match export_entries(state, f) {
        Ok((entries, total)) => {
            let meta = feed_meta(state, f, path, &entries);
            let headers = [(header::CONTENT_TYPE, content_type.to_owned()), (TOTAL_COUNT, total.to_string())];
            (headers, render(&entries, &meta)).into_response()
        }
        Err(message) => api::error(StatusCode::BAD_REQUEST, message),
    }
}

async fn export_ical(State(state): State<AppState>, Query(f): Query<Filters>) -> Response {
    export(&state, &f, "/export.ics", learncity_exports::ICAL_CONTENT_TYPE, learncity_exports::ical)
}

async fn export_atom(State(state): State<AppState>, Query(f): Query<Filters>) -> Response {
    export(&state, &f, "/export.atom", learncity_exports::ATOM_CONTENT_TYPE, learncity_exports::atom)
}

async fn export_json_feed(State(state): State<AppState>, Query(f): Query<Filters>) -> Response {
    export(&state, &f, "/export.json", learncity_exports::JSON_FEED_CONTENT_TYPE, learncity_exports::json_feed)
}

/// Starts serving the catalogue on `settings.listen`, following `store` (and showing the
/// providers' fetch state from `health`), until `stop`; returns the bound address and the
/// server task.
pub async fn start(
    settings: ServeSettings,
    store: Arc<dyn learncity_store::CatalogStore>,
    health: Option<Arc<dyn health::HealthSource>>,
    curation: CurationContext,
    stop: CancellationToken,
) -> Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>), ServeError> {
    let metrics = learncity_ops::install_metrics().map_err(|e| ServeError::Start(e.to_string()))?;
    let readiness = Readiness::default();
    readiness.set_not_ready("reading the catalogue");
    let catalogue = Arc::new(Catalogue::new().map_err(|e| ServeError::Start(e.to_string()))?);
    let listen = settings.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| ServeError::Start(format!("cannot bind {listen}: {e}")))?;
    let bound = listener.local_addr().map_err(|e| ServeError::Start(e.to_string()))?;
    let follower = tokio::spawn(catalogue::follow(
        Arc::clone(&catalogue),
        Arc::clone(&store),
        settings.refresh_interval,
        readiness.clone(),
        stop.clone(),
    ));
    let files = server::open_file_limit();
    let limits = server::ConnectionLimits {
        max_connections: server::connection_limit(settings.max_connections, files),
        header_read_timeout: settings.header_read_timeout,
        idle_timeout: settings.idle_timeout,
        shutdown_grace: settings.request_timeout,
    };
    if limits.max_connections < settings.max_connections {
        tracing::warn!(
            configured = settings.max_connections,
            open_file_limit = files,
            allowed = limits.max_connections,
            "max-connections is above three quarters of the open-file limit; raise LimitNOFILE (ulimit -n) to allow more"
        );
    }
    let api_limit = api_rate_limit(&settings);
    let forget = tokio::spawn(forget_quiet_clients(Arc::clone(&api_limit), stop.clone()));
    let request_timeout = settings.request_timeout;
    let state = AppState {
        catalogue,
        zone: settings.time_zone.as_deref().and_then(|z| z.parse().ok()),
        settings: Arc::new(settings),
        health,
        sessions: Arc::new(console::Sessions::new(Arc::clone(&store))),
        store,
        curation: Arc::new(curation),
        sign_ins: Arc::default(),
    };
    let app = routes(state, api_limit)
        .merge(learncity_ops::ops_router(readiness, metrics))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, request_timeout))
        .layer(axum::middleware::map_response(security_headers));
    tracing::info!(%bound, max_connections = limits.max_connections, "serving the catalogue");
    let task = tokio::spawn(async move {
        server::serve(listener, app, limits, stop).await;
        follower.abort();
        forget.abort();
    });
    Ok((bound, task))
}

/// Drops the rate-limit state of clients that have not asked for a while, every minute, so the
/// table does not grow with every address ever seen.
async fn forget_quiet_clients(limit: Arc<ApiRateLimit>, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_secs(60)) => limit.limiter().retain_recent(),
            () = stop.cancelled() => return,
        }
    }
}

/// Why the service cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// It could not start.
    #[error("cannot start the catalogue service: {0}")]
    Start(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_forbid_images_from_anywhere() {
        // Regression: the CSP said `img-src https: data:`, so any provider's remote image loaded.
        let response = html(StatusCode::OK, String::new(), None);
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        let img_src = csp.split(';').map(str::trim).find(|d| d.starts_with("img-src")).unwrap();
        assert_eq!(img_src, "img-src 'none'");
        assert!(csp.contains("default-src 'none'") && !csp.contains("https:"), "{csp}");
    }
}
