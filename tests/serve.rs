//! The catalogue service against a real store (SQLite file): pages, the JSON API and its
//! OpenAPI description, exports parsed back by a feed parser, following the store's changes,
//! and provider HTML that must not reach a resident's browser as markup.

use std::sync::Arc;
use std::time::{Duration, Instant};

use learncity_model::{Entry, Mode, Status};
use learncity_serve::health::{HealthSource, ProviderStatus};
use learncity_store::{CatalogStore, Changeset, EntryChange};
use learncity_testkit::offerings::{OfferingExt, entry_of, in_days, offering};
use learncity_testkit::operators::PASSWORD;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

fn city() -> Vec<Entry> {
    let mut english = offering("vsu", "eng", "Курсы английского языка в Витебске")
        .city("Витебск")
        .venue("ВГУ, корпус 2")
        .at(&in_days(5, 18))
        .at(&in_days(12, 18))
        .url("https://vsu.example/eng");
    english.summary = Some("Для начинающих, 12 занятий".into());
    english.languages = vec!["en".into(), "ru".into()];
    english.price = Some(learncity_model::Price::free());
    english.categories = vec!["languages".into()];
    let english_lib = offering("library", "ev-1", "Kursy angliyskogo yazyka").city("Viciebsk").at(&in_days(5, 18));
    let mut python =
        offering("itacademy", "py", "Программирование на Python для школьников").city("Vitebsk").at(&in_days(8, 16));
    python.mode = Mode::Online;
    python.categories = vec!["it".into()];
    python.audience.age_min = Some(12);
    python.audience.age_max = Some(17);
    let mut hostile =
        offering("museum", "x", "<img src=x onerror=alert(1)> Экскурсия по Ратуше").city("Віцебск").at(&in_days(3, 11));
    hostile.description_html = Some("<p onclick=\"steal()\">Ратуша</p><script>alert('xss')</script>".into());
    hostile.location.as_mut().unwrap().geo = Some(learncity_model::Geo { lat: 55.19, lon: 30.2 });
    let cancelled =
        offering("museum", "c", "Лекция о Шагале").city("Віцебск").at(&in_days(4, 17)).status(Status::Cancelled);
    vec![entry_of(&[english, english_lib]), entry_of(&[python]), entry_of(&[hostile]), entry_of(&[cancelled])]
}

/// Fetch state as two collectors stored it: one provider failing, one fine.
struct FixedHealth;

impl HealthSource for FixedHealth {
    fn statuses(&self) -> Result<Vec<ProviderStatus>, String> {
        Ok(vec![
            ProviderStatus {
                provider_id: "museum".into(),
                outcome: "failed".into(),
                last_status: Some(503),
                error_kind: Some("status_5xx".into()),
                last_error: Some("HTTP 503 <Service Unavailable>".into()),
                consecutive_failures: 4,
                ..Default::default()
            },
            ProviderStatus {
                provider_id: "vsu".into(),
                outcome: "published".into(),
                item_count: 12,
                warning_count: 2,
                warnings: vec![
                    "[vsu-7] price: `Стоимость уточняйте` speaks of a price but gives no amount".into(),
                    "[vsu-9] start: `<script>` is no date".into(),
                ],
                history: vec![
                    learncity_serve::health::PastRun {
                        at: "2026-12-01T10:00:00Z".parse().unwrap(),
                        outcome: "failed".into(),
                        error_kind: Some("status_5xx".into()),
                        item_count: 0,
                        warning_count: 0,
                    },
                    learncity_serve::health::PastRun {
                        at: "2026-12-01T11:00:00Z".parse().unwrap(),
                        outcome: "published".into(),
                        error_kind: None,
                        item_count: 12,
                        warning_count: 2,
                    },
                ],
                ..Default::default()
            },
            ProviderStatus { provider_id: "silent".into(), outcome: "never".into(), ..Default::default() },
        ])
    }
}

struct Service {
    base: String,
    store: Arc<dyn CatalogStore>,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
    client: reqwest::Client,
}

impl Service {
    async fn start(entries: &[Entry]) -> Service {
        let settings = learncity_config::ServeSettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            public_url: "https://learn.vitebsk.example".into(),
            title: "Learning in Vitebsk".into(),
            refresh_interval: Duration::from_millis(100),
            // These tests ask the API far faster than a resident would; the limit has its own test.
            api_rate_limit: 100_000,
            api_rate_burst: 100_000,
            ..Default::default()
        };
        Self::start_with(entries, settings).await
    }

    /// The service with the test operators anna (decides) and vic (reads).
    async fn with_operators(entries: &[Entry]) -> Service {
        let settings = learncity_config::ServeSettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            refresh_interval: Duration::from_millis(100),
            operators: learncity_testkit::operators::anna_and_vic(),
            ..Default::default()
        };
        Self::start_with(entries, settings).await
    }

    async fn start_with(entries: &[Entry], settings: learncity_config::ServeSettings) -> Service {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn CatalogStore> =
            Arc::new(learncity_store::SqliteStore::open(&dir.path().join("catalog.sqlite")).await.unwrap());
        put(&*store, entries).await;
        let stop = CancellationToken::new();
        let health: Arc<dyn HealthSource> = Arc::new(FixedHealth);
        let (bound, _task) = learncity_serve::start(
            settings,
            Arc::clone(&store),
            Some(health),
            learncity_serve::CurationContext { topic: "curation".into(), ..Default::default() },
            stop.clone(),
        )
        .await
        .unwrap();
        let service =
            Service { base: format!("http://{bound}"), store, stop, _dir: dir, client: reqwest::Client::new() };
        let deadline = Instant::now() + Duration::from_secs(20);
        while service.get("/readyz").await.0 != 200 {
            assert!(Instant::now() < deadline, "the service did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        service
    }

    async fn get(&self, path: &str) -> (u16, String) {
        self.get_with(path, &[]).await
    }

    async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let mut request = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    async fn json(&self, path: &str) -> (u16, Value) {
        let (status, body) = self.get(path).await;
        (status, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}")))
    }

    async fn titles(&self, query: &str) -> Vec<String> {
        let (status, body) = self.json(&format!("/api/v1/entries?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        body["items"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap().to_owned()).collect()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn put(store: &dyn CatalogStore, entries: &[Entry]) {
    let changes = Changeset {
        entries: entries.iter().map(|e| EntryChange::Put { partition: 0, entry: e.clone() }).collect(),
        ..Default::default()
    };
    store.apply(&changes).await.unwrap();
}

fn q(text: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new()).append_pair("q", text).finish()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_and_filters_through_the_api() {
    let s = Service::start(&city()).await;
    // Every spelling of the city finds the same entries.
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let vitebsk = sorted(s.titles(&q("Витебск")).await);
    assert!(vitebsk.iter().any(|t| t.contains("английского")), "{vitebsk:?}");
    for spelling in ["Віцебск", "Vitebsk", "Viciebsk"] {
        assert_eq!(sorted(s.titles(&q(spelling)).await), vitebsk, "{spelling}");
    }
    // Stemming and typos.
    assert!(s.titles(&q("английский")).await.iter().any(|t| t.contains("английского")));
    assert!(s.titles(&q("pyton")).await.iter().any(|t| t.contains("Python")));
    // Filters.
    assert_eq!(s.titles("mode=online").await, vec!["Программирование на Python для школьников"]);
    assert_eq!(s.titles("free=true").await, vec!["Курсы английского языка в Витебске"]);
    assert!(s.titles("age=14").await.iter().any(|t| t.contains("Python")), "14 fits 12–17");
    let adults = s.titles("age=30").await;
    assert!(
        !adults.iter().any(|t| t.contains("Python")) && adults.len() == 2,
        "30 does not; no range fits all: {adults:?}"
    );
    assert_eq!(s.titles("provider=itacademy").await.len(), 1);
    assert!(!s.titles("").await.iter().any(|t| t.contains("Шагале")), "cancelled entries hidden by default");
    assert!(s.titles("cancelled=true").await.iter().any(|t| t.contains("Шагале")));
    // Sorted by next session, paged.
    let (_, page) = s.json("/api/v1/entries?per_page=2&page=1").await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert!(page["next"].as_str().unwrap().contains("page=2"));
    assert!(page["items"][0]["title"].as_str().unwrap().contains("Ратуше"), "soonest first: {page}");
    // Errors are JSON with status and message; limits hold.
    for (path, status) in [
        ("/api/v1/entries?per_page=1000", 400),
        ("/api/v1/entries?mode=boat", 400),
        (&format!("/api/v1/entries?{}", q(&"а".repeat(501))), 400),
        ("/api/v1/entries/e-0000000000000000", 404),
        ("/api/v1/nothing", 404),
    ] {
        let (got, body) = s.json(path).await;
        assert_eq!(got, status, "{path}");
        assert_eq!(body["status"], status, "{path}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}: {body}");
    }
    // Any text is a query, never a syntax error.
    for text in ["\"unclosed", "title:(a OR b) AND -c", "*?~^[]{}", "   ", "'; DROP TABLE entries; --"] {
        let (status, body) = s.get(&format!("/api/v1/entries?{}", q(text))).await;
        assert_eq!(status, 200, "{text}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_description_is_true_to_the_api() {
    let entries = city();
    let s = Service::start(&entries).await;
    let (status, spec) = s.json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(spec["openapi"], "3.1.0");
    let paths: Vec<&str> = spec["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        vec![
            "/entries",
            "/entries/{id}",
            "/providers",
            "/providers/health",
            "/categories",
            "/openapi.json",
            "/admin/decisions",
            "/admin/decisions/{id}/revoke"
        ]
    );
    for path in paths {
        if let Some((method, op)) =
            spec["paths"][path].as_object().unwrap().iter().find(|(_, op)| op.get("security").is_some())
        {
            // The admin API: documented as needing an operator, and refusing anyone else.
            let url = format!("{}/api/v1{}", s.base, path.replace("{id}", "d-0"));
            let request = if method == "get" { s.client.get(url) } else { s.client.post(url).body("{}") };
            assert_eq!(request.send().await.unwrap().status(), 401, "{method} {path} anonymous");
            assert!(op["responses"].get("401").is_some(), "{path} documents its 401");
            continue;
        }
        let concrete = path.replace("{id}", &entries[0].id);
        let (status, body) = s.json(&format!("/api/v1{concrete}")).await;
        assert_eq!(status, 200, "{path}");
        // Every required property of the documented 200 response is there.
        let schema = &spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        let schema = match schema["$ref"].as_str() {
            Some(r) => &spec["components"]["schemas"][r.rsplit('/').next().unwrap()],
            None => schema,
        };
        for field in schema["required"].as_array().into_iter().flatten() {
            assert!(body.get(field.as_str().unwrap()).is_some(), "{path}: {field} missing in {body}");
        }
        // Every documented query parameter is accepted.
        for p in spec["paths"][path]["get"]["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "query" {
                let name = p["name"].as_str().unwrap();
                let example = match p["schema"]["type"].as_str() {
                    Some("boolean") => "true",
                    Some("integer" | "number") => "1",
                    _ if name == "mode" => "online",
                    _ if name == "sort" => "next",
                    _ if name == "from" || name == "to" => "2026-01-01",
                    _ => "x",
                };
                let (status, body) = s.get(&format!("/api/v1{concrete}?{name}={example}")).await;
                assert_eq!(status, 200, "{path}?{name}={example}: {body}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_for_residents_in_three_languages_without_provider_markup() {
    let entries = city();
    let s = Service::start(&entries).await;
    let (status, home) = s.get_with("/", &[("accept-language", "be-BY,be;q=0.9,ru;q=0.8")]).await;
    assert_eq!(status, 200);
    assert!(home.contains("<html lang=\"be\">") && home.contains("Што вы шукаеце?"), "Belarusian by Accept-Language");
    for landmark in ["<main id=\"main\">", "<header>", "<footer>", "class=\"skip\" href=\"#main\"", "role=\"search\""] {
        assert!(home.contains(landmark), "{landmark}");
    }
    // Every form control has a label.
    for id in ["q", "from", "to", "mode", "category", "age", "max_price", "language", "district", "sort"] {
        assert!(home.contains(&format!("<label for=\"{id}\">")), "label for {id}");
    }
    let (_, en) = s.get("/?lang=en").await;
    assert!(en.contains("<html lang=\"en\">") && en.contains("What are you looking for?"));
    let (_, ru) = s.get_with("/", &[("accept-language", "ru")]).await;
    assert!(ru.contains("Что вы ищете?"));
    // Results with export links of the filtered view.
    let (_, found) = s.get(&format!("/?{}&lang=ru", q("английский"))).await;
    assert!(found.contains("Курсы английского языка в Витебске"), "{found}");
    assert!(found.contains("/export.ics?q="), "export links keep the filters");

    // The entry page: sessions, sources, map link, JSON-LD; provider markup is text, not markup.
    let hostile = &entries[2];
    let (status, page) = s.get(&format!("/entry/{}?lang=en", hostile.id)).await;
    assert_eq!(status, 200);
    assert!(!page.contains("<script>alert"), "a provider's script never reaches the page");
    assert!(!page.contains("onerror=alert") || page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!page.contains("<img src=x"), "a provider's title is text");
    assert!(!page.contains("onclick"), "event handlers are removed from descriptions");
    assert!(page.contains("<p>Ратуша</p>"), "the description's harmless markup stays");
    assert!(page.contains("openstreetmap.org/?mlat=55.19"));
    let ld = page.split("<script type=\"application/ld+json\">").nth(1).unwrap().split("</script>").next().unwrap();
    let ld: Value = serde_json::from_str(ld).expect("JSON-LD parses");
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["name"], hostile.title);
    let (_, english) = s.get(&format!("/entry/{}", entries[0].id)).await;
    assert!(english.contains("Provider vsu") && english.contains("Provider library"), "every source provider");
    let (status, _) = s.get("/entry/e-nope").await;
    assert_eq!(status, 404);
    let (status, providers) = s.get("/providers").await;
    assert_eq!(status, 200);
    assert!(providers.contains("/provider/museum"));
    let (status, museum) = s.get("/provider/museum").await;
    assert_eq!(status, 200);
    assert!(museum.contains("Шагале"), "a provider page lists its cancelled entries too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_parse_as_calendars_and_feeds() {
    let s = Service::start(&city()).await;
    let (status, ics) = s.get("/export.ics?free=true").await;
    assert_eq!(status, 200);
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.trim_end().ends_with("END:VCALENDAR"));
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2, "one event per session of the one free entry");
    assert!(ics.lines().all(|l| l.len() <= 75), "folded at 75 octets");
    let (_, atom) = s.get(&format!("/export.atom?{}", q("Vitebsk"))).await;
    let feed = feed_rs::parser::parse(atom.as_bytes()).expect("Atom parses");
    assert!(feed.entries.iter().any(|e| e.title.as_ref().is_some_and(|t| t.content.contains("английского"))));
    let (_, json) = s.get("/export.json").await;
    let feed = feed_rs::parser::parse(json.as_bytes()).expect("JSON Feed parses");
    assert_eq!(feed.entries.len(), 3);
    let (status, body) = s.get("/export.ics?mode=boat").await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_holds_the_whole_filtered_view_not_one_page() {
    // 150 lectures, more than a page may hold (`max-page-size` 100).
    let lectures: Vec<Entry> = (0..150)
        .map(|i| {
            let o = offering("library", &format!("l{i}"), &format!("Лекция {i}"))
                .city("Витебск")
                .at(&in_days(1 + i / 3, 10));
            entry_of(&[o])
        })
        .collect();
    let count = |s: &Service, path: &'static str| {
        let url = format!("{}{path}", s.base);
        let client = s.client.clone();
        async move {
            let response = client.get(url).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{path}");
            let total = response.headers()["x-total-count"].to_str().unwrap().to_owned();
            let body = response.text().await.unwrap();
            let feed = feed_rs::parser::parse(body.as_bytes())
                .map(|f| f.entries.len())
                .unwrap_or_else(|_| body.matches("BEGIN:VEVENT").count());
            (feed, total)
        }
    };
    let s = Service::start(&lectures).await;
    assert_eq!(s.json("/api/v1/entries").await.1["total"], 150);
    for path in ["/export.json", "/export.atom", "/export.ics", "/export.ics?page=2&per_page=10"] {
        assert_eq!(count(&s, path).await, (150, "150".to_owned()), "{path}: every entry, whatever page the link names");
    }
    drop(s);
    let settings = learncity_config::ServeSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        export_max: 120,
        api_rate_limit: 100_000,
        api_rate_burst: 100_000,
        ..Default::default()
    };
    let s = Service::start_with(&lectures, settings).await;
    assert_eq!(count(&s, "/export.json").await, (120, "150".to_owned()), "export-max entries, and how many matched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_follows_the_store() {
    let entries = city();
    let s = Service::start(&entries).await;
    assert_eq!(s.json("/api/v1/entries").await.1["total"], 3);
    let removed = Changeset {
        entries: vec![EntryChange::Remove { id: entries[1].id.clone(), reason: "withdrawn".into() }],
        ..Default::default()
    };
    s.store.apply(&removed).await.unwrap();
    let mut changed = entries[0].clone();
    changed.title = "Курсы английского языка (новая группа)".into();
    put(&*s.store, &[changed]).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let titles = s.titles("").await;
        if titles.len() == 2 && titles.iter().any(|t| t.contains("новая группа")) {
            break;
        }
        assert!(Instant::now() < deadline, "the service did not follow the store: {titles:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, _) = s.get(&format!("/api/v1/entries/{}", entries[1].id)).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_health_for_operators() {
    let s = Service::start(&city()).await;
    let (status, page) = s.get("/health/providers").await;
    assert_eq!(status, 200);
    assert!(page.contains("5 providers, 1 failing."), "{page}");
    assert!(page.contains("status_5xx"), "the kind of failure shown: {page}");
    assert!(!page.contains("Service Unavailable"), "the failure's words only to operators: {page}");
    assert!(!page.contains("vsu-7") && !page.contains("Warnings of the last read"), "warnings only to operators");
    assert!(!page.contains("Recent runs"), "the history only to operators");
    assert!(page.contains("<caption>") && page.contains("scope=\"col\""), "an accessible table");
    let (status, json) = s.json("/api/v1/providers/health").await;
    assert_eq!(status, 200);
    let items = json["items"].as_array().unwrap();
    let row = |id: &str| items.iter().find(|r| r["provider_id"] == id).unwrap_or_else(|| panic!("{id} in {json}"));
    assert_eq!(row("museum")["fetch"]["consecutive_failures"], 4);
    assert_eq!(row("museum")["entries"], 2, "its entries in the catalogue beside its fetch state");
    assert_eq!(row("vsu")["fetch"]["item_count"], 12);
    assert!(row("vsu")["fetch"].get("warnings").is_none(), "warnings in words only to operators: {json}");
    assert_eq!(row("silent")["entries"], 0, "a provider with no entry yet is listed");
    assert!(row("itacademy")["fetch"].is_null(), "a provider without fetch state is listed");
    assert!(json["unavailable"].is_null());
    assert!(row("museum")["fetch"]["last_error"].is_null(), "the failure's words only to operators");
}

/// The Python the peer-parser tests run: `LEARNCITY_TEST_PYTHON` (scripts/test points it at a
/// virtualenv with icalendar and feedparser from PyPI), else `python3`.
fn python() -> String {
    std::env::var("LEARNCITY_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_are_read_by_python_icalendar_and_feedparser() {
    let entries = city();
    let s = Service::start(&entries).await;
    let dir = tempfile::tempdir().unwrap();
    let (_, ics) = s.get("/export.ics?cancelled=true").await;
    let (_, atom) = s.get(&format!("/export.atom?{}", q("Витебск"))).await;
    std::fs::write(dir.path().join("export.ics"), &ics).unwrap();
    std::fs::write(dir.path().join("export.atom"), &atom).unwrap();
    let script = learncity_testkit::repo_root().join("tests/peers/read_exports.py");
    let out = std::process::Command::new(python())
        .arg(&script)
        .arg(dir.path().join("export.ics"))
        .arg(dir.path().join("export.atom"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} (run scripts/test, which installs it): {e}", python()));
    assert!(
        out.status.success(),
        "the peers rejected an export (python: {}): {}{}",
        python(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let read: Value = serde_json::from_slice(&out.stdout).unwrap();
    let events = read["events"].as_array().unwrap();
    let sessions: usize = entries.iter().map(|e| e.sessions.len()).sum();
    assert_eq!(events.len(), sessions, "one event per session: {read}");
    assert!(events.iter().any(|e| e["summary"].as_str().unwrap().contains("английского")));
    assert!(events.iter().any(|e| e["status"] == "CANCELLED" && e["summary"].as_str().unwrap().contains("Шагале")));
    assert!(
        events.iter().any(|e| e["summary"].as_str().unwrap().contains("<img src=x onerror=alert(1)>")),
        "text stays text"
    );
    assert_eq!(read["feed_version"], "atom10");
    let titles: Vec<&str> = read["entries"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap()).collect();
    assert!(titles.iter().any(|t| t.contains("английского")), "{titles:?}");
    for e in read["entries"].as_array().unwrap() {
        assert!(e["link"].as_str().unwrap().starts_with("https://learn.vitebsk.example/entry/e-"), "{e}");
    }
}

/// The headers every answer must carry, whatever its kind and status.
const SECURITY_HEADERS: [(&str, &str); 3] = [
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    (
        "permissions-policy",
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
    ),
];

fn security_header_problems(what: &str, response: &reqwest::Response) -> Vec<String> {
    SECURITY_HEADERS
        .iter()
        .filter(|(name, value)| response.headers().get(*name).and_then(|v| v.to_str().ok()) != Some(*value))
        .map(|(name, value)| format!("{what}: {name} is {:?}, not {value:?}", response.headers().get(*name)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_answer_carries_the_security_headers() {
    let s = Service::start(&city()).await;
    let entry = s.json("/api/v1/entries?per_page=1").await.1["items"][0]["id"].as_str().unwrap().to_owned();
    let mut problems = Vec::new();
    for (path, status, page) in [
        // pages
        ("/".to_owned(), 200, true),
        (format!("/entry/{entry}"), 200, true),
        ("/providers".to_owned(), 200, true),
        ("/provider/museum".to_owned(), 200, true),
        ("/health/providers".to_owned(), 200, true),
        // page errors and 404s
        ("/?mode=boat".to_owned(), 400, true),
        ("/entry/e-0000000000000000".to_owned(), 404, true),
        ("/provider/nobody".to_owned(), 404, true),
        ("/nowhere".to_owned(), 404, true),
        // API, its errors and 404s
        ("/api/v1/entries".to_owned(), 200, false),
        (format!("/api/v1/entries/{entry}"), 200, false),
        ("/api/v1/providers".to_owned(), 200, false),
        ("/api/v1/categories".to_owned(), 200, false),
        ("/api/v1/providers/health".to_owned(), 200, false),
        ("/api/v1/openapi.json".to_owned(), 200, false),
        ("/api/v1/entries?mode=boat".to_owned(), 400, false),
        ("/api/v1/entries/e-0000000000000000".to_owned(), 404, false),
        ("/api/v1/nothing".to_owned(), 404, false),
        // exports and their errors
        ("/export.ics".to_owned(), 200, false),
        ("/export.atom".to_owned(), 200, false),
        ("/export.json".to_owned(), 200, false),
        ("/export.ics?mode=boat".to_owned(), 400, false),
        // operations
        ("/healthz".to_owned(), 200, false),
        ("/readyz".to_owned(), 200, false),
        ("/metrics".to_owned(), 200, false),
    ] {
        let response = s.client.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{path}");
        problems.extend(security_header_problems(&path, &response));
        // Pages keep their Content-Security-Policy.
        let csp = response.headers().get("content-security-policy").and_then(|v| v.to_str().ok());
        if page && !csp.is_some_and(|v| v.starts_with("default-src 'none'")) {
            problems.push(format!("{path}: Content-Security-Policy is {csp:?}"));
        }
    }
    // A method no route answers.
    let response = s.client.post(format!("{}/api/v1/entries", s.base)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
    problems.extend(security_header_problems("POST /api/v1/entries", &response));
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_is_rate_limited_per_client_and_pages_are_not() {
    let settings = learncity_config::ServeSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        refresh_interval: Duration::from_millis(100),
        api_rate_limit: 1,
        api_rate_burst: 3,
        ..Default::default()
    };
    let s = Service::start_with(&city(), settings).await;
    // A burst of 3, then one request a second: 20 requests in a row cannot all be answered.
    let mut limited = None;
    let mut answered = 0;
    for _ in 0..20 {
        let response = s.client.get(format!("{}/api/v1/categories", s.base)).send().await.unwrap();
        if response.status().as_u16() == 429 {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status().as_u16(), 200);
        answered += 1;
    }
    let limited = limited.expect("20 API requests in a row with a burst of 3 and 1 per second were all answered");
    assert!(answered >= 3, "the burst of 3 is allowed: only {answered} were answered");
    assert!(limited.headers().get("retry-after").is_some(), "{:?}", limited.headers());
    let problems = security_header_problems("429", &limited);
    assert!(problems.is_empty(), "{problems:#?}");
    let body: Value = serde_json::from_str(&limited.text().await.unwrap()).unwrap();
    assert_eq!(body["status"], 429, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("too many requests")), "{body}");
    // Pages, exports and operations routes are not limited.
    for path in ["/", "/providers", "/export.ics", "/healthz"] {
        for _ in 0..5 {
            assert_eq!(s.get(path).await.0, 200, "{path}");
        }
    }
}

/// The API and the exports are open data: any web page may read them (CORS, `X-Total-Count`
/// exposed), answers are compressed when the client accepts it and cacheable for a minute;
/// residents' pages share nothing across origins, and errors are not cached (issue 19).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_data_is_shared_with_any_site_compressed_and_cacheable() {
    let s = Service::start(&city()).await;
    let raw = reqwest::Client::builder().no_gzip().no_brotli().no_deflate().no_zstd().build().unwrap();
    let origin = "https://www.vitebsk.example";
    let api = format!("{}/api/v1/entries", s.base);
    let r = raw.get(&api).header("Origin", origin).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let exposed = r.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(exposed.contains("x-total-count"), "{exposed}");
    assert_eq!(r.headers()["cache-control"], "public, max-age=60");
    let plain = r.bytes().await.unwrap().len();

    let preflight = raw
        .request(reqwest::Method::OPTIONS, &api)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert!(preflight.headers()["access-control-allow-methods"].to_str().unwrap().contains("GET"));

    for path in ["/export.ics", "/export.atom", "/export.json"] {
        let r = raw.get(format!("{}{path}", s.base)).header("Origin", origin).send().await.unwrap();
        assert_eq!(r.headers()["access-control-allow-origin"], "*", "{path}");
        assert_eq!(r.headers()["cache-control"], "public, max-age=60", "{path}");
    }
    for encoding in ["gzip", "br"] {
        let r = raw.get(&api).header("Accept-Encoding", encoding).send().await.unwrap();
        assert_eq!(r.headers()["content-encoding"], encoding);
        let packed = r.bytes().await.unwrap().len();
        assert!(packed * 2 < plain, "{encoding}: {packed} bytes of {plain}");
    }
    // The default client (as a browser) decompresses and reads the same answer.
    assert_eq!(s.json("/api/v1/entries").await.1["total"], 3);

    let page = raw.get(format!("{}/", s.base)).header("Origin", origin).send().await.unwrap();
    assert!(page.headers().get("access-control-allow-origin").is_none(), "pages are not shared across origins");
    assert!(page.headers().get("cache-control").is_none_or(|v| v != "public, max-age=60"));
    let bad = raw.get(format!("{api}?mode=boat")).header("Origin", origin).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.headers().get("cache-control").is_none(), "an error is not cached");
    assert_eq!(bad.headers()["access-control-allow-origin"], "*", "a page can read why it was refused");
}

/// Search engines find every entry page (sitemap.xml, with each entry's last change) and are
/// kept off the API, the exports and the operators' page (robots.txt) (issue 19).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawlers_get_robots_and_a_sitemap_of_every_entry() {
    let entries = city();
    let s = Service::start(&entries).await;
    let (status, robots) = s.get("/robots.txt").await;
    assert_eq!(status, 200);
    for line in ["User-agent: *", "Disallow: /api/", "Disallow: /export.", "Disallow: /health/"] {
        assert!(robots.lines().any(|l| l == line), "{line}: {robots}");
    }
    let sitemap_line = robots.lines().find(|l| l.starts_with("Sitemap: ")).expect("a Sitemap line");
    assert!(sitemap_line.starts_with("Sitemap: http") && sitemap_line.ends_with("/sitemap.xml"), "{sitemap_line}");
    let (status, xml) = s.get("/sitemap.xml").await;
    assert_eq!(status, 200);
    assert!(xml.contains("xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\""), "{xml}");
    assert_eq!(xml.matches("<url>").count(), entries.len() + 2, "home, providers and every entry: {xml}");
    for e in &entries {
        let lastmod = e.updated_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        assert!(xml.contains(&format!("/entry/{}</loc><lastmod>{lastmod}</lastmod>", e.id)), "{} in {xml}", e.id);
    }
}

/// The admin API: operators sign in (argon2 hashes), viewers only read, anonymous requests and
/// wrong passwords are refused, decisions are kept in the store and revoked.
#[tokio::test]
async fn the_admin_api_takes_operators_decisions_and_refuses_everyone_else() {
    let entries = city();
    let s = Service::with_operators(&entries).await;
    let url = |path: &str| format!("{}/api/v1/admin{path}", s.base);
    let python = entries[1].id.clone();

    // Anonymous: 401 with a challenge, and no CORS opening for other sites.
    let r = s.client.get(url("/decisions")).header("Origin", "https://elsewhere.example").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic "));
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r =
        s.client.post(url("/decisions")).header("content-type", "application/json").body("{}").send().await.unwrap();
    assert_eq!(r.status(), 401, "a decision without signing in");

    // A viewer reads but does not decide.
    let r = s.client.get(url("/decisions")).basic_auth("vic", Some(PASSWORD)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let hide = serde_json::json!({"action": "hide", "targets": [python], "reason": "a test item"});
    let r = s
        .client
        .post(url("/decisions"))
        .header("content-type", "application/json")
        .basic_auth("vic", Some(PASSWORD))
        .body(hide.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // A decision not sent as JSON (what a page elsewhere could send without a preflight): refused.
    let r = s
        .client
        .post(url("/decisions"))
        .header("content-type", "text/plain")
        .basic_auth("anna", Some(PASSWORD))
        .body(hide.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert!(s.store.decisions().await.unwrap().is_empty());

    // An operator decides: kept in the store with who and why, listed, revoked.
    let r = s
        .client
        .post(url("/decisions"))
        .header("content-type", "application/json")
        .basic_auth("anna", Some(PASSWORD))
        .body(hide.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let decision: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!((decision["by"].as_str(), decision["reason"].as_str()), (Some("anna"), Some("a test item")));
    let kept = s.store.decisions().await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].action.sources().collect::<Vec<_>>(), [&entries[1].sources[0].key]);
    let outbox = s.store.outbox(10).await.unwrap();
    assert_eq!(outbox.iter().filter(|o| o.record.topic == "curation").count(), 1, "its curation-topic record");
    let r = s.client.get(url("/decisions")).basic_auth("vic", Some(PASSWORD)).send().await.unwrap();
    let list: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(list["items"][0]["decision"]["id"], decision["id"]);
    let id = decision["id"].as_str().unwrap();
    let revoke = serde_json::json!({"reason": "not a test item"});
    let r = s
        .client
        .post(url(&format!("/decisions/{id}/revoke")))
        .header("content-type", "application/json")
        .basic_auth("anna", Some(PASSWORD))
        .body(revoke.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(s.store.decisions().await.unwrap()[0].revoked.as_ref().unwrap().by, "anna");

    // Mistakes are named: an unknown target, a pin of an unknown field, a request that is none.
    for (body, status) in [
        (serde_json::json!({"action": "hide", "targets": ["nobody/1"], "reason": "x"}), 404),
        (serde_json::json!({"action": "pin", "target": python, "field": "colour", "value": "red", "reason": "x"}), 422),
        (serde_json::json!({"action": "explode", "reason": "x"}), 400),
        (serde_json::json!({"action": "hide", "targets": [python], "reason": " "}), 422),
    ] {
        let r = s
            .client
            .post(url("/decisions"))
            .header("content-type", "application/json")
            .basic_auth("anna", Some(PASSWORD))
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let code = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert_eq!(code, status, "{body}: {text}");
        assert!(text.contains("message"), "{text}");
    }

    // The providers' failures in words: for operators only.
    let r = s.client.get(url("/providers/health")).basic_auth("vic", Some(PASSWORD)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("HTTP 503 <Service Unavailable>"));
    assert_eq!(s.client.get(url("/providers/health")).send().await.unwrap().status(), 401);

    // Wrong passwords: refused, then the address waits.
    for _ in 0..learncity_serve::admin::FAILURES_ALLOWED {
        let r = s.client.get(url("/decisions")).basic_auth("anna", Some("guess")).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = s.client.get(url("/decisions")).basic_auth("anna", Some(PASSWORD)).send().await.unwrap();
    assert_eq!(r.status(), 429, "locked even with the right password");
    assert!(r.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 0);
}

/// The operator console: signing in (CSRF-protected, `Secure` `HttpOnly` `SameSite=Strict`
/// session cookie), deciding from an entry's page and revoking, every form refused without its
/// token, a viewer refused, anonymous visitors sent to the sign-in page.
#[tokio::test]
async fn the_operator_console_signs_in_decides_and_refuses_forged_forms() {
    let entries = city();
    let s = Service::with_operators(&entries).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let url = |path: &str| format!("{}{path}", s.base);
    let set_cookie = |r: &reqwest::Response, name: &str| -> String {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} cookie"))
    };
    let value_of = |cookie: &str| cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
    let hidden = |page: &str, name: &str| -> String {
        let at = page.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no {name} in {page}"));
        let rest = &page[at + name.len() + 15..];
        rest[..rest.find('"').unwrap()].to_owned()
    };

    // Anonymous: to the sign-in page.
    let r = client.get(url("/admin")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/login");

    let sign_in = async |name: &str| -> String {
        let r = client.get(url("/admin/login")).header("accept-language", "en").send().await.unwrap();
        assert_eq!(r.status(), 200);
        let token = value_of(&set_cookie(&r, "learncity_sign_in"));
        let page = r.text().await.unwrap();
        assert!(page.contains("Operator console") && page.contains("type=\"password\""), "{page}");
        assert_eq!(hidden(&page, "csrf"), token);
        // Without the form's token (a forged cross-site sign-in): refused.
        let forged = format!("name={name}&password={}", PASSWORD.replace(' ', "+"));
        let r = client
            .post(url("/admin/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(forged.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = client
            .post(url("/admin/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("learncity_sign_in={token}"))
            .body(format!("csrf={token}&{forged}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        let session = set_cookie(&r, "learncity_operator");
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/admin"] {
            assert!(session.contains(attribute), "{attribute} missing: {session}");
        }
        value_of(&session)
    };
    let anna = sign_in("anna").await;
    let get = async |path: &str, session: &str| {
        let r = client
            .get(url(path))
            .header("cookie", format!("learncity_operator={session}"))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
        (status, r.text().await.unwrap())
    };
    let (status, home) = get("/admin", &anna).await;
    assert_eq!(status, 200);
    assert!(home.contains("Signed in as <strong>anna</strong>") && home.contains("Review queue"), "{home}");
    let csrf = hidden(&home, "csrf");

    // The English course's entry: two sources, each can be taken out or hidden.
    let english = &entries[0];
    let (status, page) = get(&format!("/admin/entry/{}", english.id), &anna).await;
    assert_eq!(status, 200);
    for s in &english.sources {
        assert!(page.contains(&s.key), "{} missing: {page}", s.key);
    }
    assert!(page.contains("Take out of the entry") && page.contains("<select name=\"field\">"), "{page}");

    let post = async |path: &str, session: &str, body: String| {
        client
            .post(url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("learncity_operator={session}"))
            .body(body)
            .send()
            .await
            .unwrap()
    };
    let take_out = format!(
        "back=/admin/entry/{id}&action=split&targets={id}&sources={key}&reason=another+course",
        id = english.id,
        key = english.sources[1].key
    );
    // A forged form (no token, or another one): refused, nothing decided.
    assert_eq!(post("/admin/decide", &anna, take_out.clone()).await.status(), 403);
    assert_eq!(post("/admin/decide", &anna, format!("csrf=0000&{take_out}")).await.status(), 403);
    assert!(s.store.decisions().await.unwrap().is_empty());
    // With it: decided, back to the entry's page saying what.
    let r = post("/admin/decide", &anna, format!("csrf={csrf}&{take_out}")).await;
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"].to_str().unwrap().starts_with(&format!("/admin/entry/{}?msg=d-", english.id)));
    let kept = s.store.decisions().await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].by, "anna");
    assert_eq!(kept[0].reason, "another course");

    // Listed on the console, and revoked from there.
    let (_, home) = get("/admin", &anna).await;
    assert!(home.contains(&kept[0].id), "{home}");
    let r = post("/admin/revoke", &anna, format!("csrf={csrf}&id={}&reason=by+mistake", kept[0].id)).await;
    assert_eq!(r.status(), 303);
    assert!(s.store.decisions().await.unwrap()[0].revoked.is_some());

    // The providers' health whole, failures in words.
    let (status, page) = get("/admin/providers", &anna).await;
    assert_eq!(status, 200);
    assert!(page.contains("HTTP 503 &lt;Service Unavailable&gt;"), "{page}");
    // Every warning of each provider's last read, in words, naming its item.
    assert!(page.contains("Warnings of the last read"), "{page}");
    assert!(page.contains("[vsu-7] price: `Стоимость уточняйте`"), "{page}");
    assert!(page.contains("`&lt;script&gt;` is no date"), "escaped: {page}");
    // Each provider's recent runs, newest first.
    let (newest, oldest) = (page.find("published (12 items, 2 warnings)"), page.find("failed: status_5xx"));
    assert!(newest.is_some() && oldest.is_some() && newest < oldest, "{page}");

    // A viewer sees the console and decides nothing.
    let vic = sign_in("vic").await;
    let (status, home) = get("/admin", &vic).await;
    assert_eq!(status, 200);
    assert!(home.contains("you see everything and decide nothing"), "{home}");
    let vic_csrf = hidden(&home, "csrf");
    assert_eq!(post("/admin/decide", &vic, format!("csrf={vic_csrf}&{take_out}")).await.status(), 403);

    // Signed out: the session is gone.
    let r = post("/admin/logout", &anna, format!("csrf={csrf}")).await;
    assert_eq!(r.status(), 303);
    let r = client.get(url("/admin")).header("cookie", format!("learncity_operator={anna}")).send().await.unwrap();
    assert_eq!(r.status(), 303, "the old session no longer signs in");
}

/// An entry's page says a summary once, a price once, where "Register" leads, and offers its
/// sessions as a calendar file with the whole-city calendar's UIDs (issue 19).
#[tokio::test]
async fn an_entry_page_says_each_thing_once_and_adds_to_a_calendar() {
    let mut entries = city();
    let english = &mut entries[0];
    english.description_html = Some(format!("<p>{} Запись по телефону.</p>", english.summary.clone().unwrap()));
    english.price = Some(learncity_model::Price {
        free: false,
        amount: Some(10.0),
        amount_max: None,
        currency: Some("BYN".into()),
        per: None,
        text: Some("10 BYN".into()),
    });
    let s = Service::start(&entries).await;
    let id = &entries[0].id;
    let (status, page) = s.get_with(&format!("/entry/{id}"), &[("accept-language", "en")]).await;
    assert_eq!(status, 200);
    let article = &page[page.find("<article>").unwrap()..page.find("</article>").unwrap()];
    assert_eq!(article.matches("Для начинающих, 12 занятий").count(), 1, "the summary once: {article}");
    assert!(page.contains("10 BYN") && !page.contains("10 BYN 10 BYN"), "{page}");
    assert!(page.contains("(vsu.example)"), "where Register leads: {page}");
    assert!(page.contains(&format!("href=\"/entry/{id}/calendar.ics\">Add to my calendar")), "{page}");
    let (status, ics) = s.get(&format!("/entry/{id}/calendar.ics")).await;
    assert_eq!(status, 200);
    assert!(ics.starts_with("BEGIN:VCALENDAR") && ics.matches("BEGIN:VEVENT").count() == 2, "{ics}");
    let (_, city_calendar) = s.get("/export.ics").await;
    for uid in ics.lines().filter(|l| l.starts_with("UID:")) {
        assert!(city_calendar.lines().any(|l| l == uid), "{uid} is the whole-city calendar's too");
    }
    assert_eq!(s.get("/entry/e-0000000000000000/calendar.ics").await.0, 404);
}

/// A result says what a resident decides on; filters show and come off one by one; an empty
/// result names the filter that emptied it; a filter that cannot be used is said and the rest
/// still search; paging never promises a page that is not there.
#[tokio::test]
async fn results_say_what_matters_and_filters_explain_themselves() {
    let entries = city();
    let s = Service::start(&entries).await;
    let (status, page) = s.get(&format!("/?{}&lang=ru", q("английский"))).await;
    assert_eq!(status, 200);
    let card = &page[page.find("<ol class=\"results\"").expect("results")..];
    let card = &card[..card.find("</li>").unwrap()];
    for said in ["Бесплатно", "Языки", "18:00", "2 занятия", "Витебск", "ВГУ, корпус 2"]
    {
        assert!(card.contains(said), "{said} in {card}");
    }
    assert!(card.contains("<time datetime="), "a machine-readable time: {card}");

    // Two filters that together find nothing: each is shown with a way to take it off, and the
    // page says which one emptied the result.
    let (status, empty) = s.get("/?category=it&mode=in_person&lang=ru").await;
    assert_eq!(status, 200);
    assert!(empty.contains("Ничего не найдено"), "{empty}");
    assert!(empty.contains("aria-label=\"Убрать фильтр «Формат: Очно»\""), "{empty}");
    assert!(empty.contains("aria-label=\"Убрать фильтр «Категория: ИТ и цифровые навыки»\""), "{empty}");
    assert!(empty.contains("Без фильтра «Формат: Очно» нашлось бы: 1 предложение."), "{empty}");

    // An age that is no number: said in the page's language beside the kept form, and the
    // other filters still search.
    let (status, bad) = s.get(&format!("/?age=abc&{}&lang=ru", q("английский"))).await;
    assert_eq!(status, 400);
    assert!(bad.contains("Фильтр «Возраст» не понят и не применён"), "{bad}");
    assert!(bad.contains("role=\"search\"") && bad.contains("Курсы английского языка в Витебске"), "{bad}");

    // Numbered pages, and a page past the last one says how many there are.
    let (_, second) = s.get("/?per_page=1&page=2&lang=ru").await;
    assert!(second.contains("Страница 2 из 3") && second.contains("<span aria-current=\"page\">2</span>"), "{second}");
    let (_, far) = s.get("/?per_page=1&page=99&lang=ru").await;
    assert!(far.contains("На странице 99 ничего нет: страниц всего 3."), "{far}");
    assert!(far.contains("page=3&amp;lang=ru\">Последняя страница"), "{far}");
}

/// Behind an authenticating proxy (`operator-header`): the console signs the named operator in
/// without a password, its forms carry a token a page elsewhere cannot know, and a name that is
/// not an operator is not signed in.
#[tokio::test]
async fn behind_a_proxy_the_console_takes_the_operator_from_the_header() {
    let settings = learncity_config::ServeSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        refresh_interval: Duration::from_millis(100),
        operators: vec![learncity_config::Operator {
            name: "anna".into(),
            password_hash: None,
            role: learncity_config::OperatorRole::Operator,
        }],
        operator_header: Some("X-Remote-User".into()),
        ..Default::default()
    };
    let entries = city();
    let s = Service::start_with(&entries, settings).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = client.get(format!("{}/admin", s.base)).header("X-Remote-User", "anna").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &page[at..at + page[at..].find('"').unwrap()];
    assert_eq!(csrf.len(), 64, "a token, not nothing");
    let hide = |token: &str| format!("csrf={token}&back=/admin&action=hide&targets={}&reason=junk", entries[1].id);
    let post = async |user: &str, body: String| {
        client
            .post(format!("{}/admin/decide", s.base))
            .header("X-Remote-User", user)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(post("anna", hide("")).await, 403, "a form without the token");
    assert_eq!(post("anna", hide(csrf)).await, 303);
    assert_eq!(s.store.decisions().await.unwrap()[0].by, "anna");
    let r = client.get(format!("{}/admin", s.base)).header("X-Remote-User", "mallory").send().await.unwrap();
    assert_eq!(r.status(), 303, "not an operator: to the sign-in page");
}

/// Console sessions are kept in the store: an operator signed in on one `serve` instance is
/// signed in on every other instance of the same store (a load balancer may send each request
/// elsewhere), stays signed in after a restart, and is signed out everywhere at once; behind a
/// proxy, every instance gives the same CSRF token.
#[tokio::test]
async fn console_sessions_are_shared_by_every_instance_and_outlive_a_restart() {
    let entries = city();
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn CatalogStore> =
        Arc::new(learncity_store::SqliteStore::open(&dir.path().join("catalog.sqlite")).await.unwrap());
    put(&*store, &entries).await;
    let settings = learncity_config::ServeSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        refresh_interval: Duration::from_millis(100),
        operators: learncity_testkit::operators::anna_and_vic(),
        operator_header: Some("X-Remote-User".into()),
        ..Default::default()
    };
    let instance = async |stop: &CancellationToken| -> String {
        let (bound, _) = learncity_serve::start(
            settings.clone(),
            Arc::clone(&store),
            None,
            learncity_serve::CurationContext { topic: "curation".into(), ..Default::default() },
            stop.clone(),
        )
        .await
        .unwrap();
        format!("http://{bound}")
    };
    let (stop_a, stop_b) = (CancellationToken::new(), CancellationToken::new());
    let (a, b) = (instance(&stop_a).await, instance(&stop_b).await);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let console = async |base: &str, session: &str| {
        let r = client.get(format!("{base}/admin")).header("cookie", format!("learncity_operator={session}"));
        let r = r.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    let post = async |base: &str, path: &str, headers: &[(&str, String)], body: String| {
        let mut r =
            client.post(format!("{base}{path}")).header("content-type", "application/x-www-form-urlencoded").body(body);
        for (k, v) in headers {
            r = r.header(*k, v);
        }
        r.send().await.unwrap().status().as_u16()
    };
    let hide = |csrf: &str, id: &str| format!("csrf={csrf}&back=/admin&action=hide&targets={id}&reason=junk");

    // Signed in on A: signed in on B, and B takes A's form token.
    let (session, csrf) = learncity_testkit::operators::sign_in(&a, "anna").await;
    let (status, page) = console(&b, &session).await;
    assert_eq!(status, 200, "the session is known to the other instance");
    assert!(page.contains("anna"));
    let cookie = [("cookie", format!("learncity_operator={session}"))];
    assert_eq!(post(&b, "/admin/decide", &cookie, hide(&csrf, &entries[1].id)).await, 303);
    assert_eq!(store.decisions().await.unwrap().len(), 1);

    // A restarted: still signed in.
    stop_a.cancel();
    let stop_a = CancellationToken::new();
    let a = instance(&stop_a).await;
    assert_eq!(console(&a, &session).await.0, 200, "a restart signs nobody out");

    // Signed out on B: signed out on A too; a made-up cookie signs nobody in.
    assert_eq!(post(&b, "/admin/logout", &cookie, format!("csrf={csrf}")).await, 303);
    assert_eq!(console(&a, &session).await.0, 303, "signed out everywhere");
    assert_eq!(console(&a, &"0".repeat(64)).await.0, 303);

    // Behind the proxy: the token from A's page is good on B.
    let proxied = [("X-Remote-User", "anna".to_owned())];
    let page = client.get(format!("{a}/admin")).header("X-Remote-User", "anna").send().await.unwrap();
    let page = page.text().await.unwrap();
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let token = &page[at..at + page[at..].find('"').unwrap()];
    assert_eq!(post(&b, "/admin/decide", &proxied, hide(token, &entries[2].id)).await, 303);
    assert_eq!(post(&b, "/admin/decide", &proxied, hide("forged", &entries[3].id)).await, 403);
    assert_eq!(store.decisions().await.unwrap().len(), 2);
    stop_a.cancel();
    stop_b.cancel();
}
