//! `polity compare` as a user meets it: identical scenarios show no differences, taking the
//! AIs out of the commons significantly saves patches, the CSV does not depend on the thread
//! count, and bad input exits 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn polity(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polity")).args(args).output().expect("polity runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `polity compare ARGS --out DIR/NAME` successfully; returns stdout and the CSV rows.
fn compare_csv(dir: &Path, name: &str, args: &[&str]) -> (String, Vec<Vec<String>>) {
    let csv = dir.join(name);
    let mut all = vec!["compare"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", csv.to_str().unwrap()]);
    let out = polity(&all);
    assert!(out.status.success(), "polity {all:?} failed:\n{}", text(&out.stderr));
    let body = std::fs::read_to_string(&csv).unwrap();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body.as_bytes());
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    (text(&out.stdout), rows)
}

const HEADER: &str = "metric,a_mean,a_ci95,b_mean,b_ci95,diff,diff_ci95,p_value,significant,p_welch,n,a,b,seeds,a_ticks,b_ticks,\
     polity_version";
/// The metric columns of `commons`, from the header of a `polity run`'s metrics.csv.
fn commons_metrics() -> Vec<String> {
    metrics_of("commons")
}

/// The metric columns a `polity run` of `scenario` writes.
fn metrics_of(scenario: &str) -> Vec<String> {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("run");
    let out = polity(&["run", scenario, "--ticks", "1", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    let columns: Vec<String> = header.split(',').skip(1).map(str::to_string).collect();
    assert!(columns.iter().any(|c| c == "patches_alive"), "{header}");
    columns
}

/// The table lines of the text output that start with a metric name.
fn table_rows<'a>(stdout: &'a str, metrics: &[String]) -> Vec<&'a str> {
    stdout.lines().filter(|l| metrics.iter().any(|m| l.starts_with(&format!("{m} ")))).collect()
}

/// `commons` without its AI harvesters, written to `dir`.
fn commons_without_ais(dir: &Path) -> PathBuf {
    let src = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/commons.ron")).unwrap();
    let at = src.find("kind: Ai").expect("commons has an AI group");
    let (head, tail) = src.split_at(at);
    assert!(tail.contains("count: 2"));
    let edited = format!(
        "{}{}",
        head.replacen("name: \"commons\"", "name: \"no-ai\"", 1),
        tail.replacen("count: 2", "count: 0", 1)
    );
    let path = dir.join("no-ai.ron");
    std::fs::write(&path, edited).unwrap();
    path
}

#[test]
fn a_scenario_against_itself_shows_no_difference() {
    let t = tempfile::tempdir().unwrap();
    let (stdout, rows) = compare_csv(t.path(), "same.csv", &["commons", "commons", "--seeds", "0..4", "--ticks", "60"]);
    assert_eq!(rows[0].join(","), HEADER);
    let names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    let metrics = commons_metrics();
    assert_eq!(names, metrics);
    for r in &rows[1..] {
        assert_eq!(r[1], r[3], "{}: means differ", r[0]);
        assert_eq!(r[2], r[4], "{}: CIs differ", r[0]);
        assert_eq!(r[5].parse::<f64>().unwrap(), 0.0, "{}: diff", r[0]);
        assert_eq!(r[6].parse::<f64>().unwrap(), 0.0, "{}: diff's interval", r[0]);
        assert_eq!(r[7].parse::<f64>().unwrap(), 1.0, "{}: p", r[0]);
        assert_eq!(r[8], "false", "{}: marked significant", r[0]);
        assert_eq!(r[9].parse::<f64>().unwrap(), 1.0, "{}: Welch's p", r[0]);
        assert_eq!(r[10], "4");
        // What was compared, on every row.
        assert_eq!(r[11..16], ["commons", "commons", "0..4", "60", "60"], "{r:?}");
        assert_eq!(r[16], env!("CARGO_PKG_VERSION"));
    }
    // The seeds really vary: some metric has a nonzero confidence interval.
    assert!(rows[1..].iter().any(|r| r[2].parse::<f64>().unwrap() > 0.0));
    // The text table: the same, side by side, with nothing marked.
    assert!(stdout.contains("seeds 0..4 (4 runs each) · 60 ticks"), "{stdout}");
    let lines = table_rows(&stdout, &metrics);
    assert_eq!(lines.len(), metrics.len(), "{stdout}");
    for l in lines {
        assert!(!l.trim_end().ends_with('*'), "marked significant: {l}");
        let cells: Vec<&str> = l.split("  ").filter(|c| !c.trim().is_empty()).collect();
        assert_eq!(cells[1].trim(), cells[2].trim(), "{l}");
    }
    assert!(stdout.contains("* p < 0.05"));
}

#[test]
fn removing_the_ais_significantly_saves_the_commons() {
    let t = tempfile::tempdir().unwrap();
    let no_ai = commons_without_ais(t.path());
    let (stdout, rows) =
        compare_csv(t.path(), "ai.csv", &["commons", no_ai.to_str().unwrap(), "--seeds", "0..8", "--ticks", "400"]);
    let patches = rows.iter().find(|r| r[0] == "patches_alive").expect("patches_alive compared");
    let (a, b): (f64, f64) = (patches[1].parse().unwrap(), patches[3].parse().unwrap());
    assert!(b > a, "patches alive: with AIs {a}, without {b}");
    assert!(patches[7].parse::<f64>().unwrap() < 0.05, "{patches:?}");
    assert_eq!(patches[8], "true");
    // The paired test and its interval agree: p < 0.05 exactly when the difference's 95%
    // interval leaves out 0, on every row.
    for r in &rows[1..] {
        let (diff, half, p) =
            (r[5].parse::<f64>().unwrap(), r[6].parse::<f64>().unwrap(), r[7].parse::<f64>().unwrap());
        if half > 0.0 {
            assert_eq!(p < 0.05, diff.abs() > half, "{r:?}");
        }
    }
    let line = table_rows(&stdout, &commons_metrics()).into_iter().find(|l| l.starts_with("patches_alive")).unwrap();
    assert!(line.ends_with('*'), "{line}");
    assert!(stdout.contains("B: no-ai ("), "{stdout}");
}

#[test]
fn the_csv_does_not_depend_on_the_thread_count() {
    let t = tempfile::tempdir().unwrap();
    let no_ai = commons_without_ais(t.path());
    let args = ["commons", no_ai.to_str().unwrap(), "--seeds", "3..=9", "--ticks", "80"];
    let one = [&args[..], &["--threads", "1"]].concat();
    let two = [&args[..], &["--threads", "2"]].concat();
    compare_csv(t.path(), "one.csv", &one);
    compare_csv(t.path(), "two.csv", &two);
    let one = std::fs::read(t.path().join("one.csv")).unwrap();
    assert_eq!(one, std::fs::read(t.path().join("two.csv")).unwrap());
    // Different scenarios, so some metric differs; one row per common metric.
    let theirs = metrics_of(no_ai.to_str().unwrap());
    let common = commons_metrics().iter().filter(|m| theirs.contains(m)).count();
    assert!(common >= 9, "{theirs:?}");
    assert_eq!(text(&one).lines().count(), 1 + common);
    // Nothing but the scenario and the CSVs is left (the temporary files were renamed).
    assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 3);
}

#[test]
fn policy_b_problems_name_policy_b_and_no_ticks_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let missing = t.path().join("none.safetensors");
    let cases = [
        (format!("nogroup={}", missing.display()), "--policy-b nogroup="),
        ("badformat".to_string(), "--policy-b badformat: expected GROUP=FILE, e.g. --policy-b learners="),
        (format!("harvesters={}", missing.display()), "--policy-b harvesters="),
    ];
    for (value, message) in cases {
        let out = polity(&["compare", "commons", "commons", "--seeds", "0..2", "--ticks", "5", "--policy-b", &value]);
        assert_eq!(out.status.code(), Some(2), "{value}");
        let err = text(&out.stderr);
        assert!(err.contains(message) && !err.contains("--policy "), "{value}: {err}");
    }
    // `--policy` plays in both scenarios: a problem says in which.
    let value = format!("learners={}", missing.display());
    let out = polity(&["compare", "commons-learners", "commons", "--seeds", "0..2", "--policy", &value]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("in scenario A (`commons-learners`): --policy learners="), "{err}");
    let out = polity(&["compare", "commons", "commons-learners", "--seeds", "0..2", "--policy", &value]);
    assert!(text(&out.stderr).contains("in scenario A (`commons`): --policy learners="), "{}", text(&out.stderr));
    let out = polity(&["compare", "commons", "tragedy", "--seeds", "0..3", "--ticks", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("a comparison needs at least 1 tick"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "no table for worlds that never ticked");
}

#[test]
fn bad_input_exits_2_before_running() {
    for seeds in ["abc", "5..2", "3..3", "1..=x", "0"] {
        let out = polity(&["compare", "commons", "commons", "--seeds", seeds]);
        assert_eq!(out.status.code(), Some(2), "--seeds {seeds}");
        let err = text(&out.stderr);
        assert!(err.contains("0..20") && err.contains("0..=19"), "{err}");
    }
    let out = polity(&["compare", "commons", "no-such-scenario"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no-such-scenario"));
    let t = tempfile::tempdir().unwrap();
    let blocker = t.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let csv = blocker.join("out.csv");
    let out = polity(&["compare", "commons", "commons", "--out", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "ran anyway: {}", text(&out.stdout));
}

#[test]
fn per_seed_values_are_each_seeds_own_run() {
    let t = tempfile::tempdir().unwrap();
    let no_ai = commons_without_ais(t.path());
    let seeds_csv = t.path().join("seeds.csv");
    let args = ["commons", no_ai.to_str().unwrap(), "--seeds", "2..5", "--ticks", "40", "--per-seed"];
    let (stdout, table) = compare_csv(t.path(), "table.csv", &[&args[..], &[seeds_csv.to_str().unwrap()]].concat());
    assert!(stdout.contains("wrote ") && stdout.contains("seeds.csv"), "{stdout}");
    let body = std::fs::read_to_string(&seeds_csv).unwrap();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body.as_bytes());
    let rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    assert_eq!(rows[0].join(","), "seed,metric,a_value,b_value,diff,a,b,a_ticks,b_ticks,polity_version");
    let metrics: Vec<&str> = table[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(rows.len(), 1 + 3 * metrics.len(), "one row per seed and compared metric");
    let num = |s: &str| s.parse::<f64>().unwrap_or_else(|_| panic!("not a number: {s}"));
    for (k, r) in rows[1..].iter().enumerate() {
        assert_eq!(r[0], (2 + k / metrics.len()).to_string(), "{r:?}");
        assert_eq!(r[1], metrics[k % metrics.len()], "{r:?}");
        assert_eq!(num(&r[4]), num(&r[3]) - num(&r[2]), "diff is B − A: {r:?}");
        assert_eq!(r[5..9], ["commons", &format!("no-ai ({})", no_ai.display()), "40", "40"], "{r:?}");
        assert_eq!(r[9], env!("CARGO_PKG_VERSION"));
    }
    // Seed 3's A values are the last row of `polity run commons --seed 3 --ticks 40`.
    let run = t.path().join("run3");
    let out = polity(&["run", "commons", "--seed", "3", "--ticks", "40", "--out", run.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let metrics_csv = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let header: Vec<&str> = metrics_csv.lines().next().unwrap().split(',').collect();
    let last: Vec<&str> = metrics_csv.lines().last().unwrap().split(',').collect();
    let mut checked = 0;
    for r in rows[1..].iter().filter(|r| r[0] == "3") {
        let at = header.iter().position(|h| *h == r[1]).unwrap_or_else(|| panic!("{} not in metrics.csv", r[1]));
        let (want, got) = (num(last[at]), num(&r[2]));
        assert!(want == got || (want.is_nan() && got.is_nan()), "{}: run {want}, per-seed {got}", r[1]);
        checked += 1;
    }
    assert_eq!(checked, metrics.len());
    // The table summarizes these values: each metric's means over the seeds.
    for t in &table[1..] {
        let of = |col: usize| -> Vec<f64> { rows[1..].iter().filter(|r| r[1] == t[0]).map(|r| num(&r[col])).collect() };
        for (col, mean_col) in [(2, 1), (3, 3), (4, 5)] {
            let v = of(col);
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let want = num(&t[mean_col]);
            assert!((mean - want).abs() <= 1e-9 * want.abs().max(1.0), "{}: column {col}: {mean} vs {want}", t[0]);
        }
    }
    // Some value differs between the seeds or the sides (the file is not one row repeated).
    assert!(rows[1..].iter().any(|r| num(&r[4]) != 0.0), "no difference anywhere");
}

#[test]
fn per_seed_and_out_in_one_file_are_refused_before_running() {
    let t = tempfile::tempdir().unwrap();
    let same = t.path().join("x.csv");
    let s = same.to_str().unwrap();
    let out =
        polity(&["compare", "commons", "commons", "--seeds", "0..2", "--ticks", "5", "--out", s, "--per-seed", s]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("--out and --per-seed both name") && err.contains("hint:"), "{err}");
    assert!(out.stdout.is_empty(), "ran anyway: {}", text(&out.stdout));
    assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 0, "wrote something");
    // An existing --per-seed file is kept without --force, and said with --out's problem.
    std::fs::write(&same, "mine").unwrap();
    let other = t.path().join("y");
    std::fs::create_dir(&other).unwrap();
    let out =
        polity(&["compare", "commons", "commons", "--ticks", "5", "--out", other.to_str().unwrap(), "--per-seed", s]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("is a folder") && err.contains("the file exists"), "both problems said: {err}");
    assert_eq!(std::fs::read_to_string(&same).unwrap(), "mine");
}
