//! Agents that learn (issue 12): PPO solves a toy world whose optimum is known by hand, beats
//! the random walk on the commons, is deterministic for any thread count, resumes exactly,
//! keeps the reward's books, and refuses bad policy files before anything runs.

use std::process::Command;

use polity::learn::folder::Session;
use polity::learn::net::Policy;
use polity::learn::train::Trainer;
use polity::scenario::{self, Scenario};

/// A corridor with the agent at its west end and five apples to the east that never regrow:
/// the best return in 10 ticks is 5 (walk east: 3 ticks to the first apple, one per apple after).
const CORRIDOR: &str = r#"Scenario(
    version: 1,
    name: "corridor",
    map: Ascii(rows: ["WWWWWWWWWW", "WP  AAAAAW", "WWWWWWWWWW"]),
    agents: [(name: "walker", count: 1, selfishness: Fixed(1.0), power: Fixed(inf),
              policy: Learned(view: 2, hidden: [16]))],
    regrowth: (radius: 2.0, probabilities: [0.0]),
    run: (ticks: 10),
    learning: (envs: 16, learning_rate: 0.01, epochs: 4, minibatches: 2, entropy_coef: 0.0),
)"#;

fn corridor() -> Scenario {
    scenario::parse(CORRIDOR, "corridor.ron", "corridor").unwrap()
}

/// The last update's mean return.
fn train(s: &Scenario, seed: u64, updates: u32) -> (Trainer, Vec<f64>) {
    let mut t = Trainer::new(s, seed, None).unwrap();
    let mut returns = Vec::new();
    for _ in 0..updates {
        let r = t.update(&mut |_| true).unwrap().unwrap();
        returns.push(r.groups[0].mean_return);
    }
    (t, returns)
}

#[test]
fn ppo_reaches_the_corridors_known_optimum() {
    for seed in [0, 1, 2, 3] {
        let (_, returns) = train(&corridor(), seed, 30);
        assert!(returns[0] < 4.0, "seed {seed}: the untrained policy is near the random walk: {returns:?}");
        let last = *returns.last().unwrap();
        assert!(last >= 0.95 * 5.0, "seed {seed}: after 30 updates the return is {last}, below 95% of 5: {returns:?}");
    }
}

#[test]
fn training_is_deterministic_for_any_thread_count() {
    let hash = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let (t, _) = train(&corridor(), 7, 3);
            (t.policies[0].as_ref().unwrap().hash(), t.state_bytes().unwrap())
        })
    };
    let (one, state_one) = hash(1);
    let (two, state_two) = hash(2);
    assert_eq!(one, two, "1 thread and 2 threads train the same weights");
    assert_eq!(state_one, state_two, "…and the same optimiser state");
    assert_eq!(hash(2).0, two, "the same seed gives the same weights");
    let (other, _) = train(&corridor(), 8, 3);
    assert_ne!(other.policies[0].as_ref().unwrap().hash(), one, "another seed gives other weights");
}

#[test]
fn a_resumed_training_ends_with_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let s = corridor();
    let straight = dir.path().join("straight");
    let mut a = Session::new(&s, 3, None, straight.clone()).unwrap();
    a.run(4, &mut |_, _| {}, &mut |_| {}).unwrap();
    let halves = dir.path().join("halves");
    let mut b = Session::new(&s, 3, None, halves.clone()).unwrap();
    b.run(2, &mut |_, _| {}, &mut |_| {}).unwrap();
    drop(b);
    // An edited scenario (a learning rate changed, or only a comment) is refused: the resumed
    // training would not be the one it started as. Put back, it resumes.
    let ron = halves.join("scenario.ron");
    let written = std::fs::read_to_string(&ron).unwrap();
    std::fs::write(&ron, format!("// mine\n{written}")).unwrap();
    let e = Session::resume(&halves).unwrap_err();
    assert!(e.contains("scenario.ron: changed since the training wrote it"), "{e}");
    std::fs::write(&ron, &written).unwrap();
    let mut c = Session::resume(&halves).unwrap();
    assert_eq!(c.trainer.updates_done, 2);
    c.run(4, &mut |_, _| {}, &mut |_| {}).unwrap();
    for f in ["policies/walker.safetensors", "state.safetensors", "learning.csv", "train.json"] {
        let (x, y) = (std::fs::read(straight.join(f)).unwrap(), std::fs::read(halves.join(f)).unwrap());
        assert!(x == y, "{f} differs between 4 updates and 2 + resume 2");
    }
    let csv = std::fs::read_to_string(halves.join("learning.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5, "a header and one row per update:\n{csv}");
}

/// `max_grad_norm: inf` (no clipping; JSON has no infinity, so `train.json` writes `null`):
/// the training saves its second update (its first save's `train.json` read back failed, and
/// was blamed on an edit) and resumes.
#[test]
fn a_training_without_gradient_clipping_saves_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let source = CORRIDOR.replace("entropy_coef: 0.0)", "entropy_coef: 0.0, max_grad_norm: inf)");
    let s = scenario::parse(&source, "corridor.ron", "corridor").unwrap();
    assert_eq!(s.learning.max_grad_norm, f64::INFINITY);
    let folder = dir.path().join("t");
    Session::new(&s, 3, None, folder.clone()).unwrap().run(2, &mut |_, _| {}, &mut |_| {}).unwrap();
    let json = std::fs::read_to_string(folder.join("train.json")).unwrap();
    assert!(json.contains("\"max_grad_norm\": null"), "{json}");
    let mut resumed = Session::resume(&folder).unwrap();
    assert_eq!(resumed.trainer.scenario.learning.max_grad_norm, f64::INFINITY);
    resumed.run(3, &mut |_, _| {}, &mut |_| {}).unwrap();
    assert_eq!(resumed.trainer.updates_done, 3);
}

/// Copies the training folder `from` (with its `policies/`) to `to`.
fn copy_training(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to.join("policies")).unwrap();
    for sub in ["", "policies"] {
        for e in std::fs::read_dir(from.join(sub)).unwrap().flatten() {
            if e.file_type().unwrap().is_file() {
                std::fs::copy(e.path(), to.join(sub).join(e.file_name())).unwrap();
            }
        }
    }
}

#[test]
fn a_training_never_replaces_a_file_edited_in_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let s = corridor();
    let straight = dir.path().join("straight");
    Session::new(&s, 5, None, straight.clone()).unwrap().run(4, &mut |_, _| {}, &mut |_| {}).unwrap();
    let two = dir.path().join("two");
    Session::new(&s, 5, None, two.clone()).unwrap().run(2, &mut |_, _| {}, &mut |_| {}).unwrap();
    let three = dir.path().join("three");
    copy_training(&two, &three);
    Session::resume(&three).unwrap().run(3, &mut |_, _| {}, &mut |_| {}).unwrap();

    // An annotated plot: the resume is refused and the file kept.
    let w = dir.path().join("w");
    copy_training(&two, &w);
    let mut png = std::fs::read(w.join("learning.png")).unwrap();
    png.extend_from_slice(b"my notes");
    std::fs::write(w.join("learning.png"), &png).unwrap();
    let e = Session::resume(&w).unwrap_err();
    assert!(e.contains("learning.png: changed since the training wrote it") && e.contains("hint:"), "{e}");
    assert_eq!(std::fs::read(w.join("learning.png")).unwrap(), png);

    std::fs::copy(two.join("learning.png"), w.join("learning.png")).unwrap();
    // train.json edited (the new-user tour, 2026-12-06: a note added was dropped by the resume,
    // a return changed went into the table and the plot): refused, and the file kept.
    let json = std::fs::read_to_string(w.join("train.json")).unwrap();
    let noted = json.replacen("{", "{\n  \"my_notes\": \"keep!\",", 1);
    let changed = json.replacen("\"mean_return\": ", "\"mean_return\": 999", 1);
    assert!(changed != json);
    for edited in [&noted, &changed] {
        std::fs::write(w.join("train.json"), edited).unwrap();
        let e = Session::resume(&w).unwrap_err();
        assert!(e.contains("train.json: changed since the training wrote it") && e.contains("hint:"), "{e}");
        assert_eq!(&std::fs::read_to_string(w.join("train.json")).unwrap(), edited);
    }
    std::fs::write(w.join("train.json"), &json).unwrap();
    // Edited while the training runs: the next save writes nothing.
    let mut session = Session::resume(&w).unwrap();
    std::fs::write(w.join("train.json"), &noted).unwrap();
    let e = session.run(3, &mut |_, _| {}, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("train.json: changed since the training wrote it"), "{e}");
    assert_eq!(std::fs::read_to_string(w.join("train.json")).unwrap(), noted);
    drop(session);
    std::fs::write(w.join("train.json"), &json).unwrap();

    // A table edited while the training runs: the next save writes nothing and says why.
    std::fs::copy(two.join("learning.png"), w.join("learning.png")).unwrap();
    let mut session = Session::resume(&w).unwrap();
    let before_json = std::fs::read(w.join("train.json")).unwrap();
    std::fs::write(w.join("learning.csv"), "mine\n").unwrap();
    let e = session.run(3, &mut |_, _| {}, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("learning.csv: changed since the training wrote it"), "{e}");
    assert_eq!(std::fs::read_to_string(w.join("learning.csv")).unwrap(), "mine\n");
    assert_eq!(std::fs::read(w.join("train.json")).unwrap(), before_json, "nothing was written");
    assert_eq!(
        std::fs::read(w.join("state.safetensors")).unwrap(),
        std::fs::read(two.join("state.safetensors")).unwrap()
    );
    drop(session);
    // As the hint says: moved out of the folder, the table is written again (from train.json's
    // rows) and the training ends as one never stopped.
    std::fs::rename(w.join("learning.csv"), dir.path().join("mine.csv")).unwrap();
    let mut again = Session::resume(&w).unwrap();
    // While it is open, the folder is locked against a second training.
    let e = Session::resume(&w).unwrap_err();
    assert!(e.contains("another polity training is running in this folder"), "{e}");
    // A new training holds its folder from its start, not from its first save: a second one
    // started into it before then was refused only at its first save (its update lost, exit
    // status 1, a hint to resume). Refused before any work now; ended before its first save, it
    // leaves no folder.
    let fresh = dir.path().join("fresh");
    let first = Session::new(&s, 1, None, fresh.clone()).unwrap();
    assert!(fresh.join("train.lock").exists());
    let e = polity::learn::folder::check_new(&fresh).unwrap_err().to_string();
    assert!(
        e.contains("another polity training is running in this folder") && e.contains("choose another --out"),
        "{e}"
    );
    // A resume asked of it before its first save says it is running (it said "no training to
    // resume here").
    let e = Session::resume(&fresh).err().expect("nothing to resume yet");
    assert!(e.contains("a polity training is running in this folder and has not saved its first update yet"), "{e}");
    let e = Session::new(&s, 2, None, fresh.clone()).err().expect("a second training is refused").message;
    assert!(
        e.contains("another polity training is running in this folder") && e.contains("choose another --out"),
        "{e}"
    );
    drop(first);
    assert!(!fresh.exists(), "a training ended before its first save leaves no folder");
    // Nor the folders made above it (`--out new/a/b` left an empty `new/a`).
    let nested = dir.path().join("new/a/b");
    drop(Session::new(&s, 1, None, nested.clone()).unwrap());
    assert!(!dir.path().join("new").exists(), "the folders made for it are gone too");
    // One killed then leaves its empty lock, held by no process: a new training takes it over
    // (it was refused as "running"); a lock held by a running training still refuses it.
    let stale = dir.path().join("stale");
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join("train.lock"), "").unwrap();
    assert!(polity::learn::folder::check_new(&stale).is_ok());
    let taken = Session::new(&s, 1, None, stale.clone()).unwrap();
    let e = polity::learn::folder::check_new(&stale).unwrap_err().to_string();
    assert!(e.contains("another polity training is running in this folder"), "{e}");
    drop(taken);
    assert!(stale.is_dir() && std::fs::read_dir(&stale).unwrap().next().is_none(), "left as it was, less the lock");
    let kept = dir.path().join("kept");
    std::fs::create_dir(&kept).unwrap();
    drop(Session::new(&s, 1, None, kept.clone()).unwrap());
    assert!(kept.is_dir() && std::fs::read_dir(&kept).unwrap().next().is_none(), "an empty folder given stays, empty");
    again.run(4, &mut |_, _| {}, &mut |_| {}).unwrap();
    for f in ["learning.csv", "learning.png", "state.safetensors", "train.json"] {
        assert!(std::fs::read(straight.join(f)).unwrap() == std::fs::read(w.join(f)).unwrap(), "{f} differs");
    }
    drop(again);
    // An edited state has no other copy: the hint says so.
    let mut state = std::fs::read(w.join("state.safetensors")).unwrap();
    state.push(0);
    std::fs::write(w.join("state.safetensors"), &state).unwrap();
    let e = Session::resume(&w).unwrap_err();
    assert!(e.contains("state.safetensors: changed") && e.contains("no other copy"), "{e}");

    // A file of the folder made a link to a copy of itself (the same bytes): a resume wrote the
    // file again in the link's place (a new-user tour, 2026-12-07). Refused, the link kept.
    let l = dir.path().join("linked");
    copy_training(&two, &l);
    let copies = dir.path().join("copies");
    std::fs::create_dir(&copies).unwrap();
    for f in ["learning.png", "policies/walker.safetensors", "train.json"] {
        let copy = copies.join(f.replace('/', "-"));
        std::fs::rename(l.join(f), &copy).unwrap();
        std::os::unix::fs::symlink(&copy, l.join(f)).unwrap();
        let e = Session::resume(&l).err().expect("a link in the folder is refused");
        assert!(e.contains(&format!("{f}: a link, not the file the training wrote")) && e.contains("hint:"), "{e}");
        assert!(std::fs::symlink_metadata(l.join(f)).unwrap().file_type().is_symlink(), "{f}: the link is kept");
        std::fs::remove_file(l.join(f)).unwrap();
        std::fs::rename(&copy, l.join(f)).unwrap();
    }
    Session::resume(&l).unwrap().run(3, &mut |_, _| {}, &mut |_| {}).unwrap();

    // A new training into a finished one's folder: the hint to resume it asks for more updates
    // (`--resume` alone said "nothing to do"); into a folder whose train.json is damaged, no
    // hint to resume it (that resume was refused as "not Polity's").
    let e = polity::learn::folder::check_new(&two).unwrap_err().to_string();
    assert!(e.contains("holds a training already (2 updates of `corridor`)") && e.contains("--updates 12`"), "{e}");
    let damaged = dir.path().join("damaged");
    copy_training(&two, &damaged);
    std::fs::write(damaged.join("train.json"), "metric,a_mean\n").unwrap();
    let e = polity::learn::folder::check_new(&damaged).unwrap_err().to_string();
    assert!(e.contains("holds a train.json that is not a training's") && !e.contains("--resume"), "{e}");

    // A training killed in the middle of its third save: train.json still says two updates
    // and names the third's hashes as `next`; the table, the plot and the state are the
    // third's, the policy the second's. It resumes and ends as one never stopped.
    let k = dir.path().join("killed");
    copy_training(&two, &k);
    let mut meta: polity::learn::folder::TrainJson =
        serde_json::from_slice(&std::fs::read(two.join("train.json")).unwrap()).unwrap();
    let third: polity::learn::folder::TrainJson =
        serde_json::from_slice(&std::fs::read(three.join("train.json")).unwrap()).unwrap();
    assert!(meta.next.is_empty() && meta.hashes.len() == 5, "{meta:?}");
    meta.next = third.hashes.clone();
    meta.rows = third.rows.clone();
    std::fs::write(k.join("train.json"), meta.text().unwrap()).unwrap();
    for f in ["learning.csv", "learning.png", "state.safetensors"] {
        std::fs::copy(three.join(f), k.join(f)).unwrap();
    }
    let mut resumed = Session::resume(&k).unwrap();
    assert_eq!(resumed.trainer.updates_done, 3, "the third update's state was saved");
    resumed.run(4, &mut |_, _| {}, &mut |_| {}).unwrap();
    for f in ["policies/walker.safetensors", "state.safetensors", "learning.csv", "learning.png", "train.json"] {
        assert!(std::fs::read(straight.join(f)).unwrap() == std::fs::read(k.join(f)).unwrap(), "{f} differs");
    }

    // A train.json from before the hashes were kept: its files cannot be shown unchanged.
    let old = dir.path().join("old");
    copy_training(&two, &old);
    meta.next.clear();
    meta.hashes.clear();
    meta.digest.clear();
    std::fs::write(old.join("train.json"), serde_json::to_string_pretty(&meta).unwrap()).unwrap();
    let e = Session::resume(&old).unwrap_err();
    assert!(e.contains("older Polity") && e.contains("hint:"), "{e}");
    // A deleted scenario.ron: what the resume starts from, with a hint that can be followed.
    let gone = dir.path().join("gone");
    copy_training(&two, &gone);
    std::fs::remove_file(gone.join("scenario.ron")).unwrap();
    let e = Session::resume(&gone).unwrap_err();
    assert!(e.contains("scenario.ron: missing") && e.contains("put it back") && !e.contains("polity scenarios"), "{e}");
    assert!(!gone.join("train.lock").exists(), "a refused resume leaves no lock");
    // A train.lock that holds something is a user's file, not a lock: it was taken over, and
    // removed when the training ended. Now it is refused and left as it was.
    let notes = dir.path().join("notes");
    copy_training(&two, &notes);
    std::fs::write(notes.join("train.lock"), "my notes\n").unwrap();
    let e = Session::resume(&notes).unwrap_err();
    assert!(e.contains("not a lock a polity training made") && e.contains("move it out"), "{e}");
    assert_eq!(std::fs::read_to_string(notes.join("train.lock")).unwrap(), "my notes\n");
    // A `policies` that is a link: the resume wrote the policies through it, into the folder it
    // points to.
    let linked = dir.path().join("linked");
    copy_training(&two, &linked);
    let elsewhere = dir.path().join("elsewhere");
    std::fs::rename(linked.join("policies"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, linked.join("policies")).unwrap();
    let e = Session::resume(&linked).unwrap_err();
    assert!(e.contains("policies: a link") && e.contains("writes no output through a link"), "{e}");
    // An empty one, as a killed training leaves, is taken and removed at the end.
    std::fs::write(notes.join("train.lock"), "").unwrap();
    let mut resumed = Session::resume(&notes).unwrap();
    resumed.run(3, &mut |_, _| {}, &mut |_| {}).unwrap();
    drop(resumed);
    assert!(!notes.join("train.lock").exists());
}

#[test]
fn the_learners_rewards_are_their_sed_rewards_across_tax_settlements() {
    // SED's apple picking with its humans learning: taxes settle every 50 ticks, so the
    // per-tick rewards must carry taxes and transfers too.
    let mut s = scenario::builtin("sed-apple-picking").unwrap().scenario().unwrap();
    s.agents[0].name = "learners".into();
    s.agents[0].policy = scenario::PolicySpec::Learned(Default::default());
    s.learning.episode_ticks = 120;
    s.learning.envs = 2;
    let s = scenario::check_typed(s, "test").unwrap();
    let mut t = Trainer::new(&s, 0, None).unwrap();
    let r = t.update(&mut |_| true).unwrap().unwrap();
    let g = &r.groups[0];
    assert!(g.mean_return.abs() > 1.0, "the learners earned something: {g:?}");
    assert!((g.mean_return - g.sample_return).abs() < 1e-3 * g.mean_return.abs().max(1.0), "{g:?}");
}

#[test]
fn a_model_built_without_the_ecs_is_the_sims() {
    let s = scenario::builtin("commons-learners").unwrap().scenario().unwrap();
    let mechanisms = polity::sim::Sim::mechanisms();
    let mut sim = polity::sim::Sim::new(&s, 5, 40);
    let mut m = polity::sim::Sim::model_of(&s, 5, &mechanisms);
    assert_eq!(sim.state_hash(), m.state_hash());
    for _ in 0..40 {
        sim.step();
        m.step();
    }
    assert_eq!(sim.state_hash(), m.state_hash(), "the same 40 ticks, learned decisions included");
}

#[test]
fn power_binds_a_learned_agent() {
    use polity::learn::play::act;
    use polity::rng::TickKey;
    let s = scenario::builtin("commons-learners").unwrap().scenario().unwrap();
    let m = polity::sim::Sim::model_of(&s, 0, &polity::sim::Sim::mechanisms());
    let theta = [0.7f32, 0.1, 0.1, 0.05, 0.05];
    let draws = TickKey::new(0, 0);
    let mut a = m.agents[0].clone();
    let uniform = [0.2; 5];
    a.power = 0.0;
    let d = act(&a, &theta, &draws);
    assert!(d.probs.iter().zip(uniform).all(|(p, u)| (p - u).abs() < 1e-9), "power 0 walks at random: {:?}", d.probs);
    a.power = f64::INFINITY;
    let d = act(&a, &theta, &draws);
    assert!(d.probs.iter().zip(theta).all(|(p, t)| (p - t as f64).abs() < 1e-6), "power ∞ plays π_θ: {:?}", d.probs);
    assert_eq!(d.beta, 1.0);
    a.power = 0.1;
    let d = act(&a, &theta, &draws);
    let kl = polity::rules::tilt::kl_divergence(&d.probs, &uniform);
    assert!((kl - 0.1).abs() < 1e-9 && d.beta < 1.0, "a binding budget is spent exactly: KL {kl}, β {}", d.beta);
}

// ---- bad policy files -------------------------------------------------------------------

fn polity(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_polity")).args(args).current_dir(dir).output().expect("polity runs")
}

/// A scenario file in `dir` whose group `learners` (view 3) plays `weights`.
fn scenario_with(dir: &std::path::Path, weights: &str) -> String {
    let src = scenario::builtin("commons-learners").unwrap().source.replace(
        "policy: Learned(view: 3, hidden: [64, 64], shared: true)",
        &format!("policy: Learned(view: 3, hidden: [64, 64], shared: true, weights: \"{weights}\")"),
    );
    assert!(src.contains(weights));
    std::fs::write(dir.join("s.ron"), src).unwrap();
    "s.ron".into()
}

fn write_policy(dir: &std::path::Path, name: &str, edit: impl FnOnce(&mut polity::policy_file::Header)) {
    let s = scenario::builtin("commons-learners").unwrap().scenario().unwrap();
    let mut h = polity::learn::play::header(&s, 0).unwrap();
    edit(&mut h);
    std::fs::write(dir.join(name), Policy::init(h, 0).to_bytes().unwrap()).unwrap();
}

#[test]
fn a_checkpoint_never_goes_on_with_other_weights_than_its_world_played() {
    // A run interrupted, its policy file trained again, then resumed: the resume played the
    // new weights from the checkpoint's tick on and said nothing (the run was neither the
    // old one nor the new one, and its run.json named only the new weights).
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_policy(d, "p.safetensors", |_| {});
    let abs = std::fs::canonicalize(d).unwrap().join("p.safetensors");
    let file = d.join(scenario_with(d, abs.to_str().unwrap()));
    let s = scenario::load(file.to_str().unwrap()).unwrap();
    let mut sim = polity::sim::Sim::new(&s, 3, 20);
    for _ in 0..3 {
        sim.step();
    }
    let cp = sim.checkpoint();
    let kept = std::fs::read(&abs).unwrap();
    let hash = Policy::read(abs.to_str().unwrap()).unwrap().hash();
    assert_eq!(cp.world.parts["learned"], format!("group `learners`={hash:016x}"));
    assert!(polity::sim::Sim::restore(&cp).is_ok());
    // The file trained again (other weights, same shape): refused, saying what to do.
    let h = polity::learn::play::header(&s, 0).unwrap();
    std::fs::write(&abs, Policy::init(h, 1).to_bytes().unwrap()).unwrap();
    let e = polity::sim::Sim::restore(&cp).err().expect("refused").0;
    assert!(
        e.contains(&format!("group `learners` played weights {hash:016x}, but the scenario now gives it weights")),
        "{e}"
    );
    assert!(e.contains("put back the policy file") && !e.contains("damaged"), "{e}");
    // Put back, it goes on as it would have.
    std::fs::write(&abs, &kept).unwrap();
    let mut restored = polity::sim::Sim::restore(&cp).unwrap();
    for _ in 0..3 {
        sim.step();
        restored.step();
    }
    assert_eq!(sim.state_hash(), restored.state_hash());
    // A checkpoint from before the digests were kept checks nothing.
    let mut older = cp.clone();
    older.world.parts.insert("learned".into(), String::new());
    std::fs::write(&abs, Policy::init(polity::learn::play::header(&s, 0).unwrap(), 1).to_bytes().unwrap()).unwrap();
    assert!(polity::sim::Sim::restore(&older).is_ok());
}

#[test]
fn a_training_from_weights_resumes_from_any_folder() {
    // Its scenario.ron kept the relative path it was given, which a resume from another
    // working folder could not read.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_policy(d, "start.safetensors", |_| {});
    let file = scenario_with(d, "start.safetensors");
    let args = |out: &str| ["train", &file, "--updates", "1", "--envs", "2", "--out", out].map(String::from);
    let o = Command::new(env!("CARGO_BIN_EXE_polity")).args(args("t")).current_dir(d).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ron = std::fs::read_to_string(d.join("t/scenario.ron")).unwrap();
    let abs = std::fs::canonicalize(d).unwrap().join("start.safetensors");
    assert!(ron.contains(&format!("weights: \"{}\"", abs.display())), "{ron}");
    std::fs::create_dir(d.join("elsewhere")).unwrap();
    let o = polity(&["train", "--resume", "../t", "--updates", "2"], &d.join("elsewhere"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // A resume that asks for no number of updates goes on to what the last training asked
    // for (2, done), not to the scenario's `learning.updates`.
    let before = std::fs::read(d.join("t/train.json")).unwrap();
    // What a resume keeps cannot be given anew, said with why (clap said only "cannot be used
    // with"), every one at once.
    let o = polity(&["train", "--resume", "t", "--envs", "4", "--seed", "3"], d);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains(
            "as it started it (its scenario, seed and worlds, in its train.json), so it takes no --seed, --envs"
        ) && e.contains("start a new training"),
        "{e}"
    );
    let o = polity(&["train", "--resume", "t"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("2 updates already done; nothing to do"), "{said}");
    assert_eq!(std::fs::read(d.join("t/train.json")).unwrap(), before);
    // Without the file it started from, the resume says so.
    std::fs::rename(d.join("start.safetensors"), d.join("moved.safetensors")).unwrap();
    let o = polity(&["train", "--resume", "t", "--updates", "3"], d);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("put the file back where scenario.ron says"), "{e}");
}

#[test]
fn bad_policy_files_are_located_errors_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_policy(d, "good.safetensors", |_| {});
    write_policy(d, "view2.safetensors", |h| {
        h.view = 2;
        h.observation = polity::observe::size(2, 0);
    });
    write_policy(d, "taxed.safetensors", |h| h.observation = polity::observe::size(3, 3));
    write_policy(d, "other.safetensors", |h| {
        h.group = "harvesters".into();
        h.scenario = "commons".into();
    });
    write_policy(d, "four.safetensors", |h| h.actions = 4);
    std::fs::write(d.join("junk.safetensors"), b"not a policy at all").unwrap();
    let good = std::fs::read(d.join("good.safetensors")).unwrap();
    std::fs::write(d.join("cut.safetensors"), &good[..good.len() / 2]).unwrap();
    // A whole, well-formed file with one weight NaN (the last, in the data's last tensor) and
    // one with an infinity (the first).
    let header_len = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let (mut nan, mut inf) = (good.clone(), good.clone());
    let end = nan.len();
    nan[end - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
    inf[8 + header_len..8 + header_len + 4].copy_from_slice(&f32::INFINITY.to_le_bytes());
    std::fs::write(d.join("nan.safetensors"), nan).unwrap();
    std::fs::write(d.join("inf.safetensors"), inf).unwrap();
    for (file, says) in [
        ("nan.safetensors", "is not a finite number"),
        ("inf.safetensors", "is not a finite number"),
        ("missing.safetensors", "cannot read the policy file"),
        ("junk.safetensors", "not a safetensors file"),
        ("cut.safetensors", "damaged"),
        ("view2.safetensors", "was trained with view 2"),
        (
            "taxed.safetensors",
            "trained in a world with 3 tax brackets (an observation holds each bracket's rate), but this scenario has 0",
        ),
        ("other.safetensors", "holds the policy of group `harvesters` of scenario `commons`"),
        ("four.safetensors", "actions"),
    ] {
        let s = scenario_with(d, file);
        let out = polity(&["run", &s, "--ticks", "5", "--out", "out"], d);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(says), "{file}: expected `{says}` in:\n{err}");
        assert!(err.contains("s.ron:") && err.contains("agents[0].policy.weights"), "{file}: located:\n{err}");
        assert!(!d.join("out").exists(), "{file}: nothing written");
        // The same file through --policy (which gives the group the file's view: below).
        if file == "view2.safetensors" {
            continue;
        }
        let out = polity(
            &["run", "commons-learners", "--ticks", "5", "--out", "out", "--policy", &format!("learners={file}")],
            d,
        );
        assert_eq!(out.status.code(), Some(2), "--policy {file}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(file), "--policy {file}");
        assert!(!d.join("out").exists());
    }
    // --policy plays a file of another view than the group's (commons-learners' is 3): the
    // group takes the file's, as the run's scenario.ron records. Its weights differ from
    // good.safetensors' only in their input width, so a world of other moves.
    let out = polity(
        &["run", "commons-learners", "--ticks", "5", "--out", "v2", "--policy", "learners=view2.safetensors"],
        d,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ron = std::fs::read_to_string(d.join("v2/scenario.ron")).unwrap();
    assert!(ron.contains("view: 2") && ron.contains("view2.safetensors"), "{ron}");
    // A training's folder given for its policy file: its files are named.
    std::fs::create_dir_all(d.join("tr/policies")).unwrap();
    std::fs::copy(d.join("good.safetensors"), d.join("tr/policies/learners.safetensors")).unwrap();
    let out = polity(&["run", "commons-learners", "--ticks", "5", "--out", "out", "--policy", "learners=tr/"], d);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("this is a training's folder; give one of its policy files: tr/policies/learners.safetensors"),
        "{err}"
    );
    // A group the scenario does not have.
    let out = polity(&["run", "commons", "--ticks", "5", "--out", "out", "--policy", "learners=good.safetensors"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no group named `learners`"));
    // The good file plays, by the scenario field and by --policy, the same world.
    let s = scenario_with(d, "good.safetensors");
    let a = polity(&["run", &s, "--ticks", "30", "--out", "a"], d);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let b =
        polity(&["run", "commons-learners", "--ticks", "30", "--out", "b", "--policy", "learners=good.safetensors"], d);
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let metrics = |f: &str| std::fs::read(d.join(f).join("metrics.csv")).unwrap();
    assert_eq!(metrics("a"), metrics("b"));
    // A video names the policy it shows, and its weights' hash (as run.json lists it).
    let v = polity(
        &["record", "commons-learners", "--ticks", "2", "--out", "v.gif", "--policy", "learners=good.safetensors"],
        d,
    );
    let said = String::from_utf8_lossy(&v.stdout);
    let hash =
        format!("{:016x}", polity::policy_file::weights_hash(d.join("good.safetensors").to_str().unwrap()).unwrap());
    assert!(
        said.contains("group `learners` played ") && said.contains(&format!("good.safetensors (weights {hash})")),
        "{said}"
    );
    // Side by side, --policy plays in both halves (it played in the first alone, unsaid) and
    // --policy-b in the second alone, each half's policy named.
    let played = |args: &[&str]| {
        let base = ["record", "commons-learners", "--compare", "commons-learners", "--ticks", "2", "--force"];
        let o = polity(&[&base[..], args].concat(), d);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.contains("played"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let both = played(&["--out", "c.gif", "--policy", "learners=good.safetensors"]);
    assert_eq!(both.len(), 2, "{both:?}");
    assert!(both[0].contains("group `learners` played") && both[1].contains("group `learners` (the second) played"));
    let second = played(&["--out", "c.gif", "--policy-b", "learners=good.safetensors"]);
    assert!(second.len() == 1 && second[0].contains("(the second) played"), "{second:?}");
    let o = polity(&["record", "commons-learners", "--ticks", "2", "--out", "n.gif", "--policy-b", "learners=x"], d);
    assert_eq!(o.status.code(), Some(2), "--policy-b needs --compare");
    // Without --out, a run playing a policy has a folder of its own: the scenario's plain run
    // (runs/commons-learners-seed0) replaced it.
    for args in [&["--policy", "learners=good.safetensors"][..], &[]] {
        let o = polity(&[&["run", "commons-learners", "--ticks", "3"][..], args].concat(), d);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(d.join("runs/commons-learners-seed0-policy-learners/run.json").is_file());
    assert!(d.join("runs/commons-learners-seed0/run.json").is_file());
    // --policy's file is kept by its absolute path: the run folder's scenario.ron (and a
    // checkpoint's scenario) plays it from any folder; a relative path was read from the
    // folder of whoever replayed or resumed it, and found nothing there.
    let absolute = d.join("good.safetensors").display().to_string();
    let kept = std::fs::read_to_string(d.join("b/scenario.ron")).unwrap();
    assert!(kept.contains(&format!("{absolute:?}")), "{kept}");
    std::fs::create_dir(d.join("elsewhere")).unwrap();
    let c = polity(&["run", "../b/scenario.ron", "--ticks", "30", "--out", "c"], &d.join("elsewhere"));
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    assert_eq!(std::fs::read(d.join("elsewhere/c/metrics.csv")).unwrap(), metrics("b"));
}

// ---- learning on the commons --------------------------------------------------------------

/// Apples picked in `ticks` ticks of `s` with `seed`, by everyone.
fn apples(s: &Scenario, seed: u64, ticks: u64) -> f64 {
    let mut sim = polity::sim::Sim::new(s, seed, ticks);
    for _ in 0..ticks {
        sim.step();
    }
    sim.core().agents.iter().map(|a| a.ledger.picked as f64).sum()
}

#[test]
fn trained_learners_pick_more_of_the_commons_than_the_random_walk_and_an_untrained_network() {
    // commons-learners with 100-tick episodes, 4 worlds per update, 10 updates, for three
    // training seeds; each policy is then played on six evaluation seeds it never trained on.
    let mut s = scenario::builtin("commons-learners").unwrap().scenario().unwrap();
    s.run.ticks = 100;
    s.learning.envs = 4;
    s.learning.learning_rate = 1e-3;
    let dir = tempfile::tempdir().unwrap();
    let (mut trained, mut untrained, mut random) = (Vec::new(), Vec::new(), Vec::new());
    for train_seed in [0, 1, 2] {
        let (t, _) = train(&s, train_seed, 10);
        let path = dir.path().join(format!("p{train_seed}.safetensors"));
        std::fs::write(&path, t.policies[0].as_ref().unwrap().to_bytes().unwrap()).unwrap();
        let mut with = s.clone();
        polity::learn::play_file(&mut with, "learners", path.to_str().unwrap(), "--policy learners=FILE").unwrap();
        let mut walk = s.clone();
        walk.agents[0].policy = scenario::PolicySpec::RandomWalk;
        for eval in 0..6 {
            let seed = 1000 + 10 * train_seed + eval;
            trained.push(apples(&with, seed, 100));
            untrained.push(apples(&s, seed, 100));
            random.push(apples(&walk, seed, 100));
        }
    }
    let m = polity::stats::mean;
    eprintln!(
        "apples per 100-tick episode: trained {:.1}, untrained {:.1}, random walk {:.1}",
        m(&trained),
        m(&untrained),
        m(&random)
    );
    for (name, other) in [("the random walk", &random), ("an untrained network", &untrained)] {
        let w = polity::stats::welch(&trained, other);
        assert!(
            m(&trained) > m(other) && w.p_two_sided < 0.001,
            "trained {:.1} apples per episode vs {name} {:.1}: Welch p = {:.2e}\n{trained:?}\n{other:?}",
            m(&trained),
            m(other),
            w.p_two_sided
        );
    }
}

#[test]
fn a_group_without_sharing_trains_one_network_per_agent() {
    let src = CORRIDOR
        .replace(r#""WP  AAAAAW""#, r#""WP  AAAAAW", "WP  AAAAAW""#)
        .replace("count: 1,", "count: 2,")
        .replace("hidden: [16])", "hidden: [16], shared: false)");
    let s = scenario::parse(&src, "two.ron", "two").unwrap();
    let (t, returns) = train(&s, 0, 30);
    let p = t.policies[0].as_ref().unwrap();
    assert_eq!(p.nets.len(), 2);
    assert_eq!(p.header.networks, 2);
    let names: Vec<String> = p.named_vars().into_iter().map(|(n, _)| n).collect();
    assert!(
        names.contains(&"a0.actor.weight".to_string()) && names.contains(&"a1.trunk.0.bias".to_string()),
        "{names:?}"
    );
    let (a0, a1) = (
        p.nets[0].actor.0.as_tensor().to_vec2::<f32>().unwrap(),
        p.nets[1].actor.0.as_tensor().to_vec2::<f32>().unwrap(),
    );
    assert_ne!(a0, a1, "each agent's network learns on its own samples");
    // Two walkers in a two-lane corridor of ten apples: both learn to walk east.
    assert!(*returns.last().unwrap() >= 0.95 * 5.0, "{returns:?}");
    // The file reads back and plays.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.safetensors");
    std::fs::write(&path, p.to_bytes().unwrap()).unwrap();
    let back = Policy::read(path.to_str().unwrap()).unwrap();
    assert_eq!(back.hash(), p.hash());
}

#[test]
fn the_inspector_shows_a_learned_agents_value_and_policy() {
    use polity::control::view::agent_view;
    let s = scenario::builtin("commons-learners").unwrap().scenario().unwrap();
    let mut sim = polity::sim::Sim::new(&s, 0, 10);
    sim.step();
    let v = agent_view(&sim, 3).unwrap();
    let value = v.value.expect("a learned agent has a value estimate");
    // The critic's estimate, recomputed from the network on the agent's observation.
    let m = sim.core();
    let brains = m.parts.get::<polity::learn::Brains>().unwrap();
    let policy = brains.groups[0].as_ref().unwrap();
    let obs = polity::learn::play::batch(polity::learn::play::observations(m, &[3], 3), 1);
    assert_eq!(value, policy.values(0, &obs).unwrap()[0] as f64);
    assert!(v.policy.starts_with("learned (view 3, hidden [64, 64], shared)"), "{}", v.policy);
    assert!((v.decision.probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    // A hand-written forager has none.
    let c = scenario::builtin("commons").unwrap().scenario().unwrap();
    let sim = polity::sim::Sim::new(&c, 0, 10);
    assert_eq!(agent_view(&sim, 0).unwrap().value, None);
}

#[test]
fn a_sweep_plays_a_policy_given_with_policy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A policy that always stays put (its actor's bias on `stay` is 20): with unbounded power
    // the learners never move, so nobody picks an apple.
    let s = scenario::builtin("commons-learners").unwrap().scenario().unwrap();
    let policy = Policy::init(polity::learn::play::header(&s, 0).unwrap(), 0);
    let stay = polity::rules::action::Action::ALL.iter().position(|&a| a == polity::rules::action::Action::Stay);
    let mut bias = [0f32; 5];
    bias[stay.unwrap()] = 20.0;
    policy.nets[0].actor.1.set(&candle_core::Tensor::new(&bias, &candle_core::Device::Cpu).unwrap()).unwrap();
    std::fs::write(d.join("stay.safetensors"), policy.to_bytes().unwrap()).unwrap();
    std::fs::write(
        d.join("s.ron"),
        r#"Sweep(version: 1, base: "commons-learners",
            parameters: [(path: "regrowth.radius", values: List([2.0, 3.0]))],
            replicates: 2, ticks: Some(200), keep: [End("welfare_mean")])"#,
    )
    .unwrap();
    let harvested = |out: &str| -> Vec<f64> {
        let mut r = csv::Reader::from_path(d.join(out).join("results.csv")).unwrap();
        let col = r.headers().unwrap().iter().position(|h| h == "welfare_mean").unwrap();
        r.records().map(|x| x.unwrap()[col].parse().unwrap()).collect()
    };
    let a = polity(&["sweep", "s.ron", "--out", "a", "--policy", "learners=stay.safetensors"], d);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(harvested("a"), vec![0.0; 4], "the staying policy picks nothing");
    // It says which weights every run plays, as `polity run` does (it said nothing).
    let said = String::from_utf8_lossy(&a.stdout);
    assert!(said.contains("  group `learners` played ") && said.contains("stay.safetensors (weights "), "{said}");
    let b = polity(&["sweep", "s.ron", "--out", "b"], d);
    assert!(b.status.success());
    assert!(harvested("b").iter().all(|&h| h > 0.0), "fresh networks walk and pick: {:?}", harvested("b"));
    // The folder says what it played (sweep.json had no trace of --policy), and a sweep into
    // it with another policy, or none, is refused saying so (it blamed the sweep file).
    let marker = std::fs::read_to_string(d.join("a/sweep.json")).unwrap();
    let file = d.join("stay.safetensors").display().to_string();
    assert!(marker.contains("\"policies\"") && marker.contains(&format!("{file:?}")), "{marker}");
    let again = polity(&["sweep", "s.ron", "--out", "a"], d);
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success());
    assert!(
        err.contains(&format!("its runs played learners={file}")) && err.contains("this sweep plays no policy file"),
        "{err}"
    );
    let merged = polity(&["sweep-merge", "a", "b", "--out", "m.csv"], d);
    let err = String::from_utf8_lossy(&merged.stderr);
    assert!(!merged.status.success() && err.contains("policy"), "{err}");
    // The same file with other weights in it (trained on since): another sweep, refused (the
    // files tour, 2026-12-07: a stopped sweep went on with the new weights, and its table mixed
    // two policies' runs under the first one's hash).
    let stay = std::fs::read(d.join("stay.safetensors")).unwrap();
    let fresh = Policy::init(polity::learn::play::header(&s, 0).unwrap(), 1).to_bytes().unwrap();
    std::fs::write(d.join("stay.safetensors"), &fresh).unwrap();
    let again = polity(&["sweep", "s.ron", "--out", "a", "--policy", "learners=stay.safetensors"], d);
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{err}");
    assert!(
        err.contains("this folder holds a different sweep (its runs played learners=") && err.contains("(weights "),
        "{err}"
    );
    std::fs::write(d.join("stay.safetensors"), &stay).unwrap();
    // compare's header says which side plays which file (both sides read the same).
    let cmp = polity(
        &[
            "compare",
            "commons-learners",
            "commons-learners",
            "--seeds",
            "0..2",
            "--ticks",
            "5",
            "--policy-b",
            "learners=stay.safetensors",
        ],
        d,
    );
    let said = String::from_utf8_lossy(&cmp.stdout);
    assert!(cmp.status.success(), "{}", String::from_utf8_lossy(&cmp.stderr));
    assert!(
        said.contains("A: commons-learners\n")
            && said.contains(&format!("B: commons-learners, playing learners={file}\n")),
        "{said}"
    );
    // A bad file: exit 2, the flag named, no folder.
    let c = polity(&["sweep", "s.ron", "--out", "c", "--policy", "learners=missing.safetensors"], d);
    let err = String::from_utf8_lossy(&c.stderr);
    assert_eq!(c.status.code(), Some(2), "{err}");
    assert!(err.contains("--policy learners=missing.safetensors") && err.contains("s.ron"), "{err}");
    assert!(!d.join("c").exists());
}

#[test]
fn polity_train_writes_the_same_weights_with_one_thread_and_two() {
    // `--threads` sizes the pool and candle's matrix products alike (src/parallel.rs), so this
    // varies both, unlike the in-process test above, which varies only the pool.
    // commons-learners, one world: minibatches of ~875 rows × 447 inputs, big enough for
    // candle to split its products between threads.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for threads in ["1", "2"] {
        let args =
            ["--threads", threads, "train", "commons-learners", "--updates", "2", "--envs", "1", "--out", threads];
        let out = polity(&args, d);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    for f in ["policies/learners.safetensors", "state.safetensors", "learning.csv"] {
        assert!(std::fs::read(d.join("1").join(f)).unwrap() == std::fs::read(d.join("2").join(f)).unwrap(), "{f}");
    }
}

/// Runs `polity ARGS` in `dir`, sends it SIGINT `after` its first line (and again after each
/// of `again`), and returns that line and how it ended. The first line is printed once the
/// training has started (the signal handler is in place); its output stays open to the end:
/// a closed pipe would end the training by itself.
fn interrupted_training(
    dir: &std::path::Path,
    args: &[&str],
    after: std::time::Duration,
    again: &[std::time::Duration],
) -> (String, std::process::Output) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    std::thread::sleep(after);
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    for &wait in again {
        std::thread::sleep(wait);
        assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    }
    std::io::Read::read_to_end(&mut stdout, &mut Vec::new()).unwrap();
    (first, child.wait_with_output().unwrap())
}

#[test]
fn a_training_interrupted_in_its_first_update_says_nothing_was_saved() {
    let t = tempfile::tempdir().unwrap();
    let args = ["train", "commons-learners", "--updates", "5", "--out", "o"];
    let (first, out) = interrupted_training(t.path(), &args, std::time::Duration::ZERO, &[]);
    assert!(first.starts_with("training commons-learners"), "{first}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("nothing was saved") && !err.contains("--resume"), "{err}");
    // The first signal is answered at once (a training learning for seconds said nothing).
    assert!(err.contains("stopping: an update still playing its episodes is dropped"), "{err}");
    assert!(!t.path().join("o/train.json").exists());
    assert!(!t.path().join("o/train.lock").exists());
    // A second interrupt ends the process at once: its lock goes with it (the lock's `Drop`
    // never ran, and the lock was left behind). The first signal lands while the networks
    // learn (2000 epochs after 20 ticks of play: seconds), which it does not cut short.
    let slow = scenario::builtin("commons-learners").unwrap().source.replace(
        "learning: (envs: 8, updates: 150, learning_rate: 0.0003, epochs: 3, minibatches: 4)",
        "learning: (envs: 2, episode_ticks: 20, updates: 150, learning_rate: 0.0003, epochs: 2000, minibatches: 1)",
    );
    assert!(slow.contains("epochs: 2000"), "the scenario's learning line changed");
    std::fs::write(t.path().join("slow.ron"), slow).unwrap();
    let ms = std::time::Duration::from_millis;
    let (_, out) = interrupted_training(t.path(), &["train", "slow.ron", "--out", "p"], ms(1000), &[ms(500)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("a second interrupt"), "{err}");
    assert!(!t.path().join("p/train.lock").exists(), "{err}");
    // Ended before its first update was saved, it leaves no folder (an empty one was left).
    assert!(!t.path().join("p").exists(), "{err}");
}

/// `commons-learners` with its `learning` section's first settings replaced by `settings`,
/// written to `dir/name`.
fn learners_file(dir: &std::path::Path, name: &str, settings: &str) {
    let src = scenario::builtin("commons-learners")
        .unwrap()
        .source
        .replace("learning: (envs: 8,", &format!("learning: ({settings}"));
    assert!(src.contains(settings), "the scenario's learning line changed");
    std::fs::write(dir.join(name), src).unwrap();
}

#[test]
fn a_training_interrupted_while_its_networks_learn_stops_with_status_130() {
    // The signal is checked at every tick of the episodes, not while the networks learn (most
    // of an update): one that came then was ignored in the last update (status 0). Timed from
    // a first training's own split of playing and learning, the signal lands in the middle of
    // the learning; wherever it lands, the training stops with 130 and says what it kept.
    let t = tempfile::tempdir().unwrap();
    learners_file(t.path(), "short.ron", "episode_ticks: 100, envs: 4,");
    let timed = polity(&["train", "short.ron", "--updates", "1", "--out", "timed"], t.path());
    assert!(timed.status.success(), "{}", String::from_utf8_lossy(&timed.stderr));
    // A finished training leaves its outputs, and no lock.
    let mut left: Vec<String> = std::fs::read_dir(t.path().join("timed"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let outputs = ["learning.csv", "learning.png", "policies", "scenario.ron", "state.safetensors", "train.json"];
    assert_eq!(left, outputs);
    // Its train.json given to `polity run` says what it is and what to run (it asked whether
    // it was a run.json).
    let wrong = polity(&["run", "timed/train.json", "--out", "w"], t.path());
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(2), "{err}");
    assert!(err.contains("a training folder's train.json") && err.contains("polity train --resume timed"), "{err}");
    let said = String::from_utf8_lossy(&timed.stdout).into_owned();
    let number_before = |text: &str, mark: &str| -> f64 {
        let before = &text[..text.find(mark).unwrap_or_else(|| panic!("no {mark:?} in {text}"))];
        before.rsplit(|c: char| !(c.is_ascii_digit() || c == '.')).find(|w| !w.is_empty()).unwrap().parse().unwrap()
    };
    let (seconds, playing) = (number_before(&said, " s ("), number_before(&said, "% playing") / 100.0);
    let at = std::time::Duration::from_secs_f64(seconds * (playing + (1.0 - playing) / 2.0));
    // Many updates asked for, so that the signal never lands in the last one (where it stops
    // nothing) however much faster than the timed one this training runs (with 2, a suite
    // busy elsewhere while the timed one ran let it land in the second: status 0).
    let (_, out) = interrupted_training(t.path(), &["train", "short.ron", "--updates", "50", "--out", "o"], at, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "SIGINT {at:?} into a {seconds} s update ({playing:.2} playing): {err}");
    if err.contains("nothing was saved") {
        eprintln!("the signal landed while the first update's episodes played ({at:?} of {seconds} s): {err}");
        assert!(!t.path().join("o").exists(), "{err}");
    } else {
        // Landed while the networks learned (the update finished and was saved), or while a
        // later update played (the last finished one kept).
        assert!(err.contains(" finished update") && err.contains("polity train --resume"), "{err}");
        assert!(t.path().join("o/train.json").is_file());
    }
    // In the last update asked for, a signal while the networks learn stops nothing: the
    // training is complete, and ends as one never interrupted (it said "stopped", status 130).
    let (_, out) = interrupted_training(t.path(), &["train", "short.ron", "--updates", "1", "--out", "l"], at, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        assert!(!err.contains("interrupted"), "{err}");
        assert_eq!(
            std::fs::read(t.path().join("l/learning.csv")).unwrap(),
            std::fs::read(t.path().join("timed/learning.csv")).unwrap()
        );
    } else {
        eprintln!("the signal landed while the episodes played ({at:?} of {seconds} s): {err}");
        assert!(err.contains("nothing was saved"), "{err}");
    }
}

#[test]
fn train_refuses_envs_outside_the_scenarios_range_before_any_work() {
    // `--envs 5000` went past the 1–4096 check of `learning.envs` and died allocating 31 GB.
    let t = tempfile::tempdir().unwrap();
    for n in ["0", "4097", "5000"] {
        let out = polity(&["train", "commons-learners", "--envs", n, "--updates", "1", "--out", "o"], t.path());
        assert_eq!(out.status.code(), Some(2), "--envs {n}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("--envs must be 1 to 4096 worlds per update, found {n}")), "{err}");
        assert!(!t.path().join("o").exists());
    }
}

#[test]
fn train_refuses_what_could_not_learn_before_any_work() {
    // Each of these was accepted: a learned group of no agents panicked in the first update
    // (status 1); a minibatch of one sample has its advantage normalised to 0 and learned
    // nothing for ten times the time; an --out that cannot be made failed after the banner
    // with status 1; two names saved to one policy file and the first was lost.
    let t = tempfile::tempdir().unwrap();
    let source = scenario::builtin("commons-learners").unwrap().source;
    let edit = |from: &str, to: &str| {
        assert!(source.contains(from), "commons-learners changed: no {from:?}");
        source.replacen(from, to, 1)
    };
    std::fs::write(t.path().join("afile"), "mine").unwrap();
    std::fs::write(t.path().join("none.ron"), edit("count: 7", "count: 0")).unwrap();
    let tiny = edit("learning: (envs: 8,", "learning: (episode_ticks: 10, envs: 1,")
        .replace("minibatches: 4", "minibatches: 100000");
    std::fs::write(t.path().join("tiny.ron"), tiny).unwrap();
    let one = edit("learning: (envs: 8,", "learning: (episode_ticks: 1, envs: 1,").replacen("count: 7", "count: 1", 1);
    std::fs::write(t.path().join("one.ron"), one).unwrap();
    std::fs::write(t.path().join("slash.ron"), edit("name: \"learners\"", "name: \"a/b\"")).unwrap();
    // Where the field's value is: FILE:LINE:COLUMN, as every scenario problem is placed.
    let at = |file: &str, field: &str| {
        let text = std::fs::read_to_string(t.path().join(file)).unwrap();
        let (n, line) = text.lines().enumerate().find(|(_, l)| l.contains(field)).unwrap();
        format!("{file}:{}:{}: ", n + 1, line.find(field).unwrap() + field.len() + 1)
    };
    let (tiny_at, none_at) = (at("tiny.ron", "minibatches: "), at("none.ron", "count: "));
    for (args, says) in [
        (
            &["train", "none.ron", "--out", "o"][..],
            &*format!("{none_at}group `learners` (agents[0]) has no agent to learn from"),
        ),
        (
            &["train", "tiny.ron", "--out", "o"][..],
            &*format!(
                "{tiny_at}learning.minibatches is 100000, but group `learners` gives only 70 samples an update (1 world × 10 ticks × 7 agents)"
            ),
        ),
        // One sample: no number of minibatches helps, and the hint no longer says to set it to 1.
        (
            &["train", "one.ron", "--out", "o"][..],
            "gives only 1 sample an update (1 world × 1 tick × 1 agent): a minibatch of fewer than 2 samples has its advantages normalised to 0 and learns nothing\n    hint: raise learning.envs",
        ),
        (&["train", "commons-learners", "--out", "afile/sub"][..], "afile/sub: cannot create the folder"),
        (&["check", "slash.ron"][..], "`a/b` is not a plain file name"),
        // `polity check` says what `polity train` would refuse (it said ok).
        (
            &["check", "tiny.ron"][..],
            &*format!(
                "{tiny_at}`polity run` and `polity gui` take it, but `polity train` would refuse it: learning.minibatches is 100000, but group `learners` gives only 70 samples"
            ),
        ),
        (
            &["check", "none.ron"][..],
            &*format!(
                "{none_at}`polity run` and `polity gui` take it, but `polity train` would refuse it: group `learners` (agents[0]) has no agent to learn from"
            ),
        ),
        (
            &["run", "commons-learners", "--policy", "learners=x.safetensors", "--policy", "learners=y.safetensors"][..],
            "group `learners` was already given a policy",
        ),
    ] {
        let out = polity(args, t.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!t.path().join("o").exists() && !t.path().join("afile").is_dir());
    }
    // A problem of training alone is said to be one: `polity run` takes the file.
    let out = polity(&["check", "tiny.ron", "commons"], t.path());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of 2 files invalid for `polity train`"), "{out:?}");
    let out = polity(&["run", "tiny.ron", "--ticks", "2", "--out", "r"], t.path());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn train_refuses_a_training_that_cannot_fit_in_memory_before_any_work() {
    // `learning.episode_ticks: 100000000` died allocating the update's samples (exit 134, a
    // backtrace). The estimate — the worlds and each update's samples — is checked first, as
    // `polity run` checks a world's, against the memory available (set here, for the test).
    let t = tempfile::tempdir().unwrap();
    learners_file(t.path(), "long.ron", "episode_ticks: 100000000, envs: 8,");
    let train = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_polity"))
            .args(args)
            .current_dir(t.path())
            .env("POLITY_AVAILABLE_MEMORY", "16G")
            .output()
            .expect("polity runs")
    };
    let out = train(&["train", "long.ron", "--updates", "1", "--out", "o"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("this training needs about") && err.contains("rollouts") && err.contains("episode_ticks"),
        "{err}"
    );
    assert!(!t.path().join("o").exists());
    // The built-in's own training fits, and says what it needs.
    let out = train(&["train", "commons-learners", "--updates", "1", "--envs", "1", "--out", "o"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("memory: about"), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_run_that_played_a_policy_repeats_from_anywhere_and_only_with_the_same_weights() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write_policy(d, "p.safetensors", |_| {});
    // The weights' hash read off the file is the loaded network's (train.json's weights_hash).
    let loaded = Policy::read(d.join("p.safetensors").to_str().unwrap()).unwrap();
    assert_eq!(polity::policy_file::weights_hash(d.join("p.safetensors").to_str().unwrap()).unwrap(), loaded.hash());
    let out =
        polity(&["run", "commons-learners", "--ticks", "20", "--out", "a", "--policy", "learners=p.safetensors"], d);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("a/run.json")).unwrap()).unwrap();
    let file = d.join("p.safetensors").canonicalize().unwrap();
    assert_eq!(record["policies"][0]["group"], "learners");
    assert_eq!(std::path::Path::new(record["policies"][0]["file"].as_str().unwrap()).canonicalize().unwrap(), file);
    assert_eq!(record["policies"][0]["weights_hash"], format!("{:016x}", loaded.hash()));
    // From another working directory, the run repeats: the same state hash.
    let elsewhere = d.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let out = polity(&["run", d.join("a/run.json").to_str().unwrap(), "--out", "b"], &elsewhere);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(elsewhere.join("b/run.json")).unwrap()).unwrap();
    assert_eq!(again["state_hash"], record["state_hash"]);
    // The file trained again (other weights): the run would not repeat, and says so.
    std::fs::write(d.join("p.safetensors"), Policy::init(loaded.header.clone(), 1).to_bytes().unwrap()).unwrap();
    let out = polity(&["run", "a/run.json", "--out", "c"], d);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("would not repeat") && err.contains("policies[0].weights_hash"), "{err}");
    assert!(!d.join("c").exists());
}

#[test]
fn a_loss_that_is_no_number_stops_the_update_and_says_the_training_diverged() {
    // A NaN return (rewards that overflowed, say) made every weight NaN, or, clipped, left
    // them as they were while the training went on reporting updates.
    use polity::learn::{adam::Adam, ppo};
    let s = scenario::builtin("commons-learners").unwrap().scenario().unwrap();
    let h = polity::learn::play::header(&s, 0).unwrap();
    let policy = Policy::init(h.clone(), 0);
    let before = policy.hash();
    let mut adam = Adam::new(policy.vars_of(0), 3e-4).unwrap();
    let n = 8;
    let samples = ppo::Samples {
        dim: h.observation,
        obs: vec![0.5; n * h.observation],
        actions: vec![1; n],
        betas: vec![1.0; n],
        logp: vec![-1.6; n],
        rewards: vec![0.0; n],
        values: vec![0.0; n],
        ..ppo::Samples::default()
    };
    let adv = vec![0.1; n];
    let good = vec![0.2; n];
    ppo::update(&policy, 0, &mut adam, &samples, &adv, &good, &s.learning, 7).unwrap();
    let stepped = policy.hash();
    assert_ne!(stepped, before, "a finite update moves the weights");
    let mut bad = good.clone();
    bad[3] = f32::NAN;
    let e = ppo::update(&policy, 0, &mut adam, &samples, &adv, &bad, &s.learning, 8).unwrap_err();
    assert!(e.contains("the training diverged") && e.contains("NaN"), "{e}");
    assert_eq!(policy.hash(), stepped, "the weights are left as the last finite update made them");
}

#[test]
fn a_run_replaced_in_its_default_folder_says_which_weights_the_earlier_one_played() {
    // Two policy files' runs of one scenario and seed take one default folder: the second
    // replaced the first with "seed 0, 5 ticks", not saying the first played another file.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = scenario::builtin("commons-learners").unwrap().scenario().unwrap();
    for (name, seed) in [("a.safetensors", 1), ("b.safetensors", 2)] {
        let h = polity::learn::play::header(&s, 0).unwrap();
        std::fs::write(d.join(name), Policy::init(h, seed).to_bytes().unwrap()).unwrap();
    }
    let run =
        |file: &str| polity(&["run", "commons-learners", "--ticks", "5", "--policy", &format!("learners={file}")], d);
    let first = run("a.safetensors");
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let again = run("a.safetensors");
    let said = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(said.contains("replaced the earlier run in") && !said.contains(", where "), "{said}");
    let other = run("b.safetensors");
    let said = String::from_utf8_lossy(&other.stdout).into_owned();
    assert!(
        said.contains("replaced the earlier run in")
            && said.contains(", where learners played ")
            && said.contains("a.safetensors (weights "),
        "{said}"
    );
}
