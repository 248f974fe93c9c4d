//! Line charts with error bars, in the project's palette and bitmap font: the sweep report's
//! plot and a training's learning curves draw through [`lines`].

use super::{Canvas, font};

/// One line: its legend label and its points `(x, y, half width of the y interval)`.
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// The legend's text (none drawn when there is one series with an empty label).
    pub label: String,
    /// Points in x order.
    pub points: Vec<(f64, f64, f64)>,
}

/// The lines' colours, one per series in turn (`plot.0` … `plot.5` in `assets/palette.txt`).
pub const PALETTE: [[u8; 4]; 6] = {
    use crate::paint::theme::color;
    [color("plot.0"), color("plot.1"), color("plot.2"), color("plot.3"), color("plot.4"), color("plot.5")]
};

/// Nice tick values covering [lo, hi].
pub fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(1e-12);
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| span / s <= 6.0).unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() * step;
    (0..).map(|k| first + k as f64 * step).take_while(|v| *v <= hi + step * 1e-9).collect()
}

/// [`ticks`] along x; only whole numbers when `whole` (the x values all are).
pub fn x_ticks(lo: f64, hi: f64, whole: bool) -> Vec<f64> {
    ticks(lo, hi).into_iter().filter(|v| !whole || v.fract() == 0.0).collect()
}

/// A number as an axis label: at most three decimals, no trailing zeros.
pub fn label(v: f64) -> String {
    // Past what f64 holds exactly as a whole number, in e-notation: `1e300` printed 301 digits.
    if v.is_finite() && v.abs() >= 1e15 {
        let s = format!("{v:.3e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        return format!("{}e{exponent}", mantissa.trim_end_matches('0').trim_end_matches('.'));
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// Labels for an axis's ticks (as [`ticks`] gives them: evenly spaced): as many decimals as
/// the spacing needs, so ticks 0.00002 apart do not all read `0`; in e-notation (`2.5e-5`)
/// when every value is below 0.001 or one reaches a million.
pub fn axis_labels(values: &[f64]) -> Vec<String> {
    let step = match values {
        [a, b, ..] => (b - a).abs(),
        [a] => a.abs(),
        [] => return Vec::new(),
    };
    if !(step > 0.0) || !step.is_finite() {
        return values.iter().map(|&v| label(v)).collect();
    }
    let exp = |x: f64| x.abs().log10().floor() as i32;
    // Digits below the step's leading one: 2.5·10^k needs one more.
    let extra = i32::from(((step / 10f64.powi(exp(step))) * 2.0).round() as i64 % 2 == 1);
    let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let e_notation = !(1e-3..1e6).contains(&largest);
    values
        .iter()
        .map(|&v| {
            // Ticks are multiples of the step; undo the float error of adding it up.
            let v = (v / step).round() * step;
            if v == 0.0 {
                "0".to_string()
            } else if e_notation {
                let digits = (exp(v) - exp(step) + extra).max(0) as usize;
                let s = format!("{v:.digits$e}");
                let (mantissa, power) = s.split_once('e').unwrap_or((&s, "0"));
                let mantissa = if mantissa.contains('.') {
                    mantissa.trim_end_matches('0').trim_end_matches('.')
                } else {
                    mantissa
                };
                format!("{mantissa}e{power}")
            } else {
                let digits = (extra - exp(step)).max(0) as usize;
                let s = format!("{v:.digits$}");
                let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
                if s == "-0" { "0".into() } else { s }
            }
        })
        .collect()
}

/// An 800×500 chart of `series` (dots and error bars on each point when there are few points,
/// a line between dimmer interval edges when there are many) with a title, a subtitle and the x axis's name; `None`
/// when no point is finite.
pub fn lines(title: &str, subtitle: &str, x_name: &str, series: &[Series]) -> Option<Canvas> {
    lines_within(title, subtitle, x_name, series, UNBOUNDED)
}

/// No bounds on a measure's values.
pub const UNBOUNDED: (f64, f64) = (f64::NEG_INFINITY, f64::INFINITY);

/// [`lines`] of a measure whose values lie in `bounds` (a share: 0 to 1; a count: 0 up):
/// each interval is drawn within them, as the measure cannot lie outside (a t interval over
/// few seeds of a share near 0 reaches below it; cut at the bound it covers what it covered).
pub fn lines_within(
    title: &str,
    subtitle: &str,
    x_name: &str,
    series: &[Series],
    bounds: (f64, f64),
) -> Option<Canvas> {
    // Drawn once; where the legend in its clearest corner still hides points or error bars,
    // again with room above the data for it (the legend covered the top of `harmless.png`'s
    // last error bar and `harmless-unseen.png`'s last point).
    let (c, hidden, legend_height) = draw_lines(title, subtitle, x_name, series, bounds, 0)?;
    if hidden == 0 {
        return Some(c);
    }
    draw_lines(title, subtitle, x_name, series, bounds, legend_height + 12).map(|d| d.0)
}

/// [`lines_within`] with `headroom` pixels above the data kept free; the canvas, how many of
/// the drawn marks its legend hides, and the legend's height.
fn draw_lines(
    title: &str,
    subtitle: &str,
    x_name: &str,
    series: &[Series],
    bounds: (f64, f64),
    headroom: i64,
) -> Option<(Canvas, usize, i64)> {
    let (lo_bound, hi_bound) = bounds;
    let interval = |y: f64, h: f64| ((y - h).max(lo_bound), (y + h).min(hi_bound));
    let all = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(px, py, h) in all {
        if py.is_finite() && px.is_finite() {
            let (lo, hi) = interval(py, h);
            (x0, x1, y0, y1) = (x0.min(px), x1.max(px), y0.min(lo.min(py)), y1.max(hi.max(py)));
        }
    }
    if !x0.is_finite() || !y0.is_finite() {
        return None;
    }
    // Whole-number x (updates, counts) gets whole-number ticks: not 1.2, 1.4 between 1 and 2.
    let whole_x = series.iter().flat_map(|s| s.points.iter()).all(|p| !p.0.is_finite() || p.0.fract() == 0.0);
    if x1 == x0 {
        (x0, x1) = (x0 - 1.0, x1 + 1.0);
    }
    // Values apart only by rounding (a return of 8 and one of 7.999999999999999) are drawn as
    // one value: stretched over the plot, the noise read as a gap from top to bottom under
    // one label.
    if y1 - y0 <= 1e-9 * y0.abs().max(y1.abs()) {
        (y0, y1) = (y1 - 1.0, y1 + 1.0);
    }
    let pad = (y1 - y0) * 0.06;
    (y0, y1) = (y0 - pad, y1 + pad);
    // Points at the ends stand clear of the axis (an interval drawn on it was half hidden).
    let pad = (x1 - x0) * 0.03;
    (x0, x1) = (x0 - pad, x1 + pad);
    let (w, h) = (800u32, 500u32);
    let bg = [24, 26, 32, 255];
    let fg = [220, 220, 220, 255];
    let grid = [52, 56, 66, 255];
    let mut c = Canvas::new(w, h, bg);
    let (left, right, top, bottom) = (90i64, w as i64 - 40, 56i64, h as i64 - 70);
    // The data fill the plot below `headroom`: the top of the y range is raised to match.
    let headroom = headroom.clamp(0, (bottom - top) / 2);
    y1 += (y1 - y0) * headroom as f64 / (bottom - top - headroom) as f64;
    let sx = |v: f64| left + ((v - x0) / (x1 - x0) * (right - left) as f64).round() as i64;
    let sy = |v: f64| bottom - ((v - y0) / (y1 - y0) * (bottom - top) as f64).round() as i64;
    font::draw(&mut c, left, 10, 2, title, fg, w as i64 - 10);
    font::draw(&mut c, left, 32, 1, subtitle, [150, 150, 160, 255], w as i64 - 10);
    let y_ticks = ticks(y0, y1);
    for (&v, l) in y_ticks.iter().zip(axis_labels(&y_ticks)) {
        let y = sy(v);
        c.fill(left, y, right - left, 1, grid);
        font::draw(&mut c, left - 8 - font::text_width(&l, 1) as i64 * 2, y - 7, 2, &l, fg, left);
    }
    let x_ticks = x_ticks(x0, x1, whole_x);
    for (&v, l) in x_ticks.iter().zip(axis_labels(&x_ticks)) {
        let px = sx(v);
        c.fill(px, top, 1, bottom - top, grid);
        font::draw(&mut c, px - font::text_width(&l, 2) as i64 / 2, bottom + 8, 2, &l, fg, w as i64);
    }
    c.fill(left, top, 1, bottom - top + 1, fg);
    c.fill(left, bottom, right - left + 1, 1, fg);
    let xw = font::text_width(x_name, 2) as i64;
    font::draw(&mut c, (left + right) / 2 - xw / 2, bottom + 34, 2, x_name, fg, w as i64);
    // Points (and intervals) on the same pixels are the same to the eye, and to the legend.
    let legend = legend_labels_by(series, &|&(px, py, h)| {
        let (lo, hi) = interval(py, h);
        [sx(px), sy(py), sy(lo), sy(hi)]
    });
    // A label wider than the plot is cut to fit, with `…` (a legend of three parameters'
    // values began off the image's left edge, its colours and first words lost).
    let room = (right - left - 12 - 34).max(0) as u32;
    let legend: Vec<String> = legend.into_iter().map(|l| fit(l, room)).collect();
    for (k, s) in series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let pts: Vec<&(f64, f64, f64)> = s.points.iter().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
        if pts.len() > 40 {
            // Many points: the interval as a dimmer band's edges.
            let dim = std::array::from_fn(|i| {
                if i == 3 { 255 } else { (color[i] as u16 * 5 / 10 + bg[i] as u16 * 5 / 10) as u8 }
            });
            for edge in [0, 1] {
                let at = |p: &(f64, f64, f64)| {
                    let (lo, hi) = interval(p.1, p.2);
                    if edge == 0 { lo } else { hi }
                };
                for pair in pts.windows(2) {
                    let (a, b) = (pair[0], pair[1]);
                    segment(&mut c, (sx(a.0), sy(at(a))), (sx(b.0), sy(at(b))), dim);
                }
            }
        }
        for pair in pts.windows(2) {
            segment(&mut c, (sx(pair[0].0), sy(pair[0].1)), (sx(pair[1].0), sy(pair[1].1)), color);
        }
        if pts.len() <= 40 {
            for &&(px, py, hw) in &pts {
                let (cx, cy) = (sx(px), sy(py));
                let (lo, hi) = interval(py, hw);
                c.fill(cx, sy(hi), 1, (sy(lo) - sy(hi)).max(1), color);
                c.fill(cx - 4, sy(hi), 9, 1, color);
                c.fill(cx - 4, sy(lo), 9, 1, color);
                c.disc(cx as f64 + 0.5, cy as f64 + 0.5, 4.0, color);
            }
        }
    }
    let shown: Vec<usize> = (0..series.len()).filter(|&k| series.len() > 1 || !series[k].label.is_empty()).collect();
    let (mut hidden, mut legend_height) = (0, 0);
    if !shown.is_empty() {
        // The legend goes in the plot's corner that hides the fewest of the drawn points and
        // lines (the top right when several tie), on the background, framed.
        let bw = shown.iter().map(|&k| font::text_width(&legend[k], 1) as i64).max().unwrap_or(0) + 34;
        let bh = 14 * shown.len() as i64 + 8;
        let mut marks = Vec::new();
        for s in series {
            let pts: Vec<(i64, i64)> = s
                .points
                .iter()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .flat_map(|&(px, py, h)| {
                    let (lo, hi) = interval(py, h);
                    [(sx(px), sy(py)), (sx(px), sy(lo)), (sx(px), sy(hi))]
                })
                .collect();
            marks.extend(pts.iter().copied());
            // An error bar hides behind the legend along its length, not only at its ends.
            for bar in pts.chunks(3) {
                let (x, lo, hi) = (bar[1].0, bar[1].1.max(bar[2].1), bar[1].1.min(bar[2].1));
                marks.extend((hi..lo).step_by(6).map(|y| (x, y)));
            }
            let centres: Vec<(i64, i64)> = pts.iter().step_by(3).copied().collect();
            for pair in centres.windows(2) {
                let ((ax, ay), (bx, by)) = (pair[0], pair[1]);
                marks.extend((1..16).map(|t| (ax + (bx - ax) * t / 16, ay + (by - ay) * t / 16)));
            }
        }
        let corners = [
            (right - bw - 6, top + 6),
            (left + 6, top + 6),
            (right - bw - 6, bottom - bh - 6),
            (left + 6, bottom - bh - 6),
        ];
        let ((bx, by), covered) = clearest(&corners, (bw, bh), &marks);
        (hidden, legend_height) = (covered, bh);
        c.fill(bx, by, bw, bh, grid);
        c.fill(bx + 1, by + 1, bw - 2, bh - 2, bg);
        for (row, &k) in shown.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let ly = by + 5 + 14 * row as i64;
            c.fill(bx + 6, ly + 3, 14, 3, color);
            font::draw(&mut c, bx + 26, ly, 1, &legend[k], fg, bx + bw);
        }
    }
    Some((c, hidden, legend_height))
}

/// `text` cut to at most `room` pixels wide at scale 1, ending in `…` where it was cut.
fn fit(text: String, room: u32) -> String {
    if font::text_width(&text, 1) <= room {
        return text;
    }
    let mut cut = text;
    while !cut.is_empty() && font::text_width(&format!("{cut}…"), 1) > room {
        cut.pop();
    }
    format!("{}…", cut.trim_end())
}

/// The legend's text of each series: its label, and for a series whose points are all those of
/// an earlier one (drawn over it, so that one cannot be seen) which one it hides; a series
/// whose every point lies on a point of later ones (each drawn over a part of it) says which.
pub fn legend_labels(series: &[Series]) -> Vec<String> {
    legend_labels_by(series, &|&(x, y, h)| [x.to_bits() as i64, y.to_bits() as i64, h.to_bits() as i64, 0])
}

/// [`legend_labels`], two points being the same where `key` says so: the chart gives each its
/// pixels (x, y and the interval's ends), as lines that differ in the fifth decimal are drawn
/// one over the other (`optimal-width.png`'s three depths showed one line and three entries).
/// A point is on another where the first two of their keys agree.
fn legend_labels_by(series: &[Series], key: &dyn Fn(&(f64, f64, f64)) -> [i64; 4]) -> Vec<String> {
    let bits = |s: &Series| -> Vec<[i64; 4]> { s.points.iter().map(key).collect() };
    let all: Vec<Vec<[i64; 4]>> = series.iter().map(bits).collect();
    let same = |j: usize, k: usize| !all[k].is_empty() && all[j] == all[k];
    series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            if let Some(j) = (0..k).find(|&j| same(j, k)) {
                // `=` where the numbers are the same, `≈` where only their pixels are (the
                // new-user tour: patches alive of 0.449 and 0.451 read as equal).
                let exact = series[j].points == s.points;
                return format!("{} ({} {}, drawn over it)", s.label, if exact { "=" } else { "≈" }, series[j].label);
            }
            // A later copy says so itself; otherwise, the later series that cover this one's
            // points (x and y alike), when together they cover them all.
            if all[k].is_empty() || (k + 1..series.len()).any(|j| same(k, j)) {
                return s.label.clone();
            }
            // The line's pieces: each segment between two points (the point, for a line of
            // one), hidden where a later series passes through both its ends. The fewest later
            // series that hide every piece are named (greedily, the one over most of the pieces
            // left first): naming the first on each point named three series for a line that
            // lay under one, and called a line hidden whose segment between two series' points
            // showed.
            let pieces: Vec<&[[i64; 4]]> =
                if all[k].len() == 1 { vec![&all[k][..]] } else { all[k].windows(2).collect() };
            let passes = |j: usize, p: &[i64; 4]| all[j].iter().any(|q| q[..2] == p[..2]);
            let on: Vec<Vec<usize>> = (pieces.iter())
                .map(|piece| (k + 1..series.len()).filter(|&j| piece.iter().all(|p| passes(j, p))).collect())
                .collect();
            if on.iter().any(Vec::is_empty) {
                return s.label.clone();
            }
            let mut left: Vec<&Vec<usize>> = on.iter().collect();
            let mut over: Vec<usize> = Vec::new();
            while !left.is_empty() {
                let best = (k + 1..series.len())
                    .max_by_key(|&j| (left.iter().filter(|o| o.contains(&j)).count(), std::cmp::Reverse(j)))
                    .expect("a later series");
                over.push(best);
                left.retain(|o| !o.contains(&best));
            }
            over.sort_unstable();
            let names: Vec<&str> = over.iter().map(|&j| series[j].label.as_str()).collect();
            format!("{} (under {})", s.label, names.join(" and "))
        })
        .collect()
}

/// [`lines`], or when no point is finite (no run gave the measure a value: no violations to
/// take a share of, say) the chart's frame with its title and a note saying so.
pub fn lines_or_note(title: &str, subtitle: &str, x_name: &str, series: &[Series]) -> Canvas {
    lines_or_note_within(title, subtitle, x_name, series, UNBOUNDED)
}

/// [`lines_or_note`] of a measure whose values lie in `bounds` ([`lines_within`]).
pub fn lines_or_note_within(
    title: &str,
    subtitle: &str,
    x_name: &str,
    series: &[Series],
    bounds: (f64, f64),
) -> Canvas {
    lines_within(title, subtitle, x_name, series, bounds).unwrap_or_else(|| {
        let (w, h) = (800u32, 500u32);
        let fg = [220, 220, 220, 255];
        let mut c = Canvas::new(w, h, [24, 26, 32, 255]);
        font::draw(&mut c, 90, 10, 2, title, fg, w as i64 - 10);
        font::draw(&mut c, 90, 32, 1, subtitle, [150, 150, 160, 255], w as i64 - 10);
        let note = "nothing to plot: no run gave this measure a value";
        let hint = "(its table rows are empty; longer runs or more seeds may give it one)";
        for (k, line) in [note, hint].iter().enumerate() {
            let x = w as i64 / 2 - font::text_width(line, 1) as i64 / 2;
            font::draw(&mut c, x, h as i64 / 2 - 10 + 20 * k as i64, 1, line, fg, w as i64);
        }
        c
    })
}

/// Of boxes of `size` at `corners` (top-left points), the first that covers the fewest of
/// `marks` (with a 4-pixel margin).
fn clearest(corners: &[(i64, i64)], (w, h): (i64, i64), marks: &[(i64, i64)]) -> ((i64, i64), usize) {
    let covered = |&(bx, by): &(i64, i64)| {
        marks.iter().filter(|&&(x, y)| x >= bx - 4 && x <= bx + w + 4 && y >= by - 4 && y <= by + h + 4).count()
    };
    corners.iter().map(|c| (*c, covered(c))).min_by_key(|x| x.1).expect("a corner")
}

fn segment(c: &mut Canvas, (x0, y0): (i64, i64), (x1, y1): (i64, i64), color: [u8; 4]) {
    let n = (x1 - x0).abs().max((y1 - y0).abs()).max(1);
    for k in 0..=n {
        let x = x0 + (x1 - x0) * k / n;
        let y = y0 + (y1 - y0) * k / n;
        c.fill(x, y, 2, 2, color);
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn labels_of_huge_numbers_are_short() {
        // (`sum loop --powers 1e300` printed the power and its harm in 301 digits.)
        assert_eq!(label(1e300), "1e300");
        assert_eq!(label(-2.5e15), "-2.5e15");
        assert_eq!(label(123456.789), "123456.789");
        assert_eq!(label(0.1 + 0.2), "0.3");
    }

    #[test]
    fn axis_labels_tell_close_ticks_apart() {
        // optimal-width.png's regrets, 0 to 1e-4: every label read `0`.
        let t = ticks(0.0, 1e-4);
        let l = axis_labels(&t);
        assert_eq!(l, ["0", "2e-5", "4e-5", "6e-5", "8e-5", "1e-4"]);
        assert_eq!(axis_labels(&ticks(0.0, 1.0)), ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        assert_eq!(axis_labels(&[0.0, 0.025, 0.05, 0.075]), ["0", "0.025", "0.05", "0.075"]);
        assert_eq!(axis_labels(&[0.0, 2.5, 5.0, 7.5, 10.0]), ["0", "2.5", "5", "7.5", "10"]);
        assert_eq!(axis_labels(&[0.0, 50.0, 100.0]), ["0", "50", "100"]);
        assert_eq!(axis_labels(&[-0.1, 0.0, 0.1]), ["-0.1", "0", "0.1"]);
        assert_eq!(axis_labels(&[0.0, 2e6, 4e6]), ["0", "2e6", "4e6"]);
        // Distinct ticks get distinct labels.
        for (lo, hi) in [(0.0, 3e-7), (1.0, 1.0004), (-5e-4, 5e-4), (0.0, 1e9), (123.0, 123.9)] {
            let l = axis_labels(&ticks(lo, hi));
            let mut u = l.clone();
            u.dedup();
            assert_eq!(u, l, "{lo}..{hi}");
        }
    }

    use super::*;

    #[test]
    fn whole_number_x_gets_whole_number_ticks() {
        // Two updates: the padded range 0.97..2.03 had ticks 1, 1.2, …, 2.
        assert_eq!(x_ticks(0.97, 2.03, true), [1.0, 2.0]);
        assert_eq!(x_ticks(0.97, 2.03, false).len(), 6);
        assert_eq!(x_ticks(-0.3, 10.3, true), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
    }

    #[test]
    fn a_label_wider_than_the_plot_is_cut_to_fit() {
        assert_eq!(fit("k=1".into(), 100), "k=1");
        let long = "oversight.audit_probability=0.5 agents.harvesters.power=1".to_string();
        let cut = fit(long.clone(), 200);
        assert!(cut.ends_with('…') && long.starts_with(cut.trim_end_matches('…')), "{cut}");
        assert!(font::text_width(&cut, 1) <= 200 && font::text_width(&cut, 1) > 180, "{cut}");
        assert_eq!(fit(long, 0), "…");
    }

    #[test]
    fn the_legend_goes_where_it_hides_least() {
        let corners = [(700, 60), (100, 60), (700, 400), (100, 400)];
        assert_eq!(clearest(&corners, (80, 30), &[]), ((700, 60), 0), "the top right when all are clear");
        let crowded: Vec<(i64, i64)> = (0..50).map(|k| (700 + k, 70)).collect();
        assert_eq!(clearest(&corners, (80, 30), &crowded).0, (100, 60));
        let everywhere: Vec<(i64, i64)> =
            corners.iter().flat_map(|&(x, y)| [(x + 10, y + 10), (x + 20, y + 10)]).collect();
        let mut more = everywhere.clone();
        more.push((110, 410));
        assert_eq!(clearest(&corners, (80, 30), &more).0, (700, 60), "fewest hidden, the first of equals");
    }

    #[test]
    fn values_apart_only_by_rounding_are_drawn_as_one() {
        // A training's returns of 8 and 7.999999999999999 were drawn at the plot's top and
        // bottom under one label "8".
        let line = |ys: [f64; 2]| [Series { label: String::new(), points: vec![(1.0, ys[0], 0.0), (2.0, ys[1], 0.0)] }];
        let noisy = lines("t", "s", "update", &line([8.0, 7.999999999999999])).unwrap();
        let flat = lines("t", "s", "update", &line([8.0, 8.0])).unwrap();
        assert_eq!(noisy.rgba, flat.rgba);
        // A real difference, however small against the values, is still drawn.
        let apart = lines("t", "s", "update", &line([8.0, 7.9999])).unwrap();
        assert_ne!(apart.rgba, flat.rgba);
    }

    #[test]
    fn intervals_are_drawn_within_the_bounds() {
        // A share of 0.05 ± 0.3 over few seeds: its interval drawn from 0, not -0.25. The
        // plot's y range then starts just below 0 (6% padding), so the chart differs from
        // the unbounded one, which reaches down to -0.25.
        let s = [Series { label: String::new(), points: vec![(0.0, 0.05, 0.3), (1.0, 0.9, 0.3)] }];
        let bounded = lines_within("t", "s", "x", &s, (0.0, 1.0)).unwrap();
        let unbounded = lines("t", "s", "x", &s).unwrap();
        assert_ne!(bounded.rgba, unbounded.rgba);
        // Within bounds that do not cut, the same chart.
        let wide = lines_within("t", "s", "x", &s, (-1.0, 2.0)).unwrap();
        assert_eq!(wide.rgba, unbounded.rgba);
    }

    #[test]
    fn a_series_drawn_over_an_identical_one_says_so_in_the_legend() {
        let series = |label: &str, ys: &[f64]| Series {
            label: label.into(),
            points: ys.iter().enumerate().map(|(x, &y)| (x as f64, y, 0.1)).collect(),
        };
        let labels = legend_labels(&[
            series("p = 1", &[1.0, 2.0]),
            series("p = 0", &[1.0, 2.5]),
            series("p = -1", &[1.0, 2.0]),
            series("p = -2", &[1.0, 2.5]),
            series("none", &[]),
            series("none either", &[]),
            // Hidden by two later lines, a part under each (intervals aside).
            series("first", &[1.0, 3.0, 4.0, 6.0]),
            series("second", &[1.0, 3.0, 9.0]),
            Series { label: "third".into(), points: vec![(1.0, 3.0, 0.2), (2.0, 4.0, 0.2), (3.0, 6.0, 0.2)] },
            // Each point on a later line, but the segment between them on neither: it shows.
            series("seen", &[20.0, 22.0]),
            series("s1", &[20.0, 30.0]),
            series("s2", &[25.0, 22.0]),
            // Under one later line, which another meets at a point: only the one is named
            // (the first on each point was named: "a (under b and c)").
            series("a", &[7.0, 8.0, 9.0]),
            series("b", &[7.0, 5.0, 6.0]),
            series("c", &[7.0, 8.0, 9.0, 10.0]),
        ]);
        assert_eq!(
            labels,
            [
                "p = 1",
                "p = 0",
                "p = -1 (= p = 1, drawn over it)",
                "p = -2 (= p = 0, drawn over it)",
                "none",
                "none either",
                "first (under second and third)",
                "second",
                "third",
                "seen",
                "s1",
                "s2",
                "a (under c)",
                "b",
                "c"
            ]
        );
    }

    #[test]
    fn lines_on_the_same_pixels_are_the_same_to_the_legend() {
        // optimal-width.png: three depths' regrets differing in the fifth decimal were drawn as
        // one line with three legend entries and no word of it.
        let s = |label: &str, d: f64| Series {
            label: label.into(),
            points: vec![(1.0, 0.10438 + d, 0.026), (2.0, 0.03013 + d, 0.0099), (4.0, 0.00996 + d, 0.0055)],
        };
        let series = [s("H=1", 0.0), s("H=2", 3e-6), s("H=3", -2e-6)];
        assert_eq!(legend_labels(&series), ["H=1", "H=2", "H=3"], "not the same numbers");
        let pixel = |&(x, y, h): &(f64, f64, f64)| {
            [(x * 100.0).round() as i64, (y * 1e4).round() as i64, (h * 1e4).round() as i64, 0]
        };
        assert_eq!(
            legend_labels_by(&series, &pixel),
            ["H=1", "H=2 (≈ H=1, drawn over it)", "H=3 (≈ H=1, drawn over it)"]
        );
    }

    #[test]
    fn the_legend_gets_room_above_the_data_rather_than_hide_a_point() {
        // Points in all four corners of the plot: wherever the legend goes it hid one.
        let s = [
            Series { label: "high ends".into(), points: vec![(0.0, 10.0, 0.5), (1.0, 5.0, 0.5), (2.0, 10.0, 0.5)] },
            Series { label: "low ends".into(), points: vec![(0.0, 0.0, 0.5), (1.0, 5.0, 0.5), (2.0, 0.0, 0.5)] },
        ];
        let (first, hidden, height) = draw_lines("t", "s", "x", &s, UNBOUNDED, 0).unwrap();
        assert!(hidden > 0 && height > 0, "the legend hides {hidden} marks");
        let (_, hidden, _) = draw_lines("t", "s", "x", &s, UNBOUNDED, height + 12).unwrap();
        assert_eq!(hidden, 0);
        let drawn = lines("t", "s", "x", &s).unwrap();
        assert_ne!(drawn.rgba, first.rgba, "drawn with the room");
        // A chart whose legend hides nothing is drawn as before.
        let clear = [Series { label: "one".into(), points: vec![(0.0, 0.0, 0.1), (1.0, 1.0, 0.1)] }];
        assert_eq!(
            lines("t", "s", "x", &clear).unwrap().rgba,
            draw_lines("t", "s", "x", &clear, UNBOUNDED, 0).unwrap().0.rgba
        );
    }
}
