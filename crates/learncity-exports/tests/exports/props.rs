//! Property tests: arbitrary text in every free-text field (title, summary, HTML description,
//! venue, category) never yields an invalid document. iCalendar keeps CRLF and 75-octet lines
//! and parses back (icalendar and calcard) to the cleaned title; Atom is well-formed XML 1.0
//! and feed-rs reads the title back; JSON Feed parses and keeps the title.

use learncity_exports::{FeedMeta, atom, clean_text, ical, json_feed};
use learncity_model::Entry;
use proptest::prelude::*;
use serde_json::Value;

use crate::check::{check_xml, ical_physical_lines};
use crate::fixtures::{course, meta};

/// Any text, or text made mostly of the characters the formats must escape or drop.
fn text() -> impl Strategy<Value = String> {
    let hostile = prop_oneof![
        any::<char>(),
        Just('\r'),
        Just('\n'),
        Just(';'),
        Just(','),
        Just('\\'),
        Just(':'),
        Just('<'),
        Just('>'),
        Just('&'),
        Just('"'),
        Just('\''),
        Just(' '),
        Just('ж'),
        Just('🎨'),
        Just('\u{7}'),
        Just('\u{0}'),
        Just('\u{fffe}'),
        Just('\u{85}'),
    ];
    prop_oneof![any::<String>(), proptest::collection::vec(hostile, 0..200).prop_map(String::from_iter)]
}

fn entry(title: String, summary: String, html: String, venue: String, category: String) -> Entry {
    let mut entry = course();
    entry.title = title;
    entry.summary = Some(summary);
    entry.description_html = Some(html);
    if let Some(location) = entry.location.as_mut() {
        location.venue = Some(venue);
    }
    entry.categories = vec![category, "languages".into()];
    entry
}

fn feed_meta(title: String) -> FeedMeta {
    FeedMeta { title, ..meta() }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ical_stays_valid(
        title in text(), summary in text(), html in text(), venue in text(), category in text(), name in text()
    ) {
        let entry = entry(title.clone(), summary, html, venue, category);
        let ics = ical(&[entry], &feed_meta(name));
        let lines = ical_physical_lines(&ics).map_err(TestCaseError::fail)?;
        prop_assert!(lines.iter().all(|l| l.len() <= 75));

        let cal: icalendar::Calendar = ics.parse().map_err(TestCaseError::fail)?;
        let summaries: Vec<String> = cal
            .components
            .iter()
            .filter_map(|c| match c {
                icalendar::CalendarComponent::Event(e) => {
                    icalendar::Component::get_summary(e).map(str::to_owned)
                }
                _ => None,
            })
            .collect();
        prop_assert_eq!(summaries, vec![clean_text(&title); 2]);

        let mut parser = calcard::Parser::new(&ics);
        let calcard::Entry::ICalendar(cal) = parser.entry() else {
            return Err(TestCaseError::fail("calcard found no calendar"));
        };
        let summaries: Vec<String> = cal
            .components
            .iter()
            .filter_map(|c| c.property(&calcard::icalendar::ICalendarProperty::Summary))
            // calcard reads an empty value (`SUMMARY:`, valid TEXT) as no value.
            .map(|e| e.values.first().and_then(|v| v.as_text()).unwrap_or_default().to_owned())
            .collect();
        prop_assert_eq!(summaries, vec![clean_text(&title); 2]);
    }

    #[test]
    fn atom_stays_well_formed(
        title in text(), summary in text(), html in text(), venue in text(), category in text(), name in text()
    ) {
        let entry = entry(title.clone(), summary, html, venue, category);
        let xml = atom(&[entry], &feed_meta(name));
        check_xml(&xml).map_err(TestCaseError::fail)?;
        let feed = feed_rs::parser::parse(xml.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(feed.entries.len(), 1);
        prop_assert_eq!(feed.entries[0].id.as_str(), "urn:learncity:entry:e-00000000000000a1");
    }

    #[test]
    fn json_feed_stays_valid(
        title in text(), summary in text(), html in text(), venue in text(), category in text(), name in text()
    ) {
        let entry = entry(title.clone(), summary, html, venue, category);
        let text = json_feed(&[entry], &feed_meta(name));
        let feed: Value = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&feed["items"][0]["title"], &Value::String(clean_text(&title)));
        let parsed = feed_rs::parser::parse(text.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.entries.len(), 1);
    }
}
