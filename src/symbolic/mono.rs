//! The monomial normal form of a bound: a rational coefficient times positive bases raised
//! to exponents that are rational functions of the symbolic parameters, with non-monomial
//! factors (`(n-1)/n`, `1 + 1/a`) kept whole as opaque bases. Normalisation is structural:
//! exponent maps add and subtract, exponents are exact rational functions (polynomial
//! numerator and denominator over Q, compared by cross-multiplication), so two normal forms
//! are equal exactly when their pieces are.

use super::range::Assumptions;
use crate::expr::{BinOp, Expr, Func, parse_expr};
use rug::Rational;
use std::fmt;

pub use crate::expr::poly::{Monomial, Poly, num};

/// A rational function `num/den` of the parameters (den never the zero polynomial).
#[derive(Clone, Debug)]
pub struct RatFn {
    /// numerator
    pub num: Poly,
    /// denominator
    pub den: Poly,
}

impl PartialEq for RatFn {
    fn eq(&self, o: &RatFn) -> bool {
        self.num.mul(&o.den) == o.num.mul(&self.den)
    }
}

impl RatFn {
    /// The constant `q`.
    pub fn constant(q: Rational) -> RatFn {
        RatFn {
            num: Poly::constant(q),
            den: Poly::constant(Rational::from(1)),
        }
    }

    /// The constant value, if constant.
    pub fn as_constant(&self) -> Option<Rational> {
        let n = self.num.as_constant()?;
        let d = self.den.as_constant()?;
        Some(n / d)
    }

    /// Whether it is the zero function.
    pub fn is_zero(&self) -> bool {
        self.num.0.is_empty()
    }

    /// `self + o`.
    pub fn add(&self, o: &RatFn) -> RatFn {
        if self.den == o.den {
            return RatFn {
                num: self.num.add(&o.num),
                den: self.den.clone(),
            }
            .tidy();
        }
        RatFn {
            num: self.num.mul(&o.den).add(&o.num.mul(&self.den)),
            den: self.den.mul(&o.den),
        }
        .tidy()
    }

    /// `-self`.
    pub fn neg(&self) -> RatFn {
        RatFn {
            num: self.num.scale(&Rational::from(-1)),
            den: self.den.clone(),
        }
    }

    /// `self * o`.
    pub fn mul(&self, o: &RatFn) -> RatFn {
        RatFn {
            num: self.num.mul(&o.num),
            den: self.den.mul(&o.den),
        }
        .tidy()
    }

    /// `self / o` (None when `o` is zero).
    pub fn div(&self, o: &RatFn) -> Option<RatFn> {
        if o.is_zero() {
            return None;
        }
        Some(
            RatFn {
                num: self.num.mul(&o.den),
                den: self.den.mul(&o.num),
            }
            .tidy(),
        )
    }

    /// Cancels constant denominators and equal numerator and denominator.
    fn tidy(self) -> RatFn {
        if let Some(d) = self.den.as_constant() {
            return RatFn {
                num: self.num.scale(&Rational::from(d.recip_ref())),
                den: Poly::constant(Rational::from(1)),
            };
        }
        if self.num == self.den {
            return RatFn::constant(Rational::from(1));
        }
        // make the denominator's first coefficient 1
        let lead = self.den.0.values().next().cloned().expect("nonzero");
        if lead != 1 {
            let inv = Rational::from(lead.recip_ref());
            return RatFn {
                num: self.num.scale(&inv),
                den: self.den.scale(&inv),
            };
        }
        self
    }

    /// As an expression in the language.
    pub fn to_expr(&self) -> Expr {
        match self.den.as_constant() {
            Some(_) => self.num.to_expr(),
            None => Expr::bin(BinOp::Div, self.num.to_expr(), self.den.to_expr()),
        }
    }

    /// Converts an expression built from constants, parameters, `+ - * /` and non-negative
    /// integer powers.
    pub fn from_expr(e: &Expr) -> Option<RatFn> {
        Some(match e {
            Expr::Num(q) => RatFn::constant(q.clone()),
            Expr::Var(x) => RatFn {
                num: Poly::var(x),
                den: Poly::constant(Rational::from(1)),
            },
            Expr::Neg(a) => RatFn::from_expr(a)?.neg(),
            Expr::Bin(op, a, b) => {
                let x = RatFn::from_expr(a)?;
                match op {
                    BinOp::Add => x.add(&RatFn::from_expr(b)?),
                    BinOp::Sub => x.add(&RatFn::from_expr(b)?.neg()),
                    BinOp::Mul => x.mul(&RatFn::from_expr(b)?),
                    BinOp::Div => x.div(&RatFn::from_expr(b)?)?,
                    BinOp::Pow => {
                        let k = RatFn::from_expr(b)?.as_constant()?;
                        if !k.is_integer() || k.numer().to_u32().is_none_or(|k| k > 64) {
                            return None;
                        }
                        let k = k.numer().to_u32()?;
                        let mut r = RatFn::constant(Rational::from(1));
                        for _ in 0..k {
                            r = r.mul(&x);
                        }
                        r
                    }
                }
            }
            _ => return None,
        })
    }

    /// Whether `x` occurs in the numerator or the denominator.
    pub fn mentions(&self, x: &str) -> bool {
        self.num.degree(x) > 0 || self.den.degree(x) > 0
    }

    /// Degree in `x` as `x` grows (numerator degree minus denominator degree).
    pub fn degree(&self, x: &str) -> i64 {
        i64::from(self.num.degree(x)) - i64::from(self.den.degree(x))
    }
}

impl fmt::Display for RatFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_expr())
    }
}

/// A base of the normal form.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Base {
    /// a positive parameter
    Var(String),
    /// a positive rational constant other than 1 under a non-constant or irrational power
    Const(Rational),
    /// Euler's number (the base of `exp`)
    E,
    /// a positive factor that is not a monomial, kept whole (its printed form)
    Opaque(String),
}

impl Base {
    fn to_expr(&self) -> Expr {
        match self {
            Base::Var(x) => Expr::Var(x.clone()),
            Base::Const(q) => num(q),
            Base::E => Expr::Call(Func::Exp, vec![Expr::Num(Rational::from(1))]),
            Base::Opaque(s) => parse_expr(s).expect("printed by the printer"),
        }
    }
}

/// `coef * prod base^exponent`.
#[derive(Clone, Debug)]
pub struct Mono {
    /// the rational coefficient
    pub coef: Rational,
    /// bases and their exponents (never zero)
    pub factors: Vec<(Base, RatFn)>,
}

impl PartialEq for Mono {
    fn eq(&self, o: &Mono) -> bool {
        self.coef == o.coef
            && self.factors.len() == o.factors.len()
            && self
                .factors
                .iter()
                .all(|(b, e)| o.factors.iter().any(|(c, f)| b == c && e == f))
    }
}

/// Why an expression has no normal form (the caller reports `unsupported`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported(pub String);

impl Mono {
    fn constant(q: Rational) -> Mono {
        Mono {
            coef: q,
            factors: Vec::new(),
        }
    }

    fn times_base(mut self, b: Base, e: RatFn) -> Mono {
        if let Some(i) = self.factors.iter().position(|(c, _)| *c == b) {
            let sum = self.factors[i].1.add(&e);
            if sum.is_zero() {
                self.factors.remove(i);
            } else {
                self.factors[i].1 = sum;
            }
        } else if !e.is_zero() {
            self.factors.push((b, e));
            self.factors.sort_by(|x, y| x.0.cmp(&y.0));
        }
        self
    }

    /// `self * o`.
    pub fn mul(&self, o: &Mono) -> Mono {
        let mut m = Mono::constant(Rational::from(&self.coef * &o.coef));
        for (b, e) in self.factors.iter().chain(&o.factors) {
            m = m.times_base(b.clone(), e.clone());
        }
        m
    }

    /// `self / o`.
    pub fn div(&self, o: &Mono) -> Result<Mono, Unsupported> {
        if o.coef == 0 {
            return Err(Unsupported("division by zero".into()));
        }
        Ok(self.mul(&o.pow(&RatFn::constant(Rational::from(-1)))?))
    }

    /// `self ^ r` (the coefficient must be positive unless `r` is an integer constant).
    pub fn pow(&self, r: &RatFn) -> Result<Mono, Unsupported> {
        let mut m = Mono::constant(Rational::from(1));
        match r.as_constant() {
            Some(k) if k.is_integer() => {
                let k = k
                    .numer()
                    .to_i32()
                    .filter(|k| k.abs() <= 4096)
                    .ok_or_else(|| Unsupported(format!("the exponent {k} is too large")))?;
                if self.coef == 0 && k < 0 {
                    return Err(Unsupported("zero to a negative power".into()));
                }
                let p = rug::ops::Pow::pow(self.coef.clone(), k.unsigned_abs());
                m.coef = if k < 0 { p.recip() } else { p };
            }
            _ => {
                if self.coef <= 0 {
                    return Err(Unsupported(format!(
                        "a non-positive coefficient {} under a symbolic or fractional power",
                        self.coef
                    )));
                }
                // keep the coefficient exact when the power is rational
                let exact = r.as_constant().and_then(|k| {
                    crate::engine::exact::pow(
                        &self.coef,
                        &k,
                        &crate::engine::exact::Budget::default(),
                    )
                    .ok()
                });
                match exact {
                    Some(v) => m.coef = v,
                    None if self.coef == 1 => {}
                    None => m = m.times_base(Base::Const(self.coef.clone()), r.clone()),
                }
            }
        }
        for (b, e) in &self.factors {
            m = m.times_base(b.clone(), e.mul(r));
        }
        Ok(m)
    }

    /// The normal form of `e` under `assume` (parameters positive unless assumed otherwise).
    pub fn of(e: &Expr, assume: &Assumptions) -> Result<Mono, Unsupported> {
        Ok(match e {
            Expr::Num(q) => Mono::constant(q.clone()),
            Expr::Var(x) => {
                if !assume.of(x).is_pos() {
                    return Err(Unsupported(format!(
                        "`{x}` is not known to be positive (assume a positive range for it)"
                    )));
                }
                Mono::constant(Rational::from(1))
                    .times_base(Base::Var(x.clone()), RatFn::constant(Rational::from(1)))
            }
            Expr::Neg(a) => {
                let mut m = Mono::of(a, assume)?;
                m.coef = -m.coef;
                m
            }
            Expr::Bin(BinOp::Mul, a, b) => Mono::of(a, assume)?.mul(&Mono::of(b, assume)?),
            Expr::Bin(BinOp::Div, a, b) => Mono::of(a, assume)?.div(&Mono::of(b, assume)?)?,
            Expr::Bin(BinOp::Pow, a, b) => {
                divisors_nonzero(b, assume)?;
                let r = RatFn::from_expr(b).ok_or_else(|| {
                    Unsupported(format!(
                        "the exponent `{b}` is not a rational function of the parameters"
                    ))
                })?;
                Mono::of(a, assume)?.pow(&r)?
            }
            Expr::Call(Func::Sqrt, args) => {
                Mono::of(&args[0], assume)?.pow(&RatFn::constant(Rational::from((1, 2))))?
            }
            Expr::Call(Func::Exp, args) => match divisors_nonzero(&args[0], assume)
                .ok()
                .and_then(|()| RatFn::from_expr(&args[0]))
            {
                Some(r) if r.as_constant().is_some_and(|c| c == 0) => {
                    Mono::constant(Rational::from(1))
                }
                Some(r) => Mono::constant(Rational::from(1)).times_base(Base::E, r),
                None => opaque(e, assume)?,
            },
            _ => opaque(e, assume)?,
        })
    }

    /// As an expression: coefficient, numerator factors, then the denominator.
    pub fn to_expr(&self) -> Expr {
        let mut up: Vec<Expr> = Vec::new();
        let mut down: Vec<Expr> = Vec::new();
        for (b, e) in &self.factors {
            let negative = e.as_constant().is_some_and(|c| c < 0)
                || (e.as_constant().is_none() && e.num.0.values().all(|c| *c < 0));
            let (list, e) = if negative {
                (&mut down, e.neg())
            } else {
                (&mut up, e.clone())
            };
            let be = b.to_expr();
            let f = match (e.as_constant(), b) {
                (Some(c), _) if c == 1 => be,
                (_, Base::E) => Expr::Call(Func::Exp, vec![e.to_expr()]),
                _ => Expr::bin(BinOp::Pow, be, e.to_expr()),
            };
            list.push(f);
        }
        let c = &self.coef;
        let mut numer: Vec<Expr> = Vec::new();
        let cn = Rational::from(c.numer().clone().abs());
        if cn != 1 || up.is_empty() {
            numer.push(Expr::Num(cn));
        }
        numer.extend(up);
        let cd = Rational::from(c.denom().clone());
        let mut denom: Vec<Expr> = Vec::new();
        if cd != 1 {
            denom.push(Expr::Num(cd));
        }
        denom.extend(down);
        let prod = |v: Vec<Expr>| v.into_iter().reduce(|a, b| Expr::bin(BinOp::Mul, a, b));
        let top = prod(numer).expect("nonempty");
        let e = match prod(denom) {
            Some(d) => Expr::bin(BinOp::Div, top, d),
            None => top,
        };
        if *c < 0 { Expr::Neg(Box::new(e)) } else { e }
    }

    /// The exponent of base `b` (zero when absent).
    pub fn exponent(&self, b: &Base) -> RatFn {
        self.factors
            .iter()
            .find(|(c, _)| c == b)
            .map_or_else(|| RatFn::constant(Rational::new()), |(_, e)| e.clone())
    }
}

/// Exponents become rational functions, whose arithmetic cancels common factors (`(n-1)/(n-1)`
/// is 1): that is only faithful where no divisor of the exponent can be 0, so every divisor
/// must be provably nonzero under the assumptions.
fn divisors_nonzero(e: &Expr, assume: &Assumptions) -> Result<(), Unsupported> {
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        if let Expr::Bin(BinOp::Div, _, d) = x
            && !assume.range(d).is_nonzero()
        {
            return Err(Unsupported(format!(
                "the exponent `{e}` divides by `{d}`, which is not provably nonzero"
            )));
        }
        if let Expr::Bin(BinOp::Pow, _, k) = x
            && matches!(&**k, Expr::Num(q) if *q < 0)
        {
            return Err(Unsupported(format!(
                "the exponent `{e}` has a negative power, which may divide by 0"
            )));
        }
        stack.extend(x.children());
    }
    Ok(())
}

/// A non-monomial factor kept whole: it must be provably positive, since it may be raised to
/// a symbolic power or moved across an inequality.
fn opaque(e: &Expr, assume: &Assumptions) -> Result<Mono, Unsupported> {
    if let Expr::Big { .. } | Expr::Rec { .. } = e {
        return Err(Unsupported(format!(
            "`{e}`: sums, products and recurrences are outside the symbolic class"
        )));
    }
    if e.free_vars().is_empty()
        && let Ok(v) =
            crate::engine::exact::eval_closed(e, &crate::engine::exact::Budget::default())
    {
        return Ok(Mono::constant(v));
    }
    if !assume.range(e).is_pos() {
        return Err(Unsupported(format!(
            "the factor `{e}` is not a monomial and not provably positive"
        )));
    }
    Ok(Mono::constant(Rational::from(1)).times_base(
        Base::Opaque(e.to_string()),
        RatFn::constant(Rational::from(1)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mono(s: &str, assume: &Assumptions) -> Mono {
        Mono::of(&parse_expr(s).unwrap(), assume).unwrap()
    }

    fn paper() -> Assumptions {
        let mut a = Assumptions::default();
        a.add("a in (0, 1)").unwrap();
        a.add("n in 2..=1000000").unwrap();
        a
    }

    #[test]
    fn normal_forms_multiply_and_compare() {
        let a = paper();
        assert_eq!(
            mono("T^a*T^(1/(1+a))", &a),
            mono("T^((a^2 + a + 1)/(1 + a))", &a)
        );
        assert_eq!(mono("2*L^2*T^a/n^(1+a)", &a), mono("L*L*2*(T/n)^a/n", &a));
        assert_ne!(mono("T^a", &a), mono("T^(a + 1/1000)", &a));
        // non-monomial factors are kept whole and cancel against themselves
        assert_eq!(
            mono("(n - 1)/n * (1 + 1/a) / (1 + 1/a)", &a),
            mono("(n-1)/n", &a)
        );
        assert_eq!(mono("exp(a*T)*exp(T)", &a), mono("exp((1 + a)*T)", &a));
        assert_eq!(mono("4^(1/2)*x", &a).coef, Rational::from(2));
    }

    #[test]
    fn outside_the_class_is_unsupported() {
        let mut a = paper();
        a.add("x in (-1, 1)").unwrap();
        assert!(Mono::of(&parse_expr("x^a").unwrap(), &a).is_err());
        assert!(Mono::of(&parse_expr("(a - 1/2)^a").unwrap(), &a).is_err());
        assert!(Mono::of(&parse_expr("sum(i, 1, n, i)").unwrap(), &a).is_err());
        assert!(Mono::of(&parse_expr("T^sqrt(a)").unwrap(), &a).is_err());
    }
}
