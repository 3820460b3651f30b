//! Text preparation shared by indexing and querying: Unicode normalisation, splitting into
//! words, the folded (transliterated) words of the `*_tr` fields, stopwords, the typo distance
//! rule, the crude stem of folded words, and place-name aliases.
//!
//! Indexing and querying go through the same functions here, so a word is cut and folded the
//! same way on both sides.

use std::sync::OnceLock;

use learncity_catalog::fold;
use learncity_catalog::places::PLACES;
use unicode_normalization::UnicodeNormalization;

/// Tokens of this many bytes or more are dropped by the analyzers (and so by the query).
pub(crate) const MAX_TOKEN_BYTES: usize = 100;

/// `text` in NFC with `ё` written `е`: Russian texts use both, the Russian stemmer does not
/// merge them.
pub(crate) fn normalize(text: &str) -> String {
    text.nfc()
        .map(|c| match c {
            'ё' => 'е',
            'Ё' => 'Е',
            c => c,
        })
        .collect()
}

/// The lowercase words of `text`: maximal runs of alphanumeric characters, as tantivy's
/// `SimpleTokenizer` cuts them, without words of [`MAX_TOKEN_BYTES`] or more.
pub(crate) fn words(text: &str) -> Vec<String> {
    normalize(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.len() < MAX_TOKEN_BYTES)
        .map(str::to_lowercase)
        .collect()
}

/// The folded form of one word: ASCII, transliteration variants merged (see [`fold::fold`]),
/// soft and hard signs dropped (transliterated as apostrophes, they would split the word),
/// whatever else the transliteration splits the word at joined again; then, for Belarusian
/// spellings, `o` → `a` (akanne: "фотография" / "фатаграфія", "Могилёв" / "Магілёў"), doubled
/// letters single (Belarusian writes "праграма" for "программа"), and `ph` → `f`. `None` when
/// nothing is left.
pub(crate) fn folded(word: &str) -> Option<String> {
    let signless: String = word.chars().filter(|c| !matches!(c, 'ь' | 'Ь' | 'ъ' | 'Ъ')).collect();
    let form = fold::fold(&signless).replace(' ', "").replace("ph", "f").replace('o', "a");
    let mut out = String::with_capacity(form.len());
    let mut last = None;
    for c in form.chars() {
        if last != Some(c) || c.is_ascii_digit() {
            out.push(c);
        }
        last = Some(c);
    }
    (!out.is_empty() && out.len() < MAX_TOKEN_BYTES).then_some(out)
}

/// The content of a `*_tr` field for `text`: the folded forms of its words, space-separated
/// (the field's tokenizer splits on whitespace).
pub(crate) fn translit_text(text: &str) -> String {
    words(text).iter().filter_map(|w| folded(w)).collect::<Vec<_>>().join(" ")
}

/// True when `word` is one of the catalogue's folding stopwords ("в", "для", "the", "für"...):
/// [`fold::tokens`] drops it.
pub(crate) fn is_stopword(word: &str) -> bool {
    !fold::fold(word).is_empty() && fold::tokens(word).is_empty()
}

/// The edit distance a fuzzy match of `term` tolerates: 0 below 5 characters, 1 from 5, 2 from 9.
pub(crate) fn typo_distance(term: &str) -> u8 {
    match term.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// A crude stem of a folded word of at least 7 letters: the word without its last three letters,
/// but at least five kept. Slavic endings fold to at most three letters ("ogo" → "oho", "ami",
/// "omu", "ai"), so a Belarusian form and a Russian one of the same word usually share it.
pub(crate) fn crude_stem(folded_word: &str) -> Option<&str> {
    let len = folded_word.len();
    // Folded words are ASCII: byte slicing is character slicing.
    (len >= 7 && folded_word.is_ascii()).then(|| &folded_word[..(len - 3).max(5)])
}

/// The five-letter folded prefixes of every name of the place whose name `folded_word` starts
/// like (Витебске → every prefix of Vitebsk / Віцебск / Viciebsk...), from the catalogue's
/// place-alias table; empty when it names no known place. Prefixes shorter than four letters
/// are never compared.
pub(crate) fn place_aliases(folded_word: &str) -> Vec<&'static str> {
    static TABLE: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        PLACES
            .iter()
            .map(|(_, names)| {
                let mut prefixes: Vec<String> =
                    names.iter().filter_map(|n| folded(n)).map(|f| f.chars().take(5).collect()).collect();
                prefixes.sort();
                prefixes.dedup();
                prefixes
            })
            .collect()
    });
    if folded_word.len() < 4 || !folded_word.is_ascii() {
        return Vec::new();
    }
    let prefix = &folded_word[..folded_word.len().min(5)];
    table
        .iter()
        .filter(|prefixes| prefixes.iter().any(|p| p == prefix))
        .flat_map(|prefixes| prefixes.iter().map(String::as_str))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_the_simple_tokenizer_and_lowercase() {
        assert_eq!(words("Курсы: \"English\" (B1) — Ёлка"), ["курсы", "english", "b1", "елка"]);
        assert_eq!(words(""), Vec::<String>::new());
        assert!(words(&"я".repeat(60)).is_empty(), "a 120-byte word is dropped");
    }

    #[test]
    fn folded_forms_meet_across_scripts() {
        assert_eq!(folded("Віцебск"), folded("Viciebsk"));
        assert_eq!(folded("Витебск"), folded("Vitebsk"));
        assert_eq!(translit_text("Курсы в Витебске"), "kursi v vitebske");
        assert_eq!(folded("фотография"), folded("Fatahrafia"));
        assert_eq!(folded("Photo"), folded("фата"));
        assert_eq!(folded("программа"), folded("праграма"));
        assert_eq!(folded("2000").as_deref(), Some("2000"));
        assert_eq!(folded("Школьников").as_deref(), Some("skalnikav"), "the soft sign does not split it");
        assert_eq!(folded("½"), Some("12".to_owned()));
        assert_eq!(folded("ь"), None);
    }

    #[test]
    fn stopwords_distance_and_stems() {
        assert!(is_stopword("в") && is_stopword("для") && is_stopword("The"));
        assert!(!is_stopword("курс") && !is_stopword("...") && !is_stopword("it"));
        assert_eq!([typo_distance("курс"), typo_distance("pyton"), typo_distance("англиский")], [0, 1, 2]);
        assert_eq!(crude_stem("anhliiskai"), Some("anhliis"));
        assert_eq!(crude_stem("kursami"), Some("kursa"));
        assert_eq!(crude_stem("kursi"), None);
    }

    #[test]
    fn place_aliases_bridge_official_names() {
        let aliases = place_aliases("mahileve");
        assert_eq!(aliases, ["mahil"], "Могилёв, Магілёў, Mahilioŭ, Mohilew fold alike");
        assert!(place_aliases("vitebske").contains(&"viceb"));
        assert!(place_aliases("kursi").is_empty());
        assert!(place_aliases("bak").is_empty());
    }
}
