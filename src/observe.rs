//! What a learning agent observes (issue 12): an egocentric window of what it can see, one
//! channel per kind of thing, and the scalars the mechanisms make relevant — one flat `f32`
//! vector, laid out as [`names`] says and docs/learning.md documents field by field.
//!
//! The window is `(2r + 1)²` cells centred on the agent, row by row from north to south,
//! west to east within a row; cells off the map are walls. The channels, in order:
//! [`CHANNELS`]. The agent's own cell shows no agent (it is always at the centre). Then the
//! scalars, in order: σ; the agent's store (wealth `w` as `sign(w)·ln(1 + |w|)`); its marginal tax rate now; each bracket's
//! rate; the elected `p` squashed to (−1, 1) as `p / (1 + |p|)` (−∞ → −1, 0 → 0, 1 → 0.5,
//! +∞ → 1); the fraction of the tax period still to run; whether audits cover the agent. A
//! mechanism the world does not have reads 0.

use crate::grid::Terrain;
use crate::model::WorldModel;
use crate::objects::ObjectKind;
use crate::oversight::Oversight;
use crate::tax::TaxState;
use crate::voting::Election;

pub use crate::rules::observation::{CHANNELS, SCALARS, SCALARS_AFTER, names, size};

/// The `store` scalar: wealth `w` in apples as `sign(w)·ln(1 + |w|)`, so a rich agent's input
/// stays of the order of the window's 0s and 1s (100 apples read 4.6).
pub fn squash_store(w: f64) -> f64 {
    w.signum() * w.abs().ln_1p()
}

/// The `elected_p` scalar: `p` squashed to (−1, 1) as `p / (1 + |p|)` (±∞ → ±1).
pub fn squash_p(p: f64) -> f64 {
    if p.is_infinite() { p.signum() } else { p / (1.0 + p.abs()) }
}

/// Writes the observation of agent `k` (its index in `m.agents`) with window radius `radius`
/// into `out` (cleared first).
pub fn observe(m: &WorldModel, k: usize, radius: u32, out: &mut Vec<f32>) {
    let tax = m.parts.get::<TaxState>();
    let brackets = tax.map_or(0, |t| t.schedule.rates.len());
    out.clear();
    out.resize(size(radius, brackets), 0.0);
    let agent = &m.agents[k];
    let (g, r) = (&m.grid, radius as i64);
    let side = (2 * r + 1) as usize;
    let plane = side * side;
    let (w, h) = (g.width() as i64, g.height() as i64);
    for dy in -r..=r {
        for dx in -r..=r {
            let cell = ((dy + r) as usize) * side + (dx + r) as usize;
            let (x, y) = (agent.pos.x as i64 + dx, agent.pos.y as i64 + dy);
            let mut set = |channel: usize| out[channel * plane + cell] = 1.0;
            if x < 0 || y < 0 || x >= w || y >= h {
                set(0);
                continue;
            }
            let i = g.index(x as u32, y as u32);
            match g.terrain(i) {
                Terrain::Wall => set(0),
                Terrain::Grass if g.patches_alive_of(i) => set(2),
                Terrain::Grass => set(3),
                Terrain::Floor => {}
            }
            if g.has_apple(i) {
                set(1);
            }
            if let Some(o) = g.objects.at(i) {
                set(if o.kind == ObjectKind::Vase { 6 } else { 7 });
            }
            if g.objects.belt(i).is_some() {
                set(8);
            }
        }
    }
    // Other agents in the window (a scan of the agents: windows are small, worlds too).
    for (j, other) in m.agents.iter().enumerate() {
        let (dx, dy) = (other.pos.x as i64 - agent.pos.x as i64, other.pos.y as i64 - agent.pos.y as i64);
        if j != k && dx.abs() <= r && dy.abs() <= r {
            let cell = ((dy + r) as usize) * side + (dx + r) as usize;
            out[(if other.ai { 5 } else { 4 }) * plane + cell] = 1.0;
        }
    }
    let mut at = CHANNELS.len() * plane;
    let mut push = |v: f64| {
        out[at] = v as f32;
        at += 1;
    };
    push(agent.sigma);
    push(squash_store(agent.ledger.wealth()));
    push(tax.map_or(0.0, |t| t.schedule.marginal_rate(agent.ledger.period_income)));
    for rate in tax.map_or_else(Vec::new, |t| t.rates()) {
        push(rate);
    }
    let p = m.parts.get::<Election>().map_or(0.0, |e| e.elected);
    push(squash_p(p));
    push(tax.map_or(0.0, |t| {
        let done = m.clock.tick % t.period;
        (t.period - done) as f64 / t.period as f64
    }));
    push(m.parts.get::<Oversight>().is_some_and(|o| o.covers(agent.ai)) as u8 as f64);
}
