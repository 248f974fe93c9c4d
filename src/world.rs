//! Turning a scenario into a world: the map's cells, and each agent's resolved parameters
//! and starting cell. Pure functions of (scenario, seed), shared by the ECS and the tests.

use crate::grid::{CellSet, Grid, Terrain};
use crate::rng::{self, Purpose};
use crate::scenario::{AgentGroup, Dist, Kind, MapSpec, PolicySpec, Scenario, SpawnRule, Tile, UtilityWeights};

/// A map's cells before any mechanism runs, as bit sets over the row-major cells.
#[derive(Clone, Debug)]
pub struct MapLayout {
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Walls.
    pub wall: CellSet,
    /// Grass (where apples grow); never a wall.
    pub grass: CellSet,
    /// Cells with an apple at the start.
    pub apples: CellSet,
    /// Spawn points.
    pub spawn: CellSet,
    /// Vases and boxes at the start, in map order.
    pub objects: Vec<(crate::objects::ObjectKind, u32)>,
    /// Belt cells and their directions.
    pub belts: Vec<(u32, crate::scenario::Dir)>,
}

impl MapLayout {
    /// Whether `(x, y)` is a wall (the caller checks bounds).
    pub fn is_wall(&self, x: u32, y: u32) -> bool {
        self.wall.get((y * self.width + x) as usize)
    }
    /// The terrain of cell `i`.
    pub fn terrain(&self, i: usize) -> Terrain {
        if self.wall.get(i) {
            Terrain::Wall
        } else if self.grass.get(i) {
            Terrain::Grass
        } else {
            Terrain::Floor
        }
    }
}

/// Lays out a map that has passed validation.
pub fn layout(map: &MapSpec) -> MapLayout {
    match map {
        MapSpec::Ascii(a) => {
            let mut legend = crate::scenario::default_legend();
            legend.extend(a.legend.iter().map(|(k, v)| (*k, *v)));
            let width = a.rows.first().map_or(0, |r| r.chars().count()) as u32;
            let height = a.rows.len() as u32;
            let n = (width * height) as usize;
            let mut out = MapLayout {
                width,
                height,
                wall: CellSet::new(n),
                grass: CellSet::new(n),
                apples: CellSet::new(n),
                spawn: CellSet::new(n),
                objects: Vec::new(),
                belts: Vec::new(),
            };
            for (i, ch) in a.rows.iter().flat_map(|r| r.chars()).enumerate() {
                let tile = legend.get(&ch).copied().unwrap_or(Tile::Floor);
                match tile {
                    Tile::Wall => out.wall.set(i),
                    Tile::Apple | Tile::Grass => out.grass.set(i),
                    Tile::Floor
                    | Tile::Spawn
                    | Tile::Vase
                    | Tile::Box
                    | Tile::Belt(_)
                    | Tile::VaseOnBelt(_)
                    | Tile::BoxOnBelt(_) => {}
                }
                use crate::objects::ObjectKind;
                match tile {
                    Tile::Apple => out.apples.set(i),
                    Tile::Spawn => out.spawn.set(i),
                    Tile::Vase => out.objects.push((ObjectKind::Vase, i as u32)),
                    Tile::Box => out.objects.push((ObjectKind::Box, i as u32)),
                    Tile::Belt(d) => out.belts.push((i as u32, d)),
                    Tile::VaseOnBelt(d) => {
                        out.objects.push((ObjectKind::Vase, i as u32));
                        out.belts.push((i as u32, d));
                    }
                    Tile::BoxOnBelt(d) => {
                        out.objects.push((ObjectKind::Box, i as u32));
                        out.belts.push((i as u32, d));
                    }
                    Tile::Floor | Tile::Wall | Tile::Grass => {}
                }
            }
            out
        }
        MapSpec::Generated(g) => {
            let (w, h) = (g.width, g.height);
            let n = (w as usize) * (h as usize);
            let mut wall = CellSet::new(n);
            let mut grass = CellSet::new(n);
            if g.border_walls && n > 0 {
                wall.set_range(0, w as usize);
                wall.set_range(((h - 1) * w) as usize, n);
                for y in 0..h {
                    wall.set((y * w) as usize);
                    wall.set((y * w + w - 1) as usize);
                }
            }
            let s = g.patch_spacing.max(1);
            let r = g.patch_radius;
            let ri = r.floor() as i64;
            let jitter = g.jitter as u64;
            // The disc's cells, row by row.
            let disc: Vec<(i64, i64)> = (-ri..=ri)
                .flat_map(|dy| (-ri..=ri).map(move |dx| (dx, dy)))
                .filter(|&(dx, dy)| ((dx * dx + dy * dy) as f64) <= r * r)
                .collect();
            let mut k = 0u64;
            let mut cy = s / 2;
            while cy < h {
                let mut cx = s / 2;
                while cx < w {
                    let mut st = rng::stream(g.seed, 0, k, Purpose::MapGen);
                    k += 1;
                    let jx = st.below(2 * jitter + 1) as i64 - jitter as i64;
                    let jy = st.below(2 * jitter + 1) as i64 - jitter as i64;
                    let (px, py) = (cx as i64 + jx, cy as i64 + jy);
                    for &(dx, dy) in &disc {
                        let (x, y) = (px + dx, py + dy);
                        if x >= 0 && y >= 0 && x < w as i64 && y < h as i64 {
                            let i = (y * w as i64 + x) as usize;
                            if !wall.get(i) {
                                grass.set(i);
                            }
                        }
                    }
                    cx += s;
                }
                cy += s;
            }
            let spawn = CellSet::neither(&wall, &grass);
            let apples = grass.clone();
            MapLayout { width: w, height: h, wall, grass, apples, spawn, objects: Vec::new(), belts: Vec::new() }
        }
    }
}

/// Builds the grid of a validated scenario.
pub fn build_grid(s: &Scenario) -> Grid {
    let l = layout(&s.map);
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
    let w = grid.width();
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
    let spawn = grid.spawn_set();
    let before = spawn.counts_before();
    let taken_ranks: Vec<usize> = taken
        .iter()
        .filter(|&&i| (i as usize) < spawn.len() && spawn.get(i as usize))
        .map(|&i| spawn.rank(&before, i as usize))
        .collect();
    let n_free = grid.spawn_point_count() as usize - taken_ranks.len();
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
