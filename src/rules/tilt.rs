//! The power-bounded tilt of Statistical Utility Mechanics (DESIGN.md §3).
//!
//! An agent with power `O` (a KL budget, in nats) acts by the default distribution `π₀`
//! tilted towards its utility:
//!
//! ```text
//! π(a) = π₀(a) · exp(β·U(a)) / Z(β),     Z(β) = Σ_a π₀(a) · exp(β·U(a))
//! KL(π‖π₀) = β·E_π[U] − ln Z(β)          (increasing in β, derivative β·Var_π[U])
//! ```
//!
//! with `β` the largest value for which `KL(π‖π₀) ≤ O`. Power 0 gives `π = π₀` (the default
//! policy); as `O` grows past `KL_max = −ln π₀(argmax U)` the tilt becomes greedy: `π` is `π₀`
//! restricted to the best actions. Between the two, `β` solves `KL(β) = O` exactly (Halley's
//! method safeguarded by bisection), so the budget binds.

/// What a tilt did: the inverse temperature used and the KL divergence actually spent.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TiltInfo {
    /// β; `f64::INFINITY` when the budget allows the greedy policy.
    pub beta: f64,
    /// `KL(π‖π₀)` in nats: equal to the power when the budget binds, less when it does not.
    pub kl: f64,
}

/// Tolerance under which two utilities count as tied.
const TIE: f64 = 1e-12;

/// Tilts `default` (a probability vector) towards `utility` within KL budget `power`,
/// writing the result into `out`. All three slices must have the same length.
pub fn tilt(default: &[f64], utility: &[f64], power: f64, out: &mut [f64]) -> TiltInfo {
    debug_assert_eq!(default.len(), utility.len());
    debug_assert_eq!(default.len(), out.len());
    out.copy_from_slice(default);
    if out.is_empty() || power.is_nan() || power <= 0.0 {
        return TiltInfo { beta: 0.0, kl: 0.0 };
    }
    // Only actions the default policy can take matter.
    let mut max = f64::NEG_INFINITY;
    let mut min = f64::INFINITY;
    for (&p, &u) in default.iter().zip(utility) {
        if p > 0.0 {
            max = max.max(u);
            min = min.min(u);
        }
    }
    if !(max - min > TIE) {
        return TiltInfo { beta: 0.0, kl: 0.0 };
    }
    let best_mass: f64 =
        default.iter().zip(utility).filter(|&(&p, &u)| p > 0.0 && u >= max - TIE).map(|(&p, _)| p).sum();
    let kl_max = -ln_recent(best_mass);
    if power >= kl_max {
        for ((o, &p), &u) in out.iter_mut().zip(default).zip(utility) {
            *o = if p > 0.0 && u >= max - TIE { p / best_mass } else { 0.0 };
        }
        return TiltInfo { beta: f64::INFINITY, kl: kl_max };
    }
    // KL(β) and its derivative in one pass, with utilities shifted by the max for stability;
    // `out` holds the unnormalised weights and is normalised once β is found.
    // Equal utilities (a blocked move scores like staying) share one exponential, and the
    // best ones need none (exp 0 = 1): the same numbers, fewer calls. Which action shares
    // which exponential is worked out once, here, not at every step.
    let n = default.len();
    let mut slots = [(0.0f64, 1.0f64); 6];
    let mut n_slots = 1;
    // For each action (up to 5 of them; longer vectors look theirs up as they go): its slot,
    // or `SLOTLESS` when it gets an exponential of its own.
    let mut slot_of = [SLOTLESS; 5];
    if n <= slot_of.len() {
        for (k, &u) in utility.iter().enumerate() {
            let s = u - max;
            slot_of[k] = if default[k] <= 0.0 {
                // An action the default never takes weighs nothing, whatever its utility (one
                // above the max would overflow its exponential: 0 · ∞).
                NEVER
            } else {
                match slots[..n_slots].iter().position(|&(t, _)| t == s) {
                    Some(j) => j as u8,
                    None if n_slots < slots.len() => {
                        slots[n_slots].0 = s;
                        n_slots += 1;
                        (n_slots - 1) as u8
                    }
                    None => SLOTLESS,
                }
            };
        }
    }
    let tilted = Tilted { default, utility, max, slots, n_slots, slot_of };
    let eval = |beta: f64, out: &mut [f64]| tilted.eval(beta, out);
    let finish = |beta: f64, kl: f64, z: f64, out: &mut [f64]| {
        out.iter_mut().for_each(|o| *o /= z);
        TiltInfo { beta, kl }
    };
    // Start where KL would reach the budget if it rose from the small-β expansion
    // KL ≈ β²·Var_π₀[U]/2 to its ceiling `kl_max` as `kl_max·(1 − exp(−β²·Var/(2·kl_max)))`
    // does, then Halley's method (KL's first two derivatives come with it, at no further
    // exponential), falling back to doubling or bisection whenever a step would leave the
    // bracket [lo, hi]. Over 200 ticks of `commons-large` a solve takes 4.0 evaluations where
    // Newton's method from the plain expansion took 5.1 (docs/performance.md).
    let reachable = || default.iter().zip(utility).filter(|&(&p, _)| p > 0.0);
    let mean0: f64 = reachable().map(|(p, u)| p * (u - max)).sum();
    let var0: f64 = reachable().map(|(p, u)| p * (u - max - mean0).powi(2)).sum();
    let mut beta =
        if var0 > 0.0 { (-2.0 * kl_max * (-power / kl_max).ln_1p() / var0).sqrt() } else { 1.0 / (max - min) };
    let (mut lo, mut hi) = (0.0f64, f64::INFINITY);
    let tolerance = 1e-13 + 1e-11 * power;
    for _ in 0..200 {
        let Moments { kl, slope, curve, z } = eval(beta, out);
        let err = kl - power;
        if err.abs() <= tolerance {
            return finish(beta, kl, z, out);
        }
        if err > 0.0 {
            hi = beta;
        } else {
            lo = beta;
        }
        // Halley's step where it is between half and twice Newton's; Newton's elsewhere. Near
        // KL's inflection `bend` nears 0 and Halley's step runs far out of the bracket; far
        // out on KL's plateau it creeps (a few units of β a step where bisection halves).
        let bend = 2.0 * slope * slope - err * curve;
        let halley = bend >= slope * slope && bend <= 4.0 * slope * slope;
        let step = if halley { 2.0 * err * slope / bend } else { err / slope };
        let next = beta - step;
        beta = if slope > 0.0 && next > lo && next < hi {
            next
        } else if hi.is_finite() {
            0.5 * (lo + hi)
        } else {
            2.0 * beta
        };
        if hi.is_finite() && hi - lo <= 1e-15 * hi {
            break;
        }
    }
    let Moments { kl, z, .. } = eval(beta, out);
    finish(beta, kl, z, out)
}

/// `KL(β)` and what a step of [`tilt`]'s solve needs with it.
struct Moments {
    /// `KL(π_β‖π₀)`.
    kl: f64,
    /// `dKL/dβ = β·Var_β[U]`.
    slope: f64,
    /// `d²KL/dβ² = Var_β[U] + β·κ₃` (κ₃ the third central moment under π_β).
    curve: f64,
    /// `Z(β)`, with the utilities shifted by their max.
    z: f64,
}

/// `x.ln()`, from a small table of the last values asked for on this thread when `x` is one
/// of them (the same bits: the same result). The best actions' default mass takes few values
/// (sums of `π₀`'s entries), so most agents' ask for one already worked out.
fn ln_recent(x: f64) -> f64 {
    use std::cell::Cell;
    thread_local! {
        static RECENT: [Cell<(u64, f64)>; 8] = const { [const { Cell::new((0, 0.0)) }; 8] };
    }
    let bits = x.to_bits();
    // 0.0's bits are the table's empty mark, and ln 0 = −∞ is cheap anyway.
    if bits == 0 {
        return x.ln();
    }
    let slot = ((bits >> 52 ^ bits >> 49) & 7) as usize;
    RECENT.with(|recent| {
        let (kept, ln) = recent[slot].get();
        if kept == bits {
            return ln;
        }
        let ln = x.ln();
        recent[slot].set((bits, ln));
        ln
    })
}

/// An action with an exponential of its own (not shared through a slot).
const SLOTLESS: u8 = u8::MAX;

/// An action the default policy never takes (weight 0).
const NEVER: u8 = u8::MAX - 1;

/// What [`tilt`]'s steps share: the default, the utilities and their max, and which action
/// shares which exponential (`slots`: shifted utility and its exponential's place).
struct Tilted<'a> {
    default: &'a [f64],
    utility: &'a [f64],
    max: f64,
    slots: [(f64, f64); 6],
    n_slots: usize,
    slot_of: [u8; 5],
}

impl Tilted<'_> {
    /// KL(β) and its derivatives, with `out` the unnormalised weights.
    #[inline(always)]
    fn eval(&self, beta: f64, out: &mut [f64]) -> Moments {
        let (default, utility, max, n) = (self.default, self.utility, self.max, self.default.len());
        let (mut z, mut first, mut second, mut third) = (0.0, 0.0, 0.0, 0.0);
        if n <= self.slot_of.len() {
            let mut e = [1.0f64; 6];
            for j in 1..self.n_slots {
                e[j] = (beta * self.slots[j].0).exp();
            }
            for k in 0..n {
                let (p, s) = (default[k], utility[k] - max);
                let e = match self.slot_of[k] {
                    SLOTLESS => (beta * s).exp(),
                    NEVER => {
                        out[k] = 0.0;
                        continue;
                    }
                    j => e[j as usize],
                };
                let w = p * e;
                out[k] = w;
                z += w;
                first += w * s;
                second += w * s * s;
                third += w * s * s * s;
            }
        } else {
            let mut seen = [(0.0f64, 1.0f64); 6];
            let mut n_seen = 1;
            for ((o, &p), &u) in out.iter_mut().zip(default).zip(utility) {
                if p <= 0.0 {
                    *o = 0.0;
                    continue;
                }
                let s = u - max;
                let e = match seen[..n_seen].iter().find(|&&(t, _)| t == s) {
                    Some(&(_, e)) => e,
                    None => {
                        let e = (beta * s).exp();
                        if n_seen < seen.len() {
                            seen[n_seen] = (s, e);
                            n_seen += 1;
                        }
                        e
                    }
                };
                let w = p * e;
                *o = w;
                z += w;
                first += w * s;
                second += w * s * s;
                third += w * s * s * s;
            }
        }
        let (mean, second, third) = (first / z, second / z, third / z);
        let var = second - mean * mean;
        let skew = third - 3.0 * mean * second + 2.0 * mean * mean * mean;
        Moments { kl: beta * mean - z.ln(), slope: beta * var, curve: var + beta * skew, z }
    }
}

/// A learned policy's distribution `policy` (π_θ, e.g. a network's softmax) projected onto the
/// KL budget `power` around `default` (π₀): the tilt with utility `ln π_θ` and β capped at 1,
/// so `π ∝ π₀ · π_θ^β`. Power 0 plays `π₀`; a budget of at least `KL(π_θ‖π₀)` (power ∞
/// included) plays `π_θ` itself (β = 1); in between the budget binds, `KL(π‖π₀) = power`
/// with β < 1. With a uniform `π₀` this is `π ∝ π_θ^β`: the learned policy, tempered. The
/// same power bound as hand-written utilities (this module's docs), so power still binds a
/// learner.
pub fn project(default: &[f64], policy: &[f64], power: f64, out: &mut [f64]) -> TiltInfo {
    debug_assert_eq!(default.len(), policy.len());
    let full = {
        // π₀·π_θ normalised: what β = 1 plays.
        let z: f64 = default.iter().zip(policy).map(|(&d, &p)| d * p).sum();
        if z > 0.0 {
            for ((o, &d), &p) in out.iter_mut().zip(default).zip(policy) {
                *o = d * p / z;
            }
            Some(kl_divergence(out, default))
        } else {
            None
        }
    };
    match full {
        Some(kl) if power >= kl => TiltInfo { beta: 1.0, kl },
        _ => {
            // ln π_θ, with zero probabilities kept finite (they stay all but impossible).
            let utility: Vec<f64> = policy.iter().map(|&p| p.max(1e-300).ln()).collect();
            tilt(default, &utility, power, out)
        }
    }
}

/// `KL(p‖q)` in nats for probability vectors (terms with `p = 0` contribute 0).
pub fn kl_divergence(p: &[f64], q: &[f64]) -> f64 {
    p.iter().zip(q).filter(|&(&a, _)| a > 0.0).map(|(&a, &b)| a * (a / b).ln()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIFORM5: [f64; 5] = [0.2; 5];

    #[test]
    fn recent_logarithms_are_the_logarithms() {
        // Sums of a uniform default's entries (the values asked for), others that share their
        // slots, and values asked for again after others took their slot.
        let mut xs: Vec<f64> = (1..=5).map(|k| (0..k).map(|_| 0.2).sum()).collect();
        xs.extend([0.1, 0.05, 1.6, 3.2, 0.3, 0.7, 1e-300, 5e-324, 1.0, f64::MIN_POSITIVE]);
        let mut state = 9u64;
        for _ in 0..2000 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            xs.push((state >> 11) as f64 / (1u64 << 53) as f64);
        }
        for round in 0..3 {
            for &x in xs.iter().chain(xs.iter().rev()) {
                assert_eq!(ln_recent(x).to_bits(), x.ln().to_bits(), "ln {x} (round {round})");
            }
        }
        assert_eq!(ln_recent(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn a_learned_policy_is_projected_onto_the_power_budget() {
        let theta = [0.6, 0.2, 0.1, 0.07, 0.03];
        let full = kl_divergence(&theta, &UNIFORM5);
        let mut out = [0.0; 5];
        // Power 0: the random walk.
        let info = project(&UNIFORM5, &theta, 0.0, &mut out);
        assert_eq!((out, info.beta, info.kl), (UNIFORM5, 0.0, 0.0));
        // Power ∞, or any budget of at least KL(π_θ‖π₀): π_θ itself, β = 1.
        for power in [f64::INFINITY, full, full + 0.5] {
            let info = project(&UNIFORM5, &theta, power, &mut out);
            assert_eq!(info.beta, 1.0);
            for (a, b) in out.iter().zip(&theta) {
                assert!((a - b).abs() < 1e-15, "{out:?}");
            }
            assert!((info.kl - full).abs() < 1e-15);
        }
        // A binding budget: KL = power exactly, β < 1, and π ∝ π_θ^β.
        for power in [0.01, 0.1, 0.5 * full, 0.99 * full] {
            let info = project(&UNIFORM5, &theta, power, &mut out);
            assert!(info.beta > 0.0 && info.beta < 1.0, "β {} at power {power}", info.beta);
            assert!((kl_divergence(&out, &UNIFORM5) - power).abs() < 1e-9, "KL at power {power}");
            let z: f64 = theta.iter().map(|p: &f64| p.powf(info.beta)).sum();
            for (a, p) in out.iter().zip(&theta) {
                assert!((a - p.powf(info.beta) / z).abs() < 1e-9, "{out:?} at β {}", info.beta);
            }
        }
        // More power, a policy nearer π_θ.
        let near = |power| {
            let mut o = [0.0; 5];
            project(&UNIFORM5, &theta, power, &mut o);
            kl_divergence(&theta, &o)
        };
        assert!(near(0.05) > near(0.2) && near(0.2) > near(0.4));
    }

    #[test]
    fn zero_power_is_the_default_policy() {
        let mut out = [0.0; 5];
        let info = tilt(&UNIFORM5, &[1.0, 0.0, 0.5, 0.2, 0.0], 0.0, &mut out);
        assert_eq!(out, UNIFORM5);
        assert_eq!(info.kl, 0.0);
    }

    #[test]
    fn binding_budget_is_spent_exactly() {
        let u = [1.0, 0.0, 0.5, 0.2, 0.0];
        for power in [1e-6, 0.01, 0.1, 0.5, 1.0, 1.5] {
            let mut out = [0.0; 5];
            let info = tilt(&UNIFORM5, &u, power, &mut out);
            assert!((info.kl - power).abs() < 1e-9, "power {power}: {info:?}");
            assert!((kl_divergence(&out, &UNIFORM5) - power).abs() < 1e-9);
            assert!((out.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            // The tilt is monotone in utility.
            assert!(out[0] > out[2] && out[2] > out[3] && out[3] > out[1]);
        }
    }

    /// Every binding budget is spent to the solve's tolerance, over utilities of every shape
    /// (near-ties, one outlier far below, blocked moves sharing a value, defaults with
    /// impossible actions) and budgets from a hair above 0 to a hair below the greedy
    /// policy's `KL_max`. Among them: two foragers of `commons-large` on which a Halley step
    /// near KL's inflection once ran far past the root, and the solve stopped at the ceiling
    /// (KL = ln 5) instead of the budget.
    #[test]
    fn every_binding_budget_is_spent_to_tolerance() {
        let mut cases: Vec<([f64; 5], [f64; 5], f64)> = vec![
            (
                UNIFORM5,
                [
                    0.2404595839860235,
                    0.21641362558742117,
                    0.21641362558742117,
                    0.2671773155400261,
                    -0.05687415277548069,
                ],
                1.0599806404384113,
            ),
            (
                UNIFORM5,
                [0.7094171993377221, 0.6384754794039499, 1.2894971955245786, 1.2573098780793939, 0.6384754794039499],
                0.9990393332169056,
            ),
        ];
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let defaults =
            [UNIFORM5, [0.4, 0.15, 0.15, 0.15, 0.15], [0.0, 0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0.0, 0.0, 0.0]];
        for k in 0..20_000 {
            let default = defaults[k % defaults.len()];
            let mut u = [0.0; 5];
            for x in u.iter_mut() {
                *x = match k % 5 {
                    0 => next(),
                    1 => 1.0 + 1e-6 * next(),
                    2 => (next() * 4.0).floor() * 0.25,
                    3 => 50.0 * next() - 25.0,
                    _ => next() * next() * next(),
                };
            }
            if k % 7 == 0 {
                u[4] = -30.0;
            }
            let reachable = default.iter().zip(&u).filter(|&(&p, _)| p > 0.0);
            let max = reachable.clone().map(|(_, &x)| x).fold(f64::NEG_INFINITY, f64::max);
            let best: f64 = reachable.filter(|&(_, &x)| x >= max - TIE).map(|(&p, _)| p).sum();
            let r = [1e-9, 1e-3, 0.5, 0.999, 1.0 - 1e-9, next()][k % 6];
            cases.push((default, u, -best.ln() * r));
        }
        for (default, u, power) in cases {
            let mut out = [0.0; 5];
            let info = tilt(&default, &u, power, &mut out);
            if info.beta == 0.0 || info.beta.is_infinite() {
                // No tilt (a tie) or the greedy policy: checked elsewhere.
                continue;
            }
            let said = format!("default {default:?}, utility {u:?}, power {power}: {info:?}");
            assert!((info.kl - power).abs() <= 1e-13 + 1e-11 * power, "{said}");
            assert!((kl_divergence(&out, &default) - power).abs() <= 1e-9 * power.max(1e-3), "{said} {out:?}");
            assert!((out.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{said}");
        }
    }

    #[test]
    fn large_power_is_greedy_and_splits_ties() {
        let mut out = [0.0; 5];
        let info = tilt(&UNIFORM5, &[1.0, 0.0, 1.0, 0.2, 0.0], 10.0, &mut out);
        assert_eq!(out, [0.5, 0.0, 0.5, 0.0, 0.0]);
        assert_eq!(info.beta, f64::INFINITY);
        assert!((info.kl - (2.5f64).ln()).abs() < 1e-12);
    }

    #[test]
    fn indifferent_agent_keeps_the_default() {
        let mut out = [0.0; 5];
        let info = tilt(&UNIFORM5, &[0.3; 5], 5.0, &mut out);
        assert_eq!(out, UNIFORM5);
        assert_eq!(info.kl, 0.0);
    }

    /// DESIGN.md §3: a standard Gaussian tilted by exp(β v·s) has mean βv and
    /// KL = β²v²/2. On a fine grid, the tilt with budget O must give β = √(2O)/|v|.
    #[test]
    fn gaussian_closed_form() {
        let n = 4001;
        let xs: Vec<f64> = (0..n).map(|i| -12.0 + 24.0 * i as f64 / (n - 1) as f64).collect();
        let mut q: Vec<f64> = xs.iter().map(|x| (-x * x / 2.0).exp()).collect();
        let z: f64 = q.iter().sum();
        q.iter_mut().for_each(|p| *p /= z);
        let v = 1.5;
        let u: Vec<f64> = xs.iter().map(|x| v * x).collect();
        for power in [0.05, 0.5, 2.0] {
            let mut out = vec![0.0; n];
            let info = tilt(&q, &u, power, &mut out);
            let beta = (2.0 * power).sqrt() / v;
            assert!((info.beta - beta).abs() < 1e-6, "{} vs {beta}", info.beta);
            let mean: f64 = out.iter().zip(&xs).map(|(p, x)| p * x).sum();
            assert!((mean - beta * v).abs() < 1e-6);
        }
    }
}
