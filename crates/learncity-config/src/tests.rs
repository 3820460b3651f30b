//! Loading whole configs from files: registry forms, overrides, and where mistakes are named.

use std::path::Path;

use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn no_env() -> Vec<(String, String)> {
    Vec::new()
}

const PROVIDER_A: &str = "id = \"a\"\nurl = \"https://a.example/feed.rss\"\nformat = \"rss\"\nlisting = \"window\"\n";

#[test]
fn loads_a_folder_registry_and_inline_providers() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "providers/a.toml", PROVIDER_A);
    write(dir.path(), "providers/b.toml", "id = \"b\"\nurl = \"file:///srv/b.ics\"\ninterval = \"30m\"\n");
    write(dir.path(), "providers/notes.txt", "not a provider");
    let main = write(
        dir.path(),
        "learncity.toml",
        "[collector]\nproviders = \"providers\"\ninterval = \"2h\"\n\n[[provider]]\nid = \"c\"\nurl = \"http://c.example/\"\nallow-private = true\n",
    );
    let config = load_with_env(&main, no_env()).unwrap();
    let ids: Vec<&str> = config.providers.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["c", "a", "b"]);
    assert_eq!(config.collector.interval, std::time::Duration::from_secs(7200));
    assert!(config.providers[0].allow_private);
    assert_eq!(config.providers[2].interval, Some(std::time::Duration::from_secs(1800)));
    assert!(config.providers[1].origin.ends_with("a.toml"));
}

#[test]
fn loads_a_registry_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "registry.toml",
        "[[provider]]\nid = \"x\"\n\n[[provider]]\nid = \"y\"\n[provider.reader]\ntime-zone = \"Europe/Minsk\"\n",
    );
    let main = write(dir.path(), "main.toml", "[collector]\nproviders = \"registry.toml\"\n");
    let config = load_with_env(&main, no_env()).unwrap();
    assert_eq!(config.providers.len(), 2);
    assert_eq!(config.providers[1].reader.time_zone, "Europe/Minsk");
}

#[test]
fn every_mistake_is_reported_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "providers/a.toml", PROVIDER_A);
    write(dir.path(), "providers/bad-zone.toml", "id = \"z\"\n[reader]\ntime-zone = \"Mars/Base\"\n");
    write(dir.path(), "providers/dup.toml", PROVIDER_A);
    write(
        dir.path(),
        "registry.toml",
        "[[provider]]\nid = \"ok\"\n\n[[provider]]\nid = \"q\"\nurl = \"ftp://q.example/\"\n",
    );
    let main = write(
        dir.path(),
        "main.toml",
        "[collector]\nproviders = \"providers\"\njitter = 3.0\n\n[[provider]]\nid = \"fine\"\n\n[[provider]]\nid = \"Bad Id\"\n",
    );
    let errors = load_with_env(&main, no_env()).unwrap_err();
    let text = errors.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0]
            .ends_with("main.toml:3: key `collector.jitter`: 3 must be between 0 and 1 (a fraction of the interval)"),
        "{text}"
    );
    assert!(lines[1].contains("main.toml:9: key `id`: `Bad Id` must be non-empty"), "{text}");
    assert!(lines[2].contains("bad-zone.toml:3: key `reader.time-zone`"), "{text}");
    // A provider id used by two files: both files, each with the line of its id.
    assert!(
        lines[3].contains("dup.toml:1: key `id`: provider id `a` is already used in") && lines[3].contains("a.toml:1;"),
        "{text}"
    );

    let main2 = write(dir.path(), "main2.toml", "[collector]\nproviders = \"registry.toml\"\n");
    let text = load_with_env(&main2, no_env()).unwrap_err().to_string();
    assert!(
        text.contains("registry.toml:6: key `url`: `ftp://q.example/` must be an http, https or file URL"),
        "{text}"
    );
}

/// One run names every mistake of the main file and of every provider file, each with its
/// line, column and key, in words (no Rust type names).
#[test]
fn one_check_reports_every_mistake_of_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "providers/a.toml", "id = \"a\"\ninterval = 30\nformat = \"rsss\"\nenabled = \"no\"\n");
    let main = write(
        dir.path(),
        "main.toml",
        "[collector]\nproviders = \"providers\"\ninterval = \"2 fortnights\"\nenrich-per-run = -4\n\
         [catalog]\nbatch-max = \"lots\"\nbatch-max = 5\n\
         [serve]\nlisten = \"localhost\"\ndefault-language = 7\n\
         [log]\nformat = \"xml\"\ncolour = true\n",
    );
    let text = load_with_env(&main, no_env()).unwrap_err().to_string();
    let expected = [
        "main.toml:7:1: key `catalog.batch-max`: this key is set twice",
        "main.toml:3:12: key `collector.interval`: expected a duration, a number and a unit such as \"90s\"",
        "main.toml:4:18: key `collector.enrich-per-run`: expected a whole number, 0 or more, found the number -4",
        "main.toml:6:13: key `catalog.batch-max`: expected a whole number, 0 or more, found the text \"lots\"",
        "main.toml:9:10: key `serve.listen`: not a socket address",
        "main.toml:10:20: key `serve.default-language`: expected text in quotes, found the number 7",
        "main.toml:12:10: key `log.format`: `xml` is not one of the words this key takes",
        "main.toml:13:1: key `log.colour`: `colour` is not a known key",
        "a.toml:2:12: key `interval`: expected a duration",
        "a.toml:3:10: key `format`: `rsss` is not one of the words this key takes",
        "a.toml:4:11: key `enabled`: expected true or false, found the text \"no\"",
    ];
    for want in expected {
        assert!(text.lines().any(|l| l.contains(want)), "missing `{want}` in:\n{text}");
    }
    assert_eq!(text.lines().count(), expected.len(), "{text}");
    for rust in ["usize", "u64", "invalid type", "invalid value", "variant"] {
        assert!(!text.contains(rust), "`{rust}` in:\n{text}");
    }
}

/// The checks serde cannot make (ranges, relations between keys) report every mistake of a
/// section too, not only its first.
#[test]
fn every_range_mistake_of_a_section_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "main.toml",
        "[collector]\njitter = 3.0\nenrich-per-run = 5000\n[serve]\npage-size = 0\ndefault-language = \"fr\"\n\
         time-zone = \"Europe/Minks\"\n",
    );
    let text = load_with_env(&main, no_env()).unwrap_err().to_string();
    for want in [
        "main.toml:2: key `collector.jitter`: 3 must be between 0 and 1",
        "main.toml:3: key `collector.enrich-per-run`: 5000 is more than 1000",
        "main.toml:5: key `serve.page-size`: 0 must be between 1 and max-page-size",
        "main.toml:6: key `serve.default-language`: `fr` is not one of be, ru, en",
        "main.toml:7: key `serve.time-zone`: `Europe/Minks` is not an IANA time zone name (for example Europe/Minsk)",
    ] {
        assert!(text.contains(want), "missing `{want}` in:\n{text}");
    }
    assert_eq!(text.lines().count(), 5, "{text}");
}

/// The main file is read once: a mistake in it is reported once, also when it holds providers.
#[test]
fn a_main_file_with_providers_reports_each_mistake_once() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "main.toml",
        "[collector]\njitter = 0.1\njitter = 0.2\n\n[[provider]]\nid = \"p\"\nformat = \"rsss\"\n",
    );
    let text = load_with_env(&main, no_env()).unwrap_err().to_string();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("main.toml:3:1: key `collector.jitter`: this key is set twice"), "{text}");
    assert!(text.contains("main.toml:7:10: key `provider.0.format`: `rsss` is not one of"), "{text}");
}

#[test]
fn syntax_and_unknown_fields_name_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(dir.path(), "main.toml", "[collector]\ninterval = \"1h\"\nintervall = \"2h\"\n");
    let text = load_with_env(&main, no_env()).unwrap_err().to_string();
    assert!(text.contains("main.toml:3:1: key `collector.intervall`: `intervall` is not a known key"), "{text}");
    let main = write(dir.path(), "main.toml", "[collector]\ninterval = \"soon\"\n");
    let text = load_with_env(&main, no_env()).unwrap_err().to_string();
    assert!(text.contains("main.toml:2:12: key `collector.interval`: expected a duration"), "{text}");
    let text = load_with_env(&dir.path().join("missing.toml"), no_env()).unwrap_err().to_string();
    assert!(text.contains("missing.toml: cannot read the config file"), "{text}");
    let main = write(dir.path(), "main.toml", "[collector]\nproviders = \"nowhere\"\n");
    let text = load_with_env(&main, no_env()).unwrap_err().to_string();
    assert!(text.contains("main.toml:2: key `collector.providers`: the provider folder or registry file"), "{text}");
    assert!(text.contains("nowhere` cannot be read"), "{text}");
}

#[test]
fn environment_overrides_win_and_are_named_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(dir.path(), "main.toml", "[collector]\ninterval = \"1h\"\n");
    let env = vec![
        ("LEARNCITY__COLLECTOR__INTERVAL".to_owned(), "2h".to_owned()),
        ("LEARNCITY__COLLECTOR__ENRICH_PER_RUN".to_owned(), "5".to_owned()),
        ("LEARNCITY__LOG__FORMAT".to_owned(), "json".to_owned()),
        ("LEARNCITY_LOG".to_owned(), "debug".to_owned()),
        ("PATH".to_owned(), "/bin".to_owned()),
    ];
    let config = load_with_env(&main, env).unwrap();
    assert_eq!(config.collector.interval, std::time::Duration::from_secs(7200));
    assert_eq!(config.collector.enrich_per_run, 5);
    assert_eq!(config.log.format, LogFormat::Json);
    assert_eq!(config.overrides.len(), 3);

    let env = vec![("LEARNCITY__COLLECTOR__JITTER".to_owned(), "7".to_owned())];
    let text = load_with_env(&main, env).unwrap_err().to_string();
    assert!(text.starts_with("environment variable LEARNCITY__COLLECTOR__JITTER: key `collector.jitter`"), "{text}");
    let env = vec![("LEARNCITY__COLLECTOR__NO_SUCH".to_owned(), "1".to_owned())];
    let text = load_with_env(&main, env).unwrap_err().to_string();
    assert!(
        text.contains("with environment overrides LEARNCITY__COLLECTOR__NO_SUCH") && text.contains("no-such"),
        "{text}"
    );
}

#[test]
fn env_values_parse_as_toml_when_they_can() {
    assert_eq!(parse_env_value("5"), toml::Value::Integer(5));
    assert_eq!(parse_env_value("true"), toml::Value::Boolean(true));
    assert_eq!(parse_env_value("kafka:9092"), toml::Value::String("kafka:9092".into()));
    assert_eq!(parse_env_value("[\"a\", \"b\"]").as_array().map(Vec::len), Some(2));
    assert_eq!(parse_env_value("x = 1"), toml::Value::String("x = 1".into()));
}

/// The shipped configs load.
#[test]
fn shipped_config_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/learncity.toml");
    let config = load_with_env(&path, no_env()).unwrap_or_else(|e| panic!("{e}"));
    assert!(config.providers.len() >= 3);
    assert!(config.providers.iter().all(|p| p.url.is_some()));
}

#[test]
fn serve_limits_out_of_range_name_their_key() {
    let dir = tempfile::tempdir().unwrap();
    for (lines, field, says) in [
        ("header-read-timeout = \"0s\"", "serve.header-read-timeout", "0s must be between 100ms and 5m"),
        ("header-read-timeout = \"1h\"", "serve.header-read-timeout", "1h must be between 100ms and 5m"),
        ("request-timeout = \"0s\"", "serve.request-timeout", "0s must be between 100ms and 10m"),
        ("idle-timeout = \"2h\"", "serve.idle-timeout", "2h must be between 100ms and 1h"),
        (
            "request-timeout = \"2m\"\nidle-timeout = \"1m\"",
            "serve.idle-timeout",
            "1m must be at least request-timeout (2m)",
        ),
        ("max-connections = 0", "serve.max-connections", "0 must be between 1 and 1048576"),
        ("max-connections = 100000000", "serve.max-connections", "100000000 must be between 1 and 1048576"),
        ("api-rate-limit = 0", "serve.api-rate-limit", "0 must be between 1 and 1000000"),
        ("api-rate-burst = 0", "serve.api-rate-burst", "0 must be between 1 and 1000000"),
    ] {
        let main = write(dir.path(), "main.toml", &format!("[serve]\n{lines}\n"));
        let text = load_with_env(&main, no_env()).unwrap_err().to_string();
        assert!(text.contains(&format!("key `{field}`: {says}")), "{lines}: {text}");
    }
    let negative = write(dir.path(), "main.toml", "[serve]\nmax-connections = -1\n");
    let text = load_with_env(&negative, no_env()).unwrap_err().to_string();
    assert!(text.contains("main.toml:2:"), "{text}");

    let main = write(dir.path(), "main.toml", "[serve]\n");
    let serve = load_with_env(&main, no_env()).unwrap().serve;
    assert_eq!(serve.header_read_timeout, std::time::Duration::from_secs(10));
    assert_eq!(serve.request_timeout, std::time::Duration::from_secs(30));
    assert_eq!(serve.idle_timeout, std::time::Duration::from_secs(60));
    // Well below LimitNOFILE=65536 of deploy/systemd and deploy/docker-compose.yml.
    assert_eq!(serve.max_connections, 8192);
    assert_eq!((serve.api_rate_limit, serve.api_rate_burst), (20, 100));
}

#[test]
fn operators_mistakes_are_named_by_key() {
    use crate::{Operator, OperatorRole, ServeSettings};
    let op = |name: &str, hash: Option<&str>| Operator {
        name: name.into(),
        password_hash: hash.map(str::to_owned),
        role: OperatorRole::Operator,
    };
    let settings = ServeSettings {
        operators: vec![
            op("anna", Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")),
            op("anna", Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")),
            op("boris", Some("plain-text-password")),
            op("vic", None),
            op("a:b", Some("$argon2id$x")),
        ],
        ..Default::default()
    };
    let problems = settings.problems();
    for want in [
        "operators[1].name: `anna` is given twice",
        "operators[2].password-hash: not an argon2 hash",
        "operators[3].password-hash: missing",
        "operators[4].name: `a:b`",
    ] {
        assert!(problems.iter().any(|p| p.starts_with(want)), "{want} not in {problems:#?}");
    }
    // Behind an authenticating proxy, an operator needs no password.
    let proxied = ServeSettings {
        operators: vec![op("vic", None)],
        operator_header: Some("X-Remote-User".into()),
        ..Default::default()
    };
    assert!(proxied.problems().is_empty(), "{:?}", proxied.problems());
    let bad = ServeSettings { operator_header: Some("X Remote".into()), ..Default::default() };
    assert!(bad.problems().iter().any(|p| p.starts_with("operator-header:")));
}
