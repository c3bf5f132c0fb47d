//! The `stabcert simulate` configuration file (TOML) and its validation into a [`Sim`].
//! Every error names the file, line and column of the offending value.
//!
//! ```toml
//! seed = 1                 # master seed (--seed overrides)
//! replicas = 1000          # --replicas overrides
//! steps = 1000             # SGD steps per run
//! checkpoints = [10, 100, 1000]   # step counts to record (default: up to 20, log-spaced)
//! probe = 0                # z of E|f(w;z) - f(w';z)|, an index into S (default: the twin index)
//! full_twin = false        # true: compute the run on S' from step 1, not from the first
//!                          # draw of the differing example (same bits, up to twice the work)
//!
//! [data]                   # synthetic | iris | winequality | diabetes | csv | npy | construction
//! source = "synthetic"
//! n = 2000
//! d = 64
//! # source = "csv", file = "train.csv", target = "y"   (a header line; default target: the last column)
//! # source = "npy", file = "x.npy", targets = "y.npy"  (default targets: the last column of x)
//!
//! [model]                  # quadratic | linear | logistic | mlp
//! loss = "logistic"
//!
//! [twin]                   # replace | remove-duplicate
//! kind = "replace"
//! index = 0
//!
//! [sgd]
//! step = "0.05"            # an exact expression in t: "0.05", "c/t", "a/(beta*t)"
//! params = { c = "1/2" }   # names the step uses, as exact values
//! momentum = 0.0
//! batch = 1
//! sampling = "with-replacement"   # or "reshuffle"
//! init = "zeros"           # zeros | scaled | a standard deviation (0.1)
//! ```
//!
//! A construction of a claim file (`source = "construction"`, `id`, `params`, `dim`,
//! optional `file`, default the compiled-in catalogue) brings its own loss, step, first step
//! and sampling: the simulation then measures exactly what the exact engine's `div_T` is.
//! A construction given by its loss also brings S, S' and the start (its loss is compiled
//! to a [`super::tape::Tape`]); `[model]`, `[twin]` and `[sgd] init` are then refused.

mod model;
mod raw;

use super::data::{self, Data, Twin};
use super::model::{Activation, Model};
use super::sim::{Init, Sim};
use crate::claims;
use crate::construction::Sampling;
use crate::engine::exact::{self, Budget, Env};
use crate::expr::{self, Expr};
use model::{build_model, load_data};
use ndarray::Array2;
use raw::*;
use rug::Rational;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

/// A configuration that cannot be used: where and why (the crate's one source-position
/// error type; `claim` is always `None`).
pub type ConfigError = crate::source::SourceError;

/// A validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// the experiment
    pub sim: Sim,
    /// replicas (from the file, default 1000)
    pub replicas: u64,
    /// master seed (from the file, default 0)
    pub seed: u64,
    /// the file as a JSON value, for the record of what produced a result
    pub echo: serde_json::Value,
    /// one line saying what runs: data, loss, twin, step
    pub description: String,
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError::at(self.file, self.text, span.start, message)
    }

    fn whole(&self, message: impl Into<String>) -> ConfigError {
        ConfigError::whole(self.file, message)
    }

    /// A positive integer at most `max`.
    fn count(
        &self,
        v: &Spanned<i64>,
        what: &str,
        min: i64,
        max: i64,
    ) -> Result<usize, ConfigError> {
        let x = *v.get_ref();
        if x < min || x > max {
            return Err(self.err(
                v.span(),
                format!("{what} must be an integer in {min}..={max}, not {x}"),
            ));
        }
        Ok(x as usize)
    }

    /// An exact value: an integer, a decimal (read from the file's text, so `0.01` is
    /// exactly 1/100, never the nearest double) or a string holding an exact expression.
    fn exact(&self, v: &Spanned<NumOrStr>, what: &str) -> Result<Rational, ConfigError> {
        match v.get_ref() {
            NumOrStr::Int(i) => Ok(Rational::from(*i)),
            NumOrStr::Float(_) => {
                let written = self.text.get(v.span()).unwrap_or("").replace('_', "");
                let written = written.trim().trim_start_matches('+');
                let e = expr::parse_expr(written).map_err(|e| {
                    self.err(v.span(), format!("{what}: `{written}`: {}", e.message))
                })?;
                exact::eval(
                    &e,
                    &mut Env::new(),
                    &Budget::with_time(Duration::from_secs(5)),
                )
                .map_err(|e| self.err(v.span(), format!("{what}: {e}")))
            }
            NumOrStr::Str(s) => {
                let e = expr::parse_expr(s).map_err(|e| {
                    self.err(
                        v.span().start + 1 + e.offset..v.span().end,
                        format!("{what}: {}", e.message),
                    )
                })?;
                exact::eval(
                    &e,
                    &mut Env::new(),
                    &Budget::with_time(Duration::from_secs(5)),
                )
                .map_err(|e| self.err(v.span(), format!("{what}: {e}")))
            }
        }
    }

    fn params(
        &self,
        params: &BTreeMap<String, Spanned<NumOrStr>>,
    ) -> Result<Vec<(String, Rational)>, ConfigError> {
        params
            .iter()
            .map(|(k, v)| Ok((k.clone(), self.exact(v, &format!("parameter `{k}`"))?)))
            .collect()
    }
}

/// Every float the file gives must be a finite number (`nan` and `inf` are valid TOML).
fn check_finite(ctx: &Ctx, raw: &RawConfig) -> Result<(), ConfigError> {
    let one = |v: &Option<Spanned<f64>>, what: &str| -> Result<(), ConfigError> {
        match v {
            Some(x) if !x.get_ref().is_finite() => Err(ctx.err(
                x.span(),
                format!("{what} must be a finite number, not {}", x.get_ref()),
            )),
            _ => Ok(()),
        }
    };
    let all = |v: &Option<Spanned<Vec<f64>>>, what: &str| -> Result<(), ConfigError> {
        match v {
            Some(xs) => match xs.get_ref().iter().find(|x| !x.is_finite()) {
                Some(bad) => Err(ctx.err(
                    xs.span(),
                    format!("{what} must hold finite numbers, not {bad}"),
                )),
                None => Ok(()),
            },
            None => Ok(()),
        }
    };
    let d = raw.data.get_ref();
    one(&d.noise, "noise")?;
    all(&d.others, "others")?;
    if let Some(m) = &raw.model {
        all(&m.get_ref().spectrum, "spectrum")?;
    }
    if let Some(sgd) = &raw.sgd {
        one(&sgd.get_ref().momentum, "momentum")?;
    }
    let nums = raw
        .sgd
        .iter()
        .flat_map(|s| s.get_ref().params.values().chain(s.get_ref().step.iter()))
        .chain(d.params.values());
    for v in nums {
        if let NumOrStr::Float(f) = v.get_ref()
            && !f.is_finite()
        {
            return Err(ctx.err(v.span(), format!("{f} is not a finite number")));
        }
    }
    Ok(())
}

fn to_f64(v: &Rational) -> f64 {
    v.to_f64()
}

/// Evaluates `e` exactly under `env`, as f64.
fn eval_f64(e: &Expr, env: &mut Env) -> Result<f64, exact::ExactError> {
    exact::eval(e, env, &Budget::with_time(Duration::from_secs(5))).map(|v| to_f64(&v))
}

/// Reads and validates a config file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = crate::source::read_text(path).map_err(|e| {
        ConfigError::whole(&path.display().to_string(), format!("cannot read: {e}"))
    })?;
    parse(&path.display().to_string(), &text, path.parent())
}

/// Validates a config given as text; `dir` resolves a relative construction `file`.
pub fn parse(file: &str, text: &str, dir: Option<&Path>) -> Result<Config, ConfigError> {
    let ctx = Ctx { file, text };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let mut err = ctx.err(span.clone(), crate::source::one_line(e.message()));
        if span == (0..0) {
            err.line = 0;
        }
        err
    })?;
    let echo: serde_json::Value = toml::from_str::<toml::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_value(v).ok())
        .unwrap_or(serde_json::Value::Null);
    check_finite(&ctx, &raw)?;
    let steps = ctx.count(&raw.steps, "steps", 1, 100_000_000)?;
    let replicas = match &raw.replicas {
        Some(r) => ctx.count(r, "replicas", 1, 1_000_000_000)? as u64,
        None => 1000,
    };
    let seed = match &raw.seed {
        Some(s) => ctx.count(s, "seed", 0, i64::MAX)? as u64,
        None => 0,
    };
    let d = raw.data.get_ref();
    let source = d.source.get_ref().trim();
    let sgd = raw.sgd.as_ref().map(|s| s.get_ref());

    let setup = if source == "construction" {
        construction_setup(&ctx, &raw, dir)?
    } else {
        plain_setup(&ctx, &raw, dir)?
    };
    let Setup {
        model,
        data,
        replacement,
        first_step: first_step_default,
        sampling: sampling_default,
        step: step_expr,
        step_params,
        construction,
        fixed,
    } = setup;
    let n = data.n();
    let (twin, kind, fixed_init) = match fixed {
        Some((twin, init)) => (twin, "as listed".to_string(), Some(init)),
        None => {
            let (twin, kind) = twin_of(&ctx, &raw, &data, replacement)?;
            (twin, kind, None)
        }
    };

    // the schedule
    let first_step = match &raw.first_step {
        Some(f) => ctx.count(f, "first_step", 0, i64::MAX / 2)? as u64,
        None => first_step_default,
    };
    // a construction's step is the construction's: point at the [data] table naming it
    let step_fallback = if construction {
        d.id.as_ref().map_or(raw.data.span(), |i| i.span())
    } else {
        0..0
    };
    let alphas = step_sizes(
        &ctx,
        &step_expr,
        &step_params,
        first_step,
        steps,
        sgd,
        step_fallback,
    )?;
    let momentum = match sgd.and_then(|s| s.momentum.as_ref()) {
        Some(m) => {
            let v = *m.get_ref();
            if !(0.0..1.0).contains(&v) {
                return Err(ctx.err(m.span(), format!("momentum must be in [0, 1), not {v}")));
            }
            v
        }
        None => 0.0,
    };
    let batch = match sgd.and_then(|s| s.batch.as_ref()) {
        Some(b) => ctx.count(b, "batch", 1, n as i64)?,
        None => 1,
    };
    let sampling = match sgd.and_then(|s| s.sampling.as_ref()) {
        Some(s) => Sampling::parse(s.get_ref()).ok_or_else(|| {
            ctx.err(
                s.span(),
                "sampling is \"with-replacement\" or \"reshuffle\"",
            )
        })?,
        None => sampling_default,
    };
    let init = match fixed_init {
        Some(init) => init,
        None => init_of(&ctx, sgd, &model)?,
    };
    let probe = match &raw.probe {
        Some(p) => ctx.count(p, "probe", 0, n as i64 - 1)?,
        None => twin.index,
    };
    let checkpoints = checkpoints_of(&ctx, raw.checkpoints.as_ref(), steps)?;
    let description = describe(&Description {
        model: &model,
        data: &data,
        source: if construction {
            format!(
                "construction `{}`",
                d.id.as_ref().map(|s| s.get_ref().as_str()).unwrap_or("")
            )
        } else {
            source.to_string()
        },
        kind: &kind,
        twin_index: twin.index,
        steps,
        step: &step_expr,
        momentum,
        batch,
        sampling,
    });
    Ok(Config {
        sim: Sim {
            model,
            data,
            twin,
            alphas,
            first_step,
            momentum,
            batch,
            sampling,
            init,
            probe,
            checkpoints,
            share_until_split: !raw.full_twin.as_ref().is_some_and(|f| *f.get_ref()),
        },
        replicas,
        seed,
        echo,
        description,
    })
}

/// What the data source fixes before the twin and the schedule are read: the loss, the data,
/// the replacement example, the default first step and sampling, and the step size.
struct Setup {
    model: Model,
    data: Data,
    replacement: Option<Twin>,
    first_step: u64,
    sampling: Sampling,
    step: Expr,
    step_params: Vec<(String, Rational)>,
    /// whether the data come from a construction
    construction: bool,
    /// the twin and the start, when the construction fixes them (one given by its loss)
    fixed: Option<(Twin, Init)>,
}

/// `[data] source = "construction"`: the construction fixes the loss, the data, the twin,
/// the step, the first step and the sampling.
fn construction_setup(
    ctx: &Ctx,
    raw: &RawConfig,
    dir: Option<&Path>,
) -> Result<Setup, ConfigError> {
    let d = raw.data.get_ref();
    let sgd = raw.sgd.as_ref().map(|s| s.get_ref());
    let twin_raw = raw.twin.as_ref().map(|t| t.get_ref());
    if let Some(s) = sgd.and_then(|s| s.step.as_ref()) {
        return Err(ctx.err(
            s.span(),
            "a construction brings its own step size: drop [sgd] step",
        ));
    }
    let (spec, params) = match load_construction(ctx, d, dir)? {
        (claims::ConstructionSpec::Quadratic(spec), params) => (spec, params),
        (claims::ConstructionSpec::Loss(entry), params) => {
            return loss_setup(ctx, raw, &entry.spec, params);
        }
    };
    let mut env = Env::new();
    for (k, v) in &params {
        env.push(k, v.clone());
    }
    let n_val = params
        .iter()
        .find(|(k, _)| k == "n")
        .map(|(_, v)| v.clone());
    let Some(n_val) = n_val.filter(|v| v.is_integer() && *v >= 2 && *v <= 10_000_000) else {
        return Err(ctx.err(
            raw.data.span(),
            "a construction needs the dataset size as an integer parameter `n` >= 2 in [data] params",
        ));
    };
    let n = n_val.to_f64() as usize;
    let dim = match &d.dim {
        Some(v) => ctx.count(v, "dim", 1, 10_000)?,
        None => 10,
    };
    let ev = |e: &Expr, what: &str, env: &mut Env| {
        eval_f64(e, env)
            .map_err(|err| ctx.err(raw.data.span(), format!("the construction's {what}: {err}")))
    };
    let lambda = ev(&spec.eigenvalue, "eigenvalue", &mut env)?;
    let z = (ev(&spec.x, "x", &mut env)?, ev(&spec.y, "y", &mut env)?);
    let zt = (
        ev(&spec.x_twin, "x_twin", &mut env)?,
        ev(&spec.y_twin, "y_twin", &mut env)?,
    );
    let first = exact::eval(&spec.first_step, &mut env, &Budget::default())
        .ok()
        .filter(|v| v.is_integer() && *v >= 0)
        .ok_or_else(|| {
            ctx.err(
                raw.data.span(),
                "the construction's first step is not a non-negative integer",
            )
        })?;
    let others = match &d.others {
        Some(o) if o.get_ref().len() == 2 && o.get_ref()[0] <= o.get_ref()[1] => {
            o.get_ref().clone()
        }
        Some(o) => {
            return Err(ctx.err(
                o.span(),
                "others = [lo, hi]: the range of the other eigenvalues, lo <= hi",
            ));
        }
        None => vec![0.1, 1.0],
    };
    let other: Vec<f64> = (0..dim.saturating_sub(1))
        .map(|k| {
            if dim <= 2 {
                others[0]
            } else {
                others[0] + (others[1] - others[0]) * k as f64 / (dim - 2) as f64
            }
        })
        .collect();
    let index = match twin_raw.and_then(|t| t.index.as_ref()) {
        Some(i) => ctx.count(i, "twin index", 0, n as i64 - 1)?,
        None => 0,
    };
    let data_seed = match &d.seed {
        Some(s) => ctx.count(s, "data seed", 0, i64::MAX)? as u64,
        None => 0,
    };
    let e = data::embed_construction(n, dim, lambda, &other, z, zt, index, data_seed);
    if let Some(m) = &raw.model
        && m.get_ref().loss.get_ref().trim() != "quadratic"
    {
        return Err(ctx.err(
            m.get_ref().loss.span(),
            "a construction's loss is \"quadratic\"; drop [model] or say loss = \"quadratic\"",
        ));
    }
    let first = first.to_f64() as u64;
    let sampling = spec.sampling;
    let step = spec.step.clone();
    Ok(Setup {
        model: Model::Quadratic { a: e.a },
        data: e.data,
        replacement: Some(e.twin),
        first_step: first,
        sampling,
        step,
        step_params: params,
        construction: true,
        fixed: None,
    })
}

/// `[data] source = "construction"` naming a construction given by its loss: the loss is
/// compiled to a tape, S and S' and the start are the construction's (at the parameters of
/// `[data] params`), as are the step, the first step and the sampling; `[model]`, `[twin]`
/// and `[sgd] init` are refused.
fn loss_setup(
    ctx: &Ctx,
    raw: &RawConfig,
    spec: &crate::propagate::LossSpec,
    params: Vec<(String, Rational)>,
) -> Result<Setup, ConfigError> {
    let at_data = |msg: String| ctx.err(raw.data.span(), msg);
    let refuse = |span: std::ops::Range<usize>, what: &str| {
        ctx.err(
            span,
            format!(
                "construction `{}` is given by its loss: it fixes {what}; drop this table or value",
                spec.id
            ),
        )
    };
    if let Some(m) = &raw.model {
        return Err(refuse(m.span(), "the loss"));
    }
    if let Some(t) = &raw.twin {
        return Err(refuse(t.span(), "S' (its s_twin)"));
    }
    if let Some(i) = raw.sgd.as_ref().and_then(|s| s.get_ref().init.as_ref()) {
        return Err(refuse(i.span(), "the start of both runs (its start)"));
    }
    let names = spec.params();
    let values: Vec<Rational> = names
        .iter()
        .map(|n| {
            params
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .expect("load_construction checked every name")
        })
        .collect();
    let c = spec
        .instantiate(&names, &values)
        .map_err(|e| at_data(format!("construction `{}`: {e}", spec.id)))?;
    let tape = super::tape::Tape::compile(&c.loss, &c.weights, &c.fields)
        .map_err(|e| at_data(format!("construction `{}`: {e}", spec.id)))?;
    let rows = |v: &[Vec<Rational>]| -> Array2<f64> {
        Array2::from_shape_fn((v.len(), c.fields.len()), |(i, j)| v[i][j].to_f64())
    };
    let (x, x_twin) = (rows(&c.s), rows(&c.s_twin));
    let n = c.n();
    let differ: Vec<usize> = (0..n).filter(|&i| c.s[i] != c.s_twin[i]).collect();
    let Some((&first, rest)) = differ.split_first() else {
        return Err(at_data(format!(
            "construction `{}`: S' does not differ from S, there is nothing to measure",
            spec.id
        )));
    };
    let twin = Twin {
        index: first,
        x: x_twin.row(first).to_owned(),
        y: 0.0,
        others: rest
            .iter()
            .map(|&i| (i, x_twin.row(i).to_owned(), 0.0))
            .collect(),
    };
    let start: Vec<f64> = c.start.iter().map(|v| v.to_f64()).collect();
    Ok(Setup {
        model: Model::Expr(std::sync::Arc::new(tape)),
        data: Data {
            x,
            y: ndarray::Array1::zeros(n),
        },
        replacement: None,
        first_step: c.first_step,
        sampling: match c.draws {
            crate::propagate::Draws::WithReplacement => Sampling::WithReplacement,
            crate::propagate::Draws::Reshuffle => Sampling::Reshuffle,
        },
        step: spec.step.clone(),
        step_params: params,
        construction: true,
        fixed: Some((twin, Init::Given(std::sync::Arc::new(start)))),
    })
}

/// A dataset and a `[model]`: the step size comes from `[sgd]`.
fn plain_setup(ctx: &Ctx, raw: &RawConfig, dir: Option<&Path>) -> Result<Setup, ConfigError> {
    let d = raw.data.get_ref();
    let sgd = raw.sgd.as_ref().map(|s| s.get_ref());
    let model_raw = raw.model.as_ref().ok_or_else(|| {
        ctx.whole(
            "[model] is missing: say loss = \"quadratic\", \"linear\", \"logistic\" or \"mlp\"",
        )
    })?;
    let (data, replacement) = load_data(ctx, d, model_raw.get_ref(), dir)?;
    let model = build_model(ctx, model_raw, &data)?;
    let (step, params) = match sgd.and_then(|s| s.step.as_ref()) {
        None => {
            return Err(ctx.whole(
                "[sgd] step is missing: an exact expression in t, e.g. \"0.05\" or \"c/t\"",
            ));
        }
        Some(s) => step_expression(ctx, s, sgd.expect("present"))?,
    };
    Ok(Setup {
        model,
        data,
        replacement,
        first_step: 1,
        sampling: Sampling::WithReplacement,
        step,
        step_params: params,
        construction: false,
        fixed: None,
    })
}

/// The twin S' (`[twin]`): one example replaced, or one removed and another duplicated;
/// never equal to S. Returns it with its kind.
fn twin_of(
    ctx: &Ctx,
    raw: &RawConfig,
    data: &Data,
    replacement: Option<Twin>,
) -> Result<(Twin, String), ConfigError> {
    let d = raw.data.get_ref();
    let twin_raw = raw.twin.as_ref().map(|t| t.get_ref());
    let n = data.n();
    let kind = twin_raw
        .and_then(|t| t.kind.as_ref())
        .map(|k| (k.get_ref().trim().to_string(), k.span()))
        .unwrap_or(("replace".into(), 0..0));
    let index = match twin_raw.and_then(|t| t.index.as_ref()) {
        Some(i) => ctx.count(i, "twin index", 0, n as i64 - 1)?,
        None => 0,
    };
    let twin = match kind.0.as_str() {
        "replace" => {
            let mut t = replacement.ok_or_else(|| ctx.whole("no replacement example"))?;
            t.index = index;
            t
        }
        "remove-duplicate" => {
            let dup = match twin_raw.and_then(|t| t.duplicate.as_ref()) {
                Some(i) => ctx.count(i, "twin duplicate", 0, n as i64 - 1)?,
                None => (index + 1) % n,
            };
            if dup == index {
                let span = twin_raw
                    .and_then(|t| t.duplicate.as_ref().or(t.index.as_ref()))
                    .map(|v| v.span())
                    .or_else(|| raw.twin.as_ref().map(|t| t.span()))
                    .unwrap_or(0..0);
                let msg =
                    "twin duplicate must differ from twin index: the twin would not differ from S";
                return Err(if span == (0..0) {
                    ctx.whole(msg)
                } else {
                    ctx.err(span, msg)
                });
            }
            Twin::remove_duplicate(data, index, dup)
        }
        other => {
            return Err(ctx.err(
                kind.1,
                format!("unknown twin kind `{other}`: \"replace\" or \"remove-duplicate\""),
            ));
        }
    };
    // a twin equal to S measures nothing: say so where the twin comes from
    if twin.y == data.y[twin.index] && twin.x.as_slice() == Some(data.row(twin.index)) {
        let span = twin_raw
            .and_then(|t| t.duplicate.as_ref().or(t.index.as_ref()))
            .map(|v| v.span())
            .or_else(|| raw.twin.as_ref().map(|t| t.span()))
            .or_else(|| d.id.as_ref().map(|i| i.span()))
            .unwrap_or_else(|| raw.data.span());
        return Err(ctx.err(
            span,
            format!(
                "the twin does not differ from S: example {} of S' is example {} of S",
                twin.index, twin.index
            ),
        ));
    }

    Ok((twin, kind.0))
}

/// `[sgd] init`: zeros, scaled (the MLP's default) or a Gaussian's standard deviation.
fn init_of(ctx: &Ctx, sgd: Option<&RawSgd>, model: &Model) -> Result<Init, ConfigError> {
    Ok(match sgd.and_then(|s| s.init.as_ref()) {
        None if matches!(model, Model::Mlp { .. }) => Init::Scaled,
        None => Init::Zeros,
        Some(i) => match i.get_ref() {
            NumOrStr::Str(s) if s.trim() == "zeros" => Init::Zeros,
            NumOrStr::Str(s) if s.trim() == "scaled" => Init::Scaled,
            NumOrStr::Float(v) if *v >= 0.0 && v.is_finite() => Init::Gaussian(*v),
            NumOrStr::Int(v) if *v >= 0 => Init::Gaussian(*v as f64),
            _ => {
                return Err(ctx.err(
                    i.span(),
                    "init is \"zeros\", \"scaled\" or a non-negative standard deviation",
                ));
            }
        },
    })
}

/// `checkpoints`: increasing step counts in `1..=steps` (default: up to 20, log-spaced).
fn checkpoints_of(
    ctx: &Ctx,
    checkpoints: Option<&Spanned<Vec<i64>>>,
    steps: usize,
) -> Result<Vec<usize>, ConfigError> {
    Ok(match checkpoints {
        Some(c) => {
            let v = c.get_ref();
            if v.is_empty()
                || v.windows(2).any(|w| w[0] >= w[1])
                || v[0] < 1
                || *v.last().expect("nonempty") > steps as i64
            {
                return Err(ctx.err(
                    c.span(),
                    format!("checkpoints must be increasing step counts in 1..={steps}"),
                ));
            }
            v.iter().map(|&k| k as usize).collect()
        }
        None => default_checkpoints(steps),
    })
}

/// What [`describe`] says.
struct Description<'a> {
    model: &'a Model,
    data: &'a Data,
    source: String,
    kind: &'a str,
    twin_index: usize,
    steps: usize,
    step: &'a Expr,
    momentum: f64,
    batch: usize,
    sampling: Sampling,
}

/// One line saying what runs: data, loss, twin, step.
fn describe(x: &Description<'_>) -> String {
    let size = match x.model {
        Model::Expr(t) => {
            let plural =
                |k: usize, what: &str| format!("{k} {what}{}", if k == 1 { "" } else { "s" });
            format!(
                "n = {}, {}, {}",
                x.data.n(),
                plural(t.dim(), "weight"),
                plural(t.fields(), "field")
            )
        }
        _ => format!("n = {}, d = {}", x.data.n(), x.data.d()),
    };
    format!(
        "{} on {} ({size}), twin {} at {}, {} steps of {}{}{}, {}",
        x.model.name(),
        x.source,
        x.kind,
        x.twin_index,
        x.steps,
        x.step,
        if x.momentum > 0.0 {
            format!(", momentum {}", x.momentum)
        } else {
            String::new()
        },
        if x.batch > 1 {
            format!(", batch {}", x.batch)
        } else {
            String::new()
        },
        match x.sampling {
            Sampling::WithReplacement => "with replacement",
            Sampling::Reshuffle => "reshuffled each epoch",
        },
    )
}

/// Up to 20 step counts, log-spaced, ending at `steps`.
pub fn default_checkpoints(steps: usize) -> Vec<usize> {
    if steps <= 20 {
        return (1..=steps).collect();
    }
    let mut v: Vec<usize> = (0..20)
        .map(|i| ((steps as f64).powf((i + 1) as f64 / 20.0)).round() as usize)
        .map(|k| k.clamp(1, steps))
        .collect();
    v.dedup();
    *v.last_mut().expect("nonempty") = steps;
    v
}

fn load_construction(
    ctx: &Ctx,
    d: &RawData,
    dir: Option<&Path>,
) -> Result<(claims::ConstructionSpec, Vec<(String, Rational)>), ConfigError> {
    let id =
        d.id.as_ref()
            .ok_or_else(|| ctx.whole("[data] source = \"construction\" needs an `id`"))?;
    let list = match &d.file {
        Some(f) => {
            let p = Path::new(f.get_ref());
            let p = match dir {
                Some(dir) if p.is_relative() && !p.exists() => dir.join(p),
                _ => p.to_path_buf(),
            };
            let text = crate::source::read_text(&p)
                .map_err(|e| ctx.err(f.span(), format!("cannot read {}: {e}", p.display())))?;
            claims::load_constructions(&p.display().to_string(), &text)
        }
        None => claims::catalogue_constructions(),
    }
    .map_err(|e| ctx.whole(format!("loading the construction: {e}")))?;
    let Some((_, spec)) = list.into_iter().find(|(i, _)| i == id.get_ref().trim()) else {
        return Err(ctx.err(id.span(), format!("no construction `{}`", id.get_ref())));
    };
    let params = ctx.params(&d.params)?;
    // every name the construction uses (besides t) must be given
    let mut names: std::collections::BTreeSet<String> = match &spec {
        claims::ConstructionSpec::Quadratic(s) => s.free_names().into_iter().collect(),
        claims::ConstructionSpec::Loss(e) => e.spec.params().into_iter().collect(),
    };
    names.remove("t");
    for name in names {
        if !params.iter().any(|(k, _)| *k == name) {
            return Err(ctx.err(
                id.span(),
                format!("the construction uses `{name}`: give its value in [data] params"),
            ));
        }
    }
    Ok((spec, params))
}

fn step_expression(
    ctx: &Ctx,
    s: &Spanned<NumOrStr>,
    sgd: &RawSgd,
) -> Result<(Expr, Vec<(String, Rational)>), ConfigError> {
    let e = match s.get_ref() {
        NumOrStr::Int(i) => Expr::num(*i),
        // read from the decimal text as written: `0.01` is exactly 1/100
        NumOrStr::Float(_) => Expr::num(ctx.exact(s, "step")?),
        NumOrStr::Str(src) => {
            let (e, uses) = expr::parse_expr_uses(src).map_err(|e| {
                ctx.err(
                    s.span().start + 1 + e.offset..s.span().end,
                    format!("step: {}", e.message),
                )
            })?;
            for (name, off) in &uses {
                if name != "t" && !sgd.params.contains_key(name) {
                    return Err(ctx.err(
                        s.span().start + 1 + off..s.span().end,
                        format!("step uses `{name}`: give its value in [sgd] params (or use t, the time)"),
                    ));
                }
            }
            e
        }
    };
    Ok((e, ctx.params(&sgd.params)?))
}

/// α at every time `first .. first + steps`, evaluated exactly and rounded to f64; each
/// must be finite and non-negative.
fn step_sizes(
    ctx: &Ctx,
    e: &Expr,
    params: &[(String, Rational)],
    first: u64,
    steps: usize,
    sgd: Option<&RawSgd>,
    fallback: std::ops::Range<usize>,
) -> Result<Vec<f64>, ConfigError> {
    let span = sgd
        .and_then(|s| s.step.as_ref())
        .map(|s| s.span())
        .unwrap_or(fallback);
    let at = |msg: String| {
        if span == (0..0) {
            ctx.whole(msg)
        } else {
            ctx.err(span.clone(), msg)
        }
    };
    let mut env = Env::new();
    for (k, v) in params {
        env.push(k, v.clone());
    }
    let budget = Budget::with_time(Duration::from_secs(60));
    let constant = !e.mentions("t");
    let mut out = Vec::with_capacity(steps);
    for k in 0..steps {
        let t = first + k as u64;
        if constant && k > 0 {
            out.push(out[0]);
            continue;
        }
        env.push("t", Rational::from(t));
        let v = exact::eval(e, &mut env, &budget);
        env.pop();
        let v = v.map_err(|err| at(format!("step size at t = {t}: {err}")))?;
        if v < 0 {
            return Err(at(format!(
                "step size at t = {t} is negative ({}): steps must be non-negative",
                exact::approx(&v, 6)
            )));
        }
        let f = to_f64(&v);
        if !f.is_finite() {
            return Err(at(format!("step size at t = {t} is too large for f64")));
        }
        out.push(f);
    }
    Ok(out)
}
