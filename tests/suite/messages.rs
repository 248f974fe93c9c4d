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
