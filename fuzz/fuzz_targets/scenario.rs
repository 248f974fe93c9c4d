//! `polity check` on arbitrary bytes: the UTF-8 check `scenario::load` makes, then the spanned
//! RON parser and validation, and the messages printed. Seeds: scenarios/ and tests/bad/.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = match std::str::from_utf8(data) {
        Ok(s) => s,
        Err(e) => {
            // What `scenario::load` reports for a file that is not UTF-8.
            let valid = std::str::from_utf8(&data[..e.valid_up_to()]).unwrap();
            let _ = polity::spanned_ron::line_col(valid, valid.len());
            return;
        }
    };
    if let Err(problems) = polity::scenario::parse(src, "fuzz.ron", "fuzz") {
        assert!(!problems.0.is_empty(), "a refused scenario names at least one problem");
        let _ = problems.to_string();
    }
});
