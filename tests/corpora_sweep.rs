//! Every feed, calendar and page of the public corpora in `../shared/corpora/` goes through the
//! code `learncity check` runs (read + render) without a panic. Prints, per corpus, how many
//! documents yield at least one offering, how many are refused with an error, and how many read
//! cleanly but hold no offering.
//!
//! The corpora are other projects' test data, kept beside the checkout (never copied into it).
//! The test fails loudly when they are missing.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use learncity_model::ProviderRef;
use learncity_readers::{FormatHint, ReadContext, ReaderSettings};

fn corpora_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora")
}

/// Documentation and ground-truth files of the corpora, which are not provider documents.
fn is_document(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
    !(name.starts_with("LICENSE")
        || name == "SOURCE.txt"
        || name.ends_with(".serde.json")
        || matches!(ext, "md" | "rst" | "txt" | "jsonl" | "tab" | "js" | "py"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if is_document(&path) {
            out.push(path);
        }
    }
}

#[derive(Default, Debug)]
struct Tally {
    documents: usize,
    with_offerings: usize,
    offerings: usize,
    errors: usize,
    empty: usize,
}

#[test]
fn every_corpus_document_goes_through_check_without_panic() {
    let root = corpora_dir();
    assert!(
        root.is_dir(),
        "the public corpora are missing at {}: CI and developers keep shared/ beside the checkout",
        root.display()
    );
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    assert!(files.len() > 3000, "only {} corpus documents found under {}", files.len(), root.display());

    let provider = ProviderRef { id: "corpus".into(), name: None };
    let settings = ReaderSettings::default();
    let fetched_at: DateTime<Utc> =
        DateTime::parse_from_rfc3339("2025-03-01T09:00:00Z").expect("instant").with_timezone(&Utc);
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut panics = Vec::new();
    // Keep the default hook from printing thousands of backtraces: failures are listed below.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for file in &files {
        let rel = file.strip_prefix(&root).unwrap_or(file);
        let corpus = rel.iter().take(2).map(|c| c.to_string_lossy()).collect::<Vec<_>>().join("/");
        let tally = tallies.entry(corpus).or_default();
        tally.documents += 1;
        let bytes = std::fs::read(file).expect("readable corpus file");
        let url = url::Url::from_file_path(file).ok();
        let ctx = ReadContext {
            provider: &provider,
            settings: &settings,
            document_url: url.as_ref(),
            content_type: None,
            fetched_at,
        };
        let result = catch_unwind(AssertUnwindSafe(|| {
            learncity_readers::read(&bytes, FormatHint::Auto, &ctx).map(|out| {
                let _ = learncity::check::render_table(&out);
                out.offerings.len()
            })
        }));
        match result {
            Ok(Ok(0)) => tally.empty += 1,
            Ok(Ok(n)) => {
                tally.with_offerings += 1;
                tally.offerings += n;
            }
            Ok(Err(_)) => tally.errors += 1,
            Err(_) => panics.push(rel.display().to_string()),
        }
    }
    std::panic::set_hook(previous_hook);

    println!("{:<40} {:>6} {:>10} {:>10} {:>7} {:>7}", "corpus", "docs", "≥1 offer", "offerings", "errors", "empty");
    let mut total = Tally::default();
    for (corpus, t) in &tallies {
        println!(
            "{corpus:<40} {:>6} {:>10} {:>10} {:>7} {:>7}",
            t.documents, t.with_offerings, t.offerings, t.errors, t.empty
        );
        total.documents += t.documents;
        total.with_offerings += t.with_offerings;
        total.offerings += t.offerings;
        total.errors += t.errors;
        total.empty += t.empty;
    }
    println!(
        "{:<40} {:>6} {:>10} {:>10} {:>7} {:>7}",
        "total", total.documents, total.with_offerings, total.offerings, total.errors, total.empty
    );
    assert!(panics.is_empty(), "check panicked on {} corpus documents:\n{}", panics.len(), panics.join("\n"));
    // Most corpus documents hold no item at all (feed-level tests, 1,198 VTIMEZONE files,
    // model specifications); 789 of 4,217 yielded an offering when this floor was set. A reader
    // that silently stops yielding shows here.
    const FLOOR: usize = 760;
    assert!(
        total.with_offerings >= FLOOR,
        "only {} of {} corpus documents yield an offering (floor {FLOOR})",
        total.with_offerings,
        total.documents
    );
}
