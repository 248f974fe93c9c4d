//! Voting on the principal's objective: how each agent ranks the candidate values of `p`,
//! and how ballots are aggregated (mean, median, plurality, Borda).
//!
//! # How an agent scores a candidate `p`
//!
//! The principal will serve `W_p`, the power mean of the agents' utilities `v`. How much
//! `W_p` cares about agent `i` is its share of the marginal weights
//!
//! ```text
//! ω_i(p) = w_i / Σ_j w_j,     w_i = ∂W_p/∂v_i ∝ (v_i / W_p(v))^(p − 1)
//! ```
//!
//! (at `p = −∞` all weight is on the worst-off agents, shared equally; at `p = +∞` on the
//! best-off; at `p = 1` everyone has 1/n). Shares, not raw derivatives, so that candidates
//! are compared on the same scale: the part of the principal's attention an agent gets. An agent scores each candidate by the weight it gives the agents the agent
//! cares about, in SED's proportions:
//!
//! ```text
//! score_i(p) = σ_i · ω_i(p) + (1 − σ_i) · Σ_{j ∈ N_G(i)} ω_j(p)
//! ```
//!
//! Why: under a principal serving `W_p`, resources flow to the agents with the largest
//! weight, so a selfish agent that is worse off than the typical agent (`v_i < W_p`) scores
//! low `p` highest — it gains from redistribution — and one that is better off scores high
//! `p` highest; an unselfish agent votes for whatever favours its neighbours. The weight is
//! computed on the utilities floored at a small positive `v_min` (one milli-apple), so that
//! agents with nothing still have a defined, large weight at `p < 1`.

use crate::rules::welfare::power_mean;

/// The smallest utility used in weights (one milli-apple): see the module docs.
pub const V_MIN: f64 = 0.001;

/// Every agent's share `ω_i(p)` of the marginal weights of `W_p(v)` (see the module docs);
/// the shares sum to 1.
pub fn weights(v: &[f64], p: f64) -> Vec<f64> {
    let n = v.len();
    if n == 0 {
        return Vec::new();
    }
    let v: Vec<f64> = v.iter().map(|&x| x.max(V_MIN)).collect();
    let extreme = |target: f64| {
        let k = v.iter().filter(|&&x| x == target).count() as f64;
        v.iter().map(|&x| if x == target { 1.0 / k } else { 0.0 }).collect()
    };
    if p == f64::NEG_INFINITY {
        return extreme(v.iter().copied().fold(f64::INFINITY, f64::min));
    }
    if p == f64::INFINITY {
        return extreme(v.iter().copied().fold(f64::NEG_INFINITY, f64::max));
    }
    let w = power_mean(&v, p);
    let raw: Vec<f64> = v.iter().map(|&x| (x / w).powf(p - 1.0)).collect();
    let total: f64 = raw.iter().sum();
    raw.iter().map(|&x| x / total).collect()
}

/// How ballots are turned into one result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Rule {
    /// Each agent names its favourite; the result is the menu entry nearest the mean of the
    /// favourites' positions in the sorted menu (halves round down).
    Mean,
    /// Each agent names its favourite; the result is the (lower) median favourite (SED's rule).
    Median,
    /// Each agent names its favourite; the most named wins (ties: the lower `p`).
    Plurality,
    /// Each agent ranks the whole menu; with k candidates a rank-r candidate (0 = best) gets
    /// k − 1 − r points; the most points wins (ties: the lower `p`).
    Borda,
    /// SED's own rule, a two-way vote between the menu's ends: each agent votes 1 if it
    /// scores the lowest `p` (the most egalitarian) above the highest, else 0; the lowest wins
    /// when the mean vote exceeds 0.5, else the highest. With the menu `[-inf, 1.0]` this is
    /// the SED code's choice of the egalitarian objective over the utilitarian one. The shares
    /// are the two ends' shares of the votes (0 for the candidates between them).
    Sed,
}

/// The index of the best-scored candidate (ties: the lower index).
pub fn favourite(scores: &[f64]) -> usize {
    super::argmax(scores)
}

/// The candidate a voter with these scores votes for under `rule`: its favourite, or under
/// [`Rule::Sed`] the end of the menu it scores higher (the lowest `p` only when strictly
/// higher). The rule counts these ballots, and the election event lists them.
pub fn ballot(rule: Rule, scores: &[f64]) -> usize {
    match rule {
        Rule::Sed => {
            let last = scores.len() - 1;
            if scores[0] > scores[last] { 0 } else { last }
        }
        _ => favourite(scores),
    }
}

/// Aggregates ballots: `scores[i][k]` is voter i's score of candidate k (candidates sorted by
/// increasing `p`). Returns the winning index and each candidate's share of first choices.
pub fn aggregate(rule: Rule, scores: &[Vec<f64>], candidates: usize) -> (usize, Vec<f64>) {
    let mut firsts = vec![0usize; candidates];
    let favs: Vec<usize> = scores.iter().map(|s| favourite(s)).collect();
    for &f in &favs {
        firsts[f] += 1;
    }
    let n = favs.len().max(1) as f64;
    let shares = firsts.iter().map(|&c| c as f64 / n).collect();
    if favs.is_empty() {
        return (0, shares);
    }
    if rule == Rule::Sed {
        let last = candidates - 1;
        let votes = scores.iter().filter(|s| ballot(Rule::Sed, s) == 0).count() as f64;
        let mut shares = vec![0.0; candidates];
        shares[0] = votes / n;
        shares[last] += (n - votes) / n;
        return (if votes / n > 0.5 { 0 } else { last }, shares);
    }
    let winner = match rule {
        Rule::Mean => {
            let sum: usize = favs.iter().sum();
            // nearest integer to sum / n, halves down: ⌊(2·sum + n − 1) / (2n)⌋
            let n = favs.len();
            (2 * sum + n - 1) / (2 * n)
        }
        Rule::Median => {
            let mut sorted = favs.clone();
            sorted.sort_unstable();
            sorted[(sorted.len() - 1) / 2]
        }
        Rule::Plurality => super::argmax(&firsts),
        Rule::Sed => unreachable!("decided above"),
        Rule::Borda => {
            let mut points = vec![0usize; candidates];
            for s in scores {
                let mut order: Vec<usize> = (0..candidates).collect();
                // best first; equal scores keep the lower index first
                order.sort_by(|&a, &b| s[b].total_cmp(&s[a]).then(a.cmp(&b)));
                for (rank, &k) in order.iter().enumerate() {
                    points[k] += candidates - 1 - rank;
                }
            }
            super::argmax(&points)
        }
    };
    (winner, shares)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ballots(favs: &[usize], k: usize) -> Vec<Vec<f64>> {
        favs.iter().map(|&f| (0..k).map(|j| if j == f { 1.0 } else { 0.0 }).collect()).collect()
    }

    #[test]
    fn each_rule_on_hand_made_ballots() {
        // Favourites among 3 candidates: 0, 0, 1, 2, 2, 2, 1 → positions sum 8 over 7 voters.
        let b = ballots(&[0, 0, 1, 2, 2, 2, 1], 3);
        let (mean, shares) = aggregate(Rule::Mean, &b, 3);
        assert_eq!(mean, 1); // 8/7 ≈ 1.14 → 1
        assert_eq!(shares, vec![2.0 / 7.0, 2.0 / 7.0, 3.0 / 7.0]);
        assert_eq!(aggregate(Rule::Median, &b, 3).0, 1); // sorted 0 0 1 1 2 2 2 → 1
        assert_eq!(aggregate(Rule::Plurality, &b, 3).0, 2);
        // Mean halves round down: favourites 0 and 1 → 0.5 → 0.
        assert_eq!(aggregate(Rule::Mean, &ballots(&[0, 1], 2), 2).0, 0);
        // Lower median of an even count.
        assert_eq!(aggregate(Rule::Median, &ballots(&[0, 2, 2, 0], 3), 3).0, 0);
        // Plurality tie goes to the lower p.
        assert_eq!(aggregate(Rule::Plurality, &ballots(&[2, 0], 3), 3).0, 0);
    }

    #[test]
    fn sed_picks_the_egalitarian_end_when_the_mean_vote_exceeds_one_half() {
        // Scores over [-inf, 0, 1]: voters 0 and 1 score -inf above 1, voter 2 does not.
        let s = |a: f64, b: f64, c: f64| vec![a, b, c];
        let b = vec![s(0.5, 0.9, 0.2), s(0.4, 0.1, 0.3), s(0.1, 0.2, 0.7)];
        let (w, shares) = aggregate(Rule::Sed, &b, 3);
        assert_eq!(w, 0, "2 of 3 votes for the egalitarian end");
        assert_eq!(shares, vec![2.0 / 3.0, 0.0, 1.0 / 3.0]);
        // Exactly one half is not more than one half: the utilitarian end.
        let b = vec![s(0.5, 0.0, 0.2), s(0.1, 0.0, 0.3)];
        assert_eq!(aggregate(Rule::Sed, &b, 3).0, 2);
        // The middle candidate's favourites still vote between the ends.
        let b = vec![s(0.3, 0.9, 0.2); 3];
        assert_eq!(aggregate(Rule::Sed, &b, 3), (0, vec![1.0, 0.0, 0.0]));
        // The ballots counted are the ends (the event lists them): the favourite (the middle
        // candidate) is nobody's ballot, and a tie between the ends goes to the highest.
        assert_eq!(ballot(Rule::Sed, &b[0]), 0);
        assert_eq!(favourite(&b[0]), 1);
        assert_eq!(ballot(Rule::Sed, &s(0.5, 0.9, 0.5)), 2);
        assert_eq!(ballot(Rule::Median, &b[0]), 1);
    }

    #[test]
    fn borda_can_differ_from_plurality() {
        // 3 voters rank A > B > C, 2 voters rank C > B > A, 2 voters B > C > A.
        // Points: A = 3·2 = 6; B = 3·1 + 2·1 + 2·2 = 9; C = 2·2 + 2·1 = 6. Plurality: A (3).
        let s = |a: f64, b: f64, c: f64| vec![a, b, c];
        let mut b = vec![s(3.0, 2.0, 1.0); 3];
        b.extend(vec![s(1.0, 2.0, 3.0); 2]);
        b.extend(vec![s(1.0, 3.0, 2.0); 2]);
        assert_eq!(aggregate(Rule::Plurality, &b, 3).0, 0);
        assert_eq!(aggregate(Rule::Borda, &b, 3).0, 1);
    }

    #[test]
    fn weights_follow_the_power_mean() {
        let v = [1.0, 4.0, 16.0];
        // p = 1: everyone weighs 1/n.
        for w in weights(&v, 1.0) {
            assert!((w - 1.0 / 3.0).abs() < 1e-12);
        }
        // p = 0: ∂W/∂v_i ∝ 1/v_i → 1, 1/4, 1/16, normalised by 21/16: 16/21, 4/21, 1/21.
        let w = weights(&v, 0.0);
        assert!((w[0] - 16.0 / 21.0).abs() < 1e-12 && (w[2] - 1.0 / 21.0).abs() < 1e-12);
        assert_eq!(weights(&v, f64::NEG_INFINITY), vec![1.0, 0.0, 0.0]);
        assert_eq!(weights(&[2.0, 2.0, 1.0], f64::INFINITY), vec![0.5, 0.5, 0.0]);
        // p = 2: ∂W/∂v_i ∝ v_i → 1/21, 4/21, 16/21.
        let w = weights(&v, 2.0);
        assert!((w[2] - 16.0 / 21.0).abs() < 1e-12);
        // A poor agent's share is largest at −∞, a rich one's at +∞.
        let v = [0.0, 0.0, 5.0, 5.0];
        let ps = [f64::NEG_INFINITY, 0.0, 1.0, f64::INFINITY];
        let poor: Vec<f64> = ps.iter().map(|&p| weights(&v, p)[0]).collect();
        let rich: Vec<f64> = ps.iter().map(|&p| weights(&v, p)[3]).collect();
        assert_eq!(favourite(&poor), 0);
        assert_eq!(favourite(&rich), 3);
    }
}
