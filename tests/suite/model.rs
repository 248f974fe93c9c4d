//! The world model against the ECS world: with zero error it follows the world tick for tick.

use polity::model::ModelError;
use polity::scenario;
use polity::sim::Sim;

#[test]
fn zero_error_model_follows_the_ecs_world_tick_for_tick() {
    for name in ["commons", "sed-apple-picking", "us2018", "tragedy", "audited-commons"] {
        let s = scenario::builtin(name).unwrap().scenario().unwrap();
        for seed in 0..8u64 {
            let mut sim = Sim::new(&s, seed, 400);
            // Extract at the start and again part-way through a tax period.
            let warmup = 37 * (seed % 4);
            (0..warmup).for_each(|_| sim.step());
            let mut model = sim.model();
            assert_eq!(model.state_hash(), sim.state_hash(), "{name} seed {seed}: extraction");
            for t in 0..250 {
                sim.step();
                model.step();
                assert_eq!(
                    model.state_hash(),
                    sim.state_hash(),
                    "{name} seed {seed}: diverged at tick {}",
                    warmup + t + 1
                );
            }
            // The model's wealth is the world's, agent by agent in id order.
            let w = sim.world_mut();
            let order = w.resource::<polity::agents::AgentOrder>().0.clone();
            let want: Vec<f64> = order.iter().map(|&e| w.get::<polity::agents::Ledger>(e).unwrap().wealth()).collect();
            assert_eq!(model.wealth(), want, "{name} seed {seed}");
            assert!(want.iter().all(|&x| x >= 0.0), "{name} seed {seed}: {want:?}");
        }
    }
}

#[test]
fn model_error_changes_beliefs_reproducibly() {
    let s = scenario::builtin("commons").unwrap().scenario().unwrap();
    let mut sim = Sim::new(&s, 2, 100);
    let exact = sim.model();
    let err = ModelError { regrowth: 0.5, selfishness: 0.2, power: 0.3, observation: 0.1 };
    let a = sim.core().imagine_with_error(&err, 9);
    let b = sim.core().imagine_with_error(&err, 9);
    assert_eq!(a.state_hash(), b.state_hash(), "same seed, same beliefs");
    for (got, want) in a.grid.probabilities().iter().zip([0.0, 0.00375, 0.0075, 0.0375]) {
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
    }
    assert!(a.agents.iter().zip(&exact.agents).any(|(x, y)| x.sigma != y.sigma));
    assert!(a.agents.iter().zip(&exact.agents).any(|(x, y)| x.power != y.power));
    assert_ne!(a.grid.apple_digest(), exact.grid.apple_digest(), "observation noise moved apples");
    // Misperceived apples keep the grid's books straight.
    let apples = (0..(a.grid.width() * a.grid.height()) as usize).filter(|&i| a.grid.has_apple(i)).count();
    assert_eq!(apples as u32, a.grid.apples());
    let c = sim.core().imagine_with_error(&err, 10);
    assert_ne!(c.state_hash(), a.state_hash(), "another seed, other beliefs");
}

#[test]
fn zero_error_model_follows_a_world_with_audited_evasion() {
    let mut s = scenario::builtin("sed-apple-picking").unwrap().scenario().unwrap();
    s.regrowth.probabilities = vec![0.01, 0.05];
    s.oversight = Some(polity::scenario::OversightSpec {
        forbidden: vec![polity::scenario::Forbidden::Evasion, polity::scenario::Forbidden::ClearCut],
        kinds: vec![polity::scenario::Kind::Human],
        period: 50,
        inspect: 0.5,
        k: 0.2,
        ..Default::default()
    });
    for seed in 0..4 {
        let mut sim = Sim::new(&s, seed, 300);
        let mut model = sim.model();
        for t in 0..300 {
            sim.step();
            model.step();
            assert_eq!(model.state_hash(), sim.state_hash(), "seed {seed}: diverged at tick {}", t + 1);
        }
        let fines = sim.part::<polity::oversight::Oversight>().unwrap().fines;
        assert_eq!(model.parts.get::<polity::oversight::Oversight>().unwrap().fines, fines);
    }
}
