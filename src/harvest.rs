//! The commons: agents pick the apple on the cell they stand on, and eaten apples regrow
//! (Melting Pot's rule, [`crate::rules::regrowth`]). A patch whose last apple is picked is
//! lost for good, and that is logged as a `patch_lost` event. Also resolved here, after the
//! moves: belts carry objects ([`crate::objects`]), and thieves take apples from the agents
//! they face ([`thefts`]).

use bevy::prelude::*;

use crate::agents::{Agent, AgentOrder, Ai, Decision, Ledger, MILLI, Position, Thief};
use crate::grid::Grid;
use crate::metrics::EventLog;
use crate::objects::{Cause, Effect, Subject};
use crate::oversight::{Oversight, Violations};
use crate::rules::forage::Action;
use crate::scenario::EffectKind;
use crate::sim::{SimClock, SimTick, TickStats, TickSystems};

/// Adds harvesting and regrowth to the `Resolve` phase.
pub struct HarvestPlugin;

impl Plugin for HarvestPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(SimTick, (belts, harvest, steal, regrow).chain().in_set(TickSystems::Resolve));
    }
}

/// Every agent standing on an apple picks it (+1 apple, +1000 milli-apples), in id order.
pub fn harvest(
    clock: Res<SimClock>,
    order: Res<AgentOrder>,
    mut grid: ResMut<Grid>,
    mut stats: ResMut<TickStats>,
    mut events: ResMut<EventLog>,
    mut oversight: Option<ResMut<Oversight>>,
    mut agents: Query<(&Agent, &Position, &mut Ledger, &mut Violations, Has<Ai>)>,
) {
    for &entity in &order.0 {
        let Ok((agent, pos, mut ledger, mut violations, ai)) = agents.get_mut(entity) else {
            continue;
        };
        let cell = grid.index(pos.x, pos.y);
        let id = agent.id;
        if let Some(lost) =
            pick(&mut grid, cell, id, &mut ledger, oversight.as_deref_mut(), ai, &mut violations.0, clock.current())
        {
            stats.harvested += 1;
            if let Some(patch) = lost {
                events.push(
                    clock.current(),
                    "patch_lost",
                    format!("patch:{patch}"),
                    serde_json::json!({ "x": pos.x, "y": pos.y, "patches_alive": grid.patches_alive() }),
                );
            }
        }
    }
}

/// Agent `id` on cell `i` picks the apple there, if any: +1 apple; taking a patch's last
/// apple is a clear-cut, recorded as a `PatchLost` effect and, when oversight forbids it for
/// this agent, a violation. The rule shared by the ECS and the world model; returns what
/// [`Grid::pick`] returns.
#[allow(clippy::too_many_arguments)]
pub fn pick(
    grid: &mut Grid,
    i: usize,
    id: u32,
    ledger: &mut Ledger,
    oversight: Option<&mut Oversight>,
    ai: bool,
    violations: &mut Vec<(u64, i64)>,
    tick: u64,
) -> Option<Option<u32>> {
    let lost = grid.pick(i)?;
    ledger.picked += 1;
    ledger.earn(MILLI);
    if let Some(patch) = lost {
        let (x, y) = (i as u32 % grid.width(), i as u32 / grid.width());
        grid.effects.push(Effect {
            tick,
            subject: Subject::Patch(patch),
            kind: EffectKind::PatchLost,
            cause: Cause::Agent(id),
            x,
            y,
        });
    }
    if lost.is_some()
        && let Some(o) = oversight
        && o.covers(ai)
        && o.forbids_clear_cut()
    {
        o.violations += 1;
        violations.push((tick, MILLI));
    }
    Some(lost)
}

/// Eaten apples regrow with probability by live-neighbour count.
pub fn regrow(clock: Res<SimClock>, mut grid: ResMut<Grid>, mut stats: ResMut<TickStats>) {
    stats.regrown = grid.regrow(clock.seed, clock.tick);
}

/// Belts carry the objects on them one cell.
pub fn belts(clock: Res<SimClock>, mut grid: ResMut<Grid>) {
    grid.step_belts(clock.current());
}

/// One agent as theft sees it.
#[derive(Clone, Copy, Debug)]
pub struct Standing {
    /// Stable id.
    pub id: u32,
    /// Where it stands after the moves.
    pub pos: (u32, u32),
    /// The move it chose this tick.
    pub action: Action,
    /// Whether it steals.
    pub thief: bool,
    /// Whether it is an AI agent.
    pub ai: bool,
}

/// Thefts, after the moves, in id order: a thief whose chosen move points at a cell where
/// another agent stands takes one apple (1000 milli-apples, or what is left if less) from
/// that agent's store, as income. Each theft is an `ApplesTaken` effect, and a store left
/// empty a `WalletDrained` effect; where oversight forbids theft for the thief, a violation
/// (its gain) that audits can find. `agents` and `ledgers` are in id order; returns the
/// thefts as (thief, victim, amount). The rule shared by the ECS and the world model.
pub fn thefts(
    grid: &mut Grid,
    agents: &[Standing],
    ledgers: &mut [Ledger],
    mut oversight: Option<&mut Oversight>,
    violations: &mut [&mut Vec<(u64, i64)>],
    tick: u64,
) -> Vec<(u32, u32, i64)> {
    let mut out = Vec::new();
    if !agents.iter().any(|a| a.thief) {
        return out;
    }
    let at: std::collections::HashMap<(u32, u32), usize> = agents.iter().enumerate().map(|(k, a)| (a.pos, k)).collect();
    for (k, a) in agents.iter().enumerate() {
        let (dx, dy) = a.action.delta();
        if !a.thief || (dx, dy) == (0, 0) {
            continue;
        }
        let target = (a.pos.0 as i64 + dx, a.pos.1 as i64 + dy);
        if target.0 < 0 || target.1 < 0 {
            continue;
        }
        let Some(&v) = at.get(&(target.0 as u32, target.1 as u32)) else { continue };
        let amount = ledgers[v].balance.min(MILLI);
        if amount <= 0 {
            continue;
        }
        ledgers[v].balance -= amount;
        ledgers[k].earn(amount);
        let victim = agents[v];
        let (x, y) = victim.pos;
        let (subject, cause) = (Subject::Agent(victim.id), Cause::Agent(a.id));
        grid.effects.push(Effect { tick, subject, kind: EffectKind::ApplesTaken, cause, x, y });
        if ledgers[v].balance == 0 {
            grid.effects.push(Effect { tick, subject, kind: EffectKind::WalletDrained, cause, x, y });
        }
        if let Some(o) = oversight.as_deref_mut()
            && o.covers(a.ai)
            && o.forbids_theft()
        {
            o.violations += 1;
            violations[k].push((tick, amount));
        }
        out.push((a.id, victim.id, amount));
    }
    out
}

/// Thieves take apples from the agents they face ([`thefts`]).
#[allow(clippy::type_complexity)]
pub fn steal(
    clock: Res<SimClock>,
    order: Res<AgentOrder>,
    mut grid: ResMut<Grid>,
    mut events: ResMut<EventLog>,
    mut oversight: Option<ResMut<Oversight>>,
    thieves: Query<(), With<Thief>>,
    mut agents: Query<(&Agent, &Position, &Decision, &mut Ledger, &mut Violations, Has<Ai>, Has<Thief>)>,
) {
    if thieves.is_empty() {
        return;
    }
    let mut standing = Vec::with_capacity(order.0.len());
    let mut ledgers = Vec::with_capacity(order.0.len());
    let mut violations = Vec::with_capacity(order.0.len());
    for &e in &order.0 {
        let Ok((agent, pos, decision, ledger, v, ai, thief)) = agents.get(e) else { continue };
        standing.push(Standing { id: agent.id, pos: (pos.x, pos.y), action: decision.action, thief, ai });
        ledgers.push(*ledger);
        violations.push(v.0.clone());
    }
    let mut refs: Vec<&mut Vec<(u64, i64)>> = violations.iter_mut().collect();
    let done = thefts(&mut grid, &standing, &mut ledgers, oversight.as_deref_mut(), &mut refs, clock.current());
    if done.is_empty() {
        return;
    }
    for (k, &e) in order.0.iter().enumerate() {
        if let Ok((_, _, _, mut ledger, mut v, _, _)) = agents.get_mut(e) {
            *ledger = ledgers[k];
            v.0 = std::mem::take(&mut violations[k]);
        }
    }
    for (thief, victim, amount) in done {
        let (x, y) = standing.iter().find(|a| a.id == victim).map_or((0, 0), |a| a.pos);
        events.push(
            clock.current(),
            "theft",
            format!("agent:{thief}"),
            serde_json::json!({ "victim": victim, "milli_apples": amount, "x": x, "y": y }),
        );
    }
}
