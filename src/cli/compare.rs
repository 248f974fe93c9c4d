//! `polity compare`: two scenarios over the same seeds, end-of-run metrics side by side.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Instant;

use polity::compare;
use polity::outputs;
use polity::scenario::Scenario;

use super::{CliError, CliResult, Progress, load};

pub const AFTER_HELP: &str = "Each scenario runs once per seed, in parallel. Every end-of-run metric both scenarios
have is shown as mean ± 95% confidence interval for A and for B, with the difference B − A
± its 95% interval and the two-sided p-value of a paired t-test: both sides ran each seed (the
same agents drawn, the same draws where the worlds agree), so each seed's B − A is one
observation, and differences with p < 0.05 are marked `*`. When every seed's difference is
the same, p is 1 if it is 0 and 0 otherwise; one seed gives no intervals or p (NaN in the CSV).
The table (and the --out CSV: metric,a_mean,a_ci95,b_mean,b_ci95,diff,diff_ci95,p_value,
significant,p_welch (Welch's test, the sides taken as unrelated samples),n, then what was
compared: a,b,seeds (always A..B for a run of seeds, else a list),a_ticks,b_ticks,
polity_version) is identical for any --threads. --per-seed writes the values the table
summarizes, for an analysis of your own: seed,metric,a_value,b_value,diff (B − A), then
a,b,a_ticks,b_ticks,polity_version, one row per seed and metric.

An end-of-run value is the metric's last row: a cumulative one (`audits`, `welfare_mean`) for
the whole run, a per-tick count (`harvested`) for the last tick only — for a mean over ticks,
sweep with `keep: [Mean(\"harvested\", N)]` (docs/sweeps.md). The header names the policy
files each side plays (--policy, --policy-b or the scenario's `weights`).

Examples:
  polity compare commons commons --seeds 0..4          the same scenario twice: no differences
  polity compare commons no-ai.ron --seeds 0..20 --ticks 400
  polity compare runs/c7/run.json my-policy.ron --seeds 0..=49 --out results.csv
  polity compare commons tragedy --seeds 0..20 --per-seed seeds.csv   every seed's values";

/// `polity compare`'s arguments.
#[derive(clap::Args)]
pub struct CompareArgs {
    /// Scenario A (the baseline): a built-in name, a .ron file, or a run.json
    a: String,
    /// Scenario B (the alternative): a built-in name, a .ron file, or a run.json
    b: String,
    /// Seeds to run each scenario with: a count N (seeds 0..N), a range 0..20 (end exclusive), 0..=19
    #[arg(long, value_name = "N|RANGE", default_value = "10", value_parser = compare::parse_seeds)]
    seeds: Range<u64>,
    /// Ticks per run, at least 1 [default: each scenario's own `run.ticks`]
    #[arg(long, value_parser = some_ticks)]
    ticks: Option<u64>,
    /// Also write the table as CSV to this file (a new file, or --force; docs/outputs.md)
    #[arg(long, value_name = "FILE.csv")]
    out: Option<PathBuf>,
    /// Also write every seed's end-of-run values as CSV to this file: one row per seed and
    /// metric, A's value, B's and B − A (a new file, or --force)
    #[arg(long = "per-seed", value_name = "FILE.csv")]
    per_seed: Option<PathBuf>,
    /// Replace the output if it exists (Polity never replaces a file without it; docs/outputs.md)
    #[arg(long)]
    force: bool,
    /// Play a trained policy for a group of scenario B: GROUP=FILE (repeat for several; A
    /// plays its own, so `compare X X --policy-b g=FILE` compares untrained with trained)
    #[arg(long = "policy-b", value_name = "GROUP=FILE")]
    policy_b: Vec<String>,
    #[command(flatten)]
    policies: super::PolicyArgs,
}

impl CompareArgs {
    /// Runs both scenarios on every seed and prints the table (`threads`: the pool's size).
    pub fn run(self, threads: usize) -> CliResult {
        let (a_arg, b_arg) = (self.a.as_str(), self.b.as_str());
        // Both scenarios' problems are printed before giving up.
        let (a, b) = match (load(Some(a_arg)), load(Some(b_arg))) {
            (Ok(a), Ok(b)) => self.policies.apply_to_both(&self.policy_b, (a, a_arg), (b, b_arg))?,
            (a, b) => {
                let problems: Vec<String> = [a.err(), b.err()].into_iter().flatten().map(|e| e.message).collect();
                return Err(CliError::problems(problems.join("\n")));
            }
        };
        // The files to write (`--out`'s table, `--per-seed`'s values), checked before anything
        // runs, all problems said at once.
        let wanted: Vec<(PathBuf, bool)> = [(self.out, false), (self.per_seed, true)]
            .into_iter()
            .filter_map(|(path, per_seed)| Some((path?, per_seed)))
            .collect();
        let weights = super::played_files(&[&a, &b]);
        let inputs: Vec<&std::path::Path> = [std::path::Path::new(a_arg), std::path::Path::new(b_arg)]
            .into_iter()
            .chain(weights.iter().map(PathBuf::as_path))
            .collect();
        let mut problems = Vec::new();
        let mut resolved = Vec::new();
        for (path, _) in &wanted {
            match outputs::not_an_input(path, &inputs).and_then(|()| outputs::check_file(path, self.force)) {
                Ok(abs) => resolved.push(abs),
                Err(e) => problems.push(format!("error: {e}")),
            }
        }
        if resolved.len() == 2 && resolved[0] == resolved[1] {
            problems.push(format!(
                "error: --out and --per-seed both name {}; the two tables need two files\n    hint: for example \
                 --out table.csv --per-seed seeds.csv",
                wanted[0].0.display()
            ));
        }
        if !problems.is_empty() {
            return Err(CliError::problems(problems.join("\n")));
        }
        let seeds: Vec<u64> = self.seeds.collect();
        let bar = Progress::new(2 * seeds.len() as u64, "runs");
        let started = Instant::now();
        let result = compare::compare(&a, &b, &seeds, self.ticks, |done, _| bar.set(done as u64));
        bar.finish();
        // (A comparison writes its files, if any, at the end: an interrupt leaves nothing.)
        let stopped = || {
            let said = "interrupted by SIGINT or SIGTERM before the comparison finished; nothing was written";
            CliError::io("", &std::io::Error::new(std::io::ErrorKind::Interrupted, said))
        };
        let mut cmp = result.map_err(|e| {
            if e.kind() == std::io::ErrorKind::Interrupted {
                stopped()
            } else {
                CliError::io("running the comparison", &e)
            }
        })?;
        let label = |s: &Scenario, arg: &str| {
            let name = if s.name == arg { arg.to_string() } else { format!("{} ({arg})", s.name) };
            let played: Vec<String> =
                polity::run_json::played(s).iter().map(|p| format!("{}={}", p.group, p.file)).collect();
            if played.is_empty() { name } else { format!("{name}, playing {}", played.join(", ")) }
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
        if !wanted.is_empty() {
            let texts: Vec<String> =
                wanted.iter().map(|(_, per_seed)| if *per_seed { cmp.per_seed_csv() } else { cmp.to_csv() }).collect();
            let files: Vec<(&std::path::Path, &[u8])> =
                resolved.iter().zip(&texts).map(|(p, t)| (p.as_path(), t.as_bytes())).collect();
            outputs::check_interrupt().map_err(|_| stopped())?;
            outputs::write_files(&files, self.force)
                .map_err(|e| CliError::internal(format_args!("writing {e}; none of the files was written")))?;
            let shown: Vec<String> = wanted.iter().map(|(p, _)| p.display().to_string()).collect();
            say!("wrote {}", shown.join(" and "));
        }
        Ok(())
    }
}

/// `--ticks`: a whole number of at least 1 (a comparison of worlds that never ticked compares
/// nothing).
fn some_ticks(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("a comparison needs at least 1 tick".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("expected a whole number of ticks, found `{s}`")),
    }
}
