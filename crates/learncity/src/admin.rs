//! `learncity config check` and `learncity topics ensure`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use learncity_bus::topics::{self, Ensured};

/// Loads the whole config (main file, overrides, provider registry) and reports it: every
/// mistake with file, line and field (exit 1), or a summary of what would run (exit 0).
pub fn config_check(path: &Path) -> ExitCode {
    match learncity_config::load(path) {
        Ok(config) => {
            print!("{}", summary(&config));
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            eprintln!("{}: {} mistake(s); nothing was started", path.display(), errors.0.len());
            ExitCode::FAILURE
        }
    }
}

/// The report of a valid config.
pub fn summary(config: &learncity_config::Config) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}: ok", config.path.display());
    for (name, field) in &config.overrides {
        let _ = writeln!(s, "  override {field} from {name}");
    }
    let topics: Vec<String> = learncity_bus::topics::specs(&config.kafka).into_iter().map(|t| t.name).collect();
    let _ = writeln!(s, "  kafka: {} (topics {})", config.kafka.brokers, topics.join(", "));
    let _ = writeln!(s, "  {} provider(s):", config.providers.len());
    for p in &config.providers {
        let _ = writeln!(
            s,
            "    {:<28} {:<8} {:<8} {}{}{}",
            p.id,
            p.format.as_str(),
            p.listing.as_str(),
            p.url.as_ref().map_or("(no url: not collected)", url::Url::as_str),
            if p.enabled { "" } else { "  [disabled]" },
            if p.allow_private { "  [allow-private]" } else { "" },
        );
    }
    s
}

/// Creates the missing topics and reports each.
pub async fn topics_ensure(path: &Path) -> anyhow::Result<ExitCode> {
    let config = learncity_config::load(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let kafka = &config.kafka;
    let done = topics::ensure(kafka).await.with_context(|| format!("topics ensure on {}", kafka.brokers))?;
    for (spec, state) in done {
        let settings: Vec<String> = spec.config.iter().map(|(k, v)| format!("{k}={v}")).collect();
        match state {
            Ensured::Created => println!(
                "created {} ({} partitions, replication {}, {}): {}",
                spec.name,
                kafka.partitions,
                kafka.replication_factor,
                settings.join(" "),
                spec.purpose
            ),
            Ensured::Existed { partitions } => {
                println!("exists  {} ({partitions} partitions): {}", spec.name, spec.purpose);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `config hash-password`: the argon2 hash (PHC string) of the password on standard input's
/// first line.
pub fn hash_password() -> anyhow::Result<ExitCode> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.chars().count() < 12 {
        anyhow::bail!("the password is shorter than 12 characters; choose a longer one");
    }
    let salt = SaltString::generate(&mut OsRng);
    let hash = argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
    println!("{hash}");
    Ok(ExitCode::SUCCESS)
}
