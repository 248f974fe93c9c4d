//! The one progress bar of the command line: on stderr, only when stderr is a terminal, and
//! cleared when the work ends so the summary that follows stands alone.

use std::io::IsTerminal;

/// `f` of every item, all at once on the thread pool (`--threads`), behind a bar counting the
/// `unit`s done; the results in the items' order (the same for any number of threads).
pub fn par_map<T: Sync, R: Send>(items: &[T], unit: &str, f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    let bar = Progress::new(items.len() as u64, unit);
    let done = AtomicU64::new(0);
    polity::parallel::on_pool(|| {
        items
            .par_iter()
            .map(|item| {
                let r = f(item);
                bar.set(done.fetch_add(1, Ordering::Relaxed) + 1);
                r
            })
            .collect()
    })
}

/// A progress bar counting `unit`s (ticks, runs, frames), or nothing when stderr is not a
/// terminal. Cleared when dropped.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// When the bar was made, and the millisecond after it that [`Progress::tick`] last drew.
    since: std::time::Instant,
    drawn_ms: std::sync::atomic::AtomicU64,
    /// Whether [`Progress::tick_checkpointed`] put "writing a checkpoint" after the bar.
    saving: std::sync::atomic::AtomicBool,
}

impl Progress {
    /// A bar of `len` `unit`s.
    pub fn new(len: u64, unit: &str) -> Progress {
        Progress::in_parts(len, unit, 1)
    }

    /// A bar of `len` `unit`s, each counted in `parts` (a sweep's runs in thousandths, so the
    /// runs in flight move the bar and its ETA before the first ends): [`Progress::set`] takes
    /// parts, the bar shows whole units.
    pub fn in_parts(len: u64, unit: &str, parts: u64) -> Progress {
        let bare = |bar| Progress {
            bar,
            since: std::time::Instant::now(),
            drawn_ms: Default::default(),
            saving: Default::default(),
        };
        if !std::io::stderr().is_terminal() {
            return bare(None);
        }
        let parts = parts.max(1);
        let bar = indicatif::ProgressBar::new(len.saturating_mul(parts));
        let unit = unit.to_string();
        let style =
            indicatif::ProgressStyle::with_template("{bar:40} {count} · {rate} · {elapsed} in, ETA {left}{msg}")
                .expect("valid template")
                .with_key("count", move |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}/{} {unit}", s.pos() / parts, s.len().unwrap_or(0) / parts);
                })
                .with_key("rate", move |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}", rate(s.per_sec() / parts as f64));
                })
                .with_key("left", |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    // Until something is done there is nothing to reckon from ("0s" said "done").
                    if s.pos() == 0 {
                        let _ = write!(w, "…");
                    } else {
                        let _ = write!(w, "{:#}", indicatif::HumanDuration(s.eta()));
                    }
                });
        bar.set_style(style);
        // Redrawn four times a second even while nothing is counted (a big world building).
        bar.enable_steady_tick(std::time::Duration::from_millis(250));
        bare(Some(bar))
    }

    /// Shows `done` of the whole.
    pub fn set(&self, done: u64) {
        if let Some(b) = &self.bar {
            b.set_position(done);
        }
    }

    /// Changes the whole (work whose size grows as it is found: states enumerated).
    pub fn set_len(&self, len: u64) {
        if let Some(b) = &self.bar {
            b.set_length(len);
        }
    }

    /// Shows tick `t` of `end`: every 16th tick, the last, and any tick a fifth of a second
    /// or more after the last one shown (ticks can be far faster than a terminal, or so slow
    /// that 16 of them take a minute).
    pub fn tick(&self, t: u64, end: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        if self.bar.is_none() {
            return;
        }
        let ms = self.since.elapsed().as_millis() as u64;
        if t.is_multiple_of(16) || t == end || ms >= self.drawn_ms.load(Relaxed) + 200 {
            self.drawn_ms.store(ms, Relaxed);
            self.set(t);
        }
    }

    /// [`Progress::tick`] of a run that writes a checkpoint after every `every`th tick but the
    /// last: after such a tick the bar shows it and says a checkpoint is being written (a big
    /// world's takes seconds); the next tick clears that.
    pub fn tick_checkpointed(&self, t: u64, end: u64, every: Option<u64>) {
        use std::sync::atomic::Ordering::Relaxed;
        if every.is_some_and(|e| e > 0 && t.is_multiple_of(e) && t < end) {
            self.set(t);
            self.note("writing a checkpoint");
            self.saving.store(true, Relaxed);
        } else {
            if self.saving.swap(false, Relaxed) {
                self.note("");
            }
            self.tick(t, end);
        }
    }

    /// Shows `text` after the bar, on its line (what is being done before the first unit:
    /// "building the world"); an empty text clears it.
    pub fn note(&self, text: &str) {
        if let Some(b) = &self.bar {
            b.set_message(if text.is_empty() { String::new() } else { format!(" · {text}") });
        }
    }

    /// Shows a line of news after the bar (a training's latest returns).
    pub fn message(&self, text: &str) {
        if let Some(b) = &self.bar {
            b.set_message(format!("\n{text}"));
        }
    }

    /// Clears the bar (as dropping it does).
    pub fn finish(self) {}
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// A rate of units a second as people read it: `77/s` from ten up, `7.7/s` from one, and
/// below that the time one takes (`15 s each`): never `76.8162/s`.
fn rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        "…/s".into()
    } else if per_sec >= 10.0 {
        format!("{per_sec:.0}/s")
    } else if per_sec >= 1.0 {
        format!("{per_sec:.1}/s")
    } else {
        format!("{:.1} s each", 1.0 / per_sec)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rates_read_as_people_write_them() {
        assert_eq!(super::rate(76.8162), "77/s");
        assert_eq!(super::rate(3.0625), "3.1/s");
        assert_eq!(super::rate(0.0666), "15.0 s each");
        assert_eq!(super::rate(0.0), "…/s");
        assert_eq!(super::rate(f64::NAN), "…/s");
    }
}
