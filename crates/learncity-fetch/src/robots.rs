//! The robots.txt cache: one parsed policy per origin, with an expiry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

/// The product token robots.txt groups are matched against.
pub(crate) const PRODUCT_TOKEN: &str = "learncity";
/// RFC 9309 §2.5: parse at least 500 KiB; we read 512 KiB and ignore the rest.
pub(crate) const ROBOTS_MAX_BYTES: u64 = 512 * 1024;
/// How long a "server error / unreachable, disallow for now" verdict is kept at most.
pub(crate) const UNREACHABLE_TTL: Duration = Duration::from_secs(5 * 60);
/// The longest robots.txt `Crawl-delay` honoured; more would stall a provider's poll.
pub(crate) const MAX_CRAWL_DELAY: Duration = Duration::from_secs(30);
/// Prune expired entries once the cache holds this many origins.
const PRUNE_ABOVE: usize = 1024;

/// What robots.txt says about an origin.
pub(crate) enum RobotsPolicy {
    /// No usable robots.txt (4xx, unparseable, too many redirects): everything is allowed.
    AllowAll,
    /// 5xx, 429 or unreachable: nothing is allowed for now (RFC 9309 §2.3.1.4). Requests fail with this error,
    /// which is transient, so callers back off and retry instead of dropping the provider.
    Unreachable(crate::FetchError),
    /// Parsed rules for `learncity`.
    Rules(Box<texting_robots::Robot>),
}

impl RobotsPolicy {
    /// Parses a fetched robots.txt for [`PRODUCT_TOKEN`]; an unparseable file allows everything.
    pub(crate) fn parse(body: &[u8]) -> Self {
        // The body is hostile input for a third-party parser: a panic in it must not take the poller down.
        match std::panic::catch_unwind(|| texting_robots::Robot::new(PRODUCT_TOKEN, body)) {
            Ok(Ok(robot)) => Self::Rules(Box::new(robot)),
            Ok(Err(error)) => {
                tracing::debug!(%error, "unparseable robots.txt, allowing all");
                Self::AllowAll
            }
            Err(_) => {
                tracing::warn!("robots.txt parser panicked, allowing all");
                Self::AllowAll
            }
        }
    }

    pub(crate) fn allows(&self, url: &Url) -> bool {
        match self {
            Self::AllowAll => true,
            Self::Unreachable(_) => false,
            Self::Rules(robot) => robot.allowed(url.as_str()),
        }
    }

    /// The `Crawl-delay` for `learncity`, capped at [`MAX_CRAWL_DELAY`].
    pub(crate) fn crawl_delay(&self) -> Duration {
        match self {
            Self::Rules(robot) => robot
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .and_then(|d| Duration::try_from_secs_f32(d).ok())
                .map_or(Duration::ZERO, |d| d.min(MAX_CRAWL_DELAY)),
            _ => Duration::ZERO,
        }
    }
}

/// The robots.txt URL of a URL's origin (`scheme://host:port/robots.txt`).
pub(crate) fn robots_url(url: &Url) -> Option<Url> {
    let mut robots = url.clone();
    robots.set_path("/robots.txt");
    robots.set_query(None);
    robots.set_fragment(None);
    robots.set_username("").ok()?;
    robots.set_password(None).ok()?;
    Some(robots)
}

/// The cache key of a URL's origin.
pub(crate) fn origin_key(url: &Url) -> String {
    url.origin().ascii_serialization()
}

struct Entry {
    policy: Arc<RobotsPolicy>,
    expires: Instant,
}

/// Parsed robots.txt per origin. The lock is never held across an await.
#[derive(Default)]
pub(crate) struct RobotsCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl RobotsCache {
    pub(crate) fn get(&self, origin: &str, now: Instant) -> Option<Arc<RobotsPolicy>> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(origin).filter(|e| e.expires > now).map(|e| Arc::clone(&e.policy))
    }

    pub(crate) fn insert(&self, origin: String, policy: Arc<RobotsPolicy>, ttl: Duration, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= PRUNE_ABOVE {
            entries.retain(|_, e| e.expires > now);
        }
        let expires = now.checked_add(ttl).unwrap_or(now + Duration::from_secs(365 * 24 * 3600));
        entries.insert(origin, Entry { policy, expires });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn rules_for_learncity_and_star() {
        let txt = b"User-agent: *\nDisallow: /private\n\nUser-agent: learncity\nDisallow: /no-bots\nCrawl-delay: 3\n";
        let policy = RobotsPolicy::parse(txt);
        assert!(!policy.allows(&url("https://a.example/no-bots/x")));
        // The learncity group replaces the * group.
        assert!(policy.allows(&url("https://a.example/private")));
        assert!(policy.allows(&url("https://a.example/feed.xml")));
        assert_eq!(policy.crawl_delay(), Duration::from_secs(3));
        let policy = RobotsPolicy::parse(b"User-agent: *\nDisallow: /\nCrawl-delay: 100000\n");
        assert!(!policy.allows(&url("https://a.example/feed.xml")));
        assert_eq!(policy.crawl_delay(), MAX_CRAWL_DELAY);
    }

    #[test]
    fn garbage_robots_txt_does_not_panic() {
        for body in [&b"\xff\xfe\x00garbage"[..], b"", b"User-agent:\nDisallow: *$*$*$[[\n", &[0u8; 4096][..]] {
            let policy = RobotsPolicy::parse(body);
            let _ = policy.allows(&url("https://a.example/x?y=%zz"));
            let _ = policy.crawl_delay();
        }
    }

    #[test]
    fn robots_url_keeps_origin_only() {
        assert_eq!(
            robots_url(&url("https://user:pw@a.example:8443/feeds/x.xml?q=1#f")).unwrap().as_str(),
            "https://a.example:8443/robots.txt"
        );
        assert_eq!(origin_key(&url("http://A.example:80/x")), "http://a.example");
    }

    #[test]
    fn cache_entries_expire() {
        let cache = RobotsCache::default();
        let now = Instant::now();
        cache.insert("http://a".into(), Arc::new(RobotsPolicy::AllowAll), Duration::from_secs(10), now);
        assert!(cache.get("http://a", now).is_some());
        assert!(cache.get("http://a", now + Duration::from_secs(11)).is_none());
        assert!(cache.get("http://b", now).is_none());
    }
}
