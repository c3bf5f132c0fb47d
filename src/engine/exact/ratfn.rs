//! Rational functions of the index `t` with integer coefficients, compiled from an
//! expression once and evaluated per step without any gcd ([`IntRatFn`], [`AffinePoly`]).

use super::*;

/// A polynomial with rational coefficients (index = degree).
pub(super) type QPoly = Vec<Rational>;

pub(super) fn qp_trim(mut p: QPoly) -> QPoly {
    while p.len() > 1 && p.last().is_some_and(|c| *c == 0) {
        p.pop();
    }
    p
}

pub(super) fn qp_add(a: &QPoly, b: &QPoly, sign: i32) -> QPoly {
    let n = a.len().max(b.len());
    let z = Rational::new();
    qp_trim(
        (0..n)
            .map(|i| {
                let x = a.get(i).unwrap_or(&z);
                let y = b.get(i).unwrap_or(&z);
                if sign > 0 {
                    Rational::from(x + y)
                } else {
                    Rational::from(x - y)
                }
            })
            .collect(),
    )
}

pub(super) fn qp_mul(a: &QPoly, b: &QPoly) -> QPoly {
    let mut out = vec![Rational::new(); a.len() + b.len() - 1];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            out[i + j] += Rational::from(x * y);
        }
    }
    qp_trim(out)
}

/// Most degree allowed in a compiled rational function.
pub(super) const MAX_RATFN_DEGREE: usize = 24;

/// A rational function of one integer variable with integer coefficients,
/// `num(t) / den(t)`, compiled from an expression so that evaluating it at many `t` costs a
/// few small-integer operations instead of a walk over the expression tree.
#[derive(Clone, Debug)]
pub struct IntRatFn {
    /// numerator coefficients (index = degree)
    pub num: Vec<Integer>,
    /// denominator coefficients (index = degree)
    pub den: Vec<Integer>,
}

impl IntRatFn {
    /// Compiles `e`, whose only free name must be `t` (fold other names first with
    /// [`fold_constants`]), when it is built from literals, `t`, `+ - * /` and integer
    /// powers.
    pub fn compile(e: &Expr, t: &str) -> Option<IntRatFn> {
        let (n, d) = ratfn(e, t)?;
        // clear denominators of all coefficients
        let l = n
            .iter()
            .chain(d.iter())
            .fold(Integer::from(1), |acc, c| acc.lcm(c.denom()));
        let to_int = |p: &QPoly| -> Vec<Integer> {
            p.iter()
                .map(|c| Integer::from(&l / c.denom()) * c.numer())
                .collect()
        };
        Some(IntRatFn {
            num: to_int(&n),
            den: to_int(&d),
        })
    }

    /// `(num(t), den(t))` into the given integers (Horner, no allocation once warm).
    pub fn eval_into(&self, t: &Integer, num: &mut Integer, den: &mut Integer) {
        horner(&self.num, t, num);
        horner(&self.den, t, den);
    }
}

/// A polynomial with 64-bit coefficients (index = degree) at `t`, in 128-bit integers;
/// `None` on overflow. The machine-integer fast paths of both engines' recurrences use it.
pub fn horner_small(p: &[i64], t: i128) -> Option<i128> {
    let mut acc: i128 = 0;
    for &k in p.iter().rev() {
        acc = acc.checked_mul(t)?.checked_add(i128::from(k))?;
    }
    Some(acc)
}

/// The 64-bit coefficients of a polynomial, when they all fit.
pub fn small_coefficients(v: &[Integer]) -> Option<Vec<i64>> {
    v.iter().map(Integer::to_i64).collect()
}

pub(super) fn horner(c: &[Integer], t: &Integer, out: &mut Integer) {
    out.assign(&c[c.len() - 1]);
    for k in (0..c.len() - 1).rev() {
        *out *= t;
        *out += &c[k];
    }
}

pub(super) fn ratfn(e: &Expr, t: &str) -> Option<(QPoly, QPoly)> {
    let one = || vec![Rational::from(1)];
    Some(match e {
        Expr::Num(c) => (vec![c.clone()], one()),
        Expr::Var(v) if v == t => (vec![Rational::new(), Rational::from(1)], one()),
        Expr::Neg(a) => {
            let (n, d) = ratfn(a, t)?;
            (n.into_iter().map(|c| -c).collect(), d)
        }
        Expr::Bin(op, a, b) => {
            let (n1, d1) = ratfn(a, t)?;
            match op {
                BinOp::Pow => {
                    let Expr::Num(k) = &**b else { return None };
                    if !k.is_integer() {
                        return None;
                    }
                    let k = k.numer().to_i32().filter(|k| k.unsigned_abs() <= 8)?;
                    if k == 0 {
                        // x^0 = 1 wherever x is defined: keep x's denominator
                        return Some((d1.clone(), d1));
                    }
                    let (mut n, mut d) = (one(), one());
                    for _ in 0..k.unsigned_abs() {
                        n = qp_mul(&n, &n1);
                        d = qp_mul(&d, &d1);
                    }
                    if k < 0 {
                        if n.iter().all(|c| *c == 0) {
                            return None;
                        }
                        // keep the base's denominator as a factor of the result's, so the
                        // compiled form is undefined wherever the expression is
                        (qp_mul(&d, &d), qp_mul(&n, &d))
                    } else {
                        (n, d)
                    }
                }
                _ => {
                    let (n2, d2) = ratfn(b, t)?;
                    match op {
                        BinOp::Add => (
                            qp_add(&qp_mul(&n1, &d2), &qp_mul(&n2, &d1), 1),
                            qp_mul(&d1, &d2),
                        ),
                        BinOp::Sub => (
                            qp_add(&qp_mul(&n1, &d2), &qp_mul(&n2, &d1), -1),
                            qp_mul(&d1, &d2),
                        ),
                        BinOp::Mul => (qp_mul(&n1, &n2), qp_mul(&d1, &d2)),
                        BinOp::Div => {
                            if n2.iter().all(|c| *c == 0) {
                                return None; // division by the zero polynomial: let the evaluator report it
                            }
                            // d2 stays a factor of the denominator (see above)
                            (
                                qp_mul(&qp_mul(&n1, &d2), &d2),
                                qp_mul(&qp_mul(&d1, &n2), &d2),
                            )
                        }
                        BinOp::Pow => unreachable!("handled above"),
                    }
                }
            }
        }
        _ => return None,
    })
    .filter(|(n, d)| n.len() <= MAX_RATFN_DEGREE + 1 && d.len() <= MAX_RATFN_DEGREE + 1)
}

pub(super) fn ip_mul(a: &[Integer], b: &[Integer]) -> Vec<Integer> {
    let mut out = vec![Integer::new(); a.len() + b.len() - 1];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            out[i + j] += Integer::from(x * y);
        }
    }
    out
}

/// The affine step `x -> P(t) x + Q(t)` as one map `x -> (A(t) x + B(t)) / C(t)` with
/// integer polynomials, `A = Pn Qd`, `B = Qn Pd`, `C = Pd Qd`: three Horner evaluations per
/// step and no gcd.
#[derive(Clone, Debug)]
pub struct AffinePoly {
    /// coefficient of x
    pub a: Vec<Integer>,
    /// constant term
    pub b: Vec<Integer>,
    /// denominator
    pub c: Vec<Integer>,
}

impl AffinePoly {
    /// Combines compiled `P` and `Q`.
    pub fn new(p: &IntRatFn, q: &IntRatFn) -> AffinePoly {
        AffinePoly {
            a: ip_mul(&p.num, &q.den),
            b: ip_mul(&q.num, &p.den),
            c: ip_mul(&p.den, &q.den),
        }
    }

    /// `(A(t), B(t), C(t))` into the given integers.
    pub fn eval_into(&self, t: &Integer, a: &mut Integer, b: &mut Integer, c: &mut Integer) {
        horner(&self.a, t, a);
        horner(&self.b, t, b);
        horner(&self.c, t, c);
    }
}
