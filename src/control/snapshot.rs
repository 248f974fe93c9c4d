//! The world back as a scenario: the running scenario with its live parameters, the map
//! redrawn from the grid and every agent spawned where it stands.

use crate::agents::{Agent, AgentOrder, Policy, Position, Power, Selfishness, Weights};
use crate::grid::Terrain;
use crate::scenario::{self, AsciiMap, Dist, MapSpec, Scenario, SpawnRule};
use crate::sim::{ScenarioRes, Sim};
use crate::tax::TaxState;
use crate::voting::Election;

use super::edit::uniform;

const DIRS: [crate::scenario::Dir; 4] =
    [crate::scenario::Dir::North, crate::scenario::Dir::East, crate::scenario::Dir::South, crate::scenario::Dir::West];
/// Belt characters of the default legend, by [`DIRS`].
const BELT: [char; 4] = ['^', '>', 'v', '<'];
/// Snapshot legend characters of a vase (row 0) or a box (row 1) on a belt, by [`DIRS`].
const OBJECT_ON_BELT: [[char; 4]; 2] = [['n', 'e', 's', 'w'], ['N', 'E', 'S', 'Z']];
/// Snapshot legend characters of a vase (row 0) or a box (row 1) on grass, with an apple
/// under it (column 0) or without (column 1).
const OBJECT_ON_GRASS: [[char; 2]; 2] = [['o', 'u'], ['O', 'U']];

/// The scenario that rebuilds the current world: the running scenario with the live
/// parameters (tax rates, the elected `p` as the initial one, each agent's σ and power), the
/// map redrawn from the grid (apples standing `A`, grass without an apple `g` — eaten or lost
/// — walls `W`, spawn points `P`, floor ` `; vases `V`, boxes `X`, belts `^ > v <`, and objects
/// on belts or on grass (with or without an apple under them) by legend entries), and every agent spawned `At` its current cell,
/// in id order, so ids are kept. Ledgers, rewards and the principal's memory start afresh.
pub fn snapshot_scenario(sim: &Sim) -> Scenario {
    let w = sim.world();
    let clock = sim.clock();
    let mut s = w.resource::<ScenarioRes>().0.clone();
    s.name = format!("{}-t{}", s.name, clock.tick);
    s.description =
        format!("snapshot of `{}` (seed {}) at tick {}", w.resource::<ScenarioRes>().0.name, clock.seed, clock.tick);
    s.run.seed = clock.seed;

    let grid = sim.grid();
    let (gw, gh) = (grid.width(), grid.height());
    let mut spawn = vec![false; (gw * gh) as usize];
    for i in grid.spawn_points() {
        spawn[i as usize] = true;
    }
    let rows = (0..gh)
        .map(|y| {
            (0..gw)
                .map(|x| {
                    let i = grid.index(x, y);
                    let belt = grid.objects.belt(i);
                    if let Some(o) = grid.objects.at(i) {
                        let k = match o.kind {
                            crate::objects::ObjectKind::Vase => 0,
                            crate::objects::ObjectKind::Box => 1,
                        };
                        let on_belt = belt.map(|d| DIRS.iter().position(|&x| x == d).unwrap());
                        // On grass the apple (or its absence) under the object is kept: a `V`
                        // there lost the apple and the grass it regrows on.
                        return match (on_belt, grid.terrain(i)) {
                            (Some(d), _) => OBJECT_ON_BELT[k][d],
                            (None, Terrain::Grass) => OBJECT_ON_GRASS[k][usize::from(!grid.has_apple(i))],
                            (None, _) => ['V', 'X'][k],
                        };
                    }
                    if let Some(d) = belt {
                        return BELT[DIRS.iter().position(|&x| x == d).unwrap()];
                    }
                    match grid.terrain(i) {
                        Terrain::Wall => 'W',
                        Terrain::Grass if grid.has_apple(i) => 'A',
                        Terrain::Grass => 'g',
                        Terrain::Floor if spawn[i] => 'P',
                        Terrain::Floor => ' ',
                    }
                })
                .collect()
        })
        .collect();
    let mut legend = std::collections::BTreeMap::new();
    if !grid.objects.is_empty() {
        for (d, &dir) in DIRS.iter().enumerate() {
            legend.insert(OBJECT_ON_BELT[0][d], crate::scenario::Tile::VaseOnBelt(dir));
            legend.insert(OBJECT_ON_BELT[1][d], crate::scenario::Tile::BoxOnBelt(dir));
        }
        use crate::scenario::Tile;
        for (c, tile) in OBJECT_ON_GRASS.iter().flatten().zip([
            Tile::VaseOnApple,
            Tile::VaseOnGrass,
            Tile::BoxOnApple,
            Tile::BoxOnGrass,
        ]) {
            legend.insert(*c, tile);
        }
    }
    s.map = MapSpec::Ascii(AsciiMap { rows, legend });

    struct Standing {
        id: u32,
        group: u32,
        sigma: f64,
        power: f64,
        cell: (u32, u32),
        weights: Option<Weights>,
        policy: Option<Policy>,
    }
    let mut agents: Vec<Standing> = Vec::new();
    if let Some(order) = w.get_resource::<AgentOrder>() {
        for &e in &order.0 {
            let Ok(r) = w.get_entity(e) else { continue };
            let (Some(a), Some(p)) = (r.get::<Agent>(), r.get::<Position>()) else { continue };
            agents.push(Standing {
                id: a.id,
                group: a.group,
                sigma: r.get::<Selfishness>().map_or(0.0, |s| s.0),
                power: r.get::<Power>().map_or(0.0, |p| p.0),
                cell: (p.x, p.y),
                weights: r.get::<Weights>().copied(),
                policy: r.get::<Policy>().cloned(),
            });
        }
    }
    agents.sort_by_key(|a| a.id);
    for (g, group) in s.agents.iter_mut().enumerate() {
        let mine: Vec<&Standing> = agents.iter().filter(|a| a.group == g as u32).collect();
        let sigmas: Vec<f64> = mine.iter().map(|a| a.sigma).collect();
        let powers: Vec<f64> = mine.iter().map(|a| a.power).collect();
        let dist = |v: Vec<f64>| match uniform(&v) {
            Some(x) => Dist::Fixed(x),
            None => Dist::Each(v),
        };
        group.count = mine.len() as u32;
        if !mine.is_empty() {
            group.selfishness = dist(sigmas);
            group.power = dist(powers);
            if let Some(wt) = mine[0].weights {
                group.weights = wt.0;
            }
            if let Some(p) = &mine[0].policy {
                group.policy = p.0.clone();
            }
        }
        group.spawn = SpawnRule::At(mine.iter().map(|a| a.cell).collect());
    }

    if let (Some(spec), Some(tax)) = (s.tax.as_mut(), sim.part::<TaxState>()) {
        spec.rates = Some(tax.rates());
    }
    if let (Some(spec), Some(e)) = (s.voting.as_mut(), sim.part::<Election>()) {
        spec.initial = Some(e.elected);
    }
    s
}

/// [`snapshot_scenario`] as RON, with a comment saying where it came from.
pub fn snapshot_ron(sim: &Sim) -> String {
    let s = snapshot_scenario(sim);
    let clock = sim.clock();
    format!(
        "// {}, written by `polity gui`.\n// The map is the grid at that tick (A apple, g grass without an apple, W wall, P spawn\n// point); agents start `At` the cells they stood on, with their σ and power then. Ledgers,\n// rewards and the principal's memory start afresh, and ticks count from 0 again.\n// Run it: polity run FILE.ron   (seed {})\n{}\n",
        s.description,
        clock.seed,
        scenario::to_ron(&s)
    )
}
