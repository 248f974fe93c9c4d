//! SED's learned principal (issue 12, item 6): its choices set the rates they say, its reward
//! is the welfare `W_p` of the agents' rewards over the period each choice governs, the
//! tax-cap warm-up caps what it may set, it trains with the agents and resumes exactly, and on
//! a world whose best policy is known by hand (tax everything, share it equally, when the
//! objective is egalitarian) it learns to come close to that policy's return.

use polity::learn::principal::{self, Governor};
use polity::learn::train::{self, Trainer};
use polity::model::WorldModel;
use polity::rules::welfare::power_mean;
use polity::scenario::{self, PrincipalPolicy, Scenario};
use polity::tax::TaxState;

/// One forager that strips a field of apples and one random walker beside it, taxed in one
/// bracket every 10 ticks on a 0.5 grid (choices: keep, 0, 0.5, 1), revenue shared equally.
/// The principal serves p = −∞: its reward is the poorer agent's period reward, so taxing
/// everything at 1 (each gets the mean) is best whatever happens.
const SHARING: &str = r#"Scenario(
    version: 1,
    name: "sharing",
    map: Ascii(
        rows: [
            "WWWWWWWWWWWW",
            "WAAAAAAAAAAW",
            "WAAAAAAAAAAW",
            "WAAAAAAAAAAW",
            "WAAAAPAAAAAW",
            "WAAAAAAAAAAW",
            "WAAAAAAAAAAW",
            "W    Q     W",
            "WWWWWWWWWWWW",
        ],
        legend: { 'W': Wall, 'A': Apple, 'P': Spawn, 'Q': Spawn, ' ': Floor },
    ),
    agents: [
        (name: "rich", count: 1, selfishness: Fixed(1.0), power: Fixed(inf), policy: Forager(view: 5, discount: 0.9)),
        (name: "poor", count: 1, selfishness: Fixed(1.0), power: Fixed(0.0), policy: RandomWalk),
    ],
    regrowth: (radius: 2.0, probabilities: [0.0, 0.05, 0.1, 0.2]),
    tax: (brackets: [0.0], rates: [0.0], rate_step: 0.5, period: 10),
    principal: (policy: Learned(hidden: [16]), objective: Fixed(-inf)),
    run: (ticks: 100),
    learning: (envs: 16, learning_rate: 0.003, epochs: 4, minibatches: 2),
)"#;

fn sharing() -> Scenario {
    scenario::parse(SHARING, "sharing.ron", "sharing").unwrap()
}

fn sed_learners() -> Scenario {
    scenario::builtin("sed-learners").unwrap().scenario().unwrap()
}

fn totals(m: &WorldModel) -> Vec<f64> {
    m.agents.iter().map(|a| a.reward.total).collect()
}

/// Plays one recorded episode of `s`'s world for `seed` (`p` overriding the objective) and
/// checks every choice's rates and reward against the agents' totals snapshotted at each
/// period end.
fn check_books(mut s: Scenario, seed: u64, p: f64) {
    s.principal.as_mut().unwrap().objective = scenario::Objective::Fixed(p);
    let ticks = s.run.ticks;
    let mut m = train::world(&s, seed, &polity::sim::Sim::mechanisms());
    m.parts.get_mut::<Governor>().unwrap().record = Some(Default::default());
    let step = m.parts.get::<TaxState>().unwrap().rate_step;
    let mut snaps: Vec<Vec<f64>> = Vec::new();
    let mut rates_before = m.parts.get::<TaxState>().unwrap().rates();
    for _ in 0..ticks {
        m.step();
        let record = m.parts.get::<Governor>().unwrap().record.as_ref().unwrap();
        if record.choices.len() > snaps.len() {
            let c = record.choices.last().unwrap();
            let now = m.parts.get::<TaxState>().unwrap().rates();
            assert_eq!(now, principal::rates_of(&c.actions, &rates_before, step, 1.0), "the rates chosen are in force");
            rates_before = now;
            snaps.push(totals(&m));
        }
    }
    let end = totals(&m);
    let record = principal::finish(&mut m).unwrap();
    let periods = ticks / s.tax.as_ref().unwrap().period();
    assert_eq!(record.choices.len() as u64, periods, "one choice per period end");
    snaps.push(end);
    for (i, c) in record.choices.iter().enumerate() {
        let gained: Vec<f64> = snaps[i + 1].iter().zip(&snaps[i]).map(|(a, b)| a - b).collect();
        let want = power_mean(&gained, p);
        assert!(
            (c.reward as f64 - want).abs() <= 1e-4 * want.abs().max(1.0),
            "choice {i}: reward {} but W_{p} of the period's rewards {gained:?} is {want}",
            c.reward
        );
    }
    let total: f64 = record.choices.iter().map(|c| c.reward as f64).sum();
    assert!(total.abs() > 1.0, "the agents earned something: {total}");
}

#[test]
fn the_principals_rewards_are_the_welfare_of_each_periods_rewards() {
    for p in [1.0, f64::NEG_INFINITY, 0.0] {
        check_books(sed_learners(), 3, p);
    }
    // With p = 1 the sum over the periods is the learners' mean reward from the first period
    // end on: W_1 is linear.
    check_books(sharing(), 1, 1.0);
}

#[test]
fn choices_map_to_rates_and_the_warm_up_caps_them() {
    // Keep, 0, 0.5, 1 on a 0.5 grid.
    assert_eq!(principal::choices(0.5), 4);
    assert_eq!(principal::choices(0.1), 12);
    assert_eq!(principal::rates_of(&[0, 1, 2, 3], &[0.3, 0.3, 0.3, 0.3], 0.5, 1.0), vec![0.3, 0.0, 0.5, 1.0]);
    assert_eq!(principal::rates_of(&[3, 0], &[0.0, 0.9], 0.5, 0.5), vec![0.5, 0.5], "the cap binds keep too");
    // A 50-update warm-up on the 0.1 grid: 0.1 at first, 0.5 half-way, 1 from update 50.
    assert_eq!(principal::cap(0, 50, 0.1), 0.1);
    assert_eq!(principal::cap(24, 50, 0.1), 0.5);
    assert_eq!(principal::cap(49, 50, 0.1), 1.0);
    assert_eq!(principal::cap(80, 50, 0.1), 1.0);
    assert_eq!(principal::cap(3, 0, 0.1), 1.0, "no warm-up, no cap");
    // Draws: u below the first choice's probability picks it; ln π sums over the brackets.
    let probs = [0.25f32, 0.25, 0.25, 0.25, 0.1, 0.2, 0.3, 0.4];
    let mut u = [0.1, 0.95].into_iter();
    let (a, logp) = principal::draw(&probs, 2, || u.next().unwrap());
    assert_eq!(a, vec![0, 3]);
    assert!((logp as f64 - (0.25f64.ln() + 0.4f64.ln())).abs() < 1e-6);
}

#[test]
fn the_warm_up_cap_holds_in_training() {
    let mut s = sed_learners();
    s.learning.episode_ticks = 200;
    s.learning.envs = 2;
    let mut t = Trainer::new(&s, 5, None).unwrap();
    // First update: cap 0.1, and a world with it never sees a rate above 0.1.
    assert_eq!(t.rate_cap(), 0.1);
    let mut m = train::world(&s, t.world_seed(0, 0), &polity::sim::Sim::mechanisms());
    m.parts.get_mut::<Governor>().unwrap().cap = t.rate_cap();
    for _ in 0..200 {
        m.step();
        assert!(m.parts.get::<TaxState>().unwrap().rates().iter().all(|&r| r <= 0.1 + 1e-12));
    }
    let r = t.update(&mut |_| true).unwrap().unwrap();
    assert_eq!(t.rate_cap(), 0.1, "one step up every 50/9 updates: still 0.1 after one");
    let names: Vec<&str> = r.groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(names, ["learners", "principal"]);
    let h = principal::header(&s).unwrap();
    assert_eq!(h.observation, 2 + 3 + 2 * 7);
    assert_eq!(h.actions, 3 * 12);
    // Its entropy starts near three uniform choices among 12: 3 ln 12.
    let e = r.groups[1].stats.entropy;
    assert!((e - 3.0 * 12f64.ln()).abs() < 0.05, "entropy {e}");
}

#[test]
fn a_learned_principal_trains_deterministically_and_resumes_exactly() {
    let mut s = sed_learners();
    s.learning.episode_ticks = 100;
    s.learning.envs = 2;
    // Two choices a world, four an update: minibatches of two (one sample's normalised
    // advantage is 0, and `Trainer::new` refuses it).
    s.learning.minibatches = 2;
    let run = |threads: usize, updates: u32| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut t = Trainer::new(&s, 9, None).unwrap();
            for _ in 0..updates {
                t.update(&mut |_| true).unwrap().unwrap();
            }
            t
        })
    };
    let one = run(1, 2);
    let two = run(2, 2);
    let hash = |t: &Trainer| t.principal.as_ref().unwrap().policy.hash();
    assert_eq!(hash(&one), hash(&two), "1 and 2 threads train the same principal");
    assert_eq!(one.state_bytes().unwrap(), two.state_bytes().unwrap());
    // 1 update, saved and restored into a fresh trainer, then 1 more = 2 straight.
    let first = run(1, 1);
    let mut resumed = Trainer::new(&s, 9, None).unwrap();
    resumed.load_state(&first.state_bytes().unwrap()).unwrap();
    resumed.update(&mut |_| true).unwrap().unwrap();
    assert_eq!(resumed.state_bytes().unwrap(), one.state_bytes().unwrap(), "resume identity");
    let files: Vec<String> = one.policy_files().unwrap().into_iter().map(|(g, _, _)| g).collect();
    assert_eq!(files, ["learners", "principal"]);
}

/// The return the principal's reward gives a world that taxes everything at 1 from the start:
/// the sum over each period after the first of the poorer agent's reward.
fn always_share(seed: u64) -> f64 {
    let mut s = sharing();
    s.principal.as_mut().unwrap().policy = PrincipalPolicy::Fixed;
    s.tax.as_mut().unwrap().rates = Some(vec![1.0]);
    let s = scenario::check_typed(s, "test").unwrap();
    let mut m = train::world(&s, seed, &polity::sim::Sim::mechanisms());
    let mut snaps = Vec::new();
    for _ in 0..s.run.ticks {
        let periods = m.parts.get::<TaxState>().unwrap().periods;
        m.step();
        if m.parts.get::<TaxState>().unwrap().periods > periods {
            snaps.push(totals(&m));
        }
    }
    snaps.push(totals(&m));
    snaps
        .windows(2)
        .map(|w| power_mean(&w[1].iter().zip(&w[0]).map(|(a, b)| a - b).collect::<Vec<_>>(), f64::NEG_INFINITY))
        .sum()
}

#[test]
fn an_egalitarian_principal_learns_to_share_close_to_the_best_policy() {
    let s = sharing();
    for seed in [0, 1, 2] {
        let mut t = Trainer::new(&s, seed, None).unwrap();
        let mut returns = Vec::new();
        let mut oracle = 0.0;
        for u in 0..30 {
            let r = t.update(&mut |_| true).unwrap().unwrap();
            returns.push(r.groups[0].mean_return);
            // The same worlds (seeds) taxed at 1 throughout.
            if u >= 25 {
                oracle += (0..s.learning.envs as usize).map(|e| always_share(t.world_seed(u, e))).sum::<f64>()
                    / s.learning.envs as f64;
            }
        }
        let oracle = oracle / 5.0;
        let first = returns[0];
        let last = returns[25..].iter().sum::<f64>() / 5.0;
        eprintln!("seed {seed}: untrained {first:.1}, trained {last:.1}, always-share {oracle:.1}");
        assert!(last >= 0.95 * oracle, "seed {seed}: trained {last:.1} < 95% of always-share {oracle:.1}: {returns:?}");
        assert!(last > first + 3.0, "seed {seed}: no learning: {returns:?}");
    }
}

fn polity(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_polity")).args(args).current_dir(dir).output().expect("polity runs")
}

#[test]
fn a_trained_principal_plays_in_run_and_bad_principal_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = "s.ron";
    // sed-learners with 100-tick episodes, one world.
    let src = scenario::builtin("sed-learners")
        .unwrap()
        .source
        .replace("learning: (envs: 8,", "learning: (episode_ticks: 100, envs: 1,")
        .replace("minibatches: 4", "minibatches: 1");
    std::fs::write(d.join(s), src).unwrap();
    let out = polity(&["train", s, "--updates", "1", "--out", "t"], d);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = "t/policies/principal.safetensors";
    assert!(d.join(file).exists());
    let flag = format!("principal={file}");
    let run = |out_dir: &str, extra: &[&str]| {
        let mut args = vec!["run", s, "--ticks", "200", "--out", out_dir];
        args.extend_from_slice(extra);
        polity(&args, d)
    };
    let a = run("a", &["--policy", &flag]);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let events = std::fs::read_to_string(d.join("a/events.jsonl")).unwrap();
    let set = events.lines().filter(|l| l.contains("\"tax_rates\"") && l.contains("\"Learned\"")).count();
    assert_eq!(set, 4, "the learned principal sets rates at each of the 4 period ends:\n{events}");
    // Another seed's run of the same file is another world; the same seed is the same.
    let b = run("b", &["--policy", &flag]);
    assert!(b.status.success());
    assert_eq!(std::fs::read(d.join("a/metrics.csv")).unwrap(), std::fs::read(d.join("b/metrics.csv")).unwrap());
    // The learners' file is not a principal, and a scenario without a principal has none.
    for (args, says) in [
        // (It said "not of group `principal`": the principal is no group.)
        (
            vec!["--policy", "principal=t/policies/learners.safetensors"],
            "holds the policy of agent group `learners` of scenario `sed-learners`, not a learned principal's",
        ),
        (vec!["--policy", "principal=missing.safetensors"], "cannot read the policy file"),
    ] {
        let out = run("c", &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(says) && err.contains("--policy principal="), "expected `{says}` and the flag:\n{err}");
        assert!(!d.join("c").exists());
    }
    // The principal's file given to a group: said as that, in one problem (it was first
    // refused for a view of 0, which nobody set).
    let wrong = format!("learners={file}");
    for (args, says) in [(
        vec!["--policy", wrong.as_str()],
        "holds a learned principal's policy (of scenario `sed-learners`), not an agent group's",
    )] {
        let out = run("c", &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(says) && err.contains("--policy principal="), "expected `{says}` and the flag:\n{err}");
        assert!(!err.contains("view radius"), "{err}");
        assert!(!d.join("c").exists());
    }
    // Trained with another rate step: said of the principal and its tax rates (it spoke of
    // agents and told to train "the group").
    let src = std::fs::read_to_string(d.join(s)).unwrap();
    let stepped = src.replace("tax: (preset: Sed,", "tax: (preset: Sed, rate_step: 0.25,");
    assert!(stepped != src);
    std::fs::write(d.join("step.ron"), stepped).unwrap();
    let out = polity(&["run", "step.ron", "--ticks", "5", "--out", "c", "--policy", &flag], d);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("tax-rate actions, the principal here among") && err.contains("rate_step"), "{err}");
    assert!(!err.contains("agents here") && !err.contains("GROUP.safetensors"), "{err}");
    let out = polity(&["run", "commons", "--ticks", "5", "--out", "c", "--policy", &flag], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no principal"));
    assert!(!d.join("c").exists());
}

#[test]
fn live_training_hands_the_newest_principal_to_the_world_on_screen() {
    // What `polity gui --train` does after each update: the world plays the trainer's newest
    // learners and principal (copies: the trainer goes on changing its own).
    use polity::control::training::{install, snapshot};
    let s = sed_learners();
    let t = Trainer::new(&s, 1, Some(1)).unwrap();
    let mut sim = polity::sim::Sim::new(&s, 1, 10);
    let groups: Vec<_> = t.policies.iter().map(|p| p.as_ref().map(|p| snapshot(p).unwrap())).collect();
    let principal = snapshot(&t.principal.as_ref().unwrap().policy).unwrap();
    assert!(install(&mut sim, &groups, Some(&principal)));
    assert!(std::sync::Arc::ptr_eq(&sim.part::<Governor>().unwrap().policy, &principal));
    assert_eq!(principal.hash(), t.principal.as_ref().unwrap().policy.hash());
    // A principal of another shape (another rate grid) is not installed.
    let mut other = s.clone();
    other.tax.as_mut().unwrap().rate_step = Some(0.5);
    let t2 = Trainer::new(&scenario::check_typed(other, "test").unwrap(), 1, Some(1)).unwrap();
    let wrong = snapshot(&t2.principal.as_ref().unwrap().policy).unwrap();
    install(&mut sim, &groups, Some(&wrong));
    assert!(std::sync::Arc::ptr_eq(&sim.part::<Governor>().unwrap().policy, &principal));
}
