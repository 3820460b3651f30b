//! One provider: who it is, where its document lives, how often to fetch it and how to read it.
//!
//! A provider is one TOML file (`config/providers/*.toml`, also what `learncity check --provider`
//! takes) or one `[[provider]]` table of a registry file:
//!
//! ```toml
//! id = "vitebsk-central-library"
//! name = "Central City Library"
//! city = "Витебск"
//! url = "https://library.vitebsk.example/events/"
//! format = "html"
//! listing = "complete"
//! interval = "2h"          # optional; the collector's default otherwise
//! allow-private = false    # fetch even when the host resolves to a private address
//! enrich-origins = ["https://events.library.vitebsk.example"]  # landing pages elsewhere
//! role = "organiser"       # or "aggregator": a portal re-announcing others' offerings
//! [reader]
//! time-zone = "Europe/Minsk"
//! [reader.html]
//! item = "article.event"
//! title = "h3"
//! ```
//! Errors name the file, line and field.

use std::path::Path;
use std::time::Duration;

pub use learncity_model::{Listing, Role};
use learncity_readers::{FormatHint, ReaderSettings};
use serde::Deserialize;

use crate::error::{ConfigError, ConfigErrors};
use crate::locate::line_of;
use crate::mistakes;

/// One provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Provider {
    /// Stable id, `[a-z0-9-]+`: the first half of every record key.
    pub id: String,
    /// Human-readable name.
    #[serde(default)]
    pub name: Option<String>,
    /// The provider's city (default city of its offerings; the key that keeps possible
    /// duplicates on one catalog-builder partition).
    #[serde(default)]
    pub city: Option<String>,
    /// Where its document lives (http, https or file). Required to collect it; `check` can
    /// read a local copy without it. `webcal://`/`webcals://` and the public links of Google,
    /// Outlook and Nextcloud calendars are rewritten to their iCalendar URL on loading
    /// ([`learncity_fetch::fetchable_url`]).
    #[serde(default)]
    pub url: Option<url::Url>,
    /// Document format, or `auto`.
    #[serde(default)]
    pub format: FormatHint,
    /// `complete` or `window`: after a complete fetch of a `complete` listing the collector
    /// publishes a snapshot, and the builder withdraws what vanished.
    #[serde(default)]
    pub listing: Listing,
    /// How often to fetch it (`30m`, `2h`); the collector's `interval` when absent. Jitter is
    /// added; feed `ttl` and HTTP cache headers move it within the collector's bounds.
    #[serde(default, with = "humantime_serde")]
    pub interval: Option<Duration>,
    /// Fetch it even when its host resolves to a loopback, private or link-local address
    /// (an intranet provider, a test fixture server). Off by default: the SSRF guard refuses.
    #[serde(default)]
    pub allow_private: bool,
    /// Origins (`scheme://host[:port]`, nothing after) besides the provider URL's own whose landing pages
    /// enrichment may fetch. Empty by default: only landing pages on the provider's own origin are fetched.
    /// `allow-private` covers these origins too (they are named here by the operator, like `url`), never a
    /// redirect target.
    #[serde(default)]
    pub enrich_origins: Vec<url::Url>,
    /// Whether the collector fetches it (`false` pauses it without removing its config).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Merge priority in the catalogue: when sources of one entry disagree, the higher wins.
    #[serde(default)]
    pub priority: i32,
    /// What the provider is to its offerings: `organiser` (the default: it runs what it
    /// announces) or `aggregator` (a city portal or a library re-announcing others' offerings).
    /// An entry's canonical fields come from its organisers first, from aggregators only to fill
    /// gaps, and an aggregator's cancellation does not cancel an organiser's offering.
    #[serde(default)]
    pub role: Role,
    /// How to read its documents.
    #[serde(default)]
    pub reader: ReaderSettings,
    /// Where it was defined (`file` or `file[provider N]`), for messages and the health page.
    #[serde(skip)]
    pub origin: String,
    /// The line of `id` in that file, when known (a mistake that involves two providers names both).
    #[serde(skip)]
    pub id_line: Option<usize>,
}

fn yes() -> bool {
    true
}

/// An `enrich-origins` entry is an http(s) origin and nothing more: no user, path, query or fragment.
fn check_origin(url: &url::Url) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("`{url}` must be an http or https origin such as `https://events.example.org`"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("`{url}` must not carry a user name or password"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{url}` must be an origin only (scheme, host, port), without a path, query or fragment"));
    }
    Ok(())
}

impl Provider {
    /// Whether `url` is on one of the provider's own origins: its URL's (scheme, host and port) or one listed in
    /// `enrich-origins`. Enrichment fetches landing pages there only, and `allow-private` covers exactly these.
    pub fn owns_origin(&self, url: &url::Url) -> bool {
        let origin = url.origin();
        origin.is_tuple() && self.url.iter().chain(&self.enrich_origins).any(|own| own.origin() == origin)
    }
}

impl Provider {
    /// Loads and validates a one-provider file; every mistake in it is returned.
    pub fn load(path: &Path) -> Result<Self, ConfigErrors> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::file(&origin, format!("cannot read the provider file: {e}")))?;
        Self::parse(&text, &origin)
    }

    /// Parses and validates one provider's TOML; `origin` names the file in errors. Every
    /// mistake is returned, each with its line, column and key.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ConfigErrors> {
        let read = mistakes::read_all::<Provider>(text, origin);
        let mut errors = read.mistakes;
        if let Some(mut provider) = read.value {
            provider.origin = origin.to_owned();
            provider.id_line = line_of(text, &["id"]);
            errors.extend(provider.validate(text, &[], origin));
            if errors.is_empty() {
                return Ok(provider);
            }
        }
        Err(ConfigErrors(errors))
    }

    /// The file this provider is defined in.
    pub fn file(&self) -> &str {
        self.origin.split(" [[provider]]").next().unwrap_or(&self.origin)
    }

    /// Checks what serde cannot and fills derived defaults; returns every mistake. `prefix` is
    /// this provider's path in `text` (`["provider", "3"]` in a registry file, empty in a
    /// one-provider file).
    pub(crate) fn validate(&mut self, text: &str, prefix: &[&str], origin: &str) -> Vec<ConfigError> {
        let at = |field: &str| {
            let mut path: Vec<&str> = prefix.to_vec();
            path.extend(field.split('.'));
            line_of(text, &path)
        };
        let mut errors = Vec::new();
        let mut mistake =
            |field: &str, message: String| errors.push(ConfigError::field(origin, at(field), field, message));
        if self.id.is_empty() || !self.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            mistake("id", format!("`{}` must be non-empty and use only a-z, 0-9 and -", self.id));
        }
        // `webcal://` and public calendar pages (Google, Outlook, Nextcloud) → their iCal URL.
        self.url = self.url.as_ref().map(learncity_fetch::fetchable_url);
        if let Some(url) = &self.url
            && !matches!(url.scheme(), "http" | "https" | "file")
        {
            mistake("url", format!("`{url}` must be an http, https or file URL"));
        }
        for listed in &self.enrich_origins {
            if let Err(why) = check_origin(listed) {
                mistake("enrich-origins", why);
            }
        }
        if let Some(interval) = self.interval
            && interval < Duration::from_secs(1)
        {
            mistake("interval", "must be at least 1s".to_owned());
        }
        if let Err(msg) = self.reader.validate() {
            let (field, message) = msg.split_once(": ").unwrap_or(("", msg.as_str()));
            mistake(&format!("reader.{field}"), message.to_owned());
        }
        if self.reader.default_city.is_none() {
            self.reader.default_city = self.city.clone();
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_provider() {
        let p = Provider::parse(
            "id = \"vsu\"\nname = \"VSU\"\ncity = \"Витебск\"\nformat = \"ical\"\nlisting = \"window\"\n[reader]\ntime-zone = \"Europe/Minsk\"\n",
            "vsu.toml",
        )
        .unwrap();
        assert_eq!(p.format, FormatHint::Ical);
        assert_eq!(p.listing, Listing::Window);
        assert_eq!(p.reader.default_city.as_deref(), Some("Витебск"));
    }

    #[test]
    fn calendar_links_are_loaded_as_their_ical_url() {
        let p = Provider::parse("id = \"vhs\"\nurl = \"webcal://vhs.example/kurse.ics\"\n", "p.toml").unwrap();
        assert_eq!(p.url.unwrap().as_str(), "https://vhs.example/kurse.ics");
        let p = Provider::parse(
            "id = \"club\"\nurl = \"https://calendar.google.com/calendar/embed?src=club%40group.calendar.google.com\"\n",
            "p.toml",
        )
        .unwrap();
        assert_eq!(
            p.url.unwrap().as_str(),
            "https://calendar.google.com/calendar/ical/club%40group.calendar.google.com/public/basic.ics"
        );
    }

    #[test]
    fn enrich_origins_are_origins_only() {
        let p = Provider::parse(
            "id = \"lib\"\nurl = \"https://lib.example/feed\"\nenrich-origins = [\"https://events.lib.example:8443\"]\n",
            "p.toml",
        )
        .unwrap();
        let owns = |u: &str| p.owns_origin(&url::Url::parse(u).unwrap());
        assert!(owns("https://lib.example/events/1"));
        assert!(owns("https://events.lib.example:8443/e/1"));
        assert!(!owns("http://lib.example/events/1"), "another scheme");
        assert!(!owns("https://lib.example:8443/events/1"), "another port");
        assert!(!owns("https://events.lib.example/e/1"), "the listed host on its default port");
        assert!(!owns("https://evil.example/e/1"));
        for bad in ["https://x.example/path", "ftp://x.example", "https://u:p@x.example", "https://x.example/?q=1"] {
            let err = Provider::parse(&format!("id = \"lib\"\nenrich-origins = [\"{bad}\"]\n"), "p.toml")
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("p.toml:2:") && err.contains("enrich-origins"), "{bad}: {err}");
        }
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let err = Provider::parse("id = \"vsu\"\n[reader]\ntime-zon = \"UTC\"\n", "p.toml").unwrap_err().to_string();
        assert!(err.starts_with("p.toml:3:1:") && err.contains("time-zon"), "{err}");
        let err =
            Provider::parse("id = \"vsu\"\n[reader]\ntime-zone = \"Mars/Base\"\n", "p.toml").unwrap_err().to_string();
        assert!(err.starts_with("p.toml:3:") && err.contains("reader.time-zone"), "{err}");
        let err = Provider::parse("id = \"vsu\"\nurl = \"ftp://x.example/f\"\n", "p.toml").unwrap_err().to_string();
        assert!(err.starts_with("p.toml:2:") && err.contains("key `url`"), "{err}");
        let err = Provider::parse("id = \"VSU!\"\n", "p.toml").unwrap_err().to_string();
        assert!(err.starts_with("p.toml:1:") && err.contains("key `id`"), "{err}");
        let err = Provider::parse("id = \"v\"\n[reader.html]\nitem = \"div[\"\ntitle = \"h3\"\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.toml:3:") && err.contains("reader.html.item"), "{err}");
    }
}

#[cfg(test)]
mod shipped_examples {
    use super::*;

    /// The example provider files in `config/providers/` stay valid.
    #[test]
    fn every_example_provider_file_loads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/providers");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("config/providers exists").flatten() {
            let file = Provider::load(&entry.path()).unwrap_or_else(|e| panic!("{e:#}"));
            assert!(file.url.is_some(), "{}: examples name their url", entry.path().display());
            n += 1;
        }
        assert!(n >= 3);
    }
}
