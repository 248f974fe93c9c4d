//! Checkpoints: the whole state of a world between two ticks — its world model: the clock,
//! the grid, every agent, and each mechanism's part by name ([`crate::model::Part`]) — saved
//! as a versioned RON file and restored so that the world goes on exactly as if it had never
//! stopped (a test checks byte-identical run folders). A new mechanism's state is saved here
//! without this file changing.
//!
//! What is *not* saved is what the scenario determines: the social graph's shape, the map's
//! patches, who is human or AI. A checkpoint carries its resolved scenario, and restoring
//! builds the world from it, then overwrites every piece of state that changes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{LoadError, SavedModel};
use crate::scenario::Scenario;
use crate::sim::{RunSettings, ScenarioRes, Sim};

/// The checkpoint format this Polity writes (3: the world model with each mechanism's part by
/// name, sealed by a digest line). It reads [`UNSEALED`] too.
pub const FORMAT: u32 = 3;

/// The format of checkpoints written before they were sealed: the same fields, no digest line.
pub const UNSEALED: u32 = 2;

/// Where a checkpointed run folder stood: its staged files' lengths when the checkpoint was
/// written, so a resumed run cuts them back there and carries on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunMark {
    /// The run folder the run will become.
    pub out: PathBuf,
    /// Ticks between checkpoints.
    pub every: u64,
    /// Bytes of `metrics.csv`, `agents.csv` and `events.jsonl` written so far.
    pub bytes: [u64; 3],
    /// The digests of those bytes, so a resume takes up only the files as the run wrote them
    /// (`None` in checkpoints written before they were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digests: Option<[u64; 3]>,
    /// Events written so far.
    pub events: u64,
    /// The last metrics row written.
    pub last: Vec<f64>,
}

/// The whole state of a world between two ticks.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checkpoint {
    /// [`FORMAT`].
    pub format: u32,
    /// The Polity version that wrote it.
    pub polity_version: String,
    /// The resolved scenario the world was built from.
    pub scenario: Scenario,
    /// The run's seed.
    pub seed: u64,
    /// The tick the run ends at.
    pub end_tick: u64,
    /// The world model: clock, grid, agents, and every mechanism's part.
    pub world: SavedModel,
    /// For a checkpointed `polity run`: where its run folder stood.
    pub run: Option<RunMark>,
}

/// Why a checkpoint could not be read.
#[derive(Debug)]
pub struct CheckpointError(pub String);

impl std::fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CheckpointError {}

impl Sim {
    /// The world's whole state, between ticks.
    pub fn checkpoint(&mut self) -> Checkpoint {
        self.pull_components(); // σ, power, weights and policy as the components hold them
        let w = self.world();
        let scenario = w.resource::<ScenarioRes>().0.clone();
        let end_tick = w.resource::<RunSettings>().end_tick;
        let core = crate::sim::core(w);
        Checkpoint {
            format: FORMAT,
            polity_version: crate::VERSION.to_string(),
            seed: core.clock.seed,
            end_tick,
            world: core.save().expect("every part saves"),
            run: None,
            scenario,
        }
    }

    /// Writes [`Sim::checkpoint`] with `run` to `path` as [`save`] does, the same bytes,
    /// without copying the world first: a big world's checkpoint needs the memory of its text,
    /// not of its state again.
    pub fn save_checkpoint(&mut self, run: Option<RunMark>, path: &Path) -> std::io::Result<()> {
        self.pull_components();
        let w = self.world();
        let core = crate::sim::core(w);
        let cp = CheckpointRef {
            format: FORMAT,
            polity_version: crate::VERSION,
            scenario: &w.resource::<ScenarioRes>().0,
            seed: core.clock.seed,
            end_tick: w.resource::<RunSettings>().end_tick,
            world: core.save_ref().map_err(std::io::Error::other)?,
            run: run.as_ref(),
        };
        write_sealed(&cp, path)
    }

    /// Rebuilds the world a checkpoint was taken of. Its logs start empty: the next rows are
    /// those of the next tick.
    pub fn restore(cp: &Checkpoint) -> Result<Sim, CheckpointError> {
        Sim::restore_with(cp, |_| {})
    }

    /// [`Sim::restore`] for a world built with extra plugins ([`Sim::with_plugins`]): the
    /// same plugins rebuild the same parts, which the checkpoint then fills in.
    pub fn restore_with(cp: &Checkpoint, extra: impl FnOnce(&mut bevy::prelude::App)) -> Result<Sim, CheckpointError> {
        Sim::restore_parts(&cp.scenario, cp.seed, cp.end_tick, cp.world.clone(), extra)
    }

    /// [`Sim::restore`] of a checkpoint given away: its grid and agents move into the world
    /// instead of being copied (a big world's resume held its state once more than it needed).
    pub fn restore_owned(cp: Checkpoint) -> Result<Sim, CheckpointError> {
        let Checkpoint { scenario, seed, end_tick, world, .. } = cp;
        Sim::restore_parts(&scenario, seed, end_tick, world, |_| {})
    }

    fn restore_parts(
        scenario: &Scenario,
        seed: u64,
        end_tick: u64,
        world: SavedModel,
        extra: impl FnOnce(&mut bevy::prelude::App),
    ) -> Result<Sim, CheckpointError> {
        let agents: u64 = scenario.agents.iter().map(|g| g.count as u64).sum();
        if agents != world.agents.len() as u64 {
            return Err(CheckpointError(format!(
                "the checkpoint has {} agents but its scenario makes {agents}; the file is damaged",
                world.agents.len()
            )));
        }
        let mut sim = Sim::with_plugins(scenario, seed, end_tick, extra);
        sim.core_mut().load(world).map_err(|e| {
            CheckpointError(match e {
                LoadError::Changed(why) => why,
                LoadError::Damaged(why) => {
                    format!("the checkpoint does not fit its scenario: {why}; the file is damaged")
                }
            })
        })?;
        sim.sync_components();
        crate::metrics::drain(sim.world_mut());
        Ok(sim)
    }
}

/// Writes `cp` to `path` atomically (a temporary file beside it, then a rename).
pub fn save(cp: &Checkpoint, path: &Path) -> std::io::Result<()> {
    write_sealed(cp, path)
}

/// Writes `cp` (a [`Checkpoint`], or one borrowed from its world) as RON sealed by its digest,
/// holding its text once.
fn write_sealed(cp: &impl Serialize, path: &Path) -> std::io::Result<()> {
    let mut text = ron::to_string(cp).map_err(std::io::Error::other)?;
    let digest = crate::hash::hex(text.as_bytes());
    text.push_str(&format!("\n{DIGEST}{digest}\n"));
    crate::outputs::write_file(path, text.as_bytes(), true)
}

/// A [`Checkpoint`] borrowed from its world: the same fields in the same order, so the same
/// text ([`Sim::save_checkpoint`]).
#[derive(Serialize)]
struct CheckpointRef<'a> {
    format: u32,
    polity_version: &'a str,
    scenario: &'a Scenario,
    seed: u64,
    end_tick: u64,
    world: crate::model::SavedModelRef<'a>,
    run: Option<&'a RunMark>,
}

/// The comment that ends a checkpoint: `// digest ` and the FNV-1a digest of the text before
/// it, 16 hex digits. A checkpoint is the state of a run as Polity left it; one changed since
/// (a seed, a clock or a run folder edited, another run's copied in) would go on as a run that
/// never was, so it is refused. Checkpoints written before the digest was kept (format
/// [`UNSEALED`]) have none, and are read as they are; one of format [`FORMAT`] without its
/// digest line was changed (the line deleted along with an edit).
const DIGEST: &str = "// digest ";

/// Checks the digest a checkpoint's `text` ends with (of `format`: one of [`UNSEALED`] need
/// not have one).
fn check_digest(text: &str, format: u32, file: &str) -> Result<(), CheckpointError> {
    let found = text.rfind(&format!("\n{DIGEST}"));
    if found.is_none() && format == UNSEALED {
        return Ok(());
    }
    if let Some(at) = found
        && crate::hash::hex(&text.as_bytes()[..at]) == text[at + 1 + DIGEST.len()..].trim_end()
    {
        return Ok(());
    }
    Err(CheckpointError(format!(
        "{file}: the checkpoint was changed since Polity wrote it (its digest no longer matches), so it is not the state any run reached; Polity goes on only from checkpoints as it wrote them\n    \
         hint: put back the file Polity saved; or start the run again (with the changes made in its scenario, not in the checkpoint)"
    )))
}

/// Whether the file at `path` looks like a checkpoint (it starts with `(format:`).
pub fn is_checkpoint(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    // (A device or a pipe is none: opened, a pipe waited for a writer for ever.)
    crate::input::check(path).is_ok()
        && std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .is_ok_and(|n| head[..n].starts_with(b"(format:"))
}

/// Reads a checkpoint, with the file, line and column of anything wrong in it.
pub fn load(path: &Path) -> Result<Checkpoint, CheckpointError> {
    let file = path.display();
    let text = crate::input::read_text(path).map_err(|e| {
        const SAVED: &str = "a checkpointed run saves .NAME.partial/checkpoint.ron beside its run folder NAME";
        let hint = if path.join("checkpoint.ron").is_file() {
            format!("\n    hint: give the checkpoint in it: {}", path.join("checkpoint.ron").display())
        } else if e.kind() == std::io::ErrorKind::IsADirectory {
            format!("\n    hint: give the checkpoint file itself: {SAVED}")
        } else if e.kind() == std::io::ErrorKind::NotFound
            && let Some(name) = path
                .parent()
                .filter(|d| d.is_dir())
                .and_then(|d| d.file_name()?.to_str()?.strip_prefix('.')?.strip_suffix(".partial"))
        {
            // A staging folder without one: its run was stopped before its first checkpoint.
            format!(
                "\n    hint: its run was stopped before its first checkpoint, so there is nothing to go on from: run the scenario again (`polity run SCENARIO --out {}` clears the folder)",
                path.parent().and_then(|d| d.parent()).map_or(std::path::PathBuf::from(name), |p| p.join(name)).display()
            )
        } else if e.kind() == std::io::ErrorKind::NotFound {
            format!("\n    hint: {SAVED}; a run that finished or was stopped before its first checkpoint has none")
        } else {
            String::new()
        };
        CheckpointError(format!("{file}: cannot read: {e}{hint}"))
    })?;
    parse(&text, &file.to_string())
}

/// Reads a checkpoint's text; `file` labels the messages.
pub fn parse(text: &str, file: &str) -> Result<Checkpoint, CheckpointError> {
    if !text.starts_with("(format:") {
        return Err(CheckpointError(format!(
            "{file}: not a Polity checkpoint (it should start with `(format:`)\n    hint: checkpoints are written by `polity run --checkpoint-every T` and the app's Save checkpoint"
        )));
    }
    // The format first, so a file from another version gets a clear message, not a field error.
    let format = text["(format:".len()..].trim_start().split(|c: char| !c.is_ascii_digit()).next();
    if let Some(v) = format.and_then(|s| s.parse::<u32>().ok())
        && v != FORMAT
        && v != UNSEALED
    {
        return Err(CheckpointError(format!(
            "{file}: checkpoint format {v}; this Polity ({}) reads formats {UNSEALED} and {FORMAT}",
            crate::VERSION
        )));
    }
    let opts = ron::Options::default();
    let cp = opts.from_str::<Checkpoint>(text).map_err(|e| {
        let said = e.code.to_string();
        let mut chars = said.chars();
        let said = chars.next().map_or(String::new(), |c| c.to_lowercase().chain(chars).collect());
        // Where the text ends: an error there is a file cut short (a copy interrupted, a full
        // disk), not an edit.
        let lines = text.lines().count().max(1);
        let last = text.lines().last().map_or(0, |l| l.chars().count());
        let (line, col) = (e.span.start.line, e.span.start.col);
        let cut = line > lines || (line == lines && col + 1 >= last);
        let why = if cut { "the file ends there, cut short" } else { "the checkpoint is damaged" };
        CheckpointError(format!(
            "{file}:{line}:{col}: {said} ({why})\n    hint: Polity saves a checkpoint whole (to a temporary file, then renamed), so this one was cut or changed after; it cannot be resumed: start the run again"
        ))
    })?;
    check_digest(text, cp.format, file)?;
    // The world is rebuilt from the scenario, so it is checked as a scenario file is: a
    // damaged one (a ragged map, found by fuzzing) must be refused, not crash the build.
    match crate::scenario::check_typed(cp.scenario.clone(), file) {
        Ok(_) => Ok(cp),
        Err(problems) => {
            let lines: Vec<String> = problems.0.iter().map(|p| p.to_string()).collect();
            // A policy file the checkpoint names that is gone or changed is not damage.
            let why = if problems.0.iter().all(|p| p.path.ends_with(".weights")) {
                "the checkpoint plays this policy file as it was when the run started; put it back there (a relative path is read from the folder you resume in)"
            } else {
                "the checkpoint is damaged"
            };
            Err(CheckpointError(format!("{}\n({why})", lines.join("\n"))))
        }
    }
}
