//! The names of `metrics.csv`'s columns, one constant each, for everything that writes or
//! reads them (the measuring systems and mechanisms, the app's plots, the recorder's
//! overlay, the CLI's summary). Columns named by a number or a label (`rate_0`,
//! `revenue_0`, `vote_share_0.5`) are made by the functions at the end.

/// Apples standing.
pub const APPLES: &str = "apples";
/// Apples picked this tick.
pub const HARVESTED: &str = "harvested";
/// Patches with at least one apple.
pub const PATCHES_ALIVE: &str = "patches_alive";
/// The Gini coefficient of the agents' utilities (the scenario's `utility`, since tick 0).
pub const GINI: &str = "gini";
/// Welfare at p = −∞ of the utilities since tick 0 (the worst-off agent's).
pub const WELFARE_MIN: &str = "welfare_min";
/// Welfare at p = 0 of the utilities since tick 0 (Nash: the geometric mean).
pub const WELFARE_NASH: &str = "welfare_nash";
/// Welfare at p = 1 of the utilities since tick 0 (the mean).
pub const WELFARE_MEAN: &str = "welfare_mean";
/// Welfare at p = +∞ of the utilities since tick 0 (the best-off agent's).
pub const WELFARE_MAX: &str = "welfare_max";
/// SED's equality × productivity of the utilities since tick 0.
pub const EQUALITY_TIMES_PRODUCTIVITY: &str = "equality_times_productivity";
/// Tax collected this tick (apples).
pub const TAX_REVENUE: &str = "tax_revenue";
/// Revenue kept by the principal so far (apples).
pub const TREASURY: &str = "treasury";
/// The `p` elected.
pub const ELECTED_P: &str = "elected_p";
/// Audits held so far.
pub const AUDITS: &str = "audits";
/// Violations detected so far.
pub const DETECTIONS: &str = "detections";
/// Violations committed so far.
pub const VIOLATIONS: &str = "violations";
/// Fines so far (apples).
pub const PENALTIES: &str = "penalties";
/// Proposals a shield replaced so far.
pub const SHIELD_INTERVENTIONS: &str = "shield_interventions";
/// Σ Q̂(replacement) − Q̂(proposal) so far.
pub const SHIELD_PROTECTED: &str = "shield_protected";
/// The principal's objective: welfare at the elected (or fixed) `p` of the utility gained
/// over the last finished tax period ([`crate::utility::served`]).
pub const WELFARE_ELECTED: &str = "welfare_elected";
/// The principal's objective summed over the tax periods finished so far (its return).
pub const PRINCIPAL_RETURN: &str = "principal_return";
/// Humans' mean KL spent this tick.
pub const POWER_USED_HUMAN: &str = "power_used_human";
/// AIs' mean KL spent this tick.
pub const POWER_USED_AI: &str = "power_used_ai";
/// AIs' mean cosine with the humans' mean utility.
pub const ALIGNMENT: &str = "alignment";
/// Human mean wealth lost against AI inaction.
pub const HARM: &str = "harm";
/// That harm, each tick's share the humans could not undo: Δharm·max(0, 1 − √(O_H/O_X)).
pub const HARM_UNRECTIFIED: &str = "harm_unrectified";
/// Information the humans have put into the AIs' utility (SUM's loop, nats).
pub const LOOP_INFORMATION: &str = "loop_information";
/// The AIs' mean cosine with the humans in SUM's loop.
pub const LOOP_COSINE: &str = "loop_cosine";
/// Effects penalised with no baseline.
pub const IMPACT_NONE: &str = "impact_none";
/// Their cost.
pub const IMPACT_NONE_PENALTY: &str = "impact_none_penalty";
/// Effects penalised against naive inaction.
pub const IMPACT_NAIVE: &str = "impact_naive";
/// Their cost.
pub const IMPACT_NAIVE_PENALTY: &str = "impact_naive_penalty";
/// Effects penalised against naive inaction as a symmetric difference of outcomes.
pub const IMPACT_NAIVE_SYMMETRIC: &str = "impact_naive_symmetric";
/// Their cost.
pub const IMPACT_NAIVE_SYMMETRIC_PENALTY: &str = "impact_naive_symmetric_penalty";
/// Effects penalised against stepwise inaction.
pub const IMPACT_STEPWISE: &str = "impact_stepwise";
/// Their cost.
pub const IMPACT_STEPWISE_PENALTY: &str = "impact_stepwise_penalty";
/// Effects penalised by the iterative form.
pub const IMPACT_ITERATIVE: &str = "impact_iterative";
/// Their cost.
pub const IMPACT_ITERATIVE_PENALTY: &str = "impact_iterative_penalty";
/// Effects penalised by the stationary iterative form.
pub const IMPACT_STATIONARY: &str = "impact_stationary";
/// Their cost.
pub const IMPACT_STATIONARY_PENALTY: &str = "impact_stationary_penalty";
/// Iterative candidates that never happened.
pub const IMPACT_UNMATCHED: &str = "impact_unmatched";
/// Class-whitelist mass moved, in objects.
pub const IMPACT_CLASS: &str = "impact_class";
/// The penalty under the chosen baseline, weighted.
pub const IMPACT_PENALTY: &str = "impact_penalty";

/// The rate of tax bracket `b`.
pub fn rate(b: usize) -> String {
    format!("rate_{b}")
}

/// The revenue of tax bracket `b` this tick.
pub fn revenue(b: usize) -> String {
    format!("revenue_{b}")
}

/// The first-choice share of candidate `label` at the last election.
pub fn vote_share(label: &str) -> String {
    format!("vote_share_{label}")
}

/// The values `metric` can take (a count: 0 up; Gini: 0 to 1; a cosine: −1 to 1), or
/// unbounded where it can be any number (welfare, which debts make negative; harm; a rate).
/// A sweep's kept metric `NAME_mean_last_N` (a mean of a metric) has the metric's bounds.
/// Plots draw a mean's interval within them (a t interval over few runs reaches past them).
pub fn bounds(metric: &str) -> (f64, f64) {
    let metric = match metric.rsplit_once("_mean_last_") {
        Some((name, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => metric,
    };
    match metric {
        APPLES | HARVESTED | PATCHES_ALIVE | AUDITS | DETECTIONS | VIOLATIONS | SHIELD_INTERVENTIONS | TAX_REVENUE => {
            (0.0, f64::INFINITY)
        }
        GINI => (0.0, 1.0),
        ALIGNMENT | LOOP_COSINE => (-1.0, 1.0),
        _ => (f64::NEG_INFINITY, f64::INFINITY),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_metric_and_its_means_have_its_bounds() {
        use super::*;
        assert_eq!(bounds(PATCHES_ALIVE), (0.0, f64::INFINITY));
        assert_eq!(bounds("patches_alive_mean_last_100"), (0.0, f64::INFINITY));
        assert_eq!(bounds("gini_mean_last_5"), (0.0, 1.0));
        assert_eq!(bounds(WELFARE_MEAN), (f64::NEG_INFINITY, f64::INFINITY));
        assert_eq!(bounds("patches_alive_mean_last_"), (f64::NEG_INFINITY, f64::INFINITY));
        assert_eq!(bounds("nothing_known"), (f64::NEG_INFINITY, f64::INFINITY));
    }
}
