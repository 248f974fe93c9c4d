//! Belts and the objects' events: belts carry objects one cell each tick (the rule of
//! [`crate::objects`]), and vases broken and objects pushed are logged where they happened.

use crate::model::{Mechanism, Step, WorldModel};
use crate::objects::Cause;
use crate::scenario::EffectKind;

/// Objects: belts carry objects at `Belts`; vases broken and objects pushed are logged at
/// `Effects`.
pub const MECHANISM: Mechanism = Mechanism {
    name: "objects",
    build: |_, _| {},
    steps: &[(Step::Belts, belts), (Step::Effects, log_effects)],
    ..Mechanism::NONE
};

/// Belts carry the objects on them one cell.
pub fn belts(m: &mut WorldModel) {
    let current = m.clock.current();
    m.grid.step_belts(current);
}

/// Logs vases broken and objects pushed, where they happened.
pub fn log_effects(m: &mut WorldModel) {
    if !m.records() || m.grid.effects.is_empty() {
        return;
    }
    let logged: Vec<(&'static str, String, serde_json::Value)> = m
        .grid
        .effects
        .iter()
        .filter_map(|e| {
            let kind = match (e.kind, e.cause) {
                (EffectKind::VaseBroken, _) => "vase_broken",
                (EffectKind::VaseMoved | EffectKind::BoxMoved, Cause::Agent(_)) => "pushed",
                _ => return None,
            };
            Some((kind, e.subject.to_string(), serde_json::json!({ "by": e.cause.to_string(), "x": e.x, "y": e.y })))
        })
        .collect();
    for (kind, subject, details) in logged {
        m.event(kind, || subject, || details);
    }
}
