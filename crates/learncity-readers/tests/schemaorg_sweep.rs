//! The schema.org examples (`../shared/corpora/schemaorg/split/eg-*/`: one example rendered as
//! JSON-LD and as microdata) and the OpenActive example feeds go through the HTML/JSON-LD reader
//! without a panic, and the JSON-LD and microdata renderings of the same Course/Event example
//! give the same titles.
//!
//! The corpora are other projects' test data beside the checkout; the test fails loudly when
//! they are missing.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use learncity_model::{ProviderRef, SourceFormat};
use learncity_readers::draft::Draft;
use learncity_readers::text::collapse_whitespace;
use learncity_readers::{ReadContext, ReadError, ReaderSettings, Warning};

fn corpora() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora")
}

type Outcome = Result<(Vec<Draft>, SourceFormat), ReadError>;

/// Reads one document with `read_page`, catching a panic.
fn read(text: &str) -> Result<Outcome, String> {
    let provider = ProviderRef { id: "corpus".into(), name: None };
    let settings = ReaderSettings { time_zone: "Europe/Minsk".into(), ..ReaderSettings::default() };
    let url = url::Url::parse("https://provider.example/examples/page.html").expect("static url");
    let ctx = ReadContext {
        provider: &provider,
        settings: &settings,
        document_url: Some(&url),
        content_type: None,
        fetched_at: DateTime::parse_from_rfc3339("2025-03-01T09:00:00Z").expect("instant").with_timezone(&Utc),
    };
    catch_unwind(AssertUnwindSafe(|| {
        let mut warnings: Vec<Warning> = Vec::new();
        learncity_readers::html::read_page(text, &ctx, &mut warnings)
    }))
    .map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    })
}

/// The microdata renderings are fragments (a `<div itemscope>`): wrap them into a page.
fn as_page(fragment: &str) -> String {
    format!("<!DOCTYPE html>\n<html><head><title>example</title></head><body>\n{fragment}\n</body></html>")
}

/// Titles compared as a reader would: case, spacing and surrounding quotes aside (the
/// editors typed `"Peindre l'impossible"` with quotes in one rendering and not the other).
fn titles(outcome: &Outcome) -> Vec<String> {
    match outcome {
        Ok((drafts, _)) => drafts
            .iter()
            .map(|d| {
                let t = collapse_whitespace(d.title.as_deref().unwrap_or(""));
                t.trim_matches(|c: char| "\"'«»“”„".contains(c)).to_lowercase()
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Examples whose two renderings really describe different things (checked by hand):
/// eg-0009's JSON-LD events have no name, its microdata names the venue; eg-0172's JSON-LD
/// holds only the Place and the Offer, not the Event; eg-0426 is "The Missoula Marathon" in
/// JSON-LD and "The 2016 Missoula Marathon" in microdata.
const KNOWN_DIVERGENT: &[&str] = &["eg-0009", "eg-0172", "eg-0426"];

fn yields(outcome: &Outcome) -> bool {
    matches!(outcome, Ok((drafts, _)) if !drafts.is_empty())
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn schemaorg_examples_read_alike_in_jsonld_and_microdata() {
    let split = corpora().join("schemaorg/split");
    assert!(split.is_dir(), "the schema.org corpus is missing at {}", split.display());
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(&split).expect("readable").flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    assert!(dirs.len() >= 40, "only {} examples under {}", dirs.len(), split.display());

    let mut panics = Vec::new();
    let (mut documents, mut with_drafts) = (0, 0);
    let (mut pairs, mut agreeing) = (0, 0);
    let mut disagreements = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut by_rendering = Vec::new();
        for (file, wrap) in [("jsonld.html", false), ("jsonld.json", false), ("microdata.html", true)] {
            let Ok(text) = std::fs::read_to_string(dir.join(file)) else { continue };
            documents += 1;
            let text = if wrap { as_page(&text) } else { text };
            match read(&text) {
                Ok(outcome) => {
                    with_drafts += usize::from(yields(&outcome));
                    by_rendering.push((file, outcome));
                }
                Err(msg) => panics.push(format!("{name}/{file}: {msg}")),
            }
        }
        let jsonld = by_rendering.iter().find(|(f, _)| *f == "jsonld.html").map(|(_, o)| o);
        let micro = by_rendering.iter().find(|(f, _)| *f == "microdata.html").map(|(_, o)| o);
        // Some examples have no microdata rendering, only a comment saying so.
        let has_microdata = std::fs::read_to_string(dir.join("microdata.html")).is_ok_and(|t| t.contains("itemscope"));
        if let (Some(j), Some(m)) = (jsonld, micro)
            && has_microdata
            && (yields(j) || yields(m))
        {
            pairs += 1;
            if titles(j) == titles(m) {
                agreeing += 1;
            } else {
                disagreements.push((name.clone(), format!("JSON-LD {:?} vs microdata {:?}", titles(j), titles(m))));
            }
        }
    }
    println!("schema.org examples: {with_drafts} of {documents} renderings yield at least one draft");
    println!("JSON-LD vs microdata: {agreeing} of {pairs} Course/Event examples give the same titles");
    for (name, d) in &disagreements {
        println!("  differs: {name}: {d}");
    }
    assert!(panics.is_empty(), "read_page panicked on:\n{}", panics.join("\n"));
    assert!(pairs >= 12, "only {pairs} examples have both renderings with an offering");
    // Every disagreement must be one of the hand-checked divergences of the corpus itself; any
    // other is a reader bug. That also bounds the rate: at least (pairs - 3) / pairs agree.
    let unexpected: Vec<String> = disagreements
        .iter()
        .filter(|(name, _)| !KNOWN_DIVERGENT.contains(&name.as_str()))
        .map(|(name, d)| format!("{name}: {d}"))
        .collect();
    assert!(unexpected.is_empty(), "JSON-LD and microdata disagree on:\n{}", unexpected.join("\n"));
    assert!(agreeing + KNOWN_DIVERGENT.len() >= pairs, "{agreeing} of {pairs} agree");
}

#[test]
fn openactive_examples_never_panic() {
    let root = corpora().join("openactive-data-models/versions");
    assert!(root.is_dir(), "the OpenActive corpus is missing at {}", root.display());
    let mut files = Vec::new();
    json_files(&root, &mut files);
    files.sort();
    assert!(files.len() > 100, "only {} OpenActive files", files.len());
    let mut panics = Vec::new();
    let mut with_drafts = Vec::new();
    let mut titled = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable corpus file");
        match read(&text) {
            Ok(outcome) if yields(&outcome) => {
                titled += usize::from(titles(&outcome).iter().any(|t| !t.is_empty()));
                with_drafts.push(file.strip_prefix(&root).unwrap_or(file).display().to_string());
            }
            Ok(_) => {}
            Err(msg) => panics.push(format!("{}: {msg}", file.display())),
        }
    }
    // The other files are model specifications, not data.
    println!(
        "OpenActive: {} of {} JSON files yield at least one draft, {titled} a titled one",
        with_drafts.len(),
        files.len()
    );
    for f in &with_drafts {
        println!("  {f}");
    }
    assert!(panics.is_empty(), "read_page panicked on:\n{}", panics.join("\n"));
    // Every example feed of an offering type (course instance, event, session series, on-demand
    // event, scheduled session) must give drafts.
    for example in [
        "courseinstance_example_1.json",
        "event_example_1.json",
        "sessionseries_example_1.json",
        "ondemandevent_example_1.json",
        "scheduledsession_example_1.json",
    ] {
        assert!(with_drafts.iter().any(|f| f.ends_with(example)), "{example} yields no draft");
    }
}
