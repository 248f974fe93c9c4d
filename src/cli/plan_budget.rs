//! `polity plan-budget`: what sparse sampling needs for a guarantee, and what a budget buys —
//! the required depth and width, the tree they make, the model error's share, and the ε each
//! built-in planner's budget certifies.

use polity::rules::sparse_sampling::{guaranteed_epsilon, model_term, required, tree_log10};
use polity::tables::given;

use super::{CliError, CliResult};

pub const AFTER_HELP: &str = "Sparse sampling (Kearns, Mansour & Ng 2002) is ε-accurate with probability 1 − δ when
its depth H and width C reach H = ⌈log_γ(λ/V_max)⌉ and C = (V_max²/λ²)·(2H·ln(K·H·V_max²/λ²) +
ln(1/δ')), λ = ε(1−γ)²/4, V_max = R_max/(1−γ), δ' = min(δ, λ/R_max) (docs/planner.md). A model
whose transitions are within κ nats of the world's adds R_max·√(κ/2)/(1−γ)² to ε. This prints
the budget ε needs, the tree it makes, what --width/--depth certify, and what every built-in
planner's budget certifies: usually nothing, which is itself worth knowing.

Examples:
  polity plan-budget --epsilon 1 --gamma 0.9 --actions 3
  polity plan-budget --epsilon 5 --gamma 0.9 --actions 27 --r-max 50 --kappa 0.0001
  polity plan-budget --gamma 0.9 --actions 3 --width 4 --depth 2";

/// The largest V_max = R_max/(1−γ) the bounds are worked out for.
const MAX_V: f64 = 1e100;

/// `polity plan-budget`'s arguments.
#[derive(clap::Args)]
pub struct PlanBudgetArgs {
    /// The accuracy wanted, in value (welfare) units; omit to only evaluate --width/--depth
    #[arg(long)]
    epsilon: Option<f64>,
    /// The failure probability δ, in (0, 1)
    #[arg(long, default_value_t = 0.05)]
    delta: f64,
    /// The discount γ, in (0, 1)
    #[arg(long)]
    gamma: f64,
    /// The number of actions K at each node
    #[arg(long)]
    actions: usize,
    /// The largest reward of one transition (PAA: the tax period, welfare per tick ≤ 1)
    #[arg(long, default_value_t = 1.0)]
    r_max: f64,
    /// The model error κ: the largest KL divergence (nats) between the world's and the model's
    /// transition (0: the model is the world)
    #[arg(long, default_value_t = 0.0)]
    kappa: f64,
    /// A budget's width C, to see what it certifies (with --depth)
    #[arg(long, requires = "depth", value_parser = clap::value_parser!(u32).range(1..))]
    width: Option<u32>,
    /// A budget's depth H (with --width)
    #[arg(long, requires = "width", value_parser = clap::value_parser!(u32).range(1..))]
    depth: Option<u32>,
}

/// `x` for reading: whole numbers as they are, huge or tiny ones in scientific notation, the
/// rest with 4 significant digits.
fn num(x: f64) -> String {
    let x = if x == 0.0 { 0.0 } else { x }; // never "-0"
    if !x.is_finite() {
        return format!("{x}");
    }
    if x != 0.0 && (x.abs() >= 1e6 || x.abs() < 1e-3) {
        return format!("{x:.3e}");
    }
    if x.fract() == 0.0 {
        return format!("{x:.0}");
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

/// A count given by its `log10`: exactly when small, else as `10^x`.
fn count(log10: f64) -> String {
    if log10 < 15.0 { num(10f64.powf(log10).round()) } else { format!("10^{log10:.1}") }
}

impl PlanBudgetArgs {
    pub fn run(self) -> CliResult {
        let PlanBudgetArgs { epsilon, delta, gamma, actions, r_max, kappa, width, depth } = self;
        let mut problems = Vec::new();
        if let Some(e) = epsilon
            && !(e.is_finite() && e > 0.0)
        {
            problems.push(format!("--epsilon must be a positive number, found {}", given(e)));
        }
        if !(delta > 0.0 && delta < 1.0) {
            problems.push(format!("--delta must be in (0, 1), found {}", given(delta)));
        }
        if !(gamma > 0.0 && gamma < 1.0) {
            problems.push(format!("--gamma must be in (0, 1), found {}", given(gamma)));
        }
        if actions < 1 {
            problems.push("--actions must be at least 1".to_string());
        }
        if !(r_max.is_finite() && r_max > 0.0) {
            problems.push(format!("--r-max must be a positive number, found {}", given(r_max)));
        } else if gamma > 0.0 && gamma < 1.0 && r_max / (1.0 - gamma) > MAX_V {
            // The bounds square V_max and more: past this they overflow to inf and NaN.
            problems.push(format!(
                "--r-max {} with --gamma {} gives V_max = R_max/(1−γ) = {:.3e}, more than the bounds \
                 can be worked out for (at most {MAX_V:e})\n    hint: the bounds scale with the rewards: give \
                 R_max and ε in larger units",
                given(r_max),
                given(gamma),
                r_max / (1.0 - gamma)
            ));
        }
        if !(kappa.is_finite() && kappa >= 0.0) {
            problems.push(format!("--kappa must be a finite number ≥ 0, found {}", given(kappa)));
        }
        if epsilon.is_none() && width.is_none() {
            problems.push("give --epsilon (what it needs), --width and --depth (what they buy), or both".to_string());
        }
        if !problems.is_empty() {
            let lines: Vec<String> = problems.iter().map(|p| format!("error: {p}")).collect();
            return Err(CliError::problems(lines.join("\n")));
        }
        let v_max = r_max / (1.0 - gamma);
        let model = model_term(r_max, gamma, kappa);
        say!(
            "K = {}, γ = {}, δ = {}, R_max = {} (V_max = {})",
            polity::plural(actions as u64, "action"),
            given(gamma),
            given(delta),
            given(r_max),
            num(v_max)
        );
        if kappa > 0.0 {
            say!("model error κ = {} nats: it costs R_max·√(κ/2)/(1−γ)² = {} of ε", given(kappa), num(model));
        }
        if actions == 1 {
            say!(
                "with one action there is no choice to plan: the bound is what it costs to estimate the value \
                 V(s) to within ε"
            );
        }
        if let Some(eps) = epsilon {
            say!("");
            say!("for ε = {}:", num(eps));
            let sampling = eps - model;
            if sampling >= v_max {
                say!(
                    "  nothing to sample: ε − model term ≥ V_max = {}, the trivial bound every plan meets (the guarantee \
                     means something only below V_max)",
                    num(v_max)
                );
            } else if sampling <= 0.0 {
                say!(
                    "  no budget certifies it: the model error alone costs {} ≥ ε; a better model (κ ≤ {}) is needed",
                    num(model),
                    num(2.0 * (eps * (1.0 - gamma).powi(2) / r_max).powi(2))
                );
            } else {
                let (h, c) = required(sampling, delta, gamma, r_max, actions);
                if kappa > 0.0 {
                    say!("  sampling must be accurate to ε − model term = {}", num(sampling));
                }
                if h == u32::MAX {
                    // (`required` counts H in 32 bits: every γ this close to 1 said H = 4294967295.)
                    say!(
                        "  depth H beyond {} (more than a 32-bit count holds), width C {}: no planner looks this far \
                         ahead; ask for a larger ε or a smaller γ",
                        u32::MAX,
                        if c.is_finite() {
                            format!("above {}", num(c.ceil()))
                        } else {
                            format!("beyond {}", num(f64::MAX))
                        }
                    );
                } else if !c.is_finite() {
                    say!(
                        "  depth H = {h}, width C beyond {} (more than a 64-bit number holds): no machine can sample this \
                         tree; ask for a larger ε",
                        num(f64::MAX)
                    );
                } else {
                    say!("  depth H = {h}, width C = {} (⌈C⌉ per node)", num(c.ceil()));
                    say!(
                        "  the tree: Σ (K·C)^d for d = 1..H = {} simulated transitions per decision",
                        count(tree_log10(c.ceil(), h, actions))
                    );
                }
            }
        }
        if let (Some(c), Some(h)) = (width, depth) {
            say!("");
            say!(
                "the budget C = {c}, H = {h} ({} simulated transitions per decision):",
                count(tree_log10(c as f64, h, actions))
            );
            match guaranteed_epsilon(c, h, delta, gamma, r_max, actions) {
                Some(e) => say!("  certifies ε = {} (sampling {} + model {})", num(e + model), num(e), num(model)),
                None => say!(
                    "  certifies nothing: no ε below V_max = {} fits it (it needs H ≥ {} and C ≥ {} even for ε = V_max)",
                    num(v_max),
                    required(v_max, delta, gamma, r_max, actions).0,
                    num(required(v_max, delta, gamma, r_max, actions).1.ceil())
                ),
            }
        }
        say!("");
        say!("the built-ins' planners (each with its own K, γ, R_max and δ):");
        for b in polity::scenario::BUILTINS {
            let Ok(s) = b.scenario() else { continue };
            let Some(g) = polity::run::planner_guarantee(&s) else { continue };
            let shown = match g.epsilon {
                Some(e) => format!("certifies ε = {}", num(e)),
                None => {
                    let v = g.r_max / (1.0 - g.gamma);
                    let (h, c) = required(v, g.delta, g.gamma, g.r_max, g.actions);
                    format!("certifies nothing (even ε = V_max = {} needs H ≥ {h}, C ≥ {})", num(v), num(c.ceil()))
                }
            };
            say!(
                "  {:<22} C = {}, H = {}, K = {}, γ = {}, R_max = {}, δ = {}: {shown}",
                b.name,
                g.width,
                g.depth,
                g.actions,
                g.gamma,
                num(g.r_max),
                g.delta
            );
        }
        Ok(())
    }
}
