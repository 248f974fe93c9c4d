//! `polity oversight shift | harmless | vanish | estimate`: the informed-oversight seed's
//! predictions (Saunders) run as experiments on the audited commons, written as CSV tables
//! and PNG plots (the mechanism: `polity::oversight`; docs/oversight.md).

use std::path::PathBuf;

use polity::oversight::Oversight;
use polity::paint::chart::{self, Series};
use polity::scenario::{
    AdviceSpec, BeliefDetection, BeliefSpec, Detection, Feature, Forbidden, OversightSpec, Penalty, Scenario,
};
use polity::sim::Sim;

use super::sum_loop::Batch;
use super::{CliError, CliResult};

/// The world every experiment runs, said in each one's help.
macro_rules! world {
    () => {
        "Runs the built-in `audited-commons` world (two greedy AI harvesters, five sparing humans, \
24×18) for --ticks ticks on each of --seeds seeds, with clear-cutting (taking a patch's last \
apple) audited by advice that depends on who can see it: the other agents within 3 cells are \
witnesses, and the advice set is R = {r₁, r₂, r₃} with Q = (0.05, 0.10, 0.15) and thresholds \
(0, 1, 2) witnesses, so P_D = 0.05 unseen, 0.15 with one witness and 0.30 with two or more \
(|R_F| = 1, 2, 3). Each point is the mean over the seeds with a 95% t interval, its ends kept \
within the values the metric can take (a share within 0 and 1, a count above 0)."
    };
}

/// What a table holds, said in each one's help.
macro_rules! table {
    () => {
        "one row per series, x and metric: the mean, its 95% t half width, the interval's ends \
within the metric's values, and the seeds that gave a value; the mean is empty when none did, \
the interval when fewer than two"
    };
}

/// `polity oversight --help`'s text after the list of experiments.
pub const HELP: &str = concat!(
    "Each experiment ",
    "runs the built-in `audited-commons` world on --seeds seeds and writes a table and plots into \
--out (`polity oversight EXPERIMENT --help` says which, and what each shows; docs/oversight.md \
has the results and how to read them).

Examples:
  polity oversight shift --out runs/oversight
  polity oversight estimate --seeds 10 --ticks 1000 --out runs/oversight"
);

const SHIFT_HELP: &str = concat!(
    "Violations known to be forbidden with probability P_AF, under both schemes: how many, and \
what share of them nobody saw (the seed: the first scheme pushes violations toward the least \
detectable acts).

",
    world!(),
    "

Writes DIR/shift.csv (",
    table!(),
    "), DIR/shift.png (violations against P_AF), DIR/shift-unseen.png (the share nobody saw) and
DIR/shift.json (how they were made: the command line and Polity's version).

Example:
  polity oversight shift --seeds 10 --ticks 1000 --out runs/oversight"
);

const HARMLESS_HELP: &str = concat!(
    "Clear-cutting allowed, but the AIs unsure it is (P_AF): how long the patches last and what \
share of the clear-cuts nobody saw, under both schemes, with this advice set and with a \
fine-grained one (ten advice of Q = 0.01 for a seen act, so |R_F| = 11), and with P_AF learned \
from the audits (the seed: harmless acts that might be forbidden are shunned, the more so the \
larger E_A[|R_F|]).

",
    world!(),
    "

Writes DIR/harmless.csv (",
    table!(),
    "), DIR/harmless.png (patches alive against P_AF), DIR/harmless-unseen.png (the share of \
clear-cuts nobody saw) and DIR/harmless.json (how they were made: the command line and Polity's version).

Example:
  polity oversight harmless --seeds 10 --ticks 1000 --out runs/oversight"
);

const VANISH_HELP: &str = concat!(
    "Known-forbidden violations against the penalty's k under −k/P_D, and under the first scheme.

",
    world!(),
    "

Writes DIR/vanish.csv (",
    table!(),
    "), DIR/vanish.png (violations against k) and DIR/vanish.json (how they were made: the \
command line and Polity's version).

Example:
  polity oversight vanish --seeds 10 --ticks 1000 --out runs/oversight"
);

const ESTIMATE_HELP: &str = concat!(
    "P_D replaced by a lower bound from n simulated audits per level (δ = 0.05), for n = 10, 32, \
100, 316, 1000 and 10⁴ (x = log10 n; x = 5 is the exact P_D): violations at k = 0.5 and \
uncertain harmless clear-cuts at k = 1.

",
    world!(),
    "

Writes DIR/estimate.csv (",
    table!(),
    "), DIR/estimate.png (clear-cuts against log10 n), DIR/estimate-p_d.png (the mean true P_D \
of the violations) and DIR/estimate.json (how they were made: the command line and Polity's version).

Example:
  polity oversight estimate --seeds 10 --ticks 1000 --out runs/oversight"
);

/// `polity oversight`'s experiments.
#[derive(clap::Subcommand)]
pub enum OversightCommand {
    /// Where violations go when agents are unsure they are forbidden, under both schemes.
    #[command(after_help = SHIFT_HELP)]
    Shift(Args),
    /// Harmless clear-cuts shunned by agents unsure they are allowed, fixed or learned beliefs.
    #[command(after_help = HARMLESS_HELP)]
    Harmless(Args),
    /// Known-forbidden violations against k under −k/P_D (and the first scheme).
    #[command(after_help = VANISH_HELP)]
    Vanish(Args),
    /// P_D estimated by a lower bound from few or many simulated audits.
    #[command(after_help = ESTIMATE_HELP)]
    Estimate(Args),
}

/// Every experiment's arguments.
#[derive(clap::Args)]
pub struct Args {
    /// Seeds per point: a count N (seeds 0..N) or a range such as 10..20 (at least 2: the interval needs them)
    #[arg(long, value_name = "N|RANGE", default_value = "10", value_parser = polity::compare::parse_seeds)]
    seeds: std::ops::Range<u64>,
    /// Ticks per run
    #[arg(long, default_value_t = 1000)]
    ticks: u64,
    /// The output folder
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Replace the outputs if they exist (Polity never replaces a file without it; docs/outputs.md)
    #[arg(long)]
    force: bool,
}

/// What one run ends with.
#[derive(Clone, Copy, Debug, Default)]
struct Outcome {
    /// Forbidden acts committed.
    violations: f64,
    /// Acts recorded (forbidden or only believed possibly forbidden).
    acts: f64,
    /// The share of the violations nobody saw (level 1), NaN without violations.
    unseen: f64,
    /// The share of the acts nobody saw (level 1), NaN without acts.
    unseen_acts: f64,
    /// Their mean P_D, NaN without violations.
    mean_p_d: f64,
    /// Violations detected.
    detections: f64,
    /// Patches alive at the end.
    patches: f64,
    /// Patches alive, averaged over the run's ticks (how long the commons lasted).
    patch_ticks: f64,
}

/// The advice of every experiment: witnesses within 3 cells; P_D 0.05, 0.15, 0.30.
fn advice() -> Vec<AdviceSpec> {
    vec![AdviceSpec {
        class: Forbidden::ClearCut,
        feature: Feature::Witnesses(3),
        advice: vec![(0.05, 0.0), (0.10, 1.0), (0.15, 2.0)],
    }]
}

/// The audited commons under `o`.
fn world(o: OversightSpec) -> Result<Scenario, CliError> {
    let mut s = polity::scenario::builtin("audited-commons")
        .and_then(|b| b.scenario().ok())
        .ok_or_else(|| CliError::internal("the built-in audited-commons is missing"))?;
    s.oversight = Some(o);
    Ok(s)
}

/// The harmless experiment's fine-grained advice: one advice of Q = 0.05 catches every
/// clear-cut, ten of Q = 0.01 each catch a seen one: P_D = 0.05 unseen (|R_F| = 1) and 0.15
/// seen (|R_F| = 11) — the seed's Shakespeare, an act many pieces of advice could expose.
fn fine_advice() -> Vec<AdviceSpec> {
    let mut advice = vec![(0.05, 0.0)];
    advice.extend(std::iter::repeat_n((0.01, 1.0), 10));
    vec![AdviceSpec { class: Forbidden::ClearCut, feature: Feature::Witnesses(3), advice }]
}

/// A spec: clear-cutting forbidden or not, believed forbidden with `p_af` (none: known).
fn spec(penalty: Penalty, k: f64, forbidden: bool, belief: Option<(f64, bool)>) -> OversightSpec {
    spec_with(advice(), penalty, k, forbidden, belief)
}

fn spec_with(
    advice: Vec<AdviceSpec>,
    penalty: Penalty,
    k: f64,
    forbidden: bool,
    belief: Option<(f64, bool)>,
) -> OversightSpec {
    OversightSpec {
        forbidden: if forbidden { vec![Forbidden::ClearCut] } else { vec![] },
        penalty,
        k,
        advice,
        beliefs: belief
            .map(|(p, learn)| {
                vec![BeliefSpec {
                    class: Forbidden::ClearCut,
                    forbidden: p,
                    detection: BeliefDetection::Known,
                    learn_forbidden: learn,
                }]
            })
            .unwrap_or_default(),
        ..OversightSpec::default()
    }
}

fn run(s: &Scenario, seed: u64, ticks: u64) -> Outcome {
    let mechanisms = Sim::mechanisms();
    let mut m = Sim::model_of(s, seed, &mechanisms);
    m.quiet();
    let mut alive = 0.0;
    for _ in 0..ticks {
        m.step();
        alive += m.grid.patches_alive() as f64;
    }
    let patches = m.grid.patches_alive() as f64;
    let o = m.parts.get::<Oversight>().expect("the experiments have oversight");
    let v = o.violations as f64;
    let at = |l: usize| o.by_level.get(l).copied().unwrap_or(0) as f64;
    // Acts are recorded only of a class someone watches (forbidden, or believed possibly so):
    // a clear-cut allowed and believed allowed (P_AF = 0) is not counted, so its acts are not
    // measured (they read 0 where the AIs cut about five times a run).
    let watched = o.watched(polity::scenario::Forbidden::ClearCut);
    let acts = if watched { o.acts_by_level.iter().sum::<u64>() as f64 } else { f64::NAN };
    Outcome {
        violations: v,
        acts,
        unseen: if v > 0.0 { at(1) / v } else { f64::NAN },
        unseen_acts: if acts > 0.0 { o.acts_by_level.get(1).copied().unwrap_or(0) as f64 / acts } else { f64::NAN },
        mean_p_d: if v > 0.0 { o.p_d_sum / v } else { f64::NAN },
        detections: o.detections as f64,
        patches,
        patch_ticks: alive / ticks as f64,
    }
}

/// A metric's name and how it is read from a run.
type Metric = (&'static str, fn(&Outcome) -> f64);

/// Mean and 95% t half width of the finite values (NaN, 0 when fewer than two).
fn interval(xs: &[f64]) -> (f64, f64, usize) {
    let v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    let n = v.len();
    if n == 0 {
        return (f64::NAN, 0.0, 0);
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, 0.0, n);
    }
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    (mean, polity::stats::t_quantile(0.975, (n - 1) as f64) * sd / (n as f64).sqrt(), n)
}

/// One row of an experiment's table.
struct Row {
    series: String,
    x: f64,
    metric: &'static str,
    mean: f64,
    half: f64,
    n: usize,
}

impl Row {
    /// The t interval's ends, kept within the values the metric can take ([`bounds`]).
    fn interval(&self) -> (f64, f64) {
        let (lo, hi) = bounds(self.metric);
        ((self.mean - self.half).max(lo), (self.mean + self.half).min(hi))
    }
}

/// One series of an experiment: its label, its x values and the oversight at each x.
struct Plan {
    name: String,
    xs: Vec<f64>,
    make: Box<dyn Fn(f64) -> OversightSpec>,
}

impl Plan {
    fn new(name: impl Into<String>, xs: &[f64], make: impl Fn(f64) -> OversightSpec + 'static) -> Plan {
        Plan { name: name.into(), xs: xs.to_vec(), make: Box::new(make) }
    }
}

/// Runs every x of every series over the seeds, all runs at once on the pool (`--threads`),
/// with a progress bar; rows for each metric, in the plans' order.
fn run_plans(a: &Args, plans: &[Plan]) -> Result<Vec<Row>, CliError> {
    let mut points = Vec::new();
    for p in plans {
        for &x in &p.xs {
            points.push((p.name.as_str(), x, world((p.make)(x))?));
        }
    }
    let seeds: Vec<u64> = a.seeds.clone().collect();
    let jobs: Vec<(usize, u64)> = (0..points.len()).flat_map(|i| seeds.iter().map(move |&k| (i, k))).collect();
    let outs: Vec<Outcome> = super::progress::par_map(&jobs, "runs", |&(i, seed)| run(&points[i].2, seed, a.ticks));
    let metrics: [Metric; 8] = [
        ("violations", |o| o.violations),
        ("acts", |o| o.acts),
        ("unseen_share", |o| o.unseen),
        ("unseen_acts_share", |o| o.unseen_acts),
        ("mean_p_d", |o| o.mean_p_d),
        ("detections", |o| o.detections),
        ("patches_alive", |o| o.patches),
        ("patches_alive_mean", |o| o.patch_ticks),
    ];
    let mut rows = Vec::new();
    for ((name, x, _), outs) in points.iter().zip(outs.chunks(seeds.len())) {
        for (metric, f) in metrics {
            let (mean, half, n) = interval(&outs.iter().map(f).collect::<Vec<_>>());
            rows.push(Row { series: name.to_string(), x: *x, metric, mean, half, n });
        }
    }
    Ok(rows)
}

fn lines_of(rows: &[Row], metric: &str) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for r in rows.iter().filter(|r| r.metric == metric && r.mean.is_finite()) {
        match out.iter_mut().find(|s| s.label == r.series) {
            Some(s) => s.points.push((r.x, r.mean, r.half)),
            None => out.push(Series { label: r.series.clone(), points: vec![(r.x, r.mean, r.half)] }),
        }
    }
    out
}

/// An experiment's charts: file, title, x axis and the metric drawn.
type Chart = (&'static str, &'static str, &'static str, &'static str);

/// The charts each experiment writes (beside its table, `EXPERIMENT.csv`).
fn charts(c: &OversightCommand) -> Vec<Chart> {
    match c {
        OversightCommand::Shift(_) => vec![
            ("shift.png", "Violations vs P_AF (clear-cutting forbidden)", "P_AF", "violations"),
            ("shift-unseen.png", "Share of violations nobody saw vs P_AF", "P_AF", "unseen_share"),
        ],
        OversightCommand::Harmless(_) => vec![
            ("harmless.png", "Patches alive (run mean) vs P_AF, cutting allowed", "P_AF (prior)", "patches_alive_mean"),
            (
                "harmless-unseen.png",
                "Share of allowed clear-cuts nobody saw vs P_AF",
                "P_AF (prior)",
                "unseen_acts_share",
            ),
        ],
        OversightCommand::Vanish(_) => {
            vec![("vanish.png", "Known-forbidden violations vs k", "k", "violations")]
        }
        OversightCommand::Estimate(_) => vec![
            ("estimate-p_d.png", "Mean true P_D of violations vs log10 samples, k=0.5", "log10 samples", "mean_p_d"),
            ("estimate.png", "Clear-cuts vs log10 simulated audits (5 = exact P_D)", "log10 samples", "plotted"),
        ],
    }
}

/// The values a metric can take: a share or a probability lies in [0, 1], a count is ≥ 0.
fn bounds(metric: &str) -> (f64, f64) {
    match metric {
        "unseen_share" | "unseen_acts_share" | "mean_p_d" => (0.0, 1.0),
        _ => (0.0, f64::INFINITY),
    }
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from("series,x,metric,mean,ci95_half,ci95_low,ci95_high,seeds\n");
    for r in rows {
        // Series names hold commas: quoted (RFC 4180).
        let series = format!("\"{}\"", r.series.replace('"', "\"\""));
        // No seed gave a value: no mean; fewer than two: no interval (empty cells, not 0).
        let mean = if r.n == 0 { String::new() } else { r.mean.to_string() };
        let (half, low, high) = if r.n < 2 {
            Default::default()
        } else {
            // The t interval, and its ends within the values the metric can take.
            let (low, high) = r.interval();
            (r.half.to_string(), low.to_string(), high.to_string())
        };
        out.push_str(&format!("{series},{},{},{mean},{half},{low},{high},{}\n", r.x, r.metric, r.n));
    }
    out
}

impl OversightCommand {
    /// Runs the experiment.
    pub fn run(self) -> CliResult {
        let (name, a) = match &self {
            OversightCommand::Shift(a) => ("shift", a),
            OversightCommand::Harmless(a) => ("harmless", a),
            OversightCommand::Vanish(a) => ("vanish", a),
            OversightCommand::Estimate(a) => ("estimate", a),
        };
        let mut problems = Vec::new();
        problems.extend(polity::compare::too_few_for_intervals(&a.seeds));
        if a.ticks == 0 {
            problems.push("--ticks must be at least 1".to_string());
        }
        // Every output is checked before any work: nothing is written unless all can be.
        let charts = charts(&self);
        let files: Vec<String> =
            std::iter::once(format!("{name}.csv")).chain(charts.iter().map(|c| c.0.to_string())).collect();
        let names: Vec<&str> = files.iter().map(String::as_str).collect();
        if let Err(refused) = super::sum_loop::check_with_records(&a.out, &names, a.force) {
            problems.extend(refused);
        }
        if !problems.is_empty() {
            let lines: Vec<String> = problems.iter().map(|p| format!("error: {p}")).collect();
            return Err(CliError::problems(lines.join("\n")));
        }
        let sub = format!(
            "audited commons, {} ticks, mean and 95% t interval over {} seeds",
            a.ticks,
            a.seeds.end - a.seeds.start
        );
        let schemes = [("first scheme -1/Q", Penalty::InverseQ), ("-k/P_D, k=1", Penalty::KOverPd)];
        let p_afs = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0];
        let mut plans = Vec::new();
        match &self {
            OversightCommand::Shift(_) => {
                for (label, penalty) in schemes {
                    plans.push(Plan::new(label, &p_afs, move |p| spec(penalty, 1.0, true, Some((p, false)))));
                }
            }
            OversightCommand::Harmless(_) => {
                for (label, penalty) in schemes {
                    plans.push(Plan::new(label, &p_afs, move |p| spec(penalty, 1.0, false, Some((p, false)))));
                }
                for (label, penalty) in schemes {
                    plans.push(Plan::new(format!("{label}, 11 advice"), &p_afs, move |p| {
                        spec_with(fine_advice(), penalty, 1.0, false, Some((p, false)))
                    }));
                }
                let name = "first scheme -1/Q, P_AF learned";
                plans.push(Plan::new(name, &p_afs, |p| spec(Penalty::InverseQ, 1.0, false, Some((p, true)))));
            }
            OversightCommand::Vanish(_) => {
                let ks = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0];
                for (label, penalty) in [("-k/P_D", Penalty::KOverPd), ("first scheme -1/Q (no k)", Penalty::InverseQ)]
                {
                    plans.push(Plan::new(label, &ks, move |k| spec(penalty, k, true, None)));
                }
            }
            OversightCommand::Estimate(_) => {
                // x: log10 of the simulated audits per level; x = 5 stands for the exact P_D.
                let xs = [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0];
                let with = |x: f64, mut o: OversightSpec| {
                    if x < 5.0 {
                        o.detection = Detection::LowerBound { samples: 10f64.powf(x).round() as u32, delta: 0.05 };
                    }
                    o
                };
                plans.push(Plan::new("forbidden, k=0.5: violations", &xs, move |x| {
                    with(x, spec(Penalty::KOverPd, 0.5, true, None))
                }));
                plans.push(Plan::new("allowed, P_AF=0.3, k=1: acts", &xs, move |x| {
                    with(x, spec(Penalty::KOverPd, 1.0, false, Some((0.3, false))))
                }));
            }
        }
        let mut rows = run_plans(a, &plans)?;
        if let OversightCommand::Estimate(_) = self {
            // One chart: the first series' violations and the second's acts.
            let plotted: Vec<Row> = rows
                .iter()
                .filter(|r| {
                    (r.series.ends_with("violations") && r.metric == "violations")
                        || (r.series.ends_with("acts") && r.metric == "acts")
                })
                .map(|r| Row { series: r.series.clone(), metric: "plotted", ..*r })
                .collect();
            rows.extend(plotted);
        }
        let mut batch = Batch::default();
        batch.file(&a.out.join(format!("{name}.csv")), table(&rows));
        let mut wrote = vec![a.out.join(format!("{name}.csv"))];
        for (file, title, x, metric) in charts {
            let series = lines_of(&rows, metric);
            if series.is_empty() {
                polity::tell_err!("note: {file}: no run gave {metric} a value; the chart says so");
            }
            let canvas = chart::lines_or_note_within(title, &sub, x, &series, bounds(metric));
            batch.chart(&a.out.join(file), canvas)?;
            wrote.push(a.out.join(file));
        }
        batch.write(a.force)?;
        wrote.push(a.out.join(format!("{name}.json")));
        // A measure no seed of any series gave a value (`unseen_share` where nothing is
        // forbidden: there are no violations) is left out of the table: thirty lines of "—".
        let has_value = |m: &str| rows.iter().any(|r| r.metric == m && r.n > 0);
        let mut silent: Vec<&str> = Vec::new();
        for r in rows.iter().filter(|r| {
            matches!(
                r.metric,
                "violations" | "acts" | "unseen_share" | "unseen_acts_share" | "mean_p_d" | "patches_alive_mean"
            )
        }) {
            if !has_value(r.metric) {
                if !silent.contains(&r.metric) {
                    silent.push(r.metric);
                }
                continue;
            }
            // A share of violations is defined only in runs that had any: the seeds a value
            // rests on are said when they are not all of them.
            let all = a.seeds.end - a.seeds.start;
            let shown = match r.n {
                0 => format!("{:>9} (no seed gave a value)", "—"),
                1 => format!("{:>9.3} ± n/a (one seed of {all})", r.mean),
                n => {
                    let (low, high) = r.interval();
                    let some = if (n as u64) < all { format!("  ({n} of {all} seeds)") } else { String::new() };
                    format!("{:>9.3} ± {:.3}  [{low:.3}, {high:.3}]{some}", r.mean, r.half)
                }
            };
            say!("{:<40} x={:<6} {:<18} {shown}", r.series, r.x, r.metric);
        }
        // After the table, so that the last lines say where everything is (and that the CSV
        // holds every measure, detections and patches alive among them, not only these).
        if !silent.is_empty() {
            say!("(no seed gave {} a value at any point; left out above)", silent.join(" or "));
        }
        say!("(the CSV holds every measure of every run's series; the table shows the charted ones)");
        for path in wrote {
            say!("wrote {}", path.display());
        }
        Ok(())
    }
}
