//! Training: PPO over many copies of a scenario's world, stepped by the same phase list as
//! `polity run`. Each update plays `envs` whole episodes from fresh worlds (each seeded by the
//! training seed, the update and the world), batches every learner's observation of a tick
//! through its network, draws each learner's action as [`super::play::act`] does, steps the
//! worlds in parallel, and then updates every network on its episodes. An update's outcome
//! depends only on the weights, the optimiser's moments and the update's number, so a stopped
//! training resumes exactly and the result is the same for any number of threads.

use std::collections::HashMap;

use candle_core::Tensor;

use super::adam::Adam;
use super::net::{DEVICE, Policy, Result, err};
use super::play::{self, Brains};
use super::ppo::{self, Samples, Stats};
use crate::model::{Mechanism, WorldModel};
use crate::rng::{self, Purpose, TickKey};
use crate::rules::action::Action;
use crate::rules::welfare;
use crate::scenario::Scenario;

/// One network being trained: its group, its index in the group's policy, its optimiser, and
/// the learners (agent indices) it plays.
#[derive(Debug)]
struct Slot {
    group: usize,
    net: usize,
    adam: Adam,
    lanes: Vec<usize>,
}

/// A training run in memory.
#[derive(Debug)]
pub struct Trainer {
    /// The scenario trained in.
    pub scenario: Scenario,
    /// The training seed.
    pub seed: u64,
    /// Ticks per episode.
    pub episode: u64,
    /// Worlds per update.
    pub envs: usize,
    /// Each group's policy (`None` for groups that do not learn).
    pub policies: Vec<Option<Policy>>,
    /// The learned principal, when the scenario has one.
    pub principal: Option<Lead>,
    slots: Vec<Slot>,
    mechanisms: Vec<Mechanism>,
    buffers: Vec<Samples>,
    /// Updates done.
    pub updates_done: u32,
}

/// A learned principal in training: its policy, its optimiser, and its last samples' buffer.
#[derive(Debug)]
pub struct Lead {
    /// Its policy.
    pub policy: Policy,
    adam: Adam,
    samples: Samples,
}

/// A group's outcome in one update.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupReport {
    /// The group's name.
    pub group: String,
    /// The mean undiscounted episode return of its agents, read off the worlds at the
    /// episodes' end: the learners' SED reward (as `agents.csv` reports it) less, for AI
    /// learners, the impact penalty booked (for the learned principal: its rewards, f32).
    pub mean_return: f64,
    /// The same summed from the f32 per-tick rewards the networks learn from: equal to
    /// `mean_return` up to f32 rounding (the rewards lose nothing on the way to the learner).
    pub sample_return: f64,
    /// PPO's statistics (averaged over the group's networks).
    pub stats: Stats,
}

/// The worlds' state at the end of an update's episodes, averaged over the worlds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EpisodeMetrics {
    /// Apples picked in the episode, by everyone.
    pub apples_picked: f64,
    /// Patches with an apple at the end.
    pub patches_alive: f64,
    /// The Gini coefficient of the utilities at the end.
    pub gini: f64,
    /// The mean utility at the end (welfare at p = 1).
    pub welfare_mean: f64,
}

/// What one update did.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateReport {
    /// The update's number (1 first).
    pub update: u32,
    /// Episodes played so far.
    pub episodes: u64,
    /// Per learning group.
    pub groups: Vec<GroupReport>,
    /// The episodes' ends.
    pub metrics: EpisodeMetrics,
    /// Learner-steps this update.
    pub agent_steps: u64,
    /// Wall-clock seconds spent playing the episodes and spent updating the networks (for
    /// progress reports and benchmarks; never part of a file).
    pub seconds: (f64, f64),
}

/// Whether a scenario has anything `polity train` trains.
fn has_learners(s: &Scenario) -> bool {
    (0..s.agents.len()).any(|g| play::learned(s, g).is_some()) || super::principal::learned(s).is_some()
}

/// What `polity train` would refuse of a scenario before any work, checked without training
/// (`polity check` says it): a scenario with nothing to train passes.
pub fn preflight(s: &Scenario) -> std::result::Result<(), Refusal> {
    if !has_learners(s) {
        return Ok(());
    }
    Trainer::build(s, s.run.seed, None).map(drop)
}

/// Why a training cannot start, and the scenario field it concerns, where one does (so that
/// the message can say where in the file: `learning.minibatches`, `agents[1].count`).
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// The field's path in the scenario, as the validator names it.
    pub field: Option<String>,
    /// What is wrong, and the hint.
    pub message: String,
}

impl From<String> for Refusal {
    fn from(message: String) -> Refusal {
        Refusal { field: None, message }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Refuses minibatches of fewer than two samples: PPO normalises the advantages within a
/// minibatch, and one sample's normalised advantage is 0, so nothing would be learned.
/// `per_world` says how many samples one world's episode gives `what`, as a product.
fn check_minibatches(
    s: &Scenario,
    envs: usize,
    per_world: (u64, String),
    what: &str,
) -> std::result::Result<(), Refusal> {
    let samples = envs as u64 * per_world.0;
    let minibatches = s.learning.minibatches as u64;
    if samples < 2 * minibatches {
        // With fewer than 2 samples no number of minibatches helps: only more samples do.
        let fewer = if samples >= 2 {
            format!("set learning.minibatches to {} or less, or ", samples / 2)
        } else {
            String::new()
        };
        return Err(Refusal {
            field: Some("learning.minibatches".into()),
            message: format!(
                "learning.minibatches is {minibatches}, but {what} gives only {} an update ({} × {}): a minibatch of fewer than 2 samples has its advantages normalised to 0 and learns nothing\n    hint: {fewer}raise learning.envs (--envs) or learning.episode_ticks",
                crate::plural(samples, "sample"),
                crate::plural(envs as u64, "world"),
                per_world.1,
            ),
        });
    }
    Ok(())
}

impl Trainer {
    /// A fresh training of every `Learned` group of a validated scenario: networks drawn as a
    /// run with `seed` draws them ([`play::init_seed`]). `envs` overrides `learning.envs`.
    pub fn new(scenario: &Scenario, seed: u64, envs: Option<u32>) -> Result<Trainer> {
        Trainer::build(scenario, seed, envs).map_err(|r| r.message)
    }

    /// [`Trainer::new`], its refusal naming the field it concerns where one does.
    pub fn build(scenario: &Scenario, seed: u64, envs: Option<u32>) -> std::result::Result<Trainer, Refusal> {
        let scenario = scenario.clone();
        let episode = scenario.learning.episode(scenario.run.ticks);
        let envs = envs.unwrap_or(scenario.learning.envs).max(1) as usize;
        let policies: Vec<Option<Policy>> = (0..scenario.agents.len())
            .map(|g| {
                let h = play::header(&scenario, g)?;
                // A group with weights goes on from them (fine-tuning); else a fresh network.
                let weights = play::learned(&scenario, g).and_then(|l| l.weights.as_deref());
                Some(Policy::read_or_init(weights, h, play::init_seed(seed, g)))
            })
            .map(Option::transpose)
            .collect::<Result<_>>()?;
        let principal = match super::principal::header(&scenario) {
            None => None,
            Some(h) => {
                // One choice a tax period: the first period's end is the first choice.
                let period = scenario.tax.as_ref().map_or(crate::rules::tax::SED_PERIOD, |t| t.period());
                let choices = episode / period.max(1);
                check_minibatches(&scenario, envs, (choices, crate::plural(choices, "choice")), "the principal")?;
                let weights = super::principal::learned(&scenario).and_then(|l| l.weights.as_deref());
                let policy = Policy::read_or_init(weights, h, super::principal::init_seed(seed))?;
                let adam = Adam::new(policy.vars_of(0), scenario.learning.learning_rate)?;
                Some(Lead { policy, adam, samples: Samples::default() })
            }
        };
        if policies.iter().all(Option::is_none) && principal.is_none() {
            let learning: Vec<&str> = crate::scenario::BUILTINS
                .iter()
                .filter(|b| b.scenario().is_ok_and(|s| has_learners(&s)))
                .map(|b| b.name)
                .collect();
            return Err(format!(
                "scenario `{}` has no group to train\n    hint: give a group `policy: Learned()` or the principal `policy: Learned()` (docs/learning.md), or train a built-in that has one: {}",
                scenario.name,
                learning.join(", ")
            )
            .into());
        }
        let mechanisms = crate::sim::Sim::mechanisms();
        let probe = world(&scenario, seed, &mechanisms);
        let mut slots = Vec::new();
        for (g, p) in policies.iter().enumerate() {
            let Some(p) = p else { continue };
            for net in 0..p.nets.len() {
                let lanes: Vec<usize> = (0..probe.agents.len())
                    .filter(|&k| {
                        probe.agents[k].group as usize == g && play::network_of(&probe.agents, k, p.nets.len()) == net
                    })
                    .collect();
                let name = &scenario.agents[g].name;
                if lanes.is_empty() {
                    return Err(Refusal {
                        field: Some(format!("agents[{g}].count")),
                        message: format!(
                            "group `{name}` (agents[{g}]) has no agent to learn from{}\n    hint: give it count: 1 or more, or a policy that does not learn",
                            if p.nets.len() > 1 { format!(" for its network {net}") } else { String::new() }
                        ),
                    });
                }
                let n = lanes.len() as u64;
                let per_world =
                    (episode * n, format!("{} × {}", crate::plural(episode, "tick"), crate::plural(n, "agent")));
                check_minibatches(&scenario, envs, per_world, &format!("group `{name}`"))?;
                slots.push(Slot {
                    group: g,
                    net,
                    adam: Adam::new(p.vars_of(net), scenario.learning.learning_rate)?,
                    lanes,
                });
            }
        }
        Ok(Trainer {
            scenario,
            seed,
            episode,
            envs,
            policies,
            principal,
            slots,
            mechanisms,
            buffers: Vec::new(),
            updates_done: 0,
        })
    }

    /// The seed of world `e` in update `u`.
    pub fn world_seed(&self, u: u32, e: usize) -> u64 {
        rng::key(self.seed, u as u64, e as u64, Purpose::Learn)
    }

    /// Plays one update's episodes and updates every network. `tick` is called after every
    /// tick with the ticks done so far in this update (for progress bars); it returns false to
    /// stop (then nothing is updated and `None` comes back).
    pub fn update(&mut self, tick: &mut dyn FnMut(u64) -> bool) -> Result<Option<UpdateReport>> {
        let u = self.updates_done;
        let spec = self.scenario.learning.clone();
        let mut worlds: Vec<WorldModel> =
            (0..self.envs).map(|e| world(&self.scenario, self.world_seed(u, e), &self.mechanisms)).collect();
        if let Some(lead) = &self.principal {
            let cap = self.rate_cap();
            for m in &mut worlds {
                if let Some(g) = m.parts.get_mut::<super::principal::Governor>() {
                    g.policy = std::sync::Arc::new(lead.policy.clone());
                    g.cap = cap;
                    g.record = Some(Default::default());
                }
            }
        }
        let ticks = self.episode as usize;
        // Last update's buffers, emptied (their memory kept: an update's samples are tens of MB).
        let mut samples = std::mem::take(&mut self.buffers);
        samples.resize_with(self.slots.len(), Samples::default);
        for (sm, s) in samples.iter_mut().zip(&self.slots) {
            sm.dim = self.policies[s.group].as_ref().unwrap().header.observation;
            for v in [&mut sm.obs, &mut sm.betas, &mut sm.logp, &mut sm.rewards, &mut sm.values] {
                v.clear();
            }
            sm.actions.clear();
            let rows = ticks * self.envs * s.lanes.len();
            sm.obs.reserve(rows * sm.dim);
            for v in [&mut sm.betas, &mut sm.logp, &mut sm.rewards, &mut sm.values] {
                v.reserve(rows);
            }
            sm.actions.reserve(rows);
        }
        let started = std::time::Instant::now();
        let mut before: Vec<Vec<f64>> = vec![Vec::new(); self.envs];
        let mut booked: Vec<f64> = vec![0.0; self.envs];
        for t in 0..ticks {
            crate::parallel::each_world(&mut worlds, |m| m.decide());
            for (s, sm) in self.slots.iter().zip(samples.iter_mut()) {
                let policy = self.policies[s.group].as_ref().unwrap();
                let view = policy.header.view;
                let rows: Vec<Vec<f32>> =
                    crate::parallel::map_worlds(&worlds, |m| play::observations(m, &s.lanes, view));
                let batch: Vec<f32> = rows.concat();
                let n = self.envs * s.lanes.len();
                let tensor = Tensor::from_slice(&batch, (n, sm.dim), &DEVICE).map_err(err)?;
                let (probs, values) = policy.probs_and_values(s.net, &tensor)?;
                sm.values.extend_from_slice(&values);
                sm.obs.extend_from_slice(&batch);
                for (e, m) in worlds.iter_mut().enumerate() {
                    let draws = TickKey::new(m.clock.seed, m.clock.tick);
                    for (j, &k) in s.lanes.iter().enumerate() {
                        let d = play::act(&m.agents[k], &probs[e * s.lanes.len() + j], &draws);
                        let a = Action::ALL.iter().position(|&x| x == d.action).unwrap_or(0);
                        sm.actions.push(a as u32);
                        sm.betas.push(d.beta as f32);
                        sm.logp.push(d.probs[a].max(1e-30).ln() as f32);
                        m.agents[k].decision = d;
                    }
                }
            }
            for (e, m) in worlds.iter().enumerate() {
                before[e] = m.agents.iter().map(|a| a.reward.total).collect();
                booked[e] = crate::impact::booked(m);
            }
            crate::parallel::each_world(&mut worlds, |m| m.act_onwards());
            for (s, sm) in self.slots.iter().zip(samples.iter_mut()) {
                for (e, m) in worlds.iter().enumerate() {
                    let penalty = crate::impact::booked(m) - booked[e];
                    for &k in &s.lanes {
                        let a = &m.agents[k];
                        let r = a.reward.total - before[e][k] - if a.ai { penalty } else { 0.0 };
                        sm.rewards.push(r as f32);
                    }
                }
            }
            if !tick(t as u64 + 1) {
                return Ok(None);
            }
        }
        // Returns per group, the worlds' ends.
        let mut group_returns: HashMap<usize, (f64, f64)> = HashMap::new();
        for (s, sm) in self.slots.iter().zip(&samples) {
            let entry = group_returns.entry(s.group).or_default();
            entry.0 += sm.rewards.iter().map(|&r| r as f64).sum::<f64>();
            entry.1 += (self.envs * s.lanes.len()) as f64;
        }
        let metrics = episode_metrics(&worlds);
        let records: Vec<super::principal::Record> = worlds.iter_mut().filter_map(super::principal::finish).collect();
        let mut sed: HashMap<usize, f64> = HashMap::new();
        for s in &self.slots {
            for m in &worlds {
                let penalty = crate::impact::booked(m);
                for &k in &s.lanes {
                    let a = &m.agents[k];
                    *sed.entry(s.group).or_default() += a.reward.total - if a.ai { penalty } else { 0.0 };
                }
            }
        }
        let played = started.elapsed().as_secs_f64();
        // Update every network.
        let mut stats: HashMap<usize, Vec<Stats>> = HashMap::new();
        for (i, (s, sm)) in self.slots.iter_mut().zip(&samples).enumerate() {
            let policy = self.policies[s.group].as_ref().unwrap();
            let lanes = self.envs * s.lanes.len();
            let (adv, ret) = ppo::gae(&sm.rewards, &sm.values, ticks, lanes, spec.gamma, spec.gae_lambda);
            let seed = rng::key(self.seed, u as u64, i as u64, Purpose::Learn);
            let st = ppo::update(policy, s.net, &mut s.adam, sm, &adv, &ret, &spec, seed)
                .map_err(|e| diverged(&e, &policy.header.group, u + 1))?;
            stats.entry(s.group).or_default().push(st);
        }
        let mut lead_report = None;
        if let Some(lead) = &mut self.principal {
            let periods = self.scenario.tax.as_ref().map_or(1, |t| t.period()).max(1);
            let brackets = self.scenario.tax_brackets();
            fill(&mut lead.samples, &records, lead.policy.header.observation, brackets)?;
            let choices = records.first().map_or(0, |r| r.choices.len());
            let gamma = spec.gamma.powi(periods as i32);
            let (adv, ret) =
                ppo::gae(&lead.samples.rewards, &lead.samples.values, choices, records.len(), gamma, spec.gae_lambda);
            let seed = rng::key(self.seed, u as u64, self.slots.len() as u64, Purpose::Learn);
            let st = ppo::update(&lead.policy, 0, &mut lead.adam, &lead.samples, &adv, &ret, &spec, seed)
                .map_err(|e| diverged(&e, super::principal::GROUP, u + 1))?;
            // From the rewards as worked out (the samples' f32 copies showed `0.30000001192`).
            let mean = records.iter().flat_map(|r| r.choices.iter().map(|c| c.reward)).sum::<f64>()
                / records.len().max(1) as f64;
            lead_report = Some(GroupReport {
                group: super::principal::GROUP.into(),
                mean_return: mean,
                sample_return: mean,
                stats: st,
            });
        }
        self.updates_done += 1;
        let groups = (0..self.policies.len())
            .filter(|&g| self.policies[g].is_some())
            .map(|g| {
                let (sum, n) = group_returns[&g];
                let st = &stats[&g];
                let k = st.len() as f64;
                let mean = |f: fn(&Stats) -> f64| st.iter().map(f).sum::<f64>() / k;
                GroupReport {
                    group: self.scenario.agents[g].name.clone(),
                    mean_return: sed[&g] / n,
                    sample_return: sum / n,
                    stats: Stats {
                        entropy: mean(|s| s.entropy),
                        approx_kl: mean(|s| s.approx_kl),
                        clip_fraction: mean(|s| s.clip_fraction),
                        value_loss: mean(|s| s.value_loss),
                        policy_loss: mean(|s| s.policy_loss),
                    },
                }
            })
            .chain(lead_report)
            .collect();
        let agent_steps = samples.iter().map(|s| s.len() as u64).sum();
        self.buffers = samples;
        Ok(Some(UpdateReport {
            update: self.updates_done,
            episodes: self.updates_done as u64 * self.envs as u64,
            groups,
            metrics,
            agent_steps,
            seconds: (played, started.elapsed().as_secs_f64() - played),
        }))
    }

    /// The training state — every weight, the optimisers' moments and step counts, the updates
    /// done — as one safetensors file, written atomically so a killed run resumes from a
    /// consistent state.
    pub fn state_bytes(&self) -> Result<Vec<u8>> {
        let mut tensors: Vec<(String, Tensor)> = Vec::new();
        for (g, p) in self.policies.iter().enumerate() {
            let Some(p) = p else { continue };
            for (name, var) in p.named_vars() {
                tensors.push((format!("g{g}.{name}"), var.as_tensor().clone()));
            }
        }
        if let Some(lead) = &self.principal {
            for (name, var) in lead.policy.named_vars() {
                tensors.push((format!("principal.{name}"), var.as_tensor().clone()));
            }
        }
        let mut steps = Vec::new();
        for (i, adam) in self.optimisers().enumerate() {
            let (first, second) = adam.moments();
            for (k, (f, v)) in first.iter().zip(second).enumerate() {
                tensors.push((format!("s{i}.m.{k:03}"), f.clone()));
                tensors.push((format!("s{i}.v.{k:03}"), v.clone()));
            }
            steps.push(adam.steps);
        }
        tensors.sort_by(|a, b| a.0.cmp(&b.0));
        let meta = StateMeta { updates_done: self.updates_done, adam_steps: steps, seed: self.seed, envs: self.envs };
        let metadata =
            HashMap::from([(STATE_KEY.to_string(), serde_json::to_string(&meta).map_err(|e| e.to_string())?)]);
        safetensors::serialize(tensors.iter().map(|(n, t)| (n.as_str(), t)), Some(metadata)).map_err(|e| e.to_string())
    }

    /// Restores a state [`Trainer::state_bytes`] wrote, for a trainer built from the same
    /// scenario and seed.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<()> {
        let (_, meta) =
            safetensors::SafeTensors::read_metadata(bytes).map_err(|e| format!("not a training state: {e}"))?;
        let text = meta.metadata().as_ref().and_then(|m| m.get(STATE_KEY)).ok_or("not a training state: no header")?;
        let st: StateMeta = serde_json::from_str(text).map_err(|e| format!("the training state's header: {e}"))?;
        let optimisers = self.slots.len() + self.principal.is_some() as usize;
        if st.seed != self.seed || st.envs != self.envs || st.adam_steps.len() != optimisers {
            return Err("the training state is of another training (seed, worlds or networks differ)".into());
        }
        let tensors = candle_core::safetensors::load_buffer(bytes, &DEVICE).map_err(err)?;
        let get = |name: &str| tensors.get(name).cloned().ok_or_else(|| format!("the training state lacks `{name}`"));
        let mut vars: Vec<(String, candle_core::Var)> = Vec::new();
        for (g, p) in self.policies.iter().enumerate() {
            let Some(p) = p else { continue };
            vars.extend(p.named_vars().into_iter().map(|(name, var)| (format!("g{g}.{name}"), var)));
        }
        if let Some(lead) = &self.principal {
            vars.extend(lead.policy.named_vars().into_iter().map(|(name, var)| (format!("principal.{name}"), var)));
        }
        for (name, var) in vars {
            let t = get(&name)?;
            if t.dims() != var.as_tensor().dims() {
                return Err(format!("the training state's `{name}` has another shape"));
            }
            var.set(&t).map_err(err)?;
        }
        let optimisers: Vec<&mut Adam> =
            self.slots.iter_mut().map(|s| &mut s.adam).chain(self.principal.as_mut().map(|l| &mut l.adam)).collect();
        for (i, adam) in optimisers.into_iter().enumerate() {
            let n = adam.moments().0.len();
            let first = (0..n).map(|k| get(&format!("s{i}.m.{k:03}"))).collect::<Result<Vec<_>>>()?;
            let second = (0..n).map(|k| get(&format!("s{i}.v.{k:03}"))).collect::<Result<Vec<_>>>()?;
            adam.restore(first, second, st.adam_steps[i])?;
        }
        self.updates_done = st.updates_done;
        Ok(())
    }

    /// The policy files' bytes, by group name (the learned principal's as `principal`).
    pub fn policy_files(&self) -> Result<Vec<(String, Vec<u8>, u64)>> {
        self.policies
            .iter()
            .flatten()
            .chain(self.principal.as_ref().map(|l| &l.policy))
            .map(|p| Ok((p.header.group.clone(), p.to_bytes()?, p.hash())))
            .collect()
    }

    /// The highest rate a learned principal may set in the next update's worlds (SED's tax-cap
    /// warm-up; 1 after it, or without one).
    pub fn rate_cap(&self) -> f64 {
        let step = self.scenario.tax.as_ref().map_or(0.1, |t| t.rate_step());
        super::principal::cap(self.updates_done, self.scenario.learning.tax_cap_warmup, step)
    }

    /// Every optimiser: the networks' in slot order, then the principal's.
    fn optimisers(&self) -> impl Iterator<Item = &Adam> {
        self.slots.iter().map(|s| &s.adam).chain(self.principal.as_ref().map(|l| &l.adam))
    }
}

const STATE_KEY: &str = "polity-train-state";

/// A learned principal's samples from the worlds' records: rows in `(choice, world)` order.
fn fill(samples: &mut Samples, records: &[super::principal::Record], dim: usize, brackets: usize) -> Result<()> {
    let choices = records.first().map_or(0, |r| r.choices.len());
    if records.iter().any(|r| r.choices.len() != choices) {
        return Err("the worlds' principals chose a different number of times (their periods differ)".into());
    }
    *samples = Samples { dim, heads: brackets, ..Samples::default() };
    for t in 0..choices {
        for r in records {
            let c = &r.choices[t];
            samples.obs.extend_from_slice(&c.obs);
            samples.actions.extend_from_slice(&c.actions);
            samples.betas.push(1.0);
            samples.logp.push(c.logp);
            samples.rewards.push(c.reward as f32);
            samples.values.push(c.value);
        }
    }
    Ok(())
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StateMeta {
    updates_done: u32,
    adam_steps: Vec<u64>,
    seed: u64,
    envs: usize,
}

/// A learner's world: the scenario's world for `seed` as `polity run` starts it, without events
/// and without the learned mechanism's own networks (the trainer acts for the learners).
pub fn world(scenario: &Scenario, seed: u64, mechanisms: &[Mechanism]) -> WorldModel {
    let mut m = crate::sim::Sim::model_of(scenario, seed, mechanisms);
    m.quiet();
    m.parts.remove::<Brains>();
    m
}

/// The worlds' ends, averaged: apples picked, patches alive, and the Gini and mean of the
/// agents' utilities ([`crate::utility::stock`], as the metrics take them).
pub fn episode_metrics(worlds: &[WorldModel]) -> EpisodeMetrics {
    let n = worlds.len() as f64;
    let mut out = EpisodeMetrics::default();
    for m in worlds {
        out.apples_picked += m.agents.iter().map(|a| a.ledger.picked as f64).sum::<f64>() / n;
        out.patches_alive += m.grid.patches_alive() as f64 / n;
        let mut w = crate::utility::stock(m);
        w.sort_by(f64::total_cmp);
        out.gini += welfare::gini_sorted(&w) / n;
        out.welfare_mean += welfare::power_mean(&w, 1.0) / n;
    }
    out
}

/// An update's error for group `group` in update `update`, with a hint when it diverged.
fn diverged(e: &str, group: &str, update: u32) -> String {
    if e.contains("diverged") {
        format!(
            "update {update}, group `{group}`: {e}\n    hint: lower learning.learning_rate or learning.max_grad_norm; if the value loss is the large one, lower learning.value_coef or scale the rewards down; a large learning.entropy_coef can also drive it off; a training folder keeps its last finished update"
        )
    } else {
        format!("update {update}, group `{group}`: {e}")
    }
}
