//! The app's intents (play, pause, step, speed, reset, reseed, open, live edits, selection)
//! and the run controls they steer: [`Control`] applies them to a headless [`Sim`] and runs
//! each frame's ticks.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::metrics::SimEvent;
use crate::scenario::{self, Problems, Scenario};
use crate::sim::Sim;

use super::edit::{log_change, set_oversight};
use super::view::agent_entity;

/// The most ticks one frame runs at a fixed speed.
pub const MAX_TICKS_PER_FRAME: u32 = 1000;

/// Wall time one frame may spend on ticks in fast-forward, leaving the rest of a 60 fps
/// frame (16.7 ms) to painting and the UI.
pub const FAST_FORWARD_BUDGET: std::time::Duration = std::time::Duration::from_millis(12);

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
    /// exists: then loading it says the name is both), or a path.
    pub fn from_arg(arg: &str) -> Source {
        if !Path::new(arg).is_file() && scenario::builtin(arg).is_some() {
            Source::Builtin(arg.to_string())
        } else {
            Source::File(PathBuf::from(arg))
        }
    }
    /// Loads and validates the scenario.
    pub fn load(&self) -> Result<Scenario, Problems> {
        match self {
            Source::Builtin(name) => match scenario::builtin(name) {
                Some(b) => b.scenario(),
                None => scenario::load(name),
            },
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
    /// Trained policies the scenario's groups play (`--policy GROUP=FILE`), kept while the
    /// same source is reopened.
    pub policies: Vec<(String, String)>,
}

/// `source`'s scenario with the groups in `policies` playing their trained files.
fn load_source(source: &Source, policies: &[(String, String)]) -> Result<Scenario, ControlError> {
    let mut s = source.load().map_err(ControlError::Scenario)?;
    for (group, file) in policies {
        crate::learn::play_file(&mut s, group, file, &format!("--policy {group}={file}"))
            .map_err(ControlError::Invalid)?;
    }
    Ok(s)
}

impl Control {
    /// Loads `source` and builds its world with `seed` (or the scenario's own), paused.
    pub fn start(source: Source, seed: Option<u64>) -> Result<(Control, Sim), ControlError> {
        Control::start_with(source, seed, Vec::new())
    }

    /// [`Control::start`] with groups playing trained policies (`(group, file)`).
    pub fn start_with(
        source: Source,
        seed: Option<u64>,
        policies: Vec<(String, String)>,
    ) -> Result<(Control, Sim), ControlError> {
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
                policies: Vec::new(),
            };
            return Ok((control, sim));
        }
        let scenario = load_source(&source, &policies)?;
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
            policies,
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
                let same_source = source == self.source;
                // Trained policies stay with their scenario's source.
                let policies = if same_source { self.policies.clone() } else { Vec::new() };
                let scenario = load_source(&source, &policies)?;
                self.policies = policies;
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
                    let n = sim.core().agents.len();
                    let ids = if n == 0 {
                        "the world has no agents".to_string()
                    } else {
                        format!("agents are 0 to {}", n - 1)
                    };
                    return Err(ControlError::Invalid(format!("there is no agent {id}; {ids}")));
                }
                self.selected = id;
                Ok(Effect::Settings)
            }
        }
    }
}
