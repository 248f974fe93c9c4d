//! The PAA principal and the shield in running worlds.

use polity::metrics::{EventLog, MetricsLog};
use polity::scenario::{self, Scenario};
use polity::sim::Sim;

fn builtin(name: &str) -> Scenario {
    scenario::builtin(name).unwrap().scenario().unwrap_or_else(|p| panic!("{p}"))
}

fn run(s: &Scenario, seed: u64, ticks: u64) -> (Sim, Vec<polity::metrics::SimEvent>) {
    let mut sim = Sim::new(s, seed, ticks);
    let mut events = Vec::new();
    for _ in 0..ticks {
        sim.step();
        events.extend(sim.world_mut().resource_mut::<EventLog>().drain());
    }
    (sim, events)
}

#[test]
fn paa_decisions_pick_the_best_estimate_and_state_their_guarantee() {
    let s = builtin("paa-governor");
    let (sim, events) = run(&s, 1, 100);
    let decisions: Vec<_> = events.iter().filter(|e| e.kind() == "paa_decision").collect();
    assert_eq!(decisions.iter().map(|e| e.tick).collect::<Vec<_>>(), vec![25, 50, 75, 100]);
    for d in &decisions {
        let q: Vec<f64> = d.details()["q"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let details = d.details();
        let candidates = details["candidates"].as_array().unwrap();
        assert_eq!(q.len(), candidates.len());
        assert_eq!(q.len(), 7, "keep + one step up or down in each of 3 brackets");
        let best = polity::planner::argmax(&q);
        assert_eq!(d.details()["chosen"], candidates[best]);
        let g = &d.details()["guarantee"];
        assert_eq!((g["width"].as_u64(), g["depth"].as_u64(), g["r_max"].as_f64()), (Some(2), Some(2), Some(25.0)));
        assert!(g["epsilon"].is_null(), "a width-2 budget guarantees nothing useful, and says so");
    }
    // The rates in force after the last decision are the chosen ones.
    let last: Vec<f64> =
        decisions.last().unwrap().details()["chosen"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(sim.part::<polity::tax::TaxState>().unwrap().rates(), last);
}

#[test]
fn a_paa_run_is_the_same_on_one_thread_and_many() {
    let mut one = builtin("paa-governor");
    one.principal.as_mut().unwrap().planner.threads = 1;
    let mut many = one.clone();
    many.principal.as_mut().unwrap().planner.threads = 4;
    let (mut a, _) = run(&one, 3, 75);
    let (mut b, _) = run(&many, 3, 75);
    assert_eq!(a.state_hash(), b.state_hash());
}

#[test]
fn the_shield_replaces_ruinous_rates_and_counts_what_it_protected() {
    let s = builtin("shielded-revenue-max");
    let (sim, events) = run(&s, 2, 100);
    let interventions: Vec<_> = events.iter().filter(|e| e.kind() == "shield_intervention").collect();
    assert!(!interventions.is_empty());
    for e in &interventions {
        assert_eq!(e.details()["proposed"], serde_json::json!([1.0, 1.0, 1.0]));
        assert!(e.details()["q_replacement"].as_f64().unwrap() > e.details()["q_proposed"].as_f64().unwrap());
    }
    let log = sim.world().resource::<MetricsLog>();
    let col = |name: &str| log.columns().iter().position(|c| c == name).unwrap();
    let row = &log.last().unwrap().1;
    assert_eq!(row[col("shield_interventions")], interventions.len() as f64);
    let protected: f64 = interventions
        .iter()
        .map(|e| e.details()["q_replacement"].as_f64().unwrap() - e.details()["q_proposed"].as_f64().unwrap())
        .sum();
    assert!((row[col("shield_protected")] - protected).abs() < 1e-9);
    // The rates never reach the revenue maximiser's ruinous 1.0 everywhere.
    assert!(row[col("rate_0")] < 1.0);
}

#[test]
fn shielded_revenue_max_keeps_welfare_and_the_commons() {
    // Four seeds, 300 ticks: the unshielded maximiser starves its citizens; behind the shield
    // they keep harvesting and most patches live.
    let (shielded, bare) = (builtin("shielded-revenue-max"), builtin("revenue-max"));
    let final_of = |s: &Scenario, seed: u64, name: &str| {
        let (sim, _) = run(s, seed, 300);
        let log = sim.world().resource::<MetricsLog>();
        log.last().unwrap().1[log.columns().iter().position(|c| c == name).unwrap()]
    };
    let (mut w_shielded, mut w_bare, mut alive) = (0.0, 0.0, 0.0);
    for seed in 0..4 {
        w_shielded += final_of(&shielded, seed, "welfare_mean");
        w_bare += final_of(&bare, seed, "welfare_mean");
        alive += final_of(&shielded, seed, "patches_alive");
    }
    assert!(w_shielded > 2.0 * w_bare, "mean welfare: shielded {w_shielded}, unshielded {w_bare}");
    assert!(alive / 4.0 >= 3.0, "patches alive behind the shield: {}", alive / 4.0);
}

#[test]
fn an_agent_shield_keeps_a_random_walker_to_its_best_moves() {
    // A power-0 AI walks at random; behind a zero-margin shield every move it makes must be one
    // the planner scores best, so each intervention replaces a worse move by a best one.
    let mut s = builtin("commons");
    s.agents[1].power = polity::scenario::Dist::Fixed(0.0);
    // Start the AIs beside apples, where the best move is to take one.
    s.agents[1].spawn = polity::scenario::SpawnRule::At(vec![(4, 1), (7, 1)]);
    s.agents[1].shield =
        Some(polity::scenario::AgentShieldSpec { margin: 0.0, width: 1, depth: 2, p: 1.0, ..Default::default() });
    let (sim, events) = run(&s, 0, 20);
    let interventions: Vec<_> = events.iter().filter(|e| e.kind() == "shield_intervention").collect();
    assert!(interventions.len() >= 2, "a random walker beside apples is corrected: {}", interventions.len());
    for e in &interventions {
        assert!(e.details()["q_replacement"].as_f64().unwrap() > e.details()["q_proposed"].as_f64().unwrap());
        let q: Vec<f64> = e.details()["q"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let best = q.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(e.details()["q_replacement"].as_f64().unwrap(), best);
        assert!(e.subject == "agent:5" || e.subject == "agent:6");
    }
    let log = sim.world().resource::<MetricsLog>();
    let k = log.columns().iter().position(|c| c == "shield_interventions").unwrap();
    assert_eq!(log.last().unwrap().1[k], interventions.len() as f64);
}

#[test]
fn a_time_limited_paa_runs_the_widest_plan_that_fits_and_says_which() {
    use polity::scenario::PlannerBudget;
    // A whole minute per decision and a cap of 3: every decision reaches width 3 and chooses
    // exactly what `Budget(width: 3)` chooses; each event records the width and the time.
    let mut timed = builtin("paa-governor");
    timed.principal.as_mut().unwrap().planner.budget =
        PlannerBudget::TimeLimit { seconds: 60.0, depth: 2, max_width: 3 };
    let mut fixed = timed.clone();
    fixed.principal.as_mut().unwrap().planner.budget = PlannerBudget::Budget { width: 3, depth: 2 };
    let (mut a, events_a) = run(&timed, 4, 50);
    let (mut b, events_b) = run(&fixed, 4, 50);
    assert_eq!(a.state_hash(), b.state_hash());
    let decisions = |ev: &[polity::metrics::SimEvent]| {
        ev.iter().filter(|e| e.kind() == "paa_decision").map(|e| e.details().clone()).collect::<Vec<_>>()
    };
    let (da, db) = (decisions(&events_a), decisions(&events_b));
    assert_eq!(da.len(), 2);
    for (x, y) in da.iter().zip(&db) {
        assert_eq!((&x["q"], &x["chosen"]), (&y["q"], &y["chosen"]));
        let g = &x["guarantee"];
        assert_eq!((g["width"].as_u64(), g["time_limit_s"].as_f64()), (Some(3), Some(60.0)));
        assert!(g["elapsed_s"].as_f64().unwrap() < 60.0);
        assert!(y["guarantee"].get("elapsed_s").is_none(), "fixed budgets keep events reproducible");
    }
    // No time at all: width 1, every decision.
    let mut hasty = timed.clone();
    hasty.principal.as_mut().unwrap().planner.budget =
        PlannerBudget::TimeLimit { seconds: 1e-9, depth: 2, max_width: 8 };
    let (_, events_c) = run(&hasty, 4, 50);
    for d in decisions(&events_c) {
        assert_eq!(d["guarantee"]["width"].as_u64(), Some(1));
    }
    // An absurdly long limit is no panic: the cap decides.
    let mut patient = timed.clone();
    patient.principal.as_mut().unwrap().planner.budget =
        PlannerBudget::TimeLimit { seconds: 1e300, depth: 1, max_width: 2 };
    let (_, events_d) = run(&patient, 4, 25);
    assert_eq!(decisions(&events_d)[0]["guarantee"]["width"].as_u64(), Some(2));
    // run.json states the width that always runs.
    let g = polity::run::planner_guarantee(&timed).unwrap();
    assert_eq!((g.width, g.time_limit_s), (1, Some(60.0)));
}

#[test]
fn paa_governor_beats_hill_climbing_and_fixed_rates_on_the_elected_welfare() {
    // `polity compare paa-governor <the same with HillClimb | Fixed> --seeds 0..20`, as a test:
    // over 20 seeds of 1000 ticks the planner's principal gathers more of its objective (the
    // welfare its citizens elected, of each period's net incomes, summed over the periods),
    // and Welch's test says the difference is no accident (p < 0.05).
    use polity::scenario::PrincipalPolicy;
    let paa = builtin("paa-governor");
    let seeds: Vec<u64> = (0..20).collect();
    for other in [PrincipalPolicy::HillClimb, PrincipalPolicy::Fixed] {
        let mut b = paa.clone();
        b.principal.as_mut().unwrap().policy = other.clone();
        let c = polity::compare::compare(&paa, &b, &seeds, None, |_, _| {}).unwrap();
        let row = c.rows.iter().find(|r| r.metric == "principal_return").unwrap();
        assert!(
            row.a.mean > row.b.mean && row.test.p_two_sided < 0.05,
            "{other:?}: PAA {:.2} vs {:.2}, p = {:.3}",
            row.a.mean,
            row.b.mean,
            row.test.p_two_sided
        );
    }
}

// ---- Model error as a divergence, and the certified safe set (issue 15 items 1–2) ----------

#[test]
fn kappa_of_a_hand_built_state_is_the_closed_form() {
    use polity::rules::divergence::{bernoulli_kl, flip_kl};
    // One eaten grass cell between two apples: 2 live neighbours (regrowth 0.005); 3 grass cells.
    let src = r#"(version: 1, name: "k", map: Ascii(rows: ["WWWWW", "WAGAW", "WP  W", "WWWWW"],
        legend: { 'G': Grass }), agents: [(name: "a", count: 1, policy: RandomWalk)],
        run: (ticks: 5, seed: 0))"#;
    let s = scenario::parse(src, "k.ron", "k").unwrap_or_else(|p| panic!("{p}"));
    let m = Sim::model_of(&s, 0, &Sim::mechanisms());
    assert_eq!(m.grid.candidates_by_neighbours()[2], 1);
    let error = polity::scenario::ModelError { regrowth: 0.5, observation: 0.1, ..Default::default() };
    let (kappa, bound) = polity::paa::divergence(&m, &error, 10);
    let tick = bernoulli_kl(0.005, 0.0075) + flip_kl(3, 0.1);
    assert!((kappa.unwrap() - 10.0 * tick).abs() < 1e-12, "{kappa:?} vs {}", 10.0 * tick);
    // The bound: all 3 grass cells candidates at the worst count (3+: 0.025 → 0.0375).
    let worst = 10.0 * (3.0 * bernoulli_kl(0.025, 0.0375) + flip_kl(3, 0.1));
    assert!((bound.unwrap() - worst).abs() < 1e-12);
    // An exact model: no divergence at all, and the old guarantee.
    assert_eq!(polity::paa::divergence(&m, &Default::default(), 10), (None, None));
    // Noisy σ: an estimate at the root, no bound; positive, since the agents' moves change.
    let noisy = polity::scenario::ModelError { selfishness: 0.3, ..Default::default() };
    let (k, b) = polity::paa::divergence(&m, &noisy, 10);
    assert!(k.unwrap() >= 0.0 && b.is_none());
}

#[test]
fn the_guarantee_adds_the_model_term_and_decisions_report_both() {
    let mut s = builtin("paa-governor");
    s.principal.as_mut().unwrap().planner.model_error.regrowth = 0.2;
    let (_, events) = run(&s, 1, 25);
    let d = events.iter().find(|e| e.kind() == "paa_decision").unwrap().details();
    let g = &d["guarantee"];
    let (kappa, bound, term) =
        (g["kappa"].as_f64().unwrap(), g["kappa_bound"].as_f64().unwrap(), g["model_term"].as_f64().unwrap());
    assert!(kappa > 0.0 && kappa <= bound, "root κ {kappa} within the bound {bound}");
    let (r_max, gamma) = (g["r_max"].as_f64().unwrap(), g["gamma"].as_f64().unwrap());
    let want = polity::rules::sparse_sampling::model_term(r_max, gamma, bound);
    assert!((term - want).abs() < 1e-9 * want.max(1.0));
    // run.json's statement (from the scenario alone) carries the same bound.
    let stated = polity::run::planner_guarantee(&s).unwrap();
    assert!((stated.kappa_bound.unwrap() - bound).abs() < 1e-9 * bound);
    // The built-in's budget certifies no sampling ε, so there is no total.
    assert!(g.get("epsilon_total").is_none());
}

#[test]
fn a_certified_shield_with_nothing_certified_lets_the_best_through_and_says_so() {
    let mut s = builtin("shielded-revenue-max");
    s.principal.as_mut().unwrap().shield.as_mut().unwrap().certified = Some(0.0);
    let s = scenario::check_typed(s, "test").unwrap_or_else(|p| panic!("{p}"));
    let (_, events) = run(&s, 0, 50);
    let none: Vec<_> = events.iter().filter(|e| e.kind() == "no_certified_action").collect();
    assert_eq!(none.iter().map(|e| e.tick).collect::<Vec<_>>(), vec![25, 50], "one per period end");
    for e in &none {
        let d = e.details();
        assert!(d["beta"].is_null(), "the built-in budget certifies nothing: {d}");
        // What went through is the schedule of highest Q̂.
        let q: Vec<f64> = d["q"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let best = q.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let shield = events.iter().find(|x| x.tick == e.tick && x.kind() == "shield_intervention");
        if let Some(sh) = shield {
            assert_eq!(sh.details()["q_replacement"].as_f64().unwrap(), best);
        }
    }
    // A bad ω is refused with its path.
    let mut bad = builtin("shielded-revenue-max");
    bad.principal.as_mut().unwrap().shield.as_mut().unwrap().certified = Some(f64::NAN);
    let err = scenario::check_typed(bad, "test").unwrap_err().to_string();
    assert!(err.contains("principal.shield.certified"), "{err}");
}

/// κ is the largest met along the planner's rollouts, not the root's alone: on `paa-optimal`
/// at tick 0 every tree stands, so nothing can regrow at the root (its κ is 0), but the
/// imagined periods eat apples and meet cells that may regrow. With width 1 and depth 1 the
/// rollouts are one period per candidate, so κ is the largest of those periods' κ.
#[test]
fn kappa_is_the_largest_met_along_the_rollouts() {
    use polity::paa::{RatesMdp, RolloutKappa};
    use polity::planner::Generative;
    use polity::rng::{Purpose, key};
    use polity::scenario::{Objective, PlannerBudget};
    let mut s = builtin("paa-optimal");
    let spec = {
        let p = &mut s.principal.as_mut().unwrap().planner;
        p.model_error.regrowth = 0.5;
        p.budget = PlannerBudget::Budget { width: 1, depth: 1 };
        p.clone()
    };
    let m = Sim::model_of(&s, 3, &Sim::mechanisms());
    let (root, bound) = polity::paa::divergence(&m, &spec.model_error, 4);
    assert_eq!(root, Some(0.0));
    let (actions, _, g) = polity::paa::estimate(&m, &spec, Objective::Fixed(0.0), None);
    let kappa = g.kappa.unwrap();
    assert!(kappa > 0.0 && kappa <= bound.unwrap(), "{kappa} in (0, {bound:?}]");
    // The same periods, imagined by hand with the planner's first sample key.
    let recorder = RolloutKappa::new(m.grid.probabilities(), 0.5);
    let mdp = RatesMdp {
        model: polity::paa::imagine(&m, &spec),
        candidates: spec.candidates.clone(),
        root_extra: None,
        fixed_p: Some(0.0),
        kappa: Some(recorder.clone()),
        r_max: 4.0,
    };
    let sample = key(key(m.clock.seed, m.clock.tick, 0, Purpose::Planner), 0, 0, Purpose::Planner);
    for a in &actions {
        mdp.clone().step(a, sample);
    }
    assert_eq!(recorder.max(), kappa);
    // The guarantee is the same on any number of threads.
    let mut two = spec.clone();
    two.threads = 2;
    two.budget = PlannerBudget::Budget { width: 3, depth: 2 };
    let mut one = two.clone();
    one.threads = 1;
    let k1 = polity::paa::estimate(&m, &one, Objective::Fixed(0.0), None).2.kappa;
    let k2 = polity::paa::estimate(&m, &two, Objective::Fixed(0.0), None).2.kappa;
    assert_eq!(k1, k2);
    assert!(k1.unwrap() >= kappa);
}
