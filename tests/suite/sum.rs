//! SUM measures in a running world: power used, alignment, harm against AI inaction.

use polity::agents::{Ai, Selfishness};
use polity::metrics::MetricsLog;
use polity::scenario;
use polity::sim::Sim;

#[test]
fn power_used_alignment_and_harm_in_the_commons() {
    let mut s = scenario::builtin("commons").unwrap().scenario().unwrap();
    s.sum.harm = true;
    let mut sim = Sim::new(&s, 4, 300);
    let mut rows = sim.world_mut().resource_mut::<MetricsLog>().drain();
    for _ in 0..300 {
        sim.step();
        rows.extend(sim.world_mut().resource_mut::<MetricsLog>().drain());
    }
    let cols: Vec<String> = sim.world().resource::<MetricsLog>().columns().iter().map(|c| c.to_string()).collect();
    let k = |name: &str| cols.iter().position(|c| c == name).unwrap_or_else(|| panic!("no {name} in {cols:?}"));
    // Nobody spends more than their power; the AIs (power 3 ≥ ln 5) spend at most ln 5.
    for (_, r) in &rows {
        assert!(r[k("power_used_human")] <= 1.0 + 1e-9);
        assert!(r[k("power_used_ai")] <= 5f64.ln() + 1e-9);
    }
    assert!(rows.iter().any(|(_, r)| r[k("power_used_ai")] > 1.0), "greedy AIs spend real power");
    // Alignment: AIs (σ = 1) care only for their own apples, u = (1, 0); the humans' mean
    // vector is (mean σ, mean (1 − σ)); the cosine is mean σ / |(mean σ, 1 − mean σ)|.
    let w = sim.world_mut();
    let sigmas: Vec<f64> =
        w.query_filtered::<&Selfishness, bevy::prelude::Without<Ai>>().iter(w).map(|s| s.0).collect();
    let m = sigmas.iter().sum::<f64>() / sigmas.len() as f64;
    let want = m / (m * m + (1.0 - m) * (1.0 - m)).sqrt();
    assert!((rows[0].1[k("alignment")] - want).abs() < 1e-12);
    // Harm: none at the start; the greedy harvesters leave the humans poorer than a world
    // where the AIs did nothing.
    assert_eq!(rows[0].1[k("harm")], 0.0);
    assert!(rows.last().unwrap().1[k("harm")] > 0.0, "harm {}", rows.last().unwrap().1[k("harm")]);
    // Harm by a second route: the same seed with the AIs scripted to stay put, run as a world
    // of its own. Tick by tick, harm is the humans' mean wealth there less their mean here.
    let mut idle = s.clone();
    idle.sum.harm = false;
    for g in idle.agents.iter_mut().filter(|g| g.kind == polity::scenario::Kind::Ai) {
        g.policy = polity::scenario::PolicySpec::Script(String::new());
    }
    let human_mean = |sim: &mut Sim| {
        let w = sim.world_mut();
        let wealth: Vec<f64> = w
            .query_filtered::<&polity::agents::Ledger, bevy::prelude::Without<Ai>>()
            .iter(w)
            .map(|l| l.balance as f64 / 1000.0)
            .collect();
        wealth.iter().sum::<f64>() / wealth.len() as f64
    };
    let mut real = Sim::new(&s, 4, 300);
    let mut still = Sim::new(&idle, 4, 300);
    let mut positive = 0;
    for t in 1..=300 {
        real.step();
        still.step();
        let want = human_mean(&mut still) - human_mean(&mut real);
        let got = rows[t].1[k("harm")];
        assert_eq!(rows[t].0, t as u64);
        assert!((got - want).abs() < 1e-9, "tick {t}: harm {got}, by the idle world {want}");
        positive += (want > 0.0) as u32;
    }
    assert!(positive > 0);
}

#[test]
fn no_ai_no_sum_columns() {
    let s = scenario::builtin("tragedy").unwrap().scenario().unwrap();
    let sim = Sim::new(&s, 0, 1);
    assert!(!sim.world().resource::<MetricsLog>().columns().iter().any(|c| c == "alignment"));
}

#[test]
fn polity_sum_writes_both_tables() {
    let t = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["sum", "--dims", "4,8,16", "--powers", "1,4", "--angles", "0,60", "--out"])
        .arg(t.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cost = std::fs::read_to_string(t.path().join("alignment_cost.csv")).unwrap();
    let kl: Vec<f64> = cost.lines().skip(1).map(|l| l.split(',').nth(2).unwrap().parse().unwrap()).collect();
    assert_eq!(kl.len(), 3);
    assert!(kl[1] > 1.9 * kl[0] && kl[2] > 1.9 * kl[1], "{kl:?}");
    let gain = std::fs::read_to_string(t.path().join("gain.csv")).unwrap();
    let rows: Vec<Vec<f64>> =
        gain.lines().skip(1).map(|l| l.split(',').map(|x| x.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), 4);
    // power 4 at 60°: √8 · 0.5.
    assert!((rows[3][3] - 8f64.sqrt() * 0.5).abs() < 1e-12);
    let bad =
        std::process::Command::new(env!("CARGO_BIN_EXE_polity")).args(["sum", "--alignment", "1.5"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
