//! Informed oversight (Saunders): forbidden actions, random audits, and penalties that grow
//! as detection gets rarer.
//!
//! An audit of an agent draws advice `r ~ Q` — which ticks of the last audit period to inspect,
//! each independently with probability `inspect` — and a detector `F(a, r)` flags every
//! violation on an inspected tick. The detection probability of a violation is
//! `P_D = Σ_{r ∈ R_F} Q(r) = audit_probability · inspect` (or a lower confidence bound on it,
//! estimated by simulating audits). A detected violation earns `−k/P_D` *instead of* its gain
//! `B`: the agent loses `B + k/P_D` apples, to the oversight's fines. So
//!
//! ```text
//! E[B′(a)] = B·(1 − P_D) − k   for a forbidden action,   B otherwise,
//! ```
//!
//! and covered agents weigh exactly that when they decide: the value of a forbidden pick is
//! `(1 − P_D)·v − w_own·k` in their forage utility, so behaviour responds to k and to the
//! audit rate. Forbidden: clear-cutting (taking the last apple of a patch: `B` = the apple) and
//! evasion (reporting no income at a tax period end: `B` = the tax saved; see
//! [`reported_income`]).

use crate::model::{Event, Mechanism, Step, WorldModel};
use crate::rng::{self, Purpose};
use crate::scenario::{Detection, Forbidden, Kind, OversightSpec};
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
    /// Fines collected, milli-apples.
    pub fines: i64,
}

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
        Oversight { spec: spec.clone(), p_d, audits: 0, detections: 0, violations: 0, fines: 0 }
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
    /// The fine for one detected violation that gained `gain` milli-apples: the gain back,
    /// plus k/P_D apples.
    pub fn fine(&self, gain: i64) -> i64 {
        gain + (self.spec.k / self.p_d * MILLI as f64).round() as i64
    }
}

/// What an agent reports at a period end (see [`reported_income`]), recording an evasion as a
/// violation at `tick`: the rule shared by the ECS and the world model.
pub fn report(
    o: Option<&mut Oversight>,
    ai: bool,
    sigma: f64,
    income: i64,
    tax: &crate::rules::tax::Schedule,
    violations: &mut Vec<(u64, i64)>,
    tick: u64,
) -> i64 {
    let (reported, gain) = reported_income(o.as_deref(), ai, sigma, income, tax);
    if gain > 0 {
        violations.push((tick, gain));
        if let Some(o) = o {
            o.violations += 1;
        }
    }
    reported
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
    if saved > 0 && expected_reward(b, o.p_d, o.spec.k, true) > 0.0 { (0, saved) } else { (income, 0) }
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
                    fine += o.fine(gain);
                }
            }
        }
        o.audits += 1;
        o.detections += detected.len() as u64;
        ledger.balance -= fine;
        o.fines += fine;
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
        if let Some(r) = audit(o, clock.seed, now, a.id, &mut a.ledger, &mut a.violations) {
            let penalty = (before - a.ledger.balance) as f64 / MILLI as f64;
            found.push((a.id, a.pos, r, penalty));
        }
    }
    let p_d = o.p_d;
    for (id, pos, r, penalty) in found {
        let (x, y) = (pos.x, pos.y);
        let detected = r.detected.len();
        m.event(
            || format!("agent:{id}"),
            || Event::Audit { inspected_ticks: r.inspected, detected, p_d, penalty, x, y },
        );
        for tick in r.detected {
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
}
