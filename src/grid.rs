//! The grid: terrain, apples, patches and occupancy, laid out as bit sets (a bit a cell) and
//! arrays over the grass cells only, so a map costs about two bytes a cell to hold.
//!
//! The grid keeps, for every grass cell, the number of live apples within the regrowth radius, and
//! updates it incrementally when an apple is picked or regrows. Regrowth then visits only the
//! *candidates* — eaten apple cells with at least one live neighbour — instead of the whole
//! map, which is what lets a 1000×1000 world with 10,000 agents step hundreds of times a second.
//!
//! A *patch* is a connected group of apple cells, where "connected" means within the regrowth
//! radius of each other. A cell can only regrow from live apples of its own patch, so a patch
//! whose last apple is eaten is lost for good.

use crate::rng::{self, Purpose};
use crate::rules::regrowth;

/// No patch.
pub const NONE: u32 = u32::MAX;

/// Asks the processor to bring `v[k]` into its cache (a hint: nothing changes, and an index
/// past the end is ignored).
#[inline(always)]
pub fn prefetch<T>(v: &[T], k: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(item) = v.get(k) {
        // SAFETY: a prefetch reads nothing a program can see and cannot fault.
        #[allow(unused_unsafe)]
        unsafe {
            core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(item as *const T as *const i8)
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (v, k);
}

/// From this many regrowth candidates, their draws are made on the thread pool.
const REGROW_PARALLEL: usize = 8192;

/// Regrowth looks every candidate up, and drops those no longer eligible, on ticks that are a
/// multiple of this; on other ticks only those whose draw could make them regrow
/// ([`Grid::regrow`]).
const SWEEP_EVERY: u64 = 16;

/// Regrowth's candidates are decided in chunks of this many (on the thread pool when many).
const DRAW_CHUNK: usize = 1024;

/// Cells are planned ([`Grid::plan_cells`]) in chunks of this many (on the thread pool when
/// there is more than one).
const PLAN_CHUNK: usize = 256;

/// A regrowth candidate's fate in a tick: dropped (no longer eligible), kept, or kept and
/// regrown.
const DROP: u8 = 0;
const KEEP: u8 = 1;
const GROW: u8 = 2;

/// What a cell is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[repr(u8)]
pub enum Terrain {
    /// Walkable ground where apples never grow.
    Floor = 0,
    /// Impassable.
    Wall = 1,
    /// Walkable ground where apples grow (with or without an apple now).
    Grass = 2,
}

impl Terrain {
    /// The terrain of a cell from its wall and grass bits (a wall wins).
    #[inline]
    pub fn of(wall: bool, grass: bool) -> Terrain {
        if wall {
            Terrain::Wall
        } else if grass {
            Terrain::Grass
        } else {
            Terrain::Floor
        }
    }
}

/// The world's cells. Coordinates are `(x, y)` with `x` the column and `y` the row, `(0, 0)`
/// top-left, as the map is drawn.
///
/// Memory: every per-cell fact is one bit (wall, grass, spawn point, apple, occupied); what
/// only grass cells need (live-neighbour count, patch, whether a regrowth candidate) is kept
/// per grass cell, found by its *grass rank* (the number of grass cells before it, from a
/// per-word count and a popcount). A big map costs a couple of bytes a cell, mostly its grass.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Grid {
    width: u32,
    height: u32,
    /// One bit per cell, set on walls.
    wall: CellSet,
    /// One bit per cell, set on grass (where apples grow); never on a wall.
    grass: CellSet,
    /// One bit per cell, set on spawn points.
    spawn: CellSet,
    spawn_count: u32,
    /// One bit per cell, set where an apple stands (a 1000×1000 map's apples fit in 128 KiB,
    /// so an agent scanning its view stays in cache). Only on grass.
    apple: CellSet,
    /// One bit per cell, set where an agent stands.
    occupied: CellSet,
    /// For each 64-cell word of `grass`: the word, and the grass cells before it (side by
    /// side, so a cell's grass bit and rank come from one cache line).
    grass_ranks: Vec<[u64; 2]>,
    /// By grass rank: live apples within the regrowth radius.
    live_neighbours: Vec<u8>,
    /// By grass rank: the cell's patch.
    patch: Vec<u32>,
    patch_live: Vec<u32>,
    patch_size: Vec<u32>,
    patches_alive: u32,
    apples: u32,
    /// Regrowth candidates (cell index, grass rank), and by grass rank whether a cell is one.
    candidates: Vec<(u32, u32)>,
    in_candidates: CellSet,
    offsets: Vec<(i32, i32)>,
    probabilities: Vec<f64>,
    regrow_buffer: Vec<(u32, u32)>,
    /// What [`Grid::regrow`] decided for each candidate (no meaning between ticks).
    #[serde(skip)]
    regrow_fate: Vec<u8>,
    /// [`Grid::row_spans`] of `offsets`, worked out when first needed.
    #[serde(skip)]
    spans: std::sync::OnceLock<Option<Rows>>,
    /// A bit for each 64-cell word: set when a cell of the word has a wall among its four
    /// neighbours (worked out from the walls, which never change, when first needed). A
    /// scorer or mover then reads one bit, from a set small enough to stay in cache, instead
    /// of the walls of three rows.
    #[serde(skip)]
    wall_beside: std::sync::OnceLock<CellSet>,
    /// Cost to the commons of picking an apple, by its live-neighbour count.
    cost_by_count: Vec<f64>,
    /// [`Grid::count_enough`], worked out from `cost_by_count` when first needed.
    #[serde(skip)]
    enough: std::sync::OnceLock<u32>,
    /// Vases, boxes and belts (none in the commons).
    pub objects: crate::objects::Objects,
    /// The effects recorded in the tick under way (cleared as each tick starts).
    pub effects: Vec<crate::objects::Effect>,
}

/// The regrowth neighbourhood as rows of contiguous cells ([`Grid::neighbourhood_rows`]).
#[derive(Clone, Debug)]
struct Rows {
    /// `(dy, dx_min, dx_max)`, by `dy`.
    spans: Vec<(i32, i32, i32)>,
    /// The same, widest first.
    widest: Vec<(i32, i32, i32)>,
    /// The largest `|dx|` and `|dy|`.
    rx: i64,
    ry: i64,
}

/// Picks (or growths) worked out ahead by [`Grid::plan_cells`]: for each cell, a row of
/// `stride` numbers (its grass rank, its patch, how many grass neighbours it has, their ranks
/// in `reach` places and their cells in `reach` more), or [`NONE`] first for a cell that is
/// not grass.
pub struct CellPlan {
    stride: usize,
    reach: usize,
    cells: Vec<u32>,
    data: Vec<u32>,
}

impl CellPlan {
    /// The `n`-th cell's row.
    fn row(&self, n: usize) -> &[u32] {
        &self.data[n * self.stride..(n + 1) * self.stride]
    }

    /// How many cells the plan is for.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether it is for none.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

impl Grid {
    /// Builds a grid from row-major terrain, the cells that start with an apple, the spawn
    /// points (cell indices, in map order), and the regrowth rule. A cell with an apple is
    /// grass whatever `terrain` says.
    pub fn new(
        width: u32,
        height: u32,
        terrain: Vec<Terrain>,
        apples: &[u32],
        spawn_points: Vec<u32>,
        radius: f64,
        probabilities: Vec<f64>,
    ) -> Self {
        let n = (width as usize) * (height as usize);
        assert_eq!(terrain.len(), n, "terrain must have width × height cells");
        let (mut wall, mut grass, mut apple, mut spawn) =
            (CellSet::new(n), CellSet::new(n), CellSet::new(n), CellSet::new(n));
        for (i, t) in terrain.iter().enumerate() {
            match t {
                Terrain::Wall => wall.set(i),
                Terrain::Grass => grass.set(i),
                Terrain::Floor => {}
            }
        }
        drop(terrain);
        for &i in apples {
            apple.set(i as usize);
        }
        for &i in &spawn_points {
            spawn.set(i as usize);
        }
        Grid::from_sets(width, height, wall, grass, apple, spawn, radius, probabilities)
    }

    /// Builds a grid from its cells as bit sets over the row-major cells: walls, grass, the
    /// apples standing (grass wherever `grass` says), spawn points; and the regrowth rule.
    /// The same grid as [`Grid::new`] with the sets' cells, without a byte a cell on the way.
    #[allow(clippy::too_many_arguments)]
    pub fn from_sets(
        width: u32,
        height: u32,
        mut wall: CellSet,
        mut grass: CellSet,
        apple: CellSet,
        spawn: CellSet,
        radius: f64,
        probabilities: Vec<f64>,
    ) -> Self {
        let n = (width as usize) * (height as usize);
        for s in [&wall, &grass, &apple, &spawn] {
            assert_eq!(s.len(), n, "cell sets must have width × height cells");
        }
        // An apple makes its cell grass, and grass is never a wall.
        grass.union_with(&apple);
        wall.subtract(&grass);
        let mut grass_ranks = Vec::with_capacity(grass.0.len());
        let mut count = 0u64;
        for &word in &grass.0 {
            grass_ranks.push([word, count]);
            count += word.count_ones() as u64;
        }
        let g = count as usize;
        let spawn_count = spawn.count() as u32;
        let mut grid = Grid {
            width,
            height,
            wall,
            grass,
            spawn,
            spawn_count,
            apple,
            occupied: CellSet::new(n),
            grass_ranks,
            live_neighbours: vec![0; g],
            patch: Vec::new(),
            patch_live: Vec::new(),
            patch_size: Vec::new(),
            patches_alive: 0,
            apples: 0,
            candidates: Vec::new(),
            in_candidates: CellSet::new(g),
            offsets: regrowth::neighbourhood(radius),
            probabilities,
            regrow_buffer: Vec::new(),
            regrow_fate: Vec::new(),
            spans: std::sync::OnceLock::new(),
            wall_beside: std::sync::OnceLock::new(),
            cost_by_count: Vec::new(),
            enough: std::sync::OnceLock::new(),
            objects: Default::default(),
            effects: Vec::new(),
        };
        grid.cost_by_count = (0..=grid.offsets.len() as u32)
            .map(|n| crate::rules::regrowth::commons_cost(&grid.probabilities, n))
            .collect();
        grid.label_patches();
        grid.count_live_neighbours();
        grid.patches_alive = grid.patch_live.iter().filter(|&&c| c > 0).count() as u32;
        grid
    }

    /// The neighbourhood as rows `(dy, dx_min, dx_max)` of contiguous cells (the cell itself
    /// counted in its row and taken off after), when it is such and each row fits in a word.
    fn row_spans(&self) -> Option<Vec<(i32, i32, i32)>> {
        let mut spans: Vec<(i32, i32, i32)> = Vec::new();
        for &(dx, dy) in &self.offsets {
            match spans.last_mut() {
                Some(s) if s.0 == dy => {
                    s.1 = s.1.min(dx);
                    s.2 = s.2.max(dx);
                }
                _ => spans.push((dy, dx, dx)),
            }
        }
        let cells: i64 =
            spans.iter().map(|&(dy, a, b)| (b - a + 1) as i64 - i64::from(dy == 0 && a <= 0 && b >= 0)).sum();
        let sorted = spans.windows(2).all(|w| w[0].0 < w[1].0);
        (sorted && cells == self.offsets.len() as i64 && spans.iter().all(|&(_, a, b)| b - a < 64)).then_some(spans)
    }

    /// The rank of grass cell `i` among the grass cells, in map order.
    #[inline]
    fn grass_rank(&self, i: usize) -> usize {
        let [bits, before] = self.grass_ranks[i >> 6];
        before as usize + (bits & ((1u64 << (i & 63)) - 1)).count_ones() as usize
    }

    /// [`CellSet::window`] of the grass, read from `grass_ranks` (whose words are the same, and
    /// come with the ranks).
    #[inline]
    fn grass_window(&self, lo: usize, len: usize) -> u64 {
        window(|w| self.grass_ranks[w][0], lo, len)
    }

    /// The grass rank of cell `i`, or `None` if it is not grass.
    #[inline]
    fn grass_rank_of(&self, i: usize) -> Option<usize> {
        let [bits, before] = self.grass_ranks[i >> 6];
        (bits >> (i & 63) & 1 == 1).then(|| before as usize + (bits & ((1u64 << (i & 63)) - 1)).count_ones() as usize)
    }

    /// Live counts of the grass cells, candidates and patch tallies of the apples standing,
    /// 64 cells of a row at a time: each neighbour offset's apple bits, shifted into place,
    /// are added into bit-sliced counters (bit k of every cell's count in one word).
    fn count_live_neighbours(&mut self) {
        let (w, h) = (self.width as i64, self.height as i64);
        let slices = (usize::BITS - self.offsets.len().leading_zeros()) as usize;
        assert!(slices <= 8, "live counts are kept in a byte");
        let mut r = 0usize;
        for y in 0..h {
            for x0 in (0..w).step_by(64) {
                let len = (w - x0).min(64);
                let base = y * w + x0;
                let mut grass = self.grass.window(base as usize, len as usize);
                if grass == 0 {
                    continue;
                }
                let mut sum = [0u64; 8];
                for &(dx, dy) in &self.offsets {
                    let ny = y + dy as i64;
                    if ny < 0 || ny >= h {
                        continue;
                    }
                    let mut carry = self.apple_bits_clipped(ny, x0 + dx as i64, len as u32);
                    let mut k = 0;
                    while carry != 0 {
                        let c = sum[k] & carry;
                        sum[k] ^= carry;
                        carry = c;
                        k += 1;
                    }
                }
                let apples = self.apple.window(base as usize, len as usize);
                while grass != 0 {
                    let b = grass.trailing_zeros();
                    grass &= grass - 1;
                    let live = (0..slices).fold(0u32, |n, k| n | ((sum[k] >> b) as u32 & 1) << k);
                    self.live_neighbours[r] = live as u8;
                    if apples >> b & 1 == 1 {
                        self.apples += 1;
                        self.patch_live[self.patch[r] as usize] += 1;
                    } else if live > 0 {
                        self.in_candidates.set(r);
                        self.candidates.push(((base + b as i64) as u32, r as u32));
                    }
                    r += 1;
                }
            }
        }
    }

    /// Union-find over grass cells within the regrowth radius of each other; patches are
    /// numbered in map order of their first cell.
    fn label_patches(&mut self) {
        let g = self.live_neighbours.len();
        let mut parent: Vec<u32> = (0..g as u32).collect();
        fn find(parent: &mut [u32], mut i: u32) -> u32 {
            while parent[i as usize] != i {
                parent[i as usize] = parent[parent[i as usize] as usize];
                i = parent[i as usize];
            }
            i
        }
        /// Joins `other`'s set to the set whose root is `root`, keeping the smaller root.
        #[inline]
        fn join(parent: &mut [u32], root: &mut u32, other: u32) {
            // A cell after this one is mostly still on its own.
            let b = if parent[other as usize] == other { other } else { find(parent, other) };
            if b != *root {
                parent[(*root).max(b) as usize] = (*root).min(b);
                *root = (*root).min(b);
            }
        }
        let (w, h) = (self.width as i32, self.height as i32);
        let mut r = 0u32;
        if let Some(spans) = self.row_spans() {
            // By rows of the neighbourhood: in a row, grass cells at most `b0` apart (the
            // reach along the cell's own row) are joined through each other, so a cell is
            // joined to the cell before it when that is within `b0`, and in each row below
            // to the first grass cell of its span and any more than `b0` after the last.
            // The neighbourhood is symmetric, so this joins every neighbouring pair.
            let b0 = spans.iter().find(|s| s.0 == 0).map_or(0, |s| s.2);
            let below: Vec<(i32, i32, i32)> = spans.iter().copied().filter(|s| s.0 > 0).collect();
            let mut prev = (u32::MAX, 0u32);
            self.grass.for_each_set_xy(self.width, |_, x, y| {
                let mut root = find(&mut parent, r);
                if prev.0 == y && (x - prev.1) as i32 <= b0 {
                    join(&mut parent, &mut root, r - 1);
                }
                prev = (y, x);
                let (x, y) = (x as i32, y as i32);
                for &(dy, a, b) in &below {
                    let ny = y + dy;
                    let (lo, hi) = ((x + a).max(0), (x + b).min(w - 1));
                    if ny >= h || lo > hi {
                        continue;
                    }
                    let mut bits = self.grass.window((ny * w + lo) as usize, (hi - lo + 1) as usize);
                    let mut last = i32::MIN / 2;
                    while bits != 0 {
                        let cx = lo + bits.trailing_zeros() as i32;
                        bits &= bits - 1;
                        if cx - last > b0 {
                            join(&mut parent, &mut root, self.grass_rank((ny * w + cx) as usize) as u32);
                        }
                        last = cx;
                    }
                }
                r += 1;
            });
        } else {
            // Each pair once: the neighbours after the cell in map order.
            let forward: Vec<(i32, i32)> =
                self.offsets.iter().copied().filter(|&(dx, dy)| dy > 0 || (dy == 0 && dx > 0)).collect();
            self.grass.for_each_set_xy(self.width, |_, x, y| {
                let (x, y) = (x as i32, y as i32);
                let mut root = find(&mut parent, r);
                for &(dx, dy) in &forward {
                    let (nx, ny) = (x + dx, y + dy);
                    if nx < 0 || ny < 0 || nx >= w || ny >= h {
                        continue;
                    }
                    let j = (ny * w + nx) as usize;
                    if self.grass.get(j) {
                        join(&mut parent, &mut root, self.grass_rank(j) as u32);
                    }
                }
                r += 1;
            });
        }
        // A component's root is its first cell (unions keep the smaller root), so labels
        // come in map order of first cells.
        let mut patch = Vec::with_capacity(g);
        for r in 0..g as u32 {
            let root = find(&mut parent, r);
            if root == r {
                patch.push(self.patch_size.len() as u32);
                self.patch_size.push(0);
                self.patch_live.push(0);
            } else {
                patch.push(patch[root as usize]);
            }
            self.patch_size[patch[r as usize] as usize] += 1;
        }
        self.patch = patch;
    }

    /// Puts an apple on grass cell `i` (without one).
    fn set_apple(&mut self, i: usize) {
        let plan = self.plan_cells(vec![i as u32]);
        self.grow_planned(&plan, 0);
    }

    /// Puts an apple on the `n`-th cell of `plan` (grass, without one): the cell's patch
    /// counts it, its grass neighbours' live counts rise, and those newly eligible become
    /// regrowth candidates, in the neighbourhood's order.
    fn grow_planned(&mut self, plan: &CellPlan, n: usize) {
        let i = plan.cells[n] as usize;
        let row = plan.row(n);
        debug_assert!(!self.apple.get(i) && row[0] != NONE);
        let (p, count) = (row[1] as usize, row[2] as usize);
        self.apple.set(i);
        self.apples += 1;
        if self.patch_live[p] == 0 {
            self.patches_alive += 1;
        }
        self.patch_live[p] += 1;
        let (ranks, cells) = row[3..].split_at(plan.reach);
        for (&r, &j) in ranks[..count].iter().zip(&cells[..count]) {
            let r = r as usize;
            self.live_neighbours[r] += 1;
            if !self.apple.get(j as usize) && !self.in_candidates.get(r) {
                self.in_candidates.set(r);
                self.candidates.push((j, r as u32));
            }
        }
    }

    /// Picks the apple at cell `i`, if there is one. Returns `None` if there was no apple,
    /// `Some(None)` if one was picked, and `Some(Some(patch))` if it was the last apple of
    /// `patch`, which is now lost for good.
    pub fn pick(&mut self, i: usize) -> Option<Option<u32>> {
        let plan = self.plan_cells(vec![i as u32]);
        self.pick_planned(&plan, 0)
    }

    /// What picking the apple at each of `cells` (or putting one there) reads that no pick or
    /// growth changes, worked out ahead (on the thread pool when there are many): each cell's
    /// grass rank and patch, its grass neighbours' ranks and cells. [`Grid::pick_planned`]
    /// then picks them one by one, in any order, with the same result as [`Grid::pick`]: on a
    /// big map the reads that wait on one another (a rank from the grass words, a count or
    /// patch from the rank) are made for many cells at once, and the picks only write.
    /// Regrowth puts its apples down the same way.
    pub fn plan_cells(&self, cells: Vec<u32>) -> CellPlan {
        use rayon::prelude::*;
        let reach = self.offsets.len();
        let stride = 3 + 2 * reach;
        // (Most ticks of a small world pick and grow nothing: nothing to set up then.)
        if cells.is_empty() {
            return CellPlan { stride, reach, cells, data: Vec::new() };
        }
        let mut data = vec![NONE; cells.len() * stride];
        let ahead = self.prefetch_pays();
        let plan = |rows: &mut [u32], cells: &[u32]| {
            for (k, (row, &c)) in rows.chunks_mut(stride).zip(cells).enumerate() {
                // The grass words of a pick some way ahead (on a big map), and the patch of a
                // nearer one (its rank from those words, asked for earlier): the patches are
                // out of the nearest caches even on a small map.
                if ahead && let Some(&j) = cells.get(k + 12) {
                    self.prefetch_grass_around(j % self.width, j / self.width);
                }
                if let Some(r) = cells.get(k + 4).and_then(|&j| self.grass_rank_of(j as usize)) {
                    prefetch(&self.patch, r);
                }
                let i = c as usize;
                let Some(r) = self.grass_rank_of(i) else {
                    continue;
                };
                let (ranks, neighbours) = row[3..].split_at_mut(reach);
                let n = self.neighbours(i, ranks, neighbours);
                row[..3].copy_from_slice(&[r as u32, self.patch[r], n as u32]);
            }
        };
        if cells.len() > PLAN_CHUNK {
            data.par_chunks_mut(PLAN_CHUNK * stride)
                .zip(cells.par_chunks(PLAN_CHUNK))
                .with_max_len(1)
                .for_each(|(rows, cells)| plan(rows, cells));
        } else {
            plan(&mut data, &cells);
        }
        CellPlan { stride, reach, cells, data }
    }

    /// Picks the apple at the `n`-th cell of `plan` (made by [`Grid::plan_cells`] on this grid;
    /// nothing it holds changes with the apples): what [`Grid::pick`] returns.
    pub fn pick_planned(&mut self, plan: &CellPlan, n: usize) -> Option<Option<u32>> {
        let i = plan.cells[n] as usize;
        if !self.apple.get(i) {
            return None;
        }
        let row = plan.row(n);
        let (r, p, count) = (row[0] as usize, row[1] as usize, row[2] as usize);
        self.apple.clear(i);
        self.apples -= 1;
        for &j in &row[3..3 + count] {
            self.live_neighbours[j as usize] -= 1;
        }
        if self.live_neighbours[r] > 0 && !self.in_candidates.get(r) {
            self.in_candidates.set(r);
            self.candidates.push((i as u32, r as u32));
        }
        self.patch_live[p] -= 1;
        if self.patch_live[p] == 0 {
            self.patches_alive -= 1;
            return Some(Some(p as u32));
        }
        Some(None)
    }

    /// Asks the processor to fetch what [`Grid::pick_planned`] of the `n`-th cell of `plan`
    /// writes: the neighbours' live counts, the cell's candidate flag and its patch's count;
    /// `growing`, what putting an apple there reads besides: the neighbours' apple words and
    /// candidate flags (a hint only; nothing past the plan's end).
    #[inline]
    pub fn prefetch_planned(&self, plan: &CellPlan, n: usize, growing: bool) {
        if n >= plan.cells.len() {
            return;
        }
        let row = plan.row(n);
        if row[0] == NONE {
            return;
        }
        let count = row[2] as usize;
        let (ranks, cells) = row[3..].split_at(plan.reach);
        for &r in &ranks[..count] {
            prefetch(&self.live_neighbours, r as usize);
        }
        if growing {
            // A row's neighbours share a word or two: ask for each row's first and last.
            let mut last = usize::MAX;
            for (&r, &j) in ranks[..count].iter().zip(&cells[..count]) {
                if j as usize >> 6 != last {
                    last = j as usize >> 6;
                    prefetch(&self.apple.0, last);
                    prefetch(&self.in_candidates.0, r as usize >> 6);
                }
            }
        }
        prefetch(&self.in_candidates.0, row[0] as usize >> 6);
        prefetch(&self.patch_live, row[1] as usize);
    }

    /// Cell `i`'s grass neighbours within the regrowth radius (not `i`), in the
    /// neighbourhood's order (rows, then columns): their grass ranks written to the front of
    /// `ranks` and their cells to the front of `cells` (each as long as the neighbourhood at
    /// least); returns how many.
    fn neighbours(&self, i: usize, ranks: &mut [u32], cells: &mut [u32]) -> usize {
        let (x, y) = ((i % self.width as usize) as i32, (i / self.width as usize) as i32);
        let (w, h) = (self.width as i32, self.height as i32);
        let mut n = 0;
        if let Some((spans, _, _)) = self.neighbourhood_rows() {
            // Row by row: a row's grass cells are consecutive in grass rank, so one rank a row.
            for &(dy, a, b) in spans {
                let ny = y + dy;
                let (lo, hi) = ((x + a).max(0), (x + b).min(w - 1));
                if ny < 0 || ny >= h || lo > hi {
                    continue;
                }
                let base = (ny * w + lo) as usize;
                let mut bits = self.grass_window(base, (hi - lo + 1) as usize);
                if bits == 0 {
                    continue;
                }
                let mut r = self.grass_rank(base + bits.trailing_zeros() as usize);
                while bits != 0 {
                    let j = base + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if j != i {
                        (ranks[n], cells[n]) = (r as u32, j as u32);
                        n += 1;
                    }
                    r += 1;
                }
            }
            return n;
        }
        for &(dx, dy) in &self.offsets {
            let (nx, ny) = (x + dx, y + dy);
            if nx < 0 || ny < 0 || nx >= w || ny >= h {
                continue;
            }
            let j = (ny * w + nx) as usize;
            if let Some(r) = self.grass_rank_of(j) {
                (ranks[n], cells[n]) = (r as u32, j as u32);
                n += 1;
            }
        }
        n
    }

    /// What moving from `(x, y)` by `action` would do to an object in the way (pure).
    pub fn push_outcome(&self, x: u32, y: u32, action: crate::rules::action::Action) -> crate::objects::Push {
        use crate::objects::Push;
        let d = action.delta();
        if self.objects.is_empty() || d == (0, 0) || !self.walkable(x as i64 + d.0, y as i64 + d.1) {
            return Push::Enter;
        }
        let (tx, ty) = ((x as i64 + d.0) as u32, (y as i64 + d.1) as u32);
        self.objects.push_outcome(
            tx,
            ty,
            d,
            |x, y| self.walkable(x as i64, y as i64) && !self.occupied(self.index(x, y)),
            |x, y| self.wall.get(self.index(x, y)),
        )
    }

    /// Moves the objects on belts one cell (the rule of [`crate::objects`]).
    pub fn step_belts(&mut self, tick: u64) {
        if !self.objects.has_belts() {
            return;
        }
        let (w, wall, occupied) = (self.width, &self.wall, &self.occupied);
        self.objects.step_belts(
            tick,
            |x, y| occupied.get((y * w + x) as usize),
            |x, y| wall.get((y * w + x) as usize),
            &mut self.effects,
        );
    }

    /// Sets the world's objects and belts.
    pub fn set_objects(&mut self, objects: crate::objects::Objects) {
        self.objects = objects;
    }

    /// Puts an apple on grass cell `i`, or takes it away, keeping every count in step (for
    /// imagined worlds: a world model with observation noise). No-op on other cells.
    pub fn set_apple_state(&mut self, i: usize, present: bool) {
        if self.grass_rank_of(i).is_none() || self.apple.get(i) == present {
            return;
        }
        if present {
            self.set_apple(i);
        } else {
            self.pick(i);
        }
    }

    /// Replaces the regrowth probabilities (for world models with a perturbed rule).
    pub fn set_probabilities(&mut self, probabilities: Vec<f64>) {
        self.cost_by_count =
            (0..=self.offsets.len() as u32).map(|n| crate::rules::regrowth::commons_cost(&probabilities, n)).collect();
        self.enough = std::sync::OnceLock::new();
        self.probabilities = probabilities;
    }

    /// Regrows eaten apples for `tick`, synchronously: every candidate's chance is computed
    /// from the apples standing before any regrows this tick, and its draw is keyed by
    /// (seed, tick, cell), so the result does not depend on the order of the candidates.
    /// Returns the number of apples that regrew.
    ///
    /// A candidate whose draw is at least the largest regrowth probability cannot regrow
    /// whatever its neighbours, so only the others are looked up on the map; the list keeps
    /// cells that stopped being eligible (they regrew, or lost their last live neighbour)
    /// until a tick that sweeps it ([`SWEEP_EVERY`]) or a draw that looks them up. Such a cell
    /// becomes eligible again without being listed twice: `in_candidates` says it is listed.
    /// From [`REGROW_PARALLEL`] candidates the draws are made on the thread pool; the list is
    /// then compacted and the apples set in the candidates' order, on this thread: the same
    /// result as one pass.
    pub fn regrow(&mut self, seed: u64, tick: u64) -> u32 {
        use rayon::prelude::*;
        let draws = rng::TickKey::new(seed, tick);
        let sweep = tick.is_multiple_of(SWEEP_EVERY);
        let ceiling = self.probabilities.iter().fold(0.0f64, |m, &p| m.max(p));
        let ahead = self.prefetch_pays();
        let mut fate = std::mem::take(&mut self.regrow_fate);
        fate.clear();
        fate.resize(self.candidates.len(), KEEP);
        {
            let (candidates, live, apple, probabilities) =
                (&self.candidates, &self.live_neighbours, &self.apple, &self.probabilities);
            let decide = |fate: &mut [u8], candidates: &[(u32, u32)]| {
                // The candidates to look up, with their draws: those that could regrow (all of
                // them when sweeping).
                // (Left uninitialised: zeroing 16 KiB for a small map's few candidates cost
                // more than deciding them.)
                let mut check = [std::mem::MaybeUninit::<(u16, f64)>::uninit(); DRAW_CHUNK];
                let mut m = 0;
                for (k, &(c, _)) in candidates.iter().enumerate() {
                    let u = draws.unit(c as u64, Purpose::Regrow);
                    if sweep || u < ceiling {
                        check[m].write((k as u16, u));
                        m += 1;
                    }
                }
                // SAFETY: the first `m` entries were written just above.
                let check = unsafe { check[..m].assume_init_ref() };
                for j in 0..m {
                    if ahead && let Some(&(k, _)) = check.get(j + 8) {
                        let (c, r) = candidates[k as usize];
                        prefetch(live, r as usize);
                        prefetch(&apple.0, c as usize >> 6);
                    }
                    let (k, u) = check[j];
                    let (c, r) = candidates[k as usize];
                    let n = live[r as usize] as u32;
                    fate[k as usize] = if apple.get(c as usize) || n == 0 {
                        DROP
                    } else {
                        let p = regrowth::probability(probabilities, n);
                        if p > 0.0 && u < p { GROW } else { KEEP }
                    };
                }
            };
            if self.candidates.len() >= REGROW_PARALLEL {
                fate.par_chunks_mut(DRAW_CHUNK)
                    .zip(candidates.par_chunks(DRAW_CHUNK))
                    .with_max_len(1)
                    .for_each(|(f, c)| decide(f, c));
            } else {
                fate.chunks_mut(DRAW_CHUNK).zip(candidates.chunks(DRAW_CHUNK)).for_each(|(f, c)| decide(f, c));
            }
        }
        let mut buffer = std::mem::take(&mut self.regrow_buffer);
        buffer.clear();
        let mut keep = 0;
        for k in 0..self.candidates.len() {
            let e = self.candidates[k];
            if fate[k] == DROP {
                self.in_candidates.clear(e.1 as usize);
                continue;
            }
            self.candidates[keep] = e;
            keep += 1;
            if fate[k] == GROW {
                buffer.push(e);
            }
        }
        self.candidates.truncate(keep);
        self.regrow_fate = fate;
        self.grow(&buffer);
        let grown = buffer.len() as u32;
        self.regrow_buffer = buffer;
        grown
    }

    /// Puts an apple on each of `cells` (cell, grass rank: the plan works the rank out again),
    /// in order, from a plan of them ([`Grid::plan_cells`]); on a big map what each writes is
    /// asked for eight cells ahead.
    fn grow(&mut self, cells: &[(u32, u32)]) {
        let ahead = self.prefetch_pays();
        let plan = self.plan_cells(cells.iter().map(|&(c, _)| c).collect());
        for n in 0..plan.len() {
            if ahead {
                self.prefetch_planned(&plan, n + 8, true);
            }
            self.grow_planned(&plan, n);
        }
    }

    /// The cells that may regrow this tick (eaten, with at least one live neighbour), counted
    /// by their live-neighbour count: entry `n` is how many have `n` (the model error's
    /// divergence: [`crate::rules::divergence::regrowth_kl`]).
    pub fn candidates_by_neighbours(&self) -> Vec<u64> {
        let last = self.offsets.len();
        let mut out = vec![0u64; last + 1];
        for &(c, r) in &self.candidates {
            let n = self.live_neighbours[r as usize] as usize;
            if !self.apple.get(c as usize) && n > 0 {
                out[n.min(last)] += 1;
            }
        }
        out
    }

    /// Grass cells.
    pub fn grass_cells(&self) -> u64 {
        self.live_neighbours.len() as u64
    }

    /// Map width in cells.
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Map height in cells.
    pub fn height(&self) -> u32 {
        self.height
    }
    /// The cell index of `(x, y)`.
    #[inline]
    pub fn index(&self, x: u32, y: u32) -> usize {
        y as usize * self.width as usize + x as usize
    }
    /// The terrain of cell `i`.
    #[inline]
    pub fn terrain(&self, i: usize) -> Terrain {
        Terrain::of(self.wall.get(i), self.grass.get(i))
    }
    /// Whether cell `i` holds an apple now.
    #[inline]
    pub fn has_apple(&self, i: usize) -> bool {
        self.apple.get(i)
    }
    /// Calls `f(x)` for every apple in row `y` between columns `x0` and `x1` inclusive, left
    /// to right.
    #[inline]
    pub fn for_each_apple_in_row(&self, y: u32, x0: u32, x1: u32, mut f: impl FnMut(u32)) {
        let base = self.index(0, y);
        self.apple.for_each_set(base + x0 as usize, base + x1 as usize, |i| f((i - base) as u32));
    }
    /// The apples of row `y` in columns `x0 .. x0 + len` as a bit mask (bit `k` is column
    /// `x0 + k`); `len` must be at most 64 and the span must lie on the map.
    #[inline]
    pub fn apple_bits(&self, y: u32, x0: u32, len: u32) -> u64 {
        debug_assert!(len <= 64 && x0 + len <= self.width);
        self.apple.window(self.index(x0, y), len as usize)
    }
    /// Live apples within the regrowth radius of cell `i`, not counting `i` itself.
    #[inline]
    pub fn live_neighbours(&self, i: usize) -> u32 {
        if let Some(r) = self.grass_rank_of(i) {
            self.live_neighbours[r] as u32
        } else {
            let (x, y) = (i % self.width as usize, i / self.width as usize);
            count_live(&self.apple, self.width, self.height, &self.offsets, x as u32, y as u32)
        }
    }
    /// The cost to the commons of picking the apple at cell `i` now (see
    /// [`crate::rules::regrowth::commons_cost`]).
    #[inline]
    pub fn commons_cost(&self, i: usize) -> f64 {
        self.cost_by_count[self.live_neighbours(i) as usize]
    }
    /// [`Grid::commons_cost`] of a cell known to hold an apple (so to be grass): one lookup
    /// fewer.
    #[inline]
    pub fn apple_commons_cost(&self, i: usize) -> f64 {
        debug_assert!(self.apple.get(i));
        self.cost_by_count[self.live_neighbours[self.grass_rank(i)] as usize]
    }
    /// The regrowth neighbourhood as rows `(dy, dx_min, dx_max)` of contiguous cells (the cell
    /// itself counted in its row), when it is such: a cell's live count is then the apples of
    /// those row spans around it, less its own (what a scorer holding the rows' apple bits can
    /// count itself instead of looking the count up); with them, the neighbourhood's reach
    /// across and down (the largest `|dx|` and `|dy|`).
    #[inline]
    pub fn neighbourhood_rows(&self) -> Option<(&[(i32, i32, i32)], i64, i64)> {
        self.rows().map(|r| (r.spans.as_slice(), r.rx, r.ry))
    }
    /// [`Grid::neighbourhood_rows`]'s rows, widest first (nearest the cell's own row first
    /// among equals): the order in which a count reaches a given size soonest.
    #[inline]
    pub fn neighbourhood_rows_widest_first(&self) -> Option<&[(i32, i32, i32)]> {
        self.rows().map(|r| r.widest.as_slice())
    }
    /// The neighbourhood's rows, worked out when first needed.
    fn rows(&self) -> Option<&Rows> {
        self.spans
            .get_or_init(|| {
                self.row_spans().map(|spans| {
                    let rx = spans.iter().map(|&(_, a, b)| a.abs().max(b.abs())).max().unwrap_or(0);
                    let ry = spans.iter().map(|&(dy, _, _)| dy.abs()).max().unwrap_or(0);
                    let mut widest = spans.clone();
                    widest.sort_by_key(|&(dy, a, b)| (a - b, dy.abs(), dy));
                    Rows { spans, widest, rx: rx as i64, ry: ry as i64 }
                })
            })
            .as_ref()
    }
    /// The least live count from which picking costs the commons as much as at the most:
    /// counting further changes nothing.
    #[inline]
    pub fn count_enough(&self) -> u32 {
        *self.enough.get_or_init(|| {
            let top = self.cost_by_count.len() - 1;
            let last = self.cost_by_count[top];
            self.cost_by_count.iter().rposition(|&c| c != last).map_or(0, |k| k + 1).min(top) as u32
        })
    }
    /// The cost to the commons of picking an apple with `n` live neighbours
    /// ([`Grid::commons_cost`] of a cell whose count is `n`).
    #[inline]
    pub fn cost_of_count(&self, n: u32) -> f64 {
        self.cost_by_count[n as usize]
    }
    /// The apples of row `y` in columns `x0 .. x0 + len` as a bit mask (bit `k` is column
    /// `x0 + k`), with columns and rows off the map empty; `len` at most 64.
    #[inline]
    pub fn apple_bits_clipped(&self, y: i64, x0: i64, len: u32) -> u64 {
        let (w, h) = (self.width as i64, self.height as i64);
        let (lo, hi) = (x0.max(0), (x0 + len as i64).min(w));
        if y < 0 || y >= h || lo >= hi {
            return 0;
        }
        self.apple.window((y * w + lo) as usize, (hi - lo) as usize) << (lo - x0)
    }
    /// Whether asking for cells ahead ([`Grid::prefetch_view`], [`Grid::prefetch_move`]) pays:
    /// on a map of more than 2²² cells (a bit set of more than 512 KiB), where the cells
    /// agents read are rarely in the nearest caches already.
    #[inline]
    pub fn prefetch_pays(&self) -> bool {
        self.apple.0.len() > 1 << 16
    }
    /// Asks the processor to fetch what scoring the view of radius `r` around `(x, y)` reads
    /// first: the apple words of its rows and of the regrowth reach above and below them
    /// (the scorer counts live neighbours from those; without row spans, the rows' grass
    /// words too), and the walls around `(x, y)`. A hint only: it changes nothing (on a big map
    /// it hides the wait for memory while another agent is being scored).
    #[inline]
    pub fn prefetch_view(&self, x: u32, y: u32, r: u32) {
        let (w, h) = (self.width as usize, self.height as usize);
        let (x, y, r) = (x as usize, y as usize, r as usize);
        let spans = self.neighbourhood_rows();
        let (rx, ry) = spans.map_or((0, 0), |(_, rx, ry)| (rx as usize, ry as usize));
        let (x0, x1) = (x.saturating_sub(r + rx), (x + r + rx).min(w - 1));
        for cy in y.saturating_sub(r + ry)..=(y + r + ry).min(h - 1) {
            let (lo, hi) = ((cy * w + x0) >> 6, (cy * w + x1) >> 6);
            prefetch(&self.apple.0, lo);
            if hi != lo {
                prefetch(&self.apple.0, hi);
            }
            if spans.is_none() {
                prefetch(&self.grass_ranks, lo);
            }
        }
        if !self.no_wall_beside(x as u32, y as u32) {
            for cy in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                prefetch(&self.wall.0, (cy * w + x) >> 6);
            }
        }
    }
    /// The second half of [`Grid::prefetch_view`], once its grass words are at hand: the
    /// live counts of the view's rows (only read without row spans).
    #[inline]
    pub fn prefetch_view_counts(&self, x: u32, y: u32, r: u32) {
        if self.neighbourhood_rows().is_some() {
            return;
        }
        let (w, h) = (self.width as usize, self.height as usize);
        let (x, y, r) = (x as usize, y as usize, r as usize);
        let x0 = x.saturating_sub(r);
        for cy in y.saturating_sub(r)..=(y + r).min(h - 1) {
            let lo = cy * w + x0;
            prefetch(&self.live_neighbours, self.grass_rank(lo).min(self.live_neighbours.len()));
        }
    }
    /// Asks the processor to fetch the grass words of the regrowth neighbourhood of `(x, y)`
    /// (with the grass ranks: what [`Grid::plan_cells`] reads first). A hint only.
    #[inline]
    pub fn prefetch_grass_around(&self, x: u32, y: u32) {
        let Some((spans, _, _)) = self.neighbourhood_rows() else {
            return;
        };
        let (w, h) = (self.width as i32, self.height as i32);
        let (x, y) = (x as i32, y as i32);
        for &(dy, a, _) in spans {
            let ny = y + dy;
            if ny >= 0 && ny < h {
                prefetch(&self.grass_ranks, (ny * w + (x + a).max(0)) as usize >> 6);
            }
        }
    }
    /// Asks the processor to fetch what moving from `(x, y)` by `action` reads and writes: the
    /// wall and occupied words of the target and the occupied word of `(x, y)` (a hint only).
    #[inline]
    pub fn prefetch_move(&self, x: u32, y: u32, action: crate::rules::action::Action) {
        let (dx, dy) = action.delta();
        let tx = (x as i64 + dx).clamp(0, self.width as i64 - 1) as u32;
        let ty = (y as i64 + dy).clamp(0, self.height as i64 - 1) as u32;
        let (from, to) = (self.index(x, y), self.index(tx, ty));
        if !self.no_wall_beside(x, y) {
            prefetch(&self.wall.0, to >> 6);
        }
        prefetch(&self.occupied.0, to >> 6);
        if from >> 9 != to >> 9 {
            prefetch(&self.occupied.0, from >> 6);
        }
    }
    /// Asks the processor to fetch cell `i`'s apple word (a hint only).
    #[inline]
    pub fn prefetch_apple(&self, i: usize) {
        prefetch(&self.apple.0, i >> 6);
    }
    /// Whether no cell of the 64-cell word holding `(x, y)` has a wall among its four
    /// neighbours: then a move from `(x, y)` is blocked only by the map's edge.
    #[inline]
    pub fn no_wall_beside(&self, x: u32, y: u32) -> bool {
        let i = self.index(x, y);
        !self.wall_beside.get_or_init(|| self.walls_beside()).get(i >> 6)
    }
    /// [`Grid::wall_beside`]: each wall marks the words of the cells beside it.
    fn walls_beside(&self) -> CellSet {
        let (w, h) = (self.width as usize, self.height as usize);
        let mut out = CellSet::new(self.wall.0.len());
        for t in self.wall.iter() {
            let (x, y) = (t % w, t / w);
            if x > 0 {
                out.set((t - 1) >> 6);
            }
            if x + 1 < w {
                out.set((t + 1) >> 6);
            }
            if y > 0 {
                out.set((t - w) >> 6);
            }
            if y + 1 < h {
                out.set((t + w) >> 6);
            }
        }
        out
    }
    /// Whether an agent can stand on `(x, y)`; `false` off the map.
    #[inline]
    pub fn walkable(&self, x: i64, y: i64) -> bool {
        x >= 0
            && y >= 0
            && x < self.width as i64
            && y < self.height as i64
            && !self.wall.get(self.index(x as u32, y as u32))
    }
    /// Whether an agent stands on cell `i`.
    #[inline]
    pub fn occupied(&self, i: usize) -> bool {
        self.occupied.get(i)
    }
    /// Marks cell `i` as occupied or free.
    #[inline]
    pub fn set_occupied(&mut self, i: usize, occupied: bool) {
        if occupied { self.occupied.set(i) } else { self.occupied.clear(i) }
    }
    /// The occupied set's words (cell `i` is bit `i % 64` of word `i / 64`), for moves carried
    /// out band by band on the thread pool ([`crate::movement`]), each band on its own words.
    pub fn occupied_words_mut(&mut self) -> &mut [u64] {
        &mut self.occupied.0
    }
    /// Apples standing on the map.
    pub fn apples(&self) -> u32 {
        self.apples
    }
    /// Patches with at least one live apple.
    pub fn patches_alive(&self) -> u32 {
        self.patches_alive
    }
    /// All patches the map started with.
    pub fn patch_count(&self) -> u32 {
        self.patch_size.len() as u32
    }
    /// The patch of cell `i`, or [`NONE`] for cells where apples never grow.
    pub fn patch_of(&self, i: usize) -> u32 {
        self.grass_rank_of(i).map_or(NONE, |r| self.patch[r])
    }
    /// Whether the apple at cell `i` is the last live apple of its patch (picking it would
    /// lose the patch for good).
    #[inline]
    pub fn last_of_patch(&self, i: usize) -> bool {
        let p = self.patch_of(i);
        p != NONE && self.patch_live[p as usize] == 1
    }
    /// Whether patch `p` still has a live apple.
    pub fn patch_alive(&self, p: u32) -> bool {
        self.patch_live.get(p as usize).is_some_and(|&c| c > 0)
    }
    /// Whether the patch of cell `i` still has a live apple (false off patches).
    pub fn patches_alive_of(&self, i: usize) -> bool {
        let p = self.patch_of(i);
        p != NONE && self.patch_live[p as usize] > 0
    }
    /// The spawn points, as cell indices in map order.
    pub fn spawn_points(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        Counted(self.spawn.iter().map(|i| i as u32), self.spawn_count as usize)
    }
    /// How many spawn points the map has.
    pub fn spawn_point_count(&self) -> u32 {
        self.spawn_count
    }
    /// Whether cell `i` is a spawn point.
    pub fn is_spawn_point(&self, i: usize) -> bool {
        self.spawn.get(i)
    }
    /// The spawn points as a bit set over the cells.
    pub fn spawn_set(&self) -> &CellSet {
        &self.spawn
    }
    /// The regrowth probabilities by live-neighbour count.
    pub fn probabilities(&self) -> &[f64] {
        &self.probabilities
    }
    /// A stable 64-bit digest of the apples standing (FNV-1a over the apple bitmap).
    /// (With objects, their places and states too.)
    pub fn apple_digest(&self) -> u64 {
        let mut h = crate::hash::Fnv::new();
        for i in self.apple.iter() {
            h.write_u64(i as u64);
        }
        if !self.objects.is_empty() {
            h.write_u64(self.objects.digest());
        }
        h.finish()
    }
}

/// Bits `lo .. lo + len` (`len` ≤ 64) of a bit set whose word `w` is `word(w)`, as a word,
/// bit 0 first.
#[inline(always)]
fn window(word: impl Fn(usize) -> u64, lo: usize, len: usize) -> u64 {
    if len == 0 {
        return 0;
    }
    let (w, off) = (lo >> 6, lo & 63);
    let mut v = word(w) >> off;
    if off + len > 64 {
        v |= word(w + 1) << (64 - off);
    }
    if len < 64 { v & ((1u64 << len) - 1) } else { v }
}

/// The live apples of `apple` within the neighbourhood `offsets` of cell `(x, y)` (not the
/// cell itself).
fn count_live(apple: &CellSet, width: u32, height: u32, offsets: &[(i32, i32)], x: u32, y: u32) -> u32 {
    let (x, y, w, h) = (x as i32, y as i32, width as i32, height as i32);
    offsets
        .iter()
        .filter(|&&(dx, dy)| {
            let (nx, ny) = (x + dx, y + dy);
            nx >= 0 && ny >= 0 && nx < w && ny < h && apple.get((ny * w + nx) as usize)
        })
        .count() as u32
}

/// An iterator that knows how many items it has left.
struct Counted<I>(I, usize);

impl<I: Iterator> Iterator for Counted<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        let item = self.0.next()?;
        self.1 -= 1;
        Some(item)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.1, Some(self.1))
    }
}

impl<I: Iterator> ExactSizeIterator for Counted<I> {}

/// A fixed-size set of cells (or of grass ranks), one bit each.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CellSet(Vec<u64>, usize);

impl CellSet {
    /// An empty set of `n` places.
    pub fn new(n: usize) -> Self {
        CellSet(vec![0; n.div_ceil(64)], n)
    }
    /// The number of places.
    pub fn len(&self) -> usize {
        self.1
    }
    /// Whether the set has no places.
    pub fn is_empty(&self) -> bool {
        self.1 == 0
    }
    /// Whether `i` is in the set.
    #[inline]
    pub fn get(&self, i: usize) -> bool {
        self.0[i >> 6] >> (i & 63) & 1 == 1
    }
    /// Puts `i` in the set.
    #[inline]
    pub fn set(&mut self, i: usize) {
        self.0[i >> 6] |= 1 << (i & 63);
    }
    /// Takes `i` out of the set.
    #[inline]
    pub fn clear(&mut self, i: usize) {
        self.0[i >> 6] &= !(1 << (i & 63));
    }
    /// Puts places `lo .. hi` in the set.
    pub fn set_range(&mut self, lo: usize, hi: usize) {
        for i in lo..hi {
            self.set(i);
        }
    }
    /// How many places are in the set.
    pub fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
    /// Adds every place of `other`.
    pub fn union_with(&mut self, other: &CellSet) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }
    /// Takes out every place of `other`.
    pub fn subtract(&mut self, other: &CellSet) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= !b);
    }
    /// The places in neither set, among `0 .. len`.
    pub fn neither(a: &CellSet, b: &CellSet) -> CellSet {
        let mut out = CellSet(a.0.iter().zip(&b.0).map(|(x, y)| !(x | y)).collect(), a.1);
        if !a.1.is_multiple_of(64)
            && let Some(last) = out.0.last_mut()
        {
            *last &= (1u64 << (a.1 & 63)) - 1;
        }
        out
    }
    /// The places in the set, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            let mut word = word;
            std::iter::from_fn(move || {
                (word != 0).then(|| {
                    let i = (w << 6) + word.trailing_zeros() as usize;
                    word &= word - 1;
                    i
                })
            })
        })
    }
    /// The `k`-th place in the set (0-based), in increasing order, with `before[w]` the places
    /// before word `w` (see [`CellSet::counts_before`]).
    pub fn select(&self, before: &[u32], k: usize) -> Option<usize> {
        let w = before.partition_point(|&c| c as usize <= k).checked_sub(1)?;
        let mut word = self.0[w];
        let mut left = k - before[w] as usize;
        if left >= word.count_ones() as usize {
            return None;
        }
        while left > 0 {
            word &= word - 1;
            left -= 1;
        }
        Some((w << 6) + word.trailing_zeros() as usize)
    }
    /// The places in the set before `i`, with `before` from [`CellSet::counts_before`].
    #[inline]
    pub fn rank(&self, before: &[u32], i: usize) -> usize {
        before[i >> 6] as usize + (self.0[i >> 6] & ((1u64 << (i & 63)) - 1)).count_ones() as usize
    }
    /// For each word, the places in the words before it.
    pub fn counts_before(&self) -> Vec<u32> {
        let mut c = 0u32;
        self.0
            .iter()
            .map(|w| {
                let b = c;
                c += w.count_ones();
                b
            })
            .collect()
    }
    /// Places `lo .. lo + len` (`len` ≤ 64, all inside the set) as a word, bit 0 first.
    #[inline]
    fn window(&self, lo: usize, len: usize) -> u64 {
        window(|w| self.0[w], lo, len)
    }
    /// Calls `f(i, x, y)` for every cell `i = (x, y)` in the set, row by row, for a
    /// row-major map `width` cells wide.
    #[inline]
    fn for_each_set_xy(&self, width: u32, mut f: impl FnMut(usize, u32, u32)) {
        let w = width as usize;
        if w == 0 {
            return;
        }
        for y in 0..self.1 / w {
            let start = y * w;
            self.for_each_set(start, start + w - 1, |i| f(i, (i - start) as u32, y as u32));
        }
    }
    /// Calls `f(i)` for every place `i` in `lo..=hi` in the set, in increasing order.
    #[inline]
    fn for_each_set(&self, lo: usize, hi: usize, mut f: impl FnMut(usize)) {
        if self.0.is_empty() || lo > hi {
            return;
        }
        let (first, last) = (lo >> 6, hi >> 6);
        for w in first..=last {
            let mut word = self.0[w];
            if w == first {
                word &= !0u64 << (lo & 63);
            }
            if w == last && (hi & 63) != 63 {
                word &= (1u64 << ((hi & 63) + 1)) - 1;
            }
            while word != 0 {
                f((w << 6) + word.trailing_zeros() as usize);
                word &= word - 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Patches and live counts against a brute-force flood fill and recount, on scattered
    /// grass at several radii (the by-rows labelling and the pair-by-pair one alike).
    #[test]
    fn patches_and_counts_match_a_brute_force() {
        let (w, h) = (97u32, 41u32);
        let n = (w * h) as usize;
        for (radius, seed) in [(1.0, 1u64), (1.5, 2), (2.0, 3), (2.5, 4), (3.0, 5), (8.0, 6), (0.5, 7)] {
            let mut st = crate::rng::stream(seed, 0, 0, Purpose::MapGen);
            let terrain: Vec<Terrain> = (0..n)
                .map(|_| match st.below(10) {
                    0 => Terrain::Wall,
                    1..=3 => Terrain::Grass,
                    _ => Terrain::Floor,
                })
                .collect();
            let apples: Vec<u32> =
                (0..n as u32).filter(|&i| terrain[i as usize] == Terrain::Grass && st.below(3) > 0).collect();
            let g = Grid::new(w, h, terrain.clone(), &apples, vec![], radius, vec![0.0, 0.1]);
            let offsets = regrowth::neighbourhood(radius);
            let near = |i: usize| {
                let (x, y) = ((i as u32 % w) as i32, (i as u32 / w) as i32);
                offsets
                    .iter()
                    .filter_map(move |&(dx, dy)| {
                        let (nx, ny) = (x + dx, y + dy);
                        (nx >= 0 && ny >= 0 && nx < w as i32 && ny < h as i32).then_some((ny * w as i32 + nx) as usize)
                    })
                    .collect::<Vec<_>>()
            };
            let mut label = vec![NONE; n];
            let mut next = 0;
            for s in 0..n {
                if terrain[s] != Terrain::Grass || label[s] != NONE {
                    continue;
                }
                let mut stack = vec![s];
                label[s] = next;
                while let Some(c) = stack.pop() {
                    for j in near(c) {
                        if terrain[j] == Terrain::Grass && label[j] == NONE {
                            label[j] = next;
                            stack.push(j);
                        }
                    }
                }
                next += 1;
            }
            assert_eq!(g.patch_count(), next, "radius {radius}");
            for (i, &l) in label.iter().enumerate() {
                assert_eq!(g.patch_of(i), l, "radius {radius}, cell {i}");
                let live = near(i).into_iter().filter(|&j| g.has_apple(j)).count() as u32;
                assert_eq!(g.live_neighbours(i), live, "radius {radius}, cell {i}");
            }
        }
    }
}
