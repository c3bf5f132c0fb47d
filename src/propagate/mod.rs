//! Twin-SGD constructions given by their loss, decided exactly by propagating the law of
//! the pair of iterates (w_t, w'_t) over the index draws (issue 18, first part: one or a
//! few weights, losses whose values are rational at rational points).
//!
//! The loss is an expression of the claim language in the weights (`w`, or `w1`, `w2`, …)
//! and the fields of an example (`x`, `y`, or any names). Its gradient is derived from the
//! expression tree by the engine — forward-mode differentiation with exact rationals, one
//! derivative per weight — never typed by the user. At kinks a fixed subgradient convention
//! applies: `abs'(0) = 0`; `min` and `max` follow the first argument that attains the
//! value; `floor` and `ceil` have derivative 0. Integer powers, `+ - * /`, `abs`, `min`,
//! `max`, `floor` and `ceil` are supported; `exp`, `ln`, `sqrt` and real powers make the
//! iterates irrational and are refused with a message (intervals are the next step), as are
//! `sum`, `prod` and `rec` inside a loss.
//!
//! S and S' are listed example by example (they may differ anywhere). Both runs start at
//! the same point and draw the same index at every step t = first_step, …, T − 1, uniformly
//! with replacement or by reshuffling (a fresh permutation every n steps: the state then
//! also holds the set of examples drawn in the current epoch); the step size is an
//! expression in `t`. The law of (w_t, w'_t) is a
//! finite set of states with exact probabilities; equal states are merged after every step,
//! and a state budget ends the run with a message.

use crate::expr::{BinOp, Expr, Func};
use rug::ops::Pow;
use rug::{Float, Rational};
use std::collections::HashMap;

mod quantity;
pub use quantity::{LossSpec, QUANTITIES as LOSS_QUANTITIES};

/// A construction given by its loss and its data.
#[derive(Clone, Debug)]
pub struct LossConstruction {
    /// the loss, in the weights and the fields
    pub loss: Expr,
    /// the weights' names, in order (the dimension is their number)
    pub weights: Vec<String>,
    /// the names of an example's fields, in order
    pub fields: Vec<String>,
    /// the examples of S: one value per field
    pub s: Vec<Vec<Rational>>,
    /// the examples of S', as many as S
    pub s_twin: Vec<Vec<Rational>>,
    /// the step size, an expression in `t`
    pub step: Expr,
    /// the first step's index F: the steps are t = F, …, T − 1
    pub first_step: u64,
    /// the starting point of both runs
    pub start: Vec<Rational>,
    /// how the index of each step is drawn
    pub draws: Draws,
}

/// How both runs draw the example of each step (the same index for both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Draws {
    /// uniformly, independently at every step
    WithReplacement,
    /// a fresh uniform permutation of the n examples every n steps, epochs starting at the
    /// first step (n at most 64)
    Reshuffle,
}

/// Why a propagation stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PropagateError {
    /// The construction is not one this engine handles (the message says what).
    #[error("{0}")]
    Unsupported(String),
    /// A value is undefined (a division by zero, a step size that is not rational).
    #[error("{0}")]
    Undefined(String),
    /// The propagation's time budget ran out.
    #[error("the propagation's time budget ran out at step {step}")]
    Time {
        /// the step it had reached
        step: u64,
    },
    /// The law grew beyond the state budget.
    #[error(
        "the law of (w_t, w'_t) has {states} states after step {step}, above the budget of {limit} (raise it, or lower T or n)"
    )]
    TooManyStates {
        /// states reached
        states: usize,
        /// at which step
        step: u64,
        /// the budget
        limit: usize,
    },
}

/// A value and its gradient with respect to the weights.
#[derive(Clone, Debug)]
struct Dual {
    v: Rational,
    g: Vec<Rational>,
}

impl Dual {
    fn constant(v: Rational, d: usize) -> Dual {
        Dual {
            v,
            g: vec![Rational::new(); d],
        }
    }

    fn scaled(&self, k: &Rational) -> Vec<Rational> {
        self.g.iter().map(|x| Rational::from(x * k)).collect()
    }
}

fn zip(
    a: &[Rational],
    b: &[Rational],
    f: impl Fn(&Rational, &Rational) -> Rational,
) -> Vec<Rational> {
    a.iter().zip(b).map(|(x, y)| f(x, y)).collect()
}

/// Evaluates `e` and its gradient; `vals` binds every name (weights carry unit gradients).
fn dual(e: &Expr, vals: &HashMap<&str, Dual>, d: usize) -> Result<Dual, PropagateError> {
    let irrational = |what: &str| {
        PropagateError::Unsupported(format!(
            "`{what}` makes the iterates irrational: exact propagation handles rational losses (+ - * /, integer powers, abs, min, max, floor, ceil)"
        ))
    };
    Ok(match e {
        Expr::Num(v) => Dual::constant(v.clone(), d),
        Expr::Var(n) => vals
            .get(n.as_str())
            .cloned()
            .ok_or_else(|| PropagateError::Unsupported(format!("`{n}` has no value")))?,
        Expr::Neg(a) => {
            let a = dual(a, vals, d)?;
            Dual {
                v: -a.v,
                g: a.g.into_iter().map(|x| -x).collect(),
            }
        }
        Expr::Bin(op, a, b) => {
            let (a, b) = (dual(a, vals, d)?, dual(b, vals, d)?);
            match op {
                BinOp::Add => Dual {
                    v: Rational::from(&a.v + &b.v),
                    g: zip(&a.g, &b.g, |x, y| Rational::from(x + y)),
                },
                BinOp::Sub => Dual {
                    v: Rational::from(&a.v - &b.v),
                    g: zip(&a.g, &b.g, |x, y| Rational::from(x - y)),
                },
                BinOp::Mul => Dual {
                    g: zip(&a.scaled(&b.v), &b.scaled(&a.v), |x, y| {
                        Rational::from(x + y)
                    }),
                    v: Rational::from(&a.v * &b.v),
                },
                BinOp::Div => {
                    if b.v == 0 {
                        return Err(PropagateError::Undefined(format!(
                            "division by zero in the loss ({e})"
                        )));
                    }
                    let b2 = Rational::from(&b.v * &b.v);
                    // (a' b - a b') / b^2
                    let g = zip(&a.scaled(&b.v), &b.scaled(&a.v), |x, y| {
                        Rational::from(x - y) / &b2
                    });
                    Dual {
                        v: Rational::from(&a.v / &b.v),
                        g,
                    }
                }
                BinOp::Pow => {
                    if b.g.iter().any(|x| *x != 0) || !b.v.is_integer() {
                        return Err(irrational("a power with a non-integer exponent"));
                    }
                    let k = b.v.numer().to_i32().ok_or_else(|| {
                        PropagateError::Unsupported(format!("the exponent {} is too large", b.v))
                    })?;
                    if k < 0 && a.v == 0 {
                        return Err(PropagateError::Undefined(format!(
                            "0 to a negative power in the loss ({e})"
                        )));
                    }
                    let pow = |x: &Rational, k: i32| -> Rational {
                        let r: Rational = x.clone().pow(k.unsigned_abs());
                        if k < 0 { r.recip() } else { r }
                    };
                    let v = pow(&a.v, k);
                    // k a^(k-1) a'
                    let coef = if k == 0 {
                        Rational::new()
                    } else {
                        Rational::from(k) * pow(&a.v, k - 1)
                    };
                    Dual {
                        g: a.scaled(&coef),
                        v,
                    }
                }
            }
        }
        Expr::Call(f, args) => {
            let vals: Vec<Dual> = args
                .iter()
                .map(|x| dual(x, vals, d))
                .collect::<Result<_, _>>()?;
            match f {
                Func::Abs => {
                    let a = &vals[0];
                    // the subgradient convention: abs'(0) = 0
                    let s = Rational::from(a.v.cmp0() as i32);
                    Dual {
                        v: Rational::from(a.v.abs_ref()),
                        g: a.scaled(&s),
                    }
                }
                Func::Min | Func::Max => {
                    // the first argument attaining the value gives the derivative
                    let mut best = &vals[0];
                    for c in &vals[1..] {
                        let better = if *f == Func::Min {
                            c.v < best.v
                        } else {
                            c.v > best.v
                        };
                        if better {
                            best = c;
                        }
                    }
                    best.clone()
                }
                Func::Floor | Func::Ceil => {
                    let a = &vals[0];
                    let v = if *f == Func::Floor {
                        Rational::from(a.v.floor_ref())
                    } else {
                        Rational::from(a.v.ceil_ref())
                    };
                    Dual::constant(v, d)
                }
                Func::Exp | Func::Ln | Func::Sqrt => return Err(irrational(f.name())),
                Func::Opaque(_) => {
                    return Err(PropagateError::Unsupported(format!(
                        "`{}` cannot appear in a loss",
                        f.name()
                    )));
                }
            }
        }
        Expr::Big { .. } | Expr::Rec { .. } => {
            return Err(PropagateError::Unsupported(
                "sums, products and recurrences inside a loss are not supported".into(),
            ));
        }
    })
}

impl LossConstruction {
    /// The number of examples n.
    pub fn n(&self) -> usize {
        self.s.len()
    }

    /// The names of the loss bound at `w` and example `z`; the weights carry unit
    /// gradients when `with_gradient`.
    fn bind<'a>(
        &'a self,
        w: &[Rational],
        z: &[Rational],
        with_gradient: bool,
    ) -> HashMap<&'a str, Dual> {
        let d = self.weights.len();
        let mut vals: HashMap<&str, Dual> = HashMap::new();
        for (k, name) in self.weights.iter().enumerate() {
            let mut x = Dual::constant(w[k].clone(), d);
            if with_gradient {
                x.g[k] = Rational::from(1);
            }
            vals.insert(name, x);
        }
        for (name, v) in self.fields.iter().zip(z) {
            vals.insert(name, Dual::constant(v.clone(), d));
        }
        vals
    }

    /// The gradient of the loss at `w` for example `z` (exact; the conventions at kinks are
    /// the module's).
    pub fn gradient(
        &self,
        w: &[Rational],
        z: &[Rational],
    ) -> Result<Vec<Rational>, PropagateError> {
        Ok(dual(&self.loss, &self.bind(w, z, true), self.weights.len())?.g)
    }

    /// The loss at `w` for example `z`.
    pub fn loss_at(&self, w: &[Rational], z: &[Rational]) -> Result<Rational, PropagateError> {
        Ok(dual(&self.loss, &self.bind(w, z, false), self.weights.len())?.v)
    }

    /// The step size at time `t`.
    pub fn step_at(&self, t: u64) -> Result<Rational, PropagateError> {
        let d = self.weights.len();
        let mut vals: HashMap<&str, Dual> = HashMap::new();
        vals.insert("t", Dual::constant(Rational::from(t), d));
        Ok(dual(&self.step, &vals, d)?.v)
    }

    /// One SGD step from `w` on example `z` with step size `a`.
    fn sgd_step(
        &self,
        w: &[Rational],
        z: &[Rational],
        a: &Rational,
    ) -> Result<Vec<Rational>, PropagateError> {
        let g = self.gradient(w, z)?;
        Ok(zip(w, &g, |x, y| x - Rational::from(a * y)))
    }

    /// The law of (w_T, w'_T): the states after the steps t = F, …, T − 1, equal states
    /// merged, with at most `max_states` states at any step.
    ///
    /// Each step interns the iterates (a state is a pair of ids), computes the update of
    /// each distinct iterate once per example (many states share an iterate), and counts
    /// index sequences with integers (a state's probability is its count over the number of
    /// sequences, all equally likely), so
    /// the work per step is (distinct iterates × n) gradients and (states × n) additions.
    pub fn propagate(&self, t_end: u64, max_states: usize) -> Result<Law, PropagateError> {
        let mut walk = Walk::new(std::sync::Arc::new(self.clone()), max_states, None, false)?;
        while walk.t < t_end {
            walk.step(Restrict::None)?;
        }
        Ok(walk.law())
    }

    /// The indices where S and S' differ.
    fn differing(&self) -> Vec<bool> {
        self.s
            .iter()
            .zip(&self.s_twin)
            .map(|(a, b)| a != b)
            .collect()
    }
}

/// A state of a walk: the ids of w and w' among the step's iterates, the examples drawn
/// so far in the epoch (reshuffling; else 0), and whether an example where S and S'
/// differ has been drawn.
type Key = (u32, u32, u64, bool);

/// Which draws a step allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Restrict {
    /// every draw
    None,
    /// only the first draw of an example where S and S' differ (states that drew one
    /// before are dropped): the step at which H, the first such draw, happens
    FirstDiffering,
}

/// What the iterates reached so far tell about the loss (the hypotheses of a theorem on
/// the region the runs visit): over every iterate of either run at steps F, …, t − 1 and
/// every example of S and S'.
#[derive(Clone, Debug, Default)]
pub(crate) struct Reached {
    /// the largest squared gradient norm
    pub(crate) grad_sq_max: Option<Rational>,
    /// the smallest and largest loss
    pub(crate) loss_range: Option<(Rational, Rational)>,
    /// one dimension: every iterate reached (for slopes of the derivative)
    pub(crate) points: std::collections::BTreeSet<Rational>,
}

/// The law of (w_t, w'_t) advanced one step at a time (the propagation behind
/// [`LossConstruction::propagate`] and the conditional quantities): states with integer
/// counts of index sequences, iterates interned per step.
#[derive(Clone)]
pub(crate) struct Walk {
    c: std::sync::Arc<LossConstruction>,
    differing: Vec<bool>,
    points: Vec<Vec<Rational>>,
    states: HashMap<Key, rug::Integer>,
    /// the number of index sequences of the steps so far (all of them, kept or not)
    total: rug::Integer,
    /// the next step's index
    pub(crate) t: u64,
    max_states: usize,
    deadline: Option<std::time::Instant>,
    /// collected when asked for
    pub(crate) reached: Option<Reached>,
}

impl Walk {
    /// Both runs at the start, before step F.
    pub(crate) fn new(
        c: std::sync::Arc<LossConstruction>,
        max_states: usize,
        deadline: Option<std::time::Instant>,
        collect_reached: bool,
    ) -> Result<Walk, PropagateError> {
        let n = c.n();
        if n == 0 || c.s_twin.len() != n {
            return Err(PropagateError::Unsupported(format!(
                "S has {} examples and S' {}: they must have the same number, at least 1",
                n,
                c.s_twin.len()
            )));
        }
        if c.draws == Draws::Reshuffle && n > 64 {
            return Err(PropagateError::Unsupported(format!(
                "reshuffling tracks the examples drawn in an epoch for n up to 64, not {n}"
            )));
        }
        if c.start.len() != c.weights.len() {
            return Err(PropagateError::Unsupported(format!(
                "the start has {} coordinates for {} weights",
                c.start.len(),
                c.weights.len()
            )));
        }
        let mut states = HashMap::new();
        states.insert((0, 0, 0, false), rug::Integer::from(1));
        Ok(Walk {
            differing: c.differing(),
            points: vec![c.start.clone()],
            states,
            total: rug::Integer::from(1),
            t: c.first_step,
            max_states,
            deadline,
            reached: collect_reached.then(Reached::default),
            c,
        })
    }

    /// Records the loss and gradient at every iterate of this step, for every example.
    fn record_reached(&mut self) -> Result<(), PropagateError> {
        let Some(r) = self.reached.as_mut() else {
            return Ok(());
        };
        let c = &self.c;
        for w in &self.points {
            if c.weights.len() == 1 {
                r.points.insert(w[0].clone());
            }
            for z in c.s.iter().chain(&c.s_twin) {
                let d = dual(&c.loss, &c.bind(w, z, true), c.weights.len())?;
                let g2: Rational = d.g.iter().map(|x| Rational::from(x * x)).sum();
                if r.grad_sq_max.as_ref().is_none_or(|m| g2 > *m) {
                    r.grad_sq_max = Some(g2);
                }
                r.loss_range = Some(match r.loss_range.take() {
                    None => (d.v.clone(), d.v),
                    Some((lo, hi)) => {
                        let lo = if d.v < lo { d.v.clone() } else { lo };
                        let hi = if d.v > hi { d.v } else { hi };
                        (lo, hi)
                    }
                });
            }
        }
        Ok(())
    }

    /// Step t: every state draws each example it may (the same for both runs).
    pub(crate) fn step(&mut self, restrict: Restrict) -> Result<(), PropagateError> {
        if let Some(d) = self.deadline
            && std::time::Instant::now() > d
        {
            return Err(PropagateError::Time { step: self.t });
        }
        self.record_reached()?;
        let c = self.c.clone();
        let n = c.n();
        let t = self.t;
        let a = c.step_at(t)?;
        let pos = ((t - c.first_step) % n as u64) as usize;
        let mut next_ids: HashMap<Vec<Rational>, u32> = HashMap::new();
        let mut next_points: Vec<Vec<Rational>> = Vec::new();
        // the update of iterate `id` on example i of S (run 0) or of S' (run 1)
        let mut cache: HashMap<(u8, u32, usize), u32> = HashMap::new();
        let points = &self.points;
        let mut update = |run: u8, id: u32, i: usize| -> Result<u32, PropagateError> {
            if let Some(&k) = cache.get(&(run, id, i)) {
                return Ok(k);
            }
            let z = if run == 0 { &c.s[i] } else { &c.s_twin[i] };
            let w = c.sgd_step(&points[id as usize], z, &a)?;
            let k = match next_ids.get(&w) {
                Some(&k) => k,
                None => {
                    let k = next_points.len() as u32;
                    next_ids.insert(w.clone(), k);
                    next_points.push(w);
                    k
                }
            };
            cache.insert((run, id, i), k);
            Ok(k)
        };
        let mut next: HashMap<Key, rug::Integer> = HashMap::with_capacity(self.states.len() * 2);
        // a fixed order, so ids (and the work) do not depend on hashing
        let mut cur: Vec<(Key, rug::Integer)> =
            std::mem::take(&mut self.states).into_iter().collect();
        cur.sort_by_key(|x| x.0);
        for ((w, w2, used, hit), count) in cur {
            if restrict == Restrict::FirstDiffering && hit {
                continue;
            }
            for i in 0..n {
                let mut drawn = used;
                if c.draws == Draws::Reshuffle {
                    if used >> i & 1 == 1 {
                        continue;
                    }
                    // the epoch's last draw starts the next epoch afresh
                    drawn = if pos + 1 == n { 0 } else { used | 1 << i };
                }
                if restrict == Restrict::FirstDiffering && !self.differing[i] {
                    continue;
                }
                let key = (
                    update(0, w, i)?,
                    update(1, w2, i)?,
                    drawn,
                    hit || self.differing[i],
                );
                *next.entry(key).or_default() += &count;
            }
            if next.len() > self.max_states {
                return Err(PropagateError::TooManyStates {
                    states: next.len(),
                    step: t,
                    limit: self.max_states,
                });
            }
        }
        self.total *= match c.draws {
            Draws::WithReplacement => n,
            Draws::Reshuffle => n - pos,
        };
        self.states = next;
        self.points = next_points;
        self.t += 1;
        Ok(())
    }

    /// Keeps the states where `keep(w, w')` holds.
    pub(crate) fn retain(&mut self, keep: impl Fn(&[Rational], &[Rational]) -> bool) {
        let points = &self.points;
        self.states
            .retain(|k, _| keep(&points[k.0 as usize], &points[k.1 as usize]));
    }

    /// The states kept: their probability (counts over every index sequence) and the
    /// conditional expectation of ‖w_t − w'_t‖ and of its square given them (`None` when
    /// no state is kept).
    pub(crate) fn moments(&self) -> Moments {
        let mut mass = rug::Integer::new();
        let mut equal = rug::Integer::new();
        let mut sq = Rational::new();
        let (mut lo, mut hi) = (Rational::new(), Rational::new());
        let mut exact = true;
        let mut dist: HashMap<(u32, u32), (Rational, Rational, Rational, bool)> = HashMap::new();
        for (k, count) in &self.states {
            mass += count;
            if k.0 == k.1 {
                equal += count;
                continue;
            }
            let (s2, dlo, dhi, ex) = dist
                .entry((k.0, k.1))
                .or_insert_with(|| {
                    let s2 = sq_distance(&self.points[k.0 as usize], &self.points[k.1 as usize]);
                    let (dlo, dhi, ex) = sqrt_enclosure(&s2, ENCLOSURE_BITS);
                    (s2, dlo, dhi, ex)
                })
                .clone();
            exact &= ex;
            sq += s2 * count;
            lo += dlo * count;
            hi += dhi * count;
        }
        let p = Rational::from((mass.clone(), self.total.clone()));
        let p_equal = Rational::from((equal, self.total.clone()));
        if mass == 0 {
            return Moments {
                p,
                p_equal,
                dist: None,
                sq: None,
            };
        }
        let m = Rational::from(mass);
        let dist = if exact {
            Expectation::Exact(lo / &m)
        } else {
            Expectation::Enclosure(lo / &m, hi / &m)
        };
        Moments {
            p,
            p_equal,
            dist: Some(dist),
            sq: Some(sq / m),
        }
    }

    /// The law of the states kept (probabilities conditional on them).
    pub(crate) fn law(&self) -> Law {
        let mut merged: HashMap<(u32, u32), rug::Integer> = HashMap::new();
        let mut mass = rug::Integer::new();
        for (k, count) in &self.states {
            *merged.entry((k.0, k.1)).or_default() += count;
            mass += count;
        }
        let mut out: Vec<State> = merged
            .into_iter()
            .map(|((w, w2), count)| State {
                w: self.points[w as usize].clone(),
                w_twin: self.points[w2 as usize].clone(),
                p: Rational::from((count, mass.clone())),
            })
            .collect();
        out.sort_by(|x, y| (&x.w, &x.w_twin).cmp(&(&y.w, &y.w_twin)));
        Law { states: out }
    }
}

/// Bits of the enclosures of irrational distances.
pub(crate) const ENCLOSURE_BITS: u32 = 512;

/// What a walk's kept states give.
#[derive(Clone, Debug)]
pub(crate) struct Moments {
    /// their probability
    pub(crate) p: Rational,
    /// the probability of the kept states with w = w'
    pub(crate) p_equal: Rational,
    /// E[‖w − w'‖ | kept]
    pub(crate) dist: Option<Expectation>,
    /// E[‖w − w'‖² | kept]
    pub(crate) sq: Option<Rational>,
}

/// ‖a − b‖².
fn sq_distance(a: &[Rational], b: &[Rational]) -> Rational {
    zip(a, b, |x, y| {
        let d = Rational::from(x - y);
        Rational::from(&d * &d)
    })
    .into_iter()
    .sum()
}

/// `(lo, hi, exact)` with lo <= sqrt(x) <= hi: both the rational root when x is the square
/// of a rational, else square roots rounded outward at `prec` bits.
pub(crate) fn sqrt_enclosure(x: &Rational, prec: u32) -> (Rational, Rational, bool) {
    let (num, den) = (x.numer(), x.denom());
    if num.is_perfect_square() && den.is_perfect_square() {
        let r = Rational::from((num.clone().sqrt(), den.clone().sqrt()));
        return (r.clone(), r, true);
    }
    let mut rd = Float::with_val_round(prec, x, rug::float::Round::Down).0;
    let mut ru = Float::with_val_round(prec, x, rug::float::Round::Up).0;
    rd.sqrt_round(rug::float::Round::Down);
    ru.sqrt_round(rug::float::Round::Up);
    // beyond MPFR's exponent range: 0 <= sqrt(x) <= max(1, x) still encloses it
    let lo = rd.to_rational().unwrap_or_default();
    let hi = ru
        .to_rational()
        .unwrap_or_else(|| x.clone().max(Rational::from(1)));
    (lo, hi, false)
}

/// One state of the law: both iterates and their probability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// w_T (run on S)
    pub w: Vec<Rational>,
    /// w'_T (run on S')
    pub w_twin: Vec<Rational>,
    /// its probability
    pub p: Rational,
}

impl State {
    /// ‖w_T − w'_T‖² (exact).
    pub fn sq_distance(&self) -> Rational {
        sq_distance(&self.w, &self.w_twin)
    }
}

/// The law of (w_T, w'_T): states sorted, probabilities summing to 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Law {
    /// the states
    pub states: Vec<State>,
}

/// E‖w_T − w'_T‖: exact where every distance is rational, else an enclosure.
#[derive(Clone, Debug, PartialEq)]
pub enum Expectation {
    /// the exact value
    Exact(Rational),
    /// lo <= value <= hi (outward-rounded square roots)
    Enclosure(Rational, Rational),
}

impl Law {
    /// E‖w_T − w'_T‖² (exact).
    pub fn expected_sq_distance(&self) -> Rational {
        let mut e = Rational::new();
        for s in &self.states {
            e += s.sq_distance() * &s.p;
        }
        e
    }

    /// E‖w_T − w'_T‖ (Euclidean norm): exact when every state's squared distance is the
    /// square of a rational (always in one dimension), else enclosed with square roots
    /// rounded outward at `prec` bits.
    pub fn expected_distance(&self, prec: u32) -> Expectation {
        let (mut lo, mut hi) = (Rational::new(), Rational::new());
        let mut exact = true;
        for s in &self.states {
            let (dlo, dhi, ex) = sqrt_enclosure(&s.sq_distance(), prec);
            exact &= ex;
            lo += dlo * &s.p;
            hi += dhi * &s.p;
        }
        if exact {
            Expectation::Exact(lo)
        } else {
            Expectation::Enclosure(lo, hi)
        }
    }

    /// The probability of w_T = w'_T.
    pub fn p_equal(&self) -> Rational {
        self.states
            .iter()
            .filter(|s| s.w == s.w_twin)
            .map(|s| s.p.clone())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse_expr;

    fn q(s: &str) -> Rational {
        s.parse().unwrap()
    }

    fn c1(loss: &str, s: &[(&str, &str)], s_twin: &[(&str, &str)], step: &str) -> LossConstruction {
        let ex = |v: &[(&str, &str)]| v.iter().map(|(x, y)| vec![q(x), q(y)]).collect();
        LossConstruction {
            loss: parse_expr(loss).unwrap(),
            weights: vec!["w".into()],
            fields: vec!["x".into(), "y".into()],
            s: ex(s),
            s_twin: ex(s_twin),
            step: parse_expr(step).unwrap(),
            first_step: 1,
            start: vec![Rational::new()],
            draws: Draws::WithReplacement,
        }
    }

    #[test]
    fn gradients_follow_the_conventions_at_kinks() {
        let c = c1("abs(w*x - y)", &[("1", "0")], &[("1", "0")], "1");
        assert_eq!(
            c.gradient(&[q("2")], &[q("1"), q("0")]).unwrap(),
            vec![q("1")]
        );
        assert_eq!(
            c.gradient(&[q("-2")], &[q("1"), q("0")]).unwrap(),
            vec![q("-1")]
        );
        // abs'(0) = 0
        assert_eq!(
            c.gradient(&[q("0")], &[q("1"), q("0")]).unwrap(),
            vec![q("0")]
        );
        // hinge: max(0, 1 - y w x); at the kink the first argument (0) gives the derivative
        let h = c1("max(0, 1 - y*w*x)", &[("1", "1")], &[("1", "1")], "1");
        assert_eq!(
            h.gradient(&[q("0")], &[q("1"), q("1")]).unwrap(),
            vec![q("-1")]
        );
        assert_eq!(
            h.gradient(&[q("1")], &[q("1"), q("1")]).unwrap(),
            vec![q("0")]
        );
        // a Huber loss: w^2/2 inside [-1, 1], |w| - 1/2 outside
        let hub = c1(
            "w^2/2 - max(0, abs(w) - 1)^2/2",
            &[("0", "0")],
            &[("0", "0")],
            "1",
        );
        assert_eq!(hub.loss_at(&[q("3")], &[q("0"), q("0")]).unwrap(), q("5/2"));
        assert_eq!(
            hub.gradient(&[q("1/3")], &[q("0"), q("0")]).unwrap(),
            vec![q("1/3")]
        );
        assert_eq!(
            hub.gradient(&[q("-3")], &[q("0"), q("0")]).unwrap(),
            vec![q("-1")]
        );
        // integer powers and quotients
        let p = c1("(w - x)^3/y", &[("0", "2")], &[("0", "2")], "1");
        assert_eq!(
            p.gradient(&[q("2")], &[q("1"), q("2")]).unwrap(),
            vec![q("3/2")]
        );
        // irrational losses are refused with a message
        let l = c1("ln(1 + exp(-y*w*x))", &[("1", "1")], &[("1", "1")], "1");
        let e = l.gradient(&[q("0")], &[q("1"), q("1")]).unwrap_err();
        assert!(e.to_string().contains("irrational"), "{e}");
    }

    #[test]
    fn probabilities_sum_to_one_and_equal_states_merge() {
        let c = c1(
            "abs(w - x)",
            &[("1", "0"), ("0", "0"), ("0", "0")],
            &[("-1", "0"), ("0", "0"), ("0", "0")],
            "1/4",
        );
        let law = c.propagate(8, 10_000).unwrap();
        let total: Rational = law.states.iter().map(|s| s.p.clone()).sum();
        assert_eq!(total, 1);
        // 7 steps from 0: the runs stay mirror images, w' = -w, on the lattice of 1/4: 5
        // states where there are 3^7 index sequences
        assert_eq!(law.states.len(), 5);
        assert!(
            law.states
                .iter()
                .all(|s| s.w_twin[0] == Rational::from(-&s.w[0]))
        );
        let e = c.propagate(8, 3).unwrap_err();
        assert!(
            matches!(e, PropagateError::TooManyStates { limit: 3, .. }),
            "{e}"
        );
    }
}
