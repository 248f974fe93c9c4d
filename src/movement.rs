//! Movement: agents' chosen moves are carried out, with collisions resolved fairly and
//! deterministically.
//!
//! Each tick every agent gets a priority drawn from (seed, tick, agent id); agents move one
//! at a time in priority order (a random serial dictatorship, fresh each tick), each into its
//! target cell if no agent stands there at that moment, otherwise staying put. Over many
//! ticks every agent is first equally often; within a tick the outcome depends only on the
//! seed, never on entity or thread order. An agent moving into a vase or box pushes it
//! ([`crate::objects`]).
//!
//! A big world's moves are carried out in bands of rows on the thread pool
//! ([`step_moves_in_bands`]), with the same outcome as one at a time ([`step_moves`]).

use crate::grid::Grid;
use crate::model::{Mechanism, ModelAgent, Step, WorldModel};
use crate::rng::{self, Purpose};
use crate::rules::forage::{self, Action};
use crate::vocab::Position;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// Movement: moves are carried out at `Act`.
pub const MECHANISM: Mechanism =
    Mechanism { name: "movement", build: |_, _| {}, steps: &[(Step::Act, act)], ..Mechanism::NONE };

/// An agent that may move this tick: where it is, what it chose, and whether it moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mover {
    /// Stable id (keys its priority).
    pub id: u32,
    /// Column (updated when it moves).
    pub x: u32,
    /// Row (updated when it moves).
    pub y: u32,
    /// The action chosen.
    pub action: Action,
    /// Whether it moved this tick.
    pub moved: bool,
}

/// Where `m`'s move takes it if nothing stands there, and its priority key for the tick
/// `draws` are for; `None` when the move goes nowhere (a stay, or a wall or the map's edge in
/// the way), so it takes no turn. What both ways of carrying out moves start from.
#[inline(always)]
fn turn(grid: &Grid, draws: &rng::TickKey, m: &Mover) -> Option<((u32, u32), u64)> {
    let target = forage::target(grid, m.x, m.y, m.action);
    (target != (m.x, m.y)).then(|| (target, draws.key(m.id as u64, Purpose::MoveOrder)))
}

/// Carries out `movers`' moves on `grid` for (seed, tick): the rule of this module, shared
/// by the ECS system and the world model. The order of `movers` does not matter.
pub fn step_moves(grid: &mut Grid, seed: u64, tick: u64, movers: &mut [Mover], order: &mut Vec<(u64, u32, u32)>) {
    order.clear();
    let draws = rng::TickKey::new(seed, tick);
    let ahead = grid.prefetch_pays();
    for k in 0..movers.len() {
        if ahead && let Some(a) = movers.get(k + 16) {
            grid.prefetch_move(a.x, a.y, a.action);
        }
        let m = &mut movers[k];
        m.moved = false;
        if let Some((_, key)) = turn(grid, &draws, m) {
            order.push((key, m.id, k as u32));
        }
    }
    sort_keyed(order);
    for n in 0..order.len() {
        let k = order[n].2;
        if ahead && let Some(&(_, _, next)) = order.get(n + 16) {
            let a = &movers[next as usize];
            grid.prefetch_move(a.x, a.y, a.action);
        }
        let m = &mut movers[k as usize];
        let (x, y) = forage::target(grid, m.x, m.y, m.action);
        let to = grid.index(x, y);
        if grid.occupied(to) {
            continue;
        }
        if !grid.objects.is_empty() {
            let push = grid.push_outcome(m.x, m.y, m.action);
            if push == crate::objects::Push::Blocked {
                continue;
            }
            // Effects carry the number of the tick in progress (`tick` counts ticks done).
            grid.objects.apply_push(push, tick + 1, m.id, &mut grid.effects);
        }
        let from = grid.index(m.x, m.y);
        grid.set_occupied(from, false);
        grid.set_occupied(to, true);
        (m.x, m.y, m.moved) = (x, y, true);
    }
}

/// How many bands of rows a big world's moves are split into (more than the cores, so a
/// thread that starts late still takes its share).
const BANDS: usize = 8;
/// Movers a task of the banded path's first pass.
const CHUNK: usize = 1024;

/// [`BandScratch::moved_to`] of a mover that did not move.
const STAYED: u32 = u32::MAX;

/// A move in a band's priority order: the mover's key, its index and its target cell.
type Entry = (u64, u32, u32);

/// What a chunk of movers found in the banded path's first pass.
#[derive(Default)]
struct Found {
    /// The moves into each band's cells.
    into: Vec<Vec<Entry>>,
    /// Moves from one band into another: the cell left, the mover's key, and the edge
    /// crossed (the band below it).
    crossing: Vec<(u32, u64, u8)>,
    /// Moves into a row next to a band's edge: the target cell and the mover's key.
    at_edge: Vec<(u32, u64)>,
}

/// A group of bands' moves in priority order, and the cells left in other groups by the
/// moves into it that were carried out.
#[derive(Default)]
struct Band {
    order: Vec<Entry>,
    left: Vec<u32>,
}

/// Reused buffers of [`step_moves_in_bands`] (no meaning between calls).
#[derive(Default)]
pub struct BandScratch {
    found: Vec<Found>,
    /// By group of bands worked as one.
    bands: Vec<Band>,
    /// Each group: its first band and the band after its last.
    groups: Vec<(usize, usize)>,
    /// The first row of each band, and the map's height last.
    edges: Vec<usize>,
    /// By row: its band, with the top bit set next to another band's edge.
    rows: Vec<u8>,
    /// The (width, height, bands) `edges` and `rows` were worked out for.
    shape: (usize, usize, usize),
    /// By mover: the cell it stands on.
    from: Vec<u32>,
    /// By mover: the cell it moved to, or [`STAYED`].
    moved_to: Vec<AtomicU32>,
}

impl BandScratch {
    /// Splits a `w` × `h` map into up to `bands` bands of whole rows, each starting at an
    /// occupied word's first cell; false when that leaves a single band.
    fn shape(&mut self, w: usize, h: usize, bands: usize) -> bool {
        if self.shape != (w, h, bands) {
            // A band of rows starting at row r starts a word when r·w is a multiple of 64.
            let step = 64 >> (w.trailing_zeros().min(6));
            self.edges = vec![0];
            for b in 1..bands.min(127) {
                let r = b * h / bands / step * step;
                if r > *self.edges.last().unwrap() {
                    self.edges.push(r);
                }
            }
            self.edges.push(h);
            self.rows = vec![0; h];
            for (b, e) in self.edges.windows(2).enumerate() {
                self.rows[e[0]..e[1]].fill(b as u8);
            }
            for &e in &self.edges[1..self.edges.len() - 1] {
                self.rows[e - 1] |= 0x80;
                self.rows[e] |= 0x80;
            }
            self.shape = (w, h, bands);
        }
        self.edges.len() > 2
    }
}

/// [`step_moves`] in bands of rows, on the thread pool, with the same outcome, for `items`
/// (an agent, say) that `mover` reads a [`Mover`] from and `place(item, x, y)` moves; false
/// (and nothing moved) when this tick's moves cannot be split so, for [`step_moves`] to do.
///
/// A move reads one cell, its target: taken or free at the mover's turn. A move inside a
/// band reads and writes only that band's cells, so each band's moves run in priority
/// order on their own, the bands side by side. A move from one band into another is carried
/// out by the band it enters (it reads and takes a cell there), and the cell it leaves is
/// freed after all bands are done: the same outcome, unless a later move targets the cell
/// left; the two bands are then worked as one (a few moves a tick cross an edge). A map with
/// objects is left to [`step_moves`] (a push reaches two cells away), and so is one too
/// small to split.
#[allow(clippy::too_many_arguments)]
pub fn step_moves_in_bands<T: Send + Sync>(
    grid: &mut Grid,
    seed: u64,
    tick: u64,
    items: &mut [T],
    mover: impl Fn(&T) -> Mover + Sync,
    place: impl Fn(&mut T, u32, u32) + Sync,
    bands: usize,
    scratch: &mut BandScratch,
) -> bool {
    use rayon::prelude::*;
    let (w, h) = (grid.width() as usize, grid.height() as usize);
    if !grid.objects.is_empty() || !scratch.shape(w, h, bands) {
        return false;
    }
    let n_bands = scratch.edges.len() - 1;
    let draws = rng::TickKey::new(seed, tick);
    // Each chunk of movers: where they stand, and their targets and keys, dealt to the bands
    // they enter.
    let n = items.len();
    scratch.found.resize_with(n.div_ceil(CHUNK), Found::default);
    scratch.from.resize(n, 0);
    scratch.moved_to.resize_with(n, || AtomicU32::new(STAYED));
    let (rows, map, moved_to) = (&scratch.rows, &*grid, &scratch.moved_to);
    (items.par_chunks(CHUNK), scratch.from.par_chunks_mut(CHUNK), scratch.found.par_iter_mut())
        .into_par_iter()
        .with_max_len(1)
        .enumerate()
        .for_each(|(c, (chunk, from, found))| {
            found.into.resize_with(n_bands, Vec::new);
            found.into.iter_mut().for_each(Vec::clear);
            found.crossing.clear();
            found.at_edge.clear();
            for (j, (item, from)) in chunk.iter().zip(from).enumerate() {
                let (m, k) = (mover(item), c * CHUNK + j);
                moved_to[k].store(STAYED, Relaxed);
                *from = map.index(m.x, m.y) as u32;
                let Some(((x, y), key)) = turn(map, &draws, &m) else { continue };
                let to = map.index(x, y) as u32;
                let (from_row, to_row) = (rows[m.y as usize], rows[y as usize]);
                found.into[(to_row & 0x7f) as usize].push((key, k as u32, to));
                if from_row & 0x7f != to_row & 0x7f {
                    let edge = (from_row & 0x7f).max(to_row & 0x7f);
                    found.crossing.push((*from, key, edge));
                }
                if to_row & 0x80 != 0 {
                    found.at_edge.push((to, key));
                }
            }
        });
    // Bands whose edge a move crosses before a later move targets the cell it left are
    // worked as one: then the mover frees its cell at its turn, as it should.
    let found = &scratch.found;
    let at_edge = || found.iter().flat_map(|f| &f.at_edge);
    let mut joined = [false; 128];
    for &(left, crossed, edge) in found.iter().flat_map(|f| &f.crossing) {
        if !joined[edge as usize] && at_edge().any(|&(to, key)| to == left && key > crossed) {
            joined[edge as usize] = true;
        }
    }
    // Each run of joined bands: its first band and the band after its last.
    scratch.groups.clear();
    for b in 0..n_bands {
        if b > 0 && joined[b] {
            scratch.groups.last_mut().unwrap().1 = b + 1;
        } else {
            scratch.groups.push((b, b + 1));
        }
    }
    // Each group's moves in priority order, on its own occupied words.
    scratch.bands.resize_with(scratch.groups.len(), Band::default);
    let (edges, groups, from) = (&scratch.edges, &scratch.groups, &scratch.from);
    let cells_of = |g: usize| edges[groups[g].0] * w..edges[groups[g].1] * w;
    let mut words = Vec::with_capacity(groups.len());
    let mut rest = grid.occupied_words_mut();
    for g in 1..groups.len() {
        let (group, more) = std::mem::take(&mut rest).split_at_mut(cells_of(g - 1).len() / 64);
        words.push(group);
        rest = more;
    }
    words.push(rest);
    scratch.bands.par_iter_mut().zip(words).with_max_len(1).enumerate().for_each(|(g, (band, words))| {
        band.order.clear();
        for f in found {
            for into in &f.into[groups[g].0..groups[g].1] {
                band.order.extend_from_slice(into);
            }
        }
        sort_keyed(&mut band.order);
        band.left.clear();
        let cells = cells_of(g);
        for &(_, k, to) in &band.order {
            let t = to as usize - cells.start;
            if words[t >> 6] >> (t & 63) & 1 == 1 {
                continue;
            }
            words[t >> 6] |= 1 << (t & 63);
            let from = from[k as usize] as usize;
            if cells.contains(&from) {
                let f = from - cells.start;
                words[f >> 6] &= !(1 << (f & 63));
            } else {
                band.left.push(from as u32);
            }
            moved_to[k as usize].store(to, Relaxed);
        }
    });
    // A mover from another group frees its cell now; every mover takes its new place.
    for &from in scratch.bands.iter().flat_map(|b| &b.left) {
        grid.set_occupied(from as usize, false);
    }
    items.par_chunks_mut(CHUNK).zip(moved_to.par_chunks(CHUNK)).with_max_len(1).for_each(|(chunk, moved_to)| {
        for (item, to) in chunk.iter_mut().zip(moved_to) {
            let to = to.load(Relaxed);
            if to != STAYED {
                place(item, to % w as u32, to / w as u32);
            }
        }
    });
    true
}

/// Sorts `order` ascending, as `sort_unstable` would (the entries are distinct, so the result
/// is the same): keys drawn uniformly at random are dealt into buckets by their top bits, in
/// one counting pass, and each bucket (one entry on average) is sorted in place.
fn sort_keyed(order: &mut Vec<(u64, u32, u32)>) {
    let n = order.len();
    if n < 512 {
        order.sort_unstable();
        return;
    }
    thread_local! {
        /// Reused buffers (no meaning between calls).
        static BUCKETS: std::cell::RefCell<(Vec<u32>, Vec<(u64, u32, u32)>)> = Default::default();
    }
    let (mut starts, mut out) = BUCKETS.take();
    let bits = n.next_power_of_two().trailing_zeros();
    let bucket = |key: u64| (key >> (64 - bits)) as usize;
    starts.clear();
    starts.resize((1 << bits) + 1, 0);
    for e in order.iter() {
        starts[bucket(e.0) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    out.clear();
    out.resize(n, (0, 0, 0));
    // `starts[b]` walks from the start of bucket b to the start of b + 1.
    for &e in order.iter() {
        let b = bucket(e.0);
        out[starts[b] as usize] = e;
        starts[b] += 1;
    }
    // Now `starts[b]` is where bucket b ends; each bucket is in input order, sort it.
    let mut lo = 0;
    for b in 0..1usize << bits {
        let hi = starts[b] as usize;
        if hi - lo > 1 {
            out[lo..hi].sort_unstable();
        }
        lo = hi;
    }
    std::mem::swap(order, &mut out);
    BUCKETS.set((starts, out));
}

/// The movers, their priority order and the banded path's buffers, reused between ticks.
type Scratch = (Vec<Mover>, Vec<(u64, u32, u32)>, BandScratch);

/// Carries out every agent's move in a random priority order drawn for this tick.
pub fn act(m: &mut WorldModel) {
    let (seed, tick) = (m.clock.seed, m.clock.tick);
    thread_local! {
        /// Reused buffers (no meaning between ticks), used in place: the banded path's are
        /// too many to move out and back every tick.
        static SCRATCH: std::cell::RefCell<Scratch> = Default::default();
    }
    SCRATCH.with_borrow_mut(|(movers, order, bands)| {
        let mover =
            |a: &ModelAgent| Mover { id: a.id, x: a.pos.x, y: a.pos.y, action: a.decision.action, moved: false };
        let banded = crate::parallel::pass_on_pool(m.agents.len())
            && step_moves_in_bands(
                &mut m.grid,
                seed,
                tick,
                &mut m.agents,
                mover,
                |a, x, y| a.pos = Position { x, y },
                BANDS,
                bands,
            );
        if !banded {
            movers.clear();
            movers.extend(m.agents.iter().map(mover));
            step_moves(&mut m.grid, seed, tick, movers, order);
            for (a, mv) in m.agents.iter_mut().zip(movers.iter()) {
                a.pos = Position { x: mv.x, y: mv.y };
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Terrain;

    /// A `w` × `h` map with walls on about an eighth of its cells and `agents` movers on
    /// free cells, each with a random move: packed so that moves collide and cross edges.
    fn world(seed: u64, w: u32, h: u32, agents: usize) -> (Grid, Vec<Mover>) {
        let mut st = rng::stream(seed, 0, 0, Purpose::MapGen);
        let n = (w * h) as usize;
        let terrain: Vec<Terrain> =
            (0..n).map(|_| if st.below(8) == 0 { Terrain::Wall } else { Terrain::Floor }).collect();
        let mut grid = Grid::new(w, h, terrain.clone(), &[], vec![], 1.0, vec![0.0]);
        let mut movers = Vec::new();
        while movers.len() < agents {
            let i = st.below(n as u64) as usize;
            if terrain[i] == Terrain::Floor && !grid.occupied(i) {
                grid.set_occupied(i, true);
                let action = Action::ALL[st.below(5) as usize];
                let (x, y) = (i as u32 % w, i as u32 / w);
                movers.push(Mover { id: movers.len() as u32, x, y, action, moved: false });
            }
        }
        (grid, movers)
    }

    /// Moves carried out band by band end where moves one at a time do, mover for mover and
    /// cell for cell: on maps of several shapes (edges on whole words, or not for every row),
    /// on a pool of three threads, with bands worked apart and (where a move crosses an edge
    /// and a later one targets the cell it left) joined.
    #[test]
    fn moves_in_bands_are_moves_one_at_a_time() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let (mut apart, mut joined, mut crossed) = (0, 0, 0);
        let mut scratch = BandScratch::default();
        pool.install(|| {
            for seed in 0..30 {
                for (w, h, agents, bands) in
                    [(64, 200, 3000, 8), (100, 90, 3000, 5), (37, 300, 2500, 16), (640, 20, 3000, 4)]
                {
                    let (grid, movers) = world(seed, w, h, agents);
                    let tick = seed % 7;
                    let (mut one, mut by_one) = (grid.clone(), movers.clone());
                    step_moves(&mut one, seed, tick, &mut by_one, &mut Vec::new());
                    let (mut banded, mut by_band) = (grid.clone(), movers.clone());
                    let place = |m: &mut Mover, x, y| (m.x, m.y, m.moved) = (x, y, true);
                    let split =
                        step_moves_in_bands(&mut banded, seed, tick, &mut by_band, |m| *m, place, bands, &mut scratch);
                    assert!(split, "{w}×{h} splits");
                    assert_eq!(by_band, by_one, "seed {seed}, {w}×{h}");
                    for i in 0..(w * h) as usize {
                        assert_eq!(banded.occupied(i), one.occupied(i), "cell {i}, seed {seed}, {w}×{h}");
                    }
                    let band = |y: u32| scratch.rows[y as usize] & 0x7f;
                    crossed += movers.iter().zip(&by_one).filter(|(a, b)| band(a.y) != band(b.y)).count();
                    if scratch.groups.len() < scratch.edges.len() - 1 { joined += 1 } else { apart += 1 }
                }
            }
        });
        assert!(apart > 0 && joined > 0 && crossed > 0, "apart {apart}, joined {joined}, moves across edges {crossed}");
    }

    /// A map of one band, and a map with objects, are left to [`step_moves`].
    #[test]
    fn maps_that_do_not_split_are_left_to_one_at_a_time() {
        let mut scratch = BandScratch::default();
        let (mut grid, mut movers) = world(1, 37, 60, 300);
        let before = movers.clone();
        assert!(!step_moves_in_bands(&mut grid, 1, 0, &mut movers, |m| *m, |_, _, _| unreachable!(), 8, &mut scratch));
        assert_eq!(movers, before);
        let (mut grid, mut movers) = world(1, 64, 64, 300);
        assert!(step_moves_in_bands(
            &mut grid.clone(),
            1,
            0,
            &mut movers.clone(),
            |m| *m,
            |_, _, _| {},
            8,
            &mut scratch
        ));
        grid.objects = crate::objects::Objects::new(64, 64, &[(crate::objects::ObjectKind::Vase, 0)], &[]);
        assert!(!step_moves_in_bands(&mut grid, 1, 0, &mut movers, |m| *m, |_, _, _| unreachable!(), 8, &mut scratch));
    }
}
