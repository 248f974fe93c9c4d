//! The architecture's promises: a new mechanism is one module and one plugin
//! (docs/architecture.md's worked example, kept here as a test), and the core's module
//! graph has no import from a layer above it and no cycle.

use polity::model::{Mechanism, Step, WorldModel};
use polity::scenario;
use polity::sim::{MechanismPlugin, Sim};

// ---- The toy mechanism of docs/architecture.md, exactly as written there ----------------

/// A tithe: every `period` ticks each agent with at least one apple gives one to the pot.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tithe {
    /// Ticks between collections.
    pub period: u64,
    /// Collected so far, milli-apples.
    pub pot: i64,
}

// Its part: saved in checkpoints as RON under "tithe", carried by imagined copies.
polity::serde_part!(Tithe, "tithe");

/// Collects the tithe at period ends, after taxes.
fn collect(m: &mut WorldModel) {
    let clock = m.clock;
    let WorldModel { agents, parts, .. } = m;
    let Some(tithe) = parts.get_mut::<Tithe>().filter(|t| clock.ends_period(t.period)) else { return };
    for a in agents.iter_mut().filter(|a| a.ledger.balance >= 1000) {
        a.ledger.balance -= 1000;
        tithe.pot += 1000;
    }
}

pub const TITHE: Mechanism = Mechanism {
    name: "tithe",
    build: |_, m| m.parts.insert(Tithe { period: 10, pot: 0 }),
    steps: &[(Step::Collect, collect)],
    measure: Some(|m, set| set("tithe_pot", m.parts.get::<Tithe>().map_or(0.0, |t| t.pot as f64 / 1000.0))),
    digest: Some(|m, h| h.write_u64(m.parts.get::<Tithe>().map_or(0, |t| t.pot as u64))),
    active: None,
};

// -----------------------------------------------------------------------------------------

fn with_tithe(app: &mut bevy::prelude::App) {
    app.add_plugins(MechanismPlugin(TITHE));
}

fn column(sim: &mut Sim, name: &str) -> Vec<f64> {
    let out = sim.drain();
    let log = sim.world().resource::<polity::metrics::MetricsLog>();
    let k = log.columns().iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name}"));
    out.rows.iter().map(|(_, r)| r[k]).collect()
}

#[test]
fn a_toy_mechanism_is_one_module_and_one_plugin() {
    let s = scenario::builtin("commons").unwrap().scenario().unwrap();
    let mut sim = Sim::with_plugins(&s, 4, 200, with_tithe);
    let mut model = sim.model();
    assert!(model.parts.has::<Tithe>(), "an imagined copy carries the tithe");
    for t in 1..=120 {
        sim.step();
        model.step();
        assert_eq!(model.state_hash(), sim.state_hash(), "the world model runs the same tick (tick {t})");
    }
    // The books balance with the pot: every apple picked is in a store or the pot.
    let core = sim.core();
    let picked: i64 = core.agents.iter().map(|a| a.ledger.picked as i64).sum();
    let stores: i64 = core.agents.iter().map(|a| a.ledger.balance).sum();
    let pot = core.parts.get::<Tithe>().unwrap().pot;
    assert!(pot > 0, "agents with apples paid the tithe");
    assert_eq!(stores + pot, 1000 * picked);
    // Its metric column is written, and moves only at period ends.
    let pots = column(&mut sim, "tithe_pot");
    assert_eq!(pots.len(), 121);
    for (t, w) in pots.windows(2).enumerate() {
        let tick = t as u64 + 1;
        assert!(w[1] == w[0] || tick.is_multiple_of(10), "the pot moved at tick {tick}");
    }
    // The digest covers it: the same world without the tithe has another hash.
    let mut plain = Sim::new(&s, 4, 200);
    (0..120).for_each(|_| plain.step());
    assert_ne!(plain.state_hash(), sim.state_hash());
    // Checkpoints save and restore its part with no change to checkpoint.rs.
    let cp = sim.checkpoint();
    let text = ron::to_string(&cp).unwrap();
    assert!(text.contains("tithe"), "the checkpoint holds the tithe's part");
    let mut back = Sim::restore_with(&cp, with_tithe).unwrap();
    assert_eq!(back.state_hash(), sim.state_hash());
    for _ in 0..40 {
        sim.step();
        back.step();
    }
    assert_eq!(back.state_hash(), sim.state_hash(), "a restored world goes on alike");
    let e = Sim::restore(&cp).err().expect("a world without the plugin cannot take the tithe's state");
    assert!(e.to_string().contains("tithe"), "{e}");
}

#[test]
fn the_phase_list_is_written_once_and_walked_in_order() {
    let described = |name: &str| {
        let s = scenario::builtin(name).unwrap().scenario().unwrap();
        Sim::new(&s, 0, 10).core().phases().describe()
    };
    let at = |d: &[(Step, &'static str)], step: Step| {
        d.iter().filter(|(s, _)| *s == step).map(|(_, m)| *m).collect::<Vec<_>>()
    };
    for name in ["commons", "paa-governor", "conveyor-belt", "shielded-revenue-max", "audited-commons"] {
        let d = described(name);
        let steps: Vec<Step> = d.iter().map(|(s, _)| *s).collect();
        assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{name}: phase functions run in step order: {d:?}");
        assert_eq!(at(&d, Step::Measure), vec!["clock"], "{name}");
        assert_eq!(at(&d, Step::Decide), vec!["decision"], "{name}");
    }
    // Mechanisms at one step run in registration order: the principal proposes before PAA
    // plans; objects are logged before impact accounts for them.
    assert_eq!(at(&described("paa-governor"), Step::Propose), vec!["principal", "paa"]);
    assert_eq!(at(&described("conveyor-belt"), Step::Effects), vec!["objects", "impact"]);
    // A world runs only the mechanisms it has: the commons has no taxes, principal, shield,
    // oversight, impact, objects or thieves.
    let commons = described("commons");
    for step in [
        Step::Shield,
        Step::Foresee,
        Step::Belts,
        Step::Steal,
        Step::Collect,
        Step::Propose,
        Step::Audit,
        Step::Effects,
    ] {
        assert!(at(&commons, step).is_empty(), "commons runs nothing at {step:?}: {commons:?}");
    }
    assert_eq!(at(&described("audited-commons"), Step::Audit), vec!["oversight"]);
    assert_eq!(Step::ALL.len(), 18);
    assert!(Step::ALL.windows(2).all(|w| w[0] < w[1]));
}

// ---- The core's layers ------------------------------------------------------------------

/// The core, by layer: the scenario format and the vocabulary and rules (0), the world model
/// and its tick (1), the mechanisms (2). Each may import only from its own layer or below,
/// nothing above the core (the ECS, metrics, runs, the app), never Bevy, and with no cycle.
/// `rules` is a folder of independent formula modules, each a unit of its own.
const CORE: [&[&str]; 3] = [
    &[
        "hash",
        "input",
        "columns",
        "rng",
        "parallel",
        "spanned_ron",
        "json",
        "tables",
        "scenario",
        "rules",
        "vocab",
        "objects",
        "grid",
        "social",
        "world",
        "policy_file",
        "stop",
    ],
    &["model"],
    &[
        "decision",
        "movement",
        "harvest",
        "theft",
        "belts",
        "tax",
        "utility",
        "voting",
        "principal",
        "paa",
        "shield",
        "oversight",
        "impact",
        "impact_plan",
        "shadow",
        "sum",
        "planner",
        "observe",
    ],
];

/// The source of a unit (a top-level module, or `rules::x`), without comments and unit tests.
fn sources(unit: &str) -> Vec<(std::path::PathBuf, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut push = |p: std::path::PathBuf| {
        if p.is_file() {
            files.push(p);
        }
    };
    let path = unit.replace("::", "/");
    push(src.join(format!("{path}.rs")));
    if let Ok(dir) = std::fs::read_dir(src.join(&path))
        && unit != "rules"
    {
        for e in dir.flatten() {
            push(e.path());
        }
    }
    if unit == "rules" {
        push(src.join("rules/mod.rs"));
    }
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let text = text.split("#[cfg(test)]\nmod tests").next().unwrap().to_string();
            let code: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .map(|l| l.split(" // ").next().unwrap())
                .collect::<Vec<_>>()
                .join("\n");
            (p, code)
        })
        .collect()
}

/// The units `code` refers to through `crate::`.
fn imports(code: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let unit = |path: &str| {
        let mut parts = path.split("::").filter(|s| !s.is_empty());
        let first = parts.next()?.to_string();
        Some(if first == "rules" { parts.next().map_or(first, |p| format!("rules::{p}")) } else { first })
    };
    for (k, _) in code.match_indices("crate::") {
        let rest = &code[k + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            // use crate::{a, b::c, …}
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            out.extend(inner.split(',').filter_map(|p| unit(p.trim())));
        } else {
            let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            out.extend(unit(&path));
        }
    }
    out
}

#[test]
fn the_core_imports_nothing_above_it_and_has_no_cycle() {
    let layer_of = |unit: &str| {
        // Exported macros sit at the crate root: `serde_part!` is the world model's.
        let top = match unit.split("::").next().unwrap() {
            "serde_part" => "model",
            top => top,
        };
        CORE.iter().position(|layer| layer.contains(&top))
    };
    let rules: Vec<String> = std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules"))
        .unwrap()
        .flatten()
        .filter_map(|e| e.path().file_stem()?.to_str().map(String::from))
        .filter(|s| s != "mod")
        .map(|s| format!("rules::{s}"))
        .collect();
    let units: Vec<String> = CORE.iter().flat_map(|l| l.iter()).map(|s| s.to_string()).chain(rules).collect();
    let mut graph = std::collections::BTreeMap::new();
    let mut problems = Vec::new();
    for unit in &units {
        let layer = layer_of(unit).unwrap();
        let mut deps = std::collections::BTreeSet::new();
        for (path, code) in sources(unit) {
            if code.contains("bevy::") || code.contains("bevy_") {
                problems.push(format!("{}: the core imports Bevy", path.display()));
            }
            for dep in imports(&code) {
                if dep == *unit || (unit == "rules" && dep.starts_with("rules::")) {
                    continue;
                }
                match layer_of(&dep) {
                    Some(l) if l <= layer => {
                        deps.insert(dep);
                    }
                    Some(l) => problems.push(format!("{}: layer {layer} imports `{dep}` of layer {l}", path.display())),
                    None if dep == "VERSION" || dep == "plural" => {}
                    None => problems.push(format!("{}: the core imports `{dep}`, which is above it", path.display())),
                }
            }
        }
        graph.insert(unit.clone(), deps);
    }
    // Cycles: Tarjan's strongly connected components.
    #[allow(clippy::type_complexity)]
    fn scc(
        v: &str,
        g: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        st: &mut (usize, std::collections::BTreeMap<String, (usize, usize)>, Vec<String>, Vec<Vec<String>>),
    ) {
        let i = st.0;
        st.0 += 1;
        st.1.insert(v.to_string(), (i, i));
        st.2.push(v.to_string());
        for w in g.get(v).into_iter().flatten() {
            if !g.contains_key(w) {
                continue;
            }
            if !st.1.contains_key(w) {
                scc(w, g, st);
                let lw = st.1[w].1;
                st.1.get_mut(v).unwrap().1 = st.1[v].1.min(lw);
            } else if st.2.contains(w) {
                let iw = st.1[w].0;
                st.1.get_mut(v).unwrap().1 = st.1[v].1.min(iw);
            }
        }
        if st.1[v].0 == st.1[v].1 {
            let k = st.2.iter().position(|x| x == v).unwrap();
            let comp = st.2.split_off(k);
            if comp.len() > 1 {
                st.3.push(comp);
            }
        }
    }
    let mut st = (0, std::collections::BTreeMap::new(), Vec::new(), Vec::new());
    for v in graph.keys() {
        if !st.1.contains_key(v) {
            scc(v, &graph, &mut st);
        }
    }
    for comp in st.3 {
        problems.push(format!("an import cycle in the core: {comp:?}"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The test sees imports: the mechanisms do import the world model.
    assert!(graph["tax"].contains("model") && graph["model"].contains("grid"), "{graph:?}");
}
