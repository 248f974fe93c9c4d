//! Composing a video frame: the layout of one or two panels (a header with the scenario's
//! name and tick, the world view scaled to fit, the overlay's numbers and live plots), and
//! the drawing primitives they need.

use crate::paint::Canvas;
use crate::paint::{fill, font, line};

/// The overlay's colours, from `assets/palette.txt` (the world's are [`crate::paint::palette`]).
/// The GIF encoder's fixed palette holds all of these.
pub mod colors {
    use crate::paint::theme::color;

    /// Around the world view (letterbox).
    pub const FRAME_BG: [u8; 4] = color("overlay.frame_bg");
    /// Behind the header and the overlay's numbers.
    pub const PANEL_BG: [u8; 4] = color("overlay.panel_bg");
    /// Behind a plot.
    pub const PLOT_BG: [u8; 4] = color("overlay.plot_bg");
    /// Plot frames and the divider between compared panels.
    pub const RULE: [u8; 4] = color("overlay.rule");
    /// Values.
    pub const TEXT: [u8; 4] = color("overlay.text");
    /// Labels.
    pub const DIM: [u8; 4] = color("overlay.dim");
    /// The scenario's name.
    pub const TITLE: [u8; 4] = color("overlay.title");
    /// The welfare plot.
    pub const WELFARE: [u8; 4] = color("overlay.welfare");
    /// The apples plot.
    pub const APPLES: [u8; 4] = crate::paint::palette::APPLE;
    /// Every overlay colour.
    pub const ALL: [[u8; 4]; 8] = [FRAME_BG, PANEL_BG, PLOT_BG, RULE, TEXT, DIM, TITLE, WELFARE];
}

/// A rectangle in frame pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rect {
    /// Left.
    pub x: i64,
    /// Top.
    pub y: i64,
    /// Width.
    pub w: i64,
    /// Height.
    pub h: i64,
}

impl Rect {
    fn new(x: i64, y: i64, w: i64, h: i64) -> Rect {
        Rect { x, y, w: w.max(0), h: h.max(0) }
    }
}

fn fill_rect(c: &mut Canvas, r: Rect, color: [u8; 4]) {
    fill(c, r.x, r.y, r.w, r.h, color);
}

/// Copies `src` into `area` of `dst`, centred; a source larger than the area is scaled down
/// to fit (nearest neighbour, aspect kept). Returns where it landed.
pub fn blit_fit(dst: &mut Canvas, src: &Canvas, area: Rect) -> Rect {
    let (sw, sh) = (src.width as i64, src.height as i64);
    let (w, h) = if sw <= area.w && sh <= area.h {
        (sw, sh)
    } else if sw * area.h > sh * area.w {
        (area.w, (sh * area.w / sw).max(1))
    } else {
        ((sw * area.h / sh).max(1), area.h)
    };
    let at = Rect::new(area.x + (area.w - w) / 2, area.y + (area.h - h) / 2, w, h);
    let dst_w = dst.width as i64;
    for y in 0..h {
        let (dy, sy) = (at.y + y, y * sh / h);
        if dy < 0 || dy >= dst.height as i64 {
            continue;
        }
        if w == sw {
            let (x0, x1) = (at.x.max(0), (at.x + w).min(dst_w));
            if x0 < x1 {
                let s = ((sy * sw + (x0 - at.x)) * 4) as usize;
                let d = ((dy * dst_w + x0) * 4) as usize;
                let n = ((x1 - x0) * 4) as usize;
                dst.rgba[d..d + n].copy_from_slice(&src.rgba[s..s + n]);
            }
        } else {
            for x in 0..w {
                let dx = at.x + x;
                if dx < 0 || dx >= dst_w {
                    continue;
                }
                let s = ((sy * sw + x * sw / w) * 4) as usize;
                let d = ((dy * dst_w + dx) * 4) as usize;
                dst.rgba[d..d + 4].copy_from_slice(&src.rgba[s..s + 4]);
            }
        }
    }
    at
}

/// A metric's values over the whole recording in bounded memory: at most [`History::CAP`]
/// points, evenly spaced in time; when full, every other point is dropped and points are
/// kept half as often. The latest value is always shown.
#[derive(Clone, Debug, Default)]
pub struct History {
    points: Vec<f64>,
    stride: u64,
    pushed: u64,
    latest: Option<f64>,
}

impl History {
    /// The most points kept.
    pub const CAP: usize = 512;

    /// Adds the next value.
    pub fn push(&mut self, v: f64) {
        if self.stride == 0 {
            self.stride = 1;
        }
        if self.pushed.is_multiple_of(self.stride) {
            if self.points.len() == Self::CAP {
                let kept: Vec<f64> = self.points.iter().step_by(2).copied().collect();
                self.points = kept;
                self.stride *= 2;
            }
            if self.pushed.is_multiple_of(self.stride) {
                self.points.push(v);
            }
        }
        self.pushed += 1;
        self.latest = Some(v);
    }

    /// The points to plot, oldest first, ending with the latest value.
    pub fn series(&self) -> impl Iterator<Item = f64> + '_ {
        // Unless the latest value was kept as a point already.
        let tail = self.latest.filter(|_| !(self.pushed - 1).is_multiple_of(self.stride));
        self.points.iter().copied().chain(tail)
    }

    /// Points held (not counting the latest value).
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.latest.is_none()
    }
}

/// A live plot.
#[derive(Clone, Debug)]
pub struct Plot {
    /// Its label.
    pub label: String,
    /// Its colour.
    pub color: [u8; 4],
    /// Its values.
    pub history: History,
    /// The tick of its first value (its x axis runs from there to the frame's tick).
    pub since: u64,
}

/// What one panel shows besides the world.
#[derive(Clone, Debug, Default)]
pub struct Overlay {
    /// The scenario's name.
    pub title: String,
    /// The tick shown, and the last tick of the recording.
    pub tick: (u64, u64),
    /// Label and value pairs.
    pub lines: Vec<(String, String)>,
    /// Live plots.
    pub plots: Vec<Plot>,
    /// What the legend lists: what the world holds.
    pub legend: crate::paint::Legend,
}

/// Where a panel's parts go.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// The whole panel.
    pub panel: Rect,
    /// Text scale (font pixels to frame pixels).
    pub scale: u32,
    /// The header bar.
    pub header: Rect,
    /// The area the world view is fitted into.
    pub map: Rect,
    /// The overlay's numbers and plots.
    pub info: Rect,
    /// Whether `info` is a sidebar (else a footer).
    pub sidebar: bool,
}

impl Layout {
    /// Lays out a panel for a `map_w × map_h` cell world with `lines` overlay lines.
    pub fn new(panel: Rect, map_w: u32, map_h: u32, lines: usize) -> Layout {
        let scale = (panel.w / 240).min(panel.h / 270).clamp(1, 4) as u32;
        let s = scale as i64;
        let line_h = font::LINE as i64 * s;
        let header = Rect::new(panel.x, panel.y, panel.w, line_h + 4 * s);
        let body = Rect::new(panel.x, header.y + header.h, panel.w, panel.h - header.h);
        let sidebar = panel.w * 5 >= body.h * 6;
        if sidebar {
            let side = (panel.w * 28 / 100).max(22 * font::ADVANCE as i64 * s).min(panel.w / 2);
            let map = Rect::new(body.x, body.y, body.w - side, body.h);
            let info = Rect::new(body.x + body.w - side, body.y, side, body.h);
            return Layout { panel, scale, header, map, info, sidebar };
        }
        // A footer: the lines in two columns, then the plots side by side.
        let rows = lines.div_ceil(2) as i64;
        let footer = rows * line_h + 3 * s + line_h + (body.h / 8).max(6 * s) + 4 * s;
        let avail = Rect::new(body.x, body.y, body.w, body.h - footer);
        let cell = crate::paint::cell_pixels(map_w, 1, avail.w.max(1) as u32).min(crate::paint::cell_pixels(
            1,
            map_h,
            avail.h.max(1) as u32,
        )) as i64;
        let (mw, mh) = (map_w as i64 * cell, map_h as i64 * cell);
        let shown_h = if mw <= avail.w && mh <= avail.h { mh } else { avail.h.min(mh * avail.w / mw.max(1)) };
        let map = Rect::new(body.x, body.y, body.w, shown_h.max(1));
        let info = Rect::new(body.x, map.y + map.h, body.w, body.h - map.h);
        Layout { panel, scale, header, map, info, sidebar }
    }

    /// Pixels per map cell that fit a `map_w × map_h` world into the map area (at least 1; a
    /// larger world is then scaled down).
    pub fn cell(&self, map_w: u32, map_h: u32) -> u32 {
        crate::paint::cell_pixels(map_w, 1, self.map.w.max(1) as u32).min(crate::paint::cell_pixels(
            1,
            map_h,
            self.map.h.max(1) as u32,
        ))
    }
}

/// Draws a panel: `world` (the painted world) and `overlay` into `frame` at `layout`.
pub fn draw_panel(frame: &mut Canvas, layout: &Layout, world: &Canvas, overlay: &Overlay) {
    use colors::*;
    let s = layout.scale as i64;
    let line_h = font::LINE as i64 * s;
    // Header: name on the left, tick on the right.
    let h = layout.header;
    fill_rect(frame, h, PANEL_BG);
    fill(frame, h.x, h.y + h.h - s.max(1), h.w, s.max(1), RULE);
    let pad = 3 * s;
    let (title, tick) = header_texts(&overlay.title, overlay.tick, h.w - 2 * pad, layout.scale);
    let tick_w = font::text_width(&tick, layout.scale) as i64;
    let text_y = h.y + 2 * s;
    let tick_x = (h.x + h.w - pad - tick_w).max(h.x + pad);
    font::draw(frame, h.x + pad, text_y, layout.scale, &title, TITLE, tick_x - 2 * font::ADVANCE as i64 * s);
    font::draw(frame, tick_x, text_y, layout.scale, &tick, TEXT, h.x + h.w);
    // The world.
    fill_rect(frame, layout.map, FRAME_BG);
    blit_fit(frame, world, layout.map);
    // The overlay.
    let info = layout.info;
    fill_rect(frame, info, PANEL_BG);
    if layout.sidebar {
        fill(frame, info.x, info.y, s.max(1), info.h, RULE);
        let col = Rect::new(info.x + pad + s, info.y + pad, info.w - 2 * pad - s, info.h - 2 * pad);
        let mut y = col.y;
        for (label, value) in &overlay.lines {
            draw_line(frame, layout.scale, Rect::new(col.x, y, col.w, line_h), label, value);
            y += line_h;
        }
        let legend_h = draw_legend(None, layout.scale, col, &overlay.legend, false) * line_h;
        let room = col.y + col.h - y - pad;
        let with_legend = legend_h > 0 && room >= legend_h + 2 * (line_h + 12 * s) + pad;
        let plots_h = if with_legend { room - legend_h - pad } else { room };
        let at = Rect::new(col.x, y + pad, col.w, plots_h);
        draw_plots(frame, layout.scale, at, &overlay.plots, true, overlay.tick.0);
        if with_legend {
            let at = Rect::new(col.x, col.y + col.h - legend_h, col.w, legend_h);
            draw_legend(Some(frame), layout.scale, at, &overlay.legend, false);
        }
    } else {
        let inner = Rect::new(info.x + pad, info.y + pad, info.w - 2 * pad, info.h - 2 * pad);
        let gap = 2 * font::ADVANCE as i64 * s;
        let half = (inner.w - gap) / 2;
        let rows = overlay.lines.len().div_ceil(2);
        for (i, (label, value)) in overlay.lines.iter().enumerate() {
            let (c, r) = (i / rows.max(1), i % rows.max(1));
            let at = Rect::new(inner.x + c as i64 * (half + gap), inner.y + r as i64 * line_h, half, line_h);
            draw_line(frame, layout.scale, at, label, value);
        }
        let mut y = inner.y + rows as i64 * line_h + s;
        // The legend under the numbers, its entries side by side, when the plots keep room.
        let legend_h = draw_legend(None, layout.scale, inner, &overlay.legend, true) * line_h;
        if legend_h > 0 && inner.y + inner.h - y >= legend_h + line_h + 12 * s {
            let at = Rect::new(inner.x, y + s, inner.w, legend_h);
            draw_legend(Some(frame), layout.scale, at, &overlay.legend, true);
            y += legend_h + s;
        }
        let plots = Rect::new(inner.x, y, inner.w, inner.y + inner.h - y);
        draw_plots(frame, layout.scale, plots, &overlay.plots, false, overlay.tick.0);
    }
}

/// A panel header's title and tick for a header `room` pixels wide: `tick T/N` beside the whole
/// title when both fit; else `T/N`, and the title cut to what is left with `…` (a 160-pixel
/// comparison's panels showed "co" and "tr" beside "tick 3/3").
fn header_texts(title: &str, (t, n): (u64, u64), room: i64, scale: u32) -> (String, String) {
    let width = |s: &str| font::text_width(s, scale) as i64;
    let gap = 2 * font::ADVANCE as i64 * scale as i64;
    let long = format!("tick {t}/{n}");
    if width(title) + gap + width(&long) <= room {
        return (title.to_string(), long);
    }
    let tick = format!("{t}/{n}");
    let left = room - gap - width(&tick);
    if width(title) <= left {
        return (title.to_string(), tick);
    }
    let mut cut: String = String::new();
    for c in title.chars() {
        if width(&format!("{cut}{c}…")) > left {
            break;
        }
        cut.push(c);
    }
    (format!("{cut}…"), tick)
}

/// A label on the left and its value on the right of `at`. A label too long to fit beside its
/// value is shortened to its first word ("apples standing" → "apples"), never cut mid-word.
fn draw_line(frame: &mut Canvas, scale: u32, at: Rect, label: &str, value: &str) {
    let vw = font::text_width(value, scale) as i64;
    let vx = (at.x + at.w - vw).max(at.x);
    let room = vx - font::ADVANCE as i64 * scale as i64 - at.x;
    let label = if font::text_width(label, scale) as i64 > room {
        label.split_whitespace().next().unwrap_or(label)
    } else {
        label
    };
    font::draw(frame, at.x, at.y, scale, label, colors::DIM, vx - font::ADVANCE as i64 * scale as i64 + 1);
    font::draw(frame, vx, at.y, scale, value, colors::TEXT, at.x + at.w + 1);
}

/// Plots stacked (`stacked`) or side by side in `area`, each a label over a framed sparkline
/// whose x axis ends at tick `now`.
fn draw_plots(frame: &mut Canvas, scale: u32, area: Rect, plots: &[Plot], stacked: bool, now: u64) {
    let s = scale as i64;
    let line_h = font::LINE as i64 * s;
    let n = plots.len() as i64;
    if n == 0 || area.w < 8 * s || area.h < line_h + 4 * s {
        return;
    }
    // Side by side, a character's room between them: one plot's tick span ran into the next
    // one's label ("ticks 0–60welfare at p").
    let gap = if stacked { 3 * s } else { 2 * font::ADVANCE as i64 * s };
    for (i, plot) in plots.iter().enumerate() {
        let i = i as i64;
        let r = if stacked {
            let h = ((area.h - gap * (n - 1)) / n).min(60 * s + line_h);
            Rect::new(area.x, area.y + i * (h + gap), area.w, h)
        } else {
            let w = (area.w - gap * (n - 1)) / n;
            Rect::new(area.x + i * (w + gap), area.y, w, area.h)
        };
        draw_plot(frame, scale, r, plot, now);
    }
}

/// One plot: its label and the ticks it spans (`since` to `now`, the x axis, on the right when
/// they fit), then the series in a frame scaled to its range.
fn draw_plot(frame: &mut Canvas, scale: u32, r: Rect, plot: &Plot, now: u64) {
    let s = scale as i64;
    let line_h = font::LINE as i64 * s;
    let values: Vec<f64> = plot.history.series().filter(|v| v.is_finite()).collect();
    let (lo, hi) = values.iter().fold((0.0f64, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let hi = if hi > lo { hi } else { lo + 1.0 };
    // The label, and the span of ticks beside it when both fit (the label cut to its first
    // word if that makes room, as the numbers' labels are).
    let gap = 2 * font::ADVANCE as i64 * s;
    let first_word = plot.label.split_whitespace().next().unwrap_or(&plot.label);
    let (since, width) = (plot.since, |t: &str| font::text_width(t, scale) as i64);
    let (label, span) = [
        (plot.label.as_str(), format!("ticks {since}–{now}")),
        (plot.label.as_str(), format!("{since}–{now}")),
        (first_word, format!("{since}–{now}")),
    ]
    .into_iter()
    .find(|(label, span)| width(label) + gap + width(span) <= r.w)
    .map_or((plot.label.as_str(), None), |(label, span)| (label, Some(span)));
    if let Some(span) = span {
        font::draw(frame, r.x + r.w - width(&span), r.y, scale, &span, colors::DIM, r.x + r.w + 1);
    }
    font::draw(frame, r.x, r.y, scale, label, colors::DIM, r.x + r.w + 1);
    let b = Rect::new(r.x, r.y + line_h, r.w, r.h - line_h);
    if b.h < 3 * s || b.w < 3 * s {
        return;
    }
    fill_rect(frame, b, colors::PLOT_BG);
    let t = s.max(1);
    fill(frame, b.x, b.y, b.w, t, colors::RULE);
    fill(frame, b.x, b.y + b.h - t, b.w, t, colors::RULE);
    fill(frame, b.x, b.y, t, b.h, colors::RULE);
    fill(frame, b.x + b.w - t, b.y, t, b.h, colors::RULE);
    let inner = Rect::new(b.x + 2 * t, b.y + 2 * t, b.w - 4 * t, b.h - 4 * t);
    if values.is_empty() || inner.w < 2 || inner.h < 2 {
        return;
    }
    // The range: the top and the bottom value at the left, in a column of their own when the
    // plot is wide enough (the line crossed them), else over the line on the plot's ground.
    let (top, bottom) = (short(hi), short(lo));
    let labels = inner.h >= 2 * line_h;
    let label_w = font::text_width(&top, scale).max(font::text_width(&bottom, scale)) as i64 + 3 * s;
    let column = labels && inner.w >= 4 * label_w;
    // The line keeps a pen's width off the frame, so a series at its top or bottom shows whole.
    let left = if column { label_w } else { 0 };
    let data = Rect::new(inner.x + left + t, inner.y + t, inner.w - left - 2 * t, inner.h - 2 * t);
    if data.w < 2 || data.h < 2 {
        return;
    }
    let n = values.len() as i64;
    let at = |i: i64, v: f64| {
        let x = if n == 1 { data.x + data.w - 1 } else { data.x + i * (data.w - 1) / (n - 1) };
        let y = data.y + data.h - 1 - ((v - lo) / (hi - lo) * (data.h - 1) as f64).round() as i64;
        (x, y)
    };
    let mut prev = at(0, values[0]);
    for (i, &v) in values.iter().enumerate().skip(1) {
        let p = at(i as i64, v);
        line(frame, prev, p, t, plot.color);
        prev = p;
    }
    fill(frame, prev.0 - t, prev.1 - t, 2 * t + 1, 2 * t + 1, plot.color);
    if labels {
        let right = inner.x + inner.w;
        let bottom_y = inner.y + inner.h - line_h + 2 * s;
        for (text, y) in [(&top, inner.y + s), (&bottom, bottom_y)] {
            if !column {
                let w = font::text_width(text, scale) as i64 + 2 * s;
                fill(frame, inner.x, y - s, w, line_h - s, colors::PLOT_BG);
            }
            font::draw(frame, inner.x + s, y, scale, text, colors::DIM, right);
        }
    }
}

/// What the map's marks mean, those the world holds ([`crate::paint::Legend`]): humans by selfishness, AI
/// agents, apples, lost patches, vases and their shards, boxes, belts. `flow`: entries side by
/// side, a new row when the next does not fit (a comparison's footer); else one a row (a
/// sidebar). Returns the rows it took (drawing nothing when `frame` is `None`).
fn draw_legend(frame: Option<&mut Canvas>, scale: u32, r: Rect, legend: &crate::paint::Legend, flow: bool) -> i64 {
    use crate::paint::{human_color, palette, sprite};
    let s = scale as i64;
    let (line_h, advance) = (font::LINE as i64 * s, font::ADVANCE as i64 * s);
    // Each mark is its sprite in a 9-pixel square (scaled), beside its words.
    let mark = |frame: &mut Canvas, x: i64, y: i64, mask: &sprite::Mask, body: [u8; 4], detail: [u8; 4]| {
        sprite::draw(frame, mask, (x, y), 9 * s, body, detail);
    };
    type Draw<'a> = Box<dyn Fn(&mut Canvas, i64, i64) + 'a>;
    let mut entries: Vec<(&str, i64, Draw)> = Vec::new();
    if legend.humans {
        let (sparing, selfish) = (human_color(0.0), human_color(1.0));
        entries.push((
            "humans, σ 0→1",
            2,
            Box::new(move |f, x, y| {
                mark(f, x, y, &sprite::HUMAN, sparing, sprite::shade(sparing));
                mark(f, x + 9 * s, y, &sprite::HUMAN, selfish, sprite::shade(selfish));
            }),
        ));
    }
    if legend.ai {
        entries.push((
            "AI agents",
            1,
            Box::new(move |f, x, y| mark(f, x, y, &sprite::AI, palette::AI, sprite::shade(palette::AI))),
        ));
    }
    if legend.apples {
        entries.push((
            "apple",
            1,
            Box::new(move |f, x, y| {
                fill(f, x, y, 9 * s, 9 * s, palette::GRASS);
                mark(f, x, y, &sprite::APPLE, palette::APPLE, palette::LOST);
            }),
        ));
        entries.push(("patch lost", 1, Box::new(move |f, x, y| fill(f, x, y, 9 * s, 9 * s, palette::LOST))));
    }
    if legend.vases {
        entries.push((
            "vase",
            1,
            Box::new(move |f, x, y| mark(f, x, y, &sprite::VASE, palette::VASE, sprite::shade(palette::VASE))),
        ));
        entries.push(("vase broken", 1, Box::new(move |f, x, y| crate::paint::shards(f, x, y, 9 * s, palette::VASE))));
    }
    if legend.boxes {
        entries.push(("box", 1, Box::new(move |f, x, y| mark(f, x, y, &sprite::BOX, palette::BOX, palette::BOX_RIM))));
    }
    if legend.belts {
        entries.push(("belt", 1, Box::new(move |f, x, y| fill(f, x, y, 9 * s, 9 * s, palette::BELT))));
    }
    let mut frame = frame;
    let (mut x, mut row) = (r.x, 0i64);
    for (words, marks, draw) in &entries {
        // In a row, the words start after the widest marks (two humans); flowing, after their own.
        let text_dx = if flow { marks * 9 * s + advance } else { 4 * advance };
        let w = text_dx + font::text_width(words, scale) as i64 + 2 * advance;
        if flow && x > r.x && x + w > r.x + r.w {
            (x, row) = (r.x, row + 1);
        }
        let y = r.y + row * line_h;
        if let Some(f) = frame.as_deref_mut() {
            draw(f, x, y - s);
            font::draw(f, x + text_dx, y, scale, words, colors::DIM, r.x + r.w);
        }
        if flow {
            x += w;
        } else {
            row += 1;
        }
    }
    if flow && x > r.x { row + 1 } else { row }
}

/// A number, short: whole numbers as they are up to 9,999, then in thousands (`130k`) and
/// millions (`1.2M`); others with 2 decimals, or 2 significant digits below 0.01 (`0.0042`:
/// a welfare of −0.004 read as "0.00" beside a line falling from "0").
pub fn short(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    // Below 10⁻⁹ a metric (in apples, shares, nats) is rounding noise: a welfare of zero summed
    // in floating point read "-1.9e-16".
    if a < 1e-9 {
        "0".to_string()
    } else if a >= 1e9 {
        format!("{v:.1e}")
    } else if a >= 1e6 {
        let m = v / 1e6;
        if m.abs() >= 99.95 { format!("{m:.0}M") } else { format!("{m:.1}M") }
    } else if a >= 1e4 {
        let k = v / 1e3;
        if k.abs() >= 99.95 { format!("{k:.0}k") } else { format!("{k:.1}k") }
    } else if v == v.round() {
        format!("{}", v as i64)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 0.01 {
        format!("{v:.2}")
    } else if a < 1e-4 {
        format!("{v:.1e}")
    } else {
        // Two significant digits (4 or 5 decimals here). No branch rounds a nonzero value to
        // zero, so none reads "-0.00".
        let decimals = (1 - a.log10().floor() as i64) as usize;
        format!("{v:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrow_header_shortens_the_tick_then_cuts_the_title() {
        let w = |s: &str| font::text_width(s, 1) as i64;
        let gap = 2 * font::ADVANCE as i64;
        let wide = header_texts("commons", (3, 3), 400, 1);
        assert_eq!(wide, ("commons".to_string(), "tick 3/3".to_string()));
        let room = w("commons") + gap + w("3/3");
        assert_eq!(header_texts("commons", (3, 3), room, 1), ("commons".to_string(), "3/3".to_string()));
        // 80 pixels less the padding: the panel of a 160-pixel comparison, where "commons"
        // showed as "co"; it fits whole beside "3/3", and a longer name is cut with "…".
        assert_eq!(header_texts("commons", (3, 3), 74, 1), ("commons".to_string(), "3/3".to_string()));
        let (title, tick) = header_texts("sed-apple-picking", (3, 3), 74, 1);
        assert_eq!(tick, "3/3");
        assert!(title.ends_with('…') && title.starts_with("sed-a"), "{title}");
        assert!(w(&title) + gap + w(&tick) <= 74, "{title}");
    }

    #[test]
    fn short_numbers_never_read_minus_zero_and_keep_two_figures() {
        assert_eq!(short(-0.0), "0");
        assert_eq!(short(-0.001), "-0.0010");
        assert_eq!(short(-0.0042), "-0.0042");
        assert_eq!(short(0.006), "0.0060");
        assert_eq!(short(-0.06), "-0.06");
        assert_eq!(short(-12.34), "-12.3");
        assert_eq!(short(3.0), "3");
        assert_eq!(short(9999.0), "9999");
        assert_eq!(short(130000.0), "130k");
        assert_eq!(short(12345.0), "12.3k");
        assert_eq!(short(-40930.5), "-40.9k");
        assert_eq!(short(1_234_567.0), "1.2M");
        assert_eq!(short(3.2e10), "3.2e10");
        assert_eq!(short(-1.9e-16), "0");
        assert_eq!(short(3e-7), "3.0e-7");
        assert_eq!(short(0.00012), "0.00012");
    }

    #[test]
    fn history_stays_bounded_and_ends_with_the_latest_value() {
        let mut h = History::default();
        for i in 0..10_000 {
            h.push(i as f64);
            assert!(h.len() <= History::CAP);
            assert_eq!(h.series().last(), Some(i as f64));
        }
        let s: Vec<f64> = h.series().collect();
        assert_eq!(s[0], 0.0);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert!(s.len() > History::CAP / 2);
    }

    #[test]
    fn blit_fit_centres_small_sources_and_shrinks_large_ones() {
        let mut dst = Canvas::new(100, 50, [0, 0, 0, 255]);
        let src = Canvas::new(20, 10, [9, 9, 9, 255]);
        assert_eq!(blit_fit(&mut dst, &src, Rect::new(0, 0, 100, 50)), Rect::new(40, 20, 20, 10));
        assert_eq!(dst.get(40, 20), [9, 9, 9, 255]);
        assert_eq!(dst.get(39, 20), [0, 0, 0, 255]);
        let big = Canvas::new(1000, 1000, [7, 7, 7, 255]);
        assert_eq!(blit_fit(&mut dst, &big, Rect::new(0, 0, 100, 50)), Rect::new(25, 0, 50, 50));
        assert_eq!(dst.get(74, 49), [7, 7, 7, 255]);
    }

    #[test]
    fn a_comparisons_footer_shows_the_legend_its_entries_side_by_side() {
        // A comparison's panels (a footer, not a sidebar) had no legend at all.
        let legend = crate::paint::Legend { humans: true, ai: true, apples: true, ..Default::default() };
        let (wide, narrow) = (Rect::new(0, 0, 470, 40), Rect::new(0, 0, 120, 400));
        assert_eq!(draw_legend(None, 1, wide, &legend, true), 1, "four entries side by side");
        assert_eq!(draw_legend(None, 1, narrow, &legend, true), 4, "one a row where none fit beside another");
        assert_eq!(draw_legend(None, 1, wide, &legend, false), 4, "a sidebar's: one a row");
        assert_eq!(draw_legend(None, 1, wide, &crate::paint::Legend::default(), true), 0);
        let layout = Layout::new(Rect::new(0, 0, 480, 540), 24, 18, 7);
        assert!(!layout.sidebar);
        let overlay = Overlay { title: "t".into(), tick: (1, 1), legend, ..Default::default() };
        let mut frame = Canvas::new(480, 540, [0, 0, 0, 255]);
        draw_panel(&mut frame, &layout, &Canvas::new(24, 18, [0, 0, 0, 255]), &overlay);
        let ai = crate::paint::palette::AI;
        let footer = layout.info;
        let shown = (footer.y..footer.y + footer.h)
            .flat_map(|y| (footer.x..footer.x + footer.w).map(move |x| (x, y)))
            .any(|(x, y)| frame.get(x as u32, y as u32) == ai);
        assert!(shown, "the AI agents' mark is drawn in the footer");
    }

    #[test]
    fn a_plot_says_which_ticks_its_x_axis_spans() {
        // The sparklines had no x axis: a frame of 120 ticks and one of 20 looked alike.
        let mut history = History::default();
        (0..=120).for_each(|v| history.push(v as f64));
        let plot =
            |since| Plot { label: "apples standing".into(), color: colors::APPLES, history: history.clone(), since };
        let row = |plot: &Plot, now: u64, w: i64| {
            let mut c = Canvas::new(w as u32, 80, colors::PANEL_BG);
            draw_plot(&mut c, 1, Rect::new(0, 0, w, 80), plot, now);
            (0..font::LINE)
                .flat_map(|y| (0..w as u32).map(move |x| (x, y)))
                .map(|(x, y)| c.get(x, y))
                .collect::<Vec<_>>()
        };
        // Wide: the whole label and "ticks 0–120"; another span draws another label row.
        let wide = font::text_width("apples standing  ticks 0–120", 1) as i64 + 4;
        assert_ne!(row(&plot(0), 120, wide), row(&plot(0), 130, wide));
        assert_ne!(row(&plot(0), 120, wide), row(&plot(10), 120, wide));
        // Narrow: the label's first word and the span; narrower still, the label alone.
        let narrow = font::text_width("apples  0–120", 1) as i64 + 2;
        assert_ne!(row(&plot(0), 120, narrow), row(&plot(0), 130, narrow));
        let tiny = font::text_width("apples 0–1", 1) as i64;
        assert_eq!(row(&plot(0), 120, tiny), row(&plot(0), 130, tiny));
    }

    #[test]
    fn wide_panels_get_a_sidebar_and_narrow_ones_a_footer() {
        let l = Layout::new(Rect::new(0, 0, 960, 540), 24, 18, 5);
        assert!(l.sidebar);
        assert_eq!(l.cell(24, 18), 28);
        let l = Layout::new(Rect::new(480, 0, 480, 540), 24, 18, 7);
        assert!(!l.sidebar);
        assert!(l.cell(24, 18) >= 15, "{l:?}");
        assert!(l.info.h >= 100, "{l:?}");
    }
}
