//! Impact accounting (Turner's clinginess post, DESIGN.md §3): side effects — object
//! transitions recorded by the world ([`crate::objects::Effect`]) — attributed to the AI
//! agents by comparing what happened with counterfactual worlds run on the world model with
//! common random numbers.
//!
//! An effect's identity is what happened to what: `(subject, kind)`, e.g. (vase 0, broken).
//! Six baselines are measured side by side every tick:
//!
//! - **none**: no counterfactual; every effect in the world counts, whoever caused it;
//! - **naive inaction** (one-sided, as the post defines it): the effects that happened but
//!   would not have happened had the AI agents done nothing from the start — those they
//!   caused directly (they never act in the world without them), and those of other agents
//!   and the environment that the shadow world without them never saw. Effects the AI
//!   *prevented* are not blamed;
//! - **naive, symmetric**: the difference of the two outcomes — also the effects that happened
//!   in the shadow but not in the world — so it can shrink when the AI puts things back
//!   ("offsetting");
//! - **stepwise inaction**: each tick, the world in which the AI agents do nothing *this*
//!   tick; penalised are the effects of this tick that differ between the two;
//! - **iterative**: each tick, two rollouts `horizon` ticks long from the same state — the
//!   AI agents act this tick then rest, or rest from this tick — give the effects that happen
//!   only if they act; those directly caused by other agents are the other agents' own
//!   choices and are dropped; a candidate is penalised when the same effect actually happens
//!   at the same tick, and each effect is counted once. Candidates that never happen are
//!   counted in `impact_unmatched` (what the rollouts alone would have blamed);
//! - **stationary iterative**: the same, but in the resting rollout the other agents act as
//!   if they had seen the AI act — they replay, tick by tick, the moves they make in the
//!   acting rollout — and their direct effects are kept.
//!
//! The horizon is the AI's plan length: the planning depth of a planning AI
//! ([`crate::impact_plan`]), else the remainder of the episode (or `impact.horizon` ticks
//! when the scenario fixes it).
//!
//! Penalised effects are counted (metrics `impact_none`, `impact_naive`,
//! `impact_naive_symmetric`, `impact_stepwise`, `impact_iterative`, `impact_stationary`) and
//! weighted by their kind's cost (`…_penalty`); whitelisted kinds are never penalised.
//! Class-based whitelisting compares, per class of exchangeable objects, the distribution of
//! states in the world with the booked baseline's counterfactual and penalises the probability
//! mass that had to move along changes not whitelisted (`impact_class`, in objects); with
//! whitelist learning, the belief that a change is allowed is learned from the changes seen in
//! the world without the AI. Forager AI agents weigh the effects each move would cause at once
//! ([`Foresight`]); planning AIs weigh the booked penalty over their whole plan.

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
            let mut impact = Impact::new(spec, s.run.ticks);
            impact.start_states = classed(&m.grid);
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
    /// Every effect identity an AI agent caused directly.
    #[serde(default)]
    ai_caused: BTreeSet<Identity>,
    /// Every effect identity that happened in the naive shadow.
    shadow: BTreeSet<Identity>,
    /// Penalised, per baseline.
    pub none: Penalised,
    /// Penalised against one-sided naive inaction.
    pub naive_penalised: Penalised,
    /// Penalised against naive inaction as a symmetric difference of outcomes.
    #[serde(default)]
    pub naive_symmetric: Penalised,
    /// Penalised against stepwise inaction.
    pub stepwise: Penalised,
    /// Penalised by the iterative form.
    pub iterative: Penalised,
    /// Penalised by the stationary iterative form.
    #[serde(default)]
    pub stationary: Penalised,
    /// Iterative candidates that never happened.
    pub unmatched: Penalised,
    /// This tick's effects had the AI agents done nothing this tick (stepwise).
    noop: Vec<Effect>,
    /// Iterative candidates: (tick, identity) → the tick whose action set them off.
    pending: BTreeMap<(u64, Identity), u64>,
    /// Stationary iterative candidates, likewise.
    #[serde(default)]
    stationary_pending: BTreeMap<(u64, Identity), u64>,
    /// The episode's last tick.
    #[serde(default)]
    end_tick: u64,
    /// Class-whitelist learning: per (class, from, to) change, the times it was seen in the
    /// world without the AI.
    #[serde(default)]
    pub seen_changes: BTreeMap<(ObjectClass, ObjectState, ObjectState), u64>,
    /// The class states of the shadow at the end of the last tick (for whitelist learning).
    #[serde(default)]
    shadow_states: BTreeMap<ObjectClass, Vec<ObjectState>>,
    /// The class states of the world had the AI agents rested this tick (the stepwise
    /// counterfactual of class whitelisting).
    #[serde(default)]
    noop_states: BTreeMap<ObjectClass, Vec<ObjectState>>,
    /// The class states at the start (the counterfactual of class whitelisting with no
    /// baseline).
    #[serde(default)]
    start_states: BTreeMap<ObjectClass, Vec<ObjectState>>,
    /// The stepwise class penalty so far (summed over ticks).
    #[serde(default)]
    stepwise_class: f64,
}

impl Impact {
    /// The accounting for a freshly built world of an episode ending at `end_tick`.
    pub fn new(spec: &ImpactSpec, end_tick: u64) -> Impact {
        Impact {
            spec: spec.clone(),
            actual: BTreeMap::new(),
            ai_caused: BTreeSet::new(),
            shadow: BTreeSet::new(),
            none: Penalised::default(),
            naive_penalised: Penalised::default(),
            naive_symmetric: Penalised::default(),
            stepwise: Penalised::default(),
            iterative: Penalised::default(),
            stationary: Penalised::default(),
            unmatched: Penalised::default(),
            noop: Vec::new(),
            pending: BTreeMap::new(),
            stationary_pending: BTreeMap::new(),
            end_tick,
            seen_changes: BTreeMap::new(),
            shadow_states: BTreeMap::new(),
            noop_states: BTreeMap::new(),
            start_states: BTreeMap::new(),
            stepwise_class: 0.0,
        }
    }

    /// The rollouts' horizon for the tick numbered `current`: the scenario's when it fixes
    /// one, else the planning depth of a planning AI, else the ticks left in the episode (at
    /// least 1).
    pub fn horizon(&self, current: u64) -> u64 {
        match (self.spec.horizon, &self.spec.plan) {
            (0, Some(p)) => p.depth as u64,
            (0, None) => (self.end_tick + 1).saturating_sub(current),
            (h, _) => h,
        }
        .max(1)
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
            Baseline::NaiveSymmetric => &self.naive_symmetric,
            Baseline::Stepwise => &self.stepwise,
            Baseline::Iterative => &self.iterative,
            Baseline::StationaryIterative => &self.stationary,
        }
    }

    fn whitelisted(&self, kind: EffectKind) -> bool {
        self.spec.whitelist.contains(&kind)
    }
}

/// One tick's counterfactuals, from the state after the decisions.
pub struct Counterfactuals {
    /// This tick's effects had the AI agents rested this tick (stepwise).
    pub noop: Vec<Effect>,
    /// The world one tick on had they rested this tick.
    pub noop_grid: Grid,
    /// The iterative form's candidates: effects that follow only if they act this tick, less
    /// other agents' direct effects.
    pub candidates: Vec<Effect>,
    /// The stationary iterative form's candidates: the same against a resting rollout in
    /// which the other agents replay their moves of the acting rollout; all causes kept.
    pub stationary: Vec<Effect>,
}

/// One tick's counterfactuals, from the state after the decisions: the world one tick on had
/// the AI agents rested this tick (stepwise), and the iterative forms' candidates. A pure
/// function of the model; `horizon` ≥ 1.
pub fn counterfactuals(model: &WorldModel, horizon: u64) -> Counterfactuals {
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
    let noop_grid = rested.grid.clone();
    let mut acted = model.clone();
    acted.act_onwards();
    type Seen = BTreeSet<(u64, Identity, Cause)>;
    let record = |set: &mut Seen, m: &WorldModel| {
        set.extend(m.grid.effects.iter().map(|e| (e.tick, (e.subject, e.kind), e.cause)))
    };
    let mut with = Seen::new();
    record(&mut with, &acted);
    let mut without = Seen::new();
    record(&mut without, &rested);
    // The stationary counterfactual: the first tick is the stepwise one (the others' moves
    // this tick are already those they make while the AI acts).
    let mut still = rested.clone();
    let mut without_still = without.clone();
    rest(&mut acted);
    for _ in 1..horizon {
        acted.decide();
        let moves: Vec<crate::rules::forage::Action> = acted.agents.iter().map(|a| a.decision.action).collect();
        acted.act_onwards();
        record(&mut with, &acted);
        rested.step();
        record(&mut without, &rested);
        still.decide();
        for (a, &action) in still.agents.iter_mut().zip(&moves) {
            if !a.ai && !a.inactive {
                a.decision.action = action;
            }
        }
        still.act_onwards();
        record(&mut without_still, &still);
    }
    let strip = |set: &Seen| -> BTreeSet<(u64, Identity)> { set.iter().map(|&(t, id, _)| (t, id)).collect() };
    let (without, without_still) = (strip(&without), strip(&without_still));
    let effect =
        |(tick, (subject, kind), cause): (u64, Identity, Cause)| Effect { tick, subject, kind, cause, x: 0, y: 0 };
    let candidates = with
        .iter()
        .copied()
        .filter(|(t, id, cause)| !without.contains(&(*t, *id)) && !matches!(cause, Cause::Agent(a) if !ai.contains(a)))
        .map(effect)
        .collect();
    let stationary =
        with.iter().copied().filter(|(t, id, _)| !without_still.contains(&(*t, *id))).map(effect).collect();
    Counterfactuals { noop, noop_grid, candidates, stationary }
}

/// After the decisions: works out this tick's counterfactuals on an exact imagined copy.
fn foresee(m: &mut WorldModel) {
    let tick = m.clock.current();
    let Some(horizon) = m.parts.get::<Impact>().map(|i| i.horizon(tick)) else { return };
    let c = counterfactuals(&m.imagine(), horizon);
    let impact = m.parts.get_mut::<Impact>().expect("checked above");
    impact.noop = c.noop;
    if !impact.spec.class_whitelist.is_empty() || impact.spec.learn_whitelist.is_some() {
        impact.noop_states = CLASSES.iter().map(|&k| (k, class_states(&c.noop_grid, k))).collect();
    }
    for e in c.candidates {
        impact.pending.entry((e.tick, (e.subject, e.kind))).or_insert(tick);
    }
    for e in c.stationary {
        impact.stationary_pending.entry((e.tick, (e.subject, e.kind))).or_insert(tick);
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
    let WorldModel { grid, parts, agents, .. } = m;
    let learning = parts.get::<Impact>().is_some_and(|i| i.spec.learn_whitelist.is_some());
    let Some((shadow_effects, shadow_grid)) = parts
        .get::<InactionShadow>()
        .map(|s| (s.0.grid.effects.clone(), if learning { classed(&s.0.grid) } else { BTreeMap::new() }))
    else {
        return;
    };
    let Some(impact) = parts.get_mut::<Impact>() else { return };
    // Class whitelisting: learn from the shadow's changes; book the stepwise class penalty.
    if learning {
        for (&class, now) in &shadow_grid {
            let before = impact.shadow_states.get(&class).or_else(|| impact.start_states.get(&class));
            if let Some(before) = before {
                for (&from, &to) in before.iter().zip(now) {
                    if from != to {
                        *impact.seen_changes.entry((class, from, to)).or_insert(0) += 1;
                    }
                }
            }
        }
        impact.shadow_states = shadow_grid;
    }
    if class_whitelisting(&impact.spec) && !impact.noop_states.is_empty() {
        let actual = classed(grid);
        impact.stepwise_class += class_penalty_between(impact, &impact.noop_states, &actual);
    }
    let mut events: Vec<Attribution> = Vec::new();
    let events = &mut events;
    // This tick's effects by identity, each with its direct cause: an agent's before the
    // environment's (an agent pushes a vase and a belt carries it on in one tick: the push is
    // the cause every baseline names).
    let mut here: BTreeMap<Identity, Cause> = BTreeMap::new();
    for e in &grid.effects {
        let cause = here.entry((e.subject, e.kind)).or_insert(e.cause);
        if matches!(cause, Cause::Environment) {
            *cause = e.cause;
        }
    }
    // The cause an attribution names: this tick's, when the effect happened this tick.
    let named = |id: &Identity, first: Cause| here.get(id).copied().unwrap_or(first).to_string();
    // none
    for e in &grid.effects {
        impact.actual.entry((e.subject, e.kind)).or_insert(e.cause);
        if !impact.whitelisted(e.kind) && impact.none.0.insert((e.subject, e.kind)) {
            let why = "no baseline: every effect counts".to_string();
            let id = (e.subject, e.kind);
            attribution(events, tick, "none", id, named(&id, e.cause), why);
        }
    }
    // naive, one-sided: what happened and would not have happened without the AI — what it
    // did itself, and what the shadow never saw.
    let ai: BTreeSet<u32> = agents.iter().filter(|a| a.ai).map(|a| a.id).collect();
    for e in &grid.effects {
        if matches!(e.cause, Cause::Agent(a) if ai.contains(&a)) {
            impact.ai_caused.insert((e.subject, e.kind));
        }
    }
    impact.shadow.extend(shadow_effects.iter().map(|e| (e.subject, e.kind)));
    let mut now = BTreeSet::new();
    for (&id, &cause) in &impact.actual {
        let own = impact.ai_caused.contains(&id);
        if (own || !impact.shadow.contains(&id)) && !impact.whitelisted(id.1) {
            now.insert(id);
            if !impact.naive_penalised.0.contains(&id) {
                let why = if own {
                    "the AI did it: it never acts in the world without it"
                } else {
                    "would not have happened had the AI done nothing from the start"
                };
                attribution(events, tick, "naive", id, named(&id, cause), why.to_string());
            }
        }
    }
    impact.naive_penalised.0 = now;
    // naive, symmetric: the difference of the outcomes so far.
    let mut now = BTreeSet::new();
    for (&id, &cause) in &impact.actual {
        if !impact.shadow.contains(&id) && !impact.whitelisted(id.1) {
            now.insert(id);
            if !impact.naive_symmetric.0.contains(&id) {
                let why = "would not have happened had the AI done nothing from the start".to_string();
                attribution(events, tick, "naive_symmetric", id, named(&id, cause), why);
            }
        }
    }
    for &id in &impact.shadow {
        if !impact.actual.contains_key(&id) && !impact.whitelisted(id.1) {
            now.insert(id);
            if !impact.naive_symmetric.0.contains(&id) {
                let why = "prevented: happens had the AI done nothing from the start".to_string();
                attribution(events, tick, "naive_symmetric", id, "ai".to_string(), why);
            }
        }
    }
    impact.naive_symmetric.0 = now;
    // stepwise: this tick against resting this tick.
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
    let first = (tick + 1, (Subject::Object(0), EffectKind::VaseMoved));
    let later = impact.pending.split_off(&first);
    let due = std::mem::replace(&mut impact.pending, later);
    for (_, id) in due.into_keys() {
        if !here.contains_key(&id) && !impact.whitelisted(id.1) && !impact.iterative.0.contains(&id) {
            impact.unmatched.0.insert(id);
        }
    }
    // stationary iterative: likewise, against the rollout in which the others replay.
    for (&id, &cause) in &here {
        if let Some(&at) = impact.stationary_pending.get(&(tick, id))
            && !impact.whitelisted(id.1)
            && impact.stationary.0.insert(id)
        {
            let why = format!("follows only from the AI's moves at tick {at}, the others acting as having seen them");
            attribution(events, tick, "stationary", id, cause.to_string(), why);
        }
    }
    let later = impact.stationary_pending.split_off(&first);
    impact.stationary_pending = later;
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
        let push = augment(&mut cap, &prev);
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
    for class in CLASSES {
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

/// The classes of exchangeable objects.
pub const CLASSES: [ObjectClass; 3] = [ObjectClass::Vase, ObjectClass::Box, ObjectClass::Patch];

/// Every class's states in `grid`.
pub fn classed(grid: &Grid) -> BTreeMap<ObjectClass, Vec<ObjectState>> {
    CLASSES.iter().map(|&k| (k, class_states(grid, k))).collect()
}

fn class_whitelisting(spec: &ImpactSpec) -> bool {
    !spec.class_whitelist.is_empty() || spec.learn_whitelist.is_some()
}

/// The belief that a change of `class` from `from` to `to` is allowed: 1 when the scenario
/// whitelists it; with whitelist learning, the posterior mean `(a + n) / (a + b + n)` of a
/// Beta(a, b) prior after `n` sightings in the world without the AI; else 0.
pub fn allowed_belief(impact: &Impact, class: ObjectClass, from: ObjectState, to: ObjectState) -> f64 {
    if from == to || impact.spec.class_whitelist.contains(&(class, from, to)) {
        return 1.0;
    }
    match &impact.spec.learn_whitelist {
        None => 0.0,
        Some(l) => {
            let n = impact.seen_changes.get(&(class, from, to)).copied().unwrap_or(0) as f64;
            (l.prior_allowed + n) / (l.prior_allowed + l.prior_forbidden + n)
        }
    }
}

/// Per class, objects × the least expected cost of turning the counterfactual's distribution
/// into the actual one, each change costing the belief that it is *not* allowed.
fn class_penalty_between(
    impact: &Impact,
    counterfactual: &BTreeMap<ObjectClass, Vec<ObjectState>>,
    actual: &BTreeMap<ObjectClass, Vec<ObjectState>>,
) -> f64 {
    let mut total = 0.0;
    for class in CLASSES {
        let (Some(a), Some(c)) = (actual.get(&class), counterfactual.get(&class)) else { continue };
        if a.is_empty() {
            continue;
        }
        let mut cost = [[0.0; 3]; 3];
        for (i, &from) in STATES.iter().enumerate() {
            for (j, &to) in STATES.iter().enumerate() {
                cost[i][j] = 1.0 - allowed_belief(impact, class, from, to);
            }
        }
        total += a.len() as f64 * transport_cost(&distribution(c), &distribution(a), &cost);
    }
    total
}

/// Pushes the most the path `prev` (each node's predecessor, from the sink, node 7, back to the
/// source, node 0) can carry through the residual capacities `cap`, and returns that amount.
fn augment(cap: &mut [[f64; 8]; 8], prev: &[usize; 8]) -> f64 {
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
    push
}

/// The least cost of moving the distribution `from` onto `to` when a unit of mass moved from
/// state i to state j costs `cost[i][j]` (a 3 × 3 transport problem, solved exactly by
/// successive shortest paths). With costs 0 for allowed changes and 1 for the rest it is
/// [`mass_moved`].
pub fn transport_cost(from: &[f64; 3], to: &[f64; 3], cost: &[[f64; 3]; 3]) -> f64 {
    // Nodes: 0 source, 1..=3 from-states, 4..=6 to-states, 7 sink; residual capacities and
    // costs (reverse edges carry minus the cost).
    let mut cap = [[0.0f64; 8]; 8];
    let mut c = [[0.0f64; 8]; 8];
    for i in 0..3 {
        cap[0][1 + i] = from[i];
        cap[4 + i][7] = to[i];
        for j in 0..3 {
            cap[1 + i][4 + j] = f64::INFINITY;
            c[1 + i][4 + j] = cost[i][j];
            c[4 + j][1 + i] = -cost[i][j];
        }
    }
    let mut total = 0.0;
    for _ in 0..64 {
        // Bellman–Ford from the source over edges with residual capacity.
        let mut dist = [f64::INFINITY; 8];
        let mut prev = [usize::MAX; 8];
        dist[0] = 0.0;
        for _ in 0..8 {
            let mut changed = false;
            for u in 0..8 {
                if dist[u].is_infinite() {
                    continue;
                }
                for v in 0..8 {
                    if cap[u][v] > 1e-12 && dist[u] + c[u][v] < dist[v] - 1e-12 {
                        dist[v] = dist[u] + c[u][v];
                        prev[v] = u;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        if prev[7] == usize::MAX {
            break;
        }
        let push = augment(&mut cap, &prev);
        total += push * dist[7];
    }
    total.max(0.0)
}

/// The class penalty under the booked baseline: against the start (none), the naive shadow
/// (both naive forms), or summed tick by tick against the world in which the AI agents rested
/// that tick (stepwise, and — a simplification — both iterative forms).
pub fn booked_class_penalty(m: &WorldModel) -> Option<f64> {
    let impact = m.parts.get::<Impact>()?;
    if !class_whitelisting(&impact.spec) {
        return None;
    }
    let actual = classed(&m.grid);
    Some(match impact.spec.baseline {
        Baseline::None => class_penalty_between(impact, &impact.start_states, &actual),
        Baseline::Naive | Baseline::NaiveSymmetric => {
            let shadow = m.parts.get::<InactionShadow>()?;
            class_penalty_between(impact, &classed(&shadow.0.grid), &actual)
        }
        Baseline::Stepwise | Baseline::Iterative | Baseline::StationaryIterative => impact.stepwise_class,
    })
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
        (columns::IMPACT_NAIVE_SYMMETRIC, columns::IMPACT_NAIVE_SYMMETRIC_PENALTY, &impact.naive_symmetric),
        (columns::IMPACT_STEPWISE, columns::IMPACT_STEPWISE_PENALTY, &impact.stepwise),
        (columns::IMPACT_ITERATIVE, columns::IMPACT_ITERATIVE_PENALTY, &impact.iterative),
        (columns::IMPACT_STATIONARY, columns::IMPACT_STATIONARY_PENALTY, &impact.stationary),
    ] {
        set(name, p.count() as f64);
        set(penalty, p.penalty(spec));
    }
    set(columns::IMPACT_UNMATCHED, impact.unmatched.count() as f64);
    if let Some(class) = booked_class_penalty(m) {
        set(columns::IMPACT_CLASS, class);
    }
    set(columns::IMPACT_PENALTY, spec.weight * impact.penalised(spec.baseline).penalty(spec));
}
