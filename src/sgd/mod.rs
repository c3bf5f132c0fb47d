//! The float backend: SIMD f64 kernels with runtime instruction-set dispatch
//! ([`kernels`]), losses with exact gradients ([`model`]; a loss written as an expression is compiled to
//! a [`tape`]), datasets and their twins
//! ([`data`]), coupled twin SGD runs and their Monte Carlo summary ([`sim`]), and the
//! `stabcert simulate` configuration ([`config`]), and the paper's experiments at laptop
//! scale ([`experiments`]). It measures; it never touches a claim's verdict.

pub mod config;
pub mod data;
pub mod experiments;
pub mod kernels;
pub mod model;
pub mod sim;
pub mod tape;
