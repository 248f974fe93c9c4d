//! Steering a running world: the desktop app's intents (play, pause, step, speed, reset,
//! reseed, open, live parameter edits, selection) as plain logic over a headless [`Sim`], so
//! every button's effect is unit-tested without a window (`tests/suite/control.rs`).
//!
//! The app turns clicks and keys into [`Intent`]s and hands them to [`Control::apply`]; each
//! frame it asks [`Control::run_frame`] to advance the world by the ticks the speed setting
//! allows. Nothing here reads the wall clock: fast-forward asks the caller, through a closure,
//! whether the frame's time is up.
//!
//! Live edits (a bracket's tax rate, an agent group's power) change the running world at
//! once and are written to the world's [`EventLog`] as a `param_change` event — the tick, the
//! parameter's path in the scenario, the old and the new value — so a run steered by hand can
//! be repeated. [`History`] keeps what the app drains from the world each frame (every metrics
//! row, the last events) and writes the metrics as `polity run`'s `metrics.csv`.
//! [`snapshot_scenario`] writes the current world and parameters back as a scenario.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::agents::{
    Agent, AgentOrder, Ai, Decision, Ledger, MILLI, Policy, Position, Power, Reward, Selfishness, Weights,
};
use crate::grid::Terrain;
use crate::metrics::{EventLog, MetricsLog, SimEvent};
use crate::rules::tax::{PPM, rate_ppm};
use crate::scenario::{self, AsciiMap, Dist, Kind, MapSpec, Problems, Scenario, SpawnRule};
use crate::sim::{ScenarioRes, Sim};
use crate::tax::TaxState;
use crate::voting::Election;

/// The most ticks one frame runs at a fixed speed.
pub const MAX_TICKS_PER_FRAME: u32 = 1000;

/// Wall time one frame may spend on ticks in fast-forward, leaving the rest of a 60 fps
/// frame (16.7 ms) to painting and the UI.
pub const FAST_FORWARD_BUDGET: std::time::Duration = std::time::Duration::from_millis(12);

/// Events the app keeps (the newest; older ones are dropped, the count goes on).
pub const EVENTS_KEPT: usize = 2000;

/// Where the running scenario came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A built-in scenario, by name.
    Builtin(String),
    /// A `.ron` file (or a run's `run.json`).
    File(PathBuf),
}

impl Source {
    /// How the command line names a scenario: a built-in name (unless a file by that name
    /// exists), or a path.
    pub fn from_arg(arg: &str) -> Source {
        if !Path::new(arg).exists() && scenario::builtin(arg).is_some() {
            Source::Builtin(arg.to_string())
        } else {
            Source::File(PathBuf::from(arg))
        }
    }
    /// Loads and validates the scenario.
    pub fn load(&self) -> Result<Scenario, Problems> {
        match self {
            Source::Builtin(name) => scenario::load(name),
            Source::File(path) => scenario::load(&path.to_string_lossy()),
        }
    }
    /// The file to watch for changes, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Source::Builtin(_) => None,
            Source::File(p) => Some(p),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Builtin(name) => write!(f, "built-in `{name}`"),
            Source::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Something the user asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum Intent {
    /// Run.
    Play,
    /// Stop running.
    Pause,
    /// Run if paused, pause if running.
    TogglePause,
    /// Run exactly one tick now (pauses).
    Step,
    /// Ticks per frame while running (1 to [`MAX_TICKS_PER_FRAME`]); leaves fast-forward.
    SetTicksPerFrame(u32),
    /// As many ticks per frame as fit in [`FAST_FORWARD_BUDGET`].
    FastForward(bool),
    /// Rebuild the world from the scenario, at tick 0, with the same seed.
    Reset,
    /// Rebuild the world from the scenario, at tick 0, with this seed.
    Reseed(u64),
    /// Load a scenario and rebuild the world from it; on problems the running world stays.
    Open(Source),
    /// Load the current source again (its file changed).
    Reload,
    /// Set one bracket's tax rate, in [0, 1], from the next tick on.
    SetTaxRate {
        /// Bracket index.
        bracket: usize,
        /// The new rate.
        rate: f64,
    },
    /// Set the power of every agent of a group (index in the scenario's `agents`).
    SetGroupPower {
        /// Group index.
        group: u32,
        /// The new power (KL budget, nats, ≥ 0; `inf` is greedy).
        power: f64,
    },
    /// Set the oversight's audit probability, in (0, 1] (P_D follows).
    SetAuditProbability(f64),
    /// Set the oversight's penalty scale k (apples, ≥ 0).
    SetPenaltyK(f64),
    /// Set the principal's shield margin (apples of Q̂, ≥ 0).
    SetShieldMargin(f64),
    /// Select an agent for the inspector, or none.
    Select(Option<u32>),
}

/// What applying an intent did.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Settings changed; the world did not.
    Settings,
    /// The world ran this many ticks.
    Ticked(u64),
    /// The world was rebuilt at tick 0 (from a new scenario, seed, or the same ones).
    Rebuilt,
    /// A live parameter changed; the `param_change` event logged for it.
    ParamChanged(SimEvent),
}

/// Why an intent was refused. The running world is left as it was.
#[derive(Clone, Debug, PartialEq)]
pub enum ControlError {
    /// The scenario to open has problems (each with FILE:LINE:COLUMN).
    Scenario(Problems),
    /// The intent makes no sense for this world (no tax, no such group, …).
    Invalid(String),
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlError::Scenario(p) => write!(f, "{p}"),
            ControlError::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ControlError {}

/// How many ticks the next frame runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameTicks {
    /// None: paused.
    Paused,
    /// Exactly this many.
    Exactly(u32),
    /// As many as fit in the frame's time budget (at least one).
    AsManyAsFit,
}

/// The run settings the user steers, beside the world they steer.
#[derive(Clone, Debug)]
pub struct Control {
    /// Where the scenario came from.
    pub source: Source,
    /// The scenario the world was built from.
    pub scenario: Scenario,
    /// The seed of the world.
    pub seed: u64,
    /// The scenario's run length: the world pauses once when it gets there.
    pub end_tick: u64,
    /// Whether ticks are stopped.
    pub paused: bool,
    /// Ticks per frame while running.
    pub ticks_per_frame: u32,
    /// Whether fast-forward is on (overrides `ticks_per_frame`).
    pub fast_forward: bool,
    /// The agent shown in the inspector.
    pub selected: Option<u32>,
    /// Pause when the world reaches this tick (the end of the run; cleared once reached).
    pub stop_at: Option<u64>,
}

impl Control {
    /// Loads `source` and builds its world with `seed` (or the scenario's own), paused.
    pub fn start(source: Source, seed: Option<u64>) -> Result<(Control, Sim), ControlError> {
        if let Source::File(path) = &source
            && crate::checkpoint::is_checkpoint(path)
        {
            // A saved world: go on from it (the seed is the checkpoint's own).
            let invalid = |e: String| ControlError::Invalid(e);
            let cp = crate::checkpoint::load(path).map_err(|e| invalid(e.to_string()))?;
            let sim = Sim::restore(&cp).map_err(|e| invalid(e.to_string()))?;
            let control = Control {
                source,
                end_tick: cp.end_tick,
                stop_at: Some(cp.end_tick),
                scenario: cp.scenario,
                seed: cp.seed,
                paused: true,
                ticks_per_frame: 1,
                fast_forward: false,
                selected: None,
            };
            return Ok((control, sim));
        }
        let scenario = source.load().map_err(ControlError::Scenario)?;
        let seed = seed.unwrap_or(scenario.run.seed);
        let control = Control {
            source,
            end_tick: scenario.run.ticks,
            stop_at: Some(scenario.run.ticks),
            scenario,
            seed,
            paused: true,
            ticks_per_frame: 1,
            fast_forward: false,
            selected: None,
        };
        let sim = control.build();
        Ok((control, sim))
    }

    /// A fresh world of the current scenario and seed, at tick 0.
    pub fn build(&self) -> Sim {
        Sim::new(&self.scenario, self.seed, self.end_tick)
    }

    fn rebuild(&mut self, sim: &mut Sim) -> Effect {
        *sim = self.build();
        self.stop_at = Some(self.end_tick);
        let agents: u64 = self.scenario.agents.iter().map(|g| g.count as u64).sum();
        if self.selected.is_some_and(|id| id as u64 >= agents) {
            self.selected = None;
        }
        Effect::Rebuilt
    }

    /// How many ticks the next frame runs.
    pub fn ticks_this_frame(&self) -> FrameTicks {
        if self.paused {
            FrameTicks::Paused
        } else if self.fast_forward {
            FrameTicks::AsManyAsFit
        } else {
            FrameTicks::Exactly(self.ticks_per_frame.clamp(1, MAX_TICKS_PER_FRAME))
        }
    }

    /// Runs one frame's ticks and returns how many ran. In fast-forward it ticks until
    /// `out_of_time()` says the frame's budget is spent (checked after each tick, so at least
    /// one runs). The world pauses when it reaches the end of the run.
    pub fn run_frame(&mut self, sim: &mut Sim, mut out_of_time: impl FnMut() -> bool) -> u64 {
        let limit = match self.ticks_this_frame() {
            FrameTicks::Paused => return 0,
            FrameTicks::Exactly(k) => k as u64,
            FrameTicks::AsManyAsFit => u64::MAX,
        };
        let mut ran = 0;
        while ran < limit {
            if self.stop_at.is_some_and(|end| sim.tick() >= end) {
                self.stop_at = None;
                self.paused = true;
                break;
            }
            sim.step();
            ran += 1;
            if limit == u64::MAX && out_of_time() {
                break;
            }
        }
        ran
    }

    /// Applies an intent to the settings and the world.
    pub fn apply(&mut self, sim: &mut Sim, intent: Intent) -> Result<Effect, ControlError> {
        match intent {
            Intent::Play => {
                if self.stop_at.is_some_and(|end| sim.tick() >= end) {
                    // Going on past the end of the run, on purpose.
                    self.stop_at = None;
                }
                self.paused = false;
                Ok(Effect::Settings)
            }
            Intent::Pause => {
                self.paused = true;
                Ok(Effect::Settings)
            }
            Intent::TogglePause => {
                let intent = if self.paused { Intent::Play } else { Intent::Pause };
                self.apply(sim, intent)
            }
            Intent::Step => {
                self.paused = true;
                sim.step();
                Ok(Effect::Ticked(1))
            }
            Intent::SetTicksPerFrame(k) => {
                self.ticks_per_frame = k.clamp(1, MAX_TICKS_PER_FRAME);
                self.fast_forward = false;
                Ok(Effect::Settings)
            }
            Intent::FastForward(on) => {
                self.fast_forward = on;
                Ok(Effect::Settings)
            }
            Intent::Reset => Ok(self.rebuild(sim)),
            Intent::Reseed(seed) => {
                self.seed = seed;
                Ok(self.rebuild(sim))
            }
            Intent::Open(Source::File(path)) if crate::checkpoint::is_checkpoint(&path) => {
                let invalid = |e: String| ControlError::Invalid(e);
                let cp = crate::checkpoint::load(&path).map_err(|e| invalid(e.to_string()))?;
                let restored = Sim::restore(&cp).map_err(|e| invalid(e.to_string()))?;
                self.source = Source::File(path);
                self.seed = cp.seed;
                self.end_tick = cp.end_tick;
                self.scenario = cp.scenario;
                let effect = self.rebuild(sim);
                *sim = restored;
                Ok(effect)
            }
            Intent::Open(source) => {
                let scenario = source.load().map_err(ControlError::Scenario)?;
                let same_source = source == self.source;
                if !same_source {
                    self.seed = scenario.run.seed;
                }
                self.source = source;
                self.end_tick = scenario.run.ticks;
                self.scenario = scenario;
                Ok(self.rebuild(sim))
            }
            Intent::Reload => self.apply(sim, Intent::Open(self.source.clone())),
            Intent::SetTaxRate { bracket, rate } => self.set_tax_rate(sim, bracket, rate),
            Intent::SetGroupPower { group, power } => self.set_group_power(sim, group, power),
            Intent::SetAuditProbability(v) => set_oversight(sim, "oversight.audit_probability", v, |o, v| {
                let old = o.spec.audit_probability;
                if !(v > 0.0 && v <= 1.0) {
                    return Err(format!("an audit probability must be in (0, 1], found {v}"));
                }
                o.p_d *= v / old;
                o.spec.audit_probability = v;
                Ok(old)
            }),
            Intent::SetPenaltyK(v) => set_oversight(sim, "oversight.k", v, |o, v| {
                if !(v >= 0.0 && v.is_finite()) {
                    return Err(format!("k must be a finite number ≥ 0, found {v}"));
                }
                Ok(std::mem::replace(&mut o.spec.k, v))
            }),
            Intent::SetShieldMargin(v) => {
                if !(v >= 0.0 && v.is_finite()) {
                    return Err(ControlError::Invalid(format!("a margin must be a finite number ≥ 0, found {v}")));
                }
                let tick = sim.tick();
                let world = sim.world_mut();
                let old = {
                    let Some(mut s) = world.get_resource_mut::<crate::sim::ScenarioRes>() else {
                        return Err(ControlError::Invalid("no scenario".into()));
                    };
                    let Some(shield) = s.0.principal.as_mut().and_then(|p| p.shield.as_mut()) else {
                        return Err(ControlError::Invalid("this scenario's principal has no shield".into()));
                    };
                    std::mem::replace(&mut shield.margin, v)
                };
                // The shield's own copy of the rule (the scenario's is for snapshots).
                if let Some((rule, _)) = sim.part_mut::<crate::shield::Shield>().and_then(|s| s.rates.as_mut()) {
                    rule.margin = v;
                }
                Ok(log_change(sim.world_mut(), tick, "principal.shield.margin".into(), json!(old), json!(v)))
            }
            Intent::Select(id) => {
                if let Some(id) = id
                    && agent_entity(sim, id).is_none()
                {
                    return Err(ControlError::Invalid(format!("there is no agent {id}")));
                }
                self.selected = id;
                Ok(Effect::Settings)
            }
        }
    }

    fn set_tax_rate(&mut self, sim: &mut Sim, bracket: usize, rate: f64) -> Result<Effect, ControlError> {
        if !(0.0..=1.0).contains(&rate) {
            return Err(ControlError::Invalid(format!("a tax rate must be in [0, 1], found {rate}")));
        }
        let tick = sim.tick();
        let Some(tax) = sim.part_mut::<TaxState>() else {
            return Err(ControlError::Invalid("this scenario has no tax".into()));
        };
        let n = tax.schedule.rates.len();
        let Some(slot) = tax.schedule.rates.get_mut(bracket) else {
            return Err(ControlError::Invalid(format!("there is no tax bracket {bracket} (the tax has {n})")));
        };
        let old = *slot as f64 / PPM as f64;
        *slot = rate_ppm(rate);
        let new = *slot as f64 / PPM as f64;
        Ok(log_change(sim.world_mut(), tick, format!("tax.rates[{bracket}]"), json!(old), json!(new)))
    }

    fn set_group_power(&mut self, sim: &mut Sim, group: u32, power: f64) -> Result<Effect, ControlError> {
        if power.is_nan() || power < 0.0 {
            return Err(ControlError::Invalid(format!("power must be ≥ 0, found {power}")));
        }
        if group as usize >= self.scenario.agents.len() {
            return Err(ControlError::Invalid(format!("there is no agent group {group}")));
        }
        let tick = sim.tick();
        let world = sim.world_mut();
        let mut q = world.query::<(&Agent, &mut Power)>();
        let mut old: Vec<(u32, f64)> = Vec::new();
        for (a, mut p) in q.iter_mut(world) {
            if a.group == group {
                old.push((a.id, p.0));
                p.0 = power;
            }
        }
        old.sort_by_key(|(id, _)| *id);
        let old: Vec<f64> = old.into_iter().map(|(_, p)| p).collect();
        let old = match uniform(&old) {
            Some(v) => number(v),
            None => Value::Array(old.into_iter().map(number).collect()),
        };
        Ok(log_change(world, tick, format!("agents[{group}].power"), old, number(power)))
    }
}

/// A number as JSON; infinities as the strings `inf`/`-inf` (JSON has no infinity).
fn number(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { json!(format!("{v}")) }
}

fn uniform(v: &[f64]) -> Option<f64> {
    let first = *v.first()?;
    v.iter().all(|&x| x == first || (x.is_nan() && first.is_nan())).then_some(first)
}

/// Changes the oversight with `edit` (which returns the old value) and logs it.
fn set_oversight(
    sim: &mut Sim,
    parameter: &str,
    value: f64,
    edit: impl FnOnce(&mut crate::oversight::Oversight, f64) -> Result<f64, String>,
) -> Result<Effect, ControlError> {
    let tick = sim.tick();
    let old = {
        let Some(o) = sim.part_mut::<crate::oversight::Oversight>() else {
            return Err(ControlError::Invalid("this scenario has no oversight".into()));
        };
        edit(o, value).map_err(ControlError::Invalid)?
    };
    Ok(log_change(sim.world_mut(), tick, parameter.into(), json!(old), json!(value)))
}

fn log_change(world: &mut bevy::prelude::World, tick: u64, parameter: String, old: Value, new: Value) -> Effect {
    let event = SimEvent {
        tick,
        subject: "app".into(),
        event: crate::model::Event::ParamChange { parameter, old, new, by: "app" },
    };
    world.resource_mut::<EventLog>().push(event.clone());
    Effect::ParamChanged(event)
}

fn agent_entity(sim: &Sim, id: u32) -> Option<bevy::prelude::Entity> {
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
        policy: r.get::<Policy>().map(|p| format!("{:?}", p.0)).unwrap_or_default(),
        x: pos.x,
        y: pos.y,
        ledger: r.get::<Ledger>().copied().unwrap_or_default(),
        reward: r.get::<Reward>().map_or(0.0, |r| r.total),
        decision: r.get::<Decision>().copied().unwrap_or_default(),
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

/// What the app has drained from the world: every metrics row since tick 0 and the newest
/// [`EVENTS_KEPT`] events. The app is the world's only consumer of its logs.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// Metric column names (without `tick`).
    pub columns: Vec<String>,
    /// Every row: (tick, values in column order).
    pub rows: Vec<(u64, Vec<f64>)>,
    /// The newest events, oldest first.
    pub events: VecDeque<SimEvent>,
    /// Events seen in all.
    pub events_seen: u64,
    /// The newest event of each kind, however long ago (the principal's panel shows the last
    /// PAA decision and shield intervention even when newer events have pushed them out).
    pub latest: std::collections::BTreeMap<&'static str, SimEvent>,
}

impl History {
    /// An empty history for `sim`'s columns.
    pub fn new(sim: &Sim) -> History {
        let columns = sim.world().resource::<MetricsLog>().columns().iter().map(|c| c.to_string()).collect();
        History { columns, ..History::default() }
    }

    /// Drains the world's logs into the history (agent samples are dropped: the app reads
    /// agents directly). Returns the new events.
    pub fn take(&mut self, sim: &mut Sim) -> Vec<SimEvent> {
        let out = sim.drain();
        if self.columns.is_empty() {
            self.columns = sim.world().resource::<MetricsLog>().columns().iter().map(|c| c.to_string()).collect();
        }
        self.rows.extend(out.rows);
        let events = out.events;
        self.events_seen += events.len() as u64;
        for e in &events {
            if self.events.len() == EVENTS_KEPT {
                self.events.pop_front();
            }
            self.events.push_back(e.clone());
            self.latest.insert(e.kind(), e.clone());
        }
        events
    }

    /// The index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The latest value of a column.
    pub fn last(&self, name: &str) -> Option<f64> {
        let i = self.column(name)?;
        self.rows.last().map(|(_, r)| r[i])
    }

    /// A column as (tick, value) points, at most about `max_points` of them: beyond that,
    /// every k-th row (and always the last), so a long run still plots quickly.
    pub fn series(&self, name: &str, max_points: usize) -> Vec<[f64; 2]> {
        let Some(i) = self.column(name) else { return Vec::new() };
        let n = self.rows.len();
        let stride = n.div_ceil(max_points.max(1)).max(1);
        let mut out: Vec<[f64; 2]> = self.rows.iter().step_by(stride).map(|(t, r)| [*t as f64, r[i]]).collect();
        if let Some((t, r)) = self.rows.last()
            && out.last().is_some_and(|p| p[0] != *t as f64)
        {
            out.push([*t as f64, r[i]]);
        }
        out
    }

    /// Every row as CSV, in the format of `polity run`'s `metrics.csv`.
    pub fn metrics_csv(&self) -> String {
        let mut s = String::from("tick");
        for c in &self.columns {
            s.push(',');
            s.push_str(c);
        }
        s.push('\n');
        for (tick, row) in &self.rows {
            s.push_str(&tick.to_string());
            for v in row {
                s.push(',');
                s.push_str(&v.to_string());
            }
            s.push('\n');
        }
        s
    }

    /// The event kinds seen among the kept events, sorted.
    pub fn event_kinds(&self) -> Vec<&'static str> {
        let set: BTreeSet<&'static str> = self.events.iter().map(|e| e.kind()).collect();
        set.into_iter().collect()
    }
}

/// The cell an event happened at, when it has one.
pub fn event_cell(e: &SimEvent) -> Option<(u32, u32)> {
    e.event.cell()
}

const DIRS: [crate::scenario::Dir; 4] =
    [crate::scenario::Dir::North, crate::scenario::Dir::East, crate::scenario::Dir::South, crate::scenario::Dir::West];
/// Belt characters of the default legend, by [`DIRS`].
const BELT: [char; 4] = ['^', '>', 'v', '<'];
/// Snapshot legend characters of a vase (row 0) or a box (row 1) on a belt, by [`DIRS`].
const OBJECT_ON_BELT: [[char; 4]; 2] = [['n', 'e', 's', 'w'], ['N', 'E', 'S', 'Z']];

/// The scenario that rebuilds the current world: the running scenario with the live
/// parameters (tax rates, the elected `p` as the initial one, each agent's σ and power), the
/// map redrawn from the grid (apples standing `A`, grass without an apple `g` — eaten or lost
/// — walls `W`, spawn points `P`, floor ` `; vases `V`, boxes `X`, belts `^ > v <`, and objects
/// on belts by legend entries), and every agent spawned `At` its current cell,
/// in id order, so ids are kept. Ledgers, rewards and the principal's memory start afresh.
pub fn snapshot_scenario(sim: &Sim) -> Scenario {
    let w = sim.world();
    let clock = sim.clock();
    let mut s = w.resource::<ScenarioRes>().0.clone();
    s.name = format!("{}-t{}", s.name, clock.tick);
    s.description =
        format!("snapshot of `{}` (seed {}) at tick {}", w.resource::<ScenarioRes>().0.name, clock.seed, clock.tick);
    s.run.seed = clock.seed;

    let grid = sim.grid();
    let (gw, gh) = (grid.width(), grid.height());
    let mut spawn = vec![false; (gw * gh) as usize];
    for i in grid.spawn_points() {
        spawn[i as usize] = true;
    }
    let rows = (0..gh)
        .map(|y| {
            (0..gw)
                .map(|x| {
                    let i = grid.index(x, y);
                    let belt = grid.objects.belt(i);
                    if let Some(o) = grid.objects.at(i) {
                        let k = match o.kind {
                            crate::objects::ObjectKind::Vase => 0,
                            crate::objects::ObjectKind::Box => 1,
                        };
                        let on_belt = belt.map(|d| DIRS.iter().position(|&x| x == d).unwrap());
                        return match on_belt {
                            None => ['V', 'X'][k],
                            Some(d) => OBJECT_ON_BELT[k][d],
                        };
                    }
                    if let Some(d) = belt {
                        return BELT[DIRS.iter().position(|&x| x == d).unwrap()];
                    }
                    match grid.terrain(i) {
                        Terrain::Wall => 'W',
                        Terrain::Grass if grid.has_apple(i) => 'A',
                        Terrain::Grass => 'g',
                        Terrain::Floor if spawn[i] => 'P',
                        Terrain::Floor => ' ',
                    }
                })
                .collect()
        })
        .collect();
    let mut legend = std::collections::BTreeMap::new();
    if !grid.objects.is_empty() {
        for (d, &dir) in DIRS.iter().enumerate() {
            legend.insert(OBJECT_ON_BELT[0][d], crate::scenario::Tile::VaseOnBelt(dir));
            legend.insert(OBJECT_ON_BELT[1][d], crate::scenario::Tile::BoxOnBelt(dir));
        }
    }
    s.map = MapSpec::Ascii(AsciiMap { rows, legend });

    struct Standing {
        id: u32,
        group: u32,
        sigma: f64,
        power: f64,
        cell: (u32, u32),
        weights: Option<Weights>,
        policy: Option<Policy>,
    }
    let mut agents: Vec<Standing> = Vec::new();
    if let Some(order) = w.get_resource::<AgentOrder>() {
        for &e in &order.0 {
            let Ok(r) = w.get_entity(e) else { continue };
            let (Some(a), Some(p)) = (r.get::<Agent>(), r.get::<Position>()) else { continue };
            agents.push(Standing {
                id: a.id,
                group: a.group,
                sigma: r.get::<Selfishness>().map_or(0.0, |s| s.0),
                power: r.get::<Power>().map_or(0.0, |p| p.0),
                cell: (p.x, p.y),
                weights: r.get::<Weights>().copied(),
                policy: r.get::<Policy>().cloned(),
            });
        }
    }
    agents.sort_by_key(|a| a.id);
    for (g, group) in s.agents.iter_mut().enumerate() {
        let mine: Vec<&Standing> = agents.iter().filter(|a| a.group == g as u32).collect();
        let sigmas: Vec<f64> = mine.iter().map(|a| a.sigma).collect();
        let powers: Vec<f64> = mine.iter().map(|a| a.power).collect();
        let dist = |v: Vec<f64>| match uniform(&v) {
            Some(x) => Dist::Fixed(x),
            None => Dist::Each(v),
        };
        group.count = mine.len() as u32;
        if !mine.is_empty() {
            group.selfishness = dist(sigmas);
            group.power = dist(powers);
            if let Some(wt) = mine[0].weights {
                group.weights = wt.0;
            }
            if let Some(p) = &mine[0].policy {
                group.policy = p.0.clone();
            }
        }
        group.spawn = SpawnRule::At(mine.iter().map(|a| a.cell).collect());
    }

    if let (Some(spec), Some(tax)) = (s.tax.as_mut(), sim.part::<TaxState>()) {
        spec.rates = Some(tax.rates());
    }
    if let (Some(spec), Some(e)) = (s.voting.as_mut(), sim.part::<Election>()) {
        spec.initial = Some(e.elected);
    }
    s
}

/// [`snapshot_scenario`] as RON, with a comment saying where it came from.
pub fn snapshot_ron(sim: &Sim) -> String {
    let s = snapshot_scenario(sim);
    let clock = sim.clock();
    format!(
        "// {}, written by `polity gui`.\n// The map is the grid at that tick (A apple, g grass without an apple, W wall, P spawn\n// point); agents start `At` the cells they stood on, with their σ and power then. Ledgers,\n// rewards and the principal's memory start afresh, and ticks count from 0 again.\n// Run it: polity run FILE.ron   (seed {})\n{}\n",
        s.description,
        clock.seed,
        scenario::to_ron(&s)
    )
}

/// Writes `contents` to `path` atomically (a temporary file beside it, flushed, renamed),
/// creating its folder. Never replaces a file: exports take fresh names ([`export_path`]).
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    crate::outputs::write_file(path, contents, false)
}

/// A fresh file name in `dir`: `STEM.EXT`, or `STEM-2.EXT`, `STEM-3.EXT`, … when taken.
pub fn export_path(dir: &Path, stem: &str, ext: &str) -> PathBuf {
    let first = dir.join(format!("{stem}.{ext}"));
    if !first.exists() {
        return first;
    }
    (2u32..).map(|k| dir.join(format!("{stem}-{k}.{ext}"))).find(|p| !p.exists()).expect("some name is free")
}

/// The stem of export names for the world now: `NAME-seedS-tTICK`.
pub fn export_stem(sim: &Sim) -> String {
    let w = sim.world();
    let clock = sim.clock();
    format!("{}-seed{}-t{}", crate::outputs::file_stem(&w.resource::<ScenarioRes>().0.name), clock.seed, clock.tick)
}

/// Apples as a plain number from milli-apples.
pub fn apples(milli: i64) -> f64 {
    milli as f64 / MILLI as f64
}
