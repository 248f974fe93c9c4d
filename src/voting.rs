//! Voting: every election period each agent scores the candidate objectives `p` and the
//! ballots are aggregated into the `p` the principal serves until the next election
//! ([`crate::rules::voting`] states the scoring rule and why). The utilities scored are the
//! ones the principal serves ([`crate::utility::served`]: each agent's utility gained over
//! the last tax period, or since tick 0 without a tax).

use crate::grid::Grid;
use crate::model::{Event, Mechanism, Step, WorldModel};
use crate::rules::voting::{self, Rule};
use crate::social::Social;

/// Voting: the election part from the scenario's `voting`; elections at `Elect`.
pub const MECHANISM: Mechanism = Mechanism {
    name: "voting",
    build: |s, m| {
        if let Some(v) = &s.voting {
            m.parts.insert(Election::new(v));
        }
    },
    steps: &[(Step::Elect, elect)],
    digest: Some(digest),
    active: Some(|m| m.parts.has::<crate::voting::Election>()),
    ..Mechanism::NONE
};

/// The election's part of the state digest: whether there is one, then the `p` elected,
/// elections held and the last shares.
fn digest(m: &WorldModel, h: &mut crate::hash::Fnv) {
    let e = m.parts.get::<Election>();
    h.write_u64(e.is_some() as u64);
    if let Some(e) = e {
        h.write_f64(e.elected);
        h.write_u64(e.held);
        h.write_u64(e.shares.len() as u64);
        for &s in &e.shares {
            h.write_f64(s);
        }
    }
}

crate::serde_part!(Election, "election");

/// The standing of the election.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
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

/// A label for `p` in column names and events: `-inf`, `0`, `0.5`, `inf`.
pub fn label(p: f64) -> String {
    format!("{p}")
}

/// Holds an election among agents with these utilities (the values the principal serves:
/// [`crate::utility::served`]), selfishness and positions (id order): the rule shared by the
/// ECS and the world model. Returns each voter's ballot (the candidate index the rule counts
/// for it: [`voting::ballot`]) and updates `election`. With no voters the objective served
/// stays as it was (the election is held, with no votes and no shares).
pub fn hold(
    election: &mut Election,
    social: &Social,
    utility: &[f64],
    sigma: &[f64],
    positions: &[(u32, u32)],
    grid: &Grid,
) -> Vec<usize> {
    let k = election.candidates.len();
    if utility.is_empty() {
        election.shares = vec![0.0; k];
        election.held += 1;
        return Vec::new();
    }
    let mut scores = vec![vec![0.0; k]; utility.len()];
    for (c, &p) in election.candidates.iter().enumerate() {
        let w = voting::weights(utility, p);
        let around = social.neighbour_sums(&w, positions, grid.width(), grid.height());
        for i in 0..utility.len() {
            scores[i][c] = sigma[i] * w[i] + (1.0 - sigma[i]) * around[i];
        }
    }
    let (winner, shares) = voting::aggregate(election.rule, &scores, k);
    election.elected = election.candidates[winner];
    election.shares = shares;
    election.held += 1;
    scores.iter().map(|s| voting::ballot(election.rule, s)).collect()
}

/// Every agent scores every candidate; the rule picks the winner (at each election period's end).
pub fn elect(m: &mut WorldModel) {
    let clock = m.clock;
    if !m.parts.get::<Election>().is_some_and(|e| clock.ends_period(e.period)) {
        return;
    }
    let utility = crate::utility::served(m);
    let WorldModel { agents, parts, social, grid, .. } = m;
    let Some(election) = parts.get_mut::<Election>() else { return };
    let sigma: Vec<f64> = agents.iter().map(|a| a.sigma).collect();
    let positions: Vec<(u32, u32)> = agents.iter().map(|a| (a.pos.x, a.pos.y)).collect();
    let ballots = hold(election, social, &utility, &sigma, &positions, grid);
    if !m.records() {
        return;
    }
    let e = m.parts.get::<Election>().expect("held above").clone();
    m.event(
        || "principal".into(),
        || Event::Election {
            rule: format!("{:?}", e.rule),
            votes: ballots.iter().map(|&b| label(e.candidates[b])).collect(),
            shares: e.candidates.iter().zip(&e.shares).map(|(p, s)| (label(*p), *s)).collect(),
            elected: label(e.elected),
        },
    );
}
