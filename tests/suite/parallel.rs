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
