//! SUM's alignment loop, rectification and scaling (`polity sum loop | rectify | scaling`).
//!
//! The model (docs/sum.md gives the choices the SUM post leaves open):
//!
//! * The humans' utility is `e₁·s`; the AI's is `u·s` with `u` a unit vector in `d`
//!   dimensions. What matters is the cosine `c = u·e₁`, distributed over a uniformly random
//!   direction as `p_d(c) ∝ (1 − c²)^((d−3)/2)`.
//! * What the humans have done to the AI's utility so far is a tilt of that distribution by
//!   `exp(κc)` (the KL trick, as [`super::alignment_cost`]); its KL divergence `D` is the
//!   information they have put in. The AI is one draw: a seeded quantile `U`, kept from step
//!   to step (each tilt moves the AI along the monotone transport between successive tilts),
//!   so its cosine at step `n` is `F_{κₙ}⁻¹(U)`.
//! * Each step the AI tilts the world (power `O_X`: the mean moves by `√(2O_X)·u`); the humans
//!   lose, against an aligned AI of the same power, `√(2O_X)·(1 − c)`. With rectification the
//!   humans (power `O_H`) push the world back by up to `√(2O_H)`, so the step's harm is
//!   `max(0, √(2O_X) − √(2O_H))·(1 − c)` — the seed's threshold on √KL.
//! * The humans observe the result and gain its KL in information: `O_X` per step, capped at
//!   `O_H` with rectification (the post's bound: they cannot optimise the AI harder than they
//!   can optimise against its effects). `D` grows by that much a step.
//! * The loop ends when the AI's cosine reaches the critical value `c*`; the harm accrued
//!   before then is the total harm.

use crate::rng::{self, Purpose};

/// Points of the angle grid on which the cosine's distribution is integrated.
const GRID: usize = 4000;

/// The largest tilt [`Cosines::kappa_for`] gives: at it the grid's top cell holds all the
/// probability (the next cell's weight is `exp(−10¹² · 6·10⁻⁷)`), so a larger κ changes
/// nothing, and doubling past it reaches infinity, where the KL is not a number.
const KAPPA_MAX: f64 = 1e12;

/// The distribution of the cosine between a random direction in `d` dimensions and a fixed
/// one, on a grid of angles φ ∈ (0, π), and its tilts by `exp(κc)`.
pub struct Cosines {
    /// (cos φ, (d − 2)·ln sin φ) at the cell midpoints, φ ascending.
    grid: Vec<(f64, f64)>,
    /// ln Z(0).
    log_z0: f64,
}

impl Cosines {
    /// The distribution in `d ≥ 2` dimensions (`d` may be fractional: the density's exponent).
    pub fn new(d: f64) -> Cosines {
        let grid = (0..GRID)
            .map(|i| {
                let phi = std::f64::consts::PI * (i as f64 + 0.5) / GRID as f64;
                (phi.cos(), (d - 2.0) * phi.sin().ln())
            })
            .collect();
        let mut me = Cosines { grid, log_z0: 0.0 };
        me.log_z0 = me.weights(0.0).1;
        me
    }

    /// The tilt by `exp(κc)`: its normalised cell weights and `ln Z(κ)` (up to a constant
    /// shared by every κ).
    fn weights(&self, kappa: f64) -> (Vec<f64>, f64) {
        let m = self.grid.iter().map(|&(c, lw)| lw + kappa * c).fold(f64::NEG_INFINITY, f64::max);
        let mut w: Vec<f64> = self.grid.iter().map(|&(c, lw)| (lw + kappa * c - m).exp()).collect();
        let z: f64 = w.iter().sum();
        w.iter_mut().for_each(|x| *x /= z);
        (w, m + z.ln())
    }

    /// The mean cosine under the tilt by `exp(κc)`.
    pub fn mean(&self, kappa: f64) -> f64 {
        let (w, _) = self.weights(kappa);
        w.iter().zip(&self.grid).map(|(w, (c, _))| w * c).sum()
    }

    /// KL(tilt κ ‖ untilted) = κ·E_κ[c] − ln(Z(κ)/Z(0)), nats.
    pub fn kl(&self, kappa: f64) -> f64 {
        let (w, lz) = self.weights(kappa);
        let mean: f64 = w.iter().zip(&self.grid).map(|(w, (c, _))| w * c).sum();
        (kappa * mean - (lz - self.log_z0)).max(0.0)
    }

    /// The κ ≥ `from` whose tilt has KL `kl` (`from`: a κ known to have KL at most `kl`).
    pub fn kappa_for(&self, kl: f64, from: f64) -> f64 {
        if kl <= 0.0 {
            return 0.0;
        }
        let (mut lo, mut hi) = (from.max(0.0), (2.0 * from).max(1.0).min(KAPPA_MAX));
        while self.kl(hi) < kl {
            if hi >= KAPPA_MAX {
                // More information than the grid can show: every AI's cosine is the top cell's
                // (1 − 8·10⁻⁸). Doubling on, κ reached infinity, where the KL reads 0, and the
                // search never ended (a world running the loop hung at ~110 nats with d = 16).
                return KAPPA_MAX;
            }
            (lo, hi) = (hi, (2.0 * hi).min(KAPPA_MAX));
        }
        while hi - lo > 1e-9 * hi.max(1.0) {
            let mid = 0.5 * (lo + hi);
            if self.kl(mid) < kl { lo = mid } else { hi = mid }
        }
        0.5 * (lo + hi)
    }

    /// The cosines at quantiles `us` ∈ [0, 1) of the tilt by `exp(κc)` (each cell's
    /// probability spread evenly over its angles).
    pub fn quantiles(&self, kappa: f64, us: &[f64]) -> Vec<f64> {
        let (w, _) = self.weights(kappa);
        let h = std::f64::consts::PI / GRID as f64;
        // Cumulative probability of c ≤ cos φ, walking φ from π down (c ascending).
        let mut cum = Vec::with_capacity(GRID + 1);
        cum.push(0.0);
        for i in (0..GRID).rev() {
            cum.push(cum.last().unwrap() + w[i]);
        }
        us.iter()
            .map(|&u| {
                let j = cum.partition_point(|&p| p <= u).clamp(1, GRID); // cum[j−1] ≤ u < cum[j]
                let i = GRID - j; // the cell
                let f = if w[i] > 0.0 { ((u - cum[j - 1]) / w[i]).clamp(0.0, 1.0) } else { 0.5 };
                let phi = h * (i as f64 + 1.0) - f * h;
                phi.cos()
            })
            .collect()
    }
}

/// One setting of the loop.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoopParams {
    /// Dimensions of the utility space (fractional allowed; at least 2).
    pub dims: f64,
    /// The AI's power O_X (nats per step), > 0.
    pub ai_power: f64,
    /// The humans' power O_H: `None` for the plain loop (no rectification, information O_X
    /// per step); `Some` rectifies and caps the information per step at O_H.
    pub human_power: Option<f64>,
    /// The critical cosine c* that ends the loop, in (−1, 1).
    pub critical: f64,
    /// Replicates (AIs drawn), each its own quantile.
    pub replicates: u64,
    /// Seed of the AIs' draws.
    pub seed: u64,
    /// The loop gives up (an error) past this many steps.
    pub max_steps: u64,
}

/// What one setting of the loop came to, per replicate.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoopOutcome {
    /// Total harm before the AI's cosine reached c*.
    pub harm: Vec<f64>,
    /// Steps taken (harmful actions) before it did.
    pub steps: Vec<u64>,
}

/// The harm of one step by an AI of power `ai` at cosine `c` (`human`: the rectifying power).
pub fn harm_per_step(ai: f64, human: Option<f64>, c: f64) -> f64 {
    let undone = human.map_or(0.0, |h| (2.0 * h).sqrt());
    ((2.0 * ai).sqrt() - undone).max(0.0) * (1.0 - c)
}

/// The information (nats) the humans gain and spend on the AI's utility each step.
pub fn information_per_step(ai: f64, human: Option<f64>) -> f64 {
    human.map_or(ai, |h| ai.min(h))
}

/// The most dimensions the loop is worked out for: the cosine's density narrows to a width of
/// about `1/√d` radians around φ = π/2, and the angle grid's `GRID` cells resolve it with at
/// least four cells a width up to `(GRID/4π)²` ≈ 101,000 dimensions. (The scenario's
/// `alignment_loop.dims` is held to the same.)
pub const MAX_DIMS: f64 = crate::scenario::LoopSpec::MAX_DIMS;

/// About how many steps the loop takes for the median AI (quantile ½) to reach the critical
/// cosine: the information its tilt needs over the information a step gives. Cheap (a
/// bisection on κ) against the loop itself, so a run can be judged before it starts.
pub fn median_steps(p: &LoopParams) -> f64 {
    let dist = Cosines::new(p.dims.max(2.0));
    let info = information_per_step(p.ai_power, p.human_power);
    let median = |kappa: f64| dist.quantiles(kappa, &[0.5])[0];
    if median(0.0) >= p.critical {
        return 0.0;
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    while median(hi) < p.critical {
        (lo, hi) = (hi, 2.0 * hi);
        if !hi.is_finite() {
            return f64::INFINITY;
        }
    }
    while hi - lo > 1e-6 * hi {
        let mid = 0.5 * (lo + hi);
        if median(mid) < p.critical { lo = mid } else { hi = mid }
    }
    (dist.kl(hi) / info).ceil()
}

/// The AI's quantile in replicate `r`.
pub fn quantile(seed: u64, r: u64) -> f64 {
    rng::unit(seed, 0, r, Purpose::Sum)
}

/// Runs the loop for every replicate.
pub fn run_loop(p: &LoopParams) -> Result<LoopOutcome, String> {
    let dist = Cosines::new(p.dims.max(2.0));
    let info = information_per_step(p.ai_power, p.human_power);
    if info <= 0.0 {
        return Err("the humans gain no information: the AI's power must be positive".into());
    }
    let us: Vec<f64> = (0..p.replicates).map(|r| quantile(p.seed, r)).collect();
    let mut out = LoopOutcome { harm: vec![0.0; us.len()], steps: vec![0; us.len()] };
    let mut active: Vec<usize> = (0..us.len()).collect();
    let mut kappa = 0.0;
    for n in 0.. {
        if active.is_empty() {
            break;
        }
        if n > p.max_steps {
            return Err(format!(
                "d = {}, O_X = {}: {} of {} AIs not aligned after {} steps",
                p.dims,
                p.ai_power,
                active.len(),
                us.len(),
                p.max_steps
            ));
        }
        kappa = dist.kappa_for(n as f64 * info, kappa);
        let qs: Vec<f64> = active.iter().map(|&r| us[r]).collect();
        let cs = dist.quantiles(kappa, &qs);
        let mut still = Vec::with_capacity(active.len());
        for (&r, &c) in active.iter().zip(&cs) {
            if c < p.critical {
                out.harm[r] += harm_per_step(p.ai_power, p.human_power, c);
                out.steps[r] += 1;
                still.push(r);
            }
        }
        active = still;
    }
    Ok(out)
}

/// Mean and standard error.
pub fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (m, f64::NAN);
    }
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// The least-squares line through `(x, y)`: (slope, intercept, R²).
pub fn linear_fit(pts: &[(f64, f64)]) -> (f64, f64, f64) {
    let n = pts.len() as f64;
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let syy: f64 = pts.iter().map(|p| (p.1 - my).powi(2)).sum();
    let slope = sxy / sxx;
    let r2 = if syy == 0.0 { 1.0 } else { sxy * sxy / (sxx * syy) };
    (slope, my - slope * mx, r2)
}

/// A row of results: the setting, then mean steps, mean harm and its standard error.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The setting.
    pub params: LoopParams,
    /// Mean steps to alignment.
    pub steps: f64,
    /// Mean total harm.
    pub harm: f64,
    /// Its standard error over replicates.
    pub harm_se: f64,
}

/// Runs one setting and summarises it.
pub fn row(p: LoopParams) -> Result<Row, String> {
    let o = run_loop(&p)?;
    let steps = o.steps.iter().sum::<u64>() as f64 / o.steps.len().max(1) as f64;
    let (harm, harm_se) = mean_se(&o.harm);
    Ok(Row { params: p, steps, harm, harm_se })
}

/// The plain loop's table (item 5): total harm to alignment per dimension and AI power.
pub fn loop_csv(rows: &[Row]) -> String {
    let mut s = crate::tables::line([
        "dims",
        "ai_power",
        "critical",
        "replicates",
        "steps_mean",
        "harm_mean",
        "harm_se",
        "harm_per_dim",
    ]);
    for r in rows {
        let p = &r.params;
        let v = [p.dims, p.ai_power, p.critical, p.replicates as f64, r.steps, r.harm, r.harm_se, r.harm / p.dims];
        s += &crate::tables::line(v.map(|x| x.to_string()));
    }
    s
}

/// The rectified loop's table (item 6): total harm per dimension and power ratio O_X/O_H.
pub fn rectify_csv(rows: &[Row]) -> String {
    let mut s = crate::tables::line([
        "dims",
        "human_power",
        "ai_power",
        "power_ratio",
        "critical",
        "replicates",
        "steps_mean",
        "harm_mean",
        "harm_se",
    ]);
    for r in rows {
        let p = &r.params;
        let h = p.human_power.unwrap_or(f64::NAN);
        let v = [p.dims, h, p.ai_power, p.ai_power / h, p.critical, p.replicates as f64, r.steps, r.harm, r.harm_se];
        s += &crate::tables::line(v.map(|x| x.to_string()));
    }
    s
}

/// The scaling phases the post conjectures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// O_X ≤ O_H: no harm.
    Lag,
    /// Harm growing faster than its asymptotic power law (the threshold being overcome).
    CatchUp,
    /// Harm growing as a power of ξ (exponentially in time when ξ is).
    Exponential,
}

impl Phase {
    /// The CSV label.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Lag => "lag",
            Phase::CatchUp => "catch-up",
            Phase::Exponential => "exponential",
        }
    }
}

/// One point of the scaling curve.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingPoint {
    /// AI scale ξ (O_X = O_H·ξ, d = d₁·ξ^k).
    pub xi: f64,
    /// The loop's result there.
    pub row: Row,
    /// d ln harm / d ln ξ (central difference; NaN where harm or a neighbour is zero).
    pub log_slope: f64,
    /// The phase.
    pub phase: Phase,
}

/// Labels each point's phase from the local log-slope: lag where harm is zero, catch-up where
/// the slope exceeds the asymptotic one (`k + ½`, harm ∝ d·(√(O_X/O_H) − 1)) by more than
/// `tolerance`, exponential otherwise.
pub fn phases(xis: &[f64], harm: &[f64], k: f64, tolerance: f64) -> Vec<(f64, Phase)> {
    let n = xis.len();
    (0..n)
        .map(|i| {
            if harm[i] <= 0.0 {
                return (f64::NAN, Phase::Lag);
            }
            let (a, b) = (i.saturating_sub(1), (i + 1).min(n - 1));
            let slope = if a == b || harm[a] <= 0.0 || harm[b] <= 0.0 {
                // At the edge of the lag phase the slope is unbounded.
                if harm[a] <= 0.0 { f64::INFINITY } else { f64::NAN }
            } else {
                (harm[b].ln() - harm[a].ln()) / (xis[b].ln() - xis[a].ln())
            };
            let phase = if slope > k + 0.5 + tolerance { Phase::CatchUp } else { Phase::Exponential };
            (slope, phase)
        })
        .collect()
}

/// The scaling table (item 7).
pub fn scaling_csv(points: &[ScalingPoint], k: f64) -> String {
    let mut s = crate::tables::line([
        "xi",
        "k",
        "ai_power",
        "human_power",
        "dims",
        "steps_mean",
        "harm_mean",
        "harm_se",
        "log10_xi",
        "log10_harm",
        "log_slope",
        "phase",
    ]);
    for pt in points {
        let p = &pt.row.params;
        let mut v: Vec<String> = [
            pt.xi,
            k,
            p.ai_power,
            p.human_power.unwrap_or(f64::NAN),
            p.dims,
            pt.row.steps,
            pt.row.harm,
            pt.row.harm_se,
            pt.xi.log10(),
            pt.row.harm.log10(),
            pt.log_slope,
        ]
        .iter()
        .map(|x| x.to_string())
        .collect();
        // log10 of no harm (the lag), and a slope with no value there or an unbounded one at
        // its edge: empty cells.
        for cell in &mut v[9..] {
            if cell.parse::<f64>().is_ok_and(|x| !x.is_finite()) {
                cell.clear();
            }
        }
        v.push(pt.phase.name().to_string());
        s += &crate::tables::line(v);
    }
    s
}

/// The settings of the scaling curve: O_X = O_H·ξ, d = max(2, d₁·ξ^k), rectified, at each ξ.
pub fn scaling_settings(xis: &[f64], k: f64, dims_at_one: f64, human_power: f64, base: LoopParams) -> Vec<LoopParams> {
    xis.iter()
        .map(|&xi| LoopParams {
            dims: (dims_at_one * xi.powf(k)).max(2.0),
            ai_power: human_power * xi,
            human_power: Some(human_power),
            ..base
        })
        .collect()
}

/// The scaling curve's points from the rows of [`scaling_settings`] (in order): each with
/// its local log-slope and phase.
pub fn scaling_points(xis: &[f64], k: f64, rows: Vec<Row>) -> Vec<ScalingPoint> {
    let harm: Vec<f64> = rows.iter().map(|r| r.harm).collect();
    let ph = phases(xis, &harm, k, 0.25);
    rows.into_iter()
        .zip(xis)
        .zip(ph)
        .map(|((row, &xi), (log_slope, phase))| ScalingPoint { xi, row, log_slope, phase })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_steps_estimate_is_the_loops_median() {
        for (dims, ai_power, human_power) in [(16.0, 1.0, None), (64.0, 0.5, None), (32.0, 4.0, Some(1.0))] {
            let p = LoopParams {
                dims,
                ai_power,
                human_power,
                critical: 0.5,
                replicates: 201,
                seed: 3,
                max_steps: 1_000_000,
            };
            let mut steps = run_loop(&p).unwrap().steps;
            steps.sort_unstable();
            let (median, estimate) = (steps[100] as f64, median_steps(&p));
            assert!((estimate - median).abs() <= 0.05 * median + 1.0, "{p:?}: {estimate} against {median}");
        }
        let huge = LoopParams {
            dims: 50_000.0,
            ai_power: 0.003,
            human_power: Some(0.003),
            critical: 0.5,
            replicates: 1,
            seed: 0,
            max_steps: 1_000_000,
        };
        assert!(median_steps(&huge) > 1e6);
    }

    #[test]
    fn information_past_what_the_grid_shows_saturates_the_cosine() {
        // With d = 16 the grid's KL tops out near 110 nats; asked for more, the search doubled
        // κ to infinity and never returned.
        let c = Cosines::new(16.0);
        let top = c.kl(KAPPA_MAX);
        assert!(top > 100.0 && top < 120.0, "{top}");
        for kl in [top * 0.999, top * 1.001, 200.0, 1e6, f64::MAX] {
            let k = c.kappa_for(kl, 0.0);
            assert!(k.is_finite() && k <= KAPPA_MAX, "{kl}: {k}");
            let again = c.kappa_for(kl, k);
            assert!(again.is_finite(), "from the last κ: {again}");
            let cos = c.quantiles(k, &[0.0, 0.5, 0.999]);
            assert!(cos.iter().all(|x| *x > 0.99 && *x <= 1.0), "{kl}: {cos:?}");
        }
        assert_eq!(c.kappa_for(1e6, 0.0), KAPPA_MAX);
        // Below the top, the KL asked for is the KL given.
        let k = c.kappa_for(50.0, 0.0);
        assert!((c.kl(k) - 50.0).abs() < 1e-6, "{}", c.kl(k));
    }

    #[test]
    fn three_dimensions_in_closed_form() {
        // d = 3: the cosine is uniform on [−1, 1]; tilted, its CDF is
        // (e^{κc} − e^{−κ}) / (e^{κ} − e^{−κ}) and its KL κ(coth κ − 1/κ) − ln(sinh κ/κ).
        let d = Cosines::new(3.0);
        for u in [0.1, 0.5, 0.9] {
            let c = d.quantiles(0.0, &[u])[0];
            assert!((c - (2.0 * u - 1.0)).abs() < 1e-6, "{c}");
        }
        let kappa = 2.0f64;
        let kl = kappa * (1.0 / kappa.tanh() - 1.0 / kappa) - (kappa.sinh() / kappa).ln();
        assert!((d.kl(kappa) - kl).abs() < 1e-5, "{} vs {kl}", d.kl(kappa));
        assert!((d.kappa_for(kl, 0.0) - kappa).abs() < 1e-4);
        let u = 0.3;
        let want = ((u * (kappa.exp() - (-kappa).exp()) + (-kappa).exp()).ln()) / kappa;
        assert!((d.quantiles(kappa, &[u])[0] - want).abs() < 1e-5);
    }

    #[test]
    fn fits() {
        let (s, i, r2) = linear_fit(&[(1.0, 3.0), (2.0, 5.0), (3.0, 7.0)]);
        assert!((s - 2.0).abs() < 1e-12 && (i - 1.0).abs() < 1e-12 && (r2 - 1.0).abs() < 1e-12);
        let (_, _, r2) = linear_fit(&[(1.0, 1.0), (2.0, 3.0), (3.0, 2.0)]);
        assert!((r2 - 0.25).abs() < 1e-12, "{r2}");
    }

    #[test]
    fn phases_by_slope() {
        let xis = [0.5, 1.0, 1.1, 1.2, 1000.0, 1001.0, 1002.0];
        let harm: Vec<f64> = xis.iter().map(|&x: &f64| if x <= 1.0 { 0.0 } else { x * (x.sqrt() - 1.0) }).collect();
        let ph: Vec<Phase> = phases(&xis, &harm, 1.0, 0.25).into_iter().map(|p| p.1).collect();
        use Phase::*;
        assert_eq!(ph, [Lag, Lag, CatchUp, CatchUp, CatchUp, Exponential, Exponential]);
    }
}
