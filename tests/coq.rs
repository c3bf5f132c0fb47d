//! The Coq certificates: the scripts committed under `proofs/coq` are exactly what
//! `stabcert certify` generates from the claim files and every one of them checks with coqc;
//! a script with one digit changed (a counterexample coordinate, a threshold end, a
//! recurrence value) is rejected by coqc; what the backend cannot prove is reported as not
//! certified, with no script. These tests need coqc and the Interval library (the README's
//! test command installs them) and fail, saying so, when they are missing.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stabcert"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("stabcert-coq-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn require_coqc() {
    let ok = Command::new("coqc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "coqc is not installed: run `bash scripts/test.sh` (it installs coq and libcoq-interval)"
    );
}

fn coqc(dir: &Path, file: &str) -> Output {
    Command::new("coqc")
        .current_dir(dir)
        .args(["-Q", ".", "Stabcert", file])
        .output()
        .expect("coqc runs")
}

/// The generated sources of a certificate folder: `.v` files, `INDEX.md` and `_CoqProject`,
/// sorted.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "v")
                || p.file_name()
                    .is_some_and(|n| n == "INDEX.md" || n == "_CoqProject")
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn committed_certificates_are_up_to_date_and_all_check() {
    require_coqc();
    let out = tmpdir("regen");
    let o = bin()
        .args(["certify", "--json", "--out"])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let certs = v["certificates"].as_array().unwrap();
    // every script kept was checked by Coq; a script coqc rejects (a touching inequality
    // `interval` cannot separate) is removed and reported, never kept
    for c in certs {
        let coq = c["coq"].as_str().unwrap();
        assert!(!coq.contains("not installed"), "{}: {coq}", c["id"]);
        if c["certificate"].is_string() {
            assert_eq!(coq, "checked by Coq", "{}", c["id"]);
        } else {
            assert!(
                !out.join(c["id"].as_str().unwrap().replace('.', "_") + ".v")
                    .exists()
            );
        }
    }
    let checked = certs
        .iter()
        .filter(|c| c["coq"] == "checked by Coq")
        .count();
    assert!(
        checked >= 40,
        "only {checked} relations have a checked script"
    );
    // coverage: `whole` only for a script Coq checked; every checked refutation is whole
    // (the relation fails at a point of the domain); the index's headline counts wholes
    let kind = |c: &Value| c["coverage"]["kind"].as_str().unwrap().to_string();
    let (mut whole, mut certified_whole) = (0, 0);
    for c in certs {
        if kind(c) != "none" {
            assert_eq!(c["coq"], "checked by Coq", "{}", c["id"]);
        }
        if c["verdict"] == "refuted" && c["coq"] == "checked by Coq" {
            assert_eq!(kind(c), "whole", "{}", c["id"]);
        }
        if c["verdict"] == "no-counterexample" || c["verdict"] == "undecided" {
            assert_eq!(kind(c), "none", "{}", c["id"]);
        }
        whole += usize::from(kind(c) == "whole");
        certified_whole += usize::from(kind(c) == "whole" && c["verdict"] == "certified");
    }
    assert!(whole >= 70, "{whole} whole-domain proofs");
    // the integer grids of the paper (up to 60,297 points, recurrence values of hundreds of
    // digits) are proved whole by the machine-word evaluator, and the recurrences in a real
    // parameter (lemma 4, theorems 3 and 5) by interval evaluation over its interval: 46
    // certified relations (8 before the first, 37 before the second)
    assert!(certified_whole >= 44, "{certified_whole} whole certified");
    let index = std::fs::read_to_string(out.join("INDEX.md")).unwrap();
    assert!(
        index.contains(&format!(
            "{whole} of {} relations proved by Coq on their whole domain",
            certs.len()
        )),
        "{}",
        &index[..600.min(index.len())]
    );
    let fresh = sources(&out);
    let committed = sources(&root().join("proofs/coq"));
    let names = |v: &[(String, String)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&fresh),
        names(&committed),
        "proofs/coq is out of date: run `cargo run --release -- certify` and commit it"
    );
    for ((n, a), (_, b)) in fresh.iter().zip(&committed) {
        assert!(
            a == b,
            "proofs/coq/{n} is out of date: run `cargo run --release -- certify` and commit it"
        );
    }
}

/// `stabcert certify --json ARGS --out OUT FILE`: its certificates, after checking that
/// the command succeeded.
fn certify_all(args: &[&str], out: &Path, file: &Path) -> Vec<Value> {
    let o = bin()
        .arg("certify")
        .arg("--json")
        .args(args)
        .arg("--out")
        .arg(out)
        .arg(file)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v["certificates"].as_array().unwrap().clone()
}

/// The first of [`certify_all`]'s certificates.
fn certify_first(args: &[&str], out: &Path, file: &Path) -> Value {
    certify_all(args, out, file)[0].clone()
}

fn scratch(name: &str) -> PathBuf {
    require_coqc();
    let d = tmpdir(name);
    for (n, text) in sources(&root().join("proofs/coq")) {
        std::fs::write(d.join(n), text).unwrap();
    }
    let o = coqc(&d, "Stabcert.v");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    d
}

/// Changes one digit of the first number after `marker` on its line: the first digit that
/// can change without creating a leading zero.
fn tamper(text: &str, marker: &str) -> Option<String> {
    let at = text.find(marker)?;
    let line_end = text[at..].find('\n').map_or(text.len(), |k| at + k);
    let bytes = text.as_bytes();
    for i in at + marker.len()..line_end {
        let c = bytes[i];
        if c.is_ascii_digit() {
            let next_is_digit = i + 1 < line_end && bytes[i + 1].is_ascii_digit();
            let prev_is_digit = bytes[i - 1].is_ascii_digit();
            // change the last digit of a multi-digit number, or a lone digit
            if !next_is_digit {
                let d = c - b'0';
                let nd = if prev_is_digit {
                    (d + 1) % 10
                } else {
                    d % 9 + 1
                };
                let mut s = text.to_string();
                s.replace_range(i..=i, &((b'0' + nd) as char).to_string());
                return Some(s);
            }
        }
    }
    None
}

/// The first committed script (by name) that contains every one of `needles`.
fn script_with(d: &Path, needles: &[&str]) -> (String, String) {
    sources(d)
        .into_iter()
        .find(|(n, t)| {
            n.ends_with(".v") && n != "Stabcert.v" && needles.iter().all(|x| t.contains(x))
        })
        .unwrap_or_else(|| panic!("no committed script contains {needles:?}"))
}

fn assert_tamper_rejected(d: &Path, needles: &[&str], marker: &str) {
    let (name, text) = script_with(d, needles);
    // the untouched script checks
    let ok = coqc(d, &name);
    assert!(
        ok.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let bad = tamper(&text, marker).expect("a digit to change");
    assert_ne!(bad, text);
    let tampered = format!("tampered_{name}");
    std::fs::write(d.join(&tampered), bad).unwrap();
    let o = coqc(d, &tampered);
    assert!(
        !o.status.success(),
        "coqc accepted {name} with a digit changed after `{marker}`"
    );
}

#[test]
fn a_changed_counterexample_coordinate_is_rejected() {
    let d = scratch("tamper-cx");
    assert_tamper_rejected(
        &d,
        &["Definition refuted_point"],
        "Definition refuted_point",
    );
}

#[test]
fn a_changed_threshold_end_is_rejected() {
    let d = scratch("tamper-threshold");
    assert_tamper_rejected(
        &d,
        &["Definition threshold_fails_point"],
        "Definition threshold_fails_point",
    );
}

#[test]
fn a_changed_recurrence_value_is_rejected() {
    let d = scratch("tamper-rec");
    // a script whose lhs is a recurrence and whose value Coq recomputes
    assert_tamper_rejected(
        &d,
        &["Definition lhs : E := Let (Rec", "lhs = Some"],
        "lhs = Some",
    );
}

#[test]
fn what_coq_cannot_bound_is_not_certified_and_gets_no_script() {
    let d = tmpdir("unsupported");
    std::fs::write(
        d.join("c.toml"),
        r#"[[claim]]
id = "sqrt_sum"
source = "test"
text = "a sum of 100 square roots (about 671.46) against 1000 n: false from n = 1"
params = ["n in 1..=3"]
holds = "sum(i, 1, 100, sqrt(i)) >= 1000*n"
"#,
    )
    .unwrap();
    let out = d.join("coq");
    let c = &certify_first(&["--no-coqc"], &out, &d.join("c.toml"));
    assert_eq!(c["verdict"], "refuted");
    assert!(c["certificate"].is_null());
    let why = c["not_certified"][0].as_str().unwrap();
    assert!(
        why.starts_with("not certified at n = 1: a sum whose value is not rational there"),
        "{why}"
    );
    assert!(!out.join("sqrt_sum.v").exists());
    let index = std::fs::read_to_string(out.join("INDEX.md")).unwrap();
    assert!(index.contains("## sqrt_sum") && index.contains("no script"));
}

#[test]
fn check_json_names_the_up_to_date_certificate() {
    let o = bin()
        .args(["check", "--json", "--only", "thm1"])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["claims"][0]["certificate"], "proofs/coq/thm1.v");
    // elsewhere (no proofs/coq beside it) there is no certificate to name
    let d = tmpdir("nocert");
    let o = bin()
        .args(["check", "--json", "--only", "thm1"])
        .current_dir(&d)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["claims"][0]["certificate"].is_null());
}

#[test]
fn negative_integer_bounds_print_and_check() {
    // `k in -10..=10` makes a `Range (Neg (Cst …)) …` domain: it must be bracketed to parse
    require_coqc();
    let out = tmpdir("bernoulli");
    let c = &certify_first(
        &["--only", "bernoulli"],
        &out,
        &root().join("examples/claims.toml"),
    );
    assert_eq!(c["verdict"], "certified");
    assert_eq!(c["coq"], "checked by Coq", "{c}");
    // 30 values of r times 21 of k: one reflective theorem over all of them
    assert_eq!(c["coverage"]["kind"], "whole", "{c}");
    assert!(
        c["coverage"]["detail"]
            .as_str()
            .unwrap()
            .contains("all 630 points"),
        "{c}"
    );
    let script = std::fs::read_to_string(out.join("bernoulli.v")).unwrap();
    assert!(
        script.contains("Range (Neg (Cst (Qmake 10 1)))"),
        "{script}"
    );
    let project = std::fs::read_to_string(out.join("_CoqProject")).unwrap();
    assert_eq!(
        project,
        "-Q . Stabcert\nStabcert.v\nTouching.v\nTwin.v\nTwinR.v\nbernoulli.v\n"
    );
}

#[test]
fn a_best_constant_whose_safe_end_is_the_upper_one_is_proved_there() {
    // the smallest K with x*exp(-x) <= K on [0, 3] is 1/e (at x = 1), irrational: the
    // bracket comes from bisection and its safe end is the upper one
    require_coqc();
    let d = tmpdir("safe_end");
    std::fs::write(
        d.join("c.toml"),
        r#"[[claim]]
id = "peak"
source = "test"
text = "x e^(-x) <= K on [0, 3]: the best K is 1/e"
params = ["x in [0, 3]"]
holds = "x*exp(-x) <= K"
best_constant = "K"
"#,
    )
    .unwrap();
    let o = bin()
        .args(["check", "--json"])
        .arg(d.join("c.toml"))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let b = &v["claims"][0]["best_constant"];
    let hi = b["hi"].as_str().unwrap().to_string();
    assert_eq!(b["safe"].as_str().unwrap(), hi, "{b}");
    assert_ne!(b["lo"], b["hi"], "{b}");
    let c = &certify_first(&[], &d.join("coq"), &d.join("c.toml"));
    let proves: Vec<&str> = c["proves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        proves
            .iter()
            .any(|p| p.starts_with(&format!("best_holds: the relation holds at K = {hi}"))),
        "{proves:?}"
    );
    assert_eq!(c["coq"], "checked by Coq", "{c}");
}

/// A random expression over `x` and `y` using every operator the Coq term language has
/// (negative and fractional constants, integer powers, `abs`, `floor`, `ceil`, `min`, `max`,
/// `sum`, `prod`, `rec`, `exp`, `sqrt`, `ln`).
fn random_expr(rng: &mut rand_chacha::ChaCha8Rng, depth: u32) -> String {
    use rand::Rng;
    if depth == 0 || rng.gen_bool(0.25) {
        return match rng.gen_range(0..6) {
            0 => "x".into(),
            1 => "y".into(),
            2 => format!("{}", rng.gen_range(0..9)),
            3 => format!("({}/{})", rng.gen_range(1..9), rng.gen_range(2..9)),
            4 => format!("(-{}/{})", rng.gen_range(1..9), rng.gen_range(1..5)),
            _ => "1.25".into(),
        };
    }
    let mut sub = || random_expr(rng, depth - 1);
    let (a, b) = (sub(), sub());
    match rng.gen_range(0..17) {
        0 => format!("({a} + {b})"),
        1 => format!("({a} - {b})"),
        2 => format!("({a} * {b})"),
        3 => format!("({a} / (1 + abs({b})))"),
        4 => format!("(-{a})"),
        5 => format!("({a})^{}", rng.gen_range(-2..4)),
        6 => format!("abs({a})"),
        7 => format!("floor({a})"),
        8 => format!("ceil({a})"),
        9 => format!("min({a}, {b})"),
        10 => format!("max({a}, {b})"),
        11 => format!("sum(i, -1, 2, {a} + i*{b})"),
        12 => format!("prod(i, 1, 3, {a} + i)"),
        13 => format!("rec(z, t, 1, 3, {a}, z/2 + t*{b})"),
        // the rational values of the transcendental functions (exp 0, ln 1, square roots of
        // squares), and irrational ones that both evaluators leave alone
        14 => format!("exp({a} - {a})"),
        15 => format!("sqrt(({a})^2)"),
        _ => format!("ln(1 + abs({a}))"),
    }
}

#[test]
fn the_term_printer_round_trips_through_coqc() {
    // random expressions of every operator, printed as Coq terms: coqc must parse each and
    // compute with `vm_compute` the value the Rust mirror computes (a printer that drops
    // brackets, as `Range Neg (Cst …)` once did, or misprints an operator fails here)
    use rand::SeedableRng;
    use rug::Rational;
    use stabcert::certify::term::{BigQv, CoqNum, Work, coq_q, reify};
    let d = scratch("printer");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x9e1f);
    let (x, y) = (Rational::from((-7, 3)), Rational::from((5, 2)));
    let mut s = format!(
        "From Coq Require Import ZArith QArith List.\nFrom Bignums Require Import BigQ.\nFrom Stabcert Require Import Stabcert.\nImport ListNotations.\n\nDefinition env : list Q := [{}; {}].\nDefinition benv : list bigQ := map BigQ.of_Q env.\n\n",
        coq_q(&y),
        coq_q(&x)
    );
    let mut lemmas = 0;
    for k in 0..200 {
        let src = random_expr(&mut rng, 3);
        let e = stabcert::parse_expr(&src).unwrap_or_else(|err| panic!("{src}: {err}"));
        let t = reify(&e, &mut vec!["x".to_string(), "y".to_string()]).expect("reifies");
        let mut env = vec![x.clone(), y.clone()];
        let q = t.qeval(&mut env, &mut Work::new(1 << 24)).expect("small");
        // the machine-word evaluator (`evalB`, what whole-grid theorems run) and its Rust
        // mirror give the same value, or give up at the same expressions
        let mut benv: Vec<BigQv> = env.iter().map(BigQv::lit).collect();
        let b = t.beval(&mut benv, &mut Work::new(1 << 40)).expect("small");
        assert_eq!(q, b, "{src}");
        let Some(v) = q else {
            s.push_str(&format!(
                "(* {src} *)\nLemma b{k} : evalB benv ({}) = None.\nProof. vm_compute. reflexivity. Qed.\n\n",
                t.coq()
            ));
            continue; // undefined there (a zero to a negative power, an irrational value): no value
        };
        s.push_str(&format!(
            "(* {src} *)\nLemma e{k} : evalQ env ({t}) = Some {v}.\nProof. vm_compute. reflexivity. Qed.\nLemma b{k} : match evalB benv ({t}) with Some b => Qeq_bool (BigQ.to_Q b) {v} | None => false end = true.\nProof. vm_compute. reflexivity. Qed.\n\n",
            t = t.coq(),
            v = coq_q(&v)
        ));
        lemmas += 1;
    }
    assert!(lemmas >= 100, "{lemmas} expressions with values");
    std::fs::write(d.join("printer.v"), &s).unwrap();
    let o = coqc(&d, "printer.v");
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn touching_inequalities_are_proved_by_monotonicity_from_the_touching_end() {
    // classical inequalities whose sides meet at an end of the interval, where `interval`
    // alone cannot separate them: 1 + x <= e^x and ln(1 + x) <= x (touching at 0, the
    // derivative touching too), x e^(1 - x) <= 1 (touching at the upper end 1), and
    // e^(n x) >= 1 + n x with an integer parameter n beside the real one
    require_coqc();
    let d = tmpdir("touching");
    std::fs::write(
        d.join("c.toml"),
        r#"[[claim]]
id = "exp_tangent"
source = "test"
text = "1 + x <= e^x"
params = ["x in (0, 1/2]"]
holds = "1 + x <= exp(x)"

[[claim]]
id = "log_tangent"
source = "test"
text = "ln(1 + x) <= x"
params = ["x in [0, 1]"]
holds = "ln(1 + x) <= x"

[[claim]]
id = "peak_at_end"
source = "test"
text = "x e^(1 - x) <= 1 on [0, 1]"
params = ["x in [0, 1]"]
holds = "x*exp(1 - x) <= 1"

[[claim]]
id = "scaled"
source = "test"
text = "e^(n x) >= 1 + n x"
params = ["n in 1..=3", "x in (0, 1/4]"]
holds = "exp(n*x) >= 1 + n*x"
"#,
    )
    .unwrap();
    let out = d.join("coq");
    let certs = &certify_all(&[], &out, &d.join("c.toml"));
    assert_eq!(certs.len(), 4);
    for c in certs {
        assert_eq!(c["verdict"], "certified", "{c}");
        assert_eq!(c["coq"], "checked by Coq", "{c}");
        assert_eq!(c["coverage"]["kind"], "whole", "{c}");
        let file = c["certificate"].as_str().unwrap();
        let name = Path::new(file).file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(text.contains("touching ("), "{name}: {text}");
    }
    // the proof rests on the kernel: the same script for x e^(1 - x) <= 99/100, which is
    // false near x = 1, is rejected
    assert_edit_rejected(
        &out,
        "peak_at_end.v",
        |t| {
            t.replace(
                "Definition rhs : E := (Cst (Qmake 1 1)).",
                "Definition rhs : E := (Cst (Qmake 99 100)).",
            )
        },
        "x e^(1 - x) <= 99/100 on [0, 1]",
    );
}

#[test]
fn a_box_holding_every_point_proves_the_whole_domain_or_falls_back_to_points() {
    // with two real parameters (a and b) the reflective theorem over one real interval
    // does not apply: 3 T^a/n^(1+a) + b >= T^a/n^(1+a) on 435 integer points (n, T) is
    // proved by one `interval` theorem over the box n in [2, 30], T in [3, 31],
    // a in (0, 1/4], b in [0, 1], which holds them all; (n - 1)(n - 2) e^a + b >= 0 holds at
    // every integer n but not between 1 and 2 (b = 0), so its box theorem is rejected and the
    // coverage falls back to the theorems per point
    require_coqc();
    let d = tmpdir("hull");
    std::fs::write(
        d.join("c.toml"),
        r#"[[claim]]
id = "hull_true"
source = "test"
text = "3 T^a/n^(1+a) + b >= T^a/n^(1+a)"
params = ["n in 2..=30", "T in n+1..=31", "a in (0, 1/4]", "b in [0, 1]"]
holds = "3*T^a/n^(1 + a) + b >= T^a/n^(1 + a)"

[[claim]]
id = "integers_only"
source = "test"
text = "(n - 1)(n - 2) e^a + b >= 0 at integers n"
params = ["n in 1..=20", "a in (0, 1/2]", "b in [0, 1]"]
holds = "(n - 1)*(n - 2)*exp(a) + b >= 0"
"#,
    )
    .unwrap();
    let out = d.join("coq");
    let certs = &certify_all(&[], &out, &d.join("c.toml"));
    let hull = &certs[0];
    assert_eq!(hull["verdict"], "certified", "{hull}");
    assert_eq!(hull["coverage"]["kind"], "whole", "{hull}");
    let detail = hull["coverage"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("n in [2, 30], T in [3, 31], a in (0, 1/4], b in [0, 1]"),
        "{detail}"
    );
    let ints = &certs[1];
    assert_eq!(ints["verdict"], "certified", "{ints}");
    assert_eq!(ints["coq"], "checked by Coq", "{ints}");
    assert_eq!(ints["coverage"]["kind"], "partial", "{ints}");
    let detail = ints["coverage"]["detail"].as_str().unwrap();
    assert!(detail.contains("8 of the 20 integer points"), "{detail}");
    // the box theorem is the kernel's: with the left side halved the relation fails and
    // coqc rejects the script
    assert_edit_rejected(
        &out,
        "hull_true.v",
        |t| t.replacen("Mul (Cst (Qmake 3 1))", "Mul (Cst (Qmake 1 2))", 1),
        "T^a/(2 n^(1+a)) + b >= T^a/n^(1+a)",
    );
}

#[test]
fn recurrences_in_a_real_parameter_are_proved_on_the_whole_domain() {
    // x_{t+1} = (1 + a/t) x_t + 1/t from x_1 = 0 gives x_T >= T^a for T in 4..=30 and every
    // a in (0, 1/10] (x_T grows with a and is H_{T-1} >= 1.83 at a = 0, while
    // T^a <= 30^(1/10) < 1.41): one reflective theorem evaluates both sides by interval
    // arithmetic over a's interval at each of the 27 integer points. e^(1/n) <= 1 + 1/n +
    // 1/n^2 at n = 1..=200 (every value irrational) is one reflective theorem too.
    require_coqc();
    let d = tmpdir("realgrid");
    std::fs::write(
        d.join("c.toml"),
        r#"[[claim]]
id = "rec_real"
source = "test"
text = "x_T >= T^a"
params = ["T in 4..=30", "a in (0, 1/10]"]
let = ["x = rec(x, t, 1, T, 0, (1 + a/t)*x + 1/t)"]
holds = "x >= T^a"

[[claim]]
id = "exp_grid"
source = "test"
text = "e^(1/n) <= 1 + 1/n + 1/n^2"
params = ["n in 1..=200"]
holds = "exp(1/n) <= 1 + 1/n + 1/n^2"
"#,
    )
    .unwrap();
    let out = d.join("coq");
    let certs = &certify_all(&[], &out, &d.join("c.toml"));
    for c in certs {
        assert_eq!(c["verdict"], "certified", "{c}");
        assert_eq!(c["coq"], "checked by Coq", "{c}");
        assert_eq!(c["coverage"]["kind"], "whole", "{c}");
    }
    let detail = certs[0]["coverage"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("27 integer points with the whole interval of `a`"),
        "{detail}"
    );
    let text = std::fs::read_to_string(out.join("rec_real.v")).unwrap();
    assert!(text.contains("check_real_sound"), "{text}");
    let text = std::fs::read_to_string(out.join("exp_grid.v")).unwrap();
    assert!(text.contains("checkJ_soundB"), "{text}");
    // the kernel's checks: 2 T^a fails at T = 4 near a = 0 (1 + 1/2 + 1/3 < 2), and
    // e^(1/n) <= 1 + 1/n fails everywhere; coqc rejects both scripts
    assert_edit_rejected(
        &out,
        "rec_real.v",
        |t| {
            t.replace(
                "Definition rhs : E := Pow (Var 1) (Var 0).",
                "Definition rhs : E := Mul (Cst (Qmake 2 1)) (Pow (Var 1) (Var 0)).",
            )
        },
        "x_T >= 2 T^a",
    );
    assert_edit_rejected(
        &out,
        "exp_grid.v",
        |t| {
            t.replace(
                "Definition rhs : E := Add (Add (Cst (Qmake 1 1)) (Div (Cst (Qmake 1 1)) (Var 0))) (Div (Cst (Qmake 1 1)) (PowZ (Var 0) (2))).",
                "Definition rhs : E := Add (Cst (Qmake 1 1)) (Div (Cst (Qmake 1 1)) (Var 0)).",
            )
        },
        "e^(1/n) <= 1 + 1/n",
    );
}

#[test]
fn floors_and_ceilings_of_rationals_are_computed_by_coq() {
    // floor(n k/4) <= n k/4 <= ceil(n k/4) on 300 integer points: a whole-grid theorem;
    // 3 floor(n/3) >= n - 1 fails at n = 2 (0 >= 1), the first n with n mod 3 = 2
    // (3 floor(n/3) = n - 2 there, checked with Python's fractions: min over n in 1..=30 of
    // 3*floor(n/3) - (n - 1) is -1, first at n = 2)
    require_coqc();
    let d = tmpdir("floors");
    std::fs::write(
        d.join("c.toml"),
        r#"[[claim]]
id = "floor_grid"
source = "test"
text = "floor(n k/4) <= n k/4 <= ceil(n k/4)"
params = ["n in 1..=30", "k in 1..=10"]
chain = ["floor(n*k/4)", "<=", "n*k/4", "<=", "ceil(n*k/4)"]

[[claim]]
id = "floor_fails"
source = "test"
text = "3 floor(n/3) >= n - 1"
params = ["n in 1..=30"]
holds = "3*floor(n/3) >= n - 1"
"#,
    )
    .unwrap();
    let out = d.join("coq");
    let certs = &certify_all(&[], &out, &d.join("c.toml"));
    for c in certs {
        assert_eq!(c["coq"], "checked by Coq", "{c}");
        assert_eq!(c["coverage"]["kind"], "whole", "{c}");
    }
    let fails = certs.iter().find(|c| c["id"] == "floor_fails").unwrap();
    assert_eq!(fails["verdict"], "refuted", "{fails}");
    let text = std::fs::read_to_string(out.join("floor_fails.v")).unwrap();
    assert!(text.contains("[(Qmake 2 1)]"), "{text}");
    // Coq's value of the floor is checked: the script stating floor(2/3) = 1 instead of 0
    // (so 3 >= 1, which holds) is rejected
    assert_edit_rejected(
        &out,
        "floor_fails.v",
        |t| {
            t.replacen(
                "evalQ refuted_point lhs = Some (Qmake 0 1)",
                "evalQ refuted_point lhs = Some (Qmake 3 1)",
                1,
            )
        },
        "floor(2/3) = 1",
    );
}

#[test]
fn grids_with_rational_powers_are_proved_whole_by_enclosures() {
    // T^(1/10) <= 1 + T/10 (Bernoulli) at the 300 integers T: every value irrational but
    // one, so no exact check; one reflective theorem encloses the powers between rationals
    require_coqc();
    let d = tmpdir("enclosures");
    std::fs::write(
        d.join("c.toml"),
        r#"[[claim]]
id = "bernoulli_root"
source = "test"
text = "T^(1/10) <= 1 + T/10"
params = ["T in 1..=300"]
holds = "T^(1/10) <= 1 + T/10"
"#,
    )
    .unwrap();
    let out = d.join("coq");
    let c = &certify_first(&[], &out, &d.join("c.toml"));
    assert_eq!(c["coq"], "checked by Coq", "{c}");
    assert_eq!(c["coverage"]["kind"], "whole", "{c}");
    let text = std::fs::read_to_string(out.join("bernoulli_root.v")).unwrap();
    assert!(text.contains("checkI_sound"), "{text}");
    // the kernel's check: with the constant 1 made 1/2 the relation fails at T = 1 (1 on
    // the left, at most 3/5 on the right) and the script is rejected
    assert_edit_rejected(
        &out,
        "bernoulli_root.v",
        |t| t.replace("(Cst (Qmake 1 1))", "(Cst (Qmake 1 2))"),
        "a relation that fails at T = 1",
    );
}

/// Writes `file` (a script in `out`) edited by `edit` as `tampered.v` and asserts that the
/// edit changed it and that coqc rejects the result (`why`: what it would have accepted).
fn assert_edit_rejected(out: &Path, file: &str, edit: impl Fn(&str) -> String, why: &str) {
    let text = std::fs::read_to_string(out.join(file)).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "{text}");
    std::fs::write(out.join("tampered.v"), edited).unwrap();
    let o = coqc(out, "tampered.v");
    assert!(!o.status.success(), "coqc accepted {why}");
}

/// The twin-SGD library for constructions given by their loss (`Twin.v`): Coq computes,
/// with its merged law, the values of E|w_T - w'_T| and E|w_T - w'_T|^2 that the
/// brute-force oracle `tests/oracles/loss_construction.py` prints for its absolute-loss
/// construction (T = 7, with replacement and reshuffling), and carries one of them over to
/// the law by definition — one entry per index sequence, 729 of them — through the proved
/// theorem `lawM_sound`; a value changed in one digit is rejected.
#[test]
fn twin_library_computes_the_oracle_values() {
    let d = scratch("twin");
    let o = coqc(&d, "Twin.v");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let test = r#"From Coq Require Import ZArith QArith List.
From Stabcert Require Import Twin.
Import ListNotations.
Open Scope Q_scope.

Definition c (r : bool) : Twin := {|
  loss := LAbs (LSub (LMul (LW 0) (LF 0)) (LF 1)); dim := 1;
  exS := [[1; 1]; [1; 0]; [1; 0]]; exS' := [[-1; 1]; [1; 0]; [1; 0]];
  alpha := fun t => 1 # Z.to_pos (t + 1); first := 1; start := [0]; reshuffle := r |}.

Lemma div7 : sumL dist1 (lawM (c false) 6) == 65021 # 153090.
Proof. vm_compute. reflexivity. Qed.
Lemma sq7 : sumL sqdist (lawM (c false) 6) == 118481 # 306180.
Proof. vm_compute. reflexivity. Qed.
Lemma div7r : sumL dist1 (lawM (c true) 6) == 41 # 210.
Proof. vm_compute. reflexivity. Qed.
Lemma sq7r : sumL sqdist (lawM (c true) 6) == 19289 # 396900.
Proof. vm_compute. reflexivity. Qed.
Lemma defined : length (lawU (c false) 6) = 729%nat.
Proof. vm_compute. reflexivity. Qed.
Lemma div7U : sumL dist1 (lawU (c false) 6) == 65021 # 153090.
Proof. rewrite <- lawM_sound. exact div7. Qed.
"#;
    std::fs::write(d.join("TwinTest.v"), test).unwrap();
    let o = coqc(&d, "TwinTest.v");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(d.join("TwinBad.v"), test.replace("41 # 210", "41 # 211")).unwrap();
    let o = coqc(&d, "TwinBad.v");
    assert!(!o.status.success(), "coqc accepted a wrong value");
}

/// Claims on a construction given by its loss are proved by Coq through `Twin.v`: the
/// construction is restated (loss, S, S', step, first step, start, sampling), each
/// quantity is the twin process's by definition (the law over every index sequence) and
/// computed in the proof by the merged law. A bound certified on a grid of T, the
/// oracle's exact value of E|Delta_7| (tests/oracles/loss_construction.py), a minimal
/// counterexample, the law of the first draw of the differing example on a (T, s) grid,
/// a refutation under reshuffling with a parameter in the step, an exact divergence in
/// two weights (the runs differ along one direction, so every norm is rational), the
/// largest gradient norm on the reached region (3/2, by hand: a shared example at the start
/// w2 = 3, |h'(3) - 1/2|) and a refuted bound on the smallest loss there, the total
/// expectation over the state at t0, the slopes of f' between reached iterates, a best
/// constant's end, and — where a norm in two weights is irrational (sqrt(5)/4 at T = 2, by
/// hand in the claim's text) — a bound and a refutation through `TwinR.v`'s box law: all
/// thirteen proved on their whole domain. A digit changed in the step size or in S' of the
/// exact-value script makes coqc reject it; a quantity Coq does not restate is reported as
/// such.
#[test]
fn loss_construction_claims_are_proved_by_coq() {
    require_coqc();
    let out = tmpdir("twin-claims");
    let file = root().join("tests/data/loss_construction_coq.toml");
    let certs = certify_all(&[], &out, &file);
    assert_eq!(certs.len(), 13);
    for c in &certs {
        assert_eq!(c["coq"], "checked by Coq", "{}: {c}", c["id"]);
        assert_eq!(c["coverage"]["kind"], "whole", "{}", c["id"]);
    }
    // a search's end over the quantities: the best constant 1093/2430, attained at T = 5
    // (tests/oracles/loss_construction.py prints it: every index sequence, fractions)
    let constant = certs.iter().find(|c| c["id"] == "constant").unwrap();
    assert!(
        constant["proves"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "best_holds: the relation holds at K = 1093/2430, T = 5"),
        "{constant}"
    );
    // the grid's points share their instance's laws (computed once by `build`); the table
    // is not trusted: with its horizon cut to 0 (nothing shared), coqc still accepts
    let bound = std::fs::read_to_string(out.join("bound.v")).unwrap();
    assert!(
        bound.contains("checkExtC Le lhs rhs spec calls (build spec ["),
        "{bound}"
    );
    let at = bound.find("%nat)]").expect("a hint's horizon");
    let digits = bound[..at].len()
        - bound[..at]
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .len();
    let cut = format!("{}0{}", &bound[..at - digits], &bound[at..]);
    std::fs::write(out.join("bound_unshared.v"), cut).unwrap();
    let o = coqc(&out, "bound_unshared.v");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let norm = std::fs::read_to_string(out.join("irrational_norm.v")).unwrap();
    assert!(norm.contains("ClaimExtR Le lhs rhs spec calls"), "{norm}");
    let exact = std::fs::read_to_string(out.join("exact.v")).unwrap();
    assert!(exact.contains("ClaimExt Eq lhs rhs spec calls"), "{exact}");
    for marker in ["sstep :=", "sS' :="] {
        let bad = tamper(&exact, marker).expect("a digit to change");
        let name = format!("tampered_{}.v", marker.len());
        std::fs::write(out.join(&name), bad).unwrap();
        let o = coqc(&out, &name);
        assert!(
            !o.status.success(),
            "coqc accepted exact.v with a digit changed after `{marker}`"
        );
    }
    // a quantity TwinR.v does not restate for a loss with irrational values: said, not guessed
    let other = tmpdir("twin-unsupported");
    let text = std::fs::read_to_string(&file).unwrap()
        + "\n[[construction]]\nid = \"logistic\"\nsource = \"t\"\ntext = \"t\"\nloss = \"ln(1 + exp(-y*w*x))\"\ns = [[\"1\", \"1\"], [\"1\", \"1\"]]\ns_twin = [[\"1\", \"-1\"], [\"1\", \"1\"]]\nstep = \"1/2\"\nsampling = \"with-replacement\"\n\n[[claim]]\nid = \"logit\"\nsource = \"t\"\ntext = \"t\"\nconstruction = \"logistic\"\nparams = [\"T in 2..=4\"]\nholds = \"slope_max_T <= 100\"\n";
    let f2 = other.join("logit.toml");
    std::fs::write(&f2, text).unwrap();
    let certs = certify_all(&["--only", "logit"], &other.join("out"), &f2);
    assert_eq!(certs[0]["coverage"]["kind"], "none");
    assert!(
        certs[0]["coverage"]["detail"].as_str().unwrap().contains(
            "`logistic.slope_max_T` has no Coq restatement for losses with irrational values yet"
        ),
        "{}",
        certs[0]
    );
}

/// A loss with irrational values (the logistic loss): `TwinR.v` restates the process in the
/// reals and Coq encloses every quantity by the box law (64-bit intervals, rounded
/// outward), proved to contain the real law entry by entry. The pinned values are the
/// mpmath oracle's (`tests/oracles/logistic_construction.py`, every index sequence at 80
/// digits), to 10^-12: Coq proves all of them (the conditionals on w_t0 = w'_t0 included:
/// the runs agree where no differing example was drawn, and their boxes are apart
/// elsewhere), the refutation of the oracle's value less 10^-12, a bound on a grid of
/// times, the total expectation over (T, t0) and the refutation of the loss range; a digit
/// changed in the step or in S' is rejected by coqc.
#[test]
fn irrational_loss_claims_are_proved_by_coq() {
    require_coqc();
    let out = tmpdir("twin-real");
    let file = root().join("tests/data/logistic_coq.toml");
    let certs = certify_all(&[], &out, &file);
    assert_eq!(certs.len(), 12);
    for c in &certs {
        assert_eq!(c["coq"], "checked by Coq", "{}: {c}", c["id"]);
        assert_eq!(c["coverage"]["kind"], "whole", "{}", c["id"]);
    }
    let div = std::fs::read_to_string(out.join("div.v")).unwrap();
    assert!(div.contains("ClaimExtR Le lhs rhs spec calls"), "{div}");
    let off = std::fs::read_to_string(out.join("off.v")).unwrap();
    assert!(off.contains("RefutedExtR Le lhs rhs spec calls"), "{off}");
    for marker in ["rsstep :=", "rsS' :="] {
        let bad = tamper(&div, marker).expect("a digit to change");
        let name = format!("tampered_{}.v", marker.len());
        std::fs::write(out.join(&name), bad).unwrap();
        let o = coqc(&out, &name);
        assert!(
            !o.status.success(),
            "coqc accepted div.v with a digit changed after `{marker}`"
        );
    }
    // more than Coq's budget: said, with the reason
    let other = tmpdir("twin-real-large");
    let text = std::fs::read_to_string(&file).unwrap()
        + "\n[[claim]]\nid = \"long\"\nsource = \"t\"\ntext = \"t\"\nconstruction = \"logistic\"\nparams = [\"T in 1..=12\"]\nholds = \"div_T <= T\"\n";
    let f2 = other.join("long.toml");
    std::fs::write(&f2, text).unwrap();
    let certs = certify_all(&["--only", "long"], &other.join("out"), &f2);
    assert_eq!(certs[0]["coverage"]["kind"], "none");
    assert!(
        certs[0]["coverage"]["detail"]
            .as_str()
            .unwrap()
            .contains("state updates"),
        "{}",
        certs[0]
    );
}
