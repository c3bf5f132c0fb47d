//! The mutation suite: true inequalities with a known tight constant. Tightening the constant
//! by a relative 1e-9 must give `refuted`; loosening it must give `certified` or
//! `undecided`, never `refuted`; claims that hold with equality at a point (exactly, or
//! touching) must never be refuted.

use stabcert::claims::ClaimBuilder;
use stabcert::decide::{Options, Verdict, decide};

/// The verdict of `holds` over the parameters `params` (quoted specs, comma-separated; a
/// spec starting with `where ` is a constraint).
fn verdict(params: &str, holds: &str) -> (Verdict, Option<String>) {
    let mut b = ClaimBuilder::new("m").source("S").text("t");
    for p in params.split("\", \"") {
        let p = p.trim_matches('"');
        b = match p.strip_prefix("where ") {
            Some(c) => b.constraint(c),
            None => b.param(p),
        };
    }
    let c = b.holds(holds).build().unwrap();
    let o = decide(&c, &Options::default()).remove(0);
    (o.verdict, o.reason())
}

/// (params, holds with `K` for the tight constant's factor, where K = 1 is tight)
const TIGHT: &[(&str, &str)] = &[
    // ln(1 + x) <= x, tight as x -> 0 (x in (0, 1])
    ("\"x in (0, 1]\"", "ln(1 + x) <= K*x"),
    // AM-GM: sqrt(x) <= (1 + x)/2, equality at x = 1
    ("\"x in [0, 4]\"", "sqrt(x) <= K*(1 + x)/2"),
    // exp(x) >= 1 + x, equality at x = 0 (as K*exp(x) >= 1 + x)
    ("\"x in [-1, 1]\"", "K*exp(x) >= 1 + x"),
    // max over n of n/ln(n+1) on 1..=20 is at n = 20
    ("\"n in 1..=20\"", "n/ln(n + 1) <= K*20/ln(21)"),
    // Bernoulli (n - r)/n <= (1 - 1/n)^r, equality at r = 1 (exact rationals)
    (
        "\"n in 2..=40\", \"r in 1..=n\"",
        "(n - r)/n <= K*(1 - 1/n)^r",
    ),
    // T^a <= T^(1/10) on a in (0, 1/10], T in 2..=50: tight at a = 1/10
    ("\"T in 2..=50\", \"a in (0, 1/10]\"", "T^a <= K*T^(1/10)"),
    // touching at x = 0 with a vanishing first derivative of the margin
    ("\"x in [0, 10]\"", "x/(1 + x) <= K*ln(1 + x)"),
    ("\"x in [-2, 2]\"", "1 + x <= K*exp(x)"),
    // dependent domains: tight along the face alpha = 1/beta, along y = x, at the simplex's
    // centre
    (
        "\"beta in [1/4, 4]\", \"alpha in (0, 1/beta]\"",
        "alpha*beta <= K",
    ),
    ("\"x in [0, 1]\", \"y in [x, 1]\"", "x*y <= K*y^2"),
    (
        "\"x in [0, 1]\", \"y in [0, 1 - x]\", \"z in [0, 1 - x - y]\"",
        "x*y*z <= K/27",
    ),
    // real algebra: touching along a curve (x = y; (a, b) parallel to (x, y)) and on the
    // boundary of a constraint
    (
        "\"x in (0, 3]\", \"y in (0, 3]\"",
        "K*(x^2 + y^2)/(x*y) >= 2",
    ),
    (
        "\"a in [-1, 1]\", \"b in [-1, 1]\", \"x in [-1, 1]\", \"y in [-1, 1]\"",
        "(a*x + b*y)^2 <= K*(a^2 + b^2)*(x^2 + y^2)",
    ),
    (
        "\"n in 1..=4\", \"x in [0, 1]\", \"y in [0, 4]\", \"where x*n + y <= n\"",
        "x*n*y <= K*n^2/4",
    ),
];

#[test]
fn tightening_refutes_and_loosening_never_does() {
    for (params, holds) in TIGHT {
        // for `lhs <= K*rhs`, K < 1 tightens; for `K*lhs >= rhs`, K < 1 tightens too
        let tight = holds.replace('K', "(1 - 1e-9)");
        let loose = holds.replace('K', "(1 + 1e-9)");
        let (v, r) = verdict(params, &tight);
        assert_eq!(v, Verdict::Refuted, "tightened {holds}: {v:?} {r:?}");
        let (v, r) = verdict(params, &loose);
        assert!(
            v == Verdict::Certified || v == Verdict::Undecided,
            "loosened {holds}: {v:?} {r:?}"
        );
    }
}

#[test]
fn loosened_claims_away_from_touching_points_are_certified() {
    for (params, holds) in [
        ("\"x in [0, 4]\"", "sqrt(x) <= (1 + 1e-9)*(1 + x)/2"),
        ("\"n in 1..=20\"", "n/ln(n + 1) <= (1 + 1e-9)*20/ln(21)"),
        (
            "\"n in 2..=40\", \"r in 1..=n\"",
            "(n - r)/n <= (1 + 1e-9)*(1 - 1/n)^r",
        ),
        ("\"x in [-1, 1]\"", "(1 + 1e-9)*exp(x) >= 1 + x"),
        ("\"x in [0, 10]\"", "x/(1 + x) <= (1 + 1e-9)*ln(1 + x)"),
        ("\"x in [-2, 2]\"", "1 + x <= (1 + 1e-9)*exp(x)"),
        (
            "\"beta in [1/4, 4]\", \"alpha in (0, 1/beta]\"",
            "alpha*beta <= 1 + 1e-9",
        ),
        (
            "\"x in [0, 1]\", \"y in [0, 1 - x]\", \"z in [0, 1 - x - y]\"",
            "x*y*z <= (1 + 1e-9)/27",
        ),
    ] {
        let (v, r) = verdict(params, holds);
        assert_eq!(v, Verdict::Certified, "{holds}: {r:?}");
    }
}

/// Touching inequalities as they are written, equal at a point: certified, by splitting
/// the box where the sides are equal and a Taylor form at that end (or by the point sweep).
#[test]
fn touching_claims_are_certified() {
    for (params, holds) in [
        ("\"x in [0, 10]\"", "x/(1 + x) <= ln(1 + x)"),
        ("\"x in [-2, 2]\"", "1 + x <= exp(x)"),
        ("\"a in (0, 1/10]\"", "1 + a/0.99 <= exp(a/0.99)"),
        ("\"k in 1..=20\", \"x in [0, 1]\"", "(1 - x)^k >= 1 - k*x"),
        ("\"T in 1..=200\"", "sum(t, 1, T, 1/t^2) <= 2 - 1/T"),
        ("\"T in 1..=10000\"", "(1 + 1/T)^T <= exp(1)"),
        // touching on a face or inside a region that is not a box
        (
            "\"beta in [1/4, 4]\", \"alpha in (0, 1/beta]\"",
            "alpha*beta <= 1",
        ),
        ("\"x in [0, 1]\", \"y in [x, 1]\"", "x*y <= y^2"),
        (
            "\"x in [0, 1]\", \"y in [0, 1 - x]\", \"z in [0, 1 - x - y]\"",
            "x*y*z <= 1/27",
        ),
        (
            "\"x in [0, 1]\", \"y in [0, 1]\", \"where x + y <= 1\"",
            "x*y <= 1/4",
        ),
        (
            "\"x in [0, 1]\", \"y in [0, 1]\", \"where x + y <= 1\"",
            "x + y <= 1",
        ),
        // touching along a curve or on a constraint's boundary (real algebra)
        ("\"x in (0, 3]\", \"y in (0, 3]\"", "(x^2 + y^2)/(x*y) >= 2"),
        (
            "\"a in [-1, 1]\", \"b in [-1, 1]\", \"x in [-1, 1]\", \"y in [-1, 1]\"",
            "(a*x + b*y)^2 <= (a^2 + b^2)*(x^2 + y^2)",
        ),
        (
            "\"n in 1..=4\", \"x in [0, 1]\", \"y in [0, 4]\", \"where x*n + y <= n\"",
            "x*n*y <= n^2/4",
        ),
        // touching through a max or a min (the margin is the minimum of pieces, each
        // proven by its own Taylor form: the logistic loss's f'' <= 1/4, equal at 0)
        (
            "\"w in [-5, 5]\"",
            "max(exp(w)/(1 + exp(w))^2, exp(-w)/(1 + exp(-w))^2) <= 1/4",
        ),
        (
            "\"x in [0, 3]\"",
            "min(ln(1 + x), 2*x/(1 + x)) >= x/(1 + x)",
        ),
        // a pole at an excluded end of the domain
        ("\"x in (-1, 4]\"", "ln(1 + x) <= x"),
        ("\"x in (0, 2]\"", "1/x + x >= 2"),
    ] {
        let (v, r) = verdict(params, holds);
        assert_eq!(v, Verdict::Certified, "{holds}: {r:?}");
    }
}

#[test]
fn equality_at_a_point_is_never_refuted() {
    for (params, holds) in [
        // exact equality at r = 1
        (
            "\"n in 2..=40\", \"r in 1..=n\"",
            "(n - r)/n <= (1 - 1/n)^r",
        ),
        // touching at x = 0 and x = 1 (transcendental / algebraic)
        ("\"x in [-1, 1]\"", "exp(x) >= 1 + x"),
        ("\"x in [0, 4]\"", "sqrt(x) <= (1 + x)/2"),
        ("\"x in [0, 2]\"", "x^2 >= 2*x - 1"),
        // equal transcendental values at every point
        ("\"n in 2..=5\"", "exp(ln(n)) <= n"),
        ("\"n in 2..=5\"", "exp(ln(n)) >= n"),
        ("\"a in [1/10, 1/2]\"", "exp(a*ln(2)) <= 2^a"),
        // equal radicals, decided exactly by exponent clearing
        ("\"n in 1..=30\"", "n*n^(1/2) <= n^(3/2)"),
    ] {
        let (v, r) = verdict(params, holds);
        assert_ne!(v, Verdict::Refuted, "{holds}: {r:?}");
    }
    let (v, _) = verdict("\"n in 1..=30\"", "n*n^(1/2) <= n^(3/2)");
    assert_eq!(v, Verdict::Certified);
}

/// A max whose pieces touch at a point but one of which fails right next to it is refuted,
/// not certified by the pieces' Taylor forms: `1 + 2x <= exp(x)` fails for small x > 0
/// (both sides are 1 at 0, the left grows twice as fast), so `max(1 + 2x, 1 + x) <= exp(x)`
/// fails there too.
#[test]
fn a_failing_piece_next_to_a_touching_point_refutes() {
    let (v, r) = verdict("\"x in [0, 1]\"", "max(1 + 2*x, 1 + x) <= exp(x)");
    assert_eq!(v, Verdict::Refuted, "{r:?}");
    let (v, r) = verdict("\"x in [-1, 0]\"", "min(exp(x), 1 + 2*x) >= 1 + x");
    assert_eq!(v, Verdict::Refuted, "{r:?}");
}
