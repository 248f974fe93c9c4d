//! Semantic checks on a decoded scenario: ranges, map shape, legend, spawn feasibility.
//! Every problem found is reported, each at the path of the field it concerns.

use std::collections::BTreeSet;

use super::{
    AgentGroup, Candidates, Dist, MapSpec, Objective, PolicySpec, PrincipalPolicy, Scenario, SocialGraph, SpawnRule,
    Tile,
};
use super::{MapLayout, layout};

/// `log10` of the most world ticks the impact planner may imagine per decision (10⁶).
const MAX_IMPACT_TREE_LOG10: f64 = 6.0;

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
    /// The legend holds a placeholder for a key or value decoding could not read (reported
    /// there): the map's characters cannot be checked against it.
    unsure_legend: bool,
    /// A group's kind or count is a placeholder for what decoding could not read (reported
    /// there): checks that need some agent of a kind would blame another field for it.
    unsure_kinds: bool,
    /// Decoding left a placeholder in the principal's planner.
    unsure_planner: bool,
    /// Whether a part of an agent group could not be read (its policy may not be what it says).
    unsure_agents: bool,
    /// Whether a part of `oversight` could not be read.
    unsure_oversight: bool,
}

impl Checker {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>, hint: Option<String>) {
        self.issues.push(Issue { path: path.into(), char_index: None, message: message.into(), hint });
    }

    /// Each item of the list at `path` once: a repeat is reported at its place, with `hint`.
    fn listed_once<T: PartialEq + std::fmt::Debug>(&mut self, path: &str, items: &[T], hint: &str) {
        for (k, item) in items.iter().enumerate() {
            if items[..k].contains(item) {
                self.err(format!("{path}[{k}]"), format!("{item:?} is listed twice"), Some(hint.into()));
            }
        }
    }

    /// A probability in [0, 1].
    fn unit_interval(&mut self, path: String, v: f64, what: &str) {
        if !(0.0..=1.0).contains(&v) {
            self.err(path, format!("{what} must be in [0, 1], found {v}"), None);
        }
    }

    fn dist(&mut self, path: String, d: &Dist, count: u32, lo: f64, hi: f64, what: &str) {
        let range = if hi.is_infinite() { format!("≥ {lo}") } else { format!("in [{lo}, {hi}]") };
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
                for (k, v) in [a, b].into_iter().enumerate() {
                    if v.is_infinite() && (lo..=hi).contains(v) {
                        self.err(
                            format!("{path}[{k}]"),
                            format!("a range's ends must be finite numbers, found {v}"),
                            Some(
                                "for every agent at the same value (greedy agents: power inf), give `Fixed(inf)`"
                                    .into(),
                            ),
                        );
                    }
                }
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
                        format!("`Each` lists {} values but the group has count {count}", values.len()),
                        Some(format!("give exactly {count} values, or change `count` to {}", values.len())),
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
    check_recovered(s, &[])
}

/// [`check`] on a scenario decoding recovered, which holds placeholders at the paths
/// `placeholders` (their problems are reported already).
pub(crate) fn check_recovered(s: &Scenario, placeholders: &[String]) -> Vec<Issue> {
    let unsure_legend = placeholders.iter().any(|p| super::within(p, "map.legend"));
    let unsure_kinds = placeholders.iter().any(|p| {
        p == "agents"
            || p.strip_prefix("agents[")
                .and_then(|rest| rest.split_once(']'))
                .is_some_and(|(n, field)| n.parse::<usize>().is_ok() && ["", ".kind", ".count"].contains(&field))
    });
    // A planner with a field decoding could not read (a misspelt `gama`: its default stands in)
    // gets no budget worked out from it: the budget's problem would be the placeholder's.
    let unsure_planner = placeholders.iter().any(|p| super::within(p, "principal.planner"));
    let unsure_agents = placeholders.iter().any(|p| super::within(p, "agents"));
    let unsure_oversight = placeholders.iter().any(|p| super::within(p, "oversight"));
    let mut c =
        Checker { issues: Vec::new(), unsure_legend, unsure_kinds, unsure_planner, unsure_agents, unsure_oversight };
    if s.version != super::FORMAT_VERSION {
        let msg = if s.version == 0 {
            "missing `version: 1` (the scenario format this Polity reads)".to_string()
        } else {
            format!("unsupported version {}; this Polity reads version {}", s.version, super::FORMAT_VERSION)
        };
        let hint = if s.version == 0 { "put `version: 1,` first in the file" } else { "change it to `version: 1`" };
        c.err("version", msg, Some(hint.into()));
    }
    if let Some(problem) = name_problem(&s.name) {
        c.err("name", problem, Some("use a plain name such as `my-world`; outputs go to runs/NAME-seedS".into()));
    }

    // Regrowth.
    if !(s.regrowth.radius > 0.0 && s.regrowth.radius <= 8.0) {
        c.err(
            "regrowth.radius",
            format!("the radius must be in (0, 8], found {}", crate::tables::given(s.regrowth.radius)),
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
    // A cell with no live apple near never regrows (only cells beside live apples are tried:
    // a patch whose last apple is eaten is gone), so of two or more probabilities a first
    // above 0 was taken and did nothing. (One probability is the rate of every cell with a
    // live apple near.)
    if let [p, _, ..] = s.regrowth.probabilities[..]
        && p > 0.0
    {
        c.err(
            "regrowth.probabilities[0]",
            format!(
                "{p} for a cell with no live apple within the radius, but such a cell never regrows (Melting Pot's rule: a patch whose last apple is eaten is gone)"
            ),
            Some(
                "give 0 first, then the probabilities for 1, 2, … live neighbours (one probability alone is the rate of every cell with a live apple near)"
                    .into(),
            ),
        );
    }
    if s.run.agents_every == 0 {
        c.err("run.agents_every", "expected a number of ticks ≥ 1", None);
    }

    check_learning(&mut c, &s.learning);
    let learned_principal = s.principal.as_ref().is_some_and(|p| matches!(p.policy, PrincipalPolicy::Learned(_)));
    if s.learning.tax_cap_warmup > 0 && !learned_principal {
        c.err(
            "learning.tax_cap_warmup",
            "the tax-cap warm-up caps a learned principal's rates, and this scenario has none",
            Some("leave it out, or give the scenario `principal: (policy: Learned())` and a `tax`".into()),
        );
    }

    // Map.
    let layout = check_map(&mut c, &s.map);

    // Agents.
    let mut random_spawners: u64 = 0;
    let mut fixed_cells = BTreeSet::new();
    for (g, group) in s.agents.iter().enumerate() {
        check_group(&mut c, s, g, group);
        if let Some(first) = s.agents[..g].iter().position(|o| !group.name.is_empty() && o.name == group.name) {
            c.err(
                format!("agents[{g}].name"),
                format!(
                    "agents[{first}] is also named `{}`; a group's name must be unique (sweeps, Python's overrides, `--policy` and agents.csv find a group by it)",
                    group.name
                ),
                Some("rename one of the two groups, or leave the name out".into()),
            );
        }
        match &group.spawn {
            SpawnRule::Random => random_spawners += group.count as u64,
            SpawnRule::At(cells) => {
                let path = format!("agents[{g}].spawn");
                if cells.len() != group.count as usize {
                    c.err(
                        path.clone(),
                        format!(
                            "`At` lists {} but the group has count {}",
                            crate::plural(cells.len() as u64, "cell"),
                            group.count
                        ),
                        Some(format!(
                            "give exactly {} cell{}, or change `count`",
                            group.count,
                            if group.count == 1 { "" } else { "s" }
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
                                Some(format!("x must be below {} and y below {}", l.width, l.height)),
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
                        c.err(p, format!("({x}, {y}) is already taken by another agent"), None);
                    }
                }
            }
        }
    }
    let agents: u64 = s.agents.iter().map(|g| g.count as u64).sum();
    if let Some(o) = &s.oversight {
        if o.period == 0 {
            c.err("oversight.period", "the audit period must be at least 1 tick", None);
        }
        for (name, v) in [("audit_probability", o.audit_probability), ("inspect", o.inspect)] {
            if !(v > 0.0 && v <= 1.0) {
                c.err(format!("oversight.{name}"), format!("must be in (0, 1], found {v}"), None);
            }
        }
        if !(o.k >= 0.0 && o.k.is_finite()) {
            c.err("oversight.k", format!("the penalty scale must be a finite number ≥ 0, found {}", o.k), None);
        } else if o.k > super::MAX_PENALTY_SCALE {
            // A fine of k/P_D apples is kept, with the balance, in an i64 of milli-apples.
            c.err(
                "oversight.k",
                format!("the penalty scale must be at most {:e} apples, found {:e}", super::MAX_PENALTY_SCALE, o.k),
                Some("a fine is k/P_D apples, booked with the balance in whole milli-apples (at most 9.2e15 apples): give k of at most 1e9".into()),
            );
        }
        if let super::Detection::LowerBound { samples, delta } = o.detection
            && (samples == 0 || !(delta > 0.0 && delta < 1.0))
        {
            c.err(
                "oversight.detection",
                format!("a lower bound needs samples ≥ 1 and δ in (0, 1), found samples: {samples}, delta: {delta}"),
                Some("e.g. `LowerBound(samples: 1000, delta: 0.05)`: P̂_D is the share of 1,000 simulated audits that catch, less Hoeffding's √(ln(1/δ)/2n)".into()),
            );
        }
        let mut seen = BTreeSet::new();
        for (n, a) in o.advice.iter().enumerate() {
            let p = format!("oversight.advice[{n}]");
            if !seen.insert(a.class) {
                c.err(
                    format!("{p}.class"),
                    format!("{:?} already has an advice set", a.class),
                    Some("give each class one advice set".into()),
                );
            }
            match (a.class, a.feature) {
                (super::Forbidden::Evasion, super::Feature::Witnesses(_)) => c.err(
                    format!("{p}.feature"),
                    "evasion is detected by the share hidden, not by witnesses",
                    Some("write `feature: Share`".into()),
                ),
                (super::Forbidden::ClearCut | super::Forbidden::Theft, super::Feature::Share) => c.err(
                    format!("{p}.feature"),
                    format!("{:?} has no share; it is seen by witnesses", a.class),
                    Some("write `feature: Witnesses(2)` (the radius, in cells)".into()),
                ),
                (_, super::Feature::Witnesses(r)) if r > 64 => {
                    c.err(format!("{p}.feature"), format!("the witness radius must be at most 64, found {r}"), None)
                }
                _ => {}
            }
            if a.advice.is_empty() {
                c.err(
                    format!("{p}.advice"),
                    "an advice set needs at least one advice",
                    Some("e.g. `[(0.1, 0)]`".into()),
                );
            }
            let mut total = 0.0;
            for (m, &(q, at)) in a.advice.iter().enumerate() {
                if !(q > 0.0 && q <= 1.0) {
                    c.err(
                        format!("{p}.advice[{m}].0"),
                        format!("a proposal probability must be in (0, 1], found {q}"),
                        Some("an advice that is never proposed catches nothing: remove it, or give it a q above 0, e.g. `(0.1, 0)`".into()),
                    );
                } else {
                    total += q;
                }
                if !at.is_finite() {
                    c.err(
                        format!("{p}.advice[{m}].1"),
                        format!("a threshold must be a finite number, found {at}"),
                        None,
                    );
                } else if matches!(a.feature, super::Feature::Share) && !(0.0..=1.0).contains(&at) {
                    // A share hidden is in [0, 1]: above 1 the advice catches nothing, below 0
                    // it is 0's.
                    c.err(
                        format!("{p}.advice[{m}].1"),
                        format!(
                            "a share hidden is from 0 to 1, so a threshold of {at} {}",
                            if at > 1.0 { "is never reached: the advice catches nothing" } else { "is 0's" }
                        ),
                        Some("give the least share hidden it catches, from 0 to 1, e.g. `(0.2, 0.5)`".into()),
                    );
                } else if matches!(a.feature, super::Feature::Witnesses(_)) && !(at >= 0.0 && at.fract() == 0.0) {
                    c.err(
                        format!("{p}.advice[{m}].1"),
                        format!("a threshold of witnesses is a whole number ≥ 0 (the advice catches an act seen by at least that many), found {at}"),
                        Some("e.g. `(0.2, 0)` catches any act, `(0.3, 2)` one seen by two or more".into()),
                    );
                }
            }
            if total > 1.0 + 1e-9 {
                c.err(
                    format!("{p}.advice"),
                    format!("the proposal probabilities add up to {}, more than 1", (total * 1e9).round() / 1e9),
                    Some("Q is a distribution over the advice (the rest is no audit): scale the q down".into()),
                );
            }
        }
        for (name, v) in [("bias", o.score.bias), ("noise", o.score.noise)] {
            if !v.is_finite() || (name == "noise" && v < 0.0) {
                c.err(
                    format!("oversight.score.{name}"),
                    format!("must be a finite number{}, found {v}", if name == "noise" { " ≥ 0" } else { "" }),
                    None,
                );
            } else if v.abs() > super::MAX_PENALTY_SCALE {
                // As the penalty scale: an act's score error is booked in milli-apples.
                c.err(
                    format!("oversight.score.{name}"),
                    format!("must be at most {:e} apples in size, found {v:e}", super::MAX_PENALTY_SCALE),
                    Some("the score's error is booked with the balance in whole milli-apples: give at most 1e9".into()),
                );
            }
        }
        // A kind or class listed twice is a slip (another was meant, or one is to go).
        c.listed_once("oversight.kinds", &o.kinds, "list each kind once");
        c.listed_once("oversight.forbidden", &o.forbidden, "list each class once: `ClearCut`, `Evasion`, `Theft`");
        // An advice set audits acts of its class only when the class is forbidden or believed
        // possibly forbidden (Oversight::watched); else nothing is recorded for it.
        for (n, a) in o.advice.iter().enumerate() {
            let believed = o.beliefs.iter().any(|b| b.class == a.class && b.forbidden > 0.0);
            if !o.forbidden.contains(&a.class) && !believed && !c.unsure_oversight {
                let forbidden: Vec<String> = o.forbidden.iter().map(|f| format!("{f:?}")).collect();
                c.err(
                    format!("oversight.advice[{n}].class"),
                    format!(
                        "{:?} is not forbidden (`forbidden: [{}]`) nor believed possibly forbidden: its advice set audits nothing",
                        a.class,
                        forbidden.join(", ")
                    ),
                    Some(format!(
                        "add `{:?}` to `forbidden`, give it a belief with `forbidden` above 0, or remove this advice set",
                        a.class
                    )),
                );
            }
        }
        let covered = |k: &super::Kind| s.agents.iter().any(|g| g.kind == *k && g.count > 0);
        if !o.kinds.iter().any(covered) && !c.unsure_kinds {
            let names: Vec<String> = o.kinds.iter().map(|k| format!("{k:?}")).collect();
            let (message, hint) = if names.is_empty() {
                (
                    "the rules cover no kind of agent: every audit would find no one".to_string(),
                    "list the kinds audited, e.g. `kinds: [Ai]`".to_string(),
                )
            } else {
                let missing = if names.len() == 1 {
                    format!("no {} agent", names[0])
                } else {
                    format!("no agent of kinds [{}]", names.join(", "))
                };
                let here: BTreeSet<String> =
                    s.agents.iter().filter(|g| g.count > 0).map(|g| format!("{:?}", g.kind)).collect();
                let here: Vec<String> = here.into_iter().collect();
                (
                    format!(
                        "the rules cover [{}] agents and the scenario has {missing}: every audit would find no one",
                        names.join(", ")
                    ),
                    if here.is_empty() {
                        // (`kinds: []` is refused in its turn: no hint to it.)
                        "add a group of the kind covered (the scenario has no agent), or remove `oversight`".to_string()
                    } else {
                        format!(
                            "cover the agents there are (`kinds: [{}]`), add a group of the kind covered, or remove `oversight`",
                            here.join(", ")
                        )
                    },
                )
            };
            c.err("oversight.kinds", message, Some(hint));
        }
        if o.evade_shares.is_empty() {
            c.err("oversight.evade_shares", "at least one share is needed", Some("e.g. `[0.25, 0.5, 1.0]`".into()));
        }
        for (n, &v) in o.evade_shares.iter().enumerate() {
            if !(v > 0.0 && v <= 1.0) {
                c.err(format!("oversight.evade_shares[{n}]"), format!("a share must be in (0, 1], found {v}"), None);
            }
        }
        let mut seen = BTreeSet::new();
        for (n, b) in o.beliefs.iter().enumerate() {
            let p = format!("oversight.beliefs[{n}]");
            if !seen.insert(b.class) {
                c.err(
                    format!("{p}.class"),
                    format!("{:?} already has a belief", b.class),
                    Some("give each class one belief".into()),
                );
            }
            if !(0.0..=1.0).contains(&b.forbidden) {
                c.err(
                    format!("{p}.forbidden"),
                    format!("P_AF, the probability the class is forbidden, must be in [0, 1], found {}", b.forbidden),
                    Some("0: sure it is allowed; 1: sure it is forbidden; e.g. `forbidden: 0.5`".into()),
                );
            }
            match b.detection {
                super::BeliefDetection::Fixed(d) if !(0.0..=1.0).contains(&d) => c.err(
                    format!("{p}.detection"),
                    format!("a detection probability must be in [0, 1], found {d}"),
                    Some("e.g. `Fixed(0.3)`; `Known` believes the true P_D, `Learned(prior: (1, 1))` learns it".into()),
                ),
                super::BeliefDetection::Learned { prior: (a, bb) }
                    if !(a > 0.0 && bb > 0.0 && a.is_finite() && bb.is_finite()) =>
                {
                    c.err(
                        format!("{p}.detection"),
                        format!("a Beta prior needs α > 0 and β > 0, found ({a}, {bb})"),
                        Some("`prior: (1, 1)` is uniform; (α, β) count as α catches and β misses seen before the first audit".into()),
                    )
                }
                _ => {}
            }
        }
    }
    if s.sum.harm && !c.unsure_kinds && !s.agents.iter().any(|g| g.kind == super::Kind::Ai && g.count > 0) {
        c.err(
            "sum.harm",
            "harm is the humans' wealth lost against the AI agents' inaction: with no AI agent there is nothing to measure",
            Some("add a group with `kind: Ai`, or remove `harm: true`".into()),
        );
    }
    if let Some(l) = &s.sum.alignment_loop {
        if !(l.dims >= 2.0 && l.dims <= super::LoopSpec::MAX_DIMS) {
            let max = super::LoopSpec::MAX_DIMS;
            let problem = if l.dims.is_nan() || l.dims < 2.0 {
                format!("the value space needs at least 2 dimensions, found {}", l.dims)
            } else {
                format!(
                    "the loop is worked out for at most {max} dimensions (its angle grid resolves the cosine no finer), found {}",
                    l.dims
                )
            };
            c.err("sum.alignment_loop.dims", problem, Some(format!("give dims from 2 to {max}")));
        }
        if !(l.critical > -1.0 && l.critical < 1.0) {
            c.err(
                "sum.alignment_loop.critical",
                format!("the critical cosine must be in (−1, 1), found {}", l.critical),
                None,
            );
        }
        let kinds = |ai: bool| s.agents.iter().any(|g| (g.kind == super::Kind::Ai) == ai && g.count > 0);
        if (!kinds(true) || !kinds(false)) && !c.unsure_kinds {
            c.err(
                "sum.alignment_loop",
                "the loop aligns AI agents to humans: it needs both",
                Some("add a group with `kind: Ai` and one with `kind: Human`, or remove `alignment_loop`".into()),
            );
        }
    }
    if s.impact.is_some() && !c.unsure_kinds && !s.agents.iter().any(|g| g.kind == super::Kind::Ai && g.count > 0) {
        c.err(
            "impact",
            "impact accounting blames AI agents for their side effects, and the scenario has none: every penalty would be 0",
            Some("add a group with `kind: Ai`, or remove `impact`".into()),
        );
    }
    if let Some(i) = &s.impact {
        if i.horizon > 1000 {
            c.err(
                "impact.horizon",
                format!(
                    "the rollouts' horizon must be 1 to 1000 ticks (or 0: the AI's plan length), found {}",
                    i.horizon
                ),
                None,
            );
        }
        if let Some(p) = &i.plan {
            // Planning is for AI agents that forage or walk (PolicySpec::plans): with none of
            // them (only scripted or learned AIs) the plan changes nothing.
            let ais: Vec<&PolicySpec> =
                s.agents.iter().filter(|g| g.kind == super::Kind::Ai && g.count > 0).map(|g| &g.policy).collect();
            if !ais.is_empty() && !ais.iter().any(|p| p.plans()) && !c.unsure_agents && !c.unsure_kinds {
                let ais: BTreeSet<&str> = ais.iter().map(|p| p.name()).collect();
                let ais: Vec<&str> = ais.into_iter().collect();
                c.err(
                    "impact.plan",
                    format!(
                        "no AI agent here plans: planning is for AIs whose policy is `Forager` or `RandomWalk`, and this scenario's AIs follow {}",
                        ais.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" and ")
                    ),
                    Some("give an AI group `policy: Forager()`, or remove `plan` (a `Learned` AI meets the penalty through its reward, a scripted one follows its script)".into()),
                );
            }
            if !(1..=16).contains(&p.width) {
                c.err("impact.plan.width", format!("the planner's width must be 1 to 16, found {}", p.width), None);
            }
            if !(1..=8).contains(&p.depth) {
                c.err(
                    "impact.plan.depth",
                    format!("the planner's depth must be 1 to 8 ticks, found {}", p.depth),
                    None,
                );
            } else if (1..=16).contains(&p.width) {
                // Each node of the tree is a tick of the whole world and its shadow (about
                // 20 µs on a small map): past a million a decision, a tick takes minutes.
                let tree = crate::rules::sparse_sampling::tree_log10(p.width as f64, p.depth, 5);
                if tree > MAX_IMPACT_TREE_LOG10 {
                    c.err(
                        "impact.plan",
                        format!(
                            "this plan imagines about {:.1e} ticks of the world per decision of each planning AI \
                             (Σ (5·width)^d for d = 1..depth, width {}, depth {}): too many to compute",
                            10f64.powf(tree),
                            p.width,
                            p.depth
                        ),
                        Some(
                            "use a smaller width or depth: at most 10⁶ ticks a decision (width 2, depth 5 imagines \
                             1.1e5, about 2 s a tick on a small map)"
                                .into(),
                        ),
                    );
                }
            }
            if !(p.gamma > 0.0 && p.gamma <= 1.0) {
                c.err("impact.plan.gamma", format!("the discount must be in (0, 1], found {}", p.gamma), None);
            }
            if !(p.apple >= 0.0 && p.apple.is_finite()) {
                c.err(
                    "impact.plan.apple",
                    format!("an apple's reward must be a finite number ≥ 0, found {}", p.apple),
                    None,
                );
            }
        }
        if let Some(l) = &i.learn_whitelist
            && !(l.prior_allowed > 0.0
                && l.prior_forbidden > 0.0
                && l.prior_allowed.is_finite()
                && l.prior_forbidden.is_finite())
        {
            c.err(
                "impact.learn_whitelist",
                format!(
                    "the prior pseudo-counts must be finite numbers > 0, found ({}, {})",
                    l.prior_allowed, l.prior_forbidden
                ),
                None,
            );
        }
        c.listed_once("impact.whitelist", &i.whitelist, "list each effect kind once");
        c.listed_once("impact.class_whitelist", &i.class_whitelist, "list each change once");
        if !(i.weight >= 0.0 && i.weight.is_finite()) {
            c.err("impact.weight", format!("the penalty weight must be a finite number ≥ 0, found {}", i.weight), None);
        }
        for (kind, v) in &i.costs {
            if !(*v >= 0.0 && v.is_finite()) {
                c.err(
                    format!("impact.costs[{kind:?}]"),
                    format!("a cost must be a finite number ≥ 0, found {v}"),
                    None,
                );
            }
        }
        for (k, &(class, from, to)) in i.class_whitelist.iter().enumerate() {
            use crate::scenario::{ObjectClass, ObjectState};
            // The states a class's objects can be in (crate::impact::class_states).
            let never = |state: ObjectState| match (class, state) {
                (ObjectClass::Patch, ObjectState::Moved) => {
                    Some("a patch never moves: it is InPlace (alive) or Gone (lost)")
                }
                (ObjectClass::Box, ObjectState::Gone) => Some("a box never breaks: it is InPlace or Moved"),
                _ => None,
            };
            let path = format!("impact.class_whitelist[{k}]");
            if let Some(why) = never(from).or(never(to)) {
                c.err(
                    path,
                    format!("({class:?}, {from:?}, {to:?}) can never apply: {why}"),
                    Some("list only changes between the states the class has, or remove the entry".into()),
                );
            } else if from == to {
                c.err(
                    path,
                    format!(
                        "({class:?}, {from:?}, {to:?}) allows nothing: an object staying as it is is never penalised"
                    ),
                    Some("whitelist a change between two different states, or remove the entry".into()),
                );
            }
        }
    }
    if let Some(l) = &layout {
        for (g, group) in s.agents.iter().enumerate() {
            if let SpawnRule::At(cells) = &group.spawn {
                for (k, &(x, y)) in cells.iter().enumerate() {
                    if x < l.width && y < l.height && l.objects.iter().any(|&(_, i)| i == y * l.width + x) {
                        c.err(
                            format!("agents[{g}].spawn[{k}]"),
                            format!("({x}, {y}) holds an object; an agent cannot start there"),
                            None,
                        );
                    }
                }
            }
        }
    }
    check_governance(&mut c, s, agents);
    if let Some(l) = &layout {
        let fixed_spawns = fixed_cells
            .iter()
            .filter(|&&(x, y)| x < l.width && y < l.height && l.spawn.get((y * l.width + x) as usize))
            .count();
        let free = (l.spawn.count() - fixed_spawns) as u64;
        if random_spawners > free {
            // A generated map has no `P`s to add: every floor cell is a spawn point.
            let hint = match &s.map {
                // Patches that cover every floor cell leave none to spawn on, however big.
                super::MapSpec::Generated(_) if free == 0 => {
                    "the patches cover every floor cell (a patch's cells are grass, not spawn points): space them wider \
                     (a larger `patch_spacing`) or make them smaller (`patch_radius`), or make the map bigger"
                }
                super::MapSpec::Generated(_) => {
                    "make the map bigger (every floor cell of a Generated map that is not grass is a spawn point) or lower the groups' `count`"
                }
                _ => "add spawn points (`P`) to the map or lower the groups' `count`",
            };
            c.err(
                "agents",
                format!(
                    "{} {} at random but the map has {}",
                    count(random_spawners as usize, "agent"),
                    if random_spawners == 1 { "spawns" } else { "spawn" },
                    match free {
                        0 => "no free spawn point".to_string(),
                        n => format!("only {}", count(n as usize, "free spawn point")),
                    }
                ),
                Some(hint.into()),
            );
        }
    }
    c.issues
}

fn check_group(c: &mut Checker, s: &Scenario, g: usize, group: &AgentGroup) {
    let p = |field: &str| format!("agents[{g}].{field}");
    c.dist(p("selfishness"), &group.selfishness, group.count, 0.0, 1.0, "selfishness");
    c.dist(p("power"), &group.power, group.count, 0.0, f64::INFINITY, "power (a KL budget)");
    for (name, v) in [("own", group.weights.own), ("commons", group.weights.commons)] {
        if !v.is_finite() {
            c.err(p(&format!("weights.{name}")), format!("a weight must be a finite number, found {v}"), None);
        }
    }
    if let Some(sh) = &group.shield {
        if sh.width == 0 || sh.depth == 0 || (5.0 * sh.width as f64).powi(sh.depth as i32) > 2e6 {
            c.err(p("shield"), "width and depth must be at least 1, and (5·width)^depth at most 2,000,000", None);
        }
        if !(sh.gamma > 0.0 && sh.gamma < 1.0) {
            c.err(p("shield.gamma"), format!("γ must be in (0, 1), found {}", sh.gamma), None);
        }
        if !(sh.margin >= 0.0 && sh.margin.is_finite()) {
            c.err(p("shield.margin"), format!("the margin must be a finite number ≥ 0, found {}", sh.margin), None);
        }
        if sh.p.is_nan() {
            c.err(p("shield.p"), "p must be a number", None);
        }
    }
    if let PolicySpec::Forager { view, discount } = group.policy {
        if view > 64 {
            c.err(p("policy.view"), format!("the view radius must be at most 64 cells, found {view}"), None);
        }
        if !(discount > 0.0 && discount <= 1.0) {
            c.err(p("policy.discount"), format!("the discount must be in (0, 1], found {discount}"), None);
        }
    }
    if let PolicySpec::Learned(l) = &group.policy {
        check_learned(c, s, group, l, &p);
    }
    if let PolicySpec::Script(plan) = &group.policy {
        // Every character that is not a move, with where it stands (1-based).
        let mut bad: Vec<String> = Vec::new();
        for (k, ch) in plan.chars().enumerate() {
            if !matches!(ch, 'N' | 'E' | 'S' | 'W' | '.') && !ch.is_whitespace() {
                bad.push(format!("`{ch}` (character {})", k + 1));
            }
        }
        if !bad.is_empty() {
            let lower = plan.chars().any(|ch| matches!(ch, 'n' | 'e' | 's' | 'w'));
            c.err(
                p("policy"),
                format!(
                    "a script is made of N, E, S, W and `.` (stay; spaces between are read past), found {}",
                    bad.join(", ")
                ),
                Some(if lower {
                    "moves are capital letters: write one move per tick, e.g. Script(\"EE.S\")".into()
                } else {
                    "write one move per tick, e.g. Script(\"EE.S\")".into()
                }),
            );
        }
    }
}

/// PPO's settings.
/// A network's hidden widths: 1 to 4 layers of 1 to 1024. Whether they are.
/// Why a network's hidden widths are refused, if they are: 1 to 4 layers of 1 to 1024 each.
pub fn hidden_problem(hidden: &[u32]) -> Option<String> {
    (hidden.is_empty() || hidden.len() > 4 || hidden.iter().any(|&w| !(1..=1024).contains(&w)))
        .then(|| format!("hidden layers: 1 to 4 widths of 1 to 1024 each, found {hidden:?}"))
}

fn check_hidden(c: &mut Checker, at: String, hidden: &[u32]) -> bool {
    match hidden_problem(hidden) {
        Some(why) => {
            c.err(at, why, Some("e.g. `hidden: [64, 64]`".into()));
            false
        }
        None => true,
    }
}

fn check_learned_principal(c: &mut Checker, s: &Scenario, l: &super::LearnedPrincipal) {
    if !check_hidden(c, "principal.policy.hidden".into(), &l.hidden) {
        return;
    }
    let group = crate::rules::observation::PRINCIPAL;
    if s.tax.is_none() {
        return;
    }
    if let Some(path) = &l.weights {
        let agents = s.agents.iter().map(|g| g.count as usize).sum();
        let step = s.tax.as_ref().map_or(0.1, |t| t.rate_step());
        let want = crate::policy_file::Expect {
            group,
            seen: crate::policy_file::Seen::Principal { brackets: s.tax_brackets(), agents },
            actions: s.tax_brackets() * crate::rules::observation::principal_choices(step),
            hidden: &l.hidden,
            networks: 1,
        };
        if let Err(e) = crate::policy_file::check(path, &want) {
            c.err("principal.policy.weights", e.message, e.hint);
        }
    }
}

/// The most `learning.epochs` a scenario may ask for.
pub const MAX_EPOCHS: u32 = 10_000;

fn check_learning(c: &mut Checker, l: &super::LearningSpec) {
    let p = |f: &str| format!("learning.{f}");
    if !(1..=super::MAX_ENVS).contains(&l.envs) {
        c.err(p("envs"), format!("expected 1 to {} worlds, found {}", super::MAX_ENVS, l.envs), None);
    }
    for (name, v) in [("updates", l.updates), ("epochs", l.epochs), ("minibatches", l.minibatches)] {
        if v == 0 {
            c.err(p(name), "expected a number ≥ 1", None);
        }
    }
    // An update's learning is finished before a Ctrl-C stops the training: `epochs: 1000000`
    // made one that no single interrupt (nor a batch job's `timeout`) could stop.
    if l.epochs > MAX_EPOCHS {
        c.err(
            p("epochs"),
            format!("expected at most {MAX_EPOCHS} passes over an update's samples, found {}", l.epochs),
            Some(
                "PPO's usual is 3 to 30; an update's learning runs to its end before a Ctrl-C stops the training"
                    .into(),
            ),
        );
    }
    if !(l.learning_rate > 0.0 && l.learning_rate <= 1.0) {
        c.err(
            p("learning_rate"),
            format!("expected a rate in (0, 1], found {}", l.learning_rate),
            Some("PPO's usual is 0.0003".into()),
        );
    }
    if !(l.gamma > 0.0 && l.gamma <= 1.0) {
        c.err(p("gamma"), format!("γ must be in (0, 1], found {}", l.gamma), None);
    }
    c.unit_interval(p("gae_lambda"), l.gae_lambda, "λ");
    if !(l.clip > 0.0 && l.clip.is_finite()) {
        c.err(p("clip"), format!("ε must be a finite number > 0, found {}", l.clip), Some("PPO's usual is 0.2".into()));
    }
    for (name, v) in [("entropy_coef", l.entropy_coef), ("value_coef", l.value_coef)] {
        if !(v >= 0.0 && v.is_finite()) {
            c.err(p(name), format!("expected a finite number ≥ 0, found {v}"), None);
        }
    }
    if !(l.max_grad_norm > 0.0) {
        c.err(p("max_grad_norm"), format!("expected a number > 0 (inf: no clipping), found {}", l.max_grad_norm), None);
    }
}

/// A learned policy: the network's shape and, when it names one, its weights file.
fn check_learned(
    c: &mut Checker,
    s: &Scenario,
    group: &AgentGroup,
    l: &super::LearnedSpec,
    p: &dyn Fn(&str) -> String,
) {
    if !(1..=8).contains(&l.view) {
        c.err(p("policy.view"), format!("a learned policy's view radius must be 1 to 8 cells, found {}", l.view), None);
    }
    if !check_hidden(c, p("policy.hidden"), &l.hidden) {
        return;
    }
    if group.name.is_empty() {
        c.err(
            p("policy"),
            "a learned group needs a name: its policy is saved and found by it",
            Some("give the group `name: \"learners\"` (any plain name)".into()),
        );
        return;
    }
    if s.agents.iter().filter(|o| o.name == group.name).count() > 1 {
        // Said once, for all groups (`check`).
        return;
    }
    // `principal` names the learned principal: its policy file, its header's group and
    // `--policy principal=FILE` (which would not play a group of that name).
    let principal = crate::rules::observation::PRINCIPAL;
    if group.name == principal {
        c.err(
            p("name"),
            format!(
                "a learned group may not be named `{principal}`: that name is the principal's (its policy is saved as \
                 {principal}.safetensors and played with `--policy {principal}=FILE`)"
            ),
            Some("rename the group, e.g. `name: \"learners\"`".into()),
        );
        return;
    }
    // Its policy is saved as policies/NAME.safetensors, the name made a safe file name.
    let stem = super::file_stem(&group.name);
    if stem != group.name {
        c.err(
            p("name"),
            format!(
                "a learned group's name is the name of its policy file (policies/NAME.safetensors), and `{}` is not a plain file name",
                group.name
            ),
            Some(format!("use letters, digits, `-`, `_` and `.` only (not starting with `.`), e.g. `{stem}`")),
        );
        return;
    }
    if let Some(path) = &l.weights {
        let brackets = s.tax_brackets();
        let want = crate::policy_file::Expect {
            group: &group.name,
            seen: crate::policy_file::Seen::Agent { view: l.view, brackets },
            actions: crate::rules::action::Action::ALL.len(),
            hidden: &l.hidden,
            networks: if l.shared { 1 } else { group.count },
        };
        if let Err(e) = crate::policy_file::check(path, &want) {
            c.err(p("policy.weights"), e.message, e.hint);
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
                    "the map has no rows (or the scenario has no `map` at all)",
                    Some(
                        "draw the map as a list of strings, one per row: `map: Ascii(rows: [\"WWW\", \"WPW\", \"WWW\"])`, \
                         or generate one: `map: Generated(width: 64, height: 64, patch_spacing: 10, patch_radius: 2.0)` \
                         (docs/scenarios.md, map)"
                            .into(),
                    ),
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
                        format!(
                            "row {r} has {n} characters but row 0 has {width}; every row must have the same length"
                        ),
                        Some(if n < width {
                            "pad the row (with spaces for floor)".into()
                        } else {
                            "shorten the row".into()
                        }),
                    );
                    sound = false;
                }
                for (k, ch) in row.chars().enumerate() {
                    if !legend.contains_key(&ch) && !c.unsure_legend {
                        c.issues.push(Issue {
                            path: format!("map.rows[{r}]"),
                            char_index: Some(k),
                            message: format!("unknown map character {ch:?} (column {k} of the row)"),
                            hint: Some(format!(
                                "add it to the legend, e.g. `legend: {{ {ch:?}: Floor }}`, or use one of: {}",
                                legend_chars(&legend)
                            )),
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
                    c.err(format!("map.{name}"), format!("{name} must be between 3 and 20000 cells, found {v}"), None);
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
                    format!("the patch radius must be in [0, 8], found {}", crate::tables::given(gm.patch_radius)),
                    None,
                );
                sound = false;
            }
            // (With no spacing, said above, there is nothing for the jitter to be below.)
            if gm.patch_spacing > 0 && gm.jitter >= gm.patch_spacing {
                c.err(
                    "map.jitter",
                    format!("the jitter must be below the spacing ({}), found {}", gm.patch_spacing, gm.jitter),
                    None,
                );
                sound = false;
            }
            sound.then(|| layout(map))
        }
    }
}

fn legend_chars(legend: &std::collections::BTreeMap<char, Tile>) -> String {
    legend.keys().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(" ")
}

/// Taxes, voting, the principal and the social graph.
fn check_governance(c: &mut Checker, s: &Scenario, agents: u64) {
    if let Some(t) = &s.tax {
        // Without a preset and one of the two lists, the other is measured against a default
        // the file never gave: that is the one problem to report.
        let incomplete = t.preset.is_none() && (t.brackets.is_none() || t.rates.is_none());
        if incomplete {
            c.err("tax", "give `brackets` and `rates`, or a `preset`", Some("e.g. `tax: (preset: Sed)`".into()));
        }
        let brackets = t.brackets();
        let rates = t.rates();
        let most = crate::rules::tax::MAX_BRACKETS;
        if brackets.is_empty() || brackets.len() > most {
            c.err("tax.brackets", format!("expected 1 to {most} brackets, found {}", brackets.len()), None);
        }
        if brackets.first().is_some_and(|&b| b != 0.0) {
            c.err(
                "tax.brackets[0]",
                format!("the first bracket must start at 0, found {}", brackets[0]),
                Some("start the list with 0.0".into()),
            );
        }
        for k in 1..brackets.len() {
            if !(brackets[k] > brackets[k - 1]) || !brackets[k].is_finite() {
                c.err(
                    format!("tax.brackets[{k}]"),
                    format!(
                        "brackets must be strictly increasing and finite: {} does not follow {}",
                        brackets[k],
                        brackets[k - 1]
                    ),
                    None,
                );
            }
        }
        if rates.len() != brackets.len() && !incomplete {
            c.err(
                "tax.rates",
                format!(
                    "{} for {}; give one rate per bracket",
                    count(rates.len(), "rate"),
                    count(brackets.len(), "bracket")
                ),
                None,
            );
        }
        for (k, &r) in rates.iter().enumerate() {
            c.unit_interval(format!("tax.rates[{k}]"), r, "a tax rate");
        }
        c.unit_interval("tax.redistribute".into(), t.redistribute(), "the redistributed share");
        if t.period() == 0 {
            c.err("tax.period", "the tax period must be at least 1 tick", None);
        }
        let step = t.rate_step();
        if !(step > 0.0 && step <= 1.0) {
            c.err("tax.rate_step", format!("the rate step must be in (0, 1], found {step}"), None);
        }
    }
    if let Some(v) = &s.voting {
        if v.period == 0 {
            c.err("voting.period", "the election period must be at least 1 tick", None);
        }
        let values = v.candidates.values();
        let before = c.issues.len();
        match &v.candidates {
            Candidates::Menu(m) => {
                if m.is_empty() {
                    c.err(
                        "voting.candidates",
                        "the menu of candidates is empty",
                        Some("e.g. `Menu([-inf, 0.0, 1.0])`".into()),
                    );
                }
                for (k, x) in m.iter().enumerate() {
                    if x.is_nan() {
                        c.err(format!("voting.candidates[{k}]"), "a candidate p must be a number (NaN is not)", None);
                    }
                }
                if values.windows(2).any(|w| w[0] == w[1]) {
                    c.err("voting.candidates", "a candidate appears twice", None);
                }
            }
            Candidates::Range(lo, hi, n) => {
                if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                    c.err("voting.candidates", format!("a range needs finite low < high, found {lo} and {hi}"), None);
                }
                if *n < 2 {
                    c.err("voting.candidates[2]", format!("a range needs at least 2 candidates, found {n}"), None);
                }
            }
        }
        // (Only against candidates that are themselves right: a broken range's "values" are
        // no menu to choose from.)
        if let Some(p) = v.initial
            && c.issues.len() == before
            && !values.contains(&p)
        {
            let menu: Vec<String> = values.iter().map(|x| format!("{x:?}")).collect();
            c.err(
                "voting.initial",
                format!("{p} is not a candidate"),
                Some(format!("choose one of {}", menu.join(", "))),
            );
        }
    }
    if let Some(p) = &s.principal {
        if s.tax.is_none() {
            c.err(
                "principal",
                "a principal sets tax rates, but the scenario has no `tax`",
                Some("add e.g. `tax: (preset: Sed)`".into()),
            );
        }
        if p.objective == Objective::Elected && s.voting.is_none() {
            c.err(
                "principal.objective",
                "`Elected` needs a `voting` section",
                Some("add `voting: ()`, or serve a fixed objective: `objective: Fixed(1.0)`".into()),
            );
        }
        if let Objective::Fixed(x) = p.objective
            && x.is_nan()
        {
            c.err("principal.objective", "p must be a number", None);
        }
        check_planner(c, p, s);
        if p.policy == PrincipalPolicy::Us2018 && s.tax.as_ref().is_some_and(|t| t.brackets().len() != 7) {
            c.err(
                "principal.policy",
                "`Us2018` sets seven rates, but the tax has a different number of brackets",
                Some("use `tax: (preset: Us2018)`".into()),
            );
        }
        if let PrincipalPolicy::Learned(l) = &p.policy {
            check_learned_principal(c, s, l);
        }
    }
    match &s.social_graph {
        SocialGraph::Grid { radius } if *radius == 0 => c.err(
            "social_graph.radius",
            "the radius must be at least 1",
            Some("a radius of 0 leaves every agent without neighbours; for that, write `Edges([])`".into()),
        ),
        SocialGraph::Edges(edges) => {
            for (k, &(a, b)) in edges.iter().enumerate() {
                for (end, id) in [(0, a), (1, b)] {
                    if id as u64 >= agents {
                        c.err(
                            format!("social_graph[{k}][{end}]"),
                            format!("no agent has id {id}; ids run from 0 to {}", agents.saturating_sub(1)),
                            Some("agents are numbered from 0 in the order of `agents`".into()),
                        );
                    }
                }
                if a == b {
                    c.err(format!("social_graph[{k}]"), format!("an edge from agent {a} to itself"), None);
                }
            }
        }
        _ => {}
    }
}

fn check_planner(c: &mut Checker, p: &super::PrincipalSpec, s: &Scenario) {
    let pl = &p.planner;
    if !(pl.gamma > 0.0 && pl.gamma < 1.0) {
        c.err("principal.planner.gamma", format!("γ must be in (0, 1), found {}", pl.gamma), None);
    }
    if !(pl.delta > 0.0 && pl.delta < 1.0) {
        c.err("principal.planner.delta", format!("δ must be in (0, 1), found {}", pl.delta), None);
    }
    // The size of the plan follows from γ: worked out from a γ said to be wrong (or one
    // decoding could not read), it would be a second problem that is the first's.
    // (A planner nothing plans with — no `Paa` policy, no shield — imagines nothing: its size
    // is no problem; `notes` says it is unused.)
    let used = matches!(p.policy, super::PrincipalPolicy::Paa) || p.shield.is_some();
    let sized = pl.gamma > 0.0 && pl.gamma < 1.0 && !c.unsure_planner && used;
    let brackets = s.tax_brackets();
    let k = match &pl.candidates {
        super::RateCandidates::Steps => 2 * brackets + 1,
        super::RateCandidates::Menu(m) => {
            if m.is_empty() {
                c.err("principal.planner.candidates", "the menu of schedules is empty", None);
            }
            for (i, rates) in m.iter().enumerate() {
                if rates.len() != brackets {
                    c.err(
                        format!("principal.planner.candidates[{i}]"),
                        format!("{} for {}", count(rates.len(), "rate"), count(brackets, "bracket")),
                        None,
                    );
                }
                for (b, &r) in rates.iter().enumerate() {
                    c.unit_interval(format!("principal.planner.candidates[{i}][{b}]"), r, "a tax rate");
                }
            }
            m.len()
        }
    };
    let period = s.tax.as_ref().map_or(1, |t| t.period()) as f64;
    let (width, depth) = match pl.budget {
        super::PlannerBudget::Budget { width, depth } => {
            if width == 0 || depth == 0 {
                c.err("principal.planner.budget", "width and depth must be at least 1", None);
            }
            (width as f64, depth)
        }
        super::PlannerBudget::Guarantee { epsilon, delta } => {
            if !(epsilon > 0.0 && (0.0..1.0).contains(&delta) && delta > 0.0) {
                c.err("principal.planner.budget", "a guarantee needs ε > 0 and δ in (0, 1)", None);
                return;
            }
            let (h, cc) = crate::rules::sparse_sampling::required(
                epsilon,
                delta,
                pl.gamma.clamp(1e-6, 1.0 - 1e-6),
                period,
                k.max(1),
            );
            (cc.ceil(), h)
        }
        super::PlannerBudget::TimeLimit { seconds, depth, max_width } => {
            if !(seconds > 0.0 && seconds.is_finite()) {
                c.err(
                    "principal.planner.budget",
                    format!("a time limit must be a finite number of seconds > 0, found {seconds}"),
                    Some("e.g. `TimeLimit(seconds: 0.5, depth: 2, max_width: 16)`".into()),
                );
            }
            if depth == 0 || max_width == 0 {
                c.err("principal.planner.budget", "depth and max_width must be at least 1", None);
            }
            (max_width as f64, depth)
        }
    };
    let tree = (k.max(1) as f64 * width).powi(depth as i32);
    if tree > 2e6 && sized {
        let (tree, width) = (power_text(k.max(1) as f64 * width, depth), big_text(width));
        c.err(
            "principal.planner.budget",
            format!("this plan imagines about {tree} tax periods per decision (width {width}, depth {depth}, {k} candidates): too many to compute"),
            Some("use a smaller `Budget(width: …, depth: …)` (or `max_width`); run.json reports what it guarantees".into()),
        );
    }
    // How wrong the model is: a bias that keeps the probabilities a scale (the model's are
    // P·(1 + r)), standard deviations, a probability. (Any number ran: regrowth −2 and
    // observation 1.5 were written into run.json's guarantee.)
    let e = &pl.model_error;
    if !(e.regrowth >= -1.0 && e.regrowth.is_finite()) {
        c.err(
            "principal.planner.model_error.regrowth",
            format!(
                "the regrowth bias r must be a finite number ≥ −1 (the model's probabilities are P·(1 + r)), found {}",
                e.regrowth
            ),
            None,
        );
    }
    for (field, v) in [("selfishness", e.selfishness), ("power", e.power)] {
        if !(v >= 0.0 && v.is_finite()) {
            c.err(
                format!("principal.planner.model_error.{field}"),
                format!("a standard deviation must be a finite number ≥ 0, found {v}"),
                None,
            );
        }
    }
    c.unit_interval("principal.planner.model_error.observation".into(), e.observation, "a probability");
    if let Some(sh) = &p.shield {
        if !(sh.margin >= 0.0 && sh.margin.is_finite()) {
            c.err(
                "principal.shield.margin",
                format!("the margin must be a finite number ≥ 0, found {}", sh.margin),
                None,
            );
        }
        if let Some(omega) = sh.certified
            && !omega.is_finite()
        {
            c.err(
                "principal.shield.certified",
                format!("ω must be a finite welfare threshold, found {omega}"),
                Some("e.g. `certified: Some(0.0)`: certify schedules whose Q̂ − β is at least 0".into()),
            );
        }
        // A certified set replaces the margin and the floor: given beside it, they were ignored
        // without a word. (A margin of exactly 1.0, the default, cannot be told from none.)
        if sh.certified.is_some() {
            let given: Vec<&str> = [(sh.margin != 1.0, "margin"), (sh.floor.is_some(), "floor")]
                .into_iter()
                .filter_map(|(given, name)| given.then_some(name))
                .collect();
            if !given.is_empty() {
                c.err(
                    "principal.shield.certified",
                    format!(
                        "`certified` replaces the margin and the floor, so the {} given would be ignored",
                        given.join(" and ")
                    ),
                    Some(format!(
                        "remove {} for the certified set, or `certified` for the margin and floor (docs/scenarios.md, the principal's shield)",
                        given.join(" and ")
                    )),
                );
            }
        }
    }
}

/// `1 rate`, `3 rates`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// `base^exp` in scientific form (`3.2e423`), past f64's range too (where `powi` gives inf).
fn power_text(base: f64, exp: u32) -> String {
    let x = base.powi(exp as i32);
    if x.is_finite() {
        return format!("{x:.1e}");
    }
    let log = f64::from(exp) * base.log10();
    if !log.is_finite() {
        return "more than 1e308".into();
    }
    let (mut e, mut m) = (log.floor(), 10f64.powf(log - log.floor()));
    if m >= 9.95 {
        (e, m) = (e + 1.0, m / 10.0);
    }
    format!("{m:.1}e{e}")
}

/// A count as digits, or in scientific form once digits would be too many to read.
fn big_text(x: f64) -> String {
    match x {
        _ if x < 1e15 => format!("{x:.0}"),
        _ if x.is_finite() => format!("{x:.1e}"),
        _ => "more than 1e308".into(),
    }
}

/// The longest scenario name, in bytes (UTF-8).
pub const MAX_NAME_BYTES: usize = 120;

/// Why a scenario name cannot name output files, if it cannot.
pub fn name_problem(name: &str) -> Option<String> {
    if name.contains(['/', '\\']) {
        Some(format!(
            "a scenario's name becomes part of its output files' names, so it cannot contain `/` or `\\`; found {name:?}"
        ))
    } else if name.chars().any(char::is_control) {
        Some(format!("a scenario's name cannot contain control characters; found {name:?}"))
    } else if name.trim().is_empty() && !name.is_empty() {
        // (It named the outputs `runs/ -seed0/` and printed "ok — ` `".)
        Some(format!(
            "a scenario's name cannot be only spaces; found {name:?} (leave `name` out, or give \"\", to name it after its file)"
        ))
    } else if name.trim_matches('.').is_empty() && !name.is_empty() {
        Some(format!("a scenario's name cannot be only dots; found {name:?}"))
    } else if name.len() > MAX_NAME_BYTES {
        // A file name has at most 255 bytes, and the outputs' names add a seed and a tick.
        let short: String = name.chars().take(30).collect();
        Some(format!(
            "a scenario's name becomes part of its output files' names, so it can be at most {MAX_NAME_BYTES} bytes; found {} (\"{short}…\"); a longer title can go in `description`",
            name.len()
        ))
    } else {
        None
    }
}

/// What a valid scenario's settings will not do in a run of `ticks` ticks, one sentence each:
/// a tax, election or audit period longer than the run (nothing is collected, elected or
/// audited). Not problems — the same file may be run longer — but worth saying before a run.
pub fn notes(s: &Scenario, ticks: u64) -> Vec<String> {
    let mut notes = Vec::new();
    let mut longer = |what: &str, period: u64, none: &str| {
        if period > ticks {
            notes.push(format!(
                "the {what} period ({period} ticks) is longer than the run ({}): {none} (run {period} ticks or more with `--ticks` to see one)",
                crate::plural(ticks, "tick")
            ));
        }
    };
    if let Some(t) = &s.tax {
        let principal = if s.principal.is_some() { "; the principal never sets the rates" } else { "" };
        longer("tax", t.period(), &format!("no tax is collected{principal}"));
    }
    if let Some(v) = &s.voting {
        longer("election", v.period, "no election is held");
    }
    if let Some(o) = &s.oversight {
        longer("audit", o.period, "no audit is made and no fine is paid");
        // Classes no agent can commit here: forbidding them, or believing them forbidden,
        // changes nothing (said, as settings that do nothing elsewhere are refused).
        use super::Forbidden;
        let never = |class: Forbidden| match class {
            Forbidden::ClearCut => None,
            Forbidden::Evasion => {
                s.tax.is_none().then_some("there is no `tax` section, so no income is reported to hide")
            }
            Forbidden::Theft => (!s.agents.iter().any(|g| g.steal && g.count > 0))
                .then_some("no group has `steal: true`, so no one takes another's apples"),
        };
        let mut said = Vec::new();
        for class in o.forbidden.iter().chain(o.beliefs.iter().map(|b| &b.class)).copied() {
            if let Some(why) = never(class)
                && !said.contains(&class)
            {
                said.push(class);
                notes.push(format!("oversight names `{class:?}`, but {why}: it never happens in this world"));
            }
        }
    }
    if let Some(p) = &s.principal
        && p.planner != super::PlannerSpec::default()
        && !matches!(p.policy, super::PrincipalPolicy::Paa)
        && p.shield.is_none()
    {
        notes.push(format!(
            "principal.planner is set, but only the `Paa` policy and a shield plan, and this principal is `{}` with no shield: it is not used",
            p.policy.name()
        ));
    }
    let learns = s.agents.iter().any(|g| matches!(g.policy, PolicySpec::Learned(_)))
        || s.principal.as_ref().is_some_and(|p| matches!(p.policy, PrincipalPolicy::Learned(_)));
    if !s.learning.is_default() && !learns {
        notes.push(
            "`learning` is set, but no group and no principal is `Learned`: `polity train` has nothing to train, and a run does not read it"
                .into(),
        );
    }
    notes
}
