//! Invariants as properties (issue 17): small random scenarios — maps with walls, apples,
//! grass and objects, groups of humans and AIs, taxes, principals, elections, oversight,
//! impact — each a valid `Scenario`, and what must hold of every world built from one:
//! money is conserved to the milli-apple, apples picked are the apples gone from the grid, no
//! two agents share a cell, the world model ticks as the ECS world, a checkpoint resumes
//! byte for byte, one thread and two give the same world, and whatever Polity writes
//! (`to_ron`, snapshots, a run's `scenario.ron` and `run.json`) it reads back.
//!
//! Shrunk failures are kept in `tests/proptest-regressions/properties.txt` and re-run first.
//! Case counts are in docs/testing.md.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use polity::checkpoint;
use polity::grid::Terrain;
use polity::model::Event;
use polity::oversight::Oversight;
use polity::scenario::{
    self, AdviceSpec, AgentGroup, AgentShieldSpec, AsciiMap, Baseline, BeliefDetection, BeliefSpec, Candidates,
    Detection, Dist, Feature, Forbidden, ImpactSpec, Kind, LearnedSpec, MapSpec, Objective, OversightSpec, Penalty,
    PlannerBudget, PlannerSpec, PolicySpec, PrincipalPolicy, PrincipalSpec, Regrowth, RunSpec, Scenario, ScoreSpec,
    SocialGraph, SpawnRule, SumSpec, TaxSpec, UtilityWeights, VotingSpec,
};
use polity::sim::Sim;
use polity::tax::TaxState;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

const REGRESSIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/proptest-regressions/properties.txt");

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// The generator.
// ---------------------------------------------------------------------------------------

/// A group as drawn, before it is fitted to the map's spawn points.
#[derive(Clone, Debug)]
struct RawGroup {
    ai: bool,
    count: u32,
    selfishness: Dist,
    power: Dist,
    weights: (f64, f64),
    policy: PolicySpec,
    steal: bool,
    shield: Option<AgentShieldSpec>,
}

fn unit() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), 0.0f64..=1.0]
}

fn selfishness() -> impl Strategy<Value = Dist> {
    prop_oneof![
        unit().prop_map(Dist::Fixed),
        (unit(), unit()).prop_map(|(a, b)| Dist::Uniform(a.min(b), a.max(b))),
        (unit(), unit()).prop_map(|(a, b)| Dist::Spread(a.min(b), a.max(b))),
        (unit(), 0.0f64..0.5).prop_map(|(mean, sd)| Dist::Normal { mean, sd }),
    ]
}

fn power() -> impl Strategy<Value = Dist> {
    prop_oneof![
        Just(Dist::Fixed(0.0)),
        Just(Dist::Fixed(f64::INFINITY)),
        (0.0f64..4.0).prop_map(Dist::Fixed),
        (0.0f64..3.0, 0.0f64..3.0).prop_map(|(a, b)| Dist::Uniform(a.min(b), a.max(b))),
    ]
}

fn policy() -> impl Strategy<Value = PolicySpec> {
    prop_oneof![
        6 => (1u32..=6, 0.3f64..=1.0).prop_map(|(view, discount)| PolicySpec::Forager { view, discount }),
        2 => Just(PolicySpec::RandomWalk),
        2 => "[NESW. ]{0,12}".prop_map(PolicySpec::Script),
        1 => (1u32..=3, 1u32..=8, any::<bool>()).prop_map(|(view, width, shared)| PolicySpec::Learned(LearnedSpec {
            view,
            hidden: vec![width],
            shared,
            weights: None,
        })),
    ]
}

fn agent_shield() -> impl Strategy<Value = Option<AgentShieldSpec>> {
    prop_oneof![
        6 => Just(None),
        1 => (0.0f64..2.0, 1u32..=2, 1u32..=2, prop_oneof![Just(f64::NEG_INFINITY), Just(0.0), Just(1.0)]).prop_map(
            |(margin, width, depth, p)| Some(AgentShieldSpec { margin, width, depth, p, ..AgentShieldSpec::default() })
        ),
    ]
}

fn group() -> impl Strategy<Value = RawGroup> {
    (
        any::<bool>(),
        1u32..=6,
        selfishness(),
        power(),
        (prop_oneof![Just(1.0), -1.0f64..2.0], prop_oneof![Just(1.0), -1.0f64..2.0]),
        policy(),
        prop_oneof![4 => Just(false), 1 => Just(true)],
        agent_shield(),
    )
        .prop_map(|(ai, count, selfishness, power, weights, policy, steal, shield)| RawGroup {
            ai,
            count,
            selfishness,
            power,
            weights,
            policy,
            steal,
            shield,
        })
}

fn tax() -> impl Strategy<Value = TaxSpec> {
    (
        1u64..=15,
        proptest::collection::vec(0.5f64..20.0, 0..4),
        proptest::collection::vec(unit(), 4),
        proptest::option::of(unit()),
        prop_oneof![Just(None), Just(Some(0.1)), Just(Some(0.25))],
    )
        .prop_map(|(period, gaps, rates, redistribute, rate_step)| {
            let mut brackets = vec![0.0];
            for g in gaps {
                brackets.push(brackets.last().unwrap() + g);
            }
            let rates = rates[..brackets.len()].to_vec();
            TaxSpec {
                preset: None,
                period: Some(period),
                brackets: Some(brackets),
                rates: Some(rates),
                rate_step,
                redistribute,
            }
        })
}

fn voting() -> impl Strategy<Value = VotingSpec> {
    use polity::rules::voting::Rule;
    (
        1u64..=20,
        prop_oneof![Just(Rule::Mean), Just(Rule::Median), Just(Rule::Plurality), Just(Rule::Borda)],
        prop_oneof![
            Just(Candidates::default()),
            Just(Candidates::Menu(vec![0.0, 1.0])),
            Just(Candidates::Range(-2.0, 1.0, 4)),
        ],
    )
        .prop_map(|(period, rule, candidates)| VotingSpec { period, rule, candidates, initial: None })
}

/// A principal's policy and objective; `Elected` only when there is an election.
fn principal(elected: bool) -> impl Strategy<Value = PrincipalSpec> {
    let objective = if elected {
        prop_oneof![Just(Objective::Elected), Just(Objective::Fixed(0.0))].boxed()
    } else {
        prop_oneof![Just(Objective::Fixed(f64::NEG_INFINITY)), Just(Objective::Fixed(0.0)), Just(Objective::Fixed(1.0))]
            .boxed()
    };
    (
        prop_oneof![
            Just(PrincipalPolicy::Fixed),
            Just(PrincipalPolicy::Random),
            Just(PrincipalPolicy::RevenueMax),
            Just(PrincipalPolicy::HillClimb),
            Just(PrincipalPolicy::Paa),
        ],
        objective,
        1u32..=2,
    )
        .prop_map(|(policy, objective, width)| PrincipalSpec {
            policy,
            objective,
            planner: PlannerSpec { budget: PlannerBudget::Budget { width, depth: 1 }, ..PlannerSpec::default() },
            shield: None,
        })
}

fn oversight() -> impl Strategy<Value = OversightSpec> {
    (
        proptest::sample::subsequence(vec![Forbidden::ClearCut, Forbidden::Evasion, Forbidden::Theft], 1..=3),
        proptest::sample::subsequence(vec![Kind::Human, Kind::Ai], 1..=2),
        1u64..=20,
        prop_oneof![2 => Just(1.0), 1 => 0.05f64..=1.0],
        prop_oneof![2 => Just(1.0), 1 => 0.05f64..=1.0],
        0.0f64..3.0,
        prop_oneof![
            3 => Just(Detection::Exact),
            1 => (1u32..200, 0.01f64..0.5).prop_map(|(samples, delta)| Detection::LowerBound { samples, delta }),
        ],
    )
        .prop_map(|(forbidden, kinds, period, audit_probability, inspect, k, detection)| OversightSpec {
            forbidden,
            kinds,
            period,
            audit_probability,
            inspect,
            k,
            detection,
            ..OversightSpec::default()
        })
        .prop_flat_map(|o| {
            (
                Just(o),
                prop_oneof![Just(Penalty::KOverPd), Just(Penalty::InverseQ)],
                proptest::bool::weighted(0.5),
                proptest::option::weighted(0.4, 0.0f64..=1.0),
                prop_oneof![2 => Just((0.0, 0.0)), 1 => (-0.5f64..0.5, 0.0f64..0.5)],
            )
        })
        .prop_map(|(mut o, penalty, advised, believed, (bias, noise))| {
            // Detection that depends on the act, beliefs, the overseer's imperfect score.
            o.penalty = penalty;
            if advised {
                o.advice = vec![
                    AdviceSpec {
                        class: Forbidden::ClearCut,
                        feature: Feature::Witnesses(2),
                        advice: vec![(0.05, 0.0), (0.1, 1.0), (0.2, 2.0)],
                    },
                    AdviceSpec {
                        class: Forbidden::Theft,
                        feature: Feature::Witnesses(1),
                        advice: vec![(0.1, 0.0), (0.3, 1.0)],
                    },
                    AdviceSpec {
                        class: Forbidden::Evasion,
                        feature: Feature::Share,
                        advice: vec![(0.1, 0.0), (0.2, 0.5), (0.3, 1.0)],
                    },
                ];
                o.evade_shares = vec![0.25, 0.5, 1.0];
            }
            if let Some(p) = believed {
                o.beliefs = vec![
                    BeliefSpec {
                        class: Forbidden::ClearCut,
                        forbidden: p,
                        detection: BeliefDetection::Learned { prior: (1.0, 3.0) },
                        learn_forbidden: true,
                    },
                    BeliefSpec {
                        class: Forbidden::Theft,
                        forbidden: 1.0 - p,
                        detection: BeliefDetection::Fixed(0.3),
                        learn_forbidden: false,
                    },
                    BeliefSpec {
                        class: Forbidden::Evasion,
                        forbidden: p,
                        detection: BeliefDetection::Known,
                        learn_forbidden: true,
                    },
                ];
            }
            o.score = ScoreSpec { bias, noise };
            // Advice only for the classes watched (forbidden, or believed possibly so): the
            // checks refuse an advice set that audits nothing.
            let watched =
                |c: Forbidden| o.forbidden.contains(&c) || o.beliefs.iter().any(|b| b.class == c && b.forbidden > 0.0);
            let advice = std::mem::take(&mut o.advice);
            o.advice = advice.into_iter().filter(|a| watched(a.class)).collect();
            o
        })
}

fn impact() -> impl Strategy<Value = ImpactSpec> {
    (
        prop_oneof![
            Just(Baseline::None),
            Just(Baseline::Naive),
            Just(Baseline::NaiveSymmetric),
            Just(Baseline::Stepwise),
            Just(Baseline::Iterative),
            Just(Baseline::StationaryIterative)
        ],
        prop_oneof![Just(0.0), 0.0f64..3.0],
        1u64..=4,
    )
        .prop_map(|(baseline, weight, horizon)| ImpactSpec { baseline, weight, horizon, ..ImpactSpec::default() })
}

/// The map as drawn: `cells` read one per cell, `border` walls round it, `objects` whether
/// vases, boxes and belts may appear.
fn draw_map(width: usize, height: usize, border: bool, objects: bool, cells: &[u8]) -> Vec<String> {
    let mut rows: Vec<Vec<char>> = (0..height)
        .map(|y| {
            (0..width)
                .map(|x| {
                    let edge = x == 0 || y == 0 || x == width - 1 || y == height - 1;
                    if border && edge {
                        return 'W';
                    }
                    match cells[y * width + x] {
                        0..15 => 'W',
                        15..35 => 'A',
                        35..45 => 'g',
                        45..62 => 'P',
                        c @ 62..75 if objects => {
                            ['V', 'X', '>', '<', '^', 'v', 'V', 'X', '>', '<', '^', 'v', 'P'][c as usize - 62]
                        }
                        _ => ' ',
                    }
                })
                .collect()
        })
        .collect();
    // At least one spawn point, inside the border.
    let (x, y) = if border { (1, 1) } else { (0, 0) };
    rows[y][x] = 'P';
    rows.into_iter().map(|r| r.into_iter().collect()).collect()
}

prop_compose! {
    /// A small valid scenario (the generator asserts it validates).
    fn scenario_strategy()(
        (width, height, border, objects) in (4usize..=16, 4usize..=16, any::<bool>(), any::<bool>()),
        cells in proptest::collection::vec(0u8..100, 256),
        groups in proptest::collection::vec(group(), 1..=3),
        (tax, voting, principal) in proptest::option::of((tax(), proptest::option::of(voting())))
            .prop_flat_map(|tv| {
                let elected = tv.as_ref().is_some_and(|(_, v)| v.is_some());
                let has_tax = tv.is_some();
                let principal =
                    if has_tax { proptest::option::weighted(0.7, principal(elected)).boxed() } else { Just(None).boxed() };
                (Just(tv), principal)
            })
            .prop_map(|(tv, p)| match tv {
                Some((t, v)) => (Some(t), v, p),
                None => (None, None, None),
            }),
        oversight in proptest::option::weighted(0.6, oversight()),
        impact in proptest::option::weighted(0.3, impact()),
        social_graph in prop_oneof![
            Just(SocialGraph::Complete),
            Just(SocialGraph::Ring),
            (1u32..=3).prop_map(|radius| SocialGraph::Grid { radius }),
        ],
        harm in prop_oneof![4 => Just(false), 1 => Just(true)],
        regrowth in (1.0f64..=3.0, proptest::collection::vec(prop_oneof![Just(0.0), 0.0f64..0.2], 1..=4))
            .prop_map(|(radius, mut probabilities)| {
                // (Of two or more, the first is for cells that never regrow: 0, or refused.)
                if let [first, _, ..] = &mut probabilities[..] {
                    *first = 0.0;
                }
                Regrowth { radius, probabilities }
            }),
        run in (1u64..=60, 0u64..1000, 1u64..=20).prop_map(|(ticks, seed, agents_every)| RunSpec { ticks, seed, agents_every }),
    ) -> Scenario {
        let rows = draw_map(width, height, border, objects, &cells);
        let mut spawns = rows.iter().map(|r| r.chars().filter(|&c| c == 'P').count() as u32).sum::<u32>();
        let mut agents = Vec::new();
        for (g, raw) in groups.into_iter().enumerate() {
            let count = raw.count.min(spawns);
            if count == 0 {
                break;
            }
            spawns -= count;
            agents.push(AgentGroup {
                name: format!("group{g}"),
                kind: if raw.ai { Kind::Ai } else { Kind::Human },
                count,
                selfishness: raw.selfishness,
                power: raw.power,
                weights: UtilityWeights { own: raw.weights.0, commons: raw.weights.1 },
                policy: raw.policy,
                spawn: SpawnRule::Random,
                shield: raw.shield,
                steal: raw.steal,
            });
        }
        let any_ai = agents.iter().any(|g| g.kind == Kind::Ai);
        let agents_kinds: Vec<Kind> = agents.iter().map(|g| g.kind).collect();
        let s = Scenario {
            version: 1,
            name: "prop".into(),
            description: "a generated scenario".into(),
            map: MapSpec::Ascii(AsciiMap { rows, legend: BTreeMap::new() }),
            agents,
            regrowth,
            run,
            tax,
            voting,
            principal,
            social_graph,
            // Harm is measured against AI agents' inaction: asked for only where there are some.
            sum: SumSpec { harm: harm && any_ai, ..Default::default() },
            // Oversight and impact are refused where they would find no one (oversight over
            // kinds absent, impact without AI agents): asked for only where they apply.
            oversight: oversight.filter(|o| o.kinds.iter().any(|k| agents_kinds.contains(k))),
            impact: impact.filter(|_| any_ai),
            ..Scenario::default()
        };
        if let Err(p) = scenario::check_typed(s.clone(), "generated") {
            panic!("the generator made an invalid scenario (a bug in the generator):\n{p}\n{}", scenario::to_ron(&s));
        }
        s
    }
}

// ---------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------

fn sim_of(s: &Scenario) -> Sim {
    Sim::new(s, s.run.seed, s.run.ticks)
}

/// Apples on the grid, counted cell by cell.
fn apples_counted(sim: &Sim) -> u64 {
    let g = sim.grid();
    (0..(g.width() * g.height()) as usize).filter(|&i| g.has_apple(i)).count() as u64
}

fn agent_id(subject: &str) -> u32 {
    subject.strip_prefix("agent:").and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("subject {subject}"))
}

/// The world's outputs from now on, bit for bit: state hash and metrics row of every tick,
/// and the events.
fn run_on(sim: &mut Sim, ticks: u64) -> (Vec<u64>, Vec<(u64, Vec<u64>)>, String) {
    let (mut hashes, mut rows, mut events) = (Vec::new(), Vec::new(), String::new());
    for _ in 0..ticks {
        sim.step();
        hashes.push(sim.state_hash());
        let out = sim.drain();
        rows.extend(out.rows.into_iter().map(|(t, v)| (t, v.into_iter().map(f64::to_bits).collect())));
        for e in out.events {
            events.push_str(&format!("{e:?}\n"));
        }
    }
    (hashes, rows, events)
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
}

fn polity(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_polity")).args(args).output().expect("polity runs")
}

fn check_file(path: &Path) {
    let out = polity(&["check".as_ref(), path.as_os_str()]);
    assert!(
        out.status.success(),
        "`polity check {}` refused what Polity wrote:\n{}\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(path).unwrap_or_default()
    );
}

// ---------------------------------------------------------------------------------------
// The properties.
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(512))]

    /// Every generated scenario validates (asserted in the generator), and `to_ron` of it
    /// reads back to the same scenario.
    #[test]
    fn scenarios_written_by_to_ron_read_back_equal(s in scenario_strategy()) {
        let text = scenario::to_ron(&s);
        let back = scenario::parse(&text, "written.ron", "written").unwrap_or_else(|p| panic!("{p}\n{text}"));
        prop_assert_eq!(&back, &s);
        let resolved = s.resolved();
        let text = scenario::to_ron(&resolved);
        let back = scenario::parse(&text, "resolved.ron", "resolved").unwrap_or_else(|p| panic!("{p}\n{text}"));
        prop_assert_eq!(back, resolved);
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Money is conserved to the milli-apple after every tick: the only source is apples
    /// picked (1000 each), and what leaves agents (taxes, fines) arrives somewhere (transfers,
    /// the treasury, the overseer's fines). Each agent's balance is its picks less its taxes,
    /// plus its transfers, less the penalties its audits logged, plus what it stole, less
    /// what was stolen from it (the last two from the `theft` events).
    #[test]
    fn money_is_conserved_to_the_milli_apple(s in scenario_strategy()) {
        let mut sim = sim_of(&s);
        sim.drain();
        let n = sim.core().agents.len();
        let (mut fined, mut stolen) = (vec![0i64; n], vec![0i64; n]);
        let totals = |sim: &Sim| {
            let tax = sim.part::<TaxState>();
            (
                sim.core().agents.iter().map(|a| a.ledger.tax_paid).sum::<i64>(),
                sim.core().agents.iter().map(|a| a.ledger.transfers).sum::<i64>(),
                tax.map_or(0, |t| t.treasury),
                sim.part::<Oversight>().map_or(0, |o| o.fines),
            )
        };
        let mut before = totals(&sim);
        for _ in 0..s.run.ticks {
            sim.step();
            let tick = sim.tick();
            let mut fines_now = 0;
            for e in sim.drain().events {
                match e.event {
                    Event::Audit { penalty, .. } => {
                        let milli = (penalty * 1000.0).round() as i64;
                        fined[agent_id(&e.subject) as usize] += milli;
                        fines_now += milli;
                    }
                    Event::Theft { victim, milli_apples, .. } => {
                        stolen[agent_id(&e.subject) as usize] += milli_apples;
                        stolen[victim as usize] -= milli_apples;
                    }
                    _ => {}
                }
            }
            let now = totals(&sim);
            let (taxes, transfers) = (now.0 - before.0, now.1 - before.1);
            let (treasury, fines) = (now.2 - before.2, now.3 - before.3);
            prop_assert_eq!(taxes + fines_now, transfers + treasury + fines, "tick {}: taxes + fines levied = transfers + treasury + fines kept", tick);
            prop_assert_eq!(fines_now, fines, "tick {}: the audits' penalties are the overseer's fines", tick);
            if let Some(t) = sim.part::<TaxState>() {
                prop_assert_eq!(taxes, t.collected, "tick {}: the taxes paid are the revenue", tick);
            }
            let agents = &sim.core().agents;
            let picked: i64 = agents.iter().map(|a| a.ledger.picked as i64).sum();
            let wealth: i64 = agents.iter().map(|a| a.ledger.balance).sum();
            prop_assert_eq!(wealth + now.2 + now.3, 1000 * picked, "tick {}: wealth + treasury + fines = apples picked", tick);
            for (k, a) in agents.iter().enumerate() {
                let l = a.ledger;
                prop_assert_eq!(
                    l.balance,
                    1000 * l.picked as i64 - l.tax_paid + l.transfers - fined[k] + stolen[k],
                    "tick {}: agent {}'s books", tick, k
                );
            }
            before = now;
        }
    }

    /// Apples picked are the apples that went from the grid: after every tick, the ledgers'
    /// picks equal the apples at the start plus those regrown less those standing (counted
    /// cell by cell), each tick's `harvested` is that tick's picks, and the grid's own count
    /// is the cell count.
    #[test]
    fn apples_picked_are_apples_gone_from_the_grid(s in scenario_strategy()) {
        let mut sim = sim_of(&s);
        let start = apples_counted(&sim);
        prop_assert_eq!(sim.grid().apples() as u64, start);
        let picked = |sim: &Sim| sim.core().agents.iter().map(|a| a.ledger.picked).sum::<u64>();
        let (mut regrown, mut last) = (0u64, 0u64);
        for _ in 0..s.run.ticks {
            sim.step();
            let tick = sim.tick();
            let stats = sim.core().stats;
            regrown += stats.regrown as u64;
            let now = picked(&sim);
            let standing = apples_counted(&sim);
            prop_assert_eq!(sim.grid().apples() as u64, standing, "tick {}: the grid's count", tick);
            prop_assert_eq!(now - last, stats.harvested as u64, "tick {}: harvested", tick);
            prop_assert_eq!(now + standing, start + regrown, "tick {}: picked = start + regrown − standing", tick);
            last = now;
        }
    }

    /// No two agents share a cell, none stands on a wall or off the map, and the grid marks
    /// exactly the agents' cells occupied — at the start and after every tick.
    #[test]
    fn no_two_agents_share_a_cell(s in scenario_strategy()) {
        let mut sim = sim_of(&s);
        for t in 0..=s.run.ticks {
            if t > 0 {
                sim.step();
            }
            let g = sim.grid();
            let mut cells = BTreeSet::new();
            for a in &sim.core().agents {
                let (x, y) = (a.pos.x, a.pos.y);
                prop_assert!(x < g.width() && y < g.height(), "tick {}: agent {} off the map at ({}, {})", t, a.id, x, y);
                prop_assert!(!matches!(g.terrain(g.index(x, y)), Terrain::Wall), "tick {}: agent {} on a wall", t, a.id);
                prop_assert!(cells.insert(g.index(x, y)), "tick {}: agent {} shares ({}, {})", t, a.id, x, y);
            }
            let occupied: BTreeSet<usize> = (0..(g.width() * g.height()) as usize).filter(|&i| g.occupied(i)).collect();
            prop_assert_eq!(&occupied, &cells, "tick {}: occupied cells", t);
        }
    }

}

proptest! {
    #![proptest_config(config(64))]

    /// The world model built without the ECS (`Sim::model_of`) and stepped by itself has the
    /// ECS world's state hash after every tick.
    #[test]
    fn the_world_model_ticks_as_the_ecs_world(s in scenario_strategy()) {
        let mut sim = sim_of(&s);
        let mut model = Sim::model_of(&s, s.run.seed, &Sim::mechanisms());
        prop_assert_eq!(model.state_hash(), sim.state_hash(), "tick 0");
        for _ in 0..s.run.ticks {
            sim.step();
            model.step();
            prop_assert_eq!(model.state_hash(), sim.state_hash(), "tick {}", sim.tick());
        }
        prop_assert_eq!(model.wealth(), sim.core().wealth());
    }

    /// A checkpoint taken at any tick, written to a file and read back, resumes the world
    /// exactly: the same hash every tick after it, the same metrics rows bit for bit and the
    /// same events as the uninterrupted run, and a final checkpoint byte for byte the same.
    #[test]
    fn a_checkpoint_at_any_tick_resumes_byte_identically(s in scenario_strategy(), at in any::<prop::sample::Index>()) {
        let at = at.index(s.run.ticks as usize + 1) as u64;
        let dir = tempfile::tempdir().unwrap();
        let mut straight = sim_of(&s);
        run_on(&mut straight, at);
        straight.drain(); // the tick-0 row, when `at` is 0
        let mut cut = sim_of(&s);
        run_on(&mut cut, at);
        let file = dir.path().join("cp.ron");
        checkpoint::save(&cut.checkpoint(), &file).unwrap();
        drop(cut);
        let mut resumed = Sim::restore(&checkpoint::load(&file).unwrap()).unwrap();
        prop_assert_eq!(resumed.tick(), at);
        let rest = s.run.ticks - at;
        let (a, b) = (run_on(&mut straight, rest), run_on(&mut resumed, rest));
        prop_assert_eq!(&a.0, &b.0, "hashes after tick {}", at);
        prop_assert_eq!(&a.1, &b.1, "metrics rows after tick {}", at);
        prop_assert_eq!(&a.2, &b.2, "events after tick {}", at);
        let (fa, fb) = (dir.path().join("a.ron"), dir.path().join("b.ron"));
        checkpoint::save(&straight.checkpoint(), &fa).unwrap();
        checkpoint::save(&resumed.checkpoint(), &fb).unwrap();
        prop_assert!(std::fs::read(&fa).unwrap() == std::fs::read(&fb).unwrap(), "final checkpoints differ");
    }

    /// One thread and two give the same world: the state hash, metrics rows and events of
    /// every tick, with the planners, shields and impact rollouts on a pool of each size.
    #[test]
    fn one_thread_and_two_give_the_same_world(s in scenario_strategy()) {
        let one = in_pool(1, || run_on(&mut sim_of(&s), s.run.ticks));
        let two = in_pool(2, || run_on(&mut sim_of(&s), s.run.ticks));
        prop_assert_eq!(one, two);
    }

    /// A snapshot scenario (the app's *Scenario RON*) taken at any tick reads back: it
    /// validates and builds a world with every agent where it stood, and an apple on every
    /// cell that had one — except under an object: see the ignored test below.
    #[test]
    fn snapshots_read_back(s in scenario_strategy(), at in any::<prop::sample::Index>()) {
        let (sim, rebuilt) = snapshot_at(&s, at);
        let cells = |sim: &Sim| sim.core().agents.iter().map(|a| (a.pos.x, a.pos.y)).collect::<Vec<_>>();
        prop_assert_eq!(cells(&rebuilt), cells(&sim));
        let (g, h) = (sim.grid(), rebuilt.grid());
        for i in (0..(g.width() * g.height()) as usize).filter(|&i| g.objects.at(i).is_none()) {
            prop_assert_eq!(h.has_apple(i), g.has_apple(i), "cell ({}, {})", i as u32 % g.width(), i as u32 / g.width());
        }
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// A vase or box pushed onto grass keeps the apple under it (and the grass, where apples
    /// regrow) in a snapshot: it was drawn as `V`/`X`, and both were lost (found by this
    /// property); the snapshot now writes it with a `VaseOnApple`/`…OnGrass` legend entry.
    #[test]
    fn snapshots_keep_the_apples_under_objects(s in scenario_strategy(), at in any::<prop::sample::Index>()) {
        let (sim, rebuilt) = snapshot_at(&s, at);
        let (g, h) = (sim.grid(), rebuilt.grid());
        for i in 0..(g.width() * g.height()) as usize {
            prop_assert_eq!(h.has_apple(i), g.has_apple(i), "cell ({}, {}); object there: {:?}", i as u32 % g.width(), i as u32 / g.width(), g.objects.at(i));
            prop_assert_eq!(h.terrain(i), g.terrain(i), "cell ({}, {})", i as u32 % g.width(), i as u32 / g.width());
        }
    }
}

/// The world of `s` at a tick drawn by `at`, and the world its snapshot scenario builds
/// (read back through `scenario::parse`, so it must validate).
fn snapshot_at(s: &Scenario, at: prop::sample::Index) -> (Sim, Sim) {
    let at = at.index(s.run.ticks as usize + 1) as u64;
    let mut sim = sim_of(s);
    (0..at).for_each(|_| sim.step());
    let text = polity::control::snapshot::snapshot_ron(&sim);
    let snap = scenario::parse(&text, "snapshot.ron", "snapshot").unwrap_or_else(|p| panic!("{p}\n{text}"));
    let rebuilt = Sim::new(&snap, snap.run.seed, 1);
    (sim, rebuilt)
}

proptest! {
    #![proptest_config(config(16))]

    /// Through the binary: `polity check` accepts a generated scenario as `to_ron` writes it;
    /// `polity --threads 1 run` and `--threads 2 run` write the same files; and `polity check`
    /// accepts the `scenario.ron` and `run.json` the run wrote.
    #[test]
    fn polity_check_accepts_what_polity_run_writes(s in scenario_strategy()) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("generated.ron");
        std::fs::write(&file, scenario::to_ron(&s)).unwrap();
        check_file(&file);
        let mut outs = Vec::new();
        for threads in ["1", "2"] {
            let out = dir.path().join(format!("run{threads}"));
            let args: Vec<&std::ffi::OsStr> =
                vec!["--threads".as_ref(), threads.as_ref(), "run".as_ref(), file.as_os_str(), "--out".as_ref(), out.as_os_str()];
            let r = polity(&args);
            prop_assert!(r.status.success(), "polity run failed:\n{}", String::from_utf8_lossy(&r.stderr));
            check_file(&out.join("scenario.ron"));
            check_file(&out.join("run.json"));
            outs.push(out);
        }
        for f in ["metrics.csv", "agents.csv", "events.jsonl", "scenario.ron"] {
            prop_assert!(
                std::fs::read(outs[0].join(f)).unwrap() == std::fs::read(outs[1].join(f)).unwrap(),
                "{} differs between 1 and 2 threads", f
            );
        }
    }
}

/// The generator reaches what the properties are about: over 64 scenarios drawn with a fixed
/// seed, some worlds collect taxes, fill the treasury, fine, steal, pick, regrow, push and
/// break objects, and checkpoint/thread properties see planners and shields at work. A
/// generator that drifted into trivial worlds would fail here, not pass everything.
#[test]
fn the_generator_reaches_every_flow() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
    for _ in 0..64 {
        let s = scenario_strategy().new_tree(&mut runner).unwrap().current();
        let mut sim = sim_of(&s);
        let mut bump = |k: &'static str, yes: bool| *seen.entry(k).or_default() += yes as u32;
        bump("paa", matches!(s.principal.as_ref().map(|p| &p.policy), Some(PrincipalPolicy::Paa)));
        bump("agent shield", s.agents.iter().any(|g| g.shield.is_some()));
        bump("learned", s.agents.iter().any(|g| matches!(g.policy, PolicySpec::Learned(_))));
        let (mut regrown, mut pushed, mut broken, mut stolen) = (0, 0, 0, 0);
        for _ in 0..s.run.ticks {
            sim.step();
            regrown += sim.core().stats.regrown;
            for e in sim.drain().events {
                match e.event {
                    Event::Pushed { .. } => pushed += 1,
                    Event::VaseBroken { .. } => broken += 1,
                    Event::Theft { .. } => stolen += 1,
                    _ => {}
                }
            }
        }
        let agents = &sim.core().agents;
        bump("picked", agents.iter().any(|a| a.ledger.picked > 0));
        bump("taxed", agents.iter().any(|a| a.ledger.tax_paid > 0));
        bump("treasury", sim.part::<TaxState>().is_some_and(|t| t.treasury > 0));
        bump("fined", sim.part::<Oversight>().is_some_and(|o| o.fines > 0));
        bump("regrown", regrown > 0);
        bump("pushed", pushed > 0);
        bump("broken", broken > 0);
        bump("stolen", stolen > 0);
    }
    for k in [
        "paa",
        "agent shield",
        "learned",
        "picked",
        "taxed",
        "treasury",
        "fined",
        "regrown",
        "pushed",
        "broken",
        "stolen",
    ] {
        assert!(seen.get(k).copied().unwrap_or(0) >= 1, "no generated world {k}: {seen:?}");
    }
    eprintln!("{seen:?}");
}

/// The offsets of the commas in `src` that end a line and separate two struct fields (the
/// next line starts with `name:`), outside comments.
fn field_commas(src: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut offset = 0;
    let lines: Vec<&str> = src.split_inclusive('\n').collect();
    for (k, line) in lines.iter().enumerate() {
        let body = line.trim_end();
        let next_is_field = lines.get(k + 1).is_some_and(|n| {
            let n = n.trim_start();
            let name: String = n.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            !name.is_empty() && n[name.len()..].starts_with(": ")
        });
        if body.ends_with(',') && !body.trim_start().starts_with("//") && next_is_field {
            out.push(offset + body.len() - 1);
        }
        offset += line.len();
    }
    out
}

proptest! {
    #![proptest_config(config(512))]

    /// The parser goes on past slips (docs/scenarios.md): whatever a few edits do to a
    /// built-in, reading it ends, never panics, and every problem has a place in the file.
    #[test]
    fn any_edit_of_a_scenario_is_read_to_an_end_with_every_problem_placed(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..6, prop::sample::select(
            vec!["", ",", "(", ")", "[", "]", "{", "}", ":", "\"", "'", "/*", "//", "1.2.3", "x", " ", "\n", "r#\""],
        )), 1..5),
    ) {
        let b = &polity::scenario::BUILTINS[which.index(polity::scenario::BUILTINS.len())];
        let mut src = b.source.to_string();
        for (at, cut, put) in edits {
            let mut i = at.index(src.len() + 1);
            while !src.is_char_boundary(i) { i -= 1; }
            let mut j = (i + cut).min(src.len());
            while !src.is_char_boundary(j) { j -= 1; }
            src.replace_range(i..j, put);
        }
        let lines = src.lines().count().max(1);
        match polity::scenario::parse(&src, "edited.ron", b.name) {
            Ok(_) => {}
            Err(problems) => {
                prop_assert!(!problems.0.is_empty());
                prop_assert!(problems.0.len() <= 200, "{}", problems.0.len());
                for p in &problems.0 {
                    if let Some((line, col)) = p.position {
                        prop_assert!(line >= 1 && line <= lines + 1 && col >= 1, "{p} in\n{src}");
                    }
                }
            }
        }
    }

    /// One `,` left out between two fields of a built-in is one problem, at the field after
    /// it, and the rest of the file is still read: the same file with a wrong value there too
    /// reports both.
    #[test]
    fn a_comma_left_out_between_fields_is_one_problem_and_the_rest_is_still_checked(
        which in any::<prop::sample::Index>(),
        comma in any::<prop::sample::Index>(),
    ) {
        let b = &polity::scenario::BUILTINS[which.index(polity::scenario::BUILTINS.len())];
        let commas = field_commas(b.source);
        prop_assume!(!commas.is_empty());
        let at = commas[comma.index(commas.len())];
        let mut src = b.source.to_string();
        src.remove(at);
        let problems = polity::scenario::parse(&src, "slip.ron", b.name).unwrap_err().0;
        let (line, _) = polity::spanned_ron::line_col(&src, at);
        prop_assert_eq!(problems.len(), 1, "{:?}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>());
        prop_assert!(problems[0].message.starts_with("expected `,`"), "{}", problems[0]);
        prop_assert_eq!(problems[0].position.map(|p| p.0), Some(line + 1), "{}", problems[0]);
        // And a version that is not 1, written before the slip: both are said.
        // (Every built-in starts `version: 1,`; the slip may be that comma.)
        let wrong = src.replacen("version: 1,", "version: 7,", 1);
        if wrong != src {
            let problems = polity::scenario::parse(&wrong, "slip.ron", b.name).unwrap_err().0;
            prop_assert_eq!(problems.len(), 2, "{:?}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>());
        }
    }
}
