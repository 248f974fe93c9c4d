//! Agents that learn (issue 12): learned policies as small candle networks ([`net`]), their
//! decisions in the tick ([`play`]), SED's learned principal ([`principal`]), and PPO training over many copies of a world ([`train`],
//! [`ppo`], [`adam`]); `polity train` writes what [`folder`] says. docs/learning.md documents
//! the observation, the reward and the algorithm.

pub mod adam;
pub mod folder;
pub mod net;
pub mod play;
pub mod ppo;
pub mod principal;
pub mod train;

pub use play::{Brains, MECHANISM};

/// Makes group `group` of `s` play the policy in `path` (`--policy GROUP=FILE`): its policy
/// becomes `Learned` with the file's view and shape (a `Learned` group's own view, hidden
/// layers and sharing give way to the file's: the network in the file needs them, and a view
/// other than the one it trained with was refused, with no field to change it from Python),
/// and the file is checked against the group as a scenario's `weights` is (the tax brackets
/// its observation holds, its actions, its count of networks). `principal=FILE` makes
/// the scenario's principal play a learned principal's file. `said` is how the caller's user
/// gave the pair (`--policy learners=FILE` on the command line, `policies={...}` in Python):
/// every message starts with it.
pub fn play_file(s: &mut crate::scenario::Scenario, group: &str, path: &str, said: &str) -> Result<(), String> {
    use crate::scenario::{LearnedSpec, PolicySpec};
    let names: Vec<&str> = s.agents.iter().map(|g| g.name.as_str()).filter(|n| !n.is_empty()).collect();
    if group == principal::GROUP && !s.agents.iter().any(|g| g.name == group) {
        return play_principal(s, path, said);
    }
    let Some(g) = s.agents.iter().position(|g| g.name == group) else {
        return Err(format!(
            "{said}: scenario `{}` has no group named `{group}` (its groups: {})",
            s.name,
            if names.is_empty() { "none named".to_string() } else { names.join(", ") }
        ));
    };
    let header = crate::policy_file::read_header(path).map_err(|p| {
        format!("{said}: {}{}", p.message, p.hint.map(|h| format!("\n    hint: {h}")).unwrap_or_default())
    })?;
    if header.group == principal::GROUP {
        // Its header has no view (a principal sees the economy): checked as a group's, it was
        // first refused for a view of 0, which the user never set.
        return Err(format!(
            "{said}: `{path}` holds a learned principal's policy (of scenario `{}`), not an agent group's\n    hint: a principal's file plays the scenario's principal: --policy principal={path}",
            header.scenario
        ));
    }
    let path = &kept(path);
    // A group of one agent keeps its `shared` (either way one network).
    let shared = match &s.agents[g].policy {
        PolicySpec::Learned(l) if header.networks == 1 && s.agents[g].count == 1 => l.shared,
        _ => header.networks == 1,
    };
    s.agents[g].policy = PolicySpec::Learned(LearnedSpec {
        view: header.view,
        hidden: header.hidden.clone(),
        shared,
        weights: Some(path.to_string()),
    });
    crate::scenario::check_typed(s.clone(), said).map(drop).map_err(|p| format!("{p:#}"))
}

/// A policy file given to play, as the scenario keeps it: by its absolute path, so that what
/// a run writes (scenario.ron, run.json, checkpoints, a sweep's sweep.json) names the file
/// from any folder (a checkpoint resumed from another folder found none).
fn kept(path: &str) -> String {
    std::path::absolute(path).map_or(path.to_string(), |p| p.display().to_string())
}

/// `--policy principal=FILE` (given as `flag`): the scenario's principal plays the learned
/// principal in `path`.
fn play_principal(s: &mut crate::scenario::Scenario, path: &str, flag: &str) -> Result<(), String> {
    use crate::scenario::{LearnedPrincipal, PrincipalPolicy};
    let Some(p) = s.principal.as_mut() else {
        return Err(format!(
            "{flag}: scenario `{}` has no principal to play it\n    hint: give the scenario a `tax` and a `principal: (policy: Learned())` section",
            s.name
        ));
    };
    let header = crate::policy_file::read_header(path).map_err(|p| {
        format!("{flag}: {}{}", p.message, p.hint.map(|h| format!("\n    hint: {h}")).unwrap_or_default())
    })?;
    p.policy = PrincipalPolicy::Learned(LearnedPrincipal { hidden: header.hidden, weights: Some(kept(path)) });
    crate::scenario::check_typed(s.clone(), flag).map(drop).map_err(|p| format!("{p:#}"))
}
