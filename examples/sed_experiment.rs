//! Reports experiment (b) of docs/learning.md: selfish learners on the commons under SED's
//! taxes — no tax, fixed rates, a learned principal — compared by their learning curves and by
//! their trained policies played on fresh evaluation seeds.
//!
//! `cargo run --release --example sed_experiment -- FIGURE_PREFIX LABEL=DIR,DIR,... ...`
//!
//! Each `LABEL=DIRS` is one condition: the training folders of its training seeds (`polity
//! train … --out DIR`). Writes `FIGURE_PREFIX-return.png` (the learners' mean return per update)
//! and `FIGURE_PREFIX-patches.png` (patches alive at the episode's end per update), one line per
//! condition with its 95% band over training seeds, and prints a Markdown table: per condition
//! the mean over training seeds (each the mean of 10 evaluation episodes on fresh seeds, the
//! trained learners and, where one was trained, the trained principal playing) of apples picked,
//! patches alive, Gini, mean and least wealth, and the mean tax rate in force, ± 95% intervals;
//! then Welch tests of every condition against the first.

use polity::learn::folder::Row;
use polity::paint::chart::{self, Series};
use polity::scenario;
use polity::sim::Sim;
use polity::stats::{Summary, welch};
use polity::tax::TaxState;

const MEASURES: [&str; 6] = ["apples picked", "patches alive", "Gini", "mean wealth", "least wealth", "mean rate"];

/// One evaluation episode of the trained folder `dir` on `seed`.
fn episode(dir: &str, seed: u64) -> [f64; 6] {
    let mut s = scenario::load(&format!("{dir}/scenario.ron")).expect("the trained scenario");
    let file = format!("{dir}/policies/learners.safetensors");
    polity::learn::play_file(&mut s, "learners", &file, &format!("--policy learners={file}")).unwrap();
    let principal = format!("{dir}/policies/principal.safetensors");
    if std::path::Path::new(&principal).exists() {
        polity::learn::play_file(&mut s, "principal", &principal, &format!("--policy principal={principal}")).unwrap();
    }
    let ticks = s.learning.episode(s.run.ticks);
    let mut sim = Sim::new(&s, seed, ticks);
    let mut rate = 0.0;
    for _ in 0..ticks {
        sim.step();
        let rates = sim.core().parts.get::<TaxState>().map_or(vec![0.0], |t| t.rates());
        rate += rates.iter().sum::<f64>() / rates.len() as f64 / ticks as f64;
    }
    let m = sim.core();
    let e = polity::learn::train::episode_metrics(std::slice::from_ref(m));
    let least = m.wealth().into_iter().fold(f64::INFINITY, f64::min);
    [e.apples_picked, e.patches_alive, e.gini, e.welfare_mean, least, rate]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let prefix = &args[0];
    let conditions: Vec<(String, Vec<String>)> = args[1..]
        .iter()
        .map(|a| {
            let (label, dirs) = a.rsplit_once('=').expect("LABEL=DIR,DIR,...");
            (label.to_string(), dirs.split(',').map(String::from).collect())
        })
        .collect();
    // Learning curves: the learners' group, per condition.
    let curve = |dirs: &[String], f: fn(&Row) -> f64| -> Vec<(f64, f64, f64)> {
        let runs: Vec<Vec<Row>> = dirs
            .iter()
            .map(|d| {
                let mut r = csv::Reader::from_path(format!("{d}/learning.csv")).expect("a learning.csv");
                r.deserialize::<Row>().map(|x| x.unwrap()).filter(|x| x.group == "learners").collect()
            })
            .collect();
        let updates = runs.iter().map(|c| c.len()).min().unwrap_or(0);
        (0..updates)
            .map(|u| {
                let s = Summary::of(&runs.iter().map(|c| f(&c[u])).collect::<Vec<_>>());
                (runs[0][u].update as f64, s.mean, if s.half_width.is_nan() { 0.0 } else { s.half_width })
            })
            .collect()
    };
    let seeds = conditions.iter().map(|(_, d)| d.len()).min().unwrap_or(0);
    let sub = format!("mean and 95% interval over {seeds} training seeds");
    for (what, f, file) in [
        ("learners' mean return per episode", (|r: &Row| r.mean_return) as fn(&Row) -> f64, "return"),
        ("patches alive at the episode's end", |r: &Row| r.patches_alive, "patches"),
    ] {
        let series: Vec<Series> =
            conditions.iter().map(|(label, dirs)| Series { label: label.clone(), points: curve(dirs, f) }).collect();
        let plot =
            chart::lines(what, &format!("learners under SED taxes; {sub}"), "update", &series).expect("finite values");
        let mut png = Vec::new();
        polity::record::encode::encode_png(&mut png, &plot, &mut Vec::new()).unwrap();
        std::fs::write(format!("{prefix}-{file}.png"), png).unwrap();
    }
    // Evaluation on fresh seeds.
    let results: Vec<(String, Vec<[f64; 6]>)> = conditions
        .iter()
        .map(|(label, dirs)| {
            let per_seed = dirs
                .iter()
                .enumerate()
                .map(|(k, d)| {
                    let eps: Vec<[f64; 6]> = (0..10).map(|e| episode(d, 10_000 + 100 * k as u64 + e)).collect();
                    std::array::from_fn(|i| eps.iter().map(|x| x[i]).sum::<f64>() / eps.len() as f64)
                })
                .collect();
            (label.clone(), per_seed)
        })
        .collect();
    println!("| condition | {} |", MEASURES.join(" | "));
    println!("|---|{}", "---|".repeat(MEASURES.len()));
    for (name, v) in &results {
        let cell = |i: usize| {
            let s = Summary::of(&v.iter().map(|x| x[i]).collect::<Vec<_>>());
            format!("{:.2} ± {:.2}", s.mean, s.half_width)
        };
        println!("| {name} | {} |", (0..MEASURES.len()).map(cell).collect::<Vec<_>>().join(" | "));
    }
    for other in &results[1..] {
        for (i, m) in MEASURES.iter().enumerate() {
            let a: Vec<f64> = other.1.iter().map(|x| x[i]).collect();
            let b: Vec<f64> = results[0].1.iter().map(|x| x[i]).collect();
            let w = welch(&a, &b);
            println!("{} vs {}: {m}: t = {:.2}, Welch p = {:.2e}", other.0, results[0].0, w.t, w.p_two_sided);
        }
    }
}
