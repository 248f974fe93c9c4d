//! Recording the window — world and panels — with the recorder's encoders
//! ([`crate::record::encode`]): the Export panel's Record button, or `--record FILE` on the
//! command line. Each frame the window is captured and sent to an encoder thread; frames keep
//! the size the window had when recording started (later resizes are cropped or padded). The
//! file appears, atomically, once the last frame is written, and the app says where it went.
//! Closing the app finishes a recording under way (the frames so far are the file); SIGINT or
//! SIGTERM abandons it (its staged file is removed, nothing appears).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread::JoinHandle;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::PrimaryWindow;

use super::ready::RenderReady;
use super::steer::SteerSystems;
use super::{AppState, SimHost};
use crate::control;
use crate::paint::Canvas;
use crate::record::Size;
use crate::record::encode::{self, Output};

/// Frames per second written into recordings of the window.
pub const WINDOW_FPS: u32 = 30;

/// Records the window when asked.
pub struct WindowRecordPlugin;

impl Plugin for WindowRecordPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<WindowRecording>()
            .add_systems(Update, record_window.after(SteerSystems))
            .add_systems(Last, settle_on_exit.after(super::exit_after).after(super::exit_on_interrupt));
    }
}

/// A request from the UI or the command line.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordRequest {
    /// Start recording to this file (`None`: a new file under `exports/`).
    Start(Option<PathBuf>),
    /// Stop and write the file.
    Stop,
}

/// The window recording: what is asked, what is running, what is being finished.
#[derive(Resource, Default)]
pub struct WindowRecording {
    /// The command line's requests. The world waits, paused, until its recording starts, so
    /// that the first frame shows the tick the window opened on; a failure to start is printed
    /// on stderr (and, with `--exit`, quits with status 2).
    pub requests: Vec<RecordRequest>,
    /// Stop by itself after this many frames (the command line's `--record-frames`).
    pub frame_limit: Option<u64>,
    /// Quit once the recording is written (the command line's `--exit`).
    pub exit_after: bool,
    /// The command line's `--force`: the recording may replace an existing file.
    pub force: bool,
    active: Option<Active>,
    finishing: Vec<Encoding>,
}

impl WindowRecording {
    /// The command line's recording: start at once to `path` (if given), stop after
    /// `frames`, quit when written if `exit`.
    pub fn new(path: Option<PathBuf>, frames: Option<u64>, exit: bool, force: bool) -> WindowRecording {
        WindowRecording {
            force,
            requests: path.iter().map(|p| RecordRequest::Start(Some(p.clone()))).collect(),
            frame_limit: frames,
            exit_after: exit && path.is_some(),
            active: None,
            finishing: Vec::new(),
        }
    }
    /// Whether a recording is running (capturing the window each frame).
    pub fn is_recording(&self) -> bool {
        self.active.is_some()
    }

    /// Frames captured so far in the running recording.
    pub fn frames(&self) -> u64 {
        self.active.as_ref().map_or(0, |a| a.captured)
    }
}

struct Active {
    tx: SyncSender<Canvas>,
    size: Size,
    path: PathBuf,
    captured: u64,
}

/// A recording whose encoder is still writing: the thread, the file, where the world was at
/// its last frame (tick and state hash), set when the recording stops, and what the thread is
/// told to do ([`RUNNING`], [`FINISH`], [`ABANDON`]).
struct Encoding {
    handle: JoinHandle<std::io::Result<u64>>,
    path: PathBuf,
    /// Said with the report when the frames are not the window's size.
    trimmed: Option<String>,
    end: Option<(u64, u64)>,
    told: Arc<AtomicU8>,
}

/// The encoder writes frames as they come, and finishes the file once its channel closes.
const RUNNING: u8 = 0;
/// The app is closing: write the frames already sent, then finish the file.
const FINISH: u8 = 1;
/// Interrupted: stop, and remove the staged file (the sink dropped unfinished).
const ABANDON: u8 = 2;

/// How long the encoder waits for a frame before it looks at what it is told.
const LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(20);

/// Converts a captured window image to a canvas of `size`, cropping or padding with black.
fn to_canvas(image: &Image, size: Size) -> Option<Canvas> {
    let rgba = image.clone().try_into_dynamic().ok()?.to_rgba8();
    let (w, h) = rgba.dimensions();
    let mut c = Canvas::new(size.width, size.height, [0, 0, 0, 255]);
    for y in 0..h.min(size.height) {
        for x in 0..w.min(size.width) {
            let p = rgba.get_pixel(x, y).0;
            c.put(x as i64, y as i64, [p[0], p[1], p[2], 255]);
        }
    }
    Some(c)
}

fn start(path: Option<PathBuf>, size: Size, sim: &crate::sim::Sim, force: bool) -> Result<(Active, Encoding), String> {
    let path = path.unwrap_or_else(|| {
        control::export_path(
            Path::new(super::export::EXPORT_DIR),
            &format!("{}-window", control::export_stem(sim)),
            "gif",
        )
    });
    let out = Output { force, ..Output::parse(&path)? };
    // Video encoders want even sizes; a GIF and PNG frames keep the whole window.
    let window = size;
    let video = matches!(out.format, encode::Format::Mp4 | encode::Format::Webm);
    let size = if video { Size { width: size.width & !1, height: size.height & !1 } } else { size };
    let trimmed = (size != window).then(|| {
        format!("{size} frames, the {window} window less its last odd row or column (videos need even sides)")
    });
    let (tx, rx): (SyncSender<Canvas>, Receiver<Canvas>) = sync_channel(4);
    let (ready_tx, ready_rx) = sync_channel::<Result<(), String>>(1);
    let told = Arc::new(AtomicU8::new(RUNNING));
    let tells = told.clone();
    // The encoder lives on its own thread (it is not Send): it opens the output there and
    // says whether that worked before any frame is captured.
    let handle = std::thread::spawn(move || {
        let palette = encode::GifPalette::with(&super::panels::line_colors());
        let mut sink = match encode::open_with(&out, size, WINDOW_FPS, palette) {
            Ok(sink) => {
                let _ = ready_tx.send(Ok(()));
                sink
            }
            Err(e) => {
                let _ = ready_tx.send(Err(e.clone()));
                return Err(std::io::Error::other(e));
            }
        };
        let mut n = 0;
        // (Dropped unfinished, the sink removes what it staged.)
        let abandoned = || std::io::Error::new(std::io::ErrorKind::Interrupted, "interrupted; nothing was written");
        loop {
            if tells.load(Ordering::SeqCst) == ABANDON {
                return Err(abandoned());
            }
            match rx.recv_timeout(LOOK_EVERY) {
                Ok(frame) => {
                    sink.frame(&frame)?;
                    n += 1;
                }
                Err(RecvTimeoutError::Timeout) if tells.load(Ordering::SeqCst) == FINISH => break,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        if tells.load(Ordering::SeqCst) == ABANDON {
            return Err(abandoned());
        }
        sink.finish()?;
        Ok(n)
    });
    ready_rx.recv().map_err(|_| "the encoder thread stopped".to_string())??;
    Ok((Active { tx, size, path: path.clone(), captured: 0 }, Encoding { handle, path, trimmed, end: None, told }))
}

fn record_window(
    mut rec: ResMut<WindowRecording>,
    mut state: ResMut<AppState>,
    host: NonSend<SimHost>,
    window: Single<&Window, With<PrimaryWindow>>,
    ready: Res<RenderReady>,
    mut commands: Commands,
    mut done: ResMut<super::ExitAfter>,
    mut shot: ResMut<super::export::CliShot>,
) {
    // A recording starts once the renderer draws: until every shader has compiled, frames
    // show only the clear colour.
    if !ready.drawing() && rec.active.is_none() {
        return;
    }
    let from_cli = std::mem::take(&mut rec.requests).into_iter().map(|r| (r, true));
    let requests: Vec<_> =
        from_cli.chain(std::mem::take(&mut state.record_requests).into_iter().map(|r| (r, false))).collect();
    for (request, cli) in requests {
        match request {
            RecordRequest::Start(path) if rec.active.is_none() => {
                let size = Size { width: window.physical_width(), height: window.physical_height() };
                match start(path, size, &host.0, rec.force) {
                    Ok((active, encoding)) => {
                        state.tell(format!("recording the window to {} …", active.path.display()), false);
                        rec.active = Some(active);
                        rec.finishing.push(encoding);
                    }
                    Err(e) => {
                        if cli {
                            // `polity gui` checked the path before the window opened; this is
                            // what changed since, or what only opening it could tell.
                            crate::tell_err!("error: --record: {e}");
                            if rec.exit_after {
                                done.done(2);
                            }
                        }
                        state.tell(format!("cannot record: {e}"), true);
                    }
                }
                if cli {
                    state.control.paused = false;
                }
            }
            RecordRequest::Start(_) => {}
            RecordRequest::Stop => stop(&mut rec, &host.0),
        }
    }
    // What the Export section's button shows this frame: the count of a recording this frame
    // is captured into (its last frame too, though the recording stops below: that frame read
    // "Record").
    let mut shown = None;
    // Interrupted, no frame more is asked for: the app closes a few frames later, once those
    // asked for are in (one in flight as the window closed crashed Bevy's renderer under Mesa).
    if let Some(active) = rec.active.as_mut().filter(|_| !crate::outputs::interrupted()) {
        let (tx, size) = (active.tx.clone(), active.size);
        let mut capture = commands.spawn(Screenshot::primary_window());
        capture.observe(move |shot: On<ScreenshotCaptured>| {
            if let Some(frame) = to_canvas(&shot.image, size) {
                let _ = tx.send(frame);
            }
        });
        // The command line's screenshot, asked for while recording, is this capture too.
        if let Some(mut to) = shot.with_recording.take() {
            to.tick = Some(host.0.tick());
            capture.observe(move |captured: On<ScreenshotCaptured>, mut done: ResMut<super::ExitAfter>| {
                to.write(&captured, &mut done)
            });
        }
        active.captured += 1;
        shown = Some(active.captured);
        if rec.frame_limit.is_some_and(|n| rec.frames() >= n) {
            stop(&mut rec, &host.0);
        }
    }
    // A screenshot left for a recording that has stopped since is taken by itself.
    if rec.active.is_none()
        && let Some(mut to) = shot.with_recording.take()
    {
        to.tick = Some(host.0.tick());
        commands.spawn(Screenshot::primary_window()).observe(
            move |captured: On<ScreenshotCaptured>, mut done: ResMut<super::ExitAfter>| to.write(&captured, &mut done),
        );
    }
    state.recording = shown;
    // Report recordings whose encoder has written its last frame.
    let mut i = 0;
    while i < rec.finishing.len() {
        if !rec.finishing[i].handle.is_finished() {
            i += 1;
            continue;
        }
        let encoding = rec.finishing.swap_remove(i);
        let exit_after = rec.exit_after;
        report(encoding, &mut state, exit_after.then_some(&mut *done));
    }
}

/// Joins a recording's encoder and says what came of it (on stdout, in the app's status, and
/// to `done` when `--exit` waits for it).
fn report(encoding: Encoding, state: &mut AppState, done: Option<&mut super::ExitAfter>) {
    let Encoding { handle, path, end, trimmed, .. } = encoding;
    let result = handle.join().unwrap_or_else(|_| Err(std::io::Error::other("the encoder panicked")));
    match result {
        Ok(n) => {
            let size = trimmed.map(|t| format!("; {t}")).unwrap_or_default();
            let text = format!(
                "window recording ({} at {WINDOW_FPS} fps{size}): {}",
                crate::plural(n, "frame"),
                path.display()
            );
            // A closed stdout (a reader gone) is no reason to stop: the file is written.
            let _ = writeln!(std::io::stdout(), "wrote {}", text);
            // Where the world was in the last frame: `polity run --ticks T` of the same
            // scenario and seed must end in the same state (tests/suite/gui.rs).
            if let Some((tick, hash)) = end {
                let _ = writeln!(std::io::stdout(), "world at tick {tick} in the last frame, state hash {hash:016x}");
            }
            state.tell(format!("saved the {text}"), false);
            state.exported.push(text);
            if let Some(done) = done {
                done.done(0);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
            crate::tell_err!("recording {}: {e}", path.display());
        }
        Err(e) => {
            crate::tell_err!("error: recording {}: {e}", path.display());
            state.tell(format!("recording failed: {}: {e}", path.display()), true);
            if let Some(done) = done {
                done.done(1);
            }
        }
    }
}

/// When the app closes: a recording under way is finished (closed by the window or `--exit`)
/// or abandoned (SIGINT, SIGTERM), and the app waits for its encoder, so that the file is
/// whole, or gone, before the process ends (it was killed mid-write and left a staged file).
fn settle_on_exit(
    mut exits: MessageReader<AppExit>,
    mut rec: ResMut<WindowRecording>,
    mut state: ResMut<AppState>,
    host: NonSend<SimHost>,
) {
    if exits.read().next().is_none() {
        return;
    }
    let told = if crate::outputs::interrupted() { ABANDON } else { FINISH };
    // Told before the running recording's channel closes: an encoder that saw it close
    // first finished the file of an interrupted recording (1 in 6 tries on a busy machine).
    for encoding in &rec.finishing {
        encoding.told.store(told, Ordering::SeqCst);
    }
    stop(&mut rec, &host.0);
    for encoding in std::mem::take(&mut rec.finishing) {
        report(encoding, &mut state, None);
    }
}

/// Ends the running recording: its channel closes once the frames still being captured have
/// been sent, and the encoder thread then writes the file. Notes where `sim` is: the world of
/// the last frame captured (this frame's).
fn stop(rec: &mut WindowRecording, sim: &crate::sim::Sim) {
    let Some(active) = rec.active.take() else { return };
    let world = sim.core();
    if let Some(e) = rec.finishing.iter_mut().find(|e| e.path == active.path && e.end.is_none()) {
        e.end = Some((world.clock.tick, world.state_hash()));
    }
}
