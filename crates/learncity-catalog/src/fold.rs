//! Text folded for matching across scripts, spellings and inflections.

use unicode_normalization::UnicodeNormalization;

/// Folds `text`: transliterated to ASCII (Cyrillic, Latin with diacritics), lowercased,
/// transliteration variants merged (`ts`→`c`, `ch`/`sh`/`zh`/`kh` → `c`/`s`/`z`/`h`, iotated
/// vowels → plain ones, `y`/`j` → `i`, `w` → `v`), everything else a single space.
pub fn fold(text: &str) -> String {
    // Apostrophes and soft signs are part of a word ("сям'я", "компьютер": any_ascii writes the
    // soft sign as an apostrophe), and "№ 14" is "14".
    let decomposed: String = text
        .replace('№', " ")
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .filter(|c| !matches!(c, '\'' | '’' | 'ʼ' | '`' | 'ь' | 'Ь' | 'ъ' | 'Ъ'))
        .collect();
    let ascii = any_ascii::any_ascii(&decomposed).to_ascii_lowercase();
    let mut out = String::with_capacity(ascii.len());
    let mut last_space = true;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    let mut s = out.trim_end().to_owned();
    for (from, to) in [
        ("shch", "s"),
        ("ts", "c"),
        ("tz", "c"),
        ("ch", "c"),
        ("sh", "s"),
        ("zh", "z"),
        ("kh", "h"),
        ("ya", "a"),
        ("ia", "a"),
        ("ja", "a"),
        ("yu", "u"),
        ("iu", "u"),
        ("ju", "u"),
        ("ye", "e"),
        ("ie", "e"),
        ("je", "e"),
        ("yo", "o"),
        ("io", "o"),
        ("jo", "o"),
        ("y", "i"),
        ("j", "i"),
        ("w", "v"),
        ("g", "h"),
    ] {
        // Most folds hold few of these: test before copying.
        if s.contains(from) {
            s = s.replace(from, to);
        }
    }
    s
}

/// Words that say nothing about which offering it is (ru, be, en, de).
const STOPWORDS: &[&str] = &[
    "i", "v", "na", "dla", "po", "s", "so", "z", "za", "ot", "ad", "do", "a", "o", "ob", "obo", "pro", "pra", "ab",
    "about", "the", "of", "and", "for", "in", "on", "to", "an", "at", "by", "with", "from", "und", "der", "die", "das",
    "fur", "mit", "im", "am", "zu", "ein", "eine",
];

/// Letters a token keeps.
pub const TOKEN_LEN: usize = 5;

/// The folded words of `text` in order, stop words dropped, each cut to its first
/// [`TOKEN_LEN`] letters (a crude stem that survives Russian and Belarusian endings:
/// "витебске", "Віцебску" → "viteb", "viceb").
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(' ')
        .filter(|w| !w.is_empty() && !STOPWORDS.contains(w))
        .map(|w| w.chars().take(TOKEN_LEN).collect())
        .collect()
}

/// The [`words`] of `text` that identify it, sorted and deduplicated.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = words(text);
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_spellings_fold_close() {
        assert_eq!(fold("Віцебск"), fold("Viciebsk"));
        assert_eq!(fold("Витебск"), fold("VITEBSK"));
        assert!(strsim::jaro_winkler(&fold("Віцебск"), &fold("Витебск")) > 0.85);
        assert_eq!(fold("  Курсы — английского!! "), "kursi anhliiskoho");
        assert_eq!(fold("Mahilioŭ"), fold("Mahiliou"));
        assert_eq!(fold("Компьютерные курсы"), "komputerne kursi", "a soft sign is no word break");
        assert_eq!(fold("сям'я"), fold("сям’я"));
        assert_eq!(fold("Митап №14"), fold("Митап #14"));
        assert_eq!(fold(""), "");
    }

    #[test]
    fn tokens_drop_stopwords_and_endings() {
        assert_eq!(tokens("Курсы английского языка для начинающих"), ["anhli", "azika", "kursi", "nacin"]);
        assert_eq!(tokens("в Витебске"), tokens("Витебск"));
    }
}
