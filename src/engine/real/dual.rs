//! Interval derivatives: forward-mode automatic differentiation over intervals, for the
//! mean-value forms and monotonicity tests of branch and bound.

use super::RealError;
use super::eval::{RealEnv, eval, integer_exponent};
use super::interval::{Arith, Interval};
use super::walk::{big_loop, big_range, rec_bounds, rec_loop, rec_steps};
use crate::engine::exact::Budget;
use crate::expr::{BigOp, BinOp, Expr, Func};
use rug::{Integer, Rational};

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
    let fv = e.free_vars();
    if !vars.iter().any(|v| fv.contains(v)) {
        return Ok(Dual {
            v: eval(e, env, ar, budget)?,
            d: vec![zero(p); vars.len()],
        });
    }
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
                    .map(|x| if x == n { one.clone() } else { zero(p) })
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
        Expr::Bin(op, a, b) => dual_bin(*op, a, b, env, vars, ar, budget)?,
        Expr::Call(f, args) => dual_call(*f, args, env, vars, ar, budget)?,
        Expr::Big {
            op,
            var,
            lo,
            hi,
            body,
        } => dual_big(*op, var, (lo, hi), body, env, vars, ar, budget)?,
        Expr::Rec {
            x,
            t,
            start,
            end,
            init,
            step,
        } => dual_rec(x, t, (start, end), init, step, env, vars, ar, budget)?,
    })
}

/// `a op b` with its gradient.
fn dual_bin(
    op: BinOp,
    a: &Expr,
    b: &Expr,
    env: &mut RealEnv,
    vars: &[String],
    ar: Arith,
    budget: &Budget,
) -> Result<Dual, RealError> {
    let p = ar.prec;
    Ok({
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
                d: combine(&scale(ar, &y.v, &x.d), &scale(ar, &x.v, &y.d), &|s, t| {
                    ar.add(s, t)
                }),
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
                let exponent_const = y.d.iter().all(|g| g.lo().is_zero() && g.hi().is_zero());
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
                            d: vec![zero(p); vars.len()],
                        });
                    }
                    // n x^(n-1) x'
                    let nm1 = ar.powi(&x.v, &Integer::from(&n - 1u32))?;
                    let c = ar.mul(&Interval::from_rational(&Rational::from(n), p), &nm1);
                    Dual {
                        v,
                        d: scale(ar, &c, &x.d),
                    }
                } else {
                    if *x.v.lo() <= 0 {
                        return Err(not_diff("a real power at a base that may be 0"));
                    }
                    let v = ar.powr(&x.v, &y.v)?;
                    // v (y' ln x + y x'/x)
                    let lnx = ar.ln(&x.v)?;
                    let yx = ar.div(&y.v, &x.v)?;
                    let d = x
                        .d
                        .iter()
                        .zip(&y.d)
                        .map(|(dx, dy)| ar.mul(&v, &ar.add(&ar.mul(dy, &lnx), &ar.mul(&yx, dx))))
                        .collect();
                    Dual { v, d }
                }
            }
        }
    })
}

/// `f(args)` with its gradient (Clarke gradients at the kinks of `abs`, `min`, `max`).
fn dual_call(
    f: Func,
    args: &[Expr],
    env: &mut RealEnv,
    vars: &[String],
    ar: Arith,
    budget: &Budget,
) -> Result<Dual, RealError> {
    let p = ar.prec;
    Ok({
        let mut xs = Vec::with_capacity(args.len());
        for a in args {
            xs.push(eval_dual(a, env, vars, ar, budget)?);
        }
        let x = &xs[0];
        match f {
            Func::Exp => {
                let v = ar.exp(&x.v);
                Dual {
                    d: scale(ar, &v, &x.d),
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
                if *x.v.lo() <= 0 {
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
                if *x.v.lo() >= 0 {
                    Dual { v, d: x.d.clone() }
                } else if *x.v.hi() <= 0 {
                    Dual {
                        v,
                        d: x.d.iter().map(|g| ar.neg(g)).collect(),
                    }
                } else {
                    // Clarke gradient: sign in [-1, 1]
                    let s = Interval::from_bounds(&Rational::from(-1), &Rational::from(1), p);
                    Dual {
                        v,
                        d: scale(ar, &s, &x.d),
                    }
                }
            }
            Func::Floor | Func::Ceil => {
                let v = if f == Func::Floor {
                    ar.floor(&x.v)
                } else {
                    ar.ceil(&x.v)
                };
                if v.is_point() {
                    Dual {
                        v,
                        d: vec![zero(p); vars.len()],
                    }
                } else {
                    return Err(not_diff("floor/ceil across an integer"));
                }
            }
            Func::Min | Func::Max => dual_min_max(f == Func::Min, &xs, ar),
            Func::Opaque(id) => {
                return Err(RealError::Budget(
                    crate::engine::exact::BudgetError::Opaque(format!(
                        "`{}` has no derivative (values at exact points only)",
                        crate::expr::opaque::name(id)
                    )),
                ));
            }
        }
    })
}

/// A `sum`/`prod` with its gradient, through the shared binder loop.
#[allow(clippy::too_many_arguments)]
fn dual_big(
    op: BigOp,
    var: &str,
    (lo, hi): (&Expr, &Expr),
    body: &Expr,
    env: &mut RealEnv,
    vars: &[String],
    ar: Arith,
    budget: &Budget,
) -> Result<Dual, RealError> {
    let p = ar.prec;
    Ok({
        let unit = Dual {
            v: Interval::from_rational(&Rational::from(if op == BigOp::Sum { 0 } else { 1 }), p),
            d: vec![zero(p); vars.len()],
        };
        let range = big_range(lo, hi, env, ar, budget)?;
        // the index shadows a box variable of the same name: inside the body that name is the
        // index, a constant, so it must not get the variable's derivative
        let inner_vars = shadowed(vars, &[var]);
        big_loop(
            var,
            range,
            unit,
            env,
            ar,
            budget,
            |env, _| eval_dual(body, env, &inner_vars, ar, budget),
            |acc, t| match op {
                BigOp::Sum => Dual {
                    v: ar.add(&acc.v, &t.v),
                    d: combine(&acc.d, &t.d, &|s, u| ar.add(s, u)),
                },
                BigOp::Prod => Dual {
                    v: ar.mul(&acc.v, &t.v),
                    d: combine(
                        &scale(ar, &t.v, &acc.d),
                        &scale(ar, &acc.v, &t.d),
                        &|s, u| ar.add(s, u),
                    ),
                },
            },
        )?
    })
}

/// A `rec` with its gradient: the state is differentiated along with the box variables.
#[allow(clippy::too_many_arguments)]
fn dual_rec(
    x: &str,
    t: &str,
    (start, end): (&Expr, &Expr),
    init: &Expr,
    step: &Expr,
    env: &mut RealEnv,
    vars: &[String],
    ar: Arith,
    budget: &Budget,
) -> Result<Dual, RealError> {
    Ok({
        let (start, end) = rec_bounds(start, end, env, ar, budget)?;
        let steps = rec_steps(&start, &end, budget)?;
        let cur = eval_dual(init, env, vars, ar, budget)?;
        // the state is a dual variable of its own: differentiate the step with respect to
        // the box variables and x, then chain
        // inside the step, `t` and `x` shadow box variables of the same names
        let mut ext: Vec<String> = shadowed(vars, &[t, x]);
        ext.push(x.to_string());
        rec_loop(t, (start, steps), cur, env, ar, budget, |env, cur| {
            env.push(x, cur.v.clone());
            let s = eval_dual(step, env, &ext, ar, budget);
            env.pop();
            let s = s?;
            let dx = &s.d[vars.len()];
            let d = (0..vars.len())
                .map(|i| ar.add(&s.d[i], &ar.mul(dx, &cur.d[i])))
                .collect();
            Ok(Dual { v: s.v, d })
        })?
    })
}

/// The zero derivative.
fn zero(p: u32) -> Interval {
    Interval::from_rational(&Rational::new(), p)
}

/// `s · d` componentwise.
fn scale(ar: Arith, s: &Interval, d: &[Interval]) -> Vec<Interval> {
    d.iter().map(|x| ar.mul(s, x)).collect()
}

/// `f(a_i, b_i)` componentwise.
fn combine(
    a: &[Interval],
    b: &[Interval],
    f: &dyn Fn(&Interval, &Interval) -> Interval,
) -> Vec<Interval> {
    a.iter().zip(b).map(|(x, y)| f(x, y)).collect()
}

/// The error for a function that has no derivative on the whole box.
fn not_diff(what: &str) -> RealError {
    RealError::MaybeUndefined(format!("{what} is not differentiable on the box"))
}

/// `min`/`max` of the arguments with a gradient: the argument certainly the result on the
/// whole box gives its gradient; otherwise the Clarke gradient, the hull of both.
fn dual_min_max(is_min: bool, xs: &[Dual], ar: Arith) -> Dual {
    let mut acc = xs[0].clone();
    for y in &xs[1..] {
        // which argument is certainly the result on the whole box, if either
        let acc_wins = if is_min {
            acc.v.hi() <= y.v.lo()
        } else {
            acc.v.lo() >= y.v.hi()
        };
        let y_wins = if is_min {
            y.v.hi() <= acc.v.lo()
        } else {
            y.v.lo() >= acc.v.hi()
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
                d: acc.d.iter().zip(&y.d).map(|(a, b)| a.hull(b)).collect(),
            }
        };
    }
    acc
}

/// `vars` with every name a binder rebinds replaced by one that no expression can use, so
/// that positions (and the length of gradients) are kept and the rebound name gets no
/// derivative inside the binder.
fn shadowed(vars: &[String], bound: &[&str]) -> Vec<String> {
    vars.iter()
        .map(|v| {
            if bound.contains(&v.as_str()) {
                format!("\u{0}shadowed {v}")
            } else {
                v.clone()
            }
        })
        .collect()
}
