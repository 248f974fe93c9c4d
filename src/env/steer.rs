//! Actions chosen outside the engine (the Python API): a part holding the next tick's action
//! of each steered agent, and of the principal, applied after every other decision — at
//! `Decide` for agents (each steered agent does exactly what it was told, with no power
//! budget: the shield and the world still have their say), at `Propose` for the principal's
//! rates. Agents given no action decide as their scenario says. Imagined worlds (shields'
//! look-ahead, planners, the inaction shadow) carry no steering: their agents follow their
//! scenario policies.

use crate::model::{Mechanism, Part, Step, WorldModel};
use crate::principal::RateProposal;
use crate::rules::action::Action;
use crate::tax::TaxState;

/// The steering mechanism: register it in a world that an outside learner drives.
pub const MECHANISM: Mechanism = Mechanism {
    name: "steered",
    build: |_, m| m.parts.insert(Steering::default()),
    steps: &[(Step::Decide, decide), (Step::Propose, propose)],
    ..Mechanism::NONE
};

/// The next tick's actions from outside: per agent (id order) an action or `None` (the agent
/// decides for itself), and the principal's choice per bracket (0 keeps the bracket's rate,
/// `i ≥ 1` sets rate `(i − 1)·step`, as the learned principal's choices), read only at the
/// end of a tax period.
#[derive(Clone, Debug, Default)]
pub struct Steering {
    /// Each agent's action, id order.
    pub actions: Vec<Option<Action>>,
    /// The principal's choice, per bracket.
    pub principal: Option<Vec<u32>>,
}

impl Part for Steering {
    const NAME: &'static str = "steered";
    fn imagined(&self) -> Option<Self> {
        None
    }
    /// Set afresh before every tick, so a checkpoint saves nothing of it.
    fn save(&self) -> Result<String, String> {
        Ok(String::new())
    }
    fn load(&mut self, _: &str) -> Result<(), crate::model::parts::LoadError> {
        Ok(())
    }
}

/// The decision of an agent told to do `action`: that action for sure.
pub fn told(action: Action) -> crate::vocab::Decision {
    let mut d = crate::vocab::Decision { action, ..Default::default() };
    let k = Action::ALL.iter().position(|&a| a == action).unwrap_or(0);
    d.probs[k] = 1.0;
    d
}

fn decide(m: &mut WorldModel) {
    let Some(s) = m.parts.get::<Steering>() else { return };
    if s.actions.is_empty() {
        return;
    }
    let actions = s.actions.clone();
    for (a, act) in m.agents.iter_mut().zip(actions) {
        if let Some(act) = act
            && !a.inactive
        {
            a.decision = told(act);
        }
    }
}

fn propose(m: &mut WorldModel) {
    let clock = m.clock;
    let Some(choice) = m.parts.get::<Steering>().and_then(|s| s.principal.clone()) else { return };
    let Some(tax) = m.parts.get::<TaxState>().filter(|t| t.period_ends(&clock)) else { return };
    if !m.parts.has::<RateProposal>() {
        return;
    }
    let rates = crate::learn::principal::rates_of(&choice, &tax.rates(), tax.rate_step, 1.0);
    m.parts.insert(RateProposal(Some(rates)));
}
