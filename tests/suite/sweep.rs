//! Parameter sweeps: run numbering, sharding, restart after a kill, merge and report.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polity::sweep::{self, Shard, merge, report, runner};

fn polity(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polity")).args(args).output().expect("polity runs")
}

/// A small, fast sweep: 3 × 2 combinations × 3 replicates of `commons` for 60 ticks.
const SMALL: &str = r#"Sweep(
    version: 1,
    base: "audited-commons",
    parameters: [
        (path: "oversight.k", values: List([0.0, 1.0, 4.0])),
        (path: "agents.harvesters.power", values: Range(from: 1.0, to: 3.0, steps: 2)),
    ],
    replicates: 3,
    seeds: (from: 10, rule: PerReplicate),
    ticks: Some(60),
    keep: [End("apples"), Mean("welfare_mean", 20), Series("patches_alive")],
)
"#;

fn write_sweep(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn run_numbers_are_a_pure_function_of_the_sweep_file() {
    let t = tempfile::tempdir().unwrap();
    let sw = sweep::load(&write_sweep(t.path(), "s.ron", SMALL)).unwrap();
    assert_eq!((sw.combinations(), sw.runs()), (6, 18));
    // First parameter slowest, replicates innermost.
    let r = sw.run(0);
    assert_eq!((r.combination, r.replicate, r.values.clone(), r.seed), (0, 0, vec![0.0, 1.0], 10));
    let r = sw.run(5);
    assert_eq!((r.combination, r.replicate, r.values.clone(), r.seed), (1, 2, vec![0.0, 3.0], 12));
    let r = sw.run(17);
    assert_eq!((r.combination, r.replicate, r.values.clone()), (5, 2, vec![4.0, 3.0]));
    // The run's scenario carries its values.
    let s = sw.scenario(&sw.run(17));
    assert_eq!(s.oversight.as_ref().unwrap().k, 4.0);
    assert_eq!(s.agents[1].power, polity::scenario::Dist::Fixed(3.0));
    assert_eq!((s.run.ticks, s.run.seed), (60, 12));
    // PerRun seeds.
    let per_run = SMALL.replace("PerReplicate", "PerRun");
    let sw2 = sweep::load(&write_sweep(t.path(), "s2.ron", &per_run)).unwrap();
    assert_eq!(sw2.run(17).seed, 27);
    assert_ne!(sw.hash, sw2.hash, "the seed rule is part of the sweep");
}

#[test]
fn shards_cover_every_run_exactly_once() {
    for runs in [1u64, 7, 18, 100] {
        for n in [1u64, 2, 3, 5, 8, 16] {
            let mut count = vec![0; runs as usize];
            for i in 0..n {
                let shard = Shard::parse(&format!("{i}/{n}")).unwrap();
                for r in 0..runs {
                    if shard.has(r) {
                        count[r as usize] += 1;
                    }
                }
            }
            assert!(count.iter().all(|&c| c == 1), "{runs} runs, {n} shards");
        }
    }
    assert!(Shard::parse("3/3").is_err() && Shard::parse("1").is_err() && Shard::parse("0/0").is_err());
}

fn table(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn a_sweep_is_reproducible_and_independent_of_threads() {
    let t = tempfile::tempdir().unwrap();
    let sw = sweep::load(&write_sweep(t.path(), "s.ron", SMALL)).unwrap();
    let mut tables = Vec::new();
    for (k, threads) in [1, 3, 1].into_iter().enumerate() {
        let out = t.path().join(format!("out{k}"));
        // A pool of `threads` threads (crate::parallel's global pool in the binary).
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let o = pool.install(|| runner::run(&sw, &runner::Options { out: out.clone(), shard: Shard::ALL }, |_, _| {}));
        let o = o.unwrap();
        assert_eq!((o.total, o.ran, o.skipped), (18, 18, 0));
        tables.push((table(&out, "results.csv"), table(&out, "series/run-000007.csv")));
    }
    assert_eq!(tables[0], tables[1]);
    assert_eq!(tables[0], tables[2]);
    let rows: Vec<&str> = tables[0].0.lines().collect();
    assert_eq!(rows.len(), 19);
    assert_eq!(
        rows[0],
        "run,combination,replicate,seed,oversight.k,agents.harvesters.power,ticks_run,apples,welfare_mean_mean_last_20,patches_alive_series"
    );
    // A row matches a direct run of its scenario: End, Mean over the last 20 ticks run
    // (ticks 41..=60), and the series, tick by tick.
    let run = sw.run(7);
    let mut sim = polity::sim::Sim::new(&sw.scenario(&run), run.seed, 60);
    let mut direct = Vec::new();
    for _ in 0..=60 {
        direct.extend(sim.world_mut().resource_mut::<polity::metrics::MetricsLog>().drain());
        if sim.tick() < 60 {
            sim.step();
        }
    }
    let cols: Vec<String> =
        sim.world().resource::<polity::metrics::MetricsLog>().columns().iter().map(|c| c.to_string()).collect();
    let col = |name: &str| cols.iter().position(|c| c == name).unwrap();
    assert_eq!(direct.iter().map(|r| r.0).collect::<Vec<_>>(), (0..=60).collect::<Vec<u64>>());
    let apples = sim.grid().apples();
    let cells: Vec<&str> = rows[8].split(',').collect();
    assert_eq!(cells[0], "7");
    assert_eq!(cells[7], apples.to_string());
    let last20: Vec<f64> = direct[41..].iter().map(|r| r.1[col("welfare_mean")]).collect();
    assert_eq!(last20.len(), 20);
    let want = last20.iter().sum::<f64>() / 20.0;
    let got: f64 = cells[8].parse().unwrap();
    assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "welfare_mean_mean_last_20: {got} vs {want}");
    // A mean over another window would differ here: the run's welfare moves in its last 20 ticks.
    assert!(last20.iter().any(|&x| x != last20[0]) || direct[40].1[col("welfare_mean")] != last20[0]);
    assert_eq!(tables[0].1.lines().count(), 62, "series: header and ticks 0..=60");
    // The series file: `tick` and every kept metric, each equal to the direct run's.
    let mut lines = tables[0].1.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header, ["tick", "apples", "patches_alive", "welfare_mean"]);
    for (line, r) in lines.zip(&direct) {
        let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let want: Vec<f64> = std::iter::once(r.0 as f64).chain(header[1..].iter().map(|&c| r.1[col(c)])).collect();
        assert_eq!(v, want, "series row {line}");
    }
}

#[test]
fn a_killed_sweep_resumes_to_the_same_table_and_never_leaves_a_partial_row() {
    let t = tempfile::tempdir().unwrap();
    // Longer runs so the kill lands mid-sweep.
    let text = SMALL.replace("ticks: Some(60)", "ticks: Some(600)").replace("replicates: 3", "replicates: 6");
    let file = write_sweep(t.path(), "s.ron", &text);
    let straight = t.path().join("straight");
    let out = polity(&["sweep", file.to_str().unwrap(), "--threads", "2", "--out", straight.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let killed = t.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["sweep", file.to_str().unwrap(), "--threads", "2", "--out", killed.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let runs = killed.join("runs");
    let start = std::time::Instant::now();
    while std::fs::read_dir(&runs).map_or(0, |d| d.count()) < 4 {
        assert!(start.elapsed().as_secs() < 120, "no runs finished");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = child.kill();
    let status = child.wait().unwrap();
    if !status.success() {
        assert!(!killed.join("results.csv").exists(), "no table before every run is in");
        // Every finished row file is a whole row.
        for e in std::fs::read_dir(&runs).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "csv") {
                let row = std::fs::read_to_string(&p).unwrap();
                assert!(row.ends_with('\n') && row.split(',').count() == 10, "{}: {row:?}", p.display());
            }
        }
    }
    let out = polity(&["sweep", file.to_str().unwrap(), "--threads", "1", "--out", killed.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    if !status.success() {
        assert!(String::from_utf8_lossy(&out.stdout).contains("already done, skipped"));
    }
    assert_eq!(table(&killed, "results.csv"), table(&straight, "results.csv"));
}

#[test]
fn shards_merge_into_the_unsharded_table() {
    let t = tempfile::tempdir().unwrap();
    let sw = sweep::load(&write_sweep(t.path(), "s.ron", SMALL)).unwrap();
    let whole = t.path().join("whole");
    runner::run(&sw, &runner::Options { out: whole.clone(), shard: Shard::ALL }, |_, _| {}).unwrap();
    let mut dirs = Vec::new();
    for i in 0..4 {
        let d = t.path().join(format!("shard{i}"));
        let shard = Shard { index: i, count: 4 };
        let o = runner::run(&sw, &runner::Options { out: d.clone(), shard }, |_, _| {}).unwrap();
        assert!(o.table.ends_with(format!("results-shard-{i}-of-4.csv")));
        dirs.push(d);
    }
    // A shard's folder is not a whole sweep's, and a folder that is not there is not either:
    // the report says which, and how to go on.
    let e = report::read(&dirs[1]).unwrap_err();
    let hint = format!(
        "this is one shard's folder: join the shards' folders with `polity sweep-merge`, or report this shard alone: `polity sweep-report {}`",
        dirs[1].join("results-shard-1-of-4.csv").display()
    );
    assert!(e.contains(&hint), "{e}");
    assert!(report::read(&dirs[1].join("results-shard-1-of-4.csv")).is_ok());
    let e = report::read(&t.path().join("nowhere")).unwrap_err();
    assert!(e.contains("nowhere: no such folder or file") && !e.contains("shards"), "{e}");
    // A file that is not text is not a table (the hint said to run the sweep to its end).
    let binary = t.path().join("blob.csv");
    std::fs::write(&binary, [0xffu8, 0xfe, 0x00, 0x80, 0x81]).unwrap();
    let e = report::read(&binary).unwrap_err();
    assert!(e.contains("blob.csv: not a sweep's table: it is not text") && !e.contains("to its end"), "{e}");
    // Missing shards are named.
    let e = merge::merge(&dirs[..3], &t.path().join("m.csv"), false).unwrap_err();
    assert!(e.contains("4 of 18 runs are missing: 3, 7, 11, 15"), "{e}");
    assert!(!t.path().join("m.csv").exists());
    // A folder given twice, or again through a link, is said (it was merged as 4 folders).
    let link = t.path().join("shard0-link");
    std::os::unix::fs::symlink(&dirs[0], &link).unwrap();
    for again in [dirs[0].clone(), link] {
        let mut twice = dirs.clone();
        twice.push(again.clone());
        let e = merge::merge(&twice, &t.path().join("m.csv"), false).unwrap_err();
        assert!(e.contains(&format!("{} and {} are the same folder", dirs[0].display(), again.display())), "{e}");
    }
    let (path, runs) = merge::merge(&dirs, &t.path().join("merged.csv"), false).unwrap();
    assert_eq!(runs, 18);
    // The unsharded table's rows, each kept series named from the merged table's folder (its
    // shard's `series/`), where it holds the same series.
    let cells = |text: &str| -> Vec<Vec<String>> {
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
        r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect()
    };
    let (merged, unsharded) = (cells(&std::fs::read_to_string(&path).unwrap()), cells(&table(&whole, "results.csv")));
    assert_eq!(merged.len(), unsharded.len());
    let series = unsharded[0].iter().position(|c| c == "patches_alive_series").expect("a series column");
    for (m, u) in merged.iter().zip(&unsharded).skip(1) {
        let n: usize = u[0].parse().unwrap();
        assert_eq!(m[..series], u[..series]);
        assert_eq!(m[series + 1..], u[series + 1..]);
        assert_eq!(m[series], format!("shard{}/series/run-{n:06}.csv", n % 4), "run {n}");
        let (a, b) =
            (std::fs::read(t.path().join(&m[series])).unwrap(), std::fs::read(whole.join(&u[series])).unwrap());
        assert!(a == b, "run {n}'s series");
    }
    // `--out DIR/` names a folder to hold results.csv, also before it exists (it was written
    // as a file named DIR).
    let (path, _) = merge::merge(&dirs, &t.path().join("newdir/"), false).unwrap();
    assert_eq!(path, t.path().join("newdir/results.csv"));
    assert!(t.path().join("newdir").is_dir());
    // Another sweep's folder does not merge.
    let other = sweep::load(&write_sweep(t.path(), "o.ron", &SMALL.replace("replicates: 3", "replicates: 2"))).unwrap();
    let od = t.path().join("other");
    runner::run(&other, &runner::Options { out: od.clone(), shard: Shard::ALL }, |_, _| {}).unwrap();
    let e = merge::merge(&[dirs[0].clone(), od.clone()], &t.path().join("x.csv"), false).unwrap_err();
    assert!(e.contains("different sweeps"), "{e}");
    // Nor does a sweep run into another sweep's folder.
    let e = runner::run(&sw, &runner::Options { out: od, shard: Shard::ALL }, |_, _| {}).unwrap_err();
    assert!(e.to_string().contains("holds a different sweep"), "{e}");
}

#[test]
fn the_report_gives_mean_and_t_interval_per_combination() {
    let t = tempfile::tempdir().unwrap();
    // A hand-made table: two combinations, three replicates each.
    let csv = "run,combination,replicate,seed,a.b,ticks_run,m\n\
               0,0,0,0,1,10,2\n1,0,1,1,1,10,4\n2,0,2,2,1,10,9\n\
               3,1,0,0,2,10,5\n4,1,1,1,2,10,5\n5,1,2,2,2,10,5\n";
    let file = t.path().join("results.csv");
    std::fs::write(&file, csv).unwrap();
    let table = report::read(&file).unwrap();
    // A line with a cell too many, an empty file and another table: said with where and what
    // to give (they said "CSV error: record 2 (line: 3, …)", "empty", "not a sweep table").
    let ragged = t.path().join("ragged.csv");
    std::fs::write(&ragged, csv.replacen("1,0,1,1,1,10,4", "1,0,1,1,1,10,4,9", 1)).unwrap();
    let e = report::read(&ragged).unwrap_err();
    assert!(e.contains("ragged.csv:3: 8 cells where the header has 7") && e.contains("hint:"), "{e}");
    for (name, text, says) in
        [("empty.csv", "", "empty: not a sweep's table"), ("other.csv", "a,b\n1,2\n", "not a sweep's table")]
    {
        std::fs::write(t.path().join(name), text).unwrap();
        let e = report::read(&t.path().join(name)).unwrap_err();
        assert!(e.contains(says) && e.contains("hint: give the folder a sweep wrote"), "{e}");
    }
    let groups = report::summarise(&table);
    assert_eq!(groups.len(), 2);
    let s = &groups[0].summaries[0];
    // mean 5, sd √13 = 3.60555, t(0.975, 2) = 4.30265: half width 4.30265 · 3.60555 / √3 = 8.95668.
    assert!((s.mean - 5.0).abs() < 1e-12);
    assert!((s.half_width - 8.95668).abs() < 1e-4, "{}", s.half_width);
    assert_eq!(groups[1].summaries[0].half_width, 0.0);
    let text = report::text(&table, &groups);
    assert!(text.contains("5.0000 ± 8.9567"), "{text}");
    // The plot: an 800×500 image with the line's colour in it.
    let img = report::plot(&table, &groups, "m", "a.b").unwrap();
    assert_eq!((img.width, img.height), (800, 500));
    let blue = (0..img.height)
        .flat_map(|y| (0..img.width).map(move |x| (x, y)))
        .filter(|&(x, y)| img.get(x, y) == [110, 170, 255, 255])
        .count();
    assert!(blue > 50, "{blue} pixels of the line");
    assert!(report::plot(&table, &groups, "nope", "a.b").unwrap_err().contains("it has: m"));
    // From the command line, with a PNG.
    let png = t.path().join("m.png");
    let out =
        polity(&["sweep-report", file.to_str().unwrap(), "--plot", "m", "--x", "a.b", "--png", png.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    // The summary as a tidy CSV: one row per combination and metric, the numbers above.
    let summary = t.path().join("summary.csv");
    let out = polity(&["sweep-report", file.to_str().unwrap(), "--csv", summary.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written = std::fs::read_to_string(&summary).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines[0], "a.b,metric,n,mean,sd,ci95,low,high");
    assert_eq!(lines.len(), 3, "{written}");
    let cells: Vec<f64> = lines[1].split(',').filter_map(|c| c.parse().ok()).collect();
    // a.b 1, n 3, mean 5, sd √13, the half-width above, 5 ∓ it.
    assert_eq!(cells[..3], [1.0, 3.0, 5.0], "{written}");
    assert!((cells[3] - 13f64.sqrt()).abs() < 1e-12 && (cells[4] - 8.95668).abs() < 1e-4, "{written}");
    assert!((cells[5] - (5.0 - cells[4])).abs() < 1e-12 && (cells[6] - (5.0 + cells[4])).abs() < 1e-12);
    assert_eq!(lines[2], "2,m,3,5.0,0.0,0.0,5.0,5.0", "the value as results.csv writes it");
    // Not replaced without --force.
    let out = polity(&["sweep-report", file.to_str().unwrap(), "--csv", summary.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    // Every bad argument at once: the PNG's name, the metric and the parameter.
    let out = polity(&["sweep-report", file.to_str().unwrap(), "--plot", "mm", "--x", "a.c", "--png", "m.jpg"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for said in ["m.jpg: --png writes a PNG image", "--plot mm: no kept metric `mm`", "--x a.c: no parameter `a.c`"] {
        assert!(err.contains(said), "{said}: {err}");
    }
}

#[test]
fn the_report_says_what_it_cannot_summarise() {
    // A metric kept as a series was "no kept metric", and a run folder "run the sweep to its end".
    let t = tempfile::tempdir().unwrap();
    let csv = "run,combination,replicate,seed,a.b,ticks_run,m,w_series\n\
               0,0,0,0,1,10,2,series/run-000000.csv\n1,0,1,1,1,10,4,series/run-000001.csv\n";
    let file = t.path().join("results.csv");
    std::fs::write(&file, csv).unwrap();
    let table = report::read(&file).unwrap();
    assert_eq!((table.metrics.clone(), table.series.clone()), (vec!["m".to_string()], vec!["w".to_string()]));
    let e = report::plot(&table, &report::summarise(&table), "w", "a.b").unwrap_err();
    assert!(e.contains("`w` is kept as a series") && e.contains("End(\"w\")") && e.contains("metrics: m"), "{e}");
    let e = report::plot(&table, &report::summarise(&table), "ticks_run", "a.b").unwrap_err();
    assert!(e.contains("every run of the table ran the same ticks"), "{e}");
    // Runs a stop rule ended at different ticks: `ticks_run` is summarised and plotted (the
    // docs said to compare such rows by it, and the report refused it).
    std::fs::write(&file, csv.replace("1,0,1,1,1,10,4", "1,0,1,1,1,6,4")).unwrap();
    let table = report::read(&file).unwrap();
    assert_eq!(table.metrics, ["ticks_run", "m"]);
    let groups = report::summarise(&table);
    assert_eq!(groups[0].summaries[0].mean, 8.0);
    assert!(report::plot(&table, &groups, "ticks_run", "a.b").is_ok());
    // Bad tables, located: a cell that is not a number, a run twice, no runs.
    for (text, says) in [
        (csv.replace("1,0,1,1,1,10,4", "1,0,1,1,1,10,four"), "results.csv:3: column `m` is `four`, not a number"),
        (csv.replace("1,0,1,1", "0,0,1,1"), "results.csv:3: run 0 is already on line 2"),
        (csv.lines().next().unwrap().to_string() + "\n", "the table has a header and no runs"),
    ] {
        std::fs::write(&file, text).unwrap();
        let e = report::read(&file).map(|_| ()).unwrap_err();
        assert!(e.contains(says), "{says}: {e}");
    }
    let out = polity(&["run", "commons", "--ticks", "3", "--out", t.path().join("r").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e = report::read(&t.path().join("r")).unwrap_err();
    assert!(e.contains("this is `polity run`'s run folder, not a sweep's") && e.contains("polity compare"), "{e}");
}

#[test]
fn bad_sweep_files_are_reported_with_line_and_column_and_write_nothing() {
    let t = tempfile::tempdir().unwrap();
    let bad = SMALL
        .replace("oversight.k", "oversight.kk")
        .replace("Range(from: 1.0, to: 3.0, steps: 2)", "List([-1.0])")
        .replace("End(\"apples\")", "End(\"aples\")")
        .replace("replicates: 3", "replicats: 3");
    let file = write_sweep(t.path(), "bad.ron", &bad);
    let out_dir = t.path().join("out");
    let out = polity(&["sweep", file.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:8:5: replicats: unknown field", file.display())), "{err}");
    assert!(!out_dir.exists(), "nothing written");
    // Every problem at once: the meaning is checked too, on what decoding recovered, also
    // when a variant or a field was wrong.
    let both = bad.replace("replicats: 3", "replicates: 0").replace("rule: PerReplicate", "rule: PerTick");
    assert_ne!(both, bad.replace("replicats: 3", "replicates: 0"), "the sweep has a seed rule to misspell");
    for (name, text, decoding) in [
        ("bad1.ron", bad.clone(), Some(":8:5: replicats: unknown field")),
        ("bad2.ron", bad.replace("replicats", "replicates"), None),
        ("bad3.ron", both, Some(":9:29: seeds.rule: unknown variant `PerTick`")),
    ] {
        let file = write_sweep(t.path(), name, &text);
        let out = polity(&["sweep", file.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        if let Some(decoding) = decoding {
            assert!(err.contains(decoding), "{name}: {err}");
        }
        assert!(err.contains(":5:16: parameters[0].path: `oversight.kk` is not a field here"), "{name}: {err}");
        assert!(
            err.contains(":6:57: parameters[1].values[0]: agents.harvesters.power = -1 makes the scenario invalid"),
            "{name}: {err}"
        );
        assert!(err.contains("keep[0]: no metric `aples` in this scenario; did you mean `apples`?"), "{name}: {err}");
        assert_eq!(name == "bad3.ron", err.contains(":8:17: replicates: at least 1 replicate"), "{name}: {err}");
        assert!(!out_dir.exists(), "nothing written");
    }
    // A path into a list past its end, into a field that is not a number, a bad shard.
    let file = write_sweep(t.path(), "bad3.ron", &SMALL.replace("oversight.k", "agents[7].power"));
    let err = String::from_utf8_lossy(&polity(&["sweep", file.to_str().unwrap()]).stderr).into_owned();
    assert!(err.contains("`agents[7]` is out of range: `agents` has 2 entries"), "{err}");
    let file = write_sweep(t.path(), "bad4.ron", &SMALL.replace("oversight.k", "oversight.detection"));
    let err = String::from_utf8_lossy(&polity(&["sweep", file.to_str().unwrap()]).stderr).into_owned();
    assert!(err.contains("`oversight.detection` is not a number in the base scenario"), "{err}");
    // A NaN stop threshold passed, then the sweep made its folder and refused it as edited
    // (sweep.json held "NaN", not the number its hash stood for).
    let nan = SMALL.replace("ticks: Some(60),", "ticks: Some(60),\n    stop: Some(Below(\"apples\", NaN)),");
    let file = write_sweep(t.path(), "nan.ron", &nan);
    for cmd in ["check", "sweep"] {
        let out = polity(
            &[cmd, file.to_str().unwrap(), "--out", out_dir.to_str().unwrap()][..if cmd == "check" { 2 } else { 4 }],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {err}");
        assert!(err.contains(":11:16: stop: the threshold is NaN"), "{cmd}: {err}");
        assert!(!out_dir.exists(), "nothing written");
    }
    let file = write_sweep(t.path(), "ok.ron", SMALL);
    let out = polity(&["sweep", file.to_str().unwrap(), "--shard", "4/4", "--out", out_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the index must be 0 to 3"));
    assert!(!out_dir.exists());
}

#[test]
fn every_combination_is_checked_before_anything_runs() {
    // Each value passed alone, and the sweep stopped with an internal error at the first run
    // of a bad combination (two counts needing more spawn points than `commons` has), or of a
    // world without a kept metric (no AI agents: no `power_used_ai`, no `alignment`).
    let t = tempfile::tempdir().unwrap();
    let sweep_of = |params: &str, keep: &str| {
        format!(
            "Sweep(version: 1, base: \"commons\", parameters: [{params}], replicates: 2, ticks: Some(10), keep: [{keep}])"
        )
    };
    let counts =
        "(path: \"agents[0].count\", values: List([5, 40])), (path: \"agents[1].count\", values: List([2, 40]))";
    let no_ai = "(path: \"agents[1].count\", values: List([2, 0]))";
    for (name, text, says) in [
        (
            "counts.ron",
            sweep_of(counts, "End(\"apples\")"),
            vec![
                "parameters: the combination agents[0].count = 40, agents[1].count = 40 makes the scenario invalid: agents: 80 agents spawn at random but the map has only 62 free spawn points",
            ],
        ),
        (
            "no-ai.ron",
            sweep_of(no_ai, "End(\"apples\"), End(\"power_used_ai\")")
                .replace("keep:", "stop: Some(Above(\"alignment\", 0.5)), keep:"),
            vec![
                "keep[1]: the combination agents[1].count = 0 has no metric `power_used_ai` (its world does not measure it), so its run would have no value to keep",
                "stop: the combination agents[1].count = 0 has no metric `alignment` (its world does not measure it), so its run's stop rule would watch nothing",
            ],
        ),
        (
            "twice.ron",
            sweep_of("(path: \"agents[1].power\", values: List([1.0, 2.0, 1.0]))", "End(\"apples\")"),
            vec!["parameters[0].values[2]: 1.0 is already values[0]; list each value once"],
        ),
        (
            "range.ron",
            sweep_of("(path: \"agents[1].power\", values: Range(from: 1.0, to: 1.0, steps: 3))", "End(\"apples\")"),
            vec!["parameters[0].values: a range from 1.0 to itself gives one value 3 times"],
        ),
    ] {
        let file = write_sweep(t.path(), name, &text);
        let out_dir = t.path().join(name.replace(".ron", ""));
        let out = polity(&["sweep", file.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        for s in says {
            assert!(err.contains(s), "{name}: {s}\n{err}");
        }
        assert!(!err.contains("internal error") && !out_dir.exists(), "{name}: {err}");
    }
    // The same sweeps without the bad combination run.
    let fine = write_sweep(t.path(), "fine.ron", &sweep_of(no_ai, "End(\"apples\")"));
    let out = polity(&["sweep", fine.to_str().unwrap(), "--out", t.path().join("fine").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_sweep_refuses_paths_that_cannot_change_its_runs_and_varies_a_presets_defaults() {
    // "Every path a sweep accepts changes the run" (docs/sweeps.md): a planner's γ under a
    // hill-climbing principal with no shield was accepted and gave identical rows; `learning`
    // was refused as "not a field"; a preset's rates (the docs' own example path) were "not
    // set in the base scenario".
    let t = tempfile::tempdir().unwrap();
    let one = |base: &str, path: &str| {
        format!(
            "Sweep(version: 1, base: \"{base}\", parameters: [(path: \"{path}\", values: List([0.1, 0.5]))], ticks: Some(20), keep: [End(\"apples\")])"
        )
    };
    for (base, path, says) in [
        (
            "sed-apple-picking",
            "principal.planner.gamma",
            "changes nothing in this base: the planner is used only by a `Paa` principal and by a shield, and the base's principal (HillClimb) has neither",
        ),
        ("commons-learners", "learning.learning_rate", "the `learning` settings change only how `polity train` trains"),
    ] {
        let file = write_sweep(t.path(), "refused.ron", &one(base, path));
        let err = sweep::load(&file).map(|_| ()).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "parameters[0].path: {}",
                if path.starts_with("learning") { "" } else { "`principal.planner.gamma` " }
            )) && err.contains(says),
            "{base} {path}: {err}"
        );
        assert_eq!(err.matches("parameters[0]").count(), 1, "one reason, not a splicing error too: {err}");
    }
    // Under a shield the planner plans: accepted.
    sweep::load(&write_sweep(t.path(), "shield.ron", &one("shielded-revenue-max", "principal.planner.gamma"))).unwrap();
    // us2018's tax is `(preset: Us2018)`: its rates are the preset's, written out for the sweep.
    let sw = sweep::load(&write_sweep(t.path(), "preset.ron", &one("us2018", "tax.rates[2]"))).unwrap();
    let rates = |k: usize| {
        let text = polity::spanned_ron::splice_number(&sw.base_ron, "tax.rates[2]", sw.values[0][k]).unwrap();
        polity::scenario::parse(&text, "run", "us2018").unwrap().tax.unwrap().rates()
    };
    let preset = polity::rules::tax::US2018_RATES;
    assert_eq!(rates(0), [&preset[..2], &[0.1], &preset[3..]].concat());
    assert_eq!(rates(1)[2], 0.5);
    // A sweep file given to `run`, a scenario given to `sweep`: said at once.
    let sweep_file = write_sweep(t.path(), "s.ron", SMALL);
    let out = polity(&["run", sweep_file.to_str().unwrap(), "--out", t.path().join("o").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("this is a sweep file (its value is `Sweep(…)`), not a scenario") && err.contains("polity sweep"),
        "{err}"
    );
    assert!(err.contains("1 problem found"), "one problem, not the eight a scenario's reading finds: {err}");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/commons.ron");
    let out = polity(&["sweep", scenario.to_str().unwrap(), "--out", t.path().join("o").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("this is a scenario (its value is `Scenario(…)`), not a sweep file") && err.contains("polity run"),
        "{err}"
    );
    assert!(!t.path().join("o").exists());
    // A built-in scenario's name where the sweep file goes (there is no file by that name).
    let out = Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["sweep", "commons", "--out", "o"])
        .current_dir(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("commons: this is the name of a built-in scenario, not a sweep file")
            && err.contains("base: \"commons\""),
        "{err}"
    );
    assert!(!t.path().join("o").exists());
}

#[test]
fn the_example_sweep_files_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sweeps");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "ron") {
            let sw = sweep::load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            assert!(sw.runs() >= 10, "{}", p.display());
            n += 1;
        }
    }
    assert!(n >= 2);
}

#[test]
fn a_table_edited_after_the_sweep_is_never_replaced() {
    // Running a finished sweep again rewrote results.csv, notes added to it and all.
    let t = tempfile::tempdir().unwrap();
    let file = write_sweep(t.path(), "s.ron", SMALL);
    let out = t.path().join("out");
    let sweep = |dir: &Path| polity(&["sweep", file.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert!(sweep(&out).status.success());
    let csv = out.join("results.csv");
    let written = std::fs::read(&csv).unwrap();
    // The same table again: left as it is.
    let again = sweep(&out);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(std::fs::read(&csv).unwrap(), written);
    // An edited one: refused, kept byte for byte.
    let mut edited = written.clone();
    edited.extend_from_slice(b"# my notes\n");
    std::fs::write(&csv, &edited).unwrap();
    let o = sweep(&out);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("not the one this sweep's runs give") && e.contains("move it away"), "{e}");
    assert_eq!(std::fs::read(&csv).unwrap(), edited);
    // Moved away, the table is written afresh.
    std::fs::rename(&csv, out.join("mine.csv")).unwrap();
    assert!(sweep(&out).status.success());
    assert_eq!(std::fs::read(&csv).unwrap(), written);
}

/// [`SMALL`] written into `dir` and swept into `dir/out`, its table taken out: the sweep
/// file, the folder and the table's bytes.
fn swept_without_its_table(dir: &Path) -> (PathBuf, PathBuf, Vec<u8>) {
    let file = write_sweep(dir, "s.ron", SMALL);
    let out = dir.join("out");
    assert!(polity(&["sweep", file.to_str().unwrap(), "--out", out.to_str().unwrap()]).status.success());
    let csv = out.join("results.csv");
    let table = std::fs::read(&csv).unwrap();
    std::fs::remove_file(&csv).unwrap();
    (file, out, table)
}

#[test]
fn a_damaged_row_file_is_never_put_into_a_table() {
    // An emptied runs/run-000002.csv was counted as done and left out of results.csv; a line
    // of garbage went in as it was; a row moved from run 5's file into run 3's made run 5 twice;
    // sweep-merge said it merged runs it had not. All exited 0.
    let t = tempfile::tempdir().unwrap();
    let (file, out, table) = swept_without_its_table(t.path());
    let (f, o) = (file.to_str().unwrap(), out.to_str().unwrap());
    let csv = out.join("results.csv");
    let row = |n: u64| out.join(format!("runs/run-{n:06}.csv"));
    let five = std::fs::read_to_string(row(5)).unwrap();
    // The row's `apples` (its eighth field) one more, the digest line kept.
    let edited = |text: &str| -> String {
        let (row, digest) = text.split_once('\n').unwrap();
        let mut cells: Vec<String> = row.split(',').map(String::from).collect();
        cells[7] = (cells[7].parse::<f64>().unwrap() + 1.0).to_string();
        format!("{}\n{digest}", cells.join(","))
    };
    let merged = t.path().join("merged.csv");
    for (n, damage, why) in [
        (2, String::new(), "it is empty"),
        (1, "garbage\n".to_string(), "it has no digest line"),
        (1, format!("garbage\n{}", five.split_once('\n').unwrap().1), "fields where the table has"),
        (3, five.clone(), "its run is `5`, not 3"),
        (4, five.replacen("5,", "4,", 1), "its replicate is `2`, not 1"),
        // A value edited, the row's shape kept: accepted until rows carried a digest.
        (6, edited(&std::fs::read_to_string(row(6)).unwrap()), "its digest does not match the row: it was edited"),
    ] {
        let kept = std::fs::read(row(n)).unwrap();
        std::fs::write(row(n), &damage).unwrap();
        for args in [&["sweep", f, "--out", o][..], &["sweep-merge", o, "--out", merged.to_str().unwrap()]] {
            let r = polity(args);
            let e = String::from_utf8_lossy(&r.stderr);
            assert_eq!(r.status.code(), Some(2), "{args:?}: {e}");
            assert!(e.contains(&format!("run-{n:06}.csv: this is not the row the sweep wrote for run {n}")), "{e}");
            assert!(e.contains(why), "{e}");
            assert!(e.contains("delete it"), "{e}");
        }
        assert!(!csv.exists() && !merged.exists(), "no table written");
        assert_eq!(std::fs::read(row(n)).unwrap(), damage.as_bytes(), "the file is left as it is");
        std::fs::write(row(n), kept).unwrap();
    }
    // Deleted, a damaged row's run is run again, to the same row.
    std::fs::write(row(2), "").unwrap();
    std::fs::remove_file(row(2)).unwrap();
    let again = polity(&["sweep", f, "--out", o]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(std::fs::read(&csv).unwrap(), table);
    // sweep.json's spec edited, its hash kept: it described other runs than the folder holds,
    // and the sweep went on.
    let marker = out.join("sweep.json");
    let json = std::fs::read_to_string(&marker).unwrap();
    assert!(json.contains("\"replicates\": 3"), "{json}");
    std::fs::write(&marker, json.replace("\"replicates\": 3", "\"replicates\": 4")).unwrap();
    let r = polity(&["sweep", f, "--out", o]);
    let e = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{e}");
    assert!(e.contains("sweep.json: its spec is not the one its hash stands for (the file was edited)"), "{e}");
}

#[test]
fn a_series_file_edited_or_put_there_is_never_used_nor_replaced() {
    // The files tour (2026-12-07): a sweep going on wrote over `series/run-NNNNNN.csv` of the
    // user's own, and a series edited or deleted after the sweep went into its table and
    // sweep-merge's without a word (the row files had digests, the series none).
    let t = tempfile::tempdir().unwrap();
    let (file, out, table) = swept_without_its_table(t.path());
    let (f, o) = (file.to_str().unwrap(), out.to_str().unwrap());
    let csv = out.join("results.csv");
    let series = |n: u64| out.join(format!("series/run-{n:06}.csv"));
    let merged = t.path().join("merged.csv");
    let kept = std::fs::read(series(4)).unwrap();
    for (damage, why) in [(Some("tick,patches_alive\n0,999999\n"), "it changed since"), (None, "it is missing")] {
        match damage {
            Some(d) => std::fs::write(series(4), d).unwrap(),
            None => std::fs::remove_file(series(4)).unwrap(),
        }
        for args in [&["sweep", f, "--out", o][..], &["sweep-merge", o, "--out", merged.to_str().unwrap()]] {
            let r = polity(args);
            let e = String::from_utf8_lossy(&r.stderr);
            assert_eq!(r.status.code(), Some(2), "{args:?}: {e}");
            assert!(e.contains("run-000004.csv: this is not the series the sweep wrote for run 4"), "{e}");
            assert!(e.contains(why) && e.contains("delete the run's row file"), "{e}");
        }
        assert!(!csv.exists() && !merged.exists(), "no table written");
        assert_eq!(std::fs::read(series(4)).ok(), damage.map(|d| d.as_bytes().to_vec()), "left as it is");
    }
    std::fs::write(series(4), &kept).unwrap();
    // A run not done yet whose series file is there already: the same bytes (a sweep stopped
    // between the series and the row) are taken; a file of the user's own is not replaced.
    let row = out.join("runs/run-000006.csv");
    std::fs::remove_file(&row).unwrap();
    let theirs = std::fs::read(series(6)).unwrap();
    std::fs::write(series(6), "my notes\n").unwrap();
    let r = polity(&["sweep", f, "--out", o]);
    let e = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{e}");
    assert!(
        e.contains("run-000006.csv: a file that is not this run's series is there; Polity does not replace it"),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(series(6)).unwrap(), "my notes\n");
    assert!(!row.exists() && !csv.exists());
    std::fs::write(series(6), &theirs).unwrap();
    let r = polity(&["sweep", f, "--out", o]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(std::fs::read(&csv).unwrap(), table, "the same table as the sweep's first");
}

#[test]
fn a_sweep_killed_while_writing_its_marker_is_taken_up_again() {
    // Killed between making the folder and renaming its sweep.json into place, a sweep left
    // only `.sweep.json.partial-PID`, and the next one refused the folder as someone else's
    // (seen once in CI: faults::a_sweep_killed_mid_write_…).
    let t = tempfile::tempdir().unwrap();
    let file = write_sweep(t.path(), "s.ron", SMALL);
    let out = t.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let dead = (4_000_000..).find(|p| !Path::new(&format!("/proc/{p}")).exists()).unwrap();
    let staged = polity::outputs::staged_name(&out.join("sweep.json"), polity::outputs::Stage::Partial, dead);
    std::fs::write(&staged, "{\"hash\":").unwrap();
    let o = polity(&["sweep", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!staged.exists());
    // A user's file there is still a folder that is not a sweep's.
    let mine = t.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "mine").unwrap();
    let o = polity(&["sweep", file.to_str().unwrap(), "--out", mine.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(mine.join("notes.txt")).unwrap(), "mine");
}

#[test]
fn a_sweep_starting_in_a_folder_another_is_claiming_says_so() {
    // Two sweeps started into one new folder at once: the second read the first's marker,
    // half written, as someone else's file ("not a sweep folder").
    let t = tempfile::tempdir().unwrap();
    let file = write_sweep(t.path(), "s.ron", SMALL);
    let out = t.path().join("o");
    std::fs::create_dir(&out).unwrap();
    // The marker another live process (this test's) is writing.
    let live =
        polity::outputs::staged_name(&out.join("sweep.json"), polity::outputs::Stage::Partial, std::process::id());
    std::fs::write(live, "{").unwrap();
    let o = polity(&["sweep", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("another sweep is starting in this folder right now") && e.contains("run this one again"),
        "{e}"
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1, "nothing written beside it");
}

#[test]
fn any_run_of_a_sweep_can_be_run_alone_from_its_scenario() {
    let t = tempfile::tempdir().unwrap();
    let file = write_sweep(t.path(), "s.ron", SMALL);
    let out = t.path().join("sw");
    let o = polity(&["sweep", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let results = table(&out, "results.csv");
    let rows: Vec<Vec<&str>> = results.lines().map(|l| l.split(',').collect()).collect();
    // Run 13: oversight.k 4, power 1, replicate 1 (seed 11).
    let o = polity(&["sweep", file.to_str().unwrap(), "--scenario-of", "13"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ron = String::from_utf8(o.stdout).unwrap();
    assert!(ron.starts_with("// Run 13 of "), "{ron}");
    assert!(ron.contains("seed 11; oversight.k = 4, agents.harvesters.power = 1"), "{ron}");
    let scenario = write_sweep(t.path(), "run13.ron", &ron);
    let dir = t.path().join("run13");
    let o = polity(&["run", scenario.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Its last metrics row is the sweep's row 13: `apples` at the end, over 60 ticks.
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let head: Vec<&str> = metrics.lines().next().unwrap().split(',').collect();
    let last: Vec<&str> = metrics.lines().last().unwrap().split(',').collect();
    let apples = head.iter().position(|c| *c == "apples").unwrap();
    let row = &rows[14];
    assert_eq!(row[..4], ["13", "4", "1", "11"], "{results}");
    assert_eq!((last[0], last[apples]), ("60", row[7]), "{metrics}");
    // The series the sweep kept is the run's column, tick by tick.
    let series = table(&out, "series/run-000013.csv");
    let patches = head.iter().position(|c| *c == "patches_alive").unwrap();
    let from_run: Vec<&str> = metrics.lines().skip(1).map(|l| l.split(',').nth(patches).unwrap()).collect();
    let at = series.lines().next().unwrap().split(',').position(|c| c == "patches_alive").unwrap();
    let from_sweep: Vec<&str> = series.lines().skip(1).map(|l| l.split(',').nth(at).unwrap()).collect();
    assert_eq!(from_run, from_sweep);
    // A run the sweep does not have.
    let o = polity(&["sweep", file.to_str().unwrap(), "--scenario-of", "18"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("has 18 runs (numbered 0 to 17)"));
}

#[test]
fn a_sweeps_base_file_is_read_beside_the_sweep_file_only() {
    // A base missing beside the sweep file was read from the working folder instead: the same
    // sweep ran another scenario, or none, depending on where it was started.
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir(t.path().join("sub")).unwrap();
    let tragedy = polity::scenario::builtin("tragedy").unwrap().source;
    std::fs::write(t.path().join("here.ron"), tragedy).unwrap();
    let sweep = "Sweep(version: 1, base: \"here.ron\", parameters: [(path: \"agents[0].count\", values: List([1, 2]))], ticks: Some(5), keep: [End(\"apples\")])\n";
    std::fs::write(t.path().join("sub/s.ron"), sweep).unwrap();
    let check = |dir: &Path, file: &str| {
        Command::new(env!("CARGO_BIN_EXE_polity")).args(["check", file]).current_dir(dir).output().unwrap()
    };
    let out = check(t.path(), "sub/s.ron");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("sub/here.ron"), "the path it looked at is named: {err}");
    // Beside the sweep file, it is read from any folder.
    std::fs::rename(t.path().join("here.ron"), t.path().join("sub/here.ron")).unwrap();
    for (dir, file) in [(t.path().to_path_buf(), "sub/s.ron"), (t.path().join("sub"), "s.ron")] {
        let out = check(&dir, file);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn a_value_valid_with_the_others_values_is_no_problem_of_its_own() {
    // Each value was checked against the base alone: 2000 agents on the base's 40×40 map
    // were refused though the sweep also makes the map 100 high (the same scenario as a file
    // passed `polity check`).
    let t = tempfile::tempdir().unwrap();
    let base = "Scenario(version: 1, name: \"small\", map: Generated(width: 40, height: 40, patch_spacing: 10, patch_radius: 2.0, jitter: 0, border_walls: true, seed: 0), agents: [(name: \"a\", count: 5)], run: (ticks: 3))\n";
    std::fs::write(t.path().join("small.ron"), base).unwrap();
    let sweep = |counts: &str| {
        format!(
            "Sweep(version: 1, base: \"small.ron\", parameters: [(path: \"map.width\", values: List([40, 100])), (path: \"map.height\", values: List([100])), (path: \"agents[0].count\", values: List([{counts}]))], ticks: Some(2), keep: [End(\"apples\")])\n"
        )
    };
    std::fs::write(t.path().join("ok.ron"), sweep("2000")).unwrap();
    let check =
        |f: &str| Command::new(env!("CARGO_BIN_EXE_polity")).args(["check", f]).current_dir(t.path()).output().unwrap();
    let out = check("ok.ron");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // Too many for every map the sweep makes: said at the value, as before.
    std::fs::write(t.path().join("bad.ron"), sweep("2000, 100000")).unwrap();
    let out = check("bad.ron");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("parameters[2].values[1]: agents[0].count = 100000 makes the scenario invalid"), "{err}");
    assert!(!err.contains("values[0]"), "{err}");
    // Too many for one of its maps: that combination is said.
    std::fs::write(t.path().join("one.ron"), sweep("5000")).unwrap();
    let out = check("one.ron");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "the combination map.width = 40, map.height = 100, agents[0].count = 5000 makes the scenario invalid"
        ),
        "{err}"
    );
}

/// A `Range` holds both its ends exactly and its values between them without float noise
/// (0.1 to 1.0 in 10 steps gave 0.30000000000000004, 0.7999999999999999 and, last,
/// 0.9999999999999999).
#[test]
fn a_range_gives_its_ends_and_clean_values_between() {
    use polity::sweep::spec::Values;
    let v = Values::Range { from: 0.1, to: 1.0, steps: 10 }.expand();
    assert_eq!(v, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]);
    let v = Values::Range { from: 0.1, to: 0.3, steps: 3 }.expand();
    assert_eq!(v, [0.1, 0.2, 0.3]);
    // Values that are not short decimals keep their 15 significant digits.
    let v = Values::Range { from: 0.0, to: 1.0, steps: 4 }.expand();
    assert_eq!(v[1], 0.333333333333333);
    assert_eq!(Values::Range { from: -2.0, to: 5.0, steps: 2 }.expand(), [-2.0, 5.0]);
}
