//! Interval derivatives (`real::eval_dual`, which drives the monotonicity and mean-value
//! proofs of branch and bound) tested against difference quotients. For random expressions
//! in `x` and `y` — with sums, products and recurrences, some of whose bound variables
//! shadow `x` — and random boxes, wherever the derivative walk gives a gradient on the box
//! (it claims the function is differentiable there, or Lipschitz with the Clarke gradient at
//! kinks), the mean value theorem puts every difference quotient along a coordinate inside
//! that coordinate's derivative enclosure. The quotients are computed at 512 bits, four
//! times the working precision of the walk, and must overlap the enclosure; the value
//! enclosure must contain the values at the points.
//!
//! The symbolic derivatives (`expr::derivative`, used by the Taylor forms that prove
//! touching inequalities) are held to the same quotients.
//!
//! The test is sensitive: with the `Mul` rule's second term dropped, or the shadowed index
//! given the variable's derivative (the bug this test was written for), it fails.

use proptest::prelude::*;
use rug::Rational;
use stabcert::expr::parse_expr;
use stabcert::real::{self, Arith, Interval, RealEnv};
use stabcert::{Budget, Expr};

/// Expressions in `x` and `y`, as claim-language text.
fn tree() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("x".to_string()),
        Just("y".to_string()),
        (-6i64..=6, 1i64..=4).prop_map(|(n, d)| format!("({n}/{d})")),
    ];
    leaf.prop_recursive(4, 20, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} - {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} * {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} / (1 + {b}^2))")),
            (inner.clone(), 1u32..=3).prop_map(|(a, k)| format!("({a})^{k}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("(1 + {a}^2)^({b})")),
            inner.clone().prop_map(|a| format!("exp({a}/4)")),
            inner.clone().prop_map(|a| format!("ln(1 + {a}^2)")),
            inner.clone().prop_map(|a| format!("sqrt(1 + {a}^2)")),
            inner.clone().prop_map(|a| format!("abs({a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("min({a}, {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("max({a}, {b})")),
            inner.clone().prop_map(|a| format!("floor({a})")),
            // binders: the index in the body, and the same with the index named `x`
            (inner.clone(), 1u32..=4).prop_map(|(a, k)| format!("sum(i, 1, {k}, {a} * i)")),
            (inner.clone(), 1u32..=4).prop_map(|(a, k)| format!("sum(x, 1, {k}, {a} * x)")),
            (inner.clone(), 1u32..=3)
                .prop_map(|(a, k)| format!("prod(i, 1, {k}, 1 + {a}^2/(i + 1))")),
            (inner.clone(), inner.clone(), 1u32..=4)
                .prop_map(|(a, b, k)| format!("rec(z, t, 1, {k}, {a}, z/(1 + t) + {b}/(2*t))")),
            (inner.clone(), inner, 1u32..=4)
                .prop_map(|(a, b, k)| format!("rec(x, t, 1, {k}, {a}, x/2 + {b}/t)")),
        ]
    })
}

/// One side of a box and two points in it: `(lo, hi, p, q)`.
type Side = (Rational, Rational, Rational, Rational);

/// A box `[lo, lo + w]` with `w` in (0, 1/2], and two points `p < q` inside it.
fn side() -> impl Strategy<Value = (Rational, Rational, Rational, Rational)> {
    (-16i64..=16, 1i64..=8, 0u32..=31, 1u32..=32).prop_map(|(c, wk, a, b)| {
        let lo = Rational::from((c, 8));
        let w = Rational::from((wk, 16));
        let p = &lo + &w * Rational::from((a.min(b - 1), 32));
        let q = &lo + &w * Rational::from((b.max(a + 1), 32));
        let hi = Rational::from(&lo + &w);
        (lo, hi, p, q)
    })
}

fn overlap(a: &Interval, b: &Interval) -> bool {
    a.lo() <= b.hi() && b.lo() <= a.hi()
}

/// The enclosure of `e` at the exact point `(x, y)` at 512 bits.
fn at(e: &Expr, x: &Rational, y: &Rational) -> Option<Interval> {
    let pt = vec![("x".to_string(), x.clone()), ("y".to_string(), y.clone())];
    real::eval_at(e, &pt, 512, &Budget::default()).ok()
}

/// Checks the derivative enclosures of `e` on the box against the quotients between the
/// given points (along x at height `y0`, along y at abscissa `x0`). `Err` names what fails.
fn check(
    e: &Expr,
    (xlo, xhi, xp, xq): &(Rational, Rational, Rational, Rational),
    (ylo, yhi, yp, yq): &(Rational, Rational, Rational, Rational),
    perturb: impl Fn(Interval) -> Interval,
) -> Result<usize, String> {
    let ar = Arith { prec: 128 };
    let mut env = RealEnv::new();
    env.push("x", Interval::from_bounds(xlo, xhi, 128));
    env.push("y", Interval::from_bounds(ylo, yhi, 128));
    let vars = ["x".to_string(), "y".to_string()];
    let Ok(dual) = real::eval_dual(e, &mut env, &vars, ar, &Budget::default()) else {
        return Ok(0); // not differentiable on the box: nothing is claimed
    };
    let wide = Arith { prec: 512 };
    let cases = [
        (0, (xp, yp), (xq, yp), Rational::from(xq - xp)),
        (1, (xp, yp), (xp, yq), Rational::from(yq - yp)),
    ];
    let mut compared = 0;
    for (k, (p0, p1), (q0, q1), h) in cases {
        let (Some(fp), Some(fq)) = (at(e, p0, p1), at(e, q0, q1)) else {
            continue;
        };
        if !overlap(&fp, &dual.v) || !overlap(&fq, &dual.v) {
            return Err(format!("value enclosure {:?} misses a point value", dual.v));
        }
        let Ok(quot) = wide.div(&wide.sub(&fq, &fp), &Interval::from_rational(&h, 512)) else {
            continue;
        };
        let d = perturb(dual.d[k].clone());
        if !overlap(&quot, &d) {
            return Err(format!(
                "d/d{}: quotient {} .. {} outside the enclosure {} .. {}",
                ["x", "y"][k],
                quot.lo().to_f64(),
                quot.hi().to_f64(),
                d.lo().to_f64(),
                d.hi().to_f64()
            ));
        }
        compared += 1;
    }
    Ok(compared)
}

#[test]
fn derivative_enclosures_contain_difference_quotients() {
    // the test is not vacuous: most cases have a gradient and compare quotients
    let compared = run_cases(|e, xs, ys| check(e, xs, ys, |d| d));
    assert!(compared >= 1000, "only {compared} quotients compared");
}

/// Runs 1,000 seeded cases (the same on every run) of `check_case`; returns how many
/// quotients were compared in all.
fn run_cases(check_case: impl Fn(&Expr, &Side, &Side) -> Result<usize, String>) -> usize {
    use proptest::test_runner::{Config, TestRng, TestRunner};
    let config = Config {
        cases: 1000,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let compared = std::cell::Cell::new(0usize);
    runner
        .run(&(tree(), side(), side()), |(src, xs, ys)| {
            let e = parse_expr(&src).unwrap();
            match check_case(&e, &xs, &ys) {
                Ok(n) => {
                    compared.set(compared.get() + n);
                    Ok(())
                }
                Err(why) => Err(TestCaseError::fail(format!(
                    "{src} on x in [{}, {}], y in [{}, {}]: {why}",
                    xs.0, xs.1, ys.0, ys.1
                ))),
            }
        })
        .unwrap();
    compared.get()
}

/// The symbolic derivatives of `e` (`expr::derivative`, which the Taylor forms of branch and
/// bound use) enclosed over the box must overlap the same difference quotients, wherever
/// they and `e` have values on the whole box. Returns the number of quotients compared.
fn check_symbolic(
    e: &Expr,
    (xlo, xhi, xp, xq): &(Rational, Rational, Rational, Rational),
    (ylo, yhi, yp, yq): &(Rational, Rational, Rational, Rational),
) -> Result<usize, String> {
    let ar = Arith { prec: 128 };
    let mut env = RealEnv::new();
    env.push("x", Interval::from_bounds(xlo, xhi, 128));
    env.push("y", Interval::from_bounds(ylo, yhi, 128));
    if real::eval(e, &mut env, ar, &Budget::default()).is_err() {
        return Ok(0);
    }
    let wide = Arith { prec: 512 };
    let mut compared = 0;
    let cases = [
        ("x", (xp, yp), (xq, yp), Rational::from(xq - xp)),
        ("y", (xp, yp), (xp, yq), Rational::from(yq - yp)),
    ];
    for (name, (p0, p1), (q0, q1), h) in cases {
        let Some(d) = stabcert::expr::derivative(e, name) else {
            continue;
        };
        let Ok(dv) = real::eval(&d, &mut env, ar, &Budget::default()) else {
            continue;
        };
        let (Some(fp), Some(fq)) = (at(e, p0, p1), at(e, q0, q1)) else {
            continue;
        };
        let Ok(quot) = wide.div(&wide.sub(&fq, &fp), &Interval::from_rational(&h, 512)) else {
            continue;
        };
        if !overlap(&quot, &dv) {
            return Err(format!(
                "d/d{name} = {d}: quotient {} .. {} outside {} .. {}",
                quot.lo().to_f64(),
                quot.hi().to_f64(),
                dv.lo().to_f64(),
                dv.hi().to_f64()
            ));
        }
        compared += 1;
    }
    Ok(compared)
}

#[test]
fn symbolic_derivatives_contain_difference_quotients() {
    let compared = run_cases(check_symbolic);
    assert!(compared >= 500, "only {compared} quotients compared");
}

#[test]
fn a_shadowing_index_gets_no_derivative() {
    // sum(x, 1, 3, y*x) = 6y does not depend on x (the body's x is the index)
    let e = parse_expr("sum(x, 1, 3, y*x) + rec(x, t, 1, 3, y, x/2 + t)").unwrap();
    let q = |a: i64, b: i64| Rational::from((a, b));
    let xs = (q(0, 1), q(1, 1), q(1, 4), q(3, 4));
    let ys = (q(1, 1), q(2, 1), q(5, 4), q(7, 4));
    check(&e, &xs, &ys, |d| d).unwrap();
    let ar = Arith { prec: 128 };
    let mut env = RealEnv::new();
    env.push("x", Interval::from_bounds(&xs.0, &xs.1, 128));
    env.push("y", Interval::from_bounds(&ys.0, &ys.1, 128));
    let vars = ["x".to_string(), "y".to_string()];
    let dual = real::eval_dual(&e, &mut env, &vars, ar, &Budget::default()).unwrap();
    assert!(
        dual.d[0].lo().is_zero() && dual.d[0].hi().is_zero(),
        "{:?}",
        dual.d[0]
    );
}

#[test]
fn the_check_catches_a_wrong_derivative() {
    // x^3 on [1, 2]: the quotients lie in [3, 12]; a negated or halved enclosure misses them
    let e = parse_expr("x^3 + y").unwrap();
    let q = |a: i64, b: i64| Rational::from((a, b));
    let xs = (q(1, 1), q(2, 1), q(3, 2), q(7, 4));
    let ys = (q(0, 1), q(1, 1), q(1, 4), q(1, 2));
    check(&e, &xs, &ys, |d| d).unwrap();
    let ar = Arith { prec: 128 };
    assert!(check(&e, &xs, &ys, |d| ar.neg(&d)).is_err());
    let tenth = Interval::from_rational(&q(1, 10), 128);
    assert!(check(&e, &xs, &ys, |d| ar.mul(&d, &tenth)).is_err());
}
