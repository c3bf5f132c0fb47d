//! Real algebra: relations between quotients of polynomials that branch and bound cannot
//! close (sides that touch along a curve, on the boundary of a constraint that is not
//! convex) are decided by the real-algebra decision procedure (z3's nlsat, installed by
//! `scripts/setup.sh`). The true claims of `examples/algebra.toml` were confirmed independently
//! by `tests/oracles/algebra.py` (each margin is a sum of squares or a square over a positive
//! product, checked as a polynomial identity at random rational points, and non-negative on
//! rational grids of the region); the counterexamples pinned here fail exactly there too.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rug::Rational;
use stabcert::ProofMethod;
use stabcert::certify::kernel::{Recheck, recheck};
use stabcert::claims::ClaimBuilder;
use stabcert::decide::{Options, Verdict, decide};

fn examples() -> Vec<stabcert::claims::Claim> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/algebra.toml");
    let text = std::fs::read_to_string(path).unwrap();
    stabcert::claims::load_str("examples/algebra.toml", &text).unwrap()
}

/// (id, verdict, decided at least in part by real algebra, counterexample)
type Expected = (
    &'static str,
    Verdict,
    bool,
    &'static [(&'static str, &'static str)],
);

#[test]
fn the_examples_file_is_decided_as_documented() {
    let want: [Expected; 7] = [
        ("algebra.diagonal", Verdict::Certified, false, &[]),
        ("algebra.ratio", Verdict::Certified, true, &[]),
        (
            "algebra.ratio.tight",
            Verdict::Refuted,
            false,
            &[("x", "1"), ("y", "1")],
        ),
        ("algebra.motzkin", Verdict::Certified, true, &[]),
        ("algebra.cauchy", Verdict::Certified, true, &[]),
        ("algebra.scaled", Verdict::Certified, true, &[]),
        (
            "algebra.dip",
            Verdict::Refuted,
            false,
            &[("x", "275807/195025")],
        ),
    ];
    let claims = examples();
    assert_eq!(claims.len(), want.len());
    for (c, (id, v, by_algebra, cx)) in claims.iter().zip(want) {
        assert_eq!(c.id, id);
        let o = decide(c, &Options::default()).remove(0);
        assert_eq!(o.verdict, v, "{id}: {:?}", o.reason());
        let methods = &o.coverage.methods;
        assert_eq!(
            methods.contains_key(&ProofMethod::RealAlgebra),
            by_algebra,
            "{id}: {methods:?}"
        );
        if v == Verdict::Refuted {
            let got = &o.counterexample.as_ref().unwrap().point;
            let want: Vec<(String, Rational)> = cx
                .iter()
                .map(|(n, q)| (n.to_string(), q.parse().unwrap()))
                .collect();
            assert_eq!(got, &want, "{id}");
            assert!(matches!(recheck(c, &o), Ok(Recheck::Agreed(_))), "{id}");
        }
    }
}

#[test]
fn without_branch_and_bound_the_solver_decides_alone() {
    // one box: branch and bound proves nothing and finds no failure, so every verdict below
    // comes from the decision procedure (and, for the refutation, the exact re-check of its
    // point)
    let opts = Options {
        max_boxes: 1,
        ..Options::default()
    };
    for (params, holds) in [
        (&["x in [-1, 1]", "y in [-1, 1]"][..], "x^2 + y^2 >= 2*x*y"),
        (
            &["x in [0, 1]", "y in [0, 1 - x]", "z in [0, 1 - x - y]"],
            "x*y*z <= 1/27",
        ),
        (&["x in (0, 2]"], "1/x + x >= 2"),
    ] {
        let mut b = ClaimBuilder::new("c");
        for p in params {
            b = b.param(*p);
        }
        let c = b.holds(holds).build().unwrap();
        let o = decide(&c, &opts).remove(0);
        assert_eq!(o.verdict, Verdict::Certified, "{holds}: {:?}", o.reason());
        assert_eq!(
            o.coverage.methods.get(&ProofMethod::RealAlgebra),
            Some(&1),
            "{holds}"
        );
    }
    // a failure only within about 1e-10 of sqrt(2): the solver's point (re-decided
    // exactly, then minimised) refutes, and the kernel agrees
    let c = ClaimBuilder::new("c")
        .param("x in [0, 2]")
        .holds("(x^2 - 2)^2 >= 1/10^20")
        .build()
        .unwrap();
    let o = decide(&c, &opts).remove(0);
    assert_eq!(o.verdict, Verdict::Refuted, "{:?}", o.reason());
    let x = &o.counterexample.as_ref().unwrap().point[0].1;
    let m = Rational::from(x * x) - 2u32;
    assert!(
        Rational::from(&m * &m) < Rational::from((1, 10u64.pow(20))),
        "{x}"
    );
    assert!(matches!(recheck(&c, &o), Ok(Recheck::Agreed(_))));
    // a side with no value on the diagonal refutes the relation as written
    let c = ClaimBuilder::new("c")
        .param("x in [0, 1]")
        .param("y in [0, 1]")
        .holds("(x - y)^2/(x - y) <= 1")
        .build()
        .unwrap();
    let o = decide(&c, &opts).remove(0);
    assert_eq!(o.verdict, Verdict::Refuted, "{:?}", o.reason());
    let p = &o.counterexample.as_ref().unwrap().point;
    assert_eq!(p[0].1, p[1].1);
}

mod common;

/// Seeded random quotients `(a x^2 + b x y + c)/(x - r)` compared with a constant on a box,
/// decided by the solver alone (one box): the pole `x = r` is inside the box in about half
/// the cases. Every verdict is checked by exact evaluation written here: `certified` only if
/// the pole is outside the box and the relation holds on a grid (with the box's corners and
/// the points next to the pole); `refuted` at a point of the box where the divisor vanishes
/// or the relation fails. Dropping the divisor condition from the solver's query makes this
/// test fail (a quotient is certified with its pole in the box).
#[test]
fn quotients_with_poles_agree_with_exact_evaluation() {
    let (seed, count) = common::seed_and_count(60);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xa1_9eb7a);
    let opts = Options {
        max_boxes: 1,
        ..Options::default()
    };
    let q = |n: i64, d: i64| Rational::from((n, d));
    let (mut certified, mut refuted) = (0, 0);
    for case in 0..count {
        let (a, b, c) = (
            rng.gen_range(-3..=3i64),
            rng.gen_range(-3..=3i64),
            rng.gen_range(-3..=3i64),
        );
        let r = q(rng.gen_range(-8..=8), 4);
        let k = q(rng.gen_range(-12..=12), 2);
        let le = rng.gen_bool(0.5);
        let (x0, x1, y0, y1) = (q(-1, 1), q(1, 1), q(0, 1), q(1, 1));
        let holds = format!(
            "({a}*x^2 + ({b})*x*y + ({c}))/(x - ({r})) {} {k}",
            if le { "<=" } else { ">=" }
        );
        let claim = ClaimBuilder::new(format!("q{case}"))
            .param("x in [-1, 1]")
            .param("y in [0, 1]")
            .holds(holds.clone())
            .build()
            .unwrap();
        let o = decide(&claim, &opts).remove(0);
        let value = |x: &Rational, y: &Rational| -> Option<Rational> {
            let d = Rational::from(x - &r);
            (d != 0).then(|| {
                (Rational::from(a) * x * x + Rational::from(b) * x * y + Rational::from(c)) / d
            })
        };
        let ok = |x: &Rational, y: &Rational| {
            value(x, y).is_some_and(|v| if le { v <= k } else { v >= k })
        };
        match o.verdict {
            Verdict::Certified => {
                certified += 1;
                assert!(
                    !(x0 <= r && r <= x1),
                    "case {case} (seed {seed}): `{holds}` certified with its pole x = {r} in the box"
                );
                let mut xs: Vec<Rational> = (0..=16).map(|i| q(i - 8, 8)).collect();
                xs.push(&r + q(1, 1000));
                xs.push(&r - q(1, 1000));
                for x in xs.iter().filter(|x| x0 <= **x && **x <= x1) {
                    for j in 0..=8 {
                        let y = q(j, 8);
                        assert!(
                            ok(x, &y),
                            "case {case} (seed {seed}): `{holds}` certified, fails at ({x}, {y})"
                        );
                    }
                }
            }
            Verdict::Refuted => {
                refuted += 1;
                let p = &o.counterexample.as_ref().unwrap().point;
                let (x, y) = (&p[0].1, &p[1].1);
                assert!(x0 <= *x && *x <= x1 && y0 <= *y && *y <= y1, "case {case}");
                assert!(
                    !ok(x, y),
                    "case {case} (seed {seed}): `{holds}` holds at ({x}, {y})"
                );
            }
            _ => {}
        }
    }
    assert!(
        certified > 0 && refuted > 0,
        "{certified} certified, {refuted} refuted"
    );
}

#[test]
fn a_missing_solver_is_named_and_never_certifies() {
    // a program that does not exist: the verdict stays with branch and bound, and says why
    // (run in a child process so that the environment variable touches no other test)
    if std::env::var("STABCERT_ALGEBRA_CHILD").is_ok() {
        let c = ClaimBuilder::new("c")
            .param("a in [-1, 1]")
            .param("b in [-1, 1]")
            .param("x in [-1, 1]")
            .param("y in [-1, 1]")
            .holds("(a*x + b*y)^2 <= (a^2 + b^2)*(x^2 + y^2)")
            .build()
            .unwrap();
        let o = decide(&c, &Options::default()).remove(0);
        assert_eq!(o.verdict, Verdict::Undecided);
        let why = o.reason().unwrap();
        assert!(why.contains("is not installed"), "{why}");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "a_missing_solver_is_named_and_never_certifies",
            "--exact",
            "--nocapture",
        ])
        .env("STABCERT_ALGEBRA_CHILD", "1")
        .env("STABCERT_Z3", "/nonexistent/z3")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
}
