//! The one thread pool: every parallel loop in Polity — the agents' decisions in a big world,
//! the planner's samples, the runs of a sweep and of a comparison — runs on rayon's global
//! pool, so a sweep of planning scenarios shares the cores instead of starting workers ×
//! planners threads. `--threads N` sizes the pool ([`init`]); by default it has one thread per
//! core.
//!
//! Every parallel result is combined in a fixed order and every random draw is keyed by
//! (seed, tick, subject, purpose), so outputs are byte-identical for any number of threads.

use std::num::NonZeroUsize;

/// Below this many agents a tick's decisions are made on one thread: handing a few agents to
/// the pool costs more than deciding them (commons' 7 agents decide in about 2 µs).
pub const PARALLEL_AGENTS: usize = 256;

/// Below this many agents, a pass over them that mostly moves memory (the moves, the search
/// for picks) runs on the calling thread: handing it to the pool costs more than it saves.
/// On a pool of one thread too, the pass's one-thread form is the cheaper.
pub const PARALLEL_PASS: usize = 4096;

/// Whether a pass over `n` agents goes on the pool ([`PARALLEL_PASS`]).
pub fn pass_on_pool(n: usize) -> bool {
    n >= PARALLEL_PASS && rayon::current_num_threads() > 1
}

/// The most threads `--threads` takes, per core of the machine.
pub const THREADS_PER_CORE: usize = 8;

/// The most threads `--threads` takes: [`THREADS_PER_CORE`] per core, and at least 16 (a pool
/// starts every thread, and so does candle's: a hundred thousand took minutes).
pub fn max_threads() -> usize {
    (cores() * THREADS_PER_CORE).max(16)
}

/// The machine's cores (as the standard library counts them; 1 when it cannot tell).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// Sizes the global thread pool: `threads`, or one per core. Call once, first thing in
/// `main`, before any other thread exists (later calls, and calls after the pool has started,
/// change nothing).
///
/// It also tells candle (the learner's tensors) the same count, unless the environment already
/// does: `RAYON_NUM_THREADS` sizes its matrix products (unset, candle counts the physical cores
/// by reading `/proc/cpuinfo` on every product — thousands of times an update) and
/// `CANDLE_NUM_THREADS` its element-wise operations' worker pool. On a machine shared with
/// other work, `CANDLE_NUM_THREADS=1` is faster (that pool spins while it waits;
/// docs/performance.md). candle's results are the same for any thread count.
pub fn init(threads: Option<NonZeroUsize>) -> usize {
    let n = threads.or_else(|| std::thread::available_parallelism().ok()).map_or(1, NonZeroUsize::get);
    for (var, value) in [("RAYON_NUM_THREADS", n), ("CANDLE_NUM_THREADS", n)] {
        if std::env::var_os(var).is_none() {
            // SAFETY: called before any other thread of this process exists (see above), so
            // nothing reads the environment while it changes.
            unsafe { std::env::set_var(var, value.to_string()) };
        }
    }
    let mut b = rayon::ThreadPoolBuilder::new().thread_name(|i| format!("polity-{i}"));
    if let Some(n) = threads {
        b = b.num_threads(n.get());
    }
    let _ = b.build_global();
    let _ = POOL_PROCESS.set(std::process::id());
    rayon::current_num_threads()
}

/// The process that first used the global pool through [`init`] or [`in_this_process`].
static POOL_PROCESS: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// Runs `f` where its parallel loops can run: on the global pool, or — in a process forked
/// from one that had used the pool (Python's `multiprocessing` forks by default on Linux) — on
/// a pool of this process's own, built on first need. A fork copies only the thread that
/// forked: the global pool's threads are not in the child, and a parallel loop there waited
/// for them forever. The library's entry points from Python run their work through this.
pub fn in_this_process<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    use std::sync::{Arc, Mutex};
    static OWN: Mutex<Option<(u32, Arc<rayon::ThreadPool>)>> = Mutex::new(None);
    let me = std::process::id();
    if *POOL_PROCESS.get_or_init(|| me) == me {
        return f();
    }
    let pool = {
        let mut own = OWN.lock().unwrap_or_else(|e| e.into_inner());
        match &*own {
            Some((pid, pool)) if *pid == me => pool.clone(),
            _ => {
                // As many threads as the parent's pool (its count is kept in the copied memory).
                let threads = rayon::current_num_threads();
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|i| format!("polity-{i}"))
                    .build()
                    .map(Arc::new);
                let Ok(pool) = pool else { return f() };
                *own = Some((me, pool.clone()));
                pool
            }
        }
    };
    pool.install(f)
}

/// Runs `f` on one of the pool's threads and returns what it returns: a world stepped there
/// shares its tick's parallel loops with the pool's other threads directly, instead of
/// handing each to them and sleeping until they finish (on two cores a big world's tick takes
/// about a tenth less; docs/performance.md). `f` runs on this thread when it is already one
/// of the pool's.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}

/// Runs `f`, one tick of a world of `agents` agents: a big world's ([`PARALLEL_AGENTS`] or
/// more) through [`awake`], a small one's as it is (its tick has no parallel loop to wait for).
pub fn tick<R>(agents: usize, f: impl FnOnce() -> R) -> R {
    if agents >= PARALLEL_AGENTS { awake(f) } else { f() }
}

/// How long a thread kept awake by [`awake`] waits for work before it goes back to the pool:
/// longer than a big world's one-thread stretches (its picks, its metrics: a few tenths of a
/// millisecond), short against a tick.
pub const AWAKE_IDLE: std::time::Duration = std::time::Duration::from_millis(2);

/// Runs `f` — one tick of a big world, on one of the pool's threads — while the pool's other
/// threads wait for its parallel loops awake, taking each loop's first pieces as soon as they
/// are offered: a thread left idle through the tick's one-thread stretches goes to sleep, and
/// waking it costs each loop tens of microseconds on a virtual machine (docs/performance.md).
/// The waiting threads run whatever the pool offers meanwhile; they stop when `f` returns
/// (or panics), or after [`AWAKE_IDLE`] without work: a waiter may be taken up by a thread
/// inside another piece of work (a sweep's other world), which then waits with it, and a
/// waiter that waited on forever could close a circle of such waits. Off the pool, on a pool
/// of one thread, or inside another `awake`, `f` just runs. What `f` computes does not depend
/// on it.
pub fn awake<R>(f: impl FnOnce() -> R) -> R {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicBool, Ordering};
    thread_local! {
        static AWAKE: Cell<bool> = const { Cell::new(false) };
    }
    let Some(me) = rayon::current_thread_index() else { return f() };
    if rayon::current_num_threads() < 2 || AWAKE.with(Cell::get) {
        return f();
    }
    let done = AtomicBool::new(false);
    // When `f` ends, however it ends: no waiting thread spins on, and this thread may keep
    // others awake again.
    struct Done<'a>(&'a AtomicBool);
    impl Drop for Done<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
            AWAKE.with(|a| a.set(false));
        }
    }
    let wait = || {
        // This thread itself, having taken a waiter back from its own queue: nothing to wait for.
        if rayon::current_thread_index() == Some(me) {
            return;
        }
        let mut idle_since = None;
        while !done.load(Ordering::Acquire) {
            if rayon::yield_now() == Some(rayon::Yield::Executed) {
                idle_since = None;
            } else if idle_since.get_or_insert_with(std::time::Instant::now).elapsed() > AWAKE_IDLE {
                return;
            } else {
                std::hint::spin_loop();
            }
        }
    };
    rayon::in_place_scope(|s| {
        for _ in 1..rayon::current_num_threads() {
            s.spawn(|_| wait());
        }
        AWAKE.with(|a| a.set(true));
        let _done = Done(&done);
        f()
    })
}

/// `f(i, item)` for every item of `items`, on the pool when there are at least
/// [`PARALLEL_AGENTS`] of them, else in order on this thread. `f` sees each item once; the
/// result does not depend on which thread ran it.
pub fn for_each_mut<T: Send>(items: &mut [T], f: impl Fn(&mut T) + Sync + Send) {
    if items.len() >= PARALLEL_AGENTS {
        use rayon::prelude::*;
        items.par_iter_mut().with_min_len(64).for_each(f);
    } else {
        items.iter_mut().for_each(f);
    }
}

/// [`for_each_mut`], with `ahead(item, 1)` called on the same thread four items before
/// `f(item)` and `ahead(item, 2)` two items before: time to fetch what `f` will read from
/// memory (a big map's cells) while earlier items are worked on. `ahead` must change
/// nothing; the result is [`for_each_mut`]'s.
pub fn for_each_mut_ahead<T: Send + Sync>(
    items: &mut [T],
    ahead: impl Fn(&T, u8) + Sync + Send,
    f: impl Fn(&mut T) + Sync + Send,
) {
    let run = |chunk: &mut [T]| {
        for k in 0..chunk.len() {
            if let Some(next) = chunk.get(k + 4) {
                ahead(next, 1);
            }
            if let Some(next) = chunk.get(k + 2) {
                ahead(next, 2);
            }
            f(&mut chunk[k]);
        }
    };
    if items.len() >= PARALLEL_AGENTS {
        use rayon::prelude::*;
        items.par_chunks_mut(64).with_max_len(1).for_each(run);
    } else {
        items.iter_mut().for_each(f);
    }
}

/// `f` for every world of `worlds` on the pool, whatever their number (each is a big piece of
/// work: a learner's world stepped a tick). Worlds are independent, so the result does not
/// depend on the thread count.
pub fn each_world<T: Send>(worlds: &mut [T], f: impl Fn(&mut T) + Sync + Send) {
    use rayon::prelude::*;
    worlds.par_iter_mut().for_each(f);
}

/// `f` of every world, in order, computed on the pool.
pub fn map_worlds<T: Sync, R: Send>(worlds: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    worlds.par_iter().map(f).collect()
}
