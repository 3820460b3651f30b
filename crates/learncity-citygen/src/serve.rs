//! Serving a city over HTTP: GET and HEAD with validators, like a well-behaved provider.
//!
//! - every [`Document`](crate::Document) at its path, with its `Content-Type`, a strong `ETag`
//!   (a hash of the body) and `Last-Modified` ([`City::generated_at`]); `If-None-Match` /
//!   `If-Modified-Since` get `304 Not Modified`;
//! - a document with a `fault` answers that status instead;
//! - `/robots.txt` allows everything; `/` is a plain-text index of the documents;
//! - anything else is `404`, other methods `405`.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::City;

struct Served {
    city: Arc<City>,
    /// Path → (index into the documents, quoted strong ETag).
    paths: HashMap<String, (usize, String)>,
    last_modified: SystemTime,
    index: String,
}

/// The router serving `city` (for embedding it in a larger app or a test).
pub fn router(city: Arc<City>) -> Router {
    let paths = city
        .documents
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let digest = hex::encode(Sha256::digest(&d.body));
            (d.path.clone(), (i, format!("\"{}\"", &digest[..32])))
        })
        .collect();
    let mut index = format!("learncity generated city, {}: {} documents\n\n", city.today, city.documents.len());
    for d in &city.documents {
        let fault = d.fault.map(|s| format!(" (answers {s})")).unwrap_or_default();
        index.push_str(&format!("{}\t{}\t{}{fault}\n", d.path, d.provider, d.content_type));
    }
    let last_modified = SystemTime::from(city.generated_at);
    let served = Arc::new(Served { city, paths, last_modified, index });
    Router::new().fallback(handle).with_state(served)
}

/// Serves `city` on `listener` until `stop` is cancelled (then finishes the requests in flight).
pub async fn serve(city: Arc<City>, listener: TcpListener, stop: CancellationToken) -> io::Result<()> {
    axum::serve(listener, router(city)).with_graceful_shutdown(stop.cancelled_owned()).await
}

fn text(status: StatusCode, body: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body.to_owned()).into_response()
}

async fn handle(State(served): State<Arc<Served>>, request: Request) -> Response {
    let method = request.method().clone();
    if method != Method::GET && method != Method::HEAD {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let head = method == Method::HEAD;
    let path = request.uri().path();
    let (content_type, body, validators): (String, Vec<u8>, Option<&str>) = match path {
        "/robots.txt" => ("text/plain; charset=utf-8".into(), b"User-agent: *\nAllow: /\n".to_vec(), None),
        "/" => ("text/plain; charset=utf-8".into(), served.index.as_bytes().to_vec(), None),
        _ => match served.paths.get(path) {
            None => return text(StatusCode::NOT_FOUND, "not found\n"),
            Some((i, etag)) => {
                let doc = &served.city.documents[*i];
                if let Some(code) = doc.fault {
                    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    // No Retry-After: every demo provider lives on this one server, and a
                    // Retry-After holds back the whole host (politeness), so one faulty provider
                    // would keep the others waiting for minutes.
                    return text(status, &format!("{code} {}\n", status.canonical_reason().unwrap_or("")));
                }
                (doc.content_type.clone(), doc.body.clone(), Some(etag.as_str()))
            }
        },
    };
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    let mut status = StatusCode::OK;
    if let Some(etag) = validators {
        if let Ok(v) = HeaderValue::from_str(etag) {
            headers.insert(header::ETAG, v);
        }
        if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(served.last_modified)) {
            headers.insert(header::LAST_MODIFIED, v);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=300"));
        if not_modified(request.headers(), etag, served.last_modified) {
            status = StatusCode::NOT_MODIFIED;
        }
    }
    if status == StatusCode::NOT_MODIFIED {
        headers.remove(header::CONTENT_TYPE);
        return (status, headers).into_response();
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    let body = if head { Body::empty() } else { Body::from(body) };
    (status, headers, body).into_response()
}

/// RFC 9110 §13.1: `If-None-Match` wins over `If-Modified-Since` when both are present.
fn not_modified(headers: &HeaderMap, etag: &str, modified: SystemTime) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        let inm = String::from_utf8_lossy(inm.as_bytes());
        return inm.split(',').map(str::trim).any(|c| c == "*" || c.strip_prefix("W/").unwrap_or(c) == etag);
    }
    if let Some(since) = headers.get(header::IF_MODIFIED_SINCE)
        && let Ok(since) = httpdate::parse_http_date(&String::from_utf8_lossy(since.as_bytes()))
    {
        return modified <= since;
    }
    false
}
