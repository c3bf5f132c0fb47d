//! The exact engine: the value of an [`Expr`] as a `rug::Rational` at exact parameter values,
//! whenever that value is rational. It never rounds: when a value is irrational
//! (`2^(1/2)`, `exp(1)`, `ln 2`) it says so with [`ExactError::Irrational`], and when a side
//! is undefined (division by zero, `ln 0`) it says that.
//!
//! Recurrences `rec(x, t, start, end, init, step)` whose step is affine in `x`,
//! `x(t+1) = P(t) x(t) + Q(t)`, go through integer binary splitting: each step becomes an
//! integer affine map `x -> (A x + B) / C` (with `C = lcm(den P, den Q)`), adjacent maps are
//! composed in a balanced product tree `(A2, B2, C2)∘(A1, B1, C1) = (A2 A1, A2 B1 + B2 C1, C1 C2)`
//! and only the final result is reduced to lowest terms. Long recurrences (2^15 steps or
//! more) also carry the known prime factors of each map's `A` and `C` (a sieve over the
//! step's polynomials), divide the factors `A2` and `C1` share out of every composition, and
//! reduce the result from the denominator's factorization instead of a gcd (module
//! `content`). Sums and products are reduced the same balanced way. Any other recurrence is
//! stepped exactly.
//!
//! Every evaluation runs under a [`Budget`]: a cap on steps (terms of a sum, iterations of a
//! recurrence), on the size of any intermediate number in bits, and on wall-clock time. A
//! budget overrun is an error that names which limit was hit, never a hang.

pub mod alg;
mod binders;
mod content;
mod fold;
mod ratfn;
mod rec;

pub use crate::decimal::{DECIMAL_EXACT_BITS, approx, decimal_enclosure, float_decimal};
use binders::big;
pub use fold::{affine_split, fold_constants, fold_exact};
pub use ratfn::{AffinePoly, IntRatFn, horner_small, small_coefficients};
use rec::rec;
pub use rec::{AffineMap, compose_tree, rec_affine_naive};

use crate::expr::{BigOp, BinOp, Expr, Func};
use rug::ops::NegAssign;
use rug::ops::Pow;
use rug::{Assign, Integer, Rational};
use std::time::{Duration, Instant};

/// Limits for one exact evaluation.
#[derive(Clone, Debug)]
pub struct Budget {
    /// most terms of one sum/product or iterations of one recurrence
    pub max_steps: u64,
    /// most bits (numerator plus denominator) of any intermediate rational
    pub max_bits: u64,
    /// give up after this instant
    pub deadline: Option<Instant>,
}

/// The wall-clock allowance of a default budget, counted from its creation: no evaluation
/// runs unbounded, even where a caller set no limit of its own.
pub const DEFAULT_TIME: Duration = Duration::from_secs(120);

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_steps: 10_000_000,
            max_bits: 1 << 28,
            deadline: Some(Instant::now() + DEFAULT_TIME),
        }
    }
}

impl Budget {
    /// The default limits with a wall-clock allowance starting now.
    pub fn with_time(limit: Duration) -> Budget {
        Budget {
            deadline: Some(Instant::now() + limit),
            ..Budget::default()
        }
    }

    fn tick(&self) -> Result<(), ExactError> {
        match self.deadline {
            Some(d) if Instant::now() > d => {
                Err(ExactError::Budget(BudgetError::Time("exact evaluation")))
            }
            _ => Ok(()),
        }
    }

    fn check_size(&self, v: &Rational) -> Result<(), ExactError> {
        let bits =
            u64::from(v.numer().significant_bits()) + u64::from(v.denom().significant_bits());
        if bits > self.max_bits {
            return Err(ExactError::Budget(BudgetError::Size(format!(
                "an intermediate value needs {bits} bits (limit {})",
                self.max_bits
            ))));
        }
        Ok(())
    }

    fn check_steps(&self, what: &str, steps: &Integer) -> Result<u64, ExactError> {
        match steps.to_u64() {
            Some(s) if s <= self.max_steps => Ok(s),
            _ => Err(ExactError::Budget(BudgetError::Steps {
                what: Some(what.to_string()),
                steps: steps.clone(),
                limit: self.max_steps,
            })),
        }
    }
}

/// Why an exact value could not be produced.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExactError {
    /// No exact value: an intermediate value is irrational and the engine could not carry
    /// it through. The value itself may be rational, irrational or even undefined.
    #[error("no exact value: {0}")]
    NotRational(String),
    /// The value exists and is proven irrational.
    #[error("irrational: {0}")]
    Irrational(String),
    /// The expression has no value here (division by zero, logarithm of a non-positive number).
    #[error("undefined: {0}")]
    Undefined(String),
    /// A name with no value.
    #[error("unknown name `{0}`")]
    Unbound(String),
    /// An argument that must be an integer is not (bounds of sums and recurrences).
    #[error("not an integer: {0}")]
    NotInteger(String),
    /// A size, step or time limit was hit.
    #[error("{0}")]
    Budget(BudgetError),
}

/// Which limit of a [`Budget`] an evaluation reached (both engines report these);
/// [`Display`](std::fmt::Display) gives the message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum BudgetError {
    /// the wall-clock deadline passed during the named evaluation ("exact evaluation",
    /// "interval evaluation")
    Time(&'static str),
    /// a loop would take more steps than allowed
    Steps {
        /// what would take them (`None`: a loop of the interval engine)
        what: Option<String>,
        /// how many
        steps: Integer,
        /// the limit
        limit: u64,
    },
    /// an exact value would be too large; the detail says which and how large
    Size(String),
    /// a magnitude or exponent beyond what the engines represent
    Range(String),
    /// an opaque function (a quantity computed outside the expression language, such as
    /// the law of a construction) stopped: its budget, or no value over a box
    Opaque(String),
}

/// [`BudgetError`] as shard documents carry it back: the evaluation name of `Time` as an
/// owned string, mapped back to the engines' names (any other is refused).
#[derive(serde::Deserialize)]
enum BudgetErrorRepr {
    Time(String),
    Steps {
        what: Option<String>,
        steps: Integer,
        limit: u64,
    },
    Size(String),
    Range(String),
    Opaque(String),
}

impl<'de> serde::Deserialize<'de> for BudgetError {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match BudgetErrorRepr::deserialize(d)? {
            BudgetErrorRepr::Time(s) => BudgetError::Time(
                ["exact evaluation", "interval evaluation"]
                    .into_iter()
                    .find(|k| *k == s)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown evaluation `{s}`")))?,
            ),
            BudgetErrorRepr::Steps { what, steps, limit } => {
                BudgetError::Steps { what, steps, limit }
            }
            BudgetErrorRepr::Size(m) => BudgetError::Size(m),
            BudgetErrorRepr::Range(m) => BudgetError::Range(m),
            BudgetErrorRepr::Opaque(m) => BudgetError::Opaque(m),
        })
    }
}

impl std::fmt::Display for BudgetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BudgetError::Time(during) => write!(f, "time budget exceeded during {during}"),
            BudgetError::Steps {
                what: Some(what),
                steps,
                limit,
            } => write!(
                f,
                "step budget exceeded: {what} would take {steps} steps (limit {limit})"
            ),
            BudgetError::Steps {
                what: None,
                steps,
                limit,
            } => write!(f, "step budget exceeded: {steps} steps (limit {limit})"),
            BudgetError::Size(detail) => write!(f, "size budget exceeded: {detail}"),
            BudgetError::Range(m) | BudgetError::Opaque(m) => write!(f, "{m}"),
        }
    }
}

/// A scoped environment of exact values: later bindings shadow earlier ones.
#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: Vec<(String, Rational)>,
}

impl Env {
    /// An empty environment.
    pub fn new() -> Env {
        Env::default()
    }

    /// Binds `name` (shadowing any earlier binding).
    pub fn push(&mut self, name: &str, v: Rational) {
        self.vars.push((name.to_string(), v));
    }

    /// Removes the latest binding.
    pub fn pop(&mut self) {
        self.vars.pop();
    }

    /// The value of `name`, if bound.
    pub fn get(&self, name: &str) -> Option<&Rational> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Every binding, earliest first.
    pub fn bindings(&self) -> impl Iterator<Item = (&str, &Rational)> {
        self.vars.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Number of bindings (to restore a scope with [`Env::truncate`]).
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

    /// Overwrites the latest binding of `name`, or binds it.
    fn set_top(&mut self, name: &str, v: Rational) {
        if let Some(last) = self.vars.last_mut()
            && last.0 == name
        {
            last.1 = v;
            return;
        }
        self.push(name, v);
    }
}

/// The exact value of `e` under `env`. Rational arithmetic first; when an intermediate value
/// is irrational, exact algebra on products of rational powers and `exp` ([`alg`]) decides
/// whether the value is rational after all (`sqrt(2)^2`), undefined (`ln(0*exp(1))`) or
/// proven irrational ([`ExactError::Irrational`]).
pub fn eval(e: &Expr, env: &mut Env, budget: &Budget) -> Result<Rational, ExactError> {
    match eval_q(e, env, budget) {
        Err(ExactError::NotRational(m)) | Err(ExactError::Irrational(m)) => {
            match alg::eval(e, env, budget) {
                Ok(a) => match a.as_rational() {
                    Some(q) => Ok(q.clone()),
                    None => Err(ExactError::Irrational(format!("the value is {a}"))),
                },
                Err(ExactError::NotRational(_)) => Err(ExactError::NotRational(m)),
                Err(other) => Err(other),
            }
        }
        r => r,
    }
}

/// Rational evaluation only (no exact algebra): what the fast paths use.
fn eval_q(e: &Expr, env: &mut Env, budget: &Budget) -> Result<Rational, ExactError> {
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || eval_node(e, env, budget))
}

fn eval_node(e: &Expr, env: &mut Env, budget: &Budget) -> Result<Rational, ExactError> {
    let v = match e {
        Expr::Num(v) => return Ok(v.clone()),
        Expr::Var(n) => {
            return env
                .get(n)
                .cloned()
                .ok_or_else(|| ExactError::Unbound(n.clone()));
        }
        Expr::Neg(a) => -eval_q(a, env, budget)?,
        Expr::Bin(op, a, b) => {
            let x = eval_q(a, env, budget)?;
            let y = eval_q(b, env, budget)?;
            binop(*op, x, y, budget)?
        }
        Expr::Call(f @ (Func::Floor | Func::Ceil), args) => match eval_q(&args[0], env, budget) {
            Ok(x) => {
                if *f == Func::Floor {
                    x.floor()
                } else {
                    x.ceil()
                }
            }
            // the floor of a value with no rational form is still an integer: decided by
            // exact algebra or by enclosures at rising precision
            Err(ExactError::NotRational(_)) | Err(ExactError::Irrational(_)) => {
                Rational::from(alg::round(&args[0], *f == Func::Ceil, env, budget)?)
            }
            Err(e) => return Err(e),
        },
        Expr::Call(f, args) => {
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                vals.push(eval_q(a, env, budget)?);
            }
            call(*f, vals, budget)?
        }
        Expr::Big {
            op,
            var,
            lo,
            hi,
            body,
        } => big(*op, var, lo, hi, body, env, budget)?,
        Expr::Rec {
            x,
            t,
            start,
            end,
            init,
            step,
        } => rec(x, t, start, end, init, step, env, budget)?,
    };
    budget.check_size(&v)?;
    Ok(v)
}

/// Evaluates a closed expression (no free names).
pub fn eval_closed(e: &Expr, budget: &Budget) -> Result<Rational, ExactError> {
    eval(e, &mut Env::new(), budget)
}

fn binop(op: BinOp, x: Rational, y: Rational, budget: &Budget) -> Result<Rational, ExactError> {
    if op != BinOp::Pow {
        // the result of + - * / needs at most about bits(x) + bits(y) bits: refuse before
        // computing rather than after
        let est = bits(&x) + bits(&y);
        if est > budget.max_bits + 2 {
            return Err(too_big(est, budget));
        }
    }
    Ok(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => {
            if y == 0 {
                return Err(ExactError::Undefined(format!(
                    "division by zero ({}/0)",
                    short(&x)
                )));
            }
            x / y
        }
        BinOp::Pow => pow(&x, &y, budget)?,
    })
}

/// A rational as messages show it: exactly when short, else its size and a few digits
/// (writing out a 200-million-bit value in decimal would take longer than computing it).
pub struct Short<'a>(pub &'a Rational);

/// Most bits of a rational that messages write out in full.
pub const SHORT_BITS: u64 = 4096;

impl std::fmt::Display for Short<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = bits(self.0);
        if b <= SHORT_BITS {
            return write!(f, "{}", self.0);
        }
        let v = rug::Float::with_val(64, self.0);
        write!(
            f,
            "≈ {} (a rational of {b} bits)",
            v.to_string_radix(10, Some(6)).replace("e+", "e")
        )
    }
}

/// `q` for messages: see [`Short`].
pub fn short(q: &Rational) -> Short<'_> {
    Short(q)
}

/// The size-budget error for an intermediate value of about `est` bits.
fn too_big(est: u64, budget: &Budget) -> ExactError {
    ExactError::Budget(BudgetError::Size(format!(
        "an intermediate value would need about {est} bits (limit {})",
        budget.max_bits
    )))
}

fn bits(v: &Rational) -> u64 {
    u64::from(v.numer().significant_bits()) + u64::from(v.denom().significant_bits())
}

/// `x^y` for rational x and y, when rational. Follows the real-analysis convention: a
/// negative base with a non-integer exponent is undefined, `0^y` is undefined for `y < 0`
/// and `0^0 = 1`.
pub fn pow(x: &Rational, y: &Rational, budget: &Budget) -> Result<Rational, ExactError> {
    if y.is_integer() {
        if *x == 0 {
            return match y.cmp0() {
                std::cmp::Ordering::Less => Err(ExactError::Undefined(format!(
                    "0 to the negative power {}",
                    short(y)
                ))),
                std::cmp::Ordering::Equal => Ok(Rational::from(1)),
                std::cmp::Ordering::Greater => Ok(Rational::new()),
            };
        }
        if x.numer().cmp_abs(x.denom()) == std::cmp::Ordering::Equal {
            // |x| = 1
            let odd = y.numer().is_odd();
            return Ok(if *x < 0 && odd {
                Rational::from(-1)
            } else {
                Rational::from(1)
            });
        }
        let e = y.numer().clone().abs();
        let est = e.to_u64().and_then(|e| e.checked_mul(bits(x)));
        match est {
            Some(b) if b <= budget.max_bits && e <= u32::MAX => {}
            _ => {
                return Err(ExactError::Budget(BudgetError::Size(format!(
                    "{}^{} needs about {} bits (limit {})",
                    alg::paren_rational(x),
                    short(y),
                    est.map_or_else(|| "more than 2^64".to_string(), |b| b.to_string()),
                    budget.max_bits
                ))));
            }
        }
        let e = e.to_u32().unwrap_or(0);
        let p = x.clone().pow(e);
        return Ok(if *y < 0 { p.recip() } else { p });
    }
    // non-integer exponent p/q, q >= 2
    if *x < 0 {
        return Err(ExactError::Undefined(format!(
            "negative base {} with non-integer exponent {}",
            short(x),
            short(y)
        )));
    }
    if *x == 0 {
        return if *y > 0 {
            Ok(Rational::new())
        } else {
            Err(ExactError::Undefined(format!(
                "0 to the negative power {}",
                short(y)
            )))
        };
    }
    if *x == 1 {
        return Ok(Rational::from(1));
    }
    let q = y.denom();
    let not_rational = || {
        ExactError::Irrational(format!(
            "{}^({}) is irrational",
            alg::paren_rational(x),
            short(y)
        ))
    };
    let maxb = u64::from(
        x.numer()
            .significant_bits()
            .max(x.denom().significant_bits()),
    );
    let q = match q.to_u32() {
        Some(q) if u64::from(q) <= maxb => q,
        // a q-th root of an integer other than 0 or 1 with fewer than q bits is irrational
        _ => return Err(not_rational()),
    };
    let rn = x.numer().clone().root(q);
    let rd = x.denom().clone().root(q);
    if rn.clone().pow(q) != *x.numer() || rd.clone().pow(q) != *x.denom() {
        return Err(not_rational());
    }
    let root = Rational::from((rn, rd));
    pow(&root, &Rational::from(y.numer().clone()), budget)
}

fn call(f: Func, mut v: Vec<Rational>, budget: &Budget) -> Result<Rational, ExactError> {
    if let Func::Opaque(id) = f {
        return opaque_value(id, &v);
    }
    let x = v[0].clone();
    Ok(match f {
        Func::Exp => {
            if x == 0 {
                Rational::from(1)
            } else {
                // Lindemann–Weierstrass: e^r is transcendental for rational r != 0
                return Err(ExactError::Irrational(format!(
                    "exp({}) is irrational",
                    short(&x)
                )));
            }
        }
        Func::Ln => {
            if x <= 0 {
                return Err(ExactError::Undefined(format!(
                    "ln of the non-positive {}",
                    short(&x)
                )));
            } else if x == 1 {
                Rational::new()
            } else {
                // ln r is transcendental for rational r > 0, r != 1 (Lindemann)
                return Err(ExactError::Irrational(format!(
                    "ln({}) is irrational",
                    short(&x)
                )));
            }
        }
        Func::Sqrt => {
            if x < 0 {
                return Err(ExactError::Undefined(format!(
                    "sqrt of the negative {}",
                    short(&x)
                )));
            }
            pow(&x, &Rational::from((1, 2)), budget)?
        }
        Func::Abs => x.abs(),
        Func::Floor => x.floor(),
        Func::Ceil => x.ceil(),
        Func::Min => v
            .drain(..)
            .reduce(|a, b| if b < a { b } else { a })
            .unwrap_or(x),
        Func::Max => v
            .drain(..)
            .reduce(|a, b| if b > a { b } else { a })
            .unwrap_or(x),
        Func::Opaque(_) => unreachable!("handled above"),
    })
}

/// The exact value of an opaque function at rational arguments.
pub(crate) fn opaque_value(
    id: crate::expr::opaque::OpaqueId,
    args: &[Rational],
) -> Result<Rational, ExactError> {
    use crate::expr::opaque::{OpaqueError, get};
    get(id).exact(args).map_err(|e| match e {
        OpaqueError::Undefined(m) => ExactError::Undefined(m),
        OpaqueError::Inexact(m) => ExactError::NotRational(m),
        OpaqueError::Failed(m) => ExactError::Budget(BudgetError::Opaque(m)),
    })
}

fn integer_of(e: &Expr, what: &str, env: &mut Env, budget: &Budget) -> Result<Integer, ExactError> {
    let v = match eval(e, env, budget) {
        Ok(v) => v,
        Err(ExactError::Irrational(m)) => {
            return Err(ExactError::NotInteger(format!(
                "{what} is irrational ({m})"
            )));
        }
        Err(e) => return Err(e),
    };
    if !v.is_integer() {
        return Err(ExactError::NotInteger(format!("{what} is {}", short(&v))));
    }
    Ok(v.numer().clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse_expr;

    fn q(s: &str) -> Rational {
        s.parse().unwrap()
    }

    fn ev(s: &str, vars: &[(&str, &str)]) -> Result<Rational, ExactError> {
        let mut env = Env::new();
        for (n, v) in vars {
            env.push(n, q(v));
        }
        eval(&parse_expr(s).unwrap(), &mut env, &Budget::default())
    }

    #[test]
    fn arithmetic() {
        assert_eq!(ev("1/3 + 1/6", &[]).unwrap(), q("1/2"));
        assert_eq!(
            ev("(1 - 1/n)^r", &[("n", "3"), ("r", "2")]).unwrap(),
            q("4/9")
        );
        assert_eq!(ev("2^-2", &[]).unwrap(), q("1/4"));
        assert_eq!(ev("(-2)^3", &[]).unwrap(), q("-8"));
        assert_eq!(ev("-2^2", &[]).unwrap(), q("-4"));
        assert_eq!(ev("0^0", &[]).unwrap(), q("1"));
        assert_eq!(ev("min(3, 1/2, 2) + max(1, 7/3)", &[]).unwrap(), q("17/6"));
        assert_eq!(
            ev("floor(-7/2) + ceil(7/2) + abs(-1/5)", &[]).unwrap(),
            q("1/5")
        );
        assert_eq!(ev("0.99*100", &[]).unwrap(), q("99"));
    }

    #[test]
    fn rational_powers_and_irrationals() {
        assert_eq!(ev("4^(1/2)", &[]).unwrap(), q("2"));
        assert_eq!(ev("(8/27)^(2/3)", &[]).unwrap(), q("4/9"));
        assert_eq!(ev("sqrt(9/4)", &[]).unwrap(), q("3/2"));
        assert_eq!(ev("0^(1/2)", &[]).unwrap(), q("0"));
        assert_eq!(ev("1^(1/3)", &[]).unwrap(), q("1"));
        assert!(matches!(ev("2^(1/2)", &[]), Err(ExactError::Irrational(_))));
        assert!(matches!(ev("exp(1)", &[]), Err(ExactError::Irrational(_))));
        assert!(matches!(ev("ln(2)", &[]), Err(ExactError::Irrational(_))));
        assert_eq!(ev("exp(0) + ln(1)", &[]).unwrap(), q("1"));
        assert!(matches!(
            ev("10^(1/1000)", &[]),
            Err(ExactError::Irrational(_))
        ));
    }

    #[test]
    fn undefined_points() {
        assert!(matches!(
            ev("1/(n-n)", &[("n", "2")]),
            Err(ExactError::Undefined(_))
        ));
        assert!(matches!(ev("ln(0)", &[]), Err(ExactError::Undefined(_))));
        assert!(matches!(ev("sqrt(-1)", &[]), Err(ExactError::Undefined(_))));
        assert!(matches!(
            ev("(-8)^(1/3)", &[]),
            Err(ExactError::Undefined(_))
        ));
        assert!(matches!(ev("0^-1", &[]), Err(ExactError::Undefined(_))));
        assert!(matches!(ev("x + 1", &[]), Err(ExactError::Unbound(ref n)) if n == "x"));
        assert!(matches!(
            ev("sum(i, 1/2, 3, i)", &[]),
            Err(ExactError::NotInteger(_))
        ));
    }

    #[test]
    fn budgets_end_with_a_message() {
        let e = ev("rec(x, t, 1, 10^12, 0, x + 1/t)", &[]).unwrap_err();
        assert!(
            matches!(e, ExactError::Budget(BudgetError::Steps { .. }))
                && e.to_string().contains("step budget"),
            "{e}"
        );
        let e = ev("2^(10^12)", &[]).unwrap_err();
        assert!(
            matches!(e, ExactError::Budget(BudgetError::Size(_)))
                && e.to_string().contains("size budget"),
            "{e}"
        );
        let e = ev("3^(2^40)", &[]).unwrap_err();
        assert!(matches!(e, ExactError::Budget(_)));
        let small = Budget {
            max_bits: 1 << 16,
            ..Budget::default()
        };
        for src in ["rec(x, t, 0, 100, 2, x^2)", "rec(x, t, 0, 100, 2, x*x)"] {
            let e = eval(&parse_expr(src).unwrap(), &mut Env::new(), &small).unwrap_err();
            assert!(
                matches!(e, ExactError::Budget(BudgetError::Size(_)))
                    && e.to_string().contains("size"),
                "{e}"
            );
        }
        let b = Budget::with_time(Duration::from_millis(0));
        std::thread::sleep(Duration::from_millis(2));
        let e = eval(
            &parse_expr("sum(i, 1, 100000, 1/i)").unwrap(),
            &mut Env::new(),
            &b,
        )
        .unwrap_err();
        assert!(
            matches!(e, ExactError::Budget(BudgetError::Time(_))) && e.to_string().contains("time"),
            "{e}"
        );
    }

    #[test]
    fn sums_products_and_recurrences() {
        assert_eq!(ev("sum(i, 1, 4, 1/i)", &[]).unwrap(), q("25/12"));
        assert_eq!(ev("prod(i, 1, 5, i)", &[]).unwrap(), q("120"));
        assert_eq!(ev("sum(i, 3, 2, i)", &[]).unwrap(), q("0"));
        assert_eq!(ev("prod(i, 3, 2, i)", &[]).unwrap(), q("1"));
        // affine: x_{t+1} = x_t/2 + 1 from x_0 = 0: x_3 = 7/4
        assert_eq!(ev("rec(x, t, 0, 3, 0, x/2 + 1)", &[]).unwrap(), q("7/4"));
        // non-affine: x_{t+1} = x_t^2 + t
        assert_eq!(ev("rec(x, t, 0, 3, 1, x^2 + t)", &[]).unwrap(), q("6"));
        assert_eq!(ev("rec(x, t, 5, 5, 9, x^2)", &[]).unwrap(), q("9"));
        // shadowing: the inner sum rebinds i
        assert_eq!(ev("sum(i, 1, 2, sum(i, 1, 3, i))", &[]).unwrap(), q("12"));
        assert!(ev("rec(x, t, 5, 4, 0, x)", &[]).is_err());
    }

    #[test]
    fn affine_split_recognises_affine_steps() {
        let s = parse_expr("(1 + a/(0.99*t))*x + y/t").unwrap();
        assert!(affine_split(&s, "x").is_some());
        let s = parse_expr("-(x - t)/2 + 3*(x*t)").unwrap();
        assert!(affine_split(&s, "x").is_some());
        for non in ["x^2", "x*x", "1/x", "exp(x)", "sum(i, 1, 2, x)"] {
            assert!(
                affine_split(&parse_expr(non).unwrap(), "x").is_none(),
                "{non}"
            );
        }
    }

    #[test]
    fn binary_splitting_matches_stepping() {
        let step = parse_expr("(1 + a/(0.99*t))*x + 1/(t*n)").unwrap();
        let mut env = Env::new();
        env.push("a", q("1/100"));
        env.push("n", q("10"));
        let b = Budget::default();
        let naive = rec_affine_naive("x", "t", 1, 500, q("0"), &step, &mut env, &b).unwrap();
        let fast = ev(
            "rec(x, t, 1, 500, 0, (1 + a/(0.99*t))*x + 1/(t*n))",
            &[("a", "1/100"), ("n", "10")],
        )
        .unwrap();
        assert_eq!(naive, fast);
    }

    /// Leaves computed in 128-bit integers and grouped while they fit, big integers where
    /// they do not (coefficients past 2^62 midway, at t near 2^31 with t^2 terms), negative
    /// t and signs: the same value as stepping one exact rational at a time.
    #[test]
    fn machine_and_big_leaves_give_the_same_value() {
        let b = Budget::default();
        for (from, to, step) in [
            (2_147_482_000i64, 2_147_485_000i64, "(1 + 1/t^2)*x + 3/t"),
            (-700, -2, "(t - 7)/(t^2 + 3)*x - 5/t"),
            (1, 3000, "(2*t + 1)/(3*t - 1)*x + 1/(t + 1)"),
        ] {
            let e = parse_expr(step).unwrap();
            let naive =
                rec_affine_naive("x", "t", from, to, q("1/3"), &e, &mut Env::new(), &b).unwrap();
            let fast = ev(&format!("rec(x, t, {from}, {to}, 1/3, {step})"), &[]).unwrap();
            assert_eq!(naive, fast, "{step} from {from}");
        }
    }

    #[test]
    fn approx_formats() {
        assert_eq!(approx(&q("1"), 6), "1");
        assert_eq!(approx(&q("1/3"), 6), "0.333333");
        assert_eq!(approx(&q("2/3"), 3), "0.667");
        assert_eq!(approx(&q("-12"), 6), "-12");
        assert_eq!(approx(&q("1/1000000000"), 3), "1e-9");
        assert_eq!(approx(&q("123456789"), 3), "1.23e8");
        assert_eq!(approx(&q("9999/1000"), 3), "10");
        assert_eq!(approx(&q("999999/10"), 3), "1e5");
        assert_eq!(approx(&q("1/100"), 6), "0.01");
    }
}
