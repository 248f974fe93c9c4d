//! Summaries of a sweep's table: per parameter combination, the mean and 95% confidence
//! interval (Student t) of each kept metric over the replicates; and a PNG plot of one metric
//! against one parameter, drawn with the recorder's painter and bitmap font.

use std::fs;
use std::path::Path;

use crate::paint::Canvas;
use crate::paint::chart::{self, Series};
use crate::stats::Summary;

/// A results table, read back.
#[derive(Clone, Debug)]
pub struct Table {
    /// Parameter paths, in order.
    pub parameters: Vec<String>,
    /// Kept metric columns (series files left out).
    pub metrics: Vec<String>,
    /// The metrics kept as series (a file per run, column `NAME_series`), which are not summarised.
    pub series: Vec<String>,
    /// Per row: parameter values and metric values.
    pub rows: Vec<(Vec<f64>, Vec<f64>)>,
}

/// Reads a sweep folder's table (`results.csv`), or a table file.
pub fn read(path: &Path) -> Result<Table, String> {
    if fs::metadata(path).is_err() {
        return Err(format!(
            "{}: no such folder or file\n    hint: give the folder a sweep wrote (its --out), or a results.csv",
            path.display()
        ));
    }
    let file = if path.is_dir() { path.join("results.csv") } else { path.to_path_buf() };
    let text = crate::input::read_text(&file).map_err(|e| {
        // A shard's folder holds its own table; an unfinished sweep's, its rows.
        let shard = path.is_dir().then(|| fs::read_dir(path).ok()).flatten().and_then(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .find(|n| n.starts_with("results-shard-") && n.ends_with(".csv"))
        });
        let hint = match shard {
            Some(name) => format!(
                "this is one shard's folder: join the shards' folders with `polity sweep-merge`, or report this shard \
                 alone: `polity sweep-report {}`",
                path.join(name).display()
            ),
            None if path.join("sweep.json").is_file() => {
                "the sweep has not finished: run the same `polity sweep` command again to finish it".into()
            }
            None if path.join("run.json").is_file() || path.join("train.json").is_file() => {
                let what =
                    if path.join("run.json").is_file() { "`polity run`'s run folder" } else { "a training's folder" };
                format!(
                    "this is {what}, not a sweep's: sweep-report summarises the table a `polity sweep` wrote; \
                     to compare scenarios over seeds use `polity compare`, or sweep a parameter with `polity sweep`"
                )
            }
            None if e.kind() == std::io::ErrorKind::InvalidData => {
                return format!(
                    "{}: not a sweep's table: it is not text (a sweep writes its table as CSV)\n    \
                     hint: give the folder a sweep wrote (its --out), or its results.csv",
                    file.display()
                );
            }
            // A device or a pipe, not a table.
            None if e.kind() == std::io::ErrorKind::InvalidInput => {
                "give the folder a sweep wrote (its --out), or its results.csv".into()
            }
            None => "run the sweep to its end, or merge its shards first".into(),
        };
        format!("{}: cannot read: {e}\n    hint: {hint}", file.display())
    })?;
    let bad = |why: String| format!("{}: {why}", file.display());
    const GIVE: &str = "hint: give the folder a sweep wrote (its --out), or its results.csv";
    let mut reader = crate::tables::reader(&text);
    let head: Vec<String> = reader.headers().map_err(|e| bad(e.to_string()))?.iter().map(String::from).collect();
    if head.is_empty() {
        return Err(bad(format!("empty: not a sweep's table\n    {GIVE}")));
    }
    let not_sweep = || bad(format!("not a sweep's table (its header has no `seed` and `ticks_run`)\n    {GIVE}"));
    let seed = head.iter().position(|c| c == "seed").ok_or_else(not_sweep)?;
    let ticks = head.iter().position(|c| c == "ticks_run").ok_or_else(not_sweep)?;
    let parameters: Vec<String> = head[seed + 1..ticks].to_vec();
    // `ticks_run` first: summarised (and plotted) when runs stopped at different ticks (a
    // sweep with a `stop` rule), left out when every run ran the same ticks.
    let mut metric_cols: Vec<usize> =
        std::iter::once(ticks).chain((ticks + 1..head.len()).filter(|&i| !head[i].ends_with("_series"))).collect();
    let series: Vec<String> =
        head[ticks + 1..].iter().filter_map(|c| c.strip_suffix("_series")).map(String::from).collect();
    let run = head.iter().position(|c| c == "run");
    let mut seen_runs: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut rows = Vec::new();
    for (k, record) in reader.records().enumerate() {
        let line = k + 2;
        let cells = record.map_err(|e| match e.kind() {
            // (It said "CSV error: record 2 (line: 3, byte: 162): found record with 10 fields…".)
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!(
                "{}:{line}: {len} cells where the header has {expected_len}; a sweep's table has as many on every \
                 line\n    hint: put the line back as the sweep wrote it, or give the sweep's folder to read its runs \
                 again",
                file.display()
            ),
            _ => bad(e.to_string()),
        })?;
        let num = |i: usize| -> Result<f64, String> {
            let cell = cells.get(i).unwrap_or("");
            cell.parse()
                .map_err(|_| format!("{}:{line}: column `{}` is `{cell}`, not a number", file.display(), head[i]))
        };
        if let Some(r) = run.and_then(|i| cells.get(i))
            && let Some(first) = seen_runs.insert(r.to_string(), line)
        {
            return Err(format!(
                "{}:{line}: run {r} is already on line {first}; a table holds each run once (two rows of one run would count as two replicates)",
                file.display()
            ));
        }
        let params = (seed + 1..ticks).map(num).collect::<Result<Vec<f64>, String>>()?;
        let vals = metric_cols.iter().map(|&i| num(i)).collect::<Result<Vec<f64>, String>>()?;
        rows.push((params, vals));
    }
    if rows.is_empty() {
        return Err(bad("the table has a header and no runs: nothing to summarise".into()));
    }
    if rows.iter().all(|(_, v)| v[0] == rows[0].1[0]) {
        metric_cols.remove(0);
        for (_, v) in &mut rows {
            v.remove(0);
        }
    }
    if metric_cols.is_empty() {
        // Only series kept (a file per run): nothing here is one number a run to summarise.
        let first = series.first().map_or("apples", String::as_str);
        return Err(bad(format!(
            "the sweep kept only series ({}: a file per run), which sweep-report does not summarise, and every run ran \
             the same ticks: nothing to summarise\n    hint: keep End(\"{first}\") or Mean(\"{first}\", N) in the sweep's \
             `keep` too, and run the sweep again",
            series.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
        )));
    }
    let metrics = metric_cols.iter().map(|&i| head[i].clone()).collect();
    Ok(Table { parameters, metrics, series, rows })
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

/// The summaries as a tidy CSV table for analysis: one row per combination and metric —
/// each parameter's value, `metric`, `n` (replicates), `mean`, `sd`, `ci95` (the 95%
/// interval's half-width, Student t) and the interval's ends `low` and `high`; numbers in their
/// shortest round-trip form, `NaN` where undefined (one replicate has no spread).
pub fn csv(t: &Table, groups: &[Group]) -> String {
    let mut w = crate::tables::writer(Vec::new());
    let head = t.parameters.iter().map(String::as_str).chain(["metric", "n", "mean", "sd", "ci95", "low", "high"]);
    w.write_record(head).expect("writing to memory");
    for g in groups {
        for (metric, s) in t.metrics.iter().zip(&g.summaries) {
            // The parameters' values as results.csv writes them (`2`, not `2.0`).
            let mut row: Vec<String> = g.values.iter().map(f64::to_string).collect();
            row.push(metric.clone());
            row.push(s.n.to_string());
            for x in [s.mean, s.sd, s.half_width, s.mean - s.half_width, s.mean + s.half_width] {
                row.push(crate::tables::real(x));
            }
            w.write_record(&row).expect("writing to memory");
        }
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("fields are text")
}

/// Plots `metric` (mean ± 95% CI) against parameter `x`, one line per combination of the
/// other parameters, into an 800×500 image.
pub fn plot(t: &Table, groups: &[Group], metric: &str, x: &str) -> Result<Canvas, String> {
    let m = t.metrics.iter().position(|c| c == metric).ok_or_else(|| {
        if t.series.iter().any(|s| s == metric) {
            return format!(
                "--plot {metric}: `{metric}` is kept as a series (a file per run, column {metric}_series), which \
                 sweep-report does not summarise; keep it as End(\"{metric}\") or Mean(\"{metric}\", N) too to plot it; the \
                 table's summarised metrics: {}",
                t.metrics.join(", ")
            );
        }
        if metric == "ticks_run" {
            return format!(
                "--plot ticks_run: every run of the table ran the same ticks (no `stop` rule cut one short): nothing to plot; its kept metrics: {}",
                t.metrics.join(", ")
            );
        }
        format!("--plot {metric}: no kept metric `{metric}` in the table; it has: {}", t.metrics.join(", "))
    });
    let xi = t
        .parameters
        .iter()
        .position(|c| c == x)
        .ok_or_else(|| format!("--x {x}: no parameter `{x}` in the table; it has: {}", t.parameters.join(", ")));
    // Both wrong: both said.
    let (m, xi) = match (m, xi) {
        (Ok(m), Ok(xi)) => (m, xi),
        (m, xi) => return Err([m.err(), xi.err()].into_iter().flatten().collect::<Vec<_>>().join("\nerror: ")),
    };
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
    let n = groups.first().and_then(|g| g.summaries.get(m)).map_or(0, |s| s.n);
    let names: Vec<&String> = t.parameters.iter().enumerate().filter(|(i, _)| *i != xi).map(|(_, n)| n).collect();
    // Each line's parameters by their whole paths, or by their last parts where the whole
    // would not fit in a legend (three parameters' did not).
    let label = |others: &[f64], short: bool| {
        let name = |n: &str| if short { n.rsplit('.').next().unwrap_or(n).to_string() } else { n.to_string() };
        names.iter().zip(others).map(|(n, v)| format!("{}={}", name(n), chart::label(*v))).collect::<Vec<_>>().join(" ")
    };
    // (Only where the last parts tell the parameters apart: two groups' `power` would not.)
    let lasts: std::collections::BTreeSet<&str> = names.iter().map(|n| n.rsplit('.').next().unwrap_or(n)).collect();
    let short = lasts.len() == names.len() && lines.iter().any(|(others, _)| label(others, false).chars().count() > 40);
    let series: Vec<Series> =
        lines.into_iter().map(|(others, points)| Series { label: label(&others, short), points }).collect();
    // Each interval within the values the metric can take (patches alive reached below 0).
    // (`ticks_run`, a sweep's own column: a run's ticks, never below 0.)
    let bounds = if metric == "ticks_run" { (0.0, f64::INFINITY) } else { crate::columns::bounds(metric) };
    let within = if bounds == chart::UNBOUNDED { "" } else { ", drawn within the metric's range" };
    chart::lines_within(
        &format!("{metric} vs {x}"),
        &format!("mean and 95% confidence interval over {n} replicates per point{within}"),
        x,
        &series,
        bounds,
    )
    .ok_or_else(|| format!("`{metric}` has no finite values to plot"))
}
