//! Taxation: at the end of every tax period each agent's income is taxed by the bracket
//! schedule and the pool is paid back in equal shares (SED; [`crate::rules::tax`] has the
//! formula and the exact rounding rule), and each tick SED's reward is credited.

use bevy::prelude::*;

use crate::agents::{Agent, AgentOrder, Ledger, MILLI, Position, Reward, Selfishness};
use crate::grid::Grid;
use crate::metrics::EventLog;
use crate::rules::tax::{self, Schedule};
use crate::sim::{GovernSystems, SimClock, SimTick, TickSystems};
use crate::social::Social;

/// The tax in force and what it collected.
#[derive(Resource, Clone, Debug, serde::Serialize, serde::Deserialize)]
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
        clock.current() % self.period == 0
    }
    /// The rates in force as numbers in [0, 1].
    pub fn rates(&self) -> Vec<f64> {
        self.schedule.rates.iter().map(|&r| r as f64 / tax::PPM as f64).collect()
    }
}

/// Collects taxes and pays transfers (`Govern`), and credits SED rewards (`Account`).
pub struct TaxPlugin;

impl Plugin for TaxPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(SimTick, reset_collected.in_set(TickSystems::Observe))
            .add_systems(SimTick, collect.run_if(resource_exists::<TaxState>).in_set(GovernSystems::Collect))
            .add_systems(SimTick, credit_rewards.in_set(TickSystems::Account));
    }
}

fn reset_collected(tax: Option<ResMut<TaxState>>) {
    if let Some(mut tax) = tax {
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

/// At a period's end: tax every agent's period income, split the pool equally.
pub fn collect(
    clock: Res<SimClock>,
    order: Res<AgentOrder>,
    mut tax: ResMut<TaxState>,
    mut events: ResMut<EventLog>,
    mut oversight: Option<ResMut<crate::oversight::Oversight>>,
    mut ledgers: Query<(&mut Ledger, &Selfishness, &mut crate::oversight::Violations, Has<crate::agents::Ai>)>,
) {
    if !tax.period_ends(&clock) {
        return;
    }
    let now = clock.current();
    let (mut incomes, mut reported) = (Vec::new(), Vec::new());
    for &e in &order.0 {
        let Ok((l, sigma, mut v, ai)) = ledgers.get_mut(e) else { continue };
        let r = crate::oversight::report(
            oversight.as_deref_mut(),
            ai,
            sigma.0,
            l.period_income,
            &tax.schedule,
            &mut v.0,
            now,
        );
        incomes.push(l.period_income);
        reported.push(r);
    }
    let rates = tax.rates();
    let s = settle(&mut tax, &reported, &incomes);
    for (k, &e) in order.0.iter().enumerate() {
        if let Ok((mut l, ..)) = ledgers.get_mut(e) {
            l.settle(s.taxes[k], s.transfers[k]);
        }
    }
    let apples = |m: i64| m as f64 / MILLI as f64;
    let n = incomes.len().max(1) as i64;
    events.push(
        clock.current(),
        "tax_period",
        "principal".into(),
        serde_json::json!({
            "period": tax.periods - 1,
            "rates": rates,
            "revenue": apples(tax.collected),
            "revenue_by_bracket": s.by_bracket.iter().map(|&m| apples(m)).collect::<Vec<_>>(),
            "transfer_each": apples(s.transfers.iter().sum::<i64>().div_euclid(n)),
            "treasury": apples(tax.treasury),
        }),
    );
}

/// Each agent's SED reward for a tick, from everyone's change in wealth `deltas` (apples, id
/// order); `None` when no one's wealth changed.
pub fn reward_increments(
    social: &Social,
    sigmas: &[f64],
    deltas: &[f64],
    positions: &[(u32, u32)],
    grid: &Grid,
) -> Option<Vec<f64>> {
    if deltas.iter().all(|&d| d == 0.0) {
        return None;
    }
    let sums = social.neighbour_sums(deltas, positions, grid.width(), grid.height());
    Some(sigmas.iter().zip(deltas).zip(&sums).map(|((s, d), n)| s * d + (1.0 - s) * n).collect())
}

/// Credits each agent's SED reward for the tick from the change in everyone's wealth.
pub fn credit_rewards(
    order: Res<AgentOrder>,
    social: Res<Social>,
    grid: Res<Grid>,
    mut agents: Query<(&Agent, &Position, &Selfishness, &Ledger, &mut Reward)>,
    mut scratch: Local<(Vec<f64>, Vec<f64>, Vec<(u32, u32)>)>,
) {
    let (sigmas, deltas, positions) = &mut *scratch;
    (sigmas.clear(), deltas.clear(), positions.clear());
    for &e in &order.0 {
        let Ok((_, pos, sigma, ledger, reward)) = agents.get(e) else { continue };
        sigmas.push(sigma.0);
        deltas.push((ledger.balance - reward.last_balance) as f64 / MILLI as f64);
        positions.push((pos.x, pos.y));
    }
    let Some(increments) = reward_increments(&social, sigmas, deltas, positions, &grid) else { return };
    for (k, &e) in order.0.iter().enumerate() {
        let Ok((_, _, _, ledger, mut reward)) = agents.get_mut(e) else { continue };
        reward.total += increments[k];
        reward.last_balance = ledger.balance;
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
