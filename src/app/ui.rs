//! The egui layout: a status bar on top, the left and right side panels (each a list of
//! sections from `panels`), and the free space between them, which the world view fills.

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::input::egui_wants_any_keyboard_input;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::art::{AppArt, UiColors};
use super::export::ExportQueue;
use super::learning::Learning;
use super::panels::{self, PanelCx, PanelDef};
use super::view::{MapArea, WorldView};
use super::{AppState, SimHost};
use crate::control::FrameTicks;

/// Draws the panels.
pub struct AppUiPlugin;

impl Plugin for AppUiPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<UiState>()
            .add_systems(EguiPrimaryContextPass, draw)
            .add_systems(Update, toggle_panels.run_if(not(egui_wants_any_keyboard_input)));
    }
}

/// What the panels remember between frames (text being typed, a slider being dragged).
#[derive(Resource, Default)]
pub struct UiState {
    /// The seed field's text.
    pub seed: String,
    /// Whether `seed` has been set from the world yet.
    pub seed_synced: bool,
    /// The "open a file" field.
    pub path: String,
    /// The event log's kind filter (`None`: every kind).
    pub event_filter: Option<&'static str>,
    /// A live parameter being dragged, and its value so far.
    pub editing: Option<(Edit, f64)>,
    /// The inspector's "select by id" field.
    pub pick_id: u32,
    /// The side panels are hidden and the map fills the window (H, `gui --hide-panels`).
    pub panels_hidden: bool,
}

/// H hides the side panels (the map fills the window below the status bar) and shows them.
pub fn toggle_panels(keys: Res<ButtonInput<KeyCode>>, mut ui: ResMut<UiState>) {
    if keys.just_pressed(KeyCode::KeyH) {
        ui.panels_hidden = !ui.panels_hidden;
    }
}

/// A live parameter widget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    /// A bracket's tax rate.
    Tax(usize),
    /// A group's power.
    Power(u32),
    /// The oversight's audit probability.
    AuditProbability,
    /// The oversight's penalty scale k.
    PenaltyK,
    /// The principal's shield margin.
    ShieldMargin,
}

/// The left panel's width and the right panel's, as they open (logical pixels).
const LEFT_WIDTH: f32 = 300.0;
const RIGHT_WIDTH: f32 = 400.0;

/// The left and the right panel's (opening, least, greatest) widths in a window `width`
/// logical pixels wide: [`LEFT_WIDTH`] and [`RIGHT_WIDTH`] from 1280 pixels up, narrower in
/// proportion below (a 1024×600 screen's window left the map 157 pixels of 921), and never
/// more than about a third of the window each, so the map keeps at least a quarter of it.
pub fn panel_sizes(width: f32) -> ((f32, f32, f32), (f32, f32, f32)) {
    let fit = (width / 1280.0).clamp(0.1, 1.0);
    let (left, right) = (LEFT_WIDTH * fit, RIGHT_WIDTH * fit);
    let (left_max, right_max) = ((width * 0.35).max(left), (width * 0.4).max(right));
    ((left, 160.0f32.min(left), left_max), (right, 200.0f32.min(right), right_max))
}

fn style(ctx: &egui::Context) {
    // The dark theme, whatever the system's: its panel fill is what the screenshot test finds.
    ctx.set_theme(egui::Theme::Dark);
    ctx.all_styles_mut(|s| {
        s.spacing.item_spacing = egui::vec2(6.0, 4.0);
        s.spacing.slider_width = 150.0;
        s.interaction.tooltip_delay = 0.2;
        // Scroll bars that show whenever a panel's sections are taller than the window (the
        // floating default shows them only under the pointer, so a cut-off panel looked whole).
        s.spacing.scroll = egui::style::ScrollStyle::solid();
    });
}

#[allow(clippy::too_many_arguments)]
fn draw(
    mut contexts: EguiContexts,
    host: NonSend<SimHost>,
    mut state: ResMut<AppState>,
    mut ui_state: ResMut<UiState>,
    mut area: ResMut<MapArea>,
    mut view: ResMut<WorldView>,
    mut exports: ResMut<ExportQueue>,
    learning: Option<Res<Learning>>,
    art: Option<Res<AppArt>>,
    mut styled: Local<bool>,
    mut panels_for: Local<f32>,
) -> Result {
    // Nothing is drawn until the art has loaded (a frame or two: `art`).
    let Some(art) = art.as_deref() else { return Ok(()) };
    let ctx = contexts.ctx_mut()?.clone();
    if !*styled {
        style(&ctx);
        *styled = true;
    }
    let sim = &host.0;
    if !ui_state.seed_synced {
        ui_state.seed = state.control.seed.to_string();
        ui_state.seed_synced = true;
    }
    let mut root = egui::Ui::new(
        ctx.clone(),
        "polity-root".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    let learning = learning.as_deref();
    let hidden = ui_state.panels_hidden;
    egui::Panel::top("status").show(&mut root, |ui| status_bar(ui, sim, &state, &view, learning, &art.ui, hidden));
    let mut cx =
        PanelCx { sim, state: &mut state, ui: &mut ui_state, view: &mut view, exports: &mut exports.0, learning, art };
    // A window that changed width (the first frames' 1280 shrunk to a small screen, or the
    // user's resizing) opens its panels again at the new width's sizes.
    let width = ctx.viewport_rect().width();
    if (width - *panels_for).abs() > 0.5 {
        *panels_for = width;
        ctx.data_mut(|d| {
            for id in ["left", "right"] {
                d.remove::<egui::containers::panel::PanelState>(egui::Id::new(id));
            }
        });
    }
    let (left, right) = panel_sizes(width);
    // Where the right panel starts: egui gives the map the room left of the panel's rect, and
    // a panel whose contents are wider than it has that rect shifted right, past the window's
    // edge, while the panel is drawn at the edge (the map was laid out under the panel).
    let mut right_edge = ctx.viewport_rect().max.x;
    if !hidden {
        egui::Panel::left("left").default_size(left.0).min_size(left.1).max_size(left.2).show(&mut root, |ui| {
            sections(ui, "left-scroll", panels::LEFT, &mut cx);
        });
        let r = egui::Panel::right("right").default_size(right.0).min_size(right.1).max_size(right.2).show(
            &mut root,
            |ui| {
                sections(ui, "right-scroll", panels::RIGHT, &mut cx);
            },
        );
        right_edge -= r.response.rect.width();
    }
    let mut free = root.available_rect_before_wrap();
    free.max.x = free.max.x.min(right_edge);
    area.0 =
        (free.width() > 1.0 && free.height() > 1.0).then(|| Rect::new(free.min.x, free.min.y, free.max.x, free.max.y));
    Ok(())
}

/// Shows a list of panel sections, each collapsible, in a scroll area.
fn sections(ui: &mut egui::Ui, id: &str, list: &[PanelDef], cx: &mut PanelCx) {
    egui::ScrollArea::vertical().id_salt(id).auto_shrink([false, false]).show(ui, |ui| {
        // Sliders as wide as a narrow panel (a small screen's) leaves room for their value and
        // label.
        ui.spacing_mut().slider_width = (ui.available_width() - 130.0).clamp(60.0, 150.0);
        ui.add_space(4.0);
        for p in list {
            if !(p.applies)(cx) {
                continue;
            }
            egui::CollapsingHeader::new(RichText::new(p.title).strong()).default_open(p.open).show(ui, |ui| {
                (p.show)(ui, cx);
            });
            ui.add_space(2.0);
        }
    });
}

fn status_bar(
    ui: &mut egui::Ui,
    sim: &crate::sim::Sim,
    state: &AppState,
    view: &WorldView,
    learning: Option<&Learning>,
    colors: &UiColors,
    panels_hidden: bool,
) {
    let c = &state.control;
    ui.horizontal(|ui| {
        ui.label(RichText::new("Polity").strong().color(colors.title));
        if panels_hidden {
            // Short on a narrow window: the long form pushed the hovered cell off its right end.
            let text = if ui.available_width() < 900.0 { "H: panels" } else { "panels hidden: H shows them" };
            ui.label(RichText::new(text).color(colors.notice));
        }
        ui.separator();
        ui.label(RichText::new(&c.scenario.name).strong());
        ui.label(format!("seed {}", c.seed));
        ui.separator();
        ui.label(RichText::new(format!("tick {}", sim.tick())).monospace().strong());
        let past = if sim.tick() > c.end_tick { " (past the run's end: Play goes on)" } else { "" };
        ui.label(RichText::new(format!("/ {}{past}", c.end_tick)).weak());
        ui.separator();
        let h = &state.history;
        if let (Some(apples), Some(alive)) = (h.last(crate::columns::APPLES), h.last(crate::columns::PATCHES_ALIVE)) {
            let patches = sim.grid().patch_count();
            let apples = if apples == 1.0 { "1 apple".to_string() } else { format!("{apples:.0} apples") };
            ui.label(format!("{apples} · {alive:.0}/{patches} patches alive"));
            ui.separator();
        }
        let (text, color) = match c.ticks_this_frame() {
            FrameTicks::Paused => ("⏸ paused".to_string(), colors.paused),
            FrameTicks::Exactly(k) => (format!("▶ {k} tick{}/frame", if k == 1 { "" } else { "s" }), colors.running),
            FrameTicks::AsManyAsFit => ("⏩ fast-forward".to_string(), colors.running),
        };
        ui.label(RichText::new(text).color(color));
        if !c.paused {
            ui.label(RichText::new(format!("{:.0} ticks/s", state.tick_rate)).weak());
        }
        if let Some(l) = learning {
            ui.separator();
            let done = l.curve.last().map_or(0, |p| p.update);
            ui.label(RichText::new(format!("learning: update {done}/{}", l.trainer.target)).color(colors.running));
        }
        if let Some((x, y)) = view.hover {
            ui.separator();
            ui.label(RichText::new(format!("cell ({x}, {y})")).monospace().weak());
        }
        if let Some(n) = &state.notice {
            ui.separator();
            let color = if n.error { colors.error } else { colors.notice };
            ui.add(egui::Label::new(RichText::new(&n.text).color(color)).truncate());
        }
    });
}

#[cfg(test)]
mod tests {
    use bevy::ecs::system::RunSystemOnce;

    use super::*;

    #[test]
    fn h_hides_and_shows_the_panels() {
        assert!(
            include_str!("../../docs/app.md").contains("| H | hide / show the side panels"),
            "docs/app.md's key table lost the H row"
        );
        let mut app = App::new();
        app.init_resource::<UiState>();
        let press = |app: &mut App, key: KeyCode, held: bool| {
            let mut input = ButtonInput::<KeyCode>::default();
            input.press(key);
            if held {
                input.clear();
            }
            app.insert_resource(input);
            app.world_mut().run_system_once(toggle_panels).unwrap();
            app.world().resource::<UiState>().panels_hidden
        };
        assert!(press(&mut app, KeyCode::KeyH, false), "H hides them");
        assert!(press(&mut app, KeyCode::KeyH, true), "H held down acts once");
        assert!(press(&mut app, KeyCode::KeyQ, false), "another key leaves them");
        assert!(!press(&mut app, KeyCode::KeyH, false), "H again shows them");
    }

    #[test]
    fn panels_narrow_on_a_small_window() {
        let ((l, lmin, lmax), (r, rmin, rmax)) = panel_sizes(1280.0);
        assert_eq!((l, r), (LEFT_WIDTH, RIGHT_WIDTH));
        assert!(lmin <= l && l <= lmax && rmin <= r && r <= rmax);
        let ((l, _, _), (r, _, _)) = panel_sizes(720.0);
        assert!(l + r < 720.0 * 0.6, "two panels leave the map at least two fifths of 720: {l} + {r}");
    }
}
