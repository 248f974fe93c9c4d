//! Tick throughput: `cargo bench --bench ticks`.
//!
//! * `commons/1000-ticks`: a fresh `commons` world run for 1000 ticks (metrics measured every
//!   tick, nothing written); throughput in ticks per second.
//! * `commons-large/20-ticks/T-threads`: 20 ticks of the 1000×1000, 10,000-agent world (built
//!   outside the timing) on a pool of 1 thread and of one per core; throughput in agent-steps
//!   per second (ticks × agents).
//! * `checkpoint/save-commons-large`, `checkpoint/restore-commons-large`: writing the whole
//!   state of the big world (after 5 ticks) to a RON checkpoint file, and reading and restoring
//!   it; the file's size is printed once.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use polity::scenario;
use polity::sim::Sim;

fn commons(c: &mut Criterion) {
    let s = scenario::builtin("commons").unwrap().scenario().unwrap();
    let mut g = c.benchmark_group("commons");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("1000-ticks", |b| {
        b.iter_batched(
            || Sim::new(&s, 0, 1000),
            |mut sim| {
                for _ in 0..1000 {
                    sim.step();
                }
                drain(&mut sim);
                sim
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn commons_large(c: &mut Criterion) {
    let s = scenario::builtin("commons-large").unwrap().scenario().unwrap();
    let agents: u64 = s.agents.iter().map(|g| g.count as u64).sum();
    let mut g = c.benchmark_group("commons-large");
    g.sample_size(10);
    g.throughput(Throughput::Elements(20 * agents));
    // On one thread, and on every core (the agents' decisions run on the thread pool).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for threads in [1, cores] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        g.bench_function(format!("20-ticks/{threads}-threads"), |b| {
            // The world lives on one thread (it is not Send), so each sample builds it inside
            // the pool and times only the ticks.
            b.iter_custom(|iters| {
                pool.install(|| {
                    let mut spent = std::time::Duration::ZERO;
                    for _ in 0..iters {
                        let mut sim = Sim::new(&s, 0, 20);
                        let started = std::time::Instant::now();
                        for _ in 0..20 {
                            sim.step();
                            drain(&mut sim);
                        }
                        spent += started.elapsed();
                    }
                    spent
                })
            })
        });
    }
    g.finish();
}

/// Drops the measurements as a runner would after writing them.
fn drain(sim: &mut Sim) {
    sim.drain();
}

fn checkpoint(c: &mut Criterion) {
    let s = scenario::builtin("commons-large").unwrap().scenario().unwrap();
    let mut sim = Sim::new(&s, 0, 100);
    for _ in 0..5 {
        sim.step();
    }
    drain(&mut sim);
    let dir = std::env::temp_dir().join(format!("polity-bench-checkpoint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cp.ron");
    polity::checkpoint::save(&sim.checkpoint(), &path).unwrap();
    eprintln!("commons-large checkpoint: {} bytes", std::fs::metadata(&path).unwrap().len());
    let mut g = c.benchmark_group("checkpoint");
    g.sample_size(10);
    g.bench_function("save-commons-large", |b| b.iter(|| polity::checkpoint::save(&sim.checkpoint(), &path).unwrap()));
    g.bench_function("restore-commons-large", |b| {
        b.iter(|| Sim::restore(&polity::checkpoint::load(&path).unwrap()).unwrap())
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, commons, commons_large, checkpoint);
criterion_main!(benches);
