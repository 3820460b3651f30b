//! What providers write in words, read into fields: prices, schedules, ages, kinds and places,
//! in Russian, Belarusian and English. Pure, table-driven functions of text; the normaliser
//! decides where the text comes from and warns when a field is mentioned but cannot be read.

pub mod age;
pub mod place;
pub mod price;
pub mod schedule;

/// The sentences of a plain text: lines, and within a line the parts after `.`, `!`, `?` or `…`
/// followed by a space and a capital letter. Abbreviations ("ул. Ленина") may split a sentence
/// in two; readers here look for phrases inside one sentence, so that costs nothing.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut start = 0;
        for (i, c) in line.char_indices() {
            if !matches!(c, '.' | '!' | '?' | '…') {
                continue;
            }
            let after = &line[i + c.len_utf8()..];
            let trimmed = after.trim_start();
            if trimmed.len() < after.len() && trimmed.chars().next().is_some_and(char::is_uppercase) {
                let end = i + c.len_utf8();
                out.push(line[start..end].trim());
                start = end;
            }
        }
        out.push(line[start..].trim());
    }
    out.retain(|s| !s.is_empty());
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn sentences_split_at_capitals_only() {
        assert_eq!(
            super::sentences("Лекция о модерне. Вход свободный!\n410 руб. за курс."),
            ["Лекция о модерне.", "Вход свободный!", "410 руб. за курс."]
        );
        assert!(super::sentences("  \n").is_empty());
    }
}
