//! Statistical Utility Mechanics (SUM): power used, alignment and harm in the running world,
//! and the post's Gaussian toy model (`polity sum`).
//!
//! * `power_used_human`, `power_used_ai`: the mean KL divergence (nats) each kind of agent's
//!   chosen policy spent this tick over its default random walk — at most its power.
//! * `alignment`: the mean, over AI agents, of the cosine between the AI's utility vector and
//!   the human population's mean one, utility vectors being `(w_own·σ, w_commons·(1 − σ))`
//!   (what the agent puts on its own apples and on the commons' future).
//! * `harm` (with `sum: (harm: true)`): the human mean wealth lost against the counterfactual
//!   where the AI agents do nothing from the start, run alongside on the world model with
//!   common random numbers (positive: the AIs made humans poorer).
//! * `harm_unrectified` (with `harm`): the seed's threshold on √KL — of each tick's change in
//!   `harm`, the share `max(0, 1 − √(O_H/O_X))` the humans could not undo (the toy's step harm
//!   is `max(0, √(2O_X) − √(2O_H))·(1 − c)`, this share of `√(2O_X)·(1 − c)`), summed over
//!   ticks. `O_X` and `O_H` are the AIs' and the humans' mean power, each capped at ln 5, the
//!   most KL a policy over five moves can spend ([`powers`]). Zero when the humans are at
//!   least as powerful as the AIs.
//!
//! The toy model: the world is a standard Gaussian in d dimensions; an agent of power O with
//! utility `u·s` tilts it by `exp(β u·s)`, which moves the mean by `βu` with `KL = β²|u|²/2`,
//! so `β = √(2O)/|u|` and another utility `v·s` gains `√(2O)·|v|·cos θ`. Alignment: the
//! cosine c between a random AI utility direction and the human one is distributed as
//! `p_d(c) ∝ (1 − c²)^((d−3)/2)`; tilting that by `exp(κc)` until its mean is a target
//! alignment costs a KL that grows linearly with d.
//!
//! The alignment loop, rectification and scaling built on it: [`alignment_loop`].

pub mod alignment_loop;
pub mod world_loop;

use crate::columns;
use crate::model::{Mechanism, WorldModel};
use crate::rng::{self, Purpose};
use crate::shadow::InactionShadow;
use crate::vocab::Weights;

/// SUM's measures, after the engine's (`harm` when [`HARM`] keeps its books).
pub const MECHANISM: Mechanism = Mechanism { name: "sum", measure: Some(measure), ..Mechanism::NONE };

/// SUM's harm: its books when the scenario asks for `harm` (the shadow is
/// [`crate::shadow`]'s), kept at `Effects`, once the shadow has stepped.
pub const HARM: Mechanism = Mechanism {
    name: "sum_harm",
    build: |s, m| {
        if s.sum.harm {
            m.parts.insert(Harm::default());
        }
    },
    steps: &[(crate::model::Step::Effects, accrue)],
    active: Some(|m| m.parts.has::<Harm>()),
    ..Mechanism::NONE
};

/// A world that measures `harm` against the inaction shadow: its books.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Harm {
    /// `harm` at the end of the last tick.
    pub last: f64,
    /// `harm_unrectified` so far.
    pub unrectified: f64,
}

/// The humans' mean wealth lost against the inaction shadow now (None without `harm`).
pub fn harm_so_far(m: &WorldModel) -> Option<f64> {
    m.parts.get::<Harm>()?;
    let shadow = m.parts.get::<InactionShadow>()?;
    let humans: Vec<f64> = m.agents.iter().filter(|a| !a.ai).map(|a| a.ledger.wealth()).collect();
    let shadow_wealth: f64 = shadow.0.agents.iter().filter(|a| !a.inactive).map(|a| a.ledger.wealth()).sum();
    let n = humans.len().max(1) as f64;
    Some(shadow_wealth / n - humans.iter().sum::<f64>() / n)
}

/// The AI agents' and the humans' mean power `(O_X, O_H)`, each agent's capped at ln 5 (the
/// most KL a policy over five moves can spend).
pub fn powers(m: &WorldModel) -> (f64, f64) {
    let mean = |ai: bool| {
        let ps: Vec<f64> = m.agents.iter().filter(|a| a.ai == ai).map(|a| a.power.min(5f64.ln())).collect();
        if ps.is_empty() { 0.0 } else { ps.iter().sum::<f64>() / ps.len() as f64 }
    };
    (mean(true), mean(false))
}

/// The mean power (KL) the AI agents and the humans used this tick.
pub fn power_used(m: &WorldModel) -> (f64, f64) {
    let mean = |ai: bool| {
        let kls: Vec<f64> = m.agents.iter().filter(|a| a.ai == ai).map(|a| a.decision.kl).collect();
        if kls.is_empty() { 0.0 } else { kls.iter().sum::<f64>() / kls.len() as f64 }
    };
    (mean(true), mean(false))
}

/// Books the tick's harm and the share of it the humans could not undo.
fn accrue(m: &mut WorldModel) {
    let Some(harm) = harm_so_far(m) else { return };
    let (ai, human) = powers(m);
    let share = if ai > 0.0 { (1.0 - (human / ai).sqrt()).max(0.0) } else { 0.0 };
    let books = m.parts.get_mut::<Harm>().expect("checked by harm_so_far");
    books.unrectified += (harm - books.last) * share;
    books.last = harm;
}

crate::serde_part!(Harm, "sum_harm");

/// An agent's utility vector.
pub fn utility_vector(w: &Weights, sigma: f64) -> [f64; 2] {
    [w.0.own * sigma, w.0.commons * (1.0 - sigma)]
}

/// The cosine between two vectors (0 when either is zero).
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let (na, nb) = (a.iter().map(|x| x * x).sum::<f64>().sqrt(), b.iter().map(|x| x * x).sum::<f64>().sqrt());
    if na == 0.0 || nb == 0.0 { 0.0 } else { dot / (na * nb) }
}

/// Sets the SUM columns: power used, alignment and, with the shadow, harm.
pub fn measure(m: &WorldModel, set: &mut dyn FnMut(&'static str, f64)) {
    // Without AI agents there is nothing to set (and no need to read every agent's decision).
    if !m.agents.iter().any(|a| a.ai) {
        return;
    }
    let (mut kl_h, mut n_h, mut kl_a, mut n_a) = (0.0, 0usize, 0.0, 0usize);
    let mut human_mean = [0.0; 2];
    let mut ai_vectors = Vec::new();
    for a in &m.agents {
        let u = utility_vector(&a.weights, a.sigma);
        if a.ai {
            kl_a += a.decision.kl;
            n_a += 1;
            ai_vectors.push(u);
        } else {
            kl_h += a.decision.kl;
            n_h += 1;
            human_mean[0] += u[0];
            human_mean[1] += u[1];
        }
    }
    if n_a == 0 {
        return;
    }
    set(columns::POWER_USED_HUMAN, if n_h > 0 { kl_h / n_h as f64 } else { 0.0 });
    set(columns::POWER_USED_AI, kl_a / n_a as f64);
    set(columns::ALIGNMENT, ai_vectors.iter().map(|u| cosine(u, &human_mean)).sum::<f64>() / n_a as f64);
    if let Some(harm) = harm_so_far(m) {
        set(columns::HARM, harm);
        set(columns::HARM_UNRECTIFIED, m.parts.get::<Harm>().map_or(0.0, |h| h.unrectified));
    }
}

/// The toy model's gain to a utility at angle θ from an agent of power O: `√(2O)·cos θ`
/// (unit utility vectors), with a Monte-Carlo estimate over `samples` draws of the tilted
/// Gaussian in `d` dimensions: (closed form, estimate, standard error).
pub fn gaussian_gain(power: f64, theta: f64, d: usize, samples: u64, seed: u64) -> (f64, f64, f64) {
    let beta = (2.0 * power).sqrt();
    let closed = beta * theta.cos();
    // AI utility e_1; human utility cos θ e_1 + sin θ e_2; tilted world N(β e_1, I).
    let (mut sum, mut sq) = (0.0, 0.0);
    for k in 0..samples {
        let mut st = rng::stream(seed, k, d as u64, Purpose::Sum);
        let s1 = beta + st.normal();
        let s2 = st.normal();
        let g = theta.cos() * s1 + theta.sin() * s2;
        sum += g;
        sq += g * g;
    }
    let mean = sum / samples as f64;
    let var = (sq / samples as f64 - mean * mean).max(0.0);
    (closed, mean, (var / samples as f64).sqrt())
}

/// The KL (nats) needed to tilt the distribution of the cosine between a random direction and
/// a fixed one in `d ≥ 2` dimensions until its mean is `target` ∈ (0, 1); also returns κ.
pub fn alignment_cost(d: usize, target: f64) -> (f64, f64) {
    // Integrate over the angle φ ∈ [0, π] with density ∝ sin^{d−2} φ, in log space.
    let n = 20_000;
    let grid: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let phi = std::f64::consts::PI * (i as f64 + 0.5) / n as f64;
            (phi.cos(), (d as f64 - 2.0) * phi.sin().ln())
        })
        .collect();
    let log_z = |kappa: f64| {
        let m = grid.iter().map(|&(c, lw)| lw + kappa * c).fold(f64::NEG_INFINITY, f64::max);
        m + grid.iter().map(|&(c, lw)| (lw + kappa * c - m).exp()).sum::<f64>().ln()
    };
    let mean = |kappa: f64| {
        let m = grid.iter().map(|&(c, lw)| lw + kappa * c).fold(f64::NEG_INFINITY, f64::max);
        let (mut num, mut den) = (0.0, 0.0);
        for &(c, lw) in &grid {
            let w = (lw + kappa * c - m).exp();
            num += w * c;
            den += w;
        }
        num / den
    };
    let (mut lo, mut hi) = (0.0, 1.0);
    while mean(hi) < target {
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if mean(mid) < target { lo = mid } else { hi = mid }
    }
    let kappa = 0.5 * (lo + hi);
    (kappa * mean(kappa) - (log_z(kappa) - log_z(0.0)), kappa)
}

/// The toy model's two tables as CSV: the KL needed to reach alignment `target` in each of
/// `dims` dimensions, and the gain to a utility at each angle (degrees) for each power.
pub fn toy_model_csv(dims: &[usize], target: f64, powers: &[f64], angles: &[f64], seed: u64) -> (String, String) {
    let cost = dims.iter().map(|&d| {
        let (kl, kappa) = alignment_cost(d, target);
        (d as u64, vec![target, kl, kappa, kl / d as f64])
    });
    let cost = crate::tables::numbers_table(["dims", "target_alignment", "kl_needed", "kappa", "kl_per_dim"], cost);
    let mut gain = crate::tables::line([
        "power",
        "angle_deg",
        "cos_theta",
        "gain_closed_form",
        "gain_monte_carlo",
        "standard_error",
        "gain_over_sqrt_power",
    ]);
    for &o in powers {
        for &a in angles {
            let theta = a.to_radians();
            let (closed, est, se) = gaussian_gain(o, theta, 2, 20_000, seed);
            let row = [o, a, theta.cos(), closed, est, se, closed / o.sqrt()];
            // The gain over √O has no value at O = 0 (0/0): an empty cell.
            gain += &crate::tables::line(row.map(|v| if v.is_nan() { String::new() } else { v.to_string() }));
        }
    }
    (cost, gain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain_scales_as_root_power_times_cosine() {
        // An independent estimate: draw from the *untilted* standard Gaussian, weight each
        // draw by exp(β s₁), solve β from KL(β) = O with KL estimated from the same weights
        // (KL = β·E_π[s₁] − ln E₀[exp(β s₁)]), and take the weighted mean of the human utility
        // cos θ·s₁ + sin θ·s₂. Twenty independent batches give the standard error, β's
        // estimation error included.
        fn batch(power: f64, theta: f64, n: u64, seed: u64) -> f64 {
            let draws: Vec<(f64, f64)> = (0..n)
                .map(|k| {
                    let mut st = rng::stream(seed, k, 99, Purpose::Sum);
                    (st.normal(), st.normal())
                })
                .collect();
            let weighted = |beta: f64, f: &dyn Fn(f64, f64) -> f64| {
                let (mut num, mut den) = (0.0, 0.0);
                for &(s1, s2) in &draws {
                    let w = (beta * s1).exp();
                    num += w * f(s1, s2);
                    den += w;
                }
                (num / den, den / n as f64)
            };
            let kl = |beta: f64| {
                let (mean_s1, z) = weighted(beta, &|s1, _| s1);
                beta * mean_s1 - z.ln()
            };
            let (mut lo, mut hi) = (0.0, 10.0);
            for _ in 0..40 {
                let mid = 0.5 * (lo + hi);
                if kl(mid) < power { lo = mid } else { hi = mid }
            }
            weighted(0.5 * (lo + hi), &|s1, s2| theta.cos() * s1 + theta.sin() * s2).0
        }
        for (power, theta) in [(0.5, 0.0), (2.0, 0.0), (2.0, std::f64::consts::FRAC_PI_3), (8.0, 1.2)] {
            let (closed, est, se) = gaussian_gain(power, theta, 2, 40_000, 1);
            assert!((closed - (2.0 * power).sqrt() * theta.cos()).abs() < 1e-12);
            assert!((est - closed).abs() < 5.0 * se, "O {power} θ {theta}: {est} vs {closed} ± {se}");
        }
        // Reweighting from the untilted Gaussian needs powers small enough for the weights'
        // variance (exp(2O) − 1) to leave enough effective samples.
        for (power, theta) in [(0.125, 0.0), (0.5, 0.0), (0.5, 2.0), (2.0, std::f64::consts::FRAC_PI_3), (1.0, 1.2)] {
            let (closed, est, se) = gaussian_gain(power, theta, 2, 40_000, 1);
            assert!((est - closed).abs() < 5.0 * se, "O {power} θ {theta}: {est} vs {closed} ± {se}");
            let batches: Vec<f64> = (0..20).map(|b| batch(power, theta, 25_000, 1000 + b)).collect();
            let m = batches.iter().sum::<f64>() / 20.0;
            let sd = (batches.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 19.0).sqrt();
            let se = sd / 20f64.sqrt();
            assert!((m - closed).abs() < 5.0 * se + 1e-3, "O {power} θ {theta}: reweighted {m} ± {se} vs {closed}");
            assert!(se < 0.05, "the check is sharp enough: se {se}");
        }
    }

    #[test]
    fn alignment_cost_grows_linearly_with_dimension() {
        let cost: Vec<f64> = [16, 32, 64, 128, 256].iter().map(|&d| alignment_cost(d, 0.5).0).collect();
        for w in cost.windows(2) {
            let ratio = w[1] / w[0];
            assert!((1.8..2.2).contains(&ratio), "{cost:?}");
        }
        // d = 3: the cosine is uniform on [−1, 1]; its tilt has mean coth κ − 1/κ.
        let (_, kappa) = alignment_cost(3, 0.5);
        assert!(((1.0 / kappa.tanh() - 1.0 / kappa) - 0.5).abs() < 1e-4, "κ {kappa}");
    }

    #[test]
    fn cosines() {
        assert_eq!(cosine(&[1.0, 0.0], &[2.0, 0.0]), 1.0);
        assert!(cosine(&[1.0, 0.0], &[0.0, 3.0]).abs() < 1e-15);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 1.0]), 0.0);
    }
}
