//! Property: whatever characters a provider puts in its text, no short field of an offering
//! (title, summary, place, organiser, teachers, categories) carries a bidi control or an
//! invisible character — except a zero-width joiner inside an emoji sequence.

use chrono::{DateTime, Utc};
use learncity_model::{Offering, ProviderRef};
use learncity_readers::text::strip_invisible;
use learncity_readers::{FormatHint, ReadContext, ReaderSettings};
use proptest::prelude::*;

/// Characters that direct or hide text, mixed with ordinary letters, spaces and emoji.
fn text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => prop::sample::select(vec!['a', 'Я', 'ё', ' ', '1', '-', 'ש', 'ع', '👩', '💻', '\u{FE0F}']),
        2 => prop::sample::select(vec![
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}',
            '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}',
            '\u{FEFF}', '\u{00AD}', '\u{3164}', '\u{E0067}',
        ]),
        1 => any::<char>(),
    ];
    prop::collection::vec(c, 0..24).prop_map(|v| v.into_iter().collect())
}

const BIDI: [char; 12] = [
    '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
    '\u{200E}', '\u{200F}', '\u{061C}',
];

fn short_fields(o: &Offering) -> Vec<(&'static str, &str)> {
    let mut fields = vec![("title", o.title.as_str()), ("source_id", o.source_id.as_str())];
    fields.extend(o.summary.as_deref().map(|s| ("summary", s)));
    if let Some(l) = &o.location {
        for (name, v) in [("venue", &l.venue), ("address", &l.address), ("city", &l.city), ("country", &l.country)] {
            fields.extend(v.as_deref().map(|s| (name, s)));
        }
    }
    fields.extend(o.organizer.as_ref().map(|p| ("organizer", p.name.as_str())));
    fields.extend(o.teachers.iter().map(|p| ("teachers", p.name.as_str())));
    fields.extend(o.categories.iter().chain(&o.provider_categories).map(|c| ("categories", c.as_str())));
    fields
}

fn read(doc: &str) -> Vec<Offering> {
    let settings = ReaderSettings::default();
    let provider = ProviderRef { id: "p".into(), name: None };
    let url = url::Url::parse("https://provider.example/events/").unwrap();
    let fetched_at: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let ctx = ReadContext {
        provider: &provider,
        settings: &settings,
        document_url: Some(&url),
        content_type: Some("text/html"),
        fetched_at,
    };
    learncity_readers::read(doc.as_bytes(), FormatHint::Html, &ctx).map(|out| out.offerings).unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn no_short_field_carries_bidi_controls_or_invisible_characters(
        name in text(), venue in text(), street in text(), city in text(), organiser in text(),
        performer in text(), keyword in text(), id in text(),
    ) {
        let event = serde_json::json!({
            "@context": "https://schema.org",
            "@type": "Event",
            "@id": id,
            "name": format!("{name} x"),
            "startDate": "2026-02-01T18:00:00+03:00",
            "location": {"@type": "Place", "name": venue,
                         "address": {"@type": "PostalAddress", "streetAddress": street, "addressLocality": city}},
            "organizer": {"@type": "Organization", "name": organiser},
            "performer": {"@type": "Person", "name": performer},
            "keywords": keyword,
        });
        let doc = format!("<html><head><script type=\"application/ld+json\">{event}</script></head><body></body></html>");
        for o in read(&doc) {
            for (field, value) in short_fields(&o) {
                prop_assert!(!value.chars().any(|c| BIDI.contains(&c)), "{field} {value:?}");
                let stripped = strip_invisible(value);
                prop_assert_eq!(stripped.as_ref(), value, "{} {:?}", field, value);
            }
        }
    }
}
