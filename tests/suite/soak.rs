//! A short soak (docs/testing.md, "Soak"): the long one is `scripts/soak.sh` (10 million ticks),
//! too long for CI. Here `polity run commons` for 100,000 ticks must keep its peak resident set
//! after the first tenth within 1.2 times the peak at the first tenth.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `VmHWM` (the peak resident set) of a live process in kB.
fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()
}

/// The tick of the last row flushed to a staged `metrics.csv`.
fn last_tick(metrics: &Path) -> u64 {
    let Ok(mut f) = std::fs::File::open(metrics) else { return 0 };
    let len = f.metadata().map_or(0, |m| m.len());
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(400)));
    let mut tail = String::new();
    let _ = f.read_to_string(&mut tail);
    let mut lines = tail.lines().rev();
    // The last line may be cut where the buffer was flushed: take the one before it too.
    let last = lines.next().unwrap_or("");
    let before = lines.next().unwrap_or("");
    [last, before].iter().filter_map(|l| l.split(',').next()?.parse().ok()).max().unwrap_or(0)
}

#[test]
fn a_long_run_keeps_its_memory_flat() {
    if !Path::new("/proc/self/status").exists() {
        eprintln!("skipped: no /proc to read memory from");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let ticks = 100_000u64;
    let mut child = Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["run", "commons", "--ticks", &ticks.to_string(), "--out"])
        .arg(t.path().join("r"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let metrics = polity::outputs::staged_name(&t.path().join("r"), polity::outputs::Stage::Partial, child.id())
        .join("metrics.csv");
    let start = Instant::now();
    while last_tick(&metrics) < ticks / 10 {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before a tenth of its ticks was seen");
        assert!(start.elapsed() < Duration::from_secs(120));
        std::thread::sleep(Duration::from_millis(2));
    }
    let early = peak_kb(child.id()).expect("the run is alive");
    let mut late = early;
    while child.try_wait().unwrap().is_none() {
        if let Some(kb) = peak_kb(child.id()) {
            late = late.max(kb);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(child.wait().unwrap().success());
    eprintln!("peak at 10%: {early} kB; after: {late} kB");
    assert!(late as f64 <= 1.2 * early as f64, "memory grew: {early} kB at 10%, {late} kB after");
}
