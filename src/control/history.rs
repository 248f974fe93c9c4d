//! What the app drains from the world each frame: every metrics row since tick 0 and the
//! newest events; the metrics written back as `polity run`'s `metrics.csv`.

use std::collections::{BTreeSet, VecDeque};

use crate::metrics::{MetricsLog, SimEvent};
use crate::sim::Sim;

/// Events the app keeps (the newest; older ones are dropped, the count goes on).
pub const EVENTS_KEPT: usize = 2000;

/// What the app has drained from the world: every metrics row since tick 0 and the newest
/// [`EVENTS_KEPT`] events. The app is the world's only consumer of its logs.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// Metric column names (without `tick`).
    pub columns: Vec<String>,
    /// Every row: (tick, values in column order).
    pub rows: Vec<(u64, Vec<f64>)>,
    /// The newest events, oldest first.
    pub events: VecDeque<SimEvent>,
    /// Events seen in all.
    pub events_seen: u64,
    /// The newest event of each kind, however long ago (the principal's panel shows the last
    /// PAA decision and shield intervention even when newer events have pushed them out).
    pub latest: std::collections::BTreeMap<&'static str, SimEvent>,
}

impl History {
    /// An empty history for `sim`'s columns.
    pub fn new(sim: &Sim) -> History {
        let columns = sim.world().resource::<MetricsLog>().columns().iter().map(|c| c.to_string()).collect();
        History { columns, ..History::default() }
    }

    /// Drains the world's logs into the history (agent samples are dropped: the app reads
    /// agents directly). Returns the new events.
    pub fn take(&mut self, sim: &mut Sim) -> Vec<SimEvent> {
        let out = sim.drain();
        if self.columns.is_empty() {
            self.columns = sim.world().resource::<MetricsLog>().columns().iter().map(|c| c.to_string()).collect();
        }
        self.rows.extend(out.rows);
        let events = out.events;
        self.events_seen += events.len() as u64;
        for e in &events {
            if self.events.len() == EVENTS_KEPT {
                self.events.pop_front();
            }
            self.events.push_back(e.clone());
            self.latest.insert(e.kind(), e.clone());
        }
        events
    }

    /// The index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The latest value of a column.
    pub fn last(&self, name: &str) -> Option<f64> {
        let i = self.column(name)?;
        self.rows.last().map(|(_, r)| r[i])
    }

    /// A column as (tick, value) points, at most about `max_points` of them: beyond that,
    /// every k-th row (and always the last), so a long run still plots quickly.
    pub fn series(&self, name: &str, max_points: usize) -> Vec<[f64; 2]> {
        let Some(i) = self.column(name) else { return Vec::new() };
        let n = self.rows.len();
        let stride = n.div_ceil(max_points.max(1)).max(1);
        let mut out: Vec<[f64; 2]> = self.rows.iter().step_by(stride).map(|(t, r)| [*t as f64, r[i]]).collect();
        if let Some((t, r)) = self.rows.last()
            && out.last().is_some_and(|p| p[0] != *t as f64)
        {
            out.push([*t as f64, r[i]]);
        }
        out
    }

    /// Every row as CSV, in the format of `polity run`'s `metrics.csv`.
    pub fn metrics_csv(&self) -> String {
        crate::tables::numbers_table(
            std::iter::once("tick").chain(self.columns.iter().map(|c| &**c)),
            self.rows.iter().map(|(tick, row)| (*tick, row.clone())),
        )
    }

    /// The event kinds seen among the kept events, sorted.
    pub fn event_kinds(&self) -> Vec<&'static str> {
        let set: BTreeSet<&'static str> = self.events.iter().map(|e| e.kind()).collect();
        set.into_iter().collect()
    }
}

/// The cell an event happened at, when it has one.
pub fn event_cell(e: &SimEvent) -> Option<(u32, u32)> {
    e.event.cell()
}
