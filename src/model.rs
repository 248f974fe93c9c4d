//! The world model: a compact, cheaply cloneable snapshot of the world — grid, agents,
//! ledgers, tax state, election, principal — that the planner steps to imagine futures.
//!
//! [`WorldModel::step`] runs one tick in the same phase order as the `SimTick` schedule and
//! through the same rule functions the ECS systems call ([`decision::choose`],
//! [`movement::step_moves`], [`Grid::pick`], [`Grid::regrow`], [`tax::settle`],
//! [`voting::hold`], [`principal::propose`], [`tax::reward_increments`]), so with zero model
//! error it follows the ECS world tick for tick (a test checks it over many seeds).
//!
//! Model error is an explicit knob ([`ModelError`]): a biased regrowth rule, mis-estimated
//! selfishness and power, and noisy observation of where apples stand. Errors are drawn once,
//! when the model is extracted, keyed by the seed, so a planner's beliefs are reproducible.

use std::sync::Arc;

use bevy::prelude::*;

use crate::agents::{
    Agent, AgentOrder, Decision, Ledger, MILLI, Policy, Position, Power, Reward, Selfishness, Weights,
};
use crate::decision;
use crate::grid::{Grid, Terrain};
use crate::movement::{self, Mover};
use crate::principal::{self, Principal};
use crate::rng::{self, Purpose};
use crate::sim::SimClock;
use crate::social::Social;
use crate::tax::{self, TaxState};
use crate::voting::{self, Election};

/// How wrong the model is, on purpose. All zero: the model is exact.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelError {
    /// Relative bias of the regrowth probabilities: the model uses `P·(1 + regrowth)`,
    /// clamped to [0, 1]. Default 0.
    pub regrowth: f64,
    /// Standard deviation of the error in each agent's believed selfishness (clamped to
    /// [0, 1]). Default 0.
    pub selfishness: f64,
    /// Standard deviation of the log-error in each agent's believed power. Default 0.
    pub power: f64,
    /// Probability that the model gets each grass cell's apple wrong (there or not). Default 0.
    pub observation: f64,
}

impl ModelError {
    /// Whether the model is exact.
    pub fn is_zero(&self) -> bool {
        *self == ModelError::default()
    }
}

/// One agent in the model.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ModelAgent {
    /// Stable id.
    pub id: u32,
    /// Where it stands.
    pub pos: Position,
    /// (Believed) selfishness.
    pub sigma: f64,
    /// (Believed) power.
    pub power: f64,
    /// Utility weights.
    pub weights: Weights,
    /// Policy.
    pub policy: Policy,
    /// Ledger.
    pub ledger: Ledger,
    /// SED reward.
    pub reward: Reward,
    /// Last decision.
    pub decision: Decision,
    /// Whether it is an AI agent.
    pub ai: bool,
    /// Whether it does nothing (stays, picks nothing): the inaction counterfactual.
    pub inactive: bool,
    /// Violations in the current audit period: (tick, gain).
    pub violations: Vec<(u64, i64)>,
    /// Whether it steals.
    pub thief: bool,
}

/// A snapshot of the world that can be stepped.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct WorldModel {
    /// Clock and seed (planners set the seed per imagined sample).
    pub clock: SimClock,
    /// The grid.
    pub grid: Grid,
    /// Agents in id order.
    pub agents: Vec<ModelAgent>,
    /// Taxes, if any.
    pub tax: Option<TaxState>,
    /// The election, if any.
    pub election: Option<Election>,
    /// The principal, if any; planners imagining their own actions remove it.
    pub principal: Option<Principal>,
    /// The social graph (shared between clones).
    pub social: Arc<Social>,
    /// A fixed `p` the planner scores by (None: the election's).
    pub principal_p: Option<f64>,
    /// Oversight, if any.
    pub oversight: Option<crate::oversight::Oversight>,
    /// The impact penalty AI agents foresee, if any.
    pub foresight: Option<crate::impact::Foresight>,
    /// Reused buffers for movement (no meaning between ticks).
    #[serde(skip)]
    scratch: (Vec<Mover>, Vec<(u64, u32, u32)>),
}

impl WorldModel {
    /// Extracts an exact model of a simulation world.
    pub fn extract(world: &mut World) -> WorldModel {
        let order = world.resource::<AgentOrder>().0.clone();
        let agents = order
            .iter()
            .map(|&e| {
                let r = world.entity(e);
                ModelAgent {
                    id: r.get::<Agent>().expect("agent").id,
                    pos: *r.get::<Position>().expect("position"),
                    sigma: r.get::<Selfishness>().expect("selfishness").0,
                    power: r.get::<Power>().expect("power").0,
                    weights: *r.get::<Weights>().expect("weights"),
                    policy: r.get::<Policy>().expect("policy").clone(),
                    ledger: *r.get::<Ledger>().expect("ledger"),
                    reward: *r.get::<Reward>().expect("reward"),
                    decision: *r.get::<Decision>().expect("decision"),
                    ai: r.contains::<crate::agents::Ai>(),
                    inactive: false,
                    violations: r.get::<crate::oversight::Violations>().map_or_else(Vec::new, |v| v.0.clone()),
                    thief: r.contains::<crate::agents::Thief>(),
                }
            })
            .collect();
        let principal = world.query::<&Principal>().iter(world).next().cloned();
        WorldModel {
            clock: *world.resource::<SimClock>(),
            grid: world.resource::<Grid>().clone(),
            agents,
            tax: world.get_resource::<TaxState>().cloned(),
            election: world.get_resource::<Election>().cloned(),
            principal,
            social: Arc::new(world.resource::<Social>().clone()),
            principal_p: None,
            oversight: world.get_resource::<crate::oversight::Oversight>().cloned(),
            foresight: world.get_resource::<crate::impact::Impact>().and_then(|i| i.foresight()),
            scratch: (Vec::new(), Vec::new()),
        }
    }

    /// Extracts a model with `error`, drawn with `seed`.
    pub fn extract_with_error(world: &mut World, error: &ModelError, seed: u64) -> WorldModel {
        let mut m = WorldModel::extract(world);
        if error.is_zero() {
            return m;
        }
        let tick = m.clock.tick;
        if error.regrowth != 0.0 {
            let p = m.grid.probabilities().iter().map(|p| (p * (1.0 + error.regrowth)).clamp(0.0, 1.0)).collect();
            m.grid.set_probabilities(p);
        }
        for a in &mut m.agents {
            let mut st = rng::stream(seed, tick, a.id as u64, Purpose::ModelError);
            a.sigma = (a.sigma + error.selfishness * st.normal()).clamp(0.0, 1.0);
            a.power = a.power * (error.power * st.normal()).exp();
        }
        if error.observation > 0.0 {
            for i in 0..(m.grid.width() * m.grid.height()) as usize {
                if m.grid.terrain(i) == Terrain::Grass
                    && rng::unit(seed, tick, (1 << 40) + i as u64, Purpose::ModelError) < error.observation
                {
                    let present = m.grid.has_apple(i);
                    m.grid.set_apple_state(i, !present);
                }
            }
        }
        m
    }

    /// Runs one tick, in the `SimTick` order, through the shared rule functions.
    pub fn step(&mut self) {
        self.decide();
        self.act_onwards();
    }

    /// The first half of a tick: `Observe` and `Decide` (inactive agents stay).
    pub fn decide(&mut self) {
        let (seed, tick) = (self.clock.seed, self.clock.tick);
        // Observe
        self.grid.effects.clear();
        if let Some(t) = &mut self.tax {
            t.collected = 0;
            t.collected_by_bracket.iter_mut().for_each(|c| *c = 0);
        }
        // Decide
        let draws = rng::TickKey::new(seed, tick);
        let (grid, social, tax, oversight, foresight) =
            (&self.grid, &*self.social, self.tax.as_ref(), self.oversight.as_ref(), self.foresight.as_ref());
        crate::parallel::for_each_mut(&mut self.agents, |a| {
            if a.inactive {
                a.decision = Decision::default();
                return;
            }
            let share = decision::apple_share(grid, social, tax, a.id, &a.pos, a.sigma, &a.ledger);
            let audit = decision::clear_cut_audit(oversight, a.ai);
            let theft = decision::theft_value(a.thief, share, &a.weights, oversight, a.ai);
            let adjust = decision::adjustments(grid, &a.pos, theft, foresight.filter(|_| a.ai));
            a.decision = decision::choose(
                grid, &draws, a.id, &a.pos, a.sigma, share, audit, a.power, &a.weights, &a.policy, &adjust,
            );
        });
    }

    /// The rest of a tick, from `Act` to `Measure`, with the decisions as they stand (a
    /// planner may have overridden some).
    pub fn act_onwards(&mut self) {
        let (seed, tick) = (self.clock.seed, self.clock.tick);
        // Act
        let (movers, order) = &mut self.scratch;
        movers.clear();
        movers.extend(self.agents.iter().map(|a| Mover {
            id: a.id,
            x: a.pos.x,
            y: a.pos.y,
            action: a.decision.action,
            moved: false,
        }));
        movement::step_moves(&mut self.grid, seed, tick, movers, order);
        for (a, m) in self.agents.iter_mut().zip(movers.iter()) {
            a.pos = Position { x: m.x, y: m.y };
        }
        // Resolve
        let current = self.clock.current();
        self.grid.step_belts(current);
        for a in self.agents.iter_mut().filter(|a| !a.inactive) {
            let i = self.grid.index(a.pos.x, a.pos.y);
            crate::harvest::pick(
                &mut self.grid,
                i,
                a.id,
                &mut a.ledger,
                self.oversight.as_mut(),
                a.ai,
                &mut a.violations,
                current,
            );
        }
        if self.agents.iter().any(|a| a.thief && !a.inactive) {
            let standing: Vec<crate::harvest::Standing> = self
                .agents
                .iter()
                .map(|a| crate::harvest::Standing {
                    id: a.id,
                    pos: (a.pos.x, a.pos.y),
                    action: a.decision.action,
                    thief: a.thief && !a.inactive,
                    ai: a.ai,
                })
                .collect();
            let mut ledgers: Vec<Ledger> = self.agents.iter().map(|a| a.ledger).collect();
            let mut violations: Vec<&mut Vec<(u64, i64)>> = Vec::new();
            let mut rest = &mut self.agents[..];
            while let Some((a, tail)) = rest.split_first_mut() {
                violations.push(&mut a.violations);
                rest = tail;
            }
            crate::harvest::thefts(
                &mut self.grid,
                &standing,
                &mut ledgers,
                self.oversight.as_mut(),
                &mut violations,
                current,
            );
            for (a, l) in self.agents.iter_mut().zip(ledgers) {
                a.ledger = l;
            }
        }
        self.grid.regrow(seed, tick);
        // Govern
        if let Some(t) = &mut self.tax
            && t.period_ends(&self.clock)
        {
            let mut reported = Vec::with_capacity(self.agents.len());
            for a in &mut self.agents {
                let r = crate::oversight::report(
                    self.oversight.as_mut(),
                    a.ai,
                    a.sigma,
                    a.ledger.period_income,
                    &t.schedule,
                    &mut a.violations,
                    current,
                );
                reported.push(r);
            }
            let incomes: Vec<i64> = self.agents.iter().map(|a| a.ledger.period_income).collect();
            let s = tax::settle(t, &reported, &incomes);
            for (k, a) in self.agents.iter_mut().enumerate() {
                a.ledger.settle(s.taxes[k], s.transfers[k]);
            }
        }
        if let Some(e) = &mut self.election
            && current % e.period == 0
        {
            let wealth: Vec<f64> = self.agents.iter().map(|a| a.ledger.wealth()).collect();
            let sigma: Vec<f64> = self.agents.iter().map(|a| a.sigma).collect();
            let positions: Vec<(u32, u32)> = self.agents.iter().map(|a| (a.pos.x, a.pos.y)).collect();
            voting::hold(e, &self.social, &wealth, &sigma, &positions, &self.grid);
        }
        if let (Some(p), Some(t)) = (&mut self.principal, &mut self.tax)
            && t.period_ends(&self.clock)
        {
            let obs = principal::observe(t, principal::served_p(p.objective, self.election.as_ref()));
            let rates = principal::propose(p, &obs, &mut principal::stream(&self.clock));
            principal::apply(t, &rates);
        }
        if let Some(o) = &mut self.oversight
            && current % o.spec.period == 0
        {
            for a in self.agents.iter_mut() {
                if o.covers(a.ai) {
                    crate::oversight::audit(o, seed, current, a.id, &mut a.ledger, &mut a.violations);
                }
            }
        }
        self.finish_tick();
    }

    /// The end of a tick, after `Govern`: SED rewards are credited and the clock advances.
    /// A model extracted during `Govern` calls this to stand at the start of the next tick.
    pub fn finish_tick(&mut self) {
        // Account (nothing to credit when no one's wealth changed)
        if self.agents.iter().all(|a| a.ledger.balance == a.reward.last_balance) {
            self.clock.tick += 1;
            return;
        }
        let sigmas: Vec<f64> = self.agents.iter().map(|a| a.sigma).collect();
        let deltas: Vec<f64> =
            self.agents.iter().map(|a| (a.ledger.balance - a.reward.last_balance) as f64 / MILLI as f64).collect();
        let positions: Vec<(u32, u32)> = self.agents.iter().map(|a| (a.pos.x, a.pos.y)).collect();
        if let Some(inc) = tax::reward_increments(&self.social, &sigmas, &deltas, &positions, &self.grid) {
            for (a, r) in self.agents.iter_mut().zip(inc) {
                a.reward.total += r;
                a.reward.last_balance = a.ledger.balance;
            }
        }
        // Measure
        self.clock.tick += 1;
    }

    /// The same digest as [`crate::sim::Sim::state_hash`].
    pub fn state_hash(&self) -> u64 {
        let rows = self.agents.iter().map(|a| {
            [
                a.id as u64,
                a.pos.x as u64,
                a.pos.y as u64,
                a.ledger.picked,
                a.ledger.balance as u64,
                a.decision.action as u64,
                a.reward.total.to_bits(),
            ]
        });
        let institutions = crate::sim::Institutions {
            tax: self.tax.as_ref(),
            election: self.election.as_ref(),
            oversight: self.oversight.as_ref(),
        };
        crate::sim::state_digest(self.clock, self.grid.apple_digest(), rows, &institutions)
    }

    /// Every agent's wealth in apples, id order.
    pub fn wealth(&self) -> Vec<f64> {
        self.agents.iter().map(|a| a.ledger.wealth()).collect()
    }
}
