//! The vocabulary of an agent's state — where it stands, its traits, its ledger in exact
//! milli-apples, its reward and its last decision — as plain data the world model and every
//! rule use. The ECS components of the same names are these types ([`crate::agents`]).

use crate::rules::action::Action;
use crate::scenario::{PolicySpec, UtilityWeights};

/// The cell an agent stands on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
}

/// Selfishness σ in [0, 1].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Selfishness(pub f64);

/// Power: the KL budget (nats) by which the agent may depart from its default policy.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Power(pub f64);

/// The weights of the parts of the agent's utility.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Weights(pub UtilityWeights);

/// How the agent chooses its actions.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Policy(pub PolicySpec);

/// What an agent owns and has been paid, in exact integers (milli-apples: 1 apple = 1000).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ledger {
    /// Apples picked since the start.
    pub picked: u64,
    /// Wealth: +1000 per apple picked, − taxes + transfers (and later mechanisms' flows).
    pub balance: i64,
    /// Pre-tax income in the tax period under way.
    pub period_income: i64,
    /// Pre-tax income of the last finished tax period.
    pub last_income: i64,
    /// Tax paid for the last finished period.
    pub last_tax: i64,
    /// Transfer received for the last finished period.
    pub last_transfer: i64,
    /// All taxes paid.
    pub tax_paid: i64,
    /// All transfers received.
    pub transfers: i64,
}

/// SED's reward, accumulated: each tick `r_i = σ_i·r_tax,i + (1 − σ_i)·Σ_{j ∈ N(i)} r_tax,j`
/// where `r_tax` is the tick's change in wealth (income − tax + transfer).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reward {
    /// The cumulative reward in apples.
    pub total: f64,
    /// Wealth at the end of the last tick (milli-apples).
    pub last_balance: i64,
}

/// Milli-apples per apple.
pub const MILLI: i64 = 1000;

impl Ledger {
    /// Wealth in apples: the utility welfare is measured on.
    pub fn wealth(&self) -> f64 {
        Ledger::wealth_of(self.balance)
    }
    /// The wealth in apples of a balance in milli-apples: increasing in the balance, so
    /// balances sorted give wealths sorted.
    #[inline]
    pub fn wealth_of(balance: i64) -> f64 {
        balance as f64 / MILLI as f64
    }
    /// Adds `milli` of pre-tax income.
    pub fn earn(&mut self, milli: i64) {
        self.balance += milli;
        self.period_income += milli;
    }
    /// Closes the tax period: pays `tax`, receives `transfer`, starts a new period's income.
    pub fn settle(&mut self, tax: i64, transfer: i64) {
        self.balance += transfer - tax;
        self.last_income = self.period_income;
        self.last_tax = tax;
        self.last_transfer = transfer;
        self.tax_paid += tax;
        self.transfers += transfer;
        self.period_income = 0;
    }
}

/// The agent's last decision: its scores, the tilted distribution it drew from, and the
/// action drawn — for the inspector and for the shield to sit between policy and world.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Decision {
    /// Utility of each action, in [`Action::ALL`] order.
    pub scores: [f64; 5],
    /// The probability of each action after the power-bounded tilt.
    pub probs: [f64; 5],
    /// β of the tilt (∞ for greedy).
    pub beta: f64,
    /// KL(π‖π₀) spent.
    pub kl: f64,
    /// The action drawn.
    pub action: Action,
}
