//! Shared setup of the fuzz targets: one reader context, built once.

use std::sync::{LazyLock, Once};

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

/// libFuzzer's panic hook aborts on every panic, also one the readers catch. The readers catch
/// panics inside feed-rs (`learncity_readers::feed`: feed-rs 3.0 slices a string at a byte that
/// is not a character boundary for some author e-mails) and read the document again or refuse it
/// with an error; those are not crashes. Every other panic still is.
fn tolerate_caught_feed_rs_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let crash = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.location().is_some_and(|l| l.file().contains("/feed-rs-")) {
                return;
            }
            crash(info);
        }));
    });
}

/// Reads `data` with `hint`; the result is dropped, only panics matter.
pub fn read(data: &[u8], hint: FormatHint) {
    tolerate_caught_feed_rs_panics();
    let ctx = ReadContext {
        provider: &PROVIDER,
        settings: &SETTINGS,
        document_url: Some(&URL),
        content_type: None,
        fetched_at: DateTime::parse_from_rfc3339("2025-03-01T09:00:00Z").expect("static").with_timezone(&Utc),
    };
    let _ = learncity_readers::read(data, hint, &ctx);
}
