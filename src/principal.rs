//! The principal: an AI entity that sets the tax rates at the end of every tax period for the
//! next one, serving an objective `p` (elected, or fixed).
//!
//! A period end runs, in order: taxes are collected ([`crate::tax`]), an election may be held
//! ([`crate::voting`]), the principal *proposes* rates ([`propose`]), the proposal may be
//! *reviewed* (the slot where a shield sits between a policy and the world), and the rates are
//! *applied*. A policy sees only a [`PrincipalObs`] and answers with rates, so any policy —
//! a planner, a black box — plugs in the same way.
//!
//! Policies:
//! * `Fixed` keeps the rates as they are;
//! * `Random` draws each rate from the grid {0, step, 2·step, …, 1};
//! * `Us2018` sets the US-2018 rates;
//! * `HillClimb` moves one rate by one step each period, and at the next period end keeps the
//!   move if the realised welfare `W_p` of the utility gained over the period
//!   ([`crate::utility`]) did not fall, else undoes it;
//! * `RevenueMax`, a deliberately misaligned black box, maximises this period's tax take as it
//!   sees it: every rate at its maximum, whatever that does to incentives and welfare;
//! * `Paa` plans over the world model ([`crate::paa`]); `Learned` plays a network
//!   ([`crate::learn::principal`]).

use crate::model::{Event, Mechanism, Part, SimClock, Step, WorldModel};
use crate::rng::{self, Purpose};
use crate::rules::tax::{self, US2018_RATES};
use crate::scenario::{Objective, PrincipalPolicy};
use crate::tax::TaxState;
use crate::vocab::MILLI;
use crate::voting::Election;

/// The principal: its part from the scenario's `principal`; it proposes rates at `Propose`
/// and they are applied at `Apply`.
pub const MECHANISM: Mechanism = Mechanism {
    name: "principal",
    build: |s, m| {
        if let Some(p) = &s.principal {
            m.parts.insert(Principal {
                policy: p.policy.clone(),
                objective: p.objective,
                climber: Default::default(),
                returned: 0.0,
            });
            m.parts.insert(RateProposal::default());
        }
    },
    steps: &[(Step::Propose, propose_rates), (Step::Apply, apply_rates), (Step::Apply, book_return)],
    active: Some(|m| m.parts.has::<Principal>()),
    ..Mechanism::NONE
};

crate::serde_part!(Principal, "principal");

impl Part for RateProposal {
    const NAME: &'static str = "rate_proposal";
    /// A proposal under review is the real world's: imagined worlds start with none.
    fn imagined(&self) -> Option<Self> {
        Some(RateProposal(None))
    }
    fn save(&self) -> Result<String, String> {
        crate::model::parts::to_ron(self)
    }
    fn load(&mut self, text: &str) -> Result<(), crate::model::parts::LoadError> {
        crate::model::parts::from_ron(self, text)
    }
}

/// The principal: what it serves and how it chooses rates.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Principal {
    /// The policy.
    pub policy: PrincipalPolicy,
    /// The objective.
    pub objective: Objective,
    /// Hill-climbing memory (for `HillClimb`).
    pub climber: Climber,
    /// Its objective summed over the tax periods finished so far: its undiscounted return
    /// (the `principal_return` column).
    #[serde(default)]
    pub returned: f64,
}

/// What a policy is shown at a period end.
#[derive(Clone, Debug, PartialEq)]
pub struct PrincipalObs {
    /// Periods finished.
    pub period: u64,
    /// The rates of the period that just ended.
    pub rates: Vec<f64>,
    /// The rate grid's step.
    pub step: f64,
    /// Revenue of the period that just ended, in apples.
    pub revenue: f64,
    /// The objective's `p`.
    pub p: f64,
    /// The objective: `W_p` of the utility each agent gained over the period
    /// ([`crate::utility::welfare`]).
    pub welfare: f64,
}

/// A hill climber's memory: the value it is trying to beat and the move it is testing.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Climber {
    /// The value measured under the rates it keeps.
    pub baseline: Option<f64>,
    /// The move under test: (bracket, rate before the move).
    pub pending: Option<(usize, f64)>,
}

impl Climber {
    /// Judges the pending move by `value`, then makes a new one.
    fn step(&mut self, rates: &mut [f64], value: f64, step: f64, stream: &mut rng::Stream) {
        match (self.pending.take(), self.baseline) {
            (Some((b, before)), Some(base)) if value < base => rates[b] = before,
            _ => self.baseline = Some(value),
        }
        if rates.is_empty() {
            return;
        }
        let b = stream.below(rates.len() as u64) as usize;
        let up = stream.below(2) == 1;
        let moved = |up: bool| snap(rates[b] + if up { step } else { -step }, step);
        let mut new = moved(up);
        if new == rates[b] {
            new = moved(!up);
        }
        self.pending = Some((b, rates[b]));
        rates[b] = new;
    }
}

/// Rounds a rate to the grid of `step` within [0, 1], and to 12 decimals, so that 0.2 + 0.1
/// is written 0.3 in events rather than 0.30000000000000004 (taxes use whole parts per
/// million, so this changes no tax).
pub fn snap(rate: f64, step: f64) -> f64 {
    let on_grid = (rate / step).round() * step;
    ((on_grid * 1e12).round() / 1e12).clamp(0.0, 1.0)
}

/// The rates a policy proposes for the next period.
pub fn propose(p: &mut Principal, obs: &PrincipalObs, stream: &mut rng::Stream) -> Vec<f64> {
    let mut rates = obs.rates.clone();
    match p.policy {
        // The PAA policy plans over the world model in its own system (see `paa`), the learned
        // one plays its network in its own mechanism (see `learn::principal`).
        PrincipalPolicy::Fixed | PrincipalPolicy::Paa | PrincipalPolicy::Learned(_) => {}
        PrincipalPolicy::Random => {
            let k = (1.0 / obs.step + 1e-9).floor().max(1.0) as u64;
            for r in &mut rates {
                *r = (stream.below(k + 1) as f64 * obs.step).min(1.0);
            }
        }
        PrincipalPolicy::Us2018 => rates = US2018_RATES.to_vec(),
        PrincipalPolicy::HillClimb => p.climber.step(&mut rates, obs.welfare, obs.step, stream),
        PrincipalPolicy::RevenueMax => rates.iter_mut().for_each(|r| *r = 1.0),
    }
    rates
}

/// Rates proposed this period end, waiting for review and application.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RateProposal(pub Option<Vec<f64>>);

/// The `p` the principal serves now.
pub fn served_p(objective: Objective, election: Option<&Election>) -> f64 {
    match objective {
        Objective::Fixed(p) => p,
        Objective::Elected => election.map_or(1.0, |e| e.elected),
    }
}

/// What the principal sees at a period end (after the taxes): the rates, the revenue, and
/// its objective — `W_p` of the utility each agent gained over the period
/// ([`crate::utility::welfare`], the `welfare_elected` metric).
pub fn observe(m: &WorldModel, tax: &TaxState, p: f64) -> PrincipalObs {
    PrincipalObs {
        period: tax.periods,
        rates: tax.rates(),
        step: tax.rate_step,
        revenue: tax.last_revenue as f64 / MILLI as f64,
        p,
        welfare: crate::utility::welfare(m, p),
    }
}

/// The principal's random stream at a period end.
pub fn stream(clock: &SimClock) -> rng::Stream {
    rng::stream(clock.seed, clock.tick, 0, Purpose::Principal)
}

/// At a tax period's end, a principal whose policy is not `Paa` or `Learned` proposes rates
/// (the PAA principal plans in [`crate::paa`], the learned one in
/// [`crate::learn::principal`]).
pub fn propose_rates(m: &mut WorldModel) {
    let clock = m.clock;
    let Some(tax) = m.parts.get::<TaxState>().filter(|t| t.period_ends(&clock)) else { return };
    let Some(principal) =
        m.parts.get::<Principal>().filter(|p| !matches!(p.policy, PrincipalPolicy::Paa | PrincipalPolicy::Learned(_)))
    else {
        return;
    };
    let obs = observe(m, tax, served_p(principal.objective, m.parts.get::<Election>()));
    let mut principal = principal.clone();
    let rates = propose(&mut principal, &obs, &mut stream(&clock));
    m.parts.insert(principal);
    m.parts.insert(RateProposal(Some(rates)));
}

/// At a tax period's end (its election held), adds the period's objective — `W_p` at the `p`
/// served of the utility gained over the period, the `welfare_elected` column — to the
/// principal's return.
pub fn book_return(m: &mut WorldModel) {
    let clock = m.clock;
    if !m.parts.get::<TaxState>().is_some_and(|t| t.period_ends(&clock)) {
        return;
    }
    let Some(objective) = m.parts.get::<Principal>().map(|p| p.objective) else { return };
    let value = crate::utility::welfare(m, served_p(objective, m.parts.get::<Election>()));
    if let Some(p) = m.parts.get_mut::<Principal>() {
        p.returned += value;
    }
}

/// Puts proposed rates into force (when their count matches the brackets).
pub fn apply(tax: &mut TaxState, rates: &[f64]) {
    if rates.len() == tax.schedule.rates.len() {
        tax.schedule.rates = rates.iter().map(|&r| tax::rate_ppm(r)).collect();
    }
}

/// Puts the rates proposed (and reviewed) this period end into force.
pub fn apply_rates(m: &mut WorldModel) {
    let parts = &mut m.parts;
    let Some(rates) = parts.get_mut::<RateProposal>().and_then(|p| p.0.take()) else { return };
    let Some(tax) = parts.get_mut::<TaxState>() else { return };
    apply(tax, &rates);
    let rates = tax.rates();
    let policy = parts.get::<Principal>().map(|p| p.policy.name().to_string()).unwrap_or_default();
    m.event(|| "principal".into(), || Event::TaxRates { policy, rates });
}
