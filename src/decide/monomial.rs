//! Exact comparison of monomials `c · Π b_i^(e_i)` (rational `c`, positive rational bases,
//! rational exponents) by clearing the exponents' denominators: the rung of the point ladder
//! that decides touching radicals, which intervals never separate. The values at the point
//! come from the ladder through [`Values`], so this module does no evaluation of its own.

use crate::expr::{BinOp, Expr, Func};
use rug::{Integer, Rational};
use std::cmp::Ordering;

/// What the comparison needs from the engines at the point.
pub(super) trait Values {
    /// The exact value of `e`, when it is rational (within the budget).
    fn exact(&mut self, e: &Expr) -> Option<Rational>;
    /// A key naming the positive atom `exp(arg)`, when `arg` is shown defined here.
    fn exp_atom(&mut self, arg: &Expr) -> Option<String>;
    /// `base^exp` exactly (an integer exponent), within the budget.
    fn pow(&self, base: &Rational, exp: &Rational) -> Option<Rational>;
}

/// `coeff · Π base^exp` over positive rational bases, times opaque positive atoms
/// (`exp(...)` of an exactly folded argument) with exponents, which cancel when both sides
/// carry the same ones.
#[derive(Clone, Debug)]
pub(super) struct Monomial {
    /// the rational coefficient (its sign is the monomial's)
    coeff: Rational,
    /// `(base, exponent)` with `base > 0`
    powers: Vec<(Rational, Rational)>,
    /// `(atom key, exponent)`
    atoms: Vec<(String, Rational)>,
}

impl Monomial {
    fn constant(coeff: Rational) -> Self {
        Monomial {
            coeff,
            powers: Vec::new(),
            atoms: Vec::new(),
        }
    }

    /// Every exponent multiplied by `k`; the coefficient is left alone.
    fn scale_exponents(&mut self, k: &Rational) {
        for (_, e) in &mut self.powers {
            *e *= k;
        }
        for (_, e) in &mut self.atoms {
            *e *= k;
        }
    }

    /// `self^q` for a positive coefficient: the coefficient becomes a base.
    fn power(mut self, q: &Rational) -> Self {
        self.scale_exponents(q);
        let mut powers = vec![(self.coeff, q.clone())];
        powers.extend(self.powers);
        Monomial {
            coeff: Rational::from(1),
            powers,
            atoms: self.atoms,
        }
    }

    fn times(mut self, other: Monomial) -> Self {
        self.coeff *= other.coeff;
        self.powers.extend(other.powers);
        self.atoms.extend(other.atoms);
        self
    }
}

/// The monomial form of `e` at an exact point, if it has one (products, quotients, and
/// powers with exact rational exponents of exact rationals; anything exactly rational is a
/// constant).
pub(super) fn monomial(e: &Expr, values: &mut impl Values) -> Option<Monomial> {
    if let Some(v) = values.exact(e) {
        return Some(Monomial::constant(v));
    }
    match e {
        Expr::Bin(BinOp::Mul, a, b) => {
            let ma = monomial(a, values)?;
            let mb = monomial(b, values)?;
            Some(ma.times(mb))
        }
        Expr::Bin(BinOp::Div, a, b) => {
            let ma = monomial(a, values)?;
            let mut mb = monomial(b, values)?;
            if mb.coeff == 0 {
                return None;
            }
            mb.scale_exponents(&Rational::from(-1));
            mb.coeff = mb.coeff.recip();
            Some(ma.times(mb))
        }
        Expr::Neg(a) => {
            let mut m = monomial(a, values)?;
            m.coeff = -m.coeff;
            Some(m)
        }
        Expr::Bin(BinOp::Pow, a, b) => {
            let ex = values.exact(b)?;
            let m = monomial(a, values)?;
            if m.coeff <= 0
                || ex.denom().significant_bits() > 16
                || ex.numer().significant_bits() > 16
            {
                return None;
            }
            Some(m.power(&ex))
        }
        Expr::Call(Func::Sqrt, args) => {
            let m = monomial(&args[0], values)?;
            if m.coeff <= 0 {
                return None;
            }
            Some(m.power(&Rational::from((1, 2))))
        }
        Expr::Call(Func::Exp, args) => {
            let key = values.exp_atom(&args[0])?;
            Some(Monomial {
                coeff: Rational::from(1),
                powers: Vec::new(),
                atoms: vec![(key, Rational::from(1))],
            })
        }
        _ => None,
    }
}

/// Exact order of two monomials by exponent clearing: `a <=> b` iff `(a/b)^q <=> 1` with `q`
/// the common denominator of the exponents (flipped when both are negative).
pub(super) fn compare_monomials(
    a: &Monomial,
    b: &Monomial,
    values: &impl Values,
) -> Option<Ordering> {
    // signs: all bases are positive, so the sign is the coefficient's
    let sa = a.coeff.cmp0();
    let sb = b.coeff.cmp0();
    if sa != sb || sa == Ordering::Equal {
        return Some(match (sa, sb) {
            (Ordering::Equal, Ordering::Equal) => Ordering::Equal,
            _ => sa.cmp(&sb),
        });
    }
    // opaque atoms must cancel exactly
    let mut net: Vec<(String, Rational)> = Vec::new();
    for (k, e) in a
        .atoms
        .iter()
        .cloned()
        .chain(b.atoms.iter().map(|(k, e)| (k.clone(), -e.clone())))
    {
        match net.iter_mut().find(|(k2, _)| *k2 == k) {
            Some((_, e2)) => *e2 += e,
            None => net.push((k, e)),
        }
    }
    if net.iter().any(|(_, e)| *e != 0) {
        return None;
    }
    // x / y = (ca/cb) Π b^e, compare with 1; flip when both negative
    let mut factors: Vec<(Rational, Rational)> = a.powers.clone();
    factors.extend(b.powers.iter().map(|(base, e)| (base.clone(), -e.clone())));
    let ratio = Rational::from(&a.coeff / &b.coeff); // positive
    let q = factors
        .iter()
        .fold(Integer::from(1), |acc, (_, e)| acc.lcm(e.denom()));
    let q = q.to_u32().filter(|q| *q <= 1 << 12)?;
    // (ratio^q) * Π base^(e q)  vs 1
    let mut num = Rational::from(1);
    let qq = Rational::from(q);
    for (base, e) in std::iter::once((ratio, Rational::from(1))).chain(factors) {
        if base <= 0 {
            return None;
        }
        let ex = Rational::from(&e * &qq);
        debug_assert!(ex.is_integer());
        num *= values.pow(&base, &ex)?;
    }
    let ord = num.cmp(&Rational::from(1));
    Some(if sa == Ordering::Less {
        ord.reverse()
    } else {
        ord
    })
}
