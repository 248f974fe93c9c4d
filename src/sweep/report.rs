//! Summaries of a sweep's table: per parameter combination, the mean and 95% confidence
//! interval (Student t) of each kept metric over the replicates; and a PNG plot of one metric
//! against one parameter, drawn with the recorder's painter and bitmap font.

use std::fs;
use std::path::Path;

use crate::paint::Canvas;
use crate::paint::font;
use crate::stats::Summary;

/// A results table, read back.
#[derive(Clone, Debug)]
pub struct Table {
    /// Parameter paths, in order.
    pub parameters: Vec<String>,
    /// Kept metric columns (series files left out).
    pub metrics: Vec<String>,
    /// Per row: parameter values and metric values.
    pub rows: Vec<(Vec<f64>, Vec<f64>)>,
}

/// Reads a sweep folder's table (`results.csv`), or a table file.
pub fn read(path: &Path) -> Result<Table, String> {
    let file = if path.is_dir() { path.join("results.csv") } else { path.to_path_buf() };
    let text = fs::read_to_string(&file).map_err(|e| {
        format!("{}: cannot read: {e}\n    hint: run the sweep to its end, or merge its shards first", file.display())
    })?;
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().ok_or_else(|| format!("{}: empty", file.display()))?.split(',').collect();
    let seed =
        head.iter().position(|&c| c == "seed").ok_or_else(|| format!("{}: not a sweep table", file.display()))?;
    let ticks =
        head.iter().position(|&c| c == "ticks_run").ok_or_else(|| format!("{}: not a sweep table", file.display()))?;
    let parameters: Vec<String> = head[seed + 1..ticks].iter().map(|s| s.to_string()).collect();
    let metric_cols: Vec<usize> = (ticks + 1..head.len()).filter(|&i| !head[i].ends_with("_series")).collect();
    let metrics = metric_cols.iter().map(|&i| head[i].to_string()).collect();
    let mut rows = Vec::new();
    for (k, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let num = |i: usize| -> Result<f64, String> {
            cells.get(i).and_then(|c| c.parse().ok()).ok_or_else(|| format!("{}:{}: bad row", file.display(), k + 2))
        };
        let params = (seed + 1..ticks).map(num).collect::<Result<Vec<f64>, String>>()?;
        let vals = metric_cols.iter().map(|&i| num(i)).collect::<Result<Vec<f64>, String>>()?;
        rows.push((params, vals));
    }
    Ok(Table { parameters, metrics, rows })
}

/// One combination's summaries, in table order.
#[derive(Clone, Debug)]
pub struct Group {
    /// Its parameter values.
    pub values: Vec<f64>,
    /// Each metric's summary over its replicates.
    pub summaries: Vec<Summary>,
}

/// Groups the rows by parameter values (in order of first appearance) and summarises.
pub fn summarise(t: &Table) -> Vec<Group> {
    let mut keys: Vec<Vec<f64>> = Vec::new();
    for (p, _) in &t.rows {
        if !keys.iter().any(|k| k == p) {
            keys.push(p.clone());
        }
    }
    keys.into_iter()
        .map(|values| {
            let summaries = (0..t.metrics.len())
                .map(|m| {
                    let xs: Vec<f64> = t.rows.iter().filter(|(p, _)| *p == values).map(|(_, v)| v[m]).collect();
                    Summary::of(&xs)
                })
                .collect();
            Group { values, summaries }
        })
        .collect()
}

/// The summaries as aligned text: one line per combination.
pub fn text(t: &Table, groups: &[Group]) -> String {
    let mut head: Vec<String> = t.parameters.clone();
    head.push("n".into());
    head.extend(t.metrics.iter().map(|m| format!("{m} (mean ± 95% CI)")));
    let mut lines: Vec<Vec<String>> = vec![head];
    for g in groups {
        let mut cells: Vec<String> = g.values.iter().map(|v| format!("{v}")).collect();
        cells.push(g.summaries.first().map_or(0, |s| s.n).to_string());
        for s in &g.summaries {
            cells.push(if s.half_width.is_nan() {
                format!("{:.4}", s.mean)
            } else {
                format!("{:.4} ± {:.4}", s.mean, s.half_width)
            });
        }
        lines.push(cells);
    }
    let widths: Vec<usize> =
        (0..lines[0].len()).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for l in &lines {
        let cells: Vec<String> = l.iter().zip(&widths).map(|(c, &w)| format!("{c:>w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Nice tick values covering [lo, hi].
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(1e-12);
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| span / s <= 6.0).unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() * step;
    (0..).map(|k| first + k as f64 * step).take_while(|v| *v <= hi + step * 1e-9).collect()
}

fn label(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// The plot lines' colours, one per combination in turn (`plot.0` … `plot.5` in
/// `assets/palette.txt`).
const PALETTE: [[u8; 4]; 6] = {
    use crate::paint::theme::color;
    [color("plot.0"), color("plot.1"), color("plot.2"), color("plot.3"), color("plot.4"), color("plot.5")]
};

/// Plots `metric` (mean ± 95% CI) against parameter `x`, one line per combination of the
/// other parameters, into an 800×500 image.
pub fn plot(t: &Table, groups: &[Group], metric: &str, x: &str) -> Result<Canvas, String> {
    let m = t
        .metrics
        .iter()
        .position(|c| c == metric)
        .ok_or_else(|| format!("no kept metric `{metric}` in the table; it has: {}", t.metrics.join(", ")))?;
    let xi = t
        .parameters
        .iter()
        .position(|c| c == x)
        .ok_or_else(|| format!("no parameter `{x}` in the table; it has: {}", t.parameters.join(", ")))?;
    // Lines: other parameters' values → points (x, mean, half width).
    let mut lines: Vec<(Vec<f64>, Vec<(f64, f64, f64)>)> = Vec::new();
    for g in groups {
        let others: Vec<f64> = g.values.iter().enumerate().filter(|(k, _)| *k != xi).map(|(_, v)| *v).collect();
        let s = &g.summaries[m];
        let pt = (g.values[xi], s.mean, if s.half_width.is_nan() { 0.0 } else { s.half_width });
        match lines.iter_mut().find(|(k, _)| *k == others) {
            Some((_, pts)) => pts.push(pt),
            None => lines.push((others, vec![pt])),
        }
    }
    for (_, pts) in &mut lines {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let all = lines.iter().flat_map(|(_, p)| p.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(px, py, h) in all {
        if py.is_finite() {
            (x0, x1, y0, y1) = (x0.min(px), x1.max(px), y0.min(py - h), y1.max(py + h));
        }
    }
    if !x0.is_finite() || !y0.is_finite() {
        return Err(format!("`{metric}` has no finite values to plot"));
    }
    if x1 == x0 {
        (x0, x1) = (x0 - 1.0, x1 + 1.0);
    }
    if y1 == y0 {
        (y0, y1) = (y0 - 1.0, y1 + 1.0);
    }
    let pad = (y1 - y0) * 0.06;
    (y0, y1) = (y0 - pad, y1 + pad);
    let (w, h) = (800u32, 500u32);
    let bg = [24, 26, 32, 255];
    let fg = [220, 220, 220, 255];
    let grid = [52, 56, 66, 255];
    let mut c = Canvas::new(w, h, bg);
    let (left, right, top, bottom) = (90i64, w as i64 - 40, 56i64, h as i64 - 70);
    let sx = |v: f64| left + ((v - x0) / (x1 - x0) * (right - left) as f64).round() as i64;
    let sy = |v: f64| bottom - ((v - y0) / (y1 - y0) * (bottom - top) as f64).round() as i64;
    font::draw(&mut c, left, 10, 2, &format!("{metric} vs {x}"), fg, w as i64 - 10);
    let n = groups.first().and_then(|g| g.summaries.get(m)).map_or(0, |s| s.n);
    let sub = format!("mean and 95% confidence interval over {n} replicates per point");
    font::draw(&mut c, left, 32, 1, &sub, [150, 150, 160, 255], w as i64 - 10);
    for v in ticks(y0, y1) {
        let y = sy(v);
        c.fill(left, y, right - left, 1, grid);
        let l = label(v);
        font::draw(&mut c, left - 8 - font::text_width(&l, 1) as i64 * 2, y - 7, 2, &l, fg, left);
    }
    for v in ticks(x0, x1) {
        let px = sx(v);
        c.fill(px, top, 1, bottom - top, grid);
        let l = label(v);
        font::draw(&mut c, px - font::text_width(&l, 2) as i64 / 2, bottom + 8, 2, &l, fg, w as i64);
    }
    c.fill(left, top, 1, bottom - top + 1, fg);
    c.fill(left, bottom, right - left + 1, 1, fg);
    font::draw(&mut c, (left + right) / 2 - font::text_width(x, 2) as i64 / 2, bottom + 34, 2, x, fg, w as i64);
    for (k, (others, pts)) in lines.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        for pair in pts.windows(2) {
            line(&mut c, (sx(pair[0].0), sy(pair[0].1)), (sx(pair[1].0), sy(pair[1].1)), color);
        }
        for &(px, py, hw) in pts {
            let (cx, cy) = (sx(px), sy(py));
            c.fill(cx, sy(py + hw), 1, (sy(py - hw) - sy(py + hw)).max(1), color);
            c.fill(cx - 4, sy(py + hw), 9, 1, color);
            c.fill(cx - 4, sy(py - hw), 9, 1, color);
            c.disc(cx as f64 + 0.5, cy as f64 + 0.5, 4.0, color);
        }
        if lines.len() > 1 {
            let names: Vec<&String> =
                t.parameters.iter().enumerate().filter(|(i, _)| *i != xi).map(|(_, n)| n).collect();
            let text: Vec<String> = names.iter().zip(others).map(|(n, v)| format!("{n}={}", label(*v))).collect();
            let ly = top + 6 + 14 * k as i64;
            c.fill(right - 250, ly + 3, 14, 3, color);
            font::draw(&mut c, right - 230, ly, 1, &text.join(" "), fg, right);
        }
    }
    Ok(c)
}

fn line(c: &mut Canvas, (x0, y0): (i64, i64), (x1, y1): (i64, i64), color: [u8; 4]) {
    let n = (x1 - x0).abs().max((y1 - y0).abs()).max(1);
    for k in 0..=n {
        let x = x0 + (x1 - x0) * k / n;
        let y = y0 + (y1 - y0) * k / n;
        c.fill(x, y, 2, 2, color);
    }
}
