//! Shared setup of the fuzz targets: one reader context, built once.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use learncity_model::ProviderRef;
use learncity_readers::{FieldRule, FormatHint, HtmlRules, ReadContext, ReaderSettings};

static PROVIDER: LazyLock<ProviderRef> = LazyLock::new(|| ProviderRef { id: "fuzz".into(), name: None });
static URL: LazyLock<url::Url> =
    LazyLock::new(|| url::Url::parse("https://provider.example/feed").expect("static url"));
static SETTINGS: LazyLock<ReaderSettings> = LazyLock::new(|| ReaderSettings {
    time_zone: "Europe/Berlin".into(),
    horizon_days: 90,
    max_sessions: 100,
    html: Some(HtmlRules {
        item: "article, li".into(),
        title: FieldRule::Selector("h3, a".into()),
        link: Some(FieldRule::Detailed { selector: "a".into(), attr: Some("href".into()), formats: vec![] }),
        start: Some(FieldRule::Selector("time, .date".into())),
        ..HtmlRules::default()
    }),
    ..ReaderSettings::default()
});

/// Reads `data` with `hint`; the result is dropped, only panics matter.
pub fn read(data: &[u8], hint: FormatHint) {
    let ctx = ReadContext {
        provider: &PROVIDER,
        settings: &SETTINGS,
        document_url: Some(&URL),
        content_type: None,
        fetched_at: DateTime::parse_from_rfc3339("2025-03-01T09:00:00Z").expect("static").with_timezone(&Utc),
    };
    let _ = learncity_readers::read(data, hint, &ctx);
}
