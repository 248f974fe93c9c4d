//! Steering a running world: the desktop app's intents (play, pause, step, speed, reset,
//! reseed, open, live parameter edits, selection) as plain logic over a headless [`Sim`](crate::sim::Sim), so
//! every button's effect is unit-tested without a window (`tests/suite/control.rs`).
//!
//! The app turns clicks and keys into [`Intent`]s and hands them to [`Control::apply`]; each
//! frame it asks [`Control::run_frame`] to advance the world by the ticks the speed setting
//! allows. Nothing here reads the wall clock: fast-forward asks the caller, through a closure,
//! whether the frame's time is up.
//!
//! Live edits (a bracket's tax rate, an agent group's power) change the running world at
//! once and are written to the world's [`EventLog`](crate::metrics::EventLog) as a `param_change` event — the tick, the
//! parameter's path in the scenario, the old and the new value — so a run steered by hand can
//! be repeated. [`History`] keeps what the app drains from the world each frame (every metrics
//! row, the last events) and writes the metrics as `polity run`'s `metrics.csv`.
//! [`snapshot_scenario`] writes the current world and parameters back as a scenario.
//!
//! One file per concern: [`intent`] (the intents and the run controls), [`edit`] (live
//! parameter edits), [`view`] (what the inspector and panels read), [`history`] (what the app
//! drained from the world), [`snapshot`] (the world back as a scenario), [`export`] (export
//! names and writes). Everything is re-exported here, so `control::X` names every item.

pub mod edit;
pub mod export;
pub mod history;
pub mod intent;
pub mod snapshot;
pub mod training;
pub mod view;

pub use export::{export_path, export_stem, write_atomic};
pub use history::{EVENTS_KEPT, History, event_cell};
pub use intent::{Control, ControlError, Effect, FAST_FORWARD_BUDGET, FrameTicks, Intent, MAX_TICKS_PER_FRAME, Source};
pub use snapshot::{snapshot_ron, snapshot_scenario};
pub use view::{AgentView, GroupView, agent_at, agent_view, group_views};

use crate::agents::MILLI;

/// Apples as a plain number from milli-apples.
pub fn apples(milli: i64) -> f64 {
    milli as f64 / MILLI as f64
}
