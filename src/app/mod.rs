//! The desktop app (feature `gui`): watch, steer and inspect a running scenario.
//!
//! `polity gui [SCENARIO]` (and `polity` with no arguments) opens a window with the world in
//! the middle and egui panels around it: run controls and live parameters on the left, plots,
//! the agent inspector, the principal and the event log on the right. `docs/app.md` describes
//! every control.
//!
//! # How it is built
//!
//! The simulation is not part of the app's Bevy world. It stays a headless [`Sim`] — its own
//! Bevy `World` and `SimTick` schedule, exactly what `polity run` steps — held by the app as
//! a non-`Send` resource ([`SimHost`]; a `Sim` owns a Bevy `App`, whose runner is not `Send`,
//! so systems that touch it run on the main thread). Keeping the two worlds apart means the
//! app's frame loop, input and rendering cannot change a tick: the app only calls
//! `sim.step()` k times per frame ([`control::Control::run_frame`]), so the same scenario and
//! seed give the same world in the app as on the command line, at any frame rate.
//!
//! Reset, reseed, opening a scenario and reloading its file all *rebuild* the `Sim` rather
//! than patch it: a world is a function of (scenario, seed), and building it afresh is the
//! only way to get every resource a scenario implies (tax state, election, principal, the
//! planner's shadow world, the agents' drawn parameters) back to a consistent tick 0. Live
//! parameter edits are the one exception, and each is logged as a `param_change` event.
//!
//! What the buttons and keys mean is plain logic in [`crate::control`], tested without a
//! window; this module only turns clicks into [`control::Intent`]s and draws. One plugin per
//! concern:
//!
//! | plugin | module | does |
//! |---|---|---|
//! | [`SteeringPlugin`] | `steer` | applies intents, runs the frame's ticks, drains the logs, watches the scenario file, keyboard shortcuts |
//! | [`WorldViewPlugin`] | `view` | the world texture (painted by [`crate::paint`]), the camera: fit, pan, zoom, click to select |
//! | [`AppUiPlugin`] | `ui` | the egui panels (a list of panel functions in `panels`) |
//! | [`ExportPlugin`] | `export` | metrics CSV, window PNG, snapshot RON; the `--screenshot`/`--exit` flow |
//! | `WindowRecordPlugin` | `record` | recording the window (world and panels) to GIF, MP4, WebM or PNG frames |
//! | (none) | `plots` | the panels' small plots: fixed frames, y labels on a 1-2-5 grid, one axis width |
//! | `ArtPlugin` | `art` | the palette and sprites through Bevy's asset system (`embedded://polity/…`), resolved into `AppArt` |
//! | `IconPlugin` | `icon` | the window icon, through Bevy's asset system |
//! | `RenderReadyPlugin` | `ready` | counts frames drawn with every shader compiled, which the command line's captures wait for |

mod art;
mod export;
mod icon;
mod learning;
mod panels;
mod plots;
mod ready;
pub mod record;
mod soak;
mod steer;
mod ui;
mod view;

use std::path::PathBuf;

use bevy::log::{Level, LogPlugin};
use bevy::prelude::*;
use bevy::window::WindowResolution;
use bevy_egui::EguiPlugin;

use crate::control::{self, Control, ControlError, History, Intent, Source};
use crate::sim::Sim;

pub use export::ExportPlugin;
pub use learning::{CURVE_COLORS, GINI_COLOR, LearningPlugin, PATCHES_COLOR};
pub use steer::SteeringPlugin;
pub use ui::AppUiPlugin;
pub use view::WorldViewPlugin;

/// The window's size in logical pixels when it opens, on a screen it fits on ([`fit_size`]).
pub const WINDOW_SIZE: (u32, u32) = (1280, 720);

/// The window's size on a screen of `screen` logical pixels: [`WINDOW_SIZE`] where it fits,
/// else 90% of the screen in each direction it does not fit (a 1024×600 netbook's window was
/// wider and taller than its screen, the panels' edges out of sight).
pub fn fit_size(screen: (f32, f32)) -> (f32, f32) {
    let fit =
        |want: u32, room: f32| if room <= 0.0 || want as f32 <= room { want as f32 } else { (0.9 * room).floor() };
    (fit(WINDOW_SIZE.0, screen.0), fit(WINDOW_SIZE.1, screen.1))
}

/// Shrinks the window to its screen once the primary monitor is known ([`fit_size`]).
fn fit_window_to_screen(
    monitors: Query<&bevy::window::Monitor, With<bevy::window::PrimaryMonitor>>,
    mut windows: Query<&mut Window, With<bevy::window::PrimaryWindow>>,
    mut done: Local<bool>,
) {
    if *done {
        return;
    }
    let (Ok(monitor), Ok(mut window)) = (monitors.single(), windows.single_mut()) else { return };
    *done = true;
    let scale = monitor.scale_factor.max(0.1) as f32;
    let screen = (monitor.physical_width as f32 / scale, monitor.physical_height as f32 / scale);
    let size = fit_size(screen);
    if size != (WINDOW_SIZE.0 as f32, WINDOW_SIZE.1 as f32) {
        window.resolution.set(size.0, size.1);
    }
}

/// What `polity gui` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct AppOptions {
    /// A built-in name or a `.ron` path; `None` for the default scenario.
    pub scenario: Option<String>,
    /// Seed, overriding the scenario's.
    pub seed: Option<u64>,
    /// Ticks to run before the window shows (then the world is paused).
    pub ticks: Option<u64>,
    /// Write a PNG of the whole window once the ticks are done and a frame has rendered.
    pub screenshot: Option<PathBuf>,
    /// Quit once the screenshot is written.
    pub exit: bool,
    /// An agent to select for the inspector at the start.
    pub select: Option<u32>,
    /// Record the window to this file from the start (playing the scenario).
    pub record: Option<PathBuf>,
    /// Stop the recording after this many frames.
    pub record_frames: Option<u64>,
    /// The screenshot and the recording may replace existing files.
    pub force: bool,
    /// Groups playing trained policies: `(group, file)` (`--policy GROUP=FILE`).
    pub policies: Vec<(String, String)>,
    /// Play this many frames with every panel open, reporting memory and frame times at each
    /// tenth, then quit (`--soak-frames`, docs/testing.md "Soak").
    pub soak_frames: Option<u64>,
    /// Ticks per frame during a soak (`--soak-ticks-per-frame`).
    pub soak_ticks_per_frame: Option<u32>,
    /// Open with the side panels hidden, the map filling the window (`--hide-panels`; H shows
    /// them).
    pub hide_panels: bool,
    /// Train the scenario's learning groups in the background while the app runs (`--train`);
    /// the world plays the newest policies and the "Learning" section draws the curves.
    pub train: Option<crate::control::training::TrainOptions>,
    /// Told `(tick, of)` after each of the `--ticks` run before the window opens (a progress
    /// bar; the last is `(of, of)`).
    pub progress: Option<TickProgress>,
}

/// A report of ticks run: `(done, of)`.
#[derive(Clone)]
pub struct TickProgress(pub std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>);

impl std::fmt::Debug for TickProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TickProgress")
    }
}

/// The running world, held apart from the app's own Bevy world (see the module docs).
pub struct SimHost(pub Sim);

/// A message for the status line: what just happened, or went wrong.
#[derive(Clone, Debug)]
pub struct Notice {
    /// The text.
    pub text: String,
    /// Whether it reports a failure.
    pub error: bool,
}

/// The app's steering state: the control settings, what was drained from the world, intents
/// waiting for the next frame, and what to tell the user.
#[derive(Resource)]
pub struct AppState {
    /// Run settings and the scenario's source.
    pub control: Control,
    /// Metrics rows and events drained from the world.
    pub history: History,
    /// Intents from the UI and the keyboard, applied at the start of the next frame.
    pub intents: Vec<Intent>,
    /// The latest notice for the status line.
    pub notice: Option<Notice>,
    /// Problems of the last scenario that failed to open or reload, shown until one loads.
    pub problems: Option<String>,
    /// The file that failed to open, if one did: watched, and opened once it changes (fixing
    /// it did nothing until Open was pressed again).
    pub pending: Option<std::path::PathBuf>,
    /// Counts world rebuilds, so the view knows to resize its texture and refit.
    pub generation: u64,
    /// Ticks run in the last frame.
    pub ticks_last_frame: u64,
    /// Ticks per second, smoothed.
    pub tick_rate: f64,
    /// Where files were exported, newest last.
    pub exported: Vec<String>,
    /// Frames captured by the window recording under way, if one is.
    pub recording: Option<u64>,
    /// Window-recording requests from the panels.
    pub record_requests: Vec<record::RecordRequest>,
}

impl AppState {
    /// The app's state at the start: nothing queued, shown or recorded yet.
    pub fn new(control: Control, history: History) -> AppState {
        AppState {
            control,
            history,
            intents: Vec::new(),
            notice: None,
            problems: None,
            pending: None,
            generation: 0,
            ticks_last_frame: 0,
            tick_rate: 0.0,
            exported: Vec::new(),
            recording: None,
            record_requests: Vec::new(),
        }
    }

    /// Queues an intent for the next frame.
    pub fn send(&mut self, intent: Intent) {
        self.intents.push(intent);
    }
    /// Sets the status line.
    pub fn tell(&mut self, text: impl Into<String>, error: bool) {
        self.notice = Some(Notice { text: text.into(), error });
    }
}

/// Opens the app; returns when its window closes. A failure is its exit status and the
/// message to print (empty when the app reported it as it happened): 2 for a bad scenario or
/// arguments (no window opens), or the app's own exit code.
pub fn run(opts: AppOptions) -> Result<(), (u8, String)> {
    let arg = opts.scenario.clone().unwrap_or_else(|| crate::scenario::default_scenario().name.to_string());
    let (mut control, mut sim) = match Control::start_with(Source::from_arg(&arg), opts.seed, opts.policies.clone()) {
        Ok(started) => started,
        Err(ControlError::Scenario(problems)) => return Err((2, problems.to_string())),
        Err(e) => return Err((2, format!("error: {e}"))),
    };
    // Trained in the background: paused until the window runs.
    let trainer = match &opts.train {
        Some(t) => Some(
            crate::control::training::LiveTrainer::start(&control.scenario, control.seed, t, true)
                .map_err(|e| (2, format!("error: {e}")))?,
        ),
        None => None,
    };
    if let Some(path) = &opts.screenshot
        && let Err(e) = export::check_png_path(path, opts.force)
    {
        return Err((2, format!("error: --screenshot {}: {e}", path.display())));
    }
    if let Some(path) = &opts.record {
        // Everything about the output that can be known before the window opens: a recording
        // that cannot start must not leave a window waiting for it.
        use crate::record::encode;
        encode::Output::parse(path)
            .and_then(|out| encode::check(&encode::Output { force: opts.force, ..out }))
            // (The output rules' hints name `--out`, the other commands' flag.)
            .map_err(|e| {
                let e =
                    e.replace("another --out", "another --record path").replace("a new --out", "a new --record path");
                (2, format!("error: --record {e}"))
            })?;
    }
    if let Some(id) = opts.select
        && let Err(e) = control.apply(&mut sim, Intent::Select(Some(id)))
    {
        return Err((2, format!("error: --select {id}: {e}")));
    }
    if !has_display() {
        return Err((
            2,
            "error: no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set)\n    hint: run it in a desktop session, or headless with `xvfb-run -a polity gui …`; `polity run` needs no display".into(),
        ));
    }
    let mut history = History::new(&sim);
    history.take(&mut sim);
    match opts.ticks {
        // Run the ticks before the window opens, as fast as possible, then stay paused.
        Some(n) => {
            let report = |t: u64| {
                if let Some(p) = &opts.progress {
                    (p.0)(t, n)
                }
            };
            for t in 1..=n {
                // SIGINT/SIGTERM stops these ticks as it stops `polity run`'s: nothing written,
                // no window opened (it was ignored until the ticks were done).
                if crate::outputs::interrupted() {
                    return Err((
                        crate::outputs::INTERRUPTED_EXIT,
                        format!(
                            "stopped: interrupted by SIGINT or SIGTERM at tick {} of {n}, before the window opened; nothing was written",
                            sim.tick()
                        ),
                    ));
                }
                sim.step();
                if sim.tick() % 256 == 0 {
                    history.take(&mut sim);
                }
                report(t);
            }
            history.take(&mut sim);
            if control.stop_at.is_some_and(|end| sim.tick() >= end) {
                control.stop_at = None;
            }
        }
        None => control.paused = false,
    }
    if opts.soak_frames.is_some() {
        // A soak shows the world running, on past the scenario's `run.ticks`.
        control.paused = false;
        control.stop_at = None;
    }
    if opts.record.is_some() {
        // A recording from the command line plays the world from its first frame: paused until
        // the renderer draws and the recording starts (`record::record_window` plays it then).
        control.paused = true;
    }
    if let Some(k) = opts.soak_ticks_per_frame {
        control.apply(&mut sim, Intent::SetTicksPerFrame(k)).map_err(|e| (2, format!("error: {e}")))?;
        control.paused = false;
    }
    let title = match &trainer {
        Some(_) => format!("Polity — {} (training)", control.scenario.name),
        None => format!("Polity — {}", control.scenario.name),
    };
    let stop = trainer.as_ref().map(|t| t.stopper());
    let state = AppState::new(control, history);

    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title,
                    resolution: WindowResolution::new(WINDOW_SIZE.0, WINDOW_SIZE.1),
                    ..default()
                }),
                ..default()
            })
            .set(LogPlugin { level: Level::WARN, filter: "warn,wgpu=error,naga=error".into(), ..default() }),
    )
    .add_plugins((EguiPlugin::default(), ready::RenderReadyPlugin))
    .add_systems(Update, fit_window_to_screen)
    .insert_non_send(SimHost(sim))
    .insert_resource(state)
    .insert_resource(ExitAfter::new(
        u32::from(opts.exit && opts.screenshot.is_some())
            + u32::from(opts.exit && opts.record.is_some() && opts.record_frames.is_some()),
    ))
    .add_systems(Last, (exit_after, exit_on_interrupt))
    .insert_resource(export::CliShot::new(opts.screenshot.clone(), opts.exit, opts.force))
    .insert_resource(record::WindowRecording::new(opts.record.clone(), opts.record_frames, opts.exit, opts.force))
    .add_plugins((
        SteeringPlugin,
        WorldViewPlugin,
        AppUiPlugin,
        ExportPlugin,
        record::WindowRecordPlugin,
        icon::IconPlugin,
        art::ArtPlugin,
        LearningPlugin,
    ));
    app.insert_resource(ui::UiState { panels_hidden: opts.hide_panels, ..default() });
    if let Some(t) = trainer {
        app.insert_resource(learning::Learning::new(t));
    }
    if let Some(frames) = opts.soak_frames {
        app.insert_resource(soak::Soak::new(frames)).add_systems(Last, soak::soak_frame);
    }
    let exit = app.run();
    // Closing the window stops the training: an update under way is abandoned (a training
    // folder keeps its last finished update).
    if let Some(stop) = stop {
        stop.stop();
    }
    match exit {
        AppExit::Success => Ok(()),
        AppExit::Error(code) => Err((code.get(), String::new())),
    }
}

/// `--exit`: the app quits once every output the command line asked for (the screenshot, the
/// recording) is written or has failed, with the first failure's status (0 when none failed).
#[derive(Resource, Default)]
pub struct ExitAfter {
    waiting: u32,
    code: u8,
    armed: bool,
}

impl ExitAfter {
    fn new(outputs: u32) -> ExitAfter {
        ExitAfter { waiting: outputs, code: 0, armed: outputs > 0 }
    }

    /// One of the outputs is done: written (`code` 0) or failed (the status to quit with).
    pub fn done(&mut self, code: u8) {
        self.waiting = self.waiting.saturating_sub(1);
        if self.code == 0 {
            self.code = code;
        }
    }
}

fn exit_after(mut e: ResMut<ExitAfter>, mut exits: MessageWriter<AppExit>) {
    if e.armed && e.waiting == 0 {
        e.armed = false;
        exits.write(if e.code == 0 { AppExit::Success } else { AppExit::from_code(e.code) });
    }
}

/// SIGINT or SIGTERM (caught by [`crate::outputs::catch_interrupts`], which takes the place of
/// Bevy's own handler) closes the app with status 130; a recording under way is abandoned
/// (see [`record::WindowRecording`]), never written as if it had finished.
///
/// It closes a few frames after the signal: the window recording asks for no frame more once
/// interrupted, and the frames already asked for arrive meanwhile (one in flight as the
/// window closed made the app end with a segmentation fault, status 139, now and then).
fn exit_on_interrupt(mut exits: MessageWriter<AppExit>, mut frames: Local<u32>) {
    /// Frames between the signal and the close.
    const SETTLE: u32 = 4;
    if crate::outputs::interrupted() && *frames <= SETTLE {
        *frames += 1;
        if *frames > SETTLE {
            exits.write(AppExit::from_code(crate::outputs::INTERRUPTED_EXIT));
        }
    }
}

/// Whether there is a display to open a window on (X11 or Wayland).
pub fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// A random seed for the "new seed" button (the app may read the clock; the world never does).
pub fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.finish() % 1_000_000
}

/// Describes what an applied intent did, for the status line.
fn describe(intent: &Intent, result: &Result<control::Effect, ControlError>) -> Option<(String, bool)> {
    match (intent, result) {
        (_, Err(ControlError::Scenario(_))) => {
            Some(("the scenario has problems; still running the previous world".into(), true))
        }
        (_, Err(e)) => Some((e.to_string(), true)),
        (Intent::Reset, Ok(_)) => Some(("reset to tick 0".into(), false)),
        (Intent::Reseed(s), Ok(_)) => Some((format!("rebuilt with seed {s}"), false)),
        (Intent::Open(src), Ok(_)) => Some((format!("opened {src}"), false)),
        (Intent::Reload, Ok(_)) => Some(("reloaded the scenario file".into(), false)),
        (_, Ok(control::Effect::ParamChanged(e))) => Some((
            format!(
                "{} set from {} to {} (logged as param_change at tick {})",
                e.details()["parameter"].as_str().unwrap_or(""),
                e.details()["old"],
                e.details()["new"],
                e.tick
            ),
            false,
        )),
        _ => None,
    }
}
