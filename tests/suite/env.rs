//! Worlds driven from outside (`polity::env`, the Python API's engine): a world left alone is
//! `polity run`'s, told actions are carried out, a `VecEnv`'s worlds are `Env`'s, bad input is
//! an error and nothing runs.

use polity::env::{Env, Options, VecEnv, scenario_from};
use polity::sim::Sim;

fn env(name: &str, seed: u64) -> Env {
    Env::new(scenario_from(name, &[]).unwrap(), Some(seed), Options::default()).unwrap()
}

#[test]
fn a_world_left_alone_is_the_run() {
    for name in ["commons", "audited-commons", "sed-apple-picking", "commons-impact"] {
        let s = scenario_from(name, &[]).unwrap();
        let mut e = env(name, 3);
        let mut sim = Sim::new(&s, 3, s.run.ticks);
        let none = vec![None; e.layout().names.len()];
        for t in 1..=40 {
            e.step(&none, None).unwrap();
            sim.step();
            assert_eq!(e.state_hash(), sim.state_hash(), "{name}, tick {t}");
        }
    }
}

#[test]
fn told_agents_do_what_they_are_told() {
    let mut e = env("commons", 0);
    let n = e.layout().names.len();
    let before: Vec<_> = e.world().agents.iter().map(|a| a.pos).collect();
    let out = e.step(&vec![Some(0); n], None).unwrap();
    assert!(out.executed.iter().all(|&a| a == 0), "everyone stays: {:?}", out.executed);
    assert_eq!(before, e.world().agents.iter().map(|a| a.pos).collect::<Vec<_>>());
    let mut moved = 0;
    for _ in 0..5 {
        let out = e.step(&vec![Some(2); n], None).unwrap();
        moved += out.executed.iter().filter(|&&a| a == 2).count();
    }
    assert!(moved > 0);
    assert_ne!(before, e.world().agents.iter().map(|a| a.pos).collect::<Vec<_>>());
}

#[test]
fn a_vec_envs_worlds_are_envs_worlds() {
    let s = scenario_from("audited-commons", &[("run.ticks".into(), 12.0.into())]).unwrap();
    let mut v = VecEnv::new(s.clone(), 3, Some(5), Options::default()).unwrap();
    let l = v.layout().clone();
    let (n, dim) = (l.names.len(), l.observation);
    let mut envs: Vec<Env> =
        v.seeds().into_iter().map(|seed| Env::new(s.clone(), Some(seed), Options::default()).unwrap()).collect();
    let mut obs = vec![0.0f32; 3 * n * dim];
    // NaN until the episode's end writes it: only a truncated world's part is written.
    let mut last = vec![f32::NAN; 3 * n * dim];
    let mut rewards = vec![0.0f32; 3 * n];
    let mut truncated = vec![false; 3];
    let mut one = vec![0.0f32; n * dim];
    for t in 0..12u64 {
        let actions: Vec<i64> = (0..3 * n).map(|i| ((i as u64 * 7 + t * 3) % 6) as i64 - 1).collect();
        v.step(&actions, &mut obs, &mut last, &mut rewards, &mut truncated).unwrap();
        for (k, e) in envs.iter_mut().enumerate() {
            let row: Vec<Option<i64>> = actions[k * n..(k + 1) * n].iter().map(|&a| (a >= 0).then_some(a)).collect();
            let out = e.step(&row, None).unwrap();
            assert_eq!(truncated[k], t == 11);
            e.observe(&mut one);
            let r: Vec<f32> = out.rewards.iter().map(|&r| r as f32).collect();
            assert_eq!(&rewards[k * n..(k + 1) * n], &r[..], "world {k}, tick {}", t + 1);
            let part = k * n * dim..(k + 1) * n * dim;
            if t < 11 {
                assert_eq!(v.world(k).state_hash(), e.state_hash(), "world {k}, tick {}", t + 1);
                assert_eq!(&obs[part.clone()], &one[..]);
                assert!(last[part].iter().all(|x| x.is_nan()), "world {k}'s final_obs written at tick {}", t + 1);
            } else {
                // The episode's last observation is the Env's at its last tick; the observation
                // returned is the next episode's first.
                assert_eq!(&last[part.clone()], &one[..], "world {k}'s final observation");
                assert_ne!(&obs[part], &one[..]);
            }
        }
    }
    // Every world started its next episode, with a new seed, at tick 0.
    assert!(v.seeds().iter().zip(envs.iter()).all(|(s, e)| *s != e.seed()));
    assert!((0..3).all(|k| v.world(k).clock.tick == 0));
}

#[test]
fn bad_input_is_refused_and_nothing_runs() {
    let mut e = env("commons", 0);
    let n = e.layout().names.len();
    let err = e.step(&vec![None; n + 1], None).unwrap_err();
    assert!(err.contains(&format!("expected {n} actions")), "{err}");
    let mut bad = vec![None; n];
    bad[2] = Some(5);
    assert!(e.step(&bad, None).unwrap_err().contains("agent 2's action 5 is out of range"));
    assert!(e.step(&vec![None; n], Some(&[1])).unwrap_err().contains("principal=True"));
    assert_eq!(e.tick(), 0);
    let err = scenario_from("comons", &[]).unwrap_err();
    assert!(err.contains("did you mean the built-in `commons`"), "{err}");
    let err = scenario_from("(version: 1, map: Nowhere)", &[]).unwrap_err();
    assert!(err.starts_with("<scenario text>:1:"), "{err}");
    let err = scenario_from("commons", &[("tax.rates[0]".into(), 0.5.into())]).unwrap_err();
    assert!(err.contains("tax.rates[0]"), "{err}");
    // Two spellings of one field are refused (the later won silently), as in a sweep; one is
    // taken.
    let twice = [("agents.harvesters.power".into(), 0.0.into()), ("agents[1].power".into(), 3.0.into())];
    let err = scenario_from("commons", &twice).unwrap_err();
    assert_eq!(err, "override `agents[1].power` sets the field override `agents.harvesters.power` sets; set it once");
    // A field of a variant's section (`map: Generated(GeneratedMap(width: …))`) is reached as
    // `map.width` (it said "`map` is not a list, a tuple or a struct"), and checked as in a file.
    let narrow = scenario_from("commons-large", &[("map.width".into(), 50i128.into())]).unwrap();
    assert!(polity::scenario::to_ron(&narrow).contains("width: 50,"));
    let err = scenario_from("commons-large", &[("map.width".into(), 0i128.into())]).unwrap_err();
    assert!(err.contains("width must be between 3 and 20000 cells, found 0"), "{err}");
    let err = scenario_from("commons-large", &[("map.widht".into(), 9i128.into())]).unwrap_err();
    assert!(err.contains("`map.widht` is not a field here; `map` has: width, height"), "{err}");
    let once = scenario_from("commons", &twice[..1]).unwrap();
    assert_eq!(once.agents[1].power, polity::scenario::Dist::Fixed(0.0));
    // A whole number crosses exactly: a seed past 2⁵³ (an f64 would round it or refuse it), and
    // it may set a float field; a fraction may not set a whole-number field.
    let top = scenario_from("commons", &[("run.seed".into(), (u64::MAX as i128).into())]).unwrap();
    assert_eq!(top.run.seed, u64::MAX);
    let odd = scenario_from("commons", &[("run.seed".into(), ((1i128 << 53) + 1).into())]).unwrap();
    assert_eq!(odd.run.seed, (1 << 53) + 1);
    let err = scenario_from("commons", &[("run.seed".into(), (u64::MAX as i128 + 1).into())]).unwrap_err();
    assert!(err.contains("run.seed"), "{err}");
    let whole = scenario_from("commons", &[("agents[0].power".into(), 2i128.into())]).unwrap();
    assert_eq!(whole.agents[0].power, polity::scenario::Dist::Fixed(2.0));
    let err = scenario_from("commons", &[("run.ticks".into(), 2.5.into())]).unwrap_err();
    assert!(err.contains("takes a whole number, not 2.5"), "{err}");
    // An override the scenario refuses is told with its value alone: no line and column of
    // the text the engine spliced it into (`= -1:82:16: …` read as if that were the value).
    let err = scenario_from("commons", &[("run.ticks".into(), (-1i128).into())]).unwrap_err();
    assert!(err.starts_with("override `run.ticks` = -1: expected"), "{err}");
    let err = scenario_from("sed-apple-picking", &[("tax.rates[0]".into(), 1.5.into())]).unwrap_err();
    assert!(err.starts_with("override `tax.rates[0]` = 1.5: "), "{err}");
    assert!(!err.contains(":1") && !err.contains(":2"), "{err}");
    let short = scenario_from("commons", &[("run.ticks".into(), 1.0.into())]).unwrap();
    let mut e = Env::new(short, None, Options::default()).unwrap();
    e.step(&vec![None; n], None).unwrap();
    assert!(e.step(&vec![None; n], None).unwrap_err().contains("reset()"));
    let err = Env::new(scenario_from("commons", &[]).unwrap(), None, Options { principal: true, ..Default::default() })
        .err()
        .unwrap();
    assert!(err.contains("no principal to steer"), "{err}");
    // A world with nobody to steer, or episodes of no tick, are refused when made (a VecEnv
    // of no agents used to panic at its first reset).
    let nobody =
        scenario_from("commons", &[("agents[0].count".into(), 0.0.into()), ("agents[1].count".into(), 0.0.into())])
            .unwrap();
    for err in [
        Env::new(nobody.clone(), None, Options::default()).err().unwrap(),
        VecEnv::new(nobody, 2, None, Options::default()).err().unwrap(),
    ] {
        assert!(err.contains("has no agents"), "{err}");
    }
    let no_tick = scenario_from("commons", &[("run.ticks".into(), 0.0.into())]).unwrap();
    for err in [
        Env::new(no_tick.clone(), None, Options::default()).err().unwrap(),
        VecEnv::new(no_tick, 2, None, Options::default()).err().unwrap(),
    ] {
        assert!(err.contains("run.ticks = 0"), "{err}");
    }
    // A VecEnv's actions are 0–4 or −1 (let the agent decide); other negatives are errors.
    let mut v = VecEnv::new(scenario_from("commons", &[]).unwrap(), 1, None, Options::default()).unwrap();
    let (obs, per) = (v.layout().observation, v.layout().names.len());
    let (mut o, mut f, mut r, mut t) = (vec![0.0; per * obs], vec![0.0; per * obs], vec![0.0; per], vec![false]);
    let mut acts = vec![-1i64; per];
    v.step(&acts, &mut o, &mut f, &mut r, &mut t).unwrap();
    acts[3] = -2;
    let err = v.step(&acts, &mut o, &mut f, &mut r, &mut t).unwrap_err();
    assert!(err.contains("world 0: agent 3's action -2 is out of range"), "{err}");
}

#[test]
fn a_vec_env_reset_without_a_seed_plays_new_worlds() {
    let mut v = VecEnv::new(scenario_from("commons", &[]).unwrap(), 2, Some(7), Options::default()).unwrap();
    let made = v.seeds();
    v.reset(None);
    assert_eq!(v.seeds(), made, "the first reset plays the seed it was made with");
    v.reset(None);
    let next = v.seeds();
    assert_ne!(next, made);
    v.reset(Some(polity::env::next_seed(7)));
    assert_eq!(v.seeds(), next, "the next seed is next_seed's, as an Env's reset plays");
    // Not seed + 1: a VecEnv seeded 7, reset twice, would replay one seeded 8.
    v.reset(Some(8));
    assert_ne!(v.seeds(), next);
    v.reset(Some(7));
    assert_eq!(v.seeds(), made);
}

#[test]
fn the_principal_sets_rates_when_a_period_ends() {
    // sed-apple-picking: period 50, p elected every 100 ticks; 120 ticks end in a part-period.
    let s = scenario_from("sed-apple-picking", &[("run.ticks".into(), polity::env::Number::Int(120))]).unwrap();
    let mut e = Env::new(s, Some(0), Options { principal: true, ..Default::default() }).unwrap();
    let n = e.layout().names.len();
    assert_eq!(e.layout().principal_choices, vec![12, 12, 12]);
    let mut paid = Vec::new();
    let served = |e: &Env| {
        let m = e.world();
        let objective = m.parts.get::<polity::principal::Principal>().unwrap().objective;
        polity::principal::served_p(objective, m.parts.get::<polity::voting::Election>())
    };
    let mut stock = vec![polity::utility::stock(e.world())];
    let mut p = vec![served(&e)];
    for t in 1..=120u64 {
        let out = e.step(&vec![None; n], Some(&[4, 0, 11])).unwrap();
        stock.push(polity::utility::stock(e.world()));
        p.push(served(&e));
        if out.principal_reward != 0.0 {
            paid.push((t, out.principal_reward));
        }
    }
    let tax = e.world().parts.get::<polity::tax::TaxState>().unwrap();
    let rates = tax.rates();
    assert!((rates[0] - 0.3).abs() < 1e-9 && (rates[2] - 1.0).abs() < 1e-9, "{rates:?}");
    // Tick 50's choice governs ticks 51–100 and is paid at 100; tick 100's governs 101–120
    // and is paid at the episode's end. The first 50 ticks were nobody's choice: no pay.
    // Paid `W_p` of the utility gained, with the p served when the choice was made.
    let gained = |from: usize, to: usize| -> f64 {
        let g: Vec<f64> = stock[to].iter().zip(&stock[from]).map(|(b, a)| b - a).collect();
        polity::rules::welfare::power_mean(&g, p[from])
    };
    assert_eq!(paid.iter().map(|p| p.0).collect::<Vec<_>>(), [100, 120], "{paid:?}");
    assert!((paid[0].1 - gained(50, 100)).abs() < 1e-9, "{paid:?} vs {}", gained(50, 100));
    assert!((paid[1].1 - gained(100, 120)).abs() < 1e-9, "{paid:?} vs {}", gained(100, 120));
    assert!(gained(0, 50) != 0.0, "the first period pays nothing, though utility was gained");
}

#[test]
fn planners_make_no_plan_for_what_they_are_told() {
    // A steered AI under an impact penalty still planned every tick (sparse sampling, width 16
    // and depth 2 in vase-guard) and the plan was thrown away: RL on planner scenarios ran at
    // about 8 steps a second for nothing. Its told move is its decision from `Decide` on.
    use polity::model::steering::{Steering, told};
    use polity::rules::action::Action;
    let s = scenario_from("vase-guard", &[]).unwrap();
    let ai: usize =
        s.agents.iter().take_while(|g| g.kind != polity::scenario::Kind::Ai).map(|g| g.count as usize).sum();
    let mut m = Sim::model_of(&s, 0, &Sim::mechanisms());
    let mut actions = vec![None; m.agents.len()];
    actions[ai] = Some(Action::West);
    m.parts.insert(Steering { actions, principal: None });
    m.decide();
    assert_eq!(m.agents[ai].decision, told(Action::West), "no plan: the planner wrote its Q̂ as the scores");
    // Left alone, it plans: its scores are the plan's Q̂.
    let mut m = Sim::model_of(&s, 0, &Sim::mechanisms());
    m.decide();
    assert_ne!(m.agents[ai].decision.scores, [0.0; 5]);

    // A steered PAA principal: no plan (no `paa_decision`) in a period whose rates it is told;
    // one in a period it is not.
    let s = scenario_from("paa-governor", &[]).unwrap();
    let mut e = Env::new(s, Some(0), Options { principal: true, ..Default::default() }).unwrap();
    let (n, brackets) = (e.layout().names.len(), e.layout().principal_choices.len());
    let mut decisions = Vec::new();
    for t in 1..=100u64 {
        let choice = vec![1; brackets];
        let out = e.step(&vec![None; n], (t <= 50).then_some(&choice[..])).unwrap();
        decisions.extend(out.events.iter().filter(|e| e.kind() == "paa_decision").map(|_| t));
    }
    assert_eq!(decisions, [75, 100], "planned only at the period ends (every 25 ticks) it was not told");
}
