//! Running a sweep: every run of a shard in parallel across the cores, each run's row written
//! atomically to its own file the moment it finishes, runs already done skipped, and the tidy
//! table assembled from the row files once every run of the shard is in.
//!
//! A sweep folder holds `sweep.json` (the sweep's hash and spec: a folder belongs to one
//! sweep), `runs/run-NNNNNN.csv` (one row each, no header), `series/run-NNNNNN.csv` (full
//! series, where kept), and `results.csv` (or `results-shard-I-of-N.csv`): a header and one
//! row per run in run order — `run,combination,replicate,seed`, each parameter by its path,
//! `ticks_run`, then the kept metrics.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::plan::{Run, Shard};
use super::spec::{Keep, Sweep};
use crate::metrics::MetricsLog;
use crate::sim::Sim;

/// How to run a sweep.
#[derive(Clone, Debug)]
pub struct Options {
    /// The sweep folder.
    pub out: PathBuf,
    /// Which runs.
    pub shard: Shard,
}

/// What a call to [`run`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Runs in the shard.
    pub total: u64,
    /// Runs found already done and skipped.
    pub skipped: u64,
    /// Runs done by this call.
    pub ran: u64,
    /// The table written.
    pub table: PathBuf,
}

/// Why a sweep could not run.
#[derive(Debug)]
pub enum SweepError {
    /// The folder belongs to something else (exit status 2).
    Folder(String),
    /// Writing or a run failed (exit status 1).
    Io(io::Error),
}

impl std::fmt::Display for SweepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SweepError::Folder(m) => f.write_str(m),
            SweepError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<io::Error> for SweepError {
    fn from(e: io::Error) -> Self {
        SweepError::Io(e)
    }
}

/// The results table's header.
pub fn header(sweep: &Sweep) -> String {
    super::merge::header_of(&sweep.spec)
}

/// The row file of run `n`.
pub fn row_file(dir: &Path, n: u64) -> PathBuf {
    dir.join("runs").join(format!("run-{n:06}.csv"))
}

/// Run `n`'s series file, as its row names it (relative to the sweep folder).
pub fn series_name(n: u64) -> String {
    format!("series/run-{n:06}.csv")
}

/// Run `n`'s row, read from its row file: the row the sweep wrote for it, or refused.
fn read_row(sweep: &Sweep, dir: &Path, n: u64) -> Result<String, SweepError> {
    let path = row_file(dir, n);
    let text = fs::read_to_string(&path).unwrap_or_default();
    let again = "run the same command again";
    let (row, series) = super::merge::unseal_row(&sweep.spec, &sweep.hex(), n, &text)
        .map_err(|why| SweepError::Folder(super::merge::bad_row(&path, n, &why, again)))?;
    if let Some(want) = series {
        super::merge::check_series(dir, n, want, again).map_err(SweepError::Folder)?;
    }
    Ok(row.to_string())
}

/// Writes `bytes` to `path` atomically, inside a sweep's own folder (where it replaces the
/// sweep's earlier table as the sweep goes on), through `.NAME.partial-PID-CODE` beside it. A
/// sweep killed mid-write leaves that file marked with its (then dead) process; the next sweep
/// into the folder removes it ([`remove_stale_writes`]).
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    crate::outputs::write_in_own_folder(path, bytes)
}

/// Removes the staged writes (`.NAME.partial-PID-CODE`) that sweeps killed mid-write left in
/// `folder`, those of processes that no longer exist only.
fn remove_stale_writes(folder: &Path) -> io::Result<()> {
    let Ok(entries) = fs::read_dir(folder) else { return Ok(()) };
    let mut dests = std::collections::BTreeSet::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some((dest, _)) = name.strip_prefix('.').and_then(|n| n.rsplit_once(".partial-")) {
            dests.insert(dest.to_string());
        }
    }
    for dest in dests {
        crate::outputs::remove_stale_staging(&folder.join(dest), |_| false);
    }
    Ok(())
}

/// Runs one run of the sweep: its row (a CSV record, with its newline) and, where kept, its
/// series CSV; `None` when SIGINT or SIGTERM stopped it.
pub fn run_one(sweep: &Sweep, run: &Run) -> Option<(String, Option<String>)> {
    run_scenario(sweep, run, &sweep.scenario(run), &mut |_| {})
}

/// The parts a run counts for in [`run`]'s progress.
pub const PARTS: u64 = 1000;

/// [`run_one`] with the run's scenario already built (any replicate's: the seed is the run's).
/// One run's row and series, or `None` when SIGINT or SIGTERM stopped it (a sweep's runs can
/// be long; the run is done again when the sweep goes on). `advanced(p)` is told the
/// [`PARTS`] of the run done so far as they grow, a hundredth at a time at most.
fn run_scenario(
    sweep: &Sweep,
    run: &Run,
    s: &crate::scenario::Scenario,
    advanced: &mut dyn FnMut(u64),
) -> Option<(String, Option<String>)> {
    let mut sim = Sim::new(s, run.seed, s.run.ticks);
    let columns: Vec<String> = sim.world().resource::<MetricsLog>().columns().iter().map(|c| c.to_string()).collect();
    let mut wanted: Vec<&str> = sweep.spec.keep.iter().map(Keep::metric).collect();
    if let Some(stop) = &sweep.spec.stop {
        wanted.push(stop.metric());
    }
    wanted.sort_unstable();
    wanted.dedup();
    let index: Vec<usize> =
        wanted.iter().map(|m| columns.iter().position(|c| c == m).expect("checked at load")).collect();
    let col = |m: &str| wanted.iter().position(|w| *w == m).expect("wanted");
    let mut series: Vec<(u64, Vec<f64>)> = Vec::new();
    let take = |sim: &mut Sim, series: &mut Vec<(u64, Vec<f64>)>| {
        for (tick, row) in sim.drain().rows {
            series.push((tick, index.iter().map(|&i| row[i]).collect()));
        }
    };
    take(&mut sim, &mut series);
    let mut ticks_run = 0;
    // Told in hundredths of the run at most.
    let mut told = 0;
    while ticks_run < s.run.ticks {
        sim.step();
        if crate::outputs::interrupted() {
            return None;
        }
        ticks_run += 1;
        let parts = (ticks_run as u128 * PARTS as u128 / s.run.ticks as u128) as u64;
        if parts >= told + PARTS / 100 && parts < PARTS {
            advanced(parts);
            told = parts;
        }
        take(&mut sim, &mut series);
        if let Some(stop) = &sweep.spec.stop
            && stop.holds(series.last().expect("a row per tick").1[col(stop.metric())])
        {
            break;
        }
    }
    let mut row: Vec<String> = vec![run.number.to_string(), run.combination.to_string(), run.replicate.to_string()];
    row.push(run.seed.to_string());
    row.extend(run.values.iter().map(|v| v.to_string()));
    row.push(ticks_run.to_string());
    let mut series_csv = None;
    for keep in &sweep.spec.keep {
        let c = col(keep.metric());
        row.push(match keep {
            Keep::End(_) => series.last().map_or(f64::NAN, |r| r.1[c]).to_string(),
            Keep::Mean(_, n) => {
                let after: Vec<f64> = series.iter().skip(1).map(|r| r.1[c]).collect();
                let tail = &after[after.len().saturating_sub(*n as usize)..];
                crate::stats::mean(tail).to_string()
            }
            Keep::Series(_) => {
                if series_csv.is_none() {
                    let header = std::iter::once("tick").chain(wanted.iter().copied());
                    series_csv = Some(crate::tables::numbers_table(header, series.iter().cloned()));
                }
                series_name(run.number)
            }
        });
    }
    Some((crate::tables::line(&row), series_csv))
}

/// Checks that `dir` can hold this sweep (new, empty, or this sweep's own folder) and marks it
/// ([`run`] does it first; the command line does it before it says what it will run, so a
/// refused folder is not announced as a sweep starting).
pub fn claim(sweep: &Sweep, dir: &Path) -> Result<(), SweepError> {
    let marker = dir.join("sweep.json");
    if let Ok(m) = std::fs::symlink_metadata(dir)
        && !m.is_dir()
        && !m.file_type().is_symlink()
    {
        return Err(SweepError::Folder(format!(
            "{}: is {}, not a folder; choose another --out",
            dir.display(),
            crate::outputs::what_it_is(m.file_type())
        )));
    }
    if marker.is_file() {
        let text = fs::read_to_string(&marker)?;
        let theirs =
            serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| v["hash"].as_str().map(String::from));
        if theirs.as_deref() != Some(&sweep.hex()) {
            let why = super::merge::marker(dir)
                .map(|m| m.differs_from(&sweep.spec, &crate::run_json::played(&sweep.base), ["its runs", "this sweep"]))
                .unwrap_or_else(|_| "its sweep.json does not match this sweep".into());
            return Err(SweepError::Folder(format!(
                "{}: this folder holds a different sweep ({why})\n    hint: choose a new --out, or delete the folder to start over",
                dir.display()
            )));
        }
        // The hash is this sweep's, so the spec beside it must be too (merging and reporting
        // read it): one edited there would describe other runs than the folder holds.
        let m = super::merge::marker(dir).map_err(SweepError::Folder)?;
        if m.spec != sweep.spec || m.runs != sweep.runs() {
            return Err(SweepError::Folder(format!(
                "{}: its spec is not the one its hash stands for (the file was edited); Polity does not write into the folder
    hint: put back the sweep.json this sweep wrote, or choose a new --out",
                marker.display()
            )));
        }
    } else if dir.is_dir() {
        // A sweep killed while writing its marker leaves only `.sweep.json.partial-PID-CODE` (a
        // dead process's): the folder is still a new one, not someone else's.
        crate::outputs::remove_stale_staging(&marker, |_| false);
        let names: Vec<String> =
            fs::read_dir(dir)?.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        if !names.is_empty()
            && names.iter().all(|n| n.starts_with(".sweep.json.partial") && crate::outputs::staged_pid(n).is_some())
        {
            // A live process's marker, being written this instant (a dead one's was removed).
            return Err(SweepError::Folder(format!(
                "{}: another sweep is starting in this folder right now (writing its sweep.json)\n    hint: run this one again in a moment (it takes up the same sweep's folder and skips the finished runs), or choose another --out",
                dir.display()
            )));
        }
        if !names.is_empty() {
            return Err(SweepError::Folder(format!(
                "{}: the folder exists and is not a sweep folder (no sweep.json); refusing to write into it\n    hint: choose a new --out",
                dir.display()
            )));
        }
    }
    // The marker first, then the folders it owns: a sweep killed in between leaves a folder
    // that is empty or marked, which the next sweep takes up, never an unmarked `runs/` that
    // it would refuse.
    fs::create_dir_all(dir)?;
    remove_stale_writes(dir)?;
    if !marker.is_file() {
        let policies = crate::run_json::played(&sweep.base);
        write_atomic(&marker, super::merge::marker_text(&sweep.spec, sweep.hash, sweep.runs(), &policies).as_bytes())?;
    }
    fs::create_dir_all(dir.join("runs"))?;
    if sweep.spec.keep.iter().any(|k| matches!(k, Keep::Series(_))) {
        fs::create_dir_all(dir.join("series"))?;
    }
    for folder in [dir.join("runs"), dir.join("series")] {
        remove_stale_writes(&folder)?;
    }
    Ok(())
}

/// The table's file name for a shard.
pub fn table_name(shard: Shard) -> String {
    if shard == Shard::ALL {
        "results.csv".into()
    } else {
        format!("results-shard-{}-of-{}.csv", shard.index, shard.count)
    }
}

/// Runs the shard's runs not yet done, then writes the table of the shard. `progress(done,
/// total)` counts in [`PARTS`] of a run: told as each run goes and when it ends.
pub fn run(sweep: &Sweep, opts: &Options, progress: impl Fn(u64, u64) + Sync) -> Result<Outcome, SweepError> {
    let dir = &opts.out;
    claim(sweep, dir)?;
    let table = dir.join(table_name(opts.shard));
    let table_was_there = fs::symlink_metadata(&table).is_ok();
    let mine: Vec<u64> = (0..sweep.runs()).filter(|&n| opts.shard.has(n)).collect();
    let (done, pending): (Vec<u64>, Vec<u64>) = mine.iter().partition(|&&n| row_file(dir, n).is_file());
    // The rows already there go into the table as they are: each must be the run's own.
    for &n in &done {
        read_row(sweep, dir, n)?;
    }
    let total = mine.len() as u64;
    let skipped = total - pending.len() as u64;
    let done = AtomicU64::new(skipped * PARTS);
    // Each combination's scenario is built (spliced, parsed, validated) once, for all its
    // replicates: parsing costs as much as a short run.
    let scenarios: Vec<std::sync::OnceLock<crate::scenario::Scenario>> =
        (0..sweep.combinations()).map(|_| std::sync::OnceLock::new()).collect();
    progress(skipped * PARTS, total * PARTS);
    // The runs go to the thread pool (crate::parallel) one at a time; the first failure or an
    // interruption stops the others from starting.
    use rayon::prelude::*;
    let ran = pending.par_iter().with_max_len(1).try_for_each(|&n| -> io::Result<()> {
        crate::outputs::check_interrupt()?;
        let run = sweep.run(n);
        let s = scenarios[run.combination as usize].get_or_init(|| sweep.scenario(&run));
        let mut counted = 0;
        let mut advanced = |parts: u64| {
            progress(done.fetch_add(parts - counted, Ordering::Relaxed) + parts - counted, total * PARTS);
            counted = parts;
        };
        let Some((row, series)) = run_scenario(sweep, &run, s, &mut advanced) else {
            return crate::outputs::check_interrupt();
        };
        // A failed write (a full disk) names its file, and what is kept to go on from.
        let write = |path: &Path, bytes: &[u8]| {
            write_atomic(path, bytes).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "{}: {e}; the finished runs are kept in {}\n    hint: make room (or mend the cause), then run the same command again to go on where it stopped",
                        path.display(),
                        dir.display()
                    ),
                )
            })
        };
        if let Some(text) = &series {
            let path = dir.join(series_name(n));
            // A series file with no row is one this sweep wrote before it was stopped (the
            // same bytes: a run repeats exactly), or not the sweep's: never replaced.
            match fs::read(&path) {
                Ok(there) if there == text.as_bytes() => {}
                Ok(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!(
                            "{}: a file that is not this run's series is there; Polity does not replace it (the finished runs are kept in {})\n    hint: move it away, then run the same command again",
                            path.display(),
                            dir.display()
                        ),
                    ));
                }
                Err(_) => write(&path, text.as_bytes())?,
            }
        }
        let sealed = super::merge::sealed_row(&sweep.hex(), n, &row, series.as_deref().map(str::as_bytes));
        write(&row_file(dir, n), sealed.as_bytes())?;
        advanced(PARTS);
        Ok(())
    });
    if let Err(e) = ran
        && e.kind() != io::ErrorKind::Interrupted
    {
        return Err(SweepError::Io(e));
    }
    if crate::outputs::interrupted() {
        return Err(SweepError::Io(io::Error::new(
            io::ErrorKind::Interrupted,
            format!(
                "interrupted by SIGINT or SIGTERM; the finished runs are kept in {}\n    hint: run the same command again to go on where it stopped",
                dir.display()
            ),
        )));
    }
    // Something put where the table goes while the runs ran is a failure of the work (exit 1),
    // not bad input: the runs were done and are kept (it ended with status 2, "nothing written").
    write_table(sweep, dir, &mine, &table).map_err(|e| match e {
        SweepError::Folder(_) if !table_was_there => SweepError::Io(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{}: appeared while the sweep ran; Polity does not replace it (the runs are kept)\n    hint: move it away or rename it, then run the same command again to write the table",
                table.display()
            ),
        )),
        e => e,
    })?;
    Ok(Outcome { total, skipped, ran: pending.len() as u64, table })
}

/// Writes the table of runs `runs` (all done) from their row files, atomically. A table
/// already there is left as it is when it holds just that; one that holds anything else (a
/// note added, a row edited or cut) is not provably the sweep's own, and is refused, not
/// replaced.
pub fn write_table(sweep: &Sweep, dir: &Path, runs: &[u64], table: &Path) -> Result<(), SweepError> {
    let mut text = header(sweep);
    for &n in runs {
        text.push_str(&read_row(sweep, dir, n)?);
    }
    if table.exists() {
        if fs::read(table).is_ok_and(|old| old == text.as_bytes()) {
            return Ok(());
        }
        return Err(SweepError::Folder(format!(
            "{}: the table there is not the one this sweep's runs give (edited since the sweep wrote it?); Polity does not replace it (the runs are kept)\n    hint: move it away or rename it, then run the same command again to write the table afresh",
            table.display()
        )));
    }
    Ok(write_atomic(table, text.as_bytes())?)
}
