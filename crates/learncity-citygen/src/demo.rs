//! The demo city: fictional learning providers of Vitebsk, from hand-written seed data.
//!
//! Every provider has its own seed lists (titles, venues, teachers) in its own language; its
//! items combine them with dates drawn from a fixed-seed PRNG, as offsets from `today`, so the
//! structure (ids, titles, order) never changes and only the dates move. On top of that: the
//! offerings several providers announce ([`SHARED`]), look-alikes that are not duplicates
//! ([`LOOK_ALIKES`]), and deliberately broken input.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::render::{self, HtmlStyle, Item, Spec, When};
use crate::rng::SplitMix64;
use crate::translit::to_latin;
use crate::{Broken, BrokenKind, City, Document, Format, ProviderFile, Truth, key};

/// Where the demo's documents are served (the provider configs point there).
pub const DEMO_BASE_URL: &str = "http://127.0.0.1:8090";
/// The demo's city, as every provider config names it.
pub const DEMO_CITY: &str = "Vitebsk";
/// Where the demo's provider configs are committed, relative to the workspace root.
pub const DEMO_PROVIDERS_DIR: &str = "config/demo/providers";

const UNIV: usize = 0;
const COLLEGE: usize = 1;
const LIBRARY: usize = 2;
const MUSEUM: usize = 3;
const NGO: usize = 4;
const LINGVO: usize = 5;
const SENIORS: usize = 6;
const PIXEL: usize = 7;
const TOURS: usize = 8;
const YOUTH: usize = 9;
const CHESS: usize = 10;

/// One provider's seed data.
struct Seed {
    id: &'static str,
    name: &'static str,
    lang: &'static str,
    format: Format,
    path: &'static str,
    site: &'static str,
    comment: &'static [&'static str],
    default_venue: Option<(&'static str, &'static str)>,
    html_style: HtmlStyle,
    /// `(venue, address)`.
    venues: &'static [(&'static str, &'static str)],
    teachers: &'static [&'static str],
    /// Titles of its own offerings (never shared with another provider's seed).
    titles: &'static [&'static str],
    /// How many own offerings.
    own: usize,
    /// Start hours it uses.
    hours: &'static [u32],
    prices: &'static [&'static str],
    /// Starts given in UTC (`Z`) rather than local time (RSS and JSON Feed).
    utc: bool,
    /// The status its document answers with instead of the body.
    fault: Option<u16>,
}

const RU_PRICES: &[&str] = &["Бесплатно", "Вход свободный", "10 BYN", "15 BYN", "25 BYN"];
const BE_PRICES: &[&str] = &["Бясплатна", "Уваход вольны", "5 BYN", "8 BYN", "20 BYN"];
const EN_PRICES: &[&str] = &["Free", "Free, registration required", "40 BYN", "120 BYN per month"];

const SEEDS: [Seed; 11] = [
    Seed {
        id: "dvina-university",
        name: "Універсітэт «Паўночная Дзвіна» (дэма)",
        lang: "be",
        format: Format::Ical,
        path: "/university/open-courses.ics",
        site: "https://dvina-university.vitebsk.example",
        comment: &[
            "Demo city: a fictional university's open courses as an iCalendar feed in Belarusian —",
            "weekly RRULE recurrences with an EXDATE, lectures also announced by the library and the museum.",
        ],
        default_venue: None,
        html_style: HtmlStyle::Afisha,
        venues: &[
            ("Галоўны корпус, аўдыторыя 210", "пр-т Перамогі, 101"),
            ("Бібліятэка ўніверсітэта, чытальная зала", "вул. Чапаева, 29"),
            ("Корпус № 2, актавая зала", "вул. Пушкіна, 12"),
        ],
        teachers: &["дацэнт Алена Шыманская", "праф. Віктар Карповіч", "Ірына Лапцёнак", "Андрэй Сівуха"],
        titles: &[
            "Курс «Асновы псіхалогіі»",
            "Семінар «Навуковы тэкст: як пісаць артыкулы»",
            "Курс беларускай мовы для дарослых",
            "Лекцыя «Фізіка для ўсіх: чорныя дзіркі»",
            "Трэнінг «Публічныя выступы»",
            "Курс «Статыстыка ў Excel»",
            "Лекцыя «Біялогія Дзвіны: рака і яе жыхары»",
            "Майстар-клас «Хімія на кухні»",
            "Курс «Асновы журналістыкі»",
            "Семінар «Эканоміка для неэканамістаў»",
            "Лекцыя «Мадэрн у архітэктуры горада»",
        ],
        own: 22,
        hours: &[10, 15, 17, 18],
        prices: BE_PRICES,
        utc: false,
        fault: None,
    },
    Seed {
        id: "dvina-arts-college",
        name: "Колледж искусств «Двинская волна» (демо)",
        lang: "ru",
        format: Format::Rss,
        path: "/college/news.rss",
        site: "https://dvina-arts-college.vitebsk.example",
        comment: &[
            "Demo city: a fictional arts college's RSS 2.0 feed in Russian with event dates (ev:startdate);",
            "one item has neither title nor description and is skipped with a warning.",
        ],
        default_venue: Some(("Колледж искусств «Двинская волна»", "ул. Гоголя, 7")),
        html_style: HtmlStyle::Afisha,
        venues: &[
            ("Колледж «Двинская волна», учебный корпус", "ул. Гоголя, 7"),
            ("Концертный зал колледжа", "ул. Гоголя, 7"),
        ],
        teachers: &["Мария Ковальчук", "Сергей Лепешко", "Анна Рудковская"],
        titles: &[
            "Мастер-класс по акварели",
            "Курс рисунка для подростков",
            "Открытый урок хореографии",
            "Мастер-класс «Роспись по ткани»",
            "Курс гитары для начинающих",
            "Лекция «Как устроен оркестр»",
            "Мастер-класс по гончарному делу",
            "Курс фотографии на смартфон",
            "Занятие по сценической речи",
            "Мастер-класс «Батик»",
            "Курс компьютерной графики",
            "Концерт-лекция «Музыка барокко»",
        ],
        own: 22,
        hours: &[11, 14, 16, 19],
        prices: RU_PRICES,
        utc: true,
        fault: None,
    },
    Seed {
        id: "central-library",
        name: "Центральная городская библиотека «Маяк» (демо)",
        lang: "ru",
        format: Format::HtmlRules,
        path: "/library/afisha.html",
        site: "https://mayak-library.vitebsk.example",
        comment: &[
            "Demo city: a fictional central library's \"Афиша\" HTML page in Russian, read by selector rules;",
            "it re-announces the university's, the IT academy's and the NGO's events, some in Latin spelling.",
        ],
        default_venue: Some(("Центральная городская библиотека «Маяк»", "ул. Ленина, 18")),
        html_style: HtmlStyle::Afisha,
        venues: &[("Читальный зал, 2 этаж", "ул. Ленина, 18"), ("Филиал № 4", "пр-т Строителей, 9")],
        teachers: &["Ольга Ковалёва", "Татьяна Мельник", "Игорь Садовский"],
        titles: &[
            "Книжный клуб «Читаем вместе»",
            "Лекция «История книгопечатания»",
            "Встреча с краеведом",
            "Клуб настольных игр",
            "Мастер-класс по переплёту",
            "Литературная гостиная",
            "Консультация «Как найти статью в базах данных»",
            "Громкие чтения для детей",
            "Клуб любителей детектива",
            "Выставка-обсуждение «Редкие книги фонда»",
            "Курс «Генеалогия: как составить родословную»",
        ],
        own: 22,
        hours: &[11, 13, 16, 18],
        prices: RU_PRICES,
        utc: false,
        fault: None,
    },
    Seed {
        id: "palitra-museum",
        name: "Музей «Палітра» (дэма)",
        lang: "be",
        format: Format::JsonLd,
        path: "/museum/padzei.html",
        site: "https://palitra-museum.vitebsk.example",
        comment: &[
            "Demo city: a fictional art museum's page in Belarusian with schema.org JSON-LD EducationEvent and",
            "Course items (no rules needed); one lecture takes place in Mogilev, not Vitebsk.",
        ],
        default_venue: None,
        html_style: HtmlStyle::Afisha,
        venues: &[("Музей «Палітра»", "вул. Пакроўская, 40"), ("Выставачная зала музея", "вул. Пакроўская, 40")],
        teachers: &["Вольга Хмяльніцкая", "Юрый Дарашэвіч", "Ганна Ждановіч"],
        titles: &[
            "Экскурсія па экспазіцыі «Віцебскі авангард»",
            "Лекцыя «Колер у жывапісе»",
            "Майстар-клас «Малюем як авангардысты»",
            "Курс «Гісторыя мастацтваў для дарослых»",
            "Сямейная экскурсія «Музей для самых маленькіх»",
            "Лекцыя «Як чытаць карціну»",
            "Майстар-клас «Лінагравюра»",
            "Курс малявання для дзяцей",
            "Начная экскурсія па музеі",
            "Лекцыя «Фатаграфія XIX стагоддзя»",
        ],
        own: 20,
        hours: &[11, 12, 15, 18],
        prices: BE_PRICES,
        utc: false,
        fault: None,
    },
    Seed {
        id: "open-doors",
        name: "ОО «Открытые двери» — для людей с инвалидностью (демо)",
        lang: "ru",
        format: Format::Atom,
        path: "/open-doors/events.atom",
        site: "https://open-doors.vitebsk.example",
        comment: &[
            "Demo city: a fictional NGO for people with disabilities — an Atom feed in Russian with xCal",
            "event dates; some events are also announced by the library and the seniors' centre.",
        ],
        default_venue: Some(("ОО «Открытые двери»", "ул. Правды, 21")),
        html_style: HtmlStyle::Afisha,
        venues: &[("ОО «Открытые двери»", "ул. Правды, 21"), ("Инклюзивный центр", "ул. Кирова, 5")],
        teachers: &["Наталья Гришкевич", "Павел Жук", "Елена Бондарь"],
        titles: &[
            "Курс жестового языка для начинающих",
            "Тренинг «Доступная среда: как помочь незрячему»",
            "Компьютерные курсы для людей с нарушением зрения",
            "Арт-терапия для взрослых",
            "Инклюзивная танцевальная студия",
            "Семинар «Права людей с инвалидностью»",
            "Мастер-класс по тифлографике",
            "Клуб общения «Вместе»",
            "Курс «Адаптивная физкультура»",
            "Тренинг для волонтёров",
        ],
        own: 20,
        hours: &[10, 12, 15, 17],
        prices: RU_PRICES,
        utc: false,
        fault: None,
    },
    Seed {
        id: "lingvo-plus",
        name: "Lingvo Plus language school (demo)",
        lang: "en",
        format: Format::Atom,
        path: "/lingvo/courses.atom",
        site: "https://lingvo-plus.vitebsk.example",
        comment: &[
            "Demo city: a fictional private language school's Atom feed in English; one entry's date",
            "cannot be read (published without sessions, with a warning).",
        ],
        default_venue: Some(("Lingvo Plus school", "Frunze Ave 21")),
        html_style: HtmlStyle::Afisha,
        venues: &[("Lingvo Plus school, room 3", "Frunze Ave 21"), ("Lingvo Plus, café room", "Frunze Ave 21")],
        teachers: &["Emma Novik", "Daniel Krauze", "Alesia Ramanava"],
        titles: &[
            "English Speaking Club (B1)",
            "German for Beginners",
            "IELTS Preparation Course",
            "Polish A1: First Steps",
            "Business English Workshop",
            "Conversation Club: Spanish",
            "French for Travellers",
            "Chinese Calligraphy and Language",
            "Grammar Clinic: English Tenses",
            "Kids' English Through Games",
        ],
        own: 22,
        hours: &[9, 17, 18, 19],
        prices: EN_PRICES,
        utc: false,
        fault: None,
    },
    Seed {
        id: "silver-years",
        name: "Центр для пожилых «Серебряные годы» (демо)",
        lang: "ru",
        format: Format::Rss,
        path: "/seniors/feed.xml",
        site: "https://silver-years.vitebsk.example",
        comment: &[
            "Demo city: a fictional seniors' centre's RSS 2.0 feed in Russian; one description carries",
            "a <script> and an onerror handler that must never reach a resident's browser.",
        ],
        default_venue: Some(("Центр «Серебряные годы»", "ул. Чкалова, 14")),
        html_style: HtmlStyle::Afisha,
        venues: &[("Центр «Серебряные годы»", "ул. Чкалова, 14"), ("Парк Победы, у главного входа", "пр-т Победы, 1")],
        teachers: &["Галина Петровна Шнип", "Владимир Савицкий", "Людмила Орлова"],
        titles: &[
            "Компьютерная грамотность для пенсионеров",
            "Скандинавская ходьба",
            "Хор «Серебряные голоса»",
            "Школа здоровья: давление и питание",
            "Смартфон без страха",
            "Клуб садоводов",
            "Вязание и рукоделие",
            "Танцы для старшего возраста",
            "Кружок английского языка 60+",
        ],
        own: 20,
        hours: &[10, 11, 14],
        prices: RU_PRICES,
        utc: false,
        fault: None,
    },
    Seed {
        id: "pixel-it-academy",
        name: "Pixel IT Academy (demo)",
        lang: "en",
        format: Format::JsonFeed,
        path: "/pixel/feed.json",
        site: "https://pixel-academy.vitebsk.example",
        comment: &[
            "Demo city: a fictional IT academy's JSON Feed 1.1 in English with an `_event` extension;",
            "one item's start date cannot be read.",
        ],
        default_venue: Some(("Pixel IT Academy", "Chkalova St 12")),
        html_style: HtmlStyle::Afisha,
        venues: &[("Pixel IT Academy, hall A", "Chkalova St 12"), ("Pixel IT Academy, lab 2", "Chkalova St 12")],
        teachers: &["Kiryl Marozau", "Anna Lis", "Dzmitry Bialou"],
        titles: &[
            "Frontend Bootcamp: HTML, CSS, JavaScript",
            "QA Automation with Playwright",
            "Data Analysis with Pandas",
            "Scratch Programming for Kids",
            "UX Research Basics",
            "DevOps Meetup",
            "Java Core Course",
            "Robotics with Arduino",
            "Intro to Machine Learning",
            "Git and GitHub Workshop",
        ],
        own: 22,
        hours: &[10, 18, 19],
        prices: EN_PRICES,
        utc: true,
        fault: None,
    },
    Seed {
        id: "dvina-tours",
        name: "Бюро экскурсий «Двина-Тур» (демо)",
        lang: "ru",
        format: Format::Ical,
        path: "/tours/calendar.ics",
        site: "https://dvina-tours.vitebsk.example",
        comment: &[
            "Demo city: a fictional city tours bureau's iCalendar feed in Russian: weekly tours (RRULE),",
            "one with an RRULE that cannot be read (its first tour is kept, with a warning).",
        ],
        default_venue: None,
        html_style: HtmlStyle::Afisha,
        venues: &[("Сбор у Ратуши", "ул. Ленина, 36"), ("Сбор у Летнего амфитеатра", "ул. Фрунзе, 13")],
        teachers: &["гид Алексей Дубовик", "гид Светлана Гурская"],
        titles: &[
            "Экскурсия «Старый Витебск»",
            "Вечерняя прогулка по набережной Двины",
            "Экскурсия «Витебские храмы»",
            "Велоэкскурсия «Зелёный Витебск»",
            "Экскурсия «Купеческий Витебск»",
            "Экскурсия для школьников «Тайны Ратуши»",
            "Квест-экскурсия «Легенды Замковой горы»",
        ],
        own: 18,
        hours: &[11, 12, 16],
        prices: RU_PRICES,
        utc: false,
        fault: None,
    },
    Seed {
        id: "orbita-youth-centre",
        name: "Маладзёжны цэнтр «Арбіта» (дэма)",
        lang: "be",
        format: Format::HtmlRules,
        path: "/youth/padzei.html",
        site: "https://orbita-youth.vitebsk.example",
        comment: &[
            "Demo city: a fictional youth centre's HTML page in Belarusian (\"12.03.2026 а 18:00\"), read by",
            "selector rules; one item has no date.",
        ],
        default_venue: Some(("Маладзёжны цэнтр «Арбіта»", "вул. Кастрычніцкая, 9")),
        html_style: HtmlStyle::Padzei,
        venues: &[
            ("Маладзёжны цэнтр «Арбіта»", "вул. Кастрычніцкая, 9"),
            ("Арбіта, медыя-студыя", "вул. Кастрычніцкая, 9"),
        ],
        teachers: &["Максім Латушка", "Дар'я Куляшова", "Сцяпан Рагачоў"],
        titles: &[
            "Клуб дэбатаў",
            "Студыя відэаблогінгу",
            "Майстар-клас па графіці",
            "Школа валанцёра",
            "Тэатральная студыя «Арбіта»",
            "Настольныя гульні: турнір",
            "Майстар-клас «Дыджэінг»",
            "Клуб падарожнікаў",
            "Трэнінг «Як знайсці першую працу»",
        ],
        own: 20,
        hours: &[15, 17, 18],
        prices: BE_PRICES,
        utc: false,
        fault: None,
    },
    Seed {
        id: "rook-chess-club",
        name: "Шахматный клуб «Ладья» (демо)",
        lang: "ru",
        format: Format::JsonFeed,
        path: "/chess/feed.json",
        site: "https://rook-chess.vitebsk.example",
        comment: &[
            "Demo city: a fictional chess club whose JSON Feed answers 503 Service Unavailable (a server",
            "fault the collector reports in provider health, then retries).",
        ],
        default_venue: Some(("Шахматный клуб «Ладья»", "ул. Толстого, 3")),
        html_style: HtmlStyle::Afisha,
        venues: &[("Шахматный клуб «Ладья»", "ул. Толстого, 3")],
        teachers: &["ФМ Олег Ярош"],
        titles: &["Турнир по быстрым шахматам", "Шахматы для детей", "Разбор партий с мастером"],
        own: 6,
        hours: &[17],
        prices: RU_PRICES,
        utc: false,
        fault: Some(503),
    },
];

/// How a co-announcing provider spells a shared offering's title.
#[derive(Clone, Copy)]
enum Variant {
    /// As the primary wrote it.
    Same,
    /// Re-typed in Latin letters.
    Latin,
    /// With a prefix ("Анонс: ").
    Prefix(&'static str),
    /// With a suffix (" (вход свободный)").
    Suffix(&'static str),
    /// One word replaced (`from`, `to`): "Віцебска" → "Витебска".
    Replace(&'static str, &'static str),
}

/// An offering announced by several providers: the primary, its title, day offset, local
/// time and venue index, then `(provider, spelling, minutes later, links to the primary's page)`.
type SharedRow = (usize, &'static str, i64, (u32, u32), usize, &'static [(usize, Variant, i64, bool)]);

use Variant::{Latin, Prefix, Replace, Same, Suffix};

const SHARED: &[SharedRow] = &[
    (UNIV, "Лекцыя «Шагал і Віцебск»", 3, (18, 0), 1, &[(LIBRARY, Same, 0, false), (MUSEUM, Same, 0, true)]),
    (UNIV, "Курс Python для пачаткоўцаў", 5, (18, 30), 0, &[(LIBRARY, Latin, 0, false)]),
    (
        UNIV,
        "Лекцыя «Гісторыя Віцебска ў ХХ стагоддзі»",
        8,
        (17, 0),
        1,
        &[(LIBRARY, Replace("Віцебска", "Витебска"), 5, false)],
    ),
    (
        UNIV,
        "Курс «Англійская мова для пачаткоўцаў»",
        12,
        (18, 0),
        0,
        &[(LIBRARY, Latin, 0, true), (YOUTH, Same, 0, false)],
    ),
    (UNIV, "Лекцыя «Колер у творах Малевіча»", 15, (17, 30), 2, &[(MUSEUM, Same, 5, false)]),
    (UNIV, "Семінар «Фінансавая граматнасць»", 19, (16, 0), 0, &[(YOUTH, Prefix("Анонс: "), 0, false)]),
    (UNIV, "Лекцыя «Скарына і першыя кнігі»", 23, (15, 0), 1, &[(LIBRARY, Same, 0, false), (MUSEUM, Latin, 0, false)]),
    (UNIV, "Курс «Вэб-дызайн з нуля»", 28, (18, 30), 0, &[(YOUTH, Same, 5, false), (PIXEL, Latin, 0, false)]),
    (UNIV, "Трэнінг «Крытычнае мысленне»", 34, (16, 30), 2, &[(YOUTH, Same, 0, true)]),
    (UNIV, "Лекцыя «Касмалогія для ўсіх»", 41, (18, 0), 2, &[(LIBRARY, Latin, 10, false)]),
    (UNIV, "Курс «Беларуская каліграфія»", 47, (17, 0), 1, &[(MUSEUM, Same, 0, false), (LIBRARY, Same, 0, false)]),
    (
        COLLEGE,
        "Мастер-класс по керамике и гончарному делу",
        4,
        (15, 0),
        0,
        &[(MUSEUM, Same, 0, false), (YOUTH, Latin, 0, false)],
    ),
    (
        COLLEGE,
        "Концерт-лекция «Джаз в Витебске»",
        9,
        (19, 0),
        1,
        &[(LIBRARY, Replace("Витебске", "Віцебску"), 0, false)],
    ),
    (COLLEGE, "Курс эстрадного вокала", 14, (17, 0), 0, &[(YOUTH, Latin, 0, true)]),
    (
        COLLEGE,
        "Мастер-класс по живописи маслом",
        21,
        (14, 0),
        0,
        &[(MUSEUM, Same, 5, false), (SENIORS, Same, 0, false)],
    ),
    (COLLEGE, "Курс актёрского мастерства", 30, (18, 0), 1, &[(YOUTH, Same, 0, false)]),
    (
        LIBRARY,
        "Литературный вечер «Поэты Витебска»",
        6,
        (18, 0),
        0,
        &[(MUSEUM, Latin, 0, false), (SENIORS, Same, 0, false)],
    ),
    (LIBRARY, "Лекция «Марк Шагал: годы в Витебске»", 11, (17, 30), 0, &[(TOURS, Same, 0, false)]),
    (LIBRARY, "Мастер-класс по каллиграфии", 17, (16, 0), 1, &[(COLLEGE, Same, 0, true)]),
    (
        LIBRARY,
        "Курс «Английский язык для начинающих»",
        25,
        (18, 0),
        0,
        &[(LINGVO, Latin, 0, false), (SENIORS, Same, 0, false)],
    ),
    (LIBRARY, "Встреча клуба «Витебск читает»", 38, (17, 0), 0, &[(YOUTH, Latin, 0, false)]),
    (
        MUSEUM,
        "Экскурсія «Віцебск Шагала»",
        2,
        (11, 0),
        0,
        &[(TOURS, Replace("Віцебск", "Витебск"), 0, false), (UNIV, Same, 0, false)],
    ),
    (MUSEUM, "Майстар-клас «Вітраж»", 10, (12, 0), 1, &[(YOUTH, Same, 0, false)]),
    (MUSEUM, "Лекцыя «УНОВІС і Казімір Малевіч»", 16, (18, 0), 0, &[(UNIV, Same, 0, true), (LIBRARY, Latin, 5, false)]),
    (MUSEUM, "Экскурсія «Віцебскі мадэрн»", 27, (12, 0), 0, &[(TOURS, Latin, 0, false)]),
    (NGO, "Курс жестового языка: продолжение", 7, (17, 0), 0, &[(LIBRARY, Same, 0, false)]),
    (NGO, "Тренинг «Инклюзия в школе»", 13, (15, 0), 1, &[(UNIV, Latin, 0, false)]),
    (
        NGO,
        "Компьютерная грамотность для незрячих",
        20,
        (12, 0),
        0,
        &[(SENIORS, Same, 0, true), (LIBRARY, Same, 5, false)],
    ),
    (NGO, "Мастер-класс «Доступный туризм»", 33, (15, 0), 0, &[(TOURS, Same, 0, false)]),
    (
        LINGVO,
        "English Speaking Club: Travel Stories",
        4,
        (18, 0),
        0,
        &[(LIBRARY, Same, 0, false), (YOUTH, Same, 0, false)],
    ),
    (LINGVO, "German Conversation Evening", 18, (19, 0), 1, &[(LIBRARY, Same, 0, true)]),
    (LINGVO, "Polish Film Club", 36, (18, 30), 1, &[(YOUTH, Same, 5, false)]),
    (
        SENIORS,
        "Лекция «Финансовая безопасность: как не стать жертвой мошенников»",
        9,
        (11, 0),
        0,
        &[(LIBRARY, Same, 0, false), (NGO, Same, 0, false)],
    ),
    (SENIORS, "Смартфон для бабушек и дедушек", 22, (10, 0), 0, &[(PIXEL, Latin, 0, false)]),
    (SENIORS, "Экскурсия «Витебск литературный»", 31, (11, 0), 1, &[(TOURS, Same, 0, false)]),
    (
        PIXEL,
        "Python Meetup Vitebsk",
        6,
        (19, 0),
        0,
        &[(LIBRARY, Same, 0, false), (YOUTH, Replace("Vitebsk", "Віцебск"), 0, false)],
    ),
    (PIXEL, "Scratch Workshop for Kids", 14, (11, 0), 1, &[(YOUTH, Same, 0, true)]),
    (PIXEL, "Cybersecurity for Everyone", 24, (18, 30), 0, &[(LIBRARY, Same, 0, false), (SENIORS, Same, 0, false)]),
    (PIXEL, "Game Development with Godot", 44, (18, 0), 1, &[(YOUTH, Suffix(" (16+)"), 0, false)]),
    (
        TOURS,
        "Экскурсия «Витебск Шагала и Малевича»",
        5,
        (12, 0),
        0,
        &[(MUSEUM, Replace("Витебск", "Віцебск"), 0, false)],
    ),
    (TOURS, "Вечерняя экскурсия «Огни Витебска»", 19, (20, 0), 1, &[(YOUTH, Same, 0, false)]),
    (YOUTH, "Майстар-клас «Фотаздымка на смартфон»", 8, (17, 0), 0, &[(COLLEGE, Latin, 0, false)]),
    (YOUTH, "Кінаклуб «Беларускае кіно»", 26, (18, 0), 0, &[(LIBRARY, Same, 0, false), (UNIV, Same, 0, false)]),
];

/// Items that look like a [`SHARED`] offering but are other offerings: `(shared row, provider,
/// title spelling, days later, city)`. Another day, another city, another kind.
const LOOK_ALIKES: &[(usize, usize, LookAlike)] = &[
    (1, LIBRARY, LookAlike::DaysLater(7)),
    (0, TOURS, LookAlike::DaysLater(1)),
    (4, MUSEUM, LookAlike::City("Магілёў")),
    (16, MUSEUM, LookAlike::City("Mogilev")),
    (29, PIXEL, LookAlike::DaysLater(14)),
    (35, LIBRARY, LookAlike::DaysLater(7)),
    (11, NGO, LookAlike::Kind("Мастер-класс", "Семинар")),
    (19, NGO, LookAlike::Kind("Курс", "Лекция")),
];

#[derive(Clone, Copy)]
enum LookAlike {
    /// The same title this many days later.
    DaysLater(i64),
    /// The same title and time in another city (JSON-LD only: it names its city).
    City(&'static str),
    /// The same time and place, but the title names another kind.
    Kind(&'static str, &'static str),
}

fn spell(title: &str, v: Variant) -> String {
    match v {
        Variant::Same => title.to_owned(),
        Variant::Latin => to_latin(title),
        Variant::Prefix(p) => format!("{p}{title}"),
        Variant::Suffix(s) => format!("{title}{s}"),
        Variant::Replace(from, to) => title.replacen(from, to, 1),
    }
}

fn description(lang: &str, title: &str, teacher: &str, extra: usize) -> String {
    let (lead, extras): (&str, &[&str]) = match lang {
        "be" => (
            "Вядзе",
            &[
                "Для дарослых, 16+.",
                "Колькасць месцаў абмежаваная, патрэбна рэгістрацыя.",
                "Падыходзіць для пачаткоўцаў.",
                "Матэрыялы даюцца.",
            ],
        ),
        "en" => (
            "Led by",
            &[
                "For adults, 16+.",
                "Places are limited; please register.",
                "No experience needed.",
                "Materials are provided.",
            ],
        ),
        _ => (
            "Ведёт",
            &[
                "Для взрослых, 16+.",
                "Количество мест ограничено, нужна регистрация.",
                "Подходит для начинающих.",
                "Материалы предоставляются.",
            ],
        ),
    };
    let title = title.replace('&', "&amp;").replace('<', "&lt;");
    format!("<p>{title}. {lead} {teacher}.</p><p>{}</p>", extras[extra % extras.len()])
}

/// Builds items for one provider, numbering them.
struct Builder<'a> {
    seed: &'a Seed,
    today: NaiveDate,
    next: u32,
    items: Vec<Item>,
}

impl Builder<'_> {
    fn id(&mut self) -> (String, String) {
        let n = self.next;
        self.next += 1;
        let s = self.seed;
        let id = match s.format {
            Format::Ical => format!("{n}@{}", s.site.trim_start_matches("https://")),
            Format::Atom => format!("tag:{},2024:event/{n}", s.site.trim_start_matches("https://")),
            Format::JsonLd => format!("{}/be/padzei/{n}", s.site),
            _ => format!("{}-{n}", s.id.split('-').next().unwrap_or(s.id)),
        };
        (id, format!("{}/events/{n}", s.site))
    }

    fn at(&self, day: i64, (h, m): (u32, u32)) -> NaiveDateTime {
        let time = NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        (self.today + Duration::days(day)).and_time(time)
    }

    fn push(&mut self, title: Option<String>, when: When, venue: usize, teacher: usize, url: Option<String>) -> String {
        let (id, own_url) = self.id();
        let s = self.seed;
        let (venue, address) = s.venues[venue % s.venues.len()];
        let teacher = s.teachers[teacher % s.teachers.len()];
        let n = self.next as usize;
        let desc = title.as_deref().map(|t| description(s.lang, t, teacher, n)).unwrap_or_default();
        self.items.push(Item {
            id: id.clone(),
            category: category(title.as_deref().unwrap_or("")).to_owned(),
            title,
            description: desc,
            when,
            utc: s.utc && n.is_multiple_of(2),
            venue: venue.to_owned(),
            address: address.to_owned(),
            city: (s.format == Format::JsonLd).then(|| "Віцебск".to_owned()),
            url: url.unwrap_or(own_url),
            price: Some(s.prices[n % s.prices.len()].to_owned()),
            teacher: Some(teacher.to_owned()),
            rrule: None,
            exdate: None,
            course: false,
        });
        id
    }
}

/// A provider term for a title.
fn category(title: &str) -> &'static str {
    let t = title.to_lowercase();
    if t.contains("экскурс") || t.contains("tour") || t.contains("прогулка") {
        "Экскурсии"
    } else if t.contains("лекц") {
        "Лекции"
    } else if t.contains("мастер") || t.contains("майстар") || t.contains("workshop") {
        "Мастер-классы"
    } else if t.contains("курс") || t.contains("course") || t.contains("kurs") {
        "Курсы"
    } else {
        "События"
    }
}

fn when(start: NaiveDateTime, minutes: i64) -> When {
    When::At { start, end: Some(start + Duration::minutes(minutes)) }
}

/// The demo city, dated relative to `today`, served from [`DEMO_BASE_URL`].
pub fn demo(today: NaiveDate) -> City {
    let generated_at = Utc.from_utc_datetime(&today.and_time(NaiveTime::MIN));
    let mut builders: Vec<Builder<'_>> =
        SEEDS.iter().map(|seed| Builder { seed, today, next: 100, items: Vec::new() }).collect();
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut broken: Vec<Broken> = Vec::new();

    // Offerings announced by several providers.
    for &(primary, title, day, time, venue, others) in SHARED {
        let b = &mut builders[primary];
        let start = b.at(day, time);
        // The primary's page: the next id `push` hands out.
        let primary_url = format!("{}/events/{}", b.seed.site, b.next);
        let id = b.push(Some(title.to_owned()), when(start, 90), venue, day as usize, None);
        let (p_venue, p_address) = SEEDS[primary].venues[venue % SEEDS[primary].venues.len()];
        let mut group = vec![key(SEEDS[primary].id, &id)];
        for &(other, variant, later, linked) in others {
            let b = &mut builders[other];
            let start = start + Duration::minutes(later);
            let url = linked.then(|| primary_url.clone());
            let id = b.push(Some(spell(title, variant)), when(start, 90), 0, day as usize, url);
            // The same real venue, as the primary names it.
            if let Some(item) = b.items.last_mut() {
                item.venue = p_venue.to_owned();
                item.address = p_address.to_owned();
            }
            group.push(key(SEEDS[other].id, &id));
        }
        groups.push(group);
    }

    // Look-alikes: each its own offering.
    for &(row, provider, look) in LOOK_ALIKES {
        let (primary, title, day, time, venue, _) = SHARED[row];
        let b = &mut builders[provider];
        let base = b.at(day, time);
        let (p_venue, p_address) = SEEDS[primary].venues[venue % SEEDS[primary].venues.len()];
        let (title, start, city) = match look {
            LookAlike::DaysLater(d) => (title.to_owned(), base + Duration::days(d), None),
            LookAlike::City(city) => (title.to_owned(), base, Some(city)),
            LookAlike::Kind(from, to) => (title.replacen(from, to, 1), base, None),
        };
        let id = b.push(Some(title), when(start, 90), 0, row, None);
        if let Some(item) = b.items.last_mut() {
            item.venue = p_venue.to_owned();
            item.address = p_address.to_owned();
            if let Some(city) = city {
                item.venue = "Філіял у Магілёве".to_owned();
                item.address = "вул. Першамайская, 14".to_owned();
                item.city = Some(city.to_owned());
            }
        }
        groups.push(vec![key(SEEDS[provider].id, &id)]);
    }

    // Every provider's own offerings.
    let mut rng = SplitMix64::new(20_260_301);
    for (p, b) in builders.iter_mut().enumerate() {
        let seed = b.seed;
        for k in 0..seed.own {
            let title = seed.titles[k % seed.titles.len()];
            // Mostly in the next two months; every ninth already over (shows expiry).
            let day = if k % 9 == 4 { rng.range(-20, -1) } else { rng.range(1, 60) };
            let hour = *rng.pick(seed.hours);
            let minute = if rng.below(3) == 0 { 30 } else { 0 };
            let start = b.at(day, (hour, minute));
            let id = b.push(Some(title.to_owned()), when(start, 60 + 30 * rng.below(3) as i64), k, k, None);
            let format = seed.format;
            if let Some(item) = b.items.last_mut() {
                // Courses recur weekly in calendars; the third session of some is cancelled.
                if format == Format::Ical && (title.contains("Курс") || p == TOURS) && k.is_multiple_of(2) {
                    item.rrule = Some(format!("FREQ=WEEKLY;COUNT={}", 4 + k % 5));
                    if k.is_multiple_of(4) {
                        item.exdate = Some(start + Duration::days(14));
                    }
                }
                if format == Format::JsonLd && title.contains("Курс") {
                    item.course = true;
                }
            }
            if seed.fault.is_none() {
                groups.push(vec![key(seed.id, &id)]);
            }
        }
    }

    // Deliberately broken input.
    {
        let b = &mut builders[COLLEGE];
        let start = b.at(12, (15, 0));
        let _ = b.push(None, when(start, 60), 0, 0, None);
        broken.push(Broken { provider: SEEDS[COLLEGE].id.into(), key: None, problem: BrokenKind::NoTitle });
    }
    for (p, raw, title) in [
        (PIXEL, "sometime next Thursday-ish", "Hackathon: Smart City Vitebsk"),
        (LINGVO, "2026-13-45T25:61", "Summer Intensive: English B2"),
    ] {
        let b = &mut builders[p];
        let id = b.push(Some(title.to_owned()), When::Unreadable(raw.to_owned()), 0, 0, None);
        let k = key(SEEDS[p].id, &id);
        broken.push(Broken { provider: SEEDS[p].id.into(), key: Some(k.clone()), problem: BrokenKind::BadDate });
        groups.push(vec![k]);
    }
    {
        let b = &mut builders[TOURS];
        let start = b.at(9, (10, 0));
        let id = b.push(Some("Экскурсия «Витебск за один день»".to_owned()), when(start, 240), 1, 0, None);
        if let Some(item) = b.items.last_mut() {
            item.rrule = Some("FREQ=FORTNIGHTLY;COUNT=x;BYDAY=XX".to_owned());
        }
        let k = key(SEEDS[TOURS].id, &id);
        broken.push(Broken { provider: SEEDS[TOURS].id.into(), key: Some(k.clone()), problem: BrokenKind::BadRrule });
        groups.push(vec![k]);
    }
    {
        let b = &mut builders[YOUTH];
        let id = b.push(Some("Квіз «Што? Дзе? Калі?»".to_owned()), When::Missing, 0, 0, None);
        let k = key(SEEDS[YOUTH].id, &id);
        broken.push(Broken {
            provider: SEEDS[YOUTH].id.into(),
            key: Some(k.clone()),
            problem: BrokenKind::MissingDate,
        });
        groups.push(vec![k]);
    }
    {
        let b = &mut builders[SENIORS];
        let start = b.at(16, (11, 0));
        let id = b.push(Some("Лекция «Как распознать фишинговое письмо»".to_owned()), when(start, 60), 0, 1, None);
        if let Some(item) = b.items.last_mut() {
            item.description = "<p>Ведёт Владимир Савицкий.<script>alert('xss')</script></p>\
                <img src=\"x\" onerror=\"alert(document.cookie)\"><p onclick=\"steal()\">Вход свободный. \
                <a href=\"javascript:alert(1)\">Записаться</a></p>"
                .to_owned();
        }
        let k = key(SEEDS[SENIORS].id, &id);
        broken.push(Broken {
            provider: SEEDS[SENIORS].id.into(),
            key: Some(k.clone()),
            problem: BrokenKind::UnsafeDescription,
        });
        groups.push(vec![k]);
    }
    broken.push(Broken { provider: SEEDS[CHESS].id.into(), key: None, problem: BrokenKind::ServerFault(503) });

    // Documents, provider files and truth.
    let mut documents = Vec::new();
    let mut provider_files = Vec::new();
    let mut items_by_provider: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for b in &mut builders {
        let seed = b.seed;
        // Chronological, as a provider's page lists them (undated items last).
        b.items.sort_by_key(|i| match &i.when {
            When::At { start, .. } => (0, Some(*start), i.id.clone()),
            _ => (1, None, i.id.clone()),
        });
        let spec = spec_of(seed);
        documents.push(Document {
            path: seed.path.to_owned(),
            provider: seed.id.to_owned(),
            format: seed.format,
            content_type: seed.format.content_type().to_owned(),
            body: render::document(&spec, &b.items, generated_at),
            fault: seed.fault,
        });
        provider_files.push(ProviderFile {
            id: seed.id.to_owned(),
            file_name: format!("{}.toml", seed.id),
            toml: render::provider_toml(&spec, DEMO_CITY, DEMO_BASE_URL),
        });
        let mut keys: Vec<String> = if seed.fault.is_some() {
            Vec::new()
        } else {
            b.items.iter().filter(|i| i.title.is_some()).map(|i| key(seed.id, &i.id)).collect()
        };
        keys.sort();
        items_by_provider.insert(seed.id.to_owned(), keys);
    }
    for g in &mut groups {
        g.sort();
    }
    groups.sort();
    City { today, generated_at, documents, provider_files, truth: Truth { groups, items: items_by_provider, broken } }
}

fn spec_of(seed: &Seed) -> Spec {
    Spec {
        id: seed.id.to_owned(),
        name: seed.name.to_owned(),
        lang: seed.lang,
        format: seed.format,
        path: seed.path.to_owned(),
        comment: seed.comment.iter().map(|s| (*s).to_owned()).collect(),
        default_venue: seed.default_venue.map(|(v, a)| (v.to_owned(), a.to_owned())),
        site: seed.site.to_owned(),
        html_style: seed.html_style,
    }
}
