//! Joining shards: the row files of several sweep folders (one per shard, or copies from
//! cluster nodes) into one table, after checking they come from the same sweep, that a run
//! found twice has the same row, and that no run is missing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::spec::{Keep, SweepSpec};

/// A sweep folder's `sweep.json`.
#[derive(Clone, Debug)]
pub struct Marker {
    /// The sweep's hash.
    pub hash: String,
    /// How many runs the sweep has.
    pub runs: u64,
    /// The spec.
    pub spec: SweepSpec,
}

/// The text of a sweep folder's `sweep.json`: Polity's version, the sweep's hash, its number
/// of runs and its spec, written with [`crate::json`] so infinite values survive.
pub fn marker_text(spec: &SweepSpec, hash: u64, runs: u64) -> String {
    #[derive(serde::Serialize)]
    struct File<'a> {
        polity_version: &'a str,
        hash: String,
        runs: u64,
        spec: &'a SweepSpec,
    }
    let file = File { polity_version: crate::VERSION, hash: format!("{hash:016x}"), runs, spec };
    crate::json::to_string_pretty(&file).expect("specs serialise") + "\n"
}

/// Reads a sweep folder's `sweep.json`.
pub fn marker(dir: &Path) -> Result<Marker, String> {
    let path = dir.join("sweep.json");
    let text = fs::read_to_string(&path).map_err(|e| {
        format!("{}: cannot read: {e}\n    hint: give folders written by `polity sweep`", path.display())
    })?;
    #[derive(serde::Deserialize)]
    struct File {
        #[serde(default)]
        hash: String,
        #[serde(default)]
        runs: u64,
        spec: SweepSpec,
    }
    let f: File = crate::json::from_str(&text).map_err(|e| {
        let at = crate::json::path_at(&text, e.line, e.column).map(|p| format!("{p}: ")).unwrap_or_default();
        format!("{}:{}:{}: {at}{}", path.display(), e.line, e.column, e.message)
    })?;
    Ok(Marker { hash: f.hash, runs: f.runs, spec: f.spec })
}

/// The table header of a spec (as [`super::runner::header`]): a CSV record with its newline.
pub fn header_of(spec: &SweepSpec) -> String {
    let mut cols: Vec<String> = ["run", "combination", "replicate", "seed"].map(String::from).to_vec();
    cols.extend(spec.parameters.iter().map(|p| p.path.clone()));
    cols.push("ticks_run".into());
    cols.extend(spec.keep.iter().map(Keep::column));
    crate::tables::line(&cols)
}

/// Joins the runs found in `dirs` into the table `out` (a file, or a folder to hold
/// `results.csv`), which must not exist unless `force`. Returns the table's path and how many
/// runs it holds.
pub fn merge(dirs: &[PathBuf], out: &Path, force: bool) -> Result<(PathBuf, u64), String> {
    let table = if out.is_dir() { out.join("results.csv") } else { out.to_path_buf() };
    let table = crate::outputs::check_file(&table, force).map_err(|e| e.0)?;
    let first = dirs.first().ok_or("name at least one sweep folder")?;
    let m = marker(first)?;
    let mut rows: BTreeMap<u64, (String, PathBuf)> = BTreeMap::new();
    for dir in dirs {
        let theirs = marker(dir)?;
        if theirs.hash != m.hash {
            return Err(format!(
                "{} and {} hold different sweeps (hashes {} and {}); only shards of one sweep can be merged",
                first.display(),
                dir.display(),
                m.hash,
                theirs.hash
            ));
        }
        let runs = dir.join("runs");
        let entries = fs::read_dir(&runs).map_err(|e| format!("{}: {e}", runs.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let Some(n) = name.strip_prefix("run-").and_then(|s| s.strip_suffix(".csv")).and_then(|s| s.parse().ok())
            else {
                continue; // temporary files of a run being written
            };
            let row = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            match rows.get(&n) {
                Some((other, from)) if *other != row => {
                    return Err(format!(
                        "run {n} differs between {} and {}; the folders were not made by the same Polity and sweep",
                        from.display(),
                        dir.display()
                    ));
                }
                _ => {
                    rows.insert(n, (row, dir.clone()));
                }
            }
        }
    }
    let missing: Vec<u64> = (0..m.runs).filter(|n| !rows.contains_key(n)).collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(12).map(u64::to_string).collect();
        return Err(format!(
            "{} of {} runs are missing: {}{}\n    hint: run the shards that hold them (`polity sweep FILE --shard I/N`), then merge again",
            missing.len(),
            m.runs,
            shown.join(", "),
            if missing.len() > 12 { ", …" } else { "" }
        ));
    }
    // A kept series is named relative to its sweep folder; in the merged table it is named
    // relative to the table's folder, so the link still leads to the file.
    let first_series = 4 + m.spec.parameters.len() + 1;
    let series_cols: Vec<usize> = (m.spec.keep.iter().enumerate())
        .filter(|(_, k)| matches!(k, Keep::Series(_)))
        .map(|(i, _)| first_series + i)
        .collect();
    let table_dir = table.parent().unwrap_or(Path::new("/"));
    let mut text = header_of(&m.spec);
    for (row, dir) in rows.values() {
        if series_cols.is_empty() {
            text.push_str(row);
            continue;
        }
        let mut cells: Vec<String> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(row.as_bytes())
            .records()
            .next()
            .and_then(Result::ok)
            .map(|r| r.iter().map(String::from).collect())
            .unwrap_or_default();
        let dir = crate::outputs::absolute(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for &c in &series_cols {
            if let Some(cell) = cells.get_mut(c) {
                *cell = relative(table_dir, &dir.join(&*cell)).display().to_string();
            }
        }
        text.push_str(&crate::tables::line(&cells));
    }
    crate::outputs::write_file(&table, text.as_bytes(), force).map_err(|e| format!("{}: {e}", table.display()))?;
    Ok((table, m.runs))
}

/// `target` as a path relative to the folder `base` (both absolute): `..` up to their common
/// folder, then down.
fn relative(base: &Path, target: &Path) -> PathBuf {
    let (b, t): (Vec<_>, Vec<_>) = (base.components().collect(), target.components().collect());
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    out.extend(&t[common..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_to_the_common_folder() {
        let r = |b: &str, t: &str| relative(Path::new(b), Path::new(t)).display().to_string();
        assert_eq!(r("/a/b", "/a/b/series/x.csv"), "series/x.csv");
        assert_eq!(r("/a/merged", "/a/shard-1/series/x.csv"), "../shard-1/series/x.csv");
        assert_eq!(r("/x/y/z", "/a/s.csv"), "../../../a/s.csv");
    }
}
