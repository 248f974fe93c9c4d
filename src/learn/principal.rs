//! The learned principal (SED's bilevel loop, issue 12): at each tax period's end a network
//! observes the period's outcome and the rates in force and chooses, for every bracket, a new
//! rate on the tax's grid or "keep"; its reward for a choice is the welfare `W_p` (the served
//! `p`) of the agents' rewards over the period that choice governs. This module owns the
//! mechanism (its [`Governor`] part, its `Propose` and `Account` steps), the observation and
//! action layouts, and the record of a training episode's choices that [`super::train`] learns
//! from.
//!
//! Observation, in order (`2 + B + 2N` numbers for `B` brackets and `N` agents): the served
//! `p` squashed to (−1, 1) as for agents; the fraction of the episode done; each bracket's rate
//! now; then per agent in id order its net income over the period that ended and its store,
//! both as `sign(w)·ln(1 + |w|)`.
//!
//! Actions: per bracket one of `K = G + 2` choices, `G + 1` the grid's points
//! {0, step, …, 1}: index 0 keeps the bracket's rate, index `i ≥ 1` sets rate `(i − 1)·step`.
//! The network's actor head has `B·K` logits, one softmax per bracket. During SED's tax-cap
//! warm-up ([`crate::scenario::LearningSpec::tax_cap_warmup`]) a chosen rate above the cap is
//! set to the cap.

use std::sync::Arc;

use super::net::{Policy, Result};
use crate::model::{Mechanism, Part, Step, WorldModel};
use crate::observe::{squash_p, squash_store};
use crate::policy_file::Header;
use crate::principal::{Principal, RateProposal, served_p, snap};
use crate::rules::welfare::power_mean;
use crate::scenario::{LearnedPrincipal, PrincipalPolicy, Scenario};
use crate::tax::TaxState;
use crate::vocab::MILLI;
use crate::voting::Election;

pub use crate::rules::observation::{
    PRINCIPAL as GROUP, principal_choices as choices, principal_size as observation_size,
};

/// The learned principal: its network, and its choices at `Propose`; its rewards are booked
/// at `Account` (after the agents' rewards are credited) when a training records them.
pub const MECHANISM: Mechanism = Mechanism {
    name: "learned principal",
    build,
    steps: &[(Step::Propose, propose), (Step::Account, settle)],
    active: Some(|m| m.parts.has::<Governor>()),
    ..Mechanism::NONE
};

/// A learned principal's part: the network it plays, the cap on rates, the episode's length
/// (for its clock input), and, when training records it, its choices so far.
#[derive(Clone, Debug)]
pub struct Governor {
    /// The network.
    pub policy: Arc<Policy>,
    /// The highest rate it may set (1 but during a training's warm-up).
    pub cap: f64,
    /// Ticks of an episode.
    pub horizon: u64,
    /// Agents observed (the scenario's count).
    pub agents: usize,
    /// The record of this episode's choices, when a training keeps one.
    pub record: Option<Record>,
}

/// One choice made at a period end: what was seen, what was chosen, and what followed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Choice {
    /// The observation.
    pub obs: Vec<f32>,
    /// The choice index per bracket.
    pub actions: Vec<u32>,
    /// `ln π(choice)`, summed over the brackets.
    pub logp: f32,
    /// The critic's value of the observation.
    pub value: f32,
    /// The `p` served when it was made.
    pub p: f64,
    /// `W_p` of the agents' utility ([`crate::utility`]) gained over the period it governed
    /// (set once that period ends).
    pub reward: f64,
}

/// A training episode's choices and the agents' utilities at the last period end.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// The choices, in order.
    pub choices: Vec<Choice>,
    /// Each agent's utility when the last choice was made (after that tick's rewards).
    pub totals: Vec<f64>,
}

impl Part for Governor {
    const NAME: &'static str = "learned_principal";
    /// Imagined worlds (a shield's, a planner's) play the same network and record nothing.
    fn imagined(&self) -> Option<Self> {
        Some(Governor { record: None, ..self.clone() })
    }
    /// The network is built from the scenario's file (or its seed): a checkpoint keeps its
    /// digest, and a restore refuses a file that changed since ([`Policy::check_mark`]).
    fn save(&self) -> std::result::Result<String, String> {
        Ok(Policy::mark([("the principal".to_string(), &*self.policy)]))
    }
    fn load(&mut self, text: &str) -> std::result::Result<(), crate::model::parts::LoadError> {
        Policy::check_mark(text, [("the principal".to_string(), &*self.policy)])
    }
}

/// The learned principal's spec in `s`, if it has one.
pub fn learned(s: &Scenario) -> Option<&LearnedPrincipal> {
    match &s.principal.as_ref()?.policy {
        PrincipalPolicy::Learned(l) => Some(l),
        _ => None,
    }
}

/// The header a learned principal's policy for `s` has (`None` without one).
pub fn header(s: &Scenario) -> Option<Header> {
    let l = learned(s)?;
    let brackets = s.tax_brackets();
    let step = s.tax.as_ref().map_or(0.1, |t| t.rate_step());
    let agents: usize = s.agents.iter().map(|g| g.count as usize).sum();
    Some(Header {
        format: crate::policy_file::FORMAT.into(),
        scenario: s.name.clone(),
        group: GROUP.into(),
        observation: observation_size(brackets, agents),
        actions: brackets * choices(step),
        view: 0,
        hidden: l.hidden.clone(),
        networks: 1,
    })
}

/// The seed a fresh principal network is drawn with (apart from every group's).
pub fn init_seed(seed: u64) -> u64 {
    crate::rng::key(seed, 0, u32::MAX as u64, crate::rng::Purpose::Learn)
}

/// The cap on rates after `updates_done` updates of a warm-up of `warmup` updates on a grid of
/// `step`: rising one step at a time from `step` to 1; 1 without a warm-up.
pub fn cap(updates_done: u32, warmup: u32, step: f64) -> f64 {
    if warmup == 0 || updates_done >= warmup {
        return 1.0;
    }
    let rise = (updates_done as f64 + 1.0) / warmup as f64;
    snap((rise / step).floor().max(1.0) * step, step).min(1.0)
}

fn build(s: &Scenario, m: &mut WorldModel) {
    let Some(header) = header(s) else { return };
    let weights = learned(s).and_then(|l| l.weights.as_deref());
    let policy = Policy::read_or_fresh(weights, header, init_seed(m.clock.seed), "the principal");
    let agents = s.agents.iter().map(|g| g.count as usize).sum();
    m.parts.insert(Governor {
        policy: Arc::new(policy),
        cap: 1.0,
        horizon: s.learning.episode(s.run.ticks).max(1),
        agents,
        record: None,
    });
}

/// What the principal sees at a period end (see the module's documentation).
pub fn observe(m: &WorldModel, tax: &TaxState, p: f64, horizon: u64, agents: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(observation_size(tax.schedule.rates.len(), agents));
    out.push(squash_p(p) as f32);
    out.push(((m.clock.tick + 1) as f64 / horizon as f64).min(1.0) as f32);
    out.extend(tax.rates().iter().map(|&r| r as f32));
    for k in 0..agents {
        let net = tax.last_net.get(k).map_or(0.0, |&n| n as f64 / MILLI as f64);
        let store = m.agents.get(k).map_or(0.0, |a| a.ledger.wealth());
        out.push(squash_store(net) as f32);
        out.push(squash_store(store) as f32);
    }
    out
}

/// The rates a choice sets: per bracket keep (0) or grid point `i − 1`, capped.
pub fn rates_of(actions: &[u32], now: &[f64], step: f64, cap: f64) -> Vec<f64> {
    actions
        .iter()
        .zip(now)
        .map(|(&a, &r)| if a == 0 { r } else { snap((a - 1) as f64 * step, step) }.min(cap))
        .collect()
}

/// Draws one choice per bracket from `probs` (`brackets × K`, row by row), bracket by bracket
/// with the uniform draws `u` gives: the choices and `ln π` of them, summed.
pub fn draw(probs: &[f32], brackets: usize, mut u: impl FnMut() -> f64) -> (Vec<u32>, f32) {
    let k = probs.len() / brackets.max(1);
    let mut actions = Vec::with_capacity(brackets);
    let mut logp = 0.0f64;
    for b in 0..brackets {
        let row = &probs[b * k..(b + 1) * k];
        let x = u();
        let mut acc = 0.0f64;
        let mut pick = k - 1;
        for (i, &q) in row.iter().enumerate() {
            acc += q as f64;
            if x < acc {
                pick = i;
                break;
            }
        }
        actions.push(pick as u32);
        logp += (row[pick] as f64).max(1e-30).ln();
    }
    (actions, logp as f32)
}

/// The per-bracket softmax of a principal network's `B·K` logits for one observation, and its
/// value.
pub fn policy_of(policy: &Policy, obs: &[f32], brackets: usize) -> Result<(Vec<f32>, f32)> {
    use candle_core::{D, Tensor};
    let n = obs.len();
    let x = Tensor::from_slice(obs, (1, n), &super::net::DEVICE).map_err(super::net::err)?;
    let net = &policy.nets[0];
    let run = || -> candle_core::Result<(Vec<f32>, f32)> {
        let f = net.features(&x)?;
        let logits = net.logits(&f)?;
        let k = logits.dim(1)? / brackets.max(1);
        let probs = candle_nn::ops::softmax(&logits.reshape((brackets, k))?, D::Minus1)?;
        let value = net.value(&f)?.flatten_all()?.to_vec1::<f32>()?[0];
        Ok((probs.flatten_all()?.to_vec1::<f32>()?, value))
    };
    run().map_err(super::net::err)
}

fn propose(m: &mut WorldModel) {
    let clock = m.clock;
    let Some(tax) = m.parts.get::<TaxState>().filter(|t| t.period_ends(&clock)) else { return };
    let Some(principal) = m.parts.get::<Principal>() else { return };
    let Some(g) = m.parts.get::<Governor>() else { return };
    let p = served_p(principal.objective, m.parts.get::<Election>());
    let brackets = tax.schedule.rates.len();
    let obs = observe(m, tax, p, g.horizon, g.agents);
    let (probs, value) = match policy_of(&g.policy, &obs, brackets) {
        Ok(x) => x,
        Err(e) => {
            crate::tell_err!("warning: the principal's network failed ({e}); it keeps the rates");
            return;
        }
    };
    let mut stream = crate::principal::stream(&clock);
    let (actions, logp) = draw(&probs, brackets, || stream.unit());
    let rates = rates_of(&actions, &tax.rates(), tax.rate_step, g.cap);
    let g = m.parts.get_mut::<Governor>().expect("looked up above");
    if let Some(record) = &mut g.record {
        record.choices.push(Choice { obs, actions, logp, value, p, reward: 0.0 });
    }
    m.parts.insert(RateProposal(Some(rates)));
}

/// At a period end's `Account`, after the choice just made was recorded: books the reward of
/// the choice before it (`W_p`, with the `p` it served, of each agent's reward since the period
/// end it was made at), and keeps the totals for the choice just made.
fn book(record: &mut Record, totals: &[f64]) {
    let n = record.choices.len();
    if n >= 2 {
        let gained: Vec<f64> = totals.iter().zip(&record.totals).map(|(now, then)| now - then).collect();
        let c = &mut record.choices[n - 2];
        c.reward = power_mean(&gained, c.p);
    }
    record.totals = totals.to_vec();
}

/// At a period end's `Account` (the agents' rewards credited), the previous choice's period is
/// over: its reward is booked, and the totals are kept for the choice just made.
fn settle(m: &mut WorldModel) {
    let clock = m.clock;
    if !m.parts.get::<TaxState>().is_some_and(|t| t.period_ends(&clock)) {
        return;
    }
    let totals = crate::utility::stock(m);
    if let Some(record) = m.parts.get_mut::<Governor>().and_then(|g| g.record.as_mut()) {
        book(record, &totals);
    }
}

/// At an episode's end, the last choice's reward: `W_p` of the agents' rewards since it was
/// made (a period cut short, or none when the episode ends on a period end). Returns the
/// record.
pub fn finish(m: &mut WorldModel) -> Option<Record> {
    let totals = crate::utility::stock(m);
    let mut record = m.parts.get_mut::<Governor>()?.record.take()?;
    if let Some(last) = record.choices.last_mut() {
        let gained: Vec<f64> = totals.iter().zip(&record.totals).map(|(now, then)| now - then).collect();
        last.reward = power_mean(&gained, last.p);
    }
    Some(record)
}
