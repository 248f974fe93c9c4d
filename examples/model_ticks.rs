//! Steps the world model of a built-in scenario: `cargo run --release --example model_ticks --
//! commons 1000 20` runs 20 copies of `commons`' model 1000 ticks each, for profilers (e.g.
//! `valgrind --tool=callgrind`, whose instruction counts repeat whatever else the machine does).

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "commons".into());
    let ticks: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let copies: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let s = polity::scenario::builtin(&name).expect("a built-in scenario").scenario().expect("it loads");
    let mut sim = polity::sim::Sim::new(&s, 0, ticks);
    let model = sim.model();
    let mut hash = 0;
    for _ in 0..copies {
        let mut m = model.clone();
        for _ in 0..ticks {
            m.step();
        }
        hash ^= m.state_hash();
    }
    println!("{name}: {copies} × {ticks} model ticks, hash {hash:016x}");
}
