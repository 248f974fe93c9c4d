//! The one progress bar of the command line: on stderr, drawn when stderr is a terminal and
//! cleared when the work ends so the summary that follows stands alone; when stderr is a file
//! or a pipe (a batch job's log), a plain line every [`LOG_EVERY`] instead.

use std::io::{IsTerminal, Write};
use std::sync::mpsc;
use std::time::Duration;

/// How often a progress line is written when stderr is not a terminal (none for work done
/// sooner).
pub const LOG_EVERY: Duration = Duration::from_secs(30);

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

/// A progress bar counting `unit`s (ticks, runs, frames), or a line every [`LOG_EVERY`] when
/// stderr is not a terminal. Cleared when dropped.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// Where the lines are written from when stderr is not a terminal: the thread and what
    /// stops it (dropped).
    log: Option<(mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
    /// When the bar was made, and the millisecond after it that [`Progress::tick`] last drew.
    since: std::time::Instant,
    drawn_ms: std::sync::atomic::AtomicU64,
    /// Whether [`Progress::tick_checkpointed`] put "writing a checkpoint" after the bar.
    saving: std::sync::atomic::AtomicBool,
    /// The first count shown and when: what a resumed run or sweep had done before this
    /// process, left out of the rate a log line gives (a resumed run's "53/s" counted the
    /// ticks of the run before).
    first: Start,
}

/// [`Progress::first`], shared with the thread that writes the log lines.
type Start = std::sync::Arc<std::sync::Mutex<Option<(u64, std::time::Instant)>>>;

impl Progress {
    /// A bar of `len` `unit`s.
    pub fn new(len: u64, unit: &str) -> Progress {
        Progress::in_parts(len, unit, 1)
    }

    /// A bar of `len` `unit`s, each counted in `parts` (a sweep's runs in thousandths, so the
    /// runs in flight move the bar and its ETA before the first ends): [`Progress::set`] takes
    /// parts, the bar shows whole units.
    pub fn in_parts(len: u64, unit: &str, parts: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress::logged(len, unit, parts, LOG_EVERY, Box::new(std::io::stderr()));
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
        Progress::bare(Some(bar), None, Start::default())
    }

    fn bare(
        bar: Option<indicatif::ProgressBar>,
        log: Option<(mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
        first: Start,
    ) -> Self {
        Progress {
            bar,
            log,
            since: std::time::Instant::now(),
            drawn_ms: Default::default(),
            saving: Default::default(),
            first,
        }
    }

    /// The bar, not drawn: a line of it written to `sink` every `every` (`progress: 120/400
    /// runs · 3.1/s · 1m 20s in, about 1m 30s left`) until it is dropped.
    fn logged(len: u64, unit: &str, parts: u64, every: Duration, mut sink: Box<dyn Write + Send>) -> Progress {
        let parts = parts.max(1);
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(len.saturating_mul(parts)),
            indicatif::ProgressDrawTarget::hidden(),
        );
        let (stop, stopped) = mpsc::channel::<()>();
        let first = Start::default();
        let (seen, unit, start) = (bar.clone(), unit.to_string(), first.clone());
        let thread = std::thread::spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                let from = *start.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let _ = writeln!(sink, "{}", log_line(&seen, &unit, parts, from));
                let _ = sink.flush();
            }
        });
        Progress::bare(Some(bar), Some((stop, thread)), first)
    }

    /// Shows `done` of the whole.
    pub fn set(&self, done: u64) {
        if let Some(b) = &self.bar {
            let mut first = self.first.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if first.is_none() {
                *first = Some((done, std::time::Instant::now()));
                // (The bar's own estimate of the rate starts here too, not from a jump to
                // what a resumed run had done.)
                b.set_position(done);
                b.reset_eta();
                return;
            }
            drop(first);
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
        if let Some((stop, thread)) = self.log.take() {
            drop(stop);
            let _ = thread.join();
        }
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// A line of `bar`'s state for a log: done of the whole, the rate, the time so far and left,
/// and the note or news after the bar.
///
/// The rate and the time left are reckoned from the whole time since `first` (the first count
/// shown, and when), not the bar's recent steps: a line every half minute read "14/15 budgets ·
/// 12.4 s each · 30s in" (the last budget's pace, not the fourteen's).
fn log_line(bar: &indicatif::ProgressBar, unit: &str, parts: u64, first: Option<(u64, std::time::Instant)>) -> String {
    let (pos, len) = (bar.position(), bar.length().unwrap_or(0));
    let elapsed = bar.elapsed();
    // From the first count shown: what was done before it (a resumed run's ticks) is not this
    // process's pace.
    let (base, since) = first.unwrap_or((0, std::time::Instant::now() - elapsed));
    let per_sec = pos.saturating_sub(base) as f64 / since.elapsed().as_secs_f64();
    let left = if pos == 0 || !(per_sec.is_finite() && per_sec > 0.0) {
        String::new()
    } else {
        let secs = len.saturating_sub(pos) as f64 / per_sec;
        format!(", about {:#} left", indicatif::HumanDuration(Duration::from_secs_f64(secs.min(1e9))))
    };
    format!(
        "progress: {}/{} {unit} · {} · {:#} in{left}{}",
        pos / parts,
        len / parts,
        rate(per_sec / parts as f64),
        indicatif::HumanDuration(elapsed),
        bar.message().replace('\n', " · ")
    )
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

    /// A sink the test reads back.
    #[derive(Clone, Default)]
    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn without_a_terminal_progress_is_a_line_now_and_then() {
        // A run's stderr sent to a file said nothing for hours: a line every so often now.
        let sink = Sink::default();
        let every = std::time::Duration::from_millis(100);
        let bar = super::Progress::logged(40, "runs", 1000, every, Box::new(sink.clone()));
        bar.set(0);
        bar.set(12_500);
        bar.note("writing a checkpoint");
        std::thread::sleep(every * 3 + every / 2);
        drop(bar);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!((2..=4).contains(&lines.len()), "{text}");
        for l in &lines {
            assert!(l.starts_with("progress: 12/40 runs · ") && l.contains(" in, about "), "{l}");
            assert!(l.ends_with(" · writing a checkpoint"), "{l}");
        }
        // Dropped, it writes no more.
        std::thread::sleep(every * 2);
        assert_eq!(sink.0.lock().unwrap().len(), text.len());
        // A resumed run's first count (ticks done before this process) is not in the rate:
        // 1000 of 2000 ticks already done, 40 more in about a third of a second, said as about
        // 120 a second (it said 3000), and some seconds left, not a fraction of one.
        let sink = Sink::default();
        let bar = super::Progress::logged(2000, "ticks", 1, every * 3, Box::new(sink.clone()));
        bar.set(1000);
        std::thread::sleep(every * 3 / 2);
        bar.set(1040);
        std::thread::sleep(every * 2);
        drop(bar);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let rate: f64 = text.split(" ticks · ").nth(1).and_then(|r| r.split("/s").next()).unwrap().parse().unwrap();
        assert!((40.0..=200.0).contains(&rate), "{text}");
        // Work done before the first line says nothing.
        let quiet = Sink::default();
        drop(super::Progress::logged(5, "ticks", 1, std::time::Duration::from_secs(60), Box::new(quiet.clone())));
        assert!(quiet.0.lock().unwrap().is_empty());
    }
}
