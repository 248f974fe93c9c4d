//! run.json: the scenario `polity run DIR/run.json` repeats (`scenario::from_run_json`) and
//! the whole record as `RunJson::read` takes it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Err(problems) = polity::scenario::from_run_json(src, "run.json") {
        assert!(!problems.0.is_empty());
        let _ = problems.to_string();
    }
    let _ = polity::json::from_str::<polity::run_json::RunJson>(src);
});
