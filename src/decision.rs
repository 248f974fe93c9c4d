//! Decisions: every agent scores its five moves by its own utility and draws one from the
//! power-bounded tilt of its default policy (DESIGN.md §3).
//!
//! One machinery serves humans and AIs; they differ only in parameters. The default policy
//! `π₀` is the uniform random walk over {stay, north, east, south, west}; an agent with power
//! `O` acts by `π(a) ∝ π₀(a)·exp(β·U(a))` with the largest β such that `KL(π‖π₀) ≤ O`
//! ([`crate::rules::tilt`]), where `U` is the forage utility of [`crate::rules::forage`],
//! in which an apple is worth its after-tax share under SED's reward when there are taxes.
//! The draw is keyed by (seed, tick, agent id), so it does not depend on iteration order.

use bevy::prelude::*;

use crate::agents::{Agent, Decision, Ledger, Policy, Position, Power, Selfishness, Weights};
use crate::grid::Grid;
use crate::rng::{self, Purpose};
use crate::rules::forage::{self, Action, Forager};
use crate::rules::{tax, tilt};
use crate::scenario::PolicySpec;
use crate::sim::{SimClock, SimTick, TickSystems};
use crate::social::Social;
use crate::tax::TaxState;

/// The uniform default policy over the five moves.
pub const DEFAULT_POLICY: [f64; 5] = [0.2; 5];

/// Adds the decision system to the `Decide` phase.
pub struct DecisionPlugin;

impl Plugin for DecisionPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(SimTick, decide.in_set(TickSystems::Decide));
    }
}

/// Scores, tilts and draws for every agent.
pub fn decide(
    clock: Res<SimClock>,
    grid: Res<Grid>,
    social: Res<Social>,
    tax: Option<Res<TaxState>>,
    oversight: Option<Res<crate::oversight::Oversight>>,
    mut agents: Query<(
        &Agent,
        &Position,
        &Selfishness,
        &Power,
        &Weights,
        &Policy,
        &Ledger,
        &mut Decision,
        Has<crate::agents::Ai>,
    )>,
) {
    for (agent, pos, sigma, power, weights, policy, ledger, mut decision, ai) in &mut agents {
        let share = apple_share(&grid, &social, tax.as_deref(), agent.id, pos, sigma.0, ledger);
        let audit = clear_cut_audit(oversight.as_deref(), ai);
        *decision =
            choose(&grid, clock.seed, clock.tick, agent.id, pos, sigma.0, share, audit, power.0, weights, policy);
    }
}

/// `(P_D, k)` when this agent's clear-cutting is forbidden and audited.
pub fn clear_cut_audit(o: Option<&crate::oversight::Oversight>, ai: bool) -> Option<(f64, f64)> {
    o.filter(|o| o.covers(ai) && o.forbids_clear_cut()).map(|o| (o.p_d, o.spec.k))
}

/// What an apple is worth to the agent now: σ without taxes, its after-tax SED share with them.
pub fn apple_share(
    grid: &Grid,
    social: &Social,
    tax: Option<&TaxState>,
    id: u32,
    pos: &Position,
    sigma: f64,
    ledger: &Ledger,
) -> f64 {
    match tax {
        None => sigma,
        Some(t) => {
            let occupied = |x: i64, y: i64| grid.walkable(x, y) && grid.occupied(grid.index(x as u32, y as u32));
            let degree = social.degree(id, pos.x, pos.y, occupied);
            let back = t.redistribute_ppm as f64 / tax::PPM as f64;
            tax::apple_share(sigma, t.schedule.marginal_rate(ledger.period_income), back, social.population(), degree)
        }
    }
}

/// One agent's decision: a pure function of the world and the agent.
#[allow(clippy::too_many_arguments)]
pub fn choose(
    grid: &Grid,
    seed: u64,
    tick: u64,
    id: u32,
    pos: &Position,
    sigma: f64,
    apple_share: f64,
    clear_cut_audit: Option<(f64, f64)>,
    power: f64,
    weights: &Weights,
    policy: &Policy,
) -> Decision {
    let mut d = Decision::default();
    let info = match policy.0 {
        PolicySpec::Forager { view, discount } => {
            let f = Forager {
                selfishness: sigma,
                apple_share,
                w_own: weights.0.own,
                w_commons: weights.0.commons,
                view,
                discount,
                clear_cut_audit,
            };
            forage::score(grid, pos.x, pos.y, &f, &mut d.scores);
            tilt::tilt(&DEFAULT_POLICY, &d.scores, power, &mut d.probs)
        }
        PolicySpec::RandomWalk => {
            d.probs = DEFAULT_POLICY;
            tilt::TiltInfo::default()
        }
    };
    d.beta = info.beta;
    d.kl = info.kl;
    d.action = sample(&d.probs, rng::unit(seed, tick, id as u64, Purpose::Decide));
    d
}

/// The action whose cumulative probability first exceeds `u` ∈ [0, 1).
pub fn sample(probs: &[f64; 5], u: f64) -> Action {
    let mut acc = 0.0;
    let mut last = Action::Stay;
    for (k, &p) in probs.iter().enumerate() {
        if p > 0.0 {
            acc += p;
            last = Action::ALL[k];
            if u < acc {
                return last;
            }
        }
    }
    last
}
