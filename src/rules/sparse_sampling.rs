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

/// The model term of the guarantee: a model whose transitions are within `kappa` nats (KL) of
/// the world's loses at most `R_max·√(κ/2)/(1−γ)²` of value (the simulation lemma with
/// Pinsker's inequality: per-step total variation ≤ √(κ/2)).
pub fn model_term(r_max: f64, gamma: f64, kappa: f64) -> f64 {
    r_max * (kappa / 2.0).sqrt() / (1.0 - gamma).powi(2)
}

/// `log10` of the transitions a full sparse-sampling tree of width `c` and depth `h` over `k`
/// actions simulates, `Σ_{d=1..h} (k·c)^d` (as a logarithm: it overflows even `f64`).
pub fn tree_log10(c: f64, h: u32, k: usize) -> f64 {
    let kc = k as f64 * c;
    if kc <= 1.0 {
        return (h as f64 * kc.max(0.0)).log10();
    }
    // Σ = kc·(kc^h − 1)/(kc − 1) = kc^h · (1 − kc^−h)/(1 − 1/kc).
    h as f64 * kc.log10() + ((1.0 - kc.powf(-(h as f64))) / (1.0 - 1.0 / kc)).log10()
}
