//! The commons: agents pick the apple on the cell they stand on, and eaten apples regrow
//! (Melting Pot's rule, [`crate::rules::regrowth`]). A patch whose last apple is picked is
//! lost for good, and that is logged as a `patch_lost` event. Also resolved here, after the
//! moves: belts carry objects ([`crate::objects`]), and thieves take apples from the agents
//! they face ([`thefts`]).

use crate::grid::Grid;
use crate::model::{Event, Mechanism, ModelAgent, Step, WorldModel};
use crate::objects::{Cause, Effect, Subject};
use crate::oversight::Oversight;
use crate::scenario::EffectKind;
use crate::vocab::{Ledger, MILLI};

/// The commons: agents pick apples at `Harvest`, apples regrow at `Regrow`.
pub const MECHANISM: Mechanism = Mechanism {
    name: "harvest",
    build: |_, _| {},
    steps: &[(Step::Harvest, harvest), (Step::Regrow, regrow)],
    ..Mechanism::NONE
};

/// Every agent standing on an apple picks it (+1 apple, +1000 milli-apples), in id order.
pub fn harvest(m: &mut WorldModel) {
    let current = m.clock.current();
    let WorldModel { grid, agents, parts, stats, .. } = m;
    let mut oversight = parts.get_mut::<Oversight>();
    let mut lost_patches = Vec::new();
    let ahead = grid.prefetch_pays();
    // Who stands on an apple (no pick changes another agent's cell), what each pick reads
    // worked out for all of them ([`Grid::plan_cells`]), then the picks in id order; on a big
    // map what a pick writes is asked for a few picks ahead.
    let picks = standing_on_apples(grid, agents, ahead);
    let plan = grid.plan_cells(picks.iter().map(|&(_, x, y)| grid.index(x, y) as u32).collect());
    for (n, &(k, x, y)) in picks.iter().enumerate() {
        if ahead {
            grid.prefetch_planned(&plan, n + 8, false);
        }
        let a = &mut agents[k as usize];
        let picked = grid.pick_planned(&plan, n);
        if let Some(lost) = credit_pick(
            grid,
            picked,
            grid.index(x, y),
            a.id,
            &mut a.ledger,
            oversight.as_deref_mut(),
            a.ai,
            &mut a.violations,
            current,
        ) {
            stats.harvested += 1;
            if let Some(patch) = lost {
                lost_patches.push((patch, a.pos, grid.patches_alive()));
            }
        }
    }
    for (patch, pos, alive) in lost_patches {
        m.event(|| format!("patch:{patch}"), || Event::PatchLost { x: pos.x, y: pos.y, patches_alive: alive });
    }
}

/// The active agents standing on an apple, in id order: (index, x, y). A big world's agents
/// are looked at a chunk a task on the thread pool, the chunks' finds put end to end.
fn standing_on_apples(grid: &Grid, agents: &[ModelAgent], ahead: bool) -> Vec<(u32, u32, u32)> {
    use rayon::prelude::*;
    const CHUNK: usize = 1024;
    let scan = |first: usize, agents: &[ModelAgent]| {
        let mut picks = Vec::new();
        for k in 0..agents.len() {
            if ahead && let Some(b) = agents.get(k + 32) {
                grid.prefetch_apple(grid.index(b.pos.x, b.pos.y));
            }
            let a = &agents[k];
            if !a.inactive && grid.has_apple(grid.index(a.pos.x, a.pos.y)) {
                picks.push(((first + k) as u32, a.pos.x, a.pos.y));
            }
        }
        picks
    };
    if !crate::parallel::pass_on_pool(agents.len()) {
        return scan(0, agents);
    }
    let found: Vec<_> =
        agents.par_chunks(CHUNK).with_max_len(1).enumerate().map(|(c, chunk)| scan(c * CHUNK, chunk)).collect();
    found.concat()
}

/// Agent `id` on cell `i` has picked the apple there, if `picked` (what [`Grid::pick`]
/// returned) says so: +1 apple; taking a patch's last apple is a clear-cut, recorded as a
/// `PatchLost` effect and, when oversight forbids it for this agent, a violation. Returns
/// `picked`.
#[allow(clippy::too_many_arguments)]
pub fn credit_pick(
    grid: &mut Grid,
    picked: Option<Option<u32>>,
    i: usize,
    id: u32,
    ledger: &mut Ledger,
    oversight: Option<&mut Oversight>,
    ai: bool,
    violations: &mut Vec<(u64, i64)>,
    tick: u64,
) -> Option<Option<u32>> {
    let lost = picked?;
    ledger.picked += 1;
    ledger.earn(MILLI);
    if let Some(patch) = lost {
        let (x, y) = (i as u32 % grid.width(), i as u32 / grid.width());
        grid.effects.push(Effect {
            tick,
            subject: Subject::Patch(patch),
            kind: EffectKind::PatchLost,
            cause: Cause::Agent(id),
            x,
            y,
        });
    }
    if lost.is_some()
        && let Some(o) = oversight
    {
        let class = crate::scenario::Forbidden::ClearCut;
        let (x, y) = (i as u32 % grid.width(), i as u32 / grid.width());
        if !o.plain(class) {
            // Detection depends on who can see the patch: the other agents near it.
            let seen = crate::oversight::witnesses(grid, x, y, o.radius(class), &[(x, y)]);
            o.record(ai, id, class, MILLI, seen as f64, (x, y), tick);
        } else if o.covers(ai) && o.forbids_clear_cut() {
            o.violations += 1;
            violations.push((tick, MILLI));
        }
    }
    Some(lost)
}

/// Eaten apples regrow with probability by live-neighbour count.
pub fn regrow(m: &mut WorldModel) {
    m.stats.regrown = m.grid.regrow(m.clock.seed, m.clock.tick);
}
