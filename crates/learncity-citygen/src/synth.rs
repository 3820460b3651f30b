//! Seeded synthetic cities for benchmarks: any number of providers and offerings, a chosen
//! share re-announced by a second provider (some re-spelled in Latin letters).
//!
//! The density is a real city's, whatever the size: at most [`OFFERINGS_PER_CITY`] real-world
//! offerings per city over about three months (a larger catalogue spans more cities, each
//! provider in one), in [`VENUES_PER_CITY`] venues per city, 9:00–20:00 in five-minute steps.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use learncity_model::{
    Audience, Kind, Location, Mode, Offering, Provenance, ProviderRef, SCHEMA_VERSION, Session, SourceFormat, Status,
};

use crate::render::{self, HtmlStyle, Item, Spec, When};
use crate::rng::SplitMix64;
use crate::translit::to_latin;
use crate::{City, Document, Format, ProviderFile, Truth, key};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthParams {
    /// PRNG seed: the same parameters give the same city, byte for byte.
    pub seed: u64,
    /// Number of providers (at least 2 for any duplicate); formats go round-robin over
    /// [`Format::ALL`].
    pub providers: usize,
    /// Number of real-world offerings (each announced once, plus its duplicates).
    pub offerings: usize,
    /// Share of offerings re-announced by a second provider (0.0..=1.0).
    pub duplicate_rate: f64,
    /// Share of those re-announcements whose title is re-spelled in Latin letters.
    pub variant_rate: f64,
    /// The day the dates are relative to.
    pub today: NaiveDate,
    /// Where the documents are served (`http://127.0.0.1:8091`), for the provider configs.
    pub base_url: String,
}

impl SynthParams {
    /// `offerings` offerings over `providers` providers: 20% re-announced, a third of those in
    /// Latin spelling, dated from `today`.
    pub fn new(seed: u64, providers: usize, offerings: usize, today: NaiveDate) -> Self {
        Self {
            seed,
            providers,
            offerings,
            duplicate_rate: 0.2,
            variant_rate: 0.33,
            today,
            base_url: "http://127.0.0.1:8091".to_owned(),
        }
    }
}

const KINDS: &[(&str, Kind)] = &[
    ("Курс", Kind::Course),
    ("Мастер-класс", Kind::Masterclass),
    ("Лекция", Kind::Lecture),
    ("Семинар", Kind::Workshop),
    ("Тренинг", Kind::Workshop),
    ("Экскурсия", Kind::Tour),
];

const TOPICS: &[&str] = &[
    "английского языка",
    "немецкого языка",
    "программирования на Python",
    "керамики",
    "живописи маслом",
    "цифровой фотографии",
    "финансовой грамотности",
    "шахмат",
    "истории города",
    "компьютерной грамотности",
    "робототехники",
    "эстрадного вокала",
    "актёрского мастерства",
    "3D-моделирования",
    "белорусского языка",
    "веб-дизайна",
    "каллиграфии",
    "йоги",
    "первой помощи",
    "ландшафтного дизайна",
    "гончарного дела",
    "акварели",
    "психологии общения",
    "журналистики",
    "статистики",
    "астрономии",
    "генеалогии",
    "кулинарии",
    "скандинавской ходьбы",
    "жестового языка",
    "игры на гитаре",
    "ораторского искусства",
];

/// Syllables of the made-up group names that keep unrelated titles apart.
const SYLLABLES: &[&str] = &[
    "ла", "ра", "на", "ве", "ми", "до", "ту", "бо", "ре", "ка", "со", "ли", "зо", "пе", "гу", "ня", "ва", "ро", "те",
    "ма", "ди", "лу", "фа", "се", "го", "ни", "ку", "да", "мо", "ре", "ту", "ры",
];

/// Real-world offerings per city at most: a larger catalogue spans more cities.
pub const OFFERINGS_PER_CITY: usize = 20_000;

/// Venues per city.
pub const VENUES_PER_CITY: usize = 40;

/// Cities (Russian, Latin), in the order a catalogue grows into them; beyond the list, the names
/// come round again with a number.
const CITIES: &[(&str, &str)] = &[
    ("Витебск", "Vitebsk"),
    ("Минск", "Minsk"),
    ("Гомель", "Gomel"),
    ("Могилёв", "Mogilev"),
    ("Гродно", "Grodno"),
    ("Брест", "Brest"),
    ("Бобруйск", "Bobruisk"),
    ("Барановичи", "Baranovichi"),
    ("Борисов", "Borisov"),
    ("Пинск", "Pinsk"),
    ("Орша", "Orsha"),
    ("Мозырь", "Mozyr"),
    ("Новополоцк", "Novopolotsk"),
    ("Лида", "Lida"),
    ("Полоцк", "Polotsk"),
    ("Солигорск", "Soligorsk"),
    ("Молодечно", "Molodechno"),
    ("Светлогорск", "Svetlogorsk"),
    ("Жлобин", "Zhlobin"),
    ("Слуцк", "Slutsk"),
];

/// How many cities `p`'s offerings span: provider `i` is in city `i % cities`, and every city has
/// a provider.
fn city_count(p: &SynthParams) -> usize {
    p.offerings.div_ceil(OFFERINGS_PER_CITY).clamp(1, p.providers.max(1))
}

/// City `c`: (Russian, Latin) names.
fn city(c: usize) -> (String, String) {
    let (ru, latin) = CITIES[c % CITIES.len()];
    match c / CITIES.len() {
        0 => (ru.to_owned(), latin.to_owned()),
        round => (format!("{ru} {}", round + 1), format!("{latin} {}", round + 1)),
    }
}

const VENUE_KINDS: &[&str] = &[
    "Дом культуры",
    "Библиотека",
    "Университет, корпус",
    "Молодёжный центр",
    "Музей",
    "IT-хаб",
    "Колледж искусств",
    "Центр для пожилых",
];

const STREETS: &[&str] =
    &["ул. Ленина", "ул. Пушкина", "ул. Октябрьская", "ул. Покровская", "ул. Чкалова", "ул. Гоголя", "пр. Победы"];

/// Venue `v` of a city: (name, address).
fn venue(v: usize) -> (String, String) {
    let kind = VENUE_KINDS[v % VENUE_KINDS.len()];
    let number = v / VENUE_KINDS.len() + 1;
    let street = STREETS[v % STREETS.len()];
    (format!("{kind} №{number}"), format!("{street}, {}", 3 + 2 * v))
}

/// One announcement of a planned city.
struct Planned {
    provider: u32,
    /// Its provider's city.
    city: u32,
    /// Its number among its provider's items.
    number: u32,
    title: String,
    kind: Kind,
    start: NaiveDateTime,
    venue: u16,
    /// The real-world offering it announces.
    group: u32,
}

fn group_name(rng: &mut SplitMix64) -> String {
    let n = 2 + rng.below(2);
    let mut s = String::new();
    for i in 0..n {
        let syl = *rng.pick(SYLLABLES);
        if i == 0 {
            let mut c = syl.chars();
            if let Some(f) = c.next() {
                s.extend(f.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push_str(syl);
        }
    }
    s
}

/// Every announcement, grouped by real-world offering (group order).
fn plan(p: &SynthParams) -> Vec<Planned> {
    let providers = p.providers.max(1);
    let cities = city_count(p);
    let mut rng = SplitMix64::new(p.seed);
    let mut counters = vec![0u32; providers];
    let mut out = Vec::with_capacity(p.offerings + (p.offerings as f64 * p.duplicate_rate) as usize + 1);
    for group in 0..p.offerings {
        let provider = rng.below(providers);
        let city = provider % cities;
        // Providers of this city: city, city + cities, city + 2 × cities...
        let in_city = (providers - city).div_ceil(cities);
        let (kind_word, kind) = *rng.pick(KINDS);
        let title = format!("{kind_word} {} «{}»", rng.pick(TOPICS), group_name(&mut rng));
        let day = rng.range(-5, 90);
        let minutes = rng.range(9 * 12, 20 * 12) * 5;
        let start = (p.today + Duration::days(day)).and_time(NaiveTime::MIN) + Duration::minutes(minutes);
        let venue = rng.below(VENUES_PER_CITY) as u16;
        let duplicate = in_city > 1 && rng.unit() < p.duplicate_rate;
        let latin = rng.unit() < p.variant_rate;
        let shift = [0, 0, 5, 10][rng.below(4)];
        let nth = provider / cities;
        let other = city + ((nth + 1 + rng.below(in_city - 1)) % in_city) * cities;
        counters[provider] += 1;
        let dup = duplicate.then(|| Planned {
            provider: other as u32,
            city: city as u32,
            number: 0,
            title: if latin { to_latin(&title) } else { title.clone() },
            kind,
            start: start + Duration::minutes(shift),
            venue,
            group: group as u32,
        });
        out.push(Planned {
            provider: provider as u32,
            city: city as u32,
            number: counters[provider],
            title,
            kind,
            start,
            venue,
            group: group as u32,
        });
        if let Some(mut dup) = dup {
            counters[other] += 1;
            dup.number = counters[other];
            out.push(dup);
        }
    }
    out
}

fn provider_id(i: usize) -> String {
    format!("synth-{i:04}")
}

fn site(i: usize) -> String {
    format!("https://p{i}.synth.example")
}

fn format_of(i: usize) -> Format {
    Format::ALL[i % Format::ALL.len()]
}

/// The source id of item `n` of provider `i` (what its document says and its reader keeps).
fn source_id(i: usize, n: u32) -> String {
    match format_of(i) {
        Format::Ical => format!("{n}@p{i}.synth.example"),
        Format::Atom => format!("tag:p{i}.synth.example,2024:{n}"),
        Format::JsonLd => format!("{}/events/{n}", site(i)),
        _ => format!("p{i}-{n}"),
    }
}

fn spec(i: usize) -> Spec {
    let format = format_of(i);
    Spec {
        id: provider_id(i),
        name: format!("Synthetic provider {i}"),
        lang: "ru",
        format,
        path: format!("/p{i}/offerings.{}", format.extension()),
        comment: vec![format!("Synthetic city: provider {i}, {}.", format.config_name())],
        default_venue: None,
        site: site(i),
        html_style: HtmlStyle::Afisha,
    }
}

/// A synthetic city: documents, provider configs (in [`City::provider_files`]) and truth.
pub fn synthetic(p: &SynthParams) -> City {
    let providers = p.providers.max(1);
    let generated_at = Utc.from_utc_datetime(&p.today.and_time(NaiveTime::MIN));
    let planned = plan(p);
    let mut items: Vec<Vec<Item>> = (0..providers).map(|_| Vec::new()).collect();
    let mut groups: Vec<Vec<String>> = Vec::with_capacity(p.offerings);
    for a in &planned {
        let i = a.provider as usize;
        let id = source_id(i, a.number);
        let (venue, address) = venue(a.venue as usize);
        items[i].push(Item {
            id: id.clone(),
            title: Some(a.title.clone()),
            description: format!("<p>{}.</p>", a.title),
            when: When::At { start: a.start, end: Some(a.start + Duration::minutes(90)) },
            utc: false,
            venue,
            address,
            city: (format_of(i) == Format::JsonLd).then(|| city(a.city as usize).0),
            url: format!("{}/events/{}", site(i), a.number),
            price: None,
            teacher: None,
            category: "Курсы".to_owned(),
            rrule: None,
            exdate: None,
            course: false,
        });
        let k = key(&provider_id(i), &id);
        match groups.get_mut(a.group as usize) {
            Some(g) => g.push(k),
            None => groups.push(vec![k]),
        }
    }
    let mut documents = Vec::with_capacity(providers);
    let mut provider_files = Vec::with_capacity(providers);
    let mut by_provider = BTreeMap::new();
    for (i, items) in items.iter().enumerate() {
        let spec = spec(i);
        documents.push(Document {
            path: spec.path.clone(),
            provider: spec.id.clone(),
            format: spec.format,
            content_type: spec.format.content_type().to_owned(),
            body: render::document(&spec, items, generated_at),
            fault: None,
        });
        provider_files.push(ProviderFile {
            id: spec.id.clone(),
            file_name: format!("{}.toml", spec.id),
            toml: render::provider_toml(&spec, &city(i % city_count(p)).1, &p.base_url),
        });
        let mut keys: Vec<String> = items.iter().map(|it| key(&spec.id, &it.id)).collect();
        keys.sort();
        by_provider.insert(spec.id.clone(), keys);
    }
    for g in &mut groups {
        g.sort();
    }
    City {
        today: p.today,
        generated_at,
        documents,
        provider_files,
        truth: Truth { groups, items: by_provider, broken: Vec::new() },
    }
}

/// The offerings of [`synthetic`]'s city built directly (no documents, no reading), with the
/// real-world offering each belongs to: `labels[i]` is the group of `offerings[i]`, groups
/// numbered from 0. Fast enough for dedup benchmarks at a million offerings.
pub fn synthetic_offerings(p: &SynthParams) -> (Vec<Offering>, Vec<usize>) {
    let planned = plan(p);
    let minsk = FixedOffset::east_opt(3 * 3600).expect("+03:00 is a valid offset");
    let fetched_at: DateTime<Utc> = Utc.from_utc_datetime(&p.today.and_time(NaiveTime::MIN));
    let providers: Vec<ProviderRef> = (0..p.providers.max(1))
        .map(|i| ProviderRef { id: provider_id(i), name: Some(format!("Synthetic provider {i}")) })
        .collect();
    let mut offerings = Vec::with_capacity(planned.len());
    let mut labels = Vec::with_capacity(planned.len());
    for a in planned {
        let i = a.provider as usize;
        let (venue, address) = venue(a.venue as usize);
        let start = minsk.from_local_datetime(&a.start).single().unwrap_or_else(|| minsk.from_utc_datetime(&a.start));
        let format = match format_of(i) {
            Format::Rss => SourceFormat::Rss,
            Format::Atom => SourceFormat::Atom,
            Format::JsonFeed => SourceFormat::Jsonfeed,
            Format::Ical => SourceFormat::Ical,
            Format::HtmlRules => SourceFormat::Html,
            Format::JsonLd => SourceFormat::Jsonld,
        };
        let source_id = source_id(i, a.number);
        offerings.push(Offering {
            schema_version: SCHEMA_VERSION,
            provenance: Provenance {
                format,
                fetched_at,
                document_url: None,
                content_hash: format!("synth:{}:{}", i, a.number),
                source_updated_at: None,
                source_published_at: None,
            },
            source_id,
            provider: providers[i].clone(),
            title: a.title,
            summary: None,
            description_html: None,
            kind: a.kind,
            mode: Mode::InPerson,
            status: Status::Scheduled,
            sessions: vec![Session {
                start,
                end: Some(start + Duration::minutes(90)),
                time_zone: Some("Europe/Minsk".to_owned()),
                all_day: false,
                floating: false,
                cancelled: false,
            }],
            recurrence: None,
            location: Some(Location {
                venue: Some(venue),
                address: Some(address),
                city: Some(city(a.city as usize).0),
                ..Location::default()
            }),
            online_url: None,
            languages: vec!["ru".to_owned()],
            audience: Audience::default(),
            price: None,
            categories: Vec::new(),
            provider_categories: Vec::new(),
            organizer: None,
            teachers: Vec::new(),
            landing_url: Some(format!("{}/events/{}", site(i), a.number)),
            registration_url: None,
            images: Vec::new(),
            related_urls: Vec::new(),
        });
        labels.push(a.group as usize);
    }
    (offerings, labels)
}
