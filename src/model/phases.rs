//! The phase list, written once: the steps of a tick in order, and the registry of the
//! functions each mechanism runs at each step. [`super::WorldModel::step`] walks this list;
//! the ECS schedule runs the same list through one thin system per step
//! ([`crate::sim`]), so the world and every imagined copy of it tick alike.

use super::WorldModel;
use crate::scenario::Scenario;

/// The steps of a tick, in the order they run. Each belongs to one of the eight phases
/// (Observe, Decide, Shield, Act, Resolve, Govern, Account, Measure).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Observe: the tick's counters are reset.
    Observe,
    /// Decide: agents score their moves and draw one.
    Decide,
    /// Shield: shields review the moves drawn.
    Shield,
    /// Shield, last: counterfactuals are worked out from the decisions as they stand.
    Foresee,
    /// Act: moves are carried out.
    Act,
    /// Resolve: belts carry objects.
    Belts,
    /// Resolve: agents pick apples.
    Harvest,
    /// Resolve: thieves take apples.
    Steal,
    /// Resolve: apples regrow.
    Regrow,
    /// Govern: taxes are collected and redistributed.
    Collect,
    /// Govern: elections are held.
    Elect,
    /// Govern: the principal proposes rates.
    Propose,
    /// Govern: a shield may review the proposal.
    Review,
    /// Govern: the rates are applied.
    Apply,
    /// Govern: audits.
    Audit,
    /// Account: rewards are credited, shadows step.
    Account,
    /// Account, last: the tick's effects are accounted for.
    Effects,
    /// Measure: the clock advances.
    Measure,
}

impl Step {
    /// Every step, in order: the phase list.
    pub const ALL: [Step; 18] = [
        Step::Observe,
        Step::Decide,
        Step::Shield,
        Step::Foresee,
        Step::Act,
        Step::Belts,
        Step::Harvest,
        Step::Steal,
        Step::Regrow,
        Step::Collect,
        Step::Elect,
        Step::Propose,
        Step::Review,
        Step::Apply,
        Step::Audit,
        Step::Account,
        Step::Effects,
        Step::Measure,
    ];
}

/// A phase function: one mechanism's work at one step, on the world model.
pub type PhaseFn = fn(&mut WorldModel);

/// A metrics function: sets columns by name (`set(name, value)`).
pub type MeasureFn = fn(&WorldModel, &mut dyn FnMut(&'static str, f64));

/// A digest function: adds a mechanism's part to the state digest.
pub type DigestFn = fn(&WorldModel, &mut crate::hash::Fnv);

/// A mechanism: what it builds from its scenario section and what it runs at each step. One
/// module defines one, and its plugin registers it ([`crate::sim::AppMechanisms`]).
#[derive(Clone, Copy)]
pub struct Mechanism {
    /// Its name (for errors and docs).
    pub name: &'static str,
    /// Adds its parts to a freshly built world (nothing when its scenario section is absent).
    pub build: fn(&Scenario, &mut WorldModel),
    /// Its phase functions.
    pub steps: &'static [(Step, PhaseFn)],
    /// Sets its metrics columns, after the engine's own (in registration order).
    pub measure: Option<MeasureFn>,
    /// Adds its part of the state digest (in registration order).
    pub digest: Option<DigestFn>,
    /// Whether a freshly built world runs its phase functions (None: always). A world whose
    /// scenario has no section for a mechanism skips it; its measure and digest still run.
    pub active: Option<fn(&WorldModel) -> bool>,
}

impl Mechanism {
    /// A mechanism that builds nothing and runs nothing: the defaults to fill in from.
    pub const NONE: Mechanism =
        Mechanism { name: "", build: |_, _| {}, steps: &[], measure: None, digest: None, active: None };
}

impl std::fmt::Debug for Mechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mechanism").field("name", &self.name).finish_non_exhaustive()
    }
}

/// The registered phase functions, in step order (mechanisms at one step in the order they
/// were registered).
#[derive(Clone, Debug, Default)]
pub struct Phases {
    list: Vec<(Step, &'static str, PhaseFn)>,
    measures: Vec<MeasureFn>,
    digests: Vec<DigestFn>,
}

impl Phases {
    /// The phase functions of `mechanisms`, of those `runs` keeps.
    pub fn new(mechanisms: &[Mechanism], runs: impl Fn(&Mechanism) -> bool) -> Phases {
        let mut list: Vec<(Step, &'static str, PhaseFn)> = mechanisms
            .iter()
            .filter(|m| runs(m))
            .flat_map(|m| m.steps.iter().map(move |&(s, f)| (s, m.name, f)))
            .collect();
        list.sort_by_key(|(s, _, _)| *s);
        Phases {
            list,
            measures: mechanisms.iter().filter_map(|m| m.measure).collect(),
            digests: mechanisms.iter().filter_map(|m| m.digest).collect(),
        }
    }
    /// The mechanisms' metrics functions, in registration order.
    pub fn measures(&self) -> &[MeasureFn] {
        &self.measures
    }
    /// The mechanisms' digest functions, in registration order.
    pub fn digests(&self) -> &[DigestFn] {
        &self.digests
    }
    /// The functions of the steps from `from` to `to`, both included, in order.
    pub fn between(&self, from: Step, to: Step) -> impl Iterator<Item = PhaseFn> + '_ {
        self.list.iter().filter(move |(s, _, _)| (from..=to).contains(s)).map(|(_, _, f)| *f)
    }
    /// (step, mechanism) of every registered function, in order: what runs in a tick.
    pub fn describe(&self) -> Vec<(Step, &'static str)> {
        self.list.iter().map(|(s, m, _)| (*s, *m)).collect()
    }
}
