//! Impact accounting (Turner's clinginess post, DESIGN.md §3): side effects — object
//! transitions recorded by the world ([`crate::objects::Effect`]) — attributed to the AI
//! agents by comparing what happened with counterfactual worlds run on the world model with
//! common random numbers.
//!
//! An effect's identity is what happened to what: `(subject, kind)`, e.g. (vase 0, broken).
//! Four baselines are measured side by side every tick:
//!
//! - **none**: no counterfactual; every effect in the world counts, whoever caused it;
//! - **naive inaction**: a shadow world in which the AI agents did nothing from the start;
//!   penalised are the effects that happened but not in the shadow, and those that happened
//!   in the shadow but not in the world (the AI prevented them) — the difference of the two
//!   outcomes, so it can shrink when the AI puts things back ("offsetting");
//! - **stepwise inaction**: each tick, the world in which the AI agents do nothing *this*
//!   tick; penalised are the effects of this tick that differ between the two;
//! - **iterative**: each tick, two rollouts `horizon` ticks long from the same state — the
//!   AI agents act this tick then rest, or rest from this tick — give the effects that happen
//!   only if they act; those directly caused by other agents are the other agents' own
//!   choices and are dropped; a candidate is penalised when the same effect actually happens
//!   at the same tick, and each effect is counted once. Candidates that never happen are
//!   counted in `impact_unmatched` (what the rollouts alone would have blamed).
//!
//! Penalised effects are counted (metrics `impact_none`, `impact_naive`, `impact_stepwise`,
//! `impact_iterative`) and weighted by their kind's cost (`…_penalty`); whitelisted kinds are
//! never penalised. Class-based whitelisting compares, per class of exchangeable objects,
//! the distribution of states in the world with the naive shadow's and penalises the
//! probability mass that had to move along changes not whitelisted (`impact_class`, in
//! objects). AI agents weigh the effects each move would cause at once ([`Foresight`]).

use crate::columns;
use std::collections::{BTreeMap, BTreeSet};

use crate::grid::Grid;
use crate::model::{Event, Mechanism, Step, WorldModel};
use crate::objects::{Cause, Effect, ObjectKind, Subject};
use crate::scenario::{Baseline, EffectKind, ImpactSpec, ObjectClass, ObjectState};
use crate::shadow::InactionShadow;

/// An effect's identity: what happened to what.
pub type Identity = (Subject, EffectKind);

/// Impact accounting: its parts from the scenario's `impact` (the accounting, and what AI
/// agents foresee when the weight is positive); counterfactuals at `Foresee`, accounting at
/// `Effects`. The naive baseline is the [`crate::shadow`].
pub const MECHANISM: Mechanism = Mechanism {
    name: "impact",
    build: |s, m| {
        if let Some(spec) = &s.impact {
            let impact = Impact::new(spec);
            if let Some(f) = impact.foresight() {
                m.parts.insert(f);
            }
            m.parts.insert(impact);
        }
    },
    steps: &[(Step::Foresee, foresee), (Step::Effects, account)],
    measure: Some(measure),
    active: Some(|m| m.parts.has::<Impact>()),
    ..Mechanism::NONE
};

crate::serde_part!(Foresight, "impact_foresight");

// Imagined worlds keep no accounting.
crate::serde_part!(Impact, "impact", imagined: none);

/// What AI agents foresee: the penalty per effect kind of their immediate effects.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Foresight {
    /// Apples of utility per unit of cost.
    pub weight: f64,
    costs: BTreeMap<EffectKind, f64>,
}

impl Foresight {
    /// The cost of an effect kind (0 when whitelisted).
    pub fn cost(&self, kind: EffectKind) -> f64 {
        self.costs.get(&kind).copied().unwrap_or(1.0)
    }
}

/// The cost of an effect kind under `spec`: 0 when whitelisted, else its listed cost or 1.
pub fn cost(spec: &ImpactSpec, kind: EffectKind) -> f64 {
    if spec.whitelist.contains(&kind) { 0.0 } else { spec.costs.get(&kind).copied().unwrap_or(1.0) }
}

/// The penalised effects under one baseline.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Penalised(pub BTreeSet<Identity>);

impl Penalised {
    /// How many.
    pub fn count(&self) -> usize {
        self.0.len()
    }
    /// Their summed cost.
    pub fn penalty(&self, spec: &ImpactSpec) -> f64 {
        // (0.0 + …: an empty f64 sum is −0.0, which would print as "-0".)
        0.0 + self.0.iter().map(|&(_, k)| cost(spec, k)).sum::<f64>()
    }
}

/// The accounting's state.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Impact {
    /// The rules.
    pub spec: ImpactSpec,
    /// Every effect identity that happened, with its first cause.
    actual: BTreeMap<Identity, Cause>,
    /// Every effect identity that happened in the naive shadow.
    shadow: BTreeSet<Identity>,
    /// Penalised, per baseline.
    pub none: Penalised,
    /// Penalised against naive inaction (the current difference of outcomes).
    pub naive_penalised: Penalised,
    /// Penalised against stepwise inaction.
    pub stepwise: Penalised,
    /// Penalised by the iterative form.
    pub iterative: Penalised,
    /// Iterative candidates that never happened.
    pub unmatched: Penalised,
    /// This tick's effects had the AI agents done nothing this tick (stepwise).
    noop: Vec<Effect>,
    /// Iterative candidates: (tick, identity) → the tick whose action set them off.
    pending: BTreeMap<(u64, Identity), u64>,
}

impl Impact {
    /// The accounting for a freshly built world.
    pub fn new(spec: &ImpactSpec) -> Impact {
        Impact {
            spec: spec.clone(),
            actual: BTreeMap::new(),
            shadow: BTreeSet::new(),
            none: Penalised::default(),
            naive_penalised: Penalised::default(),
            stepwise: Penalised::default(),
            iterative: Penalised::default(),
            unmatched: Penalised::default(),
            noop: Vec::new(),
            pending: BTreeMap::new(),
        }
    }

    /// What AI agents foresee, when the penalty weight is positive.
    pub fn foresight(&self) -> Option<Foresight> {
        (self.spec.weight > 0.0).then(|| Foresight {
            weight: self.spec.weight,
            costs: [
                EffectKind::VaseMoved,
                EffectKind::VaseBroken,
                EffectKind::BoxMoved,
                EffectKind::PatchLost,
                EffectKind::ApplesTaken,
                EffectKind::WalletDrained,
            ]
            .into_iter()
            .map(|k| (k, cost(&self.spec, k)))
            .collect(),
        })
    }

    /// The penalised set of a baseline.
    pub fn penalised(&self, b: Baseline) -> &Penalised {
        match b {
            Baseline::None => &self.none,
            Baseline::Naive => &self.naive_penalised,
            Baseline::Stepwise => &self.stepwise,
            Baseline::Iterative => &self.iterative,
        }
    }

    fn whitelisted(&self, kind: EffectKind) -> bool {
        self.spec.whitelist.contains(&kind)
    }
}

/// One tick's counterfactuals, from the state after the decisions: the world one tick on had
/// the AI agents rested this tick (stepwise), and the iterative form's candidates. A pure
/// function of the model; `horizon` ≥ 1.
pub fn counterfactuals(model: &WorldModel, horizon: u64) -> (Vec<Effect>, Vec<Effect>) {
    let ai: BTreeSet<u32> = model.agents.iter().filter(|a| a.ai).map(|a| a.id).collect();
    let rest = |m: &mut WorldModel| {
        for a in m.agents.iter_mut().filter(|a| a.ai) {
            a.inactive = true;
            a.decision = Default::default();
        }
    };
    let mut rested = model.clone();
    rest(&mut rested);
    rested.act_onwards();
    let noop = rested.grid.effects.clone();
    let mut acted = model.clone();
    acted.act_onwards();
    let mut with: BTreeSet<(u64, Identity, Cause)> =
        acted.grid.effects.iter().map(|e| (e.tick, (e.subject, e.kind), e.cause)).collect();
    let mut without: BTreeSet<(u64, Identity)> = noop.iter().map(|e| (e.tick, (e.subject, e.kind))).collect();
    rest(&mut acted);
    for _ in 1..horizon {
        acted.step();
        rested.step();
        with.extend(acted.grid.effects.iter().map(|e| (e.tick, (e.subject, e.kind), e.cause)));
        without.extend(rested.grid.effects.iter().map(|e| (e.tick, (e.subject, e.kind))));
    }
    let candidates = with
        .into_iter()
        .filter(|(t, id, cause)| !without.contains(&(*t, *id)) && !matches!(cause, Cause::Agent(a) if !ai.contains(a)))
        .map(|(tick, (subject, kind), cause)| {
            let (x, y) = (0, 0);
            Effect { tick, subject, kind, cause, x, y }
        })
        .collect();
    (noop, candidates)
}

/// After the decisions: works out this tick's counterfactuals on an exact imagined copy.
fn foresee(m: &mut WorldModel) {
    let Some(horizon) = m.parts.get::<Impact>().map(|i| i.spec.horizon.max(1)) else { return };
    let tick = m.clock.current();
    let (noop, candidates) = counterfactuals(&m.imagine(), horizon);
    let impact = m.parts.get_mut::<Impact>().expect("checked above");
    impact.noop = noop;
    for c in candidates {
        impact.pending.entry((c.tick, (c.subject, c.kind))).or_insert(tick);
    }
}

fn describe(kind: EffectKind) -> &'static str {
    match kind {
        EffectKind::VaseMoved => "vase moved",
        EffectKind::VaseBroken => "vase broken",
        EffectKind::BoxMoved => "box moved",
        EffectKind::PatchLost => "patch lost",
        EffectKind::ApplesTaken => "apples taken",
        EffectKind::WalletDrained => "store drained",
    }
}

/// An attribution, for the event log: (baseline, identity, cause, why).
type Attribution = (&'static str, Identity, String, String);

fn attribution(
    events: &mut Vec<Attribution>,
    _tick: u64,
    baseline: &'static str,
    id: Identity,
    cause: String,
    why: String,
) {
    events.push((baseline, id, cause, why));
}

/// After the tick's effects (the shadow stepped at `Account`): updates every baseline.
fn account(m: &mut WorldModel) {
    let tick = m.clock.current();
    let WorldModel { grid, parts, .. } = m;
    let Some(shadow_effects) = parts.get::<InactionShadow>().map(|s| s.0.grid.effects.clone()) else { return };
    let Some(impact) = parts.get_mut::<Impact>() else { return };
    let mut events: Vec<Attribution> = Vec::new();
    let events = &mut events;
    // none
    for e in &grid.effects {
        impact.actual.entry((e.subject, e.kind)).or_insert(e.cause);
        if !impact.whitelisted(e.kind) && impact.none.0.insert((e.subject, e.kind)) {
            let why = "no baseline: every effect counts".to_string();
            attribution(events, tick, "none", (e.subject, e.kind), e.cause.to_string(), why);
        }
    }
    // naive: the difference of the outcomes so far.
    impact.shadow.extend(shadow_effects.iter().map(|e| (e.subject, e.kind)));
    let mut now = BTreeSet::new();
    for (&id, &cause) in &impact.actual {
        if !impact.shadow.contains(&id) && !impact.whitelisted(id.1) {
            now.insert(id);
            if !impact.naive_penalised.0.contains(&id) {
                let why = "would not have happened had the AI done nothing from the start".to_string();
                attribution(events, tick, "naive", id, cause.to_string(), why);
            }
        }
    }
    for &id in &impact.shadow {
        if !impact.actual.contains_key(&id) && !impact.whitelisted(id.1) {
            now.insert(id);
            if !impact.naive_penalised.0.contains(&id) {
                let why = "prevented: happens had the AI done nothing from the start".to_string();
                attribution(events, tick, "naive", id, "ai".to_string(), why);
            }
        }
    }
    impact.naive_penalised.0 = now;
    // stepwise: this tick against resting this tick.
    let here: BTreeMap<Identity, Cause> = grid.effects.iter().map(|e| ((e.subject, e.kind), e.cause)).collect();
    let there: BTreeSet<Identity> = impact.noop.iter().map(|e| (e.subject, e.kind)).collect();
    for (&id, &cause) in &here {
        if !there.contains(&id) && !impact.whitelisted(id.1) && impact.stepwise.0.insert(id) {
            let why = format!("would not have happened at tick {tick} had the AI rested this tick");
            attribution(events, tick, "stepwise", id, cause.to_string(), why);
        }
    }
    for &id in &there {
        if !here.contains_key(&id) && !impact.whitelisted(id.1) && impact.stepwise.0.insert(id) {
            let why = format!("prevented: happens at tick {tick} had the AI rested this tick");
            attribution(events, tick, "stepwise", id, "ai".to_string(), why);
        }
    }
    // iterative: candidates that happen now, each once.
    for (&id, &cause) in &here {
        if let Some(&at) = impact.pending.get(&(tick, id))
            && !impact.whitelisted(id.1)
            && impact.iterative.0.insert(id)
        {
            let why = format!("follows only from the AI's moves at tick {at}, and happened");
            attribution(events, tick, "iterative", id, cause.to_string(), why);
        }
    }
    // Candidates due by now leave the queue; those that did not happen are unmatched.
    let later = impact.pending.split_off(&(tick + 1, (Subject::Object(0), EffectKind::VaseMoved)));
    let due = std::mem::replace(&mut impact.pending, later);
    for (_, id) in due.into_keys() {
        if !here.contains_key(&id) && !impact.whitelisted(id.1) && !impact.iterative.0.contains(&id) {
            impact.unmatched.0.insert(id);
        }
    }
    let events = std::mem::take(events);
    for (baseline, (subject, kind), cause, why) in events {
        m.event(|| subject.to_string(), || Event::Impact { baseline, effect: describe(kind), cause, why });
    }
}

/// The state of each object of a class, in id order.
pub fn class_states(grid: &Grid, class: ObjectClass) -> Vec<ObjectState> {
    match class {
        ObjectClass::Vase | ObjectClass::Box => {
            let kind = if class == ObjectClass::Vase { ObjectKind::Vase } else { ObjectKind::Box };
            grid.objects
                .list()
                .iter()
                .filter(|o| o.kind == kind)
                .map(|o| {
                    if o.broken {
                        ObjectState::Gone
                    } else if (o.x, o.y) == o.home {
                        ObjectState::InPlace
                    } else {
                        ObjectState::Moved
                    }
                })
                .collect()
        }
        ObjectClass::Patch => (0..grid.patch_count())
            .map(|p| if grid.patch_alive(p) { ObjectState::InPlace } else { ObjectState::Gone })
            .collect(),
    }
}

const STATES: [ObjectState; 3] = [ObjectState::InPlace, ObjectState::Moved, ObjectState::Gone];

/// The distribution of `states` over (in place, moved, gone).
pub fn distribution(states: &[ObjectState]) -> [f64; 3] {
    let mut d = [0.0; 3];
    if states.is_empty() {
        return d;
    }
    for s in states {
        d[STATES.iter().position(|x| x == s).unwrap()] += 1.0 / states.len() as f64;
    }
    d
}

/// The least probability mass that must move along changes *not* allowed to turn the
/// distribution `from` into `to`: staying put and the `allowed` changes are free, every other
/// change costs its mass. That is the total mass less the most that can flow through free
/// changes (a maximum flow on the 3 × 3 transport graph).
pub fn mass_moved(from: &[f64; 3], to: &[f64; 3], allowed: &[(ObjectState, ObjectState)]) -> f64 {
    let free = |i: usize, j: usize| i == j || allowed.contains(&(STATES[i], STATES[j]));
    // Nodes: 0 source, 1..=3 from-states, 4..=6 to-states, 7 sink.
    let mut cap = [[0.0f64; 8]; 8];
    for i in 0..3 {
        cap[0][1 + i] = from[i];
        cap[4 + i][7] = to[i];
        for j in 0..3 {
            if free(i, j) {
                cap[1 + i][4 + j] = f64::INFINITY;
            }
        }
    }
    let mut flow = 0.0;
    loop {
        // Breadth-first search for an augmenting path.
        let mut prev = [usize::MAX; 8];
        prev[0] = 0;
        let mut queue = std::collections::VecDeque::from([0usize]);
        while let Some(u) = queue.pop_front() {
            for v in 0..8 {
                if prev[v] == usize::MAX && cap[u][v] > 1e-12 {
                    prev[v] = u;
                    queue.push_back(v);
                }
            }
        }
        if prev[7] == usize::MAX {
            break;
        }
        let mut push = f64::INFINITY;
        let mut v = 7;
        while v != 0 {
            push = push.min(cap[prev[v]][v]);
            v = prev[v];
        }
        let mut v = 7;
        while v != 0 {
            cap[prev[v]][v] -= push;
            cap[v][prev[v]] += push;
            v = prev[v];
        }
        flow += push;
    }
    (from.iter().sum::<f64>() - flow).max(0.0)
}

/// Class-based whitelisting against the naive shadow: per class, objects × mass moved.
pub fn class_penalty(spec: &ImpactSpec, actual: &Grid, shadow: &Grid) -> f64 {
    if spec.class_whitelist.is_empty() {
        return 0.0;
    }
    let mut total = 0.0;
    for class in [ObjectClass::Vase, ObjectClass::Box, ObjectClass::Patch] {
        let allowed: Vec<(ObjectState, ObjectState)> =
            spec.class_whitelist.iter().filter(|w| w.0 == class).map(|w| (w.1, w.2)).collect();
        let (a, s) = (class_states(actual, class), class_states(shadow, class));
        if a.is_empty() {
            continue;
        }
        total += a.len() as f64 * mass_moved(&distribution(&s), &distribution(&a), &allowed);
    }
    total
}

/// The penalty booked against the AI agents so far (`weight ×` the cost of the effects the
/// scenario's baseline penalises; 0 without impact accounting): what a learning AI's reward
/// loses ([`crate::learn`]).
pub fn booked(m: &WorldModel) -> f64 {
    m.parts.get::<Impact>().map_or(0.0, |i| i.spec.weight * i.penalised(i.spec.baseline).penalty(&i.spec))
}

/// The impact columns: penalised effects and their cost under each baseline.
fn measure(m: &WorldModel, set: &mut dyn FnMut(&'static str, f64)) {
    let Some(impact) = m.parts.get::<Impact>() else { return };
    let spec = &impact.spec;
    for (name, penalty, p) in [
        (columns::IMPACT_NONE, columns::IMPACT_NONE_PENALTY, &impact.none),
        (columns::IMPACT_NAIVE, columns::IMPACT_NAIVE_PENALTY, &impact.naive_penalised),
        (columns::IMPACT_STEPWISE, columns::IMPACT_STEPWISE_PENALTY, &impact.stepwise),
        (columns::IMPACT_ITERATIVE, columns::IMPACT_ITERATIVE_PENALTY, &impact.iterative),
    ] {
        set(name, p.count() as f64);
        set(penalty, p.penalty(spec));
    }
    set(columns::IMPACT_UNMATCHED, impact.unmatched.count() as f64);
    if !spec.class_whitelist.is_empty()
        && let Some(shadow) = m.parts.get::<InactionShadow>()
    {
        set(columns::IMPACT_CLASS, class_penalty(spec, &m.grid, &shadow.0.grid));
    }
    set(columns::IMPACT_PENALTY, spec.weight * impact.penalised(spec.baseline).penalty(spec));
}
