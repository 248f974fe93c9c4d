//! Recording videos of a scenario (`polity record`): the world as the desktop app shows it,
//! painted on the CPU by [`crate::paint`], with an overlay of the tick, the scenario's name,
//! the elected objective `p`, key metrics and live plots, written as an animated GIF, a
//! folder of PNG frames, or MP4/WebM through ffmpeg. Two scenarios can be recorded side by
//! side over the same seed.
//!
//! A [`Recorder`] steps one [`Sim`] per panel by `ticks_per_frame` ticks and composes one
//! frame at a time; frames are handed to a [`FrameSink`] as they are made and never held, so
//! memory does not grow with the length of a recording. Nothing reads the clock or the
//! machine: the same scenarios, seed and options give the same frames, pixel for pixel (and
//! the same GIF and PNG files, byte for byte).
//!
//! Frame `i` (from 0) shows the world after tick `min((i + 1) · ticks_per_frame, ticks)`, so
//! a recording of `ticks` ticks has `⌈ticks / ticks_per_frame⌉` frames.

pub mod encode;
pub mod frame;

use crate::columns;
use std::io;

pub use encode::{FrameSink, GifEncoder, NullSink, Output, ffmpeg_available};
use frame::{Layout, Overlay, Plot, Rect};

use crate::metrics::{Column, MetricsLog};
use crate::paint::{self, Canvas, Flash};
use crate::scenario::Scenario;
use crate::sim::Sim;

/// A frame size in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Size {
    /// The smallest frame that still holds a legible overlay.
    pub const MIN: Size = Size { width: 160, height: 90 };
    /// The largest frame (8K).
    pub const MAX: Size = Size { width: 7680, height: 4320 };
    /// The default frame.
    pub const DEFAULT: Size = Size { width: 960, height: 540 };
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

impl std::str::FromStr for Size {
    type Err = String;
    /// `WIDTHxHEIGHT`, e.g. `960x540`, within [`Size::MIN`] and [`Size::MAX`].
    fn from_str(s: &str) -> Result<Size, String> {
        let (w, h) =
            s.split_once(['x', 'X', '×']).ok_or_else(|| format!("`{s}` is not WIDTHxHEIGHT (for example 960x540)"))?;
        let num =
            |v: &str| v.trim().parse::<u32>().map_err(|_| format!("`{s}` is not WIDTHxHEIGHT (for example 960x540)"));
        let size = Size { width: num(w)?, height: num(h)? };
        if size.width < Size::MIN.width || size.height < Size::MIN.height {
            return Err(format!("{size} is too small for the overlay; use at least {}", Size::MIN));
        }
        if size.width > Size::MAX.width || size.height > Size::MAX.height {
            return Err(format!("{size} is too large; use at most {}", Size::MAX));
        }
        Ok(size)
    }
}

/// What to record.
#[derive(Clone, Copy, Debug)]
pub struct RecordOptions {
    /// Ticks to run.
    pub ticks: u64,
    /// Ticks between frames (at least 1).
    pub ticks_per_frame: u64,
    /// Frames per second of the video.
    pub fps: u32,
    /// Frame size.
    pub size: Size,
    /// The seed (every panel runs with it).
    pub seed: u64,
}

impl RecordOptions {
    /// Frames in the recording: `⌈ticks / ticks_per_frame⌉`.
    pub fn frames(&self) -> u64 {
        self.ticks.div_ceil(self.ticks_per_frame.max(1))
    }
    /// Seconds of video.
    pub fn seconds(&self) -> f64 {
        self.frames() as f64 / self.fps.max(1) as f64
    }
}

/// How long an event flash lasts, in ticks, at `ticks_per_frame`.
fn flash_ticks(ticks_per_frame: u64) -> u64 {
    (2 * ticks_per_frame).max(12)
}

/// One scenario's side of the frame: its world, what the overlay shows and its plots' history.
/// The Python API's `render()` draws one panel the size of the whole frame.
pub struct Panel {
    name: String,
    sim: Sim,
    layout: Layout,
    cell: u32,
    columns: Vec<Column>,
    last: Vec<f64>,
    /// Cells of recent `patch_lost` events and their ticks.
    flashes: Vec<(u32, u32, u64)>,
    welfare_column: &'static str,
    /// Whether the world has apples (else no apple metrics or plot are shown).
    has_apples: bool,
    plots: Vec<Plot>,
    /// What the world holds, for its legend.
    legend: crate::paint::Legend,
}

impl Panel {
    fn new(scenario: &Scenario, opts: &RecordOptions, area: Rect) -> Panel {
        // The policy files a half plays, in its header: two halves of one scenario, one of
        // them playing a trained policy, had the same header.
        let played: Vec<String> = scenario
            .weights_files()
            .into_iter()
            .map(|(group, file)| {
                let name = std::path::Path::new(&file).file_name().map(|n| n.to_string_lossy().into_owned());
                format!("{group}={}", name.unwrap_or(file))
            })
            .collect();
        let title = match played.is_empty() {
            true => scenario.name.clone(),
            false => format!("{}, playing {}", scenario.name, played.join(", ")),
        };
        Panel::in_area(&title, Sim::new(scenario, opts.seed, opts.ticks), area)
    }

    /// A panel of `sim` (a world just built) filling a frame of `size`.
    pub fn with_sim(name: &str, sim: Sim, size: Size) -> Panel {
        Panel::in_area(name, sim, Rect { x: 0, y: 0, w: size.width as i64, h: size.height as i64 })
    }

    fn in_area(name: &str, sim: Sim, area: Rect) -> Panel {
        let columns = sim.world().resource::<MetricsLog>().columns().to_vec();
        let (mw, mh) = {
            let g = sim.grid();
            (g.width(), g.height())
        };
        let welfare_column = if columns.iter().any(|c| c == columns::WELFARE_ELECTED) {
            columns::WELFARE_ELECTED
        } else {
            columns::WELFARE_MEAN
        };
        let legend = crate::paint::Legend::of(crate::sim::core(sim.world()));
        let since = sim.tick();
        let mut p = Panel {
            name: name.to_string(),
            sim,
            layout: Layout::new(area, mw, mh, 0),
            cell: 1,
            columns,
            last: Vec::new(),
            flashes: Vec::new(),
            welfare_column,
            has_apples: true,
            legend,
            plots: vec![
                Plot {
                    label: "apples standing".into(),
                    color: frame::colors::APPLES,
                    history: Default::default(),
                    since,
                },
                Plot {
                    label: if welfare_column == columns::WELFARE_MEAN { "welfare mean" } else { "welfare at p" }.into(),
                    color: frame::colors::WELFARE,
                    history: Default::default(),
                    since,
                },
            ],
        };
        p.absorb();
        // A world without apples (objects only, say) shows no apple metrics or plot.
        p.has_apples = p.metric(columns::APPLES).is_some_and(|a| a > 0.0)
            || p.metric(columns::PATCHES_ALIVE).is_some_and(|a| a > 0.0);
        if !p.has_apples {
            p.plots.remove(0);
        }
        p.push_history();
        p.layout = Layout::new(area, mw, mh, p.lines().len());
        p.cell = p.layout.cell(mw, mh);
        p
    }

    /// Takes what the last tick measured: the metrics row and events (for flashes); returns
    /// what was drained.
    fn absorb(&mut self) -> crate::metrics::TickOutput {
        let mut out = self.sim.drain();
        if let Some((_, row)) = out.rows.last() {
            self.last = row.clone();
        }
        // Every event with a place flashes, as on the app's map (audits, detections and a
        // shield's vetoes did not).
        for e in &out.events {
            if let Some((x, y)) = e.event.cell() {
                self.flashes.push((x, y, e.tick));
            }
        }
        out.rows.clear();
        out
    }

    /// Runs one tick and takes what it measured (its events come back).
    pub fn step(&mut self) -> crate::metrics::TickOutput {
        self.sim.step();
        let out = self.absorb();
        self.push_history();
        out
    }

    /// The world.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The world, to change between ticks.
    pub fn sim_mut(&mut self) -> &mut Sim {
        &mut self.sim
    }

    /// The metrics' columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The last metrics row, in column order.
    pub fn last(&self) -> &[f64] {
        &self.last
    }

    /// Lays the panel out again to fill a frame of `size`.
    pub fn resize(&mut self, size: Size) {
        let g = self.sim.grid();
        let (mw, mh) = (g.width(), g.height());
        let area = Rect { x: 0, y: 0, w: size.width as i64, h: size.height as i64 };
        self.layout = Layout::new(area, mw, mh, self.lines().len());
        self.cell = self.layout.cell(mw, mh);
    }

    /// The panel drawn on a frame of its own (the world after `end_tick` ticks is the end).
    pub fn frame(&mut self, end_tick: u64) -> Canvas {
        let a = self.layout.panel;
        let mut frame = Canvas::new(a.w as u32, a.h as u32, frame::colors::FRAME_BG);
        self.draw_now(&mut frame, end_tick, 1);
        frame
    }

    fn metric(&self, column: &str) -> Option<f64> {
        self.columns.iter().position(|c| c == column).and_then(|i| self.last.get(i).copied())
    }

    /// The overlay's label and value pairs.
    fn lines(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let m = |c: &str| self.metric(c);
        if let Some(e) = self.sim.part::<crate::voting::Election>() {
            let p = match e.elected {
                p if p == f64::NEG_INFINITY => "−∞".to_string(),
                p if p == f64::INFINITY => "+∞".to_string(),
                p => crate::voting::label(p),
            };
            // (Before the first election, the p served is the scenario's initial one.)
            out.push((if e.held == 0 { "p, none elected yet" } else { "p elected" }.into(), p));
        }
        if self.has_apples {
            out.push(("apples standing".into(), m(columns::APPLES).map_or("-".into(), frame::short)));
            out.push(("patches alive".into(), m(columns::PATCHES_ALIVE).map_or("-".into(), frame::short)));
        }
        let welfare_label = if self.welfare_column == columns::WELFARE_MEAN { "welfare mean" } else { "welfare at p" };
        out.push((welfare_label.into(), m(self.welfare_column).map_or("-".into(), frame::short)));
        if let Some(r) = m(columns::TAX_REVENUE) {
            out.push(("tax revenue".into(), frame::short(r)));
        }
        let rates: Vec<i64> = (0..).map_while(|b| m(&columns::rate(b))).map(|r| (r * 100.0).round() as i64).collect();
        // Up to 4 brackets each rate; more as their range (US-2018's 7 ran off the panel).
        match (rates.iter().min(), rates.iter().max()) {
            (Some(lo), Some(hi)) if rates.len() > 4 => {
                // "rates (7)": cut to its first word where there is no room, it reads "rates"
                // ("7 rates" read "7").
                out.push((format!("rates ({})", rates.len()), format!("{lo}–{hi}%")))
            }
            (Some(_), _) => {
                let each: Vec<String> = rates.iter().map(|r| r.to_string()).collect();
                out.push(("rates".into(), each.join("/") + "%"));
            }
            _ => {}
        }
        if let Some(v) = m(columns::SHIELD_INTERVENTIONS) {
            out.push(("shield vetoes".into(), frame::short(v)));
        }
        if let (Some(n), Some(s), Some(i)) =
            (m(columns::IMPACT_NAIVE), m(columns::IMPACT_STEPWISE), m(columns::IMPACT_ITERATIVE))
        {
            out.push(("impact n/s/i".into(), format!("{}/{}/{}", frame::short(n), frame::short(s), frame::short(i))));
        }
        out
    }

    /// Adds the latest values to the plots (at tick 0, then once a tick).
    fn push_history(&mut self) {
        let columns: &[&str] =
            if self.has_apples { &[columns::APPLES, self.welfare_column] } else { &[self.welfare_column] };
        for (plot, column) in self.plots.iter_mut().zip(columns) {
            let v = self.columns.iter().position(|c| c == column).and_then(|i| self.last.get(i).copied());
            plot.history.push(v.unwrap_or(f64::NAN));
        }
    }

    /// Draws the panel as it stands (the plots' history as it is).
    fn draw_now(&mut self, frame: &mut Canvas, end_tick: u64, ticks_per_frame: u64) {
        let tick = self.sim.tick();
        let span = flash_ticks(ticks_per_frame);
        self.flashes.retain(|f| tick < f.2 + span);
        let flashes: Vec<Flash> = self
            .flashes
            .iter()
            .map(|&(x, y, t)| Flash { x, y, age: tick.saturating_sub(t) as f64 / span as f64 })
            .collect();
        let world = paint::paint(self.sim.world_mut(), self.cell, &flashes, &paint::art::EMBEDDED);
        let overlay = Overlay {
            title: self.name.clone(),
            tick: (tick, end_tick),
            lines: self.lines(),
            plots: self.plots.clone(),
            legend: self.legend,
        };
        frame::draw_panel(frame, &self.layout, &world, &overlay);
    }
}

/// Steps one world per scenario and composes the frames of a recording, one at a time.
pub struct Recorder {
    opts: RecordOptions,
    panels: Vec<Panel>,
    frame: Canvas,
    done: u64,
}

impl Recorder {
    /// A recorder of `scenarios` (validated; one, or several side by side, each in an equal
    /// vertical slice of the frame) with `opts`.
    pub fn new(scenarios: &[Scenario], opts: &RecordOptions) -> Recorder {
        let opts = RecordOptions { ticks_per_frame: opts.ticks_per_frame.max(1), ..*opts };
        let (w, h) = (opts.size.width as i64, opts.size.height as i64);
        let n = scenarios.len().max(1) as i64;
        let panels = scenarios
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (x0, x1) = (w * i as i64 / n, w * (i as i64 + 1) / n);
                Panel::new(s, &opts, Rect { x: x0, y: 0, w: x1 - x0, h })
            })
            .collect();
        let frame = Canvas::new(opts.size.width, opts.size.height, frame::colors::FRAME_BG);
        Recorder { opts, panels, frame, done: 0 }
    }

    /// The options recorded with.
    pub fn options(&self) -> &RecordOptions {
        &self.opts
    }

    /// Frames composed so far.
    pub fn frames_done(&self) -> u64 {
        self.done
    }

    /// The simulations, one per panel, to read.
    pub fn sims(&self) -> impl Iterator<Item = &Sim> {
        self.panels.iter().map(|p| &p.sim)
    }

    /// Runs the next `ticks_per_frame` ticks (fewer at the end) and composes the next frame;
    /// `None` when the recording is complete.
    pub fn next_frame(&mut self) -> Option<&Canvas> {
        if self.done >= self.opts.frames() {
            return None;
        }
        let target = ((self.done + 1) * self.opts.ticks_per_frame).min(self.opts.ticks);
        for p in &mut self.panels {
            // Every tick's values go to the plots (a frame of 50 ticks drew them as one
            // straight line).
            while p.sim.tick() < target {
                p.step();
            }
        }
        let n = self.panels.len() as i64;
        let s = self.panels.first().map_or(1, |p| p.layout.scale as i64);
        for p in &mut self.panels {
            p.draw_now(&mut self.frame, self.opts.ticks, self.opts.ticks_per_frame);
        }
        for i in 1..n {
            let x = self.opts.size.width as i64 * i / n;
            crate::paint::fill(
                &mut self.frame,
                x - s / 2,
                0,
                s.max(1),
                self.opts.size.height as i64,
                frame::colors::RULE,
            );
        }
        self.done += 1;
        Some(&self.frame)
    }
}

/// Records every frame of `recorder` into `sink` (without finishing it), calling
/// `progress(frames_done)` after each. Returns the number of frames.
pub fn record_into(
    recorder: &mut Recorder,
    sink: &mut dyn FrameSink,
    mut progress: impl FnMut(u64),
) -> io::Result<u64> {
    while let Some(frame) = recorder.next_frame() {
        crate::outputs::check_interrupt()?;
        sink.frame(frame)?;
        progress(recorder.frames_done());
    }
    Ok(recorder.frames_done())
}

/// Records `scenarios` with `opts` into `out`: opens it (every check that can be made before
/// work starts: `Err(Left)` is a message about bad input), records, and moves the finished
/// output into place (`Err(Right)` is an error while recording; nothing is left behind).
pub fn record(
    scenarios: &[Scenario],
    opts: &RecordOptions,
    out: &Output,
    progress: impl FnMut(u64),
) -> Result<u64, RecordError> {
    let mut sink = encode::open(out, opts.size, opts.fps).map_err(RecordError::Input)?;
    let mut recorder = Recorder::new(scenarios, opts);
    let frames = record_into(&mut recorder, sink.as_mut(), progress).map_err(RecordError::Io)?;
    sink.finish().map_err(RecordError::Io)?;
    Ok(frames)
}

/// Why a recording failed.
#[derive(Debug)]
pub enum RecordError {
    /// Bad input, found before any work started (exit status 2).
    Input(String),
    /// An error while recording (exit status 1).
    Io(io::Error),
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordError::Input(m) => f.write_str(m),
            RecordError::Io(e) => write!(f, "{e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_are_bounded() {
        assert_eq!("960x540".parse::<Size>(), Ok(Size { width: 960, height: 540 }));
        assert_eq!("320X180".parse::<Size>(), Ok(Size { width: 320, height: 180 }));
        assert!("960".parse::<Size>().unwrap_err().contains("WIDTHxHEIGHT"));
        assert!("axb".parse::<Size>().is_err());
        assert!("10x10".parse::<Size>().unwrap_err().contains("too small"));
        assert!("10000x540".parse::<Size>().unwrap_err().contains("too large"));
    }

    #[test]
    fn worlds_without_apples_show_no_apple_metrics() {
        let opts = RecordOptions { ticks: 2, ticks_per_frame: 1, fps: 30, size: Size::DEFAULT, seed: 0 };
        let labels = |name: &str| {
            let r = Recorder::new(&[crate::scenario::load(name).unwrap()], &opts);
            let p = &r.panels[0];
            (
                p.lines().into_iter().map(|(l, _)| l).collect::<Vec<_>>(),
                p.plots.iter().map(|p| p.label.clone()).collect::<Vec<_>>(),
            )
        };
        let (lines, plots) = labels("vase-human-breaks");
        assert!(!lines.iter().any(|l| l.contains(columns::APPLES) || l.contains("patches")), "{lines:?}");
        assert_eq!(plots, ["welfare mean"]);
        let (lines, plots) = labels("commons");
        assert_eq!(lines[..2], ["apples standing", "patches alive"]);
        assert_eq!(plots, ["apples standing", "welfare mean"]);
        // US-2018's seven brackets as their range, under a label whose first word (all of it
        // a narrow frame shows) says what it is: "7 rates" was cut to "7".
        let (lines, _) = labels("us2018");
        let rates = lines.iter().find(|l| l.contains("rates")).expect("a rates line");
        assert_eq!(rates, "rates (7)");
    }

    #[test]
    fn frames_cover_the_ticks() {
        let o = RecordOptions { ticks: 61, ticks_per_frame: 2, fps: 30, size: Size::DEFAULT, seed: 0 };
        assert_eq!(o.frames(), 31);
        let s = crate::scenario::load("commons").unwrap();
        let mut r = Recorder::new(&[s], &RecordOptions { ticks: 5, ticks_per_frame: 2, ..o });
        let mut ticks = Vec::new();
        while r.next_frame().is_some() {
            ticks.push(r.sims().next().unwrap().tick());
        }
        assert_eq!(ticks, [2, 4, 5]);
    }
}
