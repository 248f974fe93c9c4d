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
polity_version) is identical for any --threads.

An end-of-run value is the metric's last row: a cumulative one (`audits`, `welfare_mean`) for
the whole run, a per-tick count (`harvested`) for the last tick only — for a mean over ticks,
sweep with `keep: [Mean(\"harvested\", N)]` (docs/sweeps.md). The header names the policy
files each side plays (--policy, --policy-b or the scenario's `weights`).

Examples:
  polity compare commons commons --seeds 0..4          the same scenario twice: no differences
  polity compare commons no-ai.ron --seeds 0..20 --ticks 400
  polity compare runs/c7/run.json my-policy.ron --seeds 0..=49 --out results.csv";

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
            (Ok(a), Ok(b)) => {
                let b_policies = super::PolicyArgs { policy: self.policy_b.clone() };
                // `--policy` plays in both: a problem says in which.
                fn within<'a>(which: &'a str, arg: &'a str) -> impl Fn(CliError) -> CliError + 'a {
                    move |mut e: CliError| {
                        e.message =
                            e.message.replacen("error: ", &format!("error: in scenario {which} (`{arg}`): "), 1);
                        e
                    }
                }
                let a = self.policies.apply(a).map_err(within("A", a_arg))?;
                let b = self.policies.apply(b).map_err(within("B", b_arg))?;
                (a, b_policies.apply_as("--policy-b", b).map_err(within("B", b_arg))?)
            }
            (a, b) => {
                let problems: Vec<String> = [a.err(), b.err()].into_iter().flatten().map(|e| e.message).collect();
                return Err(CliError::problems(problems.join("\n")));
            }
        };
        let out = self.out;
        if let Some(o) = out.as_deref() {
            let inputs = [std::path::Path::new(a_arg), std::path::Path::new(b_arg)];
            outputs::not_an_input(o, &inputs).map_err(CliError::input)?;
        }
        let csv = out.as_deref().map(|o| outputs::check_file(o, self.force)).transpose().map_err(CliError::input)?;
        let seeds: Vec<u64> = self.seeds.collect();
        let bar = Progress::new(2 * seeds.len() as u64, "runs");
        let started = Instant::now();
        let result = compare::compare(&a, &b, &seeds, self.ticks, |done, _| bar.set(done as u64));
        bar.finish();
        let mut cmp = result.map_err(|e| CliError::io("running the comparison", &e))?;
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
        if let (Some(out), Some(csv)) = (&out, &csv) {
            outputs::write_file(csv, cmp.to_csv().as_bytes(), self.force)
                .map_err(|e| CliError::internal(format_args!("writing {}: {e}", out.display())))?;
            say!("wrote {}", out.display());
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
