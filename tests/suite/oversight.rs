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
fn agents_expect_the_larger_fines_of_a_lower_bound_on_p_d() {
    // The seeds tour (2026-12-07): with `detection: LowerBound` and no advice, the agents
    // weighed B(1 − P̂_D) − k while a detection was fined k/P̂_D (P̂_D = 1e-6 from 10 samples,
    // so 500,001 apples at k = 0.5): they clear-cut as often as under Exact and were ruined by
    // fines they did not see coming. They weigh B(1 − P_D) − P_D·k/P̂_D now, P_D the true one.
    use polity::scenario::Detection;
    let violations = |detection: Detection| {
        let mut s = audited();
        let o = s.oversight.as_mut().unwrap();
        (o.k, o.detection) = (0.5, detection);
        (0..4).map(|seed| final_metric(&s, seed, 1000, "violations")).sum::<f64>()
    };
    let exact = violations(Detection::Exact);
    let bound = violations(Detection::LowerBound { samples: 10, delta: 0.05 });
    // E[B′] = 0.8 − 0.5 > 0 under Exact: the greedy AIs clear-cut (6 a seed); under the bound
    // E[B′] = 0.8 − 0.2·0.5/1e-6 < 0: what remains are accidents.
    assert!(exact >= 16.0 && bound <= exact / 4.0, "violations: Exact {exact}, LowerBound {bound}");
    let mut s = audited();
    s.oversight.as_mut().unwrap().detection = Detection::LowerBound { samples: 10, delta: 0.05 };
    let o = Oversight::new(s.oversight.as_ref().unwrap(), 0);
    assert_eq!(o.p_d, 1e-6, "10 samples bound P_D below 0.2 − 0.387 < 0: the floor");
    let (p_d, k) = o.plain_terms();
    assert!((p_d - 0.2).abs() < 1e-15 && (k - 0.2 * 2.0 / 1e-6).abs() < 1e-6, "({p_d}, {k})");
    // Exact: the closed form's own terms, bit for bit.
    let exact = Oversight::new(audited().oversight.as_ref().unwrap(), 0);
    assert_eq!(exact.plain_terms(), (exact.p_d, 2.0));
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

// ---------------------------------------------------------------------------------------
// Detection that depends on the act, both penalty schemes, agents unsure of detection.
// ---------------------------------------------------------------------------------------

use polity::decision::{self, TheftValue};
use polity::grid::{Grid, Terrain};
use polity::rules::forage::Action;
use polity::scenario::{
    AdviceSpec, BeliefDetection, BeliefSpec, Feature, Forbidden, Kind, OversightSpec, Penalty, PolicySpec,
    UtilityWeights,
};
use polity::vocab::{Policy, Position, Weights};

/// Theft seen by the other agents within 1 cell of the victim: Q = (0.1, 0.2, 0.3) for
/// thresholds (0, 1, 2) witnesses, so P_D = 0.1, 0.3, 0.6 and |R_F| = 1, 2, 3. The thief
/// believes theft forbidden with P_AF = 0.5 and knows P_D.
fn theft_spec(penalty: Penalty) -> OversightSpec {
    OversightSpec {
        forbidden: vec![Forbidden::Theft],
        kinds: vec![Kind::Ai],
        penalty,
        advice: vec![AdviceSpec {
            class: Forbidden::Theft,
            feature: Feature::Witnesses(1),
            advice: vec![(0.1, 0.0), (0.2, 1.0), (0.3, 2.0)],
        }],
        beliefs: vec![BeliefSpec {
            class: Forbidden::Theft,
            forbidden: 0.5,
            detection: BeliefDetection::Known,
            learn_forbidden: false,
        }],
        ..Default::default()
    }
}

#[test]
fn a_belief_driven_thief_prefers_the_least_detectable_victim_under_the_first_scheme() {
    // A 5×5 floor, no apples. The thief stands at (2, 2); one victim east of it at (3, 2)
    // alone, one west at (1, 2) with two bystanders at (0, 1) and (0, 3) — two witnesses
    // (the thief and the victim do not count). A theft is worth B = 1 apple.
    let mut g = Grid::new(5, 5, vec![Terrain::Floor; 25], &[], vec![], 2.0, vec![0.0, 0.01]);
    for (x, y) in [(2, 2), (3, 2), (1, 2), (0, 1), (0, 3)] {
        let i = g.index(x, y);
        g.set_occupied(i, true);
    }
    let at = |a: Action| Action::ALL.iter().position(|&b| b == a).unwrap();
    let pos = Position { x: 2, y: 2 };
    let values = |penalty: Penalty| {
        let o = Oversight::new(&theft_spec(penalty), 0);
        let risk = o.risk(true, 0, Forbidden::Theft).expect("the thief is covered and unsure");
        let t = TheftValue { value: 1.0, gain: 1.0, w_own: 1.0, risk: Some(risk) };
        decision::adjustments(&g, &pos, Some(&t), None)
    };
    // E_A[B′] = B(1 − P_AF·P_D) − P_AF·P_D·φ, φ = |R_F|/P_D (first scheme) or k/P_D:
    // east (P_D = 0.1, |R_F| = 1): first 1 − 0.05 − 0.5 = 0.45;  −k/P_D 0.95 − 0.5 = 0.45;
    // west (P_D = 0.6, |R_F| = 3): first 1 − 0.3 − 1.5 = −0.8;   −k/P_D 0.7 − 0.5 = 0.2.
    let first = values(Penalty::InverseQ);
    let second = values(Penalty::KOverPd);
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(close(first[at(Action::East)], 0.45) && close(first[at(Action::West)], -0.8), "{first:?}");
    assert!(close(second[at(Action::East)], 0.45) && close(second[at(Action::West)], 0.2), "{second:?}");
    for s in [first, second] {
        assert_eq!((s[at(Action::Stay)], s[at(Action::North)], s[at(Action::South)]), (0.0, 0.0, 0.0));
    }
    // Deciding by the power-bounded tilt, the thief robs the unseen victim more often than the
    // watched one under either scheme, and the watched one far less under the first.
    let decide = |adjust: &[f64; 5]| {
        let policy = Policy(PolicySpec::Forager { view: 2, discount: 0.9 });
        let w = Weights(UtilityWeights::default());
        let key = polity::rng::TickKey::new(0, 0);
        decision::choose(&g, &key, 0, &pos, 1.0, 1.0, None, None, 1.0, &w, &policy, adjust).probs
    };
    let (p1, p2) = (decide(&first), decide(&second));
    assert!(p1[at(Action::East)] > p1[at(Action::West)] && p2[at(Action::East)] > p2[at(Action::West)]);
    let watched = |p: [f64; 5]| p[at(Action::West)] / p[at(Action::East)];
    assert!(watched(p1) < 0.5 * watched(p2), "west/east: first {} vs −k/P_D {}", watched(p1), watched(p2));
}

/// The audited commons with clear-cutting seen by the agents within 3 cells (P_D = 0.05,
/// 0.15, 0.30 for 0, 1, ≥ 2 witnesses), the AIs believing it forbidden with `p_af`.
fn unsure_commons(penalty: Penalty, p_af: f64) -> Scenario {
    let mut s = audited();
    s.oversight = Some(OversightSpec {
        penalty,
        advice: vec![AdviceSpec {
            class: Forbidden::ClearCut,
            feature: Feature::Witnesses(3),
            advice: vec![(0.05, 0.0), (0.10, 1.0), (0.15, 2.0)],
        }],
        beliefs: vec![BeliefSpec {
            class: Forbidden::ClearCut,
            forbidden: p_af,
            detection: BeliefDetection::Known,
            learn_forbidden: false,
        }],
        ..Default::default()
    });
    s
}

#[test]
fn unsure_agents_hide_their_violations_under_the_first_scheme_only() {
    // P_AF = 0.5, B = 1: under the first scheme an unseen clear-cut is worth
    // 1·(1 − 0.5·0.05) − 0.5·1 = 0.475 and a seen one at most 1·(1 − 0.5·0.15) − 0.5·2 = −0.075,
    // so the greedy AIs cut only where nobody sees; under −k/P_D (k = 1) every clear-cut is
    // worth 1 − 0.5·P_D − 0.5 > 0, so where they cut is where they happen to be.
    let unseen = |penalty: Penalty| {
        let s = unsure_commons(penalty, 0.5);
        let (mut level1, mut all) = (0, 0);
        for seed in 0..10 {
            let mechanisms = Sim::mechanisms();
            let mut m = Sim::model_of(&s, seed, &mechanisms);
            (0..600).for_each(|_| m.step());
            let o = m.parts.get::<Oversight>().unwrap();
            level1 += o.by_level.get(1).copied().unwrap_or(0);
            all += o.violations;
            assert_eq!(o.by_level.iter().sum::<u64>(), o.violations);
        }
        (level1 as f64 / all as f64, all)
    };
    let (first, n1) = unseen(Penalty::InverseQ);
    let (second, n2) = unseen(Penalty::KOverPd);
    assert!(n1 >= 20 && n2 >= 20, "enough violations to compare: {n1}, {n2}");
    assert!(first >= 0.75, "first scheme: {first} of the violations unseen");
    assert!(second <= 0.6, "−k/P_D: {second} of the violations unseen");
}

#[test]
fn worlds_audited_by_advice_tick_alike_in_the_model_and_the_ecs_and_detections_carry_p_d() {
    let s = unsure_commons(Penalty::InverseQ, 0.5);
    let mut detected = 0;
    for seed in 0..3 {
        let mut sim = Sim::new(&s, seed, 400);
        let mut model = sim.model();
        for t in 0..400 {
            sim.step();
            model.step();
            assert_eq!(model.state_hash(), sim.state_hash(), "seed {seed}: diverged at tick {}", t + 1);
            assert_books_balance(&mut sim);
            for e in sim.world_mut().resource_mut::<EventLog>().drain() {
                if e.kind() == "detection" {
                    // Each detection carries its act's own P_D: one of the three levels.
                    let p = e.details()["p_d"].as_f64().unwrap();
                    assert!([0.05, 0.15, 0.30].iter().any(|q| (q - p).abs() < 1e-9), "{p}");
                    detected += 1;
                }
            }
        }
        let o = sim.part::<Oversight>().unwrap();
        assert_eq!(o.detections, model.parts.get::<Oversight>().unwrap().detections);
    }
    let _ = detected;
}

#[test]
fn bad_advice_and_beliefs_are_located_errors() {
    let text = include_str!("../../scenarios/audited-commons.ron").replace(
        "        detection: Exact,\n    ),",
        "        detection: Exact,\n        penalty: InverseQ,\n        advice: [\n            (class: Evasion, feature: Witnesses(2), advice: [(0.7, 0), (0.6, 1)]),\n        ],\n        beliefs: [(class: Theft, forbidden: 1.5, detection: Learned(prior: (0, 1)))],\n        evade_shares: [0],\n    ),",
    );
    assert!(text.contains("InverseQ"));
    let problems = scenario::parse(&text, "bad.ron", "bad").expect_err("refused").to_string();
    for want in [
        "oversight.advice[0].feature",
        "oversight.advice[0].advice: the proposal probabilities add up to 1.3",
        "oversight.beliefs[0].forbidden",
        "oversight.beliefs[0].detection",
        "oversight.evade_shares[0]",
    ] {
        let line = problems.lines().find(|l| l.contains(want)).unwrap_or_else(|| panic!("no `{want}` in\n{problems}"));
        // FILE:LINE:COLUMN first.
        let loc: Vec<&str> = line.splitn(4, ':').collect();
        assert!(
            loc[0].ends_with("bad.ron") && loc[1].trim().parse::<u32>().is_ok() && loc[2].parse::<u32>().is_ok(),
            "{line}"
        );
    }
    assert!(problems.contains("write `feature: Share`"), "{problems}");
}

#[test]
fn learned_agents_feel_penalties_by_advice_through_their_reward() {
    // The audited learners (k = 10), clear-cuts audited by one advice of Q = 1 that catches
    // any of them: each is detected and fined 1 + k/P_D = 11 apples at the next audit. The
    // greedy AIs' SED reward (σ = 1: their own wealth change) is what PPO maximises, so it
    // must carry every fine: reward total = wealth, and detections happened.
    let mut s = scenario::builtin("audited-learners").unwrap().scenario().unwrap();
    let o = s.oversight.as_mut().unwrap();
    o.advice =
        vec![AdviceSpec { class: Forbidden::ClearCut, feature: Feature::Witnesses(3), advice: vec![(1.0, 0.0)] }];
    let mechanisms = Sim::mechanisms();
    let mut fined = 0;
    for seed in 0..4 {
        let mut m = Sim::model_of(&s, seed, &mechanisms);
        for _ in 0..300 {
            m.step();
        }
        let o = m.parts.get::<Oversight>().unwrap();
        assert_eq!(o.detections, o.violations, "Q = 1 catches every clear-cut (all audited by tick 300)");
        assert_eq!(o.fines, 11_000 * o.detections as i64);
        fined += o.detections;
        for a in m.agents.iter().filter(|a| a.ai) {
            assert!(matches!(a.policy.0, PolicySpec::Learned(_)));
            assert!((a.reward.total - a.ledger.balance as f64 / 1000.0).abs() < 1e-9, "{}: {:?}", a.id, a.reward);
        }
    }
    assert!(fined > 0, "the untrained learners clear-cut and were fined");
}

#[test]
fn the_experiments_command_writes_its_table_and_plot_and_refuses_one_seed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_polity")).args(args).output().expect("polity runs")
    };
    let o = run(&["oversight", "vanish", "--seeds", "2", "--ticks", "120", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    for f in ["vanish.csv", "vanish.png", "vanish.json"] {
        assert!(stdout.contains(&format!("wrote {}", out.join(f).display())), "{f} not announced: {stdout}");
    }
    // The table's record: the command that made it (its seeds and ticks as given), and what
    // it wrote with it.
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("vanish.json")).unwrap()).unwrap();
    assert_eq!(
        record["command"],
        format!("polity oversight vanish --seeds 2 --ticks 120 --out {}", out.display()).as_str(),
        "{record}"
    );
    assert_eq!(record["files"], serde_json::json!(["vanish.csv", "vanish.png"]));
    assert_eq!(record["polity_version"], env!("CARGO_PKG_VERSION"));
    // Its help names exactly the files it wrote (the four helps were one text naming
    // `DIR/EXPERIMENT.csv` and every experiment's plots); each help says its own.
    let help = String::from_utf8_lossy(&run(&["oversight", "vanish", "--help"]).stdout).to_string();
    let named: std::collections::BTreeSet<String> = help
        .split("DIR/")
        .skip(1)
        .map(|w| {
            w.split(|c: char| !(c.is_alphanumeric() || "._-".contains(c)))
                .next()
                .unwrap()
                .trim_end_matches('.')
                .to_string()
        })
        .collect();
    let written: std::collections::BTreeSet<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(named, written, "{help}");
    for sub in ["shift", "harmless", "vanish", "estimate"] {
        let help = String::from_utf8_lossy(&run(&["oversight", sub, "--help"]).stdout).to_string();
        assert!(
            help.contains(&format!("Writes DIR/{sub}.csv")) && help.contains(&format!("polity oversight {sub} ")),
            "{help}"
        );
    }
    let csv = std::fs::read_to_string(out.join("vanish.csv")).unwrap();
    // `--seeds 2` is seeds 0 and 1, as `0..2` is, on one thread or many; 1..3 is another pair.
    let table = |seeds: &str, threads: &str| {
        let dir = tempfile::tempdir().unwrap();
        let o = run(&[
            "--threads",
            threads,
            "oversight",
            "vanish",
            "--seeds",
            seeds,
            "--ticks",
            "120",
            "--out",
            dir.path().to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(dir.path().join("vanish.csv")).unwrap()
    };
    assert_eq!(table("0..2", "1"), csv);
    assert_ne!(table("1..3", "2"), csv);
    assert_eq!(csv.lines().next(), Some("series,x,metric,mean,ci95_half,ci95_low,ci95_high,seeds"));
    // The interval's ends are the t interval's, kept within what the metric can take: a share
    // in [0, 1], a count from 0.
    let mut cut = 0;
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.rsplitn(7, ',').collect();
        let (n, high, low, half, mean, metric) = (cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]);
        if n != "2" {
            assert!(half.is_empty() && low.is_empty() && high.is_empty(), "{line}");
            continue;
        }
        let num = |c: &str| c.parse::<f64>().unwrap();
        let share = metric.ends_with("share") || metric == "mean_p_d";
        let top = if share { 1.0 } else { f64::INFINITY };
        assert_eq!(num(low), (num(mean) - num(half)).max(0.0), "{line}");
        assert_eq!(num(high), (num(mean) + num(half)).min(top), "{line}");
        cut += (num(mean) - num(half) < 0.0) as usize;
    }
    assert!(cut > 0, "some interval over two seeds reaches below 0 and is cut there");
    // Two series × seven k × eight metrics, each over both seeds.
    assert_eq!(csv.lines().count(), 1 + 2 * 7 * 8, "{csv}");
    assert!(csv.lines().skip(1).all(|l| l.ends_with(",2") || l.ends_with(",0")), "{csv}");
    let png = std::fs::read(out.join("vanish.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    // Without --force nothing is replaced; one seed gives no interval and is refused.
    let again = run(&["oversight", "vanish", "--seeds", "2", "--ticks", "120", "--out", out.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    let one = run(&["oversight", "shift", "--seeds", "1", "--out", out.to_str().unwrap()]);
    assert!(!one.status.success() && String::from_utf8_lossy(&one.stderr).contains("--seeds"));
    // One output in the way is refused before any work, and nothing else is written: the
    // table is not left without its chart.
    std::fs::remove_file(out.join("vanish.csv")).unwrap();
    std::fs::write(out.join("vanish.png"), "mine").unwrap();
    let blocked = run(&["oversight", "vanish", "--seeds", "2", "--ticks", "100000", "--out", out.to_str().unwrap()]);
    assert_eq!(blocked.status.code(), Some(2));
    let e = String::from_utf8_lossy(&blocked.stderr);
    assert!(e.contains("vanish.png") && e.contains("--force") && !e.contains("done"), "{e}");
    assert!(!out.join("vanish.csv").exists(), "no table written without its chart");
    assert_eq!(std::fs::read_to_string(out.join("vanish.png")).unwrap(), "mine");
    // A run too short for a measure to have a value still writes every chart, saying so.
    let short = run(&["oversight", "shift", "--seeds", "2", "--ticks", "1", "--out", out.to_str().unwrap()]);
    assert!(short.status.success(), "{}", String::from_utf8_lossy(&short.stderr));
    for f in ["shift.csv", "shift.png", "shift-unseen.png"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    // A metric no seed gave a value has no mean, and one that one seed gave has no interval:
    // empty cells in the table, `—` and `± n/a` on stdout, never NaN or a made-up ± 0.
    let mut seen = [0usize; 3];
    for (ticks, dir) in [("1", "none"), ("200", "one")] {
        let o =
            run(&["oversight", "shift", "--seeds", "3", "--ticks", ticks, "--out", out.join(dir).to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(!stdout.contains("NaN"), "{stdout}");
        let csv = std::fs::read_to_string(out.join(dir).join("shift.csv")).unwrap();
        let mut here = [0usize; 3];
        // The measures stdout shows: (metric, seeds) of each of their rows.
        let shown_metrics =
            ["violations", "acts", "unseen_share", "unseen_acts_share", "mean_p_d", "patches_alive_mean"];
        let mut shown_rows: Vec<(String, usize)> = Vec::new();
        for line in csv.lines().skip(1) {
            // series (quoted, with commas), x, metric, mean, ci95_half, ci95_low, ci95_high,
            // seeds: read from the right.
            let cells: Vec<&str> = line.rsplitn(8, ',').collect();
            let (seeds, half, mean) = (cells[0].parse::<usize>().unwrap(), cells[3], cells[4]);
            assert_eq!((cells[1].is_empty(), cells[2].is_empty()), (seeds < 2, seeds < 2), "{line}");
            assert_eq!((mean.is_empty(), half.is_empty()), (seeds == 0, seeds < 2), "{line}");
            assert!(!mean.contains("NaN") && !half.contains("NaN"), "{line}");
            here[seeds.min(2)] += 1;
            if shown_metrics.contains(&cells[5]) {
                shown_rows.push((cells[5].to_string(), seeds));
            }
        }
        // A measure with a value somewhere shows "—" where it has none; one with no value at
        // any point is left out of the table, and a line says so.
        let valued = |m: &str| shown_rows.iter().any(|(n, s)| n == m && *s > 0);
        let dash = shown_rows.iter().any(|(m, s)| *s == 0 && valued(m));
        let silent = shown_rows.iter().any(|(m, _)| !valued(m));
        let shown = |mark: &str| stdout.lines().any(|l| l.contains(mark));
        assert_eq!(dash, shown("— (no seed gave a value)"), "{stdout}");
        assert_eq!(silent, shown("at any point; left out above"), "{stdout}");
        assert_eq!(shown_rows.iter().any(|(_, s)| *s == 1), shown("± n/a (one seed of 3)"), "{stdout}");
        // A mean over some of the seeds says over how many.
        assert_eq!(shown_rows.iter().any(|(_, s)| *s == 2), shown("]  (2 of 3 seeds)"), "{stdout}");
        assert!(!shown("(3 of 3 seeds)"), "{stdout}");
        seen.iter_mut().zip(here).for_each(|(s, h)| *s += h);
    }
    assert!(seen.iter().all(|&n| n > 0), "rows with none, one and several seeds: {seen:?}");
}

#[test]
fn the_experiments_command_writes_every_file_before_printing() {
    // A reader that stops early (`| head -1`) closes stdout: the command goes on, writes every
    // file and ends with status 0 (docs/outputs.md).
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let mut child = Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["oversight", "shift", "--seeds", "2", "--ticks", "50", "--out", out.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{:?}: {}", o.status, String::from_utf8_lossy(&o.stderr));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
    for f in ["shift.csv", "shift.png", "shift-unseen.png"] {
        assert!(out.join(f).is_file(), "{f}");
    }
}

#[test]
fn fines_past_what_a_balance_holds_still_balance_the_books() {
    // audited-commons with stealing harvesters, theft forbidden, k = 1e9 (the most the checks
    // take) and a lower bound on P_D from 10 samples: fines of k/P̂_D reached 3e15 apples,
    // balances met the 64-bit limit, and the fines' total counted what they could not take
    // (wealth + fines − picked was −3e15 apples). A fine's penalty is held at MAX_FINE now, and
    // what a balance at its limit cannot take is not counted as paid.
    use polity::scenario::Detection;
    let mut s = audited();
    s.agents[1].steal = true;
    s.oversight = Some(OversightSpec {
        forbidden: vec![Forbidden::Theft],
        k: 1e9,
        detection: Detection::LowerBound { samples: 10, delta: 0.05 },
        advice: vec![AdviceSpec { class: Forbidden::Theft, feature: Feature::Witnesses(1), advice: vec![(0.3, 0.0)] }],
        beliefs: vec![BeliefSpec {
            class: Forbidden::Theft,
            forbidden: 0.0,
            detection: BeliefDetection::Known,
            learn_forbidden: false,
        }],
        ..s.oversight.clone().unwrap()
    });
    let s = scenario::check_typed(s, "overflow").unwrap_or_else(|p| panic!("{p}"));
    let mut sim = Sim::new(&s, 0, 300);
    let mut held = 0;
    for _ in 0..300 {
        sim.step();
        assert_books_balance(&mut sim);
        for e in sim.world_mut().resource_mut::<EventLog>().drain().iter().filter(|e| e.kind() == "audit") {
            let penalty = e.details()["penalty"].as_f64().unwrap_or(0.0);
            let detected = e.details()["detected"].as_f64().unwrap_or(0.0).max(1.0);
            assert!(penalty <= detected * (polity::oversight::MAX_FINE + 10.0), "{e:?}");
            held += (penalty > polity::oversight::MAX_FINE / 2.0) as u32;
        }
    }
    assert!(held >= 2, "fines held at MAX_FINE: {held}");
}
