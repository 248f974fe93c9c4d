//! Knowing the cost before running (issue 17): the memory estimate against the measured peak
//! resident memory of `polity run` for worlds of different shapes, and the refusal of a world
//! that does not fit (exit status 2, nothing written) that `--force` overrides.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use polity::cost;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `commons-large` with another size and agent count, and `extra` fields added.
fn generated(side: u32, agents: u32, extra: &str) -> String {
    let (humans, ais) = (agents - agents / 10, agents / 10);
    let groups = if agents == 0 {
        String::new()
    } else {
        format!(
            "(name: \"humans\", kind: Human, count: {humans}, selfishness: Uniform(0.0, 1.0), power: Uniform(0.0, 2.0)),
             (name: \"harvesters\", kind: Ai, count: {ais}, selfishness: Fixed(1.0), power: Fixed(3.0)),"
        )
    };
    format!(
        "Scenario(version: 1, name: \"g{side}\",
            map: Generated(width: {side}, height: {side}, patch_spacing: 10, patch_radius: 2.0, jitter: 1, border_walls: true, seed: 0),
            agents: [{groups}],
            {extra}
            run: (ticks: 10, seed: 0, agents_every: 100))"
    )
}

/// Runs `polity run SCENARIO --ticks T` (two threads) and gives its peak resident set in bytes,
/// as GNU time reports it (`%M`). Not from this process's `wait4`: a child spawned from the
/// test binary starts as a copy of it, and Linux keeps that copy's resident high-water mark
/// across the `exec` — a big test process would be measured, not `polity`. `time` is a small
/// process, so its child's mark is `polity`'s own.
fn peak_rss(scenario: &str, ticks: u64, out: &Path) -> u64 {
    let o = Command::new("/usr/bin/time")
        .args(["-f", "peak-kb %M", env!("CARGO_BIN_EXE_polity")])
        .args(["run", scenario, "--threads", "2", "--ticks", &ticks.to_string(), "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .output()
        .expect("/usr/bin/time runs (Debian's `time` package: .ci/run installs it)");
    let err = text(&o.stderr);
    assert!(o.status.success(), "polity run {scenario} failed: {err}");
    let kb: u64 = err
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("peak-kb "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak in time's report: {err}"));
    kb * 1024
}

#[test]
fn the_memory_estimate_is_within_a_quarter_of_the_measured_peak() {
    let t = tempfile::tempdir().unwrap();
    let file = |name: &str, src: String| {
        let p = t.path().join(name);
        std::fs::write(&p, src).unwrap();
        p.display().to_string()
    };
    // (label, scenario, ticks): a tiny world (the process's base), a big map with no agents,
    // one with many agents, the inaction shadow, impact's imagined rollouts.
    let cases = [
        ("commons", "commons".to_string(), 5),
        ("commons-large", "commons-large".to_string(), 1),
        ("generated 1000², no agents", file("g1000.ron", generated(1000, 0, "")), 0),
        ("generated 4000², 10,000 agents", file("g4000.ron", generated(4000, 10_000, "")), 0),
        ("generated 2000², 40,000 agents", file("g2000.ron", generated(2000, 40_000, "")), 0),
        ("generated 2000², SUM harm (shadow)", file("harm.ron", generated(2000, 10_000, "sum: (harm: true),")), 0),
        (
            "generated 1500², impact (shadow + rollouts)",
            file("impact.ron", generated(1500, 2_000, "impact: (baseline: Naive, horizon: 2),")),
            1,
        ),
    ];
    let mut table = String::from("| world | estimate | measured peak | estimate / measured |\n|---|---|---|---|\n");
    let mut bad = Vec::new();
    for (k, (label, scenario, ticks)) in cases.iter().enumerate() {
        let estimate = estimate_of(scenario);
        let measured = peak_rss(scenario, *ticks, &t.path().join(format!("out{k}")));
        let ratio = estimate as f64 / measured as f64;
        table += &format!("| {label} | {} | {} | {ratio:.2} |\n", cost::bytes(estimate), cost::bytes(measured));
        if !(0.75..=1.25).contains(&ratio) {
            bad.push(*label);
        }
    }
    eprintln!("{table}");
    assert!(bad.is_empty(), "estimates off by more than 25% for {bad:?}:\n{table}");
}

#[test]
fn a_trainings_memory_estimate_is_within_a_quarter_of_the_measured_peak() {
    // One update of `commons-learners` with longer episodes: the update's samples dominate.
    let t = tempfile::tempdir().unwrap();
    let src = polity::scenario::builtin("commons-learners")
        .unwrap()
        .source
        .replace("learning: (envs: 8,", "learning: (episode_ticks: 1200, envs: 8,");
    std::fs::write(t.path().join("l.ron"), src).unwrap();
    let o = Command::new("/usr/bin/time")
        .args(["-f", "peak-kb %M", env!("CARGO_BIN_EXE_polity")])
        .args(["--threads", "2", "train", "l.ron", "--updates", "1", "--out", "o"])
        .current_dir(t.path())
        .output()
        .expect("/usr/bin/time runs");
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "{err}");
    let measured: u64 = err.lines().rev().find_map(|l| l.strip_prefix("peak-kb ")).unwrap().trim().parse().unwrap();
    let line = out.lines().find(|l| l.trim_start().starts_with("memory: about ")).unwrap_or_else(|| panic!("{out}"));
    let mut words = line.trim_start().trim_start_matches("memory: about ").split(' ');
    let (n, unit) = (words.next().unwrap().parse::<f64>().unwrap(), words.next().unwrap());
    let estimate = n * match unit {
        "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        u => panic!("unit {u} in {line}"),
    };
    let ratio = estimate / (measured as f64 * 1024.0);
    assert!((0.75..=1.25).contains(&ratio), "estimate {line} against a measured peak of {measured} kB: {ratio:.2}");
}

/// The estimate `polity check` prints (`memory: about 17 MB (…)`), in bytes: the binary's own,
/// whose base is its resident memory as this build has it.
fn estimate_of(scenario: &str) -> u64 {
    let o = Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["--threads", "2", "check", "--force", scenario])
        .output()
        .unwrap();
    let out = text(&o.stdout);
    let about = out.split("memory: about ").nth(1).unwrap_or_else(|| panic!("no estimate: {out}"));
    let mut words = about.split_whitespace();
    let value: f64 = words.next().unwrap().parse().unwrap();
    let unit = match words.next().unwrap() {
        "GB" => 1e9,
        "MB" => 1e6,
        "kB" => 1e3,
        u => panic!("unit {u}"),
    };
    (value * unit) as u64
}

/// `polity ARGS` in `dir` with the environment variable `var` set to `value`.
fn polity_env(var: &str, value: &str, args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(args)
        .current_dir(dir)
        .env(var, value)
        .output()
        .expect("polity runs")
}

/// `polity ARGS` in `dir` with the available memory set to `available` ([`cost::AVAILABLE_VAR`]).
fn polity_with(available: &str, args: &[&str], dir: &Path) -> Output {
    polity_env(cost::AVAILABLE_VAR, available, args, dir)
}

#[test]
fn a_world_that_does_not_fit_is_refused_unless_forced() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    std::fs::write(w.join("big.ron"), generated(20_000, 100_000, "sum: (harm: true),")).unwrap();
    // 1 MiB available: even the smallest world is refused, before anything is written.
    for (scenario, needs) in [("commons", "base"), ("big.ron", "grid")] {
        let o = polity_with("1M", &["run", scenario, "--out", "r"], w);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.starts_with(&format!("{scenario}: this world needs about ")), "{err}");
        assert!(err.contains(&format!("{needs} ")) && err.contains("but 1 MB are available"), "{err}");
        assert!(err.contains("hint: shrink the map or the agents, or pass --force to run anyway"), "{err}");
        assert!(!w.join("r").exists(), "a refused run wrote its folder");
        assert_eq!(std::fs::read_dir(w).unwrap().count(), 1, "a refused run left something behind");
    }
    // The huge world's estimate names what dominates, largest first: its shadow (a second
    // world) over its grid.
    let o = polity_with("1M", &["check", "big.ron"], w);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("GB (shadow ") && err.contains(", grid "), "{err}");
    // --force: `check` accepts it, and a small world runs.
    let o = polity_with("1M", &["check", "big.ron", "--force"], w);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("going on because of --force"), "{}", text(&o.stdout));
    let o = polity_with("1M", &["run", "commons", "--ticks", "2", "--out", "r", "--force"], w);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(w.join("r/run.json").exists());
}

/// `polity ARGS` in `dir` with the free disk space set to `free` ([`cost::DISK_VAR`]).
fn polity_with_disk(free: &str, args: &[&str], dir: &Path) -> Output {
    polity_env(cost::DISK_VAR, free, args, dir)
}

#[test]
fn a_run_whose_files_do_not_fit_on_the_disk_is_refused_unless_forced() {
    // `ticks: 18446744073709551615` passed `check` and ran until the disk was full.
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    let o = polity_with_disk("1M", &["run", "commons", "--ticks", "100000", "--out", "r"], w);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(
            "commons: this run's files need at least 2 MB of disk (about 15 MB (metrics.csv 14 MB, agents.csv "
        ) && err.contains("but 1 MB are free where they go"),
        "{err}"
    );
    assert!(err.contains("hint: run fewer --ticks, write agents.csv less often"), "{err}");
    assert_eq!(std::fs::read_dir(w).unwrap().count(), 0, "a refused run left something behind");
    let o = polity_with_disk("1M", &["run", "commons", "--ticks", "100000", "--out", "r", "--force"], w);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // The largest tick count, on the real disk: exabytes, refused.
    let o = Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["run", "commons", "--ticks", "18446744073709551615", "--out", "huge"])
        .current_dir(w)
        .env_remove(cost::DISK_VAR)
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    // (A size past what a u64 counts is not said to be 18.4 EB.)
    assert!(err.contains("this run's files need more than 18 EB of disk (about 18.4 EB or more ("), "{err}");
    assert!(!w.join("huge").exists());
    // `check` says the size, and refuses what `polity run` would refuse writing to runs/.
    let o = polity_with_disk("1G", &["check", "commons-large"], w);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("  files of a run: about 3 MB (agents.csv 3 MB, metrics.csv 28 kB) for its 200 ticks (rough: "),
        "{out}"
    );
    // Files that fit only at their smallest (about 3 MB as usually written, 1 MB free): ok,
    // as `polity run` takes it, with a note (it said ok, and nothing more).
    let o = polity_with_disk("1M", &["check", "commons-large"], w);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("  note: that is more than the 1 MB free where runs/ would go here: written as usual, a run would fill the disk"),
        "{}",
        text(&o.stdout)
    );
    let o = polity_with_disk("1G", &["check", "commons-large"], w);
    assert!(!text(&o.stdout).contains("note: that is more than"), "{}", text(&o.stdout));
    let o = polity_with_disk("100K", &["check", "commons-large"], w);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("commons-large: this run's files need at least ") && err.contains("but 102 kB are free"),
        "{err}"
    );
    assert!(err.contains("hint: `polity run` would refuse it, writing to runs/ here"), "{err}");
    let o = polity_with_disk("100K", &["check", "commons-large", "--force"], w);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("  files of a run: about 3 MB"), "{}", text(&o.stdout));
    assert!(!w.join("runs").exists(), "check wrote something");
}

#[test]
fn no_run_writes_less_than_the_files_floor_and_fraction_worlds_about_the_estimate() {
    // Every built-in, 100 ticks: the floor (what refuses a run) is never above what a run
    // writes, and the rough estimate is within 0.2–1.4 times of it (docs/performance.md);
    // worlds of fractions (the commons) within a quarter.
    let t = tempfile::tempdir().unwrap();
    let ticks = 100u64;
    for b in polity::scenario::BUILTINS {
        let out = t.path().join(b.name);
        let o = Command::new(env!("CARGO_BIN_EXE_polity"))
            .args(["run", b.name, "--ticks", &ticks.to_string(), "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}: {}", b.name, text(&o.stderr));
        let size = |f: &str| std::fs::metadata(out.join(f)).unwrap().len();
        let written = size("metrics.csv") + size("agents.csv");
        let s = polity::scenario::load(b.name).unwrap();
        let floor = cost::files_floor(&s, ticks).total();
        assert!(floor <= written, "{}: floor {floor} B above the {written} B written", b.name);
        let ratio = written as f64 / cost::files(&s, ticks).total() as f64;
        assert!((0.2..=1.4).contains(&ratio), "{}: wrote {ratio:.2} of the estimate", b.name);
        if ["commons", "commons-large", "audited-commons"].contains(&b.name) {
            assert!((0.75..=1.25).contains(&ratio), "{}: wrote {ratio:.2} of the estimate", b.name);
        }
    }
}

#[test]
fn a_sweep_that_does_not_fit_in_memory_is_refused_unless_forced() {
    // The scale tour (2026-12-06): `polity sweep` ran a base refused by `polity run` (and two
    // worlds at once, 936 MB measured), and `check` said nothing of a sweep's memory.
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    std::fs::write(
        w.join("sw.ron"),
        "Sweep(version: 1, base: \"commons-large\", parameters: [(path: \"agents.harvesters.power\", values: \
         List([1.0, 2.0]))], replicates: 2, seeds: (from: 1, rule: PerReplicate), ticks: Some(2), keep: [End(\"apples\")])",
    )
    .unwrap();
    let o = polity_with("4G", &["--threads", "2", "check", "sw.ron"], w);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("  memory: about ") && out.contains("worlds at once "), "{out}");
    let o = polity_with("1M", &["--threads", "2", "sweep", "sw.ron", "--out", "s"], w);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("this sweep needs about ") && err.contains("worlds at once "), "{err}");
    assert!(err.contains("hint: run fewer worlds at once (--threads N: one world a thread)"), "{err}");
    assert!(!w.join("s").exists());
    let o = polity_with("1M", &["--threads", "1", "sweep", "sw.ron", "--out", "s", "--force"], w);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(w.join("s/results.csv").is_file());
    // One thread holds one world: the estimate is smaller than with two.
    let one = text(&polity_with("4G", &["--threads", "1", "check", "sw.ron"], w).stdout);
    assert!(one.contains("a world ") && !one.contains("worlds at once"), "{one}");
}

#[test]
fn check_prints_the_estimate_and_what_is_available() {
    let t = tempfile::tempdir().unwrap();
    let o = polity_with("4G", &["check", "commons-large"], t.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    // (Under the file's line and its description.)
    let memory = out.lines().find(|l| l.starts_with("  memory:")).unwrap();
    assert!(memory.starts_with("  memory: about ") && memory.contains("agents "), "{out}");
    assert!(memory.ends_with("; this machine has 4.3 GB available"), "{out}");
    // --time: the world is built and its first ticks timed (the figures are not asserted).
    let o = polity_with("4G", &["check", "--time", "commons"], t.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let time = text(&o.stdout).lines().find(|l| l.starts_with("  time:")).unwrap_or_default().to_string();
    assert!(
        time.starts_with("  time: built in ") && time.contains(" a tick (its first 20 measured here) → about "),
        "{time}"
    );
    assert!(time.contains("for its 1000 ticks"), "{time}");
    // A planning principal plans at each tax period's end, which the first 20 ticks did not
    // reach: the estimate was a tick's time × 1000 (27 ms for paa-governor at width 5, depth
    // 4, whose run takes minutes). The first period end is timed apart and counted 40 times.
    let o = polity_with("4G", &["check", "--time", "paa-governor"], t.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let time = text(&o.stdout).lines().find(|l| l.starts_with("  time:")).unwrap_or_default().to_string();
    assert!(
        time.contains(" a tick (its first 20 measured here) and ")
            && time.contains(" for a tick that ends a tax period (tick 25) → about ")
            && time.contains(" for its 1000 ticks, 40 of them period ends"),
        "{time}"
    );
    // One file given three times is estimated three times alike: the process's base was read
    // again after each world built, and grew by it (a new-user tour: 315, 461, 489 MB).
    let o = polity_with("4G", &["check", "--time", "commons-large", "commons-large", "commons-large"], t.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let memories: Vec<&str> = out.lines().filter(|l| l.starts_with("  memory:")).collect();
    assert_eq!(memories.len(), 3, "{out}");
    assert!(memories.iter().all(|m| *m == memories[0]), "{out}");
    // A world too big for the machine is refused before anything is built or timed.
    let o = polity_with("1M", &["check", "--time", "commons-large"], t.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(!text(&o.stdout).contains("time:"), "{}", text(&o.stdout));
    // Unknown available memory: nothing is refused, and the line says so.
    let o = polity_with("lots", &["check", "commons-large"], t.path());
    assert!(o.status.success());
    assert!(text(&o.stdout).contains("available memory is unknown"), "{}", text(&o.stdout));
}

#[test]
fn the_estimate_is_a_sum_of_named_terms_that_grows_with_the_world() {
    let load = |src: String| polity::scenario::parse(&src, "t.ron", "t").unwrap();
    let small = cost::memory(&load(generated(1000, 1000, "")), 2);
    let big = cost::memory(&load(generated(4000, 1000, "")), 2);
    let many = cost::memory(&load(generated(1000, 10_000, "")), 2);
    let shadowed = cost::memory(&load(generated(1000, 1000, "sum: (harm: true),")), 2);
    assert_eq!(small.total(), small.terms.iter().map(|t| t.bytes).sum::<u64>());
    assert!(big.term("grid") > 10 * small.term("grid"));
    assert_eq!(many.term("agents"), 10 * small.term("agents"));
    assert_eq!(small.term("shadow"), 0);
    assert!(shadowed.term("shadow") > small.term("grid"));
    // A map's cells are counted from the spec as the layout lays them out.
    for src in [generated(1000, 0, ""), generated(333, 0, "")] {
        let s = load(src);
        let counts = cost::map_counts(&s.map);
        let l = polity::scenario::layout(&s.map);
        assert_eq!(counts.cells, l.wall.len() as u64);
        let grass = l.grass.count() as f64;
        assert!((counts.grass as f64 / grass - 1.0).abs() < 0.05, "{counts:?} vs {grass}");
    }
}

/// A checkpoint's size estimate (what a checkpointed run's memory and disk checks add) against
/// the file a checkpointed run writes, for maps and agent counts of different shapes: within
/// a factor of 1.5 either way.
#[test]
fn a_checkpoints_estimate_is_near_the_file_written() {
    for (side, agents) in [(1000, 20_000), (2000, 2_000), (300, 30_000)] {
        let t = tempfile::tempdir().unwrap();
        let file = t.path().join("g.ron");
        std::fs::write(&file, generated(side, agents, "")).unwrap();
        let s = polity::scenario::load(file.to_str().unwrap()).unwrap();
        let mut sim = polity::sim::Sim::new(&s, 0, 10);
        for _ in 0..3 {
            sim.step();
        }
        let path = t.path().join("checkpoint.ron");
        sim.save_checkpoint(None, &path).unwrap();
        let real = std::fs::metadata(&path).unwrap().len() as f64;
        let estimate = cost::checkpoint_bytes(&s) as f64;
        assert!(
            estimate / real < 1.5 && real / estimate < 1.5,
            "{side}² with {agents} agents: estimated {estimate:.0} bytes, written {real:.0}"
        );
    }
}
