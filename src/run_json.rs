//! A run folder's `run.json`: the Polity version, the scenario's name, the seed and ticks, the
//! final state hash, the files written, the fully resolved scenario (and, for a PAA principal
//! or a shield, what its planner guarantees). `polity run DIR/run.json` repeats the run.
//!
//! It is written with [`crate::json`], so infinite numbers (`power: Fixed(inf)`, the voting
//! menu's `-inf`) are the strings `"inf"` and `"-inf"` and read back exactly. Files written
//! by Polity before that held `null` there; reading one says so and points at the
//! `scenario.ron` beside it, which kept the numbers.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::json;
use crate::planner::Guarantee;
use crate::run::RunSummary;
use crate::scenario::{Problem, Problems, Scenario, check_typed};

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
            scenario: resolved.clone(),
            planner_guarantee: crate::run::planner_guarantee(resolved),
        }
    }

    /// The file's text (pretty JSON, ending in a newline).
    pub fn to_text(&self) -> String {
        json::to_string_pretty(self).expect("run records serialise") + "\n"
    }
}

/// Just the scenario of a `run.json`: other fields are not needed to repeat the run.
#[derive(Deserialize)]
struct Repeat {
    #[serde(default)]
    scenario: Option<Scenario>,
}

/// The scenario of a `run.json`'s text, checked; `file` labels the problems.
pub fn scenario_of(src: &str, file: &str) -> Result<Scenario, Problems> {
    let one = |position, path: String, message: String, hint: Option<String>| {
        Problems(vec![Problem { file: file.to_string(), position, path, message, hint }])
    };
    let repeat: Repeat = json::from_str(src).map_err(|e| {
        let path = json::path_at(src, e.line, e.column).unwrap_or_default();
        let position = (e.line > 0).then_some((e.line, e.column));
        if e.null_number {
            let beside = Path::new(file).with_file_name("scenario.ron");
            one(
                position,
                path,
                format!(
                    "{}: older Polity versions wrote infinite numbers (`inf`, `-inf`) into run.json as null, which loses them, so this run cannot be repeated from its run.json",
                    json::NULL_NUMBER
                ),
                Some(format!(
                    "repeat it from the scenario.ron beside it, which kept them: `polity run {}` (it holds the same seed and ticks)",
                    beside.display()
                )),
            )
        } else {
            let hint = path.is_empty().then(|| "run.json files are written by `polity run`; use the one it wrote".into());
            one(position, path, e.message, hint)
        }
    })?;
    let Some(scenario) = repeat.scenario else {
        return Err(one(
            None,
            String::new(),
            "this JSON file has no `scenario` field; is it a run's run.json?".into(),
            None,
        ));
    };
    check_typed(scenario, file).map_err(|Problems(ps)| {
        Problems(
            ps.into_iter()
                .map(|mut p| {
                    p.position = p.position.or_else(|| json::position_of(src, &p.path));
                    p
                })
                .collect(),
        )
    })
}
