//! Governance with real numbers: exact tax accounting over random schedules, ledgers that
//! balance every tick of a taxed run, the principal's policies, elections, and SED's
//! behavioural claims over fixed seeds.

use polity::agents::{AgentOrder, Ledger, Reward};
use polity::metrics::{EventLog, MetricsLog};
use polity::rules::tax::{Schedule, redistribute};
use polity::scenario::{self, Scenario};
use polity::sim::Sim;
use polity::tax::TaxState;
use proptest::prelude::*;

fn builtin(name: &str) -> Scenario {
    scenario::builtin(name).unwrap().scenario().unwrap_or_else(|p| panic!("{p}"))
}

fn scn(src: &str) -> Scenario {
    scenario::parse(src, "test.ron", "test").unwrap_or_else(|p| panic!("{p}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    /// Taxes collected equal transfers paid, to the milli-apple, for any incomes, brackets
    /// and rates; no one pays more than their income; tax never falls as income rises.
    #[test]
    fn taxes_collected_equal_transfers_paid(
        incomes in proptest::collection::vec(0i64..2_000_000, 1..40),
        gaps in proptest::collection::vec(1i64..200_000, 0..8),
        rates in proptest::collection::vec(0.0f64..=1.0, 9),
        period in 0u64..1000,
    ) {
        let mut cutoffs = vec![0i64];
        for g in &gaps { cutoffs.push(cutoffs.last().unwrap() + g); }
        let s = Schedule { rates: rates[..cutoffs.len()].iter().map(|&r| polity::rules::tax::rate_ppm(r)).collect(), cutoffs };
        let taxes: Vec<i64> = incomes.iter().map(|&a| s.tax(a)).collect();
        let pool: i64 = taxes.iter().sum();
        let transfers = redistribute(pool, incomes.len(), period);
        prop_assert_eq!(transfers.iter().sum::<i64>(), pool);
        let (lo, hi) = (transfers.iter().min().unwrap(), transfers.iter().max().unwrap());
        prop_assert!(hi - lo <= 1, "equal shares differ by at most one milli-apple");
        for (&a, &t) in incomes.iter().zip(&taxes) {
            prop_assert!(t >= 0 && t <= a);
            prop_assert!(s.tax(a + 1) >= t);
            prop_assert_eq!(s.tax_by_bracket(a).iter().sum::<i64>(), t);
        }
    }
}

#[test]
fn every_tick_of_a_taxed_run_balances() {
    // SED's game with apples that regrow even from nothing, so income goes on all run.
    let mut s = builtin("sed-apple-picking");
    s.regrowth.probabilities = vec![0.01, 0.05];
    let mut sim = Sim::new(&s, 3, 600);
    let (mut periods, mut with_revenue) = (0, 0);
    for _ in 0..600 {
        sim.step();
        let w = sim.world_mut();
        let ledgers: Vec<Ledger> = w.query::<&Ledger>().iter(w).copied().collect();
        let picked: i64 = ledgers.iter().map(|l| l.picked as i64).sum();
        let wealth: i64 = ledgers.iter().map(|l| l.balance).sum();
        assert_eq!(wealth, 1000 * picked, "wealth is conserved through taxes and transfers");
        let tax = w.resource::<TaxState>();
        if tax.periods > periods {
            periods = tax.periods;
            let paid: i64 = ledgers.iter().map(|l| l.last_tax).sum();
            let received: i64 = ledgers.iter().map(|l| l.last_transfer).sum();
            assert_eq!((paid, received), (tax.collected, tax.collected), "period {periods}");
            with_revenue += (tax.collected > 0) as u32;
        }
        for l in &ledgers {
            assert_eq!(l.balance, 1000 * l.picked as i64 - l.tax_paid + l.transfers);
        }
    }
    assert_eq!(periods, 12);
    assert!(with_revenue >= 3, "only {with_revenue} periods collected revenue");
}

#[test]
fn sed_rewards_mix_own_and_neighbours_income_by_selfishness() {
    // No taxes, complete graph: r_i = σ_i · own_i + (1 − σ_i) · Σ_{j≠i} own_j.
    let s = builtin("commons");
    let mut sim = Sim::new(&s, 1, 200);
    (0..200).for_each(|_| sim.step());
    let w = sim.world_mut();
    let order = w.resource::<AgentOrder>().0.clone();
    let rows: Vec<(f64, f64, f64)> = order
        .iter()
        .map(|&e| {
            let l = w.get::<Ledger>(e).unwrap();
            let sigma = w.get::<polity::agents::Selfishness>(e).unwrap().0;
            (sigma, l.wealth(), w.get::<Reward>(e).unwrap().total)
        })
        .collect();
    let total: f64 = rows.iter().map(|r| r.1).sum();
    for &(sigma, own, reward) in &rows {
        let want = sigma * own + (1.0 - sigma) * (total - own);
        assert!((reward - want).abs() < 1e-9, "σ {sigma}: reward {reward} vs {want}");
    }
}

#[test]
fn elections_happen_on_schedule_and_set_the_objective() {
    let s = builtin("sed-apple-picking");
    let mut sim = Sim::new(&s, 0, 300);
    let mut elections = Vec::new();
    for _ in 0..300 {
        sim.step();
        for e in sim.world_mut().resource_mut::<EventLog>().drain() {
            if e.kind == "election" {
                let shares: f64 = e.details["shares"].as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
                assert!((shares - 1.0).abs() < 1e-12);
                assert_eq!(e.details["votes"].as_array().unwrap().len(), 7);
                elections.push((e.tick, e.details["elected"].as_str().unwrap().to_string()));
            }
        }
    }
    assert_eq!(elections.iter().map(|e| e.0).collect::<Vec<_>>(), vec![100, 200, 300]);
    let elected = sim.world().resource::<polity::voting::Election>().elected;
    assert_eq!(polity::voting::label(elected), elections.last().unwrap().1);
}

#[test]
fn the_wealthy_vote_for_high_p_and_the_poor_for_low_p() {
    // Two selfish agents spawn on a rich patch, two on nothing: after an election, the
    // rich favour the utilitarian p = 1, the poor the egalitarian p = −∞.
    let s = scn(r#"Scenario(version: 1,
        map: Ascii(rows: ["WWWWWWWWWWWW", "WAAAAW    PW", "WAPAAW    PW", "WAAPAW     W", "WWWWWWWWWWWW"]),
        agents: [(count: 4, selfishness: Fixed(1.0), power: Fixed(inf), spawn: At([(2, 2), (3, 3), (10, 1), (10, 2)]))],
        voting: Some((period: 20, candidates: Menu([-inf, 0.0, 1.0]), rule: Plurality)),
    )"#);
    let mut sim = Sim::new(&s, 0, 20);
    (0..20).for_each(|_| sim.step());
    let events = sim.world_mut().resource_mut::<EventLog>().drain();
    let election = events.iter().find(|e| e.kind == "election").unwrap();
    let votes: Vec<&str> = election.details["votes"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(votes, ["1", "1", "-inf", "-inf"]);
}

fn mean_final(s: &Scenario, column: &str, seeds: std::ops::Range<u64>) -> f64 {
    let mut total = 0.0;
    for seed in seeds.clone() {
        let mut sim = Sim::new(s, seed, s.run.ticks);
        (0..s.run.ticks).for_each(|_| sim.step());
        let log = sim.world().resource::<MetricsLog>();
        let k = log.columns().iter().position(|c| c == column).unwrap();
        total += log.last().unwrap().1[k];
    }
    total / seeds.count() as f64
}

#[test]
fn an_egalitarian_principal_leaves_a_more_equal_world_than_no_tax() {
    let egalitarian = {
        let mut s = builtin("sed-apple-picking");
        s.principal.as_mut().unwrap().objective = polity::scenario::Objective::Fixed(f64::NEG_INFINITY);
        s
    };
    let untaxed = {
        let mut s = builtin("sed-apple-picking");
        (s.tax, s.voting, s.principal) = (None, None, None);
        s
    };
    let (a, b) = (mean_final(&egalitarian, "gini", 0..6), mean_final(&untaxed, "gini", 0..6));
    assert!(a < b - 0.05, "mean final Gini: egalitarian principal {a:.3}, no tax {b:.3}");
}

#[test]
fn the_tragedy_loses_most_of_its_patches() {
    let s = builtin("tragedy");
    let alive = mean_final(&s, "patches_alive", 0..5);
    assert!(alive <= 1.0, "patches alive after 1000 ticks, mean over 5 seeds: {alive} of 6");
}

#[test]
fn principal_policies_set_rates_as_documented() {
    // Apples everywhere, regrowing fast: two greedy agents earn one apple a tick each, so
    // revenue is the rates times a steady income.
    let run = |policy: &str, ticks: u64| -> Vec<Vec<f64>> {
        let s = scn(&format!(
            r#"Scenario(version: 1,
               map: Ascii(rows: ["WWWWWWWWWW", "WAAAAAAAAW", "WAAPAAPAAW", "WAAAAAAAAW", "WWWWWWWWWW"]),
               agents: [(count: 2, power: Fixed(inf))],
               tax: Some((preset: Some(Sed), period: Some(10), rates: Some([0.3, 0.3, 0.3]))),
               regrowth: (probabilities: [0.5]),
               principal: Some((policy: {policy}, objective: Fixed(1.0))))"#
        ));
        let mut sim = Sim::new(&s, 5, ticks);
        let mut rates = Vec::new();
        for t in 1..=ticks {
            sim.step();
            if t % 10 == 0 {
                rates.push(sim.world().resource::<TaxState>().rates());
            }
        }
        rates
    };
    assert!(run("Fixed", 50).iter().all(|r| r == &vec![0.3, 0.3, 0.3]));
    for r in run("Random", 50) {
        assert!(r.iter().all(|&x| (x * 10.0 - (x * 10.0).round()).abs() < 1e-9 && (0.0..=1.0).contains(&x)), "{r:?}");
    }
    // A climber moves exactly one rate by one step per period (or undoes the last move).
    let climb = run("HillClimb", 100);
    let mut prev = vec![0.3, 0.3, 0.3];
    for r in &climb {
        let changed: f64 = r.iter().zip(&prev).map(|(a, b)| (a - b).abs()).sum();
        assert!(changed <= 0.2 + 1e-9, "{prev:?} → {r:?}");
        prev = r.clone();
    }
    // The revenue maximiser puts every rate at its maximum from the first period end on.
    assert!(run("RevenueMax", 30).iter().all(|r| r == &vec![1.0, 1.0, 1.0]));
}

#[test]
fn snapped_rates_are_clean_decimals_on_the_step_grid() {
    use polity::principal::snap;
    assert_eq!(0.2 + 0.1, 0.30000000000000004, "the float sum this guards against");
    assert_eq!(snap(0.2 + 0.1, 0.1), 0.3);
    assert_eq!(snap(0.7 + 0.1, 0.1), 0.8);
    assert_eq!(snap(0.3, 0.25), 0.25);
    assert_eq!(snap(0.4, 0.25), 0.5);
    assert_eq!(snap(1.2, 0.1), 1.0);
    assert_eq!(snap(-0.05, 0.1), 0.0);
    // Every step-0.1 candidate around 0.2 is written as a short decimal in events.
    let c = polity::paa::candidate_rates(&polity::scenario::RateCandidates::Steps, &[0.2, 0.2], 0.1);
    assert_eq!(serde_json::to_string(&c).unwrap(), "[[0.2,0.2],[0.1,0.2],[0.3,0.2],[0.2,0.1],[0.2,0.3]]");
}
