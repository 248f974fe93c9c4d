//! The world view: a sprite showing the world painted on the CPU by [`crate::paint`] into a
//! nearest-sampled texture, and the camera over it — fitted to the space between the panels,
//! panned by dragging, zoomed by the wheel towards the cursor; a click selects the agent on
//! the cell under the cursor.

use bevy::asset::RenderAssetUsages;
use bevy::image::ImageSampler;
use bevy::input::mouse::{MouseScrollUnit, MouseWheel};
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::window::{PrimaryWindow, WindowResized};
use bevy_egui::input::EguiWantsInput;

use super::art::AppArt;
use super::steer::SteerSystems;
use super::{AppState, SimHost};
use crate::control::{self, Intent};
use crate::paint::{self, Canvas};

/// The longer side of the world texture, in pixels, about.
pub const TEXTURE_TARGET: u32 = 900;

/// How long an event flashes, seconds.
pub const FLASH_SECONDS: f64 = 1.0;

/// Shows the world and moves the camera over it.
pub struct WorldViewPlugin;

impl Plugin for WorldViewPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Flashes>()
            .init_resource::<MapArea>()
            .add_systems(Startup, setup)
            .add_systems(Update, (repaint, pointer, fit_camera).chain().after(SteerSystems));
    }
}

/// Event locations flashing on the map: (x, y, when it happened in app seconds).
#[derive(Resource, Default)]
pub struct Flashes(Vec<(u32, u32, f64)>);

impl Flashes {
    /// The most flashes kept at once (fast-forward can lose many patches in a frame).
    const MAX: usize = 400;
    /// Starts a flash at a cell.
    pub fn add(&mut self, x: u32, y: u32, now: f64) {
        if self.0.len() < Self::MAX {
            self.0.push((x, y, now));
        }
    }
    /// Drops every flash.
    pub fn clear(&mut self) {
        self.0.clear();
    }
    fn active(&mut self, now: f64) -> Vec<paint::Flash> {
        self.0.retain(|f| now - f.2 < FLASH_SECONDS);
        self.0.iter().map(|&(x, y, t)| paint::Flash { x, y, age: (now - t) / FLASH_SECONDS }).collect()
    }
}

/// The part of the window not covered by panels, in logical pixels from the top left (set by
/// the UI each frame).
#[derive(Resource, Default, Clone, Copy, Debug)]
pub struct MapArea(pub Option<Rect>);

/// Marks the camera that looks at the world.
#[derive(Component)]
pub struct WorldCamera;

/// The world texture and the state of the camera.
#[derive(Resource)]
pub struct WorldView {
    image: Handle<Image>,
    sprite: Entity,
    /// Texture pixels per map cell.
    pub cell: u32,
    /// The texture's size in pixels (also the sprite's size in world units).
    pub size: UVec2,
    painted: Option<(u64, u64, Option<u32>)>,
    flashing: bool,
    /// Frames in which the texture was repainted.
    pub repaints: u64,
    /// Keep the map fitted to the free space (until the user pans or zooms).
    pub auto_fit: bool,
    /// Refit on the next frame.
    pub fit_requested: bool,
    fitted_for: Option<(Vec2, Rect, UVec2)>,
    drag: Option<Drag>,
    /// The cell under the cursor.
    pub hover: Option<(u32, u32)>,
}

#[derive(Clone, Copy)]
struct Drag {
    start: Vec2,
    last: Vec2,
    moved: bool,
}

fn setup(mut commands: Commands, mut images: ResMut<Assets<Image>>) {
    // No multisampling: the map is a nearest-sampled texture on an axis-aligned quad, and egui
    // anti-aliases its own shapes, so 4× MSAA (Bevy's default) would only quadruple the
    // fragment work — which under a software renderer is most of a frame.
    commands.spawn((Camera2d, bevy::render::view::Msaa::Off, WorldCamera));
    let image = images.add(texture(&Canvas::new(1, 1, paint::palette::FLOOR)));
    let sprite = commands.spawn(Sprite::from_image(image.clone())).id();
    commands.insert_resource(WorldView {
        image,
        sprite,
        cell: 1,
        size: UVec2::ONE,
        painted: None,
        flashing: false,
        repaints: 0,
        auto_fit: true,
        fit_requested: false,
        fitted_for: None,
        drag: None,
        hover: None,
    });
}

fn texture(c: &Canvas) -> Image {
    let mut image = Image::new(
        Extent3d { width: c.width, height: c.height, depth_or_array_layers: 1 },
        TextureDimension::D2,
        c.rgba.clone(),
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::MAIN_WORLD | RenderAssetUsages::RENDER_WORLD,
    );
    image.sampler = ImageSampler::nearest();
    image
}

/// Repaints the texture when the tick, the world, the selection or a flash changed.
fn repaint(
    mut host: NonSendMut<SimHost>,
    state: Res<AppState>,
    mut view: ResMut<WorldView>,
    mut flashes: ResMut<Flashes>,
    mut images: ResMut<Assets<Image>>,
    mut sprites: Query<&mut Sprite>,
    time: Res<Time>,
    art: Option<Res<AppArt>>,
) {
    // Nothing is painted until the art has loaded (`super::art`).
    let Some(art) = art else { return };
    let sim = &mut host.0;
    let key = (state.generation, sim.tick(), state.control.selected);
    let active = flashes.active(time.elapsed_secs_f64());
    // Repaint when something changed, while flashes fade, once more after the last one, and
    // when the art changed.
    if view.painted == Some(key) && active.is_empty() && !view.flashing && !art.is_changed() {
        return;
    }
    let (w, h) = {
        let g = sim.grid();
        (g.width(), g.height())
    };
    let cell = paint::cell_pixels(w, h, TEXTURE_TARGET);
    let mut canvas = paint::paint(sim.world_mut(), cell, &active, &art.world);
    if let Some(a) = state.control.selected.and_then(|id| control::agent_view(sim, id)) {
        let (cx, cy) = ((a.x as f64 + 0.5) * cell as f64, (a.y as f64 + 0.5) * cell as f64);
        let r = (cell as f64 * 0.8).max(5.0);
        canvas.ring(cx, cy, r, (cell as f64 * 0.14).max(1.5), art.ui.selected);
    }
    let size = UVec2::new(canvas.width, canvas.height);
    if let Some(mut image) = images.get_mut(&view.image) {
        if size == view.size {
            image.data = Some(canvas.rgba);
        } else {
            *image = texture(&canvas);
        }
    }
    if let Ok(mut sprite) = sprites.get_mut(view.sprite) {
        let want = Some(size.as_vec2());
        if sprite.custom_size != want {
            sprite.custom_size = want;
        }
    }
    if size != view.size {
        view.auto_fit = true;
    }
    view.cell = cell;
    view.size = size;
    view.painted = Some(key);
    view.flashing = !active.is_empty();
    view.repaints += 1;
}

/// Screen (logical, y down) to world coordinates for a camera at `cam` with scale `s`.
fn to_world(p: Vec2, window: Vec2, cam: Vec3, s: f32) -> Vec2 {
    Vec2::new(cam.x + (p.x - window.x / 2.0) * s, cam.y - (p.y - window.y / 2.0) * s)
}

fn scale_of(p: &Projection) -> f32 {
    match p {
        Projection::Orthographic(o) => o.scale,
        _ => 1.0,
    }
}

fn set_scale(p: &mut Projection, s: f32) {
    if let Projection::Orthographic(o) = p {
        o.scale = s;
    }
}

/// Fits the map into the free space on start, when another scenario opens, when the window
/// or the free space changes (while the user has not moved the camera), and when asked.
fn fit_camera(
    mut view: ResMut<WorldView>,
    area: Res<MapArea>,
    window: Single<&Window, With<PrimaryWindow>>,
    mut resized: MessageReader<WindowResized>,
    mut camera: Single<(&mut Transform, &mut Projection), With<WorldCamera>>,
    state: Res<AppState>,
    mut shown: Local<Option<crate::control::Source>>,
) {
    if resized.read().count() > 0 {
        view.auto_fit = true;
    }
    // Another scenario: show all of it.
    if shown.as_ref() != Some(&state.control.source) {
        *shown = Some(state.control.source.clone());
        view.fit_requested = true;
    }
    let Some(area) = area.0 else { return };
    let win = Vec2::new(window.width(), window.height());
    let key = (win, area, view.size);
    if !(view.fit_requested || (view.auto_fit && view.fitted_for != Some(key))) {
        return;
    }
    let margin = 12.0;
    let (aw, ah) = ((area.width() - 2.0 * margin).max(40.0), (area.height() - 2.0 * margin).max(40.0));
    let map = view.size.as_vec2();
    let s = (map.x / aw).max(map.y / ah).max(1e-3);
    let c = area.center();
    let (tf, proj) = &mut *camera;
    set_scale(proj, s);
    tf.translation.x = -(c.x - win.x / 2.0) * s;
    tf.translation.y = (c.y - win.y / 2.0) * s;
    view.fitted_for = Some(key);
    view.fit_requested = false;
    view.auto_fit = true;
}

/// Pans with a drag (any button), zooms with the wheel towards the cursor, selects with a click.
#[allow(clippy::too_many_arguments)]
fn pointer(
    buttons: Res<ButtonInput<MouseButton>>,
    mut wheel: MessageReader<MouseWheel>,
    window: Single<&Window, With<PrimaryWindow>>,
    area: Res<MapArea>,
    wants: Option<Res<EguiWantsInput>>,
    mut view: ResMut<WorldView>,
    mut camera: Single<(&mut Transform, &mut Projection), With<WorldCamera>>,
    host: NonSend<SimHost>,
    mut state: ResMut<AppState>,
) {
    let win = Vec2::new(window.width(), window.height());
    let cursor = window.cursor_position();
    let egui_busy = wants.is_some_and(|w| w.is_using_pointer() || w.is_popup_open());
    let over_map = !egui_busy && cursor.zip(area.0).is_some_and(|(c, a)| a.contains(c));
    let (tf, proj) = &mut *camera;
    let s = scale_of(proj);

    // Which cell is under the cursor.
    view.hover = cursor.filter(|_| over_map).and_then(|c| {
        let w = to_world(c, win, tf.translation, s);
        let (px, py) = (w.x + view.size.x as f32 / 2.0, view.size.y as f32 / 2.0 - w.y);
        let cell = view.cell.max(1) as f32;
        (px >= 0.0 && py >= 0.0 && px < view.size.x as f32 && py < view.size.y as f32)
            .then(|| ((px / cell) as u32, (py / cell) as u32))
    });

    // Zoom towards the cursor.
    let scroll: f32 = wheel
        .read()
        .map(|e| match e.unit {
            MouseScrollUnit::Line => e.y,
            MouseScrollUnit::Pixel => e.y / 40.0,
        })
        .sum();
    if over_map && scroll != 0.0 {
        let c = cursor.expect("over the map");
        let before = to_world(c, win, tf.translation, s);
        let s2 = (s * 1.15f32.powf(-scroll)).clamp(0.01, 64.0);
        set_scale(proj, s2);
        tf.translation.x = before.x - (c.x - win.x / 2.0) * s2;
        tf.translation.y = before.y + (c.y - win.y / 2.0) * s2;
        view.auto_fit = false;
    }

    // Drag to pan; a press and release without moving is a click.
    let any = [MouseButton::Left, MouseButton::Middle, MouseButton::Right];
    if over_map && buttons.any_just_pressed(any) {
        let c = cursor.expect("over the map");
        view.drag = Some(Drag { start: c, last: c, moved: false });
    }
    if let (Some(mut d), Some(c)) = (view.drag, cursor)
        && buttons.any_pressed(any)
    {
        if c.distance(d.start) > 4.0 {
            d.moved = true;
        }
        if d.moved {
            let delta = c - d.last;
            let s = scale_of(proj);
            tf.translation.x -= delta.x * s;
            tf.translation.y += delta.y * s;
            view.auto_fit = false;
        }
        d.last = c;
        view.drag = Some(d);
    }
    if buttons.any_just_released(any)
        && let Some(d) = view.drag.take()
        && !d.moved
        && buttons.just_released(MouseButton::Left)
    {
        let picked = view.hover.and_then(|(x, y)| control::agent_at(&host.0, x, y));
        if picked != state.control.selected {
            state.send(Intent::Select(picked));
        }
    }
}
