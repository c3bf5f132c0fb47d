//! The native module `stabcert._stabcert` of the Python package (feature `python`, built by
//! maturin from `pyproject.toml`): the commands as functions that take and return JSON
//! text, run with the GIL released (so Dask's threads and other Python threads go on), and
//! raise `InputError` (a `ValueError`: what the command line reports with exit code 2) or
//! `InternalError` with the command line's message. The Python layer (`python/stabcert/`)
//! turns the JSON into dicts, fractions and NumPy arrays.

use crate::cli::{self, Budgets, CliError, EvalMode};
use crate::shard;
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::time::Duration;

create_exception!(
    stabcert,
    InputError,
    PyValueError,
    "Bad input: the message names the file, line and column (the command line's exit code 2)."
);
create_exception!(
    stabcert,
    InternalError,
    PyRuntimeError,
    "An internal error of stabcert (a bug: please report it)."
);

fn to_py(e: CliError) -> PyErr {
    match e {
        CliError::Input(m) => InputError::new_err(m),
        CliError::Internal(m) => InternalError::new_err(format!("internal error: {m}")),
        CliError::Gate { message, .. } => InternalError::new_err(message),
    }
}

fn budgets(
    time_per_claim: Option<String>,
    boxes: Option<u64>,
    points: Option<u64>,
) -> PyResult<Budgets> {
    let time_per_claim = match time_per_claim {
        Some(s) => Some(
            cli::parse_seconds(&s)
                .map_err(|m| InputError::new_err(format!("time_per_claim: {m}")))?,
        ),
        None => None,
    };
    if boxes == Some(0) || points == Some(0) {
        return Err(InputError::new_err("boxes and points: must be at least 1"));
    }
    Ok(Budgets {
        time_per_claim,
        boxes,
        points,
    })
}

fn paths_of(paths: Vec<String>) -> Vec<PathBuf> {
    paths.into_iter().map(PathBuf::from).collect()
}

fn shard_of(index: u64, count: u64) -> PyResult<crate::decide::Shard> {
    shard::parse_shard(&format!("{index}/{count}")).map_err(InputError::new_err)
}

/// `stabcert check PATHS --json`: the document as JSON text.
#[pyfunction]
#[pyo3(signature = (paths, only, time_per_claim=None, boxes=None, points=None))]
fn check_json(
    py: Python<'_>,
    paths: Vec<String>,
    only: Vec<String>,
    time_per_claim: Option<String>,
    boxes: Option<u64>,
    points: Option<u64>,
) -> PyResult<String> {
    let b = budgets(time_per_claim, boxes, points)?;
    let paths = paths_of(paths);
    py.allow_threads(|| cli::check_command(&paths, &only, true, &b, &[], &|_| {}))
        .map_err(to_py)
}

/// `stabcert check PATHS --shard INDEX/COUNT`: the shard document as JSON text.
#[pyfunction]
#[pyo3(signature = (paths, only, index, count, time_per_claim=None, boxes=None, points=None))]
#[allow(clippy::too_many_arguments)] // the command line's options, one argument each
fn check_shard_json(
    py: Python<'_>,
    paths: Vec<String>,
    only: Vec<String>,
    index: u64,
    count: u64,
    time_per_claim: Option<String>,
    boxes: Option<u64>,
    points: Option<u64>,
) -> PyResult<String> {
    let b = budgets(time_per_claim, boxes, points)?;
    let sh = shard_of(index, count)?;
    let paths = paths_of(paths);
    py.allow_threads(|| shard::check_shard_command(&paths, &only, &b, sh))
        .map_err(to_py)
}

/// `stabcert merge --json` over shard documents given as JSON text.
#[pyfunction]
fn merge_json(py: Python<'_>, documents: Vec<String>) -> PyResult<String> {
    let mut docs = Vec::new();
    for (k, text) in documents.iter().enumerate() {
        let name = format!("document {}", k + 1);
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            InputError::new_err(format!(
                "{name}:{}:{}: not a JSON document: {e}",
                e.line(),
                e.column()
            ))
        })?;
        docs.push((name, v));
    }
    py.allow_threads(|| shard::merge_documents(&docs, true, &[]))
        .map_err(to_py)
}

/// `stabcert eval EXPR --set NAME=VALUE... [--digits N]`: the exact value `p/q`, or the
/// enclosure `[lo, hi]`.
#[pyfunction]
#[pyo3(signature = (expr, sets, digits=None, time_limit=120.0))]
fn eval(
    py: Python<'_>,
    expr: String,
    sets: Vec<String>,
    digits: Option<u32>,
    time_limit: f64,
) -> PyResult<String> {
    if !(time_limit > 0.0 && time_limit <= 86_400.0) {
        return Err(InputError::new_err(
            "time_limit: must be more than 0 and at most 86400 seconds",
        ));
    }
    let mode = digits.map_or(EvalMode::Exact, EvalMode::Digits);
    let limit = Duration::from_secs_f64(time_limit);
    py.allow_threads(|| cli::eval_command(&expr, &sets, mode, limit))
        .map_err(to_py)
}

/// `stabcert symbolic OP ... --json`: `op` is simplify, ratio, crossover, dominance or
/// equal; `args` its expressions.
#[pyfunction]
#[pyo3(signature = (op, args, assume, solve_for=None, grow=Vec::new(), vars=Vec::new(), path=None))]
#[allow(clippy::too_many_arguments)] // the command line's options, one argument each
fn symbolic_json(
    py: Python<'_>,
    op: &str,
    args: Vec<String>,
    assume: Vec<String>,
    solve_for: Option<String>,
    grow: Vec<String>,
    vars: Vec<String>,
    path: Option<String>,
) -> PyResult<String> {
    let want = |n: usize| -> PyResult<()> {
        if args.len() == n {
            Ok(())
        } else {
            Err(InputError::new_err(format!(
                "symbolic {op}: takes {n} expression{}, not {}",
                if n == 1 { "" } else { "s" },
                args.len()
            )))
        }
    };
    let a = |i: usize| args[i].clone();
    let op = match op {
        "simplify" => {
            want(1)?;
            cli::SymbolicOp::Simplify(a(0))
        }
        "ratio" => {
            want(2)?;
            cli::SymbolicOp::Ratio(a(0), a(1))
        }
        "crossover" => {
            want(2)?;
            let Some(v) = solve_for else {
                return Err(InputError::new_err(
                    "symbolic crossover: name the variable to solve for (solve_for=\"T\")",
                ));
            };
            cli::SymbolicOp::Crossover(a(0), a(1), v, grow)
        }
        "dominance" => {
            want(2)?;
            cli::SymbolicOp::Dominance(a(0), a(1), vars, path)
        }
        "equal" => {
            want(2)?;
            cli::SymbolicOp::Equal(a(0), a(1))
        }
        other => {
            return Err(InputError::new_err(format!(
                "symbolic: `{other}` is not one of simplify, ratio, crossover, dominance, equal"
            )));
        }
    };
    py.allow_threads(|| cli::symbolic_command(&op, &assume, true))
        .map_err(to_py)
}

/// `stabcert simulate CONFIG --shard INDEX/COUNT`: the shard document (every replica's
/// measurements) as JSON text; `merge_json` of all shards gives `simulate --json`.
#[pyfunction]
#[pyo3(signature = (config, index, count, replicas=None, seed=None))]
fn simulate_shard_json(
    py: Python<'_>,
    config: String,
    index: u64,
    count: u64,
    replicas: Option<u64>,
    seed: Option<u64>,
) -> PyResult<String> {
    let sh = shard_of(index, count)?;
    let path = PathBuf::from(config);
    py.allow_threads(|| shard::simulate_shard_command(&path, replicas, seed, sh))
        .map_err(to_py)
}

/// The module `stabcert._stabcert`.
#[pymodule]
fn _stabcert(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("InputError", m.py().get_type::<InputError>())?;
    m.add("InternalError", m.py().get_type::<InternalError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(check_json, m)?)?;
    m.add_function(wrap_pyfunction!(check_shard_json, m)?)?;
    m.add_function(wrap_pyfunction!(merge_json, m)?)?;
    m.add_function(wrap_pyfunction!(eval, m)?)?;
    m.add_function(wrap_pyfunction!(symbolic_json, m)?)?;
    m.add_function(wrap_pyfunction!(simulate_shard_json, m)?)?;
    Ok(())
}
