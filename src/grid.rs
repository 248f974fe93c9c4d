//! The grid: terrain, apples, patches and occupancy, laid out as flat arrays and bit sets for
//! speed.
//!
//! The grid keeps, for every cell, the number of live apples within the regrowth radius, and
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

/// The world's cells. Coordinates are `(x, y)` with `x` the column and `y` the row, `(0, 0)`
/// top-left, as the map is drawn.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Grid {
    width: u32,
    height: u32,
    terrain: Vec<Terrain>,
    /// One bit per cell, set where an apple stands (a 1000×1000 map's apples fit in 128 KiB,
    /// so an agent scanning its view stays in cache).
    apple: Bits,
    /// One bit per cell, set on walls.
    wall: Bits,
    live_neighbours: Vec<u8>,
    patch: Vec<u32>,
    patch_live: Vec<u32>,
    patch_size: Vec<u32>,
    patches_alive: u32,
    apples: u32,
    /// One bit per cell, set where an agent stands.
    occupied: Bits,
    candidates: Vec<u32>,
    in_candidates: Vec<bool>,
    offsets: Vec<(i32, i32)>,
    probabilities: Vec<f64>,
    spawn_points: Vec<u32>,
    regrow_buffer: Vec<u32>,
    /// Cost to the commons of picking an apple, by its live-neighbour count.
    cost_by_count: Vec<f64>,
    /// Vases, boxes and belts (none in the commons).
    pub objects: crate::objects::Objects,
    /// The effects recorded in the tick under way (cleared as each tick starts).
    pub effects: Vec<crate::objects::Effect>,
}

impl Grid {
    /// Builds a grid from row-major terrain, the cells that start with an apple, the spawn
    /// points (cell indices, in map order), and the regrowth rule.
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
        let mut grid = Grid {
            width,
            height,
            terrain,
            apple: Bits::new(n),
            wall: Bits::new(n),
            live_neighbours: vec![0; n],
            patch: vec![NONE; n],
            patch_live: Vec::new(),
            patch_size: Vec::new(),
            patches_alive: 0,
            apples: 0,
            occupied: Bits::new(n),
            candidates: Vec::new(),
            in_candidates: vec![false; n],
            offsets: regrowth::neighbourhood(radius),
            probabilities,
            spawn_points,
            regrow_buffer: Vec::new(),
            cost_by_count: Vec::new(),
            objects: Default::default(),
            effects: Vec::new(),
        };
        grid.cost_by_count = (0..=grid.offsets.len() as u32)
            .map(|n| crate::rules::regrowth::commons_cost(&grid.probabilities, n))
            .collect();
        for &i in apples {
            grid.terrain[i as usize] = Terrain::Grass;
        }
        for i in 0..n {
            if grid.terrain[i] == Terrain::Wall {
                grid.wall.set(i);
            }
        }
        grid.label_patches();
        for &i in apples {
            grid.set_apple(i as usize);
        }
        grid.patches_alive = grid.patch_live.iter().filter(|&&c| c > 0).count() as u32;
        grid
    }

    /// Union-find over grass cells within the regrowth radius of each other.
    fn label_patches(&mut self) {
        let n = self.terrain.len();
        let mut parent: Vec<u32> = (0..n as u32).collect();
        fn find(parent: &mut [u32], mut i: u32) -> u32 {
            while parent[i as usize] != i {
                parent[i as usize] = parent[parent[i as usize] as usize];
                i = parent[i as usize];
            }
            i
        }
        for i in 0..n {
            if self.terrain[i] != Terrain::Grass {
                continue;
            }
            for j in self.neighbours(i) {
                if self.terrain[j] == Terrain::Grass {
                    let (a, b) = (find(&mut parent, i as u32), find(&mut parent, j as u32));
                    if a != b {
                        parent[a.max(b) as usize] = a.min(b);
                    }
                }
            }
        }
        // Number patches in map order of their first cell.
        let mut label = vec![NONE; n];
        for i in 0..n {
            if self.terrain[i] == Terrain::Grass {
                let root = find(&mut parent, i as u32) as usize;
                if label[root] == NONE {
                    label[root] = self.patch_size.len() as u32;
                    self.patch_size.push(0);
                    self.patch_live.push(0);
                }
                self.patch[i] = label[root];
                self.patch_size[label[root] as usize] += 1;
            }
        }
    }

    /// Indices of the cells within the regrowth radius of cell `i` that lie on the map.
    #[inline]
    fn neighbours(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let (x, y) = ((i % self.width as usize) as i32, (i / self.width as usize) as i32);
        let (w, h) = (self.width as i32, self.height as i32);
        self.offsets.iter().filter_map(move |&(dx, dy)| {
            let (nx, ny) = (x + dx, y + dy);
            (nx >= 0 && ny >= 0 && nx < w && ny < h).then(|| (ny * w + nx) as usize)
        })
    }

    fn set_apple(&mut self, i: usize) {
        debug_assert!(!self.apple.get(i));
        self.apple.set(i);
        self.apples += 1;
        let p = self.patch[i] as usize;
        if self.patch_live[p] == 0 {
            self.patches_alive += 1;
        }
        self.patch_live[p] += 1;
        self.adjust_neighbours(i, true);
    }

    /// Adds (or removes) cell `i`'s apple to its neighbours' live counts, and makes newly
    /// eligible neighbours regrowth candidates.
    #[inline]
    fn adjust_neighbours(&mut self, i: usize, add: bool) {
        let (x, y) = ((i % self.width as usize) as i32, (i / self.width as usize) as i32);
        let (w, h) = (self.width as i32, self.height as i32);
        for k in 0..self.offsets.len() {
            let (dx, dy) = self.offsets[k];
            let (nx, ny) = (x + dx, y + dy);
            if nx < 0 || ny < 0 || nx >= w || ny >= h {
                continue;
            }
            let j = (ny * w + nx) as usize;
            if !add {
                self.live_neighbours[j] -= 1;
                continue;
            }
            self.live_neighbours[j] += 1;
            if self.terrain[j] == Terrain::Grass && !self.apple.get(j) && !self.in_candidates[j] {
                self.in_candidates[j] = true;
                self.candidates.push(j as u32);
            }
        }
    }

    /// Picks the apple at cell `i`, if there is one. Returns `None` if there was no apple,
    /// `Some(None)` if one was picked, and `Some(Some(patch))` if it was the last apple of
    /// `patch`, which is now lost for good.
    pub fn pick(&mut self, i: usize) -> Option<Option<u32>> {
        if !self.apple.get(i) {
            return None;
        }
        self.apple.clear(i);
        self.apples -= 1;
        self.adjust_neighbours(i, false);
        if self.live_neighbours[i] > 0 && !self.in_candidates[i] {
            self.in_candidates[i] = true;
            self.candidates.push(i as u32);
        }
        let p = self.patch[i] as usize;
        self.patch_live[p] -= 1;
        if self.patch_live[p] == 0 {
            self.patches_alive -= 1;
            return Some(Some(p as u32));
        }
        Some(None)
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
        if self.terrain[i] != Terrain::Grass || self.apple.get(i) == present {
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
        self.probabilities = probabilities;
    }

    /// Regrows eaten apples for `tick`, synchronously: every candidate's chance is computed
    /// from the apples standing before any regrows this tick, and its draw is keyed by
    /// (seed, tick, cell), so the result does not depend on the order of the candidates.
    /// Returns the number of apples that regrew.
    pub fn regrow(&mut self, seed: u64, tick: u64) -> u32 {
        let mut buffer = std::mem::take(&mut self.regrow_buffer);
        buffer.clear();
        let mut keep = 0;
        let draws = rng::TickKey::new(seed, tick);
        for k in 0..self.candidates.len() {
            let c = self.candidates[k] as usize;
            let n = self.live_neighbours[c] as u32;
            if self.apple.get(c) || n == 0 {
                self.in_candidates[c] = false;
                continue;
            }
            self.candidates[keep] = c as u32;
            keep += 1;
            let p = regrowth::probability(&self.probabilities, n);
            if p > 0.0 && draws.unit(c as u64, Purpose::Regrow) < p {
                buffer.push(c as u32);
            }
        }
        self.candidates.truncate(keep);
        for &c in &buffer {
            self.set_apple(c as usize);
        }
        let grown = buffer.len() as u32;
        self.regrow_buffer = buffer;
        grown
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
        self.terrain[i]
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
        self.live_neighbours[i] as u32
    }
    /// The cost to the commons of picking the apple at cell `i` now (see
    /// [`crate::rules::regrowth::commons_cost`]).
    #[inline]
    pub fn commons_cost(&self, i: usize) -> f64 {
        self.cost_by_count[self.live_neighbours[i] as usize]
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
        self.patch[i]
    }
    /// Whether the apple at cell `i` is the last live apple of its patch (picking it would
    /// lose the patch for good).
    #[inline]
    pub fn last_of_patch(&self, i: usize) -> bool {
        let p = self.patch[i];
        p != NONE && self.patch_live[p as usize] == 1
    }
    /// Whether patch `p` still has a live apple.
    pub fn patch_alive(&self, p: u32) -> bool {
        self.patch_live.get(p as usize).is_some_and(|&c| c > 0)
    }
    /// Whether the patch of cell `i` still has a live apple (false off patches).
    pub fn patches_alive_of(&self, i: usize) -> bool {
        let p = self.patch[i];
        p != NONE && self.patch_live[p as usize] > 0
    }
    /// The spawn points, as cell indices in map order.
    pub fn spawn_points(&self) -> &[u32] {
        &self.spawn_points
    }
    /// The regrowth probabilities by live-neighbour count.
    pub fn probabilities(&self) -> &[f64] {
        &self.probabilities
    }
    /// A stable 64-bit digest of the apples standing (FNV-1a over the apple bitmap).
    /// (With objects, their places and states too.)
    pub fn apple_digest(&self) -> u64 {
        let mut h = crate::hash::Fnv::new();
        for i in 0..self.terrain.len() {
            if self.apple.get(i) {
                h.write_u64(i as u64);
            }
        }
        if !self.objects.is_empty() {
            h.write_u64(self.objects.digest());
        }
        h.finish()
    }
}

/// A fixed-size bit set.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Self {
        Bits(vec![0; n.div_ceil(64)])
    }
    #[inline]
    fn get(&self, i: usize) -> bool {
        self.0[i >> 6] >> (i & 63) & 1 == 1
    }
    #[inline]
    fn set(&mut self, i: usize) {
        self.0[i >> 6] |= 1 << (i & 63);
    }
    #[inline]
    fn clear(&mut self, i: usize) {
        self.0[i >> 6] &= !(1 << (i & 63));
    }
    /// Bits `lo .. lo + len` (`len` ≤ 64, all inside the set) as a word, bit 0 first.
    #[inline]
    fn window(&self, lo: usize, len: usize) -> u64 {
        if len == 0 {
            return 0;
        }
        let (w, off) = (lo >> 6, lo & 63);
        let mut v = self.0[w] >> off;
        if off + len > 64 {
            v |= self.0[w + 1] << (64 - off);
        }
        if len < 64 { v & ((1u64 << len) - 1) } else { v }
    }
    /// Calls `f(i)` for every set bit `i` in `lo..=hi`, in increasing order.
    #[inline]
    fn for_each_set(&self, lo: usize, hi: usize, mut f: impl FnMut(usize)) {
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
