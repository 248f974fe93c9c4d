//! The commons: agents pick the apple on the cell they stand on, and eaten apples regrow
//! (Melting Pot's rule, [`crate::rules::regrowth`]). A patch whose last apple is picked is
//! lost for good, and that is logged as a `patch_lost` event.

use bevy::prelude::*;

use crate::agents::{AgentOrder, Ai, Ledger, MILLI, Position};
use crate::grid::Grid;
use crate::metrics::EventLog;
use crate::oversight::{Oversight, Violations};
use crate::sim::{SimClock, SimTick, TickStats, TickSystems};

/// Adds harvesting and regrowth to the `Resolve` phase.
pub struct HarvestPlugin;

impl Plugin for HarvestPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(SimTick, (harvest, regrow).chain().in_set(TickSystems::Resolve));
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
    mut agents: Query<(&Position, &mut Ledger, &mut Violations, Has<Ai>)>,
) {
    for &entity in &order.0 {
        let Ok((pos, mut ledger, mut violations, ai)) = agents.get_mut(entity) else {
            continue;
        };
        let cell = grid.index(pos.x, pos.y);
        if let Some(lost) =
            pick(&mut grid, cell, &mut ledger, oversight.as_deref_mut(), ai, &mut violations.0, clock.current())
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

/// An agent on cell `i` picks the apple there, if any: +1 apple; taking a patch's last apple
/// is a clear-cut, recorded as a violation when oversight forbids it for this agent. The rule
/// shared by the ECS and the world model; returns what [`Grid::pick`] returns.
pub fn pick(
    grid: &mut Grid,
    i: usize,
    ledger: &mut Ledger,
    oversight: Option<&mut Oversight>,
    ai: bool,
    violations: &mut Vec<(u64, i64)>,
    tick: u64,
) -> Option<Option<u32>> {
    let lost = grid.pick(i)?;
    ledger.picked += 1;
    ledger.earn(MILLI);
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
