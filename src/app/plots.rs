//! The panels' small plots: one frame for all of them (fixed, no dragging or zooming), a y
//! axis labelled on a 1-2-5 grid with compact numbers (`12k`, `3.4M`), and an axis width they
//! share so that plots stacked in a panel line up on their x axes.

use bevy_egui::egui::AsId;
use egui_plot::{AxisHints, GridInput, GridMark, Plot};

/// The y axis's width in points: room for labels such as `-1.25M` (wider ones widen it).
const Y_AXIS_WIDTH: f32 = 46.0;

/// The least distance between two labelled y values, in points (a line of text and a gap): a
/// 64-point plot of 0 to 60 gets labels 0 and 50 rather than 0 alone.
const LABEL_SPACING: f64 = 18.0;

/// The same along x, where labels (`20k`, `1500`) are wider than they are high: a 50-tick
/// run in a 300-point plot gets labels every 10 ticks.
const LABEL_SPACING_X: f64 = 52.0;

/// The grid's finest spacing in points (egui_plot's default; [`marks`] relies on it).
const GRID_MIN: f32 = 8.0;

/// A small plot `height` points high, `id` unique in the panel. `y` is the lowest and highest
/// value of the data drawn (`None`: no data yet): the axis runs from 0 (or below, for
/// negative data), and a flat line gets an axis from 0 to one above it, not one egui_plot
/// stretches to ±10,000.
pub fn small_plot<'a>(id: impl AsId, height: f32, y: Option<(f64, f64)>) -> Plot<'a> {
    let mut plot = Plot::new(id)
        .height(height)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .include_y(0.0)
        .grid_spacing(GRID_MIN..=300.0)
        .y_grid_spacer(|input| marks(input, LABEL_SPACING))
        .x_grid_spacer(|input| marks(input, LABEL_SPACING_X))
        .custom_y_axes(vec![
            AxisHints::new_y()
                .min_thickness(Y_AXIS_WIDTH)
                .label_spacing(LABEL_SPACING as f32 - 4.0..=LABEL_SPACING as f32)
                .formatter(|mark, _| axis_label(mark.value, mark.step_size)),
        ])
        .custom_x_axes(vec![
            AxisHints::new_x()
                .label_spacing(LABEL_SPACING_X as f32 - 8.0..=LABEL_SPACING_X as f32)
                .formatter(|mark, _| axis_label(mark.value, mark.step_size)),
        ]);
    let (lo, hi) = y.unwrap_or((0.0, 0.0));
    if hi - lo <= 1e-9 * hi.abs().max(lo.abs()) {
        plot = plot.include_y(lo + 1.0);
    }
    plot
}

/// The lowest and highest y of some series of points (`None` if there are none).
pub fn y_range<'p>(series: impl IntoIterator<Item = &'p [[f64; 2]]>) -> Option<(f64, f64)> {
    series.into_iter().flatten().map(|p| p[1]).filter(|v| v.is_finite()).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// The grid's marks on an axis: labelled ones `spacing` points apart or more, on a 1-2-5
/// step, and finer lines between them.
fn marks(input: GridInput, spacing: f64) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let per_point = input.base_step_size / GRID_MIN as f64;
    if per_point.is_nan() || per_point <= 0.0 || !lo.is_finite() || !hi.is_finite() || hi <= lo {
        return Vec::new();
    }
    let label = nice_step(per_point * spacing);
    let fine = label / if is_two(label) { 2.0 } else { 5.0 };
    let (first, last) = ((lo / fine).ceil() as i64, (hi / fine).floor() as i64);
    if last - first > 10_000 {
        return Vec::new();
    }
    (first..=last)
        .map(|k| {
            let value = k as f64 * fine;
            let labelled = ((value / label).round() * label - value).abs() < fine * 1e-6;
            GridMark {
                value: if labelled { (value / label).round() * label } else { value },
                step_size: if labelled { label } else { fine },
            }
        })
        .collect()
}

/// The smallest of 1, 2 and 5 times a power of ten that is at least `at_least` (> 0).
pub fn nice_step(at_least: f64) -> f64 {
    let p = 10f64.powf(at_least.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * p).find(|&s| s >= at_least * (1.0 - 1e-12)).unwrap_or(10.0 * p)
}

fn is_two(step: f64) -> bool {
    let m = step / 10f64.powf(step.log10().floor());
    (m - 2.0).abs() < 1e-9
}

/// A y label: `value` with as many decimals as `step` needs, thousands as `k` and millions as
/// `M` (`1.5k`, `20k`, `3.4M`), and a minus sign for negative values.
pub fn axis_label(value: f64, step: f64) -> String {
    if value.abs() < step.abs() * 1e-6 {
        return "0".into();
    }
    let (scale, suffix) = match value.abs().max(step.abs()) {
        m if m >= 1e6 => (1e6, "M"),
        m if m >= 1e4 => (1e3, "k"),
        _ => (1.0, ""),
    };
    let decimals = (-(step / scale).log10()).ceil().max(0.0) as usize;
    let text = format!("{:.*}{suffix}", decimals, value / scale);
    text.replacen('-', "−", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_five() {
        for (want_at_least, step) in
            [(0.7, 1.0), (1.0, 1.0), (1.3, 2.0), (3.0, 5.0), (7.5, 10.0), (0.018, 0.02), (230.0, 500.0)]
        {
            assert!((nice_step(want_at_least) - step).abs() < 1e-12, "{want_at_least} → {}", nice_step(want_at_least));
        }
    }

    #[test]
    fn labels_are_compact_and_exact_to_the_step() {
        for (v, step, text) in [
            (0.0, 20.0, "0"),
            (1e-17, 0.05, "0"),
            (40.0, 20.0, "40"),
            (0.15, 0.05, "0.15"),
            (0.2, 0.1, "0.2"),
            (-2.5, 0.5, "−2.5"),
            (20000.0, 10000.0, "20k"),
            (15000.0, 5000.0, "15k"),
            (1500.0, 500.0, "1500"),
            (2_500_000.0, 500_000.0, "2.5M"),
            (3_000_000.0, 1_000_000.0, "3M"),
        ] {
            assert_eq!(axis_label(v, step), text, "{v} at step {step}");
        }
    }

    #[test]
    fn a_short_plot_gets_more_than_one_label() {
        // 0 to 60 over 50 points is 1.2 a point: labels 18 points apart are 21.6 apart in
        // value, and the first 1-2-5 step of at least that is 50. (egui_plot's own grid, in
        // powers of ten, labelled only 0.)
        let m = marks(GridInput { bounds: (0.0, 60.0), base_step_size: 1.2 * GRID_MIN as f64 }, LABEL_SPACING);
        let labelled: Vec<f64> = m.iter().filter(|m| m.step_size == 50.0).map(|m| m.value).collect();
        assert_eq!(labelled, [0.0, 50.0]);
        let m = marks(GridInput { bounds: (0.0, 0.25), base_step_size: 0.25 / 100.0 * GRID_MIN as f64 }, LABEL_SPACING);
        let labelled: Vec<f64> = m.iter().filter(|m| m.step_size == 0.05).map(|m| m.value).collect();
        assert_eq!(labelled.len(), 6, "{m:?}");
    }

    #[test]
    fn the_range_of_series_skips_what_is_not_finite() {
        let a = [[0.0, 2.0], [1.0, f64::NAN]];
        let b = [[0.0, -1.0]];
        assert_eq!(y_range([&a[..], &b[..]]), Some((-1.0, 2.0)));
        assert_eq!(y_range([&[][..]]), None);
    }
}
