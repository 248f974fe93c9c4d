//! What the ECS adapter costs a tick: `Sim::step` and a drain (the tick a run, the app and the
//! benches step: the phases, then the agents copied out to their components and the metrics
//! row measured) against `WorldModel::step` alone on a copy of the same world, alternated in
//! one process, with the two worlds' state hashes held equal.
//! `cargo run --release --no-default-features --example ecs_cost -- [SCENARIO] [TICKS] [ROUNDS]`
//! (default `commons-large 20 5`) prints each round's milliseconds a tick and the medians.

fn main() {
    // On a pool thread, as `polity run` steps its world.
    polity::parallel::on_pool(run);
}

fn run() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "commons-large".into());
    let ticks: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let rounds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let s = polity::scenario::load(&name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let ms_a_tick = |started: std::time::Instant| started.elapsed().as_secs_f64() / ticks as f64 * 1e3;
    let (mut ecs, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let mut sim = polity::sim::Sim::new(&s, 0, ticks);
        let started = std::time::Instant::now();
        for _ in 0..ticks {
            sim.step();
            sim.drain();
        }
        ecs.push(ms_a_tick(started));
        let mut m = polity::sim::Sim::new(&s, 0, ticks).model();
        let started = std::time::Instant::now();
        for _ in 0..ticks {
            m.step();
        }
        bare.push(ms_a_tick(started));
        assert_eq!(sim.core().state_hash(), m.state_hash(), "the ECS tick and the world model's differ");
    }
    for (label, mut v) in [("Sim::step + drain", ecs), ("WorldModel::step", bare)] {
        let each: Vec<String> = v.iter().map(|x| format!("{x:.3}")).collect();
        v.sort_by(f64::total_cmp);
        println!("{label:>18}: {} ms a tick, median {:.3}", each.join(" "), v[v.len() / 2]);
    }
}
