//! A training folder, as `polity train SCENARIO --out DIR` writes it and `--resume DIR` reads
//! it back:
//!
//! - `learning.csv`: one row per update and learning group ([`Row`]); `learning.png`: the
//!   groups' mean return per update;
//! - `policies/GROUP.safetensors`: each group's policy ([`crate::policy_file`]);
//! - `scenario.ron`: the scenario trained in; `train.json`: version, seed, worlds, the PPO
//!   settings, updates done, each policy's weight hash, `learning.csv`'s rows and the hash of
//!   every file written;
//! - `state.safetensors`: weights, optimiser moments and counters, to resume from;
//! - `train.lock`: held while a training runs, so a second one into the folder is refused; removed
//!   when the training ends.
//!
//! Every file is written atomically (a temporary file, then a rename) after each update, the
//! state before `train.json`, so a killed training resumes from its last finished update and
//! goes on exactly as if never stopped. A new training needs an absent or empty folder; Polity
//! never writes into a folder that is not its own training folder.
//!
//! `train.json` keeps the hash of every file it wrote (`hashes`), and a save first writes it
//! with the hashes the save is about to write (`next`). Before a save replaces a file, and
//! when a training resumes, each file must still be as the training wrote it (either hash: a
//! training killed mid-save is whole either way); a file you edited is never replaced. A
//! resume needs only `train.json`, `scenario.ron` and the state: the table, the plot and the
//! policies are outputs, written again when missing.

use std::collections::BTreeMap;
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
    /// The updates the last `polity train` of the folder asked for (`--updates`, or the
    /// scenario's `learning.updates`): a training with fewer done was stopped before the end.
    /// The app's `--train` writes what it was asked for too; 0 in folders from before it was
    /// kept.
    #[serde(default)]
    pub updates_asked: u32,
    /// The policy files the training started from (the scenario's `Learned(weights: …)`), with
    /// their weights' hashes when it started: a training from weights repeats only from the same
    /// weights, and the file may be trained again since; absent when it started from none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starts_from: Vec<crate::policy_file::PlayedPolicy>,
    /// The PPO settings.
    pub learning: scenario::LearningSpec,
    /// Each policy: group, file, weight hash.
    pub policies: Vec<PolicyEntry>,
    /// FNV-1a of every file the training wrote, by path relative to the folder (16 hex
    /// digits; `scenario.ron`'s too, so a resumed training goes on only under the scenario it
    /// started with); absent in folders from before it was kept.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hashes: BTreeMap<String, String>,
    /// While a save is under way: the hashes of the files it is writing.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub next: BTreeMap<String, String>,
    /// `learning.csv`'s rows (while a save is under way, those it is writing): a resume reads
    /// them from here, those up to the state's update, so `learning.csv` is an output only,
    /// rewritten when missing.
    #[serde(default)]
    pub rows: Vec<Row>,
    /// FNV-1a of this file as written with `digest` empty: `train.json` keeps every other
    /// file's hash, and this one its own, so an edit to it (a note added, a number changed) is
    /// seen and the file never replaced ([`TrainJson::text`]); absent in folders from before
    /// it was kept.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
}

impl TrainJson {
    /// The file's text: pretty JSON with its own `digest`.
    pub fn text(&self) -> Result<String, String> {
        let pretty = |m: &TrainJson| serde_json::to_string_pretty(m).map(|t| t + "\n").map_err(|e| e.to_string());
        let mut m = TrainJson { digest: String::new(), ..self.clone() };
        m.digest = crate::hash::hex(pretty(&m)?.as_bytes());
        pretty(&m)
    }

    /// Whether `text` is this file as Polity wrote it (its digest holds, and nothing was
    /// added or reformatted); a file from before digests were kept is taken as it is.
    fn as_written(&self, text: &str) -> bool {
        self.digest.is_empty() || self.text().is_ok_and(|t| t == text)
    }
}

/// What is said of a `train.json` edited since the training wrote it.
fn edited_json(dir: &Path) -> String {
    format!(
        "{}/train.json: changed since the training wrote it (its digest does not hold); Polity never replaces a file you \
         changed, and a resume reads its settings and rows from it\n    hint: put it back as it was; or start a new \
         training from these weights (`Learned(weights: \"{}/policies/GROUP.safetensors\")`)",
        dir.display(),
        dir.display()
    )
}

/// The training's state: weights, optimiser moments, counters.
const STATE: &str = "state.safetensors";

/// The lock a training holds in its folder while it runs: a second training (or a resume) of
/// the same folder is refused.
const LOCK: &str = "train.lock";

/// A training folder's lock: held while it lives; its file is removed (while still held) when
/// it goes, so a finished, stopped or refused training leaves only its outputs.
#[derive(Debug)]
struct Lock {
    path: PathBuf,
    _file: std::fs::File,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // The file closes after this, which lets the lock go.
        outputs::keep_at_a_second_signal(&self.path);
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Takes the lock of the training folder `dir`, or says that another process holds it. The
/// lock's file is always empty: a `train.lock` that holds anything (or is a link, or a folder)
/// is not one a training made, and is refused, never taken over and removed. `busy` says what
/// to do when another training holds it.
fn lock(dir: &Path, busy: &str) -> Result<Lock, String> {
    let shown = dir.display();
    let path = dir.join(LOCK);
    let not_ours = || not_a_lock(&path, "then run the command again");
    if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file() || m.len() > 0) {
        return Err(not_ours());
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{shown}: cannot lock the training folder ({e})"))?;
    match file.try_lock() {
        // (Checked again once held: a file written to in between is still not a lock.)
        Ok(()) if file.metadata().is_ok_and(|m| m.len() > 0) => Err(not_ours()),
        Ok(()) => {
            outputs::remove_at_a_second_signal(&path);
            Ok(Lock { path, _file: file })
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(format!("{shown}: another polity training is running in this folder\n    hint: {busy}"))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(format!("{shown}: cannot lock the training folder ({e})")),
    }
}

/// Why the `train.lock` at `path` (not an empty file) is left alone; `then` ends the hint.
fn not_a_lock(path: &Path, then: &str) -> String {
    format!(
        "{}: this is not a lock a polity training made (those are empty files); Polity leaves it as it is\n    hint: move it out of the training folder, {then}",
        path.display()
    )
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
    /// `train.json` as last written, its `hashes` those of the files as they are now (`None`
    /// before the first save). A save replaces only files still as written.
    saved: Option<TrainJson>,
    /// The folder's lock ([`LOCK`]), held from the start (a new training's, or a resume's).
    lock: Option<Lock>,
    /// The folders this session made (a new training's folder that was not there, and those
    /// above it): removed again, each if still empty, when the training ends before its
    /// first save (an interrupted `--out new/a/b` left an empty `new/a`).
    made: outputs::MadeFolders,
    /// The updates this session was asked to reach ([`Session::run`]'s target).
    asked: u32,
    /// The policy files the training started from ([`TrainJson::starts_from`]).
    pub starts_from: Vec<crate::policy_file::PlayedPolicy>,
}

impl Drop for Session {
    fn drop(&mut self) {
        // A new training stopped or refused before its first update was saved leaves nothing:
        // its lock's file goes with the lock, then the folder it made, if that is empty.
        if self.saved.is_none() {
            self.lock.take();
            // (Dropped, the folders made go, deepest first, each if empty.)
            drop(std::mem::take(&mut self.made));
        }
        self.made.keep();
    }
}

/// Checks that every file the training writes in `dir` (`names`) is as it wrote it: absent, or
/// hashing to one of `allowed(name)`. Returns the present files' hashes.
fn check_written<'a>(
    dir: &Path,
    names: impl Iterator<Item = &'a String>,
    allowed: impl Fn(&str) -> Vec<&'a String>,
) -> Result<BTreeMap<String, String>, String> {
    let mut now = BTreeMap::new();
    for name in names {
        let path = dir.join(name);
        // A link (or anything but a plain file) is not what the training wrote, even when it
        // leads to the same bytes: writing the file again would replace the user's link.
        if let Ok(m) = std::fs::symlink_metadata(&path)
            && !m.is_file()
        {
            let (what, hint) = if m.file_type().is_symlink() {
                ("a link", "replace the link with a copy of the file it leads to")
            } else {
                ("not a plain file", "move it out of the folder and put the training's file back")
            };
            return Err(format!(
                "{}: {what}, not the file the training wrote; Polity writes no output through a link and never replaces \
                 one of yours\n    hint: {hint}, then go on with `polity train --resume {}`",
                path.display(),
                dir.display()
            ));
        }
        let hash = match crate::hash::of_file(&path) {
            Ok(h) => h,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: cannot read it ({e})", path.display())),
        };
        if !allowed(name).contains(&&hash) {
            let hint = if name == "scenario.ron" {
                format!(
                    "a training goes on only under the scenario it started with, or it would not end as one never stopped\n    \
                     hint: put the file back as it was; to train under the edited scenario, start a new training \
                     (`polity train EDITED.ron --out NEW`), which can start from these weights \
                     (`Learned(weights: \"{}/policies/GROUP.safetensors\")`)",
                    dir.display()
                )
            } else if name == STATE {
                format!(
                    "it is what the training resumes from, and there is no other copy\n    hint: put Polity's file back; \
                     or start a new training from these weights (`Learned(weights: \"{}/policies/GROUP.safetensors\")`)",
                    dir.display()
                )
            } else {
                "Polity never replaces a file you changed\n    hint: move your version of it out of the folder (Polity \
                 writes it again, from train.json and the state), then go on with `polity train --resume`"
                    .to_string()
            };
            return Err(format!(
                "{}: changed since the training wrote it (its hash is not the one train.json keeps); {hint}",
                path.display()
            ));
        }
        now.insert(name.clone(), hash);
    }
    Ok(now)
}

/// Checks that a new training may write `dir`: not refused ([`outputs::resolve`]), and absent
/// or an empty folder.
pub fn check_new(dir: &Path) -> Result<PathBuf, Refused> {
    let abs = outputs::resolve(dir)?;
    let shown = dir.display();
    match std::fs::symlink_metadata(&abs) {
        Err(_) => {
            outputs::check_writable(dir, &abs)?;
            Ok(abs)
        }
        Ok(m) if !m.is_dir() => Err(Refused(format!(
            "{shown}: is {}, not a folder; choose another --out",
            outputs::what_it_is(m.file_type())
        ))),
        Ok(_) => {
            let empty = std::fs::read_dir(&abs).map(|mut d| d.next().is_none()).unwrap_or(false);
            if empty {
                Ok(abs)
            } else if abs.join("train.json").is_file() {
                // What the folder's train.json says, so the hint is one that works: a damaged
                // one cannot be resumed (the hint to resume it was refused as "not Polity's"), a
                // finished one goes on only with more updates asked for.
                let meta = std::fs::read_to_string(abs.join("train.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str::<TrainJson>(&t).ok())
                    .filter(|m| m.kind == KIND);
                Err(Refused(match meta {
                    Some(m) => {
                        let go_on = if m.updates_asked > m.updates_done {
                            format!("`polity train --resume {shown}` (on to the {} asked for)", m.updates_asked)
                        } else {
                            format!(
                                "`polity train --resume {shown} --updates {}` (any number above {})",
                                m.updates_done + 10,
                                m.updates_done
                            )
                        };
                        format!(
                            "{shown}: holds a training already ({} of `{}`)\n    hint: go on with it with {go_on}, or choose \
                             another --out",
                            crate::plural(u64::from(m.updates_done), "update"),
                            m.scenario_name,
                        )
                    }
                    None => format!(
                        "{shown}: holds a train.json that is not a training's (or is damaged), so there is no training here \
                         to go on with, and Polity leaves the folder as it is\n    hint: choose another --out"
                    ),
                }))
            } else if std::fs::read_dir(&abs).is_ok_and(|d| d.flatten().all(|e| e.file_name() == LOCK)) {
                // A training started a moment ago, before its first update is saved; or one
                // killed then, which left its (empty) lock: no process holds that one, and the
                // new training takes it over.
                let lock = abs.join(LOCK);
                let ours = std::fs::symlink_metadata(&lock).is_ok_and(|m| m.is_file() && m.len() == 0);
                let free = ours && std::fs::File::open(&lock).is_ok_and(|f| f.try_lock().is_ok());
                if free {
                    Ok(abs)
                } else if !ours {
                    // Not empty (or not a file): no training made it, none holds it.
                    Err(Refused(not_a_lock(&dir.join(LOCK), "or choose another --out")))
                } else {
                    Err(Refused(format!(
                        "{shown}: another polity training is running in this folder (it holds {LOCK})\n    hint: choose another --out"
                    )))
                }
            } else {
                Err(Refused(format!(
                    "{shown}: the folder exists and is not empty; a new training needs a new or empty folder\n    hint: choose another --out"
                )))
            }
        }
    }
}

impl Session {
    /// A new training of `scenario` with `seed` into `dir` (checked by [`check_new`]): the
    /// folder is made and locked at once, so that a second training started into it is refused
    /// before it works (it was refused at its first save, its first update lost); nothing else
    /// is written until the first update finishes, and a training that ends before then leaves
    /// the folder as it was. An empty `dir` (the app's training without `--out`) writes nothing.
    pub fn new(
        scenario: &Scenario,
        seed: u64,
        envs: Option<u32>,
        dir: PathBuf,
    ) -> Result<Session, super::train::Refusal> {
        // The folder's scenario names its starting weights by absolute path, so that a resume
        // from another working folder reads the same file.
        let mut scenario = scenario.clone();
        scenario.absolute_weights();
        let trainer = Trainer::build(&scenario, seed, envs)?;
        let starts_from = crate::run_json::played(&scenario);
        let mut session = Session {
            trainer,
            dir,
            rows: Vec::new(),
            saved: None,
            lock: None,
            made: Default::default(),
            asked: 0,
            starts_from,
        };
        if !session.dir.as_os_str().is_empty() {
            let shown = session.dir.display().to_string();
            // A second interrupt before the first update is saved removes them too, once the
            // lock's file is gone (only if empty: after a save they hold the training).
            session.made =
                outputs::make_parents(&session.dir).map_err(|e| format!("{shown}: cannot make the folder ({e})"))?;
            session.lock = Some(lock(&session.dir, "choose another --out")?);
        }
        Ok(session)
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
            // A training that has not finished its first update yet holds the lock and has
            // written no train.json: it is running, not missing.
            let held = std::fs::File::open(abs.join(LOCK))
                .is_ok_and(|f| matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)));
            if held {
                return format!(
                    "{shown}: a polity training is running in this folder and has not saved its first update yet, so there is nothing to resume\n    hint: wait for it (or stop it with Ctrl-C once it has saved an update), then go on with `polity train --resume {shown}`"
                );
            }
            format!("{shown}: no training to resume here (cannot read train.json: {e})\n    hint: give the --out folder of an earlier `polity train`")
        })?;
        let meta: TrainJson =
            serde_json::from_str(&text).map_err(|e| match e.classify() {
                // Polity's own file, cut short (a disk that filled, a copy that stopped).
                serde_json::error::Category::Eof => format!(
                    "{shown}/train.json: the file is {} ({e}), so the training cannot be resumed from it\n    hint: put back \
                     a whole copy of it, or start the training again in a new --out folder",
                    if text.trim().is_empty() { "empty" } else { "cut short" }
                ),
                _ => format!("{shown}/train.json: not Polity's ({e})"),
            })?;
        if meta.kind != KIND {
            return Err(format!("{shown}/train.json: not a training's (kind `{}`)", meta.kind));
        }
        if !meta.as_written(&text) {
            return Err(edited_json(dir));
        }
        if std::fs::symlink_metadata(abs.join("train.json")).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(format!(
                "{shown}/train.json: a link, not the file the training wrote; Polity writes no output through a link and \
                 never replaces one of yours\n    hint: replace the link with a copy of the file it leads to, then go on \
                 with `polity train --resume {shown}`"
            ));
        }
        let lock = lock(
            &abs,
            &format!("wait for it to finish (or stop it with Ctrl-C), then go on with `polity train --resume {shown}`"),
        )?;
        // Polity writes no output through a link: a `policies` that is one would have the
        // policies written into whatever folder it points to.
        if std::fs::symlink_metadata(abs.join("policies")).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(format!(
                "{shown}/policies: a link, not the training's own folder; Polity writes no output through a link\n    hint: \
                 replace the link with a folder holding the policies (or remove it: they are written again)"
            ));
        }
        if meta.hashes.is_empty() {
            return Err(format!(
                "{shown}: this training was written by an older Polity, whose train.json keeps no hashes of its files, so \
                 files edited since cannot be told apart and would be replaced\n    hint: start a new training from its \
                 weights (`Learned(weights: \"{shown}/policies/GROUP.safetensors\")` in the scenario)"
            ));
        }
        let names: std::collections::BTreeSet<&String> = meta.hashes.keys().chain(meta.next.keys()).collect();
        let now = check_written(&abs, names.into_iter(), |name| {
            meta.hashes.get(name).into_iter().chain(meta.next.get(name)).collect()
        })?;
        let saved = TrainJson { hashes: now, next: BTreeMap::new(), ..meta.clone() };
        let scenario_path = abs.join("scenario.ron");
        if !scenario_path.exists() {
            return Err(format!(
                "{shown}/scenario.ron: missing; it is the scenario the training resumes with\n    hint: put it back as it \
                 was; or start a new training from these weights (`Learned(weights: \"{shown}/policies/GROUP.safetensors\")`)"
            ));
        }
        let s = scenario::load(&scenario_path.to_string_lossy()).map_err(|p| {
            let starts_from = p.0.iter().any(|p| p.path.ends_with("policy.weights"));
            let mut m = p.to_string();
            if starts_from {
                m.push_str(
                    "\n    note: the training started from the policy file its scenario names, and a resume builds it \
                     again from there before loading its state: put the file back where scenario.ron says",
                );
            }
            m
        })?;
        let mut trainer = Trainer::new(&s, meta.seed, Some(meta.envs))?;
        let state = std::fs::read(abs.join(STATE)).map_err(|e| {
            format!(
                "{shown}/{STATE}: cannot read it ({e}); it is what the training resumes from\n    hint: put it back; or start \
                 a new training from these weights (`Learned(weights: \"{shown}/policies/GROUP.safetensors\")`)"
            )
        })?;
        trainer.load_state(&state).map_err(|e| format!("{shown}/state.safetensors: {e}"))?;
        let rows = meta.rows.iter().filter(|r| r.update <= trainer.updates_done).cloned().collect();
        // A resume without `--updates` goes on to what the folder's last training asked for.
        let asked = meta.updates_asked;
        let starts_from = meta.starts_from.clone();
        Ok(Session {
            trainer,
            dir: abs,
            rows,
            saved: Some(saved),
            lock: Some(lock),
            made: Default::default(),
            asked,
            starts_from,
        })
    }

    /// The updates the training should reach when no `--updates` is given: what the folder's
    /// last `polity train` asked for (`train.json`'s `updates_asked`) for a resumed training
    /// that kept it, else the scenario's `learning.updates`.
    pub fn default_target(&self) -> u32 {
        if self.asked > 0 { self.asked } else { self.trainer.scenario.learning.updates }
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
        self.asked = target;
        // The target said in full: the `updates_asked` a resume would go on to is the one the
        // last save wrote, which may be an earlier training's.
        let resume = format!("polity train --resume {} --updates {target}", self.dir.display());
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
                if self.saved.is_none() {
                    return Err(io::Error::new(
                        io::ErrorKind::Interrupted,
                        format!(
                            "interrupted during update {next}; no update had finished, so nothing was saved (start the training again)"
                        ),
                    ));
                }
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    format!(
                        "interrupted during update {next}; {} holds {} (go on with `{resume}`)",
                        self.dir.display(),
                        crate::plural(self.trainer.updates_done, "finished update"),
                    ),
                ));
            };
            self.rows.extend(rows(&report));
            if let Err(e) = self.save() {
                let kept = match &self.saved {
                    None => "nothing was kept (start the training again once the cause is fixed)".to_string(),
                    Some(saved) => format!(
                        "{} holds {} (go on with `{resume}` once the cause is fixed)",
                        self.dir.display(),
                        crate::plural(saved.updates_done, "finished update"),
                    ),
                };
                return Err(io::Error::new(e.kind(), format!("saving update {next} failed: {e}; {kept}")));
            }
            done(&report);
            // A signal that came while the networks learned (no tick asks then): the update
            // finished and is saved; stop here, unless it was the last one asked for (then
            // the training is complete, and ends as one never interrupted).
            let done = self.trainer.updates_done;
            if outputs::interrupted() && done < target {
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    format!(
                        "interrupted during update {next}, which finished and was saved; {} holds {} (go on with `{resume}`)",
                        self.dir.display(),
                        crate::plural(done, "finished update"),
                    ),
                ));
            }
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

    /// Records `target` as the updates this session was asked to reach (`train.json`'s
    /// `updates_asked`, what a resume without `--updates` goes on to), for a caller that runs
    /// the updates itself (the app) instead of through [`Session::run`].
    pub fn set_updates_asked(&mut self, target: u32) {
        self.asked = target;
    }

    /// Writes every file of the folder for the updates done: `train.json` first with the
    /// hashes about to be written (`next`), then the files, the state after `learning.csv`,
    /// then `train.json` with its new `hashes`. Refused, with nothing written, when a file is no
    /// longer as the training last wrote it.
    pub fn save(&mut self) -> io::Result<()> {
        let t = &self.trainer;
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let mut csv = csv::Writer::from_writer(Vec::new());
        for r in &self.rows {
            csv.serialize(r).map_err(io::Error::other)?;
        }
        files.push(("learning.csv".into(), csv.into_inner().map_err(|e| io::Error::other(e.to_string()))?));
        if let Some(plot) = self.plot() {
            let mut png = Vec::new();
            crate::record::encode::encode_png(&mut png, &plot, &mut Vec::new())?;
            files.push(("learning.png".into(), png));
        }
        let scenario_ron = scenario::to_ron(&t.scenario);
        files.push(("scenario.ron".into(), scenario_ron.clone().into_bytes()));
        files.push((STATE.into(), t.state_bytes().map_err(io::Error::other)?));
        let mut policies = Vec::new();
        for (group, bytes, hash) in t.policy_files().map_err(io::Error::other)? {
            let file = format!("policies/{}.safetensors", outputs::file_stem(&group));
            files.push((file.clone(), bytes));
            policies.push(PolicyEntry { group, file, weights_hash: format!("{hash:016x}") });
        }
        let next: BTreeMap<String, String> = files.iter().map(|(f, b)| (f.clone(), crate::hash::hex(b))).collect();
        let written = self.saved.as_ref().map(|m| m.hashes.clone()).unwrap_or_default();
        let names: std::collections::BTreeSet<&String> = written.keys().chain(next.keys()).collect();
        check_written(&self.dir, names.into_iter(), |name| written.get(name).into_iter().collect())
            .map_err(io::Error::other)?;
        // train.json itself, as the last save (or the resume) left it: an edit is never replaced.
        if let Some(saved) = &self.saved
            && let Ok(text) = std::fs::read_to_string(self.dir.join("train.json"))
            && serde_json::from_str::<TrainJson>(&text).map_or(true, |now| {
                // (The hashes as checked below; the digest that of the text just checked.)
                let bare = |m: TrainJson| TrainJson {
                    hashes: saved.hashes.clone(),
                    next: BTreeMap::new(),
                    digest: String::new(),
                    ..m
                };
                !now.as_written(&text) || bare(now) != bare(saved.clone())
            })
        {
            return Err(io::Error::other(edited_json(&self.dir)));
        }
        let write_json = |m: &TrainJson| -> io::Result<()> {
            let json = m.text().map_err(io::Error::other)?;
            outputs::write_file(&self.dir.join("train.json"), json.as_bytes(), true)
        };
        // A first save that fails (a full disk) takes back what it wrote, so the training
        // leaves its folder as it found it (an empty `policies/` left behind made the folder
        // refused by a new training and by --resume alike).
        let first = self.saved.is_none();
        let policies_dir = self.dir.join("policies");
        let made_policies = first && !policies_dir.exists();
        let mut wrote: Vec<PathBuf> = Vec::new();
        let undo = |wrote: &[PathBuf]| {
            if first {
                for f in wrote {
                    let _ = std::fs::remove_file(f);
                }
                if made_policies {
                    let _ = std::fs::remove_dir(&policies_dir);
                }
            }
        };
        std::fs::create_dir_all(&policies_dir)?;
        if let Some(saved) = &self.saved {
            write_json(&TrainJson { next: next.clone(), rows: self.rows.clone(), ..saved.clone() })?;
        }
        for (file, bytes) in &files {
            let path = self.dir.join(file);
            if let Err(e) = outputs::write_file(&path, bytes, true) {
                undo(&wrote);
                return Err(e);
            }
            wrote.push(path);
        }
        let meta = TrainJson {
            polity_version: crate::VERSION.to_string(),
            kind: KIND.to_string(),
            scenario_name: t.scenario.name.clone(),
            seed: t.seed,
            envs: t.envs as u32,
            episode_ticks: t.episode,
            updates_done: t.updates_done,
            updates_asked: self.asked,
            starts_from: self.starts_from.clone(),
            learning: t.scenario.learning.clone(),
            policies,
            hashes: next,
            next: BTreeMap::new(),
            rows: self.rows.clone(),
            digest: String::new(),
        };
        if let Err(e) = write_json(&meta) {
            undo(&wrote);
            return Err(e);
        }
        self.saved = Some(meta);
        Ok(())
    }
}
