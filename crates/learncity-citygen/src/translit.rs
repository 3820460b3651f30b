//! Cyrillic (Russian and Belarusian) to Latin, the way providers re-type titles: a fixed,
//! table-driven scheme (BGN-like, `ў` → `u`), so generated variants never change.

/// `text` with every Cyrillic letter spelled in Latin; anything else kept.
pub fn to_latin(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for c in text.chars() {
        let lower = c.to_lowercase().next().unwrap_or(c);
        let latin = match lower {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'ґ' => "g",
            'д' => "d",
            'е' => "e",
            'ё' => "yo",
            'ж' => "zh",
            'з' => "z",
            'и' => "i",
            'й' => "y",
            'і' => "i",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ў' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ъ' | 'ь' | '\'' | '’' => "",
            'ы' => "y",
            'э' => "e",
            'ю' => "yu",
            'я' => "ya",
            _ => {
                out.push(c);
                continue;
            }
        };
        if c != lower {
            let mut chars = latin.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push_str(latin);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_russian_and_belarusian() {
        assert_eq!(to_latin("Курс Python для начинающих"), "Kurs Python dlya nachinayushchikh");
        assert_eq!(to_latin("Віцебск"), "Vitsebsk");
        assert_eq!(to_latin("Экскурсія «Стары горад»"), "Ekskursiya «Stary gorad»");
        assert_eq!(to_latin("Шахматы 2.0"), "Shakhmaty 2.0");
    }
}
