//! SUM's alignment loop inside the running world (`sum: (alignment_loop: (…))`): the humans
//! observe what the AI agents do, gain its KL in information each tick, and spend it tilting
//! each AI's utility toward theirs, exactly as the toy loop does ([`super::alignment_loop`]).
//!
//! * **Where an AI starts.** As in the toy loop, each AI's utility is a random direction in a
//!   value space of `d` dimensions (`dims`): a seeded quantile `U` of the distribution of the
//!   cosine between random directions, kept from tick to tick, so its loop cosine starts at
//!   `c₀ = F_{d,0}⁻¹(U)` (about 0 ± 1/√d). The engine shows that utility on its two features,
//!   `(w_own·σ, w_commons·(1 − σ))` ([`super::utility_vector`]): the AI's σ is set so that its
//!   vector sits at angle `arccos c` from the humans' mean vector, on the side its scenario σ
//!   puts it (a selfish AI toward its own apples), clamped to σ ∈ [0, 1]. So an AI the loop
//!   has not yet aligned past the humans' own angle keeps its scenario σ's extreme.
//! * **Each tick** (at `Effects`, once the tick's moves are made and the inaction shadow has stepped): the information grows by
//!   the AI agents' mean power used this tick (their policy's KL over the default walk, the
//!   `power_used_ai` column) — capped with `rectify: true` at the humans' mean power `O_H`
//!   ([`super::powers`]), the seed's bound: they cannot optimise the AI harder than they can
//!   optimise against its effects. The tilt κ with that KL gives each AI its cosine
//!   `c = F_{d,κ}⁻¹(U)`, and the AI's σ is set so that its vector sits at angle `arccos c`
//!   from the humans' on its own side (clamped to σ ∈ [0, 1]).
//! * **Aligned.** The first tick the AIs' mean loop cosine reaches `critical`, an `aligned`
//!   event records the tick, the information spent and the harm so far.
//!
//! Imagined copies (planners, the inaction shadow) do not run the loop: it is what the real
//! humans learn.

use std::cell::RefCell;

use super::alignment_loop::Cosines;
use crate::columns;
use crate::model::{Event, Mechanism, Step, WorldModel};
use crate::scenario::LoopSpec;

/// The loop: its part when the scenario asks for it; it runs at `Effects`, once the tick's
/// rewards are credited and the inaction shadow has stepped (the harm an `aligned` event
/// records is the tick's, as the `harm` column's is; at `Account` the shadow was a tick behind).
// Every field is given; `..NONE` stays, so that a field added to `Mechanism` needs no edit here.
#[allow(clippy::needless_update)]
pub const MECHANISM: Mechanism = Mechanism {
    name: "sum_loop",
    build,
    steps: &[(Step::Effects, step)],
    measure: Some(measure),
    digest: Some(digest),
    active: Some(|m| m.parts.has::<WorldLoop>()),
    ..Mechanism::NONE
};

/// One AI agent in the loop.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LoopAi {
    /// The agent's id.
    pub id: u32,
    /// Its quantile U in the cosine's distribution (kept from tick to tick).
    pub quantile: f64,
    /// Which side of the humans' direction it stands on: +1 toward the commons, −1 toward
    /// its own apples.
    pub side: f64,
    /// Its loop cosine now.
    pub cosine: f64,
}

/// The loop's state.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WorldLoop {
    /// The scenario's settings.
    pub spec: LoopSpec,
    /// The humans' mean utility vector.
    pub humans: [f64; 2],
    /// Information the humans have put into the AIs' utility (nats).
    pub information: f64,
    /// The tilt κ that information buys.
    pub kappa: f64,
    /// The AI agents, id order.
    pub ais: Vec<LoopAi>,
    /// The tick the mean loop cosine first reached `critical`.
    pub aligned_at: Option<u64>,
}

crate::serde_part!(WorldLoop, "sum_loop", imagined: none);

thread_local! {
    /// The cosine distribution of the last `d` used on this thread (4,000 grid cells).
    static COSINES: RefCell<Option<(u64, std::rc::Rc<Cosines>)>> = const { RefCell::new(None) };
}

/// The cosine distribution in `d` dimensions (cached per thread).
fn cosines(d: f64) -> std::rc::Rc<Cosines> {
    COSINES.with(|c| {
        let mut c = c.borrow_mut();
        match &*c {
            Some((bits, cos)) if *bits == d.to_bits() => cos.clone(),
            _ => {
                let cos = std::rc::Rc::new(Cosines::new(d));
                *c = Some((d.to_bits(), cos.clone()));
                cos
            }
        }
    })
}

/// The angle of a utility vector from the own-apples axis, in [0, π/2].
fn angle(u: [f64; 2]) -> f64 {
    u[1].atan2(u[0])
}

/// The σ whose vector `(w_own·σ, w_commons·(1 − σ))` has angle `phi` (clamped to [0, π/2]).
pub fn sigma_at(own: f64, commons: f64, phi: f64) -> f64 {
    let phi = phi.clamp(0.0, std::f64::consts::FRAC_PI_2);
    if phi >= std::f64::consts::FRAC_PI_2 {
        return 0.0;
    }
    (commons / (commons + own * phi.tan())).clamp(0.0, 1.0)
}

fn build(s: &crate::scenario::Scenario, m: &mut WorldModel) {
    let Some(spec) = s.sum.alignment_loop.clone() else { return };
    let humans: Vec<[f64; 2]> =
        m.agents.iter().filter(|a| !a.ai).map(|a| super::utility_vector(&a.weights, a.sigma)).collect();
    let n = humans.len().max(1) as f64;
    let h = [humans.iter().map(|u| u[0]).sum::<f64>() / n, humans.iter().map(|u| u[1]).sum::<f64>() / n];
    let cos = cosines(spec.dims);
    let seed = m.clock.seed;
    let ais = m
        .agents
        .iter()
        .filter(|a| a.ai)
        .map(|a| {
            let u = super::utility_vector(&a.weights, a.sigma);
            let quantile = super::alignment_loop::quantile(seed, a.id as u64);
            LoopAi {
                id: a.id,
                quantile,
                side: if angle(u) >= angle(h) { 1.0 } else { -1.0 },
                cosine: cos.quantiles(0.0, &[quantile])[0],
            }
        })
        .collect();
    let mut l = WorldLoop { spec, humans: h, information: 0.0, kappa: 0.0, ais, aligned_at: None };
    place(&mut l, m);
    m.parts.insert(l);
}

/// Sets each AI's σ from its loop cosine.
fn place(l: &mut WorldLoop, m: &mut WorldModel) {
    let phi_h = angle(l.humans);
    for a in &l.ais {
        if let Some(agent) = m.agents.get_mut(a.id as usize) {
            let w = agent.weights.0;
            if w.own > 0.0 && w.commons > 0.0 {
                agent.sigma = sigma_at(w.own, w.commons, phi_h + a.side * a.cosine.clamp(-1.0, 1.0).acos());
            }
        }
    }
}

fn step(m: &mut WorldModel) {
    let Some(mut l) = m.parts.remove::<WorldLoop>() else { return };
    let ai = super::power_used(m).0;
    let human = super::powers(m).1;
    l.information += if l.spec.rectify { ai.min(human) } else { ai };
    let cos = cosines(l.spec.dims);
    l.kappa = cos.kappa_for(l.information, l.kappa);
    let quantiles: Vec<f64> = l.ais.iter().map(|a| a.quantile).collect();
    let cs = cos.quantiles(l.kappa, &quantiles);
    for (a, c) in l.ais.iter_mut().zip(cs) {
        a.cosine = c;
    }
    place(&mut l, m);
    let mean = l.ais.iter().map(|a| a.cosine).sum::<f64>() / l.ais.len().max(1) as f64;
    if l.aligned_at.is_none() && !l.ais.is_empty() && mean >= l.spec.critical {
        let tick = m.clock.current();
        l.aligned_at = Some(tick);
        let information = l.information;
        let harm = super::harm_so_far(m);
        m.event(|| "ai".into(), || Event::Aligned { cosine: mean, information, harm });
    }
    m.parts.insert(l);
}

/// The loop's part of the state digest: the information, then each AI's σ and cosine.
fn digest(m: &WorldModel, h: &mut crate::hash::Fnv) {
    let Some(l) = m.parts.get::<WorldLoop>() else { return };
    h.write_u64(l.information.to_bits());
    for a in &l.ais {
        h.write_u64(a.cosine.to_bits());
        if let Some(agent) = m.agents.get(a.id as usize) {
            h.write_u64(agent.sigma.to_bits());
        }
    }
}

/// Sets `loop_information` and `loop_cosine` (the AIs' mean loop cosine).
fn measure(m: &WorldModel, set: &mut dyn FnMut(&'static str, f64)) {
    let Some(l) = m.parts.get::<WorldLoop>() else { return };
    set(columns::LOOP_INFORMATION, l.information);
    set(columns::LOOP_COSINE, l.ais.iter().map(|a| a.cosine).sum::<f64>() / l.ais.len().max(1) as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigma_at_inverts_the_utility_angle() {
        for &(own, commons, sigma) in &[(1.0, 2.0, 0.3), (1.0, 1.0, 0.9), (2.0, 0.5, 0.0), (1.0, 3.0, 1.0)] {
            let u = crate::sum::utility_vector(
                &crate::vocab::Weights(crate::scenario::UtilityWeights { own, commons }),
                sigma,
            );
            assert!((sigma_at(own, commons, angle(u)) - sigma).abs() < 1e-12, "{own} {commons} {sigma}");
        }
        assert_eq!(sigma_at(1.0, 1.0, 2.0), 0.0);
        assert_eq!(sigma_at(1.0, 1.0, -0.5), 1.0);
    }
}

/// What one run of the loop in a world came to.
#[derive(Clone, Debug, PartialEq)]
pub struct WorldLoopRun {
    /// The tick the AIs were aligned (None: not within the ticks run).
    pub aligned_at: Option<u64>,
    /// Information spent by then (or by the end).
    pub information: f64,
    /// Harm (apples per human, against AI inaction) done by then (or by the end).
    pub harm: f64,
    /// Of it, what the humans' power could not undo ([`super::Harm::unrectified`]).
    pub unrectified: f64,
}

/// Runs `scenario` with the loop (`spec`) and harm on, for `seed`, until the AIs are aligned
/// or `ticks` have passed.
pub fn run_until_aligned(scenario: &crate::scenario::Scenario, spec: &LoopSpec, seed: u64, ticks: u64) -> WorldLoopRun {
    let mut s = scenario.clone();
    s.sum.harm = true;
    s.sum.alignment_loop = Some(spec.clone());
    let mut m = crate::sim::Sim::model_of(&s, seed, &crate::sim::Sim::mechanisms());
    m.quiet();
    for _ in 0..ticks {
        m.step();
        if m.parts.get::<WorldLoop>().is_some_and(|l| l.aligned_at.is_some()) {
            break;
        }
    }
    let l = m.parts.get::<WorldLoop>().expect("the loop is on");
    let books = m.parts.get::<super::Harm>().copied().unwrap_or_default();
    WorldLoopRun {
        aligned_at: l.aligned_at,
        information: l.information,
        harm: super::harm_so_far(&m).unwrap_or(0.0),
        unrectified: books.unrectified,
    }
}
