//! How a foraging agent scores its five moves by its own utility.
//!
//! Each apple `x` in the agent's view (a square of radius `view` around it) is worth
//!
//! ```text
//! v(x) = w_own · m  −  w_commons · (1 − σ) · cost(n_x),      cost(n) = 1 − P[n] / max P
//! ```
//!
//! where `σ` is the agent's selfishness, `m` what an apple it picks is worth to it under
//! SED's reward (`σ` without taxes; see [`crate::rules::tax::apple_share`]), `n_x` the live apples near `x` (within the regrowth
//! radius) and `P` the regrowth probabilities: the σ part values the apple for itself; the
//! (1 − σ) part values the commons' future — picking the last apple of a patch (`n = 0`)
//! costs the patch its regrowth forever (cost 1), picking in a dense patch costs nothing.
//! The utility of moving to cell `c` (the target of the move, or where the agent stands if
//! the move is blocked by a wall) is
//!
//! ```text
//! U(c) = v(c)·1[apple at c]  +  max(0, max_{x ≠ c in view} γ^{d(c, x)} · v(x))
//! ```
//!
//! with `d` the Manhattan distance and `γ` the policy's discount: the apple it would pick
//! now, plus the best apple it could go on to. Apples an agent values below zero are
//! spared; an agent that sees nothing worth having is indifferent, and its power-bounded tilt
//! (see [`crate::rules::tilt`]) then leaves it on its default random walk.

use crate::grid::Grid;

pub use super::action::Action;
pub use super::regrowth::commons_cost;

/// The agent-specific inputs of the forage utility.
#[derive(Clone, Copy, Debug)]
pub struct Forager<'a> {
    /// Selfishness σ in [0, 1].
    pub selfishness: f64,
    /// What an apple it picks is worth to it, before weights: `σ` without taxes, SED's
    /// after-tax share with them ([`crate::rules::tax::apple_share`]).
    pub apple_share: f64,
    /// Weight of the apples the agent picks itself.
    pub w_own: f64,
    /// Weight of the commons' future.
    pub w_commons: f64,
    /// View radius in cells (a square window).
    pub view: u32,
    /// Discount γ per step of distance, in (0, 1].
    pub discount: f64,
    /// When taking the last apple of a patch is forbidden and audited: `(P_D, k)`; the value
    /// of such a pick becomes `(1 − P_D)·v − w_own·k` (see [`crate::oversight`]).
    pub clear_cut_audit: Option<(f64, f64)>,
    /// When detection of a clear-cut depends on who can see it, or the agent is unsure it is
    /// forbidden: the value of taking a patch's last apple at a cell with `n` other agents
    /// within the detector's radius becomes `E_A[B′] = risk.value(v, w_own, n)` (see
    /// [`crate::oversight`]). Supersedes `clear_cut_audit`.
    pub clear_cut_risk: Option<&'a super::detection::Risk>,
}

/// Where `action` takes an agent at `(x, y)` if nothing else is in the way: the target
/// cell, or `(x, y)` itself when a wall or the map edge blocks it.
#[inline(always)]
pub fn target(grid: &Grid, x: u32, y: u32, action: Action) -> (u32, u32) {
    target_among(grid, x, y, action, grid.no_wall_beside(x, y))
}

/// [`target`], told whether `(x, y)` has no wall beside it ([`Grid::no_wall_beside`]: then
/// only the map's edge can block the move, and no wall is read).
#[inline(always)]
pub fn target_among(grid: &Grid, x: u32, y: u32, action: Action, no_wall: bool) -> (u32, u32) {
    let (dx, dy) = action.delta();
    let (nx, ny) = (x as i64 + dx, y as i64 + dy);
    let open = if no_wall {
        nx >= 0 && ny >= 0 && nx < grid.width() as i64 && ny < grid.height() as i64
    } else {
        grid.walkable(nx, ny)
    };
    if open { (nx as u32, ny as u32) } else { (x, y) }
}

/// The value `v(x)` to this agent of the apple at cell `i`.
#[inline]
pub fn apple_value(grid: &Grid, f: &Forager, i: usize) -> f64 {
    f.w_own * f.apple_share - f.w_commons * (1.0 - f.selfishness) * grid.commons_cost(i)
}

/// Longest view radius the scorer supports (the scenario validator enforces it).
pub const MAX_VIEW: u32 = 64;

/// The most rows of apple bits the scorer keeps to count live neighbours itself (a view's
/// rows and the regrowth reach above and below; a longer view reads the kept counts). Kept
/// small: the rows are moved out of the closure that fills them.
const ROWS: usize = 32;

/// The set bits of each byte.
const ONES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u32).count_ones() as u8;
        b += 1;
    }
    t
};

/// Scores the five actions of an agent at `(x, y)` into `out` (see the module docs).
pub fn score(grid: &Grid, x: u32, y: u32, f: &Forager, out: &mut [f64; 5]) {
    score_with(grid, x, y, f, out, grid.prefetch_pays())
}

/// [`score`], told whether to count an apple's live neighbours from the view's apple bits
/// (what `score` does on a big map) instead of reading the grid's kept counts: the two give
/// the same scores bit for bit (a test holds them to it, on small maps as well).
pub fn score_with(grid: &Grid, x: u32, y: u32, f: &Forager, out: &mut [f64; 5], count_live: bool) {
    let r = f.view.min(MAX_VIEW) as i64;
    let (x0, x1) = ((x as i64 - r).max(0), (x as i64 + r).min(grid.width() as i64 - 1));
    let (y0, y1) = ((y as i64 - r).max(0), (y as i64 + r).min(grid.height() as i64 - 1));
    // Each row of the view as one word of apple bits when it fits (views up to radius 31),
    // so rows without apples cost a few instructions.
    let span = (x1 - x0 + 1) as u32;
    // The first row with an apple in view (rows before it are skipped below).
    let mut first = y0;
    if span <= 64 {
        while first <= y1 && grid.apple_bits(first as u32, x0 as u32, span) == 0 {
            first += 1;
        }
        if first > y1 {
            // Nothing in view: every move scores 0 + 0.
            *out = [0.0; 5];
            return;
        }
    }
    // Each target as an offset from the agent (0, 0 when blocked).
    // (A plain loop: `Action::ALL.map` compiled to an out-of-line call costing twice as much.)
    let mut offsets = [(0i64, 0i64); 5];
    let no_wall = grid.no_wall_beside(x, y);
    for (o, &a) in offsets.iter_mut().zip(Action::ALL.iter()) {
        let (tx, ty) = target_among(grid, x, y, a, no_wall);
        *o = (tx as i64 - x as i64, ty as i64 - y as i64);
    }
    // γ^d for the distances a target can be from a visible apple (at most 2r + 2), filled in
    // when the first apple worth having is seen; beyond the table's reach, powi.
    let mut powers = [0.0f64; 16];
    let mut filled = false;
    // With every move open and the view within radius 7 (so every distance, at most 2r + 1
    // from a move's target, is in the table), an apple at distance d ≥ 2 from the agent is at
    // d − 1 from the targets it lies towards and d + 1 from the others: three products
    // instead of five distances (the same products, so the same scores bit for bit).
    let open_moves = offsets == [(0, 0), (0, -1), (1, 0), (0, 1), (-1, 0)] && r <= 7;
    let own = f.w_own * f.apple_share;
    let commons = f.w_commons * (1.0 - f.selfishness);
    // An apple's live count, from the apple bits of the view's rows widened by the regrowth
    // reach (`rows[k]` is row `first - ry + k` from column `x0 - rx`), when they fit in words:
    // the grid's kept count, without reading it (on a big map, one cache line a row fewer; on
    // a small one the counts are in cache, and looking them up is cheaper). The rows are
    // counted widest first, and only until the count reaches `enough`, from which on every
    // count costs the same (three with Melting Pot's rule: a dense patch's apple is done after a
    // row or two).
    let counting = grid.neighbourhood_rows().filter(|_| span <= 64 && count_live).and_then(|(spans, rx, ry)| {
        let n = (y1 - first + 1 + 2 * ry) as usize;
        if span as i64 + 2 * rx > 64 || n > ROWS {
            return None;
        }
        let len = span + 2 * rx as u32;
        let mut rows = [0u64; ROWS];
        for (k, row) in rows[..n].iter_mut().enumerate() {
            *row = grid.apple_bits_clipped(first - ry + k as i64, x0 - rx, len);
        }
        let own_cell = spans.iter().any(|&(dy, a, b)| dy == 0 && a <= 0 && b >= 0) as u32;
        let widest = grid.neighbourhood_rows_widest_first()?;
        Some((widest, rx, ry, own_cell, own_cell + grid.count_enough(), rows))
    });
    let live = |cx: i64, cy: i64| -> Option<u32> {
        let (widest, rx, ry, own_cell, enough, rows) = counting.as_ref()?;
        let (rx, ry, own_cell, enough) = (*rx, *ry, *own_cell, *enough);
        let (bx, by) = (cx - x0 + rx, cy - first + ry);
        let mut n = 0;
        for &(dy, a, b) in widest.iter() {
            let bits = rows[(by + dy as i64) as usize] >> (bx + a as i64) & ((1u64 << (b - a + 1)) - 1);
            // (A table for a byte: builds for any x86-64 have no popcount instruction.)
            n += if bits < 256 { ONES[bits as usize] as u32 } else { bits.count_ones() };
            if n >= enough {
                break;
            }
        }
        // The apple itself is counted in its row (`own_cell`); a count cut short is at least
        // `enough`, as good as the whole count.
        Some(n - own_cell)
    };
    let mut best = [0.0f64; 5];
    let mut immediate = [0.0f64; 5];
    let mut visit = |cx: i64, cy: i64| {
        let i = grid.index(cx as u32, cy as u32);
        let cost = match live(cx, cy) {
            Some(n) => grid.cost_of_count(n),
            None => grid.apple_commons_cost(i),
        };
        let mut v = own - commons * cost;
        if let Some((p_d, k)) = f.clear_cut_audit
            && grid.last_of_patch(i)
        {
            v = v * (1.0 - p_d) - f.w_own * k;
        }
        if let Some(risk) = f.clear_cut_risk
            && grid.last_of_patch(i)
        {
            let seen =
                super::detection::witnesses(grid, cx as u32, cy as u32, risk.radius, &[(x, y), (cx as u32, cy as u32)]);
            v = risk.value(v, f.w_own, seen);
        }
        let (dx, dy) = (cx - x as i64, cy - y as i64);
        if v <= 0.0 {
            // Worth nothing to go on to; counts only if a move lands on it.
            for (k, &(ox, oy)) in offsets.iter().enumerate() {
                if dx == ox && dy == oy {
                    immediate[k] = v;
                }
            }
            return;
        }
        if !filled {
            let mut g = 1.0;
            for p in powers.iter_mut() {
                *p = g;
                g *= f.discount;
            }
            filled = true;
        }
        let d = (dx.abs() + dy.abs()) as usize;
        if open_moves && d >= 2 {
            let (near, here, far) = (v * powers[(d - 1) & 15], v * powers[d & 15], v * powers[(d + 1) & 15]);
            let towards = |yes: bool| if yes { near } else { far };
            let moves = [here, towards(dy < 0), towards(dx > 0), towards(dy > 0), towards(dx < 0)];
            for (b, m) in best.iter_mut().zip(moves) {
                *b = if m > *b { m } else { *b };
            }
            return;
        }
        for (k, &(ox, oy)) in offsets.iter().enumerate() {
            let d = ((dx - ox).abs() + (dy - oy).abs()) as usize;
            if d == 0 {
                immediate[k] = v;
                continue;
            }
            let discounted = v * if d < 16 { powers[d] } else { f.discount.powi(d as i32) };
            best[k] = if discounted > best[k] { discounted } else { best[k] };
        }
    };
    for cy in first..=y1 {
        if span <= 64 {
            let mut bits = grid.apple_bits(cy as u32, x0 as u32, span);
            while bits != 0 {
                let cx = x0 + bits.trailing_zeros() as i64;
                bits &= bits - 1;
                visit(cx, cy);
            }
        } else {
            grid.for_each_apple_in_row(cy as u32, x0 as u32, x1 as u32, |cx| visit(cx as i64, cy));
        }
    }
    for k in 0..5 {
        out[k] = immediate[k] + best[k];
    }
}
