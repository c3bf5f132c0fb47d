//! Polynomials over Q in named variables, and the rational-function normal form of an
//! expression built from `+ - * /` and integer powers ([`ratfn_of`]). The symbolic engine
//! compares exponents with them; branch and bound rewrites a polynomial margin with them, so
//! that a face where a variable is fixed is evaluated after its terms are collected (where
//! `alpha*beta` with `alpha = u/beta` is the polynomial `u`, not an interval product that
//! never shrinks).

use super::{BinOp, Expr};
use rug::Rational;
use std::collections::BTreeMap;

/// A monomial `c * x1^k1 * x2^k2 ...` of a polynomial: variables with positive powers.
pub type Monomial = BTreeMap<String, u32>;

/// A polynomial over Q.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Poly(pub BTreeMap<Monomial, Rational>);

impl Poly {
    /// The constant `q`.
    pub fn constant(q: Rational) -> Poly {
        let mut m = BTreeMap::new();
        if q != 0 {
            m.insert(Monomial::new(), q);
        }
        Poly(m)
    }

    /// The variable `x`.
    pub fn var(x: &str) -> Poly {
        let mut mono = Monomial::new();
        mono.insert(x.to_string(), 1);
        let mut m = BTreeMap::new();
        m.insert(mono, Rational::from(1));
        Poly(m)
    }

    /// The constant value, if the polynomial is constant.
    pub fn as_constant(&self) -> Option<Rational> {
        match self.0.len() {
            0 => Some(Rational::new()),
            1 => self.0.get(&Monomial::new()).cloned(),
            _ => None,
        }
    }

    /// `self + o`.
    pub fn add(&self, o: &Poly) -> Poly {
        let mut m = self.0.clone();
        for (k, v) in &o.0 {
            let e = m.entry(k.clone()).or_default();
            *e += v;
            if *e == 0 {
                m.remove(k);
            }
        }
        Poly(m)
    }

    /// `q * self`.
    pub fn scale(&self, q: &Rational) -> Poly {
        if *q == 0 {
            return Poly::default();
        }
        Poly(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), Rational::from(v * q)))
                .collect(),
        )
    }

    /// `self * o`.
    pub fn mul(&self, o: &Poly) -> Poly {
        let mut out: BTreeMap<Monomial, Rational> = BTreeMap::new();
        for (k1, v1) in &self.0 {
            for (k2, v2) in &o.0 {
                let mut k = k1.clone();
                for (x, e) in k2 {
                    *k.entry(x.clone()).or_insert(0) += e;
                }
                *out.entry(k).or_default() += Rational::from(v1 * v2);
            }
        }
        out.retain(|_, c| *c != 0);
        Poly(out)
    }

    /// `self^k`.
    pub fn pow(&self, k: u32) -> Poly {
        let mut acc = Poly::constant(Rational::from(1));
        for _ in 0..k {
            acc = acc.mul(self);
        }
        acc
    }

    /// The number of terms.
    pub fn terms(&self) -> usize {
        self.0.len()
    }

    /// The polynomial with `x` replaced by the value `v` (terms collected).
    pub fn substitute(&self, x: &str, v: &Rational) -> Poly {
        let mut out: BTreeMap<Monomial, Rational> = BTreeMap::new();
        for (m, c) in &self.0 {
            let mut m = m.clone();
            let c = match m.remove(x) {
                Some(e) => c * Rational::from(rug::ops::Pow::pow(v, e)),
                None => c.clone(),
            };
            *out.entry(m).or_default() += c;
        }
        out.retain(|_, c| *c != 0);
        Poly(out)
    }

    /// The partial derivative in `x`.
    pub fn derivative(&self, x: &str) -> Poly {
        let mut out: BTreeMap<Monomial, Rational> = BTreeMap::new();
        for (m, c) in &self.0 {
            let Some(&e) = m.get(x) else { continue };
            let mut m = m.clone();
            if e == 1 {
                m.remove(x);
            } else {
                m.insert(x.to_string(), e - 1);
            }
            *out.entry(m).or_default() += Rational::from(c * e);
        }
        out.retain(|_, c| *c != 0);
        Poly(out)
    }

    /// The variables that occur.
    pub fn vars(&self) -> std::collections::BTreeSet<String> {
        self.0.keys().flat_map(|m| m.keys().cloned()).collect()
    }

    /// The largest monomial dividing every term, and the quotient: `a^2 - a` is
    /// `a * (a - 1)`, whose sign the range analysis can read off.
    pub fn split_monomial(&self) -> (Monomial, Poly) {
        let mut common: Option<Monomial> = None;
        for m in self.0.keys() {
            common = Some(match common {
                None => m.clone(),
                Some(c) => c
                    .into_iter()
                    .filter_map(|(x, e)| m.get(&x).map(|f| (x, e.min(*f))))
                    .collect(),
            });
        }
        let common = common.unwrap_or_default();
        let rest = Poly(
            self.0
                .iter()
                .map(|(m, c)| (divide(m, &common), c.clone()))
                .collect(),
        );
        (common, rest)
    }

    /// The polynomial as a product `monomial * (rest)`, for sign analysis.
    pub fn factored_expr(&self) -> Expr {
        let (m, rest) = self.split_monomial();
        let mut e = rest.to_expr();
        for (x, k) in m {
            let f = if k == 1 {
                Expr::Var(x)
            } else {
                Expr::bin(BinOp::Pow, Expr::Var(x), Expr::Num(Rational::from(k)))
            };
            e = Expr::bin(BinOp::Mul, f, e);
        }
        e
    }

    /// Degree in `x`.
    pub fn degree(&self, x: &str) -> u32 {
        self.0
            .keys()
            .map(|m| m.get(x).copied().unwrap_or(0))
            .max()
            .unwrap_or(0)
    }

    /// The polynomial as an expression (a sum of terms, higher total degree first).
    pub fn to_expr(&self) -> Expr {
        if self.0.is_empty() {
            return Expr::Num(Rational::new());
        }
        // higher total degree first, for readability
        let mut terms: Vec<(&Monomial, &Rational)> = self.0.iter().collect();
        terms.sort_by_key(|(m, _)| std::cmp::Reverse(m.values().sum::<u32>()));
        let mut acc: Option<Expr> = None;
        for (m, c) in terms {
            let mut factors: Vec<Expr> = m
                .iter()
                .map(|(x, e)| {
                    if *e == 1 {
                        Expr::Var(x.clone())
                    } else {
                        Expr::bin(
                            BinOp::Pow,
                            Expr::Var(x.clone()),
                            Expr::Num(Rational::from(*e)),
                        )
                    }
                })
                .collect();
            let neg = *c < 0;
            let ac = Rational::from(c.abs_ref());
            if ac != 1 || factors.is_empty() {
                factors.insert(0, num(&ac));
            }
            let t = factors
                .into_iter()
                .reduce(|a, b| Expr::bin(BinOp::Mul, a, b))
                .expect("at least one factor");
            acc = Some(match acc {
                None if neg => Expr::Neg(Box::new(t)),
                None => t,
                Some(a) if neg => Expr::bin(BinOp::Sub, a, t),
                Some(a) => Expr::bin(BinOp::Add, a, t),
            });
        }
        acc.expect("nonempty")
    }
}

/// A rational literal as an expression (`p/q` as a division of integers).
pub fn num(q: &Rational) -> Expr {
    if q.is_integer() {
        if *q < 0 {
            Expr::Neg(Box::new(Expr::Num(Rational::from(-q))))
        } else {
            Expr::Num(q.clone())
        }
    } else {
        let n = Expr::Num(Rational::from(q.numer().clone().abs()));
        let d = Expr::Num(Rational::from(q.denom().clone()));
        let f = Expr::bin(BinOp::Div, n, d);
        if *q < 0 { Expr::Neg(Box::new(f)) } else { f }
    }
}

/// `m / by` for a monomial `by` that divides `m`.
fn divide(m: &Monomial, by: &Monomial) -> Monomial {
    let mut m = m.clone();
    for (x, e) in by {
        let left = m[x] - e;
        if left == 0 {
            m.remove(x);
        } else {
            m.insert(x.clone(), left);
        }
    }
    m
}

/// Largest number of terms [`ratfn_of`] builds (beyond it the expression is left alone).
pub const MAX_TERMS: usize = 4_000;

/// Largest integer power [`ratfn_of`] expands.
pub const MAX_POWER: u32 = 64;

/// `e` as a quotient of polynomials `num / den` in its free names, with the names bound in
/// `values` replaced by their values; `None` when `e` uses anything but numbers, names,
/// `+ - * /` and constant integer powers, divides by the zero polynomial, or grows beyond
/// [`MAX_TERMS`] terms. The quotient equals `e` wherever `e` has a value (and `den != 0`
/// there); a monomial dividing both is cancelled, so `den` may vanish only where `e` has no
/// value or where a cancelled variable is 0.
pub fn ratfn_of(e: &Expr, values: &[(String, Rational)]) -> Option<(Poly, Poly)> {
    let (n, d) = rf(e, values)?;
    let (mn, rn) = n.split_monomial();
    let (md, rd) = d.split_monomial();
    // cancel the common monomial
    let common: Monomial = mn
        .iter()
        .filter_map(|(x, a)| md.get(x).map(|b| (x.clone(), (*a).min(*b))))
        .collect();
    let rebuild = |m: &Monomial, rest: Poly| {
        rest.mul(&Poly(BTreeMap::from([(
            divide(m, &common),
            Rational::from(1),
        )])))
    };
    let (n, d) = if n.0.is_empty() {
        (n, Poly::constant(Rational::from(1)))
    } else {
        (rebuild(&mn, rn), rebuild(&md, rd))
    };
    // a constant denominator is folded into the numerator
    match d.as_constant() {
        Some(c) if c != 0 => Some((
            n.scale(&Rational::from(c.recip_ref())),
            Poly::constant(Rational::from(1)),
        )),
        _ => Some((n, d)),
    }
}

fn rf(e: &Expr, values: &[(String, Rational)]) -> Option<(Poly, Poly)> {
    let one = || Poly::constant(Rational::from(1));
    let small = |p: &Poly| (p.terms() <= MAX_TERMS).then_some(());
    Some(match e {
        Expr::Num(q) => (Poly::constant(q.clone()), one()),
        Expr::Var(x) => match values.iter().rev().find(|(n, _)| n == x) {
            Some((_, v)) => (Poly::constant(v.clone()), one()),
            None => (Poly::var(x), one()),
        },
        Expr::Neg(a) => {
            let (n, d) = rf(a, values)?;
            (n.scale(&Rational::from(-1)), d)
        }
        Expr::Bin(op, a, b) => {
            let (an, ad) = rf(a, values)?;
            if *op == BinOp::Pow {
                let (bn, bd) = rf(b, values)?;
                let k = bn.as_constant()? / bd.as_constant()?;
                if !k.is_integer() {
                    return None;
                }
                let k = k.numer().to_i32()?;
                if k.unsigned_abs() > MAX_POWER {
                    return None;
                }
                let (n, d) = (an.pow(k.unsigned_abs()), ad.pow(k.unsigned_abs()));
                small(&n)?;
                small(&d)?;
                return if k >= 0 {
                    Some((n, d))
                } else if n.0.is_empty() {
                    None
                } else {
                    Some((d, n))
                };
            }
            let (bn, bd) = rf(b, values)?;
            let (n, d) = match op {
                BinOp::Add | BinOp::Sub => {
                    let sign = Rational::from(if *op == BinOp::Add { 1 } else { -1 });
                    if ad == bd {
                        (an.add(&bn.scale(&sign)), ad)
                    } else {
                        (an.mul(&bd).add(&bn.mul(&ad).scale(&sign)), ad.mul(&bd))
                    }
                }
                BinOp::Mul => (an.mul(&bn), ad.mul(&bd)),
                BinOp::Div => {
                    if bn.0.is_empty() {
                        return None;
                    }
                    (an.mul(&bd), ad.mul(&bn))
                }
                BinOp::Pow => unreachable!("handled above"),
            };
            small(&n)?;
            small(&d)?;
            // keep constant denominators out of the way
            match d.as_constant() {
                Some(c) if c != 1 => (n.scale(&Rational::from(c.recip_ref())), one()),
                _ => (n, d),
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse_expr;

    fn rf_str(s: &str, vals: &[(&str, i64)]) -> Option<(String, String)> {
        let vals: Vec<(String, Rational)> = vals
            .iter()
            .map(|(n, v)| (n.to_string(), Rational::from(*v)))
            .collect();
        ratfn_of(&parse_expr(s).unwrap(), &vals)
            .map(|(n, d)| (n.to_expr().to_string(), d.to_expr().to_string()))
    }

    #[test]
    fn collects_terms_and_cancels_monomials() {
        // alpha = u/beta: alpha*beta is u
        let (n, d) = rf_str("1 - (0 + u*(1/beta - 0))*beta", &[]).unwrap();
        assert_eq!((n.as_str(), d.as_str()), ("-u + 1", "1"));
        let (n, d) = rf_str("(x + 1)^2 - x^2 - 2*x", &[]).unwrap();
        assert_eq!((n.as_str(), d.as_str()), ("1", "1"));
        let (n, d) = rf_str("x/(x*y)", &[]).unwrap();
        assert_eq!((n.as_str(), d.as_str()), ("1", "y"));
        let (n, _) = rf_str("k*x^k", &[("k", 3)]).unwrap();
        assert_eq!(n, "3*x^3");
        assert_eq!(rf_str("x^(1/2)", &[]), None);
        assert_eq!(rf_str("exp(x)", &[]), None);
        assert_eq!(rf_str("1/(x - x)", &[]), None);
        let p = ratfn_of(&parse_expr("x^2*y - 3*x").unwrap(), &[])
            .unwrap()
            .0;
        assert_eq!(p.derivative("x").to_expr().to_string(), "2*x*y - 3");
        assert_eq!(
            p.substitute("x", &Rational::from(2)).to_expr().to_string(),
            "4*y - 6"
        );
    }
}
