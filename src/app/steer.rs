//! Steering: applies the frame's intents to the world, runs its ticks, drains its logs into
//! the app's history, watches the scenario file, and maps keys to intents.

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use bevy::prelude::*;
use bevy_egui::input::egui_wants_any_keyboard_input;

use super::view::Flashes;
use super::{AppState, SimHost, describe};
use crate::control::{self, ControlError, Effect, History, Intent, Source};

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

/// About once a second, reloads the scenario when its file has changed on disk (or, when a
/// file failed to open, opens it once it changes).
fn watch_file(mut watch: ResMut<FileWatch>, mut state: ResMut<AppState>, time: Res<Time>) {
    let path = state.pending.clone().or_else(|| state.control.source.path().map(|p| p.to_path_buf()));
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
        let intent = match &state.pending {
            Some(p) => Intent::Open(Source::File(p.clone())),
            None => Intent::Reload,
        };
        state.send(intent);
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
                st.pending = None;
                flashes.clear();
            }
            Err(ControlError::Scenario(problems)) => {
                // (`{:#}`: without the command line's "nothing was run".)
                st.problems = Some(format!("{problems:#}"));
                st.pending = match &intent {
                    Intent::Open(Source::File(p)) => Some(p.clone()),
                    Intent::Open(_) => None,
                    _ => st.pending.take(),
                };
            }
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

#[cfg(test)]
mod tests {
    //! The keyboard shortcuts and reload-on-save, run as the app runs them (its own systems in
    //! a Bevy app) but with no window: keys are pressed on the `ButtonInput` resource and time
    //! is advanced by hand.
    use std::time::Duration;

    use bevy::ecs::system::RunSystemOnce;

    use super::*;
    use crate::control::Control;

    fn state(control: Control, sim: &mut crate::sim::Sim) -> AppState {
        AppState::new(control, History::new(sim))
    }

    /// The intents `keyboard` queues for one key pressed alone.
    fn intents_for(app: &mut App, key: KeyCode) -> Vec<Intent> {
        let mut input = ButtonInput::<KeyCode>::default();
        input.press(key);
        app.insert_resource(input);
        app.world_mut().run_system_once(keyboard).unwrap();
        std::mem::take(&mut app.world_mut().resource_mut::<AppState>().intents)
    }

    #[test]
    fn keyboard_shortcuts_map_to_the_documented_actions() {
        // docs/app.md, "Mouse and keyboard": the rows this test holds the keys to.
        let doc = include_str!("../../docs/app.md");
        for row in [
            "| Space | play / pause |",
            "| → or N | one tick, then pause |",
            "| F | fast-forward on / off |",
            "| + and − | double / halve the ticks per frame |",
            "| R | reset |",
            "| Esc | deselect |",
        ] {
            assert!(doc.contains(row), "docs/app.md no longer has the row {row}");
        }
        let (mut control, mut sim) = Control::start(Source::Builtin("commons".into()), None).unwrap();
        control.ticks_per_frame = 8;
        control.fast_forward = false;
        control.selected = None;
        let mut app = App::new();
        app.insert_resource(state(control, &mut sim));
        assert_eq!(intents_for(&mut app, KeyCode::Space), [Intent::TogglePause]);
        assert_eq!(intents_for(&mut app, KeyCode::ArrowRight), [Intent::Step]);
        assert_eq!(intents_for(&mut app, KeyCode::KeyN), [Intent::Step]);
        assert_eq!(intents_for(&mut app, KeyCode::KeyF), [Intent::FastForward(true)]);
        assert_eq!(intents_for(&mut app, KeyCode::Equal), [Intent::SetTicksPerFrame(16)]);
        assert_eq!(intents_for(&mut app, KeyCode::NumpadAdd), [Intent::SetTicksPerFrame(16)]);
        assert_eq!(intents_for(&mut app, KeyCode::Minus), [Intent::SetTicksPerFrame(4)]);
        assert_eq!(intents_for(&mut app, KeyCode::NumpadSubtract), [Intent::SetTicksPerFrame(4)]);
        assert_eq!(intents_for(&mut app, KeyCode::KeyR), [Intent::Reset]);
        assert_eq!(intents_for(&mut app, KeyCode::Escape), [], "nothing selected: nothing to deselect");
        assert_eq!(intents_for(&mut app, KeyCode::KeyQ), [], "an unmapped key");
        {
            let mut st = app.world_mut().resource_mut::<AppState>();
            st.control.fast_forward = true;
            st.control.selected = Some(3);
        }
        assert_eq!(intents_for(&mut app, KeyCode::KeyF), [Intent::FastForward(false)], "F toggles");
        assert_eq!(intents_for(&mut app, KeyCode::Escape), [Intent::Select(None)]);
        // A key held down acts once, when pressed.
        let mut input = ButtonInput::<KeyCode>::default();
        input.press(KeyCode::Space);
        input.clear();
        app.insert_resource(input);
        app.world_mut().run_system_once(keyboard).unwrap();
        assert!(app.world().resource::<AppState>().intents.is_empty());
    }

    /// Sets a file's modification time (so the test need not wait for the clock to tick).
    fn touch(path: &std::path::Path, secs: u64) {
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)).unwrap();
    }

    #[test]
    fn a_saved_scenario_reloads_and_a_broken_one_keeps_the_old_world() {
        let t = tempfile::tempdir().unwrap();
        let file = t.path().join("mine.ron");
        let good = crate::scenario::builtin("commons").unwrap().source.replace("ticks: 1000", "ticks: 300");
        std::fs::write(&file, &good).unwrap();
        touch(&file, 0);
        let (control, mut sim) = Control::start(Source::File(file.clone()), None).unwrap();
        let groups = |app: &App| crate::control::group_views(&app.world().non_send::<SimHost>().0);
        let mut app = App::new();
        app.insert_resource(state(control, &mut sim))
            .insert_non_send(SimHost(sim))
            .init_resource::<Flashes>()
            .init_resource::<FileWatch>()
            .insert_resource(Time::<()>::default())
            .add_systems(Update, (watch_file, advance).chain());
        let frame = |app: &mut App, secs: f64| {
            app.world_mut().resource_mut::<Time>().advance_by(Duration::from_secs_f64(secs));
            app.update();
        };
        frame(&mut app, 0.1); // the watcher notes the file
        frame(&mut app, 0.1); // and checks it: unchanged
        assert_eq!(groups(&app)[1].count, 2);
        let generation = app.world().resource::<AppState>().generation;

        // Saved with a change: within about a second the world is rebuilt from it.
        std::fs::write(&file, good.replace("count: 2", "count: 1")).unwrap();
        touch(&file, 10);
        frame(&mut app, 0.1);
        assert_eq!(groups(&app)[1].count, 2, "not checked again before a second has passed");
        frame(&mut app, 1.5);
        let st = app.world().resource::<AppState>();
        assert_eq!(st.generation, generation + 1, "rebuilt");
        assert!(st.problems.is_none());
        assert_eq!(groups(&app)[1].count, 1);
        // Unchanged since: no more rebuilds.
        frame(&mut app, 1.5);
        assert_eq!(app.world().resource::<AppState>().generation, generation + 1);

        // Saved broken: its problems are shown, located, and the world is the one before.
        let hash = app.world_mut().non_send_mut::<SimHost>().0.state_hash();
        std::fs::write(
            &file,
            good.replace("count: 2", "count: 1").replace("selfishness: Fixed(1.0)", "selfishness: Fixed(1.5)"),
        )
        .unwrap();
        touch(&file, 20);
        frame(&mut app, 1.5);
        let st = app.world().resource::<AppState>();
        assert_eq!(st.generation, generation + 1, "not rebuilt");
        let problems = st.problems.clone().expect("the problems are shown");
        assert!(problems.starts_with(&format!("{}:", file.display())), "{problems}");
        assert!(problems.contains("agents[1].selfishness"), "{problems}");
        assert!(st.notice.as_ref().is_some_and(|n| n.error), "the status line says so");
        assert_eq!(groups(&app)[1].count, 1);
        assert_eq!(app.world_mut().non_send_mut::<SimHost>().0.state_hash(), hash, "the old world, untouched");

        // Fixed and saved again: rebuilt, and the problems go.
        std::fs::write(&file, &good).unwrap();
        touch(&file, 30);
        frame(&mut app, 1.5);
        let st = app.world().resource::<AppState>();
        assert_eq!(st.generation, generation + 2);
        assert!(st.problems.is_none());
        assert_eq!(groups(&app)[1].count, 2);

        // Another file opened broken (the app tour, 2026-12-07: fixing it did nothing until
        // Open was pressed again): watched, and opened once it is fixed.
        let other = t.path().join("other.ron");
        std::fs::write(&other, good.replace("ticks: 300", "ticks: -5")).unwrap();
        touch(&other, 40);
        app.world_mut().resource_mut::<AppState>().send(Intent::Open(Source::File(other.clone())));
        frame(&mut app, 0.1);
        let st = app.world().resource::<AppState>();
        assert_eq!(st.generation, generation + 2, "not opened");
        assert!(st.problems.as_deref().is_some_and(|p| !p.contains("nothing was run")), "{:?}", st.problems);
        assert_eq!(st.pending.as_deref(), Some(other.as_path()));
        frame(&mut app, 0.1); // the watcher notes the broken file
        std::fs::write(&other, good.replace("count: 2", "count: 3")).unwrap();
        touch(&other, 50);
        frame(&mut app, 1.5);
        frame(&mut app, 0.1);
        let st = app.world().resource::<AppState>();
        assert_eq!(st.generation, generation + 3, "opened once fixed");
        assert!(st.problems.is_none() && st.pending.is_none());
        assert_eq!(st.control.source.path(), Some(other.as_path()));
        assert_eq!(groups(&app)[1].count, 3);
    }
}
