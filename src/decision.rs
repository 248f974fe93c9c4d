//! Decisions: every agent scores its five moves by its own utility and draws one from the
//! power-bounded tilt of its default policy (DESIGN.md §3).
//!
//! One machinery serves humans and AIs; they differ only in parameters. The default policy
//! `π₀` is the uniform random walk over {stay, north, east, south, west}; an agent with power
//! `O` acts by `π(a) ∝ π₀(a)·exp(β·U(a))` with the largest β such that `KL(π‖π₀) ≤ O`
//! ([`crate::rules::tilt`]), where `U` is the forage utility of [`crate::rules::forage`],
//! in which an apple is worth its after-tax share under SED's reward when there are taxes.
//! The draw is keyed by (seed, tick, agent id), so it does not depend on iteration order.

use crate::grid::Grid;
use crate::model::{Mechanism, ModelAgent, Step, WorldModel};
use crate::rng::{self, Purpose};
use crate::rules::forage::{self, Action, Forager};
use crate::rules::{tax, tilt};
use crate::scenario::PolicySpec;
use crate::social::Social;
use crate::tax::TaxState;
use crate::vocab::{Decision, Ledger, Policy, Position, Weights};

/// The uniform default policy over the five moves.
pub const DEFAULT_POLICY: [f64; 5] = [0.2; 5];

/// Decisions: every agent decides at `Decide`.
pub const MECHANISM: Mechanism =
    Mechanism { name: "decision", build: |_, _| {}, steps: &[(Step::Decide, decide)], ..Mechanism::NONE };

/// Scores, tilts and draws for every agent (inactive agents stay).
pub fn decide(m: &mut WorldModel) {
    let draws = rng::TickKey::new(m.clock.seed, m.clock.tick);
    let WorldModel { grid, social, parts, agents, .. } = m;
    let (grid, social) = (&*grid, &**social);
    let tax = parts.get::<TaxState>();
    let oversight = parts.get::<crate::oversight::Oversight>();
    let foresight = parts.get::<crate::impact::Foresight>();
    // Agents steered from outside (the Python API) do what they are told: their decision is
    // that, at once, so nothing is worked out to be thrown away and every decider after this
    // one (a planner imagining the tick) sees what they will do.
    let steering = parts.get::<crate::model::steering::Steering>();
    // Each agent's decision is a pure function of the world and its own draws, so agents are
    // decided in parallel in big worlds with the same result (crate::parallel).
    // On a big map the cells an agent scores are far from the last agent's: they are asked
    // for a few agents ahead (a hint; nothing changes).
    let pays = grid.prefetch_pays();
    let ahead = |a: &ModelAgent, stage: u8| {
        if pays
            && let PolicySpec::Forager { view, .. } = a.policy.0
            && !a.inactive
        {
            let r = view.min(forage::MAX_VIEW);
            match stage {
                1 => grid.prefetch_view(a.pos.x, a.pos.y, r),
                _ => grid.prefetch_view_counts(a.pos.x, a.pos.y, r),
            }
        }
    };
    crate::parallel::for_each_mut_ahead(agents, ahead, |a: &mut ModelAgent| {
        if a.inactive {
            a.decision = Decision::default();
            return;
        }
        if let Some(action) = steering.and_then(|s| s.action(a.id)) {
            a.decision = crate::model::steering::told(action);
            return;
        }
        let share = apple_share(grid, social, tax, a.id, &a.pos, a.sigma, &a.ledger);
        let audit = clear_cut_audit(oversight, a.ai);
        let cut_risk = oversight.and_then(|o| o.risk(a.ai, a.id, crate::scenario::Forbidden::ClearCut));
        let mut theft = theft_value(a.thief, share, &a.weights, oversight, a.ai);
        if let Some(t) = theft.as_mut() {
            t.risk = oversight.and_then(|o| o.risk(a.ai, a.id, crate::scenario::Forbidden::Theft));
        }
        let adjust = adjustments(grid, &a.pos, theft.as_ref(), foresight.filter(|_| a.ai));
        a.decision = choose(
            grid,
            &draws,
            a.id,
            &a.pos,
            a.sigma,
            share,
            audit,
            cut_risk.as_ref(),
            a.power,
            &a.weights,
            &a.policy,
            &adjust,
        );
    });
}

/// `(P_D, k′)` when this agent's clear-cutting is forbidden and audited
/// ([`crate::oversight::Oversight::plain_terms`]).
pub fn clear_cut_audit(o: Option<&crate::oversight::Oversight>, ai: bool) -> Option<(f64, f64)> {
    o.filter(|o| o.covers(ai) && o.forbids_clear_cut() && o.plain(crate::scenario::Forbidden::ClearCut))
        .map(|o| o.plain_terms())
}

/// What an apple is worth to the agent now: σ without taxes, its after-tax SED share with them.
pub fn apple_share(
    grid: &Grid,
    social: &Social,
    tax: Option<&TaxState>,
    id: u32,
    pos: &Position,
    sigma: f64,
    ledger: &Ledger,
) -> f64 {
    match tax {
        None => sigma,
        Some(t) => {
            let occupied = |x: i64, y: i64| grid.walkable(x, y) && grid.occupied(grid.index(x as u32, y as u32));
            let degree = social.degree(id, pos.x, pos.y, occupied);
            let back = t.redistribute_ppm as f64 / tax::PPM as f64;
            tax::apple_share(sigma, t.schedule.marginal_rate(ledger.period_income), back, social.population(), degree)
        }
    }
}

/// One agent's decision: a pure function of the world, the agent and the tick's draws. `adjust` is added to
/// the five moves' forage scores before the tilt: what a move is worth besides foraging
/// ([`adjustments`]; zeros for none). `clear_cut_risk` values the clear-cut by a
/// [`crate::oversight::Risk`] when detection depends on the act or the agent is unsure it is
/// forbidden (`None`: by `clear_cut_audit`, if any).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn choose(
    grid: &Grid,
    draws: &rng::TickKey,
    id: u32,
    pos: &Position,
    sigma: f64,
    apple_share: f64,
    clear_cut_audit: Option<(f64, f64)>,
    clear_cut_risk: Option<&crate::oversight::Risk>,
    power: f64,
    weights: &Weights,
    policy: &Policy,
    adjust: &[f64; 5],
) -> Decision {
    let mut d = Decision::default();
    let info = match &policy.0 {
        &PolicySpec::Forager { view, discount } => {
            let f = Forager {
                selfishness: sigma,
                apple_share,
                w_own: weights.0.own,
                w_commons: weights.0.commons,
                view,
                discount,
                clear_cut_audit,
                clear_cut_risk,
            };
            forage::score(grid, pos.x, pos.y, &f, &mut d.scores);
            d.scores.iter_mut().zip(adjust).for_each(|(s, a)| *s += a);
            tilt::tilt(&DEFAULT_POLICY, &d.scores, power, &mut d.probs)
        }
        // Learned agents walk at random here; the learned mechanism decides for them next
        // (crate::learn::play).
        PolicySpec::RandomWalk | PolicySpec::Learned(_) => {
            d.probs = DEFAULT_POLICY;
            tilt::TiltInfo::default()
        }
        PolicySpec::Script(plan) => {
            let action = script_action(plan, draws.tick);
            d.probs = [0.0; 5];
            d.probs[Action::ALL.iter().position(|&a| a == action).unwrap()] = 1.0;
            d.action = action;
            return d;
        }
    };
    d.beta = info.beta;
    d.kl = info.kl;
    d.action = sample(&d.probs, draws.unit(id as u64, Purpose::Decide));
    d
}

/// The move a script plays at `tick` (0-based): `N`, `E`, `S`, `W`, or `.` to stay; spaces
/// are skipped; after the last, stay.
pub fn script_action(plan: &str, tick: u64) -> Action {
    match plan.chars().filter(|c| !c.is_whitespace()).nth(tick as usize) {
        Some('N') => Action::North,
        Some('E') => Action::East,
        Some('S') => Action::South,
        Some('W') => Action::West,
        _ => Action::Stay,
    }
}

/// What each of the five moves is worth besides foraging, in apples: for a thief, the
/// apple it would take from an agent standing where the move points (`E[B′]` of
/// [`crate::oversight::expected_reward`] when theft is forbidden and audited); for an AI
/// agent under an impact penalty, minus `weight × cost` of each effect the move would cause at
/// once — pushing a vase or box, breaking a vase, taking a patch's last apple, theft. The
/// foresight is one step deep, whatever baseline the accounting uses.
pub fn adjustments(
    grid: &Grid,
    pos: &Position,
    theft: Option<&TheftValue>,
    impact: Option<&crate::impact::Foresight>,
) -> [f64; 5] {
    let mut out = [0.0; 5];
    if theft.is_none() && impact.is_none() {
        return out;
    }
    for (k, &action) in Action::ALL.iter().enumerate() {
        let (tx, ty) = forage::target(grid, pos.x, pos.y, action);
        let faces_agent = action != Action::Stay && {
            let (dx, dy) = action.delta();
            let (fx, fy) = (pos.x as i64 + dx, pos.y as i64 + dy);
            grid.walkable(fx, fy) && grid.occupied(grid.index(fx as u32, fy as u32))
        };
        if let Some(t) = theft
            && faces_agent
        {
            out[k] += match &t.risk {
                // E_A[B′] by the witnesses around the victim (neither thief nor victim).
                Some(r) => {
                    let (dx, dy) = action.delta();
                    let (fx, fy) = ((pos.x as i64 + dx) as u32, (pos.y as i64 + dy) as u32);
                    let seen = crate::oversight::witnesses(grid, fx, fy, r.radius, &[(fx, fy), (pos.x, pos.y)]);
                    r.value(t.gain, t.w_own, seen)
                }
                None => t.value,
            };
        }
        if let Some(f) = impact {
            use crate::objects::Push;
            use crate::scenario::EffectKind;
            let mut cost = 0.0;
            let push = grid.push_outcome(pos.x, pos.y, action);
            match push {
                Push::Moves { object, .. } => {
                    cost += f.cost(match grid.objects.list()[object as usize].kind {
                        crate::objects::ObjectKind::Vase => EffectKind::VaseMoved,
                        crate::objects::ObjectKind::Box => EffectKind::BoxMoved,
                    })
                }
                Push::Breaks { .. } => cost += f.cost(EffectKind::VaseBroken),
                Push::Enter | Push::Blocked => {}
            }
            let i = grid.index(tx, ty);
            let enters = push != Push::Blocked && ((tx, ty) == (pos.x, pos.y) || !grid.occupied(i));
            if enters && grid.has_apple(i) && grid.last_of_patch(i) {
                cost += f.cost(EffectKind::PatchLost);
            }
            if theft.is_some() && faces_agent {
                cost += f.cost(EffectKind::ApplesTaken);
            }
            out[k] -= f.weight * cost;
        }
    }
    out
}

/// What a theft is worth to a thief, in apples.
#[derive(Clone, Debug, PartialEq)]
pub struct TheftValue {
    /// The value, `E[B′]` when theft is forbidden and audited the plain way.
    pub value: f64,
    /// The gain `B` before any oversight.
    pub gain: f64,
    /// The weight it puts on apples it loses.
    pub w_own: f64,
    /// When detection depends on witnesses or the thief is unsure theft is forbidden: how it
    /// values a theft by the witnesses (then `value` is unused).
    pub risk: Option<crate::oversight::Risk>,
}

/// The theft value of an agent that steals: its apple value `apple_share × w_own`, as
/// `E[B′]` when oversight forbids and audits its theft.
pub fn theft_value(
    thief: bool,
    apple_share: f64,
    weights: &Weights,
    o: Option<&crate::oversight::Oversight>,
    ai: bool,
) -> Option<TheftValue> {
    if !thief {
        return None;
    }
    let b = apple_share * weights.0.own;
    let value = match o {
        Some(o) if o.covers(ai) && o.forbids_theft() => {
            let (p_d, k) = o.plain_terms();
            crate::oversight::expected_reward(b, p_d, k, true)
        }
        _ => b,
    };
    Some(TheftValue { value, gain: b, w_own: weights.0.own, risk: None })
}

/// The action whose cumulative probability first exceeds `u` ∈ [0, 1).
pub fn sample(probs: &[f64; 5], u: f64) -> Action {
    let mut acc = 0.0;
    let mut last = Action::Stay;
    for (k, &p) in probs.iter().enumerate() {
        if p > 0.0 {
            acc += p;
            last = Action::ALL[k];
            if u < acc {
                return last;
            }
        }
    }
    last
}
