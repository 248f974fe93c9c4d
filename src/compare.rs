//! Comparing two scenarios over many seeds: does policy B beat policy A?
//!
//! [`compare`] runs both scenarios once per seed (in parallel, results kept in job order so
//! the output does not depend on the thread count), then summarizes every end-of-run metric
//! the two have in common as mean ± 95% confidence interval per scenario, the difference
//! B − A with its own interval and the paired t-test's two-sided p-value (both sides ran the
//! same seeds, so each seed's B − A is one observation), and Welch's p for reference
//! ([`crate::stats`]). [`Comparison`] prints as an
//! aligned text table and [`Comparison::to_csv`] gives the same table as CSV.

use std::fmt;
use std::io;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::run::{self, Discard, RunOptions, RunSummary};
use crate::scenario::Scenario;
use crate::stats::{self, PairedTest, Summary, WelchTest};

/// A difference is marked significant when the paired test's two-sided p is below this.
pub const ALPHA: f64 = 0.05;

/// One metric compared between the two scenarios.
#[derive(Clone, Debug)]
pub struct Row {
    /// The metric column.
    pub metric: String,
    /// Its end-of-run values in A, summarized over the seeds.
    pub a: Summary,
    /// The same for B.
    pub b: Summary,
    /// The paired t-test of B against A, seed by seed: B − A's mean, its 95% interval, p.
    pub paired: PairedTest,
    /// Welch's test of A against B (`t` is positive when A's mean is larger): the sides as
    /// unrelated samples, which throws away that they share seeds (kept for reference).
    pub test: WelchTest,
    /// Its end-of-run value in A for each seed, in the order of [`Comparison::seeds`].
    pub a_values: Vec<f64>,
    /// The same for B.
    pub b_values: Vec<f64>,
}

impl Row {
    /// Mean of B minus mean of A.
    pub fn diff(&self) -> f64 {
        self.b.mean - self.a.mean
    }

    /// Whether the paired test's p < [`ALPHA`] (false when p is undefined).
    pub fn significant(&self) -> bool {
        self.paired.p_two_sided < ALPHA
    }
}

/// The result of [`compare`].
#[derive(Clone, Debug)]
pub struct Comparison {
    /// How scenario A is named in the table (its scenario name; callers may relabel it).
    pub a_label: String,
    /// How scenario B is named in the table.
    pub b_label: String,
    /// Ticks each A run and each B run lasted.
    pub ticks: (u64, u64),
    /// The seeds, each run once per scenario.
    pub seeds: Vec<u64>,
    /// The metrics both scenarios have, in A's column order.
    pub rows: Vec<Row>,
    /// Metrics only A has (not compared).
    pub only_a: Vec<String>,
    /// Metrics only B has (not compared).
    pub only_b: Vec<String>,
}

/// Runs `a` and `b` once for each seed in `seeds`, in parallel on the thread pool
/// ([`crate::parallel`]), and compares their end-of-run metrics. `ticks` overrides each
/// scenario's own `run.ticks`. With no seeds nothing runs and the table is empty.
/// `progress(done, total)` is called (from the workers) after each finished run.
pub fn compare(
    a: &Scenario,
    b: &Scenario,
    seeds: &[u64],
    ticks: Option<u64>,
    progress: impl Fn(usize, usize) + Sync,
) -> io::Result<Comparison> {
    use rayon::prelude::*;
    let scenarios = [a, b];
    let ticks_of = |s: &Scenario| ticks.unwrap_or(s.run.ticks);
    let total = 2 * seeds.len();
    let done = AtomicUsize::new(0);
    // Job j runs scenario j % 2 with seed j / 2, so A and B advance together; results are
    // kept in job order whatever the number of threads.
    // The first error (an interrupt) stops the jobs not yet started: a comparison of a million
    // seeds stops at once, not after starting every run to find it stopped.
    let results: Vec<RunSummary> = (0..total)
        .into_par_iter()
        .map(|j| {
            crate::outputs::check_interrupt()?;
            let s = scenarios[j % 2];
            let opts = RunOptions { ticks: ticks_of(s), seed: seeds[j / 2] };
            let r = run::run_with(s, &opts, &mut Discard, |_| {});
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            r
        })
        .collect::<io::Result<_>>()?;
    let mut runs: [Vec<RunSummary>; 2] = [Vec::new(), Vec::new()];
    for (j, r) in results.into_iter().enumerate() {
        runs[j % 2].push(r);
    }
    // Column names as plain strings (whatever type the metrics log uses for them).
    let columns = |rs: &[RunSummary]| -> Vec<String> {
        rs.first().map(|r| r.columns.iter().map(|c| c.to_string()).collect()).unwrap_or_default()
    };
    let (cols_a, cols_b) = (columns(&runs[0]), columns(&runs[1]));
    let only =
        |xs: &[String], ys: &[String]| -> Vec<String> { xs.iter().filter(|x| !ys.contains(x)).cloned().collect() };
    let values =
        |rs: &[RunSummary], c: &str| -> Vec<f64> { rs.iter().map(|r| r.metric(c).unwrap_or(f64::NAN)).collect() };
    let rows = cols_a
        .iter()
        .filter(|c| cols_b.contains(c))
        .map(|metric| {
            let (va, vb) = (values(&runs[0], metric), values(&runs[1], metric));
            Row {
                metric: metric.clone(),
                a: Summary::of(&va),
                b: Summary::of(&vb),
                paired: stats::paired(&va, &vb),
                test: stats::welch(&va, &vb),
                a_values: va,
                b_values: vb,
            }
        })
        .collect();
    Ok(Comparison {
        a_label: a.name.clone(),
        b_label: b.name.clone(),
        ticks: (ticks_of(a), ticks_of(b)),
        seeds: seeds.to_vec(),
        rows,
        only_a: only(&cols_a, &cols_b),
        only_b: only(&cols_b, &cols_a),
    })
}

impl Comparison {
    /// The table as CSV: a header, then one row per compared metric. `a_ci95`/`b_ci95` are the
    /// 95% confidence half-widths, `diff` is B − A and `diff_ci95` its half-width over the
    /// seeds' differences, `p_value` the paired test's and `significant` whether it is below
    /// [`ALPHA`], `p_welch` Welch's, `n` the number of seeds. Numbers are
    /// written in their shortest round-trip form, with an exponent when very small or large
    /// (`8.5e-9`), and `NaN` where undefined. Each row also says what was compared, so the
    /// file stands on its own (a table without them could not be told from another's): `a`
    /// and `b` as the header names them (the policies each plays included), the `seeds`
    /// (`0..20`, or a list), each side's ticks and the Polity that ran them.
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = [
            "metric",
            "a_mean",
            "a_ci95",
            "b_mean",
            "b_ci95",
            "diff",
            "diff_ci95",
            "p_value",
            "significant",
            "p_welch",
            "n",
            "a",
            "b",
            "seeds",
            "a_ticks",
            "b_ticks",
            "polity_version",
        ];
        let seeds = seeds_label(&self.seeds);
        let mut rows = vec![header.map(String::from).to_vec()];
        for r in &self.rows {
            rows.push(vec![
                r.metric.clone(),
                crate::tables::real(r.a.mean),
                crate::tables::real(r.a.half_width),
                crate::tables::real(r.b.mean),
                crate::tables::real(r.b.half_width),
                crate::tables::real(r.diff()),
                crate::tables::real(r.paired.diff.half_width),
                crate::tables::real(r.paired.p_two_sided),
                r.significant().to_string(),
                crate::tables::real(r.test.p_two_sided),
                self.seeds.len().to_string(),
                self.a_label.clone(),
                self.b_label.clone(),
                seeds.clone(),
                self.ticks.0.to_string(),
                self.ticks.1.to_string(),
                crate::VERSION.to_string(),
            ]);
        }
        for row in rows {
            w.write_record(&row).expect("writing to memory");
        }
        String::from_utf8(w.into_inner().expect("writing to memory")).expect("UTF-8 in, UTF-8 out")
    }

    /// Every seed's end-of-run values as CSV, for an analysis of one's own: a header, then
    /// one row per seed and compared metric (seeds in the order run, metrics in the table's
    /// order): `seed`, `metric`, `a_value`, `b_value` and `diff` (B − A, the observation the
    /// paired test takes), then what was compared as [`Comparison::to_csv`] says it (`a`, `b`,
    /// `a_ticks`, `b_ticks`, `polity_version`). Numbers as in `to_csv`.
    pub fn per_seed_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = ["seed", "metric", "a_value", "b_value", "diff", "a", "b", "a_ticks", "b_ticks", "polity_version"];
        w.write_record(header).expect("writing to memory");
        let (a_ticks, b_ticks) = (self.ticks.0.to_string(), self.ticks.1.to_string());
        for (k, seed) in self.seeds.iter().enumerate() {
            let seed = seed.to_string();
            for r in &self.rows {
                let (a, b) = (r.a_values[k], r.b_values[k]);
                let row = [
                    seed.as_str(),
                    &r.metric,
                    &crate::tables::real(a),
                    &crate::tables::real(b),
                    &crate::tables::real(b - a),
                    &self.a_label,
                    &self.b_label,
                    &a_ticks,
                    &b_ticks,
                    crate::VERSION,
                ];
                w.write_record(row).expect("writing to memory");
            }
        }
        String::from_utf8(w.into_inner().expect("writing to memory")).expect("UTF-8 in, UTF-8 out")
    }
}

/// `0..8` for consecutive seeds (`5..6` for one: the same form in every file), otherwise
/// the list.
fn seeds_label(seeds: &[u64]) -> String {
    match (seeds.first(), seeds.last()) {
        (Some(&f), Some(&l)) if seeds.windows(2).all(|w| w[1] == w[0] + 1) => match l.checked_add(1) {
            Some(end) => format!("{f}..{end}"),
            None => format!("{f}..={l}"),
        },
        _ => seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(","),
    }
}

/// Formats `x` with `decimals` places; `n/a` for NaN; a value that rounds to zero without
/// its sign (`-6e-17`, a rounding residue, read `-0.000`).
fn num(x: f64, decimals: usize) -> String {
    if x.is_nan() { "n/a".into() } else { crate::tables::unsigned_zero(format!("{x:.decimals$}")) }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.seeds.len();
        let ticks = if self.ticks.0 == self.ticks.1 {
            crate::plural(self.ticks.0, "tick")
        } else {
            format!("A {}, B {}", crate::plural(self.ticks.0, "tick"), crate::plural(self.ticks.1, "tick"))
        };
        writeln!(f, "A: {}", self.a_label)?;
        writeln!(f, "B: {}", self.b_label)?;
        writeln!(
            f,
            "seeds {} ({n} run{} each) · {ticks} · end-of-run values, mean ± 95% CI",
            seeds_label(&self.seeds),
            if n == 1 { "" } else { "s" }
        )?;
        writeln!(f)?;
        let mut table = vec![["metric".to_string(), "A".into(), "B".into(), "B − A".into(), "p".into(), String::new()]];
        // A difference with its sign, but none on a zero (`-0.000` said B was below A).
        let shown = |x: f64, d: usize| {
            if x.is_nan() { "n/a".to_string() } else { crate::tables::unsigned_zero(format!("{x:+.d$}")) }
        };
        for r in &self.rows {
            // Enough decimals for about four significant digits of the larger mean.
            let big = r.a.mean.abs().max(r.b.mean.abs());
            let d = if big >= 1.0 && big.is_finite() { 3usize.saturating_sub(big.log10().floor() as usize) } else { 3 };
            let p = r.paired.p_two_sided;
            table.push([
                r.metric.to_string(),
                format!("{} ± {}", num(r.a.mean, d), num(r.a.half_width, d)),
                format!("{} ± {}", num(r.b.mean, d), num(r.b.half_width, d)),
                if n < 2 {
                    shown(r.diff(), d)
                } else {
                    format!("{} ± {}", shown(r.diff(), d), num(r.paired.diff.half_width, d))
                },
                if p < 0.001 { "<0.001".into() } else { num(p, 3) },
                if r.significant() { "*".into() } else { String::new() },
            ]);
        }
        let width = |i: usize| table.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
        let widths: Vec<usize> = (0..5).map(width).collect();
        for r in &table {
            let line = format!(
                "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {:>w4$}  {}",
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2],
                w3 = widths[3],
                w4 = widths[4],
            );
            writeln!(f, "{}", line.trim_end())?;
        }
        writeln!(f)?;
        if n < 2 {
            // No p-value was computed, so no row is marked: the legend of the mark would be noise.
            write!(f, "One seed gives no confidence intervals or p-values; use --seeds 0..10 or more.")?;
        } else {
            write!(
                f,
                "* p < {ALPHA} (paired t-test, two-sided): a difference this large is unlikely by chance alone.\n  \
                 Both sides ran each seed, so each seed's B − A is one observation; B − A's ± is its 95% interval."
            )?;
        }
        for (who, cols) in [("A", &self.only_a), ("B", &self.only_b)] {
            if !cols.is_empty() {
                write!(f, "\nOnly in {who} (not compared): {}", cols.join(", "))?;
            }
        }
        Ok(())
    }
}

/// The most seeds one `--seeds` holds (each seed's results are kept until the table is made).
pub const MAX_SEEDS: u64 = 1_000_000;

/// Parses `--seeds`, the same in every command: a count such as `20` (seeds 0 to 19), a range
/// `0..20` (end exclusive) or `0..=19`; one seed is `7..=7`.
pub fn parse_seeds(s: &str) -> Result<Range<u64>, String> {
    const FORMS: &str =
        "expected a count such as 20 (seeds 0 to 19), a range 0..20 (end exclusive) or 0..=19; one seed: 7..=7";
    let bad = || format!("`{s}` is not a seed count or range; {FORMS}");
    let n = |x: &str| x.trim().parse::<u64>().map_err(|_| bad());
    let range = if let Some((lo, hi)) = s.split_once("..=") {
        let hi = n(hi)?;
        let end = hi.checked_add(1).ok_or_else(|| {
            format!("`{s}`: the last seed of `..=` can be at most {} (one below the largest u64)", u64::MAX - 1)
        })?;
        n(lo)?..end
    } else if let Some((lo, hi)) = s.split_once("..") {
        n(lo)?..n(hi)?
    } else {
        0..n(s)?
    };
    if range.is_empty() {
        return Err(format!("`{s}` holds no seeds; {FORMS}"));
    }
    if range.end - range.start > MAX_SEEDS {
        return Err(format!(
            "`{s}` holds {} seeds, more than the {MAX_SEEDS} one command runs; split it into ranges (0..{MAX_SEEDS}, {MAX_SEEDS}..{}, …) run one by one",
            range.end - range.start,
            2 * MAX_SEEDS
        ));
    }
    Ok(range)
}

/// The problem with `--seeds` for a command that reports 95% intervals over its seeds, if
/// it holds fewer than the two an interval needs (said with the command's other problems).
pub fn too_few_for_intervals(seeds: &Range<u64>) -> Option<String> {
    let n = seeds.end - seeds.start;
    (n < 2).then(|| format!("--seeds must hold at least 2 seeds (the 95% intervals need two), found {n}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges() {
        assert_eq!(parse_seeds("0..20"), Ok(0..20));
        assert_eq!(parse_seeds("0..=19"), Ok(0..20));
        assert_eq!(parse_seeds("7"), Ok(0..7));
        assert_eq!(parse_seeds("7..=7"), Ok(7..8));
        for bad in ["abc", "5..2", "3..3", "1..x", "", "-1..4", "0..=18446744073709551615", "0"] {
            assert!(parse_seeds(bad).is_err(), "{bad}");
        }
        assert!(parse_seeds("5..2").unwrap_err().contains("0..=19"));
        assert_eq!(parse_seeds("1000000"), Ok(0..MAX_SEEDS));
        for huge in ["1000001", "99999999999", "0..99999999999", "5..=1000005"] {
            let e = parse_seeds(huge).unwrap_err();
            assert!(e.contains("more than the 1000000 one command runs") && e.contains("split it"), "{huge}: {e}");
        }
        let e = parse_seeds("18446744073709551615..=18446744073709551615").unwrap_err();
        assert!(e.contains("at most 18446744073709551614"), "{e}");
        assert_eq!(parse_seeds("18446744073709551614..=18446744073709551614"), Ok(u64::MAX - 1..u64::MAX));
    }

    #[test]
    fn zeros_are_said_without_a_sign() {
        assert_eq!(num(-6e-17, 3), "0.000");
        assert_eq!(num(-0.0, 2), "0.00");
        assert_eq!(num(-0.0004, 3), "0.000");
        assert_eq!(num(-0.0005001, 3), "-0.001");
        assert_eq!(num(12.5, 1), "12.5");
    }

    #[test]
    fn seed_labels() {
        assert_eq!(seeds_label(&[0, 1, 2]), "0..3");
        assert_eq!(seeds_label(&[4]), "4..5");
        assert_eq!(seeds_label(&[u64::MAX - 1, u64::MAX]), format!("{}..={}", u64::MAX - 1, u64::MAX));
        assert_eq!(seeds_label(&[1, 5]), "1,5");
    }
}
