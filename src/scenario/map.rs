//! A map spec laid out: which cells are walls, grass, apples and spawn points, and where
//! objects and belts stand (what validation checks and the world is built from).

use crate::grid::{CellSet, Terrain};
use crate::rng::{self, Purpose};

use super::{MapSpec, Tile};

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
        Terrain::of(self.wall.get(i), self.grass.get(i))
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
                    Tile::Apple
                    | Tile::Grass
                    | Tile::VaseOnApple
                    | Tile::VaseOnGrass
                    | Tile::BoxOnApple
                    | Tile::BoxOnGrass => out.grass.set(i),
                    Tile::Floor
                    | Tile::Spawn
                    | Tile::Vase
                    | Tile::Box
                    | Tile::Belt(_)
                    | Tile::VaseOnBelt(_)
                    | Tile::BoxOnBelt(_) => {}
                }
                use crate::objects::ObjectKind;
                if matches!(tile, Tile::VaseOnApple | Tile::BoxOnApple) {
                    out.apples.set(i);
                }
                match tile {
                    Tile::Apple => out.apples.set(i),
                    Tile::VaseOnApple | Tile::VaseOnGrass => out.objects.push((ObjectKind::Vase, i as u32)),
                    Tile::BoxOnApple | Tile::BoxOnGrass => out.objects.push((ObjectKind::Box, i as u32)),
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
