use super::*;

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn f(provider: &str, title: &str, city: &str, start: Option<&str>, venue: &str) -> Features {
    Features::from_parts(provider, title, Some(city), start.map(at), venue, &[])
}

fn with_urls(mut x: Features, urls: &[&str], links: &[&str]) -> Features {
    x.urls = urls.iter().map(|u| url_key(u)).collect();
    x.links = links.iter().map(|u| url_key(u)).collect();
    x
}

fn date_only(mut x: Features) -> Features {
    x.timed = false;
    x
}

#[test]
fn titles_naming_different_kinds_count_against_a_match() {
    let at = Some("2026-05-01T11:00:00+03:00");
    let a = f("a", "Курс 3D-моделирования", "Minsk", at, "Дом культуры");
    let b = f("b", "Семинар 3D-моделирования", "Minsk", at, "Дом культуры");
    let c = f("b", "Kurs 3D-modelirovaniya", "Minsk", at, "Дом культуры");
    assert_eq!((a.kind, b.kind), (Some("course"), Some("seminar")));
    let t = Thresholds::default();
    assert!(score(&a, &b, &t).unwrap() < t.match_score);
    assert!(score(&a, &c, &t).unwrap() >= t.match_score);
}

#[test]
fn one_course_announced_in_two_scripts_is_one_cluster() {
    let items = vec![
        f(
            "vsu",
            "Курсы английского языка для начинающих",
            "Витебск",
            Some("2026-03-12T18:00:00+03:00"),
            "ул. Московская 33",
        ),
        f("library", "Kursy angliyskogo yazyka dlya nachinayushchikh", "Віцебск", Some("2026-03-12T15:00:00Z"), ""),
        f("library", "Курсы английского языка для начинающих", "Vitebsk", Some("2026-04-12T18:00:00+03:00"), ""),
        f("museum", "Курсы английского языка для начинающих", "Mogilev", Some("2026-03-12T18:00:00+03:00"), ""),
    ];
    let groups = clusters(&items, &Thresholds::default());
    assert_eq!(
        groups,
        vec![vec![0, 1], vec![2], vec![3]],
        "same time in two zones merges; another date or city does not"
    );
}

#[test]
fn typos_and_official_place_names_still_match() {
    let a = f("a", "Мастер-класс по керамике", "Магілёў", Some("2026-05-01T11:00:00+03:00"), "");
    let b = f("b", "Мастер класс по керамикке", "Mogilev", Some("2026-05-01T11:15:00+03:00"), "");
    let s = score(&a, &b, &Thresholds::default()).unwrap();
    assert!(s >= Thresholds::default().match_score, "{s}");
    let far = f("b", "Мастер класс по керамике", "Mogilev", Some("2026-05-01T13:00:00+03:00"), "");
    assert_eq!(score(&a, &far, &Thresholds::default()), None, "two hours apart");
    let other = f("b", "Лекция о Шагале", "Mogilev", Some("2026-05-01T11:00:00+03:00"), "");
    assert!(score(&a, &other, &Thresholds::default()).unwrap() < Thresholds::default().match_score);
}

#[test]
fn a_date_without_a_time_matches_any_time_of_that_local_date_with_a_close_title() {
    let t = Thresholds::default();
    let organiser = f("museum", "Мастер-класс по гончарному делу", "Витебск", Some("2026-05-01T18:30:00+03:00"), "");
    let portal =
        date_only(f("portal", "Мастер-класс по гончарному делу", "Vitebsk", Some("2026-05-01T00:00:00+03:00"), ""));
    let s = score(&organiser, &portal, &t).unwrap();
    assert!(s >= t.match_score, "{s}");
    assert_eq!(clusters(&[organiser.clone(), portal.clone()], &t), vec![vec![0, 1]]);
    // The next day is another date.
    let next =
        date_only(f("portal", "Мастер-класс по гончарному делу", "Vitebsk", Some("2026-05-02T00:00:00+03:00"), ""));
    assert_eq!(conflict(&organiser, &next, &t), Some(Conflict::Time));
    // A date alone needs a closer title than a time does.
    let loose = date_only(f("portal", "Гончарное дело", "Vitebsk", Some("2026-05-01T00:00:00+03:00"), ""));
    assert!(score(&organiser, &loose, &t).unwrap() < t.match_score);
    // Local midnight is how a date is published without a time.
    assert!(!f("p", "x", "Minsk", Some("2026-05-01T00:00:00+03:00"), "").timed);
}

#[test]
fn a_link_to_the_organisers_page_is_identity_evidence_within_the_gates() {
    let t = Thresholds::default();
    let organiser = with_urls(
        f("museum", "Керамика: секреты гончарного круга", "Витебск", Some("2026-05-01T18:30:00+03:00"), ""),
        &["https://museum.example/events/41"],
        &[],
    );
    let portal = with_urls(
        date_only(f(
            "portal",
            "Гончарный круг: вечер керамики в музее",
            "Vitebsk",
            Some("2026-05-01T00:00:00+03:00"),
            "",
        )),
        &["https://portal.example/a/9"],
        &["https://www.museum.example/events/41/"],
    );
    let x = assess(&organiser, &portal, &t);
    assert!(x.link.is_some() && x.score >= t.candidate_score, "{x:?}");
    assert_eq!(clusters(&[organiser.clone(), portal.clone()], &t), vec![vec![0, 1]]);
    let mut unlinked = portal.clone();
    unlinked.links.clear();
    assert!(score(&organiser, &unlinked, &t).unwrap() + LINK_BONUS <= x.score + 1e-9, "the link adds to the score");
    // The same link from another city, or a year later, changes nothing.
    let elsewhere = with_urls(
        f("intruder", "Керамика: секреты гончарного круга", "Minsk", Some("2026-05-01T18:30:00+03:00"), ""),
        &["https://museum.example/events/41"],
        &[],
    );
    assert_eq!(conflict(&organiser, &elsewhere, &t), Some(Conflict::Place));
    let later = with_urls(
        f("intruder", "Керамика: секреты гончарного круга", "Витебск", Some("2027-05-01T18:30:00+03:00"), ""),
        &["https://museum.example/events/41"],
        &[],
    );
    assert_eq!(score(&organiser, &later, &t), None);
    assert_eq!(clusters(&[organiser, elsewhere, later], &t), vec![vec![0], vec![1], vec![2]]);
}

#[test]
fn a_translation_at_the_same_minute_and_place_matches_through_the_glossary() {
    if crate::glossary::len() < 100 {
        panic!("the glossary is missing: crates/learncity-catalog/src/glossary.tsv");
    }
    let t = Thresholds::default();
    let when = Some("2026-03-12T18:00:00+03:00");
    let ru = f("school", "Курс английского языка для начинающих", "Витебск", when, "Центральная библиотека");
    let en = f("lingvo", "English course for beginners", "Vitebsk", when, "Central Library");
    let s = score(&ru, &en, &t).unwrap();
    assert!(s >= t.match_score, "{s}");
}

#[test]
fn look_alikes_never_share_an_entry_even_through_a_third_source() {
    let t = Thresholds::default();
    let when = Some("2026-05-01T11:00:00+03:00");
    let kids = f("museum", "Мастер-класс по керамике для детей", "Минск", when, "Музей");
    let adults = f("museum2", "Мастер-класс по керамике для взрослых", "Минск", when, "Музей");
    assert_eq!(conflict(&kids, &adults, &t), Some(Conflict::Mark(MarkConflict::Audience)));
    // A vague portal item fits both alike: it joins neither.
    let vague = f("portal", "Мастер-класс по керамике", "Минск", when, "Музей");
    let groups = clusters(&[kids.clone(), adults.clone(), vague.clone()], &t);
    assert_eq!(groups, vec![vec![0], vec![1], vec![2]]);
    // A portal item that says which one joins it.
    let clear = f("portal", "Керамика для детей: мастер-класс", "Минск", when, "Музей");
    let groups = clusters(&[kids, adults, clear], &t);
    assert_eq!(groups, vec![vec![0, 2], vec![1]]);
}

#[test]
fn one_providers_items_never_share_an_entry_whatever_links_them() {
    let t = Thresholds::default();
    let when = Some("2026-05-01T11:00:00+03:00");
    let url = "https://it.example/course/7/";
    let a = with_urls(f("a", "Python", "Minsk", when, ""), &[url], &[]);
    let a2 = with_urls(f("a", "Python для школьников", "Minsk", when, ""), &[url], &[]);
    let b = with_urls(f("b", "Python", "Minsk", when, ""), &[url], &[]);
    assert_eq!(conflict(&a, &a2, &t), Some(Conflict::SameProvider));
    let groups = clusters(&[a, a2, b], &t);
    assert!(groups.iter().all(|g| !(g.contains(&0) && g.contains(&1))), "{groups:?}");
    // b scores 1.0 with a and 0.95 with a2 (within AMBIGUITY_MARGIN): too close to tell which
    // of the provider's two items it is, so it joins neither.
    assert_eq!(groups, vec![vec![0], vec![1], vec![2]]);
}

#[test]
fn identical_urls_add_to_the_evidence_but_decide_nothing_alone() {
    let t = Thresholds::default();
    let url = ["https://www.it.example/course/7/"];
    let a = Features::from_parts("a", "Python для начинающих", Some("Minsk"), None, "", &url);
    let b = Features::from_parts(
        "b",
        "Python: курс для начинающих",
        Some("Minsk"),
        None,
        "",
        &["http://it.example/course/7"],
    );
    let c = Features::from_parts("c", "Robotics club", Some("Minsk"), None, "", &url);
    assert!(assess(&a, &b, &t).link.is_some());
    assert!(score(&a, &b, &t).unwrap() >= t.match_score);
    assert!(score(&a, &c, &t).unwrap() < t.candidate_score, "another title on the same URL");
    assert_eq!(clusters(&[a, b, c], &t), vec![vec![0, 1], vec![2]]);
}

#[test]
fn scores_do_not_depend_on_the_order_of_the_pair() {
    let t = Thresholds::default();
    let at = Some("2026-05-01T11:00:00+03:00");
    // Of equal length: "kursa" is like both "kursi" and "kursu", "kursi" only like "kursa".
    let a = f("a", "kursa kursi", "Minsk", at, "kursa kursi");
    let b = f("b", "kursu zzzzz", "Minsk", at, "kursu zzzzz");
    assert_eq!(score(&a, &b, &t), score(&b, &a, &t));
    let c = f("c", "Мастер-класс по керамике", "Minsk", at, "");
    let d = f("d", "Мастер класс керамикке", "Minsk", at, "Дом");
    assert_eq!(score(&c, &d, &t), score(&d, &c, &t));
}

#[test]
fn groups_do_not_depend_on_the_order_of_the_items() {
    let t = Thresholds::default();
    let when = Some("2026-05-01T11:00:00+03:00");
    let items = vec![
        f("museum", "Керамика для детей 5–7 лет", "Минск", when, "Музей"),
        f("museum", "Керамика для детей 8–10 лет", "Минск", when, "Музей"),
        f("portal", "Керамика для детей (5-7 лет)", "Минск", when, "Музей"),
        f("library", "Керамика для детей", "Минск", when, ""),
        f("city", "Ceramics for kids, ages 8–10", "Minsk", when, ""),
    ];
    let canonical = |items: &[Features]| {
        let mut groups: Vec<Vec<String>> = clusters(items, &t)
            .into_iter()
            .map(|g| {
                let mut keys: Vec<String> = g.into_iter().map(|i| items[i].key.clone()).collect();
                keys.sort();
                keys
            })
            .collect();
        groups.sort();
        groups
    };
    let first = canonical(&items);
    let mut reversed = items.clone();
    reversed.reverse();
    assert_eq!(canonical(&reversed), first);
    let mut rotated = items.clone();
    rotated.rotate_left(2);
    assert_eq!(canonical(&rotated), first);
    assert!(first.iter().all(|g| !(g.contains(&items[0].key) && g.contains(&items[1].key))), "{first:?}");
}

#[test]
fn blocking_keys_carry_place_time_and_title_units() {
    let t = Thresholds::default();
    let x = f("a", "Английский язык", "Віцебск", Some("2026-03-12T18:00:00+03:00"), "");
    let keys = blocking_keys(&x, &t);
    assert!(keys.iter().all(|k| k.starts_with("vitebsk|") || k.starts_with("*|d2026-03-12|")), "{keys:?}");
    // Two units and their pair, in two buckets and on the date, and on the date in any place.
    assert_eq!(keys.len(), 4 * (x.title.len() + 1), "{keys:?}");
    let undated = f("a", "Английский язык", "Віцебск", None, "");
    assert_eq!(blocking_keys(&undated, &t).len(), 1);
}

#[test]
fn starts_within_the_tolerance_share_a_key_across_midnight() {
    let t = Thresholds::default();
    let late = f("a", "Ночная экскурсия", "Minsk", Some("2026-03-12T23:50:00+03:00"), "");
    let early = f("b", "Ночная экскурсия", "Minsk", Some("2026-03-13T00:10:00+03:00"), "");
    let (a, b) = (blocking_keys(&late, &t), blocking_keys(&early, &t));
    assert!(a.iter().any(|k| b.contains(k)), "{a:?} / {b:?}");
    assert_eq!(clusters(&[late, early], &t), vec![vec![0, 1]]);
}

#[test]
fn a_key_shared_by_too_many_offerings_joins_none_but_rarer_keys_still_do() {
    let t = Thresholds::default();
    let at = Some("2026-05-01T11:00:00+03:00");
    // MAX_BLOCK + 1 providers announce "Лекция" with a made-up name each; two of them
    // announce the same lecture.
    let mut items: Vec<Features> = (0..=MAX_BLOCK)
        .map(|i| f(&format!("p{i}"), &format!("Лекция {}", fold_free_name(i)), "Minsk", at, ""))
        .collect();
    items.push(f("extra", "Лекция Шагал", "Minsk", at, ""));
    items.push(f("other", "Лекция", "Minsk", at, ""));
    let groups = clusters(&items, &t);
    let of = |i: usize| groups.iter().position(|g| g.contains(&i)).unwrap();
    assert_eq!(of(MAX_BLOCK + 1), of(7), "the same lecture, through its rarer words");
    // "Лекция" alone shares only the oversized block: it joins nobody.
    assert_eq!(groups[of(MAX_BLOCK + 2)], vec![MAX_BLOCK + 2]);
}

/// A made-up word per number, distinct in its first five letters (what a token keeps).
fn fold_free_name(i: usize) -> String {
    if i == 7 {
        return "Шагал".to_owned();
    }
    let letters = ["б", "д", "к", "м", "п", "т"];
    let mut n = i;
    let mut s = String::new();
    for _ in 0..3 {
        s.push_str(letters[n % letters.len()]);
        s.push('а');
        n /= letters.len();
    }
    s
}

#[test]
fn a_vague_re_announcement_joins_the_one_offering_of_its_day_it_fits() {
    let t = Thresholds::default();
    let day = Some("2027-02-09T00:00:00+03:00");
    // A portal's date-only, topic-only item: weak evidence alone, but the only fit that day.
    let organiser = f(
        "univ",
        "Праграмаванне на Python: базавы курс",
        "Брэст",
        Some("2027-02-09T18:30:00+03:00"),
        "Корпус 1, аўд. 305",
    );
    let portal = date_only(f("portal", "Курс Python для начинающих", "г. Брест", day, "БрГУ"));
    let other = f("library", "Вечер поэзии", "Брест", Some("2027-02-09T18:00:00+03:00"), "Библиотека");
    let s = score(&organiser, &portal, &t).unwrap();
    assert!(s >= t.candidate_score && s < t.match_score, "a candidate, not a match: {s}");
    assert_eq!(clusters(&[organiser.clone(), portal.clone(), other.clone()], &t), vec![vec![0, 1], vec![2]]);

    // The same portal item on a day with two Python courses that cannot be one (11:00 and
    // 18:30): it fits both alike and joins neither.
    let morning =
        f("academy", "Python для финансистов и бухгалтеров", "Брест", Some("2027-02-09T11:00:00+03:00"), "IT-академия");
    // (The organiser's "базавы" agrees with "для начинающих": a little closer, not clearly.)
    let (m, o) = (score(&portal, &morning, &t).unwrap(), score(&portal, &organiser, &t).unwrap());
    assert!(o >= m && o - m < AMBIGUITY_MARGIN, "{o} / {m}");
    assert_eq!(clusters(&[organiser, portal, morning], &t), vec![vec![0], vec![1], vec![2]]);
}

#[test]
fn a_title_of_only_a_kind_word_joins_no_crowd_of_its_hour() {
    let t = Thresholds::default();
    let at = Some("2026-03-12T18:00:00+03:00");
    let mut items = vec![f("p0", "Лекция", "Витебск", at, "")];
    for (i, topic) in ["о Шагале", "по астрономии", "об экономике", "о здоровом сне"].iter().enumerate()
    {
        items.push(f(&format!("c{i}"), &format!("Лекция {topic}"), "Витебск", at, ""));
    }
    let groups = clusters(&items, &t);
    assert!(groups.iter().all(|g| g.len() == 1), "{groups:?}");
}

#[test]
fn timed_items_apart_by_a_quarter_hour_need_more_than_one_shared_word() {
    let t = Thresholds::default();
    let room = "Lingvo Plus school, room 3";
    let workshop = f("lingvo", "Business English Workshop", "Vitebsk", Some("2026-03-20T17:30:00+03:00"), room);
    let club = f("pixel", "English Speaking Club: Travel Stories", "Vitebsk", Some("2026-03-20T18:00:00+03:00"), room);
    let x = assess(&workshop, &club, &t);
    assert_eq!(x.gate, Some(Gate::StartsApart), "{x:?}");
    assert!(x.score < t.candidate_score);
    // Two rooms of one library at one hour, titles sharing a word: two offerings.
    let lib = "Центральная городская библиотека им. А. И. Герцена";
    let quest = f(
        "academy",
        "Кибер-квест «Библиотека будущего»",
        "Гомель",
        Some("2027-04-24T19:00:00+03:00"),
        &format!("{lib}, зал 204"),
    );
    let night = f(
        "library",
        "Библионочь: детективная игра",
        "Гомель",
        Some("2027-04-24T19:00:00+03:00"),
        &format!("{lib}, зал 102"),
    );
    let x = assess(&quest, &night, &t);
    assert_eq!((x.gate, x.venue), (Some(Gate::OtherRooms), Some(0.0)), "{x:?}");
    // The same club re-announced ten minutes off with its title: one offering.
    let again =
        f("digest", "English Speaking Club — Travel Stories", "Vitebsk", Some("2026-03-20T18:10:00+03:00"), room);
    assert!(score(&club, &again, &t).unwrap() >= t.match_score);
}

#[test]
fn audience_and_level_words_are_no_title_evidence() {
    let t = Thresholds::default();
    let at = Some("2026-03-20T11:00:00+03:00");
    let english = f("a", "Английский язык для детей (A1)", "Minsk", at, "");
    let chess = f("b", "Шахматы для детей (A1)", "Minsk", at, "");
    assert_eq!(score(&english, &chess, &t), Some(0.25), "nothing but the same minute");
    let polish = f("c", "Польская мова для дзяцей (A1)", "Minsk", at, "");
    assert_eq!(conflict(&english, &polish, &t), Some(Conflict::Mark(MarkConflict::Language)));
}

#[test]
fn a_vague_item_does_not_reach_one_look_alike_through_its_re_announcement() {
    let t = Thresholds::default();
    let venue = "Молодёжный центр «Юность», гончарная мастерская, ул. Советская, 21";
    let kids =
        f("youth", "Мастер-класс по керамике для детей 6–9 лет", "Гомель", Some("2027-04-10T11:00:00+03:00"), venue);
    let adults =
        f("youth", "Мастер-класс по керамике для взрослых", "Гомель", Some("2027-04-10T13:00:00+03:00"), venue);
    let portal =
        date_only(f("portal", "Мастер-класс по керамике", "Гомель", Some("2027-04-10T00:00:00+03:00"), "МЦ «Юность»"));
    let whatson = f(
        "whatson",
        "Ceramics workshop for kids aged 6–9",
        "Gomel",
        Some("2027-04-10T11:00:00+03:00"),
        "Yunost Youth Centre, pottery studio",
    );
    let groups = clusters(&[kids, adults, portal, whatson], &t);
    assert_eq!(groups, vec![vec![0, 3], vec![1], vec![2]], "the portal item fits both classes: it joins neither");
}

#[test]
fn a_discriminator_named_alike_tells_which_look_alike_a_re_announcement_names() {
    let t = Thresholds::default();
    let day = Some("2027-02-01T00:00:00+03:00");
    let venue = "Lingua Point, room 3";
    let a1 = f("lingua", "General English A1 (evening group)", "Hrodna", Some("2027-02-01T18:30:00+03:00"), venue);
    let portal = date_only(f("portal", "Английский язык A1 — вечерняя группа", "Гродно", day, venue));
    let plain = date_only(f("portal2", "Английский язык — вечерняя группа", "Гродно", day, venue));
    let (with_level, without) = (score(&a1, &portal, &t).unwrap(), score(&a1, &plain, &t).unwrap());
    assert!((with_level - without - AGREEMENT_BONUS).abs() < 1e-9, "{with_level} / {without}");
    // No title in common: agreeing on "для детей" and "A1" is no evidence of one offering.
    let at = Some("2026-03-20T11:00:00+03:00");
    let english = f("a", "Английский язык для детей (A1)", "Minsk", at, "");
    let chess = f("b", "Шахматы для детей (A1)", "Minsk", at, "");
    assert_eq!(score(&english, &chess, &t), Some(0.25));
}

#[test]
fn a_re_announcement_joins_an_offering_whatever_its_other_re_announcements_are_called() {
    let t = Thresholds::default();
    let at = Some("2027-02-24T11:00:00+03:00");
    let venue = "ТЦСОН Октябрьского района";
    // The organiser's item and a library's reworded copy are one offering (a match); the
    // portal's date-only copy shares words with the organiser's title only. The library's copy
    // is no rival to it: nothing keeps the three apart.
    let organiser = f("seniors", "Финансовая грамотность: как не попасться мошенникам", "Гродно", at, venue);
    let library = f("library", "Как не попасться мошенникам: занятие для пожилых", "Гродно", at, venue);
    let portal = date_only(f(
        "portal",
        "Финансовая грамотность для пенсионеров",
        "Гродно",
        Some("2027-02-24T00:00:00+03:00"),
        venue,
    ));
    assert!(score(&organiser, &library, &t).unwrap() >= t.match_score);
    assert_eq!(title_similarity(&portal, &library, t.token_similarity), 0.0);
    assert_eq!(clusters(&[organiser, library, portal], &t), vec![vec![0, 1, 2]]);
}

#[test]
fn a_weak_match_does_not_chain_two_rooms_into_one_entry() {
    let t = Thresholds::default();
    let at = Some("2027-04-24T19:00:00+03:00");
    let library = "Центральная городская библиотека им. А. И. Герцена";
    let teens = f(
        "library",
        "Библионочь для подростков 12–15 лет: детективная игра",
        "Гомель",
        at,
        &format!("{library}, зал 101"),
    );
    let quest = f("itacademy", "Кибер-квест «Библиотека будущего»", "Гомель", at, &format!("{library}, зал 204"));
    let quest_be = f(
        "regionlib",
        "Кібер-квэст «Бібліятэка будучыні»",
        "Гомель",
        at,
        "Цэнтральная гарадская бібліятэка імя А. І. Герцэна",
    );
    let digest = f("digest", "🕵️ БИБЛИОНОЧЬ: детективная игра для подростков", "Гомель", at, "Библиотека Герцена");
    assert_eq!(assess(&teens, &quest, &t).gate, Some(Gate::OtherRooms));
    let groups = clusters(&[teens, quest, quest_be, digest], &t);
    assert!(
        !groups.iter().any(|g| g.contains(&0) && g.contains(&1)),
        "the teen quest of room 101 and the cyber quest of room 204 stay apart: {groups:?}"
    );
    assert!(groups.iter().any(|g| g.contains(&1) && g.contains(&2)), "the quest and its translation: {groups:?}");
}

#[test]
fn a_title_of_only_a_kind_word_is_read_through_its_summary() {
    let t = Thresholds::default();
    let at = Some("2027-03-12T18:00:00+03:00");
    let described = |summary: &str| {
        let mut x = f("digest", "Лекция", "Витебск", at, "ЦГБ");
        x.described = units(summary).into_iter().filter(|u| !generic(u)).collect();
        x
    };
    let mut items = vec![described("Астроном Иван Петров — о том, как искать планеты у других звёзд. Вход свободный.")];
    for (i, topic) in ["о Шагале", "по астрономии: планеты у других звёзд", "об экономике"].iter().enumerate()
    {
        items.push(f(&format!("c{i}"), &format!("Лекция {topic}"), "Витебск", at, "ЦГБ"));
    }
    let groups = clusters(&items, &t);
    assert!(groups.contains(&vec![0, 2]), "the summary names the astronomy lecture: {groups:?}");
    assert_eq!(groups.len(), 3, "{groups:?}");
    // A summary that names none of them leaves the item alone, as a bare "Лекция" is.
    items[0] = described("Приходите всей семьёй, будет интересно!");
    assert!(clusters(&items, &t).iter().all(|g| g.len() == 1));
}

#[test]
fn a_link_tells_which_of_two_look_alikes_a_vague_re_announcement_is() {
    let t = Thresholds::default();
    let at = Some("2027-02-02T18:30:00+03:00");
    let mut course =
        with_urls(f("lingua", "Польский язык с нуля", "Витебск", at, "Лингва"), &["https://lingva.by/pl"], &[]);
    course.marks.open_lesson = Some(false);
    let trial = with_urls(
        f("lingua", "Бесплатный пробный урок польского языка", "Витебск", at, "Лингва"),
        &["https://lingva.by/pl-trial"],
        &[],
    );
    let copy = |links: &[&str]| with_urls(f("whatson", "Polish from scratch", "Vitebsk", at, "Lingva"), &[], links);
    // Linked to the course's page: the course's.
    let groups = clusters(&[course.clone(), trial.clone(), copy(&["https://lingva.by/pl/"])], &t);
    assert!(groups.contains(&vec![0, 2]), "{groups:?}");
    // Linked to neither: it fits both, and joins neither.
    let groups = clusters(&[course, trial, copy(&[])], &t);
    assert!(groups.iter().all(|g| g.len() == 1), "{groups:?}");
}

#[test]
fn a_house_number_is_read_after_the_street_word_in_any_script() {
    assert_eq!(house_number("Зал № 2, ул. Ленина, 15а").as_deref(), Some("15a"));
    assert_eq!(house_number("Вуліца Леніна, д. 15А, зала рэдкай кнігі").as_deref(), Some("15a"));
    assert_eq!(house_number("Библиотека-филиал № 5, абонемент, проспект Фрунзе, 81").as_deref(), Some("81"));
    assert_eq!(house_number("пр-т Победы 7/2, каб. 12").as_deref(), Some("7"));
    assert_eq!(house_number("Central Library, 15 Lenin Street").as_deref(), Some("15"));
    // Regression (dev7): the school's number before an English street was read as its house.
    assert_eq!(house_number("Children's Art School No. 2, Molodyozhnaya St 48").as_deref(), Some("48"));
    assert_eq!(house_number("Children's Art School No. 2, 48 Molodyozhnaya St").as_deref(), Some("48"));
    // Postal codes, numbered venues and rooms are no houses.
    assert_eq!(house_number("210015, Библиотека-филиал № 5"), None);
    assert_eq!(house_number("Корпус 3 ВГУ, ауд. 301"), None);
    assert_eq!(house_number("ЦГБ, зал 2"), None);
}

#[test]
fn one_class_at_one_hour_in_two_buildings_is_two_offerings() {
    let t = Thresholds::default();
    let at = Some("2027-04-24T19:00:00+03:00");
    let city = f("city-lib", "Библионочь: мастер-класс по каллиграфии", "Витебск", at, "Зал № 2, ул. Ленина, 15");
    let region = f(
        "region-lib",
        "Бібліяноч: майстар-клас па каліграфіі",
        "Віцебск",
        at,
        "Абласная бібліятэка, зала рэдкай кнігі, вул. Леніна, 53",
    );
    assert_eq!(conflict(&city, &region, &t), Some(Conflict::Address));
    // The same building written another way (a translation, no venue name) is no conflict.
    let copy = f("digest", "Библионочь 🌙 каллиграфия", "Витебск", at, "ЦГБ, вул. Леніна, д. 15");
    assert_eq!(conflict(&city, &copy, &t), None);
    assert!(score(&city, &copy, &t).unwrap() >= t.match_score);
}

#[test]
fn a_venue_naming_the_other_town_outweighs_its_providers_city() {
    let t = Thresholds::default();
    let museum = f("museum", "Лекция о Борисовском замке", "Барысаў", Some("2027-03-18T18:00:00+03:00"), "Музей");
    // A regional aggregator in Minsk: its own city stands in, its venue names Barysaŭ.
    let regional =
        f("regional", "Лекцыя пра Барысаўскі замак", "Мінск", Some("2027-03-18T18:00:00+03:00"), "Барысаўскі музей");
    assert_eq!(conflict(&museum, &regional, &t), None);
    // A venue naming its own town as well as the other is placed: two towns, two offerings.
    let both = f("regional", "Лекцыя пра замак", "Мінск", Some("2027-03-18T18:00:00+03:00"), "Мінск, Барысаўскі музей");
    assert_eq!(conflict(&museum, &both, &t), Some(Conflict::Place));
}

#[test]
fn an_institution_named_after_another_town_is_no_other_place() {
    // Polotsk State University is in Novopolotsk: its name is no "elsewhere" for an item placed
    // in Novopolotsk too; a title saying "in Lida" still is.
    let t = Thresholds::default();
    let at = Some("2027-03-02T17:00:00+03:00");
    let a = f("a", "3D-моделирование в Blender", "Новополоцк", at, "ПГУ, корпус 3");
    let b = f("b", "3D Modelling in Blender", "Navapolatsk", at, "Polotsk State University, Building 3");
    assert_eq!(conflict(&a, &b, &t), None);
    let c = f("c", "3D-моделирование в Blender в Лиде", "Новополоцк", at, "ПГУ, корпус 3");
    assert_eq!(conflict(&a, &c, &t), Some(Conflict::Place));
}

#[test]
fn a_guessed_place_keeps_nothing_apart_but_its_own_town_wins() {
    let t = Thresholds::default();
    let at = Some("2027-01-16T11:00:00+03:00");
    let mut digest = date_only(f("digest", "Scratch для детей 7–9 лет", "Пинск", at, "IT Hub"));
    digest.place_guessed = true;
    let pinsk = f("pinsk", "Scratch для детей 7–9 лет", "Пинск", at, "IT Hub, Завальная, 10");
    let baranovichi = f("baranovichi", "Scratch для детей 7–9 лет", "Барановичи", at, "ЦДТ");
    assert_eq!(conflict(&digest, &baranovichi, &t), None, "a guess is no other place");
    assert_eq!(conflict(&pinsk, &baranovichi, &t), Some(Conflict::Place));
    let groups = clusters(&[digest.clone(), pinsk.clone(), baranovichi.clone()], &t);
    assert!(groups.contains(&vec![0, 1]), "the guessed town's partner is the clear one: {groups:?}");
    // With no partner in its guessed town, it joins the one elsewhere.
    let groups = clusters(&[digest, baranovichi], &t);
    assert_eq!(groups, vec![vec![0, 1]]);
}

#[test]
fn a_town_of_two_letters_and_an_ending_is_no_common_word() {
    // "Ивье" inflected would be "ивы" (willow): "венок из ивы" names no town.
    assert!(places_in_title("Пасхальный венок из ивы").is_empty());
    assert_eq!(places_in_title("Фестиваль в Ивье"), vec!["iwye"]);
}
