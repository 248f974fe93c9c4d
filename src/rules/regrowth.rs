//! Apple regrowth, as in Melting Pot's `commons_harvest__open`.
//!
//! An eaten apple cell regrows each tick with probability `P[min(n, len−1)]`, where `n` is
//! the number of live apples within Euclidean distance `radius` of the cell (not counting
//! the cell itself). Melting Pot's values are `radius = 2`, `P = [0, 0.0025, 0.005, 0.025]`.
//! With no live neighbour a cell never regrows: a patch whose last apple is eaten is gone
//! for good — the commons' irreversible side effect.

/// Melting Pot's regrowth radius.
pub const DEFAULT_RADIUS: f64 = 2.0;
/// Melting Pot's regrowth probabilities by live-neighbour count 0, 1, 2, 3+.
pub const DEFAULT_PROBABILITIES: [f64; 4] = [0.0, 0.0025, 0.005, 0.025];

/// The regrowth probability of an eaten cell with `live_neighbours` live apples nearby.
#[inline]
pub fn probability(probabilities: &[f64], live_neighbours: u32) -> f64 {
    match probabilities.len() {
        0 => 0.0,
        len => probabilities[(live_neighbours as usize).min(len - 1)],
    }
}

/// The cell offsets `(dx, dy)` within Euclidean distance `radius`, excluding `(0, 0)`,
/// in row-major order. For radius 2 there are 12.
pub fn neighbourhood(radius: f64) -> Vec<(i32, i32)> {
    let r = radius.floor() as i32;
    let mut out = Vec::new();
    for dy in -r..=r {
        for dx in -r..=r {
            if (dx, dy) != (0, 0) && ((dx * dx + dy * dy) as f64) <= radius * radius {
                out.push((dx, dy));
            }
        }
    }
    out
}

/// The cost to the commons of picking an apple with `n` live neighbours:
/// `1 − P[n] / max P` (0 when no probability is positive).
#[inline]
pub fn commons_cost(probabilities: &[f64], n: u32) -> f64 {
    let max = probabilities.iter().copied().fold(0.0, f64::max);
    if max <= 0.0 {
        return 0.0;
    }
    1.0 - probability(probabilities, n) / max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_by_neighbour_count() {
        let p = DEFAULT_PROBABILITIES;
        assert_eq!(probability(&p, 0), 0.0);
        assert_eq!(probability(&p, 1), 0.0025);
        assert_eq!(probability(&p, 2), 0.005);
        assert_eq!(probability(&p, 3), 0.025);
        assert_eq!(probability(&p, 12), 0.025);
        assert_eq!(probability(&[], 3), 0.0);
    }

    #[test]
    fn radius_two_has_twelve_neighbours() {
        let n = neighbourhood(2.0);
        assert_eq!(n.len(), 12);
        assert!(n.contains(&(2, 0)) && n.contains(&(1, 1)) && !n.contains(&(2, 1)));
        assert_eq!(neighbourhood(1.0).len(), 4);
        assert_eq!(neighbourhood(1.5).len(), 8);
    }
}
