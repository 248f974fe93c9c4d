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
    /// The policy files its runs play (`--policy` or the scenario's `weights`), with their
    /// weights' hashes; `None` in folders written before they were listed.
    pub policies: Option<Vec<crate::run_json::PlayedPolicy>>,
}

impl Marker {
    /// Why a sweep with this spec and these policies is not the one this marker holds (their
    /// hashes differ): the policies played, the sweep file, or else the base scenario or ticks.
    /// `names`: what to call this marker's sweep and the other one in the message.
    pub fn differs_from(
        &self,
        spec: &SweepSpec,
        policies: &[crate::run_json::PlayedPolicy],
        names: [&str; 2],
    ) -> String {
        let show = |ps: &[crate::run_json::PlayedPolicy]| {
            if ps.is_empty() {
                return "no policy file".to_string();
            }
            let each: Vec<String> =
                ps.iter().map(|p| format!("{}={} (weights {})", p.group, p.file, p.weights_hash)).collect();
            each.join(", ")
        };
        let json = |s: &SweepSpec| crate::json::to_string_pretty(s).unwrap_or_default();
        let [this, other] = names;
        if let Some(theirs) = self.policies.as_deref().filter(|&t| t != policies) {
            format!("{this} played {}; {other} plays {}", show(theirs), show(policies))
        } else if json(&self.spec) != json(spec) {
            format!("{this} and {other} have different sweep files")
        } else {
            format!("{this} and {other} differ in the base scenario, the ticks or the policy files played")
        }
    }
}

/// The text of a sweep folder's `sweep.json`: Polity's version, the sweep's hash, its number
/// of runs, its spec and the policy files it plays, written with [`crate::json`] so infinite
/// values survive.
pub fn marker_text(spec: &SweepSpec, hash: u64, runs: u64, policies: &[crate::run_json::PlayedPolicy]) -> String {
    #[derive(serde::Serialize)]
    struct File<'a> {
        polity_version: &'a str,
        hash: String,
        runs: u64,
        spec: &'a SweepSpec,
        policies: &'a [crate::run_json::PlayedPolicy],
    }
    let file = File { polity_version: crate::VERSION, hash: format!("{hash:016x}"), runs, spec, policies };
    crate::json::to_string_pretty(&file).expect("specs serialise") + "\n"
}

/// Reads a sweep folder's `sweep.json`.
pub fn marker(dir: &Path) -> Result<Marker, String> {
    let path = dir.join("sweep.json");
    let text = crate::input::read_text(&path).map_err(|e| {
        format!("{}: cannot read: {e}\n    hint: give folders written by `polity sweep`", path.display())
    })?;
    #[derive(serde::Deserialize)]
    struct File {
        #[serde(default)]
        hash: String,
        #[serde(default)]
        runs: u64,
        spec: SweepSpec,
        #[serde(default)]
        policies: Option<Vec<crate::run_json::PlayedPolicy>>,
    }
    let f: File = crate::json::from_str(&text).map_err(|e| {
        let at = crate::json::path_at(&text, e.line, e.column).map(|p| format!("{p}: ")).unwrap_or_default();
        format!("{}:{}:{}: {at}{}", path.display(), e.line, e.column, e.message)
    })?;
    Ok(Marker { hash: f.hash, runs: f.runs, spec: f.spec, policies: f.policies })
}

/// The table header of a spec (as [`super::runner::header`]): a CSV record with its newline.
pub fn header_of(spec: &SweepSpec) -> String {
    let mut cols: Vec<String> = ["run", "combination", "replicate", "seed"].map(String::from).to_vec();
    cols.extend(spec.parameters.iter().map(|p| p.path.clone()));
    cols.push("ticks_run".into());
    cols.extend(spec.keep.iter().map(Keep::column));
    crate::tables::line(&cols)
}

/// Checks that `row` (a row file's text) is a row the sweep of `spec` writes for run `n`: one
/// CSV record and its newline, as many fields as the table has columns, the run's number,
/// combination, replicate and seed, numbers where the table has numbers and the run's series
/// file where it keeps one. (A value edited into another number is not found: the row files
/// are the sweep's own, and this catches what damage leaves, an empty file, a line of
/// something else, a row moved from another run's file.) Returns why not.
pub fn check_row(spec: &SweepSpec, n: u64, row: &str) -> Result<(), String> {
    let Some(line) = row.strip_suffix('\n').filter(|l| !l.contains('\n')) else {
        return Err(if row.is_empty() { "it is empty".into() } else { "it is not one line".into() });
    };
    let cells = cells_of(line).ok_or("it is not a CSV row")?;
    let columns = 4 + spec.parameters.len() + 1 + spec.keep.len();
    if cells.len() != columns {
        return Err(format!("it has {} fields where the table has {columns} columns", cells.len()));
    }
    let reps = spec.replicates.max(1) as u64;
    let (combination, replicate) = (n / reps, n % reps);
    let seed = match spec.seeds.rule {
        super::spec::SeedKind::PerReplicate => spec.seeds.from + replicate,
        super::spec::SeedKind::PerRun => spec.seeds.from + n,
    };
    for (k, (name, want)) in
        [("run", n), ("combination", combination), ("replicate", replicate), ("seed", seed)].into_iter().enumerate()
    {
        if cells[k] != want.to_string() {
            return Err(format!("its {name} is `{}`, not {want}", cells[k]));
        }
    }
    let kept = 4 + spec.parameters.len() + 1;
    for (k, cell) in cells.iter().enumerate().skip(4) {
        let series = k >= kept && matches!(spec.keep[k - kept], Keep::Series(_));
        let ok = if series { *cell == super::runner::series_name(n) } else { cell.parse::<f64>().is_ok() };
        if !ok {
            return Err(format!("its field {} is `{cell}`", k + 1));
        }
    }
    Ok(())
}

/// The line that ends a run's row file: a digest of the sweep's hash, the run's number and
/// its row, so a row edited after the sweep wrote it (or copied from another run or sweep) is
/// told from the run's own.
fn row_digest(hash: &str, n: u64, row: &str) -> String {
    let mut h = crate::hash::Fnv::new();
    h.write(hash.as_bytes());
    h.write(&n.to_le_bytes());
    h.write(row.as_bytes());
    format!("# digest {:016x}\n", h.finish())
}

/// What the sweep with hash `hash` writes in run `n`'s row file: the row (one CSV record and
/// its newline), the hash of its series file where it keeps one (`series`: the file's bytes),
/// then its digest line (of the row and that line).
pub fn sealed_row(hash: &str, n: u64, row: &str, series: Option<&[u8]>) -> String {
    let series = series.map_or(String::new(), |bytes| format!("# series {}\n", crate::hash::hex(bytes)));
    let sealed = format!("{row}{series}");
    format!("{sealed}{}", row_digest(hash, n, &sealed))
}

/// The row in run `n`'s row file `text` of the sweep with hash `hash` and spec `spec`, and the
/// hash its series file had when the sweep wrote it (where it keeps one); or why it is not
/// the row that sweep wrote for that run.
pub fn unseal_row<'a>(
    spec: &SweepSpec,
    hash: &str,
    n: u64,
    text: &'a str,
) -> Result<(&'a str, Option<&'a str>), String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let keeps_series = spec.keep.iter().any(|k| matches!(k, Keep::Series(_)));
    let want = if keeps_series { 3 } else { 2 };
    let (row, series, digest) = match lines[..] {
        [row, digest] if !keeps_series => (row, None, digest),
        [row, series, digest] if keeps_series => (row, Some(series), digest),
        [_, _] if keeps_series => {
            return Err("it has no hash of its series file: it was edited, or written by a Polity older than \
                        2026-12-07, whose series files cannot be checked"
                .into());
        }
        _ => {
            return Err(match lines.len() {
                0 => "it is empty".into(),
                1 => "it has no digest line: it was edited, or written by a Polity older than 2026-12-05".into(),
                k => format!(
                    "it has {k} lines where a row file has {want} (the row{}, its digest)",
                    if keeps_series { ", its series file's hash" } else { "" }
                ),
            });
        }
    };
    check_row(spec, n, row)?;
    let sealed = &text[..row.len() + series.map_or(0, str::len)];
    if digest != row_digest(hash, n, sealed) {
        return Err("its digest does not match the row: it was edited, or is another run's or sweep's".into());
    }
    let series = match series {
        Some(line) => Some(
            line.strip_prefix("# series ")
                .and_then(|h| h.strip_suffix('\n'))
                .filter(|h| h.len() == 16)
                .ok_or("its second line is not its series file's hash")?,
        ),
        None => None,
    };
    Ok((row, series))
}

/// Checks that run `n`'s series file in the sweep folder `dir` is the one the sweep wrote
/// (its hash `want`, from the row file): a series edited, replaced or deleted since is not
/// used, nor replaced. `again` says how to run the run again.
pub fn check_series(dir: &Path, n: u64, want: &str, again: &str) -> Result<(), String> {
    let path = dir.join(super::runner::series_name(n));
    let why = match fs::read(&path) {
        Ok(bytes) if crate::hash::hex(&bytes) == want => return Ok(()),
        Ok(_) => "it changed since the sweep wrote it",
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "it is missing",
        Err(_) => "it cannot be read",
    };
    Err(format!(
        "{}: this is not the series the sweep wrote for run {n} ({why}); Polity neither uses nor replaces it\n    \
         hint: if it was damaged, move it away, delete the run's row file {} and {again}: the run is run again",
        path.display(),
        super::runner::row_file(dir, n).display()
    ))
}

/// The fields of the first CSV record in `text`, if it holds one.
fn cells_of(text: &str) -> Option<Vec<String>> {
    let record = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes()).records().next()?;
    Some(record.ok()?.iter().map(String::from).collect())
}

/// The problem with a sweep's row file `path` for run `n` that is not a row the sweep wrote
/// (`why`, from [`check_row`]), with what to do: `again` says how to run it again.
pub fn bad_row(path: &Path, n: u64, why: &str, again: &str) -> String {
    format!(
        "{}: this is not the row the sweep wrote for run {n} ({why}); Polity neither uses nor replaces it\n    hint: if it was damaged, delete it and {again}: the run is run again",
        path.display()
    )
}

/// Joins the runs found in `dirs` into the table `out` (a file, or a folder to hold
/// `results.csv`), which must not exist unless `force`. Returns the table's path and how many
/// runs it holds.
pub fn merge(dirs: &[PathBuf], out: &Path, force: bool) -> Result<(PathBuf, u64), String> {
    // `DIR/` names a folder even before it exists (it was written as a file named DIR), and so
    // does a new name without an extension, as `record --out` reads one.
    let folder = out.is_dir()
        || out.as_os_str().as_encoded_bytes().ends_with(b"/")
        || (out.extension().is_none() && std::fs::symlink_metadata(out).is_err());
    let table = if folder { out.join("results.csv") } else { out.to_path_buf() };
    let inputs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    crate::outputs::not_an_input(&table, &inputs).map_err(|e| e.0)?;
    let table = crate::outputs::check_file(&table, force).map_err(|e| e.0)?;
    let first = dirs.first().ok_or("name at least one sweep folder")?;
    // A folder given twice (or once more through a link) was merged and counted twice.
    let mut seen: Vec<(PathBuf, &PathBuf)> = Vec::new();
    for dir in dirs {
        let real = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        if let Some((_, earlier)) = seen.iter().find(|(r, _)| *r == real) {
            return Err(format!(
                "{} and {} are the same folder\n    hint: give each shard's folder once",
                earlier.display(),
                dir.display()
            ));
        }
        seen.push((real, dir));
    }
    let m = marker(first)?;
    let mut rows: BTreeMap<u64, (String, PathBuf)> = BTreeMap::new();
    for dir in dirs {
        let theirs = marker(dir)?;
        if theirs.hash != m.hash {
            return Err(format!(
                "{} and {} hold different sweeps (hashes {} and {}: {}); only shards of one sweep can be merged",
                first.display(),
                dir.display(),
                m.hash,
                theirs.hash,
                theirs.differs_from(&m.spec, m.policies.as_deref().unwrap_or_default(), ["the second", "the first"])
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
            let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let again = "run its shard again (`polity sweep FILE --shard I/N`)";
            let (row, series) = unseal_row(&m.spec, &m.hash, n, &text).map_err(|why| bad_row(&path, n, &why, again))?;
            if let Some(want) = series {
                check_series(dir, n, want, again)?;
            }
            let row = row.to_string();
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
        let mut cells = cells_of(row).unwrap_or_default();
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
