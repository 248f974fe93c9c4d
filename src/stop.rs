//! The process's request to stop, and the work it cut short.
//!
//! A first SIGINT or SIGTERM ([`crate::outputs::catch_interrupts`]) asks long work to stop:
//! runs, recordings and sweeps stop at their next tick, frame or run, and the planner's sparse
//! sampling, whose one tick can take minutes, stops inside the tick. A tick whose plan was cut
//! short ([`was_cut`]) is not the tick the run would have had, so nothing may keep it: not as a
//! finished run, a sweep's row or a checkpoint.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static CUT: AtomicBool = AtomicBool::new(false);

/// Asks the process to stop; returns whether it had been asked already.
pub fn request() -> bool {
    REQUESTED.swap(true, Ordering::SeqCst)
}

/// Whether the process has been asked to stop.
#[inline]
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Notes that work was cut short because a stop was requested (the caller gives up and
/// returns a result that must not be kept).
pub fn cut() {
    CUT.store(true, Ordering::SeqCst);
}

/// Whether some work was cut short: every tick from then on is not the run's.
pub fn was_cut() -> bool {
    CUT.load(Ordering::SeqCst)
}
