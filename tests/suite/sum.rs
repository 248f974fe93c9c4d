//! SUM measures in a running world: power used, alignment, harm against AI inaction.

use polity::agents::{Ai, Selfishness};
use polity::metrics::MetricsLog;
use polity::scenario;
use polity::sim::Sim;

#[test]
fn harm_without_ai_agents_is_refused_where_it_is_asked_for() {
    let mut s = scenario::builtin("commons").unwrap().scenario().unwrap();
    s.sum.harm = true;
    assert!(scenario::check_typed(s.clone(), "t").is_ok());
    s.agents.retain(|g| g.kind != scenario::Kind::Ai);
    let e = scenario::check_typed(s.clone(), "t").unwrap_err().to_string();
    assert!(e.contains("sum.harm") && e.contains("no AI agent") && e.contains("kind: Ai"), "{e}");
    s.sum.harm = false;
    assert!(scenario::check_typed(s, "t").is_ok(), "the same world without harm is fine");
}

#[test]
fn power_used_alignment_and_harm_in_the_commons() {
    let mut s = scenario::builtin("commons").unwrap().scenario().unwrap();
    s.sum.harm = true;
    let mut sim = Sim::new(&s, 4, 300);
    let mut rows = sim.world_mut().resource_mut::<MetricsLog>().drain();
    for _ in 0..300 {
        sim.step();
        rows.extend(sim.world_mut().resource_mut::<MetricsLog>().drain());
    }
    let cols: Vec<String> = sim.world().resource::<MetricsLog>().columns().iter().map(|c| c.to_string()).collect();
    let k = |name: &str| cols.iter().position(|c| c == name).unwrap_or_else(|| panic!("no {name} in {cols:?}"));
    // Nobody spends more than their power; the AIs (power 3 ≥ ln 5) spend at most ln 5.
    for (_, r) in &rows {
        assert!(r[k("power_used_human")] <= 1.0 + 1e-9);
        assert!(r[k("power_used_ai")] <= 5f64.ln() + 1e-9);
    }
    assert!(rows.iter().any(|(_, r)| r[k("power_used_ai")] > 1.0), "greedy AIs spend real power");
    // Alignment: AIs (σ = 1) care only for their own apples, u = (1, 0); the humans' mean
    // vector is (mean σ, mean (1 − σ)); the cosine is mean σ / |(mean σ, 1 − mean σ)|.
    let w = sim.world_mut();
    let sigmas: Vec<f64> =
        w.query_filtered::<&Selfishness, bevy::prelude::Without<Ai>>().iter(w).map(|s| s.0).collect();
    let m = sigmas.iter().sum::<f64>() / sigmas.len() as f64;
    let want = m / (m * m + (1.0 - m) * (1.0 - m)).sqrt();
    assert!((rows[0].1[k("alignment")] - want).abs() < 1e-12);
    // Harm: none at the start; the greedy harvesters leave the humans poorer than a world
    // where the AIs did nothing.
    assert_eq!(rows[0].1[k("harm")], 0.0);
    assert!(rows.last().unwrap().1[k("harm")] > 0.0, "harm {}", rows.last().unwrap().1[k("harm")]);
    // Harm by a second route: the same seed with the AIs scripted to stay put, run as a world
    // of its own. Tick by tick, harm is the humans' mean wealth there less their mean here.
    let mut idle = s.clone();
    idle.sum.harm = false;
    for g in idle.agents.iter_mut().filter(|g| g.kind == polity::scenario::Kind::Ai) {
        g.policy = polity::scenario::PolicySpec::Script(String::new());
    }
    let human_mean = |sim: &mut Sim| {
        let w = sim.world_mut();
        let wealth: Vec<f64> = w
            .query_filtered::<&polity::agents::Ledger, bevy::prelude::Without<Ai>>()
            .iter(w)
            .map(|l| l.balance as f64 / 1000.0)
            .collect();
        wealth.iter().sum::<f64>() / wealth.len() as f64
    };
    let mut real = Sim::new(&s, 4, 300);
    let mut still = Sim::new(&idle, 4, 300);
    let mut positive = 0;
    for t in 1..=300 {
        real.step();
        still.step();
        let want = human_mean(&mut still) - human_mean(&mut real);
        let got = rows[t].1[k("harm")];
        assert_eq!(rows[t].0, t as u64);
        assert!((got - want).abs() < 1e-9, "tick {t}: harm {got}, by the idle world {want}");
        positive += (want > 0.0) as u32;
    }
    assert!(positive > 0);
}

#[test]
fn no_ai_no_sum_columns() {
    let s = scenario::builtin("tragedy").unwrap().scenario().unwrap();
    let sim = Sim::new(&s, 0, 1);
    assert!(!sim.world().resource::<MetricsLog>().columns().iter().any(|c| c == "alignment"));
}

#[test]
fn polity_sum_writes_both_tables() {
    let t = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["sum", "--dims", "4,8,16", "--powers", "1,4", "--angles", "0,60", "--out"])
        .arg(t.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cost = std::fs::read_to_string(t.path().join("alignment_cost.csv")).unwrap();
    let kl: Vec<f64> = cost.lines().skip(1).map(|l| l.split(',').nth(2).unwrap().parse().unwrap()).collect();
    assert_eq!(kl.len(), 3);
    assert!(kl[1] > 1.9 * kl[0] && kl[2] > 1.9 * kl[1], "{kl:?}");
    let gain = std::fs::read_to_string(t.path().join("gain.csv")).unwrap();
    let rows: Vec<Vec<f64>> =
        gain.lines().skip(1).map(|l| l.split(',').map(|x| x.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), 4);
    // power 4 at 60°: √8 · 0.5.
    assert!((rows[3][3] - 8f64.sqrt() * 0.5).abs() < 1e-12);
    let bad =
        std::process::Command::new(env!("CARGO_BIN_EXE_polity")).args(["sum", "--alignment", "1.5"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    // A power whose double overflows wrote `inf` into gain.csv (a new-user tour, 2026-12-07).
    let huge = t.path().join("huge");
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["sum", "--powers", "1e308", "--out"])
        .arg(&huge)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--powers 1e308: too large"));
    assert!(!huge.exists());
    // At power 0 the gain over √O has no value (0/0): an empty cell, not NaN.
    let zero = t.path().join("zero");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["sum", "--dims", "4", "--powers", "0,1", "--angles", "0", "--out"])
        .arg(&zero)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let gain = std::fs::read_to_string(zero.join("gain.csv")).unwrap();
    let last: Vec<&str> = gain.lines().skip(1).map(|l| l.rsplit(',').next().unwrap()).collect();
    assert_eq!(last[0], "", "{gain}");
    assert!((last[1].parse::<f64>().unwrap() - 2f64.sqrt()).abs() < 1e-12, "{gain}");
    assert!(!gain.contains("NaN"), "{gain}");
}

mod alignment_loop {
    //! Issue 15 items 5–7: the alignment loop, rectification and scaling.

    use polity::sum::alignment_loop::{self as sl, LoopParams};
    use std::process::Command;

    fn params(dims: f64, ai: f64, human: Option<f64>) -> LoopParams {
        LoopParams {
            dims,
            ai_power: ai,
            human_power: human,
            critical: 0.5,
            replicates: 100,
            seed: 7,
            max_steps: 100_000,
        }
    }

    /// d = 3 by hand: the cosine is uniform on [−1, 1]; tilted by e^{κc} its quantile u is
    /// ln(u(e^κ − e^{−κ}) + e^{−κ})/κ and its KL κ(coth κ − 1/κ) − ln(sinh κ/κ).
    fn by_hand(u: f64, kl: f64) -> f64 {
        if kl == 0.0 {
            return 2.0 * u - 1.0;
        }
        let d = |k: f64| k * (1.0 / k.tanh() - 1.0 / k) - (k.sinh() / k).ln();
        let (mut lo, mut hi) = (1e-9, 100.0);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if d(mid) < kl { lo = mid } else { hi = mid }
        }
        let k = 0.5 * (lo + hi);
        (u * (k.exp() - (-k).exp()) + (-k).exp()).ln() / k
    }

    #[test]
    fn two_steps_by_hand() {
        for (seed, ai, human) in [(7u64, 2.0f64, None), (11, 2.0, Some(0.5f64)), (3, 0.7, None)] {
            let u = sl::quantile(seed, 0);
            let info = human.map_or(ai, |h: f64| ai.min(h));
            let (c0, c1, c2) = (by_hand(u, 0.0), by_hand(u, info), by_hand(u, 2.0 * info));
            assert!(c0 < c1 && c1 < c2, "{c0} {c1} {c2}");
            // The step's harm: (√(2·O_X) − √(2·O_H))·(1 − c).
            let scale = (2.0 * ai).sqrt() - human.map_or(0.0, |h: f64| (2.0 * h).sqrt());
            let want = scale * (1.0 - c0) + scale * (1.0 - c1);
            let p = LoopParams { dims: 3.0, critical: 0.5 * (c1 + c2), replicates: 1, seed, ..params(3.0, ai, human) };
            let got = sl::run_loop(&p).unwrap();
            assert_eq!(got.steps, [2]);
            assert!((got.harm[0] - want).abs() < 1e-4, "seed {seed}: {} vs {want}", got.harm[0]);
        }
    }

    #[test]
    fn harm_to_alignment_is_linear_in_d() {
        let dims = [4.0, 8.0, 16.0, 32.0, 64.0];
        let rows: Vec<sl::Row> =
            dims.iter().map(|&d| sl::row(LoopParams { replicates: 200, ..params(d, 1.0, None) }).unwrap()).collect();
        let pts: Vec<(f64, f64)> = rows.iter().map(|r| (r.params.dims, r.harm)).collect();
        let (slope, _, r2) = sl::linear_fit(&pts);
        assert!(r2 >= 0.99, "R² {r2}: {pts:?}");
        assert!(slope > 0.05 && rows[4].harm > 4.0 * rows[0].harm, "slope {slope}: {pts:?}");
        // Steps to alignment grow with d too (the KL needed does).
        assert!(rows.windows(2).all(|w| w[1].steps > w[0].steps), "{rows:?}");
    }

    #[test]
    fn rectification_zero_harm_up_to_human_power_then_growing() {
        for d in [4.0, 16.0] {
            for ratio in [0.25, 0.5, 1.0] {
                let r = sl::run_loop(&params(d, ratio * 2.0, Some(2.0))).unwrap();
                assert!(r.harm.iter().all(|&h| h == 0.0), "d {d} O_X/O_H {ratio}: {:?}", r.harm);
                assert!(r.steps.iter().filter(|&&s| s > 0).count() > 50, "most AIs still needed aligning");
            }
            let past: Vec<f64> = [1.25, 1.5, 2.0, 4.0, 8.0]
                .iter()
                .map(|&r| sl::row(params(d, r * 2.0, Some(2.0))).unwrap().harm)
                .collect();
            assert!(past[0] > 0.0 && past.windows(2).all(|w| w[1] > w[0]), "d {d}: {past:?}");
        }
    }

    fn polity(args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_polity")).args(args).output().unwrap()
    }

    #[test]
    fn scaling_csv_and_plots() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().to_str().unwrap();
        let args = ["sum", "scaling", "--k", "1", "--dims-at-human", "4", "--xi-min", "0.5", "--xi-max", "8"];
        let out = polity(&[&args[..], &["--points", "9", "--replicates", "20", "--out", dir]].concat());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let csv = std::fs::read_to_string(t.path().join("scaling.csv")).unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "xi,k,ai_power,human_power,dims,steps_mean,harm_mean,harm_se,log10_xi,log10_harm,log_slope,phase"
        );
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 9);
        for r in &rows {
            let xi: f64 = r[0].parse().unwrap();
            let harm: f64 = r[6].parse().unwrap();
            let d: f64 = r[4].parse().unwrap();
            assert!((d - (4.0 * xi).max(2.0)).abs() < 1e-9 && (r[2].parse::<f64>().unwrap() - xi).abs() < 1e-12);
            assert_eq!(harm == 0.0, xi <= 1.0 + 1e-12, "ξ {xi}: harm {harm}");
            assert_eq!(r[11] == "lag", xi <= 1.0 + 1e-12);
        }
        assert!(rows.iter().any(|r| r[11] == "catch-up"), "{csv}");
        // No harm has no logarithm, and the slope none in the lag or an unbounded one at its
        // edge: empty cells, never -inf, inf or NaN.
        assert!(!csv.contains("inf") && !csv.contains("NaN"), "{csv}");
        for r in rows.iter().filter(|r| r[11] == "lag") {
            assert_eq!((r[9], r[10]), ("", ""), "{r:?}");
        }
        for png in ["scaling.png", "scaling-log.png"] {
            let bytes = std::fs::read(t.path().join(png)).unwrap();
            assert_eq!(&bytes[1..4], b"PNG");
        }
        // Never replaced without --force.
        let again = polity(&[&args[..], &["--points", "9", "--replicates", "20", "--out", dir]].concat());
        assert_eq!(again.status.code(), Some(2));
    }

    #[test]
    fn loop_and_rectify_commands() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().to_str().unwrap();
        let out = polity(&["sum", "loop", "--dims", "4,8", "--powers", "1", "--replicates", "10", "--out", dir]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let csv = std::fs::read_to_string(t.path().join("loop.csv")).unwrap();
        assert!(csv.starts_with("dims,ai_power,critical,replicates,steps_mean,harm_mean,harm_se,harm_per_dim\n"));
        assert_eq!(csv.lines().count(), 3);
        let out = polity(&["sum", "rectify", "--dims", "4", "--ratios", "0.5,2", "--replicates", "10", "--out", dir]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let csv = std::fs::read_to_string(t.path().join("rectify.csv")).unwrap();
        let harm: Vec<f64> = csv.lines().skip(1).map(|l| l.split(',').nth(7).unwrap().parse().unwrap()).collect();
        assert!(harm[0] == 0.0 && harm[1] > 0.0, "{csv}");
        assert!(t.path().join("loop.png").exists() && t.path().join("rectify.png").exists());
        // The plain `polity sum` still works alongside.
        let plain = polity(&["sum", "--dims", "4", "--powers", "1", "--angles", "0", "--out", dir]);
        assert!(plain.status.success(), "{}", String::from_utf8_lossy(&plain.stderr));
    }

    #[test]
    fn bad_input_exits_2_listing_every_problem() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().to_str().unwrap();
        let out = polity(&[
            "sum",
            "loop",
            "--dims",
            "1",
            "--powers=-1",
            "--critical",
            "2",
            "--replicates",
            "1",
            "--out",
            dir,
        ]);
        assert_eq!(out.status.code(), Some(2));
        let e = String::from_utf8_lossy(&out.stderr);
        // One AI gave `harm_se` NaN in loop.csv under a plot claiming a 95% interval.
        for needle in [
            "--dims must each be at least 2",
            "--powers must each be",
            "--critical must be in",
            "--replicates must be at least 2, found 1",
        ] {
            assert!(e.contains(needle), "{needle} not in {e}");
        }
        let out =
            polity(&["sum", "scaling", "--k=-1", "--xi-min", "2", "--xi-max", "1", "--points", "2", "--out", dir]);
        assert_eq!(out.status.code(), Some(2));
        let e = String::from_utf8_lossy(&out.stderr);
        for needle in ["--k must be", "--xi-max must be", "--points must be at least 3"] {
            assert!(e.contains(needle), "{needle} not in {e}");
        }
        let out = polity(&["sum", "rectify", "--human-power", "0", "--ratios", "0", "--out", dir]);
        assert_eq!(out.status.code(), Some(2));
        // One option's one value "must be"; a list's values "must each be".
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains("--human-power must be a finite number > 0, found 0"), "{e}");
        assert!(e.contains("--ratios must each be a finite number > 0, found 0"), "{e}");
        // Settings the loop cannot work out are refused before any runs (each would have run
        // for hours): more dimensions than the angle grid resolves (--k 100: d up to
        // 16·16¹⁰⁰), or more steps than the loop allows (estimated).
        let out = polity(&["sum", "scaling", "--k", "100", "--out", dir]);
        assert_eq!(out.status.code(), Some(2));
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains("at most 100000 dimensions") && e.contains("hint: lower --k, --xi-max"), "{e}");
        let out = polity(&["sum", "rectify", "--dims", "50000", "--human-power", "0.01", "--out", dir]);
        assert_eq!(out.status.code(), Some(2));
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(
            e.contains("d = 50000, O_X = 0.003: the median AI needs about")
                && e.contains("more than the loop's 1000000"),
            "{e}"
        );
        // Too many dimensions is said as such, with the fix (not "raise --powers").
        let out = polity(&["sum", "loop", "--dims", "10000000", "--powers", "1", "--replicates", "2", "--out", dir]);
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(
            e.contains("d = 10000000: the loop is worked out for at most 100000 dimensions")
                && e.contains("hint: give --dims of 2 to 100000"),
            "{e}"
        );
        // Every bad argument at once, each bad value of a list named (it said only the first
        // problem, or a list's first bad value): `sum loop`, and `sum world` with a scenario
        // that is not there.
        let out = polity(&["sum", "loop", "--dims", "4,200000", "--powers", "0,-1", "--critical", "1", "--out", dir]);
        let e = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2));
        for needle in [
            "d = 200000: the loop is worked out for at most",
            "--powers must each be a finite number > 0, found 0, -1",
            "--critical must be in",
        ] {
            assert!(e.contains(needle), "{needle} not in {e}");
        }
        let out = polity(&["sum", "world", "nosuch", "--dims", "1,2e6", "--critical", "3", "--out", dir]);
        let e = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2));
        for needle in [
            "nosuch",
            "--dims must each be at least 2, found 1",
            "d = 2000000: the loop is worked out",
            "--critical must be in",
        ] {
            assert!(e.contains(needle), "{needle} not in {e}");
        }
        // A value given twice runs twice: refused, as a slip.
        let out = polity(&["sum", "loop", "--dims", "64,4,4", "--powers", "1,1", "--out", dir]);
        let e = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2));
        assert!(e.contains("--dims gives 4 more than once") && e.contains("--powers gives 1 more than once"), "{e}");
        // One d has no line to fit: said (the heading promised one and nothing followed).
        let elsewhere = tempfile::tempdir().unwrap();
        let one = elsewhere.path().to_str().unwrap().to_string();
        let out = polity(&["sum", "loop", "--dims", "3", "--powers", "1", "--replicates", "2", "--out", &one]);
        assert_eq!(out.status.code(), Some(0));
        let o = String::from_utf8_lossy(&out.stdout);
        assert!(o.contains("O_X = 1: harm") && o.contains("one d: no line to fit"), "{o}");
        // A tiny power is said as given (it said `O_X = 0`), and --critical is named.
        let out =
            polity(&["sum", "loop", "--critical", "0.999999", "--dims", "4", "--powers", "0.0000001", "--out", dir]);
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains("O_X = 1e-7") && e.contains("or lower --critical"), "{e}");
        // A negative list is a value, not a flag (`--angles -30,0` was "unexpected argument '-3'").
        let out = polity(&["sum", "--angles", "-30,0", "--dims", "2", "--powers", "1", "--out", dir]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let gain = std::fs::read_to_string(t.path().join("gain.csv")).unwrap();
        assert!(gain.contains(",-30,"), "{gain}");
        for f in ["gain.csv", "alignment_cost.csv", "gain.json", "alignment_cost.json"] {
            std::fs::remove_file(t.path().join(f)).unwrap();
        }
        assert!(t.path().read_dir().unwrap().next().is_none(), "nothing written");
        for sub in ["loop", "rectify", "scaling"] {
            let help = String::from_utf8_lossy(&polity(&["sum", sub, "--help"]).stdout).to_string();
            assert!(help.contains("Examples:") && help.contains(&format!("polity sum {sub}")), "{help}");
        }
    }
}

// ---- SUM's loop in the running world (issue 15 item 8) ---------------------------------------

fn commons_with_loop(dims: f64) -> scenario::Scenario {
    let mut s = scenario::builtin("commons").unwrap().scenario().unwrap();
    s.sum.harm = true;
    s.sum.alignment_loop = Some(scenario::LoopSpec { dims, critical: 0.5, rectify: false });
    s
}

#[test]
fn the_loop_runs_on_past_the_information_its_grid_shows() {
    // `sum: (alignment_loop: (dims: 16.0))` in commons hung `polity run` near tick 480 (about
    // 110 nats, the most the cosine grid shows in 16 dimensions), past SIGTERM.
    let s = commons_with_loop(16.0);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut m = Sim::model_of(&s, 0, &Sim::mechanisms());
        for _ in 0..1000 {
            m.step();
        }
        let l = m.parts.get::<polity::sum::world_loop::WorldLoop>().unwrap();
        let mean = l.ais.iter().map(|a| a.cosine).sum::<f64>() / l.ais.len() as f64;
        let _ = tx.send((l.information, mean));
    });
    let (info, cos) = rx.recv_timeout(std::time::Duration::from_secs(300)).expect("1000 ticks of the loop finish");
    assert!(info > 150.0, "the information goes on growing: {info}");
    assert!(cos > 0.9999 && cos <= 1.0, "the cosine stays at the grid's top: {cos}");
}

/// Tick by tick, the humans' information is the AIs' power used so far; each AI's loop cosine
/// is the toy loop's quantile at the tilt that information buys; its σ is where that cosine
/// puts it; and the `aligned` event comes the first tick the mean cosine reaches 0.5.
#[test]
fn the_alignment_loop_runs_in_the_commons_as_the_toy_says() {
    use polity::sum::alignment_loop::{Cosines, quantile};
    let s = commons_with_loop(64.0);
    let seed = 2;
    let mut m = Sim::model_of(&s, seed, &Sim::mechanisms());
    let cos = Cosines::new(64.0);
    let ais: Vec<usize> = (0..m.agents.len()).filter(|&i| m.agents[i].ai).collect();
    let us: Vec<f64> = ais.iter().map(|&i| quantile(seed, m.agents[i].id as u64)).collect();
    let (mut info, mut kappa, mut aligned_at) = (0.0, 0.0, None);
    let sigma_start: Vec<f64> = ais.iter().map(|&i| m.agents[i].sigma).collect();
    for _ in 0..200 {
        m.step();
        let kl: f64 = ais.iter().map(|&i| m.agents[i].decision.kl).sum::<f64>() / ais.len() as f64;
        info += kl;
        kappa = cos.kappa_for(info, kappa);
        let want = cos.quantiles(kappa, &us);
        let l = m.parts.get::<polity::sum::world_loop::WorldLoop>().unwrap();
        assert!((l.information - info).abs() < 1e-9, "{} vs {info}", l.information);
        for (a, c) in l.ais.iter().zip(&want) {
            assert!((a.cosine - c).abs() < 1e-9, "{} vs {c}", a.cosine);
        }
        let mean = want.iter().sum::<f64>() / want.len() as f64;
        if aligned_at.is_none() && mean >= 0.5 {
            aligned_at = Some(m.clock.tick);
        }
        for e in m.take_events().iter().filter(|e| e.kind() == "aligned") {
            assert_eq!(Some(e.tick), aligned_at, "the event comes the tick the mean crosses");
        }
    }
    let tick = aligned_at.expect("aligned within 200 ticks");
    assert!(tick > 1, "the loop takes time: aligned at {tick}");
    // The AIs moved from greed (σ = 1) toward the humans: each σ now below where it started,
    // and the engine's own `alignment` cosine higher.
    for (&i, &s0) in ais.iter().zip(&sigma_start) {
        assert!(m.agents[i].sigma < s0 - 0.1, "σ {} from {s0}", m.agents[i].sigma);
    }
}

/// Harm that humans of equal or greater power can undo is not counted: with humans of power
/// 3 and AIs of power 0.2, `harm_unrectified` stays 0 while `harm` does not; with the
/// built-in's powers (humans 1, AIs 3, capped at ln 5) it is the share `1 − √(1/ln 5)` of every
/// tick's change in harm.
#[test]
fn harm_is_thresholded_on_the_humans_power() {
    let run = |s: &scenario::Scenario| {
        let mut sim = Sim::new(s, 1, 250);
        let mut rows = sim.world_mut().resource_mut::<MetricsLog>().drain();
        for _ in 0..250 {
            sim.step();
            rows.extend(sim.world_mut().resource_mut::<MetricsLog>().drain());
        }
        let cols: Vec<String> = sim.world().resource::<MetricsLog>().columns().iter().map(|c| c.to_string()).collect();
        (cols, rows)
    };
    let mut strong = commons_with_loop(64.0);
    strong.sum.alignment_loop = None;
    for g in &mut strong.agents {
        g.power = scenario::Dist::Fixed(if g.kind == scenario::Kind::Ai { 0.2 } else { 3.0 });
    }
    let (cols, rows) = run(&strong);
    let k = |name: &str| cols.iter().position(|c| c == name).unwrap();
    assert!(rows.iter().any(|(_, r)| r[k("harm")] != 0.0), "harm is done");
    assert!(rows.iter().all(|(_, r)| r[k("harm_unrectified")] == 0.0), "none of it unrectified");
    let mut weak = commons_with_loop(64.0);
    weak.sum.alignment_loop = None;
    let (cols, rows) = run(&weak);
    let k = |name: &str| cols.iter().position(|c| c == name).unwrap();
    let share = 1.0 - (1.0 / 5f64.ln()).sqrt();
    for (_, r) in &rows {
        let want = share * r[k("harm")];
        assert!((r[k("harm_unrectified")] - want).abs() < 1e-9, "{} vs {want}", r[k("harm_unrectified")]);
    }
    assert!(rows.last().unwrap().1[k("harm_unrectified")] > 0.0);
}

/// The loop's world is the ECS world tick for tick, and a checkpoint resumes it exactly.
#[test]
fn the_loop_is_one_tick_in_the_ecs_the_model_and_a_checkpoint() {
    let s = commons_with_loop(128.0);
    let mut sim = Sim::new(&s, 5, 120);
    // The whole world model (`Sim::model` is an imagined copy, which carries no loop).
    let mut model = Sim::model_of(&s, 5, &Sim::mechanisms());
    assert_eq!(model.state_hash(), sim.state_hash(), "built alike");
    for t in 0..60 {
        sim.step();
        model.step();
        assert_eq!(model.state_hash(), sim.state_hash(), "tick {}", t + 1);
    }
    let w = sim.world_mut();
    let sigmas: Vec<f64> = w.query_filtered::<&Selfishness, bevy::prelude::With<Ai>>().iter(w).map(|s| s.0).collect();
    let mut want: Vec<f64> = model.agents.iter().filter(|a| a.ai).map(|a| a.sigma).collect();
    let mut got = sigmas.clone();
    got.sort_by(f64::total_cmp);
    want.sort_by(f64::total_cmp);
    assert_eq!(got, want, "the AIs' σ components follow the loop");
    let cp = sim.checkpoint();
    let mut resumed = Sim::restore(&cp).unwrap();
    for _ in 0..40 {
        sim.step();
        resumed.step();
    }
    assert_eq!(resumed.state_hash(), sim.state_hash());
}

#[test]
fn polity_sum_world_reports_harm_and_ticks_against_d() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w");
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_polity"))
            .arg("sum")
            .arg("world")
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let o = out.to_str().unwrap();
    // `--seeds 3` is seeds 0, 1 and 2, as in every command.
    let (code, stdout, stderr) = run(&["--dims", "16,64", "--seeds", "3", "--ticks", "300", "--out", o]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("ticks to alignment ≈"), "{stdout}");
    let csv = std::fs::read_to_string(out.join("world.csv")).unwrap();
    let rows: Vec<Vec<String>> = csv.lines().skip(1).map(|l| l.split(',').map(String::from).collect()).collect();
    assert_eq!(rows.len(), 6);
    // Each row is what the library's run gives for that d and seed.
    let s = scenario::builtin("commons").unwrap().scenario().unwrap();
    for r in &rows {
        let (d, seed): (f64, u64) = (r[0].parse().unwrap(), r[1].parse().unwrap());
        let spec = scenario::LoopSpec { dims: d, critical: 0.5, rectify: false };
        let want = polity::sum::world_loop::run_until_aligned(&s, &spec, seed, 300);
        assert_eq!(r[2], want.aligned_at.map_or(String::new(), |t| t.to_string()));
        assert_eq!(r[3].parse::<f64>().unwrap(), want.information);
    }
    // A wider value space takes longer to align, seed for seed.
    for seed in 0..3 {
        let at =
            |d: &str| rows.iter().find(|r| r[0] == d && r[1] == seed.to_string()).unwrap()[2].parse::<u64>().unwrap();
        assert!(at("64") > at("16"), "seed {seed}");
    }
    assert!(std::fs::read(out.join("world.png")).unwrap().starts_with(b"\x89PNG"));
    let (code, _, stderr) = run(&["--dims", "1", "--critical", "2", "--seeds", "7..=7", "--out", o]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--dims") && stderr.contains("--critical") && stderr.contains("--force"), "{stderr}");
    assert!(stderr.contains("--seeds must hold at least 2 seeds (the 95% intervals need two), found 1"), "{stderr}");
    // Each said once, as given (it said `found [1.0]`, the critical cosine twice, once of the
    // section the command adds, and "1 problem found" after four).
    assert!(stderr.contains("--dims must each be at least 2, found 1\n"), "{stderr}");
    assert_eq!(stderr.matches("critical").count(), 1, "{stderr}");
    assert!(!stderr.contains("problem found"), "{stderr}");
    // A world without humans, or without AIs, cannot run the loop: said of the scenario
    // given, not of the sections the command adds to it.
    let lone = dir.path().join("lone.ron");
    std::fs::write(
        &lone,
        r#"(version: 1, name: "lone", map: Generated(width: 8, height: 8), agents: [(name: "ai", kind: Ai, count: 2)])"#,
    )
    .unwrap();
    for (arg, kinds) in
        [(lone.to_str().unwrap(), "has 2 AI and 0 human agents"), ("tragedy", "has 0 AI and 7 human agents")]
    {
        let x = dir.path().join("x");
        let (code, _, stderr) = run(&[arg, "--out", x.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains("`sum world` aligns AI agents to human agents") && stderr.contains(kinds), "{stderr}");
        assert!(stderr.contains("hint: choose a scenario with both") && !stderr.contains("alignment_loop"), "{stderr}");
        assert!(!x.exists());
    }
    // A scenario's own loop lends the command its critical cosine and rectifying (they were
    // dropped without a word: the plain 0.5 ran); the options override them.
    let own = dir.path().join("own.ron");
    let text = |dims: &str| {
        format!(
            r#"(version: 1, name: "own", map: Generated(width: 12, height: 12),
            agents: [(name: "h", kind: Human, count: 4), (name: "ai", kind: Ai, count: 2, power: Fixed(2.0))],
            sum: (harm: true, alignment_loop: (dims: {dims}, critical: 0.3, rectify: true)))"#
        )
    };
    std::fs::write(&own, text("32.0")).unwrap();
    let y = dir.path().join("y");
    let (code, stdout, stderr) =
        run(&[own.to_str().unwrap(), "--dims", "8", "--seeds", "2", "--ticks", "50", "--out", y.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("(critical cosine 0.3, rectifying humans)"), "{stdout}");
    let s = scenario::load(own.to_str().unwrap()).unwrap();
    let csv = std::fs::read_to_string(y.join("world.csv")).unwrap();
    for (seed, row) in csv.lines().skip(1).enumerate() {
        let want = polity::sum::world_loop::run_until_aligned(
            &s,
            &scenario::LoopSpec { dims: 8.0, critical: 0.3, rectify: true },
            seed as u64,
            50,
        );
        assert_eq!(row.split(',').nth(3).unwrap().parse::<f64>().unwrap(), want.information, "seed {seed}");
    }
    let (code, stdout, stderr) = run(&[
        own.to_str().unwrap(),
        "--dims",
        "8",
        "--seeds",
        "2",
        "--ticks",
        "50",
        "--critical",
        "0.6",
        "--out",
        y.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("(critical cosine 0.6, rectifying humans)"), "{stdout}");
    // More dimensions than the loop is worked out for, in a scenario: refused (d = 10¹² gave
    // cosines far from √(2I/d), as the command's --dims did).
    std::fs::write(&own, text("1e12")).unwrap();
    let e = scenario::load(own.to_str().unwrap()).unwrap_err().to_string();
    assert!(e.contains("sum.alignment_loop.dims: the loop is worked out for at most 100000 dimensions"), "{e}");
    let (code, _, stderr) = run(&["--dims", "16,1e9", "--out", y.to_str().unwrap(), "--force"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("d = 1000000000: the loop is worked out for at most 100000"), "{stderr}");
}

#[test]
fn the_aligned_event_records_the_harm_of_its_tick() {
    // The loop stepped before the inaction shadow had, so the event's harm compared this
    // tick's humans with the shadow's of the tick before (−0.5 where the column said 0).
    let src = r#"Scenario(
        version: 1,
        map: Ascii(rows: ["WWWWWWWWWW", "WAAA  AAPW", "WAA   AAPW", "WPPPPPPPPW", "WWWWWWWWWW"]),
        agents: [(count: 2, kind: Human, selfishness: Fixed(0.3)), (count: 2, kind: Ai, power: Fixed(inf))],
        sum: (harm: true, alignment_loop: (dims: 2.0, critical: 0.9, rectify: true)),
    )"#;
    let s = scenario::parse(src, "aligned.ron", "aligned").unwrap();
    let mut sim = polity::sim::Sim::new(&s, 0, 20);
    let harm_column = {
        let log = sim.world().resource::<polity::metrics::MetricsLog>();
        log.columns().iter().position(|c| *c == "harm").expect("a harm column")
    };
    let mut found = false;
    for _ in 0..20 {
        sim.step();
        let out = sim.drain();
        for e in &out.events {
            if let polity::model::Event::Aligned { harm, .. } = e.event {
                let row = out.rows.iter().find(|(t, _)| *t == e.tick).expect("the event's tick has a row");
                assert_eq!(harm, Some(row.1[harm_column]), "tick {}", e.tick);
                found = true;
            }
        }
    }
    assert!(found, "the AIs were aligned within 20 ticks");
}
