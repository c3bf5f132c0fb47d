//! Differential fuzzer: random expressions of the whole language, biased towards the places
//! where engines go wrong (zero factors beside undefined parts, cancellations, huge and tiny
//! exponents, floors near integers, odd roots of negatives, `0^0`, bounds that are nearly
//! integers), evaluated by `eval --exact` and `eval --digits` (through the library functions
//! behind the CLI) and compared with an independent oracle, `tests/oracles/fuzz_oracle.py`
//! (Python `fractions` for exact values, mpmath's interval arithmetic at 200 digits
//! otherwise; it shares no code with stabcert).
//!
//! Checked for every expression: no panic; every run ends within its time limit; every
//! `--digits` enclosure meets the oracle's (contains its exact value); every exact value is
//! the oracle's; nothing the oracle finds undefined gets a number, and nothing it evaluates
//! is called undefined; a value proven irrational is not rational; where the oracle
//! evaluated without coming near a singularity, `--digits` does not give up.
//!
//! The normal test command runs 5,000 expressions (and 500 relations) from a fixed seed,
//! plus every pinned case of `tests/fuzz_regressions.txt` (failures found on the way, each
//! now fixed). Long runs:
//!
//! ```sh
//! STABCERT_FUZZ_N=100000 STABCERT_FUZZ_SEED=random \
//!     cargo test --release --test fuzz -- --nocapture
//! ```
//!
//! prints the seed it drew, so a failure can be replayed with `STABCERT_FUZZ_SEED=<seed>`.

mod common;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rug::Rational;
use rug::ops::Pow;
use stabcert::cli::{self, EvalMode};
use stabcert::exact::{self, Budget, Env, ExactError};
use stabcert::expr;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Time limit of each evaluation; an evaluation may overrun it by [`SLACK`] at most.
const LIMIT: Duration = Duration::from_secs(10);
const SLACK: Duration = Duration::from_secs(5);

// ------------------------------------------------------------------ the generator

struct Gen {
    rng: ChaCha8Rng,
    /// names bound by enclosing binders: (name, is an integer index)
    scope: Vec<String>,
    fresh: usize,
}

impl Gen {
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.rng.gen_range(0..xs.len())]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    fn literal(&mut self) -> String {
        match self.rng.gen_range(0..10) {
            0..=3 => self.rng.gen_range(0..13).to_string(),
            4 => self
                .pick(&["0.5", "2.25", "0.1", "1.75", "0.99", "3.0", ".5", "10.125"])
                .into(),
            5 => self
                .pick(&[
                    "1e-3", "2.5E2", "1e-30", "3e2", "1e-80", "7e-5", "1E1", "5e+1",
                ])
                .into(),
            6 => self
                .pick(&["(1/3)", "(2/7)", "(22/7)", "(5/17)", "(1/1000)", "(-3/4)"])
                .into(),
            7 => self
                .pick(&["(-1)", "(-2)", "(-8)", "(-0.5)", "(-27)"])
                .into(),
            8 => self
                .pick(&["1e20", "(1e20 + 1)", "1e-20", "123456789"])
                .into(),
            _ => self.pick(&["0", "1", "2", "4", "9", "16"]).into(),
        }
    }

    fn leaf(&mut self) -> String {
        if !self.scope.is_empty() && self.chance(0.5) {
            let k = self.rng.gen_range(0..self.scope.len());
            return self.scope[k].clone();
        }
        self.literal()
    }

    /// Something that is or may be undefined.
    fn undefined_part(&mut self) -> String {
        let x = self.leaf();
        match self.rng.gen_range(0..8) {
            0 => "(1/0)".into(),
            1 => "ln(0)".into(),
            2 => format!("(1/({x} - {x}))"),
            3 => "sqrt(-1)".into(),
            4 => "(0^(-1))".into(),
            5 => "((-8)^(1/3))".into(),
            6 => format!("ln({x} - {x})"),
            _ => "(1/(sqrt(2)^2 - 2))".to_string(),
        }
    }

    /// A pattern aimed at a known weak spot.
    fn hard(&mut self, depth: u32) -> String {
        let a = self.expr(depth.saturating_sub(1));
        let u = self.undefined_part();
        let k = self.rng.gen_range(1..6);
        let m = self.rng.gen_range(1..90);
        match self.rng.gen_range(0..36) {
            0 => format!("(0*({a}))*{u}"),
            1 => format!("{u}*0"),
            2 => format!("(({a}) - ({a}))*{u}"),
            3 => format!("(({a}) - ({a}))"),
            4 => format!("(({a}) + 1 - ({a}))"),
            5 => format!("floor({k} + 10^(-{m}))"),
            6 => format!("floor(sqrt({k})^2)"),
            7 => format!("ceil({k} - 1e-{m})"),
            8 => format!("floor(exp(1)*1e{m})"),
            9 => self
                .pick(&[
                    "(-8)^(1/3)",
                    "(-2)^3",
                    "0^0",
                    "0^(-1)",
                    "0^(1/2)",
                    "0^0.5",
                    "(-1)^(2/3)",
                ])
                .into(),
            10 => format!("(1e-{m})^(1/3)"),
            11 => format!("((({a}) - ({a}) + 1e-{m})^0.5)"),
            12 => format!(
                "{}^(10^{k})",
                self.pick(&["2", "10", "(1/2)", "(-3)", "1.5"])
            ),
            13 => format!(
                "exp({}10^{})",
                self.pick(&["", "-"]),
                self.rng.gen_range(1..16)
            ),
            14 => format!("1/((sqrt(2) + 1e-{m}) - sqrt(2))"),
            15 => format!("sum(i, 1, {k} + exp(-{m}), i)"),
            16 => format!("prod(i, 1, {k} + 1e-{m}, i)"),
            17 => format!("rec(x, t, 0, {k}, 1, x*0*(1/(t-1)))"),
            18 => format!("rec(x, t, 0, {k}, 5, (x*0)*{u})"),
            19 => format!("ln(1 + 1e-{m} - 1)"),
            20 => format!("floor(sqrt({k})*sqrt({k}) + ({a})*0)"),
            21 => format!("sum(i, -{k}, {k}, 1/i)"),
            22 => format!("prod(i, 0, {k}, ln(i + ({a})))"),
            23 => format!("rec(x, t, 0, {k}, 1, 1/(x - 1))"),
            24 => format!("{}(1, {u}, ({a}))", self.pick(&["min", "max"])),
            25 => format!("abs({u})"),
            26 => self
                .pick(&[
                    "2^3^2",
                    "-2^-2",
                    "(-2)^-3",
                    "2^-1^2",
                    "(-2)^(sqrt(4))",
                    "(-2)^(sqrt(2)^2)",
                    "0^(sqrt(2) - sqrt(2))",
                    "8^(1/3000)",
                    "(-8)^(2/6)",
                    "(-1)^(1/3)^3",
                    "1^(1/0)",
                    "0^(1/0)",
                ])
                .into(),
            27 => format!(
                "{}({}{} + 1e-{m})",
                self.pick(&["floor", "ceil"]),
                self.pick(&["", "-"]),
                k
            ),
            28 => format!("floor(-({a}))"),
            29 => format!("(({a})^2)^(1/2) - abs({a})"),
            30 => format!("exp(ln({a})) - ({a})"),
            31 => format!("sqrt(({a})^2)"),
            32 => format!("(({a}) - ({a}))^0"),
            33 => format!("(({a}) - ({a}))^(-1)"),
            34 => format!("sum(i, 1, {k}, sqrt(i)) - sum(j, 1, {k}, sqrt(j))"),
            _ => format!("sqrt(2)*sqrt(2) - 2 + ({a})"),
        }
    }

    fn binder(&mut self, depth: u32) -> String {
        let lo = self.rng.gen_range(-1..3);
        let hi = lo + self.rng.gen_range(-1..5);
        let hi_s = if self.chance(0.15) {
            format!(
                "{hi} + {}",
                self.pick(&["exp(-100)", "1e-40", "0.5", "sqrt(2)^2 - 2"])
            )
        } else {
            hi.to_string()
        };
        self.fresh += 1;
        match self.rng.gen_range(0..3) {
            0 | 1 => {
                let v = format!("i{}", self.fresh);
                self.scope.push(v.clone());
                let body = self.expr(depth - 1);
                self.scope.pop();
                let op = if self.chance(0.5) { "sum" } else { "prod" };
                format!("{op}({v}, {lo}, {hi_s}, {body})")
            }
            _ => {
                let x = format!("x{}", self.fresh);
                let t = format!("t{}", self.fresh);
                let init = self.expr(depth - 1);
                self.scope.push(x.clone());
                self.scope.push(t.clone());
                let step = if self.chance(0.5) {
                    // affine steps go through binary splitting and compiled coefficients
                    let p = self.expr(depth - 1);
                    let q = self.expr(depth - 1);
                    format!("({p})*{x} + ({q})")
                } else {
                    self.expr(depth - 1)
                };
                self.scope.pop();
                self.scope.pop();
                let start = lo.max(0);
                let end = start + self.rng.gen_range(0..5);
                let end_s = if self.chance(0.1) {
                    format!("{end} + exp(-60)")
                } else {
                    end.to_string()
                };
                format!("rec({x}, {t}, {start}, {end_s}, {init}, {step})")
            }
        }
    }

    fn expr(&mut self, depth: u32) -> String {
        if depth == 0 {
            return self.leaf();
        }
        match self.rng.gen_range(0..40) {
            0..=4 => self.leaf(),
            5..=7 => self.hard(depth),
            8..=9 => self.binder(depth),
            10..=13 => format!("({} + {})", self.expr(depth - 1), self.expr(depth - 1)),
            14..=16 => format!("({} - {})", self.expr(depth - 1), self.expr(depth - 1)),
            17..=19 => format!("({} * {})", self.expr(depth - 1), self.expr(depth - 1)),
            20..=22 => format!("({} / {})", self.expr(depth - 1), self.expr(depth - 1)),
            23..=25 => {
                let base = self.expr(depth - 1);
                let e = match self.rng.gen_range(0..5) {
                    0 | 1 => self.rng.gen_range(-4..7).to_string(),
                    2 => self
                        .pick(&["(1/2)", "(1/3)", "(2/3)", "(-1/2)", "0.5", "(3/2)", "1.5"])
                        .into(),
                    _ => self.expr(depth - 1),
                };
                let e = if e.starts_with('-') {
                    format!("({e})")
                } else {
                    e
                };
                format!("({base})^{e}")
            }
            26 => format!("-{}", self.expr(depth - 1)),
            27 => format!("-{}^2", self.leaf()),
            28..=29 => format!("exp({}/10)", self.expr(depth - 1)),
            30..=31 => format!("ln({})", self.expr(depth - 1)),
            32 => format!("sqrt({})", self.expr(depth - 1)),
            33 => format!("abs({})", self.expr(depth - 1)),
            34 | 35 => {
                let n = self.rng.gen_range(2..4);
                let args: Vec<String> = (0..n).map(|_| self.expr(depth - 1)).collect();
                let f = if self.chance(0.5) { "min" } else { "max" };
                format!("{f}({})", args.join(", "))
            }
            36 | 37 => format!(
                "{}({})",
                if self.chance(0.5) { "floor" } else { "ceil" },
                self.expr(depth - 1)
            ),
            _ => self.hard(depth),
        }
    }
}

/// `n` expressions from `seed`.
fn generate(seed: u64, n: usize) -> Vec<String> {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        scope: Vec::new(),
        fresh: 0,
    };
    (0..n)
        .map(|_| {
            let d = g.rng.gen_range(1..6);
            g.fresh = 0;
            g.expr(d)
        })
        .collect()
}

// ------------------------------------------------------------------ the oracle

#[derive(Clone, Debug)]
enum Oracle {
    Rational(Rational),
    Real {
        lo: Rational,
        hi: Rational,
        cond: bool,
    },
    Undefined(String),
    Unknown(#[allow(dead_code)] String),
}

/// An interpreter with Python 3 and mpmath (scripts/setup.sh installs Debian's
/// python3-mpmath); `STABCERT_PYTHON` names one explicitly.
fn python() -> String {
    let mut candidates = Vec::new();
    if let Ok(p) = std::env::var("STABCERT_PYTHON") {
        candidates.push(p);
    }
    candidates.extend(["python3".to_string(), "/usr/bin/python3".to_string()]);
    for c in &candidates {
        let ok = Command::new(c)
            .args(["-c", "import mpmath"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return c.clone();
        }
    }
    panic!(
        "no Python 3 with mpmath among {candidates:?}: run scripts/setup.sh (it installs python3-mpmath)"
    );
}

/// A decimal string as an exact rational (`1.5e-3`, `-2.0e+10`), or `None` when its
/// exponent is too large to expand.
fn decimal(s: &str) -> Option<Rational> {
    let s = s.trim();
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(k) => (&s[..k], s[k + 1..].parse::<i64>().ok()?),
        None => (s, 0),
    };
    if exp.abs() > 4_000_000 {
        return None;
    }
    let neg = mant.starts_with('-');
    let mant = mant.trim_start_matches(['-', '+']);
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let digits: rug::Integer = format!("{int}{frac}").parse().ok()?;
    let e = exp - frac.len() as i64;
    let ten = rug::Integer::from(10);
    let mut v = if e >= 0 {
        Rational::from(digits * ten.pow(e as u32))
    } else {
        Rational::from((digits, ten.pow((-e) as u32)))
    };
    if neg {
        v = -v;
    }
    Some(v)
}

fn ask_oracle(exprs: &[String]) -> Vec<Oracle> {
    ask_oracle_full(exprs).0
}

/// The oracle's answers and, for each, whether some intermediate value was beyond MPFR's
/// exponent range or the interval engine's magnitude range (`huge`): there the engine may
/// give up honestly where the oracle, with unbounded exponents, still has a value.
fn ask_oracle_full(exprs: &[String]) -> (Vec<Oracle>, Vec<bool>) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracles/fuzz_oracle.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the oracle starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = exprs
        .iter()
        .enumerate()
        .map(|(k, e)| serde_json::json!({"id": k, "expr": e}).to_string() + "\n")
        .collect();
    let writer = std::thread::spawn(move || {
        stdin
            .write_all(input.as_bytes())
            .expect("write to the oracle");
    });
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut res = vec![Oracle::Unknown("no answer".into()); exprs.len()];
    let mut huge = vec![false; exprs.len()];
    for line in out.lines() {
        let line = line.expect("oracle output");
        let v: serde_json::Value = serde_json::from_str(&line).expect("oracle JSON");
        let id = v["id"].as_u64().expect("id") as usize;
        huge[id] = v["huge"].as_bool().unwrap_or(false);
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        res[id] = match v["kind"].as_str() {
            Some("rational") => Oracle::Rational(s("value").parse().expect("p/q")),
            Some("real") => match (decimal(&s("lo")), decimal(&s("hi"))) {
                (Some(lo), Some(hi)) => Oracle::Real {
                    lo,
                    hi,
                    cond: v["cond"].as_bool().unwrap_or(false),
                },
                _ => Oracle::Unknown("an enclosure beyond the test's range".into()),
            },
            Some("undefined") => Oracle::Undefined(s("reason")),
            _ => Oracle::Unknown(s("reason")),
        };
    }
    writer.join().expect("writer");
    assert!(
        child.wait().expect("oracle exit").success(),
        "the oracle failed"
    );
    (res, huge)
}

// ------------------------------------------------------------------ the engines

#[derive(Clone, Debug)]
enum Exact {
    Value(Rational),
    Error(ExactError),
    Panic,
}

#[derive(Clone, Debug)]
enum Digits {
    Enclosure(Rational, Rational),
    /// an enclosure with a decimal exponent beyond what this test expands, read as MPFR
    /// floats rounded outward
    Huge(rug::Float, rug::Float, String),
    Error(String),
    Unparsed(String),
    Panic,
}

struct Run {
    exact: Exact,
    exact_time: Duration,
    digits: Digits,
    digits_n: u32,
    digits_time: Duration,
}

fn run_engines(src: &str, digits_n: u32) -> Run {
    let t = Instant::now();
    let exact = std::panic::catch_unwind(|| {
        let e = expr::parse_expr(src).expect("generated expressions parse");
        exact::eval(&e, &mut Env::new(), &Budget::with_time(LIMIT))
    });
    let exact_time = t.elapsed();
    let exact = match exact {
        Ok(Ok(v)) => Exact::Value(v),
        Ok(Err(e)) => Exact::Error(e),
        Err(_) => Exact::Panic,
    };
    let t = Instant::now();
    let digits =
        std::panic::catch_unwind(|| cli::eval_command(src, &[], EvalMode::Digits(digits_n), LIMIT));
    let digits_time = t.elapsed();
    let digits = match digits {
        Ok(Ok(out)) => {
            let inner = out.trim().trim_start_matches('[').trim_end_matches(']');
            match inner
                .split_once(", ")
                .map(|(a, b)| (decimal(a), decimal(b)))
            {
                Some((Some(lo), Some(hi))) => Digits::Enclosure(lo, hi),
                _ => match inner.split_once(", ").and_then(|(a, b)| {
                    use rug::float::Round;
                    let lo = rug::Float::parse(a).ok()?;
                    let hi = rug::Float::parse(b).ok()?;
                    Some((
                        rug::Float::with_val_round(128, lo, Round::Down).0,
                        rug::Float::with_val_round(128, hi, Round::Up).0,
                    ))
                }) {
                    Some((lo, hi)) => Digits::Huge(lo, hi, out),
                    None => Digits::Unparsed(out),
                },
            }
        }
        Ok(Err(e)) => Digits::Error(e.to_string()),
        Err(_) => Digits::Panic,
    };
    Run {
        exact,
        exact_time,
        digits,
        digits_n,
        digits_time,
    }
}

// ------------------------------------------------------------------ the comparison

fn is_undefined_msg(m: &str) -> bool {
    (m.contains("undefined:") && !m.contains("possibly undefined")) || m.contains("not an integer")
}

fn is_budget_msg(m: &str) -> bool {
    ["budget", "magnitude", "too large", "limit"]
        .iter()
        .any(|w| m.contains(w))
}

/// What is wrong with a run, if anything.
fn verdict(o: &Oracle, huge: bool, r: &Run) -> Vec<String> {
    let mut bad = Vec::new();
    // beyond MPFR's exponent range an honest engine may stop where the oracle goes on
    let huge_ok = |m: &str| is_budget_msg(m) || (huge && m.contains("possibly undefined"));
    for (what, t) in [("exact", r.exact_time), ("digits", r.digits_time)] {
        if t > LIMIT + SLACK {
            bad.push(format!("{what} took {t:?} (limit {LIMIT:?})"));
        }
    }
    // exact mode
    match (&r.exact, o) {
        (Exact::Panic, _) => bad.push("exact: panic".into()),
        (Exact::Value(v), Oracle::Rational(w)) if v != w => {
            bad.push(format!("exact: {v}, oracle {w}"))
        }
        (Exact::Value(v), Oracle::Real { lo, hi, .. }) if !(lo <= v && v <= hi) => {
            bad.push(format!("exact: {v}, oracle in [{lo}, {hi}]"))
        }
        (Exact::Value(v), Oracle::Undefined(why)) => bad.push(format!(
            "exact: {v}, but the oracle finds it undefined ({why})"
        )),
        (Exact::Error(ExactError::Undefined(m) | ExactError::NotInteger(m)), o)
            if matches!(o, Oracle::Rational(_) | Oracle::Real { .. }) =>
        {
            bad.push(format!(
                "exact: undefined ({m}), but the oracle has a value {o:?}"
            ))
        }
        (Exact::Error(ExactError::Irrational(m)), Oracle::Rational(w)) => {
            bad.push(format!("exact: irrational ({m}), but the oracle has {w}"))
        }
        (Exact::Error(ExactError::Irrational(m)), Oracle::Undefined(why)) => bad.push(format!(
            "exact: irrational ({m}), but the oracle finds it undefined ({why})"
        )),
        (Exact::Error(ExactError::Unbound(n)), _) => bad.push(format!("exact: unbound {n}")),
        _ => {}
    }
    // digits mode
    match (&r.digits, o) {
        (Digits::Panic, _) => bad.push("digits: panic".into()),
        (Digits::Unparsed(s), _) => bad.push(format!("digits: unreadable output {s}")),
        (Digits::Huge(lo, hi, s), Oracle::Rational(w)) if !(*lo <= *w && *hi >= *w) => {
            bad.push(format!("digits: {s} misses the oracle's {w}"))
        }
        (Digits::Huge(lo, hi, s), Oracle::Real { lo: a, hi: b, .. }) if *hi < *a || *lo > *b => {
            bad.push(format!("digits: {s} misses the oracle's enclosure"))
        }
        (Digits::Huge(_, _, s), Oracle::Undefined(why)) => bad.push(format!(
            "digits: {s}, but the oracle finds it undefined ({why})"
        )),
        (Digits::Enclosure(lo, hi), Oracle::Rational(w)) if !(lo <= w && w <= hi) => {
            bad.push(format!("digits: [{lo}, {hi}] misses the oracle's {w}"))
        }
        (Digits::Enclosure(lo, hi), Oracle::Real { lo: a, hi: b, .. }) if hi < a || b < lo => bad
            .push(format!(
                "digits: [{}, {}] misses the oracle's [{}, {}]",
                exact::approx(lo, 12),
                exact::approx(hi, 12),
                exact::approx(a, 12),
                exact::approx(b, 12)
            )),
        (Digits::Enclosure(lo, hi), Oracle::Undefined(why)) => bad.push(format!(
            "digits: [{}, {}], but the oracle finds it undefined ({why})",
            exact::approx(lo, 8),
            exact::approx(hi, 8)
        )),
        (Digits::Error(m), Oracle::Rational(_) | Oracle::Real { .. }) if is_undefined_msg(m) => {
            bad.push(format!("digits: `{m}`, but the oracle has a value {o:?}"))
        }
        (Digits::Error(m), Oracle::Rational(_) | Oracle::Real { cond: true, .. })
            if m.contains("possibly undefined") && !huge =>
        {
            bad.push(format!(
                "digits: gave up (`{m}`) on a well-conditioned value"
            ))
        }
        (Digits::Error(m), Oracle::Rational(_) | Oracle::Real { .. })
            if !huge_ok(m) && !is_undefined_msg(m) && !m.contains("possibly undefined") =>
        {
            bad.push(format!("digits: unexpected error `{m}`"))
        }
        (Digits::Error(m), Oracle::Undefined(_))
            if !is_undefined_msg(m) && !m.contains("possibly undefined") && !huge_ok(m) =>
        {
            bad.push(format!(
                "digits: unexpected error `{m}` on an undefined value"
            ))
        }
        _ => {}
    }
    let _ = r.digits_n;
    bad
}

/// The pinned cases: one expression per line (`#` starts a comment).
fn regressions() -> Vec<String> {
    let text = include_str!("fuzz_regressions.txt");
    text.lines()
        .map(|l| l.split(" #").next().unwrap_or("").trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn engines_agree_with_the_oracle() {
    let (seed, n) = common::seed_and_count(5000);
    eprintln!("fuzz: seed {seed}, {n} random expressions");
    let mut exprs = regressions();
    let pinned = exprs.len();
    exprs.extend(generate(seed, n));
    if let Ok(path) = std::env::var("STABCERT_FUZZ_DUMP") {
        std::fs::write(&path, exprs.join("\n")).expect("write the expressions");
    }
    let t0 = Instant::now();
    let (oracle, huge) = ask_oracle_full(&exprs);
    let oracle_time = t0.elapsed();
    let t0 = Instant::now();
    let runs: Vec<Run> = exprs
        .par_iter()
        .enumerate()
        .map(|(k, e)| run_engines(e, [3, 10, 30][k % 3]))
        .collect();
    let engine_time = t0.elapsed();
    let mut failures = Vec::new();
    let mut kinds = std::collections::BTreeMap::new();
    for (k, ((e, o), r)) in exprs.iter().zip(&oracle).zip(&runs).enumerate() {
        *kinds
            .entry(match o {
                Oracle::Rational(_) => "rational",
                Oracle::Real { .. } => "real",
                Oracle::Undefined(_) => "undefined",
                Oracle::Unknown(_) => "unknown",
            })
            .or_insert(0usize) += 1;
        let bad = verdict(o, huge[k], r);
        if !bad.is_empty() {
            let tag = if k < pinned { "pinned" } else { "random" };
            failures.push(format!("[{tag} {k}] {e}\n    {}", bad.join("\n    ")));
        }
    }
    let slowest = runs
        .iter()
        .map(|r| r.exact_time.max(r.digits_time))
        .max()
        .unwrap_or_default();
    // what the engines answered, to see what the run exercised
    let mut outcomes = std::collections::BTreeMap::new();
    for r in &runs {
        let e = match &r.exact {
            Exact::Value(_) => "value",
            Exact::Error(ExactError::Undefined(_) | ExactError::NotInteger(_)) => "undefined",
            Exact::Error(ExactError::Irrational(_)) => "irrational",
            Exact::Error(ExactError::NotRational(_)) => "no-exact-value",
            Exact::Error(ExactError::Budget(_)) => "budget",
            Exact::Error(ExactError::Unbound(_)) => "unbound",
            Exact::Panic => "panic",
        };
        let d = match &r.digits {
            Digits::Enclosure(..) | Digits::Huge(..) => "enclosure",
            Digits::Error(m) if is_undefined_msg(m) => "undefined",
            Digits::Error(m) if m.contains("possibly undefined") => "possibly-undefined",
            Digits::Error(m) if is_budget_msg(m) => "budget",
            Digits::Error(_) => "other-error",
            Digits::Unparsed(_) => "unparsed",
            Digits::Panic => "panic",
        };
        *outcomes.entry(format!("exact {e}")).or_insert(0usize) += 1;
        *outcomes.entry(format!("digits {d}")).or_insert(0usize) += 1;
    }
    eprintln!("fuzz: engine outcomes {outcomes:?}");
    // STABCERT_FUZZ_SHOW=<word>: show some expressions whose digits error contains the word
    if let Ok(w) = std::env::var("STABCERT_FUZZ_SHOW") {
        for (r, (e, o)) in runs
            .iter()
            .zip(exprs.iter().zip(&oracle))
            .filter(|(r, _)| matches!(&r.digits, Digits::Error(m) if m.contains(w.as_str())))
            .take(15)
        {
            eprintln!("fuzz: show {e}\n    {:?}\n    oracle {o:?}", r.digits);
        }
    }
    let mut slow: Vec<(Duration, &String)> = runs
        .iter()
        .zip(&exprs)
        .map(|(r, e)| (r.exact_time.max(r.digits_time), e))
        .collect();
    slow.sort_by_key(|b| std::cmp::Reverse(b.0));
    for (t, e) in slow.iter().take(5) {
        eprintln!("fuzz: slow {t:.2?}: {e}");
    }
    eprintln!(
        "fuzz: {} expressions ({pinned} pinned); oracle kinds {kinds:?}; oracle {oracle_time:.1?}, engines {engine_time:.1?}, slowest {slowest:.2?}; {} failing",
        exprs.len(),
        failures.len()
    );
    for f in failures.iter().take(40) {
        eprintln!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} expressions fail (seed {seed}); first: {}",
        failures.len(),
        exprs.len(),
        failures[0]
    );
}

// ------------------------------------------------------------------ verdicts

/// The truth of `lhs rel rhs` from the oracle's values of both sides: `Some(true)` holds,
/// `Some(false)` fails (an undefined side fails the relation as written), `None` unknown.
fn oracle_relation(l: &Oracle, rel: &str, r: &Oracle) -> Option<bool> {
    use std::cmp::Ordering::*;
    let ord = match (l, r) {
        (Oracle::Undefined(_), _) | (_, Oracle::Undefined(_)) => return Some(false),
        (Oracle::Unknown(_), _) | (_, Oracle::Unknown(_)) => return None,
        (Oracle::Rational(a), Oracle::Rational(b)) => a.cmp(b),
        _ => {
            let ends = |o: &Oracle| match o {
                Oracle::Rational(q) => (q.clone(), q.clone()),
                Oracle::Real { lo, hi, .. } => (lo.clone(), hi.clone()),
                _ => unreachable!("handled above"),
            };
            let ((a0, a1), (b0, b1)) = (ends(l), ends(r));
            if a1 < b0 {
                Less
            } else if a0 > b1 {
                Greater
            } else {
                return None;
            }
        }
    };
    Some(match rel {
        "<=" => ord != Greater,
        "<" => ord == Less,
        ">=" => ord != Less,
        ">" => ord == Greater,
        _ => ord == Equal,
    })
}

/// `src` with the parameter `name` replaced by a rational literal.
fn at_point(src: &str, name: &str, v: &Rational) -> String {
    let lit = if v.is_integer() && *v >= 0 {
        v.to_string()
    } else {
        format!("({}/{})", v.numer(), v.denom())
    };
    // names are whole identifiers: replace only where the parameter stands alone
    let b = src.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'\'';
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let starts = src[i..].starts_with(name)
            && (i == 0 || !ident(b[i - 1]))
            && b.get(i + name.len()).is_none_or(|c| !ident(*c));
        if starts {
            out.push_str(&lit);
            i += name.len();
        } else {
            let ch = src[i..].chars().next().expect("char");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Random relations over a small integer range or a real interval, decided by the decision
/// engine under small budgets: a counterexample must fail at its point by the oracle, and a
/// `certified` relation must hold (by the oracle) at every integer point, or at sampled
/// rational points of the real interval.
#[test]
fn verdicts_agree_with_the_oracle() {
    use stabcert::claims;
    use stabcert::decide::{self, Options, Verdict};
    let (seed, n) = common::seed_and_count(5000);
    let n = (n / 10).max(50);
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed),
        scope: Vec::new(),
        fresh: 0,
    };
    let opts = Options {
        max_points: 200,
        max_boxes: 300,
        time_per_claim: Duration::from_secs(2),
        ..Options::default()
    };
    struct Case {
        lhs: String,
        rel: &'static str,
        rhs: String,
        param: &'static str,
        real: bool,
        points: Vec<Rational>,
    }
    let mut cases = Vec::new();
    for _ in 0..n {
        let real = g.chance(0.4);
        // names no generated binder uses (they bind i, j, x, t and numbered ones)
        let param = if real { "u" } else { "m" };
        g.scope = vec![param.to_string()];
        let d = g.rng.gen_range(1..4);
        let (lhs, rel, rhs) = if g.chance(0.4) {
            // relations that hold wherever both sides are defined: certified only when no
            // point of the domain makes a side undefined
            let e = g.expr(d);
            let f = g.expr(d);
            match g.rng.gen_range(0..8) {
                0 => (e.clone(), "<=", format!("{e} + abs({f})")),
                1 => (format!("abs({e})"), ">=", e),
                2 => (format!("exp(({e})/10)"), ">", "0".into()),
                3 => (format!("({e})^2"), ">=", "0".into()),
                4 => (format!("min({e}, {f})"), "<=", format!("max({e}, {f})")),
                5 => (format!("floor({e})"), "<=", e),
                6 => (format!("sqrt(({e})^2)"), "=", format!("abs({e})")),
                _ => (format!("({e}) - ({e})"), "<=", "0".into()),
            }
        } else {
            (g.expr(d), g.pick(&["<=", "<", ">=", ">", "="]), g.expr(d))
        };
        let points: Vec<Rational> = if real {
            let mut v = vec![Rational::from(0), Rational::from(1)];
            for _ in 0..6 {
                v.push(Rational::from((g.rng.gen_range(0..1000), 999)));
            }
            v
        } else {
            (-2..=4).map(Rational::from).collect()
        };
        cases.push(Case {
            lhs,
            rel,
            rhs,
            param,
            real,
            points,
        });
    }
    g.scope.clear();
    type Decided = Option<(Verdict, Option<Vec<(String, Rational)>>)>;
    let decided: Vec<Decided> = cases
        .par_iter()
        .enumerate()
        .map(|(k, c)| {
            let dom = if c.real { "u in [0, 1]" } else { "m in -2..=4" };
            let text = format!(
                "[[claim]]\nid = \"f{k}\"\nsource = \"s\"\ntext = \"t\"\nparams = [\"{dom}\"]\nholds = '''{} {} {}'''\n",
                c.lhs, c.rel, c.rhs
            );
            let claim = claims::load_str("fuzz.toml", &text).ok()?.remove(0);
            let o = std::panic::catch_unwind(|| decide::decide(&claim, &opts).remove(0))
                .unwrap_or_else(|_| panic!("deciding panicked: {text}"));
            Some((o.verdict, o.counterexample.map(|cx| cx.point)))
        })
        .collect();
    // the oracle's values of both sides at every point that matters
    let mut jobs: Vec<String> = Vec::new();
    let mut index: Vec<(usize, Rational, usize)> = Vec::new(); // (case, point, first job)
    for (k, (c, d)) in cases.iter().zip(&decided).enumerate() {
        let Some((verdict, cx)) = d else { continue };
        let pts: Vec<Rational> = match (verdict, cx) {
            (Verdict::Refuted, Some(p)) => vec![p[0].1.clone()],
            (Verdict::Certified, _) => c.points.clone(),
            _ => Vec::new(),
        };
        for p in pts {
            index.push((k, p.clone(), jobs.len()));
            jobs.push(at_point(&c.lhs, c.param, &p));
            jobs.push(at_point(&c.rhs, c.param, &p));
        }
    }
    let answers = ask_oracle(&jobs);
    let mut failures = Vec::new();
    let mut counts = std::collections::BTreeMap::new();
    for d in decided.iter().flatten() {
        *counts.entry(d.0.as_str()).or_insert(0usize) += 1;
    }
    for (k, p, j) in index {
        let c = &cases[k];
        let (verdict, _) = decided[k].as_ref().expect("decided");
        let truth = oracle_relation(&answers[j], c.rel, &answers[j + 1]);
        let wrong = match verdict {
            Verdict::Refuted => truth == Some(true),
            _ => truth == Some(false),
        };
        if wrong {
            failures.push(format!(
                "{} {} {} ({}): {} but at {}={p} the oracle has lhs {:?}, rhs {:?}",
                c.lhs,
                c.rel,
                c.rhs,
                if c.real { "u in [0, 1]" } else { "m in -2..=4" },
                verdict.as_str(),
                c.param,
                answers[j],
                answers[j + 1]
            ));
        }
    }
    eprintln!(
        "fuzz: {} relations decided, verdicts {counts:?}; {} oracle checks; {} failing",
        decided.iter().flatten().count(),
        jobs.len() / 2,
        failures.len()
    );
    for f in failures.iter().take(20) {
        eprintln!("{f}");
    }
    assert!(failures.is_empty(), "{}", failures[0]);
}

#[test]
fn the_generator_covers_the_language() {
    let exprs = generate(7, 2000);
    let all = exprs.join(" ");
    for word in [
        "exp(",
        "ln(",
        "sqrt(",
        "abs(",
        "min(",
        "max(",
        "floor(",
        "ceil(",
        "sum(",
        "prod(",
        "rec(",
        "^",
        "/",
        "e-",
        "E2",
        "0^0",
        "(-8)^(1/3)",
        "*0",
        "1e-",
    ] {
        assert!(all.contains(word), "no generated expression uses `{word}`");
    }
    // every generated expression parses
    for e in &exprs {
        expr::parse_expr(e).unwrap_or_else(|err| panic!("{e}: {}", err.message));
    }
}
