//! Actions given from outside the engine (the Python API's learners): the part that holds the
//! next tick's action of each steered agent and the principal's choice. The mechanism that
//! applies them is `env::steer`, above the core; the part sits here so that the core's own
//! deciders — the planners above all — can leave a steered agent's decision alone instead of
//! working one out to be thrown away.

use super::{Part, WorldModel};
use crate::rules::action::Action;
use crate::vocab::Decision;

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

impl Steering {
    /// The action agent `id` is told to take, if any.
    pub fn action(&self, id: u32) -> Option<Action> {
        self.actions.get(id as usize).copied().flatten()
    }
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
    fn load(&mut self, _: &str) -> Result<(), super::LoadError> {
        Ok(())
    }
}

/// The decision of an agent told to do `action`: that action for sure.
pub fn told(action: Action) -> Decision {
    let mut d = Decision { action, ..Default::default() };
    let k = Action::ALL.iter().position(|&a| a == action).unwrap_or(0);
    d.probs[k] = 1.0;
    d
}

/// The action agent `id` is told to take this tick, if it is steered (an inactive agent is
/// told nothing).
pub fn told_to(m: &WorldModel, id: u32) -> Option<Action> {
    let a = m.agents.get(id as usize).filter(|a| a.id == id && !a.inactive)?;
    m.parts.get::<Steering>()?.action(a.id)
}

/// Whether the principal's rates are given from outside this tick (its own policy's proposal
/// would be replaced).
pub fn principal_told(m: &WorldModel) -> bool {
    m.parts.get::<Steering>().is_some_and(|s| s.principal.is_some())
}
