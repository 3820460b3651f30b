//! A provider's config file (TOML): who the provider is and how to read its documents.
//!
//! ```toml
//! id = "vitebsk-central-library"
//! name = "Central City Library"
//! city = "Витебск"
//! url = "https://library.vitebsk.example/events/"
//! format = "html"
//! listing = "complete"
//! [reader]
//! time-zone = "Europe/Minsk"
//! [reader.html]
//! item = "article.event"
//! title = "h3"
//! ```
//! Errors name the file, line, column and field.

use std::path::Path;

use anyhow::Context;
use learncity_readers::{FormatHint, ReaderSettings};
use serde::Deserialize;

/// How a provider's listing relates to what it offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Listing {
    /// Every current offering is listed (iCal, an HTML list): what vanished is withdrawn.
    #[default]
    Complete,
    /// Only the latest items are listed (RSS): what vanished may still take place.
    Window,
}

/// One provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProviderFile {
    /// Stable id, `[a-z0-9-]+`: the first half of every record key.
    pub id: String,
    /// Human-readable name.
    #[serde(default)]
    pub name: Option<String>,
    /// The provider's city (default city of its offerings).
    #[serde(default)]
    pub city: Option<String>,
    /// Where its document lives.
    #[serde(default)]
    pub url: Option<url::Url>,
    /// Document format, or `auto`.
    #[serde(default)]
    pub format: FormatHint,
    /// `complete` or `window`. Only the collector acts on it (withdrawal after a complete
    /// listing); `check` parses and validates it.
    #[serde(default)]
    pub listing: Listing,
    /// How to read its documents.
    #[serde(default)]
    pub reader: ReaderSettings,
}

impl ProviderFile {
    /// Loads and validates a provider file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read provider file {}", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and validates provider TOML; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> anyhow::Result<Self> {
        let mut file: ProviderFile = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            anyhow::anyhow!("{origin}:{line}:{col}: {}", e.message())
        })?;
        if file.id.is_empty() || !file.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            let line = find_key_line(text, "id").unwrap_or(1);
            anyhow::bail!("{origin}:{line}: field `id`: `{}` must be non-empty and use only a-z, 0-9 and -", file.id);
        }
        if let Some(url) = &file.url
            && !matches!(url.scheme(), "http" | "https" | "file")
        {
            let line = find_key_line(text, "url").unwrap_or(1);
            anyhow::bail!("{origin}:{line}: field `url`: `{url}` must be an http, https or file URL");
        }
        if let Err(msg) = file.reader.validate() {
            let field = msg.split(':').next().unwrap_or_default();
            let key = field.rsplit('.').next().unwrap_or(field);
            let line = find_key_line(text, key).unwrap_or(1);
            anyhow::bail!(
                "{origin}:{line}: field `reader.{field}`: {}",
                msg.split_once(": ").map_or(msg.as_str(), |(_, m)| m)
            );
        }
        if file.reader.default_city.is_none() {
            file.reader.default_city = file.city.clone();
        }
        Ok(file)
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The first line that assigns `key` (for errors found after parsing).
fn find_key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
                || (key != "item" && l.starts_with(&format!("[reader.{key}")))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_provider() {
        let p = ProviderFile::parse(
            "id = \"vsu\"\nname = \"VSU\"\ncity = \"Витебск\"\nformat = \"ical\"\nlisting = \"window\"\n[reader]\ntime-zone = \"Europe/Minsk\"\n",
            "vsu.toml",
        )
        .unwrap();
        assert_eq!(p.format, FormatHint::Ical);
        assert_eq!(p.listing, Listing::Window);
        assert_eq!(p.reader.default_city.as_deref(), Some("Витебск"));
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let err =
            ProviderFile::parse("id = \"vsu\"\n[reader]\ntime-zon = \"UTC\"\n", "p.toml").unwrap_err().to_string();
        assert!(err.starts_with("p.toml:3:1:") && err.contains("time-zon"), "{err}");
        let err = ProviderFile::parse("id = \"vsu\"\n[reader]\ntime-zone = \"Mars/Base\"\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.toml:3:") && err.contains("reader.time-zone"), "{err}");
        let err = ProviderFile::parse("id = \"vsu\"\nurl = \"ftp://x.example/f\"\n", "p.toml").unwrap_err().to_string();
        assert!(err.starts_with("p.toml:2:") && err.contains("field `url`"), "{err}");
        let err = ProviderFile::parse("id = \"VSU!\"\n", "p.toml").unwrap_err().to_string();
        assert!(err.starts_with("p.toml:1:") && err.contains("field `id`"), "{err}");
        let err = ProviderFile::parse("id = \"v\"\n[reader.html]\nitem = \"div[\"\ntitle = \"h3\"\n", "p.toml")
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
            let file = ProviderFile::load(&entry.path()).unwrap_or_else(|e| panic!("{e:#}"));
            assert!(file.url.is_some(), "{}: examples name their url", entry.path().display());
            n += 1;
        }
        assert!(n >= 3);
    }
}
