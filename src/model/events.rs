//! What happens in a world, typed: every event a mechanism logs is one variant of [`Event`],
//! and `events.jsonl` holds one [`SimEvent`] a line — `{"tick", "kind", "subject",
//! "details"}`, `kind` the variant's snake-case name and `details` its fields (in name order).
//! A plugin's mechanism that needs an event of its own uses [`Event::Other`].

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// Something that happened, for `events.jsonl`.
#[derive(Clone, Debug, PartialEq)]
pub struct SimEvent {
    /// The tick it happened in.
    pub tick: u64,
    /// What it concerns, e.g. `patch:3`, `agent:5`, `principal`.
    pub subject: String,
    /// What happened.
    pub event: Event,
}

/// Every kind of event, with its details.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", content = "details", rename_all = "snake_case")]
pub enum Event {
    /// A patch's last apple was picked: the patch is lost for good.
    PatchLost { x: u32, y: u32, patches_alive: u32 },
    /// A thief took apples from the agent it faced.
    Theft { victim: u32, milli_apples: i64, x: u32, y: u32 },
    /// A tax period ended: taxes collected (apples) and paid back.
    TaxPeriod {
        period: u64,
        rates: Vec<f64>,
        revenue: f64,
        revenue_by_bracket: Vec<f64>,
        transfer_each: f64,
        treasury: f64,
    },
    /// New tax rates were put into force.
    TaxRates { policy: String, rates: Vec<f64> },
    /// An election was held: each voter's favourite, the first-choice shares, the winner.
    Election { rule: String, votes: Vec<String>, shares: BTreeMap<String, f64>, elected: String },
    /// The PAA principal chose rates: every candidate's Q̂ and the planner's guarantee.
    PaaDecision { candidates: Vec<Vec<f64>>, q: Vec<f64>, chosen: Vec<f64>, guarantee: Value },
    /// A shield replaced the principal's proposed rates.
    ShieldRates {
        proposed: Vec<f64>,
        q_proposed: f64,
        replacement: Vec<f64>,
        q_replacement: f64,
        allowed_set_empty: bool,
        mode: String,
    },
    /// A certified shield found no schedule it can certify safe (`Q̂ − β ≥ ω` for none, or no
    /// certified β at all): the schedule of highest Q̂ went through.
    NoCertifiedAction { q: Vec<f64>, beta: Option<f64>, omega: f64, chosen: Vec<f64> },
    /// SUM's loop in the running world: the AIs' mean loop cosine reached the critical one,
    /// after `information` nats, with `harm` apples of harm (per human) done so far (null
    /// without `sum: (harm: true)`).
    Aligned { cosine: f64, information: f64, harm: Option<f64> },
    /// A shield replaced an agent's move.
    ShieldMove {
        proposed: &'static str,
        q_proposed: f64,
        replacement: &'static str,
        q_replacement: f64,
        q: Vec<f64>,
        allowed_set_empty: bool,
        mode: String,
        x: u32,
        y: u32,
    },
    /// An agent was audited.
    Audit { inspected_ticks: u32, detected: usize, p_d: f64, penalty: f64, x: u32, y: u32 },
    /// An audit detected a violation committed at `tick`.
    Detection { tick: u64, p_d: f64, x: u32, y: u32 },
    /// A vase broke.
    VaseBroken { by: String, x: u32, y: u32 },
    /// An agent pushed an object.
    Pushed { by: String, x: u32, y: u32 },
    /// Impact accounting penalised an effect under a baseline.
    Impact { baseline: &'static str, effect: &'static str, cause: String, why: String },
    /// A parameter was changed live (by the app).
    ParamChange { parameter: String, old: Value, new: Value, by: &'static str },
    /// An event of a plugin's own mechanism.
    #[serde(untagged)]
    Other { kind: &'static str, details: Value },
}

impl Event {
    /// The event's kind as written in `events.jsonl`, e.g. `patch_lost`.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::PatchLost { .. } => "patch_lost",
            Event::Theft { .. } => "theft",
            Event::TaxPeriod { .. } => "tax_period",
            Event::TaxRates { .. } => "tax_rates",
            Event::Election { .. } => "election",
            Event::PaaDecision { .. } => "paa_decision",
            Event::ShieldRates { .. } | Event::ShieldMove { .. } => "shield_intervention",
            Event::NoCertifiedAction { .. } => "no_certified_action",
            Event::Aligned { .. } => "aligned",
            Event::Audit { .. } => "audit",
            Event::Detection { .. } => "detection",
            Event::VaseBroken { .. } => "vase_broken",
            Event::Pushed { .. } => "pushed",
            Event::Impact { .. } => "impact",
            Event::ParamChange { .. } => "param_change",
            Event::Other { kind, .. } => kind,
        }
    }

    /// The details as JSON (an object, its keys in name order).
    pub fn details(&self) -> Value {
        match self {
            Event::Other { details, .. } => details.clone(),
            e => {
                let mut v = serde_json::to_value(e).expect("events serialise");
                v.get_mut("details").map(Value::take).unwrap_or(Value::Null)
            }
        }
    }

    /// A line in words, what the app's event log shows (the details stay in
    /// [`Event::details`]): `patch at (12, 3) lost: its last apple picked; 41 patches alive`.
    pub fn describe(&self) -> String {
        let rates = |r: &[f64]| r.iter().map(|r| format!("{}%", num(r * 100.0))).collect::<Vec<_>>().join(" ");
        match self {
            Event::PatchLost { x, y, patches_alive } => {
                let alive = if *patches_alive == 1 {
                    "1 patch alive".to_string()
                } else {
                    format!("{patches_alive} patches alive")
                };
                format!("patch at ({x}, {y}) lost: its last apple picked; {alive}")
            }
            Event::Theft { victim, milli_apples, x, y } => {
                format!("stole {} apples from agent {victim} at ({x}, {y})", num(*milli_apples as f64 / 1000.0))
            }
            Event::TaxPeriod { period, rates: r, revenue, transfer_each, treasury, .. } => format!(
                "period {period} at {}: {} apples collected, {} paid back to each, treasury {}",
                rates(r),
                num(*revenue),
                num(*transfer_each),
                num(*treasury)
            ),
            Event::TaxRates { policy, rates: r } => format!("rates now {} (by {policy})", rates(r)),
            Event::Election { rule, votes, shares, elected } => {
                let share =
                    shares.get(elected).map_or(String::new(), |s| format!(", {}% of first choices", num(s * 100.0)));
                format!("p = {elected} elected by {} voters ({rule}{share})", votes.len())
            }
            Event::PaaDecision { candidates, q, chosen, .. } => {
                let best = q.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                format!("chose rates {} of {} candidates (est. Q {})", rates(chosen), candidates.len(), num(best))
            }
            Event::ShieldRates { proposed, q_proposed, replacement, q_replacement, .. } => format!(
                "vetoed rates {} (est. Q {}) for {} (est. Q {})",
                rates(proposed),
                num(*q_proposed),
                rates(replacement),
                num(*q_replacement)
            ),
            Event::NoCertifiedAction { chosen, omega, .. } => {
                format!("no schedule certified safe at ω = {}: {} went through", num(*omega), rates(chosen))
            }
            Event::Aligned { cosine, information, harm } => {
                let harm = harm.map_or(String::new(), |h| format!(", {} apples of harm per human", num(h)));
                format!("AIs aligned: loop cosine {} after {} nats{harm}", num(*cosine), num(*information))
            }
            Event::ShieldMove { proposed, q_proposed, replacement, q_replacement, x, y, .. } => format!(
                "vetoed move {proposed} (est. Q {}) for {replacement} (est. Q {}) at ({x}, {y})",
                num(*q_proposed),
                num(*q_replacement)
            ),
            Event::Audit { inspected_ticks, detected, p_d, penalty, .. } => format!(
                "audited {inspected_ticks} ticks, {detected} violations found (P_D {}), penalty {}",
                num(*p_d),
                num(*penalty)
            ),
            Event::Detection { tick, x, y, .. } => format!("found the violation of tick {tick} at ({x}, {y})"),
            Event::VaseBroken { by, x, y } => format!("vase broken at ({x}, {y}) by {by}"),
            Event::Pushed { by, x, y } => format!("object pushed to ({x}, {y}) by {by}"),
            Event::Impact { baseline, effect, cause, why } => format!("{effect} blamed on {cause} ({baseline}: {why})"),
            // (Words, not an arrow the app's font has no glyph for; strings such as "inf"
            // unquoted.)
            Event::ParamChange { parameter, old, new, by } => {
                let shown = |v: &Value| v.as_str().map_or_else(|| v.to_string(), String::from);
                format!("{parameter}: from {} to {} (by {by})", shown(old), shown(new))
            }
            Event::Other { details, .. } => details.to_string(),
        }
    }

    /// Where it happened, when it happened at a cell.
    pub fn cell(&self) -> Option<(u32, u32)> {
        match *self {
            Event::PatchLost { x, y, .. }
            | Event::Theft { x, y, .. }
            | Event::ShieldMove { x, y, .. }
            | Event::Audit { x, y, .. }
            | Event::Detection { x, y, .. }
            | Event::VaseBroken { x, y, .. }
            | Event::Pushed { x, y, .. } => Some((x, y)),
            _ => None,
        }
    }
}

/// `v` with at most three decimals and no trailing zeros (`0.125`, `12`, `-3.5`; minus zero as 0).
fn num(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

impl SimEvent {
    /// The event's kind (see [`Event::kind`]).
    pub fn kind(&self) -> &'static str {
        self.event.kind()
    }
    /// The event's details as JSON (see [`Event::details`]).
    pub fn details(&self) -> Value {
        self.event.details()
    }
}

impl Serialize for SimEvent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("SimEvent", 4)?;
        st.serialize_field("tick", &self.tick)?;
        st.serialize_field("kind", self.kind())?;
        st.serialize_field("subject", &self.subject)?;
        st.serialize_field("details", &self.details())?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_words() {
        let cases = [
            (
                Event::PatchLost { x: 12, y: 3, patches_alive: 41 },
                "patch at (12, 3) lost: its last apple picked; 41 patches alive",
            ),
            (
                Event::PatchLost { x: 2, y: 3, patches_alive: 1 },
                "patch at (2, 3) lost: its last apple picked; 1 patch alive",
            ),
            (Event::Theft { victim: 4, milli_apples: 1500, x: 1, y: 2 }, "stole 1.5 apples from agent 4 at (1, 2)"),
            (
                Event::TaxPeriod {
                    period: 3,
                    rates: vec![0.1, 0.25],
                    revenue: 12.0,
                    revenue_by_bracket: vec![2.0, 10.0],
                    transfer_each: 1.7142857,
                    treasury: -0.0,
                },
                "period 3 at 10% 25%: 12 apples collected, 1.714 paid back to each, treasury 0",
            ),
            (
                Event::Audit { inspected_ticks: 10, detected: 2, p_d: 0.05, penalty: 40.0, x: 0, y: 0 },
                "audited 10 ticks, 2 violations found (P_D 0.05), penalty 40",
            ),
            (Event::Other { kind: "mine", details: serde_json::json!({"a": 1}) }, r#"{"a":1}"#),
        ];
        for (event, want) in cases {
            assert_eq!(event.describe(), want, "{}", event.kind());
        }
        assert_eq!((num(f64::INFINITY), num(-0.0004), num(2.0)), ("inf".to_string(), "0".to_string(), "2".to_string()));
    }
}
