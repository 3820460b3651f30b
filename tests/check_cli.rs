//! `learncity check` as a provider runs it: the real binary, real files.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_learncity"))
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(rel)
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("learncity-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("temp file");
    path
}

/// Runs check on `path`; returns (exit code, stdout, stderr).
fn check(args: &[&str]) -> (i32, String, String) {
    let out = bin().arg("check").args(args).output().expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_one_line_error(path: &Path, must_contain: &str) {
    let stdout = assert_fails(path, must_contain);
    assert!(stdout.is_empty(), "nothing on stdout expected: {stdout}");
}

/// Asserts a non-zero exit with one `error:` line naming the problem; returns stdout.
fn assert_fails(path: &Path, must_contain: &str) -> String {
    let (code, stdout, stderr) = check(&[path.to_str().expect("utf-8 path")]);
    assert_ne!(code, 0, "exit code for {}", path.display());
    assert_ne!(code, 101, "check panicked on {}: {stderr}", path.display());
    assert_eq!(stderr.trim().lines().count(), 1, "one-line error expected, got: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(must_contain), "`{must_contain}` not in: {stderr}");
    stdout
}

#[test]
fn binary_file_is_refused_with_a_clear_error() {
    let png = temp_file("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10");
    assert_one_line_error(&png, "binary (a PNG image)");
}

#[test]
fn empty_file_is_refused_with_a_clear_error() {
    assert_one_line_error(&temp_file("empty.xml", b""), "empty");
    assert_one_line_error(&temp_file("blank.ics", b"\n\n  \n"), "empty");
}

#[test]
fn truncated_feed_is_refused_with_a_clear_error() {
    let feed = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Library</title><item><title>\xd0\x9b\xd0\xb5\xd0\xba\xd1\x86\xd0\xb8\xd1\x8f</title><link>https://lib.example/1</link></item><item><title>Second";
    // The complete item is still shown, so the provider sees how far the document got.
    let stdout = assert_fails(&temp_file("truncated.xml", feed), "truncated");
    assert!(stdout.contains("Лекция") && stdout.contains("1 offerings"), "{stdout}");
    // Cut before any complete item: nothing to show at all.
    let stdout = assert_fails(&temp_file("cut.xml", &feed[..60]), "truncated");
    assert!(stdout.is_empty(), "{stdout}");
}

#[test]
fn missing_file_names_the_path() {
    assert_one_line_error(Path::new("/nonexistent/feed.xml"), "/nonexistent/feed.xml");
}

#[test]
fn table_and_json_outputs_agree() {
    let doc = fixture("rss/college-events-windows1251.xml");
    let doc = if doc.exists() { doc } else { first_fixture("rss") };
    let (code, table, stderr) = check(&[doc.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stderr}");
    let (code, json, _) = check(&[doc.to_str().expect("utf-8"), "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).expect("--json prints JSON");
    let offerings = v["offerings"].as_array().expect("offerings array");
    assert!(!offerings.is_empty());
    for o in offerings {
        let title = o["title"].as_str().expect("title");
        assert!(table.contains(title), "table lacks `{title}`:\n{table}");
    }
    assert!(table.contains(&format!("{} offerings", offerings.len())), "{table}");
}

#[test]
fn provider_file_errors_name_file_line_and_field() {
    let provider =
        temp_file("bad-provider.toml", b"id = \"lib\"\n\n[reader]\ntime-zone = \"Europe/Minsk\"\nhorizon = 30\n");
    let doc = first_fixture("rss");
    let (code, _, stderr) = check(&[doc.to_str().expect("utf-8"), "--provider", provider.to_str().expect("utf-8")]);
    assert_ne!(code, 0);
    assert!(stderr.contains("bad-provider.toml:5:1") && stderr.contains("horizon"), "{stderr}");
}

#[test]
fn forced_format_that_does_not_fit_is_an_error() {
    let doc = first_fixture("rss");
    let (code, _, stderr) = check(&[doc.to_str().expect("utf-8"), "--format", "ical"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("iCalendar"), "{stderr}");
}

fn first_fixture(format: &str) -> PathBuf {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(fixture(format))
        .expect("fixture dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.to_string_lossy();
            !n.ends_with(".expected.json") && !n.ends_with(".provider.toml")
        })
        .collect();
    docs.sort();
    docs.into_iter()
        .find(|d| {
            std::fs::read_to_string(
                d.with_file_name(format!("{}.expected.json", d.file_stem().unwrap_or_default().to_string_lossy())),
            )
            .is_ok_and(|t| t.contains("\"offerings\": [\n"))
        })
        .expect("a readable fixture")
}

/// A listing served in pages (here a JSON Feed's `next_url`) is read page by page, as the
/// collector reads it.
#[test]
fn a_multi_page_url_is_read_page_by_page() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = runtime.block_on(learncity_testkit::FixtureServer::start());
    let page = |items: &[&str], next: Option<&str>| {
        let items: Vec<serde_json::Value> = items
            .iter()
            .map(|id| serde_json::json!({"id": id, "title": format!("Лекция {id}"), "url": format!("https://lib.example/{id}")}))
            .collect();
        let mut feed =
            serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "title": "Library", "items": items});
        if let Some(next) = next {
            feed["next_url"] = next.into();
        }
        serde_json::to_vec(&feed).expect("json")
    };
    server.set("/feed/1.json", "application/feed+json", page(&["a", "b"], Some("/feed/2.json")));
    server.set("/feed/2.json", "application/feed+json", page(&["c"], None));
    let url = server.url("/feed/1.json");
    let (code, stdout, stderr) = check(&[url.as_str(), "--allow-private"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Лекция a") && stdout.contains("Лекция c"), "{stdout}");
    assert!(stdout.contains("3 offerings") && stdout.contains("read 2 pages"), "{stdout}");
    drop(server);
}

/// An XCRI-CAP 1.2 course catalogue is recognised and read: one offering per presentation.
#[test]
fn an_xcri_cap_catalogue_yields_its_presentations() {
    let doc = fixture("xcri/bonn-college-catalog.xml");
    let (code, json, stderr) = check(&[doc.to_str().expect("utf-8"), "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("--json prints JSON");
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("xcri/bonn-college-catalog.expected.json")).expect("golden file"),
    )
    .expect("golden JSON");
    let titles = |v: &serde_json::Value| -> Vec<String> {
        v["offerings"].as_array().expect("offerings").iter().map(|o| o["title"].as_str().unwrap().to_owned()).collect()
    };
    assert!(!titles(&v).is_empty());
    assert_eq!(titles(&v), titles(&expected));
    assert!(v["offerings"].as_array().unwrap().iter().all(|o| o["provenance"]["format"] == "xcri"), "{json}");
}
