//! The polite, bounded HTTP fetcher of the learncity collector.
//!
//! One [`Fetcher`] is shared (`Arc<Fetcher>`) by every poller of the collector daemon. Each
//! [`Fetcher::fetch`] is one GET that providers can live with and that bad providers cannot hurt us with:
//!
//! - **Polite**: an honest User-Agent naming a contact URL; robots.txt fetched once per origin, cached for
//!   `robots-ttl` and obeyed for the product token `learncity` (RFC 9309: 4xx means allow all, 5xx or
//!   unreachable means disallow for a short while); one request at a time per `host:port` with at least
//!   `per-host-delay` (or the robots.txt `Crawl-delay`, capped) between the end of one and the start of the
//!   next, pushed further by a 429/503 `Retry-After`; at most `concurrency` requests in flight overall;
//!   conditional GET with the caller's [`Validators`].
//! - **Bounded**: connect and total timeouts (the total one also covers a slow-drip body); at most
//!   `max-body-bytes` *decoded* bytes (so a gzip bomb stops early); at most `max-redirects` redirects, loops
//!   refused at once.
//! - **Guarded** (SSRF): unless the provider is allowed to live on a private network, a URL whose host is,
//!   resolves to, or redirects to a loopback, private, link-local, CGNAT, documentation, multicast or otherwise
//!   non-public address is refused before any byte is sent to it. A request made with `allow_private` trusts
//!   its own origin (scheme, host and port) to be private, nothing else: a redirect to another origin is guarded
//!   like any request, and one to the same host name on another port or scheme is refused.
//! - **Classified errors**: every [`FetchError`] names the URL, what failed and what to do, and says whether it
//!   is worth retrying ([`FetchError::is_transient`], [`FetchError::retry_after`], [`backoff_delay`]).
//!
//! `file://` URLs are read from disk with the same size limit (no robots, no guard), for local providers and
//! tests.
//!
//! Layout: [`settings`](FetchSettings) (the `[http]` config section), `error` ([`FetchError`]), `guard` (address
//! classification, the filtering DNS resolver, the redirect check), `headers` (cache and retry hints),
//! `robots` (the robots.txt cache), `file` (`file://` reads), `fetcher` ([`Fetcher`]), `calendar_url`
//! ([`fetchable_url`]: `webcal://` and public Google, Outlook and Nextcloud calendar links to their iCalendar URL).
//!
//! Metrics: `learncity_fetch_requests_total{outcome}` (`ok`, `not_modified` or [`FetchError::kind`]),
//! `learncity_fetch_bytes_total`, histogram `learncity_fetch_seconds`.

mod calendar_url;
mod error;
mod fetcher;
mod file;
mod guard;
mod headers;
mod robots;
mod settings;

use std::time::Duration;

pub use calendar_url::fetchable_url;
pub use error::FetchError;
pub use fetcher::Fetcher;
pub use settings::FetchSettings;

/// HTTP validators of a fetched representation, sent back as `If-None-Match` / `If-Modified-Since`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    /// The `ETag` response header, verbatim (quotes and `W/` included).
    pub etag: Option<String>,
    /// The `Last-Modified` response header, verbatim (an HTTP-date).
    pub last_modified: Option<String>,
}

/// One GET to perform.
#[derive(Debug, Clone, Copy)]
pub struct FetchRequest<'a> {
    /// `http`, `https` or `file`.
    pub url: &'a url::Url,
    /// Sent as `If-None-Match` / `If-Modified-Since`; for `file://`, compared with the file's mtime.
    pub validators: Option<&'a Validators>,
    /// The provider is explicitly allowed to live on a private address: this URL's origin (scheme, host, port)
    /// may be private. Redirects leaving that origin are still guarded; the caller decides which URLs are the
    /// provider's own.
    pub allow_private: bool,
}

/// What a successful fetch yields.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchOutcome {
    /// 304: nothing changed. Carries the cache hint of the 304 response.
    NotModified {
        /// Freshness announced by the 304 response.
        cache: CacheHint,
    },
    /// A 2xx response with its (decoded) body.
    Fetched(Fetched),
}

/// A 2xx response.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// Final URL after redirects.
    pub url: url::Url,
    /// HTTP status (always 2xx; 200 for `file://`).
    pub status: u16,
    /// The `Content-Type` header, if any and valid (for `file://`, guessed from the extension).
    pub content_type: Option<String>,
    /// Decoded (decompressed) body, at most `max-body-bytes` long.
    pub body: Vec<u8>,
    /// `ETag` / `Last-Modified` of the response (for `file://`, Last-Modified from the mtime).
    pub validators: Validators,
    /// Freshness announced by the response.
    pub cache: CacheHint,
}

/// How long the server says the response stays fresh.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CacheHint {
    /// Freshness lifetime from Cache-Control max-age (or s-maxage), else Expires minus Date/now. None when
    /// absent or no-cache/no-store.
    pub fresh_for: Option<Duration>,
}

/// Exponential backoff with jitter: `base * 2^(failures-1)`, capped at `max`, then multiplied by a factor in
/// `[0.5, 1.0)` derived from `jitter01` (a number in `[0,1)` the caller draws; out-of-range or NaN counts as 0).
/// `failures == 0` gives [`Duration::ZERO`]. Never panics, never overflows.
pub fn backoff_delay(base: Duration, max: Duration, failures: u32, jitter01: f64) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let exponent = failures - 1;
    let raw = if exponent >= 32 { Duration::MAX } else { base.saturating_mul(1u32 << exponent) };
    let capped = raw.min(max);
    let jitter = if (0.0..1.0).contains(&jitter01) { jitter01 } else { 0.0 };
    let factor = 0.5 + jitter / 2.0;
    // `factor < 1`, so the product never exceeds `capped`; float rounding near Duration::MAX is clamped.
    Duration::try_from_secs_f64(capped.as_secs_f64() * factor).map_or(capped, |d| d.min(capped))
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn backoff_zero_failures_is_zero() {
        assert_eq!(backoff_delay(S, 60 * S, 0, 0.3), Duration::ZERO);
    }

    #[test]
    fn backoff_doubles_then_caps() {
        // jitter 0 -> factor exactly 0.5
        let got: Vec<_> = (1..=8).map(|n| backoff_delay(2 * S, 60 * S, n, 0.0)).collect();
        let want: Vec<_> = [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0].map(Duration::from_secs_f64).to_vec();
        assert_eq!(got, want);
    }

    #[test]
    fn backoff_is_monotone_for_a_fixed_jitter() {
        for jitter in [0.0, 0.25, 0.5, 0.999] {
            let mut previous = Duration::ZERO;
            for n in 0..200 {
                let d = backoff_delay(Duration::from_millis(750), Duration::from_secs(3600), n, jitter);
                assert!(d >= previous, "failures {n}, jitter {jitter}: {d:?} < {previous:?}");
                assert!(d <= Duration::from_secs(3600));
                previous = d;
            }
        }
    }

    #[test]
    fn backoff_jitter_stays_in_half_open_range() {
        for n in 1..40 {
            let capped = (S.saturating_mul(1 << (n - 1).min(31))).min(600 * S);
            for i in 0..100 {
                let jitter = f64::from(i) / 100.0;
                let d = backoff_delay(S, 600 * S, n, jitter);
                assert!(d >= capped / 2, "{d:?} below half of {capped:?}");
                assert!(d < capped, "{d:?} not below {capped:?}");
            }
        }
    }

    #[test]
    fn backoff_survives_extreme_inputs() {
        for jitter in [f64::NAN, f64::INFINITY, -1.0, 1.0, 7.5] {
            assert_eq!(backoff_delay(S, 10 * S, 1, jitter), S / 2);
        }
        let half = backoff_delay(Duration::MAX, Duration::MAX, u32::MAX, 0.0);
        assert!(half > Duration::from_secs(u64::MAX / 4) && half < Duration::MAX, "{half:?}");
        assert!(backoff_delay(Duration::MAX, Duration::MAX, u32::MAX, 0.999_999_999_999) <= Duration::MAX);
        assert_eq!(backoff_delay(Duration::ZERO, 10 * S, 5, 0.5), Duration::ZERO);
        assert_eq!(backoff_delay(S, Duration::ZERO, 5, 0.5), Duration::ZERO);
    }
}
