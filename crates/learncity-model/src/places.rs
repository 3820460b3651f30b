//! The place-alias table: the names one place goes by — official Belarusian and Russian, their
//! Latin transliterations (BGN, national 2007 system, ISO 9), English and German exonyms — under
//! one key. The readers recognise a city written in any of them; the catalogue keys places on it
//! (`learncity_catalog::places`).

/// `(key, names)`: every name folds to the key.
pub const PLACES: &[(&str, &[&str])] = &[
    ("minsk", &["Minsk", "Мінск", "Минск", "Mensk", "Менск"]),
    ("vitebsk", &["Vitebsk", "Віцебск", "Витебск", "Viciebsk", "Vitsyebsk", "Witebsk", "Vitsebsk"]),
    ("mogilev", &["Mogilev", "Магілёў", "Могилёв", "Могилев", "Mahilioŭ", "Mahiliou", "Mahilyow", "Mohilew"]),
    ("gomel", &["Gomel", "Гомель", "Homiel", "Homyel", "Homel", "Homieĺ"]),
    ("grodno", &["Grodno", "Гродна", "Гродно", "Hrodna", "Horodno"]),
    ("brest", &["Brest", "Брэст", "Брест", "Bieraście", "Берасце", "Brest-Litovsk", "Brześć"]),
    ("polotsk", &["Polotsk", "Полацк", "Полоцк", "Polack", "Polatsk", "Polacak"]),
    ("novopolotsk", &["Novopolotsk", "Наваполацк", "Новополоцк", "Navapolack", "Navapolatsk", "Navapolacak"]),
    ("orsha", &["Orsha", "Орша", "Vorša", "Ворша", "Orša"]),
    ("baku", &["Baku", "Bakı", "Баку", "Bakou"]),
    ("tampere", &["Tampere", "Tammerfors", "Тампере"]),
    ("bonn", &["Bonn", "Бонн"]),
    // Towns of Belarus (district centres and more): where "Библиотека, Шклов" or "в Лиде" names
    // another place than the provider's city.
    ("lida", &["Lida", "Лида", "Ліда"]),
    ("slonim", &["Slonim", "Слоним", "Слонім"]),
    ("navahrudak", &["Navahrudak", "Новогрудок", "Навагрудак", "Novogrudok"]),
    ("vawkavysk", &["Vawkavysk", "Волковыск", "Ваўкавыск", "Volkovysk", "Vaŭkavysk"]),
    ("smarhon", &["Smarhon", "Сморгонь", "Смаргонь", "Smorgon", "Smarhoń"]),
    ("ashmyany", &["Ashmyany", "Ошмяны", "Ашмяны", "Oshmyany", "Ašmiany"]),
    ("shchuchyn", &["Shchuchyn", "Щучин", "Шчучын", "Shchuchin", "Ščučyn"]),
    ("skidal", &["Skidal", "Скидель", "Скідаль", "Skidel", "Skidaĺ"]),
    ("pinsk", &["Pinsk", "Пинск", "Пінск"]),
    ("baranavichy", &["Baranavichy", "Барановичи", "Баранавічы", "Baranovichi", "Baranavičy"]),
    ("kobryn", &["Kobryn", "Кобрин", "Кобрын", "Kobrin"]),
    ("pruzhany", &["Pruzhany", "Пружаны", "Pružany"]),
    ("luninets", &["Luninets", "Лунинец", "Лунінец", "Luniniec"]),
    ("stolin", &["Stolin", "Столин", "Столін"]),
    ("ivatsevichy", &["Ivatsevichy", "Ивацевичи", "Івацэвічы", "Ivacevichi", "Ivatsevichi", "Ivacevičy"]),
    ("drahichyn", &["Drahichyn", "Дрогичин", "Драгічын", "Drogichin", "Drahičyn"]),
    ("ivanava", &["Ivanava", "Иваново", "Іванава", "Ivanovo"]),
    ("kamyanets", &["Kamyanets", "Каменец", "Камянец", "Kamenets", "Kamianiec"]),
    ("lyakhavichy", &["Lyakhavichy", "Ляховичи", "Ляхавічы", "Lyakhovichi", "Liachavičy"]),
    ("hantsavichy", &["Hantsavichy", "Ганцевичи", "Ганцавічы", "Gantsevichi", "Hancavičy"]),
    ("malaryta", &["Malaryta", "Малорита", "Маларыта", "Malorita"]),
    ("zhabinka", &["Zhabinka", "Жабинка", "Жабінка", "Žabinka"]),
    ("david-haradok", &["David-Haradok", "Давид-Городок", "Давыд-Гарадок", "David-Gorodok", "Davyd-Haradok"]),
    ("dzyatlava", &["Dzyatlava", "Дятлово", "Дзятлава", "Dyatlovo", "Dziatlava"]),
    ("karelichy", &["Karelichy", "Кореличи", "Карэлічы", "Korelichi", "Kareličy"]),
    ("zelva", &["Zelva", "Зельва", "Зэльва", "Zeĺva"]),
    ("svislach", &["Svislach", "Свислочь", "Свіслач", "Svisloch", "Svislač"]),
    ("voranava", &["Voranava", "Вороново", "Воранава", "Voronovo"]),
    ("iwye", &["Iwye", "Ивье", "Іўе", "Ivye", "Iuye", "Iŭje"]),
    ("astravets", &["Astravets", "Островец", "Астравец", "Ostrovets", "Astraviec"]),
    ("babruysk", &["Babruysk", "Бобруйск", "Бабруйск", "Bobruisk", "Bobruysk", "Babrujsk"]),
    ("shklov", &["Shklov", "Шклов", "Шклоў", "Shklou", "Škloŭ"]),
    ("krychaw", &["Krychaw", "Кричев", "Крычаў", "Krichev", "Kryčaŭ"]),
    ("asipovichy", &["Asipovichy", "Осиповичи", "Асіповічы", "Osipovichi", "Asipovičy"]),
    ("bykhaw", &["Bykhaw", "Быхов", "Быхаў", "Bykhov", "Bychaŭ"]),
    ("klimavichy", &["Klimavichy", "Климовичи", "Клімавічы", "Klimovichi", "Klimavičy"]),
    ("kastsyukovichy", &["Kastsyukovichy", "Костюковичи", "Касцюковічы", "Kostyukovichi", "Kasciukovičy"]),
    ("mstsislaw", &["Mstsislaw", "Мстиславль", "Мсціслаў", "Mstislavl", "Mscislaŭ"]),
    ("cherykaw", &["Cherykaw", "Чериков", "Чэрыкаў", "Cherikov", "Čerykaŭ"]),
    ("belynichy", &["Byalynichy", "Белыничи", "Бялынічы", "Belynichi", "Bialyničy"]),
    ("hlybokaye", &["Hlybokaye", "Глубокое", "Глыбокае", "Glubokoye", "Hlybokaje"]),
    ("pastavy", &["Pastavy", "Поставы", "Паставы", "Postavy"]),
    ("lepel", &["Lepel", "Лепель", "Lepieĺ"]),
    ("braslaw", &["Braslaw", "Браслав", "Браслаў", "Braslav", "Braslaŭ"]),
    ("talachyn", &["Talachyn", "Толочин", "Талачын", "Tolochin", "Talačyn"]),
    ("barysaw", &["Barysaw", "Борисов", "Барысаў", "Borisov", "Barysaŭ"]),
    ("maladzyechna", &["Maladzyechna", "Молодечно", "Маладзечна", "Molodechno", "Maladziečna", "Maladzechna"]),
    ("salihorsk", &["Salihorsk", "Солигорск", "Салігорск", "Soligorsk"]),
    ("zhodzina", &["Zhodzina", "Жодино", "Жодзіна", "Zhodino", "Žodzina"]),
    ("slutsk", &["Slutsk", "Слуцк", "Sluck"]),
    ("vileyka", &["Vileyka", "Вилейка", "Вілейка", "Vilejka"]),
    ("niasvizh", &["Niasvizh", "Несвиж", "Нясвіж", "Nesvizh", "Niasviž"]),
    ("stowbtsy", &["Stowbtsy", "Столбцы", "Стоўбцы", "Stolbtsy", "Stoŭbcy"]),
    ("mazyr", &["Mazyr", "Мозырь", "Мазыр", "Mozyr"]),
    ("zhlobin", &["Zhlobin", "Жлобин", "Жлобін", "Žlobin"]),
    ("svetlahorsk", &["Svetlahorsk", "Светлогорск", "Светлагорск", "Svetlogorsk", "Svietlahorsk"]),
    ("rechytsa", &["Rechytsa", "Речица", "Рэчыца", "Rechitsa", "Rečyca"]),
    ("rahachow", &["Rahachow", "Рогачёв", "Рогачев", "Рагачоў", "Rogachev", "Rahačoŭ"]),
    ("kalinkavichy", &["Kalinkavichy", "Калинковичи", "Калінкавічы", "Kalinkovichi", "Kalinkavičy"]),
    ("vilnius", &["Vilnius", "Вильнюс", "Вільня", "Wilno"]),
    ("warsaw", &["Warsaw", "Варшава", "Warszawa"]),
    ("moscow", &["Moscow", "Москва", "Maskva", "Moskau"]),
    ("kyiv", &["Kyiv", "Киев", "Кіеў", "Kiev"]),
    ("riga", &["Riga", "Рига", "Рыга"]),
];

/// Words before a town's name that say it is a town ("г. Брест", "гор. Гродно", "горад
/// Віцебск", "м. Брэст", "City of Minsk"), lower-cased.
const TOWN_WORDS: &[&str] = &["г.", "г", "гор.", "город", "горад", "м.", "city of", "town of"];

/// Words after it that name the country ("Брест, Беларусь"), lower-cased.
const COUNTRY_WORDS: &[&str] = &["республика беларусь", "рэспубліка беларусь", "беларусь", "belarus", "рб"];

/// Lower case, "ё" as "е", spaces collapsed, and the national Latin system's letters without
/// their marks ("Barysaŭ" as "barysau", "Maladziečna" as "maladziecna"), as providers who type
/// them without write them.
fn simple(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'ё' => 'е',
            'ŭ' => 'u',
            'č' | 'ć' => 'c',
            'š' | 'ś' => 's',
            'ž' | 'ź' => 'z',
            'ĺ' | 'ł' => 'l',
            'ń' => 'n',
            c => c,
        })
        .collect()
}

/// Whether `name` is one of the table's names, in any case, with or without the national
/// system's marks ("Barysaŭ", "barysau", "БАРЫСАЎ").
pub fn is_name(name: &str) -> bool {
    static NAMES: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| PLACES.iter().flat_map(|(_, names)| names.iter().map(|n| simple(n))).collect())
        .contains(&simple(name))
}

/// The name of the table a town's genitive is ("ЦГБ Новополоцка", "музей Полоцка": a name
/// ending in a consonant, with "а"), in Cyrillic; `None` for any other word.
pub fn of_genitive(word: &str) -> Option<&'static str> {
    let stem = word.strip_suffix('а').or_else(|| word.strip_suffix('А'))?;
    let ends_in_consonant =
        stem.chars().last().is_some_and(|c| c.is_alphabetic() && !"аеёиоуыэюяіўьАЕЁИОУЫЭЮЯІЎЬ".contains(c));
    if !ends_in_consonant {
        return None;
    }
    let stem = simple(stem);
    PLACES.iter().flat_map(|(_, names)| names.iter()).find(|n| simple(n) == stem).copied()
}

/// The key of a city name in [`PLACES`], whatever spelling of it is used, with or without
/// a word saying it is a town before it or the country after it ("г. Витебск", "Viciebsk",
/// "Vitebsk, Belarus" → `vitebsk`); `None` for a name the table does not know.
pub fn key_of(name: &str) -> Option<&'static str> {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<String, &'static str>> = std::sync::OnceLock::new();
    let table = TABLE
        .get_or_init(|| PLACES.iter().flat_map(|(key, names)| names.iter().map(move |n| (simple(n), *key))).collect());
    let name = simple(name);
    let mut s = name.trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | ';'));
    // A town word counts only before a space or with its dot: "Гродно" is no "г" + "родно".
    for w in TOWN_WORDS {
        if let Some(rest) = s.strip_prefix(w).filter(|r| r.starts_with(' ') || w.ends_with('.')) {
            s = rest.trim_start();
            break;
        }
    }
    for w in COUNTRY_WORDS {
        if let Some(rest) = s.strip_suffix(w).map(str::trim_end) {
            s = rest.trim_end_matches(',').trim_end();
            break;
        }
    }
    table.get(s).copied()
}

/// Street words (lowercase, without the dot) in ru/be/en and their Latin transliterations, as
/// addresses write them ("ул. Ленина, 15", "пр-т Фрунзе, 81", "15 Lenin Street"): the readers
/// split an address off a venue with them, matching reads the house number after them.
pub const STREET_WORDS: &[&str] = &[
    "ул",
    "улица",
    "вул",
    "вуліца",
    "пр",
    "пр-т",
    "пр-кт",
    "просп",
    "проспект",
    "праспект",
    "пер",
    "переулок",
    "пр-д",
    "проезд",
    "праезд",
    "зав",
    "завулак",
    "бул",
    "бульвар",
    "бульв",
    "пл",
    "площадь",
    "плошча",
    "наб",
    "набережная",
    "набярэжная",
    "ш",
    "шоссе",
    "шаша",
    "тракт",
    "тр",
    "мкр",
    "мкрн",
    "микрорайон",
    "мікрараён",
    "street",
    "st",
    "str",
    "avenue",
    "ave",
    "av",
    "road",
    "rd",
    "square",
    "sq",
    "lane",
    "ln",
    "boulevard",
    "blvd",
    "prospekt",
    "vulica",
    "vul",
    "ulica",
    "ul",
    "pl",
    "prasp",
    "pr-t",
];

/// The [`STREET_WORDS`] that follow the street's name ("15 Lenin Street", "Main St"): the
/// English ones.
pub const STREET_WORDS_AFTER_NAME: &[&str] =
    &["street", "st", "str", "avenue", "ave", "av", "road", "rd", "square", "sq", "lane", "ln", "boulevard", "blvd"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_city_has_its_key() {
        for name in [
            "Витебск",
            "Віцебск",
            "Vitebsk",
            "Viciebsk",
            "г. Витебск",
            "г.Витебск",
            "горад Віцебск",
            "Vitebsk, Belarus",
            " ВИТЕБСК ",
        ] {
            assert_eq!(key_of(name), Some("vitebsk"), "{name}");
        }
        assert_eq!(key_of("Могилев"), Some("mogilev"));
        assert_eq!(key_of("Магілёў"), Some("mogilev"));
        assert_eq!(key_of("City of Minsk"), Some("minsk"));
        // The national Latin system, with its marks and without them.
        for name in ["Barysaŭ", "barysau", "Borisov", "Барысаў"] {
            assert_eq!(key_of(name), Some("barysaw"), "{name}");
        }
        assert_eq!(key_of("Maladziečna"), key_of("Молодечно"));
        assert_eq!(of_genitive("Новополоцка"), Some("Новополоцк"));
        assert_eq!(of_genitive("Полацка"), Some("Полацк"));
        assert_eq!(of_genitive("Полацкага"), None);
        assert_eq!(of_genitive("Лида"), None);
        assert!(is_name("МАЛАДЗЕЧНА") && is_name("Baranavicy") && !is_name("Библиотека"));
        assert_eq!(key_of("Брэст, Рэспубліка Беларусь"), Some("brest"));
    }

    #[test]
    fn names_the_table_does_not_know_have_none() {
        for name in ["", "г.", "Атлантида", "Витебский район", "Гомельская область"]
        {
            assert_eq!(key_of(name), None, "{name}");
        }
    }

    #[test]
    fn town_words_are_taken_before_town_names() {
        // "гор." before "г", and a town whose name starts like a town word keeps it.
        assert_eq!(key_of("гор. Гродно"), Some("grodno"));
        assert_eq!(key_of("Мінск"), Some("minsk"));
        assert_eq!(key_of("Гродно"), Some("grodno"));
    }
}
