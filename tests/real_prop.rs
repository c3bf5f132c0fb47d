//! The interval engine tested the way Arb is tested: for random expressions, random boxes
//! and random rational points inside them, the true value (the exact rational when there is
//! one, else a 4x-precision enclosure at the point) must lie in the enclosure computed over
//! the box; results at two precisions must overlap; no enclosure may have a NaN end; and a
//! box the engine calls undefined everywhere must not contain a point where the expression
//! has a value. Edge cases (ln near 0, powers of bases near 0, exp of large arguments,
//! 0 times infinity) have their own tests.

use proptest::prelude::*;
use rug::ops::Pow;
use rug::{Float, Rational};
use stabcert::exact::{self, Budget, Env, ExactError};
use stabcert::expr::{BinOp, Expr, Func, parse_expr};
use stabcert::real::{self, Arith, Interval, RealEnv, RealError};

fn small_q() -> impl Strategy<Value = Rational> {
    (-40i64..=40, 1i64..=16).prop_map(|(n, d)| Rational::from((n, d)))
}

fn lit(q: Rational) -> Expr {
    if q < 0 {
        Expr::Neg(Box::new(Expr::Num(-q)))
    } else {
        Expr::Num(q)
    }
}

fn tree() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        small_q().prop_map(lit),
        Just(Expr::Var("x".into())),
        Just(Expr::Var("y".into())),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Neg(Box::new(e))),
            (
                prop::sample::select(vec![BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div]),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(op, a, b)| Expr::bin(op, a, b)),
            // integer powers
            (inner.clone(), -3i64..=4).prop_map(|(a, k)| Expr::bin(
                BinOp::Pow,
                a,
                lit(Rational::from(k))
            )),
            // real powers: rational literal exponents and expression exponents
            (inner.clone(), small_q()).prop_map(|(a, q)| Expr::bin(BinOp::Pow, a, lit(q / 3u32))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::bin(BinOp::Pow, a, b)),
            (
                prop::sample::select(vec![
                    Func::Exp,
                    Func::Ln,
                    Func::Sqrt,
                    Func::Abs,
                    Func::Floor,
                    Func::Ceil
                ]),
                inner.clone()
            )
                .prop_map(|(f, a)| Expr::Call(f, vec![a])),
            (prop::bool::ANY, inner.clone(), inner).prop_map(|(mx, a, b)| {
                Expr::Call(if mx { Func::Max } else { Func::Min }, vec![a, b])
            }),
        ]
    })
}

/// A box [c, c + w] and a rational point inside it.
fn dim() -> impl Strategy<Value = (Rational, Rational, Rational)> {
    (small_q(), 0i64..=8, 0u32..=64).prop_map(|(c, wk, frac)| {
        let w = Rational::from((wk, 8));
        let p = &c + &w * Rational::from((frac, 64));
        let hi = Rational::from(&c + &w);
        (c, hi, p)
    })
}

fn no_nan(iv: &Interval) -> bool {
    !iv.lo().is_nan() && !iv.hi().is_nan() && *iv.lo() <= *iv.hi()
}

fn overlap(a: &Interval, b: &Interval) -> bool {
    *a.lo() <= *b.hi() && *b.lo() <= *a.hi()
}

fn budget() -> Budget {
    Budget {
        max_steps: 10_000,
        max_bits: 1 << 16,
        deadline: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10000))]

    #[test]
    fn enclosures_contain_the_true_value(e in tree(), dx in dim(), dy in dim(), prec in 24u32..200) {
        let b = budget();
        let mut env = RealEnv::new();
        env.push("x", Interval::from_bounds(&dx.0, &dx.1, prec));
        env.push("y", Interval::from_bounds(&dy.0, &dy.1, prec));
        let boxed = real::eval(&e, &mut env, Arith { prec }, &b);
        let pt = vec![("x".to_string(), dx.2.clone()), ("y".to_string(), dy.2.clone())];
        let at = real::eval_at(&e, &pt, prec * 4, &b);
        let at_low = real::eval_at(&e, &pt, prec, &b);
        let mut xenv = Env::new();
        xenv.push("x", dx.2.clone());
        xenv.push("y", dy.2.clone());
        let ex = exact::eval(&e, &mut xenv, &b);

        for iv in [&boxed, &at, &at_low].into_iter().flatten() {
            prop_assert!(no_nan(iv), "NaN or inverted enclosure {:?} for {}", iv, e);
        }
        if let Ok(v) = &ex {
            if let Ok(iv) = &boxed {
                prop_assert!(iv.contains_rational(v), "{} = {} at {:?} not in box enclosure {:?}", e, v, pt, iv);
            }
            if let Ok(iv) = &at {
                prop_assert!(iv.contains_rational(v), "{} = {} not in point enclosure {:?}", e, v, iv);
            }
        }
        if let (Ok(a), Ok(bx)) = (&at, &boxed) {
            prop_assert!(overlap(a, bx), "{}: point {:?} outside box {:?}", e, a, bx);
        }
        if let (Ok(a), Ok(l)) = (&at, &at_low) {
            prop_assert!(overlap(a, l), "{}: precisions disagree {:?} vs {:?}", e, a, l);
        }
        // "undefined everywhere on the box" must not contain a point with a value
        if let Err(RealError::Undefined(m)) = &boxed {
            prop_assert!(ex.is_err() && at.is_err(), "{} called undefined on the box ({}) but has a value at {:?}", e, m, pt);
        }
        // the exact engine and the interval engine agree on undefined points
        if let Err(ExactError::Undefined(_)) = &ex {
            prop_assert!(at.is_err(), "{}: exact says undefined at {:?}, intervals gave {:?}", e, pt, at);
        }
    }
}

fn enclose(src: &str, prec: u32) -> Result<Interval, RealError> {
    real::eval_at(&parse_expr(src).unwrap(), &[], prec, &Budget::default())
}

fn contains_float(iv: &Interval, v: &Float) -> bool {
    *iv.lo() <= *v && *v <= *iv.hi()
}

#[test]
fn ln_near_zero() {
    for k in [10u32, 100, 1000, 100_000] {
        let iv = enclose(&format!("ln(10^-{k})"), 64).unwrap();
        // ln(10^-k) = -k ln 10, with ln 10 computed at 4x precision
        let truth = Float::with_val(256, 10u32).ln() * -(k as i32);
        assert!(contains_float(&iv, &truth), "k={k}: {iv:?}");
        assert!(no_nan(&iv));
    }
    assert!(matches!(enclose("ln(0)", 64), Err(RealError::Undefined(_))));
    let mut env = RealEnv::new();
    env.push(
        "x",
        Interval::from_bounds(&Rational::new(), &Rational::from((1, 1000)), 64),
    );
    let e = parse_expr("ln(x)").unwrap();
    assert!(matches!(
        real::eval(&e, &mut env, Arith { prec: 64 }, &Budget::default()),
        Err(RealError::MaybeUndefined(_))
    ));
}

#[test]
fn powers_of_bases_near_zero() {
    // (10^-50)^(1/3) and (10^-50)^(-2/3), tiny and huge
    let iv = enclose("(10^-60)^(1/3)", 64).unwrap();
    assert!(iv.contains_rational(&Rational::from((1, rug::Integer::from(10).pow(20u32)))));
    let iv = enclose("(10^-60)^(-2/3)", 64).unwrap();
    assert!(iv.contains_rational(&Rational::from(rug::Integer::from(10).pow(40u32))));
    // base interval [0, w] with a positive real exponent: includes 0, stays finite
    let mut env = RealEnv::new();
    env.push(
        "x",
        Interval::from_bounds(&Rational::new(), &Rational::from((1, 1_000_000)), 64),
    );
    env.push(
        "a",
        Interval::from_bounds(&Rational::from((1, 10)), &Rational::from((1, 5)), 64),
    );
    let e = parse_expr("x^a").unwrap();
    let iv = real::eval(&e, &mut env, Arith { prec: 64 }, &Budget::default()).unwrap();
    assert!(*iv.lo() == 0 && *iv.hi() >= Float::with_val(64, 0.25) && *iv.hi() <= 1);
    // a base that may be 0 under an exponent that may be <= 0 is not trusted
    let e = parse_expr("x^(a - 1/2)").unwrap();
    assert!(matches!(
        real::eval(&e, &mut env, Arith { prec: 64 }, &Budget::default()),
        Err(RealError::MaybeUndefined(_))
    ));
    assert!(matches!(
        enclose("(-2)^(1/2)", 64),
        Err(RealError::Undefined(_))
    ));
    assert!(matches!(
        enclose("0^(-1/2)", 64),
        Err(RealError::Undefined(_))
    ));
    assert_eq!(*enclose("(-2)^3", 64).unwrap().lo(), -8);
}

#[test]
fn exp_of_large_arguments() {
    let iv = enclose("exp(10^6)", 64).unwrap();
    let truth = Float::with_val(256, 1_000_000u32).exp();
    assert!(contains_float(&iv, &truth));
    let iv = enclose("exp(-(10^6))", 64).unwrap();
    assert!(*iv.lo() >= 0 && contains_float(&iv, &Float::with_val(256, -1_000_000i32).exp()));
    let iv = enclose("exp(exp(exp(10)))", 64).unwrap();
    assert!(no_nan(&iv) && *iv.lo() > 0);
}

#[test]
fn zero_times_infinity_is_zero_not_nan() {
    let ar = Arith { prec: 64 };
    let zero_one = Interval::from_bounds(&Rational::new(), &Rational::from(1), 64);
    let big = Interval::new(
        Float::with_val(64, 1),
        Float::with_val(64, rug::float::Special::Infinity),
    );
    let p = ar.mul(&zero_one, &big);
    assert!(no_nan(&p) && *p.lo() == 0 && p.hi().is_infinite());
    let z = Interval::from_rational(&Rational::new(), 64);
    let p = ar.mul(&z, &big);
    assert!(*p.lo() == 0 && *p.hi() == 0);
    let q = ar.div(&big, &big).unwrap();
    assert!(no_nan(&q) && *q.lo() <= 1 && q.hi().is_infinite());
    let s = ar.sub(&big, &big);
    assert!(no_nan(&s));
}

#[test]
fn recurrences_and_sums_enclose_the_exact_value() {
    let e = parse_expr("rec(x, t, 1, T, 0, (1 + a/(0.99*t))*x + 1/(t*n))").unwrap();
    let pt = vec![
        ("T".to_string(), Rational::from(50_000)),
        ("a".to_string(), Rational::from((1, 100))),
        ("n".to_string(), Rational::from(10)),
    ];
    let mut env = Env::new();
    for (k, v) in &pt {
        env.push(k, v.clone());
    }
    let truth = exact::eval(&e, &mut env, &Budget::default()).unwrap();
    let iv = real::eval_at(&e, &pt, 128, &Budget::default()).unwrap();
    assert!(iv.contains_rational(&truth));
    // tight: relative width below 2^-100
    let w = iv.width();
    assert!(w < Float::with_val(64, 1e-28), "{}", w);
}

#[test]
fn intervals_are_checked_at_construction() {
    // a NaN end becomes the infinity on its side; inverted ends give the whole line
    let nan = Float::with_val(64, rug::float::Special::Nan);
    let iv = Interval::new(nan.clone(), Float::with_val(64, 1));
    assert!(iv.lo().is_infinite() && iv.lo().is_sign_negative() && *iv.hi() == 1);
    let iv = Interval::new(Float::with_val(64, 1), nan);
    assert!(*iv.lo() == 1 && iv.hi().is_infinite() && iv.hi().is_sign_positive());
    let iv = Interval::new(Float::with_val(64, 2), Float::with_val(64, 1));
    assert!(iv.lo().is_infinite() && iv.hi().is_infinite() && no_nan(&iv));
    // hull and intersection of two enclosures
    let a = Interval::from_bounds(&Rational::from(0), &Rational::from(2), 64);
    let b = Interval::from_bounds(&Rational::from(1), &Rational::from(3), 64);
    let h = a.hull(&b);
    assert!(*h.lo() == 0 && *h.hi() == 3);
    let i = a.intersect(&b);
    assert!(*i.lo() == 1 && *i.hi() == 2);
}

/// Compiled recurrences run on machine integers while the step's coefficients (reduced by
/// their content and, with t kept away from 0, by their common power of t) fit in 64 bits,
/// and on big integers after: both enclose the exact value, alone and mixed in one run
/// (C(t) = t^2 leaves 64 bits at t = 3037000500), with a negative coefficient, and a
/// step undefined at t = 0 is undefined for both engines.
#[test]
fn compiled_recurrences_enclose_on_both_paths() {
    let cases = [
        ("rec(x, t, S, S + 1000, 1/3, (1 + 1/t^2)*x + 1/t)", 1i64),
        (
            "rec(x, t, S, S + 1000, 1/3, (1 + 1/t^2)*x + 1/t)",
            3_037_000_000,
        ),
        ("rec(x, t, S, S + 1000, 1/3, (1 + 1/t^2)*x + 1/t)", 1 << 40),
        ("rec(x, t, S, S + 40, 1/3, (t - 7)/(t + 3)*x - 1/t)", 1),
        ("rec(x, t, S, S + 40, 1/3, (t - 7)/(t + 3)*x - 1/t)", -100),
    ];
    for (src, s) in cases {
        let e = parse_expr(src).unwrap();
        let pt = vec![("S".to_string(), Rational::from(s))];
        let mut env = Env::new();
        env.push("S", Rational::from(s));
        let truth = exact::eval(&e, &mut env, &Budget::default()).unwrap();
        for prec in [64, 128, 300] {
            let iv = real::eval_at(&e, &pt, prec, &Budget::default()).unwrap();
            assert!(
                iv.contains_rational(&truth),
                "{src} at S = {s}, {prec} bits: {iv:?}"
            );
        }
    }
    let e = parse_expr("rec(x, t, -5, 5, 1/3, (t - 7)/(t + 3)*x - 1/t)").unwrap();
    assert!(matches!(
        exact::eval(&e, &mut Env::new(), &Budget::default()),
        Err(ExactError::Undefined(_))
    ));
    assert!(matches!(
        real::eval_at(&e, &[], 128, &Budget::default()),
        Err(RealError::Undefined(_))
    ));
}
