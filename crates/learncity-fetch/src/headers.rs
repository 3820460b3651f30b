//! Reading cache and retry hints from response headers. Pure: `now` is passed in.

use std::time::{Duration, SystemTime};

use reqwest::header::{CACHE_CONTROL, DATE, EXPIRES, HeaderMap, RETRY_AFTER};

use crate::CacheHint;

/// Longest Retry-After we report: a broken or hostile server must not park a provider for years.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);
/// RFC 9111 §1.2.2: a delta-seconds value too large to represent counts as 2^31 seconds.
const DELTA_SECONDS_OVERFLOW: u64 = 1 << 31;

/// Freshness lifetime from `Cache-Control: max-age` (else `s-maxage`), else `Expires` minus `Date` (or `now`).
/// `None` when absent or when `no-store`/`no-cache` is present.
pub(crate) fn cache_hint(headers: &HeaderMap, now: SystemTime) -> CacheHint {
    let mut max_age = None;
    let mut s_maxage = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let (name, arg) = match directive.split_once('=') {
                Some((n, a)) => (n.trim(), Some(a.trim().trim_matches('"'))),
                None => (directive.trim(), None),
            };
            if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
                return CacheHint { fresh_for: None };
            }
            let target = if name.eq_ignore_ascii_case("max-age") {
                &mut max_age
            } else if name.eq_ignore_ascii_case("s-maxage") {
                &mut s_maxage
            } else {
                continue;
            };
            if target.is_none() {
                *target = arg.and_then(delta_seconds);
            }
        }
    }
    if let Some(secs) = max_age.or(s_maxage) {
        return CacheHint { fresh_for: Some(Duration::from_secs(secs)) };
    }
    let Some(expires) = headers.get(EXPIRES) else { return CacheHint::default() };
    // RFC 9111 §5.3: an invalid Expires (such as "0") means "already expired".
    let Some(expires) = expires.to_str().ok().and_then(|v| httpdate::parse_http_date(v.trim()).ok()) else {
        return CacheHint { fresh_for: Some(Duration::ZERO) };
    };
    let base = headers
        .get(DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v.trim()).ok())
        .unwrap_or(now);
    CacheHint { fresh_for: Some(expires.duration_since(base).unwrap_or(Duration::ZERO)) }
}

fn delta_seconds(arg: &str) -> Option<u64> {
    if arg.is_empty() || !arg.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(arg.parse::<u64>().unwrap_or(DELTA_SECONDS_OVERFLOW))
}

/// `Retry-After` as delay-seconds or an HTTP-date (relative to `now`), capped at [`MAX_RETRY_AFTER`].
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let after = if let Some(secs) = delta_seconds(value) {
        Duration::from_secs(secs)
    } else {
        httpdate::parse_http_date(value).ok()?.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(after.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn at(s: &str) -> SystemTime {
        httpdate::parse_http_date(s).unwrap()
    }

    const NOW: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

    fn fresh(pairs: &[(&str, &str)]) -> Option<Duration> {
        cache_hint(&headers(pairs), at(NOW)).fresh_for
    }

    #[test]
    fn cache_control_wins_over_expires() {
        assert_eq!(fresh(&[("cache-control", "public, max-age=600")]), Some(Duration::from_secs(600)));
        assert_eq!(fresh(&[("cache-control", "MAX-AGE=\"60\"")]), Some(Duration::from_secs(60)));
        assert_eq!(fresh(&[("cache-control", "s-maxage=30")]), Some(Duration::from_secs(30)));
        assert_eq!(fresh(&[("cache-control", "s-maxage=30, max-age=10")]), Some(Duration::from_secs(10)));
        assert_eq!(
            fresh(&[("cache-control", "max-age=60"), ("expires", "Sun, 06 Nov 1994 09:49:37 GMT")]),
            Some(Duration::from_secs(60))
        );
        assert_eq!(fresh(&[("cache-control", "max-age=99999999999999999999999")]), Some(Duration::from_secs(1 << 31)));
    }

    #[test]
    fn no_store_and_no_cache_mean_no_hint() {
        assert_eq!(fresh(&[("cache-control", "max-age=60, no-cache")]), None);
        assert_eq!(fresh(&[("cache-control", "no-store"), ("cache-control", "max-age=60")]), None);
        assert_eq!(fresh(&[]), None);
        assert_eq!(fresh(&[("cache-control", "max-age=abc")]), None);
    }

    #[test]
    fn expires_is_relative_to_date_or_now() {
        assert_eq!(
            fresh(&[("date", "Sun, 06 Nov 1994 10:00:00 GMT"), ("expires", "Sun, 06 Nov 1994 10:05:00 GMT")]),
            Some(Duration::from_secs(300))
        );
        assert_eq!(fresh(&[("expires", "Sun, 06 Nov 1994 08:50:37 GMT")]), Some(Duration::from_secs(60)));
        assert_eq!(fresh(&[("expires", "Sun, 06 Nov 1994 08:00:00 GMT")]), Some(Duration::ZERO));
        assert_eq!(fresh(&[("expires", "0")]), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_seconds_or_date() {
        let now = at(NOW);
        assert_eq!(retry_after(&headers(&[("retry-after", "7")]), now), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after(&headers(&[("retry-after", "Sun, 06 Nov 1994 08:51:37 GMT")]), now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "Sun, 06 Nov 1994 08:00:00 GMT")]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "99999999999")]), now), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "-5")]), now), None);
        assert_eq!(retry_after(&headers(&[]), now), None);
    }
}
