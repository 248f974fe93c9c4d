//! Exports: the metrics so far as CSV (the format of `polity run`'s `metrics.csv`), a PNG of
//! the whole window, and the current world and parameters as a scenario RON that rebuilds it
//! ([`crate::control::snapshot_ron`]). Files go to `exports/` under the current directory,
//! named `NAME-seedS-tTICK…`, never overwriting, each written atomically. Also the
//! `--screenshot FILE --exit` flow of the command line.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::PrimaryWindow;

use super::learning::{Learning, TrainingState};
use super::ready::{GIVE_UP_AFTER_FRAMES, RenderReady};
use super::steer::SteerSystems;
use super::view::{MapArea, WorldView};
use super::{AppState, SimHost};
use crate::control;

/// The folder exports are written to, under the current directory.
pub const EXPORT_DIR: &str = "exports";

/// Frames to wait before the command line's screenshot, so the panels have laid out and the
/// camera has fitted the map to the space between them.
pub const SCREENSHOT_AFTER_FRAMES: u32 = 12;

/// Writes the files the export buttons ask for.
pub struct ExportPlugin;

impl Plugin for ExportPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ExportQueue>().add_systems(Update, (exports, cli_screenshot).after(SteerSystems));
    }
}

/// What can be exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// Every metrics row so far, as CSV.
    MetricsCsv,
    /// A PNG of the whole window.
    Screenshot,
    /// The current world and parameters as a scenario.
    Snapshot,
    /// The whole state, to open again later (File ▸ open) or resume.
    Checkpoint,
}

/// Exports asked for this frame.
#[derive(Resource, Default)]
pub struct ExportQueue(pub Vec<ExportKind>);

/// The command line's `--screenshot FILE` and `--exit`.
#[derive(Resource)]
pub struct CliShot {
    path: Option<PathBuf>,
    exit: bool,
    force: bool,
    frames: u32,
    taken: bool,
    /// The screenshot due: the recorder's system takes it with a running recording's capture
    /// of the window, or by itself when none runs (Bevy takes one screenshot of a window a
    /// frame, and skipped the other).
    pub(super) with_recording: Option<ShotTo>,
}

/// Where the command line's screenshot goes: its path, `--force`, `--exit`, and the map area
/// to report.
#[derive(Clone)]
pub(super) struct ShotTo {
    path: PathBuf,
    force: bool,
    exit: bool,
    map: String,
    /// The world's tick in the frame captured (set as the capture is asked for).
    pub(super) tick: Option<u64>,
}

impl ShotTo {
    /// Writes the captured window as the screenshot, says where it went, and tells `done`.
    pub(super) fn write(&self, captured: &ScreenshotCaptured, done: &mut super::ExitAfter) {
        match write_png(&self.path, &captured.image, self.force) {
            Ok((w, h)) => {
                // The tick shown: with a recording, the world plays on while the layout settles.
                let at = self.tick.map(|t| format!(" at tick {t}")).unwrap_or_default();
                let _ = writeln!(
                    std::io::stdout(),
                    "wrote {} ({w}×{h}, the whole window{at}; map area {})",
                    self.path.display(),
                    self.map
                );
                if self.exit {
                    done.done(0);
                }
            }
            Err(e) => {
                crate::tell_err!("error: writing the screenshot {}: {e}", self.path.display());
                if self.exit {
                    done.done(1);
                }
            }
        }
    }
}

impl CliShot {
    /// The screenshot to take, if any, and whether to quit once it is written.
    pub fn new(path: Option<PathBuf>, exit: bool, force: bool) -> CliShot {
        CliShot { path, exit, force, frames: 0, taken: false, with_recording: None }
    }
}

/// Refuses a screenshot path that cannot be a PNG file, or is an existing file without
/// `force`, before any window opens.
pub fn check_png_path(path: &Path, force: bool) -> Result<(), String> {
    if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) {
        return Err("the screenshot is written as PNG; give a file name ending in .png".into());
    }
    crate::outputs::check_file(path, force).map(drop).map_err(|e| e.0)
}

/// Encodes a captured frame as an RGB PNG and writes it atomically (replacing a file only if
/// `force`); returns its size.
fn write_png(path: &Path, image: &Image, force: bool) -> Result<(u32, u32), String> {
    let rgb = image.clone().try_into_dynamic().map_err(|e| format!("cannot read the frame: {e}"))?.to_rgb8();
    let (w, h) = rgb.dimensions();
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(rgb.as_raw()).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    crate::outputs::write_file(path, &bytes, force).map_err(|e| e.to_string())?;
    Ok((w, h))
}

fn exports(
    mut queue: ResMut<ExportQueue>,
    mut commands: Commands,
    mut host: NonSendMut<SimHost>,
    mut state: ResMut<AppState>,
) {
    for kind in std::mem::take(&mut queue.0) {
        let sim = &mut host.0;
        let dir = Path::new(EXPORT_DIR);
        let stem = control::export_stem(sim);
        let written = match kind {
            ExportKind::MetricsCsv => {
                let path = control::export_path(dir, &format!("{stem}-metrics"), "csv");
                state
                    .history
                    .metrics_csv()
                    .and_then(|csv| control::write_atomic(&path, csv.as_bytes()))
                    .map(|()| format!("metrics CSV ({} rows): {}", state.history.len(), path.display()))
            }
            ExportKind::Snapshot => {
                let path = control::export_path(dir, &stem, "ron");
                control::write_atomic(&path, control::snapshot_ron(sim).as_bytes())
                    .map(|()| format!("scenario RON: {} (polity run {})", path.display(), path.display()))
            }
            ExportKind::Checkpoint => {
                let path = control::export_path(dir, &format!("{stem}-checkpoint"), "ron");
                std::fs::create_dir_all(dir)
                    .and_then(|()| crate::checkpoint::save(&sim.checkpoint(), &path))
                    .map(|()| format!("checkpoint: {} (open it to go on from here)", path.display()))
            }
            ExportKind::Screenshot => {
                let path = control::export_path(dir, &stem, "png");
                commands.spawn(Screenshot::primary_window()).observe(
                    move |shot: On<ScreenshotCaptured>, mut state: ResMut<AppState>| match write_png(
                        &path,
                        &shot.image,
                        false,
                    ) {
                        Ok((w, h)) => {
                            let text = format!("window PNG ({w}×{h}): {}", path.display());
                            state.exported.push(text.clone());
                            state.tell(format!("exported {text}"), false);
                        }
                        Err(e) => state.tell(format!("screenshot failed: {}: {e}", path.display()), true),
                    },
                );
                continue;
            }
        };
        match written {
            Ok(text) => {
                state.tell(format!("exported {text}"), false);
                state.exported.push(text);
            }
            Err(e) => state.tell(format!("export failed: {e}"), true),
        }
    }
}

/// Takes the command line's screenshot once the world has been painted, the layout has
/// settled and the renderer draws (every shader compiled); prints where it went and, with `--exit`, quits.
fn cli_screenshot(
    mut shot: ResMut<CliShot>,
    view: Res<WorldView>,
    area: Res<MapArea>,
    ready: Res<RenderReady>,
    window: Single<&Window, With<PrimaryWindow>>,
    learning: Option<Res<Learning>>,
    mut done: ResMut<super::ExitAfter>,
) {
    let Some(path) = shot.path.clone() else { return };
    if shot.taken {
        return;
    }
    shot.frames += 1;
    if !ready.drawing() && shot.frames >= GIVE_UP_AFTER_FRAMES {
        crate::tell_err!(
            "error: no screenshot: the renderer was still compiling its shaders after {} frames",
            shot.frames
        );
        shot.taken = true;
        if shot.exit {
            done.done(1);
        }
        return;
    }
    if shot.frames < SCREENSHOT_AFTER_FRAMES || view.repaints == 0 || !ready.drawing() {
        return;
    }
    let Some(a) = area.0 else { return };
    // While training, the screenshot waits for every update asked for, drawn for a few frames.
    if let Some(l) = &learning {
        match &l.state {
            TrainingState::Running => return,
            TrainingState::Failed(e) => {
                crate::tell_err!("error: no screenshot: {e}");
                shot.taken = true;
                if shot.exit {
                    done.done(1);
                }
                return;
            }
            TrainingState::Done if l.frames_since_update < SCREENSHOT_AFTER_FRAMES => return,
            TrainingState::Done => {}
        }
        let last = l.curve.last().map(|p| {
            let returns: Vec<String> =
                l.groups.iter().zip(&p.returns).map(|(g, r)| format!("{g} return {r:.2}")).collect();
            format!(
                " (update {}: {} · patches alive {:.1} · Gini {:.3})",
                p.update,
                returns.join(" · "),
                p.patches_alive,
                p.gini
            )
        });
        // A closed stdout (a reader gone) is no reason to stop (println! would panic).
        let _ = writeln!(
            std::io::stdout(),
            "learning panel: {} of {} shown{}",
            crate::plural(l.curve.len() as u64, "update"),
            l.trainer.scenario,
            last.unwrap_or_default()
        );
    }
    shot.taken = true;
    let k = window.scale_factor();
    let map = format!("{:.0},{:.0},{:.0},{:.0}", a.min.x * k, a.min.y * k, a.max.x * k, a.max.y * k);
    // Handed to the recorder's system, which takes it with a recording's capture, or by itself
    // when none runs: two captures of one window in one frame (the recording's last and this
    // one, when the recording stopped earlier in the frame) left this one skipped by the
    // renderer, and `--exit` waited for it for ever.
    shot.with_recording = Some(ShotTo { path, force: shot.force, exit: shot.exit, map, tick: None });
}
