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
}

#[test]
fn no_ai_no_sum_columns() {
    let s = scenario::builtin("tragedy").unwrap().scenario().unwrap();
    let sim = Sim::new(&s, 0, 1);
    assert!(!sim.world().resource::<MetricsLog>().columns().iter().any(|c| c == "alignment"));
}
