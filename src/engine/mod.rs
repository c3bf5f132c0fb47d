//! The evaluation engines, one layer: [`exact`] (big rationals and exact algebra) and
//! [`real`] (MPFR intervals with outward rounding, interval derivatives).
//!
//! They are one layer because each settles the other's hard cases: the exact engine takes
//! the floor of an irrational value from interval enclosures at rising precision, and the
//! interval engine folds every rational part exactly first and resolves a floor whose
//! enclosure straddles an integer by exact algebra. Everything above (the decision engine,
//! the symbolic engine, certificates, reports) imports the engines; the engines import only
//! [`crate::expr`].

pub mod exact;
pub mod real;
