//! A run folder's `run.json`: the Polity version, the scenario's name, the seed and ticks, the
//! final state hash, the files written, the fully resolved scenario (and, for a PAA principal
//! or a shield, what its planner guarantees). `polity run DIR/run.json` repeats the run.
//!
//! It is written with [`crate::json`], so infinite numbers (`power: Fixed(inf)`, the voting
//! menu's `-inf`) are the strings `"inf"` and `"-inf"` and read back exactly. Files written
//! by Polity before that held `null` there; reading one says so and points at the
//! `scenario.ron` beside it, which kept the numbers.

use serde::{Deserialize, Serialize};

use crate::json;
use crate::planner::Guarantee;
use crate::run::RunSummary;
use crate::scenario::Scenario;

/// The files every run folder holds besides `run.json`.
pub const OUTPUTS: [&str; 4] = ["metrics.csv", "agents.csv", "events.jsonl", "scenario.ron"];

/// What `run.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunJson {
    /// The Polity version that wrote it.
    pub polity_version: String,
    /// The scenario's name.
    pub scenario_name: String,
    /// The seed used.
    pub seed: u64,
    /// Ticks run.
    pub ticks: u64,
    /// The final state hash, 16 hex digits.
    pub state_hash: String,
    /// The other files of the run folder.
    pub outputs: Vec<String>,
    /// The utility the welfare columns aggregate: `reward` (SED's) or `wealth` (the scenario's
    /// `utility`; absent in files from before it existed, which aggregated wealth).
    #[serde(default)]
    pub welfare_utility: String,
    /// The fully resolved scenario (`run.seed` and `run.ticks` as used).
    pub scenario: Scenario,
    /// What the principal's planner guarantees, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planner_guarantee: Option<Guarantee>,
}

impl RunJson {
    /// The record of a finished run of `resolved`.
    pub fn new(resolved: &Scenario, summary: &RunSummary) -> RunJson {
        RunJson {
            polity_version: crate::VERSION.to_string(),
            scenario_name: resolved.name.clone(),
            seed: summary.seed,
            ticks: summary.ticks,
            state_hash: format!("{:016x}", summary.state_hash),
            outputs: OUTPUTS.map(String::from).to_vec(),
            welfare_utility: resolved.utility.label().to_string(),
            scenario: resolved.clone(),
            planner_guarantee: crate::run::planner_guarantee(resolved),
        }
    }

    /// Reads the `run.json` in `dir` (None when it is missing or not one Polity wrote).
    pub fn read(dir: &std::path::Path) -> Option<RunJson> {
        json::from_str(&std::fs::read_to_string(dir.join("run.json")).ok()?).ok()
    }

    /// The file's text (pretty JSON, ending in a newline).
    pub fn to_text(&self) -> String {
        json::to_string_pretty(self).expect("run records serialise") + "\n"
    }
}

pub use crate::scenario::from_run_json as scenario_of;
