//! The independent kernel: a small evaluator over `num-rational`/`num-bigint` (no GMP, no
//! floats) that re-checks the exact verdicts of the engines before they are reported.
//!
//! - A counterexample whose two sides are exact is re-evaluated at its point: the kernel's
//!   values must equal the reported ones and the relation must fail there.
//! - A `certified` verdict on an enumerable domain (no real parameters) is re-checked at the
//!   first points of the domain in lexicographic order and at its last corner.
//! - Anything the kernel cannot evaluate within its small budget (irrational values, long
//!   recurrences) is reported as not re-checked, with the reason.
//!
//! It shares only the expression tree with the engines: literals are read back from their
//! printed `p/q` form, and every operation is re-implemented here. Rational exponents are
//! decided by exponent clearing (integer roots), like the exact engine but independently.

use crate::claims::Claim;
use crate::decide::{Outcome, Side, Verdict, relations};
use crate::expr::{BigOp, BinOp, DomainSpec, Expr, Func, Rel};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::cell::RefCell;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Most terms, iterations or points the kernel spends on one evaluation.
const MAX_STEPS: u64 = 100_000;
/// Most bits (numerator plus denominator) of any value the kernel computes.
const MAX_BITS: u64 = 1 << 20;
/// Wall-clock allowance of the kernel for one outcome.
const MAX_TIME: Duration = Duration::from_secs(10);

/// The kernel's own limits for one re-check: size and time, so that no claim can make the
/// re-check itself hang or exhaust memory. Once exceeded, every evaluation returns `None`
/// and the outcome is reported as not re-checked, with the reason.
pub struct Limits {
    deadline: Instant,
    max_bits: u64,
    exceeded: RefCell<Option<String>>,
}

impl Limits {
    /// The default limits, starting now.
    pub fn new() -> Limits {
        Limits {
            deadline: Instant::now() + MAX_TIME,
            max_bits: MAX_BITS,
            exceeded: RefCell::new(None),
        }
    }

    fn stop(&self, why: String) -> Option<()> {
        self.exceeded.borrow_mut().get_or_insert(why);
        None
    }

    fn size(&self, bits: u64) -> Option<()> {
        if bits > self.max_bits {
            return self.stop(format!(
                "a value would need about {bits} bits (the kernel's limit is {})",
                self.max_bits
            ));
        }
        Some(())
    }

    fn tick(&self) -> Option<()> {
        if Instant::now() > self.deadline {
            return self.stop(format!("the kernel's time limit of {MAX_TIME:?} ran out"));
        }
        self.exceeded.borrow().is_none().then_some(())
    }

    /// Why the limits stopped an evaluation, if they did.
    pub fn exceeded(&self) -> Option<String> {
        self.exceeded.borrow().clone()
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new()
    }
}

fn qbits(v: &BigRational) -> u64 {
    v.numer().bits() + v.denom().bits()
}

/// What the kernel concluded about one outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recheck {
    /// agreed; the text says on what
    Agreed(String),
    /// not re-checked; the text says why
    Skipped(String),
}

/// The kernel and an engine disagree: a bug in one of them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("kernel disagreement on `{id}`: {detail}")]
pub struct Disagreement {
    /// outcome id
    pub id: String,
    /// both values and where
    pub detail: String,
}

type Env = Vec<(String, BigRational)>;

fn lookup<'a>(env: &'a Env, n: &str) -> Option<&'a BigRational> {
    env.iter().rev().find(|(k, _)| k == n).map(|(_, v)| v)
}

fn q(s: &str) -> Option<BigRational> {
    BigRational::from_str(s).ok()
}

fn int_pow(x: &BigRational, e: &BigInt, lim: &Limits) -> Option<BigRational> {
    let k = e.abs().to_u64().filter(|k| *k <= 1 << 20)?;
    if x.is_zero() && e.is_negative() {
        return None;
    }
    if !x.is_zero() && !x.abs().is_one() {
        lim.size(qbits(x).saturating_mul(k))?;
    }
    // numerator and denominator separately: a reduced fraction stays reduced under powers,
    // so no gcd is needed (num-rational would take one after every product)
    let power = |b: &BigInt| -> Option<BigInt> {
        let mut base = b.clone();
        let mut acc = BigInt::one();
        let mut k = k;
        while k > 0 {
            lim.tick()?;
            if k & 1 == 1 {
                acc *= &base;
            }
            k >>= 1;
            if k > 0 {
                base = &base * &base;
            }
        }
        Some(acc)
    };
    let (n, d) = (power(x.numer())?, power(x.denom())?);
    let v = BigRational::new_raw(n, d);
    Some(if e.is_negative() { v.recip() } else { v })
}

fn pow(x: &BigRational, y: &BigRational, lim: &Limits) -> Option<BigRational> {
    if y.is_integer() {
        if x.is_zero() && y.is_zero() {
            return Some(BigRational::one());
        }
        return int_pow(x, &y.to_integer(), lim);
    }
    if x.is_negative() {
        return None;
    }
    if x.is_zero() {
        return if y.is_positive() {
            Some(BigRational::zero())
        } else {
            None
        };
    }
    let d = y.denom().to_u32().filter(|d| *d <= 64)?;
    let (n, m) = (x.numer(), x.denom());
    let (rn, rm) = (n.nth_root(d), m.nth_root(d));
    if num_traits::pow(rn.clone(), d as usize) != *n
        || num_traits::pow(rm.clone(), d as usize) != *m
    {
        return None; // irrational
    }
    int_pow(&BigRational::new(rn, rm), y.numer(), lim)
}

fn integer(v: &BigRational) -> Option<BigInt> {
    v.is_integer().then(|| v.to_integer())
}

/// The exact value of `e`, or `None` when the kernel cannot or will not produce it (within
/// fresh default [`Limits`]).
pub fn eval(e: &Expr, env: &mut Env) -> Option<BigRational> {
    eval_in(e, env, &Limits::new())
}

/// The exact value of `e` within `lim`.
pub fn eval_in(e: &Expr, env: &mut Env, lim: &Limits) -> Option<BigRational> {
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || eval_node(e, env, lim))
}

fn eval_node(e: &Expr, env: &mut Env, lim: &Limits) -> Option<BigRational> {
    lim.tick()?;
    Some(match e {
        Expr::Num(v) => q(&v.to_string())?,
        Expr::Var(n) => lookup(env, n)?.clone(),
        Expr::Neg(a) => -eval_in(a, env, lim)?,
        Expr::Bin(op, a, b) => {
            let x = eval_in(a, env, lim)?;
            let y = eval_in(b, env, lim)?;
            if *op != BinOp::Pow {
                lim.size(qbits(&x) + qbits(&y))?;
            }
            match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => {
                    if y.is_zero() {
                        return None;
                    }
                    x / y
                }
                BinOp::Pow => pow(&x, &y, lim)?,
            }
        }
        Expr::Call(f, args) => {
            let mut vs = Vec::new();
            for a in args {
                vs.push(eval_in(a, env, lim)?);
            }
            if let Func::Opaque(id) = f {
                let g = crate::expr::opaque::get(*id);
                let args: Vec<String> = vs.iter().map(|v| v.to_string()).collect();
                return match g.recheck(&args) {
                    Some(Ok(text)) => q(&text),
                    Some(Err(why)) => lim.stop(why).and(None),
                    None => lim
                        .stop(format!(
                            "`{}` has no independent evaluation in the kernel",
                            g.name()
                        ))
                        .and(None),
                };
            }
            let x = vs[0].clone();
            match f {
                Func::Exp if x.is_zero() => BigRational::one(),
                Func::Ln if x.is_one() => BigRational::zero(),
                Func::Exp | Func::Ln => return None,
                Func::Sqrt => pow(&x, &BigRational::new(1.into(), 2.into()), lim)?,
                Func::Abs => x.abs(),
                Func::Floor => x.floor(),
                Func::Ceil => x.ceil(),
                Func::Min => vs.into_iter().reduce(|a, b| if b < a { b } else { a })?,
                Func::Max => vs.into_iter().reduce(|a, b| if b > a { b } else { a })?,
                Func::Opaque(_) => unreachable!("handled above"),
            }
        }
        Expr::Big {
            op,
            var,
            lo,
            hi,
            body,
        } => {
            let lo = integer(&eval_in(lo, env, lim)?)?;
            let hi = integer(&eval_in(hi, env, lim)?)?;
            let mut acc = if *op == BigOp::Sum {
                BigRational::zero()
            } else {
                BigRational::one()
            };
            let count = (&hi - &lo + BigInt::one()).to_u64().unwrap_or(0);
            if hi >= lo && count > MAX_STEPS {
                return None;
            }
            let mut i = lo;
            while i <= hi {
                env.push((var.clone(), BigRational::from_integer(i.clone())));
                let v = eval_in(body, env, lim);
                env.pop();
                let v = v?;
                lim.size(qbits(&acc) + qbits(&v))?;
                if *op == BigOp::Sum {
                    acc += v;
                } else {
                    acc *= v;
                }
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
            let s = integer(&eval_in(start, env, lim)?)?;
            let en = integer(&eval_in(end, env, lim)?)?;
            if en < s || (&en - &s).to_u64().is_none_or(|k| k > MAX_STEPS) {
                return None;
            }
            let mut cur = eval_in(init, env, lim)?;
            let mut ti = s;
            while ti < en {
                env.push((t.clone(), BigRational::from_integer(ti.clone())));
                env.push((x.clone(), cur.clone()));
                let v = eval_in(step, env, lim);
                env.pop();
                env.pop();
                cur = v?;
                ti += 1;
            }
            cur
        }
    })
}

fn holds(rel: Rel, a: &BigRational, b: &BigRational) -> bool {
    rel.holds(a.cmp(b))
}

/// Binds the claim's definitions at a point; `None` if one has no kernel value.
fn bind_lets(claim: &Claim, env: &mut Env, lim: &Limits) -> Option<()> {
    for d in &claim.lets {
        let v = eval_in(&d.expr, env, lim)?;
        env.push((d.name.clone(), v));
    }
    Some(())
}

/// Why the point (every parameter bound in `point`) is outside the claim's domain
/// (`Some(Some(why))`), `Some(None)` when it is inside, `None` when a bound or constraint has
/// no kernel value.
fn outside_domain(claim: &Claim, point: &Env, lim: &Limits) -> Option<Option<String>> {
    let mut env: Env = Vec::new();
    for p in &claim.params {
        let v = lookup(point, &p.name)?.clone();
        let inside = match &p.domain {
            DomainSpec::Fixed(e) => eval_in(e, &mut env, lim)? == v,
            DomainSpec::Set(vs) => {
                let mut any = false;
                for e in vs {
                    any |= eval_in(e, &mut env, lim)? == v;
                }
                any
            }
            DomainSpec::IntRange {
                lo, hi, inclusive, ..
            } => {
                let (l, h) = (eval_in(lo, &mut env, lim)?, eval_in(hi, &mut env, lim)?);
                v.is_integer() && l <= v && (if *inclusive { v <= h } else { v < h })
            }
            DomainSpec::Real {
                lo,
                lo_closed,
                hi,
                hi_closed,
            } => {
                let (l, h) = (eval_in(lo, &mut env, lim)?, eval_in(hi, &mut env, lim)?);
                (if *lo_closed { l <= v } else { l < v })
                    && (if *hi_closed { v <= h } else { v < h })
            }
        };
        if !inside {
            return Some(Some(format!("`{}` = {v} is not in its domain", p.name)));
        }
        env.push((p.name.clone(), v));
    }
    for (text, r) in &claim.constraints {
        let (a, b) = (
            eval_in(&r.lhs, &mut env, lim)?,
            eval_in(&r.rhs, &mut env, lim)?,
        );
        if !holds(r.rel, &a, &b) {
            return Some(Some(format!("the constraint {text} fails")));
        }
    }
    Some(None)
}

/// Re-checks one outcome of `claim`.
pub fn recheck(claim: &Claim, o: &Outcome) -> Result<Recheck, Disagreement> {
    let lim = Limits::new();
    let r = recheck_within(claim, o, &lim)?;
    Ok(match (r, lim.exceeded()) {
        (Recheck::Skipped(t), Some(why)) => Recheck::Skipped(format!("{t} ({why})")),
        (r, _) => r,
    })
}

fn recheck_within(claim: &Claim, o: &Outcome, lim: &Limits) -> Result<Recheck, Disagreement> {
    if o.symbolic {
        return Ok(Recheck::Skipped(
            "a symbolic verdict (checked numerically by the symbolic engine)".into(),
        ));
    }
    let Some((_, lhs, rel, rhs)) = relations(claim).into_iter().find(|(id, ..)| *id == o.id) else {
        return Ok(Recheck::Skipped("no such relation".into()));
    };
    match (&o.verdict, &o.counterexample) {
        (Verdict::Refuted, Some(cx)) => {
            let (Side::Exact(l), Side::Exact(r)) = (&cx.lhs, &cx.rhs) else {
                return Ok(Recheck::Skipped(
                    "the counterexample's sides are not exact".into(),
                ));
            };
            let mut env: Env = Vec::new();
            for (n, v) in &cx.point {
                env.push((n.clone(), q(&v.to_string()).expect("a printed rational")));
            }
            // the point must lie in the claim's domain: each parameter in its range (bounds
            // evaluated at the earlier coordinates) and every `where` constraint holding
            match outside_domain(claim, &env, lim) {
                Some(Some(why)) => {
                    return Err(Disagreement {
                        id: o.id.clone(),
                        detail: format!("the counterexample is outside the domain: {why}"),
                    });
                }
                Some(None) => {}
                None => {
                    return Ok(Recheck::Skipped(
                        "the domain's bounds at the counterexample are beyond the kernel".into(),
                    ));
                }
            }
            if bind_lets(claim, &mut env, lim).is_none() {
                return Ok(Recheck::Skipped("a definition is beyond the kernel".into()));
            }
            for (text, r) in &claim.guards {
                let mut e2 = env.clone();
                if let (Some(a), Some(b)) =
                    (eval_in(&r.lhs, &mut e2, lim), eval_in(&r.rhs, &mut e2, lim))
                    && !holds(r.rel, &a, &b)
                {
                    return Err(Disagreement {
                        id: o.id.clone(),
                        detail: format!(
                            "the counterexample violates the construction's guard that {text}"
                        ),
                    });
                }
            }
            let (Some(kl), Some(kr)) = (eval_in(&lhs, &mut env, lim), eval_in(&rhs, &mut env, lim))
            else {
                return Ok(Recheck::Skipped("a side is beyond the kernel".into()));
            };
            let (el, er) = (
                q(&l.to_string()).expect("rational"),
                q(&r.to_string()).expect("rational"),
            );
            if kl != el || kr != er || holds(rel, &kl, &kr) {
                return Err(Disagreement {
                    id: o.id.clone(),
                    detail: format!(
                        "at the counterexample the engine has lhs = {el}, rhs = {er}; the kernel has lhs = {kl}, rhs = {kr}, relation {}",
                        if holds(rel, &kl, &kr) {
                            "holding"
                        } else {
                            "failing"
                        }
                    ),
                });
            }
            Ok(Recheck::Agreed("counterexample re-evaluated".into()))
        }
        (Verdict::Certified, _) if o.coverage.boxes == 0 => {
            recheck_points(claim, &o.id, &lhs, rel, &rhs, lim)
        }
        _ => Ok(Recheck::Skipped(format!(
            "{} verdicts are not exact",
            o.verdict.as_str()
        ))),
    }
}

/// The first points of the domain in lexicographic order, and its last corner.
fn recheck_points(
    claim: &Claim,
    id: &str,
    lhs: &Expr,
    rel: Rel,
    rhs: &Expr,
    lim: &Limits,
) -> Result<Recheck, Disagreement> {
    const FIRST: usize = 16;
    let mut points: Vec<Env> = Vec::new();
    first_points(claim, 0, &mut Vec::new(), FIRST, &mut points, false, lim);
    let mut last = Vec::new();
    first_points(claim, 0, &mut Vec::new(), 1, &mut last, true, lim);
    points.extend(last);
    if points.is_empty() {
        return Ok(Recheck::Skipped(
            "the kernel could not enumerate the domain".into(),
        ));
    }
    let mut checked = 0;
    for p in points {
        // a point outside the `where` constraints is not part of the domain
        if claim.constraints.iter().any(|(_, r)| {
            let mut e2 = p.clone();
            !matches!((eval_in(&r.lhs, &mut e2, lim), eval_in(&r.rhs, &mut e2, lim)), (Some(a), Some(b)) if holds(r.rel, &a, &b))
        }) {
            continue;
        }
        let mut env = p.clone();
        if bind_lets(claim, &mut env, lim).is_none() {
            if lim.exceeded().is_some() {
                break;
            }
            continue;
        }
        // guards: a point where they fail is not part of what `certified` covers
        let guards_ok = claim.guards.iter().all(|(_, r)| {
            let mut e2 = env.clone();
            matches!((eval_in(&r.lhs, &mut e2, lim), eval_in(&r.rhs, &mut e2, lim)), (Some(a), Some(b)) if holds(r.rel, &a, &b))
        });
        if !guards_ok {
            continue;
        }
        let (Some(a), Some(b)) = (eval_in(lhs, &mut env, lim), eval_in(rhs, &mut env, lim)) else {
            continue;
        };
        if !holds(rel, &a, &b) {
            let at: Vec<String> = p.iter().map(|(n, v)| format!("{n}={v}")).collect();
            return Err(Disagreement {
                id: id.to_string(),
                detail: format!(
                    "certified by the engines, but at {} the kernel has lhs = {a}, rhs = {b}",
                    at.join(", ")
                ),
            });
        }
        checked += 1;
    }
    Ok(if checked == 0 {
        Recheck::Skipped("no point of the domain is within the kernel's budget".into())
    } else {
        Recheck::Agreed(format!("{checked} points re-evaluated"))
    })
}

fn first_points(
    claim: &Claim,
    i: usize,
    env: &mut Env,
    limit: usize,
    out: &mut Vec<Env>,
    from_top: bool,
    lim: &Limits,
) {
    if out.len() >= limit {
        return;
    }
    if i == claim.params.len() {
        out.push(env.clone());
        return;
    }
    let p = &claim.params[i];
    let mut vals: Vec<BigRational> = match &p.domain {
        DomainSpec::Fixed(e) => match eval_in(e, env, lim) {
            Some(v) => vec![v],
            None => return,
        },
        DomainSpec::Set(vs) => {
            let mut out = Vec::new();
            for v in vs {
                match eval_in(v, env, lim) {
                    Some(x) => out.push(x),
                    None => return,
                }
            }
            out.sort();
            out.dedup();
            out
        }
        DomainSpec::IntRange {
            lo, hi, inclusive, ..
        } => {
            let (Some(lo), Some(hi)) = (eval_in(lo, env, lim), eval_in(hi, env, lim)) else {
                return;
            };
            let lo = lo.ceil().to_integer();
            let mut hi_i = hi.floor().to_integer();
            if !inclusive && hi.is_integer() {
                hi_i -= 1;
            }
            let mut v = Vec::new();
            let mut k = lo.clone();
            while k <= hi_i && v.len() < limit {
                v.push(BigRational::from_integer(k.clone()));
                k += 1;
            }
            if from_top && hi_i >= lo {
                v = vec![BigRational::from_integer(hi_i)];
            }
            v
        }
        DomainSpec::Real { .. } => return,
    };
    if from_top {
        vals.reverse();
    }
    for v in vals {
        env.push((p.name.clone(), v));
        first_points(claim, i + 1, env, limit, out, from_top, lim);
        env.pop();
        if out.len() >= limit {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::ClaimBuilder;
    use crate::decide::{Options, decide};
    use crate::expr::parse_expr;

    fn k(s: &str) -> Option<String> {
        eval(&parse_expr(s).unwrap(), &mut Vec::new()).map(|v| v.to_string())
    }

    #[test]
    fn evaluates_independently() {
        assert_eq!(k("1/3 + 1/6").as_deref(), Some("1/2"));
        assert_eq!(k("(8/27)^(2/3)").as_deref(), Some("4/9"));
        assert_eq!(k("2^-3").as_deref(), Some("1/8"));
        assert_eq!(k("2^(1/2)"), None);
        assert_eq!(k("exp(1)"), None);
        assert_eq!(k("1/0"), None);
        assert_eq!(k("sum(i, 1, 4, 1/i)").as_deref(), Some("25/12"));
        assert_eq!(k("rec(x, t, 0, 3, 0, x/2 + 1)").as_deref(), Some("7/4"));
        assert_eq!(
            k("floor(-7/2) + ceil(7/2) + min(1, 2) + max(1, 2)").as_deref(),
            Some("3")
        );
    }

    fn claim(b: ClaimBuilder) -> Claim {
        b.build().unwrap()
    }

    #[test]
    fn agrees_with_the_engines_and_catches_a_tampered_counterexample() {
        let c = claim(
            ClaimBuilder::new("c")
                .param("n in 1..=10")
                .holds("2^n <= n^2"),
        );
        let mut o = decide(&c, &Options::default()).remove(0);
        assert_eq!(
            recheck(&c, &o),
            Ok(Recheck::Agreed("counterexample re-evaluated".into()))
        );
        // a wrong reported value is a hard disagreement
        if let Some(cx) = o.counterexample.as_mut() {
            cx.lhs = Side::Exact(rug::Rational::from(3));
        }
        assert!(recheck(&c, &o).is_err());
        let c = claim(
            ClaimBuilder::new("c")
                .param("n in 1..=50")
                .param("r in 1..=n")
                .holds("(n-r)/n <= (1-1/n)^r"),
        );
        let o = decide(&c, &Options::default()).remove(0);
        assert!(matches!(recheck(&c, &o), Ok(Recheck::Agreed(ref t)) if t.contains("17 points")));
        // a false claim reported as certified is caught at the points the kernel checks
        let c = claim(ClaimBuilder::new("c").param("n in 1..=50").holds("n <= 1"));
        let mut o = decide(&c, &Options::default()).remove(0);
        o.verdict = Verdict::Certified;
        o.counterexample = None;
        assert!(recheck(&c, &o).is_err());
        // a counterexample outside the domain (a `where` constraint, a dependent bound) is
        // a disagreement
        let c = claim(
            ClaimBuilder::new("c")
                .param("x in [0, 1]")
                .param("y in [0, 1]")
                .constraint("x + y <= 1")
                .holds("x*y <= 1/5"),
        );
        let mut o = decide(&c, &Options::default()).remove(0);
        assert_eq!(o.verdict, Verdict::Refuted);
        assert!(matches!(recheck(&c, &o), Ok(Recheck::Agreed(_))));
        let cx = o.counterexample.as_mut().unwrap();
        // x = y = 3/4 fails the relation (9/16 > 1/5) but is outside x + y <= 1
        cx.point = vec![
            ("x".into(), rug::Rational::from((3, 4))),
            ("y".into(), rug::Rational::from((3, 4))),
        ];
        cx.lhs = Side::Exact(rug::Rational::from((9, 16)));
        let e = recheck(&c, &o).unwrap_err();
        assert!(
            e.detail.contains("constraint x + y <= 1 fails"),
            "{}",
            e.detail
        );
        let c = claim(
            ClaimBuilder::new("c")
                .param("b in [1/4, 4]")
                .param("a in (0, 2/b]")
                .holds("a*b <= 1"),
        );
        let mut o = decide(&c, &Options::default()).remove(0);
        assert_eq!(o.verdict, Verdict::Refuted);
        assert!(matches!(recheck(&c, &o), Ok(Recheck::Agreed(_))));
        let cx = o.counterexample.as_mut().unwrap();
        cx.point = vec![
            ("b".into(), rug::Rational::from(1)),
            ("a".into(), rug::Rational::from(3)),
        ];
        cx.lhs = Side::Exact(rug::Rational::from(3));
        let e = recheck(&c, &o).unwrap_err();
        assert!(
            e.detail.contains("`a` = 3 is not in its domain"),
            "{}",
            e.detail
        );
    }
}
