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
}

impl Progress {
    /// A bar of `len` `unit`s.
    pub fn new(len: u64, unit: &str) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = indicatif::ProgressBar::new(len);
        bar.set_style(
            indicatif::ProgressStyle::with_template(&format!(
                "{{bar:40}} {{pos}}/{{len}} {unit} · {{per_sec}} · ETA {{eta}} {{msg}}"
            ))
            .expect("valid template"),
        );
        Progress { bar: Some(bar) }
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

    /// Shows tick `t` of `end`, redrawing only every 16 ticks and at the end (ticks can be
    /// far faster than a terminal).
    pub fn tick(&self, t: u64, end: u64) {
        if t.is_multiple_of(16) || t == end {
            self.set(t);
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
