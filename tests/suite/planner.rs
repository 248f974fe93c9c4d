//! Sparse sampling on small MDPs whose values are computed exactly by dynamic programming.

use polity::planner::{self, Generative};
use polity::rng;

/// A three-state MDP; the reward of a transition is the value of the state it leads to
/// (PAA's change: welfare of the next state). Action 0 is safe (stay, or climb one state
/// with probability `climb`); action 1 gambles (the top state with probability `gamble`,
/// else the bottom one).
#[derive(Clone)]
struct Chain {
    s: usize,
    climb: f64,
    gamble: f64,
}

const R: [f64; 3] = [0.0, 0.5, 1.0];

impl Chain {
    fn transitions(&self, s: usize, a: usize) -> Vec<(usize, f64)> {
        match a {
            0 => vec![(s, 1.0 - self.climb), ((s + 1).min(2), self.climb)],
            _ => vec![(2, self.gamble), (0, 1.0 - self.gamble)],
        }
    }
}

impl Generative for Chain {
    type Action = usize;
    fn actions(&self) -> Vec<usize> {
        vec![0, 1]
    }
    fn step(&mut self, a: &usize, key: u64) -> f64 {
        let u = rng::to_unit(rng::mix64(key));
        let mut acc = 0.0;
        for (next, p) in self.transitions(self.s, *a) {
            acc += p;
            if u < acc {
                self.s = next;
                break;
            }
        }
        R[self.s]
    }
}

/// Exact Q_H(s, ·) by dynamic programming (H = usize::MAX-ish: value iteration to convergence).
fn exact_q(m: &Chain, h: usize, gamma: f64) -> [f64; 2] {
    let mut v = [0.0; 3];
    for _ in 1..h {
        let mut next = [0.0; 3];
        for (st, slot) in next.iter_mut().enumerate() {
            *slot = (0..2)
                .map(|a| m.transitions(st, a).iter().map(|&(n, p)| p * (R[n] + gamma * v[n])).sum::<f64>())
                .fold(f64::NEG_INFINITY, f64::max);
        }
        v = next;
    }
    let q = |a| m.transitions(m.s, a).iter().map(|&(n, p)| p * (R[n] + gamma * v[n])).sum::<f64>();
    [q(0), q(1)]
}

#[test]
fn deterministic_mdps_are_estimated_exactly() {
    // Every transition certain: any width gives the exact H-step values.
    for (s, gamble) in [(0, 1.0), (1, 0.0), (2, 1.0)] {
        let m = Chain { s, climb: 1.0, gamble };
        let q = planner::q_values(&m, 0.6, 3, 4, 11, 1);
        let want = exact_q(&m, 4, 0.6);
        assert!((q[0] - want[0]).abs() < 1e-12 && (q[1] - want[1]).abs() < 1e-12, "state {s}: {q:?} vs {want:?}");
    }
}

#[test]
fn stochastic_estimates_converge_to_the_exact_values_within_the_bound() {
    let (gamma, depth) = (0.6, 2usize);
    let m = Chain { s: 1, climb: 0.3, gamble: 0.5 };
    let want = exact_q(&m, depth, gamma);
    let star = exact_q(&m, 500, gamma);
    let v_max = 1.0 / (1.0 - gamma);
    // Truncating at depth H costs at most γ^H·V_max.
    for a in 0..2 {
        assert!((want[a] - star[a]).abs() <= gamma.powi(depth as i32) * v_max);
    }
    let mae = |width: u32| {
        let mut total = 0.0;
        let mut beyond = 0;
        // Hoeffding with a union bound over every estimate in the tree, δ = 0.05.
        let k = 2.0;
        let n: f64 = (0..depth).map(|d| k * (k * width as f64).powi(d as i32)).sum();
        let lambda = v_max * ((2.0 * n / 0.05).ln() / (2.0 * width as f64)).sqrt();
        let bound: f64 = (0..depth).map(|d| gamma.powi(d as i32) * lambda).sum();
        for seed in 0..200 {
            let q = planner::q_values(&m, gamma, width, depth as u32, seed, 1);
            for a in 0..2 {
                let err = (q[a] - want[a]).abs();
                total += err;
                beyond += (err > bound) as u32;
            }
        }
        assert!(beyond <= 20, "width {width}: {beyond} of 400 estimates beyond the δ = 0.05 bound {bound}");
        total / 400.0
    };
    let (coarse, fine) = (mae(4), mae(64));
    assert!(fine < coarse / 2.0, "error should shrink as the width grows: C=4 {coarse}, C=64 {fine}");
    assert!(fine < 0.1, "C = 64 mean error {fine}");
}

#[test]
fn same_estimate_on_one_and_many_threads() {
    let m = Chain { s: 0, climb: 0.3, gamble: 0.5 };
    let one = planner::q_values(&m, 0.7, 8, 3, 5, 1);
    for threads in [2, 3, 8] {
        assert_eq!(planner::q_values(&m, 0.7, 8, 3, 5, threads), one);
    }
}

// ---- What a budget buys (`polity plan-budget`, issue 15 item 3) --------------------------

#[test]
fn the_model_term_and_the_tree_have_their_check_values() {
    use polity::rules::sparse_sampling::{model_term, tree_log10};
    // R_max·√(κ/2)/(1−γ)²: κ = 0.02 → √0.01 = 0.1, over 0.01.
    assert!((model_term(1.0, 0.9, 0.02) - 10.0).abs() < 1e-9);
    assert_eq!(model_term(1.0, 0.9, 0.0), 0.0);
    assert!((model_term(25.0, 0.5, 0.5) - 25.0 * 0.5 / 0.25).abs() < 1e-9);
    // K·C = 12, H = 2: 12 + 144 = 156 transitions.
    assert!((tree_log10(4.0, 2, 3) - 156f64.log10()).abs() < 1e-12);
    assert!((tree_log10(1.0, 1, 1) - 0.0).abs() < 1e-12);
    // Huge trees stay finite as logarithms: (3·10¹²)^90.
    assert!((tree_log10(1e12, 90, 3) - 90.0 * 3e12f64.log10()).abs() < 1e-6);
}

#[test]
fn plan_budget_prints_what_an_accuracy_needs_and_what_a_budget_certifies() {
    use polity::rules::sparse_sampling::{guaranteed_epsilon, required};
    let run = |args: &[&str]| {
        let out =
            std::process::Command::new(env!("CARGO_BIN_EXE_polity")).arg("plan-budget").args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, _) = run(&["--epsilon", "1", "--gamma", "0.9", "--actions", "3"]);
    assert_eq!(code, Some(0));
    let (h, _) = required(1.0, 0.05, 0.9, 1.0, 3);
    assert!(out.contains(&format!("depth H = {h},")), "{out}");
    // The built-ins' budgets are listed with what they certify.
    assert!(out.contains("paa-governor") && out.contains("certifies nothing"), "{out}");
    // A budget big enough for ε = V_max certifies something below it, and says how much.
    let (h, c) = required(10.0, 0.05, 0.9, 1.0, 3);
    let c = c.ceil() as u32;
    let eps = guaranteed_epsilon(c, h, 0.05, 0.9, 1.0, 3).unwrap();
    let (code, out, _) = run(&[
        "--gamma",
        "0.9",
        "--actions",
        "3",
        "--width",
        &c.to_string(),
        "--depth",
        &h.to_string(),
        "--kappa",
        "0.02",
    ]);
    assert_eq!(code, Some(0));
    assert!(out.contains("costs R_max·√(κ/2)/(1−γ)² = 10.00 of ε"), "{out}");
    let total = eps + 10.0;
    assert!(out.contains("certifies ε = "), "{out}");
    let shown: f64 = out.split("certifies ε = ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!((shown - total).abs() / total < 1e-3, "{shown} vs {total}");
    // A model error costing more than ε: no budget can certify it.
    let (_, out, _) = run(&["--epsilon", "5", "--gamma", "0.9", "--actions", "3", "--kappa", "0.02"]);
    assert!(out.contains("no budget certifies it"), "{out}");
    // Extreme accuracies read as numbers and say what they mean: no NaN, no inf, no -0.
    for (eps, says) in
        [("1e-300", "no machine can sample"), ("1e300", "nothing to sample"), ("11", "nothing to sample")]
    {
        let (code, out, _) = run(&["--epsilon", eps, "--gamma", "0.9", "--actions", "5"]);
        assert_eq!(code, Some(0));
        assert!(out.contains(says), "ε = {eps}: {out}");
        for bad in ["NaN", "inf", "-0", "0000000000"] {
            assert!(!out.contains(bad), "ε = {eps} printed {bad}: {out}");
        }
    }
    // A depth past a 32-bit count is said as that (every γ this close to 1 said H = 4294967295).
    let (code, out, _) = run(&["--epsilon", "1e-9", "--gamma", "0.99999999", "--actions", "2"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("depth H beyond 4294967295 (more than a 32-bit count holds)"), "{out}");
    assert!(!out.contains("H = 4294967295"), "{out}");
    // Bad input: every problem at once, exit 2.
    let (code, _, err) = run(&["--gamma", "1", "--actions", "0", "--delta", "2", "--epsilon", "-1"]);
    assert_eq!(code, Some(2));
    for m in [
        "--epsilon must be a positive number",
        "--delta must be in (0, 1)",
        "--gamma must be in (0, 1)",
        "--actions must be at least 1",
    ] {
        assert!(err.contains(m), "{err}");
    }
    // One action: nothing to choose, and the output says what the bound then means.
    let (code, out, _) = run(&["--epsilon", "1", "--gamma", "0.9", "--actions", "1"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("with one action there is no choice to plan"), "{out}");
    let (_, out, _) = run(&["--epsilon", "1", "--gamma", "0.9", "--actions", "2"]);
    assert!(!out.contains("no choice"), "{out}");
    // Rewards so large the bounds overflow are refused, not printed as NaN or a saturated H.
    for r_max in ["1e307", "1e101"] {
        let (code, out, err) =
            run(&["--gamma", "0.05", "--actions", "3", "--width", "4", "--depth", "1", "--r-max", r_max]);
        assert_eq!(code, Some(2), "{r_max}: {out}");
        assert!(err.contains("more than the bounds can be worked out for") && err.contains("hint:"), "{err}");
    }
    let (code, out, _) = run(&["--gamma", "0.05", "--actions", "3", "--width", "4", "--depth", "1", "--r-max", "1e90"]);
    assert_eq!(code, Some(0));
    assert!(!out.contains("NaN") && !out.contains("inf") && !out.contains("4294967295"), "{out}");
}
