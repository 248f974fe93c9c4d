//! The panels' sections. Each is a [`PanelDef`]: a title, whether it starts open, whether it
//! applies to the world shown (the principal's section only when there is one), and a
//! function that draws it. A new mechanism gets its section by writing one function and
//! adding one line to [`LEFT`] or [`RIGHT`].

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};
use egui_plot::{Line, PlotPoints};

use super::export::{EXPORT_DIR, ExportKind};
use super::plots;
use super::ui::{Edit, UiState};
use super::view::WorldView;
use super::{AppState, random_seed};
use crate::control::{self, Intent, Source};
use crate::paint;
use crate::principal::{Principal, served_p};
use crate::rules::forage::Action;
use crate::scenario::{self, Kind};
use crate::sim::Sim;
use crate::tax::TaxState;
use crate::voting::Election;

/// What a section may read and change.
pub struct PanelCx<'a> {
    /// The world (read only: changes go through intents).
    pub sim: &'a Sim,
    /// Steering state; sections queue intents here.
    pub state: &'a mut AppState,
    /// The panels' own memory.
    pub ui: &'a mut UiState,
    /// The world view (to refit the camera).
    pub view: &'a mut WorldView,
    /// Exports asked for.
    pub exports: &'a mut Vec<ExportKind>,
    /// The live training, with `--train`.
    pub learning: Option<&'a super::learning::Learning>,
    /// What to draw with (the loaded art).
    pub art: &'a super::art::AppArt,
}

/// One section of a side panel.
pub struct PanelDef {
    /// Its heading.
    pub title: &'static str,
    /// Whether it starts open.
    pub open: bool,
    /// Whether it is shown for this world (and this app: the learning curves only while
    /// training).
    pub applies: fn(&PanelCx) -> bool,
    /// Draws it.
    pub show: fn(&mut egui::Ui, &mut PanelCx),
}

fn always(_: &PanelCx) -> bool {
    true
}

fn has_governance(cx: &PanelCx) -> bool {
    let w = cx.sim.world();
    let parts = &crate::sim::core(w).parts;
    parts.has::<TaxState>() || parts.has::<Election>() || parts.has::<Principal>()
}

/// The left panel: steering.
pub const LEFT: &[PanelDef] = &[
    PanelDef { title: "Run", open: true, applies: always, show: run_controls },
    PanelDef { title: "Scenario", open: true, applies: always, show: scenario_picker },
    PanelDef { title: "Live parameters", open: true, applies: always, show: live_parameters },
    PanelDef { title: "Legend", open: true, applies: always, show: legend },
    PanelDef { title: "Export", open: true, applies: always, show: export },
];

/// The right panel: watching and inspecting.
pub const RIGHT: &[PanelDef] = &[
    PanelDef { title: "Learning", open: true, applies: super::learning::applies, show: super::learning::panel },
    PanelDef { title: "Plots", open: true, applies: always, show: plots },
    PanelDef { title: "Agent inspector", open: true, applies: always, show: inspector },
    PanelDef { title: "Principal and election", open: true, applies: has_governance, show: principal },
    PanelDef { title: "Events", open: true, applies: always, show: events },
];

fn rgb(c: [u8; 4]) -> Color32 {
    Color32::from_rgb(c[0], c[1], c[2])
}

pub(super) fn hint(ui: &mut egui::Ui, text: &str) {
    ui.label(RichText::new(text).small().weak());
}

fn fmt_num(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "∞".into() } else { "−∞".into() }
    } else if v.is_nan() {
        "—".into()
    } else if v == v.round() && v.abs() < 1e9 {
        format!("{v:.0}")
    } else {
        // At most three decimals, without trailing zeros: 84.2, not 84.200 (which reads as
        // eighty-four thousand two hundred).
        paint::chart::label(v)
    }
}

/// Values read side by side (one plot's legend) with the same number of decimals: as many as
/// the one needing most needs under [`fmt_num`] (at most three), so `min 14.000 · Nash 31.850
/// · mean 35.537`, not `min 14 · Nash 31.85 · mean 35.537`. Infinite and missing values as
/// `fmt_num` says them (a missing one as nothing).
fn same_decimals(values: &[Option<f64>]) -> Vec<String> {
    let decimals = |v: f64| fmt_num(v).split_once('.').map_or(0, |(_, d)| d.len());
    let most = values.iter().flatten().filter(|v| v.is_finite()).map(|&v| decimals(v)).max().unwrap_or(0);
    values
        .iter()
        .map(|v| match v {
            None => String::new(),
            Some(v) if !v.is_finite() || v.abs() >= 1e9 => fmt_num(*v),
            Some(v) => {
                let s = format!("{v:.most$}");
                if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') { s.replace('-', "") } else { s }
            }
        })
        .collect()
}

fn p_label(p: f64) -> String {
    match p {
        p if p == f64::NEG_INFINITY => "−∞ (egalitarian)".into(),
        0.0 => "0 (Nash)".into(),
        1.0 => "1 (utilitarian)".into(),
        p if p == f64::INFINITY => "∞ (best-off)".into(),
        p => format!("{p}"),
    }
}

// ---------------------------------------------------------------------------------------
// Left panel

fn run_controls(ui: &mut egui::Ui, cx: &mut PanelCx) {
    let c = &cx.state.control;
    let (paused, tpf, ff) = (c.paused, c.ticks_per_frame, c.fast_forward);
    let mut out = Vec::new();
    // Rows wrap in a narrow panel (a small screen's) rather than run past its edge.
    ui.horizontal_wrapped(|ui| {
        let play = if paused { "▶ Play" } else { "⏸ Pause" };
        if ui.add_sized([78.0, 24.0], egui::Button::new(play)).on_hover_text("Space").clicked() {
            out.push(Intent::TogglePause);
        }
        if ui
            .add_sized([78.0, 24.0], egui::Button::new("Step 1 tick"))
            .on_hover_text("Right arrow or N: one tick, then pause")
            .clicked()
        {
            out.push(Intent::Step);
        }
        if ui
            .add_sized([64.0, 24.0], egui::Button::new("Reset"))
            .on_hover_text("R: rebuild the world at tick 0, same seed")
            .clicked()
        {
            out.push(Intent::Reset);
        }
    });
    ui.horizontal(|ui| {
        let mut k = tpf;
        let beside = fit_slider(ui, "ticks/frame");
        let slider = egui::Slider::new(&mut k, 1..=control::MAX_TICKS_PER_FRAME).logarithmic(true);
        let slider = if beside { slider.text("ticks/frame") } else { slider.suffix(" t/f") };
        if ui.add_enabled(!ff, slider).on_hover_text("+ and − double and halve it").changed() {
            out.push(Intent::SetTicksPerFrame(k));
        }
    });
    let mut fast = ff;
    if ui.checkbox(&mut fast, "Fast-forward").on_hover_text("F: as many ticks as fit in 12 ms of each frame").changed()
    {
        out.push(Intent::FastForward(fast));
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("Seed");
        // Text, not a number widget: egui's numbers are f64, which cannot hold every u64 seed.
        let width = (ui.available_width() - 40.0).clamp(60.0, 120.0);
        let field = ui.add(egui::TextEdit::singleline(&mut cx.ui.seed).desired_width(width));
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Reseed").on_hover_text("rebuild the world at tick 0 with this seed").clicked() || enter {
            match cx.ui.seed.trim().parse::<u64>() {
                Ok(seed) => out.push(Intent::Reseed(seed)),
                Err(_) => cx
                    .state
                    .tell(format!("seed {:?}: give a whole number from 0 to {}", cx.ui.seed.trim(), u64::MAX), true),
            }
        }
        if ui.button("New seed").on_hover_text("a random seed").clicked() {
            let seed = random_seed();
            cx.ui.seed = seed.to_string();
            out.push(Intent::Reseed(seed));
        }
    });
    hint(ui, "Reset and reseed rebuild the world from the scenario; live edits are not kept.");
    cx.state.intents.extend(out);
}

fn scenario_picker(ui: &mut egui::Ui, cx: &mut PanelCx) {
    let current = match &cx.state.control.source {
        Source::Builtin(name) => name.clone(),
        Source::File(_) => "(a file)".into(),
    };
    let mut chosen = None;
    egui::ComboBox::from_id_salt("builtin")
        .width((ui.available_width() - 24.0).min(200.0))
        .selected_text(&current)
        .show_ui(ui, |ui| {
            for b in scenario::BUILTINS {
                if ui.selectable_label(current == b.name, b.name).clicked() {
                    chosen = Some(b.name);
                }
            }
        });
    if let Some(name) = chosen {
        cx.state.send(Intent::Open(Source::Builtin(name.into())));
    }
    let desc = &cx.state.control.scenario.description;
    if !desc.is_empty() {
        ui.label(RichText::new(desc).small());
    }
    ui.horizontal_wrapped(|ui| {
        let width = (ui.available_width() - 56.0).clamp(80.0, 200.0);
        let edit = egui::TextEdit::singleline(&mut cx.ui.path).hint_text("path/to/scenario.ron").desired_width(width);
        let r = ui.add(edit);
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button("Open").clicked() || enter) && !cx.ui.path.trim().is_empty() {
            let path = std::path::PathBuf::from(cx.ui.path.trim());
            cx.state.send(Intent::Open(Source::File(path)));
        }
    });
    if let Some(p) = &cx.state.pending {
        hint(ui, &format!("Watching {} — it opens once the file changes (fix it and save).", p.display()));
    } else if let Source::File(p) = &cx.state.control.source {
        hint(ui, &format!("Watching {} — it reloads when the file changes.", p.display()));
    }
    if let Some(problems) = &cx.state.problems {
        ui.colored_label(cx.art.ui.error, "Not loaded; still running the previous world:");
        egui::ScrollArea::vertical().id_salt("problems").max_height(140.0).show(ui, |ui| {
            ui.label(RichText::new(problems).monospace().small().color(cx.art.ui.problems));
        });
    }
}

/// A slider for a live parameter that sends its intent when the drag ends (or at once for
/// keyboard changes), so one drag logs one `param_change`. Only the user changes it: a value
/// off the slider's steps (a mixed group's midpoint, a scenario's tax rate of 0.125) is shown
/// as it is, not rounded to a step and sent as an edit ([`slider`]).
fn live_slider(
    ui: &mut egui::Ui,
    cx: &mut PanelCx,
    edit: Edit,
    current: f64,
    range: std::ops::RangeInclusive<f64>,
    step: f64,
    label: String,
) -> Option<f64> {
    let mut v = match cx.ui.editing {
        Some((e, v)) if e == edit => v,
        _ => current,
    };
    // An infinite value (a greedy group's power) sits at the slider's end and reads ∞.
    let infinite = v == f64::INFINITY;
    if infinite {
        v = *range.end();
    }
    let mut s_label = None;
    if !fit_slider(ui, &label) {
        ui.label(&label);
    } else if !label.is_empty() {
        s_label = Some(label);
    }
    let mut s = slider(&mut v, range, step);
    if let Some(label) = s_label {
        s = s.text(label);
    }
    if infinite {
        s = s.custom_formatter(|_, _| "∞".into());
    }
    let r = ui.add(s);
    if r.dragged() {
        cx.ui.editing = Some((edit, v));
        None
    } else if r.drag_stopped() || r.changed() {
        cx.ui.editing = None;
        (v != current).then_some(v)
    } else {
        None
    }
}

/// A live parameter's slider: steps of `step`, shown to 2 decimals. egui's default clamping
/// (`Always`) would put a shown value on the nearest step and report it changed, on the first
/// frame, with no one touching it; `Edits` keeps what the user types in range and leaves a
/// value alone until the user moves it.
fn slider(v: &mut f64, range: std::ops::RangeInclusive<f64>, step: f64) -> egui::Slider<'_> {
    egui::Slider::new(v, range).step_by(step).fixed_decimals(2).clamping(egui::SliderClamping::Edits)
}

fn live_parameters(ui: &mut egui::Ui, cx: &mut PanelCx) {
    let w = cx.sim.world();
    if let Some(tax) = crate::sim::core(w).parts.get::<TaxState>() {
        ui.label(RichText::new(format!("Tax rates (period {} ticks)", tax.period)).strong());
        let rates = tax.rates();
        let cutoffs: Vec<f64> = tax.schedule.cutoffs.iter().map(|&m| control::apples(m)).collect();
        for (b, rate) in rates.into_iter().enumerate() {
            let from = fmt_num(cutoffs[b]);
            let label = match cutoffs.get(b + 1) {
                Some(to) => format!("{from}–{} apples", fmt_num(*to)),
                None => format!("{from}+ apples"),
            };
            if let Some(v) = live_slider(ui, cx, Edit::Tax(b), rate, 0.0..=1.0, 0.01, label) {
                cx.state.send(Intent::SetTaxRate { bracket: b, rate: v });
            }
        }
        ui.add_space(4.0);
    }
    if let Some(o) = crate::sim::core(w).parts.get::<crate::oversight::Oversight>() {
        let (rate, k) = (o.spec.audit_probability, o.spec.k);
        // P_D = audit probability × inspect: said so, since the slider below is only the first.
        let heading = format!(
            "Oversight (P_D = {} = audit probability {} × inspect {})",
            fmt_num(o.p_d),
            fmt_num(rate),
            fmt_num(o.spec.inspect)
        );
        ui.label(RichText::new(heading).strong()).on_hover_text(
            "P_D: the probability that a violation is detected (exact mode; the lower-bound mode bounds it from simulated audits); docs/oversight.md",
        );
        if let Some(v) = live_slider(ui, cx, Edit::AuditProbability, rate, 0.01..=1.0, 0.01, "audit probability".into())
        {
            cx.state.send(Intent::SetAuditProbability(v));
        }
        if let Some(v) = live_slider(ui, cx, Edit::PenaltyK, k, 0.0..=10.0, 0.1, "penalty k (apples)".into()) {
            cx.state.send(Intent::SetPenaltyK(v));
        }
        ui.add_space(4.0);
    }
    let margin = cx
        .sim
        .world()
        .get_resource::<crate::sim::ScenarioRes>()
        .and_then(|s| s.0.principal.as_ref()?.shield.as_ref().map(|sh| sh.margin));
    if let Some(m) = margin {
        ui.label(RichText::new("Shield").strong());
        if let Some(v) = live_slider(ui, cx, Edit::ShieldMargin, m, 0.0..=20.0, 0.1, "margin (apples of est. Q)".into())
        {
            cx.state.send(Intent::SetShieldMargin(v));
        }
        ui.add_space(4.0);
    }
    ui.label(RichText::new("Power of each group (KL budget, nats)").strong());
    for g in control::group_views(cx.sim) {
        let name = if g.name.is_empty() { format!("group {}", g.group) } else { g.name.clone() };
        let kind = match g.kind {
            Kind::Human => "human",
            Kind::Ai => "AI",
        };
        let (lo, hi) = g.power;
        ui.horizontal(|ui| {
            ui.label(format!("{name} ({})", crate::plural(g.count as u64, kind)));
            if lo != hi {
                ui.label(RichText::new(format!("mixed {}–{}", fmt_num(lo), fmt_num(hi))).weak());
            } else if let Some(what) = g.unbounded.filter(|_| lo.is_infinite()) {
                ui.label(RichText::new(format!("∞: {}", what.split(':').next().unwrap_or(what))).weak());
            } else if g.unbounded.is_none() {
                // A random walk or a script plays the same whatever its power.
                ui.label(RichText::new("(its policy does not use power)").weak());
            }
        });
        ui.horizontal(|ui| {
            let shown = if lo == hi { lo } else { (lo.min(5.0) + hi.min(5.0)) / 2.0 };
            if let Some(v) = live_slider(ui, cx, Edit::Power(g.group), shown, 0.0..=5.0, 0.05, String::new()) {
                cx.state.send(Intent::SetGroupPower { group: g.group, power: v });
            }
            if ui.small_button("∞").on_hover_text(g.unbounded.unwrap_or("unbounded power")).clicked() {
                cx.state.send(Intent::SetGroupPower { group: g.group, power: f64::INFINITY });
            }
        });
    }
    hint(ui, "Each change applies at once and is logged as a param_change event (tick, parameter, old, new).");
}

fn swatch(ui: &mut egui::Ui, color: Color32, shape: &str, text: &str) {
    swatch_on(ui, color, None, shape, text)
}

/// [`swatch`], on a square of `ground` when given (a belt's cell under its chevron).
fn swatch_on(ui: &mut egui::Ui, color: Color32, ground: Option<Color32>, shape: &str, text: &str) {
    ui.horizontal_wrapped(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(16.0, 16.0), egui::Sense::hover());
        let p = ui.painter();
        let c = rect.center();
        if let Some(g) = ground {
            p.rect_filled(rect.shrink(1.0), 2.0, g);
        }
        match shape {
            // A belt's chevron, as the map draws it (a plain square read as a wall).
            "chevron" => {
                let stroke = egui::Stroke::new(2.5, color);
                p.line_segment([c + egui::vec2(-3.0, -5.0), c + egui::vec2(2.0, 0.0)], stroke);
                p.line_segment([c + egui::vec2(2.0, 0.0), c + egui::vec2(-3.0, 5.0)], stroke);
            }
            "ring" => {
                p.circle_stroke(c, 6.0, egui::Stroke::new(2.0, color));
            }
            // A broken vase's shards, where the map draws them (paint::shards).
            "shards" => {
                for (fx, fy) in paint::SHARDS {
                    let at = rect.min + egui::vec2(fx as f32 * 16.0, fy as f32 * 16.0);
                    p.rect_filled(egui::Rect::from_min_size(at, egui::vec2(4.5, 3.0)), 0.0, color);
                }
            }
            _ => {
                p.rect_filled(rect.shrink(1.0), 2.0, color);
            }
        }
        ui.label(text);
    });
}

/// A legend entry showing the map's own sprite as a 16×16 texture, made once for each art
/// and kept in egui's memory under `key`.
fn sprite_swatch(ui: &mut egui::Ui, key: &str, mask: &paint::sprite::Mask, colors: ([u8; 4], [u8; 4]), text: &str) {
    let id = egui::Id::new(("legend-sprite", key, mask, colors));
    let texture = ui.ctx().data(|d| d.get_temp::<egui::TextureHandle>(id)).unwrap_or_else(|| {
        let pixels = mask
            .iter()
            .flatten()
            .map(|&v| match v {
                1 => rgb(colors.0),
                2 => rgb(colors.1),
                _ => Color32::TRANSPARENT,
            })
            .collect();
        let n = paint::sprite::SIZE;
        let image = egui::ColorImage::new([n, n], pixels);
        let texture = ui.ctx().load_texture(key, image, egui::TextureOptions::NEAREST);
        ui.ctx().data_mut(|d| d.insert_temp(id, texture.clone()));
        texture
    });
    ui.horizontal_wrapped(|ui| {
        ui.add(egui::Image::new(&texture).fit_to_exact_size(egui::vec2(16.0, 16.0)));
        ui.label(text);
    });
}

/// The humans' colour scale, from σ = 0 (sparing) to 1 (selfish).
fn humans_by_sigma(ui: &mut egui::Ui, palette: &paint::art::WorldColors) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Humans by σ:");
        ui.label(RichText::new("0 sparing").small());
        let (rect, _) = ui.allocate_exact_size(egui::vec2(90.0, 12.0), egui::Sense::hover());
        let n = 30;
        for k in 0..n {
            let t = k as f64 / (n - 1) as f64;
            let x0 = rect.left() + rect.width() * k as f32 / n as f32;
            let r = egui::Rect::from_min_max(
                egui::pos2(x0, rect.top()),
                egui::pos2(x0 + rect.width() / n as f32 + 0.5, rect.bottom()),
            );
            ui.painter().rect_filled(r, 0.0, rgb(palette.human(t)));
        }
        ui.label(RichText::new("1 selfish").small());
    });
}

fn legend(ui: &mut egui::Ui, cx: &mut PanelCx) {
    let (palette, sprites) = (&cx.art.world.colors, &cx.art.world.sprites);
    // What this world holds, and nothing else (commons listed vases, boxes and belts; SED's
    // world, with no AI, an AI agent; a world without humans, their colours by σ).
    let has = paint::Legend::of(crate::sim::core(cx.sim.world()));
    if has.humans {
        humans_by_sigma(ui, palette);
    }
    // Two entries a row, or one in a narrow panel (two pushed its contents past its edge).
    let per_row = if ui.available_width() >= 320.0 { 2 } else { 1 };
    egui::Grid::new("legend-grid").num_columns(per_row).show(ui, |ui| {
        use paint::sprite::shade;
        let mut n = 0;
        let mut next = |ui: &mut egui::Ui| {
            n += 1;
            if n % per_row == 0 {
                ui.end_row();
            }
        };
        if has.humans {
            let human = palette.human(0.3);
            sprite_swatch(ui, "human", &sprites.human, (human, shade(human)), "human agent");
            next(ui);
        }
        if has.ai {
            sprite_swatch(ui, "ai", &sprites.ai, (palette.ai, shade(palette.ai)), "AI agent");
            next(ui);
        }
        if has.apples {
            sprite_swatch(ui, "apple", &sprites.apple, (palette.apple, palette.lost), "apple");
            next(ui);
            swatch(ui, rgb(palette.grass), "square", "grass (eaten)");
            next(ui);
            swatch(ui, rgb(palette.lost), "square", "lost patch");
            next(ui);
        }
        swatch(ui, rgb(palette.floor), "square", "floor");
        next(ui);
        swatch(ui, rgb(palette.wall), "square", "wall");
        next(ui);
        if has.vases {
            sprite_swatch(ui, "vase", &sprites.vase, (palette.vase, shade(palette.vase)), "vase");
            next(ui);
            swatch(ui, rgb(palette.vase), "shards", "vase broken");
            next(ui);
        }
        if has.boxes {
            sprite_swatch(ui, "box", &sprites.boxed, (palette.boxed, palette.box_rim), "box");
            next(ui);
        }
        if has.belts {
            swatch_on(ui, rgb(palette.belt_mark), Some(rgb(palette.belt)), "chevron", "conveyor belt");
            next(ui);
        }
        swatch(ui, rgb(palette.flash), "ring", "event (patch lost, push, theft…)");
        next(ui);
        swatch(ui, rgb(cx.art.ui.selected), "ring", "selected agent");
        next(ui);
    });
    hint(ui, "Drag to pan, wheel to zoom, click an agent to inspect it.");
}

fn export(ui: &mut egui::Ui, cx: &mut PanelCx) {
    ui.horizontal_wrapped(|ui| {
        if ui.button("Metrics CSV").on_hover_text("every metrics row so far, as polity run's metrics.csv").clicked() {
            cx.exports.push(ExportKind::MetricsCsv);
        }
        if ui.button("Screenshot PNG").on_hover_text("the whole window").clicked() {
            cx.exports.push(ExportKind::Screenshot);
        }
        if ui.button("Scenario RON").on_hover_text("the world now, with the live parameters, as a scenario").clicked() {
            cx.exports.push(ExportKind::Snapshot);
        }
        if ui
            .button("Checkpoint")
            .on_hover_text("the whole state now; open the file (like a scenario) to go on exactly from here")
            .clicked()
        {
            cx.exports.push(ExportKind::Checkpoint);
        }
        match cx.state.recording {
            None => {
                if ui
                    .button(RichText::new("Record").color(cx.art.ui.record))
                    .on_hover_text("record the window, world and panels, to a GIF under exports/")
                    .clicked()
                {
                    cx.state.record_requests.push(super::record::RecordRequest::Start(None));
                }
            }
            Some(n) => {
                if ui.button(format!("■ Stop recording ({n} frames)")).clicked() {
                    cx.state.record_requests.push(super::record::RecordRequest::Stop);
                }
            }
        }
    });
    let dir = std::env::current_dir().map(|d| d.join(EXPORT_DIR)).unwrap_or_else(|_| EXPORT_DIR.into());
    hint(ui, &format!("Files go to {}", dir.display()));
    for line in cx.state.exported.iter().rev().take(4) {
        ui.label(RichText::new(line).small());
    }
    if ui.small_button("Fit map to view").on_hover_text("undo pan and zoom").clicked() {
        cx.view.fit_requested = true;
    }
}

// ---------------------------------------------------------------------------------------
// Right panel

/// Points per plotted line, for each logical pixel of the plot's width (longer histories are
/// thinned to this): two a pixel draw the same picture as every row would, and a line of
/// thousands of points costs a software renderer tens of milliseconds a frame.
const POINTS_PER_PIXEL: f32 = 2.0;

/// One plotted line: the metrics column, its name in the legend, its colour.
type PlotLine = (&'static str, &'static str, [u8; 3]);

/// Every colour the panels draw lines and legends in (the plots', the learning curves'), for
/// a window recording's GIF palette to hold exactly.
pub fn line_colors() -> Vec<[u8; 3]> {
    let mut all: Vec<[u8; 3]> = PLOTS.iter().flat_map(|(_, lines)| lines.iter().map(|l| l.2)).collect();
    all.extend(super::learning::CURVE_COLORS);
    all.extend([super::learning::PATCHES_COLOR, super::learning::GINI_COLOR]);
    all.dedup();
    all
}

/// The principal's plot's title; before the first tax period ends, it says the gains so far.
const PRINCIPAL_PLOT: &str = "The principal's objective: W_p of the last tax period's gains";

/// The plots: a title and its lines; a line whose column the scenario lacks is left out, and
/// a plot with none.
const PLOTS: &[(&str, &[PlotLine])] = &[
    (
        "Welfare of the utility since tick 0",
        &[
            (crate::columns::WELFARE_MIN, "min (p = −∞)", [255, 110, 100]),
            (crate::columns::WELFARE_NASH, "Nash (p = 0)", [120, 220, 120]),
            (crate::columns::WELFARE_MEAN, "mean (p = 1)", [110, 170, 255]),
        ],
    ),
    ("Apples standing", &[(crate::columns::APPLES, "apples", [220, 50, 47])]),
    (PRINCIPAL_PLOT, &[(crate::columns::WELFARE_ELECTED, "W at elected p", [240, 240, 240])]),
    ("Gini of the utility", &[(crate::columns::GINI, "Gini", [255, 196, 61])]),
    ("Tax revenue (apples)", &[(crate::columns::TAX_REVENUE, "revenue", [180, 140, 255])]),
    (
        "Oversight (cumulative)",
        &[
            (crate::columns::VIOLATIONS, "violations", [255, 110, 100]),
            (crate::columns::DETECTIONS, "detections", [255, 196, 61]),
            (crate::columns::PENALTIES, "penalties (apples)", [200, 200, 200]),
        ],
    ),
    ("Shield interventions", &[(crate::columns::SHIELD_INTERVENTIONS, "interventions", [120, 220, 220])]),
    ("Harm against AI inaction (apples)", &[(crate::columns::HARM, "harm", [236, 72, 236])]),
    (
        "Impact: effects blamed on the AI, per baseline",
        &[
            (crate::columns::IMPACT_NONE, "none", [200, 200, 200]),
            (crate::columns::IMPACT_NAIVE, "naive inaction", [255, 110, 100]),
            (crate::columns::IMPACT_NAIVE_SYMMETRIC, "symmetric naive", [255, 180, 90]),
            (crate::columns::IMPACT_STEPWISE, "stepwise inaction", [120, 220, 120]),
            (crate::columns::IMPACT_ITERATIVE, "iterative", [110, 170, 255]),
            (crate::columns::IMPACT_STATIONARY, "stationary iterative", [190, 140, 255]),
        ],
    ),
    ("Impact: class-whitelist mass moved", &[(crate::columns::IMPACT_CLASS, "objects", [72, 209, 204])]),
    (
        "Power used: mean KL from the default policy, per kind (nats)",
        &[
            (crate::columns::POWER_USED_AI, "AI", [236, 72, 236]),
            (crate::columns::POWER_USED_HUMAN, "humans", [110, 170, 255]),
        ],
    ),
];

fn plots(ui: &mut egui::Ui, cx: &mut PanelCx) {
    let h = &cx.state.history;
    let most = (ui.available_width() * POINTS_PER_PIXEL).max(100.0) as usize;
    // A world with no human agent has a humans' power column of zeros (metrics.csv keeps
    // it): no line for it here, where it read "humans 0 (= AI, drawn over it)".
    let humans = control::group_views(cx.sim).iter().any(|g| g.kind == Kind::Human && g.count > 0);
    let shown = |c: &str| humans || c != crate::columns::POWER_USED_HUMAN;
    for (k, (title, lines)) in PLOTS.iter().enumerate() {
        let present: Vec<_> = lines.iter().filter(|(c, _, _)| h.column(c).is_some() && shown(c)).collect();
        if present.is_empty() {
            continue;
        }
        let series: Vec<Vec<[f64; 2]>> = present.iter().map(|(col, _, _)| h.series(col, most)).collect();
        // Title, then each line's colour, name and latest value: a legend that never covers
        // the lines. A line the same as an earlier one is drawn over it and says so (six
        // impact baselines at 0 showed as one purple line).
        // (Before the first tax period ends there is no last period: the gains so far.)
        let first_period = cx.sim.core().parts.get::<crate::tax::TaxState>().is_some_and(|t| t.periods == 0);
        let title = if *title == PRINCIPAL_PLOT && first_period {
            format!("{title} (the gains so far: the first period has not ended)")
        } else {
            title.to_string()
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(title).small().strong());
            let values = same_decimals(&present.iter().map(|(col, _, _)| h.last(col)).collect::<Vec<_>>());
            for (k, ((_, name, c), value)) in present.iter().zip(values).enumerate() {
                let color = Color32::from_rgb(c[0], c[1], c[2]);
                let over: Vec<&str> = (0..k).filter(|&j| series[j] == series[k]).map(|j| present[j].1).collect();
                // (A plot of one line needs no name, unless it has others hidden: the AI's
                // power alone, the humans' line left out, read "■ 0".)
                let text = match (lines.len(), over.is_empty()) {
                    (1, _) => value,
                    (_, true) => format!("{name} {value}"),
                    // (Short: "stepwise inaction 0 (= naive inaction, none, drawn over it)" was
                    // wider than a small screen's panel, and pushed the panel wider.)
                    (_, false) => {
                        let first: Vec<&str> = over.iter().map(|o| o.split_whitespace().next().unwrap_or(o)).collect();
                        format!("{name} {value} (= {})", first.join(", "))
                    }
                };
                // Whole: an entry that does not fit starts a new line rather than breaking.
                ui.add(egui::Label::new(RichText::new(format!("■ {text}")).small().color(color)).extend());
            }
        });
        let plot = plots::small_plot(
            ("plot", k),
            if present.len() > 1 { 110.0 } else { 64.0 },
            plots::y_range(series.iter().map(Vec::as_slice)),
        )
        // At least ten ticks wide, so the time axis has labels from the first tick on
        // (a plot of one point would label only 0).
        .include_x(0.0)
        .include_x(10.0)
        .link_axis("ticks", [true, false]);
        plot.show(ui, |p| {
            for ((_, name, c), pts) in present.iter().zip(series) {
                p.line(Line::new(*name, PlotPoints::from(pts)).color(Color32::from_rgb(c[0], c[1], c[2])).width(1.5));
            }
        });
    }
    // ("1 rows, thinned to 730 points a line" at tick 0.)
    let rows = crate::plural(h.len(), "row");
    let drawn =
        if h.len() > most as u64 { format!("thinned to {most} points a line") } else { "each drawn".to_string() };
    hint(ui, &format!("{rows}, {drawn}; x is the tick."));
}

fn inspector(ui: &mut egui::Ui, cx: &mut PanelCx) {
    let selected = cx.state.control.selected;
    let Some(a) = selected.and_then(|id| control::agent_view(cx.sim, id)) else {
        hint(ui, "Click an agent on the map, or pick one by id:");
        ui.horizontal(|ui| {
            ui.add(egui::DragValue::new(&mut cx.ui.pick_id).prefix("agent "));
            if ui.button("Inspect").clicked() {
                cx.state.send(Intent::Select(Some(cx.ui.pick_id)));
            }
        });
        return;
    };
    let kind = match a.kind {
        Kind::Human => "human",
        Kind::Ai => "AI",
    };
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Agent {} · {kind}", a.id)).strong());
        let group =
            if a.group_name.is_empty() { format!("group {}", a.group) } else { format!("“{}”", a.group_name) };
        ui.label(RichText::new(group).weak());
        if ui.small_button("×").on_hover_text("deselect (Esc)").clicked() {
            cx.state.send(Intent::Select(None));
        }
    });
    let l = &a.ledger;
    // Two pairs a row in a wide panel; one in a narrow one (two did not fit, and pushed the
    // panel's width out over the map).
    let mut rows = vec![
        ("σ", format!("{:.3}", a.selfishness)),
        ("power", format!("{} nats", fmt_num(a.power))),
        ("weights", format!("own {} · commons {}", fmt_num(a.weights.0), fmt_num(a.weights.1))),
        ("cell", format!("({}, {})", a.x, a.y)),
        ("apples", format!("{}", l.picked)),
        ("wealth", fmt_num(a.wealth())),
        ("taxes paid", fmt_num(control::apples(l.tax_paid))),
        ("transfers", fmt_num(control::apples(l.transfers))),
        ("SED reward", format!("{:.3}", a.reward)),
        ("period income", fmt_num(control::apples(l.period_income))),
    ];
    if let Some(v) = a.value {
        rows.push(("value V̂", format!("{v:.3}")));
    }
    let per_row = if ui.available_width() >= 340.0 { 2 } else { 1 };
    egui::Grid::new("agent").num_columns(2 * per_row).striped(true).show(ui, |ui| {
        for (k, (name, value)) in rows.into_iter().enumerate() {
            let label = ui.label(name);
            if name == "value V̂" {
                label.on_hover_text("the learned policy's critic: expected discounted reward from here");
            }
            ui.label(value);
            if (k + 1) % per_row == 0 {
                ui.end_row();
            }
        }
    });
    ui.label(RichText::new(&a.policy).small().weak());
    let d = &a.decision;
    if cx.sim.tick() == 0 {
        // (At tick 0 nothing has been decided: it showed "stay · β 0" and zero scores.)
        ui.label(RichText::new("Last decision: none yet (agents decide from the first tick)").strong());
        return;
    }
    ui.label(
        RichText::new(format!("Last decision: {} · β {} · KL {:.3} nats", d.action.name(), fmt_num(d.beta), d.kl))
            .strong(),
    );
    let bar = (ui.available_width() - 130.0).clamp(40.0, 120.0);
    egui::Grid::new("decision").num_columns(3).striped(true).show(ui, |ui| {
        ui.label(RichText::new("action").small());
        ui.label(RichText::new("score U").small());
        ui.label(RichText::new("probability π").small());
        ui.end_row();
        for (k, act) in Action::ALL.iter().enumerate() {
            let name = if *act == d.action { RichText::new(act.name()).strong() } else { RichText::new(act.name()) };
            ui.label(name);
            ui.label(RichText::new(format!("{:+.3}", d.scores[k])).monospace());
            ui.add(egui::ProgressBar::new(d.probs[k] as f32).desired_width(bar).text(format!("{:.3}", d.probs[k])));
            ui.end_row();
        }
    });
}

fn principal(ui: &mut egui::Ui, cx: &mut PanelCx) {
    let w = cx.sim.world();
    let election = crate::sim::core(w).parts.get::<Election>();
    if let Some(p) = crate::sim::core(w).parts.get::<Principal>() {
        // Rows that wrap: a grid's cells do not, and pushed a narrow panel past its edge.
        ui.horizontal_wrapped(|ui| {
            ui.label("policy");
            ui.label(RichText::new(p.policy.name()).strong());
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("objective");
            ui.label(format!("{:?}: serves p = {}", p.objective, p_label(served_p(p.objective, election))));
        });
    }
    if let Some(tax) = crate::sim::core(w).parts.get::<TaxState>() {
        // The rates wrap (seven brackets' did not fit a narrow panel, and pushed it out over
        // the map).
        ui.horizontal_wrapped(|ui| {
            ui.label("rates now");
            for r in tax.rates() {
                ui.label(RichText::new(format!("{r:.2}")).monospace());
            }
        });
        let mut rows = vec![
            ("periods", format!("{} (every {} ticks)", tax.periods, tax.period)),
            ("last revenue", format!("{} apples", fmt_num(control::apples(tax.last_revenue)))),
        ];
        if tax.redistribute_ppm < crate::rules::tax::PPM {
            rows.push(("treasury", format!("{} apples", fmt_num(control::apples(tax.treasury)))));
        }
        for (name, value) in rows {
            ui.horizontal_wrapped(|ui| {
                ui.label(name);
                ui.label(value);
            });
        }
    }
    if let Some(e) = cx.state.history.latest.get("paa_decision") {
        paa_decision(ui, e);
    }
    if let Some(e) = cx.state.history.latest.get("shield_intervention") {
        let d = e.details();
        // A principal's action is a schedule, an agent's a move's name.
        let show = |v: &serde_json::Value| rates_text(v).unwrap_or_else(|| v.as_str().unwrap_or("?").to_string());
        ui.label(RichText::new(format!("Last shield intervention (tick {}, {})", e.tick, e.subject)).strong());
        for (label, action, q) in
            [("proposed", "proposed", "q_proposed"), ("replaced by", "replacement", "q_replacement")]
        {
            let q = fmt_num(d[q].as_f64().unwrap_or(f64::NAN));
            ui.horizontal_wrapped(|ui| {
                ui.label(label);
                ui.label(RichText::new(show(&d[action])).monospace());
                ui.label(RichText::new(format!("(est. Q {q})")).monospace());
            });
        }
    }
    if let Some(e) = election {
        // Before the first election there are no shares to show: empty bars looked like votes.
        let heading = if e.held == 0 {
            format!(
                "Election: none held yet; p = {} served until the first ({:?} rule, every {} ticks)",
                p_label(e.elected),
                e.rule,
                e.period
            )
        } else {
            format!(
                "Election: p = {} ({} held, {:?} rule, every {} ticks)",
                p_label(e.elected),
                e.held,
                e.rule,
                e.period
            )
        };
        ui.label(RichText::new(heading).strong());
        for (p, share) in e.candidates.iter().zip(&e.shares).filter(|_| e.held > 0) {
            let label = p_label(*p);
            let text = if *p == e.elected { RichText::new(label).strong() } else { RichText::new(label) };
            label_bar(ui, text, *share as f32, format!("{:.0}%", share * 100.0));
        }
    }
}

/// How wide `text` is in the body font, on one line.
fn text_width(ui: &egui::Ui, text: &str) -> f32 {
    egui::WidgetText::from(text)
        .into_galley(ui, Some(egui::TextWrapMode::Extend), f32::INFINITY, egui::TextStyle::Body)
        .size()
        .x
}

/// Sizes the next slider so that it, its value box and `label` beside it fit the panel's
/// width (a slider is at least 40 points); `false` when even that does not fit, and the label
/// goes on a line of its own above. (A slider of fixed width with a long label, "margin
/// (apples of est. Q)", pushed a narrow panel's contents past its edge, where they were cut.)
fn fit_slider(ui: &mut egui::Ui, label: &str) -> bool {
    let value = 56.0;
    let gaps = 2.0 * ui.spacing().item_spacing.x;
    // (The one slider without a label, a group's power, has its ∞ button beside it.)
    let beside_it = if label.is_empty() { 28.0 } else { text_width(ui, label) };
    let room = ui.available_width() - value - gaps - beside_it;
    let beside = room >= 40.0;
    let slider = if beside { room } else { ui.available_width() - value - gaps };
    ui.spacing_mut().slider_width = slider.clamp(40.0, 150.0);
    beside
}

/// A row of a label and a bar that fits the panel: the label takes at most 130 points (cut
/// short with …, whole on hover), the bar the rest, at most 150. (Fixed widths, 130 + 150,
/// were wider than a narrow panel, and pushed it out over the map.)
fn label_bar(ui: &mut egui::Ui, text: RichText, fill: f32, bar: String) {
    let avail = ui.available_width();
    let label = (avail * 0.45).min(130.0);
    let width = (avail - label - ui.spacing().item_spacing.x).clamp(40.0, 150.0);
    ui.horizontal(|ui| {
        let full = text.text().to_string();
        ui.add_sized([label, 16.0], egui::Label::new(text).truncate()).on_hover_text(full);
        ui.add(egui::ProgressBar::new(fill).desired_width(width).text(bar));
    });
}

/// The last `paa_decision`: every candidate schedule with its estimated Q as a bar, the chosen one
/// marked, and what the planner's budget guaranteed.
fn paa_decision(ui: &mut egui::Ui, e: &crate::metrics::SimEvent) {
    let d = e.details();
    let num = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    let q: Vec<f64> = d["q"].as_array().map(|a| a.iter().map(num).collect()).unwrap_or_default();
    let candidates: Vec<&serde_json::Value> =
        d["candidates"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
    ui.label(RichText::new(format!("Last PAA decision (tick {})", e.tick)).strong())
        .on_hover_text("est. Q (Q̂): the planner's estimate of the discounted welfare of the served p over the coming tax periods, if this schedule is set now");
    // Bars from zero (from the lowest when it is below zero), so their lengths compare as the
    // values do: drawn from the lowest, 1.67 was a stub beside 2.13.
    let (lo, hi) = q.iter().fold((0.0f64, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    for (c, &v) in candidates.iter().zip(&q) {
        let rates = rates_text(c).unwrap_or_default();
        let chosen = *c == &d["chosen"];
        let text = if chosen {
            RichText::new(format!("▶ {rates}")).monospace().strong()
        } else {
            RichText::new(format!("  {rates}")).monospace()
        };
        let fill = if hi > lo { ((v - lo) / (hi - lo)) as f32 } else { 1.0 };
        label_bar(ui, text, fill, format!("est. Q {}", fmt_num(v)));
    }
    let g = &d["guarantee"];
    let mut line = format!("width {} · depth {} · ", g["width"], g["depth"]);
    match g["epsilon"].as_f64() {
        Some(eps) => line += &format!("ε = {} with probability {}", fmt_num(eps), fmt_num(1.0 - num(&g["delta"]))),
        None => line += "no useful ε at this width",
    }
    if let (Some(limit), Some(took)) = (g["time_limit_s"].as_f64(), g["elapsed_s"].as_f64()) {
        line += &format!(" · {:.0} ms of {} s", took * 1000.0, fmt_num(limit));
    }
    ui.label(RichText::new(line).small());
    // The model's error as a divergence, and the whole guarantee (issue 15).
    if let Some(k) = g["kappa"].as_f64() {
        let mut m = format!("model error κ = {} nats", fmt_num(k));
        if let Some(b) = g["kappa_bound"].as_f64() {
            m += &format!(" (bound {})", fmt_num(b));
        }
        if let Some(t) = g["model_term"].as_f64() {
            m += &format!(" · model term {}", fmt_num(t));
        }
        match g["epsilon_total"].as_f64() {
            Some(t) => m += &format!(" · total ε = {}", fmt_num(t)),
            None => m += " · no total guarantee",
        }
        ui.label(RichText::new(m).small())
            .on_hover_text("κ = KL(world ‖ model) over one tax period; model term R_max·√(κ/2)/(1−γ)²; total = sampling ε + model term");
    }
    // What a guarantee would cost (as `polity plan-budget` says).
    let (r_max, gamma, delta, k) = (num(&g["r_max"]), num(&g["gamma"]), num(&g["delta"]), g["actions"].as_u64());
    if let Some(k) = k.filter(|_| r_max > 0.0 && gamma > 0.0 && gamma < 1.0 && delta > 0.0) {
        use crate::rules::sparse_sampling::{required, tree_log10};
        let eps = r_max / (1.0 - gamma) / 10.0;
        let (h, c) = required(eps, delta, gamma, r_max, k as usize);
        ui.label(
            RichText::new(format!(
                "ε = {} (a tenth of V_max) would need depth {h}, width {:.2e}: 10^{:.0} transitions a decision",
                fmt_num(eps),
                c.ceil(),
                tree_log10(c.ceil(), h, k as usize)
            ))
            .small()
            .weak(),
        );
    }
}

/// A tax schedule from an event (a JSON array of rates) as `0.30 0.20 0.20`; `None` if `v`
/// is not an array.
fn rates_text(v: &serde_json::Value) -> Option<String> {
    let rates = v.as_array()?;
    Some(rates.iter().map(|r| format!("{:.2}", r.as_f64().unwrap_or(f64::NAN))).collect::<Vec<_>>().join(" "))
}

fn events(ui: &mut egui::Ui, cx: &mut PanelCx) {
    let h = &cx.state.history;
    let kinds = h.event_kinds();
    ui.horizontal_wrapped(|ui| {
        let selected = cx.ui.event_filter.unwrap_or("every kind");
        egui::ComboBox::from_id_salt("event-kind").selected_text(selected).show_ui(ui, |ui| {
            ui.selectable_value(&mut cx.ui.event_filter, None, "every kind");
            for k in &kinds {
                ui.selectable_value(&mut cx.ui.event_filter, Some(*k), *k);
            }
        });
        ui.label(RichText::new(format!("{} seen, last {} kept", h.events_seen, h.events.len())).small().weak());
    });
    let filter = cx.ui.event_filter;
    let shown: Vec<_> = h.events.iter().rev().filter(|e| filter.is_none_or(|k| e.kind() == k)).take(300).collect();
    if shown.is_empty() {
        hint(ui, "No events yet.");
    }
    egui::ScrollArea::vertical().id_salt("events").max_height(220.0).auto_shrink([false, true]).show(ui, |ui| {
        for e in shown {
            // In words, the details themselves under the pointer.
            let text = format!("{:>6} {} {}: {}", e.tick, e.kind(), e.subject, e.event.describe());
            let details = serde_json::to_string_pretty(&e.details()).unwrap_or_default();
            ui.add(egui::Label::new(RichText::new(text).monospace().small()).truncate()).on_hover_text(details);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_legend_gives_its_values_the_same_decimals() {
        let v = |x: &[Option<f64>]| same_decimals(x);
        assert_eq!(v(&[Some(14.0), Some(31.85), Some(35.5371)]), ["14.000", "31.850", "35.537"]);
        assert_eq!(v(&[Some(14.0), Some(31.0)]), ["14", "31"]);
        assert_eq!(v(&[Some(0.5), None, Some(f64::INFINITY), Some(-0.0001)]), ["0.5", "", "∞", "0.0"]);
        assert_eq!(v(&[Some(-2.25), Some(3.0)]), ["-2.25", "3.00"]);
    }

    #[test]
    fn a_window_recordings_palette_holds_every_line_colour_exactly() {
        // The fixed palette turned the welfare minimum's red into nearly the Gini's yellow.
        let mut p = crate::record::encode::GifPalette::with(&line_colors());
        let exact = |p: &mut crate::record::encode::GifPalette, c: [u8; 3]| {
            let i = p.index([c[0], c[1], c[2], 255]) as usize;
            p.rgb()[i * 3..i * 3 + 3] == c
        };
        for c in line_colors() {
            assert!(exact(&mut p, c), "{c:?}");
        }
        assert!(line_colors().contains(&[255, 110, 100]) && line_colors().contains(&[255, 196, 61]));
        // The world's colours stay exact too, and the plain palette had not held the lines.
        assert!(exact(
            &mut p,
            [crate::paint::palette::APPLE[0], crate::paint::palette::APPLE[1], crate::paint::palette::APPLE[2]]
        ));
        let mut plain = crate::record::encode::GifPalette::new();
        assert!(!exact(&mut plain, [255, 110, 100]));
    }

    /// What a live slider does on a frame nobody touches it: the value after, and whether
    /// the slider said it changed.
    fn untouched(value: f64, range: std::ops::RangeInclusive<f64>, step: f64) -> (f64, bool) {
        let ctx = egui::Context::default();
        let mut seen = (f64::NAN, true);
        for _ in 0..2 {
            let output = ctx.run_ui(egui::RawInput::default(), |ui| {
                let mut v = value;
                let r = ui.add(slider(&mut v, range.clone(), step));
                seen = (v, r.changed());
            });
            output.drop_without_applying_deltas();
        }
        seen
    }

    #[test]
    fn a_live_slider_changes_nothing_until_the_user_moves_it() {
        // A mixed group's power shown at its midpoint, a tax rate between steps, a power above
        // the slider's range, and a value on a step.
        for (value, range, step) in [
            (0.999_97, 0.0..=5.0, 0.05),
            (0.125, 0.0..=1.0, 0.01),
            (1.0 / 3.0, 0.0..=1.0, 0.01),
            (7.5, 0.0..=5.0, 0.05),
            (1.0, 0.0..=5.0, 0.05),
        ] {
            assert_eq!(untouched(value, range.clone(), step), (value, false), "{value} in {range:?} by {step}");
        }
    }
}
