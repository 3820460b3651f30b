//! The `[http]` section of the main config file.

use std::time::Duration;

/// Most redirects a provider may chain; more is a misconfiguration, not a feed.
const MAX_REDIRECTS_CEILING: usize = 20;
/// More requests in flight than this would be a load test, not a collector.
const MAX_CONCURRENCY: usize = 1024;

/// `[http]` section of the main config file: how providers are fetched.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct FetchSettings {
    /// Where a provider's operator can learn who we are; named in the User-Agent.
    pub contact_url: String,
    /// Longest wait for a TCP (and TLS) connection.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// Longest time for a whole request, body included (a slow drip fails with a timeout).
    #[serde(with = "humantime_serde")]
    pub total_timeout: Duration,
    /// Most body bytes accepted, counted after decompression (stops gzip bombs).
    pub max_body_bytes: u64,
    /// Most redirects followed for one request; a loop fails at once.
    pub max_redirects: usize,
    /// Minimum gap between the end of one request to a host (`host:port`) and the start of the next.
    #[serde(with = "humantime_serde")]
    pub per_host_delay: Duration,
    /// Global limit of requests in flight.
    pub concurrency: usize,
    /// How long a fetched robots.txt is trusted.
    #[serde(with = "humantime_serde")]
    pub robots_ttl: Duration,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            contact_url: "https://github.com/learncity/learncity".to_owned(),
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(60),
            max_body_bytes: 20 * 1024 * 1024,
            max_redirects: 5,
            per_host_delay: Duration::from_secs(2),
            concurrency: 8,
            robots_ttl: Duration::from_secs(3600),
        }
    }
}

impl FetchSettings {
    /// Every mistake in the values (all of them, not only the first), each as `field: message`
    /// with the kebab-case field name, e.g. "jitter: 3 must be between 0 and 1".
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        match url::Url::parse(&self.contact_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => {
                problems.push(format!(
                    "contact-url: must be an http(s) URL where providers can reach you, got {:?}",
                    self.contact_url
                ));
            }
        }
        if reqwest::header::HeaderValue::from_str(&self.user_agent()).is_err() {
            problems.push("contact-url: must not contain control characters".to_owned());
        }
        if self.connect_timeout.is_zero() {
            problems.push("connect-timeout: must be greater than 0".to_owned());
        }
        if self.total_timeout.is_zero() {
            problems.push("total-timeout: must be greater than 0".to_owned());
        }
        if self.total_timeout < self.connect_timeout {
            problems.push(format!(
                "total-timeout: must be at least connect-timeout ({})",
                humantime::format_duration(self.connect_timeout)
            ));
        }
        if self.max_body_bytes == 0 {
            problems.push("max-body-bytes: must be at least 1".to_owned());
        }
        if self.max_redirects > MAX_REDIRECTS_CEILING {
            problems.push(format!("max-redirects: must be at most {MAX_REDIRECTS_CEILING}"));
        }
        if self.concurrency == 0 {
            problems.push("concurrency: must be at least 1".to_owned());
        }
        if self.concurrency > MAX_CONCURRENCY {
            problems.push(format!("concurrency: must be at most {MAX_CONCURRENCY}"));
        }
        if self.robots_ttl.is_zero() {
            problems.push("robots-ttl: must be greater than 0".to_owned());
        }
        problems
    }

    /// The first of [`Self::problems`], if any.
    pub fn validate(&self) -> Result<(), String> {
        self.problems().into_iter().next().map_or(Ok(()), Err)
    }

    /// "learncity/<CARGO_PKG_VERSION> (+<contact_url>)"
    pub fn user_agent(&self) -> String {
        format!("learncity/{} (+{})", env!("CARGO_PKG_VERSION"), self.contact_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut FetchSettings)) -> Result<(), String> {
        let mut s = FetchSettings::default();
        f(&mut s);
        s.validate()
    }

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let s = FetchSettings::default();
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.max_body_bytes, 20 * 1024 * 1024);
        assert_eq!(s.concurrency, 8);
        assert_eq!(
            s.user_agent(),
            format!("learncity/{} (+https://github.com/learncity/learncity)", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn validate_names_the_kebab_case_field() {
        assert_eq!(with(|s| s.concurrency = 0), Err("concurrency: must be at least 1".to_owned()));
        assert_eq!(with(|s| s.concurrency = 5000), Err("concurrency: must be at most 1024".to_owned()));
        assert_eq!(with(|s| s.max_body_bytes = 0), Err("max-body-bytes: must be at least 1".to_owned()));
        assert_eq!(with(|s| s.max_redirects = 21), Err("max-redirects: must be at most 20".to_owned()));
        assert_eq!(
            with(|s| s.connect_timeout = Duration::ZERO),
            Err("connect-timeout: must be greater than 0".to_owned())
        );
        assert_eq!(with(|s| s.total_timeout = Duration::ZERO), Err("total-timeout: must be greater than 0".to_owned()));
        assert_eq!(
            with(|s| s.total_timeout = Duration::from_secs(5)),
            Err("total-timeout: must be at least connect-timeout (10s)".to_owned())
        );
        assert_eq!(with(|s| s.robots_ttl = Duration::ZERO), Err("robots-ttl: must be greater than 0".to_owned()));
        let err = with(|s| s.contact_url = "mailto:me@example.org".to_owned()).unwrap_err();
        assert!(err.starts_with("contact-url: must be an http(s) URL"), "{err}");
        assert_eq!(
            with(|s| s.contact_url = "https://example.org/\u{7f}".to_owned())
                .map_err(|e| e.starts_with("contact-url:")),
            Err(true)
        );
        // Zero delay and zero redirects are legitimate choices.
        assert_eq!(with(|s| s.per_host_delay = Duration::ZERO), Ok(()));
        assert_eq!(with(|s| s.max_redirects = 0), Ok(()));
    }
}
