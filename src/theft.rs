//! Theft: after the moves, a thief whose chosen move points at a cell where another agent
//! stands takes one apple from that agent's store ([`thefts`]); oversight may forbid it.

use crate::grid::Grid;
use crate::model::{Event, Mechanism, Step, WorldModel};
use crate::objects::{Cause, Effect, Subject};
use crate::oversight::Oversight;
use crate::rules::forage::Action;
use crate::scenario::EffectKind;
use crate::vocab::{Ledger, MILLI};

/// Theft: thieves steal at `Steal`.
pub const MECHANISM: Mechanism = Mechanism {
    name: "theft",
    build: |_, _| {},
    steps: &[(Step::Steal, steal)],
    active: Some(|m| m.agents.iter().any(|a| a.thief)),
    ..Mechanism::NONE
};

/// Thieves take apples from the agents they face ([`thefts`]).
pub fn steal(m: &mut WorldModel) {
    if !m.agents.iter().any(|a| a.thief && !a.inactive) {
        return;
    }
    let current = m.clock.current();
    let standing: Vec<Standing> = m
        .agents
        .iter()
        .map(|a| Standing {
            id: a.id,
            pos: (a.pos.x, a.pos.y),
            action: a.decision.action,
            thief: a.thief && !a.inactive,
            ai: a.ai,
        })
        .collect();
    let mut ledgers: Vec<Ledger> = m.agents.iter().map(|a| a.ledger).collect();
    let WorldModel { grid, agents, parts, .. } = m;
    let mut violations: Vec<&mut Vec<(u64, i64)>> = agents.iter_mut().map(|a| &mut a.violations).collect();
    let done = thefts(grid, &standing, &mut ledgers, parts.get_mut::<Oversight>(), &mut violations, current);
    for (a, l) in m.agents.iter_mut().zip(ledgers) {
        a.ledger = l;
    }
    for (thief, victim, amount) in done {
        let (x, y) = standing.iter().find(|a| a.id == victim).map_or((0, 0), |a| a.pos);
        m.event(|| format!("agent:{thief}"), || Event::Theft { victim, milli_apples: amount, x, y });
    }
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
        if let Some(o) = oversight.as_deref_mut() {
            let class = crate::scenario::Forbidden::Theft;
            if !o.plain(class) {
                // Detection depends on who stands near the victim, besides thief and victim.
                let seen = crate::oversight::witnesses(grid, x, y, o.radius(class), &[(x, y), a.pos]);
                o.record(a.ai, a.id, class, amount, seen as f64, (x, y), tick);
            } else if o.covers(a.ai) && o.forbids_theft() {
                o.violations += 1;
                violations[k].push((tick, amount));
            }
        }
        out.push((a.id, victim.id, amount));
    }
    out
}
