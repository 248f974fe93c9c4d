//! The built-in scenarios, embedded in the binary from `scenarios/*.ron`.

use super::{Problems, Scenario, parse};

/// A scenario that ships inside the binary.
#[derive(Clone, Copy, Debug)]
pub struct Builtin {
    /// The name to give `polity run`.
    pub name: &'static str,
    /// The RON source.
    pub source: &'static str,
}

impl Builtin {
    /// Parses the embedded source (built-ins are tested to be valid).
    pub fn scenario(&self) -> Result<Scenario, Problems> {
        parse(self.source, &format!("builtin:{}", self.name), self.name)
    }
}

/// Every built-in scenario; the first is the default.
pub const BUILTINS: &[Builtin] = &[
    Builtin { name: "commons", source: include_str!("../../scenarios/commons.ron") },
    Builtin { name: "commons-large", source: include_str!("../../scenarios/commons-large.ron") },
    Builtin { name: "sed-apple-picking", source: include_str!("../../scenarios/sed-apple-picking.ron") },
    Builtin { name: "tragedy", source: include_str!("../../scenarios/tragedy.ron") },
    Builtin { name: "us2018", source: include_str!("../../scenarios/us2018.ron") },
    Builtin { name: "audited-commons", source: include_str!("../../scenarios/audited-commons.ron") },
    Builtin { name: "paa-governor", source: include_str!("../../scenarios/paa-governor.ron") },
    Builtin { name: "paa-optimal", source: include_str!("../../scenarios/paa-optimal.ron") },
    Builtin { name: "revenue-max", source: include_str!("../../scenarios/revenue-max.ron") },
    Builtin { name: "shielded-revenue-max", source: include_str!("../../scenarios/shielded-revenue-max.ron") },
    Builtin { name: "vase-human-breaks", source: include_str!("../../scenarios/vase-human-breaks.ron") },
    Builtin { name: "vase-push-catch", source: include_str!("../../scenarios/vase-push-catch.ron") },
    Builtin { name: "conveyor-belt", source: include_str!("../../scenarios/conveyor-belt.ron") },
    Builtin { name: "vase-guard", source: include_str!("../../scenarios/vase-guard.ron") },
    Builtin { name: "vase-guard-learners", source: include_str!("../../scenarios/vase-guard-learners.ron") },
    Builtin { name: "conveyor-offset", source: include_str!("../../scenarios/conveyor-offset.ron") },
    Builtin { name: "delayed-effect", source: include_str!("../../scenarios/delayed-effect.ron") },
    Builtin { name: "dirty-work", source: include_str!("../../scenarios/dirty-work.ron") },
    Builtin { name: "commons-impact", source: include_str!("../../scenarios/commons-impact.ron") },
    Builtin { name: "commons-learners", source: include_str!("../../scenarios/commons-learners.ron") },
    Builtin { name: "audited-learners", source: include_str!("../../scenarios/audited-learners.ron") },
    Builtin { name: "sed-learners", source: include_str!("../../scenarios/sed-learners.ron") },
];

/// The built-in scenario called `name`.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// The scenario `polity` runs when none is named.
pub fn default_scenario() -> &'static Builtin {
    &BUILTINS[0]
}
