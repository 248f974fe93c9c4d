//! Learning speed: `cargo bench --bench learn`.
//!
//! * `learn/commons-learners-update`: one PPO update (the second of a training) of `commons-learners` with its defaults —
//!   8 worlds × 500 ticks × 7 learners = 28,000 learner-steps played (worlds stepped, every
//!   learner observed, networks' forward passes, actions projected and drawn) and then learned
//!   from (3 epochs × 4 minibatches: forward, backward, gradient clipping, Adam). Throughput in
//!   learner-steps per second, learning included.
//! * `learn/commons-learners-play-500-ticks`: inference only, as `polity run` plays a learned
//!   policy: one world of `commons-learners`, 500 ticks (3,500 agent-steps).
//!
//! docs/performance.md reports the numbers and where the time goes.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use polity::learn::train::Trainer;
use polity::scenario;
use polity::sim::Sim;

fn learning(c: &mut Criterion) {
    // As `polity` does first thing: one pool, and candle told its size (src/parallel.rs).
    polity::parallel::init(None);
    let s = scenario::builtin("commons-learners").unwrap().scenario().unwrap();
    let mut g = c.benchmark_group("learn");
    g.sample_size(10);
    g.throughput(Throughput::Elements(8 * 500 * 7));
    g.bench_function("commons-learners-update", |b| {
        b.iter_batched(
            || {
                // Measured: the second update (the first allocates the sample buffers).
                let mut t = Trainer::new(&s, 0, None).unwrap();
                t.update(&mut |_| true).unwrap();
                t
            },
            |mut t| {
                t.update(&mut |_| true).unwrap();
                t
            },
            BatchSize::PerIteration,
        )
    });
    g.throughput(Throughput::Elements(500 * 7));
    g.bench_function("commons-learners-play-500-ticks", |b| {
        b.iter_batched(
            || Sim::new(&s, 0, 500),
            |mut sim| {
                for _ in 0..500 {
                    sim.step();
                }
                sim
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, learning);
criterion_main!(benches);
