//! What keeping the pool's other threads awake through a big world's tick saves
//! ([`polity::parallel::awake`]): the same world model stepped by `WorldModel::step` (which
//! does) and by running its phase list bare (`run(Observe, Measure)`, which does not), in
//! alternating rounds on fresh copies, the two copies' state hashes held equal.
//! `cargo run --release --no-default-features --example awake_ab -- [SCENARIO] [TICKS] [ROUNDS]`
//! (default `commons-large 20 16`) prints both medians, how many pairs the awake tick won, and
//! the median of the paired differences.

use polity::model::Step;

fn main() {
    // On a pool thread, as `polity run` steps its world.
    polity::parallel::on_pool(run);
}

fn run() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "commons-large".into());
    let ticks: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(16);
    let s = polity::scenario::load(&name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let world = polity::sim::Sim::new(&s, 0, ticks).model();
    let (mut bare, mut awake) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let mut hashes = Vec::new();
        for kept in [false, true] {
            let mut m = world.clone();
            let started = std::time::Instant::now();
            for _ in 0..ticks {
                if kept {
                    m.step();
                } else {
                    m.run(Step::Observe, Step::Measure);
                }
            }
            let ms = started.elapsed().as_secs_f64() / ticks as f64 * 1e3;
            if kept {
                awake.push(ms)
            } else {
                bare.push(ms)
            }
            hashes.push(m.state_hash());
        }
        assert_eq!(hashes[0], hashes[1], "the awake tick changed the world");
    }
    let wins = bare.iter().zip(&awake).filter(|(b, a)| a < b).count();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let saved: Vec<f64> = bare.iter().zip(&awake).map(|(b, a)| b - a).collect();
    println!(
        "{name}, {} threads: bare tick median {:.3} ms, awake {:.3} ms; awake faster in {wins} of {rounds} pairs, median saving {:.3} ms",
        rayon::current_num_threads(),
        median(bare),
        median(awake),
        median(saved)
    );
}
