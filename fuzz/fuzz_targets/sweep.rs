//! Sweep files: `sweep::spec::parse` on arbitrary text. Relative base paths start in a
//! folder that does not exist, so only built-in names (and absolute paths) load a base.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Err(problems) =
        polity::sweep::spec::parse(src, "fuzz-sweep.ron", std::path::Path::new("/nonexistent-fuzz-dir"))
    {
        assert!(!problems.0.is_empty());
        let _ = problems.to_string();
    }
});
