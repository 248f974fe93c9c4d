//! The `polity` command line: open the desktop app, run scenarios headless, check scenario
//! files, list built-ins.

use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use polity::compare;
use polity::run::{self, RunOptions};
use polity::scenario::{self, Scenario};
use polity::{outputs, plural};

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
  polity compare commons no-ai.ron --seeds 0..20   does B beat A? mean ± 95% CI, Welch p
  polity record commons --ticks 300 --out commons.gif   a video of the world, with an overlay
  polity scenarios                        list the built-in scenarios

Exit status: 0 success, 2 bad input (scenario, arguments, or an output Polity will not
replace), 1 internal error, 130 interrupted. Polity never deletes or replaces a file it cannot
prove it wrote; single files are replaced only with --force (docs/outputs.md).";

#[derive(Parser)]
#[command(name = "polity", version, about = ABOUT, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Threads for everything that runs in parallel: the agents of a big world, the planner,
    /// the runs of a sweep or a comparison; outputs are the same for any number [default: one
    /// per core]
    #[arg(long, global = true, value_name = "N")]
    threads: Option<NonZeroUsize>,
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
finished; an interrupted run (Ctrl-C, SIGTERM: exit status 130) leaves nothing half-written.
An existing --out folder is replaced only if it is a run folder Polity wrote (its run.json
lists every file in it); the working folder and those above it are refused. The rules of
every output: docs/outputs.md.

Checkpoints: with --checkpoint-every T the run saves its whole state every T ticks to
.NAME.partial/checkpoint.ron beside the run folder. If the run is killed, `polity run
--resume .NAME.partial/checkpoint.ron` goes on from the last checkpoint and writes the same
files, byte for byte, as a run never interrupted. The app saves and opens the same files.

Examples:
  polity run                              the default scenario, its own ticks and seed
  polity run commons --ticks 2000 --seed 3 --out runs/c3
  polity run runs/c3/run.json --out runs/c3-again   repeat a run from its run.json
  polity run commons-large --ticks 5000 --checkpoint-every 500 --out runs/big
  polity run --resume runs/.big.partial/checkpoint.ron   after a crash or a kill")]
    Run {
        /// A built-in scenario name, a .ron file, or a run.json to repeat [default: commons]
        scenario: Option<String>,
        /// Ticks to run [default: the scenario's `run.ticks`]
        #[arg(long)]
        ticks: Option<u64>,
        /// Seed for every random draw [default: the scenario's `run.seed`]
        #[arg(long)]
        seed: Option<u64>,
        /// Run folder to write [default: runs/NAME-seedS]. An existing folder is replaced only if it
        /// is a run folder Polity wrote and holds nothing else (docs/outputs.md)
        #[arg(long)]
        out: Option<PathBuf>,
        /// Save the whole state every T ticks, to resume from if the run is interrupted
        #[arg(long, value_name = "T")]
        checkpoint_every: Option<u64>,
        /// Go on with an interrupted run from its checkpoint.ron (no scenario or other options)
        #[arg(long, value_name = "CHECKPOINT", conflicts_with_all = ["scenario", "ticks", "seed", "out", "checkpoint_every"])]
        resume: Option<PathBuf>,
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
        /// Also write the table as CSV to this file (a new file, or --force; docs/outputs.md)
        #[arg(long, value_name = "FILE.csv")]
        out: Option<PathBuf>,
        /// Replace the output if it exists (Polity never replaces a file without it; docs/outputs.md)
        #[arg(long)]
        force: bool,
    },
    /// Record a video of a scenario: the world as the app shows it, with an overlay.
    #[command(after_help = "Each frame shows the world (painted as the desktop app does, on the CPU: no display
or GPU needed) and an overlay: the scenario's name, the tick, the elected p (with an
election), apples standing, patches alive, welfare, tax revenue and rates (with taxes), and
live plots of apples standing and welfare. Frame i shows the world after tick
(i + 1) × --ticks-per-frame, so there are ⌈ticks / ticks-per-frame⌉ frames.

Formats, by --out: .gif (pure Rust, always available), a folder (no extension, or ending in
/) of frame-000000.png, frame-000001.png, …, and .mp4 (H.264) or .webm (VP9) through ffmpeg
(Debian: apt-get install ffmpeg). The same inputs give the same frames, and byte-identical
GIF and PNG files. The output appears only when the recording is complete.

Examples:
  polity record commons --ticks 300 --out commons.gif
  polity record sed-apple-picking --ticks 2000 --ticks-per-frame 4 --out sed.mp4
  polity record revenue-max --compare shielded-revenue-max --ticks 300 --out cmp.gif
  polity record commons --ticks 100 --size 1280x720 --out frames/   numbered PNG frames")]
    Record {
        /// A built-in scenario name, a .ron file, or a run.json [default: commons]
        scenario: Option<String>,
        /// FILE.gif, FILE.mp4, FILE.webm, or a folder for PNG frames [default: runs/NAME-seedS.gif];
        /// an existing file or folder of frames is replaced only with --force (docs/outputs.md)
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Ticks to record [default: the scenario's `run.ticks`]
        #[arg(long)]
        ticks: Option<u64>,
        /// Ticks between frames
        #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        ticks_per_frame: u64,
        /// Frames per second of the video (at most 50 for .gif)
        #[arg(long, value_name = "F", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=120))]
        fps: u32,
        /// Frame size in pixels; the world is scaled to fit
        #[arg(long, value_name = "WxH", default_value = "960x540")]
        size: polity::record::Size,
        /// Seed for every random draw [default: the scenario's `run.seed`]
        #[arg(long)]
        seed: Option<u64>,
        /// Record this scenario too, side by side, over the same seed
        #[arg(long, value_name = "OTHER")]
        compare: Option<String>,
        /// Replace the output if it exists (Polity never replaces a file without it; docs/outputs.md)
        #[arg(long)]
        force: bool,
    },
    /// Open the desktop app on a scenario: watch, steer and inspect it while it runs.
    #[command(after_help = "The window shows the world in the middle; run controls, the scenario picker, live
parameters (tax rates, each group's power), a legend and exports on the left; plots, the
agent inspector, the principal and election, and the event log on the right. Keys: Space
play/pause, → or N one tick, F fast-forward, + and − speed, R reset, Esc deselect; drag to
pan, wheel to zoom, click an agent to inspect it. Exports go to exports/ (docs/app.md).

With --ticks N the world runs N ticks as fast as possible before the window shows, then
waits paused; without it, the world runs from tick 0 at one tick per frame.

Exit status: 0 when the window closes (or the screenshot is written, with --exit), 2 for a
bad scenario or arguments (the problems are printed and no window opens), 1 if the
screenshot could not be written.

Examples:
  polity gui                              the default scenario (commons)
  polity gui sed-apple-picking --seed 3   a built-in scenario with seed 3
  polity gui my-world.ron                 your own file; it reloads when you save it
  polity gui tragedy --ticks 200 --select 3   run 200 ticks, then inspect agent 3
  polity gui commons --ticks 50 --screenshot shot.png --exit
                                          run 50 ticks, save a PNG of the window, quit
  xvfb-run -a polity gui commons --ticks 50 --screenshot shot.png --exit
                                          the same without a display (Xvfb, Mesa's Vulkan)")]
    Gui {
        /// A built-in scenario name, a .ron file, or a run.json [default: commons]
        scenario: Option<String>,
        /// Seed for every random draw [default: the scenario's `run.seed`]
        #[arg(long)]
        seed: Option<u64>,
        /// Run this many ticks as fast as possible before showing the window, then pause
        #[arg(long)]
        ticks: Option<u64>,
        /// Save a PNG of the whole window (world and panels) once the ticks are done and a
        /// frame has rendered
        #[arg(long, value_name = "FILE.png")]
        screenshot: Option<PathBuf>,
        /// Quit once the screenshot (and the recording, if any) is written
        #[arg(long)]
        exit: bool,
        /// Select this agent (by id) for the inspector at the start
        #[arg(long, value_name = "ID")]
        select: Option<u32>,
        /// Record the window (world and panels) from the start, playing the scenario, to a
        /// .gif, .mp4, .webm or a folder of PNG frames
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
        /// Stop the recording after this many frames
        #[arg(long, value_name = "N", requires = "record")]
        record_frames: Option<u64>,
        /// Let --screenshot and --record replace existing files
        #[arg(long)]
        force: bool,
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
        /// Folder to write the CSV files to (existing files replaced only with --force; docs/outputs.md)
        #[arg(long, default_value = "runs/sum")]
        out: PathBuf,
        /// Replace the output if it exists (Polity never replaces a file without it; docs/outputs.md)
        #[arg(long)]
        force: bool,
    },
    /// Run a parameter sweep: every combination of the parameters' values, each replicated,
    /// in parallel, into one tidy table.
    #[command(after_help = "A sweep file (RON; see docs/sweeps.md) names a base scenario, the parameters to vary
by path with their values, the replicates, the seed rule, the metrics to keep and an optional
stop condition:

  Sweep(
      version: 1,
      base: \"audited-commons\",
      parameters: [
          (path: \"oversight.k\", values: List([0.0, 1.0, 2.0, 4.0])),
          (path: \"agents.harvesters.power\", values: Range(from: 0.5, to: 3.0, steps: 3)),
      ],
      replicates: 10,
      ticks: Some(500),
      keep: [End(\"patches_alive\"), Mean(\"welfare_mean\", 100)],
  )

Writes DIR/results.csv: one row per run (run, combination, replicate, seed, each parameter,
ticks_run, the kept metrics), and DIR/runs/ (one file per finished run, written atomically).
Run the same command again on the same DIR to resume a killed sweep: finished runs are skipped.

On a cluster, --shard I/N runs only the runs whose number is I mod N (I from 0), e.g. in a
Slurm array job `--shard $SLURM_ARRAY_TASK_ID/16`; then `polity sweep-merge` joins the shards.
Ready-to-edit job files: deploy/slurm/sweep.sbatch, deploy/k8s/sweep-job.yaml.

Examples:
  polity sweep sweeps/oversight-k.ron --out runs/sweep-k
  polity sweep sweeps/oversight-k.ron --out runs/k-shard3 --shard 3/8
  polity sweep-report runs/sweep-k --plot patches_alive --x oversight.k --png k.png")]
    Sweep {
        /// The sweep file
        file: PathBuf,
        /// The sweep folder [default: runs/sweep-NAME, NAME the file's stem]: new, empty, or this
        /// sweep's own folder, to resume (docs/outputs.md)
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run only shard I of N (I = 0 … N−1): the runs whose number is I mod N
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
    },
    /// Join the tables of a sweep's shards (their folders) into one results.csv.
    #[command(after_help = "Checks that every folder holds the same sweep, that a run found twice has the same
row, and that no run is missing (it names the missing runs and exits 2 if any are).

Example:
  polity sweep-merge runs/k-shard0 runs/k-shard1 runs/k-shard2 --out runs/k/results.csv")]
    SweepMerge {
        /// Sweep folders (one per shard)
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The merged table (a .csv file, or a folder to hold results.csv); an existing table is
        /// replaced only with --force (docs/outputs.md)
        #[arg(long)]
        out: PathBuf,
        /// Replace the output if it exists (Polity never replaces a file without it; docs/outputs.md)
        #[arg(long)]
        force: bool,
    },
    /// Summarise a sweep: mean ± 95% confidence interval of each kept metric per combination,
    /// and a PNG plot of one metric against one parameter.
    #[command(after_help = "Example:
  polity sweep-report runs/sweep-k
  polity sweep-report runs/sweep-k --plot patches_alive --x oversight.k --png k.png")]
    SweepReport {
        /// A sweep folder (its results.csv) or a merged table
        dir: PathBuf,
        /// The kept metric to plot (a column of the table)
        #[arg(long, requires_all = ["x", "png"])]
        plot: Option<String>,
        /// The parameter on the x axis
        #[arg(long, requires_all = ["plot", "png"])]
        x: Option<String>,
        /// Where to write the plot (a .png file)
        #[arg(long, value_name = "FILE.png", requires_all = ["plot", "x"])]
        png: Option<PathBuf>,
        /// Replace the output if it exists (Polity never replaces a file without it; docs/outputs.md)
        #[arg(long)]
        force: bool,
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
    // An internal error (a panic) is exit status 1, as documented, not Rust's 101; the panic's
    // message is printed by the default hook, and unwinding removes any staging.
    std::panic::catch_unwind(run_cli).unwrap_or_else(|_| {
        eprintln!("error: an internal error stopped polity (the message above); please report it");
        ExitCode::from(1)
    })
}

fn run_cli() -> ExitCode {
    let cli = Cli::parse();
    let threads = polity::parallel::init(cli.threads);
    // Work that stages its output stops cleanly on SIGINT/SIGTERM; the rest just ends.
    if matches!(cli.command, None | Some(Command::Run { .. } | Command::Record { .. } | Command::Sweep { .. })) {
        outputs::catch_interrupts();
    }
    match cli.command.unwrap_or_else(default_command) {
        Command::Run { resume: Some(cp), .. } => cmd_resume(&cp),
        Command::Run { scenario, ticks, seed, out, checkpoint_every, resume: None } => {
            cmd_run(scenario, ticks, seed, out, checkpoint_every)
        }
        Command::Gui { scenario, seed, ticks, screenshot, exit, select, record, record_frames, force } => {
            if exit && screenshot.is_none() && record_frames.is_none() {
                eprintln!(
                    "error: --exit needs --screenshot FILE or --record FILE --record-frames N, or the app would quit at once"
                );
                return ExitCode::from(2);
            }
            cmd_gui(GuiArgs { scenario, seed, ticks, screenshot, exit, select, record, record_frames, force })
        }
        Command::Check { files } => cmd_check(&files),
        Command::Compare { a, b, seeds, ticks, out, force } => cmd_compare(&a, &b, seeds, ticks, out, threads, force),
        Command::Scenarios => cmd_scenarios(),
        Command::Record { scenario, out, ticks, ticks_per_frame, fps, size, seed, compare, force } => {
            cmd_record(scenario, compare, out, ticks, ticks_per_frame, fps, size, seed, force)
        }
        Command::Sum { dims, alignment, powers, angles, seed, out, force } => {
            cmd_sum(&dims, alignment, &powers, &angles, seed, &out, force)
        }
        Command::Sweep { file, out, shard } => cmd_sweep(&file, out, shard, threads),
        Command::SweepMerge { dirs, out, force } => match polity::sweep::merge::merge(&dirs, &out, force) {
            Ok((table, runs)) => {
                say!("merged {runs} runs from {} folders into {}", dirs.len(), table.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Command::SweepReport { dir, plot, x, png, force } => cmd_sweep_report(&dir, plot, x, png, force),
    }
}

/// What `polity` with no arguments does: open the app on the default scenario when the
/// binary has it and there is a display to show it on; otherwise run the default scenario
/// headless and print a summary.
fn default_command() -> Command {
    let headless =
        Command::Run { scenario: None, ticks: None, seed: None, out: None, checkpoint_every: None, resume: None };
    if cfg!(feature = "gui") {
        if has_display() {
            return Command::Gui {
                scenario: None,
                seed: None,
                ticks: None,
                screenshot: None,
                exit: false,
                select: None,
                record: None,
                record_frames: None,
                force: false,
            };
        }
        eprintln!("no display to open the app on (neither DISPLAY nor WAYLAND_DISPLAY is set); running headless");
    }
    headless
}

fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// The `gui` subcommand's arguments.
#[cfg_attr(not(feature = "gui"), allow(dead_code))]
struct GuiArgs {
    scenario: Option<String>,
    seed: Option<u64>,
    ticks: Option<u64>,
    screenshot: Option<PathBuf>,
    exit: bool,
    select: Option<u32>,
    record: Option<PathBuf>,
    record_frames: Option<u64>,
    force: bool,
}

#[cfg(feature = "gui")]
fn cmd_gui(a: GuiArgs) -> ExitCode {
    polity::app::run(polity::app::AppOptions {
        scenario: a.scenario,
        seed: a.seed,
        ticks: a.ticks,
        screenshot: a.screenshot,
        exit: a.exit,
        select: a.select,
        record: a.record,
        record_frames: a.record_frames,
        force: a.force,
    })
}

#[cfg(not(feature = "gui"))]
fn cmd_gui(_: GuiArgs) -> ExitCode {
    eprintln!(
        "error: this polity was built without the desktop app (the `gui` cargo feature)\n    hint: build it with the default features: `cargo build --release` (not `--no-default-features`), or add `--features gui`; `polity run` works without it"
    );
    ExitCode::from(2)
}

fn load(arg: Option<&str>) -> Result<Scenario, ExitCode> {
    let arg = arg.unwrap_or(scenario::default_scenario().name);
    scenario::load(arg).map_err(|problems| {
        eprintln!("{problems}");
        ExitCode::from(2)
    })
}

fn cmd_run(
    arg: Option<String>,
    ticks: Option<u64>,
    seed: Option<u64>,
    out: Option<PathBuf>,
    checkpoint_every: Option<u64>,
) -> ExitCode {
    if checkpoint_every == Some(0) {
        eprintln!("error: --checkpoint-every must be at least 1 tick");
        return ExitCode::from(2);
    }
    let s = match load(arg.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let opts = RunOptions { ticks: ticks.unwrap_or(s.run.ticks), seed: seed.unwrap_or(s.run.seed) };
    let out = out.unwrap_or_else(|| PathBuf::from(format!("runs/{}-seed{}", outputs::file_stem(&s.name), opts.seed)));
    let shown = out;
    let out = match run::check_out_dir(&shown) {
        Ok(abs) => abs,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let bar = progress_bar(opts.ticks, "ticks");
    let started = Instant::now();
    let result = run::run_to_dir_checkpointed(&s, &opts, &out, checkpoint_every, |t| {
        if let Some(b) = &bar {
            if t % 16 == 0 || t == opts.ticks {
                b.set_position(t);
            }
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    report_run(&s.name, result, &shown, started)
}

/// Goes on with an interrupted checkpointed run.
fn cmd_resume(cp: &Path) -> ExitCode {
    let started = Instant::now();
    let bar = std::cell::OnceCell::new();
    let result = run::resume(cp, |t, end| {
        let b = bar.get_or_init(|| progress_bar(end, "ticks"));
        if let Some(b) = b
            && (t % 16 == 0 || t == end)
        {
            b.set_position(t);
        }
    });
    if let Some(Some(b)) = bar.get() {
        b.finish_and_clear();
    }
    match result {
        Ok((summary, out)) => {
            let name = std::fs::read_to_string(out.join("run.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v["scenario_name"].as_str().map(str::to_string))
                .unwrap_or_default();
            say!("resumed from {}", cp.display());
            report_run(&name, Ok(summary), &out, started)
        }
        Err(run::ResumeError::Input(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(run::ResumeError::Io(e)) => io_failure("resuming", &e),
    }
}

/// Prints a finished run's summary.
fn report_run(name: &str, result: std::io::Result<run::RunSummary>, out: &Path, started: Instant) -> ExitCode {
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
            say!(
                "{} · seed {} · {span} in {:.2} s ({:.0} ticks/s)",
                name,
                summary.seed,
                secs,
                ran as f64 / secs.max(1e-9)
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
            if let (Some(n), Some(s), Some(i)) =
                (summary.metric("impact_naive"), summary.metric("impact_stepwise"), summary.metric("impact_iterative"))
            {
                say!(
                    "  side effects blamed on the AI: none {} · naive inaction {n} · stepwise {s} · iterative {i} (unmatched {})",
                    m("impact_none"),
                    m("impact_unmatched")
                );
            }
            say!("  {} events · state hash {:016x}", summary.events, summary.state_hash);
            say!("  wrote {}/{{metrics.csv,agents.csv,events.jsonl,run.json,scenario.ron}}", out.display());
            if let Some(left) = &summary.kept_aside {
                eprintln!(
                    "warning: files were put into the old run folder while it was being replaced; they are kept in {}",
                    left.display()
                );
            }
            ExitCode::SUCCESS
        }
        // A resumable run waiting in the staging, or another process writing it: bad input.
        Err(e) if matches!(e.kind(), std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::ResourceBusy) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => io_failure(&format!("writing {}", out.display()), &e),
    }
}

fn cmd_sweep(file: &Path, out: Option<PathBuf>, shard: Option<String>, threads: usize) -> ExitCode {
    use polity::sweep::{self, Shard, runner};
    let shard = match shard.as_deref().map(Shard::parse).transpose() {
        Ok(s) => s.unwrap_or(Shard::ALL),
        Err(e) => {
            eprintln!("error: --shard {e}");
            return ExitCode::from(2);
        }
    };
    let sw = match sweep::load(file) {
        Ok(s) => s,
        Err(problems) => {
            eprintln!("{problems}");
            return ExitCode::from(2);
        }
    };
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "sweep".into());
    let out = out.unwrap_or_else(|| PathBuf::from(format!("runs/sweep-{}", outputs::file_stem(&stem))));
    let abs = match outputs::resolve(&out) {
        Ok(abs) => abs,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = runner::Options { out: abs, shard };
    let total = (0..sw.runs()).filter(|&n| shard.has(n)).count() as u64;
    say!(
        "{} · {} × {} = {}{} · {}",
        file.display(),
        plural(sw.combinations(), "combination"),
        plural(sw.spec.replicates, "replicate"),
        plural(sw.runs(), "run"),
        if shard == Shard::ALL {
            String::new()
        } else {
            format!(" · shard {}/{}: {}", shard.index, shard.count, plural(total, "run"))
        },
        plural(threads as u64, "thread")
    );
    let bar = progress_bar(total, "runs");
    let started = Instant::now();
    let result = runner::run(&sw, &opts, |done, _| {
        if let Some(b) = &bar {
            b.set_position(done);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    match result {
        Ok(o) => {
            let secs = started.elapsed().as_secs_f64();
            say!(
                "  {} in {:.2} s ({:.1} runs/s){}",
                plural(o.ran, "run"),
                secs,
                o.ran as f64 / secs.max(1e-9),
                if o.skipped > 0 { format!(" · {} already done, skipped", o.skipped) } else { String::new() }
            );
            say!("  wrote {}", o.table.display());
            ExitCode::SUCCESS
        }
        Err(runner::SweepError::Folder(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(runner::SweepError::Io(e)) => io_failure(&format!("writing {}", out.display()), &e),
    }
}

fn cmd_sweep_report(
    dir: &Path,
    plot: Option<String>,
    x: Option<String>,
    png: Option<PathBuf>,
    force: bool,
) -> ExitCode {
    use polity::sweep::report;
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    };
    let png = match png {
        Some(p) if !p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) => {
            return fail(&format!("{}: --png writes a PNG image; name a file ending in .png", p.display()));
        }
        Some(p) => match outputs::check_file(&p, force) {
            Ok(abs) => Some((p, abs)),
            Err(e) => return fail(&e),
        },
        None => None,
    };
    let table = match report::read(dir) {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let groups = report::summarise(&table);
    // The plot is made (and its arguments checked) before anything is printed.
    let canvas = match (plot, x) {
        (Some(metric), Some(x)) => match report::plot(&table, &groups, &metric, &x) {
            Ok(c) => Some(c),
            Err(e) => return fail(&e),
        },
        _ => None,
    };
    say!("{}", report::text(&table, &groups).trim_end());
    if let (Some(canvas), Some((shown, abs))) = (canvas, png) {
        let mut bytes = Vec::new();
        let written = polity::record::encode::encode_png(&mut bytes, &canvas, &mut Vec::new())
            .and_then(|()| outputs::write_file(&abs, &bytes, force));
        if let Err(e) = written {
            eprintln!("error: writing {}: {e}", shown.display());
            return ExitCode::from(1);
        }
        say!("wrote {}", shown.display());
    }
    ExitCode::SUCCESS
}

/// Reports a failed write: exit status 130 when SIGINT or SIGTERM stopped the work (its
/// staging was cleaned up, or a checkpoint kept), 1 otherwise.
fn io_failure(doing: &str, e: &std::io::Error) -> ExitCode {
    if e.kind() == std::io::ErrorKind::Interrupted {
        eprintln!("stopped: {e}");
        return ExitCode::from(outputs::INTERRUPTED_EXIT);
    }
    eprintln!("error: {doing}: {e}");
    ExitCode::from(1)
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
    threads: usize,
    force: bool,
) -> ExitCode {
    let (a, b) = match (load(Some(a_arg)), load(Some(b_arg))) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return ExitCode::from(2),
    };
    let csv = match out.as_deref().map(|o| outputs::check_file(o, force)).transpose() {
        Ok(csv) => csv,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let seeds: Vec<u64> = seeds.collect();
    let bar = progress_bar(2 * seeds.len() as u64, "runs");
    let started = Instant::now();
    let result = compare::compare(&a, &b, &seeds, ticks, |done, _| {
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
    if let (Some(out), Some(csv)) = (&out, &csv) {
        if let Err(e) = outputs::write_file(csv, cmp.to_csv().as_bytes(), force) {
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
                say!("{f}: ok — `{}`, {}, {}", s.name, plural(agents, "agent"), plural(s.run.ticks, "tick"));
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
    let width = scenario::BUILTINS.iter().map(|b| b.name.chars().count()).max().unwrap_or(0);
    for b in scenario::BUILTINS {
        let desc = b.scenario().map(|s| s.description).unwrap_or_else(|p| format!("(invalid: {p})"));
        say!("{:<width$}  {desc}", b.name);
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
    force: bool,
) -> ExitCode {
    let mut problems = Vec::new();
    if !(alignment > 0.0 && alignment < 1.0) {
        problems.push(format!("--alignment must be in (0, 1), found {alignment}"));
    }
    if let Some(d) = dims.iter().find(|&&d| d < 2) {
        problems.push(format!("--dims must each be at least 2, found {d}"));
    }
    if let Some(o) = powers.iter().find(|o| !(o.is_finite() && **o >= 0.0)) {
        problems.push(format!("--powers must each be a finite number ≥ 0, found {o}"));
    }
    if let Some(a) = angles.iter().find(|a| !a.is_finite()) {
        problems.push(format!("--angles must each be a finite number of degrees, found {a}"));
    }
    let files = ["alignment_cost.csv", "gain.csv"].map(|name| outputs::check_file(&out.join(name), force));
    problems.extend(files.iter().filter_map(|f| f.as_ref().err().map(|e| e.to_string())));
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("error: {p}");
        }
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
    for (file, body) in files.into_iter().zip([cost, gain]) {
        let path = file.expect("checked above");
        if let Err(e) = outputs::write_file(&path, body.as_bytes(), force) {
            eprintln!("error: writing {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    say!("wrote {}/alignment_cost.csv and {}/gain.csv", out.display(), out.display());
    ExitCode::SUCCESS
}

#[allow(clippy::too_many_arguments)]
fn cmd_record(
    arg: Option<String>,
    compare: Option<String>,
    out: Option<PathBuf>,
    ticks: Option<u64>,
    ticks_per_frame: u64,
    fps: u32,
    size: polity::record::Size,
    seed: Option<u64>,
    force: bool,
) -> ExitCode {
    use polity::record::{self, Output, RecordError, RecordOptions};
    let mut scenarios = match load(arg.as_deref()) {
        Ok(s) => vec![s],
        Err(code) => return code,
    };
    if let Some(other) = &compare {
        match load(Some(other)) {
            Ok(s) => scenarios.push(s),
            Err(code) => return code,
        }
    }
    let first = &scenarios[0];
    let opts = RecordOptions {
        ticks: ticks.unwrap_or(first.run.ticks),
        ticks_per_frame,
        fps,
        size,
        seed: seed.unwrap_or(first.run.seed),
    };
    if opts.ticks == 0 {
        eprintln!("error: --ticks 0 records nothing; ask for at least 1 tick");
        return ExitCode::from(2);
    }
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let stems: Vec<String> = names.iter().map(|n| outputs::file_stem(n)).collect();
    let out = out.unwrap_or_else(|| PathBuf::from(format!("runs/{}-seed{}.gif", stems.join("-vs-"), opts.seed)));
    let output = match Output::parse(&out) {
        Ok(o) => Output { force, ..o },
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let frames = opts.frames();
    let bar = progress_bar(frames, "frames");
    let started = Instant::now();
    let result = record::record(&scenarios, &opts, &output, |f| {
        if let Some(b) = &bar {
            b.set_position(f);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    match result {
        Ok(frames) => {
            let secs = started.elapsed().as_secs_f64();
            say!(
                "{} · seed {} · {} → {} of {size} at {fps} fps ({:.1} s of video) in {secs:.2} s ({:.0} frames/s)",
                names.join(" vs "),
                opts.seed,
                plural(opts.ticks, "tick"),
                plural(frames, "frame"),
                opts.seconds(),
                frames as f64 / secs.max(1e-9)
            );
            if output.format == record::encode::Format::PngFolder {
                say!(
                    "  wrote {}/{{{} … {}}}",
                    out.display().to_string().trim_end_matches('/'),
                    record::encode::frame_name(0),
                    record::encode::frame_name(frames.saturating_sub(1))
                );
            } else {
                let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
                say!("  wrote {} ({:.1} MB)", out.display(), bytes as f64 / 1e6);
            }
            ExitCode::SUCCESS
        }
        Err(RecordError::Input(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(RecordError::Io(e)) => io_failure(&format!("recording {}", out.display()), &e),
    }
}
