//! Atom export tests: the feed checked for XML 1.0 well-formedness, then parsed back with
//! feed-rs (the parser the project's readers use) and compared field by field: feed id, title,
//! updated, self and alternate links, author, language; entry ids, titles, updated, links,
//! summary, HTML content and categories.

use feed_rs::model::FeedType;
use learncity_exports::{atom, clean_text};

use crate::check::check_xml;
use crate::fixtures::{entries, masterclass, meta, utc};

fn links(links: &[feed_rs::model::Link]) -> Vec<(Option<&str>, &str)> {
    links.iter().map(|l| (l.rel.as_deref(), l.href.as_str())).collect()
}

#[test]
fn is_well_formed_xml() {
    let xml = atom(&entries(), &meta());
    let elements = check_xml(&xml).unwrap();
    assert!(elements > 40, "{elements}");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\""));
    assert!(!xml.contains(['\u{0}', '\u{7}', '\u{1b}']));
}

#[test]
fn round_trips_through_feed_rs() {
    let xml = atom(&entries(), &meta());
    let feed = feed_rs::parser::parse(xml.as_bytes()).unwrap();
    assert_eq!(feed.feed_type, FeedType::Atom);
    assert_eq!(feed.id, "urn:learncity:feed:catalogue:languages");
    assert_eq!(feed.title.as_ref().unwrap().content, "Обучение в Витебске: языки, искусство; всё");
    assert_eq!(feed.updated, Some(utc("2026-03-01T09:30:00Z")));
    assert_eq!(feed.language.as_deref(), Some("ru"));
    assert_eq!(
        links(&feed.links),
        [
            (Some("self"), "https://learn.vitebsk.example/export/atom?category=languages&mode=any"),
            (Some("alternate"), "https://learn.vitebsk.example/catalogue?category=languages&mode=any"),
        ]
    );
    assert_eq!(feed.authors.iter().map(|a| a.name.as_deref()).collect::<Vec<_>>(), [Some("learncity")]);

    let source = entries();
    assert_eq!(feed.entries.len(), source.len());
    for (got, want) in feed.entries.iter().zip(&source) {
        assert_eq!(got.id, format!("urn:learncity:entry:{}", want.id));
        assert_eq!(got.title.as_ref().unwrap().content, clean_text(&want.title));
        assert_eq!(got.updated, Some(want.updated_at));
        let page = format!("https://learn.vitebsk.example/entries/{}", want.id);
        assert_eq!(links(&got.links)[0], (Some("alternate"), page.as_str()));
        // The summary: a line of when, where and the price, then the entry's own summary.
        let summary = got.summary.as_ref().map(|s| s.content.clone()).unwrap_or_default();
        let own = want.summary.as_deref().map(clean_text).unwrap_or_default();
        assert!(summary.ends_with(&own), "{summary}");
        if let Some(first) = want.sessions.iter().find(|s| !s.cancelled) {
            let day = first.start.format("%Y-%m-%d").to_string();
            assert!(summary.starts_with(&day), "the first session's date first: {summary}");
        }
        let terms: Vec<&str> = got.categories.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(terms, want.categories.iter().map(String::as_str).collect::<Vec<_>>());
    }

    let course = &feed.entries[0];
    let content = course.content.as_ref().unwrap();
    assert_eq!(content.body.as_deref(), Some("<p>a & b</p><p>Грамматика &amp; разговорная практика</p>"));
    assert_eq!(content.content_type.to_string(), "text/html");
    assert_eq!(
        links(&course.links)[1..],
        [
            (Some("related"), "https://vsu.example/courses/english-a1"),
            (Some("related"), "https://vsu.example/courses/english-a1/register?group=2&lang=ru"),
        ]
    );
    assert_eq!(course.authors[0].name.as_deref(), Some("Кафедра иностранных языков"));

    let master = &feed.entries[2];
    assert_eq!(master.title.as_ref().unwrap().content, clean_text(&masterclass().title));
    assert!(master.title.as_ref().unwrap().content.contains("🎨 <онлайн> & \"бесплатно\" — запись"));
    assert_eq!(
        master.content.as_ref().unwrap().body.as_deref(),
        Some("<p>Рисуем <b>акварелью</b> &lt;онлайн&gt; &amp; бесплатно</p>")
    );
    assert_eq!(
        master.summary.as_ref().unwrap().content,
        "2026-03-20 10:00 · онлайн · бесплатно\nВозьмите <кисти> & краски; \"акварель\" 'лучше', ]]> конец"
    );

    // The lecture's `javascript:` landing page is not linked; it has no content, only a link.
    let lecture = &feed.entries[3];
    assert_eq!(lecture.links.len(), 1);
    assert!(lecture.content.is_none());
    assert!(!xml.contains("javascript:"));
}

#[test]
fn an_empty_view_is_a_valid_feed() {
    let xml = atom(&[], &meta());
    check_xml(&xml).unwrap();
    let feed = feed_rs::parser::parse(xml.as_bytes()).unwrap();
    assert!(feed.entries.is_empty());
    assert_eq!(feed.id, "urn:learncity:feed:catalogue:languages");
}
