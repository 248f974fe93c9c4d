//! A planning AI under an impact penalty: AI agents that choose each move by sparse sampling
//! on the world model ([`crate::planner`]), with the penalty the booked baseline charges over
//! the whole plan in the reward — so clinginess, offsetting and their absence show as behaviour.
//!
//! The decision problem of one AI agent at tick `t`: an action is one of its five moves; a
//! transition runs one tick of an imagined copy of the world — the other agents deciding by
//! their own policies, the AI's move set — that carries the impact accounting and the inaction
//! shadow along; the reward is
//!
//! ```text
//! r = apple · (apples it picked this tick) − weight · Δ(penalty booked under the scenario's baseline)
//! ```
//!
//! so a plan pays for every effect its baseline blames on the AI inside the plan (and gets back
//! what a symmetric baseline stops blaming, which is what makes offsetting pay). Luck is
//! sampled as the PAA principal samples it: the c-th successor at depth d runs with seed
//! key(seed, d, c) — in the world model *and* its shadow, so the two keep common random
//! numbers — so the move order of the tick is not known to the AI in advance. `Learned` AIs
//! meet the same penalty through their reward ([`crate::learn`]); scripted AIs follow their
//! scripts.

use crate::impact::{Impact, booked};
use crate::model::{Mechanism, Step, WorldModel};
use crate::planner::{self, Generative};
use crate::rng::{self, Purpose};
use crate::rules::forage::Action;
use crate::scenario::ImpactPlan;
use crate::shadow::InactionShadow;

/// The planning AI: its part when the scenario's `impact.plan` is set; it plans at `Decide`,
/// after the agents' own decisions.
pub const MECHANISM: Mechanism = Mechanism {
    name: "impact_plan",
    build: |s, m| {
        if let Some(p) = s.impact.as_ref().and_then(|i| i.plan.clone()) {
            m.parts.insert(ImpactPlanner(p));
        }
    },
    steps: &[(Step::Decide, plan_moves)],
    active: Some(|m| m.parts.has::<ImpactPlanner>()),
    ..Mechanism::NONE
};

/// The planning AI's settings.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImpactPlanner(pub ImpactPlan);

// Imagined worlds do not plan (the planner imagines them).
crate::serde_part!(ImpactPlanner, "impact_planner", imagined: none);

/// Whether an agent plans: an AI agent, active, with a `Forager` or `RandomWalk` policy.
pub fn plans(a: &crate::model::ModelAgent) -> bool {
    a.ai && !a.inactive && a.policy.0.plans()
}

/// One AI agent's move problem on the world model.
#[derive(Clone, Debug)]
pub struct MoveMdp {
    /// The imagined world, between `Decide` and `Shield` at the root; it carries the impact
    /// accounting and the shadow.
    pub model: WorldModel,
    /// The planning agent's index.
    pub agent: usize,
    /// Reward per apple picked.
    pub apple: f64,
    /// Whether the decisions of the tick under way are already drawn (the root).
    pub decided: bool,
}

impl MoveMdp {
    /// The problem of agent index `agent` in `m` as it stands after the decisions: an imagined
    /// copy that keeps the impact accounting and the shadow (which imagined copies otherwise
    /// drop) and no planner of its own.
    pub fn new(m: &WorldModel, agent: usize, apple: f64) -> MoveMdp {
        let mut model = m.imagine();
        if let Some(i) = m.parts.get::<Impact>() {
            model.parts.insert(i.clone());
        }
        if let Some(s) = m.parts.get::<InactionShadow>() {
            model.parts.insert(s.clone());
        }
        MoveMdp { model, agent, apple, decided: true }
    }
}

impl Generative for MoveMdp {
    type Action = Action;

    fn actions(&self) -> Vec<Action> {
        Action::ALL.to_vec()
    }

    fn step(&mut self, action: &Action, key: u64) -> f64 {
        let m = &mut self.model;
        m.clock.seed = key;
        if let Some(s) = m.parts.get_mut::<InactionShadow>() {
            s.0.clock.seed = key;
        }
        if !self.decided {
            m.decide();
        }
        self.decided = false;
        m.agents[self.agent].decision.action = *action;
        let (penalty, picked) = (booked(m), m.agents[self.agent].ledger.picked);
        m.act_onwards();
        self.apple * (m.agents[self.agent].ledger.picked - picked) as f64 - (booked(m) - penalty)
    }
}

/// Each planning AI's move: the argmax of `Q̂` (ties to the first of stay, north, east, south,
/// west), the AIs planned in id order, each seeing the moves of those planned before it.
pub fn plan_moves(m: &mut WorldModel) {
    let Some(spec) = m.parts.get::<ImpactPlanner>().map(|p| p.0.clone()) else { return };
    let threads = match spec.threads {
        0 => rayon::current_num_threads(),
        n => n as usize,
    };
    for k in 0..m.agents.len() {
        // An agent steered from outside does what it is told (its decision already says so).
        if !plans(&m.agents[k]) || crate::model::steering::told_to(m, m.agents[k].id).is_some() {
            continue;
        }
        let mdp = MoveMdp::new(m, k, spec.apple);
        let seed = rng::key(m.clock.seed, m.clock.tick, m.agents[k].id as u64, Purpose::Planner);
        let q = planner::q_values(&mdp, spec.gamma, spec.width, spec.depth, seed, threads);
        let best = planner::argmax(&q);
        let d = &mut m.agents[k].decision;
        d.action = Action::ALL[best];
        d.probs = [0.0; 5];
        d.probs[best] = 1.0;
        d.scores = [0.0; 5];
        d.scores.copy_from_slice(&q);
    }
}

/// `Q̂` of the five moves of agent index `agent` in `m` as it stands after the decisions
/// (for tests and docs): what [`plan_moves`] maximises.
pub fn q_values(m: &WorldModel, agent: usize, spec: &ImpactPlan, threads: usize) -> Vec<f64> {
    let mdp = MoveMdp::new(m, agent, spec.apple);
    let seed = rng::key(m.clock.seed, m.clock.tick, m.agents[agent].id as u64, Purpose::Planner);
    planner::q_values(&mdp, spec.gamma, spec.width, spec.depth, seed, threads)
}
