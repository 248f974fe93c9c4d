//! Social welfare functions (power means), inequality (Gini) and the AI Economist's
//! equality × productivity.
//!
//! # Power means and non-positive values
//!
//! `W_p(v) = ((1/n) Σ v_i^p)^(1/p)`, with the limits `p → 0` (geometric mean, Nash),
//! `p = −∞` (minimum, egalitarian), `p = 1` (mean, utilitarian), `p = +∞` (maximum).
//!
//! Power means are defined on positive numbers. Polity's rule for the rest:
//! * `p = 1`, `p = ±∞` use the values as they are (a mean, a min, a max are defined for any reals);
//! * every other `p` uses `max(v_i, 0)`: a zero (or negative) utility counts as zero. For
//!   `p ≤ 0` a single zero then makes `W_p = 0`, which is the limit of `W_p` as that
//!   value falls to 0 from above — the worst-off agent having nothing means welfare nothing.
//! * an empty population has welfare 0.

/// The power mean `W_p(values)`; see the module docs for p = 0, ±∞ and non-positive values.
pub fn power_mean(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let n = values.len() as f64;
    if p == f64::NEG_INFINITY {
        return values.iter().copied().fold(f64::INFINITY, f64::min);
    }
    if p == f64::INFINITY {
        return values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    }
    if p == 1.0 {
        return values.iter().sum::<f64>() / n;
    }
    if p <= 0.0 && values.iter().any(|&v| v <= 0.0) {
        return 0.0;
    }
    if p == 0.0 {
        // Sorted values repeat one another: a logarithm is worked out once per run of equal
        // values (the same numbers, summed in the same order).
        let mut last = None;
        let mean_log = values.iter().map(|&v| cached(&mut last, v, f64::ln)).sum::<f64>() / n;
        return mean_log.exp();
    }
    // Scale by the maximum for numerical range, then undo: W_p(v) = m · W_p(v/m).
    let m = values.iter().copied().fold(0.0f64, f64::max);
    if m == 0.0 {
        return 0.0;
    }
    let mut last = None;
    let s = values.iter().map(|&v| cached(&mut last, v, |v| (v.max(0.0) / m).powf(p))).sum::<f64>() / n;
    m * s.powf(1.0 / p)
}

/// `f(v)`, reusing the last result when `v` is the last value (bit for bit).
#[inline]
fn cached(last: &mut Option<(u64, f64)>, v: f64, f: impl Fn(f64) -> f64) -> f64 {
    match *last {
        Some((bits, y)) if bits == v.to_bits() => y,
        _ => {
            let y = f(v);
            *last = Some((v.to_bits(), y));
            y
        }
    }
}

/// The Gini coefficient of wealth: 0 is perfect equality, (n−1)/n is one agent holding
/// everything. Values below zero (a fined agent's debt) count as zero — the Gini coefficient
/// is defined for non-negative values, and a debt is not less than nothing to share — so it
/// stays in [0, (n−1)/n]; all-zero gives 0. The `gini` metric is this.
pub fn gini(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    gini_sorted(&v)
}

/// [`gini`] of values already sorted ascending (negatives count as zero, as there):
/// `G = Σ_i (2i − n − 1)·v_i / (n · Σ v)` with i from 1.
pub fn gini_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    // Clamping keeps the order: the negatives, first, all become 0.
    let v = |x: f64| x.max(0.0);
    let total: f64 = sorted.iter().map(|&x| v(x)).sum();
    if n < 2 || total <= 0.0 {
        return 0.0;
    }
    let weighted: f64 = sorted.iter().enumerate().map(|(i, &x)| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * v(x)).sum();
    weighted / (n as f64 * total)
}

/// The AI Economist's social welfare: equality × productivity, where equality is
/// `1 − Gini · n/(n−1)` (normalised to [0, 1]) and productivity is the total.
pub fn equality_times_productivity(values: &[f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    let total: f64 = values.iter().sum();
    if n == 1 {
        return total;
    }
    let equality = 1.0 - gini(values) * n as f64 / (n as f64 - 1.0);
    equality * total
}

/// [`equality_times_productivity`] of values already sorted ascending (the same number,
/// without sorting a copy).
pub fn equality_times_productivity_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    let total: f64 = sorted.iter().sum();
    if n == 1 {
        return total;
    }
    let equality = 1.0 - gini_sorted(sorted) * n as f64 / (n as f64 - 1.0);
    equality * total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_check_values() {
        // DESIGN.md §3: v = [1, 4, 16] gives 7 at p = 1, 4 at p → 0, 1 at p = −∞.
        let v = [1.0, 4.0, 16.0];
        assert!((power_mean(&v, 1.0) - 7.0).abs() < 1e-12);
        assert!((power_mean(&v, 0.0) - 4.0).abs() < 1e-12);
        assert_eq!(power_mean(&v, f64::NEG_INFINITY), 1.0);
        assert_eq!(power_mean(&v, f64::INFINITY), 16.0);
        // p → 0 is continuous: p = ±1e-9 is within 1e-6 of the geometric mean.
        assert!((power_mean(&v, 1e-9) - 4.0).abs() < 1e-6);
        assert!((power_mean(&v, -1e-9) - 4.0).abs() < 1e-6);
        // Harmonic mean (p = −1): 3 / (1 + 1/4 + 1/16) = 48/21.
        assert!((power_mean(&v, -1.0) - 48.0 / 21.0).abs() < 1e-12);
        // Quadratic mean (p = 2): sqrt((1 + 16 + 256)/3) = sqrt(91).
        assert!((power_mean(&v, 2.0) - 91f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn zeros_and_negatives_follow_the_documented_rule() {
        assert_eq!(power_mean(&[0.0, 5.0], 0.0), 0.0);
        assert_eq!(power_mean(&[0.0, 5.0], -2.0), 0.0);
        assert_eq!(power_mean(&[-1.0, 5.0], 1.0), 2.0);
        assert_eq!(power_mean(&[-1.0, 5.0], f64::NEG_INFINITY), -1.0);
        // p = 2 clamps the negative to zero: sqrt(25/2).
        assert!((power_mean(&[-1.0, 5.0], 2.0) - 12.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(power_mean(&[], 0.5), 0.0);
    }

    #[test]
    fn power_means_are_ordered_in_p() {
        let v = [0.5, 2.0, 3.0, 10.0];
        let ps = [f64::NEG_INFINITY, -3.0, -1.0, 0.0, 0.5, 1.0, 2.0, f64::INFINITY];
        let w: Vec<f64> = ps.iter().map(|&p| power_mean(&v, p)).collect();
        for pair in w.windows(2) {
            assert!(pair[0] <= pair[1] + 1e-12, "{w:?}");
        }
    }

    #[test]
    fn gini_values() {
        assert_eq!(gini(&[5.0, 5.0, 5.0]), 0.0);
        // One of four holds everything: (n−1)/n = 0.75.
        assert!((gini(&[0.0, 0.0, 0.0, 8.0]) - 0.75).abs() < 1e-12);
        // [1, 2, 3]: mean abs difference / (2·mean) = (8/9)/(4) = 2/9.
        assert!((gini(&[3.0, 1.0, 2.0]) - 2.0 / 9.0).abs() < 1e-12);
        assert_eq!(gini(&[0.0, 0.0]), 0.0);
    }

    #[test]
    fn equality_times_productivity_values() {
        assert_eq!(equality_times_productivity(&[2.0, 2.0]), 4.0);
        assert_eq!(equality_times_productivity(&[0.0, 4.0]), 0.0);
    }
}
