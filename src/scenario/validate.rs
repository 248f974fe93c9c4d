//! Semantic checks on a decoded scenario: ranges, map shape, legend, spawn feasibility.
//! Every problem found is reported, each at the path of the field it concerns.

use std::collections::BTreeSet;

use super::{AgentGroup, Dist, MapSpec, PolicySpec, Scenario, SpawnRule, Tile};
use crate::world::{MapLayout, layout};

/// One semantic problem: the field path, what is wrong, and a fix where one is obvious.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    /// Field path, e.g. `agents[1].selfishness`.
    pub path: String,
    /// For problems inside a map row: the 0-based character index within that row.
    pub char_index: Option<usize>,
    /// What was expected.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

struct Checker {
    issues: Vec<Issue>,
}

impl Checker {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>, hint: Option<String>) {
        self.issues.push(Issue {
            path: path.into(),
            char_index: None,
            message: message.into(),
            hint,
        });
    }

    /// A probability in [0, 1].
    fn unit_interval(&mut self, path: String, v: f64, what: &str) {
        if !(0.0..=1.0).contains(&v) {
            self.err(path, format!("{what} must be in [0, 1], found {v}"), None);
        }
    }

    fn dist(&mut self, path: String, d: &Dist, count: u32, lo: f64, hi: f64, what: &str) {
        let range = if hi.is_infinite() {
            format!("≥ {lo}")
        } else {
            format!("in [{lo}, {hi}]")
        };
        let check = |c: &mut Checker, p: String, v: f64| {
            if v.is_nan() || v < lo || v > hi {
                c.err(p, format!("{what} must be {range}, found {v}"), None);
            }
        };
        match d {
            Dist::Fixed(v) => check(self, path, *v),
            Dist::Uniform(a, b) | Dist::Spread(a, b) => {
                check(self, format!("{path}[0]"), *a);
                check(self, format!("{path}[1]"), *b);
                if a > b {
                    self.err(
                        path,
                        format!("the low end {a} is above the high end {b}"),
                        Some("swap the two bounds".into()),
                    );
                }
            }
            Dist::Normal { mean, sd } => {
                check(self, format!("{path}.mean"), *mean);
                if !(sd.is_finite() && *sd >= 0.0) {
                    self.err(
                        format!("{path}.sd"),
                        format!("a standard deviation must be a finite number ≥ 0, found {sd}"),
                        None,
                    );
                }
            }
            Dist::Each(values) => {
                if values.len() != count as usize {
                    self.err(
                        path.clone(),
                        format!(
                            "`Each` lists {} values but the group has count {count}",
                            values.len()
                        ),
                        Some(format!(
                            "give exactly {count} values, or change `count` to {}",
                            values.len()
                        )),
                    );
                }
                for (k, v) in values.iter().enumerate() {
                    check(self, format!("{path}[{k}]"), *v);
                }
            }
        }
    }
}

/// Checks everything that decoding cannot: returns every problem found.
pub fn check(s: &Scenario) -> Vec<Issue> {
    let mut c = Checker { issues: Vec::new() };
    if s.version != super::FORMAT_VERSION {
        let msg = if s.version == 0 {
            "missing `version: 1` (the scenario format this Polity reads)".to_string()
        } else {
            format!(
                "unsupported version {}; this Polity reads version {}",
                s.version,
                super::FORMAT_VERSION
            )
        };
        c.err(
            "version",
            msg,
            Some("put `version: 1,` first in the file".into()),
        );
    }

    // Regrowth.
    if !(s.regrowth.radius > 0.0 && s.regrowth.radius <= 8.0) {
        c.err(
            "regrowth.radius",
            format!("the radius must be in (0, 8], found {}", s.regrowth.radius),
            None,
        );
    }
    if s.regrowth.probabilities.is_empty() {
        c.err(
            "regrowth.probabilities",
            "expected at least one probability",
            Some("Melting Pot's are [0.0, 0.0025, 0.005, 0.025]".into()),
        );
    }
    for (k, &p) in s.regrowth.probabilities.iter().enumerate() {
        c.unit_interval(format!("regrowth.probabilities[{k}]"), p, "a probability");
    }
    if s.run.agents_every == 0 {
        c.err("run.agents_every", "expected a number of ticks ≥ 1", None);
    }

    // Map.
    let layout = check_map(&mut c, &s.map);

    // Agents.
    let mut random_spawners: u64 = 0;
    let mut fixed_cells = BTreeSet::new();
    for (g, group) in s.agents.iter().enumerate() {
        check_group(&mut c, g, group);
        match &group.spawn {
            SpawnRule::Random => random_spawners += group.count as u64,
            SpawnRule::At(cells) => {
                let path = format!("agents[{g}].spawn");
                if cells.len() != group.count as usize {
                    c.err(
                        path.clone(),
                        format!(
                            "`At` lists {} cells but the group has count {}",
                            cells.len(),
                            group.count
                        ),
                        Some(format!(
                            "give exactly {} cells, or change `count`",
                            group.count
                        )),
                    );
                }
                for (k, &(x, y)) in cells.iter().enumerate() {
                    let p = format!("{path}[{k}]");
                    if let Some(l) = &layout {
                        if x >= l.width || y >= l.height {
                            c.err(
                                p,
                                format!("({x}, {y}) is off the {}×{} map", l.width, l.height),
                                Some(format!(
                                    "x must be below {} and y below {}",
                                    l.width, l.height
                                )),
                            );
                            continue;
                        }
                        if l.is_wall(x, y) {
                            c.err(
                                p.clone(),
                                format!("({x}, {y}) is a wall"),
                                Some("choose a floor, grass or spawn cell".into()),
                            );
                        }
                    }
                    if !fixed_cells.insert((x, y)) {
                        c.err(
                            p,
                            format!("({x}, {y}) is already taken by another agent"),
                            None,
                        );
                    }
                }
            }
        }
    }
    if let Some(l) = &layout {
        let free = l
            .spawn_points
            .iter()
            .filter(|&&i| !fixed_cells.contains(&(i % l.width, i / l.width)))
            .count() as u64;
        if random_spawners > free {
            c.err(
                "agents",
                format!("{random_spawners} agents spawn at random but the map has only {free} free spawn points"),
                Some("add spawn points (`P`) to the map or lower the groups' `count`".into()),
            );
        }
    }
    c.issues
}

fn check_group(c: &mut Checker, g: usize, group: &AgentGroup) {
    let p = |field: &str| format!("agents[{g}].{field}");
    c.dist(
        p("selfishness"),
        &group.selfishness,
        group.count,
        0.0,
        1.0,
        "selfishness",
    );
    c.dist(
        p("power"),
        &group.power,
        group.count,
        0.0,
        f64::INFINITY,
        "power (a KL budget)",
    );
    for (name, v) in [
        ("own", group.weights.own),
        ("commons", group.weights.commons),
    ] {
        if !v.is_finite() {
            c.err(
                p(&format!("weights.{name}")),
                format!("a weight must be a finite number, found {v}"),
                None,
            );
        }
    }
    if let PolicySpec::Forager { view, discount } = group.policy {
        if view > 64 {
            c.err(
                p("policy.view"),
                format!("the view radius must be at most 64 cells, found {view}"),
                None,
            );
        }
        if !(discount > 0.0 && discount <= 1.0) {
            c.err(
                p("policy.discount"),
                format!("the discount must be in (0, 1], found {discount}"),
                None,
            );
        }
    }
}

/// Checks the map and, when it is sound, returns its layout.
fn check_map(c: &mut Checker, map: &MapSpec) -> Option<MapLayout> {
    match map {
        MapSpec::Ascii(a) => {
            if a.rows.is_empty() {
                c.err(
                    "map.rows",
                    "the map has no rows",
                    Some("draw the map as a list of strings, one per row".into()),
                );
                return None;
            }
            let legend = {
                let mut l = super::default_legend();
                l.extend(a.legend.iter().map(|(k, v)| (*k, *v)));
                l
            };
            let width = a.rows[0].chars().count();
            let mut sound = true;
            if width == 0 {
                c.err("map.rows[0]", "the first row is empty", None);
                sound = false;
            }
            for (r, row) in a.rows.iter().enumerate() {
                let n = row.chars().count();
                if n != width {
                    c.err(
                        format!("map.rows[{r}]"),
                        format!("row {r} has {n} characters but row 0 has {width}; every row must have the same length"),
                        Some(if n < width { "pad the row (with spaces for floor)".into() } else { "shorten the row".into() }),
                    );
                    sound = false;
                }
                for (k, ch) in row.chars().enumerate() {
                    if !legend.contains_key(&ch) {
                        c.issues.push(Issue {
                            path: format!("map.rows[{r}]"),
                            char_index: Some(k),
                            message: format!("unknown map character {ch:?} (column {k} of the row)"),
                            hint: Some(format!("add it to the legend, e.g. `legend: {{ {ch:?}: Floor }}`, or use one of: {}", legend_chars(&legend))),
                        });
                        sound = false;
                    }
                }
            }
            if a.rows.len() as u64 * width as u64 > 1 << 26 {
                c.err("map.rows", "the map has more than 67 million cells", None);
                sound = false;
            }
            sound.then(|| layout(map))
        }
        MapSpec::Generated(gm) => {
            let mut sound = true;
            for (name, v) in [("width", gm.width), ("height", gm.height)] {
                if !(3..=20_000).contains(&v) {
                    c.err(
                        format!("map.{name}"),
                        format!("{name} must be between 3 and 20000 cells, found {v}"),
                        None,
                    );
                    sound = false;
                }
            }
            if gm.patch_spacing == 0 {
                c.err("map.patch_spacing", "the spacing must be at least 1", None);
                sound = false;
            }
            if !(gm.patch_radius >= 0.0 && gm.patch_radius <= 8.0) {
                c.err(
                    "map.patch_radius",
                    format!(
                        "the patch radius must be in [0, 8], found {}",
                        gm.patch_radius
                    ),
                    None,
                );
                sound = false;
            }
            if gm.jitter >= gm.patch_spacing.max(1) {
                c.err(
                    "map.jitter",
                    format!(
                        "the jitter must be below the spacing ({}), found {}",
                        gm.patch_spacing, gm.jitter
                    ),
                    None,
                );
                sound = false;
            }
            sound.then(|| layout(map))
        }
    }
}

fn legend_chars(legend: &std::collections::BTreeMap<char, Tile>) -> String {
    legend
        .keys()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(" ")
}
