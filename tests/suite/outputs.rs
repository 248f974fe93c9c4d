//! Never losing a user's file (docs/outputs.md), through the `polity` binary as a user meets
//! it: every way a run, a recording, a sweep or a resume once deleted or replaced files it did
//! not write, each now refused or harmless, and a property test over random trees of user
//! files and random sequences of commands.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;

fn polity_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polity")).current_dir(dir).args(args).output().expect("polity runs")
}

fn spawn_in(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_polity"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("polity starts")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every file under `root` (links as their target text), with its bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            let t = e.file_type().unwrap();
            if t.is_symlink() {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    fs::read_link(&p).unwrap().into_os_string().into_encoded_bytes(),
                );
            } else if t.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(root).unwrap().to_path_buf(), fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Asserts every file of `before` is still in `root`, byte for byte.
fn assert_kept(root: &Path, before: &BTreeMap<PathBuf, Vec<u8>>, what: &str) {
    let now = tree(root);
    for (p, bytes) in before {
        match now.get(p) {
            None => panic!("{what}: {} was deleted", p.display()),
            Some(b) => assert!(b == bytes, "{what}: {} was changed", p.display()),
        }
    }
}

/// Hidden entries (staging) anywhere under `root`.
fn hidden(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap().flatten() {
            if e.file_name().to_string_lossy().starts_with('.') {
                found.push(e.path());
            }
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
        }
    }
    found
}

fn wait_for(path: &Path, child: &mut Child) {
    let start = Instant::now();
    while !path.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("polity ended ({status}) before {} appeared", path.display());
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill").args([sig, &child.id().to_string()]).status().unwrap().success();
    assert!(ok, "kill {sig}");
}

/// A small sweep: two runs of `commons`, 3 ticks each.
const SWEEP: &str = "Sweep(version: 1, base: \"commons\", parameters: [(path: \"regrowth.radius\", values: List([1.0, 2.0]))], replicates: 1, ticks: Some(3), keep: [End(\"apples\")])";

fn run_ok(dir: &Path, args: &[&str]) {
    let out = polity_in(dir, args);
    assert!(out.status.success(), "polity {args:?}: {}", text(&out.stderr));
}

#[test]
fn out_dot_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path().join("w");
    fs::create_dir(&w).unwrap();
    run_ok(&w, &["run", "commons", "--ticks", "5", "--out", "r"]);
    fs::copy(w.join("r/run.json"), w.join("run.json")).unwrap();
    fs::write(w.join("thesis.txt"), "years of work").unwrap();
    fs::write(t.path().join("beside.txt"), "also mine").unwrap();
    fs::write(t.path().join("s.ron"), SWEEP).unwrap();
    let before = tree(t.path());
    for out in [".", "..", "./", "../w", "r/..", &w.to_string_lossy(), "/"] {
        let o = polity_in(&w, &["run", "run.json", "--out", out]);
        assert_eq!(o.status.code(), Some(2), "--out {out}: {}", text(&o.stderr));
        let e = text(&o.stderr);
        assert!(e.contains("working folder") || e.contains("root folder"), "--out {out}: {e}");
        for cmd in [&["sweep", "../s.ron", "--out", out][..], &["record", "commons", "--ticks", "1", "--out", out]] {
            let o = polity_in(&w, cmd);
            assert_eq!(o.status.code(), Some(2), "{cmd:?}: {}", text(&o.stderr));
        }
    }
    assert_eq!(tree(t.path()), before, "nothing changed, nothing added");
}

#[test]
fn run_never_deletes_files_it_did_not_write() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    // A folder holding a run.json that is not Polity's.
    fs::create_dir_all(w.join("d/src")).unwrap();
    fs::write(w.join("d/run.json"), r#"{"foo":1}"#).unwrap();
    fs::write(w.join("d/src/main.js"), "code").unwrap();
    fs::write(w.join("d/README"), "notes").unwrap();
    let before = tree(w);
    let o = polity_in(w, &["run", "commons", "--ticks", "10", "--out", "d"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("not a Polity run folder"), "{}", text(&o.stderr));
    assert_eq!(tree(w), before);

    // The README's "repeat a run" flow: a notebook beside the run's files is never deleted.
    run_ok(w, &["run", "commons", "--seed", "7", "--ticks", "5"]);
    fs::write(w.join("runs/commons-seed7/analysis.ipynb"), "{}").unwrap();
    let before = tree(w);
    let o = polity_in(w, &["run", "commons", "--seed", "7", "--ticks", "6"]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(e.contains("`analysis.ipynb`") && e.contains("did not write"), "{e}");
    assert_eq!(tree(w), before);
    // (A repeat from its run.json goes beside it, runs/commons-seed7-repeat: it never replaces
    // the folder it reads from; a_run_never_replaces_the_folder_it_reads_its_scenario_from.)

    // Without it, a run folder of Polity's is replaced by the new run, and nothing is left aside.
    fs::remove_file(w.join("runs/commons-seed7/analysis.ipynb")).unwrap();
    run_ok(w, &["run", "commons", "--seed", "7", "--ticks", "9"]);
    let run: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(w.join("runs/commons-seed7/run.json")).unwrap()).unwrap();
    assert_eq!(run["ticks"], 9);
    assert_eq!(fs::read_dir(w.join("runs")).unwrap().count(), 1, "no staging or old folder left in runs/");

    // A folder made by hand with Polity's file names but no run.json is the user's.
    fs::create_dir(w.join("mine")).unwrap();
    fs::write(w.join("mine/metrics.csv"), "my own table").unwrap();
    assert_eq!(polity_in(w, &["run", "commons", "--ticks", "3", "--out", "mine"]).status.code(), Some(2));
    assert_eq!(fs::read_to_string(w.join("mine/metrics.csv")).unwrap(), "my own table");
}

#[test]
fn a_run_folder_edited_since_polity_wrote_it_is_never_replaced() {
    // docs/outputs.md invites editing a run's scenario.ron and running it again: the edit,
    // or an edited table, is the user's work, and a rerun into the folder is refused.
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    run_ok(w, &["run", "commons", "--ticks", "5"]);
    let scenario = w.join("runs/commons-seed0/scenario.ron");
    let edited = format!("// my variant\n{}", fs::read_to_string(&scenario).unwrap());
    fs::write(&scenario, &edited).unwrap();
    let before = tree(w);
    let o = polity_in(w, &["run", "commons", "--ticks", "6"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let e = text(&o.stderr);
    assert!(e.contains("`scenario.ron` changed since Polity wrote it") && e.contains("--out"), "{e}");
    assert_eq!(tree(w), before, "the edit is kept and nothing is added");
    // Run elsewhere, as the hint says, the edited scenario runs.
    run_ok(w, &["run", "runs/commons-seed0/scenario.ron", "--out", "runs/variant"]);
    assert_eq!(fs::read_to_string(&scenario).unwrap(), edited);

    // A table changed by hand (a row appended), and run.json's own values changed.
    let metrics = w.join("runs/variant/metrics.csv");
    let mut table = fs::read_to_string(&metrics).unwrap();
    table.push_str("my,own,row\n");
    fs::write(&metrics, &table).unwrap();
    let o = polity_in(w, &["run", "commons", "--ticks", "3", "--out", "runs/variant"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("`metrics.csv` changed"), "{}", text(&o.stderr));
    assert_eq!(fs::read_to_string(&metrics).unwrap(), table);
    let run_json = w.join("runs/commons-seed0/run.json");
    fs::write(&scenario, edited.strip_prefix("// my variant\n").unwrap()).unwrap();
    let record = fs::read_to_string(&run_json).unwrap().replace("\"ticks\": 5", "\"ticks\": 7");
    fs::write(&run_json, &record).unwrap();
    let o = polity_in(w, &["run", "commons", "--ticks", "3"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("`run.json` changed"), "{}", text(&o.stderr));
    assert_eq!(fs::read_to_string(&run_json).unwrap(), record);
}

#[test]
fn folders_named_like_polity_staging_keep_the_users_files() {
    // A user's folders that happen to carry the names of Polity's staging: the checkpointed
    // run's `.NAME.partial` and a dead process's `.NAME.partial-PID`, each holding a file of
    // the user's beside files named like Polity's. Nothing in them is removed or changed.
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    for d in ["runs/.big.partial", "runs/.small.partial-4999999"] {
        fs::create_dir_all(w.join(d)).unwrap();
        fs::write(w.join(d).join("metrics.csv"), "my table").unwrap();
        fs::write(w.join(d).join("notes.txt"), "mine").unwrap();
    }
    let before = tree(w);
    let o = polity_in(w, &["run", "commons", "--ticks", "4", "--checkpoint-every", "2", "--out", "runs/big"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let e = text(&o.stderr);
    assert!(e.contains("named like Polity's staging") && e.contains("`notes.txt`"), "{e}");
    run_ok(w, &["run", "commons", "--ticks", "4", "--out", "runs/small"]);
    assert_kept(w, &before, "staging-named folders of the user's");
    assert_eq!(tree(&w.join("runs/.big.partial")).len(), 2, "not even a lock file added");
    assert!(w.join("runs/small/run.json").is_file());
}

#[test]
fn staging_names_without_polity_s_code_are_never_cleaned_up() {
    // The new-user tour (2026-12-06): folders of a user's named like a dead process's staging,
    // holding only files named like Polity's, were deleted by the next run into the place
    // (`.z.old-99999/metrics.csv`, `.z.partial-99998/run.json`), and so was a text file named
    // like a recording's (`.v.gif.partial-99999`) and a checkpoint staging's name holding a
    // table (`.c.partial/metrics.csv`). Staging names now carry a code Polity computes.
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    for (d, files) in [
        (".z.old-99999", &["metrics.csv"][..]),
        (".z.partial-99998", &["metrics.csv", "run.json"]),
        (".z.partial-99997-0badc0de", &["metrics.csv"]),
        (".c.partial", &["metrics.csv"]),
        ("frames/.f.partial-99999", &["frame-000000.png"]),
    ] {
        fs::create_dir_all(w.join(d)).unwrap();
        for f in files {
            fs::write(w.join(d).join(f), format!("MY DATA in {d}")).unwrap();
        }
    }
    fs::write(w.join(".v.gif.partial-99999"), "MY GIF NOTES").unwrap();
    let before = tree(w);
    run_ok(w, &["run", "commons", "--ticks", "5", "--out", "z"]);
    run_ok(w, &["record", "commons", "--ticks", "3", "--out", "v.gif"]);
    run_ok(w, &["record", "commons", "--ticks", "2", "--out", "frames/f/"]);
    let o = polity_in(w, &["run", "commons", "--ticks", "4", "--checkpoint-every", "2", "--out", "c"]);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("it has no polity.lock") && e.contains(".c.partial"), "{e}");
    assert_kept(w, &before, "staging-named files and folders of the user's");
    assert!(w.join("z/run.json").is_file() && w.join("v.gif").is_file() && w.join("frames/f").is_dir());
}

#[test]
fn commands_writing_files_into_a_folder_refuse_the_working_folder_and_those_above() {
    // The new-user tour (2026-12-06): `oversight shift --out /` wrote three files into the
    // root; `sum --out .. --force` replaced a file above the working folder.
    let t = tempfile::tempdir().unwrap();
    let w = t.path().join("w");
    fs::create_dir(&w).unwrap();
    fs::write(t.path().join("gain.csv"), "my gain").unwrap();
    let before = tree(t.path());
    for out in [".", "..", "/", "sub/../.."] {
        for args in [
            &["sum", "--dims", "2,4", "--out", out, "--force"][..],
            &["sum", "loop", "--dims", "4,8", "--out", out],
            &["oversight", "shift", "--seeds", "2", "--ticks", "20", "--out", out],
            &["optimal", "paa-optimal", "--widths", "1,2", "--depths", "1", "--seeds", "2", "--out", out],
        ] {
            let o = polity_in(&w, args);
            let e = text(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
            assert!(e.contains("never the folder you run it from or one above it"), "{args:?}: {e}");
        }
    }
    assert_eq!(tree(t.path()), before, "nothing written");
}

#[test]
fn a_file_or_link_named_like_a_runs_staging_is_in_the_way_and_kept() {
    // The new-user tour (2026-12-06): a file `.k8.partial` of the user's stopped every run into
    // `k8` with "writing k8: Not a directory (os error 20)" and exit status 1.
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    fs::write(w.join(".f.partial"), "precious").unwrap();
    fs::create_dir(w.join("mine")).unwrap();
    fs::write(w.join("mine/metrics.csv"), "tick,mine\n").unwrap();
    std::os::unix::fs::symlink("mine", w.join(".l.partial")).unwrap();
    let before = tree(w);
    for (out, what) in [("f", "a file"), ("l", "a symbolic link")] {
        for extra in [&[][..], &["--checkpoint-every", "2"]] {
            let mut args = vec!["run", "commons", "--ticks", "4", "--out", out];
            args.extend(extra);
            let o = polity_in(w, &args);
            let e = text(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
            assert!(e.contains(&format!(".{out}.partial")) && e.contains(&format!("there is {what} here")), "{e}");
        }
    }
    assert_kept(w, &before, "a file and a link named like a run's staging");
    assert!(!w.join("f").exists() && !w.join("l").exists());
}

#[test]
fn a_pipe_is_never_replaced_and_a_name_too_long_for_staging_is_refused_first() {
    // The new-user tour (2026-12-06): `--out mynull --force` (a device) and a FIFO became
    // plain files; a 245-byte `--out` did the whole run, then failed with "File name too long"
    // (the staging name beside it is 26 bytes longer).
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    let made = Command::new("mkfifo").arg(w.join("pipe.csv")).status();
    if made.is_ok_and(|s| s.success()) {
        for args in [
            &["compare", "commons", "tragedy", "--seeds", "0..2", "--ticks", "5", "--out", "pipe.csv", "--force"][..],
            &["record", "commons", "--ticks", "2", "--out", "pipe.gif", "--force"],
        ] {
            if args[0] == "record" {
                Command::new("mkfifo").arg(w.join("pipe.gif")).status().unwrap();
            }
            let o = polity_in(w, args);
            let e = text(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
            assert!(e.contains("is a named pipe (FIFO), not a file") && e.contains("even with --force"), "{e}");
        }
        use std::os::unix::fs::FileTypeExt;
        for f in ["pipe.csv", "pipe.gif"] {
            assert!(fs::symlink_metadata(w.join(f)).unwrap().file_type().is_fifo(), "{f} is still a pipe");
        }
    }
    let long = "a".repeat(polity::outputs::MAX_OUTPUT_NAME + 1);
    for args in [
        &["run", "commons", "--ticks", "5", "--out", long.as_str()][..],
        &["record", "commons", "--ticks", "2", "--out", &format!("{long}.gif")],
        &["sweep", "x.ron", "--out", long.as_str()],
    ] {
        if args[0] == "sweep" {
            fs::write(w.join("x.ron"), "Sweep(version: 1, base: \"commons\", parameters: [(path: \"agents.harvesters.power\", values: List([1.0, 2.0]))], replicates: 1, seeds: (from: 1, rule: PerReplicate), ticks: Some(3), keep: [End(\"apples\")])").unwrap();
        }
        let o = polity_in(w, args);
        let e = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(e.contains("bytes long") && e.contains("at most 229 bytes"), "{e}");
    }
    let fine = "b".repeat(polity::outputs::MAX_OUTPUT_NAME);
    run_ok(w, &["run", "commons", "--ticks", "5", "--out", &fine]);
    assert!(w.join(&fine).join("run.json").is_file());
}

#[test]
fn a_run_that_replaces_another_says_which() {
    // The new-user tour: a different earlier run was replaced without a word.
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    run_ok(w, &["run", "tragedy", "--ticks", "7", "--seed", "9", "--out", "precious"]);
    let o = polity_in(w, &["run", "commons", "--ticks", "3", "--out", "precious"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let said = text(&o.stdout);
    assert!(said.contains("replaced the earlier run in precious: `tragedy`, seed 9, 7 ticks"), "{said}");
    let o = polity_in(w, &["run", "commons", "--ticks", "3", "--out", "fresh"]);
    assert!(!text(&o.stdout).contains("replaced"), "{}", text(&o.stdout));
}

#[test]
fn runs_finishing_into_one_folder_at_once_each_replace_the_one_before() {
    // The new-user tour (2026-12-06): four or eight `polity run … --out shared` started
    // together failed now and then ("writing shared: No such file or directory", "Directory
    // not empty", "appeared while the work ran") and left hidden `.shared.old-…` and
    // `.shared.partial-…` folders behind (11 failures in 160 runs with the old binary).
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    run_ok(w, &["run", "commons", "--ticks", "30", "--out", "lone"]);
    for round in 0..6 {
        let children: Vec<Child> = (0..8)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_polity"))
                    .current_dir(w)
                    .args(["run", "commons", "--ticks", "30", "--out", "shared"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("polity starts")
            })
            .collect();
        let mut replaced = 0;
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "round {round}: {}", text(&o.stderr));
            replaced += text(&o.stdout).contains("replaced the earlier run in shared") as usize;
        }
        // Each says whether it replaced one, as it finished (all eight said so of the folder
        // as it was when they started): the first of the first round found none.
        assert_eq!(replaced, if round == 0 { 7 } else { 8 }, "round {round}");
        assert!(hidden(w).is_empty(), "round {round}: {:?}", hidden(w));
        let names: Vec<String> =
            fs::read_dir(w).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into()).collect();
        assert_eq!(names.len(), 2, "round {round}: {names:?}");
        assert!(tree(&w.join("shared")) == tree(&w.join("lone")), "round {round}: not the lone run's files");
    }
}

#[test]
fn a_folder_made_while_a_run_goes_on_is_kept() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    let child = spawn_in(w, &["run", "commons", "--ticks", "40000", "--out", "results"]);
    // The staging appears first; then the user makes the output folder by hand.
    let start = Instant::now();
    while !fs::read_dir(w).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with(".results.partial-"))
    {
        assert!(start.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(10));
    }
    fs::create_dir(w.join("results")).unwrap();
    fs::write(w.join("results/mine.txt"), "important").unwrap();
    let out = child.wait_with_output().unwrap();
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{e}");
    assert!(e.contains("kept in") && e.contains("results-new"), "{e}");
    assert_eq!(fs::read_to_string(w.join("results/mine.txt")).unwrap(), "important");
    assert_eq!(fs::read_dir(w.join("results")).unwrap().count(), 1);
    assert!(w.join("results-new/run.json").is_file(), "the finished run is kept beside it");
    assert!(hidden(w).is_empty(), "{:?}", hidden(w));
}

/// A checkpointed run of `commons` interrupted early, in `dir/runs/.big.partial`, with its end
/// brought forward to 3 ticks after the checkpoint so that resuming it is quick.
fn interrupted_checkpoint(dir: &Path) -> PathBuf {
    let mut child = spawn_in(
        dir,
        &["run", "commons", "--ticks", "50000000", "--checkpoint-every", "50000000", "--out", "runs/big"],
    );
    let stage = dir.join("runs/.big.partial");
    wait_for(&stage.join("metrics.csv"), &mut child);
    std::thread::sleep(Duration::from_millis(200));
    signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{e}");
    assert!(e.contains("checkpoint was saved") && e.contains("--resume"), "{e}");
    let path = stage.join("checkpoint.ron");
    let mut cp = polity::checkpoint::load(&path).unwrap();
    assert!(cp.world.clock.tick > 0);
    cp.end_tick = cp.world.clock.tick + 3;
    polity::checkpoint::save(&cp, &path).unwrap();
    path
}

/// Moves an interrupted run's staging folder to `dest_parent/.NAME.partial` and points its
/// checkpoint at `dest_parent/NAME`, as if the run had been started there.
fn move_staging(cp: &Path, dest_parent: &Path, name: &str) -> PathBuf {
    let stage = dest_parent.join(format!(".{name}.partial"));
    fs::create_dir_all(&stage).unwrap();
    for e in fs::read_dir(cp.parent().unwrap()).unwrap().flatten() {
        fs::copy(e.path(), stage.join(e.file_name())).unwrap();
    }
    let path = stage.join("checkpoint.ron");
    let mut c = polity::checkpoint::load(&path).unwrap();
    c.run.as_mut().unwrap().out = fs::canonicalize(dest_parent).unwrap().join(name);
    polity::checkpoint::save(&c, &path).unwrap();
    path
}

#[test]
fn resume_checks_its_output() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("A"), t.path().join("B"));
    fs::create_dir_all(&a).unwrap();
    fs::create_dir_all(b.join("runs/big")).unwrap();
    fs::write(b.join("runs/big/paper.tex"), "\\documentclass").unwrap();
    let cp = interrupted_checkpoint(&a);
    let before_b = tree(&b);

    // A checkpoint edited to point elsewhere is refused, wherever it is resumed from.
    let mut edited = polity::checkpoint::load(&cp).unwrap();
    edited.run.as_mut().unwrap().out = b.join("runs/big");
    let edited_path = a.join("edited.ron");
    polity::checkpoint::save(&edited, &edited_path).unwrap();
    let o = polity_in(&b, &["run", "--resume", edited_path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("staging folder"), "{}", text(&o.stderr));
    let in_place = cp.parent().unwrap().join("checkpoint.ron");
    polity::checkpoint::save(&edited, &in_place).unwrap();
    let o = polity_in(&b, &["run", "--resume", in_place.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("was it moved or edited"), "{}", text(&o.stderr));
    // A copy of the staging in B whose checkpoint still names A's folder: refused too.
    let mut original = edited.clone();
    original.run.as_mut().unwrap().out = fs::canonicalize(&a).unwrap().join("runs/big");
    polity::checkpoint::save(&original, &in_place).unwrap();
    fs::create_dir_all(b.join("runs/.big.partial")).unwrap();
    for e in fs::read_dir(a.join("runs/.big.partial")).unwrap().flatten() {
        fs::copy(e.path(), b.join("runs/.big.partial").join(e.file_name())).unwrap();
    }
    let o = polity_in(&b, &["run", "--resume", "runs/.big.partial/checkpoint.ron"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    for e in fs::read_dir(b.join("runs/.big.partial")).unwrap().flatten() {
        fs::remove_file(e.path()).unwrap();
    }
    fs::remove_dir(b.join("runs/.big.partial")).unwrap();
    assert_eq!(tree(&b), before_b, "B is untouched");

    // Resumed from another working folder, the run goes into its own folder (A's), not B's.
    let o = polity_in(&b, &["run", "--resume", in_place.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(a.join("runs/big/run.json").is_file());
    assert!(!a.join("runs/.big.partial").exists());
    assert_eq!(tree(&b), before_b, "B is untouched");

    // A resume whose run folder holds a user's file is refused, and its staging kept.
    let c = t.path().join("C");
    fs::create_dir(&c).unwrap();
    let moved = move_staging(&interrupted_checkpoint(&c), &b.join("runs"), "big");
    let o = polity_in(&a, &["run", "--resume", moved.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("paper.tex"), "{}", text(&o.stderr));
    assert!(b.join("runs/.big.partial/checkpoint.ron").is_file(), "the staging is kept to resume later");
    assert_eq!(fs::read_to_string(b.join("runs/big/paper.tex")).unwrap(), "\\documentclass");
}

#[test]
fn a_run_never_goes_into_a_folder_an_interrupted_run_waits_to_resume_into() {
    // The resume would later put the interrupted run over this one's folder, and the newer
    // results would be gone without a word: the run is refused until the old one is resumed
    // or its staging deleted, checkpointed or not.
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    let cp = interrupted_checkpoint(w);
    let before = tree(w);
    for every in [None, Some("5")] {
        let mut args = vec!["run", "tragedy", "--ticks", "5", "--out", "runs/big"];
        args.extend(every.iter().flat_map(|e| ["--checkpoint-every", e]));
        let o = polity_in(w, &args);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        let e = text(&o.stderr);
        assert!(e.contains("interrupted run") && e.contains("--resume"), "{args:?}: {e}");
        assert_eq!(tree(w), before, "nothing written, the staging kept");
    }
    run_ok(w, &["run", "--resume", cp.to_str().unwrap()]);
    run_ok(w, &["run", "tragedy", "--ticks", "5", "--out", "runs/big"]);
}

#[test]
fn a_resume_never_takes_a_users_file_into_the_run_folder() {
    // A note put into the staging folder ended up in the run folder, unlisted in run.json,
    // and every later run into the folder was refused for it.
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    let cp = interrupted_checkpoint(w);
    let note = w.join("runs/.big.partial/notes.txt");
    fs::write(&note, "mine").unwrap();
    let o = polity_in(w, &["run", "--resume", cp.to_str().unwrap()]);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("holds `notes.txt` that Polity did not write") && e.contains("move it out"), "{e}");
    assert_eq!(fs::read_to_string(&note).unwrap(), "mine");
    assert!(!w.join("runs/big").exists());
    fs::rename(&note, w.join("notes.txt")).unwrap();
    run_ok(w, &["run", "--resume", cp.to_str().unwrap()]);
    run_ok(w, &["run", "commons", "--ticks", "3", "--out", "runs/big"]);
}

/// Ctrl-C while a big world is built (before its first tick): a checkpointed run stops at
/// once, without writing a checkpoint of tick 0 (nothing a new run does not make; a million
/// agents' took a minute and 1.5 GB), and leaves nothing behind.
#[test]
fn an_interrupt_before_the_first_tick_writes_no_checkpoint() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    // 4000² cells and 100,000 agents: some tenths of a second to build, after the staging
    // folder is made; the signal comes as soon as it is there.
    fs::write(
        w.join("b.ron"),
        "Scenario(version: 1, name: \"b\", map: Generated(width: 4000, height: 4000), \
         agents: [(kind: Human, count: 100000)], run: (ticks: 100000))",
    )
    .unwrap();
    let mut child = spawn_in(w, &["run", "b.ron", "--checkpoint-every", "1", "--out", "runs/b"]);
    let start = Instant::now();
    while !w.join("runs/.b.partial").exists() {
        assert!(child.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(60), "no staging folder");
        std::thread::sleep(Duration::from_millis(1));
    }
    signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{e}");
    assert!(
        e.contains("stopped: interrupted by SIGINT or SIGTERM; the unfinished output was removed"),
        "(if a checkpoint was saved, the world was built before the signal came: a faster machine) {e}"
    );
    assert!(!w.join("runs/.b.partial").exists() && !w.join("runs/b").exists(), "nothing left: {:?}", tree(w));
}

#[test]
fn an_interrupted_comparison_says_it_stopped_and_writes_nothing() {
    // It exited 130 without a word (the signal's default), where run and sweep say `stopped:`.
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    let mut child = Command::new(env!("CARGO_BIN_EXE_polity"))
        .current_dir(w)
        .args(["compare", "commons", "tragedy", "--ticks", "50000000", "--seeds", "0..2", "--out", "f.csv"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "still comparing");
    signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{e}");
    assert!(e.contains("stopped: interrupted by SIGINT or SIGTERM"), "{e}");
    assert!(tree(w).is_empty(), "nothing written");
}

#[test]
fn resume_is_refused_while_the_run_is_still_going() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    let mut child =
        spawn_in(w, &["run", "commons", "--ticks", "50000000", "--checkpoint-every", "200", "--out", "runs/live"]);
    let cp = w.join("runs/.live.partial/checkpoint.ron");
    wait_for(&cp, &mut child);
    let o = polity_in(w, &["run", "--resume", "runs/.live.partial/checkpoint.ron"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("still writing"), "{}", text(&o.stderr));
    // A new run into its folder, checkpointed or not, is refused the same way (it was told to
    // delete the live run's staging, or, without checkpoints, raced it into the folder).
    for every in [None, Some("5")] {
        let mut args = vec!["run", "commons", "--ticks", "5", "--out", "runs/live"];
        args.extend(every.iter().flat_map(|e| ["--checkpoint-every", e]));
        let o = polity_in(w, &args);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        assert!(text(&o.stderr).contains("still writing"), "{args:?}: {}", text(&o.stderr));
    }
    assert!(!w.join("runs/live").exists());
    assert!(child.try_wait().unwrap().is_none(), "the original run goes on");
    signal(&child, "-TERM");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(cp.is_file(), "a stopped checkpointed run keeps a checkpoint to resume");
}

#[test]
fn scenario_names_cannot_leave_the_runs_folder() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path().join("w");
    fs::create_dir(&w).unwrap();
    let bad = "Scenario(version: 1, name: \"../../outside/x\", map: Ascii(rows: [\"WWWWW\", \"WAPAW\", \"WWWWW\"]), agents: [(kind: Human, count: 1)])";
    fs::write(w.join("bad.ron"), bad).unwrap();
    for cmd in [&["run", "bad.ron"][..], &["record", "bad.ron", "--ticks", "2"], &["check", "bad.ron"]] {
        let o = polity_in(&w, cmd);
        assert_eq!(o.status.code(), Some(2), "{cmd:?}");
        assert!(text(&o.stderr).contains("bad.ron:1:28: name:"), "{}", text(&o.stderr));
    }
    assert_eq!(fs::read_dir(t.path()).unwrap().count(), 1, "nothing written outside w");
    assert_eq!(fs::read_dir(&w).unwrap().count(), 1, "nothing written in w");
    // A name with spaces and punctuation is tidied into one file-name component.
    // (A file's run is named after the file, tidied the same way.)
    fs::write(w.join("ok.ron"), bad.replace("../../outside/x", "my world: v2")).unwrap();
    fs::copy(w.join("ok.ron"), w.join("my world: v2.ron")).unwrap();
    run_ok(&w, &["run", "my world: v2.ron", "--ticks", "2"]);
    assert!(w.join("runs/my-world--v2-seed0/run.json").is_file());
    run_ok(&w, &["record", "ok.ron", "--ticks", "2"]);
    assert!(w.join("runs/my-world--v2-seed0.gif").is_file());
}

#[test]
fn recording_into_a_frames_folder_keeps_what_is_not_a_frame() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    fs::create_dir_all(w.join("frames/frame-000001.png")).unwrap();
    fs::write(w.join("frames/frame-000001.png/keep.txt"), "mine").unwrap();
    let before = tree(w);
    for force in [false, true] {
        let mut args = vec!["record", "commons", "--ticks", "3", "--out", "frames"];
        if force {
            args.push("--force");
        }
        let o = polity_in(w, &args);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        assert_eq!(tree(w), before);
    }
    // Frames of an earlier recording are replaced only with --force.
    run_ok(w, &["record", "commons", "--ticks", "3", "--out", "fr"]);
    let first = tree(&w.join("fr"));
    assert_eq!(first.len(), 4, "three frames and frames.json");
    let o = polity_in(w, &["record", "commons", "--ticks", "2", "--out", "fr"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--force"));
    assert_eq!(tree(&w.join("fr")), first);
    run_ok(w, &["record", "commons", "--ticks", "2", "--out", "fr", "--force"]);
    assert_eq!(tree(&w.join("fr")).len(), 3);
    assert!(hidden(w).is_empty());
}

#[test]
fn record_never_replaces_a_users_file() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    fs::write(w.join("mine.gif"), "my gif").unwrap();
    fs::write(w.join("commons.gif"), "a file").unwrap();
    fs::create_dir(w.join("data")).unwrap();
    fs::write(w.join("data/gain.csv"), "my table").unwrap();
    fs::write(w.join("notes.txt"), "my notes").unwrap();
    fs::write(w.join("table.csv"), "my csv").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(w.join("notes.txt"), w.join("k.png")).unwrap();
    // A finished sweep to report on and merge.
    fs::write(w.join("s.ron"), SWEEP).unwrap();
    run_ok(w, &["sweep", "s.ron", "--out", "sw", "--threads", "1"]);
    let before = tree(w);
    let refused: [&[&str]; 7] = [
        &["record", "commons", "--ticks", "2", "--out", "mine.gif"],
        &["record", "commons", "--ticks", "2", "--out", "commons.gif/"],
        &["sum", "--dims", "2,4", "--out", "data"],
        &["compare", "commons", "commons", "--seeds", "0..2", "--ticks", "2", "--out", "table.csv"],
        &["sweep-merge", "sw", "--out", "table.csv"],
        &["sweep-report", "sw", "--plot", "apples", "--x", "regrowth.radius", "--png", "k.png"],
        &["sweep-report", "sw", "--plot", "apples", "--x", "regrowth.radius", "--png", "k.jpg"],
    ];
    for args in refused {
        let o = polity_in(w, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(o.stdout.is_empty() || args[0] != "sweep-report", "checked before printing: {args:?}");
        assert_eq!(tree(w), before, "{args:?} changed something");
    }
    // With --force the user's file is replaced (a link itself, never the file it points to).
    run_ok(w, &["record", "commons", "--ticks", "2", "--out", "mine.gif", "--force"]);
    assert!(fs::read(w.join("mine.gif")).unwrap().starts_with(b"GIF89a"));
    run_ok(w, &["sweep-report", "sw", "--plot", "apples", "--x", "regrowth.radius", "--png", "k.png", "--force"]);
    assert_eq!(fs::read_to_string(w.join("notes.txt")).unwrap(), "my notes");
    assert!(fs::read(w.join("k.png")).unwrap().starts_with(b"\x89PNG"));
    run_ok(w, &["sum", "--dims", "2,4", "--out", "data", "--force"]);
    assert_ne!(fs::read_to_string(w.join("data/gain.csv")).unwrap(), "my table");
    assert!(hidden(w).is_empty(), "{:?}", hidden(w));
}

#[test]
fn sweep_report_never_writes_over_the_sweep_it_reads() {
    // `sweep-report sw --csv sw/results.csv --force` replaced the sweep's table with its
    // summary (the sweep could then be neither reported nor resumed); a row file the same.
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    fs::write(w.join("s.ron"), SWEEP).unwrap();
    run_ok(w, &["sweep", "s.ron", "--out", "sw", "--threads", "1"]);
    let before = tree(w);
    let refused: [&[&str]; 6] = [
        &["sweep-report", "sw", "--csv", "sw/results.csv", "--force"],
        // In a folder of the input not made yet (the new-user tour, 2026-12-06: written).
        &["sweep-report", "sw", "--csv", "sw/new/s.csv"],
        &["sweep-merge", "sw", "--out", "sw/new/m.csv"],
        &["sweep-report", "sw", "--csv", "sw/runs/run-000000.csv", "--force"],
        &["sweep-report", "sw/results.csv", "--csv", "sw/results.csv", "--force"],
        &[
            "sweep-report",
            "sw",
            "--csv",
            "sw/summary.csv",
            "--plot",
            "apples",
            "--x",
            "regrowth.radius",
            "--png",
            "k.png",
        ],
    ];
    for args in refused {
        let o = polity_in(w, args);
        let e = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        // Over an input file, or into an input folder (a file added there would be taken for
        // part of it).
        assert!(
            e.contains("Polity does not write over its own inputs, even with --force")
                || e.contains("Polity writes nothing into its inputs, even with --force"),
            "{args:?}: {e}"
        );
        assert!(o.stdout.is_empty(), "checked before printing: {args:?}");
        assert_eq!(tree(w), before, "{args:?} changed something");
    }
    // Elsewhere, both outputs are written.
    run_ok(
        w,
        &["sweep-report", "sw", "--csv", "summary.csv", "--plot", "apples", "--x", "regrowth.radius", "--png", "k.png"],
    );
    assert!(fs::read_to_string(w.join("summary.csv")).unwrap().starts_with("regrowth.radius,metric,"));
    assert!(fs::read(w.join("k.png")).unwrap().starts_with(b"\x89PNG"));
    run_ok(w, &["sweep-report", "sw"]);
    // `--out DIR/` names a folder: a one-file output is refused (compare wrote a file `DIR`);
    // sweep-merge, which takes a folder, writes DIR/results.csv, and so for a new name without
    // an extension (it wrote a file named `mdir`), as `record --out` reads one.
    let o = polity_in(w, &["compare", "commons", "tragedy", "--seeds", "2", "--ticks", "2", "--out", "dirx/"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("dirx/: ends in `/`, so it names a folder"), "{}", text(&o.stderr));
    assert!(!w.join("dirx").exists());
    run_ok(w, &["sweep-merge", "sw", "--out", "mdir"]);
    assert!(w.join("mdir/results.csv").is_file());
    // A device given as a folder is named as one (it was "a file").
    #[cfg(unix)]
    for args in [
        &["run", "commons", "--ticks", "2", "--out", "/dev/null"][..],
        &["train", "commons-learners", "--updates", "1", "--out", "/dev/null"],
    ] {
        let o = polity_in(w, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(text(&o.stderr).contains("/dev/null: is a device, not a folder"), "{args:?}: {}", text(&o.stderr));
    }
}

#[test]
fn sigint_leaves_no_hidden_staging() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    let runs: [(&[&str], &str); 3] = [
        (&["run", "commons", "--ticks", "50000000", "--out", "r"], ".r.partial-"),
        (&["record", "commons", "--ticks", "100000", "--out", "v.gif"], ".v.gif.partial-"),
        (&["record", "commons", "--ticks", "100000", "--out", "frames"], ".frames.partial-"),
    ];
    // Started, and writing its staging (named `stage…`).
    let staged = |args: &[&str], stage: &str| {
        let mut child = spawn_in(w, args);
        let start = Instant::now();
        while !fs::read_dir(w).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with(stage)) {
            assert!(child.try_wait().unwrap().is_none(), "{args:?} ended early");
            assert!(start.elapsed() < Duration::from_secs(60));
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(200));
        child
    };
    for (sig, (args, stage)) in ["-INT", "-TERM", "-INT"].into_iter().zip(runs) {
        let child = staged(args, stage);
        signal(&child, sig);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(130), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("unfinished output was removed"), "{}", text(&out.stderr));
        assert_eq!(fs::read_dir(w).unwrap().count(), 0, "{args:?} left {:?}", tree(w).keys().collect::<Vec<_>>());
    }
    // A second signal ends the process at once, but not before its staging is removed (two
    // signals back to back: the second arrives before the work notices the first).
    for (args, stage) in runs {
        let child = staged(args, stage);
        signal(&child, "-INT");
        signal(&child, "-INT");
        let out = child.wait_with_output().unwrap();
        let e = text(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{args:?}: {e}");
        assert!(e.contains("stopped at once") || e.contains("unfinished output was removed"), "{e}");
        assert_eq!(fs::read_dir(w).unwrap().count(), 0, "{args:?} left {:?}", tree(w).keys().collect::<Vec<_>>());
    }
    // A checkpointed run stopped at once before its first checkpoint: nothing to resume, so its
    // staging goes too (it was kept, with the message "a run's checkpoints are kept" and no
    // checkpoint in it); if the first signal was seen first, a checkpoint is saved and kept.
    for _ in 0..3 {
        let args = ["run", "commons", "--ticks", "50000000", "--checkpoint-every", "100000000", "--out", "c"];
        let child = staged(&args, ".c.partial");
        signal(&child, "-INT");
        signal(&child, "-INT");
        let out = child.wait_with_output().unwrap();
        let e = text(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{e}");
        let left: Vec<_> = fs::read_dir(w).unwrap().flatten().map(|e| e.path()).collect();
        match &left[..] {
            [] => assert!(e.contains("stopped at once"), "{e}"),
            [stage] => {
                assert!(stage.join("checkpoint.ron").is_file(), "a staging without a checkpoint was kept: {e}");
                assert!(e.contains("a checkpoint was saved"), "{e}");
                for f in fs::read_dir(stage).unwrap().flatten() {
                    fs::remove_file(f.path()).unwrap();
                }
                fs::remove_dir(stage).unwrap();
            }
            more => panic!("left {more:?}: {e}"),
        }
    }
    // Into folders not made yet: those made for the output go with it (the new-user tour,
    // 2026-12-06: an interrupted `--out n1/a/b` left an empty `n1/a`), after one signal or two.
    let nested: [&[&str]; 3] = [
        &["run", "commons", "--ticks", "50000000", "--out", "n/a/r"],
        &["record", "commons", "--ticks", "100000", "--out", "n/a/v.gif"],
        &["record", "commons", "--ticks", "100000", "--out", "n/a/frames"],
    ];
    for signals in [1, 2] {
        for args in nested {
            let mut child = spawn_in(w, args);
            let start = Instant::now();
            while !w.join("n/a").is_dir() || fs::read_dir(w.join("n/a")).unwrap().count() == 0 {
                assert!(child.try_wait().unwrap().is_none(), "{args:?} ended early");
                assert!(start.elapsed() < Duration::from_secs(60));
                std::thread::sleep(Duration::from_millis(10));
            }
            std::thread::sleep(Duration::from_millis(200));
            for _ in 0..signals {
                signal(&child, "-INT");
            }
            let out = child.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(130), "{args:?}: {}", text(&out.stderr));
            assert_eq!(fs::read_dir(w).unwrap().count(), 0, "{args:?} left {:?}", fs::read_dir(w).unwrap().count());
        }
    }
    // A SIGKILL cannot be caught: its staging is removed by the next run into the same place.
    let mut child = spawn_in(w, &["run", "commons", "--ticks", "50000000", "--out", "r"]);
    let start = Instant::now();
    while hidden(w).is_empty() {
        assert!(start.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(100));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(hidden(w).len(), 1, "the killed run's staging");
    run_ok(w, &["run", "commons", "--ticks", "3", "--out", "r"]);
    assert!(hidden(w).is_empty(), "stale staging removed: {:?}", hidden(w));
}

#[test]
fn commands_that_write_at_the_end_stop_at_once_on_a_signal() {
    // The new-user tour (2026-12-06): `oversight`, `sum` and `optimal` ended on SIGTERM with
    // status 143 and no word (SIGINT: 130, no word).
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    let long: [&[&str]; 3] = [
        &["oversight", "shift", "--seeds", "4", "--ticks", "3000000", "--out", "o"],
        &["sum", "world", "--seeds", "0..2000", "--out", "s"],
        &[
            "optimal",
            "paa-optimal",
            "--widths",
            "1,2,4,8,16,32,64",
            "--depths",
            "1,2,3,4",
            "--seeds",
            "500",
            "--out",
            "p",
            // (Long by design: without it, budgets this heavy are refused before they start.)
            "--force",
        ],
    ];
    for (args, sig) in long.into_iter().zip(["-TERM", "-INT", "-TERM"]) {
        let child = spawn_in(w, args);
        std::thread::sleep(Duration::from_millis(700));
        signal(&child, sig);
        let start = Instant::now();
        let out = child.wait_with_output().unwrap();
        let e = text(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{args:?}: {e}");
        assert!(e.contains("stopped: interrupted by SIGINT or SIGTERM; nothing was written"), "{args:?}: {e}");
        assert!(start.elapsed() < Duration::from_secs(10), "{args:?} went on for {:?}", start.elapsed());
        assert_eq!(fs::read_dir(w).unwrap().count(), 0, "{args:?} left something");
    }
}

/// One command of the property test: what it runs, with `{out}` standing for an output path.
#[derive(Clone, Debug)]
enum Op {
    Run(usize),
    RunCheckpointed(usize),
    Record(usize, &'static str),
    Sweep(usize),
    Resume(usize),
}

/// Output paths the commands aim at, relative to the working folder `t/w`.
const TARGETS: [&str; 10] = [".", "..", "u", "u/sub", "runs/x", "v", "../outside", "link", "frames", "fresh"];

/// A random tree of user files, under `t/` (with the working folder `t/w`).
const USER_FILES: [&str; 12] = [
    "w/u/notes.txt",
    "w/u/run.json",
    "w/u/sub/metrics.csv",
    "w/runs/x/analysis.ipynb",
    "w/v.gif",
    "w/v/frame-000000.png/keep.txt",
    "w/frames/mine.png",
    "outside/paper.tex",
    "w/thesis.txt",
    "w/runs/x.gif",
    "w/.hidden-notes",
    "beside.txt",
];

fn op() -> impl Strategy<Value = Op> {
    let t = 0..TARGETS.len();
    prop_oneof![
        t.clone().prop_map(Op::Run),
        t.clone().prop_map(Op::RunCheckpointed),
        (t.clone(), prop_oneof![Just(".gif"), Just(""), Just("/")]).prop_map(|(i, e)| Op::Record(i, e)),
        t.clone().prop_map(Op::Sweep),
        t.prop_map(Op::Resume),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever Polity is asked to do, no user file is ever removed or changed.
    #[test]
    fn no_user_file_is_ever_removed_or_changed(
        files in proptest::sample::subsequence(USER_FILES.to_vec(), 3..=USER_FILES.len()),
        ops in proptest::collection::vec(op(), 1..6),
    ) {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        let w = root.join("w");
        fs::create_dir_all(&w).unwrap();
        for (k, f) in files.iter().enumerate() {
            let p = root.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            // run.json files look like Polity's but list nothing: the folder holds other files.
            let body = if f.ends_with("run.json") {
                r#"{"polity_version": "0.1.0", "outputs": []}"#.to_string()
            } else {
                format!("user file {k}")
            };
            fs::write(&p, body).unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("w/u"), w.join("link")).unwrap();
        fs::write(root.join("s.ron"), SWEEP).unwrap();
        let before = tree(root);
        for op in &ops {
            let target = |i: usize| TARGETS[i].to_string();
            let args: Vec<String> = match op {
                Op::Run(i) => vec!["run".into(), "commons".into(), "--ticks".into(), "3".into(), "--out".into(), target(*i)],
                Op::RunCheckpointed(i) => vec!["run".into(), "commons".into(), "--ticks".into(), "3".into(), "--checkpoint-every".into(), "1".into(), "--out".into(), target(*i)],
                Op::Record(i, ext) => vec!["record".into(), "commons".into(), "--ticks".into(), "2".into(), "--size".into(), "64x48".into(), "--out".into(), format!("{}{ext}", target(*i))],
                Op::Sweep(i) => vec!["sweep".into(), "../s.ron".into(), "--threads".into(), "1".into(), "--out".into(), target(*i)],
                Op::Resume(i) => {
                    // A staging folder copied in beside the target, as if a run into it had been interrupted.
                    let dest = w.join(TARGETS[*i]);
                    let (Some(parent), Some(name)) = (dest.parent(), dest.file_name()) else { continue };
                    let name = name.to_string_lossy().into_owned();
                    if name == "." || name == ".." || !parent.is_dir() || fs::symlink_metadata(parent.join(format!(".{name}.partial"))).is_ok() {
                        continue;
                    }
                    let cp = move_staging(fixture(), parent, &name);
                    vec!["run".into(), "--resume".into(), cp.to_string_lossy().into_owned()]
                }
            };
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = polity_in(&w, &args);
            prop_assert!(matches!(out.status.code(), Some(0 | 2)), "{args:?}: {}", text(&out.stderr));
            assert_kept(root, &before, &format!("{args:?}"));
        }
    }
}

/// One interrupted checkpoint for the whole property test, made once.
fn fixture() -> &'static Path {
    static CP: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, cp) = CP.get_or_init(|| {
        let t = tempfile::tempdir().unwrap();
        let cp = interrupted_checkpoint(t.path());
        (t, cp)
    });
    cp
}

/// `child`'s output once it has ended, which must be within `secs` of now (a liveness bound:
/// what it guards against takes minutes).
fn ends_within(mut child: Child, secs: u64, what: &str) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("{what}: still running {secs} s after the interrupt");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn an_interrupt_cuts_a_plan_short_and_nothing_keeps_its_tick() {
    // paa-governor's principal plans at each tax period's end (tick 25, 50, …). With a budget
    // of width 5, depth 4 and 40 citizens one plan takes minutes, and the first SIGINT or
    // SIGTERM was heard only once it had finished (`timeout 120` on 7 citizens: 73 s more).
    // The plan now gives up at once; the tick it would have decided is not kept: not as a run,
    // a checkpoint or a sweep's row.
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let src = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/paa-governor.ron")).unwrap();
    let big =
        src.replace("Budget(width: 2, depth: 2)", "Budget(width: 5, depth: 4)").replace("count: 7,", "count: 40,");
    assert_ne!(big, src);
    fs::write(d.join("big.ron"), big).unwrap();
    // Ticks 1-24 take milliseconds: 1.5 s after the staging appears, tick 25 is planning.
    let interrupted = |args: &[&str], stage: &dyn Fn(u32) -> String| {
        let mut child = spawn_in(d, args);
        wait_for(&d.join(stage(child.id())), &mut child);
        std::thread::sleep(Duration::from_millis(1500));
        signal(&child, "-INT");
        let out = ends_within(child, 30, &format!("{args:?}"));
        let e = text(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{args:?}: {e}");
        e
    };
    // A run without checkpoints: removed.
    let e = interrupted(&["run", "big.ron", "--ticks", "100", "--out", "r"], &|pid| {
        let stage = polity::outputs::staged_name(Path::new("r"), polity::outputs::Stage::Partial, pid);
        format!("{}/metrics.csv", stage.display())
    });
    assert!(e.contains("during tick 25, whose plan was cut short; the unfinished output was removed"), "{e}");
    assert!(!d.join("r").exists() && hidden(d).is_empty(), "{:?}", hidden(d));
    // A checkpointed run keeps its checkpoint of tick 20, not one of the cut tick 25.
    let e = interrupted(&["run", "big.ron", "--ticks", "100", "--checkpoint-every", "10", "--out", "c"], &|_| {
        ".c.partial/checkpoint.ron".into()
    });
    assert!(e.contains("during tick 25, whose plan was cut short; the last checkpoint is kept"), "{e}");
    assert!(e.contains("polity run --resume"), "{e}");
    let cp_path = d.join(".c.partial/checkpoint.ron");
    let mut cp = polity::checkpoint::load(&cp_path).unwrap();
    assert_eq!(cp.world.clock.tick, 20);
    // Resumed to tick 24 (before the next plan), it is the run of 24 ticks never interrupted:
    // the staged files were cut back to the checkpoint, nothing of tick 25 kept.
    cp.end_tick = 24;
    polity::checkpoint::save(&cp, &cp_path).unwrap();
    run_ok(d, &["run", "--resume", ".c.partial/checkpoint.ron"]);
    run_ok(d, &["run", "big.ron", "--ticks", "24", "--out", "whole"]);
    for f in ["metrics.csv", "events.jsonl"] {
        assert!(fs::read(d.join("c").join(f)).unwrap() == fs::read(d.join("whole").join(f)).unwrap(), "{f}");
    }
    // A sweep: no row for the run that was planning.
    let sweep = "Sweep(version: 1, base: \"big.ron\", parameters: [(path: \"tax.rates[0]\", values: List([0.2]))], replicates: 1, ticks: Some(100), keep: [End(\"apples\")])";
    fs::write(d.join("s.ron"), sweep).unwrap();
    let e = interrupted(&["sweep", "s.ron", "--out", "sw"], &|_| "sw/sweep.json".into());
    assert!(e.contains("interrupted"), "{e}");
    assert_eq!(fs::read_dir(d.join("sw/runs")).map(|r| r.count()).unwrap_or(0), 0, "a row of a cut run");
}

#[cfg(target_os = "linux")]
#[test]
fn an_output_in_a_folder_that_takes_no_files_says_so() {
    // `--out /proc/x.gif` said "cannot write in /proc: No such file or directory" of a folder
    // that exists.
    let t = tempfile::tempdir().unwrap();
    for args in [
        &["record", "commons", "--ticks", "2", "--out", "/proc/x.gif"][..],
        &["run", "commons", "--ticks", "2", "--out", "/proc/x"],
    ] {
        let o = polity_in(t.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            text(&o.stderr).contains("cannot write in /proc: that folder takes no new files"),
            "{}",
            text(&o.stderr)
        );
    }
}

#[test]
fn a_run_never_replaces_the_folder_it_reads_its_scenario_from() {
    // `polity run runs/commons-seed0/run.json --ticks 20` replaced the 50-tick run it was
    // given (its default folder is the input's own): the run repeated was lost.
    let t = tempfile::tempdir().unwrap();
    run_ok(t.path(), &["run", "commons", "--ticks", "6"]);
    let original = t.path().join("runs/commons-seed0");
    let before = tree(&original);
    std::os::unix::fs::symlink("runs/commons-seed0", t.path().join("link")).unwrap();
    for args in [
        &["run", "runs/commons-seed0/run.json", "--ticks", "3", "--out", "runs/commons-seed0"][..],
        &["run", "runs/commons-seed0/scenario.ron", "--out", "runs/./commons-seed0/", "--force"],
        // The input through a link to the folder.
        &["run", "link/run.json", "--out", "runs/commons-seed0"],
    ] {
        let dir = t.path();
        let out = polity_in(&dir, args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("a run never replaces the folder it reads its scenario from"), "{args:?}: {err}");
        assert_kept(&original, &before, "the run given as input");
    }
    // Without --out, the repeat goes beside it.
    run_ok(t.path(), &["run", "runs/commons-seed0/run.json"]);
    assert_kept(&original, &before, "the run repeated");
    let repeat = t.path().join("runs/commons-seed0-repeat");
    assert_eq!(fs::read(repeat.join("metrics.csv")).unwrap(), before[Path::new("metrics.csv")]);
    // A run folder of another name: the repeat is named after it (`runs/c3` → `runs/c3-repeat`,
    // as `run --help` says), not the scenario's default folder, which another run of the same
    // scenario and seed holds (a repeat wrote into it, replacing that run).
    run_ok(t.path(), &["run", "commons", "--ticks", "4", "--out", "runs/c3"]);
    run_ok(t.path(), &["run", "runs/c3/run.json"]);
    assert_kept(&original, &before, "the scenario's own default folder");
    let c3 = fs::read(t.path().join("runs/c3/metrics.csv")).unwrap();
    assert_eq!(fs::read(t.path().join("runs/c3-repeat/metrics.csv")).unwrap(), c3);
    // Given from inside the folder, beside it all the same.
    run_ok(&t.path().join("runs/c3"), &["run", "run.json"]);
    assert_eq!(fs::read(t.path().join("runs/c3-repeat/metrics.csv")).unwrap(), c3);
    assert!(!t.path().join("runs/c3/runs").exists());
    // A file of the user's own put in a run folder is no repeat: its run is named after it.
    let repeated = fs::read(t.path().join("runs/c3-repeat/run.json")).unwrap();
    fs::write(t.path().join("runs/c3/mine.ron"), polity::scenario::builtin("tragedy").unwrap().source).unwrap();
    run_ok(t.path(), &["run", "runs/c3/mine.ron", "--ticks", "2"]);
    assert!(t.path().join("runs/mine-seed0/metrics.csv").is_file());
    assert_eq!(fs::read(t.path().join("runs/c3-repeat/run.json")).unwrap(), repeated, "the repeat is left as it was");
}

#[test]
fn two_variants_of_one_scenario_get_a_folder_each() {
    // impact.md's way of comparing baselines (two copies of one scenario, one field changed):
    // both runs went to runs/conveyor-offset-seed0, named by the scenario, and the second
    // replaced the first. A scenario file's run is named after the file.
    let t = tempfile::tempdir().unwrap();
    let text = polity::scenario::builtin("commons").unwrap().source.to_string();
    fs::write(t.path().join("variant-a.ron"), &text).unwrap();
    fs::write(t.path().join("variant-b.ron"), text.replace("seed: 0", "seed: 1")).unwrap();
    run_ok(t.path(), &["run", "variant-a.ron", "--ticks", "3"]);
    run_ok(t.path(), &["run", "variant-b.ron", "--ticks", "3", "--seed", "0"]);
    for v in ["variant-a", "variant-b"] {
        assert!(t.path().join(format!("runs/{v}-seed0/run.json")).is_file(), "{v}");
    }
    assert!(!t.path().join("runs/commons-seed0").exists());
    // A built-in is named by its name.
    run_ok(t.path(), &["run", "commons", "--ticks", "3"]);
    assert!(t.path().join("runs/commons-seed0/run.json").is_file());
}
