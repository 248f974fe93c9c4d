//! Recording throughput and memory: `cargo bench --bench record`.
//!
//! * `record/commons-gif-960x540`: 100 frames of `commons` (one tick a frame) at the default
//!   size, stepped, painted, overlaid, quantised and GIF-encoded (the bytes go to
//!   `io::sink()`); throughput in frames per second.
//! * `record/commons-frames-960x540`: the same without the encoder (rendering alone).
//! * `record/commons-png-960x540`: the same, each frame encoded as a PNG in memory.
//!
//! Peak memory: `POLITY_RECORD_MEMORY=N cargo bench --bench record` records N frames of
//! `commons` to a GIF (discarding the bytes) instead of benchmarking, and prints the process's
//! peak resident memory (VmHWM from /proc/self/status). It should not grow with N.

use std::io;

use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use polity::record::{GifEncoder, NullSink, RecordOptions, Recorder, Size, record_into};
use polity::scenario;

const FRAMES: u64 = 100;

fn options(frames: u64) -> RecordOptions {
    RecordOptions { ticks: frames, ticks_per_frame: 1, fps: 30, size: Size::DEFAULT, seed: 0 }
}

fn record(c: &mut Criterion) {
    let s = scenario::builtin("commons").unwrap().scenario().unwrap();
    let opts = options(FRAMES);
    let mut g = c.benchmark_group("record");
    g.sample_size(10);
    g.throughput(Throughput::Elements(FRAMES));
    g.bench_function("commons-gif-960x540", |b| {
        b.iter_batched(
            || Recorder::new(std::slice::from_ref(&s), &opts),
            |mut r| {
                let mut gif = GifEncoder::new(io::sink(), opts.size, opts.fps).unwrap();
                record_into(&mut r, &mut gif, |_| {}).unwrap();
                gif.finish().unwrap();
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("commons-frames-960x540", |b| {
        b.iter_batched(
            || Recorder::new(std::slice::from_ref(&s), &opts),
            |mut r| record_into(&mut r, &mut NullSink, |_| {}).unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("commons-png-960x540", |b| {
        b.iter_batched(
            || Recorder::new(std::slice::from_ref(&s), &opts),
            |mut r| {
                let mut rgb = Vec::new();
                let mut bytes = 0;
                while let Some(f) = r.next_frame() {
                    let mut out = Vec::new();
                    polity::record::encode::encode_png(&mut out, f, &mut rgb).unwrap();
                    bytes += out.len();
                }
                bytes
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Records `frames` frames of `commons` to a GIF whose bytes are discarded, and prints the
/// peak resident memory.
fn memory(frames: u64) {
    let s = scenario::builtin("commons").unwrap().scenario().unwrap();
    let opts = options(frames);
    let started = std::time::Instant::now();
    let mut r = Recorder::new(&[s], &opts);
    let mut gif = GifEncoder::new(io::sink(), opts.size, opts.fps).unwrap();
    let mut at_1000 = None;
    record_into(&mut r, &mut gif, |f| {
        if f == 1000 {
            at_1000 = vm_hwm();
        }
    })
    .unwrap();
    gif.finish().unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{frames} frames of commons at {} to GIF in {secs:.1} s ({:.0} frames/s); peak memory (VmHWM) after 1000 \
         frames: {} kB, at the end: {} kB",
        opts.size,
        frames as f64 / secs,
        at_1000.map_or("-".into(), |k| k.to_string()),
        vm_hwm().map_or("-".into(), |k| k.to_string())
    );
}

/// The peak resident set size in kB, from /proc/self/status (Linux).
fn vm_hwm() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

criterion_group!(benches, record);

fn main() {
    if let Some(n) = std::env::var("POLITY_RECORD_MEMORY").ok().and_then(|v| v.parse().ok()) {
        memory(n);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
