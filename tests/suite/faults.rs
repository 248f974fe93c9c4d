//! Faults while writing (issue 17, docs/testing.md "Faults while writing"): a full disk (a
//! small tmpfs), a read-only output folder (a tmpfs remounted read-only: root ignores file
//! permissions) and a process killed outright, during `run`, `sweep`, `record` and a
//! checkpointed run. Each must leave the previous complete output untouched, or only a hidden,
//! clearly marked `.partial` entry, never a final-named file with partial content.
//!
//! Mounting needs root (CI runs as root). Where mounting is not permitted the tmpfs cases print
//! why and pass without checking anything; the kill cases need no mount.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn polity(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polity")).args(args).output().expect("polity runs")
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("polity starts")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A tmpfs mounted on a fresh temporary folder, unmounted when dropped (even when the test
/// fails).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// A tmpfs of `size` (`mount`'s syntax: `1m`, `64k`), or `None` (with the reason printed)
    /// where this process may not mount.
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0755"), "tmpfs", s(dir.path())])
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                eprintln!("skipped: cannot mount a tmpfs here (needs root): {}", text(&o.stderr).trim());
                None
            }
            Err(e) => {
                eprintln!("skipped: cannot run mount: {e}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Remounts it read-only (or back read-write).
    fn remount(&self, opt: &str) {
        let o = Command::new("mount").args(["-o", &format!("remount,{opt}"), s(self.path())]).output().unwrap();
        assert!(o.status.success(), "remount {opt}: {}", text(&o.stderr));
    }

    /// Fills it up but for about `left` bytes.
    fn fill(&self, left: u64) -> PathBuf {
        let filler = self.path().join("filler");
        let st = nix_statvfs(self.path());
        let free = st.saturating_sub(left);
        fs::write(&filler, vec![0u8; free as usize]).unwrap();
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount").arg(self.path()).status().is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(self.path()).status();
        }
    }
}

/// Free bytes in the file system holding `p` (`df`'s available column).
fn nix_statvfs(p: &Path) -> u64 {
    let o = Command::new("df").args(["-B1", "--output=avail"]).arg(p).output().unwrap();
    text(&o.stdout).lines().nth(1).unwrap().trim().parse().unwrap()
}

/// Every file under `root`, with its bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(root).unwrap().to_path_buf(), fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Entries under `root` whose name starts with a dot (staging, temporary files), except
/// `keep`.
fn hidden(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if e.file_name().to_string_lossy().starts_with('.') {
                out.push(p.clone());
            }
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

/// Asserts `out` failed with exit status 1 and a message naming the cause.
fn failed_with(out: &Output, what: &str, cause: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{what}: {err}");
    assert!(err.starts_with("error: "), "{what}: {err}");
    assert!(err.contains(cause), "{what}: the message names the cause ({cause}): {err}");
    // Not a hidden staging file (`.NAME.partial-PID-CODE`), which is gone when this is read (a
    // checkpointed run's `.NAME.partial/` folder, kept to resume from, is named on purpose).
    assert!(!err.contains(".partial-"), "{what}: the message names a staging file: {err}");
}

/// A small, fast sweep: 2 combinations × 4 replicates of `commons`.
const SWEEP: &str = r#"Sweep(
    version: 1,
    base: "commons",
    parameters: [(path: "agents.harvesters.power", values: List([1.0, 2.0]))],
    replicates: 4,
    seeds: (from: 1, rule: PerReplicate),
    ticks: Some(TICKS),
    keep: [End("apples"), Series("patches_alive")],
)
"#;

fn sweep_file(dir: &Path, ticks: u64) -> PathBuf {
    let p = dir.join("s.ron");
    fs::write(&p, SWEEP.replace("TICKS", &ticks.to_string())).unwrap();
    p
}

const NO_SPACE: &str = "No space left on device";
const READ_ONLY: &str = "Read-only file system";

#[test]
fn a_full_disk_keeps_the_previous_run_and_leaves_nothing_half_written() {
    let Some(fs_) = Tmpfs::mount("1m") else { return };
    let r = fs_.path().join("r");
    // The previous complete output.
    let out = polity(&["run", "commons", "--ticks", "20", "--out", s(&r)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = tree(fs_.path());
    // 200,000 ticks of metrics are about 20 MB (at least 4 MB): refused before the work …
    let out = polity(&["run", "commons", "--ticks", "200000", "--out", s(&r)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("this run's files need at least 4 MB of disk"), "{}", text(&out.stderr));
    assert_eq!(tree(fs_.path()), before);
    // … and with --force (or a disk another process fills) the disk fills mid-run.
    let out = polity(&["run", "commons", "--ticks", "200000", "--force", "--out", s(&r)]);
    failed_with(&out, "run onto a full disk", NO_SPACE);
    assert_eq!(tree(fs_.path()), before, "the previous run folder is untouched and nothing else is left");
    // Into a new folder: nothing at all.
    let out = polity(&["run", "commons", "--ticks", "200000", "--force", "--out", s(&fs_.path().join("new"))]);
    failed_with(&out, "a new run onto a full disk", NO_SPACE);
    assert_eq!(tree(fs_.path()), before);
    assert!(hidden(fs_.path()).is_empty(), "{:?}", hidden(fs_.path()));
}

#[test]
fn a_full_disk_during_a_checkpointed_run_keeps_the_last_checkpoint_to_resume_from() {
    let Some(fs_) = Tmpfs::mount("256k") else { return };
    let t = tempfile::tempdir().unwrap();
    let straight = t.path().join("straight");
    assert!(polity(&["run", "commons", "--ticks", "40000", "--out", s(&straight)]).status.success());
    let r = fs_.path().join("r");
    // 40,000 ticks of metrics are about 4 MB: the disk fills between two checkpoints.
    // (--force: past the disk check, which sees that at least 800 kB will not fit.)
    let out = polity(&["run", "commons", "--ticks", "40000", "--checkpoint-every", "500", "--force", "--out", s(&r)]);
    failed_with(&out, "a checkpointed run onto a full disk", NO_SPACE);
    let stage = fs_.path().join(".r.partial");
    let cp = stage.join("checkpoint.ron");
    assert!(text(&out.stderr).contains(&format!("polity run --resume {}", s(&cp))), "{}", text(&out.stderr));
    assert!(!r.exists(), "no run folder");
    // What is left is the marked staging folder: no temporary checkpoint, and a whole one.
    let names: Vec<String> =
        fs::read_dir(&stage).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "no temporary checkpoint is left: {names:?}");
    let saved = polity::checkpoint::load(&cp).expect("the kept checkpoint loads");
    assert!(saved.run.is_some() && saved.end_tick == 40_000, "a checkpoint of this run");
    // Once there is room, it resumes to the files of a run never interrupted.
    fs_.remount("size=16m");
    let out = polity(&["run", "--resume", s(&cp)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for f in ["metrics.csv", "agents.csv", "events.jsonl"] {
        assert!(fs::read(r.join(f)).unwrap() == fs::read(straight.join(f)).unwrap(), "{f} differs");
    }
    assert!(hidden(fs_.path()).is_empty(), "{:?}", hidden(fs_.path()));
}

#[test]
fn a_full_disk_mid_sweep_keeps_whole_rows_and_the_sweep_goes_on_once_freed() {
    let Some(fs_) = Tmpfs::mount("1m") else { return };
    let t = tempfile::tempdir().unwrap();
    let file = sweep_file(t.path(), 300);
    let straight = t.path().join("straight");
    let out = polity(&["sweep", s(&file), "--threads", "1", "--out", s(&straight)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Room for the sweep file and a few rows, not for every series.
    let sw = fs_.path().join("sw");
    let filler = fs_.fill(12 * 1024);
    let out = polity(&["sweep", s(&file), "--threads", "1", "--out", s(&sw)]);
    failed_with(&out, "a sweep onto a full disk", NO_SPACE);
    // It names the file it could not write, and says what is kept and how to go on.
    let err = text(&out.stderr);
    assert!(err.contains(&format!("{}/", sw.display())) && err.contains(".csv: No space"), "{err}");
    assert!(err.contains("the finished runs are kept in") && err.contains("run the same command again"), "{err}");
    assert!(!sw.join("results.csv").exists(), "no table before every run is in");
    for (p, bytes) in tree(&sw) {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "no temporary file is left: {}", p.display());
        if p.starts_with("runs") {
            let row = text(&bytes);
            assert!(row_file(&row), "a whole row: {}: {row:?}", p.display());
        }
        if p.starts_with("series") {
            let series = text(&bytes);
            assert_eq!(series.lines().count(), 302, "a whole series: {}", p.display());
        }
    }
    fs::remove_file(filler).unwrap();
    let out = polity(&["sweep", s(&file), "--threads", "1", "--out", s(&sw)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sw.join("results.csv")).unwrap(), fs::read(straight.join("results.csv")).unwrap());
}

#[test]
fn a_full_disk_keeps_the_previous_recording() {
    let Some(fs_) = Tmpfs::mount("1m") else { return };
    let gif = fs_.path().join("rec.gif");
    let out = polity(&["record", "commons", "--ticks", "5", "--out", s(&gif)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = tree(fs_.path());
    fs_.fill(8 * 1024);
    let before_filled = tree(fs_.path());
    let out = polity(&["record", "commons", "--ticks", "300", "--force", "--out", s(&gif)]);
    failed_with(&out, "a recording onto a full disk", NO_SPACE);
    assert_eq!(tree(fs_.path()), before_filled, "the previous recording is untouched, nothing else is left");
    // A folder of PNG frames: the same.
    let out = polity(&["record", "commons", "--ticks", "300", "--out", s(&fs_.path().join("frames/"))]);
    failed_with(&out, "PNG frames onto a full disk", NO_SPACE);
    assert_eq!(tree(fs_.path()), before_filled);
    assert_eq!(fs::read(&gif).unwrap(), before[Path::new("rec.gif")]);
    // A table written whole (compare's CSV), the disk now quite full: its message named the
    // hidden staging file.
    fs::write(fs_.path().join("filler-2"), vec![0u8; nix_statvfs(fs_.path()) as usize]).unwrap();
    let before_filled = tree(fs_.path());
    let out = polity(&[
        "compare",
        "commons",
        "commons",
        "--seeds",
        "2",
        "--ticks",
        "3",
        "--out",
        s(&fs_.path().join("c.csv")),
    ]);
    failed_with(&out, "a comparison's CSV onto a full disk", NO_SPACE);
    assert_eq!(tree(fs_.path()), before_filled);
}

#[test]
fn a_read_only_folder_is_a_clear_error_and_nothing_is_written() {
    let Some(fs_) = Tmpfs::mount("4m") else { return };
    let t = tempfile::tempdir().unwrap();
    let file = sweep_file(t.path(), 30);
    let r = fs_.path().join("r");
    let out = polity(&["run", "commons", "--ticks", "20", "--out", s(&r)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = tree(fs_.path());
    fs_.remount("ro");
    let at = |name: &str| s(&fs_.path().join(name)).to_string();
    let (new, cp, sw, gif, frames) = (at("new"), at("cp"), at("sw"), at("a.gif"), format!("{}/", at("frames")));
    let cases: [(&str, Vec<&str>); 6] = [
        ("run over a run", vec!["run", "commons", "--ticks", "20", "--out", s(&r)]),
        ("a new run", vec!["run", "commons", "--ticks", "20", "--out", &new]),
        ("a checkpointed run", vec!["run", "commons", "--ticks", "20", "--checkpoint-every", "5", "--out", &cp]),
        ("a sweep", vec!["sweep", s(&file), "--out", &sw]),
        ("a recording", vec!["record", "commons", "--ticks", "5", "--out", &gif]),
        ("PNG frames", vec!["record", "commons", "--ticks", "5", "--out", &frames]),
    ];
    for (what, args) in cases {
        let out = polity(&args);
        let err = text(&out.stderr);
        // Said before any work, as bad input, by every command alike (`run` and `sweep` said
        // it with exit 1 as they started writing, `record` and `train` with 2).
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(err.starts_with("error: ") && err.contains(READ_ONLY), "{what}: the message says why: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
    fs_.remount("rw");
    assert_eq!(tree(fs_.path()), before, "nothing was written or removed");
}

#[test]
fn a_full_disk_at_a_training_s_first_save_leaves_no_folder_behind() {
    // The new-user tour (2026-12-06): the training failed, left `t/` with an empty `policies/`,
    // and both a new training and `--resume` then refused the folder.
    let Some(fs_) = Tmpfs::mount("200k") else { return };
    let t = fs_.path().join("t");
    let out = polity(&["train", "commons-learners", "--updates", "1", "--out", s(&t)]);
    failed_with(&out, "a training onto a full disk", NO_SPACE);
    assert!(text(&out.stderr).contains("saving update 1 failed") && text(&out.stderr).contains("nothing was kept"));
    assert!(tree(fs_.path()).is_empty() && hidden(fs_.path()).is_empty(), "{:?}", tree(fs_.path()));
    assert!(!t.exists(), "the folder the training made is gone");
    // Into an empty folder of the user's: the folder stays, empty.
    fs::create_dir(&t).unwrap();
    let out = polity(&["train", "commons-learners", "--updates", "1", "--out", s(&t)]);
    failed_with(&out, "a training into an empty folder onto a full disk", NO_SPACE);
    assert!(t.is_dir() && fs::read_dir(&t).unwrap().next().is_none(), "{:?}", tree(&t));
}

#[test]
fn a_later_save_that_fails_says_how_to_go_on() {
    // One update saved, the disk full at the second's save: the message says what is kept
    // and how to resume, and the resume goes on to the straight training's weights.
    let Some(fs_) = Tmpfs::mount("900k") else { return };
    let t = fs_.path().join("t");
    let out = polity(&["train", "commons-learners", "--updates", "3", "--out", s(&t)]);
    failed_with(&out, "a second save onto a full disk", NO_SPACE);
    let err = text(&out.stderr);
    assert!(err.contains("saving update 2 failed") && err.contains("holds 1 finished update"), "{err}");
    assert!(err.contains(&format!("polity train --resume {} --updates 3", s(&t))), "{err}");
    fs_.remount("size=16m");
    let out = polity(&["train", "--resume", s(&t), "--updates", "3"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let straight = tempfile::tempdir().unwrap();
    let st = straight.path().join("t");
    assert!(polity(&["train", "commons-learners", "--updates", "3", "--out", s(&st)]).status.success());
    for f in ["policies/learners.safetensors", "learning.csv"] {
        assert!(fs::read(t.join(f)).ok() == fs::read(st.join(f)).ok(), "{f} differs from a straight training's");
    }
}

#[test]
fn a_mount_point_as_an_output_folder_is_refused_before_the_work() {
    // The new-user tour: an empty tmpfs as `--out` ran, then said it "is no longer empty"
    // (false: a mount point cannot be renamed over) and kept the run in `small-new`.
    let Some(fs_) = Tmpfs::mount("1m") else { return };
    for args in [
        vec!["run", "commons", "--ticks", "5", "--out", s(fs_.path())],
        vec!["record", "commons", "--ticks", "2", "--out", &format!("{}/", s(fs_.path()))],
    ] {
        let out = polity(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("is a mount point") && err.contains("hint: write into a folder inside it"), "{err}");
    }
    assert!(tree(fs_.path()).is_empty() && hidden(fs_.path()).is_empty());
    let parent = fs_.path().parent().unwrap();
    let name = fs_.path().file_name().unwrap().to_string_lossy().into_owned();
    let beside: Vec<_> = fs::read_dir(parent)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(&name) && e.path() != fs_.path())
        .collect();
    assert!(beside.is_empty(), "nothing kept beside it: {:?}", beside.iter().map(|e| e.path()).collect::<Vec<_>>());
    // Inside it, a run goes in.
    let out = polity(&["run", "commons", "--ticks", "5", "--out", s(&fs_.path().join("run"))]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Waits until `path` exists, or fails after a minute; returns false if `child` ended first.
fn wait_for(path: &Path, child: &mut Child) -> bool {
    let start = Instant::now();
    while !path.exists() {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(2));
    }
    true
}

#[test]
fn a_run_killed_over_a_previous_run_leaves_it_untouched_and_its_staging_is_cleaned_up() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path().join("r");
    let out = polity(&["run", "commons", "--ticks", "20", "--out", s(&r)]);
    assert!(out.status.success());
    let before = tree(t.path());
    let mut child = spawn(&["run", "commons", "--ticks", "10000000", "--out", s(&r)]);
    let stage = polity::outputs::staged_name(&r, polity::outputs::Stage::Partial, child.id());
    assert!(wait_for(&stage.join("metrics.csv"), &mut child), "the run ended before it was killed");
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    let now = tree(t.path());
    for (p, bytes) in &before {
        assert_eq!(now.get(p), Some(bytes), "{} untouched", p.display());
    }
    assert_eq!(hidden(t.path()), vec![stage.clone()], "only the marked staging folder is new");
    // The next run into the same place removes it.
    let out = polity(&["run", "commons", "--ticks", "20", "--out", s(&r)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(hidden(t.path()).is_empty(), "{:?}", hidden(t.path()));
    assert_eq!(tree(t.path()), before);
}

#[test]
fn a_recording_killed_over_a_previous_one_leaves_it_untouched() {
    let t = tempfile::tempdir().unwrap();
    let gif = t.path().join("rec.gif");
    let out = polity(&["record", "commons", "--ticks", "5", "--out", s(&gif)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = tree(t.path());
    let mut child = spawn(&["record", "commons", "--ticks", "100000", "--force", "--out", s(&gif)]);
    let stage = polity::outputs::staged_name(&gif, polity::outputs::Stage::Partial, child.id());
    assert!(wait_for(&stage, &mut child), "the recording ended before it was killed");
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(fs::read(&gif).unwrap(), before[Path::new("rec.gif")], "the previous recording is untouched");
    assert_eq!(hidden(t.path()), vec![stage], "only the marked staging file is new");
    let out = polity(&["record", "commons", "--ticks", "5", "--force", "--out", s(&gif)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(hidden(t.path()).is_empty(), "the next recording removes it: {:?}", hidden(t.path()));
}

#[test]
fn a_sweep_killed_mid_write_leaves_whole_rows_and_no_stray_files_after_it_goes_on() {
    let t = tempfile::tempdir().unwrap();
    let file = sweep_file(t.path(), 2000);
    let straight = t.path().join("straight");
    let out = polity(&["sweep", s(&file), "--threads", "2", "--out", s(&straight)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sw = t.path().join("sw");
    for delay in [30u64, 80, 150] {
        let mut child = spawn(&["sweep", s(&file), "--threads", "2", "--out", s(&sw)]);
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap();
        child.wait().unwrap();
        if sw.exists() {
            for (p, bytes) in tree(&sw) {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    assert!(
                        name.ends_with(".partial") || polity::outputs::staged_pid(&name).is_some(),
                        "a stray file is marked partial: {}",
                        p.display()
                    );
                } else if p.starts_with("runs") {
                    assert!(row_file(&text(&bytes)), "{}", p.display());
                }
            }
        }
    }
    let out = polity(&["sweep", s(&file), "--threads", "2", "--out", s(&sw)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sw.join("results.csv")).unwrap(), fs::read(straight.join("results.csv")).unwrap());
    assert!(hidden(&sw).is_empty(), "the finished sweep leaves no temporary file: {:?}", hidden(&sw));
}

#[test]
fn a_run_killed_while_checkpointing_always_leaves_a_whole_checkpoint() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path().join("r");
    let stage = t.path().join(".r.partial");
    // A checkpoint every 20 ticks; killed at several moments, the checkpoint in the staging
    // folder is always a whole one.
    for delay in [50u64, 120, 250, 400] {
        let mut child = spawn(&["run", "commons", "--ticks", "400000", "--checkpoint-every", "20", "--out", s(&r)]);
        if !wait_for(&stage.join("checkpoint.ron"), &mut child) {
            panic!("the run ended before its first checkpoint");
        }
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!r.exists(), "no run folder");
        let cp = stage.join("checkpoint.ron");
        if let Err(e) = polity::checkpoint::load(&cp) {
            panic!("killed after {delay} ms, the checkpoint is not a whole one: {e}");
        }
        let stray: Vec<_> = fs::read_dir(&stage)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with('.'))
            .collect();
        let marked = |n: &str| polity::outputs::staged_pid(n).is_some();
        assert!(stray.iter().all(|n| marked(n)), "{stray:?}");
        fs::remove_dir_all(&stage).unwrap();
    }
    // Killed, then resumed to the end: the same files as a run never interrupted.
    let straight = t.path().join("straight");
    assert!(polity(&["run", "commons", "--ticks", "3000", "--out", s(&straight)]).status.success());
    let mut child = spawn(&["run", "commons", "--ticks", "3000", "--checkpoint-every", "20", "--out", s(&r)]);
    let killed = wait_for(&stage.join("checkpoint.ron"), &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    if killed {
        let out = polity(&["run", "--resume", s(&stage.join("checkpoint.ron"))]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        for f in ["metrics.csv", "agents.csv", "events.jsonl"] {
            assert_eq!(fs::read(r.join(f)).unwrap(), fs::read(straight.join(f)).unwrap(), "{f}");
        }
    }
}

#[test]
fn a_run_killed_before_its_first_checkpoint_is_cleaned_up_and_a_users_look_alike_is_not() {
    // The new-user tour (2026-12-06): a folder of the user's named `.k4.partial`, holding an
    // empty `polity.lock` and tables of theirs, was taken for a killed run's staging and
    // deleted by the next run into `k4`. Polity's lock says it is Polity's.
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    let k = w.join("k");
    let stage = w.join(".k.partial");
    let mut child = spawn(&["run", "commons", "--ticks", "400000", "--checkpoint-every", "300000", "--out", s(&k)]);
    assert!(wait_for(&stage.join("polity.lock"), &mut child), "the run made its staging");
    std::thread::sleep(Duration::from_millis(100));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!stage.join("checkpoint.ron").exists(), "killed before its first checkpoint");
    let out = polity(&["run", "commons", "--ticks", "5", "--out", s(&k)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!stage.exists() && k.join("run.json").is_file(), "Polity's own staging went");
    // The user's look-alike: the same names, a lock that proves nothing.
    let mine = w.join(".m.partial");
    fs::create_dir(&mine).unwrap();
    fs::write(mine.join("polity.lock"), "").unwrap();
    fs::write(mine.join("metrics.csv"), "tick,my,data\n").unwrap();
    let before = tree(w);
    let out = polity(&["run", "commons", "--ticks", "5", "--out", s(&w.join("m"))]);
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("has no polity.lock that Polity wrote") && e.contains(".m.partial"), "{e}");
    assert_eq!(tree(w), before, "nothing of the user's touched, nothing written");
}

/// The staged writes a killed sweep left (its process dead) go when the sweep goes on; a
/// live process's stay.
#[test]
fn a_sweep_going_on_removes_only_dead_sweeps_staged_writes() {
    let t = tempfile::tempdir().unwrap();
    let file = sweep_file(t.path(), 20);
    let sw = t.path().join("sw");
    let out = polity(&["sweep", s(&file), "--out", s(&sw)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A pid above the kernel's pid_max cannot be alive; pid 1 always is.
    let runs = sw.join("runs");
    let dead = polity::outputs::staged_name(&runs.join("run-000000.csv"), polity::outputs::Stage::Partial, 4999999);
    let live = polity::outputs::staged_name(&runs.join("run-000001.csv"), polity::outputs::Stage::Partial, 1);
    let user = runs.join(".notes.partial-4999999.txt");
    // Named like a staged write, without Polity's code (a person's, or an older Polity's).
    let named = runs.join(".run-000002.csv.partial-4999999");
    for f in [&dead, &live, &user, &named] {
        fs::write(f, "half a row").unwrap();
    }
    let out = polity(&["sweep", s(&file), "--out", s(&sw)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!dead.exists(), "a dead sweep's staged write is removed");
    assert!(live.exists() && user.exists(), "a live process's, and a file that is not a staged write, stay");
    assert!(named.exists(), "a file named like a staged write without its code stays");
}

/// A sweep's whole row file (of [`SWEEP`], which keeps a series): one row, its series file's
/// hash, then its digest line.
fn row_file(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    text.ends_with('\n')
        && lines.len() == 3
        && lines[1].starts_with("# series ")
        && lines[1].len() == 25
        && lines[2].starts_with("# digest ")
        && lines[2].len() == 25
}
