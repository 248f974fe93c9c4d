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
