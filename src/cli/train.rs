//! `polity train`: PPO for every `Learned` group of a scenario, into a training folder; or a
//! stopped training resumed from its folder.

use std::path::PathBuf;
use std::time::Instant;

use polity::learn::folder::{self, Session};
use polity::learn::train::UpdateReport;
use polity::{outputs, plural};

use super::{CliError, CliResult, Progress, load};

pub const AFTER_HELP: &str = "Trains every group whose policy is `Learned(…)`, and a learned principal
(`principal: (policy: Learned())`, SED's bilevel loop: it sets the tax rates each period and is
rewarded by the welfare W_p of the agents' period rewards), with PPO: each update plays
`learning.envs` whole episodes (`learning.episode_ticks`, or `run.ticks`) of fresh worlds in
parallel, stepped by the same rules as `polity run`, then updates each network
(docs/learning.md: the observation, the reward, the algorithm and every setting).

Outputs (in --out, default runs/NAME-train-seedS), rewritten after every update:
  learning.csv                 per update and group: mean return, entropy, KL, clip fraction,
                               value loss, apples picked, patches alive, Gini, welfare_mean
  learning.png                 each group's mean return per update
  policies/GROUP.safetensors   each group's policy, to play with `Learned(weights: \"…\")` or
                               `--policy GROUP=FILE` in run, gui, record, compare and sweep
                               (a learned principal's: policies/principal.safetensors)
  scenario.ron, train.json     what was trained, with which seed and settings; weight hashes
  state.safetensors            weights and optimiser state, for --resume

The same scenario, seed and number of worlds give the same weights, byte for byte, for any
--threads. A killed or interrupted training keeps its last finished update: `polity train
--resume DIR` goes on and ends with the same weights as a training never stopped.

Examples:
  polity train commons-learners --updates 50 --out runs/learners
  polity train --resume runs/learners --updates 100      go on to 100 updates
  polity run commons-learners --policy learners=runs/learners/policies/learners.safetensors
  polity record commons-learners --out learned.gif \\
      --policy learners=runs/learners/policies/learners.safetensors
  polity train sed-learners --updates 60 --out runs/sed   + a learned principal
  polity run sed-learners --policy principal=runs/sed/policies/principal.safetensors";

/// `polity train`'s arguments.
#[derive(clap::Args)]
pub struct TrainArgs {
    /// A built-in scenario name or a .ron file with at least one `Learned` group or a learned
    /// principal (needed, unless --resume)
    #[arg(required_unless_present = "resume")]
    scenario: Option<String>,
    /// Training folder to create [default: runs/NAME-train-seedS]; must be new or empty
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed of the networks' initial weights and of every world [default: the scenario's `run.seed`]
    #[arg(long)]
    seed: Option<u64>,
    /// Train until this many updates are done [default: the scenario's `learning.updates`; with
    /// --resume, what the folder's last training asked for]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    updates: Option<u32>,
    /// Worlds per update [default: the scenario's `learning.envs`]
    #[arg(long, value_name = "N")]
    envs: Option<u32>,
    /// Go on with the training in this folder, with its own scenario, seed and worlds (its
    /// train.json): no SCENARIO, --out, --seed or --envs with it
    #[arg(long, value_name = "DIR")]
    resume: Option<PathBuf>,
    /// Train even when the estimated memory (the worlds and each update's samples; the
    /// refusal lists the terms) is more than this machine has available
    #[arg(long)]
    force: bool,
}

/// Refuses `--envs` outside the range the scenario's `learning.envs` is held to.
pub fn check_envs(envs: Option<u32>) -> Result<(), CliError> {
    use polity::scenario::MAX_ENVS;
    match envs {
        Some(n) if !(1..=MAX_ENVS).contains(&n) => {
            Err(CliError::input(format!("--envs must be 1 to {MAX_ENVS} worlds per update, found {n}")))
        }
        _ => Ok(()),
    }
}

impl TrainArgs {
    /// Trains, or resumes.
    pub fn run(self) -> CliResult {
        check_envs(self.envs)?;
        if let Some(dir) = &self.resume {
            // What a resume keeps cannot be given anew: said all at once, and why.
            let given: Vec<&str> = [
                (self.scenario.is_some(), "SCENARIO"),
                (self.out.is_some(), "--out"),
                (self.seed.is_some(), "--seed"),
                (self.envs.is_some(), "--envs"),
            ]
            .into_iter()
            .filter_map(|(given, what)| given.then_some(what))
            .collect();
            if !given.is_empty() {
                return Err(CliError::input(format!(
                    "--resume goes on with the training in {} as it started it (its scenario, seed and worlds, in its train.json), so it takes no {}\n    hint: drop {}; to train with other settings, start a new training: `polity train SCENARIO --out NEW_DIR`",
                    dir.display(),
                    given.join(", "),
                    if given.len() == 1 { "it" } else { "them" }
                )));
            }
        }
        polity::outputs::note_on_first_signal(
            "stopping: an update still playing its episodes is dropped, one whose networks are learning is \
             finished and saved first (Ctrl-C again to stop at once); the updates already saved are kept",
        );
        let mut session = match &self.resume {
            // The folder's train.json, given for the folder, is taken for it.
            Some(dir) if dir.file_name().is_some_and(|n| n == "train.json") && dir.is_file() => {
                Session::resume(dir.parent().unwrap_or(std::path::Path::new("."))).map_err(CliError::input)?
            }
            Some(dir) => Session::resume(dir).map_err(CliError::input)?,
            None => {
                let s = load(self.scenario.as_deref())?;
                let seed = self.seed.unwrap_or(s.run.seed);
                let shown = self
                    .out
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(format!("runs/{}-train-seed{seed}", outputs::file_stem(&s.name))));
                let dir = folder::check_new(&shown).map_err(CliError::input)?;
                Session::new(&s, seed, self.envs, dir).map_err(|r| {
                    // Said where in the file, as `polity check` says it.
                    let arg = self.scenario.as_deref().unwrap_or_default();
                    match r.field.as_deref().and_then(|p| polity::scenario::position_of(arg, p)) {
                        Some((line, col)) => CliError::input(format!("{arg}:{line}:{col}: {}", r.message)),
                        None => CliError::input(r.message),
                    }
                })?
            }
        };
        let label = match (&self.resume, &self.scenario) {
            (Some(dir), _) => dir.join("scenario.ron").display().to_string(),
            (None, arg) => arg.clone().unwrap_or_else(|| session.trainer.scenario.name.clone()),
        };
        let memory = super::estimate_gate(
            &label,
            "this training",
            &session.memory(),
            self.force,
            "lower learning.episode_ticks or learning.envs (--envs), or pass --force to train anyway",
        )?;
        let target = self.updates.unwrap_or(session.default_target());
        let t = &session.trainer;
        let first = t.updates_done;
        if first >= target {
            say!(
                "{}: {} already done; nothing to do (ask for more with --updates)",
                session.dir.display(),
                plural(first, "update")
            );
            return Ok(());
        }
        say!(
            "training {} · seed {} · {} of {} ticks per update · updates {}–{target}",
            t.scenario.name,
            t.seed,
            plural(t.envs as u64, "world"),
            t.episode,
            first + 1
        );
        for p in session.starts_from.iter().filter(|_| first == 0) {
            // Which weights, by their hash, as `polity run` says them: the file may be trained
            // again later, and train.json keeps this hash (`starts_from`).
            say!("  starting {} from {} (weights {})", p.group, p.file, p.weights_hash);
        }
        say!("  {memory}");
        let per_update = t.episode;
        let total = (target - first) as u64 * per_update;
        let bar = Progress::new(total, "ticks");
        let started = Instant::now();
        let mut steps = 0u64;
        let mut split = (0.0, 0.0);
        let mut last = String::new();
        let result = session.run(
            target,
            &mut |u, tick| {
                let done = (u - first - 1) as u64 * per_update + tick;
                if tick == per_update {
                    // Played; its networks learn now (seconds, minutes with many epochs): said,
                    // and its last tick counted once they have (the bar said `20/20 ticks ·
                    // about 0s left` all through the last update's learning).
                    bar.set(done - 1);
                    bar.message(&format!("update {u}: played; its networks are learning …"));
                } else {
                    bar.tick(done, total);
                }
            },
            &mut |r: &UpdateReport| {
                bar.set((r.update - first) as u64 * per_update);
                steps += r.agent_steps;
                split.0 += r.seconds.0;
                split.1 += r.seconds.1;
                let rate = steps as f64 / started.elapsed().as_secs_f64().max(1e-9);
                last = summary(r);
                bar.message(&format!(
                    "update {} · {} episodes · {last} · {rate:.0} learner-steps/s",
                    r.update, r.episodes
                ));
            },
        );
        bar.finish();
        let secs = started.elapsed().as_secs_f64();
        match result {
            Ok(()) => {
                say!(
                    "{} in {secs:.1} s ({:.0} learner-steps/s, learning included)",
                    plural(target - first, "update"),
                    steps as f64 / secs.max(1e-9)
                );
                say!(
                    "  time: {:.0}% playing the episodes (worlds, observations, networks' forward passes), {:.0}% updating the networks",
                    100.0 * split.0 / (split.0 + split.1).max(1e-9),
                    100.0 * split.1 / (split.0 + split.1).max(1e-9)
                );
                say!("  last update: {last}");
                // The folder as given (`--out`, or the default under runs/), not its absolute path.
                let shown = match (&self.resume, &self.out) {
                    (Some(dir), _) if dir.file_name().is_some_and(|n| n == "train.json") => {
                        dir.parent().map_or_else(|| session.dir.clone(), std::path::Path::to_path_buf)
                    }
                    (Some(dir), _) => dir.clone(),
                    (None, Some(out)) => out.clone(),
                    (None, None) => std::env::current_dir()
                        .ok()
                        .and_then(|cwd| session.dir.strip_prefix(cwd).ok().map(std::path::Path::to_path_buf))
                        .unwrap_or_else(|| session.dir.clone()),
                };
                say!(
                    "  wrote {}: learning.csv, learning.png, policies/, train.json, scenario.ron, state.safetensors",
                    shown.display()
                );
                Ok(())
            }
            Err(e) => Err(CliError::io("training", &e)),
        }
    }
}

fn summary(r: &UpdateReport) -> String {
    let groups: Vec<String> = r.groups.iter().map(|g| format!("{} return {:.2}", g.group, g.mean_return)).collect();
    format!("{} · patches alive {:.1} · Gini {:.3}", groups.join(" · "), r.metrics.patches_alive, r.metrics.gini)
}
