//! The PAA principal: at each tax period's end it imagines the coming periods on the world
//! model by sparse sampling ([`crate::planner`]) and chooses the candidate schedule of highest
//! estimated discounted welfare of its objective. Each decision is an event with every
//! candidate's Q̂ and the guarantee the planner's budget carries.

use crate::model::{Event, Mechanism, Step, WorldModel};
use crate::planner::{self, Generative, Guarantee};
use crate::principal::{self, Principal, RateProposal, snap};
use crate::rng::{self, Purpose};
use crate::scenario::{Objective, PlannerBudget, PlannerSpec, PrincipalPolicy, RateCandidates};
use crate::tax::TaxState;

/// The PAA principal: its planner part when the principal's policy is `Paa`; it plans at
/// `Propose`.
pub const MECHANISM: Mechanism = Mechanism {
    name: "paa",
    build: |s, m| {
        if let Some(p) = s.principal.as_ref().filter(|p| p.policy == PrincipalPolicy::Paa) {
            m.parts.insert(PaaPlanner(p.planner.clone()));
        }
    },
    steps: &[(Step::Propose, plan_rates)],
    active: Some(|m| m.parts.has::<PaaPlanner>()),
    ..Mechanism::NONE
};

/// The PAA principal's planner.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PaaPlanner(pub PlannerSpec);

// Imagined worlds do not plan (the planner imagines them).
crate::serde_part!(PaaPlanner, "paa_planner", imagined: none);

/// The principal's decision problem on the world model: an action is a schedule held for one
/// tax period; the reward is `W_p` of the utility each agent gained over the period
/// ([`crate::utility::welfare`]: the `welfare_elected` metric of the period's end).
#[derive(Clone, Debug)]
pub struct RatesMdp {
    /// The imagined world, at the start of a period, with no principal of its own.
    pub model: WorldModel,
    /// How candidates are made.
    pub candidates: RateCandidates,
    /// An extra schedule offered at the root only (the proposal a shield judges).
    pub root_extra: Option<Vec<f64>>,
    /// A fixed `p` to score by (None: the election's).
    pub fixed_p: Option<f64>,
    /// Where the regrowth κ of every imagined period is recorded (None: not recorded).
    pub kappa: Option<RolloutKappa>,
    /// The largest reward of a period ([`crate::utility::period_bound`]); rewards are clamped
    /// to `[0, r_max]`.
    pub r_max: f64,
}

/// The largest regrowth divergence of one imagined period met along a planner's rollouts: each
/// tick's [`crate::rules::divergence::regrowth_kl`] at the cells that may regrow (after the
/// tick's harvest), summed over the period, maximised over every period the tree imagines.
/// Shared by every copy of the problem; the maximum does not depend on the order in which
/// threads record, so the guarantee is the same for any thread count.
#[derive(Clone, Debug)]
pub struct RolloutKappa {
    /// The world's regrowth probabilities (the model's are biased).
    probabilities: std::sync::Arc<Vec<f64>>,
    /// The model's relative regrowth bias.
    bias: f64,
    /// The largest period κ so far, as `f64` bits (non-negative floats order as their bits).
    max: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl RolloutKappa {
    /// A recorder for a model with regrowth `bias` of a world whose probabilities are these.
    pub fn new(probabilities: &[f64], bias: f64) -> RolloutKappa {
        RolloutKappa { probabilities: std::sync::Arc::new(probabilities.to_vec()), bias, max: Default::default() }
    }
    /// The largest period κ recorded (0 before any).
    pub fn max(&self) -> f64 {
        f64::from_bits(self.max.load(std::sync::atomic::Ordering::Relaxed))
    }
    fn record(&self, kappa: f64) {
        self.max.fetch_max(kappa.max(0.0).to_bits(), std::sync::atomic::Ordering::Relaxed);
    }
}

impl RatesMdp {
    /// The current rates.
    fn rates(&self) -> Vec<f64> {
        self.model.parts.get::<TaxState>().map_or_else(Vec::new, TaxState::rates)
    }
}

/// The candidate schedules around `rates` (see [`RateCandidates`]).
pub fn candidate_rates(candidates: &RateCandidates, rates: &[f64], step: f64) -> Vec<Vec<f64>> {
    match candidates {
        RateCandidates::Menu(m) => m.clone(),
        RateCandidates::Steps => {
            let mut out = vec![rates.to_vec()];
            for b in 0..rates.len() {
                for delta in [-step, step] {
                    let mut r = rates.to_vec();
                    r[b] = snap(rates[b] + delta, step);
                    if !out.contains(&r) {
                        out.push(r);
                    }
                }
            }
            out
        }
    }
}

impl Generative for RatesMdp {
    type Action = Vec<f64>;

    fn actions(&self) -> Vec<Vec<f64>> {
        let step = self.model.parts.get::<TaxState>().map_or(0.1, |t| t.rate_step);
        let mut out = candidate_rates(&self.candidates, &self.rates(), step);
        if let Some(extra) = &self.root_extra
            && !out.contains(extra)
        {
            out.push(extra.clone());
        }
        out
    }

    fn step(&mut self, rates: &Vec<f64>, key: u64) -> f64 {
        self.root_extra = None;
        self.model.clock.seed = key;
        let Some(tax) = self.model.parts.get_mut::<TaxState>() else { return 0.0 };
        principal::apply(tax, rates);
        let period = tax.period;
        match &self.kappa {
            None => (0..period).for_each(|_| self.model.step()),
            Some(k) => {
                let mut kappa = 0.0;
                for _ in 0..period {
                    // Regrowth draws on the cells eaten once the tick's harvest is in.
                    self.model.run(Step::Observe, Step::Steal);
                    let candidates = self.model.grid.candidates_by_neighbours();
                    kappa += crate::rules::divergence::regrowth_kl(&k.probabilities, k.bias, &candidates);
                    self.model.run(Step::Regrow, Step::Measure);
                }
                k.record(kappa);
            }
        }
        let p = match self.fixed_p {
            Some(p) => p,
            None => self.model.parts.get::<crate::voting::Election>().map_or(1.0, |e| e.elected),
        };
        crate::utility::welfare(&self.model, p).clamp(0.0, self.r_max)
    }
}

/// Width, depth and the guarantee of a planner spec for `k` candidates and rewards of at most
/// `r_max` a period ([`crate::utility::period_bound`]). With a time limit the width is not known in advance: this states width 1, the
/// least that always runs; each decision reports the width it reached.
pub fn plan_shape(spec: &PlannerSpec, k: usize, r_max: f64) -> (u32, u32, Guarantee) {
    let (width, depth, delta, time_limit_s) = match spec.budget {
        PlannerBudget::Budget { width, depth } => (width, depth, spec.delta, None),
        PlannerBudget::Guarantee { epsilon, delta } => {
            let (h, c) = planner::required(epsilon, delta, spec.gamma, r_max, k.max(1));
            (c.ceil().min(u32::MAX as f64) as u32, h, delta, None)
        }
        PlannerBudget::TimeLimit { seconds, depth, .. } => (1, depth, spec.delta, Some(seconds)),
    };
    let guarantee = Guarantee {
        epsilon: planner::guaranteed_epsilon(width, depth, delta, spec.gamma, r_max, k.max(1)),
        delta,
        gamma: spec.gamma,
        r_max,
        actions: k,
        depth,
        width,
        time_limit_s,
        elapsed_s: None,
        model_error: spec.model_error.clone(),
        kappa: None,
        kappa_bound: None,
        model_term: None,
        epsilon_total: None,
    };
    (width, depth, guarantee)
}

/// Noise draws the σ/power part of κ is estimated from at a decision's root.
const KAPPA_DRAWS: u64 = 4;

/// The model error's divergence from the world over one planner transition of `period`
/// ticks (the chain rule: `period` times a tick's), at `m` as it stands: `(κ at the root, the
/// bound the knobs imply)` — see [`crate::rules::divergence`]. The root's regrowth κ counts
/// the cells that may regrow now; σ/power noise is estimated from [`KAPPA_DRAWS`] draws of
/// the model's agents against the world's, deciding in this state.
pub fn divergence(m: &WorldModel, error: &crate::scenario::ModelError, period: u64) -> (Option<f64>, Option<f64>) {
    use crate::rules::divergence as d;
    if error.is_zero() {
        return (None, None);
    }
    let g = &m.grid;
    let t = period.max(1) as f64;
    let regrow = d::regrowth_kl(g.probabilities(), error.regrowth, &g.candidates_by_neighbours());
    let flips = d::flip_kl(g.grass_cells(), error.observation);
    let mut agents = 0.0;
    if error.selfishness != 0.0 || error.power != 0.0 {
        let noise =
            crate::scenario::ModelError { selfishness: error.selfishness, power: error.power, ..Default::default() };
        let mut world = m.imagine();
        world.decide();
        for j in 0..KAPPA_DRAWS {
            let seed = rng::key(m.clock.seed, m.clock.tick, j, Purpose::ModelError);
            let mut model = m.imagine_with_error(&noise, seed);
            model.decide();
            let kl: f64 = world
                .agents
                .iter()
                .zip(&model.agents)
                .map(|(a, b)| d::categorical_kl(&a.decision.probs, &b.decision.probs))
                .sum();
            agents += kl / KAPPA_DRAWS as f64;
        }
    }
    let root = t * (regrow + flips + agents);
    let bound = (error.selfishness == 0.0 && error.power == 0.0)
        .then(|| t * (d::regrowth_bound(g.probabilities(), error.regrowth, g.grass_cells()) + flips));
    (Some(root), bound)
}

/// The planner's imagined world for the principal now (at `Propose` or `Review`): a copy
/// with the planner's model error and no principal, finished to the start of the next tick.
pub fn imagine(m: &WorldModel, spec: &PlannerSpec) -> WorldModel {
    let mut model = m.imagine_with_error(&spec.model_error, m.clock.seed);
    model.parts.remove::<Principal>();
    model.run(Step::Audit, Step::Measure);
    model
}

/// Estimates Q̂ for every candidate (plus `extra`, if given) in the world as it stands.
pub fn estimate(
    m: &WorldModel,
    spec: &PlannerSpec,
    objective: Objective,
    extra: Option<Vec<f64>>,
) -> (Vec<Vec<f64>>, Vec<f64>, Guarantee) {
    let clock = m.clock;
    let fixed_p = match objective {
        Objective::Fixed(p) => Some(p),
        Objective::Elected => None,
    };
    let model = imagine(m, spec);
    let period = model.parts.get::<TaxState>().map_or(1, |t| t.period);
    let r_max = crate::utility::period_bound(&model, period);
    let rollouts = (spec.model_error.regrowth != 0.0)
        .then(|| RolloutKappa::new(m.grid.probabilities(), spec.model_error.regrowth));
    let mdp = RatesMdp {
        model,
        candidates: spec.candidates.clone(),
        root_extra: extra,
        fixed_p,
        kappa: rollouts.clone(),
        r_max,
    };
    let actions = mdp.actions();
    let (width, depth, mut guarantee) = plan_shape(spec, actions.len(), r_max);
    let (root, bound) = divergence(m, &spec.model_error, period);
    // The root's κ, raised to the largest regrowth κ met along the rollouts (with the root's
    // observation and σ/power terms, which only the root has: see `divergence`).
    let kappa = |rollouts: &Option<RolloutKappa>| {
        root.map(|k| match rollouts {
            Some(r) => {
                let g = &m.grid;
                let root_regrowth = period as f64
                    * crate::rules::divergence::regrowth_kl(
                        g.probabilities(),
                        spec.model_error.regrowth,
                        &g.candidates_by_neighbours(),
                    );
                k.max(k - root_regrowth + r.max())
            }
            None => k,
        })
    };
    let threads = match spec.threads {
        0 => rayon::current_num_threads(),
        n => n as usize,
    };
    let seed = rng::key(clock.seed, clock.tick, 0, Purpose::Planner);
    match spec.budget {
        PlannerBudget::TimeLimit { seconds, max_width, .. } => {
            let limit = std::time::Duration::try_from_secs_f64(seconds).unwrap_or(std::time::Duration::MAX);
            let a = planner::q_values_within(&mdp, spec.gamma, depth, max_width, limit, seed, threads);
            let epsilon = planner::guaranteed_epsilon(
                a.width,
                depth,
                guarantee.delta,
                spec.gamma,
                guarantee.r_max,
                actions.len().max(1),
            );
            let mut reached =
                Guarantee { width: a.width, epsilon, elapsed_s: Some(a.elapsed.as_secs_f64()), ..guarantee };
            reached.set_divergence(kappa(&rollouts), bound);
            (actions, a.q, reached)
        }
        _ => {
            let q = planner::q_values(&mdp, spec.gamma, width, depth, seed, threads);
            guarantee.set_divergence(kappa(&rollouts), bound);
            (actions, q, guarantee)
        }
    }
}

/// The `Paa` principal's decision at a period end.
pub fn plan_rates(m: &mut WorldModel) {
    let clock = m.clock;
    let Some(spec) = m.parts.get::<PaaPlanner>().map(|p| p.0.clone()) else { return };
    if !m.parts.get::<TaxState>().is_some_and(|t| t.period_ends(&clock)) {
        return;
    }
    let Some(objective) = m.parts.get::<Principal>().map(|p| p.objective) else { return };
    // Rates given from outside (the Python API) replace the plan's: none is made.
    if crate::model::steering::principal_told(m) {
        return;
    }
    let (actions, q, guarantee) = estimate(m, &spec, objective, None);
    let best = planner::argmax(&q);
    m.parts.insert(RateProposal(Some(actions[best].clone())));
    let chosen = actions[best].clone();
    m.event(
        || "principal".into(),
        || Event::PaaDecision {
            candidates: actions,
            q,
            chosen,
            guarantee: serde_json::to_value(&guarantee).expect("a guarantee serialises"),
        },
    );
}
