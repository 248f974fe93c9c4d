//! Detection that depends on the act, as plain functions: who witnesses an act (the other
//! agents near it), and how an agent values a risky act by its witnesses ([`Risk`], filled in
//! by [`crate::oversight`] from the advice set, the penalty scheme and the agent's beliefs).

/// How a covered agent values an act of one class, by its feature's integer value (clamped
/// to the table): `E_A[B′] = b·mult + bias + w·pen` (`crate::oversight::Oversight::terms`).
#[derive(Clone, Debug, PartialEq)]
pub struct Risk {
    /// The witness radius (0 for shares).
    pub radius: u32,
    /// `(mult, bias, pen)` for feature 0, 1, 2, …; the last entry stands for all larger ones.
    pub table: Vec<(f64, f64, f64)>,
}

impl Risk {
    /// `E_A[B′]` of an act of gain `b` with `n` witnesses, losses weighted `w`.
    pub fn value(&self, b: f64, w: f64, n: u32) -> f64 {
        let (m, bias, pen) = self.table[(n as usize).min(self.table.len() - 1)];
        b * m + bias + w * pen
    }
}

/// Other agents within Chebyshev radius `r` of `(x, y)`, not counting those standing on the
/// cells in `exclude` (the actor, the victim).
pub fn witnesses(grid: &crate::grid::Grid, x: u32, y: u32, r: u32, exclude: &[(u32, u32)]) -> u32 {
    let r = r as i64;
    let mut n = 0;
    for cy in (y as i64 - r).max(0)..=(y as i64 + r).min(grid.height() as i64 - 1) {
        for cx in (x as i64 - r).max(0)..=(x as i64 + r).min(grid.width() as i64 - 1) {
            let (ux, uy) = (cx as u32, cy as u32);
            if grid.walkable(cx, cy) && grid.occupied(grid.index(ux, uy)) && !exclude.contains(&(ux, uy)) {
                n += 1;
            }
        }
    }
    n
}
