//! Prices as providers write them, in a price field or in the sentences of a description, in
//! Russian, Belarusian and English: "Вход свободный.", "Участие бесплатное.", "Free.",
//! "410 руб. за курс.", "BYN 575 for the whole course.", "Цена — 295 бел. руб.", "Стоимость
//! занятия 15 р.", "от 25 до 40 руб.", "Абонемент на месяц — 120 рублей", "€20 per session".
//!
//! Several amounts make a range (the lowest and the highest, as schema.org's `AggregateOffer`);
//! what the lowest pays for (a session, the course, a month) is read from the words around it.
//! A sentence that speaks of a price but gives none ("Стоимость уточняйте по телефону") is
//! [`Reading::Unreadable`], so the caller can warn instead of staying silent.

use std::sync::LazyLock;

use learncity_model::{Price, PricePer};
use regex::Regex;

use super::sentences;
use crate::text::collapse_whitespace;

/// What a text says about the price.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// A price was read.
    Price(Price),
    /// The text speaks of a price but gives no amount and does not say free: the sentence.
    Unreadable(String),
    /// The text says nothing about a price.
    Nothing,
}

/// A number as written: "410", "12,50", "1 200", "1.200,00" is not supported (rare here).
const NUMBER: &str = r"\d{1,3}(?:[\x20\u{a0}\u{202f}]\d{3})+(?:[.,]\d{1,2})?|\d{1,7}(?:[.,]\d{1,2})?";

/// Currency words written before an amount.
const CURRENCY_BEFORE: &str = r"€|\$|£|₽|eur|usd|byn|br|rub|gbp|pln|azn";

/// Currency words written after an amount (a word boundary follows unless it ends in a dot).
const CURRENCY_AFTER: &str = r"€|\$|£|₽|eur\b|euros?\b|евро\b|еўра\b|usd\b|dollars?\b|долл\w*\.?|byn\b|br\b|бр\b|бел(?:\.|орусск\w*|арускі\w*)?\s*р(?:уб)?\w*\.?|рас\w*\s+руб\w*\.?|росс\w*\s+руб\w*\.?|rub\b|руб\w*\.?|р\.|р\b|gbp\b|pln\b|zł|azn\b|манат\w*";

static AMOUNT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?ix)
        (?:(?P<pre>{CURRENCY_BEFORE})\s*(?P<a1>{NUMBER})(?:\s*(?:-|–|—)\s*(?P<b1>{NUMBER}))?)
        |
        (?:(?P<a2>{NUMBER})(?:\s*(?:-|–|—|до|да|to)\s*(?P<b2>{NUMBER}))?\s*(?P<post>{CURRENCY_AFTER})(?:\s*(?P<kop>\d{{1,2}})\s*коп\w*\.?)?)"
    ))
    .expect("static regex")
});

/// A bare number right after a price label ("Стоимость: 25", "Цена — 10"): an amount whose
/// currency is the caller's default.
static LABELLED_NUMBER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^\s*(?:стоимост\w*|цена|цана|кошт\w*|price|cost|fee)(?:\s+\w+)?\s*[:—–-]?\s*(?P<a>{NUMBER})\s*(?:[.,;)]|$)"
    ))
    .expect("static regex")
});

/// Phrases that say free (lowercase; matched at word starts).
const FREE_PHRASES: &[&str] = &[
    "бесплатн",
    "бясплатн",
    "вход свободный",
    "вход – свободный",
    "вход — свободный",
    "вход: свободный",
    "свободный вход",
    "вход открытый",
    "открытый вход",
    "вход free",
    "без оплаты",
    "без платы",
    "безвозмездн",
    "оплата не требуется",
    "плата не взимается",
    "платы не взимается",
    "платы нет",
    "уваход вольны",
    "уваход свабодны",
    "ўваход вольны",
    "ўваход свабодны",
    "вольны ўваход",
    "свабодны ўваход",
    "уваход — вольны",
    "уваход: вольны",
    "без аплаты",
    "аплата не патрабуецца",
    "free of charge",
    "free admission",
    "admission free",
    "admission is free",
    "free entry",
    "entry is free",
    "entrance is free",
    "free entrance",
    "free to attend",
    "free to join",
    "free to take part",
    "participation is free",
    "attendance is free",
    "it's free",
    "it is free",
    "is free",
    "are free",
    "no charge",
    "no fee",
    "no cost",
    "at no cost",
    "costs nothing",
    "ничего не стоит",
    "нічога не каштуе",
    "без билетов",
    "без білетаў",
    "денег не бер",
    "грошай не бяр",
    "ноль рубл",
    "нуль рубл",
    "кошт — ніякі",
    "кошт: ніякі",
    "no entry fee",
    "no tickets",
    "no ticket needed",
    "(free)",
    "kostenlos",
    "gratis",
    "eintritt frei",
    "entgeltfrei",
];

/// What "бесплатн…"/"free" describes when it is not the offering's price.
const NOT_THE_PRICE_AFTER: &[&str] = &[
    "парков",
    "wi-fi",
    "wifi",
    "чай",
    "кофе",
    "напит",
    "угощ",
    "доставк",
    "трансфер",
    "parking",
    "wi",
    "coffee",
    "tea",
    "drinks",
    "snacks",
    "refreshments",
    "lunch",
    "time",
    "shuttle",
    "transfer",
];

/// Words before an amount, in its clause, that make it the price of something other than the
/// offering: goods bought apart ("книги можно купить от 3 руб.", "кнігу набываеце самі (каля 25
/// руб.)") or a prize ("сертификаты книжного магазина на 50 руб."). Stems.
const OTHER_THINGS_BEFORE: &[&str] = &[
    "купить",
    "купіць",
    "приобрест",
    "приобрета",
    "набыць",
    "набыва",
    "покупа",
    "в продаже",
    "у продажы",
    "продаются по",
    "buy",
    "bought",
    "purchase",
    "for sale",
    "on sale",
    "сертификат",
    "сертыфікат",
    "приз ",
    "призы",
    "призов",
    "прыз ",
    "прызы",
    "премия",
    "премию",
    "премии",
    "прэмія",
    "прэмію",
    "грант",
    "стипенди",
    "стыпенды",
    "voucher",
    "gift card",
    "prize",
    "award",
];

/// Words that keep an amount the offering's price even after a purchase word ("Билеты можно
/// купить за 10 руб.").
const ADMISSION_WORDS: &[&str] =
    &["билет", "білет", "ticket", "абонемент", "путёвк", "путевк", "пуцёўк", "entry", "admission"];

/// True when the amount at `at` pays for something other than the offering (see
/// [`OTHER_THINGS_BEFORE`]): the words of its clause before it say so.
fn for_something_else(sentence: &str, at: usize) -> bool {
    let before = &sentence[..at];
    let clause = &before[before.rfind([',', ';']).map_or(0, |i| i + 1)..];
    let lower = clause.to_lowercase();
    OTHER_THINGS_BEFORE.iter().any(|w| lower.contains(w)) && !ADMISSION_WORDS.iter().any(|w| lower.contains(w))
}

/// Words of a sentence that speaks about the price: whole words...
const PRICE_CUE_WORDS: &[&str] = &[
    "плата",
    "платы",
    "плату",
    "платой",
    "donation",
    "donations",
    "ticket",
    "tickets",
    "билет",
    "билеты",
    "білет",
    "білеты",
    "взнос",
    "узнос",
    "оргвзнос",
    "contribution",
    "pay",
    "донат",
    "charged",
    "admission",
    "fee-paying",
    "цена",
    "цены",
    "цену",
    "ценой",
    "цана",
    "цаны",
    "price",
    "prices",
    "cost",
    "costs",
    "fee",
    "fees",
    "paid",
    "charge",
    "tuition",
    "платно",
    "платна",
    "платное",
    "платны",
    "платная",
    "платный",
    "платные",
    "платныя",
    "платят",
    "платит",
    "платить",
    "плацяць",
    "плаціць",
    "заплатить",
    "заплаціць",
    "preis",
];
/// ...and stems.
const PRICE_CUE_STEMS: &[&str] = &[
    "стоимост",
    "оплат",
    "оплач",
    "аплат",
    "аплач",
    "кошт",
    "договор",
    "прейскурант",
    "прайс",
    "пожертвован",
    "ахвяраван",
    "donat",
    "донат",
    "скидыва",
    "скідва",
    "entgelt",
    "gebühr",
];

/// A price given in base amounts ("2 базовые величины", "1 б.в."): a legal unit whose value in
/// roubles changes every year and that the document does not give, so no amount can be read.
fn in_base_amounts(lower: &str) -> bool {
    static BASE_RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:базов\w*\s+величин|базав\w*\s+велічын|\d\s*б\.\s?в\.|\d\s*бв\b)").expect("static regex")
    });
    BASE_RE.is_match(lower)
}

/// "Вход — по желанию", "уваход па жаданні", "оплата добровольная": the price is the visitor's
/// choice, which is no amount and not "free" either.
fn at_will(lower: &str) -> bool {
    static AT_WILL_RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:вход|уваход|оплата|аплата|плата|взнос|узнос|кошт)\w*\s*[—–:-]?\s*(?:по\s+желанию|па\s+жаданні|добровольн|дабраахвотн|по\s+возможности)")
            .expect("static regex")
    });
    AT_WILL_RE.is_match(lower)
}

/// "Транспорт включён в стоимость", "materials are included in the price": says what the price
/// covers, not what it is.
fn says_what_price_covers(lower: &str) -> bool {
    static COVERS_RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:включ\w*|уключан\w*|уваходз\w*|входит|входят|included|includes)\s+(?:в|у|in)\s+(?:the\s+)?(?:стоимост|кошт|цену|цану|price|cost|fee)")
            .expect("static regex")
    });
    COVERS_RE.is_match(lower)
}

/// True when a lowercase sentence speaks of the price. "По договорённости" alone speaks of the
/// price unless the sentence is about the timetable ("расписание — по договорённости с группой").
fn speaks_of_price(lower: &str) -> bool {
    if at_will(lower) {
        return true;
    }
    if says_what_price_covers(lower) {
        return false;
    }
    let cues: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| PRICE_CUE_WORDS.contains(w) || PRICE_CUE_STEMS.iter().any(|s| w.starts_with(s)))
        .collect();
    if cues.is_empty() {
        return false;
    }
    let agreement_only = cues.iter().all(|w| w.starts_with("договор"));
    !agreement_only || super::schedule::unknown_timetable(lower).is_none()
}

/// Words before an amount (in its sentence) that say what it pays for.
const PER_BEFORE: &[(PricePer, &[&str])] = &[
    (
        PricePer::Month,
        &["в месяц", "на месяц", "месячн", "ежемесячн", "у месяц", "штомесяч", "monthly", "per month", "a month"],
    ),
    (
        PricePer::Session,
        &[
            "стоимость занятия",
            "стоимость урока",
            "стоимость одного",
            "цена занятия",
            "цена урока",
            "разово",
            "разовое",
            "разовый",
            "одно занятие",
            "одного занятия",
            "кошт занятка",
            "кошт аднаго",
            "адно занятак",
            "аднаразов",
            "single session",
            "single class",
            "drop-in",
            "per session",
            "per lesson",
            "per class",
            "per visit",
        ],
    ),
    (
        PricePer::Course,
        &[
            "стоимость курса",
            "стоимость обучения",
            "цена интенсива",
            "стоимость интенсива",
            "стоимость смены",
            "стоимость путевки",
            "кошт інтэнсіву",
            "кошт змены",
            "на все занятия",
            "за все занятия",
            "на весь курс",
            "на ўсе заняткі",
            "на ўвесь курс",
            "абонемент на курс",
            "for the whole",
            "for all sessions",
            "full programme",
            "whole programme",
            "стоимость программы",
            "цена курса",
            "курс стоит",
            "весь курс",
            "кошт курса",
            "кошт навучання",
            "увесь курс",
            "ўвесь курс",
            "course fee",
            "tuition",
            "whole course",
            "full course",
            "the course costs",
        ],
    ),
];

/// Words right after an amount that say what it pays for.
const PER_AFTER: &[(PricePer, &[&str])] = &[
    (
        PricePer::Month,
        &[
            "/мес",
            "/ мес",
            "в месяц",
            "за месяц",
            "у месяц",
            "в мес",
            "/month",
            "per month",
            "a month",
            "monthly",
            "/mo",
        ],
    ),
    (
        PricePer::Session,
        &[
            "/занят",
            "/ занят",
            "/урок",
            "/ урок",
            "за занятие",
            "за одно занятие",
            "за урок",
            "за посещение",
            "за визит",
            "за занятак",
            "за адно занятак",
            "за наведванне",
            "/session",
            "/ session",
            "/lesson",
            "/class",
            "per session",
            "per lesson",
            "per class",
            "per visit",
            "a session",
            "a lesson",
            "a class",
            "each session",
            "for one session",
            "for a single",
        ],
    ),
    (
        PricePer::Course,
        &[
            "за курс",
            "за весь курс",
            "за ўвесь курс",
            "за увесь курс",
            "за цикл",
            "за программ",
            "за праграм",
            "за обучение",
            "за навучанне",
            "за абонемент",
            "за весь период",
            "за все занятия",
            "за ўсе заняткі",
            "за усе заняткі",
            "/курс",
            "for the whole course",
            "for the course",
            "for the full course",
            "for the entire course",
            "per course",
            "/course",
            "for all",
            "for the series",
            "for the camp",
            "for the whole camp",
            "for the week",
            "for the whole week",
            "for the term",
            "за всю смену",
            "за смену",
            "за лагерь",
            "за интенсив",
            "за семестр",
            "за ўсю змену",
            "за змену",
            "whole course",
            "full course",
            "entire course",
        ],
    ),
];

/// "за 8 занятий", "for 6 sessions": the amount pays for several sessions (a course); "за 1
/// занятие" is one.
static FOR_COUNT_AFTER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:за|for|на)\s+(\d{1,3})\s*(?:занят|урок|встреч|заняткаў|занятк|сустрэч|session|lesson|class|meeting)")
        .expect("static regex")
});

/// "12 занятий по 15 руб." (per session), "8 занятий — 120 руб." (the course).
static COUNT_BEFORE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\d{1,3}\s*(?:занят\w*|урок\w*|встреч\w*|заняткаў|занятк\w*|сустрэч\w*|sessions?|lessons?|classes|meetings?)\s*(?P<sep>по|[—–:-]|cost|costs|for)?\s*$",
    )
    .expect("static regex")
});

/// One amount found in a sentence.
#[derive(Debug, Clone, PartialEq)]
struct Amount {
    low: f64,
    high: Option<f64>,
    currency: Option<String>,
    per: Option<PricePer>,
}

/// Reads the price from `text`: a price field's text or a whole description. `default_currency`
/// applies to a bare number after a price label ("Стоимость: 25").
pub fn read(text: &str, default_currency: Option<&str>) -> Reading {
    let mut amounts: Vec<(Amount, &str)> = Vec::new();
    let mut free: Option<String> = None;
    let mut unreadable: Option<String> = None;
    for sentence in sentences(text) {
        let found = amounts_in(sentence, default_currency);
        let lower = sentence.to_lowercase();
        let says_free = says_free(&lower);
        if !found.is_empty() {
            amounts.extend(found.into_iter().map(|a| (a, sentence)));
        } else if says_free {
            free.get_or_insert_with(|| collapse_whitespace(sentence));
        } else if unreadable.is_none() && (speaks_of_price(&lower) || in_base_amounts(&lower)) {
            unreadable = Some(collapse_whitespace(sentence));
        }
    }
    // The provider's wording kept with the price: the sentence it was read from.
    let kept = |sentence: &str| Some(crate::text::truncate_chars(&collapse_whitespace(sentence), 200).0);
    if let Some((lowest, sentence)) = amounts.iter().min_by(|a, b| a.0.low.total_cmp(&b.0.low)) {
        let highest = amounts.iter().map(|(a, _)| a.high.unwrap_or(a.low)).fold(lowest.low, f64::max);
        let currency = lowest.currency.clone().or_else(|| amounts.iter().find_map(|(a, _)| a.currency.clone()));
        if lowest.low == 0.0 && highest == 0.0 {
            return Reading::Price(Price { currency, text: kept(sentence), ..Price::free() });
        }
        // "BYN 480 for the course, BYN 440 if paid early": the others say what the lowest pays for.
        let per = lowest.per.or_else(|| {
            let mut pers = amounts.iter().filter_map(|(a, _)| a.per);
            let first = pers.next()?;
            pers.all(|p| p == first).then_some(first)
        });
        return Reading::Price(Price {
            free: false,
            amount: Some(lowest.low),
            amount_max: (highest > lowest.low).then_some(highest),
            currency,
            per,
            text: kept(sentence),
        });
    }
    if let Some(sentence) = free {
        return Reading::Price(Price { text: kept(&sentence), ..Price::free() });
    }
    unreadable.map_or(Reading::Nothing, Reading::Unreadable)
}

/// True when a lowercase sentence says the offering is free.
fn says_free(lower: &str) -> bool {
    let phrase = FREE_PHRASES.iter().any(|p| {
        lower.match_indices(p).any(|(at, _)| {
            let starts_word = lower[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
            let rest = lower[at..].split_whitespace().nth(p.split_whitespace().count()).unwrap_or("");
            starts_word && !NOT_THE_PRICE_AFTER.iter().any(|n| rest.starts_with(n))
        })
    });
    // A sentence that is only "Free." / "Бесплатно!" / "Free (registration required)".
    let bare = {
        let trimmed = lower.trim_matches(|c: char| !c.is_alphanumeric());
        trimmed == "free" || trimmed.starts_with("free ") && trimmed.len() < 40 && !trimmed.contains("time")
    };
    // "Free, registration required."
    let short = lower.contains("free,") && lower.split_whitespace().count() <= 6;
    // "Платить не нужно", "Плата за ўваход не патрэбная", "Плаціць за ўдзел не трэба".
    static NO_NEED_TO_PAY_RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:\bплат|\bплац)\w*(?:\s+[\w']+){0,3}\s+не\s+(?:нужн|надо|трэба|патрэбн|требуетс|патрабуецц)|\bне\s+(?:нужно|надо|трэба)\s+(?:за)?плат")
            .expect("static regex")
    });
    phrase || bare || short || NO_NEED_TO_PAY_RE.is_match(lower)
}

/// Every amount with a currency in one sentence (and a bare number right after a label).
fn amounts_in(sentence: &str, default_currency: Option<&str>) -> Vec<Amount> {
    let mut out = Vec::new();
    for caps in AMOUNT_RE.captures_iter(sentence) {
        let Some(whole) = caps.get(0) else { continue };
        let (a, b, symbol) = match caps.name("pre") {
            Some(pre) => (caps.name("a1"), caps.name("b1"), pre.as_str()),
            None => (caps.name("a2"), caps.name("b2"), caps.name("post").map_or("", |m| m.as_str())),
        };
        // "18.30 р" is a time only when no currency follows; "2025 р." (a year in Belarusian) is no price.
        let Some(low) = a.and_then(|m| number(m.as_str())) else { continue };
        if symbol.trim_end_matches('.').eq_ignore_ascii_case("р") && (1900.0..2100.0).contains(&low) {
            continue;
        }
        if is_time_or_date(sentence, a.map_or(0, |m| m.start())) || for_something_else(sentence, whole.start()) {
            continue;
        }
        let kop = caps.name("kop").and_then(|k| k.as_str().parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
        let low = low + kop;
        let high = b.and_then(|m| number(m.as_str())).filter(|h| *h > low);
        let per = per_of(&sentence[..whole.start()], &sentence[whole.end()..]);
        out.push(Amount { low, high, currency: currency_code(symbol).map(str::to_owned), per });
    }
    if out.is_empty()
        && let Some(caps) = LABELLED_NUMBER_RE.captures(sentence)
        && let Some(m) = caps.name("a")
        && let Some(low) = number(m.as_str())
    {
        let per = per_of(&sentence[..m.start()], &sentence[m.end()..]);
        out.push(Amount { low, high: None, currency: default_currency.map(str::to_owned), per });
    }
    out
}

/// "18.30" or "12.01" right at `at` (followed by more digits with a dot or colon) is a time or
/// a date, not an amount.
fn is_time_or_date(sentence: &str, at: usize) -> bool {
    let rest = &sentence[at..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':').collect();
    digits.contains(':') || digits.matches('.').count() >= 2
}

fn number(text: &str) -> Option<f64> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.replace(',', ".").parse().ok()
}

/// What an amount pays for, from the words right after it, then the words before it in its
/// sentence.
fn per_of(before: &str, after: &str) -> Option<PricePer> {
    let after_lower: String = after.to_lowercase().chars().take(40).collect();
    let after_lower = after_lower.trim_start_matches(['.', ' ', '(', ',']);
    if let Some(c) = FOR_COUNT_AFTER_RE.captures(after_lower) {
        return Some(if c[1].parse::<u32>().unwrap_or(0) > 1 { PricePer::Course } else { PricePer::Session });
    }
    for (per, words) in PER_AFTER {
        if words.iter().any(|w| after_lower.starts_with(w) || after_lower.trim_start().starts_with(w)) {
            return Some(*per);
        }
    }
    if let Some(c) = COUNT_BEFORE_RE.captures(before) {
        return Some(match c.name("sep").map(|m| m.as_str().to_lowercase()) {
            Some(s) if s == "по" => PricePer::Session,
            _ => PricePer::Course,
        });
    }
    let before_lower = before.to_lowercase();
    let tail: String = before_lower.chars().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect();
    for (per, words) in PER_BEFORE {
        if words.iter().any(|w| tail.contains(w)) {
            return Some(*per);
        }
    }
    None
}

/// What a price pays for, when a sentence about the price says it apart from any amount
/// ("Кошт указаны за ўвесь курс", "Prices are per session").
pub fn per_stated(text: &str) -> Option<PricePer> {
    sentences(text).into_iter().find_map(|sentence| {
        let lower = sentence.to_lowercase();
        if !speaks_of_price(&lower) && amounts_in(sentence, None).is_empty() {
            return None;
        }
        PER_AFTER
            .iter()
            .chain(PER_BEFORE)
            .find(|(_, words)| words.iter().any(|w| lower.contains(w)))
            .map(|(per, _)| *per)
    })
}

/// The ISO 4217 code of a currency word as written.
pub fn currency_code(symbol: &str) -> Option<&'static str> {
    let s = symbol.trim().trim_end_matches('.').to_lowercase();
    Some(match s.as_str() {
        "€" | "eur" | "euro" | "euros" | "евро" | "еўра" => "EUR",
        "$" | "usd" | "dollar" | "dollars" => "USD",
        "£" | "gbp" => "GBP",
        "₽" | "rub" => "RUB",
        "byn" | "byr" | "br" | "бр" => "BYN",
        "azn" => "AZN",
        "pln" | "zł" => "PLN",
        _ if s.starts_with("долл") => "USD",
        _ if s.starts_with("манат") => "AZN",
        _ if s.starts_with("рос") || s.starts_with("рас") => "RUB",
        // "руб."/"р." in a Belarusian provider's text means Belarusian roubles.
        _ if s.starts_with("бел") || s.starts_with("руб") || s == "р" => "BYN",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(text: &str) -> Price {
        match read(text, None) {
            Reading::Price(p) => p,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn amount(text: &str) -> (Option<f64>, Option<f64>, Option<&'static str>, Option<PricePer>) {
        let p = price(text);
        let currency = p.currency.as_deref().and_then(currency_code);
        (p.amount, p.amount_max, currency, p.per)
    }

    #[test]
    fn free_in_sentences() {
        for text in [
            "Вход свободный.",
            "Участие бесплатное.",
            "Бесплатно.",
            "Free.",
            "Free admission",
            "Уваход вольны.",
            "Удзел бясплатны.",
            "There is no charge, but please register.",
            "Лекция пройдёт в читальном зале. Вход свободный, регистрация по ссылке.",
            "Admission is free for everyone.",
            "Вход по пригласительным, бесплатно",
            "Ўваход вольны",
        ] {
            assert!(price(text).free, "{text}");
        }
    }

    #[test]
    fn free_that_is_not_the_price() {
        assert_eq!(read("Бесплатная парковка у входа. Feel free to bring friends.", None), Reading::Nothing);
        assert_eq!(read("Please feel free to ask questions; barrier-free hall.", None), Reading::Nothing);
    }

    #[test]
    fn amounts_in_sentences() {
        assert_eq!(amount("410 руб. за курс."), (Some(410.0), None, Some("BYN"), Some(PricePer::Course)));
        assert_eq!(amount("BYN 575 for the whole course."), (Some(575.0), None, Some("BYN"), Some(PricePer::Course)));
        assert_eq!(amount("Цена — 295 бел. руб."), (Some(295.0), None, Some("BYN"), None));
        assert_eq!(amount("Стоимость занятия 15 р."), (Some(15.0), None, Some("BYN"), Some(PricePer::Session)));
        assert_eq!(amount("15 BYN/занятие"), (Some(15.0), None, Some("BYN"), Some(PricePer::Session)));
        assert_eq!(amount("Абонемент на месяц — 120 рублей"), (Some(120.0), None, Some("BYN"), Some(PricePer::Month)));
        assert_eq!(amount("€20 per session"), (Some(20.0), None, Some("EUR"), Some(PricePer::Session)));
        assert_eq!(amount("Кошт удзелу 30 BYN"), (Some(30.0), None, Some("BYN"), None));
        assert_eq!(amount("от 25 до 40 руб."), (Some(25.0), Some(40.0), Some("BYN"), None));
        assert_eq!(amount("12,50 руб. за урок"), (Some(12.5), None, Some("BYN"), Some(PricePer::Session)));
        assert_eq!(
            amount("Стоимость обучения 1 200 рублей"),
            (Some(1200.0), None, Some("BYN"), Some(PricePer::Course))
        );
        assert_eq!(amount("12 занятий по 15 руб."), (Some(15.0), None, Some("BYN"), Some(PricePer::Session)));
        assert_eq!(amount("8 занятий — 120 руб."), (Some(120.0), None, Some("BYN"), Some(PricePer::Course)));
        assert_eq!(amount("120 руб. за 8 занятий"), (Some(120.0), None, Some("BYN"), Some(PricePer::Course)));
        assert_eq!(amount("Полный — 20 руб., льготный — 10 руб."), (Some(10.0), Some(20.0), Some("BYN"), None));
        assert_eq!(amount("$15 a class"), (Some(15.0), None, Some("USD"), Some(PricePer::Session)));
        assert_eq!(amount("Стоимость 5 руб. 50 коп."), (Some(5.5), None, Some("BYN"), None));
        assert_eq!(amount("500 российских рублей"), (Some(500.0), None, Some("RUB"), None));
        assert_eq!(amount("40 Br per month"), (Some(40.0), None, Some("BYN"), Some(PricePer::Month)));
        assert_eq!(amount("BYN 200 (whole course)"), (Some(200.0), None, Some("BYN"), Some(PricePer::Course)));
        assert_eq!(amount("150 BYN за всю смену"), (Some(150.0), None, Some("BYN"), Some(PricePer::Course)));
        assert_eq!(amount("Цена интенсива — 250 бел. руб."), (Some(250.0), None, Some("BYN"), Some(PricePer::Course)));
    }

    #[test]
    fn amounts_for_something_else_are_no_price() {
        // (text, free, amount)
        for (text, free, amount) in [
            ("Вход свободный, книги можно будет купить по издательским ценам — от 3 руб.", true, None),
            ("Удзел бясплатны, кнігу набываеце самі (каля 25 руб.).", true, None),
            ("Free admission; the catalogue can be bought at the desk for BYN 12.", true, None),
            ("Билет — 10 руб., книги можно будет купить от 3 руб.", false, Some(10.0)),
            ("Билеты можно купить в кассе за 10 руб.", false, Some(10.0)),
            ("Tickets can be purchased online, BYN 15.", false, Some(15.0)),
        ] {
            let p = price(text);
            assert_eq!((p.free, p.amount), (free, amount), "{text}");
        }
        assert_eq!(
            read("Конкурс прошёл в декабре. Победители получили сертификаты книжного магазина на 50 руб.", None),
            Reading::Nothing
        );
        assert_eq!(read("The winner receives a prize of BYN 100.", None), Reading::Nothing);
        // Look-alikes: a premiere, a recognised master.
        assert_eq!(price("Премьера спектакля: 15 руб.").amount, Some(15.0));
        assert_eq!(price("Ведёт признанный мастер, 20 руб. за занятие.").amount, Some(20.0));
    }

    #[test]
    fn times_dates_and_years_are_no_prices() {
        assert_eq!(read("Начало в 18.30, 12.01.2027. Группа до 12 человек.", None), Reading::Nothing);
        assert_eq!(read("Лекцыя 12 студзеня 2027 г.", None), Reading::Nothing);
    }

    #[test]
    fn labelled_bare_numbers_take_the_default_currency() {
        let p = match read("Стоимость: 25", Some("BYN")) {
            Reading::Price(p) => p,
            other => panic!("{other:?}"),
        };
        assert_eq!((p.amount, p.currency.as_deref()), (Some(25.0), Some("BYN")));
    }

    #[test]
    fn a_price_without_a_value_is_unreadable() {
        for text in [
            "Стоимость уточняйте по телефону.",
            "Удзел — 2 базавыя велічыні за курс.",
            "Стоимость — 1 базовая величина.",
            "Цена по договорённости",
            "Price on request.",
            "Вход — по желанию, все собранные средства пойдут на лечение.",
            "Оплата добровольная.",
            "Кошт удзелу — на сайце.",
            "Мероприятие платное.",
            "Материалы оплачиваются по прейскуранту платных услуг библиотеки.",
            "Pay what you want.",
            "Вход — донат на ваше усмотрение.",
        ] {
            assert!(matches!(read(text, None), Reading::Unreadable(_)), "{text}: {:?}", read(text, None));
        }
        assert_eq!(read("Лекция о модерне. Регистрация по ссылке.", None), Reading::Nothing);
        // An agreement about the timetable says nothing of the price.
        assert_eq!(read("Дальнейшее расписание — по договорённости с группой.", None), Reading::Nothing);
        assert_eq!(read("Транспорт включён в стоимость.", None), Reading::Nothing);
        assert_eq!(read("Materials are included in the price.", None), Reading::Nothing);
        assert_eq!(read("Дни и время занятий — по договорённости.", None), Reading::Nothing);
    }

    #[test]
    fn per_stated_apart_from_the_amount() {
        assert_eq!(
            per_stated("Курс з 6 заняткаў. Кошт указаны за ўвесь курс, матэрыялы ўключаны."),
            Some(PricePer::Course)
        );
        assert_eq!(per_stated("BYN 200 (whole course)"), Some(PricePer::Course));
        assert_eq!(per_stated("Курс з 6 заняткаў па суботах."), None);
    }

    #[test]
    fn zero_is_free() {
        assert!(price("0 BYN").free);
    }
}
