//! Live parameter edits (a bracket's tax rate, a group's power, the oversight's audit
//! probability and k, the shield's margin): each changes the running world at once and is
//! logged as a `param_change` event, so a run steered by hand can be repeated.

use serde_json::{Value, json};

use crate::agents::{Agent, Power};
use crate::metrics::{EventLog, SimEvent};
use crate::rules::tax::{PPM, rate_ppm};
use crate::sim::Sim;
use crate::tax::TaxState;

use super::intent::{Control, ControlError, Effect};

impl Control {
    pub(super) fn set_tax_rate(&mut self, sim: &mut Sim, bracket: usize, rate: f64) -> Result<Effect, ControlError> {
        if !(0.0..=1.0).contains(&rate) {
            return Err(ControlError::Invalid(format!("a tax rate must be in [0, 1], found {rate}")));
        }
        let tick = sim.tick();
        let Some(tax) = sim.part_mut::<TaxState>() else {
            return Err(ControlError::Invalid("this scenario has no tax".into()));
        };
        let n = tax.schedule.rates.len();
        let Some(slot) = tax.schedule.rates.get_mut(bracket) else {
            return Err(ControlError::Invalid(format!("there is no tax bracket {bracket} (the tax has {n})")));
        };
        let old = *slot as f64 / PPM as f64;
        *slot = rate_ppm(rate);
        let new = *slot as f64 / PPM as f64;
        Ok(log_change(sim.world_mut(), tick, format!("tax.rates[{bracket}]"), json!(old), json!(new)))
    }

    pub(super) fn set_group_power(&mut self, sim: &mut Sim, group: u32, power: f64) -> Result<Effect, ControlError> {
        if power.is_nan() || power < 0.0 {
            return Err(ControlError::Invalid(format!("power must be ≥ 0, found {power}")));
        }
        if group as usize >= self.scenario.agents.len() {
            return Err(ControlError::Invalid(format!("there is no agent group {group}")));
        }
        let tick = sim.tick();
        let world = sim.world_mut();
        let mut q = world.query::<(&Agent, &mut Power)>();
        let mut old: Vec<(u32, f64)> = Vec::new();
        for (a, mut p) in q.iter_mut(world) {
            if a.group == group {
                old.push((a.id, p.0));
                p.0 = power;
            }
        }
        old.sort_by_key(|(id, _)| *id);
        let old: Vec<f64> = old.into_iter().map(|(_, p)| p).collect();
        let old = match uniform(&old) {
            Some(v) => number(v),
            None => Value::Array(old.into_iter().map(number).collect()),
        };
        Ok(log_change(world, tick, format!("agents[{group}].power"), old, number(power)))
    }
}

/// A number as JSON; infinities as the strings `inf`/`-inf` (JSON has no infinity).
fn number(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { json!(format!("{v}")) }
}

/// The value every element has, if they are all the same (NaN equal to NaN).
pub(super) fn uniform(v: &[f64]) -> Option<f64> {
    let first = *v.first()?;
    v.iter().all(|&x| x == first || (x.is_nan() && first.is_nan())).then_some(first)
}

/// Changes the oversight with `edit` (which returns the old value) and logs it.
pub(super) fn set_oversight(
    sim: &mut Sim,
    parameter: &str,
    value: f64,
    edit: impl FnOnce(&mut crate::oversight::Oversight, f64) -> Result<f64, String>,
) -> Result<Effect, ControlError> {
    let tick = sim.tick();
    let old = {
        let Some(o) = sim.part_mut::<crate::oversight::Oversight>() else {
            return Err(ControlError::Invalid("this scenario has no oversight".into()));
        };
        edit(o, value).map_err(ControlError::Invalid)?
    };
    Ok(log_change(sim.world_mut(), tick, parameter.into(), json!(old), json!(value)))
}

/// Logs a `param_change` event for the edit and returns it as the intent's effect.
pub(super) fn log_change(
    world: &mut bevy::prelude::World,
    tick: u64,
    parameter: String,
    old: Value,
    new: Value,
) -> Effect {
    let event = SimEvent {
        tick,
        subject: "app".into(),
        event: crate::model::Event::ParamChange { parameter, old, new, by: "app" },
    };
    world.resource_mut::<EventLog>().push(event.clone());
    Effect::ParamChanged(event)
}
