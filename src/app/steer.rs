//! Steering: applies the frame's intents to the world, runs its ticks, drains its logs into
//! the app's history, watches the scenario file, and maps keys to intents.

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use bevy::prelude::*;
use bevy_egui::input::egui_wants_any_keyboard_input;

use super::view::Flashes;
use super::{AppState, SimHost, describe};
use crate::control::{self, ControlError, Effect, History, Intent};

/// Applies intents and runs the world's ticks each frame (see [`crate::control`]).
pub struct SteeringPlugin;

impl Plugin for SteeringPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<FileWatch>().add_systems(
            Update,
            (keyboard.run_if(not(egui_wants_any_keyboard_input)), watch_file, advance).chain().in_set(SteerSystems),
        );
    }
}

/// The steering systems; the view and exports run after them.
#[derive(SystemSet, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SteerSystems;

/// The scenario file being watched and the modification time last seen.
#[derive(Resource, Default)]
struct FileWatch {
    path: Option<PathBuf>,
    seen: Option<SystemTime>,
    next_check: f64,
}

fn mtime(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// About once a second, reloads the scenario when its file has changed on disk.
fn watch_file(mut watch: ResMut<FileWatch>, mut state: ResMut<AppState>, time: Res<Time>) {
    let path = state.control.source.path().map(|p| p.to_path_buf());
    if path != watch.path {
        watch.seen = path.as_deref().and_then(mtime);
        watch.path = path;
        return;
    }
    let now = time.elapsed_secs_f64();
    if now < watch.next_check {
        return;
    }
    watch.next_check = now + 1.0;
    let Some(path) = &watch.path else { return };
    let current = mtime(path);
    if current.is_some() && current != watch.seen {
        watch.seen = current;
        state.send(Intent::Reload);
    }
}

/// Space play/pause, → or N one tick, F fast-forward, + and − speed, R reset.
fn keyboard(keys: Res<ButtonInput<KeyCode>>, mut state: ResMut<AppState>) {
    let c = &state.control;
    let mut out = Vec::new();
    if keys.just_pressed(KeyCode::Space) {
        out.push(Intent::TogglePause);
    }
    if keys.just_pressed(KeyCode::ArrowRight) || keys.just_pressed(KeyCode::KeyN) {
        out.push(Intent::Step);
    }
    if keys.just_pressed(KeyCode::KeyF) {
        out.push(Intent::FastForward(!c.fast_forward));
    }
    if keys.just_pressed(KeyCode::Equal) || keys.just_pressed(KeyCode::NumpadAdd) {
        out.push(Intent::SetTicksPerFrame(c.ticks_per_frame.saturating_mul(2)));
    }
    if keys.just_pressed(KeyCode::Minus) || keys.just_pressed(KeyCode::NumpadSubtract) {
        out.push(Intent::SetTicksPerFrame(c.ticks_per_frame / 2));
    }
    if keys.just_pressed(KeyCode::KeyR) {
        out.push(Intent::Reset);
    }
    if keys.just_pressed(KeyCode::Escape) && c.selected.is_some() {
        out.push(Intent::Select(None));
    }
    state.intents.extend(out);
}

/// Applies the queued intents, runs this frame's ticks and drains the world's logs.
fn advance(mut host: NonSendMut<SimHost>, mut state: ResMut<AppState>, mut flashes: ResMut<Flashes>, time: Res<Time>) {
    let sim = &mut host.0;
    let st = &mut *state;
    for intent in std::mem::take(&mut st.intents) {
        let result = st.control.apply(sim, intent.clone());
        match &result {
            Ok(Effect::Rebuilt) => {
                st.history = History::new(sim);
                st.generation += 1;
                st.problems = None;
                flashes.clear();
            }
            Err(ControlError::Scenario(problems)) => st.problems = Some(problems.to_string()),
            _ => {}
        }
        if let Some((text, error)) = describe(&intent, &result) {
            st.tell(text, error);
        }
    }
    let was_running = !st.control.paused;
    let deadline = Instant::now() + control::FAST_FORWARD_BUDGET;
    let ran = st.control.run_frame(sim, || Instant::now() >= deadline);
    if was_running && st.control.paused {
        let t = sim.tick();
        st.tell(format!("reached the end of the run (tick {t}); ▶ Play goes on past it"), false);
    }
    let now = time.elapsed_secs_f64();
    for e in st.history.take(sim) {
        if let Some((x, y)) = control::event_cell(&e) {
            flashes.add(x, y, now);
        }
    }
    st.ticks_last_frame = ran;
    let dt = time.delta_secs_f64();
    if dt > 0.0 {
        let rate = ran as f64 / dt;
        st.tick_rate = if ran == 0 { 0.0 } else { 0.8 * st.tick_rate + 0.2 * rate };
    }
}
