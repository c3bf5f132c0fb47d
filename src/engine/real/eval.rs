//! Interval evaluation of expressions: the environment of enclosures, the tree walk, binder
//! bounds that must be integers, the exact shortcut for short exact sums and recurrences,
//! and decimal renderings of enclosures.

use super::RealError;
use super::interval::{Arith, Interval, MAX_EXP};
use super::rec::rec_intervals;
use super::walk::{big_loop, big_range, rec_bounds, rec_steps};
use crate::engine::exact::{self, Budget, BudgetError, Env, ExactError};
use crate::expr::{BigOp, BinOp, Expr, Func};
use rug::float::Round;
use rug::ops::Pow;
use rug::{Float, Integer, Rational};

/// A binding of the interval environment: the enclosure, and the exact value when the name
/// stands for a single rational (a point of the domain).
#[derive(Clone, Debug)]
pub(super) struct Binding {
    pub(super) name: String,
    pub(super) iv: Interval,
    pub(super) exact: Option<Rational>,
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

    pub(super) fn get(&self, name: &str) -> Option<&Binding> {
        self.vars.iter().rev().find(|b| b.name == name)
    }

    /// The exact environment of the names bound to rationals (for the exact shortcut).
    pub(super) fn exact_env(&self, names: &std::collections::BTreeSet<String>) -> Option<Env> {
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
    Ok(match e {
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
        Expr::Call(f, args) => call_node(*f, args, env, ar, budget)?,
        Expr::Big {
            op,
            var,
            lo,
            hi,
            body,
        } => big_node(e, *op, var, (lo, hi), body, env, ar, budget)?,
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
            let (start, end) = rec_bounds(start, end, env, ar, budget)?;
            let x0 = eval(init, env, ar, budget)?;
            let steps = rec_steps(&start, &end, budget)?;
            rec_intervals(x, t, &start, steps, x0, step, env, ar, budget)?
        }
    })
}

/// `f(args)` on intervals; a floor or ceiling whose enclosure straddles an integer is
/// settled by exact algebra at an exact point.
fn call_node(
    f: Func,
    args: &[Expr],
    env: &mut RealEnv,
    ar: Arith,
    budget: &Budget,
) -> Result<Interval, RealError> {
    let p = ar.prec;
    if let Func::Opaque(id) = f {
        return opaque_node(id, args, env, ar, budget);
    }
    Ok({
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
                let r = if f == Func::Floor {
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
                            match exact::alg::round_algebraic(arg, f == Func::Ceil, &xenv, budget) {
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
            Func::Opaque(_) => unreachable!("handled above"),
        }
    })
}

/// An opaque function's enclosure: its arguments must have exact values here (it has
/// values at exact points only, never over a box).
fn opaque_node(
    id: crate::expr::opaque::OpaqueId,
    args: &[Expr],
    env: &mut RealEnv,
    ar: Arith,
    budget: &Budget,
) -> Result<Interval, RealError> {
    use crate::expr::opaque::{OpaqueError, get};
    let f = get(id);
    let mut xs = Vec::with_capacity(args.len());
    for a in args {
        let x = env
            .exact_env(&a.free_vars())
            .and_then(|mut xenv| exact::eval(a, &mut xenv, budget).ok())
            .ok_or_else(|| {
                RealError::Budget(BudgetError::Opaque(format!(
                    "`{}` has values at exact points only, not over a box",
                    f.name()
                )))
            })?;
        xs.push(x);
    }
    // an exact value comes as the point [v, v]
    match f.enclose(&xs, ar.prec) {
        Ok((lo, hi)) => Ok(Interval::from_bounds(&lo, &hi, ar.prec)),
        Err(OpaqueError::Undefined(m)) => Err(RealError::Undefined(m)),
        Err(OpaqueError::Failed(m) | OpaqueError::Inexact(m)) => {
            Err(RealError::Budget(BudgetError::Opaque(m)))
        }
    }
}

/// A `sum`/`prod` on intervals: exactly when short and exact, else through the shared
/// binder loop with each term's rational parts folded exactly first.
#[allow(clippy::too_many_arguments)]
fn big_node(
    e: &Expr,
    op: BigOp,
    var: &str,
    (lo, hi): (&Expr, &Expr),
    body: &Expr,
    env: &mut RealEnv,
    ar: Arith,
    budget: &Budget,
) -> Result<Interval, RealError> {
    let p = ar.prec;
    Ok({
        if let Some(v) = exact_shortcut(e, env, p, budget)? {
            return Ok(v);
        }
        let (lo, hi) = big_range(lo, hi, env, ar, budget)?;
        let unit = match op {
            BigOp::Sum => Interval::from_rational(&Rational::new(), p),
            BigOp::Prod => Interval::from_rational(&Rational::from(1), p),
        };
        // at an exact point, each term's rational parts are made exact first (so that
        // `(i/1000 - i/1000)^y` has the base 0, not an interval around it)
        let count = Integer::from(&hi - &lo) + 1;
        let mut xenv = if hi >= lo && count <= EXACT_SHORTCUT_STEPS {
            let mut names = body.free_vars();
            names.remove(var);
            env.exact_env(&names)
        } else {
            None
        };
        big_loop(
            var,
            (lo, hi),
            unit,
            env,
            ar,
            budget,
            |env, i| match xenv.as_mut() {
                Some(x) => {
                    x.push(var, Rational::from(i.clone()));
                    let folded = exact::fold_exact(body, x, budget);
                    x.pop();
                    eval(&folded, env, ar, budget)
                }
                None => eval(body, env, ar, budget),
            },
            |acc, v| match op {
                BigOp::Sum => ar.add(&acc, &v),
                BigOp::Prod => ar.mul(&acc, &v),
            },
        )?
    })
}

/// The exponent of a power as an integer, when it is one: a point enclosure at an integer,
/// or (for an enclosure across integers at an exact point) the exact value.
pub(super) fn integer_exponent(
    b: &Expr,
    y: &Interval,
    env: &RealEnv,
    budget: &Budget,
) -> Result<Option<Integer>, RealError> {
    let n = if y.is_point() && y.lo().is_integer() {
        if y.lo().get_exp().is_some_and(|e| e > 62) {
            return Err(RealError::Budget(BudgetError::Range(format!(
                "integer exponent of about 2^{} too large (limit 2^62)",
                y.lo().get_exp().unwrap_or(0)
            ))));
        }
        y.lo().to_integer()
    } else if !y.excludes_integers() && !y.is_point() {
        match exact_value(b, env, budget) {
            Some(Ok(q)) if q.is_integer() => Some(q.numer().clone()),
            _ => None,
        }
    } else {
        None
    };
    match n {
        Some(n) if n.significant_bits() > 62 => Err(RealError::Budget(BudgetError::Range(
            format!("integer exponent {n} too large (limit 2^62)"),
        ))),
        n => Ok(n),
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
pub(super) fn bound(
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
        Some(Err(ExactError::Budget(m @ BudgetError::Time(_)))) => {
            return Err(RealError::Budget(m));
        }
        _ => {}
    }
    let v = eval(e, env, ar, budget)?;
    if let Some(n) = v.point_integer() {
        return Ok(n);
    }
    if v.excludes_integers() || (v.is_point() && v.lo().is_finite()) {
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
        Err(ExactError::Budget(m @ BudgetError::Time(_))) => Err(RealError::Budget(m)),
        Err(_) => Ok(None),
    }
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
        if iv.lo().is_infinite()
            || iv.hi().is_infinite()
            || underflow(iv.lo(), iv.hi())
            || underflow(iv.hi(), iv.lo())
        {
            return Err(RealError::Budget(BudgetError::Range(format!(
                "the value's magnitude is beyond the range of MPFR's exponents, about 10^±323228496 (enclosure [{}, {}])",
                decimal_ends(&iv, 6).0,
                decimal_ends(&iv, 6).1
            ))));
        }
        let (lo, hi) = decimal_ends(&iv, digits);
        if lo == hi || prec >= max_prec {
            return Ok((lo, hi));
        }
        // the ends differ in the last digit: a tighter enclosure may round to one value
        if iv.lo().is_finite() && iv.hi().is_finite() {
            let w = iv.width();
            let mag = Float::with_val(prec, iv.hi().clone().abs().max(&iv.lo().clone().abs()));
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
    (end(iv.lo(), false), end(iv.hi(), true))
}
