//! Reader throughput: learncity's readers (`learncity_readers::read`) beside Rust lower bounds
//! on the same bytes, per format, on two workloads each:
//!
//! - **large**: one provider document per format from a seeded synthetic city
//!   (`learncity_citygen::synthetic`, one provider per format, read with its generated provider
//!   config). The iCalendar document is given weekly recurrences on every third event
//!   (`RRULE:FREQ=WEEKLY;COUNT=8`) so the expansion is part of the work, as in real calendars.
//! - **corpus**: the real-world and test documents of `../shared/corpora` (feed-rs fixtures,
//!   feedparser's well-formed tests, feedparser's JSON Feed tests, ical.js, icalendar and
//!   libical samples), each read as its own document; a file belongs to the format our reader
//!   detects in it and is kept when that read succeeds (files over 256 KiB are left out).
//!
//! Every input is written under the output directory with a `manifest.json`, so peers
//! (`tests/peers/bench_readers.py`) time the very same bytes. Prints one JSON line per workload
//! and contender: the median on-CPU time of a run (the thread's, from
//! `/proc/thread-self/schedstat`: robust to a loaded machine) and its wall time, bytes, items read.
//!
//! Lower bounds (read everything, build nothing): quick-xml events and attributes (RSS, Atom; a
//! document not in UTF-8 is decoded lossily first); line unfolding and name/value split
//! (iCalendar); `serde_json::Value` (JSON Feed); the html5ever tree of
//! `scraper::Html::parse_document` (HTML pages: a tree, more than a tokeniser).
//!
//! ```sh
//! cargo run --release -p learncity-citygen --example bench_readers -- target/bench-readers
//! ```
//! Options: `--offerings N` (synthetic city size, default 25 000: about 5 000 items per
//! format), `--corpora DIR` (default `../shared/corpora`), `--target-s S` (time spent per
//! contender and workload, default 1), `--slowest N` (a diagnosis: also print to stderr the N
//! documents of each corpus our reader spends most time on).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use learncity_citygen::{Format, SynthParams, synthetic};
use learncity_config::Provider;
use learncity_model::{ProviderRef, SourceFormat};
use learncity_readers::{FormatHint, ReadContext, ReaderSettings};
use serde_json::json;

/// Recurrences are expanded this far ahead of the fetch, by us and by the peers.
const HORIZON_DAYS: u32 = 90;
/// Every third event of the large calendar recurs.
const RECUR_EVERY: usize = 3;
const RRULE: &str = "RRULE:FREQ=WEEKLY;COUNT=8";
/// The corpora are a "many small documents" workload: larger files are left out (only libical's
/// 1 MB `large.ics` stress calendar, 20 UIDs repeated ~90 times, which icalendar rejects).
const MAX_CORPUS_DOC: usize = 256 * 1024;

/// One set of documents read the same way.
struct Workload {
    name: String,
    /// `rss`, `atom`, `jsonfeed`, `ical`, `html-rules`, `jsonld`.
    format: &'static str,
    /// `large` or `corpus`.
    kind: &'static str,
    hint: FormatHint,
    provider: ProviderRef,
    settings: ReaderSettings,
    url: url::Url,
    content_type: Option<String>,
    /// Path relative to the output directory, origin, bytes.
    docs: Vec<(String, String, Vec<u8>)>,
}

impl Workload {
    fn bytes(&self) -> usize {
        self.docs.iter().map(|d| d.2.len()).sum()
    }
}

/// What one pass over a workload produced.
#[derive(Default, Clone, Copy)]
struct Counts {
    items: usize,
    sessions: usize,
    warnings: usize,
    failed_docs: usize,
}

struct Args {
    out: PathBuf,
    offerings: usize,
    corpora: PathBuf,
    target_s: f64,
    slowest: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut out = None;
    let mut offerings = 25_000;
    let mut corpora = PathBuf::from("../shared/corpora");
    let mut target_s = 1.0;
    let mut slowest = 0;
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--offerings" => {
                offerings = value("--offerings")?.replace('_', "").parse().map_err(|e| format!("--offerings: {e}"))?
            }
            "--corpora" => corpora = PathBuf::from(value("--corpora")?),
            "--target-s" => target_s = value("--target-s")?.parse().map_err(|e| format!("--target-s: {e}"))?,
            "--slowest" => slowest = value("--slowest")?.parse().map_err(|e| format!("--slowest: {e}"))?,
            _ if out.is_none() && !a.starts_with("--") => out = Some(PathBuf::from(a)),
            _ => return Err(format!("unexpected argument {a}")),
        }
    }
    Ok(Args { out: out.ok_or("the output directory is missing")?, offerings, corpora, target_s, slowest })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "usage: bench_readers OUT_DIR [--offerings N] [--corpora DIR] [--target-s SECONDS] [--slowest N]\nbench_readers: {e}"
            );
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("bench_readers: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), String> {
    let today = NaiveDate::from_ymd_opt(2026, 3, 2).ok_or("a valid date")?;
    let fetched_at = Utc.from_utc_datetime(&today.and_time(NaiveTime::from_hms_opt(6, 0, 0).ok_or("a valid time")?));

    let mut workloads = large_workloads(args.offerings, today)?;
    workloads.extend(corpus_workloads(&args.corpora, fetched_at)?);
    write_inputs(&args.out, &workloads, fetched_at)?;

    for w in &workloads {
        let (ours, counts) = time(|| read_docs(w, &w.docs, fetched_at), args.target_s);
        if counts.items == 0 {
            return Err(format!("{}: our reader produced no offerings; the comparison would be meaningless", w.name));
        }
        row(w, "learncity", "learncity-readers", &ours, counts);
        if let Some((name, bound)) = lower_bound(w.format) {
            let (t, counts) = time(|| bound(w), args.target_s);
            row(w, "lower-bound", name, &t, counts);
        }
        if args.slowest > 0 && w.docs.len() > 1 {
            slowest_docs(w, fetched_at, args.slowest);
        }
    }
    Ok(())
}

/// Prints to stderr the `n` documents of `w` our reader spends most time on (a diagnosis).
fn slowest_docs(w: &Workload, fetched_at: DateTime<Utc>, n: usize) {
    let total: f64 = w.docs.len() as f64;
    let mut per_doc: Vec<(f64, &str, usize)> = w
        .docs
        .iter()
        .map(|d| {
            let (t, _) = time(|| read_docs(w, std::slice::from_ref(d), fetched_at), 0.0);
            (t.cpu_s, d.1.as_str(), d.2.len())
        })
        .collect();
    let sum: f64 = per_doc.iter().map(|d| d.0).sum();
    per_doc.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (s, origin, bytes) in per_doc.into_iter().take(n) {
        eprintln!(
            "{}",
            json!({"workload": w.name, "doc": origin, "bytes": bytes, "cpu_s": s, "share": s / sum, "docs": total})
        );
    }
}

fn row(w: &Workload, role: &str, contender: &str, t: &Timing, c: Counts) {
    println!(
        "{}",
        json!({
            "workload": w.name,
            "format": w.format,
            "kind": w.kind,
            "role": role,
            "contender": contender,
            "docs": w.docs.len(),
            "bytes": w.bytes(),
            "cpu_s": t.cpu_s,
            "wall_s": t.wall_s,
            "clock": t.clock,
            "reps": t.reps,
            "batch": t.batch,
            "items": c.items,
            "sessions": c.sessions,
            "warnings": c.warnings,
            "failed_docs": c.failed_docs,
        })
    );
}

/// Median time of one run of `f`.
struct Timing {
    /// On-CPU time of the measuring thread: what the run costs, whatever else the machine runs.
    cpu_s: f64,
    /// Wall-clock time (includes waiting for a core on a loaded machine).
    wall_s: f64,
    /// Where `cpu_s` comes from: `thread-cpu`, or `wall` when the thread's CPU time is unknown.
    clock: &'static str,
    /// Samples taken.
    reps: usize,
    /// Runs per sample (short runs are batched to about 5 ms, above the clocks' overhead).
    batch: usize,
}

/// Runs `f` once to warm up and estimate, then takes enough samples to fill about `target_s`
/// (5 to 200 samples); the median per run, and the last run's result.
fn time<T>(mut f: impl FnMut() -> T, target_s: f64) -> (Timing, T) {
    let started = Instant::now();
    let mut last = black_box(f());
    let first = started.elapsed().as_secs_f64().max(1e-9);
    let batch = ((0.005 / first).ceil() as usize).max(1);
    let reps = ((target_s / (first * batch as f64)).ceil() as usize).clamp(5, 200);
    let (mut cpu, mut wall) = (Vec::with_capacity(reps), Vec::with_capacity(reps));
    let mut clock = "thread-cpu";
    for _ in 0..reps {
        let cpu_start = thread_cpu_ns();
        let started = Instant::now();
        for _ in 0..batch {
            last = black_box(f());
        }
        let w = started.elapsed().as_secs_f64() / batch as f64;
        wall.push(w);
        match (cpu_start, thread_cpu_ns()) {
            (Some(a), Some(b)) => cpu.push(b.saturating_sub(a) as f64 / 1e9 / batch as f64),
            _ => {
                clock = "wall";
                cpu.push(w);
            }
        }
    }
    let timing = Timing { cpu_s: median(&mut cpu), wall_s: median(&mut wall), clock, reps, batch };
    (timing, last)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// On-CPU time of the calling thread in nanoseconds (`/proc/thread-self/schedstat`, Linux).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}

/// Our readers over `docs` (of `w`), as the collector calls them.
fn read_docs(w: &Workload, docs: &[(String, String, Vec<u8>)], fetched_at: DateTime<Utc>) -> Counts {
    let ctx = ReadContext {
        provider: &w.provider,
        settings: &w.settings,
        document_url: Some(&w.url),
        content_type: w.content_type.as_deref(),
        fetched_at,
    };
    let mut c = Counts::default();
    for (_, _, data) in docs {
        match learncity_readers::read(data, w.hint, &ctx) {
            Ok(out) => {
                c.items += out.offerings.len();
                c.sessions += out.offerings.iter().map(|o| o.sessions.len()).sum::<usize>();
                c.warnings += out.warnings.len();
                black_box(&out);
            }
            Err(_) => c.failed_docs += 1,
        }
    }
    c
}

type Bound = fn(&Workload) -> Counts;

fn lower_bound(format: &str) -> Option<(&'static str, Bound)> {
    match format {
        "rss" | "atom" => Some(("quick-xml 0.42 events+attributes", xml_tokens)),
        "ical" => Some(("line unfolding + name/value split", ical_lines)),
        "jsonfeed" => Some(("serde_json::Value", json_value)),
        "html-rules" | "jsonld" => Some(("html5ever tree (scraper::Html::parse_document)", html_tree)),
        _ => None,
    }
}

/// Every XML event and attribute; items are the `item`/`entry` elements.
fn xml_tokens(w: &Workload) -> Counts {
    use quick_xml::events::Event;
    let mut c = Counts::default();
    for (_, _, data) in &w.docs {
        // quick-xml 0.42 reads UTF-8 only: other charsets are decoded lossily (a copy only then).
        let text = String::from_utf8_lossy(data);
        let mut reader = quick_xml::Reader::from_str(&text);
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => break,
                Ok(Event::Start(e) | Event::Empty(e)) => {
                    let name = e.local_name().into_inner();
                    if name == "item" || name == "entry" {
                        c.items += 1;
                    }
                    for a in e.attributes() {
                        if black_box(a).is_err() {
                            break;
                        }
                    }
                }
                Ok(e) => {
                    black_box(e);
                }
                Err(_) => {
                    c.failed_docs += 1;
                    break;
                }
            }
        }
    }
    c
}

/// Unfolds content lines (CRLF or LF followed by a space or tab continues a line) and splits
/// each at its first unquoted `:`; items are the `BEGIN:VEVENT` lines.
fn ical_lines(w: &Workload) -> Counts {
    let mut c = Counts::default();
    let mut line = Vec::with_capacity(256);
    for (_, _, data) in &w.docs {
        let mut i = 0;
        while i < data.len() {
            line.clear();
            loop {
                let end = memchr_newline(&data[i..]).map_or(data.len(), |n| i + n);
                let content = data[i..end].strip_suffix(b"\r").unwrap_or(&data[i..end]);
                line.extend_from_slice(content);
                i = end + 1;
                if i < data.len() && (data[i] == b' ' || data[i] == b'\t') {
                    i += 1;
                } else {
                    break;
                }
            }
            let mut quoted = false;
            let colon = line.iter().position(|&b| {
                if b == b'"' {
                    quoted = !quoted;
                }
                b == b':' && !quoted
            });
            if let Some(colon) = colon {
                let (name, value) = line.split_at(colon);
                if name.eq_ignore_ascii_case(b"BEGIN") && value[1..].eq_ignore_ascii_case(b"VEVENT") {
                    c.items += 1;
                }
                black_box((name, value));
            }
        }
    }
    c
}

fn memchr_newline(s: &[u8]) -> Option<usize> {
    s.iter().position(|&b| b == b'\n')
}

/// A whole `serde_json::Value` per document; items are the top-level `items`.
fn json_value(w: &Workload) -> Counts {
    let mut c = Counts::default();
    for (_, _, data) in &w.docs {
        match serde_json::from_slice::<serde_json::Value>(data) {
            Ok(v) => {
                c.items += v.get("items").and_then(|i| i.as_array()).map_or(0, Vec::len);
                black_box(v);
            }
            Err(_) => c.failed_docs += 1,
        }
    }
    c
}

/// The html5ever document tree (what our HTML readers start from); no items counted.
fn html_tree(w: &Workload) -> Counts {
    for (_, _, data) in &w.docs {
        let text = String::from_utf8_lossy(data);
        black_box(scraper::Html::parse_document(&text));
    }
    Counts::default()
}

/// One synthetic document per format, read with its generated provider config.
fn large_workloads(offerings: usize, today: NaiveDate) -> Result<Vec<Workload>, String> {
    let city = synthetic(&SynthParams::new(42, Format::ALL.len(), offerings, today));
    let mut out = Vec::new();
    for doc in &city.documents {
        let file = city.provider_files.iter().find(|f| f.id == doc.provider).ok_or("a provider file per document")?;
        let provider = Provider::parse(&file.toml, &file.file_name).map_err(|e| e.to_string())?;
        let format = match doc.format {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::JsonFeed => "jsonfeed",
            Format::Ical => "ical",
            Format::HtmlRules => "html-rules",
            Format::JsonLd => "jsonld",
        };
        let body = if doc.format == Format::Ical { with_recurrences(&doc.body)? } else { doc.body.clone() };
        let settings = ReaderSettings { horizon_days: HORIZON_DAYS, ..provider.reader.clone() };
        out.push(Workload {
            name: format!("{format}-large"),
            format,
            kind: "large",
            hint: provider.format,
            provider: ProviderRef { id: provider.id.clone(), name: provider.name.clone() },
            settings,
            url: provider.url.clone().ok_or("every provider names its url")?,
            content_type: Some(doc.content_type.clone()),
            docs: vec![(format!("{format}-large.{}", doc.format.extension()), format!("citygen:{}", doc.path), body)],
        });
    }
    Ok(out)
}

/// The calendar with an RRULE after the DTSTART of every [`RECUR_EVERY`]th event.
fn with_recurrences(body: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("the generated calendar is not UTF-8: {e}"))?;
    let mut out = String::with_capacity(text.len() + text.len() / 20);
    let mut event = 0usize;
    for line in text.split_inclusive("\r\n") {
        out.push_str(line);
        if line.starts_with("BEGIN:VEVENT") {
            event += 1;
        } else if line.starts_with("DTSTART") && event % RECUR_EVERY == 1 {
            out.push_str(RRULE);
            out.push_str("\r\n");
        }
    }
    Ok(out.into_bytes())
}

/// The corpora's documents, one workload per format our reader detects in them.
fn corpus_workloads(root: &Path, fetched_at: DateTime<Utc>) -> Result<Vec<Workload>, String> {
    if !root.is_dir() {
        return Err(format!("{}: the corpora are missing (see README)", root.display()));
    }
    let feeds = [
        "feed-rs/feed-rs/fixture",
        "feedparser/tests/wellformed",
        "feedparser-jsonfeed-wip/tests/json",
        "ical.js/samples",
        "ical.js/test/parser",
        "icalendar/src/icalendar",
    ];
    let mut files = Vec::new();
    for dir in feeds {
        walk(&root.join(dir), &mut files);
    }
    // libical's top-level test calendars (not its 1 194 VTIMEZONE-only zoneinfo files).
    if let Ok(entries) = std::fs::read_dir(root.join("libical/test-data")) {
        files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
    }
    files.retain(|p| {
        let name = p.to_string_lossy();
        (name.ends_with(".xml") || name.ends_with(".json") || name.ends_with(".ics")) && !name.ends_with(".serde.json")
    });
    files.sort();

    let provider = ProviderRef { id: "bench".into(), name: None };
    let settings = ReaderSettings { horizon_days: HORIZON_DAYS, ..ReaderSettings::default() };
    let url = url::Url::parse("https://provider.example/feed").map_err(|e| e.to_string())?;
    let mut out: Vec<Workload> = Vec::new();
    for (format, hint) in [
        ("rss", FormatHint::Rss),
        ("atom", FormatHint::Atom),
        ("jsonfeed", FormatHint::Jsonfeed),
        ("ical", FormatHint::Ical),
    ] {
        out.push(Workload {
            name: format!("{format}-corpus"),
            format,
            kind: "corpus",
            hint,
            provider: provider.clone(),
            settings: settings.clone(),
            url: url.clone(),
            content_type: None,
            docs: Vec::new(),
        });
    }
    for path in files {
        let Ok(data) = std::fs::read(&path) else { continue };
        if data.len() > MAX_CORPUS_DOC {
            eprintln!("bench_readers: left out of the corpora (over {MAX_CORPUS_DOC} bytes): {}", path.display());
            continue;
        }
        let ctx = ReadContext {
            provider: &provider,
            settings: &settings,
            document_url: Some(&url),
            content_type: None,
            fetched_at,
        };
        let Ok(read) = learncity_readers::read(&data, FormatHint::Auto, &ctx) else { continue };
        let index = match read.format {
            SourceFormat::Rss => 0,
            SourceFormat::Atom => 1,
            SourceFormat::Jsonfeed => 2,
            SourceFormat::Ical => 3,
            _ => continue,
        };
        let w = &mut out[index];
        let origin = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
        let base = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        w.docs.push((format!("{}/{:04}-{base}", w.name, w.docs.len()), origin, data));
    }
    out.retain(|w| !w.docs.is_empty());
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every document under `out`, and `manifest.json` naming them per workload.
fn write_inputs(out: &Path, workloads: &[Workload], fetched_at: DateTime<Utc>) -> Result<(), String> {
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    for w in workloads.iter().filter(|w| w.kind == "corpus") {
        let dir = out.join(&w.name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| io(&dir, e))?;
        }
    }
    let mut manifest = Vec::new();
    for w in workloads {
        for (rel, _, data) in &w.docs {
            let path = out.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            std::fs::write(&path, data).map_err(|e| io(&path, e))?;
        }
        manifest.push(json!({
            "name": w.name,
            "format": w.format,
            "kind": w.kind,
            "bytes": w.bytes(),
            "files": w.docs.iter().map(|d| &d.0).collect::<Vec<_>>(),
            "origins": w.docs.iter().map(|d| &d.1).collect::<Vec<_>>(),
        }));
    }
    let horizon_end = fetched_at + Duration::days(i64::from(HORIZON_DAYS));
    let manifest = json!({
        "fetched_at": fetched_at.to_rfc3339(),
        "horizon_days": HORIZON_DAYS,
        "horizon_end": horizon_end.to_rfc3339(),
        "lookback_days": learncity_readers::ical::LOOKBACK_DAYS,
        "workloads": manifest,
    });
    let path = out.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| io(&path, e))
}
