//! The inaction shadow: the world in which the AI agents did nothing from the start, stepped
//! alongside the real one with common random numbers. One shadow serves SUM's `harm` and
//! impact accounting's naive-inaction baseline; it exists when either asks for it.

use crate::model::{Mechanism, Part, SavedModel, Step, WorldModel};

/// The shadow: built last (it copies every other mechanism's imagined part), stepped at
/// `Account`.
pub const MECHANISM: Mechanism = Mechanism {
    name: "shadow",
    build,
    steps: &[(Step::Account, step)],
    active: Some(|m| m.parts.has::<InactionShadow>()),
    ..Mechanism::NONE
};

/// The counterfactual world without AI action.
#[derive(Clone, Debug)]
pub struct InactionShadow(pub Box<WorldModel>);

impl Part for InactionShadow {
    const NAME: &'static str = "inaction_shadow";
    /// Imagined worlds carry no shadow of their own.
    fn imagined(&self) -> Option<Self> {
        None
    }
    fn save(&self) -> Result<String, String> {
        crate::model::parts::to_ron(&self.0.save()?)
    }
    fn load(&mut self, text: &str) -> Result<(), crate::model::parts::LoadError> {
        let saved: SavedModel = ron::Options::default().from_str(text).map_err(|e| e.to_string())?;
        self.0.load(saved)
    }
}

/// Whether a scenario needs the shadow.
pub fn wanted(s: &crate::scenario::Scenario) -> bool {
    s.sum.harm || s.impact.is_some()
}

fn build(s: &crate::scenario::Scenario, m: &mut WorldModel) {
    if !wanted(s) {
        return;
    }
    let mut shadow = m.imagine();
    shadow.agents.iter_mut().filter(|a| a.ai).for_each(|a| a.inactive = true);
    shadow.parts.remove::<crate::principal::Principal>();
    m.parts.insert(InactionShadow(Box::new(shadow)));
}

fn step(m: &mut WorldModel) {
    if let Some(s) = m.parts.get_mut::<InactionShadow>() {
        s.0.step();
    }
}
