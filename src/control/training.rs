//! Training while the app runs (`polity gui SCENARIO --train`): a background thread owns a
//! [`Trainer`] and runs PPO updates one after another; after each it sends the update's report
//! and a deep copy of every learning group's policy over a channel. The app drains the channel
//! each frame ([`LiveTrainer::poll`]), grows its learning curves, and hands the newest
//! policies to the world on screen ([`install`]).
//!
//! The app's pause is the trainer's: the trainer's tick callback blocks while
//! [`LiveTrainer::set_paused`] says so, and returns false (the update is abandoned, nothing
//! is written) once [`LiveTrainer::stop`] is called or the `LiveTrainer` is dropped. With an
//! output folder the thread writes what `polity train --out` writes ([`Session::save`]) after
//! every update; without one it writes nothing.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::learn::folder::{self, Session};
use crate::learn::net::{self, Policy};
use crate::learn::play::Brains;
use crate::learn::principal::Governor;
use crate::learn::train::UpdateReport;
use crate::scenario::Scenario;
use crate::sim::Sim;

/// What the training thread sends.
#[derive(Debug)]
pub enum TrainerMessage {
    /// An update finished.
    Update(Box<Finished>),
    /// Training failed (a network error, or the output folder could not be written); the
    /// thread has stopped.
    Failed(String),
    /// The updates asked for are done; the thread has stopped.
    Done,
}

/// One finished update.
#[derive(Debug)]
pub struct Finished {
    /// Its report, as `polity train` prints it.
    pub report: UpdateReport,
    /// Each group's newest policy (a copy: the trainer goes on changing its own), by group
    /// index, `None` for groups that do not learn.
    pub policies: Vec<Option<Arc<Policy>>>,
    /// The learned principal's newest policy (a copy), when the principal learns.
    pub principal: Option<Arc<Policy>>,
    /// Learner-steps per second of this update, not counting time spent paused.
    pub steps_per_second: f64,
}

/// What the app and the thread share.
#[derive(Debug, Default)]
struct Shared {
    paused: AtomicBool,
    quit: AtomicBool,
    /// Ticks done in the update under way.
    tick: AtomicU64,
    handle: Mutex<Option<JoinHandle<()>>>,
}

impl Shared {
    /// Blocks while paused; false once asked to quit.
    fn wait_while_paused(&self) -> bool {
        loop {
            if self.quit.load(Ordering::Relaxed) {
                return false;
            }
            if !self.paused.load(Ordering::Relaxed) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&self) {
        self.quit.store(true, Ordering::Relaxed);
        let handle = self.handle.lock().map(|mut h| h.take()).unwrap_or(None);
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

/// Stops a [`LiveTrainer`]'s thread from elsewhere (the app keeps one to stop training once
/// its window has closed, whatever became of its resources).
#[derive(Clone, Debug)]
pub struct TrainerStop(Arc<Shared>);

impl TrainerStop {
    /// Asks the thread to stop (an update under way is abandoned) and waits for it.
    pub fn stop(&self) {
        self.0.stop();
    }
}

/// A training running in a background thread.
#[derive(Debug)]
pub struct LiveTrainer {
    shared: Arc<Shared>,
    rx: Mutex<Receiver<TrainerMessage>>,
    /// The scenario trained in.
    pub scenario: String,
    /// Its learning groups' names, by group index (`None` for groups that do not learn), then
    /// `principal` when the principal learns: the order of an update's reports.
    pub groups: Vec<Option<String>>,
    /// Ticks per episode.
    pub episode: u64,
    /// Worlds per update.
    pub envs: usize,
    /// Updates to do.
    pub target: u32,
    /// The training folder written after each update, if any.
    pub out: Option<PathBuf>,
}

/// How a live training is set up (`polity gui --train` and its flags).
#[derive(Clone, Debug, Default)]
pub struct TrainOptions {
    /// Worlds per update (`--envs`), overriding `learning.envs`.
    pub envs: Option<u32>,
    /// Updates to run (`--updates`) [default: `learning.updates`].
    pub updates: Option<u32>,
    /// A training folder to write after every update (`--out`), as `polity train --out`.
    pub out: Option<PathBuf>,
}

impl LiveTrainer {
    /// Starts training every `Learned` group of `scenario` with `seed`, paused or not. Fails,
    /// starting nothing, for a scenario with no group to learn (the message `polity train`
    /// gives) or an output folder a new training may not write.
    pub fn start(scenario: &Scenario, seed: u64, opts: &TrainOptions, paused: bool) -> Result<LiveTrainer, String> {
        if opts.envs == Some(0) {
            return Err("--envs must be at least 1".into());
        }
        if opts.updates == Some(0) {
            return Err("--updates must be at least 1".into());
        }
        let out = match &opts.out {
            Some(dir) => Some(folder::check_new(dir).map_err(|e| e.to_string())?),
            None => None,
        };
        let session =
            Session::new(scenario, seed, opts.envs, out.clone().unwrap_or_default()).map_err(|r| r.message)?;
        let memory = session.memory();
        crate::cost::gate("this training", &memory, false).map_err(|why| {
            format!("{why}\n    hint: lower learning.episode_ticks or --envs (`polity train --force` trains anyway)")
        })?;
        let t = &session.trainer;
        let mut groups: Vec<Option<String>> =
            t.policies.iter().map(|p| p.as_ref().map(|p| p.header.group.clone())).collect();
        if let Some(l) = &t.principal {
            groups.push(Some(l.policy.header.group.clone()));
        }
        let target = opts.updates.unwrap_or(t.scenario.learning.updates).max(1);
        let (episode, envs) = (t.episode, t.envs);
        let shared = Arc::new(Shared::default());
        shared.paused.store(paused, Ordering::Relaxed);
        let (tx, rx) = channel();
        let thread_shared = shared.clone();
        let write = out.is_some();
        let handle = std::thread::Builder::new()
            .name("polity-train".into())
            .spawn(move || train(session, write, target, &thread_shared, &tx))
            .map_err(|e| format!("cannot start the training thread: {e}"))?;
        *shared.handle.lock().unwrap() = Some(handle);
        Ok(LiveTrainer {
            shared,
            rx: Mutex::new(rx),
            scenario: scenario.name.clone(),
            groups,
            episode,
            envs,
            target,
            out,
        })
    }

    /// Pauses or resumes training (from the next tick of its episodes).
    pub fn set_paused(&self, paused: bool) {
        self.shared.paused.store(paused, Ordering::Relaxed);
    }

    /// Whether training is paused.
    pub fn paused(&self) -> bool {
        self.shared.paused.load(Ordering::Relaxed)
    }

    /// Ticks done of the update under way.
    pub fn tick(&self) -> u64 {
        self.shared.tick.load(Ordering::Relaxed)
    }

    /// What the thread sent since the last call, oldest first.
    pub fn poll(&self) -> Vec<TrainerMessage> {
        let mut out = Vec::new();
        let Ok(rx) = self.rx.lock() else { return out };
        loop {
            match rx.try_recv() {
                Ok(m) => out.push(m),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return out,
            }
        }
    }

    /// Waits up to `timeout` for the thread's next message.
    pub fn wait(&self, timeout: Duration) -> Option<TrainerMessage> {
        self.rx.lock().ok()?.recv_timeout(timeout).ok()
    }

    /// A handle that stops the thread.
    pub fn stopper(&self) -> TrainerStop {
        TrainerStop(self.shared.clone())
    }

    /// Stops the thread (an update under way is abandoned) and waits for it.
    pub fn stop(&self) {
        self.shared.stop();
    }
}

impl Drop for LiveTrainer {
    fn drop(&mut self) {
        self.shared.stop();
    }
}

/// The training thread: updates until `target` are done, a failure, or quit.
fn train(mut session: Session, write: bool, target: u32, shared: &Shared, tx: &Sender<TrainerMessage>) {
    // (`gui --train --updates 2 --out DIR` wrote `updates_asked: 0`, and a resume of the folder
    // then went on to the scenario's 150.)
    session.set_updates_asked(target);
    while session.trainer.updates_done < target {
        if !shared.wait_while_paused() {
            return;
        }
        shared.tick.store(0, Ordering::Relaxed);
        let started = Instant::now();
        let mut paused_for = Duration::ZERO;
        let result = session.trainer.update(&mut |t| {
            shared.tick.store(t, Ordering::Relaxed);
            let before = Instant::now();
            let go_on = shared.wait_while_paused();
            paused_for += before.elapsed();
            go_on
        });
        let report = match result {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                let _ = tx
                    .send(TrainerMessage::Failed(format!("training update {}: {e}", session.trainer.updates_done + 1)));
                return;
            }
        };
        let busy = started.elapsed().saturating_sub(paused_for).as_secs_f64();
        if write {
            session.rows.extend(folder::rows(&report));
            if let Err(e) = session.save() {
                let _ = tx.send(TrainerMessage::Failed(format!("writing {}: {e}", session.dir.display())));
                return;
            }
        }
        let policies = match session.trainer.policies.iter().map(|p| p.as_ref().map(snapshot).transpose()).collect() {
            Ok(p) => p,
            Err(e) => {
                let _ = tx.send(TrainerMessage::Failed(format!("copying the policies: {e}")));
                return;
            }
        };
        let principal = match session.trainer.principal.as_ref().map(|l| snapshot(&l.policy)).transpose() {
            Ok(p) => p,
            Err(e) => {
                let _ = tx.send(TrainerMessage::Failed(format!("copying the principal's policy: {e}")));
                return;
            }
        };
        let steps_per_second = report.agent_steps as f64 / busy.max(1e-9);
        let finished = Finished { report, policies, principal, steps_per_second };
        if tx.send(TrainerMessage::Update(Box::new(finished))).is_err() {
            return; // nobody listens any more
        }
    }
    let _ = tx.send(TrainerMessage::Done);
}

/// A copy of a policy that shares no storage with it (a `Policy`'s variables share theirs
/// when cloned, and the trainer changes its weights in place).
pub fn snapshot(p: &Policy) -> net::Result<Arc<Policy>> {
    let tensors = p
        .named_vars()
        .into_iter()
        .map(|(name, var)| Ok((name, var.as_tensor().copy().map_err(net::err)?)))
        .collect::<net::Result<_>>()?;
    Policy::from_tensors(p.header.clone(), &tensors).map(Arc::new)
}

/// Makes the world play `policies` (and the learned principal's `principal`) from its next
/// tick on, when they fit its learned groups and principal (same groups, observations and
/// networks; a world opened from another scenario keeps its own). Returns whether anything was
/// installed.
pub fn install(sim: &mut Sim, policies: &[Option<Arc<Policy>>], principal: Option<&Arc<Policy>>) -> bool {
    let mut installed = false;
    if let (Some(new), Some(g)) = (principal, sim.part_mut::<Governor>())
        && same_shape(&g.policy.header, &new.header)
    {
        g.policy = new.clone();
        installed = true;
    }
    install_groups(sim, policies) || installed
}

fn same_shape(a: &crate::policy_file::Header, b: &crate::policy_file::Header) -> bool {
    a.group == b.group
        && a.observation == b.observation
        && a.view == b.view
        && a.networks == b.networks
        && a.hidden == b.hidden
        && a.actions == b.actions
}

fn install_groups(sim: &mut Sim, policies: &[Option<Arc<Policy>>]) -> bool {
    let Some(brains) = sim.part_mut::<Brains>() else { return false };
    let fits = brains.groups.len() == policies.len()
        && brains.groups.iter().zip(policies).all(|(have, new)| match (have, new) {
            (Some(a), Some(b)) => same_shape(&a.header, &b.header),
            (None, None) => true,
            (Some(_), None) => true,
            (None, Some(_)) => false,
        });
    if !fits {
        return false;
    }
    for (have, new) in brains.groups.iter_mut().zip(policies) {
        if new.is_some() {
            *have = new.clone();
        }
    }
    true
}
