//! What a learning agent observes: the window's channels and the scalars, checked cell by
//! cell on hand-made worlds.

use polity::observe::{self, CHANNELS};
use polity::scenario;
use polity::sim::Sim;

fn scn(text: &str) -> scenario::Scenario {
    scenario::parse(text, "test.ron", "test").unwrap()
}

/// The value of `channel` at offset (dx, dy) in an observation of radius `r`.
fn at(obs: &[f32], r: i64, channel: &str, dx: i64, dy: i64) -> f32 {
    let side = (2 * r + 1) as usize;
    let c = CHANNELS.iter().position(|&n| n == channel).unwrap();
    obs[c * side * side + ((dy + r) as usize) * side + (dx + r) as usize]
}

#[test]
fn the_window_shows_walls_apples_grass_agents_and_objects_where_they_are() {
    // Agent 0 (human) at (2, 2); agent 1 (AI) at (3, 2); apples at (1, 1) and (4, 1); a vase
    // at (1, 3), a box at (2, 3), a belt at (3, 3).
    let s = scn(r#"Scenario(version: 1,
        map: Ascii(rows: ["WWWWWW", "WA  AW", "W    W", "WVX> W", "WWWWWW"]),
        agents: [
            (count: 1, selfishness: Fixed(0.25), power: Fixed(0.0), spawn: At([(2, 2)])),
            (kind: Ai, count: 1, selfishness: Fixed(1.0), power: Fixed(0.0), spawn: At([(3, 2)])),
        ],
    )"#);
    let mut sim = Sim::new(&s, 0, 5);
    let r = 2;
    let mut obs = Vec::new();
    observe::observe(sim.core(), 0, r as u32, &mut obs);
    assert_eq!(obs.len(), observe::size(2, 0));
    assert_eq!(obs.len(), observe::names(2, 0).len());
    assert_eq!(obs.len(), 9 * 25 + 6);
    // Walls: the map's border (the corner (0, 0), the bottom row y = 4).
    assert_eq!(at(&obs, r, "wall", -2, -2), 1.0, "(0, 0)");
    assert_eq!(at(&obs, r, "wall", 0, 2), 1.0, "(2, 4)");
    assert_eq!(at(&obs, r, "wall", 0, 0), 0.0);
    // Apples and their grass.
    assert_eq!(at(&obs, r, "apple", -1, -1), 1.0, "(1, 1)");
    assert_eq!(at(&obs, r, "grass", -1, -1), 1.0);
    assert_eq!(at(&obs, r, "apple", 2, -1), 1.0, "(4, 1)");
    assert_eq!(at(&obs, r, "apple", 0, -1), 0.0, "(2, 1) is floor");
    // Agents: the AI to the east; no agent channel at the centre (that is oneself).
    assert_eq!(at(&obs, r, "ai", 1, 0), 1.0);
    assert_eq!(at(&obs, r, "human", 0, 0), 0.0);
    let agents: f32 = ["human", "ai"]
        .iter()
        .map(|c| {
            (-2..=2).flat_map(|dy| (-2..=2).map(move |dx| (dx, dy))).map(|(dx, dy)| at(&obs, r, c, dx, dy)).sum::<f32>()
        })
        .sum();
    assert_eq!(agents, 1.0, "exactly one other agent in view");
    // Objects.
    assert_eq!(at(&obs, r, "vase", -1, 1), 1.0);
    assert_eq!(at(&obs, r, "box", 0, 1), 1.0);
    assert_eq!(at(&obs, r, "belt", 1, 1), 1.0);
    // Scalars: σ, store, marginal rate, elected p, period left, audited (no mechanisms: 0).
    let scalars = &obs[9 * 25..];
    assert_eq!(scalars, &[0.25, 0.0, 0.0, 0.0, 0.0, 0.0]);
    // The AI sees the human to its west; a lost patch shows as lost grass.
    let i = sim.grid().index(1, 1);
    sim.core_mut().grid.pick(i).unwrap();
    observe::observe(sim.core(), 1, r as u32, &mut obs);
    assert_eq!(at(&obs, r, "human", -1, 0), 1.0);
    assert_eq!(at(&obs, r, "lost_grass", -2, -1), 1.0, "(1, 1) lost its only apple");
    assert_eq!(at(&obs, r, "grass", -2, -1), 0.0);
    assert_eq!(obs[9 * 25], 1.0, "the AI's σ");
}

#[test]
fn the_scalars_carry_taxes_the_election_the_period_and_audits() {
    let s = scenario::builtin("sed-apple-picking").unwrap().scenario().unwrap();
    let mut sim = Sim::new(&s, 0, 200);
    (0..30).for_each(|_| sim.step());
    let core = sim.core();
    let tax = core.parts.get::<polity::tax::TaxState>().unwrap();
    let brackets = tax.schedule.rates.len();
    let mut obs = Vec::new();
    observe::observe(core, 3, 1, &mut obs);
    assert_eq!(obs.len(), observe::size(1, brackets));
    let names = observe::names(1, brackets);
    let get = |name: &str| obs[names.iter().position(|n| n == name).unwrap()] as f64;
    let a = &core.agents[3];
    assert_eq!(get("sigma"), a.sigma as f32 as f64);
    assert_eq!(get("store"), observe::squash_store(a.ledger.wealth()) as f32 as f64);
    assert_eq!(observe::squash_store(100.0), 101f64.ln());
    assert_eq!(observe::squash_store(-3.0), -(4f64.ln()));
    assert_eq!(get("marginal_rate"), tax.schedule.marginal_rate(a.ledger.period_income) as f32 as f64);
    for (b, rate) in tax.rates().into_iter().enumerate() {
        assert_eq!(get(&format!("rate_{b}")), rate as f32 as f64);
    }
    let p = core.parts.get::<polity::voting::Election>().unwrap().elected;
    let squashed = if p.is_infinite() { p.signum() } else { p / (1.0 + p.abs()) };
    assert_eq!(get("elected_p"), squashed as f32 as f64);
    // 30 ticks done of a period of `period`: (period − 30 mod period) / period still to run.
    let left = (tax.period - 30 % tax.period) as f64 / tax.period as f64;
    assert_eq!(get("period_left"), left as f32 as f64);
    assert_eq!(get("audited"), 0.0);
    let audited = scenario::builtin("audited-commons").unwrap().scenario().unwrap();
    let sim = Sim::new(&audited, 0, 10);
    let ai = sim.core().agents.iter().position(|a| a.ai).unwrap();
    observe::observe(sim.core(), ai, 1, &mut obs);
    let covered = sim.core().parts.get::<polity::oversight::Oversight>().unwrap().covers(true);
    assert_eq!(*obs.last().unwrap(), covered as u8 as f32);
    assert!(covered, "audited-commons audits its AIs");
}
