//! What the readers get right of the fields residents filter on, measured on independent
//! labelled cities (tests/fixtures/readers-independent): provider documents in every supported
//! format, in ru/be/en, written — with the fields a careful human reads from them — by helpers
//! who had not read the readers, each on its own, from the brief in that folder. `dev`
//! (Vitebsk), `dev2` (Polotsk, unreadable fields and unusual schedules), `dev3` (Minsk), `dev4`
//! (Polotsk and Novopolotsk), `dev5` (Grodno and Lida), `dev6` (Mogilev and Bobruisk,
//! unreadable fields in Atom and JSON Feed) and `dev7` (Brest, Kobryn and Pinsk: unreadable
//! fields in new wordings and places) are the development half the readers were tuned on;
//! `test` (Gomel) is the held-out half, reported and never tuned on (its errors are never
//! printed).
//!
//! Each document is read as the collector reads it (the provider file, `learncity_readers::read`)
//! at the fetch date the brief names. Printed per half: accuracy of price, kind, age band, first
//! start and session count (multi-session courses), per field and per format, the share of
//! unreadable fields that were warned, and the share of the other fields that were not ("quiet":
//! a reader that warns about everything fails there). `LEARNCITY_EVAL_DETAILS=1` also prints the
//! development cities' wrong fields (never the test city's).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use learncity_model::Offering;
use serde_json::Value;

fn folder(half: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/readers-independent").join(half)
}

/// The fields whose unreadable values the truth lists (`warn`), with the warning fields that
/// count for each.
const WARNED_FIELDS: [(&str, &[&str]); 4] = [
    ("price", &["price"]),
    ("age", &["age", "audience"]),
    ("sessions", &["sessions", "schedule"]),
    ("start", &["start", "end"]),
];

/// One read item: the offering, the format of its provider and the fields warned about.
struct Read {
    offering: Offering,
    format: String,
    warned: Vec<String>,
}

/// Reads every provider document of a half: (provider id, title) → what was read.
fn read_half(half: &str) -> HashMap<(String, String), Read> {
    let fetched_at = Utc.with_ymd_and_hms(2027, 1, 5, 9, 0, 0).unwrap();
    let mut out = HashMap::new();
    for city in learncity_testkit::cities::read_city(&folder(half), fetched_at) {
        let (p, read) = (city.provider, city.output);
        let format = match serde_json::to_value(p.format).ok().and_then(|v| v.as_str().map(str::to_owned)) {
            Some(f) if f != "auto" => f,
            _ => city.document.extension().map_or(String::new(), |e| e.to_string_lossy().into_owned()),
        };
        for o in read.offerings {
            let warned = read
                .warnings
                .iter()
                .filter(|w| w.item.as_deref() == Some(o.source_id.as_str()))
                .filter_map(|w| w.field.clone())
                .collect();
            out.insert((p.id.clone(), o.title.clone()), Read { offering: o, format: format.clone(), warned });
        }
    }
    out
}

/// Right and total per field, overall and per format.
#[derive(Default)]
struct Tally {
    fields: BTreeMap<&'static str, (usize, usize)>,
    per_format: BTreeMap<(String, &'static str), (usize, usize)>,
    wrong: Vec<String>,
}

impl Tally {
    fn count(&mut self, field: &'static str, format: &str, right: bool, detail: impl FnOnce() -> String) {
        for slot in
            [self.fields.entry(field).or_default(), self.per_format.entry((format.to_owned(), field)).or_default()]
        {
            slot.1 += 1;
            slot.0 += usize::from(right);
        }
        if !right {
            self.wrong.push(format!("{field}: {}", detail()));
        }
    }

    fn share(&self, field: &str) -> f64 {
        let (right, total) = self.fields.get(field).copied().unwrap_or((0, 0));
        if total == 0 { 1.0 } else { right as f64 / total as f64 }
    }
}

fn local_start(o: &Offering) -> Option<String> {
    let s = o.sessions.first()?;
    let tz: chrono_tz::Tz = "Europe/Minsk".parse().unwrap();
    let local = s.start.with_timezone(&tz);
    Some(if s.all_day { local.format("%Y-%m-%d").to_string() } else { local.format("%Y-%m-%dT%H:%M").to_string() })
}

fn price_right(expected: &Value, o: &Offering) -> bool {
    let p = o.price.as_ref();
    match expected {
        Value::Null => p.is_none(),
        Value::Object(e) if e.get("free").and_then(Value::as_bool) == Some(true) => p.is_some_and(|p| p.free),
        Value::Object(e) => p.is_some_and(|p| {
            let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) => (a - b).abs() < 0.005,
                (None, None) => true,
                _ => false,
            };
            !p.free
                && close(p.amount, e.get("amount").and_then(Value::as_f64))
                && close(p.amount_max, e.get("amount_max").and_then(Value::as_f64))
                && p.currency.as_deref() == e.get("currency").and_then(Value::as_str)
        }),
        _ => false,
    }
}

fn evaluate(half: &str, details: bool) -> Tally {
    let read = read_half(half);
    let expected: Value = serde_json::from_slice(&std::fs::read(folder(half).join("expected.json")).unwrap()).unwrap();
    let items = expected["items"].as_array().expect("expected.json: items");
    let mut tally = Tally::default();
    for item in items {
        let provider = item["provider"].as_str().unwrap().to_owned();
        let title = item["title"].as_str().unwrap().to_owned();
        let Some(r) = read.get(&(provider.clone(), title.clone())) else {
            tally.count("read", "-", false, || format!("{provider}: `{title}` was not read"));
            continue;
        };
        let o = &r.offering;
        let f = r.format.as_str();
        let name = format!("{provider}: `{title}`");
        tally.count("read", f, true, String::new);
        tally.count("price", f, price_right(&item["price"], o), || {
            format!("{name}: expected {}, read {:?}", item["price"], o.price)
        });
        if let Some(per) = item["price"].get("per").and_then(Value::as_str) {
            let got = o.price.as_ref().and_then(|p| p.per).map(|p| serde_json::to_value(p).unwrap());
            tally.count("price per", f, got.as_ref().and_then(Value::as_str) == Some(per), || {
                format!("{name}: expected per {per}, read {got:?}")
            });
        }
        let kind = serde_json::to_value(o.kind).unwrap();
        tally.count("kind", f, kind == item["kind"], || format!("{name}: expected {}, read {kind}", item["kind"]));
        let ages = (o.audience.age_min.map(u64::from), o.audience.age_max.map(u64::from));
        let want = (item["age_min"].as_u64(), item["age_max"].as_u64());
        tally.count("age", f, ages == want, || format!("{name}: expected {want:?}, read {ages:?}"));
        let start = local_start(o);
        let want_start = item["first_start"].as_str().map(str::to_owned);
        tally.count("first start", f, start == want_start, || {
            format!("{name}: expected {want_start:?}, read {start:?}")
        });
        let sessions = item["sessions"].as_u64().unwrap_or(0);
        if sessions >= 2 {
            tally.count("sessions (courses)", f, o.sessions.len() as u64 == sessions, || {
                format!("{name}: expected {sessions}, read {}", o.sessions.len())
            });
        }
        // A field the truth says is unreadable must be warned; any other must not be (a reader
        // that warns about everything is as useless as one that warns about nothing).
        let expected: Vec<&str> = item["warn"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        for (field, aliases) in WARNED_FIELDS {
            let warned = r.warned.iter().any(|w| aliases.contains(&w.as_str()));
            if expected.contains(&field) {
                tally.count("warned", f, warned, || format!("{name}: no warning on {field} (warned: {:?})", r.warned));
            } else {
                tally.count("quiet", f, !warned, || format!("{name}: a warning on {field} it should not have"));
            }
        }
        for (key, got) in [
            ("venue", o.location.as_ref().and_then(|l| l.venue.clone())),
            ("address", o.location.as_ref().and_then(|l| l.address.clone())),
        ] {
            if let Some(want) = item[key].as_str() {
                let right = got.as_deref() == Some(want);
                tally.count(if key == "venue" { "venue" } else { "address" }, f, right, || {
                    format!("{name}: {key} expected {want:?}, read {got:?}")
                });
            }
        }
    }
    println!("\n{half}: {} items", items.len());
    for (field, (right, total)) in &tally.fields {
        println!("  {field:<20} {right:>4}/{total:<4} {:.3}", *right as f64 / (*total).max(1) as f64);
    }
    let formats: Vec<&String> = {
        let mut f: Vec<&String> = tally.per_format.keys().map(|(f, _)| f).collect();
        f.dedup();
        f
    };
    for format in formats {
        let line: Vec<String> = tally
            .per_format
            .iter()
            .filter(|((f, field), _)| f == format && *field != "read")
            .map(|((_, field), (r, t))| format!("{field} {r}/{t}"))
            .collect();
        println!("  [{format}] {}", line.join(", "));
    }
    if details {
        for w in &tally.wrong {
            println!("  WRONG {w}");
        }
    }
    tally
}

#[test]
fn fields_on_independent_cities() {
    let details = std::env::var_os("LEARNCITY_EVAL_DETAILS").is_some();
    let dev = evaluate("dev", details);
    // A second development city on unreadable fields and unusual schedules, when present.
    let dev2 = folder("dev2").join("expected.json").exists().then(|| evaluate("dev2", details));
    // A third (Minsk): news feeds, unreadable fields beside readable look-alikes, venues in prose.
    let dev3 = folder("dev3").join("expected.json").exists().then(|| evaluate("dev3", details));
    // A fourth (Polotsk and Novopolotsk, 2026-12-07): kinds, ages, schedules and prices in
    // words, venues in prose.
    let dev4 = folder("dev4").join("expected.json").exists().then(|| evaluate("dev4", details));
    // A fifth (Grodno and Lida, 2026-12-07): unreadable fields in many phrasings beside readable
    // look-alikes.
    let dev5 = folder("dev5").join("expected.json").exists().then(|| evaluate("dev5", details));
    // A sixth (Mogilev and Bobruisk, 2026-12-07): unreadable fields in new phrasings, most in
    // Atom and JSON Feed, beside readable look-alikes.
    let dev6 = folder("dev6").join("expected.json").exists().then(|| evaluate("dev6", details));
    // A seventh (Brest, Kobryn and Pinsk, added 2026-12-07 in a later session): unreadable fields
    // in wordings and places none of the others has (an `_event` key, a tag, a title's
    // parenthesis), most in Atom and JSON Feed, beside readable look-alikes.
    let dev7 = folder("dev7").join("expected.json").exists().then(|| evaluate("dev7", details));
    let test = evaluate("test", false);
    for (half, t) in
        [("dev2", &dev2), ("dev3", &dev3), ("dev4", &dev4), ("dev5", &dev5), ("dev6", &dev6), ("dev7", &dev7)]
    {
        if let Some(t) = t {
            assert_eq!(t.share("read"), 1.0, "{half}: every labelled item is read");
        }
    }
    // dev3's floors, a little under its figures after the readers were tuned on it (2026-12-07:
    // price 1.000, kind 0.919, first start 0.992, sessions of courses 0.950, warned 1.000).
    if let Some(t) = &dev3 {
        for (field, floor) in
            [("price", 0.98), ("kind", 0.90), ("first start", 0.97), ("sessions (courses)", 0.92), ("warned", 0.97)]
        {
            assert!(t.share(field) >= floor, "dev3 {field}: {:.3} < {floor}", t.share(field));
        }
    }
    // dev4's floors, a little under its figures after the readers were tuned on it (2026-12-07:
    // price 0.984, kind 0.953, first start 0.984, sessions of courses 0.867, warned 0.946).
    if let Some(t) = &dev4 {
        for (field, floor) in
            [("price", 0.97), ("kind", 0.94), ("first start", 0.97), ("sessions (courses)", 0.85), ("warned", 0.94)]
        {
            assert!(t.share(field) >= floor, "dev4 {field}: {:.3} < {floor}", t.share(field));
        }
    }
    // dev5's floors, a little under its figures after the readers were tuned on it (2026-12-07:
    // price 0.995, kind 0.934, first start 0.995, sessions of courses 0.950, warned 1.000; 0.833
    // warned when it arrived).
    if let Some(t) = &dev5 {
        for (field, floor) in
            [("price", 0.98), ("kind", 0.92), ("first start", 0.98), ("sessions (courses)", 0.93), ("warned", 0.98)]
        {
            assert!(t.share(field) >= floor, "dev5 {field}: {:.3} < {floor}", t.share(field));
        }
    }
    // dev6's floors, a little under its figures after the readers were tuned on it (2026-12-07:
    // price 0.978, kind 0.945, first start 0.989, warned 0.989 — 0.875 when it arrived: ages told
    // by a stage of schooling, schedules whose days are "agreed with the group" or "depend on").
    if let Some(t) = &dev6 {
        for (field, floor) in [("price", 0.96), ("kind", 0.93), ("first start", 0.97), ("warned", 0.97)] {
            assert!(t.share(field) >= floor, "dev6 {field}: {:.3} < {floor}", t.share(field));
        }
    }
    // dev7's floors, a little under its figures after the readers were tuned on it (2026-12-07:
    // price 0.995, age 0.968, first start 0.984, warned 0.905, quiet 0.989 — price 0.872, first
    // start 0.914 and warned 0.643 when it arrived: an Atom summary beside its content, a JSON
    // Feed `_event` price, audience or schedule, and tags were not read).
    if let Some(t) = &dev7 {
        for (field, floor) in [("price", 0.98), ("age", 0.95), ("first start", 0.97), ("warned", 0.89)] {
            assert!(t.share(field) >= floor, "dev7 {field}: {:.3} < {floor}", t.share(field));
        }
    }
    // No warning where the truth has none: every half stays quiet on at least 97 % of the fields
    // it reads (2026-12-07: 0.974–0.992).
    for (half, t) in
        [("dev2", &dev2), ("dev3", &dev3), ("dev4", &dev4), ("dev5", &dev5), ("dev6", &dev6), ("dev7", &dev7)]
    {
        if let Some(t) = t {
            assert!(t.share("quiet") >= 0.97, "{half} quiet: {:.3} < 0.97", t.share("quiet"));
        }
    }
    for (half, t) in [("dev", &dev), ("test", &test)] {
        assert_eq!(t.share("read"), 1.0, "{half}: every labelled item is read");
    }
    // Floors a little under the figures measured when this test was written (issue 17's notes:
    // dev 1.000/0.995/0.995/0.995/0.984/1.000, test 1.000/0.952/0.989/0.989/0.952/0.941 for
    // price, kind, age, first start, sessions of courses, warned); a change that loses ground
    // on either half fails here.
    for (field, dev_floor, test_floor) in [
        ("price", 0.99, 0.98),
        ("kind", 0.97, 0.94),
        ("age", 0.98, 0.97),
        ("first start", 0.98, 0.97),
        ("sessions (courses)", 0.96, 0.93),
        ("warned", 0.97, 0.91),
        ("quiet", 0.98, 0.97),
        ("price per", 0.95, 0.85),
        ("venue", 0.84, 0.82),
        ("address", 0.94, 0.91),
    ] {
        assert!(dev.share(field) >= dev_floor, "dev {field}: {:.3} < {dev_floor}", dev.share(field));
        assert!(test.share(field) >= test_floor, "test {field}: {:.3} < {test_floor}", test.share(field));
    }
}
