//! Symbolic differentiation of expressions: `d e / d x` as an expression of the same
//! language, for the Taylor forms that prove touching inequalities (and for anything else
//! that needs a derivative written out).
//!
//! The rules are the textbook ones (sum, product, quotient, chain rule; `a^b` by the
//! exponent-constant rule when `b` does not use `x`, by `a^b (b' ln a + b a'/a)` otherwise).
//! A subexpression that does not use `x` has derivative 0. Kinks and jumps (`abs`, `min`,
//! `max`, `floor`, `ceil`), products over an index and recurrences that use `x` have no
//! formula here: the result is `None`, and a caller that needs a derivative proves nothing.
//! The formula is a derivative wherever it (and the expression) has a value; callers that
//! rely on differentiability on a set check that the formula is defined on the whole set.

use super::{BigOp, BinOp, Expr, Func};
use rug::Rational;

/// `d e / d x`, or `None` where a rule is missing (see the module's doc).
pub fn derivative(e: &Expr, x: &str) -> Option<Expr> {
    if !e.free_vars().contains(x) {
        return Some(zero());
    }
    Some(match e {
        Expr::Num(_) => zero(),
        Expr::Var(n) => {
            if n == x {
                Expr::num(1)
            } else {
                zero()
            }
        }
        Expr::Neg(a) => neg(derivative(a, x)?),
        Expr::Bin(op, a, b) => {
            let (da, db) = (derivative(a, x)?, derivative(b, x)?);
            let (a, b) = ((**a).clone(), (**b).clone());
            match op {
                BinOp::Add => add(da, db),
                BinOp::Sub => sub(da, db),
                BinOp::Mul => add(mul(da, b.clone()), mul(a, db)),
                // (a' b - a b') / b^2
                BinOp::Div => div(
                    sub(mul(da, b.clone()), mul(a, db)),
                    Expr::bin(BinOp::Pow, b, Expr::num(2)),
                ),
                BinOp::Pow => pow_rule(a, b, da, db, x),
            }
        }
        Expr::Call(f, args) => {
            let a = &args[0];
            let da = derivative(a, x)?;
            match f {
                Func::Exp => mul(da, e.clone()),
                Func::Ln => div(da, a.clone()),
                // a' / (2 sqrt(a))
                Func::Sqrt => div(da, mul(Expr::num(2), e.clone())),
                Func::Abs | Func::Floor | Func::Ceil | Func::Min | Func::Max | Func::Opaque(_) => {
                    return None;
                }
            }
        }
        Expr::Big {
            op: BigOp::Sum,
            var,
            lo,
            hi,
            body,
        } if var != x && !lo.free_vars().contains(x) && !hi.free_vars().contains(x) => Expr::Big {
            op: BigOp::Sum,
            var: var.clone(),
            lo: lo.clone(),
            hi: hi.clone(),
            body: Box::new(derivative(body, x)?),
        },
        Expr::Big { .. } | Expr::Rec { .. } => return None,
    })
}

/// The `k`-th derivative (`k = 0` is `e` itself).
pub fn nth_derivative(e: &Expr, x: &str, k: u32) -> Option<Expr> {
    let mut d = e.clone();
    for _ in 0..k {
        d = derivative(&d, x)?;
    }
    Some(d)
}

/// `(a^b)'`: `b a^(b-1) a'` when `b` does not use `x`; `a^b ln(a) b'` when `a` does not;
/// else `a^b (b' ln a + b a'/a)`.
fn pow_rule(a: Expr, b: Expr, da: Expr, db: Expr, x: &str) -> Expr {
    let p = Expr::bin(BinOp::Pow, a.clone(), b.clone());
    if !b.free_vars().contains(x) {
        let b_minus_1 = match &b {
            Expr::Num(q) => Expr::Num(Rational::from(q - 1u32)),
            _ => Expr::bin(BinOp::Sub, b.clone(), Expr::num(1)),
        };
        return mul(mul(b, Expr::bin(BinOp::Pow, a, b_minus_1)), da);
    }
    let ln_a = Expr::Call(Func::Ln, vec![a.clone()]);
    if !a.free_vars().contains(x) {
        return mul(mul(p, ln_a), db);
    }
    mul(p, add(mul(db, ln_a), div(mul(b, da), a)))
}

fn zero() -> Expr {
    Expr::num(0)
}

fn is(e: &Expr, v: i32) -> bool {
    matches!(e, Expr::Num(q) if *q == v)
}

/// `a + b`, dropping a literal 0 (a derivative of a constant).
fn add(a: Expr, b: Expr) -> Expr {
    if is(&a, 0) {
        b
    } else if is(&b, 0) {
        a
    } else {
        Expr::bin(BinOp::Add, a, b)
    }
}

/// `a - b`, dropping a literal 0.
fn sub(a: Expr, b: Expr) -> Expr {
    if is(&b, 0) {
        a
    } else if is(&a, 0) {
        neg(b)
    } else {
        Expr::bin(BinOp::Sub, a, b)
    }
}

fn neg(a: Expr) -> Expr {
    if is(&a, 0) { a } else { Expr::Neg(Box::new(a)) }
}

/// `a * b`; a literal 0 factor (the derivative of a constant) gives 0: the other factor is a
/// subexpression whose value the caller establishes where it needs it.
fn mul(a: Expr, b: Expr) -> Expr {
    if is(&a, 0) || is(&b, 0) {
        zero()
    } else if is(&a, 1) {
        b
    } else if is(&b, 1) {
        a
    } else {
        Expr::bin(BinOp::Mul, a, b)
    }
}

/// `a / b`; `0 / b` is 0 (`b` is a subexpression of the original, or its square).
fn div(a: Expr, b: Expr) -> Expr {
    if is(&a, 0) {
        zero()
    } else {
        Expr::bin(BinOp::Div, a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::exact::{Budget, Env, eval};
    use crate::expr::parse_expr;

    /// The derivative's exact value at `x = v` (other names: `y = 3`).
    fn d_at(src: &str, v: &str) -> Option<Rational> {
        let e = parse_expr(src).unwrap();
        let d = derivative(&e, "x")?;
        let mut env = Env::new();
        env.push("x", v.parse().unwrap());
        env.push("y", Rational::from(3));
        eval(&d, &mut env, &Budget::default()).ok()
    }

    #[test]
    fn textbook_rules_at_exact_points() {
        let q = |s: &str| s.parse::<Rational>().unwrap();
        assert_eq!(d_at("x^3 - 2*x + y", "2"), Some(q("10")));
        assert_eq!(d_at("x*y/(1 + x)", "1"), Some(q("3/4")));
        assert_eq!(d_at("(1 + x)^(1/2)", "3"), Some(q("1/4")));
        assert_eq!(d_at("sqrt(1 + x)", "3"), Some(q("1/4")));
        assert_eq!(d_at("ln(1 + x) - x/(1 + x)", "0"), Some(q("0")));
        assert_eq!(d_at("exp(x) - 1 - x", "0"), Some(q("0")));
        assert_eq!(d_at("sum(i, 1, 4, x^i)", "1"), Some(q("10")));
        // the index shadows x: the sum does not depend on x
        assert_eq!(d_at("sum(x, 1, 4, x^2)", "1"), Some(q("0")));
        assert!(d_at("2^x", "0").is_none(), "ln 2 is irrational");
        assert!(derivative(&parse_expr("abs(x)").unwrap(), "x").is_none());
        assert!(derivative(&parse_expr("prod(i, 1, 3, x + i)").unwrap(), "x").is_none());
        // second derivative of x^4 at 1 is 12
        let e = parse_expr("x^4").unwrap();
        let d2 = nth_derivative(&e, "x", 2).unwrap();
        let mut env = Env::new();
        env.push("x", Rational::from(1));
        assert_eq!(eval(&d2, &mut env, &Budget::default()), Ok(q("12")));
    }
}
