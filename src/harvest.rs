//! The commons: agents pick the apple on the cell they stand on, and eaten apples regrow
//! (Melting Pot's rule, [`crate::rules::regrowth`]). A patch whose last apple is picked is
//! lost for good, and that is logged as a `patch_lost` event.

use bevy::prelude::*;

use crate::agents::{AgentOrder, Ledger, MILLI, Position};
use crate::grid::Grid;
use crate::metrics::EventLog;
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
    mut agents: Query<(&Position, &mut Ledger)>,
) {
    for &entity in &order.0 {
        let Ok((pos, mut ledger)) = agents.get_mut(entity) else {
            continue;
        };
        let cell = grid.index(pos.x, pos.y);
        if let Some(lost) = grid.pick(cell) {
            ledger.picked += 1;
            ledger.earn(MILLI);
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

/// Eaten apples regrow with probability by live-neighbour count.
pub fn regrow(clock: Res<SimClock>, mut grid: ResMut<Grid>, mut stats: ResMut<TickStats>) {
    stats.regrown = grid.regrow(clock.seed, clock.tick);
}
