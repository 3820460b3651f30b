//! Deduplication at scale: a seeded synthetic city of N real-world offerings (20 % re-announced
//! by another provider, so about 1.2 N offerings in all; a third of those re-spelled
//! Cyrillic↔Latin), deduplicated one of two ways:
//! - `builder` (the default): what the catalog builder does, in memory — every offering upserted
//!   one at a time into one partition's [`PartitionCatalog`] (blocking index, scoring, the
//!   entries it changes merged and serialised as catalog records), without the store's I/O;
//! - `clusters`: the whole-catalogue form: every offering's features, then
//!   [`learncity_catalog::matching::clusters`] over all of them at once (blocking → scoring →
//!   union-find), both on every core.
//!
//! Prints one JSON line: the time of each step, offerings/s, pairwise precision and recall
//! against the generator's labels, and the process's peak resident memory.
//!
//! ```sh
//! cargo run --release -p learncity-citygen --example bench_dedup -- 1000000 builder
//! ```
//! `scripts/bench-dedup` runs both at about 10 000, 100 000 and 1 000 000 offerings, one process
//! each (so each peak memory is its own).

use std::collections::HashMap;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use learncity_builder::state::{Effects, PartitionCatalog, Rules, Stats};
use learncity_catalog::matching::{Features, Thresholds, clusters};
use learncity_citygen::{SynthParams, synthetic_offerings};
use learncity_model::Role;
use rayon::prelude::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = match args.next().map(|a| a.replace('_', "").parse()) {
        None => 10_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => usage(&format!("OFFERINGS must be a number: {e}")),
    };
    let mode = args.next().unwrap_or_else(|| "builder".to_owned());
    let providers = (n / 1000).clamp(10, 1000);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("a valid date");
    let params = SynthParams::new(42, providers, n, day);

    let started = Instant::now();
    let (offerings, labels) = synthetic_offerings(&params);
    let generate = started.elapsed().as_secs_f64();
    let count = offerings.len();

    // LEARNCITY_BENCH_SHOW_WRONG=K prints K entries that join different real-world offerings.
    let show_wrong: usize = std::env::var("LEARNCITY_BENCH_SHOW_WRONG").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let describe: Vec<String> = if show_wrong > 0 {
        offerings.iter().map(|o| format!("{} | {} | {:?}", o.provider.id, o.title, o.first_start())).collect()
    } else {
        Vec::new()
    };
    let (groups, steps) = match mode.as_str() {
        "clusters" => {
            let started = Instant::now();
            let features: Vec<Features> =
                offerings.par_iter().map(|o| Features::of(o, None, Role::Organiser)).collect();
            let featurise = started.elapsed().as_secs_f64();
            let started = Instant::now();
            let found = clusters(&features, &Thresholds::default());
            let cluster = started.elapsed().as_secs_f64();
            (
                found,
                serde_json::json!({ "features_s": featurise, "clusters_s": cluster, "dedup_s": featurise + cluster }),
            )
        }
        "builder" => {
            let rules = Rules {
                thresholds: Thresholds::default(),
                expiry_grace: chrono::Duration::days(1),
                providers: HashMap::new(),
                catalog_topic: "catalog".to_owned(),
                curation: Default::default(),
            };
            // A week before the first session: every offering is live.
            let now = Utc.from_utc_datetime(&(day - chrono::Duration::days(7)).and_time(chrono::NaiveTime::MIN));
            let index: HashMap<String, usize> = offerings.iter().enumerate().map(|(i, o)| (o.key(), i)).collect();
            let started = Instant::now();
            let mut catalog = PartitionCatalog::load(0, Vec::new(), Vec::new(), &rules);
            let mut stats = Stats::default();
            let mut fx = Effects::default();
            for (offset, o) in offerings.into_iter().enumerate() {
                catalog.upsert(o, offset as i64, now, &rules, &mut fx);
                // One store transaction's worth of changes, as the daemon's batches.
                if offset % 1000 == 999 {
                    stats.add(&std::mem::take(&mut fx).into_changeset(Vec::new()).1);
                }
            }
            stats.add(&fx.into_changeset(Vec::new()).1);
            let build = started.elapsed().as_secs_f64();
            let found: Vec<Vec<usize>> =
                catalog.entries().map(|e| e.sources.iter().map(|s| index[&s.key]).collect()).collect();
            let placed: usize = found.iter().map(Vec::len).sum();
            assert_eq!(placed, count, "every offering is in exactly one entry");
            let stats = serde_json::json!({
                "upserts": stats.upserts, "merges": stats.merges, "splits": stats.splits,
                "entries_put": stats.entries_put, "entries_removed": stats.entries_removed,
            });
            (found, serde_json::json!({ "dedup_s": build, "stats": stats }))
        }
        other => usage(&format!("unknown mode {other:?}")),
    };

    // Pairwise quality against the labels (the real-world offering each item announces).
    let pairs = |k: u64| k * k.saturating_sub(1) / 2;
    let mut true_pairs = 0;
    let mut per_label: HashMap<usize, u64> = HashMap::new();
    for l in &labels {
        *per_label.entry(*l).or_default() += 1;
    }
    for count in per_label.values() {
        true_pairs += pairs(*count);
    }
    let (mut predicted, mut correct) = (0, 0);
    let mut shown = 0;
    for c in &groups {
        predicted += pairs(c.len() as u64);
        let mut within: HashMap<usize, u64> = HashMap::new();
        for i in c {
            *within.entry(labels[*i]).or_default() += 1;
        }
        correct += within.values().map(|k| pairs(*k)).sum::<u64>();
        if within.len() > 1 && shown < show_wrong {
            shown += 1;
            let lines: Vec<String> = c.iter().map(|i| format!("  [{}] {}", labels[*i], describe[*i])).collect();
            eprintln!("wrong entry:\n{}", lines.join("\n"));
        }
    }
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let dedup = steps["dedup_s"].as_f64().expect("every mode times its dedup");
    let mut out = serde_json::json!({
        "mode": mode,
        "real_offerings": n,
        "offerings": count,
        "providers": providers,
        "generate_s": generate,
        "offerings_per_s": count as f64 / dedup,
        "entries": groups.len(),
        "precision": ratio(correct, predicted),
        "recall": ratio(correct, true_pairs),
        "peak_rss_mib": peak_rss_kib() as f64 / 1024.0,
        "process_cpu_s": process_cpu_s(),
    });
    if let (Some(out), Some(steps)) = (out.as_object_mut(), steps.as_object()) {
        out.extend(steps.clone());
    }
    println!("{out}");
}

fn usage(problem: &str) -> ! {
    eprintln!("usage: bench_dedup [OFFERINGS] [builder|clusters]: {problem}");
    std::process::exit(2);
}

/// CPU time (user + system) of the whole process so far, in seconds (`/proc/self/stat`, at 100
/// ticks a second): unlike wall time, other load on the machine barely changes it.
fn process_cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: Vec<f64> = rest.split_whitespace().skip(11).take(2).filter_map(|t| t.parse().ok()).collect();
    ticks.iter().sum::<f64>() / 100.0
}

/// The process's peak resident set (`VmHWM` in /proc/self/status), in KiB; 0 where unknown.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().trim_end_matches(" kB").trim().parse().ok()))
        })
        .flatten()
        .unwrap_or(0)
}
