//! Opaque functions: values the expression language can name and the engines can evaluate
//! at exact points, but whose definition is not an expression — a quantity computed by
//! propagating the law of a construction given by its loss, for example.
//!
//! The expression tree holds a call `Func::Opaque(id)` with its arguments (expressions in
//! the claim's parameters); the function itself lives in a process-wide registry and is
//! reached through the [`Opaque`] trait, so the engines (which may not import the module
//! that defines it) evaluate it without knowing what it is. An opaque function has values
//! only at exact (rational) arguments: over a box of reals, in the symbolic engine, in Coq
//! and in the independent kernel (unless it offers [`Opaque::recheck`]) it has none, and
//! those say so.

use rug::Rational;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

/// Why an opaque function has no value at an argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpaqueError {
    /// undefined there (a probability-zero condition, a division by zero)
    Undefined(String),
    /// no exact value (irrational), an enclosure may exist
    Inexact(String),
    /// a budget ran out or the construction is not supported (the message says which)
    Failed(String),
}

impl fmt::Display for OpaqueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpaqueError::Undefined(m) | OpaqueError::Inexact(m) | OpaqueError::Failed(m) => {
                f.write_str(m)
            }
        }
    }
}

/// A function of rational arguments with exact values or rigorous enclosures.
pub trait Opaque: Send + Sync + fmt::Debug {
    /// The name printed for calls (not parsed back).
    fn name(&self) -> &str;
    /// How many arguments a call passes.
    fn arity(&self) -> usize;
    /// The exact value at `args`.
    fn exact(&self, args: &[Rational]) -> Result<Rational, OpaqueError>;
    /// `lo <= value <= hi` at `args`, the ends rounded outward at about `prec` bits.
    fn enclose(&self, args: &[Rational], prec: u32) -> Result<(Rational, Rational), OpaqueError>;
    /// The exact value at `args` computed by an independent implementation (for the
    /// re-checking kernel), as `p/q` text; `None` when there is none.
    fn recheck(&self, args: &[String]) -> Option<Result<String, String>> {
        let _ = args;
        None
    }
    /// What the function is, for a backend that can restate it (the Coq certificates):
    /// `None` when it offers no definition.
    fn definition(&self) -> Option<Definition> {
        None
    }
}

/// The definition of an opaque function, as data a backend can restate.
#[derive(Clone, Debug, PartialEq)]
pub enum Definition {
    /// A quantity of twin SGD on a construction given by its loss (what `propagate`
    /// registers): the quantity's name (`div_T`, `p_first_s`, …), how many leading
    /// arguments are times (the rest are the parameters the data use, by name), and the
    /// construction's data as expressions in those parameters (the step also in `t`).
    Twin {
        /// the quantity (`div_T`, `sqdiv_T`, `div_t0`, …)
        quantity: String,
        /// how many leading arguments of a call are times
        times: usize,
        /// the loss, in the weights and the fields
        loss: super::Expr,
        /// the weights' names
        weights: Vec<String>,
        /// the fields' names
        fields: Vec<String>,
        /// S, one expression per field
        s: Vec<Vec<super::Expr>>,
        /// S'
        s_twin: Vec<Vec<super::Expr>>,
        /// the step size, in `t` and the parameters
        step: super::Expr,
        /// the first step
        first_step: super::Expr,
        /// the start of both runs
        start: Vec<super::Expr>,
        /// draws by reshuffling (else with replacement)
        reshuffle: bool,
    },
}

/// The registry index of an opaque function (what `Func::Opaque` holds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpaqueId(u32);

struct Entry {
    f: Arc<dyn Opaque>,
    name: &'static str,
}

fn registry() -> &'static RwLock<Vec<Entry>> {
    static R: OnceLock<RwLock<Vec<Entry>>> = OnceLock::new();
    R.get_or_init(|| RwLock::new(Vec::new()))
}

/// Registers `f` and returns its id (each registration is a new function; names need not
/// be unique).
pub fn register(f: Arc<dyn Opaque>) -> OpaqueId {
    // the name is kept for the life of the process, as `Func::name` returns `&'static str`
    let name: &'static str = Box::leak(f.name().to_string().into_boxed_str());
    let mut r = registry().write().unwrap_or_else(|e| e.into_inner());
    r.push(Entry { f, name });
    OpaqueId(u32::try_from(r.len() - 1).expect("fewer than 2^32 opaque functions"))
}

/// The function registered as `id`.
pub fn get(id: OpaqueId) -> Arc<dyn Opaque> {
    let r = registry().read().unwrap_or_else(|e| e.into_inner());
    r[id.0 as usize].f.clone()
}

/// The name of the function registered as `id`.
pub fn name(id: OpaqueId) -> &'static str {
    let r = registry().read().unwrap_or_else(|e| e.into_inner());
    r[id.0 as usize].name
}
