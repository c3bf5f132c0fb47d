//! The Rust mirror of the Coq library's expression type `E` (`Stabcert.v`): reification of
//! an [`Expr`] with names resolved to de Bruijn indices, printing as Coq syntax, and the
//! computations the scripts ask Coq to repeat — `evalQ` ([`Term::qeval`]), `evalB`
//! ([`Term::beval`], over unreduced machine-word rationals, to charge what a whole-grid
//! theorem costs) and `foldE` ([`Term::fold`]) — re-implemented rule for rule, so that a
//! generated `vm_compute` goal is the value Coq will compute (a mismatch is a bug that coqc
//! reports, never a wrong proof).

use crate::expr::{BigOp, BinOp, Expr, Func, Rel};
use rug::ops::Pow;
use rug::{Float, Integer, Rational};

/// A node of Coq's `E`.
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    /// `Cst q`
    Cst(Rational),
    /// `Var i` (0 is the innermost binding)
    Var(usize),
    /// `Neg a`
    Neg(Box<Term>),
    /// `Add a b` and the other binary nodes
    Bin(Op2, Box<Term>, Box<Term>),
    /// `PowZ a z`: integer literal exponent
    PowZ(Box<Term>, Integer),
    /// `Exp a` and the other unary functions
    Un(Op1, Box<Term>),
    /// `Sum lo hi body` / `Prod lo hi body` (the index is `Var 0` in body)
    Big(BigOp, Box<Term>, Box<Term>, Box<Term>),
    /// `Rec start end init step` (t is `Var 0`, x is `Var 1` in step)
    Rec(Box<Term>, Box<Term>, Box<Term>, Box<Term>),
    /// `Let value body` (the value is `Var 0` in body)
    Let(Box<Term>, Box<Term>),
}

/// Binary nodes of `E`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op2 {
    /// `Add`
    Add,
    /// `Sub`
    Sub,
    /// `Mul`
    Mul,
    /// `Div`
    Div,
    /// `Pow` (real exponent)
    Pow,
    /// `Min`
    Min,
    /// `Max`
    Max,
}

/// Unary function nodes of `E`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op1 {
    /// `Exp`
    Exp,
    /// `Ln`
    Ln,
    /// `Sqrt`
    Sqrt,
    /// `Abs`
    Abs,
    /// `Floor`
    Floor,
    /// `Ceil`
    Ceil,
}

/// Why a computation was abandoned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooLarge(pub String);

/// Work counter of Coq's evaluators ([`Term::qeval`], [`Term::beval`]): an estimate of what
/// `vm_compute` spends, charged per intermediate result by the number type's cost model.
#[derive(Clone, Debug)]
pub struct Work {
    /// accumulated work estimate
    pub bits: u64,
    /// the limit; beyond it evaluation stops with [`TooLarge`]
    pub limit: u64,
}

impl Work {
    /// A counter with this limit.
    pub fn new(limit: u64) -> Work {
        Work { bits: 0, limit }
    }

    /// Adds `units`; past the limit, [`TooLarge`].
    pub(crate) fn charge(&mut self, units: u64) -> Result<(), TooLarge> {
        self.bits = self.bits.saturating_add(units);
        if self.bits > self.limit {
            return Err(TooLarge(format!(
                "the exact evaluation needs more than {} units of work",
                self.limit
            )));
        }
        Ok(())
    }
}

/// The numbers of one of Coq's rational evaluators, as far as values and cost go: `Q` with a
/// reduction after every operation (`evalQ`, [`Rational`]) or Bignums' `bigQ` without one
/// (`evalB`, [`BigQv`]). [`Term`]'s evaluation is written once over this trait, so that both
/// mirrors follow the same rules as the two Coq functions, which are also written alike.
pub trait CoqNum: Clone {
    /// a literal `Cst q`
    fn lit(q: &Rational) -> Self;
    /// an integer index bound by a sum, product, recurrence or grid
    fn int(z: Integer) -> Self;
    /// the exact value
    fn value(&self) -> Rational;
    /// `x + y`, `x - y`, `x * y`
    fn arith(&self, op: Op2, y: &Self) -> Self;
    /// `x / y` for `y` non-zero
    fn div(&self, y: &Self) -> Self;
    /// `-x`
    fn neg(&self) -> Self;
    /// `|x|`
    fn abs(&self) -> Self;
    /// `x ^ n` for n >= 1 (charged as Coq computes it)
    fn pow(&self, n: u32, w: &mut Work) -> Result<Self, TooLarge>;
    /// `1 / x` for `x` non-zero
    fn recip(&self) -> Self;
    /// what `vm_compute` spends producing this value, in [`Work`] units
    fn cost(&self) -> u64;
}

impl CoqNum for Rational {
    fn lit(q: &Rational) -> Self {
        q.clone()
    }
    fn int(z: Integer) -> Self {
        Rational::from(z)
    }
    fn value(&self) -> Rational {
        self.clone()
    }
    fn arith(&self, op: Op2, y: &Self) -> Self {
        match op {
            Op2::Add => Rational::from(self + y),
            Op2::Sub => Rational::from(self - y),
            _ => Rational::from(self * y),
        }
    }
    fn div(&self, y: &Self) -> Self {
        Rational::from(self / y)
    }
    fn neg(&self) -> Self {
        Rational::from(-self)
    }
    fn abs(&self) -> Self {
        self.clone().abs()
    }
    fn pow(&self, n: u32, w: &mut Work) -> Result<Self, TooLarge> {
        // Coq's `qpow` multiplies n times: charge every step
        let mut p = Rational::from(1);
        for _ in 0..n {
            p *= self;
            w.charge(p.cost())?;
        }
        Ok(p)
    }
    fn recip(&self) -> Self {
        self.clone().recip()
    }
    fn cost(&self) -> u64 {
        let b =
            u64::from(self.numer().significant_bits()) + u64::from(self.denom().significant_bits());
        // Coq's binary integers: the cost of an operation grows with the square of the size
        64 + b * b / 4
    }
}

/// A `bigQ` as `evalB` leaves it: numerator and (positive) denominator, not reduced; the
/// sizes are those of Bignums' representation, which is what the cost depends on.
#[derive(Clone, Debug)]
pub struct BigQv {
    n: Integer,
    d: Integer,
}

/// Machine words (63 bits each, as Coq's primitive integers) of an integer.
fn words(z: &Integer) -> u64 {
    u64::from(z.significant_bits()).div_ceil(63).max(1)
}

impl BigQv {
    fn reduced(&self) -> BigQv {
        let v = self.value();
        let (n, d) = v.into_numer_denom();
        BigQv { n, d }
    }
}

impl CoqNum for BigQv {
    fn lit(q: &Rational) -> Self {
        BigQv {
            n: q.numer().clone(),
            d: q.denom().clone(),
        }
    }
    fn int(z: Integer) -> Self {
        BigQv {
            n: z,
            d: Integer::from(1),
        }
    }
    fn value(&self) -> Rational {
        Rational::from((self.n.clone(), self.d.clone()))
    }
    fn arith(&self, op: Op2, y: &Self) -> Self {
        // BigQ.add / BigQ.mul: cross products, no gcd (an integer operand is not scaled)
        let scaled = |a: &Integer, d: &Integer| -> Integer {
            if *d == 1 {
                a.clone()
            } else {
                Integer::from(a * d)
            }
        };
        match op {
            Op2::Add | Op2::Sub => {
                let a = scaled(&self.n, &y.d);
                let b = scaled(&y.n, &self.d);
                let n = if op == Op2::Add { a + b } else { a - b };
                BigQv {
                    n,
                    d: Integer::from(&self.d * &y.d),
                }
            }
            _ => BigQv {
                n: Integer::from(&self.n * &y.n),
                d: Integer::from(&self.d * &y.d),
            },
        }
    }
    fn div(&self, y: &Self) -> Self {
        self.arith(Op2::Mul, &y.recip())
    }
    fn neg(&self) -> Self {
        BigQv {
            n: Integer::from(-&self.n),
            d: self.d.clone(),
        }
    }
    fn abs(&self) -> Self {
        BigQv {
            n: self.n.clone().abs(),
            d: self.d.clone(),
        }
    }
    fn pow(&self, n: u32, w: &mut Work) -> Result<Self, TooLarge> {
        // `bpow` reduces the base, then BigQ.power_pos squares and multiplies: about
        // log2 n steps whose sizes double, the last one dominating
        let r = self.reduced();
        let p = BigQv {
            n: r.n.pow(n),
            d: r.d.pow(n),
        };
        w.charge(2 * p.cost() + 64 * u64::from(32 - n.leading_zeros()))?;
        Ok(p)
    }
    fn recip(&self) -> Self {
        // BigQ.inv: the sign moves to the numerator
        let (n, d) = if self.n < 0 {
            (Integer::from(-&self.d), Integer::from(-&self.n))
        } else {
            (self.d.clone(), self.n.clone())
        };
        BigQv { n, d }
    }
    fn cost(&self) -> u64 {
        // machine-word arithmetic: a fixed cost per operation (the evaluator's matches and
        // allocations) and the square of the words for the multiplications behind it
        let l = words(&self.n) + words(&self.d);
        BIGQ_OP + l * l
    }
}

/// [`BigQv::cost`]'s fixed part, in [`Work`] units per operation (calibrated in BENCHMARKS.md).
pub const BIGQ_OP: u64 = 16;

/// Reifies `e` with `scope` (outermost first) naming the variables. Fails on names that are
/// not in scope (never happens for validated claims) and on exponents too large for Coq.
pub fn reify(e: &Expr, scope: &mut Vec<String>) -> Result<Term, String> {
    let b = |t: Term| Box::new(t);
    Ok(match e {
        Expr::Num(v) => Term::Cst(v.clone()),
        Expr::Var(n) => {
            let i = scope
                .iter()
                .rev()
                .position(|s| s == n)
                .ok_or_else(|| format!("`{n}` is not bound"))?;
            Term::Var(i)
        }
        Expr::Neg(a) => Term::Neg(b(reify(a, scope)?)),
        Expr::Bin(BinOp::Pow, a, y) => {
            let base = reify(a, scope)?;
            let lit = match &**y {
                Expr::Num(v) if v.is_integer() => Some(v.numer().clone()),
                Expr::Neg(inner) => match &**inner {
                    Expr::Num(v) if v.is_integer() => Some(-v.numer().clone()),
                    _ => None,
                },
                _ => None,
            };
            match lit {
                Some(z) => {
                    if z.clone().abs() > 100_000 {
                        return Err(format!("the exponent {z} is too large for Coq"));
                    }
                    Term::PowZ(b(base), z)
                }
                None => Term::Bin(Op2::Pow, b(base), b(reify(y, scope)?)),
            }
        }
        Expr::Bin(op, a, c) => {
            let o = match op {
                BinOp::Add => Op2::Add,
                BinOp::Sub => Op2::Sub,
                BinOp::Mul => Op2::Mul,
                BinOp::Div => Op2::Div,
                BinOp::Pow => unreachable!("handled above"),
            };
            Term::Bin(o, b(reify(a, scope)?), b(reify(c, scope)?))
        }
        Expr::Call(f, args) => {
            let mut ts = Vec::with_capacity(args.len());
            for a in args {
                ts.push(reify(a, scope)?);
            }
            let un = |o: Op1, mut ts: Vec<Term>| Term::Un(o, b(ts.remove(0)));
            match f {
                Func::Exp => un(Op1::Exp, ts),
                Func::Ln => un(Op1::Ln, ts),
                Func::Sqrt => un(Op1::Sqrt, ts),
                Func::Abs => un(Op1::Abs, ts),
                Func::Floor => un(Op1::Floor, ts),
                Func::Ceil => un(Op1::Ceil, ts),
                Func::Min | Func::Max => {
                    let o = if *f == Func::Min { Op2::Min } else { Op2::Max };
                    let mut it = ts.into_iter();
                    let first = it.next().ok_or("min/max without arguments")?;
                    it.fold(first, |acc, t| Term::Bin(o, b(acc), b(t)))
                }
                Func::Opaque(_) => {
                    return Err(format!(
                        "`{}` is computed outside the expression language (no Coq counterpart)",
                        f.name()
                    ));
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
            let lo = reify(lo, scope)?;
            let hi = reify(hi, scope)?;
            scope.push(var.clone());
            let body = reify(body, scope);
            scope.pop();
            Term::Big(*op, b(lo), b(hi), b(body?))
        }
        Expr::Rec {
            x,
            t,
            start,
            end,
            init,
            step,
        } => {
            let s = reify(start, scope)?;
            let en = reify(end, scope)?;
            let i = reify(init, scope)?;
            scope.push(x.clone());
            scope.push(t.clone());
            let st = reify(step, scope);
            scope.pop();
            scope.pop();
            Term::Rec(b(s), b(en), b(i), b(st?))
        }
    })
}

/// Wraps `body` (reified in a scope that ends with the `lets`' names) in `Let` nodes.
pub fn wrap_lets(lets: Vec<Term>, body: Term) -> Term {
    lets.into_iter()
        .rev()
        .fold(body, |acc, v| Term::Let(Box::new(v), Box::new(acc)))
}

/// The integer a rational is, if it is one.
pub(crate) fn qint(q: &Rational) -> Option<Integer> {
    q.is_integer().then(|| q.numer().clone())
}

/// Coq's `rpow_bounds k x y`: for x = n/d > 0 and y = p/q with p > 0 (reduced), the
/// integer q-th root r of m = n^p d^(p(q-1)) 2^(kq) gives x^y in
/// [r / (2^k d^p), (r + 1) / (2^k d^p)]. Coq finds r by Newton's iteration and checks it;
/// here it is exact. Charged as binary integer arithmetic on m (`bits(m)^2 / 2` units).
fn rpow_bounds(
    k: u32,
    x: &Rational,
    y: &Rational,
    w: &mut Work,
) -> Result<Option<(Rational, Rational)>, TooLarge> {
    let (n, d) = (x.numer(), x.denom());
    let (p, q) = (y.numer(), y.denom());
    if *n <= 0 || *p <= 0 {
        return Ok(None);
    }
    let (Some(p), Some(q)) = (p.to_u32(), q.to_u32()) else {
        return Ok(None);
    };
    if p.saturating_mul(q) > 10_000 || k.saturating_mul(q) > 100_000 {
        return Err(TooLarge("a rational power too large for Coq".into()));
    }
    let dp = Integer::from(d.pow(p));
    let m =
        Integer::from(n.pow(p)) * Integer::from(d.pow(p * (q - 1))) * (Integer::from(1) << (k * q));
    let bits = u64::from(m.significant_bits());
    w.charge(bits * bits / 2)?;
    let r = m.root(q);
    let den = Integer::from(&dp << k);
    Ok(Some((
        Rational::from((r.clone(), den.clone())),
        Rational::from((r + 1u32, den)),
    )))
}

/// Coq's `qsqrt`: the square root of a non-negative rational whose reduced numerator and
/// denominator are squares.
fn qsqrt(q: &Rational) -> Option<Rational> {
    if *q < 0 {
        return None;
    }
    let (n, d) = (q.numer(), q.denom());
    let (sn, sd) = (n.clone().sqrt(), d.clone().sqrt());
    (Integer::from(&sn * &sn) == *n && Integer::from(&sd * &sd) == *d)
        .then(|| Rational::from((sn, sd)))
}

fn coq_powz<N: CoqNum>(x: &N, z: &Integer, w: &mut Work) -> Result<Option<N>, TooLarge> {
    if *z == 0 {
        return Ok(Some(N::int(Integer::from(1))));
    }
    let n = z
        .clone()
        .abs()
        .to_u32()
        .filter(|n| *n <= 100_000)
        .ok_or_else(|| TooLarge(format!("the exponent {z} is too large for Coq")))?;
    if *z < 0 && x.value() == 0 {
        return Ok(None);
    }
    let p = x.pow(n, w)?;
    Ok(Some(if *z < 0 { p.recip() } else { p }))
}

fn at<N>(env: &[N], i: usize) -> Option<&N> {
    env.len().checked_sub(i + 1).map(|k| &env[k])
}

impl Term {
    /// Coq's `evalQ`: the rational value, or `None` where Coq's evaluator gives up (irrational
    /// functions, non-integer exponents, division by zero, non-integer bounds). `env` lists
    /// the bound values, innermost last.
    pub fn qeval(
        &self,
        env: &mut Vec<Rational>,
        w: &mut Work,
    ) -> Result<Option<Rational>, TooLarge> {
        self.eval_in(env, w)
    }

    /// Coq's `evalB` (the same rules over Bignums' `bigQ`, what whole-grid certificates
    /// run): the value, or `None` exactly where `evalQ` gives up; the work charged is that
    /// of its unreduced numbers.
    pub fn beval(&self, env: &mut Vec<BigQv>, w: &mut Work) -> Result<Option<Rational>, TooLarge> {
        Ok(self.eval_in(env, w)?.map(|v| v.value()))
    }

    /// The evaluation both Coq evaluators share, over either number type.
    pub fn eval_in<N: CoqNum>(
        &self,
        env: &mut Vec<N>,
        w: &mut Work,
    ) -> Result<Option<N>, TooLarge> {
        macro_rules! get {
            ($e:expr) => {
                match $e.eval_in(env, w)? {
                    Some(v) => v,
                    None => return Ok(None),
                }
            };
        }
        let v = match self {
            Term::Cst(q) => N::lit(q),
            Term::Var(i) => match at(env, *i) {
                Some(v) => v.clone(),
                None => return Ok(None),
            },
            Term::Neg(a) => get!(a).neg(),
            Term::Bin(op, a, c) => {
                let x = get!(a);
                let y = get!(c);
                match op {
                    Op2::Add | Op2::Sub | Op2::Mul => x.arith(*op, &y),
                    Op2::Div => {
                        if y.value() == 0 {
                            return Ok(None);
                        }
                        x.div(&y)
                    }
                    Op2::Min => {
                        if x.value() <= y.value() {
                            x
                        } else {
                            y
                        }
                    }
                    Op2::Max => {
                        if x.value() <= y.value() {
                            y
                        } else {
                            x
                        }
                    }
                    Op2::Pow => {
                        let y = y.value();
                        let Some(z) = qint(&y) else {
                            return Ok(None);
                        };
                        if x.value() == 0 {
                            if y < 0 {
                                return Ok(None);
                            }
                            N::int(Integer::from(u32::from(y == 0)))
                        } else {
                            match coq_powz(&x, &z, w)? {
                                Some(v) => v,
                                None => return Ok(None),
                            }
                        }
                    }
                }
            }
            Term::PowZ(a, z) => {
                let x = get!(a);
                match coq_powz(&x, z, w)? {
                    Some(v) => v,
                    None => return Ok(None),
                }
            }
            Term::Un(Op1::Abs, a) => get!(a).abs(),
            // rational values of the transcendental functions at rational arguments
            Term::Un(Op1::Exp, a) => {
                if get!(a).value() != 0 {
                    return Ok(None);
                }
                N::int(Integer::from(1))
            }
            Term::Un(Op1::Ln, a) => {
                if get!(a).value() != 1 {
                    return Ok(None);
                }
                N::int(Integer::new())
            }
            Term::Un(Op1::Sqrt, a) => match qsqrt(&get!(a).value()) {
                Some(r) => N::lit(&r),
                None => return Ok(None),
            },
            // the floor and ceiling of a rational are exact
            Term::Un(Op1::Floor, a) => N::int(get!(a).value().floor().into_numer_denom().0),
            Term::Un(Op1::Ceil, a) => N::int(get!(a).value().ceil().into_numer_denom().0),
            Term::Big(op, lo, hi, body) => {
                let l = get!(lo).value();
                let h = get!(hi).value();
                let (Some(l), Some(h)) = (qint(&l), qint(&h)) else {
                    return Ok(None);
                };
                let mut acc = N::int(Integer::from(u32::from(*op == BigOp::Prod)));
                let mut z = l;
                while z <= h {
                    env.push(N::int(z.clone()));
                    let r = body.eval_in(env, w);
                    env.pop();
                    let Some(v) = r? else { return Ok(None) };
                    acc = match op {
                        BigOp::Sum => acc.arith(Op2::Add, &v),
                        BigOp::Prod => acc.arith(Op2::Mul, &v),
                    };
                    w.charge(acc.cost())?;
                    z += 1;
                }
                acc
            }
            Term::Rec(s, e, i, st) => {
                let s = get!(s).value();
                let e = get!(e).value();
                let mut x = get!(i);
                let (Some(mut t), Some(e)) = (qint(&s), qint(&e)) else {
                    return Ok(None);
                };
                if e < t {
                    // the engines call this undefined; Coq's evaluator refuses it too
                    return Ok(None);
                }
                while t < e {
                    env.push(x);
                    env.push(N::int(t.clone()));
                    let r = st.eval_in(env, w);
                    env.pop();
                    env.pop();
                    let Some(v) = r? else { return Ok(None) };
                    x = v;
                    t += 1;
                }
                x
            }
            Term::Let(v, body) => {
                let x = get!(v);
                env.push(x);
                let r = body.eval_in(env, w);
                env.pop();
                match r? {
                    Some(v) => v,
                    None => return Ok(None),
                }
            }
        };
        w.charge(v.cost())?;
        Ok(Some(v))
    }

    /// Coq's `evalI k`: rational bounds of the value at a rational point (`evalB` where the
    /// value is rational; sums, differences, products and quotients of non-negative
    /// bounds; `rpow_bounds` for a rational power of a positive rational, to `k` bits;
    /// definitions bound by `Let` to rational values), or
    /// `None` where Coq's gives up. Charges `w` for the exact parts (as `evalB`) and the
    /// integer roots.
    pub fn ieval(
        &self,
        env: &[Rational],
        k: u32,
        w: &mut Work,
    ) -> Result<Option<(Rational, Rational)>, TooLarge> {
        let mut benv: Vec<BigQv> = env.iter().map(BigQv::lit).collect();
        if let Some(v) = self.beval(&mut benv, w)? {
            return Ok(Some((v.clone(), v)));
        }
        let exact = |t: &Term, w: &mut Work| -> Result<Option<Rational>, TooLarge> {
            let mut benv: Vec<BigQv> = env.iter().map(BigQv::lit).collect();
            t.beval(&mut benv, w)
        };
        let both = |a: &Term, b: &Term, w: &mut Work| -> Result<Option<_>, TooLarge> {
            Ok(match (a.ieval(env, k, w)?, b.ieval(env, k, w)?) {
                (Some(x), Some(y)) => Some((x, y)),
                _ => None,
            })
        };
        Ok(match self {
            Term::Neg(a) => a.ieval(env, k, w)?.map(|(l, h)| (-h, -l)),
            Term::Bin(op @ (Op2::Add | Op2::Sub | Op2::Mul | Op2::Div), a, b) => {
                let Some(((l1, h1), (l2, h2))) = both(a, b, w)? else {
                    return Ok(None);
                };
                match op {
                    Op2::Add => Some((l1 + l2, h1 + h2)),
                    Op2::Sub => Some((l1 - h2, h1 - l2)),
                    Op2::Mul if l1 >= 0 && l2 >= 0 => Some((l1 * l2, h1 * h2)),
                    Op2::Div if l1 >= 0 && l2 > 0 => Some((l1 / h2, h1 / l2)),
                    _ => None,
                }
            }
            Term::Bin(Op2::Pow, a, b) => match (exact(a, w)?, exact(b, w)?) {
                (Some(x), Some(y)) => rpow_bounds(k, &x, &y, w)?,
                _ => None,
            },
            Term::Let(v, b) => match exact(v, w)? {
                Some(x) => {
                    let mut inner = env.to_vec();
                    inner.push(x);
                    b.ieval(&inner, k, w)?
                }
                None => None,
            },
            _ => None,
        })
    }

    /// Coq's `foldE`: every subterm `evalQ` computes becomes its value.
    pub fn fold(&self, env: &mut Vec<Rational>, w: &mut Work) -> Result<Term, TooLarge> {
        if let Some(q) = self.qeval(env, w)? {
            return Ok(Term::Cst(q));
        }
        let b = Box::new;
        Ok(match self {
            Term::Neg(a) => Term::Neg(b(a.fold(env, w)?)),
            Term::Bin(op, a, c) => Term::Bin(*op, b(a.fold(env, w)?), b(c.fold(env, w)?)),
            Term::PowZ(a, z) => Term::PowZ(b(a.fold(env, w)?), z.clone()),
            Term::Un(op, a) => Term::Un(*op, b(a.fold(env, w)?)),
            Term::Let(v, body) => match v.qeval(env, w)? {
                Some(x) => {
                    env.push(x.clone());
                    let r = body.fold(env, w);
                    env.pop();
                    Term::Let(b(Term::Cst(x)), b(r?))
                }
                None => Term::Let(b(v.fold(env, w)?), body.clone()),
            },
            _ => self.clone(),
        })
    }

    /// Coq's `unrollE`: sums and products with integer bounds at `env` and at most 64
    /// terms become the explicit chain of their terms, each binding its index with `Let`.
    pub fn unroll(&self, env: &mut Vec<Rational>, w: &mut Work) -> Result<Term, TooLarge> {
        let b = Box::new;
        Ok(match self {
            Term::Neg(a) => Term::Neg(b(a.unroll(env, w)?)),
            Term::Bin(op, a, c) => Term::Bin(*op, b(a.unroll(env, w)?), b(c.unroll(env, w)?)),
            Term::PowZ(a, z) => Term::PowZ(b(a.unroll(env, w)?), z.clone()),
            Term::Un(op, a) => Term::Un(*op, b(a.unroll(env, w)?)),
            Term::Big(op, lo, hi, body) => {
                let bounds = (lo.qeval(env, w)?, hi.qeval(env, w)?);
                let (Some(l), Some(h)) = bounds else {
                    return Ok(self.clone());
                };
                let (Some(l), Some(h)) = (qint(&l), qint(&h)) else {
                    return Ok(self.clone());
                };
                let n = Integer::from(&h - &l) + 1u32;
                let n = if n < 0 {
                    0
                } else {
                    n.to_u32().unwrap_or(u32::MAX)
                };
                if n > 64 {
                    return Ok(self.clone());
                }
                let (o, unit) = match op {
                    BigOp::Sum => (Op2::Add, Term::Cst(Rational::new())),
                    BigOp::Prod => (Op2::Mul, Term::Cst(Rational::from(1))),
                };
                let mut acc = unit;
                for k in (0..n).rev() {
                    let z = Rational::from(Integer::from(&l + k));
                    env.push(z.clone());
                    let t = body.unroll(env, w);
                    env.pop();
                    acc = Term::Bin(o, b(Term::Let(b(Term::Cst(z)), b(t?))), b(acc));
                }
                acc
            }
            Term::Let(v, body) => match v.qeval(env, w)? {
                Some(x) => {
                    let vv = v.unroll(env, w)?;
                    env.push(x);
                    let r = body.unroll(env, w);
                    env.pop();
                    Term::Let(b(vv), b(r?))
                }
                None => Term::Let(b(v.unroll(env, w)?), body.clone()),
            },
            _ => self.clone(),
        })
    }

    /// Coq's `simp`: [`Term::unroll`] then [`Term::fold`].
    pub fn simp(&self, env: &mut Vec<Rational>, w: &mut Work) -> Result<Term, TooLarge> {
        self.unroll(env, w)?.fold(env, w)
    }

    /// A floating-point approximation at `prec` bits (not rigorous: it only chooses how a
    /// proof is attempted; Coq checks the proof). `None` where undefined or too long.
    pub fn approx(&self, env: &mut Vec<Float>, prec: u32) -> Option<Float> {
        let f = |v: Float| if v.is_finite() { Some(v) } else { None };
        match self {
            Term::Cst(q) => f(Float::with_val(prec, q)),
            Term::Var(i) => env.len().checked_sub(i + 1).map(|k| env[k].clone()),
            Term::Neg(a) => f(-a.approx(env, prec)?),
            Term::Bin(op, a, c) => {
                let x = a.approx(env, prec)?;
                let y = c.approx(env, prec)?;
                f(match op {
                    Op2::Add => x + y,
                    Op2::Sub => x - y,
                    Op2::Mul => x * y,
                    Op2::Div => x / y,
                    Op2::Pow => x.pow(y),
                    Op2::Min => x.min(&y),
                    Op2::Max => x.max(&y),
                })
            }
            Term::PowZ(a, z) => f(a.approx(env, prec)?.pow(z)),
            Term::Un(op, a) => {
                let x = a.approx(env, prec)?;
                f(match op {
                    Op1::Exp => x.exp(),
                    Op1::Ln => x.ln(),
                    Op1::Sqrt => x.sqrt(),
                    Op1::Abs => x.abs(),
                    Op1::Floor => x.floor(),
                    Op1::Ceil => x.ceil(),
                })
            }
            Term::Let(v, body) => {
                let x = v.approx(env, prec)?;
                env.push(x);
                let r = body.approx(env, prec);
                env.pop();
                r
            }
            Term::Big(..) | Term::Rec(..) => None,
        }
    }

    /// The first node `interval` cannot handle (after `cbn [evalR nth]`), if any: sums,
    /// products and recurrences that stayed symbolic, floor and ceiling, and variables
    /// beyond the `bound` ones the statement quantifies.
    pub fn interval_obstacle(&self, bound: usize) -> Option<String> {
        match self {
            Term::Cst(_) => None,
            Term::Var(i) => (*i >= bound).then(|| "an unbound variable".to_string()),
            Term::Neg(a) | Term::PowZ(a, _) => a.interval_obstacle(bound),
            Term::Un(Op1::Floor | Op1::Ceil, _) => {
                Some("floor or ceiling of a value that is not rational there".into())
            }
            Term::Un(_, a) => a.interval_obstacle(bound),
            Term::Bin(_, a, c) => a
                .interval_obstacle(bound)
                .or_else(|| c.interval_obstacle(bound)),
            Term::Big(op, ..) => Some(format!(
                "a {} whose value is not rational there (Coq's `interval` cannot bound it)",
                if *op == BigOp::Sum { "sum" } else { "product" }
            )),
            Term::Rec(..) => Some(
                "a recurrence whose value is not rational there (Coq's `interval` cannot bound it)"
                    .into(),
            ),
            Term::Let(v, body) => v
                .interval_obstacle(bound)
                .or_else(|| body.interval_obstacle(bound + 1)),
        }
    }

    /// Whether the term has a real power (`Pow`) node: its proof rewrites it to `Rpower`
    /// after proving the base positive.
    pub fn has_real_pow(&self) -> bool {
        match self {
            Term::Cst(_) | Term::Var(_) => false,
            Term::Bin(Op2::Pow, ..) => true,
            Term::Neg(a) | Term::PowZ(a, _) | Term::Un(_, a) => a.has_real_pow(),
            Term::Bin(_, a, c) | Term::Let(a, c) => a.has_real_pow() || c.has_real_pow(),
            Term::Big(_, a, c, d) => a.has_real_pow() || c.has_real_pow() || d.has_real_pow(),
            Term::Rec(a, c, d, e) => {
                a.has_real_pow() || c.has_real_pow() || d.has_real_pow() || e.has_real_pow()
            }
        }
    }

    /// The term in Coq syntax.
    pub fn coq(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn write(&self, s: &mut String) {
        let node = |name: &str, kids: &[&Term], s: &mut String| {
            s.push_str(name);
            for k in kids {
                s.push(' ');
                if matches!(k, Term::Var(_) | Term::Cst(_)) {
                    k.write(s);
                } else {
                    s.push('(');
                    k.write(s);
                    s.push(')');
                }
            }
        };
        match self {
            Term::Cst(q) => {
                s.push_str("(Cst ");
                s.push_str(&coq_q(q));
                s.push(')');
            }
            Term::Var(i) => {
                s.push_str(&format!("(Var {i})"));
            }
            Term::Neg(a) => node("Neg", &[a], s),
            Term::Bin(op, a, c) => {
                let name = match op {
                    Op2::Add => "Add",
                    Op2::Sub => "Sub",
                    Op2::Mul => "Mul",
                    Op2::Div => "Div",
                    Op2::Pow => "Pow",
                    Op2::Min => "Min",
                    Op2::Max => "Max",
                };
                node(name, &[a, c], s)
            }
            Term::PowZ(a, z) => {
                node("PowZ", &[a], s);
                s.push_str(&format!(" ({z})"));
            }
            Term::Un(op, a) => {
                let name = match op {
                    Op1::Exp => "Exp",
                    Op1::Ln => "Ln",
                    Op1::Sqrt => "Sqrt",
                    Op1::Abs => "Abs",
                    Op1::Floor => "Floor",
                    Op1::Ceil => "Ceil",
                };
                node(name, &[a], s)
            }
            Term::Big(op, lo, hi, body) => node(
                if *op == BigOp::Sum { "Sum" } else { "Prod" },
                &[lo, hi, body],
                s,
            ),
            Term::Rec(a, b, c, d) => node("Rec", &[a, b, c, d], s),
            Term::Let(a, b) => node("Let", &[a, b], s),
        }
    }
}

/// A rational in Coq syntax: `(Qmake p q)`.
pub fn coq_q(q: &Rational) -> String {
    let (n, d) = (q.numer(), q.denom());
    if *n < 0 {
        format!("(Qmake ({n}) {d})")
    } else {
        format!("(Qmake {n} {d})")
    }
}

/// The relation's constructor in `Stabcert.v`.
pub fn coq_rel(r: Rel) -> &'static str {
    match r {
        Rel::Le => "Le",
        Rel::Lt => "Lt",
        Rel::Ge => "Ge",
        Rel::Gt => "Gt",
        Rel::Eq => "Eq",
    }
}

/// `10^k`-style rough size of a rational, for reporting.
pub fn digits(q: &Rational) -> u32 {
    q.numer()
        .significant_bits()
        .max(q.denom().significant_bits())
        * 3
        / 10
        + 1
}

/// Roughly `-log2(x)` for positive `x` (0 for x >= 1), to size `interval`'s precision.
pub fn neg_log2(x: &Rational) -> u32 {
    let k = i64::from(x.denom().significant_bits()) - i64::from(x.numer().significant_bits()) + 1;
    u32::try_from(k.max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(src: &str, names: &[&str]) -> Term {
        let e = crate::parse_expr(src).expect("parses");
        reify(&e, &mut names.iter().map(|s| s.to_string()).collect()).expect("reifies")
    }

    #[test]
    fn the_word_evaluator_agrees_with_the_reduced_one_and_charges_unreduced_sizes() {
        // a recurrence whose steps cancel: x * 3 / 3 keeps the value, but without a gcd the
        // numerator and denominator each gain a factor 3 per step (evalB does not reduce)
        let t = term("rec(x, t, 1, T, 1/2, x*3/3 + 1/t)", &["T"]);
        let env_q = vec![Rational::from(40)];
        let (mut wq, mut wb) = (Work::new(u64::MAX), Work::new(u64::MAX));
        let q = t.qeval(&mut env_q.clone(), &mut wq).unwrap().unwrap();
        let mut env_b: Vec<BigQv> = env_q.iter().map(BigQv::lit).collect();
        let b = t.eval_in(&mut env_b, &mut wb).unwrap().unwrap();
        assert_eq!(b.value(), q);
        // the value's reduced denominator divides 2 lcm(1..39) (under 63 bits); evalB's is
        // 2 * 3^39 * 39! (217 bits): each step multiplies it by 3 (the division) and by t
        assert!(q.denom().significant_bits() < 63);
        let fact39 = Integer::from(Integer::factorial(39));
        let expect = Integer::from(3).pow(39) * fact39 * 2u32;
        assert_eq!(b.d, expect);
        // both give up where Coq's evaluators do
        for src in ["1/(T - T)", "floor(sqrt(T))", "(T - T)^(-1)", "sqrt(T)"] {
            let t = term(src, &["T"]);
            let mut w = Work::new(u64::MAX);
            assert_eq!(t.qeval(&mut env_q.clone(), &mut w).unwrap(), None, "{src}");
            let mut env_b: Vec<BigQv> = env_q.iter().map(BigQv::lit).collect();
            assert_eq!(t.beval(&mut env_b, &mut w).unwrap(), None, "{src}");
        }
        // a budget ends the evaluation with a message
        let mut small = Work::new(1_000);
        let mut env_b: Vec<BigQv> = env_q.iter().map(BigQv::lit).collect();
        assert!(t.beval(&mut env_b, &mut small).is_err());
    }

    #[test]
    fn functions_have_values_only_where_they_are_rational() {
        let env = vec![Rational::from(4)];
        let cases = [
            ("exp(T - 4)", Some(Rational::from(1))),
            ("ln(T - 3)", Some(Rational::new())),
            ("sqrt(T/9)", Some(Rational::from((2, 3)))),
            ("sqrt(T*T*T/25)", Some(Rational::from((8, 5)))),
            ("sqrt(T/2)", None),
            ("sqrt(-T)", None),
            ("exp(T)", None),
            ("ln(T)", None),
            // floor and ceiling of rationals, negative ones included (Coq's Qfloor and
            // Qceiling round toward -inf and +inf)
            ("floor(T/3)", Some(Rational::from(1))),
            ("ceil(T/3)", Some(Rational::from(2))),
            ("floor(-T/3 - 1/2)", Some(Rational::from(-2))),
            ("ceil(-T/3 - 1/2)", Some(Rational::from(-1))),
            ("floor(T)", Some(Rational::from(4))),
            ("ceil(-T)", Some(Rational::from(-4))),
            ("floor(sqrt(T/2))", None),
        ];
        for (src, want) in cases {
            let t = term(src, &["T"]);
            let mut w = Work::new(u64::MAX);
            assert_eq!(t.qeval(&mut env.clone(), &mut w).unwrap(), want, "{src}");
            let mut env_b: Vec<BigQv> = env.iter().map(BigQv::lit).collect();
            assert_eq!(t.beval(&mut env_b, &mut w).unwrap(), want, "{src}");
        }
    }

    #[test]
    fn word_costs_grow_with_the_square_of_the_words() {
        let one = BigQv::lit(&Rational::from(1));
        let big = BigQv::lit(&Rational::from((Integer::from(1) << 630u32, 3)));
        // 1 word + 1 word, against 11 words + 1 word
        assert_eq!(one.cost(), BIGQ_OP + 4);
        assert_eq!(big.cost(), BIGQ_OP + 144);
        // powers reduce their base first: (6/4)^10 is charged as (3/2)^10
        let mut w = Work::new(u64::MAX);
        let p = BigQv::lit(&Rational::from(6))
            .arith(Op2::Mul, &BigQv::lit(&Rational::from(1)).recip())
            .div(&BigQv::lit(&Rational::from(4)))
            .pow(10, &mut w)
            .unwrap();
        assert_eq!(p.value(), Rational::from((59049, 1024)));
        assert_eq!((p.n.to_u32(), p.d.to_u32()), (Some(59049), Some(1024)));
    }
}

#[cfg(test)]
mod bounds_tests {
    use super::*;
    use rug::Float;

    #[test]
    fn rational_powers_are_enclosed_to_the_bits_asked() {
        // K T^(1/10) / n^(11/10) at T = 37, n = 5, K = 3/2: the enclosure holds the value
        // (MPFR, 256 bits) and is narrower than the 2^-k the roots are taken to
        let e = crate::parse_expr("K*T^(1/10)/n^(1 + 1/10)").unwrap();
        let names = ["K", "n", "T"].iter().map(|s| s.to_string()).collect();
        let t = reify(&e, &mut { names }).unwrap();
        let env = [
            Rational::from((3, 2)),
            Rational::from(5),
            Rational::from(37),
        ];
        let exact = Float::with_val(256, 3) / 2
            * Float::with_val(256, 37).pow(Float::with_val(256, 1) / 10)
            / Float::with_val(256, 5).pow(Float::with_val(256, 11) / 10);
        for k in [16u32, 64, 128] {
            let mut w = Work::new(u64::MAX);
            let (l, h) = t.ieval(&env, k, &mut w).unwrap().expect("enclosed");
            assert!(
                Float::with_val(256, &l) <= exact && exact <= Float::with_val(256, &h),
                "k = {k}"
            );
            let width = Float::with_val(256, Rational::from(&h - &l));
            assert!(
                width < Float::with_val(256, 1) >> (k - 4),
                "k = {k}: width {width}"
            );
        }
        // what evalI does not enclose: a negative factor, exp, a negative exponent
        for src in ["(-1)*T^(1/10)", "exp(T/10)", "T^(-1/10)"] {
            let e = crate::parse_expr(src).unwrap();
            let t = reify(&e, &mut vec!["T".to_string()]).unwrap();
            let mut w = Work::new(u64::MAX);
            assert_eq!(
                t.ieval(&[Rational::from(37)], 64, &mut w).unwrap(),
                None,
                "{src}"
            );
        }
    }
}
