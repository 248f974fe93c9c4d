//! Engine tests with real numbers: regrowth frequencies, grid invariants, decisions,
//! movement fairness, exact accounting, determinism and the golden hash.

use polity::agents::{Ledger, Policy, Position, Weights};
use polity::decision::{self, DEFAULT_POLICY};
use polity::grid::{Grid, Terrain};
use polity::metrics::MetricsLog;
use polity::rules::forage::{self, Action, Forager};
use polity::scenario::{self, PolicySpec, Scenario, UtilityWeights};
use polity::sim::Sim;
use polity::world;
use proptest::prelude::*;

const MP: [f64; 4] = [0.0, 0.0025, 0.005, 0.025];

fn commons() -> Scenario {
    scenario::builtin("commons").unwrap().scenario().unwrap()
}

/// A scenario from RON text (panics with the problems if invalid).
fn scn(src: &str) -> Scenario {
    scenario::parse(src, "test.ron", "test").unwrap_or_else(|p| panic!("{p}"))
}

/// An open grid (no walls) of `w × h` floor with apples on `apples`.
fn open_grid(w: u32, h: u32, apples: &[(u32, u32)], probs: &[f64]) -> Grid {
    let cells: Vec<u32> = apples.iter().map(|&(x, y)| y * w + x).collect();
    Grid::new(w, h, vec![Terrain::Floor; (w * h) as usize], &cells, vec![], 2.0, probs.to_vec())
}

#[test]
fn regrowth_frequency_matches_probability_by_neighbour_count() {
    // An eaten centre cell with n live neighbours within radius 2 regrows with P[n]:
    // estimated over 100,000 ticks, within 5 standard errors.
    let probs = [0.0, 0.1, 0.2, 0.3];
    let neighbours = [(7, 5), (5, 7), (3, 5), (5, 3), (6, 6)];
    for n in 0..=4usize {
        let mut apples = vec![(5, 5)];
        apples.extend_from_slice(&neighbours[..n]);
        let mut g = open_grid(11, 11, &apples, &probs);
        let centre = g.index(5, 5);
        assert_eq!(g.live_neighbours(centre), n as u32);
        g.pick(centre).unwrap();
        let trials = 100_000u64;
        let mut grown = 0u64;
        for t in 0..trials {
            if g.regrow(42, t) > 0 {
                assert!(g.has_apple(centre));
                grown += 1;
                g.pick(centre).unwrap();
            }
        }
        let p = probs[n.min(3)];
        let freq = grown as f64 / trials as f64;
        let se = (p * (1.0 - p) / trials as f64).sqrt().max(1e-9);
        assert!((freq - p).abs() <= 5.0 * se, "n = {n}: frequency {freq} vs P = {p}");
    }
}

#[test]
fn a_patch_whose_last_apple_is_picked_never_regrows() {
    let mut g = open_grid(9, 9, &[(4, 4), (5, 4)], &[1.0, 1.0]);
    assert_eq!((g.patch_count(), g.patches_alive()), (1, 1));
    assert_eq!(g.pick(g.index(4, 4)), Some(None));
    assert_eq!(g.pick(g.index(5, 4)), Some(Some(0)), "the last apple reports its patch lost");
    assert_eq!(g.patches_alive(), 0);
    for t in 0..1000 {
        assert_eq!(g.regrow(1, t), 0);
    }
    // With certain regrowth and one apple left, the other cell comes back next tick.
    let mut g = open_grid(9, 9, &[(4, 4), (5, 4)], &[0.0, 1.0]);
    g.pick(g.index(4, 4)).unwrap();
    assert_eq!(g.regrow(1, 0), 1);
    assert!(g.has_apple(g.index(4, 4)));
}

#[test]
fn commons_map_has_melting_pots_layout() {
    let s = commons();
    let g = world::build_grid(&s);
    assert_eq!((g.width(), g.height()), (24, 18));
    assert_eq!(g.apples(), 64);
    assert_eq!(g.patch_count(), 6);
    assert_eq!(g.spawn_points().len(), 18 + 20 + 22 + 2);
}

/// Brute-force recount of what the grid maintains incrementally.
fn check_invariants(g: &Grid) {
    let (w, h) = (g.width() as i64, g.height() as i64);
    let mut apples = 0;
    for y in 0..h {
        for x in 0..w {
            let i = g.index(x as u32, y as u32);
            apples += g.has_apple(i) as u32;
            let mut n = 0;
            for dy in -2i64..=2 {
                for dx in -2i64..=2 {
                    let (nx, ny) = (x + dx, y + dy);
                    if (dx, dy) != (0, 0) && dx * dx + dy * dy <= 4 && nx >= 0 && ny >= 0 && nx < w && ny < h {
                        n += g.has_apple(g.index(nx as u32, ny as u32)) as u32;
                    }
                }
            }
            assert_eq!(g.live_neighbours(i), n, "cell ({x}, {y})");
        }
    }
    assert_eq!(g.apples(), apples);
    let mut alive = std::collections::BTreeSet::new();
    for i in 0..(w * h) as usize {
        if g.has_apple(i) {
            alive.insert(g.patch_of(i));
        }
    }
    assert_eq!(g.patches_alive(), alive.len() as u32);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Incremental neighbour counts, apple and patch counts equal a brute-force recount
    /// after any sequence of picks and regrowth; the cells that regrow are exactly those the
    /// rule says (eaten grass with live neighbours whose draw is below their probability:
    /// regrowth's candidate list misses none, whether the tick sweeps it or not), and the
    /// candidates counted by neighbours are the eligible cells.
    #[test]
    fn grid_bookkeeping_matches_a_recount(
        apples in proptest::collection::btree_set((0u32..12, 0u32..10), 1..60),
        picks in proptest::collection::vec((0u32..12, 0u32..10), 0..80),
        seed in any::<u64>(),
    ) {
        use polity::rng::{self, Purpose};
        let probs = [0.0, 0.2, 0.4, 0.6];
        let apples: Vec<_> = apples.into_iter().collect();
        let mut g = open_grid(12, 10, &apples, &probs);
        check_invariants(&g);
        let cells = (g.width() * g.height()) as usize;
        for (t, (x, y)) in picks.into_iter().enumerate() {
            let t = t as u64;
            let _ = g.pick(g.index(x, y));
            let eligible: Vec<usize> =
                (0..cells).filter(|&i| g.terrain(i) == Terrain::Grass && !g.has_apple(i) && g.live_neighbours(i) > 0).collect();
            let mut by_count = vec![0u64; 13];
            for &i in &eligible {
                by_count[g.live_neighbours(i) as usize] += 1;
            }
            prop_assert_eq!(g.candidates_by_neighbours(), by_count, "tick {}", t);
            let want: Vec<usize> = eligible
                .into_iter()
                .filter(|&i| {
                    rng::unit(seed, t, i as u64, Purpose::Regrow)
                        < polity::rules::regrowth::probability(&probs, g.live_neighbours(i))
                })
                .collect();
            let before: Vec<bool> = (0..cells).map(|i| g.has_apple(i)).collect();
            let grown = g.regrow(seed, t);
            let got: Vec<usize> = (0..cells).filter(|&i| g.has_apple(i) && !before[i]).collect();
            prop_assert_eq!(grown as usize, got.len());
            prop_assert_eq!(got, want, "tick {}", t);
            check_invariants(&g);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Picks planned ahead ([`Grid::plan_cells`], what harvesting does) give what picking one
    /// by one gives: the same answers (none, picked, last of its patch), in any order, cells
    /// named twice or without grass included, and the same bookkeeping after.
    #[test]
    fn planned_picks_equal_picks_one_by_one(
        apples in proptest::collection::btree_set((0u32..12, 0u32..10), 1..80),
        cells in proptest::collection::vec((0u32..12, 0u32..10), 0..60),
        radius in prop::sample::select(vec![1.0, 1.5, 2.0, 3.0]),
        backwards in any::<bool>(),
    ) {
        let apples: Vec<u32> = apples.into_iter().map(|(x, y)| y * 12 + x).collect();
        let g = Grid::new(12, 10, vec![Terrain::Floor; 120], &apples, vec![], radius, MP.to_vec());
        let cells: Vec<u32> = cells.into_iter().map(|(x, y)| y * 12 + x).collect();
        let (mut one, mut planned) = (g.clone(), g.clone());
        let mut order: Vec<usize> = (0..cells.len()).collect();
        if backwards {
            order.reverse();
        }
        let want: Vec<_> = order.iter().map(|&n| one.pick(cells[n] as usize)).collect();
        let plan = planned.plan_cells(cells.clone());
        let got: Vec<_> = order.iter().map(|&n| planned.pick_planned(&plan, n)).collect();
        prop_assert_eq!(got, want);
        for i in 0..120 {
            prop_assert_eq!(planned.has_apple(i), one.has_apple(i));
            prop_assert_eq!(planned.live_neighbours(i), one.live_neighbours(i));
        }
        prop_assert_eq!(planned.patches_alive(), one.patches_alive());
        prop_assert_eq!(planned.candidates_by_neighbours(), one.candidates_by_neighbours());
        if radius == 2.0 {
            check_invariants(&planned);
        }
    }
}

/// The forage score straight from its definition (the module docs of `rules::forage`): every
/// cell of the view, every target, no shortcuts. `γ^d` as the scorer takes it: repeated
/// multiplication below 16, `powi` beyond.
fn score_by_definition(g: &Grid, x: u32, y: u32, f: &Forager) -> [f64; 5] {
    let r = f.view as i64;
    let pow = |d: i64| {
        if d < 16 { (0..d).fold(1.0, |acc, _| acc * f.discount) } else { f.discount.powi(d as i32) }
    };
    let mut out = [0.0; 5];
    for (k, &a) in Action::ALL.iter().enumerate() {
        let (tx, ty) = forage::target(g, x, y, a);
        let (mut immediate, mut best) = (0.0, 0.0f64);
        for cy in (y as i64 - r)..=(y as i64 + r) {
            for cx in (x as i64 - r)..=(x as i64 + r) {
                if cx < 0 || cy < 0 || cx >= g.width() as i64 || cy >= g.height() as i64 {
                    continue;
                }
                let i = g.index(cx as u32, cy as u32);
                if !g.has_apple(i) {
                    continue;
                }
                let mut v = forage::apple_value(g, f, i);
                if let Some((p_d, k)) = f.clear_cut_audit
                    && g.last_of_patch(i)
                {
                    v = v * (1.0 - p_d) - f.w_own * k;
                }
                let d = (cx - tx as i64).abs() + (cy - ty as i64).abs();
                if d == 0 {
                    immediate = v;
                } else if v > 0.0 {
                    best = best.max(v * pow(d));
                }
            }
        }
        out[k] = immediate + best;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    /// The scorer (rows of the view read a word at a time, powers of γ filled lazily) gives
    /// exactly the scores of the definition, on maps narrower and wider than 64 cells, with walls, views up to 40,
    /// weights of either sign and the clear-cut audit on or off.
    #[test]
    fn forage_scores_equal_the_definition(
        width in 3u32..140,
        height in 3u32..30,
        cells in proptest::collection::vec(0u8..10, 140 * 30),
        at in (any::<u32>(), any::<u32>()),
        // Views within radius 7 half the time (the scorer's shortcut for them).
        view in prop_oneof![1u32..8, 1u32..40],
        // Walls on 0%, 10% or 20% of the cells (with none, every move is open).
        walls in 0u8..3,
        discount in 0.05f64..1.0,
        sigma in 0.0f64..1.0,
        share in 0.0f64..1.0,
        audit in proptest::option::of((0.0f64..1.0, 0.0f64..3.0)),
        weights in (-1.0f64..2.0, -1.0f64..3.0),
        radius in prop::sample::select(vec![1.0, 1.5, 2.0, 3.0, 4.5]),
        // Melting Pot's (costs the same from 3 live neighbours on), rising to the end, flat.
        probabilities in prop::sample::select(vec![MP.to_vec(), (0..=10).map(|k| k as f64 / 10.0).collect(), vec![0.5]]),
    ) {
        let n = (width * height) as usize;
        // Below `walls` wall, 2–5 grass with an apple, the rest floor.
        let terrain: Vec<Terrain> =
            cells[..n].iter().map(|&c| if c < walls { Terrain::Wall } else { Terrain::Floor }).collect();
        let apples: Vec<u32> = (0..n as u32).filter(|&i| (2..6).contains(&cells[i as usize])).collect();
        let g = Grid::new(width, height, terrain, &apples, vec![], radius, probabilities);
        let (x, y) = (at.0 % width, at.1 % height);
        let f = Forager {
            selfishness: sigma,
            apple_share: share,
            w_own: weights.0,
            w_commons: weights.1,
            view,
            discount,
            clear_cut_audit: audit,
            clear_cut_risk: None,
        };
        let mut got = [0.0; 5];
        forage::score(&g, x, y, &f, &mut got);
        let want = score_by_definition(&g, x, y, &f);
        prop_assert_eq!(got, want);
        // Counting live neighbours from the view's apple bits (a big map's way) and reading
        // the kept counts give the same scores.
        for count_live in [false, true] {
            forage::score_with(&g, x, y, &f, &mut got, count_live);
            prop_assert_eq!(got, want, "count_live = {}", count_live);
        }
    }

    /// Where a move takes an agent: the neighbour when it is on the map and not a wall,
    /// otherwise where it stands, whatever [`Grid::no_wall_beside`] lets the rule skip.
    #[test]
    fn a_move_is_blocked_by_walls_and_the_edge_only(
        width in 1u32..150,
        height in 1u32..12,
        walls in proptest::collection::vec(0u8..40, 150 * 12),
    ) {
        let n = (width * height) as usize;
        let terrain: Vec<Terrain> =
            walls[..n].iter().map(|&c| if c == 0 { Terrain::Wall } else { Terrain::Floor }).collect();
        let g = Grid::new(width, height, terrain, &[], vec![], 2.0, MP.to_vec());
        for y in 0..height {
            for x in 0..width {
                for a in Action::ALL {
                    let (dx, dy) = a.delta();
                    let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                    let open = nx >= 0
                        && ny >= 0
                        && nx < width as i64
                        && ny < height as i64
                        && g.terrain(g.index(nx as u32, ny as u32)) != Terrain::Wall;
                    let want = if open { (nx as u32, ny as u32) } else { (x, y) };
                    prop_assert_eq!(forage::target(&g, x, y, a), want, "({}, {}) {:?}", x, y, a);
                }
            }
        }
    }

    /// A row's apples as one word equal the cells' apples one by one, wherever the span
    /// falls across the bit set's words.
    #[test]
    fn apple_bits_equal_the_cells(
        width in 1u32..200,
        cells in proptest::collection::vec(any::<bool>(), 200 * 4),
        y in 0u32..4,
        x0 in any::<u32>(),
        len in 0u32..=64,
    ) {
        let n = (width * 4) as usize;
        let apples: Vec<u32> = (0..n as u32).filter(|&i| cells[i as usize]).collect();
        let g = Grid::new(width, 4, vec![Terrain::Floor; n], &apples, vec![], 2.0, MP.to_vec());
        let x0 = x0 % width;
        let len = len.min(width - x0);
        let bits = g.apple_bits(y, x0, len);
        for k in 0..64 {
            let want = k < len && g.has_apple(g.index(x0 + k, y));
            prop_assert_eq!(bits >> k & 1 == 1, want, "bit {}", k);
        }
    }
}

fn forager(view: u32) -> Policy {
    Policy(PolicySpec::Forager { view, discount: 0.9 })
}

#[test]
fn zero_power_agent_follows_the_default_random_walk() {
    // 50,000 decisions of a power-0 agent beside apples: each move's frequency within
    // 5 standard errors of 1/5.
    let g = open_grid(9, 9, &[(5, 4), (6, 4), (4, 5)], &MP);
    let w = Weights(UtilityWeights::default());
    let mut counts = [0u32; 5];
    let n = 50_000;
    for t in 0..n {
        let d = decision::choose(
            &g,
            &polity::rng::TickKey::new(3, t),
            0,
            &Position { x: 4, y: 4 },
            1.0,
            1.0,
            None,
            None,
            0.0,
            &w,
            &forager(3),
            &[0.0; 5],
        );
        assert_eq!(d.probs, DEFAULT_POLICY);
        counts[d.action as usize] += 1;
    }
    let se = (0.2f64 * 0.8 / n as f64).sqrt();
    for c in counts {
        assert!((c as f64 / n as f64 - 0.2).abs() < 5.0 * se, "{counts:?}");
    }
}

#[test]
fn tilted_agent_spends_its_power_and_draws_from_the_tilt() {
    let g = open_grid(9, 9, &[(5, 4), (6, 4), (4, 6)], &MP);
    let w = Weights(UtilityWeights::default());
    let power = 0.3;
    let mut counts = [0u32; 5];
    let n = 50_000;
    let mut probs = [0.0; 5];
    for t in 0..n {
        let d = decision::choose(
            &g,
            &polity::rng::TickKey::new(9, t),
            1,
            &Position { x: 4, y: 4 },
            1.0,
            1.0,
            None,
            None,
            power,
            &w,
            &forager(3),
            &[0.0; 5],
        );
        assert!((d.kl - power).abs() < 1e-9, "KL {} vs budget {power}", d.kl);
        probs = d.probs;
        counts[d.action as usize] += 1;
    }
    // East (onto the apple at (5, 4)) is the best move and the most likely.
    assert!(probs[Action::East as usize] > probs.iter().copied().fold(0.0, f64::max) - 1e-12);
    for k in 0..5 {
        let se = (probs[k] * (1.0 - probs[k]) / n as f64).sqrt();
        assert!((counts[k] as f64 / n as f64 - probs[k]).abs() < 5.0 * se + 1e-9, "{counts:?} vs {probs:?}");
    }
}

#[test]
fn greedy_selfish_agent_takes_the_last_apple_and_unselfish_one_spares_it() {
    // A lone apple east of the agent: cost to the commons is 1 (it is the patch's last).
    let g = open_grid(9, 9, &[(5, 4)], &MP);
    let w = Weights(UtilityWeights::default());
    let pos = Position { x: 4, y: 4 };
    let selfish = decision::choose(
        &g,
        &polity::rng::TickKey::new(0, 0),
        0,
        &pos,
        1.0,
        1.0,
        None,
        None,
        100.0,
        &w,
        &forager(3),
        &[0.0; 5],
    );
    assert_eq!(selfish.action, Action::East);
    assert_eq!(selfish.scores[Action::East as usize], 1.0);
    let unselfish = decision::choose(
        &g,
        &polity::rng::TickKey::new(0, 0),
        0,
        &pos,
        0.0,
        0.0,
        None,
        None,
        100.0,
        &w,
        &forager(3),
        &[0.0; 5],
    );
    assert_eq!(unselfish.scores[Action::East as usize], -1.0);
    assert_ne!(unselfish.action, Action::East);
    // A dense patch (≥ 3 live neighbours) costs the commons nothing: σ = 0.5 values it 0.5.
    let dense = open_grid(9, 9, &[(5, 4), (6, 4), (7, 4), (5, 5)], &MP);
    let half = decision::choose(
        &dense,
        &polity::rng::TickKey::new(0, 0),
        0,
        &pos,
        0.5,
        0.5,
        None,
        None,
        100.0,
        &w,
        &forager(3),
        &[0.0; 5],
    );
    assert!((half.scores[Action::East as usize] - 0.5 - 0.5 * 0.9).abs() < 1e-12, "{:?}", half.scores);
    assert_eq!(half.action, Action::East);
}

#[test]
fn collisions_are_fair_over_many_ticks() {
    // Two greedy agents either side of a single cell holding an apple that reappears every
    // tick (P = 1 with neighbours): each should win the cell about half the time.
    let s = scn(r#"Scenario(version: 1,
        map: Ascii(rows: ["WWWWW", "WgAgW", "WWWWW"]),
        agents: [(count: 2, power: Fixed(100.0), spawn: At([(1, 1), (3, 1)]))],
        regrowth: (probabilities: [1.0]),
        run: (ticks: 1),
    )"#);
    // Probability 1 even with no neighbours: the apple at (2,1) regrows every tick.
    let mut wins = [0u32; 2];
    for seed in 0..400u64 {
        let mut sim = Sim::new(&s, seed, 1);
        sim.step();
        let mut q = sim.world_mut().query::<(&polity::agents::Agent, &Ledger)>();
        for (a, l) in q.iter(sim.world()) {
            wins[a.id as usize] += l.picked as u32;
        }
    }
    assert_eq!(wins[0] + wins[1], 400, "exactly one agent takes the cell each time: {wins:?}");
    assert!((wins[0] as i64 - 200).abs() < 50, "{wins:?}"); // 5 sd of Binomial(400, 1/2) = 50
}

/// Runs a scenario and returns the metrics rows.
fn run_rows(s: &Scenario, seed: u64, ticks: u64) -> (Vec<String>, Vec<(u64, Vec<f64>)>, Sim) {
    let mut sim = Sim::new(s, seed, ticks);
    let mut rows = sim.world_mut().resource_mut::<MetricsLog>().drain();
    for _ in 0..ticks {
        sim.step();
        rows.extend(sim.world_mut().resource_mut::<MetricsLog>().drain());
    }
    let cols = sim.world().resource::<MetricsLog>().columns().iter().map(|c| c.to_string()).collect();
    (cols, rows, sim)
}

#[test]
fn metrics_columns_and_exact_accounting() {
    let s = commons();
    let (cols, rows, mut sim) = run_rows(&s, 5, 300);
    assert_eq!(
        cols,
        [
            "apples",
            "harvested",
            "patches_alive",
            "gini",
            "welfare_min",
            "welfare_nash",
            "welfare_mean",
            "welfare_max",
            "equality_times_productivity",
            "power_used_human",
            "power_used_ai",
            "alignment"
        ]
    );
    assert_eq!(rows.len(), 301);
    assert_eq!(rows[0].0, 0);
    assert_eq!(rows[0].1[0], 64.0);
    let harvested: f64 = rows.iter().map(|r| r.1[1]).sum();
    let ledgers: Vec<Ledger> = sim.world_mut().query::<&Ledger>().iter(sim.world()).copied().collect();
    let picked: u64 = ledgers.iter().map(|l| l.picked).sum();
    let balance: i64 = ledgers.iter().map(|l| l.balance).sum();
    assert_eq!(harvested as u64, picked);
    assert_eq!(balance, 1000 * picked as i64, "every apple is 1000 milli-apples in some ledger");
    // Apples standing never rise by more than regrowth could give and fall exactly by harvest
    // when nothing can regrow (P[0] = 0 and all patches gone).
    // The welfare columns aggregate SED's reward: its mean is the rewards' total over 7.
    let rewards: f64 = sim.world_mut().query::<&polity::agents::Reward>().iter(sim.world()).map(|r| r.total).sum();
    let mean = rows.last().unwrap().1[6];
    assert!((mean * 7.0 - rewards).abs() < 1e-9, "{mean} × 7 vs {rewards}");

    // The same run again, tick by tick, against hand computations from the grid and ledgers
    // (the welfare of SED's rewards, where the unselfish share their neighbours' income, and of
    // the wealths, where someone always has nothing); and a taxed world, where transfers leave
    // everyone some wealth (so the Nash welfare is checked away from 0 too).
    assert!(metrics_by_hand(&s, 5, 300), "commons seed 5: every reward is positive at some tick");
    let wealth = Scenario { utility: scenario::Utility::Wealth, ..s.clone() };
    assert!(!metrics_by_hand(&wealth, 5, 300), "commons seed 5: someone always has no wealth");
    assert_eq!(rows[300].1[2], 0.0, "seed 5 strips the commons (so the no-regrowth check means something)");
    let mut sed = scenario::builtin("sed-apple-picking").unwrap().scenario().unwrap();
    sed.run.ticks = 300;
    assert!(metrics_by_hand(&sed, 0, 300), "the Nash welfare was checked away from 0 too");
}

/// Steps `s` and checks every tick's metrics against hand computations from the grid and the
/// ledgers (see `metrics_columns_and_exact_accounting`). Returns whether the Nash welfare was
/// ever positive.
fn metrics_by_hand(s: &Scenario, seed: u64, ticks: u64) -> bool {
    let (cols, rows, _) = run_rows(s, seed, ticks);
    let col = |name: &str| cols.iter().position(|c| c == name).unwrap();
    let mut sim = Sim::new(s, seed, ticks);
    let cells = |sim: &Sim| {
        let g = sim.grid();
        (0..g.height())
            .flat_map(|y| (0..g.width()).map(move |x| (x, y)))
            .filter(|&(x, y)| g.has_apple(g.index(x, y)))
            .collect::<std::collections::BTreeSet<(u32, u32)>>()
    };
    // A regrown cell has a live apple within Euclidean distance 2 (P[0] = 0).
    let near = |set: &std::collections::BTreeSet<(u32, u32)>, (x, y): (u32, u32)| {
        set.iter().any(|&(a, b)| {
            let (dx, dy) = (a as i64 - x as i64, b as i64 - y as i64);
            (dx, dy) != (0, 0) && dx * dx + dy * dy <= 4
        })
    };
    let mut before = cells(&sim);
    let mut regrew_after_the_last_patch = false;
    let mut nash_positive = false;
    let mut picked_before = 0u64;
    for t in 1..=ticks as usize {
        sim.step();
        let after = cells(&sim);
        let row = &rows[t].1;
        assert_eq!(rows[t].0, t as u64);
        assert_eq!(row[col("apples")], after.len() as f64, "tick {t}: apples standing is the apples on the grid");
        // Standing now = standing before − harvested + regrown, with harvested the apples the
        // ledgers gained this tick; regrown ≥ 0 covers every newly filled cell, and what it has
        // beyond those refilled cells harvested this same tick (harvested − vanished ≥ 0).
        let grown: Vec<_> = after.difference(&before).copied().collect();
        let lost = before.difference(&after).count() as f64;
        let harvested = row[col("harvested")];
        let picked: u64 = {
            let w = sim.world_mut();
            w.query::<&Ledger>().iter(w).map(|l| l.picked).sum()
        };
        assert_eq!(harvested, (picked - picked_before) as f64, "tick {t}: harvested is what the ledgers picked");
        picked_before = picked;
        let regrown = row[col("apples")] - before.len() as f64 + harvested;
        assert!(lost <= harvested, "tick {t}: {lost} apples vanished, {harvested} harvested");
        assert_eq!(regrown - grown.len() as f64, harvested - lost, "tick {t}: regrowth accounts for every new apple");
        for &c in &grown {
            assert!(near(&before, c) || near(&after, c), "tick {t}: {c:?} regrew with no live apple near");
        }
        regrew_after_the_last_patch |= rows[t - 1].1[col("patches_alive")] == 0.0 && regrown != 0.0;
        // Welfare and Gini of the utilities (SED's reward totals, or the wealths), by hand.
        let w = sim.world_mut();
        let wealth: Vec<f64> = match s.utility {
            scenario::Utility::Reward => w.query::<&polity::agents::Reward>().iter(w).map(|r| r.total).collect(),
            scenario::Utility::Wealth => w.query::<&Ledger>().iter(w).map(|l| l.balance as f64 / 1000.0).collect(),
        };
        let n = wealth.len() as f64;
        let mean = wealth.iter().sum::<f64>() / n;
        let min = wealth.iter().copied().fold(f64::INFINITY, f64::min);
        let max = wealth.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let nash = if min <= 0.0 { 0.0 } else { (wealth.iter().map(|x| x.ln()).sum::<f64>() / n).exp() };
        let mad: f64 = wealth.iter().flat_map(|a| wealth.iter().map(move |b| (a - b).abs())).sum();
        let gini = if mean > 0.0 { mad / (2.0 * n * n * mean) } else { 0.0 };
        let close = |got: f64, want: f64, what: &str| {
            assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "tick {t} {what}: {got} vs {want}");
        };
        for (name, want) in
            [("gini", gini), ("welfare_min", min), ("welfare_nash", nash), ("welfare_mean", mean), ("welfare_max", max)]
        {
            close(row[col(name)], want, name);
        }
        nash_positive |= nash > 0.0;
        before = after;
    }
    assert!(!regrew_after_the_last_patch, "nothing regrows once every patch is gone");
    nash_positive
}

#[test]
fn golden_hash_of_commons() {
    // If this changes, a rule changed: say so in the commit and update the value.
    // (Changed from b406c4a2a814615a when the digest took in rewards and institutions; the
    // world itself did not change.)
    let s = commons();
    let mut sim = Sim::new(&s, 0, 500);
    for _ in 0..500 {
        sim.step();
    }
    assert_eq!(format!("{:016x}", sim.state_hash()), GOLDEN_COMMONS_500);
}
const GOLDEN_COMMONS_500: &str = "0a5cc9d92c42d9fb";

#[test]
fn golden_hashes_of_worlds_with_institutions_and_impact() {
    // Taxes, elections and a hill-climbing principal; oversight; impact accounting; a PAA
    // principal behind a shield. The digest covers tax rates, the election, rewards and
    // oversight's counters, so a change to any of them shows here. If one changes, a rule
    // changed: say so in the commit and update the value.
    for (name, ticks, want) in [
        // sed-apple-picking was 58d22cf4d7db552d until one welfare (issue 16 item 8): ballots
        // and the hill climber now score SED's reward gained over the tax period, not wealth
        // and net income, and rewards are also credited right after a period's taxes.
        ("sed-apple-picking", 300, "3679dc60dd6a9f0a"),
        ("audited-commons", 300, "91d94f457355903f"),
        ("commons-impact", 300, "c456809a4be10268"),
        ("shielded-revenue-max", 100, "de24f12299621e5b"),
    ] {
        let s = scenario::builtin(name).unwrap().scenario().unwrap();
        let mut sim = Sim::new(&s, 0, ticks);
        (0..ticks).for_each(|_| sim.step());
        assert_eq!(format!("{:016x}", sim.state_hash()), want, "{name} after {ticks} ticks");
    }
}

#[test]
fn the_state_hash_sees_institutions_and_rewards() {
    // Each piece of state the digest promises to cover, changed alone, changes it.
    let s = scenario::builtin("sed-apple-picking").unwrap().scenario().unwrap();
    let mut sim = Sim::new(&s, 0, 120);
    (0..120).for_each(|_| sim.step());
    let base = sim.state_hash();
    let changed = |f: &dyn Fn(&mut Sim)| {
        let mut other = Sim::new(&s, 0, 120);
        (0..120).for_each(|_| other.step());
        f(&mut other);
        other.state_hash()
    };
    use polity::{tax::TaxState, voting::Election};
    assert_ne!(changed(&|w| w.part_mut::<TaxState>().unwrap().schedule.rates[1] += 1), base, "a tax rate");
    assert_ne!(changed(&|w| w.part_mut::<TaxState>().unwrap().treasury += 1), base, "the treasury");
    assert_ne!(changed(&|w| w.part_mut::<Election>().unwrap().elected = 0.5), base, "the elected p");
    assert_ne!(changed(&|w| w.part_mut::<Election>().unwrap().held += 1), base, "elections held");
    assert_ne!(changed(&|w| w.core_mut().agents[0].reward.total += 1e-9), base, "a reward");
    let s = scenario::builtin("audited-commons").unwrap().scenario().unwrap();
    let mut sim = Sim::new(&s, 0, 60);
    (0..60).for_each(|_| sim.step());
    let base = sim.state_hash();
    for k in 0..4 {
        let mut other = Sim::new(&s, 0, 60);
        (0..60).for_each(|_| other.step());
        let o = other.part_mut::<polity::oversight::Oversight>().unwrap();
        match k {
            0 => o.audits += 1,
            1 => o.detections += 1,
            2 => o.violations += 1,
            _ => o.fines += 1,
        }
        assert_ne!(other.state_hash(), base, "oversight counter {k}");
    }
}

#[test]
fn spawn_order_and_threads_do_not_change_the_outcome() {
    let s = commons();
    let reference = {
        let mut sim = Sim::new(&s, 11, 200);
        (0..200).for_each(|_| sim.step());
        sim.state_hash()
    };
    // Agents spawned in reverse id order: entity order differs, the world must not.
    let grid = world::build_grid(&s);
    let mut agents = world::resolve_agents(&s, &grid, 11);
    agents.reverse();
    let mut sim = Sim::with_agents(&s, 11, 200, grid, &agents);
    (0..200).for_each(|_| sim.step());
    assert_eq!(sim.state_hash(), reference);
    // Four worlds stepped at once on four threads agree with the one stepped alone.
    let hashes: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut sim = Sim::new(&s, 11, 200);
                    (0..200).for_each(|_| sim.step());
                    sim.state_hash()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(hashes.iter().all(|&h| h == reference));
    // And a different seed gives a different world.
    let mut other = Sim::new(&s, 12, 200);
    (0..200).for_each(|_| other.step());
    assert_ne!(other.state_hash(), reference);
}

#[test]
fn builtins_are_valid_and_round_trip_through_ron() {
    for b in scenario::BUILTINS {
        let s = b.scenario().unwrap_or_else(|p| panic!("{p}"));
        let text = scenario::to_ron(&s);
        let back = scenario::parse(&text, "roundtrip.ron", "x").unwrap_or_else(|p| panic!("{p}\n{text}"));
        assert_eq!(back, s, "{}", b.name);
    }
}

#[test]
fn commons_large_is_as_large_as_promised() {
    let s = scenario::builtin("commons-large").unwrap().scenario().unwrap();
    let g = world::build_grid(&s);
    assert!(g.width() >= 1000 && g.height() >= 1000);
    let agents: u32 = s.agents.iter().map(|g| g.count).sum();
    assert!(agents >= 10_000);
    // 100 × 100 lattice of 13-apple discs.
    assert_eq!(g.patch_count(), 10_000);
    assert_eq!(g.apples(), 130_000);
}

#[test]
fn selfish_worlds_lose_patches_faster_than_sparing_ones() {
    let make = |sigma: f64| {
        scn(&format!(
            r#"Scenario(version: 1, map: Ascii(rows: [{rows}]),
                agents: [(count: 7, selfishness: Fixed({sigma}), power: Fixed(3.0), policy: Forager(view: 5))],
                run: (ticks: 1000))"#,
            rows = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/commons.ron"))
                .unwrap()
                .lines()
                .filter(|l| l.trim_start().starts_with("\"W"))
                .collect::<Vec<_>>()
                .join("")
        ))
    };
    let mut alive = [0.0; 2];
    for (k, sigma) in [1.0, 0.2].into_iter().enumerate() {
        for seed in 0..5 {
            let (_, rows, _) = run_rows(&make(sigma), seed, 1000);
            alive[k] += rows.last().unwrap().1[2];
        }
    }
    assert!(alive[1] > alive[0], "patches alive after 1000 ticks, selfish vs sparing: {alive:?}");
}

#[test]
fn the_painter_shows_walls_apples_agents_and_lost_patches() {
    use polity::paint::{self, palette};
    let s = scn(r#"Scenario(version: 1,
        map: Ascii(rows: ["WWWWWWW", "WA   AW", "W  P  W", "WWWWWWW"]),
        agents: [(count: 1, selfishness: Fixed(0.0), power: Fixed(0.0), spawn: At([(3, 2)]))],
    )"#);
    let mut sim = Sim::new(&s, 0, 1);
    let cell = 10;
    let centre = |x: u32, y: u32| (x * cell + cell / 2, y * cell + cell / 2);
    let c = paint::paint(sim.world_mut(), cell, &[], &paint::art::EMBEDDED);
    assert_eq!((c.width, c.height), (70, 40));
    let at = |c: &paint::Canvas, (x, y): (u32, u32)| c.get(x, y);
    assert_eq!(at(&c, centre(0, 0)), palette::WALL);
    assert_eq!(at(&c, centre(1, 1)), palette::APPLE);
    assert_eq!(at(&c, (cell + 1, cell + 1)), palette::GRASS, "grass shows round the apple");
    assert_eq!(at(&c, centre(2, 2)), palette::FLOOR);
    assert_eq!(at(&c, centre(3, 2)), palette::HUMAN_SPARING);
    // Each apple is a patch of its own: pick one and its cell turns to a lost patch.
    let i = sim.grid().index(5, 1);
    sim.core_mut().grid.pick(i).unwrap();
    let c = paint::paint(sim.world_mut(), cell, &[paint::Flash { x: 2, y: 2, age: 0.0 }], &paint::art::EMBEDDED);
    assert_eq!(at(&c, centre(5, 1)), palette::LOST);
    assert!((0..70).any(|x| c.get(x, 2 * cell + cell / 2) == palette::FLASH), "a flash ring crosses row 2");
}

/// A map of more than 2²² cells takes the big-map paths (neighbourhoods asked for ahead,
/// live counts counted by the scorer, moves told there is no wall beside them): after some
/// ticks of picking and regrowth its kept counts still equal a recount.
#[test]
fn a_big_map_keeps_its_counts_on_the_big_map_paths() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/commons-large.ron")).unwrap();
    let src = src
        .replace("width: 1000", "width: 2100")
        .replace("height: 1000", "height: 2048")
        .replace("count: 9000", "count: 900")
        .replace("count: 1000", "count: 100");
    let s = scn(&src);
    let mut sim = Sim::new(&s, 0, 12);
    let mut m = sim.model();
    assert!(m.grid.prefetch_pays(), "the map is big enough for the big-map paths");
    let apples = m.grid.apples();
    for _ in 0..12 {
        m.step();
    }
    assert!(m.grid.apples() < apples, "apples were picked");
    check_invariants(&m.grid);
}

/// After each tick every agent's components hold the core's values, and each is marked
/// changed in that tick exactly when its value changed (the decision, new every tick,
/// always): on a world of 2,500 agents, so the copy runs in several chunks on the pool.
#[test]
fn components_mirror_the_core_and_are_marked_changed_only_when_they_change() {
    use bevy::ecs::change_detection::DetectChanges;
    use bevy::prelude::Ref;
    use polity::agents::{Agent, Decision, Reward, Selfishness};
    let src = scenario::builtin("commons-large").unwrap().source.to_string();
    let src = src
        .replace("width: 1000", "width: 120")
        .replace("height: 1000", "height: 120")
        .replace("count: 9000", "count: 2300")
        .replace("count: 1000", "count: 200");
    let s = scenario::parse(&src, "mirror.ron", "mirror").unwrap_or_else(|p| panic!("{p}"));
    let mut sim = Sim::new(&s, 4, 10);
    type Row = (Position, Ledger, Reward, Selfishness);
    let rows = |sim: &mut Sim| -> Vec<(u32, Row)> {
        let w = sim.world_mut();
        let mut q = w.query::<(&Agent, &Position, &Ledger, &Reward, &Selfishness)>();
        let mut v: Vec<_> = q.iter(w).map(|(a, p, l, r, s)| (a.id, (*p, *l, *r, *s))).collect();
        v.sort_by_key(|r| r.0);
        v
    };
    let (mut moved, mut stayed, mut earned, mut kept) = (0, 0, 0, 0);
    for _ in 0..4 {
        let before = rows(&mut sim);
        let since = sim.world_mut().change_tick();
        sim.step();
        let now = sim.world_mut().change_tick();
        let core: Vec<_> = sim.core().agents.clone();
        let w = sim.world_mut();
        let mut q = w.query::<(&Agent, Ref<Position>, Ref<Ledger>, Ref<Decision>, Ref<Reward>, Ref<Selfishness>)>();
        let mut seen = 0;
        for (agent, pos, ledger, decision, reward, sigma) in q.iter(w) {
            let a = &core[agent.id as usize];
            let old = &before[agent.id as usize].1;
            assert_eq!((*pos, *ledger, *decision, *reward, sigma.0), (a.pos, a.ledger, a.decision, a.reward, a.sigma));
            let changed = |t: bevy::ecs::change_detection::Tick| t.is_newer_than(since, now);
            assert_eq!(changed(pos.last_changed()), *pos != old.0, "agent {}: position", agent.id);
            assert_eq!(changed(ledger.last_changed()), *ledger != old.1, "agent {}: ledger", agent.id);
            assert_eq!(changed(reward.last_changed()), *reward != old.2, "agent {}: reward", agent.id);
            assert_eq!(changed(sigma.last_changed()), *sigma != old.3, "agent {}: σ", agent.id);
            assert!(changed(decision.last_changed()), "agent {}: the decision is new", agent.id);
            if *pos != old.0 {
                moved += 1
            } else {
                stayed += 1
            }
            if *ledger != old.1 {
                earned += 1
            } else {
                kept += 1
            }
            seen += 1;
        }
        assert_eq!(seen, 2500);
    }
    // Both sides of each check were taken.
    assert!(moved > 0 && stayed > 0 && earned > 0 && kept > 0, "{moved} {stayed} {earned} {kept}");
}
