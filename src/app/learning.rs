//! Live training (`polity gui SCENARIO --train`): the app's side of
//! [`crate::control::training`]. Each frame, before the world's ticks, it tells the trainer
//! whether the app is paused, drains the finished updates into the learning curves, and hands
//! the newest policies to the world on screen (again after every rebuild). The world on screen
//! starts a new episode, with the newest policies, when it reaches the training's episode
//! length. The "Learning" section of the right panel draws the curves.

use std::sync::Arc;

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};
use egui_plot::{Line, PlotPoints, Points};

use super::panels::PanelCx;
use super::steer::SteerSystems;
use super::{AppState, SimHost};
use crate::control::training::{self, LiveTrainer, TrainerMessage};
use crate::control::{FrameTicks, Intent};
use crate::learn::net::Policy;

/// The learning groups' colours in the curves (group order among the learning groups).
pub const CURVE_COLORS: &[[u8; 3]] =
    &[[255, 150, 40], [90, 200, 255], [200, 120, 255], [240, 240, 240], [255, 110, 160], [170, 230, 90]];
/// Patches alive's colour.
pub const PATCHES_COLOR: [u8; 3] = [120, 220, 120];
/// The Gini's colour.
pub const GINI_COLOR: [u8; 3] = [255, 210, 80];

/// One finished update, as the curves show it.
#[derive(Clone, Debug, PartialEq)]
pub struct CurvePoint {
    /// The update (1 first).
    pub update: u32,
    /// Episodes played so far.
    pub episodes: u64,
    /// Each learning group's mean return, in group order.
    pub returns: Vec<f64>,
    /// Patches alive at the episodes' end.
    pub patches_alive: f64,
    /// The Gini of the utilities at the episodes' end.
    pub gini: f64,
    /// Learner-steps per second.
    pub steps_per_second: f64,
}

/// Where the training stands.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainingState {
    /// Updates are running (or waiting while the app is paused).
    Running,
    /// Every update asked for is done.
    Done,
    /// It failed; the message.
    Failed(String),
}

/// The live training and its curves.
#[derive(Resource)]
pub struct Learning {
    /// The trainer's thread.
    pub trainer: LiveTrainer,
    /// The learning groups' names, in group order.
    pub groups: Vec<String>,
    /// One point per finished update.
    pub curve: Vec<CurvePoint>,
    /// The newest policies, by group index.
    pub latest: Option<Vec<Option<Arc<Policy>>>>,
    /// The learned principal's newest policy.
    pub latest_principal: Option<Arc<Policy>>,
    /// Whether the world plays `latest` (the world generation they went into).
    installed: Option<u64>,
    /// Where the training stands.
    pub state: TrainingState,
    /// Frames drawn since the last update arrived (the screenshot waits for a few).
    pub frames_since_update: u32,
}

impl Learning {
    /// The app's side of a started trainer.
    pub fn new(trainer: LiveTrainer) -> Learning {
        let groups = trainer.groups.iter().flatten().cloned().collect();
        Learning {
            trainer,
            groups,
            curve: Vec::new(),
            latest: None,
            latest_principal: None,
            installed: None,
            state: TrainingState::Running,
            frames_since_update: 0,
        }
    }
}

/// Runs the live training's frame step before the world's ticks.
pub struct LearningPlugin;

impl Plugin for LearningPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, sync.before(SteerSystems));
    }
}

fn sync(learning: Option<ResMut<Learning>>, mut host: NonSendMut<SimHost>, mut state: ResMut<AppState>) {
    let Some(mut learning) = learning else { return };
    let l = &mut *learning;
    let st = &mut *state;
    let sim = &mut host.0;
    // While training, the world runs episode after episode rather than stopping at the run's end.
    st.control.stop_at = None;
    let paused = st.control.ticks_this_frame() == FrameTicks::Paused;
    l.trainer.set_paused(paused);
    l.frames_since_update = l.frames_since_update.saturating_add(1);
    for message in l.trainer.poll() {
        match message {
            TrainerMessage::Update(f) => {
                let r = &f.report;
                l.curve.push(CurvePoint {
                    update: r.update,
                    episodes: r.episodes,
                    returns: r.groups.iter().map(|g| g.mean_return).collect(),
                    patches_alive: r.metrics.patches_alive,
                    gini: r.metrics.gini,
                    steps_per_second: f.steps_per_second,
                });
                l.latest = Some(f.policies);
                l.latest_principal = f.principal;
                l.installed = None;
                l.frames_since_update = 0;
            }
            TrainerMessage::Done => {
                l.state = TrainingState::Done;
                let n = l.curve.len();
                st.tell(format!("training done: {}", crate::plural(n as u64, "update")), false);
            }
            TrainerMessage::Failed(e) => {
                st.tell(format!("training stopped: {e}"), true);
                l.state = TrainingState::Failed(e);
            }
        }
    }
    if let Some(latest) = &l.latest
        && l.installed != Some(st.generation)
    {
        if training::install(sim, latest, l.latest_principal.as_ref()) {
            let update = l.curve.last().map_or(0, |p| p.update);
            st.tell(format!("the learners play update {update}'s policy from tick {} on", sim.tick() + 1), false);
        }
        l.installed = Some(st.generation);
    }
    if !paused && sim.tick() >= l.trainer.episode && l.trainer.episode > 0 {
        st.send(Intent::Reset);
    }
}

fn rgb(c: [u8; 3]) -> Color32 {
    Color32::from_rgb(c[0], c[1], c[2])
}

/// Whether the app trains (the "Learning" section applies).
pub fn applies(cx: &PanelCx) -> bool {
    cx.learning.is_some()
}

/// The "Learning" section: the status line and the curves.
pub fn panel(ui: &mut egui::Ui, cx: &mut PanelCx) {
    let Some(l) = cx.learning else { return };
    let t = &l.trainer;
    let last = l.curve.last();
    ui.horizontal_wrapped(|ui| {
        let done = last.map_or(0, |p| p.update);
        ui.label(RichText::new(format!("update {done} of {}", t.target)).strong());
        if let Some(p) = last {
            ui.label(format!("· {} · {:.0} learner-steps/s", crate::plural(p.episodes, "episode"), p.steps_per_second));
        }
        match &l.state {
            TrainingState::Running if t.paused() => {
                ui.label(RichText::new("· ⏸ paused").color(cx.art.ui.paused));
            }
            TrainingState::Running => {
                ui.label(
                    RichText::new(format!("· update {}: tick {}/{}", done + 1, t.tick(), t.episode))
                        .color(cx.art.ui.running),
                );
            }
            TrainingState::Done => {
                ui.label(RichText::new("· done").color(cx.art.ui.running));
            }
            TrainingState::Failed(e) => {
                ui.label(RichText::new(format!("· failed: {e}")).color(cx.art.ui.error));
            }
        }
    });
    let x_max = l.curve.len().max(5) as f64;
    let small =
        |ui: &mut egui::Ui, id: &str, title: &str, legend: Vec<(String, [u8; 3])>, lines: Vec<Vec<[f64; 2]>>| {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(title).small().strong());
                for (text, c) in &legend {
                    ui.add(egui::Label::new(RichText::new(format!("■ {text}")).small().color(rgb(*c))).extend());
                }
            });
            // From 0 (small_plot), so the axis has labels from the first point on and levels
            // read as sizes.
            super::plots::small_plot(("learning", id), 72.0, super::plots::y_range(lines.iter().map(Vec::as_slice)))
                .include_x(0.0)
                .include_x(x_max)
                .show(ui, |p| {
                    for ((name, c), pts) in legend.iter().zip(lines) {
                        p.line(Line::new(name.as_str(), PlotPoints::from(pts.clone())).color(rgb(*c)).width(2.0));
                        p.points(Points::new(name.as_str(), PlotPoints::from(pts)).color(rgb(*c)).radius(2.5));
                    }
                });
        };
    let value = |v: Option<f64>, digits: usize| v.map_or("—".to_string(), |v| format!("{v:.digits$}"));
    let (legend, lines): (Vec<_>, Vec<_>) = l
        .groups
        .iter()
        .enumerate()
        .map(|(k, g)| {
            let c = CURVE_COLORS[k % CURVE_COLORS.len()];
            let pts: Vec<[f64; 2]> = l.curve.iter().map(|p| [p.update as f64, p.returns[k]]).collect();
            ((format!("{g} {}", value(pts.last().map(|p| p[1]), 2)), c), pts)
        })
        .unzip();
    small(ui, "return", "Mean return per episode", legend, lines);
    let series =
        |f: fn(&CurvePoint) -> f64| -> Vec<[f64; 2]> { l.curve.iter().map(|p| [p.update as f64, f(p)]).collect() };
    let patches = series(|p| p.patches_alive);
    let text = value(patches.last().map(|p| p[1]), 1);
    small(ui, "patches", "Patches alive at the end", vec![(text, PATCHES_COLOR)], vec![patches]);
    let gini = series(|p| p.gini);
    let text = value(gini.last().map(|p| p[1]), 3);
    small(ui, "gini", "Gini of the utility at the end", vec![(text, GINI_COLOR)], vec![gini]);
    let out = match &t.out {
        Some(dir) => format!("; written to {} after each update", dir.display()),
        None => "; nothing is written (--out DIR keeps it)".into(),
    };
    super::panels::hint(
        ui,
        &format!(
            "x is the update: {} of {} ticks each, in the background; the world shows the newest policy{out}. Pause pauses training.",
            crate::plural(t.envs as u64, "episode"),
            t.episode
        ),
    );
}

#[cfg(test)]
mod tests {
    //! The live training's frame step as the app runs it (its system in a Bevy app), with no
    //! window: the app's pause is the trainer's, each update's policies go into the world on
    //! screen (again after a rebuild), and the world starts a new episode at the episode's end.
    use std::time::{Duration, Instant};

    use bevy::ecs::system::RunSystemOnce;

    use super::*;
    use crate::control::training::TrainOptions;
    use crate::control::{Control, History, Source};
    use crate::learn::play::Brains;

    fn brain(app: &App) -> Arc<Policy> {
        app.world().non_send::<SimHost>().0.part::<Brains>().unwrap().groups[0].clone().unwrap()
    }

    #[test]
    fn the_world_plays_each_update_and_pausing_the_app_pauses_training() {
        let t = tempfile::tempdir().unwrap();
        let file = t.path().join("small.ron");
        let source = crate::scenario::builtin("commons-learners").unwrap().source;
        let small = source.replace("envs: 8, updates: 150,", "episode_ticks: 20, envs: 1, updates: 3,");
        assert_ne!(small, source);
        std::fs::write(&file, small).unwrap();
        let (control, sim) = Control::start(Source::File(file), None).unwrap();
        assert!(control.paused);
        let trainer = LiveTrainer::start(&control.scenario, control.seed, &TrainOptions::default(), true).unwrap();
        let history = History::new(&sim);
        let fresh = brain_of(&sim);
        let mut app = App::new();
        app.insert_resource(AppState::new(control, history))
            .insert_non_send(SimHost(sim))
            .insert_resource(Learning::new(trainer));
        let frame = |app: &mut App| app.world_mut().run_system_once(sync).unwrap();
        let learning = |app: &App| -> bool { app.world().resource::<Learning>().trainer.paused() };

        // The app is paused: so is training, and no update arrives.
        frame(&mut app);
        assert!(learning(&app), "a paused app pauses training");
        std::thread::sleep(Duration::from_millis(800));
        frame(&mut app);
        assert!(app.world().resource::<Learning>().curve.is_empty());
        assert_eq!(app.world().resource::<Learning>().trainer.tick(), 0);

        // Playing: training runs, and the first update's policy goes into the world.
        app.world_mut().resource_mut::<AppState>().control.paused = false;
        frame(&mut app);
        assert!(!learning(&app));
        let started = Instant::now();
        while app.world().resource::<Learning>().curve.is_empty() {
            assert!(started.elapsed() < Duration::from_secs(120), "no update arrived");
            std::thread::sleep(Duration::from_millis(50));
            frame(&mut app);
        }
        let l = app.world().resource::<Learning>();
        assert_eq!(l.curve[0].update, 1);
        assert_eq!(l.groups, ["learners"]);
        let latest = l.latest.as_ref().unwrap()[0].clone().unwrap();
        assert!(Arc::ptr_eq(&brain(&app), &latest), "the world plays the newest policy");
        assert_ne!(latest.hash(), fresh.hash(), "trained weights, not the fresh ones");
        let notice = app.world().resource::<AppState>().notice.clone().unwrap().text;
        assert!(
            notice.starts_with("the learners play update ") && notice.contains("'s policy from tick 1 on"),
            "{notice}"
        );

        // At the episode's length the world starts a new episode; rebuilt, it plays the newest
        // policy again.
        for _ in 0..20 {
            app.world_mut().non_send_mut::<SimHost>().0.step();
        }
        app.world_mut().resource_mut::<AppState>().control.paused = true;
        frame(&mut app);
        assert!(app.world().resource::<AppState>().intents.is_empty(), "paused: no new episode");
        app.world_mut().resource_mut::<AppState>().control.paused = false;
        frame(&mut app);
        assert_eq!(app.world().resource::<AppState>().intents, [Intent::Reset]);
        let rebuilt = {
            let st = app.world().resource::<AppState>();
            st.control.build()
        };
        app.world_mut().non_send_mut::<SimHost>().0 = rebuilt;
        app.world_mut().resource_mut::<AppState>().generation += 1;
        frame(&mut app);
        let latest = app.world().resource::<Learning>().latest.as_ref().unwrap()[0].clone().unwrap();
        assert!(Arc::ptr_eq(&brain(&app), &latest), "reinstalled after the rebuild");

        // The rest of the updates, then done.
        let started = Instant::now();
        while app.world().resource::<Learning>().state == TrainingState::Running {
            assert!(started.elapsed() < Duration::from_secs(120), "training did not finish");
            std::thread::sleep(Duration::from_millis(50));
            frame(&mut app);
        }
        let l = app.world().resource::<Learning>();
        assert_eq!(l.state, TrainingState::Done);
        assert_eq!(l.curve.iter().map(|p| p.update).collect::<Vec<_>>(), [1, 2, 3]);
    }

    fn brain_of(sim: &crate::sim::Sim) -> Arc<Policy> {
        sim.part::<Brains>().unwrap().groups[0].clone().unwrap()
    }
}
