//! The operator console, `/admin`: server-rendered pages in be, ru and en where operators
//! decide on the catalogue — the review queue decided in one click, an entry's sources with
//! hide / take out / pin, every decision with revoke — the same decisions as `learncity curate`
//! and the admin API ([`learncity_store::curation`]).
//!
//! Sign-in with an operator's name and password ([`crate::admin::check_password`]: argon2,
//! wrong ones rate-limited per address) or through `operator-header` behind an authenticating
//! proxy. A session is a random id in a `Secure`, `HttpOnly`, `SameSite=Strict` cookie scoped
//! to `/admin`, kept in the catalogue store for [`SESSION_TTL`] (every `serve` instance of the
//! store knows it; a restart signs nobody out; the store keeps only the id's SHA-256). Every
//! form carries a CSRF token bound to the session (the sign-in form: to a cookie of its own); a
//! form posted without it is refused with 403. A viewer sees everything and decides
//! nothing. Anonymous requests are redirected to the sign-in page.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use axum::Form;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use learncity_config::{Operator, OperatorRole};
use learncity_store::curation::{self, Author, Request, describe};
use learncity_store::{CatalogStore, ConsoleSession, StoreError};
use serde::Deserialize;

use crate::admin::{Refused, Signed, check_password};
use crate::i18n::Lang;
use crate::pages::{PageContext, esc, layout};
use crate::{AppState, cookie, html, lang_of};

/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
const SESSION_COOKIE: &str = "learncity_operator";
const SIGN_IN_COOKIE: &str = "learncity_sign_in";

/// The console's routes (nested at `/admin`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/entry/{id}", get(entry_page))
        .route("/decide", post(decide))
        .route("/revoke", post(revoke))
        .route("/providers", get(providers))
        .route("/providers/new", get(crate::add_provider::new_page).post(crate::add_provider::check_or_save))
}

/// The providers' health whole (the public page leaves the failures' words out).
async fn providers(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some((who, csrf)) = signed(&state, &headers).await else { return to_login() };
    let lang = lang_of(&state, None, &headers);
    let ctx = PageContext {
        lang,
        title: &state.settings.title,
        here: "/admin/providers".into(),
        images: state.settings.images,
        zone: state.zone,
    };
    let (rows, unavailable) = crate::health_rows(&state, true);
    let table = crate::health::page(&ctx, &rows, unavailable.as_deref());
    // The health page is a whole page: keep its main part under the console's bar.
    let main =
        table.split_once("<main id=\"main\">").and_then(|(_, rest)| rest.split_once("</main>")).map_or("", |(m, _)| m);
    let body = format!("{}{main}", header_bar(&who, &csrf, words(lang)));
    page(&state, &headers, "/admin/providers", words(lang).providers, &body)
}

/// Signed-in operators' sessions, kept in the store so that every `serve` instance of one
/// catalogue knows them (behind a load balancer) and a restart signs nobody out; and the
/// store's shared secret the CSRF tokens of operators signed in by the proxy's header (who have
/// no session) are derived from, read at its first use.
pub struct Sessions {
    store: Arc<dyn CatalogStore>,
    secret: tokio::sync::OnceCell<String>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sessions")
    }
}

fn token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the store keeps of a session id: its SHA-256, so a copy of the store holds no cookie.
fn hashed(id: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(id.as_bytes()))
}

impl Sessions {
    /// Sessions kept in `store`.
    pub fn new(store: Arc<dyn CatalogStore>) -> Self {
        Sessions { store, secret: tokio::sync::OnceCell::new() }
    }

    /// A new session of `who`: its id (the cookie's value) and CSRF token.
    async fn open(&self, who: &Signed) -> Result<(String, String), StoreError> {
        let (id, csrf) = (token(), token());
        let until = chrono::Duration::from_std(SESSION_TTL).expect("eight hours");
        let session = ConsoleSession {
            id: hashed(&id),
            operator: who.name.clone(),
            csrf: csrf.clone(),
            expires_at: Utc::now() + until,
        };
        self.store.open_console_session(&session).await?;
        Ok((id, csrf))
    }

    /// The operator and CSRF token of session `id`, while it lasts and the operator is still
    /// configured (with the role the config gives now). A store that cannot be read signs
    /// nobody in.
    async fn get(&self, id: &str, operators: &[Operator]) -> Option<(Signed, String)> {
        let session = match self.store.console_session(&hashed(id)).await {
            Ok(session) => session?,
            Err(e) => {
                tracing::error!(error = %e, "cannot read console sessions from the store; the request is treated as anonymous");
                return None;
            }
        };
        let o = operators.iter().find(|o| o.name == session.operator)?;
        Some((Signed { name: o.name.clone(), role: o.role }, session.csrf))
    }

    /// The CSRF token of `name` signed in by the proxy's header: derived from the store's
    /// secret, so a page from elsewhere cannot know it and every instance gives the same.
    async fn proxied_csrf(&self, name: &str) -> Result<String, StoreError> {
        use sha2::{Digest, Sha256};
        let secret = self
            .secret
            .get_or_try_init(|| async {
                let made = token();
                self.store.console_secret(&made).await
            })
            .await?;
        Ok(hex::encode(Sha256::digest(format!("{secret}\0{name}").as_bytes())))
    }

    async fn close(&self, id: &str) {
        if let Err(e) = self.store.close_console_session(&hashed(id)).await {
            tracing::error!(error = %e, "cannot forget a console session (signing out)");
        }
    }
}

crate::i18n::fluent_words! {
    /// The console's words (Fluent messages `console-...`).
    pub(crate) struct Words: "console-" {
    console,
    sign_in,
    sign_out,
    name,
    password,
    wrong,
    locked,
    signed_in_as,
    viewer_note,
    queue,
    near_pairs,
    disagreements,
    merge,
    split,
    hide,
    take_out,
    pin,
    field,
    value,
    reason,
    decisions,
    revoke,
    no_longer_applies,
    revoked,
    open_entry,
    sources,
    merge_with,
    nothing,
    providers,
    add_provider,
    check,
    save,
    saved,
    provider_file,
    offerings,
    warnings,
    }
}

pub(crate) fn words(lang: Lang) -> &'static Words {
    Words::of(lang)
}

/// A console page: no caching, no framing, the pages' CSP.
pub(crate) fn page(state: &AppState, headers: &HeaderMap, here: &str, title: &str, body: &str) -> Response {
    let lang = lang_of(state, None, headers);
    let ctx = PageContext {
        lang,
        title: &state.settings.title,
        here: here.to_owned(),
        images: state.settings.images,
        zone: state.zone,
    };
    let mut r = html(StatusCode::OK, layout(&ctx, title, body), None);
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The signed-in operator of this request and its session's CSRF token; `None`: anonymous.
pub(crate) async fn signed(state: &AppState, headers: &HeaderMap) -> Option<(Signed, String)> {
    if let Some(h) = &state.settings.operator_header
        && let Some(name) = headers.get(h.as_str()).and_then(|v| v.to_str().ok())
        && let Some(o) = state.settings.operators.iter().find(|o| o.name == name)
    {
        // Behind the proxy every request is signed in: no session, a token of its own.
        let csrf = match state.sessions.proxied_csrf(name).await {
            Ok(csrf) => csrf,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the console's secret from the store; forms cannot be checked");
                String::new()
            }
        };
        return Some((Signed { name: o.name.clone(), role: o.role }, csrf));
    }
    state.sessions.get(cookie(headers, SESSION_COOKIE)?, &state.settings.operators).await
}

pub(crate) fn to_login() -> Response {
    Redirect::to("/admin/login").into_response()
}

#[derive(Debug, Deserialize)]
struct Msg {
    #[serde(default)]
    msg: Option<String>,
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<Msg>) -> Response {
    let t = words(lang_of(&state, None, &headers));
    let csrf = token();
    let note = q.msg.map(|m| format!("<p role=\"alert\">{}</p>", esc(&m))).unwrap_or_default();
    let body = format!(
        "<h1>{console}</h1>{note}<form method=\"post\" action=\"/admin/login\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<p><label for=\"name\">{name}</label><br><input id=\"name\" name=\"name\" autocomplete=\"username\" required></p>\
<p><label for=\"password\">{password}</label><br><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\
<p><button type=\"submit\">{sign_in}</button></p></form>",
        console = t.console,
        name = t.name,
        password = t.password,
        sign_in = t.sign_in,
    );
    let mut r = page(&state, &headers, "/admin/login", t.sign_in, &body);
    let cookie = format!("{SIGN_IN_COOKIE}={csrf}; Path=/admin; HttpOnly; Secure; SameSite=Strict; Max-Age=3600");
    r.headers_mut().append(header::SET_COOKIE, cookie.parse().expect("a cookie"));
    r
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    name: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || form.csrf != expected {
        return forbidden("the sign-in form expired or came from elsewhere; open /admin/login again");
    }
    let t = words(lang_of(&state, None, &headers));
    match check_password(&state, &form.name, &form.password, peer.ip()).await {
        Ok(who) => {
            let id = match state.sessions.open(&who).await {
                Ok((id, _)) => id,
                Err(e) => {
                    tracing::error!(error = %e, operator = %who.name, "cannot keep a console session in the store");
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the catalogue store cannot be written; try again shortly",
                    )
                        .into_response();
                }
            };
            let mut r = Redirect::to("/admin").into_response();
            let max_age = SESSION_TTL.as_secs();
            let cookie =
                format!("{SESSION_COOKIE}={id}; Path=/admin; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age}");
            r.headers_mut().append(header::SET_COOKIE, cookie.parse().expect("a cookie"));
            r
        }
        Err(Refused::Wrong) => {
            let mut r = Redirect::to(&format!("/admin/login?msg={}", urlencode(t.wrong))).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
        Err(Refused::Locked(wait)) => {
            let mut r = (StatusCode::TOO_MANY_REQUESTS, t.locked).into_response();
            r.headers_mut().insert(header::RETRY_AFTER, wait.as_secs().max(1).to_string().parse().expect("digits"));
            r
        }
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    if let Some(id) = cookie(&headers, SESSION_COOKIE)
        && state.sessions.get(id, &state.settings.operators).await.is_some_and(|(_, csrf)| csrf == form.csrf)
    {
        state.sessions.close(id).await;
    }
    let mut r = Redirect::to("/admin/login").into_response();
    let cookie = format!("{SESSION_COOKIE}=; Path=/admin; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
    r.headers_mut().append(header::SET_COOKIE, cookie.parse().expect("a cookie"));
    r
}

fn forbidden(why: &str) -> Response {
    (StatusCode::FORBIDDEN, why.to_owned()).into_response()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A form posting a decision: hidden fields, a reason, one button.
fn decision_form(csrf: &str, back: &str, fields: &[(&str, &str)], reason: &str, button: &str, t: &Words) -> String {
    let mut hidden = String::new();
    for (k, v) in fields {
        let _ = write!(hidden, "<input type=\"hidden\" name=\"{}\" value=\"{}\">", esc(k), esc(v));
    }
    format!(
        "<form method=\"post\" action=\"/admin/decide\" class=\"decide\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"back\" value=\"{back}\">{hidden}\
<label>{why} <input name=\"reason\" value=\"{reason}\" required></label> <button type=\"submit\">{button}</button></form>",
        csrf = esc(csrf),
        back = esc(back),
        why = t.reason,
        reason = esc(reason),
        button = esc(button),
    )
}

pub(crate) fn header_bar(who: &Signed, csrf: &str, t: &Words) -> String {
    let viewer = if who.role == OperatorRole::Viewer { format!("<p>{}</p>", t.viewer_note) } else { String::new() };
    format!(
        "<h1>{console}</h1><p>{as_} <strong>{name}</strong> · <a href=\"/admin\">{queue}</a> · <a href=\"/admin/providers\">{providers}</a> · <a href=\"/admin/providers/new\">{add}</a></p>\
<form method=\"post\" action=\"/admin/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">{out}</button></form>{viewer}",
        console = t.console,
        as_ = t.signed_in_as,
        name = esc(&who.name),
        queue = t.queue,
        providers = t.providers,
        add = t.add_provider,
        csrf = esc(csrf),
        out = t.sign_out,
    )
}

async fn home(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<Msg>) -> Response {
    let Some((who, csrf)) = signed(&state, &headers).await else { return to_login() };
    let t = words(lang_of(&state, None, &headers));
    let decides = who.role == OperatorRole::Operator;
    let mut body = header_bar(&who, &csrf, t);
    if let Some(m) = q.msg {
        let _ = write!(body, "<p role=\"status\">{}</p>", esc(&m));
    }

    // The review queue.
    let _ = write!(body, "<h2>{}</h2><h3>{}</h3>", t.queue, t.near_pairs);
    match review(&state).await {
        Err(e) => {
            let _ = write!(body, "<p role=\"alert\">{}</p>", esc(&e));
        }
        Ok(queue) => {
            if queue.pairs.is_empty() {
                let _ = write!(body, "<p>{}</p>", t.nothing);
            }
            body.push_str("<ol>");
            for p in queue.pairs.iter().take(50) {
                let _ = write!(body, "<li><pre>{}</pre>", esc(&p.explanation));
                if decides {
                    let (action, button) = if p.together { ("split", t.split) } else { ("merge", t.merge) };
                    let targets = format!("{} {}", p.a, p.b);
                    body.push_str(&decision_form(
                        &csrf,
                        "/admin",
                        &[("action", action), ("targets", &targets)],
                        "",
                        button,
                        t,
                    ));
                }
                body.push_str("</li>");
            }
            let _ = write!(body, "</ol><h3>{}</h3><ul>", t.disagreements);
            if queue.disagreements.is_empty() {
                let _ = write!(body, "<li>{}</li>", t.nothing);
            }
            for d in queue.disagreements.iter().take(50) {
                let values: Vec<String> = d.values.iter().map(|(k, v)| format!("{}: {}", esc(k), esc(v))).collect();
                let _ = write!(
                    body,
                    "<li><a href=\"/admin/entry/{id}\">{title}</a> — {field}: {values}</li>",
                    id = esc(&d.entry),
                    title = esc(&d.title),
                    field = d.field,
                    values = values.join("; ")
                );
            }
            body.push_str("</ul>");
        }
    }

    // Every decision, with revoke.
    let _ = write!(body, "<h2>{}</h2><ul>", t.decisions);
    match curation::standings(state.store.as_ref(), true).await {
        Err(e) => {
            let _ = write!(body, "<li role=\"alert\">{}</li>", esc(&e.to_string()));
        }
        Ok(standings) => {
            for s in &standings {
                let d = &s.decision;
                let state_note = match (&d.revoked, s.applies) {
                    (Some(_), _) => format!(" ({})", t.revoked),
                    (None, false) => format!(" ({})", t.no_longer_applies),
                    _ => String::new(),
                };
                let _ = write!(
                    body,
                    "<li><code>{id}</code> {what}{state_note} — {by}, {at}: {why}",
                    id = esc(&d.id),
                    what = esc(&describe(d)),
                    by = esc(&d.by),
                    at = d.at.format("%Y-%m-%d %H:%M"),
                    why = esc(&d.reason)
                );
                if decides && d.revoked.is_none() {
                    let _ = write!(
                        body,
                        "<form method=\"post\" action=\"/admin/revoke\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<input type=\"hidden\" name=\"id\" value=\"{id}\"><label>{why} <input name=\"reason\" required></label> <button type=\"submit\">{revoke}</button></form>",
                        csrf = esc(&csrf),
                        id = esc(&d.id),
                        why = t.reason,
                        revoke = t.revoke
                    );
                }
                body.push_str("</li>");
            }
        }
    }
    body.push_str("</ul>");
    page(&state, &headers, "/admin", t.console, &body)
}

/// The review queue of the store's catalogue.
async fn review(state: &AppState) -> Result<learncity_builder::review::Queue, String> {
    let store = state.store.as_ref();
    let decisions = store.decisions().await.map_err(|e| e.to_string())?;
    let sources = store.sources().await.map_err(|e| e.to_string())?;
    let entries = store.entries().await.map_err(|e| e.to_string())?;
    let mut rules = state.curation.rules.clone();
    rules.curation = learncity_catalog::curation::Curation::new(decisions);
    Ok(learncity_builder::review::queue(&sources, &entries, &rules, learncity_builder::review::MARGIN))
}

async fn entry_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<Msg>,
) -> Response {
    let Some((who, csrf)) = signed(&state, &headers).await else { return to_login() };
    let t = words(lang_of(&state, None, &headers));
    let decides = who.role == OperatorRole::Operator;
    let Some(entry) = state.catalogue.get(&id) else {
        return (StatusCode::NOT_FOUND, format!("no live entry {id}")).into_response();
    };
    let back = format!("/admin/entry/{id}");
    let mut body = header_bar(&who, &csrf, t);
    if let Some(m) = q.msg {
        let _ = write!(body, "<p role=\"status\">{}</p>", esc(&m));
    }
    let _ = write!(
        body,
        "<h2>{title}</h2><p><code>{id}</code> · {kind:?} · <a href=\"/entry/{id}\">{open}</a></p><h3>{sources}</h3><ul>",
        title = esc(&entry.title),
        id = esc(&entry.id),
        kind = entry.kind,
        open = t.open_entry,
        sources = t.sources
    );
    for s in &entry.sources {
        let _ = write!(body, "<li><code>{}</code> «{}»", esc(&s.key), esc(&s.title));
        if decides {
            body.push_str(&decision_form(&csrf, &back, &[("action", "hide"), ("targets", &s.key)], "", t.hide, t));
            if entry.sources.len() > 1 {
                body.push_str(&decision_form(
                    &csrf,
                    &back,
                    &[("action", "split"), ("targets", &entry.id), ("sources", &s.key)],
                    "",
                    t.take_out,
                    t,
                ));
            }
        }
        body.push_str("</li>");
    }
    body.push_str("</ul>");
    if decides {
        let _ = write!(body, "<h3>{}</h3>", t.hide);
        body.push_str(&decision_form(&csrf, "/admin", &[("action", "hide"), ("targets", &entry.id)], "", t.hide, t));
        let fields: String = ["title", "kind", "mode", "categories", "venue", "price", "source"]
            .iter()
            .map(|f| format!("<option value=\"{f}\">{f}</option>"))
            .collect();
        let _ = write!(
            body,
            "<h3>{pin}</h3><form method=\"post\" action=\"/admin/decide\" class=\"pin\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"back\" value=\"{back}\">\
<input type=\"hidden\" name=\"action\" value=\"pin\"><input type=\"hidden\" name=\"targets\" value=\"{id}\">\
<label>{field} <select name=\"field\">{fields}</select></label> <label>{value} <input name=\"value\" required></label> \
<label>{why} <input name=\"reason\" required></label> <button type=\"submit\">{pin}</button></form>\
<h3>{merge}</h3><form method=\"post\" action=\"/admin/decide\" class=\"merge\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"back\" value=\"{back}\">\
<input type=\"hidden\" name=\"action\" value=\"merge\"><input type=\"hidden\" name=\"targets\" value=\"{id}\">\
<label>{merge_with} <input name=\"more\" required></label> <label>{why} <input name=\"reason\" required></label> <button type=\"submit\">{merge}</button></form>",
            pin = t.pin,
            csrf = esc(&csrf),
            back = esc(&back),
            id = esc(&entry.id),
            field = t.field,
            value = t.value,
            why = t.reason,
            merge = t.merge,
            merge_with = t.merge_with,
        );
    }
    page(&state, &headers, &back, &entry.title, &body)
}

#[derive(Debug, Deserialize)]
struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
    action: String,
    #[serde(default)]
    targets: String,
    #[serde(default)]
    more: String,
    #[serde(default)]
    sources: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    reason: String,
}

/// The signed-in operator that may decide, with a form's CSRF token checked.
#[allow(clippy::result_large_err)] // The refusal is the answer itself; boxing it only adds an allocation.
pub(crate) async fn may_decide(state: &AppState, headers: &HeaderMap, csrf: &str) -> Result<Signed, Response> {
    let Some((who, expected)) = signed(state, headers).await else { return Err(to_login()) };
    if expected.is_empty() || csrf != expected {
        tracing::warn!(operator = %who.name, "console form refused: missing or wrong CSRF token");
        return Err(forbidden("the form's token is missing or stale (CSRF); open the page again"));
    }
    if who.role != OperatorRole::Operator {
        return Err(forbidden("viewers do not decide"));
    }
    Ok(who)
}

pub(crate) fn back_to(back: &str, msg: &str) -> Response {
    let back = if back.starts_with("/admin") && !back.starts_with("//") { back } else { "/admin" };
    Redirect::to(&format!("{back}?msg={}", urlencode(msg))).into_response()
}

async fn decide(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<DecideForm>) -> Response {
    let who = match may_decide(&state, &headers, &form.csrf).await {
        Ok(who) => who,
        Err(refused) => return refused,
    };
    let words = |text: &str| text.split_whitespace().map(str::to_owned).collect::<Vec<String>>();
    let mut targets = words(&form.targets);
    targets.extend(words(&form.more));
    let request = match form.action.as_str() {
        "merge" => Request::Merge { targets },
        "split" => Request::Split { targets, sources: words(&form.sources) },
        "hide" => Request::Hide { targets },
        "pin" => Request::Pin {
            target: targets.into_iter().next().unwrap_or_default(),
            field: form.field.clone(),
            value: form.value.clone(),
        },
        other => return (StatusCode::BAD_REQUEST, format!("unknown action `{other}`")).into_response(),
    };
    let author = Author { by: who.name, reason: form.reason };
    match curation::decide(state.store.as_ref(), request, &author, &state.curation.topic).await {
        Ok(d) => back_to(&form.back, &format!("{} {}", d.id, describe(&d))),
        Err(e) => {
            let mut r = back_to(&form.back, &e.to_string());
            if crate::admin::status_of(&e) == StatusCode::SERVICE_UNAVAILABLE {
                *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            }
            r
        }
    }
}

#[derive(Debug, Deserialize)]
struct RevokeForm {
    #[serde(default)]
    csrf: String,
    id: String,
    #[serde(default)]
    reason: String,
}

async fn revoke(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<RevokeForm>) -> Response {
    let who = match may_decide(&state, &headers, &form.csrf).await {
        Ok(who) => who,
        Err(refused) => return refused,
    };
    let author = Author { by: who.name, reason: form.reason };
    match curation::revoke(state.store.as_ref(), &form.id, &author, &state.curation.topic).await {
        Ok(d) => back_to("/admin", &format!("{} {}", d.id, curation_revoked(&d))),
        Err(e) => back_to("/admin", &e.to_string()),
    }
}

fn curation_revoked(d: &learncity_model::curation::Decision) -> String {
    format!("revoked: {}", describe(d))
}
