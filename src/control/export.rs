//! Export names and writes: fresh file names that never replace a file, the stem of the
//! world now, atomic writes.

use std::io;
use std::path::{Path, PathBuf};

use crate::sim::{ScenarioRes, Sim};

/// Writes `contents` to `path` atomically (a temporary file beside it, flushed, renamed),
/// creating its folder. Never replaces a file: exports take fresh names ([`export_path`]).
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    crate::outputs::write_file(path, contents, false)
}

/// A fresh file name in `dir`: `STEM.EXT`, or `STEM-2.EXT`, `STEM-3.EXT`, … when taken.
pub fn export_path(dir: &Path, stem: &str, ext: &str) -> PathBuf {
    let first = dir.join(format!("{stem}.{ext}"));
    if !first.exists() {
        return first;
    }
    (2u32..).map(|k| dir.join(format!("{stem}-{k}.{ext}"))).find(|p| !p.exists()).expect("some name is free")
}

/// The stem of export names for the world now: `NAME-seedS-tTICK`.
pub fn export_stem(sim: &Sim) -> String {
    let w = sim.world();
    let clock = sim.clock();
    format!("{}-seed{}-t{}", crate::outputs::file_stem(&w.resource::<ScenarioRes>().0.name), clock.seed, clock.tick)
}
