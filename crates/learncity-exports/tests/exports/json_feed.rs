//! JSON Feed export tests: the document is valid JSON with the fields JSON Feed 1.1 requires
//! (`version`, `title`, `items`, each item's `id` and `content_html` or `content_text`), the
//! `_learncity` extension carries sessions, status, mode and location, and feed-rs parses it
//! with the same titles, ids and links.

use chrono::DateTime;
use feed_rs::model::FeedType;
use learncity_exports::{clean_text, json_feed};
use serde_json::{Value, json};

use crate::fixtures::{entries, meta};

#[test]
fn has_the_required_fields() {
    let text = json_feed(&entries(), &meta());
    let feed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(feed["title"], "Обучение в Витебске: языки, искусство; всё");
    assert_eq!(feed["home_page_url"], "https://learn.vitebsk.example/catalogue?category=languages&mode=any");
    assert_eq!(feed["feed_url"], "https://learn.vitebsk.example/export/atom?category=languages&mode=any");
    assert_eq!(feed["language"], "ru");
    assert_eq!(
        feed["_learncity"],
        json!({ "id": "urn:learncity:feed:catalogue:languages", "updated": "2026-03-01T09:30:00Z" })
    );
    let keys: Vec<&str> = feed.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys[0], "version", "version comes first");

    let items = feed["items"].as_array().unwrap();
    let source = entries();
    assert_eq!(items.len(), source.len());
    for (item, entry) in items.iter().zip(&source) {
        assert_eq!(item["id"], format!("urn:learncity:entry:{}", entry.id));
        assert_eq!(item["url"], format!("https://learn.vitebsk.example/entries/{}", entry.id));
        assert_eq!(item["title"], clean_text(&entry.title));
        assert!(item["content_html"].is_string() || item["content_text"].is_string());
        assert!(DateTime::parse_from_rfc3339(item["date_modified"].as_str().unwrap()).is_ok());
        assert_eq!(item["_learncity"]["id"], entry.id);
        assert!(item.as_object().unwrap().values().all(|v| !v.is_null()), "no nulls: {item}");
        for session in item["_learncity"]["sessions"].as_array().unwrap() {
            assert!(DateTime::parse_from_rfc3339(session["start"].as_str().unwrap()).is_ok());
            if let Some(end) = session.get("end") {
                assert!(DateTime::parse_from_rfc3339(end.as_str().unwrap()).is_ok());
            }
        }
    }

    let course = &items[0];
    assert_eq!(course["content_html"], "<p>a & b</p><p>Грамматика &amp; разговорная практика</p>");
    assert_eq!(course["summary"], "Для начинающих, без подготовки;\nзанятия по вторникам\nи четвергам, 18:30.");
    assert_eq!(course["external_url"], "https://vsu.example/courses/english-a1");
    assert_eq!(course["tags"], json!(["languages", "adults"]));
    assert_eq!(course["language"], "ru");
    assert_eq!(course["authors"], json!([{ "name": "Кафедра иностранных языков", "url": "https://vsu.example/lang" }]));
    let ext = &course["_learncity"];
    assert_eq!(ext["kind"], "course");
    assert_eq!(ext["mode"], "in_person");
    assert_eq!(ext["status"], "scheduled");
    assert_eq!(
        ext["sessions"],
        json!([
            { "start": "2026-03-12T18:30:00+03:00", "end": "2026-03-12T20:00:00+03:00", "time_zone": "Europe/Minsk",
              "all_day": false, "cancelled": false },
            { "start": "2026-03-19T18:30:00+03:00", "end": "2026-03-19T20:00:00+03:00", "time_zone": "Europe/Minsk",
              "all_day": false, "cancelled": true },
        ])
    );
    assert_eq!(
        ext["location"],
        json!({ "venue": "Центральная библиотека, зал 2", "address": "ул. Ленина, 5", "city": "Витебск",
                "geo": { "lat": 55.1904, "lon": 30.2049 } })
    );
    assert_eq!(ext["registration_url"], "https://vsu.example/courses/english-a1/register?group=2&lang=ru");

    assert_eq!(items[1]["_learncity"]["sessions"][0]["all_day"], true);
    let master = &items[2];
    assert_eq!(master["_learncity"]["status"], "cancelled");
    assert_eq!(master["_learncity"]["mode"], "online");
    assert_eq!(master["_learncity"]["online_url"], "https://meet.example/room?id=42&pw=x");
    assert_eq!(master["_learncity"]["languages"], json!(["ru", "be"]));
    assert!(master.get("language").is_none(), "two languages: no item language");
    assert_eq!(master["image"], "https://art.example/img/aquarelle.jpg");
    assert_eq!(master["content_html"], "<p>Рисуем <b>акварелью</b> &lt;онлайн&gt; &amp; бесплатно</p>");

    let lecture = &items[3];
    assert_eq!(lecture["content_text"], "Запись лекции об истории города.");
    assert!(lecture.get("content_html").is_none());
    assert!(lecture.get("summary").is_none(), "the summary is the content: not repeated");
    assert!(lecture.get("external_url").is_none(), "javascript: links are dropped");
    assert_eq!(lecture["_learncity"]["sessions"], json!([]));
    assert!(!text.contains('\u{7}') && !text.contains("\\u0007"));
}

#[test]
fn round_trips_through_feed_rs() {
    let text = json_feed(&entries(), &meta());
    let feed = feed_rs::parser::parse(text.as_bytes()).unwrap();
    assert_eq!(feed.feed_type, FeedType::JSON);
    assert_eq!(feed.title.as_ref().unwrap().content, "Обучение в Витебске: языки, искусство; всё");
    assert_eq!(feed.language.as_deref(), Some("ru"));
    let hrefs: Vec<&str> = feed.links.iter().map(|l| l.href.as_str()).collect();
    assert_eq!(
        hrefs,
        [
            "https://learn.vitebsk.example/catalogue?category=languages&mode=any",
            "https://learn.vitebsk.example/export/atom?category=languages&mode=any",
        ]
    );
    let source = entries();
    assert_eq!(feed.entries.len(), source.len());
    for (got, want) in feed.entries.iter().zip(&source) {
        assert_eq!(got.id, format!("urn:learncity:entry:{}", want.id));
        assert_eq!(got.title.as_ref().unwrap().content, clean_text(&want.title));
        assert_eq!(got.links[0].href, format!("https://learn.vitebsk.example/entries/{}", want.id));
        assert_eq!(got.updated, Some(want.updated_at));
        assert!(got.content.is_some());
    }
}

#[test]
fn an_empty_view_is_a_valid_feed() {
    let text = json_feed(&[], &meta());
    let feed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(feed["items"], json!([]));
    assert!(feed_rs::parser::parse(text.as_bytes()).unwrap().entries.is_empty());
}
