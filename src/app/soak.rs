//! `polity gui --soak-frames N` (docs/testing.md, "Soak"): plays the world for N frames with
//! every panel open, then quits. At each tenth of the frames it prints to stderr the process's
//! resident memory (now and its peak, from /proc/self/status) and the frame times of that tenth
//! (median, 99th percentile, maximum), so a long run shows whether memory and frame time stay
//! flat.

use std::time::Instant;

use bevy::prelude::*;

/// The soak's state: frames to run, frames seen, this tenth's frame times.
#[derive(Resource)]
pub struct Soak {
    frames: u64,
    seen: u64,
    last: Option<Instant>,
    times: Vec<f64>,
    started: Instant,
    /// The largest `VmHWM` read so far: the kernel's figure can read a little lower later (its
    /// counters are updated lazily), and a peak never falls.
    peak_kb: u64,
}

impl Soak {
    pub fn new(frames: u64) -> Soak {
        Soak { frames, seen: 0, last: None, times: Vec::new(), started: Instant::now(), peak_kb: 0 }
    }
}

/// `VmRSS` and `VmHWM` of this process in kB (0 where /proc cannot be read).
fn memory_kb() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Counts frames and times them; reports each tenth; quits at the end.
pub fn soak_frame(mut soak: ResMut<Soak>, state: Res<super::AppState>, mut exits: MessageWriter<AppExit>) {
    let now = Instant::now();
    if let Some(last) = soak.last {
        let ms = (now - last).as_secs_f64() * 1000.0;
        soak.times.push(ms);
    }
    soak.last = Some(now);
    soak.seen += 1;
    let tenth = soak.frames.div_ceil(10).max(1);
    if soak.seen.is_multiple_of(tenth) || soak.seen == soak.frames {
        let mut t = std::mem::take(&mut soak.times);
        t.sort_by(f64::total_cmp);
        let (rss, hwm) = memory_kb();
        soak.peak_kb = soak.peak_kb.max(hwm).max(rss);
        let hwm = soak.peak_kb;
        crate::tell_err!(
            "soak: frame {}/{} ({:.0} s): tick {}, {} ({} spilled), {} kept; RSS {:.1} MB, peak {:.1} MB; frame time p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            soak.seen,
            soak.frames,
            soak.started.elapsed().as_secs_f64(),
            state.history.rows.last().map_or(0, |r| r.0),
            crate::plural(state.history.len(), "metrics row"),
            state.history.spilled(),
            crate::plural(state.history.events.len() as u64, "event"),
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0,
            percentile(&t, 0.5),
            percentile(&t, 0.99),
            t.last().copied().unwrap_or(0.0),
        );
    }
    if soak.seen >= soak.frames {
        exits.write(AppExit::Success);
    }
}
