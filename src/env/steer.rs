//! Actions chosen outside the engine (the Python API): a part holding the next tick's action
//! of each steered agent, and of the principal, applied after every other decision — at
//! `Decide` for agents (each steered agent does exactly what it was told, with no power
//! budget: the shield and the world still have their say), at `Propose` for the principal's
//! rates. Agents given no action decide as their scenario says. Imagined worlds (shields'
//! look-ahead, planners, the inaction shadow) carry no steering: their agents follow their
//! scenario policies. The part itself is the core's ([`crate::model::steering`]): the
//! decisions give a steered agent its told move at once, and the planners (an AI's under an
//! impact penalty, the PAA principal) make no plan for what they are told.

use crate::model::{Mechanism, Step, WorldModel};
use crate::principal::RateProposal;
use crate::tax::TaxState;

/// The steering mechanism: register it in a world that an outside learner drives.
pub const MECHANISM: Mechanism = Mechanism {
    name: "steered",
    build: |_, m| m.parts.insert(Steering::default()),
    steps: &[(Step::Decide, decide), (Step::Propose, propose)],
    ..Mechanism::NONE
};

pub use crate::model::steering::{Steering, told};

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
