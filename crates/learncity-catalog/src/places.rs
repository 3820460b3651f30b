//! The place-alias table: the names one place goes by — official Belarusian and Russian, their
//! Latin transliterations (BGN, national 2007 system, ISO 9), English and German exonyms — mapped
//! to one key. String distance cannot bridge "Mahilioŭ" and "Mogilev" or "Bieraście" and
//! "Brest"; this table does. Names not in it key on their folded form.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::fold::fold;

pub use learncity_model::places::PLACES;

/// Prepositions before a place a title names ("в Лиде", "у Лідзе", "in Lida"), folded.
const PLACE_PREPOSITIONS: &[&str] = &["v", "vo", "u", "in", "iz", "z", "with"];

/// The folded word forms that name each place — every name, its case endings (a name ending in
/// a vowel loses it: "Лида" → "Лиде", "Лиду") — and the stems of its adjectives ("Лидский"),
/// indexed by form: `(is a stem, key)`, sorted, so a lookup takes the first.
fn forms() -> &'static HashMap<String, Vec<(bool, &'static str)>> {
    static FORMS: OnceLock<HashMap<String, Vec<(bool, &'static str)>>> = OnceLock::new();
    FORMS.get_or_init(|| {
        let mut out: HashMap<String, Vec<(bool, &'static str)>> = HashMap::new();
        let mut add = |form: String, stem: bool, key: &'static str| out.entry(form).or_default().push((stem, key));
        for (key, names) in PLACES {
            for n in *names {
                let base = fold(n);
                if base.contains(' ') || base.len() < 3 {
                    continue;
                }
                let root = base.strip_suffix(['a', 'o', 'e', 'i', 'u']).unwrap_or(&base).to_owned();
                // A root of two letters ("Ивье" → "iv") inflected is a common word ("из ивы").
                if root.len() >= 3 {
                    for end in ["", "a", "e", "u", "i", "om", "oi", "ou", "ami", "ah"] {
                        add(format!("{root}{end}"), false, key);
                    }
                }
                add(base.clone(), false, key);
                // Adjectives ("лидский", "гродненский"): prefixes.
                if root.len() >= 3 {
                    add(format!("{root}sk"), true, key);
                    add(format!("{root}ensk"), true, key);
                    // "Барысаўскі" keeps the name's last letter.
                    if root != base {
                        add(format!("{base}sk"), true, key);
                    }
                }
            }
        }
        for entries in out.values_mut() {
            entries.sort();
            entries.dedup();
        }
        out
    })
}

/// The places a venue or address text names ("Библиотека-филиал, Шклов", "Лидский колледж"),
/// as keys, sorted.
pub fn places_in_venue(text: &str) -> Vec<&'static str> {
    let folded = fold(text);
    let mut out: Vec<&'static str> = folded.split(' ').filter_map(place_of_word).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The places a title names after a preposition ("Летняя школа в Лиде", "Summer school in
/// Lida"), as keys, sorted.
pub fn places_in_title(text: &str) -> Vec<&'static str> {
    let folded = fold(text);
    let words: Vec<&str> = folded.split(' ').collect();
    let mut out: Vec<&'static str> =
        words.windows(2).filter(|w| PLACE_PREPOSITIONS.contains(&w[0])).filter_map(|w| place_of_word(w[1])).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The place a folded word names: of the forms it equals or starts with (stems), the first in
/// sorted order — the shortest stem it starts with, else the form it equals.
fn place_of_word(word: &str) -> Option<&'static str> {
    if word.len() < 3 {
        return None;
    }
    let forms = forms();
    (1..=word.len()).filter(|&n| word.is_char_boundary(n)).find_map(|n| {
        let entries = forms.get(&word[..n])?;
        entries.iter().find(|(stem, _)| *stem || n == word.len()).map(|(_, key)| *key)
    })
}

/// The key of a place name: its entry in [`PLACES`], else its folded form (`None` when blank).
pub fn place_key(name: &str) -> Option<String> {
    // The table folded once: this runs for every offering the builder sees.
    static FOLDED: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    let table = FOLDED
        .get_or_init(|| PLACES.iter().flat_map(|(key, names)| names.iter().map(move |n| (fold(n), *key))).collect());
    let folded = fold(name);
    let bare = bare_place(&folded);
    if bare.is_empty() {
        return None;
    }
    Some(table.get(bare).map_or_else(|| bare.to_owned(), |key| (*key).to_owned()))
}

/// Words before a town's name that say it is a town ("г. Брест", "гор. Гродно", "горад
/// Віцебск", "м. Брэст", "City of Minsk"), folded.
const TOWN_WORDS: &[&str] = &["h", "hor", "horod", "horad", "m", "citi of", "citi"];

/// Words after it that name the country or the region ("Брест, Беларусь"), folded.
const COUNTRY_WORDS: &[&str] = &["respublika belarus", "belarus", "rb"];

/// A folded place name without [`TOWN_WORDS`] before it and [`COUNTRY_WORDS`] after it.
fn bare_place(folded: &str) -> &str {
    let mut s = folded;
    for w in TOWN_WORDS {
        if let Some(rest) = s.strip_prefix(w).and_then(|r| r.strip_prefix(' ')) {
            s = rest;
            break;
        }
    }
    for w in COUNTRY_WORDS {
        if let Some(rest) = s.strip_suffix(w).and_then(|r| r.strip_suffix(' ')) {
            s = rest;
            break;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_names_of_one_place_share_a_key() {
        for name in ["Витебск", "Віцебск", "Vitebsk", "Viciebsk", "VITSYEBSK"] {
            assert_eq!(place_key(name).as_deref(), Some("vitebsk"), "{name}");
        }
        for name in ["Mahilioŭ", "Mogilev", "Магілёў", "Могилёв", "могилев"] {
            assert_eq!(place_key(name).as_deref(), Some("mogilev"), "{name}");
        }
        for name in ["Bieraście", "Брэст", "Brest"] {
            assert_eq!(place_key(name).as_deref(), Some("brest"), "{name}");
        }
        assert_eq!(place_key("Zhodzina").as_deref(), Some("zhodzina"));
        assert_eq!(place_key("Жабінка").as_deref(), Some("zhabinka"));
        assert_eq!(place_key("Haradzišča").as_deref(), Some("haradzisca"), "a name not in the table keys on its fold");
        assert_eq!(place_key(" - "), None);
        for name in ["г. Брест", "г.Брест", "гор. Брест", "горад Брэст", "м. Брэст", "City of Brest", "Brest, Belarus"]
        {
            assert_eq!(place_key(name).as_deref(), Some("brest"), "{name}");
        }
        assert_eq!(place_key("Гродно").as_deref(), Some("grodno"));
    }

    #[test]
    fn venues_and_titles_name_places_in_any_case() {
        assert_eq!(places_in_venue("Районная библиотека, Шклов, ул. Ленина 5"), ["shklov"]);
        assert_eq!(places_in_venue("Лидский колледж"), ["lida"]);
        assert_eq!(places_in_venue("Центральная библиотека"), Vec::<&str>::new());
        assert_eq!(places_in_title("Летняя IT-школа в Лиде"), ["lida"]);
        assert_eq!(places_in_title("Летняя школа у Лідзе"), Vec::<&str>::new(), "Лідзе is not a form the table makes");
        assert_eq!(places_in_title("Summer school in Lida"), ["lida"]);
        assert_eq!(places_in_title("Лидер в команде"), Vec::<&str>::new());
        assert_eq!(places_in_title("Экскурсия по Гродно"), Vec::<&str>::new(), "only after в/у/in/из");
    }

    #[test]
    fn every_name_of_the_table_folds_to_one_entry_only() {
        for (key, names) in PLACES {
            for n in *names {
                let owners: Vec<&str> =
                    PLACES.iter().filter(|(_, ns)| ns.iter().any(|m| fold(m) == fold(n))).map(|(k, _)| *k).collect();
                assert_eq!(owners, [*key], "{n} belongs to {owners:?}");
            }
        }
    }
}
