//! The JSON API under `/api/v1`, as described by `openapi.json` (served at
//! `/api/v1/openapi.json`). Errors are `{"status": N, "message": "..."}`.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde_json::json;

use crate::AppState;
use crate::params::Filters;

/// The OpenAPI 3.1 description of this API.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// `/api/v1` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/entries", get(list))
        .route("/entries/{id}", get(one))
        .route("/providers", get(providers))
        .route("/providers/health", get(providers_health))
        .route("/categories", get(categories))
        .route("/openapi.json", get(openapi))
}

/// A JSON error.
pub fn error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({"status": status.as_u16(), "message": message}))).into_response()
}

async fn list(State(state): State<AppState>, Query(f): Query<Filters>) -> Response {
    let s = &state.settings;
    let query = match f.to_query(Utc::now(), s.page_size, s.max_page_size) {
        Ok(q) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let page = match state.catalogue.index().search(&query) {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let ids: Vec<String> = page.hits.iter().map(|h| h.id.clone()).collect();
    let items = state.catalogue.get_all(&ids);
    let current = f.page();
    let next = (query.offset + query.limit < page.total)
        .then(|| format!("{}/api/v1/entries?{}", state.public_url(), f.query_string(Some(current + 1))));
    Json(json!({
        "total": page.total,
        "page": current,
        "per_page": query.limit,
        "relaxed": page.relaxed,
        "next": next,
        "items": items.iter().map(|e| &**e).collect::<Vec<_>>(),
    }))
    .into_response()
}

async fn one(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.catalogue.get(&id) {
        Some(e) => Json(&*e).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("no entry {id}")),
    }
}

async fn providers(State(state): State<AppState>) -> Response {
    Json(json!({"items": state.catalogue.providers()})).into_response()
}

async fn providers_health(State(state): State<AppState>) -> Response {
    let (rows, unavailable) = crate::health_rows(&state, false);
    Json(json!({"items": rows, "unavailable": unavailable})).into_response()
}

async fn categories(State(state): State<AppState>) -> Response {
    let items: Vec<serde_json::Value> =
        state.catalogue.categories().into_iter().map(|(id, n)| json!({"id": id, "entries": n})).collect();
    Json(json!({"items": items})).into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}
