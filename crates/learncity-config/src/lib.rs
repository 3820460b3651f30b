//! # learncity-config: the configuration of every learncity daemon
//!
//! One main TOML file (`config/learncity.toml`) with a section per concern, environment
//! variables overriding any setting, and the provider registry — `[[provider]]` tables in the
//! main file, and/or `collector.providers` naming a folder with one file per provider or a
//! registry file of `[[provider]]` tables:
//!
//! ```toml
//! [collector]
//! providers = "providers"      # relative to this file
//! interval = "1h"
//! [http]
//! contact-url = "https://learn.vitebsk.example/about"
//! [kafka]
//! brokers = "kafka-1:9092,kafka-2:9092"
//! [log]
//! format = "json"
//! ```
//!
//! Environment overrides: `LEARNCITY__SECTION__KEY=value` (sections and keys in any case, `_`
//! for `-`): `LEARNCITY__KAFKA__BROKERS=kafka:9092`, `LEARNCITY__LOG__FORMAT=json`. A value
//! that reads as a TOML value (number, boolean, array) is taken as such, else as a string.
//!
//! [`load`] reports every mistake it finds, each naming the file and line (or the
//! environment variable) and the field — `learncity config check` prints them.

mod error;
mod locate;
mod mistakes;
mod provider;
mod sections;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use error::{ConfigError, ConfigErrors};
pub use provider::{Listing, Provider, Role};
pub use sections::{
    CatalogSettings, CollectorSettings, DemoSettings, ImageMode, LogFormat, LogSettings, Operator, OperatorRole,
    ServeSettings,
};

/// The prefix of environment overrides.
pub const ENV_PREFIX: &str = "LEARNCITY__";

/// A loaded, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The main file.
    pub path: PathBuf,
    /// `[collector]`: scheduling and the provider registry.
    pub collector: CollectorSettings,
    /// `[catalog]`: the catalog builder.
    pub catalog: CatalogSettings,
    /// `[serve]`: the web catalogue.
    pub serve: ServeSettings,
    /// `[http]`: how providers are fetched.
    pub http: learncity_fetch::FetchSettings,
    /// `[kafka]`: brokers, topics, client properties.
    pub kafka: learncity_bus::KafkaSettings,
    /// `[log]`: log format and filter.
    pub log: LogSettings,
    /// `[demo]`: the demo city's provider server (`learncity run` only), when configured.
    pub demo: Option<DemoSettings>,
    /// Every provider, from the main file and `collector.providers`, ids unique.
    pub providers: Vec<Provider>,
    /// The environment overrides that were applied (`NAME`, dotted path).
    pub overrides: Vec<(String, String)>,
}

/// The main file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct MainFile {
    #[serde(default)]
    collector: CollectorSettings,
    #[serde(default)]
    catalog: CatalogSettings,
    #[serde(default)]
    serve: ServeSettings,
    #[serde(default)]
    http: learncity_fetch::FetchSettings,
    #[serde(default)]
    kafka: learncity_bus::KafkaSettings,
    #[serde(default)]
    log: LogSettings,
    #[serde(default)]
    demo: Option<DemoSettings>,
    #[serde(default)]
    provider: Vec<Provider>,
}

/// Loads the main config file, applies the environment's overrides (`LEARNCITY__*`), and
/// loads and validates the provider registry. Every mistake found is returned.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    load_with_env(path, std::env::vars())
}

/// [`load`] with the environment given (tests).
pub fn load_with_env(path: &Path, env: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigErrors> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::file(&origin, format!("cannot read the config file: {e}; pass an existing file with --config"))
    })?;
    // The file alone first: every mistake it holds, each at its line and column. The keys it
    // refuses are taken out, so the rest is still checked in this same run.
    let file = mistakes::read_all::<MainFile>(&text, &origin);
    let mut errors = file.mistakes;
    if file.value.is_none() {
        return Err(ConfigErrors(errors));
    }

    // Then with the environment's overrides applied.
    let overrides = env_overrides(env);
    let mut table = file.table;
    for (name, path, value) in &overrides {
        if let Err(message) = set_path(&mut table, path, value.clone()) {
            errors.push(ConfigError::field(&format!("environment variable {name}"), None, &path.join("."), message));
        }
    }
    let main: MainFile = match toml::Value::Table(table).try_into() {
        Ok(main) => main,
        Err(e) => {
            let names = overrides.iter().map(|(n, ..)| n.as_str()).collect::<Vec<_>>().join(", ");
            errors.push(ConfigError::file(
                &format!("{origin} with environment overrides {names}"),
                mistakes::plain(e.message()),
            ));
            return Err(ConfigErrors(errors));
        }
    };
    // Semantic checks, placed at the override that set the field, or at the file's line.
    let place = |field: &str| -> (String, Option<usize>) {
        if let Some((name, ..)) = overrides.iter().find(|(_, p, _)| p.join(".") == field) {
            return (format!("environment variable {name}"), None);
        }
        let path: Vec<&str> = field.split('.').collect();
        (origin.clone(), locate::line_of(&text, &path))
    };
    // Every mistake of every section, not only each section's first.
    let mut section_errors = |section: &str, problems: Vec<String>| {
        for msg in problems {
            let (field, message) = msg.split_once(": ").unwrap_or(("", msg.as_str()));
            let field = if field.is_empty() { section.to_owned() } else { format!("{section}.{field}") };
            let (o, line) = place(&field);
            errors.push(ConfigError::field(&o, line, &field, message.to_owned()));
        }
    };
    section_errors("collector", main.collector.problems());
    section_errors("catalog", main.catalog.problems());
    section_errors("serve", main.serve.problems());
    section_errors("http", main.http.problems());
    section_errors("kafka", main.kafka.problems());

    let base = path.parent().unwrap_or(Path::new("."));
    let mut providers = Vec::new();
    keep_valid(main.provider, &text, &origin, &mut providers, &mut errors);
    if let Some(dir) = &main.collector.providers {
        let (set_in, line) = place("collector.providers");
        load_registry(&base.join(dir), (&set_in, line), &mut providers, &mut errors);
    }
    check_unique(&providers, &mut errors);

    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    Ok(Config {
        path: path.to_owned(),
        collector: main.collector,
        catalog: main.catalog,
        serve: main.serve,
        http: main.http,
        kafka: main.kafka,
        log: main.log,
        demo: main.demo,
        providers,
        overrides: overrides.into_iter().map(|(n, p, _)| (n, p.join("."))).collect(),
    })
}

/// Loads `collector.providers`: a folder (every `*.toml` in it is one provider, in name order)
/// or a registry file of `[[provider]]` tables. `setting` is where the main file names it (its
/// file and line), for the mistake of a folder or file that is not there.
fn load_registry(
    path: &Path,
    setting: (&str, Option<usize>),
    providers: &mut Vec<Provider>,
    errors: &mut Vec<ConfigError>,
) {
    let origin = path.display().to_string();
    let not_there = |what: &str, e: std::io::Error| {
        ConfigError::field(
            setting.0,
            setting.1,
            "collector.providers",
            format!(
                "{what} `{origin}` cannot be read ({e}); name a folder of provider files or a registry file, relative to the main file"
            ),
        )
    };
    if path.is_dir() {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(entries) => entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
                .collect(),
            Err(e) => {
                errors.push(not_there("the provider folder", e));
                return;
            }
        };
        files.sort();
        for file in files {
            match Provider::load(&file) {
                Ok(p) => providers.push(p),
                Err(e) => errors.extend(e.0),
            }
        }
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let read = mistakes::read_all::<RegistryFile>(&text, &origin);
            errors.extend(read.mistakes);
            keep_valid(read.value.map(|r| r.provider).unwrap_or_default(), &text, &origin, providers, errors);
        }
        Err(e) => errors.push(not_there("the provider folder or registry file", e)),
    }
}

/// A registry file: `[[provider]]` tables only.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    provider: Vec<Provider>,
}

/// The `[[provider]]` entries read from `text` (a registry file or the main file): each is
/// validated with its lines found in `text`; entries without mistakes are kept, every mistake
/// of every entry is reported.
fn keep_valid(
    entries: Vec<Provider>,
    text: &str,
    origin: &str,
    providers: &mut Vec<Provider>,
    errors: &mut Vec<ConfigError>,
) {
    for (i, mut provider) in entries.into_iter().enumerate() {
        let idx = i.to_string();
        provider.origin = format!("{origin} [[provider]] #{}", i + 1);
        let found = provider.validate(text, &["provider", idx.as_str()], origin);
        if found.is_empty() {
            provider.id_line = locate::line_of(text, &["provider", idx.as_str(), "id"]);
            providers.push(provider);
        }
        errors.extend(found);
    }
}

/// Provider ids are record keys: one id, one provider. A second use names both places.
fn check_unique(providers: &[Provider], errors: &mut Vec<ConfigError>) {
    let mut seen: BTreeMap<&str, &Provider> = BTreeMap::new();
    for p in providers {
        if let Some(first) = seen.insert(&p.id, p) {
            let first_at = match first.id_line {
                Some(line) => format!("{}:{line}", first.file()),
                None => first.origin.clone(),
            };
            errors.push(ConfigError::field(
                p.file(),
                p.id_line,
                "id",
                format!("provider id `{}` is already used in {first_at}; every provider needs an id of its own", p.id),
            ));
        }
    }
}

/// `LEARNCITY__A__B_C=v` → (`LEARNCITY__A__B_C`, [`a`, `b-c`], value).
fn env_overrides(env: impl IntoIterator<Item = (String, String)>) -> Vec<(String, Vec<String>, toml::Value)> {
    let mut out: Vec<_> = env
        .into_iter()
        .filter_map(|(name, value)| {
            let rest = name.strip_prefix(ENV_PREFIX)?;
            let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase().replace('_', "-")).collect();
            if path.iter().any(String::is_empty) {
                return None;
            }
            Some((name, path, parse_env_value(&value)))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// A value that reads as a TOML scalar or array is taken as one; anything else is a string.
fn parse_env_value(value: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| !v.is_table())
        .unwrap_or_else(|| toml::Value::String(value.to_owned()))
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("empty path")?;
    let mut cur = table;
    for seg in parents {
        let next = cur.entry(seg.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = next.as_table_mut().ok_or_else(|| format!("`{seg}` is not a section, so it cannot hold `{last}`"))?;
    }
    cur.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests;
