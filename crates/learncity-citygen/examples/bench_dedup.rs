//! Deduplication at scale: a seeded synthetic city of N real-world offerings (20 % re-announced
//! by another provider, so about 1.2 N offerings in all; a third of those re-spelled
//! Cyrillic↔Latin), their match features, and the clusters `learncity_catalog::matching::clusters` finds (blocking → scoring → union-find).
//! Prints one JSON line: the time of each step, offerings/s, pairwise precision and recall
//! against the generator's labels, and the process's peak resident memory.
//!
//! ```sh
//! cargo run --release -p learncity-citygen --example bench_dedup -- 1000000
//! ```
//! `scripts/bench-dedup` runs it at about 10 000, 100 000 and 1 000 000 offerings, one process each.

use std::collections::HashMap;
use std::time::Instant;

use learncity_catalog::matching::{Features, Thresholds, clusters};
use learncity_citygen::{SynthParams, synthetic_offerings};

fn main() {
    let n: usize = match std::env::args().nth(1).map(|a| a.replace('_', "").parse()) {
        None => 10_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("usage: bench_dedup [OFFERINGS]: {e}");
            std::process::exit(2);
        }
    };
    let providers = (n / 1000).clamp(10, 1000);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("a valid date");
    let params = SynthParams::new(42, providers, n, day);

    let started = Instant::now();
    let (offerings, labels) = synthetic_offerings(&params);
    let generate = started.elapsed();

    let started = Instant::now();
    let features: Vec<Features> = offerings.iter().map(|o| Features::of(o, None)).collect();
    let featurise = started.elapsed();

    let started = Instant::now();
    let found = clusters(&features, &Thresholds::default());
    let cluster = started.elapsed();

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
    for c in &found {
        predicted += pairs(c.len() as u64);
        let mut within: HashMap<usize, u64> = HashMap::new();
        for i in c {
            *within.entry(labels[*i]).or_default() += 1;
        }
        correct += within.values().map(|k| pairs(*k)).sum::<u64>();
    }
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let dedup = featurise + cluster;
    println!(
        "{}",
        serde_json::json!({
            "real_offerings": n,
            "offerings": offerings.len(),
            "providers": providers,
            "generate_s": generate.as_secs_f64(),
            "features_s": featurise.as_secs_f64(),
            "clusters_s": cluster.as_secs_f64(),
            "dedup_s": dedup.as_secs_f64(),
            "offerings_per_s": offerings.len() as f64 / dedup.as_secs_f64(),
            "entries": found.len(),
            "precision": ratio(correct, predicted),
            "recall": ratio(correct, true_pairs),
            "peak_rss_mib": peak_rss_kib() as f64 / 1024.0,
        })
    );
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
