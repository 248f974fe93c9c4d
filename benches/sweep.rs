//! Sweep overhead: `cargo bench --bench sweep`.
//!
//! The same 40 short runs (`commons`, 200 ticks, 5 values of the humans' power × 8 seeds),
//! three ways:
//!
//! * `sweep/direct-40-runs`: each run's scenario built and stepped directly, outputs
//!   discarded — the runs' own time;
//! * `sweep/sweep-40-runs-1-thread`: `polity sweep`'s runner on one thread, writing its row
//!   files and table into a fresh folder — the overhead is the difference;
//! * `sweep/sweep-40-runs-all-threads`: the same on every core — the speed-up.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use polity::sim::Sim;
use polity::sweep::{self, Shard, runner};

const SPEC: &str = r#"Sweep(
    version: 1,
    base: "commons",
    parameters: [(path: "agents[0].power", values: Range(from: 0.5, to: 2.5, steps: 5))],
    replicates: 8,
    ticks: Some(200),
    keep: [End("apples"), Mean("welfare_mean", 50)],
)"#;

fn sweeps(c: &mut Criterion) {
    let tmp = std::env::temp_dir().join(format!("polity-bench-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let file = tmp.join("s.ron");
    std::fs::write(&file, SPEC).unwrap();
    let sw = sweep::load(&file).unwrap();
    let scenarios: Vec<_> = (0..sw.runs()).map(|n| (sw.scenario(&sw.run(n)), sw.run(n).seed)).collect();
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    g.bench_function("direct-40-runs", |b| {
        b.iter(|| {
            for (s, seed) in &scenarios {
                let mut sim = Sim::new(s, *seed, sw.ticks);
                for _ in 0..sw.ticks {
                    sim.step();
                    sim.drain();
                }
            }
        })
    });
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    for (name, threads) in [("sweep-40-runs-1-thread", 1), ("sweep-40-runs-all-threads", all)] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut k = 0;
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    k += 1;
                    tmp.join(format!("{name}-{k}"))
                },
                |out| {
                    let opts = runner::Options { out: out.clone(), shard: Shard::ALL };
                    pool.install(|| runner::run(&sw, &opts, |_, _| {})).unwrap();
                    out
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&tmp);
}

criterion_group!(benches, sweeps);
criterion_main!(benches);
