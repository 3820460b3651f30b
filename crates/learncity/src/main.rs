//! The `learncity` binary: parses arguments (clap), sets up logging, dispatches to the
//! subcommands in the `learncity` library, and reports an error once, as one line naming what
//! failed and on which input.

use std::process::ExitCode;

use learncity::check;

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
    /// Print a JSON Schema of the record contract.
    Schema {
        /// Which schema.
        #[arg(value_enum, default_value = "offering")]
        which: SchemaName,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SchemaName {
    /// The `Offering` record published on the offerings topic.
    Offering,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("LEARNCITY_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Schema { which: SchemaName::Offering } => {
            print!("{}", learncity_model::offering_schema_text());
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

/// `outer: inner: root` on one line.
fn format_chain(err: &anyhow::Error) -> String {
    err.chain().map(ToString::to_string).collect::<Vec<_>>().join(": ")
}
