//! Figures the engine finds on the paper's catalogue, pinned after independent confirmation
//! by `tests/oracles/paper.py` (Python fractions + mpmath, no stabcert code): a threshold,
//! counterexamples and best constants.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn check(ids: &[&str]) -> Vec<Value> {
    let mut args = vec!["check".to_string(), "--json".to_string()];
    for id in ids {
        args.push("--only".into());
        args.push(id.to_string());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_stabcert"))
        .args(&args)
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v["claims"].as_array().unwrap().clone()
}

fn by_id<'a>(cs: &'a [Value], id: &str) -> &'a Value {
    cs.iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

fn approx(v: &Value) -> f64 {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn lemma3_inequality_threshold() {
    // oracle: e^a = 1 + a/0.99 at a* = 0.0200671143962628
    let cs = check(&["lemma3.ineq.step1"]);
    let t = &by_id(&cs, "lemma3.ineq.step1")["threshold"];
    assert_eq!(t["param"], "a");
    assert!(
        (approx(&t["approx"]) - 0.0200671143962628).abs() < 1e-10,
        "{t}"
    );
}

#[test]
fn theorem1_is_off_by_one_step_and_its_best_constant_is_one_sixth() {
    // oracle: E = 0 < 1/200 at n = 2, T = 1, alpha = 1/100; best K = min (T-1)/(3T) = 1/6
    let cs = check(&["thm1", "thm1.best"]);
    let c = by_id(&cs, "thm1");
    assert_eq!(c["verdict"], "refuted");
    assert_eq!(c["counterexample"]["point"]["T"], "1");
    assert_eq!(c["counterexample"]["lhs"]["lo"], "0");
    assert_eq!(c["counterexample"]["rhs"]["lo"], "1/200");
    let b = &by_id(&cs, "thm1.best")["best_constant"];
    assert_eq!(b["lo"], "1/6");
    assert_eq!(b["hi"], "1/6");
}

#[test]
fn theorem4_proof_step2_fails_from_n_13() {
    // oracle: at n = 13, T = 14, a = 1/10 the step's sides are 0.155091292208 > 0.154990511559;
    // at n = 12 it holds
    let cs = check(&["thm4.step2"]);
    let c = by_id(&cs, "thm4.step2");
    assert_eq!(c["verdict"], "refuted");
    let cx = &c["counterexample"];
    assert_eq!(cx["point"]["n"], "13");
    assert_eq!(cx["point"]["T"], "14");
    assert_eq!(cx["point"]["a"], "1/10");
    assert!((approx(&cx["lhs"]["approx"]) - 0.155091292208).abs() < 1e-6);
    assert!((approx(&cx["rhs"]["approx"]) - 0.154990511559).abs() < 1e-6);
}

#[test]
fn theorem6_fails_inside_its_hypotheses() {
    // oracle: r_1 = 47868084/625 > sigma^2 = 17424 at gamma = 1/10, u = 1/10, v = 1/1000
    let cs = check(&["thm6"]);
    let cx = &by_id(&cs, "thm6")["counterexample"];
    assert_eq!(cx["lhs"]["lo"], "47868084/625");
    assert_eq!(cx["rhs"]["lo"], "17424");
}

#[test]
fn theorem3_best_constant() {
    // oracle: min over n <= 10, n < T <= 60 of E||Delta_T|| n^(1+a)/T^a at a = 1/10 is
    // 1.4888949583, at n = 2, T = 3
    let cs = check(&["thm3.best"]);
    let b = &by_id(&cs, "thm3.best")["best_constant"];
    assert!((approx(&b["approx"]) - 1.4888949583).abs() < 1e-9, "{b}");
    assert_eq!(b["witness"]["n"], "2");
    assert_eq!(b["witness"]["T"], "3");
}

#[test]
fn hardt_crossover_is_a_trillion_times_later() {
    // oracle: ratio(m) = 1 at m* = 1.0544451778e12 (T = m n^((1+a)/a), n = 100, a = 1/10)
    let cs = check(&["thm4.vs_hardt.crossover"]);
    let t = &by_id(&cs, "thm4.vs_hardt.crossover")["threshold"];
    let m = approx(&t["approx"]);
    assert!((m / 1.0544451778e12 - 1.0).abs() < 1e-8, "{t}");
}
