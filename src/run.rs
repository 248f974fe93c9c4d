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
//! run folder behind; an earlier run folder is replaced only under the rules of
//! [`crate::outputs`] (docs/outputs.md).

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::metrics::{Column, EventLog, MetricsLog};
use crate::outputs::{self, Refused, Staging};
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
    /// The tick the run ended at.
    pub ticks: u64,
    /// The tick this process started from (0, or a resumed checkpoint's tick).
    pub started_at: u64,
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
    /// The agents in the world at the end.
    pub agents: u64,
    /// Where what was left of the replaced run folder was kept, and why: a file of it that
    /// could not be deleted, or something put into it while the run was finishing (see
    /// [`outputs::install_folder`]).
    pub kept_aside: Option<(PathBuf, String)>,
    /// The earlier run in the run folder that this one replaced, if any.
    pub replaced: Option<crate::run_json::RunJson>,
    /// How long the ticks took (with their metrics and outputs), from the world built (or
    /// restored) to the last tick, less the checkpoints' writing: a run's speed without its
    /// start. Not written to any file.
    pub ticking: std::time::Duration,
    /// How long writing checkpoints took, between the ticks (a big world's take seconds each:
    /// counted in the ticks' time, they read as a tick eight times slower).
    pub checkpointing: std::time::Duration,
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
        sim.drain();
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
    let ticking = std::time::Instant::now();
    for _ in 0..opts.ticks {
        // A comparison's runs stop at the next tick on SIGINT or SIGTERM.
        outputs::check_interrupt()?;
        sim.step();
        take(&mut sim, sink, &mut last, &mut events)?;
        progress(sim.tick());
    }
    // A signal during the last tick may have cut its plan short (crate::stop): not this run.
    outputs::check_interrupt()?;
    let ticking = ticking.elapsed();
    let (picked, agents) = picked_and_agents(&mut sim);
    Ok(RunSummary {
        ticks: opts.ticks,
        started_at: 0,
        seed: opts.seed,
        columns,
        last,
        state_hash: sim.state_hash(),
        events,
        picked,
        agents,
        kept_aside: None,
        replaced: None,
        ticking,
        checkpointing: std::time::Duration::ZERO,
    })
}

/// The apples all agents picked, and how many agents there are.
fn picked_and_agents(sim: &mut Sim) -> (u64, u64) {
    let mut q = sim.world_mut().query::<&crate::agents::Ledger>();
    q.iter(sim.world()).fold((0, 0), |(p, n), l| (p + l.picked, n + 1))
}

fn peek_last(sim: &Sim) -> Option<(u64, Vec<f64>)> {
    sim.world().resource::<MetricsLog>().last().cloned()
}

/// Writes CSV (through the `csv` crate, [`crate::tables`]) and JSONL into a folder.
pub struct FolderSink {
    metrics: csv::Writer<File>,
    agents: csv::Writer<File>,
    events: BufWriter<File>,
    buf: String,
    /// The folder, and each stream file's digest so far: the bytes hashed and the hasher,
    /// fed with what was written since at each checkpoint ([`FolderSink::digests`]).
    dir: PathBuf,
    hashed: [(u64, crate::hash::Fnv); 3],
}

/// The stream files, in [`crate::checkpoint::RunMark`]'s order.
const STREAMS: [&str; 3] = ["metrics.csv", "agents.csv", "events.jsonl"];

/// Feeds `h` the bytes `from..to` of the file at `path`.
fn hash_span(path: &Path, from: u64, to: u64, h: &mut crate::hash::Fnv) -> io::Result<()> {
    use std::io::{Read, Seek};
    let mut f = File::open(path)?;
    f.seek(io::SeekFrom::Start(from))?;
    let mut left = to.saturating_sub(from);
    let mut block = vec![0u8; 1 << 16];
    while left > 0 {
        let n = f.read(&mut block[..left.min(1 << 16) as usize])?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("{} ended early", path.display())));
        }
        h.write(&block[..n]);
        left -= n as u64;
    }
    Ok(())
}

/// `agents.csv`'s header.
pub const AGENTS_HEADER: [&str; 11] =
    ["tick", "id", "kind", "group", "selfishness", "power", "x", "y", "apples", "wealth", "reward"];

impl FolderSink {
    /// Creates the three stream files in `dir`.
    pub fn create(dir: &Path) -> io::Result<Self> {
        let open = |name: &str| File::create(dir.join(name));
        let mut s = FolderSink {
            metrics: crate::tables::writer(open("metrics.csv")?),
            agents: crate::tables::writer(open("agents.csv")?),
            events: BufWriter::with_capacity(1 << 16, open("events.jsonl")?),
            buf: String::new(),
            dir: dir.to_path_buf(),
            hashed: [(0, crate::hash::Fnv::new()); 3],
        };
        s.agents.write_record(AGENTS_HEADER)?;
        Ok(s)
    }
    /// Reopens the stream files of a staged run, cut back to `bytes` (metrics, agents,
    /// events), to append to; when `digests` are given, their first `bytes` must hash to them
    /// (a file edited since the checkpoint, its length kept, would be taken up as the run's).
    pub fn reopen(dir: &Path, bytes: [u64; 3], digests: Option<[u64; 3]>) -> io::Result<Self> {
        let open = |name: &str, len: u64| -> io::Result<File> {
            use std::io::Seek;
            let mut f = fs::OpenOptions::new().read(true).write(true).open(dir.join(name))?;
            if name == "agents.csv" && len > 0 {
                // A run staged by an older Polity wrote another header (before the `group`
                // column): the rows appended now would not match it.
                let mut head = String::new();
                io::BufRead::read_line(&mut io::BufReader::new(&f), &mut head)?;
                let want = AGENTS_HEADER.join(",");
                if head.trim_end() != want {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "agents.csv's header is `{}`, not `{want}`: an older Polity staged this run, and its rows cannot be continued",
                            head.trim_end()
                        ),
                    ));
                }
            }
            if f.metadata()?.len() < len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{name} is shorter than {len} bytes"),
                ));
            }
            f.set_len(len)?;
            f.seek(io::SeekFrom::End(0))?;
            Ok(f)
        };
        let mut hashed = [(0, crate::hash::Fnv::new()); 3];
        for (k, name) in STREAMS.iter().enumerate() {
            let Some(want) = digests.map(|d| d[k]) else { break };
            if fs::metadata(dir.join(name)).map_or(true, |m| m.len() < bytes[k]) {
                break; // (missing or cut short: said below, as it was)
            }
            let mut h = crate::hash::Fnv::new();
            hash_span(&dir.join(name), 0, bytes[k], &mut h)?;
            if h.finish() != want {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{name} changed since the checkpoint was written (its first {} bytes are not the run's)",
                        bytes[k]
                    ),
                ));
            }
            hashed[k] = (bytes[k], h);
        }
        Ok(FolderSink {
            metrics: crate::tables::writer(open("metrics.csv", bytes[0])?),
            agents: crate::tables::writer(open("agents.csv", bytes[1])?),
            events: BufWriter::with_capacity(1 << 16, open("events.jsonl", bytes[2])?),
            buf: String::new(),
            dir: dir.to_path_buf(),
            hashed,
        })
    }
    /// The digests of the stream files as they are (after a [`FolderSink::flush`], of the
    /// [`FolderSink::lengths`] given), reading only what was written since the last call.
    pub fn digests(&mut self, lengths: [u64; 3]) -> io::Result<[u64; 3]> {
        for (k, name) in STREAMS.iter().enumerate() {
            let (done, h) = &mut self.hashed[k];
            hash_span(&self.dir.join(name), *done, lengths[k], h)?;
            *done = lengths[k];
        }
        Ok(self.hashed.map(|(_, h)| h.finish()))
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
        self.metrics.write_record(std::iter::once("tick").chain(columns.iter().map(|c| &**c)))?;
        Ok(())
    }
    fn take(&mut self, sim: &mut Sim) -> io::Result<()> {
        let out = sim.drain();
        for (tick, row) in out.rows {
            crate::tables::write_numbers(&mut self.metrics, tick, row, &mut self.buf)?;
        }
        for r in out.samples {
            self.agents.write_record([
                r.tick.to_string(),
                r.id.to_string(),
                r.kind.to_string(),
                r.group.to_string(),
                crate::tables::real(r.selfishness),
                crate::tables::real(r.power),
                r.x.to_string(),
                r.y.to_string(),
                r.apples.to_string(),
                crate::tables::real(r.wealth),
                crate::tables::real(r.reward),
            ])?;
        }
        for e in out.events {
            serde_json::to_writer(&mut self.events, &e)?;
            writeln!(self.events)?;
        }
        Ok(())
    }
}

/// The files a run's staging folder may hold: the run folder's files, the checkpoint (and the
/// temporary file [`crate::outputs::write_file`] writes it through) and the lock that says a
/// process is writing it.
pub fn is_stage_file(name: &str) -> bool {
    name == "run.json"
        || crate::run_json::OUTPUTS.contains(&name)
        || name == "checkpoint.ron"
        || name == LOCK
        || is_checkpoint_temporary(name)
}

/// Whether `name` is the temporary file a checkpoint is saved through.
fn is_checkpoint_temporary(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(".checkpoint.ron.") else { return false };
    // `partial-PID-CODE` ([`outputs::write_file`]), `partial-PID` or `XXXXXX.partial` (older
    // versions).
    outputs::staged_pid(name).is_some_and(|(_, stage)| stage == outputs::Stage::Partial)
        || rest.strip_prefix("partial-").is_some_and(|pid| pid.parse::<u32>().is_ok())
        || rest.ends_with(".partial")
}

/// The lock file in a checkpointed run's staging folder, held by the process writing it.
const LOCK: &str = "polity.lock";

/// Checks that `dir` can become a run folder (docs/outputs.md): it is not the working folder
/// or above it, and it does not exist, is empty, or is a run folder Polity wrote and holds
/// nothing else (the new run replaces it when it finishes). Returns the absolute path to
/// write.
pub fn check_out_dir(dir: &Path) -> Result<PathBuf, Refused> {
    let abs = outputs::resolve(dir)?;
    outputs::inspect_run_folder(&abs)?;
    // A folder that cannot be written in (read-only, a dangling link on the way) is bad
    // input, said before the run, as `record` and `train` say it.
    outputs::check_writable(dir, &abs)?;
    Ok(abs)
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
    dir.with_file_name(format!(".{name}.partial"))
}

/// What the lock file of a checkpointed run's staging folder says, the proof that Polity made
/// the folder: an empty `polity.lock` (which a person can make) proves nothing, and a folder
/// without this one is never taken for Polity's and removed.
const LOCK_MARK: &str = "polity: the lock of a checkpointed run's staging folder (see docs/outputs.md)\n";

/// Whether the staging folder `stage` holds the lock file Polity writes ([`LOCK_MARK`]).
fn locked_by_polity(stage: &Path) -> bool {
    let lock = stage.join(LOCK);
    fs::symlink_metadata(&lock).is_ok_and(|m| m.is_file())
        && fs::read(&lock).is_ok_and(|bytes| bytes.starts_with(LOCK_MARK.as_bytes()))
}

/// Takes the lock of a checkpointed run's staging folder, or says that another process holds
/// it; a lock made here says it is Polity's ([`LOCK_MARK`]).
fn lock_stage(stage: &Path) -> io::Result<File> {
    let mut file = fs::OpenOptions::new().create(true).truncate(false).write(true).open(stage.join(LOCK))?;
    match file.try_lock() {
        Ok(()) => {
            if file.metadata()?.len() == 0 {
                file.write_all(LOCK_MARK.as_bytes())?;
            }
            Ok(file)
        }
        Err(fs::TryLockError::WouldBlock) => Err(io::Error::new(
            io::ErrorKind::ResourceBusy,
            format!(
                "{}: another polity process is still writing this run; wait for it to finish, or stop it first",
                stage.display()
            ),
        )),
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

/// [`run_to_dir`], saving a checkpoint every `every` ticks (when given) as
/// `checkpoint.ron` in the staging folder ([`checkpoint_stage`]), which an interrupted run
/// leaves behind for [`resume`]. Interrupted by SIGINT or SIGTERM, a run with checkpoints
/// saves one at the tick it reached and keeps its staging; one without removes its staging.
pub fn run_to_dir_checkpointed(
    scenario: &Scenario,
    opts: &RunOptions,
    dir: &Path,
    every: Option<u64>,
    progress: impl FnMut(u64),
) -> io::Result<RunSummary> {
    let dir = &outputs::absolute(dir)?;
    outputs::remove_stale_staging(dir, is_stage_file);
    // A checkpointed run into the same folder, whether this run checkpoints or not: one still
    // going is never raced (the lock says so), and one interrupted is resumed or deleted
    // first, never written over by this run and then put back over it by a resume.
    let waiting = checkpoint_stage(dir);
    // Only a real folder is ever taken for a run's staging: a file or link of that name is
    // someone's, and in the way.
    if let Ok(meta) = fs::symlink_metadata(&waiting)
        && !meta.is_dir()
    {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{}: a checkpointed run into {} keeps its work in a folder of this name, and there is {} here, which Polity did not make; left as it is\n    \
                 hint: rename or move it (the rules: {})",
                waiting.display(),
                dir.display(),
                outputs::what_it_is(meta.file_type()),
                outputs::RULES
            ),
        ));
    }
    if waiting.exists() && !waiting.join("checkpoint.ron").exists() {
        // A run killed before its first checkpoint: nothing to resume. Unless it is still
        // going, its staging goes, and this run starts over (a folder of the user's with
        // that name is left as it is, not even locked). Polity's holds its lock file, made
        // and marked before anything else is written there.
        outputs::check_staged(&waiting, is_stage_file)?;
        if locked_by_polity(&waiting) {
            drop(lock_stage(&waiting)?);
            outputs::remove_staged(&waiting, is_stage_file)?;
        } else if fs::remove_dir(&waiting).is_err() {
            // (An empty one, a run killed as it made it, holds nothing to lose: it went.)
            return Err(io::Error::new(
                io::ErrorKind::DirectoryNotEmpty,
                format!(
                    "{}: named like the staging of a checkpointed run into {}, but it has no {LOCK} that Polity wrote (every one Polity makes has), so it is not taken for Polity's; left as it is\n    \
                     hint: rename or move that folder, or delete it if it is an interrupted run's (the rules: {})",
                    waiting.display(),
                    dir.display(),
                    outputs::RULES
                ),
            ));
        }
    }
    if waiting.exists() {
        if waiting.join(LOCK).exists() {
            drop(lock_stage(&waiting)?);
        }
        let stage = waiting;
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
    let stage = if every.is_some() { checkpoint_stage(dir) } else { outputs::staging_path(dir) };
    let staging = Staging::folder(stage, is_stage_file)?;
    let lock = if every.is_some() { Some(lock_stage(staging.path())?) } else { None };
    let started = (|| -> io::Result<(Sim, FolderSink, Progress)> {
        let mut sink = FolderSink::create(staging.path())?;
        let mut sim = Sim::new(scenario, opts.seed, opts.ticks);
        let columns = sim.world().resource::<MetricsLog>().columns().to_vec();
        sink.header(&columns)?;
        let mut totals = Progress::default();
        totals.take(&mut sim, &mut sink)?;
        Ok((sim, sink, totals))
    })();
    let (sim, sink, totals) = started?;
    let mut resolved = scenario.resolved();
    resolved.run.ticks = opts.ticks;
    resolved.run.seed = opts.seed;
    let target = Target { resolved: &resolved, dir, every };
    drive(sim, sink, totals, &target, staging, lock, progress)
}

/// Why a run could not be resumed.
#[derive(Debug)]
pub enum ResumeError {
    /// The checkpoint could not be read, is not one of a run folder, or its run cannot be
    /// resumed now (exit status 2).
    Input(String),
    /// Writing failed (exit status 1).
    Io(io::Error),
}

/// Resumes a checkpointed run from its `checkpoint.ron` (in the run's staging folder): the
/// staged files are cut back to where they stood at the checkpoint, the world is restored,
/// and the run goes on to its end and becomes its run folder, exactly as if never stopped.
/// The checkpoint must sit in the staging folder of the run folder it names, no other process
/// may be writing that run, and the run folder is checked as a new run's would be. Returns the
/// summary and the run folder. `progress(tick, end, every)` is called after each tick, `every`
/// the ticks between checkpoints.
pub fn resume(path: &Path, mut progress: impl FnMut(u64, u64, u64)) -> Result<(RunSummary, PathBuf), ResumeError> {
    let input = ResumeError::Input;
    let cp = crate::checkpoint::load(path).map_err(|e| input(e.to_string()))?;
    let Some(mark) = cp.run.clone() else {
        return Err(input(format!(
            "{}: this checkpoint was saved from the app, not from `polity run --checkpoint-every`; it has no run folder to resume\n    hint: open it in the app (`polity gui {}`)",
            path.display(),
            path.display()
        )));
    };
    let abs = outputs::absolute(path).map_err(|e| input(format!("{}: {e}", path.display())))?;
    let stage = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    let stage_name = stage.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let Some(name) = stage_name.strip_prefix('.').and_then(|n| n.strip_suffix(".partial")).filter(|n| !n.is_empty())
    else {
        return Err(input(format!(
            "{}: a run's checkpoint is resumed where the run left it, in the staging folder `.NAME.partial` beside its run folder NAME; this one is in {}\n    hint: resume the checkpoint.ron inside that folder",
            path.display(),
            stage.display()
        )));
    };
    let out = stage.with_file_name(name);
    let named = if mark.out.is_absolute() {
        outputs::absolute(&mark.out).is_ok_and(|m| m == out)
    } else {
        mark.out.file_name().is_some_and(|n| n == name)
    };
    if !named {
        return Err(input(format!(
            "{}: the checkpoint names the run folder {}, but it sits in the staging folder of {}; a checkpoint resumes only into its own run folder (was it moved or edited?)\n    hint: move the staging folder back beside {} and resume it there, or start the run over",
            path.display(),
            mark.out.display(),
            out.display(),
            mark.out.display()
        )));
    }
    let lock = lock_stage(&stage).map_err(|e| match e.kind() {
        io::ErrorKind::ResourceBusy => input(e.to_string()),
        _ => input(format!("{}: cannot lock the run's staging folder: {e}", stage.display())),
    })?;
    // (The hint of a fresh run, "choose another --out", is not for a resume, which takes no
    // --out: it finishes into the folder the run named.)
    check_out_dir(&out).map_err(|e| {
        let aside = format!("move {} aside (a resumed run finishes into the folder it was started for)", out.display());
        input(e.to_string().replace("choose another --out", &aside))
    })?;
    // The staging becomes the run folder: a file of someone else's in it would end up there,
    // unlisted in run.json (and every later run into the folder refused for it).
    let foreign = outputs::foreign_in(&stage, is_stage_file).map_err(|e| input(format!("{}: {e}", stage.display())))?;
    if !foreign.is_empty() {
        return Err(input(format!(
            "{}: holds {} that Polity did not write; the run's staging folder becomes its run folder, so the run is not resumed with {} in it\n    hint: move {} out of that folder, then resume",
            stage.display(),
            foreign.join(", "),
            if foreign.len() == 1 { "that" } else { "those" },
            if foreign.len() == 1 { "it" } else { "them" },
        )));
    }
    let mut resolved = cp.scenario.resolved();
    resolved.run.ticks = cp.end_tick;
    resolved.run.seed = cp.seed;
    let end = cp.end_tick;
    // (The checkpoint's state moves into the world: not held twice.)
    let sim = Sim::restore_owned(cp).map_err(|e| input(format!("{}: {e}", path.display())))?;
    let sink = FolderSink::reopen(&stage, mark.bytes, mark.digests).map_err(|e| {
        input(format!(
            "{}: the run's staged files cannot be continued (missing, shorter than the checkpoint says, edited since, or another Polity's): {e}\n    hint: delete {} and run it again",
            stage.display(),
            stage.display()
        ))
    })?;
    let totals = Progress { last: mark.last.clone(), events: mark.events };
    let target = Target { resolved: &resolved, dir: &out, every: Some(mark.every) };
    // The staging is the interrupted run's: kept whatever happens here.
    let staging = Staging::folder_existing(stage, is_stage_file);
    let summary = drive(sim, sink, totals, &target, staging, Some(lock), |t| progress(t, end, mark.every))
        .map_err(ResumeError::Io)?;
    Ok((summary, out))
}

/// Where a run folder is being written.
struct Target<'a> {
    resolved: &'a Scenario,
    dir: &'a Path,
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
/// writes `run.json` and `scenario.ron` and moves the staging folder into place. On an error
/// or an interruption, a run with checkpoints keeps its staging (with a checkpoint at the tick
/// it reached, when interrupted) and one without has its staging removed.
fn drive(
    mut sim: Sim,
    mut sink: FolderSink,
    mut totals: Progress,
    t: &Target,
    staging: Staging,
    lock: Option<File>,
    mut progress: impl FnMut(u64),
) -> io::Result<RunSummary> {
    let (ticks, seed) = (t.resolved.run.ticks, t.resolved.run.seed);
    let started_at = sim.tick();
    let columns = sim.world().resource::<MetricsLog>().columns().to_vec();
    let stage = staging.path().to_path_buf();
    let checkpoint = stage.join("checkpoint.ron");
    let save_checkpoint = |sim: &mut Sim, sink: &mut FolderSink, totals: &Progress, every: u64| -> io::Result<()> {
        sink.flush()?;
        let bytes = sink.lengths()?;
        let mark = crate::checkpoint::RunMark {
            out: t.dir.to_path_buf(),
            every,
            bytes,
            digests: Some(sink.digests(bytes)?),
            events: totals.events,
            last: totals.last.clone(),
        };
        sim.save_checkpoint(Some(mark), &checkpoint)?;
        staging.resumable_now();
        Ok(())
    };
    let ticking = std::time::Instant::now();
    let mut checkpointing = std::time::Duration::ZERO;
    let stepped = (|| -> io::Result<()> {
        while sim.tick() < ticks {
            if outputs::interrupted() {
                // (At tick 0 — a signal while a big world was built — there is nothing a
                // checkpoint would keep that a new run does not make: none is written; a
                // million agents' took a minute and 1.5 GB.)
                if let Some(every) = t.every
                    && sim.tick() > 0
                {
                    save_checkpoint(&mut sim, &mut sink, &totals, every)?;
                    return Err(io::Error::new(
                        io::ErrorKind::Interrupted,
                        format!(
                            "interrupted at tick {}; a checkpoint was saved\n    hint: go on with `polity run --resume {}`",
                            sim.tick(),
                            checkpoint.display()
                        ),
                    ));
                }
                outputs::check_interrupt()?;
            }
            sim.step();
            if crate::stop::was_cut() {
                // The signal came during this tick and cut its plan short: the tick is not the
                // run's, so neither it nor a checkpoint of it is kept (the last checkpoint is).
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    if t.every.is_some() && checkpoint.exists() {
                        format!(
                            "interrupted during tick {}, whose plan was cut short; the last checkpoint is kept\n    hint: go on with `polity run --resume {}`",
                            sim.tick(),
                            checkpoint.display()
                        )
                    } else {
                        format!(
                            "interrupted by SIGINT or SIGTERM during tick {}, whose plan was cut short; the unfinished output was removed",
                            sim.tick()
                        )
                    },
                ));
            }
            totals.take(&mut sim, &mut sink)?;
            progress(sim.tick());
            if let Some(every) = t.every
                && sim.tick().is_multiple_of(every)
                && sim.tick() < ticks
            {
                let saving = std::time::Instant::now();
                save_checkpoint(&mut sim, &mut sink, &totals, every)?;
                checkpointing += saving.elapsed();
            }
        }
        Ok(())
    })();
    let ticking = ticking.elapsed().saturating_sub(checkpointing);
    if let Err(e) = stepped {
        if t.every.is_some() && checkpoint.exists() {
            staging.keep();
            if e.kind() != io::ErrorKind::Interrupted {
                // A full disk, say: the last checkpoint and the staged files up to it are
                // whole (the resume cuts the files back to the checkpoint's lengths).
                return Err(io::Error::new(
                    e.kind(),
                    format!(
                        "{e}\n    hint: the last checkpoint is kept; once the cause is fixed (room on the disk), go on with `polity run --resume {}`",
                        checkpoint.display()
                    ),
                ));
            }
        }
        return Err(e);
    }
    let (picked, agents) = picked_and_agents(&mut sim);
    let mut summary = RunSummary {
        ticks,
        started_at,
        seed,
        columns,
        last: totals.last,
        state_hash: sim.state_hash(),
        events: totals.events,
        picked,
        agents,
        kept_aside: None,
        replaced: None,
        ticking,
        checkpointing,
    };
    sink.finish()?;
    let resolved = t.resolved;
    fs::write(stage.join("scenario.ron"), crate::scenario::to_ron(resolved) + "\n")?;
    crate::run_json::RunJson::new(resolved, &summary).write_sealed(&stage)?;
    if checkpoint.exists() {
        fs::remove_file(&checkpoint)?;
    }
    // A checkpoint's temporary file, left by a run killed while it saved one (this process
    // holds the lock: no one else writes here).
    for entry in fs::read_dir(&stage)? {
        let entry = entry?;
        if entry.file_name().to_str().is_some_and(is_checkpoint_temporary) {
            fs::remove_file(entry.path())?;
        }
    }
    if let Some(lock) = lock {
        drop(lock);
        fs::remove_file(stage.join(LOCK))?;
    }
    // The run replaced, read as it is inspected, under the lock that runs finishing into the
    // same place take (read before the run, four runs into one folder each said they
    // replaced the same one).
    let replaced = std::cell::RefCell::new(None);
    let installed = outputs::install_folder(&stage, t.dir, |dir| {
        let found = outputs::inspect_run_folder(dir);
        if let Ok(outputs::Existing::Owned(_)) = &found {
            *replaced.borrow_mut() = crate::run_json::RunJson::read(dir);
        }
        found
    });
    staging.release();
    // The finished run is whole in its staging: kept, and said where (it was left unsaid, and
    // a later run into the same place refused the folder as not Polity's).
    summary.kept_aside = installed.map_err(|e| {
        let e = io::Error::from(e);
        if !stage.is_dir() {
            return e;
        }
        io::Error::new(
            e.kind(),
            format!(
                "{e}\n    hint: the finished run is kept whole in {}; once the cause is fixed, move it into place yourself (`mv {} {}`)",
                stage.display(),
                stage.display(),
                t.dir.display()
            ),
        )
    })?;
    summary.replaced = replaced.into_inner();
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
    let world = crate::sim::Sim::model_of(s, s.run.seed, &crate::sim::Sim::mechanisms());
    let r_max = crate::utility::period_bound(&world, tax.period());
    let mut g = crate::paa::plan_shape(&p.planner, k, r_max).2;
    // The bound the model error's knobs imply (each decision's events also give its root's κ).
    let e = &p.planner.model_error;
    if !e.is_zero() && e.selfishness == 0.0 && e.power == 0.0 {
        use crate::rules::divergence as d;
        let grid = crate::world::build_grid(s);
        let tick = d::regrowth_bound(grid.probabilities(), e.regrowth, grid.grass_cells())
            + d::flip_kl(grid.grass_cells(), e.observation);
        g.set_divergence(None, Some(tax.period().max(1) as f64 * tick));
    }
    Some(g)
}
