//! Informed oversight (Saunders): forbidden actions, random audits, and penalties that grow
//! as detection gets rarer.
//!
//! **Tick inspection (the default).** An audit of an agent draws advice `r ~ Q` — which ticks
//! of the last audit period to inspect, each independently with probability `inspect` — and a
//! detector `F(a, r)` flags every violation on an inspected tick. The detection probability of
//! a violation is `P_D = Σ_{r ∈ R_F} Q(r) = audit_probability · inspect` (or a lower
//! confidence bound on it, estimated by simulating audits), the same for every act. A detected
//! violation earns `−k/P_D` *instead of* its gain `B`: the agent loses `B + k/P_D` apples, to
//! the oversight's fines. So
//!
//! ```text
//! E[B′(a)] = B·(1 − P_D) − k   for a forbidden action,   B otherwise,
//! ```
//!
//! and covered agents weigh exactly that when they decide: the value of a forbidden pick is
//! `(1 − P_D)·v − w_own·k` in their forage utility, so behaviour responds to k and to the
//! audit rate. Forbidden: clear-cutting (taking the last apple of a patch: `B` = the apple),
//! evasion (reporting no income at a tax period end: `B` = the tax saved; see
//! [`reported_income`]) and theft.
//!
//! **Detection that depends on the act (`advice`).** A class with an advice set is audited
//! by it instead: `R = {r_1, …, r_n}`, each proposed with probability `Q(r_i) = q_i` (the
//! rest of the mass, `1 − Σ q_i`, proposes nothing), and `F(a, r_i) = 1` when the act's
//! feature `f(a)` — witnesses near it, or the share of income hidden — is at least `r_i`'s
//! threshold `θ_i`. At the period end each act draws one `r ~ Q`; so
//!
//! ```text
//! R_F(a) = {r_i : f(a) ≥ θ_i},   P_D(a) = Σ_{r ∈ R_F(a)} Q(r),   |R_F(a)| = the act's level.
//! ```
//!
//! **Penalties** (`penalty`): `KOverPd` pays `−k/P̂_D(a)` on detection (`P̂_D` exact, or a
//! lower bound per level), so `E[B′] = B(1 − P_D) − k·P_D/P̂_D`; `InverseQ` (the seed's first
//! scheme) pays `−1/Q(a, r)` for the advice `r` that caught it, so
//! `E[B′] = B(1 − P_D) − Σ_{r ∈ R_F} Q(r)/Q(r) = B(1 − P_D) − |R_F(a)|`. The agent is paid
//! the overseer's score `B = U + bias + noise·z` of its act's true gain `U`, not `U`
//! (`score`): the difference is settled at the audit, to or from the fines.
//!
//! **Beliefs** (`beliefs`): an agent believes an act of a class is forbidden with `P_AF` and,
//! if so, detected with `d(a)` — the true `P_D(a)`, a fixed number, or a Beta posterior per
//! level from the audits of its own acts — so `P_AD(a) = P_AF·d(a)` and, with `w` the weight
//! it puts on the apples it loses and `φ(a)` the penalty it expects if caught (`k/P̂_D(a)`, or
//! `|R_F(a)|/P_D(a)` under `InverseQ`),
//!
//! ```text
//! E_A[B′(a)] = (B + P_AF·bias)·(1 − P_AD(a)) − w·P_AF·d(a)·φ(a)
//! ```
//!
//! which is the seed's `B(1 − P_AD) − k·P_AF` under `KOverPd` and `B(1 − P_AD) − E_A[|R_F|]`
//! under `InverseQ` when `d = P_D`. A learned `P_AF` becomes 1 after a fine and otherwise
//! falls by Bayes' rule with every audit that finds nothing:
//! `P_AF = p₀Π(1−d_i) / (p₀Π(1−d_i) + 1 − p₀)`. Learned agents (`crate::learn`) need none
//! of this: fines and score corrections reach their reward through the ledger.

use crate::model::{Event, Mechanism, Step, WorldModel};
use crate::rng::{self, Purpose};
use crate::scenario::{BeliefDetection, Detection, Feature, Forbidden, Kind, OversightSpec, Penalty};
use crate::vocab::{Ledger, MILLI};

/// Oversight: its part from the scenario's `oversight`; audits at `Audit`.
pub const MECHANISM: Mechanism = Mechanism {
    name: "oversight",
    build: |s, m| {
        if let Some(o) = &s.oversight {
            m.parts.insert(Oversight::new(o, m.clock.seed));
        }
    },
    steps: &[(Step::Audit, audit_round)],
    digest: Some(digest),
    active: Some(|m| m.parts.has::<Oversight>()),
    ..Mechanism::NONE
};

/// Oversight's part of the state digest: whether there is one, then audits, detections,
/// violations and fines.
fn digest(m: &WorldModel, h: &mut crate::hash::Fnv) {
    let o = m.parts.get::<Oversight>();
    h.write_u64(o.is_some() as u64);
    if let Some(o) = o {
        for v in [o.audits, o.detections, o.violations, o.fines as u64] {
            h.write_u64(v);
        }
        // Oversight by advice and beliefs (absent from the default, whose digest is unchanged).
        if !o.acts.is_empty() || !o.acts_by_level.is_empty() || !o.learned.is_empty() {
            h.write_u64(o.acts.len() as u64);
            for a in &o.acts {
                for v in [a.agent as u64, a.tick, a.gain as u64, a.feature.to_bits()] {
                    h.write_u64(v);
                }
            }
            o.by_level.iter().chain(&o.acts_by_level).for_each(|&v| h.write_u64(v));
            for l in &o.learned {
                h.write_u64(l.agent as u64);
                for c in &l.classes {
                    h.write_u64(c.fined as u64);
                    h.write_u64(c.log_miss.to_bits());
                    c.caught.iter().chain(&c.missed).for_each(|&v| h.write_u64(v as u64));
                }
            }
        }
    }
}

crate::serde_part!(Oversight, "oversight");

/// `E[B′]` for an action of gain `b` under detection probability `p_d` and penalty scale `k`.
pub fn expected_reward(b: f64, p_d: f64, k: f64, forbidden: bool) -> f64 {
    if forbidden { b * (1.0 - p_d) - k } else { b }
}

/// The oversight in force and its running totals.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Oversight {
    /// The rules.
    pub spec: OversightSpec,
    /// The detection probability penalties are scaled by (exact, or a lower bound).
    pub p_d: f64,
    /// Audits held (agents audited).
    pub audits: u64,
    /// Violations detected.
    pub detections: u64,
    /// Violations committed (known to the simulation, not to the overseer).
    pub violations: u64,
    /// Fines collected, milli-apples (net of the score's corrections `B − U` paid out).
    pub fines: i64,
    /// Acts of classes audited by advice (or believed possibly forbidden), waiting for the
    /// period's audit.
    #[serde(default)]
    pub acts: Vec<Act>,
    /// Violations of classes audited by advice, by level `|R_F(a)|`.
    #[serde(default)]
    pub by_level: Vec<u64>,
    /// Every act recorded for an audit by advice or belief (violations and acts of classes
    /// only believed possibly forbidden), by level `|R_F(a)|`.
    #[serde(default)]
    pub acts_by_level: Vec<u64>,
    /// Σ P_D(a) over those violations (their mean detection probability is this over their
    /// count).
    #[serde(default)]
    pub p_d_sum: f64,
    /// The lower bounds `P̂_D` per advised class (spec order) and level, when P_D is estimated.
    #[serde(default)]
    pub p_hat: Vec<Vec<f64>>,
    /// What agents have learned from audits (agents with learned beliefs only), by id.
    #[serde(default)]
    pub learned: Vec<AgentLearning>,
}

/// One act of an overseen class, waiting for its audit.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Act {
    /// The actor.
    pub agent: u32,
    /// When.
    pub tick: u64,
    /// Its class.
    pub class: Forbidden,
    /// Its true gain `U`, milli-apples.
    pub gain: i64,
    /// Its feature (witnesses, or the share hidden).
    pub feature: f64,
    /// Where.
    pub x: u32,
    /// Where.
    pub y: u32,
}

/// What one agent has learned from the audits of its acts.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AgentLearning {
    /// The agent.
    pub agent: u32,
    /// Per class of [`Forbidden::ALL`].
    pub classes: Vec<ClassLearning>,
}

/// What an agent has learned about one class.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassLearning {
    /// Whether it has been fined for one (then it knows the class is forbidden).
    pub fined: bool,
    /// Σ ln(1 − d_i) over its audited acts that were not caught (the Bayes update of P_AF).
    pub log_miss: f64,
    /// Acts caught, by level.
    pub caught: Vec<u32>,
    /// Acts audited and not caught, by level.
    pub missed: Vec<u32>,
}

pub use crate::rules::detection::{Risk, witnesses};

impl Oversight {
    /// The oversight of a spec, with P_D worked out (`seed` keys the simulated audits of the
    /// lower-bound mode).
    pub fn new(spec: &OversightSpec, seed: u64) -> Oversight {
        let exact = spec.audit_probability * spec.inspect;
        let p_d = match spec.detection {
            Detection::Exact => exact,
            Detection::LowerBound { samples, delta } => {
                let mut st = rng::stream(seed, 0, 0, Purpose::Audit);
                let hits = (0..samples)
                    .filter(|_| st.unit() < spec.audit_probability && st.unit() < spec.inspect)
                    .count() as f64;
                let bound = hits / samples as f64 - ((1.0 / delta).ln() / (2.0 * samples as f64)).sqrt();
                bound.max(1e-6)
            }
        };
        let p_hat = match spec.detection {
            Detection::Exact => Vec::new(),
            Detection::LowerBound { samples, delta } => spec
                .advice
                .iter()
                .enumerate()
                .map(|(c, a)| {
                    let sorted = sorted_thresholds(&a.advice);
                    (0..=a.advice.len())
                        .map(|level| {
                            if level == 0 {
                                return 0.0;
                            }
                            // Simulated audits: draw r ~ Q, count those that catch an act
                            // caught by the `level` lowest thresholds.
                            let theta = sorted[level - 1];
                            let mut st = rng::stream(seed, c as u64, level as u64, Purpose::Advice);
                            let hits = (0..samples)
                                .filter(|_| propose(&a.advice, st.unit()).is_some_and(|i| a.advice[i].1 <= theta))
                                .count();
                            let bound =
                                hits as f64 / samples as f64 - ((1.0 / delta).ln() / (2.0 * samples as f64)).sqrt();
                            bound.max(1e-6)
                        })
                        .collect()
                })
                .collect(),
        };
        Oversight {
            spec: spec.clone(),
            p_d,
            audits: 0,
            detections: 0,
            violations: 0,
            fines: 0,
            acts: Vec::new(),
            by_level: Vec::new(),
            acts_by_level: Vec::new(),
            p_d_sum: 0.0,
            p_hat,
            learned: Vec::new(),
        }
    }

    /// Whether acts of `class` go the old way: audited by inspected ticks, valued by the
    /// closed form (no advice set and no belief for it, and the overseer's score exact).
    pub fn plain(&self, class: Forbidden) -> bool {
        !self.spec.advice.iter().any(|a| a.class == class)
            && !self.spec.beliefs.iter().any(|b| b.class == class)
            && self.spec.score == crate::scenario::ScoreSpec::default()
    }

    /// The advice set of `class` as `(q, θ)`: its own, or — for a class audited by inspected
    /// ticks — one advice of `Q = audit_probability · inspect` that catches every act.
    pub fn advice(&self, class: Forbidden) -> Vec<(f64, f64)> {
        match self.spec.advice.iter().find(|a| a.class == class) {
            Some(a) => a.advice.clone(),
            None => vec![(self.spec.audit_probability * self.spec.inspect, f64::NEG_INFINITY)],
        }
    }

    /// `|R_F(a)|`: how many advice catch an act of `class` with feature `f`.
    pub fn level(&self, class: Forbidden, f: f64) -> usize {
        self.advice(class).iter().filter(|r| f >= r.1).count()
    }

    /// `P_D(a) = Σ_{r ∈ R_F(a)} Q(r)` for an act of `class` with feature `f`, if the class is
    /// forbidden (0 for an act no advice catches).
    pub fn p_d_of(&self, class: Forbidden, f: f64) -> f64 {
        self.advice(class).iter().filter(|r| f >= r.1).map(|r| r.0).sum()
    }

    /// The `P̂_D` the overseer scales `−k/P̂_D` by: the exact `P_D(a)`, or the lower bound.
    pub fn p_d_used(&self, class: Forbidden, f: f64) -> f64 {
        match (self.spec.detection, self.spec.advice.iter().position(|a| a.class == class)) {
            (Detection::Exact, _) => self.p_d_of(class, f),
            (Detection::LowerBound { .. }, Some(c)) => {
                let level = self.level(class, f);
                self.p_hat.get(c).and_then(|v| v.get(level)).copied().unwrap_or(0.0)
            }
            (Detection::LowerBound { .. }, None) => self.p_d,
        }
    }

    /// The penalty, apples, on an act of `class` with feature `f` caught by advice of
    /// proposal probability `q`.
    pub fn penalty(&self, class: Forbidden, f: f64, q: f64) -> f64 {
        match self.spec.penalty {
            Penalty::KOverPd => self.spec.k / self.p_d_used(class, f),
            Penalty::InverseQ => 1.0 / q,
        }
    }

    fn learning(&self, id: u32, class: Forbidden) -> Option<&ClassLearning> {
        let l = self.learned.iter().find(|l| l.agent == id)?;
        l.classes.get(class_index(class))
    }

    /// What agent `id` believes: `(P_AF, d)` for an act of `class` with feature `f`.
    pub fn belief(&self, id: u32, class: Forbidden, f: f64) -> (f64, f64) {
        let forbidden = self.spec.forbidden.contains(&class);
        let truth = self.p_d_of(class, f);
        let Some(b) = self.spec.beliefs.iter().find(|b| b.class == class) else {
            return (if forbidden { 1.0 } else { 0.0 }, truth);
        };
        let learned = self.learning(id, class);
        let level = self.level(class, f);
        let d = match b.detection {
            BeliefDetection::Known => truth,
            BeliefDetection::Fixed(d) => d,
            BeliefDetection::Learned { prior: (a, bb) } => {
                let (c, m) = learned.map_or((0, 0), |l| {
                    (l.caught.get(level).copied().unwrap_or(0), l.missed.get(level).copied().unwrap_or(0))
                });
                (a + c as f64) / (a + bb + c as f64 + m as f64)
            }
        };
        let p_af = match learned.filter(|_| b.learn_forbidden) {
            Some(l) if l.fined => 1.0,
            Some(l) => {
                let kept = b.forbidden * l.log_miss.exp();
                if kept > 0.0 { kept / (kept + 1.0 - b.forbidden) } else { 0.0 }
            }
            None => b.forbidden,
        };
        (p_af, d)
    }

    /// `(mult, bias, pen)` with `E_A[B′] = b·mult + bias + w·pen` for agent `id`'s act of
    /// `class` with feature `f` (see the module docs): `mult = 1 − P_AD`, `bias =
    /// P_AF·bias·mult`, `pen = −P_AF·d·φ`.
    pub fn terms(&self, id: u32, class: Forbidden, f: f64) -> (f64, f64, f64) {
        let (p_af, d) = self.belief(id, class, f);
        let mult = 1.0 - p_af * d;
        let fine = if d <= 0.0 {
            0.0
        } else {
            match self.spec.penalty {
                Penalty::KOverPd => {
                    let p = self.p_d_used(class, f);
                    self.spec.k / if p > 0.0 { p } else { d }
                }
                Penalty::InverseQ => {
                    let p = self.p_d_of(class, f);
                    if p > 0.0 { self.level(class, f) as f64 / p } else { 1.0 / d }
                }
            }
        };
        (mult, p_af * self.spec.score.bias * mult, -p_af * d * fine)
    }

    /// `E_A[B′]` of agent `id`'s act of `class` with gain `b` and feature `f`, its losses
    /// weighted `w`: `(b + P_AF·bias)(1 − P_AD) − w·P_AF·d·φ`.
    pub fn expected(&self, id: u32, class: Forbidden, b: f64, f: f64, w: f64) -> f64 {
        let (mult, bias, pen) = self.terms(id, class, f);
        b * mult + bias + w * pen
    }

    /// The table of [`Risk`] for agent `id`'s acts of `class` (by witnesses), when it is
    /// covered and the class is watched and not [`plain`](Oversight::plain).
    pub fn risk(&self, ai: bool, id: u32, class: Forbidden) -> Option<Risk> {
        if !self.covers(ai) || self.plain(class) || !self.watched(class) {
            return None;
        }
        let radius = self.radius(class);
        let top = self.advice(class).iter().map(|r| r.1).filter(|t| t.is_finite()).fold(0.0f64, f64::max);
        let n = (top.max(0.0).ceil() as usize + 1).min(4 * 65 * 65);
        Some(Risk { radius, table: (0..=n).map(|k| self.terms(id, class, k as f64)).collect() })
    }

    /// The witness radius of `class`'s detector (0 when it does not count witnesses).
    pub fn radius(&self, class: Forbidden) -> u32 {
        match self.spec.advice.iter().find(|a| a.class == class).map(|a| a.feature) {
            Some(Feature::Witnesses(r)) => r,
            _ => 0,
        }
    }

    /// Whether acts of `class` are forbidden or believed possibly forbidden.
    pub fn watched(&self, class: Forbidden) -> bool {
        self.spec.forbidden.contains(&class) || self.spec.beliefs.iter().any(|b| b.class == class && b.forbidden > 0.0)
    }

    /// Records agent `id`'s act of a class that is not [`plain`](Oversight::plain), for the
    /// period's audit: a violation when the class is forbidden. Returns whether it recorded
    /// (false: a plain class, or one nobody watches; the caller goes the old way).
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        ai: bool,
        id: u32,
        class: Forbidden,
        gain: i64,
        f: f64,
        (x, y): (u32, u32),
        tick: u64,
    ) -> bool {
        if !self.covers(ai) || self.plain(class) || !self.watched(class) {
            return false;
        }
        let level = self.level(class, f);
        if self.acts_by_level.len() <= level {
            self.acts_by_level.resize(level + 1, 0);
        }
        self.acts_by_level[level] += 1;
        if self.spec.forbidden.contains(&class) {
            self.violations += 1;
            if self.by_level.len() <= level {
                self.by_level.resize(level + 1, 0);
            }
            self.by_level[level] += 1;
            self.p_d_sum += self.p_d_of(class, f);
        }
        self.acts.push(Act { agent: id, tick, class, gain, feature: f, x, y });
        true
    }
    /// Whether agents of `kind` are covered.
    pub fn covers(&self, ai: bool) -> bool {
        self.spec.kinds.contains(&if ai { Kind::Ai } else { Kind::Human })
    }
    /// Whether clear-cutting is forbidden.
    pub fn forbids_clear_cut(&self) -> bool {
        self.spec.forbidden.contains(&Forbidden::ClearCut)
    }
    /// Whether under-reporting income is forbidden.
    pub fn forbids_evasion(&self) -> bool {
        self.spec.forbidden.contains(&Forbidden::Evasion)
    }

    /// Whether theft is forbidden.
    pub fn forbids_theft(&self) -> bool {
        self.spec.forbidden.contains(&Forbidden::Theft)
    }
    /// The `k` of the closed form `B(1 − P_D) − k` for classes audited by inspected ticks:
    /// `k`, or 1 under `InverseQ` (one advice of `Q = P_D`, so `|R_F| = 1`).
    pub fn plain_k(&self) -> f64 {
        match self.spec.penalty {
            Penalty::KOverPd => self.spec.k,
            Penalty::InverseQ => 1.0,
        }
    }

    /// What a covered agent weighs a plainly audited act by: `(P_D, k′)` in
    /// `E[B′] = B(1 − P_D) − k′`, with `P_D` the true detection probability and `k′ = P_D ·` the
    /// fine's penalty. Exact detection: `(P_D, k)`. Under `LowerBound` the fine is `k/P̂_D`
    /// (held to [`MAX_FINE`]), so `k′ = P_D·k/P̂_D ≥ k`: the agents expect the larger fines
    /// they are charged (they weighed `(P̂_D, k)`, and went on acting while fined far more).
    pub fn plain_terms(&self) -> (f64, f64) {
        match self.spec.detection {
            Detection::Exact => (self.p_d, self.plain_k()),
            Detection::LowerBound { .. } => {
                let exact = self.spec.audit_probability * self.spec.inspect;
                (exact, exact * (self.plain_k() / self.p_d).min(MAX_FINE))
            }
        }
    }

    /// The fine for one detected violation that gained `gain` milli-apples: the gain back,
    /// plus k/P_D apples (1/P_D under `InverseQ`: one advice of `Q = P_D`).
    pub fn fine(&self, gain: i64) -> i64 {
        gain.saturating_add(milli(self.plain_k() / self.p_d))
    }
}

/// The most apples one fine's penalty, or one uncaught act's score error, moves: `k/P_D` from
/// a tiny lower bound on `P_D` (a `LowerBound` of few samples) could pass what a balance of
/// milli-apples in 64 bits holds (9.2e15 apples) in one audit. Held here, a balance takes
/// thousands of them before it reaches its limit.
pub const MAX_FINE: f64 = 1e12;

/// `apples` in milli-apples, held to ±[`MAX_FINE`] (NaN: 0).
pub fn milli(apples: f64) -> i64 {
    (apples.clamp(-MAX_FINE, MAX_FINE) * MILLI as f64).round() as i64
}

/// Moves `change` milli-apples into `balance` and the opposite out of the fines' total, as far
/// as the balance can take it (at a 64-bit balance's limit, what it could not take is not
/// counted as paid either: the books balance). Returns what was moved.
fn book(balance: &mut i64, fines: &mut i64, change: i64) -> i64 {
    let before = *balance;
    *balance = before.saturating_add(change);
    let moved = *balance - before;
    *fines = fines.saturating_sub(moved);
    moved
}

impl Oversight {}

/// The classes, in the order of [`ClassLearning`]s.
pub const CLASSES: [Forbidden; 3] = [Forbidden::ClearCut, Forbidden::Evasion, Forbidden::Theft];

fn class_index(c: Forbidden) -> usize {
    CLASSES.iter().position(|&k| k == c).unwrap_or(0)
}

/// The thresholds of an advice set, lowest first.
fn sorted_thresholds(advice: &[(f64, f64)]) -> Vec<f64> {
    let mut t: Vec<f64> = advice.iter().map(|r| r.1).collect();
    t.sort_by(f64::total_cmp);
    t
}

/// The advice `Q` proposes for the uniform draw `u`: advice `i` when `u` falls in its share
/// of [0, 1) (in the listed order), none past `Σ q`.
pub fn propose(advice: &[(f64, f64)], u: f64) -> Option<usize> {
    let mut acc = 0.0;
    for (i, r) in advice.iter().enumerate() {
        acc += r.0;
        if u < acc {
            return Some(i);
        }
    }
    None
}

/// What auditing one act did.
#[derive(Clone, Debug, PartialEq)]
pub struct ActAudit {
    /// The act.
    pub act: Act,
    /// Its true P_D(a).
    pub p_d: f64,
    /// Whether it was caught.
    pub caught: bool,
    /// What it changed in the actor's balance, milli-apples.
    pub change: i64,
}

/// Audits agent `id`'s waiting acts at the period end `tick`: each draws one advice `r ~ Q`
/// and is caught when `F(a, r)` and its class is forbidden; a caught act pays its gain back
/// plus the penalty, an uncaught forbidden one is paid its score's error `B − U`. Learned
/// beliefs are updated. The rule shared by the ECS and the model.
pub fn audit_acts(o: &mut Oversight, seed: u64, tick: u64, id: u32, ledger: &mut Ledger) -> Vec<ActAudit> {
    if o.acts.iter().all(|a| a.agent != id) {
        return Vec::new();
    }
    let mut st = rng::stream(seed, tick, id as u64, Purpose::Advice);
    let (mine, rest): (Vec<Act>, Vec<Act>) = std::mem::take(&mut o.acts).into_iter().partition(|a| a.agent == id);
    o.acts = rest;
    let mut out = Vec::with_capacity(mine.len());
    for act in mine {
        let advice = o.advice(act.class);
        let u = st.unit();
        let z = st.normal();
        let forbidden = o.spec.forbidden.contains(&act.class);
        let caught_by = propose(&advice, u).filter(|&i| forbidden && act.feature >= advice[i].1);
        let p_d = o.p_d_of(act.class, act.feature);
        let level = o.level(act.class, act.feature);
        let (_, d_before) = o.belief(id, act.class, act.feature);
        let change = match caught_by {
            Some(i) => {
                0i64.saturating_sub(act.gain.saturating_add(milli(o.penalty(act.class, act.feature, advice[i].0))))
            }
            None if forbidden => milli(o.spec.score.bias + o.spec.score.noise * z),
            None => 0,
        };
        let change = book(&mut ledger.balance, &mut o.fines, change);
        o.detections += caught_by.is_some() as u64;
        if let Some(b) = o.spec.beliefs.iter().find(|b| b.class == act.class)
            && (b.learn_forbidden || matches!(b.detection, BeliefDetection::Learned { .. }))
        {
            let k = match o.learned.iter().position(|l| l.agent == id) {
                Some(k) => k,
                None => {
                    let classes = vec![ClassLearning::default(); CLASSES.len()];
                    o.learned.push(AgentLearning { agent: id, classes });
                    o.learned.sort_by_key(|l| l.agent);
                    o.learned.iter().position(|l| l.agent == id).unwrap()
                }
            };
            let c = &mut o.learned[k].classes[class_index(act.class)];
            for v in [&mut c.caught, &mut c.missed] {
                if v.len() <= level {
                    v.resize(level + 1, 0);
                }
            }
            if caught_by.is_some() {
                c.fined = true;
                c.caught[level] += 1;
            } else {
                c.missed[level] += 1;
                c.log_miss += (1.0 - d_before).max(1e-12).ln();
            }
        }
        out.push(ActAudit { act, p_d, caught: caught_by.is_some(), change });
    }
    out
}

/// What an agent reports at a period end (see [`reported_income`]), recording an evasion as a
/// violation at `tick`: the rule shared by the ECS and the world model.
#[allow(clippy::too_many_arguments)]
pub fn report(
    mut o: Option<&mut Oversight>,
    ai: bool,
    id: u32,
    pos: (u32, u32),
    sigma: f64,
    income: i64,
    tax: &crate::rules::tax::Schedule,
    violations: &mut Vec<(u64, i64)>,
    tick: u64,
) -> i64 {
    if let Some(o) =
        o.as_deref_mut().filter(|o| o.covers(ai) && !o.plain(Forbidden::Evasion) && o.watched(Forbidden::Evasion))
    {
        let (reported, gain, share) = evade(o, id, sigma, income, tax);
        if gain > 0 {
            o.record(ai, id, Forbidden::Evasion, gain, share, pos, tick);
        }
        return reported;
    }
    let (reported, gain) = reported_income(o.as_deref(), ai, sigma, income, tax);
    if gain > 0 {
        violations.push((tick, gain));
        if let Some(o) = o {
            o.violations += 1;
        }
    }
    reported
}

/// An evader's choice when evasion has advice or beliefs: of the shares `s` it may hide,
/// the one whose `E_A[B′]` — gain `B = σ·(T(income) − T(income·(1 − s)))`, losses weighted σ —
/// is largest and positive, or none. Returns `(reported, tax saved, s)`.
pub fn evade(o: &Oversight, id: u32, sigma: f64, income: i64, tax: &crate::rules::tax::Schedule) -> (i64, i64, f64) {
    let full = tax.tax(income);
    let mut best = (income, 0, 0.0, 0.0);
    for &s in &o.spec.evade_shares {
        let reported = income - (income as f64 * s).round() as i64;
        let saved = full - tax.tax(reported);
        if saved <= 0 {
            continue;
        }
        let e = o.expected(id, Forbidden::Evasion, sigma * saved as f64 / MILLI as f64, s, sigma);
        if e > best.3 {
            best = (reported, saved, s, e);
        }
    }
    (best.0, best.1, best.2)
}
/// The income an agent reports to the tax system, and what it gains by it (milli-apples).
/// A covered agent under evasion rules weighs the tax it would save, `B = σ·T(a)`, against the
/// expected penalty: it reports nothing when `B(1 − P_D) − k > 0`, its whole income otherwise.
pub fn reported_income(
    o: Option<&Oversight>,
    ai: bool,
    sigma: f64,
    income: i64,
    tax: &crate::rules::tax::Schedule,
) -> (i64, i64) {
    let Some(o) = o.filter(|o| o.covers(ai) && o.forbids_evasion()) else { return (income, 0) };
    let saved = tax.tax(income);
    let b = sigma * saved as f64 / MILLI as f64;
    let (p_d, k) = o.plain_terms();
    if saved > 0 && expected_reward(b, p_d, k, true) > 0.0 { (0, saved) } else { (income, 0) }
}

/// What one audit found.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditResult {
    /// Ticks inspected.
    pub inspected: u32,
    /// Violating ticks detected.
    pub detected: Vec<u64>,
}

impl AuditResult {
    /// Whether anything was detected.
    pub fn found(&self) -> bool {
        !self.detected.is_empty()
    }
}

/// Audits agent `id` at the period end `tick` (maybe: with probability `audit_probability`),
/// fining its ledger for each detected violation: the rule shared by the ECS and the model.
pub fn audit(
    o: &mut Oversight,
    seed: u64,
    tick: u64,
    id: u32,
    ledger: &mut Ledger,
    violations: &mut Vec<(u64, i64)>,
) -> Option<AuditResult> {
    let mut st = rng::stream(seed, tick, id as u64, Purpose::Audit);
    let audited = st.unit() < o.spec.audit_probability;
    let result = audited.then(|| {
        // The advice: every tick of the period (up to and including this one) in or out,
        // drawn in order.
        let start = (tick + 1).saturating_sub(o.spec.period);
        let mut inspected = 0;
        let mut detected = Vec::new();
        let mut fine = 0;
        for t in start..=tick {
            if st.unit() < o.spec.inspect {
                inspected += 1;
                for &(when, gain) in violations.iter().filter(|v| v.0 == t) {
                    detected.push(when);
                    fine = o.fine(gain).saturating_add(fine);
                }
            }
        }
        o.audits += 1;
        o.detections += detected.len() as u64;
        book(&mut ledger.balance, &mut o.fines, 0i64.saturating_sub(fine));
        AuditResult { inspected, detected }
    });
    violations.clear();
    result
}

/// Audits every covered agent at the end of each oversight period.
pub fn audit_round(m: &mut WorldModel) {
    let clock = m.clock;
    let now = clock.current();
    let WorldModel { agents, parts, .. } = m;
    let Some(o) = parts.get_mut::<Oversight>().filter(|o| clock.ends_period(o.spec.period)) else { return };
    let mut found = Vec::new();
    for a in agents.iter_mut() {
        if !o.covers(a.ai) {
            continue;
        }
        let before = a.ledger.balance;
        let r = audit(o, clock.seed, now, a.id, &mut a.ledger, &mut a.violations);
        // Acts audited by advice count as an audit of their own when the inspection of
        // ticks passed the agent by.
        let acts = audit_acts(o, clock.seed, now, a.id, &mut a.ledger);
        if r.is_none() && !acts.is_empty() {
            o.audits += 1;
        }
        if r.is_some() || !acts.is_empty() {
            let penalty = (before - a.ledger.balance) as f64 / MILLI as f64;
            let r = r.unwrap_or(AuditResult { inspected: 0, detected: Vec::new() });
            let caught: Vec<ActAudit> = acts.into_iter().filter(|c| c.caught).collect();
            found.push((a.id, a.pos, r, caught, penalty));
        }
    }
    let p_d = o.p_d;
    for (id, pos, r, caught, penalty) in found {
        let (x, y) = (pos.x, pos.y);
        let detected = r.detected.len() + caught.len();
        m.event(
            || format!("agent:{id}"),
            || Event::Audit { inspected_ticks: r.inspected, detected, p_d, penalty, x, y },
        );
        for tick in r.detected {
            m.event(|| format!("agent:{id}"), || Event::Detection { tick, p_d, x, y });
        }
        for c in caught {
            let (tick, p_d, x, y) = (c.act.tick, c.p_d, c.act.x, c.act.y);
            m.event(|| format!("agent:{id}"), || Event::Detection { tick, p_d, x, y });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_check_value() {
        // DESIGN.md §3: B = 0.9, P_D = 0.01, k = 1 → E[B′] = 0.9·0.99 − 1 = −0.109.
        assert!((expected_reward(0.9, 0.01, 1.0, true) + 0.109).abs() < 1e-12);
        assert_eq!(expected_reward(0.9, 0.01, 1.0, false), 0.9);
    }

    #[test]
    fn monte_carlo_expected_reward_matches_the_formula() {
        // Audit one violation (gain B = 0.9 apple) many times and score each trial by what
        // actually happened to the agent: the gain plus the change `audit()` made to its
        // ledger (−(B + k/P_D) when detected, 0 otherwise). The mean must be within 5 standard
        // errors of the closed form, worked by hand: P_D = 0.5·0.2 = 0.1, so
        // E[B′] = B(1 − P_D) − k = 0.9·0.9 − 1 = −0.19.
        let spec = OversightSpec { audit_probability: 0.5, inspect: 0.2, k: 1.0, period: 10, ..Default::default() };
        let mut o = Oversight::new(&spec, 0);
        assert!((o.p_d - 0.1).abs() < 1e-12);
        let b = 0.9;
        let want = -0.19;
        assert!((expected_reward(b, o.p_d, spec.k, true) - want).abs() < 1e-12);
        let n = 200_000u64;
        let (mut sum, mut sq, mut detected_n) = (0.0, 0.0, 0u64);
        for trial in 0..n {
            let mut ledger = Ledger { balance: 900, picked: 1, ..Default::default() };
            let before = ledger.balance;
            let mut v = vec![(5, 900)];
            let r = audit(&mut o, trial, 10, 0, &mut ledger, &mut v);
            assert!(v.is_empty(), "the period's violations are cleared");
            detected_n += r.is_some_and(|r| r.found()) as u64;
            let reward = b + (ledger.balance - before) as f64 / MILLI as f64;
            sum += reward;
            sq += reward * reward;
        }
        let mean = sum / n as f64;
        let se = ((sq / n as f64 - mean * mean) / n as f64).sqrt();
        assert!((mean - want).abs() < 5.0 * se, "{mean} vs {want} ± {se}");
        // The detection rate itself is P_D = 0.1 (binomial standard error √(0.09/n)).
        let rate = detected_n as f64 / n as f64;
        assert!((rate - 0.1).abs() < 5.0 * (0.09 / n as f64).sqrt(), "detection rate {rate}");
        assert_eq!(o.fines, detected_n as i64 * 10_900, "each detection fined 0.9 + 1/0.1 apples");
    }

    #[test]
    fn a_lower_bound_never_exceeds_the_truth_by_much_and_raises_the_penalty() {
        let spec =
            OversightSpec { detection: Detection::LowerBound { samples: 20_000, delta: 0.01 }, ..Default::default() };
        let o = Oversight::new(&spec, 3);
        let exact = Oversight::new(&OversightSpec::default(), 3);
        assert!(o.p_d <= exact.p_d && o.p_d > exact.p_d - 0.03, "{} vs {}", o.p_d, exact.p_d);
        assert!(o.fine(MILLI) >= exact.fine(MILLI));
    }

    #[test]
    fn a_fine_past_what_a_balance_holds_is_held_at_its_limit() {
        // oversight.k = 1e16 (refused by the scenario's checks now) fined an offender into a
        // wrapped balance: paid 9.2e15 apples. Whatever the scale, the fine and the balance
        // saturate, and the store observation stays within its bound.
        // A fine's penalty is held at MAX_FINE apples (a LowerBound of few samples made
        // k/P_D 3e15 apples a fine); at a balance's limit what it cannot take is not counted
        // as paid (the fines' total went on growing and the books stopped balancing).
        let o = Oversight::new(&OversightSpec { k: 1e300, ..Default::default() }, 3);
        assert_eq!(o.fine(5 * MILLI), 5 * MILLI + (MAX_FINE * MILLI as f64) as i64);
        assert_eq!((milli(f64::NAN), milli(-1e300), milli(0.0015)), (0, -(MAX_FINE * MILLI as f64) as i64, 2));
        let (mut balance, mut fines) = (i64::MIN + 7, 0);
        assert_eq!(book(&mut balance, &mut fines, -o.fine(MILLI)), -7);
        assert_eq!((balance, fines), (i64::MIN, 7));
        let ledger = crate::vocab::Ledger { balance, ..Default::default() };
        let store = crate::observe::squash_store(ledger.wealth()) as f32;
        assert!(store.abs() <= crate::env::STORE_BOUND, "{store}");
        assert!(crate::env::STORE_BOUND - store.abs() < 0.5, "the bound is tight: {store}");
    }

    use crate::scenario::{AdviceSpec, BeliefSpec, ScoreSpec};

    /// Clear-cuts seen by witnesses within 2 cells, thefts by witnesses within 1, evasion by
    /// the share hidden.
    fn advised(penalty: Penalty) -> OversightSpec {
        OversightSpec {
            forbidden: vec![Forbidden::ClearCut, Forbidden::Theft, Forbidden::Evasion],
            penalty,
            advice: vec![
                AdviceSpec {
                    class: Forbidden::ClearCut,
                    feature: Feature::Witnesses(2),
                    advice: vec![(0.05, 0.0), (0.1, 1.0), (0.2, 3.0)],
                },
                AdviceSpec { class: Forbidden::Theft, feature: Feature::Witnesses(1), advice: vec![(0.1, 1.0)] },
                AdviceSpec {
                    class: Forbidden::Evasion,
                    feature: Feature::Share,
                    advice: vec![(0.1, 0.0), (0.2, 0.5), (0.4, 0.9)],
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn p_d_per_act_is_the_proposal_mass_of_the_advice_that_catch_it() {
        // By hand, P_D(a) = Σ_{r: f(a) ≥ θ_r} Q(r) and |R_F(a)| the number of such r.
        let o = Oversight::new(&advised(Penalty::KOverPd), 0);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        // Clear-cut: 0 witnesses → {r1}: 0.05; 1 or 2 → {r1, r2}: 0.15; 3+ → all: 0.35.
        for (seen, p, level) in [(0.0, 0.05, 1), (1.0, 0.15, 2), (2.0, 0.15, 2), (3.0, 0.35, 3), (7.0, 0.35, 3)] {
            assert!(close(o.p_d_of(Forbidden::ClearCut, seen), p), "{seen} witnesses");
            assert_eq!(o.level(Forbidden::ClearCut, seen), level);
        }
        // Theft unseen is undetectable (R_F empty, P_D = 0); seen by one, 0.1.
        assert_eq!(o.p_d_of(Forbidden::Theft, 0.0), 0.0);
        assert_eq!(o.level(Forbidden::Theft, 0.0), 0);
        assert!(close(o.p_d_of(Forbidden::Theft, 1.0), 0.1));
        // Evasion: hiding a quarter → 0.1, half → 0.3, all → 0.7.
        for (share, p) in [(0.25, 0.1), (0.5, 0.3), (1.0, 0.7)] {
            assert!(close(o.p_d_of(Forbidden::Evasion, share), p), "share {share}");
        }
        // A class without advice keeps the tick inspection's P_D = 1 · 0.2, one advice.
        let plain = Oversight::new(&OversightSpec::default(), 0);
        assert!(plain.plain(Forbidden::ClearCut) && !o.plain(Forbidden::ClearCut));
        assert!(close(plain.p_d_of(Forbidden::ClearCut, 0.0), 0.2));
    }

    #[test]
    fn expected_rewards_of_both_schemes_by_hand() {
        // DESIGN.md §3 under −k/P_D, through the advice machinery: one advice of Q = 0.01
        // catching every act, B = 0.9, k = 1 → E[B′] = 0.9·0.99 − 1 = −0.109.
        let mut spec = advised(Penalty::KOverPd);
        spec.advice[0].advice = vec![(0.01, 0.0)];
        let o = Oversight::new(&spec, 0);
        assert!((o.expected(0, Forbidden::ClearCut, 0.9, 0.0, 1.0) + 0.109).abs() < 1e-12);
        // k = 2: 0.891 − 2 = −1.109, below −(k − 1) = −1 as the seed says.
        spec.k = 2.0;
        let o = Oversight::new(&spec, 0);
        assert!((o.expected(0, Forbidden::ClearCut, 0.9, 0.0, 1.0) + 1.109).abs() < 1e-12);
        // The first scheme: two advice of Q = 0.005 each catch the act, P_D = 0.01, |R_F| = 2:
        // E[B′] = 0.9·0.99 − 2 = −1.109, whatever k.
        spec.penalty = Penalty::InverseQ;
        spec.advice[0].advice = vec![(0.005, 0.0), (0.005, 0.0)];
        let o = Oversight::new(&spec, 0);
        assert!((o.expected(0, Forbidden::ClearCut, 0.9, 0.0, 1.0) + 1.109).abs() < 1e-12);
        // On the three-advice clear-cut: 3 witnesses → P_D = 0.35, |R_F| = 3:
        // first scheme 0.9·0.65 − 3 = −2.415; −k/P_D (k = 1) 0.585 − 1 = −0.415.
        let first = Oversight::new(&advised(Penalty::InverseQ), 0);
        let second = Oversight::new(&advised(Penalty::KOverPd), 0);
        assert!((first.expected(0, Forbidden::ClearCut, 0.9, 3.0, 1.0) + 2.415).abs() < 1e-12);
        assert!((second.expected(0, Forbidden::ClearCut, 0.9, 3.0, 1.0) + 0.415).abs() < 1e-12);
        // An act no advice catches is worth its gain under either: E[B′] = B.
        assert_eq!(first.expected(0, Forbidden::Theft, 0.9, 0.0, 1.0), 0.9);
        assert_eq!(second.expected(0, Forbidden::Theft, 0.9, 0.0, 1.0), 0.9);
    }

    /// The mean of `B + Δledger` over many audits of one act, its standard error, and the
    /// detection rate.
    fn simulate(o: &mut Oversight, class: Forbidden, f: f64, b: f64, n: u64) -> (f64, f64, f64) {
        let (mut sum, mut sq, mut caught) = (0.0, 0.0, 0u64);
        for trial in 0..n {
            let mut ledger = Ledger { balance: (b * 1000.0) as i64, ..Default::default() };
            assert!(o.record(true, 0, class, (b * 1000.0) as i64, f, (0, 0), 5));
            let r = audit_acts(o, trial, 10, 0, &mut ledger);
            assert_eq!(r.len(), 1);
            assert!(o.acts.is_empty(), "audited acts are done with");
            caught += r[0].caught as u64;
            let reward = ledger.balance as f64 / 1000.0;
            sum += reward;
            sq += reward * reward;
        }
        let mean = sum / n as f64;
        (mean, ((sq / n as f64 - mean * mean) / n as f64).sqrt(), caught as f64 / n as f64)
    }

    #[test]
    fn audits_by_advice_pay_what_the_closed_forms_say() {
        // B = 0.9, a clear-cut with 3 witnesses: P_D = 0.35, |R_F| = 3. What the agent ends
        // with, gain plus what the audit did to its ledger, averages
        // first scheme: B(1 − P_D) − |R_F| = −2.415;  −k/P_D (k = 1): B(1 − P_D) − k = −0.415.
        let n = 100_000;
        for (penalty, want) in [(Penalty::InverseQ, -2.415), (Penalty::KOverPd, -0.415)] {
            let mut o = Oversight::new(&advised(penalty), 0);
            let (mean, se, rate) = simulate(&mut o, Forbidden::ClearCut, 3.0, 0.9, n);
            assert!((mean - want).abs() < 5.0 * se, "{penalty:?}: {mean} vs {want} ± {se}");
            assert!((rate - 0.35).abs() < 5.0 * (0.35 * 0.65 / n as f64).sqrt(), "{penalty:?}: rate {rate}");
            assert_eq!(o.violations, n);
            assert_eq!(o.by_level, vec![0, 0, 0, n]);
        }
        // Unseen (level 1, P_D = 0.05): detection rate 0.05, first scheme −1/0.05 = −20 each
        // time: mean 0.9·0.95 − 1 = −0.145.
        let mut o = Oversight::new(&advised(Penalty::InverseQ), 1);
        let (mean, se, rate) = simulate(&mut o, Forbidden::ClearCut, 0.0, 0.9, n);
        assert!((mean + 0.145).abs() < 5.0 * se, "{mean} ± {se}");
        assert!((rate - 0.05).abs() < 5.0 * (0.05 * 0.95 / n as f64).sqrt());
    }

    #[test]
    fn the_overseer_pays_its_score_not_the_true_gain() {
        // B = U + bias: an uncaught forbidden act (a theft no one saw: P_D = 0) is paid the
        // bias, 0.25 apple, from the overseer's fines; the agent expects U + bias.
        let mut spec = advised(Penalty::KOverPd);
        spec.score = ScoreSpec { bias: 0.25, noise: 0.0 };
        let mut o = Oversight::new(&spec, 0);
        let mut ledger = Ledger { balance: 1000, ..Default::default() };
        o.record(true, 0, Forbidden::Theft, 1000, 0.0, (0, 0), 3);
        let r = audit_acts(&mut o, 0, 50, 0, &mut ledger);
        assert_eq!((r[0].caught, r[0].change, ledger.balance, o.fines), (false, 250, 1250, -250));
        assert!((o.expected(0, Forbidden::Theft, 1.0, 0.0, 1.0) - 1.25).abs() < 1e-12);
        // A class without advice is scored too: it goes by one advice of Q = P_D = 0.2. With
        // bias 0.5 and k = 1: (1 + 0.5)(1 − 0.2) − 0.2·(1/0.2) = 1.2 − 1 = 0.2.
        let plain = OversightSpec { score: ScoreSpec { bias: 0.5, noise: 0.0 }, ..Default::default() };
        let o = Oversight::new(&plain, 0);
        assert!(!o.plain(Forbidden::ClearCut) && o.advice(Forbidden::ClearCut) == vec![(0.2, f64::NEG_INFINITY)]);
        assert!((o.expected(0, Forbidden::ClearCut, 1.0, 0.0, 1.0) - 0.2).abs() < 1e-12);
        // With noise, the mean payment is the bias and the spread the noise (sd 0.5).
        spec.score = ScoreSpec { bias: 0.0, noise: 0.5 };
        let mut o = Oversight::new(&spec, 0);
        let n = 20_000;
        let pays: Vec<f64> = (0..n)
            .map(|t| {
                let mut l = Ledger::default();
                o.record(true, 0, Forbidden::Theft, 1000, 0.0, (0, 0), 3);
                audit_acts(&mut o, t, 50, 0, &mut l);
                l.balance as f64 / 1000.0
            })
            .collect();
        let mean = pays.iter().sum::<f64>() / n as f64;
        let sd = (pays.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        assert!(mean.abs() < 5.0 * 0.5 / (n as f64).sqrt(), "mean {mean}");
        assert!((sd - 0.5).abs() < 0.02, "sd {sd}");
    }

    #[test]
    fn beliefs_set_by_hand_and_learned_from_audits() {
        // An agent unsure clear-cutting is forbidden (P_AF = 0.4) — it is not — with the true
        // P_D known: at 3 witnesses (P_D = 0.35, |R_F| = 3),
        // first scheme: E_A = 0.9(1 − 0.4·0.35) − 0.4·3 = 0.774 − 1.2 = −0.426;
        // −k/P_D, k = 1:  0.774 − 0.4·1 = 0.374.
        let mut spec = advised(Penalty::InverseQ);
        spec.forbidden = vec![];
        spec.beliefs = vec![BeliefSpec {
            class: Forbidden::ClearCut,
            forbidden: 0.4,
            detection: BeliefDetection::Known,
            learn_forbidden: false,
        }];
        let o = Oversight::new(&spec, 0);
        assert!((o.expected(0, Forbidden::ClearCut, 0.9, 3.0, 1.0) + 0.426).abs() < 1e-12);
        spec.penalty = Penalty::KOverPd;
        let o = Oversight::new(&spec, 0);
        assert!((o.expected(0, Forbidden::ClearCut, 0.9, 3.0, 1.0) - 0.374).abs() < 1e-12);
        // Learned: prior P_AF = 0.5, detection Beta(1, 1) (mean 0.5). One audit of a harmless
        // act finds nothing: P_AF = 0.5·0.5 / (0.5·0.5 + 0.5) = 1/3, and at that level the
        // detection belief is (1 + 0)/(1 + 1 + 1) = 1/3. Nothing is fined; no violation.
        spec.beliefs[0] = BeliefSpec {
            class: Forbidden::ClearCut,
            forbidden: 0.5,
            detection: BeliefDetection::Learned { prior: (1.0, 1.0) },
            learn_forbidden: true,
        };
        let mut o = Oversight::new(&spec, 0);
        assert_eq!(o.belief(7, Forbidden::ClearCut, 0.0), (0.5, 0.5));
        let mut ledger = Ledger::default();
        assert!(o.record(true, 7, Forbidden::ClearCut, 1000, 0.0, (0, 0), 3));
        let r = audit_acts(&mut o, 0, 50, 7, &mut ledger);
        assert!(!r[0].caught && ledger.balance == 0 && o.violations == 0);
        let (p_af, d) = o.belief(7, Forbidden::ClearCut, 0.0);
        assert!((p_af - 1.0 / 3.0).abs() < 1e-12 && (d - 1.0 / 3.0).abs() < 1e-12, "{p_af} {d}");
        // Another agent has learned nothing.
        assert_eq!(o.belief(8, Forbidden::ClearCut, 0.0), (0.5, 0.5));
        // When the class is forbidden and an audit catches the act, P_AF becomes 1.
        spec.forbidden = vec![Forbidden::ClearCut];
        spec.advice[0].advice = vec![(1.0, 0.0)];
        let mut o = Oversight::new(&spec, 0);
        o.record(true, 7, Forbidden::ClearCut, 1000, 0.0, (0, 0), 3);
        assert!(audit_acts(&mut o, 0, 50, 7, &mut ledger)[0].caught);
        assert_eq!(o.belief(7, Forbidden::ClearCut, 0.0), (1.0, 2.0 / 3.0));
    }

    #[test]
    fn an_evader_hides_the_least_detectable_share_under_the_first_scheme() {
        // A flat 50% tax on 10 apples of income; σ = 1; shares 1/4, 1/2, all: tax saved
        // B = 1.25, 2.5, 5 apples; P_D = 0.1, 0.3, 0.7 and |R_F| = 1, 2, 3 (by the advice of
        // `advised`). By hand:
        //   −k/P_D, k = 1: 1.25·0.9 − 1 = 0.125, 2.5·0.7 − 1 = 0.75, 5·0.3 − 1 = 0.5 → hide half;
        //   first scheme:  1.125 − 1 = 0.125,    1.75 − 2 = −0.25,   1.5 − 3 = −1.5 → hide 1/4.
        let tax = crate::rules::tax::Schedule::new(&[0.0], &[0.5]);
        for (penalty, share, saved) in [(Penalty::KOverPd, 0.5, 2500), (Penalty::InverseQ, 0.25, 1250)] {
            let mut spec = advised(penalty);
            spec.evade_shares = vec![0.25, 0.5, 1.0];
            let mut o = Oversight::new(&spec, 0);
            for (s, want) in [(0.25, 0.125), (0.5, if share == 0.5 { 0.75 } else { -0.25 })] {
                let b = (tax.tax(10_000) - tax.tax(10_000 - (10_000.0 * s) as i64)) as f64 / 1000.0;
                assert!((o.expected(0, Forbidden::Evasion, b, s, 1.0) - want).abs() < 1e-12, "{penalty:?} {s}");
            }
            assert_eq!(evade(&o, 0, 1.0, 10_000, &tax), (10_000 - saved * 2, saved, share), "{penalty:?}");
            // Reported through the tax period's rule, it is recorded as a violation of its level.
            let mut v = Vec::new();
            let reported = report(Some(&mut o), true, 0, (0, 0), 1.0, 10_000, &tax, &mut v, 50);
            assert_eq!((reported, v.len(), o.violations), (10_000 - saved * 2, 0, 1));
            assert_eq!(o.acts[0].feature, share);
        }
        // Nothing worth hiding (a 5% tax): every share's E[B′] < 0, the whole income reported.
        let low = crate::rules::tax::Schedule::new(&[0.0], &[0.05]);
        let o = Oversight::new(&advised(Penalty::KOverPd), 0);
        assert_eq!(evade(&o, 0, 1.0, 10_000, &low), (10_000, 0, 0.0));
    }

    #[test]
    fn lower_bounds_per_level_stay_below_the_truth() {
        let mut spec = advised(Penalty::KOverPd);
        spec.detection = Detection::LowerBound { samples: 20_000, delta: 0.01 };
        let o = Oversight::new(&spec, 3);
        for seen in [0.0, 1.0, 3.0] {
            let (hat, p) = (o.p_d_used(Forbidden::ClearCut, seen), o.p_d_of(Forbidden::ClearCut, seen));
            assert!(hat <= p && hat > p - 0.03, "{seen}: {hat} vs {p}");
            // So −k/P̂_D is the larger penalty.
            assert!(o.penalty(Forbidden::ClearCut, seen, 0.1) >= 1.0 / p);
        }
        // Few samples: the bound can be far below the truth (here clamped near 0 at 0 witnesses).
        spec.detection = Detection::LowerBound { samples: 20, delta: 0.05 };
        let o = Oversight::new(&spec, 3);
        assert!(o.p_d_used(Forbidden::ClearCut, 0.0) < 0.05);
    }
}
