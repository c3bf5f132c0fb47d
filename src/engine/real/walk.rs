//! The binder loops of the tree walk, written once for every kind of value the walk
//! computes (enclosures in [`eval`](super::eval), enclosures with derivatives in
//! [`dual`](super::dual)): the ranges of `sum`/`prod` and `rec`, the loop that binds the
//! index and accumulates the terms, and the loop that iterates a recurrence's step. Each
//! loop checks the time budget as it goes.

use super::RealError;
use super::eval::{RealEnv, bound};
use super::interval::Arith;
use crate::engine::exact::{Budget, BudgetError};
use crate::expr::Expr;
use rug::{Integer, Rational};

/// Fails once the budget's deadline has passed.
pub(super) fn tick(budget: &Budget) -> Result<(), RealError> {
    match budget.deadline {
        Some(d) if std::time::Instant::now() > d => {
            Err(RealError::Budget(BudgetError::Time("interval evaluation")))
        }
        _ => Ok(()),
    }
}

/// `n` as a step count within the budget.
pub(super) fn check_steps(budget: &Budget, n: &Integer) -> Result<u64, RealError> {
    match n.to_u64() {
        Some(s) if s <= budget.max_steps => Ok(s),
        _ => Err(RealError::Budget(BudgetError::Steps {
            what: None,
            steps: n.clone(),
            limit: budget.max_steps,
        })),
    }
}

/// The integer bounds of a `sum`/`prod`.
pub(super) fn big_range(
    lo: &Expr,
    hi: &Expr,
    env: &mut RealEnv,
    ar: Arith,
    budget: &Budget,
) -> Result<(Integer, Integer), RealError> {
    let lo = bound(lo, env, ar, budget, "the lower bound of a sum/prod")?;
    let hi = bound(hi, env, ar, budget, "the upper bound of a sum/prod")?;
    Ok((lo, hi))
}

/// The integer start and end of a `rec`.
pub(super) fn rec_bounds(
    start: &Expr,
    end: &Expr,
    env: &mut RealEnv,
    ar: Arith,
    budget: &Budget,
) -> Result<(Integer, Integer), RealError> {
    let start = bound(start, env, ar, budget, "the start of rec")?;
    let end = bound(end, env, ar, budget, "the end of rec")?;
    Ok((start, end))
}

/// The number of steps of a `rec` from `start` to `end`, within the budget.
pub(super) fn rec_steps(start: &Integer, end: &Integer, budget: &Budget) -> Result<u64, RealError> {
    if end < start {
        return Err(RealError::Undefined(format!(
            "rec runs from {start} to the earlier {end}"
        )));
    }
    check_steps(budget, &Integer::from(end - start))
}

// the index is a big Integer: clippy's `zip` suggestion needs a `Step` type
/// `unit ⊕ term(lo) ⊕ … ⊕ term(hi)`: binds `var` to each index in turn (exactly, at the
/// working precision), evaluates the term, and accumulates with `acc`.
#[allow(clippy::too_many_arguments, clippy::explicit_counter_loop)]
pub(super) fn big_loop<V>(
    var: &str,
    (lo, hi): (Integer, Integer),
    unit: V,
    env: &mut RealEnv,
    ar: Arith,
    budget: &Budget,
    mut term: impl FnMut(&mut RealEnv, &Integer) -> Result<V, RealError>,
    mut acc: impl FnMut(V, V) -> V,
) -> Result<V, RealError> {
    if hi < lo {
        return Ok(unit);
    }
    let count = check_steps(budget, &(Integer::from(&hi - &lo) + 1))?;
    let mut total = unit;
    let mut i = lo;
    for k in 0..count {
        if k % 1024 == 0 {
            tick(budget)?;
        }
        env.push_exact(var, &Rational::from(i.clone()), ar.prec);
        let v = term(env, &i);
        env.pop();
        total = acc(total, v?);
        i += 1;
    }
    Ok(total)
}

/// `steps` steps of a recurrence from `x0`: binds `t` to each index in turn (exactly, at
/// the working precision) and applies `step` to the current state.
#[allow(clippy::explicit_counter_loop)]
pub(super) fn rec_loop<V>(
    t: &str,
    (start, steps): (Integer, u64),
    x0: V,
    env: &mut RealEnv,
    ar: Arith,
    budget: &Budget,
    mut step: impl FnMut(&mut RealEnv, V) -> Result<V, RealError>,
) -> Result<V, RealError> {
    let mut cur = x0;
    let mut ti = start;
    for k in 0..steps {
        if k % 1024 == 0 {
            tick(budget)?;
        }
        env.push_exact(t, &Rational::from(ti.clone()), ar.prec);
        let next = step(env, cur);
        env.pop();
        cur = next?;
        ti += 1;
    }
    Ok(cur)
}
