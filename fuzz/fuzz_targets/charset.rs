#![no_main]
//! Fuzz target: charset detection and decoding, with and without a Content-Type header.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = learncity_readers::charset::decode(data, None);
    let _ = learncity_readers::charset::decode(data, Some("text/xml; charset=koi8-r"));
});
