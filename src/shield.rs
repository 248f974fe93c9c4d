//! The shield: a black-box policy is kept to the actions the planner deems safe — those whose
//! estimated value Q̂ is within a margin of the best (and, if set, above a floor). It wraps
//! the principal's tax policy (at each period end, over tax schedules) and any agent's harvest
//! policy (each tick, over its five moves, imagining a few ticks ahead on the world model).
//!
//! Post-posed, an action outside the allowed set is replaced by the best allowed one;
//! preemptive, the policy only ever gets allowed actions, so its choice is moved to the
//! nearest allowed one (L1 distance between schedules). If the allowed set is empty — every
//! action below the floor — the shield falls back to the action of highest Q̂, the least bad
//! (the proposal itself when it ties), and says so in the event. Every intervention is a
//! `shield_intervention` event with the proposed action, its replacement and both Q̂; the
//! metrics count interventions and add up the estimated welfare they protected.

use crate::model::{Event, Mechanism, Step, WorldModel};
use crate::principal::{Principal, RateProposal};
use crate::scenario::{AgentShieldSpec, PlannerSpec, ShieldMode, ShieldSpec};

/// The shield: its part when the principal or any agent group is shielded; moves are
/// reviewed at `Shield`, the principal's proposal at `Review`.
pub const MECHANISM: Mechanism = Mechanism {
    name: "shield",
    build: |s, m| {
        let rates = s.principal.as_ref().and_then(|p| p.shield.clone().map(|sh| (sh, p.planner.clone())));
        let moves: Vec<Option<AgentShieldSpec>> = s.agents.iter().map(|g| g.shield.clone()).collect();
        if rates.is_some() || moves.iter().any(Option::is_some) {
            m.parts.insert(Shield { rates, moves, stats: ShieldStats::default() });
        }
    },
    steps: &[(Step::Shield, review_moves), (Step::Review, review_rates)],
    active: Some(|m| m.parts.has::<Shield>()),
    ..Mechanism::NONE
};

/// What is shielded, and the shield's totals.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Shield {
    /// The principal's shield, with the planner it judges by.
    pub rates: Option<(ShieldSpec, PlannerSpec)>,
    /// Each agent group's shield, by group index.
    pub moves: Vec<Option<AgentShieldSpec>>,
    /// Running totals.
    pub stats: ShieldStats,
}

// Imagined worlds are not shielded (a shield plans on them).
crate::serde_part!(Shield, "shield", imagined: none);

/// What the shield decided about one proposal.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Indices of the allowed actions.
    pub allowed: Vec<usize>,
    /// The action that goes through (index).
    pub chosen: usize,
    /// Whether the allowed set was empty (and the fallback was used).
    pub empty: bool,
}

/// The allowed set for estimates `q`: within `margin` of the best, and at least `floor` (the
/// heuristic rule).
pub fn allowed(q: &[f64], margin: f64, floor: Option<f64>) -> Vec<usize> {
    let best = q.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (0..q.len()).filter(|&k| q[k] >= best - margin && floor.is_none_or(|f| q[k] >= f)).collect()
}

/// The certified safe set: the actions with `Q̂ − β ≥ ω`, β the certified error of the
/// estimates; none without one.
pub fn certified(q: &[f64], beta: Option<f64>, omega: f64) -> Vec<usize> {
    let Some(beta) = beta else { return Vec::new() };
    (0..q.len()).filter(|&k| q[k] - beta >= omega).collect()
}

/// Judges `proposed` among `actions` with estimates `q`, certified to within `beta` when the
/// planner certifies anything (see the module docs).
pub fn judge(spec: &ShieldSpec, actions: &[Vec<f64>], q: &[f64], beta: Option<f64>, proposed: usize) -> Verdict {
    let allowed = match spec.certified {
        Some(omega) => certified(q, beta, omega),
        None => allowed(q, spec.margin, spec.floor),
    };
    let best_of = |set: &[usize]| {
        set.iter().copied().fold(None, |b: Option<usize>, k| match b {
            Some(j) if q[j] >= q[k] => Some(j),
            _ => Some(k),
        })
    };
    if allowed.is_empty() {
        // The least bad action, which is the proposal itself when none is better (a tie, as
        // when every Q̂ is 0 in a dead commons, replaced it by the first action and counted an
        // intervention that changed nothing).
        let chosen = match best_of(&(0..q.len()).collect::<Vec<_>>()) {
            Some(best) if q[best] > q[proposed] => best,
            _ => proposed,
        };
        return Verdict { allowed, chosen, empty: true };
    }
    if allowed.contains(&proposed) {
        return Verdict { allowed, chosen: proposed, empty: false };
    }
    let chosen = match spec.mode {
        ShieldMode::PostPosed => best_of(&allowed).expect("non-empty"),
        ShieldMode::Preemptive => {
            let distance =
                |k: usize| -> f64 { actions[k].iter().zip(&actions[proposed]).map(|(a, b)| (a - b).abs()).sum() };
            *allowed.iter().min_by(|&&a, &&b| distance(a).total_cmp(&distance(b)).then(a.cmp(&b))).expect("non-empty")
        }
    };
    Verdict { allowed, chosen, empty: false }
}

/// Running totals of the shield's work.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ShieldStats {
    /// Proposals replaced.
    pub interventions: u64,
    /// Σ Q̂(replacement) − Q̂(proposal): the estimated discounted welfare protected, apples.
    pub protected: f64,
}

/// Reviews the principal's proposed rates when it is shielded.
pub fn review_rates(m: &mut WorldModel) {
    let Some((shield, planner)) = m.parts.get::<Shield>().and_then(|s| s.rates.clone()) else { return };
    let Some(proposal) = m.parts.get::<RateProposal>().and_then(|p| p.0.clone()) else { return };
    let Some(objective) = m.parts.get::<Principal>().map(|p| p.objective) else { return };
    let (actions, q, guarantee) = crate::paa::estimate(m, &planner, objective, Some(proposal.clone()));
    let Some(proposed) = actions.iter().position(|a| *a == proposal) else { return };
    let beta = guarantee.beta();
    let verdict = judge(&shield, &actions, &q, beta, proposed);
    if let (Some(omega), true) = (shield.certified, verdict.empty) {
        let chosen = actions[verdict.chosen].clone();
        m.event(|| "principal".into(), || Event::NoCertifiedAction { q: q.clone(), beta, omega, chosen });
    }
    // Only a replacement is an intervention, with its event (one that replaced the proposal
    // by itself was logged and not counted).
    if verdict.chosen == proposed {
        return;
    }
    {
        let stats = &mut m.parts.get_mut::<Shield>().expect("checked above").stats;
        stats.interventions += 1;
        stats.protected += q[verdict.chosen] - q[proposed];
    }
    m.parts.insert(RateProposal(Some(actions[verdict.chosen].clone())));
    m.event(
        || "principal".into(),
        || Event::ShieldRates {
            proposed: actions[proposed].clone(),
            q_proposed: q[proposed],
            replacement: actions[verdict.chosen].clone(),
            q_replacement: q[verdict.chosen],
            allowed_set_empty: verdict.empty,
            mode: format!("{:?}", shield.mode),
        },
    );
}

/// One agent's choice of move on the world model, imagined from the middle of a tick (its
/// neighbours' decisions for this tick already made): the reward of a tick is `W_p` of every
/// agent's utility afterwards ([`crate::utility::stock`]).
#[derive(Clone, Debug)]
pub struct MoveMdp {
    /// The imagined world.
    pub model: crate::model::WorldModel,
    /// The agent's index in `model.agents`.
    pub agent: usize,
    /// Whether the model stands after `Decide` of the current tick.
    pub mid_tick: bool,
    /// The welfare's p.
    pub p: f64,
}

impl crate::planner::Generative for MoveMdp {
    type Action = crate::rules::forage::Action;
    fn actions(&self) -> Vec<crate::rules::forage::Action> {
        crate::rules::forage::Action::ALL.to_vec()
    }
    fn step(&mut self, action: &crate::rules::forage::Action, key: u64) -> f64 {
        if self.mid_tick {
            // This tick's luck is the world's own; later ticks are imagined with `key`.
            self.mid_tick = false;
        } else {
            self.model.clock.seed = key;
            self.model.decide();
        }
        self.model.agents[self.agent].decision.action = *action;
        self.model.act_onwards();
        crate::rules::welfare::power_mean(&crate::utility::stock(&self.model), self.p).max(0.0)
    }
}

/// Reviews the moves of every shielded agent (`Shield` phase).
pub fn review_moves(m: &mut WorldModel) {
    let Some(groups) = m.parts.get::<Shield>().map(|s| s.moves.clone()) else { return };
    if groups.iter().all(Option::is_none) {
        return;
    }
    let clock = m.clock;
    let model = m.imagine();
    let threads = rayon::current_num_threads();
    for k in 0..m.agents.len() {
        let agent = &m.agents[k];
        let Some(spec) = groups.get(agent.group as usize).cloned().flatten() else { continue };
        let id = agent.id;
        let mdp = MoveMdp { model: model.clone(), agent: k, mid_tick: true, p: spec.p };
        let seed = crate::rng::key(clock.seed, clock.tick, id as u64, crate::rng::Purpose::Planner);
        let q = crate::planner::q_values(&mdp, spec.gamma, spec.width, spec.depth, seed, threads);
        let moves: Vec<Vec<f64>> = crate::rules::forage::Action::ALL
            .iter()
            .map(|a| {
                let (dx, dy) = a.delta();
                vec![dx as f64, dy as f64]
            })
            .collect();
        let proposed = m.agents[k].decision.action as usize;
        let rule = ShieldSpec { margin: spec.margin, floor: spec.floor, mode: spec.mode, certified: None };
        let verdict = judge(&rule, &moves, &q, None, proposed);
        if verdict.chosen == proposed {
            continue;
        }
        let chosen = crate::rules::forage::Action::ALL[verdict.chosen];
        m.agents[k].decision.action = chosen;
        {
            let stats = &mut m.parts.get_mut::<Shield>().expect("checked above").stats;
            stats.interventions += 1;
            stats.protected += q[verdict.chosen] - q[proposed];
        }
        let (x, y) = (model.agents[k].pos.x, model.agents[k].pos.y);
        m.event(
            || format!("agent:{id}"),
            || Event::ShieldMove {
                proposed: crate::rules::action::Action::ALL[proposed].name(),
                q_proposed: q[proposed],
                replacement: chosen.name(),
                q_replacement: q[verdict.chosen],
                q: q.clone(),
                allowed_set_empty: verdict.empty,
                mode: format!("{:?}", spec.mode),
                x,
                y,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(margin: f64, floor: Option<f64>, mode: ShieldMode) -> ShieldSpec {
        ShieldSpec { margin, floor, mode, certified: None }
    }

    #[test]
    fn the_certified_set_is_exactly_q_minus_beta_at_least_omega() {
        // The check values: Q̂ = [0.80, 0.50, 0.30, 0.46], β = 0.05.
        let q = [0.80, 0.50, 0.30, 0.46];
        let actions: Vec<Vec<f64>> = (0..4).map(|k| vec![k as f64]).collect();
        assert_eq!(certified(&q, Some(0.05), 0.40), vec![0, 1, 3]);
        let rule = |omega| ShieldSpec { certified: Some(omega), ..ShieldSpec::default() };
        // The proposal 2 (0.30 − 0.05 < 0.40) is replaced by the best certified, 0.
        let v = judge(&rule(0.40), &actions, &q, Some(0.05), 2);
        assert_eq!((v.allowed.clone(), v.chosen, v.empty), (vec![0, 1, 3], 0, false));
        // 3 is certified (0.46 − 0.05 ≥ 0.40): it goes through.
        assert_eq!(judge(&rule(0.40), &actions, &q, Some(0.05), 3).chosen, 3);
        // ω = 0.80: nothing is certified (0.80 − 0.05 < 0.80); the fallback is argmax Q̂ = 0.
        let v = judge(&rule(0.80), &actions, &q, Some(0.05), 2);
        assert_eq!((v.allowed.is_empty(), v.chosen, v.empty), (true, 0, true));
        // No certified β (the budget certifies nothing): nothing is certified, whatever ω.
        let v = judge(&rule(-1e9), &actions, &q, None, 1);
        assert_eq!((v.allowed.is_empty(), v.chosen, v.empty), (true, 0, true));
        // The margin and floor are ignored in certified mode.
        let strict = ShieldSpec { margin: 0.0, floor: Some(10.0), certified: Some(0.40), ..ShieldSpec::default() };
        assert_eq!(judge(&strict, &actions, &q, Some(0.05), 1).allowed, vec![0, 1, 3]);
    }

    #[test]
    fn allowed_set_on_hand_made_estimates() {
        let q = [10.0, 9.5, 7.0, 9.9, 2.0];
        assert_eq!(allowed(&q, 0.5, None), vec![0, 1, 3]);
        assert_eq!(allowed(&q, 0.0, None), vec![0]);
        assert_eq!(allowed(&q, 10.0, Some(7.0)), vec![0, 1, 2, 3]);
        assert_eq!(allowed(&q, 10.0, Some(11.0)), Vec::<usize>::new());
    }

    #[test]
    fn post_posed_replaces_with_the_best_and_preemptive_with_the_nearest() {
        let actions = vec![vec![0.1, 0.1], vec![0.2, 0.1], vec![1.0, 1.0], vec![0.9, 1.0]];
        let q = [5.0, 4.8, 1.0, 4.7];
        // The proposal (index 2, rates 1.0/1.0) is far below the best.
        let post = judge(&spec(0.5, None, ShieldMode::PostPosed), &actions, &q, None, 2);
        assert_eq!((post.chosen, post.empty), (0, false));
        let pre = judge(&spec(0.5, None, ShieldMode::Preemptive), &actions, &q, None, 2);
        assert_eq!(pre.chosen, 3, "nearest allowed schedule to (1.0, 1.0) is (0.9, 1.0)");
        // An allowed proposal goes through.
        assert_eq!(judge(&spec(0.5, None, ShieldMode::PostPosed), &actions, &q, None, 1).chosen, 1);
        // Empty set: fall back to the highest Q̂.
        let empty = judge(&spec(0.5, Some(100.0), ShieldMode::PostPosed), &actions, &q, None, 2);
        assert_eq!((empty.chosen, empty.empty), (0, true));
        // Empty set, the proposal tied with the highest Q̂ (every Q̂ 0 in a dead commons): it
        // goes through, not the first of the tied (which was counted as an intervention).
        let dead = [0.0; 4];
        for mode in [ShieldMode::PostPosed, ShieldMode::Preemptive] {
            let v = judge(&spec(0.5, Some(1.0), mode), &actions, &dead, None, 2);
            assert_eq!((v.chosen, v.empty), (2, true), "{mode:?}");
        }
        let certified = ShieldSpec { certified: Some(1.0), ..ShieldSpec::default() };
        assert_eq!(judge(&certified, &actions, &dead, Some(0.1), 3).chosen, 3);
        // One strictly better than a tied pair: the better one.
        assert_eq!(
            judge(&spec(0.5, Some(100.0), ShieldMode::PostPosed), &actions, &[1.0, 2.0, 1.0, 2.0], None, 2).chosen,
            1
        );
    }
}
