//! Exact folding: every part of an expression that has an exact value at the given
//! bindings replaced by it ([`fold_exact`], [`fold_constants`]), and the affine split
//! `e = P·x + Q` ([`affine_split`]) that recurrences and best-constant searches use.

use super::*;

/// Splits `e` as `P*x + Q` with `P`, `Q` free of `x`, if `e` is affine in `x`.
pub fn affine_split(e: &Expr, x: &str) -> Option<(Expr, Expr)> {
    if !e.mentions(x) {
        return Some((Expr::num(0), e.clone()));
    }
    match e {
        Expr::Var(v) if v == x => Some((Expr::num(1), Expr::num(0))),
        Expr::Neg(a) => {
            let (p, q) = affine_split(a, x)?;
            Some((neg(p), neg(q)))
        }
        Expr::Bin(op @ (BinOp::Add | BinOp::Sub), a, b) => {
            let (pa, qa) = affine_split(a, x)?;
            let (pb, qb) = affine_split(b, x)?;
            Some((mk(*op, pa, pb), mk(*op, qa, qb)))
        }
        Expr::Bin(BinOp::Mul, a, b) => {
            if !a.mentions(x) {
                let (p, q) = affine_split(b, x)?;
                Some((
                    mk(BinOp::Mul, (**a).clone(), p),
                    mk(BinOp::Mul, (**a).clone(), q),
                ))
            } else if !b.mentions(x) {
                let (p, q) = affine_split(a, x)?;
                Some((
                    mk(BinOp::Mul, p, (**b).clone()),
                    mk(BinOp::Mul, q, (**b).clone()),
                ))
            } else {
                None
            }
        }
        Expr::Bin(BinOp::Div, a, b) if !b.mentions(x) => {
            let (p, q) = affine_split(a, x)?;
            Some((
                mk(BinOp::Div, p, (**b).clone()),
                mk(BinOp::Div, q, (**b).clone()),
            ))
        }
        _ => None,
    }
}

pub(super) fn is_lit(e: &Expr, v: i32) -> bool {
    matches!(e, Expr::Num(n) if *n == v)
}

pub(super) fn neg(e: Expr) -> Expr {
    if is_lit(&e, 0) {
        e
    } else {
        Expr::Neg(Box::new(e))
    }
}

/// Whether `e` has a value wherever its names do: a literal or a name. Only such a factor may
/// disappear behind a zero, since `0 * e` is undefined wherever `e` is.
pub(super) fn always_defined(e: &Expr) -> bool {
    matches!(e, Expr::Num(_) | Expr::Var(_))
}

/// Builds `a op b`, dropping additions of 0 and multiplications by 1, and multiplications by
/// 0 when the other factor always has a value (so that the affine coefficients stay as small
/// as the step the user wrote, and undefinedness is never lost). Division by a literal 0 is
/// kept so that it is reported where it happens.
pub(super) fn mk(op: BinOp, a: Expr, b: Expr) -> Expr {
    match op {
        BinOp::Add if is_lit(&a, 0) => b,
        BinOp::Add | BinOp::Sub if is_lit(&b, 0) => a,
        BinOp::Sub if is_lit(&a, 0) => neg(b),
        BinOp::Mul
            if (is_lit(&a, 0) && always_defined(&b)) || (is_lit(&b, 0) && always_defined(&a)) =>
        {
            Expr::num(0)
        }
        BinOp::Mul if is_lit(&a, 1) => b,
        BinOp::Mul | BinOp::Div if is_lit(&b, 1) => a,
        BinOp::Div if is_lit(&a, 0) && matches!(&b, Expr::Num(v) if *v != 0) => Expr::num(0),
        _ => Expr::bin(op, a, b),
    }
}

/// `e` with every subexpression whose value is rational under `env` replaced by that value,
/// bottom-up, also inside subexpressions that are irrational as a whole: what the interval
/// engine then sees is exact wherever it can be (`(a - a)^sqrt(2)` has the base `0`, not a
/// tiny interval around it). Bodies of binders are left alone; a subexpression that fails
/// to evaluate is kept, so undefinedness surfaces where it is.
pub fn fold_exact(e: &Expr, env: &mut Env, budget: &Budget) -> Expr {
    let b = Budget {
        max_steps: budget.max_steps.min(1_000_000),
        max_bits: budget.max_bits.min(1 << 20),
        deadline: budget.deadline,
    };
    fold_exact_in(e, env, &b)
}

pub(super) fn fold_exact_in(e: &Expr, env: &mut Env, b: &Budget) -> Expr {
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || {
        let rebuilt = match e {
            Expr::Num(_) => return e.clone(),
            Expr::Var(n) => {
                return env
                    .get(n)
                    .map_or_else(|| e.clone(), |v| Expr::Num(v.clone()));
            }
            _ => e.map_outer(|c| fold_exact_in(c, env, b)),
        };
        let leaves_exact = rebuilt.children().iter().all(|c| matches!(c, Expr::Num(_)));
        let binder = matches!(rebuilt, Expr::Big { .. } | Expr::Rec { .. });
        if (leaves_exact || binder)
            && let Ok(v) = eval_q(&rebuilt, env, b)
        {
            return Expr::Num(v);
        }
        rebuilt
    })
}

/// Replaces every maximal subexpression that does not use any of `vary` (and whose value is
/// exact under `env`) by its value, so that an expression evaluated many times with only
/// `vary` changing does no repeated work. Subexpressions that fail to evaluate are kept as
/// they are, so the error surfaces where and if they are actually used.
pub fn fold_constants(e: &Expr, env: &mut Env, vary: &[&str]) -> Expr {
    let fv = e.free_vars();
    if !vary.iter().any(|v| fv.contains(*v)) {
        if matches!(e, Expr::Num(_)) {
            return e.clone();
        }
        // cheap budget: folding is an optimisation, never the place to spend a large budget
        let b = Budget {
            max_steps: 1_000_000,
            max_bits: 1 << 20,
            deadline: None,
        };
        if let Ok(v) = eval_q(e, env, &b) {
            return Expr::Num(v);
        }
        return e.clone();
    }
    // binders: only their bounds are folded (bodies see extra bound names)
    e.map_outer(|c| fold_constants(c, env, vary))
}
