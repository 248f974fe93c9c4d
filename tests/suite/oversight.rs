//! Oversight in running worlds: audits, detections, 1/P_D fines, and behaviour that responds.

use polity::agents::Ledger;
use polity::metrics::{EventLog, MetricsLog};
use polity::oversight::Oversight;
use polity::scenario::{self, Scenario};
use polity::sim::Sim;

fn audited() -> Scenario {
    scenario::builtin("audited-commons").unwrap().scenario().unwrap_or_else(|p| panic!("{p}"))
}

fn final_metric(s: &Scenario, seed: u64, ticks: u64, name: &str) -> f64 {
    let mut sim = Sim::new(s, seed, ticks);
    (0..ticks).for_each(|_| sim.step());
    let log = sim.world().resource::<MetricsLog>();
    log.last().unwrap().1[log.columns().iter().position(|c| c == name).unwrap()]
}

/// Every apple picked is in someone's wealth, the principal's treasury or the fines.
fn assert_books_balance(sim: &mut Sim) {
    let w = sim.world_mut();
    let ledgers: Vec<Ledger> = w.query::<&Ledger>().iter(w).copied().collect();
    let picked: i64 = ledgers.iter().map(|l| l.picked as i64).sum();
    let wealth: i64 = ledgers.iter().map(|l| l.balance).sum();
    let parts = &polity::sim::core(w).parts;
    let fines = parts.get::<Oversight>().unwrap().fines;
    let treasury = parts.get::<polity::tax::TaxState>().map_or(0, |t| t.treasury);
    assert_eq!(wealth + fines + treasury, 1000 * picked, "wealth, treasury and fines account for every apple");
}

#[test]
fn violations_fall_as_the_expected_penalty_rises() {
    // Same seeds, k·rate rising: with k = 0 nothing deters the greedy AIs from clear-cutting;
    // once B(1 − P_D) − k < 0 they spare the last apples.
    let count = |k: f64, inspect: f64| {
        let mut s = audited();
        let o = s.oversight.as_mut().unwrap();
        (o.k, o.inspect) = (k, inspect);
        (0..4).map(|seed| final_metric(&s, seed, 400, "violations")).sum::<f64>()
    };
    let (none, weak, strong) = (count(0.0, 0.2), count(0.5, 0.2), count(2.0, 0.2));
    assert!(none > weak && weak >= strong, "violations: k=0 {none}, k=0.5 {weak}, k=2 {strong}");
    assert!(none >= 4.0, "without a penalty the AIs clear-cut: {none}");
    // With E[B'] < 0 they no longer choose to; what remains are accidents (another agent takes
    // the second-last apple in the same tick, or an apple regrows under an AI that stays).
    assert!(strong <= none / 3.0, "violations: k=0 {none}, k=2 {strong}");
}

#[test]
fn detected_violations_are_fined_k_over_p_d_plus_the_gain() {
    // k = 0.5, every AI audited (audit_probability 1), each tick inspected with probability
    // 0.2, so P_D = 0.2. By hand: a detected clear-cut (gain B = 1 apple) costs B + k/P_D
    // = 1 + 0.5/0.2 = 3.5 apples = 3,500 milli-apples. E[B'] = 1·0.8 − 0.5 = 0.3 > 0, so the
    // greedy AIs still clear-cut and there is something to detect.
    const FINE: i64 = 3_500;
    let mut s = audited();
    {
        let o = s.oversight.as_mut().unwrap();
        (o.k, o.audit_probability, o.inspect) = (0.5, 1.0, 0.2);
    }
    let mut detections = 0;
    for seed in 0..6 {
        let mut sim = Sim::new(&s, seed, 300);
        // Detections per agent id, counted from the `detection` events.
        let mut caught: std::collections::BTreeMap<u32, i64> = Default::default();
        let mut audits = 0;
        for _ in 0..300 {
            sim.step();
            assert_books_balance(&mut sim);
            for e in sim.world_mut().resource_mut::<EventLog>().drain() {
                match e.kind() {
                    "audit" => {
                        audits += 1;
                        // One penalty per audit: 3.5 apples for each violation it detected.
                        let n = e.details()["detected"].as_u64().unwrap() as f64;
                        assert_eq!(e.details()["penalty"].as_f64().unwrap(), 3.5 * n, "{e:?}");
                        assert_eq!(e.details()["p_d"].as_f64().unwrap(), 0.2);
                    }
                    "detection" => {
                        let id: u32 = e.subject.strip_prefix("agent:").unwrap().parse().unwrap();
                        *caught.entry(id).or_default() += 1;
                        detections += 1;
                    }
                    _ => {}
                }
            }
            // No taxes here: each ledger is its apples less 3,500 milli-apples per detection.
            let w = sim.world_mut();
            let mut q = w.query::<(&polity::agents::Agent, &Ledger)>();
            for (a, l) in q.iter(w) {
                let fined = caught.get(&a.id).copied().unwrap_or(0) * FINE;
                assert_eq!(l.balance, 1000 * l.picked as i64 - fined, "agent {} seed {seed}", a.id);
            }
            let o = sim.part::<Oversight>().unwrap();
            assert_eq!(o.fines, o.detections as i64 * FINE);
            assert_eq!(o.detections as i64, caught.values().sum::<i64>());
        }
        assert_eq!(audits, 2 * 6, "two AIs audited at each of 6 rounds (ticks 50, …, 300)");
        assert_eq!(sim.part::<Oversight>().unwrap().audits, 2 * 6);
    }
    assert!(detections > 0, "some clear-cuts were caught");
}

#[test]
fn evasion_responds_to_the_penalty_and_the_books_still_balance() {
    // SED's taxed game with evasion forbidden to the (human) citizens and audited.
    let with_k = |k: f64| {
        let mut s = scenario::builtin("sed-apple-picking").unwrap().scenario().unwrap();
        s.regrowth.probabilities = vec![0.01, 0.05];
        s.oversight = Some(polity::scenario::OversightSpec {
            forbidden: vec![polity::scenario::Forbidden::Evasion],
            kinds: vec![polity::scenario::Kind::Human],
            period: 50,
            inspect: 0.5,
            k,
            ..Default::default()
        });
        s
    };
    let violations = |k: f64| (0..3).map(|seed| final_metric(&with_k(k), seed, 300, "violations")).sum::<f64>();
    let (free, deterred) = (violations(0.0), violations(5.0));
    assert!(free > 0.0, "with no penalty, taxed selfish citizens evade");
    assert_eq!(deterred, 0.0, "when B(1 − P_D) − k < 0 for every tax they could save, nobody evades");
    // Books: wealth + the principal's treasury + fines = every apple picked.
    let s = with_k(0.0);
    let mut sim = Sim::new(&s, 1, 300);
    for _ in 0..300 {
        sim.step();
        assert_books_balance(&mut sim);
    }
}
