//! Movement: agents' chosen moves are carried out, with collisions resolved fairly and
//! deterministically.
//!
//! Each tick every agent gets a priority drawn from (seed, tick, agent id); agents move one
//! at a time in priority order (a random serial dictatorship, fresh each tick), each into its
//! target cell if no agent stands there at that moment, otherwise staying put. Over many
//! ticks every agent is first equally often; within a tick the outcome depends only on the
//! seed, never on entity or thread order. An agent moving into a vase or box pushes it
//! ([`crate::objects`]).

use crate::grid::Grid;
use crate::model::{Mechanism, Step, WorldModel};
use crate::rng::{self, Purpose};
use crate::rules::forage::{self, Action};
use crate::vocab::Position;

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
        if forage::target(grid, m.x, m.y, m.action) != (m.x, m.y) {
            order.push((draws.key(m.id as u64, Purpose::MoveOrder), m.id, k as u32));
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

/// The movers and their priority order, reused between ticks.
type Scratch = (Vec<Mover>, Vec<(u64, u32, u32)>);

/// Carries out every agent's move in a random priority order drawn for this tick.
pub fn act(m: &mut WorldModel) {
    let (seed, tick) = (m.clock.seed, m.clock.tick);
    thread_local! {
        /// Reused buffers (no meaning between ticks).
        static SCRATCH: std::cell::RefCell<Scratch> = Default::default();
    }
    let (mut movers, mut order) = SCRATCH.take();
    movers.clear();
    movers.extend(m.agents.iter().map(|a| Mover {
        id: a.id,
        x: a.pos.x,
        y: a.pos.y,
        action: a.decision.action,
        moved: false,
    }));
    step_moves(&mut m.grid, seed, tick, &mut movers, &mut order);
    for (a, mv) in m.agents.iter_mut().zip(movers.iter()) {
        a.pos = Position { x: mv.x, y: mv.y };
    }
    SCRATCH.set((movers, order));
}
