//! `learncity curate merge|split|hide|pin|list|queue|revoke`: operators' decisions on the
//! catalogue (learncity_model::curation), acting on a running or a stopped instance.
//!
//! A decision is written to the catalogue store, with its record for the curation topic in the
//! store's outbox in the same transaction (a `learncity catalog` daemon publishes it; the
//! standalone mode has no such topic and drops it). Every builder reads the store's decisions
//! every two seconds and applies what changed; a stopped one applies them when it starts. The
//! work is [`learncity_store::curation`], shared with the admin API of `learncity serve`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use learncity_config::Config;
use learncity_store::curation::{self, Author, Request, describe};

use crate::catalog::open_store;

async fn open(config_path: &Path) -> anyhow::Result<(Config, std::sync::Arc<dyn learncity_store::CatalogStore>)> {
    let config = learncity_config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = open_store(&config).await?;
    Ok((config, store))
}

/// Decides: checks the request against the store, keeps the decision (and its curation-topic
/// record), and says what was decided.
pub async fn decide(config_path: &Path, request: Request, author: Author) -> anyhow::Result<ExitCode> {
    let (config, store) = open(config_path).await?;
    let decision = curation::decide(store.as_ref(), request, &author, &config.kafka.curation_topic).await?;
    println!("{}  {}", decision.id, describe(&decision));
    println!("kept; a running builder applies it within seconds, a stopped one when it starts");
    Ok(ExitCode::SUCCESS)
}

/// `curate revoke ID`: takes a decision back (it stays listed, marked revoked).
pub async fn revoke(config_path: &Path, id: &str, author: Author) -> anyhow::Result<ExitCode> {
    let (config, store) = open(config_path).await?;
    let decision = curation::revoke(store.as_ref(), id, &author, &config.kafka.curation_topic)
        .await
        .with_context(|| format!("revoking {id} (`learncity curate list --all` shows the decisions kept)"))?;
    println!("{id}  revoked: {}", describe(&decision));
    Ok(ExitCode::SUCCESS)
}

/// `curate list`: every decision, in force first, with whether it still applies.
pub async fn list(config_path: &Path, json: bool, all: bool) -> anyhow::Result<ExitCode> {
    let (_, store) = open(config_path).await?;
    let standings = curation::standings(store.as_ref(), all).await.context("reading the curation decisions")?;
    let mut out = String::new();
    for s in &standings {
        let d = &s.decision;
        if json {
            out.push_str(&serde_json::to_string(s)?);
        } else {
            let state = match (&d.revoked, s.applies, s.sources_not_live.is_empty()) {
                (Some(r), _, _) => format!("revoked by {} at {}: {}", r.by, r.at.format("%Y-%m-%d %H:%M"), r.reason),
                (None, false, _) => "NO LONGER APPLIES: none of its sources is live".to_owned(),
                (None, true, false) => format!("applies; not live: {}", s.sources_not_live.join(", ")),
                (None, true, true) => "applies".to_owned(),
            };
            let _ = write!(
                out,
                "{}  {}  {:<10} {}\n    why: {}\n    {state}",
                d.id,
                d.at.format("%Y-%m-%d %H:%M"),
                d.by,
                describe(d),
                d.reason
            );
        }
        out.push('\n');
    }
    if !json {
        let _ = writeln!(out, "{} decision(s)", standings.len());
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// `curate pairs`: the source pairs operators labelled one offering or two (merges and splits
/// in force), one JSON object per line, for the deduplication's evaluation.
pub async fn pairs(config_path: &Path) -> anyhow::Result<ExitCode> {
    let (_, store) = open(config_path).await?;
    let decisions = store.decisions().await.context("reading the curation decisions")?;
    let mut out = String::new();
    for pair in curation::labelled_pairs(&decisions) {
        out.push_str(&serde_json::to_string(&pair)?);
        out.push('\n');
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// `curate queue`: what matching was unsure of — pairs scored near the match score, entries
/// whose sources disagree — each with its evidence and the command that settles it.
pub async fn queue(config_path: &Path, json: bool, margin: f64, limit: usize) -> anyhow::Result<ExitCode> {
    let (config, store) = open(config_path).await?;
    let mut rules = learncity_builder::rules(&config);
    rules.curation =
        learncity_catalog::curation::Curation::new(store.decisions().await.context("reading the curation decisions")?);
    let sources = store.sources().await.context("reading the sources")?;
    let entries = store.entries().await.context("reading the catalogue")?;
    let mut queue = learncity_builder::review::queue(&sources, &entries, &rules, margin);
    queue.pairs.truncate(limit);
    queue.disagreements.truncate(limit);
    if json {
        println!("{}", serde_json::to_string_pretty(&queue)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} pair(s) scored within {margin} of the match score {}:",
        queue.pairs.len(),
        rules.thresholds.match_score
    );
    for (n, p) in queue.pairs.iter().enumerate() {
        let _ = writeln!(out, "\n{}. {}", n + 1, if p.together { "one entry" } else { "two entries" });
        for line in p.explanation.lines() {
            let _ = writeln!(out, "   {line}");
        }
        let _ = writeln!(out, "   to decide: {}", learncity_builder::review::suggestion(p));
    }
    let _ = writeln!(out, "\n{} entr(ies) whose sources disagree:", queue.disagreements.len());
    for d in &queue.disagreements {
        let values: Vec<String> = d.values.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let _ = writeln!(out, "\n{} «{}»: {} differs ({})", d.entry, d.title, d.field, values.join("; "));
        let _ = writeln!(
            out,
            "   to decide: learncity curate pin {} --field {} --value ... --reason ..., or split it: curate split {} --source KEY",
            d.entry, d.field, d.entry
        );
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}
