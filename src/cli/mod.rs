//! The `polity` command line: the parser (one `clap::Args` struct per subcommand, in the
//! files beside this one), the dispatch, the one error type ([`CliError`]) and the one
//! progress bar ([`Progress`]).

/// Prints a line on stdout. When stdout cannot be written (`polity sweep … | head -1`, or
/// `> /dev/full`), the command goes on with its work (its outputs are its files) and prints
/// nothing more there; [`stdout_lost`] says why at the end.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            $crate::cli::stdout_failed(e);
        }
    }};
}

/// The first error writing to stdout, if any.
static STDOUT_ERROR: std::sync::Mutex<Option<std::io::ErrorKind>> = std::sync::Mutex::new(None);

/// Keeps the first error writing to stdout.
pub fn stdout_failed(e: std::io::Error) {
    let mut first = STDOUT_ERROR.lock().unwrap_or_else(|p| p.into_inner());
    first.get_or_insert(e.kind());
}

/// Why stdout lost some of the report, when that is worth an error: a reader that went away
/// (`| head`) is not (it asked for no more), anything else (a full disk) is.
pub fn stdout_lost() -> Option<std::io::ErrorKind> {
    let first = *STDOUT_ERROR.lock().unwrap_or_else(|p| p.into_inner());
    first.filter(|k| *k != std::io::ErrorKind::BrokenPipe)
}

/// Says which trained policies a run or recording of `s` played (its groups' `weights`, or
/// `--policy`), one line each, `side` after the player (`" (the second)"`).
fn say_played(s: &polity::scenario::Scenario, side: &str) {
    for p in polity::run_json::played(s) {
        let who = if p.group == "principal" { "the principal".to_string() } else { format!("group `{}`", p.group) };
        say!("  {who}{side} played {} (weights {})", p.file, p.weights_hash);
    }
}

mod check;
mod compare;
mod error;
mod gui;
mod optimal;
mod oversight;
mod plan_budget;
mod progress;
mod record;
mod run;
mod sum;
mod sum_loop;
mod sweep;
mod train;

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use polity::outputs;
use polity::scenario::{self, Scenario};

pub use error::{CliError, CliResult};
pub use progress::Progress;

const ABOUT: &str = "Polity: an agent-based simulation engine for AI governance and alignment research.

Human and AI agents share a commons of regrowing apples. Scenarios are RON files (see
docs/scenarios.md); built-in ones are embedded in the binary (`polity scenarios`).";

const EXAMPLES: &str = "Examples:
  polity                                  open the desktop app on the default scenario (commons);
                                          without the app (or a display) run it headless instead
  polity gui sed-apple-picking --seed 3   watch, steer and inspect a scenario in a window
  polity run commons --ticks 500 --seed 7 --out runs/c7
  polity run my-world.ron                 run your own scenario file
  polity run runs/c7/run.json             repeat an earlier run exactly
  polity check scenarios/*.ron            validate files without running them
  polity compare commons no-ai.ron --seeds 0..20   does B beat A? mean ± 95% CI, paired p
  polity record commons --ticks 300 --out commons.gif   a video of the world, with an overlay
  polity train commons-learners --updates 50 --out runs/learners   learn policies with PPO
  polity scenarios                        list the built-in scenarios

Exit status: 0 success, 2 bad input (scenario, arguments, or an output Polity will not
replace), 1 an error while working (a full disk, a folder changed under a run, an internal
error), 130 interrupted. Polity never deletes or replaces a file it cannot
prove it wrote; single files are replaced only with --force (docs/outputs.md).

Long work shows a progress bar on a terminal; with stderr sent to a file or a pipe (a batch
job's log) it writes a `progress: …` line every 30 seconds instead.";

/// The whole command line.
#[derive(Parser)]
#[command(name = "polity", version, about = ABOUT, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Threads for everything that runs in parallel: the agents of a big world, the planner,
    /// the runs of a sweep or a comparison; outputs are the same for any number; at most 8 per
    /// core (16 on a one-core machine) [default: one per core]
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<NonZeroUsize>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario headless and write its outputs to a run folder.
    #[command(
        after_help = run::AFTER_HELP,
        override_usage = "polity run [OPTIONS] [SCENARIO]\n       polity run --resume <CHECKPOINT>"
    )]
    Run(run::RunArgs),
    /// Validate scenario files: every problem is reported with FILE:LINE:COLUMN.
    #[command(after_help = check::AFTER_HELP)]
    Check(check::CheckArgs),
    /// Compare two scenarios over the same seeds: end-of-run metrics, mean ± 95% CI, paired p.
    #[command(
        after_help = compare::AFTER_HELP,
        mut_arg("policy", |a| a.help(
            "Play a trained policy for a group in both A and B: GROUP=FILE (repeat for several groups; --policy-b gives B another)"
        ))
    )]
    Compare(compare::CompareArgs),
    /// Record a video of a scenario: the world as the app shows it, with an overlay.
    #[command(after_help = record::AFTER_HELP)]
    Record(record::RecordArgs),
    /// Open the desktop app on a scenario: watch, steer and inspect it while it runs.
    #[command(after_help = gui::AFTER_HELP)]
    Gui(gui::GuiArgs),
    /// Train the scenario's `Learned` groups with PPO; write their policies and learning curves.
    #[command(
        after_help = train::AFTER_HELP,
        override_usage = "polity train [OPTIONS] <SCENARIO>\n       polity train --resume <DIR> [--updates <N>]"
    )]
    Train(train::TrainArgs),
    /// List the built-in scenarios, or print one's RON source to start your own from.
    #[command(after_help = check::SCENARIOS_HELP)]
    Scenarios(check::ScenariosArgs),
    /// What sparse sampling needs for a guarantee (ε, δ → H, C), and what a budget certifies.
    #[command(after_help = plan_budget::AFTER_HELP)]
    PlanBudget(plan_budget::PlanBudgetArgs),
    /// Solve a small governance world exactly and judge the PAA planner's budgets against its optimum.
    #[command(after_help = optimal::AFTER_HELP)]
    Optimal(optimal::OptimalArgs),
    /// Run Statistical Utility Mechanics' Gaussian toy model and write its tables as CSV.
    #[command(after_help = sum::AFTER_HELP)]
    Sum(sum::SumArgs),
    /// Run the informed-oversight seed's predictions as experiments (docs/oversight.md).
    #[command(subcommand, after_help = oversight::HELP)]
    Oversight(oversight::OversightCommand),
    /// Run a parameter sweep: every combination of the parameters' values, each replicated,
    /// in parallel, into one tidy table.
    #[command(after_help = sweep::SWEEP_HELP)]
    Sweep(sweep::SweepArgs),
    /// Join the tables of a sweep's shards (their folders) into one results.csv.
    #[command(after_help = sweep::MERGE_HELP)]
    SweepMerge(sweep::MergeArgs),
    /// Summarise a sweep: mean ± 95% confidence interval of each kept metric per combination,
    /// and a PNG plot of one metric against one parameter.
    #[command(after_help = sweep::REPORT_HELP)]
    SweepReport(sweep::ReportArgs),
}

/// clap's `Error::exit`, but a help or version text that cannot be written (`polity --help >
/// /dev/full`) is exit status 1, said on stderr, as any command's lost stdout is (clap's own
/// exit swallows the error and says 0).
trait ExitChecked {
    fn exit_checked(self) -> !;
}

impl ExitChecked for clap::Error {
    fn exit_checked(self) -> ! {
        match self.print() {
            Err(e) if !self.use_stderr() && e.kind() != std::io::ErrorKind::BrokenPipe => {
                polity::tell_err!("error: writing to stdout: {e}");
                std::process::exit(1)
            }
            _ => std::process::exit(self.exit_code()),
        }
    }
}

impl Cli {
    /// Parses the command line (exits with clap's message and status 2 on bad arguments).
    /// Every option takes a negative number as its value, so `--seed -5` is refused for what
    /// it is (a value out of range) rather than read as an unknown flag `-5`; a list takes
    /// `-30,0`.
    pub fn parse() -> Cli {
        fn negatives(c: clap::Command) -> clap::Command {
            c.mut_args(|a| {
                let takes = a.get_action().takes_values();
                // A list's value (`--angles -30,0`) is no number, so it takes any value
                // beginning with `-` (it was read as an unknown flag `-3`).
                let list = takes && a.get_value_delimiter().is_some();
                a.allow_negative_numbers(takes).allow_hyphen_values(list)
            })
            .mut_subcommands(negatives)
        }
        let mut cmd = negatives(Cli::command());
        let mut matches = cmd.try_get_matches_from_mut(std::env::args_os()).unwrap_or_else(|e| {
            use clap::error::{ContextKind, ContextValue, ErrorKind};
            let said = |k| match e.get(k) {
                Some(ContextValue::String(s)) => Some(s.clone()),
                _ => None,
            };
            // A mistyped command (`polity rn`): clap suggests none at the top level.
            if e.kind() == ErrorKind::InvalidSubcommand
                && e.get(ContextKind::SuggestedSubcommand).is_none()
                && let Some(word) = said(ContextKind::InvalidSubcommand)
            {
                let names: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
                if let Some(near) = polity::spanned_ron::did_you_mean(&word, &names) {
                    let mut with = clap::Error::new(ErrorKind::InvalidSubcommand).with_cmd(&cmd);
                    with.insert(ContextKind::InvalidSubcommand, ContextValue::String(word));
                    with.insert(ContextKind::SuggestedSubcommand, ContextValue::String(near.to_string()));
                    if let Some(usage) = e.get(ContextKind::Usage) {
                        with.insert(ContextKind::Usage, usage.clone());
                    }
                    with.exit_checked()
                }
            }
            let (Some(arg), Some(value)) = (said(ContextKind::InvalidArg), said(ContextKind::InvalidValue)) else {
                e.exit_checked()
            };
            if e.kind() != ErrorKind::ValueValidation {
                e.exit_checked()
            }
            let arg = arg.split_whitespace().next().unwrap_or(&arg).to_string();
            let text = e.to_string();
            // The whole path of subcommands given (`sum loop `), each found under the last.
            let sub = || {
                let mut sub = String::new();
                let mut at = &cmd;
                for a in std::env::args().skip(1) {
                    if let Some(c) = at.get_subcommands().find(|c| c.get_name() == a) {
                        sub.push_str(&format!("{a} "));
                        at = c;
                    }
                }
                sub
            };
            let message = if value.starts_with('-') && value.parse::<f64>().is_ok() {
                format!(
                    "{arg} {value}: a negative number is not allowed here (`polity {}--help` says what {arg} takes)\n",
                    sub()
                )
            } else if text.contains("from empty string") {
                // `--dims 2,,4`, `--dims=`: clap said "cannot parse integer from empty string".
                format!(
                    "{arg}: an empty value (`,,`, or a `,` at either end?); give numbers separated by single commas (`polity {}--help` says what {arg} takes)\n",
                    sub()
                )
            } else if text.contains("invalid digit found in string") || text.contains("invalid float literal") {
                // (clap said only "invalid digit found in string".)
                format!("{arg} {value}: not a number (`polity {}--help` says what {arg} takes)\n", sub())
            } else if text.contains("too large to fit in target type") {
                // (clap said only "number too large to fit in target type".)
                format!("{arg} {value}: too large a number for {arg} (`polity {}--help` says what it takes)\n", sub())
            } else if value.parse::<u64>() == Ok(0) && text.contains("zero for non-zero") {
                // `--threads 0`: clap says "number would be zero for non-zero type".
                format!("{arg} 0: give 1 or more\n")
            } else if let Some(range) = text.split("is not in ").nth(1) {
                // `--fps 0`, `--fps 121`, `--ticks-per-frame 0`: clap says "121 is not in
                // 1..=120" or "0 is not in 1..18446744073709551615"; both said the same way.
                let range = range.split_whitespace().next().unwrap_or("");
                let (lo, hi) = match range.split_once("..=") {
                    Some((lo, hi)) => (lo, hi.parse::<u128>().ok()),
                    None => range
                        .split_once("..")
                        .map_or((range, None), |(lo, hi)| (lo, hi.parse::<u128>().ok().map(|h| h.saturating_sub(1)))),
                };
                match hi {
                    // (A 64-bit field's whole range is "or more"; a 32-bit one's top is said:
                    // `--width 4294967296` said "give 0 or more".)
                    Some(hi) if hi < (u64::MAX - 1) as u128 => format!("{arg} {value}: give {lo} to {hi}\n"),
                    _ => format!("{arg} {value}: give {lo} or more\n"),
                }
            } else {
                e.exit_checked()
            };
            clap::Error::raw(ErrorKind::ValueValidation, message).with_cmd(&cmd).exit_checked()
        });
        let cli = Cli::from_arg_matches_mut(&mut matches).unwrap_or_else(|e| e.format(&mut cmd).exit_checked());
        // A global option given before and after the command: clap keeps the last, silently.
        let given = std::env::args_os()
            .skip(1)
            .take_while(|a| a != "--")
            .filter(|a| a == "--threads" || a.as_encoded_bytes().starts_with(b"--threads="))
            .count();
        if given > 1 {
            let message = "--threads is given more than once; give it once (before or after the command)\n";
            clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, message).with_cmd(&cmd).exit_checked()
        }
        let most = polity::parallel::max_threads();
        if let Some(n) = cli.threads
            && n.get() > most
        {
            // 100,000 threads took minutes to start, with no word.
            let cores = polity::parallel::cores();
            let message = format!(
                "--threads {n}: at most {most} here ({} per core, {}); more threads than cores only slow the work\n",
                polity::parallel::THREADS_PER_CORE,
                polity::plural(cores as u64, "core"),
            );
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, message).with_cmd(&cmd).exit_checked()
        }
        cli
    }

    /// Runs the command (`threads`: the size of the thread pool, for the summaries).
    pub fn dispatch(self, threads: usize) -> CliResult {
        // Work that stages its output stops cleanly on SIGINT/SIGTERM; the rest just ends.
        if matches!(
            self.command,
            None | Some(
                Command::Run(_)
                    | Command::Record(_)
                    | Command::Sweep(_)
                    | Command::Train(_)
                    | Command::Compare(_)
                    | Command::Gui(_)
            )
        ) {
            outputs::catch_interrupts();
        } else if matches!(self.command, Some(Command::Sum(_) | Command::Oversight(_) | Command::Optimal(_))) {
            // Work first, files at the end: a signal stops it at once (it ended with the
            // signal's own status, 143 for SIGTERM, and no word).
            outputs::catch_interrupts_at_once();
        }
        match self.command.unwrap_or_else(default_command) {
            Command::Run(a) => a.run(),
            Command::Gui(a) => a.run(),
            Command::Check(a) => a.run(),
            Command::Compare(a) => a.run(threads),
            Command::Scenarios(a) => a.run(),
            Command::Train(a) => a.run(),
            Command::Record(a) => a.run(),
            Command::Sum(a) => a.run(),
            Command::Oversight(c) => c.run(),
            Command::PlanBudget(a) => a.run(),
            Command::Optimal(a) => a.run(),
            Command::Sweep(a) => a.run(threads),
            Command::SweepMerge(a) => a.run(),
            Command::SweepReport(a) => a.run(),
        }
    }
}

/// What `polity` with no arguments does: open the app on the default scenario when the
/// binary has it and there is a display to show it on; otherwise run the default scenario
/// headless and print a summary.
fn default_command() -> Command {
    if cfg!(feature = "gui") {
        if has_display() {
            return Command::Gui(gui::GuiArgs::default());
        }
        polity::tell_err!(
            "no display to open the app on (neither DISPLAY nor WAYLAND_DISPLAY is set); running headless"
        );
    }
    Command::Run(run::RunArgs::default())
}

fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// `--policy GROUP=FILE`, for every command that plays a scenario.
#[derive(clap::Args, Default, Clone)]
pub struct PolicyArgs {
    /// Play a trained policy for a group: GROUP=FILE, a policies/GROUP.safetensors that
    /// `polity train` wrote (repeat for several groups)
    #[arg(long = "policy", value_name = "GROUP=FILE")]
    pub policy: Vec<String>,
}

impl PolicyArgs {
    /// The scenario with the policies given, each checked against its group (bad input:
    /// status 2, nothing run).
    pub fn apply(&self, s: Scenario) -> Result<Scenario, CliError> {
        self.apply_as("--policy", s)
    }

    /// [`PolicyArgs::apply`] for policies given with the option `flag` (`--policy-b`), which
    /// the messages name.
    pub fn apply_as(&self, flag: &str, mut s: Scenario) -> Result<Scenario, CliError> {
        for (group, file) in self.pairs_as(flag)? {
            polity::learn::play_file(&mut s, &group, &file, &format!("{flag} {group}={file}"))
                .map_err(CliError::input)?;
        }
        Ok(s)
    }

    /// Two scenarios played side by side (`compare A B`, `record A --compare B`): `--policy`
    /// plays in both, `policy_b` (`--policy-b`) in B alone; a problem says in which
    /// (`a_arg`, `b_arg`: the scenarios as given).
    pub fn apply_to_both(
        &self,
        policy_b: &[String],
        (a, a_arg): (Scenario, &str),
        (b, b_arg): (Scenario, &str),
    ) -> Result<(Scenario, Scenario), CliError> {
        fn within<'a>(which: &'a str, arg: &'a str) -> impl Fn(CliError) -> CliError + 'a {
            move |mut e: CliError| {
                e.message = e.message.replacen("error: ", &format!("error: in scenario {which} (`{arg}`): "), 1);
                e
            }
        }
        let a = self.apply(a).map_err(within("A", a_arg))?;
        let b = self.apply(b).map_err(within("B", b_arg))?;
        let b = PolicyArgs { policy: policy_b.to_vec() }.apply_as("--policy-b", b).map_err(within("B", b_arg))?;
        Ok((a, b))
    }

    /// The `(group, file)` pairs given.
    pub fn pairs(&self) -> Result<Vec<(String, String)>, CliError> {
        self.pairs_as("--policy")
    }

    fn pairs_as(&self, flag: &str) -> Result<Vec<(String, String)>, CliError> {
        let pairs: Vec<(String, String)> = self
            .policy
            .iter()
            .map(|p| match p.split_once('=') {
                Some((g, f)) if !g.is_empty() && !f.is_empty() => Ok((g.to_string(), f.to_string())),
                _ => Err(CliError::input(format_args!(
                    "{flag} {p}: expected GROUP=FILE, e.g. {flag} learners=runs/t/policies/learners.safetensors"
                ))),
            })
            .collect::<Result<_, _>>()?;
        for (k, (g, f)) in pairs.iter().enumerate() {
            if let Some((_, first)) = pairs[..k].iter().find(|(h, _)| h == g) {
                return Err(CliError::input(format_args!(
                    "{flag} {g}={f}: group `{g}` was already given a policy ({flag} {g}={first}); a group plays one policy\n    hint: give each group once"
                )));
            }
        }
        Ok(pairs)
    }
}

/// The memory a world needs, against what this machine has: the line `polity check` prints,
/// and for a world that does not fit, bad input (status 2) with the terms and a hint, unless
/// `force`. `file` labels the message as a scenario's problems are labelled.
fn memory_gate(file: &str, s: &Scenario, force: bool) -> Result<String, CliError> {
    let estimate = polity::cost::memory(s, rayon::current_num_threads());
    estimate_gate(file, "this world", &estimate, force, "shrink the map or the agents, or pass --force to run anyway")
}

/// [`memory_gate`] of a run that saves checkpoints (and holds one's text while it writes it).
fn memory_gate_checkpointed(file: &str, s: &Scenario, force: bool) -> Result<String, CliError> {
    let estimate = polity::cost::with_checkpoints(polity::cost::memory(s, rayon::current_num_threads()), s);
    estimate_gate(
        file,
        "this world and its checkpoints",
        &estimate,
        force,
        "shrink the map or the agents, run without --checkpoint-every, or pass --force to run anyway",
    )
}

/// The policy files `scenarios` play (`--policy`, `--policy-b`, a scenario's `weights`): inputs
/// of a command, never written over (`compare … --out pol.safetensors --force` replaced the
/// trained weights with the table).
fn played_files(scenarios: &[&Scenario]) -> Vec<PathBuf> {
    scenarios.iter().flat_map(|s| s.weights_files()).map(|(_, file)| PathBuf::from(file)).collect()
}

/// The disk a run's files need ([`polity::cost::files`] for `ticks`), against the space free
/// where they go (`dest`): bad input (status 2) with the terms and a hint when they do not fit,
/// unless `force`.
fn disk_gate(
    file: &str,
    s: &Scenario,
    ticks: u64,
    dest: &Path,
    force: bool,
    checkpoints: bool,
) -> Result<String, CliError> {
    polity::cost::disk_gate(s, ticks, dest, force, checkpoints).map_err(|message| {
        let hint = Some(
            "run fewer --ticks, write agents.csv less often (a larger run.agents_every), write to a disk with more \
             room, or pass --force to run anyway"
                .to_string(),
        );
        let problem = scenario::Problem { file: file.to_string(), position: None, path: String::new(), message, hint };
        CliError::problems(scenario::Problems(vec![problem]))
    })
}

/// [`memory_gate`] for any estimate: `what` needs it, `hint` says how to need less.
fn estimate_gate(
    file: &str,
    what: &str,
    estimate: &polity::cost::Estimate,
    force: bool,
    hint: &str,
) -> Result<String, CliError> {
    polity::cost::gate(what, estimate, force).map_err(|message| {
        let hint = Some(hint.to_string());
        let problem = scenario::Problem { file: file.to_string(), position: None, path: String::new(), message, hint };
        CliError::problems(scenario::Problems(vec![problem]))
    })
}

/// Loads a scenario named on the command line (a built-in name, a `.ron` file or a
/// `run.json`; the default scenario when none): its problems, each with FILE:LINE:COLUMN,
/// are bad input.
fn load(arg: Option<&str>) -> Result<Scenario, CliError> {
    let arg = arg.unwrap_or(scenario::default_scenario().name);
    scenario::load(arg).map_err(CliError::problems)
}
