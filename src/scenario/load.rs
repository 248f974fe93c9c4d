//! Loading scenarios: from a built-in name, a `.ron` file, or a run's `run.json`, with every
//! problem reported at once as `FILE:LINE:COLUMN: field.path: what was expected`.

use std::fmt;
use std::path::Path;

use super::{Scenario, builtin, validate};
use crate::spanned_ron::{self, SpanIndex};

/// One problem with a scenario, located as precisely as we can.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The file (or `builtin:NAME`).
    pub file: String,
    /// 1-based line and column, when the problem is inside the file.
    pub position: Option<(usize, usize)>,
    /// The field path, e.g. `agents[0].selfishness`; empty for whole-file problems.
    pub path: String,
    /// What is wrong / what was expected.
    pub message: String,
    /// How to fix it, when that is obvious.
    pub hint: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": ")?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n    hint: {h}")?;
        }
        Ok(())
    }
}

/// Every problem found in one scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            writeln!(f, "{p}")?;
        }
        // `{:#}` leaves out "nothing was run": `polity check` runs nothing in any case.
        let n = self.0.len();
        write!(f, "{n} problem{} found", if n == 1 { "" } else { "s" })?;
        if !f.alternate() {
            write!(f, "; nothing was run")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

fn whole_file(file: &str, message: String, hint: Option<String>) -> Problems {
    Problems(vec![Problem { file: file.to_string(), position: None, path: String::new(), message, hint }])
}

/// The `--policy GROUP=FILE` flags that play a training folder's policies (its
/// `policies/*.safetensors`, by name; `GROUP` where it holds none yet).
fn policy_flags(dir: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("policies"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_suffix(".safetensors").map(String::from))
        .collect();
    names.sort();
    if names.is_empty() {
        names.push("GROUP".into());
    }
    let flags: Vec<String> = names
        .iter()
        .map(|n| format!("--policy {n}={}", dir.join("policies").join(format!("{n}.safetensors")).display()))
        .collect();
    flags.join(" ")
}

/// What to give instead of the folder `path`: a training folder's resume or policies, a run
/// folder's `run.json`, or the scenario file itself.
fn folder_hint(path: &Path, arg: &str) -> String {
    if path.join("train.json").is_file() {
        format!(
            "this is a training folder: go on training with `polity train --resume {arg}`, or play its policies with `{}`",
            policy_flags(path)
        )
    } else if path.join("run.json").is_file() {
        format!("this is a run folder: give `{}` to repeat the run", path.join("run.json").display())
    } else if path.join("checkpoint.ron").is_file() {
        format!(
            "this is an interrupted run's staging folder: go on with `polity run --resume {}`",
            path.join("checkpoint.ron").display()
        )
    } else {
        "give the scenario file itself, not its folder".to_string()
    }
}

/// Parses and validates scenario source text. `file` labels the messages; `default_name`
/// names the scenario when it does not name itself.
pub fn parse(src: &str, file: &str, default_name: &str) -> Result<Scenario, Problems> {
    let decoded = spanned_ron::decode::<Scenario>(src);
    let mut problems: Vec<Problem> = decoded
        .diagnostics
        .iter()
        .map(|d| Problem {
            file: file.to_string(),
            position: Some(spanned_ron::line_col(src, d.span.start)),
            path: d.path.clone(),
            message: d.message.clone(),
            hint: d.hint.clone().or_else(|| spawn_hint(&d.path, &d.message)),
        })
        .collect();
    // `At((1, 3))`'s second number is the same mistake as its first: said once, with the hint.
    let hinted: Vec<String> = (problems.iter())
        .filter(|p| spawn_hint(&p.path, &p.message).is_some())
        .map(|p| p.path.trim_end_matches("[0]").to_string())
        .collect();
    problems.retain(|p| {
        !(p.message.contains("expected a tuple of 2")
            && !p.path.ends_with("[0]")
            && hinted.iter().any(|h| p.path.starts_with(&format!("{h}["))))
    });
    // Check the meaning too, even when decoding found problems (on the value it recovered),
    // so every problem is reported in one pass; skip checks on fields already reported.
    // Not when the file's value as a whole was of the wrong kind (a list, a number): every
    // field would be a placeholder, each reported as if the file had set it.
    let placeholders = &decoded.placeholders;
    let not_a_struct = placeholders.iter().any(String::is_empty);
    if let Some(scenario) = decoded.value.as_ref().or(decoded.recovered.as_ref())
        && !not_a_struct
    {
        let reported: Vec<&str> = decoded.diagnostics.iter().map(|d| d.path.as_str()).collect();
        // Nor checks of a value made up of a placeholder: `(-1, 1)` was checked as `(0, 1)`.
        // (A field reported, a misspelt `gama` among them, leaves its neighbours' defaults
        // standing in: the checks treat its place as a placeholder's.)
        let unsure: Vec<String> = placeholders.iter().cloned().chain(reported.iter().map(|r| r.to_string())).collect();
        let fresh = validate::check_recovered(scenario, &unsure).into_iter().filter(|i| {
            !reported.iter().any(|r| within(&i.path, r)) && !placeholders.iter().any(|p| part_of(p, &i.path))
        });
        problems.extend(locate(fresh.collect(), src, file, &decoded.spans));
        problems.sort_by_key(|p| p.position);
    }
    if not_a_struct && let Some(p) = problems.iter_mut().find(|p| p.path.is_empty() && p.hint.is_none()) {
        p.hint = Some(
            "a scenario file holds one struct: `Scenario(version: 1, name: \"…\", map: …, agents: […], …)`; `polity scenarios` lists examples to start from"
                .into(),
        );
    }
    match decoded.value {
        Some(mut s) if problems.is_empty() => {
            if s.name.is_empty() {
                s.name = default_name.to_string();
            }
            Ok(s)
        }
        _ => Err(Problems(problems)),
    }
}

/// Whether `path` is `ancestor` or lies under it (`a.b[2]` is within `a.b`; `a.bc` is not).
pub(crate) fn within(path: &str, ancestor: &str) -> bool {
    path.strip_prefix(ancestor).is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// Whether `path` is `whole` or one of its direct parts (`a.b[0]` of `a.b`, not `a.b[0].c`).
fn part_of(path: &str, whole: &str) -> bool {
    if path == whole {
        return true;
    }
    if whole.is_empty() || !within(path, whole) {
        return false;
    }
    !path[whole.len() + 1..].contains(['.', '['])
}

/// The field a JSON decoder's "unknown field `x`, expected one of `a`, `b`, …" most likely meant.
fn unknown_field_guess(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field ")?;
    let (given, expected) = rest.split_once(", expected one of ")?;
    let strip = |s: &str| s.trim().trim_matches(|c| c == '`' || c == '\'').to_string();
    let given = strip(given);
    let names: Vec<String> = expected.split(", ").map(strip).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let guess = crate::spanned_ron::did_you_mean(&given, &names)?;
    // (Back into `message`, which outlives the candidates.)
    message.find(&format!("`{guess}`")).map(|at| &message[at + 1..at + 1 + guess.len()])
}

/// Places semantic issues at the span of the field they concern.
fn locate(issues: Vec<validate::Issue>, src: &str, file: &str, spans: &SpanIndex) -> Vec<Problem> {
    issues
        .into_iter()
        .map(|i| {
            let span = spans.nearest(&i.path);
            let at = match (i.char_index, spans.get(&i.path)) {
                (Some(k), Some(lit)) => spanned_ron::str_char_span(src, lit, k).unwrap_or(span),
                _ => span,
            };
            Problem {
                file: file.to_string(),
                position: Some(spanned_ron::line_col(src, at.start)),
                path: i.path,
                message: i.message,
                hint: i.hint,
            }
        })
        .collect()
}

/// Validates an already-typed scenario (from `run.json`), without source positions.
pub fn check_typed(s: Scenario, file: &str) -> Result<Scenario, Problems> {
    let issues = validate::check(&s);
    if issues.is_empty() {
        return Ok(s);
    }
    Err(Problems(
        issues
            .into_iter()
            .map(|i| Problem {
                file: file.to_string(),
                position: None,
                path: format!("scenario.{}", i.path),
                message: i.message,
                hint: i.hint,
            })
            .collect(),
    ))
}

/// Loads a scenario named on the command line: a built-in name, a path to a `.ron` file, or
/// a path to a run's `run.json` (which repeats that run's resolved scenario and seed).
pub fn load(arg: &str) -> Result<Scenario, Problems> {
    let path = Path::new(arg);
    // A folder is never a scenario: one named like a built-in (`mkdir commons`) leaves the
    // built-in's name to the built-in.
    if let Some(b) = builtin(arg) {
        if !path.is_file() {
            return b.scenario();
        }
        // A file named exactly like a built-in (no extension, no folder): either reading would
        // surprise someone, so neither is read.
        return Err(whole_file(
            arg,
            format!("`{arg}` names both the built-in scenario and a file in this folder"),
            Some(format!(
                "for the file, give its path (`./{arg}`); for the built-in, rename the file (e.g. to `{arg}.ron`) or run from another folder"
            )),
        ));
    }
    if !path.exists() {
        let looks_like_path =
            arg.contains('/') || arg.contains('\\') || arg.ends_with(".ron") || arg.ends_with(".json");
        if arg.trim().is_empty() {
            return Err(whole_file(
                "(empty)",
                "no scenario named: the scenario given is an empty string".into(),
                Some("give a built-in's name (`polity scenarios` lists them), or a path to a .ron file".into()),
            ));
        }
        if !looks_like_path {
            let names: Vec<&str> = super::BUILTINS.iter().map(|b| b.name).collect();
            let file = format!("{arg}.ron");
            let hint = if Path::new(&file).is_file() {
                format!("did you mean the file `{file}`? give the file's name with its extension")
            } else {
                match spanned_ron::did_you_mean(arg, &names) {
                    Some(n) => format!("did you mean the built-in `{n}`? `polity scenarios` lists them all"),
                    None => format!("built-ins are: {}; or give a path to a .ron file", names.join(", ")),
                }
            };
            return Err(whole_file(arg, "no built-in scenario by this name, and no such file".into(), Some(hint)));
        }
    }
    let bytes = read_source(path).map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::NotFound => {
                Some("check the path; `polity scenarios` lists the built-in scenarios".to_string())
            }
            std::io::ErrorKind::IsADirectory => Some(folder_hint(path, arg)),
            std::io::ErrorKind::FileTooLarge => Some("give the scenario's .ron file".to_string()),
            _ => None,
        };
        whole_file(arg, format!("cannot read the file: {e}"), hint)
    })?;
    // A policy file is binary: say what it is before saying it is not text.
    let binary = if bytes.starts_with(b"\x89PNG") {
        Some(("a PNG image", "give the scenario's .ron file"))
    } else if let Some(what) = path.extension().and_then(|e| e.to_str()).and_then(|e| match e {
        "csv" => Some("a CSV table (a run's metrics.csv or agents.csv?)"),
        "jsonl" => Some("a JSON-lines file (a run's events.jsonl?)"),
        "gif" | "mp4" | "webm" => Some("a video"),
        _ => None,
    }) {
        Some((what, "give the scenario's .ron file, or a run's run.json to repeat the run"))
    } else if path.extension().is_some_and(|e| e == "safetensors") {
        Some((
            "a policy file (safetensors)",
            "play it in a scenario with `--policy GROUP=FILE` (or `Learned(weights: \"FILE\")` in the scenario's group)",
        ))
    } else {
        None
    };
    if let Some((what, hint)) = binary {
        return Err(whole_file(arg, format!("this is {what}, not a scenario"), Some(hint.into())));
    }
    let src = match std::str::from_utf8(&bytes) {
        Ok(s) => s,
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            let (line, col) = spanned_ron::line_col(valid, valid.len());
            return Err(Problems(vec![Problem {
                file: arg.to_string(),
                position: Some((line, col)),
                path: String::new(),
                message: format!(
                    "the file is not UTF-8 text (byte 0x{:02x} at offset {})",
                    bytes[e.valid_up_to()],
                    e.valid_up_to()
                ),
                hint: Some("save the scenario as UTF-8".into()),
            }]));
        }
    };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("scenario");
    if path.extension().is_some_and(|e| e == "json") {
        // A byte-order mark, as some editors save: read past, as in a .ron file.
        return load_run_json(src.strip_prefix('\u{feff}').unwrap_or(src), arg);
    }
    // (How a checkpoint starts: `checkpoint::is_checkpoint`, a layer above this one.)
    if src.trim_start_matches('\u{feff}').starts_with("(format:") {
        return Err(whole_file(
            arg,
            "this is a checkpoint (a run's whole state), not a scenario".into(),
            Some(format!("go on with the run: `polity run --resume {arg}`; or open it in the app: `polity gui {arg}`")),
        ));
    }
    if spanned_ron::struct_name(src) == Some("Sweep") {
        return Err(whole_file(
            arg,
            "this is a sweep file (its value is `Sweep(…)`), not a scenario".into(),
            Some(format!("run it with `polity sweep {arg} --out DIR`; its `base` names the scenario it varies")),
        ));
    }
    parse(src, arg, stem)
}

fn load_run_json(src: &str, file: &str) -> Result<Scenario, Problems> {
    from_run_json(src, file)
}

/// Where the `,` that JSON wants before the value at `line:column` (1-based) goes: at the end
/// of the last line before it that holds anything, when the value starts its line.
fn missing_comma(src: &str, line: usize, column: usize) -> String {
    let starts_line = src
        .lines()
        .nth(line.saturating_sub(1))
        .is_some_and(|l| l.chars().take(column.saturating_sub(1)).all(char::is_whitespace));
    let before = src.lines().take(line.saturating_sub(1)).enumerate().filter(|(_, l)| !l.trim().is_empty()).last();
    match before {
        Some((k, _)) if starts_line => {
            format!("is a `,` missing at the end of line {}? JSON puts one between values", k + 1)
        }
        _ => format!("is a `,` missing before {line}:{column}? JSON puts one between values"),
    }
}

/// Just the scenario of a `run.json`: other fields are not needed to repeat the run.
#[derive(serde::Deserialize)]
struct Repeat {
    #[serde(default)]
    scenario: Option<Scenario>,
    #[serde(default)]
    policies: Vec<crate::policy_file::PlayedPolicy>,
    /// What ran: the same as `scenario.run`'s, which is what a repeat reads.
    seed: Option<u64>,
    ticks: Option<u64>,
}

/// The scenario of a `run.json`'s text, checked; `file` labels the problems.
pub fn from_run_json(src: &str, file: &str) -> Result<Scenario, Problems> {
    let one = |position, path: String, message: String, hint: Option<String>| {
        Problems(vec![Problem { file: file.to_string(), position, path, message, hint }])
    };
    let repeat: Repeat = crate::json::from_str(src).map_err(|e| {
        let path = crate::json::path_at(src, e.line, e.column).unwrap_or_default();
        // (Columns count from 1; serde_json gives 0 at the end of a line cut short.)
        let position = (e.line > 0).then_some((e.line, e.column.max(1)));
        if e.null_number {
            let beside = Path::new(file).with_file_name("scenario.ron");
            one(
                position,
                path,
                format!(
                    "{}: older Polity versions wrote infinite numbers (`inf`, `-inf`) into run.json as null, which loses them, so this run cannot be repeated from its run.json",
                    crate::json::NULL_NUMBER
                ),
                Some(format!(
                    "repeat it from the scenario.ron beside it, which kept them: `polity run {}` (it holds the same seed and ticks)",
                    beside.display()
                )),
            )
        } else {
            let beside = Path::new(file).with_file_name("scenario.ron");
            let hint = match unknown_field_guess(&e.message) {
                Some(g) => Some(format!("did you mean `{g}`?")),
                // Found at the next field: the `,` missing is at the end of the value before it.
                None if e.message.starts_with("expected `,` or `") => Some(missing_comma(src, e.line, e.column)),
                None if e.message.starts_with("the file ends in the middle") => Some(format!(
                    "`polity run` writes run.json whole; use the one it wrote, or repeat the run from the scenario.ron beside it: `polity run {}`",
                    beside.display()
                )),
                None => path.is_empty().then(|| "run.json files are written by `polity run`; use the one it wrote".into()),
            };
            one(position, path, e.message, hint)
        }
    })?;
    let Some(scenario) = repeat.scenario else {
        // A training's or a sweep's own JSON names what it is; say what to run instead.
        let dir = std::path::Path::new(file).parent().filter(|d| !d.as_os_str().is_empty());
        let dir = dir.map_or(".".to_string(), |d| d.display().to_string());
        let (message, hint) = match std::path::Path::new(file).file_name().and_then(|n| n.to_str()) {
            Some("train.json") => (
                "this is a training folder's train.json, not a run's run.json".to_string(),
                Some(format!(
                    "play what it trained with `polity run {dir}/scenario.ron {}`, or go on training with `polity train --resume {dir}`",
                    policy_flags(std::path::Path::new(&dir))
                )),
            ),
            Some("sweep.json") => (
                "this is a sweep folder's sweep.json, not a run's run.json".to_string(),
                Some(format!("summarise it with `polity sweep-report {dir}`")),
            ),
            _ => ("this JSON file has no `scenario` field; is it a run's run.json?".to_string(), None),
        };
        return Err(one(None, String::new(), message, hint));
    };
    let scenario = check_typed(scenario, file).map_err(|Problems(ps)| {
        Problems(
            ps.into_iter()
                .map(|mut p| {
                    p.position = p.position.or_else(|| crate::json::position_of(src, &p.path));
                    p
                })
                .collect(),
        )
    })?;
    // The policy files must still hold the weights the run played, or it would not repeat.
    let mut problems = Vec::new();
    // The top-level seed and ticks report what ran; edited apart from `scenario.run`'s, which
    // a repeat reads, they would be silently ignored.
    for (field, top, run) in [("seed", repeat.seed, scenario.run.seed), ("ticks", repeat.ticks, scenario.run.ticks)] {
        if let Some(top) = top.filter(|&t| t != run) {
            problems.push(Problem {
                file: file.to_string(),
                position: crate::json::position_of(src, field),
                path: field.to_string(),
                message: format!(
                    "`{field}` is {top} but the scenario's `run.{field}` is {run}; a repeat runs what `scenario.run` says, \
                     and the top-level `{field}` only reports what ran"
                ),
                hint: Some(format!(
                    "make the two agree: a repeat runs `scenario.run.{field}` ({run}); set the top-level `{field}` to {run} as well to run that, or `scenario.run.{field}` to {top} to repeat what ran"
                )),
            });
        }
    }
    for (i, played) in repeat.policies.iter().enumerate() {
        let now = crate::policy_file::weights_hash(&played.file).map(|h| format!("{h:016x}")).map_err(|p| p.message);
        if now.as_deref() == Ok(played.weights_hash.as_str()) {
            continue;
        }
        let path = format!("policies[{i}].weights_hash");
        problems.push(Problem {
            file: file.to_string(),
            position: crate::json::position_of(src, &path),
            message: match now {
                Ok(h) => format!(
                    "group `{}` played `{}` with weights {}, but the file now holds weights {h} (trained again or replaced), so this run would not repeat",
                    played.group, played.file, played.weights_hash
                ),
                Err(e) => format!("group `{}` played `{}`, which cannot be read now: {e}", played.group, played.file),
            },
            path,
            hint: Some(
                "put the file the run played back; or, to play the file as it is now, run the scenario.ron beside this run.json"
                    .into(),
            ),
        });
    }
    if problems.is_empty() { Ok(scenario) } else { Err(Problems(problems)) }
}

/// Where the field `path` is (its line and column) in the scenario file `arg` names, for a
/// problem found once the scenario is loaded (what `polity train` refuses of it); the nearest
/// field written when that one is not. None for a built-in, a run.json or an unreadable file.
pub fn position_of(arg: &str, path: &str) -> Option<(usize, usize)> {
    let file = Path::new(arg);
    if builtin(arg).is_some() || !file.is_file() || file.extension().is_some_and(|e| e == "json") {
        return None;
    }
    let bytes = read_source(file).ok()?;
    let src = std::str::from_utf8(&bytes).ok()?;
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let span = spanned_ron::decode::<Scenario>(src).spans.nearest(path);
    Some(spanned_ron::line_col(src, span.start))
}

/// The most bytes a scenario or sweep file may have (the largest built-in is a few kB; a
/// 1000×1000 ASCII map is 1 MB).
pub const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// Reads a scenario or sweep file, refusing one larger than [`MAX_SOURCE_BYTES`], or a device
/// or a pipe ([`crate::input::read`]), before it fills the memory or waits for ever.
pub fn read_source(path: &Path) -> std::io::Result<Vec<u8>> {
    crate::input::read(path, MAX_SOURCE_BYTES, "a scenario or sweep file")
}

/// `At((1, 3))` reads as a list of the two numbers 1 and 3, each then "not a tuple of 2": say
/// what `At` takes.
fn spawn_hint(path: &str, message: &str) -> Option<String> {
    let spawn = path.split('.').next_back().is_some_and(|last| last == "spawn[0]");
    (spawn && message.contains("expected a tuple of 2")).then(|| {
        "`At` takes a list of cells, each `(x, y)`: `At([(1, 3)])`, or `At([(1, 3), (4, 2)])` for several".into()
    })
}
