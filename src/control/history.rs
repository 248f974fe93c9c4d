//! What the app drains from the world each frame: every metrics row since tick 0 and the
//! newest events; the metrics written back as `polity run`'s `metrics.csv`.
//!
//! Memory stays bounded however long the app runs: the newest [`ROWS_IN_MEMORY`] metrics rows
//! are kept in memory; older ones are spilled, as `metrics.csv` lines, to an anonymous
//! temporary file (deleted by the system when the app ends), and the plots draw them from a
//! thinned copy of at most [`SKETCH_POINTS`] rows. The event log keeps the newest
//! [`EVENTS_KEPT`] events. If the temporary file cannot be made or written (a full disk),
//! rows are kept in memory instead, so the metrics export stays whole.

use std::collections::{BTreeSet, VecDeque};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::metrics::{MetricsLog, SimEvent};
use crate::sim::Sim;

/// Events the app keeps (the newest; older ones are dropped, the count goes on).
pub const EVENTS_KEPT: usize = 2000;

/// Metrics rows the app keeps in memory (the newest; about 100 bytes each with 9 columns).
/// Beyond it, the oldest half goes to the spill file.
pub const ROWS_IN_MEMORY: usize = 100_000;

/// Rows of the spilled part kept for the plots: every k-th spilled row, k doubling as needed.
pub const SKETCH_POINTS: usize = 10_000;

/// Rows moved out of memory: their `metrics.csv` lines in an anonymous temporary file.
#[derive(Debug)]
struct Spill {
    file: File,
    rows: u64,
    /// Every `stride`-th spilled row, for the plots.
    sketch: Vec<(u64, Vec<f64>)>,
    stride: u64,
}

/// What the app has drained from the world: every metrics row since tick 0 and the newest
/// [`EVENTS_KEPT`] events. The app is the world's only consumer of its logs.
#[derive(Debug, Default)]
pub struct History {
    /// Metric column names (without `tick`).
    pub columns: Vec<String>,
    /// The newest rows (all of them until [`ROWS_IN_MEMORY`] is passed): (tick, values in
    /// column order).
    pub rows: Vec<(u64, Vec<f64>)>,
    /// The older rows, on disk.
    spill: Option<Spill>,
    /// The spill file could not be made or written: every row stays in memory.
    spill_failed: bool,
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
        self.push_rows(out.rows);
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

    /// Appends metrics rows, spilling the oldest to disk past [`ROWS_IN_MEMORY`].
    pub fn push_rows(&mut self, rows: impl IntoIterator<Item = (u64, Vec<f64>)>) {
        self.rows.extend(rows);
        if self.rows.len() > ROWS_IN_MEMORY && !self.spill_failed && self.spill_oldest().is_err() {
            self.spill_failed = true;
        }
    }

    /// Moves all but the newest `ROWS_IN_MEMORY / 2` rows to the spill file.
    fn spill_oldest(&mut self) -> io::Result<()> {
        let n = self.rows.len() - ROWS_IN_MEMORY / 2;
        let mut w = crate::tables::writer(Vec::new());
        let mut buf = String::new();
        for (tick, row) in &self.rows[..n] {
            crate::tables::write_numbers(&mut w, tick, row.iter().copied(), &mut buf)?;
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        if self.spill.is_none() {
            self.spill = Some(Spill { file: tempfile::tempfile()?, rows: 0, sketch: Vec::new(), stride: 1 });
        }
        let spill = self.spill.as_mut().expect("made above");
        spill.file.write_all(&bytes)?;
        for row in self.rows.drain(..n) {
            if spill.rows.is_multiple_of(spill.stride) {
                spill.sketch.push(row);
                if spill.sketch.len() > SKETCH_POINTS {
                    let mut i = 0;
                    spill.sketch.retain(|_| {
                        i += 1;
                        i % 2 == 1
                    });
                    spill.stride *= 2;
                }
            }
            spill.rows += 1;
        }
        Ok(())
    }

    /// Rows drained in all, in memory or spilled.
    pub fn len(&self) -> u64 {
        self.spill.as_ref().map_or(0, |s| s.rows) + self.rows.len() as u64
    }

    /// Whether no row was drained yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rows spilled to the temporary file.
    pub fn spilled(&self) -> u64 {
        self.spill.as_ref().map_or(0, |s| s.rows)
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
        let sketch = self.spill.as_ref().map_or(&[][..], |s| &s.sketch[..]);
        let n = sketch.len() + self.rows.len();
        let stride = n.div_ceil(max_points.max(1)).max(1);
        let mut out: Vec<[f64; 2]> =
            sketch.iter().chain(&self.rows).step_by(stride).map(|(t, r)| [*t as f64, r[i]]).collect();
        if let Some((t, r)) = self.rows.last()
            && out.last().is_some_and(|p| p[0] != *t as f64)
        {
            out.push([*t as f64, r[i]]);
        }
        out
    }

    /// Every row as CSV, in the format of `polity run`'s `metrics.csv` (the spilled rows read
    /// back from their file).
    pub fn metrics_csv(&self) -> io::Result<String> {
        let newest = crate::tables::numbers_table(
            std::iter::once("tick").chain(self.columns.iter().map(|c| &**c)),
            self.rows.iter().map(|(tick, row)| (*tick, row.clone())),
        );
        let Some(spill) = &self.spill else { return Ok(newest) };
        let (header, rows) = newest.split_at(newest.find('\n').map_or(newest.len(), |i| i + 1));
        let mut text = String::from(header);
        let mut file = &spill.file;
        file.seek(SeekFrom::Start(0))?;
        let read = file.read_to_string(&mut text);
        file.seek(SeekFrom::End(0))?;
        read?;
        text.push_str(rows);
        Ok(text)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_past_the_cap_are_spilled_and_the_export_stays_whole() {
        let mut h = History { columns: vec!["a".into(), "b".into()], ..History::default() };
        let row = |t: u64| (t, vec![t as f64 * 0.5, -(t as f64)]);
        let total = 3 * ROWS_IN_MEMORY as u64 + 17;
        let mut t = 0;
        while t < total {
            let n = (t % 997 + 1).min(total - t);
            h.push_rows((t..t + n).map(row));
            t += n;
            assert!(h.rows.len() <= ROWS_IN_MEMORY, "memory holds at most the cap");
            assert!(h.spill.as_ref().is_none_or(|s| s.sketch.len() <= SKETCH_POINTS));
        }
        assert_eq!(h.len(), total);
        assert!(h.spilled() > 2 * ROWS_IN_MEMORY as u64, "{}", h.spilled());
        // The export: every row, in order, as `polity run` writes them.
        let expected = crate::tables::numbers_table(["tick", "a", "b"], (0..total).map(row));
        assert_eq!(h.metrics_csv().unwrap(), expected);
        // Twice: reading the spill file leaves it ready for more rows.
        h.push_rows((total..total + ROWS_IN_MEMORY as u64).map(row));
        let expected = crate::tables::numbers_table(["tick", "a", "b"], (0..total + ROWS_IN_MEMORY as u64).map(row));
        assert_eq!(h.metrics_csv().unwrap(), expected);
        // The plots: thinned, from tick 0 to the last, in order.
        let s = h.series("b", 5000);
        assert!(s.len() <= 5001, "{}", s.len());
        assert_eq!(s[0], [0.0, 0.0]);
        let last = (total + ROWS_IN_MEMORY as u64 - 1) as f64;
        assert_eq!(*s.last().unwrap(), [last, -last]);
        assert!(s.windows(2).all(|w| w[0][0] < w[1][0]));
        assert_eq!(h.last("a"), Some(last * 0.5));
    }
}
