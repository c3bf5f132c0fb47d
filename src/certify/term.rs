//! The Rust mirror of the Coq library's expression type `E` (`Stabcert.v`): reification of
//! an [`Expr`] with names resolved to de Bruijn indices, printing as Coq syntax, and the two
//! computations the scripts ask Coq to repeat — `evalQ` ([`Term::qeval`]) and `foldE`
//! ([`Term::fold`]) — re-implemented rule for rule, so that a generated `vm_compute` goal is
//! the value Coq will compute (a mismatch is a bug that coqc reports, never a wrong proof).

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

/// Work counter of [`Term::qeval`]: bits of every intermediate result, which is roughly what
/// Coq's `vm_compute` spends on binary integers.
#[derive(Clone, Debug)]
pub struct Work {
    /// accumulated bit-operations estimate
    pub bits: u64,
    /// the limit; beyond it evaluation stops with [`TooLarge`]
    pub limit: u64,
}

impl Work {
    /// A counter with this limit.
    pub fn new(limit: u64) -> Work {
        Work { bits: 0, limit }
    }

    fn add(&mut self, v: &Rational) -> Result<(), TooLarge> {
        let b = u64::from(v.numer().significant_bits()) + u64::from(v.denom().significant_bits());
        // Coq's binary integers: the cost of an operation grows with the square of the size
        self.bits = self.bits.saturating_add(64 + b * b / 4);
        if self.bits > self.limit {
            return Err(TooLarge(format!(
                "the exact evaluation needs more than {} units of work",
                self.limit
            )));
        }
        Ok(())
    }
}

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

fn qint(q: &Rational) -> Option<Integer> {
    q.is_integer().then(|| q.numer().clone())
}

fn qpowz(x: &Rational, z: &Integer, w: &mut Work) -> Result<Option<Rational>, TooLarge> {
    if *z == 0 {
        return Ok(Some(Rational::from(1)));
    }
    let n = z
        .clone()
        .abs()
        .to_u32()
        .filter(|n| *n <= 100_000)
        .ok_or_else(|| TooLarge(format!("the exponent {z} is too large for Coq")))?;
    if *z < 0 && *x == 0 {
        return Ok(None);
    }
    // Coq multiplies n times: charge every step
    let mut p = Rational::from(1);
    for _ in 0..n {
        p *= x;
        w.add(&p)?;
    }
    Ok(Some(if *z < 0 { p.recip() } else { p }))
}

fn at(env: &[Rational], i: usize) -> Option<&Rational> {
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
        macro_rules! get {
            ($e:expr) => {
                match $e.qeval(env, w)? {
                    Some(v) => v,
                    None => return Ok(None),
                }
            };
        }
        let v = match self {
            Term::Cst(q) => q.clone(),
            Term::Var(i) => match at(env, *i) {
                Some(v) => v.clone(),
                None => return Ok(None),
            },
            Term::Neg(a) => -get!(a),
            Term::Bin(op, a, c) => {
                let x = get!(a);
                let y = get!(c);
                match op {
                    Op2::Add => x + y,
                    Op2::Sub => x - y,
                    Op2::Mul => x * y,
                    Op2::Div => {
                        if y == 0 {
                            return Ok(None);
                        }
                        x / y
                    }
                    Op2::Min => {
                        if x <= y {
                            x
                        } else {
                            y
                        }
                    }
                    Op2::Max => {
                        if x <= y {
                            y
                        } else {
                            x
                        }
                    }
                    Op2::Pow => {
                        let Some(z) = qint(&y) else {
                            return Ok(None);
                        };
                        if x == 0 {
                            if y < 0 {
                                return Ok(None);
                            }
                            Rational::from(u32::from(y == 0))
                        } else {
                            match qpowz(&x, &z, w)? {
                                Some(v) => v,
                                None => return Ok(None),
                            }
                        }
                    }
                }
            }
            Term::PowZ(a, z) => {
                let x = get!(a);
                match qpowz(&x, z, w)? {
                    Some(v) => v,
                    None => return Ok(None),
                }
            }
            Term::Un(Op1::Abs, a) => get!(a).abs(),
            Term::Un(_, _) => return Ok(None),
            Term::Big(op, lo, hi, body) => {
                let l = get!(lo);
                let h = get!(hi);
                let (Some(l), Some(h)) = (qint(&l), qint(&h)) else {
                    return Ok(None);
                };
                let mut acc = Rational::from(u32::from(*op == BigOp::Prod));
                let mut z = l;
                while z <= h {
                    env.push(Rational::from(z.clone()));
                    let r = body.qeval(env, w);
                    env.pop();
                    let Some(v) = r? else { return Ok(None) };
                    match op {
                        BigOp::Sum => acc += v,
                        BigOp::Prod => acc *= v,
                    }
                    w.add(&acc)?;
                    z += 1;
                }
                acc
            }
            Term::Rec(s, e, i, st) => {
                let s = get!(s);
                let e = get!(e);
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
                    env.push(Rational::from(t.clone()));
                    let r = st.qeval(env, w);
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
                let r = body.qeval(env, w);
                env.pop();
                match r? {
                    Some(v) => v,
                    None => return Ok(None),
                }
            }
        };
        w.add(&v)?;
        Ok(Some(v))
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
