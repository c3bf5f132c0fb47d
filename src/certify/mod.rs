//! Certification of verdicts. This version holds the independent re-check kernel
//! ([`kernel`]); Coq script emission comes next (see ARCHITECTURE.md).

pub mod kernel;
