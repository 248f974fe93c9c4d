//! Sparse sampling's guarantee as formulas (Kearns, Mansour & Ng 2002; the planner's module,
//! [`crate::planner`], states it): the budget an accuracy needs, and the accuracy a budget buys.

/// The H and C that guarantee ε-accuracy: `(H, C)`, C as a real number (it can be huge).
pub fn required(epsilon: f64, delta: f64, gamma: f64, r_max: f64, k: usize) -> (u32, f64) {
    let lambda = epsilon * (1.0 - gamma).powi(2) / 4.0;
    let v_max = r_max / (1.0 - gamma);
    // ⌈log_γ(λ/V_max)⌉, with a little slack so exact powers do not round up.
    let h = ((lambda / v_max).ln() / gamma.ln() - 1e-9).ceil().max(1.0);
    let ratio = v_max * v_max / (lambda * lambda);
    let delta_eff = delta.min(lambda / r_max);
    let c = ratio * (2.0 * h * (k as f64 * h * ratio).ln() + (1.0 / delta_eff).ln());
    (h as u32, c)
}

/// The smallest ε that a budget of width `c` and depth `h` guarantees, or `None` when it
/// guarantees nothing better than the trivial bound `V_max`.
pub fn guaranteed_epsilon(c: u32, h: u32, delta: f64, gamma: f64, r_max: f64, k: usize) -> Option<f64> {
    let v_max = r_max / (1.0 - gamma);
    let fits = |eps: f64| {
        let (hh, cc) = required(eps, delta, gamma, r_max, k);
        hh <= h && cc <= c as f64
    };
    if !fits(v_max) {
        return None;
    }
    let (mut lo, mut hi) = (0.0, v_max);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if fits(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}
