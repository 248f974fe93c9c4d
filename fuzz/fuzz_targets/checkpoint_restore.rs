//! Checkpoints read as `polity run --resume` and the app's Open/Reload read them:
//! `checkpoint::parse`, then, when it is accepted, `Sim::restore` builds the world from it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    match polity::checkpoint::parse(src, "fuzz.checkpoint") {
        Ok(cp) => {
            if let Err(e) = polity::sim::Sim::restore(&cp) {
                let _ = e.to_string();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
