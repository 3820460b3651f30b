//! The deployment files in `deploy/` checked against the code: every `learncity` command they
//! run exists (the built binary answers `--help` for it, and knows every flag used), every
//! `LEARNCITY__SECTION__KEY` override names a real key and gives a value the real config loader
//! (`learncity_config::load_with_env`) accepts, probes and health checks ask `/healthz` or
//! `/readyz` on the port the config gives that daemon, container ports and the Dockerfile's
//! `EXPOSE` are the listen ports, the image name and version agree everywhere, and the configs
//! pass `learncity config check`.
//!
//! Each check returns the problems it finds instead of panicking, so the `mutated_*` tests can
//! show that a wrong port, path, key or command in a manifest is caught.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;
use serde_yaml_ng::Value;

/// Where every deployment installs the main config.
const CONFIG_PATH: &str = "/etc/learncity/learncity.toml";
/// A store URL for overrides whose value comes from a Kubernetes Secret.
const SECRET_STORE_URL: &str = "postgres://learncity:secret@postgres.example:5432/learncity";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the repository root")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// What the deployment files are checked against.
struct Ctx {
    root: PathBuf,
    /// `[workspace.package] version`.
    version: String,
    /// `[workspace.package] rust-version`.
    rust_version: String,
    /// `learncity:VERSION`.
    image: String,
    /// The config every deployment installs at [`CONFIG_PATH`].
    config: PathBuf,
}

impl Ctx {
    fn new() -> Self {
        let root = root();
        let cargo: toml::Table = toml::from_str(&read(&root.join("Cargo.toml"))).expect("Cargo.toml");
        let package = &cargo["workspace"]["package"];
        let version = package["version"].as_str().expect("workspace version").to_owned();
        let rust_version = package["rust-version"].as_str().expect("workspace rust-version").to_owned();
        Ctx {
            image: format!("learncity:{version}"),
            config: root.join("deploy/config/learncity.toml"),
            root,
            version,
            rust_version,
        }
    }

    fn deploy(&self) -> PathBuf {
        self.root.join("deploy")
    }
}

// ---- the binary -----------------------------------------------------------------------------

/// The daemons and the config section whose `listen` each serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Daemon {
    Collect,
    Catalog,
    Serve,
}

impl Daemon {
    fn listen(self, c: &learncity_config::Config) -> SocketAddr {
        match self {
            Daemon::Collect => c.collector.listen,
            Daemon::Catalog => c.catalog.listen,
            Daemon::Serve => c.serve.listen,
        }
    }

    /// The `shutdown-timeout` SIGTERM waits for, when the daemon has one.
    fn shutdown_timeout(self, c: &learncity_config::Config) -> Option<Duration> {
        match self {
            Daemon::Collect => Some(c.collector.shutdown_timeout),
            Daemon::Catalog => Some(c.catalog.shutdown_timeout),
            Daemon::Serve => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Daemon::Collect => "collect",
            Daemon::Catalog => "catalog",
            Daemon::Serve => "serve",
        }
    }
}

/// The subcommand words of `args` (up to the first flag).
fn subcommand(args: &[String]) -> Vec<String> {
    args.iter().take_while(|a| !a.starts_with('-')).cloned().collect()
}

/// The daemon `args` run, if any.
fn daemon_of(args: &[String]) -> Option<Daemon> {
    match subcommand(args).iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["collect"] => Some(Daemon::Collect),
        ["catalog"] => Some(Daemon::Catalog),
        ["serve"] => Some(Daemon::Serve),
        _ => None,
    }
}

/// The value of `--config`/`-c`.
fn config_arg(args: &[String]) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--config" || a == "-c" {
            return it.next().cloned();
        }
        if let Some(v) = a.strip_prefix("--config=") {
            return Some(v.to_owned());
        }
    }
    None
}

/// Problems with running `learncity ARGS`: the subcommand must exist and know every flag used.
fn cli_problems(what: &str, args: &[String]) -> Vec<String> {
    let words = subcommand(args);
    if words.is_empty() {
        return vec![format!("{what}: `learncity {}` names no subcommand", args.join(" "))];
    }
    let out = Command::new(env!("CARGO_BIN_EXE_learncity"))
        .args(&words)
        .arg("--help")
        .output()
        .expect("run the learncity binary");
    if !out.status.success() {
        return vec![format!(
            "{what}: `learncity {} --help` fails: {}",
            words.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )];
    }
    let help = String::from_utf8_lossy(&out.stdout);
    let mut problems = Vec::new();
    for flag in args.iter().filter(|a| a.starts_with("--")) {
        let flag = flag.split('=').next().unwrap_or(flag);
        if !help.contains(&format!("{flag} ")) && !help.contains(&format!("{flag}\n")) {
            problems.push(format!("{what}: `learncity {}` has no flag {flag}", words.join(" ")));
        }
    }
    if config_arg(args).is_none() && words != ["schema"] {
        problems.push(format!("{what}: `learncity {}` without --config {CONFIG_PATH}", words.join(" ")));
    }
    problems
}

/// The config `file` with the environment overrides `env` (and nothing of this process's
/// environment), through the real loader.
fn load(file: &Path, env: &[(String, String)]) -> Result<learncity_config::Config, String> {
    learncity_config::load_with_env(file, env.iter().cloned()).map_err(|e| e.to_string())
}

fn overrides(env: &[(String, String)]) -> Vec<(String, String)> {
    env.iter().filter(|(k, _)| k.starts_with(learncity_config::ENV_PREFIX)).cloned().collect()
}

/// Checks shared by every container that runs a daemon: it must listen on every interface
/// (probes and other containers reach it from outside its network namespace).
fn container_listen_problems(what: &str, daemon: Daemon, config: &learncity_config::Config) -> Vec<String> {
    let listen = daemon.listen(config);
    if listen.ip().is_unspecified() {
        Vec::new()
    } else {
        vec![format!(
            "{what}: {} listens on {listen}, unreachable from outside the container; override it with \
             LEARNCITY__{}__LISTEN=0.0.0.0:{}",
            daemon.name(),
            match daemon {
                Daemon::Collect => "COLLECTOR",
                Daemon::Catalog => "CATALOG",
                Daemon::Serve => "SERVE",
            },
            listen.port()
        )]
    }
}

/// `45s`, `45`, `2min`, `1min 30s`, `1h` as a systemd or compose time span.
fn time_span(v: &str) -> Option<Duration> {
    let mut total = 0u64;
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    for part in v.split_whitespace() {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        let n: u64 = digits.parse().ok()?;
        let unit = &part[digits.len()..];
        let seconds = match unit {
            "" | "s" | "sec" => n,
            "m" | "min" => n * 60,
            "h" => n * 3600,
            _ => return None,
        };
        total += seconds;
    }
    Some(Duration::from_secs(total))
}

// ---- systemd --------------------------------------------------------------------------------

/// `(section, key, value)` of a unit file, in order.
fn parse_unit(text: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
        } else if let Some((k, v)) = line.split_once('=') {
            out.push((section.clone(), k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    out
}

fn unit_values<'a>(unit: &'a [(String, String, String)], section: &str, key: &str) -> Vec<&'a str> {
    unit.iter().filter(|(s, k, _)| s == section && k == key).map(|(_, _, v)| v.as_str()).collect()
}

/// Problems of the systemd units: `files` are (file name, text) of deploy/systemd/.
fn check_systemd(ctx: &Ctx, files: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    let names: BTreeSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let mut daemons = BTreeSet::new();
    for (name, text) in files {
        if name.ends_with(".env.example") {
            // Every override shown (commented or not) must be a real key with a valid value.
            for line in text.lines().map(|l| l.trim().trim_start_matches('#').trim()) {
                if let Some((k, v)) = line.split_once('=').filter(|(k, _)| k.starts_with("LEARNCITY__"))
                    && let Err(e) = load(&ctx.config, &[(k.to_owned(), v.to_owned())])
                {
                    problems.push(format!("{name}: {k}: {e}"));
                }
            }
            continue;
        }
        if !(name.ends_with(".service") || name.ends_with(".target")) {
            continue;
        }
        let unit = parse_unit(text);
        // Units named in dependencies exist here.
        for key in ["Wants", "Requires", "After", "Before", "PartOf", "WantedBy", "BindsTo"] {
            for section in ["Unit", "Install"] {
                for v in unit_values(&unit, section, key) {
                    for dep in v.split_whitespace().filter(|d| d.starts_with("learncity")) {
                        if !names.contains(dep) {
                            problems.push(format!("{name}: {key}={dep} names no unit in deploy/systemd"));
                        }
                    }
                }
            }
        }
        if name.ends_with(".target") {
            continue;
        }
        let exec = unit_values(&unit, "Service", "ExecStart");
        let [exec] = exec.as_slice() else {
            problems.push(format!("{name}: expected one ExecStart, found {}", exec.len()));
            continue;
        };
        let words: Vec<String> = exec.split_whitespace().map(str::to_owned).collect();
        if words.first().map(String::as_str) != Some("/usr/local/bin/learncity") {
            problems.push(format!("{name}: ExecStart does not run /usr/local/bin/learncity: {exec}"));
            continue;
        }
        let args = &words[1..];
        problems.extend(cli_problems(name, args));
        if config_arg(args).as_deref() != Some(CONFIG_PATH) {
            problems.push(format!("{name}: ExecStart's --config is not {CONFIG_PATH}"));
        }
        let env: Vec<(String, String)> = unit_values(&unit, "Service", "Environment")
            .iter()
            .flat_map(|v| v.split_whitespace())
            .filter_map(|kv| kv.trim_matches('"').split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
            .collect();
        let config = match load(&ctx.config, &overrides(&env)) {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("{name}: the config with its Environment= overrides: {e}"));
                continue;
            }
        };
        let want = |key: &str, value: &str, problems: &mut Vec<String>| {
            if !unit_values(&unit, "Service", key).contains(&value) {
                problems.push(format!("{name}: [Service] {key}={value} missing"));
            }
        };
        want("User", "learncity", &mut problems);
        want("EnvironmentFile", "-/etc/learncity/learncity.env", &mut problems);
        for (key, value) in [
            ("NoNewPrivileges", "yes"),
            ("ProtectSystem", "strict"),
            ("ProtectHome", "yes"),
            ("PrivateTmp", "yes"),
            ("PrivateDevices", "yes"),
            ("ProtectKernelTunables", "yes"),
            ("ProtectKernelModules", "yes"),
            ("ProtectKernelLogs", "yes"),
            ("ProtectControlGroups", "yes"),
            ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
            ("MemoryDenyWriteExecute", "yes"),
            ("LockPersonality", "yes"),
            ("SystemCallFilter", "@system-service"),
            ("CapabilityBoundingSet", ""),
        ] {
            want(key, value, &mut problems);
        }
        let Some(daemon) = daemon_of(args) else {
            if subcommand(args) == ["topics", "ensure"] {
                want("Type", "oneshot", &mut problems);
            }
            continue;
        };
        daemons.insert(daemon.name());
        want("Restart", "on-failure", &mut problems);
        let stop = unit_values(&unit, "Service", "TimeoutStopSec").first().and_then(|v| time_span(v));
        match (stop, daemon.shutdown_timeout(&config)) {
            (None, _) => problems.push(format!("{name}: no TimeoutStopSec")),
            (Some(stop), Some(shutdown)) if stop <= shutdown => problems.push(format!(
                "{name}: TimeoutStopSec {stop:?} is not above the {} shutdown-timeout {shutdown:?}",
                daemon.name()
            )),
            _ => {}
        }
        // The SQLite store must live in the unit's StateDirectory (ProtectSystem=strict).
        if matches!(daemon, Daemon::Catalog | Daemon::Serve)
            && let Some(path) = config.catalog.store.strip_prefix("sqlite:")
        {
            let dirs = unit_values(&unit, "Service", "StateDirectory");
            if !dirs.iter().any(|d| Path::new(path).starts_with(Path::new("/var/lib").join(d))) {
                problems.push(format!(
                    "{name}: the SQLite store {path} is not inside the unit's StateDirectory ({dirs:?}); \
                     ProtectSystem=strict makes it read-only"
                ));
            }
        }
    }
    for d in ["collect", "catalog", "serve"] {
        if !daemons.contains(d) {
            problems.push(format!("deploy/systemd: no unit runs `learncity {d}`"));
        }
    }
    problems
}

// ---- Dockerfile -----------------------------------------------------------------------------

/// `(INSTRUCTION, arguments)`, continuation lines joined, comments dropped.
fn parse_dockerfile(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') || (t.is_empty() && current.is_empty()) {
            continue;
        }
        if let Some(cont) = t.strip_suffix('\\') {
            current.push_str(cont);
            current.push(' ');
            continue;
        }
        current.push_str(t);
        let (kw, rest) = current.trim().split_once(char::is_whitespace).unwrap_or((current.trim(), ""));
        out.push((kw.to_ascii_uppercase(), rest.trim().to_owned()));
        current.clear();
    }
    out
}

/// What the Dockerfile says the tests elsewhere need.
#[derive(Debug, Default)]
struct Image {
    uid: Option<u32>,
}

fn check_dockerfile(ctx: &Ctx, text: &str, dockerignore: &str) -> (Image, Vec<String>) {
    let mut problems = Vec::new();
    let mut image = Image::default();
    let ins = parse_dockerfile(text);
    let all = |kw: &str| ins.iter().filter(|(k, _)| k == kw).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
    let from = all("FROM");
    let builder = format!("rust:{}-bookworm AS builder", ctx.rust_version);
    if from.first() != Some(&builder.as_str()) {
        problems.push(format!(
            "Dockerfile: the first stage is {:?}, not `{builder}` (the workspace rust-version)",
            from.first()
        ));
    }
    if from.last() != Some(&"debian:bookworm-slim") {
        problems.push(format!("Dockerfile: the runtime stage is {:?}, not debian:bookworm-slim", from.last()));
    }
    if !all("RUN").iter().any(|r| r.contains("cargo build --release --locked -p learncity")) {
        problems.push("Dockerfile: no `cargo build --release --locked -p learncity`".into());
    }
    // The image's config: deploy/config/ copied to /etc/learncity/, named by LEARNCITY_CONFIG.
    let copies = all("COPY");
    let mut config_copied = false;
    for c in &copies {
        let parts: Vec<&str> =
            c.split_whitespace().filter(|p| !p.starts_with("--chown") && !p.starts_with("--chmod")).collect();
        if parts.first().is_some_and(|p| p.starts_with("--from")) {
            if parts.last() != Some(&"/usr/local/bin/learncity") && parts.last() != Some(&"/usr/local/bin/") {
                problems.push(format!("Dockerfile: COPY {c}: the binary must land in /usr/local/bin/learncity"));
            }
            continue;
        }
        let Some((dest, sources)) = parts.split_last() else { continue };
        for src in sources {
            let src = src.trim_end_matches('/');
            if src != "." && !ctx.root.join(src).exists() {
                problems.push(format!("Dockerfile: COPY source {src} does not exist"));
            }
            if src == "deploy/config" {
                config_copied = true;
                if Path::new(dest).join("learncity.toml") != Path::new(CONFIG_PATH) {
                    problems.push(format!("Dockerfile: deploy/config/ is copied to {dest}, not beside {CONFIG_PATH}"));
                }
            }
        }
    }
    if !config_copied {
        problems.push("Dockerfile: deploy/config/ is not copied into the image".into());
    }
    if !all("ENV").iter().any(|e| *e == format!("LEARNCITY_CONFIG={CONFIG_PATH}")) {
        problems.push(format!("Dockerfile: no ENV LEARNCITY_CONFIG={CONFIG_PATH}"));
    }
    // Ports.
    let exposed: BTreeSet<u16> = all("EXPOSE")
        .iter()
        .flat_map(|e| e.split_whitespace())
        .filter_map(|p| p.trim_end_matches("/tcp").parse().ok())
        .collect();
    match load(&ctx.config, &[]) {
        Ok(c) => {
            let listen: BTreeSet<u16> =
                [Daemon::Collect, Daemon::Catalog, Daemon::Serve].iter().map(|d| d.listen(&c).port()).collect();
            if exposed != listen {
                problems.push(format!("Dockerfile: EXPOSE {exposed:?} is not the config's listen ports {listen:?}"));
            }
        }
        Err(e) => problems.push(format!("deploy/config/learncity.toml: {e}")),
    }
    match all("ENTRYPOINT").first().map(|e| serde_json::from_str::<Vec<String>>(e)) {
        Some(Ok(e)) if e == ["learncity"] => {}
        other => problems.push(format!("Dockerfile: ENTRYPOINT is {other:?}, not [\"learncity\"]")),
    }
    match all("USER").last() {
        Some(u) => match u.split(':').next().and_then(|u| u.parse::<u32>().ok()) {
            Some(0) | None => problems.push(format!("Dockerfile: USER {u} is not a numeric non-root uid")),
            Some(uid) => image.uid = Some(uid),
        },
        None => problems.push("Dockerfile: no USER (the image would run as root)".into()),
    }
    let version = format!("org.opencontainers.image.version=\"{}\"", ctx.version);
    if !all("LABEL").iter().any(|l| l.contains(&version)) {
        problems.push(format!("Dockerfile: no LABEL {version} (the workspace version)"));
    }
    // The build context keeps what the build needs and drops target/ and .git.
    let patterns: Vec<&str> =
        dockerignore.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    for needed in ["target", ".git"] {
        if !patterns.contains(&needed) {
            problems.push(format!(".dockerignore: {needed} is not excluded"));
        }
    }
    for kept in ["Cargo.toml", "Cargo.lock", "crates", "schemas", "tests", "deploy/config", "deploy/Dockerfile"] {
        if let Some(p) = patterns.iter().find(|p| {
            let p = p.trim_start_matches('/').trim_end_matches('/');
            kept == p || kept.starts_with(&format!("{p}/"))
        }) {
            problems.push(format!(".dockerignore: {p} excludes {kept}, which the build needs"));
        }
    }
    (image, problems)
}

// ---- YAML -----------------------------------------------------------------------------------

fn yaml_docs(text: &str) -> Result<Vec<Value>, String> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(Value::deserialize)
        .filter(|d| !matches!(d, Ok(Value::Null)))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())
}

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// A scalar as text (ports and replicas may be numbers or strings).
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Sequence(items)) => items.iter().filter_map(|i| text(Some(i))).collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

fn labels(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_mapping)
        .map(|m| m.iter().filter_map(|(k, v)| Some((text(Some(k))?, text(Some(v))?))).collect())
        .unwrap_or_default()
}

fn subset(small: &BTreeMap<String, String>, big: &BTreeMap<String, String>) -> bool {
    !small.is_empty() && small.iter().all(|(k, v)| big.get(k) == Some(v))
}

// ---- docker compose -------------------------------------------------------------------------

/// `HOST:PORT` of a health check that asks the daemon itself: `/dev/tcp/HOST/PORT` (bash) or
/// `http://HOST:PORT/PATH`; and the path asked.
fn healthcheck_target(cmd: &str) -> Option<(u16, String)> {
    let port_after = |marker: &str| -> Option<u16> {
        let rest = &cmd[cmd.find(marker)? + marker.len()..];
        let rest = rest.split_once(['/', ':']).map_or(rest, |(_, r)| r);
        rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
    };
    let port = port_after("/dev/tcp/").or_else(|| port_after("http://"))?;
    let path = if let Some(i) = cmd.find("GET ") {
        cmd[i + 4..].split_whitespace().next()?.to_owned()
    } else {
        let rest = &cmd[cmd.find("http://")? + 7..];
        let path = &rest[rest.find('/')?..];
        path.split(|c: char| c.is_whitespace() || c == '\'' || c == '"').next()?.to_owned()
    };
    Some((port, path))
}

fn env_pairs(v: Option<&Value>) -> Vec<(String, String)> {
    match v {
        Some(Value::Mapping(m)) => m.iter().filter_map(|(k, v)| Some((text(Some(k))?, text(Some(v))?))).collect(),
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(|i| text(Some(i))?.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
            .collect(),
        _ => Vec::new(),
    }
}

fn check_compose(ctx: &Ctx, text_: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let compose = match yaml_docs(text_) {
        Ok(mut d) if d.len() == 1 => d.remove(0),
        Ok(d) => return vec![format!("docker-compose.yml: {} documents, expected 1", d.len())],
        Err(e) => return vec![format!("docker-compose.yml: {e}")],
    };
    let Some(services) = at(&compose, &["services"]).and_then(Value::as_mapping) else {
        return vec!["docker-compose.yml: no services".into()];
    };
    let services: BTreeMap<String, &Value> = services.iter().filter_map(|(k, v)| Some((text(Some(k))?, v))).collect();
    let base = ctx.deploy();
    let mut built = false;
    let mut daemons = BTreeSet::new();
    let topics_service: Option<&String> = services
        .iter()
        .find(|(_, s)| subcommand(&strings(at(s, &["command"]))) == ["topics", "ensure"])
        .map(|(n, _)| n);
    if topics_service.is_none() {
        problems.push("docker-compose.yml: no service runs `learncity topics ensure`".into());
    }
    for (name, s) in &services {
        let what = format!("docker-compose.yml: service {name}");
        // depends_on names services, and a condition the dependency can meet.
        if let Some(deps) = at(s, &["depends_on"]).and_then(Value::as_mapping) {
            for (dep, cond) in deps {
                let dep = text(Some(dep)).unwrap_or_default();
                let cond = text(at(cond, &["condition"])).unwrap_or_default();
                match services.get(&dep) {
                    None => problems.push(format!("{what}: depends on unknown service {dep}")),
                    Some(d) if cond == "service_healthy" && at(d, &["healthcheck"]).is_none() => {
                        problems.push(format!("{what}: waits for {dep} to be healthy, but {dep} has no healthcheck"))
                    }
                    _ => {}
                }
            }
        }
        let image = text(at(s, &["image"])).unwrap_or_default();
        if !image.starts_with("learncity") {
            continue;
        }
        if image != ctx.image {
            problems.push(format!("{what}: image {image} is not {}", ctx.image));
        }
        if let Some(build) = at(s, &["build"]) {
            built = true;
            let context = base.join(text(at(build, &["context"])).unwrap_or_else(|| ".".into()));
            let dockerfile = context.join(text(at(build, &["dockerfile"])).unwrap_or_else(|| "Dockerfile".into()));
            if context.canonicalize().ok() != Some(ctx.root.clone())
                || dockerfile.canonicalize().ok() != ctx.deploy().join("Dockerfile").canonicalize().ok()
            {
                problems.push(format!("{what}: build is not deploy/Dockerfile with the repository as context"));
            }
        }
        let args = strings(at(s, &["command"]));
        problems.extend(cli_problems(&what, &args));
        if config_arg(&args).as_deref() != Some(CONFIG_PATH) {
            problems.push(format!("{what}: --config is not {CONFIG_PATH}, the image's config"));
        }
        let mut env = overrides(&env_pairs(at(s, &["environment"])));
        // A volume over the providers folder: load the providers mounted there.
        let plain = load(&ctx.config, &env);
        if let Ok(c) = &plain
            && let Some(p) = &c.collector.providers
        {
            let in_container = Path::new(CONFIG_PATH).parent().unwrap_or(Path::new("/")).join(p);
            for v in strings(at(s, &["volumes"])).iter().filter_map(|v| v.split_once(':')) {
                let (src, rest) = v;
                let target = rest.split(':').next().unwrap_or(rest);
                if Path::new(target) == in_container {
                    env.push(("LEARNCITY__COLLECTOR__PROVIDERS".into(), base.join(src).display().to_string()));
                }
            }
        }
        let config = match load(&ctx.config, &env) {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("{what}: the image's config with its environment: {e}"));
                continue;
            }
        };
        // Kafka: every broker is a service advertising that address.
        for broker in config.kafka.brokers.split(',') {
            let host = broker.split(':').next().unwrap_or(broker);
            let advertised = services.get(host).map(|k| {
                env_pairs(at(k, &["environment"]))
                    .into_iter()
                    .find(|(k, _)| k == "KAFKA_ADVERTISED_LISTENERS")
                    .map(|(_, v)| v)
                    .unwrap_or_default()
            });
            match advertised {
                None => problems.push(format!("{what}: broker {broker} is not a service of this file")),
                Some(a) if !a.split(',').any(|l| l.ends_with(&format!("//{broker}"))) => {
                    problems.push(format!("{what}: broker {broker} is not in {host}'s KAFKA_ADVERTISED_LISTENERS {a}"))
                }
                _ => {}
            }
        }
        let Some(daemon) = daemon_of(&args) else { continue };
        daemons.insert(daemon.name());
        problems.extend(container_listen_problems(&what, daemon, &config));
        let listen = daemon.listen(&config).port();
        // The health check asks /readyz on the daemon's port.
        let check = strings(at(s, &["healthcheck", "test"])).join(" ");
        match healthcheck_target(&check) {
            None => problems.push(format!("{what}: no healthcheck asking the daemon's /readyz")),
            Some((port, path)) => {
                if port != listen {
                    problems
                        .push(format!("{what}: healthcheck asks port {port}; {} listens on {listen}", daemon.name()));
                }
                if path != "/readyz" {
                    problems.push(format!("{what}: healthcheck asks {path}, not /readyz"));
                }
            }
        }
        for p in strings(at(s, &["ports"])) {
            let container = p.rsplit(':').next().unwrap_or(&p).trim_end_matches("/tcp");
            if container.parse::<u16>().ok() != Some(listen) {
                problems.push(format!(
                    "{what}: publishes container port {container}; {} listens on {listen}",
                    daemon.name()
                ));
            }
        }
        let host_port = |p: &String| {
            let parts: Vec<&str> = p.split(':').collect();
            (parts.len() >= 2).then(|| parts[parts.len() - 2].to_owned())
        };
        if daemon == Daemon::Serve
            && !strings(at(s, &["ports"])).iter().any(|p| host_port(p).as_deref() == Some("8080"))
        {
            problems.push(format!("{what}: serve is not published on 8080"));
        }
        if let Some(shutdown) = daemon.shutdown_timeout(&config) {
            match text(at(s, &["stop_grace_period"])).and_then(|v| time_span(&v)) {
                Some(grace) if grace > shutdown => {}
                other => problems.push(format!(
                    "{what}: stop_grace_period {other:?} is not above the shutdown-timeout {shutdown:?}"
                )),
            }
        }
        if matches!(daemon, Daemon::Collect | Daemon::Catalog) {
            let dep = topics_service.and_then(|t| text(at(s, &["depends_on", t.as_str(), "condition"])));
            if dep.as_deref() != Some("service_completed_successfully") {
                problems.push(format!("{what}: does not wait for the topics (service_completed_successfully)"));
            }
        }
        // The store: a PostgreSQL service of this file, with the URL's user, password and database.
        if matches!(daemon, Daemon::Catalog | Daemon::Serve)
            && let Some(rest) = config.catalog.store.strip_prefix("postgres://")
        {
            let (auth, rest) = rest.split_once('@').unwrap_or(("", rest));
            let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
            let (hostport, db) = rest.split_once('/').unwrap_or((rest, ""));
            let host = hostport.split(':').next().unwrap_or(hostport);
            let db = db.split('?').next().unwrap_or(db);
            match services.get(host) {
                None => problems.push(format!("{what}: the store's host {host} is not a service of this file")),
                Some(pg) => {
                    let pg_env: BTreeMap<String, String> = env_pairs(at(pg, &["environment"])).into_iter().collect();
                    for (key, want) in [("POSTGRES_USER", user), ("POSTGRES_PASSWORD", password), ("POSTGRES_DB", db)] {
                        if pg_env.get(key).map(String::as_str) != Some(want) {
                            problems.push(format!(
                                "{what}: the store URL's {key} {want:?} is not {host}'s {:?}",
                                pg_env.get(key)
                            ));
                        }
                    }
                    if text(at(s, &["depends_on", host, "condition"])).as_deref() != Some("service_healthy") {
                        problems.push(format!("{what}: does not wait for {host} to be healthy"));
                    }
                }
            }
        }
    }
    if !built {
        problems.push("docker-compose.yml: no service builds the image from deploy/Dockerfile".into());
    }
    for d in ["collect", "catalog", "serve"] {
        if !daemons.contains(d) {
            problems.push(format!("docker-compose.yml: no service runs `learncity {d}`"));
        }
    }
    problems
}

// ---- Kubernetes -----------------------------------------------------------------------------

/// A pod's container port `port` (a number or a port name) as a number.
fn resolve_port(port: Option<&Value>, container: &Value) -> Option<u16> {
    let port = text(port)?;
    if let Ok(n) = port.parse() {
        return Some(n);
    }
    container
        .get("ports")?
        .as_sequence()?
        .iter()
        .find(|p| text(p.get("name")).as_deref() == Some(port.as_str()))
        .and_then(|p| text(p.get("containerPort"))?.parse().ok())
}

/// A workload's pod template: file, workload name, template, pod labels, the daemon it runs.
type Pod<'a> = (String, String, &'a Value, BTreeMap<String, String>, Option<Daemon>);

/// Problems of the manifests: `files` are (file name, text) of deploy/k8s/.
fn check_k8s(ctx: &Ctx, files: &[(String, String)], uid: Option<u32>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut docs: Vec<(String, Value)> = Vec::new();
    let mut kustomization = None;
    for (name, t) in files {
        match yaml_docs(t) {
            Ok(d) if name == "kustomization.yaml" => kustomization = d.into_iter().next(),
            Ok(d) => docs.extend(d.into_iter().map(|v| (name.clone(), v))),
            Err(e) => problems.push(format!("k8s/{name}: {e}")),
        }
    }
    // The kustomization lists every manifest, and pins the image's version.
    match &kustomization {
        None => problems.push("k8s: no kustomization.yaml".into()),
        Some(k) => {
            let listed: BTreeSet<String> = strings(k.get("resources")).into_iter().collect();
            let present: BTreeSet<String> =
                files.iter().map(|(n, _)| n.clone()).filter(|n| n != "kustomization.yaml").collect();
            if listed != present {
                problems
                    .push(format!("k8s/kustomization.yaml: resources {listed:?} are not the manifests {present:?}"));
            }
            for i in k.get("images").and_then(Value::as_sequence).into_iter().flatten() {
                let name = text(i.get("newName")).or_else(|| text(i.get("name"))).unwrap_or_default();
                let tag = text(i.get("newTag")).unwrap_or_default();
                if format!("{name}:{tag}") != ctx.image {
                    problems.push(format!("k8s/kustomization.yaml: image {name}:{tag} is not {}", ctx.image));
                }
            }
        }
    }
    let kind = |v: &Value| text(v.get("kind")).unwrap_or_default();
    let name_of = |v: &Value| text(at(v, &["metadata", "name"])).unwrap_or_default();
    // The ConfigMaps, written out as the pods see them.
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let mut configmaps: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (_, d) in docs.iter().filter(|(_, d)| kind(d) == "ConfigMap") {
        configmaps.insert(name_of(d), labels(d.get("data")));
    }
    let main_cm =
        configmaps.iter().find(|(_, data)| data.contains_key("learncity.toml")).map(|(n, d)| (n.clone(), d.clone()));
    let Some((main_cm, main_data)) = main_cm else {
        problems.push("k8s: no ConfigMap holds learncity.toml".into());
        return problems;
    };
    let config_file = tmp.path().join("config/learncity.toml");
    std::fs::create_dir_all(config_file.parent().unwrap()).unwrap();
    std::fs::write(&config_file, &main_data["learncity.toml"]).unwrap();
    for (cm, data) in &configmaps {
        let dir = tmp.path().join("cm").join(cm);
        std::fs::create_dir_all(&dir).unwrap();
        for (k, v) in data {
            std::fs::write(dir.join(k), v).unwrap();
        }
    }
    // Pod templates of the workloads.
    let mut pods: Vec<Pod<'_>> = Vec::new();
    let mut secret_refs = BTreeSet::new();
    let mut daemons = BTreeMap::new();
    let mut topics_job = false;
    for (file, d) in &docs {
        let k = kind(d);
        if !["Deployment", "Job", "StatefulSet", "DaemonSet"].contains(&k.as_str()) {
            continue;
        }
        let what = format!("k8s/{file}: {k} {}", name_of(d));
        let Some(template) = at(d, &["spec", "template"]) else {
            problems.push(format!("{what}: no pod template"));
            continue;
        };
        let pod_labels = labels(at(template, &["metadata", "labels"]));
        let spec = template.get("spec").cloned().unwrap_or(Value::Null);
        let volumes: BTreeMap<String, String> = spec
            .get("volumes")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(|v| Some((text(v.get("name"))?, text(at(v, &["configMap", "name"]))?)))
            .collect();
        let containers = spec.get("containers").and_then(Value::as_sequence).cloned().unwrap_or_default();
        let mut pod_daemon = None;
        for c in &containers {
            let what = format!("{what} container {}", text(c.get("name")).unwrap_or_default());
            let image = text(c.get("image")).unwrap_or_default();
            if image != ctx.image {
                problems.push(format!("{what}: image {image} is not {}", ctx.image));
            }
            let mut args = strings(c.get("command"));
            if args.first().is_some_and(|a| a.ends_with("learncity")) {
                args.remove(0);
            }
            args.extend(strings(c.get("args")));
            problems.extend(cli_problems(&what, &args));
            if subcommand(&args) == ["topics", "ensure"] {
                topics_job |= k == "Job";
            }
            // Where each ConfigMap is mounted.
            let mounts: BTreeMap<String, String> = c
                .get("volumeMounts")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(|m| Some((volumes.get(&text(m.get("name"))?)?.clone(), text(m.get("mountPath"))?)))
                .collect();
            match mounts.get(&main_cm) {
                Some(dir) if config_arg(&args).map(PathBuf::from) == Some(Path::new(dir).join("learncity.toml")) => {}
                other => problems.push(format!(
                    "{what}: --config {:?} is not learncity.toml of ConfigMap {main_cm} (mounted at {other:?})",
                    config_arg(&args)
                )),
            }
            // Overrides; those from Secrets get a placeholder store URL.
            let mut env = Vec::new();
            for e in c.get("env").and_then(Value::as_sequence).into_iter().flatten() {
                let Some(name) = text(e.get("name")) else { continue };
                if let Some(v) = text(e.get("value")) {
                    env.push((name, v));
                } else if let Some(r) = at(e, &["valueFrom", "secretKeyRef"]) {
                    secret_refs
                        .insert((text(r.get("name")).unwrap_or_default(), text(r.get("key")).unwrap_or_default()));
                    if name != "LEARNCITY__CATALOG__STORE" {
                        problems.push(format!("{what}: {name} from a Secret: only the store URL is expected there"));
                    }
                    env.push((name, SECRET_STORE_URL.to_owned()));
                }
            }
            // The providers: the folder the config names must be where a ConfigMap is mounted;
            // the check loads that ConfigMap's files.
            let mut env = overrides(&env);
            let providers = toml::from_str::<toml::Table>(&main_data["learncity.toml"])
                .ok()
                .and_then(|t| t.get("collector")?.get("providers")?.as_str().map(str::to_owned));
            if let Some(p) = &providers {
                let in_pod = Path::new(CONFIG_PATH).parent().unwrap_or(Path::new("/")).join(p);
                let dir = match mounts.iter().find(|(_, dir)| Path::new(dir) == in_pod) {
                    Some((cm, _)) => tmp.path().join("cm").join(cm),
                    None => {
                        problems
                            .push(format!("{what}: collector.providers {} is no mounted ConfigMap", in_pod.display()));
                        tmp.path().to_owned()
                    }
                };
                env.push(("LEARNCITY__COLLECTOR__PROVIDERS".into(), dir.display().to_string()));
            }
            let config = match load(&config_file, &env) {
                Ok(c) => c,
                Err(e) => {
                    problems.push(format!("{what}: ConfigMap {main_cm}'s learncity.toml with its environment: {e}"));
                    continue;
                }
            };
            // Hardening.
            let pod_sc = spec.get("securityContext");
            let sc = c.get("securityContext");
            let flag = |v: Option<&Value>, path: &[&str]| v.and_then(|v| at(v, path)).and_then(Value::as_bool);
            if flag(sc, &["runAsNonRoot"]).or(flag(pod_sc, &["runAsNonRoot"])) != Some(true) {
                problems.push(format!("{what}: runAsNonRoot is not true"));
            }
            let run_as = text(sc.and_then(|s| s.get("runAsUser"))).or(text(pod_sc.and_then(|s| s.get("runAsUser"))));
            if let Some(uid) = uid
                && run_as.as_deref() != Some(uid.to_string().as_str())
            {
                problems.push(format!("{what}: runAsUser {run_as:?} is not the image's USER {uid}"));
            }
            if flag(sc, &["readOnlyRootFilesystem"]) != Some(true) {
                problems.push(format!("{what}: readOnlyRootFilesystem is not true"));
            }
            if flag(sc, &["allowPrivilegeEscalation"]) != Some(false) {
                problems.push(format!("{what}: allowPrivilegeEscalation is not false"));
            }
            if !strings(sc.and_then(|s| at(s, &["capabilities", "drop"]))).contains(&"ALL".to_owned()) {
                problems.push(format!("{what}: capabilities do not drop ALL"));
            }
            for r in ["requests", "limits"] {
                for x in ["cpu", "memory"] {
                    if text(c.get("resources").and_then(|v| at(v, &[r, x]))).is_none() {
                        problems.push(format!("{what}: no resources.{r}.{x}"));
                    }
                }
            }
            let Some(daemon) = daemon_of(&args) else { continue };
            pod_daemon = Some(daemon);
            if k != "Deployment" {
                problems.push(format!("{what}: a daemon outside a Deployment"));
            }
            *daemons.entry(daemon.name()).or_insert(0) += 1;
            problems.extend(container_listen_problems(&what, daemon, &config));
            let listen = daemon.listen(&config).port();
            let ports: Vec<u16> = c
                .get("ports")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(|p| text(p.get("containerPort"))?.parse().ok())
                .collect();
            if ports.is_empty() {
                problems.push(format!("{what}: no containerPort"));
            }
            for p in ports.iter().filter(|p| **p != listen) {
                problems.push(format!("{what}: containerPort {p} is not {}'s listen port {listen}", daemon.name()));
            }
            for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
                let Some(get) = c.get(probe).and_then(|p| p.get("httpGet")) else {
                    problems.push(format!("{what}: no {probe} httpGet"));
                    continue;
                };
                if text(get.get("path")).as_deref() != Some(path) {
                    problems.push(format!("{what}: {probe} asks {:?}, not {path}", text(get.get("path"))));
                }
                let port = resolve_port(get.get("port"), c);
                if port != Some(listen) {
                    problems
                        .push(format!("{what}: {probe} port {port:?} is not {}'s listen port {listen}", daemon.name()));
                }
            }
            let ann = labels(at(template, &["metadata", "annotations"]));
            if ann.get("prometheus.io/scrape").map(String::as_str) != Some("true")
                || ann.get("prometheus.io/path").map(String::as_str) != Some("/metrics")
                || ann.get("prometheus.io/port") != Some(&listen.to_string())
            {
                problems.push(format!("{what}: prometheus.io annotations do not name /metrics on port {listen}"));
            }
            if let Some(shutdown) = daemon.shutdown_timeout(&config) {
                let grace = text(spec.get("terminationGracePeriodSeconds")).and_then(|g| g.parse::<u64>().ok());
                if grace.is_none_or(|g| Duration::from_secs(g) <= shutdown) {
                    problems.push(format!(
                        "{what}: terminationGracePeriodSeconds {grace:?} is not above the shutdown-timeout {shutdown:?}"
                    ));
                }
            }
            if text(at(d, &["spec", "replicas"])).as_deref() != Some("2") {
                problems.push(format!("{what}: replicas is not 2"));
            }
            if matches!(daemon, Daemon::Catalog | Daemon::Serve)
                && !c.get("env").and_then(Value::as_sequence).into_iter().flatten().any(|e| {
                    text(e.get("name")).as_deref() == Some("LEARNCITY__CATALOG__STORE")
                        && at(e, &["valueFrom", "secretKeyRef"]).is_some()
                })
            {
                problems.push(format!("{what}: the store URL (LEARNCITY__CATALOG__STORE) does not come from a Secret"));
            }
        }
        if k == "Deployment" && !subset(&labels(at(d, &["spec", "selector", "matchLabels"])), &pod_labels) {
            problems.push(format!("{what}: selector does not match the pod labels"));
        }
        pods.push((file.clone(), name_of(d), template, pod_labels, pod_daemon));
    }
    if secret_refs.len() > 1 {
        problems.push(format!("k8s: the store URL comes from different Secrets: {secret_refs:?}"));
    }
    if !topics_job {
        problems.push("k8s: no Job runs `learncity topics ensure`".into());
    }
    for d in ["collect", "catalog", "serve"] {
        if daemons.get(d) != Some(&1) {
            problems.push(format!("k8s: {} Deployments run `learncity {d}`, expected 1", daemons.get(d).unwrap_or(&0)));
        }
    }
    // A PodDisruptionBudget per daemon Deployment; Services reach a daemon's listen port.
    let pdbs: Vec<BTreeMap<String, String>> = docs
        .iter()
        .filter(|(_, d)| kind(d) == "PodDisruptionBudget")
        .map(|(_, d)| labels(at(d, &["spec", "selector", "matchLabels"])))
        .collect();
    for (file, name, _, pod_labels, daemon) in &pods {
        if daemon.is_some() && !pdbs.iter().any(|sel| subset(sel, pod_labels)) {
            problems.push(format!("k8s/{file}: no PodDisruptionBudget selects the pods of {name}"));
        }
    }
    let mut serve_service = false;
    for (file, d) in docs.iter().filter(|(_, d)| kind(d) == "Service") {
        let what = format!("k8s/{file}: Service {}", name_of(d));
        let selector = labels(at(d, &["spec", "selector"]));
        let Some((_, _, template, _, daemon)) = pods.iter().find(|(_, _, _, l, _)| subset(&selector, l)) else {
            problems.push(format!("{what}: its selector matches no pods"));
            continue;
        };
        let container = at(template, &["spec", "containers"]).and_then(Value::as_sequence).and_then(|c| c.first());
        for p in at(d, &["spec", "ports"]).and_then(Value::as_sequence).into_iter().flatten() {
            let target = p.get("targetPort").or(p.get("port"));
            let port = container.and_then(|c| resolve_port(target, c));
            let container_ports: Vec<u16> = container
                .and_then(|c| c.get("ports"))
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(|p| text(p.get("containerPort"))?.parse().ok())
                .collect();
            if port.is_none_or(|port| !container_ports.contains(&port)) {
                problems
                    .push(format!("{what}: targetPort {:?} is not a container port {container_ports:?}", text(target)));
            }
        }
        serve_service |= *daemon == Some(Daemon::Serve);
    }
    if !serve_service {
        problems.push("k8s: no Service in front of `learncity serve`".into());
    }
    problems
}

// ---- the files ------------------------------------------------------------------------------

fn files_in(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), read(&e.path())))
        .collect();
    out.sort();
    out
}

fn assert_clean(problems: &[String]) {
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

fn docker_uid(ctx: &Ctx) -> Option<u32> {
    check_dockerfile(ctx, &read(&ctx.deploy().join("Dockerfile")), &read(&ctx.root.join(".dockerignore"))).0.uid
}

#[test]
fn systemd_units_run_real_commands_with_the_deployed_config() {
    let ctx = Ctx::new();
    assert_clean(&check_systemd(&ctx, &files_in(&ctx.deploy().join("systemd"))));
}

#[test]
fn dockerfile_builds_the_binary_and_exposes_the_listen_ports() {
    let ctx = Ctx::new();
    let (image, problems) =
        check_dockerfile(&ctx, &read(&ctx.deploy().join("Dockerfile")), &read(&ctx.root.join(".dockerignore")));
    assert_clean(&problems);
    assert!(image.uid.is_some());
}

#[test]
fn compose_services_agree_with_the_config() {
    let ctx = Ctx::new();
    assert_clean(&check_compose(&ctx, &read(&ctx.deploy().join("docker-compose.yml"))));
}

#[test]
fn kubernetes_manifests_agree_with_the_config() {
    let ctx = Ctx::new();
    let uid = docker_uid(&ctx);
    assert_clean(&check_k8s(&ctx, &files_in(&ctx.deploy().join("k8s")), uid));
}

#[test]
fn every_yaml_file_in_deploy_parses() {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&Ctx::new().deploy(), &mut files);
    assert!(files.len() >= 7, "{files:?}");
    for f in files {
        let docs = yaml_docs(&read(&f)).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(!docs.is_empty(), "{}: no document", f.display());
    }
}

/// Runs `learncity config check` on `file`, with `env` and no other `LEARNCITY*` variable.
fn config_check(file: &Path, env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_learncity"));
    cmd.args(["config", "check", "--config"]).arg(file);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("LEARNCITY")) {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("run learncity config check");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn deployed_configs_pass_config_check() {
    let ctx = Ctx::new();
    let (ok, out) = config_check(&ctx.config, &[]);
    assert!(ok && out.contains(": ok"), "{out}");
    // With the repository's providers, as docker-compose mounts them.
    let providers = ctx.root.join("config/providers").display().to_string();
    let (ok, out) = config_check(&ctx.config, &[("LEARNCITY__COLLECTOR__PROVIDERS", &providers)]);
    assert!(ok && out.contains("vsu-open-courses"), "{out}");
    // The Kubernetes ConfigMaps, laid out as the pods see them.
    let docs = yaml_docs(&read(&ctx.deploy().join("k8s/configmap.yaml"))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (main, providers) = (dir.path().join("learncity.toml"), dir.path().join("providers"));
    std::fs::create_dir(&providers).unwrap();
    for d in &docs {
        for (k, v) in labels(d.get("data")) {
            let target = if k == "learncity.toml" { main.clone() } else { providers.join(k) };
            std::fs::write(target, v).unwrap();
        }
    }
    let p = providers.display().to_string();
    let (ok, out) = config_check(
        &main,
        &[("LEARNCITY__COLLECTOR__PROVIDERS", &p), ("LEARNCITY__CATALOG__STORE", SECRET_STORE_URL)],
    );
    assert!(ok && out.contains("1 provider(s)"), "{out}");
    // And a mistake is caught by the binary too.
    let (ok, out) = config_check(&ctx.config, &[("LEARNCITY__SERVE__LISTEN", "0.0.0.0:http")]);
    assert!(!ok && out.contains("LEARNCITY__SERVE__LISTEN"), "{out}");
}

// ---- the checks catch mistakes --------------------------------------------------------------

/// `text` with `from` replaced by `to` (which must occur).
fn mutate(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "`{from}` not found: the mutation test is out of date");
    text.replacen(from, to, 1)
}

#[test]
fn mutated_compose_files_fail() {
    let ctx = Ctx::new();
    let compose = read(&ctx.deploy().join("docker-compose.yml"));
    for (from, to, expect) in [
        (
            "LEARNCITY__COLLECTOR__LISTEN: 0.0.0.0:9464",
            "LEARNCITY__COLLECTOR__LISTEN: 0.0.0.0:9474",
            "healthcheck asks port 9464",
        ),
        ("/dev/tcp/127.0.0.1/8080", "/dev/tcp/127.0.0.1/8081", "healthcheck asks port 8081"),
        ("GET /readyz", "GET /ready", "not /readyz"),
        ("LEARNCITY__CATALOG__LISTEN", "LEARNCITY__CATALOG__LISTN", "listn"),
        ("LEARNCITY__SERVE__LISTEN: 0.0.0.0:8080", "LEARNCITY__SERVE__LISTEN: 127.0.0.1:8080", "unreachable"),
        ("\"8080:8080\"", "\"8080:8090\"", "publishes container port 8090"),
        (r#"command: ["collect","#, r#"command: ["collector","#, "collector --help"),
        ("learncity:learncity@postgres:5432", "learncity:wrong@postgres:5432", "POSTGRES_PASSWORD"),
        (
            "LEARNCITY__KAFKA__BROKERS: kafka:9092\n      LEARNCITY__COLLECTOR",
            "LEARNCITY__KAFKA__BROKERS: kafka:9093\n      LEARNCITY__COLLECTOR",
            "kafka:9093",
        ),
        ("stop_grace_period: 45s", "stop_grace_period: 30s", "stop_grace_period"),
    ] {
        let problems = check_compose(&ctx, &mutate(&compose, from, to));
        assert!(problems.iter().any(|p| p.contains(expect)), "{from} -> {to}: expected `{expect}` in {problems:#?}");
    }
}

#[test]
fn mutated_kubernetes_manifests_fail() {
    let ctx = Ctx::new();
    let files = files_in(&ctx.deploy().join("k8s"));
    let uid = docker_uid(&ctx);
    for (file, from, to, expect) in [
        ("collect.yaml", "containerPort: 9464", "containerPort: 9463", "containerPort 9463"),
        ("catalog.yaml", "value: 0.0.0.0:9465", "value: 0.0.0.0:9466", "listen port 9466"),
        ("serve.yaml", "path: /readyz", "path: /ready", "not /readyz"),
        ("serve.yaml", "prometheus.io/port: \"8080\"", "prometheus.io/port: \"9090\"", "prometheus.io"),
        (
            "collect.yaml",
            "terminationGracePeriodSeconds: 45",
            "terminationGracePeriodSeconds: 20",
            "terminationGracePeriodSeconds",
        ),
        ("catalog.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem"),
        ("serve.yaml", "image: learncity:", "image: learncity-old:", "is not learncity:"),
        ("serve.yaml", "targetPort: http", "targetPort: metrics", "targetPort"),
        (
            "configmap.yaml",
            "shutdown-timeout = \"30s\"\n\n    [catalog]",
            "shutdown-timeout = \"60s\"\n\n    [catalog]",
            "terminationGracePeriodSeconds",
        ),
        ("topics-job.yaml", "\"topics\", \"ensure\"", "\"topic\", \"ensure\"", "topic ensure --help"),
        ("kustomization.yaml", "  - serve.yaml\n", "", "resources"),
    ] {
        let mutated: Vec<(String, String)> =
            files.iter().map(|(n, t)| (n.clone(), if n == file { mutate(t, from, to) } else { t.clone() })).collect();
        let problems = check_k8s(&ctx, &mutated, uid);
        assert!(
            problems.iter().any(|p| p.contains(expect)),
            "{file}: {from} -> {to}: expected `{expect}` in {problems:#?}"
        );
    }
}

#[test]
fn mutated_dockerfile_and_units_fail() {
    let ctx = Ctx::new();
    let dockerfile = read(&ctx.deploy().join("Dockerfile"));
    let ignore = read(&ctx.root.join(".dockerignore"));
    for (from, to, expect) in [
        ("EXPOSE 9464 9465 8080", "EXPOSE 9464 9466 8080", "EXPOSE"),
        ("FROM rust:", "FROM rust:1.80-", "rust-version"),
        ("USER 10001:10001", "USER 0:0", "non-root"),
        ("ENTRYPOINT [\"learncity\"]", "ENTRYPOINT [\"/bin/sh\"]", "ENTRYPOINT"),
    ] {
        let (_, problems) = check_dockerfile(&ctx, &mutate(&dockerfile, from, to), &ignore);
        assert!(problems.iter().any(|p| p.contains(expect)), "{from} -> {to}: expected `{expect}` in {problems:#?}");
    }
    let (_, problems) = check_dockerfile(&ctx, &dockerfile, &format!("{ignore}\ncrates\n"));
    assert!(problems.iter().any(|p| p.contains("excludes crates")), "{problems:#?}");

    let units = files_in(&ctx.deploy().join("systemd"));
    for (file, from, to, expect) in [
        ("learncity-collect.service", "learncity collect --config", "learncity collector --config", "collector --help"),
        ("learncity-catalog.service", "TimeoutStopSec=45s", "TimeoutStopSec=30s", "TimeoutStopSec"),
        (
            "learncity-serve.service",
            "--config /etc/learncity/learncity.toml",
            "--config /etc/learncity.toml",
            "--config",
        ),
        ("learncity-serve.service", "StateDirectory=learncity", "StateDirectory=learncity-serve", "StateDirectory"),
        ("learncity-topics.service", "ProtectSystem=strict", "ProtectSystem=full", "ProtectSystem=strict"),
        (
            "learncity.env.example",
            "#LEARNCITY__KAFKA__BROKERS",
            "#LEARNCITY__KAFKA__BROKER",
            "LEARNCITY__KAFKA__BROKER",
        ),
        ("learncity.target", "learncity-serve.service", "learncity-web.service", "learncity-web.service"),
    ] {
        let mutated: Vec<(String, String)> =
            units.iter().map(|(n, t)| (n.clone(), if n == file { mutate(t, from, to) } else { t.clone() })).collect();
        let problems = check_systemd(&ctx, &mutated);
        assert!(
            problems.iter().any(|p| p.contains(expect)),
            "{file}: {from} -> {to}: expected `{expect}` in {problems:#?}"
        );
    }
    // A unit overriding the listen address with a key that does not exist.
    let bad: Vec<(String, String)> = units
        .iter()
        .map(|(n, t)| {
            let t = if n == "learncity-serve.service" {
                mutate(t, "[Service]\n", "[Service]\nEnvironment=LEARNCITY__SERVE__LISTEN_ON=0.0.0.0:8080\n")
            } else {
                t.clone()
            };
            (n.clone(), t)
        })
        .collect();
    assert!(check_systemd(&ctx, &bad).iter().any(|p| p.contains("LISTEN_ON")));
}

#[test]
fn healthcheck_targets_are_read() {
    assert_eq!(
        healthcheck_target("bash -c exec 3<>/dev/tcp/127.0.0.1/9464 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3"),
        Some((9464, "/readyz".to_owned()))
    );
    assert_eq!(healthcheck_target("curl -fsS http://127.0.0.1:8080/healthz"), Some((8080, "/healthz".to_owned())));
    assert_eq!(time_span("1min 30s"), Some(Duration::from_secs(90)));
    assert_eq!(time_span("45s"), Some(Duration::from_secs(45)));
}
