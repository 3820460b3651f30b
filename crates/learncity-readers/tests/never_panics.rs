//! "Never panics" properties over every reader, in the normal test run (the cargo-fuzz targets
//! in `fuzz/` explore further where a nightly toolchain is available).
//!
//! Inputs: arbitrary bytes; mutations (truncation, byte flips, splices) of the realistic fixture
//! documents under `tests/fixtures/`, read both sniffed and forced into every format; and
//! token soups built from each format's own vocabulary, which reach deeper than random bytes.

use std::path::Path;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use learncity_model::ProviderRef;
use learncity_readers::{FieldRule, FormatHint, HtmlRules, ReadContext, ReaderSettings};
use proptest::prelude::*;

const HINTS: [FormatHint; 7] = [
    FormatHint::Auto,
    FormatHint::Rss,
    FormatHint::Atom,
    FormatHint::Jsonfeed,
    FormatHint::Ical,
    FormatHint::Html,
    FormatHint::Xcri,
];

static SETTINGS: LazyLock<ReaderSettings> = LazyLock::new(|| ReaderSettings {
    time_zone: "Europe/Minsk".into(),
    horizon_days: 60,
    max_sessions: 50,
    paging: learncity_readers::Paging { next: Some("a[rel=next], .next a".into()), ..Default::default() },
    html: Some(HtmlRules {
        item: "article, li, .event".into(),
        title: FieldRule::Selector("h1, h2, h3, a".into()),
        link: Some(FieldRule::Detailed { selector: "a".into(), attr: Some("href".into()), formats: vec![] }),
        start: Some(FieldRule::Detailed {
            selector: "time, .date".into(),
            attr: None,
            formats: vec!["%d %B %Y %H:%M".into()],
        }),
        description: Some(FieldRule::Selector("p".into())),
        price: Some(FieldRule::Selector(".price".into())),
        ..HtmlRules::default()
    }),
    ..ReaderSettings::default()
});

/// The fixture documents, as mutation seeds.
static SEEDS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut seeds = Vec::new();
    for dir in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".expected.json") && !name.ends_with(".provider.toml") {
                seeds.extend(std::fs::read(file.path()).ok());
            }
        }
    }
    assert!(!seeds.is_empty(), "no fixtures under {}", root.display());
    seeds
});

fn read_all_ways(bytes: &[u8]) {
    let provider = ProviderRef { id: "prop".into(), name: None };
    let url = url::Url::parse("https://provider.example/feed").expect("static url");
    let ctx = ReadContext {
        provider: &provider,
        settings: &SETTINGS,
        document_url: Some(&url),
        content_type: None,
        fetched_at: DateTime::parse_from_rfc3339("2025-03-01T09:00:00Z").expect("static").with_timezone(&Utc),
    };
    for hint in HINTS {
        if let Ok(out) = learncity_readers::read(bytes, hint, &ctx) {
            for o in &out.offerings {
                assert!(!o.title.is_empty(), "an offering without title");
                assert!(!o.source_id.is_empty(), "an offering without source id");
                if let Some(html) = &o.description_html {
                    assert_harmless(html);
                }
            }
            let mut ids: Vec<&str> = out.offerings.iter().map(|o| o.source_id.as_str()).collect();
            ids.sort_unstable();
            let n = ids.len();
            ids.dedup();
            assert_eq!(ids.len(), n, "source ids repeat within one document");
        }
    }
}

/// Sanitised HTML carries no script element, no event handler and no script URL. (Escaped text
/// such as `a href="javascript:x"&gt;` is harmless: it is shown, not run.)
fn assert_harmless(html: &str) {
    let fragment = scraper::Html::parse_fragment(html);
    for node in fragment.root_element().descendants() {
        let Some(el) = node.value().as_element() else { continue };
        assert!(
            !matches!(el.name(), "script" | "style" | "iframe" | "object" | "embed" | "form" | "svg" | "math"),
            "unsafe element <{}> in description: {html}",
            el.name()
        );
        for (name, value) in el.attrs() {
            let v: String =
                value.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect::<String>().to_lowercase();
            assert!(!name.to_lowercase().starts_with("on"), "event handler {name} in description: {html}");
            assert!(
                !(v.starts_with("javascript:") || v.starts_with("vbscript:") || v.starts_with("data:")),
                "script URL in {name} of description: {html}"
            );
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
}

fn mutate(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for m in mutations {
        let len = b.len().max(1);
        match m {
            Mutation::Truncate(at) => b.truncate(at % len),
            Mutation::Flip(at, x) => {
                if let Some(byte) = b.get_mut(at % len) {
                    *byte ^= x;
                }
            }
            Mutation::Insert(at, bytes) => {
                let at = (at % len).min(b.len());
                b.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete(at, n) => {
                let at = (at % len).min(b.len());
                let end = (at + n % 64).min(b.len());
                b.drain(at..end);
            }
        }
    }
    b
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1u8..).prop_map(|(a, x)| Mutation::Flip(a, x)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 0..16)).prop_map(|(a, v)| Mutation::Insert(a, v)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Mutation::Delete(a, n)),
    ]
}

/// Tokens of every format, to build documents that get past the first parser checks.
const TOKENS: &[&str] = &[
    "<catalog xmlns=\"http://xcri.org/profiles/1.2/catalog\">",
    "</catalog>",
    "<provider>",
    "</provider>",
    "<course>",
    "</course>",
    "<presentation>",
    "</presentation>",
    "<mlo:start dtf=\"2025-03-10\">",
    "</mlo:start>",
    "<end dtf=\"2025-99-99\"/>",
    "<attendanceMode identifier=\"MM\">",
    "<venue><provider><dc:title>Hall</dc:title>",
    "<dc:identifier>c1</dc:identifier>",
    "<div class=\"h-event\">",
    "<span class=\"p-name\">",
    "<time class=\"dt-start\" datetime=\"2025-03-12T18:30\">",
    "<span class=\"dt-end\"><span class=\"value\">",
    "<div class=\"p-location h-card\">",
    "<a rel=\"next\" href=\"?page=2\">",
    "<link rel=\"next\" href=\"/p2\"/>",
    "BEGIN:VCALENDAR\r\n",
    "BEGIN:VEVENT\r\n",
    "END:VEVENT\r\n",
    "END:VCALENDAR\r\n",
    "BEGIN:VTIMEZONE\r\n",
    "END:VTIMEZONE\r\n",
    "UID:a\r\n",
    "UID:b\r\n",
    "DTSTART:20250312T183000Z\r\n",
    "DTSTART;TZID=Europe/Minsk:20250312T183000\r\n",
    "DTSTART;VALUE=DATE:20250312\r\n",
    "DTSTART;TZID=Nowhere/X:20250312T183000\r\n",
    "DTEND:20250312T203000Z\r\n",
    "DURATION:PT90M\r\n",
    "DURATION:-P1D\r\n",
    "RRULE:FREQ=WEEKLY;COUNT=10\r\n",
    "RRULE:FREQ=SECONDLY\r\n",
    "RRULE:FREQ=DAILY;INTERVAL=0\r\n",
    "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\r\n",
    "RRULE:FREQ=MONTHLY;BYDAY=-1SU;UNTIL=20300101T000000Z\r\n",
    "EXDATE:20250319T183000Z\r\n",
    "RDATE:20250401T100000Z\r\n",
    "RECURRENCE-ID:20250319T183000Z\r\n",
    "STATUS:CANCELLED\r\n",
    "CLASS:PRIVATE\r\n",
    "GEO:55.19;30.2\r\n",
    "GEO:999;-999\r\n",
    "SUMMARY:Лекция\r\n",
    " folded\r\n",
    "LOCATION:https://zoom.us/j/1\r\n",
    "X-GOOGLE-CONFERENCE:https://meet.google.com/x\r\n",
    "<?xml version=\"1.0\" encoding=\"windows-1251\"?>",
    "<rss version=\"2.0\">",
    "<channel>",
    "</channel>",
    "</rss>",
    "<item>",
    "</item>",
    "<title>",
    "</title>",
    "<link>",
    "</link>",
    "<guid>1</guid>",
    "<pubDate>Wed, 12 Mar 2025 18:30:00 +0300</pubDate>",
    "<pubDate>32 Foo 99999</pubDate>",
    "<description><![CDATA[<p onclick=x>hi</p>]]></description>",
    "&laquo;",
    "&",
    "&#xD800;",
    "<!DOCTYPE x [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>",
    "&b;",
    "<feed xmlns=\"http://www.w3.org/2005/Atom\">",
    "<entry>",
    "</entry>",
    "<updated>2025-03-01T00:00:00Z</updated>",
    "</feed>",
    "{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[",
    "{\"id\":\"1\",\"title\":\"T\",\"content_html\":\"<b>x</b>\"}",
    ",",
    "]}",
    "<html><body>",
    "<script type=\"application/ld+json\">",
    "{\"@context\":\"https://schema.org\",\"@type\":\"Course\",\"name\":\"C\",\"hasCourseInstance\":[",
    "{\"@type\":\"CourseInstance\",\"startDate\":\"2025-03-12T18:30\",\"location\":{\"@type\":\"VirtualLocation\",\"url\":\"https://zoom.us/j/1\"}}",
    "{\"@graph\":[",
    "\"startDate\":\"12 марта 2025, 18:30\"",
    "</script>",
    "<article><h3>Курс</h3><time>12 сакавіка 2025 18:30</time><a href=\"/x\">x</a></article>",
    "<div itemscope itemtype=\"https://schema.org/Event\"><span itemprop=\"name\">E</span><meta itemprop=\"startDate\" content=\"2025-03-12\">",
    "</div>",
    "</body></html>",
    "\u{0}",
    "\u{feff}",
    "\r\n",
    " ",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        read_all_ways(&bytes);
    }

    #[test]
    fn mutated_fixtures_never_panic(seed in any::<prop::sample::Index>(), mutations in prop::collection::vec(mutation(), 1..6)) {
        let seed = &SEEDS[seed.index(SEEDS.len())];
        read_all_ways(&mutate(seed, &mutations));
    }

    #[test]
    fn token_soups_never_panic(tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..80)) {
        read_all_ways(tokens.concat().as_bytes());
    }
}

/// Words and marks of the text readers (prices, schedules, ages, places): multibyte dashes and
/// letters next to digits are where byte offsets go wrong.
const PROSE_TOKENS: &[&str] = &[
    "по вторникам",
    "и",
    "четвергам",
    "в",
    "18:30",
    "18.30",
    "19:00–20:30",
    "–",
    "—",
    "-",
    "12",
    "занятий",
    "8",
    "sessions",
    "Mondays",
    "Wed",
    "пн–пт",
    "ежедневно",
    "кроме",
    "воскресенья",
    "нет занятий",
    "7 января",
    "перерыв",
    "с 1 по 7 января",
    "12.01.2027",
    "2 раза в неделю",
    "6 weeks",
    "every",
    "7 pm",
    "кожную суботу",
    "а 11:00",
    "410",
    "руб.",
    "за курс",
    "BYN",
    "€",
    "$",
    "бел. руб.",
    "Вход свободный",
    "Free",
    "Стоимость",
    ":",
    "уточняйте",
    "от",
    "до",
    "лет",
    "Ages",
    "7–9",
    "6+",
    "гадоў",
    "aged",
    "to",
    "and up",
    "№ 5",
    "ул.",
    "Ленина",
    "5",
    ",",
    ";",
    ".",
    "г.",
    "Витебск",
    "İ",
    "ẞ",
    "\u{0}",
    "\u{200b}",
    " ",
    "\n",
    "(",
    ")",
    "коп.",
    "1 200",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn prose_never_panics(tokens in prop::collection::vec(prop::sample::select(PROSE_TOKENS), 0..40), text in ".{0,200}") {
        use learncity_readers::prose::{age, place, price, schedule};
        for t in [tokens.join(" "), tokens.concat(), text] {
            let _ = price::read(&t, Some("BYN"));
            let _ = age::read(&t);
            let _ = place::split(&t);
            let _ = schedule::unknown_schedule(&t);
            if let Some(plan) = schedule::read(&t) {
                let first = chrono::NaiveDate::from_ymd_opt(2027, 1, 12).expect("static date");
                let _ = plan.expand(first, None, first.checked_add_days(chrono::Days::new(60)), 500);
                let _ = plan.expand(first, chrono::NaiveTime::from_hms_opt(18, 30, 0).map(|t| (t, None)), None, 500);
            }
        }
    }
}
