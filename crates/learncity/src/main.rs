//! The `learncity` binary: parses arguments (clap), sets up logging, dispatches to the
//! subcommands in the `learncity` library, and reports an error once, as one line naming what
//! failed and on which input.

use std::process::ExitCode;

use std::path::PathBuf;

use learncity::{admin, catalog, check, collect, curate, dead_letters, run, serve};

use clap::{Parser, Subcommand};

/// learncity: one catalogue of every learning offer in a city.
#[derive(Debug, Parser)]
#[command(name = "learncity", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read one provider document (file or http(s) URL) and show the offerings and warnings.
    Check(check::CheckArgs),
    /// Run a whole city in one process: collector, catalog builder and catalogue service, with
    /// the in-process bus and one store (SQLite by default); `[demo]` also serves the demo
    /// city's providers.
    Run {
        /// The main config file.
        #[arg(long, short, value_name = "FILE", env = "LEARNCITY_CONFIG", default_value = "config/learncity.toml")]
        config: PathBuf,
    },
    /// Run the collector daemon: fetch providers on their schedules, publish offering events.
    Collect {
        /// The main config file.
        #[arg(long, short, value_name = "FILE", env = "LEARNCITY_CONFIG", default_value = "config/learncity.toml")]
        config: PathBuf,
    },
    /// Run the catalog builder daemon: deduplicate offerings into the catalogue, publish the
    /// catalog topic.
    Catalog {
        #[command(subcommand)]
        action: Option<CatalogAction>,
        /// The main config file.
        #[arg(
            long,
            short,
            global = true,
            value_name = "FILE",
            env = "LEARNCITY_CONFIG",
            default_value = "config/learncity.toml"
        )]
        config: PathBuf,
    },
    /// Serve the catalogue: pages for residents, the JSON API, iCal/Atom/JSON Feed exports.
    Serve {
        /// The main config file.
        #[arg(long, short, value_name = "FILE", env = "LEARNCITY_CONFIG", default_value = "config/learncity.toml")]
        config: PathBuf,
    },
    /// The records the catalog builder could not apply, kept in the store in both modes: list
    /// them, show one whole, or replay them once the cause is fixed.
    DeadLetters {
        #[command(subcommand)]
        action: DeadLettersAction,
        /// The main config file.
        #[arg(
            long,
            short,
            global = true,
            value_name = "FILE",
            env = "LEARNCITY_CONFIG",
            default_value = "config/learncity.toml"
        )]
        config: PathBuf,
    },
    /// Operators' decisions on the catalogue, kept across restarts and rebuilds: merge entries,
    /// split a wrong merge, hide junk, pin a field; list and revoke them.
    Curate {
        #[command(subcommand)]
        action: CurateAction,
        /// The main config file.
        #[arg(
            long,
            short,
            global = true,
            value_name = "FILE",
            env = "LEARNCITY_CONFIG",
            default_value = "config/learncity.toml"
        )]
        config: PathBuf,
    },
    /// Write a consistent copy of the catalogue store (SQLite) to a new file while it runs;
    /// restore by putting the copy back with the builders and `serve` stopped (docs/runbook.md).
    Backup {
        /// The file to write (must not exist).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
        /// The main config file.
        #[arg(long, short, value_name = "FILE", env = "LEARNCITY_CONFIG", default_value = "config/learncity.toml")]
        config: PathBuf,
    },
    /// Kafka topic administration.
    Topics {
        #[command(subcommand)]
        action: TopicsAction,
    },
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print a JSON Schema of the record contract.
    Schema {
        /// Which schema.
        #[arg(value_enum, default_value = "offering")]
        which: SchemaName,
    },
}

#[derive(Debug, Subcommand)]
enum CatalogAction {
    /// Rebuild the store from the offerings topic's start (stop the builders first); entries
    /// that are gone get tombstones on the catalog topic.
    Rebuild,
    /// Print every live entry, one JSON object per line.
    Export,
    /// Why an entry holds its sources, or why two sources are or are not one entry.
    Explain {
        /// The entry id (`e-…`).
        #[arg(required_unless_present = "pair")]
        entry: Option<String>,
        /// Two source keys (`provider/source`) instead of an entry.
        #[arg(long, num_args = 2, value_names = ["KEY", "KEY"], conflicts_with = "entry")]
        pair: Option<Vec<String>>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum DeadLettersAction {
    /// One line per kept dead letter: id, when, where it was read, why.
    List {
        /// One JSON object per line instead.
        #[arg(long)]
        json: bool,
    },
    /// One dead letter whole: why, headers, key and value.
    Show {
        /// Its id (from `list`).
        id: i64,
    },
    /// Apply dead letters again (after an upgrade or a fix): the builder that reads their
    /// partition takes them within seconds. Refused for a record this binary still cannot
    /// apply, and — unless `--force` — for one the store has a newer read of.
    Replay {
        /// Their ids (from `list`).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<i64>,
        /// Every kept dead letter.
        #[arg(long)]
        all: bool,
        /// Replay even where the store holds a newer read of the item.
        #[arg(long)]
        force: bool,
    },
}

/// Who decides and why (every decision keeps both).
#[derive(Debug, clap::Args)]
struct AuthorArgs {
    /// Why (shown to operators, kept with the decision).
    #[arg(long)]
    reason: String,
    /// Who decides (default: $LEARNCITY_OPERATOR, else $USER).
    #[arg(long, env = "LEARNCITY_OPERATOR")]
    by: Option<String>,
}

impl AuthorArgs {
    fn author(self) -> learncity_store::curation::Author {
        let by = self.by.or_else(|| std::env::var("USER").ok()).filter(|b| !b.trim().is_empty());
        learncity_store::curation::Author { by: by.unwrap_or_else(|| "operator".to_owned()), reason: self.reason }
    }
}

#[derive(Debug, Subcommand)]
enum CurateAction {
    /// One entry of them all: entry ids (e-…) or source keys (provider/source), two or more.
    Merge {
        #[arg(required = true, num_args = 2.., value_name = "ENTRY_OR_SOURCE")]
        targets: Vec<String>,
        #[command(flatten)]
        author: AuthorArgs,
    },
    /// Never one entry: `ENTRY --source KEY...` takes those sources out of the entry;
    /// `A B` (entries or sources) keeps A and B apart.
    Split {
        #[arg(required = true, num_args = 1..=2, value_name = "ENTRY_OR_SOURCE")]
        targets: Vec<String>,
        /// A source of the entry to take out of it (repeat for several).
        #[arg(long = "source", value_name = "KEY")]
        sources: Vec<String>,
        #[command(flatten)]
        author: AuthorArgs,
    },
    /// Out of the catalogue (entries or sources) until revoked.
    Hide {
        #[arg(required = true, value_name = "ENTRY_OR_SOURCE")]
        targets: Vec<String>,
        #[command(flatten)]
        author: AuthorArgs,
    },
    /// Set a field of an entry by hand: title, kind, mode, categories, venue, price (`free`,
    /// `15 BYN`) or source (the canonical source's key).
    Pin {
        #[arg(value_name = "ENTRY_OR_SOURCE")]
        target: String,
        #[arg(long)]
        field: String,
        #[arg(long)]
        value: String,
        #[command(flatten)]
        author: AuthorArgs,
    },
    /// Every decision in force (with --all the revoked too), and whether it still applies.
    List {
        /// One JSON object per line instead.
        #[arg(long)]
        json: bool,
        /// The revoked decisions too.
        #[arg(long)]
        all: bool,
    },
    /// The review queue: pairs of sources scored near the match score and entries whose
    /// sources disagree (kind, price, venue), with the evidence and the command to settle each.
    Queue {
        /// Print JSON instead.
        #[arg(long)]
        json: bool,
        /// List pairs scored within this of the match score.
        #[arg(long, default_value_t = learncity_builder::review::MARGIN)]
        margin: f64,
        /// Show at most this many pairs and this many entries.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// The source pairs operators labelled one offering or two (merges and splits in force), one
    /// JSON object per line: labelled pairs for the deduplication's evaluation.
    Pairs,
    /// Take a decision back.
    Revoke {
        /// Its id (d-…, from `list`).
        id: String,
        #[command(flatten)]
        author: AuthorArgs,
    },
}

#[derive(Debug, Subcommand)]
enum TopicsAction {
    /// Create every topic the pipeline uses (partitions, replication, cleanup policy from [kafka]).
    Ensure {
        /// The main config file.
        #[arg(long, short, value_name = "FILE", env = "LEARNCITY_CONFIG", default_value = "config/learncity.toml")]
        config: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Read a password from standard input (its first line) and print its argon2 hash, for an
    /// operator's `password-hash` in `[[serve.operators]]`.
    HashPassword,
    /// Validate the main config, its environment overrides and every provider; name file, line
    /// and field of each mistake.
    Check {
        /// The main config file.
        #[arg(long, short, value_name = "FILE", env = "LEARNCITY_CONFIG", default_value = "config/learncity.toml")]
        config: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SchemaName {
    /// The `Offering` record published on the offerings topic.
    Offering,
    /// The catalogue `Entry` published on the catalog topic.
    Entry,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(
        cli.command,
        Command::Collect { .. }
            | Command::Run { .. }
            | Command::Serve { .. }
            | Command::Catalog { action: None | Some(CatalogAction::Rebuild), .. }
    ) {
        learncity_ops::init_logging(false, "warn");
    }
    let result = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Collect { config } => {
            runtime().and_then(|rt| rt.block_on(collect::run(&config))).map(|()| ExitCode::SUCCESS)
        }
        Command::Catalog { action, config } => runtime()
            .and_then(|rt| {
                rt.block_on(async {
                    match action {
                        None => catalog::run(&config).await,
                        Some(CatalogAction::Rebuild) => catalog::rebuild(&config).await,
                        Some(CatalogAction::Export) => catalog::export(&config).await,
                        Some(CatalogAction::Explain { entry, pair, json }) => {
                            catalog::explain(&config, entry.as_deref(), pair.as_deref(), json).await
                        }
                    }
                })
            })
            .map(|()| ExitCode::SUCCESS),
        Command::DeadLetters { action, config } => runtime().and_then(|rt| {
            rt.block_on(async {
                match action {
                    DeadLettersAction::List { json } => dead_letters::list(&config, json).await,
                    DeadLettersAction::Show { id } => dead_letters::show(&config, id).await,
                    DeadLettersAction::Replay { ids, all, force } => {
                        dead_letters::replay(&config, &ids, all, force).await
                    }
                }
            })
        }),
        Command::Curate { action, config } => runtime().and_then(|rt| {
            rt.block_on(async {
                use learncity_store::curation::Request;
                match action {
                    CurateAction::Merge { targets, author } => {
                        curate::decide(&config, Request::Merge { targets }, author.author()).await
                    }
                    CurateAction::Split { targets, sources, author } => {
                        curate::decide(&config, Request::Split { targets, sources }, author.author()).await
                    }
                    CurateAction::Hide { targets, author } => {
                        curate::decide(&config, Request::Hide { targets }, author.author()).await
                    }
                    CurateAction::Pin { target, field, value, author } => {
                        curate::decide(&config, Request::Pin { target, field, value }, author.author()).await
                    }
                    CurateAction::List { json, all } => curate::list(&config, json, all).await,
                    CurateAction::Pairs => curate::pairs(&config).await,
                    CurateAction::Queue { json, margin, limit } => curate::queue(&config, json, margin, limit).await,
                    CurateAction::Revoke { id, author } => curate::revoke(&config, &id, author.author()).await,
                }
            })
        }),
        Command::Backup { to, config } => runtime().and_then(|rt| rt.block_on(catalog::backup(&config, &to))),
        Command::Run { config } => runtime().and_then(|rt| rt.block_on(run::run(&config))).map(|()| ExitCode::SUCCESS),
        Command::Serve { config } => {
            runtime().and_then(|rt| rt.block_on(serve::run(&config))).map(|()| ExitCode::SUCCESS)
        }
        Command::Topics { action: TopicsAction::Ensure { config } } => {
            runtime().and_then(|rt| rt.block_on(admin::topics_ensure(&config)))
        }
        Command::Config { action: ConfigAction::Check { config } } => Ok(admin::config_check(&config)),
        Command::Config { action: ConfigAction::HashPassword } => admin::hash_password(),
        Command::Schema { which } => {
            print!(
                "{}",
                match which {
                    SchemaName::Offering => learncity_model::offering_schema_text(),
                    SchemaName::Entry => learncity_model::entry_schema_text(),
                }
            );
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", format_chain(&err));
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// `outer: inner: root` on one line.
fn format_chain(err: &anyhow::Error) -> String {
    err.chain().map(ToString::to_string).collect::<Vec<_>>().join(": ")
}
