//! The app's intents as headless logic (`polity::control`): pause, step, speed, fast-forward,
//! reset, reseed, open and reload, live tax and power edits with their `param_change` events,
//! selection, the history the app keeps, and the snapshot scenario `polity check` accepts.
//! Runs without the `gui` feature.

use std::path::Path;
use std::process::Command;

use polity::agents::{Agent, Position, Power};
use polity::control::{self, Control, ControlError, Effect, FrameTicks, History, Intent, Source};
use polity::metrics::EventLog;
use polity::sim::Sim;
use polity::tax::TaxState;

fn start(name: &str) -> (Control, Sim) {
    Control::start(Source::Builtin(name.into()), None).expect("built-ins load")
}

fn never_out_of_time() -> bool {
    false
}

fn seed_of(sim: &Sim) -> u64 {
    sim.clock().seed
}

fn events(sim: &mut Sim) -> Vec<polity::metrics::SimEvent> {
    sim.world_mut().resource_mut::<EventLog>().drain()
}

#[test]
fn a_new_control_is_paused_and_pause_stops_ticks() {
    let (mut c, mut sim) = start("commons");
    assert!(c.paused);
    assert_eq!(c.ticks_this_frame(), FrameTicks::Paused);
    for _ in 0..5 {
        assert_eq!(c.run_frame(&mut sim, never_out_of_time), 0);
    }
    assert_eq!(sim.tick(), 0);
    c.apply(&mut sim, Intent::Play).unwrap();
    assert_eq!(c.run_frame(&mut sim, never_out_of_time), 1);
    c.apply(&mut sim, Intent::TogglePause).unwrap();
    assert!(c.paused);
    assert_eq!(c.run_frame(&mut sim, never_out_of_time), 0);
    assert_eq!(sim.tick(), 1);
}

#[test]
fn step_advances_exactly_one_tick_and_pauses() {
    let (mut c, mut sim) = start("commons");
    c.apply(&mut sim, Intent::Play).unwrap();
    assert_eq!(c.apply(&mut sim, Intent::Step).unwrap(), Effect::Ticked(1));
    assert_eq!(sim.tick(), 1);
    assert!(c.paused);
    c.apply(&mut sim, Intent::Step).unwrap();
    c.apply(&mut sim, Intent::Step).unwrap();
    assert_eq!(sim.tick(), 3);
    // Stepping by hand gives the same world as running: ticks never depend on frames.
    let mut other = Sim::new(&c.scenario, c.seed, c.end_tick);
    for _ in 0..3 {
        other.step();
    }
    assert_eq!(sim.state_hash(), other.state_hash());
}

#[test]
fn speed_k_advances_k_ticks_per_frame() {
    let (mut c, mut sim) = start("commons");
    c.apply(&mut sim, Intent::SetTicksPerFrame(7)).unwrap();
    c.apply(&mut sim, Intent::Play).unwrap();
    assert_eq!(c.ticks_this_frame(), FrameTicks::Exactly(7));
    assert_eq!(c.run_frame(&mut sim, never_out_of_time), 7);
    assert_eq!(sim.tick(), 7);
    assert_eq!(c.run_frame(&mut sim, never_out_of_time), 7);
    assert_eq!(sim.tick(), 14);
    // Out-of-range speeds are clamped.
    c.apply(&mut sim, Intent::SetTicksPerFrame(0)).unwrap();
    assert_eq!(c.ticks_this_frame(), FrameTicks::Exactly(1));
    c.apply(&mut sim, Intent::SetTicksPerFrame(1_000_000)).unwrap();
    assert_eq!(c.ticks_this_frame(), FrameTicks::Exactly(control::MAX_TICKS_PER_FRAME));
}

#[test]
fn fast_forward_ticks_until_the_frame_is_out_of_time() {
    let (mut c, mut sim) = start("commons");
    c.apply(&mut sim, Intent::FastForward(true)).unwrap();
    c.apply(&mut sim, Intent::Play).unwrap();
    assert_eq!(c.ticks_this_frame(), FrameTicks::AsManyAsFit);
    let mut checks = 0;
    let ran = c.run_frame(&mut sim, || {
        checks += 1;
        checks >= 25
    });
    assert_eq!(ran, 25);
    assert_eq!(sim.tick(), 25);
    // Always at least one tick, even when the budget is already spent.
    assert_eq!(c.run_frame(&mut sim, || true), 1);
    // A fixed speed leaves fast-forward.
    c.apply(&mut sim, Intent::SetTicksPerFrame(3)).unwrap();
    assert!(!c.fast_forward);
    assert_eq!(c.run_frame(&mut sim, || true), 3);
}

#[test]
fn the_world_pauses_at_the_end_of_the_run_and_play_goes_on_past_it() {
    let (mut c, mut sim) = start("commons");
    c.stop_at = Some(5);
    c.apply(&mut sim, Intent::SetTicksPerFrame(10)).unwrap();
    c.apply(&mut sim, Intent::Play).unwrap();
    assert_eq!(c.run_frame(&mut sim, never_out_of_time), 5);
    assert!(c.paused);
    assert_eq!(sim.tick(), 5);
    c.apply(&mut sim, Intent::Play).unwrap();
    assert_eq!(c.run_frame(&mut sim, never_out_of_time), 10);
    assert_eq!(sim.tick(), 15);
}

#[test]
fn reseed_and_reset_rebuild_the_world_at_tick_0_with_the_right_seed() {
    let (mut c, mut sim) = start("commons");
    assert_eq!(seed_of(&sim), 0);
    c.apply(&mut sim, Intent::SetTicksPerFrame(20)).unwrap();
    c.apply(&mut sim, Intent::Play).unwrap();
    c.run_frame(&mut sim, never_out_of_time);
    assert_eq!(sim.tick(), 20);

    assert_eq!(c.apply(&mut sim, Intent::Reseed(42)).unwrap(), Effect::Rebuilt);
    assert_eq!(sim.tick(), 0);
    assert_eq!(seed_of(&sim), 42);
    assert_eq!(c.seed, 42);
    let fresh42 = Sim::new(&c.scenario, 42, c.end_tick).state_hash();
    assert_eq!(sim.state_hash(), fresh42);
    assert_ne!(fresh42, Sim::new(&c.scenario, 0, c.end_tick).state_hash(), "another seed, another world");

    c.run_frame(&mut sim, never_out_of_time);
    assert_eq!(sim.tick(), 20);
    assert_eq!(c.apply(&mut sim, Intent::Reset).unwrap(), Effect::Rebuilt);
    assert_eq!(sim.tick(), 0);
    assert_eq!(seed_of(&sim), 42, "reset keeps the seed");
    assert_eq!(sim.state_hash(), fresh42);
    // The seed flag of `polity gui --seed` wins over the scenario's.
    let (c2, sim2) = Control::start(Source::Builtin("commons".into()), Some(9)).unwrap();
    assert_eq!((c2.seed, seed_of(&sim2)), (9, 9));
}

#[test]
fn a_tax_rate_edit_changes_the_rate_and_logs_one_param_change_event() {
    let (mut c, mut sim) = start("sed-apple-picking");
    events(&mut sim);
    for _ in 0..3 {
        c.apply(&mut sim, Intent::Step).unwrap();
    }
    events(&mut sim);
    let start_rates = sim.part::<TaxState>().unwrap().rates();
    assert_eq!(start_rates, vec![0.1, 0.1, 0.1]);
    let effect = c.apply(&mut sim, Intent::SetTaxRate { bracket: 1, rate: 0.3 }).unwrap();
    let tax = sim.part::<TaxState>().unwrap();
    assert_eq!(tax.schedule.rates, vec![100_000, 300_000, 100_000]);
    assert_eq!(tax.rates(), vec![0.1, 0.3, 0.1]);
    let logged = events(&mut sim);
    assert_eq!(logged.len(), 1, "{logged:?}");
    let e = &logged[0];
    assert_eq!((e.tick, e.kind(), e.subject.as_str()), (3, "param_change", "app"));
    assert_eq!(e.details()["parameter"], "tax.rates[1]");
    assert_eq!(e.details()["old"], 0.1);
    assert_eq!(e.details()["new"], 0.3);
    assert_eq!(effect, Effect::ParamChanged(e.clone()));
    // The taxes of the period are levied at the new rate: at tick 50 the revenue is positive.
    c.apply(&mut sim, Intent::SetTicksPerFrame(47)).unwrap();
    c.apply(&mut sim, Intent::Play).unwrap();
    c.run_frame(&mut sim, never_out_of_time);
    assert_eq!(sim.tick(), 50);
    let period = events(&mut sim).into_iter().find(|e| e.kind() == "tax_period").expect("a tax period at tick 50");
    assert_eq!(period.details()["rates"][1], 0.3);

    // Refused edits change nothing and log nothing.
    let before = sim.part::<TaxState>().unwrap().schedule.rates.clone();
    assert!(matches!(c.apply(&mut sim, Intent::SetTaxRate { bracket: 3, rate: 0.5 }), Err(ControlError::Invalid(_))));
    assert!(matches!(c.apply(&mut sim, Intent::SetTaxRate { bracket: 0, rate: 1.5 }), Err(ControlError::Invalid(_))));
    assert_eq!(sim.part::<TaxState>().unwrap().schedule.rates, before);
    assert!(events(&mut sim).is_empty());
    let (mut c, mut sim) = start("commons");
    let err = c.apply(&mut sim, Intent::SetTaxRate { bracket: 0, rate: 0.1 }).unwrap_err();
    assert_eq!(err.to_string(), "this scenario has no tax");
}

#[test]
fn a_power_edit_changes_every_agent_of_the_group_and_no_other() {
    let (mut c, mut sim) = start("commons");
    c.apply(&mut sim, Intent::Step).unwrap();
    events(&mut sim);
    let powers = |sim: &mut Sim| {
        let w = sim.world_mut();
        let mut v: Vec<(u32, u32, f64)> =
            w.query::<(&Agent, &Power)>().iter(w).map(|(a, p)| (a.id, a.group, p.0)).collect();
        v.sort_by_key(|r| r.0);
        v
    };
    let before = powers(&mut sim);
    assert_eq!(before.iter().filter(|r| r.1 == 1).count(), 2);
    c.apply(&mut sim, Intent::SetGroupPower { group: 1, power: 0.5 }).unwrap();
    let after = powers(&mut sim);
    for (b, a) in before.iter().zip(&after) {
        if a.1 == 1 {
            assert_eq!(a.2, 0.5, "agent {} of the AI group", a.0);
        } else {
            assert_eq!(a.2, b.2, "agent {} of another group is untouched", a.0);
        }
    }
    let logged = events(&mut sim);
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].details()["parameter"], "agents[1].power");
    assert_eq!(logged[0].details()["old"], 3.0);
    assert_eq!(logged[0].details()["new"], 0.5);
    assert_eq!(logged[0].tick, 1);
    // Greedy power is written as "inf" (JSON has no infinity).
    c.apply(&mut sim, Intent::SetGroupPower { group: 0, power: f64::INFINITY }).unwrap();
    assert_eq!(events(&mut sim)[0].details()["new"], "inf");
    assert!(c.apply(&mut sim, Intent::SetGroupPower { group: 2, power: 1.0 }).is_err());
    assert!(c.apply(&mut sim, Intent::SetGroupPower { group: 0, power: -1.0 }).is_err());
    let groups = control::group_views(&sim);
    assert_eq!(groups.len(), 2);
    assert_eq!((groups[0].count, groups[0].power), (5, (f64::INFINITY, f64::INFINITY)));
    assert_eq!((groups[1].count, groups[1].power), (2, (0.5, 0.5)));
}

#[test]
fn selection_finds_agents_by_cell_and_the_inspector_sees_them() {
    let (mut c, mut sim) = start("commons");
    for _ in 0..30 {
        c.apply(&mut sim, Intent::Step).unwrap();
    }
    let w = sim.world_mut();
    let (id, x, y) =
        w.query::<(&Agent, &Position)>().iter(w).map(|(a, p)| (a.id, p.x, p.y)).find(|r| r.0 == 6).unwrap();
    assert_eq!(control::agent_at(&sim, x, y), Some(id));
    assert_eq!(control::agent_at(&sim, 0, 0), None, "a wall has no agent");
    c.apply(&mut sim, Intent::Select(Some(6))).unwrap();
    assert_eq!(c.selected, Some(6));
    let v = control::agent_view(&sim, 6).unwrap();
    assert_eq!((v.id, v.group, v.group_name.as_str(), v.kind), (6, 1, "harvesters", polity::scenario::Kind::Ai));
    assert_eq!((v.x, v.y, v.selfishness, v.power), (x, y, 1.0, 3.0));
    assert!((v.decision.probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(v.decision.kl >= 0.0);
    assert!(matches!(c.apply(&mut sim, Intent::Select(Some(99))), Err(ControlError::Invalid(_))));
    assert_eq!(c.selected, Some(6));
    c.apply(&mut sim, Intent::Select(None)).unwrap();
    assert_eq!(c.selected, None);
}

#[test]
fn opening_a_bad_file_keeps_the_old_world_and_reload_picks_up_the_fix() {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("mine.ron");
    let good = polity::scenario::builtin("commons").unwrap().source.replace("ticks: 1000", "ticks: 300");
    std::fs::write(&file, &good).unwrap();
    let (mut c, mut sim) = Control::start(Source::File(file.clone()), None).unwrap();
    assert_eq!((c.end_tick, c.scenario.name.as_str()), (300, "commons"));
    c.apply(&mut sim, Intent::Step).unwrap();
    c.apply(&mut sim, Intent::Step).unwrap();

    std::fs::write(&file, good.replace("selfishness: Fixed(1.0)", "selfishness: Fixed(1.5)")).unwrap();
    let err = c.apply(&mut sim, Intent::Reload).unwrap_err();
    let text = err.to_string();
    let ControlError::Scenario(problems) = err else { panic!("{text}") };
    let p = &problems.0[0];
    assert_eq!(p.path, "agents[1].selfishness");
    assert!(text.starts_with(&format!("{}:", file.display())), "{text}");
    let (line, col) = p.position.expect("a located problem");
    assert!(text.contains(&format!(":{line}:{col}: agents[1].selfishness: ")), "{text}");
    assert_eq!(sim.tick(), 2, "the old world keeps running");

    std::fs::write(&file, good.replace("count: 2", "count: 1")).unwrap();
    assert_eq!(c.apply(&mut sim, Intent::Reload).unwrap(), Effect::Rebuilt);
    assert_eq!(sim.tick(), 0);
    assert_eq!(control::group_views(&sim)[1].count, 1);

    // Opening another scenario takes its seed and run length.
    c.apply(&mut sim, Intent::Open(Source::Builtin("tragedy".into()))).unwrap();
    assert_eq!(c.source, Source::Builtin("tragedy".into()));
    assert_eq!(c.end_tick, c.scenario.run.ticks);
    assert!(c.apply(&mut sim, Intent::Open(Source::Builtin("no-such".into()))).is_err());
    assert_eq!(c.source, Source::Builtin("tragedy".into()));
}

#[test]
fn the_history_writes_the_same_metrics_csv_as_polity_run() {
    let (mut c, mut sim) = start("sed-apple-picking");
    let mut h = History::new(&sim);
    h.take(&mut sim);
    c.apply(&mut sim, Intent::SetTicksPerFrame(30)).unwrap();
    c.apply(&mut sim, Intent::Play).unwrap();
    for _ in 0..4 {
        c.run_frame(&mut sim, never_out_of_time);
        h.take(&mut sim);
    }
    assert_eq!(h.rows.len(), 121);
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    let s = polity::scenario::load("sed-apple-picking").unwrap();
    polity::run::run_to_dir(&s, &polity::run::RunOptions { ticks: 120, seed: 0 }, &out, |_| {}).unwrap();
    assert_eq!(h.metrics_csv().unwrap(), std::fs::read_to_string(out.join("metrics.csv")).unwrap());
    assert!(h.event_kinds().contains(&"tax_period"));
    assert!(h.last("tax_revenue").is_some());
    // Plots cap their points.
    let series = h.series("apples", 50);
    assert!(series.len() <= 51, "{}", series.len());
    assert_eq!(series.last().unwrap()[0], 120.0);
    assert_eq!(h.series("apples", 1000).len(), 121);
    assert!(h.series("no_such_column", 10).is_empty());
}

#[test]
fn the_history_keeps_the_newest_events() {
    let (mut c, mut sim) = start("commons");
    let mut h = History::new(&sim);
    for k in 0..(control::EVENTS_KEPT + 10) {
        c.apply(&mut sim, Intent::SetGroupPower { group: 0, power: (k % 3) as f64 }).unwrap();
    }
    h.take(&mut sim);
    assert_eq!(h.events.len(), control::EVENTS_KEPT);
    assert_eq!(h.events_seen, control::EVENTS_KEPT as u64 + 10);
    // Which events: numbered ones pushed over two takes; the history must hold the newest
    // EVENTS_KEPT of all events seen, oldest first, whichever take they came in.
    let n = control::EVENTS_KEPT + 500;
    let push = |sim: &mut Sim, range: std::ops::Range<usize>| {
        let mut log = sim.world_mut().resource_mut::<EventLog>();
        for k in range {
            log.push(polity::model::SimEvent {
                tick: k as u64,
                subject: format!("n:{k}"),
                event: polity::model::Event::Other { kind: "param_change", details: serde_json::json!({ "k": k }) },
            });
        }
    };
    push(&mut sim, 0..700);
    h.take(&mut sim);
    push(&mut sim, 700..n);
    h.take(&mut sim);
    assert_eq!(h.events_seen, (control::EVENTS_KEPT + 10 + n) as u64);
    let kept: Vec<String> = h.events.iter().map(|e| e.subject.clone()).collect();
    let want: Vec<String> = (n - control::EVENTS_KEPT..n).map(|k| format!("n:{k}")).collect();
    assert_eq!(kept, want, "the newest {} events, oldest first", control::EVENTS_KEPT);
}

#[test]
fn the_history_remembers_the_newest_event_of_each_kind() {
    // The principal's panel shows the last PAA decision even after thousands of newer events.
    let (mut c, mut sim) = start("paa-governor");
    let mut h = History::new(&sim);
    c.apply(&mut sim, Intent::SetTicksPerFrame(60)).unwrap();
    c.apply(&mut sim, Intent::Play).unwrap();
    c.run_frame(&mut sim, never_out_of_time);
    h.take(&mut sim);
    let decision = h.latest.get("paa_decision").expect("a decision at ticks 25 and 50");
    assert_eq!(decision.tick, 50);
    let chosen = decision.details()["chosen"].clone();
    for k in 0..(control::EVENTS_KEPT + 10) {
        c.apply(&mut sim, Intent::SetGroupPower { group: 0, power: (k % 3) as f64 }).unwrap();
    }
    h.take(&mut sim);
    assert!(h.events.iter().all(|e| e.kind() != "paa_decision"), "pushed out of the kept events");
    assert_eq!(h.latest["paa_decision"].tick, 50);
    assert_eq!(h.latest["paa_decision"].details()["chosen"], chosen);
    assert_eq!(h.latest["param_change"].tick, 60);
}

fn polity_check(file: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_polity")).arg("check").arg(file).output().expect("polity runs")
}

fn assert_snapshot_rebuilds(sim: &mut Sim, dir: &Path, name: &str) {
    let ron = control::snapshot_ron(sim);
    let file = dir.join(format!("{name}.ron"));
    std::fs::write(&file, ron.as_bytes()).unwrap();
    let out = polity_check(&file);
    assert!(
        out.status.success(),
        "polity check refused the snapshot:\n{}\n{ron}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back = polity::scenario::load(file.to_str().unwrap()).unwrap();
    assert_eq!(back, control::snapshot_scenario(sim), "the RON reads back to the same scenario");
    // The rebuilt world has the same cells, apples and agents where they stood.
    let mut rebuilt = Sim::new(&back, back.run.seed, back.run.ticks);
    let (g0, g1) = (sim.grid(), rebuilt.grid());
    assert_eq!((g0.width(), g0.height(), g0.apples()), (g1.width(), g1.height(), g1.apples()));
    assert_eq!(g0.apple_digest(), g1.apple_digest());
    let agents = |s: &mut Sim| {
        let w = s.world_mut();
        let mut v: Vec<(u32, u32, u32, u32, u64)> = w
            .query::<(&Agent, &Position, &Power)>()
            .iter(w)
            .map(|(a, p, pw)| (a.id, a.group, p.x, p.y, pw.0.to_bits()))
            .collect();
        v.sort_unstable();
        v
    };
    assert_eq!(agents(sim), agents(&mut rebuilt));
    assert_eq!(seed_of(&rebuilt), seed_of(sim));
}

#[test]
fn a_snapshot_is_a_valid_scenario_that_rebuilds_the_world() {
    let t = tempfile::tempdir().unwrap();
    let (mut c, mut sim) = start("commons");
    c.apply(&mut sim, Intent::Reseed(3)).unwrap();
    c.apply(&mut sim, Intent::SetTicksPerFrame(60)).unwrap();
    c.apply(&mut sim, Intent::Play).unwrap();
    c.run_frame(&mut sim, never_out_of_time);
    c.apply(&mut sim, Intent::SetGroupPower { group: 1, power: 0.25 }).unwrap();
    assert_snapshot_rebuilds(&mut sim, t.path(), "commons");
    let s = control::snapshot_scenario(&sim);
    assert_eq!((s.name.as_str(), s.run.seed), ("commons-t60", 3));
    assert_eq!(s.agents[1].power, polity::scenario::Dist::Fixed(0.25));
    assert!(matches!(s.agents[0].selfishness, polity::scenario::Dist::Each(ref v) if v.len() == 5));

    // With taxes and voting: the live rates and the elected p are kept.
    let (mut c, mut sim) = start("sed-apple-picking");
    c.apply(&mut sim, Intent::SetTaxRate { bracket: 2, rate: 0.7 }).unwrap();
    c.apply(&mut sim, Intent::SetTicksPerFrame(120)).unwrap();
    c.apply(&mut sim, Intent::Play).unwrap();
    c.run_frame(&mut sim, never_out_of_time);
    assert_snapshot_rebuilds(&mut sim, t.path(), "sed");
    let s = control::snapshot_scenario(&sim);
    assert_eq!(s.tax.as_ref().unwrap().rates, Some(sim.part::<TaxState>().unwrap().rates()));
    assert_eq!(s.voting.as_ref().unwrap().initial, Some(sim.part::<polity::voting::Election>().unwrap().elected));

    // A generated map is redrawn as ASCII.
    let generated = t.path().join("gen.ron");
    std::fs::write(
        &generated,
        "Scenario(version: 1, name: \"gen\", map: Generated(width: 40, height: 30, patch_spacing: 8),
          agents: [(count: 12, selfishness: Uniform(0.0, 1.0)), (kind: Ai, count: 3, power: Fixed(inf))])",
    )
    .unwrap();
    let (mut c, mut sim) = Control::start(Source::File(generated), Some(5)).unwrap();
    for _ in 0..40 {
        c.apply(&mut sim, Intent::Step).unwrap();
    }
    assert_snapshot_rebuilds(&mut sim, t.path(), "gen");
}

#[test]
fn export_paths_never_overwrite() {
    let t = tempfile::tempdir().unwrap();
    let a = control::export_path(t.path(), "commons-seed0-t5", "csv");
    assert_eq!(a, t.path().join("commons-seed0-t5.csv"));
    control::write_atomic(&a, b"x").unwrap();
    let b = control::export_path(t.path(), "commons-seed0-t5", "csv");
    assert_eq!(b, t.path().join("commons-seed0-t5-2.csv"));
    // write_atomic leaves no temporary file behind and creates the folder.
    let nested = t.path().join("exports").join("m.csv");
    control::write_atomic(&nested, b"tick\n").unwrap();
    let names: Vec<_> = std::fs::read_dir(t.path().join("exports")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("m.csv")]);
    let (_, sim) = start("commons");
    assert_eq!(control::export_stem(&sim), "commons-seed0-t0");
}

#[test]
fn oversight_and_shield_edits_apply_at_once_and_are_logged() {
    let (mut c, mut sim) = start("audited-commons");
    events(&mut sim);
    let p_d = sim.part::<polity::oversight::Oversight>().unwrap().p_d;
    assert!((p_d - 0.2).abs() < 1e-12);
    c.apply(&mut sim, Intent::SetAuditProbability(0.5)).unwrap();
    c.apply(&mut sim, Intent::SetPenaltyK(4.0)).unwrap();
    let o = sim.part::<polity::oversight::Oversight>().unwrap();
    assert!((o.p_d - 0.1).abs() < 1e-12, "P_D = 0.5 × 0.2");
    assert_eq!((o.spec.audit_probability, o.spec.k), (0.5, 4.0));
    let logged: Vec<String> =
        events(&mut sim).iter().map(|e| e.details()["parameter"].as_str().unwrap().to_string()).collect();
    assert_eq!(logged, ["oversight.audit_probability", "oversight.k"]);
    assert!(matches!(c.apply(&mut sim, Intent::SetAuditProbability(0.0)), Err(ControlError::Invalid(_))));
    assert!(matches!(c.apply(&mut sim, Intent::SetShieldMargin(1.0)), Err(ControlError::Invalid(_))), "no shield here");

    let (mut c, mut sim) = start("shielded-revenue-max");
    events(&mut sim);
    c.apply(&mut sim, Intent::SetShieldMargin(3.5)).unwrap();
    let margin = sim
        .world()
        .resource::<polity::sim::ScenarioRes>()
        .0
        .principal
        .as_ref()
        .unwrap()
        .shield
        .as_ref()
        .unwrap()
        .margin;
    assert_eq!(margin, 3.5);
    assert_eq!(events(&mut sim)[0].details()["parameter"], "principal.shield.margin");
    assert!(matches!(c.apply(&mut sim, Intent::SetPenaltyK(1.0)), Err(ControlError::Invalid(_))), "no oversight here");
}

#[test]
fn opening_a_checkpoint_goes_on_from_where_it_was_saved() {
    let t = tempfile::tempdir().unwrap();
    let (mut c, mut sim) = start("audited-commons");
    c.apply(&mut sim, Intent::SetPenaltyK(4.0)).unwrap();
    for _ in 0..60 {
        sim.step();
    }
    let path = t.path().join("cp.ron");
    polity::checkpoint::save(&sim.checkpoint(), &path).unwrap();
    (0..40).for_each(|_| sim.step());
    let want = sim.state_hash();
    // Started on the checkpoint (`polity gui FILE`).
    let (c3, mut started) = Control::start(Source::File(path.clone()), None).unwrap();
    assert_eq!((started.tick(), c3.paused), (60, true));
    (0..40).for_each(|_| started.step());
    assert_eq!(started.state_hash(), want);
    // Another world entirely, then the checkpoint.
    let (mut c2, mut other) = start("tragedy");
    assert_eq!(c2.apply(&mut other, Intent::Open(Source::File(path.clone()))).unwrap(), Effect::Rebuilt);
    assert_eq!(other.tick(), 60);
    assert_eq!(other.part::<polity::oversight::Oversight>().unwrap().spec.k, 4.0, "live edits are kept");
    (0..40).for_each(|_| other.step());
    assert_eq!(other.state_hash(), want);
    // A damaged checkpoint leaves the running world alone.
    std::fs::write(&path, "(format:1, nonsense").unwrap();
    let before = other.state_hash();
    assert!(c2.apply(&mut other, Intent::Open(Source::File(path))).is_err());
    assert_eq!(other.state_hash(), before);
}
