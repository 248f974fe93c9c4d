//! The `polity` binary as a user meets it: runs, reproducibility, replay, listing, checking,
//! and the bad-input corpus under `tests/bad/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn polity(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polity")).args(args).output().expect("polity runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

const FILES: [&str; 5] = ["metrics.csv", "agents.csv", "events.jsonl", "run.json", "scenario.ron"];

fn run_into(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", dir.to_str().unwrap()]);
    let out = polity(&all);
    assert!(out.status.success(), "polity {all:?} failed:\n{}", text(&out.stderr));
    out
}

#[test]
fn same_seed_gives_identical_files_and_another_seed_differs() {
    let t = tmp();
    let (a, b, c) = (t.path().join("a"), t.path().join("b"), t.path().join("c"));
    run_into(&a, &["commons", "--ticks", "300", "--seed", "4"]);
    run_into(&b, &["commons", "--ticks", "300", "--seed", "4"]);
    run_into(&c, &["commons", "--ticks", "300", "--seed", "5"]);
    for f in FILES {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between identical runs"
        );
    }
    assert_ne!(std::fs::read(a.join("metrics.csv")).unwrap(), std::fs::read(c.join("metrics.csv")).unwrap());
    // The outputs have the promised shape.
    let metrics = std::fs::read_to_string(a.join("metrics.csv")).unwrap();
    let mut lines = metrics.lines();
    assert_eq!(
        lines.next().unwrap(),
        "tick,apples,harvested,patches_alive,gini,welfare_min,welfare_nash,welfare_mean,welfare_max,\
         equality_times_productivity,power_used_human,power_used_ai,alignment"
    );
    let first = lines.next().unwrap();
    let alignment: f64 = first.strip_prefix("0,64,0,6,0,0,0,0,0,0,0,0,").unwrap().parse().unwrap();
    assert!(alignment > 0.0 && alignment < 1.0, "{first}");
    assert_eq!(metrics.lines().count(), 302);
    let agents = std::fs::read_to_string(a.join("agents.csv")).unwrap();
    assert_eq!(agents.lines().next().unwrap(), "tick,id,kind,group,selfishness,power,x,y,apples,wealth,reward");
    // Samples at 0, 100, 200, 300 for 7 agents.
    assert_eq!(agents.lines().count(), 1 + 4 * 7);
    assert!(agents.lines().any(|l| l.starts_with("300,6,ai,harvesters,1.0,3.0,")));
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(a.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["seed"], 4);
    assert_eq!(run["ticks"], 300);
    assert_eq!(run["scenario_name"], "commons");
    assert_eq!(run["polity_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(run["scenario"]["run"]["seed"], 4);
    for line in std::fs::read_to_string(a.join("events.jsonl")).unwrap().lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(e["tick"].is_u64() && e["kind"].is_string() && e["subject"].is_string() && e["details"].is_object());
    }
}

#[test]
fn agents_csv_names_each_agents_group_and_an_unnamed_one_by_its_place() {
    let t = tmp();
    let src = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/commons.ron")).unwrap();
    assert!(src.contains("name: \"humans\","));
    let file = t.path().join("unnamed.ron");
    std::fs::write(&file, src.replacen("name: \"humans\",", "", 1)).unwrap();
    let out = t.path().join("r");
    run_into(&out, &[file.to_str().unwrap(), "--ticks", "3"]);
    let agents = std::fs::read_to_string(out.join("agents.csv")).unwrap();
    let mut groups: Vec<(String, String)> = agents
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[2].to_string(), c[3].to_string())
        })
        .collect();
    groups.dedup();
    // Five humans then two AIs, sampled at ticks 0 and 3.
    let want = [("human", "agents[0]"), ("ai", "harvesters")].map(|(k, g)| (k.to_string(), g.to_string()));
    assert_eq!(groups, [want.clone(), want].concat(), "{agents}");
}

#[test]
fn a_run_repeats_from_its_run_json_and_its_scenario_ron() {
    let t = tmp();
    let (a, b, c) = (t.path().join("a"), t.path().join("b"), t.path().join("c"));
    run_into(&a, &["commons", "--ticks", "150", "--seed", "9"]);
    run_into(&b, &[a.join("run.json").to_str().unwrap()]);
    run_into(&c, &[a.join("scenario.ron").to_str().unwrap()]);
    for f in ["metrics.csv", "agents.csv", "events.jsonl"] {
        let want = std::fs::read(a.join(f)).unwrap();
        assert_eq!(want, std::fs::read(b.join(f)).unwrap(), "{f} from run.json");
        assert_eq!(want, std::fs::read(c.join(f)).unwrap(), "{f} from scenario.ron");
    }
}

#[test]
fn rerunning_into_a_run_folder_replaces_it_but_a_foreign_folder_is_refused() {
    let t = tmp();
    let a = t.path().join("a");
    run_into(&a, &["commons", "--ticks", "20"]);
    run_into(&a, &["commons", "--ticks", "30"]);
    assert_eq!(std::fs::read_to_string(a.join("metrics.csv")).unwrap().lines().count(), 32);
    let foreign = t.path().join("mine");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "keep me").unwrap();
    let out = polity(&["run", "commons", "--ticks", "5", "--out", foreign.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a Polity run folder"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(foreign.join("notes.txt")).unwrap(), "keep me");
    // No staging folders are left next to the outputs.
    let leftovers: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn scenarios_lists_the_builtins_and_check_accepts_them() {
    let out = polity(&["scenarios"]);
    assert!(out.status.success());
    let s = text(&out.stdout);
    assert!(s.contains("commons ") && s.contains("commons-large"), "{s}");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let files: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path().display().to_string()).collect();
    let mut args = vec!["check"];
    args.extend(files.iter().map(String::as_str));
    let out = polity(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).matches(": ok").count(), files.len());
    // Each file's description is said under its line (docs/scenarios.md).
    let out = polity(&["check", &format!("{dir}/commons-large.ron")]);
    assert!(
        text(&out.stdout).contains("ok — `commons-large`, 10000 agents, 200 ticks\n  1000×1000 generated commons"),
        "{}",
        text(&out.stdout)
    );
}

/// A tax, election or audit period longer than the run is said (nothing would be collected,
/// elected or audited), by `check` for the file's ticks and by `run` for the run's; a period
/// the run reaches is not.
#[test]
fn periods_longer_than_the_run_are_said_before_it() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let audited = format!("{dir}/audited-commons.ron");
    let out = polity(&["check", &audited]);
    assert!(out.status.success() && !text(&out.stdout).contains("note:"), "{}", text(&out.stdout));
    let t = tmp();
    let path = t.path().join("long.ron");
    let source = std::fs::read_to_string(&audited).unwrap().replace("period: 50,", "period: 5000,");
    assert!(source.contains("period: 5000,"));
    std::fs::write(&path, source).unwrap();
    let out = polity(&["check", path.to_str().unwrap()]);
    assert!(
        text(&out.stdout).contains(
            "note: the audit period (5000 ticks) is longer than the run (1000 ticks): no audit is made and no fine is paid"
        ),
        "{}",
        text(&out.stdout)
    );
    // The run says it for its own ticks: sed's tax period is 50, its election's 100.
    let out = run_into(&t.path().join("sed"), &["sed-apple-picking", "--ticks", "60"]);
    let err = text(&out.stderr);
    assert!(
        err.contains("note: the election period (100 ticks) is longer than the run (60 ticks): no election is held"),
        "{err}"
    );
    assert!(!err.contains("tax period"), "{err}");
    // Forbidden classes no agent can commit here (the seeds tour, 2026-12-07: passed without a
    // word): evasion without a tax, theft without a stealing group.
    let path = t.path().join("all.ron");
    let source = std::fs::read_to_string(&audited)
        .unwrap()
        .replace("forbidden: [ClearCut],", "forbidden: [ClearCut, Evasion, Theft],");
    assert!(source.contains("Evasion, Theft"));
    std::fs::write(&path, source).unwrap();
    let out = text(&polity(&["check", path.to_str().unwrap()]).stdout);
    assert!(out.contains("note: oversight names `Evasion`, but there is no `tax` section"), "{out}");
    assert!(out.contains("note: oversight names `Theft`, but no group has `steal: true`"), "{out}");
    assert!(!out.contains("`ClearCut`"), "{out}");
    // A planner no policy plans with (a huge one was refused as too big to compute), and
    // learning settings with nothing learning (the scenario tour, 2026-12-07).
    let sed = std::fs::read_to_string(format!("{dir}/sed-apple-picking.ron")).unwrap();
    let path = t.path().join("hill.ron");
    let source = sed.replacen(
        "principal: (",
        "learning: (updates: 5),\n    principal: (planner: (budget: Budget(width: 16, depth: 8)), ",
        1,
    );
    assert_ne!(source, sed);
    std::fs::write(&path, source).unwrap();
    let o = polity(&["check", path.to_str().unwrap()]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(out.contains("note: principal.planner is set, but only the `Paa` policy and a shield plan"), "{out}");
    assert!(out.contains("note: `learning` is set, but no group and no principal is `Learned`"), "{out}");
}

#[test]
fn check_checks_sweep_files_as_sweeps() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/sweeps");
    let files: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path().display().to_string()).collect();
    let mut args = vec!["check", "commons"];
    args.extend(files.iter().map(String::as_str));
    let out = polity(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let o = text(&out.stdout);
    assert_eq!(o.matches(": ok — a sweep of").count(), files.len(), "{o}");
    assert!(o.contains("80 runs (10 combinations × 8 replicates)"), "oversight-k.ron: 5 × 2 values, 8 seeds:\n{o}");
    // A broken one is reported as a sweep, at its line and column, not as a broken scenario.
    let t = tmp();
    let bad = t.path().join("bad.ron");
    std::fs::write(
        &bad,
        "// a sweep\nSweep(\n    version: 1,\n    base: \"commons\",\n    parameters: [(path: \"regrowth.radus\", values: List([1.0]))],\n    keep: [End(\"apples\")],\n)\n",
    )
    .unwrap();
    let out = polity(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(e.contains("bad.ron:5:") && e.contains("radus") && !e.contains("unknown field `base`"), "{e}");
}

#[test]
fn every_help_example_is_a_whole_command_line() {
    // clap wraps help at 100 columns, so a long example was cut in two (`... --out` then
    // `runs/optimal` on a line of its own): pasted, it ran without its output. Each example
    // line is `polity ...`, a continuation after a line ending in `\`, or a comment.
    let top = text(&polity(&["--help"]).stdout);
    let mut commands: Vec<Vec<String>> = vec![vec![]];
    let names = |help: &str| -> Vec<String> {
        let after = help.split("Commands:").nth(1).unwrap_or("");
        after
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            // (a description's wrapped line is indented further)
            .filter(|l| !l.starts_with("   "))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| *n != "help")
            .map(String::from)
            .collect()
    };
    for name in names(&top) {
        commands.push(vec![name.clone()]);
        let help = text(&polity(&[&name, "--help"]).stdout);
        for sub in names(&help) {
            commands.push(vec![name.clone(), sub]);
        }
    }
    assert!(commands.len() > 15, "{commands:?}");
    for cmd in &commands {
        let mut args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        args.push("--help");
        let help = text(&polity(&args).stdout);
        let Some(examples) = help.split("Examples:\n").nth(1).or_else(|| help.split("Example:\n").nth(1)) else {
            continue;
        };
        let mut continued = false;
        for line in examples.lines().take_while(|l| !l.is_empty()) {
            let t = line.trim_start();
            // A comment beside a command wraps under itself, far to the right.
            let comment = line.len() - t.len() >= 10;
            assert!(
                t.starts_with("polity ") || t.starts_with("xvfb-run ") || t.starts_with('#') || continued || comment,
                "polity {}: an example cut by wrapping: `{line}`\n{help}",
                cmd.join(" ")
            );
            continued = line.ends_with('\\');
        }
    }
}

#[test]
fn help_teaches_with_examples() {
    let top = text(&polity(&["--help"]).stdout);
    assert!(top.contains("Examples:") && top.contains("polity run") && top.contains("Exit status"), "{top}");
    let run = text(&polity(&["run", "--help"]).stdout);
    for needle in ["--ticks", "--seed", "--out", "metrics.csv", "run.json", "Examples:"] {
        assert!(run.contains(needle), "run --help lacks {needle}:\n{run}");
    }
    assert!(text(&polity(&["check", "--help"]).stdout).contains("LINE:COLUMN"));
    // The columns every run has (tragedy has no AI agents and no mechanism), and those it has
    // with AI agents (commons), as real runs write them.
    let t = tmp();
    let header = |scenario: &str| {
        run_into(&t.path().join(scenario), &[scenario, "--ticks", "1"]);
        std::fs::read_to_string(t.path().join(scenario).join("metrics.csv"))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    let (every, with_ais) = (header("tragedy"), header("commons"));
    let flat: String = run.split_whitespace().collect();
    assert!(
        flat.contains(&format!("{every};thenthecolumnsofeachmechanism")),
        "run --help lacks the columns {every}:\n{run}"
    );
    // (After the mechanisms' columns, as a run with oversight and AI agents writes them: the
    // help said they came first.)
    let ai_columns = with_ais.strip_prefix(&format!("{every},")).unwrap();
    assert!(
        flat.contains(&format!("withAIagents{ai_columns},then")),
        "run --help lacks the AI columns {ai_columns}:\n{run}"
    );
    let governed = header("audited-commons");
    let (audits, ai) = (governed.find("audits").unwrap(), governed.find(ai_columns).unwrap());
    assert!(audits < ai, "oversight's columns come before the AI columns: {governed}");
}

#[test]
fn unknown_builtin_and_missing_file_are_clear_errors() {
    let out = polity(&["run", "comons"]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains("comons: no built-in scenario by this name") && e.contains("did you mean the built-in `commons`?"),
        "{e}"
    );
    let out = polity(&["check", "no/such/file.ron"]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(e.contains("no/such/file.ron: cannot read the file") && e.contains("hint:"), "{e}");
    let out = polity(&["run", "--ticks", "lots"]);
    assert_eq!(out.status.code(), Some(2), "a bad argument is bad input");
    // An empty name is said to be one (it printed ": no built-in scenario by this name"), and
    // a name that is a file's without `.ron` points at the file.
    let e = text(&polity(&["check", ""]).stderr);
    assert!(e.contains("the scenario given is an empty string"), "{e}");
    let t = tmp();
    std::fs::write(t.path().join("mini.ron"), "Scenario(version: 1)").unwrap();
    let out =
        Command::new(env!("CARGO_BIN_EXE_polity")).current_dir(t.path()).args(["check", "mini"]).output().unwrap();
    assert!(text(&out.stderr).contains("did you mean the file `mini.ron`?"), "{}", text(&out.stderr));
}

/// A negative number given to an option that takes none is refused as a value out of range,
/// naming the option; clap alone took `-5` for an unknown flag and suggested `-- -5`, which
/// passes it as the scenario. Options that take negative numbers still do.
#[test]
fn a_negative_number_is_refused_as_a_value_not_read_as_a_flag() {
    for (args, flag) in [
        (&["run", "commons", "--seed", "-5"][..], "--seed -5"),
        (&["gui", "--record", "x.gif", "--record-frames", "-1"][..], "--record-frames -1"),
        (&["run", "commons", "--threads", "-2"][..], "--threads -2"),
    ] {
        let out = polity(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let e = text(&out.stderr);
        assert!(e.contains(&format!("{flag}: a negative number is not allowed here")), "{args:?}: {e}");
        assert!(!e.contains("-- -"), "no advice to pass it as a positional: {e}");
    }
    // The help named is the subcommand's own, however deep (`sum loop` said `polity sum --help`).
    let e = text(&polity(&["sum", "loop", "--seed", "-1"]).stderr);
    assert!(e.contains("(`polity sum loop --help` says what --seed takes)"), "{e}");
    // Not a number at all: said so, and where to read what it takes (clap said only "invalid
    // digit found in string").
    for (args, says) in [
        (&["run", "--seed", "abc"][..], "--seed abc: not a number (`polity run --help` says what --seed takes)"),
        (&["sum", "--dims", "a,b"][..], "--dims a: not a number (`polity sum --help` says what --dims takes)"),
        (&["sum", "loop", "--powers", "x"][..], "--powers x: not a number (`polity sum loop --help`"),
        (&["sum", "--dims", "2,,4"][..], "--dims: an empty value (`,,`, or a `,` at either end?)"),
    ] {
        let out = polity(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains(says), "{args:?}: {}", text(&out.stderr));
    }
    // Zero where a count must be 1 or more: said plainly, not "number would be zero for
    // non-zero type" or "0 is not in 1..18446744073709551615".
    for (args, flag) in [
        (&["run", "commons", "--threads", "0"][..], "--threads 0"),
        (&["record", "commons", "--ticks-per-frame", "0"][..], "--ticks-per-frame 0"),
    ] {
        let out = polity(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let e = text(&out.stderr);
        assert!(e.contains(&format!("{flag}: give 1 or more")), "{args:?}: {e}");
    }
    // A screenshot into the frames folder a recording writes: refused before the app opens.
    let t = tempfile::tempdir().unwrap();
    let frames = t.path().join("frames");
    let shot = frames.join("shot.png");
    let out = polity(&[
        "gui",
        "commons",
        "--record",
        frames.to_str().unwrap(),
        "--record-frames",
        "3",
        "--screenshot",
        shot.to_str().unwrap(),
        "--exit",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(e.contains("inside the --record frames folder") && e.contains("--screenshot shot.png"), "{e}");
    assert!(!frames.exists(), "nothing written");
    // A bounded range reads the same below and above it (`--fps 121` was clap's "121 is not
    // in 1..=120", `--fps 0` "give 1 or more").
    for v in ["0", "121"] {
        let out = polity(&["record", "commons", "--fps", v]);
        assert_eq!(out.status.code(), Some(2));
        let e = text(&out.stderr);
        assert!(e.contains(&format!("--fps {v}: give 1 to 120")), "{e}");
    }
    // A 32-bit option's top is said (`--width 4294967296` said "give 0 or more").
    let e = text(&polity(&["plan-budget", "--width", "4294967296"]).stderr);
    assert!(e.contains("--width 4294967296: give 1 to 4294967295"), "{e}");
    // (It said "give 0 to …", and 0 was then refused: the range said is the one taken.)
    let e = text(&polity(&["plan-budget", "--width", "0", "--depth", "2"]).stderr);
    assert!(e.contains("--width 0: give 1 to 4294967295"), "{e}");
    let e = text(&polity(&["train", "commons-learners", "--updates", "0"]).stderr);
    assert!(e.contains("--updates 0: give 1 to 4294967295"), "{e}");
    // Past what clap reads at all it said only "number too large to fit in target type".
    let e = text(&polity(&["train", "commons-learners", "--updates", "99999999999999999999"]).stderr);
    assert!(e.contains("--updates 99999999999999999999: too large a number for --updates"), "{e}");
    // plan-budget's own check of a negative ε is reached.
    let out = polity(&["plan-budget", "--epsilon", "-1", "--gamma", "0.9", "--actions", "3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--epsilon must be a positive number, found -1"), "{}", text(&out.stderr));
}

/// Every file in tests/bad/ (scenarios, `.ron`, and run records, `.json`, which `polity run`
/// repeats) must fail `polity check` and `polity run` with exit status 2, print every line of
/// its `.expected` file, and create no output folder. Inputs that fuzzing (fuzz/) found to
/// crash or hang a reader are kept here too.
#[test]
fn bad_input_corpus() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bad"));
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries.into_iter().filter(|p| p.extension().is_some_and(|e| e == "ron" || e == "json")) {
        let expected_path = path.with_extension("expected");
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{} has no .expected file", path.display()));
        let rel = format!("tests/bad/{}", path.file_name().unwrap().to_string_lossy());
        let out = Command::new(env!("CARGO_BIN_EXE_polity"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["check", &rel])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{rel}");
        let stderr = text(&out.stderr);
        for line in expected.lines().filter(|l| !l.trim().is_empty()) {
            assert!(stderr.contains(line), "{rel}: expected\n  {line}\nin\n{stderr}");
        }
        let t = tmp();
        let outdir = t.path().join("out");
        let out = Command::new(env!("CARGO_BIN_EXE_polity"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["run", &rel, "--out", outdir.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{rel}");
        let run_stderr = text(&out.stderr);
        for line in expected.lines().filter(|l| !l.trim().is_empty()) {
            assert!(run_stderr.contains(line), "{rel}: `run` does not report\n  {line}\nin\n{run_stderr}");
        }
        // The same problems; `run` adds that nothing was run, `check` (which runs nothing in
        // any case) does not.
        assert!(
            !run_stderr.trim().is_empty() && stderr.starts_with(&run_stderr.replace("; nothing was run", "")),
            "run and check report the same problems:\n{}",
            text(&out.stderr)
        );
        let says = |t: &str| t.contains("; nothing was run");
        assert!(
            !says(&stderr) && (says(&run_stderr) || !run_stderr.contains("found")),
            "{rel}: {stderr}\n{run_stderr}"
        );
        assert!(!outdir.exists(), "{rel}: an output folder was created");
        assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 0, "{rel}: something was written");
        checked += 1;
    }
    assert!(checked >= 17, "only {checked} corpus files");
}

/// The fenced block after `marker` in README.md.
fn readme_block(marker: &str) -> Vec<String> {
    let readme = include_str!("../../README.md");
    let after = &readme[readme.find(marker).unwrap_or_else(|| panic!("README has no {marker:?}"))..];
    let body = &after[after.find("```text\n").unwrap() + 8..];
    body[..body.find("```").unwrap()].lines().map(str::to_string).collect()
}

#[test]
fn polity_with_no_arguments_and_no_display_runs_commons_headless_as_the_readme_shows() {
    let t = tmp();
    let bare = |display: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_polity"));
        cmd.current_dir(t.path()).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
        if let Some(d) = display {
            cmd.env("DISPLAY", d);
        }
        cmd.output().unwrap()
    };
    let out = bare(None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    if cfg!(feature = "gui") {
        assert!(
            text(&out.stderr).contains(
                "no display to open the app on (neither DISPLAY nor WAYLAND_DISPLAY is set); running headless"
            ),
            "{}",
            text(&out.stderr)
        );
    }
    // The summary README.md shows, line for line; `…` and the timing vary.
    let stdout = text(&out.stdout);
    let got: Vec<&str> = stdout.lines().collect();
    let want = readme_block("Headless, `cargo run --release -- run` writes");
    assert_eq!(got.len(), want.len(), "{stdout}");
    for (g, w) in got.iter().zip(&want) {
        let fixed = w.split(" in 0.01 s").next().unwrap().split('…').next().unwrap();
        assert!(g.starts_with(fixed), "README says\n  {w}\npolity says\n  {g}");
        if !w.contains('…') {
            assert_eq!(g, w);
        } else if !w.contains(" in 0.01 s") {
            assert_eq!(g.len() - fixed.len(), 16, "a 16-digit hash: {g}");
        }
    }
    assert!(got[0].ends_with(" ticks/s)"), "{}", got[0]);
    // Its numbers agree with each other and with the files: 67 apples among 7 agents is a
    // mean of 9.57, and the hash is run.json's.
    assert!((67.0f64 / 7.0 - 9.57).abs() < 0.005);
    let dir = t.path().join("runs/commons-seed0");
    for f in FILES {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    assert!(got[3].ends_with(run["state_hash"].as_str().unwrap()), "{}", got[3]);
    // DISPLAY set but empty is no display either.
    let again = bare(Some(""));
    assert!(again.status.success(), "{}", text(&again.stderr));

    // README: take the AIs out (the second group's count to 0 in the written scenario.ron)
    // and with seed 0 the humans keep all six patches alive for the whole run.
    let ron = std::fs::read_to_string(dir.join("scenario.ron")).unwrap();
    let second = ron.match_indices("count: 2,").map(|(i, _)| i).collect::<Vec<_>>();
    assert_eq!(second.len(), 1, "the harvesters' count");
    let edited = format!("{}count: 0,{}", &ron[..second[0]], &ron[second[0] + "count: 2,".len()..]);
    std::fs::write(t.path().join("no-ai.ron"), edited).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_polity"))
        .current_dir(t.path())
        .args(["run", "no-ai.ron", "--out", "runs/no-ai"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The README's first command still works after these (the copy left the run folder as
    // Polity wrote it; the README had the file edited in it, and `polity` then refused it).
    assert!(bare(None).status.success());
    let metrics = std::fs::read_to_string(t.path().join("runs/no-ai/metrics.csv")).unwrap();
    let mut lines = metrics.lines();
    let k = lines.next().unwrap().split(',').position(|c| c == "patches_alive").unwrap();
    let alive: Vec<&str> = lines.map(|l| l.split(',').nth(k).unwrap()).collect();
    assert_eq!(alive.len(), 1001, "ticks 0..=1000");
    assert!(alive.iter().all(|&a| a == "6"), "patches alive: {:?}", alive.iter().find(|&&a| a != "6"));
}

/// Runs `polity` with writes capped at one 512-byte block (SIGXFSZ ignored, so an oversized
/// write fails with EFBIG like a full disk instead of killing the process).
#[cfg(unix)]
fn polity_with_a_full_disk(dir: &Path, args: &str) -> Output {
    Command::new("sh")
        .current_dir(dir)
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f 1; exec \"{}\" {args}", env!("CARGO_BIN_EXE_polity")))
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn a_write_that_fails_mid_run_is_exit_status_1_and_leaves_nothing() {
    let t = tmp();
    let out = polity_with_a_full_disk(t.path(), "run commons --out full");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("error: writing full: "), "{}", text(&out.stderr));
    // A failed recording: the same.
    let out = polity_with_a_full_disk(t.path(), "record commons --ticks 30 --out rec.gif");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("error: recording rec.gif: "), "{}", text(&out.stderr));
    let left: Vec<_> = std::fs::read_dir(t.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "nothing half-written is left: {left:?}");
}

#[test]
fn a_plain_run_killed_mid_way_leaves_no_visible_folder() {
    let t = tmp();
    // Killed once its hidden staging folder has rows in it; a run that finishes first proves
    // nothing, so try again, longer.
    for ticks in [20_000u64, 100_000, 500_000] {
        let dir = t.path().join(format!("big{ticks}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_polity"))
            .args(["run", "commons", "--ticks", &ticks.to_string(), "--out"])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stage = polity::outputs::staged_name(
            &t.path().join(format!("big{ticks}")),
            polity::outputs::Stage::Partial,
            child.id(),
        );
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none()
            && std::fs::metadata(stage.join("metrics.csv")).map_or(true, |m| m.len() < 10_000)
        {
            assert!(start.elapsed().as_secs() < 120, "the run never started writing");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let _ = child.kill();
        if child.wait().unwrap().success() {
            std::fs::remove_dir_all(&dir).unwrap();
            continue;
        }
        assert!(!dir.exists(), "a killed run leaves no run folder");
        let visible: Vec<_> = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        assert!(visible.is_empty(), "visible leftovers: {visible:?}");
        assert!(stage.is_dir(), "the half-written files were in the hidden staging folder");
        return;
    }
    panic!("the run finished before every kill: nothing was tested");
}

#[test]
fn a_stdout_that_cannot_be_written_does_not_stop_the_work() {
    // `polity sweep … > /dev/full` and `polity sum … | head -0` exited 0 having written
    // nothing: the first line printed ended the command. Now the work goes on; a full stdout
    // is an error at the end (status 1, said on stderr), a reader gone away is not.
    use std::process::Stdio;
    let t = tmp();
    let sweep = t.path().join("s.ron");
    std::fs::write(
        &sweep,
        "Sweep(version: 1, base: \"commons\", parameters: [(path: \"agents[0].power\", values: List([1.0, 2.0]))], ticks: Some(5), keep: [End(\"apples\")])",
    )
    .unwrap();
    let out = |name: &str| t.path().join(name).to_str().unwrap().to_string();
    let commands: Vec<(Vec<String>, &str)> = vec![
        (vec!["sum".into(), "--dims".into(), "2".into(), "--out".into(), out("sum-D")], "sum-D/gain.csv"),
        (
            ["compare", "commons", "commons", "--seeds", "2", "--ticks", "5", "--out"]
                .map(String::from)
                .into_iter()
                .chain([out("c-D.csv")])
                .collect(),
            "c-D.csv",
        ),
        (vec!["sweep".into(), sweep.to_str().unwrap().into(), "--out".into(), out("sw-D")], "sw-D/results.csv"),
        (
            vec!["run".into(), "commons".into(), "--ticks".into(), "5".into(), "--out".into(), out("run-D")],
            "run-D/metrics.csv",
        ),
    ];
    for (args, made) in &commands {
        for full in [true, false] {
            let tag = if full { "full" } else { "closed" };
            let args: Vec<String> = args.iter().map(|a| a.replace("-D", &format!("-{tag}"))).collect();
            let made = t.path().join(made.replace("-D", &format!("-{tag}")));
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_polity"));
            cmd.args(&args).stderr(Stdio::piped());
            let o = if full {
                cmd.stdout(std::fs::File::options().write(true).open("/dev/full").unwrap()).output().unwrap()
            } else {
                let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
                drop(child.stdout.take());
                child.wait_with_output().unwrap()
            };
            let stderr = text(&o.stderr);
            assert!(made.is_file(), "{args:?} > {tag} stdout: {} not written; {stderr}", made.display());
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            if full {
                assert_eq!(o.status.code(), Some(1), "{args:?} > /dev/full: {stderr}");
                assert!(
                    stderr.contains("error: writing to stdout: ") && stderr.contains("any files it writes are written"),
                    "{stderr}"
                );
            } else {
                assert_eq!(o.status.code(), Some(0), "{args:?} | head -0: {stderr}");
            }
        }
    }
    // A help or version text that cannot be written is status 1 (clap's own exit said 0).
    for args in [&["--help"][..], &["run", "--help"], &["--version"]] {
        let o = Command::new(env!("CARGO_BIN_EXE_polity"))
            .args(args)
            .stdout(std::fs::File::options().write(true).open("/dev/full").unwrap())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?} > /dev/full");
        assert!(text(&o.stderr).contains("error: writing to stdout: "), "{args:?}");
    }
    // A stderr that cannot be written: the status is still the bad input's 2 (it was 101).
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad/negative-power.ron");
    let o = Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["check", bad.to_str().unwrap()])
        .stderr(std::fs::File::options().write(true).open("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_readme_lists_every_event_kind() {
    // README's "What a run writes" table named every kind but `aligned`.
    let source = include_str!("../../src/model/events.rs");
    let body = &source[source.find("pub fn kind(&self)").unwrap()..];
    let body = &body[..body.find("\n    }\n").unwrap()];
    let kinds: Vec<&str> = body.split("=> \"").skip(1).map(|s| &s[..s.find('"').unwrap()]).collect();
    assert!(kinds.len() >= 15 && kinds.contains(&"aligned"), "{kinds:?}");
    let readme = include_str!("../../README.md");
    let row = readme.lines().find(|l| l.starts_with("| `events.jsonl` |")).expect("the events row");
    for k in kinds {
        assert!(row.contains(&format!("`{k}`")), "README's events.jsonl row lacks `{k}`");
    }
}

#[test]
fn scenarios_prints_a_builtins_source_to_start_from() {
    // With only the binary, a built-in's source was out of reach (`polity scenarios` pointed at
    // scenarios/NAME.ron of the source tree; a run's scenario.ron is the resolved form).
    let o = polity(&["scenarios", "commons"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/commons.ron")).unwrap();
    assert_eq!(text(&o.stdout), format!("{}\n", source.trim_end()));
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("mine.ron"), &o.stdout).unwrap();
    let c = polity(&["check", t.path().join("mine.ron").to_str().unwrap()]);
    assert!(c.status.success(), "{}", text(&c.stderr));
    let o = polity(&["scenarios", "comons"]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(e.contains("no built-in scenario named `comons`\n    hint: did you mean `commons`?"), "{e}");
    let o = polity(&["scenarios", "zzzz"]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(e.contains("no built-in scenario named `zzzz`") && e.contains("commons, commons-large"), "{e}");
    assert!(text(&polity(&["scenarios"]).stdout).contains("polity scenarios NAME > mine.ron"));
}
