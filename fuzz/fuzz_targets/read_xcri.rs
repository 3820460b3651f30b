#![no_main]
//! Fuzz target: `learncity_readers::read` with FormatHint::Xcri.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    learncity_fuzz::read(data, learncity_readers::FormatHint::Xcri);
});
