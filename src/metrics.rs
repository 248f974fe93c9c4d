//! Measurement: the per-tick metrics row, the per-agent samples and the event log, which the
//! headless runner streams to `metrics.csv`, `agents.csv` and `events.jsonl` and the app plots.
//!
//! Measuring systems run in the `SimMeasure` schedule, at the end of every tick and once at
//! tick 0; each sets its columns by name, and the column order is the order they are set in
//! the first row. Welfare columns are power means ([`crate::rules::welfare`]) of the agents'
//! utilities ([`crate::utility`]: the scenario's `utility`, SED's reward by default) since tick
//! 0, at p = −∞ (min), 0 (Nash), 1 (mean) and +∞ (max); `welfare_elected` is the principal's
//! objective: the power mean at the elected `p` (or the principal's fixed one) of the utility
//! gained over the last finished tax period.

use crate::columns;
use bevy::prelude::*;

use crate::agents::{Agent, Ai, Ledger, MILLI, Position, Power, Reward, Selfishness};
use crate::principal::{Principal, served_p};
use crate::rules::welfare;
use crate::sim::{Core, RunSettings, SimMeasure};
use crate::tax::TaxState;
use crate::voting::Election;

pub use crate::model::SimEvent;

/// Adds the measuring systems and the logs.
pub struct MetricsPlugin;

impl Plugin for MetricsPlugin {
    fn build(&self, app: &mut App) {
        app.configure_sets(
            SimMeasure,
            (MeasureSystems::Start, MeasureSystems::Commons, MeasureSystems::Finish).chain(),
        )
        .init_resource::<MetricsLog>()
        .init_resource::<EventLog>()
        .init_resource::<AgentSamples>()
        .add_systems(
            SimMeasure,
            (
                start_row.in_set(MeasureSystems::Start),
                (commons_metrics, welfare_metrics, governance_metrics, mechanism_metrics)
                    .chain()
                    .in_set(MeasureSystems::Commons),
                (finish_row, sample_agents).chain().in_set(MeasureSystems::Finish),
            ),
        );
    }
}

/// The steps of a measurement, chained: a row is started, columns are set (the engine's own
/// first, then other plugins' ordered after them), the row is finished.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MeasureSystems {
    /// The row is started.
    Start,
    /// The engine's commons, welfare and governance columns.
    Commons,
    /// The row is finished and agents are sampled.
    Finish,
}

/// Metrics rows not yet taken by a consumer, and the row being filled.
#[derive(Resource, Debug, Default)]
pub struct MetricsLog {
    columns: Vec<Column>,
    current: Vec<(Column, f64)>,
    rows: Vec<(u64, Vec<f64>)>,
}

/// A metric column's name.
pub type Column = std::borrow::Cow<'static, str>;

impl MetricsLog {
    /// Sets a column of the row being filled.
    pub fn set(&mut self, column: impl Into<Column>, value: f64) {
        let column = column.into();
        match self.current.iter_mut().find(|(c, _)| *c == column) {
            Some(slot) => slot.1 = value,
            None => self.current.push((column, value)),
        }
    }
    /// The column names (fixed by the first row), without `tick`.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }
    /// The most recent finished row not yet drained.
    pub fn last(&self) -> Option<&(u64, Vec<f64>)> {
        self.rows.last()
    }
    /// Takes the finished rows: (tick, values in column order).
    pub fn drain(&mut self) -> Vec<(u64, Vec<f64>)> {
        std::mem::take(&mut self.rows)
    }
    fn finish(&mut self, tick: u64) {
        if self.columns.is_empty() {
            self.columns = self.current.iter().map(|(c, _)| c.clone()).collect();
        }
        let row = self
            .columns
            .iter()
            .map(|c| self.current.iter().find(|(k, _)| k == c).map_or(f64::NAN, |(_, v)| *v))
            .collect();
        self.current.clear();
        self.rows.push((tick, row));
    }
}

/// Events not yet taken by a consumer.
#[derive(Resource, Debug, Default)]
pub struct EventLog {
    events: Vec<SimEvent>,
}

impl EventLog {
    /// Logs an event.
    pub fn push(&mut self, event: SimEvent) {
        self.events.push(event);
    }
    /// Events waiting to be drained.
    pub fn len(&self) -> usize {
        self.events.len()
    }
    /// Whether no events are waiting.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
    /// Takes the logged events.
    pub fn drain(&mut self) -> Vec<SimEvent> {
        std::mem::take(&mut self.events)
    }
}

/// Everything measured since the last drain, taken out of the world at once: what the runner
/// writes, the app shows, the recorder paints and a sweep keeps ([`crate::sim::Sim::drain`]).
#[derive(Debug, Default)]
pub struct TickOutput {
    /// Finished metrics rows: (tick, values in column order).
    pub rows: Vec<(u64, Vec<f64>)>,
    /// Agent samples.
    pub samples: Vec<AgentRow>,
    /// Events.
    pub events: Vec<SimEvent>,
}

/// Takes a [`TickOutput`] out of `world`'s logs.
pub fn drain(world: &mut World) -> TickOutput {
    TickOutput {
        rows: world.resource_mut::<MetricsLog>().drain(),
        samples: world.resource_mut::<AgentSamples>().drain(),
        events: world.resource_mut::<EventLog>().drain(),
    }
}

/// One agent at one sample tick, for `agents.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentRow {
    /// Sample tick.
    pub tick: u64,
    /// Stable id.
    pub id: u32,
    /// `human` or `ai`.
    pub kind: &'static str,
    /// The name of its group in the scenario's `agents` (`agents[K]` for the K-th group when
    /// it has none).
    pub group: std::sync::Arc<str>,
    /// σ.
    pub selfishness: f64,
    /// Power.
    pub power: f64,
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
    /// Apples picked.
    pub apples: u64,
    /// Wealth in apples (picked − taxes + transfers).
    pub wealth: f64,
    /// Cumulative SED reward in apples.
    pub reward: f64,
}

/// Agent samples not yet taken by a consumer.
#[derive(Resource, Debug, Default)]
pub struct AgentSamples {
    rows: Vec<AgentRow>,
}

impl AgentSamples {
    /// Takes the samples.
    pub fn drain(&mut self) -> Vec<AgentRow> {
        std::mem::take(&mut self.rows)
    }
}

fn start_row(mut log: ResMut<MetricsLog>) {
    log.current.clear();
}

fn commons_metrics(core: Res<Core>, mut log: ResMut<MetricsLog>) {
    let (grid, stats, clock) = (&core.grid, &core.stats, &core.clock);
    let harvested = if clock.tick == 0 { 0 } else { stats.harvested };
    log.set(columns::APPLES, grid.apples() as f64);
    log.set(columns::HARVESTED, harvested as f64);
    log.set(columns::PATCHES_ALIVE, grid.patches_alive() as f64);
}

fn welfare_metrics(core: Res<Core>, mut log: ResMut<MetricsLog>, mut sorted: Local<SortedUtility>) {
    let r = sorted.sort(&crate::utility::stock(&core));
    let r = &r[..];
    log.set(columns::GINI, welfare::gini_sorted(r));
    log.set(columns::WELFARE_MIN, welfare::power_mean(r, f64::NEG_INFINITY));
    log.set(columns::WELFARE_NASH, welfare::power_mean(r, 0.0));
    log.set(columns::WELFARE_MEAN, welfare::power_mean(r, 1.0));
    log.set(columns::WELFARE_MAX, welfare::power_mean(r, f64::INFINITY));
    log.set(columns::EQUALITY_TIMES_PRODUCTIVITY, welfare::equality_times_productivity_sorted(r));
}

/// The agents' utilities in ascending order (by `f64::total_cmp`), kept from tick to tick
/// with the agents' order among them: a tick changes the order of few agents (in
/// `commons-large` nearly every agent's utility changes every tick, but by about as much as
/// its neighbours' in the order), so re-sorting last tick's order by insertion costs about one
/// comparison an agent where a fresh sort costs `log₂ n` (`commons-large`'s 10,000 agents are
/// sorted every tick, on one thread). Each value is compared as a `u64` whose order is
/// `total_cmp`'s. Values equal in `total_cmp` have the same bits, so the result is exactly a
/// fresh sort's.
#[derive(Default)]
pub struct SortedUtility {
    /// (key, agent index), ascending by key as of the last call.
    pairs: Vec<(u64, u32)>,
}

/// `f64::total_cmp`'s order as unsigned integers: a negative's bits flipped, a positive's sign set.
fn sort_key(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
}

/// The value of a [`sort_key`].
fn key_value(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

impl SortedUtility {
    /// `utility` sorted ascending (by `f64::total_cmp`).
    pub fn sort(&mut self, utility: &[f64]) -> Vec<f64> {
        let n = utility.len();
        if self.pairs.len() != n {
            self.pairs = (0..n as u32).map(|i| (0, i)).collect();
        }
        for p in &mut self.pairs {
            p.0 = sort_key(utility[p.1 as usize]);
        }
        // Insertion sort, while it stays cheap; a tick that reorders much falls back to a sort.
        let budget = 8 * n + 64;
        let mut moves = 0;
        let pairs = &mut self.pairs[..];
        for i in 1..n {
            let item = pairs[i];
            if pairs[i - 1].0 <= item.0 {
                continue;
            }
            // Shift the greater ones up one place each, and drop the item in the gap.
            let mut j = i;
            while j > 0 && pairs[j - 1].0 > item.0 {
                pairs[j] = pairs[j - 1];
                j -= 1;
            }
            pairs[j] = item;
            moves += i - j;
            if moves > budget {
                pairs.sort_unstable_by_key(|p| p.0);
                break;
            }
        }
        self.pairs.iter().map(|p| key_value(p.0)).collect()
    }
}

/// Tax, voting and principal columns, for the mechanisms the scenario has.
fn governance_metrics(core: Res<Core>, mut log: ResMut<MetricsLog>) {
    let parts = &core.parts;
    let (tax, election) = (parts.get::<TaxState>(), parts.get::<Election>());
    let oversight = parts.get::<crate::oversight::Oversight>();
    let apples = |m: i64| m as f64 / MILLI as f64;
    if let Some(tax) = &tax {
        log.set(columns::TAX_REVENUE, apples(tax.collected));
        for (b, r) in tax.rates().into_iter().enumerate() {
            log.set(columns::rate(b), r);
        }
        for (b, &c) in tax.collected_by_bracket.iter().enumerate() {
            log.set(columns::revenue(b), apples(c));
        }
        if tax.redistribute_ppm < crate::rules::tax::PPM {
            log.set(columns::TREASURY, apples(tax.treasury));
        }
    }
    if let Some(e) = &election {
        log.set(columns::ELECTED_P, e.elected);
        for (p, share) in e.candidates.iter().zip(&e.shares) {
            log.set(columns::vote_share(&crate::voting::label(*p)), *share);
        }
    }
    if let Some(o) = &oversight {
        log.set(columns::AUDITS, o.audits as f64);
        log.set(columns::DETECTIONS, o.detections as f64);
        log.set(columns::VIOLATIONS, o.violations as f64);
        log.set(columns::PENALTIES, o.fines as f64 / MILLI as f64);
    }
    let principal = parts.get::<Principal>();
    if let Some(shield) = parts.get::<crate::shield::Shield>() {
        log.set(columns::SHIELD_INTERVENTIONS, shield.stats.interventions as f64);
        log.set(columns::SHIELD_PROTECTED, shield.stats.protected);
    }
    if election.is_some() || principal.is_some() {
        let p = match (&election, principal) {
            (Some(e), _) => e.elected,
            (None, Some(pr)) => served_p(pr.objective, None),
            (None, None) => 1.0,
        };
        log.set(columns::WELFARE_ELECTED, crate::utility::welfare(&core, p));
        if let Some(pr) = principal {
            log.set(columns::PRINCIPAL_RETURN, pr.returned);
        }
    }
}

/// Each mechanism's own columns, in registration order.
fn mechanism_metrics(core: Res<Core>, mut log: ResMut<MetricsLog>) {
    for measure in core.phases().measures() {
        measure(&core, &mut |name, value| log.set(name, value));
    }
}

fn finish_row(core: Res<Core>, mut log: ResMut<MetricsLog>) {
    log.finish(core.clock.tick);
}

fn sample_agents(
    core: Res<Core>,
    settings: Res<RunSettings>,
    scenario: Res<crate::sim::ScenarioRes>,
    agents: Query<(&Agent, &Position, &Selfishness, &Power, &Ledger, &Reward, Has<Ai>)>,
    mut samples: ResMut<AgentSamples>,
) {
    let t = core.clock.tick;
    if !t.is_multiple_of(settings.agents_every) && t != settings.end_tick {
        return;
    }
    let start = samples.rows.len();
    // A group without a name is called by its place in the scenario.
    let groups: Vec<std::sync::Arc<str>> = (scenario.0.agents.iter().enumerate())
        .map(|(k, g)| if g.name.is_empty() { format!("agents[{k}]").into() } else { g.name.as_str().into() })
        .collect();
    samples.rows.extend(agents.iter().map(|(a, p, s, pw, l, rw, ai)| AgentRow {
        tick: t,
        id: a.id,
        kind: if ai { "ai" } else { "human" },
        group: groups[a.group as usize].clone(),
        selfishness: s.0,
        power: pw.0,
        x: p.x,
        y: p.y,
        apples: l.picked,
        wealth: l.wealth(),
        reward: rw.total,
    }));
    samples.rows[start..].sort_unstable_by_key(|r| r.id);
}

#[cfg(test)]
mod tests {
    use super::SortedUtility;
    use crate::rng::{self, Purpose};

    #[test]
    fn utilities_kept_sorted_are_a_fresh_sorts_values() {
        // Ticks that nudge a few agents, ticks that change everyone, ties, zeros of both signs,
        // NaNs and infinities, and a change in the number of agents; 5,000 of them.
        let mut rng = rng::stream(7, 0, 0, Purpose::Decide);
        let mut sorted = SortedUtility::default();
        let mut u: Vec<f64> = (0..5000).map(|i| (i % 37) as f64).collect();
        for tick in 0..300 {
            match tick % 50 {
                0 => u.iter_mut().for_each(|v| *v = rng.unit() * 10.0 - 5.0),
                25 => u.push(-0.0),
                // NaNs of both signs and infinities sort as total_cmp has them.
                40 => u.extend([f64::NAN, -f64::NAN, f64::INFINITY, -f64::INFINITY, 0.0]),
                _ => {
                    for _ in 0..rng.below(20) {
                        let i = rng.below(u.len() as u64) as usize;
                        u[i] += rng.unit() * 4.0 - 1.0;
                    }
                    if tick % 7 == 0 {
                        u[0] = 0.0;
                    }
                }
            }
            let mut fresh = u.clone();
            fresh.sort_unstable_by(f64::total_cmp);
            let kept = sorted.sort(&u);
            assert_eq!(
                kept.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                fresh.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "tick {tick}"
            );
        }
    }
}
