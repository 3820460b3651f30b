//! The admin API, `/api/v1/admin/...`: operators' decisions over HTTP (the same as
//! `learncity curate`, through [`learncity_store::curation`]), for automation.
//!
//! Every request is authenticated: HTTP Basic with an operator's name and password (checked
//! against the argon2 hash in `[[serve.operators]]`), or — when `operator-header` is set — the
//! name an authenticating reverse proxy put in that header. No operator configured: every
//! request is refused. Anonymous requests get 401 with a `WWW-Authenticate` challenge; a
//! viewer's decision 403. Wrong passwords are rate-limited per client address: after
//! [`FAILURES_ALLOWED`] within [`FAILURE_WINDOW`] the address gets 429 until the window ends.
//! Every sign-in failure and every decision is logged and counted.
//!
//! - `GET /decisions[?all=true]`: the decisions in force (all: the revoked too), each with
//!   whether it still applies;
//! - `POST /decisions`: a decision, as JSON `{"action": "merge"|"split"|"hide"|"pin", ...,
//!   "reason": "..."}` ([`learncity_store::curation::Request`]); 201 with the decision;
//! - `POST /decisions/{id}/revoke`: `{"reason": "..."}`; 200 with the revoked decision;
//! - `GET /providers/health`: the providers' fetch state with the failures in words (the public
//!   `/api/v1/providers/health` leaves them out).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use axum::Json;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use learncity_config::OperatorRole;
use learncity_store::curation::{self, Author, CurationError, Request};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::api::error;

/// Wrong sign-ins an address may make within [`FAILURE_WINDOW`].
pub const FAILURES_ALLOWED: u32 = 5;
/// The window of [`FAILURES_ALLOWED`].
pub const FAILURE_WINDOW: Duration = Duration::from_secs(300);

/// The admin API's routes (nested at `/api/v1/admin`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/decisions", get(list).post(decide))
        .route("/decisions/{id}/revoke", post(revoke))
        .route("/providers/health", get(providers_health))
}

/// The providers' fetch state whole: the failures in words, why the state is unavailable.
async fn providers_health(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = sign_in(&state, &headers, peer).await {
        return refused;
    }
    let (rows, unavailable) = crate::health_rows(&state, true);
    Json(json!({"items": rows, "unavailable": unavailable})).into_response()
}

/// Wrong sign-ins per client address.
#[derive(Debug, Default)]
pub struct SignInGuard(Mutex<HashMap<IpAddr, (u32, Instant)>>);

impl SignInGuard {
    /// How long `ip` must wait, when it made too many wrong sign-ins.
    fn locked(&self, ip: IpAddr) -> Option<Duration> {
        let mut failures = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (count, since) = *failures.get(&ip)?;
        let left = FAILURE_WINDOW.checked_sub(since.elapsed());
        match left {
            None => {
                failures.remove(&ip);
                None
            }
            Some(left) => (count >= FAILURES_ALLOWED).then_some(left),
        }
    }

    fn failed(&self, ip: IpAddr) {
        let mut failures = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if failures.len() > 100_000 {
            failures.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
        }
        let slot = failures.entry(ip).or_insert((0, Instant::now()));
        if slot.1.elapsed() >= FAILURE_WINDOW {
            *slot = (0, Instant::now());
        }
        slot.0 += 1;
    }
}

/// Who is asking.
pub(crate) struct Signed {
    /// The operator's name.
    pub(crate) name: String,
    /// What it may do.
    pub(crate) role: OperatorRole,
}

/// The operator making the request, or the answer refusing it.
async fn sign_in(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> Result<Signed, Response> {
    let settings = &state.settings;
    let unknown = || {
        let mut r = error(StatusCode::UNAUTHORIZED, "sign in as an operator (HTTP Basic: name and password)".into());
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            "Basic realm=\"learncity operators\", charset=\"UTF-8\"".parse().expect("a header value"),
        );
        r
    };
    if settings.operators.is_empty() {
        return Err(error(StatusCode::UNAUTHORIZED, "no operator is configured ([[serve.operators]])".into()));
    }
    let role_of = |name: &str| settings.operators.iter().find(|o| o.name == name).map(|o| o.role);
    if let Some(h) = &settings.operator_header
        && let Some(name) = headers.get(h.as_str()).and_then(|v| v.to_str().ok())
    {
        return match role_of(name) {
            Some(role) => Ok(Signed { name: name.to_owned(), role }),
            None => {
                tracing::warn!(operator = name, client = %peer.ip(), "sign-in refused: the proxy's operator is not configured");
                metrics::counter!("learncity_operator_sign_ins_total", "result" => "unknown").increment(1);
                Err(error(StatusCode::FORBIDDEN, format!("`{name}` is not an operator here")))
            }
        };
    }
    let Some(credentials) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return Err(unknown());
    };
    let (name, password) = credentials.split_once(':').unwrap_or((credentials.as_str(), ""));
    match check_password(state, name, password, peer.ip()).await {
        Ok(signed) => Ok(signed),
        Err(Refused::Locked(wait)) => {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "too many wrong sign-ins from this address; wait".into());
            r.headers_mut().insert(header::RETRY_AFTER, wait.as_secs().max(1).to_string().parse().expect("digits"));
            Err(r)
        }
        Err(Refused::Wrong) => Err(unknown()),
    }
}

/// Why a sign-in was refused.
pub(crate) enum Refused {
    /// Wrong name or password.
    Wrong,
    /// Too many wrong sign-ins from the address: wait this long.
    Locked(Duration),
}

/// Checks `name` and `password` against `[[serve.operators]]`, counting wrong ones against
/// the client address `ip`; logs and counts every outcome.
pub(crate) async fn check_password(
    state: &AppState,
    name: &str,
    password: &str,
    ip: IpAddr,
) -> Result<Signed, Refused> {
    if let Some(wait) = state.sign_ins.locked(ip) {
        metrics::counter!("learncity_operator_sign_ins_total", "result" => "locked").increment(1);
        tracing::warn!(operator = name, client = %ip, "sign-in refused: too many wrong ones from this address");
        return Err(Refused::Locked(wait));
    }
    let operator = state.settings.operators.iter().find(|o| o.name == name);
    let hash = operator.and_then(|o| o.password_hash.clone());
    let password = password.to_owned();
    // Argon2 takes tens of milliseconds of CPU: off the async threads.
    let good = tokio::task::spawn_blocking(move || {
        hash.as_deref()
            .and_then(|h| PasswordHash::new(h).ok())
            .is_some_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false);
    match operator {
        Some(o) if good => {
            metrics::counter!("learncity_operator_sign_ins_total", "result" => "ok").increment(1);
            tracing::info!(operator = name, client = %ip, "operator signed in");
            Ok(Signed { name: o.name.clone(), role: o.role })
        }
        _ => {
            state.sign_ins.failed(ip);
            metrics::counter!("learncity_operator_sign_ins_total", "result" => "wrong").increment(1);
            tracing::warn!(operator = name, client = %ip, "sign-in refused: wrong name or password");
            Err(Refused::Wrong)
        }
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    all: bool,
}

async fn list(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    if let Err(refused) = sign_in(&state, &headers, peer).await {
        return refused;
    }
    match curation::standings(state.store.as_ref(), q.all).await {
        Ok(items) => Json(json!({"items": items})).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, format!("cannot read the decisions: {e}")),
    }
}

/// A decision asked for: the request and why.
#[derive(Debug, Deserialize)]
struct Decide {
    #[serde(flatten)]
    request: Request,
    reason: String,
}

async fn decide(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (who, asked) = match asked::<Decide>(&state, &headers, peer, &body, "not a decision").await {
        Ok(asked) => asked,
        Err(refused) => return refused,
    };
    let author = Author { by: who.name, reason: asked.reason };
    match curation::decide(state.store.as_ref(), asked.request, &author, &state.curation.topic).await {
        Ok(d) => (StatusCode::CREATED, Json(d)).into_response(),
        Err(e) => refusal(&e),
    }
}

#[derive(Debug, Deserialize)]
struct Revoke {
    reason: String,
}

async fn revoke(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let (who, asked) = match asked::<Revoke>(&state, &headers, peer, &body, "give {\"reason\": \"...\"}").await {
        Ok(asked) => asked,
        Err(refused) => return refused,
    };
    let author = Author { by: who.name, reason: asked.reason };
    match curation::revoke(state.store.as_ref(), &id, &author, &state.curation.topic).await {
        Ok(d) => Json(d).into_response(),
        Err(e) => refusal(&e),
    }
}

/// The operator asking, when it may decide, and what it asks: a JSON body read as `T` (400
/// saying `what` is wanted when it is not one).
async fn asked<T: serde::de::DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
    body: &[u8],
    what: &str,
) -> Result<(Signed, T), Response> {
    let who = may_decide(state, headers, peer).await?;
    json_body(headers)?;
    let asked = serde_json::from_slice(body).map_err(|e| error(StatusCode::BAD_REQUEST, format!("{what}: {e}")))?;
    Ok((who, asked))
}

/// A decision's body must say it is JSON: a page elsewhere cannot send that across sites
/// without a CORS preflight, which this API never grants — so behind a proxy that signs the
/// operator's browser in, no other site can decide in the operator's name.
#[allow(clippy::result_large_err)] // The refusal is the answer itself.
fn json_body(headers: &HeaderMap) -> Result<(), Response> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json")));
    if json {
        Ok(())
    } else {
        Err(error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send the decision as Content-Type: application/json".into()))
    }
}

/// The signed-in operator when it may decide.
async fn may_decide(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> Result<Signed, Response> {
    let who = sign_in(state, headers, peer).await?;
    if who.role != OperatorRole::Operator {
        return Err(error(StatusCode::FORBIDDEN, format!("`{}` is a viewer: viewers do not decide", who.name)));
    }
    Ok(who)
}

pub(crate) fn status_of(e: &CurationError) -> StatusCode {
    match e {
        CurationError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        CurationError::NotFound(_) => StatusCode::NOT_FOUND,
        CurationError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn refusal(e: &CurationError) -> Response {
    error(status_of(e), e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_locked_after_too_many_wrong_sign_ins_and_others_are_not() {
        let guard = SignInGuard::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..FAILURES_ALLOWED - 1 {
            guard.failed(a);
        }
        assert_eq!(guard.locked(a), None, "below the limit");
        guard.failed(a);
        let wait = guard.locked(a).expect("locked at the limit");
        assert!(wait <= FAILURE_WINDOW && wait > FAILURE_WINDOW - Duration::from_secs(60));
        assert_eq!(guard.locked(b), None);
    }
}
