use chrono::TimeZone;
use learncity_model::Status;
use learncity_testkit::offerings::{OfferingExt, offering};

use super::*;

fn rules() -> Rules {
    let mut providers = HashMap::new();
    providers
        .insert("vsu".to_owned(), ProviderInfo { priority: 10, city: Some("Витебск".into()), role: Role::Organiser });
    providers.insert(
        "library".to_owned(),
        ProviderInfo { priority: 0, city: Some("Vitebsk".into()), role: Role::Organiser },
    );
    Rules {
        thresholds: Thresholds::default(),
        expiry_grace: chrono::Duration::days(1),
        providers,
        catalog_topic: "catalog".into(),
        curation: Default::default(),
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

fn english(provider: &str, id: &str) -> Offering {
    match provider {
        "vsu" => offering("vsu", id, "Курсы английского языка для начинающих")
            .city("Витебск")
            .venue("ул. Московская 33")
            .at("2026-03-12T18:00:00+03:00"),
        _ => offering(provider, id, "Kursy angliyskogo yazyka dlya nachinayushchikh")
            .city("Віцебск")
            .at("2026-03-12T15:00:00Z"),
    }
}

fn live(c: &PartitionCatalog) -> Vec<(String, Vec<String>)> {
    let mut v: Vec<(String, Vec<String>)> =
        c.entries().map(|e| (e.id.clone(), e.sources.iter().map(|s| s.key.clone()).collect())).collect();
    v.sort();
    v
}

#[test]
fn two_providers_announcing_one_course_make_one_entry_and_a_tombstone() {
    let r = rules();
    let mut c = PartitionCatalog::load(0, vec![], vec![], &r);
    let mut fx = Effects::default();
    c.upsert(english("library", "a"), 5, now(), &r, &mut fx);
    c.upsert(english("vsu", "b"), 6, now(), &r, &mut fx);
    let entries = live(&c);
    assert_eq!(entries.len(), 1, "{entries:?}");
    // The id comes from the earliest source; the preferred (priority) source leads the list.
    assert_eq!(entries[0].0, merge::entry_id("library/a"));
    assert_eq!(entries[0].1, vec!["vsu/b", "library/a"]);
    let e = c.entries().next().unwrap();
    assert_eq!(e.title, "Курсы английского языка для начинающих", "the higher priority's title");
    assert_eq!(fx.stats.merges, 0, "one new entry grew; no two entries merged");
    let (changes, _) = fx.into_changeset(vec![]);
    assert!(changes.sources.iter().all(|s| s.entry_id.as_deref() == Some(entries[0].0.as_str())));
}

#[test]
fn the_same_event_twice_changes_nothing_and_an_update_changes_in_place() {
    let r = rules();
    let mut c = PartitionCatalog::load(0, vec![], vec![], &r);
    let mut fx = Effects::default();
    c.upsert(english("vsu", "b"), 1, now(), &r, &mut fx);
    let mut again = Effects::default();
    c.upsert(english("vsu", "b"), 2, now(), &r, &mut again);
    c.upsert(english("vsu", "b").fetched(now()), 3, now(), &r, &mut again);
    assert!(again.is_empty(), "a repeated or re-fetched identical item writes nothing");
    assert_eq!(again.stats.unchanged, 2);
    let mut fx = Effects::default();
    let mut changed = english("vsu", "b");
    changed.summary = Some("Now with a summary".into());
    c.upsert(changed, 4, now(), &r, &mut fx);
    let entries = live(&c);
    assert_eq!(entries, vec![(merge::entry_id("vsu/b"), vec!["vsu/b".to_owned()])], "same id, updated in place");
    assert_eq!(c.entries().next().unwrap().summary.as_deref(), Some("Now with a summary"));
    assert_eq!(fx.stats.entries_put, 1);
}

#[test]
fn a_source_that_changes_away_splits_its_entry_again() {
    let r = rules();
    let mut c = PartitionCatalog::load(0, vec![], vec![], &r);
    let mut fx = Effects::default();
    c.upsert(english("vsu", "b"), 1, now(), &r, &mut fx);
    c.upsert(english("library", "a"), 2, now(), &r, &mut fx);
    assert_eq!(live(&c).len(), 1);
    let mut fx = Effects::default();
    c.upsert(english("library", "a").at("2026-04-20T10:00:00+03:00").title_swap(), 3, now(), &r, &mut fx);
    let entries = live(&c);
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(fx.stats.splits, 1);
    assert!(entries.iter().any(|(id, _)| *id == merge::entry_id("vsu/b")), "the earliest source keeps the id");
}

trait Swap {
    fn title_swap(self) -> Self;
}
impl Swap for Offering {
    fn title_swap(mut self) -> Self {
        self.title = "Шахматы для детей".into();
        self.sessions.remove(0);
        self
    }
}

#[test]
fn entries_merged_by_a_new_source_leave_a_tombstone_naming_the_survivor() {
    let r = rules();
    let mut c = PartitionCatalog::load(0, vec![], vec![], &r);
    let mut fx = Effects::default();
    // Two entries of one provider's items that only a third source bridges... one provider's
    // items never merge directly, so: library and vsu far apart in time, then vsu moves.
    c.upsert(english("library", "a"), 1, now(), &r, &mut fx);
    c.upsert(english("vsu", "b").at("2026-03-12T18:00:00+03:00").moved(), 2, now(), &r, &mut fx);
    assert_eq!(live(&c).len(), 2);
    let mut fx = Effects::default();
    c.upsert(english("vsu", "b"), 3, now(), &r, &mut fx);
    assert_eq!(live(&c).len(), 1);
    assert_eq!(fx.stats.merges, 1);
    let tomb = fx.outbox.iter().find(|o| o.value.is_none()).expect("a tombstone");
    assert_eq!(tomb.key.as_deref(), Some(merge::entry_id("vsu/b").as_bytes()));
    let header =
        |n: &str| tomb.headers.iter().find(|(h, _)| h == n).map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    assert_eq!(header("reason").as_deref(), Some("merged"));
    assert_eq!(header("merged-into"), Some(merge::entry_id("library/a")));
}

trait Move {
    fn moved(self) -> Self;
}
impl Move for Offering {
    fn moved(mut self) -> Self {
        self.sessions = vec![];
        self.at("2026-05-20T18:00:00+03:00")
    }
}

#[test]
fn a_complete_snapshot_withdraws_what_vanished_and_a_window_one_does_not() {
    let r = rules();
    let mut c = PartitionCatalog::load(0, vec![], vec![], &r);
    let mut fx = Effects::default();
    c.upsert(english("vsu", "b"), 1, now(), &r, &mut fx);
    c.upsert(
        offering("vsu", "c", "Лекция о Шагале").city("Витебск").at("2026-03-20T18:00:00+03:00"),
        2,
        now(),
        &r,
        &mut fx,
    );
    let snap = |listing| Snapshot {
        schema_version: 1,
        provider_id: "vsu".into(),
        listing,
        source_ids: vec!["c".into()],
        fetched_at: now(),
        document_url: None,
    };
    let mut fx = Effects::default();
    c.snapshot(&snap(Listing::Window), &r, &mut fx);
    assert!(fx.is_empty());
    c.snapshot(&snap(Listing::Complete), &r, &mut fx);
    assert_eq!(fx.stats.withdrawals, 1);
    assert_eq!(live(&c), vec![(merge::entry_id("vsu/c"), vec!["vsu/c".to_owned()])]);
    let tomb = fx.outbox.iter().find(|o| o.value.is_none()).unwrap();
    assert!(tomb.headers.iter().any(|(h, v)| h == "reason" && v == b"withdrawn"));
    // It comes back when listed again.
    let mut fx = Effects::default();
    c.upsert(english("vsu", "b").fetched(now()), 9, now(), &r, &mut fx);
    assert_eq!(live(&c).len(), 2);
}

#[test]
fn past_offerings_expire_after_the_grace_and_cancelled_shows() {
    let r = rules();
    let mut c = PartitionCatalog::load(0, vec![], vec![], &r);
    let mut fx = Effects::default();
    c.upsert(english("vsu", "b"), 1, now(), &r, &mut fx);
    c.upsert(english("library", "a").status(Status::Cancelled), 2, now(), &r, &mut fx);
    assert_eq!(c.entries().next().unwrap().status, Status::Scheduled, "another source cannot cancel vsu's entry");
    c.upsert(english("vsu", "b").status(Status::Cancelled), 3, now(), &r, &mut fx);
    assert_eq!(c.entries().next().unwrap().status, Status::Cancelled, "the preferred source cancels it");
    let mut fx = Effects::default();
    c.expire(Utc.with_ymd_and_hms(2026, 3, 13, 12, 0, 0).unwrap(), &r, &mut fx);
    assert!(fx.is_empty(), "within the grace");
    c.expire(Utc.with_ymd_and_hms(2026, 3, 14, 12, 0, 0).unwrap(), &r, &mut fx);
    assert_eq!(fx.stats.expirations, 2);
    assert!(live(&c).is_empty());
    // An upsert of a long-past item is kept as expired, never listed.
    let mut fx = Effects::default();
    c.upsert(offering("vsu", "old", "Old").at("2025-01-01T10:00:00Z"), 3, now(), &r, &mut fx);
    assert!(live(&c).is_empty());
    let (changes, _) = fx.into_changeset(vec![]);
    assert_eq!(changes.sources[0].state, SourceState::Expired);
}

#[test]
fn arrival_order_does_not_change_the_catalogue() {
    let r = rules();
    let items = [
        (english("library", "a"), 1),
        (english("vsu", "b"), 2),
        (offering("museum", "m", "Kursy angliyskogo yazyka").city("Vitebsk").at("2026-03-12T18:10:00+03:00"), 3),
        (offering("vsu", "c", "Лекция о Шагале").city("Витебск").at("2026-03-20T18:00:00+03:00"), 4),
    ];
    let run = |order: &[usize]| {
        let mut c = PartitionCatalog::load(0, vec![], vec![], &r);
        let mut fx = Effects::default();
        for &i in order {
            let (o, offset) = &items[i];
            c.upsert(o.clone(), *offset, now(), &r, &mut fx);
        }
        let mut entries: Vec<Entry> = c.entries().cloned().collect();
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        entries
    };
    let first = run(&[0, 1, 2, 3]);
    assert_eq!(first.len(), 2);
    for order in [[3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]] {
        assert_eq!(run(&order), first, "order {order:?}");
    }
}

#[test]
fn a_catalogue_loaded_from_its_rows_continues_where_it_was() {
    let r = rules();
    let mut c = PartitionCatalog::load(0, vec![], vec![], &r);
    let mut fx = Effects::default();
    c.upsert(english("vsu", "b"), 1, now(), &r, &mut fx);
    c.upsert(english("library", "a"), 2, now(), &r, &mut fx);
    let (changes, _) = fx.into_changeset(vec![]);
    let entries: Vec<Entry> = c.entries().cloned().collect();
    let mut again = PartitionCatalog::load(0, changes.sources, entries, &r);
    let mut fx = Effects::default();
    again.upsert(english("library", "a"), 3, now(), &r, &mut fx);
    assert!(fx.is_empty());
    assert_eq!(live(&again), live(&c));
}

/// Who is with whom, ids aside: the sorted source keys of every entry.
fn groups(c: &PartitionCatalog) -> Vec<Vec<String>> {
    let mut v: Vec<Vec<String>> = live(c)
        .into_iter()
        .map(|(_, mut keys)| {
            keys.sort();
            keys
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_block_going_over_the_bound_and_back_keeps_the_catalogue_a_function_of_the_live_set() {
    let r = rules();
    let at = "2026-03-12T18:00:00+03:00";
    // Two providers announce a lecture titled only "Лекция": they share nothing but that word.
    let pair =
        [offering("p0", "x", "Лекция").city("Витебск").at(at), offering("p1", "x", "Лекция").city("Витебск").at(at)];
    // Lectures of other providers at the same time, each with four words of its own (distinct in
    // their first five letters, as tokens are): too unlike "Лекция" alone to match it, and sharing
    // no word but "Лекция" with each other (some are alike enough to match when compared).
    let letters = ["б", "д", "к", "м", "п", "т"];
    let word = |i: usize, vowel: &str| -> String {
        (0..3).map(|k| format!("{}{vowel}", letters[(i / 6usize.pow(k)) % 6])).collect()
    };
    let crowd: Vec<Offering> = (0..matching::MAX_BLOCK)
        .map(|i| {
            let title = format!("Лекция {} {} {} {}", word(i, "а"), word(i, "у"), word(i, "о"), word(i, "э"));
            offering(&format!("c{i}"), "x", &title).city("Витебск").at(at)
        })
        .collect();
    let mut c = PartitionCatalog::load(0, vec![], vec![], &r);
    let mut fx = Effects::default();
    let mut offset = 0;
    for o in pair.iter().chain(&crowd[..matching::MAX_BLOCK - 2]) {
        offset += 1;
        c.upsert(o.clone(), offset, now(), &r, &mut fx);
    }
    let joined = vec!["p0/x".to_owned(), "p1/x".to_owned()];
    assert!(groups(&c).contains(&joined), "under the bound the word joins the pair");

    // Over the bound: "Лекция" says nothing any more; the pair splits.
    for o in &crowd[matching::MAX_BLOCK - 2..] {
        offset += 1;
        c.upsert(o.clone(), offset, now(), &r, &mut fx);
    }
    assert!(groups(&c).iter().all(|g| g.len() == 1), "{:?}", groups(&c).iter().find(|g| g.len() > 1));
    assert!(fx.stats.splits >= 1);

    // The same live set in another order makes the same catalogue.
    let mut fresh = PartitionCatalog::load(0, vec![], vec![], &r);
    let mut other = Effects::default();
    for (i, o) in crowd.iter().chain(&pair).rev().enumerate() {
        fresh.upsert(o.clone(), i as i64, now(), &r, &mut other);
    }
    assert_eq!(groups(&fresh), groups(&c));

    // Back under the bound (two of the crowd withdrawn): the pair is one entry again.
    for i in 0..2 {
        let snapshot = Snapshot {
            schema_version: 1,
            provider_id: format!("c{i}"),
            listing: Listing::Complete,
            source_ids: vec![],
            fetched_at: now(),
            document_url: None,
        };
        c.snapshot(&snapshot, &r, &mut fx);
    }
    assert!(groups(&c).contains(&joined), "{:?}", groups(&c).iter().find(|g| g.iter().any(|k| k.starts_with("p"))));
}

/// The provider-takeover cases of the deduplication issue: another provider's items cannot
/// change, hide or cancel an organiser's entry.
#[test]
fn someone_elses_url_elsewhere_or_later_and_cancelled_changes_nothing() {
    let r = rules();
    let mut c = PartitionCatalog::load(0, vec![], vec![], &r);
    let mut fx = Effects::default();
    let real = english("vsu", "a").url("https://vsu.example/courses/english");
    c.upsert(real.clone(), 1, now(), &r, &mut fx);
    // The same URL, a year later, cancelled; and the same URL in another city, cancelled.
    let later = offering("intruder", "x", "Курсы английского языка для начинающих")
        .city("Витебск")
        .at("2027-03-12T18:00:00+03:00")
        .url("https://vsu.example/courses/english")
        .status(Status::Cancelled);
    let elsewhere = offering("intruder", "y", "Курсы английского языка для начинающих")
        .city("Минск")
        .at("2026-03-12T18:00:00+03:00")
        .url("https://vsu.example/courses/english")
        .status(Status::Cancelled);
    c.upsert(later, 2, now(), &r, &mut fx);
    c.upsert(elsewhere, 3, now(), &r, &mut fx);
    let entry = c.entries().find(|e| e.sources.iter().any(|s| s.key == "vsu/a")).unwrap();
    assert_eq!(entry.sources.len(), 1, "{:?}", entry.sources);
    assert_eq!((entry.status, entry.title.as_str()), (Status::Scheduled, real.title.as_str()));
    // A re-announcement that is the same course but says cancelled cannot cancel it either.
    c.upsert(english("library", "b").status(Status::Cancelled), 4, now(), &r, &mut fx);
    let entry = c.entries().find(|e| e.sources.iter().any(|s| s.key == "vsu/a")).unwrap();
    assert_eq!(entry.status, Status::Scheduled);
}

#[test]
fn one_providers_items_are_never_joined_through_a_third_party() {
    let r = rules();
    let at = "2026-03-12T18:00:00+03:00";
    // The university lists two groups of one course; the library re-announces it vaguely.
    let g1 = offering("vsu", "g1", "Курсы английского языка, группа 1").city("Витебск").at(at);
    let g2 = offering("vsu", "g2", "Курсы английского языка, группа 2").city("Витебск").at(at);
    let vague = offering("library", "v", "Курсы английского языка").city("Витебск").at(at);
    for order in [[&g1, &g2, &vague], [&vague, &g2, &g1]] {
        let mut c = PartitionCatalog::load(0, vec![], vec![], &r);
        let mut fx = Effects::default();
        for (i, o) in order.into_iter().enumerate() {
            c.upsert(o.clone(), i as i64, now(), &r, &mut fx);
        }
        let g = groups(&c);
        assert!(g.iter().all(|e| !(e.contains(&"vsu/g1".to_owned()) && e.contains(&"vsu/g2".to_owned()))), "{g:?}");
        assert_eq!(g.len(), 3, "the vague item fits both groups alike: it joins neither ({g:?})");
    }
}

mod curated {
    //! Operators' decisions on top of matching (learncity_catalog::curation).
    use learncity_model::Kind;
    use learncity_model::curation::{Action, Decision, Pin, Revocation};

    use super::*;

    fn decide(action: Action, minute: u32) -> Decision {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 10, minute, 0).unwrap();
        Decision::new(action, "anna", at, "test")
    }

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| (*s).to_owned()).collect()
    }

    /// Applies `d` as the processor does: index it, then reconsider what it names.
    fn apply(c: &mut PartitionCatalog, r: &mut Rules, d: Decision) -> Effects {
        let mut fx = Effects::default();
        let touched = r.curation.set(d);
        c.reconsider(&touched, r, &mut fx);
        fx
    }

    fn removed_reasons(fx: &Effects) -> Vec<String> {
        fx.entries
            .iter()
            .filter_map(|e| match e {
                EntryChange::Remove { reason, .. } => Some(reason.clone()),
                EntryChange::Put { .. } => None,
            })
            .collect()
    }

    /// The two providers' one course, as one entry.
    fn course(r: &Rules) -> PartitionCatalog {
        let mut c = PartitionCatalog::load(0, vec![], vec![], r);
        let mut fx = Effects::default();
        c.upsert(english("library", "a"), 1, now(), r, &mut fx);
        c.upsert(english("vsu", "b"), 2, now(), r, &mut fx);
        assert_eq!(groups(&c), [["library/a", "vsu/b"]]);
        c
    }

    #[test]
    fn a_hidden_entry_leaves_the_catalogue_and_comes_back_with_its_id_when_revoked() {
        let mut r = rules();
        let mut c = course(&r);
        let id = c.entries().next().unwrap().id.clone();
        let hide = decide(Action::Hide { sources: keys(&["library/a", "vsu/b"]) }, 1);
        let fx = apply(&mut c, &mut r, hide.clone());
        assert_eq!(live(&c), vec![]);
        assert_eq!(removed_reasons(&fx), ["hidden"]);
        assert!(fx.sources.values().all(|s| s.entry_id.is_none()), "hidden sources belong to no entry");
        // A new fetch of a hidden item keeps it hidden.
        let mut fx = Effects::default();
        c.upsert(english("library", "a").venue("Зал 2"), 3, now(), &r, &mut fx);
        assert_eq!(live(&c), vec![]);

        let mut revoked = hide;
        revoked.revoked = Some(Revocation { by: "boris".into(), at: now(), reason: "not junk".into() });
        apply(&mut c, &mut r, revoked);
        assert_eq!(live(&c), vec![(id, keys(&["vsu/b", "library/a"]))]);
    }

    #[test]
    fn hiding_one_source_keeps_the_entry_of_the_others() {
        let mut r = rules();
        let mut c = course(&r);
        apply(&mut c, &mut r, decide(Action::Hide { sources: keys(&["vsu/b"]) }, 1));
        assert_eq!(groups(&c), [["library/a"]]);
        assert_eq!(c.entries().next().unwrap().title, "Kursy angliyskogo yazyka dlya nachinayushchikh");
    }

    #[test]
    fn a_split_holds_even_when_a_third_source_matches_both() {
        let mut r = rules();
        let mut c = course(&r);
        let split = decide(Action::Split { apart: keys(&["vsu/b"]), from: keys(&["library/a"]) }, 1);
        apply(&mut c, &mut r, split);
        assert_eq!(groups(&c), [vec!["library/a"], vec!["vsu/b"]]);
        // A portal's copy matches both: it joins one of them, never both.
        let mut fx = Effects::default();
        let portal = offering("portal", "p", "Курсы английского языка для начинающих")
            .city("Витебск")
            .venue("ул. Московская 33")
            .at("2026-03-12T18:00:00+03:00");
        c.upsert(portal, 3, now(), &r, &mut fx);
        let g = groups(&c);
        assert_eq!(g.len(), 2, "{g:?}");
        assert!(!g.iter().any(|e| e.contains(&"library/a".to_owned()) && e.contains(&"vsu/b".to_owned())), "{g:?}");
    }

    #[test]
    fn a_merge_joins_what_matching_keeps_apart_but_never_across_a_split() {
        let mut r = rules();
        let mut c = PartitionCatalog::load(0, vec![], vec![], &r);
        let mut fx = Effects::default();
        // Another title and another day: matching keeps them apart.
        let talk = offering("library", "t", "Лекция о Шагале").city("Витебск").at("2026-03-12T18:00:00+03:00");
        let same = offering("vsu", "s", "Марк Шагал и Витебск").city("Витебск").at("2026-03-13T18:00:00+03:00");
        c.upsert(talk, 1, now(), &r, &mut fx);
        c.upsert(same, 2, now(), &r, &mut fx);
        assert_eq!(groups(&c).len(), 2);
        let fx = apply(&mut c, &mut r, decide(Action::Merge { sources: keys(&["library/t", "vsu/s"]) }, 1));
        assert_eq!(groups(&c), [["library/t", "vsu/s"]]);
        assert_eq!(removed_reasons(&fx), ["merged"]);
        // A later split of the two wins over the merge.
        apply(&mut c, &mut r, decide(Action::Split { apart: keys(&["vsu/s"]), from: keys(&["library/t"]) }, 2));
        assert_eq!(groups(&c).len(), 2);
    }

    #[test]
    fn pins_set_fields_survive_a_new_fetch_and_a_reload_and_move_with_their_source() {
        let mut r = rules();
        let mut c = course(&r);
        let pin = |p: Pin, minute| decide(Action::Pin { sources: keys(&["library/a", "vsu/b"]), pin: p }, minute);
        apply(&mut c, &mut r, pin(Pin::Kind(Kind::Lecture), 1));
        apply(&mut c, &mut r, pin(Pin::Title("Английский для начинающих".into()), 2));
        apply(&mut c, &mut r, pin(Pin::Source("library/a".into()), 3));
        let e = c.entries().next().unwrap();
        assert_eq!((e.kind, e.title.as_str()), (Kind::Lecture, "Английский для начинающих"));
        assert_eq!(e.sources[0].key, "library/a", "the pinned source leads");

        // The provider changes its item: the pins stay.
        let mut fx = Effects::default();
        c.upsert(english("vsu", "b").venue("ул. Московская 33, ауд. 5"), 3, now(), &r, &mut fx);
        assert!(!fx.is_empty());
        assert_eq!(c.entries().next().unwrap().kind, Kind::Lecture);

        // Loaded again from its rows with the same decisions: nothing to change.
        let rows: Vec<SourceRow> = c.sources.values().map(|s| s.row.clone()).collect();
        let mut again = PartitionCatalog::load(0, rows, c.entries().cloned().collect(), &r);
        let mut fx = Effects::default();
        again.reconsider(&r.curation.named_sources(), &r, &mut fx);
        assert!(fx.entries.is_empty(), "{:?}", fx.entries);

        // The first source withdrawn: the pins go with the entry of the next one.
        let mut fx = Effects::default();
        c.snapshot(
            &Snapshot {
                schema_version: learncity_model::SCHEMA_VERSION,
                provider_id: "library".into(),
                listing: Listing::Complete,
                source_ids: vec![],
                fetched_at: now(),
                document_url: None,
            },
            &r,
            &mut fx,
        );
        let e = c.entries().next().unwrap();
        assert_eq!(groups(&c), [["vsu/b"]]);
        assert_eq!((e.kind, e.title.as_str()), (Kind::Lecture, "Английский для начинающих"));
    }

    #[test]
    fn decisions_taken_before_or_after_the_sources_arrive_give_one_catalogue() {
        let decisions = [
            decide(Action::Pin { sources: keys(&["vsu/b"]), pin: Pin::Kind(Kind::Tour) }, 1),
            decide(Action::Hide { sources: keys(&["portal/p"]) }, 2),
        ];
        let portal = || {
            offering("portal", "p", "Курсы английского языка для начинающих")
                .city("Витебск")
                .at("2026-03-12T18:00:00+03:00")
        };
        // Decisions first.
        let mut first = rules();
        first.curation = learncity_catalog::curation::Curation::new(decisions.clone());
        let mut c1 = PartitionCatalog::load(0, vec![], vec![], &first);
        let mut fx = Effects::default();
        c1.upsert(portal(), 0, now(), &first, &mut fx);
        c1.upsert(english("library", "a"), 1, now(), &first, &mut fx);
        c1.upsert(english("vsu", "b"), 2, now(), &first, &mut fx);
        // Sources first.
        let mut later = rules();
        let mut c2 = course(&later);
        let mut fx = Effects::default();
        c2.upsert(portal(), 0, now(), &later, &mut fx);
        for d in decisions {
            apply(&mut c2, &mut later, d);
        }
        assert_eq!(live(&c1), live(&c2));
        assert_eq!(c1.entries().next().unwrap(), c2.entries().next().unwrap());
        assert_eq!(c1.entries().next().unwrap().kind, Kind::Tour);
    }
}

#[test]
fn an_aggregators_own_city_is_a_guess_and_an_online_item_is_in_no_town() {
    let mut r = rules();
    r.providers.insert(
        "digest".to_owned(),
        ProviderInfo { priority: 0, city: Some("Молодечно".into()), role: Role::Aggregator },
    );
    r.providers.insert(
        "borisov-lib".to_owned(),
        ProviderInfo { priority: 0, city: Some("Борисов".into()), role: Role::Organiser },
    );
    let at = "2027-03-06T12:00:00+03:00";
    // A digest of two towns gives its one city to an item that names none (as the reader does).
    let organiser = offering("borisov-lib", "git", "Git для начинающих: практикум").city("Борисов").venue("IT Lab");
    let digest = offering("digest", "tg-527", "Git для начинающих — практикум").city("Молодечно").venue("IT Lab");
    let (organiser, digest) = (organiser.at(at), digest.at(at));
    let (a, b) = (r.features(&organiser), r.features(&digest));
    assert!(b.place_guessed && !a.place_guessed);
    assert_eq!(matching::conflict(&a, &b, &r.thresholds), None);
    assert!(matching::assess(&a, &b, &r.thresholds).place_guessed);
    let (text, json) = crate::explain::pair(&organiser, &digest, (None, None), &r);
    assert!(text.contains("places differ only by an aggregator's own city"), "{text}");
    assert_eq!(json["evidence"]["place_guessed"], true, "{json}");
    let mut c = PartitionCatalog::load(0, vec![], vec![], &r);
    let mut fx = Effects::default();
    c.upsert(organiser.clone(), 1, now(), &r, &mut fx);
    c.upsert(digest.clone(), 2, now(), &r, &mut fx);
    assert_eq!(groups(&c), vec![vec!["borisov-lib/git".to_owned(), "digest/tg-527".to_owned()]]);

    // An organiser's city is no guess, nor is a digest's item that names its town.
    let named = offering("digest", "tg-528", "Git для начинающих").city("Молодечно").venue("IT Lab, Молодечно").at(at);
    assert!(!r.features(&named).place_guessed);
    assert_eq!(matching::conflict(&a, &r.features(&named), &r.thresholds), Some(matching::Conflict::Place));

    // An online item takes no city from its provider: it is in no town to tell apart.
    let mut webinar = offering("borisov-lib", "cv", "Вебинар: резюме для IT").at(at);
    webinar.mode = learncity_model::Mode::Online;
    assert_eq!(r.features(&webinar).place, None);
}
