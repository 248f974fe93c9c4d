//! What the inspector and the parameter panel read from the world: one agent's view, every
//! group's live power, the agent on a cell.

use crate::agents::{Agent, AgentOrder, Ai, Decision, Ledger, Policy, Position, Power, Reward, Selfishness, Weights};
use crate::scenario::Kind;
use crate::sim::{ScenarioRes, Sim};

/// The entity of agent `id`.
pub(super) fn agent_entity(sim: &Sim, id: u32) -> Option<bevy::prelude::Entity> {
    let order = sim.world().get_resource::<AgentOrder>()?;
    order.0.iter().copied().find(|&e| sim.world().get::<Agent>(e).is_some_and(|a| a.id == id))
}

/// The agent standing on cell `(x, y)`, if any.
pub fn agent_at(sim: &Sim, x: u32, y: u32) -> Option<u32> {
    let w = sim.world();
    let order = w.get_resource::<AgentOrder>()?;
    order.0.iter().find_map(|&e| {
        let p = w.get::<Position>(e)?;
        (p.x == x && p.y == y).then(|| w.get::<Agent>(e).map(|a| a.id)).flatten()
    })
}

/// Everything the inspector shows about one agent.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentView {
    /// Stable id.
    pub id: u32,
    /// Its group's index in the scenario's `agents`.
    pub group: u32,
    /// The group's name (may be empty).
    pub group_name: String,
    /// Human or AI.
    pub kind: Kind,
    /// Selfishness σ.
    pub selfishness: f64,
    /// Power (KL budget, nats).
    pub power: f64,
    /// Utility weights (own, commons).
    pub weights: (f64, f64),
    /// The policy, as written in a scenario.
    pub policy: String,
    /// Cell.
    pub x: u32,
    /// Row.
    pub y: u32,
    /// Its ledger.
    pub ledger: Ledger,
    /// SED's cumulative reward, apples.
    pub reward: f64,
    /// Its last decision.
    pub decision: Decision,
    /// A learned agent's value estimate of where it stands now (its critic's), in apples of
    /// discounted future reward.
    pub value: Option<f64>,
}

impl AgentView {
    /// Wealth in apples.
    pub fn wealth(&self) -> f64 {
        self.ledger.wealth()
    }
}

/// The inspector's view of agent `id`.
pub fn agent_view(sim: &Sim, id: u32) -> Option<AgentView> {
    let e = agent_entity(sim, id)?;
    let w = sim.world();
    let r = w.get_entity(e).ok()?;
    let agent = r.get::<Agent>()?;
    let pos = r.get::<Position>()?;
    let group_name =
        w.resource::<ScenarioRes>().0.agents.get(agent.group as usize).map(|g| g.name.clone()).unwrap_or_default();
    let weights = r.get::<Weights>().map_or((1.0, 1.0), |w| (w.0.own, w.0.commons));
    Some(AgentView {
        id: agent.id,
        group: agent.group,
        group_name,
        kind: if r.contains::<Ai>() { Kind::Ai } else { Kind::Human },
        selfishness: r.get::<Selfishness>().map_or(f64::NAN, |s| s.0),
        power: r.get::<Power>().map_or(f64::NAN, |p| p.0),
        weights,
        policy: r.get::<Policy>().map(|p| p.0.describe()).unwrap_or_default(),
        x: pos.x,
        y: pos.y,
        ledger: r.get::<Ledger>().copied().unwrap_or_default(),
        reward: r.get::<Reward>().map_or(0.0, |r| r.total),
        decision: r.get::<Decision>().copied().unwrap_or_default(),
        value: crate::learn::play::value_estimate(sim.core(), agent.id),
    })
}

/// One agent group's live parameters, for the parameter panel.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupView {
    /// Index in the scenario's `agents`.
    pub group: u32,
    /// Its name (may be empty).
    pub name: String,
    /// Human or AI.
    pub kind: Kind,
    /// Agents in it.
    pub count: u32,
    /// Lowest and highest power among its agents now (equal when uniform).
    pub power: (f64, f64),
    /// What an unbounded power (∞) makes of its agents' play, by their policy: `greedy` for a
    /// forager, its network's own distribution for a learned policy; nothing for a random
    /// walk or a script, which power does not steer.
    pub unbounded: Option<&'static str>,
}

/// Every agent group with its live power range.
pub fn group_views(sim: &Sim) -> Vec<GroupView> {
    let w = sim.world();
    let scenario = &w.resource::<ScenarioRes>().0;
    let mut out: Vec<GroupView> = scenario
        .agents
        .iter()
        .enumerate()
        .map(|(g, spec)| GroupView {
            group: g as u32,
            name: spec.name.clone(),
            kind: spec.kind,
            count: 0,
            power: (f64::INFINITY, f64::NEG_INFINITY),
            unbounded: match spec.policy {
                crate::scenario::PolicySpec::Forager { .. } => Some("greedy: always the best move"),
                crate::scenario::PolicySpec::Learned(_) => Some("unbounded: its network's own distribution"),
                crate::scenario::PolicySpec::RandomWalk | crate::scenario::PolicySpec::Script(_) => None,
            },
        })
        .collect();
    if let Some(order) = w.get_resource::<AgentOrder>() {
        for &e in &order.0 {
            let (Some(a), Some(p)) = (w.get::<Agent>(e), w.get::<Power>(e)) else { continue };
            if let Some(g) = out.get_mut(a.group as usize) {
                g.count += 1;
                g.power = (g.power.0.min(p.0), g.power.1.max(p.0));
            }
        }
    }
    for g in &mut out {
        if g.count == 0 {
            g.power = (f64::NAN, f64::NAN);
        }
    }
    out
}
