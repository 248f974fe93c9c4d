//! One welfare: each agent's utility (the scenario's `utility`: SED's reward by default, or
//! wealth), SED's reward credited each tick, and the values the served welfare is taken of —
//! the same for the welfare metrics, the ballots, the principal's objective (a hill climber's,
//! the PAA planner's, a learned principal's reward) and the move shield.
//!
//! # The utility
//!
//! * `Reward` (default): SED's reward, accumulated — each tick
//!   `r_i = σ_i·r_tax,i + (1 − σ_i)·Σ_{j ∈ N(i)} r_tax,j` with `r_tax` the change in wealth
//!   (income − tax + transfer − fines), credited at `Account` ([`credit`]) and, at a tax period's
//!   end, also right after the taxes (so the period's taxes are in the period they close).
//! * `Wealth`: the ledger's balance in apples (income − taxes + transfers − fines).
//!
//! # The window: what the principal serves
//!
//! With a tax, the principal acts once a tax period, so what it serves is each agent's utility
//! *gained over a tax period*. The window closes right after the taxes are collected at a
//! period end ([`close`], at `Collect`). [`served`] is the vector `W_p` is applied to
//! everywhere it is served:
//!
//! * with a tax: the gains of the last finished period (before the first period ends, the
//!   gains so far);
//! * without a tax: the utilities since tick 0.
//!
//! The `welfare_elected` metric is `W_p` of [`served`] at the `p` served; a principal at a
//! period end sees exactly this number ([`crate::principal::observe`]), and the PAA planner is
//! rewarded by it for each imagined period. The other welfare columns (`welfare_min` …
//! `welfare_max`, `gini`, `equality_times_productivity`) aggregate the utilities since tick 0
//! ([`stock`]). A period's reward gains are summed as they are credited (not a difference of
//! running totals), so an imagined period started from scratch gains bit for bit what the
//! running world gains.

use crate::model::{Mechanism, Step, WorldModel};
use crate::scenario::Utility;
use crate::vocab::MILLI;

/// The utility: its part from the scenario's `utility`; SED's reward is credited at `Account`
/// (every world).
pub const MECHANISM: Mechanism = Mechanism {
    name: "utility",
    build: |s, m| {
        m.parts.insert(Window { utility: s.utility, ..Window::default() });
    },
    steps: &[(Step::Account, credit)],
    ..Mechanism::NONE
};

/// The tax period's window: closed at each period end's `Collect` (registered after the tax,
/// so the period's taxes are in); only taxed worlds run it.
pub const WINDOW: Mechanism = Mechanism {
    name: "utility_window",
    steps: &[(Step::Collect, close)],
    active: Some(|m| m.parts.has::<crate::tax::TaxState>()),
    ..Mechanism::NONE
};

crate::serde_part!(Window, "utility");

/// The utility, and the tax period's window.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    /// Which utility.
    pub utility: Utility,
    /// `Reward`: each agent's reward credited since the window last closed (empty: none).
    pub rewards: Vec<f64>,
    /// `Wealth`: each agent's balance when the window last closed (empty: zero).
    pub balances: Vec<i64>,
    /// Each agent's gain over the last finished period (empty before the first ends).
    pub gains: Vec<f64>,
}

/// The world's utility (`Reward` in a world built without this mechanism).
pub fn kind(m: &WorldModel) -> Utility {
    m.parts.get::<Window>().map_or(Utility::Reward, |w| w.utility)
}

/// Every agent's utility since tick 0, id order, as credited so far.
pub fn stock(m: &WorldModel) -> Vec<f64> {
    match kind(m) {
        Utility::Wealth => m.agents.iter().map(|a| a.ledger.wealth()).collect(),
        Utility::Reward => m.agents.iter().map(|a| a.reward.total).collect(),
    }
}

/// What each agent gained since the window last closed (since tick 0 before the first close,
/// and without a tax).
pub fn running(m: &WorldModel) -> Vec<f64> {
    let Some(w) = m.parts.get::<Window>() else { return stock(m) };
    let n = m.agents.len();
    match w.utility {
        Utility::Reward if w.rewards.len() == n => w.rewards.clone(),
        Utility::Reward => stock(m),
        Utility::Wealth => m
            .agents
            .iter()
            .enumerate()
            .map(|(i, a)| (a.ledger.balance - w.balances.get(i).copied().unwrap_or(0)) as f64 / MILLI as f64)
            .collect(),
    }
}

/// The values the served welfare is taken of (see the module docs).
pub fn served(m: &WorldModel) -> Vec<f64> {
    match m.parts.get::<Window>() {
        Some(w) if !w.gains.is_empty() => w.gains.clone(),
        _ => running(m),
    }
}

/// `W_p` of [`served`]: the principal's objective, the `welfare_elected` metric.
pub fn welfare(m: &WorldModel, p: f64) -> f64 {
    crate::rules::welfare::power_mean(&served(m), p)
}

/// The largest a period's gain can be for any agent: with incomes of at most an apple a tick
/// and marginal rates at most 1, a net income over a period is at most its length; SED's
/// reward mixes it over the social graph, up to `σ_i + (1 − σ_i)·|N(i)|` times.
pub fn period_bound(m: &WorldModel, period: u64) -> f64 {
    let per_net = match kind(m) {
        Utility::Wealth => 1.0,
        Utility::Reward => {
            m.agents.iter().map(|a| a.sigma + (1.0 - a.sigma) * m.social.max_degree(a.id) as f64).fold(1.0, f64::max)
        }
    };
    period as f64 * per_net
}

/// Credits each agent's SED reward for the change in everyone's wealth since the last credit
/// (nothing when no one's wealth changed), and adds it to the window's: with `r_tax,j` the
/// change in agent j's wealth, `r_i = σ_i·r_tax,i + (1 − σ_i)·Σ_{j ∈ N(i)} r_tax,j`.
pub fn credit(m: &mut WorldModel) {
    // One pass over the agents for the changes and one to credit them: this runs every tick
    // on one thread, for 10,000 agents in `commons-large`.
    let mut changed = false;
    let deltas: Vec<f64> = m
        .agents
        .iter()
        .map(|a| {
            let d = a.ledger.balance - a.reward.last_balance;
            changed |= d != 0;
            d as f64 / MILLI as f64
        })
        .collect();
    if !changed {
        return;
    }
    let positions: Vec<(u32, u32)> =
        if m.social.uses_positions() { m.agents.iter().map(|a| (a.pos.x, a.pos.y)).collect() } else { Vec::new() };
    let sums = m.social.neighbour_sums(&deltas, &positions, m.grid.width(), m.grid.height());
    let taxed = m.parts.has::<crate::tax::TaxState>();
    let mut window = m.parts.get_mut::<Window>().filter(|w| taxed && w.utility == Utility::Reward);
    if let Some(w) = window.as_mut() {
        w.rewards.resize(deltas.len(), 0.0);
    }
    for (i, a) in m.agents.iter_mut().enumerate() {
        let s = a.sigma;
        let r = s * deltas[i] + (1.0 - s) * sums[i];
        a.reward.total += r;
        a.reward.last_balance = a.ledger.balance;
        if let Some(w) = window.as_mut() {
            w.rewards[i] += r;
        }
    }
}

/// At a tax period's end (after the taxes): the rewards so far are credited, the period's
/// gains kept, and a new window opens.
pub fn close(m: &mut WorldModel) {
    let clock = m.clock;
    if !m.parts.get::<crate::tax::TaxState>().is_some_and(|t| t.period_ends(&clock)) {
        return;
    }
    credit(m);
    let gains = running(m);
    let balances: Vec<i64> = m.agents.iter().map(|a| a.ledger.balance).collect();
    let Some(w) = m.parts.get_mut::<Window>() else { return };
    w.gains = gains;
    match w.utility {
        Utility::Reward => w.rewards = vec![0.0; balances.len()],
        Utility::Wealth => w.balances = balances,
    }
}
