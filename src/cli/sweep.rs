//! `polity sweep`, `sweep-merge` and `sweep-report`: parameter sweeps, their shards joined,
//! and their summaries and plots.

use std::path::PathBuf;
use std::time::Instant;

use polity::sweep::{self, Shard, report, runner};
use polity::{outputs, plural};

use super::{CliError, CliResult, Progress};

pub const SWEEP_HELP: &str = "A sweep file (RON; see docs/sweeps.md) names a base scenario, the parameters to vary
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
Slurm array job `--shard $SLURM_ARRAY_TASK_ID/16`, into DIR/results-shard-I-of-N.csv; then
`polity sweep-merge` joins the shards.
Ready-to-edit job files: deploy/slurm/sweep.sbatch, deploy/k8s/sweep-job.yaml.

Examples:
  polity sweep sweeps/oversight-k.ron --out runs/sweep-k
  polity sweep sweeps/oversight-k.ron --out runs/k-shard3 --shard 3/8
  polity sweep my-sweep.ron --policy learners=runs/learners/policies/learners.safetensors
                                          your sweep, its base's group `learners` playing a
                                          trained policy (docs/sweeps.md)
  polity sweep-report runs/sweep-k --plot patches_alive --x oversight.k --png k.png";

pub const MERGE_HELP: &str = "Checks that every folder holds the same sweep, that a run found twice has the same
row, and that no run is missing (it names the missing runs and exits 2 if any are).

Example:
  polity sweep-merge runs/k-shard0 runs/k-shard1 runs/k-shard2 --out runs/k/results.csv";

pub const REPORT_HELP: &str = "Prints, for each combination of the parameters, each kept metric's mean ± 95% confidence
interval (Student t) over its replicates; --csv writes the same as a tidy table (one row per
combination and metric: the parameters, metric, n, mean, sd, ci95 (the half-width), low,
high), --png a plot of one metric against one parameter.

Examples:
  polity sweep-report runs/sweep-k
  polity sweep-report runs/sweep-k --csv k-summary.csv
  polity sweep-report runs/sweep-k --plot patches_alive --x oversight.k --png k.png";

/// `polity sweep`'s arguments.
#[derive(clap::Args)]
pub struct SweepArgs {
    /// The sweep file
    file: PathBuf,
    /// The sweep folder [default: runs/sweep-NAME, NAME the file's stem]: new, empty, or this
    /// sweep's own folder, to resume (docs/outputs.md)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run only shard I of N (I = 0 … N−1): the runs whose number is I mod N
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Run even when the sweep's estimated memory (its largest world, once a thread) is more
    /// than this machine has available
    #[arg(long)]
    force: bool,
    /// Run nothing: print run RUN's scenario (the base with its parameters' values, its seed
    /// and ticks) as RON, for `polity run` to give every file of that one run
    #[arg(long, value_name = "RUN", conflicts_with_all = ["out", "shard", "force"])]
    scenario_of: Option<u64>,
    #[command(flatten)]
    policy: super::PolicyArgs,
}

/// `polity sweep-merge`'s arguments.
#[derive(clap::Args)]
pub struct MergeArgs {
    /// Sweep folders (one per shard)
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// The merged table: a file (`k.csv`), or a folder to hold results.csv (an existing folder,
    /// `DIR/`, or a new name without an extension); an existing table is replaced only with
    /// --force (docs/outputs.md)
    #[arg(long)]
    out: PathBuf,
    /// Replace the output if it exists (Polity never replaces a file without it; docs/outputs.md)
    #[arg(long)]
    force: bool,
}

/// `polity sweep-report`'s arguments.
#[derive(clap::Args)]
pub struct ReportArgs {
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
    /// Also write the summary as a tidy CSV table: one row per combination and metric (each
    /// parameter, metric, n, mean, sd, ci95, low, high)
    #[arg(long, value_name = "FILE.csv")]
    csv: Option<PathBuf>,
    /// Replace the output if it exists (Polity never replaces a file without it; docs/outputs.md)
    #[arg(long)]
    force: bool,
}

/// A sweep's peak memory: the process's base once, and its largest world's other terms once
/// for each of the `at_once` runs going at a time (one a thread).
pub fn sweep_memory(sw: &sweep::Sweep, at_once: u64) -> polity::cost::Estimate {
    let reps = sw.spec.replicates.max(1) as u64;
    let largest = (0..sw.combinations())
        .filter_map(|c| sw.try_scenario(&sw.run(c * reps)).ok())
        .map(|s| polity::cost::memory(&s, 1))
        .max_by_key(|e| e.total());
    let Some(world) = largest else { return polity::cost::Estimate { terms: Vec::new() } };
    let base = world.term("base");
    let each = world.total() - base;
    let name = if at_once <= 1 { "a world" } else { "worlds at once" };
    let terms = vec![
        polity::cost::Term { name: "base", bytes: base },
        polity::cost::Term { name, bytes: each.saturating_mul(at_once.max(1)) },
    ];
    polity::cost::Estimate { terms }
}

/// Prints run `n`'s scenario as RON, with a comment saying which run it is.
fn scenario_of(sw: &sweep::Sweep, file: &std::path::Path, n: u64) -> CliResult {
    if n >= sw.runs() {
        return Err(CliError::input(format_args!(
            "--scenario-of {n}: {} has {} (numbered 0 to {})",
            file.display(),
            plural(sw.runs(), "run"),
            sw.runs().saturating_sub(1)
        )));
    }
    let run = sw.run(n);
    let mut s = sw.scenario(&run);
    s.run.seed = run.seed;
    let values: Vec<String> =
        sw.spec.parameters.iter().zip(&run.values).map(|(p, v)| format!("{} = {v}", p.path)).collect();
    let row = match &sw.spec.stop {
        // (A stop rule is the sweep's, not the scenario's: the file alone runs all its ticks.)
        Some(_) => format!(
            "`polity run` of this file with `--ticks T`, T the `ticks_run` of the sweep's row for run {n} \
             (when its `stop` rule ended it), writes that run's every file and its row's end-of-run metrics; \
             without --ticks it runs all the scenario's ticks, past where the sweep stopped"
        ),
        None => format!(
            "`polity run` of this file writes that run's every file; its end-of-run metrics are the sweep's row for run {n}"
        ),
    };
    say!(
        "// Run {n} of {}: combination {}, replicate {}, seed {}; {}.\n// {row}.\n{}",
        file.display(),
        run.combination,
        run.replicate,
        run.seed,
        values.join(", "),
        polity::scenario::to_ron(&s)
    );
    Ok(())
}

impl SweepArgs {
    /// Runs the shard's runs not yet done (`threads`: the pool's size, for the summary).
    pub fn run(self, threads: usize) -> CliResult {
        let file = &self.file;
        let shard = match self.shard.as_deref().map(Shard::parse).transpose() {
            Ok(s) => s.unwrap_or(Shard::ALL),
            Err(e) => return Err(CliError::input(format_args!("--shard {e}"))),
        };
        let pairs = self.policy.pairs()?;
        let sw = sweep::spec::load_with(file, &|s| {
            pairs.iter().try_for_each(|(group, path)| {
                polity::learn::play_file(s, group, path, &format!("--policy {group}={path}"))
            })
        })
        .map_err(|problems| {
            // Stopped while its combinations were checked: an interruption, not a problem.
            if outputs::interrupted() {
                CliError {
                    code: outputs::INTERRUPTED_EXIT,
                    message: "stopped: interrupted while checking the sweep's combinations; nothing was run".into(),
                }
            } else {
                CliError::problems(problems)
            }
        })?;
        if let Some(n) = self.scenario_of {
            return scenario_of(&sw, file, n);
        }
        let total = (0..sw.runs()).filter(|&n| shard.has(n)).count() as u64;
        let memory = sweep_memory(&sw, (threads as u64).min(total));
        super::estimate_gate(
            &file.display().to_string(),
            "this sweep",
            &memory,
            self.force,
            "run fewer worlds at once (--threads N: one world a thread), shrink the base, or pass --force to run anyway",
        )?;
        let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "sweep".into());
        let out = self.out.unwrap_or_else(|| PathBuf::from(format!("runs/sweep-{}", outputs::file_stem(&stem))));
        let abs = outputs::resolve(&out).map_err(CliError::input)?;
        // A place that cannot be written (read-only, a file on the way) is bad input, said now.
        outputs::check_writable(&out, &abs).map_err(CliError::input)?;
        let opts = runner::Options { out: abs, shard };
        let refused = |e: runner::SweepError| match e {
            runner::SweepError::Folder(e) => CliError::input(e),
            runner::SweepError::Io(e) => CliError::io(&format!("writing {}", out.display()), &e),
        };
        runner::claim(&sw, &opts.out).map_err(refused)?;
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
        // Which trained weights every run plays, as `polity run` says them (it said nothing).
        super::say_played(&sw.base, "");
        let bar = Progress::in_parts(total, "runs", runner::PARTS);
        let started = Instant::now();
        let result = runner::run(&sw, &opts, |done, _| bar.set(done));
        bar.finish();
        let o = result.map_err(refused)?;
        let secs = started.elapsed().as_secs_f64();
        say!(
            "  {} in {:.2} s ({:.1} runs/s){}",
            plural(o.ran, "run"),
            secs,
            o.ran as f64 / secs.max(1e-9),
            if o.skipped > 0 { format!(" · {} already done, skipped", o.skipped) } else { String::new() }
        );
        // Under --out as given (it was said by its absolute path).
        let table = o.table.file_name().map_or_else(|| o.table.clone(), |name| out.join(name));
        say!("  wrote {}", table.display());
        Ok(())
    }
}

impl MergeArgs {
    /// Joins the shards' tables.
    pub fn run(self) -> CliResult {
        let (table, runs) = sweep::merge::merge(&self.dirs, &self.out, self.force).map_err(CliError::input)?;
        say!(
            "merged {} from {} into {}",
            polity::plural(runs, "run"),
            polity::plural(self.dirs.len() as u64, "folder"),
            table.display()
        );
        Ok(())
    }
}

impl ReportArgs {
    /// Prints the summary and, when asked, writes the plot.
    pub fn run(self) -> CliResult {
        let ReportArgs { dir, plot, x, png, csv, force } = self;
        // Every problem of the arguments is said at once.
        let mut problems = Vec::new();
        // An output named with its kind's extension, checked as every output is.
        let mut output = |path: Option<PathBuf>, ext: &str, flag: &str, what: &str| {
            let p = path?;
            if !p.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext)) {
                problems.push(format!("{}: {flag} writes {what}; name a file ending in .{ext}", p.display()));
                return None;
            }
            // Never the table it reads, nor inside the sweep's folder, even with --force.
            match outputs::not_an_input(&p, &[dir.as_path()]).and_then(|()| outputs::check_file(&p, force)) {
                Ok(abs) => Some((p, abs)),
                Err(e) => {
                    problems.push(e.0);
                    None
                }
            }
        };
        let csv = output(csv, "csv", "--csv", "a CSV table");
        let png = output(png, "png", "--png", "a PNG image");
        let said = |problems: Vec<String>| CliError::input(problems.join("\nerror: "));
        let table = match report::read(&dir) {
            Ok(t) => t,
            Err(e) => {
                problems.push(e.to_string());
                return Err(said(problems));
            }
        };
        let groups = report::summarise(&table);
        // The plot is made (and its arguments checked) before anything is printed.
        let canvas = match (plot, x) {
            (Some(metric), Some(x)) => match report::plot(&table, &groups, &metric, &x) {
                Ok(c) => Some(c),
                Err(e) => {
                    problems.push(e);
                    None
                }
            },
            _ => None,
        };
        if !problems.is_empty() {
            return Err(said(problems));
        }
        say!("{}", report::text(&table, &groups).trim_end());
        // Both outputs, or neither.
        let mut files: Vec<(PathBuf, PathBuf, Vec<u8>)> = Vec::new();
        if let Some((shown, abs)) = csv {
            files.push((shown, abs, report::csv(&table, &groups).into_bytes()));
        }
        if let (Some(canvas), Some((shown, abs))) = (canvas, png) {
            let mut bytes = Vec::new();
            polity::record::encode::encode_png(&mut bytes, &canvas, &mut Vec::new())
                .map_err(|e| CliError::internal(format_args!("encoding {}: {e}", shown.display())))?;
            files.push((shown, abs, bytes));
        }
        let writes: Vec<(&std::path::Path, &[u8])> =
            files.iter().map(|(_, abs, b)| (abs.as_path(), b.as_slice())).collect();
        let shown: Vec<String> = files.iter().map(|(s, _, _)| s.display().to_string()).collect();
        if !writes.is_empty() {
            outputs::write_files(&writes, force)
                .map_err(|e| CliError::internal(format_args!("writing {e}; none of the files was written")))?;
            say!("wrote {}", shown.join(" and "));
        }
        Ok(())
    }
}
