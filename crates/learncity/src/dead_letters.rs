//! `learncity dead-letters list|show|replay`: the records the catalog builder could not apply,
//! as the store keeps them in both modes.
//!
//! A replay is asked for in the store; the builder that reads the record's partition takes it
//! within seconds (`learncity run` applies it as a record read now, a `learncity catalog` daemon
//! publishes it again on the offerings topic). Before asking, the record is read with this
//! binary's contract: one that still cannot be applied is not replayed, and one the store has a
//! newer read of (the provider published the item, or its whole listing, since) is not replayed
//! without `--force`, so a replay never takes the catalogue back in time.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use learncity_builder::decode::{Event, decode};
use learncity_store::{CatalogStore, SourceRow, StoredDeadLetter};

use crate::catalog::open_store;

/// Dead letters listed at most.
const LIST_LIMIT: i64 = 10_000;

/// `dead-letters list`: one line per kept dead letter (or one JSON object per line).
pub async fn list(config_path: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let store = store(config_path).await?;
    let letters = store.dead_letters(LIST_LIMIT).await.context("reading the dead letters")?;
    let mut out = String::new();
    for d in &letters {
        if json {
            out.push_str(&serde_json::to_string(&summary(d))?);
        } else {
            let _ = write!(
                out,
                "{:>6}  {}  {} [{}] @{}  {:<14}  {}{}  {}",
                d.id,
                d.recorded_at,
                d.letter.record.topic,
                d.letter.partition,
                d.letter.offset,
                d.letter.kind,
                key_text(d),
                if d.replay_requested { "  (replay asked)" } else { "" },
                d.letter.reason
            );
        }
        out.push('\n');
    }
    if !json {
        let _ = writeln!(out, "{} dead letter(s)", letters.len());
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// `dead-letters show ID`: the record whole — why, headers, key and value.
pub async fn show(config_path: &Path, id: i64) -> anyhow::Result<ExitCode> {
    let store = store(config_path).await?;
    let Some(d) = store.dead_letter(id).await.with_context(|| format!("reading dead letter {id}"))? else {
        eprintln!("error: no dead letter {id} is kept; `learncity dead-letters list` shows those that are");
        return Ok(ExitCode::FAILURE);
    };
    let mut out = serde_json::to_string_pretty(&summary(&d))?;
    out.push('\n');
    let r = &d.letter.record;
    for (name, value) in &r.headers {
        let _ = writeln!(out, "header {name}: {}", String::from_utf8_lossy(value));
    }
    match &r.value {
        Some(v) => {
            let _ = writeln!(out, "value ({} bytes):\n{}", v.len(), String::from_utf8_lossy(v));
        }
        None => out.push_str("value: none (a tombstone)\n"),
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// `dead-letters replay ID... | --all [--force]`: asks for each dead letter that this binary
/// can apply to be applied again; exit 1 when any was not.
pub async fn replay(config_path: &Path, ids: &[i64], all: bool, force: bool) -> anyhow::Result<ExitCode> {
    let (config, store) = config_and_store(config_path).await?;
    let topic = &config.kafka.offerings_topic;
    let letters = if all {
        store.dead_letters(LIST_LIMIT).await.context("reading the dead letters")?
    } else {
        let mut v = Vec::with_capacity(ids.len());
        for &id in ids {
            match store.dead_letter(id).await.with_context(|| format!("reading dead letter {id}"))? {
                Some(d) => v.push(d),
                None => eprintln!("dead letter {id}: not kept (listed by `learncity dead-letters list`)"),
            }
        }
        v
    };
    let sources = store.sources().await.context("reading the sources")?;
    let mut asked = Vec::new();
    let mut refused = letters.len() < ids.len();
    for d in &letters {
        match replayable(d, topic, &sources, force) {
            Ok(()) => asked.push(d.id),
            Err(why) => {
                refused = true;
                eprintln!("dead letter {}: not replayed: {why}", d.id);
            }
        }
    }
    let n = store.request_replay(&asked).await.context("asking for the replays")?;
    println!(
        "{n} dead letter(s) to replay: the builder that reads their partition applies them within seconds \
         (learncity run, or a learncity catalog daemon) and then forgets them"
    );
    Ok(if refused { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

async fn store(config_path: &Path) -> anyhow::Result<std::sync::Arc<dyn CatalogStore>> {
    Ok(config_and_store(config_path).await?.1)
}

async fn config_and_store(
    config_path: &Path,
) -> anyhow::Result<(learncity_config::Config, std::sync::Arc<dyn CatalogStore>)> {
    let config = learncity_config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = open_store(&config).await?;
    Ok((config, store))
}

/// Whether `d` may be replayed: it was read from the offerings topic the builders read
/// (`topic`), this binary reads it, and (unless `force`) the store holds no newer read of what
/// it carries.
fn replayable(d: &StoredDeadLetter, topic: &str, sources: &[SourceRow], force: bool) -> Result<(), String> {
    let r = &d.letter.record;
    if r.topic != topic {
        return Err(format!("it was read from topic {}, not {topic}, the offerings topic of this config", r.topic));
    }
    let event = decode(r.key.as_deref(), r.value.as_deref(), &r.headers)
        .map_err(|why| format!("this learncity still cannot apply it ({}: {why})", why.kind()))?;
    if force {
        return Ok(());
    }
    let newer = match &event {
        Event::Upsert(o) => sources
            .iter()
            .find(|s| s.key == o.key())
            .filter(|s| s.offering.provenance.fetched_at >= o.provenance.fetched_at)
            .map(|s| format!("the store holds a read of {} fetched {}", s.key, s.offering.provenance.fetched_at)),
        Event::Snapshot(snap) => sources
            .iter()
            .filter(|s| s.offering.provider.id == snap.provider_id)
            .map(|s| s.offering.provenance.fetched_at)
            .filter(|at| *at > snap.fetched_at)
            .max()
            .map(|at| format!("the store holds reads of provider {} fetched up to {at}", snap.provider_id)),
    };
    match newer {
        Some(what) => Err(format!("{what}, newer than this record; --force replays it anyway")),
        None => Ok(()),
    }
}

/// What `list --json` and `show` print of a dead letter.
fn summary(d: &StoredDeadLetter) -> serde_json::Value {
    serde_json::json!({
        "id": d.id,
        "recorded_at": d.recorded_at,
        "topic": d.letter.record.topic,
        "partition": d.letter.partition,
        "offset": d.letter.offset,
        "key": d.letter.record.key.as_deref().map(String::from_utf8_lossy),
        "kind": d.letter.kind,
        "reason": d.letter.reason,
        "replay_requested": d.replay_requested,
    })
}

fn key_text(d: &StoredDeadLetter) -> String {
    d.letter.record.key.as_deref().map_or_else(|| "(no key)".to_owned(), |k| String::from_utf8_lossy(k).into_owned())
}
