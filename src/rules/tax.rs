//! Bracket taxes with equal redistribution (SED; DESIGN.md §3), in exact integers.
//!
//! Incomes, taxes and transfers are in milli-apples (1 apple = 1000). A schedule has lower
//! cutoffs `τ_0 = 0 < τ_1 < … < τ_{B−1}` (the last bracket has no top) and rates `φ_b`:
//!
//! ```text
//! T(a) = Σ_b φ_b · ((τ_{b+1} − τ_b)·1[a > τ_{b+1}] + (a − τ_b)·1[τ_b < a ≤ τ_{b+1}])
//! r_tax,i = a_i − T(a_i) + (1/n) Σ_j T(a_j)
//! ```
//!
//! **Rounding rule.** Rates are held as integer parts per million (a rate is rounded to the
//! nearest 0.000001), and each agent's tax is `⌊Σ_b φ_b·(amount in bracket b)⌋` milli-apples,
//! computed exactly in integers. The pool `S = Σ_j T(a_j)` is split equally: every agent gets
//! `⌊S/n⌋`, and the `S mod n` milli-apples left over go one each to the agents at positions
//! `k, k+1, …` (mod n) of the id-ordered list, where `k` is the period number mod n — so the
//! remainder rotates and no one is favoured over time. Taxes collected equal transfers paid,
//! to the milli-apple, every period.

/// Parts per million in a rate of 1.
pub const PPM: i64 = 1_000_000;

/// A tax schedule: bracket cutoffs and rates.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Schedule {
    /// Lower cutoff of each bracket in milli-apples; the first is 0, strictly increasing.
    pub cutoffs: Vec<i64>,
    /// Rate of each bracket in parts per million, 0..=1,000,000.
    pub rates: Vec<i64>,
}

/// A rate in [0, 1] as parts per million.
pub fn rate_ppm(rate: f64) -> i64 {
    (rate.clamp(0.0, 1.0) * PPM as f64).round() as i64
}

/// An amount in apples as milli-apples (rounded to the nearest).
pub fn milli(apples: f64) -> i64 {
    (apples * 1000.0).round() as i64
}

impl Schedule {
    /// A schedule from cutoffs in apples and rates in [0, 1].
    pub fn new(cutoffs: &[f64], rates: &[f64]) -> Schedule {
        Schedule {
            cutoffs: cutoffs.iter().map(|&c| milli(c)).collect(),
            rates: rates.iter().map(|&r| rate_ppm(r)).collect(),
        }
    }

    /// Number of brackets.
    pub fn brackets(&self) -> usize {
        self.cutoffs.len()
    }

    /// The tax on income `a` (milli-apples), and the part of it levied in each bracket, both
    /// before rounding down to whole milli-apples (in milli-apples × ppm).
    fn levy(&self, a: i64) -> (i128, Vec<i128>) {
        let mut total = 0i128;
        let mut parts = Vec::with_capacity(self.cutoffs.len());
        for b in 0..self.cutoffs.len() {
            let lo = self.cutoffs[b];
            let hi = self.cutoffs.get(b + 1).copied().unwrap_or(i64::MAX);
            let amount = (a.min(hi) - lo).max(0) as i128;
            let part = amount * self.rates[b] as i128;
            parts.push(part);
            total += part;
        }
        (total, parts)
    }

    /// `T(a)`: the tax on income `a`, in milli-apples, rounded down.
    pub fn tax(&self, a: i64) -> i64 {
        (self.levy(a).0 / PPM as i128) as i64
    }

    /// The tax on `a` split by bracket (each rounded down; the sum may fall short of
    /// [`Schedule::tax`] by the rounding, which is credited to the top bracket reached).
    pub fn tax_by_bracket(&self, a: i64) -> Vec<i64> {
        let (total, parts) = self.levy(a);
        let mut out: Vec<i64> = parts.iter().map(|p| (p / PPM as i128) as i64).collect();
        let short = (total / PPM as i128) as i64 - out.iter().sum::<i64>();
        if let Some(top) = parts.iter().rposition(|&p| p > 0) {
            out[top] += short;
        }
        out
    }

    /// The marginal rate (in [0, 1]) on the next unit of income at `a`.
    pub fn marginal_rate(&self, a: i64) -> f64 {
        let b = self.cutoffs.iter().rposition(|&c| a >= c).unwrap_or(0);
        self.rates[b] as f64 / PPM as f64
    }
}

/// SED's preset: brackets 1–10, 11–20, 21 and up (cutoffs 0, 10, 20), period 50.
pub const SED_CUTOFFS: [f64; 3] = [0.0, 10.0, 20.0];
/// SED's tax period in ticks.
pub const SED_PERIOD: u64 = 50;
/// The most brackets a tax schedule has.
pub const MAX_BRACKETS: usize = 16;
/// SED's rate grid: rates move in steps of 0.1.
pub const SED_STEP: f64 = 0.1;

/// The AI Economist's seven US-2018 brackets scaled by 1/1000.
pub const US2018_CUTOFFS: [f64; 7] = [0.0, 9.7, 39.475, 84.2, 160.725, 204.1, 510.3];
/// The US-2018 rates.
pub const US2018_RATES: [f64; 7] = [0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37];

/// Splits `pool` milli-apples equally among `n` agents by the rounding rule in the module
/// docs; `period` picks where the remainder starts. The result sums to `pool` exactly.
pub fn redistribute(pool: i64, n: usize, period: u64) -> Vec<i64> {
    if n == 0 {
        return Vec::new();
    }
    let base = pool.div_euclid(n as i64);
    let rest = pool.rem_euclid(n as i64) as usize;
    let mut out = vec![base; n];
    let start = (period % n as u64) as usize;
    for k in 0..rest {
        out[(start + k) % n] += 1;
    }
    out
}

/// What one more apple picked is worth to an agent under SED's reward, in apples: of the
/// apple, `1 − φ` stays with it and `φ` goes to the pool, of which the share `ρ` is paid back,
/// `ρφ/n` to each of the `n` agents, so
///
/// ```text
/// m = σ · (1 − φ + ρφ/n) + (1 − σ) · deg · ρφ/n
/// ```
///
/// where `φ` is the agent's marginal rate and `deg` its number of neighbours. Without taxes
/// (`φ = 0`) this is `σ`.
pub fn apple_share(sigma: f64, marginal_rate: f64, redistributed: f64, n: usize, degree: usize) -> f64 {
    let n = n.max(1) as f64;
    let phi = marginal_rate;
    let back = redistributed * phi / n;
    sigma * (1.0 - phi + back) + (1.0 - sigma) * degree as f64 * back
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sed_preset_by_hand() {
        // Rates 0.1, 0.2, 0.3 on cutoffs 0, 10, 20:
        //   a = 5:  0.1·5                      = 0.5
        //   a = 10: 0.1·10                     = 1.0
        //   a = 15: 0.1·10 + 0.2·5             = 2.0
        //   a = 25: 0.1·10 + 0.2·10 + 0.3·5    = 4.5
        //   a = 0:  0
        let s = Schedule::new(&SED_CUTOFFS, &[0.1, 0.2, 0.3]);
        assert_eq!(s.tax(milli(5.0)), 500);
        assert_eq!(s.tax(milli(10.0)), 1000);
        assert_eq!(s.tax(milli(15.0)), 2000);
        assert_eq!(s.tax(milli(25.0)), 4500);
        assert_eq!(s.tax(0), 0);
        assert_eq!(s.tax_by_bracket(milli(25.0)), vec![1000, 2000, 1500]);
        assert_eq!(s.marginal_rate(milli(9.0)), 0.1);
        assert_eq!(s.marginal_rate(milli(10.0)), 0.2);
        assert_eq!(s.marginal_rate(milli(30.0)), 0.3);
    }

    #[test]
    fn us2018_preset_by_hand() {
        let s = Schedule::new(&US2018_CUTOFFS, &US2018_RATES);
        // a = 100 (milli 100,000):
        //   0.10 · 9.7             = 0.97
        //   0.12 · (39.475 − 9.7)  = 0.12 · 29.775 = 3.573
        //   0.22 · (84.2 − 39.475) = 0.22 · 44.725 = 9.8395
        //   0.24 · (100 − 84.2)    = 0.24 · 15.8   = 3.792
        //   total                  = 18.1745 → 18,174 milli-apples (18,174.5 rounded down)
        assert_eq!(s.tax(milli(100.0)), 18_174);
        // a = 600: every bracket below 510.3 full, then 0.37 · 89.7:
        //   0.97 + 3.573 + 9.8395 + 0.24·76.525 (18.366) + 0.32·43.375 (13.88)
        //   + 0.35·306.2 (107.17) + 0.37·89.7 (33.189) = 186.9875 → 186,987
        assert_eq!(s.tax(milli(600.0)), 186_987);
        // a = 9.7 exactly is all in the first bracket: 0.97.
        assert_eq!(s.tax(milli(9.7)), 970);
        assert_eq!(s.marginal_rate(milli(500.0)), 0.35);
    }

    #[test]
    fn apple_share_values() {
        assert_eq!(apple_share(0.7, 0.0, 1.0, 7, 6), 0.7);
        // σ = 1, φ = 0.5, n = 5: keeps 0.5, gets back 0.1 → 0.6.
        assert!((apple_share(1.0, 0.5, 1.0, 5, 4) - 0.6).abs() < 1e-12);
        // σ = 0, complete graph of 5 (deg 4), φ = 0.5: neighbours get 4 · 0.1 = 0.4.
        assert!((apple_share(0.0, 0.5, 1.0, 5, 4) - 0.4).abs() < 1e-12);
        // Half the revenue kept by the principal: σ = 1 keeps 0.5 and gets back 0.05.
        assert!((apple_share(1.0, 0.5, 0.5, 5, 4) - 0.55).abs() < 1e-12);
    }

    #[test]
    fn redistribution_rotates_the_remainder_and_sums_exactly() {
        assert_eq!(redistribute(10, 3, 0), vec![4, 3, 3]);
        assert_eq!(redistribute(10, 3, 1), vec![3, 4, 3]);
        assert_eq!(redistribute(11, 3, 2), vec![4, 3, 4]);
        assert_eq!(redistribute(0, 4, 9), vec![0; 4]);
        assert_eq!(redistribute(5, 0, 0), Vec::<i64>::new());
    }
}
