//! `file://` URLs: read from disk with the same size and time limits, Last-Modified from the mtime.

use std::path::Path;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use url::Url;

use crate::{CacheHint, FetchError, FetchOutcome, Fetched, Validators};

pub(crate) async fn fetch_file(
    url: &Url,
    validators: Option<&Validators>,
    max_body_bytes: u64,
    total_timeout: Duration,
) -> Result<FetchOutcome, FetchError> {
    let path = url
        .to_file_path()
        .map_err(|()| FetchError::InvalidUrl { url: url.to_string(), detail: "not a local file path".into() })?;
    // A FIFO or a slow network mount must not stall the poller.
    match tokio::time::timeout(total_timeout, read(url, &path, validators, max_body_bytes)).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Timeout { url: url.to_string(), after: total_timeout }),
    }
}

async fn read(
    url: &Url,
    path: &Path,
    validators: Option<&Validators>,
    max_body_bytes: u64,
) -> Result<FetchOutcome, FetchError> {
    let shown = path.display().to_string();
    let file_error = |e: std::io::Error| FetchError::File { path: shown.clone(), detail: e.to_string() };
    let file = tokio::fs::File::open(path).await.map_err(file_error)?;
    let meta = file.metadata().await.map_err(file_error)?;
    if meta.is_dir() {
        return Err(FetchError::File { path: shown.clone(), detail: "is a directory".into() });
    }
    if meta.len() > max_body_bytes {
        return Err(FetchError::TooLarge { url: url.to_string(), limit: max_body_bytes });
    }
    let last_modified = meta.modified().ok().map(httpdate::fmt_http_date);
    if let Some(lm) = &last_modified
        && validators.and_then(|v| v.last_modified.as_ref()) == Some(lm)
    {
        return Ok(FetchOutcome::NotModified { cache: CacheHint::default() });
    }
    // The length may lie (a growing file, /dev/zero): read at most one byte past the limit.
    let capacity = usize::try_from(meta.len()).unwrap_or(0).min(8 * 1024 * 1024);
    let mut body = Vec::with_capacity(capacity);
    file.take(max_body_bytes.saturating_add(1)).read_to_end(&mut body).await.map_err(file_error)?;
    if body.len() as u64 > max_body_bytes {
        return Err(FetchError::TooLarge { url: url.to_string(), limit: max_body_bytes });
    }
    Ok(FetchOutcome::Fetched(Fetched {
        url: url.clone(),
        status: 200,
        content_type: guess_content_type(path).map(str::to_owned),
        body,
        validators: Validators { etag: None, last_modified },
        cache: CacheHint::default(),
    }))
}

fn guess_content_type(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "xml" => "application/xml",
        "rss" => "application/rss+xml",
        "atom" => "application/atom+xml",
        "json" => "application/json",
        "ics" | "ical" => "text/calendar",
        "html" | "htm" => "text/html",
        "txt" => "text/plain",
        _ => return None,
    })
}
