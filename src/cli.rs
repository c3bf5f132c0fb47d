//! The commands behind the binary (`eval`, `check`), as library functions that return their
//! output or a [`CliError`] that says whether the input was bad (exit 2), the tool failed
//! (exit 1) or a verdict named by `check --fail-on` occurred (exit 3, with the output kept).
//! `main.rs` parses arguments with clap and maps these to exit codes.

use crate::audit::AuditError;
use crate::certify::{self, CoqResult};
use crate::claims::{self, Claim};
use crate::decide::{Options, Outcome, Verdict};
use crate::engine::exact::{self, Budget, Env, ExactError};
use crate::engine::real;
use crate::expr;
use crate::pipeline::{self, PipelineError};
use crate::report;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A command's failure.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: exit code 2, with a message naming the place.
    #[error("{0}")]
    Input(String),
    /// Internal failure: exit code 1.
    #[error("internal error: {0}")]
    Internal(String),
    /// The command ran, but a verdict named by `--fail-on` occurred: exit code 3. `output`
    /// is what the command prints (to standard output, as on success); the message names the
    /// relations.
    #[error("{message}")]
    Gate {
        /// the command's full output
        output: String,
        /// which relations have the verdicts `--fail-on` names
        message: String,
    },
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::Internal(_) => 1,
            CliError::Gate { .. } => 3,
        }
    }
}

/// `--fail-on`: the relations (ids) whose verdict is one of `fail_on`, as a [`CliError::Gate`]
/// carrying `output`; `Ok(output)` when there are none.
pub fn gate(outcomes: &[Outcome], fail_on: &[Verdict], output: String) -> Result<String, CliError> {
    let hits: Vec<String> = outcomes
        .iter()
        .filter(|o| fail_on.contains(&o.verdict))
        .map(|o| format!("{} ({})", o.id, o.verdict.as_str()))
        .collect();
    if hits.is_empty() {
        return Ok(output);
    }
    let names: Vec<&str> = fail_on.iter().map(|v| v.as_str()).collect();
    Err(CliError::Gate {
        output,
        message: format!(
            "{} relation{} with a verdict named by --fail-on {}: {}",
            hits.len(),
            if hits.len() == 1 { "" } else { "s" },
            names.join(","),
            hits.join(", ")
        ),
    })
}

/// How `eval` prints its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalMode {
    /// one line `p/q` in lowest terms, or an integer
    Exact,
    /// one line `[lo, hi]` with this many significant digits
    Digits(u32),
}

fn expr_error(label: &str, src: &str, e: &expr::ParseError) -> CliError {
    let (line, col) = e.line_col(src);
    CliError::Input(format!("{label}:{line}:{col}: {}", e.message))
}

/// `stabcert eval EXPR --set NAME=VALUE ... [--exact | --digits N]`.
pub fn eval_command(
    src: &str,
    sets: &[String],
    mode: EvalMode,
    time_limit: Duration,
) -> Result<String, CliError> {
    let budget = Budget::with_time(time_limit);
    let mut env = Env::new();
    let mut sets_vals = Vec::new();
    for s in sets {
        let Some((name, value)) = s.split_once('=') else {
            return Err(CliError::Input(format!("--set {s}: expected NAME=VALUE")));
        };
        let name = name.trim();
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '\'')
            && !expr::RESERVED.contains(&name);
        if !valid {
            return Err(CliError::Input(format!(
                "--set {s}: `{name}` is not a valid name"
            )));
        }
        let label = format!("--set {name}");
        let e = expr::parse_expr(value).map_err(|e| expr_error(&label, value, &e))?;
        let v = exact::eval(&e, &mut Env::new(), &budget)
            .map_err(|e| CliError::Input(format!("{label}: {e}")))?;
        env.push(name, v.clone());
        sets_vals.push((name.to_string(), v));
    }
    let (e, uses) = expr::parse_expr_uses(src).map_err(|e| expr_error("EXPR", src, &e))?;
    for (name, off) in &uses {
        if env.get(name).is_none() {
            let (line, col) = expr::line_col(src, *off);
            return Err(CliError::Input(format!(
                "EXPR:{line}:{col}: unknown name `{name}` (give it a value with --set {name}=VALUE)"
            )));
        }
    }
    let vars: Vec<(String, rug::Rational)> = sets_vals;
    // --digits only needs an enclosure: the exact value is tried first only while it is cheap
    let exact_budget = match mode {
        EvalMode::Exact => budget.clone(),
        EvalMode::Digits(_) => Budget {
            max_steps: 200_000,
            ..budget.clone()
        },
    };
    if let EvalMode::Digits(d) = mode
        && !(1..=MAX_DIGITS).contains(&d)
    {
        return Err(CliError::Input(format!(
            "--digits {d}: must be between 1 and {MAX_DIGITS}"
        )));
    }
    match exact::eval(&e, &mut env, &exact_budget) {
        Ok(v) => Ok(match mode {
            EvalMode::Exact => {
                let bits = u64::from(v.numer().significant_bits())
                    + u64::from(v.denom().significant_bits());
                if bits > MAX_PRINT_BITS {
                    return Err(CliError::Input(format!(
                        "EXPR: the exact value (≈ {}) has {bits} bits, more than the {MAX_PRINT_BITS} bits `eval --exact` writes out; use --digits N",
                        rug::Float::with_val(64, &v)
                            .to_string_radix(10, Some(6))
                            .replace("e+", "e")
                    )));
                }
                v.to_string()
            }
            EvalMode::Digits(d) => {
                let (lo, hi) = exact::decimal_enclosure(&v, d);
                format!("[{lo}, {hi}]")
            }
        }),
        Err(ExactError::NotRational(_) | ExactError::Irrational(_) | ExactError::Budget(_))
            if mode != EvalMode::Exact =>
        {
            let EvalMode::Digits(d) = mode else {
                unreachable!("checked")
            };
            let (lo, hi) = real::enclose_digits(&e, &vars, d, 1 << 16, &budget)
                .map_err(|e| CliError::Input(format!("EXPR: {e}")))?;
            Ok(format!("[{lo}, {hi}]"))
        }
        Err(e @ ExactError::Irrational(_)) => Err(CliError::Input(format!(
            "EXPR: {e}; use --digits N for a rigorous enclosure"
        ))),
        Err(ExactError::NotRational(m)) => Err(CliError::Input(format!(
            "EXPR: no exact value: an intermediate value has no rational form ({m}) and exact algebra could not settle the result; use --digits N for a rigorous enclosure"
        ))),
        Err(e) => Err(CliError::Input(format!("EXPR: {e}"))),
    }
}

/// Largest exact value (numerator plus denominator bits, about 2.5 million decimal digits)
/// that `eval --exact` writes out: converting to decimal costs more than computing.
pub const MAX_PRINT_BITS: u64 = 1 << 23;

/// Most significant digits `eval --digits` prints.
pub const MAX_DIGITS: u32 = 10_000;

/// Where `check` takes its claims from when given no path.
pub const DEFAULT_PATH: &str = "proofs/paper";

/// Loads the claims of `paths`, or of `proofs/paper` in the working directory, or else the
/// catalogue compiled into the binary.
pub fn load_claims(paths: &[PathBuf]) -> Result<Vec<Claim>, CliError> {
    load_catalogue(paths).map(|c| c.claims)
}

/// [`load_claims`] with the `[paper]` table and the files' hashes.
pub fn load_catalogue(paths: &[PathBuf]) -> Result<claims::Catalogue, CliError> {
    let r = if !paths.is_empty() {
        for p in paths {
            if !p.exists() {
                return Err(CliError::Input(format!(
                    "{}: no such file or folder",
                    p.display()
                )));
            }
        }
        claims::load_paths_catalogue(paths)
    } else if Path::new(DEFAULT_PATH).is_dir() {
        claims::load_paths_catalogue(&[PathBuf::from(DEFAULT_PATH)])
    } else {
        claims::builtin_catalogue()
    };
    r.map_err(|e| CliError::Input(e.to_string()))
}

/// Decides the claims through the [`pipeline`], with its errors as exit codes.
pub fn decide_claims(
    claims: &[Claim],
    only: &[String],
    opts: &Options,
) -> Result<Vec<Outcome>, CliError> {
    pipeline::decide_claims(claims, only, opts).map_err(CliError::from)
}

impl From<PipelineError> for CliError {
    fn from(e: PipelineError) -> Self {
        match e {
            PipelineError::UnknownId(_) => CliError::Input(e.to_string()),
            PipelineError::Kernel(m) => CliError::Internal(m),
        }
    }
}

impl From<AuditError> for CliError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::Input(m) => CliError::Input(m),
            AuditError::Internal(m) => CliError::Internal(m),
        }
    }
}

/// The decision budgets `check` and `certify` take from the command line; unset ones keep
/// the defaults of [`Options`].
#[derive(Clone, Debug, Default)]
pub struct Budgets {
    /// `--time-per-claim SECONDS`: wall-clock allowance per claim
    pub time_per_claim: Option<Duration>,
    /// `--boxes N`: most boxes per relation and integer point
    pub boxes: Option<u64>,
    /// `--points N`: most points per claim
    pub points: Option<u64>,
}

impl Budgets {
    /// The decision options with these budgets.
    pub fn options(&self) -> Options {
        let d = Options::default();
        Options {
            time_per_claim: self.time_per_claim.unwrap_or(d.time_per_claim),
            max_boxes: self.boxes.unwrap_or(d.max_boxes),
            max_points: self.points.unwrap_or(d.max_points),
            ..d
        }
    }
}

/// Parses a duration in seconds written as an exact decimal or fraction (`60`, `0.5`,
/// `1/4`), more than 0 and at most a day.
pub fn parse_seconds(s: &str) -> Result<Duration, String> {
    let q = expr::parse_expr(s)
        .ok()
        .and_then(|e| exact::eval_closed(&e, &Budget::default()).ok())
        .ok_or_else(|| format!("`{s}` is not a number of seconds"))?;
    if q <= 0 || q > 86_400 {
        return Err(format!(
            "`{s}`: must be more than 0 and at most 86400 seconds"
        ));
    }
    let nanos = (q * rug::Integer::from(1_000_000_000u32)).floor();
    let nanos = nanos.numer().to_u64().unwrap_or(u64::MAX).max(1);
    Ok(Duration::from_nanos(nanos))
}

/// Where `check` sends the table while it is being decided: each row as soon as the rows
/// before it are known (claims are decided in parallel; rows keep the files' order), with a
/// progress bar on standard error when that is a terminal.
struct Streamer<'a> {
    table: report::Table,
    emit: &'a (dyn Fn(&str) + Sync),
    bar: Option<indicatif::ProgressBar>,
    state: std::sync::Mutex<(usize, std::collections::BTreeMap<usize, Vec<Outcome>>)>,
}

impl Streamer<'_> {
    fn print(&self, text: &str) {
        match &self.bar {
            Some(b) => b.suspend(|| (self.emit)(text)),
            None => (self.emit)(text),
        }
    }

    /// Claim `k` is decided: print every row now complete in order.
    fn done(&self, k: usize, outcomes: &[Outcome]) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.1.insert(k, outcomes.to_vec());
        let mut text = String::new();
        loop {
            let next = st.0;
            let Some(rows) = st.1.remove(&next) else {
                break;
            };
            for o in &rows {
                text.push_str(&self.table.row(o));
            }
            st.0 += 1;
        }
        if !text.is_empty() {
            self.print(&text);
        }
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }
}

/// `stabcert check [PATH]... [--json] [--only ID]... [--fail-on VERDICT,...]
/// [--time-per-claim S] [--boxes N] [--points N]`. The table is written through `emit` as
/// it is decided (a row per relation, in the files' order; an interrupted run keeps what
/// was printed) and the count of verdicts is returned; with `json`, nothing is streamed and
/// the document is returned. With `fail_on`, a [`CliError::Gate`] (exit 3) carries what is
/// left to print when a relation has one of those verdicts.
pub fn check_command(
    paths: &[PathBuf],
    only: &[String],
    json: bool,
    budgets: &Budgets,
    fail_on: &[Verdict],
    emit: &(dyn Fn(&str) + Sync),
) -> Result<String, CliError> {
    let catalogue = load_catalogue(paths)?;
    let claims = &catalogue.claims;
    let planned = pipeline::planned_ids(claims, only);
    let streamer = Streamer {
        table: report::Table::new(planned.iter().map(|(i, s)| (i.as_str(), s.as_str()))),
        emit,
        bar: pipeline::progress_bar(claims.len() as u64, "claims"),
        state: std::sync::Mutex::new((0, Default::default())),
    };
    if !json {
        emit(&streamer.table.head());
    }
    let done = |k: usize, outs: &[Outcome]| {
        if json {
            if let Some(b) = &streamer.bar {
                b.inc(1);
            }
        } else {
            streamer.done(k, outs);
        }
    };
    let result = pipeline::decide_claims_with(claims, only, &budgets.options(), &done);
    if let Some(b) = &streamer.bar {
        b.finish_and_clear();
    }
    check_output(&catalogue, result?, json, fail_on)
}

/// What `check` prints once the outcomes are known (also `merge`'s): with `json` the
/// Contract's document, else the table's summary line; gated by `fail_on`.
pub fn check_output(
    catalogue: &claims::Catalogue,
    mut outcomes: Vec<Outcome>,
    json: bool,
    fail_on: &[Verdict],
) -> Result<String, CliError> {
    let claims = &catalogue.claims;
    let output = if json {
        // name the Coq script of each verdict when the one in proofs/coq is up to date
        let certs = certify::certificates(claims, &outcomes);
        for (o, c) in outcomes.iter_mut().zip(&certs) {
            if let Some(s) = &c.script() {
                let path = Path::new(COQ_DIR).join(&c.file);
                if std::fs::read_to_string(&path).is_ok_and(|t| t == *s) {
                    o.certificate = Some(format!("{COQ_DIR}/{}", c.file));
                }
            }
        }
        let mut doc = report::json_document(&outcomes);
        doc["paper"] = serde_json::json!(catalogue.paper);
        doc["files"] = serde_json::json!(catalogue.files);
        // what the Coq script of each verdict states (coqc checks it in `certify`)
        if let Some(items) = doc["claims"].as_array_mut() {
            for (v, c) in items.iter_mut().zip(&certs) {
                v["coq_coverage"] = serde_json::json!({
                    "kind": c.coverage.kind(),
                    "detail": c.coverage.detail(),
                });
            }
        }
        serde_json::to_string_pretty(&doc).map_err(|e| CliError::Internal(e.to_string()))?
    } else {
        report::Table::summary(&outcomes)
    };
    gate(&outcomes, fail_on, output)
}

/// Where `certify` writes its scripts by default.
pub const COQ_DIR: &str = "proofs/coq";

/// `stabcert certify [PATH]... [--out DIR] [--only ID]... [--json] [--no-coqc]`: decides the
/// claims, writes one Coq script per relation (and `Stabcert.v`, `INDEX.md`) into `out`, runs
/// coqc on each unless told not to, and reports per relation what Coq checked.
pub fn certify_command(
    paths: &[PathBuf],
    only: &[String],
    out: &Path,
    json: bool,
    run_coqc: bool,
    budgets: &Budgets,
) -> Result<String, CliError> {
    let claims = load_claims(paths)?;
    // progress on a terminal: the claims decided, then the scripts checked by coqc
    let bar = pipeline::progress_bar(claims.len() as u64, "claims decided");
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let outcomes = pipeline::decide_claims_with(&claims, only, &budgets.options(), &|_, _| tick())?;
    let certs = certify::certificates(&claims, &outcomes);
    if let Some(b) = &bar {
        b.set_position(0);
        b.set_length(certs.len() as u64);
        b.set_message("scripts written and checked by coqc");
    }
    let coqc = if run_coqc { certify::coqc_path() } else { None };
    let why = if run_coqc {
        "coqc is not installed (scripts/setup.sh installs it)"
    } else {
        "--no-coqc"
    };
    let statuses = certify::write_all_with(
        out,
        certs,
        coqc.as_deref(),
        why,
        Duration::from_secs(300),
        &tick,
    )
    .map_err(|e| CliError::Input(format!("{}: {e}", out.display())))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if json {
        let items: Vec<serde_json::Value> = outcomes
            .iter()
            .zip(&statuses)
            .map(|(o, st)| {
                let script = match (st.cert.script(), &st.coq) {
                    (Some(_), CoqResult::Rejected(_)) | (None, _) => None,
                    (Some(_), _) => Some(out.join(&st.cert.file).display().to_string()),
                };
                serde_json::json!({
                    "id": o.id,
                    "verdict": o.verdict.as_str(),
                    "certificate": script,
                    "coq": st.coq.describe(),
                    "seconds": match st.coq { CoqResult::Checked(t) => Some(t), _ => None },
                    "coverage": {
                        "kind": st.coq_coverage().kind(),
                        "detail": st.coq_coverage().detail(),
                    },
                    "proves": st.cert.proves(),
                    "not_certified": st.cert.not_certified,
                })
            })
            .collect();
        return serde_json::to_string_pretty(&report::document(
            "certify",
            serde_json::json!({ "out": out.display().to_string(), "certificates": items }),
        ))
        .map_err(|e| CliError::Internal(e.to_string()));
    }
    let mut s = String::new();
    let w = outcomes
        .iter()
        .map(|o| o.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    s.push_str(&format!(
        "{:<w$}  {:<17}  {:<4}  {:<8}  coq\n",
        "id", "verdict", "thms", "coverage"
    ));
    for (o, st) in outcomes.iter().zip(&statuses) {
        let mut line = st.coq.describe();
        if let Some(n) = st.cert.not_certified.first()
            && st.cert.script().is_none()
        {
            line = n.clone();
        }
        s.push_str(&format!(
            "{:<w$}  {:<17}  {:<4}  {:<8}  {line}\n",
            o.id,
            o.verdict.as_str(),
            st.cert.proves().len(),
            st.coq_coverage().kind()
        ));
    }
    s.push_str(&format!(
        "\n{}; details in {}\n",
        certify::coverage_summary(&statuses),
        out.join("INDEX.md").display()
    ));
    Ok(s)
}

/// One `stabcert symbolic` operation with its arguments.
#[derive(Clone, Debug)]
pub enum SymbolicOp {
    /// `simplify EXPR`
    Simplify(String),
    /// `ratio A B`
    Ratio(String, String),
    /// `crossover A B --solve-for T [--grow n]...`
    Crossover(String, String, String, Vec<String>),
    /// `dominance A B --as n,T [--path "T = n^2"]`
    Dominance(String, String, Vec<String>, Option<String>),
    /// `equal A B`
    Equal(String, String),
}

/// `stabcert symbolic OP ... [--assume SPEC]... [--json]`.
pub fn symbolic_command(
    op: &SymbolicOp,
    assume: &[String],
    json: bool,
) -> Result<String, CliError> {
    use crate::symbolic::{self, range::Assumptions};
    let mut a = Assumptions::default();
    for s in assume {
        a.add(s).map_err(CliError::Input)?;
    }
    let parse = |label: &str, s: &str| expr::parse_expr(s).map_err(|e| expr_error(label, s, &e));
    let ans = match op {
        SymbolicOp::Simplify(e) => symbolic::simplify(&parse("EXPR", e)?, &a),
        SymbolicOp::Ratio(x, y) => symbolic::ratio(&parse("A", x)?, &parse("B", y)?, &a),
        SymbolicOp::Crossover(x, y, t, grow) => {
            symbolic::crossover(&parse("A", x)?, &parse("B", y)?, t, grow, &a)
        }
        SymbolicOp::Dominance(x, y, vars, path) => {
            let path = match path {
                Some(p) => Some(symbolic::parse_path(p).map_err(CliError::Input)?),
                None => None,
            };
            if vars.is_empty() {
                return Err(CliError::Input(
                    "--as: name the growing variables, e.g. --as n,T".into(),
                ));
            }
            symbolic::dominance(&parse("A", x)?, &parse("B", y)?, vars, path.as_ref(), &a)
        }
        SymbolicOp::Equal(x, y) => symbolic::equal(&parse("A", x)?, &parse("B", y)?, &a),
    };
    Ok(if json {
        serde_json::to_string_pretty(&report::document("symbolic", ans.json()))
            .map_err(|e| CliError::Internal(e.to_string()))?
    } else {
        ans.text()
    })
}

/// `stabcert simulate CONFIG [--replicas R] [--seed S] [--json] [--csv FILE]`: the Monte
/// Carlo divergence of twin SGD runs. A progress bar is drawn on a terminal only.
pub fn simulate_command(
    path: &Path,
    replicas: Option<u64>,
    seed: Option<u64>,
    json: bool,
    csv: Option<&Path>,
) -> Result<String, CliError> {
    let run = load_simulation(path, replicas, seed)?;
    let bar = pipeline::progress_bar(run.replicas, "replicas");
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let summary = run.cfg.sim.monte_carlo(run.replicas, run.seed, &tick);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    simulate_output(&run, &summary, json, csv)
}

/// A simulate configuration with the replicas and seed it runs with.
pub struct SimulationRun {
    /// the configuration file as given
    pub path: PathBuf,
    /// the configuration
    pub cfg: crate::sgd::config::Config,
    /// replicas (`--replicas`, else the file's)
    pub replicas: u64,
    /// master seed (`--seed`, else the file's)
    pub seed: u64,
}

impl SimulationRun {
    /// The configuration as it runs: the file's values with `seed` and `replicas` as used.
    pub fn echo(&self) -> serde_json::Value {
        let mut echo = self.cfg.echo.clone();
        if let Some(m) = echo.as_object_mut() {
            m.insert("seed".into(), serde_json::json!(self.seed));
            m.insert("replicas".into(), serde_json::json!(self.replicas));
        }
        echo
    }
}

/// Loads a simulate configuration; `replicas` and `seed` override the file's.
pub fn load_simulation(
    path: &Path,
    replicas: Option<u64>,
    seed: Option<u64>,
) -> Result<SimulationRun, CliError> {
    let cfg = crate::sgd::config::load(path).map_err(|e| CliError::Input(e.to_string()))?;
    let replicas = replicas.unwrap_or(cfg.replicas);
    if replicas == 0 {
        return Err(CliError::Input("--replicas: must be at least 1".into()));
    }
    let seed = seed.unwrap_or(cfg.seed);
    Ok(SimulationRun {
        path: path.to_path_buf(),
        cfg,
        replicas,
        seed,
    })
}

/// What `simulate` prints once the summary is known (also `merge`'s): the table, or with
/// `json` the document; `csv` also writes the checkpoints there.
pub fn simulate_output(
    run: &SimulationRun,
    summary: &crate::sgd::sim::Summary,
    json: bool,
    csv: Option<&Path>,
) -> Result<String, CliError> {
    use crate::sgd::kernels;
    if let Some(csv_path) = csv {
        std::fs::write(csv_path, report::simulation_csv(summary))
            .map_err(|e| CliError::Input(format!("{}: cannot write: {e}", csv_path.display())))?;
    }
    if json {
        let doc = report::document(
            "simulate",
            serde_json::json!({
                "config_file": run.path.display().to_string(),
                "config": run.echo(),
                "description": run.cfg.description,
                "seed": run.seed,
                "replicas": run.replicas,
                "isa": kernels::isa().name(),
                "checkpoints": summary.checkpoints,
                "non_finite": summary.non_finite,
            }),
        );
        return serde_json::to_string_pretty(&doc).map_err(|e| CliError::Internal(e.to_string()));
    }
    Ok(report::simulation_table(&run.cfg.description, summary))
}

/// `stabcert audit [PATH]... [--plots FILE] [--out DIR] [--quick] [--seed S]`: the claims,
/// the certificates, the plots and (for the built-in paper) the experiments, written as a
/// report into `opts.out`.
pub fn audit_command(opts: &crate::audit::AuditOptions) -> Result<String, CliError> {
    let a = crate::audit::run(opts)?;
    report::audit::write(&a, &opts.out)
        .map_err(|e| CliError::Input(format!("{}: {e}", opts.out.display())))
}

/// The claim-file template `stabcert new` writes (`examples/template.toml`, with `NAME`
/// replaced by the name given).
pub const TEMPLATE: &str = include_str!("../examples/template.toml");

/// `stabcert new NAME [--force]`: writes `NAME.toml` (or NAME, when it ends in `.toml`), a
/// commented claim file that checks as it stands; refuses to overwrite a file unless forced.
pub fn new_command(name: &str, force: bool) -> Result<String, CliError> {
    let path = if name.ends_with(".toml") {
        PathBuf::from(name)
    } else {
        PathBuf::from(format!("{name}.toml"))
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| CliError::Input(format!("`{name}`: not a file name")))?;
    if path.exists() && !force {
        return Err(CliError::Input(format!(
            "{}: already exists (use --force to overwrite it)",
            path.display()
        )));
    }
    let title = toml::Value::String(stem.clone()).to_string();
    let text = TEMPLATE
        .replace("title = \"NAME\"", &format!("title = {title}"))
        .replace("NAME.toml", &path.display().to_string());
    std::fs::write(&path, text)
        .map_err(|e| CliError::Input(format!("{}: cannot write: {e}", path.display())))?;
    Ok(format!(
        "wrote {0}: six example claims with comments; check it with\n  stabcert check {0}\nthen replace the examples with your paper's statements",
        path.display()
    ))
}
