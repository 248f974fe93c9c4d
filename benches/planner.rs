//! World-model and planner speed: `cargo bench --bench planner`.
//!
//! * `model/commons-1000-ticks`: the world model of `commons` stepped 1000 ticks (one tick of
//!   every agent plus regrowth is one transition); throughput in transitions per second. The
//!   AIs strip the commons in about 50 ticks, so most of these ticks see no apples.
//! * `model/commons-first-50-ticks`: the first 50 ticks only, while apples stand: every
//!   forager scores the apples in its view and tilts its choice (the expensive case).
//! * `paa/decision-5x4x3`: one PAA decision on `sed-apple-picking` (50-tick tax periods) with
//!   5 candidate schedules, width C = 4 and depth H = 3 (8,420 imagined periods, 421,000
//!   model ticks), on all cores.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use polity::paa::RatesMdp;
use polity::scenario::{self, RateCandidates};
use polity::sim::Sim;

fn model_transitions(c: &mut Criterion) {
    let s = scenario::builtin("commons").unwrap().scenario().unwrap();
    let mut sim = Sim::new(&s, 0, 1000);
    let model = sim.model();
    let mut g = c.benchmark_group("model");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("commons-1000-ticks", |b| {
        b.iter_batched(
            || model.clone(),
            |mut m| {
                for _ in 0..1000 {
                    m.step();
                }
                m
            },
            BatchSize::PerIteration,
        )
    });
    g.throughput(Throughput::Elements(50));
    g.bench_function("commons-first-50-ticks", |b| {
        b.iter_batched(
            || model.clone(),
            |mut m| {
                for _ in 0..50 {
                    m.step();
                }
                m
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn paa_decision(c: &mut Criterion) {
    let s = scenario::builtin("sed-apple-picking").unwrap().scenario().unwrap();
    let mut sim = Sim::new(&s, 0, 1000);
    let mut model = sim.model();
    model.parts.remove::<polity::principal::Principal>();
    let menu =
        vec![vec![0.0, 0.0, 0.0], vec![0.1, 0.1, 0.1], vec![0.2, 0.3, 0.4], vec![0.5, 0.5, 0.5], vec![1.0, 1.0, 1.0]];
    let r_max = polity::utility::period_bound(&model, 50);
    let mdp =
        RatesMdp { model, candidates: RateCandidates::Menu(menu), root_extra: None, fixed_p: None, kappa: None, r_max };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut g = c.benchmark_group("paa");
    g.sample_size(10);
    g.bench_function("decision-5x4x3", |b| b.iter(|| polity::planner::q_values(&mdp, 0.9, 4, 3, 7, threads)));
    g.finish();
}

criterion_group!(benches, model_transitions, paa_decision);
criterion_main!(benches);
