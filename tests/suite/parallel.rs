//! The one thread pool: a big world's agents are decided in parallel, and the world (and its
//! world model) go on byte for byte the same for any number of threads.

use polity::scenario;
use polity::sim::Sim;

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
}

/// Hashes after every tick of `commons-large` (10,000 agents, decided in parallel) and of its
/// world model stepped alongside.
fn trajectory(threads: usize) -> (Vec<u64>, Vec<u64>) {
    in_pool(threads, || {
        let s = scenario::load("commons-large").unwrap();
        assert!(s.agents.iter().map(|g| g.count as usize).sum::<usize>() >= 4 * polity::parallel::PARALLEL_AGENTS);
        let mut sim = Sim::new(&s, 3, 12);
        let mut model = sim.model();
        let (mut world, mut imagined) = (Vec::new(), Vec::new());
        for _ in 0..12 {
            sim.step();
            model.step();
            world.push(sim.state_hash());
            imagined.push(model.state_hash());
        }
        (world, imagined)
    })
}

#[test]
fn big_worlds_are_the_same_on_one_thread_and_many() {
    let one = trajectory(1);
    assert_eq!(one.0, one.1, "the world model follows the world");
    for threads in [2, 3] {
        assert_eq!(trajectory(threads), one, "{threads} threads");
    }
}

/// `f` on a pool of `threads`, failed (not hung) if it takes more than two minutes: a waiter
/// of [`polity::parallel::awake`] that did not stop would keep `awake` from returning.
fn within_two_minutes<T: Send + 'static>(threads: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| in_pool(threads, f))));
    });
    match receive.recv_timeout(std::time::Duration::from_secs(120)) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("still running after two minutes on {threads} threads: a waiter did not stop"),
    }
}

/// Busy for `d`.
fn spin_for(d: std::time::Duration) {
    let started = std::time::Instant::now();
    while started.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// The threads of the pool that ran the pieces of a parallel loop started after a stretch of
/// one-thread work long enough for idle threads to fall asleep (rayon's sleep after some tens
/// of microseconds), and shorter than [`polity::parallel::AWAKE_IDLE`].
fn loop_after_a_serial_stretch() -> std::collections::BTreeSet<usize> {
    use rayon::prelude::*;
    spin_for(std::time::Duration::from_micros(500));
    (0..256)
        .into_par_iter()
        .with_max_len(1)
        .map(|_| {
            spin_for(std::time::Duration::from_micros(500));
            rayon::current_thread_index().unwrap()
        })
        .collect()
}

#[test]
fn a_tick_kept_awake_returns_its_value_and_its_waiters_take_its_loops_and_stop() {
    use polity::parallel::awake;
    use rayon::prelude::*;
    for threads in [1, 2, 3] {
        let (sum, seen, again) = within_two_minutes(threads, || {
            let sum = awake(|| (0..1_000_000u64).into_par_iter().sum::<u64>());
            let seen = awake(loop_after_a_serial_stretch);
            // Inside another awake (a tick within a tick), and worlds ticking side by side.
            let again = awake(|| awake(|| 7));
            let worlds: Vec<u64> = (0..8u64)
                .into_par_iter()
                .map(|w| awake(|| (0..10_000u64).into_par_iter().map(|x| x * w).sum()))
                .collect();
            assert_eq!(worlds, (0..8u64).map(|w| w * 49_995_000).collect::<Vec<_>>());
            (sum, seen, again)
        });
        assert_eq!((sum, again), (499_999_500_000, 7), "{threads} threads");
        // Other threads took pieces of the loop (waiters that only spun would leave them all to
        // the ticking thread).
        assert_eq!(seen.len() > 1, threads > 1, "{threads} threads; these ran the loop: {seen:?}");
    }
}

#[test]
fn a_tick_kept_awake_that_panics_passes_the_panic_on_and_its_waiters_stop() {
    for threads in [2, 3] {
        let caught = within_two_minutes(threads, || {
            let caught = std::panic::catch_unwind(|| polity::parallel::awake(|| -> u32 { panic!("a failing tick") }));
            // The pool still works afterwards.
            (caught.is_err(), polity::parallel::awake(|| 3))
        });
        assert_eq!(caught, (true, 3), "{threads} threads");
    }
}

#[test]
fn worlds_kept_awake_side_by_side_never_wait_on_each_other_for_good() {
    use polity::parallel::awake;
    use rayon::prelude::*;
    // A sweep of big worlds: each world's ticks kept awake, with one-thread stretches longer
    // than a waiter waits and nested loops, so waiters get taken up inside other worlds' work.
    for threads in [2, 3, 4] {
        let sums = within_two_minutes(threads, || {
            (0..12u64)
                .into_par_iter()
                .map(|w| {
                    (0..6u64)
                        .map(|tick| {
                            awake(|| {
                                spin_for(std::time::Duration::from_micros(300 * (w % 4) + 100 * tick));
                                (0..64u64)
                                    .into_par_iter()
                                    .map(|x| {
                                        let (a, b) = rayon::join(|| x * w, || (0..8u64).into_par_iter().sum::<u64>());
                                        a + b + tick
                                    })
                                    .sum::<u64>()
                            })
                        })
                        .sum::<u64>()
                })
                .collect::<Vec<u64>>()
        });
        let expected: Vec<u64> = (0..12u64).map(|w| (0..6u64).map(|t| 2016 * w + 64 * 28 + 64 * t).sum()).collect();
        assert_eq!(sums, expected, "{threads} threads");
    }
}
