#![no_main]
//! Fuzz target: the text readers (`learncity_readers::prose`: prices, schedules laid out as
//! sessions, ages, places) on any UTF-8 text.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    use learncity_readers::prose::{age, place, price, schedule};
    let text = String::from_utf8_lossy(data);
    let _ = price::read(&text, Some("BYN"));
    let _ = age::read(&text);
    let _ = place::split(&text);
    if let Some(plan) = schedule::read(&text) {
        let first = chrono::NaiveDate::from_ymd_opt(2027, 1, 12).expect("static date");
        let _ = plan.expand(first, chrono::NaiveTime::from_hms_opt(18, 30, 0).map(|t| (t, None)), first.checked_add_days(chrono::Days::new(90)), 100);
        let _ = plan.expand(first, None, None, 100);
    }
});
