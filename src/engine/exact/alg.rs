//! Exact values a little beyond the rationals, so that the exact engine does not give up on a
//! value that is rational (`sqrt(2)*sqrt(2)`), undefined (`ln(0*exp(1))`) or an integer
//! (`floor(3*sqrt(2))`) just because an intermediate value is irrational.
//!
//! An [`Alg`] is `c · Π b_i^(f_i) · exp(s)` with `c` and `s` rational and bases `b_i >= 2`
//! that are pairwise coprime and not perfect powers, with exponents `0 < f_i < 1`. In this
//! form the value is rational exactly when there are no bases and `s = 0`: a prime `p` of
//! `b_i` divides no other base, so a rational value would need `f_i v_p(b_i)` to be an
//! integer for every such `p`, which makes `b_i` a perfect power; and `exp(s)` with `s != 0`
//! is transcendental (Lindemann–Weierstrass), also after multiplication by an algebraic
//! number. Products, quotients and rational powers stay in the form; a sum stays in it when
//! its terms are rational multiples of each other (`2^(1/2) + 8^(1/2)`); anything else is
//! [`ExactError::NotRational`] (no exact value known) or, when the value is proven to exist
//! and to be irrational, [`ExactError::Irrational`].
//!
//! `floor` and `ceil` of an irrational value are integers: they are decided by rigorous
//! enclosures ([`crate::engine::real`]) at rising precision, which always ends for a proven
//! irrational value that is not absurdly close to an integer.

use super::{Budget, BudgetError, Env, ExactError, bits};
use crate::engine::real::{self, Arith, Interval, RealEnv, RealError};
use crate::expr::{BigOp, BinOp, Expr, Func};
use rug::{Integer, Rational};
use std::cmp::Ordering;
use std::fmt;

/// Largest base (bits) kept in a product of rational powers.
const MAX_BASE_BITS: u32 = 4096;
/// Most terms of a sum or product, or steps of a recurrence, iterated with [`Alg`] values.
const MAX_ALG_STEPS: u64 = 100_000;
/// Largest precision (bits) used to decide a floor, a ceiling or an order by enclosures.
pub const MAX_DECIDE_PREC: u32 = 1 << 14;

/// `coef · Π base^f · exp(exp)` in the normal form described in the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct Alg {
    coef: Rational,
    bases: Vec<(Integer, Rational)>,
    exp: Rational,
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if self.coef != 1 || (self.bases.is_empty() && self.exp == 0) {
            parts.push(paren_rational(&self.coef));
        }
        for (b, e) in &self.bases {
            parts.push(format!("{b}^({})", super::short(e)));
        }
        if self.exp != 0 {
            parts.push(format!("exp({})", super::short(&self.exp)));
        }
        f.write_str(&parts.join("*"))
    }
}

/// A rational as the expression language reads it back: `3`, `(5/17)`, `(-2)`.
pub fn paren_rational(q: &Rational) -> String {
    if super::bits(q) > super::SHORT_BITS {
        format!("({})", super::short(q))
    } else if q.is_integer() && *q >= 0 {
        q.to_string()
    } else {
        format!("({q})")
    }
}

impl Alg {
    /// The rational `q`.
    pub fn rational(q: Rational) -> Alg {
        Alg {
            coef: q,
            bases: Vec::new(),
            exp: Rational::new(),
        }
    }

    /// The value, when it is rational.
    pub fn as_rational(&self) -> Option<&Rational> {
        (self.bases.is_empty() && self.exp == 0).then_some(&self.coef)
    }

    fn is_zero(&self) -> bool {
        self.coef == 0
    }

    /// The sign of the value (bases and `exp` are positive).
    pub fn sign(&self) -> Ordering {
        self.coef.cmp0()
    }

    fn neg(mut self) -> Alg {
        self.coef = -self.coef;
        self
    }

    fn abs(mut self) -> Alg {
        self.coef = self.coef.abs();
        self
    }

    /// Pulls the integer part of every exponent into the coefficient.
    fn normalize(mut self, budget: &Budget) -> Result<Alg, ExactError> {
        if self.coef == 0 {
            return Ok(Alg::rational(Rational::new()));
        }
        let mut kept = Vec::with_capacity(self.bases.len());
        for (b, f) in std::mem::take(&mut self.bases) {
            let k = Rational::from(f.floor_ref());
            let r = Rational::from(&f - &k);
            if k != 0 {
                let p = super::pow(&Rational::from(b.clone()), &k, budget)?;
                self.coef *= p;
                budget.check_size(&self.coef)?;
            }
            if r != 0 {
                kept.push((b, r));
            }
        }
        kept.sort_by(|x, y| x.0.cmp(&y.0));
        self.bases = kept;
        Ok(self)
    }

    fn mul(&self, o: &Alg, budget: &Budget) -> Result<Alg, ExactError> {
        if self.is_zero() || o.is_zero() {
            return Ok(Alg::rational(Rational::new()));
        }
        let est = bits(&self.coef) + bits(&o.coef);
        if est > budget.max_bits {
            return Err(super::too_big(est, budget));
        }
        let mut out = Alg {
            coef: Rational::from(&self.coef * &o.coef),
            bases: self.bases.clone(),
            exp: Rational::from(&self.exp + &o.exp),
        };
        for (b, f) in &o.bases {
            insert(&mut out.bases, b.clone(), f.clone())?;
        }
        out.normalize(budget)
    }

    fn recip(&self, budget: &Budget) -> Result<Alg, ExactError> {
        if self.is_zero() {
            return Err(ExactError::Undefined("division by zero".into()));
        }
        let mut out = Alg {
            coef: Rational::from(self.coef.recip_ref()),
            bases: Vec::new(),
            exp: Rational::from(-&self.exp),
        };
        for (b, f) in &self.bases {
            insert(&mut out.bases, b.clone(), Rational::from(-f))?;
        }
        out.normalize(budget)
    }

    fn div(&self, o: &Alg, budget: &Budget) -> Result<Alg, ExactError> {
        self.mul(&o.recip(budget)?, budget)
    }

    /// `self^y` for a rational `y`, with the exact engine's conventions (`0^0 = 1`, `0^y`
    /// undefined for `y < 0`, a negative base needs an integer exponent).
    fn pow(&self, y: &Rational, budget: &Budget) -> Result<Alg, ExactError> {
        if self.is_zero() {
            return match y.cmp0() {
                Ordering::Less => Err(ExactError::Undefined(format!(
                    "0 to the negative power {}",
                    super::short(y)
                ))),
                Ordering::Equal => Ok(Alg::rational(Rational::from(1))),
                Ordering::Greater => Ok(Alg::rational(Rational::new())),
            };
        }
        if let Some(q) = self.as_rational() {
            match super::pow(q, y, budget) {
                Ok(v) => return Ok(Alg::rational(v)),
                Err(ExactError::NotRational(_)) | Err(ExactError::Irrational(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if y.is_integer() {
            let coef = super::pow(&self.coef, y, budget)?;
            let mut out = Alg::rational(coef);
            out.exp = Rational::from(&self.exp * y);
            for (b, f) in &self.bases {
                insert(&mut out.bases, b.clone(), Rational::from(f * y))?;
            }
            return out.normalize(budget);
        }
        if self.coef < 0 {
            return Err(ExactError::Undefined(format!(
                "negative base {self} with non-integer exponent {}",
                super::short(y)
            )));
        }
        let mut out = Alg::rational(Rational::from(1));
        out.exp = Rational::from(&self.exp * y);
        for (b, f) in &self.bases {
            insert(&mut out.bases, b.clone(), Rational::from(f * y))?;
        }
        insert(&mut out.bases, self.coef.numer().clone(), y.clone())?;
        insert(
            &mut out.bases,
            self.coef.denom().clone(),
            Rational::from(-y),
        )?;
        out.normalize(budget)
    }

    /// `self + o`, when the two are rational multiples of each other.
    fn add(&self, o: &Alg, budget: &Budget) -> Result<Alg, ExactError> {
        if self.is_zero() {
            return Ok(o.clone());
        }
        if o.is_zero() {
            return Ok(self.clone());
        }
        if let (Some(x), Some(y)) = (self.as_rational(), o.as_rational()) {
            let est = bits(x) + bits(y);
            if est > budget.max_bits {
                return Err(super::too_big(est, budget));
            }
            return Ok(Alg::rational(Rational::from(x + y)));
        }
        let r = self.div(o, budget)?;
        if let Some(r) = r.as_rational() {
            let k = Alg::rational(Rational::from(r + 1u32));
            return k.mul(o, budget);
        }
        if self.as_rational().is_some() || o.as_rational().is_some() {
            return Err(ExactError::Irrational(format!(
                "{self} + {o} is a rational plus an irrational number"
            )));
        }
        Err(ExactError::NotRational(format!(
            "{self} + {o} has no exact form here"
        )))
    }

    /// A rigorous enclosure at `prec` bits.
    pub fn enclose(&self, prec: u32) -> Interval {
        let ar = Arith { prec };
        let mut acc = Interval::from_rational(&self.coef, prec);
        for (b, f) in &self.bases {
            let p = ar
                .powr(
                    &Interval::from_rational(&Rational::from(b.clone()), prec),
                    &Interval::from_rational(f, prec),
                )
                .expect("a positive base");
            acc = ar.mul(&acc, &p);
        }
        if self.exp != 0 {
            acc = ar.mul(&acc, &ar.exp(&Interval::from_rational(&self.exp, prec)));
        }
        acc
    }

    /// The exact order of two values: by their quotient when it is rational, else by
    /// enclosures at rising precision (`None` when they stay inseparable).
    fn cmp(&self, o: &Alg, budget: &Budget) -> Result<Option<Ordering>, ExactError> {
        let (s, t) = (self.sign(), o.sign());
        if s != t || s == Ordering::Equal {
            return Ok(Some(s.cmp(&t)));
        }
        let r = self.div(o, budget)?;
        if let Some(r) = r.as_rational() {
            let ord = r.cmp(&Rational::from(1));
            return Ok(Some(if s == Ordering::Less {
                ord.reverse()
            } else {
                ord
            }));
        }
        let mut prec = 64;
        while prec <= MAX_DECIDE_PREC {
            budget.tick()?;
            if let Some(ord) = self.enclose(prec).certain_cmp(&o.enclose(prec)) {
                return Ok(Some(ord));
            }
            prec *= 2;
        }
        Ok(None)
    }
}

/// `b = r^m` with `m` as large as possible.
fn perfect_power(b: &Integer) -> (Integer, u32) {
    let mut r = b.clone();
    let mut m = 1u32;
    'outer: while r > 1 && r.is_perfect_power() {
        let top = r.significant_bits();
        let mut p = 2u32;
        while p <= top {
            if Integer::from(p).is_probably_prime(20) != rug::integer::IsPrime::No {
                let root = r.clone().root(p);
                if Integer::from(rug::ops::Pow::pow(&root, p)) == r {
                    r = root;
                    m *= p;
                    continue 'outer;
                }
            }
            p += 1;
        }
        break;
    }
    (r, m)
}

/// Multiplies a coprime base `bases` by `b^f` (b >= 1), refining it so that the bases stay
/// pairwise coprime and free of perfect powers.
fn insert(bases: &mut Vec<(Integer, Rational)>, b: Integer, f: Rational) -> Result<(), ExactError> {
    let mut work = vec![(b, f)];
    while let Some((b, f)) = work.pop() {
        if b <= 1 || f == 0 {
            continue;
        }
        if b.significant_bits() > MAX_BASE_BITS {
            return Err(ExactError::NotRational(format!(
                "a power of a {}-bit integer is beyond exact algebra (limit {MAX_BASE_BITS} bits)",
                b.significant_bits()
            )));
        }
        let (b, f) = match perfect_power(&b) {
            (r, 1) => (r, f),
            (r, m) => (r, f * m),
        };
        let mut placed = false;
        for i in 0..bases.len() {
            if bases[i].0 == b {
                bases[i].1 += &f;
                placed = true;
                break;
            }
            let d = Integer::from(b.gcd_ref(&bases[i].0));
            if d != 1 {
                let (c, g) = bases.swap_remove(i);
                work.push((Integer::from(&c / &d), g.clone()));
                work.push((Integer::from(&b / &d), f.clone()));
                work.push((d, g + &f));
                placed = true;
                break;
            }
        }
        if !placed {
            bases.push((b, f));
        }
    }
    bases.retain(|(_, f)| *f != 0);
    Ok(())
}

/// Bindings of [`Alg`] values (later ones shadow earlier ones).
type AlgEnv = Vec<(String, Alg)>;

fn lookup<'a>(env: &'a AlgEnv, n: &str) -> Option<&'a Alg> {
    env.iter().rev().find(|(k, _)| k == n).map(|(_, v)| v)
}

fn alg_env(env: &Env) -> AlgEnv {
    env.vars
        .iter()
        .map(|(n, v)| (n.clone(), Alg::rational(v.clone())))
        .collect()
}

/// `exp(c·ln(u)) = u^c` for a rational `c` and a positive `u` (the real power of a positive
/// base, as the engines define it): `exp` of `ln(u)`, `c*ln(u)`, `ln(u)*c`, `ln(u)/c` and
/// their negations. `None` when the argument has another form or a part has no value (the
/// caller then evaluates as usual, and reports the same failure).
fn exp_of_log(arg: &Expr, env: &mut AlgEnv, budget: &Budget) -> Option<Alg> {
    let (neg, inner) = match arg {
        Expr::Neg(a) => (true, &**a),
        a => (false, a),
    };
    let ln_of = |e: &Expr| match e {
        Expr::Call(Func::Ln, a) => Some(a[0].clone()),
        _ => None,
    };
    let rational = |e: &Expr, env: &mut AlgEnv| -> Option<Rational> {
        eval_in(e, env, budget).ok()?.as_rational().cloned()
    };
    let (coef, u) = match inner {
        Expr::Bin(BinOp::Mul, c, l) if ln_of(l).is_some() => (rational(c, env)?, ln_of(l)?),
        Expr::Bin(BinOp::Mul, l, c) if ln_of(l).is_some() => (rational(c, env)?, ln_of(l)?),
        Expr::Bin(BinOp::Div, l, c) if ln_of(l).is_some() => {
            let c = rational(c, env)?;
            if c == 0 {
                return None;
            }
            (c.recip(), ln_of(l)?)
        }
        l => (Rational::from(1), ln_of(l)?),
    };
    let coef = if neg { -coef } else { coef };
    let u = eval_in(&u, env, budget).ok()?;
    if u.sign() != Ordering::Greater {
        return None;
    }
    u.pow(&coef, budget).ok()
}

/// The exact order of two expressions whose values are in the extended form (`None` when
/// either has no such value, or the order is not decided within the budget).
pub fn compare(a: &Expr, b: &Expr, env: &Env, budget: &Budget) -> Option<Ordering> {
    let x = eval(a, env, budget).ok()?;
    let y = eval(b, env, budget).ok()?;
    x.cmp(&y, budget).ok().flatten()
}

/// The exact value of `e` in the extended form.
pub fn eval(e: &Expr, env: &Env, budget: &Budget) -> Result<Alg, ExactError> {
    let mut aenv = alg_env(env);
    eval_in(e, &mut aenv, budget)
}

/// Which of two failures a combination reports: undefinedness wins, since the whole is
/// undefined wherever a part is; otherwise the first.
fn worse(a: ExactError, b: ExactError) -> ExactError {
    let rank = |e: &ExactError| match e {
        ExactError::Undefined(_) | ExactError::NotInteger(_) => 0,
        ExactError::Unbound(_) => 1,
        ExactError::Budget(_) => 2,
        ExactError::NotRational(_) | ExactError::Irrational(_) => 3,
    };
    if rank(&b) < rank(&a) { b } else { a }
}

/// An operand: a value, a value proven to exist and be irrational, or a failure.
fn unknown(e: ExactError) -> ExactError {
    match e {
        ExactError::Irrational(m) => ExactError::NotRational(m),
        other => other,
    }
}

fn eval_in(e: &Expr, env: &mut AlgEnv, budget: &Budget) -> Result<Alg, ExactError> {
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || eval_node(e, env, budget))
}

fn eval_node(e: &Expr, env: &mut AlgEnv, budget: &Budget) -> Result<Alg, ExactError> {
    match e {
        Expr::Num(v) => Ok(Alg::rational(v.clone())),
        Expr::Var(n) => lookup(env, n)
            .cloned()
            .ok_or_else(|| ExactError::Unbound(n.clone())),
        Expr::Neg(a) => Ok(eval_in(a, env, budget)?.neg()),
        Expr::Bin(op, a, b) => {
            let x = eval_in(a, env, budget);
            let y = eval_in(b, env, budget);
            binop(*op, x, y, budget)
        }
        Expr::Call(f, args) => call(*f, args, env, budget),
        Expr::Big {
            op,
            var,
            lo,
            hi,
            body,
        } => big(e, *op, var, lo, hi, body, env, budget),
        Expr::Rec {
            x,
            t,
            start,
            end,
            init,
            step,
        } => rec(e, x, t, [start, end, init, step], env, budget),
    }
}

fn binop(
    op: BinOp,
    x: Result<Alg, ExactError>,
    y: Result<Alg, ExactError>,
    budget: &Budget,
) -> Result<Alg, ExactError> {
    let nonzero_rational = |v: &Alg| v.as_rational().is_some_and(|q| *q != 0);
    match (op, x, y) {
        (BinOp::Div, _, Ok(y)) if y.is_zero() => {
            Err(ExactError::Undefined("division by zero".into()))
        }
        (BinOp::Add | BinOp::Sub, Ok(x), Ok(y)) => {
            let y = if op == BinOp::Sub { y.neg() } else { y };
            x.add(&y, budget)
        }
        (BinOp::Mul, Ok(x), Ok(y)) => x.mul(&y, budget),
        (BinOp::Div, Ok(x), Ok(y)) => x.div(&y, budget),
        (BinOp::Pow, Ok(x), Ok(y)) => match y.as_rational() {
            Some(q) => x.pow(q, budget),
            None => Err(ExactError::NotRational(format!(
                "the exponent {y} is irrational"
            ))),
        },
        // a zero factor makes the product 0 only where the other factor has a value
        (BinOp::Mul, Ok(z), Err(ExactError::Irrational(_)))
        | (BinOp::Mul, Err(ExactError::Irrational(_)), Ok(z))
        | (BinOp::Div, Ok(z), Err(ExactError::Irrational(_)))
            if z.is_zero() =>
        {
            Ok(z)
        }
        (BinOp::Pow, Err(ExactError::Irrational(_)), Ok(z)) if z.is_zero() => {
            Ok(Alg::rational(Rational::from(1)))
        }
        (BinOp::Add | BinOp::Sub, Ok(q), Err(ExactError::Irrational(m)))
        | (BinOp::Add | BinOp::Sub, Err(ExactError::Irrational(m)), Ok(q))
            if q.as_rational().is_some() =>
        {
            Err(ExactError::Irrational(m))
        }
        (BinOp::Mul | BinOp::Div, Ok(q), Err(ExactError::Irrational(m)))
        | (BinOp::Mul | BinOp::Div, Err(ExactError::Irrational(m)), Ok(q))
            if nonzero_rational(&q) =>
        {
            Err(ExactError::Irrational(m))
        }
        (_, Err(a), Err(b)) => Err(unknown(worse(a, b))),
        (_, Err(a), Ok(_)) | (_, Ok(_), Err(a)) => Err(unknown(a)),
    }
}

fn call(f: Func, args: &[Expr], env: &mut AlgEnv, budget: &Budget) -> Result<Alg, ExactError> {
    if f == Func::Exp
        && let Some(v) = exp_of_log(&args[0], env, budget)
    {
        return Ok(v);
    }
    if matches!(f, Func::Floor | Func::Ceil) {
        let n = round_in(&args[0], f == Func::Ceil, env, budget)?;
        return Ok(Alg::rational(Rational::from(n)));
    }
    let mut vals = Vec::with_capacity(args.len());
    let mut err: Option<ExactError> = None;
    for a in args {
        match eval_in(a, env, budget) {
            Ok(v) => vals.push(v),
            Err(e) => err = Some(err.map_or(e.clone(), |p| worse(p, e))),
        }
    }
    if let Some(e) = err {
        // |x| of a proven irrational is irrational; nothing else follows from one
        if f == Func::Abs {
            return Err(e);
        }
        if f == Func::Exp && matches!(e, ExactError::Irrational(_)) {
            return Err(ExactError::NotRational(format!(
                "exp of a value with no exact form ({e})"
            )));
        }
        return Err(unknown(e));
    }
    if let Func::Opaque(id) = f {
        let mut qs = Vec::with_capacity(vals.len());
        for v in &vals {
            qs.push(v.as_rational().cloned().ok_or_else(|| {
                ExactError::NotRational(format!("an argument of `{}` is irrational", f.name()))
            })?);
        }
        return super::opaque_value(id, &qs).map(Alg::rational);
    }
    let x = vals[0].clone();
    match f {
        Func::Exp => match x.as_rational() {
            Some(q) => {
                let mut v = Alg::rational(Rational::from(1));
                v.exp = q.clone();
                Ok(v)
            }
            // Lindemann–Weierstrass: exp of a non-zero algebraic number is transcendental
            None if x.exp == 0 => Err(ExactError::Irrational(format!(
                "exp({x}) is transcendental"
            ))),
            None => Err(ExactError::NotRational(format!(
                "exp({x}) has no exact form"
            ))),
        },
        Func::Ln => {
            if x.sign() != Ordering::Greater {
                return Err(ExactError::Undefined(format!("ln of the non-positive {x}")));
            }
            if x.coef == 1 && x.bases.is_empty() {
                return Ok(Alg::rational(x.exp.clone()));
            }
            if x.exp == 0 {
                // ln of a positive algebraic number other than 1 is transcendental
                return Err(ExactError::Irrational(format!("ln({x}) is transcendental")));
            }
            Err(ExactError::NotRational(format!(
                "ln({x}) has no exact form"
            )))
        }
        Func::Sqrt => {
            if x.sign() == Ordering::Less {
                return Err(ExactError::Undefined(format!("sqrt of the negative {x}")));
            }
            x.pow(&Rational::from((1, 2)), budget)
        }
        Func::Abs => Ok(x.abs()),
        Func::Min | Func::Max => {
            let mut best = x;
            for v in vals.into_iter().skip(1) {
                let ord = best.cmp(&v, budget)?.ok_or_else(|| {
                    ExactError::NotRational(format!(
                        "{best} and {v} could not be ordered at {MAX_DECIDE_PREC} bits"
                    ))
                })?;
                let take = if f == Func::Min {
                    ord == Ordering::Greater
                } else {
                    ord == Ordering::Less
                };
                if take {
                    best = v;
                }
            }
            Ok(best)
        }
        Func::Floor | Func::Ceil | Func::Opaque(_) => unreachable!("handled above"),
    }
}

/// `floor(e)` (or `ceil(e)`) as an exact integer.
fn round_in(
    e: &Expr,
    ceil: bool,
    env: &mut AlgEnv,
    budget: &Budget,
) -> Result<Integer, ExactError> {
    match eval_in(e, env, budget) {
        Ok(v) => round_value(&v, ceil, budget),
        Err(err @ (ExactError::Undefined(_) | ExactError::NotInteger(_)))
        | Err(err @ (ExactError::Unbound(_) | ExactError::Budget(_))) => Err(err),
        Err(ExactError::NotRational(_)) | Err(ExactError::Irrational(_)) => {
            round_by_intervals(e, ceil, env, budget)
        }
    }
}

/// The integer `floor`/`ceil` of every value of the interval, if they agree; a budget error
/// for values beyond the interval engine's magnitude range.
fn round_enclosure(iv: &Interval, ceil: bool) -> Result<Option<Integer>, ExactError> {
    if real::at_magnitude_limit(iv.lo()) || real::at_magnitude_limit(iv.hi()) {
        return Err(ExactError::Budget(BudgetError::Range(format!(
            "the floor or ceiling of a value beyond 2^{} in magnitude",
            real::MAX_EXP
        ))));
    }
    let (a, b) = if ceil {
        (iv.lo().clone().ceil(), iv.hi().clone().ceil())
    } else {
        (iv.lo().clone().floor(), iv.hi().clone().floor())
    };
    Ok(if a == b { a.to_integer() } else { None })
}

/// `floor`/`ceil` of an [`Alg`] value from its enclosure, using also its exact sign: a
/// positive value whose enclosure underflowed to `[0, tiny]` has floor 0 and ceiling 1.
fn round_alg(v: &Alg, prec: u32, ceil: bool) -> Result<Option<Integer>, ExactError> {
    let iv = v.enclose(prec);
    if let Some(n) = round_enclosure(&iv, ceil)? {
        return Ok(Some(n));
    }
    let one = |s: i32| Ok(Some(Integer::from(s)));
    match v.sign() {
        Ordering::Greater if *iv.lo() >= 0 && *iv.hi() < 1 => one(if ceil { 1 } else { 0 }),
        Ordering::Less if *iv.hi() <= 0 && *iv.lo() > -1 => one(if ceil { 0 } else { -1 }),
        _ => Ok(None),
    }
}

/// `floor(e)` from interval enclosures of `e` at rising precision.
fn round_by_intervals(
    e: &Expr,
    ceil: bool,
    env: &AlgEnv,
    budget: &Budget,
) -> Result<Integer, ExactError> {
    let name = if ceil { "ceil" } else { "floor" };
    let mut prec = 64;
    let mut last = String::new();
    while prec <= MAX_DECIDE_PREC {
        budget.tick()?;
        let mut renv = RealEnv::new();
        for (n, v) in env {
            match v.as_rational() {
                Some(q) => renv.push_exact(n, q, prec),
                None => renv.push(n, v.enclose(prec)),
            }
        }
        match real::eval(e, &mut renv, Arith { prec }, budget) {
            Ok(iv) => {
                if let Some(n) = round_enclosure(&iv, ceil)? {
                    return Ok(n);
                }
                last = format!(
                    "the argument's enclosure [{}] contains an integer",
                    real::decimal_ends(&iv, 6).0
                );
            }
            Err(RealError::Undefined(m)) => return Err(ExactError::Undefined(m)),
            Err(RealError::Unbound(n)) => return Err(ExactError::Unbound(n)),
            Err(RealError::Budget(m)) => return Err(ExactError::Budget(m)),
            Err(RealError::MaybeUndefined(m)) => last = m,
        }
        prec *= 2;
    }
    Err(ExactError::NotRational(format!(
        "{name}({e}) could not be decided at {MAX_DECIDE_PREC} bits ({last}); the argument may be exactly an integer that the exact engine cannot recognise"
    )))
}

fn bound_int(
    e: &Expr,
    what: &str,
    env: &mut AlgEnv,
    budget: &Budget,
) -> Result<Integer, ExactError> {
    match eval_in(e, env, budget) {
        Ok(v) => match v.as_rational() {
            Some(q) if q.is_integer() => Ok(q.numer().clone()),
            Some(q) => Err(ExactError::NotInteger(format!(
                "{what} is {}",
                super::short(q)
            ))),
            None => Err(ExactError::NotInteger(format!(
                "{what} is irrational ({v})"
            ))),
        },
        Err(ExactError::Irrational(m)) => Err(ExactError::NotInteger(format!(
            "{what} is irrational ({m})"
        ))),
        Err(e) => Err(e),
    }
}

/// The names of `env` that `e` uses, all bound to rationals: the exact environment for the
/// rational engine's fast paths (binary splitting), if there is one.
fn rational_env(e: &Expr, env: &AlgEnv) -> Option<Env> {
    let mut out = Env::new();
    for n in e.free_vars() {
        let v = lookup(env, &n)?;
        out.push(&n, v.as_rational()?.clone());
    }
    Some(out)
}

#[allow(clippy::too_many_arguments)]
fn big(
    node: &Expr,
    op: BigOp,
    var: &str,
    lo: &Expr,
    hi: &Expr,
    body: &Expr,
    env: &mut AlgEnv,
    budget: &Budget,
) -> Result<Alg, ExactError> {
    if let Some(mut renv) = rational_env(node, env) {
        match super::eval_q(node, &mut renv, budget) {
            Ok(v) => return Ok(Alg::rational(v)),
            Err(ExactError::NotRational(_)) | Err(ExactError::Irrational(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let name = if op == BigOp::Sum { "sum" } else { "prod" };
    let lo = bound_int(lo, &format!("the lower bound of {name}"), env, budget)?;
    let hi = bound_int(hi, &format!("the upper bound of {name}"), env, budget)?;
    let acc = Alg::rational(Rational::from(if op == BigOp::Sum { 0 } else { 1 }));
    if hi < lo {
        return Ok(acc);
    }
    let mut acc = Ok(acc);
    let count = Integer::from(&hi - &lo) + 1u32;
    if count > MAX_ALG_STEPS {
        return Err(ExactError::NotRational(format!(
            "{name} of {count} irrational terms (exact algebra iterates at most {MAX_ALG_STEPS})"
        )));
    }
    let mut i = lo;
    let mut k = 0u64;
    while i <= hi {
        if k.is_multiple_of(256) {
            budget.tick()?;
        }
        env.push((var.to_string(), Alg::rational(Rational::from(i.clone()))));
        let v = eval_in(body, env, budget);
        env.pop();
        // a term without a value so far does not end the loop: a later term may be
        // undefined, and then so is the whole
        acc = match op {
            BigOp::Sum => binop(BinOp::Add, acc, v, budget),
            BigOp::Prod => binop(BinOp::Mul, acc, v, budget),
        };
        if matches!(
            acc,
            Err(ExactError::Undefined(_)
                | ExactError::NotInteger(_)
                | ExactError::Budget(_)
                | ExactError::Unbound(_))
        ) {
            return acc;
        }
        i += 1;
        k += 1;
    }
    acc
}

fn rec(
    node: &Expr,
    x: &str,
    t: &str,
    [start, end, init, step]: [&Expr; 4],
    env: &mut AlgEnv,
    budget: &Budget,
) -> Result<Alg, ExactError> {
    if let Some(mut renv) = rational_env(node, env) {
        match super::eval_q(node, &mut renv, budget) {
            Ok(v) => return Ok(Alg::rational(v)),
            Err(ExactError::NotRational(_)) | Err(ExactError::Irrational(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let s = bound_int(start, "the start of rec", env, budget)?;
    let en = bound_int(end, "the end of rec", env, budget)?;
    let mut cur = eval_in(init, env, budget).map_err(unknown)?;
    if en < s {
        return Err(ExactError::Undefined(format!(
            "rec runs from {s} to the earlier {en}"
        )));
    }
    let steps = Integer::from(&en - &s);
    if steps > MAX_ALG_STEPS {
        return Err(ExactError::NotRational(format!(
            "rec of {steps} steps with irrational values (exact algebra iterates at most {MAX_ALG_STEPS})"
        )));
    }
    let mut ti = s;
    let mut k = 0u64;
    while ti < en {
        if k.is_multiple_of(256) {
            budget.tick()?;
        }
        env.push((t.to_string(), Alg::rational(Rational::from(ti.clone()))));
        env.push((x.to_string(), cur));
        let v = eval_in(step, env, budget);
        env.pop();
        env.pop();
        cur = v.map_err(unknown)?;
        ti += 1;
        k += 1;
    }
    Ok(cur)
}

/// `floor(e)` or `ceil(e)` at exact parameter values when `e` itself has no rational value.
pub fn round(e: &Expr, ceil: bool, env: &Env, budget: &Budget) -> Result<Integer, ExactError> {
    let mut aenv = alg_env(env);
    round_in(e, ceil, &mut aenv, budget)
}

/// `floor(e)` or `ceil(e)` when exact algebra knows the value of `e` (rational, or one of
/// its irrational forms, separated from the integers by enclosures); `None` otherwise. The
/// interval engine asks this when an enclosure straddles an integer, and raises its own
/// precision when the answer is `None`.
pub fn round_algebraic(e: &Expr, ceil: bool, env: &Env, budget: &Budget) -> Option<Integer> {
    round_value(&eval(e, env, budget).ok()?, ceil, budget).ok()
}

/// `floor`/`ceil` of a value of exact algebra: exactly when rational, else by enclosures at
/// rising precision (which separate a proven irrational from every integer eventually).
fn round_value(v: &Alg, ceil: bool, budget: &Budget) -> Result<Integer, ExactError> {
    if let Some(q) = v.as_rational() {
        return Ok(if ceil {
            Integer::from(q.ceil_ref())
        } else {
            Integer::from(q.floor_ref())
        });
    }
    let mut prec = 64;
    while prec <= MAX_DECIDE_PREC {
        budget.tick()?;
        if let Some(n) = round_alg(v, prec, ceil)? {
            return Ok(n);
        }
        prec *= 2;
    }
    Err(ExactError::NotRational(format!(
        "{}({v}): the value is within 2^-{MAX_DECIDE_PREC} of an integer",
        if ceil { "ceil" } else { "floor" }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse_expr;

    fn alg(s: &str) -> Result<Alg, ExactError> {
        eval(&parse_expr(s).unwrap(), &Env::new(), &Budget::default())
    }

    fn q(s: &str) -> Rational {
        s.parse().unwrap()
    }

    #[test]
    fn products_of_roots_that_are_rational() {
        for (s, v) in [
            ("sqrt(2)*sqrt(2)", "2"),
            ("sqrt(2)^2", "2"),
            ("(2^(1/3))^3", "2"),
            ("sqrt(8)/sqrt(2)", "2"),
            ("4^(1/2)", "2"),
            ("sqrt(6)/(sqrt(2)*sqrt(3))", "1"),
            ("exp(1)*exp(-1)", "1"),
            ("ln(exp(3/2))", "3/2"),
            ("sqrt(2) + sqrt(8) - 3*sqrt(2)", "0"),
            ("(1/2)^(1/2)*2^(1/2)", "1"),
            ("0*exp(1)", "0"),
            ("12^(1/2)*3^(1/2)", "6"),
        ] {
            let a = alg(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(a.as_rational(), Some(&q(v)), "{s} = {a}");
        }
    }

    #[test]
    fn irrational_values_are_recognised() {
        for s in [
            "sqrt(2)",
            "3*sqrt(2)",
            "exp(1)",
            "2^(1/2)*3^(1/2)",
            "8^(1/6)*2",
        ] {
            let a = alg(s).unwrap();
            assert!(a.as_rational().is_none(), "{s} = {a}");
        }
        assert!(matches!(alg("ln(2)"), Err(ExactError::Irrational(_))));
        assert!(matches!(alg("1 + ln(2)"), Err(ExactError::Irrational(_))));
        assert!(matches!(
            alg("sqrt(2) + sqrt(3)"),
            Err(ExactError::NotRational(_))
        ));
    }

    #[test]
    fn undefined_values_stay_undefined() {
        for s in [
            "ln(0*exp(1))",
            "1/(sqrt(2)^2 - 2)",
            "(-sqrt(2))^(1/2)",
            "0*(1/(sqrt(2) - sqrt(2)))",
            "ln(ln(2))*0 + ln(0*sqrt(3))",
        ] {
            assert!(
                matches!(alg(s), Err(ExactError::Undefined(_))),
                "{s}: {:?}",
                alg(s)
            );
        }
        // a zero times a value of unknown definedness is not 0
        assert!(alg("0*ln(sqrt(2) + sqrt(3) - 3)").is_err());
    }

    #[test]
    fn floors_of_irrational_values() {
        let b = Budget::default();
        let r = |s: &str| round(&parse_expr(s).unwrap(), false, &Env::new(), &b);
        assert_eq!(r("3*sqrt(2)").unwrap(), 4);
        assert_eq!(r("sqrt(2)^2").unwrap(), 2);
        assert_eq!(r("sqrt(10^20 + 1)").unwrap(), Integer::from(10u64.pow(10)));
        assert_eq!(
            r("exp(1)*10^30").unwrap(),
            "2718281828459045235360287471352"
                .parse::<Integer>()
                .unwrap()
        );
        assert_eq!(r("ln(2)*1000").unwrap(), 693);
        assert_eq!(r("sqrt(2) + sqrt(3)").unwrap(), 3);
        assert!(matches!(r("ln(0)"), Err(ExactError::Undefined(_))));
        // (1+sqrt 2)(sqrt 2 - 1) = 1 exactly, which this algebra cannot see: undecided, said so
        let e = r("(1 + sqrt(2))*(sqrt(2) - 1)").unwrap_err();
        assert!(e.to_string().contains("may be exactly an integer"), "{e}");
    }
}
