//! The shield: a black-box policy is kept to the actions the planner deems safe — those whose
//! estimated value Q̂ is within a margin of the best (and, if set, above a floor). It wraps
//! the principal's tax policy (at each period end, over tax schedules) and any agent's harvest
//! policy (each tick, over its five moves, imagining a few ticks ahead on the world model).
//!
//! Post-posed, an action outside the allowed set is replaced by the best allowed one;
//! preemptive, the policy only ever gets allowed actions, so its choice is moved to the
//! nearest allowed one (L1 distance between schedules). If the allowed set is empty — every
//! action below the floor — the shield falls back to the action of highest Q̂, the least bad,
//! and says so in the event. Every intervention is a `shield_intervention` event with the
//! proposed action, its replacement and both Q̂; the metrics count interventions and add up
//! the estimated welfare they protected.

use bevy::prelude::*;

use crate::metrics::EventLog;
use crate::principal::{Principal, RateProposal};
use crate::scenario::{ShieldMode, ShieldSpec};
use crate::sim::{ScenarioRes, SimClock};

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

/// The allowed set for estimates `q`: within `margin` of the best, and at least `floor`.
pub fn allowed(q: &[f64], margin: f64, floor: Option<f64>) -> Vec<usize> {
    let best = q.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (0..q.len()).filter(|&k| q[k] >= best - margin && floor.is_none_or(|f| q[k] >= f)).collect()
}

/// Judges `proposed` among `actions` with estimates `q` (see the module docs).
pub fn judge(spec: &ShieldSpec, actions: &[Vec<f64>], q: &[f64], proposed: usize) -> Verdict {
    let allowed = allowed(q, spec.margin, spec.floor);
    let best_of = |set: &[usize]| {
        set.iter().copied().fold(None, |b: Option<usize>, k| match b {
            Some(j) if q[j] >= q[k] => Some(j),
            _ => Some(k),
        })
    };
    if allowed.is_empty() {
        let chosen = best_of(&(0..q.len()).collect::<Vec<_>>()).unwrap_or(proposed);
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
#[derive(Resource, Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ShieldStats {
    /// Proposals replaced.
    pub interventions: u64,
    /// Σ Q̂(replacement) − Q̂(proposal): the estimated discounted welfare protected, apples.
    pub protected: f64,
}

/// Reviews the principal's proposed rates when it is shielded.
pub fn review_rates(world: &mut World) {
    let Some(proposal) = world.resource::<RateProposal>().0.clone() else { return };
    let Some(spec) = world.resource::<ScenarioRes>().0.principal.clone() else { return };
    let Some(shield) = spec.shield.clone() else { return };
    if world.query::<&Principal>().iter(world).next().is_none() {
        return;
    }
    let clock = *world.resource::<SimClock>();
    let (actions, q, _) = crate::paa::estimate(world, &spec.planner, Some(proposal.clone()));
    let Some(proposed) = actions.iter().position(|a| *a == proposal) else { return };
    let verdict = judge(&shield, &actions, &q, proposed);
    if verdict.chosen == proposed && !verdict.empty {
        return;
    }
    let gain = q[verdict.chosen] - q[proposed];
    {
        let mut stats = world.resource_mut::<ShieldStats>();
        if verdict.chosen != proposed {
            stats.interventions += 1;
            stats.protected += gain;
        }
    }
    world.resource_mut::<RateProposal>().0 = Some(actions[verdict.chosen].clone());
    world.resource_mut::<EventLog>().push(
        clock.current(),
        "shield_intervention",
        "principal".into(),
        serde_json::json!({
            "proposed": actions[proposed],
            "q_proposed": q[proposed],
            "replacement": actions[verdict.chosen],
            "q_replacement": q[verdict.chosen],
            "allowed_set_empty": verdict.empty,
            "mode": format!("{:?}", shield.mode),
        }),
    );
}

/// One agent's choice of move on the world model, imagined from the middle of a tick (its
/// neighbours' decisions for this tick already made): the reward of a tick is `W_p` of every
/// agent's wealth afterwards.
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
        crate::rules::welfare::power_mean(&self.model.wealth(), self.p).max(0.0)
    }
}

/// Reviews the moves of every shielded agent (`Shield` phase).
pub fn review_moves(world: &mut World) {
    let Some(groups) = world.get_resource::<ScenarioRes>().map(|s| s.0.agents.clone()) else { return };
    if groups.iter().all(|g| g.shield.is_none()) {
        return;
    }
    let clock = *world.resource::<SimClock>();
    let model = crate::model::WorldModel::extract(world);
    let order = world.resource::<crate::agents::AgentOrder>().0.clone();
    let threads = rayon::current_num_threads();
    for (k, &e) in order.iter().enumerate() {
        let Some(agent) = world.get::<crate::agents::Agent>(e).copied() else { continue };
        let Some(spec) = groups.get(agent.group as usize).and_then(|g| g.shield.clone()) else { continue };
        let mdp = MoveMdp { model: model.clone(), agent: k, mid_tick: true, p: spec.p };
        let seed = crate::rng::key(clock.seed, clock.tick, agent.id as u64, crate::rng::Purpose::Planner);
        let q = crate::planner::q_values(&mdp, spec.gamma, spec.width, spec.depth, seed, threads);
        let moves: Vec<Vec<f64>> = crate::rules::forage::Action::ALL
            .iter()
            .map(|a| {
                let (dx, dy) = a.delta();
                vec![dx as f64, dy as f64]
            })
            .collect();
        let proposed = world.get::<crate::agents::Decision>(e).map_or(0, |d| d.action as usize);
        let rule = ShieldSpec { margin: spec.margin, floor: spec.floor, mode: spec.mode };
        let verdict = judge(&rule, &moves, &q, proposed);
        if verdict.chosen == proposed {
            continue;
        }
        let chosen = crate::rules::forage::Action::ALL[verdict.chosen];
        if let Some(mut d) = world.get_mut::<crate::agents::Decision>(e) {
            d.action = chosen;
        }
        {
            let mut stats = world.resource_mut::<ShieldStats>();
            stats.interventions += 1;
            stats.protected += q[verdict.chosen] - q[proposed];
        }
        world.resource_mut::<EventLog>().push(
            clock.current(),
            "shield_intervention",
            format!("agent:{}", agent.id),
            serde_json::json!({
                "proposed": crate::rules::forage::Action::ALL[proposed].name(),
                "q_proposed": q[proposed],
                "replacement": chosen.name(),
                "q_replacement": q[verdict.chosen],
                "q": q,
                "allowed_set_empty": verdict.empty,
                "mode": format!("{:?}", spec.mode),
                "x": model.agents[k].pos.x,
                "y": model.agents[k].pos.y,
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(margin: f64, floor: Option<f64>, mode: ShieldMode) -> ShieldSpec {
        ShieldSpec { margin, floor, mode }
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
        let post = judge(&spec(0.5, None, ShieldMode::PostPosed), &actions, &q, 2);
        assert_eq!((post.chosen, post.empty), (0, false));
        let pre = judge(&spec(0.5, None, ShieldMode::Preemptive), &actions, &q, 2);
        assert_eq!(pre.chosen, 3, "nearest allowed schedule to (1.0, 1.0) is (0.9, 1.0)");
        // An allowed proposal goes through.
        assert_eq!(judge(&spec(0.5, None, ShieldMode::PostPosed), &actions, &q, 1).chosen, 1);
        // Empty set: fall back to the highest Q̂.
        let empty = judge(&spec(0.5, Some(100.0), ShieldMode::PostPosed), &actions, &q, 2);
        assert_eq!((empty.chosen, empty.empty), (0, true));
    }
}
