//! A run folder's `run.json`: the Polity version, the scenario's name, the seed and ticks, the
//! final state hash, the files written and a hash of each, the fully resolved scenario (and,
//! for a PAA principal or a shield, what its planner guarantees). `polity run DIR/run.json`
//! repeats the run.
//!
//! The hashes (FNV-1a, 64 bits, of each file's bytes) let a later run into the same folder
//! tell the files Polity wrote from files edited since ([`changed_files`]): a folder with a
//! changed file is the user's and is never replaced. `run.json`'s own hash is taken with its
//! value written as sixteen zeros.
//!
//! It is written with [`crate::json`], so infinite numbers (`power: Fixed(inf)`, the voting
//! menu's `-inf`) are the strings `"inf"` and `"-inf"` and read back exactly. Files written
//! by Polity before that held `null` there; reading one says so and points at the
//! `scenario.ron` beside it, which kept the numbers.

use std::collections::BTreeMap;
use std::path::Path;

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
    /// Each file's hash as written, `run.json` included (absent in files from before hashes
    /// were kept).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hashes: BTreeMap<String, String>,
    /// The utility the welfare columns aggregate: `reward` (SED's) or `wealth` (the scenario's
    /// `utility`; absent in files from before it existed, which aggregated wealth).
    #[serde(default)]
    pub welfare_utility: String,
    /// The policy files played, each with the hash of its weights as `train.json` gives it:
    /// repeating the run checks the files still hold them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<PlayedPolicy>,
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
            hashes: BTreeMap::new(),
            policies: played(resolved),
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

    /// Writes `run.json` into `dir`, which holds the run's other files, with every file's hash.
    pub fn write_sealed(mut self, dir: &Path) -> std::io::Result<()> {
        self.hashes.clear();
        for f in &self.outputs {
            self.hashes.insert(f.clone(), crate::hash::of_file(&dir.join(f))?);
        }
        self.hashes.insert(SELF.into(), ZEROS.into());
        let own = crate::hash::hex(self.to_text().as_bytes());
        self.hashes.insert(SELF.into(), own);
        std::fs::write(dir.join(SELF), self.to_text())
    }
}

pub use crate::policy_file::PlayedPolicy;

/// The policy files `s` plays, with their weights' hashes (a file that cannot be read, which
/// loading the scenario has ruled out, is left out).
pub fn played(s: &Scenario) -> Vec<PlayedPolicy> {
    s.weights_files()
        .into_iter()
        .filter_map(|(group, file)| {
            let hash = crate::policy_file::weights_hash(&file).ok()?;
            Some(PlayedPolicy { group, file, weights_hash: format!("{hash:016x}") })
        })
        .collect()
}

const SELF: &str = "run.json";
const ZEROS: &str = "0000000000000000";

/// The text of a sealed record named `own_name`: `record` (a JSON object) with `hashes`, the
/// hashes of `files` in `dir` and its own (of the text with that entry zeroed), as
/// [`changed_in`] checks them.
pub fn seal(mut record: serde_json::Value, dir: &Path, files: &[String], own_name: &str) -> std::io::Result<String> {
    let mut hashes = serde_json::Map::new();
    for f in files {
        hashes.insert(f.clone(), crate::hash::of_file(&dir.join(f))?.into());
    }
    hashes.insert(own_name.into(), ZEROS.into());
    record["hashes"] = hashes.into();
    let text = |r: &serde_json::Value| json::to_string_pretty(r).expect("records serialise") + "\n";
    let own = crate::hash::hex(text(&record).as_bytes());
    record["hashes"][own_name] = own.into();
    Ok(text(&record))
}

/// Which files of the run folder `dir` changed since Polity wrote them, given its `run.json`'s
/// text: those present whose hash no longer matches, `run.json` among them when it was edited.
/// `None` when `run.json` keeps no hashes (written before they were kept), so that changes
/// cannot be ruled out.
pub fn changed_files(dir: &Path, text: &str) -> Option<Vec<String>> {
    changed_in(dir, text, SELF)
}

/// [`changed_files`] for a sealed record named `own_name` in `dir` (its `hashes` hold its own
/// hash, taken with that entry zeroed: [`seal`]).
pub fn changed_in(dir: &Path, text: &str, own_name: &str) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let hashes = v.get("hashes")?.as_object()?;
    let own = hashes.get(own_name)?.as_str()?;
    let mut changed = Vec::new();
    let zeroed = text.replacen(&format!("\"{own_name}\": \"{own}\""), &format!("\"{own_name}\": \"{ZEROS}\""), 1);
    if zeroed == text || crate::hash::hex(zeroed.as_bytes()) != own {
        changed.push(own_name.to_string());
    }
    for (name, hash) in hashes.iter().filter(|(n, _)| n.as_str() != own_name) {
        let path = dir.join(name);
        if !path.is_file() {
            continue;
        }
        // A file gone between the look and the read (another run moving its folder into
        // place at that moment) is absent, as above, not changed.
        let now = match crate::hash::of_file(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            read => read.ok(),
        };
        if now.is_none() || hash.as_str() != now.as_deref() {
            changed.push(name.clone());
        }
    }
    Some(changed)
}

pub use crate::scenario::from_run_json as scenario_of;
