//! The headless runner: steps a [`Sim`] and streams its outputs into a run folder.
//!
//! A run folder holds `metrics.csv` (one row per tick, from tick 0), `agents.csv` (every
//! agent at each sample tick), `events.jsonl` (one JSON object per event), `run.json` (the
//! Polity version, scenario name, seed, ticks, final state hash and the fully resolved
//! scenario — `polity run DIR/run.json` repeats the run from it alone) and `scenario.ron`
//! (the same resolved scenario as RON, to edit and run again).
//!
//! Files are written into a hidden staging folder beside the target and moved into place
//! only when the run has finished, so a failed or interrupted run never leaves a half-written
//! run folder behind.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::metrics::{AgentSamples, Column, EventLog, MetricsLog};
use crate::scenario::Scenario;
use crate::sim::Sim;

/// What to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Ticks to run.
    pub ticks: u64,
    /// The seed.
    pub seed: u64,
}

/// What a finished run reports.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// Ticks run.
    pub ticks: u64,
    /// The seed used.
    pub seed: u64,
    /// Metric column names (without `tick`).
    pub columns: Vec<Column>,
    /// The last metrics row.
    pub last: Vec<f64>,
    /// Digest of the final state.
    pub state_hash: u64,
    /// Events logged.
    pub events: u64,
    /// Apples picked by all agents.
    pub picked: u64,
}

impl RunSummary {
    /// The final value of a metric column.
    pub fn metric(&self, column: &str) -> Option<f64> {
        self.columns.iter().position(|c| *c == column).map(|i| self.last[i])
    }
}

/// Where a run's rows go.
pub trait Sink {
    /// The metric column names, once, before any row.
    fn header(&mut self, columns: &[Column]) -> io::Result<()>;
    /// Everything measured since the last call.
    fn take(&mut self, sim: &mut Sim) -> io::Result<()>;
}

/// A sink that keeps nothing but the last row (for tests and benchmarks).
#[derive(Default)]
pub struct Discard;

impl Sink for Discard {
    fn header(&mut self, _: &[Column]) -> io::Result<()> {
        Ok(())
    }
    fn take(&mut self, sim: &mut Sim) -> io::Result<()> {
        let w = sim.world_mut();
        w.resource_mut::<MetricsLog>().drain();
        w.resource_mut::<AgentSamples>().drain();
        w.resource_mut::<EventLog>().drain();
        Ok(())
    }
}

/// Runs `scenario` for `opts`, passing every tick's measurements to `sink` and calling
/// `progress(tick)` after each tick.
pub fn run_with(
    scenario: &Scenario,
    opts: &RunOptions,
    sink: &mut dyn Sink,
    mut progress: impl FnMut(u64),
) -> io::Result<RunSummary> {
    let mut sim = Sim::new(scenario, opts.seed, opts.ticks);
    let columns = sim.world().resource::<MetricsLog>().columns().to_vec();
    sink.header(&columns)?;
    let mut last = Vec::new();
    let mut events = 0u64;
    let take = |sim: &mut Sim, sink: &mut dyn Sink, last: &mut Vec<f64>, events: &mut u64| -> io::Result<()> {
        if let Some((_, row)) = peek_last(sim) {
            *last = row;
        }
        *events += sim.world().resource::<EventLog>().len() as u64;
        sink.take(sim)
    };
    take(&mut sim, sink, &mut last, &mut events)?;
    for _ in 0..opts.ticks {
        sim.step();
        take(&mut sim, sink, &mut last, &mut events)?;
        progress(sim.tick());
    }
    let picked = sim.world_mut().query::<&crate::agents::Ledger>().iter(sim.world()).map(|l| l.picked).sum();
    Ok(RunSummary { ticks: opts.ticks, seed: opts.seed, columns, last, state_hash: sim.state_hash(), events, picked })
}

fn peek_last(sim: &Sim) -> Option<(u64, Vec<f64>)> {
    sim.world().resource::<MetricsLog>().last().cloned()
}

/// Writes CSV and JSONL into a folder.
pub struct FolderSink {
    metrics: BufWriter<File>,
    agents: BufWriter<File>,
    events: BufWriter<File>,
}

impl FolderSink {
    /// Creates the three stream files in `dir`.
    pub fn create(dir: &Path) -> io::Result<Self> {
        let open = |name: &str| File::create(dir.join(name)).map(|f| BufWriter::with_capacity(1 << 16, f));
        let mut s =
            FolderSink { metrics: open("metrics.csv")?, agents: open("agents.csv")?, events: open("events.jsonl")? };
        writeln!(s.agents, "tick,id,kind,selfishness,power,x,y,apples,wealth,reward")?;
        Ok(s)
    }
    /// Reopens the stream files of a staged run, cut back to `bytes` (metrics, agents,
    /// events), to append to.
    pub fn reopen(dir: &Path, bytes: [u64; 3]) -> io::Result<Self> {
        let open = |name: &str, len: u64| -> io::Result<BufWriter<File>> {
            let f = fs::OpenOptions::new().write(true).open(dir.join(name))?;
            if f.metadata()?.len() < len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{name} is shorter than {len} bytes"),
                ));
            }
            f.set_len(len)?;
            let mut f = f;
            use std::io::Seek;
            f.seek(io::SeekFrom::End(0))?;
            Ok(BufWriter::with_capacity(1 << 16, f))
        };
        Ok(FolderSink {
            metrics: open("metrics.csv", bytes[0])?,
            agents: open("agents.csv", bytes[1])?,
            events: open("events.jsonl", bytes[2])?,
        })
    }
    /// Writes out what is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.metrics.flush()?;
        self.agents.flush()?;
        self.events.flush()
    }
    /// The stream files' lengths (after a [`FolderSink::flush`]).
    pub fn lengths(&self) -> io::Result<[u64; 3]> {
        Ok([
            self.metrics.get_ref().metadata()?.len(),
            self.agents.get_ref().metadata()?.len(),
            self.events.get_ref().metadata()?.len(),
        ])
    }
    /// Flushes everything.
    pub fn finish(mut self) -> io::Result<()> {
        self.flush()
    }
}

impl Sink for FolderSink {
    fn header(&mut self, columns: &[Column]) -> io::Result<()> {
        write!(self.metrics, "tick")?;
        for c in columns {
            write!(self.metrics, ",{c}")?;
        }
        writeln!(self.metrics)
    }
    fn take(&mut self, sim: &mut Sim) -> io::Result<()> {
        let w = sim.world_mut();
        for (tick, row) in w.resource_mut::<MetricsLog>().drain() {
            write!(self.metrics, "{tick}")?;
            for v in row {
                write!(self.metrics, ",{v}")?;
            }
            writeln!(self.metrics)?;
        }
        for r in w.resource_mut::<AgentSamples>().drain() {
            writeln!(
                self.agents,
                "{},{},{},{},{},{},{},{},{},{}",
                r.tick, r.id, r.kind, r.selfishness, r.power, r.x, r.y, r.apples, r.wealth, r.reward
            )?;
        }
        for e in w.resource_mut::<EventLog>().drain() {
            serde_json::to_writer(&mut self.events, &e)?;
            writeln!(self.events)?;
        }
        Ok(())
    }
}

/// A problem with an output folder, found before any work starts.
#[derive(Debug)]
pub struct OutDirError(pub String);

impl std::fmt::Display for OutDirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks that `dir` can become a run folder: it must not exist, be an empty folder, or be an
/// earlier run folder (one with `run.json`), which the new run replaces when it finishes.
pub fn check_out_dir(dir: &Path) -> Result<(), OutDirError> {
    if dir.is_file() {
        return Err(OutDirError(format!("{}: is a file, not a folder; choose another --out", dir.display())));
    }
    if dir.is_dir() {
        let empty = fs::read_dir(dir).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !empty && !dir.join("run.json").is_file() {
            return Err(OutDirError(format!(
                "{}: the folder exists and is not a Polity run folder (no run.json); refusing to overwrite it\n    hint: choose a new --out, or empty the folder",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// The hidden staging folder for `dir`.
fn staging_dir(dir: &Path) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "run".into());
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join(format!(".{name}.partial-{}", std::process::id()))
}

/// Runs `scenario` into the folder `dir` (see the module docs). Call [`check_out_dir`] first.
pub fn run_to_dir(
    scenario: &Scenario,
    opts: &RunOptions,
    dir: &Path,
    progress: impl FnMut(u64),
) -> io::Result<RunSummary> {
    run_to_dir_checkpointed(scenario, opts, dir, None, progress)
}

/// The staging folder of a checkpointed run into `dir`: `.NAME.partial` beside it, the same
/// for every attempt, so a killed run can be found and resumed.
pub fn checkpoint_stage(dir: &Path) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "run".into());
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join(format!(".{name}.partial"))
}

/// [`run_to_dir`], saving a checkpoint every `every` ticks (when given) as
/// `checkpoint.ron` in the staging folder ([`checkpoint_stage`]), which an interrupted run
/// leaves behind for [`resume`].
pub fn run_to_dir_checkpointed(
    scenario: &Scenario,
    opts: &RunOptions,
    dir: &Path,
    every: Option<u64>,
    progress: impl FnMut(u64),
) -> io::Result<RunSummary> {
    let stage = if every.is_some() { checkpoint_stage(dir) } else { staging_dir(dir) };
    if every.is_some() && stage.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "an interrupted run into {} is waiting in {}\n    hint: resume it with `polity run --resume {}`, or delete that folder to start over",
                dir.display(),
                stage.display(),
                stage.join("checkpoint.ron").display()
            ),
        ));
    }
    if let Some(parent) = stage.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::create_dir_all(&stage)?;
    let result = (|| {
        let mut sink = FolderSink::create(&stage)?;
        let mut sim = Sim::new(scenario, opts.seed, opts.ticks);
        let columns = sim.world().resource::<MetricsLog>().columns().to_vec();
        sink.header(&columns)?;
        let mut progress_of = Progress::default();
        progress_of.take(&mut sim, &mut sink)?;
        let mut resolved = scenario.resolved();
        resolved.run.ticks = opts.ticks;
        resolved.run.seed = opts.seed;
        drive(sim, sink, progress_of, &Target { resolved: &resolved, dir, stage: &stage, every }, progress)
    })();
    if result.is_err() && every.is_none() {
        let _ = fs::remove_dir_all(&stage);
    }
    result
}

/// Why a run could not be resumed.
#[derive(Debug)]
pub enum ResumeError {
    /// The checkpoint could not be read or is not one of a run folder (exit status 2).
    Input(String),
    /// Writing failed (exit status 1).
    Io(io::Error),
}

/// Resumes a checkpointed run from its `checkpoint.ron` (in the run's staging folder): the
/// staged files are cut back to where they stood at the checkpoint, the world is restored,
/// and the run goes on to its end and becomes its run folder, exactly as if never stopped.
/// Returns the summary and the run folder.
/// `progress(tick, end)` is called after each tick.
pub fn resume(path: &Path, mut progress: impl FnMut(u64, u64)) -> Result<(RunSummary, PathBuf), ResumeError> {
    let cp = crate::checkpoint::load(path).map_err(|e| ResumeError::Input(e.to_string()))?;
    let Some(mark) = cp.run.clone() else {
        return Err(ResumeError::Input(format!(
            "{}: this checkpoint was saved from the app, not from `polity run --checkpoint-every`; it has no run folder to resume\n    hint: open it in the app (`polity gui {}`)",
            path.display(),
            path.display()
        )));
    };
    let stage = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let sim = Sim::restore(&cp).map_err(|e| ResumeError::Input(format!("{}: {e}", path.display())))?;
    let sink = FolderSink::reopen(&stage, mark.bytes).map_err(|e| {
        ResumeError::Input(format!(
            "{}: the run's staged files are missing or shorter than the checkpoint says: {e}",
            stage.display()
        ))
    })?;
    let progress_of = Progress { last: mark.last.clone(), events: mark.events };
    let mut resolved = cp.scenario.resolved();
    resolved.run.ticks = cp.end_tick;
    resolved.run.seed = cp.seed;
    let target = Target { resolved: &resolved, dir: &mark.out, stage: &stage, every: Some(mark.every) };
    let end = cp.end_tick;
    let summary = drive(sim, sink, progress_of, &target, |t| progress(t, end)).map_err(ResumeError::Io)?;
    Ok((summary, mark.out))
}

/// Where a run folder is being written.
struct Target<'a> {
    resolved: &'a Scenario,
    dir: &'a Path,
    stage: &'a Path,
    every: Option<u64>,
}

/// The running totals a summary needs.
#[derive(Default)]
struct Progress {
    last: Vec<f64>,
    events: u64,
}

impl Progress {
    fn take(&mut self, sim: &mut Sim, sink: &mut dyn Sink) -> io::Result<()> {
        if let Some((_, row)) = peek_last(sim) {
            self.last = row;
        }
        self.events += sim.world().resource::<EventLog>().len() as u64;
        sink.take(sim)
    }
}

/// Steps `sim` to the run's end, streaming into the staged files and checkpointing, then
/// writes `run.json` and `scenario.ron` and moves the staging folder into place.
fn drive(
    mut sim: Sim,
    mut sink: FolderSink,
    mut totals: Progress,
    t: &Target,
    mut progress: impl FnMut(u64),
) -> io::Result<RunSummary> {
    let (ticks, seed) = (t.resolved.run.ticks, t.resolved.run.seed);
    let columns = sim.world().resource::<MetricsLog>().columns().to_vec();
    let checkpoint = t.stage.join("checkpoint.ron");
    while sim.tick() < ticks {
        sim.step();
        totals.take(&mut sim, &mut sink)?;
        progress(sim.tick());
        if let Some(every) = t.every
            && sim.tick() % every == 0
            && sim.tick() < ticks
        {
            sink.flush()?;
            let mut cp = sim.checkpoint();
            cp.run = Some(crate::checkpoint::RunMark {
                out: t.dir.to_path_buf(),
                every,
                bytes: sink.lengths()?,
                events: totals.events,
                last: totals.last.clone(),
            });
            crate::checkpoint::save(&cp, &checkpoint)?;
        }
    }
    let picked = sim.world_mut().query::<&crate::agents::Ledger>().iter(sim.world()).map(|l| l.picked).sum();
    let summary = RunSummary {
        ticks,
        seed,
        columns,
        last: totals.last,
        state_hash: sim.state_hash(),
        events: totals.events,
        picked,
    };
    sink.finish()?;
    let resolved = t.resolved;
    fs::write(t.stage.join("run.json"), crate::run_json::RunJson::new(resolved, &summary).to_text())?;
    fs::write(t.stage.join("scenario.ron"), crate::scenario::to_ron(resolved) + "\n")?;
    if checkpoint.exists() {
        fs::remove_file(&checkpoint)?;
    }
    if t.dir.exists() {
        fs::remove_dir_all(t.dir)?;
    }
    fs::rename(t.stage, t.dir)?;
    Ok(summary)
}

/// What the principal's planner guarantees, for scenarios with a PAA principal or a shield.
pub fn planner_guarantee(s: &Scenario) -> Option<crate::planner::Guarantee> {
    let p = s.principal.as_ref()?;
    if p.policy != crate::scenario::PrincipalPolicy::Paa && p.shield.is_none() {
        return None;
    }
    let tax = s.tax.as_ref()?;
    let rates = tax.rates();
    let k = crate::paa::candidate_rates(&p.planner.candidates, &rates, tax.rate_step()).len();
    Some(crate::paa::plan_shape(&p.planner, k, tax.period()).2)
}
