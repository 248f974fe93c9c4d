//! The sweep file: what to vary, how often, with which seeds, what to keep, when to stop —
//! parsed with every problem reported at FILE:LINE:COLUMN, and checked against the base
//! scenario (each parameter path must name a number there, each value must pass the
//! scenario's own validation, each kept metric must exist).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::plan::Run;
use crate::scenario::{self, Problem, Problems, Scenario};
use crate::spanned_ron;

/// A sweep file. It is written `Sweep(…)` (or unnamed): serde's name for it is the file's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Sweep")]
pub struct SweepSpec {
    /// Format version; must be 1.
    pub version: u32,
    /// The base scenario: a built-in name, or a `.ron` path relative to the sweep file.
    pub base: String,
    /// The parameters varied, every combination of their values (the first varies slowest).
    pub parameters: Vec<Parameter>,
    /// Runs per combination. Default 1.
    #[serde(default = "one")]
    pub replicates: u32,
    /// Where seeds come from. Default `(from: 0, rule: PerReplicate)`.
    #[serde(default)]
    pub seeds: SeedRule,
    /// Ticks per run. Default: the base scenario's `run.ticks`.
    #[serde(default)]
    pub ticks: Option<u64>,
    /// What to keep of each run.
    pub keep: Vec<Keep>,
    /// End a run early when this holds after a tick. Default: none.
    #[serde(default)]
    pub stop: Option<Stop>,
}

fn one() -> u32 {
    1
}

/// One varied parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// The scenario field, e.g. `tax.rates[2]`, `agents.ai.power`, `oversight.k`.
    pub path: String,
    /// The values it takes: a list, or an evenly spaced range.
    pub values: Values,
}

/// A parameter's values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Values {
    /// These values, in order.
    List(Vec<f64>),
    /// `steps` values evenly spaced from `from` to `to`, both included.
    Range {
        /// First value.
        from: f64,
        /// Last value.
        to: f64,
        /// How many values, ≥ 2 (both ends are included; fewer is refused at load, as the
        /// voting menu's `Range` does).
        steps: u32,
    },
}

/// The most runs one sweep file may hold (values × replicates).
pub const MAX_RUNS: u64 = 10_000_000;

impl Values {
    /// How many values.
    pub fn len(&self) -> usize {
        match self {
            Values::List(v) => v.len(),
            Values::Range { steps, .. } => *steps as usize,
        }
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The values, in order.
    pub fn expand(&self) -> Vec<f64> {
        match self {
            Values::List(v) => v.clone(),
            Values::Range { from, to, steps } => match *steps {
                0 => Vec::new(),
                1 => vec![*from],
                n => (0..n).map(|k| evenly(*from, *to, k, n)).collect(),
            },
        }
    }
}

/// The `k`-th of `n` values evenly spaced from `from` to `to`: the ends exactly, and a value
/// between them at 15 significant digits, so the float noise of the arithmetic
/// (0.30000000000000004, 0.9999999999999999) does not reach a table, a plot's labels or
/// the scenario of a run (which then equals a plain run given the value as written).
fn evenly(from: f64, to: f64, k: u32, n: u32) -> f64 {
    match k {
        0 => from,
        k if k + 1 == n => to,
        k => {
            let x = from + (to - from) * k as f64 / (n - 1) as f64;
            format!("{x:.14e}").parse().unwrap_or(x)
        }
    }
}

/// How each run's seed is chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedRule {
    /// The first seed. Default 0.
    pub from: u64,
    /// `PerReplicate`: replicate r of every combination gets seed `from + r`, so combinations
    /// are compared on the same luck (common random numbers). `PerRun`: run n gets `from + n`.
    pub rule: SeedKind,
}

impl Default for SeedRule {
    fn default() -> Self {
        SeedRule { from: 0, rule: SeedKind::PerReplicate }
    }
}

/// See [`SeedRule`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeedKind {
    /// `from + replicate`.
    #[default]
    PerReplicate,
    /// `from + run number`.
    PerRun,
}

/// What to keep of a metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Keep {
    /// Its value after the last tick run: column `NAME`.
    End(String),
    /// Its mean over the last `last` ticks run: column `NAME_mean_last_N`.
    Mean(String, u64),
    /// Its whole series, one file per run under `series/`: column `NAME_series` (the file).
    Series(String),
}

impl Keep {
    /// The metric it keeps.
    pub fn metric(&self) -> &str {
        match self {
            Keep::End(m) | Keep::Mean(m, _) | Keep::Series(m) => m,
        }
    }
    /// Its column in the results table.
    pub fn column(&self) -> String {
        match self {
            Keep::End(m) => m.clone(),
            Keep::Mean(m, n) => format!("{m}_mean_last_{n}"),
            Keep::Series(m) => format!("{m}_series"),
        }
    }
}

/// A stop condition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Stop {
    /// When the metric falls to or below the value.
    Below(String, f64),
    /// When the metric rises to or above the value.
    Above(String, f64),
}

impl Stop {
    /// The metric it watches.
    pub fn metric(&self) -> &str {
        match self {
            Stop::Below(m, _) | Stop::Above(m, _) => m,
        }
    }
    /// Whether it holds for `v`.
    pub fn holds(&self, v: f64) -> bool {
        match self {
            Stop::Below(_, x) => v <= *x,
            Stop::Above(_, x) => v >= *x,
        }
    }
}

/// A sweep ready to run: the spec, the base scenario's RON text, the parameters' values, and
/// the hash that names it.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The spec as written.
    pub spec: SweepSpec,
    /// The base scenario, resolved, as RON text (parameters are spliced into it).
    pub base_ron: String,
    /// The base scenario.
    pub base: Scenario,
    /// Each parameter's values.
    pub values: Vec<Vec<f64>>,
    /// Ticks per run (when `run.ticks` is varied, each run's scenario says its own).
    pub ticks: u64,
    /// A digest of everything that determines the results.
    pub hash: u64,
}

fn problem(file: &str, src: &str, spans: &spanned_ron::SpanIndex, path: &str, message: String) -> Problem {
    let at = spans.nearest(path);
    Problem {
        file: file.to_string(),
        position: Some(spanned_ron::line_col(src, at.start)),
        path: path.to_string(),
        message,
        hint: None,
    }
}

/// The path of the run's length: varied, it sets each run's ticks (the sweep's `ticks` must
/// then be left out).
pub const RUN_TICKS: &str = "run.ticks";

/// Why a scenario path cannot be varied by a sweep, for paths that would be accepted by the
/// splicing but could not change the run.
pub fn refused_path(path: &str) -> Option<String> {
    let why = match path {
        "run.seed" => {
            "`run.seed` is set by the sweep itself: each run's seed comes from `seeds: (from: …, rule: …)` and its replicate; vary seeds with `replicates` and `seeds`"
        }
        "run.agents_every" => "`run.agents_every` only changes agents.csv, which a sweep does not write",
        "version" => "`version` is the scenario format's version, not a parameter",
        p if p == "learning" || p.starts_with("learning.") => {
            "the `learning` settings change only how `polity train` trains; a sweep plays the scenario's policies as they are (play trained ones with `--policy GROUP=FILE`)"
        }
        "principal.planner.delta" => {
            "`principal.planner.delta` only changes the guarantee a run reports (run.json, paa_decision events), which a sweep does not keep; to change the plan, vary `principal.planner.budget.delta` of a `Guarantee(…)` budget"
        }
        "principal.planner.threads" => {
            "`principal.planner.threads` does not change the run: the planner decides the same for any number of threads"
        }
        _ => return None,
    };
    Some(why.to_string())
}

/// Why a path, which the base scenario has, could not change its runs: a part of the
/// scenario that this base never uses.
pub fn inert_path(base: &Scenario, path: &str) -> Option<String> {
    let under = |prefix: &str| {
        path == prefix || path.starts_with(&format!("{prefix}.")) || path.starts_with(&format!("{prefix}["))
    };
    if under("principal.planner")
        && let Some(p) = &base.principal
        && p.policy != scenario::PrincipalPolicy::Paa
        && p.shield.is_none()
    {
        return Some(format!(
            "`{path}` changes nothing in this base: the planner is used only by a `Paa` principal and by a shield, and the base's principal ({}) has neither\n    hint: vary it over a base with `principal: (policy: Paa)` or a `shield`",
            format!("{:?}", p.policy).split('(').next().unwrap_or_default().trim_matches('"')
        ));
    }
    None
}

/// `s` with the values its tax preset gives by default written out: the brackets and first
/// rates. The same runs; only now a sweep's path can name them (`tax.rates[2]` of
/// `tax: (preset: Sed)`).
pub fn with_defaults(mut s: Scenario) -> Scenario {
    if let Some(t) = &mut s.tax {
        t.brackets = Some(t.brackets());
        t.rates = Some(t.rates());
    }
    s
}

/// A change made to a sweep's base scenario before anything is checked (the CLI's
/// `--policy GROUP=FILE`); its error becomes a problem at `base`.
pub type BaseEdit<'a> = &'a dyn Fn(&mut Scenario) -> Result<(), String>;

/// Whether RON source text is a sweep file: its value is a struct named `Sweep` (after any
/// comments and whitespace).
pub fn is_sweep_source(src: &str) -> bool {
    spanned_ron::struct_name(src) == Some("Sweep")
}

/// Reads and checks a sweep file.
pub fn load(path: &Path) -> Result<Sweep, Problems> {
    load_with(path, &|_| Ok(()))
}

/// Reads and checks a sweep file whose base scenario `edit` changes first (the changed base is
/// what the runs splice into and what the sweep's hash covers).
pub fn load_with(path: &Path, edit: BaseEdit) -> Result<Sweep, Problems> {
    let file = path.display().to_string();
    let whole = |message: String| {
        Problems(vec![Problem { file: file.clone(), position: None, path: String::new(), message, hint: None }])
    };
    if !path.exists() && crate::scenario::builtin(&file).is_some() {
        // `polity sweep commons`: a built-in scenario's name, where a sweep file goes.
        return Err(Problems(vec![Problem {
            file: file.clone(),
            position: None,
            path: String::new(),
            message: "this is the name of a built-in scenario, not a sweep file".into(),
            hint: Some(format!(
                "run it with `polity run {file}`, or write a sweep file with `base: \"{file}\"` that varies its fields (docs/sweeps.md; `polity sweep --help` has one)"
            )),
        }]));
    }
    let bytes = crate::scenario::read_source(path).map_err(|e| whole(format!("cannot read the sweep file: {e}")))?;
    let src = String::from_utf8(bytes).map_err(|_| whole("the sweep file is not UTF-8 text".into()))?;
    parse_with(&src, &file, path.parent().unwrap_or(Path::new(".")), edit)
}

/// Parses and checks sweep source text; `dir` is where relative base paths start.
pub fn parse(src: &str, file: &str, dir: &Path) -> Result<Sweep, Problems> {
    parse_with(src, file, dir, &|_| Ok(()))
}

/// [`parse`], with the base scenario changed by `edit` first.
pub fn parse_with(src: &str, file: &str, dir: &Path, edit: BaseEdit) -> Result<Sweep, Problems> {
    if spanned_ron::struct_name(src) == Some("Scenario") {
        return Err(Problems(vec![Problem {
            file: file.to_string(),
            position: None,
            path: String::new(),
            message: "this is a scenario (its value is `Scenario(…)`), not a sweep file".into(),
            hint: Some(format!(
                "run it with `polity run {file}`, or write a sweep file with `base: \"{file}\"` that varies its fields (docs/sweeps.md)"
            )),
        }]));
    }
    let decoded = spanned_ron::decode::<SweepSpec>(src);
    let to_problem = |d: &spanned_ron::Diagnostic| Problem {
        file: file.to_string(),
        position: Some(spanned_ron::line_col(src, d.span.start)),
        path: d.path.clone(),
        message: d.message.clone(),
        hint: d.hint.clone(),
    };
    let mut problems: Vec<Problem> = decoded.diagnostics.iter().map(to_problem).collect();
    // The meaning is checked even when decoding found problems (on the value it recovered), so
    // every problem is reported in one pass; not where a problem was already reported.
    // A file whose value is not a struct at all (a list, a number) has that one problem.
    let not_a_struct = decoded.placeholders.iter().any(String::is_empty);
    let Some(spec) = decoded.value.or(decoded.recovered).filter(|_| !not_a_struct) else {
        return Err(Problems(problems));
    };
    let reported: Vec<String> = decoded.diagnostics.iter().map(|d| d.path.clone()).collect();
    let missing_base = decoded.diagnostics.iter().any(|d| d.message.contains("missing field `base`"));
    let spans = &decoded.spans;
    // Problems found so far, decoding's and the checks' below (`problems` is the closure's).
    let found = std::cell::Cell::new(problems.len());
    let mut err = |path: &str, message: String| {
        found.set(found.get() + 1);
        let near = |r: &String| scenario::within(path, r) || scenario::within(r, path);
        if !reported.iter().any(near) {
            problems.push(problem(file, src, spans, path, message));
        }
    };
    if spec.version != 1 {
        err("version", format!("the sweep format version must be 1, found {}", spec.version));
    }
    if spec.replicates == 0 {
        err("replicates", "at least 1 replicate".into());
    }
    // How many runs the sweep holds (values × replicates; a sweep of 0 replicates is refused
    // above and counted as one): the seeds it needs and the run limit below both read it.
    let runs = (spec.parameters.iter().map(|p| p.values.len() as u128))
        .fold(spec.replicates.max(1) as u128, |a, n| a.saturating_mul(n));
    // The seeds a sweep gives are `from` plus the replicate (or the run's number): past the
    // largest u64 they would wrap around to 0.
    let seeds_needed = match spec.seeds.rule {
        SeedKind::PerReplicate => spec.replicates as u128,
        SeedKind::PerRun => runs,
    };
    if seeds_needed > 0 && spec.seeds.from as u128 + seeds_needed - 1 > u64::MAX as u128 {
        err(
            "seeds.from",
            format!(
                "seeds from {} for {seeds_needed} {} run past the largest seed, {}; start lower (at most {})",
                spec.seeds.from,
                if spec.seeds.rule == SeedKind::PerRun { "runs" } else { "replicates" },
                u64::MAX,
                (u64::MAX as u128 + 1).saturating_sub(seeds_needed)
            ),
        );
    }
    if spec.parameters.is_empty() {
        err("parameters", "name at least one parameter to vary".into());
    }
    if spec.keep.is_empty() {
        err("keep", "keep at least one metric, e.g. `keep: [End(\"patches_alive\")]`".into());
    }
    // Parameters already refused for their path, whose values are not spliced in.
    let mut refused = Vec::new();
    for (k, p) in spec.parameters.iter().enumerate() {
        if let Values::Range { steps, from, to } = &p.values {
            if !from.is_finite() || !to.is_finite() {
                err(&format!("parameters[{k}].values"), "a range needs finite ends".into());
            }
            if *steps < 2 {
                let only =
                    if *steps == 1 { format!("; for the one value use `List([{from:?}])`") } else { String::new() };
                err(
                    &format!("parameters[{k}].values.steps"),
                    format!("a range needs at least 2 steps (both ends are included), found {steps}{only}"),
                );
            }
            if from == to && from.is_finite() && *steps >= 2 {
                err(
                    &format!("parameters[{k}].values"),
                    format!(
                        "a range from {from:?} to itself gives one value {steps} times: the same runs, reported as one combination; for the one value use `List([{from:?}])`"
                    ),
                );
            }
        } else if p.values.is_empty() {
            err(&format!("parameters[{k}].values"), "no values".into());
        } else if let Values::List(vs) = &p.values {
            // A value listed twice would be the same runs (the same seeds) twice, which the
            // report then counts as one combination with twice the replicates.
            for (j, v) in vs.iter().enumerate() {
                if let Some(i) = vs[..j].iter().position(|w| w == v) {
                    err(
                        &format!("parameters[{k}].values[{j}]"),
                        format!(
                            "{v:?} is already values[{i}]; list each value once (for more runs of it, raise `replicates`)"
                        ),
                    );
                }
            }
        }
        if let Some(why) = refused_path(&p.path) {
            err(&format!("parameters[{k}].path"), why);
            refused.push(k);
        }
        // Varied twice, a path would run only its later values, under both columns' labels.
        if let Some(first) = spec.parameters[..k].iter().position(|q| q.path == p.path) {
            err(
                &format!("parameters[{k}].path"),
                format!("`{}` is already varied by parameters[{first}]; put all its values in one list", p.path),
            );
        }
        if p.path == RUN_TICKS && spec.ticks.is_some() {
            err(
                "ticks",
                format!(
                    "the sweep varies `{RUN_TICKS}` (parameters[{k}]), so it cannot also fix `ticks`; leave `ticks` out"
                ),
            );
        }
    }
    // A column kept twice would be two columns of one name.
    for (k, keep) in spec.keep.iter().enumerate() {
        if let Some(first) = spec.keep[..k].iter().position(|q| q.column() == keep.column()) {
            err(
                &format!("keep[{k}]"),
                format!("column `{}` is already kept by keep[{first}]; keep it once", keep.column()),
            );
        }
    }
    // Every run is a row of the table: a sweep of more than MAX_RUNS would not finish, and
    // checking its values alone would take long (a Range's steps are each checked).
    let too_many = runs > MAX_RUNS as u128;
    if too_many {
        let sizes: Vec<String> = spec.parameters.iter().map(|p| p.values.len().to_string()).collect();
        err(
            "parameters",
            format!(
                "this sweep has {} runs ({} × {}); one sweep runs at most {MAX_RUNS}\n    \
                 hint: fewer values or steps, fewer replicates, or several sweep files",
                if runs < 1_000_000_000_000 { runs.to_string() } else { format!("{runs:.3e}") },
                if sizes.len() == 1 && sizes[0] == "1" {
                    "1 value".to_string()
                } else {
                    format!("{} values", sizes.join(" × "))
                },
                if spec.replicates.max(1) == 1 {
                    "1 replicate".to_string()
                } else {
                    format!("{} replicates", spec.replicates.max(1))
                }
            ),
        );
    }
    // The base scenario.
    // A relative path is beside the sweep file, and only there (a file of that name in the
    // working folder is not looked at: the sweep runs the same from any folder); a name with
    // no such file beside it is a built-in's.
    let beside = dir.join(&spec.base);
    let base_arg = if Path::new(&spec.base).is_relative()
        && !dir.as_os_str().is_empty()
        && (beside.exists() || scenario::builtin(&spec.base).is_none())
    {
        beside.to_string_lossy().into_owned()
    } else {
        spec.base.clone()
    };
    let base = if spec.base.trim().is_empty() {
        // (A `base` left out is already reported as a missing field.)
        if !missing_base {
            err("base", "name the base scenario the sweep varies: a built-in name or a .ron file".into());
        }
        None
    } else {
        match scenario::load(&base_arg) {
            Ok(mut s) => match edit(&mut s) {
                Ok(()) => Some(s),
                Err(e) => {
                    err("base", e);
                    None
                }
            },
            Err(p) => {
                let first = p.0.first().map(|x| x.to_string()).unwrap_or_default();
                err("base", format!("the base scenario does not load: {first}"));
                None
            }
        }
    };
    let mut sweep = None;
    if let Some(base) = base {
        let ticks = spec.ticks.unwrap_or(base.run.ticks);
        if ticks == 0 {
            let message = match spec.ticks {
                Some(_) => "a run needs at least 1 tick, found `ticks: Some(0)`".to_string(),
                None => "a run needs at least 1 tick, and the base runs 0 (its `run.ticks`); set `ticks: Some(N)` in the sweep".to_string(),
            };
            err("ticks", message);
        }
        // The defaults a preset or a rule gives are written out, so a sweep can vary them.
        let base = with_defaults(base);
        let base_ron = scenario::to_ron(&base);
        for (k, p) in spec.parameters.iter().enumerate() {
            if !refused.contains(&k)
                && let Some(why) = inert_path(&base, &p.path)
            {
                err(&format!("parameters[{k}].path"), why);
                refused.push(k);
            }
        }
        // Two spellings of one field (`agents.harvesters.power`, `agents[1].power`): the later
        // would overwrite the earlier in every run, under both columns' labels.
        let spans: Vec<Option<std::ops::Range<usize>>> =
            spec.parameters.iter().map(|p| spanned_ron::number_at(&base_ron, &p.path).ok().map(|x| x.0)).collect();
        for (k, p) in spec.parameters.iter().enumerate() {
            let first = spans[..k].iter().position(|s| s.is_some() && *s == spans[k]);
            if let Some(first) = first
                && spec.parameters[first].path != p.path
                && !refused.contains(&k)
            {
                err(
                    &format!("parameters[{k}].path"),
                    format!(
                        "`{}` is the field parameters[{first}] varies (`{}`); vary it once, with all its values in one list",
                        p.path, spec.parameters[first].path
                    ),
                );
                refused.push(k);
            }
        }
        let values: Vec<Vec<f64>> =
            if too_many { Vec::new() } else { spec.parameters.iter().map(|p| p.values.expand()).collect() };
        // Every value of every parameter must splice in and pass the scenario's checks.
        for (k, (p, vs)) in spec.parameters.iter().zip(&values).enumerate() {
            if too_many {
                break;
            }
            if refused.contains(&k) {
                continue;
            }
            for (j, &v) in vs.iter().enumerate() {
                if crate::outputs::interrupted() {
                    err("parameters", "interrupted while checking the values; nothing was run".into());
                    break;
                }
                let at = match &p.values {
                    Values::List(_) => format!("parameters[{k}].values[{j}]"),
                    Values::Range { .. } => format!("parameters[{k}].values"),
                };
                if p.path == RUN_TICKS && v < 1.0 {
                    err(&at, format!("{RUN_TICKS} = {v}: a run needs at least 1 tick"));
                    continue;
                }
                match spanned_ron::splice_number(&base_ron, &p.path, v) {
                    Err(e) => {
                        err(&format!("parameters[{k}].path"), e);
                        break;
                    }
                    Ok(text) => {
                        if let Err(ps) = scenario::parse(&text, "base", &base.name)
                            && !valid_with_others(&text, k, &spec, &values, &refused, &base.name)
                        {
                            let why: Vec<String> = ps.0.iter().map(|x| format!("{}: {}", x.path, x.message)).collect();
                            err(&at, format!("{} = {v} makes the scenario invalid: {}", p.path, why.join("; ")));
                        }
                    }
                }
            }
        }
        // Kept metrics and the stop metric must be columns of the base scenario's metrics.
        let columns: Vec<String> = {
            let sim = crate::sim::Sim::new(&base, 0, 1);
            sim.world().resource::<crate::metrics::MetricsLog>().columns().iter().map(|c| c.to_string()).collect()
        };
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        let check_metric = |m: &str, at: &str, err: &mut dyn FnMut(&str, String)| {
            if !columns.iter().any(|c| c == m) {
                let hint = spanned_ron::did_you_mean(m, &names)
                    .map(|n| format!("did you mean `{n}`?"))
                    .unwrap_or_else(|| format!("metrics of `{}`: {}", base.name, names.join(", ")));
                err(at, format!("no metric `{m}` in this scenario; {hint}"));
            }
        };
        // The most ticks a run has: the sweep's, or the most a varied `run.ticks` gives.
        let longest = (spec.parameters.iter().zip(&values))
            .filter(|(p, _)| p.path == RUN_TICKS)
            .flat_map(|(_, vs)| vs.iter().map(|&v| v as u64))
            .max()
            .unwrap_or(ticks);
        for (k, keep) in spec.keep.iter().enumerate() {
            check_metric(keep.metric(), &format!("keep[{k}]"), &mut err);
            if let Keep::Mean(m, 0) = keep {
                let fix = format!("e.g. `Mean({m:?}, 100)` for the mean of its last 100 ticks");
                err(&format!("keep[{k}]"), format!("a mean must be over at least 1 tick, found 0 ({fix})"));
            }
            // Its column would be named for ticks no run has (`…_mean_last_1000` of 100).
            if let Keep::Mean(m, n) = keep
                && *n > longest
                && !values.is_empty()
            {
                err(
                    &format!("keep[{k}]"),
                    format!(
                        "a mean over the last {n} ticks, but no run has more than {longest}; give at most {longest} (`Mean({m:?}, {longest})` is the mean of a whole run)"
                    ),
                );
            }
        }
        if let Some(stop) = &spec.stop {
            check_metric(stop.metric(), "stop", &mut err);
            // NaN stops no run and cannot be written back into sweep.json as the number it is:
            // the sweep refused its own folder as edited, after making it.
            if let Stop::Below(_, x) | Stop::Above(_, x) = stop
                && x.is_nan()
            {
                err("stop", "the threshold is NaN, which no value is below or above; give a number".to_string());
            }
        }
        let canonical = ron::to_string(&spec).expect("specs serialise") + &base_ron + &ticks.to_string();
        let mut h = crate::hash::Fnv::new();
        h.write(canonical.as_bytes());
        // The weights the runs play, not only their files' names: a policy file trained on
        // between a sweep's stop and its resume made a table of two policies' runs. (None
        // played: the hash of a sweep without policy files is as it was.)
        for p in crate::run_json::played(&base) {
            h.write(format!("{}={} {}", p.group, p.file, p.weights_hash).as_bytes());
        }
        let whole = Sweep { spec: spec.clone(), base_ron, base, values, ticks, hash: h.finish() };
        // Each value passed alone; a combination of them can still make the scenario invalid
        // (two counts that together need more spawn points than the map has) or take away a
        // kept metric (no AI agents: no `power_used_ai`). Every combination is built and its
        // columns read, once the values alone passed.
        if found.get() == 0 && !too_many {
            combinations_problems(&whole, &columns, &mut err);
        }
        sweep = Some(whole);
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.position);
        return Err(Problems(problems));
    }
    Ok(sweep.expect("no problems means a sweep"))
}

/// Whether `text` (the base with parameter `k`'s value spliced in, invalid alone) is valid
/// with some values of the other parameters: a value that depends on another (a million agents
/// on a map the sweep also widens) is then no problem of its own, and the combinations that
/// are invalid are said as such. Looks at the first [`LOOKED_AT`] combinations of the others.
fn valid_with_others(
    text: &str,
    k: usize,
    spec: &SweepSpec,
    values: &[Vec<f64>],
    refused: &[usize],
    name: &str,
) -> bool {
    const LOOKED_AT: usize = 200;
    let others: Vec<usize> =
        (0..spec.parameters.len()).filter(|j| *j != k && !refused.contains(j) && !values[*j].is_empty()).collect();
    if others.is_empty() {
        return false;
    }
    let mut at = vec![0usize; others.len()];
    for _ in 0..LOOKED_AT {
        let mut spliced = text.to_string();
        for (&j, &i) in others.iter().zip(&at) {
            match spanned_ron::splice_number(&spliced, &spec.parameters[j].path, values[j][i]) {
                Ok(t) => spliced = t,
                Err(_) => return false,
            }
        }
        if scenario::parse(&spliced, "base", name).is_ok() {
            return true;
        }
        // The next combination of the others, the last one fastest.
        let mut d = others.len();
        loop {
            if d == 0 {
                return false;
            }
            d -= 1;
            at[d] += 1;
            if at[d] < values[others[d]].len() {
                break;
            }
            at[d] = 0;
        }
    }
    false
}

/// The first problems of the sweep's combinations (see the caller): a combination that makes
/// the scenario invalid is reported at `parameters`, one without a kept or stop metric at that
/// `keep[k]` or `stop`; a few of each, then how many more.
fn combinations_problems(sweep: &Sweep, base_columns: &[String], err: &mut dyn FnMut(&str, String)) {
    const SHOWN: usize = 3;
    let (mut invalid, mut missing) = (0u64, std::collections::BTreeMap::<String, (String, u64)>::new());
    let reps = sweep.spec.replicates.max(1) as u64;
    let label = |run: &Run| -> String {
        let pairs: Vec<String> =
            sweep.spec.parameters.iter().zip(&run.values).map(|(p, v)| format!("{} = {v}", p.path)).collect();
        pairs.join(", ")
    };
    // A long check says so once it can tell how long (200,000 combinations were checked for
    // minutes without a word).
    let started = std::time::Instant::now();
    let total = sweep.combinations();
    let mut said = false;
    for c in 0..total {
        if crate::outputs::interrupted() {
            err("parameters", "interrupted while checking the combinations; nothing was run".into());
            return;
        }
        let spent = started.elapsed().as_secs_f64();
        if !said && (c >= 50 || spent > 1.0) {
            said = true;
            let left = spent / c.max(1) as f64 * (total - c) as f64;
            if left > 5.0 {
                crate::tell_err!(
                    "checking each of the sweep's {total} combinations: about {} more (Ctrl-C stops)",
                    crate::cost::duration(left)
                );
            }
        }
        let run = sweep.run(c * reps);
        let s = match sweep.try_scenario(&run) {
            Ok(s) => s,
            Err(why) => {
                invalid += 1;
                if invalid <= SHOWN as u64 {
                    err("parameters", format!("the combination {} makes the scenario invalid: {why}", label(&run)));
                }
                continue;
            }
        };
        // A world that does not fit in memory is not built here (a 10-million-agent base took
        // 10 GB before anything was said): `polity sweep` refuses it, or runs it with --force,
        // its columns unchecked.
        if !crate::cost::fits(&crate::cost::memory(&s, 1), crate::cost::available_memory()) {
            continue;
        }
        let sim = crate::sim::Sim::new(&s, 0, 1);
        let columns = sim.world().resource::<crate::metrics::MetricsLog>().columns();
        let wanted = sweep.spec.keep.iter().enumerate().map(|(k, keep)| (format!("keep[{k}]"), keep.metric()));
        let wanted = wanted.chain(sweep.spec.stop.iter().map(|stop| ("stop".to_string(), stop.metric())));
        for (at, metric) in wanted {
            if base_columns.iter().any(|c| c == metric) && !columns.iter().any(|c| c == metric) {
                let e = missing.entry(at.clone()).or_insert_with(|| (String::new(), 0));
                e.1 += 1;
                if e.1 == 1 {
                    let so = if at == "stop" {
                        "its run's stop rule would watch nothing"
                    } else {
                        "its run would have no value to keep"
                    };
                    e.0 = format!(
                        "the combination {} has no metric `{metric}` (its world does not measure it), so {so}",
                        label(&run)
                    );
                }
            }
        }
    }
    if invalid > SHOWN as u64 {
        err("parameters", format!("and {} more combinations make the scenario invalid", invalid - SHOWN as u64));
    }
    for (at, (first, n)) in missing {
        let more = if n > 1 { format!(" (and {} more combinations)", n - 1) } else { String::new() };
        let fix = if at == "stop" { "watch a metric" } else { "keep a metric" };
        err(&at, format!("{first}{more}; {fix} every run has, or leave those values out"));
    }
}
