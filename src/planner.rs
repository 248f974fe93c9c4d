//! World-model sampling: sparse sampling (Kearns, Mansour & Ng 2002) with the PAA change —
//! the reward of a transition is the welfare of the state it leads to — and its guarantee.
//!
//! The estimate, for a state `s`, depth `H` and width `C`:
//!
//! ```text
//! Q̂_h(s, a) = (1/C) Σ_{c<C} [ r(s, a, s'_c) + γ · V̂_{h−1}(s'_c) ],   V̂_h(s) = max_a Q̂_h(s, a),   V̂_0 = 0
//! ```
//!
//! where `s'_c` is the c-th imagined successor. Randomness uses *common random numbers*: the
//! c-th successor of every node at depth d is drawn with the key (seed, d, c), whatever the
//! action, so two actions are compared on the same imagined luck. Root samples run in parallel
//! across threads and are combined in a fixed order, so the estimate is identical for any
//! thread count.
//!
//! **The guarantee.** With `k` actions, discount γ, rewards in `[0, R_max]`:
//! `λ = ε(1−γ)²/4`, `V_max = R_max/(1−γ)`, `H = ⌈log_γ(λ/V_max)⌉`,
//! `C = (V_max²/λ²)·(2H·ln(k·H·V_max²/λ²) + ln(1/δ'))` with `δ' = min(δ, λ/R_max)`:
//! with `δ ≥ λ/R_max` this is exactly KMN's width (DESIGN.md §3), and a smaller `δ` widens it
//! by its Hoeffding term. These numbers are astronomical, so a planner usually runs on a
//! budget `(C, H)`, and [`guaranteed_epsilon`] says what that budget guarantees — often
//! nothing useful, which is itself worth knowing. A budget can also be wall-clock time
//! ([`q_values_within`]): the widest plan that fits, at the price of decisions that depend on
//! the machine.

/// A generative model a planner can imagine with.
pub trait Generative: Clone + Send + Sync {
    /// An action.
    type Action: Clone + Send + Sync;
    /// The actions available in this state.
    fn actions(&self) -> Vec<Self::Action>;
    /// Takes `action` with randomness keyed by `key`; returns the reward, in `[0, R_max]`.
    fn step(&mut self, action: &Self::Action, key: u64) -> f64;
}

pub use crate::rules::sparse_sampling::{guaranteed_epsilon, required};

/// A statement of what a planner's estimates are worth.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Guarantee {
    /// Accuracy ε of the value estimates (None: no useful guarantee for this budget).
    pub epsilon: Option<f64>,
    /// Failure probability δ.
    pub delta: f64,
    /// Discount γ.
    pub gamma: f64,
    /// Largest reward.
    pub r_max: f64,
    /// Number of actions.
    pub actions: usize,
    /// Depth H used.
    pub depth: u32,
    /// Width C used (with a time limit: the width reached; in run.json, the width 1 that
    /// always runs).
    pub width: u32,
    /// The wall-clock limit per decision, in seconds, when the budget is time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit_s: Option<f64>,
    /// The wall time this decision's planning took, in seconds (time limits only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_s: Option<f64>,
    /// The model error assumed (zero: the guarantee is about the model, and holds for the
    /// world only as far as the model is right).
    pub model_error: crate::scenario::ModelError,
    /// The model's divergence from the world over one planner transition, in nats: the largest
    /// regrowth κ met along the planner's rollouts (every imagined period, each tick's exact
    /// Bernoulli KL at the cells that may regrow), plus the root's observation-flip term and
    /// its estimate of the σ/power term (both arise only where the model is made: the root;
    /// [`crate::rules::divergence`]); absent for an exact model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kappa: Option<f64>,
    /// The bound on that divergence over every state the model error's knobs imply (absent
    /// when they imply none: noisy σ or power).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kappa_bound: Option<f64>,
    /// The model term `R_max·√(κ/2)/(1−γ)²`, with the bound when there is one, else the
    /// root's κ (absent for an exact model; infinite written as `"inf"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_term: Option<f64>,
    /// The whole guarantee, sampling ε plus the model term (absent when either is unbounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon_total: Option<f64>,
}

impl Guarantee {
    /// Sets the model's divergence (see [`Guarantee::kappa`]) and the terms it implies.
    pub fn set_divergence(&mut self, kappa: Option<f64>, bound: Option<f64>) {
        self.kappa = kappa;
        self.kappa_bound = bound;
        self.model_term = bound.or(kappa).map(|k| crate::rules::sparse_sampling::model_term(self.r_max, self.gamma, k));
        self.epsilon_total = self.beta();
    }

    /// β, the certified error of each estimate Q̂: the sampling ε plus the model term (None:
    /// nothing is certified).
    pub fn beta(&self) -> Option<f64> {
        let t = self.epsilon? + self.model_term.unwrap_or(0.0);
        t.is_finite().then_some(t)
    }
}

/// Estimates `Q̂_H(root, a)` for every action: on this thread when `threads` is 1, else on
/// the thread pool ([`crate::parallel`]).
pub fn q_values<M: Generative>(root: &M, gamma: f64, width: u32, depth: u32, seed: u64, threads: usize) -> Vec<f64> {
    let actions = root.actions();
    if depth == 0 || width == 0 {
        return vec![0.0; actions.len()];
    }
    let jobs: Vec<(usize, u32)> = (0..actions.len()).flat_map(|a| (0..width).map(move |c| (a, c))).collect();
    let sample = |&(a, c): &(usize, u32)| {
        if stopping() {
            return 0.0;
        }
        let mut child = root.clone();
        let r = child.step(&actions[a], sample_key(seed, 0, c));
        r + gamma * v_hat(&child, gamma, width, depth - 1, seed, 1)
    };
    // On the one thread pool (crate::parallel); results in job order, so the estimate is the
    // same for any number of threads.
    let results: Vec<f64> = if threads <= 1 || jobs.len() < 2 {
        jobs.iter().map(sample).collect()
    } else {
        use rayon::prelude::*;
        jobs.par_iter().map(sample).collect()
    };
    results.chunks(width as usize).map(|chunk| chunk.iter().sum::<f64>() / width as f64).collect()
}

/// What [`q_values_within`] did: the estimates of the widest plan that finished in time.
#[derive(Clone, Debug, PartialEq)]
pub struct Anytime {
    /// `Q̂_H(root, a)` for every action, at width [`Anytime::width`].
    pub q: Vec<f64>,
    /// The width reached (at least 1, at most the cap).
    pub width: u32,
    /// Wall time spent on all the widths tried.
    pub elapsed: std::time::Duration,
}

/// Sparse sampling within a wall-clock `limit`: widths 1, 2, 3, … up to `max_width` are
/// computed in turn, and the next is started only if its predicted time (the last width's,
/// scaled by `((C+1)/C)^H`, the growth of the tree) still fits. Width 1 always runs, so the
/// limit can be overrun by one width-1 tree. The estimates are those of the widest plan that
/// finished — exactly [`q_values`] at that width, since the c-th sample of a node has the same
/// key whatever the width. Which width is reached depends on the machine and its load.
pub fn q_values_within<M: Generative>(
    root: &M,
    gamma: f64,
    depth: u32,
    max_width: u32,
    limit: std::time::Duration,
    seed: u64,
    threads: usize,
) -> Anytime {
    let start = std::time::Instant::now();
    let mut width = 1;
    loop {
        let t0 = std::time::Instant::now();
        let q = q_values(root, gamma, width, depth, seed, threads);
        let took = t0.elapsed().as_secs_f64();
        let next = width + 1;
        let predicted = took * (next as f64 / width as f64).powi(depth as i32);
        if next > max_width || start.elapsed().as_secs_f64() + predicted > limit.as_secs_f64() || stopping() {
            return Anytime { q, width, elapsed: start.elapsed() };
        }
        width = next;
    }
}

fn sample_key(seed: u64, depth: u32, c: u32) -> u64 {
    crate::rng::key(seed, depth as u64, c as u64, crate::rng::Purpose::Planner)
}

/// Whether to give up on the plan: the process was asked to stop (SIGINT, SIGTERM), and a
/// tree can take minutes; the plan, cut short, is noted as such ([`crate::stop::cut`]) so that
/// nothing keeps the tick it decides.
#[inline]
fn stopping() -> bool {
    let stop = crate::stop::requested();
    if stop {
        crate::stop::cut();
    }
    stop
}

fn v_hat<M: Generative>(node: &M, gamma: f64, width: u32, h: u32, seed: u64, depth: u32) -> f64 {
    if h == 0 || stopping() {
        return 0.0;
    }
    let mut best = f64::NEG_INFINITY;
    for action in node.actions() {
        let mut total = 0.0;
        for c in 0..width {
            let mut child = node.clone();
            let r = child.step(&action, sample_key(seed, depth, c));
            total += r + gamma * v_hat(&child, gamma, width, h - 1, seed, depth + 1);
        }
        best = best.max(total / width as f64);
    }
    if best.is_finite() { best } else { 0.0 }
}

pub use crate::rules::argmax;

#[cfg(test)]
mod tests {
    use super::*;

    /// One state, two actions with rewards 1 and 0.
    #[derive(Clone)]
    struct TwoArms;
    impl Generative for TwoArms {
        type Action = usize;
        fn actions(&self) -> Vec<usize> {
            vec![0, 1]
        }
        fn step(&mut self, a: &usize, _: u64) -> f64 {
            if *a == 0 { 1.0 } else { 0.0 }
        }
    }

    #[test]
    fn design_check_value() {
        // DESIGN.md §3: γ = 0.5, H = 3 → Q̂ = [1.75, 0.75].
        assert_eq!(q_values(&TwoArms, 0.5, 1, 3, 0, 1), vec![1.75, 0.75]);
        assert_eq!(q_values(&TwoArms, 0.5, 3, 3, 0, 2), vec![1.75, 0.75]);
    }

    /// A coin-flip world: action 0 pays 1 with probability ½ (by the key's low bit), action
    /// 1 pays 0.4 for sure, so estimates depend on the width.
    #[derive(Clone)]
    struct Coin;
    impl Generative for Coin {
        type Action = usize;
        fn actions(&self) -> Vec<usize> {
            vec![0, 1]
        }
        fn step(&mut self, a: &usize, key: u64) -> f64 {
            if *a == 1 { 0.4 } else { (crate::rng::mix64(key) & 1) as f64 }
        }
    }

    #[test]
    fn a_time_limit_runs_the_widest_plan_that_fits() {
        use std::time::Duration;
        // Time to spare: the cap is reached and the estimate is that width's, exactly.
        let a = q_values_within(&Coin, 0.9, 2, 6, Duration::from_secs(60), 5, 1);
        assert_eq!(a.width, 6);
        assert_eq!(a.q, q_values(&Coin, 0.9, 6, 2, 5, 1));
        // No time at all: width 1 still runs.
        let b = q_values_within(&Coin, 0.9, 2, 6, Duration::ZERO, 5, 2);
        assert_eq!(b.width, 1);
        assert_eq!(b.q, q_values(&Coin, 0.9, 1, 2, 5, 1));
        // Whatever width a limit reaches, the estimate is that width's on any thread count.
        let c = q_values_within(&Coin, 0.9, 3, 40, Duration::from_millis(2), 5, 2);
        assert!((1..=40).contains(&c.width));
        assert_eq!(c.q, q_values(&Coin, 0.9, c.width, 3, 5, 1));
        // Widths differ in what they see: the test world is not trivially width-independent.
        assert_ne!(q_values(&Coin, 0.9, 1, 2, 5, 1), q_values(&Coin, 0.9, 6, 2, 5, 1));
    }

    #[test]
    fn required_h_and_c_on_known_inputs() {
        // ε = 1, γ = 0.5, R_max = 1, k = 2, δ = 1 (so δ' = λ/R_max, KMN's width):
        // λ = 1·0.25/4 = 0.0625, V_max = 2, λ/V_max = 1/32 → H = log_0.5(1/32) = 5;
        // V_max²/λ² = 4/0.00390625 = 1024;
        // C = 1024·(2·5·ln(2·5·1024) + ln(1/0.0625)) = 1024·(10·ln 10240 + ln 16).
        let (h, c) = required(1.0, 1.0, 0.5, 1.0, 2);
        assert_eq!(h, 5);
        let want = 1024.0 * (10.0 * 10240f64.ln() + 16f64.ln());
        assert!((c - want).abs() < 1e-6 * want, "{c} vs {want}");
        assert!((c - 97_395.8).abs() < 1.0);
        // A smaller δ adds its Hoeffding term: ln(1/0.001) > ln(16).
        let (_, c2) = required(1.0, 0.001, 0.5, 1.0, 2);
        assert!((c2 - 1024.0 * (10.0 * 10240f64.ln() + 1000f64.ln())).abs() < 1e-6 * c2);
    }

    #[test]
    fn a_budget_guarantees_what_the_formula_asks_for() {
        let (h, c) = required(0.8, 0.05, 0.5, 1.0, 3);
        let eps = guaranteed_epsilon(c.ceil() as u32, h, 0.05, 0.5, 1.0, 3).unwrap();
        assert!(eps <= 0.8 + 1e-9 && eps > 0.7, "{eps}");
        // A small budget guarantees nothing useful.
        assert_eq!(guaranteed_epsilon(4, 3, 0.05, 0.9, 1.0, 5), None);
    }
}
