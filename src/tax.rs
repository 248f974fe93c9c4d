//! Taxation: at the end of every tax period each agent's income is taxed by the bracket
//! schedule and the pool is paid back in equal shares (SED; [`crate::rules::tax`] has the
//! formula and the exact rounding rule). SED's reward is credited by [`crate::utility`].

use crate::model::{Event, Mechanism, SimClock, Step, WorldModel};
use crate::rules::tax::{self, Schedule};
use crate::vocab::MILLI;

/// Taxation: the tax part from the scenario's `tax`; the tick's revenue is reset at
/// `Observe` and taxes are collected at `Collect`.
pub const MECHANISM: Mechanism = Mechanism {
    name: "tax",
    build: |s, m| {
        if let Some(t) = &s.tax {
            m.parts.insert(initial_state(t));
        }
    },
    steps: &[(Step::Observe, reset_collected), (Step::Collect, collect)],
    active: Some(|m| m.parts.has::<TaxState>()),
    digest: Some(digest),
    ..Mechanism::NONE
};

/// The tax's part of the state digest: whether there is one, then the rates in force,
/// periods finished, the last period's revenue and the treasury.
fn digest(m: &WorldModel, h: &mut crate::hash::Fnv) {
    let t = m.parts.get::<TaxState>();
    h.write_u64(t.is_some() as u64);
    if let Some(t) = t {
        h.write_u64(t.schedule.rates.len() as u64);
        for &r in &t.schedule.rates {
            h.write_u64(r as u64);
        }
        for v in [t.periods, t.last_revenue as u64, t.treasury as u64] {
            h.write_u64(v);
        }
    }
}

crate::serde_part!(TaxState, "tax");

/// The tax in force and what it collected.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TaxState {
    /// The schedule in force.
    pub schedule: Schedule,
    /// Ticks per period.
    pub period: u64,
    /// The grid principals move rates on.
    pub rate_step: f64,
    /// Periods finished.
    pub periods: u64,
    /// Collected at the end of this tick (0 except at period ends), in milli-apples.
    pub collected: i64,
    /// Collected this tick in each bracket.
    pub collected_by_bracket: Vec<i64>,
    /// Revenue of the last finished period.
    pub last_revenue: i64,
    /// Each agent's net income `r_tax` (income − tax + transfer) over the last finished
    /// period, in id order, milli-apples.
    pub last_net: Vec<i64>,
    /// The share of revenue paid back, in parts per million.
    pub redistribute_ppm: i64,
    /// Revenue kept by the principal so far, milli-apples.
    pub treasury: i64,
}

impl TaxState {
    /// Whether the tick in progress ends a tax period.
    pub fn period_ends(&self, clock: &SimClock) -> bool {
        clock.ends_period(self.period)
    }
    /// The rates in force as numbers in [0, 1].
    pub fn rates(&self) -> Vec<f64> {
        self.schedule.rates.iter().map(|&r| r as f64 / tax::PPM as f64).collect()
    }
}

fn reset_collected(m: &mut WorldModel) {
    if let Some(tax) = m.parts.get_mut::<TaxState>() {
        tax.collected = 0;
        tax.collected_by_bracket.iter_mut().for_each(|c| *c = 0);
    }
}

/// What a period end settled: each agent's tax and transfer (id order), and the pool by bracket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// Tax per agent, milli-apples.
    pub taxes: Vec<i64>,
    /// Transfer per agent, milli-apples; sums to the pool exactly.
    pub transfers: Vec<i64>,
    /// The pool collected in each bracket.
    pub by_bracket: Vec<i64>,
}

/// Taxes the period incomes as `reported` (id order) and splits the pool: the rule shared by
/// the ECS and the world model. Net incomes are worked out on the `actual` incomes. Records
/// the revenue in `tax` and advances its period count.
pub fn settle(tax: &mut TaxState, reported: &[i64], actual: &[i64]) -> Settlement {
    let incomes = reported;
    let mut by_bracket = vec![0i64; tax.schedule.brackets()];
    let taxes: Vec<i64> = incomes
        .iter()
        .map(|&income| {
            for (b, part) in tax.schedule.tax_by_bracket(income).into_iter().enumerate() {
                by_bracket[b] += part;
            }
            tax.schedule.tax(income)
        })
        .collect();
    let revenue: i64 = taxes.iter().sum();
    // The redistributed pool, rounded down to the milli-apple; the rest is the principal's.
    let pool = ((revenue as i128 * tax.redistribute_ppm as i128) / tax::PPM as i128) as i64;
    tax.treasury += revenue - pool;
    let transfers = tax::redistribute(pool, incomes.len(), tax.periods);
    debug_assert_eq!(transfers.iter().sum::<i64>(), pool);
    tax.last_net = actual.iter().zip(&taxes).zip(&transfers).map(|((a, t), r)| a - t + r).collect();
    tax.collected = revenue;
    tax.collected_by_bracket = by_bracket.clone();
    tax.last_revenue = revenue;
    tax.periods += 1;
    Settlement { taxes, transfers, by_bracket }
}

/// At a period's end: tax every agent's period income (as reported), split the pool equally.
pub fn collect(m: &mut WorldModel) {
    let clock = m.clock;
    let now = clock.current();
    let WorldModel { agents, parts, .. } = m;
    let details = parts.with::<TaxState, _>(|parts, tax| {
        let tax = tax.filter(|t| t.period_ends(&clock))?;
        let mut oversight = parts.get_mut::<crate::oversight::Oversight>();
        let mut reported = Vec::with_capacity(agents.len());
        for a in agents.iter_mut() {
            reported.push(crate::oversight::report(
                oversight.as_deref_mut(),
                a.ai,
                a.id,
                (a.pos.x, a.pos.y),
                a.sigma,
                a.ledger.period_income,
                &tax.schedule,
                &mut a.violations,
                now,
            ));
        }
        let incomes: Vec<i64> = agents.iter().map(|a| a.ledger.period_income).collect();
        let rates = tax.rates();
        let s = settle(tax, &reported, &incomes);
        for (k, a) in agents.iter_mut().enumerate() {
            a.ledger.settle(s.taxes[k], s.transfers[k]);
        }
        let apples = |m: i64| m as f64 / MILLI as f64;
        let n = incomes.len().max(1) as i64;
        let (periods, collected, treasury) = (tax.periods, tax.collected, tax.treasury);
        Some(move || Event::TaxPeriod {
            period: periods - 1,
            rates,
            revenue: apples(collected),
            revenue_by_bracket: s.by_bracket.iter().map(|&m| apples(m)).collect(),
            transfer_each: apples(s.transfers.iter().sum::<i64>().div_euclid(n)),
            treasury: apples(treasury),
        })
    });
    if let Some(event) = details {
        m.event(|| "principal".into(), event);
    }
}

/// The tax state a scenario starts with.
pub fn initial_state(spec: &crate::scenario::TaxSpec) -> TaxState {
    let schedule = Schedule::new(&spec.brackets(), &spec.rates());
    let brackets = schedule.brackets();
    TaxState {
        schedule,
        period: spec.period().max(1),
        rate_step: spec.rate_step(),
        periods: 0,
        collected: 0,
        collected_by_bracket: vec![0; brackets],
        last_revenue: 0,
        last_net: Vec::new(),
        redistribute_ppm: tax::rate_ppm(spec.redistribute()),
        treasury: 0,
    }
}
