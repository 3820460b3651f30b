//! The trilingual glossary: words of course titles and venues in Russian, Belarusian and
//! English mapped to shared concepts, so that "Курс английского языка для начинающих",
//! "Курс англійскай мовы для пачаткоўцаў" and "English course for beginners" are made of the
//! same units. Transliteration and ru/be cognates are bridged by [`crate::fold`]; translations
//! are bridged here.
//!
//! The table is `glossary.tsv` beside this file (written by a helper who had not read the
//! matcher, from general knowledge; see its header): one concept a line,
//! `concept-id<TAB>ru forms<TAB>be forms<TAB>en forms`, forms separated by `|`. Every form is
//! folded and cut to a token ([`crate::fold::tokens`]' five letters); a multi-word form is a
//! phrase of such tokens. One token may belong to several concepts (the five-letter cut joins
//! "программа" and "программирование"): then it stands for all of them.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::fold;

/// The glossary's text.
const TSV: &str = include_str!("glossary.tsv");

/// A concept's number in the glossary.
pub type Concept = u16;

/// One word of a title or venue as matching sees it: its token and the concepts it names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Unit {
    /// The folded word cut to [`crate::fold::TOKEN_LEN`] letters (a phrase: its tokens joined by spaces).
    pub token: String,
    /// Concepts it names, sorted (empty when the glossary does not know it).
    pub concepts: Vec<Concept>,
}

impl Unit {
    /// Whether two units are one word: the same token, a shared concept, or (when the glossary
    /// does not tell them apart) tokens at least `min` Jaro-Winkler-similar.
    pub fn same_as(&self, other: &Unit, min: f64) -> bool {
        if self.token == other.token {
            return true;
        }
        if !self.concepts.is_empty() && !other.concepts.is_empty() {
            return shares(&self.concepts, &other.concepts);
        }
        strsim::jaro_winkler(&self.token, &other.token) >= min
    }
}

fn shares(a: &[Concept], b: &[Concept]) -> bool {
    a.iter().any(|c| b.binary_search(c).is_ok())
}

struct Table {
    /// Token → concepts.
    words: HashMap<String, Vec<Concept>>,
    /// Phrases (two tokens or more) → concepts, longest first.
    phrases: Vec<(Vec<String>, Vec<Concept>)>,
    /// Concept ids, by number.
    ids: Vec<String>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| parse(TSV))
}

fn parse(tsv: &str) -> Table {
    let mut words: HashMap<String, Vec<Concept>> = HashMap::new();
    let mut phrases: HashMap<Vec<String>, Vec<Concept>> = HashMap::new();
    let mut ids = Vec::new();
    for line in tsv.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split('\t');
        let Some(id) = fields.next() else { continue };
        let n = Concept::try_from(ids.len()).expect("the glossary holds fewer than 65 536 concepts");
        ids.push(id.trim().to_owned());
        for form in fields.flat_map(|f| f.split('|')) {
            let toks = fold::words(form);
            let slot = match toks.len() {
                0 => continue,
                1 => words.entry(toks.into_iter().next().expect("one token")).or_default(),
                _ => phrases.entry(toks).or_default(),
            };
            if !slot.contains(&n) {
                slot.push(n);
                slot.sort_unstable();
            }
        }
    }
    let mut phrases: Vec<(Vec<String>, Vec<Concept>)> = phrases.into_iter().collect();
    phrases.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    Table { words, phrases, ids }
}

/// The units of `text`: its glossary phrases (longest first) and its other words, sorted and
/// deduplicated.
pub fn units(text: &str) -> Vec<Unit> {
    let t = table();
    let words = fold::words(text);
    let mut used = vec![false; words.len()];
    let mut out = Vec::with_capacity(words.len());
    for (phrase, concepts) in &t.phrases {
        // Most phrases share no word with a title: checking their first word is enough to skip.
        if phrase.len() > words.len() || !words.contains(&phrase[0]) {
            continue;
        }
        for at in 0..=words.len() - phrase.len() {
            if !used[at..at + phrase.len()].iter().any(|u| *u) && words[at..at + phrase.len()] == phrase[..] {
                used[at..at + phrase.len()].iter_mut().for_each(|u| *u = true);
                // A phrase also stands for its words' concepts ("центр творчества детей" is a
                // centre, of creativity, for children).
                let mut all = concepts.clone();
                all.extend(phrase.iter().flat_map(|w| t.words.get(w)).flatten());
                all.sort_unstable();
                all.dedup();
                out.push(Unit { token: phrase.join(" "), concepts: all });
            }
        }
    }
    for (w, _) in words.iter().zip(&used).filter(|(_, used)| !**used) {
        out.push(Unit { token: w.clone(), concepts: t.words.get(w).cloned().unwrap_or_default() });
    }
    out.sort();
    out.dedup();
    out
}

/// The id of concept `c` (for explanations).
pub fn concept_id(c: Concept) -> &'static str {
    table().ids.get(usize::from(c)).map_or("?", String::as_str)
}

/// Number of concepts in the glossary.
pub fn len() -> usize {
    table().ids.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concepts(text: &str) -> Vec<&'static str> {
        let mut out: Vec<&str> = units(text).iter().flat_map(|u| u.concepts.iter().map(|c| concept_id(*c))).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn the_glossary_is_large_and_every_line_parses() {
        assert!(len() >= 500, "{} concepts", len());
        let lines = TSV.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).count();
        assert_eq!(lines, len());
        for line in TSV.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
            assert!(line.split('\t').count() >= 2, "a concept without forms: {line}");
        }
    }

    #[test]
    fn one_title_in_three_languages_names_the_same_concepts() {
        let ru = concepts("Курс английского языка для начинающих");
        let be = concepts("Курс англійскай мовы для пачаткоўцаў");
        let en = concepts("English language course for beginners");
        for c in ["course", "english", "language", "beginner"] {
            assert!(ru.contains(&c) && be.contains(&c) && en.contains(&c), "{c}: {ru:?} / {be:?} / {en:?}");
        }
    }

    #[test]
    fn units_of_unknown_words_are_their_tokens() {
        let u = units("Шагал Zzyzx");
        assert!(u.iter().any(|u| u.token == "zzizx" && u.concepts.is_empty()), "{u:?}");
        assert!(units("").is_empty());
    }

    #[test]
    fn words_the_glossary_tells_apart_are_not_joined_by_spelling() {
        let a = units("лекция");
        let b = units("экскурсия");
        assert!(!a[0].same_as(&b[0], 0.5));
        let typo = units("лекцыя");
        assert!(a[0].same_as(&typo[0], 0.88));
    }
}
