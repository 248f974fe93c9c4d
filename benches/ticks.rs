//! Tick throughput: `cargo bench --bench ticks`.
//!
//! * `commons/1000-ticks`: a fresh `commons` world run for 1000 ticks (metrics measured every
//!   tick, nothing written); throughput in ticks per second.
//! * `commons-large/20-ticks`: 20 ticks of the 1000×1000, 10,000-agent world (built outside
//!   the timing); throughput in agent-steps per second (ticks × agents).
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
    g.bench_function("20-ticks", |b| {
        b.iter_batched(
            || Sim::new(&s, 0, 20),
            |mut sim| {
                for _ in 0..20 {
                    sim.step();
                    drain(&mut sim);
                }
                sim
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Drops the measurements as a runner would after writing them.
fn drain(sim: &mut Sim) {
    let w = sim.world_mut();
    w.resource_mut::<polity::metrics::MetricsLog>().drain();
    w.resource_mut::<polity::metrics::AgentSamples>().drain();
    w.resource_mut::<polity::metrics::EventLog>().drain();
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
