//! Seeds a catalogue store with N synthetic entries for load tests of the service
//! (`scripts/bench-serve`): realistic titles in Russian, Belarusian and English over a dozen
//! topics, several cities and providers, sessions over the next 90 days, prices, ages, modes.
//!
//! `cargo run --release -p learncity-serve --example seed -- STORE_URL N`

use chrono::{Duration, Utc};
use learncity_model::entry::ENTRY_SCHEMA_VERSION;
use learncity_model::{Audience, Entry, EntrySource, Kind, Location, Mode, Price, Session, SourceFormat, Status};
use learncity_store::{Changeset, EntryChange};

const TOPICS: &[(&str, &str, &str)] = &[
    ("Курсы английского языка", "Курсы англійскай мовы", "English course"),
    ("Программирование на Python", "Праграмаванне на Python", "Python programming"),
    ("Мастер-класс по керамике", "Майстар-клас па кераміцы", "Pottery master class"),
    ("Лекция по истории города", "Лекцыя па гісторыі горада", "City history lecture"),
    ("Цифровая фотография", "Лічбавая фатаграфія", "Digital photography"),
    ("Финансовая грамотность", "Фінансавая пісьменнасць", "Financial literacy"),
    ("Шахматы для детей", "Шахматы для дзяцей", "Chess for children"),
    ("Робототехника", "Робататэхніка", "Robotics"),
    (
        "Компьютерная грамотность для пенсионеров",
        "Камп'ютарная пісьменнасць для пенсіянераў",
        "Computer skills for seniors",
    ),
    ("Экскурсия по старому городу", "Экскурсія па старым горадзе", "Old town walking tour"),
    ("Веб-дизайн", "Вэб-дызайн", "Web design"),
    ("Йога для начинающих", "Ёга для пачаткоўцаў", "Yoga for beginners"),
];
const CITIES: &[&str] = &["Витебск", "Віцебск", "Vitebsk", "Минск", "Mahilioŭ", "Brest", "Гомель"];
const PROVIDERS: &[&str] = &["vsu", "library", "museum", "college", "itacademy", "seniors", "ngo", "lingua"];
const CATEGORIES: &[&str] = &["languages", "it", "arts", "history", "finance", "sport", "children", "seniors"];

fn entry(i: usize) -> Entry {
    let (ru, be, en) = TOPICS[i % TOPICS.len()];
    let title = match i % 3 {
        0 => format!("{ru} — группа {}", i / 3),
        1 => format!("{be} — група {}", i / 3),
        _ => format!("{en} — group {}", i / 3),
    };
    let provider = PROVIDERS[i % PROVIDERS.len()];
    let start = (Utc::now() + Duration::hours((i % (90 * 24)) as i64)).fixed_offset();
    let sessions = (0..(1 + i % 4))
        .map(|k| Session {
            start: start + Duration::days(7 * k as i64),
            end: Some(start + Duration::days(7 * k as i64) + Duration::hours(2)),
            time_zone: Some("Europe/Minsk".into()),
            all_day: false,
            floating: false,
            cancelled: false,
        })
        .collect();
    Entry {
        schema_version: ENTRY_SCHEMA_VERSION,
        id: format!("e-{i:016x}"),
        place: None,
        title: title.clone(),
        summary: Some(format!("{ru}. {en}. Занятие {i}.")),
        description_html: None,
        kind: Kind::Course,
        mode: [Mode::InPerson, Mode::Online, Mode::Hybrid][i % 3],
        status: if i.is_multiple_of(50) { Status::Cancelled } else { Status::Scheduled },
        sessions,
        recurrence: None,
        location: Some(Location {
            venue: Some(format!("Корпус {}", i % 7)),
            city: Some(CITIES[i % CITIES.len()].into()),
            district: Some(["Первомайский", "Октябрьский", "Железнодорожный"][i % 3].into()),
            ..Default::default()
        }),
        online_url: None,
        languages: vec![["ru", "be", "en"][i % 3].into()],
        audience: Audience {
            age_min: i.is_multiple_of(5).then_some(7),
            age_max: i.is_multiple_of(5).then_some(14),
            ..Default::default()
        },
        price: Some(if i.is_multiple_of(4) {
            Price::free()
        } else {
            Price {
                free: false,
                amount: Some((i % 200) as f64),
                amount_max: None,
                currency: Some("BYN".into()),
                per: None,
                text: None,
            }
        }),
        categories: vec![CATEGORIES[i % CATEGORIES.len()].into()],
        provider_categories: vec![],
        organizer: None,
        teachers: vec![],
        landing_url: Some(format!("https://{provider}.example/{i}")),
        registration_url: None,
        images: vec![],
        sources: vec![EntrySource {
            key: format!("{provider}/{i}"),
            provider_id: provider.into(),
            provider_name: Some(format!("Provider {provider}")),
            source_id: i.to_string(),
            url: Some(format!("https://{provider}.example/{i}")),
            title,
            status: Status::Scheduled,
            format: SourceFormat::Ical,
            priority: 0,
            fetched_at: Utc::now(),
            source_updated_at: None,
        }],
        updated_at: Utc::now(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(n)) = (args.next(), args.next()) else {
        return Err("usage: seed STORE_URL N".into());
    };
    let n: usize = n.parse()?;
    let store = learncity_store::open(&url).await?;
    let started = std::time::Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
        let changes = Changeset {
            entries: chunk.iter().map(|&i| EntryChange::Put { partition: 0, entry: entry(i) }).collect(),
            ..Default::default()
        };
        store.apply(&changes).await?;
    }
    println!("seeded {n} entries into {} in {:.1} s", store.describe(), started.elapsed().as_secs_f64());
    Ok(())
}
