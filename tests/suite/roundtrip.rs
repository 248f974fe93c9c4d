//! What Polity writes, Polity reads back (issue #18): every built-in repeats from its run
//! folder's `run.json` and `scenario.ron`, and every format Polity reads — run.json,
//! scenario.ron, checkpoints, a sweep folder's sweep.json, the app's scenario snapshots — is a
//! fixed point of write → read → write, infinite numbers included.

use std::path::Path;
use std::process::{Command, Output};

use polity::run_json::{self, RunJson};
use polity::scenario::{self, BUILTINS, Candidates, Dist, Objective, Scenario, VotingSpec};
use polity::sim::Sim;
use polity::sweep::spec::{Keep, Parameter, SeedRule, SweepSpec, Values};
use proptest::prelude::*;

fn polity(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polity")).args(args).output().expect("polity runs")
}

fn run_into(dir: &Path, args: &[&str]) {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", dir.to_str().unwrap()]);
    let out = polity(&all);
    assert!(out.status.success(), "polity {all:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
}

fn record(dir: &Path) -> RunJson {
    polity::json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap()
}

#[test]
fn every_builtin_repeats_from_its_run_json_and_its_scenario_ron() {
    let t = tempfile::tempdir().unwrap();
    for b in BUILTINS {
        let (a, from_json, from_ron) = (
            t.path().join(b.name),
            t.path().join(format!("{}-json", b.name)),
            t.path().join(format!("{}-ron", b.name)),
        );
        run_into(&a, &[b.name, "--ticks", "4", "--seed", "3"]);
        run_into(&from_json, &[a.join("run.json").to_str().unwrap()]);
        run_into(&from_ron, &[a.join("scenario.ron").to_str().unwrap()]);
        let want = record(&a);
        assert_eq!((want.seed, want.ticks), (3, 4), "{}", b.name);
        for again in [&from_json, &from_ron] {
            assert_eq!(record(again).state_hash, want.state_hash, "{}: state hash of {}", b.name, again.display());
            // The whole folder is the same, byte for byte: the streams, and the written
            // scenario and record, which are thus fixed points too.
            for f in ["metrics.csv", "agents.csv", "events.jsonl", "scenario.ron", "run.json"] {
                assert!(
                    std::fs::read(a.join(f)).unwrap() == std::fs::read(again.join(f)).unwrap(),
                    "{}: {f} differs in {}",
                    b.name,
                    again.display()
                );
            }
        }
    }
}

#[test]
fn a_repeat_that_does_not_repeat_an_unedited_run_json_fails() {
    // It only warned, so a reproducibility check in CI passed on a run that did not
    // reproduce. An unedited run.json whose state hash is not met is exit 1 (the files are
    // written); an edited one (its scenario changed to try a variant) still only warns.
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("a");
    run_into(&a, &["commons", "--ticks", "4"]);
    let mut r = record(&a);
    r.state_hash = "0123456789abcdef".into();
    r.write_sealed(&a).unwrap(); // as if another Polity had written it, sealed
    let json = a.join("run.json");
    let b = t.path().join("b");
    let o = polity(&["run", json.to_str().unwrap(), "--out", b.to_str().unwrap()]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("error: the run did not repeat") && e.contains("records 0123456789abcdef"), "{e}");
    assert!(b.join("run.json").is_file(), "the run's files are written");
    // Edited (not resealed): a warning, exit 0.
    let text = std::fs::read_to_string(&json).unwrap();
    std::fs::write(&json, text.replace("\"description\": \"", "\"description\": \"edited: ")).unwrap();
    let c = t.path().join("c");
    let o = polity(&["run", json.to_str().unwrap(), "--out", c.to_str().unwrap()]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{e}");
    assert!(e.contains("warning: the state hash") && e.contains("edited since Polity wrote it"), "{e}");
}

#[test]
fn governed_builtins_repeat_across_tax_periods_and_an_election() {
    // Long enough for tax periods (25 or 50 ticks), principals' decisions and the first
    // election (tick 100) to happen from the written, resolved scenario.
    let t = tempfile::tempdir().unwrap();
    for name in ["sed-apple-picking", "us2018", "paa-governor", "revenue-max", "shielded-revenue-max"] {
        let (a, b, c) =
            (t.path().join(name), t.path().join(format!("{name}-json")), t.path().join(format!("{name}-ron")));
        run_into(&a, &[name, "--ticks", "110", "--seed", "1"]);
        run_into(&b, &[a.join("run.json").to_str().unwrap()]);
        run_into(&c, &[a.join("scenario.ron").to_str().unwrap()]);
        for f in ["metrics.csv", "agents.csv", "events.jsonl", "run.json", "scenario.ron"] {
            let want = std::fs::read(a.join(f)).unwrap();
            assert!(want == std::fs::read(b.join(f)).unwrap(), "{name}: {f} from run.json");
            assert!(want == std::fs::read(c.join(f)).unwrap(), "{name}: {f} from scenario.ron");
        }
    }
}

#[test]
fn a_run_json_whose_reported_seed_or_ticks_were_edited_is_refused_not_ignored() {
    // A repeat reads `scenario.run`; the top-level `seed` and `ticks` report what ran. Editing
    // them alone used to run seed 0 for 100 ticks anyway, without a word.
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("a");
    run_into(&a, &["commons", "--ticks", "7"]);
    let src = std::fs::read_to_string(a.join("run.json")).unwrap();
    let edited = t.path().join("edited.json");
    std::fs::write(
        &edited,
        src.replacen("\"seed\": 0,", "\"seed\": 3,", 1).replacen("\"ticks\": 7,", "\"ticks\": 50,", 1),
    )
    .unwrap();
    let out = polity(&["run", edited.to_str().unwrap(), "--out", t.path().join("b").to_str().unwrap()]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("`seed` is 3 but the scenario's `run.seed` is 0") && e.contains("scenario.run.seed"), "{e}");
    assert!(e.contains("`ticks` is 50 but the scenario's `run.ticks` is 7"), "{e}");
    // (Which of the two was edited is not known: the hint said to put `seed` "back" to a value
    // it never had when the scenario's was the one edited.)
    assert!(e.contains("make the two agree: a repeat runs `scenario.run.seed` (0)"), "{e}");
    let line = src.lines().position(|l| l.trim_start().starts_with("\"seed\"")).unwrap() + 1;
    assert!(e.contains(&format!("edited.json:{line}:")), "located at the top-level seed (line {line}): {e}");
    assert!(!t.path().join("b").exists());
    // A misspelt field of its scenario gets the hint a scenario file's would.
    std::fs::write(&edited, src.replacen("\"count\":", "\"cuont\":", 1)).unwrap();
    let out = polity(&["run", edited.to_str().unwrap(), "--out", t.path().join("b").to_str().unwrap()]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("unknown field `cuont`") && e.contains("hint: did you mean `count`?"), "{e}");
    // A repeat as it ran says it repeated exactly; one whose scenario was edited inside the
    // run.json says it did not (the recorded state hash is the witness).
    let out = polity(&["run", a.join("run.json").to_str().unwrap(), "--out", t.path().join("c").to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("repeats the run its run.json records exactly"));
    // Regrowth beside one apple at 0.5 instead of 0.0025.
    let changed = src.replacen("        0.0025,", "        0.5,", 1);
    assert_ne!(changed, src);
    std::fs::write(&edited, changed).unwrap();
    let out = polity(&["run", edited.to_str().unwrap(), "--out", t.path().join("d").to_str().unwrap()]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{e}");
    assert!(e.contains("did not repeat that one"), "{e}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("records exactly"));
}

#[test]
fn infinities_are_written_as_strings_in_run_json() {
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("tragedy");
    run_into(&a, &["tragedy", "--ticks", "2"]);
    let text = std::fs::read_to_string(a.join("run.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["scenario"]["agents"][0]["power"]["Fixed"], "inf");
}

#[test]
fn an_old_run_json_with_null_for_infinity_says_what_happened_and_how_to_recover() {
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("old");
    run_into(&a, &["sed-apple-picking", "--ticks", "3"]);
    // What Polity wrote before: the voting menu's -inf as null.
    let text = std::fs::read_to_string(a.join("run.json")).unwrap();
    let at = text.find("\"-inf\"").expect("the menu's -inf");
    let line = text[..at].matches('\n').count() + 1;
    std::fs::write(a.join("run.json"), text.replacen("\"-inf\"", "null", 1)).unwrap();
    let out = polity(&["run", a.join("run.json").to_str().unwrap(), "--out", t.path().join("x").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let file = a.join("run.json").display().to_string();
    assert!(err.contains(&format!("{file}:{line}:")), "located at line {line}: {err}");
    assert!(err.contains("scenario.voting.candidates[0]"), "{err}");
    assert!(err.contains("null where a number belongs") && err.contains("infinite"), "{err}");
    assert!(err.contains(&format!("polity run {}", a.join("scenario.ron").display())), "{err}");
    // And the advice works.
    run_into(&t.path().join("y"), &[a.join("scenario.ron").to_str().unwrap()]);
}

#[test]
fn problems_in_run_json_and_sweep_json_are_located() {
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("a");
    run_into(&a, &["tragedy", "--ticks", "2"]);
    let text = std::fs::read_to_string(a.join("run.json")).unwrap();
    // A value of the wrong kind, and a value out of range, each at its line and column.
    let at = text.find("\"agents_every\": ").unwrap() + "\"agents_every\": ".len();
    let line = text[..at].matches('\n').count() + 1;
    let bad = format!("{}\"often\"{}", &text[..at], &text[at..].trim_start_matches(char::is_numeric));
    let file = t.path().join("bad.json");
    std::fs::write(&file, bad).unwrap();
    let out = polity(&["check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("bad.json:{line}:")) && err.contains("scenario.run.agents_every"), "{err}");
    let sigma = text.find("\"selfishness\"").unwrap();
    let fixed = sigma + text[sigma..].find("\"Fixed\": ").unwrap() + "\"Fixed\": ".len();
    assert!(!text[sigma..fixed].contains("power"), "tragedy's σ is Fixed");
    let (line, col2) = (text[..fixed].matches('\n').count() + 1, fixed - text[..fixed].rfind('\n').unwrap());
    let end = fixed + text[fixed..].find(['\n', ',']).unwrap();
    std::fs::write(&file, format!("{}7.5{}", &text[..fixed], &text[end..])).unwrap();
    let out = polity(&["check", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("bad.json:{line}:{col2}: scenario.agents[0].selfishness")), "{err}");
    // A damaged sweep.json is located too.
    let folder = t.path().join("sweep");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("sweep.json"),
        "{\n  \"hash\": \"00\",\n  \"runs\": 1,\n  \"spec\": {\"version\": null}\n}\n",
    )
    .unwrap();
    let err = polity::sweep::merge::marker(&folder).unwrap_err();
    assert!(err.contains("sweep.json:4:") && err.contains("spec.version"), "{err}");
}

/// Scenarios made from the built-ins with numbers changed, infinite powers and p = ±∞
/// among them.
fn scenarios() -> impl Strategy<Value = Scenario> {
    let power = prop_oneof![
        Just(Dist::Fixed(f64::INFINITY)),
        (0.0..10.0f64).prop_map(Dist::Fixed),
        (0.0..3.0f64, 0.0..3.0f64).prop_map(|(a, b)| Dist::Uniform(a.min(b), a.max(b))),
        // (A range's ends are finite: an infinite one is refused as a scenario's.)
        (0.0..3.0f64, 0.0..3.0f64).prop_map(|(a, b)| Dist::Spread(a.min(b), a.max(b))),
    ];
    let menu = proptest::sample::subsequence(vec![f64::NEG_INFINITY, -1.5, 0.0, 0.5, 1.0, 2.0, f64::INFINITY], 1..=5)
        .prop_shuffle();
    let objective = prop_oneof![Just(f64::NEG_INFINITY), Just(f64::INFINITY), -3.0..3.0f64];
    (
        0..BUILTINS.len(),
        power,
        0.0..=1.0f64,
        menu,
        objective,
        proptest::collection::vec(0.0..=1.0f64, 1..5),
        0.01..8.0f64,
        any::<u64>(),
    )
        .prop_map(|(b, power, sigma, menu, p, probabilities, radius, seed)| {
            let mut s = BUILTINS[b].scenario().unwrap();
            for g in &mut s.agents {
                g.power = power.clone();
                g.selfishness = Dist::Fixed(sigma);
            }
            s.regrowth.probabilities = probabilities;
            // (Of two or more, the first is for cells that never regrow: 0, or refused.)
            if let [first, _, ..] = &mut s.regrowth.probabilities[..] {
                *first = 0.0;
            }
            s.regrowth.radius = radius;
            s.run.seed = seed;
            let initial = s.voting.as_ref().and_then(|v| v.initial);
            s.voting = Some(VotingSpec {
                candidates: Candidates::Menu(menu.clone()),
                initial: initial.filter(|i| menu.contains(i)),
                ..s.voting.clone().unwrap_or_default()
            });
            if let Some(pr) = &mut s.principal {
                pr.objective = Objective::Fixed(p);
            }
            s
        })
}

fn sweep_specs() -> impl Strategy<Value = SweepSpec> {
    let value = prop_oneof![
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        any::<f64>().prop_filter("a number", |v| !v.is_nan())
    ];
    (proptest::collection::vec(value, 1..6), any::<f64>().prop_filter("finite", |v| v.is_finite()), 2..9u32).prop_map(
        |(list, from, steps)| SweepSpec {
            version: 1,
            base: "tragedy".into(),
            parameters: vec![
                Parameter { path: "agents.greedy.power".into(), values: Values::List(list) },
                Parameter { path: "regrowth.radius".into(), values: Values::Range { from, to: 8.0, steps } },
            ],
            replicates: 2,
            seeds: SeedRule::default(),
            ticks: Some(10),
            keep: vec![Keep::End("gini".into()), Keep::Mean("apples".into(), 5)],
            stop: Some(polity::sweep::spec::Stop::Below("apples".into(), f64::NEG_INFINITY)),
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn run_json_and_scenario_ron_are_fixed_points(s in scenarios()) {
        prop_assert!(scenario::check_typed(s.clone(), "generated").is_ok(), "generated scenarios are valid");
        // run.json
        let summary = polity::run::RunSummary {
            ticks: s.run.ticks, started_at: 0, seed: s.run.seed, columns: vec![], last: vec![], state_hash: 7,
            events: 0, picked: 0, agents: 0, kept_aside: None, replaced: None, ticking: Default::default(), checkpointing: Default::default(),
        };
        let text = RunJson::new(&s, &summary).to_text();
        let back = run_json::scenario_of(&text, "run.json").map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &s);
        prop_assert_eq!(RunJson::new(&back, &summary).to_text(), text);
        // scenario.ron
        let ron = scenario::to_ron(&s);
        let back = scenario::parse(&ron, "scenario.ron", "x").map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &s);
        prop_assert_eq!(scenario::to_ron(&back), ron);
    }

    #[test]
    fn checkpoints_and_snapshots_are_fixed_points(s in scenarios(), ticks in 0..3u64) {
        let t = tempfile::tempdir().unwrap();
        let mut sim = Sim::new(&s, s.run.seed, 10);
        for _ in 0..ticks {
            sim.step();
        }
        // A checkpoint.
        let path = t.path().join("cp.ron");
        let cp = sim.checkpoint();
        polity::checkpoint::save(&cp, &path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let back = polity::checkpoint::load(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back.scenario, &s);
        polity::checkpoint::save(&back, &path).unwrap();
        prop_assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        let mut again = Sim::restore(&back).unwrap();
        prop_assert_eq!(again.state_hash(), sim.state_hash());
        // The app's scenario snapshot.
        let snap = polity::control::snapshot_ron(&sim);
        let read = scenario::parse(&snap, "snapshot.ron", "x").map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&read, &polity::control::snapshot_scenario(&sim));
        prop_assert!(snap.ends_with(&(scenario::to_ron(&read) + "\n")), "the snapshot's RON is what it reads back as");
    }

    #[test]
    fn sweep_json_is_a_fixed_point(
        spec in sweep_specs(),
        hash in any::<u64>(),
        runs in 1..1000u64,
        played in proptest::collection::vec(("[a-z]{1,8}", "[ -~]{0,20}", any::<u64>()), 0..3),
    ) {
        let policies: Vec<polity::run_json::PlayedPolicy> = played
            .into_iter()
            .map(|(group, file, h)| polity::run_json::PlayedPolicy { group, file, weights_hash: format!("{h:016x}") })
            .collect();
        let t = tempfile::tempdir().unwrap();
        let text = polity::sweep::merge::marker_text(&spec, hash, runs, &policies);
        std::fs::write(t.path().join("sweep.json"), &text).unwrap();
        let m = polity::sweep::merge::marker(t.path()).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&m.spec, &spec);
        prop_assert_eq!((m.hash, m.runs), (format!("{hash:016x}"), runs));
        prop_assert_eq!(m.policies.as_deref(), Some(&policies[..]));
        prop_assert_eq!(polity::sweep::merge::marker_text(&m.spec, hash, runs, &policies), text);
    }
}

#[test]
fn a_sweep_over_infinite_values_merges_from_its_shards() {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("inf.ron");
    std::fs::write(
        &file,
        "Sweep(version: 1, base: \"tragedy\", parameters: [(path: \"agents.greedy.power\", values: List([1.0, inf]))],\n ticks: Some(5), keep: [End(\"apples\")], stop: Some(Below(\"apples\", -inf)))\n",
    )
    .unwrap();
    let (s0, s1) = (t.path().join("s0"), t.path().join("s1"));
    for (shard, dir) in [("0/2", &s0), ("1/2", &s1)] {
        let out = polity(&["sweep", file.to_str().unwrap(), "--shard", shard, "--out", dir.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let merged = t.path().join("all.csv");
    let out = polity(&["sweep-merge", s0.to_str().unwrap(), s1.to_str().unwrap(), "--out", merged.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = std::fs::read_to_string(merged).unwrap();
    assert!(table.lines().nth(2).unwrap().starts_with("1,1,0,0,inf,5,"), "{table}");
}

#[test]
fn a_written_scenario_reads_as_the_docs_write_one() {
    // A run folder's scenario.ron showed `Learned(LearnedSpec(`, `Some(TaxSpec(`,
    // `AgentGroup(` and `SED\'s`, a syntax no doc or built-in shows: it is written now as they
    // write one, and still reads back to the same scenario.
    for b in BUILTINS {
        let s = b.scenario().unwrap();
        let text = scenario::to_ron(&s);
        assert!(text.starts_with("Scenario(\n"), "{}", b.name);
        for type_name in ["Some(", "Spec(", "AgentGroup(", "UtilityWeights(", "LearnedPrincipal(", "\\'"] {
            assert!(!text.contains(type_name), "{}'s scenario.ron has {type_name}:\n{text}", b.name);
        }
        assert_eq!(scenario::parse(&text, "scenario.ron", "x").unwrap(), s, "{}", b.name);
    }
    let sed = scenario::to_ron(&scenario::builtin("sed-learners").unwrap().scenario().unwrap());
    assert!(sed.contains("SED's bilevel loop") && sed.contains("policy: Learned(\n"), "{sed}");
    // Quotes and backslashes in strings, and quotes as a legend's characters, stay as they were.
    let mut s = scenario::builtin("commons").unwrap().scenario().unwrap();
    s.description = r#"it's "quoted" \ and \' as typed"#.into();
    if let scenario::MapSpec::Ascii(map) = &mut s.map {
        for c in ['\'', '"', '\\'] {
            map.legend.insert(c, scenario::Tile::Floor);
        }
        map.rows[1].replace_range(1..4, "'\"\\");
    } else {
        panic!("commons has an ASCII map");
    }
    let text = scenario::to_ron(&s);
    assert!(text.contains(r#""it's \"quoted\" \\ and \\' as typed""#), "{text}");
    assert_eq!(scenario::parse(&text, "scenario.ron", "x").unwrap(), s, "{text}");
}
