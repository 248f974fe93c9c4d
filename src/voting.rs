//! Voting: every election period each agent scores the candidate objectives `p` and the
//! ballots are aggregated into the `p` the principal serves until the next election
//! ([`crate::rules::voting`] states the scoring rule and why).

use bevy::prelude::*;

use crate::agents::{AgentOrder, Ledger, Position, Selfishness};
use crate::grid::Grid;
use crate::metrics::EventLog;
use crate::rules::voting::{self, Rule};
use crate::sim::{GovernSystems, SimClock, SimTick};
use crate::social::Social;

/// The standing of the election.
#[derive(Resource, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Election {
    /// Candidates, by increasing `p`.
    pub candidates: Vec<f64>,
    /// Aggregation rule.
    pub rule: Rule,
    /// Ticks between elections.
    pub period: u64,
    /// The `p` elected (or the initial one before the first election).
    pub elected: f64,
    /// Each candidate's share of first choices at the last election (zeros before it).
    pub shares: Vec<f64>,
    /// Elections held.
    pub held: u64,
}

impl Election {
    /// The election a scenario starts with.
    pub fn new(spec: &crate::scenario::VotingSpec) -> Election {
        let candidates = spec.candidates.values();
        Election {
            shares: vec![0.0; candidates.len()],
            candidates,
            rule: spec.rule,
            period: spec.period.max(1),
            elected: spec.initial_p(),
            held: 0,
        }
    }
}

/// Holds elections in `Govern`.
pub struct VotingPlugin;

impl Plugin for VotingPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(SimTick, elect.run_if(resource_exists::<Election>).in_set(GovernSystems::Elect));
    }
}

/// A label for `p` in column names and events: `-inf`, `0`, `0.5`, `inf`.
pub fn label(p: f64) -> String {
    format!("{p}")
}

/// Holds an election among agents with these `wealth`s (apples), selfishness and positions
/// (id order): the rule shared by the ECS and the world model. Returns each voter's
/// favourite candidate index and updates `election`.
pub fn hold(
    election: &mut Election,
    social: &Social,
    wealth: &[f64],
    sigma: &[f64],
    positions: &[(u32, u32)],
    grid: &Grid,
) -> Vec<usize> {
    let k = election.candidates.len();
    let mut scores = vec![vec![0.0; k]; wealth.len()];
    for (c, &p) in election.candidates.iter().enumerate() {
        let w = voting::weights(wealth, p);
        let around = social.neighbour_sums(&w, positions, grid.width(), grid.height());
        for i in 0..wealth.len() {
            scores[i][c] = sigma[i] * w[i] + (1.0 - sigma[i]) * around[i];
        }
    }
    let (winner, shares) = voting::aggregate(election.rule, &scores, k);
    election.elected = election.candidates[winner];
    election.shares = shares;
    election.held += 1;
    scores.iter().map(|s| voting::favourite(s)).collect()
}

/// Every agent scores every candidate; the rule picks the winner.
pub fn elect(
    clock: Res<SimClock>,
    order: Res<AgentOrder>,
    social: Res<Social>,
    grid: Res<Grid>,
    mut election: ResMut<Election>,
    mut events: ResMut<EventLog>,
    agents: Query<(&Ledger, &Selfishness, &Position)>,
) {
    if clock.current() % election.period != 0 {
        return;
    }
    let (mut wealth, mut sigma, mut positions) = (Vec::new(), Vec::new(), Vec::new());
    for &e in &order.0 {
        if let Ok((l, s, p)) = agents.get(e) {
            wealth.push(l.wealth());
            sigma.push(s.0);
            positions.push((p.x, p.y));
        }
    }
    let favourites = hold(&mut election, &social, &wealth, &sigma, &positions, &grid);
    let votes: Vec<String> = favourites.iter().map(|&f| label(election.candidates[f])).collect();
    events.push(
        clock.current(),
        "election",
        "principal".into(),
        serde_json::json!({
            "rule": format!("{:?}", election.rule),
            "votes": votes,
            "shares": election.candidates.iter().zip(&election.shares).map(|(p, s)| (label(*p), *s)).collect::<std::collections::BTreeMap<_, _>>(),
            "elected": label(election.elected),
        }),
    );
}
