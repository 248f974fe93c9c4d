//! Times each step of a scenario's world model, for finding where a tick goes:
//! `cargo run --release --example phase_times -- SCENARIO [TICKS] [SKIP]` (a built-in name or a
//! file) steps TICKS ticks after SKIP untimed ones and prints each step's mean time a tick, and
//! the apples and regrowth candidates at the end, and the apples picked and regrown a tick.

use polity::model::Step;

fn main() {
    // On a pool thread, as `polity run` steps its world.
    polity::parallel::on_pool(run);
}

fn run() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "commons-large".into());
    let ticks: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    let skip: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let s = polity::scenario::load(&name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let mut sim = polity::sim::Sim::new(&s, 0, ticks + skip);
    let mut m = sim.model();
    for _ in 0..skip {
        m.step();
    }
    let mut spent = [0f64; Step::ALL.len()];
    let (mut picked, mut regrown) = (0u64, 0u64);
    let agents = m.agents.len();
    for _ in 0..ticks {
        // As `WorldModel::step` steps a tick: a big world's with the pool's threads awake.
        polity::parallel::tick(agents, || {
            for (k, &step) in Step::ALL.iter().enumerate() {
                let t = std::time::Instant::now();
                m.run(step, step);
                spent[k] += t.elapsed().as_secs_f64();
            }
        });
        picked += m.stats.harvested as u64;
        regrown += m.stats.regrown as u64;
    }
    let total: f64 = spent.iter().sum();
    for (k, step) in Step::ALL.iter().enumerate() {
        if spent[k] > 0.0 {
            println!("{:>10}: {:7.3} ms a tick", format!("{step:?}"), spent[k] / ticks as f64 * 1e3);
        }
    }
    println!("{:>10}: {:7.3} ms a tick; state hash {:016x}", "all", total / ticks as f64 * 1e3, m.state_hash());
    let candidates: u64 = m.grid.candidates_by_neighbours().iter().sum();
    println!("apples {}, regrowth candidates {candidates}, grass cells {}", m.grid.apples(), m.grid.grass_cells());
    let per_tick = |n: u64| n as f64 / ticks as f64;
    println!("a tick: {:.0} apples picked, {:.0} regrown", per_tick(picked), per_tick(regrown));
}
