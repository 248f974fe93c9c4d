//! The app's reload path (`Intent::Reload` in src/control/intent.rs) without the GUI: the
//! watched file is written, then read as the app reads it — a checkpoint when it starts like
//! one, else `Source::File(path).load()` (a `.ron` scenario or a `run.json`). The first byte
//! picks the file's extension.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use polity::control::Source;

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let name = if pick & 1 == 0 { "watched.ron" } else { "run.json" };
    let path: PathBuf = dir().path().join(name);
    std::fs::write(&path, body).unwrap();
    if polity::checkpoint::is_checkpoint(&path) {
        let _ = polity::checkpoint::load(&path).map_err(|e| e.to_string());
    } else if let Err(problems) = Source::File(path).load() {
        assert!(!problems.0.is_empty());
        let _ = problems.to_string();
    }
});
