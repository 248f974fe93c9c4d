//! Objects, theft and impact accounting: the push and belt rules, the thought experiments'
//! known answers per baseline, class-based whitelisting, the penalty steering the AI, thefts
//! and their audits, and the world model following worlds with objects and thieves.

use polity::agents::Ledger;
use polity::grid::Grid;
use polity::impact::{self, Impact};
use polity::metrics::{EventLog, MetricsLog};
use polity::objects::{Cause, ObjectKind, Objects, Push, Subject};
use polity::rules::forage::Action;
use polity::scenario::{self, Baseline, Dir, EffectKind, ObjectClass, ObjectState, PolicySpec, Scenario};
use polity::sim::Sim;
use polity::theft::{Standing, thefts};

fn builtin(name: &str) -> Scenario {
    scenario::builtin(name).unwrap().scenario().unwrap()
}

/// Runs `s` to its end; the metrics rows by tick, as (column, value) lookups.
fn run(s: &Scenario) -> (Sim, Vec<(u64, Vec<f64>)>, Vec<String>) {
    let mut sim = Sim::new(s, s.run.seed, s.run.ticks);
    for _ in 0..s.run.ticks {
        sim.step();
    }
    let mut log = sim.world_mut().resource_mut::<MetricsLog>();
    let rows = log.drain();
    let cols = log.columns().iter().map(|c| c.to_string()).collect();
    (sim, rows, cols)
}

fn at(rows: &[(u64, Vec<f64>)], cols: &[String], tick: u64, col: &str) -> f64 {
    let k = cols.iter().position(|c| c == col).unwrap_or_else(|| panic!("no column {col}"));
    rows.iter().find(|r| r.0 == tick).unwrap().1[k]
}

/// (none, naive, stepwise, iterative, unmatched) at `tick`.
fn baselines(rows: &[(u64, Vec<f64>)], cols: &[String], tick: u64) -> [f64; 5] {
    ["impact_none", "impact_naive", "impact_stepwise", "impact_iterative", "impact_unmatched"]
        .map(|c| at(rows, cols, tick, c))
}

/// (one-sided, symmetric) naive inaction at `tick`.
fn naive_forms(rows: &[(u64, Vec<f64>)], cols: &[String], tick: u64) -> [f64; 2] {
    ["impact_naive", "impact_naive_symmetric"].map(|c| at(rows, cols, tick, c))
}

fn with_script(mut s: Scenario, group: usize, plan: &str) -> Scenario {
    s.agents[group].policy = PolicySpec::Script(plan.into());
    s
}

fn open_floor(w: u32, h: u32, walls: &[u32]) -> Grid {
    let mut terrain = vec![polity::grid::Terrain::Floor; (w * h) as usize];
    for &i in walls {
        terrain[i as usize] = polity::grid::Terrain::Wall;
    }
    Grid::new(w, h, terrain, &[], Vec::new(), 2.0, vec![0.0, 0.0025, 0.005, 0.025])
}

#[test]
fn pushing_moves_vases_and_boxes_breaks_vases_on_walls_and_boxes_block() {
    // A 5×1 corridor with a wall at x = 4: vase at 2, box at 1... pushed east from x = 0/1.
    let mut g = open_floor(5, 1, &[4]);
    g.set_objects(Objects::new(5, 1, &[(ObjectKind::Vase, 2)], &[]));
    assert_eq!(g.push_outcome(1, 0, Action::East), Push::Moves { object: 0, to: (3, 0) });
    assert_eq!(g.push_outcome(1, 0, Action::West), Push::Enter, "nothing west of x = 1");
    let mut effects = Vec::new();
    g.objects.apply_push(Push::Moves { object: 0, to: (3, 0) }, 7, 9, &mut effects);
    assert_eq!(g.objects.list()[0].x, 3);
    assert_eq!((effects[0].kind, effects[0].cause, effects[0].tick), (EffectKind::VaseMoved, Cause::Agent(9), 7));
    // Now against the wall: the vase breaks and the agent may enter.
    assert_eq!(g.push_outcome(2, 0, Action::East), Push::Breaks { object: 0 });
    // A box against the wall blocks.
    let mut g = open_floor(5, 1, &[4]);
    g.set_objects(Objects::new(5, 1, &[(ObjectKind::Box, 3)], &[]));
    assert_eq!(g.push_outcome(2, 0, Action::East), Push::Blocked);
    // An agent behind the object blocks the push.
    let mut g = open_floor(5, 1, &[]);
    g.set_objects(Objects::new(5, 1, &[(ObjectKind::Vase, 2)], &[]));
    g.set_occupied(3, true);
    assert_eq!(g.push_outcome(1, 0, Action::East), Push::Blocked);
}

#[test]
fn belts_carry_objects_downstream_first_and_vases_break_off_the_end() {
    // Belt east on x = 0..=3 of a 6×1 corridor; vases at 0 and 1, a box at 3.
    let belts: Vec<(u32, Dir)> = (0..4).map(|x| (x, Dir::East)).collect();
    let mut g = open_floor(6, 1, &[]);
    g.set_objects(Objects::new(6, 1, &[(ObjectKind::Vase, 0), (ObjectKind::Vase, 1), (ObjectKind::Box, 3)], &belts));
    g.step_belts(1);
    // Downstream first: the box lands on 4 (off the belt, whole), then both vases move on.
    let xs: Vec<u32> = g.objects.list().iter().map(|o| o.x).collect();
    assert_eq!(xs, vec![1, 2, 4]);
    g.step_belts(2);
    g.step_belts(3);
    // Vase 1 reached the belt's last cell (3) but the box on 4 holds it; vase 0 queues behind.
    let v: Vec<(u32, bool)> = g.objects.list().iter().map(|o| (o.x, o.broken)).collect();
    assert_eq!(v, vec![(2, false), (3, false), (4, false)]);
    // Off the end onto floor, a vase breaks; so does one carried into a wall.
    let mut g = open_floor(4, 1, &[3]);
    g.set_objects(Objects::new(
        4,
        1,
        &[(ObjectKind::Vase, 0), (ObjectKind::Vase, 2)],
        &[(0, Dir::East), (2, Dir::East)],
    ));
    g.step_belts(5);
    let v = g.objects.list();
    assert!(v[0].broken && v[1].broken, "{v:?}");
    let broken: Vec<_> = g.effects.iter().filter(|e| e.kind == EffectKind::VaseBroken).collect();
    assert_eq!(broken.len(), 2);
    assert_eq!((broken[0].tick, broken[0].cause), (5, Cause::Environment));
    // An agent in the way stops a belt's object too.
    let mut g = open_floor(3, 1, &[]);
    g.set_objects(Objects::new(3, 1, &[(ObjectKind::Vase, 0)], &[(0, Dir::East), (1, Dir::East)]));
    g.set_occupied(1, true);
    g.step_belts(1);
    assert_eq!(g.objects.list()[0].x, 0);
    assert!(g.effects.is_empty());
}

#[test]
fn vase_human_breaks_naive_blames_push_and_break_stepwise_only_the_push() {
    let (_, rows, cols) = run(&builtin("vase-human-breaks"));
    // Before the human breaks it (tick 4) and at the end.
    assert_eq!(baselines(&rows, &cols, 4), [1.0, 1.0, 1.0, 1.0, 0.0]);
    assert_eq!(baselines(&rows, &cols, 10), [2.0, 2.0, 1.0, 1.0, 0.0], "none, naive, stepwise, iterative, unmatched");
}

#[test]
fn vase_push_catch_iterative_penalises_only_the_move() {
    let (_, rows, cols) = run(&builtin("vase-push-catch"));
    assert_eq!(baselines(&rows, &cols, 20), [1.0, 1.0, 1.0, 1.0, 1.0]);
    // The break foreseen from tick 1 is due at tick 10: unmatched from then on, never penalised.
    assert_eq!(at(&rows, &cols, 9, "impact_unmatched"), 0.0);
    assert_eq!(at(&rows, &cols, 10, "impact_unmatched"), 1.0);
    // Without the catch (push, then rest), the iterative form penalises the break as well.
    let (_, rows, cols) = run(&with_script(builtin("vase-push-catch"), 0, "E"));
    assert_eq!(baselines(&rows, &cols, 20), [2.0, 2.0, 1.0, 2.0, 0.0]);
}

#[test]
fn conveyor_belt_which_baselines_reward_rescue_and_which_invite_offsetting() {
    let s = builtin("conveyor-belt");
    let end = s.run.ticks;
    // Do nothing: the vase rides to the end and breaks.
    let (_, rows, cols) = run(&with_script(s.clone(), 0, ""));
    let nothing = baselines(&rows, &cols, end);
    assert_eq!(nothing, [2.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(naive_forms(&rows, &cols, end), [0.0, 0.0], "(one-sided, symmetric)");
    // Rescue only. One-sided naive inaction blames the push (the AI did it; the world without
    // it never sees the AI push anything), the symmetric form the prevented break instead.
    let (sim, rows, cols) = run(&with_script(s.clone(), 0, "SS"));
    let rescue = baselines(&rows, &cols, end);
    assert_eq!(rescue, [1.0, 1.0, 0.0, 0.0, 0.0]);
    let i = sim.part::<Impact>().unwrap();
    let (moved, broken) = ((Subject::Object(0), EffectKind::VaseMoved), (Subject::Object(0), EffectKind::VaseBroken));
    assert_eq!(i.naive_penalised.0.iter().copied().collect::<Vec<_>>(), vec![moved], "one-sided: the push");
    assert_eq!(i.naive_symmetric.0.iter().copied().collect::<Vec<_>>(), vec![broken], "symmetric: the break prevented");
    let rescue_sym = naive_forms(&rows, &cols, end)[1];
    assert_eq!(rescue_sym, 1.0);
    // Rescue, then put it back (the scenario's own script).
    let (sim, rows, cols) = run(&s);
    assert_eq!(baselines(&rows, &cols, 6), rescue, "after the rescue, before the offset");
    let offset = baselines(&rows, &cols, end);
    assert_eq!(offset, [2.0, 1.0, 1.0, 2.0, 0.0]);
    let offset_sym = naive_forms(&rows, &cols, end)[1];
    assert_eq!(offset_sym, 0.0);
    // One-sided, the break the AI prevented is never blamed, at any tick (before the vase is
    // put back it is broken only in the shadow), and the pushes stay blamed after the offset.
    for t in 0..=end {
        assert!(naive_forms(&rows, &cols, t)[0] <= 1.0, "tick {t}");
    }
    assert!(sim.part::<Impact>().unwrap().naive_penalised.0.contains(&moved));
    assert!(!sim.part::<Impact>().unwrap().naive_penalised.0.contains(&broken));
    // No baseline: rescuing beats doing nothing, offsetting costs.
    assert!(rescue[0] < nothing[0] && offset[0] > rescue[0]);
    // Naive inaction as a symmetric difference: rescuing costs and offsetting pays — it
    // invites offsetting.
    assert!(rescue_sym > 0.0 && offset_sym < rescue_sym);
    // One-sided naive inaction: offsetting no longer pays (the push back gains nothing).
    assert!(offset[1] >= rescue[1]);
    // Stepwise and iterative: rescuing is free, offsetting costs.
    for b in [2, 3] {
        assert!(rescue[b] == nothing[b] && offset[b] > rescue[b], "baseline {b}");
    }
}

#[test]
fn impact_events_name_the_cause() {
    let mut s = builtin("vase-human-breaks");
    s.run.ticks = 6;
    let mut sim = Sim::new(&s, 0, 6);
    (0..6).for_each(|_| sim.step());
    let events = sim.world_mut().resource_mut::<EventLog>().drain();
    let naive_break = events
        .iter()
        .find(|e| e.kind() == "impact" && e.details()["baseline"] == "naive" && e.details()["effect"] == "vase broken")
        .expect("the naive baseline blames the AI for the break");
    assert_eq!(naive_break.tick, 5);
    assert_eq!(naive_break.details()["cause"], "agent:0", "the human broke it");
    assert!(events.iter().any(|e| e.kind() == "vase_broken" && e.details()["by"] == "agent:0"));
    assert!(
        !events.iter().any(|e| e.kind() == "impact"
            && e.details()["baseline"] == "stepwise"
            && e.details()["effect"] == "vase broken"),
        "stepwise does not blame the AI for the human's break"
    );
    // An AI's own push names the AI agent as its cause under every baseline (the naive one
    // said `ai`, the others `agent:0`).
    let src = r#"Scenario(version: 1, map: Ascii(rows: ["WWWWW", "W V W", "WWWWW"]),
        agents: [(kind: Ai, policy: Script("E"), spawn: At([(1, 1)]))], impact: ())"#;
    let s = scenario::parse(src, "cause.ron", "cause").unwrap();
    let mut sim = Sim::new(&s, 0, 2);
    (0..2).for_each(|_| sim.step());
    let events = sim.world_mut().resource_mut::<EventLog>().drain();
    let causes: Vec<(String, String)> = events
        .iter()
        .filter(|e| e.kind() == "impact")
        .map(|e| {
            (e.details()["baseline"].as_str().unwrap().to_string(), e.details()["cause"].as_str().unwrap().to_string())
        })
        .collect();
    assert!(causes.iter().any(|(b, _)| b == "naive"), "{causes:?}");
    assert!(causes.iter().all(|(_, c)| c == "agent:0"), "{causes:?}");
    // An agent's push of a vase a belt also carries that tick (or carried before) is the
    // agent's under every baseline: conveyor-belt's naive event named the environment (the
    // belt's earlier move) beside "the AI did it", and the put-back at tick 7 was the
    // environment's under stepwise, iterative and stationary; delayed-effect's push at tick 1
    // likewise.
    for name in ["conveyor-belt", "delayed-effect"] {
        let s = builtin(name);
        let mut sim = Sim::new(&s, s.run.seed, s.run.ticks);
        (0..s.run.ticks).for_each(|_| sim.step());
        let events = sim.world_mut().resource_mut::<EventLog>().drain();
        let mut checked = 0;
        for push in events.iter().filter(|e| e.kind() == "pushed") {
            for e in events.iter().filter(|e| {
                e.kind() == "impact"
                    && e.tick == push.tick
                    && e.subject == push.subject
                    && e.details()["effect"] == "vase moved"
            }) {
                assert_eq!(e.details()["cause"], push.details()["by"], "{name}: {e:?} beside {push:?}");
                checked += 1;
            }
        }
        assert!(checked >= 4, "{name}: {checked} attributions of a push");
    }
}

#[test]
fn whitelisted_kinds_are_never_penalised_and_costs_weigh_the_rest() {
    let mut s = builtin("conveyor-belt");
    let spec = s.impact.as_mut().unwrap();
    spec.whitelist = vec![EffectKind::VaseMoved];
    spec.costs.insert(EffectKind::VaseBroken, 10.0);
    let (_, rows, cols) = run(&s);
    // Only the break is left: none and iterative penalise it, naive not (offset), stepwise not.
    assert_eq!(baselines(&rows, &cols, 12), [1.0, 0.0, 0.0, 1.0, 0.0]);
    assert_eq!(at(&rows, &cols, 12, "impact_iterative_penalty"), 10.0);
    assert_eq!(at(&rows, &cols, 6, "impact_naive_symmetric_penalty"), 10.0, "the prevented break, before the offset");
    assert_eq!(
        at(&rows, &cols, 6, "impact_naive_penalty"),
        0.0,
        "one-sided: the push is whitelisted, the break prevented"
    );
}

#[test]
fn class_whitelist_penalises_probability_mass_moved() {
    use ObjectState::*;
    // All in place → half moved: free if in-place → moved is whitelisted, else half the mass.
    assert_eq!(impact::mass_moved(&[1.0, 0.0, 0.0], &[0.5, 0.5, 0.0], &[(InPlace, Moved)]), 0.0);
    assert_eq!(impact::mass_moved(&[1.0, 0.0, 0.0], &[0.5, 0.5, 0.0], &[]), 0.5);
    // A chain of allowed changes carries the mass further than keeping what stays: in place
    // → moved and moved → gone are allowed, so (½, ½, 0) → (0, ½, ½) moves no mass along a
    // forbidden change (keeping the ½ moved in place would force ½ along in place → gone).
    assert_eq!(impact::mass_moved(&[0.5, 0.5, 0.0], &[0.0, 0.5, 0.5], &[(InPlace, Moved), (Moved, Gone)]), 0.0);
    assert_eq!(impact::mass_moved(&[0.5, 0.5, 0.0], &[0.0, 0.5, 0.5], &[(InPlace, Moved)]), 0.5);
    let d = impact::distribution(&[InPlace, Gone, Gone, Moved]);
    assert_eq!(d, [0.25, 0.25, 0.5]);
    // In a run: after the rescue the vase is moved where the naive shadow's is broken; gone →
    // moved is not whitelisted, so one vase's worth of mass moved; at the end both are broken.
    // (Against the booked baseline's counterfactual: here naive inaction, the shadow.)
    let mut s = builtin("conveyor-belt");
    s.impact.as_mut().unwrap().class_whitelist = vec![(ObjectClass::Vase, InPlace, Moved)];
    s.impact.as_mut().unwrap().baseline = Baseline::Naive;
    let (_, rows, cols) = run(&s);
    assert_eq!(at(&rows, &cols, 3, "impact_class"), 0.0, "shadow moved, actual moved");
    assert_eq!(at(&rows, &cols, 6, "impact_class"), 1.0);
    assert_eq!(at(&rows, &cols, 12, "impact_class"), 0.0);
}

#[test]
fn class_whitelist_compares_against_the_booked_baselines_counterfactual() {
    use ObjectState::*;
    let mut s = builtin("conveyor-belt");
    s.impact.as_mut().unwrap().class_whitelist = vec![(ObjectClass::Vase, InPlace, Moved)];
    // Stepwise: each tick against the world in which the AI rested that tick. The vase is
    // moved in both every tick (by the belt, or by the AI's pushes, which keep it moved) and
    // breaks at tick 10 in both: nothing, at any tick — where the shadow gives 1 at tick 6.
    assert_eq!(s.impact.as_ref().unwrap().baseline, Baseline::Stepwise);
    let (_, rows, cols) = run(&s);
    for t in 0..=12 {
        assert_eq!(at(&rows, &cols, t, "impact_class"), 0.0, "stepwise, tick {t}");
    }
    // No baseline: against the start. In place → moved is allowed (tick 6: 0); in place →
    // gone is not (tick 12: the one vase's whole mass, 1).
    s.impact.as_mut().unwrap().baseline = Baseline::None;
    let (_, rows, cols) = run(&s);
    assert_eq!(at(&rows, &cols, 6, "impact_class"), 0.0);
    assert_eq!(at(&rows, &cols, 12, "impact_class"), 1.0);
    // The transport with general costs is the 0/1 one when costs are 0 or 1.
    let allowed = [(InPlace, Moved), (Moved, Gone)];
    let states = [InPlace, Moved, Gone];
    let mut cost = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            cost[i][j] = if i == j || allowed.contains(&(states[i], states[j])) { 0.0 } else { 1.0 };
        }
    }
    for (from, to) in
        [([0.5, 0.5, 0.0], [0.0, 0.5, 0.5]), ([1.0, 0.0, 0.0], [0.0, 0.0, 1.0]), ([0.2, 0.3, 0.5], [0.6, 0.1, 0.3])]
    {
        let a = impact::transport_cost(&from, &to, &cost);
        let b = impact::mass_moved(&from, &to, &allowed);
        assert!((a - b).abs() < 1e-12, "{from:?} → {to:?}: {a} vs {b}");
    }
    // A general cost: all mass in place → all gone costs 0.7 directly, or 0.2 + … no chains:
    // the transport is one change per unit of mass, so 0.7.
    let mut c = [[1.0; 3]; 3];
    (0..3).for_each(|i| c[i][i] = 0.0);
    c[0][2] = 0.7;
    assert!((impact::transport_cost(&[1.0, 0.0, 0.0], &[0.0, 0.0, 1.0], &c) - 0.7).abs() < 1e-12);
}

#[test]
fn whitelist_learning_believes_in_changes_seen_without_the_ai() {
    // The conveyor belt, rescue only, naive inaction, no fixed whitelist, a Beta(1, 1) prior.
    // The shadow shows in place → moved (tick 1) and moved → gone (tick 5): each believed
    // allowed with (1 + 1) / (2 + 1) = ⅔ from then on; gone → moved, never seen, ½.
    let mut s = with_script(builtin("conveyor-belt"), 0, "SS");
    let spec = s.impact.as_mut().unwrap();
    spec.baseline = Baseline::Naive;
    spec.learn_whitelist = Some(scenario::WhitelistLearning::default());
    let (sim, rows, cols) = run(&s);
    let i = sim.part::<Impact>().unwrap();
    use ObjectState::*;
    assert_eq!(i.seen_changes.get(&(ObjectClass::Vase, InPlace, Moved)), Some(&1));
    assert_eq!(i.seen_changes.get(&(ObjectClass::Vase, Moved, Gone)), Some(&1));
    assert_eq!(i.seen_changes.len(), 2, "{:?}", i.seen_changes);
    assert!((impact::allowed_belief(i, ObjectClass::Vase, InPlace, Moved) - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(impact::allowed_belief(i, ObjectClass::Vase, Gone, Moved), 0.5);
    // Ticks 1–4 both worlds have the vase moved: 0. From tick 5 the shadow's is gone and the
    // actual one moved (rescued): gone → moved costs 1 − ½ = ½ for the one vase.
    assert_eq!(at(&rows, &cols, 4, "impact_class"), 0.0);
    assert_eq!(at(&rows, &cols, 5, "impact_class"), 0.5);
    assert_eq!(at(&rows, &cols, 12, "impact_class"), 0.5);
    // A fixed whitelist entry is believed for sure.
    s.impact.as_mut().unwrap().class_whitelist = vec![(ObjectClass::Vase, Gone, Moved)];
    let (_, rows, cols) = run(&s);
    assert_eq!(at(&rows, &cols, 12, "impact_class"), 0.0);
}

#[test]
fn the_impact_penalty_stops_the_ai_clear_cutting() {
    // docs/impact.md's table for `commons-impact`, seeds 0–2, 500 ticks: without the penalty
    // every patch is lost and all six are blamed on the AI under every baseline; with
    // `weight: 5.0` all six survive and nothing is blamed.
    let base = builtin("commons-impact");
    assert_eq!(base.run.ticks, 500);
    for seed in 0..3 {
        for (weight, alive, blamed) in [(0.0, 0.0, 6.0), (5.0, 6.0, 0.0)] {
            let mut s = base.clone();
            s.run.seed = seed;
            s.impact.as_mut().unwrap().weight = weight;
            let (_, rows, cols) = run(&s);
            assert_eq!(at(&rows, &cols, 500, "patches_alive"), alive, "weight {weight} seed {seed}");
            let b = baselines(&rows, &cols, 500);
            assert_eq!(&b[..4], &[blamed; 4], "weight {weight} seed {seed}: (none, naive, stepwise, iterative)");
        }
    }
}

#[test]
fn baseline_choice_books_its_own_penalty() {
    for (b, want) in [
        (Baseline::None, 2.0),
        (Baseline::Naive, 1.0),
        (Baseline::NaiveSymmetric, 0.0),
        (Baseline::Stepwise, 1.0),
        (Baseline::Iterative, 2.0),
        (Baseline::StationaryIterative, 2.0),
    ] {
        let mut s = builtin("conveyor-belt");
        s.impact.as_mut().unwrap().baseline = b;
        s.impact.as_mut().unwrap().weight = 0.5;
        let (sim, rows, cols) = run(&s);
        assert_eq!(at(&rows, &cols, 12, "impact_penalty"), 0.5 * want, "{b:?}");
        assert_eq!(sim.part::<Impact>().unwrap().penalised(b).count() as f64, want);
    }
}

#[test]
fn thefts_move_apples_exactly_drain_stores_and_are_violations_when_forbidden() {
    let mut g = open_floor(4, 1, &[]);
    let agents = [
        Standing { id: 0, pos: (0, 0), action: Action::East, thief: true, ai: true },
        Standing { id: 1, pos: (1, 0), action: Action::Stay, thief: false, ai: false },
    ];
    let mut ledgers = [Ledger::default(), Ledger { balance: 1500, ..Default::default() }];
    let spec = scenario::OversightSpec { forbidden: vec![scenario::Forbidden::Theft], ..Default::default() };
    let mut o = polity::oversight::Oversight::new(&spec, 0);
    let (mut v0, mut v1) = (Vec::new(), Vec::new());
    let done = thefts(&mut g, &agents, &mut ledgers, Some(&mut o), &mut [&mut v0, &mut v1], 3);
    assert_eq!(done, vec![(0, 1, 1000)]);
    assert_eq!((ledgers[0].balance, ledgers[1].balance), (1000, 500));
    assert_eq!(ledgers[0].period_income, 1000, "stolen apples are income");
    assert_eq!(v0, vec![(3, 1000)]);
    assert_eq!(o.violations, 1);
    let done = thefts(&mut g, &agents, &mut ledgers, Some(&mut o), &mut [&mut v0, &mut v1], 4);
    assert_eq!(done, vec![(0, 1, 500)], "what is left");
    assert_eq!(ledgers[0].balance + ledgers[1].balance, 1500, "apples are moved, never made");
    let kinds: Vec<EffectKind> = g.effects.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EffectKind::ApplesTaken, EffectKind::ApplesTaken, EffectKind::WalletDrained]);
    // Nothing left to take.
    assert!(thefts(&mut g, &agents, &mut ledgers, None, &mut [&mut v0, &mut v1], 5).is_empty());
}

/// The commons with two AI thieves, theft forbidden and audited with penalty scale `k`.
fn thieves(k: f64) -> Scenario {
    let mut s = builtin("audited-commons");
    s.agents[1].steal = true;
    let o = s.oversight.as_mut().unwrap();
    o.forbidden = vec![scenario::Forbidden::Theft];
    o.k = k;
    s
}

#[test]
fn audits_deter_theft_as_k_rises() {
    let mut counts = Vec::new();
    for k in [0.0, 5.0] {
        let mut n = 0;
        for seed in 0..4 {
            let s = thieves(k);
            let mut sim = Sim::new(&s, seed, 400);
            (0..400).for_each(|_| sim.step());
            n += sim.world_mut().resource_mut::<EventLog>().drain().iter().filter(|e| e.kind() == "theft").count();
        }
        counts.push(n);
    }
    assert!(counts[0] > 20, "unpenalised thieves steal: {counts:?}");
    assert!(counts[1] * 4 < counts[0], "k = 5 deters theft: {counts:?}");
}

#[test]
fn zero_error_model_follows_worlds_with_objects_and_thieves() {
    let mut worlds = vec![builtin("conveyor-belt"), builtin("vase-human-breaks"), builtin("vase-push-catch")];
    worlds.push(thieves(0.0));
    for s in worlds {
        for seed in 0..3 {
            let mut sim = Sim::new(&s, seed, 200);
            let mut model = sim.model();
            for t in 0..120 {
                sim.step();
                model.step();
                assert_eq!(model.state_hash(), sim.state_hash(), "{} seed {seed}: diverged at tick {}", s.name, t + 1);
            }
        }
    }
}

#[test]
fn impact_runs_are_reproducible() {
    let s = builtin("commons-impact");
    let hash = |seed| {
        let mut sim = Sim::new(&s, seed, 150);
        (0..150).for_each(|_| sim.step());
        sim.state_hash()
    };
    assert_eq!(hash(4), hash(4));
    assert_ne!(hash(4), hash(5));
    // Pinned, and the same from another process (`polity run`'s run.json): if this changes,
    // a rule changed; say so in the commit and update the value.
    const GOLDEN_SEED4_150: &str = "344c2e9514d77285";
    assert_eq!(format!("{:016x}", hash(4)), GOLDEN_SEED4_150);
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("r");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["run", "commons-impact", "--seed", "4", "--ticks", "150", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["state_hash"], GOLDEN_SEED4_150);
}

#[test]
fn polity_run_prints_the_blame_per_baseline() {
    let t = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["run", "vase-human-breaks", "--out"])
        .arg(t.path().join("v"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "side effects blamed on the AI: none 2 · naive inaction 2 · stepwise 1 · iterative 1 (unmatched 0)"
        ),
        "{text}"
    );
}

/// (none, naive, naive symmetric, stepwise, iterative, stationary) at `tick`.
fn six(rows: &[(u64, Vec<f64>)], cols: &[String], tick: u64) -> [f64; 6] {
    [
        "impact_none",
        "impact_naive",
        "impact_naive_symmetric",
        "impact_stepwise",
        "impact_iterative",
        "impact_stationary",
    ]
    .map(|c| at(rows, cols, tick, c))
}

#[test]
fn stationary_iterative_keeps_the_humans_choices_that_follow_the_ais_move() {
    // Push-catch (no other agent): the stationary form is the iterative one — the move only,
    // the break that never came is not blamed; push and rest: both.
    let (_, rows, cols) = run(&builtin("vase-push-catch"));
    assert_eq!(six(&rows, &cols, 20), [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
    let (_, rows, cols) = run(&with_script(builtin("vase-push-catch"), 0, "E"));
    assert_eq!(six(&rows, &cols, 20), [2.0, 2.0, 2.0, 1.0, 2.0, 2.0]);
    // The human breaks the vase the AI pushed (vase-human-breaks). From tick 2 (the AI steps
    // out of the way), the acting rollout has the human break it at tick 5; in the stationary
    // counterfactual the AI rests in the corridor and the human, replaying its moves, is
    // blocked: the break is blamed on the AI (the post's "penalizes itself for H's decision").
    // The iterative form drops it as the human's own.
    let (_, rows, cols) = run(&builtin("vase-human-breaks"));
    assert_eq!(six(&rows, &cols, 4), [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
    assert_eq!(six(&rows, &cols, 10), [2.0, 2.0, 2.0, 1.0, 1.0, 2.0]);
}

#[test]
fn the_iterative_horizon_is_the_plans_length_and_sees_a_delayed_effect() {
    // delayed-effect: the push at tick 1 breaks the vase at tick 8.
    let s = builtin("delayed-effect");
    assert_eq!(s.impact.as_ref().unwrap().horizon, 0, "the plan's length");
    let (sim, rows, cols) = run(&s);
    assert_eq!(at(&rows, &cols, 7, "impact_none"), 1.0);
    assert_eq!(at(&rows, &cols, 8, "impact_none"), 2.0, "the break lands at tick 8");
    assert_eq!(six(&rows, &cols, 12), [2.0, 2.0, 2.0, 1.0, 2.0, 2.0]);
    assert_eq!(at(&rows, &cols, 12, "impact_unmatched"), 0.0);
    // The horizon is the episode's remainder: 12 ticks at tick 1, 1 at tick 12.
    let i = sim.part::<Impact>().unwrap();
    assert_eq!((i.horizon(1), i.horizon(12), i.horizon(40)), (12, 1, 1));
    // A fixed horizon of 3 ticks misses the break.
    let mut short = s.clone();
    short.impact.as_mut().unwrap().horizon = 3;
    let (_, rows, cols) = run(&short);
    assert_eq!(six(&rows, &cols, 12), [2.0, 2.0, 2.0, 1.0, 1.0, 1.0]);
    // With a planning AI the horizon is its depth.
    let i = Impact::new(builtin("vase-guard").impact.as_ref().unwrap(), 8);
    assert_eq!((i.horizon(1), i.horizon(8)), (2, 2));
}

#[test]
fn dirty_work_the_iterative_form_lets_a_human_break_it_for_the_ai() {
    let s = builtin("dirty-work");
    // Step aside and let the human break it (tick 4).
    let (sim, rows, cols) = run(&s);
    assert_eq!(at(&rows, &cols, 3, "impact_none"), 0.0);
    assert_eq!(at(&rows, &cols, 4, "impact_none"), 1.0);
    assert!(sim.core().grid.objects.list()[0].broken);
    assert_eq!(six(&rows, &cols, 8), [1.0, 1.0, 1.0, 0.0, 0.0, 1.0]);
    // Break it itself.
    let (_, rows, cols) = run(&with_script(s, 1, "E"));
    assert_eq!(at(&rows, &cols, 1, "impact_none"), 1.0);
    assert_eq!(six(&rows, &cols, 8), [1.0; 6]);
}

/// The planning AI's run of `vase-guard` under `baseline`: (the AI's cell after each tick,
/// apples it picked, the tick the vase broke).
fn guard(baseline: Baseline) -> (Vec<(u32, u32)>, u64, Option<u64>) {
    let mut s = builtin("vase-guard");
    s.impact.as_mut().unwrap().baseline = baseline;
    let mut sim = Sim::new(&s, s.run.seed, s.run.ticks);
    let mut cells = Vec::new();
    let mut broke = None;
    for t in 1..=s.run.ticks {
        sim.step();
        let ai = &sim.core().agents[1];
        cells.push((ai.pos.x, ai.pos.y));
        if broke.is_none() && sim.core().grid.objects.list()[0].broken {
            broke = Some(t);
        }
    }
    (cells, sim.core().agents[1].ledger.picked, broke)
}

#[test]
fn a_planning_ai_is_clingy_under_stepwise_inaction_and_not_under_the_iterative_form() {
    // vase-guard (the scenario's comment works it out): leaving the guard post for the apple
    // (worth 1) lets the human push the vase, and under stepwise inaction that push is blamed
    // whenever the human moves right after the AI in the same tick — half the move orders,
    // so in expectation ½ × 8 = 4 apples. The AI guards the vase all episode.
    let (cells, picked, broke) = guard(Baseline::Stepwise);
    assert_eq!(cells, vec![(3, 1); 8], "it never leaves its post");
    assert_eq!((picked, broke), (0, None));
    // Under the iterative form the push and the break are the human's own: nothing is
    // blamed, so the AI takes the apple at tick 1 and the human breaks the vase — pushed into
    // the AI's old cell at tick 1 or 2 (the move order), into the wall one tick later.
    let (cells, picked, broke) = guard(Baseline::Iterative);
    assert_eq!(cells, vec![(3, 2); 8], "it leaves at tick 1");
    assert_eq!(picked, 1);
    assert!(matches!(broke, Some(2 | 3)), "{broke:?}");
    // One-sided naive inaction blames the push and the break (2 × 8): clingy too.
    let (cells, picked, broke) = guard(Baseline::Naive);
    assert_eq!((cells, picked, broke), (vec![(3, 1); 8], 0, None));
}

#[test]
fn a_planning_ai_offsets_under_symmetric_naive_inaction_only() {
    // conveyor-offset: after the rescue (tick 1), the symmetric baseline blames the break
    // prevented from tick 3; the planner walks west (tick 1; it has a tick to spare), pushes the
    // vase back onto the belt (tick 3) and it breaks at tick 5.
    let run_under = |b: Baseline| {
        let mut s = builtin("conveyor-offset");
        s.impact.as_mut().unwrap().baseline = b;
        let (sim, rows, cols) = run(&s);
        let broken = sim.core().grid.objects.list()[0].broken;
        let planner = sim.core().agents[1].pos;
        (broken, (planner.x, planner.y), six(&rows, &cols, 10))
    };
    let (broken, at, b) = run_under(Baseline::NaiveSymmetric);
    assert!(broken, "the planner put the vase back: {b:?}");
    assert_eq!(at, (4, 4), "it pushed the vase north from (4, 5)");
    assert_eq!(b, [2.0, 1.0, 0.0, 1.0, 2.0, 2.0], "(none, naive, naive sym., stepwise, iterative, stationary)");
    let mut s = builtin("conveyor-offset");
    s.run.ticks = 5;
    let (_, rows, cols) = run(&s);
    assert_eq!(
        (1..=5).map(|t| at_(&rows, &cols, t, "impact_naive_symmetric")).collect::<Vec<_>>(),
        vec![0.0, 0.0, 1.0, 1.0, 0.0],
        "blamed from the shadow's break (tick 3) until the offset break (tick 5)"
    );
    for base in [Baseline::Naive, Baseline::Stepwise, Baseline::Iterative, Baseline::StationaryIterative] {
        let (broken, at, b) = run_under(base);
        assert!(!broken, "{base:?}: the vase stays rescued: {b:?}");
        assert_eq!(at, (5, 5), "{base:?}: the planner has no reason to move");
        assert_eq!(b, [1.0, 1.0, 1.0, 0.0, 0.0, 0.0], "{base:?}: the rescue push; the prevented break (symmetric)");
    }
}

#[test]
fn planning_worlds_follow_the_model_resume_and_ignore_the_thread_count() {
    for name in ["vase-guard", "conveyor-offset"] {
        let s = builtin(name);
        let mut sim = Sim::new(&s, 0, s.run.ticks);
        // The whole world model, planner and accounting included (an imagined copy has none).
        let mut model = Sim::model_of(&s, 0, &Sim::mechanisms());
        for t in 0..s.run.ticks {
            sim.step();
            model.step();
            assert_eq!(model.state_hash(), sim.state_hash(), "{name}: diverged at tick {}", t + 1);
        }
        let mut hashes = Vec::new();
        for threads in [1, 2] {
            let mut s = s.clone();
            s.impact.as_mut().unwrap().plan.as_mut().unwrap().threads = threads;
            let mut sim = Sim::new(&s, 0, s.run.ticks);
            (0..s.run.ticks).for_each(|_| sim.step());
            hashes.push(sim.state_hash());
        }
        assert_eq!(hashes[0], hashes[1], "{name}: 1 and 2 threads");
        assert_eq!(hashes[0], sim.state_hash(), "{name}");
    }
}

#[test]
fn a_bad_planner_is_a_located_error() {
    let src = builtin_source("vase-guard").replace("width: 16", "width: 0");
    let err = scenario::parse(&src, "guard.ron", "g").unwrap_err().to_string();
    assert!(err.contains("guard.ron:") && err.contains("impact.plan.width") && err.contains("1 to 16"), "{err}");
    // A tree too large to compute is refused before the run, not left to run for hours (a
    // tick of width 3, depth 5 imagines 8.1e5 world ticks; width 16, depth 8 about 1.7e15).
    let sized = |w: u32, d: u32| {
        builtin_source("vase-guard").replace("width: 16, depth: 2", &format!("width: {w}, depth: {d}"))
    };
    assert!(sized(3, 5).contains("width: 3, depth: 5"), "vase-guard's plan line changed");
    assert!(scenario::parse(&sized(3, 5), "guard.ron", "g").is_ok());
    for (w, d, shown) in [(4, 5, "3.4e6"), (16, 8, "1.7e15")] {
        let err = scenario::parse(&sized(w, d), "guard.ron", "g").unwrap_err().to_string();
        assert!(err.contains(&format!("impact.plan: this plan imagines about {shown} ticks")), "{err}");
        assert!(err.contains("hint: use a smaller width or depth"), "{err}");
    }
}

fn at_(rows: &[(u64, Vec<f64>)], cols: &[String], tick: u64, col: &str) -> f64 {
    at(rows, cols, tick, col)
}

fn builtin_source(name: &str) -> String {
    scenario::BUILTINS.iter().find(|b| b.name == name).unwrap().source.to_string()
}
