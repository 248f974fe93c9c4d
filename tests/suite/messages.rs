//! What a user reads: argument errors that name the argument that is wrong, checked before any
//! work and before anything is printed, and plurals and columns that read right.

use std::path::Path;
use std::process::{Command, Output};

fn polity_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polity")).current_dir(dir).args(args).output().expect("polity runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `args`, expects exit 2 with every `needles` in stderr, nothing on stdout and nothing
/// written in `dir`.
fn refused(dir: &Path, args: &[&str], needles: &[&str]) {
    let before: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name()).collect();
    let o = polity_in(dir, args);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
    for n in needles {
        assert!(e.contains(n), "{args:?}: expected `{n}` in\n{e}");
    }
    assert!(o.stdout.is_empty(), "{args:?} printed before failing:\n{}", text(&o.stdout));
    let after: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(before, after, "{args:?} wrote something");
}

#[test]
fn argument_errors_name_the_argument_that_is_wrong() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    std::fs::write(
        w.join("s.ron"),
        "Sweep(version: 1, base: \"commons\", parameters: [(path: \"regrowth.radius\", values: List([1.0, 2.0]))], replicates: 1, ticks: Some(2), keep: [End(\"apples\")])",
    )
    .unwrap();
    refused(w, &["sweep", "s.ron", "--shard", "0/0"], &["number of shards N must be at least 1"]);
    refused(w, &["sweep", "s.ron", "--shard", "3/2"], &["the index must be 0 to 1"]);
    refused(w, &["sweep", "s.ron", "--threads", "0"], &["--threads"]);
    refused(w, &["compare", "commons", "commons", "--threads", "0"], &["--threads"]);
    // `polity sum` says which value is wrong, and only that one.
    let o = polity_in(w, &["sum", "--alignment", "2", "--out", "x"]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(e.contains("--alignment must be in (0, 1), found 2"), "{e}");
    assert!(!e.contains("--dims") && !e.contains("--powers"), "{e}");
    refused(w, &["sum", "--powers", "1,inf", "--out", "x"], &["--powers", "found inf"]);
    refused(w, &["sum", "--dims", "1", "--out", "x"], &["--dims must each be at least 2, found 1"]);
    // sweep-report: --x and --png need --plot; a non-PNG name and a bad --x are refused before
    // the table is printed.
    let o = polity_in(w, &["sweep", "s.ron", "--out", "sw", "--threads", "1"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    refused(w, &["sweep-report", "sw", "--x", "regrowth.radius"], &["--plot"]);
    refused(w, &["sweep-report", "sw", "--png", "k.png"], &["--plot"]);
    refused(w, &["sweep-report", "sw", "--plot", "apples", "--x", "regrowth.radius", "--png", "z.jpg"], &[".png"]);
    refused(w, &["sweep-report", "sw", "--plot", "apples", "--x", "nope", "--png", "k.png"], &["nope"]);
    // A recording whose folder-of-frames name is a file is refused before any work.
    std::fs::write(w.join("commons.gif"), "x").unwrap();
    refused(w, &["record", "commons", "--ticks", "5", "--out", "commons.gif/"], &["commons.gif"]);
}

#[test]
fn counts_read_in_the_singular_and_listings_align() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    std::fs::write(
        w.join("one.ron"),
        "Scenario(version: 1, map: Ascii(rows: [\"WWWWW\", \"WAPAW\", \"WWWWW\"]), agents: [(kind: Human, count: 1)], run: (ticks: 1))",
    )
    .unwrap();
    let o = polity_in(w, &["check", "one.ron"]);
    assert!(o.status.success());
    assert_eq!(text(&o.stdout).lines().next().unwrap(), "one.ron: ok — `one`, 1 agent, 1 tick");
    let o = polity_in(w, &["run", "one.ron", "--out", "r"]);
    assert!(text(&o.stdout).starts_with("one · seed 0 · 1 tick in "), "{}", text(&o.stdout));
    let o = polity_in(w, &["record", "one.ron", "--out", "one.gif"]);
    assert!(text(&o.stdout).contains("· 1 tick → 1 frame of"), "{}", text(&o.stdout));

    // Every description in `polity scenarios` starts in the same column, however long the name.
    let o = polity_in(w, &["scenarios"]);
    let listing = text(&o.stdout);
    let rows: Vec<&str> = listing.lines().take_while(|l| !l.is_empty()).collect();
    assert!(rows.len() >= 10, "{listing}");
    let column = |row: &str| {
        let name_end = row.find(' ').unwrap();
        name_end + row[name_end..].find(|c: char| c != ' ').unwrap()
    };
    let first = column(rows[0]);
    for r in &rows {
        assert_eq!(column(r), first, "misaligned:\n{listing}");
    }
    let longest = polity::scenario::BUILTINS.iter().map(|b| b.name.len()).max().unwrap();
    assert_eq!(first, longest + 2, "two spaces after the longest name");
}

#[test]
fn groups_of_one_name_and_ranges_to_infinity_are_refused() {
    // Two groups named `h` ran, and a sweep's `agents.h.power` changed only the first; every
    // agent of `Uniform(0.0, inf)` got power inf.
    let t = tempfile::tempdir().unwrap();
    let src = r#"(version: 1, name: "v", map: Generated(width: 8, height: 8),
        agents: [(name: "h", kind: Human, count: 2), (name: "h", kind: Ai, count: 1, power: Uniform(0.0, inf))])"#;
    std::fs::write(t.path().join("v.ron"), src).unwrap();
    refused(
        t.path(),
        &["check", "v.ron"],
        &[
            "v.ron:2:61: agents[1].name: agents[0] is also named `h`",
            "hint: rename one of the two groups",
            "agents[1].power[1]: a range's ends must be finite numbers, found inf",
            "give `Fixed(inf)`",
        ],
    );
    // Groups without names, and a fixed infinite power, are fine.
    let ok = src.replace("name: \"h\", ", "").replace("Uniform(0.0, inf)", "Fixed(inf)");
    std::fs::write(t.path().join("v.ron"), ok).unwrap();
    let o = polity_in(t.path(), &["check", "v.ron"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn a_resume_given_other_options_shows_the_resumes_usage() {
    // The usage line read `polity run --resume <CHECKPOINT> [SCENARIO]`, offering what the
    // error had just refused.
    let t = tempfile::tempdir().unwrap();
    refused(
        t.path(),
        &["run", "--resume", "x.ron", "--ticks", "3"],
        &["cannot be used with '--ticks", "polity run [OPTIONS] [SCENARIO]\n       polity run --resume <CHECKPOINT>\n"],
    );
    // `polity train` alone showed `Usage: polity train <SCENARIO>`, as if there were no
    // other way in.
    refused(
        t.path(),
        &["train"],
        &["<SCENARIO>", "polity train [OPTIONS] <SCENARIO>\n       polity train --resume <DIR> [--updates <N>]\n"],
    );
}

#[test]
fn a_broken_range_of_candidates_is_no_menu_to_choose_from() {
    // Range(1.0, 0.0, 1) is wrong twice; the first p served was then said not to be among its
    // "candidates", with the hint "choose one of [1.0]".
    let t = tempfile::tempdir().unwrap();
    let src = r#"(version: 1, name: "v", map: Generated(width: 8, height: 8),
        agents: [(name: "h", kind: Human, count: 2)],
        voting: (candidates: Range(1.0, 0.0, 1), initial: 0.5))"#;
    std::fs::write(t.path().join("v.ron"), src).unwrap();
    refused(t.path(), &["check", "v.ron"], &["a range needs finite low < high", "a range needs at least 2 candidates"]);
    let e = text(&polity_in(t.path(), &["check", "v.ron"]).stderr);
    assert!(!e.contains("voting.initial") && !e.contains("choose one of"), "{e}");
}

#[test]
fn a_folder_named_like_a_built_in_leaves_the_name_to_the_built_in() {
    // `mkdir commons` then `polity check commons`: "cannot read the file: Is a directory".
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir(t.path().join("commons")).unwrap();
    let o = polity_in(t.path(), &["check", "commons"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("`commons`"), "{}", text(&o.stdout));
    // A folder by another name is still refused as a folder.
    std::fs::create_dir(t.path().join("mine")).unwrap();
    refused(t.path(), &["check", "mine"], &["give the scenario file itself, not its folder"]);
}

#[test]
fn a_file_named_like_a_built_in_is_read_only_by_its_path() {
    // A file `commons` (no extension) used to win over the built-in without a word.
    let t = tempfile::tempdir().unwrap();
    let mine = std::fs::read_to_string(format!("{}/scenarios/tragedy.ron", env!("CARGO_MANIFEST_DIR"))).unwrap();
    std::fs::write(t.path().join("commons"), mine).unwrap();
    refused(
        t.path(),
        &["check", "commons"],
        &["`commons` names both the built-in scenario and a file in this folder", "`./commons`", "rename the file"],
    );
    let o = polity_in(t.path(), &["check", "./commons"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("`tragedy`"), "{}", text(&o.stdout));
}

#[test]
fn a_thread_count_far_past_the_cores_is_refused() {
    // `--threads 100000` started threads for minutes, printing nothing.
    let t = tempfile::tempdir().unwrap();
    let most = polity::parallel::max_threads();
    let over = (most + 1).to_string();
    refused(
        t.path(),
        &["--threads", &over, "run", "commons", "--ticks", "2", "--out", "r"],
        &[&format!("--threads {over}: at most {most} here")],
    );
    refused(
        t.path(),
        &["train", "commons-learners", "--threads", "100000", "--out", "t"],
        &["--threads 100000: at most"],
    );
    // Given twice (before and after the command), it was the last, silently.
    refused(
        t.path(),
        &["--threads", "1", "compare", "commons", "commons", "--seeds", "2", "--ticks", "2", "--threads=2"],
        &["--threads is given more than once"],
    );
    let o = polity_in(t.path(), &["--threads", &most.to_string(), "run", "commons", "--ticks", "2", "--out", "r"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn a_folder_or_a_policy_file_given_as_a_scenario_says_what_to_give() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    std::fs::create_dir_all(w.join("cl")).unwrap();
    std::fs::write(w.join("cl/train.json"), "{}").unwrap();
    std::fs::create_dir_all(w.join("r")).unwrap();
    std::fs::write(w.join("r/run.json"), "{}").unwrap();
    std::fs::write(w.join("p.safetensors"), [8u8, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe]).unwrap();
    // "cannot read the file: Is a directory … give the scenario file itself".
    refused(w, &["train", "cl", "--out", "o"], &["this is a training folder", "polity train --resume cl"]);
    refused(w, &["run", "r", "--out", "o"], &["this is a run folder", "r/run.json"]);
    // "the file is not UTF-8 text … save the scenario as UTF-8".
    refused(
        w,
        &["check", "p.safetensors"],
        &["this is a policy file (safetensors), not a scenario", "--policy GROUP=FILE"],
    );
}

/// A small valid scenario, one line.
const ONE: &str = r#"Scenario(version: 1, map: Ascii(rows: ["WWWWW", "WAPAW", "WWWWW"]), agents: [(kind: Human, count: 1)], run: (ticks: 1))"#;

/// `polity check` on `src`: refused (exit 2, nothing on stdout); its stderr.
fn check_refuses(src: &str) -> String {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("s.ron"), src).unwrap();
    let o = polity_in(t.path(), &["check", "s.ron"]);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{src}\n{e}");
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
    e
}

#[test]
fn a_misspelt_struct_name_is_refused_at_the_name() {
    // `Sceanrio(…)`, `AgentGrop(…)`, `RunSpek(…)` passed `polity check`: a name was never read.
    let src =
        ONE.replace("Scenario(", "Sceanrio(").replace("[(kind", "[AgentGrop(kind").replace("run: (", "run: RunSpek(");
    let e = check_refuses(&src);
    let expected = [
        "s.ron:1:1: expected `Scenario` (or no name), found `Sceanrio`\n    hint: did you mean `Scenario`?",
        "s.ron:1:78: agents[0]: expected `AgentGroup` (or no name), found `AgentGrop`\n    hint: did you mean `AgentGroup`?",
        "s.ron:1:118: run: expected `RunSpec` (or no name), found `RunSpek`\n    hint: did you mean `RunSpec`?",
        "3 problems found",
    ];
    for x in expected {
        assert!(e.contains(x), "expected\n{x}\nin\n{e}");
    }
    // The right names, or none, still pass; a sweep file is still `Sweep(…)`.
    let t = tempfile::tempdir().unwrap();
    let named = ONE.replace("[(kind", "[AgentGroup(kind").replace("run: (", "run: RunSpec(");
    for (name, src) in [("named.ron", named), ("bare.ron", ONE.replacen("Scenario(", "(", 1))] {
        std::fs::write(t.path().join(name), src).unwrap();
        let o = polity_in(t.path(), &["check", name]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o.stderr));
    }
    std::fs::write(
        t.path().join("sw.ron"),
        r#"Swep(version: 1, base: "commons", parameters: [(path: "regrowth.radius", values: List([1.0]))], replicates: 1, keep: [End("apples")])"#,
    )
    .unwrap();
    let o = polity_in(t.path(), &["sweep", "sw.ron", "--out", "o"]);
    assert!(text(&o.stderr).contains("sw.ron:1:1: expected `Sweep` (or no name), found `Swep`"), "{}", text(&o.stderr));
}

#[test]
fn a_value_decoding_could_not_read_is_not_checked_as_its_stand_in() {
    // `(-1, 1)` was checked as `(0, 1)`: "(0, 1) is a wall", listed before the real problem.
    let src = ONE.replace("count: 1)", "count: 1, spawn: At([(-1, 1)]))");
    let e = check_refuses(&src);
    assert!(e.contains("agents[0].spawn[0][0]: expected a non-negative integer, found -1"), "{e}");
    assert!(!e.contains("wall") && e.contains("1 problem found"), "{e}");
}

#[test]
fn a_file_that_is_not_a_struct_is_that_one_problem() {
    // A list for a whole file: one problem, not one per field at its stand-in value 0.
    let e = check_refuses("[1, 2, 3]");
    assert!(e.starts_with("s.ron:1:1: expected a struct `(field: value, …)`, found a list `[…]`\n    hint: a scenario file holds one struct: `Scenario(version: 1, name: "), "{e}");
    assert!(e.contains("1 problem found") && !e.contains("found 0"), "{e}");
}

#[test]
fn a_legend_key_of_the_wrong_kind_is_the_problem_not_the_rows() {
    // A string for a legend's character: that is the problem, not the rows' characters it
    // leaves out of the legend (whose list of characters showed the stand-in '?').
    let src = ONE.replace(r#""WWWWW"])"#, r#""W~~~W"], legend: { "~": Wall })"#);
    let e = check_refuses(&src);
    assert!(e.contains(r#"map.legend["~"]: expected a character, found a string"#), "{e}");
    assert!(e.contains("hint: a character is written in single quotes: '~'"), "{e}");
    assert!(!e.contains("unknown map character") && !e.contains("'?'") && e.contains("1 problem found"), "{e}");
}

#[test]
fn rates_without_brackets_are_one_problem_and_counts_read_right() {
    // "give `brackets` and `rates`, or a `preset`" came with "1 rates for 3 brackets", though
    // no brackets were given.
    let e = check_refuses(&ONE.replace("run: (", "tax: Some((rates: [0.5])), run: ("));
    assert!(e.contains("tax: give `brackets` and `rates`, or a `preset`"), "{e}");
    assert!(!e.contains("rates for") && e.contains("1 problem found"), "{e}");
    let e = check_refuses(&ONE.replace("run: (", "tax: Some((brackets: [0.0, 10.0], rates: [0.5])), run: ("));
    assert!(e.contains("tax.rates: 1 rate for 2 brackets; give one rate per bracket"), "{e}");
}

#[test]
fn a_mean_over_no_ticks_says_what_it_needs() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("s.ron"),
        r#"Sweep(version: 1, base: "commons", parameters: [(path: "regrowth.radius", values: List([1.0]))], replicates: 1, keep: [Mean("welfare_mean", 0)])"#,
    )
    .unwrap();
    let o = polity_in(t.path(), &["sweep", "s.ron", "--out", "o"]);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("keep[0]: a mean must be over at least 1 tick, found 0"), "{e}");
    assert!(e.contains(r#"`Mean("welfare_mean", 100)`"#), "{e}");
    // Over more ticks than any run has: the column was named `welfare_mean_mean_last_1000` for
    // runs of 60 ticks (the longest a varied run.ticks gives), silently.
    std::fs::write(
        t.path().join("s.ron"),
        r#"Sweep(version: 1, base: "commons", parameters: [(path: "run.ticks", values: List([40.0, 60.0]))], replicates: 1, keep: [Mean("welfare_mean", 1000), Mean("apples", 60)])"#,
    )
    .unwrap();
    let o = polity_in(t.path(), &["sweep", "s.ron", "--out", "o"]);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("keep[0]: a mean over the last 1000 ticks, but no run has more than 60"), "{e}");
    assert!(!e.contains("keep[1]"), "60 is a whole run: {e}");
    assert!(!t.path().join("o").exists());
}

#[test]
fn a_plan_too_large_for_a_float_still_says_how_large() {
    // "this plan imagines about inf tax periods per decision".
    let src = ONE.replace(
        "run: (",
        "tax: Some((preset: Sed)), principal: Some((policy: Paa, objective: Fixed(1.0), planner: (budget: Guarantee(epsilon: 1000.0, delta: 0.1)))), run: (",
    );
    let e = check_refuses(&src);
    assert!(e.contains("principal.planner.budget: this plan imagines about "), "{e}");
    assert!(!e.contains("inf"), "{e}");
    let at = e.find("about ").unwrap() + 6;
    let number = &e[at..at + e[at..].find(' ').unwrap()];
    let (m, x) = number.split_once('e').unwrap_or_else(|| panic!("{number}: {e}"));
    assert!(m.parse::<f64>().is_ok() && x.parse::<u32>().unwrap() > 308, "{number}");
}

#[test]
fn a_generated_map_without_spacing_is_one_problem_and_spawn_counts_read_in_words() {
    // `patch_spacing: 0` also reported `map.jitter: the jitter must be below the spacing (0),
    // found 2`, a field the file never wrote.
    let e = check_refuses(
        r#"Scenario(version: 1, map: Generated(width: 20, height: 20, patch_spacing: 0), agents: [(kind: Human, count: 1)], run: (ticks: 1))"#,
    );
    assert!(e.contains("map.patch_spacing: the spacing must be at least 1"), "{e}");
    assert!(!e.contains("jitter"), "{e}");
    // "`At` lists 1 cells".
    let e = check_refuses(&ONE.replace("count: 1)", "count: 2, spawn: At([(1, 1)]))"));
    assert!(e.contains("`At` lists 1 cell but the group has count 2"), "{e}");
}

#[test]
fn a_mistyped_command_and_a_runs_own_files_are_named() {
    let t = tempfile::tempdir().unwrap();
    // `polity rn` got no suggestion (`polity sum lop` did).
    let o = polity_in(t.path(), &["rn", "commons"]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(e.contains("unrecognized subcommand 'rn'") && e.contains("a similar subcommand exists: 'run'"), "{e}");
    // A run's table given as the scenario: said what it is (it was a RON error at 1:5).
    let run = t.path().join("r");
    let o = polity_in(t.path(), &["run", "commons", "--ticks", "3", "--out", run.to_str().unwrap()]);
    assert!(o.status.success());
    for (file, what) in [("metrics.csv", "a CSV table"), ("events.jsonl", "a JSON-lines file")] {
        let arg = format!("r/{file}");
        refused(
            t.path(),
            &["check", &arg],
            &[&format!("r/{file}: this is {what}"), "a run's run.json to repeat the run"],
        );
    }
}

#[test]
fn an_output_is_never_one_of_the_commands_inputs_even_with_force() {
    // `compare c.ron commons --out c.ron --force` replaced the scenario with the table, and
    // `sweep-merge … --out SHARD/runs/run-000000.csv --force` broke the shard it read.
    let t = tempfile::tempdir().unwrap();
    let scenario = t.path().join("c.ron");
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/commons.ron")).unwrap();
    std::fs::write(&scenario, &text).unwrap();
    refused(
        t.path(),
        &["compare", "c.ron", "commons", "--seeds", "2", "--ticks", "3", "--out", "./c.ron", "--force"],
        &["./c.ron: is an input file c.ron; Polity does not write over its own inputs, even with --force"],
    );
    assert_eq!(std::fs::read_to_string(&scenario).unwrap(), text);
    // The same file under another name (a hard link) is the input too (the new-user tour,
    // 2026-12-06: `compare h.ron … --out c.ron --force` replaced c.ron).
    std::fs::hard_link(&scenario, t.path().join("h.ron")).unwrap();
    refused(
        t.path(),
        &["compare", "h.ron", "commons", "--seeds", "2", "--ticks", "3", "--out", "c.ron", "--force"],
        &["c.ron: is an input file h.ron; Polity does not write over its own inputs, even with --force"],
    );
    assert_eq!(std::fs::read_to_string(&scenario).unwrap(), text);
    std::fs::write(
        t.path().join("s.ron"),
        "Sweep(version: 1, base: \"commons\", parameters: [(path: \"agents[0].power\", values: List([1.0, 2.0]))], ticks: Some(3), keep: [End(\"apples\")])",
    )
    .unwrap();
    let o = polity_in(t.path(), &["sweep", "s.ron", "--out", "sh", "--shard", "0/2"]);
    assert!(o.status.success(), "{}", text_of(&o));
    let row = t.path().join("sh/runs/run-000000.csv");
    let before = std::fs::read(&row).unwrap();
    refused(
        t.path(),
        &["sweep-merge", "sh", "--out", "sh/runs/run-000000.csv", "--force"],
        &["lies inside the input folder sh; Polity writes nothing into its inputs, even with --force"],
    );
    assert_eq!(std::fs::read(&row).unwrap(), before);
    // The policy files played are inputs too (the files tour, 2026-12-07: `--out
    // pol.safetensors --force` replaced the trained weights with the table).
    let s = polity::scenario::load("commons-learners").unwrap();
    let header = polity::learn::play::header(&s, 0).unwrap();
    let weights = polity::learn::net::Policy::init(header, 9).to_bytes().unwrap();
    std::fs::write(t.path().join("pol.safetensors"), &weights).unwrap();
    for (flag, out) in [("--policy", "--out"), ("--policy-b", "--per-seed")] {
        refused(
            t.path(),
            &[
                "compare",
                "commons-learners",
                "commons-learners",
                "--seeds",
                "2",
                "--ticks",
                "3",
                flag,
                "learners=pol.safetensors",
                out,
                "pol.safetensors",
                "--force",
            ],
            &["pol.safetensors: is an input file ", "pol.safetensors; Polity does not write over its own inputs"],
        );
    }
    assert_eq!(std::fs::read(t.path().join("pol.safetensors")).unwrap(), weights);
}

fn text_of(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}
