//! The exact and the rigorous engines against the programs a specialist would write, on the
//! benchmark recurrence `rec(x, t, 1, T, 0, (1 + a/(0.99*t))*x + 1/(t*n))` — x_1 = 0,
//! x_{t+1} = (1 + a/(0.99 t)) x_t + 1/(t n) for t = 1, ..., T - 1 — at a = 1/100, n = 10:
//!
//! - exact: stabcert's `rec` (integer affine maps composed in a balanced tree, the result in
//!   lowest terms) at T = 10^6 against the same binary splitting with gmpy2
//!   (`benches/gmpy2_rec.py`); both values are compared (bit lengths, residues mod 2^61 - 1);
//!   also on a second recurrence, [`REC_TELESCOPING`];
//! - rigorous: stabcert's interval enclosure at T = 10^7 with 128-bit endpoints against the
//!   plain loop in C against Arb (`benches/arb_rec.c`, compiled here with `cc` when FLINT's
//!   Arb headers are installed: Debian's `libflint-arb-dev`, or FLINT 3).
//!
//! Each figure is the best of three runs on one thread, in the same session, with the ratio.
//! Run: `cargo bench --bench engines_vs` (Python with gmpy2: `STABCERT_BENCH_PYTHON`, else
//! `target/bench-venv/bin/python`, else `python3`; missing anchors are skipped).

use rug::{Integer, Rational};
use stabcert::exact::{self, Budget, Env};
use stabcert::expr::parse_expr;
use stabcert::real;
use std::process::Command;
use std::time::Instant;

const REC: &str = "rec(x, t, 1, T, 0, (1 + a/(0.99*t))*x + 1/(t*n))";

fn env(t: u64) -> Env {
    let mut env = Env::new();
    env.push("a", Rational::from((1, 100)));
    env.push("n", Rational::from(10));
    env.push("T", Rational::from(t));
    env
}

fn best_of_3<R>(mut f: impl FnMut() -> R) -> (f64, R) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..3 {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    (best, last.expect("ran"))
}

fn python_with(module: &str) -> Option<String> {
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-venv/bin/python");
    [
        std::env::var("STABCERT_BENCH_PYTHON").unwrap_or_default(),
        venv.to_string(),
        "python3".to_string(),
    ]
    .into_iter()
    .filter(|p| !p.is_empty())
    .find(|p| {
        Command::new(p)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn json_line(out: &std::process::Output) -> Option<serde_json::Value> {
    serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).ok()
}

/// A second recurrence for the exact engine: a step whose coefficients, written with the
/// least common denominator, exceed 64 bits at large `t` (and whose value telescopes to a
/// 50-bit fraction, so that nearly everything the tree builds cancels at the end).
const REC_TELESCOPING: &str = "rec(x, t, 1, T, 1/3, (1 - 1/(t+1)^2)*x + 1/(100*(t^2 + t)))";

fn exact_vs_gmpy2(rec: &str, variant: &str, t: u64) {
    let e = parse_expr(rec).expect("parses");
    let budget = Budget::default();
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("pool")
    };
    // the exact engine splits large recurrences over two threads when its pool has them
    let (secs2, _) =
        pool(2).install(|| best_of_3(|| exact::eval(&e, &mut env(t), &budget).expect("value")));
    let (secs, v) =
        pool(1).install(|| best_of_3(|| exact::eval(&e, &mut env(t), &budget).expect("value")));
    let m: Integer = (Integer::from(1) << 61) - 1;
    let (num_mod, den_mod) = (Integer::from(v.numer() % &m), Integer::from(v.denom() % &m));
    println!(
        "exact, {rec}, T = {t}: stabcert {secs:.3} s on 1 thread, {secs2:.3} s on 2 (numerator {} bits, denominator {} bits)",
        v.numer().significant_bits(),
        v.denom().significant_bits()
    );
    let Some(py) = python_with("gmpy2") else {
        eprintln!("  no python with gmpy2: skipping the anchor");
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/gmpy2_rec.py");
    let out = Command::new(&py)
        .args([script, &t.to_string(), "3", variant])
        .output()
        .expect("python runs");
    let Some(g) = json_line(&out) else {
        eprintln!(
            "  gmpy2 script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    };
    let gs = g["seconds"].as_f64().unwrap_or(f64::NAN);
    let same = g["num_mod"].as_u64().map(Integer::from) == Some(num_mod)
        && g["den_mod"].as_u64().map(Integer::from) == Some(den_mod);
    println!(
        "  gmpy2 {} (GMP {}) {gs:.3} s (1 thread): stabcert on 1 thread takes {:.2} of gmpy2's time; the same value: {same}",
        g["gmpy2"].as_str().unwrap_or("?"),
        g["gmp"].as_str().unwrap_or("?"),
        secs / gs
    );
}

fn interval_vs_arb(t: u64, prec: u32) {
    let e = parse_expr(REC).expect("parses");
    let vars = vec![
        ("a".to_string(), Rational::from((1, 100))),
        ("n".to_string(), Rational::from(10)),
        ("T".to_string(), Rational::from(t)),
    ];
    let budget = Budget::default();
    let (secs, iv) = best_of_3(|| real::eval_at(&e, &vars, prec, &budget).expect("encloses"));
    println!("interval, T = {t}, {prec} bits: stabcert {secs:.3} s, enclosure {iv:?}");
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/arb_rec.c");
    let exe = std::env::temp_dir().join("stabcert-arb-rec");
    let built = [
        vec!["-lflint-arb", "-lflint"],
        vec!["-lflint"],
        vec!["-larb", "-lflint"],
    ]
    .iter()
    .any(|libs| {
        Command::new("cc")
            .args(["-O2", src, "-o"])
            .arg(&exe)
            .args(libs)
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !built {
        eprintln!("  Arb not found (apt-get install libflint-arb-dev): skipping the anchor");
        return;
    }
    let out = Command::new(&exe)
        .args([t.to_string(), prec.to_string()])
        .output()
        .expect("arb_rec runs");
    let Some(a) = json_line(&out) else {
        eprintln!("  arb_rec failed: {}", String::from_utf8_lossy(&out.stderr));
        return;
    };
    let asecs = a["seconds"].as_f64().unwrap_or(f64::NAN);
    println!(
        "  Arb in C {asecs:.3} s, ball {}: stabcert takes {:.2} of Arb's time",
        a["ball"].as_str().unwrap_or("?"),
        secs / asecs
    );
}

fn main() {
    // `cargo bench` passes --bench; nothing to parse
    exact_vs_gmpy2(REC, "hardt", 1_000_000);
    exact_vs_gmpy2(REC_TELESCOPING, "telescoping", 1_000_000);
    interval_vs_arb(10_000_000, 128);
}
