//! The interval type and its arithmetic. An [`Interval`] is `[lo, hi]` with `lo <= hi`,
//! ends possibly infinite, never NaN: its ends are private and every interval is built by
//! [`Interval::new`], which guarantees that. [`Arith`] holds the operations at a working
//! precision, grouped by family (ring operations, powers, elementary functions, order and
//! rounding), each rounding its lower end toward −∞ and its upper end toward +∞.

use super::RealError;
use rug::float::{Round, Special};
use rug::ops::Pow;
use rug::{Float, Integer, Rational};
use std::cmp::Ordering;

/// A closed interval with `rug::Float` ends (possibly infinite, never NaN, `lo <= hi`).
#[derive(Clone, Debug, PartialEq)]
pub struct Interval {
    lo: Float,
    hi: Float,
}

impl Interval {
    /// `[lo, hi]`, checked: a NaN end becomes the infinity on its side, and ends in the wrong
    /// order give the whole line (both only ever widen, so soundness is kept).
    pub fn new(lo: Float, hi: Float) -> Interval {
        let lo = if lo.is_nan() {
            Float::with_val(lo.prec(), Special::NegInfinity)
        } else {
            lo
        };
        let hi = if hi.is_nan() {
            Float::with_val(hi.prec(), Special::Infinity)
        } else {
            hi
        };
        if lo > hi {
            let p = lo.prec().max(hi.prec());
            return Interval::entire(p);
        }
        Interval { lo, hi }
    }

    /// The lower end.
    pub fn lo(&self) -> &Float {
        &self.lo
    }

    /// The upper end.
    pub fn hi(&self) -> &Float {
        &self.hi
    }

    /// The ends, by value.
    pub fn into_ends(self) -> (Float, Float) {
        (self.lo, self.hi)
    }

    /// The smallest interval holding both.
    pub fn hull(&self, other: &Interval) -> Interval {
        Interval::new(
            if self.lo < other.lo {
                self.lo.clone()
            } else {
                other.lo.clone()
            },
            if self.hi > other.hi {
                self.hi.clone()
            } else {
                other.hi.clone()
            },
        )
    }

    /// The intersection of two enclosures of the same value (so never empty): the tighter
    /// end on each side.
    pub fn intersect(&self, other: &Interval) -> Interval {
        Interval::new(
            if self.lo > other.lo {
                self.lo.clone()
            } else {
                other.lo.clone()
            },
            if self.hi < other.hi {
                self.hi.clone()
            } else {
                other.hi.clone()
            },
        )
    }
}

impl Interval {
    /// The point interval of an exact rational, rounded outward at `prec` bits.
    pub fn from_rational(q: &Rational, prec: u32) -> Interval {
        let (lo, _) = Float::with_val_round(prec, q, Round::Down);
        let (hi, _) = Float::with_val_round(prec, q, Round::Up);
        Interval::new(lo, hi)
    }

    /// `[lo, hi]` from two exact rationals (lo <= hi), rounded outward.
    pub fn from_bounds(lo: &Rational, hi: &Rational, prec: u32) -> Interval {
        let (l, _) = Float::with_val_round(prec, lo, Round::Down);
        let (h, _) = Float::with_val_round(prec, hi, Round::Up);
        Interval::new(l, h)
    }

    /// The whole real line.
    pub fn entire(prec: u32) -> Interval {
        Interval::new(
            Float::with_val(prec, Special::NegInfinity),
            Float::with_val(prec, Special::Infinity),
        )
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
    Interval::new(
        min_f(
            pairs
                .iter()
                .map(|(x, y)| op(prec, x, y, Round::Down))
                .collect(),
        ),
        max_f(
            pairs
                .iter()
                .map(|(x, y)| op(prec, x, y, Round::Up))
                .collect(),
        ),
    )
}

/// Largest binary exponent of an interval end that is converted to an exact rational: MPFR
/// computes with far larger exponents cheaply (`exp(10^12)`, `(5/17)^123456789`), and
/// comparisons use them as they are, but an end of `exp(10^12)` turned into an exact rational
/// would take hours. Conversions ([`Interval::to_rational_bounds`]) widen such ends outward
/// to `2^±MAX_EXP` (or 0, or infinity), which is sound and keeps them bounded (about 130 KB);
/// printing ([`decimal_ends`](super::decimal_ends)) uses MPFR's own directed-rounding conversion.
pub const MAX_EXP: i32 = 1 << 20;

/// Whether an end is infinite or beyond `2^MAX_EXP` in magnitude.
pub fn at_magnitude_limit(f: &Float) -> bool {
    f.is_infinite() || f.get_exp().is_some_and(|e| e > MAX_EXP)
}

/// `f` as an exact rational, widened in the direction `down` (toward −∞) or up when its
/// exponent is beyond [`MAX_EXP`]; `None` for an infinite end (or one widened to infinity).
/// A zero end is 0 (MPFR gives zero no exponent, which once made it read as infinite).
fn bounded_rational(f: &Float, down: bool) -> Option<Rational> {
    if f.is_zero() {
        return Some(Rational::new());
    }
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

/// Interval arithmetic at a working precision.
#[derive(Clone, Copy, Debug)]
pub struct Arith {
    /// bits of every endpoint
    pub prec: u32,
}

impl Arith {
    /// `a + b`
    pub fn add(&self, a: &Interval, b: &Interval) -> Interval {
        Interval::new(
            add_r(self.prec, &a.lo, &b.lo, Round::Down),
            add_r(self.prec, &a.hi, &b.hi, Round::Up),
        )
    }

    /// `a - b`
    pub fn sub(&self, a: &Interval, b: &Interval) -> Interval {
        Interval::new(
            sub_r(self.prec, &a.lo, &b.hi, Round::Down),
            sub_r(self.prec, &a.hi, &b.lo, Round::Up),
        )
    }

    /// `-a`
    pub fn neg(&self, a: &Interval) -> Interval {
        Interval::new(
            Float::with_val_round(self.prec, -&a.hi, Round::Down).0,
            Float::with_val_round(self.prec, -&a.lo, Round::Up).0,
        )
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
            return Ok(Interval::new(pw(&a.lo, Round::Down), pw(&a.hi, Round::Up)));
        }
        if a.hi <= 0 {
            // even n on (-inf, 0]: decreasing
            return Ok(Interval::new(pw(&a.hi, Round::Down), pw(&a.lo, Round::Up)));
        }
        // even n, 0 inside
        Ok(Interval::new(
            Float::new(p),
            max_f(vec![pw(&a.lo, Round::Up), pw(&a.hi, Round::Up)]),
        ))
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
        Ok(Interval::new(lo, hi))
    }

    /// `exp(a)`
    pub fn exp(&self, a: &Interval) -> Interval {
        // monotone increasing: round the inputs outward too (they may carry more bits)
        let mut lo = Float::with_val_round(self.prec, &a.lo, Round::Down).0;
        lo.exp_round(Round::Down);
        let mut hi = Float::with_val_round(self.prec, &a.hi, Round::Up).0;
        hi.exp_round(Round::Up);
        Interval::new(lo, hi)
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
        Ok(Interval::new(lo, hi))
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
        Ok(Interval::new(lo, hi))
    }

    /// `abs(a)`
    pub fn abs(&self, a: &Interval) -> Interval {
        let p = self.prec;
        if a.lo >= 0 {
            self.round_out(a)
        } else if a.hi <= 0 {
            self.neg(a)
        } else {
            Interval::new(
                Float::new(p),
                max_f(vec![
                    Float::with_val_round(p, -&a.lo, Round::Up).0,
                    Float::with_val_round(p, &a.hi, Round::Up).0,
                ]),
            )
        }
    }

    /// `a` with its ends rounded outward to the working precision.
    pub fn round_out(&self, a: &Interval) -> Interval {
        Interval::new(
            Float::with_val_round(self.prec, &a.lo, Round::Down).0,
            Float::with_val_round(self.prec, &a.hi, Round::Up).0,
        )
    }

    /// `min(a, b)`
    pub fn min(&self, a: &Interval, b: &Interval) -> Interval {
        self.round_out(&Interval::new(
            min_f(vec![a.lo.clone(), b.lo.clone()]),
            min_f(vec![a.hi.clone(), b.hi.clone()]),
        ))
    }

    /// `max(a, b)`
    pub fn max(&self, a: &Interval, b: &Interval) -> Interval {
        self.round_out(&Interval::new(
            max_f(vec![a.lo.clone(), b.lo.clone()]),
            max_f(vec![a.hi.clone(), b.hi.clone()]),
        ))
    }

    /// `floor(a)` (exact on finite ends)
    pub fn floor(&self, a: &Interval) -> Interval {
        Interval::new(a.lo.clone().floor(), a.hi.clone().floor())
    }

    /// `ceil(a)` (exact on finite ends)
    pub fn ceil(&self, a: &Interval) -> Interval {
        Interval::new(a.lo.clone().ceil(), a.hi.clone().ceil())
    }
}
