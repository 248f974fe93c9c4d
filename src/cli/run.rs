//! `polity run`: a scenario headless into a run folder, or an interrupted run resumed from
//! its checkpoint; and the summary printed when a run ends.

use std::path::{Path, PathBuf};
use std::time::Instant;

use polity::run::{self, RunOptions};
use polity::{outputs, plural};

use super::{CliError, CliResult, Progress, load};

pub const AFTER_HELP: &str =
    "Outputs (in --out, default runs/NAME-seedS, or runs/NAME-seedS-policy-GROUP with --policy; NAME is
a scenario file's name without .ron, or the built-in scenario's name; a repeat of runs/c3/run.json
goes to runs/c3-repeat):
  metrics.csv   one row per tick from tick 0: tick,apples,harvested,patches_alive,gini,
                welfare_min,welfare_nash,welfare_mean,welfare_max,equality_times_productivity;
                then the columns of each mechanism the scenario turns on (taxes, voting,
                oversight, shield, principal), then with AI agents power_used_human,
                power_used_ai,alignment, then SUM's and impact's: the table of every column,
                in order, and when it is present is in docs/scenarios.md
  agents.csv    every agent (its kind, group, σ, power, place, apples, wealth, reward) every
                `run.agents_every` ticks and at the end
  events.jsonl  one JSON object per event: tick, kind, subject, details
  run.json      version, scenario name, seed, ticks, state hash, resolved scenario
  scenario.ron  the resolved scenario, to edit and run again

Before anything is built, the world's memory is estimated from the scenario (`polity check`
prints it); a world estimated to need more than the machine has available is refused (exit
status 2) unless --force is given. So is a run whose metrics.csv and agents.csv would surely not
fit in the disk space free where they go (their fewest possible bytes: 20 a row).

The same scenario and seed give byte-identical files. Files appear only when the run has
finished; an interrupted run (Ctrl-C, SIGTERM: exit status 130) leaves nothing half-written.
An existing --out folder is replaced only if it is a run folder Polity wrote (its run.json
lists every file in it); the working folder and those above it are refused, and so is the
folder the scenario is read from (`polity run runs/c3/run.json` writes runs/c3-repeat, to
compare with runs/c3). The rules of every output: docs/outputs.md.

Checkpoints: with --checkpoint-every T the run saves its whole state every T ticks to
.NAME.partial/checkpoint.ron beside the run folder. If the run is killed, `polity run
--resume .NAME.partial/checkpoint.ron` goes on from the last checkpoint and writes the same
files, byte for byte, as a run never interrupted. The app saves and opens the same files.

Examples:
  polity run                              the default scenario, its own ticks and seed
  polity run commons --ticks 2000 --seed 3 --out runs/c3
  polity run runs/c3/run.json --out runs/c3-again   repeat a run from its run.json
  polity run commons-large --ticks 5000 --checkpoint-every 500 --out runs/big
  polity run --resume runs/.big.partial/checkpoint.ron   after a crash or a kill

Your own scenario: `polity scenarios commons > mine.ron`, edit it (docs/scenarios.md has every
field), `polity check mine.ron`, then `polity run mine.ron`.";

/// `polity run`'s arguments.
#[derive(clap::Args, Default)]
pub struct RunArgs {
    /// A built-in scenario name, a .ron file, or a run.json to repeat [default: commons]
    scenario: Option<String>,
    /// Ticks to run [default: the scenario's `run.ticks`]
    #[arg(long)]
    ticks: Option<u64>,
    /// Seed for every random draw [default: the scenario's `run.seed`]
    #[arg(long)]
    seed: Option<u64>,
    /// Run folder to write [default: runs/NAME-seedS, NAME the scenario file's name without
    /// .ron or the built-in's name]. An existing folder is replaced only if it
    /// is a run folder Polity wrote and holds nothing else (docs/outputs.md)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Save the whole state every T ticks, to resume from if the run is interrupted
    #[arg(long, value_name = "T")]
    checkpoint_every: Option<u64>,
    /// Go on with an interrupted run from its checkpoint.ron (no scenario or other options)
    #[arg(long, value_name = "CHECKPOINT", conflicts_with_all = ["scenario", "ticks", "seed", "out", "checkpoint_every", "policy"])]
    resume: Option<PathBuf>,
    /// Run even when the world's estimated memory is more than this machine has available, or
    /// its files' estimated size more than the disk has free
    #[arg(long, conflicts_with = "resume")]
    force: bool,
    #[command(flatten)]
    policies: super::PolicyArgs,
}

impl RunArgs {
    /// Runs the scenario, or resumes the checkpoint.
    pub fn run(self) -> CliResult {
        if let Some(cp) = &self.resume {
            return resume(cp);
        }
        if self.checkpoint_every == Some(0) {
            return Err(CliError::input("--checkpoint-every must be at least 1 tick"));
        }
        let no_policies = self.policies.policy.is_empty();
        let s = self.policies.apply(load(self.scenario.as_deref())?)?;
        let label = self.scenario.as_deref().unwrap_or(&s.name);
        if self.checkpoint_every.is_some() {
            super::memory_gate_checkpointed(label, &s, self.force)?;
        } else {
            super::memory_gate(label, &s, self.force)?;
        }
        let opts = RunOptions { ticks: self.ticks.unwrap_or(s.run.ticks), seed: self.seed.unwrap_or(s.run.seed) };
        // A run that plays policy files says so in its default folder's name: the same
        // scenario's plain run (`runs/NAME-seedS`) replaced it.
        let played: String =
            self.policies.pairs()?.iter().map(|(group, _)| format!("-{}", outputs::file_stem(group))).collect();
        let played = if played.is_empty() { played } else { format!("-policy{played}") };
        // The file the scenario is read from, if it is one (a run.json or scenario.ron in a
        // run folder): the run never replaces the folder that holds it, so the run it repeats
        // stays to compare with. The default folder is then the run folder's name and `-repeat`.
        let input = self.scenario.as_deref().map(Path::new).filter(|p| p.is_file());
        let holds_input = |dir: &Path| input.is_some_and(|i| outputs::holds_input(dir, i));
        let shown = match self.out {
            // (The working folder, one above it and the root are refused as such, below.)
            Some(out) if outputs::resolve(&out).is_ok() && holds_input(&out) => {
                return Err(CliError::input(format!(
                    "{}: holds the input {}; a run never replaces the folder it reads its scenario from, even with --force\n    hint: write it elsewhere, e.g. --out {}-repeat",
                    out.display(),
                    input.map_or(String::new(), |i| i.display().to_string()),
                    out.display().to_string().trim_end_matches('/'),
                )));
            }
            Some(out) => out,
            // (Only the files a run folder holds: a file of the user's own put in one is not a
            // repeat, and its run is named after it.)
            None => match input
                .filter(|i| i.file_name().is_some_and(|n| n == "run.json" || n == "scenario.ron"))
                .and_then(Path::parent)
                .filter(|dir| dir.join("run.json").is_file())
            {
                // A repeat of a run folder's run: beside it (`runs/c3` → `runs/c3-repeat`).
                // (Given as `run.json` or `../run.json`, the folder is named by its whole path.)
                Some(dir) => {
                    let dir = match dir.file_name() {
                        Some(_) => dir.to_path_buf(),
                        None => std::fs::canonicalize(dir.join(".")).unwrap_or_else(|_| dir.to_path_buf()),
                    };
                    PathBuf::from(format!("{}-repeat{played}", dir.display()))
                }
                // A scenario file's run is named after the file (two variants of one scenario,
                // `co-naive.ron` and `co-stepwise.ron`, would share the scenario's name and the
                // second would replace the first); a built-in's after its name.
                None => {
                    let stem = input.and_then(Path::file_stem).map(|f| f.to_string_lossy().into_owned());
                    let name = stem.filter(|_| input.is_some_and(is_ron)).unwrap_or_else(|| s.name.clone());
                    PathBuf::from(format!("runs/{}-seed{}{played}", outputs::file_stem(&name), opts.seed))
                }
            },
        };
        let out = run::check_out_dir(&shown).map_err(CliError::input)?;
        super::disk_gate(label, &s, opts.ticks, &out, self.force, self.checkpoint_every.is_some())?;
        // Repeating a run.json as it ran (its seed, ticks and policies): its state hash says
        // whether the repeat is exact.
        // Whether the run.json is as Polity wrote it (its own digest holds) is read now too, as
        // the run may replace its folder.
        let recorded = (self.scenario.as_deref())
            .filter(|a| a.ends_with(".json") && no_policies)
            .and_then(|a| Some((Path::new(a), polity::scenario::read_source(Path::new(a)).ok()?)))
            .and_then(|(path, bytes)| Some((path, String::from_utf8(bytes).ok()?)))
            .and_then(|(path, text)| {
                let r = polity::json::from_str::<polity::run_json::RunJson>(&text).ok()?;
                let dir = path.parent().unwrap_or(Path::new("."));
                let sealed =
                    polity::run_json::changed_files(dir, &text).is_some_and(|c| !c.iter().any(|f| f == "run.json"));
                Some((r, sealed))
            })
            .filter(|(r, _)| r.ticks == opts.ticks && r.seed == opts.seed);
        for note in polity::scenario::notes(&s, opts.ticks) {
            polity::tell_err!("note: {note}");
        }
        let bar = Progress::new(opts.ticks, "ticks");
        // A big world takes seconds to build before its first tick (docs/performance.md).
        bar.note("building the world");
        let started = Instant::now();
        let result = polity::parallel::on_pool(|| {
            run::run_to_dir_checkpointed(&s, &opts, &out, self.checkpoint_every, |t| {
                if t == 1 {
                    bar.note("");
                }
                bar.tick_checkpointed(t, opts.ticks, self.checkpoint_every)
            })
        });
        bar.finish();
        let hash = result.as_ref().ok().map(|r| format!("{:016x}", r.state_hash));
        // The earlier run this one replaced (a run folder of Polity's, unchanged): said at the
        // end, since a different run replaced without a word surprised a user.
        let earlier = result.as_ref().ok().and_then(|r| r.replaced.clone());
        report_run(&s.name, result, &shown, started)?;
        super::say_played(&s, "");
        if let Some(e) = earlier {
            // Which weights it played, when not this run's: two policy files' runs take one
            // default folder, and "seed 0, 50 ticks" did not say the first was another's.
            let now = polity::run_json::played(&s);
            let weights = if e.policies != now && !e.policies.is_empty() {
                let listed: Vec<String> = e
                    .policies
                    .iter()
                    .map(|p| format!("{} played {} (weights {})", p.group, p.file, p.weights_hash))
                    .collect();
                format!(", where {}", listed.join(", "))
            } else {
                String::new()
            };
            say!(
                "  replaced the earlier run in {}: `{}`, seed {}, {}{weights}",
                shown.display(),
                e.scenario_name,
                e.seed,
                plural(e.ticks, "tick")
            );
        }
        if let (Some((r, sealed)), Some(hash)) = (recorded, hash) {
            if r.state_hash == hash {
                say!("  repeats the run its run.json records exactly (the same state hash)");
            } else if sealed {
                // Nothing in it was changed: this is a run that does not reproduce.
                return Err(CliError::internal(format_args!(
                    "the run did not repeat: its state hash is {hash}, where {} (as Polity wrote it, unedited) records {}; \
                     this Polity ({}) steps the world differently from the one that wrote it ({}). The run's files are written\n    \
                     hint: run it with the Polity that wrote it to get its numbers; report it if the versions are the same",
                    self.scenario.as_deref().unwrap_or_default(),
                    r.state_hash,
                    polity::VERSION,
                    r.polity_version
                )));
            } else {
                polity::tell_err!(
                    "warning: the state hash {hash} is not the {} that {} records (written by Polity {}): this run did \
                     not repeat that one, as the run.json was edited since Polity wrote it",
                    r.state_hash,
                    self.scenario.as_deref().unwrap_or_default(),
                    r.polity_version
                );
            }
        }
        Ok(())
    }
}

/// Goes on with an interrupted checkpointed run.
fn resume(cp: &Path) -> CliResult {
    let started = Instant::now();
    let bar = std::sync::OnceLock::new();
    let result = polity::parallel::on_pool(|| {
        run::resume(cp, |t, end, every| {
            bar.get_or_init(|| Progress::new(end, "ticks")).tick_checkpointed(t, end, Some(every))
        })
    });
    drop(bar);
    match result {
        Ok((summary, out)) => {
            let name = polity::run_json::RunJson::read(&out).map(|r| r.scenario_name).unwrap_or_default();
            say!("resumed from {}", cp.display());
            report_run(&name, Ok(summary), &out, started)
        }
        Err(run::ResumeError::Input(e)) => Err(CliError::input(e)),
        Err(run::ResumeError::Io(e)) => Err(CliError::io("resuming", &e)),
    }
}

/// Prints a finished run's summary.
fn report_run(name: &str, result: std::io::Result<run::RunSummary>, out: &Path, started: Instant) -> CliResult {
    match result {
        Ok(summary) => {
            let secs = started.elapsed().as_secs_f64();
            let m = |c: &str| summary.metric(c).unwrap_or(f64::NAN);
            let ran = summary.ticks - summary.started_at;
            let span = if summary.started_at == 0 {
                plural(ran, "tick")
            } else {
                format!("ticks {}–{} ({})", summary.started_at, summary.ticks, plural(ran, "tick"))
            };
            // The speed of the ticks alone: a big world takes longer to build than to step.
            let ticking = summary.ticking.as_secs_f64();
            // A slow world's rate as the time a tick takes ("0 ticks/s" said nothing).
            let rate = ran as f64 / ticking.max(1e-9);
            let speed = if ran == 0 {
                "no ticks".to_string()
            } else if rate < 10.0 {
                format!("{} a tick", polity::cost::duration(ticking / ran as f64))
            } else {
                format!("{rate:.0} ticks/s")
            };
            let saving = summary.checkpointing.as_secs_f64();
            let saving = if saving > 0.0 { format!("; writing checkpoints {saving:.3} s") } else { String::new() };
            say!(
                "{} · seed {} · {span} in {:.2} s (the ticks {:.3} s: {speed}{saving})",
                name,
                summary.seed,
                secs,
                ticking
            );
            say!(
                "  apples standing {} · harvested {} in all · patches alive {}",
                m(polity::columns::APPLES),
                summary.picked,
                m(polity::columns::PATCHES_ALIVE)
            );
            // SED's reward counts a share of the neighbours' apples too: its mean can pass the
            // apples an agent picked, which "apples per agent" made look wrong.
            let utility = match polity::run_json::RunJson::read(out).map(|r| r.welfare_utility).as_deref() {
                Some("wealth") => "wealth (apples per agent)",
                _ => "SED reward (per agent, in apples: σ·own + (1−σ)·neighbours')",
            };
            // SED's reward mixes σ-weighted shares, so a sum back to nothing can end a rounding
            // error below zero: that is 0.00, not -0.00.
            let at = |x: f64, places: usize| polity::tables::unsigned_zero(format!("{x:.places$}"));
            // Nash welfare counts a utility at or below zero as zero, which makes it zero
            // (docs/scenarios.md): said, so that it does not read as a measured 0.
            let nash = match at(m(polity::columns::WELFARE_NASH), 2) {
                n if m(polity::columns::WELFARE_MIN) <= 0.0 => format!("{n} (an agent at or below 0)"),
                n => n,
            };
            if summary.agents == 0 {
                say!("  welfare: no agents (its columns are 0)");
            } else {
                say!(
                    "  welfare of {utility}: min {} · Nash {nash} · mean {} · max {} · Gini {}",
                    at(m(polity::columns::WELFARE_MIN), 2),
                    at(m(polity::columns::WELFARE_MEAN), 2),
                    at(m(polity::columns::WELFARE_MAX), 2),
                    at(m(polity::columns::GINI), 3)
                );
            }
            if let (Some(n), Some(s), Some(i)) =
                (summary.metric("impact_naive"), summary.metric("impact_stepwise"), summary.metric("impact_iterative"))
            {
                say!(
                    "  side effects blamed on the AI: none {} · naive inaction {n} · stepwise {s} · iterative {i} (unmatched {})",
                    m(polity::columns::IMPACT_NONE),
                    m("impact_unmatched")
                );
                say!(
                    "  also: naive inaction, symmetric {} · stationary iterative {}",
                    m(polity::columns::IMPACT_NAIVE_SYMMETRIC),
                    m(polity::columns::IMPACT_STATIONARY)
                );
            }
            say!("  {} · state hash {:016x}", plural(summary.events, "event"), summary.state_hash);
            say!("  wrote {}/{{metrics.csv,agents.csv,events.jsonl,run.json,scenario.ron}}", out.display());
            if let Some((left, why)) = &summary.kept_aside {
                polity::tell_err!(
                    "warning: the new run is in place, but the old run folder it replaced was not removed whole ({why}); what is left of it is kept in {}",
                    left.display()
                );
            }
            Ok(())
        }
        // A resumable run waiting in the staging, another process writing it, or a folder of
        // the user's with the staging's name: bad input.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::AlreadyExists
                    | std::io::ErrorKind::ResourceBusy
                    | std::io::ErrorKind::DirectoryNotEmpty
            ) =>
        {
            Err(CliError::input(e))
        }
        Err(e) => Err(CliError::io(&format!("writing {}", out.display()), &e)),
    }
}

/// Whether `path` names a RON file (`.ron`, in any case).
fn is_ron(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ron"))
}
