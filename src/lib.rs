//! # Polity
//!
//! An agent-based simulation engine for AI governance and alignment research, built on Bevy's
//! ECS. Human and AI agents share a commons of regrowing apples; later mechanisms tax,
//! vote, plan, shield, audit and account for side effects.
//!
//! The crate is laid out one capability per module, each exposing one plugin:
//!
//! | module | owns |
//! |---|---|
//! | [`scenario`] | the RON scenario format, built-ins, loading and validation |
//! | [`world`] | turning a scenario into a map and agents |
//! | [`grid`] | the cells, apples, patches and occupancy |
//! | [`sim`] | the ECS side of the tick: the `SimTick` schedule running the model's phase list on the [`sim::Core`] resource, the headless [`sim::Sim`] |
//! | [`vocab`] | an agent's state as plain data: position, traits, ledger, reward, decision |
//! | [`agents`] | agents as entities: markers, and the vocabulary as components |
//! | [`decision`] | scoring moves and the power-bounded tilt (`DecisionPlugin`) |
//! | [`objects`] | vases, boxes, belts, and the effects (object transitions) the world records |
//! | [`impact`] | side effects against counterfactual baselines, whitelists, penalties (`ImpactPlugin`) |
//! | [`movement`] | moving and resolving collisions (`MovementPlugin`) |
//! | [`harvest`] | picking and regrowth (`HarvestPlugin`) |
//! | [`columns`] | the names of `metrics.csv`'s columns |
//! | [`metrics`] | metrics rows, agent samples, events (`MetricsPlugin`) |
//! | [`tax`] | bracket taxes, redistribution, SED rewards (`TaxPlugin`) |
//! | [`voting`] | elections of the principal's objective (`VotingPlugin`) |
//! | [`principal`] | the AI principal that sets tax rates (`PrincipalPlugin`) |
//! | [`social`] | the social graph |
//! | [`paa`] | the PAA principal: plans tax schedules over the world model |
//! | [`shield`] | keeps a black-box policy to the actions the planner deems safe |
//! | [`oversight`] | forbidden actions, random audits, 1/P_D penalties (`OversightPlugin`) |
//! | [`sum`] | Statistical Utility Mechanics: power used, alignment, harm, the toy model |
//! | [`compare`], [`stats`] | comparing scenarios over seeds |
//! | [`sweep`] | parameter sweeps: paths, replicates, shards, restartable runs, reports |
//! | [`checkpoint`] | saving a world's whole state and restoring it exactly |
//! | [`run`] | the headless runner that writes a run folder |
//! | [`cost`] | a world's memory estimated from its scenario, the memory available, before it runs |
//! | [`parallel`] | the one thread pool (rayon's) that `--threads` sizes |
//! | [`outputs`] | output safety: resolving `--out`, replacing only what Polity wrote, atomic writes, interrupts |
//! | [`run_json`] | a run folder's `run.json`: what it holds, written and read back |
//! | [`tables`] | CSV written and read through the `csv` crate |
//! | [`json`] | JSON that keeps infinite numbers (as `"inf"`, `"-inf"`), for the files Polity reads back |
//! | [`paint`] | painting the world into an image (the app's view, the recorder's frames); the canvas primitives and bitmap font every plot uses |
//! | [`record`] | recording videos and GIFs of a run (`polity record`) |
//! | [`control`] | the app's run controls and live edits as plain, testable logic |
//! | `app` | the desktop app (feature `gui`): world view, panels, exports |
//! | [`model`] | the core: the world model (the world's whole state), the phase list, mechanism parts |
//! | [`observe`] | what a learning agent observes: an egocentric window and the mechanisms' scalars |
//! | [`belts`] | belts carrying objects, the objects' events |
//! | [`theft`] | thieves taking apples (`TheftPlugin`) |
//! | [`shadow`] | the inaction shadow SUM and impact share (`ShadowPlugin`) |
//! | [`planner`] | sparse sampling over the world model and its guarantee |
//! | [`rules`] | the rules as plain functions: regrowth, forage utility, tilt, welfare |
//! | [`learn`] | agents that learn: candle networks, their decisions, PPO training (`polity train`) |
//! | [`policy_file`] | a trained policy's file: its header, checked before anything runs |
//! | [`env`] | worlds driven from outside one tick at a time (the Python API: `python/`): one world as `polity run` steps it, many world models in parallel, the steering mechanism |
//! | [`rng`] | counter-based randomness keyed by (seed, tick, subject, purpose) |

/// Prints a line on stderr, as `eprintln!` does, but a stderr that cannot be written (closed,
/// or `2>/dev/full`) is no reason to panic: the command's exit status is what it would be.
#[macro_export]
macro_rules! tell_err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod agents;
#[cfg(feature = "gui")]
pub mod app;
pub mod belts;
pub mod checkpoint;
pub mod columns;
pub mod compare;
pub mod control;
pub mod cost;
pub mod decision;
pub mod env;
pub mod grid;
pub mod harvest;
pub mod hash;
pub mod impact;
pub mod impact_plan;
pub mod input;
pub mod json;
pub mod learn;
pub mod metrics;
pub mod model;
pub mod movement;
pub mod objects;
pub mod observe;
pub mod optimal;
pub mod outputs;
pub mod oversight;
pub mod paa;
pub mod paint;
pub mod parallel;
pub mod planner;
pub mod policy_file;
pub mod principal;
pub mod record;
pub mod rng;
pub mod rules;
pub mod run;
pub mod run_json;
pub mod scenario;
pub mod shadow;
pub mod shield;
pub mod sim;
pub mod social;

pub mod spanned_ron;
pub mod stats;
pub mod stop;
pub mod sum;
pub mod sweep;
pub mod tables;
pub mod tax;
pub mod theft;
pub mod utility;
pub mod vocab;
pub mod voting;
pub mod world;

/// The version of Polity, written into every run's `run.json`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `n` and `word`, plural unless `n` is 1: "1 tick", "2 ticks" (`word` takes an `s`).
pub fn plural(n: impl Into<u64>, word: &str) -> String {
    let n = n.into();
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}
