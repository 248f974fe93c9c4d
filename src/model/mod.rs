//! The world model: the whole changing state of a world — clock, grid, agents and every
//! mechanism's part — and the tick itself. [`WorldModel::step`] walks the phase list
//! ([`phases`]) through the phase functions the mechanisms registered; the ECS world keeps one
//! `WorldModel` and runs the same list ([`crate::sim`]), and planners, shadows and learners
//! step cheap imagined copies of it ([`WorldModel::imagine`]), so the world and every copy of
//! it tick alike by construction.
//!
//! Model error is an explicit knob ([`ModelError`]): a biased regrowth rule, mis-estimated
//! selfishness and power, and noisy observation of where apples stand. Errors are drawn once,
//! when the imagined copy is made, keyed by the seed, so a planner's beliefs are reproducible.

pub mod events;
pub mod parts;
pub mod phases;
pub mod steering;

use std::sync::Arc;

use crate::grid::{Grid, Terrain};
use crate::rng::{self, Purpose};
use crate::social::Social;
use crate::vocab::{Decision, Ledger, Policy, Position, Reward, Weights};

pub use crate::scenario::ModelError;
pub use events::{Event, SimEvent};
pub use parts::{LoadError, Part, Parts};
pub use phases::{Mechanism, PhaseFn, Phases, Step};

/// The clock and the seed of every random draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SimClock {
    /// Ticks completed.
    pub tick: u64,
    /// The run's seed.
    pub seed: u64,
}

impl SimClock {
    /// The number of the tick in progress (ticks are numbered from 1; row `t` of
    /// `metrics.csv` is the state after tick `t`, row 0 the start).
    pub fn current(&self) -> u64 {
        self.tick + 1
    }
    /// Whether the tick in progress ends a period of `period` ticks: the one period rule.
    pub fn ends_period(&self, period: u64) -> bool {
        self.current().is_multiple_of(period.max(1))
    }
}

/// The clock: the tick's counters and effects are reset at `Observe`, the clock advances at
/// `Measure`. Every world has it.
pub const CLOCK: Mechanism = Mechanism {
    name: "clock",
    build: |_, _| {},
    steps: &[(Step::Observe, start_tick), (Step::Measure, end_tick)],
    ..Mechanism::NONE
};

fn start_tick(m: &mut WorldModel) {
    m.stats = TickStats::default();
    m.grid.effects.clear();
}

fn end_tick(m: &mut WorldModel) {
    m.clock.tick += 1;
}

/// Counters for the tick under way, reset at its start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TickStats {
    /// Apples picked this tick.
    pub harvested: u32,
    /// Apples that regrew this tick.
    pub regrown: u32,
}

/// One agent's whole changing state. Laid out in this order (`repr(C)`), a cache line aligned
/// (5 lines an agent), so that what most of a tick's passes over all agents read sits
/// together: id, place, flags, σ, power and weights in the first line, the reward and ledger
/// next; the decision, policy and violations after.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[repr(C, align(64))]
pub struct ModelAgent {
    /// Stable id.
    pub id: u32,
    /// The index of its group in the scenario's `agents`.
    pub group: u32,
    /// Where it stands.
    pub pos: Position,
    /// Whether it is an AI agent.
    pub ai: bool,
    /// Whether it does nothing (stays, picks nothing): the inaction counterfactual.
    pub inactive: bool,
    /// Whether it steals.
    pub thief: bool,
    /// (Believed) selfishness.
    pub sigma: f64,
    /// (Believed) power.
    pub power: f64,
    /// Utility weights.
    pub weights: Weights,
    /// SED reward.
    pub reward: Reward,
    /// Ledger.
    pub ledger: Ledger,
    /// Last decision.
    pub decision: Decision,
    /// Policy.
    pub policy: Policy,
    /// Violations in the current audit period: (tick, gain).
    pub violations: Vec<(u64, i64)>,
}

/// The state of a world between two ticks (or, inside a tick, between two steps).
#[derive(Debug)]
pub struct WorldModel {
    /// Clock and seed (planners set the seed per imagined sample).
    pub clock: SimClock,
    /// The grid.
    pub grid: Grid,
    /// Agents in id order.
    pub agents: Vec<ModelAgent>,
    /// The social graph (shared between copies).
    pub social: Arc<Social>,
    /// Every mechanism's state.
    pub parts: Parts,
    /// This tick's counters.
    pub stats: TickStats,
    phases: Arc<Phases>,
    /// Events of the real world (imagined copies record none).
    events: Option<Vec<SimEvent>>,
}

impl Clone for WorldModel {
    fn clone(&self) -> WorldModel {
        WorldModel {
            clock: self.clock,
            grid: self.grid.clone(),
            agents: self.agents.clone(),
            social: self.social.clone(),
            parts: self.parts.clone(),
            stats: self.stats,
            phases: self.phases.clone(),
            events: self.events.clone(),
        }
    }
}

impl WorldModel {
    /// A world of `agents` (id order) on `grid`, with `mechanisms` built from `scenario`, in
    /// the order given; it records events.
    pub fn build(
        scenario: &crate::scenario::Scenario,
        clock: SimClock,
        grid: Grid,
        agents: Vec<ModelAgent>,
        mechanisms: &[Mechanism],
    ) -> WorldModel {
        let social = Arc::new(Social::new(&scenario.social_graph, agents.len()));
        let mut m = WorldModel {
            clock,
            grid,
            agents,
            social,
            parts: Parts::default(),
            stats: TickStats::default(),
            phases: Arc::new(Phases::new(mechanisms, |_| true)),
            events: Some(Vec::new()),
        };
        for mechanism in mechanisms {
            (mechanism.build)(scenario, &mut m);
        }
        // Only the mechanisms this world has run (an imagined copy shares the list: its phase
        // functions still check for their parts).
        let phases = Phases::new(mechanisms, |mech| mech.active.is_none_or(|active| active(&m)));
        m.phases = Arc::new(phases);
        m
    }

    /// The phase functions this world runs.
    pub fn phases(&self) -> &Phases {
        &self.phases
    }

    /// Runs the steps from `from` to `to`, both included.
    pub fn run(&mut self, from: Step, to: Step) {
        let phases = self.phases.clone();
        for f in phases.between(from, to) {
            f(self);
        }
    }

    /// Runs one whole tick: the phase list from `Observe` to `Measure`.
    pub fn step(&mut self) {
        crate::parallel::tick(self.agents.len(), || self.run(Step::Observe, Step::Measure));
    }

    /// The first half of a tick: `Observe` and `Decide`.
    pub fn decide(&mut self) {
        self.run(Step::Observe, Step::Decide);
    }

    /// The rest of a tick, from `Shield` to `Measure`, with the decisions as they stand (a
    /// planner may have overridden some).
    pub fn act_onwards(&mut self) {
        self.run(Step::Shield, Step::Measure);
    }

    /// A copy for imagining: what each part says an imagined world carries
    /// ([`Part::imagined`]), no events.
    pub fn imagine(&self) -> WorldModel {
        WorldModel {
            clock: self.clock,
            grid: self.grid.clone(),
            agents: self.agents.clone(),
            social: self.social.clone(),
            parts: self.parts.imagined(),
            stats: TickStats::default(),
            phases: self.phases.clone(),
            events: None,
        }
    }

    /// An imagined copy with `error`, drawn with `seed`.
    pub fn imagine_with_error(&self, error: &ModelError, seed: u64) -> WorldModel {
        let mut m = self.imagine();
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
            a.power *= (error.power * st.normal()).exp();
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

    /// Stops recording events (a learner's worlds: nobody reads them).
    pub fn quiet(&mut self) {
        self.events = None;
    }

    /// Whether this world records events (the real one does; imagined copies do not).
    pub fn records(&self) -> bool {
        self.events.is_some()
    }

    /// Logs an event of the tick in progress; it is only made when the world records events.
    pub fn event(&mut self, subject: impl FnOnce() -> String, event: impl FnOnce() -> Event) {
        let tick = self.clock.current();
        if let Some(events) = &mut self.events {
            events.push(SimEvent { tick, subject: subject(), event: event() });
        }
    }

    /// Takes the events logged so far.
    pub fn take_events(&mut self) -> Vec<SimEvent> {
        self.events.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// A stable digest of the whole state: FNV-1a over the tick, the seed, the apples
    /// standing, each agent's (id, x, y, picked, balance, action, reward) in id order, then
    /// each mechanism's part (taxes, the election, oversight's counters), in registration
    /// order. Equal digests mean equal worlds.
    pub fn state_hash(&self) -> u64 {
        let mut h = crate::hash::Fnv::new();
        for v in [self.clock.tick, self.clock.seed, self.grid.apple_digest()] {
            h.write_u64(v);
        }
        for a in &self.agents {
            for v in [
                a.id as u64,
                a.pos.x as u64,
                a.pos.y as u64,
                a.ledger.picked,
                a.ledger.balance as u64,
                a.decision.action as u64,
                a.reward.total.to_bits(),
            ] {
                h.write_u64(v);
            }
        }
        for digest in self.phases.digests() {
            digest(self, &mut h);
        }
        h.finish()
    }

    /// Every agent's wealth in apples, id order.
    pub fn wealth(&self) -> Vec<f64> {
        self.agents.iter().map(|a| a.ledger.wealth()).collect()
    }

    /// The state to save: everything but what the scenario determines.
    pub fn save(&self) -> Result<SavedModel, String> {
        Ok(SavedModel {
            clock: self.clock,
            grid: self.grid.clone(),
            agents: self.agents.clone(),
            parts: self.parts.save()?,
        })
    }

    /// [`WorldModel::save`] by reference: the same fields, written the same, without a copy
    /// of the grid and the agents (a big world's checkpoint took its memory twice over).
    pub fn save_ref(&self) -> Result<SavedModelRef<'_>, String> {
        Ok(SavedModelRef { clock: self.clock, grid: &self.grid, agents: &self.agents, parts: self.parts.save()? })
    }

    /// Restores a saved state into this world, built from the same scenario.
    pub fn load(&mut self, saved: SavedModel) -> Result<(), LoadError> {
        if saved.agents.len() != self.agents.len() {
            return Err(
                format!("it has {} agents but its scenario makes {}", saved.agents.len(), self.agents.len()).into()
            );
        }
        if let Some((a, b)) = saved.agents.iter().zip(&self.agents).find(|(a, b)| a.id != b.id) {
            return Err(format!("agent {} is out of order (expected {})", a.id, b.id).into());
        }
        self.parts.load(&saved.parts)?;
        self.clock = saved.clock;
        self.grid = saved.grid;
        self.agents = saved.agents;
        Ok(())
    }
}

/// A [`SavedModel`] borrowed from its world: serialises as one does.
#[derive(Debug, serde::Serialize)]
pub struct SavedModelRef<'a> {
    /// The clock.
    pub clock: SimClock,
    /// Cells, apples, patches, occupancy, objects.
    pub grid: &'a Grid,
    /// Every agent, in id order.
    pub agents: &'a [ModelAgent],
    /// Each mechanism's part, by name.
    pub parts: std::collections::BTreeMap<String, String>,
}

/// A world's saved state: the clock, the grid, the agents and each part as RON, by name.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SavedModel {
    /// The clock.
    pub clock: SimClock,
    /// Cells, apples, patches, occupancy, objects.
    pub grid: Grid,
    /// Every agent, in id order.
    pub agents: Vec<ModelAgent>,
    /// Each mechanism's part, by name.
    pub parts: std::collections::BTreeMap<String, String>,
}
