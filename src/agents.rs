//! Agents as ECS entities: the markers every human and AI agent carries, and the core's
//! vocabulary types ([`crate::vocab`]) as components, which mirror the world model between
//! ticks ([`crate::sim`]).

use bevy::ecs::component::{Mutable, StorageType};
use bevy::prelude::*;

pub use crate::vocab::{Decision, Ledger, MILLI, Policy, Position, Power, Reward, Selfishness, Weights};

macro_rules! components {
    ($($t:ty),*) => {$(
        impl Component for $t {
            const STORAGE_TYPE: StorageType = StorageType::Table;
            type Mutability = Mutable;
        }
    )*};
}

components!(Position, Selfishness, Power, Weights, Policy, Ledger, Reward, Decision);

/// An agent, with its stable id (0, 1, … in scenario order) and the index of its group.
/// Every system that needs a deterministic order sorts by this id, never by entity.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[require(Ledger, Decision, Reward)]
pub struct Agent {
    /// Stable id.
    pub id: u32,
    /// Index of the group in the scenario's `agents`.
    pub group: u32,
}

/// Marks a human agent.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Human;

/// Marks an AI agent.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Ai;

/// Marks an agent that steals: facing another agent after the moves, it takes one apple from
/// that agent's store ([`crate::theft::thefts`]).
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Thief;

/// The agents' entities sorted by stable id, kept for systems whose results could depend on
/// iteration order.
#[derive(Resource, Clone, Debug, Default)]
pub struct AgentOrder(pub Vec<Entity>);
