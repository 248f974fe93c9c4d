//! Reports a learning experiment (docs/learning.md): the learning curves of several trainings
//! of one scenario (one per training seed) as PNG figures, and their trained policies played on
//! fresh evaluation seeds against the same scenario untrained and with the random walk.
//!
//! `cargo run --release --example learning_experiment -- FIGURE_PREFIX GROUP DIR...`
//!
//! writes `FIGURE_PREFIX-return.png` and `FIGURE_PREFIX-patches.png` and prints a Markdown
//! table: per condition, the mean over training seeds (each the mean of 10 evaluation
//! episodes) of apples picked, patches alive, Gini, mean wealth and oversight violations at the
//! episode's end, with 95% intervals, and Welch tests of trained against the others.

use polity::learn::folder::Row;
use polity::paint::chart::{self, Series};
use polity::scenario::{self, PolicySpec, Scenario};
use polity::sim::Sim;
use polity::stats::{Summary, welch};

const MEASURES: [&str; 5] = ["apples picked", "patches alive", "Gini", "mean wealth", "violations"];

/// End-of-episode measures: apples picked, patches alive, Gini, mean wealth, violations of
/// the oversight's rules (0 without oversight).
fn episode(s: &Scenario, seed: u64) -> [f64; 5] {
    let ticks = s.learning.episode(s.run.ticks);
    let mut sim = Sim::new(s, seed, ticks);
    for _ in 0..ticks {
        sim.step();
    }
    let m = sim.core();
    let e = polity::learn::train::episode_metrics(std::slice::from_ref(m));
    [
        e.apples_picked,
        e.patches_alive,
        e.gini,
        e.welfare_mean,
        m.parts.get::<polity::oversight::Oversight>().map_or(0.0, |o| o.violations as f64),
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (prefix, group, dirs) = (&args[0], &args[1], &args[2..]);
    // Learning curves.
    let mut curves: Vec<Vec<Row>> = Vec::new();
    for d in dirs {
        let mut r = csv::Reader::from_path(format!("{d}/learning.csv")).expect("a learning.csv");
        curves.push(r.deserialize::<Row>().map(|x| x.unwrap()).filter(|x| &x.group == group).collect());
    }
    let updates = curves.iter().map(|c| c.len()).min().unwrap_or(0);
    let band = |f: fn(&Row) -> f64| -> Vec<(f64, f64, f64)> {
        (0..updates)
            .map(|u| {
                let s = Summary::of(&curves.iter().map(|c| f(&c[u])).collect::<Vec<_>>());
                (curves[0][u].update as f64, s.mean, if s.half_width.is_nan() { 0.0 } else { s.half_width })
            })
            .collect()
    };
    let s0 = scenario::load(&format!("{}/scenario.ron", dirs[0])).expect("the trained scenario");
    let sub = format!("mean and 95% interval over {} training seeds", dirs.len());
    for (what, f, file) in [
        ("mean return per learner per episode", (|r: &Row| r.mean_return) as fn(&Row) -> f64, "return"),
        ("patches alive at the episode's end", |r: &Row| r.patches_alive, "patches"),
    ] {
        let plot = chart::lines(
            &format!("{}: {what}", s0.name),
            &sub,
            "update",
            &[Series { label: String::new(), points: band(f) }],
        )
        .expect("finite values");
        let mut png = Vec::new();
        polity::record::encode::encode_png(&mut png, &plot, &mut Vec::new()).unwrap();
        std::fs::write(format!("{prefix}-{file}.png"), png).unwrap();
    }
    // Evaluation on fresh seeds.
    let g = s0.agents.iter().position(|a| &a.name == group).expect("the group");
    let mut results: Vec<(&str, Vec<[f64; 5]>)> =
        vec![("trained", vec![]), ("untrained", vec![]), ("random walk", vec![])];
    for (k, d) in dirs.iter().enumerate() {
        let s = scenario::load(&format!("{d}/scenario.ron")).unwrap();
        let mut trained = s.clone();
        let file = format!("{d}/policies/{group}.safetensors");
        polity::learn::play_file(&mut trained, group, &file, &format!("--policy {group}={file}")).unwrap();
        let mut walk = s.clone();
        walk.agents[g].policy = PolicySpec::RandomWalk;
        for (slot, sc) in [&trained, &s, &walk].into_iter().enumerate() {
            let eps: Vec<[f64; 5]> = (0..10).map(|e| episode(sc, 10_000 + 100 * k as u64 + e)).collect();
            let mean = |i: usize| eps.iter().map(|x| x[i]).sum::<f64>() / eps.len() as f64;
            results[slot].1.push(std::array::from_fn(mean));
        }
    }
    println!("| policy | {} |", MEASURES.join(" | "));
    println!("|---|---|---|---|---|---|");
    for (name, v) in &results {
        let cell = |i: usize| {
            let s = Summary::of(&v.iter().map(|x| x[i]).collect::<Vec<_>>());
            format!("{:.2} ± {:.2}", s.mean, s.half_width)
        };
        println!("| {name} | {} |", (0..5).map(cell).collect::<Vec<_>>().join(" | "));
    }
    for other in [1, 2] {
        for (i, m) in MEASURES.iter().enumerate() {
            let a: Vec<f64> = results[0].1.iter().map(|x| x[i]).collect();
            let b: Vec<f64> = results[other].1.iter().map(|x| x[i]).collect();
            let w = welch(&a, &b);
            println!("trained vs {}: {m}: t = {:.2}, Welch p = {:.2e}", results[other].0, w.t, w.p_two_sided);
        }
    }
}
