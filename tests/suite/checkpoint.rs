//! Checkpoints: a world saved to a file and restored goes on exactly as one never stopped —
//! the same state digests, the same metrics bit for bit, the same events — in every built-in
//! mechanism; a checkpointed run killed mid-way and resumed writes the same run folder byte
//! for byte; damaged and foreign files give clear errors.

use std::path::Path;
use std::process::Command;

use polity::checkpoint::{self, Checkpoint};
use polity::metrics::{EventLog, MetricsLog};
use polity::scenario;
use polity::sim::Sim;

fn step_and_log(sim: &mut Sim, ticks: u64) -> (Vec<(u64, Vec<u64>)>, Vec<String>, u64) {
    for _ in 0..ticks {
        sim.step();
    }
    let rows = sim
        .world_mut()
        .resource_mut::<MetricsLog>()
        .drain()
        .into_iter()
        .map(|(t, r)| (t, r.into_iter().map(f64::to_bits).collect()))
        .collect();
    let events = sim
        .world_mut()
        .resource_mut::<EventLog>()
        .drain()
        .into_iter()
        .map(|e| serde_json::to_string(&e).unwrap())
        .collect();
    (rows, events, sim.state_hash())
}

#[test]
fn a_restored_world_goes_on_exactly_as_one_never_stopped() {
    let dir = tempfile::tempdir().unwrap();
    for (name, before, after) in [
        ("commons", 137, 150),
        ("sed-apple-picking", 120, 140),
        ("audited-commons", 75, 100),
        ("paa-governor", 60, 50),
        ("shielded-revenue-max", 60, 50),
        ("commons-impact", 90, 80),
        ("conveyor-belt", 6, 6),
        ("vase-guard", 3, 5),
        ("conveyor-offset", 4, 8),
        ("tragedy", 100, 100),
    ] {
        let mut s = scenario::builtin(name).unwrap().scenario().unwrap();
        if name == "commons" {
            s.sum.harm = true;
        }
        let end = before + after;
        let mut straight = Sim::new(&s, 3, end);
        let mut stopped = Sim::new(&s, 3, end);
        step_and_log(&mut straight, before);
        step_and_log(&mut stopped, before);
        let path = dir.path().join(format!("{name}.ron"));
        checkpoint::save(&stopped.checkpoint(), &path).unwrap();
        drop(stopped);
        let cp = checkpoint::load(&path).unwrap();
        let mut resumed = Sim::restore(&cp).unwrap();
        assert_eq!(resumed.state_hash(), straight.state_hash(), "{name}: restored state");
        let a = step_and_log(&mut straight, after);
        let b = step_and_log(&mut resumed, after);
        assert_eq!(a.2, b.2, "{name}: state after {after} more ticks");
        assert_eq!(a.0, b.0, "{name}: metrics, bit for bit");
        assert_eq!(a.1, b.1, "{name}: events");
    }
}

#[test]
fn checkpoints_are_versioned_and_damage_is_reported_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario::builtin("commons").unwrap().scenario().unwrap();
    let mut sim = Sim::new(&s, 0, 100);
    step_and_log(&mut sim, 10);
    let cp: Checkpoint = sim.checkpoint();
    let path = dir.path().join("cp.ron");
    checkpoint::save(&cp, &path).unwrap();
    assert!(checkpoint::is_checkpoint(&path));
    let text = std::fs::read_to_string(&path).unwrap();
    // Another format version.
    let newer = dir.path().join("newer.ron");
    assert!(text.starts_with(&format!("(format:{}", checkpoint::FORMAT)));
    std::fs::write(&newer, text.replacen(&format!("(format:{}", checkpoint::FORMAT), "(format:99", 1)).unwrap();
    let e = checkpoint::load(&newer).unwrap_err().to_string();
    assert!(
        e.contains("checkpoint format 99")
            && e.contains(&format!("reads formats {} and {}", checkpoint::UNSEALED, checkpoint::FORMAT)),
        "{e}"
    );
    // Cut short.
    let cut = dir.path().join("cut.ron");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let e = checkpoint::load(&cut).unwrap_err().to_string();
    assert!(e.starts_with(&format!("{}:1:", cut.display())) && e.contains("damaged"), "{e}");
    // Not a checkpoint at all.
    let scen = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/commons.ron");
    assert!(!checkpoint::is_checkpoint(&scen));
    let e = checkpoint::load(&scen).unwrap_err().to_string();
    assert!(e.contains("not a Polity checkpoint"), "{e}");
}

fn polity(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_polity")).args(args).output().expect("polity runs")
}

fn folder_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

/// metrics.csv's rows as (tick, values), and its header.
fn metrics_rows(dir: &Path) -> (String, Vec<(u64, Vec<f64>)>) {
    let text = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let rows = lines
        .map(|l| {
            let mut f = l.split(',');
            let tick = f.next().unwrap().parse().unwrap();
            (tick, f.map(|x| x.parse().unwrap()).collect())
        })
        .collect();
    (header, rows)
}

#[test]
fn a_run_killed_mid_way_and_resumed_writes_the_same_folder_byte_for_byte() {
    let t = tempfile::tempdir().unwrap();
    // Kill the run once a checkpoint past tick 0 exists. A run that finishes before the kill
    // lands proves nothing, so try again with a longer run (up to 4 times) and fail if it
    // never could be killed.
    let mut attempt = None;
    for (k, ticks) in [3000u64, 12_000, 48_000, 192_000].into_iter().enumerate() {
        let killed = t.path().join(format!("killed{k}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_polity"))
            .args(["run", "audited-commons", "--seed", "5", "--checkpoint-every", "200", "--ticks"])
            .arg(ticks.to_string())
            .arg("--out")
            .arg(&killed)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let cp = t.path().join(format!(".killed{k}.partial")).join("checkpoint.ron");
        let start = std::time::Instant::now();
        while !cp.exists() && child.try_wait().unwrap().is_none() {
            assert!(start.elapsed().as_secs() < 120, "no checkpoint appeared");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let _ = child.kill();
        let status = child.wait().unwrap();
        if !status.success() {
            attempt = Some((ticks, killed, cp));
            break;
        }
    }
    let (ticks, killed, cp) = attempt.expect("the run finished before every kill: nothing was tested");
    assert!(!killed.exists(), "a killed run leaves no run folder");
    let stage = cp.parent().unwrap().to_path_buf();
    // The checkpoint stands part-way: past tick 0, before the end.
    let saved = checkpoint::load(&cp).unwrap();
    let at = saved.world.clock.tick;
    assert!(at > 0 && at < ticks && at.is_multiple_of(200), "checkpoint at tick {at} of {ticks}");
    let backup = t.path().join("backup");
    copy_dir(&stage, &backup);

    let straight = t.path().join("straight");
    let out = polity(
        &["run", "audited-commons", "--seed", "5", "--ticks", &ticks.to_string(), "--out"]
            .iter()
            .copied()
            .chain([straight.to_str().unwrap()])
            .collect::<Vec<_>>(),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // A run killed while saving a checkpoint leaves the save's temporary file beside it: the
    // resumed run's folder holds no such file.
    std::fs::write(stage.join(".checkpoint.ron.x1Y2z3.partial"), "(half a checkpoint").unwrap();
    let out = polity(&["run", "--resume", cp.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!stage.exists(), "the staging folder is gone");
    assert_eq!(folder_bytes(&killed), folder_bytes(&straight), "resumed run folder is byte-identical");

    // Deterministic runs would give the same folder if --resume ignored the checkpoint and
    // started over, so resume once more from a marked copy: one agent given an extra apple in
    // the checkpoint, and the staged metrics header written in capitals. A resume that goes
    // on from the checkpoint keeps the staged rows (and the marked header) up to its tick and
    // shows the extra apple from the next tick on.
    std::fs::rename(&killed, t.path().join("first-resume")).unwrap();
    copy_dir(&backup, &stage);
    let mut marked = checkpoint::load(&cp).unwrap();
    // (in its ledger and in its SED reward, which the welfare columns aggregate).
    marked.world.agents[0].ledger.balance += 1000;
    marked.world.agents[0].reward.last_balance += 1000;
    marked.world.agents[0].reward.total += 1.0;
    let staged = stage.join("metrics.csv");
    let text = std::fs::read_to_string(&staged).unwrap();
    assert!(text.starts_with("tick,"));
    let capitals = text.replacen("tick,", "TICK,", 1);
    std::fs::write(&staged, &capitals).unwrap();
    // (The staged files are the run's as the checkpoint's digests say: a header edited
    // behind its back is refused, below; here the checkpoint says the capitals are the run's.)
    let mark = marked.run.as_mut().unwrap();
    mark.digests.as_mut().expect("digests kept")[0] = polity::hash::of(&capitals.as_bytes()[..mark.bytes[0] as usize]);
    checkpoint::save(&marked, &cp).unwrap();
    let out = polity(&["run", "--resume", cp.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (header, rows) = metrics_rows(&killed);
    let (want_header, want_rows) = metrics_rows(&straight);
    assert_eq!(header, want_header.replacen("tick,", "TICK,", 1), "the staged rows were kept, not rewritten");
    assert_eq!(rows.len(), want_rows.len());
    let mean = want_header.split(',').position(|c| c == "welfare_mean").unwrap() - 1;
    for (r, w) in rows.iter().zip(&want_rows) {
        assert_eq!(r.0, w.0);
        if r.0 <= at {
            assert_eq!(r.1, w.1, "tick {}: before the checkpoint, the staged rows", r.0);
        } else {
            // One more apple among 7 agents: the mean reward is 1/7 apple higher.
            assert!((r.1[mean] - w.1[mean] - 1.0 / 7.0).abs() < 1e-9, "tick {}: {} vs {}", r.0, r.1[mean], w.1[mean]);
        }
    }

    // A run staged by an older Polity (agents.csv without the `group` column) is not
    // continued with rows of another shape: refused, its staged agents.csv as it was.
    std::fs::rename(&killed, t.path().join("second-resume")).unwrap();
    copy_dir(&backup, &stage);
    // (An older Polity's checkpoint kept no digests of the staged files, which would refuse
    // the edited header before its shape is read.)
    let mut older = checkpoint::load(&cp).unwrap();
    older.run.as_mut().unwrap().digests = None;
    checkpoint::save(&older, &cp).unwrap();
    let agents = stage.join("agents.csv");
    let old = std::fs::read_to_string(&agents).unwrap().replacen(",group,", ",", 1);
    std::fs::write(&agents, &old).unwrap();
    let out = polity(&["run", "--resume", cp.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("an older Polity staged this run") && err.contains("hint: delete"), "{err}");
    assert_eq!(std::fs::read_to_string(&agents).unwrap(), old, "the staged agents.csv was changed");
    assert!(!killed.exists());

    // A staged file edited since the checkpoint, its length kept (the files tour,
    // 2026-12-07: a resume took the edit into the finished folder, and run.json hashed it as
    // Polity's): refused, the files as they were.
    copy_dir(&backup, &stage);
    for (file, from, to) in [("events.jsonl", "\"tick\":", "\"tock\":"), ("metrics.csv", "\n1,", "\n7,")] {
        let path = stage.join(file);
        let before = std::fs::read_to_string(&path).unwrap();
        let edited = before.replacen(from, to, 1);
        assert_ne!(edited, before, "{file}: {from}");
        std::fs::write(&path, &edited).unwrap();
        let out = polity(&["run", "--resume", cp.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("{file} changed since the checkpoint was written")) && err.contains("hint: delete"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), edited, "{file} was changed");
        assert!(!killed.exists());
        std::fs::write(&path, before).unwrap();
    }
}

#[test]
fn resume_refuses_what_it_cannot_do() {
    let t = tempfile::tempdir().unwrap();
    let missing = t.path().join("nope.ron");
    let out = polity(&["run", "--resume", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    let out = polity(&["run", "commons", "--resume", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "a scenario and --resume together");
    let out = polity(&["run", "commons", "--checkpoint-every", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_checkpoint_changed_since_polity_wrote_it_is_refused() {
    // A seed, a clock or a run folder edited in a checkpoint went on as a run that never was:
    // the old draws under a new seed in run.json, 66 rows of a 200-tick run, another
    // scenario's rows spliced into a run folder. All exited 0.
    let t = tempfile::tempdir().unwrap();
    let s = polity::scenario::builtin("commons").unwrap().scenario().unwrap();
    let mut sim = polity::sim::Sim::new(&s, 1, 30);
    for _ in 0..4 {
        sim.step();
    }
    let path = t.path().join("cp.ron");
    checkpoint::save(&sim.checkpoint(), &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().last().unwrap().starts_with("// digest "), "sealed");
    assert!(checkpoint::load(&path).is_ok());
    for (from, to) in [(",seed:1,", ",seed:7,"), ("end_tick:30", "end_tick:31")] {
        assert!(text.contains(from), "{from}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        let e = checkpoint::load(&path).map(drop).unwrap_err().to_string();
        assert!(e.contains("cp.ron: the checkpoint was changed since Polity wrote it") && e.contains("hint:"), "{e}");
    }
    // One written before checkpoints were sealed (format 2, no digest) is read as it is; one
    // of the sealed format whose digest line was deleted (with an edit, say) is refused.
    let body = text.lines().next().unwrap();
    std::fs::write(&path, format!("{body}\n")).unwrap();
    let e = checkpoint::load(&path).map(drop).unwrap_err().to_string();
    assert!(e.contains("cp.ron: the checkpoint was changed since Polity wrote it"), "{e}");
    let unsealed =
        body.replacen(&format!("(format:{},", checkpoint::FORMAT), &format!("(format:{},", checkpoint::UNSEALED), 1);
    assert_ne!(unsealed, body);
    std::fs::write(&path, format!("{unsealed}\n")).unwrap();
    assert!(checkpoint::load(&path).is_ok());
}

/// Damaged checkpoints that fuzzing (fuzz/, target `checkpoint_restore`) found to crash the
/// world's rebuild: each in tests/bad/checkpoints/ must be refused by `checkpoint::load` and by
/// the app's Open (which restores it) with every line of its `.expected` file.
#[test]
fn damaged_checkpoints_from_fuzzing_are_refused_with_their_message() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bad/checkpoints"));
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    let mut checked = 0;
    for path in entries.into_iter().filter(|p| p.extension().is_some_and(|e| e == "ron")) {
        let expected = std::fs::read_to_string(path.with_extension("expected")).unwrap();
        assert!(checkpoint::is_checkpoint(&path), "{}", path.display());
        let loaded = checkpoint::load(&path).map(|_| ()).unwrap_err().to_string();
        let opened = match polity::control::Control::start(polity::control::Source::File(path.clone()), None) {
            Ok(_) => panic!("{}: the app opened it", path.display()),
            Err(e) => e.to_string(),
        };
        for line in expected.lines().filter(|l| !l.trim().is_empty()) {
            assert!(loaded.contains(line), "{}: expected\n  {line}\nin\n{loaded}", path.display());
            assert!(opened.contains(line), "{}: expected\n  {line}\nin\n{opened}", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 1);
}

/// `Sim::save_checkpoint` (what a checkpointed run writes, without copying the world first)
/// writes the very bytes `checkpoint::save` writes of `Sim::checkpoint`, run mark included,
/// in worlds with every kind of part.
#[test]
fn a_checkpoint_written_from_the_world_is_the_one_written_from_its_copy() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["commons", "sed-apple-picking", "audited-commons", "conveyor-belt", "paa-governor"] {
        let s = scenario::builtin(name).unwrap().scenario().unwrap();
        let mut sim = Sim::new(&s, 3, 40);
        for _ in 0..7 {
            sim.step();
        }
        let mark = checkpoint::RunMark {
            out: "runs/x".into(),
            every: 7,
            bytes: [1, 2, 3],
            digests: Some([5, 6, 7]),
            events: 4,
            last: vec![0.5, f64::INFINITY],
        };
        let (a, b) = (dir.path().join(format!("{name}-a.ron")), dir.path().join(format!("{name}-b.ron")));
        sim.save_checkpoint(Some(mark.clone()), &a).unwrap();
        let mut cp = sim.checkpoint();
        cp.run = Some(mark);
        checkpoint::save(&cp, &b).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "{name}");
        assert!(checkpoint::load(&a).is_ok(), "{name}");
    }
}
