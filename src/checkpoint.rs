//! Checkpoints: the whole state of a world between two ticks — clock, grid, every agent's
//! components, taxes, the election, the principal, oversight, the shield's totals, the
//! inaction shadows and the impact accounting — saved as a versioned RON file and restored so
//! that the world goes on exactly as if it had never stopped (a test checks byte-identical run
//! folders).
//!
//! What is *not* saved is what the scenario determines: the social graph's shape, the map's
//! patches, who is human or AI. A checkpoint carries its resolved scenario, and restoring
//! builds the world from it, then overwrites every piece of state that changes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::agents::{Agent, AgentOrder, Decision, Ledger, Policy, Position, Power, Reward, Selfishness, Weights};
use crate::grid::Grid;
use crate::impact::Impact;

use crate::model::WorldModel;
use crate::oversight::{Oversight, Violations};
use crate::principal::Principal;
use crate::scenario::{PolicySpec, Scenario, UtilityWeights};
use crate::shield::ShieldStats;
use crate::sim::{RunSettings, ScenarioRes, Sim, SimClock};
use crate::tax::TaxState;
use crate::voting::Election;

/// The checkpoint format this Polity writes and reads.
pub const FORMAT: u32 = 1;

/// One agent's changing state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AgentState {
    /// Stable id.
    pub id: u32,
    /// Where it stands.
    pub position: Position,
    /// σ (live edits can change it).
    pub selfishness: f64,
    /// Power (live edits can change it).
    pub power: f64,
    /// Utility weights.
    pub weights: UtilityWeights,
    /// Policy.
    pub policy: PolicySpec,
    /// Ledger.
    pub ledger: Ledger,
    /// SED reward.
    pub reward: Reward,
    /// Last decision.
    pub decision: Decision,
    /// Violations of the audit period under way.
    pub violations: Vec<(u64, i64)>,
}

/// Where a checkpointed run folder stood: its staged files' lengths when the checkpoint was
/// written, so a resumed run cuts them back there and carries on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunMark {
    /// The run folder the run will become.
    pub out: PathBuf,
    /// Ticks between checkpoints.
    pub every: u64,
    /// Bytes of `metrics.csv`, `agents.csv` and `events.jsonl` written so far.
    pub bytes: [u64; 3],
    /// Events written so far.
    pub events: u64,
    /// The last metrics row written.
    pub last: Vec<f64>,
}

/// The whole state of a world between two ticks.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checkpoint {
    /// [`FORMAT`].
    pub format: u32,
    /// The Polity version that wrote it.
    pub polity_version: String,
    /// The resolved scenario the world was built from.
    pub scenario: Scenario,
    /// The run's seed.
    pub seed: u64,
    /// The tick the run ends at.
    pub end_tick: u64,
    /// The clock.
    pub clock: SimClock,
    /// Cells, apples, patches, occupancy, objects.
    pub grid: Grid,
    /// Every agent, in id order.
    pub agents: Vec<AgentState>,
    /// Taxes.
    pub tax: Option<TaxState>,
    /// The election.
    pub election: Option<Election>,
    /// The principal.
    pub principal: Option<Principal>,
    /// Oversight and its totals.
    pub oversight: Option<Oversight>,
    /// The shield's totals.
    pub shield: Option<ShieldStats>,
    /// The SUM harm shadow (the AI-inaction world).
    pub harm_shadow: Option<WorldModel>,
    /// Impact accounting, with its naive-inaction shadow.
    pub impact: Option<Impact>,
    /// For a checkpointed `polity run`: where its run folder stood.
    pub run: Option<RunMark>,
}

/// Why a checkpoint could not be read.
#[derive(Debug)]
pub struct CheckpointError(pub String);

impl std::fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CheckpointError {}

impl Sim {
    /// The world's whole state, between ticks.
    pub fn checkpoint(&mut self) -> Checkpoint {
        let w = self.world_mut();
        let scenario = w.resource::<ScenarioRes>().0.clone();
        let end_tick = w.resource::<RunSettings>().end_tick;
        let clock = *w.resource::<SimClock>();
        let order = w.resource::<AgentOrder>().0.clone();
        let agents = order
            .iter()
            .map(|&e| {
                let r = w.entity(e);
                AgentState {
                    id: r.get::<Agent>().expect("agent").id,
                    position: *r.get::<Position>().expect("position"),
                    selfishness: r.get::<Selfishness>().expect("σ").0,
                    power: r.get::<Power>().expect("power").0,
                    weights: r.get::<Weights>().expect("weights").0,
                    policy: r.get::<Policy>().expect("policy").0.clone(),
                    ledger: *r.get::<Ledger>().expect("ledger"),
                    reward: *r.get::<Reward>().expect("reward"),
                    decision: *r.get::<Decision>().expect("decision"),
                    violations: r.get::<Violations>().map_or_else(Vec::new, |v| v.0.clone()),
                }
            })
            .collect();
        let principal = w.query::<&Principal>().iter(w).next().cloned();
        Checkpoint {
            format: FORMAT,
            polity_version: crate::VERSION.to_string(),
            seed: clock.seed,
            end_tick,
            clock,
            grid: w.resource::<Grid>().clone(),
            agents,
            tax: w.get_resource::<TaxState>().cloned(),
            election: w.get_resource::<Election>().cloned(),
            principal,
            oversight: w.get_resource::<Oversight>().cloned(),
            shield: w.get_resource::<ShieldStats>().cloned(),
            harm_shadow: w.get_resource::<crate::sum::InactionShadow>().map(|s| s.0.clone()),
            impact: w.get_resource::<Impact>().cloned(),
            run: None,
            scenario,
        }
    }

    /// Rebuilds the world a checkpoint was taken of. Its logs start empty: the next rows are
    /// those of the next tick.
    pub fn restore(cp: &Checkpoint) -> Result<Sim, CheckpointError> {
        let agents: u64 = cp.scenario.agents.iter().map(|g| g.count as u64).sum();
        if agents != cp.agents.len() as u64 {
            return Err(CheckpointError(format!(
                "the checkpoint has {} agents but its scenario makes {agents}; the file is damaged",
                cp.agents.len()
            )));
        }
        let mut sim = Sim::new(&cp.scenario, cp.seed, cp.end_tick);
        let w = sim.world_mut();
        *w.resource_mut::<SimClock>() = cp.clock;
        w.insert_resource(cp.grid.clone());
        let order = w.resource::<AgentOrder>().0.clone();
        for (&e, a) in order.iter().zip(&cp.agents) {
            let mut r = w.entity_mut(e);
            if r.get::<Agent>().map(|x| x.id) != Some(a.id) {
                return Err(CheckpointError(format!("agent {} is out of order in the checkpoint", a.id)));
            }
            r.insert((
                a.position,
                Selfishness(a.selfishness),
                Power(a.power),
                Weights(a.weights),
                Policy(a.policy.clone()),
                a.ledger,
                a.reward,
                a.decision,
                Violations(a.violations.clone()),
            ));
        }
        macro_rules! put {
            ($value:expr, $ty:ty) => {
                match $value.clone() {
                    Some(v) => {
                        w.insert_resource(v);
                    }
                    None => {
                        w.remove_resource::<$ty>();
                    }
                }
            };
        }
        put!(cp.tax, TaxState);
        put!(cp.election, Election);
        put!(cp.oversight, Oversight);
        put!(cp.shield, ShieldStats);
        put!(cp.impact, Impact);
        match &cp.harm_shadow {
            Some(m) => {
                w.insert_resource(crate::sum::InactionShadow(m.clone()));
            }
            None => {
                w.remove_resource::<crate::sum::InactionShadow>();
            }
        }
        if let Some(p) = &cp.principal {
            let mut q = w.query::<&mut Principal>();
            if let Some(mut mine) = q.iter_mut(w).next() {
                *mine = p.clone();
            }
        }
        crate::metrics::drain(w);
        Ok(sim)
    }
}

/// Writes `cp` to `path` atomically (a temporary file beside it, then a rename).
pub fn save(cp: &Checkpoint, path: &Path) -> std::io::Result<()> {
    let text = ron::to_string(cp).map_err(std::io::Error::other)?;
    crate::outputs::write_file(path, (text + "\n").as_bytes(), true)
}

/// Whether the file at `path` looks like a checkpoint (it starts with `(format:`).
pub fn is_checkpoint(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).is_ok_and(|n| head[..n].starts_with(b"(format:"))
}

/// Reads a checkpoint, with the file, line and column of anything wrong in it.
pub fn load(path: &Path) -> Result<Checkpoint, CheckpointError> {
    let file = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| CheckpointError(format!("{file}: cannot read: {e}")))?;
    if !text.starts_with("(format:") {
        return Err(CheckpointError(format!(
            "{file}: not a Polity checkpoint (it should start with `(format:`)\n    hint: checkpoints are written by `polity run --checkpoint-every T` and the app's Save checkpoint"
        )));
    }
    // The format first, so a file from another version gets a clear message, not a field error.
    let format = text["(format:".len()..].trim_start().split(|c: char| !c.is_ascii_digit()).next();
    if let Some(v) = format.and_then(|s| s.parse::<u32>().ok())
        && v != FORMAT
    {
        return Err(CheckpointError(format!(
            "{file}: checkpoint format {v}; this Polity ({}) reads format {FORMAT}",
            crate::VERSION
        )));
    }
    let opts = ron::Options::default();
    opts.from_str::<Checkpoint>(&text).map_err(|e| {
        CheckpointError(format!(
            "{file}:{}:{}: {} (the checkpoint is damaged)",
            e.span.start.line, e.span.start.col, e.code
        ))
    })
}
