//! `polity check` (validate scenario files) and `polity scenarios` (list the built-ins).

use polity::plural;
use polity::scenario;

use super::{CliError, CliResult};

pub const AFTER_HELP: &str = "Each valid file's line is followed by its estimated peak memory, by term (base,
grid, agents, shadow, imagined worlds, networks), and the memory this machine has available
(MemAvailable in /proc/meminfo); a world that needs more than that is an error, as `polity
run` would refuse it, unless --force is given. Then the size of a run's files (metrics.csv
and agents.csv; `polity run` refuses a run whose files would not fit in the free disk space
where they go, unless --force): files that would not fit in the free disk space under runs/
here, where `polity run` writes by default, are an error too, unless --force is given.

With --time, each world that fits is built and its first ticks (up to 20, or one second) are
timed: the line `time: built in …; about … a tick … → about … for its N ticks` is an estimate
(later ticks, tax periods' ends with a planner, and the machine's load differ).

A sweep file (`Sweep(…)`, docs/sweeps.md) is checked as `polity sweep` would check it,
its base scenario and every value of its parameters included, and its line says how many runs
it makes (--time times no sweep: time one of its runs' scenarios instead).

A scenario with `Learned` groups is also checked as `polity train` would check it (enough
samples an update for its minibatches, agents in each learned group); a problem of training
alone is said so: `polity run` and `polity gui` take the file.

Exit status 0 when every file is valid and fits, 2 otherwise.

Writing a scenario: start from a built-in's source (`polity scenarios commons > mine.ron`)
and edit it; docs/scenarios.md describes every section and field, with its default.

Examples:
  polity check scenarios/*.ron my-world.ron sweeps/*.ron
  polity check --time commons-large";

/// `polity check`'s arguments.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// Scenario files (or built-in names), a run's run.json, and sweep files
    #[arg(required = true)]
    files: Vec<String>,
    /// Accept a world estimated to need more memory than this machine has available, or files
    /// that would not fit in the free disk space under runs/
    #[arg(long)]
    force: bool,
    /// Also build each world that fits and time its first ticks (up to 20, or 1 s): the time
    /// a tick takes, and what the whole run would
    #[arg(long)]
    time: bool,
}

impl CheckArgs {
    /// Checks every file, printing each one's problems; bad input if any has one.
    pub fn run(self) -> CliResult {
        let files = &self.files;
        let (mut bad, mut for_training) = (0, 0);
        for f in files {
            let path = std::path::Path::new(f);
            if path.is_file() && std::fs::read_to_string(path).is_ok_and(|t| polity::sweep::spec::is_sweep_source(&t)) {
                // A sweep file: checked as `polity sweep` would check it.
                match polity::sweep::spec::load(path) {
                    Ok(sw) => {
                        // What `polity sweep` would refuse: its largest world once a thread.
                        let at_once = (rayon::current_num_threads() as u64).min(sw.runs());
                        let memory = super::sweep::sweep_memory(&sw, at_once);
                        let line = match super::estimate_gate(
                            f,
                            "this sweep",
                            &memory,
                            self.force,
                            "run fewer worlds at once (--threads N), shrink the base, or pass --force",
                        ) {
                            Ok(line) => line,
                            Err(e) => {
                                polity::tell_err!("{}", e.message);
                                bad += 1;
                                continue;
                            }
                        };
                        let varied = sw.spec.parameters.iter().any(|p| p.path == polity::sweep::spec::RUN_TICKS);
                        let ticks =
                            if varied { "ticks varied".to_string() } else { plural(sw.ticks, "tick") + " each" };
                        say!(
                            "{f}: ok — a sweep of `{}`: {} ({} × {}), {ticks}",
                            sw.base.name,
                            plural(sw.runs(), "run"),
                            plural(sw.combinations(), "combination"),
                            plural(sw.spec.replicates as u64, "replicate"),
                        );
                        say!("  {line}");
                        if self.time {
                            // (It said nothing of the time, as if --time had not been given.)
                            say!(
                                "  time: not estimated for a sweep file; check --time its base scenario for one run's \
                                 (`polity sweep {f} --scenario-of N > run.ron` gives run N's)"
                            );
                        }
                    }
                    Err(problems) => {
                        polity::tell_err!("{problems:#}");
                        bad += 1;
                    }
                }
                continue;
            }
            match scenario::load(f) {
                Ok(s) => match super::memory_gate(f, &s, self.force) {
                    Ok(memory) => {
                        // What `polity train` would refuse (too few samples for the
                        // minibatches, a learned group of no agents), said now, not after a
                        // check that passed.
                        if let Err(e) = polity::learn::train::preflight(&s) {
                            let at = e.field.as_deref().and_then(|p| scenario::position_of(f, p));
                            let at = at.map(|(line, col)| format!(":{line}:{col}")).unwrap_or_default();
                            polity::tell_err!(
                                "{f}{at}: `polity run` and `polity gui` take it, but `polity train` would refuse it: {e}"
                            );
                            bad += 1;
                            for_training += 1;
                            continue;
                        }
                        // What `polity run` would refuse writing to its default folder here
                        // (runs/ in this folder): files that do not fit in the free disk.
                        if let Err(e) = polity::cost::disk_gate(
                            &s,
                            s.run.ticks,
                            std::path::Path::new("runs").join("run").as_path(),
                            self.force,
                            false,
                        ) {
                            polity::tell_err!(
                                "{f}: {e}\n    hint: `polity run` would refuse it, writing to runs/ here: run fewer \
                                 ticks, write agents.csv less often (a larger run.agents_every), give --out a disk \
                                 with more room, or pass --force"
                            );
                            bad += 1;
                            continue;
                        }
                        let agents: u64 = s.agents.iter().map(|g| g.count as u64).sum();
                        say!("{f}: ok — `{}`, {}, {}", s.name, plural(agents, "agent"), plural(s.run.ticks, "tick"));
                        if !s.description.is_empty() {
                            say!("  {}", s.description);
                        }
                        say!("  {memory}");
                        for note in polity::scenario::notes(&s, s.run.ticks) {
                            say!("  note: {note}");
                        }
                        if self.time {
                            let c = polity::cost::calibrate(&s, s.run.seed, 20, std::time::Duration::from_secs(1));
                            say!("  {}", c.describe(s.run.ticks));
                        }
                        let files = polity::cost::files(&s, s.run.ticks);
                        say!(
                            "  files of a run: {} for its {} (rough: whole numbers and zeros write less), events.jsonl not counted",
                            files.describe(),
                            plural(s.run.ticks, "tick")
                        );
                        // `polity run` refuses only files that cannot fit even at their
                        // smallest; one likely to fill the disk was said to be ok.
                        if let Some(free) = polity::cost::available_disk(&std::path::Path::new("runs").join("run"))
                            && files.total() > free
                        {
                            say!(
                                "  note: that is more than the {} free where runs/ would go here: written as usual, a run would fill the disk before its end (fewer ticks, a larger run.agents_every, or --out on a disk with more room)",
                                polity::cost::bytes(free)
                            );
                        }
                    }
                    Err(e) => {
                        polity::tell_err!("{}", e.message);
                        bad += 1;
                    }
                },
                Err(problems) => {
                    polity::tell_err!("{problems:#}");
                    bad += 1;
                }
            }
        }
        if bad > 0 {
            let training = match for_training {
                0 => String::new(),
                k if k == bad => " for `polity train`".to_string(),
                k => format!(" ({k} of them for `polity train` only)"),
            };
            return Err(CliError::problems(format_args!(
                "{bad} of {} file{} invalid{training}",
                files.len(),
                if files.len() == 1 { "" } else { "s" }
            )));
        }
        Ok(())
    }
}

/// `polity scenarios`: each built-in scenario with its description.
/// `polity scenarios`' examples.
pub const SCENARIOS_HELP: &str = "Examples:
  polity scenarios                         list them, each with its description
  polity scenarios commons > mine.ron      start a scenario of your own from commons' source
  polity check mine.ron && polity run mine.ron";

/// `polity scenarios`' arguments.
#[derive(clap::Args)]
pub struct ScenariosArgs {
    /// A built-in's name: print its RON source (comments included) instead of the list
    name: Option<String>,
}

impl ScenariosArgs {
    /// Lists the built-ins, or prints one's source.
    pub fn run(self) -> CliResult {
        if let Some(name) = &self.name {
            let Some(b) = scenario::builtin(name) else {
                let names: Vec<&str> = scenario::BUILTINS.iter().map(|b| b.name).collect();
                let hint = match polity::spanned_ron::did_you_mean(name, &names) {
                    Some(n) => format!("did you mean `{n}`? `polity scenarios` lists them all"),
                    None => format!("the built-ins are {}", names.join(", ")),
                };
                return Err(CliError::input(format_args!("no built-in scenario named `{name}`\n    hint: {hint}")));
            };
            say!("{}", b.source.trim_end());
            return Ok(());
        }
        let width = scenario::BUILTINS.iter().map(|b| b.name.chars().count()).max().unwrap_or(0);
        for b in scenario::BUILTINS {
            let desc = b.scenario().map(|s| s.description).unwrap_or_else(|p| format!("(invalid: {p})"));
            say!("{:<width$}  {desc}", b.name);
        }
        say!(
            "\nRun one with `polity run NAME`; `polity scenarios NAME > mine.ron` prints its source (scenarios/NAME.ron) to start your own."
        );
        Ok(())
    }
}
