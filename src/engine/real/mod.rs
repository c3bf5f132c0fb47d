//! The rigorous real engine: interval evaluation of any [`Expr`] on `rug::Float` endpoints
//! with outward rounding for every operation (lower ends rounded toward −∞, upper ends toward
//! +∞), so that the true value at every point of the input box lies in the result.
//!
//! Conventions that keep it sound:
//! - an interval is `[lo, hi]` with `lo <= hi`; ends may be infinite, never NaN;
//! - endpoint products use `0 · ∞ = 0`, which is what the exact set of products gives;
//! - a function applied where it is undefined on the *whole* input (`ln` of `[-2, -1]`) is
//!   [`RealError::Undefined`]; where it may be undefined on *part* of the input (`ln` of
//!   `[-1, 1]`, `1/[-1, 1]`) it is [`RealError::MaybeUndefined`], so a prover splits the box
//!   or raises the precision rather than trusting a value;
//! - `x^y` with a non-integer `y` is defined for `x > 0`, and for `x = 0` when `y > 0`,
//!   like the exact engine; on a box it is monotone in each argument, so its range is spanned
//!   by the corner values, each computed by MPFR (correctly rounded) in the outward direction;
//! - binder bounds (`sum`, `prod`, `rec`) must enclose a single integer.
//!
//! [`Interval::to_rational_bounds`] converts the ends exactly, so verdicts can quote them.

use crate::engine::exact::{self, Budget, Env, ExactError};
use crate::expr::{BigOp, BinOp, Expr, Func};
use rug::float::{Round, Special};
use rug::ops::Pow;
use rug::{Float, Integer, Rational};
use std::cmp::Ordering;

/// A closed interval with `rug::Float` ends (possibly infinite, never NaN).
#[derive(Clone, Debug, PartialEq)]
pub struct Interval {
    /// lower end
    pub lo: Float,
    /// upper end
    pub hi: Float,
}

/// Why an interval value could not be produced.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RealError {
    /// undefined at every point of the input
    #[error("undefined: {0}")]
    Undefined(String),
    /// possibly undefined on part of the input, or not separable from an undefined point at
    /// this precision
    #[error("possibly undefined: {0}")]
    MaybeUndefined(String),
    /// a name with no value
    #[error("unknown name `{0}`")]
    Unbound(String),
    /// a size, step or time limit was hit
    #[error("{0}")]
    Budget(String),
}

impl Interval {
    /// The point interval of an exact rational, rounded outward at `prec` bits.
    pub fn from_rational(q: &Rational, prec: u32) -> Interval {
        let (lo, _) = Float::with_val_round(prec, q, Round::Down);
        let (hi, _) = Float::with_val_round(prec, q, Round::Up);
        Interval { lo, hi }
    }

    /// `[lo, hi]` from two exact rationals (lo <= hi), rounded outward.
    pub fn from_bounds(lo: &Rational, hi: &Rational, prec: u32) -> Interval {
        let (l, _) = Float::with_val_round(prec, lo, Round::Down);
        let (h, _) = Float::with_val_round(prec, hi, Round::Up);
        Interval { lo: l, hi: h }
    }

    /// The whole real line.
    pub fn entire(prec: u32) -> Interval {
        Interval {
            lo: Float::with_val(prec, Special::NegInfinity),
            hi: Float::with_val(prec, Special::Infinity),
        }
    }

    /// Whether both ends are equal (a single representable point).
    pub fn is_point(&self) -> bool {
        self.lo == self.hi
    }

    /// Exact rational ends (`None` for an infinite end); ends beyond `2^±MAX_EXP` are
    /// widened outward first (see [`MAX_EXP`]).
    pub fn to_rational_bounds(&self) -> (Option<Rational>, Option<Rational>) {
        (
            bounded_rational(&self.lo, true),
            bounded_rational(&self.hi, false),
        )
    }

    /// Whether the exact rational lies in the interval.
    pub fn contains_rational(&self, q: &Rational) -> bool {
        self.lo
            .partial_cmp(q)
            .is_some_and(|o| o != Ordering::Greater)
            && self.hi.partial_cmp(q).is_some_and(|o| o != Ordering::Less)
    }

    fn prec(&self) -> u32 {
        self.lo.prec().max(self.hi.prec())
    }

    /// Width `hi - lo` rounded up.
    pub fn width(&self) -> Float {
        Float::with_val_round(self.prec(), &self.hi - &self.lo, Round::Up).0
    }

    /// The integer this interval is, when it is a point at an integer (an enclosure that
    /// merely contains one integer does not show that the value is that integer).
    pub fn point_integer(&self) -> Option<Integer> {
        if !self.is_point() || !self.lo.is_finite() || !self.lo.is_integer() {
            return None;
        }
        if self.lo.get_exp().is_some_and(|e| e > 64 * 1024) {
            return None;
        }
        self.lo.to_integer()
    }

    /// Whether the interval contains no integer at all.
    pub fn excludes_integers(&self) -> bool {
        if !self.lo.is_finite() || !self.hi.is_finite() {
            return false;
        }
        self.lo.clone().ceil() > self.hi.clone().floor()
    }

    /// Compares two intervals: `Some(ord)` when every value of `self` relates to every value
    /// of `other` by `ord` (`Equal` only for equal point intervals), `None` when they overlap.
    pub fn certain_cmp(&self, other: &Interval) -> Option<Ordering> {
        if self.hi < other.lo {
            Some(Ordering::Less)
        } else if self.lo > other.hi {
            Some(Ordering::Greater)
        } else if self.is_point() && other.is_point() && self.lo == other.lo {
            Some(Ordering::Equal)
        } else {
            None
        }
    }
}

/// `a + b` rounded in direction `r`.
fn add_r(prec: u32, a: &Float, b: &Float, r: Round) -> Float {
    Float::with_val_round(prec, a + b, r).0
}

fn sub_r(prec: u32, a: &Float, b: &Float, r: Round) -> Float {
    Float::with_val_round(prec, a - b, r).0
}

/// `a * b` rounded in direction `r`, with `0 · ∞ = 0`.
fn mul_r(prec: u32, a: &Float, b: &Float, r: Round) -> Float {
    if a.is_zero() || b.is_zero() {
        return Float::new(prec);
    }
    Float::with_val_round(prec, a * b, r).0
}

fn div_r(prec: u32, a: &Float, b: &Float, r: Round) -> Float {
    if a.is_zero() {
        return Float::new(prec);
    }
    Float::with_val_round(prec, a / b, r).0
}

/// The least of the candidates; a NaN candidate (∞/∞, ∞−∞) makes the bound −∞, which is
/// always sound for a lower end.
fn min_f(v: Vec<Float>) -> Float {
    let prec = v[0].prec();
    if v.iter().any(|x| x.is_nan()) {
        return Float::with_val(prec, Special::NegInfinity);
    }
    v.into_iter()
        .reduce(|a, b| if b < a { b } else { a })
        .expect("non-empty")
}

/// The greatest of the candidates; a NaN candidate makes the bound +∞.
fn max_f(v: Vec<Float>) -> Float {
    let prec = v[0].prec();
    if v.iter().any(|x| x.is_nan()) {
        return Float::with_val(prec, Special::Infinity);
    }
    v.into_iter()
        .reduce(|a, b| if b > a { b } else { a })
        .expect("non-empty")
}

/// The hull of `op` over the four corner pairs of ends, each rounded outward: the range of
/// a product or quotient of intervals (for quotients, when the divisor excludes 0).
fn corners(
    prec: u32,
    a: &Interval,
    b: &Interval,
    op: fn(u32, &Float, &Float, Round) -> Float,
) -> Interval {
    let pairs = [
        (&a.lo, &b.lo),
        (&a.lo, &b.hi),
        (&a.hi, &b.lo),
        (&a.hi, &b.hi),
    ];
    Interval {
        lo: min_f(
            pairs
                .iter()
                .map(|(x, y)| op(prec, x, y, Round::Down))
                .collect(),
        ),
        hi: max_f(
            pairs
                .iter()
                .map(|(x, y)| op(prec, x, y, Round::Up))
                .collect(),
        ),
    }
}

/// Largest binary exponent of an interval end that is converted to an exact rational: MPFR
/// computes with far larger exponents cheaply (`exp(10^12)`, `(5/17)^123456789`), and
/// comparisons use them as they are, but an end of `exp(10^12)` turned into an exact rational
/// would take hours. Conversions ([`Interval::to_rational_bounds`]) widen such ends outward
/// to `2^±MAX_EXP` (or 0, or infinity), which is sound and keeps them bounded (about 130 KB);
/// printing ([`decimal_ends`]) uses MPFR's own directed-rounding conversion.
pub const MAX_EXP: i32 = 1 << 20;

/// Whether an end is infinite or beyond `2^MAX_EXP` in magnitude.
pub fn at_magnitude_limit(f: &Float) -> bool {
    f.is_infinite() || f.get_exp().is_some_and(|e| e > MAX_EXP)
}

/// `f` as an exact rational, widened in the direction `down` (toward −∞) or up when its
/// exponent is beyond [`MAX_EXP`]; `None` for an infinite end (or one widened to infinity).
fn bounded_rational(f: &Float, down: bool) -> Option<Rational> {
    let e = f.get_exp()?;
    if e.abs() <= MAX_EXP {
        return f.to_rational();
    }
    let neg = f.is_sign_negative();
    let big = Rational::from(Integer::from(1) << MAX_EXP as u32);
    let small = Rational::from((Integer::from(1), Integer::from(1) << MAX_EXP as u32));
    match (e > MAX_EXP, neg, down) {
        // |f| >= 2^MAX_EXP
        (true, false, true) => Some(big),
        (true, false, false) | (true, true, true) => None,
        (true, true, false) => Some(-big),
        // 0 < |f| < 2^-MAX_EXP
        (false, false, true) | (false, true, false) => Some(Rational::new()),
        (false, false, false) => Some(small),
        (false, true, true) => Some(-small),
    }
}

/// Widens NaN ends to infinities (never produced by the operations above on valid input,
/// but an interval with a NaN end must never leave this module).
pub fn fix(mut iv: Interval) -> Interval {
    if iv.lo.is_nan() {
        iv.lo = Float::with_val(iv.lo.prec(), Special::NegInfinity);
    }
    if iv.hi.is_nan() {
        iv.hi = Float::with_val(iv.hi.prec(), Special::Infinity);
    }
    iv
}

/// Interval arithmetic at a working precision.
#[derive(Clone, Copy, Debug)]
pub struct Arith {
    /// bits of every endpoint
    pub prec: u32,
}

impl Arith {
    /// `a + b`
    pub fn add(&self, a: &Interval, b: &Interval) -> Interval {
        Interval {
            lo: add_r(self.prec, &a.lo, &b.lo, Round::Down),
            hi: add_r(self.prec, &a.hi, &b.hi, Round::Up),
        }
    }

    /// `a - b`
    pub fn sub(&self, a: &Interval, b: &Interval) -> Interval {
        Interval {
            lo: sub_r(self.prec, &a.lo, &b.hi, Round::Down),
            hi: sub_r(self.prec, &a.hi, &b.lo, Round::Up),
        }
    }

    /// `-a`
    pub fn neg(&self, a: &Interval) -> Interval {
        Interval {
            lo: Float::with_val_round(self.prec, -&a.hi, Round::Down).0,
            hi: Float::with_val_round(self.prec, -&a.lo, Round::Up).0,
        }
    }

    /// `a * b`
    pub fn mul(&self, a: &Interval, b: &Interval) -> Interval {
        corners(self.prec, a, b, mul_r)
    }

    /// `a / b`
    pub fn div(&self, a: &Interval, b: &Interval) -> Result<Interval, RealError> {
        if b.lo.is_zero() && b.hi.is_zero() {
            return Err(RealError::Undefined("division by zero".into()));
        }
        if b.lo <= 0 && b.hi >= 0 {
            return Err(RealError::MaybeUndefined(
                "the divisor's enclosure contains 0".into(),
            ));
        }
        Ok(corners(self.prec, a, b, div_r))
    }

    /// `a^n` for an integer `n`.
    pub fn powi(&self, a: &Interval, n: &Integer) -> Result<Interval, RealError> {
        let p = self.prec;
        if *n == 0 {
            // x^0 = 1 everywhere, including 0^0 = 1 (the exact engine's convention)
            return Ok(Interval::from_rational(&Rational::from(1), p));
        }
        if *n < 0 {
            let pos = self.powi(a, &Integer::from(-n))?;
            let one = Interval::from_rational(&Rational::from(1), p);
            return self.div(&one, &pos).map_err(|e| match e {
                RealError::Undefined(_) => {
                    RealError::Undefined(format!("0 to the negative power {n}"))
                }
                other => other,
            });
        }
        let pw = |x: &Float, r: Round| -> Float {
            if x.is_zero() {
                return Float::new(p);
            }
            Float::with_val_round(p, x.pow(n), r).0
        };
        if n.is_odd() || a.lo >= 0 {
            // monotone increasing on the whole interval (odd n), or on [0, inf) (even n)
            return Ok(Interval {
                lo: pw(&a.lo, Round::Down),
                hi: pw(&a.hi, Round::Up),
            });
        }
        if a.hi <= 0 {
            // even n on (-inf, 0]: decreasing
            return Ok(Interval {
                lo: pw(&a.hi, Round::Down),
                hi: pw(&a.lo, Round::Up),
            });
        }
        // even n, 0 inside
        Ok(Interval {
            lo: Float::new(p),
            hi: max_f(vec![pw(&a.lo, Round::Up), pw(&a.hi, Round::Up)]),
        })
    }

    /// `x^y` for a real exponent interval (see the module doc for the domain).
    pub fn powr(&self, x: &Interval, y: &Interval) -> Result<Interval, RealError> {
        let p = self.prec;
        // integer exponents give values at negative bases (and 0^0 = 1): only an exponent
        // interval without integers makes a non-positive base undefined everywhere
        let has_integer = y.lo.is_finite() && y.hi.is_finite() && {
            let c = y.lo.clone().ceil();
            c <= y.hi
        } || y.lo.is_infinite()
            || y.hi.is_infinite();
        if x.hi < 0
            || (x.hi.is_zero() && y.hi < 0)
            || (x.hi.is_zero() && x.lo.is_zero() && y.hi <= 0)
        {
            if has_integer || (x.hi.is_zero() && y.hi.is_zero()) {
                return Err(RealError::MaybeUndefined(
                    "a non-positive base under an exponent interval that holds integers".into(),
                ));
            }
            return Err(RealError::Undefined(
                "a non-positive base with a non-integer exponent".into(),
            ));
        }
        if x.lo < 0 {
            return Err(RealError::MaybeUndefined(
                "the base's enclosure reaches below 0 under a non-integer exponent".into(),
            ));
        }
        if x.lo.is_zero() && y.lo <= 0 {
            return Err(RealError::MaybeUndefined(
                "the base's enclosure reaches 0 under an exponent that may be <= 0".into(),
            ));
        }
        let pw = |b: &Float, e: &Float, r: Round| -> Float {
            if b.is_zero() {
                return Float::new(p); // y > 0 here
            }
            Float::with_val_round(p, b.pow(e), r).0
        };
        let corners = [
            (&x.lo, &y.lo),
            (&x.lo, &y.hi),
            (&x.hi, &y.lo),
            (&x.hi, &y.hi),
        ];
        let lo = min_f(corners.iter().map(|(b, e)| pw(b, e, Round::Down)).collect());
        let hi = max_f(corners.iter().map(|(b, e)| pw(b, e, Round::Up)).collect());
        Ok(Interval { lo, hi })
    }

    /// `exp(a)`
    pub fn exp(&self, a: &Interval) -> Interval {
        // monotone increasing: round the inputs outward too (they may carry more bits)
        let mut lo = Float::with_val_round(self.prec, &a.lo, Round::Down).0;
        lo.exp_round(Round::Down);
        let mut hi = Float::with_val_round(self.prec, &a.hi, Round::Up).0;
        hi.exp_round(Round::Up);
        Interval { lo, hi }
    }

    /// `ln(a)`
    pub fn ln(&self, a: &Interval) -> Result<Interval, RealError> {
        if a.hi <= 0 {
            return Err(RealError::Undefined("ln of a non-positive number".into()));
        }
        if a.lo <= 0 {
            return Err(RealError::MaybeUndefined(
                "the argument of ln reaches 0 or below".into(),
            ));
        }
        // monotone increasing: round the inputs outward too (they may carry more bits)
        let mut lo = Float::with_val_round(self.prec, &a.lo, Round::Down).0;
        lo.ln_round(Round::Down);
        let mut hi = Float::with_val_round(self.prec, &a.hi, Round::Up).0;
        hi.ln_round(Round::Up);
        Ok(Interval { lo, hi })
    }

    /// `sqrt(a)`
    pub fn sqrt(&self, a: &Interval) -> Result<Interval, RealError> {
        if a.hi < 0 {
            return Err(RealError::Undefined("sqrt of a negative number".into()));
        }
        if a.lo < 0 {
            return Err(RealError::MaybeUndefined(
                "the argument of sqrt reaches below 0".into(),
            ));
        }
        // monotone increasing: round the inputs outward too (they may carry more bits)
        let mut lo = Float::with_val_round(self.prec, &a.lo, Round::Down).0;
        lo.sqrt_round(Round::Down);
        let mut hi = Float::with_val_round(self.prec, &a.hi, Round::Up).0;
        hi.sqrt_round(Round::Up);
        Ok(Interval { lo, hi })
    }

    /// `abs(a)`
    pub fn abs(&self, a: &Interval) -> Interval {
        let p = self.prec;
        if a.lo >= 0 {
            self.round_out(a)
        } else if a.hi <= 0 {
            self.neg(a)
        } else {
            Interval {
                lo: Float::new(p),
                hi: max_f(vec![
                    Float::with_val_round(p, -&a.lo, Round::Up).0,
                    Float::with_val_round(p, &a.hi, Round::Up).0,
                ]),
            }
        }
    }

    /// `a` with its ends rounded outward to the working precision.
    pub fn round_out(&self, a: &Interval) -> Interval {
        Interval {
            lo: Float::with_val_round(self.prec, &a.lo, Round::Down).0,
            hi: Float::with_val_round(self.prec, &a.hi, Round::Up).0,
        }
    }

    /// `min(a, b)`
    pub fn min(&self, a: &Interval, b: &Interval) -> Interval {
        self.round_out(&Interval {
            lo: min_f(vec![a.lo.clone(), b.lo.clone()]),
            hi: min_f(vec![a.hi.clone(), b.hi.clone()]),
        })
    }

    /// `max(a, b)`
    pub fn max(&self, a: &Interval, b: &Interval) -> Interval {
        self.round_out(&Interval {
            lo: max_f(vec![a.lo.clone(), b.lo.clone()]),
            hi: max_f(vec![a.hi.clone(), b.hi.clone()]),
        })
    }

    /// `floor(a)` (exact on finite ends)
    pub fn floor(&self, a: &Interval) -> Interval {
        Interval {
            lo: a.lo.clone().floor(),
            hi: a.hi.clone().floor(),
        }
    }

    /// `ceil(a)` (exact on finite ends)
    pub fn ceil(&self, a: &Interval) -> Interval {
        Interval {
            lo: a.lo.clone().ceil(),
            hi: a.hi.clone().ceil(),
        }
    }
}

/// A binding of the interval environment: the enclosure, and the exact value when the name
/// stands for a single rational (a point of the domain).
#[derive(Clone, Debug)]
struct Binding {
    name: String,
    iv: Interval,
    exact: Option<Rational>,
}

/// A scoped environment of intervals (later bindings shadow earlier ones).
#[derive(Clone, Debug, Default)]
pub struct RealEnv {
    vars: Vec<Binding>,
}

impl RealEnv {
    /// An empty environment.
    pub fn new() -> RealEnv {
        RealEnv::default()
    }

    /// Binds `name` to an exact rational (enclosed at `prec` bits).
    pub fn push_exact(&mut self, name: &str, v: &Rational, prec: u32) {
        self.vars.push(Binding {
            name: name.to_string(),
            iv: Interval::from_rational(v, prec),
            exact: Some(v.clone()),
        });
    }

    /// Binds `name` to an interval of values.
    pub fn push(&mut self, name: &str, iv: Interval) {
        self.vars.push(Binding {
            name: name.to_string(),
            iv,
            exact: None,
        });
    }

    /// Removes the latest binding.
    pub fn pop(&mut self) {
        self.vars.pop();
    }

    /// Number of bindings.
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// Whether there are no bindings.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// Drops bindings beyond the first `n`.
    pub fn truncate(&mut self, n: usize) {
        self.vars.truncate(n);
    }

    fn get(&self, name: &str) -> Option<&Binding> {
        self.vars.iter().rev().find(|b| b.name == name)
    }

    /// The exact environment of the names bound to rationals (for the exact shortcut).
    fn exact_env(&self, names: &std::collections::BTreeSet<String>) -> Option<Env> {
        let mut env = Env::new();
        for n in names {
            let b = self.get(n)?;
            env.push(n, b.exact.clone()?);
        }
        Some(env)
    }
}

/// Steps of a recurrence or terms of a sum evaluated exactly (then enclosed) when all its
/// inputs are exact: above this many, intervals are iterated instead.
pub const EXACT_SHORTCUT_STEPS: u64 = 20_000;

/// Encloses the value of `e` over every point of the environment's intervals.
// the loop counter of sums is a big Integer; clippy's `zip` suggestion needs a `Step` type
#[allow(clippy::explicit_counter_loop)]
pub fn eval(
    e: &Expr,
    env: &mut RealEnv,
    ar: Arith,
    budget: &Budget,
) -> Result<Interval, RealError> {
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || eval_node(e, env, ar, budget))
}

#[allow(clippy::explicit_counter_loop)]
fn eval_node(
    e: &Expr,
    env: &mut RealEnv,
    ar: Arith,
    budget: &Budget,
) -> Result<Interval, RealError> {
    let p = ar.prec;
    Ok(fix(match e {
        Expr::Num(v) => Interval::from_rational(v, p),
        Expr::Var(n) => {
            let b = env.get(n).ok_or_else(|| RealError::Unbound(n.clone()))?;
            ar.round_out(&b.iv)
        }
        Expr::Neg(a) => ar.neg(&eval(a, env, ar, budget)?),
        Expr::Bin(op, a, b) => {
            let x = eval(a, env, ar, budget)?;
            let y = eval(b, env, ar, budget)?;
            match op {
                BinOp::Add => ar.add(&x, &y),
                BinOp::Sub => ar.sub(&x, &y),
                BinOp::Mul => ar.mul(&x, &y),
                BinOp::Div => ar.div(&x, &y)?,
                BinOp::Pow => match integer_exponent(b, &y, env, budget)? {
                    Some(n) => ar.powi(&x, &n)?,
                    None => ar.powr(&x, &y)?,
                },
            }
        }
        // ln(exp(a)) = a wherever a is defined: no enclosure of exp(a) that underflows to
        // [0, tiny] or overflows stands in the way
        Expr::Call(Func::Ln, args) if matches!(&args[0], Expr::Call(Func::Exp, _)) => {
            let Expr::Call(_, inner) = &args[0] else {
                unreachable!("matched")
            };
            eval(&inner[0], env, ar, budget)?
        }
        Expr::Call(f, args) => {
            let mut v = Vec::with_capacity(args.len());
            for a in args {
                v.push(eval(a, env, ar, budget)?);
            }
            match f {
                Func::Exp => ar.exp(&v[0]),
                Func::Ln => ar.ln(&v[0])?,
                Func::Sqrt => ar.sqrt(&v[0])?,
                Func::Abs => ar.abs(&v[0]),
                Func::Floor | Func::Ceil => {
                    let r = if *f == Func::Floor {
                        ar.floor(&v[0])
                    } else {
                        ar.ceil(&v[0])
                    };
                    // an enclosure across an integer: at an exact point, exact algebra may
                    // know the argument (`sqrt(2)^2` is 2); otherwise the caller raises the
                    // precision
                    if r.is_point() {
                        r
                    } else {
                        let arg = &args[0];
                        match env.exact_env(&arg.free_vars()) {
                            Some(xenv) => {
                                match exact::alg::round_algebraic(
                                    arg,
                                    *f == Func::Ceil,
                                    &xenv,
                                    budget,
                                ) {
                                    Some(n) => Interval::from_rational(&Rational::from(n), p),
                                    None => r,
                                }
                            }
                            None => r,
                        }
                    }
                }
                Func::Min => v[1..].iter().fold(v[0].clone(), |acc, x| ar.min(&acc, x)),
                Func::Max => v[1..].iter().fold(v[0].clone(), |acc, x| ar.max(&acc, x)),
            }
        }
        Expr::Big {
            op,
            var,
            lo,
            hi,
            body,
        } => {
            if let Some(v) = exact_shortcut(e, env, p, budget)? {
                return Ok(v);
            }
            let lo = bound(lo, env, ar, budget, "the lower bound of a sum/prod")?;
            let hi = bound(hi, env, ar, budget, "the upper bound of a sum/prod")?;
            let mut acc = match op {
                BigOp::Sum => Interval::from_rational(&Rational::new(), p),
                BigOp::Prod => Interval::from_rational(&Rational::from(1), p),
            };
            if hi < lo {
                return Ok(acc);
            }
            let count = Integer::from(&hi - &lo) + 1;
            let count = check_steps(budget, &count)?;
            // at an exact point, each term's rational parts are made exact first (so that
            // `(i/1000 - i/1000)^y` has the base 0, not an interval around it)
            let mut xenv = if count <= EXACT_SHORTCUT_STEPS {
                let mut names = body.free_vars();
                names.remove(var);
                env.exact_env(&names)
            } else {
                None
            };
            let mut i = lo;
            for k in 0..count {
                if k % 1024 == 0 {
                    tick(budget)?;
                }
                env.push_exact(var, &Rational::from(i.clone()), p);
                let v = match xenv.as_mut() {
                    Some(x) => {
                        x.push(var, Rational::from(i.clone()));
                        let folded = exact::fold_exact(body, x, budget);
                        x.pop();
                        eval(&folded, env, ar, budget)
                    }
                    None => eval(body, env, ar, budget),
                };
                env.pop();
                let v = v?;
                acc = match op {
                    BigOp::Sum => ar.add(&acc, &v),
                    BigOp::Prod => ar.mul(&acc, &v),
                };
                i += 1;
            }
            acc
        }
        Expr::Rec {
            x,
            t,
            start,
            end,
            init,
            step,
        } => {
            if let Some(v) = exact_shortcut(e, env, p, budget)? {
                return Ok(v);
            }
            let start = bound(start, env, ar, budget, "the start of rec")?;
            let end = bound(end, env, ar, budget, "the end of rec")?;
            let x0 = eval(init, env, ar, budget)?;
            if end < start {
                return Err(RealError::Undefined(format!(
                    "rec runs from {start} to the earlier {end}"
                )));
            }
            let steps = check_steps(budget, &Integer::from(&end - &start))?;
            rec_intervals(x, t, &start, steps, x0, step, env, ar, budget)?
        }
    }))
}

/// The exponent of a power as an integer, when it is one: a point enclosure at an integer,
/// or (for an enclosure across integers at an exact point) the exact value.
fn integer_exponent(
    b: &Expr,
    y: &Interval,
    env: &RealEnv,
    budget: &Budget,
) -> Result<Option<Integer>, RealError> {
    let n = if y.is_point() && y.lo.is_integer() {
        if y.lo.get_exp().is_some_and(|e| e > 62) {
            return Err(RealError::Budget(format!(
                "integer exponent of about 2^{} too large (limit 2^62)",
                y.lo.get_exp().unwrap_or(0)
            )));
        }
        y.lo.to_integer()
    } else if !y.excludes_integers() && !y.is_point() {
        match exact_value(b, env, budget) {
            Some(Ok(q)) if q.is_integer() => Some(q.numer().clone()),
            _ => None,
        }
    } else {
        None
    };
    match n {
        Some(n) if n.significant_bits() > 62 => Err(RealError::Budget(format!(
            "integer exponent {n} too large (limit 2^62)"
        ))),
        n => Ok(n),
    }
}

fn tick(budget: &Budget) -> Result<(), RealError> {
    match budget.deadline {
        Some(d) if std::time::Instant::now() > d => Err(RealError::Budget(
            "time budget exceeded during interval evaluation".into(),
        )),
        _ => Ok(()),
    }
}

fn check_steps(budget: &Budget, n: &Integer) -> Result<u64, RealError> {
    match n.to_u64() {
        Some(s) if s <= budget.max_steps => Ok(s),
        _ => Err(RealError::Budget(format!(
            "step budget exceeded: {n} steps (limit {})",
            budget.max_steps
        ))),
    }
}

/// The exact value of `e` when every name it uses is bound to a rational: `None` when some
/// name is an interval.
fn exact_value(e: &Expr, env: &RealEnv, budget: &Budget) -> Option<Result<Rational, ExactError>> {
    let mut xenv = env.exact_env(&e.free_vars())?;
    Some(exact::eval(e, &mut xenv, budget))
}

/// A binder bound: the integer it is. Integrality is decided exactly where the bound's names
/// are exact (an irrational bound is not an integer); otherwise the enclosure must be a
/// point at an integer, or hold no integer (then the bound is not one). An enclosure that
/// merely contains one integer proves nothing: the caller raises the precision or splits.
fn bound(
    e: &Expr,
    env: &mut RealEnv,
    ar: Arith,
    budget: &Budget,
    what: &str,
) -> Result<Integer, RealError> {
    match exact_value(e, env, budget) {
        Some(Ok(v)) if v.is_integer() => return Ok(v.numer().clone()),
        Some(Ok(v)) => {
            return Err(RealError::Undefined(format!(
                "{what} is {}, not an integer",
                exact::short(&v)
            )));
        }
        Some(Err(ExactError::Undefined(m))) | Some(Err(ExactError::NotInteger(m))) => {
            return Err(RealError::Undefined(m));
        }
        Some(Err(ExactError::Irrational(m))) => {
            return Err(RealError::Undefined(format!(
                "{what} is irrational ({m}), not an integer"
            )));
        }
        Some(Err(ExactError::Budget(m))) if m.starts_with("time") => {
            return Err(RealError::Budget(m));
        }
        _ => {}
    }
    let v = eval(e, env, ar, budget)?;
    if let Some(n) = v.point_integer() {
        return Ok(n);
    }
    if v.excludes_integers() || (v.is_point() && v.lo.is_finite()) {
        return Err(RealError::Undefined(format!("{what} is not an integer")));
    }
    Err(RealError::MaybeUndefined(format!(
        "{what} is not shown to be an integer at {} bits (enclosure [{}, {}])",
        ar.prec,
        decimal_ends(&v, 8).0,
        decimal_ends(&v, 8).1
    )))
}

/// When every input of a sum/product/recurrence is exact and it is short, its exact value
/// (enclosed outward) is both tighter and cheaper than iterating intervals.
fn exact_shortcut(
    e: &Expr,
    env: &RealEnv,
    prec: u32,
    budget: &Budget,
) -> Result<Option<Interval>, RealError> {
    let fv = e.free_vars();
    let Some(mut xenv) = env.exact_env(&fv) else {
        return Ok(None);
    };
    let small = Budget {
        max_steps: EXACT_SHORTCUT_STEPS,
        max_bits: 1 << 22,
        deadline: budget.deadline,
    };
    match exact::eval(e, &mut xenv, &small) {
        Ok(v) => Ok(Some(Interval::from_rational(&v, prec))),
        Err(ExactError::Undefined(m)) | Err(ExactError::NotInteger(m)) => {
            Err(RealError::Undefined(m))
        }
        Err(ExactError::Budget(m)) if m.starts_with("time") => Err(RealError::Budget(m)),
        Err(_) => Ok(None),
    }
}

#[allow(clippy::too_many_arguments, clippy::explicit_counter_loop)]
fn rec_intervals(
    x: &str,
    t: &str,
    start: &Integer,
    steps: u64,
    x0: Interval,
    step: &Expr,
    env: &mut RealEnv,
    ar: Arith,
    budget: &Budget,
) -> Result<Interval, RealError> {
    let p = ar.prec;
    let mark = env.len();
    let affine = exact::affine_split(step, x);
    if let Some((pc, qc)) = &affine
        && let Some((pf, qf)) = compile_coefficients(pc, qc, t, env)
    {
        return rec_intervals_compiled(&pf, &qf, start, steps, x0, p, budget);
    }
    // constant parts folded once: coefficient expressions then only depend on t
    let mut xcur = x0;
    let mut ti = start.clone();
    let res = (|| {
        for k in 0..steps {
            if k % 1024 == 0 {
                tick(budget)?;
            }
            env.push_exact(t, &Rational::from(ti.clone()), p);
            let next = match &affine {
                Some((pc, qc)) => {
                    let pv = eval(pc, env, ar, budget)?;
                    let qv = eval(qc, env, ar, budget)?;
                    ar.add(&ar.mul(&pv, &xcur), &qv)
                }
                None => {
                    env.push(x, xcur.clone());
                    let v = eval(step, env, ar, budget);
                    env.pop();
                    v?
                }
            };
            env.pop();
            xcur = fix(next);
            ti += 1;
        }
        Ok(xcur)
    })();
    env.truncate(mark);
    res
}

/// Compiles the affine coefficients `P(t)`, `Q(t)` to integer rational functions of `t`
/// when every other name they use is bound to an exact rational.
fn compile_coefficients(
    pc: &Expr,
    qc: &Expr,
    t: &str,
    env: &RealEnv,
) -> Option<(exact::IntRatFn, exact::IntRatFn)> {
    let mut names = pc.free_vars();
    names.extend(qc.free_vars());
    names.remove(t);
    let mut xenv = env.exact_env(&names)?;
    let pf = exact::fold_constants(pc, &mut xenv, &[t]);
    let qf = exact::fold_constants(qc, &mut xenv, &[t]);
    Some((
        exact::IntRatFn::compile(&pf, t)?,
        exact::IntRatFn::compile(&qf, t)?,
    ))
}

/// `x(t+1) = P(t) x(t) + Q(t)` on intervals with exact integer coefficients per step: each
/// end is multiplied and divided by integers with directed rounding, in place.
#[allow(clippy::explicit_counter_loop)]
fn rec_intervals_compiled(
    pf: &exact::IntRatFn,
    qf: &exact::IntRatFn,
    start: &Integer,
    steps: u64,
    x0: Interval,
    prec: u32,
    budget: &Budget,
) -> Result<Interval, RealError> {
    use rug::Assign;
    use rug::ops::{AddAssignRound, DivAssignRound, MulAssignRound, NegAssign};
    let (mut lo, mut hi) = (
        Float::with_val_round(prec, &x0.lo, Round::Down).0,
        Float::with_val_round(prec, &x0.hi, Round::Up).0,
    );
    let map = exact::AffinePoly::new(pf, qf);
    let (mut a, mut b, mut c) = (Integer::new(), Integer::new(), Integer::new());
    let mut tmp = Float::new(prec);
    let mut ti = start.clone();
    for k in 0..steps {
        if k % 4096 == 0 {
            tick(budget)?;
        }
        map.eval_into(&ti, &mut a, &mut b, &mut c);
        if c == 0 {
            return Err(RealError::Undefined(format!(
                "division by zero in the recurrence's step at t = {ti}"
            )));
        }
        if c < 0 {
            a.neg_assign();
            b.neg_assign();
            c.neg_assign();
        }
        // x' = (a x + b) / c with c > 0: lower end from the end that minimises a x
        if a == 0 {
            lo.assign(0);
            hi.assign(0);
        } else {
            if a < 0 {
                std::mem::swap(&mut lo, &mut hi);
            }
            lo.mul_assign_round(&a, Round::Down);
            hi.mul_assign_round(&a, Round::Up);
        }
        lo.add_assign_round(&b, Round::Down);
        lo.div_assign_round(&c, Round::Down);
        hi.add_assign_round(&b, Round::Up);
        hi.div_assign_round(&c, Round::Up);
        if lo.is_nan() || hi.is_nan() {
            tmp.assign(Special::NegInfinity);
            lo.assign(&tmp);
            hi.assign(Special::Infinity);
        }
        ti += 1;
    }
    Ok(fix(Interval { lo, hi }))
}

/// Encloses `e` at an exact point given by `vars` (every free name bound to a rational).
pub fn eval_at(
    e: &Expr,
    vars: &[(String, Rational)],
    prec: u32,
    budget: &Budget,
) -> Result<Interval, RealError> {
    let mut env = RealEnv::new();
    for (n, v) in vars {
        env.push_exact(n, v, prec);
    }
    eval(e, &mut env, Arith { prec }, budget)
}

/// Relative width used to judge whether an enclosure is tight enough to print `digits`
/// digits; returns an enclosure whose decimal rendering has the requested digits, raising
/// the precision until the rounded ends agree or `max_prec` is reached.
pub fn enclose_digits(
    e: &Expr,
    vars: &[(String, Rational)],
    digits: u32,
    max_prec: u32,
    budget: &Budget,
) -> Result<(String, String), RealError> {
    let mut prec = (f64::from(digits) * 3.33) as u32 + 32;
    // every rational part exact first: intervals only where the value needs them
    let mut xenv = Env::new();
    for (n, v) in vars {
        xenv.push(n, v.clone());
    }
    let folded = exact::fold_exact(e, &mut xenv, budget);
    let e = &folded;
    loop {
        let iv = match eval_at(e, vars, prec, budget) {
            Ok(iv) => iv,
            // possibly undefined at this precision: a tighter enclosure may settle it
            Err(RealError::MaybeUndefined(m)) => {
                if prec >= max_prec {
                    return Err(RealError::MaybeUndefined(format!(
                        "{m} (still at {prec} bits, the most tried)"
                    )));
                }
                prec = prec.saturating_mul(2).min(max_prec);
                continue;
            }
            Err(other) => return Err(other),
        };
        // overflow to infinity, or underflow to 0 at one end: outside MPFR's exponent range
        let underflow = |a: &Float, b: &Float| {
            a.is_zero() && b.get_exp().is_some_and(|e| e < rug::float::exp_min() + 64)
        };
        if iv.lo.is_infinite()
            || iv.hi.is_infinite()
            || underflow(&iv.lo, &iv.hi)
            || underflow(&iv.hi, &iv.lo)
        {
            return Err(RealError::Budget(format!(
                "the value's magnitude is beyond the range of MPFR's exponents, about 10^±323228496 (enclosure [{}, {}])",
                decimal_ends(&iv, 6).0,
                decimal_ends(&iv, 6).1
            )));
        }
        let (lo, hi) = decimal_ends(&iv, digits);
        if lo == hi || prec >= max_prec {
            return Ok((lo, hi));
        }
        // the ends differ in the last digit: a tighter enclosure may round to one value
        if iv.lo.is_finite() && iv.hi.is_finite() {
            let w = iv.width();
            let mag = Float::with_val(prec, iv.hi.clone().abs().max(&iv.lo.clone().abs()));
            // stop when the enclosure is already far narrower than one unit in the last place
            let ulp_rel = Float::with_val(64, 10u32).pow(-(digits as i32) - 2);
            if !mag.is_zero() && Float::with_val(64, &w / &mag) < ulp_rel {
                return Ok((lo, hi));
            }
        }
        prec = prec.saturating_mul(2).min(max_prec);
    }
}

/// Outward decimal rendering of an interval with `digits` significant digits.
pub fn decimal_ends(iv: &Interval, digits: u32) -> (String, String) {
    let end = |f: &Float, up: bool| -> String {
        if f.is_infinite() {
            return if f.is_sign_negative() {
                "-inf".into()
            } else {
                "inf".into()
            };
        }
        if f.get_exp().is_some_and(|e| e.abs() > MAX_EXP) {
            // MPFR's own conversion, correctly rounded in the outward direction: exact
            // rationals of such ends would be enormous
            let r = if up { Round::Up } else { Round::Down };
            return exact::float_decimal(f, digits, r);
        }
        let q = f.to_rational().expect("finite");
        let (lo, hi) = exact::decimal_enclosure(&q, digits);
        if up { hi } else { lo }
    };
    (end(&iv.lo, false), end(&iv.hi, true))
}

// ------------------------------------------------------------------ interval derivatives

/// An enclosure of a value and of its partial derivatives with respect to the box's
/// variables (forward-mode automatic differentiation over intervals). Used for the mean-value
/// form and monotonicity tests that let branch and bound prove tight inequalities without
/// shrinking boxes to the size of the gap.
#[derive(Clone, Debug)]
pub struct Dual {
    /// enclosure of the value
    pub v: Interval,
    /// enclosures of the partial derivatives, one per differentiated variable
    pub d: Vec<Interval>,
}

/// Evaluates `e` and its gradient with respect to `vars` (each bound in `env` to its box
/// interval). Fails where a derivative is not defined on the whole box (a discontinuity of
/// `floor`/`ceil`, `sqrt` or a real power at 0, …); the caller then falls back to plain
/// interval evaluation, so this can only make proofs easier, never unsound.
#[allow(clippy::explicit_counter_loop)]
pub fn eval_dual(
    e: &Expr,
    env: &mut RealEnv,
    vars: &[String],
    ar: Arith,
    budget: &Budget,
) -> Result<Dual, RealError> {
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || {
        eval_dual_node(e, env, vars, ar, budget)
    })
}

#[allow(clippy::explicit_counter_loop)]
fn eval_dual_node(
    e: &Expr,
    env: &mut RealEnv,
    vars: &[String],
    ar: Arith,
    budget: &Budget,
) -> Result<Dual, RealError> {
    let p = ar.prec;
    let zero = || Interval::from_rational(&Rational::new(), p);
    let fv = e.free_vars();
    if !vars.iter().any(|v| fv.contains(v)) {
        return Ok(Dual {
            v: eval(e, env, ar, budget)?,
            d: vec![zero(); vars.len()],
        });
    }
    let scale = |s: &Interval, d: &[Interval]| -> Vec<Interval> {
        d.iter().map(|x| ar.mul(s, x)).collect()
    };
    let combine = |a: &[Interval],
                   b: &[Interval],
                   f: &dyn Fn(&Interval, &Interval) -> Interval|
     -> Vec<Interval> { a.iter().zip(b).map(|(x, y)| f(x, y)).collect() };
    let not_diff =
        |what: &str| RealError::MaybeUndefined(format!("{what} is not differentiable on the box"));
    Ok(match e {
        Expr::Num(_) => unreachable!("constant handled above"),
        Expr::Var(n) => {
            let b = env.get(n).ok_or_else(|| RealError::Unbound(n.clone()))?;
            let v = ar.round_out(&b.iv);
            let one = Interval::from_rational(&Rational::from(1), p);
            Dual {
                v,
                d: vars
                    .iter()
                    .map(|x| if x == n { one.clone() } else { zero() })
                    .collect(),
            }
        }
        Expr::Neg(a) => {
            let a = eval_dual(a, env, vars, ar, budget)?;
            Dual {
                v: ar.neg(&a.v),
                d: a.d.iter().map(|x| ar.neg(x)).collect(),
            }
        }
        Expr::Bin(op, a, b) => {
            let x = eval_dual(a, env, vars, ar, budget)?;
            let y = eval_dual(b, env, vars, ar, budget)?;
            match op {
                BinOp::Add => Dual {
                    v: ar.add(&x.v, &y.v),
                    d: combine(&x.d, &y.d, &|s, t| ar.add(s, t)),
                },
                BinOp::Sub => Dual {
                    v: ar.sub(&x.v, &y.v),
                    d: combine(&x.d, &y.d, &|s, t| ar.sub(s, t)),
                },
                BinOp::Mul => Dual {
                    v: ar.mul(&x.v, &y.v),
                    d: combine(&scale(&y.v, &x.d), &scale(&x.v, &y.d), &|s, t| ar.add(s, t)),
                },
                BinOp::Div => {
                    let q = ar.div(&x.v, &y.v)?;
                    // (x' - q y') / y
                    let mut d = Vec::with_capacity(vars.len());
                    for (dx, dy) in x.d.iter().zip(&y.d) {
                        d.push(ar.div(&ar.sub(dx, &ar.mul(&q, dy)), &y.v)?);
                    }
                    Dual { v: q, d }
                }
                BinOp::Pow => {
                    let exponent_const = y.d.iter().all(|g| g.lo.is_zero() && g.hi.is_zero());
                    let int_exp = if exponent_const {
                        integer_exponent(b, &y.v, env, budget)?
                    } else {
                        None
                    };
                    if let Some(n) = int_exp {
                        let v = ar.powi(&x.v, &n)?;
                        if n == 0 {
                            return Ok(Dual {
                                v,
                                d: vec![zero(); vars.len()],
                            });
                        }
                        // n x^(n-1) x'
                        let nm1 = ar.powi(&x.v, &Integer::from(&n - 1u32))?;
                        let c = ar.mul(&Interval::from_rational(&Rational::from(n), p), &nm1);
                        Dual {
                            v,
                            d: scale(&c, &x.d),
                        }
                    } else {
                        if x.v.lo <= 0 {
                            return Err(not_diff("a real power at a base that may be 0"));
                        }
                        let v = ar.powr(&x.v, &y.v)?;
                        // v (y' ln x + y x'/x)
                        let lnx = ar.ln(&x.v)?;
                        let yx = ar.div(&y.v, &x.v)?;
                        let d =
                            x.d.iter()
                                .zip(&y.d)
                                .map(|(dx, dy)| {
                                    ar.mul(&v, &ar.add(&ar.mul(dy, &lnx), &ar.mul(&yx, dx)))
                                })
                                .collect();
                        Dual { v, d }
                    }
                }
            }
        }
        Expr::Call(f, args) => {
            let mut xs = Vec::with_capacity(args.len());
            for a in args {
                xs.push(eval_dual(a, env, vars, ar, budget)?);
            }
            let x = &xs[0];
            match f {
                Func::Exp => {
                    let v = ar.exp(&x.v);
                    Dual {
                        d: scale(&v, &x.d),
                        v,
                    }
                }
                Func::Ln => {
                    let v = ar.ln(&x.v)?;
                    let mut d = Vec::new();
                    for g in &x.d {
                        d.push(ar.div(g, &x.v)?);
                    }
                    Dual { v, d }
                }
                Func::Sqrt => {
                    if x.v.lo <= 0 {
                        return Err(not_diff("sqrt at a point that may be 0"));
                    }
                    let v = ar.sqrt(&x.v)?;
                    let two_v = ar.add(&v, &v);
                    let mut d = Vec::new();
                    for g in &x.d {
                        d.push(ar.div(g, &two_v)?);
                    }
                    Dual { v, d }
                }
                Func::Abs => {
                    let v = ar.abs(&x.v);
                    if x.v.lo >= 0 {
                        Dual { v, d: x.d.clone() }
                    } else if x.v.hi <= 0 {
                        Dual {
                            v,
                            d: x.d.iter().map(|g| ar.neg(g)).collect(),
                        }
                    } else {
                        // Clarke gradient: sign in [-1, 1]
                        let s = Interval::from_bounds(&Rational::from(-1), &Rational::from(1), p);
                        Dual {
                            v,
                            d: scale(&s, &x.d),
                        }
                    }
                }
                Func::Floor | Func::Ceil => {
                    let v = if *f == Func::Floor {
                        ar.floor(&x.v)
                    } else {
                        ar.ceil(&x.v)
                    };
                    if v.is_point() {
                        Dual {
                            v,
                            d: vec![zero(); vars.len()],
                        }
                    } else {
                        return Err(not_diff("floor/ceil across an integer"));
                    }
                }
                Func::Min | Func::Max => {
                    let mut acc = xs[0].clone();
                    for y in &xs[1..] {
                        let is_min = *f == Func::Min;
                        // which argument is certainly the result on the whole box, if either
                        let acc_wins = if is_min {
                            acc.v.hi <= y.v.lo
                        } else {
                            acc.v.lo >= y.v.hi
                        };
                        let y_wins = if is_min {
                            y.v.hi <= acc.v.lo
                        } else {
                            y.v.lo >= acc.v.hi
                        };
                        acc = if acc_wins {
                            acc
                        } else if y_wins {
                            y.clone()
                        } else {
                            // Clarke gradient: the hull of both gradients
                            Dual {
                                v: if is_min {
                                    ar.min(&acc.v, &y.v)
                                } else {
                                    ar.max(&acc.v, &y.v)
                                },
                                d: acc.d.iter().zip(&y.d).map(|(a, b)| hull(a, b)).collect(),
                            }
                        };
                    }
                    acc
                }
            }
        }
        Expr::Big {
            op,
            var,
            lo,
            hi,
            body,
        } => {
            let lo = bound(lo, env, ar, budget, "the lower bound of a sum/prod")?;
            let hi = bound(hi, env, ar, budget, "the upper bound of a sum/prod")?;
            let mut acc = Dual {
                v: Interval::from_rational(
                    &Rational::from(if *op == BigOp::Sum { 0 } else { 1 }),
                    p,
                ),
                d: vec![zero(); vars.len()],
            };
            if hi < lo {
                return Ok(acc);
            }
            let count = check_steps(budget, &(Integer::from(&hi - &lo) + 1))?;
            let mut i = lo;
            for k in 0..count {
                if k % 1024 == 0 {
                    tick(budget)?;
                }
                env.push_exact(var, &Rational::from(i.clone()), p);
                let t = eval_dual(body, env, vars, ar, budget);
                env.pop();
                let t = t?;
                acc = match op {
                    BigOp::Sum => Dual {
                        v: ar.add(&acc.v, &t.v),
                        d: combine(&acc.d, &t.d, &|s, u| ar.add(s, u)),
                    },
                    BigOp::Prod => Dual {
                        v: ar.mul(&acc.v, &t.v),
                        d: combine(&scale(&t.v, &acc.d), &scale(&acc.v, &t.d), &|s, u| {
                            ar.add(s, u)
                        }),
                    },
                };
                i += 1;
            }
            acc
        }
        Expr::Rec {
            x,
            t,
            start,
            end,
            init,
            step,
        } => {
            let start = bound(start, env, ar, budget, "the start of rec")?;
            let end = bound(end, env, ar, budget, "the end of rec")?;
            if end < start {
                return Err(RealError::Undefined(format!(
                    "rec runs from {start} to the earlier {end}"
                )));
            }
            let steps = check_steps(budget, &Integer::from(&end - &start))?;
            let mut cur = eval_dual(init, env, vars, ar, budget)?;
            // the state is a dual variable of its own: differentiate the step with respect to
            // the box variables and x, then chain
            let mut ext: Vec<String> = vars.to_vec();
            ext.push(x.clone());
            let mut ti = start;
            for k in 0..steps {
                if k % 1024 == 0 {
                    tick(budget)?;
                }
                env.push_exact(t, &Rational::from(ti.clone()), p);
                env.push(x, cur.v.clone());
                let s = eval_dual(step, env, &ext, ar, budget);
                env.pop();
                env.pop();
                let s = s?;
                let dx = &s.d[vars.len()];
                let d = (0..vars.len())
                    .map(|i| ar.add(&s.d[i], &ar.mul(dx, &cur.d[i])))
                    .collect();
                cur = Dual { v: s.v, d };
                ti += 1;
            }
            cur
        }
    })
}

/// The smallest interval holding both.
pub fn hull(a: &Interval, b: &Interval) -> Interval {
    Interval {
        lo: if a.lo < b.lo {
            a.lo.clone()
        } else {
            b.lo.clone()
        },
        hi: if a.hi > b.hi {
            a.hi.clone()
        } else {
            b.hi.clone()
        },
    }
}
