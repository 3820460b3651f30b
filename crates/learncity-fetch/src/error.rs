//! Why a fetch failed, whether to retry, and a stable label for metrics.

use std::time::Duration;

/// Why a fetch failed. Every message names the URL, what failed and what to do.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// Not a fetchable URL (scheme, host, redirect to a non-HTTP scheme), or unusable settings.
    #[error("cannot fetch `{url}`: {detail}; fix the URL (or the [http] settings)")]
    InvalidUrl { url: String, detail: String },
    /// Non-2xx answer other than 304.
    #[error("`{url}` answered HTTP {status}{}", status_advice(*.status, *.retry_after))]
    Status { url: String, status: u16, retry_after: Option<Duration> },
    /// Connect or total timeout, including a slow-drip body.
    #[error("`{url}` did not complete within {}; the server is slow or stalled, retry later", fmt_duration(*.after))]
    Timeout { url: String, after: Duration },
    /// `Content-Length` or the decoded body is over `max-body-bytes`.
    #[error(
        "`{url}` sent more than {limit} bytes (after decompression); raise [http] max-body-bytes if the document is \
         really that big"
    )]
    TooLarge { url: String, limit: u64 },
    /// More redirects than `max-redirects`, or a redirect loop.
    #[error("`{url}` redirected more than {limit} times or in a loop; point the provider at the final URL")]
    TooManyRedirects { url: String, limit: usize },
    /// The SSRF guard refused a non-public destination.
    #[error(
        "`{url}` leads to the non-public address {address}, refused; allow private addresses for this provider only \
         if it really lives on an internal network"
    )]
    PrivateAddress { url: String, address: String },
    /// robots.txt forbids the URL for `learncity`.
    #[error(
        "robots.txt at `{robots_url}` disallows `{url}` for learncity; ask the site to allow user agent `learncity`"
    )]
    RobotsDisallowed { url: String, robots_url: String },
    /// DNS, TCP, TLS or protocol failure before a response arrived.
    #[error("cannot connect to `{url}`: {detail}; check the host name, TLS certificate and network, retry later")]
    Connect { url: String, detail: String },
    /// The body broke off or could not be decoded.
    #[error("reading the body of `{url}` failed: {detail}; retry later")]
    Body { url: String, detail: String },
    /// A `file://` URL could not be read.
    #[error("cannot read local file `{path}`: {detail}; check the path and its permissions")]
    File { path: String, detail: String },
}

fn fmt_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

fn status_advice(status: u16, retry_after: Option<Duration>) -> String {
    let mut advice = match status {
        429 => "; the server asks us to slow down, retry later".to_owned(),
        500..=599 => "; server-side failure, retry later".to_owned(),
        404 | 410 => "; the document is gone, fix the provider's URL".to_owned(),
        401 | 403 => "; access denied, ask the provider for access or remove it".to_owned(),
        _ => "; check the provider's URL".to_owned(),
    };
    if let Some(after) = retry_after {
        advice.push_str(&format!(" (Retry-After {})", fmt_duration(after)));
    }
    advice
}

impl FetchError {
    /// Short stable label for metrics/logs: "invalid_url", "status_5xx", "status_4xx", "status_429", "timeout",
    /// "too_large", "redirects", "private_address", "robots", "connect", "body", "file" (and "status_other" for a
    /// leftover 1xx/3xx answer, e.g. a redirect without `Location`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidUrl { .. } => "invalid_url",
            Self::Status { status: 429, .. } => "status_429",
            Self::Status { status: 500..=599, .. } => "status_5xx",
            Self::Status { status: 400..=499, .. } => "status_4xx",
            Self::Status { .. } => "status_other",
            Self::Timeout { .. } => "timeout",
            Self::TooLarge { .. } => "too_large",
            Self::TooManyRedirects { .. } => "redirects",
            Self::PrivateAddress { .. } => "private_address",
            Self::RobotsDisallowed { .. } => "robots",
            Self::Connect { .. } => "connect",
            Self::Body { .. } => "body",
            Self::File { .. } => "file",
        }
    }

    /// Server-requested wait (429/503 Retry-After).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Worth retrying soon with backoff (5xx, 408, 429, timeout, connect, body) vs a permanent/config problem.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Status { status, .. } => matches!(status, 408 | 429 | 500..=599),
            Self::Timeout { .. } | Self::Connect { .. } | Self::Body { .. } => true,
            Self::InvalidUrl { .. }
            | Self::TooLarge { .. }
            | Self::TooManyRedirects { .. }
            | Self::PrivateAddress { .. }
            | Self::RobotsDisallowed { .. }
            | Self::File { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> FetchError {
        FetchError::Status { url: "https://example.org/feed".into(), status, retry_after: None }
    }

    #[test]
    fn kinds_and_transience() {
        assert_eq!(status(500).kind(), "status_5xx");
        assert_eq!(status(503).kind(), "status_5xx");
        assert_eq!(status(404).kind(), "status_4xx");
        assert_eq!(status(429).kind(), "status_429");
        assert_eq!(status(300).kind(), "status_other");
        assert!(status(502).is_transient());
        assert!(status(429).is_transient());
        assert!(!status(404).is_transient());
        assert!(!status(403).is_transient());
        let t = FetchError::Timeout { url: "u".into(), after: Duration::from_secs(1) };
        assert_eq!((t.kind(), t.is_transient()), ("timeout", true));
        let p = FetchError::PrivateAddress { url: "u".into(), address: "10.0.0.1".into() };
        assert_eq!((p.kind(), p.is_transient()), ("private_address", false));
        let r = FetchError::RobotsDisallowed { url: "u".into(), robots_url: "r".into() };
        assert_eq!((r.kind(), r.is_transient()), ("robots", false));
    }

    #[test]
    fn messages_name_the_url_and_what_to_do() {
        let e = FetchError::Status {
            url: "https://example.org/feed".into(),
            status: 429,
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(
            e.to_string(),
            "`https://example.org/feed` answered HTTP 429; the server asks us to slow down, retry later (Retry-After 7s)"
        );
        let e = FetchError::TooLarge { url: "https://example.org/big".into(), limit: 1024 };
        assert!(e.to_string().contains("`https://example.org/big` sent more than 1024 bytes"), "{e}");
        let e = FetchError::Timeout { url: "https://example.org/slow".into(), after: Duration::from_millis(1500) };
        assert!(e.to_string().starts_with("`https://example.org/slow` did not complete within 1s 500ms"), "{e}");
    }
}
