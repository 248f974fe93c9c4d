//! Turning a scenario into a world: the map's cells, and each agent's resolved parameters
//! and starting cell. Pure functions of (scenario, seed), shared by the ECS and the tests.

use crate::grid::Grid;
use crate::rng::{self, Purpose};
use crate::scenario::{AgentGroup, Dist, Kind, PolicySpec, Scenario, SpawnRule, UtilityWeights};

pub use crate::scenario::{MapLayout, layout};

/// Builds the grid of a validated scenario.
pub fn build_grid(s: &Scenario) -> Grid {
    grid_of(s, layout(&s.map))
}

/// The grid of a validated scenario and its agents for `seed`: [`build_grid`] and
/// [`resolve_agents`]. The agents need only the map's spawn points, so on a big map they are
/// dealt on the thread pool while the grid is built (the same grid and agents).
pub fn build(s: &Scenario, seed: u64) -> (Grid, Vec<AgentInit>) {
    let l = layout(&s.map);
    let width = l.width;
    if (l.width as usize) * (l.height as usize) < 1 << 20 {
        let grid = grid_of(s, l);
        let agents = resolve_agents(s, &grid, seed);
        return (grid, agents);
    }
    let spawn = l.spawn.clone();
    rayon::join(|| grid_of(s, l), || resolve_agents_on(s, width, &spawn, seed))
}

fn grid_of(s: &Scenario, l: MapLayout) -> Grid {
    let objects = crate::objects::Objects::new(l.width, l.height, &l.objects, &l.belts);
    let mut grid = Grid::from_sets(
        l.width,
        l.height,
        l.wall,
        l.grass,
        l.apples,
        l.spawn,
        s.regrowth.radius,
        s.regrowth.probabilities.clone(),
    );
    grid.set_objects(objects);
    grid
}

/// Everything an agent starts with.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentInit {
    /// Stable id: 0, 1, … across groups in order.
    pub id: u32,
    /// The index of its group in `agents`.
    pub group: u32,
    /// Human or AI.
    pub kind: Kind,
    /// Selfishness σ.
    pub selfishness: f64,
    /// Power (KL budget).
    pub power: f64,
    /// Utility weights.
    pub weights: UtilityWeights,
    /// Its policy.
    pub policy: PolicySpec,
    /// Starting column.
    pub x: u32,
    /// Starting row.
    pub y: u32,
    /// Whether it steals (its group's `steal`).
    pub steal: bool,
}

/// Draws every agent's parameters and starting cell for `seed`. Attributes are keyed by
/// (seed, agent id), spawn points by a shuffle keyed by seed, so adding a group at the end
/// does not change the agents before it.
pub fn resolve_agents(s: &Scenario, grid: &Grid, seed: u64) -> Vec<AgentInit> {
    resolve_agents_on(s, grid.width(), grid.spawn_set(), seed)
}

/// [`resolve_agents`] on a map `w` cells wide with spawn points `spawn`.
fn resolve_agents_on(s: &Scenario, w: u32, spawn: &crate::grid::CellSet, seed: u64) -> Vec<AgentInit> {
    let taken: std::collections::BTreeSet<u32> = s
        .agents
        .iter()
        .flat_map(|g| match &g.spawn {
            SpawnRule::At(cells) => cells.iter().map(|&(x, y)| y * w + x).collect(),
            SpawnRule::Random => Vec::new(),
        })
        .collect();
    // The free spawn points are the spawn points, in map order, less the taken ones; they are
    // shuffled and dealt out in order. Only the first `random` of the shuffle are dealt, so
    // only they are worked out (the same draws as shuffling the whole list).
    let before = spawn.counts_before();
    let taken_ranks: Vec<usize> = taken
        .iter()
        .filter(|&&i| (i as usize) < spawn.len() && spawn.get(i as usize))
        .map(|&i| spawn.rank(&before, i as usize))
        .collect();
    let n_free = spawn.count() - taken_ranks.len();
    let random: usize =
        s.agents.iter().filter(|g| matches!(g.spawn, SpawnRule::Random)).map(|g| g.count as usize).sum();
    let order = rng::stream(seed, 0, 0, Purpose::Spawn).shuffled_prefix(n_free, random.min(n_free));
    let mut free = order.into_iter().map(|k| {
        // The k-th free point is the spawn point of rank k plus the taken ones at or before it.
        let mut r = k;
        for &t in &taken_ranks {
            if t <= r {
                r += 1;
            } else {
                break;
            }
        }
        spawn.select(&before, r).expect("a free spawn point") as u32
    });
    let mut out = Vec::new();
    let mut id = 0u32;
    for (g, group) in s.agents.iter().enumerate() {
        for k in 0..group.count {
            let mut st = rng::stream(seed, 0, id as u64, Purpose::Attributes);
            let selfishness = draw(&group.selfishness, k, group.count, &mut st).clamp(0.0, 1.0);
            let power = draw(&group.power, k, group.count, &mut st).max(0.0);
            let cell = match &group.spawn {
                SpawnRule::At(cells) => cells[k as usize].1 * w + cells[k as usize].0,
                SpawnRule::Random => free.next().expect("validation guarantees enough spawn points"),
            };
            out.push(agent(id, g as u32, group, selfishness, power, cell % w, cell / w));
            id += 1;
        }
    }
    out
}

fn agent(id: u32, group: u32, g: &AgentGroup, selfishness: f64, power: f64, x: u32, y: u32) -> AgentInit {
    let (weights, policy, steal) = (g.weights, g.policy.clone(), g.steal);
    AgentInit { id, group, kind: g.kind, selfishness, power, weights, policy, x, y, steal }
}

/// The value of agent `k` of `n` under `d`.
fn draw(d: &Dist, k: u32, n: u32, st: &mut rng::Stream) -> f64 {
    match d {
        Dist::Fixed(v) => *v,
        Dist::Uniform(a, b) => a + (b - a) * st.unit(),
        Dist::Spread(a, b) => {
            if n <= 1 {
                (a + b) / 2.0
            } else {
                a + (b - a) * k as f64 / (n - 1) as f64
            }
        }
        Dist::Normal { mean, sd } => mean + sd * st.normal(),
        Dist::Each(v) => v[k as usize],
    }
}
