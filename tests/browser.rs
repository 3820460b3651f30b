//! The catalogue's pages in a real browser: headless Chromium (Debian's `chromium`), driven by
//! `chromedriver` (Debian's `chromium-driver`) over WebDriver. A resident searches in Cyrillic
//! and in Latin letters, filters, opens an entry, switches the interface language (which sticks,
//! by cookie), subscribes to the filtered view as a calendar; a provider's hostile description
//! and title run nothing in the browser. Screenshots of the home page and an entry page are
//! left in `target/screenshots/`.
//!
//! An operator signs in to the console (`/admin`) of `learncity run` on the demo city, splits a
//! wrong merge, merges two entries, hides a junk item and pins a category; the public API shows
//! each decision, and after a restart still does.
//!
//! Nothing is skipped: without Chromium the test fails, telling to run `scripts/test` (which
//! installs it).

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Datelike as _;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt as _;
use learncity_model::{Entry, Mode, Status};
use learncity_store::{CatalogStore, Changeset, EntryChange};
use learncity_testkit::offerings::{OfferingExt, entry_of, in_days, offering};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long to wait for a page, an element or a service.
const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

/// The city's entries: an English course from two providers, an online Python course, a
/// museum tour whose provider sent a hostile title and description, a cancelled lecture.
fn city() -> Vec<Entry> {
    let mut english = offering("vsu", "eng", "Курсы английского языка в Витебске")
        .city("Витебск")
        .venue("ВГУ, корпус 2")
        .at(&in_days(5, 18))
        .at(&in_days(12, 18))
        .url("https://vsu.example/eng");
    english.summary = Some("Для начинающих, 12 занятий".into());
    english.price = Some(learncity_model::Price::free());
    let english_lib = offering("library", "ev-1", "Kursy angliyskogo yazyka").city("Viciebsk").at(&in_days(5, 18));
    let mut python =
        offering("itacademy", "py", "Программирование на Python для школьников").city("Vitebsk").at(&in_days(8, 16));
    python.mode = Mode::Online;
    let mut hostile = offering("museum", "x", "<img src=x onerror=\"window.__xss='title'\"> Экскурсия по Ратуше")
        .city("Віцебск")
        .at(&in_days(3, 11));
    hostile.description_html = Some(
        "<p>Ратуша</p><script>window.__xss='script'</script><img src=x onerror=\"window.__xss='onerror'\">\
<a id=evil href=\"javascript:window.__xss='link'\">click</a>"
            .into(),
    );
    let cancelled =
        offering("museum", "c", "Лекция о Шагале").city("Віцебск").at(&in_days(4, 17)).status(Status::Cancelled);
    vec![entry_of(&[english, english_lib]), entry_of(&[python]), entry_of(&[hostile]), entry_of(&[cancelled])]
}

/// `learncity serve` in-process on a SQLite store holding `entries`.
struct Service {
    base: String,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Service {
    async fn start(entries: &[Entry]) -> Service {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn CatalogStore> =
            Arc::new(learncity_store::SqliteStore::open(&dir.path().join("catalog.sqlite")).await.unwrap());
        let changes = Changeset {
            entries: entries.iter().map(|e| EntryChange::Put { partition: 0, entry: e.clone() }).collect(),
            ..Default::default()
        };
        store.apply(&changes).await.unwrap();
        let settings = learncity_config::ServeSettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            public_url: "https://learn.vitebsk.example".into(),
            title: "Learning in Vitebsk".into(),
            refresh_interval: Duration::from_millis(100),
            ..Default::default()
        };
        let stop = CancellationToken::new();
        let (bound, _task) = learncity_serve::start(
            settings,
            store,
            None,
            learncity_serve::CurationContext { topic: "curation".into(), ..Default::default() },
            stop.clone(),
        )
        .await
        .unwrap();
        let service = Service { base: format!("http://{bound}"), stop, _dir: dir };
        let client = reqwest::Client::new();
        let ready = format!("{}/readyz", service.base);
        eventually("the service to become ready", async || {
            let status = client.get(&ready).send().await.map_err(|e| e.to_string())?.status();
            if status == 200 { Ok(()) } else { Err(format!("/readyz: {status}")) }
        })
        .await;
        service
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// `chromedriver --port=N`, killed when dropped.
struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    async fn start() -> ChromeDriver {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: the browser tests need Debian's {package}; run scripts/test, which installs it"
            );
        }
        let port = learncity_testkit::broker::free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let mut driver = ChromeDriver { child, url: format!("http://127.0.0.1:{port}") };
        let client = reqwest::Client::new();
        let status = format!("{}/status", driver.url);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(exit) = driver.child.try_wait().unwrap() {
                panic!("chromedriver exited before answering: {exit}");
            }
            let answer = match client.get(&status).send().await {
                Ok(r) => r
                    .text()
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|body| serde_json::from_str::<Value>(&body).map_err(|e| format!("{e}: {body}"))),
                Err(e) => Err(e.to_string()),
            };
            match answer {
                Ok(v) if v["value"]["ready"] == true => return driver,
                last => assert!(Instant::now() < deadline, "chromedriver did not answer GET /status: {last:?}"),
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// A new browser session: headless Chromium whose resident prefers Russian.
    async fn session(&self) -> Client {
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--no-first-run",
                    "--window-size=1280,900",
                ],
                "prefs": {"intl.accept_languages": "ru-RU,ru"},
            },
        });
        let Value::Object(capabilities) = capabilities else { unreachable!() };
        let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(capabilities);
        let connect = builder.connect(&self.url);
        match tokio::time::timeout(Duration::from_secs(90), connect).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!("chromedriver could not start {CHROMIUM}: {e}"),
            Err(_) => panic!("chromedriver did not start {CHROMIUM} within 90 s"),
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `probe` until it gives a value; panics after [`WAIT`] with what it last saw.
async fn eventually<T>(what: &str, mut probe: impl AsyncFnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        match probe().await {
            Ok(v) => return v,
            Err(last) => {
                assert!(Instant::now() < deadline, "timed out after {WAIT:?} waiting for {what}; last: {last}")
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the browser has fully loaded a page whose URL satisfies `is_it`.
async fn wait_for_page(c: &Client, what: &str, is_it: impl Fn(&url::Url) -> bool) -> url::Url {
    eventually(what, async || {
        let url = c.current_url().await.map_err(|e| e.to_string())?;
        let state = c.execute("return document.readyState", vec![]).await.map_err(|e| e.to_string())?;
        if is_it(&url) && state == "complete" { Ok(url) } else { Err(format!("at {url} ({state})")) }
    })
    .await
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

async fn find(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"))
}

async fn text_of(c: &Client, css: &str) -> String {
    find(c, css).await.text().await.unwrap()
}

async fn page_lang(c: &Client) -> String {
    find(c, "html").await.attr("lang").await.unwrap().unwrap_or_default()
}

/// The titles of the listed results, as shown.
async fn result_titles(c: &Client) -> Vec<String> {
    let mut titles = Vec::new();
    for a in c.find_all(Locator::Css("ol.results li > a")).await.unwrap() {
        titles.push(a.text().await.unwrap());
    }
    titles.sort();
    titles
}

/// The texts of the list items under the heading `heading` of the entry page.
async fn items_under(c: &Client, heading: &str) -> Vec<String> {
    let xpath = format!("//article/h2[normalize-space(.)='{heading}']/following-sibling::ul[1]/li");
    let mut items = Vec::new();
    for li in c.find_all(Locator::XPath(&xpath)).await.unwrap() {
        items.push(li.text().await.unwrap());
    }
    items
}

/// Types `text` into the search box and submits; the titles found.
async fn search(c: &Client, text: &str) -> Vec<String> {
    let q = find(c, "#q").await;
    q.clear().await.unwrap();
    q.send_keys(text).await.unwrap();
    assert_eq!(q.prop("value").await.unwrap().as_deref(), Some(text), "typed into the search box");
    find(c, "form.search button[type=submit]").await.click().await.unwrap();
    let url = wait_for_page(c, &format!("the results for {text}"), |u| param(u, "q").as_deref() == Some(text)).await;
    assert_eq!(find(c, "#q").await.prop("value").await.unwrap().as_deref(), Some(text), "the box keeps {text}: {url}");
    result_titles(c).await
}

/// Takes a screenshot to `target/screenshots/{name}` and checks it is a PNG.
async fn screenshot(c: &Client, name: &str) -> PathBuf {
    let dir = learncity_testkit::repo_root().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, c.screenshot().await.unwrap()).unwrap();
    let png = std::fs::read(&path).unwrap();
    assert!(png.len() > 24 && png.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is not a PNG", path.display());
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert!(width > 0 && height > 0, "{}: {width}×{height}", path.display());
    println!("screenshot: {} ({width}×{height}, {} bytes)", path.display(), png.len());
    path
}

async fn no_script_ran(c: &Client, page: &str) {
    let untouched = c.execute("return window.__xss === undefined", vec![]).await.unwrap();
    let xss = c.execute("return String(window.__xss)", vec![]).await.unwrap();
    assert_eq!(untouched, true, "{page}: provider markup ran script (window.__xss = {xss})");
}

/// What a resident does, step by step.
async fn resident(c: Client, base: String, entries: Vec<Entry>) {
    let titles = |keep: &dyn Fn(&Entry) -> bool| {
        let mut t: Vec<String> = entries.iter().filter(|e| keep(e)).map(|e| e.title.clone()).collect();
        t.sort();
        t
    };
    let (english, python, hostile) = (&entries[0], &entries[1], &entries[2]);

    // The home page, in the browser's language (Russian), with the upcoming entries.
    c.goto(&format!("{base}/")).await.unwrap();
    wait_for_page(&c, "the home page", |u| u.path() == "/").await;
    assert_eq!(page_lang(&c).await, "ru", "Russian from the browser's Accept-Language");
    assert_eq!(text_of(&c, "label[for=q]").await, "Что вы ищете?");
    assert_eq!(result_titles(&c).await, titles(&|e| e.status != Status::Cancelled));
    screenshot(&c, "home.png").await;

    // Search in Cyrillic and in Latin letters: the same entries.
    let cyrillic = search(&c, "Витебск").await;
    assert_eq!(cyrillic, titles(&|e| e.status != Status::Cancelled), "Витебск finds every current entry");
    no_script_ran(&c, "results with a hostile title").await;
    let latin = search(&c, "Vitebsk").await;
    assert_eq!(latin, cyrillic, "Vitebsk finds what Витебск finds");

    // Open an entry from the results: its sessions and every source.
    c.find(Locator::LinkText(&english.title)).await.unwrap().click().await.unwrap();
    let path = format!("/entry/{}", english.id);
    wait_for_page(&c, "the English course's page", |u| u.path() == path).await;
    assert_eq!(text_of(&c, "article h1").await, english.title);
    let sessions = items_under(&c, "Занятия").await;
    assert_eq!(sessions.len(), english.sessions.len(), "{sessions:?}");
    for session in &english.sessions {
        // "вт, 12 янв. 2027 г., 18:30": weekday and day in Russian, the time as published.
        let weekday =
            ["пн", "вт", "ср", "чт", "пт", "сб", "вс"][session.start.weekday().num_days_from_monday() as usize];
        let (day, time) = (format!("{weekday}, {} ", session.start.day()), session.start.format("%H:%M").to_string());
        assert!(sessions.iter().any(|s| s.starts_with(&day) && s.contains(&time)), "{day}… {time} in {sessions:?}");
    }
    let sources = items_under(&c, "Источники").await;
    assert_eq!(sources.len(), 2, "{sources:?}");
    for provider in ["Provider vsu", "Provider library"] {
        assert!(sources.iter().any(|s| s.starts_with(provider)), "{provider} in {sources:?}");
    }
    screenshot(&c, "entry.png").await;

    // Switch to English; the choice sticks (cookie) on the next page, whose URL has no `lang`.
    c.find(Locator::LinkText("English")).await.unwrap().click().await.unwrap();
    wait_for_page(&c, "the entry page in English", |u| u.path() == path && param(u, "lang").as_deref() == Some("en"))
        .await;
    assert_eq!(page_lang(&c).await, "en");
    assert_eq!(items_under(&c, "Sessions").await.len(), english.sessions.len(), "English headings");
    assert_eq!(items_under(&c, "Sources").await.len(), 2);
    let cookie = c.get_named_cookie("lang").await.expect("the language cookie");
    assert_eq!(cookie.value(), "en");
    find(&c, "header > a[href='/']").await.click().await.unwrap();
    let url = wait_for_page(&c, "the home page again", |u| u.path() == "/").await;
    assert_eq!(param(&url, "lang"), None, "{url}");
    assert_eq!(page_lang(&c).await, "en", "the chosen language sticks");
    assert_eq!(text_of(&c, "label[for=q]").await, "What are you looking for?");
    assert_eq!(text_of(&c, "form.search button[type=submit]").await, "Search");

    // Filter: online only narrows the results.
    let all = search(&c, "Vitebsk").await;
    assert_eq!(all, latin);
    find(&c, "select#mode").await.select_by_value("online").await.unwrap();
    find(&c, "form.search button[type=submit]").await.click().await.unwrap();
    wait_for_page(&c, "the online results", |u| {
        param(u, "mode").as_deref() == Some("online") && param(u, "q").as_deref() == Some("Vitebsk")
    })
    .await;
    assert_eq!(find(&c, "select#mode").await.prop("value").await.unwrap().as_deref(), Some("online"));
    let online = result_titles(&c).await;
    assert_eq!(online, vec![python.title.clone()]);
    assert!(online.len() < all.len());

    // Subscribe: the iCal link of the filtered view is a calendar of the filtered entries.
    let ical = find(&c, "a[href^='/export.ics?']").await.prop("href").await.unwrap().expect("an href");
    let ical_url = url::Url::parse(&ical).unwrap();
    assert_eq!(param(&ical_url, "mode").as_deref(), Some("online"), "{ical}");
    assert_eq!(param(&ical_url, "q").as_deref(), Some("Vitebsk"), "{ical}");
    let response = reqwest::get(ical_url).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/calendar"), "{content_type}");
    let body = response.text().await.unwrap();
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n") && body.trim_end().ends_with("END:VCALENDAR"), "{body}");
    let unfolded = body.replace("\r\n ", "");
    assert_eq!(unfolded.matches("BEGIN:VEVENT").count(), python.sessions.len(), "{unfolded}");
    assert!(unfolded.contains(&format!("SUMMARY:{}", python.title)), "{unfolded}");
    assert!(!unfolded.contains("английского"), "only the filtered entries: {unfolded}");

    // A provider's hostile title and description run nothing.
    c.goto(&format!("{base}/entry/{}", hostile.id)).await.unwrap();
    let path = format!("/entry/{}", hostile.id);
    wait_for_page(&c, "the hostile entry's page", |u| u.path() == path).await;
    assert_eq!(text_of(&c, "article h1").await, hostile.title, "the title is shown as text");
    assert!(c.find(Locator::XPath("//article//p[normalize-space(.)='Ратуша']")).await.is_ok(), "harmless markup stays");
    let mut links = c.find_all(Locator::Css("a#evil")).await.unwrap();
    links.extend(c.find_all(Locator::XPath("//article//a[normalize-space(.)='click']")).await.unwrap());
    println!("the description's link, as shown: {} element(s)", links.len());
    for link in links {
        let href = link.attr("href").await.unwrap().unwrap_or_default();
        assert!(!href.trim().to_ascii_lowercase().starts_with("javascript:"), "a javascript: link: {href}");
        link.click().await.unwrap();
    }
    wait_for_page(&c, "the hostile entry's page after the click", |u| u.path() == path).await;
    no_script_ran(&c, "the hostile entry").await;
    let count = |selector: &str| format!("return document.querySelectorAll({selector:?}).length");
    assert_eq!(c.execute(&count("[onerror]"), vec![]).await.unwrap(), 0, "no element with an onerror attribute");
    assert_eq!(
        c.execute(&count("script:not([type='application/ld+json'])"), vec![]).await.unwrap(),
        0,
        "no script element but the JSON-LD"
    );
    let js_links = "return Array.from(document.links).filter(a => a.protocol === 'javascript:').length";
    assert_eq!(c.execute(js_links, vec![]).await.unwrap(), 0, "no javascript: link");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_uses_the_catalogue_in_chromium() {
    let entries = city();
    let service = Service::start(&entries).await;
    // The browser session is closed (and Chromium ends) whether the steps pass or panic.
    in_chromium(async |c| resident(c.clone(), service.base.clone(), entries).await).await;
}

/// `learncity run` on the demo city (its committed config, the store in a temporary folder,
/// the catalogue on a free port), with one operator.
async fn curated_demo(store: &Path, stop: CancellationToken) -> learncity::run::Standalone {
    let mut config = learncity_config::load(&learncity_testkit::repo_root().join("config/demo.toml")).unwrap();
    config.catalog.store = format!("sqlite:{}", store.display());
    config.serve.listen = "127.0.0.1:0".parse().unwrap();
    config.serve.operators =
        vec![learncity_testkit::operators::operator("anna", learncity_config::OperatorRole::Operator)];
    learncity::run::start(config, stop).await.unwrap()
}

/// Every live entry through the API: id → (source keys, categories).
async fn api_catalogue(base: &str) -> Result<Vec<(String, Vec<String>, Vec<String>)>, String> {
    let mut out = Vec::new();
    let client = reqwest::Client::new();
    for page in 1.. {
        let url = format!("{base}/api/v1/entries?per_page=100&page={page}");
        let body = client.get(&url).send().await.map_err(|e| e.to_string())?.text().await.map_err(|e| e.to_string())?;
        let v: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
        let items = v["items"].as_array().ok_or(format!("no items: {v}"))?;
        if items.is_empty() {
            break;
        }
        for e in items {
            let strings = |field: &Value, key: Option<&str>| -> Vec<String> {
                field
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| key.map_or(x, |k| &x[k]).as_str().map(str::to_owned))
                    .collect()
            };
            out.push((
                e["id"].as_str().unwrap_or_default().to_owned(),
                strings(&e["sources"], Some("key")),
                strings(&e["categories"], None),
            ));
        }
    }
    Ok(out)
}

/// Fills the form holding `marker` (a CSS selector of one of its fields) with `fields`, a reason,
/// and submits it; waits for the answer's page.
async fn submit(c: &Client, marker: &str, fields: &[(&str, &str)], reason: &str) {
    let form = format!("form:has({marker})");
    for (name, value) in fields {
        let field = find(c, &format!("{form} [name={name}]")).await;
        if field.tag_name().await.unwrap() == "select" {
            field.select_by_value(value).await.unwrap();
        } else {
            field.send_keys(value).await.unwrap();
        }
    }
    find(c, &format!("{form} input[name=reason]")).await.send_keys(reason).await.unwrap();
    find(c, &format!("{form} button")).await.click().await.unwrap();
    wait_for_page(c, "the decision's answer", |u| u.query().is_some_and(|q| q.contains("msg="))).await;
}

/// An entry as the checks see it: id, source keys, categories.
type Seen = (String, Vec<String>, Vec<String>);

/// What the operator decided, by source key.
#[derive(Debug, Clone)]
struct Decided {
    /// Taken out of `kept`'s entry (split).
    taken: String,
    kept: String,
    /// Merged into one entry.
    merged: (String, String),
    /// Hidden, and the entry it was alone in.
    junk: String,
    junk_entry: String,
    /// Pinned to the category `history-culture`.
    pinned: String,
}

impl Decided {
    /// `Ok` when `entries` (of the API, the catalog topic...) show every decision.
    fn shown_in(&self, entries: &[Seen]) -> Result<(), String> {
        let of = |key: &str| entries.iter().find(|(_, keys, _)| keys.iter().any(|k| k == key));
        let id = |key: &str| of(key).map(|e| e.0.clone());
        if id(&self.taken) == id(&self.kept) {
            return Err("the split is not applied".into());
        }
        if id(&self.merged.0).is_none() || id(&self.merged.0) != id(&self.merged.1) {
            return Err("the merge is not applied".into());
        }
        if of(&self.junk).is_some() {
            return Err("the junk item is still shown".into());
        }
        if of(&self.pinned).map(|e| e.2.clone()) != Some(vec!["history-culture".to_owned()]) {
            return Err("the category is not pinned".into());
        }
        Ok(())
    }
}

impl Decided {
    /// `Ok` when the JSON Feed export of `base` shows the decisions: the hidden item's entry is
    /// not in it, the pinned entry carries its pinned category alone.
    async fn shown_in_export(&self, base: &str, entries: &[Seen]) -> Result<(), String> {
        let export = exported(base).await?;
        if export.contains_key(&self.junk_entry) {
            return Err("the hidden item is in the export".into());
        }
        let pinned = entries.iter().find(|(_, keys, _)| keys.contains(&self.pinned)).ok_or("no pinned entry")?;
        if export.get(&pinned.0) != Some(&vec!["history-culture".to_owned()]) {
            return Err(format!("the pinned entry is exported with {:?}", export.get(&pinned.0)));
        }
        Ok(())
    }

    /// `Ok` when the public pages of `base` show the decisions: the hidden item's entry page is
    /// gone, the pinned entry's page names its pinned category.
    async fn shown_on_pages(&self, base: &str, entries: &[Seen]) -> Result<(), String> {
        let page = async |path: String| -> Result<(u16, String), String> {
            let r = reqwest::get(format!("{base}{path}")).await.map_err(|e| e.to_string())?;
            Ok((r.status().as_u16(), r.text().await.map_err(|e| e.to_string())?))
        };
        let (status, _) = page(format!("/entry/{}?lang=en", self.junk_entry)).await?;
        if status == 200 {
            return Err(format!("the hidden item's entry page {} is still shown", self.junk_entry));
        }
        let pinned = entries.iter().find(|(_, keys, _)| keys.contains(&self.pinned)).ok_or("no pinned entry")?;
        let (status, body) = page(format!("/entry/{}?lang=en", pinned.0)).await?;
        if status != 200 || !body.contains("History and culture") {
            return Err(format!("the pinned entry's page ({status}) does not name its category"));
        }
        Ok(())
    }
}

/// An operator signs in to the console in Chromium, splits a wrong merge, merges two entries,
/// hides a junk item and pins a category; the public API shows each change. Returns the
/// curated catalogue (through the API) and what was decided.
async fn operator(c: &Client, base: &str) -> (Vec<Seen>, Decided) {
    // The cluster mode's first fetches wait for the consumer groups: longer than a page.
    let catalogue = learncity_testkit::eventually(Duration::from_secs(180), "the demo catalogue", || async {
        let entries = api_catalogue(base).await?;
        if entries.len() > 100 { Ok(entries) } else { Err(format!("{} entries", entries.len())) }
    })
    .await;
    let multi = catalogue.iter().find(|(_, keys, _)| keys.len() >= 2).expect("the demo merges duplicates").clone();
    let singles: Vec<&Seen> = catalogue
        .iter()
        .filter(|(_, keys, cats)| keys.len() == 1 && !cats.contains(&"history-culture".into()))
        .collect();
    let (a, b, junk, pinned) = (singles[0].clone(), singles[1].clone(), singles[2].clone(), singles[3].clone());
    let decided = Decided {
        taken: multi.1[1].clone(),
        kept: multi.1[0].clone(),
        merged: (a.1[0].clone(), b.1[0].clone()),
        junk: junk.1[0].clone(),
        junk_entry: junk.0.clone(),
        pinned: pinned.1[0].clone(),
    };

    // Anonymous: the sign-in page.
    c.goto(&format!("{base}/admin")).await.unwrap();
    wait_for_page(c, "the sign-in page", |u| u.path() == "/admin/login").await;
    find(c, "#name").await.send_keys("anna").await.unwrap();
    find(c, "#password").await.send_keys(learncity_testkit::operators::PASSWORD).await.unwrap();
    find(c, "form button").await.click().await.unwrap();
    wait_for_page(c, "the console", |u| u.path() == "/admin").await;
    assert!(text_of(c, "main").await.contains("anna"));

    // Split: the wrong merge's second source out of it.
    c.goto(&format!("{base}/admin/entry/{}", multi.0)).await.unwrap();
    submit(c, &format!("input[name=sources][value=\"{}\"]", decided.taken), &[], "another course").await;
    // Merge: entry a with entry b.
    c.goto(&format!("{base}/admin/entry/{}", a.0)).await.unwrap();
    submit(c, "input[name=more]", &[("more", &b.0)], "one course").await;
    // Hide the junk item.
    c.goto(&format!("{base}/admin/entry/{}", junk.0)).await.unwrap();
    submit(c, &format!("input[name=action][value=hide] ~ input[name=targets][value=\"{}\"]", junk.0), &[], "junk")
        .await;
    // Pin a category.
    c.goto(&format!("{base}/admin/entry/{}", pinned.0)).await.unwrap();
    submit(c, "select[name=field]", &[("field", "categories"), ("value", "history-culture")], "history").await;
    let page = text_of(c, "main").await;
    assert!(page.contains("pin categories = history-culture"), "the console says what was decided: {page}");

    // The public API shows every decision once the builder has applied it.
    eventually("the decisions in the public catalogue", async || decided.shown_in(&api_catalogue(base).await?)).await;
    (api_catalogue(base).await.unwrap(), decided)
}

/// The browser steps `steps` against chromedriver, within 300 s; the browser closed after.
async fn in_chromium<T>(steps: impl AsyncFnOnce(&Client) -> T) -> T {
    let driver = ChromeDriver::start().await;
    let client = driver.session().await;
    let outcome = tokio::time::timeout(Duration::from_secs(300), AssertUnwindSafe(steps(&client)).catch_unwind()).await;
    let _ = client.close().await;
    drop(driver);
    match outcome {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the browser steps took more than 300 s"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_curates_the_catalogue_in_chromium_and_it_lasts() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("demo.sqlite");
    let stop = CancellationToken::new();
    let running = curated_demo(&store, stop.clone()).await;
    let base = format!("http://{}", running.serve_addr);
    let (curated, decided) = in_chromium(async |c| operator(c, &base).await).await;
    decided.shown_on_pages(&base, &curated).await.unwrap();
    decided.shown_in_export(&base, &curated).await.unwrap();
    stop.cancel();
    running.task.await.unwrap().unwrap();

    // A restart from the same store: the same curated catalogue.
    let stop = CancellationToken::new();
    let running = curated_demo(&store, stop.clone()).await;
    let base = format!("http://{}", running.serve_addr);
    let mut want = curated;
    want.sort();
    eventually("the same catalogue after a restart", async || {
        let mut now = api_catalogue(&base).await?;
        now.sort();
        if now == want { Ok(()) } else { Err(format!("{} entries, {} before", now.len(), want.len())) }
    })
    .await;
    stop.cancel();
    running.task.await.unwrap().unwrap();
}

/// Adds the provider `id` reading `url` in the console's "add a provider" (Chromium): checked
/// first (what the collector would read), then saved.
async fn add_provider(c: &Client, base: &str, id: &str, url: &str) {
    c.goto(&format!("{base}/admin/providers/new")).await.unwrap();
    for (field, value) in [("#id", id), ("#name", "Городская библиотека"), ("#url", url), ("#city", "Витебск")]
    {
        find(c, field).await.send_keys(value).await.unwrap();
    }
    find(c, "input[name=allow_private]").await.click().await.unwrap();
    find(c, "button[name=step][value=check]").await.click().await.unwrap();
    let save = find(c, "form.save button[name=step][value=save]").await;
    let page = text_of(c, "main").await;
    assert!(!page.contains("error"), "the check read the document: {page}");
    save.click().await.unwrap();
    wait_for_page(c, "the provider saved", |u| u.query().is_some_and(|q| q.contains("msg="))).await;
}

/// Every entry of the catalog topic, reduced as a downstream service does.
async fn topic_catalogue(bootstrap: &str, topic: &str) -> Vec<Seen> {
    let records = learncity_testkit::broker::read_topic_all(bootstrap, topic, Duration::from_secs(5)).await;
    let strings = |v: &Value| -> Vec<String> {
        v.as_array().into_iter().flatten().filter_map(|x| x.as_str().map(str::to_owned)).collect()
    };
    learncity_testkit::catalogue::reduce(&records)
        .into_iter()
        .map(|(id, e)| {
            let keys =
                e["sources"].as_array().into_iter().flatten().filter_map(|s| s["key"].as_str()).map(str::to_owned);
            (id, keys.collect(), strings(&e["categories"]))
        })
        .collect()
}

/// The JSON Feed export's items: entry id → tags.
async fn exported(base: &str) -> Result<BTreeMap<String, Vec<String>>, String> {
    let response = reqwest::get(format!("{base}/export.json")).await.map_err(|e| e.to_string())?;
    let body = response.text().await.map_err(|e| e.to_string())?;
    let feed: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
    let items = feed["items"].as_array().ok_or("no items")?;
    Ok(items
        .iter()
        .map(|i| {
            let tags = i["tags"].as_array().into_iter().flatten().filter_map(|t| t.as_str()).map(str::to_owned);
            (i["_learncity"]["id"].as_str().unwrap_or_default().to_owned(), tags.collect())
        })
        .collect())
}

/// The cluster mode of the demo city: the collector and catalog builder daemons over Kafka
/// (Tansu), the catalogue in PostgreSQL, `serve` on its own. An operator makes the same
/// decisions in Chromium and adds a provider by URL; the public API, the JSON Feed export and
/// the catalog topic show each change, and so do the public pages; after `catalog rebuild` and
/// a restart of every daemon they still do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_cluster_mode_an_operator_curates_in_chromium_and_it_lasts() {
    use learncity_testkit::broker::{Broker, unique_name};
    let city = Arc::new(learncity_citygen::demo(chrono::Utc::now().date_naive()));
    let served = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let demo_addr = listener.local_addr().unwrap();
    let demo = tokio::spawn(learncity_citygen::serve(Arc::clone(&city), listener, served.clone()));
    let library = learncity_testkit::http::FixtureServer::start().await;
    library.set("/library.xml", "application/rss+xml", learncity_testkit::fixture("rss/library-events-ev-georss.xml"));

    let dir = tempfile::tempdir().unwrap();
    let providers = dir.path().join("providers");
    std::fs::create_dir_all(&providers).unwrap();
    for p in &city.provider_files {
        let toml = p.toml.replace(learncity_citygen::DEMO_BASE_URL, &format!("http://{demo_addr}"));
        std::fs::write(providers.join(&p.file_name), toml).unwrap();
    }
    let broker = Broker::shared();
    let prefix = unique_name("browser");
    let schema = learncity_testkit::pg::unique_schema("browser");
    let config_path = dir.path().join("learncity.toml");
    let store = format!("{}?schema={schema}", learncity_testkit::pg::pg_url());
    let serve = format!(
        "[serve]\nlisten = \"127.0.0.1:0\"\nrefresh-interval = \"200ms\"\napi-rate-limit = 100000\napi-rate-burst = 100000\n\
         [[serve.operators]]\nname = \"anna\"\npassword-hash = \"{}\"\n",
        learncity_testkit::operators::HASH
    );
    std::fs::write(
        &config_path,
        learncity_testkit::broker::cluster_main_toml(&broker.bootstrap, &prefix, &store, &serve),
    )
    .unwrap();
    let learncity = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_learncity")).args(args).arg("--config").arg(&config_path).output();
        let out = out.unwrap();
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "learncity {args:?}: {said}");
    };
    learncity(&["topics", "ensure"]);
    let config = learncity_config::load(&config_path).unwrap();
    let catalog_topic = config.kafka.catalog_topic.clone();
    let daemons = async || {
        let stop = CancellationToken::new();
        let builder = tokio::spawn(learncity::catalog::run_until(config.clone(), stop.clone()));
        let collector = tokio::spawn(learncity::collect::run_until(config.clone(), stop.clone()));
        let (bound, serve) = learncity::serve::start(&config, stop.clone()).await.unwrap();
        (format!("http://{bound}"), stop, [builder, collector], serve)
    };
    let stopped = async |(stop, tasks, serve): (
        CancellationToken,
        [tokio::task::JoinHandle<anyhow::Result<()>>; 2],
        tokio::task::JoinHandle<()>,
    )| {
        stop.cancel();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        serve.await.unwrap();
    };

    let (base, stop, tasks, serve) = daemons().await;
    let library_url = library.url("/library.xml").to_string();
    let (curated, decided) = in_chromium(async |c| {
        let decided = operator(c, &base).await;
        add_provider(c, &base, "city-library", &library_url).await;
        decided
    })
    .await;
    assert!(providers.join("city-library.toml").exists(), "saved to the registry folder");
    let added =
        |entries: &[Seen]| entries.iter().any(|(_, keys, _)| keys.iter().any(|k| k.starts_with("city-library/")));
    eventually("the added provider's items in the catalogue", async || {
        let now = api_catalogue(&base).await?;
        if added(&now) { Ok(()) } else { Err(format!("none of {} entries", now.len())) }
    })
    .await;
    assert!(!added(&curated));

    // The catalog topic and the export show every decision too.
    eventually("the decisions on the catalog topic", async || {
        decided.shown_in(&topic_catalogue(&broker.bootstrap, &catalog_topic).await)
    })
    .await;
    let now = api_catalogue(&base).await.unwrap();
    decided.shown_on_pages(&base, &now).await.unwrap();
    decided.shown_in_export(&base, &now).await.unwrap();
    // Entries by their sources and categories (a rebuild may name an entry otherwise).
    let comparable = |entries: Vec<Seen>| {
        let mut all: Vec<(Vec<String>, Vec<String>)> = entries
            .into_iter()
            .map(|(_, mut keys, categories)| {
                keys.sort();
                (keys, categories)
            })
            .collect();
        all.sort();
        all
    };
    let before = comparable(api_catalogue(&base).await.unwrap());
    stopped((stop, tasks, serve)).await;

    // `catalog rebuild` and a restart of every daemon: the same curated catalogue.
    learncity(&["catalog", "rebuild"]);
    let (base, stop, tasks, serve) = daemons().await;
    learncity_testkit::eventually(
        Duration::from_secs(120),
        "the same catalogue after a rebuild and a restart",
        || async {
            let now = api_catalogue(&base).await?;
            decided.shown_in(&now)?;
            let now = comparable(now);
            if now == before { Ok(()) } else { Err(format!("{} entries, {} before", now.len(), before.len())) }
        },
    )
    .await;
    stopped((stop, tasks, serve)).await;
    served.cancel();
    demo.await.unwrap().unwrap();
    let _ = Command::new("psql")
        .args([&learncity_testkit::pg::pg_url(), "-q", "-c", &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")])
        .status();
}
