//! A training folder, as `polity train SCENARIO --out DIR` writes it and `--resume DIR` reads
//! it back:
//!
//! - `learning.csv`: one row per update and learning group ([`Row`]); `learning.png`: the
//!   groups' mean return per update;
//! - `policies/GROUP.safetensors`: each group's policy ([`crate::policy_file`]);
//! - `scenario.ron`: the scenario trained in; `train.json`: version, seed, worlds, the PPO
//!   settings, updates done, each policy's weight hash, and `scenario.ron`'s hash (a resume
//!   refuses an edited scenario);
//! - `state.safetensors`: weights, optimiser moments and counters, to resume from.
//!
//! Every file is written atomically (a temporary file, then a rename) after each update, the
//! state before `train.json`, so a killed training resumes from its last finished update and
//! goes on exactly as if never stopped. A new training needs an absent or empty folder; Polity
//! never writes into a folder that is not its own training folder.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::train::{Trainer, UpdateReport};
use crate::outputs::{self, Refused};
use crate::scenario::{self, Scenario};

/// What `train.json` says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainJson {
    /// The Polity that wrote it.
    pub polity_version: String,
    /// Always `polity-train`.
    pub kind: String,
    /// The scenario's name.
    pub scenario_name: String,
    /// The training seed.
    pub seed: u64,
    /// Worlds per update.
    pub envs: u32,
    /// Ticks per episode.
    pub episode_ticks: u64,
    /// Updates finished.
    pub updates_done: u32,
    /// The PPO settings.
    pub learning: scenario::LearningSpec,
    /// Each policy: group, file, weight hash.
    pub policies: Vec<PolicyEntry>,
    /// FNV-1a of `scenario.ron` as written (16 hex digits): a resumed training goes on only
    /// under the scenario it started with (absent in folders from before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_hash: Option<String>,
}

/// One policy in `train.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyEntry {
    /// The group.
    pub group: String,
    /// Its file, relative to the folder.
    pub file: String,
    /// FNV-1a of its weights in name order (16 hex digits).
    pub weights_hash: String,
}

/// The kind tag of `train.json`.
pub const KIND: &str = "polity-train";

/// One row of `learning.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The update (1 first).
    pub update: u32,
    /// Episodes played so far (each world of each update is one).
    pub episodes: u64,
    /// The learning group.
    pub group: String,
    /// Its agents' mean undiscounted return in this update's episodes.
    pub mean_return: f64,
    /// The acting policy's mean entropy.
    pub entropy: f64,
    /// Approximate KL between the policies before and after the update.
    pub approx_kl: f64,
    /// Fraction of samples clipped.
    pub clip_fraction: f64,
    /// The value loss.
    pub value_loss: f64,
    /// Apples picked per episode, by everyone (mean over the worlds).
    pub apples_picked: f64,
    /// Patches alive at the episodes' end.
    pub patches_alive: f64,
    /// Gini of the utilities at the end.
    pub gini: f64,
    /// Mean wealth at the end.
    pub welfare_mean: f64,
}

/// The rows of an update's report.
pub fn rows(r: &UpdateReport) -> Vec<Row> {
    r.groups
        .iter()
        .map(|g| Row {
            update: r.update,
            episodes: r.episodes,
            group: g.group.clone(),
            mean_return: g.mean_return,
            entropy: g.stats.entropy,
            approx_kl: g.stats.approx_kl,
            clip_fraction: g.stats.clip_fraction,
            value_loss: g.stats.value_loss,
            apples_picked: r.metrics.apples_picked,
            patches_alive: r.metrics.patches_alive,
            gini: r.metrics.gini,
            welfare_mean: r.metrics.welfare_mean,
        })
        .collect()
}

/// A training and the folder it writes.
#[derive(Debug)]
pub struct Session {
    /// The training.
    pub trainer: Trainer,
    /// The folder (absolute).
    pub dir: PathBuf,
    /// `learning.csv`'s rows so far.
    pub rows: Vec<Row>,
}

/// Checks that a new training may write `dir`: not refused ([`outputs::resolve`]), and absent
/// or an empty folder.
pub fn check_new(dir: &Path) -> Result<PathBuf, Refused> {
    let abs = outputs::resolve(dir)?;
    let shown = dir.display();
    match std::fs::symlink_metadata(&abs) {
        Err(_) => Ok(abs),
        Ok(m) if !m.is_dir() => Err(Refused(format!("{shown}: is a file, not a folder; choose another --out"))),
        Ok(_) => {
            let empty = std::fs::read_dir(&abs).map(|mut d| d.next().is_none()).unwrap_or(false);
            if empty {
                Ok(abs)
            } else if abs.join("train.json").is_file() {
                Err(Refused(format!(
                    "{shown}: holds a training already\n    hint: go on with it with `polity train --resume {shown}`, or choose another --out"
                )))
            } else {
                Err(Refused(format!(
                    "{shown}: the folder exists and is not empty; a new training needs a new or empty folder\n    hint: choose another --out"
                )))
            }
        }
    }
}

impl Session {
    /// A new training of `scenario` with `seed` into `dir` (checked by [`check_new`]); nothing
    /// is written until the first update finishes.
    pub fn new(scenario: &Scenario, seed: u64, envs: Option<u32>, dir: PathBuf) -> Result<Session, String> {
        Ok(Session { trainer: Trainer::new(scenario, seed, envs)?, dir, rows: Vec::new() })
    }

    /// The training's estimated peak memory ([`crate::cost::training`]) on the pool's threads.
    pub fn memory(&self) -> crate::cost::Estimate {
        let t = &self.trainer;
        crate::cost::training(&t.scenario, rayon::current_num_threads(), t.envs as u64, t.episode)
    }

    /// Reopens the training in `dir`: its scenario, seed and worlds from its files, its state
    /// from `state.safetensors`, its rows up to the state's update.
    pub fn resume(dir: &Path) -> Result<Session, String> {
        let shown = dir.display();
        let abs = outputs::absolute(dir).map_err(|e| format!("{shown}: {e}"))?;
        let text = std::fs::read_to_string(abs.join("train.json")).map_err(|e| {
            format!("{shown}: no training to resume here (cannot read train.json: {e})\n    hint: give the --out folder of an earlier `polity train`")
        })?;
        let meta: TrainJson =
            serde_json::from_str(&text).map_err(|e| format!("{shown}/train.json: not Polity's ({e})"))?;
        if meta.kind != KIND {
            return Err(format!("{shown}/train.json: not a training's (kind `{}`)", meta.kind));
        }
        let scenario_path = abs.join("scenario.ron");
        if let Some(written) = &meta.scenario_hash {
            let now = crate::hash::of_file(&scenario_path)
                .map_err(|e| format!("{shown}/scenario.ron: cannot read it ({e})"))?;
            if &now != written {
                return Err(format!(
                    "{shown}/scenario.ron: changed since the training wrote it (its hash no longer matches train.json's); \
                     a resumed training goes on only under the scenario it started with, or it would not end as one never \
                     stopped\n    hint: put the file back as it was; to train under the edited scenario, start a new training \
                     (`polity train EDITED.ron --out NEW`), which can start from these weights (`Learned(weights: \"{shown}/policies/GROUP.safetensors\")`)"
                ));
            }
        }
        let s = scenario::load(&scenario_path.to_string_lossy()).map_err(|p| p.to_string())?;
        let mut trainer = Trainer::new(&s, meta.seed, Some(meta.envs))?;
        let state = std::fs::read(abs.join("state.safetensors"))
            .map_err(|e| format!("{shown}/state.safetensors: cannot read it ({e})"))?;
        trainer.load_state(&state).map_err(|e| format!("{shown}/state.safetensors: {e}"))?;
        let mut rows = Vec::new();
        let mut reader = csv::Reader::from_path(abs.join("learning.csv"))
            .map_err(|e| format!("{shown}/learning.csv: cannot read it ({e})"))?;
        for row in reader.deserialize::<Row>() {
            let row = row.map_err(|e| format!("{shown}/learning.csv: {e}"))?;
            if row.update <= trainer.updates_done {
                rows.push(row);
            }
        }
        Ok(Session { trainer, dir: abs, rows })
    }

    /// Runs updates until `target` are done, saving the folder after each. `tick(update,
    /// ticks)` reports progress within an update; `done` each finished update. Stops early,
    /// with the folder at its last finished update, when SIGINT or SIGTERM arrives
    /// (`Interrupted`).
    pub fn run(
        &mut self,
        target: u32,
        tick: &mut dyn FnMut(u32, u64),
        done: &mut dyn FnMut(&UpdateReport),
    ) -> io::Result<()> {
        while self.trainer.updates_done < target {
            let next = self.trainer.updates_done + 1;
            let report = self
                .trainer
                .update(&mut |t| {
                    tick(next, t);
                    !outputs::interrupted()
                })
                .map_err(io::Error::other)?;
            let Some(report) = report else {
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    format!(
                        "interrupted during update {next}; {} holds {} (go on with `polity train --resume {}`)",
                        self.dir.display(),
                        crate::plural(self.trainer.updates_done, "finished update"),
                        self.dir.display()
                    ),
                ));
            };
            self.rows.extend(rows(&report));
            self.save()?;
            done(&report);
        }
        Ok(())
    }

    /// The learning curves: each group's mean return per update.
    pub fn plot(&self) -> Option<crate::paint::Canvas> {
        let mut series: Vec<crate::paint::chart::Series> = Vec::new();
        for r in &self.rows {
            match series.iter_mut().find(|s| s.label == r.group) {
                Some(s) => s.points.push((r.update as f64, r.mean_return, 0.0)),
                None => series.push(crate::paint::chart::Series {
                    label: r.group.clone(),
                    points: vec![(r.update as f64, r.mean_return, 0.0)],
                }),
            }
        }
        let t = &self.trainer;
        crate::paint::chart::lines(
            &format!("{}: mean return per update", t.scenario.name),
            &format!(
                "seed {}, {} per update, {} ticks each",
                t.seed,
                crate::plural(t.envs as u64, "episode"),
                t.episode
            ),
            "update",
            &series,
        )
    }

    /// Writes every file of the folder for the updates done.
    pub fn save(&self) -> io::Result<()> {
        let t = &self.trainer;
        std::fs::create_dir_all(self.dir.join("policies"))?;
        let mut csv = csv::Writer::from_writer(Vec::new());
        for r in &self.rows {
            csv.serialize(r).map_err(io::Error::other)?;
        }
        let csv = csv.into_inner().map_err(|e| io::Error::other(e.to_string()))?;
        outputs::write_file(&self.dir.join("learning.csv"), &csv, true)?;
        if let Some(plot) = self.plot() {
            let mut png = Vec::new();
            crate::record::encode::encode_png(&mut png, &plot, &mut Vec::new())?;
            outputs::write_file(&self.dir.join("learning.png"), &png, true)?;
        }
        let scenario_ron = scenario::to_ron(&t.scenario);
        outputs::write_file(&self.dir.join("scenario.ron"), scenario_ron.as_bytes(), true)?;
        outputs::write_file(&self.dir.join("state.safetensors"), &t.state_bytes().map_err(io::Error::other)?, true)?;
        let mut policies = Vec::new();
        for (group, bytes, hash) in t.policy_files().map_err(io::Error::other)? {
            let file = format!("policies/{}.safetensors", outputs::file_stem(&group));
            outputs::write_file(&self.dir.join(&file), &bytes, true)?;
            policies.push(PolicyEntry { group, file, weights_hash: format!("{hash:016x}") });
        }
        let meta = TrainJson {
            polity_version: crate::VERSION.to_string(),
            kind: KIND.to_string(),
            scenario_name: t.scenario.name.clone(),
            seed: t.seed,
            envs: t.envs as u32,
            episode_ticks: t.episode,
            updates_done: t.updates_done,
            learning: t.scenario.learning.clone(),
            policies,
            scenario_hash: Some(format!("{:016x}", crate::hash::of(scenario_ron.as_bytes()))),
        };
        let mut json = serde_json::to_string_pretty(&meta).map_err(io::Error::other)?;
        json.push('\n');
        outputs::write_file(&self.dir.join("train.json"), json.as_bytes(), true)
    }
}
