//! The `polity` command line: run scenarios headless, check scenario files, list built-ins.

use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use polity::compare;
use polity::run::{self, RunOptions};
use polity::scenario::{self, Scenario};

const ABOUT: &str = "Polity: an agent-based simulation engine for AI governance and alignment research.

Human and AI agents share a commons of regrowing apples. Scenarios are RON files (see
docs/scenarios.md); built-in ones are embedded in the binary (`polity scenarios`).";

const EXAMPLES: &str = "Examples:
  polity                                  run the default scenario (commons) and print a summary
  polity run commons --ticks 500 --seed 7 --out runs/c7
  polity run my-world.ron                 run your own scenario file
  polity run runs/c7/run.json             repeat an earlier run exactly
  polity check scenarios/*.ron            validate files without running them
  polity compare commons no-ai.ron --seeds 0..20   does B beat A? mean ± 95% CI, Welch p
  polity scenarios                        list the built-in scenarios

Exit status: 0 success, 2 bad input (scenario or arguments), 1 internal error.";

#[derive(Parser)]
#[command(name = "polity", version, about = ABOUT, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario headless and write its outputs to a run folder.
    #[command(after_help = "Outputs (in --out, default runs/NAME-seedS):
  metrics.csv   one row per tick from tick 0: tick,apples,harvested,patches_alive,gini,
                welfare_min,welfare_nash,welfare_mean,welfare_max
  agents.csv    every agent every `run.agents_every` ticks and at the end
  events.jsonl  one JSON object per event: tick, kind, subject, details
  run.json      version, scenario name, seed, ticks, state hash, resolved scenario
  scenario.ron  the resolved scenario, to edit and run again

The same scenario and seed give byte-identical files. Files appear only when the run has
finished; an interrupted run leaves nothing half-written.

Examples:
  polity run                              the default scenario, its own ticks and seed
  polity run commons --ticks 2000 --seed 3 --out runs/c3
  polity run runs/c3/run.json --out runs/c3-again   repeat a run from its run.json")]
    Run {
        /// A built-in scenario name, a .ron file, or a run.json to repeat [default: commons]
        scenario: Option<String>,
        /// Ticks to run [default: the scenario's `run.ticks`]
        #[arg(long)]
        ticks: Option<u64>,
        /// Seed for every random draw [default: the scenario's `run.seed`]
        #[arg(long)]
        seed: Option<u64>,
        /// Run folder to write [default: runs/NAME-seedS]
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Validate scenario files: every problem is reported with FILE:LINE:COLUMN.
    #[command(after_help = "Exit status 0 when every file is valid, 2 otherwise.

Example:
  polity check scenarios/*.ron my-world.ron")]
    Check {
        /// Scenario files (or built-in names)
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Compare two scenarios over the same seeds: end-of-run metrics, mean ± 95% CI, Welch p.
    #[command(after_help = "Each scenario runs once per seed, in parallel. Every end-of-run metric both scenarios
have is shown as mean ± 95% confidence interval for A and for B, with the difference B − A
and Welch's two-sided p-value; differences with p < 0.05 are marked `*`. The table (and the
--out CSV: metric,a_mean,a_ci95,b_mean,b_ci95,diff,p_value,significant,n) is identical for
any --threads.

Examples:
  polity compare commons commons --seeds 0..4          the same scenario twice: no differences
  polity compare commons no-ai.ron --seeds 0..20 --ticks 400
  polity compare runs/c7/run.json my-policy.ron --seeds 0..=49 --out results.csv")]
    Compare {
        /// Scenario A (the baseline): a built-in name, a .ron file, or a run.json
        a: String,
        /// Scenario B (the alternative): a built-in name, a .ron file, or a run.json
        b: String,
        /// Seeds to run each scenario with: 0..20 (end exclusive), 0..=19, or one seed
        #[arg(long, value_name = "RANGE", default_value = "0..10", value_parser = compare::parse_seeds)]
        seeds: Range<u64>,
        /// Ticks per run [default: each scenario's own `run.ticks`]
        #[arg(long)]
        ticks: Option<u64>,
        /// Also write the table as CSV to this file
        #[arg(long, value_name = "FILE.csv")]
        out: Option<PathBuf>,
        /// Runs at a time [default: the number of CPU cores]
        #[arg(long)]
        threads: Option<NonZeroUsize>,
    },
    /// List the built-in scenarios.
    Scenarios,
    /// Run Statistical Utility Mechanics' Gaussian toy model and write its tables as CSV.
    #[command(after_help = "Writes DIR/alignment_cost.csv (the KL divergence needed to tilt a random AI utility
direction until its mean cosine with the human one reaches --alignment, per dimension: it grows
linearly with d) and DIR/gain.csv (what an AI of power O does for a utility at angle θ from its
own: √(2O)·cos θ in closed form, beside a Monte-Carlo estimate).

Example:
  polity sum --dims 2,4,8,16,32,64,128,256 --alignment 0.5 --out runs/sum")]
    Sum {
        /// Dimensions of the utility space
        #[arg(long, value_delimiter = ',', default_value = "2,4,8,16,32,64,128,256")]
        dims: Vec<usize>,
        /// Target mean alignment (cosine), in (0, 1)
        #[arg(long, default_value_t = 0.5)]
        alignment: f64,
        /// AI powers O (KL budgets, nats)
        #[arg(long, value_delimiter = ',', default_value = "0.25,0.5,1,2,4,8")]
        powers: Vec<f64>,
        /// Angles θ between the utilities, degrees
        #[arg(long, value_delimiter = ',', default_value = "0,30,60,90,120")]
        angles: Vec<f64>,
        /// Seed of the Monte-Carlo draws
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Folder to write the CSV files to
        #[arg(long, default_value = "runs/sum")]
        out: PathBuf,
    },
}

/// Prints a line on stdout. When stdout is closed (`polity scenarios | head -1`), the program
/// ends quietly instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Run { scenario: None, ticks: None, seed: None, out: None }) {
        Command::Run { scenario, ticks, seed, out } => cmd_run(scenario, ticks, seed, out),
        Command::Check { files } => cmd_check(&files),
        Command::Compare { a, b, seeds, ticks, out, threads } => cmd_compare(&a, &b, seeds, ticks, out, threads),
        Command::Scenarios => cmd_scenarios(),
        Command::Sum { dims, alignment, powers, angles, seed, out } => {
            cmd_sum(&dims, alignment, &powers, &angles, seed, &out)
        }
    }
}

fn load(arg: Option<&str>) -> Result<Scenario, ExitCode> {
    let arg = arg.unwrap_or(scenario::default_scenario().name);
    scenario::load(arg).map_err(|problems| {
        eprintln!("{problems}");
        ExitCode::from(2)
    })
}

fn cmd_run(arg: Option<String>, ticks: Option<u64>, seed: Option<u64>, out: Option<PathBuf>) -> ExitCode {
    let s = match load(arg.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let opts = RunOptions { ticks: ticks.unwrap_or(s.run.ticks), seed: seed.unwrap_or(s.run.seed) };
    let out = out.unwrap_or_else(|| PathBuf::from(format!("runs/{}-seed{}", s.name, opts.seed)));
    if let Err(e) = run::check_out_dir(&out) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let bar = progress_bar(opts.ticks, "ticks");
    let started = Instant::now();
    let result = run::run_to_dir(&s, &opts, &out, |t| {
        if let Some(b) = &bar {
            if t % 16 == 0 || t == opts.ticks {
                b.set_position(t);
            }
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    match result {
        Ok(summary) => {
            let secs = started.elapsed().as_secs_f64();
            let m = |c: &str| summary.metric(c).unwrap_or(f64::NAN);
            say!(
                "{} · seed {} · {} ticks in {:.2} s ({:.0} ticks/s)",
                s.name,
                summary.seed,
                summary.ticks,
                secs,
                summary.ticks as f64 / secs.max(1e-9)
            );
            say!(
                "  apples standing {} · harvested {} in all · patches alive {}",
                m("apples"),
                summary.picked,
                m("patches_alive")
            );
            say!(
                "  welfare (apples per agent): min {:.2} · Nash {:.2} · mean {:.2} · max {:.2} · Gini {:.3}",
                m("welfare_min"),
                m("welfare_nash"),
                m("welfare_mean"),
                m("welfare_max"),
                m("gini")
            );
            say!("  {} events · state hash {:016x}", summary.events, summary.state_hash);
            say!("  wrote {}/{{metrics.csv,agents.csv,events.jsonl,run.json,scenario.ron}}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: writing {}: {e}", out.display());
            ExitCode::from(1)
        }
    }
}

/// A progress bar counting `unit`s on stderr, or none when stderr is not a terminal.
fn progress_bar(len: u64, unit: &str) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {unit} · {{per_sec}} · ETA {{eta}}"
        ))
        .expect("valid template"),
    );
    Some(bar)
}

fn cmd_compare(
    a_arg: &str,
    b_arg: &str,
    seeds: Range<u64>,
    ticks: Option<u64>,
    out: Option<PathBuf>,
    threads: Option<NonZeroUsize>,
) -> ExitCode {
    let (a, b) = match (load(Some(a_arg)), load(Some(b_arg))) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return ExitCode::from(2),
    };
    if let Some(out) = &out
        && let Err(e) = compare::check_out_file(out)
    {
        eprintln!("error: {}: cannot write the CSV there: {e}", out.display());
        return ExitCode::from(2);
    }
    let threads = threads.or_else(|| std::thread::available_parallelism().ok()).map_or(1, NonZeroUsize::get);
    let seeds: Vec<u64> = seeds.collect();
    let bar = progress_bar(2 * seeds.len() as u64, "runs");
    let started = Instant::now();
    let result = compare::compare(&a, &b, &seeds, ticks, threads, |done, _| {
        if let Some(bar) = &bar {
            bar.set_position(done as u64);
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut cmp = match result {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: running the comparison: {e}");
            return ExitCode::from(1);
        }
    };
    let label = |s: &Scenario, arg: &str| {
        if s.name == arg { arg.to_string() } else { format!("{} ({arg})", s.name) }
    };
    cmp.a_label = label(&a, a_arg);
    cmp.b_label = label(&b, b_arg);
    say!("{cmp}");
    say!(
        "{} runs in {:.2} s on {threads} thread{}",
        2 * seeds.len(),
        started.elapsed().as_secs_f64(),
        if threads == 1 { "" } else { "s" }
    );
    if let Some(out) = &out {
        if let Err(e) = compare::write_atomic(out, &cmp.to_csv()) {
            eprintln!("error: writing {}: {e}", out.display());
            return ExitCode::from(1);
        }
        say!("wrote {}", out.display());
    }
    ExitCode::SUCCESS
}

fn cmd_check(files: &[String]) -> ExitCode {
    let mut bad = 0;
    for f in files {
        match scenario::load(f) {
            Ok(s) => {
                let agents: u64 = s.agents.iter().map(|g| g.count as u64).sum();
                say!("{f}: ok — `{}`, {agents} agents, {} ticks", s.name, s.run.ticks);
            }
            Err(problems) => {
                eprintln!("{problems}");
                bad += 1;
            }
        }
    }
    if bad > 0 {
        eprintln!("{bad} of {} file{} invalid", files.len(), if files.len() == 1 { "" } else { "s" });
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn cmd_scenarios() -> ExitCode {
    for b in scenario::BUILTINS {
        let desc = b.scenario().map(|s| s.description).unwrap_or_else(|p| format!("(invalid: {p})"));
        say!("{:<16} {desc}", b.name);
    }
    say!("\nRun one with `polity run NAME`; its source is scenarios/NAME.ron.");
    ExitCode::SUCCESS
}

fn cmd_sum(
    dims: &[usize],
    alignment: f64,
    powers: &[f64],
    angles: &[f64],
    seed: u64,
    out: &std::path::Path,
) -> ExitCode {
    if !(alignment > 0.0 && alignment < 1.0) || dims.iter().any(|&d| d < 2) || powers.iter().any(|&o| !(o >= 0.0)) {
        eprintln!("error: --alignment must be in (0, 1), --dims at least 2, --powers at least 0");
        return ExitCode::from(2);
    }
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("error: {}: cannot create the folder: {e}", out.display());
        return ExitCode::from(2);
    }
    let (cost, gain) = polity::sum::toy_model_csv(dims, alignment, powers, angles, seed);
    say!("KL needed for mean alignment {alignment}, by dimension (grows linearly with d):");
    for line in cost.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        say!(
            "  d = {:>4}: KL = {:>9.3} nats ({:.4} per dimension)",
            f[0],
            f[2].parse::<f64>().unwrap_or(f64::NAN),
            f[4].parse::<f64>().unwrap_or(f64::NAN)
        );
    }
    for (name, body) in [("alignment_cost.csv", cost), ("gain.csv", gain)] {
        let path = out.join(name);
        let tmp = out.join(format!(".{name}.partial"));
        if let Err(e) = std::fs::write(&tmp, body).and_then(|_| std::fs::rename(&tmp, &path)) {
            eprintln!("error: writing {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    say!("wrote {}/alignment_cost.csv and {}/gain.csv", out.display(), out.display());
    ExitCode::SUCCESS
}
