//! The CPU cost of one frame of the desktop app: `cargo bench --bench frame`.
//!
//! A frame of `polity gui` runs k ticks ([`Control::run_frame`]), drains the world's logs into
//! the app's history, and repaints the world texture with [`paint::paint`] at the app's cell
//! size. This measures exactly that work, without a window or a GPU (the GPU's share of a
//! frame — uploading the texture, drawing egui — cannot be measured headless; see
//! docs/app.md). At 60 frames per second the whole frame has 16.7 ms.
//!
//! * `commons-large/paint`: repainting the 1000×1000, 10,000-agent world (1 pixel per cell);
//! * `commons-large/frame-k1`, `frame-k4`: 1 or 4 ticks, the drain and the repaint;
//! * `commons/frame-k1`, `frame-k16`: the same on the 24×18 default scenario (32 px per cell).
//!
//! Each benchmark keeps one world running, so its figure averages over the first ticks of
//! the run (the world changes as it goes: commons-large loses apples, so later ticks differ).

use criterion::{Criterion, criterion_group, criterion_main};
use polity::control::{Control, History, Intent, Source};
use polity::paint;
use polity::sim::Sim;

/// The texture size the app aims for (`app::view::TEXTURE_TARGET`).
const TEXTURE_TARGET: u32 = 900;

fn cell(sim: &Sim) -> u32 {
    let g = sim.grid();
    paint::cell_pixels(g.width(), g.height(), TEXTURE_TARGET)
}

/// One app frame's CPU work: k ticks, the drain, the repaint.
fn frame(control: &mut Control, sim: &mut Sim, history: &mut History) -> usize {
    control.run_frame(sim, || false);
    history.take(sim);
    let c = cell(sim);
    paint::paint(sim.world_mut(), c, &[], &paint::art::EMBEDDED).rgba.len()
}

fn started(name: &str, k: u32) -> (Control, Sim, History) {
    let (mut control, mut sim) = Control::start(Source::Builtin(name.into()), None).unwrap();
    control.stop_at = None;
    control.apply(&mut sim, Intent::SetTicksPerFrame(k)).unwrap();
    control.apply(&mut sim, Intent::Play).unwrap();
    let mut history = History::new(&sim);
    history.take(&mut sim);
    (control, sim, history)
}

fn commons_large(c: &mut Criterion) {
    let mut g = c.benchmark_group("commons-large");
    g.sample_size(10);
    let (_, mut sim, _) = started("commons-large", 1);
    let px = cell(&sim);
    g.bench_function("paint", |b| b.iter(|| paint::paint(sim.world_mut(), px, &[], &paint::art::EMBEDDED).rgba.len()));
    for k in [1, 4] {
        let (mut control, mut sim, mut history) = started("commons-large", k);
        g.bench_function(format!("frame-k{k}"), |b| b.iter(|| frame(&mut control, &mut sim, &mut history)));
    }
    g.finish();
}

fn commons(c: &mut Criterion) {
    let mut g = c.benchmark_group("commons");
    for k in [1, 16] {
        let (mut control, mut sim, mut history) = started("commons", k);
        g.bench_function(format!("frame-k{k}"), |b| b.iter(|| frame(&mut control, &mut sim, &mut history)));
    }
    g.finish();
}

criterion_group!(benches, commons_large, commons);
criterion_main!(benches);
