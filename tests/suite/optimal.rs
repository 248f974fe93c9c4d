//! `polity optimal`: the small governance world solved exactly, and the PAA planner judged
//! against its optimum (src/optimal.rs, docs/planner.md).

use std::sync::Arc;

use polity::model::WorldModel;
use polity::optimal::{self, Budget, Spec, Table, Template};
use polity::scenario::{self, Scenario};

fn builtin(name: &str) -> Scenario {
    scenario::builtin(name).unwrap().scenario().unwrap_or_else(|p| panic!("{p}"))
}

fn solved(s: &Scenario) -> (Template, Arc<Table>) {
    let t = Template::new(s, false).unwrap();
    let table = Table::build(&t, &[t.start()], &Spec::default(), &mut |_, _| {}).unwrap();
    (t, Arc::new(table))
}

fn period(m: &mut WorldModel, rates: &[f64], ticks: u64) {
    let tax = m.parts.get_mut::<polity::tax::TaxState>().unwrap();
    polity::principal::apply(tax, rates);
    for _ in 0..ticks {
        m.step();
    }
}

/// The state is all the running world's next period depends on: a world rebuilt from the state
/// alone, at the same tick and seed, runs the period exactly as the world itself does.
#[test]
fn the_state_is_all_a_running_world_depends_on() {
    let s = builtin("paa-optimal");
    let t = Template::new(&s, false).unwrap();
    let mechanisms = polity::sim::Sim::mechanisms();
    for seed in 0..4 {
        let mut world = polity::sim::Sim::model_of(&s, seed, &mechanisms).imagine();
        world.parts.remove::<polity::principal::Principal>();
        for k in 0..30 {
            let rates = &t.actions[(k * 7 + seed as usize) % t.actions.len()];
            let state = t.state(&world);
            let mut rebuilt = t.world(&state, world.clock);
            assert_eq!(t.state(&rebuilt), state);
            period(&mut world, rates, t.period);
            period(&mut rebuilt, rates, t.period);
            assert_eq!(t.state(&rebuilt), t.state(&world), "seed {seed}, period {k}");
            let net = |m: &WorldModel| m.parts.get::<polity::tax::TaxState>().unwrap().last_net.clone();
            assert_eq!(net(&rebuilt), net(&world), "seed {seed}, period {k}");
        }
    }
}

/// Sparse sampling on the table is sparse sampling on the world model: the same samples, the
/// same estimates, to the bit.
#[test]
fn the_table_is_the_engine_looked_up() {
    let s = builtin("paa-optimal");
    let (t, table) = solved(&s);
    assert!(table.states.len() > 100, "{} states", table.states.len());
    for (width, depth, seed) in [(3, 1, 0), (2, 2, 5)] {
        let on_table = polity::planner::q_values(
            &optimal::TableMdp { table: table.clone(), state: 0 },
            0.9,
            width,
            depth,
            seed,
            1,
        );
        let on_world =
            optimal::with_luck(table.n, || polity::planner::q_values(&t.mdp(&t.start()), 0.9, width, depth, seed, 1));
        assert_eq!(on_table, on_world);
    }
}

/// At a budget that certifies ε (the built-in's own, γ = 0.05), the planner's policy is within ε
/// of the optimum, and its first estimates within ε of Q*, for at least 1 − δ of the seeds; and
/// the test is not empty: the worst schedule is further than ε from the best.
#[test]
fn a_certified_budget_is_within_its_epsilon_at_the_promised_rate() {
    let s = builtin("paa-optimal");
    let spec = s.principal.as_ref().unwrap().planner.clone();
    let (t, table) = solved(&s);
    let (width, depth, g) = polity::paa::plan_shape(&spec, t.actions.len(), t.r_max);
    let eps = g.epsilon.expect("the built-in's budget certifies something");
    let v_star = table.optimal_values(spec.gamma);
    let q: Vec<f64> = (0..t.actions.len()).map(|a| table.q(&v_star, spec.gamma, 0, a)).collect();
    let worst = q.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(v_star[0] - worst > eps, "every schedule is within ε = {eps} of V* = {}: {q:?}", v_star[0]);
    let seeds: Vec<u64> = (0..40).collect();
    let judged = optimal::judge(&table, &v_star, &table, Budget { width, depth, gamma: spec.gamma }, &seeds);
    assert!(judged.within(eps) >= 1.0 - spec.delta, "{:?}", judged.regrets());
    let close = judged.first_error.iter().filter(|&&e| e <= eps).count() as f64 / seeds.len() as f64;
    assert!(close >= 1.0 - spec.delta, "{:?}", judged.first_error);
}

/// At γ = 0.9 (nothing certified), the regret shrinks as the width grows: a width of 1 loses
/// value on some seeds, a width of 16 on (almost) none.
#[test]
fn the_regret_shrinks_as_the_width_grows() {
    let s = builtin("paa-optimal");
    let (_, table) = solved(&s);
    let v_star = table.optimal_values(0.9);
    let seeds: Vec<u64> = (0..12).collect();
    let regret = |width| {
        let j = optimal::judge(&table, &v_star, &table, Budget { width, depth: 1, gamma: 0.9 }, &seeds);
        polity::stats::Summary::of(&j.regrets())
    };
    let (narrow, wide) = (regret(1), regret(16));
    assert!(narrow.mean > 0.0 && wide.mean < narrow.mean, "C=1: {narrow:?}, C=16: {wide:?}");
    assert!(narrow.mean - narrow.half_width > wide.mean + wide.half_width, "C=1: {narrow:?}, C=16: {wide:?}");
}

fn polity(args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_polity")).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn polity_optimal_prints_the_optimum_and_writes_its_table_and_plots() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let o = out.to_str().unwrap();
    let (code, stdout, stderr) =
        polity(&["optimal", "paa-optimal", "--gamma", "0.5", "--widths", "1,4", "--seeds", "3", "--out", o]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("states reachable from the start") && stdout.contains("← optimal"), "{stdout}");
    let (_, table) = solved(&builtin("paa-optimal"));
    let v = table.optimal_values(0.5)[0];
    assert!(stdout.contains(&format!("V*(s₀) = {v:.6} at γ = 0.5")), "{stdout}");
    let csv = std::fs::read_to_string(out.join("optimal.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    for png in ["optimal-width.png", "optimal-kappa.png"] {
        assert!(std::fs::read(out.join(png)).unwrap().starts_with(b"\x89PNG"));
    }
    // Outputs are not replaced without --force, and nothing is computed.
    let (code, _, stderr) = polity(&["optimal", "paa-optimal", "--seeds", "3", "--out", o]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
}

#[test]
fn worlds_with_more_state_are_refused_with_the_reason() {
    let (code, _, stderr) = polity(&["optimal", "paa-governor"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("Fixed(p)") || stderr.contains("voting"), "{stderr}");
    let (code, _, stderr) = polity(&["optimal", "commons"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no principal"), "{stderr}");
    let (code, _, stderr) = polity(&["optimal", "paa-optimal", "--max-states", "10"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("more than 10 states"), "{stderr}");
    let (code, _, stderr) = polity(&["optimal", "paa-optimal", "--gamma", "1", "--seeds", "1"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--gamma") && stderr.contains("--seeds"), "{stderr}");
}

#[test]
fn lucks_past_what_the_table_can_hold_are_refused_before_any_work() {
    // `--luck 4294967295` aborted allocating 275 GB (a new-user tour, 2026-12-07).
    let (code, _, err) = polity(&["optimal", "--luck", "4294967295"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--luck 4294967295: give 1 to 4096"), "{err}");
    let (code, _, err) = polity(&["optimal", "--luck", "4096", "--max-states", "1000000000000"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("the table of transitions may need up to") && err.contains("hint: lower --max-states"),
        "{err}"
    );
    // A budget whose trees take years is refused before it starts (it ran behind a bar at 0).
    let (code, _, err) = polity(&["optimal", "--widths", "1000", "--depths", "5"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("the budget C = 1000, H = 5 samples about 10^") && err.contains("--force"), "{err}");
}
