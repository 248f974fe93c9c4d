//! Summary statistics: means, confidence intervals, Welch and paired t-tests.
//!
//! Everything here is plain `f64` arithmetic with no dependencies. Student's t distribution
//! is computed through the regularized incomplete beta function (Lentz's continued fraction,
//! with `ln Γ` from a Lanczos approximation), which is accurate to about 1e-12; its inverse
//! is found by bisection.

/// The arithmetic mean; NaN for an empty sample.
pub fn mean(xs: &[f64]) -> f64 {
    let m = xs.iter().sum::<f64>() / xs.len() as f64;
    if !m.is_infinite() || !xs.iter().all(|x| x.is_finite()) {
        return m;
    }
    // Finite values whose sum overflows (two near 1e308): summed scaled down, so their mean
    // is the finite number it is (it read `inf`). Sums that fit are as they were, bit for bit.
    xs.iter().map(|x| x / xs.len() as f64).sum()
}

/// The sample standard deviation (divisor n − 1); NaN for fewer than two values.
pub fn sd(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return f64::NAN;
    }
    let m = mean(xs);
    let ss: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum();
    let sd = (ss / (xs.len() - 1) as f64).sqrt();
    if !sd.is_infinite() || !m.is_finite() {
        return sd;
    }
    // Deviations whose squares overflow: taken relative to the largest, then scaled back.
    let big = xs.iter().map(|x| (x - m).abs()).fold(0.0, f64::max);
    let ss: f64 = xs.iter().map(|x| ((x - m) / big) * ((x - m) / big)).sum();
    big * (ss / (xs.len() - 1) as f64).sqrt()
}

/// A sample's size, mean, standard deviation and 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Their mean (NaN when `n` is 0).
    pub mean: f64,
    /// Their sample standard deviation (NaN when `n` < 2).
    pub sd: f64,
    /// Half-width of the 95% confidence interval of the mean, t₀.₉₇₅,ₙ₋₁ · sd / √n: the
    /// interval is `mean ± half_width`. NaN when `n` < 2 (one value says nothing about
    /// spread); 0 when every value is equal.
    pub half_width: f64,
}

impl Summary {
    /// Summarizes `xs`.
    pub fn of(xs: &[f64]) -> Summary {
        let n = xs.len();
        let sd = sd(xs);
        let half_width = if n < 2 { f64::NAN } else { t_quantile(0.975, (n - 1) as f64) * sd / (n as f64).sqrt() };
        Summary { n, mean: mean(xs), sd, half_width }
    }
}

/// The result of Welch's unequal-variances t-test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WelchTest {
    /// (mean(a) − mean(b)) / √(s²ₐ/nₐ + s²ᵦ/nᵦ).
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom; NaN when both samples have zero variance.
    pub df: f64,
    /// Two-sided p-value: the chance of a |t| at least this large if the means were equal.
    pub p_two_sided: f64,
}

/// Welch's t-test of whether `a` and `b` have the same mean, without assuming equal variances.
///
/// Each sample needs at least two values (otherwise every field is NaN). When both samples
/// have zero variance the test is degenerate; we define p = 1 (t = 0) when their means are
/// equal and p = 0 (t = ±∞) when they differ, since the samples then certainly do or do not
/// differ.
pub fn welch(a: &[f64], b: &[f64]) -> WelchTest {
    let (na, nb) = (a.len() as f64, b.len() as f64);
    if a.len() < 2 || b.len() < 2 {
        return WelchTest { t: f64::NAN, df: f64::NAN, p_two_sided: f64::NAN };
    }
    let (ma, mb) = (mean(a), mean(b));
    let (va, vb) = (sd(a).powi(2) / na, sd(b).powi(2) / nb);
    let se2 = va + vb;
    if se2 == 0.0 {
        let differ = ma != mb;
        return WelchTest {
            t: if differ { (ma - mb).signum() * f64::INFINITY } else { 0.0 },
            df: f64::NAN,
            p_two_sided: if differ { 0.0 } else { 1.0 },
        };
    }
    let t = (ma - mb) / se2.sqrt();
    let df = se2 * se2 / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    WelchTest { t, df, p_two_sided: (2.0 * student_t_cdf(-t.abs(), df)).min(1.0) }
}

/// The paired t-test of `b` against `a`, value by value (`b[i]` and `a[i]` measured under the
/// same seed): the differences `b[i] − a[i]` summarised, and the two-sided p-value of their mean
/// being 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairedTest {
    /// The differences `b − a`: their mean and its 95% confidence interval.
    pub diff: Summary,
    /// mean(d) / (sd(d) / √n), with n − 1 degrees of freedom.
    pub t: f64,
    /// Two-sided p-value: the chance of a |t| at least this large if B and A were alike.
    pub p_two_sided: f64,
}

/// The paired t-test of `b` against `a` (equal lengths; see [`PairedTest`]). Sharing seeds
/// makes the two sides' values move together (common random numbers), and this test counts
/// each seed's difference once, where [`welch`] treats the sides as unrelated samples and
/// loses that. NaN for fewer than two pairs. When every difference is the same, p = 1 when it
/// is 0 and p = 0 (t = ±∞) otherwise, as in [`welch`].
pub fn paired(a: &[f64], b: &[f64]) -> PairedTest {
    assert_eq!(a.len(), b.len(), "a paired test pairs values one to one");
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let diff = Summary::of(&d);
    if d.len() < 2 {
        return PairedTest { diff, t: f64::NAN, p_two_sided: f64::NAN };
    }
    if diff.sd == 0.0 {
        let differ = diff.mean != 0.0;
        return PairedTest {
            diff,
            t: if differ { diff.mean.signum() * f64::INFINITY } else { 0.0 },
            p_two_sided: if differ { 0.0 } else { 1.0 },
        };
    }
    let t = diff.mean / (diff.sd / (d.len() as f64).sqrt());
    let p = (2.0 * student_t_cdf(-t.abs(), (d.len() - 1) as f64)).min(1.0);
    PairedTest { diff, t, p_two_sided: if t.is_nan() { f64::NAN } else { p } }
}

/// P(T ≤ t) for Student's t distribution with `df` > 0 degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t == 0.0 {
        return 0.5;
    }
    // P(T ≤ −|t|) = ½ I_{df/(df+t²)}(df/2, 1/2).
    let tail = 0.5 * inc_beta(df / 2.0, 0.5, df / (df + t * t));
    if t > 0.0 { 1.0 - tail } else { tail }
}

/// The `p`-quantile of Student's t distribution with `df` > 0 degrees of freedom: the `t` with
/// `student_t_cdf(t, df) == p`. NaN unless 0 < p < 1.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if p < 0.5 {
        return -t_quantile(1.0 - p, df);
    }
    if p == 0.5 {
        return 0.0;
    }
    // Bracket the root in [0, hi], then bisect to full precision.
    let mut hi = 2.0;
    while student_t_cdf(hi, df) < p {
        hi *= 2.0;
        if hi > 1e300 {
            return f64::INFINITY;
        }
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid == lo || mid == hi {
            break;
        }
        if student_t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1.
fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    // The continued fraction converges fast for x < (a+1)/(a+b+2); use symmetry otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_cf(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_cf(b, a, 1.0 - x) / b
    }
}

/// The continued fraction for I_x(a, b), by the modified Lentz method.
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let clamp = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / clamp(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..10_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        // Even step.
        let aa = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 / clamp(1.0 + aa * d);
        c = clamp(1.0 + aa / c);
        h *= d * c;
        // Odd step.
        let aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 / clamp(1.0 + aa * d);
        c = clamp(1.0 + aa / c);
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, nine coefficients; relative error ~1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    #[test]
    fn huge_finite_values_have_a_finite_mean_and_sd() {
        use super::*;
        let xs = [1.5e308, 1.7e308];
        assert!((mean(&xs) - 1.6e308).abs() < 1e293, "{}", mean(&xs));
        let sd = sd(&xs);
        assert!((sd - 0.2e308 / 2f64.sqrt()).abs() < 1e293, "{sd}");
        // Ordinary values: the plain sum, bit for bit.
        let ys = [0.1, 0.2, 0.3];
        assert_eq!(mean(&ys), (0.1 + 0.2 + 0.3) / 3.0);
        assert!(mean(&[f64::INFINITY, 1.0]).is_infinite());
    }

    use super::*;

    fn close(got: f64, want: f64, tol: f64) {
        assert!((got - want).abs() <= tol, "got {got}, want {want} (±{tol})");
    }

    #[test]
    fn paired_tests_match_scipy() {
        // scipy.stats.ttest_rel(b, a), and the mean difference's t-interval.
        let t = paired(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 2.0, 5.0, 4.0, 7.0]);
        close(t.t, 2.23606797749979, 1e-12);
        close(t.p_two_sided, 0.08900934250008567, 1e-10);
        let (a, b) = ([1.0, 2.5, 3.3, 4.2, 5.0, 0.1, 0.2], [3.1, 2.4, 5.9, 4.0, 7.7, 1.2, 0.5]);
        let t = paired(&a, &b);
        close(t.t, 2.5547306315577245, 1e-12);
        close(t.p_two_sided, 0.04321429032062185, 1e-10);
        close(t.diff.mean, 1.2142857142857146, 1e-12);
        close(t.diff.half_width, 1.1630385091323956, 1e-9);
        // Welch on the same values sees no difference: the pairing is what finds it.
        assert!(welch(&b, &a).p_two_sided > 0.2);
        // Every difference the same; one pair.
        assert_eq!(paired(&[1.0, 2.0], &[2.0, 3.0]).p_two_sided, 0.0);
        assert_eq!(paired(&[1.0, 2.0], &[1.0, 2.0]).p_two_sided, 1.0);
        assert!(paired(&[1.0], &[2.0]).p_two_sided.is_nan());
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        close(ln_gamma(1.0), 0.0, 1e-14);
        close(ln_gamma(5.0), 24f64.ln(), 1e-13);
        close(ln_gamma(0.5), std::f64::consts::PI.sqrt().ln(), 1e-13);
        close(ln_gamma(101.0), 363.739_375_555_563_5, 1e-9);
    }

    #[test]
    fn t_quantiles_match_tables() {
        // Reference values from t tables, checked with mpmath (30 digits).
        close(t_quantile(0.975, 1.0), 12.706_204_736_174_7, 1e-9);
        close(t_quantile(0.975, 2.0), 4.302_652_729_749_46, 1e-9);
        close(t_quantile(0.975, 5.0), 2.570_581_835_636_31, 1e-9);
        close(t_quantile(0.975, 10.0), 2.228_138_851_986_27, 1e-9);
        close(t_quantile(0.975, 30.0), 2.042_272_456_301_24, 1e-9);
        close(t_quantile(0.975, 1000.0), 1.962_339_080_826_41, 1e-9);
        close(t_quantile(0.025, 5.0), -2.570_581_835_636_31, 1e-9);
        assert_eq!(t_quantile(0.5, 3.0), 0.0);
        assert!(t_quantile(1.0, 3.0).is_nan() && t_quantile(0.0, 3.0).is_nan());
        // df = 1 is the Cauchy distribution: the quantile is tan(π(p − ½)).
        close(t_quantile(0.999, 1.0), (std::f64::consts::PI * 0.499).tan(), 1e-7);
    }

    #[test]
    fn t_cdf_matches_reference_values() {
        close(student_t_cdf(2.0, 5.0), 0.949_030_260_585_070_8, 1e-12);
        close(student_t_cdf(-2.0, 5.0), 1.0 - 0.949_030_260_585_070_8, 1e-12);
        close(student_t_cdf(0.0, 7.0), 0.5, 0.0);
        // Cauchy: ½ + atan(t)/π.
        close(student_t_cdf(3.0, 1.0), 0.5 + 3f64.atan() / std::f64::consts::PI, 1e-12);
        // Large df approaches the normal: Φ(1.96) = 0.975002104851780.
        close(student_t_cdf(1.96, 1e7), 0.975_002_104_851_78, 1e-7);
    }

    #[test]
    fn mean_sd_and_summary() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&xs), 5.0);
        close(sd(&xs), (32.0f64 / 7.0).sqrt(), 1e-12);
        let s = Summary::of(&xs);
        assert_eq!(s.n, 8);
        close(s.half_width, 2.364_624_251_592_785 * (32.0f64 / 7.0).sqrt() / 8f64.sqrt(), 1e-9);
        let one = Summary::of(&[3.0]);
        assert_eq!((one.n, one.mean), (1, 3.0));
        assert!(one.sd.is_nan() && one.half_width.is_nan());
        assert_eq!(Summary::of(&[1.5; 4]).half_width, 0.0);
        assert!(mean(&[]).is_nan());
    }

    #[test]
    fn welch_matches_a_hand_computation() {
        let a = [19.8, 20.4, 19.6, 17.8, 18.5, 18.9, 18.3, 18.9, 19.5, 22.0];
        let b = [
            28.2, 26.6, 20.1, 23.3, 25.2, 22.1, 17.7, 27.6, 20.6, 13.7, 23.2, 17.5, 20.6, 18.0, 23.9, 21.6, 24.3, 20.4,
            23.9, 13.3,
        ];
        // By hand: mean a = 193.7/10 = 19.37, s²a = 13.041/9 = 1.449;
        // mean b = 431.8/20 = 21.59, s²b = 323.058/19 = 17.00305.
        // s²a/na = 0.1449, s²b/nb = 0.8501526; sum 0.9950526, √ = 0.9975232.
        // t = (19.37 − 21.59)/0.9975232 = −2.225512.
        // df = 0.9950526² / (0.1449²/9 + 0.8501526²/19)
        //    = 0.9901297 / (0.0023329 + 0.0380391) = 24.52463.
        // p = 2·P(T₂₄.₅₂ ≤ −2.225512) = 0.0354845 (mpmath's betainc agrees to 12 digits).
        // (Wikipedia's "Welch's t-test" example quotes df ≈ 24.99 for this data; the
        // Welch–Satterthwaite formula gives 24.52.)
        let w = welch(&a, &b);
        close(w.t, -2.225_512_039_969_85, 1e-9);
        close(w.df, 24.524_634_944_257_3, 1e-9);
        close(w.p_two_sided, 0.035_484_530_830_010_6, 1e-9);
        // Swapping the samples flips t and keeps p.
        let r = welch(&b, &a);
        close(r.t, -w.t, 1e-12);
        close(r.p_two_sided, w.p_two_sided, 1e-12);
    }

    #[test]
    fn welch_degenerate_cases() {
        let same = welch(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]);
        assert_eq!((same.t, same.p_two_sided), (0.0, 1.0));
        let flat = welch(&[4.0; 5], &[4.0; 5]);
        assert_eq!((flat.t, flat.p_two_sided), (0.0, 1.0));
        let apart = welch(&[4.0; 5], &[6.0; 5]);
        assert_eq!((apart.t, apart.p_two_sided), (f64::NEG_INFINITY, 0.0));
        // One flat sample: df is the other's n − 1.
        let half = welch(&[4.0; 5], &[5.0, 6.0, 7.0]);
        close(half.df, 2.0, 1e-12);
        assert!(welch(&[1.0], &[1.0, 2.0]).p_two_sided.is_nan());
    }
}
