//! What the documentation promises, each promise kept by a test named after it (issue #20):
//! sweep paths change the runs they name, ranges include both ends, `Generated()` takes every
//! default, the Gini coefficient of negative wealth, every RON block in the docs checks, the
//! docs' metrics columns are the real ones, the written scenario is resolved, and the
//! cluster files are well formed.

use std::path::{Path, PathBuf};
use std::process::Command;

use polity::metrics::MetricsLog;
use polity::scenario::{self, BUILTINS, GeneratedMap, MapSpec, Scenario};
use polity::sim::Sim;
use polity::sweep::{self, Sweep};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn polity(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_polity")).args(args).output().expect("polity runs")
}

// ---------------------------------------------------------------------------------------------
// 1, 2. Sweep paths and ranges.

/// The parameter paths docs/sweeps.md documents (its path table) and the shipped sweeps use.
fn documented_sweep_paths() -> Vec<String> {
    let doc = read("docs/sweeps.md");
    let table = doc.split("| path | what it varies |").nth(1).expect("the path table");
    let mut paths: Vec<String> = Vec::new();
    for row in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        let cell = row.split('|').nth(1).unwrap();
        paths.extend(cell.split('`').skip(1).step_by(2).map(String::from));
    }
    for entry in std::fs::read_dir(root().join("sweeps")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for part in text.split("path: \"").skip(1) {
            paths.push(part.split('"').next().unwrap().to_string());
        }
    }
    paths.sort();
    paths.dedup();
    assert!(paths.len() >= 8, "{paths:?}");
    paths
}

/// Two values that are valid for the field a path ends in.
fn two_values(path: &str) -> [f64; 2] {
    let field = path.rsplit('.').next().unwrap();
    let field = field.split('[').next().unwrap();
    match field {
        "k" => [0.0, 50.0],
        "audit_probability" => [0.2, 1.0],
        "rates" => [0.0, 1.0],
        "power" => [0.0, 5.0],
        // (Both ends of commons' humans' Uniform(0.0, 0.6): valid as either.)
        "selfishness" => [0.1, 0.5],
        "margin" => [0.0, 1e6],
        "count" => [1.0, 3.0],
        "ticks" => [5.0, 9.0],
        "width" => [20.0, 30.0],
        "patch_spacing" => [6.0, 10.0],
        _ => panic!("a documented sweep path this test has no values for: {path}; add two here"),
    }
}

fn sweep_of(base: &str, path: &str, values: [f64; 2], ticks: Option<u64>) -> Result<Sweep, scenario::Problems> {
    let ticks = ticks.map(|t| format!("ticks: Some({t}),")).unwrap_or_default();
    let src = format!(
        "Sweep(version: 1, base: \"{base}\", parameters: [(path: \"{path}\", values: List([{:?}, {:?}]))], {ticks} keep: [End(\"apples\")])",
        values[0], values[1]
    );
    sweep::spec::parse(&src, "test.ron", Path::new(""))
}

/// What a run did: every metrics row and the final state hash.
fn trace(s: &Scenario, seed: u64, ticks: u64) -> (Vec<(u64, Vec<f64>)>, u64) {
    let mut sim = Sim::new(s, seed, ticks);
    let mut rows = Vec::new();
    rows.extend(sim.world_mut().resource_mut::<MetricsLog>().drain());
    for _ in 0..ticks {
        sim.step();
        rows.extend(sim.world_mut().resource_mut::<MetricsLog>().drain());
    }
    (rows, sim.state_hash())
}

#[test]
fn every_documented_sweep_path_changes_the_run() {
    for path in documented_sweep_paths() {
        let values = two_values(&path);
        let ticks = if path == "run.ticks" { None } else { Some(60) };
        let (base, sweep) = BUILTINS
            .iter()
            .find_map(|b| sweep_of(b.name, &path, values, ticks).ok().map(|s| (b.name, s)))
            .unwrap_or_else(|| panic!("no built-in takes the documented path `{path}`"));
        // A header and a row are CSV records with their line ends (no field here needs quotes).
        let header: Vec<String> = sweep::runner::header(&sweep).trim_end().split(',').map(String::from).collect();
        let column = |row: &str, name: &str| -> f64 {
            row.split(',').nth(header.iter().position(|h| h == name).unwrap()).unwrap().parse().unwrap()
        };
        let mut traces = Vec::new();
        for (n, value) in values.iter().enumerate() {
            let run = sweep.run(n as u64);
            assert_eq!(run.values, vec![*value]);
            let s = sweep.scenario(&run);
            let (row, _) = sweep::runner::run_one(&sweep, &run).expect("not interrupted");
            let row = row.trim_end();
            let t = trace(&s, run.seed, s.run.ticks);
            // The runner ran this scenario for its ticks: the table says so and agrees.
            assert_eq!(column(row, "ticks_run"), s.run.ticks as f64, "{path} in {base}");
            assert_eq!(column(row, "apples"), t.0.last().unwrap().1[0], "{path} in {base}");
            if path == "run.ticks" {
                assert_eq!(column(row, "ticks_run"), *value, "run.ticks = {value} runs that long");
            }
            traces.push((s, t));
        }
        assert_ne!(traces[0].0, traces[1].0, "`{path}` in {base}: the two values give the same scenario");
        assert_ne!(traces[0].1, traces[1].1, "`{path}` in {base}: {values:?} ran the same run");
    }
}

#[test]
fn sweep_paths_that_cannot_change_the_run_are_refused_at_their_line() {
    for (path, why) in [
        ("run.seed", "seeds"),
        ("run.agents_every", "agents.csv"),
        ("version", "format"),
        ("principal.planner.threads", "threads"),
        ("principal.planner.delta", "guarantee"),
    ] {
        let base = if path.starts_with("principal") { "paa-governor" } else { "commons" };
        let src = format!(
            "Sweep(\n    version: 1,\n    base: \"{base}\",\n    parameters: [\n        (path: \"{path}\", values: List([1.0, 2.0])),\n    ],\n    keep: [End(\"apples\")],\n)\n"
        );
        let e = sweep::spec::parse(&src, "s.ron", Path::new("")).unwrap_err().to_string();
        assert!(e.starts_with("s.ron:5:16: parameters[0].path: "), "{path}: {e}");
        assert!(e.contains(why), "{path}: {e}");
    }
    // `run.ticks` varied and `ticks` fixed contradict each other.
    let e = sweep_of("commons", "run.ticks", [5.0, 9.0], Some(60)).unwrap_err().to_string();
    assert!(e.contains("ticks: the sweep varies `run.ticks`"), "{e}");
    let e = sweep_of("commons", "run.ticks", [0.0, 9.0], None).unwrap_err().to_string();
    assert!(e.contains("at least 1 tick"), "{e}");
    // A base that runs no ticks (valid for `polity run`: tick 0's state alone) says so.
    let t0 = tempfile::tempdir().unwrap();
    let commons = read("scenarios/commons.ron");
    assert!(commons.contains("ticks: 1000"));
    std::fs::write(t0.path().join("c0.ron"), commons.replacen("ticks: 1000", "ticks: 0", 1)).unwrap();
    for (ticks, says) in [
        ("", "the base runs 0 (its `run.ticks`); set `ticks: Some(N)` in the sweep"),
        ("ticks: Some(0), ", "found `ticks: Some(0)`"),
    ] {
        let src = format!(
            "Sweep(version: 1, base: \"c0.ron\", {ticks}parameters: [(path: \"agents[0].power\", values: List([1.0, 2.0]))], keep: [End(\"apples\")])"
        );
        let e = sweep::spec::parse(&src, "s.ron", t0.path()).unwrap_err().to_string();
        assert!(e.contains("a run needs at least 1 tick") && e.contains(says), "{ticks}: {e}");
    }
    // And from the command line: exit status 2, located.
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("seed.ron");
    std::fs::write(
        &file,
        "Sweep(version: 1, base: \"commons\",\n parameters: [(path: \"run.seed\", values: List([1.0]))], keep: [End(\"apples\")])\n",
    )
    .unwrap();
    let out = polity(&["sweep", file.to_str().unwrap(), "--out", t.path().join("o").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("seed.ron:2:"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_sweep_range_includes_both_ends_or_is_refused() {
    let src = |steps: u32| {
        format!(
            "Sweep(\n    version: 1,\n    base: \"audited-commons\",\n    parameters: [(path: \"oversight.audit_probability\", values: Range(from: 0.5, to: 1.0, steps: {steps}))],\n    keep: [End(\"apples\")],\n)\n"
        )
    };
    let two = sweep::spec::parse(&src(2), "r.ron", Path::new("")).unwrap();
    assert_eq!(two.values, vec![vec![0.5, 1.0]]);
    let three = sweep::spec::parse(&src(3), "r.ron", Path::new("")).unwrap();
    assert_eq!(three.values, vec![vec![0.5, 0.75, 1.0]]);
    for steps in [0, 1] {
        let e = sweep::spec::parse(&src(steps), "r.ron", Path::new("")).unwrap_err().to_string();
        assert!(e.starts_with("r.ron:4:"), "{e}");
        assert!(e.contains("parameters[0].values.steps: a range needs at least 2 steps"), "{e}");
    }
    // The voting menu's range agrees: fewer than 2 is refused there too.
    let menu = "Scenario(version: 1, map: Ascii(rows: [\"WWWW\", \"WPAW\", \"WWWW\"]), voting: (candidates: Range(0.0, 1.0, 1)))";
    let e = scenario::parse(menu, "v.ron", "v").unwrap_err().to_string();
    assert!(e.contains("voting.candidates[2]: a range needs at least 2 candidates"), "{e}");
}

#[test]
fn a_sweep_varying_a_path_twice_or_keeping_a_column_twice_is_refused() {
    // Varied twice, every run took the later list's value while the table labelled rows with
    // the first list's values, under two columns of one name.
    let src = "Sweep(\n    version: 1,\n    base: \"audited-commons\",\n    parameters: [\n        (path: \"oversight.k\", values: List([0.0, 4.0])),\n        (path: \"oversight.k\", values: List([2.0])),\n    ],\n    keep: [End(\"apples\"), Mean(\"apples\", 5), End(\"apples\")],\n)\n";
    let e = sweep::spec::parse(src, "d.ron", Path::new("")).unwrap_err().to_string();
    assert!(
        e.contains("d.ron:6:") && e.contains("parameters[1].path: `oversight.k` is already varied by parameters[0]"),
        "{e}"
    );
    assert!(e.contains("d.ron:8:") && e.contains("keep[2]: column `apples` is already kept by keep[0]"), "{e}");
    // A mean and an end value of one metric are two columns, and are fine.
    let fine = src
        .replace(
            "(path: \"oversight.k\", values: List([2.0]))",
            "(path: \"oversight.audit_probability\", values: List([0.5]))",
        )
        .replace(", End(\"apples\")]", "]");
    assert!(sweep::spec::parse(&fine, "d.ron", Path::new("")).is_ok());
    // One field by two routes (a group's name, its index): the table showed power 1 and 3 for
    // runs that all ran at 0.
    let twice = "Sweep(\n    version: 1,\n    base: \"commons\",\n    parameters: [\n        (path: \"agents.harvesters.power\", values: List([1.0, 3.0])),\n        (path: \"agents[1].power\", values: List([0.0])),\n    ],\n    keep: [End(\"apples\")],\n)\n";
    let e = sweep::spec::parse(twice, "t.ron", Path::new("")).unwrap_err().to_string();
    assert!(
        e.contains("t.ron:6:")
            && e.contains(
                "parameters[1].path: `agents[1].power` is the field parameters[0] varies (`agents.harvesters.power`)"
            ),
        "{e}"
    );
    assert!(sweep::spec::parse(&twice.replace("agents[1]", "agents[0]"), "t.ron", Path::new("")).is_ok());
}

#[test]
fn a_sweep_whose_seeds_would_pass_the_largest_u64_is_refused() {
    // Seeds from u64::MAX for 3 replicates were u64::MAX, 0, 1, and `check` said ok.
    let src = |from: u64, rule: &str| {
        format!(
            "Sweep(\n    version: 1,\n    base: \"commons\",\n    parameters: [(path: \"agents[0].power\", values: List([1.0, 2.0]))],\n    replicates: 3,\n    seeds: (from: {from}, rule: {rule}),\n    keep: [End(\"apples\")],\n)\n"
        )
    };
    let e = sweep::spec::parse(&src(u64::MAX, "PerReplicate"), "s.ron", Path::new("")).unwrap_err().to_string();
    assert!(
        e.contains("s.ron:6:")
            && e.contains("seeds.from: seeds from 18446744073709551615 for 3 replicates run past the largest seed"),
        "{e}"
    );
    assert!(e.contains("at most 18446744073709551613"), "{e}");
    assert!(sweep::spec::parse(&src(u64::MAX - 2, "PerReplicate"), "s.ron", Path::new("")).is_ok());
    // Per run: 2 values × 3 replicates = 6 seeds.
    let e = sweep::spec::parse(&src(u64::MAX - 2, "PerRun"), "s.ron", Path::new("")).unwrap_err().to_string();
    assert!(e.contains("for 6 runs") && e.contains("at most 18446744073709551610"), "{e}");
    assert!(sweep::spec::parse(&src(u64::MAX - 5, "PerRun"), "s.ron", Path::new("")).is_ok());
}

#[test]
fn a_sweep_too_large_to_finish_is_refused_at_once() {
    // Four billion steps were each spliced into the scenario and checked (minutes, with
    // Ctrl-C ignored) before the sweep could start; expanding them alone takes 32 GB.
    let src = "Sweep(\n    version: 1,\n    base: \"commons\",\n    parameters: [\n        (path: \"regrowth.radius\", values: Range(from: 1.0, to: 3.0, steps: 4000000000)),\n    ],\n    replicates: 3,\n    keep: [End(\"apples\")],\n)\n";
    let e = sweep::spec::parse(src, "big.ron", Path::new("")).unwrap_err().to_string();
    assert!(
        e.contains("big.ron:4:") && e.contains("this sweep has 12000000000 runs (4000000000 values × 3 replicates)"),
        "{e}"
    );
    assert!(e.contains("at most 10000000"), "{e}");
    // At the limit, it loads.
    let fine = src.replace("steps: 4000000000", "steps: 1000").replace("replicates: 3", "replicates: 10000");
    assert_eq!(sweep::spec::parse(&fine, "big.ron", Path::new("")).unwrap().runs(), 10_000_000);
}

// ---------------------------------------------------------------------------------------------
// 3. `Generated()`.

#[test]
fn generated_map_with_every_field_left_out_takes_the_defaults() {
    let src = |map: &str| format!("Scenario(version: 1, map: {map}, agents: [(count: 2)], run: (ticks: 3))");
    let empty = scenario::parse(&src("Generated()"), "g.ron", "g").unwrap();
    assert_eq!(empty.map, MapSpec::Generated(GeneratedMap::default()));
    assert_eq!(empty, scenario::parse(&src("Generated(())"), "g.ron", "g").unwrap());
    let some = scenario::parse(&src("Generated(width: 40)"), "g.ron", "g").unwrap();
    assert_eq!(some.map, MapSpec::Generated(GeneratedMap { width: 40, ..GeneratedMap::default() }));
    // A variant whose payload is a number still needs it.
    let bad = "Scenario(version: 1, map: Generated(), agents: [(power: Fixed())])";
    let e = scenario::parse(bad, "g.ron", "g").unwrap_err().to_string();
    let col = bad.find("Fixed()").unwrap() + 1;
    assert!(e.contains(&format!("g.ron:1:{col}: agents[0].power: variant `Fixed` expects 1 value, found none")), "{e}");
}

// ---------------------------------------------------------------------------------------------
// 4. Gini of negative wealth.

/// Mean absolute difference over twice the mean, of wealth with debts counted as zero — a
/// formula independent of the engine's sorted-sum one.
fn gini_by_pairs(wealth: &[f64]) -> f64 {
    let v: Vec<f64> = wealth.iter().map(|w| w.max(0.0)).collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if mean == 0.0 {
        return 0.0;
    }
    let pairs: f64 = v.iter().map(|a| v.iter().map(|b| (a - b).abs()).sum::<f64>()).sum();
    pairs / (2.0 * n * n * mean)
}

#[test]
fn gini_counts_a_fined_agents_debt_as_zero() {
    // An AI scripted to clear-cut the one-apple patch, audited for certain and fined 5, and a
    // human who picks two apples.
    let src = r#"Scenario(
        version: 1,
        map: Ascii(rows: [
            "WWWWWWWW",
            "WPA PAAW",
            "WWWWWWWW",
        ]),
        agents: [
            (name: "cutter", kind: Ai, policy: Script("E"), spawn: At([(1, 1)])),
            (name: "picker", kind: Human, policy: Script("EE"), spawn: At([(4, 1)])),
        ],
        regrowth: (probabilities: [0.0]),
        oversight: (forbidden: [ClearCut], kinds: [Ai], period: 5, audit_probability: 1.0, inspect: 1.0, k: 5.0),
        run: (ticks: 8, agents_every: 1),
    )"#;
    let s = scenario::parse(src, "fined.ron", "fined").unwrap();
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("run");
    polity::run::run_to_dir(&s, &polity::run::RunOptions { ticks: 8, seed: 0 }, &dir, |_| {}).unwrap();
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let head: Vec<&str> = metrics.lines().next().unwrap().split(',').collect();
    let gini_col = head.iter().position(|h| *h == "gini").unwrap();
    let agents = std::fs::read_to_string(dir.join("agents.csv")).unwrap();
    let mut checked_negative = false;
    for (tick, line) in metrics.lines().skip(1).enumerate() {
        let wealth: Vec<f64> = agents
            .lines()
            .skip(1)
            .filter(|l| l.split(',').next() == Some(&tick.to_string()))
            .map(|l| l.split(',').nth(9).unwrap().parse().unwrap())
            .collect();
        assert_eq!(wealth.len(), 2, "both agents sampled at tick {tick}");
        let gini: f64 = line.split(',').nth(gini_col).unwrap().parse().unwrap();
        assert!((gini - gini_by_pairs(&wealth)).abs() < 1e-12, "tick {tick}: {gini} for {wealth:?}");
        assert!((0.0..=0.5).contains(&gini), "tick {tick}: {gini}");
        if wealth.iter().any(|&w| w < 0.0) {
            checked_negative = true;
        }
    }
    // The fine happened: a detected violation loses its gain (the apple) and pays k/P_D = 5
    // (docs/scenarios.md, oversight), so the cutter ends at 1 − 1 − 5 = −5, the picker at 2;
    // debts count as 0, so one agent holds everything: G = (n − 1)/n = 0.5 (the sorted-sum
    // formula without the clamp gives 0: its total, −3, is not positive).
    assert!(checked_negative, "the cutter was fined into debt:\n{agents}");
    let last = metrics.lines().last().unwrap();
    assert_eq!(last.split(',').nth(gini_col).unwrap(), "0.5", "{last}");
    assert!(agents.lines().any(|l| l.starts_with("8,0,ai,") && l.split(',').nth(9) == Some("-5.0")), "{agents}");
}

// ---------------------------------------------------------------------------------------------
// 5. Every RON block in the README and docs/.

/// The ```ron blocks of a Markdown file: (line of the fence, marker, body). A marker is an
/// HTML comment `<!-- ron: … -->` on the line just above the fence.
fn ron_blocks(text: &str) -> Vec<(usize, Option<String>, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "```ron" {
            let marker = i
                .checked_sub(1)
                .and_then(|j| lines[j].trim().strip_prefix("<!-- ron:"))
                .and_then(|m| m.strip_suffix("-->"))
                .map(|m| m.trim().to_string());
            let end = (i + 1..lines.len()).find(|&j| lines[j].trim() == "```").expect("a closed block");
            blocks.push((i + 1, marker, lines[i + 1..end].join("\n")));
            i = end;
        }
        i += 1;
    }
    blocks
}

/// Splits scenario fields written one after another at their top-level commas.
fn top_level_items(body: &str) -> Vec<String> {
    let (mut items, mut current, mut depth, mut in_str) = (Vec::new(), String::new(), 0i32, false);
    for line in body.lines() {
        let line = line.split(" //").next().unwrap();
        for c in line.chars() {
            match c {
                '"' => in_str = !in_str,
                '(' | '[' | '{' if !in_str => depth += 1,
                ')' | ']' | '}' if !in_str => depth -= 1,
                ',' if !in_str && depth == 0 => {
                    items.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
            current.push(c);
        }
        current.push('\n');
    }
    items.push(current);
    items.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// A scenario field checked inside a small scenario that has what the field needs.
fn check_field(item: &str, file: &str) -> Result<Scenario, scenario::Problems> {
    let name = item.split(':').next().unwrap().trim();
    let mut fields = vec!["version: 1".to_string()];
    for (field, text) in [
        ("map", r#"map: Ascii(rows: ["WWWWWW", "WAAP W", "WAA  W", "WWWWWW"])"#),
        ("agents", "agents: [(kind: Ai, count: 1)]"),
        ("tax", "tax: (preset: Sed)"),
    ] {
        if field != name {
            fields.push(text.into());
        }
    }
    fields.push(item.to_string());
    scenario::parse(&format!("Scenario({})", fields.join(",\n")), file, "fragment")
}

#[test]
fn every_ron_block_in_the_docs_checks() {
    let mut files = vec![root().join("README.md")];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    let (mut checked, mut unchecked) = (0, Vec::new());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let rel = path.strip_prefix(root()).unwrap().display().to_string();
        for (line, marker, body) in ron_blocks(&text) {
            let at = format!("{rel}:{line}");
            match marker.as_deref() {
                None if body.trim_start().starts_with("Sweep(") => {
                    if let Err(e) = sweep::spec::parse(&body, &at, &root()) {
                        panic!("{at}: the sweep does not check:\n{e}");
                    }
                }
                None => {
                    if let Err(e) = scenario::parse(&body, &at, "doc") {
                        panic!("{at}: the scenario does not check:\n{e}");
                    }
                }
                Some("fields") => {
                    for item in top_level_items(&body) {
                        if let Err(e) = check_field(&item, &at) {
                            panic!("{at}: the field `{item}` does not check:\n{e}");
                        }
                    }
                }
                Some(other) if other.starts_with("unchecked") => unchecked.push(at),
                Some(other) => {
                    panic!("{at}: unknown marker `<!-- ron: {other} -->` (use `fields` or `unchecked, why`)")
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 7, "only {checked} RON blocks found");
    assert!(unchecked.len() <= 2, "keep deliberately unchecked RON blocks few: {unchecked:?}");
}

#[test]
fn the_readme_scenario_runs() {
    let readme = read("README.md");
    let (_, _, body) = ron_blocks(&readme).into_iter().find(|b| b.2.contains("two-patches")).expect("two-patches");
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("two-patches.ron");
    std::fs::write(&file, &body).unwrap();
    let out = polity(&["check", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Its mistakes, made as the README says, are reported as it shows (its line:column were
    // once of another file).
    let said = readme.split("Mistakes are reported all at once").nth(1).expect("the mistakes");
    let block = &said[said.find("```text\n").unwrap() + 8..];
    let block = &block[..block.find("```").unwrap()];
    let mistaken =
        body.replace("selfishness: Uniform(0.0, 0.5)", "selfishness: Fixed(1.5)").replace("ticks: 500", "tiks: 500");
    assert!(mistaken.contains("Fixed(1.5)") && mistaken.contains("tiks"), "the README's file changed");
    std::fs::write(t.path().join("my-world.ron"), mistaken).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["run", "my-world.ron"])
        .current_dir(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr), block);
}

// ---------------------------------------------------------------------------------------------
// 6. The docs' column reference.

/// The `metrics.csv` columns docs/scenarios.md documents, in its table's order; `<k>` and
/// `<p>` stand for a bracket index and a candidate's label.
fn documented_metrics() -> Vec<String> {
    let doc = read("docs/scenarios.md");
    let table = doc.split("| column | present | meaning |").nth(1).expect("the metrics table");
    table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .flat_map(|row| {
            let cell = row.split('|').nth(1).unwrap().to_string();
            cell.split('`').skip(1).step_by(2).map(String::from).collect::<Vec<_>>()
        })
        .collect()
}

fn matches(pattern: &str, column: &str) -> bool {
    match pattern.split_once('<') {
        None => pattern == column,
        Some((prefix, rest)) => {
            let (kind, suffix) = rest.split_once('>').unwrap();
            let Some(middle) = column.strip_prefix(prefix).and_then(|c| c.strip_suffix(suffix)) else { return false };
            match kind {
                "k" => !middle.is_empty() && middle.chars().all(|c| c.is_ascii_digit()),
                "p" => middle == "-inf" || middle == "inf" || middle.parse::<f64>().is_ok(),
                _ => panic!("unknown placeholder <{kind}>"),
            }
        }
    }
}

#[test]
fn metrics_columns_match_the_docs() {
    let documented = documented_metrics();
    assert!(documented.len() > 30, "{documented:?}");
    // Every built-in, and two more that turn on what none of them does.
    let mut scenarios: Vec<Scenario> = BUILTINS.iter().map(|b| b.scenario().unwrap()).collect();
    let mut harm = scenario::builtin("commons").unwrap().scenario().unwrap();
    harm.sum.harm = true;
    harm.sum.alignment_loop = Some(scenario::LoopSpec::default());
    let mut class = scenario::builtin("vase-human-breaks").unwrap().scenario().unwrap();
    class.impact.as_mut().unwrap().class_whitelist =
        vec![(scenario::ObjectClass::Vase, scenario::ObjectState::InPlace, scenario::ObjectState::Moved)];
    scenarios.extend([harm, class]);
    let t = tempfile::tempdir().unwrap();
    let mut seen = vec![false; documented.len()];
    for (k, s) in scenarios.iter().enumerate() {
        let dir = t.path().join(format!("run-{k}"));
        polity::run::run_to_dir(s, &polity::run::RunOptions { ticks: 1, seed: 0 }, &dir, |_| {}).unwrap();
        let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
        let mut last = 0;
        for column in metrics.lines().next().unwrap().split(',') {
            let Some(i) = documented.iter().position(|p| matches(p, column)) else {
                panic!("`{column}` of {}'s metrics.csv is not in docs/scenarios.md's table", s.name);
            };
            assert!(
                i >= last,
                "{}: `{column}` comes before `{}` in the docs but after it in the file",
                s.name,
                documented[last]
            );
            last = i;
            seen[i] = true;
        }
        // agents.csv as documented.
        let agents = std::fs::read_to_string(dir.join("agents.csv")).unwrap();
        assert!(
            read("docs/scenarios.md").contains(&format!("* `agents.csv`: `{}`", agents.lines().next().unwrap())),
            "agents.csv's header is not the one docs/scenarios.md states"
        );
    }
    let never: Vec<&String> = documented.iter().zip(&seen).filter(|(_, s)| !**s).map(|(d, _)| d).collect();
    assert!(never.is_empty(), "documented but in no run's metrics.csv: {never:?}");
}

// ---------------------------------------------------------------------------------------------
// 7. The written scenario is resolved.

#[test]
fn the_written_scenario_is_fully_resolved() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("sed");
    let s = scenario::builtin("sed-apple-picking").unwrap().scenario().unwrap();
    assert!(s.tax.as_ref().unwrap().brackets.is_none(), "the built-in leaves the preset's brackets out");
    polity::run::run_to_dir(&s, &polity::run::RunOptions { ticks: 2, seed: 0 }, &dir, |_| {}).unwrap();
    let text = std::fs::read_to_string(dir.join("scenario.ron")).unwrap();
    let written = scenario::parse(&text, "scenario.ron", "x").unwrap();
    let tax = written.tax.as_ref().unwrap();
    // SED's schedule (Pardoe et al.; docs/scenarios.md): cutoffs 0, 10, 20, period 50, step 0.1.
    assert_eq!(tax.brackets.as_deref(), Some(&[0.0, 10.0, 20.0][..]), "{text}");
    assert_eq!(tax.period, Some(50));
    assert_eq!(tax.rate_step, Some(0.1));
    assert_eq!(tax.rates.as_ref().map(Vec::len), Some(3));
    assert_eq!(tax.redistribute, Some(s.tax.as_ref().unwrap().redistribute()));
    // The election starts at the middle candidate of [-inf, 0, 1].
    assert_eq!(written.voting.as_ref().unwrap().initial, Some(0.0));
    let tax_line = text.lines().skip_while(|l| !l.trim_start().starts_with("tax:")).take(10).collect::<Vec<_>>();
    assert!(!tax_line.join("\n").contains("None"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// 13. The cluster files.

/// A line-based check of the YAML structure: no tabs, even indents, a block opened by a key
/// is indented under it, flow collections and quotes close on their line.
fn check_yaml(text: &str, file: &str) {
    let mut expect_deeper: Option<usize> = None;
    let mut scalar_above: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let at = format!("{file}:{}", n + 1);
        assert!(!line.contains('\t'), "{at}: a tab");
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        if let Some(base) = scalar_above {
            if indent > base {
                continue; // the text of a block scalar
            }
            scalar_above = None;
        }
        assert!(indent % 2 == 0, "{at}: odd indentation");
        if let Some(parent) = expect_deeper.take() {
            assert!(indent > parent, "{at}: a key ending in `:` must be followed by an indented block");
        }
        let code = body.split(" #").next().unwrap().trim_end();
        for (open, close) in [('{', '}'), ('[', ']')] {
            assert_eq!(code.matches(open).count(), code.matches(close).count(), "{at}: unbalanced {open}{close}");
        }
        assert!(code.matches('"').count() % 2 == 0, "{at}: an unclosed quote");
        let item = code.strip_prefix("- ").unwrap_or(code);
        if item.ends_with(':') {
            expect_deeper = Some(indent);
        } else if item.ends_with(">-") || item.ends_with('|') || item.ends_with('>') {
            scalar_above = Some(indent);
        } else if !item.starts_with('{') && !item.starts_with('"') && item != "-" {
            assert!(
                item.contains(": ") || code.starts_with("- "),
                "{at}: neither a `key: value` nor a list item: {code}"
            );
        }
    }
}

/// The value of `key: value` on the first line that has it.
fn yaml_value<'a>(text: &'a str, key: &str) -> &'a str {
    let line =
        text.lines().find(|l| l.trim_start().starts_with(&format!("{key}:"))).unwrap_or_else(|| panic!("no {key}"));
    line.split_once(':').unwrap().1.split(" #").next().unwrap().trim()
}

#[test]
fn the_cluster_files_are_well_formed_and_use_real_flags() {
    let sweep_help = String::from_utf8(polity(&["sweep", "--help"]).stdout).unwrap();
    for flag in ["--shard", "--threads", "--out"] {
        assert!(sweep_help.contains(flag), "polity sweep has no {flag}");
    }
    // Kubernetes: an Indexed Job whose shard count is its completions and parallelism.
    let job = read("deploy/k8s/sweep-job.yaml");
    check_yaml(&job, "deploy/k8s/sweep-job.yaml");
    assert_eq!(yaml_value(&job, "apiVersion"), "batch/v1");
    assert_eq!(yaml_value(&job, "kind"), "Job");
    assert_eq!(yaml_value(&job, "completionMode"), "Indexed");
    let completions = yaml_value(&job, "completions");
    assert_eq!(yaml_value(&job, "parallelism"), completions);
    assert!(job.contains(&format!("--shard \"${{JOB_COMPLETION_INDEX}}/{completions}\"")), "{job}");
    assert!(
        job.contains("polity sweep /sweep/sweep.ron")
            && job.contains("--out \"/data/sweep/shard-${JOB_COMPLETION_INDEX}\"")
    );
    assert!(job.contains("runAsNonRoot: true"), "the pod runs as the image's unprivileged user");
    let image = yaml_value(&job, "image");
    // Slurm: an array whose size is the shard count, each task one shard.
    let sbatch = read("deploy/slurm/sweep.sbatch");
    let array = sbatch
        .lines()
        .find_map(|l| l.strip_prefix("#SBATCH --array="))
        .expect("an array")
        .split_whitespace()
        .next()
        .unwrap();
    let (lo, hi) = array.split_once('-').unwrap();
    let tasks = hi.parse::<u32>().unwrap() - lo.parse::<u32>().unwrap() + 1;
    assert_eq!(lo, "0", "shards are numbered from 0");
    assert!(sbatch.contains(&format!("SHARDS=${{SLURM_ARRAY_TASK_COUNT:-{tasks}}}")), "{sbatch}");
    assert!(sbatch.contains("sweep \"$SWEEP\" --shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\""), "{sbatch}");
    if let Ok(out) = Command::new("bash").arg("-n").arg(root().join("deploy/slurm/sweep.sbatch")).output() {
        assert!(out.status.success(), "bash -n: {}", String::from_utf8_lossy(&out.stderr));
    }
    // The image the Job names is built by deploy/Dockerfile, as docs/sweeps.md says.
    let docker = read("deploy/Dockerfile");
    let froms = docker.lines().filter(|l| l.starts_with("FROM ")).count();
    assert!(froms >= 2, "multi-stage");
    assert!(docker.contains("cargo build --release --locked --no-default-features"), "the headless engine");
    let user = docker.lines().filter_map(|l| l.strip_prefix("USER ")).next_back().expect("a USER");
    assert!(!user.starts_with("root") && !user.starts_with("0"), "runs as {user}");
    for line in docker.lines().filter(|l| l.starts_with("COPY ") && !l.contains("--from=")) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        for src in &parts[1..parts.len() - 1] {
            assert!(root().join(src).exists(), "deploy/Dockerfile copies {src}, which is not in the repository");
        }
    }
    let build = format!("docker build -f deploy/Dockerfile -t {image} .");
    assert!(read("docs/sweeps.md").contains(&build), "docs/sweeps.md shows `{build}`");
    assert!(job.contains(&build), "the Job's comment shows `{build}`");
}
