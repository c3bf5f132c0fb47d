//! stabcert: audits stability bounds for stochastic gradient descent with the rigour of a
//! proof checker.
//!
//! Claims of a paper are written as claim files ([`claims`]) whose formulas are expressions
//! of one language ([`expr`]). The exact engine ([`exact`]) evaluates them with big
//! rationals, the decision engine ([`decide`]) sweeps their domains into verdicts, and
//! [`report`] presents the result. [`cli`] holds the commands the binary exposes, so that
//! `main.rs` only parses arguments and sets exit codes. See `ARCHITECTURE.md`.

pub mod audit;
pub mod certify;
pub mod claims;
pub mod cli;
pub mod construction;
pub mod decide;
pub mod decimal;
pub mod engine;
pub use engine::{exact, real};
pub mod expr;
pub mod pipeline;
pub mod report;
pub mod sgd;
pub mod source;
pub mod svg;
pub mod symbolic;
pub mod verdict;
