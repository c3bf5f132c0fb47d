//! The float backend end to end: Monte Carlo twin runs of the paper's constructions against
//! the exact engine's `E||Δ_T||`, independence from the thread count, NaN/infinity
//! reporting, and the `stabcert simulate` command (outputs, bad configs, exit codes).

use rug::Rational;
use serde_json::Value;
use stabcert::claims;
use stabcert::exact::{self, Budget, Env};
use stabcert::sgd::config;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn construction_config(
    id: &str,
    params: &[(&str, &str)],
    steps: usize,
    cps: &[usize],
    replicas: u64,
) -> String {
    let p: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k} = \"{v}\""))
        .collect();
    format!(
        "seed = 3\nreplicas = {replicas}\nsteps = {steps}\ncheckpoints = {cps:?}\n\n[data]\nsource = \"construction\"\nid = \"{id}\"\ndim = 10\nseed = 5\nparams = {{ {} }}\n",
        p.join(", ")
    )
}

/// The exact engine's `div_T` of a catalogue construction at `params` and time `t`, after
/// checking the guards that make the derived expression the expectation.
fn exact_div(id: &str, params: &[(&str, &str)], t: u64) -> f64 {
    let specs = claims::catalogue_constructions().unwrap();
    let spec = &specs.iter().find(|(i, _)| i == id).unwrap().1;
    let q = spec
        .quantities()
        .into_iter()
        .find(|q| q.name == "div_T")
        .unwrap();
    let budget = Budget::default();
    let mut env = Env::new();
    for (k, v) in params {
        let e = stabcert::expr::parse_expr(v).unwrap();
        env.push(k, exact::eval(&e, &mut Env::new(), &budget).unwrap());
    }
    env.push("T", Rational::from(t));
    for (what, g) in &q.guards {
        let l = exact::eval(&g.lhs, &mut env, &budget).unwrap();
        let r = exact::eval(&g.rhs, &mut env, &budget).unwrap();
        assert!(g.rel.holds(l.cmp(&r)), "{id}: guard fails: {what}");
    }
    exact::eval(&q.expr, &mut env, &budget).unwrap().to_f64()
}

/// (construction id, parameter values, checkpoints)
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [usize]);

/// Theorems 1, 3 and 5 (and Theorem 3's construction under reshuffling): the constructions
/// embedded in d = 10 dimensions (A = Q diag(λ, ...) Qᵀ with a random rotation Q, the shared
/// examples in the range of the other eigenvectors) simulated in f64 with 4000 replicas; the
/// Monte Carlo mean of ||w_T - w'_T|| is within 4 standard errors of the exact E||Δ_T|| at
/// every (n, T, a); the paper's other constructions (Lemma 1's, the Lemma 5/6 step, a
/// strongly convex one) likewise. The test can fail: a sampler that draws the twin index with the wrong
/// frequency, an off-by-one in the step times, or a wrong sign in the gradient moves the
/// mean by many standard errors (checked in `validation_detects_a_shifted_schedule`).
#[test]
fn monte_carlo_agrees_with_the_exact_engine() {
    let cases: &[Case] = &[
        ("convex", &[("alpha", "1/10"), ("n", "10")], &[4, 19, 59]),
        ("convex", &[("alpha", "1/2"), ("n", "50")], &[10, 99]),
        (
            "nonconvex.decreasing",
            &[("a", "1/10"), ("n", "10")],
            &[9, 49, 199],
        ),
        (
            "nonconvex.decreasing",
            &[("a", "1/2"), ("n", "20")],
            &[19, 99],
        ),
        (
            "nonconvex.decreasing.permutation",
            &[("a", "1/2"), ("n", "5")],
            &[3, 12, 40],
        ),
        (
            "nonconvex.constant",
            &[("a", "1/10"), ("n", "10")],
            &[4, 19, 39],
        ),
        (
            "nonconvex.constant",
            &[("a", "1/4"), ("n", "20")],
            &[10, 30],
        ),
        (
            "lemma1",
            &[("lambda", "1/2"), ("c", "1/2"), ("n", "10")],
            &[4, 19, 59],
        ),
        (
            "nonconvex.hardt_step",
            &[("a", "1/5"), ("n", "20")],
            &[9, 49, 99],
        ),
        (
            "strongly_convex",
            &[("a", "1/10"), ("n", "10")],
            &[4, 19, 99],
        ),
    ];
    let mut compared = 0;
    let mut max_z: f64 = 0.0;
    for (id, params, cps) in cases {
        let steps = *cps.last().unwrap();
        let text = construction_config(id, params, steps, cps, 4000);
        let cfg = config::parse("test.toml", &text, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.sim.data.d(), 10);
        let s = cfg.sim.monte_carlo(cfg.replicas, cfg.seed, &|| {});
        assert!(s.non_finite.is_empty());
        for c in &s.checkpoints {
            let st = c.dist.unwrap();
            let exact = exact_div(id, params, c.time);
            assert!(exact > 0.0 && st.se > 0.0);
            let z = (st.mean - exact) / st.se;
            assert!(
                z.abs() <= 4.0,
                "{id} {params:?} T = {}: Monte Carlo {} ± {} vs exact {exact} ({z:.2} standard errors)",
                c.time,
                st.mean,
                st.se
            );
            compared += 1;
            max_z = max_z.max(z.abs());
        }
    }
    eprintln!("{compared} comparisons, largest deviation {max_z:.2} standard errors");
    assert_eq!(compared, 27);
}

/// The validation has power: shifting the schedule by one step (first_step = 2 instead of
/// the construction's 1, so α_t = 1/(t+1)) moves the Monte Carlo mean of Theorem 3's
/// construction far outside 4 standard errors of the exact value.
#[test]
fn validation_detects_a_shifted_schedule() {
    let params = [("a", "1/2"), ("n", "10")];
    let text = format!(
        "first_step = 2\n{}",
        construction_config("nonconvex.decreasing", &params, 30, &[30], 4000)
    );
    let cfg = config::parse("test.toml", &text, None).unwrap();
    let s = cfg.sim.monte_carlo(cfg.replicas, cfg.seed, &|| {});
    let st = s.checkpoints[0].dist.unwrap();
    let exact = exact_div("nonconvex.decreasing", &params, 31);
    assert!(
        ((st.mean - exact) / st.se).abs() > 10.0,
        "{} vs {exact}",
        st.mean
    );
}

/// Results do not depend on the number of threads: per-replica streams, collected and
/// reduced in replica order.
#[test]
fn results_independent_of_thread_count() {
    let text = std::fs::read_to_string(root().join("examples/simulate/mlp_iris.toml")).unwrap();
    let cfg = config::parse("mlp_iris.toml", &text, None).unwrap();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| cfg.sim.monte_carlo(24, 9, &|| {}))
    };
    let one = run(1);
    assert!(one.checkpoints.last().unwrap().dist.unwrap().mean > 0.0);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
    // computing both runs from the start instead of sharing one until the split gives
    // the same bits
    let mut both = cfg.sim.clone();
    both.share_until_split = false;
    assert_eq!(one, both.monte_carlo(24, 9, &|| {}));
    // the same through the configuration's switch (`full_twin = true`, before any table)
    let full = config::parse("mlp_iris.toml", &format!("full_twin = true\n{text}"), None).unwrap();
    assert!(!full.sim.share_until_split && cfg.sim.share_until_split);
    assert_eq!(one, full.sim.monte_carlo(24, 9, &|| {}));
    // and a different seed gives different figures
    let other = cfg.sim.monte_carlo(24, 10, &|| {});
    assert_ne!(one.checkpoints, other.checkpoints);
}

/// The lockstep engine (replicas advanced LANES at a time, their step coefficients
/// vectorised) gives every replica the bits it has when run alone, for both losses it
/// takes, with and without the shared prefix, a decreasing step, and replicas that stop
/// being finite (found again step by step, as alone).
#[test]
fn lockstep_replicas_match_single_runs() {
    let mut diverged = 0;
    for (loss, step, full) in [
        ("logistic", "0.5", false),
        ("logistic", "2/t", true),
        ("linear", "1/100", false),
        ("linear", "1/20", true),
        ("linear", "1000000", false),
    ] {
        let text = format!(
            "seed = 2\nreplicas = 19\nsteps = 60\ncheckpoints = [1, 7, 60]\nfull_twin = {full}\n[data]\nsource = \"synthetic\"\nn = 40\nd = 37\nseed = 3\n[model]\nloss = \"{loss}\"\n[sgd]\nstep = \"{step}\"\ninit = 0.3\n"
        );
        let cfg = config::parse("lockstep.toml", &text, None).unwrap();
        assert!(cfg.sim.lockstep());
        let together = cfg.sim.replicas(0..19, 2, &|| {});
        for (r, out) in together.iter().enumerate() {
            let alone = cfg.sim.run_replica(2, r as u64);
            assert_eq!(*out, alone, "{loss} step {step}: replica {r}");
            diverged += usize::from(alone.non_finite.is_some());
        }
        // a block that starts mid-range gives the same replicas
        let block = cfg.sim.run_lanes(2, 5, 3);
        for (j, out) in block.iter().enumerate() {
            if out.non_finite.is_none() {
                assert_eq!(*out, together[5 + j]);
            }
        }
        assert!(together.iter().any(|o| o.dist.iter().any(|&d| d > 0.0)));
    }
    assert!(diverged > 0, "the divergent case must exercise the re-run");
}

/// An exploding run (eigenvalue -100 along v, step 1) is reported with the replica and the
/// first step where a parameter is not finite, and that step is exact: the same replica
/// run to the step before is finite throughout. From then on a checkpoint averages only the
/// replicas still finite there and counts the others.
#[test]
fn non_finite_runs_are_reported_not_averaged() {
    let text = construction_config(
        "nonconvex.constant",
        &[("a", "99"), ("n", "3")],
        400,
        &[10, 400],
        6,
    );
    let cfg = config::parse("boom.toml", &text, None).unwrap();
    let s = cfg.sim.monte_carlo(6, 3, &|| {});
    assert!(!s.non_finite.is_empty());
    let first = s.non_finite[0];
    assert!(first.step > 10 && first.step <= 400, "{first:?}");
    assert!(s.checkpoints[0].dist.is_some());
    let last = &s.checkpoints[1];
    assert_eq!(last.non_finite, s.non_finite.len());
    assert_eq!(last.replicas + last.non_finite, 6);
    assert_eq!(last.dist.is_some(), last.replicas > 0);
    let mut sim = cfg.sim.clone();
    sim.checkpoints = vec![first.step - 1];
    let before = sim.run_replica(3, first.replica);
    assert_eq!(before.non_finite, None);
    assert!(before.dist[0].is_finite());
    sim.checkpoints = vec![first.step];
    assert_eq!(
        sim.run_replica(3, first.replica).non_finite,
        Some(first.step)
    );
}

/// When some replicas overflow and others do not, the finite ones are still averaged, and
/// the checkpoint says how many were left out: the mean is exactly the mean of the finite
/// replicas' distances, recomputed here one replica at a time.
#[test]
fn finite_replicas_are_averaged_when_others_overflow() {
    let text = construction_config(
        "nonconvex.constant",
        &[("a", "99"), ("n", "50")],
        120,
        &[10, 120],
        24,
    );
    let cfg = config::parse("mixed.toml", &text, None).unwrap();
    let s = cfg.sim.monte_carlo(24, 3, &|| {});
    let last = &s.checkpoints[1];
    assert!(last.non_finite > 0 && last.replicas > 0, "{last:?}");
    assert_eq!(last.replicas + last.non_finite, 24);
    let finite: Vec<f64> = (0..24)
        .map(|r| cfg.sim.run_replica(3, r))
        .filter(|o| o.non_finite.is_none_or(|k| k > 120))
        .map(|o| o.dist[1])
        .collect();
    assert_eq!(finite.len(), last.replicas);
    let mean = finite.iter().sum::<f64>() / finite.len() as f64;
    let got = last.dist.as_ref().unwrap().mean;
    assert!(
        (got - mean).abs() <= 1e-12 * mean.abs().max(1.0),
        "{got} vs {mean}"
    );
    let table = stabcert::report::simulation_table("d", &s);
    assert!(
        table.contains(&format!("({} of 24 left out)", last.non_finite)),
        "{table}"
    );
}

fn bin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stabcert"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stabcert-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Every example config runs; JSON carries checkpoints, means, standard errors, the config
/// and the seed; the CSV has one row per checkpoint; nothing is drawn on stderr in a pipe.
#[test]
fn simulate_examples_json_and_csv() {
    let dir = root().join("examples/simulate");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for p in &names {
        let csv = std::env::temp_dir().join(format!("stabcert-sim-{}.csv", std::process::id()));
        let o = bin(&[
            "simulate",
            p.to_str().unwrap(),
            "--replicas",
            "8",
            "--seed",
            "4",
            "--json",
            "--csv",
            csv.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}: {}",
            p.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            o.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["seed"], 4);
        assert_eq!(v["replicas"], 8);
        assert!(v["config"]["data"]["source"].is_string());
        let cps = v["checkpoints"].as_array().unwrap();
        assert!(!cps.is_empty());
        for c in cps {
            assert!(
                c["dist"]["mean"].as_f64().unwrap() >= 0.0,
                "{}",
                p.display()
            );
            assert!(c["dist"]["se"].as_f64().is_some());
            assert!(c["probe"]["hi"].as_f64().is_some());
        }
        let rows = std::fs::read_to_string(&csv).unwrap();
        assert_eq!(rows.lines().count(), cps.len() + 1);
        assert!(rows.starts_with("step,time,"));
    }
}

#[test]
fn simulate_table_names_the_run() {
    let o = bin(&[
        "simulate",
        "examples/simulate/thm1_convex.toml",
        "--replicas",
        "50",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("construction `convex`"), "{s}");
    assert!(s.contains("50 replicas, seed"), "{s}");
}

fn bad(text: &str, expect: &[&str]) {
    bad_named("bad.toml", text, expect)
}

/// `bad` with its own file name (tests run in parallel in one temporary folder).
fn bad_named(name: &str, text: &str, expect: &[&str]) {
    let p = tmp(name, text);
    let o = bin(&["simulate", p.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for e in expect {
        assert!(err.contains(e), "expected `{e}` in: {err}");
    }
}

const GOOD: &str = "steps = 10\nreplicas = 2\n[data]\nsource = \"synthetic\"\nn = 20\nd = 3\n[model]\nloss = \"logistic\"\n[sgd]\nstep = \"0.1\"\n";

/// Bad configs exit 2 with file, line and column and say what is wrong.
#[test]
fn bad_configs_exit_2_with_position() {
    // the good one runs
    let p = tmp("good.toml", GOOD);
    assert_eq!(
        bin(&["simulate", p.to_str().unwrap()]).status.code(),
        Some(0)
    );
    bad(
        &GOOD.replace("\"0.1\"", "\"0.1 - 1/t\""),
        &["bad.toml:10:8", "negative"],
    );
    bad(
        &GOOD.replace("replicas = 2", "replicas = 0"),
        &["bad.toml:2:12", "replicas"],
    );
    bad(
        &GOOD.replace("loss = \"logistic\"", "loss = \"logistic\"\ninput_dim = 5"),
        &["bad.toml:9:13", "input_dim = 5 but the data have d = 3"],
    );
    bad(
        &GOOD.replace("logistic", "hinge"),
        &["bad.toml:8:8", "unknown loss `hinge`"],
    );
    bad(
        &GOOD.replace("steps = 10", "stepz = 10"),
        &["bad.toml:1:1", "stepz"],
    );
    bad(
        &GOOD.replace("\"0.1\"", "\"0.1*c\""),
        &["bad.toml:10:", "`c`"],
    );
    bad(
        &format!("{GOOD}momentum = 1.5\n"),
        &["bad.toml:11:12", "momentum"],
    );
    bad(
        &GOOD.replace("source = \"synthetic\"\nn = 20\nd = 3", "source = \"iris\""),
        &["bad.toml:6:8", "labels -1 and +1"],
    );
    // a decimal written as a TOML float is read from its text (0.1 is 1/10), so it is
    // accepted
    let ok = tmp(
        "float.toml",
        "steps = 5\nreplicas = 2\n[data]\nsource = \"construction\"\nid = \"convex\"\nparams = { alpha = 0.1, n = \"4\" }\n",
    );
    assert_eq!(
        bin(&["simulate", ok.to_str().unwrap()]).status.code(),
        Some(0)
    );
    bad(
        "steps = 5\n[data]\nsource = \"construction\"\nid = \"nope\"\nparams = { n = \"4\" }\n",
        &["bad.toml:4:6", "no construction `nope`"],
    );
    // a twin that does not differ: the duplicate is the removed example itself
    bad(
        &format!("{GOOD}[twin]\nkind = \"remove-duplicate\"\nindex = 3\nduplicate = 3\n"),
        &["bad.toml:14:13", "must differ"],
    );
    // a construction whose twin equals S, and one whose step is negative: the [data] id
    let same = "[[construction]]\nid = \"same\"\nsource = \"s\"\ntext = \"t\"\nloss = \"quadratic\"\neigenvalue = \"1\"\nx = \"1\"\nx_twin = \"1\"\ny = \"0.5\"\ny_twin = \"0.5\"\nstep = \"0.1\"\nsampling = \"with-replacement\"\n";
    let cons = tmp("cons_same.toml", same);
    bad(
        &format!(
            "steps = 5\n[data]\nsource = \"construction\"\nfile = \"{}\"\nid = \"same\"\nparams = {{ n = \"4\" }}\n",
            cons.display()
        ),
        &["bad.toml:5:6", "does not differ"],
    );
    bad(
        "steps = 5\n[data]\nsource = \"construction\"\nid = \"convex\"\nparams = { alpha = \"-1/10\", n = \"4\" }\n",
        &["bad.toml:4:6", "negative"],
    );
    // floats must be finite
    bad(
        &GOOD.replace(
            "loss = \"logistic\"",
            "loss = \"quadratic\"\nspectrum = [nan, 1, 2]",
        ),
        &["bad.toml:9:12", "finite"],
    );
    // zero replicas from the command line
    let o = bin(&["simulate", p.to_str().unwrap(), "--replicas", "0"]);
    assert_eq!(o.status.code(), Some(2));
    // a missing file
    let o = bin(&["simulate", "no/such.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no/such.toml"));
}

#[test]
fn default_checkpoints_are_log_spaced_and_end_at_steps() {
    assert_eq!(config::default_checkpoints(5), vec![1, 2, 3, 4, 5]);
    let c = config::default_checkpoints(1000);
    assert_eq!(*c.last().unwrap(), 1000);
    assert!(c.windows(2).all(|w| w[0] < w[1]) && c.len() <= 20 && c[0] >= 1);
    let _ = Path::new("");
}

/// Momentum, minibatch averaging and the replace twin, against a hand-written loop: with
/// n = 3 and batch = 3 under reshuffling every step is a full-batch step (the order of the
/// three examples only changes rounding), so heavy-ball gradient descent on S and on S',
/// written out here independently, gives the distances the simulator reports.
#[test]
fn momentum_and_minibatches_match_a_hand_written_loop() {
    let text = "steps = 30\ncheckpoints = [1, 10, 30]\nreplicas = 1\n[data]\nsource = \"synthetic\"\nn = 3\nd = 4\nseed = 2\n[model]\nloss = \"linear\"\n[twin]\nindex = 1\n[sgd]\nstep = \"1/(2*t)\"\nmomentum = 0.9\nbatch = 3\nsampling = \"reshuffle\"\n";
    let cfg = config::parse("m.toml", text, None).unwrap();
    let s = cfg.sim.monte_carlo(1, 0, &|| {});
    let data = &cfg.sim.data;
    let (n, d) = (data.n(), data.d());
    let example = |i: usize, twin: bool| -> (Vec<f64>, f64) {
        if twin && i == 1 {
            (cfg.sim.twin.x.to_vec(), cfg.sim.twin.y)
        } else {
            (data.x.row(i).to_vec(), data.y[i])
        }
    };
    let mut runs = [(vec![0.0; d], vec![0.0; d]), (vec![0.0; d], vec![0.0; d])];
    let mut c = 0;
    for t in 1..=30usize {
        let alpha = 1.0 / (2.0 * t as f64);
        for (r, (w, v)) in runs.iter_mut().enumerate() {
            let mut g = vec![0.0; d];
            for i in 0..n {
                let (x, y) = example(i, r == 1);
                let resid: f64 = x.iter().zip(w.iter()).map(|(a, b)| a * b).sum::<f64>() - y;
                for j in 0..d {
                    g[j] += resid * x[j] / n as f64;
                }
            }
            for j in 0..d {
                v[j] = 0.9 * v[j] + g[j];
                w[j] -= alpha * v[j];
            }
        }
        if [1, 10, 30].contains(&t) {
            let dist = runs[0]
                .0
                .iter()
                .zip(&runs[1].0)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                .sqrt();
            let got = s.checkpoints[c].dist.unwrap().mean;
            assert!(
                dist > 1e-6 && (got - dist).abs() <= 1e-9 * dist,
                "t = {t}: {got} vs {dist}"
            );
            c += 1;
        }
    }
}

/// A little-endian f8 `.npy` file (format 1.0) holding `rows` in C order.
fn npy_bytes(rows: &[Vec<f64>]) -> Vec<u8> {
    let (n, c) = (rows.len(), rows[0].len());
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({n}, {c}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    for r in rows {
        for v in r {
            out.extend(v.to_le_bytes());
        }
    }
    out
}

#[test]
fn users_data_from_csv_and_npy_give_the_same_runs() {
    // 40 examples of a linear regression, in a CSV with a header (target not last) and in
    // an .npy array (target last): the same data, so the same runs bit for bit
    let rows: Vec<Vec<f64>> = (0..40)
        .map(|i| {
            let a = (i as f64 * 0.37).sin();
            let b = (i as f64 * 0.11).cos() - 0.5;
            vec![a, b, 2.0 * a - b + 0.25]
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("stabcert-userdata-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut csv = String::from("y,x1,x2\n");
    for r in &rows {
        // Rust prints the shortest decimal that reads back as the same f64
        csv.push_str(&format!("{},{},{}\n", r[2], r[0], r[1]));
    }
    std::fs::write(dir.join("train.csv"), csv).unwrap();
    std::fs::write(dir.join("train.npy"), npy_bytes(&rows)).unwrap();
    let top = "replicas = 30\nsteps = 50\ncheckpoints = [10, 50]\n";
    let body = "[model]\nloss = \"linear\"\n[sgd]\nstep = 0.05\n";
    let c1 = dir.join("csv.toml");
    std::fs::write(
        &c1,
        format!("{top}[data]\nsource = \"csv\"\nfile = \"train.csv\"\ntarget = \"y\"\n{body}"),
    )
    .unwrap();
    let c2 = dir.join("npy.toml");
    std::fs::write(
        &c2,
        format!("{top}[data]\nsource = \"npy\"\nfile = \"train.npy\"\n{body}"),
    )
    .unwrap();
    let run = |c: &Path| -> Value {
        let o = bin(&["simulate", c.to_str().unwrap(), "--json"]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let (a, b) = (run(&c1), run(&c2));
    assert_eq!(a["checkpoints"], b["checkpoints"]);
    let d = &a["checkpoints"][1]["dist"];
    assert!(d["mean"].as_f64().unwrap() > 0.0, "{a:#}");
    // distances: the interval never goes below 0
    assert!(d["lo"].as_f64().unwrap() >= 0.0);
    // the step written as a TOML float is read as the decimal 1/20, and printed as written
    assert!(
        a["description"]
            .as_str()
            .unwrap()
            .contains("steps of 0.05,"),
        "{}",
        a["description"]
    );
    // bad files: the message names the file and line
    std::fs::write(dir.join("bad.csv"), "x1,y\n1,2\n3,oops\n").unwrap();
    let c3 = dir.join("bad.toml");
    std::fs::write(
        &c3,
        format!("{top}[data]\nsource = \"csv\"\nfile = \"bad.csv\"\n{body}"),
    )
    .unwrap();
    let o = bin(&["simulate", c3.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.csv") && err.contains("line 3, column `y`: `oops`"),
        "{err}"
    );
    std::fs::write(dir.join("bad.npy"), b"not numpy").unwrap();
    std::fs::write(
        &c3,
        format!("{top}[data]\nsource = \"npy\"\nfile = \"bad.npy\"\n{body}"),
    )
    .unwrap();
    let o = bin(&["simulate", c3.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a .npy file"));
    let _ = std::fs::remove_dir_all(dir);
}

/// A construction given by its loss fixes the loss, S' and the start: a config that also
/// gives `[model]`, `[twin]` or `[sgd] init`, or leaves out a parameter the construction's
/// data use, exits 2 naming line and column; the good config runs.
#[test]
fn loss_construction_configs_refuse_what_the_construction_fixes() {
    let file = root().join("examples/loss_constructions/absolute.toml");
    let good = format!(
        "steps = 5\nreplicas = 10\n[data]\nsource = \"construction\"\nfile = \"{}\"\nid = \"absolute\"\nparams = {{ alpha = \"1/4\" }}\n",
        file.display()
    );
    let p = tmp("good_loss.toml", &good);
    let o = bin(&["simulate", p.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("expression on construction `absolute`"),
        "{out}"
    );
    bad_named(
        "bad_loss.toml",
        &format!("{good}[model]\nloss = \"linear\"\n"),
        &["bad_loss.toml:8:1", "fixes the loss"],
    );
    bad_named(
        "bad_loss.toml",
        &format!("{good}[twin]\nindex = 1\n"),
        &["bad_loss.toml:8:1", "fixes S'"],
    );
    bad_named(
        "bad_loss.toml",
        &format!("{good}[sgd]\ninit = \"zeros\"\n"),
        &["bad_loss.toml:9:8", "fixes the start"],
    );
    bad_named(
        "bad_loss.toml",
        &good.replace("alpha = \"1/4\"", "beta = \"1/4\""),
        &["bad_loss.toml:6:6", "uses `alpha`"],
    );
}
