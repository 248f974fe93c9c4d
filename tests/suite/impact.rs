//! Objects, theft and impact accounting: the push and belt rules, the thought experiments'
//! known answers per baseline, class-based whitelisting, the penalty steering the AI, thefts
//! and their audits, and the world model following worlds with objects and thieves.

use polity::agents::Ledger;
use polity::grid::Grid;
use polity::impact::{self, Impact};
use polity::metrics::{EventLog, MetricsLog};
use polity::objects::{Cause, ObjectKind, Objects, Push};
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
    // Rescue only.
    let (_, rows, cols) = run(&with_script(s.clone(), 0, "SS"));
    let rescue = baselines(&rows, &cols, end);
    assert_eq!(rescue, [1.0, 1.0, 0.0, 0.0, 0.0]);
    // Rescue, then put it back (the scenario's own script).
    let (_, rows, cols) = run(&s);
    assert_eq!(baselines(&rows, &cols, 6), rescue, "after the rescue, before the offset");
    let offset = baselines(&rows, &cols, end);
    assert_eq!(offset, [2.0, 0.0, 1.0, 2.0, 0.0]);
    // No baseline: rescuing beats doing nothing, offsetting costs.
    assert!(rescue[0] < nothing[0] && offset[0] > rescue[0]);
    // Naive inaction: rescuing costs and offsetting pays — it invites offsetting.
    assert!(rescue[1] > nothing[1] && offset[1] < rescue[1]);
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
    assert_eq!(at(&rows, &cols, 6, "impact_naive_penalty"), 10.0, "the prevented break, before the offset");
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
    let mut s = builtin("conveyor-belt");
    s.impact.as_mut().unwrap().class_whitelist = vec![(ObjectClass::Vase, InPlace, Moved)];
    let (_, rows, cols) = run(&s);
    assert_eq!(at(&rows, &cols, 3, "impact_class"), 0.0, "shadow moved, actual moved");
    assert_eq!(at(&rows, &cols, 6, "impact_class"), 1.0);
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
    for (b, want) in
        [(Baseline::None, 2.0), (Baseline::Naive, 0.0), (Baseline::Stepwise, 1.0), (Baseline::Iterative, 2.0)]
    {
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
