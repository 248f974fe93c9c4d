//! Checkpoints: `checkpoint::parse` (what `checkpoint::load` does with the file's text).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Err(e) = polity::checkpoint::parse(src, "fuzz.checkpoint") {
        let _ = e.to_string();
    }
});
