//! `polity optimal`: a small governance world solved exactly (value iteration over every
//! reachable state), and the PAA planner's budgets judged against that optimum
//! (`polity::optimal`, docs/planner.md).

use std::path::PathBuf;
use std::sync::Arc;

use polity::optimal::{self, Budget, Spec, Table, Template};
use polity::paint::chart::{self, Series};
use polity::scenario::PlannerBudget;

use super::sum_loop::Batch;
use super::{CliError, CliResult, Progress};

pub const AFTER_HELP: &str =
    "The principal's decision problem — pick a `Menu` schedule at each period start, be paid W_p of
the period's net incomes — is enumerated over every state reachable from the start (apples,
agents' cells, the period's place in the rotation of the pool's remainder), with each period's
luck one of --luck equally likely draws, and solved by value iteration (to 1e-12). Then the PAA
planner (sparse sampling, the engine's own) is run in every state with each seed, its policy's
value V^π is computed exactly, and its regret V*(s₀) − V^π(s₀) is set beside the ε its budget
certifies (plus the model term of a regrowth bias, κ as docs/planner.md derives it). The world
must keep no other state: no election, audits, shields, objects, thieves, learned or scripted
agents; the objective must be Fixed(p) and the candidates a Menu.

The table printed, one row per budget: H the depth, C the width, bias the model's regrowth bias
and κ its model error; certified ε the regret the budget certifies with probability 1 − δ;
regret V*(s₀) − V^π(s₀), mean ± 95% t interval over the seeds; within ε the share of seeds whose
regret is at most ε; s₀: regret the mean regret of the first decision alone, V*(s₀) − Q*(s₀, a);
max|Q̂−Q*| the mean over seeds of the planner's largest error in the first decision's values,
and in brackets the share of seeds where it is at most ε.

Budgets default to the scenario's; --widths, --depths and --biases make a grid of them. With
--out, DIR/optimal.csv holds a row per budget, DIR/optimal-width.png the regret against the width
(one line per depth), DIR/optimal-kappa.png the regret against κ (at the largest width) and
DIR/optimal.json the command line and Polity version that made them.

Examples:
  polity optimal paa-optimal
  polity optimal paa-optimal --gamma 0.9 --widths 1,2,4,8,16 --depths 1,2,3 --seeds 20 \\
      --out runs/optimal
  polity optimal paa-optimal --gamma 0.9 --depths 2 --widths 8 --biases 0,0.5,1,2,4 \\
      --out runs/optimal-kappa";

/// `polity optimal`'s arguments.
#[derive(clap::Args)]
pub struct OptimalArgs {
    /// A built-in scenario's name or a scenario file [default: paa-optimal]
    scenario: Option<String>,
    /// Equally likely lucks per period, 1 to 4096 (the table holds every state's transitions
    /// for each action and luck)
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    luck: u32,
    /// Planner seeds per budget, one policy each: a count N (seeds 0..N) or a range such as 20..40
    /// (at least 2, for an interval)
    #[arg(long, value_name = "N|RANGE", default_value = "20", value_parser = polity::compare::parse_seeds)]
    seeds: std::ops::Range<u64>,
    /// Planner widths C [default: the scenario's]
    #[arg(long, value_delimiter = ',')]
    widths: Vec<u32>,
    /// Planner depths H [default: the scenario's]
    #[arg(long, value_delimiter = ',')]
    depths: Vec<u32>,
    /// Regrowth biases of the planner's model [default: the scenario's]
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    biases: Vec<f64>,
    /// The discount γ, in [0, 1) [default: the scenario's planner's]
    #[arg(long)]
    gamma: Option<f64>,
    /// Give up past this many states
    #[arg(long, default_value_t = 200_000)]
    max_states: usize,
    /// Folder to write optimal.csv and its plots to
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the outputs if they exist (Polity never replaces a file without it), and run
    /// budgets that sample more than 10^12 transitions in all (refused without it)
    #[arg(long)]
    force: bool,
}

/// The most transitions (as a power of 10) a budget may sample in all, seeds and states
/// together, without --force.
const MOST_SAMPLED_LOG10: f64 = 12.0;

/// One budget's row.
struct Row {
    budget: Budget,
    bias: f64,
    kappa: f64,
    epsilon: Option<f64>,
    judged: optimal::Judged,
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map_or_else(|| "none".into(), |e| format!("{e:.4}"))
}

impl OptimalArgs {
    pub fn run(self) -> CliResult {
        let name = self.scenario.clone().unwrap_or_else(|| "paa-optimal".into());
        let scenario = super::load(Some(&name))?;
        let spec = scenario.principal.as_ref().map(|p| p.planner.clone()).unwrap_or_default();
        let mut problems = Vec::new();
        problems.extend(polity::compare::too_few_for_intervals(&self.seeds));
        let gamma = self.gamma.unwrap_or(spec.gamma);
        if !(0.0..1.0).contains(&gamma) {
            problems.push(format!("--gamma must be in [0, 1), found {gamma}"));
        }
        if let Some(b) = self.biases.iter().find(|b| !(b.is_finite() && **b > -1.0)) {
            problems.push(format!("--biases must each be a finite number > −1, found {b}"));
        }
        if self.widths.contains(&0) || self.depths.contains(&0) {
            problems.push("--widths and --depths must each be at least 1".to_string());
        }
        let paths = match &self.out {
            Some(out) => {
                let names = ["optimal.csv", "optimal-width.png", "optimal-kappa.png"];
                super::sum_loop::check_with_records(out, &names, self.force)
                    .map_err(|refused| problems.extend(refused))
                    .unwrap_or_default()
            }
            None => Vec::new(),
        };
        let world =
            Template::new(&scenario, false).map_err(|e| format!("{name}: polity optimal cannot solve this world: {e}"));
        let world = match world {
            Ok(w) => Some(w),
            Err(e) => {
                problems.push(e);
                None
            }
        };
        if !problems.is_empty() {
            let lines: Vec<String> = problems.iter().map(|p| format!("error: {p}")).collect();
            return Err(CliError::problems(lines.join("\n")));
        }
        let world = world.expect("checked");
        let table_spec = Spec { luck: self.luck, max_states: self.max_states };
        let k = world.actions.len();
        // The table keeps a transition (16 bytes) for each state, action and luck: at its
        // largest, --max-states of them (`--luck 4294967295` aborted allocating 275 GB).
        let most = (self.max_states as u128) * (k as u128) * u128::from(self.luck) * 16;
        if let Some(free) = polity::cost::available_memory()
            && most > u128::from(free)
        {
            return Err(CliError::input(format_args!(
                "{name}: the table of transitions may need up to {} ({} states × {k} schedules × {} lucks × 16 bytes), \
                 more than the {} this machine has available\n    hint: lower --max-states (the table stops there) or \
                 --luck",
                polity::cost::bytes(most.min(u128::from(u64::MAX)) as u64),
                self.max_states,
                self.luck,
                polity::cost::bytes(free)
            )));
        }

        let t0 = std::time::Instant::now();
        let bar = Progress::new(1, "states");
        let table = Table::build(&world, &[world.start()], &table_spec, &mut |known, done| {
            bar.set_len(known as u64);
            bar.set(done as u64);
        })
        .map_err(|e| CliError::input(format_args!("{name}: {e}")))?;
        drop(bar);
        let table = Arc::new(table);
        say!(
            "{name}: {} agents, {k} candidate schedules, {} lucks per period of {} ticks",
            scenario.agents.iter().map(|g| g.count).sum::<u32>(),
            self.luck,
            world.period
        );
        say!(
            "{} states reachable from the start, {} transitions ({:.1} s)",
            table.states.len(),
            table.next.len(),
            t0.elapsed().as_secs_f64()
        );
        say!(
            "the schedule changes where the world goes in {} of them (elsewhere it only changes the period's reward)",
            table.steerable()
        );
        let v_star = table.optimal_values(gamma);
        say!("V*(s₀) = {:.6} at γ = {gamma} (value iteration to 1e-12); Q*(s₀, ·):", v_star[0]);
        let best = (0..k).map(|a| table.q(&v_star, gamma, 0, a)).fold(f64::NEG_INFINITY, f64::max);
        for (a, rates) in world.actions.iter().enumerate() {
            let q = table.q(&v_star, gamma, 0, a);
            say!("  {rates:?}: {q:.6}{}", if q == best { "  ← optimal" } else { "" });
        }

        let (w0, d0) = match spec.budget {
            PlannerBudget::Budget { width, depth } => (width, depth),
            _ => {
                let (w, d, _) = polity::paa::plan_shape(&spec, k, world.r_max);
                (w, d)
            }
        };
        let widths = if self.widths.is_empty() { vec![w0] } else { self.widths.clone() };
        let depths = if self.depths.is_empty() { vec![d0] } else { self.depths.clone() };
        let biases = if self.biases.is_empty() { vec![spec.model_error.regrowth] } else { self.biases.clone() };
        let seeds: Vec<u64> = self.seeds.clone().collect();
        let r_max = world.r_max;

        // Each budget plans at every state for every seed: seeds × states × the tree. A budget
        // past 10¹² simulated transitions (hours at tens of millions a second, here) ran with no
        // word but a bar at 0 (a new-user tour: `--widths 1000 --depths 5`).
        let sampled = |width: u32, depth: u32| {
            (seeds.len() as f64 * table.states.len() as f64).log10()
                + polity::rules::sparse_sampling::tree_log10(f64::from(width), depth, k)
        };
        let heaviest = depths
            .iter()
            .flat_map(|&d| widths.iter().map(move |&w| (w, d)))
            .map(|(w, d)| (w, d, sampled(w, d)))
            .fold((0, 0, f64::NEG_INFINITY), |a, b| if b.2 > a.2 { b } else { a });
        if heaviest.2 > MOST_SAMPLED_LOG10 && !self.force {
            return Err(CliError::input(format_args!(
                "the budget C = {}, H = {} samples about 10^{:.1} transitions ({} seeds × {} states × its tree of \
                 Σ (K·C)^d for d = 1..H), more than 10^{MOST_SAMPLED_LOG10:.0}: hours to years of work\n    hint: lower \
                 --widths, --depths or --seeds (`polity plan-budget` says what a budget certifies), or pass --force to \
                 run it anyway",
                heaviest.0,
                heaviest.1,
                heaviest.2,
                seeds.len(),
                table.states.len()
            )));
        }
        let mut rows = Vec::new();
        let total = (widths.len() * depths.len() * biases.len()) as u64;
        let bar = Progress::new(total, "budgets");
        for &bias in &biases {
            let (model, kappa) = if bias == 0.0 {
                (table.clone(), 0.0)
            } else {
                let mut s = scenario.clone();
                if let Some(p) = s.principal.as_mut() {
                    p.planner.model_error = polity::scenario::ModelError { regrowth: bias, ..Default::default() };
                }
                let m = Template::new(&s, true).map_err(CliError::internal)?;
                let t = Table::build(&m, &table.states, &table_spec, &mut |_, _| {})
                    .map_err(|e| CliError::input(format_args!("{name} (its model with bias {bias}): {e}")))?;
                (Arc::new(t), optimal::kappa_bound(&world, bias))
            };
            for &depth in &depths {
                for &width in &widths {
                    let budget = Budget { width, depth, gamma };
                    let judged = optimal::judge(&table, &v_star, &model, budget, &seeds);
                    let sampling = polity::planner::guaranteed_epsilon(width, depth, spec.delta, gamma, r_max, k);
                    let model_term = polity::rules::sparse_sampling::model_term(r_max, gamma, kappa);
                    let epsilon = sampling.map(|e| e + model_term).filter(|e| e.is_finite());
                    rows.push(Row { budget, bias, kappa, epsilon, judged });
                    bar.set(rows.len() as u64);
                }
            }
        }
        drop(bar);

        say!("");
        say!(
            "the planner against the optimum, {} seeds per budget (regret = V*(s₀) − V^π(s₀), mean ± 95% CI; δ = {}):",
            self.seeds.end - self.seeds.start,
            spec.delta
        );
        say!(
            "   H      C    bias        κ  certified ε       regret (mean ± CI)  within ε  s₀: regret   max|Q̂−Q*| (within ε)"
        );
        for r in &rows {
            let reg = polity::stats::Summary::of(&r.judged.regrets());
            let first = polity::stats::Summary::of(&r.judged.first_regret);
            let within = r.epsilon.map_or_else(|| "-".into(), |e| format!("{:.0}%", 100.0 * r.judged.within(e)));
            let error = polity::stats::mean(&r.judged.first_error);
            let error_within =
                r.epsilon.map_or_else(String::new, |e| format!(" ({:.0}%)", 100.0 * error_fraction(r, e)));
            say!(
                "{:>4} {:>6} {:>7} {:>8.4} {:>12} {:>10.5} ± {:<9.5} {:>8} {:>11.5} {:>10.5}{error_within}",
                r.budget.depth,
                r.budget.width,
                r.bias,
                r.kappa,
                fmt_opt(r.epsilon),
                reg.mean,
                half(reg.half_width),
                within,
                first.mean,
                error
            );
        }

        // κ = ∞ is no bug: say why, once (a tour read it as one).
        if let Some(b) = rows.iter().filter(|r| r.kappa.is_infinite()).map(|r| r.bias).reduce(f64::min) {
            let top =
                scenario.regrowth.probabilities.iter().copied().filter(|&p| p > 0.0 && p < 1.0).fold(0.0, f64::max);
            say!(
                "κ = inf (bias {b} and above here): the model's regrowth probability P·(1 + bias) reaches 1 for a P \
                 below 1 ({top} · {} ≥ 1), and a model sure of what the world only may do is infinitely far from it: no ε is certified",
                1.0 + b
            );
        }

        if let Some(out) = &self.out {
            let mut csv = String::from(
                "gamma,depth,width,bias,kappa,epsilon,seeds,v_star,value_mean,regret_mean,regret_ci,within_epsilon,first_regret_mean,first_error_mean,first_error_within_epsilon\n",
            );
            for r in &rows {
                let reg = polity::stats::Summary::of(&r.judged.regrets());
                let first = polity::stats::Summary::of(&r.judged.first_regret);
                csv.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                    gamma,
                    r.budget.depth,
                    r.budget.width,
                    r.bias,
                    r.kappa,
                    r.epsilon.map_or(String::new(), |e| e.to_string()),
                    self.seeds.end - self.seeds.start,
                    r.judged.v_star,
                    polity::stats::mean(&r.judged.values),
                    reg.mean,
                    half(reg.half_width),
                    r.epsilon.map_or(String::new(), |e| r.judged.within(e).to_string()),
                    first.mean,
                    polity::stats::mean(&r.judged.first_error),
                    r.epsilon.map_or(String::new(), |e| error_fraction(r, e).to_string())
                ));
            }
            let mut batch = Batch::default();
            batch.file(&paths[0], csv);
            let sub = format!(
                "{name}, gamma {gamma}, {} seeds; mean regret and 95% interval",
                self.seeds.end - self.seeds.start
            );
            let by_width: Vec<Series> = depths
                .iter()
                .map(|&d| Series {
                    label: format!("H={d}"),
                    points: rows
                        .iter()
                        .filter(|r| r.budget.depth == d && r.bias == biases[0])
                        .map(|r| point(r.budget.width as f64, r))
                        .collect(),
                })
                .collect();
            batch.chart(
                &paths[1],
                // Regret is never negative (V* is the optimum): intervals are cut at 0.
                chart::lines_or_note_within(
                    "PAA regret vs planner width C",
                    &if biases.len() > 1 {
                        format!("{sub}; bias {} (of {})", biases[0], biases.len())
                    } else {
                        sub.clone()
                    },
                    "C",
                    &by_width,
                    (0.0, f64::INFINITY),
                ),
            )?;
            let wmax = *widths.iter().max().expect("one width");
            let by_kappa: Vec<Series> = depths
                .iter()
                .map(|&d| {
                    let mut points: Vec<(f64, f64, f64)> = rows
                        .iter()
                        .filter(|r| r.budget.depth == d && r.budget.width == wmax && r.kappa.is_finite())
                        .map(|r| point(r.kappa, r))
                        .collect();
                    points.sort_by(|a, b| a.0.total_cmp(&b.0));
                    Series { label: format!("H={d}"), points }
                })
                .collect();
            let ksub = format!("{sub}; C = {wmax}; kappa in nats per period");
            batch.chart(
                &paths[2],
                chart::lines_or_note_within(
                    "PAA regret vs model error kappa",
                    &ksub,
                    "kappa",
                    &by_kappa,
                    (0.0, f64::INFINITY),
                ),
            )?;
            batch.write(self.force)?;
            say!(
                "wrote {0}/optimal.csv, {0}/optimal-width.png, {0}/optimal-kappa.png and {0}/optimal.json (how they were made)",
                out.display()
            );
        }
        Ok(())
    }
}

/// The fraction of seeds whose first estimates are all within `eps` of `Q*`.
fn error_fraction(r: &Row, eps: f64) -> f64 {
    let e = &r.judged.first_error;
    e.iter().filter(|&&x| x <= eps).count() as f64 / e.len().max(1) as f64
}

fn point(x: f64, r: &Row) -> (f64, f64, f64) {
    let s = polity::stats::Summary::of(&r.judged.regrets());
    (x, s.mean, half(s.half_width))
}

fn half(h: f64) -> f64 {
    if h.is_finite() { h } else { 0.0 }
}
