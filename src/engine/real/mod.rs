//! The rigorous real engine: interval evaluation of any [`Expr`](crate::expr::Expr) on `rug::Float` endpoints
//! with outward rounding for every operation (lower ends rounded toward −∞, upper ends toward
//! +∞), so that the true value at every point of the input box lies in the result.
//!
//! Conventions that keep it sound:
//! - an interval is `[lo, hi]` with `lo <= hi`; ends may be infinite, never NaN;
//! - endpoint products use `0 · ∞ = 0`, which is what the exact set of products gives;
//! - a function applied where it is undefined on the *whole* input (`ln` of `[-2, -1]`) is
//!   [`RealError::Undefined`]; where it may be undefined on *part* of the input (`ln` of
//!   `[-1, 1]`, `1/[-1, 1]`) it is [`RealError::MaybeUndefined`], so a prover splits the box
//!   or raises the precision rather than trusting a value;
//! - `x^y` with a non-integer `y` is defined for `x > 0`, and for `x = 0` when `y > 0`,
//!   like the exact engine; on a box it is monotone in each argument, so its range is spanned
//!   by the corner values, each computed by MPFR (correctly rounded) in the outward direction;
//! - binder bounds (`sum`, `prod`, `rec`) must enclose a single integer.
//!
//! Boxes are tried first on an `f64` rung ([`eval_f64`]: outward-rounded doubles, libm's
//! `exp`/`ln` widened by a relative 2^-40) that only ever proves; MPFR decides the rest.
//!
//! [`Interval::to_rational_bounds`] converts the ends exactly, so verdicts can quote them.

use crate::engine::exact::BudgetError;

mod dual;
mod eval;
mod fast;
mod interval;
mod rec;
mod walk;

pub use dual::{Dual, eval_dual};
pub use eval::{EXACT_SHORTCUT_STEPS, RealEnv, decimal_ends, enclose_digits, eval, eval_at};
pub use fast::{F64Env, F64Expr, F64Interval, eval_compiled, eval_f64};
pub use interval::{Arith, Interval, MAX_EXP, at_magnitude_limit};

/// Why an interval value could not be produced.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RealError {
    /// undefined at every point of the input
    #[error("undefined: {0}")]
    Undefined(String),
    /// possibly undefined on part of the input, or not separable from an undefined point at
    /// this precision
    #[error("possibly undefined: {0}")]
    MaybeUndefined(String),
    /// a name with no value
    #[error("unknown name `{0}`")]
    Unbound(String),
    /// a size, step or time limit was hit
    #[error("{0}")]
    Budget(BudgetError),
}
