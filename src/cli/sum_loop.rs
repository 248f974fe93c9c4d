//! `polity sum loop | rectify | scaling`: SUM's alignment loop, rectification and scaling,
//! as CSV tables and PNG plots (the model: `polity::sum::alignment_loop`, docs/sum.md).

use std::path::{Path, PathBuf};

use polity::outputs;
use polity::paint::chart::{self, Series};
use polity::sum::alignment_loop::{self as sl, LoopParams, Row};

use super::{CliError, CliResult};

const LOOP_HELP: &str = "The AI (power O_X) tilts the world toward its utility; the humans observe the result, gain its
KL (O_X nats) in information, and spend it tilting the AI's utility toward theirs; each step
the humans lose √(2·O_X)·(1 − c) against an aligned AI (c: the AI's cosine with them). Writes
DIR/loop.csv (total harm before c reaches --critical, per dimension and power, mean over
--replicates AIs), DIR/loop.png (harm against d) and DIR/loop.json (the command line and Polity
version that made them), and prints the straight-line fit of harm against d for each power.

Examples:
  polity sum loop --out runs/sum-loop
  polity sum loop --dims 4,8,16,32,64 --powers 0.5,1,2 --replicates 400 --seed 3 \\
      --out runs/sum-loop-400";

const RECTIFY_HELP: &str =
    "As `polity sum loop`, with humans of power O_H who also push the world back by up to √(2·O_H)
each step (the step's harm is max(0, √(2·O_X) − √(2·O_H))·(1 − c)) and whose information per
step is capped at O_H. Writes DIR/rectify.csv, DIR/rectify.png (harm against O_X/O_H) and
DIR/rectify.json (the command line and Polity version that made them).

Examples:
  polity sum rectify --out runs/sum-rectify
  polity sum rectify --dims 8,16,32 --human-power 1 --ratios 0.5,1,1.5,2,4,8 \\
      --out runs/sum-rectify-h1";

const SCALING_HELP: &str = "The rectified loop along AI scale ξ: O_X = O_H·ξ and d = d₁·ξ^k (d₁ = --dims-at-human, the
dimensions when the AI is at human level, ξ = 1). Writes DIR/scaling.csv (harm, its local
log-slope and the phase: lag, catch-up or exponential), DIR/scaling.png (harm against ξ) and
DIR/scaling-log.png (log₁₀ harm against log₁₀ ξ), with DIR/scaling.json (the command line and
Polity version that made them).

Examples:
  polity sum scaling --k 1 --out runs/sum-scaling
  polity sum scaling --k 2 --xi-min 0.5 --xi-max 8 --points 25 --out runs/sum-scaling-k2";

const WORLD_HELP: &str = "The alignment loop inside a running world (`sum: (alignment_loop: …)`, docs/scenarios.md):
each AI's utility is a random direction in a value space of d dimensions; each tick the humans
gain the AIs' power used in information and tilt the AIs' utility toward theirs, and the AIs' σ
follows on the map. For every d and seed the scenario runs (with `sum: (harm: true)`) until the
AIs' mean loop cosine reaches --critical, or --ticks pass. Writes DIR/world.csv (per run: the
tick aligned, information spent in nats, harm and unrectified harm by then in apples per
human; a run that never aligned has no aligned tick and its values at --ticks, and is left out
of the printed means), DIR/world.png (harm before alignment against d) and DIR/world.json (the command line and Polity version that made
them), and prints the straight-line fits against d.

Examples:
  polity sum world --out runs/sum-world
  polity sum world commons --dims 16,64,256 --seeds 0..10 --ticks 2000 \\
      --out runs/sum-world-2000";

/// `polity sum`'s subcommands.
#[derive(clap::Subcommand)]
pub enum SumCommand {
    /// The alignment loop: harm done before the AI is aligned, against d and O_X.
    #[command(after_help = LOOP_HELP)]
    Loop(LoopArgs),
    /// The loop with rectification: harm against O_X/O_H.
    #[command(after_help = RECTIFY_HELP)]
    Rectify(RectifyArgs),
    /// Harm against AI scale ξ (O_X ∝ ξ, d ∝ ξ^k): the lag, catch-up and exponential phases.
    #[command(after_help = SCALING_HELP)]
    Scaling(ScalingArgs),
    /// The loop inside a running world: ticks, information and harm before the AIs are aligned, against d.
    #[command(after_help = WORLD_HELP)]
    World(WorldArgs),
}

/// `polity sum world`'s arguments.
#[derive(clap::Args)]
pub struct WorldArgs {
    /// A built-in scenario's name or a scenario file, with AI and human agents [default: commons]
    scenario: Option<String>,
    /// Dimensions of the AIs' value space (each 2 to 100000; the scenario's
    /// `sum.alignment_loop.dims`, if any, is replaced by each in turn)
    #[arg(long, value_delimiter = ',', default_value = "16,32,64,128,256,512")]
    dims: Vec<f64>,
    /// Seeds: a count N (seeds 0..N), a range 0..20 (end exclusive) or 0..=19
    #[arg(long, value_name = "N|RANGE", default_value = "5", value_parser = polity::compare::parse_seeds)]
    seeds: std::ops::Range<u64>,
    /// The most ticks a run may take to align
    #[arg(long, default_value_t = 1000)]
    ticks: u64,
    /// The loop cosine at which the AIs count as aligned, in (−1, 1) [default: the scenario's
    /// `sum.alignment_loop.critical`, else 0.5]
    #[arg(long)]
    critical: Option<f64>,
    /// Cap the humans' information per tick at their power (as the scenario's
    /// `sum.alignment_loop.rectify: true` does)
    #[arg(long)]
    rectify: bool,
    /// Folder to write world.csv and world.png to
    #[arg(long, default_value = "runs/sum-world")]
    out: PathBuf,
    /// Replace the outputs if they exist (Polity never replaces a file without it; docs/outputs.md)
    #[arg(long)]
    force: bool,
}

/// Arguments every subcommand takes.
#[derive(clap::Args)]
pub struct Common {
    /// The critical cosine that ends the loop, in (−1, 1)
    #[arg(long, default_value_t = 0.5)]
    critical: f64,
    /// AIs drawn per setting (the mean and its standard error are over them)
    #[arg(long, default_value_t = 200)]
    replicates: u64,
    /// Seed of the AIs' draws
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Replace the outputs if they exist (Polity never replaces a file without it; docs/outputs.md)
    #[arg(long)]
    force: bool,
}

/// `polity sum loop`'s arguments.
#[derive(clap::Args)]
pub struct LoopArgs {
    /// Dimensions of the utility space (each 2 to 100000)
    #[arg(long, value_delimiter = ',', default_value = "4,8,16,32,64")]
    dims: Vec<usize>,
    /// AI powers O_X (nats per step, each > 0)
    #[arg(long, value_delimiter = ',', default_value = "0.5,1,2")]
    powers: Vec<f64>,
    #[command(flatten)]
    common: Common,
    /// Folder to write loop.csv and loop.png to
    #[arg(long, default_value = "runs/sum-loop")]
    out: PathBuf,
}

/// `polity sum rectify`'s arguments.
#[derive(clap::Args)]
pub struct RectifyArgs {
    /// Dimensions of the utility space (each 2 to 100000)
    #[arg(long, value_delimiter = ',', default_value = "8,16,32")]
    dims: Vec<usize>,
    /// The humans' power O_H (nats per step, > 0)
    #[arg(long, default_value_t = 1.0)]
    human_power: f64,
    /// Ratios O_X/O_H (each > 0)
    #[arg(long, value_delimiter = ',', default_value = "0.25,0.5,0.75,1,1.25,1.5,2,3,4,6,8")]
    ratios: Vec<f64>,
    #[command(flatten)]
    common: Common,
    /// Folder to write rectify.csv and rectify.png to
    #[arg(long, default_value = "runs/sum-rectify")]
    out: PathBuf,
}

/// `polity sum scaling`'s arguments.
#[derive(clap::Args)]
pub struct ScalingArgs {
    /// The exponent k in d = d₁·ξ^k (≥ 0)
    #[arg(long, default_value_t = 1.0)]
    k: f64,
    /// d₁: the dimensions at human level, ξ = 1 (≥ 2)
    #[arg(long, default_value_t = 16.0)]
    dims_at_human: f64,
    /// The humans' power O_H (nats per step, > 0); O_X = O_H·ξ
    #[arg(long, default_value_t = 1.0)]
    human_power: f64,
    /// The smallest ξ (> 0)
    #[arg(long, default_value_t = 0.25)]
    xi_min: f64,
    /// The largest ξ (> --xi-min)
    #[arg(long, default_value_t = 16.0)]
    xi_max: f64,
    /// Points, spaced evenly in log ξ (≥ 3)
    #[arg(long, default_value_t = 33)]
    points: usize,
    #[command(flatten)]
    common: Common,
    /// Folder to write scaling.csv, scaling.png and scaling-log.png to
    #[arg(long, default_value = "runs/sum-scaling")]
    out: PathBuf,
}

/// The loop gives up past this many steps.
const MAX_STEPS: u64 = 1_000_000;

impl Common {
    fn check(&self, problems: &mut Vec<String>) {
        if !(self.critical > -1.0 && self.critical < 1.0) {
            problems.push(format!("--critical must be in (−1, 1), found {}", self.critical));
        }
        if self.replicates < 2 {
            problems.push(format!(
                "--replicates must be at least 2, found {}: the mean's 95% interval needs two AIs",
                self.replicates
            ));
        }
    }

    fn params(&self) -> LoopParams {
        LoopParams {
            dims: 2.0,
            ai_power: 1.0,
            human_power: None,
            critical: self.critical,
            replicates: self.replicates,
            seed: self.seed,
            max_steps: MAX_STEPS,
        }
    }
}

/// Checks `--dims`: each from 2 to [`sl::MAX_DIMS`] (every value out of range named).
fn check_dims(dims: &[f64], problems: &mut Vec<String>) {
    if dims.is_empty() {
        problems.push("--dims needs at least one value".into());
    }
    let few = found(dims.iter().filter(|&&d| !(d >= 2.0)));
    if !few.is_empty() {
        problems.push(format!("--dims must each be at least 2, found {few}"));
    }
    twice("--dims", dims, problems);
    let many = found(dims.iter().filter(|&&d| d > sl::MAX_DIMS));
    if !many.is_empty() {
        problems.push(format!(
            "d = {many}: the loop is worked out for at most {} dimensions (its angle grid)\n  hint: give --dims of 2 to {}",
            sl::MAX_DIMS,
            sl::MAX_DIMS
        ));
    }
}

/// Refuses a list that gives a value twice (a setting run twice, printed and drawn twice).
fn twice(name: &str, xs: &[f64], problems: &mut Vec<String>) {
    let again: Vec<f64> = xs.iter().enumerate().filter(|(k, x)| xs[..*k].contains(x)).map(|(_, x)| *x).collect();
    if !again.is_empty() {
        problems.push(format!("{name} gives {} more than once: list each value once", found(again.iter())));
    }
}

/// The values given, as a list (`0, -1`).
fn found<'a>(xs: impl Iterator<Item = &'a f64>) -> String {
    xs.map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
}

fn positive(name: &str, xs: &[f64], problems: &mut Vec<String>) {
    if xs.is_empty() {
        problems.push(format!("{name} needs at least one value"));
    }
    let bad = found(xs.iter().filter(|x| !(x.is_finite() && **x > 0.0)));
    if !bad.is_empty() {
        problems.push(format!("{name} must each be a finite number > 0, found {bad}"));
    }
    twice(name, xs, problems);
}

/// [`positive`] for an option of one value.
fn positive_one(name: &str, x: f64, problems: &mut Vec<String>) {
    if !(x.is_finite() && x > 0.0) {
        problems.push(format!("{name} must be a finite number > 0, found {x}"));
    }
}

/// Checks the output files and their tables' records (adding refusals to `problems`);
/// returns their paths, `names`' first, in order.
fn files<const N: usize>(out: &Path, names: [&str; N], force: bool, problems: &mut Vec<String>) -> Vec<PathBuf> {
    check_with_records(out, &names, force).map_err(|refused| problems.extend(refused)).unwrap_or_default()
}

/// [`outputs::check_files_in`] of `names` and of the record [`Batch::write`] writes beside
/// each table (`NAME.json` for each `NAME.csv`), before any work; the paths, `names`' first.
pub(super) fn check_with_records(out: &Path, names: &[&str], force: bool) -> Result<Vec<PathBuf>, Vec<String>> {
    let records = names.iter().filter_map(|n| n.strip_suffix(".csv")).map(|stem| format!("{stem}.json"));
    let all: Vec<String> = names.iter().map(|n| n.to_string()).chain(records).collect();
    outputs::check_files_in(out, &all.iter().map(String::as_str).collect::<Vec<_>>(), force)
}

/// This process's command line as a shell would take it back: `polity` and its arguments,
/// each quoted where it holds more than plain characters.
pub(super) fn command_line() -> String {
    let plain = |a: &str| !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=,:+@%".contains(c));
    std::iter::once("polity".to_string())
        .chain(std::env::args().skip(1).map(|a| if plain(&a) { a } else { format!("'{}'", a.replace('\'', "'\\''")) }))
        .collect::<Vec<_>>()
        .join(" ")
}

fn refuse(problems: Vec<String>) -> CliResult {
    let lines: Vec<String> = problems.iter().map(|p| format!("error: {p}")).collect();
    Err(CliError::problems(lines.join("\n")))
}

/// A command's output files, gathered and then written all or none
/// ([`outputs::write_files`]): a failure while writing leaves none of them.
#[derive(Default)]
pub(super) struct Batch {
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Batch {
    /// Adds a file.
    pub(super) fn file(&mut self, path: &Path, bytes: impl Into<Vec<u8>>) {
        self.files.push((path.to_path_buf(), bytes.into()));
    }

    /// Adds a chart, as PNG.
    pub(super) fn chart(&mut self, path: &Path, canvas: polity::paint::Canvas) -> CliResult {
        let mut bytes = Vec::new();
        polity::record::encode::encode_png(&mut bytes, &canvas, &mut Vec::new())
            .map_err(|e| CliError::internal(format_args!("writing {}: {e}", path.display())))?;
        self.file(path, bytes);
        Ok(())
    }

    /// Writes them all (replacing files only with `force`); a failure is an internal error.
    /// After SIGINT or SIGTERM nothing is written (status 130): the work may have been cut
    /// short (a planner's tree gives up inside its tick), so its numbers are not the command's.
    ///
    /// Each table `NAME.csv` comes with `NAME.json`, how it was made: the command line (its
    /// seeds, ticks and settings as given; the rest are the defaults of this `polity_version`)
    /// and the files written with it. Its name is among those checked before the work
    /// ([`check_with_records`]).
    pub(super) fn write(mut self, force: bool) -> CliResult {
        outputs::check_interrupt().map_err(|e| CliError::io("", &e))?;
        let names: Vec<String> =
            self.files.iter().filter_map(|(p, _)| Some(p.file_name()?.to_string_lossy().into_owned())).collect();
        let records: Vec<(PathBuf, Vec<u8>)> = self
            .files
            .iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "csv"))
            .map(|(p, _)| {
                let record = serde_json::json!({
                    "polity_version": env!("CARGO_PKG_VERSION"),
                    "command": command_line(),
                    "files": names,
                });
                let text = polity::json::to_string_pretty(&record).expect("records serialise") + "\n";
                (p.with_extension("json"), text.into_bytes())
            })
            .collect();
        self.files.extend(records);
        let files: Vec<(&Path, &[u8])> = self.files.iter().map(|(p, b)| (p.as_path(), b.as_slice())).collect();
        outputs::write_files(&files, force)
            .map_err(|e| CliError::internal(format_args!("writing {e}; none of the files was written")))
    }
}

/// 95% half width from a standard error (0 when there is none).
fn half(se: f64) -> f64 {
    if se.is_finite() { 1.96 * se } else { 0.0 }
}

/// Refuses settings the loop cannot work out: more dimensions than its angle grid resolves
/// ([`sl::MAX_DIMS`]; `--dims` given are [`check_dims`]'s, those worked out from other options
/// are checked here), or more steps for the median AI than the loop allows ([`MAX_STEPS`];
/// estimated in milliseconds, where running them would take hours). `hint` says which options
/// to lower. The first such setting is named, and how many there are.
fn check_settings(settings: &[LoopParams], dims_hint: &str, hint: &str, problems: &mut Vec<String>) {
    // Too many dimensions is one problem, whatever the powers (its only fix is fewer).
    if let Some(p) = settings.iter().find(|p| p.dims > sl::MAX_DIMS) {
        problems.push(format!(
            "d = {}: the loop is worked out for at most {} dimensions (its angle grid)\n  hint: {dims_hint}",
            number(p.dims),
            sl::MAX_DIMS,
        ));
        return;
    }
    // A power past what a float holds (`--human-power 1e308` times a ratio of 2) made every
    // harm NaN, shown as 0.
    // (√(2·O_X) is worked out: twice the power must be a number too.)
    let huge = |x: f64| !(2.0 * x).is_finite();
    if let Some(p) = settings.iter().find(|p| huge(p.ai_power) || p.human_power.is_some_and(huge)) {
        problems.push(format!(
            "d = {}: the powers (O_X = {:e}{}) are too large for a floating-point number to work with (the harm came out 0)\n  hint: lower --human-power, --ratios or --xi-max",
            number(p.dims),
            p.ai_power,
            p.human_power.map_or(String::new(), |h| format!(", O_H = {h:e}"))
        ));
        return;
    }
    let bad: Vec<(LoopParams, f64)> = settings
        .iter()
        .filter_map(|p| {
            let n = sl::median_steps(p);
            (n > MAX_STEPS as f64).then_some((*p, n))
        })
        .collect();
    if let Some((p, n)) = bad.first() {
        let more = if bad.len() > 1 { format!(" (and {} more settings)", bad.len() - 1) } else { String::new() };
        problems.push(format!(
            "d = {}, O_X = {}: the median AI needs about {} steps to align (the critical cosine {}), more than the loop's {MAX_STEPS}{more}\n  hint: {hint}, or lower --critical",
            number(p.dims),
            number(p.ai_power),
            chart::label(*n),
            p.critical
        ));
    }
}

/// `x` to `n` decimals, or in e-notation past 10¹⁵ (a harm of 10¹⁰⁰ printed in 100 digits).
fn places(x: f64, n: usize) -> String {
    if x.is_finite() && x.abs() >= 1e15 { chart::label(x) } else { format!("{x:.n$}") }
}

/// A setting's value as given: `1e-7` where the chart's labels would say `0`.
fn number(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-3 { format!("{x:e}") } else { chart::label(x) }
}

/// Runs every setting, all at once on the pool (`--threads`), with a progress bar; rows in
/// the settings' order.
fn rows(settings: Vec<LoopParams>) -> Result<Vec<Row>, CliError> {
    let rows = super::progress::par_map(&settings, "settings", |&p| sl::row(p));
    rows.into_iter().collect::<Result<Vec<Row>, _>>().map_err(CliError::internal)
}

impl SumCommand {
    /// Runs the subcommand.
    pub fn run(self) -> CliResult {
        match self {
            SumCommand::Loop(a) => a.run(),
            SumCommand::Rectify(a) => a.run(),
            SumCommand::Scaling(a) => a.run(),
            SumCommand::World(a) => a.run(),
        }
    }
}

impl LoopArgs {
    fn run(self) -> CliResult {
        let LoopArgs { dims, powers, common, out } = self;
        let mut problems = Vec::new();
        check_dims(&dims.iter().map(|&d| d as f64).collect::<Vec<_>>(), &mut problems);
        positive("--powers", &powers, &mut problems);
        common.check(&mut problems);
        let base = common.params();
        let settings: Vec<LoopParams> = powers
            .iter()
            .flat_map(|&o| dims.iter().map(move |&d| LoopParams { dims: d as f64, ai_power: o, ..base }))
            .collect();
        if problems.is_empty() {
            check_settings(&settings, "give --dims of 2 to 100000", "lower --dims or raise --powers", &mut problems);
        }
        let paths = files(&out, ["loop.csv", "loop.png"], common.force, &mut problems);
        if !problems.is_empty() {
            return refuse(problems);
        }
        let rows = rows(settings)?;
        let mut series = Vec::new();
        say!(
            "total harm before the AI's cosine reaches {}, against d (mean over {} AIs):",
            common.critical,
            common.replicates
        );
        for &o in &powers {
            let mine: Vec<&Row> = rows.iter().filter(|r| r.params.ai_power == o).collect();
            let pts: Vec<(f64, f64)> = mine.iter().map(|r| (r.params.dims, r.harm)).collect();
            if pts.len() >= 2 {
                let (slope, icpt, r2) = sl::linear_fit(&pts);
                say!("  O_X = {}: harm ≈ {}·d {} (R² = {r2:.5})", number(o), places(slope, 4), plus(icpt, 4));
            } else if let Some(&(d, harm)) = pts.first() {
                say!(
                    "  O_X = {}: harm {} at d = {d} (one d: no line to fit; give --dims two or more)",
                    number(o),
                    places(harm, 4)
                );
            }
            series.push(Series {
                label: format!("O_X={}", chart::label(o)),
                points: mine.iter().map(|r| (r.params.dims, r.harm, half(r.harm_se))).collect(),
            });
        }
        let sub =
            format!("mean and 95% interval over {} AIs; loop ends at cosine {}", common.replicates, common.critical);
        let mut batch = Batch::default();
        batch.file(&paths[0], sl::loop_csv(&rows));
        batch
            .chart(&paths[1], chart::lines_or_note("SUM loop: total harm before alignment vs d", &sub, "d", &series))?;
        batch.write(common.force)?;
        say!("wrote {0}/loop.csv, {0}/loop.png and {0}/loop.json (how they were made)", out.display());
        Ok(())
    }
}

impl RectifyArgs {
    fn run(self) -> CliResult {
        let RectifyArgs { dims, human_power, ratios, common, out } = self;
        let mut problems = Vec::new();
        check_dims(&dims.iter().map(|&d| d as f64).collect::<Vec<_>>(), &mut problems);
        positive("--ratios", &ratios, &mut problems);
        positive_one("--human-power", human_power, &mut problems);
        common.check(&mut problems);
        let base = LoopParams { human_power: Some(human_power), ..common.params() };
        let settings: Vec<LoopParams> = dims
            .iter()
            .flat_map(|&d| {
                ratios.iter().map(move |&r| LoopParams { dims: d as f64, ai_power: r * human_power, ..base })
            })
            .collect();
        if problems.is_empty() {
            check_settings(
                &settings,
                "give --dims of 2 to 100000",
                "lower --dims or raise --human-power",
                &mut problems,
            );
        }
        let paths = files(&out, ["rectify.csv", "rectify.png"], common.force, &mut problems);
        if !problems.is_empty() {
            return refuse(problems);
        }
        let rows = rows(settings)?;
        let mut series = Vec::new();
        say!("total harm before alignment, against O_X/O_H (O_H = {}):", number(human_power));
        for &d in &dims {
            let mine: Vec<&Row> = rows.iter().filter(|r| r.params.dims == d as f64).collect();
            let line: Vec<String> = mine
                .iter()
                .map(|r| format!("{}→{}", chart::label(r.params.ai_power / human_power), places(r.harm, 3)))
                .collect();
            say!("  d = {d}: {}", line.join("  "));
            series.push(Series {
                label: format!("d={d}"),
                points: mine.iter().map(|r| (r.params.ai_power / human_power, r.harm, half(r.harm_se))).collect(),
            });
        }
        let sub = format!("O_H = {}; mean and 95% interval over {} AIs", number(human_power), common.replicates);
        let mut batch = Batch::default();
        batch.file(&paths[0], sl::rectify_csv(&rows));
        batch.chart(
            &paths[1],
            chart::lines_or_note("SUM loop with rectification: harm vs O_X/O_H", &sub, "O_X/O_H", &series),
        )?;
        batch.write(common.force)?;
        say!("wrote {0}/rectify.csv, {0}/rectify.png and {0}/rectify.json (how they were made)", out.display());
        Ok(())
    }
}

impl ScalingArgs {
    fn run(self) -> CliResult {
        let ScalingArgs { k, dims_at_human, human_power, xi_min, xi_max, points, common, out } = self;
        let mut problems = Vec::new();
        if !(k.is_finite() && k >= 0.0) {
            problems.push(format!("--k must be a finite number ≥ 0, found {k}"));
        }
        if !(dims_at_human.is_finite() && dims_at_human >= 2.0) {
            problems.push(format!("--dims-at-human must be at least 2, found {dims_at_human}"));
        }
        positive_one("--human-power", human_power, &mut problems);
        positive_one("--xi-min", xi_min, &mut problems);
        if !(xi_max.is_finite() && xi_max > xi_min) {
            problems.push(format!("--xi-max must be a finite number above --xi-min ({xi_min}), found {xi_max}"));
        }
        if points < 3 {
            problems.push(format!("--points must be at least 3, found {points}"));
        }
        common.check(&mut problems);
        let xis: Vec<f64> = (0..points)
            .map(|i| (xi_min.ln() + (xi_max.ln() - xi_min.ln()) * i as f64 / (points - 1) as f64).exp())
            .collect();
        let settings = sl::scaling_settings(&xis, k, dims_at_human, human_power, common.params());
        if problems.is_empty() {
            check_settings(
                &settings,
                "lower --k, --xi-max or --dims-at-human",
                "lower --k, --xi-max or --dims-at-human (or, where the small AIs are the slow ones, raise --xi-min or --human-power)",
                &mut problems,
            );
        }
        let paths = files(&out, ["scaling.csv", "scaling.png", "scaling-log.png"], common.force, &mut problems);
        if !problems.is_empty() {
            return refuse(problems);
        }
        let pts = sl::scaling_points(&xis, k, rows(settings)?);
        say!("harm against AI scale ξ (O_X = {}·ξ, d = {dims_at_human}·ξ^{k}):", number(human_power));
        for p in &pts {
            say!(
                "  ξ = {:>8.4}: d = {:>8.1}, harm = {:>12.4}, phase {}",
                p.xi,
                p.row.params.dims,
                p.row.harm,
                p.phase.name()
            );
        }
        // The chart font has no ξ: its strings spell it.
        let sub = format!(
            "O_X = {}*xi, d = {}*xi^{}; mean and 95% interval over {} AIs",
            human_power, dims_at_human, k, common.replicates
        );
        let log_sub = format!(
            "O_X = {}*xi, d = {}*xi^{}; log10 of the mean over {} AIs (harm > 0 only)",
            human_power, dims_at_human, k, common.replicates
        );
        let lin = Series {
            label: String::new(),
            points: pts.iter().map(|p| (p.xi, p.row.harm, half(p.row.harm_se))).collect(),
        };
        let log = Series {
            label: String::new(),
            points: pts.iter().filter(|p| p.row.harm > 0.0).map(|p| (p.xi.log10(), p.row.harm.log10(), 0.0)).collect(),
        };
        let mut batch = Batch::default();
        batch.file(&paths[0], sl::scaling_csv(&pts, k));
        batch.chart(&paths[1], chart::lines_or_note("SUM scaling: harm vs AI scale xi", &sub, "xi", &[lin]))?;
        let log_chart = chart::lines_or_note("SUM scaling: log10 harm vs log10 xi", &log_sub, "log10 xi", &[log]);
        batch.chart(&paths[2], log_chart)?;
        batch.write(common.force)?;
        say!(
            "wrote {0}/scaling.csv, {0}/scaling.png, {0}/scaling-log.png and {0}/scaling.json (how they were made)",
            out.display()
        );
        Ok(())
    }
}

impl WorldArgs {
    fn run(self) -> CliResult {
        use polity::sum::world_loop::{WorldLoopRun, run_until_aligned};
        let WorldArgs { scenario, dims, seeds, ticks, critical, rectify, out, force } = self;
        let mut problems = Vec::new();
        check_dims(&dims, &mut problems);
        problems.extend(polity::compare::too_few_for_intervals(&seeds));
        if ticks == 0 {
            problems.push("--ticks must be at least 1".into());
        }
        let in_range = |c: f64| c > -1.0 && c < 1.0;
        if let Some(c) = critical.filter(|c| !in_range(*c)) {
            problems.push(format!("--critical must be in (−1, 1), found {c}"));
        }
        let name = scenario.unwrap_or_else(|| "commons".into());
        let mut s = match polity::scenario::load(&name) {
            Ok(s) => s,
            Err(p) => {
                problems.extend(p.0.iter().map(|p| p.to_string()));
                return refuse(problems);
            }
        };
        // The scenario's own loop settings, where it has them, unless the options say otherwise
        // (its `dims` is what --dims varies); a scenario's own `critical` passed its checks.
        let own = s.sum.alignment_loop.clone();
        let critical = critical.unwrap_or(own.as_ref().map_or(0.5, |l| l.critical));
        let rectify = rectify || own.as_ref().is_some_and(|l| l.rectify);
        let critical_ok = in_range(critical);
        let spec = polity::scenario::LoopSpec { dims: 16.0, critical, rectify };
        // The loop and the harm it measures need both kinds of agent (its checks would name
        // the sections this command adds, not what to change).
        let count = |kind| s.agents.iter().filter(|g| g.kind == kind).map(|g| g.count).sum::<u32>();
        let (ais, humans) = (count(polity::scenario::Kind::Ai), count(polity::scenario::Kind::Human));
        let s = if !critical_ok {
            // Said above; the scenario's check would say it again of the section this adds.
            None
        } else if ais == 0 || humans == 0 {
            problems.push(format!(
                "{name}: `sum world` aligns AI agents to human agents, and `{}` has {ais} AI and {humans} human agents\n    \
                 hint: choose a scenario with both, e.g. `commons` (the default)",
                s.name
            ));
            None
        } else {
            s.sum.harm = true;
            s.sum.alignment_loop = Some(spec.clone());
            match polity::scenario::check_typed(s, &name) {
                Ok(s) => Some(s),
                Err(p) => {
                    // Each of its problems, said as this command's others are (its count
                    // counted only its own).
                    problems.extend(p.0.iter().map(|p| p.to_string()));
                    None
                }
            }
        };
        let paths = files(&out, ["world.csv", "world.png"], force, &mut problems);
        if !problems.is_empty() {
            return refuse(problems);
        }
        let s = s.expect("loaded");
        let jobs: Vec<(f64, u64)> = dims.iter().flat_map(|&d| seeds.clone().map(move |k| (d, k))).collect();
        let runs: Vec<WorldLoopRun> = super::progress::par_map(&jobs, "runs", |&(d, seed)| {
            run_until_aligned(&s, &polity::scenario::LoopSpec { dims: d, ..spec.clone() }, seed, ticks)
        });
        let mut csv = String::from("dims,seed,aligned_at,information,harm,harm_unrectified\n");
        for (&(d, seed), r) in jobs.iter().zip(&runs) {
            let at = r.aligned_at.map_or(String::new(), |t| t.to_string());
            csv.push_str(&format!("{d},{seed},{at},{},{},{}\n", r.information, r.harm, r.unrectified));
        }
        say!(
            "{name} with SUM's loop (critical cosine {critical}{}), {} seeds, up to {ticks} ticks; means over the runs that aligned (world.csv has every run):",
            if rectify { ", rectifying humans" } else { "" },
            seeds.end - seeds.start
        );
        say!("       d  aligned  ticks (mean ± CI)  information (mean ± CI)   harm by then (mean ± CI)");
        say!("                     (ticks)            (nats)                    (apples per human)");
        let mut harm_pts = Vec::new();
        let (mut fit_harm, mut fit_ticks) = (Vec::new(), Vec::new());
        for &d in &dims {
            let mine: Vec<&WorldLoopRun> =
                jobs.iter().zip(&runs).filter(|((dd, _), _)| *dd == d).map(|(_, r)| r).collect();
            let aligned: Vec<&&WorldLoopRun> = mine.iter().filter(|r| r.aligned_at.is_some()).collect();
            let summary = |f: &dyn Fn(&WorldLoopRun) -> f64| {
                polity::stats::Summary::of(&aligned.iter().map(|r| f(r)).collect::<Vec<f64>>())
            };
            let t = summary(&|r| r.aligned_at.unwrap_or(0) as f64);
            let i = summary(&|r| r.information);
            let h = summary(&|r| r.harm);
            let hw = |x: f64| if x.is_finite() { x } else { 0.0 };
            if aligned.is_empty() {
                say!("{:>8} {:>5}/{:<3} (none aligned within {ticks} ticks)", d, 0, mine.len());
            } else {
                // One run that aligned has no interval: `n/a`, as `compare` says.
                let pm = |x: f64, digits: usize| if x.is_finite() { format!("{x:.digits$}") } else { "n/a".into() };
                say!(
                    "{:>8} {:>5}/{:<3} {:>8.1} ± {:<8} {:>10.2} ± {:<10} {:>10.3} ± {}",
                    d,
                    aligned.len(),
                    mine.len(),
                    t.mean,
                    pm(t.half_width, 1),
                    i.mean,
                    pm(i.half_width, 2),
                    h.mean,
                    pm(h.half_width, 3)
                );
            }
            if !aligned.is_empty() {
                harm_pts.push((d, h.mean, hw(h.half_width)));
                fit_harm.push((d, h.mean));
                fit_ticks.push((d, t.mean));
            }
        }
        if fit_harm.len() >= 2 {
            let (a, b, r2) = sl::linear_fit(&fit_harm);
            say!("harm before alignment ≈ {a:.5}·d {} (R² = {r2:.4})", plus(b, 3));
            let (a, b, r2) = sl::linear_fit(&fit_ticks);
            say!("ticks to alignment ≈ {a:.4}·d {} (R² = {r2:.4})", plus(b, 2));
        }
        let mut batch = Batch::default();
        batch.file(&paths[0], csv);
        let sub = format!("{name}; mean and 95% interval over the seeds that aligned within {ticks} ticks");
        let series = [Series { label: String::new(), points: harm_pts }];
        batch.chart(
            &paths[1],
            chart::lines_or_note(
                "SUM loop in the world: harm before alignment (apples per human) vs d",
                &sub,
                "d",
                &series,
            ),
        )?;
        batch.write(force)?;
        say!("wrote {0}/world.csv, {0}/world.png and {0}/world.json (how they were made)", out.display());
        Ok(())
    }
}

/// `+ x` or `− x` (a fitted line's intercept after its slope term), to `digits` decimals.
fn plus(x: f64, digits: usize) -> String {
    let sign = if x < 0.0 { '−' } else { '+' };
    format!("{sign} {}", places(x.abs(), digits))
}
