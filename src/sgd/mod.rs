//! The float backend (issue 7, in progress): SIMD f64 kernels with runtime instruction-set
//! dispatch ([`kernels`]). Losses, twin datasets, samplers and Monte Carlo come next (see
//! ARCHITECTURE.md).

pub mod kernels;
