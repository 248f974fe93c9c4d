//! Structure-aware scenarios: a built-in with one number replaced through
//! `spanned_ron::splice_number` (what a sweep does), then parsed and validated. The input
//! picks the built-in, the value and the path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use polity::scenario::BUILTINS;

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let b = &BUILTINS[data[0] as usize % BUILTINS.len()];
    let value = f64::from_le_bytes(data[1..9].try_into().unwrap());
    let Ok(path) = std::str::from_utf8(&data[9..]) else { return };
    let Ok(src) = polity::spanned_ron::splice_number(b.source, path, value) else { return };
    if let Err(problems) = polity::scenario::parse(&src, "fuzz.ron", b.name) {
        assert!(!problems.0.is_empty());
        let _ = problems.to_string();
    }
});
