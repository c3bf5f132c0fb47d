//! The reproductions of the soundness-and-robustness review, pinned: each gives the right
//! answer or a clean error (exit 2, a message naming the limit or the place) within its time
//! limit, and none of the false claims built on them is certified. Expected values are the
//! oracle's (`tests/oracles/fuzz_oracle.py`, which also checks every line of
//! `tests/fuzz_regressions.txt` on each run): for example `floor(exp(1)*1e30)` is
//! 2718281828459045235360287471352 by mpmath at 200 digits, and `3 + exp(-100)` lies
//! 3.7e-44 above 3, so a sum up to it has no integer bound.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> (Output, Duration) {
    let t = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_stabcert"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run stabcert");
    (o, t.elapsed())
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stabcert-soundness-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// Undefinedness survives a zero factor in every engine.
#[test]
fn undefined_values_do_not_vanish_behind_zero() {
    for (expr, mode) in [
        ("rec(x, t, 0, 1, 5, (x*0)*(1/0))", "--exact"),
        ("rec(x, t, 0, 1, 5, (x*0)*(1/0))", "--digits=30"),
        ("rec(x, t, 0, 3, 1, x*0*(1/(t-1)))", "--digits=30"),
        ("rec(x, t, 0, 3, 1, x*0*(1/(t-1)))", "--exact"),
        ("rec(x, t, 0, 3, 1, x*(1/(t-1))^0)", "--digits=30"),
        ("0*ln(0)", "--exact"),
        ("ln(0*exp(1))", "--exact"),
        ("ln(0*exp(1))", "--digits=10"),
    ] {
        let (o, _) = run(&["eval", mode, expr]);
        assert_eq!(o.status.code(), Some(2), "{expr} {mode}: {}", out(&o));
        assert!(
            err(&o).contains("undefined: "),
            "{expr} {mode}: {}",
            err(&o)
        );
        assert!(!err(&o).contains("possibly"), "{expr} {mode}: {}", err(&o));
    }
}

/// A bound that is close to an integer is not that integer.
#[test]
fn near_integer_bounds_are_not_integers() {
    for expr in [
        "sum(i, 1, 3 + exp(-100), i)",
        "rec(x, t, 0, 2 + exp(-100), 1, 2*x)",
        "prod(i, 1, 3 + exp(-100), i)",
        "sum(i, 1, 3 + 1e-50, i)",
    ] {
        for mode in ["--exact", "--digits=30"] {
            let (o, _) = run(&["eval", mode, expr]);
            assert_eq!(o.status.code(), Some(2), "{expr}: {}", out(&o));
            assert!(err(&o).contains("not an integer"), "{expr}: {}", err(&o));
        }
    }
    // and a bound that is an integer only algebraically is one
    let (o, _) = run(&["eval", "sum(i, 1, sqrt(2)^2 + 1, i)"]);
    assert_eq!(out(&o), "6", "{}", err(&o));
}

/// The false claims built on the two defects above are refuted, on points and boxes.
#[test]
fn false_claims_on_those_defects_are_refuted() {
    let text = r#"
[[claim]]
id = "near.int"
source = "s"
text = "t"
params = ["n in 1..=3"]
holds = "sum(i, 1, 3 + exp(-100), i) >= 6"

[[claim]]
id = "near.int.box"
source = "s"
text = "t"
params = ["x in [0, 1]"]
holds = "sum(i, 1, 3 + exp(-100), i) >= 6*x"

[[claim]]
id = "zero.factor"
source = "s"
text = "t"
params = ["n in 1..=3"]
holds = "rec(x, t, 0, 1, 5, (x*0)*(1/(n-n))) <= 1"

[[claim]]
id = "zero.factor.box"
source = "s"
text = "t"
params = ["y in [0, 1]"]
holds = "rec(x, t, 0, 3, 1, x*0*(1/(t-1))) <= 1 + y"
"#;
    let p = temp("defects.toml", text);
    let (o, _) = run(&["check", p.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).expect("json");
    let claims = v["claims"].as_array().expect("claims");
    assert_eq!(claims.len(), 4);
    for c in claims {
        assert_eq!(c["verdict"], "refuted", "{c}");
    }
}

/// Floors and ceilings of irrational values are integers, decided by enclosures; an
/// argument that is exactly an integer is recognised by exact algebra.
#[test]
fn floors_of_irrational_values() {
    for (expr, want) in [
        ("floor(3*sqrt(2))", "4"),
        ("floor(sqrt(1e20+1))", "10000000000"),
        ("floor(exp(1)*1e30)", "2718281828459045235360287471352"),
        ("floor(sqrt(2)^2)", "2"),
        ("ceil(-sqrt(2)*sqrt(2))", "-2"),
        ("floor(ln(10)*1000)", "2302"),
    ] {
        let (o, _) = run(&["eval", expr]);
        assert_eq!(out(&o), want, "{expr}: {}", err(&o));
    }
    let (o, _) = run(&["eval", "floor(sqrt(2)^2)", "--digits", "10"]);
    assert_eq!(out(&o), "[2.000000000, 2.000000000]", "{}", err(&o));
    // an integer exact algebra cannot see is undecided, and says why
    let (o, _) = run(&["eval", "floor((1 + sqrt(2))*(sqrt(2) - 1))"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("may be exactly an integer"), "{}", err(&o));
}

/// Precision is raised before giving up.
#[test]
fn intervals_raise_the_precision_before_giving_up() {
    for (expr, want) in [
        ("ln(1 + 1e-80 - 1)", "[-184.2068075, -184.2068074]"),
        (
            "1/((sqrt(2) + 1e-80) - sqrt(2))",
            "[9.999999999e79, 1.000000001e80]",
        ),
        (
            "rec(x, t, 0, 200, sqrt(3), (x*x + 3)/(2*x))",
            "[1.732050807, 1.732050808]",
        ),
    ] {
        let (o, _) = run(&["eval", "--digits", "10", expr]);
        assert_eq!(out(&o), want, "{expr}: {}", err(&o));
    }
}

/// Huge magnitudes, towers and powers end with the answer or a message, within the limit.
#[test]
fn budgets_hold() {
    for expr in [
        "exp(10^12)",
        "2^(10^12)",
        "exp(-10^12)",
        "2^(2^40)",
        "10^(10^9)",
        "exp(exp(700))",
        "rec(y, s, 0, 10, 1e-30, 5*7^y)",
    ] {
        let (o, t) = run(&["eval", "--time-limit", "5", "--digits", "10", expr]);
        assert!(t < Duration::from_secs(8), "{expr}: {t:?}");
        assert_eq!(o.status.code(), Some(2), "{expr}: {}", out(&o));
        assert!(
            err(&o).contains("beyond the range of MPFR's exponents"),
            "{expr}: {}",
            err(&o)
        );
    }
    let (o, t) = run(&["eval", "--set", "b=-2", "--digits", "30", "(-(b))^(8^10)"]);
    assert!(t < Duration::from_secs(10), "{t:?}");
    assert_eq!(o.status.code(), Some(2));
    // values within range are printed, however large their exponent (mpmath: exp(-10^8) is
    // 6.45170969282e-43429449, and 15^(2^26) is 2.26754795731e78926148)
    let (o, _) = run(&["eval", "--digits", "10", "exp(-10^8)"]);
    assert_eq!(out(&o), "[6.451709692e-43429449, 6.451709693e-43429449]");
    let (o, t) = run(&["eval", "--digits", "5", "3^(2^26)*5^(2^26)"]);
    assert_eq!(out(&o), "[2.2675e78926148, 2.2676e78926148]", "{}", err(&o));
    assert!(t < Duration::from_secs(20), "{t:?}");
    // a value that underflows MPFR still has its exact sign
    let (o, _) = run(&["eval", "(2/7)/ceil(exp(-10^11))"]);
    assert_eq!(out(&o), "2/7", "{}", err(&o));
    let (o, t) = run(&["eval", "(1e-20)^(12^6)"]);
    assert!(t < Duration::from_secs(10), "{t:?}");
    assert!(
        err(&o).contains("bits `eval --exact` writes out"),
        "{}",
        err(&o)
    );
}

/// Long flat expressions, huge files and deep definitions end with a message, not a crash.
#[test]
fn sizes_are_capped() {
    let flat = vec!["1"; 10_000].join("+");
    let (o, _) = run(&["eval", &flat]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("levels deep"), "{}", err(&o));
    let ok = vec!["1"; 3_000].join("+");
    let (o, _) = run(&["eval", &ok]);
    assert_eq!(out(&o), "3000", "{}", err(&o));
    let (o, _) = run(&["eval", "--digits", "5", &ok]);
    assert_eq!(out(&o), "[3000.0, 3000.0]", "{}", err(&o));
    // a 1 MB formula in a claim file
    let big = format!(
        "[[claim]]\nid = \"big\"\nsource = \"s\"\ntext = \"t\"\nparams = [\"n in 1..=2\"]\nholds = \"{} <= n\"\n",
        vec!["1"; 500_000].join("+")
    );
    let p = temp("big.toml", &big);
    let (o, _) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("big.toml:6:"), "{}", err(&o));
    // /dev/zero is not read to the end
    let (o, t) = run(&["check", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("larger than"), "{}", err(&o));
    assert!(t < Duration::from_secs(10));
}

/// The kernel's re-check has its own size and time limits.
#[test]
fn the_kernel_recheck_is_bounded() {
    let mut lets = vec!["\"y0 = (n + 1)/(n + 2)\"".to_string()];
    for k in 1..=60 {
        lets.push(format!("\"y{k} = y{}*y{}\"", k - 1, k - 1));
    }
    let text = format!(
        "[[claim]]\nid = \"squares\"\nsource = \"s\"\ntext = \"t\"\nparams = [\"n in 1..=2\"]\nlet = [{}]\nholds = \"y60 <= 1\"\n\n[[claim]]\nid = \"power\"\nsource = \"s\"\ntext = \"t\"\nparams = [\"n in 1..=2\"]\nlet = [\"y = ((n + 1)/(n + 2))^(2^20)\", \"z = y*y\"]\nholds = \"z <= 1\"\n",
        lets.join(", ")
    );
    let p = temp("kernel.toml", &text);
    let (o, t) = run(&["check", p.to_str().unwrap(), "--json"]);
    assert!(t < Duration::from_secs(300), "{t:?}");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).expect("json");
    for c in v["claims"].as_array().expect("claims") {
        let k = c["kernel"].as_str().unwrap_or("");
        assert!(
            k.starts_with("agreed") || k.contains("limit"),
            "{}: kernel {k}",
            c["id"]
        );
    }
}

/// A reader that goes away is not a crash.
#[test]
fn a_closed_pipe_is_not_a_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stabcert"))
        .args(["eval", "--digits", "5000", "1/3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take()); // close the pipe before it writes
    let o = child.wait_with_output().expect("wait");
    assert!(!err(&o).contains("panicked"), "{}", err(&o));
    assert_ne!(o.status.code(), Some(101));
}

/// Messages: values are called irrational only when they are, undefined when they are; a
/// leading minus needs no `--`; digits out of range are refused; bases print unambiguously.
#[test]
fn messages_say_what_is_true() {
    let (o, _) = run(&["eval", "sqrt(2)*sqrt(2)"]);
    assert_eq!(out(&o), "2");
    let (o, _) = run(&["eval", "-2^2"]);
    assert_eq!(out(&o), "-4", "{}", err(&o));
    let (o, _) = run(&["eval", "sqrt(5/17)"]);
    assert!(
        err(&o).contains("irrational: the value is (1/17)*5^(1/2)*17^(1/2)"),
        "{}",
        err(&o)
    );
    let (o, _) = run(&["eval", "sqrt(2) + sqrt(3)"]);
    assert!(err(&o).contains("no exact value"), "{}", err(&o));
    assert!(!err(&o).contains("irrational:"), "{}", err(&o));
    for d in ["0", "100000"] {
        let (o, _) = run(&["eval", "--digits", d, "1/3"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(err(&o).contains("1..=10000"), "{}", err(&o));
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_stabcert"))
        .args(["eval", "1/3"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(b"").ok();
    assert_eq!(out(&child.wait_with_output().expect("wait")), "1/3");
}
