//! Property tests: the printer round-trips every tree the parser can produce, and binary
//! splitting of affine recurrences equals both the per-step exact loop and an independent
//! num-rational reference (no GMP) on random rational-coefficient recurrences.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};
use proptest::prelude::*;
use rug::Rational;
use rug::ops::Pow;
use stabcert::exact::{self, Budget, Env};
use stabcert::expr::{BigOp, BinOp, Expr, Func, parse_expr};

/// Literals as the parser produces them: non-negative terminating decimals.
fn literal() -> impl Strategy<Value = Expr> {
    (0u64..100_000, 0u32..6)
        .prop_map(|(m, k)| Expr::Num(Rational::from((m, rug::Integer::from(10u32).pow(k)))))
}

fn var() -> impl Strategy<Value = Expr> {
    prop::sample::select(vec!["a", "n", "T", "t0", "x_1", "beta"]).prop_map(|s| Expr::Var(s.into()))
}

fn tree() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![literal(), var()];
    leaf.prop_recursive(5, 48, 6, |inner| {
        let b = |e: Expr| Box::new(e);
        prop_oneof![
            inner.clone().prop_map(move |e| Expr::Neg(b(e))),
            (
                prop::sample::select(vec![
                    BinOp::Add,
                    BinOp::Sub,
                    BinOp::Mul,
                    BinOp::Div,
                    BinOp::Pow
                ]),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(op, x, y)| Expr::bin(op, x, y)),
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
                .prop_map(|(f, x)| Expr::Call(f, vec![x])),
            (prop::bool::ANY, prop::collection::vec(inner.clone(), 2..4))
                .prop_map(|(mx, v)| { Expr::Call(if mx { Func::Max } else { Func::Min }, v) }),
            (prop::bool::ANY, inner.clone(), inner.clone(), inner.clone()).prop_map(
                |(s, lo, hi, body)| Expr::Big {
                    op: if s { BigOp::Sum } else { BigOp::Prod },
                    var: "i".into(),
                    lo: Box::new(lo),
                    hi: Box::new(hi),
                    body: Box::new(body),
                }
            ),
            (inner.clone(), inner.clone(), inner.clone(), inner).prop_map(|(s, e, i, st)| {
                Expr::Rec {
                    x: "x".into(),
                    t: "t".into(),
                    start: Box::new(s),
                    end: Box::new(e),
                    init: Box::new(i),
                    step: Box::new(st),
                }
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn printer_round_trips(e in tree()) {
        let printed = e.to_string();
        let back = parse_expr(&printed);
        prop_assert!(back.is_ok(), "{printed} does not parse: {:?}", back);
        prop_assert_eq!(back.unwrap(), e, "printed as {}", printed);
    }
}

/// A small rational `num/den` with den > 0.
fn small_q() -> impl Strategy<Value = (i64, i64)> {
    (-20i64..=20, 1i64..=12)
}

#[derive(Debug, Clone)]
struct Affine {
    /// P(t) = (p0 + p1 t + p2 t^2) / (d0 + d1 t^2), d0, d1 > 0
    p: [(i64, i64); 3],
    d: [(i64, i64); 2],
    /// Q(t) = (q0 + q1 t) / (e0 + t), e0 > 0
    q: [(i64, i64); 2],
    e0: (i64, i64),
    x0: (i64, i64),
    start: i64,
    steps: i64,
}

fn positive_q() -> impl Strategy<Value = (i64, i64)> {
    (1i64..=20, 1i64..=12)
}

fn affine() -> impl Strategy<Value = Affine> {
    (
        [small_q(), small_q(), small_q()],
        [positive_q(), positive_q()],
        [small_q(), small_q()],
        positive_q(),
        small_q(),
        0i64..5,
        0i64..=300,
    )
        .prop_map(|(p, d, q, e0, x0, start, steps)| Affine {
            p,
            d,
            q,
            e0,
            x0,
            start,
            steps,
        })
}

fn lit((n, d): (i64, i64)) -> String {
    format!("({n}/{d})")
}

fn br((n, d): (i64, i64)) -> BigRational {
    BigRational::new(BigInt::from(n), BigInt::from(d))
}

impl Affine {
    fn step_expr(&self) -> String {
        let [p0, p1, p2] = self.p.map(lit);
        let [d0, d1] = self.d.map(lit);
        let [q0, q1] = self.q.map(lit);
        let e0 = lit(self.e0);
        format!("({p0} + {p1}*t + {p2}*t^2)/({d0} + {d1}*t^2)*x + ({q0} + {q1}*t)/({e0} + t)")
    }

    /// Independent reference: num-rational, coefficients computed from the numbers directly.
    fn reference(&self) -> BigRational {
        let mut x = br(self.x0);
        for t in self.start..self.start + self.steps {
            let t = BigRational::from_integer(BigInt::from(t));
            let p = (br(self.p[0]) + br(self.p[1]) * &t + br(self.p[2]) * &t * &t)
                / (br(self.d[0]) + br(self.d[1]) * &t * &t);
            let q = (br(self.q[0]) + br(self.q[1]) * &t) / (br(self.e0) + &t);
            x = p * x + q;
        }
        x
    }
}

fn to_br(v: &Rational) -> BigRational {
    let n: BigInt = v.numer().to_string().parse().unwrap();
    let d: BigInt = v.denom().to_string().parse().unwrap();
    BigRational::new(n, d)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn binary_splitting_equals_loop_and_reference(a in affine()) {
        let step = a.step_expr();
        let src = format!("rec(x, t, {}, {}, {}, {step})", a.start, a.start + a.steps, lit(a.x0));
        let budget = Budget::default();
        let fast = exact::eval(&parse_expr(&src).unwrap(), &mut Env::new(), &budget).unwrap();
        let naive = exact::rec_affine_naive(
            "x", "t", a.start, a.start + a.steps,
            Rational::from((a.x0.0, a.x0.1)),
            &parse_expr(&step).unwrap(), &mut Env::new(), &budget,
        ).unwrap();
        prop_assert_eq!(&fast, &naive);
        let r = a.reference();
        prop_assert_eq!(to_br(&fast), r);
    }

    #[test]
    fn sums_equal_reference(n in 0i64..200, c in small_q()) {
        // sum_{i=1}^{n} c / (i (i+1)) = c n/(n+1) by telescoping
        let src = format!("sum(i, 1, {n}, {}/(i*(i+1)))", lit(c));
        let v = exact::eval(&parse_expr(&src).unwrap(), &mut Env::new(), &Budget::default()).unwrap();
        let expect = br(c) * BigRational::new(BigInt::from(n), BigInt::from(n + 1));
        prop_assert_eq!(to_br(&v), expect);
    }
}

#[test]
fn pinned_recurrence_values_match_the_python_oracle() {
    // Values computed by tests/oracles/lemma6.py (Python fractions, per-step loop).
    let e = |t: u64| {
        let mut env = Env::new();
        env.push("a", Rational::from((1, 100)));
        env.push("n", Rational::from(10));
        env.push("T", Rational::from(t));
        exact::eval(
            &parse_expr("rec(x, t, 1, T, 0, (1 + a/(0.99*t))*x + 1/(t*n))").unwrap(),
            &mut env,
            &Budget::default(),
        )
        .unwrap()
    };
    assert_eq!(e(10).to_string(), "2138987226632822581/7474232024866152810");
    let v50 = e(50);
    assert!(v50.to_string().starts_with("1297119467178921927443417012173900372929670837748336601768900979409206065264344000167305725105316708062337542969/"));
    assert!(BigRational::zero() < to_br(&v50) && to_br(&v50) < BigRational::one());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// The Coq evaluator's rules (mirrored by `certify::term`) agree with the exact engine
    /// wherever Coq computes a value: a certificate's statement means what the engine decided.
    #[test]
    fn coq_evaluator_agrees_with_the_exact_engine(
        e in tree(),
        vals in prop::collection::vec(small_q(), 6),
    ) {
        use stabcert::certify::term::{Work, reify};
        let names = ["a", "n", "T", "t0", "x_1", "beta"];
        let mut scope: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        if let Ok(t) = reify(&e, &mut scope) {
            let qs: Vec<Rational> = vals.iter().map(|(p, q)| Rational::from((*p, *q))).collect();
            let mut env = qs.clone();
            let mut w = Work::new(2_000_000);
            if let Ok(Some(v)) = t.qeval(&mut env, &mut w) {
                let mut xenv = Env::new();
                for (n, q) in names.iter().zip(&qs) {
                    xenv.push(n, q.clone());
                }
                let budget = Budget { max_steps: 20_000, max_bits: 1 << 20, deadline: None };
                match exact::eval(&e, &mut xenv, &budget) {
                    Ok(x) => prop_assert_eq!(x, v, "{}", e),
                    Err(exact::ExactError::Budget(_)) => {}
                    Err(err) => prop_assert!(false, "{e}: Coq computes {v}, the engine says {err}"),
                }
            }
        }
    }
}
