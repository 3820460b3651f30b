//! The sections of the main file owned by this crate: `[collector]` and `[log]`. (`[http]` and
//! `[kafka]` belong to `learncity-fetch` and `learncity-bus`, which define and validate them.)

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// `[collector]`: the provider registry and how providers are scheduled.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct CollectorSettings {
    /// A folder with one file per provider, or a registry file of `[[provider]]` tables;
    /// relative to the main file.
    pub providers: Option<PathBuf>,
    /// Where `/healthz`, `/readyz` and `/metrics` are served.
    pub listen: SocketAddr,
    /// Kafka consumer group through which collector instances share the providers.
    pub group_id: String,
    /// This instance's name in logs and metrics (default: host name and process id).
    pub instance_id: Option<String>,
    /// Default fetch interval of a provider.
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
    /// Random extra delay added to each interval, as a fraction of it (0.1 = up to 10 %), so
    /// providers on one host do not fall due together.
    pub jitter: f64,
    /// Lower bound of any interval (a feed's `ttl`, `Cache-Control: max-age` or `Expires`
    /// cannot make the collector fetch more often than this).
    #[serde(with = "humantime_serde")]
    pub min_interval: Duration,
    /// Upper bound of any interval (a year-long `max-age` still gets a fetch this often).
    #[serde(with = "humantime_serde")]
    pub max_interval: Duration,
    /// First retry delay after a failure; doubled per consecutive failure, with jitter.
    #[serde(with = "humantime_serde")]
    pub backoff_base: Duration,
    /// Longest retry delay: a provider that keeps failing is retried at least this often.
    #[serde(with = "humantime_serde")]
    pub backoff_max: Duration,
    /// Landing pages fetched per provider and run to complete items that lack dates.
    pub enrich_per_run: usize,
    /// How long a graceful shutdown waits for fetches in flight and the producer's flush.
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
}

impl Default for CollectorSettings {
    fn default() -> Self {
        Self {
            providers: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 9464)),
            group_id: "learncity-collector".to_owned(),
            instance_id: None,
            interval: Duration::from_secs(3600),
            jitter: 0.1,
            min_interval: Duration::from_secs(300),
            max_interval: Duration::from_secs(24 * 3600),
            backoff_base: Duration::from_secs(60),
            backoff_max: Duration::from_secs(6 * 3600),
            enrich_per_run: 20,
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

impl CollectorSettings {
    /// Every mistake in the values (all of them, not only the first), each as `field: message`
    /// with the kebab-case field name, e.g. "jitter: 3 must be between 0 and 1".
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.group_id.trim().is_empty() {
            problems.push("group-id: must not be empty".to_owned());
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            problems.push(format!("jitter: {} must be between 0 and 1 (a fraction of the interval)", self.jitter));
        }
        if self.min_interval < Duration::from_secs(1) {
            problems.push("min-interval: must be at least 1s".to_owned());
        }
        if self.max_interval < self.min_interval {
            problems.push("max-interval: must not be shorter than min-interval".to_owned());
        }
        if self.interval < self.min_interval || self.interval > self.max_interval {
            problems.push(format!(
                "interval: {} is outside min-interval..max-interval ({}..{})",
                humantime::format_duration(self.interval),
                humantime::format_duration(self.min_interval),
                humantime::format_duration(self.max_interval)
            ));
        }
        if self.backoff_base.is_zero() || self.backoff_max < self.backoff_base {
            problems.push("backoff-max: must be at least backoff-base, and backoff-base more than 0".to_owned());
        }
        if self.enrich_per_run > 1000 {
            problems.push(format!("enrich-per-run: {} is more than 1000 landing pages per run", self.enrich_per_run));
        }
        problems
    }

    /// The first of [`Self::problems`], if any.
    pub fn validate(&self) -> Result<(), String> {
        self.problems().into_iter().next().map_or(Ok(()), Err)
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (for log shippers).
    Json,
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A tracing filter (`info`, `learncity_collector=debug,info`); `LEARNCITY_LOG` overrides.
    pub filter: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self { format: LogFormat::Text, filter: "info".to_owned() }
    }
}

/// `[catalog]`: the catalog builder — its store, consumer group, matching thresholds, expiry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct CatalogSettings {
    /// The catalogue store: `sqlite:PATH` (relative to the working directory; created when
    /// missing) or `postgres://USER@HOST:PORT/DB` (`?schema=NAME`: its own schema).
    pub store: String,
    /// Where `/healthz`, `/readyz` and `/metrics` are served.
    pub listen: SocketAddr,
    /// Kafka consumer group of the builders on the offerings topic.
    pub group_id: String,
    /// Most records applied in one store transaction.
    pub batch_max: usize,
    /// How long a batch waits for more records once it has one.
    #[serde(with = "humantime_serde")]
    pub batch_wait: Duration,
    /// First session starts further apart than this are never one offering.
    #[serde(with = "humantime_serde")]
    pub start_tolerance: Duration,
    /// Title tokens at least this Jaro-Winkler-similar count as one word (0..1).
    pub token_similarity: f64,
    /// Two offerings scoring at least this are one (0..1).
    pub match_score: f64,
    /// Two offerings scoring at least this (and less than `match-score`) are one when each is
    /// the other's clear best match among the other's provider's items (0..1, at most
    /// `match-score`).
    pub candidate_score: f64,
    /// How long after its last session ended an offering leaves the catalogue.
    #[serde(with = "humantime_serde")]
    pub expiry_grace: Duration,
    /// How often expired offerings are looked for.
    #[serde(with = "humantime_serde")]
    pub expiry_interval: Duration,
    /// How long a graceful shutdown waits for the batch in flight.
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        Self {
            store: "sqlite:data/catalog.sqlite".to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 9465)),
            group_id: "learncity-catalog".to_owned(),
            batch_max: 500,
            batch_wait: Duration::from_millis(50),
            start_tolerance: Duration::from_secs(30 * 60),
            token_similarity: 0.88,
            match_score: 0.72,
            candidate_score: 0.35,
            expiry_grace: Duration::from_secs(24 * 3600),
            expiry_interval: Duration::from_secs(60),
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

impl CatalogSettings {
    /// Every mistake in the values (all of them, not only the first), each as `field: message`
    /// with the kebab-case field name, e.g. "jitter: 3 must be between 0 and 1".
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(self.store.starts_with("sqlite:")
            || self.store.starts_with("postgres://")
            || self.store.starts_with("postgresql://"))
        {
            problems.push(format!("store: `{}` is neither sqlite:PATH nor postgres://USER@HOST/DB", self.store));
        }
        if self.group_id.trim().is_empty() {
            problems.push("group-id: must not be empty".to_owned());
        }
        if !(1..=100_000).contains(&self.batch_max) {
            problems.push(format!("batch-max: {} must be between 1 and 100000", self.batch_max));
        }
        if self.batch_wait > Duration::from_secs(10) {
            problems
                .push("batch-wait: must be at most 10s (records wait this long before they are applied)".to_owned());
        }
        if self.start_tolerance > Duration::from_secs(7 * 24 * 3600) {
            problems.push("start-tolerance: must be at most 7d".to_owned());
        }
        for (field, value) in [
            ("token-similarity", self.token_similarity),
            ("match-score", self.match_score),
            ("candidate-score", self.candidate_score),
        ] {
            if !(0.0..=1.0).contains(&value) || value == 0.0 {
                problems.push(format!("{field}: {value} must be more than 0 and at most 1"));
            }
        }
        if self.candidate_score > self.match_score {
            problems.push(format!(
                "candidate-score: {} must be at most match-score ({})",
                self.candidate_score, self.match_score
            ));
        }
        if self.expiry_interval < Duration::from_secs(1) {
            problems.push("expiry-interval: must be at least 1s".to_owned());
        }
        problems
    }

    /// The first of [`Self::problems`], if any.
    pub fn validate(&self) -> Result<(), String> {
        self.problems().into_iter().next().map_or(Ok(()), Err)
    }
}

/// `[serve]`: the web catalogue for residents, the JSON API and the exports.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct ServeSettings {
    /// Where the catalogue (pages, `/api/v1`, exports, `/healthz`, `/readyz`, `/metrics`) is served.
    pub listen: SocketAddr,
    /// The public address residents reach it at (links in feeds, calendars and JSON-LD).
    pub public_url: String,
    /// The catalogue's name on its pages and feeds.
    pub title: String,
    /// How often the store is asked for changes.
    #[serde(with = "humantime_serde")]
    pub refresh_interval: Duration,
    /// Entries per page unless the request asks for another number.
    pub page_size: usize,
    /// Most entries one page may hold.
    pub max_page_size: usize,
    /// Most entries one export (iCalendar, Atom, JSON Feed) holds: the whole filtered view up to
    /// this many, soonest first; its `X-Total-Count` header says how many matched.
    pub export_max: usize,
    /// Interface language when the browser asks for none of `be`, `ru`, `en`.
    pub default_language: String,
    /// The city's IANA time zone (`Europe/Minsk`): every time on the pages is shown in it.
    /// Unset, a session's time is shown in the UTC offset its provider gave.
    pub time_zone: Option<String>,
    /// How long a client has to send a request's line and headers, counted from when the
    /// connection starts waiting for that request (a new connection, or a kept-alive one between
    /// two requests); then the connection is closed. Ends slowloris clients.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// Longest time to answer one request once its headers are in; then the answer is 503.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// A connection on which no byte moves either way for this long is closed (a client that
    /// stops reading its answer). At least `request-timeout`.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// Most client connections open at once; at the limit the service stops accepting until one
    /// closes. Also capped at run time at three quarters of the process's open-file limit.
    pub max_connections: usize,
    /// Requests per second each client address may make to `/api/v1`, sustained.
    pub api_rate_limit: u32,
    /// Requests a client address may make to `/api/v1` at once before `api-rate-limit` applies.
    pub api_rate_burst: u32,
    /// What becomes of an `<img>` in a provider's description: `drop` (the default: its alt text
    /// is kept as text, nothing is loaded from the provider's or anyone's server when a resident
    /// opens the page — no tracking pixel) or `link` (a plain link to the image the resident may
    /// follow). Never an image loaded by the page: the pages' CSP forbids them.
    pub images: ImageMode,
    /// The operators of the admin API (`/api/v1/admin/...`), `[[serve.operators]]`: none
    /// closes it.
    pub operators: Vec<Operator>,
    /// A request header an authenticating reverse proxy sets to the operator's name (for
    /// example `X-Remote-User`); the name must be one of `operators`. Set it only when every
    /// request comes through that proxy, which must drop the header from clients' requests.
    pub operator_header: Option<String>,
}

/// One operator of the catalogue (`[[serve.operators]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Operator {
    /// The name decisions are signed with.
    pub name: String,
    /// The argon2 hash of the password (PHC string, `$argon2id$...`; `learncity config
    /// hash-password` makes one). Without it, the operator signs in only through
    /// `operator-header`.
    #[serde(default)]
    pub password_hash: Option<String>,
    /// `operator` (decides) or `viewer` (reads only).
    #[serde(default)]
    pub role: OperatorRole,
}

/// What an operator may do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OperatorRole {
    /// Reads and decides.
    #[default]
    Operator,
    /// Reads only.
    Viewer,
}

/// `[serve] images`: how a description's images are shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageMode {
    /// Replaced by their alt text.
    #[default]
    Drop,
    /// Replaced by a link to the image, labelled with its alt text.
    Link,
}

/// The largest `max-connections`: Linux's default ceiling on open files per process
/// (`fs.nr_open`).
pub const MAX_CONNECTIONS_CEILING: usize = 1_048_576;

impl Default for ServeSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".to_owned(),
            title: "learncity".to_owned(),
            refresh_interval: Duration::from_secs(1),
            page_size: 20,
            max_page_size: 100,
            export_max: 10_000,
            default_language: "ru".to_owned(),
            time_zone: None,
            images: ImageMode::Drop,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 8192,
            api_rate_limit: 20,
            api_rate_burst: 100,
            operators: Vec::new(),
            operator_header: None,
        }
    }
}

impl ServeSettings {
    /// Every mistake in the values (all of them, not only the first), each as `field: message`
    /// with the kebab-case field name, e.g. "jitter: 3 must be between 0 and 1".
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            problems.push(format!("public-url: `{}` must be an http(s) URL", self.public_url));
        }
        if self.refresh_interval < Duration::from_millis(100) {
            problems.push("refresh-interval: must be at least 100ms".to_owned());
        }
        if self.page_size == 0 || self.page_size > self.max_page_size {
            problems.push(format!("page-size: {} must be between 1 and max-page-size", self.page_size));
        }
        if self.max_page_size > 1000 {
            problems.push(format!("max-page-size: {} must be at most 1000", self.max_page_size));
        }
        if self.export_max == 0 || self.export_max > 100_000 {
            problems.push(format!("export-max: {} must be between 1 and 100000", self.export_max));
        }
        if !["be", "ru", "en"].contains(&self.default_language.as_str()) {
            problems.push(format!("default-language: `{}` is not one of be, ru, en", self.default_language));
        }
        if let Some(zone) = &self.time_zone
            && zone.parse::<chrono_tz::Tz>().is_err()
        {
            problems.push(format!("time-zone: `{zone}` is not an IANA time zone name (for example Europe/Minsk)"));
        }
        let between = |key: &str, value: Duration, min: Duration, max: Duration| {
            if value < min || value > max {
                Err(format!(
                    "{key}: {} must be between {} and {}",
                    humantime::format_duration(value),
                    humantime::format_duration(min),
                    humantime::format_duration(max)
                ))
            } else {
                Ok(())
            }
        };
        let ms = Duration::from_millis;
        problems
            .extend(between("header-read-timeout", self.header_read_timeout, ms(100), Duration::from_secs(300)).err());
        problems.extend(between("request-timeout", self.request_timeout, ms(100), Duration::from_secs(600)).err());
        problems.extend(between("idle-timeout", self.idle_timeout, ms(100), Duration::from_secs(3600)).err());
        if self.idle_timeout < self.request_timeout {
            problems.push(format!(
                "idle-timeout: {} must be at least request-timeout ({}), or a slow answer is cut off before it times out",
                humantime::format_duration(self.idle_timeout),
                humantime::format_duration(self.request_timeout)
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, o) in self.operators.iter().enumerate() {
            let at = format!("operators[{i}]");
            if o.name.trim().is_empty() || o.name.chars().any(|c| c.is_control() || c == ':') {
                problems.push(format!("{at}.name: `{}` must be a non-empty name without `:`", o.name));
            } else if !names.insert(o.name.as_str()) {
                problems.push(format!("{at}.name: `{}` is given twice", o.name));
            }
            match &o.password_hash {
                Some(h)
                    if !(h.starts_with("$argon2id$") || h.starts_with("$argon2i$") || h.starts_with("$argon2d$")) =>
                {
                    problems.push(format!(
                        "{at}.password-hash: not an argon2 hash (`$argon2id$...`); make one with `learncity config hash-password`"
                    ));
                }
                None if self.operator_header.is_none() => problems.push(format!(
                    "{at}.password-hash: missing; without operator-header an operator signs in with a password"
                )),
                _ => {}
            }
        }
        if let Some(h) = &self.operator_header
            && (h.is_empty() || !h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            problems.push(format!("operator-header: `{h}` is not a header name (letters, digits and -)"));
        }
        if self.max_connections == 0 || self.max_connections > MAX_CONNECTIONS_CEILING {
            problems.push(format!(
                "max-connections: {} must be between 1 and {MAX_CONNECTIONS_CEILING}",
                self.max_connections
            ));
        }
        if self.api_rate_limit == 0 || self.api_rate_limit > 1_000_000 {
            problems.push(format!(
                "api-rate-limit: {} must be between 1 and 1000000 requests per second",
                self.api_rate_limit
            ));
        }
        if self.api_rate_burst == 0 || self.api_rate_burst > 1_000_000 {
            problems.push(format!("api-rate-burst: {} must be between 1 and 1000000 requests", self.api_rate_burst));
        }
        problems
    }

    /// The first of [`Self::problems`], if any.
    pub fn validate(&self) -> Result<(), String> {
        self.problems().into_iter().next().map_or(Ok(()), Err)
    }
}

/// `[demo]`: the demo city. When present, `learncity run` also serves the demo's fictional
/// providers' documents (generated for today) on `listen`, where the demo's provider files
/// point. A real city's config has no `[demo]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DemoSettings {
    /// Where the demo providers' documents are served.
    pub listen: SocketAddr,
}
