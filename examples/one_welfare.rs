//! Reports the "One welfare" experiment of docs/planner.md: the `paa-governor` world served by a
//! PAA, a hill-climbing and a fixed-rate principal, each serving the citizens' wealth and SED's
//! reward, compared by the principal's return (`principal_return`: its objective summed over
//! the tax periods) as the run goes.
//!
//! `cargo run --release --example one_welfare -- FIGURE.png [SEEDS]`
//!
//! Runs seeds 0..SEEDS (default 20) of 1000 ticks for each of the six worlds, writes FIGURE.png
//! (two panels side by side: the return against the tick, one line per principal with its 95%
//! band over the seeds) and prints a Markdown table of the final returns with Welch tests of
//! the PAA principal against each other.

use polity::paint::chart::{self, Series};
use polity::scenario::{self, PrincipalPolicy, Utility};
use polity::sim::Sim;
use polity::stats::{Summary, welch};

const TICKS: u64 = 1000;
const EVERY: u64 = 25;

/// The principal's return every `EVERY` ticks of one run.
fn returns(s: &scenario::Scenario, seed: u64) -> Vec<f64> {
    let mut sim = Sim::new(s, seed, TICKS);
    let mut out = Vec::new();
    for t in 1..=TICKS {
        sim.step();
        if t % EVERY == 0 {
            out.push(sim.core().parts.get::<polity::principal::Principal>().expect("a principal").returned);
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let figure = args.first().expect("usage: one_welfare FIGURE.png [SEEDS]");
    let seeds: u64 = args.get(1).map_or(20, |s| s.parse().expect("SEEDS is a number"));
    let base = scenario::builtin("paa-governor").unwrap().scenario().unwrap();
    let policies =
        [("PAA", PrincipalPolicy::Paa), ("HillClimb", PrincipalPolicy::HillClimb), ("Fixed", PrincipalPolicy::Fixed)];
    let mut panels = Vec::new();
    println!("| utility | principal | final `principal_return` (mean ± 95%) | PAA against it (Welch p) |");
    println!("|---|---|---|---|");
    for utility in [Utility::Wealth, Utility::Reward] {
        let mut series = Vec::new();
        let mut finals: Vec<Vec<f64>> = Vec::new();
        for (name, policy) in &policies {
            let mut s = base.clone();
            s.utility = utility;
            s.principal.as_mut().unwrap().policy = policy.clone();
            let runs: Vec<Vec<f64>> = (0..seeds).map(|seed| returns(&s, seed)).collect();
            let points = (0..runs[0].len())
                .map(|k| {
                    let sm = Summary::of(&runs.iter().map(|r| r[k]).collect::<Vec<_>>());
                    (((k as u64 + 1) * EVERY) as f64, sm.mean, sm.half_width)
                })
                .collect();
            series.push(Series { label: name.to_string(), points });
            finals.push(runs.iter().map(|r| *r.last().unwrap()).collect());
        }
        for (k, (name, _)) in policies.iter().enumerate() {
            let sm = Summary::of(&finals[k]);
            let p =
                if k == 0 { "—".to_string() } else { format!("{:.3}", welch(&finals[0], &finals[k]).p_two_sided) };
            println!("| {} | {name} | {:.2} ± {:.2} | {p} |", utility.label(), sm.mean, sm.half_width);
        }
        let title = format!("principal's return, serving {}", utility.label());
        panels.push(
            chart::lines(&title, &format!("paa-governor, seeds 0..{seeds}, 95% bands"), "tick", &series)
                .expect("finite values"),
        );
    }
    // The two panels side by side.
    let (a, b) = (&panels[0], &panels[1]);
    let mut both = polity::paint::Canvas::new(a.width + b.width, a.height.max(b.height), [0, 0, 0, 255]);
    for (dx, p) in [(0, a), (a.width, b)] {
        for y in 0..p.height {
            for x in 0..p.width {
                both.put((x + dx) as i64, y as i64, p.get(x, y));
            }
        }
    }
    let mut png = Vec::new();
    polity::record::encode::encode_png(&mut png, &both, &mut Vec::new()).unwrap();
    std::fs::write(figure, png).unwrap();
    eprintln!("wrote {figure}");
}
