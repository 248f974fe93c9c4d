//! Spanned RON: decodes scenario files with serde and reports every problem at once, each with a
//! byte span, the field path, a message and a hint. Owns the public API; `parse` turns the text
//! into a spanned tree, `de` deserializes that tree while recording diagnostics and recovering.
//!
//! Paths: struct fields `run.ticks`, elements of lists, tuples and tuple-variant payloads `[i]`
//! (`agents[0].selfishness[1]`), newtype-variant payloads take the enum value's own path, map entries by key (`['W']`,
//! `["name"]`, `[5]`). An unknown or duplicate field is reported at its name with the path it would
//! have had (`agents[0].selfishnes`); an unknown variant at its name with the enum value's path.
//!
//! Recovery: a value of the wrong kind is reported and replaced by a placeholder (false, 0, 0.0,
//! '?', "", empty list/map, None, a struct of placeholder fields, the first variant); a misspelt
//! variant decodes as the suggested one with its payload's own problems muted. A field a struct
//! needs and was not given is reported at the struct, filled in with a placeholder, and the
//! file decoded again, so the problems after it are reported too; any other error of a
//! visitor's own is reported once at the value and ends decoding.

mod de;
mod parse;

use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub span: Span,
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
}

fn diagnostic(span: Span, path: String, message: String, hint: Option<String>) -> Diagnostic {
    Diagnostic { span, path, message, hint }
}

/// path -> span of the value at that path (see the module docs for the path syntax). Root path is "".
#[derive(Clone, Debug, Default)]
pub struct SpanIndex {
    pub map: BTreeMap<String, Span>,
}

impl SpanIndex {
    pub fn get(&self, path: &str) -> Option<Span> {
        self.map.get(path).copied()
    }

    /// The span for `path`, or of its nearest recorded ancestor, or the root.
    pub fn nearest(&self, path: &str) -> Span {
        let cuts = path.char_indices().rev().filter(|&(_, c)| c == '.' || c == '[');
        let mut prefixes = [path.len()].into_iter().chain(cuts.map(|(i, _)| i)).chain([0]);
        prefixes.find_map(|i| self.get(&path[..i])).unwrap_or_default()
    }
}

pub struct Decoded<T> {
    /// The decoded value; Some only when `diagnostics` is empty.
    pub value: Option<T>,
    /// The value decoding recovered despite diagnostics (placeholders where values were wrong),
    /// for semantic checks that want to report more problems in the same pass; None after a
    /// syntax error or a visitor error.
    pub recovered: Option<T>,
    pub spans: SpanIndex,
    pub diagnostics: Vec<Diagnostic>,
    /// The paths where `recovered` holds a placeholder (a wrong or missing value's stand-in:
    /// 0, '?', "", …), so checks on it can leave those values, and what they make up, alone.
    pub placeholders: Vec<String>,
}

/// Parses and deserializes `src`, reporting every problem (sorted by position): each syntax
/// error the parser could go on past ([`parse::parse_all`]; an element that did not parse
/// stands in as a placeholder, not reported again) and every type/field problem of the rest.
/// A syntax error that ends the parse leaves only the syntax errors. `value` is Some only when
/// there are no problems.
pub fn decode<T: serde::de::DeserializeOwned>(src: &str) -> Decoded<T> {
    let (value, spans, mut diagnostics, placeholders) = match parse::parse_all(src) {
        (None, syntax) => (None, SpanIndex::default(), syntax, Vec::new()),
        (Some(node), syntax) => {
            let (result, ctx) = de::deserialize::<T>(&node);
            let mut diags = syntax;
            let quiet = diags.is_empty() && ctx.diags.is_empty();
            diags.extend(ctx.diags);
            if let Err(e) = &result
                && quiet
            {
                diags.push(diagnostic(node.span, String::new(), e.0.clone(), None));
            }
            (result.ok(), ctx.spans, diags, ctx.placeholders)
        }
    };
    diagnostics.sort_by_key(|d| d.span.start);
    let (value, recovered) = if diagnostics.is_empty() { (value, None) } else { (None, value) };
    Decoded { value, recovered, spans, diagnostics, placeholders }
}

/// 1-based line and column (in chars) of a byte offset; offsets past the end clamp.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = src[..offset].matches('\n').count() + 1;
    // A byte-order mark is not a column an editor shows.
    let line_start = if line_start == 0 && src.starts_with(BOM) { BOM.len_utf8().min(offset) } else { line_start };
    (line, src[line_start..offset].chars().count() + 1)
}

/// The byte-order mark some editors put at the start of a UTF-8 file; read as whitespace.
pub const BOM: char = '\u{feff}';

/// The name of the struct RON source text holds (`Scenario`, `Sweep`), after any comments,
/// attributes and whitespace; `None` for an unnamed value or other text.
pub fn struct_name(src: &str) -> Option<&str> {
    let mut rest = src.trim_start_matches(BOM);
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, after)| after);
        } else if rest.starts_with("#![") {
            rest = rest.split_once(']').map_or("", |(_, after)| after);
        } else {
            break;
        }
    }
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    let (name, after) = rest.split_at(end);
    (!name.is_empty() && name.starts_with(|c: char| c.is_ascii_alphabetic()) && after.trim_start().starts_with('('))
        .then_some(name)
}

/// The span of the `n`-th (0-based) content character of the string (or char) literal at `literal`,
/// counting an escape such as `\n` or `\u{e9}` as one character; raw strings `r#"…"#` too.
pub fn str_char_span(src: &str, literal: Span, n: usize) -> Option<Span> {
    let lit = src.get(literal.start..literal.end)?;
    let raw = lit.strip_prefix('r').map(|r| r.trim_start_matches('#')).filter(|r| r.starts_with('"'));
    if raw.is_none() && !lit.starts_with(['"', '\'']) {
        return None;
    }
    let hashes = raw.map(|r| lit.len() - 1 - r.len());
    let open = hashes.map_or(1, |h| h + 2);
    let inner = lit.get(open..lit.len().checked_sub(open - usize::from(hashes.is_some()))?)?;
    let mut chars = inner.char_indices();
    let mut units = std::iter::from_fn(|| {
        let (i, c) = chars.next()?;
        let mut end = i + c.len_utf8();
        if c == '\\' && hashes.is_none() {
            let (j, e) = chars.next()?;
            end = j + e.len_utf8();
            while e == 'u' && !inner[..end].ends_with('}') {
                end = chars.next().map_or(inner.len(), |(j, c)| j + c.len_utf8());
                if end == inner.len() {
                    break;
                }
            }
        }
        Some((i, end))
    });
    let (i, end) = units.nth(n)?;
    Some(Span { start: literal.start + open + i, end: literal.start + open + end })
}

/// Closest candidate by Damerau-Levenshtein (optimal string alignment) distance, case-insensitive,
/// if that distance is at most max(1, len/3) of `word`; ties go to the first candidate.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word: Vec<char> = word.to_lowercase().chars().collect();
    let max = (word.len() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for &cand in candidates {
        let d = distance(&word, &cand.to_lowercase().chars().collect::<Vec<_>>());
        if d <= max && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, cand));
        }
    }
    // The one candidate the word is the start of, or that starts the word, with at least three
    // letters in common (`PerRep` for `PerReplicate`, `patches` for `patches_alive`, `taxes`
    // for `tax`): that candidate, unless another is one slip away (`PerRep` is two from
    // `PerRun`).
    let word: String = word.iter().collect();
    let mut related = candidates.iter().filter(|c| {
        let c = c.to_lowercase();
        c.len().min(word.len()) >= 3 && (c.starts_with(&word) || word.starts_with(&c))
    });
    let unique = match (related.next(), related.next()) {
        (Some(c), None) => Some(*c),
        _ => None,
    };
    match best {
        Some((d, c)) if d < 2 || unique.is_none() => Some(c),
        _ => unique,
    }
}

/// Optimal-string-alignment distance (edits, with adjacent transpositions counting once).
fn distance(a: &[char], b: &[char]) -> usize {
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            d[i][j] = if i == 0 || j == 0 {
                i + j
            } else {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
                let swap = i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1];
                if swap { v.min(d[i - 2][j - 2] + 1) } else { v }
            };
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::parse::brackets;
    use super::*;
    use serde::Deserialize;

    #[test]
    fn paths_are_read_as_written_or_refused() {
        let src = "Scenario(agents: [(count: 1), (count: 2)])";
        assert_eq!(number_at(src, "agents[1].count").unwrap().2, "agents[1].count");
        // (A new-user tour: a sweep varying `agents[1].count[` ran, its column named so.)
        for (path, says) in [
            ("agents[1].count[", "a `[` without its `]`"),
            ("agents[1", "a `[` without its `]`"),
            ("agents[01].count", "`[01]` is not an index as written; write `[1]`"),
            ("agents[+1].count", "`[+1]` is not an index as written; write `[1]`"),
            ("agents[00].count", "`[00]` is not an index"),
            ("agents[].count", "`[]` is not an index"),
            ("agents[x].count", "`[x]` is not an index"),
        ] {
            let e = number_at(src, path).unwrap_err();
            assert!(e.contains(says), "{path}: {e}");
        }
        assert_eq!(number_at(src, "agents[0].count").unwrap().2, "agents[0].count");
    }

    #[derive(Deserialize, Default, Debug, PartialEq)]
    #[serde(default, deny_unknown_fields, rename = "Scenario")]
    struct Scn {
        version: u32,
        name: String,
        map: MapSpec,
        agents: Vec<Group>,
        run: Run,
    }

    #[derive(Deserialize, Default, Debug, PartialEq)]
    #[serde(default)]
    struct MapSpec {
        rows: Vec<String>,
        legend: BTreeMap<char, Tile>,
    }

    #[derive(Deserialize, Debug, PartialEq, Default)]
    enum Tile {
        #[default]
        Floor,
        Wall,
        Apple,
        Spawn,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    enum Dist {
        Fixed(f64),
        Uniform(f64, f64),
        Normal { mean: f64, sd: f64 },
    }

    impl Default for Dist {
        fn default() -> Self {
            Dist::Fixed(0.0)
        }
    }

    #[derive(Deserialize, Debug, PartialEq, Default)]
    enum Kind {
        #[default]
        Human,
        Ai,
    }

    #[derive(Deserialize, Default, Debug, PartialEq)]
    #[serde(default)]
    struct Group {
        count: u32,
        selfishness: Dist,
        power: Option<f64>,
        kind: Kind,
    }

    #[derive(Deserialize, Default, Debug, PartialEq)]
    #[serde(default)]
    struct Run {
        ticks: u64,
        seed: u64,
    }

    const VALID: &str = r#"// The commons, small.
Scenario(
    version: 1,
    name: "Commons – \"small\"",
    map: (
        rows: [
            "WWWWW",
            "W.A.W",
            "WWSWW",
        ],
        legend: { 'W': Wall, '.': Floor, 'A': Apple, 'S': Spawn },
    ),
    agents: [
        (count: 3, selfishness: Fixed(0.5), power: Some(1.5), kind: Human),
        (count: 2, selfishness: Uniform(0.0, 1.), kind: Ai),
        (count: 1_000, selfishness: Normal(mean: -.25, sd: 1e-2), power: 2),
    ],
    run: (ticks: 0x10, seed: 42), /* trailing /* nested */ comment */
)
"#;

    fn three_mistakes() -> String {
        let fixes = [
            ("selfishness: Fixed", "selfishnes: Fixed"),
            ("count: 2,", "count: -2,"),
            ("Normal(mean: -.25, sd: 1e-2)", "Unifrom(0.0, 1.0)"),
        ];
        fixes.iter().fold(VALID.to_string(), |src, (a, b)| src.replace(a, b))
    }

    /// Each diagnostic as `LINE:COL path: message (hint)`.
    fn report<T: serde::de::DeserializeOwned>(src: &str) -> Vec<String> {
        let d = decode::<T>(src);
        assert_eq!(d.value.is_some(), d.diagnostics.is_empty());
        let show = |x: &Diagnostic| {
            let (line, col) = line_col(src, x.span.start);
            let hint = x.hint.as_ref().map(|h| format!(" ({h})"));
            format!("{line}:{col} {}: {}{}", x.path, x.message, hint.unwrap_or_default())
        };
        d.diagnostics.iter().map(show).collect()
    }

    fn text(src: &str, span: Option<Span>) -> &str {
        let text = span.and_then(|s| src.get(s.start..s.end));
        text.unwrap_or("<none>")
    }

    #[test]
    fn valid_file_decodes_exactly() {
        let d = decode::<Scn>(VALID);
        assert_eq!(d.diagnostics, vec![]);
        let group = |count, selfishness, power, kind| Group { count, selfishness, power, kind };
        let normal = Dist::Normal { mean: -0.25, sd: 0.01 };
        let (ticks, seed) = (16, 42);
        let expected = Scn {
            version: 1,
            name: "Commons – \"small\"".into(),
            map: MapSpec {
                rows: vec!["WWWWW".into(), "W.A.W".into(), "WWSWW".into()],
                legend: [('W', Tile::Wall), ('.', Tile::Floor), ('A', Tile::Apple), ('S', Tile::Spawn)].into(),
            },
            agents: vec![
                group(3, Dist::Fixed(0.5), Some(1.5), Kind::Human),
                group(2, Dist::Uniform(0.0, 1.0), None, Kind::Ai),
                group(1000, normal, Some(2.0), Kind::Human),
            ],
            run: Run { ticks, seed },
        };
        assert_eq!(d.value, Some(expected));
    }

    #[test]
    fn a_byte_order_mark_is_read_as_whitespace() {
        let with_bom = format!("{BOM}{VALID}");
        let d = decode::<Scn>(&with_bom);
        assert_eq!(d.diagnostics, vec![]);
        assert_eq!(d.value, decode::<Scn>(VALID).value);
        // Positions are an editor's: the mark is no column, on the first line or after it.
        let src = three_mistakes();
        assert_eq!(report::<Scn>(&format!("{BOM}{src}")), report::<Scn>(&src));
        assert_eq!(report::<Scn>(&format!("{BOM}x")), report::<Scn>("x"));
        assert_eq!(line_col(&format!("{BOM}ab"), BOM.len_utf8() + 1), (1, 2));
        // Only at the start: elsewhere it is a character like any other.
        assert!(!decode::<Scn>(&format!("{VALID}{BOM}")).diagnostics.is_empty());
    }

    #[test]
    fn three_mistakes_three_diagnostics() {
        let src = three_mistakes();
        let expected = [
            "14:20 agents[0].selfishnes: unknown field `selfishnes` (did you mean `selfishness`?)",
            "15:17 agents[1].count: expected a non-negative integer, found -2",
            "16:37 agents[2].selfishness: unknown variant `Unifrom` (did you mean `Uniform`?)",
        ];
        assert_eq!(report::<Scn>(&src), expected);
        let d = decode::<Scn>(&src);
        for (x, want) in d.diagnostics.iter().zip(["selfishnes", "-2", "Unifrom"]) {
            assert_eq!(text(&src, Some(x.span)), want);
        }
    }

    #[test]
    fn span_index_and_char_spans() {
        let d = decode::<Scn>(VALID);
        let get = |path| text(VALID, d.spans.get(path));
        assert_eq!(get("map.rows[1]"), "\"W.A.W\"");
        let row1 = d.spans.get("map.rows[1]").unwrap();
        let a = str_char_span(VALID, row1, 2).unwrap();
        assert_eq!((text(VALID, Some(a)), line_col(VALID, a.start)), ("A", (8, 16)));
        assert_eq!(str_char_span(VALID, row1, 5), None);
        assert_eq!(get("map.legend['A']"), "Apple");
        assert_eq!(get("agents[1].selfishness[1]"), "1.");
        assert_eq!(get("agents[0].selfishness"), "0.5");
        assert_eq!(get("agents[2].selfishness.sd"), "1e-2");
        assert_eq!(get("run.ticks"), "0x10");
        assert!(get("").starts_with("Scenario("));
        assert_eq!(d.spans.nearest("agents[1].bogus[3]"), d.spans.get("agents[1]").unwrap());
        assert_eq!(d.spans.nearest("nothing.at.all"), d.spans.get("").unwrap());

        let src = r##"["a\"b\u{e9}c", r#"x"y"#, 'q']"##;
        let d = decode::<(String, String, char)>(src);
        assert_eq!(d.value, Some(("a\"b\u{e9}c".into(), "x\"y".into(), 'q')));
        let nth = |path, n| text(src, d.spans.get(path).and_then(|s| str_char_span(src, s, n)));
        let first: Vec<_> = (0..6).map(|n| nth("[0]", n)).collect();
        assert_eq!(first, ["a", "\\\"", "b", "\\u{e9}", "c", "<none>"]);
        assert_eq!((nth("[1]", 1), nth("[1]", 2), nth("[1]", 3), nth("[2]", 0)), ("\"", "y", "<none>", "q"));
    }

    #[test]
    fn wrong_kinds_recover_and_continue() {
        let src = "(map: [1], run: (ticks: \"soon\", seed: 1.5), version: 300000000000, name: Commons)";
        let expected = [
            "1:7 map: expected a struct `(field: value, …)`, found a list `[…]`",
            "1:25 run.ticks: expected a non-negative integer, found a string",
            "1:39 run.seed: expected a non-negative integer, found 1.5",
            "1:54 version: a whole number from 0 to 4294967295 goes here, found 300000000000",
            "1:74 name: expected a string, found `Commons` (quote it: \"Commons\")",
        ];
        assert_eq!(report::<Scn>(src), expected);
    }

    #[test]
    fn enum_payload_shapes() {
        let src = "(agents: [
            (selfishness: Uniform(0.5)),
            (selfishness: Fixed),
            (kind: Human(3)),
            (selfishness: Normal(0.1, 0.2)),
            (selfishness: Unifrom(\"x\", [])),
            (selfishness: Bogus(1), power: Some(\"x\"), kind: \"Ai\"),
        ])";
        let expected = [
            "2:27 agents[0].selfishness: variant `Uniform` expects 2 values, found 1 value",
            "3:27 agents[1].selfishness: variant `Fixed` expects 1 value, found none (give it in brackets after the name: `Fixed(…)`)",
            "4:20 agents[2].kind: variant `Human` expects no value, found 1 value",
            "5:27 agents[3].selfishness: variant `Normal` expects named fields `(mean: …, sd: …)`, found 2 values",
            "6:27 agents[4].selfishness: unknown variant `Unifrom` (did you mean `Uniform`?)",
            "7:27 agents[5].selfishness: unknown variant `Bogus` (expected one of: `Fixed`, `Uniform`, `Normal`)",
            "7:49 agents[5].power: expected a number, found a string",
        ];
        assert_eq!(report::<Scn>(src), expected);
    }

    #[test]
    fn duplicates_options_units_and_attributes() {
        let src = "(version: 1, version: 2, map: (legend: {'W': Wall, 'W': Floor}))";
        let expected = ["1:14 version: duplicate field `version`", "1:52 map.legend['W']: duplicate key `'W'`"];
        assert_eq!(report::<Scn>(src), expected);
        let src = "#![enable(implicit_some)]\n(map: (), run: Run, agents: [(power: None)])";
        let scn = Scn { agents: vec![Group::default()], ..Scn::default() };
        assert_eq!(decode::<Scn>(src).value, Some(scn));
    }

    #[test]
    fn a_struct_may_leave_its_name_out_but_not_give_another() {
        // `Sceanrio(…)`, `RunSpek(…)` were read as if unnamed: a typo passed unseen.
        let src = "Sceanrio(version: 1, agents: [Grop(count: 1), (count: 2)], run: Runn, map: MapSpec())";
        let expected = [
            "1:1 : expected `Scenario` (or no name), found `Sceanrio` (did you mean `Scenario`?)",
            "1:31 agents[0]: expected `Group` (or no name), found `Grop` (did you mean `Group`?)",
            "1:65 run: expected `Run` (or no name), found `Runn` (did you mean `Run`?)",
        ];
        assert_eq!(report::<Scn>(src), expected);
        // The body is decoded all the same: one typo, one message.
        let d = decode::<Scn>(src);
        assert_eq!(d.recovered.map(|s| (s.version, s.agents.len())), Some((1, 2)));
        let far = report::<Scn>("(run: Settings(ticks: 3))");
        assert_eq!(
            far,
            ["1:7 run: expected `Run` (or no name), found `Settings` (write `Run(…)`, or leave the name out: `(…)`)"]
        );
        // Named right, or not at all: no problem; a variant's inline payload takes the variant's name.
        assert_eq!(report::<Scn>("Scenario(run: Run(ticks: 3), map: MapSpec(rows: []), agents: [Group()])"), [""; 0]);
        assert_eq!(report::<Scn>("(run: (ticks: 3), map: (), agents: [()])"), [""; 0]);
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            a: u32,
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        enum Outer {
            Wrap(Inner),
        }
        assert_eq!(report::<Vec<Outer>>("[Wrap(a: 1), Wrap(Inner(a: 2)), Wrap((a: 3))]"), [""; 0]);
        assert_eq!(report::<Vec<Outer>>("[Wrap(Innr(a: 2))]").len(), 1);
    }

    #[test]
    fn missing_fields_are_reported_and_decoding_goes_on() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Strict {
            a: u32,
            b: u32,
            #[serde(default)]
            c: u32,
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        enum Shape {
            Normal { mean: f64, sd: f64 },
            Cell(Strict),
        }
        assert_eq!(report::<Strict>("(a: 1)"), ["1:1 : missing field `b` (add `b: …` to it)"]);
        assert_eq!(report::<Vec<Strict>>("[(a: 1, b: 2), (b: 1)]"), ["1:16 [1]: missing field `a` (add `a: …` to it)"]);
        // Every missing field, and the problems after them, in one pass; a defaulted field may
        // be left out.
        let expected = [
            "1:2 [0]: missing field `a` (add `a: …` to it)",
            "1:2 [0]: missing field `b` (add `b: …` to it)",
            "1:10 [1]: missing field `sd` (add `sd: …` to it)",
            "1:29 [2]: missing field `a` (add `a: …` to it)",
            "1:37 [2].b: expected a non-negative integer, found -1",
            "1:42 [3]: unknown variant `Cel` (did you mean `Cell`?)",
        ];
        let src = "[Cell(), Normal(mean: 0.5), Cell(b: -1), Cel(a: 1, b: 2)]";
        assert_eq!(report::<Vec<Shape>>(src), expected);
        let d = decode::<Vec<Shape>>("[Cell(a: 1, b: 2), Normal(sd: 1, mean: 0)]");
        assert!(d.diagnostics.is_empty() && d.value.is_some(), "{:?}", d.diagnostics);
        // A problem already reported may leave the struct incomplete: still one diagnostic.
        let msg = "1:1 : expected a struct `(field: value, …)`, found a list `[…]`";
        assert_eq!(report::<Strict>("[1]"), [msg]);
    }

    #[test]
    fn other_visitor_errors_abort_with_one_diagnostic() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Even(#[serde(deserialize_with = "even")] u32);
        fn even<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
            let n = u32::deserialize(d)?;
            if n % 2 == 0 { Ok(n) } else { Err(serde::de::Error::custom(format!("{n} is odd"))) }
        }
        assert_eq!(report::<Vec<Even>>("[2, 3, 5, true]"), ["1:5 [1]: 3 is odd"]);
    }

    #[test]
    fn newtypes_are_transparent_or_wrapped() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Meters(f64);
        #[derive(Deserialize, Debug, PartialEq)]
        struct Spread(Dist);
        let d = decode::<Vec<Meters>>("[1.5, Meters(2), (3)]");
        assert_eq!(d.value, Some(vec![Meters(1.5), Meters(2.0), Meters(3.0)]));
        let d = decode::<(Spread, Spread)>("(Fixed(1), Spread(Uniform(0, 1)))");
        let expected = (Spread(Dist::Fixed(1.0)), Spread(Dist::Uniform(0.0, 1.0)));
        assert_eq!(d.value, Some(expected));
        assert_eq!(report::<Meters>("Meters(\"x\")"), ["1:8 : expected a number, found a string"]);
        // Other spellings of NaN and infinity get RON's.
        assert_eq!(
            report::<Meters>("Meters(nan)"),
            ["1:8 : expected a number, found `nan` (RON writes not-a-number as `NaN`)"]
        );
        assert_eq!(
            report::<Meters>("Meters(Infinity)"),
            ["1:8 : expected a number, found `Infinity` (RON writes infinity as `inf` (and `-inf`))"]
        );
        assert_eq!(decode::<Meters>("Meters(inf)").value.map(|m| m.0), Some(f64::INFINITY));
    }

    #[test]
    fn tuples_chars_floats_and_maps() {
        #[derive(Deserialize, Debug, PartialEq, Default)]
        #[serde(default)]
        struct Misc {
            pair: (u8, char),
            arr: [f32; 2],
            special: Vec<f64>,
            esc: String,
            hex: i64,
        }
        let src = r#"(pair: (7, '\''), arr: [1, 2.5], special: [inf, -inf, NaN, +3],
            esc: "t\tn\n\u{e9}", hex: -0xff_ff)"#;
        let m = decode::<Misc>(src).value.unwrap();
        assert_eq!((m.pair, m.arr, m.esc.as_str(), m.hex), ((7, '\''), [1.0, 2.5], "t\tn\n\u{e9}", -0xffff));
        let s = &m.special;
        assert_eq!((s[0], s[1], s[2].is_nan(), s[3]), (f64::INFINITY, f64::NEG_INFINITY, true, 3.0));
        let expected = [
            "1:8 pair: expected 2 elements, found 3",
            "1:26 arr: expected 2 elements, found 1",
            "1:36 hex: expected an integer, found a string",
        ];
        assert_eq!(report::<Misc>("(pair: (1, 'x', 3), arr: [1], hex: \"7\")"), expected);
        let expected = ["1:21 [\"b\"][0]: a whole number from 0 to 255 goes here, found 256"];
        assert_eq!(report::<BTreeMap<String, Vec<u8>>>("{\"a\": [1, 2], \"b\": [256]}"), expected);
    }

    #[test]
    fn syntax_errors_the_parser_gets_past_are_each_reported_with_the_rest() {
        // Three slips in elements and a wrong type: all four, in order; the tuple read past a
        // missing `,` is not checked further (it could be a struct missing a `:`).
        let src = "(\n    version: 1 name: \"x\",\n    agents: [(count: 1.2.3), (count: x)],\n    run: (ticks 3),\n    map: (legend: {'ab': Wall, 'c': Wal}),\n)";
        let found = report::<Scn>(src);
        assert_eq!(found.len(), 6, "{found:#?}");
        for (got, want) in found.iter().zip([
            "2:16 : expected `,` or `)`, found `name`",
            "3:22 : invalid number `1.2.3`",
            "3:38 agents[1].count: expected a non-negative integer, found `x`",
            "4:17 : expected `,` or `)`, found a number",
            "5:20 : a character literal holds one character",
            "5:37 map.legend['c']: unknown variant `Wal`",
        ]) {
            assert!(got.starts_with(want), "{want}: {found:#?}");
        }
        // A mismatched closer or an unclosed string ends the parse: only what came before.
        assert_eq!(report::<Scn>("(version: 1 name: \"x\", agents: [(count: 1]))").len(), 2);
        assert_eq!(report::<Scn>("(version: 1 name: \"x, agents: [])").len(), 2);
        // A file of garbage stops at 20.
        assert_eq!(report::<Scn>(&format!("[{}]", "1 ".repeat(100))).len(), 20);
    }

    #[test]
    fn syntax_errors_give_one_diagnostic() {
        // `source ⇒ the diagnostic starts with` (or, for hints, ends with).
        let cases = [
            "(\n    version: 1\n    name: \"x\",\n) ⇒ 3:5 : expected `,` or `)`, found `name`",
            "(name: \"abc,\n version: 1) ⇒ 1:8 : unterminated string",
            "(map: (rows: [\"a\", \"b\"\n ⇒ 1:14 : unclosed `[`",
            "(map: (rows: [\"a\", \"b\")) ⇒ 1:23 : expected `,` or `]`, found `)`",
            "(version: 1) x ⇒ 1:14 : unexpected `x` after the value",
            "(version: 1) /* a /* b */ ⇒ 1:14 : unterminated block comment",
            "(version: 12abc) ⇒ 1:11 : invalid number `12abc`",
            "(name: \"a\\qb\") ⇒ 1:10 : unknown escape `\\q`",
            "(map: (legend: {'ab': Wall})) ⇒ 1:17 : a character literal holds one character",
            "(version 1) ⇒ 1:10 : expected `,` or `)`, found a number",
            " ⇒ 1:1 : expected a value, found end of input",
        ];
        let hints = [
            "(version: 1\n name: \"x\") ⇒ (is a `,` missing before it?)",
            "(rows: [\"a\")) ⇒ (the `[` opened at 1:8 is still open)",
            "(rows: [\"a\" ⇒ (expected `,` or `]` before the end of the input; also still open: `(` at 1:1)",
        ];
        for (case, start) in cases.iter().map(|c| (c, true)).chain(hints.iter().map(|c| (c, false))) {
            let (src, expected) = case.split_once(" ⇒ ").unwrap();
            let found = report::<Scn>(src);
            let ok = if start { found[0].starts_with(expected) } else { found[0].ends_with(expected) };
            assert!(found.len() == 1 && ok, "{src:?}: {found:?}");
        }
        let deep = report::<Scn>(&"[".repeat(10_000));
        assert!(deep.len() == 1 && deep[0].ends_with("values are nested too deeply"));
    }

    #[test]
    fn an_unclosed_bracket_is_blamed_where_its_closer_is_missing() {
        // `Ascii(` lacks its `)`: the last line's `)` closed it, and the input ended with
        // `Scenario(` open, which was all the message named ("unclosed `(`" at 1:9).
        let src = "Scenario(\n    version: 1,\n    map: Ascii(rows: [\n        \"WW\",\n    ],\n    agents: [],\n    run: (ticks: 3),\n)\n";
        let expected = "3:15 : unclosed `(` (is a `)` missing for it? The `)` at 8:1 that closes it is indented less than its line, like an outer bracket's, and the `(` opened at 1:9 is still open at the end of the input)";
        assert_eq!(report::<Scn>(src), [expected]);
        // No closer out of line: every bracket still open is named, the innermost first.
        let expected = "1:14 : unclosed `[` (expected `,` or `]` before the end of the input; also still open: `(` at 1:1, `(` at 1:7)";
        assert_eq!(report::<Scn>("(map: (rows: [\"a)\", 'é', /* ( */ r#\"]\"#"), [expected]);
        assert_eq!(brackets("[\"(\", '(', // (\n r\"[\", (é)]"), (vec![(23, 26), (0, 27)], vec![]));
    }

    #[test]
    fn suggestions_and_positions() {
        let fields = ["count", "selfishness", "power", "kind"];
        let cases = [
            ("selfishnes", Some("selfishness")),
            ("Selfihsness", Some("selfishness")),
            ("COUNT", Some("count")),
            ("xyz", None),
            ("pwr", None),
        ];
        for (word, expected) in cases {
            assert_eq!(did_you_mean(word, &fields), expected, "{word}");
        }
        assert_eq!(did_you_mean("Unifrom", &["Fixed", "Uniform", "Normal"]), Some("Uniform"));
        assert_eq!(did_you_mean("ab", &["ac", "ad"]), Some("ac"));
        assert_eq!(did_you_mean("a", &[]), None);
        assert_eq!(did_you_mean("patches", &["apples", "patches_alive", "gini"]), Some("patches_alive"));
        assert_eq!(did_you_mean("taxes", &["tax", "voting", "principal"]), Some("tax"));
        assert_eq!(did_you_mean("welfare", &["welfare_min", "welfare_mean"]), None, "two fit: neither");
        assert_eq!(did_you_mean("po", &["power"]), None, "too short to guess from");
        // Cut short: the one it starts, over another two slips away; one slip away wins.
        let rules = ["PerRun", "PerReplicate", "Same"];
        assert_eq!(did_you_mean("PerRep", &rules), Some("PerReplicate"));
        assert_eq!(did_you_mean("PerRn", &rules), Some("PerRun"));
        assert_eq!(did_you_mean("PerRe", &rules), Some("PerReplicate"));
        let src = "ab\ncé d";
        let expected = [(1, 1), (2, 1), (2, 3), (2, 2), (2, 5)];
        assert_eq!([0, 3, 6, 5, 100].map(|o| line_col(src, o)), expected);
    }

    fn check(src: &str) {
        let d = decode::<Scn>(src);
        assert_eq!(d.value.is_some(), d.diagnostics.is_empty(), "{src}");
        for x in &d.diagnostics {
            assert!(x.span.start <= x.span.end && x.span.end <= src.len(), "{x:?} in {src:?}");
        }
        for &span in d.spans.map.values() {
            let _ = (str_char_span(src, span, 0), str_char_span(src, span, 3), line_col(src, span.end));
        }
    }

    #[test]
    fn never_panics() {
        let bad = three_mistakes();
        for src in [VALID, bad.as_str()] {
            (0..=src.len()).filter_map(|end| src.get(..end)).for_each(check);
            for i in 0..src.len() {
                for &b in b"\"'()[]{},:/*\\#r-1.xe_ \n" {
                    let mut bytes = src.as_bytes().to_vec();
                    bytes[i] = b;
                    check(&String::from_utf8_lossy(&bytes));
                }
            }
        }
        let tokens = "( ) [ ] { } , : \" ' r#\" \"# /* */ // \n 1 - . e 0x inf NaN Some None count agents \
                      selfishness Uniform \\ \\u{ é _ ";
        let tokens: Vec<&str> = tokens.split(' ').map(|t| if t.is_empty() { " " } else { t }).collect();
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as usize
        };
        for _ in 0..3000 {
            let src: String = (0..next() % 40).map(|_| tokens[next() % tokens.len()]).collect();
            check(&src);
        }
    }
}

/// Replaces the number at `path` in RON text `src` with `value`, keeping everything else as
/// written, for parameter sweeps. Paths are field names joined by `.`, list and tuple
/// elements `[i]`, and — in a list of structs with a `name` field — an element by its name
/// (`agents.ai.power`). `Some(…)` is looked through, and a `Fixed(v)` distribution or an
/// `Each`-free number field takes the number itself. Errors say what the path met instead.
pub fn splice_number(src: &str, path: &str, value: impl Into<Number>) -> Result<String, String> {
    let (span, float, walked) = number_at(src, path)?;
    let literal = match (float, value.into()) {
        (true, Number::Int(n)) => format!("{:?}", n as f64),
        (true, Number::Float(v)) if v.is_nan() => "NaN".to_string(),
        (true, Number::Float(v)) if v.is_infinite() => (if v > 0.0 { "inf" } else { "-inf" }).to_string(),
        (true, Number::Float(v)) => format!("{v:?}"),
        (false, Number::Int(n)) => n.to_string(),
        (false, Number::Float(v)) if v.fract() == 0.0 && v.abs() < 9.0e15 => format!("{}", v as i64),
        (false, Number::Float(v)) => {
            return Err(format!("`{walked}` takes a whole number, not {v}"));
        }
    };
    Ok(format!("{}{literal}{}", &src[..span.start], &src[span.end..]))
}

/// Where the number at `path` is in `src` (paths as [`splice_number`] takes them), whether it
/// is a float, and the path as walked: two paths that name one field by different routes
/// (`agents.harvesters.power`, `agents[1].power`) have one span.
pub fn number_at(src: &str, path: &str) -> Result<(std::ops::Range<usize>, bool, String), String> {
    let root = parse::parse(src).map_err(|d| d.message)?;
    let mut node = &root;
    let mut walked = String::new();
    for seg in path_segments(path)? {
        node = look_through_some(node, &walked)?;
        let next = match (&node.value, &seg) {
            (parse::Value::Struct(_, fields), Seg::Name(n)) => fields.iter().find(|f| &f.name.name == n).map(|f| &f.value),
            // A variant holding a struct (`map: Generated(GeneratedMap(width: …))`): its fields
            // are the variant's, as `map.width` says.
            (parse::Value::Tuple(Some(_), items), Seg::Name(n)) if items.len() == 1 => match &items[0].value {
                parse::Value::Struct(_, fields) => fields.iter().find(|f| &f.name.name == n).map(|f| &f.value),
                _ => None,
            },
            (parse::Value::List(items) | parse::Value::Tuple(_, items), Seg::Index(i)) => items.get(*i),
            (parse::Value::List(items), Seg::Name(n)) => items.iter().find(|it| {
                matches!(&it.value, parse::Value::Struct(_, fs) if fs.iter().any(|f| f.name.name == "name" && f.value.value == parse::Value::Str(n.clone())))
            }),
            _ => None,
        };
        let shown = match &seg {
            Seg::Name(n) if walked.is_empty() => n.clone(),
            Seg::Name(n) => format!("{walked}.{n}"),
            Seg::Index(i) => format!("{walked}[{i}]"),
        };
        node = next.ok_or_else(|| match (&node.value, &seg) {
            (parse::Value::List(items), Seg::Index(_)) => match items.len() {
                1 => format!("`{shown}` is out of range: `{walked}` has 1 entry"),
                n => format!("`{shown}` is out of range: `{walked}` has {n} entries"),
            },
            (parse::Value::List(_), Seg::Name(n)) => format!("`{walked}` has no entry named \"{n}\""),
            (parse::Value::Struct(_, fields), Seg::Name(_)) => no_field(&shown, &walked, fields),
            (parse::Value::Tuple(Some(_), items), Seg::Name(_))
                if let [parse::Node { value: parse::Value::Struct(_, fields), .. }] = &items[..] =>
            {
                no_field(&shown, &walked, fields)
            }
            _ => format!(
                "`{shown}`: `{}` is not a list, a tuple or a struct",
                if walked.is_empty() { "the scenario" } else { &walked }
            ),
        })?;
        walked = shown;
    }
    let mut target = look_through_some(node, &walked)?;
    if let parse::Value::Tuple(Some(id), items) = &target.value
        && id.name == "Fixed"
        && items.len() == 1
    {
        target = &items[0];
    }
    match &target.value {
        parse::Value::Float(_) => Ok((target.span.start..target.span.end, true, walked)),
        parse::Value::Int(_) => Ok((target.span.start..target.span.end, false, walked)),
        _ => {
            // One line of it, its spaces run together: a section pasted in whole ran over
            // several lines of the message.
            let found = src[target.span.start..target.span.end].split_whitespace().collect::<Vec<_>>().join(" ");
            let cut = found.chars().count() > 40;
            let found: String = found.chars().take(40).collect();
            let more = if cut { "…" } else { "" };
            Err(format!("`{walked}` is not a number in the base scenario (it is `{found}{more}`)"))
        }
    }
}

/// `shown` names no field of the struct at `walked`: which it has.
fn no_field(shown: &str, walked: &str, fields: &[parse::Field]) -> String {
    let names: Vec<&str> = fields.iter().map(|f| f.name.name.as_str()).collect();
    format!(
        "`{shown}` is not a field here; `{}` has: {}",
        if walked.is_empty() { "the scenario" } else { walked },
        names.join(", ")
    )
}

/// A number to splice in ([`splice_number`]): a whole number is written exactly (a seed of
/// 2⁶⁴ − 1 too, which an `f64` cannot hold), and may set a float field; a float sets a float
/// field, or a whole-number field when it is whole (and below 9·10¹⁵).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// A whole number.
    Int(i128),
    /// Any other number.
    Float(f64),
}

impl From<f64> for Number {
    fn from(v: f64) -> Self {
        Number::Float(v)
    }
}

impl From<i128> for Number {
    fn from(n: i128) -> Self {
        Number::Int(n)
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Number::Int(n) => write!(f, "{n}"),
            Number::Float(v) => write!(f, "{v}"),
        }
    }
}

enum Seg {
    Name(String),
    Index(usize),
}

fn path_segments(path: &str) -> Result<Vec<Seg>, String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if part.contains('[') && rest.is_empty() {
            // (`agents[1].count[` was taken, as `agents[1].count`.)
            return Err(format!("`{path}`: a `[` without its `]`"));
        }
        if !name.is_empty() {
            if !name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
                return Err(format!("`{path}`: `{name}` is not a field name"));
            }
            out.push(Seg::Name(name.to_string()));
        } else if rest.is_empty() {
            return Err(format!("`{path}`: an empty step (two dots, or a dot at an end)"));
        }
        while !rest.is_empty() {
            let (idx, tail) = rest.split_once(']').ok_or_else(|| format!("`{path}`: a `[` without its `]`"))?;
            // Digits only, without leading zeros: `[01]` and `[+1]` were taken as `[1]`, and the
            // table's column kept the path as written.
            let plain =
                !idx.is_empty() && idx.bytes().all(|b| b.is_ascii_digit()) && (idx == "0" || !idx.starts_with('0'));
            let index = idx.parse().ok().filter(|_| plain);
            out.push(Seg::Index(index.ok_or_else(|| {
                let hint = idx.trim_start_matches(['+', '0']);
                if plain || hint.is_empty() || !hint.bytes().all(|b| b.is_ascii_digit()) {
                    format!("`{path}`: `[{idx}]` is not an index")
                } else {
                    format!("`{path}`: `[{idx}]` is not an index as written; write `[{hint}]`")
                }
            })?));
            rest = tail.strip_prefix('[').unwrap_or(tail);
            if !tail.is_empty() && !tail.starts_with('[') {
                return Err(format!("`{path}`: unexpected `{tail}` after `]`"));
            }
        }
    }
    Ok(out)
}

fn look_through_some<'a>(node: &'a parse::Node, walked: &str) -> Result<&'a parse::Node, String> {
    match &node.value {
        parse::Value::Tuple(Some(id), items) if id.name == "Some" && items.len() == 1 => Ok(&items[0]),
        parse::Value::Ident(n) if n == "None" => {
            Err(format!("`{walked}` is not set in the base scenario; give it a value there first"))
        }
        _ => Ok(node),
    }
}
