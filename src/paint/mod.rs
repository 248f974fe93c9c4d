//! Painting the world into an RGBA image on the CPU: terrain, apples, lost patches, belts,
//! vases and boxes, agents coloured by selfishness (AI agents distinct) and flashes where
//! events happen; and the canvas primitives everything else draws with ([`fill`], [`line`],
//! the bitmap [`font`]), shared by the recorder's frames and the sweep report's plots.
//!
//! The desktop app shows this image as a texture, and the recorder writes the same pixels
//! into video frames, so a video looks exactly like the app's world view, on any machine,
//! with or without a GPU.

pub mod art;
pub mod chart;
pub mod font;
pub mod icon;
pub mod sprite;
pub mod theme;

use bevy::prelude::*;

use crate::grid::{Grid, Terrain};
pub use art::WorldArt;

/// An RGBA8 image, row-major, top row first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Canvas {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width × height × 4` bytes.
    pub rgba: Vec<u8>,
}

impl Canvas {
    /// A canvas filled with `color`.
    pub fn new(width: u32, height: u32, color: [u8; 4]) -> Canvas {
        let mut rgba = Vec::with_capacity((width * height * 4) as usize);
        for _ in 0..width * height {
            rgba.extend_from_slice(&color);
        }
        Canvas { width, height, rgba }
    }
    /// The colour at `(x, y)`.
    pub fn get(&self, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * self.width + x) * 4) as usize;
        [self.rgba[i], self.rgba[i + 1], self.rgba[i + 2], self.rgba[i + 3]]
    }
    /// Sets `(x, y)` if it lies on the canvas.
    #[inline]
    pub fn put(&mut self, x: i64, y: i64, color: [u8; 4]) {
        if x >= 0 && y >= 0 && (x as u32) < self.width && (y as u32) < self.height {
            let i = ((y as u32 * self.width + x as u32) * 4) as usize;
            self.rgba[i..i + 4].copy_from_slice(&color);
        }
    }
    /// Fills a rectangle.
    pub fn fill(&mut self, x0: i64, y0: i64, w: i64, h: i64, color: [u8; 4]) {
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                self.put(x, y, color);
            }
        }
    }
    /// Fills a disc of radius `r` (pixels) centred at `(cx, cy)` (pixel units, may be fractional).
    pub fn disc(&mut self, cx: f64, cy: f64, r: f64, color: [u8; 4]) {
        for y in (cy - r).floor() as i64..=(cy + r).ceil() as i64 {
            for x in (cx - r).floor() as i64..=(cx + r).ceil() as i64 {
                let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
                if dx * dx + dy * dy <= r * r {
                    self.put(x, y, color);
                }
            }
        }
    }
    /// Draws a ring (annulus) of outer radius `r` and thickness `t`.
    pub fn ring(&mut self, cx: f64, cy: f64, r: f64, t: f64, color: [u8; 4]) {
        for y in (cy - r).floor() as i64..=(cy + r).ceil() as i64 {
            for x in (cx - r).floor() as i64..=(cx + r).ceil() as i64 {
                let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
                let d2 = dx * dx + dy * dy;
                if d2 <= r * r && d2 >= (r - t) * (r - t) {
                    self.put(x, y, color);
                }
            }
        }
    }
}

/// The colours of the world embedded in the binary ([`art::EMBEDDED`], from
/// `assets/palette.txt`). One palette serves the app, the recorder and the tests.
pub mod palette {
    use super::art::EMBEDDED;

    /// Walkable floor.
    pub const FLOOR: [u8; 4] = EMBEDDED.colors.floor;
    /// Walls.
    pub const WALL: [u8; 4] = EMBEDDED.colors.wall;
    /// Grass where an apple may regrow.
    pub const GRASS: [u8; 4] = EMBEDDED.colors.grass;
    /// Grass of a patch that is lost for good.
    pub const LOST: [u8; 4] = EMBEDDED.colors.lost;
    /// An apple.
    pub const APPLE: [u8; 4] = EMBEDDED.colors.apple;
    /// A human of selfishness 0.
    pub const HUMAN_SPARING: [u8; 4] = EMBEDDED.colors.human_sparing;
    /// A human of selfishness 1.
    pub const HUMAN_SELFISH: [u8; 4] = EMBEDDED.colors.human_selfish;
    /// An AI agent.
    pub const AI: [u8; 4] = EMBEDDED.colors.ai;
    /// An event flash.
    pub const FLASH: [u8; 4] = EMBEDDED.colors.flash;
    /// A conveyor belt cell.
    pub const BELT: [u8; 4] = EMBEDDED.colors.belt;
    /// The chevrons showing which way a belt runs.
    pub const BELT_MARK: [u8; 4] = EMBEDDED.colors.belt_mark;
    /// A vase.
    pub const VASE: [u8; 4] = EMBEDDED.colors.vase;
    /// A box.
    pub const BOX: [u8; 4] = EMBEDDED.colors.boxed;
    /// A box's rim.
    pub const BOX_RIM: [u8; 4] = EMBEDDED.colors.box_rim;
}

/// A human's colour in the embedded palette: from [`palette::HUMAN_SPARING`] at σ = 0 to
/// [`palette::HUMAN_SELFISH`] at σ = 1.
pub fn human_color(sigma: f64) -> [u8; 4] {
    art::EMBEDDED.colors.human(sigma)
}

/// Something to flash on the map: a cell and how far through its flash it is (0 new, 1 gone).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flash {
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
    /// 0 when it happened, rising to 1 when the flash ends.
    pub age: f64,
}

/// Pixels per cell that fit a `width × height` map into about `target` pixels on its longer
/// side (at least 1, at most 64).
pub fn cell_pixels(width: u32, height: u32, target: u32) -> u32 {
    (target / width.max(height).max(1)).clamp(1, 64)
}

/// What a world's map shows, so that its legend lists that and nothing else (a world without
/// AI agents lists none; one with vases shows what a broken vase looks like).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Legend {
    /// Human agents (coloured by selfishness).
    pub humans: bool,
    /// AI agents.
    pub ai: bool,
    /// Apples and patches (and lost patches).
    pub apples: bool,
    /// Vases (and their shards once broken).
    pub vases: bool,
    /// Boxes.
    pub boxes: bool,
    /// Belts.
    pub belts: bool,
}

impl Legend {
    /// What `m`'s map holds.
    pub fn of(m: &crate::model::WorldModel) -> Legend {
        use crate::objects::ObjectKind;
        let objects = &m.grid.objects;
        let kind = |k: ObjectKind| objects.list().iter().any(|o| o.kind == k);
        Legend {
            humans: m.agents.iter().any(|a| !a.ai),
            ai: m.agents.iter().any(|a| a.ai),
            apples: m.grid.grass_cells() > 0,
            vases: kind(ObjectKind::Vase),
            boxes: kind(ObjectKind::Box),
            belts: objects.has_belts(),
        }
    }
}

/// Paints the simulation world into a canvas of `cell` pixels per map cell, with `art`
/// ([`art::EMBEDDED`] headless; what the asset server loaded in the app).
pub fn paint(world: &mut World, cell: u32, flashes: &[Flash], art: &WorldArt) -> Canvas {
    let core = crate::sim::core(world);
    let grid = &core.grid;
    let (colors, sprites) = (&art.colors, &art.sprites);
    let (w, h) = (grid.width(), grid.height());
    let mut c = Canvas::new(w * cell, h * cell, colors.floor);
    let cs = cell as i64;
    for y in 0..h {
        for x in 0..w {
            let i = grid.index(x, y);
            let color = match grid.terrain(i) {
                Terrain::Wall => colors.wall,
                Terrain::Floor => continue,
                Terrain::Grass if grid.patches_alive_of(i) => colors.grass,
                Terrain::Grass => colors.lost,
            };
            c.fill(x as i64 * cs, y as i64 * cs, cs, cs, color);
            if grid.has_apple(i) {
                let at = (x as i64 * cs, y as i64 * cs);
                if cell <= 3 {
                    c.fill(at.0, at.1, cs, cs, colors.apple);
                } else {
                    sprite::draw(&mut c, &sprites.apple, at, cs, colors.apple, colors.lost);
                }
            }
        }
    }
    paint_objects(&mut c, grid, cell, art);
    for (x, y, sigma, ai) in core.agents.iter().map(|a| (a.pos.x, a.pos.y, a.sigma, a.ai)) {
        let (body, mask) = if ai { (colors.ai, &sprites.ai) } else { (colors.human(sigma), &sprites.human) };
        let at = (x as i64 * cs, y as i64 * cs);
        if cell <= 3 {
            c.fill(at.0, at.1, cs, cs, body);
        } else {
            sprite::draw(&mut c, mask, at, cs, body, sprite::shade(body));
        }
    }
    for f in flashes {
        let (cx, cy) = ((f.x as f64 + 0.5) * cell as f64, (f.y as f64 + 0.5) * cell as f64);
        let r = cell as f64 * (0.6 + 1.2 * f.age.clamp(0.0, 1.0));
        c.ring(cx, cy, r, (cell as f64 * 0.12).max(1.0), colors.flash);
    }
    c
}

/// Belts (with chevrons pointing downstream), vases and boxes ([`sprite`]s); a broken vase's
/// shards where it broke.
fn paint_objects(c: &mut Canvas, grid: &Grid, cell: u32, art: &WorldArt) {
    let objects = &grid.objects;
    if objects.is_empty() && !objects.has_belts() {
        return;
    }
    let (colors, sprites) = (&art.colors, &art.sprites);
    let cs = cell as i64;
    let f = cell as f64;
    if objects.has_belts() {
        for y in 0..grid.height() {
            for x in 0..grid.width() {
                let Some(d) = objects.belt(grid.index(x, y)) else { continue };
                let (x0, y0) = (x as i64 * cs, y as i64 * cs);
                c.fill(x0, y0, cs, cs, colors.belt);
                if cell < 6 {
                    continue;
                }
                // A chevron: the points (u, v) with |v| ≤ u-band, drawn along the direction.
                let (dx, dy) = d.delta();
                for py in 0..cs {
                    for px in 0..cs {
                        let (u, v) = ((px as f64 + 0.5) / f - 0.5, (py as f64 + 0.5) / f - 0.5);
                        // Along the belt `a`, across it `b`.
                        let (a, b) = (u * dx as f64 + v * dy as f64, (u * dy as f64 - v * dx as f64).abs());
                        let t = a + b;
                        if (0.05..0.22).contains(&t) && b < 0.3 {
                            c.put(x0 + px, y0 + py, colors.belt_mark);
                        }
                    }
                }
            }
        }
    }
    // A broken vase lies in shards where it broke (under anything that comes there later).
    for o in objects.list().iter().filter(|o| o.broken) {
        shards(c, o.x as i64 * cs, o.y as i64 * cs, cs, colors.vase);
    }
    for o in objects.list().iter().filter(|o| !o.broken) {
        let (x0, y0) = (o.x as i64 * cs, o.y as i64 * cs);
        let color = match o.kind {
            crate::objects::ObjectKind::Vase => colors.vase,
            crate::objects::ObjectKind::Box => colors.boxed,
        };
        if cell <= 3 {
            c.fill(x0, y0, cs, cs, color);
            continue;
        }
        match o.kind {
            crate::objects::ObjectKind::Vase => {
                sprite::draw(c, &sprites.vase, (x0, y0), cs, color, sprite::shade(color))
            }
            crate::objects::ObjectKind::Box => sprite::draw(c, &sprites.boxed, (x0, y0), cs, color, colors.box_rim),
        }
    }
}

/// Where a broken vase's three shards lie in its cell, as fractions of the cell (the map and
/// the app's legend draw them there).
pub const SHARDS: [(f64, f64); 3] = [(0.15, 0.55), (0.5, 0.7), (0.6, 0.3)];

/// A broken vase's shards in the `size`-pixel cell at `(x, y)`: three fragments of its colour
/// at [`SHARDS`] (one pixel's worth at least).
pub fn shards(c: &mut Canvas, x: i64, y: i64, size: i64, color: [u8; 4]) {
    let piece = (size / 5).max(1);
    for (fx, fy) in SHARDS {
        let (px, py) = (x + (fx * size as f64) as i64, y + (fy * size as f64) as i64);
        fill(c, px, py, piece + piece / 2, piece, color);
    }
}

// --- canvas primitives, shared by the painter, the recorder and sweep plots ---------------

/// Fills a rectangle, clipped to the canvas.
pub fn fill(c: &mut Canvas, x: i64, y: i64, w: i64, h: i64, color: [u8; 4]) {
    let (x0, y0) = (x.max(0), y.max(0));
    let (x1, y1) = ((x + w).min(c.width as i64), (y + h).min(c.height as i64));
    if x0 >= x1 || y0 >= y1 {
        return;
    }
    let stride = c.width as usize * 4;
    for row in y0..y1 {
        let start = row as usize * stride + x0 as usize * 4;
        let end = row as usize * stride + x1 as usize * 4;
        for px in c.rgba[start..end].chunks_exact_mut(4) {
            px.copy_from_slice(&color);
        }
    }
}

/// Draws a line `t` pixels thick from `(x0, y0)` to `(x1, y1)` (Bresenham, square pen).
pub fn line(c: &mut Canvas, (x0, y0): (i64, i64), (x1, y1): (i64, i64), t: i64, color: [u8; 4]) {
    let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
    let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
    let (mut x, mut y, mut err) = (x0, y0, dx + dy);
    loop {
        fill(c, x - t / 2, y - t / 2, t, t, color);
        if x == x1 && y == y1 {
            break;
        }
        let e2 = 2 * err;
        if e2 >= dy {
            err += dy;
            x += sx;
        }
        if e2 <= dx {
            err += dx;
            y += sy;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_colours_run_from_sparing_to_selfish() {
        assert_eq!(human_color(0.0), palette::HUMAN_SPARING);
        assert_eq!(human_color(1.0), palette::HUMAN_SELFISH);
        assert_eq!(human_color(2.0), palette::HUMAN_SELFISH);
    }

    #[test]
    fn cell_pixels_fit_the_map() {
        assert_eq!(cell_pixels(24, 18, 720), 30);
        assert_eq!(cell_pixels(1000, 1000, 720), 1);
        // A small world is drawn large (at 32 pixels a cell, a 7×5 room filled a tenth of a frame).
        assert_eq!(cell_pixels(4, 3, 720), 64);
    }
}
