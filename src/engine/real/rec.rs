//! Recurrences `x(t+1) = step(t, x(t))` on intervals: affine steps with coefficients that
//! compile to integer rational functions of `t` run on the ends in place with directed
//! rounding; other steps are iterated through the tree walk.

use super::RealError;
use super::eval::{RealEnv, eval};
use super::interval::{Arith, Interval};
use super::walk::{rec_loop, tick};
use crate::engine::exact::{self, Budget};
use crate::expr::Expr;
use rug::float::{Round, Special};
use rug::{Float, Integer};

#[allow(clippy::too_many_arguments, clippy::explicit_counter_loop)]
pub(super) fn rec_intervals(
    x: &str,
    t: &str,
    start: &Integer,
    steps: u64,
    x0: Interval,
    step: &Expr,
    env: &mut RealEnv,
    ar: Arith,
    budget: &Budget,
) -> Result<Interval, RealError> {
    let p = ar.prec;
    let mark = env.len();
    let affine = exact::affine_split(step, x);
    if let Some((pc, qc)) = &affine
        && let Some((pf, qf)) = compile_coefficients(pc, qc, t, env)
    {
        return rec_intervals_compiled(&pf, &qf, start, steps, x0, p, budget);
    }
    // constant parts folded once: coefficient expressions then only depend on t
    let res = rec_loop(
        t,
        (start.clone(), steps),
        x0,
        env,
        ar,
        budget,
        |env, xcur| match &affine {
            Some((pc, qc)) => {
                let pv = eval(pc, env, ar, budget)?;
                let qv = eval(qc, env, ar, budget)?;
                Ok(ar.add(&ar.mul(&pv, &xcur), &qv))
            }
            None => {
                env.push(x, xcur);
                let v = eval(step, env, ar, budget);
                env.pop();
                v
            }
        },
    );
    env.truncate(mark);
    res
}

/// Compiles the affine coefficients `P(t)`, `Q(t)` to integer rational functions of `t`
/// when every other name they use is bound to an exact rational.
fn compile_coefficients(
    pc: &Expr,
    qc: &Expr,
    t: &str,
    env: &RealEnv,
) -> Option<(exact::IntRatFn, exact::IntRatFn)> {
    let mut names = pc.free_vars();
    names.extend(qc.free_vars());
    names.remove(t);
    let mut xenv = env.exact_env(&names)?;
    let pf = exact::fold_constants(pc, &mut xenv, &[t]);
    let qf = exact::fold_constants(qc, &mut xenv, &[t]);
    Some((
        exact::IntRatFn::compile(&pf, t)?,
        exact::IntRatFn::compile(&qf, t)?,
    ))
}

/// `x(t+1) = P(t) x(t) + Q(t)` on intervals with exact integer coefficients per step: each
/// end is multiplied and divided by integers with directed rounding, in place.
#[allow(clippy::explicit_counter_loop)]
fn rec_intervals_compiled(
    pf: &exact::IntRatFn,
    qf: &exact::IntRatFn,
    start: &Integer,
    steps: u64,
    x0: Interval,
    prec: u32,
    budget: &Budget,
) -> Result<Interval, RealError> {
    use rug::Assign;
    use rug::ops::{AddAssignRound, DivAssignRound, MulAssignRound, NegAssign};
    let (mut lo, mut hi) = (
        Float::with_val_round(prec, x0.lo(), Round::Down).0,
        Float::with_val_round(prec, x0.hi(), Round::Up).0,
    );
    let map = exact::AffinePoly::new(pf, qf);
    // t runs over start .. start + steps - 1
    let end = Integer::from(start + steps);
    let zero_free = *start > 0 || end <= 0;
    let small = SmallAffine::of(&map, zero_free);
    let (mut a, mut b, mut c) = (Integer::new(), Integer::new(), Integer::new());
    let mut tmp = Float::new(prec);
    let mut ti = start.clone();
    for k in 0..steps {
        if k % 4096 == 0 {
            tick(budget)?;
        }
        // machine integers where the step's coefficients fit (MPFR's _si operations, no
        // conversion of a big integer): the same correctly rounded operations
        if let Some((a, b, c)) = small.as_ref().and_then(|m| m.eval(&ti)) {
            if a < 0 {
                std::mem::swap(&mut lo, &mut hi);
            }
            lo.mul_assign_round(a, Round::Down);
            hi.mul_assign_round(a, Round::Up);
            lo.add_assign_round(b, Round::Down);
            lo.div_assign_round(c, Round::Down);
            hi.add_assign_round(b, Round::Up);
            hi.div_assign_round(c, Round::Up);
            if lo.is_nan() || hi.is_nan() {
                lo.assign(Special::NegInfinity);
                hi.assign(Special::Infinity);
            }
            ti += 1;
            continue;
        }
        map.eval_into(&ti, &mut a, &mut b, &mut c);
        if c == 0 {
            return Err(RealError::Undefined(format!(
                "division by zero in the recurrence's step at t = {ti}"
            )));
        }
        if c < 0 {
            a.neg_assign();
            b.neg_assign();
            c.neg_assign();
        }
        // x' = (a x + b) / c with c > 0: lower end from the end that minimises a x
        if a == 0 {
            lo.assign(0);
            hi.assign(0);
        } else {
            if a < 0 {
                std::mem::swap(&mut lo, &mut hi);
            }
            lo.mul_assign_round(&a, Round::Down);
            hi.mul_assign_round(&a, Round::Up);
        }
        lo.add_assign_round(&b, Round::Down);
        lo.div_assign_round(&c, Round::Down);
        hi.add_assign_round(&b, Round::Up);
        hi.div_assign_round(&c, Round::Up);
        if lo.is_nan() || hi.is_nan() {
            tmp.assign(Special::NegInfinity);
            lo.assign(&tmp);
            hi.assign(Special::Infinity);
        }
        ti += 1;
    }
    Ok(Interval::new(lo, hi))
}

/// An affine step `(A(t) x + B(t)) / C(t)` whose polynomial coefficients fit in 64 bits,
/// evaluated in 128-bit integers (checked) for the steps where `t` and the values fit too.
struct SmallAffine {
    a: Vec<i64>,
    b: Vec<i64>,
    c: Vec<i64>,
}

impl SmallAffine {
    /// The step's polynomials divided by their common content and, when `t` stays away
    /// from 0 (`zero_free`: the step's value is then the same at every `t` it takes), by
    /// their common power of `t` (`A = Pn Qd`, `C = Pd Qd` share factors of `t` whenever
    /// both coefficients have `t` in a denominator); `None` unless every coefficient then
    /// fits in 64 bits.
    fn of(map: &exact::AffinePoly, zero_free: bool) -> Option<SmallAffine> {
        let polys = [&map.a, &map.b, &map.c];
        let mut g = Integer::new();
        for p in polys {
            for k in p.iter() {
                g.gcd_mut(k);
            }
        }
        if g == 0 {
            return None;
        }
        // lowest degree with a non-zero coefficient in any of the three
        let low = |p: &Vec<Integer>| p.iter().position(|k| *k != 0).unwrap_or(usize::MAX);
        let shift = if zero_free {
            polys.iter().map(|p| low(p)).min().unwrap_or(0)
        } else {
            0
        };
        let reduce = |v: &Vec<Integer>| -> Option<Vec<i64>> {
            let v: Vec<Integer> = v
                .iter()
                .skip(shift.min(v.len()))
                .map(|k| Integer::from(k / &g))
                .collect();
            let v = exact::small_coefficients(&v)?;
            Some(if v.is_empty() { vec![0] } else { v })
        };
        Some(SmallAffine {
            a: reduce(&map.a)?,
            b: reduce(&map.b)?,
            c: reduce(&map.c)?,
        })
    }

    /// `(A(t), B(t), C(t))` with `C(t) > 0` (signs moved to the numerator) and `A(t) != 0`,
    /// when all fit in 64 bits; `None` sends the step to the big-integer path.
    fn eval(&self, t: &Integer) -> Option<(i64, i64, i64)> {
        let t = i128::from(t.to_i64()?);
        let horner = |p: &[i64]| -> Option<i64> { i64::try_from(exact::horner_small(p, t)?).ok() };
        let (mut a, mut b, mut c) = (horner(&self.a)?, horner(&self.b)?, horner(&self.c)?);
        if c < 0 {
            (a, b, c) = (a.checked_neg()?, b.checked_neg()?, c.checked_neg()?);
        }
        (c > 0 && a != 0).then_some((a, b, c))
    }
}
