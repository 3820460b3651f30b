//! Realistic catalogue entries and feed metadata for the export tests: Cyrillic text with
//! commas, semicolons and line breaks, an all-day session, a cancelled session and a cancelled
//! entry, a long title with multi-byte characters that needs folding, HTML with a bare `&`,
//! XML-hostile characters including control characters, and an entry without sessions.

use chrono::{DateTime, FixedOffset, Utc};
use learncity_model::entry::ENTRY_SCHEMA_VERSION;
use learncity_model::{
    Audience, Entry, EntrySource, Geo, Kind, Location, Mode, Party, Price, Session, SourceFormat, Status,
};

use learncity_exports::FeedMeta;

pub fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

pub fn utc(s: &str) -> DateTime<Utc> {
    t(s).with_timezone(&Utc)
}

pub fn meta() -> FeedMeta {
    FeedMeta {
        title: "Обучение в Витебске: языки, искусство; всё".into(),
        self_url: "https://learn.vitebsk.example/export/atom?category=languages&mode=any".into(),
        html_url: "https://learn.vitebsk.example/catalogue?category=languages&mode=any".into(),
        id: "urn:learncity:feed:catalogue:languages".into(),
        updated: utc("2026-03-01T09:30:00Z"),
        entry_base_url: "https://learn.vitebsk.example/entries/".into(),
        language: Some("ru".into()),
    }
}

pub fn session(start: &str, end: Option<&str>) -> Session {
    Session {
        start: t(start),
        end: end.map(t),
        time_zone: Some("Europe/Minsk".into()),
        all_day: false,
        floating: false,
        cancelled: false,
    }
}

fn source(provider: &str, name: Option<&str>, n: u32) -> EntrySource {
    EntrySource {
        key: format!("{provider}/item-{n}"),
        provider_id: provider.into(),
        provider_name: name.map(Into::into),
        source_id: format!("item-{n}"),
        url: Some(format!("https://{provider}.example/items/{n}")),
        title: "source title".into(),
        status: Status::Scheduled,
        format: SourceFormat::Rss,
        priority: 0,
        fetched_at: utc("2026-02-27T08:00:00Z"),
        source_updated_at: None,
    }
}

fn base(id: &str, title: &str) -> Entry {
    Entry {
        schema_version: ENTRY_SCHEMA_VERSION,
        id: id.into(),
        place: Some("vitebsk".into()),
        title: title.into(),
        summary: None,
        description_html: None,
        kind: Kind::Course,
        mode: Mode::InPerson,
        status: Status::Scheduled,
        sessions: vec![],
        recurrence: None,
        location: None,
        online_url: None,
        languages: vec!["ru".into()],
        audience: Audience::default(),
        price: Some(Price::free()),
        categories: vec![],
        provider_categories: vec![],
        organizer: None,
        teachers: vec![],
        landing_url: None,
        registration_url: None,
        images: vec![],
        sources: vec![source("vsu", Some("ВГУ имени П. М. Машерова"), 1)],
        updated_at: utc("2026-02-27T08:00:00Z"),
    }
}

/// A language course: two evening sessions (the second cancelled), a full location with
/// coordinates, a summary full of commas, semicolons and line breaks, HTML with a bare `&`.
pub fn course() -> Entry {
    let mut second = session("2026-03-19T18:30:00+03:00", Some("2026-03-19T20:00:00+03:00"));
    second.cancelled = true;
    Entry {
        summary: Some("Для начинающих, без подготовки;\nзанятия по вторникам\r\nи четвергам, 18:30.".into()),
        description_html: Some("<p>a & b</p><p>Грамматика &amp; разговорная практика</p>".into()),
        sessions: vec![session("2026-03-12T18:30:00+03:00", Some("2026-03-12T20:00:00+03:00")), second],
        location: Some(Location {
            venue: Some("Центральная библиотека, зал 2".into()),
            address: Some("ул. Ленина, 5".into()),
            city: Some("Витебск".into()),
            geo: Some(Geo { lat: 55.1904, lon: 30.2049 }),
            ..Location::default()
        }),
        categories: vec!["languages".into(), "adults".into()],
        landing_url: Some("https://vsu.example/courses/english-a1".into()),
        registration_url: Some("https://vsu.example/courses/english-a1/register?group=2&lang=ru".into()),
        organizer: Some(Party {
            name: "Кафедра иностранных языков".into(),
            url: Some("https://vsu.example/lang".into()),
            email: None,
        }),
        sources: vec![source("vsu", Some("ВГУ имени П. М. Машерова"), 1), source("city-lib", None, 7)],
        ..base("e-00000000000000a1", "Курсы английского языка; уровень A1, вечерняя группа")
    }
}

/// An open day: one all-day session with an end, one all-day session without.
pub fn open_day() -> Entry {
    let mut day = session("2026-04-18T00:00:00+03:00", Some("2026-04-19T00:00:00+03:00"));
    day.all_day = true;
    let mut two_days = session("2026-05-16T00:00:00+03:00", None);
    two_days.all_day = true;
    Entry {
        kind: Kind::Event,
        summary: Some("Экскурсии, мастер-классы и консультации\\приёмной комиссии".into()),
        sessions: vec![day, two_days],
        location: Some(Location { city: Some("Витебск".into()), ..Location::default() }),
        categories: vec!["education".into()],
        updated_at: utc("2026-02-28T12:00:00Z"),
        ..base("e-00000000000000b2", "День открытых дверей")
    }
}

/// A cancelled online master class with a long title (multi-byte letters and an emoji) and
/// XML-hostile characters, control characters among them.
pub fn masterclass() -> Entry {
    Entry {
        kind: Kind::Masterclass,
        mode: Mode::Online,
        status: Status::Cancelled,
        summary: Some("Возьмите <кисти> & краски; \"акварель\" 'лучше'\u{7}, ]]> конец\u{1b}".into()),
        description_html: Some("<p>Рисуем <b>акварелью</b> &lt;онлайн&gt; &amp; бесплатно\u{0}</p>".into()),
        sessions: vec![session("2026-03-20T10:00:00+01:00", Some("2026-03-20T12:00:00+01:00"))],
        online_url: Some("https://meet.example/room?id=42&pw=x".into()),
        categories: vec!["art".into(), "хобби, досуг".into()],
        languages: vec!["ru".into(), "be".into()],
        images: vec!["https://art.example/img/aquarelle.jpg".into()],
        sources: vec![source("art-school", Some("Детская художественная школа №1"), 3)],
        updated_at: utc("2026-02-26T17:45:00Z"),
        ..base(
            "e-00000000000000c3",
            "Мастер-класс «Рисуем акварелью: весенний пейзаж» для взрослых и детей 🎨 <онлайн> & \
             \"бесплатно\"\u{7} — запись обязательна",
        )
    }
}

/// An on-demand online lecture: no sessions (left out of the calendar), no HTML.
pub fn lecture() -> Entry {
    Entry {
        kind: Kind::Lecture,
        mode: Mode::Online,
        summary: Some("Запись лекции об истории города.".into()),
        online_url: Some("https://video.example/watch/123".into()),
        landing_url: Some("javascript:alert(1)".into()),
        ..base("e-00000000000000d4", "История Витебска")
    }
}

pub fn entries() -> Vec<Entry> {
    vec![course(), open_day(), masterclass(), lecture()]
}
