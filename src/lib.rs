#![warn(missing_docs)]
//! stabcert: audits stability bounds for stochastic gradient descent with the rigour of a
//! proof checker.
//!
//! Claims of a paper are written as claim files ([`claims`]) whose formulas are expressions
//! of one language ([`expr`]). The engines evaluate them: [`exact`] with big rationals and
//! exact algebra, [`real`] with MPFR intervals rounded outward. The decision engine
//! ([`decide`](mod@decide)) sweeps a claim's domain into a [`Verdict`] with its evidence; the symbolic
//! engine ([`symbolic`]) compares bound expressions on e-graphs; [`certify`] turns verdicts
//! into Coq scripts; [`sgd`] simulates coupled twin SGD runs in floating point; [`report`]
//! and [`audit`] present it all. The [`pipeline`] routes claims and has a kernel re-check
//! every verdict; [`cli`] holds the commands of the binary. `ARCHITECTURE.md` draws the
//! layers and what each module may import.
//!
//! The main entry points are re-exported here.
//!
//! # Parse an expression and evaluate it exactly
//!
//! ```
//! use stabcert::{Budget, Env, exact, parse_expr};
//!
//! let e = parse_expr("sum(i, 1, 4, 1/i)")?;
//! let v = exact::eval(&e, &mut Env::new(), &Budget::default())?;
//! assert_eq!(v.to_string(), "25/12");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Enclose an irrational value
//!
//! ```
//! use rug::Rational;
//! use stabcert::{Budget, parse_expr, real};
//!
//! // (1 + 1/n)^n at n = 1000, with 128-bit ends rounded outward
//! let e = parse_expr("(1 + 1/n)^n * exp(0) + ln(1)")?;
//! let iv = real::eval_at(&e, &[("n".into(), Rational::from(1000))], 128, &Budget::default())?;
//! assert!(*iv.lo() > 2.7169 && *iv.hi() < 2.7170);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Load claims and decide them
//!
//! The claim file `examples/claims.toml`, as `stabcert check examples/claims.toml` reads it:
//!
//! ```toml
#![doc = include_str!("../examples/claims.toml")]
//! ```
//!
//! ```
//! use stabcert::{Options, Verdict, decide, load_str};
//!
//! let claims = load_str(
//!     "example.toml",
//!     r#"
//! [[claim]]
//! id = "bernoulli"
//! source = "Bernoulli's inequality"
//! text = "(1 - 1/n)^r >= 1 - r/n"
//! params = ["n in 1..=30", "r in 1..=n"]
//! holds = "(1 - 1/n)^r >= 1 - r/n"
//! "#,
//! )?;
//! let outcome = &decide(&claims[0], &Options::default())[0];
//! assert_eq!(outcome.verdict, Verdict::Certified);
//! assert_eq!(outcome.coverage.points, 30 * 31 / 2);
//! # Ok::<(), stabcert::LoadError>(())
//! ```
//!
//! A claim can also be built in Rust with [`ClaimBuilder`], and a false one comes back
//! refuted with its minimal counterexample:
//!
//! ```
//! use stabcert::{ClaimBuilder, Options, Verdict, decide};
//!
//! let claim = ClaimBuilder::new("powers").param("n in 1..=10").holds("2^n <= n^2").build()?;
//! let outcome = &decide(&claim, &Options::default())[0];
//! assert_eq!(outcome.verdict, Verdict::Refuted);
//! let cx = outcome.counterexample.as_ref().unwrap();
//! assert_eq!(cx.point[0].1, 1); // 2^1 > 1^2 at n = 1, the first point
//! # Ok::<(), stabcert::LoadError>(())
//! ```
//!
//! # Compare two bounds symbolically
//!
//! ```
//! use stabcert::{parse_expr, symbolic};
//! use stabcert::symbolic::range::Assumptions;
//!
//! let mut assume = Assumptions::default();
//! assume.add("n in 2..=10^6").unwrap();
//! let a = parse_expr("T^(1/2) / n")?;
//! let b = parse_expr("T / n^2")?;
//! let answer = symbolic::ratio(&a, &b, &assume);
//! assert_eq!(answer.status, "proved");
//! assert_eq!(answer.result.as_deref(), Some("n/T^(1/2)"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Simulate twin SGD runs
//!
//! ```
//! use stabcert::sgd::config;
//!
//! let cfg = config::parse(
//!     "sim.toml",
//!     r#"
//! seed = 1
//! steps = 50
//! checkpoints = [50]
//! [data]
//! source = "synthetic"
//! n = 100
//! d = 4
//! [model]
//! loss = "logistic"
//! [sgd]
//! step = "0.1"
//! "#,
//!     None,
//! )?;
//! let summary = cfg.sim.monte_carlo(200, cfg.seed, &|| {});
//! let dist = summary.checkpoints[0].dist.as_ref().unwrap();
//! assert!(dist.mean > 0.0 && dist.lo <= dist.mean && dist.mean <= dist.hi);
//! # Ok::<(), stabcert::SourceError>(())
//! ```

pub mod audit;
pub mod certify;
pub mod claims;
pub mod cli;
pub mod construction;
pub mod decide;
mod decimal;
mod engine;
pub mod expr;
pub mod pipeline;
pub mod propagate;
#[cfg(feature = "python")]
mod python;
pub mod report;
pub mod sgd;
pub mod shard;
mod source;
mod svg;
pub mod symbolic;
mod verdict;

pub use claims::{Claim, ClaimBuilder, LoadError, load_path, load_paths, load_str};
pub use decide::{Options, decide};
pub use engine::{exact, real};
pub use exact::{Budget, BudgetError, Env, ExactError};
pub use expr::{Expr, ParseError, Relation, parse_expr, parse_relation};
pub use real::{Arith, Interval, RealError};
pub use report::VERSION;
pub use source::SourceError;
pub use verdict::{
    Bracket, BudgetKind, Counterexample, Coverage, DomainError, Outcome, ProofMethod, Reason, Side,
    Unrelaxed, Verdict,
};
