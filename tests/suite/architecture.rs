//! The architecture's promises: a new mechanism is one module and one plugin
//! (docs/architecture.md's worked example, kept here as a test), and the core's module
//! graph has no import from a layer above it and no cycle.

use polity::model::{Mechanism, Part, Step, WorldModel, parts};
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

impl Part for Tithe {
    const NAME: &'static str = "tithe";
    fn save(&self) -> Result<String, String> {
        parts::to_ron(self)
    }
    fn load(&mut self, text: &str) -> Result<(), String> {
        parts::from_ron(self, text)
    }
}

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
    let s = scenario::builtin("shielded-revenue-max").unwrap().scenario().unwrap();
    let sim = Sim::new(&s, 0, 10);
    let described = sim.core().phases().describe();
    let steps: Vec<Step> = described.iter().map(|(s, _)| *s).collect();
    assert!(steps.windows(2).all(|w| w[0] <= w[1]), "phase functions run in step order: {described:?}");
    // Mechanisms at one step run in registration order: the principal proposes before PAA
    // plans; objects are logged before impact accounts for them.
    let at = |step: Step| described.iter().filter(|(s, _)| *s == step).map(|(_, m)| *m).collect::<Vec<_>>();
    assert_eq!(at(Step::Propose), vec!["principal", "paa"]);
    assert_eq!(at(Step::Effects), vec!["objects", "impact"]);
    assert_eq!(at(Step::Measure), vec!["clock"]);
    assert_eq!(Step::ALL.len(), 18);
    assert!(Step::ALL.windows(2).all(|w| w[0] < w[1]));
}
