//! The exact engine: the value of an [`Expr`] as a `rug::Rational` at exact parameter values,
//! whenever that value is rational. It never rounds: when a value is irrational
//! (`2^(1/2)`, `exp(1)`, `ln 2`) it says so with [`ExactError::Irrational`], and when a side
//! is undefined (division by zero, `ln 0`) it says that.
//!
//! Recurrences `rec(x, t, start, end, init, step)` whose step is affine in `x`,
//! `x(t+1) = P(t) x(t) + Q(t)`, go through integer binary splitting: each step becomes an
//! integer affine map `x -> (A x + B) / C` (with `C = lcm(den P, den Q)`), adjacent maps are
//! composed in a balanced product tree `(A2, B2, C2)∘(A1, B1, C1) = (A2 A1, A2 B1 + B2 C1, C1 C2)`
//! and only the final result is reduced to lowest terms. Sums and products are reduced the
//! same balanced way. Any other recurrence is stepped exactly.
//!
//! Every evaluation runs under a [`Budget`]: a cap on steps (terms of a sum, iterations of a
//! recurrence), on the size of any intermediate number in bits, and on wall-clock time. A
//! budget overrun is an error that names which limit was hit, never a hang.

pub mod alg;

pub use crate::decimal::{DECIMAL_EXACT_BITS, approx, decimal_enclosure, float_decimal};

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
            Some(d) if Instant::now() > d => Err(ExactError::Budget(
                "time budget exceeded during exact evaluation".into(),
            )),
            _ => Ok(()),
        }
    }

    fn check_size(&self, v: &Rational) -> Result<(), ExactError> {
        let bits =
            u64::from(v.numer().significant_bits()) + u64::from(v.denom().significant_bits());
        if bits > self.max_bits {
            return Err(ExactError::Budget(format!(
                "size budget exceeded: an intermediate value needs {bits} bits (limit {})",
                self.max_bits
            )));
        }
        Ok(())
    }

    fn check_steps(&self, what: &str, steps: &Integer) -> Result<u64, ExactError> {
        match steps.to_u64() {
            Some(s) if s <= self.max_steps => Ok(s),
            _ => Err(ExactError::Budget(format!(
                "step budget exceeded: {what} would take {steps} steps (limit {})",
                self.max_steps
            ))),
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
    Budget(String),
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
            return Err(ExactError::Budget(format!(
                "size budget exceeded: an intermediate value would need about {est} bits (limit {})",
                budget.max_bits
            )));
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
    ExactError::Budget(format!(
        "size budget exceeded: an intermediate value would need about {est} bits (limit {})",
        budget.max_bits
    ))
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
                return Err(ExactError::Budget(format!(
                    "size budget exceeded: {}^{} needs about {} bits (limit {})",
                    alg::paren_rational(x),
                    short(y),
                    est.map_or_else(|| "more than 2^64".to_string(), |b| b.to_string()),
                    budget.max_bits
                )));
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

/// Combines values with `op` along a balanced tree, so that sizes grow evenly (a running
/// left-to-right fold of n rationals costs O(n^2) in their sizes).
struct TreeFold {
    op: BigOp,
    /// stack of (level, partial result): a binary counter
    stack: Vec<(u32, Rational)>,
}

impl TreeFold {
    fn new(op: BigOp) -> Self {
        TreeFold {
            op,
            stack: Vec::new(),
        }
    }

    fn combine(&self, a: Rational, b: Rational) -> Rational {
        match self.op {
            BigOp::Sum => a + b,
            BigOp::Prod => a * b,
        }
    }

    fn push(&mut self, v: Rational, budget: &Budget) -> Result<(), ExactError> {
        let mut cur = (0u32, v);
        while let Some((lvl, _)) = self.stack.last() {
            if *lvl != cur.0 {
                break;
            }
            let (lvl, prev) = self.stack.pop().expect("checked non-empty");
            let c = self.combine(prev, cur.1);
            budget.check_size(&c)?;
            cur = (lvl + 1, c);
        }
        self.stack.push(cur);
        Ok(())
    }

    fn finish(mut self, budget: &Budget) -> Result<Rational, ExactError> {
        let mut acc = match self.op {
            BigOp::Sum => Rational::new(),
            BigOp::Prod => Rational::from(1),
        };
        while let Some((_, v)) = self.stack.pop() {
            acc = self.combine(v, acc);
            budget.check_size(&acc)?;
        }
        Ok(acc)
    }
}

// the loop counter is a big Integer; clippy's `zip` suggestion needs a `Step` type
#[allow(clippy::explicit_counter_loop)]
fn big(
    op: BigOp,
    var: &str,
    lo: &Expr,
    hi: &Expr,
    body: &Expr,
    env: &mut Env,
    budget: &Budget,
) -> Result<Rational, ExactError> {
    let name = if op == BigOp::Sum { "sum" } else { "prod" };
    let lo = integer_of(lo, &format!("the lower bound of {name}"), env, budget)?;
    let hi = integer_of(hi, &format!("the upper bound of {name}"), env, budget)?;
    let mut fold = TreeFold::new(op);
    if hi < lo {
        return fold.finish(budget); // empty sum 0, empty product 1
    }
    let count = budget.check_steps(name, &(Integer::from(&hi - &lo) + 1))?;
    let body = fold_constants(body, env, &[var]);
    let mark = env.len();
    env.push(var, Rational::from(lo.clone()));
    let mut i = lo;
    for k in 0..count {
        if k % 4096 == 0 {
            budget.tick()?;
        }
        env.set_top(var, Rational::from(i.clone()));
        let v = eval_q(&body, env, budget);
        let v = match v {
            Ok(v) => v,
            Err(e) => {
                env.truncate(mark);
                return Err(e);
            }
        };
        if let Err(e) = fold.push(v, budget) {
            env.truncate(mark);
            return Err(e);
        }
        i += 1;
    }
    env.truncate(mark);
    fold.finish(budget)
}

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

fn is_lit(e: &Expr, v: i32) -> bool {
    matches!(e, Expr::Num(n) if *n == v)
}

fn neg(e: Expr) -> Expr {
    if is_lit(&e, 0) {
        e
    } else {
        Expr::Neg(Box::new(e))
    }
}

/// Whether `e` has a value wherever its names do: a literal or a name. Only such a factor may
/// disappear behind a zero, since `0 * e` is undefined wherever `e` is.
fn always_defined(e: &Expr) -> bool {
    matches!(e, Expr::Num(_) | Expr::Var(_))
}

/// Builds `a op b`, dropping additions of 0 and multiplications by 1, and multiplications by
/// 0 when the other factor always has a value (so that the affine coefficients stay as small
/// as the step the user wrote, and undefinedness is never lost). Division by a literal 0 is
/// kept so that it is reported where it happens.
fn mk(op: BinOp, a: Expr, b: Expr) -> Expr {
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

fn fold_exact_in(e: &Expr, env: &mut Env, b: &Budget) -> Expr {
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

/// An integer affine map `x -> (a x + b) / c`.
#[derive(Clone, Debug)]
pub struct AffineMap {
    /// coefficient of x
    pub a: Integer,
    /// constant term
    pub b: Integer,
    /// common denominator (non-zero)
    pub c: Integer,
}

impl AffineMap {
    /// `self ∘ earlier`: first `earlier`, then `self`.
    pub fn after(&self, earlier: &AffineMap) -> AffineMap {
        let a = Integer::from(&self.a * &earlier.a);
        let b = Integer::from(&self.a * &earlier.b) + Integer::from(&self.b * &earlier.c);
        let c = Integer::from(&self.c * &earlier.c);
        AffineMap { a, b, c }
    }

    /// Applies the map to an exact value.
    pub fn apply(&self, x: &Rational) -> Rational {
        let num = Integer::from(&self.a * x.numer()) + Integer::from(&self.b * x.denom());
        let den = Integer::from(&self.c * x.denom());
        Rational::from((num, den))
    }

    /// The map `x -> p x + q`, with the smallest common denominator.
    pub fn from_coefficients(p: &Rational, q: &Rational) -> AffineMap {
        let c = p.denom().clone().lcm(q.denom());
        let a = Integer::from(&c / p.denom()) * p.numer();
        let b = Integer::from(&c / q.denom()) * q.numer();
        AffineMap { a, b, c }
    }

    fn bits(&self) -> u64 {
        u64::from(self.a.significant_bits())
            + u64::from(self.b.significant_bits())
            + u64::from(self.c.significant_bits())
    }
}

/// Composes `maps[0]` first, then `maps[1]`, …, by a balanced product tree; the two halves of
/// large trees run on two threads (the result is the same exact value either way).
pub fn compose_tree(maps: &[AffineMap]) -> AffineMap {
    fn go(maps: &[AffineMap], depth: u32) -> AffineMap {
        match maps.len() {
            0 => AffineMap {
                a: Integer::from(1),
                b: Integer::new(),
                c: Integer::from(1),
            },
            1 => maps[0].clone(),
            2 => maps[1].after(&maps[0]),
            n => {
                let (l, r) = maps.split_at(n / 2);
                let (ml, mr) = if depth < 1 && n >= 4096 {
                    std::thread::scope(|s| {
                        let h = s.spawn(|| go(r, depth + 1));
                        let ml = go(l, depth + 1);
                        (ml, h.join().expect("compose thread"))
                    })
                } else {
                    (go(l, depth + 1), go(r, depth + 1))
                };
                mr.after(&ml)
            }
        }
    }
    go(maps, 0)
}

#[allow(clippy::too_many_arguments)]
fn rec(
    x: &str,
    t: &str,
    start: &Expr,
    end: &Expr,
    init: &Expr,
    step: &Expr,
    env: &mut Env,
    budget: &Budget,
) -> Result<Rational, ExactError> {
    let start = integer_of(start, "the start of rec", env, budget)?;
    let end = integer_of(end, "the end of rec", env, budget)?;
    let x0 = eval_q(init, env, budget)?;
    if end < start {
        return Err(ExactError::Undefined(format!(
            "rec runs from {start} to the earlier {end}"
        )));
    }
    let steps = budget.check_steps("rec", &Integer::from(&end - &start))?;
    if steps == 0 {
        return Ok(x0);
    }
    let mark = env.len();
    let r = match affine_split(step, x) {
        Some((p, q)) => rec_affine(x, t, &start, steps, &x0, &p, &q, env, budget),
        None => rec_stepwise(x, t, &start, steps, x0, step, env, budget),
    };
    env.truncate(mark);
    r
}

#[allow(clippy::too_many_arguments)]
fn rec_affine(
    x: &str,
    t: &str,
    start: &Integer,
    steps: u64,
    x0: &Rational,
    p: &Expr,
    q: &Expr,
    env: &mut Env,
    budget: &Budget,
) -> Result<Rational, ExactError> {
    let _ = x; // `x` cannot occur in p or q (affine_split guarantees it)
    let p = fold_constants(p, env, &[t]);
    let q = fold_constants(q, env, &[t]);
    let maps = affine_leaves(&p, &q, t, start, steps, env, budget)?;
    budget.tick()?;
    let m = compose_tree(&maps);
    drop(maps);
    budget.tick()?;
    Ok(m.apply(x0))
}

/// The integer affine maps of steps `from .. from+count` (two threads for long ranges; the
/// maps, and so the result, do not depend on the split).
// the loop counter is a big Integer; clippy's `zip` suggestion needs a `Step` type
#[allow(clippy::explicit_counter_loop)]
fn affine_leaves(
    p: &Expr,
    q: &Expr,
    t: &str,
    from: &Integer,
    count: u64,
    env: &Env,
    budget: &Budget,
) -> Result<Vec<AffineMap>, ExactError> {
    let compiled = match (IntRatFn::compile(p, t), IntRatFn::compile(q, t)) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    let run = |from: Integer, count: u64| -> Result<(Vec<AffineMap>, u64), ExactError> {
        if let Some((pf, qf)) = &compiled {
            return compiled_leaves(pf, qf, from, count, budget);
        }
        let mut env = env.clone();
        let mut maps = Vec::with_capacity(count as usize);
        let mut total_bits: u64 = 0;
        env.push(t, Rational::from(from.clone()));
        let mut ti = from;
        for k in 0..count {
            if k % 4096 == 0 {
                budget.tick()?;
            }
            env.set_top(t, Rational::from(ti.clone()));
            let pv = eval_q(p, &mut env, budget)?;
            let qv = eval_q(q, &mut env, budget)?;
            let m = AffineMap::from_coefficients(&pv, &qv);
            total_bits = total_bits.saturating_add(m.bits());
            if total_bits > budget.max_bits {
                return Err(size_overrun(budget));
            }
            maps.push(m);
            ti += 1;
        }
        Ok((maps, total_bits))
    };
    if count < 8192 {
        return run(from.clone(), count).map(|(m, _)| m);
    }
    let half = count / 2;
    let mid = Integer::from(from + half);
    let (a, b) = std::thread::scope(|s| {
        let h = s.spawn(|| run(mid, count - half));
        (run(from.clone(), half), h.join().expect("leaf thread"))
    });
    let (mut ma, ba) = a?;
    let (mb, bb) = b?;
    if ba.saturating_add(bb) > budget.max_bits {
        return Err(size_overrun(budget));
    }
    ma.extend(mb);
    Ok(ma)
}

/// Leaf maps from compiled coefficients: integer Horner evaluations and two small gcds per
/// step.
#[allow(clippy::explicit_counter_loop)]
fn compiled_leaves(
    pf: &IntRatFn,
    qf: &IntRatFn,
    from: Integer,
    count: u64,
    budget: &Budget,
) -> Result<(Vec<AffineMap>, u64), ExactError> {
    let mut maps = Vec::with_capacity(count as usize);
    let mut total_bits: u64 = 0;
    let (mut pn, mut pd, mut qn, mut qd) = (
        Integer::new(),
        Integer::new(),
        Integer::new(),
        Integer::new(),
    );
    let mut g = Integer::new();
    let mut ti = from;
    for k in 0..count {
        if k % 4096 == 0 {
            budget.tick()?;
        }
        pf.eval_into(&ti, &mut pn, &mut pd);
        qf.eval_into(&ti, &mut qn, &mut qd);
        if pd == 0 || qd == 0 {
            return Err(ExactError::Undefined(format!(
                "division by zero in the recurrence's step at t = {ti}"
            )));
        }
        for (n, d) in [(&mut pn, &mut pd), (&mut qn, &mut qd)] {
            g.assign(n.gcd_ref(d));
            if g != 1 && g != 0 {
                n.div_exact_mut(&g);
                d.div_exact_mut(&g);
            }
            if *d < 0 {
                n.neg_assign();
                d.neg_assign();
            }
        }
        let c = Integer::from(pd.lcm_ref(&qd));
        let a = Integer::from(&c / &pd) * &pn;
        let b = Integer::from(&c / &qd) * &qn;
        let m = AffineMap { a, b, c };
        total_bits = total_bits.saturating_add(m.bits());
        if total_bits > budget.max_bits {
            return Err(size_overrun(budget));
        }
        maps.push(m);
        ti += 1;
    }
    Ok((maps, total_bits))
}

fn size_overrun(budget: &Budget) -> ExactError {
    ExactError::Budget(format!(
        "size budget exceeded: the recurrence's exact value would need more than {} bits",
        budget.max_bits
    ))
}

#[allow(clippy::too_many_arguments, clippy::explicit_counter_loop)]
fn rec_stepwise(
    x: &str,
    t: &str,
    start: &Integer,
    steps: u64,
    x0: Rational,
    step: &Expr,
    env: &mut Env,
    budget: &Budget,
) -> Result<Rational, ExactError> {
    let step = fold_constants(step, env, &[x, t]);
    env.push(t, Rational::from(start.clone()));
    env.push(x, x0);
    let mut ti = start.clone();
    for k in 0..steps {
        if k % 256 == 0 {
            budget.tick()?;
        }
        // bindings: [.., t, x]
        let n = env.len();
        env.vars[n - 2].1 = Rational::from(ti.clone());
        let next = eval_q(&step, env, budget)?;
        budget.check_size(&next)?;
        env.vars[n - 1].1 = next;
        ti += 1;
    }
    Ok(env.get(x).cloned().unwrap_or_default())
}

/// Iterates an affine recurrence one exact rational step at a time. This is the reference
/// the binary-splitting path is tested and benchmarked against; the engine itself never
/// uses it for affine steps.
#[allow(clippy::too_many_arguments)]
pub fn rec_affine_naive(
    x: &str,
    t: &str,
    start: i64,
    end: i64,
    x0: Rational,
    step: &Expr,
    env: &mut Env,
    budget: &Budget,
) -> Result<Rational, ExactError> {
    env.push(t, Rational::from(start));
    env.push(x, x0);
    for ti in start..end {
        let n = env.len();
        env.vars[n - 2].1 = Rational::from(ti);
        let next = eval(step, env, budget)?;
        env.vars[n - 1].1 = next;
    }
    let v = env.get(x).cloned().unwrap_or_default();
    env.pop();
    env.pop();
    Ok(v)
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
            matches!(e, ExactError::Budget(ref m) if m.contains("step budget")),
            "{e}"
        );
        let e = ev("2^(10^12)", &[]).unwrap_err();
        assert!(
            matches!(e, ExactError::Budget(ref m) if m.contains("size budget")),
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
                matches!(e, ExactError::Budget(ref m) if m.contains("size")),
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
            matches!(e, ExactError::Budget(ref m) if m.contains("time")),
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

// ------------------------------------------------------------------ rational functions of t

/// A polynomial with rational coefficients (index = degree).
type QPoly = Vec<Rational>;

fn qp_trim(mut p: QPoly) -> QPoly {
    while p.len() > 1 && p.last().is_some_and(|c| *c == 0) {
        p.pop();
    }
    p
}

fn qp_add(a: &QPoly, b: &QPoly, sign: i32) -> QPoly {
    let n = a.len().max(b.len());
    let z = Rational::new();
    qp_trim(
        (0..n)
            .map(|i| {
                let x = a.get(i).unwrap_or(&z);
                let y = b.get(i).unwrap_or(&z);
                if sign > 0 {
                    Rational::from(x + y)
                } else {
                    Rational::from(x - y)
                }
            })
            .collect(),
    )
}

fn qp_mul(a: &QPoly, b: &QPoly) -> QPoly {
    let mut out = vec![Rational::new(); a.len() + b.len() - 1];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            out[i + j] += Rational::from(x * y);
        }
    }
    qp_trim(out)
}

/// Most degree allowed in a compiled rational function.
const MAX_RATFN_DEGREE: usize = 24;

/// A rational function of one integer variable with integer coefficients,
/// `num(t) / den(t)`, compiled from an expression so that evaluating it at many `t` costs a
/// few small-integer operations instead of a walk over the expression tree.
#[derive(Clone, Debug)]
pub struct IntRatFn {
    /// numerator coefficients (index = degree)
    pub num: Vec<Integer>,
    /// denominator coefficients (index = degree)
    pub den: Vec<Integer>,
}

impl IntRatFn {
    /// Compiles `e`, whose only free name must be `t` (fold other names first with
    /// [`fold_constants`]), when it is built from literals, `t`, `+ - * /` and integer
    /// powers.
    pub fn compile(e: &Expr, t: &str) -> Option<IntRatFn> {
        let (n, d) = ratfn(e, t)?;
        // clear denominators of all coefficients
        let l = n
            .iter()
            .chain(d.iter())
            .fold(Integer::from(1), |acc, c| acc.lcm(c.denom()));
        let to_int = |p: &QPoly| -> Vec<Integer> {
            p.iter()
                .map(|c| Integer::from(&l / c.denom()) * c.numer())
                .collect()
        };
        Some(IntRatFn {
            num: to_int(&n),
            den: to_int(&d),
        })
    }

    /// `(num(t), den(t))` into the given integers (Horner, no allocation once warm).
    pub fn eval_into(&self, t: &Integer, num: &mut Integer, den: &mut Integer) {
        horner(&self.num, t, num);
        horner(&self.den, t, den);
    }
}

fn horner(c: &[Integer], t: &Integer, out: &mut Integer) {
    out.assign(&c[c.len() - 1]);
    for k in (0..c.len() - 1).rev() {
        *out *= t;
        *out += &c[k];
    }
}

fn ratfn(e: &Expr, t: &str) -> Option<(QPoly, QPoly)> {
    let one = || vec![Rational::from(1)];
    Some(match e {
        Expr::Num(c) => (vec![c.clone()], one()),
        Expr::Var(v) if v == t => (vec![Rational::new(), Rational::from(1)], one()),
        Expr::Neg(a) => {
            let (n, d) = ratfn(a, t)?;
            (n.into_iter().map(|c| -c).collect(), d)
        }
        Expr::Bin(op, a, b) => {
            let (n1, d1) = ratfn(a, t)?;
            match op {
                BinOp::Pow => {
                    let Expr::Num(k) = &**b else { return None };
                    if !k.is_integer() {
                        return None;
                    }
                    let k = k.numer().to_i32().filter(|k| k.unsigned_abs() <= 8)?;
                    if k == 0 {
                        // x^0 = 1 wherever x is defined: keep x's denominator
                        return Some((d1.clone(), d1));
                    }
                    let (mut n, mut d) = (one(), one());
                    for _ in 0..k.unsigned_abs() {
                        n = qp_mul(&n, &n1);
                        d = qp_mul(&d, &d1);
                    }
                    if k < 0 {
                        if n.iter().all(|c| *c == 0) {
                            return None;
                        }
                        // keep the base's denominator as a factor of the result's, so the
                        // compiled form is undefined wherever the expression is
                        (qp_mul(&d, &d), qp_mul(&n, &d))
                    } else {
                        (n, d)
                    }
                }
                _ => {
                    let (n2, d2) = ratfn(b, t)?;
                    match op {
                        BinOp::Add => (
                            qp_add(&qp_mul(&n1, &d2), &qp_mul(&n2, &d1), 1),
                            qp_mul(&d1, &d2),
                        ),
                        BinOp::Sub => (
                            qp_add(&qp_mul(&n1, &d2), &qp_mul(&n2, &d1), -1),
                            qp_mul(&d1, &d2),
                        ),
                        BinOp::Mul => (qp_mul(&n1, &n2), qp_mul(&d1, &d2)),
                        BinOp::Div => {
                            if n2.iter().all(|c| *c == 0) {
                                return None; // division by the zero polynomial: let the evaluator report it
                            }
                            // d2 stays a factor of the denominator (see above)
                            (
                                qp_mul(&qp_mul(&n1, &d2), &d2),
                                qp_mul(&qp_mul(&d1, &n2), &d2),
                            )
                        }
                        BinOp::Pow => unreachable!("handled above"),
                    }
                }
            }
        }
        _ => return None,
    })
    .filter(|(n, d)| n.len() <= MAX_RATFN_DEGREE + 1 && d.len() <= MAX_RATFN_DEGREE + 1)
}

fn ip_mul(a: &[Integer], b: &[Integer]) -> Vec<Integer> {
    let mut out = vec![Integer::new(); a.len() + b.len() - 1];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            out[i + j] += Integer::from(x * y);
        }
    }
    out
}

/// The affine step `x -> P(t) x + Q(t)` as one map `x -> (A(t) x + B(t)) / C(t)` with
/// integer polynomials, `A = Pn Qd`, `B = Qn Pd`, `C = Pd Qd`: three Horner evaluations per
/// step and no gcd.
#[derive(Clone, Debug)]
pub struct AffinePoly {
    /// coefficient of x
    pub a: Vec<Integer>,
    /// constant term
    pub b: Vec<Integer>,
    /// denominator
    pub c: Vec<Integer>,
}

impl AffinePoly {
    /// Combines compiled `P` and `Q`.
    pub fn new(p: &IntRatFn, q: &IntRatFn) -> AffinePoly {
        AffinePoly {
            a: ip_mul(&p.num, &q.den),
            b: ip_mul(&q.num, &p.den),
            c: ip_mul(&p.den, &q.den),
        }
    }

    /// `(A(t), B(t), C(t))` into the given integers.
    pub fn eval_into(&self, t: &Integer, a: &mut Integer, b: &mut Integer, c: &mut Integer) {
        horner(&self.a, t, a);
        horner(&self.b, t, b);
        horner(&self.c, t, c);
    }
}
