//! Belts and the objects' events: belts carry objects one cell each tick (the rule of
//! [`crate::objects`]), and vases broken and objects pushed are logged where they happened.

use crate::model::{Event, Mechanism, Step, WorldModel};
use crate::objects::Cause;
use crate::scenario::EffectKind;

/// Objects: belts carry objects at `Belts`; vases broken and objects pushed are logged at
/// `Effects`.
pub const MECHANISM: Mechanism = Mechanism {
    name: "objects",
    build: |_, _| {},
    steps: &[(Step::Belts, belts), (Step::Effects, log_effects)],
    active: Some(|m| !m.grid.objects.is_empty()),
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
    let logged: Vec<(String, Event)> = m
        .grid
        .effects
        .iter()
        .filter_map(|e| {
            let (by, x, y) = (e.cause.to_string(), e.x, e.y);
            let event = match (e.kind, e.cause) {
                (EffectKind::VaseBroken, _) => Event::VaseBroken { by, x, y },
                (EffectKind::VaseMoved | EffectKind::BoxMoved, Cause::Agent(_)) => Event::Pushed { by, x, y },
                _ => return None,
            };
            Some((e.subject.to_string(), event))
        })
        .collect();
    for (subject, event) in logged {
        m.event(|| subject, || event);
    }
}
