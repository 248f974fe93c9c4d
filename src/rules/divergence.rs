//! Model error as a divergence (PAA, issue 15): how far, in nats, a world model's transition
//! `P̂(·|s, a)` is from the world's `P(·|s, a)`, `κ = KL(P ‖ P̂)`, for each model-error knob,
//! and what that costs the planner's guarantee (`R_max·√(κ/2)/(1−γ)²`:
//! [`super::sparse_sampling::model_term`]).
//!
//! - **Regrowth bias** `b` (the model regrows with `P̂ = clamp(P·(1 + b))`): each eaten cell's
//!   regrowth is an independent Bernoulli, so a tick's κ is exactly the sum of their KLs,
//!   `Σ_cells KL(Bern(P[n]) ‖ Bern(P̂[n]))` over the regrowth candidates by live-neighbour
//!   count `n` ([`regrowth_kl`]). Bounded over all states by every grass cell being a candidate
//!   with the worst count ([`regrowth_bound`]).
//! - **Observation flips** `q` (each grass cell's apple is wrong with probability `q`): against
//!   the true cell, the model's cell is a `(1 − q, q)` coin, so the flips add exactly
//!   `−G·ln(1 − q)` for `G` grass cells ([`flip_kl`]).
//! - **Noisy σ and power**: an agent's moves are drawn from a distribution the model gets from a
//!   noisy σ̃ or power; the model's distribution is the mixture over the noise, and by the
//!   convexity of KL in its second argument `KL(π ‖ E[π̃]) ≤ E[KL(π ‖ π̃)]`, summed over agents.
//!   That expectation has no closed form: the planner estimates it from a few noise draws at
//!   its root ([`categorical_kl`]), an estimated upper bound rather than an exact value.
//!
//! A transition of a planner that looks `T` ticks ahead per step (the PAA principal: one tax
//! period) is `T` ticks of the world, and by the chain rule its κ is the sum of theirs:
//! at most `T` times the per-tick bound.

/// `KL(Bern(p) ‖ Bern(q))` in nats: `p·ln(p/q) + (1−p)·ln((1−p)/(1−q))`, with `0·ln 0 = 0`;
/// infinite when `q` gives probability 0 to an outcome `p` does not.
pub fn bernoulli_kl(p: f64, q: f64) -> f64 {
    categorical_kl(&[p, 1.0 - p], &[q, 1.0 - q])
}

/// `KL(p ‖ q)` of two distributions over the same outcomes, in nats (terms with `p = 0` are 0;
/// infinite when `q = 0 < p`).
pub fn categorical_kl(p: &[f64], q: &[f64]) -> f64 {
    p.iter()
        .zip(q)
        .map(|(&a, &b)| match (a, b) {
            (a, _) if a <= 0.0 => 0.0,
            (_, b) if b <= 0.0 => f64::INFINITY,
            (a, b) => a * (a / b).ln(),
        })
        .sum::<f64>()
        .max(0.0)
}

/// The model's regrowth probability for the world's `p` with relative bias `bias`.
pub fn biased(p: f64, bias: f64) -> f64 {
    (p * (1.0 + bias)).clamp(0.0, 1.0)
}

/// One tick's regrowth κ: `Σ_n candidates[n] · KL(Bern(P[n]) ‖ Bern(P̂[n]))`, `candidates[n]`
/// the eaten cells with `n` live neighbours (counts past the table's end use its last entry).
pub fn regrowth_kl(probabilities: &[f64], bias: f64, candidates: &[u64]) -> f64 {
    if bias == 0.0 {
        return 0.0;
    }
    candidates
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c > 0)
        .map(|(n, &c)| {
            let p = super::regrowth::probability(probabilities, n as u32);
            c as f64 * bernoulli_kl(p, biased(p, bias))
        })
        .sum()
}

/// The largest one-tick regrowth κ of any state: all `grass` cells candidates, each with the
/// live-neighbour count whose KL is largest.
pub fn regrowth_bound(probabilities: &[f64], bias: f64, grass: u64) -> f64 {
    if bias == 0.0 {
        return 0.0;
    }
    let worst = probabilities.iter().map(|&p| bernoulli_kl(p, biased(p, bias))).fold(0.0, f64::max);
    grass as f64 * worst
}

/// The observation flips' κ: `−G·ln(1 − q)` for `grass` cells each wrong with probability `q`.
pub fn flip_kl(grass: u64, q: f64) -> f64 {
    if q <= 0.0 {
        return 0.0;
    }
    -(grass as f64) * (1.0 - q).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bernoulli_kl_closed_forms() {
        // p = 0.5, q = 0.25: 0.5·ln 2 + 0.5·ln(2/3).
        let want = 0.5 * 2f64.ln() + 0.5 * (0.5f64 / 0.75).ln();
        assert!((bernoulli_kl(0.5, 0.25) - want).abs() < 1e-15);
        assert_eq!(bernoulli_kl(0.3, 0.3), 0.0);
        assert_eq!(bernoulli_kl(0.0, 0.5), 2f64.ln());
        assert_eq!(bernoulli_kl(0.1, 0.0), f64::INFINITY);
        assert_eq!(bernoulli_kl(0.0, 0.0), 0.0);
    }

    #[test]
    fn regrowth_kl_sums_the_candidates() {
        let p = [0.0, 0.0025, 0.005, 0.025];
        // 3 candidates with 1 neighbour, 2 with 3+, one with 0 (p = 0 either way).
        let k = regrowth_kl(&p, 0.5, &[1, 3, 0, 2]);
        let want = 3.0 * bernoulli_kl(0.0025, 0.00375) + 2.0 * bernoulli_kl(0.025, 0.0375);
        assert!((k - want).abs() < 1e-15);
        // Counts past the table's end use its last entry.
        assert!((regrowth_kl(&p, 0.5, &[0, 0, 0, 0, 0, 1]) - bernoulli_kl(0.025, 0.0375)).abs() < 1e-15);
        assert_eq!(regrowth_kl(&p, 0.0, &[0, 5, 5, 5]), 0.0);
        // The bound: every grass cell a candidate with the worst count (here 3+).
        assert!((regrowth_bound(&p, 0.5, 10) - 10.0 * bernoulli_kl(0.025, 0.0375)).abs() < 1e-15);
        // A bias of −1 makes the model never regrow: infinitely wrong.
        assert_eq!(regrowth_kl(&p, -1.0, &[0, 1]), f64::INFINITY);
    }

    #[test]
    fn flips_cost_minus_ln_one_minus_q_per_cell() {
        assert!((flip_kl(100, 0.01) - (-100.0 * 0.99f64.ln())).abs() < 1e-12);
        assert_eq!(flip_kl(100, 0.0), 0.0);
    }
}
