//! `polity sum`: Statistical Utility Mechanics' Gaussian toy model, as CSV tables; `polity sum
//! loop | rectify | scaling`: the alignment loop, rectification and scaling (docs/sum.md).

use std::path::PathBuf;

use super::{CliError, CliResult};

pub const AFTER_HELP: &str = "Writes DIR/alignment_cost.csv (the KL divergence needed to tilt a random AI utility
direction until its mean cosine with the human one reaches --alignment, per dimension: it grows
linearly with d) and DIR/gain.csv (what an AI of power O does for a utility at angle θ from its
own: √(2O)·cos θ in closed form, beside a Monte-Carlo estimate); each table NAME.csv comes with
NAME.json, the command line and Polity version that made it. The subcommands run the
alignment loop built on it (docs/sum.md).

Examples:
  polity sum --dims 2,4,8,16,32,64,128,256 --alignment 0.5 --out runs/sum
  polity sum loop --dims 4,8,16,32,64 --powers 0.5,1,2 --out runs/sum-loop
  polity sum rectify --dims 8,16,32 --out runs/sum-rectify
  polity sum scaling --k 1 --out runs/sum-scaling";

/// `polity sum`'s arguments.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SumArgs {
    #[command(subcommand)]
    command: Option<super::sum_loop::SumCommand>,
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
}

impl SumArgs {
    /// Checks every argument (reporting all problems at once), then writes both tables.
    pub fn run(self) -> CliResult {
        let SumArgs { command, dims, alignment, powers, angles, seed, out, force } = self;
        if let Some(c) = command {
            return c.run();
        }
        let mut problems = Vec::new();
        if !(alignment > 0.0 && alignment < 1.0) {
            problems.push(format!("--alignment must be in (0, 1), found {alignment}"));
        }
        if let Some(d) = dims.iter().find(|&&d| d < 2) {
            problems.push(format!("--dims must each be at least 2, found {d}"));
        }
        if let Some(o) = powers.iter().find(|o| !(o.is_finite() && **o >= 0.0)) {
            problems.push(format!("--powers must each be a finite number ≥ 0, found {o}"));
        } else if let Some(o) = powers.iter().find(|o| !(2.0 * **o).is_finite()) {
            // √(2·O) is worked out: `--powers 1e308` wrote `inf` into gain.csv.
            problems.push(format!(
                "--powers {o:e}: too large for a floating-point number to work with (twice it overflows)\n  hint: give \
                 powers below 8.9e307"
            ));
        }
        if let Some(a) = angles.iter().find(|a| !a.is_finite()) {
            problems.push(format!("--angles must each be a finite number of degrees, found {a}"));
        }
        let files = super::sum_loop::check_with_records(&out, &["alignment_cost.csv", "gain.csv"], force)
            .map_err(|refused| problems.extend(refused))
            .unwrap_or_default();
        if !problems.is_empty() {
            let lines: Vec<String> = problems.iter().map(|p| format!("error: {p}")).collect();
            return Err(CliError::problems(lines.join("\n")));
        }
        let (cost, gain) = polity::sum::toy_model_csv(&dims, alignment, &powers, &angles, seed);
        say!("KL needed for mean alignment {alignment}, by dimension (grows linearly with d):");
        for f in polity::tables::reader(&cost).records().flatten() {
            let num = |i: usize| f.get(i).and_then(|c| c.parse::<f64>().ok()).unwrap_or(f64::NAN);
            say!("  d = {:>4}: KL = {:>9.3} nats ({:.4} per dimension)", &f[0], num(2), num(4));
        }
        let mut batch = super::sum_loop::Batch::default();
        for (file, body) in files.into_iter().zip([cost, gain]) {
            batch.file(&file, body);
        }
        batch.write(force)?;
        say!(
            "wrote {0}/alignment_cost.csv and {0}/gain.csv, each with how it was made ({0}/alignment_cost.json, {0}/gain.json)",
            out.display()
        );
        Ok(())
    }
}
