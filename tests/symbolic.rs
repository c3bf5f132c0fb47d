//! The symbolic engine end to end (CLI, JSON shape) and property tests over random monomial
//! bounds: normal forms agree with their inputs, regrouped and reordered products are proved
//! equal, ratios invert, and a solved crossover has the truth value of `A <= B` (each checked
//! inside the engine by the rigorous real engine; a failed check would surface as `unknown`).

use proptest::prelude::*;
use serde_json::Value;
use stabcert::expr::parse_expr;
use stabcert::symbolic::{self, range::Assumptions};
use std::process::Command;

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_stabcert"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const THM4: &str = "2*L^2*T^a/n^(1+a)";
const HARDT: &str = "(1 + 1/a)/(n - 1)*(2*a*L^2)^(1/(a + 1))*T^(a/(a + 1))";

fn json(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert_eq!(code, Some(0), "{err}");
    serde_json::from_str(&out).unwrap()
}

fn parses(v: &Value) {
    for k in ["result", "constant"] {
        if let Some(s) = v[k].as_str() {
            parse_expr(s).unwrap_or_else(|e| panic!("{k} `{s}` does not parse: {e:?}"));
        }
    }
    for k in ["condition", "asymptotic"] {
        if let Some(s) = v[k].as_str() {
            // a relation (crossover) or the order of A/B (dominance)
            assert!(
                stabcert::expr::parse_relation(s).is_ok() || parse_expr(s).is_ok(),
                "{k} `{s}` does not parse"
            );
        }
    }
    for d in v["dropped"].as_array().into_iter().flatten() {
        parse_expr(d.as_str().unwrap()).unwrap();
    }
}

#[test]
fn crossover_of_theorem_4_and_hardt_with_the_dropped_constants() {
    let v = json(&[
        "symbolic",
        "crossover",
        THM4,
        HARDT,
        "--solve-for",
        "T",
        "--assume",
        "a in (0, 1)",
        "--assume",
        "n in 2..=1000000000",
        "--json",
    ]);
    parses(&v);
    assert_eq!(v["status"], "proved");
    // the paper's "T^(a/(1+a)) <= n" is this statement to the power 1/a
    assert_eq!(v["asymptotic"], "T^(a^2/(a + 1)) <= n^a");
    let dropped: Vec<&str> = v["dropped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(
        dropped.contains(&"1 + 1/a") && dropped.contains(&"n/(n - 1)"),
        "{dropped:?}"
    );
    assert!(v["check"].as_str().unwrap().contains("24 of 24"));
}

#[test]
fn ratio_and_dominance_along_a_path() {
    let v = json(&[
        "symbolic",
        "ratio",
        THM4,
        HARDT,
        "--assume",
        "a in (0, 1)",
        "--assume",
        "n in 2..=10^9",
        "--json",
    ]);
    parses(&v);
    assert_eq!(v["status"], "proved");
    // without a path the exponents of n and T have opposite signs: no answer
    let v = json(&[
        "symbolic",
        "dominance",
        THM4,
        HARDT,
        "--as",
        "n,T",
        "--assume",
        "a in (0, 1)",
        "--assume",
        "n in 2..=10^9",
        "--json",
    ]);
    assert_eq!(v["status"], "unknown");
    assert_eq!(v["asymptotic"], "n^-a*T^(a^2/(a + 1))");
    // along T = n^2 Hardt's bound is larger: A/B = n^((a^2 - a)/(a + 1)) -> 0
    let v = json(&[
        "symbolic",
        "dominance",
        THM4,
        HARDT,
        "--as",
        "n,T",
        "--path",
        "T = n^2",
        "--assume",
        "a in (0, 1)",
        "--assume",
        "n in 2..=10^9",
        "--json",
    ]);
    parses(&v);
    assert_eq!(v["status"], "proved");
    assert_eq!(v["asymptotic"], "n^((a^2 - a)/(a + 1))");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .starts_with("B is asymptotically larger")
    );
}

#[test]
fn equal_proves_refutes_or_says_unknown() {
    let v = json(&["symbolic", "equal", "(x + 1)^2", "x^2 + 2*x + 1", "--json"]);
    assert_eq!(v["status"], "proved");
    assert!(v["reason"].as_str().unwrap().contains("Rewrite"));
    let v = json(&["symbolic", "equal", "(x + 1)^2", "x^2 + 1", "--json"]);
    assert_eq!(v["status"], "refuted");
    assert!(v["point"]["x"].is_string());
    // x may be 0 here: x/x = 1 is not a rewrite, and 0/0 is undefined, so no point refutes it
    let v = json(&[
        "symbolic",
        "equal",
        "x/x",
        "1",
        "--assume",
        "x in (-1, 1)",
        "--json",
    ]);
    assert_ne!(v["status"], "refuted");
    let v = json(&[
        "symbolic",
        "simplify",
        "x/x",
        "--assume",
        "x in (-1, 1)",
        "--json",
    ]);
    assert_ne!(v["result"], "1");
}

/// Sums over the same range are equal when their terms are (a constant factor outside may
/// move in); the index ranges over its bounds' hull, an integer, so rules that need it
/// positive apply only where the bounds say so. Different ranges, different terms, a factor
/// outside a product: no proof.
#[test]
fn sums_are_compared_term_by_term() {
    let eq = |a: &str, b: &str, assume: &[&str]| {
        let mut asm = Assumptions::default();
        for s in assume {
            asm.add(s).unwrap();
        }
        let ans = symbolic::equal(&parse_expr(a).unwrap(), &parse_expr(b).unwrap(), &asm);
        (ans.status, ans.reason.unwrap_or_default())
    };
    let (status, why) = eq("sum(t, 1, T, c*t)", "c*sum(t, 1, T, t)", &[]);
    assert_eq!(status, "proved");
    assert!(why.starts_with("termwise"), "{why}");
    let (status, _) = eq(
        "sum(t, t0 + 1, T, y/t*exp(a*ln(T/t)))",
        "y*T^a*sum(t, t0 + 1, T, 1/t^(1 + a))",
        &["t0 in 1..=4", "T in 2..=16", "a in [1/100, 1/10]"],
    );
    assert_eq!(status, "proved");
    // ln(t*x) = ln(t) + ln(x) needs t > 0: true for t from 1, not from -3 (t = 0 is a term)
    let (status, _) = eq(
        "sum(t, 1, T, ln(t*x))",
        "sum(t, 1, T, ln(t) + ln(x))",
        &["T in 1..=9", "x in [1, 2]"],
    );
    assert_eq!(status, "proved");
    let (status, _) = eq(
        "sum(t, -3, T, ln(t*x))",
        "sum(t, -3, T, ln(t) + ln(x))",
        &["T in 1..=9", "x in [1, 2]"],
    );
    assert_ne!(status, "proved");
    for (a, b) in [
        ("sum(t, 1, T, t)", "sum(t, 2, T, t)"),
        ("sum(t, 1, T, t)", "sum(t, 1, T, t^2)"),
        ("2*prod(t, 1, T, t)", "prod(t, 1, T, 2*t)"),
    ] {
        let (status, why) = eq(a, b, &["T in 1..=9"]);
        assert_ne!(status, "proved", "{a} = {b}: {why}");
    }
    let (status, _) = eq(
        "prod(t, 1, T, 2*t)",
        "prod(t, 1, T, t + t)",
        &["T in 1..=9"],
    );
    assert_eq!(status, "proved");
}

/// Rules that drop a subterm (`0*a = 0`, `a - a = 0`, `a^0 = 1`) never drop one that may be
/// undefined, and exponents do not cancel a divisor that may be 0; a defined subterm is
/// still dropped.
#[test]
fn undefined_subterms_are_not_rewritten_away() {
    for (a, b, assume) in [
        ("0*(1/(n-n))", "0", "n in 2..=10"),
        ("(1/(n-n)) - (1/(n-n))", "0", "n in 2..=10"),
        ("(ln(n-3))^0", "1", "n in 2..=10"),
        ("sqrt(n - 5)*0", "0", "n in 2..=10"),
    ] {
        let v = json(&["symbolic", "equal", a, b, "--assume", assume, "--json"]);
        assert_ne!(v["status"], "proved", "{a} = {b}: {v}");
    }
    let v = json(&["symbolic", "equal", "x*0", "0", "--json"]);
    assert_eq!(v["status"], "proved", "{v}");
    let v = json(&[
        "symbolic",
        "simplify",
        "x^((n-1)/(n-1))",
        "--assume",
        "n in 1..=5",
        "--json",
    ]);
    assert_ne!(v["result"], "x", "{v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("not provably nonzero"),
        "{v}"
    );
}

#[test]
fn outside_the_class_is_unsupported_and_bad_input_exits_2() {
    let v = json(&["symbolic", "simplify", "sum(i, 1, n, i)", "--json"]);
    assert_eq!(v["status"], "unsupported");
    assert!(v["reason"].as_str().unwrap().contains("sums"));
    let v = json(&[
        "symbolic",
        "ratio",
        "x^a",
        "1",
        "--assume",
        "x in (-1, 1)",
        "--json",
    ]);
    assert_eq!(v["status"], "unsupported");
    // an exponential in a growing variable is not a constant factor to drop
    let v = json(&[
        "symbolic",
        "dominance",
        "exp(a*T)*T",
        "T^2",
        "--as",
        "T",
        "--assume",
        "a in (0, 1)",
        "--json",
    ]);
    assert_eq!(v["status"], "unsupported", "{v}");
    let (code, _, err) = run(&["symbolic", "ratio", "2*", "1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("A:1:3"), "{err}");
    let (code, _, err) = run(&["symbolic", "simplify", "x", "--assume", "a in (0, b)"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--assume"), "{err}");
}

/// A random monomial bound: coefficient, and powers of n, T, L with exponents that are
/// rational constants or affine in a.
fn monomial() -> impl Strategy<Value = String> {
    let exp = (-3i32..=3, 1i32..=4, -2i32..=2).prop_map(|(p, q, k)| {
        if k == 0 {
            format!("({p}/{q})")
        } else {
            format!("({p}/{q} + {k}*a)")
        }
    });
    (
        1u32..50,
        1u32..9,
        prop::collection::vec((0usize..3, exp), 1..5),
    )
        .prop_map(|(c, d, fs)| {
            let mut s = format!("{c}/{d}");
            for (v, e) in fs {
                s.push_str(&format!("*{}^{e}", ["n", "T", "L"][v]));
            }
            s
        })
}

fn paper() -> Assumptions {
    let mut a = Assumptions::default();
    a.add("a in (0, 1)").unwrap();
    a.add("n in 2..=100000").unwrap();
    a.add("T in 1..=100000").unwrap();
    a.add("L in (0, 10)").unwrap();
    a
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    #[test]
    fn normal_forms_agree_and_regroupings_are_equal(a in monomial(), b in monomial()) {
        let asm = paper();
        let ea = parse_expr(&a).unwrap();
        let s = symbolic::simplify(&ea, &asm);
        prop_assert_eq!(&s.status, "proved", "{:?}", s);
        // the normal form is itself proved equal to the input
        let back = parse_expr(s.result.as_ref().unwrap()).unwrap();
        let eq = symbolic::equal(&ea, &back, &asm);
        prop_assert_eq!(&eq.status, "proved", "{:?}", eq);
        // (A*B)/B is A
        let eb = parse_expr(&b).unwrap();
        let ab = parse_expr(&format!("({a})*({b})/({b})")).unwrap();
        let eq = symbolic::equal(&ab, &ea, &asm);
        prop_assert_eq!(&eq.status, "proved", "{:?}", eq);
        // ratio A/B then B/A multiply to 1
        let r1 = symbolic::ratio(&ea, &eb, &asm);
        let r2 = symbolic::ratio(&eb, &ea, &asm);
        prop_assert_eq!(&r1.status, "proved");
        let prod = parse_expr(&format!("({})*({})", r1.result.unwrap(), r2.result.unwrap())).unwrap();
        let one = symbolic::simplify(&prod, &asm);
        prop_assert_eq!(one.result.as_deref(), Some("1"));
        // a crossover, when T appears, has the truth value of A <= B wherever it is checked
        let c = symbolic::crossover(&ea, &eb, "T", &[], &asm);
        prop_assert!(c.status != "unknown" || c.reason.as_deref().is_some_and(|r| r.contains("sign of the exponent")), "{:?}", c);
    }
}

/// The `[[symbolic]]` claims of the catalogue. The figures F (how far the exact crossover
/// lies beyond the claimed T = n^((1+a)/a)) were confirmed by `tests/oracles/symbolic.py`
/// (mpmath, solving Theorem 4 = Theorem 3.12 for T): 1.0544452e12, 12.098635 and
/// 1.0544452e-8; the first also matches the numeric claim `thm4.vs_hardt.crossover`.
#[test]
fn the_papers_symbolic_claims() {
    let root = env!("CARGO_MANIFEST_DIR");
    let v = json(&[
        "check",
        &format!("{root}/proofs/paper/symbolic.toml"),
        &format!("{root}/proofs/paper/hardt2016.toml"),
        "--json",
    ]);
    let get = |id: &str| {
        v["claims"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no {id}"))
            .clone()
    };
    for id in [
        "thm4.vs_hardt.order",
        "table1.convex.upper.order",
        "table1.nonconvex.upper.hardt.order",
        "table1.nonconvex.upper.thm4.order",
    ] {
        let c = get(id);
        assert_eq!(c["verdict"], "certified", "{id}: {}", c["reason"]);
        assert_eq!(c["engine"], "symbolic");
    }
    let r = get("thm4.vs_hardt.regime");
    assert_eq!(r["verdict"], "refuted");
    let why = r["reason"].as_str().unwrap();
    assert!(
        why.contains("asymptotically T <= n^((a + 1)/a) as claimed"),
        "{why}"
    );
    for f in [
        "F = 1.05445e12 at a = 1/10, L = 1, n = 100",
        "F = 12.0986 at a = 1/2, L = 1, n = 100",
        "F = 1.05445e-8 at a = 1/10, L = 10, n = 100",
    ] {
        assert!(why.contains(f), "{f} not in {why}");
    }
}

#[test]
fn symbolic_tables_with_bad_fields_exit_2() {
    let d = std::env::temp_dir().join(format!("stabcert-sym-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let f = d.join("s.toml");
    std::fs::write(
        &f,
        "[[symbolic]]\nid = \"x\"\nsource = \"s\"\ntext = \"t\"\nop = \"sideways\"\na = \"T\"\nb = \"1\"\nclaimed = \"T\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&["check", f.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("s.toml:5:") && err.contains("unknown op"),
        "{err}"
    );
}

#[test]
fn unbounded_assumptions_on_the_command_line_and_in_claim_files() {
    // without an assumption `n - 1` has no known sign; `n >= 2`, `n in [2, inf)` and
    // `n in 2..` each make it positive, and the crossover is solved
    let base = [
        "symbolic",
        "crossover",
        "T/(n-1)",
        "1",
        "--solve-for",
        "T",
        "--json",
    ];
    let v = json(&base);
    assert_eq!(v["status"], "unsupported", "{v:#}");
    for a in ["n >= 2", "n in [2, inf)", "n in 2..", "1 < n"] {
        let mut args = base.to_vec();
        args.extend(["--assume", a]);
        let v = json(&args);
        assert_eq!(v["status"], "proved", "{a}: {v:#}");
        assert_eq!(v["condition"], "T <= n - 1", "{a}");
    }
    // two assumptions about one parameter both hold; contradictory ones are bad input
    let (code, _, err) = run(&[
        "symbolic", "simplify", "x", "--assume", "x > 2", "--assume", "x < 1",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no value is left"), "{err}");
    let (code, _, err) = run(&["symbolic", "simplify", "x", "--assume", "x in [inf, 2]"]);
    assert_eq!(code, Some(2), "{err}");
    // in a claim file
    let dir = std::env::temp_dir().join(format!("stabcert-assume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("c.toml");
    std::fs::write(
        &f,
        r#"
[[symbolic]]
id = "regime"
source = "s"
text = "T/(n - 1) <= 1 exactly when T <= n - 1"
op = "regime"
a = "T/(n - 1)"
b = "1"
claimed = "T <= n - 1"
solve_for = "T"
assume = ["n >= 2", "T in (0, inf)"]
"#,
    )
    .unwrap();
    let (code, out, err) = run(&["check", f.to_str().unwrap(), "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["claims"][0]["verdict"], "certified", "{v:#}");
    let _ = std::fs::remove_dir_all(dir);
}
