//! One bounded HTTP GET for `learncity check URL`: timeouts, a redirect limit, a streamed
//! body-size limit counted on decoded bytes (which also stops gzip bombs), and an honest
//! User-Agent. The collector's polite, scheduled fetcher builds on the same limits.

use std::time::Duration;

use anyhow::{Context, bail};

/// Largest body accepted, after decompression.
pub const MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// What a fetch returned.
pub struct Fetched {
    /// The final URL after redirects.
    pub url: url::Url,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The decoded body.
    pub body: Vec<u8>,
}

/// Fetches `url` once.
pub async fn get(url: &url::Url) -> anyhow::Result<Fetched> {
    let client = reqwest::Client::builder()
        .user_agent(concat!(
            "learncity-check/",
            env!("CARGO_PKG_VERSION"),
            " (+https://github.com/learncity/learncity)"
        ))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .context("cannot build the HTTP client")?;
    let mut response = client.get(url.clone()).send().await.with_context(|| format!("GET {url} failed"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("GET {url} returned {status}");
    }
    let final_url = response.url().clone();
    let content_type =
        response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.with_context(|| format!("reading the body of {url} failed"))? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            bail!("{url} sent more than {} MiB; refusing to read further", MAX_BODY_BYTES / (1024 * 1024));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched { url: final_url, content_type, body })
}
