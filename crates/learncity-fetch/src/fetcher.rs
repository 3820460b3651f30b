//! [`Fetcher`]: one polite, bounded GET at a time per host.
//!
//! Order of a fetch: SSRF check of an IP-literal host → the host's slot (one request at a time per
//! `host:port`, tokio mutex held for the whole visit) → robots.txt (cached per origin, fetched through the
//! same slot, delay and limits) → wait until the host's next allowed time → a global concurrency permit → the
//! request under the total timeout → the host's next allowed time is set from the end of the request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::guard::{self, GuardedResolver, Refusal, Trust};
use crate::headers;
use crate::robots::{self, RobotsCache, RobotsPolicy};
use crate::{CacheHint, FetchError, FetchOutcome, FetchRequest, FetchSettings, Fetched, Validators, file};

/// The furthest a 429/503 Retry-After pushes a host's next allowed time: other providers on that host wait at
/// most this long inside `fetch`; the full value is still reported by [`FetchError::retry_after`].
const MAX_HOST_PUSH: Duration = Duration::from_secs(10 * 60);
/// Prune idle host slots once this many hosts are known.
const PRUNE_HOSTS_ABOVE: usize = 4096;
/// Forget the clients of trusted origins once this many are known (they are rebuilt on demand).
const MAX_TRUSTING_CLIENTS: usize = 256;
/// Largest up-front allocation for a body, whatever Content-Length claims.
const MAX_PREALLOCATION: usize = 1024 * 1024;

/// The polite, bounded HTTP fetcher. `Send + Sync`; share it as `Arc<Fetcher>`.
pub struct Fetcher {
    settings: FetchSettings,
    /// SSRF-guarded: filtering resolver, redirect policy refusing private IP literals.
    guarded: reqwest::Client,
    /// For `allow_private` requests, one client per trusted origin (`scheme://host:port`): that origin may be
    /// private, every other address (redirect targets included) is guarded as by `guarded`.
    trusting: Mutex<HashMap<String, reqwest::Client>>,
    permits: Semaphore,
    hosts: Mutex<HashMap<String, Arc<tokio::sync::Mutex<HostSlot>>>>,
    robots: RobotsCache,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// Politeness state of one `host:port`.
#[derive(Debug, Default)]
struct HostSlot {
    /// No request to this host starts before this instant.
    next_allowed: Option<Instant>,
    /// The host's robots.txt Crawl-delay (capped), used when longer than `per-host-delay`.
    crawl_delay: Duration,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// A body over the limit is an error (documents).
    Fail,
    /// A body over the limit is cut (robots.txt: only the first 512 KiB count).
    Truncate,
}

/// A response that passed the status check.
enum Exchange {
    NotModified(CacheHint),
    Ok { url: Url, status: u16, headers: HeaderMap, body: Vec<u8> },
}

impl Fetcher {
    /// Builds the guarded HTTP client. Fails on settings that do not [validate](FetchSettings::validate) (as
    /// [`FetchError::InvalidUrl`] naming `[http] settings`) or when the TLS stack cannot be set up
    /// ([`FetchError::Connect`]).
    pub fn new(settings: FetchSettings) -> Result<Self, FetchError> {
        settings.validate().map_err(|detail| FetchError::InvalidUrl { url: "[http] settings".into(), detail })?;
        let guarded = build_client(&settings, Trust::Nothing)?;
        Ok(Self {
            permits: Semaphore::new(settings.concurrency),
            settings,
            guarded,
            trusting: Mutex::default(),
            hosts: Mutex::default(),
            robots: RobotsCache::default(),
        })
    }

    /// The settings this fetcher was built with.
    pub fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    /// One polite GET: robots.txt, per-host serialisation and delay, global concurrency, SSRF guard, limits.
    ///
    /// May wait (per-host delay, Crawl-delay, a host's Retry-After up to 10 minutes, free concurrency slot) before
    /// the request starts; dropping the future gives up cleanly. `file://` URLs are read from disk.
    pub async fn fetch(&self, req: FetchRequest<'_>) -> Result<FetchOutcome, FetchError> {
        let started = std::time::Instant::now();
        let span = tracing::debug_span!("fetch", url = %req.url, allow_private = req.allow_private);
        let result = async {
            match req.url.scheme() {
                "http" | "https" => self.fetch_http(req).await,
                "file" => {
                    file::fetch_file(req.url, req.validators, self.settings.max_body_bytes, self.settings.total_timeout)
                        .await
                }
                other => Err(FetchError::InvalidUrl {
                    url: req.url.to_string(),
                    detail: format!("unsupported scheme `{other}`, use http, https or file"),
                }),
            }
        }
        .instrument(span.clone())
        .await;
        let elapsed = started.elapsed();
        let (outcome, bytes) = match &result {
            Ok(FetchOutcome::Fetched(f)) => ("ok", f.body.len() as u64),
            Ok(FetchOutcome::NotModified { .. }) => ("not_modified", 0),
            Err(e) => (e.kind(), 0),
        };
        metrics::counter!("learncity_fetch_requests_total", "outcome" => outcome).increment(1);
        metrics::counter!("learncity_fetch_bytes_total").increment(bytes);
        metrics::histogram!("learncity_fetch_seconds").record(elapsed.as_secs_f64());
        span.in_scope(|| match &result {
            Ok(FetchOutcome::Fetched(f)) => {
                tracing::debug!(status = f.status, bytes, elapsed_ms = elapsed.as_millis() as u64, "fetched");
            }
            Ok(FetchOutcome::NotModified { .. }) => {
                tracing::debug!(status = 304, elapsed_ms = elapsed.as_millis() as u64, "not modified");
            }
            Err(error) => {
                tracing::debug!(kind = error.kind(), %error, elapsed_ms = elapsed.as_millis() as u64, "fetch failed");
            }
        });
        result
    }

    async fn fetch_http(&self, req: FetchRequest<'_>) -> Result<FetchOutcome, FetchError> {
        let url = req.url;
        let Some(host) = url.host_str() else {
            return Err(FetchError::InvalidUrl { url: url.to_string(), detail: "the URL has no host".into() });
        };
        if !req.allow_private
            && let Some(ip) = guard::literal_ip(url).filter(|ip| !guard::is_public(*ip))
        {
            return Err(FetchError::PrivateAddress { url: url.to_string(), address: ip.to_string() });
        }
        let client = if req.allow_private { self.trusting_client(url)? } else { self.guarded.clone() };
        let client = &client;
        let key = format!("{host}:{}", url.port_or_known_default().unwrap_or(0));
        let slot = self.host_slot(&key);
        // A tokio mutex: held across the awaits of this visit so the host sees one request at a time.
        let mut slot = slot.lock().await;

        let policy = self.robots_policy(client, url, &mut slot).await?;
        match &*policy {
            RobotsPolicy::Unreachable(error) => return Err(error.clone()),
            policy if !policy.allows(url) => {
                let robots_url = robots::robots_url(url).map_or_else(String::new, String::from);
                return Err(FetchError::RobotsDisallowed { url: url.to_string(), robots_url });
            }
            _ => {}
        }

        let max = self.settings.max_body_bytes;
        match self.polite_exchange(client, url, req.validators, max, Overflow::Fail, &mut slot).await? {
            Exchange::NotModified(cache) => Ok(FetchOutcome::NotModified { cache }),
            Exchange::Ok { url, status, headers, body } => Ok(FetchOutcome::Fetched(Fetched {
                url,
                status,
                content_type: header_string(&headers, CONTENT_TYPE),
                body,
                validators: Validators {
                    etag: header_string(&headers, ETAG),
                    last_modified: header_string(&headers, LAST_MODIFIED),
                },
                cache: headers::cache_hint(&headers, SystemTime::now()),
            })),
        }
    }

    /// The client trusting `url`'s origin (and nothing else) to be private, built on first use.
    fn trusting_client(&self, url: &Url) -> Result<reqwest::Client, FetchError> {
        let origin = url.origin().ascii_serialization();
        let mut clients = self.trusting.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = clients.get(&origin) {
            return Ok(client.clone());
        }
        if clients.len() >= MAX_TRUSTING_CLIENTS {
            clients.clear();
        }
        let client = build_client(&self.settings, Trust::origin_of(url))?;
        clients.insert(origin, client.clone());
        Ok(client)
    }

    fn host_slot(&self, key: &str) -> Arc<tokio::sync::Mutex<HostSlot>> {
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        if hosts.len() >= PRUNE_HOSTS_ABOVE {
            let now = Instant::now();
            // Unused (only the map holds it) and past its next allowed time: forgetting it changes nothing.
            hosts.retain(|_, slot| {
                Arc::strong_count(slot) > 1 || slot.try_lock().map_or(true, |s| s.next_allowed.is_some_and(|t| t > now))
            });
        }
        Arc::clone(hosts.entry(key.to_owned()).or_default())
    }

    /// The robots.txt policy for the URL's origin, fetched through the host's slot when not cached.
    async fn robots_policy(
        &self,
        client: &reqwest::Client,
        url: &Url,
        slot: &mut HostSlot,
    ) -> Result<Arc<RobotsPolicy>, FetchError> {
        let origin = robots::origin_key(url);
        if let Some(policy) = self.robots.get(&origin, Instant::now()) {
            slot.crawl_delay = policy.crawl_delay();
            return Ok(policy);
        }
        let Some(robots_url) = robots::robots_url(url) else { return Ok(Arc::new(RobotsPolicy::AllowAll)) };
        let ttl = self.settings.robots_ttl;
        let short_ttl = ttl.min(robots::UNREACHABLE_TTL);
        let fetched =
            self.polite_exchange(client, &robots_url, None, robots::ROBOTS_MAX_BYTES, Overflow::Truncate, slot).await;
        let (policy, ttl) = match fetched {
            Ok(Exchange::Ok { body, .. }) => (RobotsPolicy::parse(&body), ttl),
            Ok(Exchange::NotModified(_)) => (RobotsPolicy::AllowAll, ttl),
            // The page's host is the robots.txt host: its address is refused for the page too.
            Err(FetchError::PrivateAddress { address, .. }) => {
                return Err(FetchError::PrivateAddress { url: url.to_string(), address });
            }
            // 5xx, 429, 408, timeout, connect or body failure: "unreachable", disallow for a short while.
            Err(error) if error.is_transient() => (RobotsPolicy::Unreachable(error), short_ttl),
            // 4xx, too many redirects, a redirect off http(s): "unavailable", allow all.
            Err(error) => {
                tracing::debug!(%error, "robots.txt unavailable, allowing all");
                (RobotsPolicy::AllowAll, ttl)
            }
        };
        let policy = Arc::new(policy);
        let now = Instant::now();
        slot.crawl_delay = policy.crawl_delay();
        if let Some(next) = slot.next_allowed {
            slot.next_allowed = Some(next.max(now + slot.crawl_delay));
        }
        self.robots.insert(origin, Arc::clone(&policy), ttl, now);
        Ok(policy)
    }

    /// One request under the host's politeness rules; the caller holds the host's slot.
    async fn polite_exchange(
        &self,
        client: &reqwest::Client,
        url: &Url,
        validators: Option<&Validators>,
        limit: u64,
        overflow: Overflow,
        slot: &mut HostSlot,
    ) -> Result<Exchange, FetchError> {
        if let Some(at) = slot.next_allowed {
            tokio::time::sleep_until(at).await;
        }
        // The semaphore is never closed; should it be, going on without a permit beats failing forever.
        let permit = self.permits.acquire().await.ok();
        let result = self.exchange(client, url, validators, limit, overflow).await;
        drop(permit);
        let mut gap = self.settings.per_host_delay.max(slot.crawl_delay);
        if let Some(wait) = result.as_ref().err().and_then(FetchError::retry_after) {
            gap = gap.max(wait.min(MAX_HOST_PUSH));
        }
        slot.next_allowed = Some(Instant::now() + gap);
        result
    }

    /// One GET, body included, under the total timeout.
    async fn exchange(
        &self,
        client: &reqwest::Client,
        url: &Url,
        validators: Option<&Validators>,
        limit: u64,
        overflow: Overflow,
    ) -> Result<Exchange, FetchError> {
        let total = self.settings.total_timeout;
        let started = Instant::now();
        let result = tokio::time::timeout(total, self.exchange_unbounded(client, url, validators, limit, overflow))
            .await
            .unwrap_or_else(|_| Err(FetchError::Timeout { url: url.to_string(), after: total }));
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(Exchange::Ok { status, body, .. }) => {
                tracing::debug!(%url, status, bytes = body.len(), elapsed_ms, "response");
            }
            Ok(Exchange::NotModified(_)) => tracing::debug!(%url, status = 304, elapsed_ms, "response"),
            Err(error) => tracing::debug!(%url, kind = error.kind(), elapsed_ms, "request failed"),
        }
        result
    }

    async fn exchange_unbounded(
        &self,
        client: &reqwest::Client,
        url: &Url,
        validators: Option<&Validators>,
        limit: u64,
        overflow: Overflow,
    ) -> Result<Exchange, FetchError> {
        let mut request = client.get(url.clone());
        if let Some(v) = validators {
            // A validator that is not a valid header value (never sent by a real server) is just not sent.
            if let Some(etag) = v.etag.as_deref().and_then(|e| HeaderValue::from_str(e).ok()) {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = v.last_modified.as_deref().and_then(|lm| HeaderValue::from_str(lm).ok()) {
                request = request.header(IF_MODIFIED_SINCE, lm);
            }
        }
        let mut response = request.send().await.map_err(|e| map_reqwest(&self.settings, url, &e))?;
        let status = response.status();
        let final_url = response.url().clone();
        let now = SystemTime::now();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Exchange::NotModified(headers::cache_hint(response.headers(), now)));
        }
        if !status.is_success() {
            let retry_after = match status {
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                    headers::retry_after(response.headers(), now)
                }
                _ => None,
            };
            return Err(FetchError::Status { url: final_url.to_string(), status: status.as_u16(), retry_after });
        }
        let too_large = || FetchError::TooLarge { url: final_url.to_string(), limit };
        let announced = response.content_length();
        if overflow == Overflow::Fail && announced.is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        let headers = response.headers().clone();
        let capacity = announced.unwrap_or(0).min(limit);
        let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0).min(MAX_PREALLOCATION));
        // Decoded bytes are counted, so a small compressed body inflating past the limit (a gzip bomb) stops here.
        while let Some(chunk) = response.chunk().await.map_err(|e| map_reqwest(&self.settings, &final_url, &e))? {
            let room = limit.saturating_sub(body.len() as u64);
            if chunk.len() as u64 > room {
                if overflow == Overflow::Fail {
                    return Err(too_large());
                }
                let keep = usize::try_from(room).unwrap_or(usize::MAX).min(chunk.len());
                body.extend_from_slice(&chunk[..keep]);
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Exchange::Ok { url: final_url.clone(), status: status.as_u16(), headers, body })
    }
}

/// A client trusting `trust` (nothing, or one origin) to be private: every other address is guarded, at
/// connection (the resolver) and at every redirect (the policy).
fn build_client(settings: &FetchSettings, trust: Trust) -> Result<reqwest::Client, FetchError> {
    let builder = reqwest::Client::builder()
        .user_agent(settings.user_agent())
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.total_timeout)
        .dns_resolver(GuardedResolver::new(&trust))
        .redirect(guard::redirect_policy(settings.max_redirects, trust))
        // A proxy would resolve names itself, past the guarded resolver.
        .no_proxy()
        .gzip(true)
        .brotli(true)
        .deflate(true)
        .zstd(true);
    builder.build().map_err(|e| FetchError::Connect { url: "(http client setup)".into(), detail: error_chain(&e) })
}

/// Maps a reqwest error to a [`FetchError`], recovering the guard's typed refusals from the source chain.
fn map_reqwest(settings: &FetchSettings, url: &Url, err: &reqwest::Error) -> FetchError {
    let url_s = url.to_string();
    if let Some(refusal) = guard::find_refusal(err) {
        return match refusal {
            Refusal::PrivateName { addresses, .. } => {
                let list: Vec<String> = addresses.iter().map(ToString::to_string).collect();
                FetchError::PrivateAddress { url: url_s, address: format!("{} ({refusal})", list.join(", ")) }
            }
            Refusal::PrivateRedirect { address, target } => {
                FetchError::PrivateAddress { url: url_s, address: format!("{address} (redirect to `{target}`)") }
            }
            Refusal::Loop { .. } | Refusal::TooManyRedirects => {
                FetchError::TooManyRedirects { url: url_s, limit: settings.max_redirects }
            }
            Refusal::Scheme { .. } => FetchError::InvalidUrl { url: url_s, detail: refusal.to_string() },
            Refusal::OtherOrigin { .. } => FetchError::PrivateAddress { url: url_s, address: format!("({refusal})") },
        };
    }
    if err.is_redirect() {
        return FetchError::TooManyRedirects { url: url_s, limit: settings.max_redirects };
    }
    if err.is_timeout() {
        let after = if err.is_connect() { settings.connect_timeout } else { settings.total_timeout };
        return FetchError::Timeout { url: url_s, after };
    }
    if err.is_body() || err.is_decode() {
        return FetchError::Body { url: url_s, detail: error_chain(err) };
    }
    if err.is_builder() {
        return FetchError::InvalidUrl { url: url_s, detail: error_chain(err) };
    }
    FetchError::Connect { url: url_s, detail: error_chain(err) }
}

/// "outer: cause: root cause", skipping repeated messages.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let message = e.to_string();
        if !parts.iter().any(|p| p.contains(&message)) {
            parts.push(message);
        }
        current = e.source();
    }
    parts.join(": ")
}

fn header_string(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

#[cfg(test)]
mod tests;
