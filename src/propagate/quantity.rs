//! The quantities of a construction given by its loss, as opaque functions the claims
//! use: each is registered in `expr::opaque` and called with its time arguments (`T`,
//! `t0`, `s`) and the values of the claim parameters the construction's data uses; the
//! exact engine gets its value, the interval engine an enclosure where the value is
//! irrational. Laws are cached per parameter values and advanced step by step, so a
//! sweep over T propagates once.

use super::{
    Draws, ENCLOSURE_BITS, Expectation, LossConstruction, Moments, PropagateError, Restrict, Walk,
    dual, enclosure, sqrt_enclosure,
};
use crate::expr::opaque::{Opaque, OpaqueError, OpaqueId, register};
use crate::expr::{BinOp, Expr, Func};
use rug::Rational;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A construction given by its loss as a claim file states it: the data may use the
/// claim's parameters (`step` also `t`).
#[derive(Clone, Debug)]
pub struct LossSpec {
    /// the construction's id
    pub id: String,
    /// the loss, in the weights and the fields
    pub loss: Expr,
    /// the weights' names
    pub weights: Vec<String>,
    /// the fields of an example
    pub fields: Vec<String>,
    /// S, one expression per field
    pub s: Vec<Vec<Expr>>,
    /// S', as many examples as S
    pub s_twin: Vec<Vec<Expr>>,
    /// the step size, in `t` and parameters
    pub step: Expr,
    /// the first step F
    pub first_step: Expr,
    /// the start of both runs
    pub start: Vec<Expr>,
    /// how indices are drawn
    pub draws: Draws,
    /// most states of a law
    pub max_states: usize,
    /// most seconds one evaluation may propagate
    pub max_seconds: u64,
}

/// The quantities: name, meaning, time arguments.
pub const QUANTITIES: &[(&str, &str, &[&str])] = &[
    ("div_T", "E||w_T - w'_T||", &["T"]),
    ("sqdiv_T", "E||w_T - w'_T||^2", &["T"]),
    ("div_t0", "E||w_t0 - w'_t0||", &["t0"]),
    ("p_zero_t0", "P[w_t0 = w'_t0]", &["t0"]),
    (
        "div_t0_given_nonzero_t0",
        "E[||w_t0 - w'_t0|| | w_t0 != w'_t0]",
        &["t0"],
    ),
    (
        "div_T_given_zero_t0",
        "E[||w_T - w'_T|| | w_t0 = w'_t0]",
        &["T", "t0"],
    ),
    (
        "div_T_given_nonzero_t0",
        "E[||w_T - w'_T|| | w_t0 != w'_t0]",
        &["T", "t0"],
    ),
    (
        "p_first_s",
        "P[H = s], H the first step drawing an example where S and S' differ",
        &["s"],
    ),
    (
        "div_T_given_first_s",
        "E[||w_T - w'_T|| | H = s]",
        &["T", "s"],
    ),
    (
        "grad_max_T",
        "the largest ||grad f(w; z)|| over the iterates of both runs at steps F..T-1 and every example z of S and S'",
        &["T"],
    ),
    (
        "loss_min_T",
        "the smallest f(w; z) over the same iterates and examples",
        &["T"],
    ),
    (
        "loss_max_T",
        "the largest f(w; z) over the same iterates and examples",
        &["T"],
    ),
    (
        "slope_max_T",
        "one weight: the largest |f'(a; z) - f'(b; z)| / |a - b| over iterates a != b reached at steps F..T-1 and every example z (a lower bound of the smoothness constant beta there)",
        &["T"],
    ),
];

/// The names of the loss as functions of the weights ([`LossSpec::loss_functions`]).
pub const LOSS_FUNCTIONS: &[&str] = &[
    "loss_min_w",
    "loss_max_w",
    "grad_norm_w",
    "curv_min_w",
    "curv_max_w",
];

/// One registered quantity of one construction.
#[derive(Debug)]
struct Quantity {
    name: String,
    kind: usize,
    /// how many leading arguments are times
    times: usize,
    cache: Arc<Cache>,
}

/// The laws of one construction, per parameter values.
#[derive(Debug)]
struct Cache {
    spec: LossSpec,
    params: Vec<String>,
    instances: Mutex<HashMap<Vec<Rational>, Arc<Mutex<Instance>>>>,
}

/// Walks and what they gave, at one set of parameter values.
struct Instance {
    c: Arc<LossConstruction>,
    /// the unconditional walk and its moments at t = F, F + 1, …
    main: Option<Walk>,
    main_moments: Vec<Moments>,
    /// walks conditioned at a time (kind: 0 w = w', 1 w != w', 2 H = s), their moments
    /// from the conditioning time on
    conditioned: HashMap<(u8, u64), (Walk, Vec<Moments>, Rational)>,
    /// the walk that collects the reached region, and its statistics at T = F + 1, …
    reach: Option<Walk>,
    reached: Vec<ReachedStats>,
    /// a walk that failed (a budget), by kind (0 w = w', 1 w != w', 2 H = s, 3 the
    /// unconditional walk, 4 the reached region) and conditioning time: the step it
    /// reached and the message, so that later requests beyond it fail at once
    failures: HashMap<(u8, u64), (u64, String)>,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Instance")
    }
}

/// Enclosures (lo = hi for rational losses) of the reached-region statistics.
#[derive(Clone, Debug)]
struct ReachedStats {
    grad_sq_max: (Rational, Rational),
    loss_min: (Rational, Rational),
    loss_max: (Rational, Rational),
    /// the largest slope of the derivative, or why there is none
    slope_max: Result<Rational, String>,
}

fn failed(e: PropagateError) -> OpaqueError {
    match e {
        PropagateError::Undefined(m) => OpaqueError::Undefined(m),
        other => OpaqueError::Failed(other.to_string()),
    }
}

impl LossSpec {
    /// The claim parameters the data uses (every name but the weights, the fields and `t`),
    /// sorted.
    pub fn params(&self) -> Vec<String> {
        let mut names = BTreeSet::new();
        for e in self
            .s
            .iter()
            .chain(&self.s_twin)
            .flatten()
            .chain(&self.start)
            .chain([&self.first_step])
        {
            names.extend(e.free_vars());
        }
        names.extend(self.step.free_vars().into_iter().filter(|n| n != "t"));
        names.into_iter().collect()
    }

    /// The construction at parameter values `values` (in the order of [`Self::params`]).
    pub fn instantiate(
        &self,
        params: &[String],
        values: &[Rational],
    ) -> Result<LossConstruction, PropagateError> {
        let bind: HashMap<&str, super::Dual> = params
            .iter()
            .zip(values)
            .map(|(n, v)| (n.as_str(), super::Dual::constant(v.clone(), 0)))
            .collect();
        let value = |e: &Expr| dual(e, &bind, 0).map(|d| d.v);
        let examples = |v: &[Vec<Expr>]| -> Result<Vec<Vec<Rational>>, PropagateError> {
            v.iter().map(|z| z.iter().map(value).collect()).collect()
        };
        let f = value(&self.first_step)?;
        let first_step = f
            .is_integer()
            .then(|| f.numer().to_u64())
            .flatten()
            .ok_or_else(|| {
                PropagateError::Undefined(format!(
                    "the first step {f} is not a non-negative integer"
                ))
            })?;
        let mut step = self.step.clone();
        for (n, v) in params.iter().zip(values) {
            step = step.substitute(n, &Expr::Num(v.clone()));
        }
        Ok(LossConstruction {
            loss: self.loss.clone(),
            weights: self.weights.clone(),
            fields: self.fields.clone(),
            s: examples(&self.s)?,
            s_twin: examples(&self.s_twin)?,
            step,
            first_step,
            start: self.start.iter().map(value).collect::<Result<_, _>>()?,
            draws: self.draws,
        })
    }

    /// The loss as functions of the weights (the weights' names are then claim
    /// parameters, ranging over the box a claim declares): name, meaning and expression.
    /// `loss_min_w` and `loss_max_w` (the smallest and largest f(w; z) over the distinct
    /// examples z of S and S'), and where the loss has a symbolic derivative in every
    /// weight (no `abs`, `min`, `max`, `floor`, `ceil` on a path that uses one)
    /// `grad_norm_w` (the largest ‖∇f(w; z)‖) and, for one weight, `curv_min_w` and
    /// `curv_max_w` (the smallest and largest f''(w; z)): convexity, smoothness, Lipschitz
    /// constants and the loss range on a whole box, as ordinary expressions the engines
    /// decide, Coq certifies and the kernel re-checks.
    pub fn loss_functions(&self) -> Vec<(String, String, Expr)> {
        let mut examples: Vec<&Vec<Expr>> = Vec::new();
        for z in self.s.iter().chain(&self.s_twin) {
            if !examples.contains(&z) {
                examples.push(z);
            }
        }
        let at: Vec<Expr> = examples
            .iter()
            .map(|z| {
                let mut e = self.loss.clone();
                for (f, v) in self.fields.iter().zip(z.iter()) {
                    e = e.substitute(f, v);
                }
                e
            })
            .collect();
        let over = |f: Func, xs: Vec<Expr>| {
            if xs.len() == 1 {
                xs.into_iter().next().expect("one")
            } else {
                Expr::Call(f, xs)
            }
        };
        let mut out = vec![
            (
                "loss_min_w".to_string(),
                "the smallest f(w; z) over the examples of S and S', at the weights w".to_string(),
                over(Func::Min, at.clone()),
            ),
            (
                "loss_max_w".to_string(),
                "the largest f(w; z) over the examples of S and S', at the weights w".to_string(),
                over(Func::Max, at.clone()),
            ),
        ];
        let grads: Option<Vec<Vec<Expr>>> = at
            .iter()
            .map(|f| {
                self.weights
                    .iter()
                    .map(|w| crate::expr::derivative(f, w))
                    .collect()
            })
            .collect();
        let Some(grads) = grads else {
            return out;
        };
        let norm = |g: &Vec<Expr>| {
            if g.len() == 1 {
                Expr::Call(Func::Abs, vec![g[0].clone()])
            } else {
                let sq = g
                    .iter()
                    .map(|x| Expr::bin(BinOp::Pow, x.clone(), Expr::num(2)))
                    .reduce(|a, b| Expr::bin(BinOp::Add, a, b))
                    .expect("a weight");
                Expr::Call(Func::Sqrt, vec![sq])
            }
        };
        out.push((
            "grad_norm_w".into(),
            "the largest ||grad f(w; z)|| over the examples of S and S', at the weights w".into(),
            over(Func::Max, grads.iter().map(norm).collect()),
        ));
        if self.weights.len() == 1 {
            let second: Option<Vec<Expr>> = grads
                .iter()
                .map(|g| crate::expr::derivative(&g[0], &self.weights[0]))
                .collect();
            if let Some(second) = second {
                out.push((
                    "curv_min_w".into(),
                    "the smallest f''(w; z) over the examples of S and S' (convex where it is >= 0)".into(),
                    over(Func::Min, second.clone()),
                ));
                out.push((
                    "curv_max_w".into(),
                    "the largest f''(w; z) over the examples of S and S' (beta-smooth where |f''| <= beta)".into(),
                    over(Func::Max, second),
                ));
            }
        }
        out
    }

    /// Registers every quantity as an opaque function; returns, for each quantity name
    /// (with `_t1` copies of the `_t0` ones), its meaning and the expression a claim's
    /// definition takes: the call with its time arguments and the parameters.
    pub fn register(&self) -> Vec<(String, String, Expr)> {
        let params = self.params();
        let cache = Arc::new(Cache {
            spec: self.clone(),
            params: params.clone(),
            instances: Mutex::new(HashMap::new()),
        });
        let mut out = Vec::new();
        for (kind, (name, meaning, times)) in QUANTITIES.iter().enumerate() {
            let id: OpaqueId = register(Arc::new(Quantity {
                name: format!("{}.{name}", self.id),
                kind,
                times: times.len(),
                cache: cache.clone(),
            }));
            let call = |times: &[&str]| {
                let args: Vec<Expr> = times
                    .iter()
                    .map(|n| n.to_string())
                    .chain(params.iter().cloned())
                    .map(Expr::Var)
                    .collect();
                Expr::Call(Func::Opaque(id), args)
            };
            out.push((name.to_string(), meaning.to_string(), call(times)));
            if name.ends_with("_t0") {
                let t1: Vec<&str> = times
                    .iter()
                    .map(|t| if *t == "t0" { "t1" } else { t })
                    .collect();
                out.push((
                    format!("{}_t1", name.trim_end_matches("_t0")).replace("t0", "t1"),
                    meaning.replace("t0", "t1"),
                    call(&t1),
                ));
            }
        }
        out
    }
}

/// A non-negative integer time argument.
fn time_arg(x: &Rational, name: &str) -> Result<u64, OpaqueError> {
    if !x.is_integer() || *x < 0 {
        return Err(OpaqueError::Undefined(format!(
            "the time {name} = {x} is not a non-negative integer"
        )));
    }
    x.numer()
        .to_u64()
        .ok_or_else(|| OpaqueError::Failed(format!("the time {name} = {x} is too large")))
}

impl Cache {
    fn instance(&self, values: &[Rational]) -> Result<Arc<Mutex<Instance>>, OpaqueError> {
        let mut map = self.instances.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = map.get(values) {
            return Ok(i.clone());
        }
        let c = self
            .spec
            .instantiate(&self.params, values)
            .map_err(failed)?;
        let inst = Arc::new(Mutex::new(Instance {
            c: Arc::new(c),
            main: None,
            main_moments: Vec::new(),
            conditioned: HashMap::new(),
            reach: None,
            reached: Vec::new(),
            failures: HashMap::new(),
        }));
        map.insert(values.to_vec(), inst.clone());
        Ok(inst)
    }
}

/// Most steps a law is propagated over.
const MAX_STEPS: u64 = 1_000_000;

impl Instance {
    fn walk(&self, spec: &LossSpec, reached: bool, deadline: Instant) -> Result<Walk, OpaqueError> {
        Walk::new(self.c.clone(), spec.max_states, Some(deadline), reached).map_err(failed)
    }

    fn check_time(&self, t: u64, name: &str) -> Result<(), OpaqueError> {
        let f = self.c.first_step;
        if t < f {
            return Err(OpaqueError::Undefined(format!(
                "{name} = {t} is before the first step F = {f}"
            )));
        }
        if t - f > MAX_STEPS {
            return Err(OpaqueError::Failed(format!(
                "{name} = {t}: more than {MAX_STEPS} steps to propagate"
            )));
        }
        Ok(())
    }

    /// The error of an earlier walk of `key` that stopped at or before step `t`.
    fn failed_before(&self, key: (u8, u64), t: u64) -> Result<(), OpaqueError> {
        match self.failures.get(&key) {
            Some((at, m)) if *at <= t => Err(OpaqueError::Failed(m.clone())),
            _ => Ok(()),
        }
    }

    /// Records that the walk of `key` stopped at step `at`.
    fn fail(&mut self, key: (u8, u64), at: u64, e: PropagateError) -> OpaqueError {
        let e = failed(e);
        if let OpaqueError::Failed(m) = &e {
            self.failures.insert(key, (at, m.clone()));
        }
        e
    }

    /// The unconditional moments at time t.
    fn at(&mut self, spec: &LossSpec, t: u64, deadline: Instant) -> Result<Moments, OpaqueError> {
        self.check_time(t, "the time")?;
        let k = (t - self.c.first_step) as usize;
        if let Some(m) = self.main_moments.get(k) {
            return Ok(m.clone());
        }
        self.failed_before((3, 0), t)?;
        let mut w = match self.main.take() {
            Some(w) => w,
            None => {
                let w = self.walk(spec, false, deadline)?;
                self.main_moments = vec![w.moments()];
                w
            }
        };
        w.deadline = Some(deadline);
        while w.t < t {
            if let Err(e) = w.step(Restrict::None) {
                // the walk is lost; the moments up to here stay
                let at = w.t;
                return Err(self.fail((3, 0), at, e));
            }
            self.main_moments.push(w.moments());
        }
        self.main = Some(w);
        Ok(self.main_moments[k].clone())
    }

    /// Moments at `t` of the walk conditioned at `at` (`which`: 0 w = w', 1 w != w',
    /// 2 H = at), and the condition's probability.
    fn conditioned(
        &mut self,
        spec: &LossSpec,
        which: u8,
        at: u64,
        t: u64,
        deadline: Instant,
    ) -> Result<(Rational, Moments), OpaqueError> {
        self.check_time(at, "the conditioning time")?;
        let start = if which == 2 { at + 1 } else { at };
        if t < start {
            return Err(OpaqueError::Undefined(format!(
                "T = {t} is before the conditioning time {}",
                if which == 2 {
                    format!("s + 1 = {start}")
                } else {
                    format!("t0 = {at}")
                }
            )));
        }
        self.failed_before((which, at), t)?;
        if !self.conditioned.contains_key(&(which, at)) {
            let mut w = self.walk(spec, false, deadline)?;
            while w.t < at {
                if let Err(e) = w.step(Restrict::None) {
                    return Err(self.fail((which, at), w.t, e));
                }
            }
            match which {
                0 | 1 => {
                    if let Err(e) = w.retain(which == 0) {
                        return Err(self.fail((which, at), at, e));
                    }
                }
                _ => {
                    if let Err(e) = w.step(Restrict::FirstDiffering) {
                        return Err(self.fail((which, at), w.t, e));
                    }
                }
            }
            let m = w.moments();
            let p = m.p.clone();
            self.conditioned.insert((which, at), (w, vec![m], p));
        }
        let (w, ms, p) = self
            .conditioned
            .get_mut(&(which, at))
            .expect("inserted above");
        let k = (t - start) as usize;
        w.deadline = Some(deadline);
        while ms.len() <= k {
            if let Err(e) = w.step(Restrict::None) {
                let reached = w.t;
                self.conditioned.remove(&(which, at));
                return Err(self.fail((which, at), reached, e));
            }
            ms.push(w.moments());
        }
        Ok((p.clone(), ms[k].clone()))
    }

    /// The reached-region statistics at T.
    fn reached(
        &mut self,
        spec: &LossSpec,
        t: u64,
        deadline: Instant,
    ) -> Result<ReachedStats, OpaqueError> {
        self.check_time(t, "T")?;
        let f = self.c.first_step;
        if t == f {
            return Err(OpaqueError::Undefined(format!(
                "no step before T = {t}: no iterate at which a gradient is taken"
            )));
        }
        let k = (t - f - 1) as usize;
        if let Some(r) = self.reached.get(k) {
            return Ok(r.clone());
        }
        self.failed_before((4, 0), t)?;
        let mut w = match self.reach.take() {
            Some(w) => w,
            None => self.walk(spec, true, deadline)?,
        };
        w.deadline = Some(deadline);
        while w.t < t {
            if let Err(e) = w.step(Restrict::None) {
                let at = w.t;
                return Err(self.fail((4, 0), at, e));
            }
            let stats = self.stats(&w).map_err(|e| self.fail((4, 0), t, e))?;
            self.reached.push(stats);
        }
        self.reach = Some(w);
        Ok(self.reached[k].clone())
    }

    /// The reached-region statistics of a collecting walk so far.
    fn stats(&self, w: &Walk) -> Result<ReachedStats, PropagateError> {
        let r = w.reached.as_ref().expect("collected");
        let c = &self.c;
        let slope_max = if c.needs_boxes() {
            Err("slope_max_T is computed for rational losses only (the iterates of this loss are enclosed, and slopes between overlapping enclosures are unbounded)".to_string())
        } else if c.weights.len() == 1 {
            let mut best = Rational::new();
            for z in c.s.iter().chain(&c.s_twin) {
                let mut prev: Option<(&Rational, Rational)> = None;
                for x in &r.points {
                    let g = c.gradient(std::slice::from_ref(x), z)?;
                    let g = g.into_iter().next().expect("one weight");
                    if let Some((px, pg)) = &prev {
                        let slope = (Rational::from(&g - pg) / Rational::from(x - *px)).abs();
                        if slope > best {
                            best = slope;
                        }
                    }
                    prev = Some((x, g));
                }
            }
            Ok(best)
        } else {
            Err("slope_max_T is computed for one weight only".to_string())
        };
        let some = |x: &Option<(Rational, Rational)>| x.clone().expect("at least one step");
        Ok(ReachedStats {
            grad_sq_max: some(&r.grad_sq_max),
            loss_min: some(&r.loss_min),
            loss_max: some(&r.loss_max),
            slope_max,
        })
    }
}

fn dist_value(m: &Moments, what: &str) -> Result<Expectation, OpaqueError> {
    m.dist
        .clone()
        .ok_or_else(|| OpaqueError::Undefined(format!("the condition {what} has probability 0")))
}

impl Quantity {
    fn value(&self, args: &[Rational]) -> Result<Expectation, OpaqueError> {
        let (name, _, time_names) = QUANTITIES[self.kind];
        if args.len() != self.times + self.cache.params.len() {
            return Err(OpaqueError::Failed(format!(
                "`{}` takes {} arguments",
                self.name,
                self.times + self.cache.params.len()
            )));
        }
        let mut times = Vec::with_capacity(self.times);
        for (x, n) in args.iter().zip(time_names) {
            times.push(time_arg(x, n)?);
        }
        let spec = &self.cache.spec;
        let inst = self.cache.instance(&args[self.times..])?;
        let mut inst = inst.lock().unwrap_or_else(|e| e.into_inner());
        let deadline = Instant::now() + Duration::from_secs(spec.max_seconds);
        let t = times[0];
        Ok(match name {
            "div_T" | "div_t0" => dist_value(&inst.at(spec, t, deadline)?, "(none)")?,
            "sqdiv_T" => inst
                .at(spec, t, deadline)?
                .sq
                .unwrap_or(Expectation::Exact(Rational::new())),
            "p_zero_t0" => inst.at(spec, t, deadline)?.p_equal,
            "div_t0_given_nonzero_t0" => {
                let (_, m) = inst.conditioned(spec, 1, t, t, deadline)?;
                dist_value(&m, "w_t0 != w'_t0")?
            }
            "div_T_given_zero_t0" => {
                let (_, m) = inst.conditioned(spec, 0, times[1], t, deadline)?;
                dist_value(&m, "w_t0 = w'_t0")?
            }
            "div_T_given_nonzero_t0" => {
                let (_, m) = inst.conditioned(spec, 1, times[1], t, deadline)?;
                dist_value(&m, "w_t0 != w'_t0")?
            }
            "p_first_s" => {
                let (p, _) = inst.conditioned(spec, 2, t, t + 1, deadline)?;
                Expectation::Exact(p)
            }
            "div_T_given_first_s" => {
                let (_, m) = inst.conditioned(spec, 2, times[1], t, deadline)?;
                dist_value(&m, "H = s")?
            }
            "grad_max_T" => {
                let (g_lo, g_hi) = inst.reached(spec, t, deadline)?.grad_sq_max;
                let (lo, _, _) = sqrt_enclosure(&g_lo, ENCLOSURE_BITS);
                let (_, hi, _) = sqrt_enclosure(&g_hi, ENCLOSURE_BITS);
                enclosure(lo, hi)
            }
            "loss_min_T" => {
                let (lo, hi) = inst.reached(spec, t, deadline)?.loss_min;
                enclosure(lo, hi)
            }
            "loss_max_T" => {
                let (lo, hi) = inst.reached(spec, t, deadline)?.loss_max;
                enclosure(lo, hi)
            }
            "slope_max_T" => Expectation::Exact(
                inst.reached(spec, t, deadline)?
                    .slope_max
                    .map_err(OpaqueError::Failed)?,
            ),
            other => unreachable!("quantity {other}"),
        })
    }
}

impl Opaque for Quantity {
    fn name(&self) -> &str {
        &self.name
    }

    fn arity(&self) -> usize {
        self.times + self.cache.params.len()
    }

    fn exact(&self, args: &[Rational]) -> Result<Rational, OpaqueError> {
        match self.value(args)? {
            Expectation::Exact(v) => Ok(v),
            Expectation::Enclosure(..) => Err(OpaqueError::Inexact(format!(
                "`{}` is enclosed, not exact here (a sum of square roots, or iterates of a loss with irrational values)",
                self.name
            ))),
        }
    }

    fn definition(&self) -> Option<crate::expr::opaque::Definition> {
        let (name, ..) = QUANTITIES[self.kind];
        let sp = &self.cache.spec;
        Some(crate::expr::opaque::Definition::Twin {
            quantity: name.to_string(),
            times: self.times,
            loss: sp.loss.clone(),
            weights: sp.weights.clone(),
            fields: sp.fields.clone(),
            s: sp.s.clone(),
            s_twin: sp.s_twin.clone(),
            step: sp.step.clone(),
            first_step: sp.first_step.clone(),
            start: sp.start.clone(),
            reshuffle: sp.draws == Draws::Reshuffle,
        })
    }

    fn recheck(&self, args: &[String]) -> Option<Result<String, String>> {
        let (name, ..) = QUANTITIES[self.kind];
        Some(super::recheck::quantity(
            &self.cache.spec,
            &self.cache.params,
            name,
            args,
        ))
    }

    fn enclose(&self, args: &[Rational], _prec: u32) -> Result<(Rational, Rational), OpaqueError> {
        match self.value(args)? {
            Expectation::Exact(v) => Ok((v.clone(), v)),
            Expectation::Enclosure(lo, hi) => Ok((lo, hi)),
        }
    }
}
