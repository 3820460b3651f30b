//! A labelled deduplication set of realistic variants, with precision and recall printed.
//!
//! 100 real offerings (5 formats × 20 topics), each announced by two or three providers: in
//! Cyrillic and in Latin transliteration, with the city in Russian, Belarusian or Latin
//! spelling, the start given with or without its zone (same instant) or 5–15 minutes off, with
//! typos, prefixes and suffixes; plus distractors that must stay apart (the same title a week
//! later or in another city, another offering at the same time and place). Pairs in one
//! predicted cluster are compared with pairs of one real offering.

use std::collections::HashSet;

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use learncity_catalog::fold::tokens;
use learncity_catalog::matching::{Features, Thresholds, clusters};

const FORMATS: &[&str] = &["Курс", "Мастер-класс", "Лекция", "Тренинг", "Семинар"];
const TOPICS: &[&str] = &[
    "английского языка для начинающих",
    "немецкого языка",
    "программирования на Python",
    "керамики и гончарного дела",
    "живописи маслом",
    "цифровой фотографии",
    "финансовой грамотности",
    "шахмат для детей",
    "истории Витебска",
    "компьютерной грамотности для пенсионеров",
    "робототехники",
    "эстрадного вокала",
    "актерского мастерства",
    "3D-моделирования",
    "белорусского языка",
    "веб-дизайна",
    "каллиграфии",
    "йоги для начинающих",
    "первой медицинской помощи",
    "ландшафтного дизайна",
];
const CITY_SPELLINGS: &[&str] = &["Витебск", "Віцебск", "Vitebsk", "Viciebsk"];
const OTHER_CITIES: &[&str] = &["Могилёв", "Mahilioŭ", "Минск", "Brest"];
const VENUES: &[&str] = &["ул. Ленина 12", "Центральная библиотека", "ВГУ, корпус 2", "Дом культуры"];

/// A tiny deterministic generator (no dependency, the same set every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn typo(s: &str, rng: &mut Lcg) -> String {
    let chars: Vec<char> = s.chars().collect();
    // Swap two letters inside a long word, never the first (people rarely miss the first).
    let candidates: Vec<usize> = (2..chars.len().saturating_sub(2))
        .filter(|&i| chars[i].is_alphabetic() && chars[i + 1].is_alphabetic())
        .collect();
    if candidates.is_empty() {
        return s.to_owned();
    }
    let i = candidates[rng.below(candidates.len())];
    let mut out = chars.clone();
    out.swap(i, i + 1);
    out.into_iter().collect()
}

struct Item {
    truth: usize,
    features: Features,
}

fn item(truth: usize, provider: &str, title: &str, city: &str, start: DateTime<FixedOffset>, venue: &str) -> Item {
    Item { truth, features: Features::from_parts(provider, title, Some(city), Some(start), venue, &[]) }
}

fn labelled_set() -> Vec<Item> {
    let mut rng = Lcg(20_261_127);
    let minsk = FixedOffset::east_opt(3 * 3600).unwrap();
    let utc = FixedOffset::east_opt(0).unwrap();
    let mut items = Vec::new();
    let mut truth = 0;
    for format in FORMATS {
        for topic in TOPICS {
            let title = format!("{format} {topic}");
            let day = 1 + rng.below(58) as i64;
            let hour = 10 + rng.below(9) as u32;
            let start = minsk.with_ymd_and_hms(2026, 3, 1, hour, 0, 0).unwrap() + Duration::days(day);
            let venue = VENUES[rng.below(VENUES.len())];
            // The university, in Russian.
            items.push(item(truth, "university", &title, "Витебск", start, venue));
            // The library, transliterated, the start in UTC (same instant) or a little off.
            let latin = any_ascii::any_ascii(&title);
            let shift = [0, 0, 5, 10, 15][rng.below(5)];
            let lib_start = (start + Duration::minutes(shift)).with_timezone(&utc);
            let city = CITY_SPELLINGS[rng.below(CITY_SPELLINGS.len())];
            items.push(item(truth, "library", &latin, city, lib_start, ""));
            // Half of them also on the city portal: a typo, a prefix or a suffix.
            if rng.below(2) == 0 {
                let portal = match rng.below(3) {
                    0 => typo(&title, &mut rng),
                    1 => format!("Новое! {title}"),
                    _ => format!("{title} (бесплатно, 16+)"),
                };
                let city = CITY_SPELLINGS[rng.below(CITY_SPELLINGS.len())];
                items.push(item(truth, "portal", &portal, city, start, venue));
            }
            truth += 1;
            // Distractors, each its own offering.
            match rng.below(3) {
                0 => items.push(item(truth, "portal", &title, "Витебск", start + Duration::days(7), venue)),
                1 => {
                    let other = OTHER_CITIES[rng.below(OTHER_CITIES.len())];
                    items.push(item(truth, "college", &title, other, start, ""));
                }
                _ => {
                    let other = format!("{} {}", FORMATS[(rng.below(5) + 1) % 5], TOPICS[rng.below(TOPICS.len())]);
                    if tokens(&other) != tokens(&title) {
                        items.push(item(truth, "college", &other, "Витебск", start, venue));
                    }
                }
            }
            truth += 1;
        }
    }
    items
}

fn pairs(groups: impl Iterator<Item = Vec<usize>>) -> HashSet<(usize, usize)> {
    let mut out = HashSet::new();
    for g in groups {
        for (x, &i) in g.iter().enumerate() {
            for &j in &g[x + 1..] {
                out.insert((i.min(j), i.max(j)));
            }
        }
    }
    out
}

#[test]
fn precision_and_recall_on_the_labelled_set() {
    let items = labelled_set();
    assert!(items.len() >= 300, "{} offerings", items.len());
    let features: Vec<Features> = items.iter().map(|i| i.features.clone()).collect();
    let predicted = pairs(clusters(&features, &Thresholds::default()).into_iter());
    let max_truth = items.iter().map(|i| i.truth).max().unwrap_or(0);
    let truth = pairs((0..=max_truth).map(|t| (0..items.len()).filter(|&i| items[i].truth == t).collect()));
    let tp = predicted.intersection(&truth).count() as f64;
    let precision = if predicted.is_empty() { 1.0 } else { tp / predicted.len() as f64 };
    let recall = tp / truth.len() as f64;
    println!(
        "dedup labelled set: {} offerings, {} true duplicate pairs, {} predicted; precision {:.3}, recall {:.3}",
        items.len(),
        truth.len(),
        predicted.len(),
        precision,
        recall
    );
    for &(i, j) in predicted.difference(&truth).take(5) {
        println!("  false merge: {:?} ~ {:?}", items[i].features.title, items[j].features.title);
    }
    for &(i, j) in truth.difference(&predicted).take(5) {
        println!("  missed: {:?} ~ {:?}", items[i].features.title, items[j].features.title);
    }
    // Floors at the figures measured when the set was made (see the issue note); a drop fails.
    assert!(precision >= 0.99, "precision {precision:.3}");
    assert!(recall >= 0.95, "recall {recall:.3}");
}
