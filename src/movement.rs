//! Movement: agents' chosen moves are carried out, with collisions resolved fairly and
//! deterministically.
//!
//! Each tick every agent gets a priority drawn from (seed, tick, agent id); agents move one
//! at a time in priority order (a random serial dictatorship, fresh each tick), each into its
//! target cell if no agent stands there at that moment, otherwise staying put. Over many
//! ticks every agent is first equally often; within a tick the outcome depends only on the
//! seed, never on entity or thread order.

use bevy::prelude::*;

use crate::agents::{Agent, Decision, Position};
use crate::grid::Grid;
use crate::rng::{self, Purpose};
use crate::rules::forage;
use crate::sim::{SimClock, SimTick, TickSystems};

/// Adds the movement system to the `Act` phase.
pub struct MovementPlugin;

impl Plugin for MovementPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(SimTick, resolve_moves.in_set(TickSystems::Act));
    }
}

/// A move waiting its turn: the mover and its target.
#[derive(Clone, Copy)]
pub struct PendingMove {
    entity: Entity,
    x: u32,
    y: u32,
}

/// Carries out the moves in a random priority order drawn for this tick.
pub fn resolve_moves(
    clock: Res<SimClock>,
    mut grid: ResMut<Grid>,
    mut agents: Query<(Entity, &Agent, &mut Position, &Decision)>,
    mut moves: Local<Vec<PendingMove>>,
    mut order: Local<Vec<(u64, u32, u32)>>,
) {
    moves.clear();
    order.clear();
    for (entity, agent, pos, decision) in &agents {
        let (x, y) = forage::target(&grid, pos.x, pos.y, decision.action);
        if (x, y) != (pos.x, pos.y) {
            let priority = rng::key(clock.seed, clock.tick, agent.id as u64, Purpose::MoveOrder);
            order.push((priority, agent.id, moves.len() as u32));
            moves.push(PendingMove { entity, x, y });
        }
    }
    order.sort_unstable();
    for &(_, _, k) in order.iter() {
        let m = moves[k as usize];
        let to = grid.index(m.x, m.y);
        if grid.occupied(to) {
            continue;
        }
        let Ok((_, _, mut pos, _)) = agents.get_mut(m.entity) else {
            continue;
        };
        let from = grid.index(pos.x, pos.y);
        grid.set_occupied(from, false);
        grid.set_occupied(to, true);
        *pos = Position { x: m.x, y: m.y };
    }
}
