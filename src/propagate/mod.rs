//! Twin-SGD constructions given by their loss, decided by propagating the law of the pair
//! of iterates (w_t, w'_t) over the index draws: exactly for losses whose values are
//! rational at rational points, with rigorous boxes for the others (`interval`).
//!
//! The loss is an expression of the claim language in the weights (`w`, or `w1`, `w2`, …)
//! and the fields of an example (`x`, `y`, or any names). Its gradient is derived from the
//! expression tree by the engine — forward-mode differentiation with exact rationals, one
//! derivative per weight — never typed by the user. At kinks a fixed subgradient convention
//! applies: `abs'(0) = 0`; `min` and `max` follow the first argument that attains the
//! value; `floor` and `ceil` have derivative 0. With integer powers, `+ - * /`, `abs`,
//! `min`, `max`, `floor` and `ceil` the iterates are exact rationals; `exp`, `ln`, `sqrt`
//! and real powers make them irrational, and each iterate is then a box (an interval per
//! weight, outward-rounded MPFR endpoints stored as dyadic rationals) that contains it.
//! `sum`, `prod` and `rec` inside a loss are refused.
//!
//! S and S' are listed example by example (they may differ anywhere). Both runs start at
//! the same point and draw the same index at every step t = first_step, …, T − 1, uniformly
//! with replacement or by reshuffling (a fresh permutation every n steps: the state then
//! also holds the set of examples drawn in the current epoch); the step size is an
//! expression in `t`. The law of (w_t, w'_t) is a finite set of states with exact
//! probabilities; equal states (for boxes: bit-identical boxes) are merged after every
//! step, and a state budget ends the run with a message.

use crate::expr::{BinOp, Expr, Func};
use rug::ops::Pow;
use rug::{Float, Rational};
use std::collections::HashMap;

mod interval;
mod quantity;
mod recheck;
pub use quantity::{LOSS_FUNCTIONS, LossSpec, QUANTITIES as LOSS_QUANTITIES};

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

/// The error for a part a loss may not have: an opaque function, a sum, a product or a
/// recurrence.
pub(crate) fn not_in_a_loss(e: &Expr) -> PropagateError {
    PropagateError::Unsupported(match e {
        Expr::Call(f, _) => format!("`{}` cannot appear in a loss", f.name()),
        _ => "sums, products and recurrences inside a loss are not supported".into(),
    })
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
                Func::Opaque(_) => return Err(not_in_a_loss(e)),
            }
        }
        Expr::Big { .. } | Expr::Rec { .. } => return Err(not_in_a_loss(e)),
    })
}

/// Why `e` may be irrational at rational points: `exp`, `ln`, `sqrt`, a power whose
/// exponent is not an integer literal, or a binder. A loss with such a part is propagated
/// with boxes (`interval`); the data (examples, start, step) must be rational.
pub fn irrational_part(e: &Expr) -> Option<String> {
    match e {
        Expr::Num(_) | Expr::Var(_) => None,
        Expr::Neg(a) => irrational_part(a),
        Expr::Bin(BinOp::Pow, a, b) => match &**b {
            Expr::Num(k) if k.is_integer() => irrational_part(a),
            Expr::Neg(k) if matches!(&**k, Expr::Num(k) if k.is_integer()) => irrational_part(a),
            _ => Some("a power whose exponent is not an integer literal".into()),
        },
        Expr::Bin(_, a, b) => irrational_part(a).or_else(|| irrational_part(b)),
        Expr::Call(f @ (Func::Exp | Func::Ln | Func::Sqrt), _) => Some(format!("`{}`", f.name())),
        Expr::Call(_, args) => args.iter().find_map(irrational_part),
        Expr::Big { .. } | Expr::Rec { .. } => Some("a sum, product or recurrence".into()),
    }
}

impl LossConstruction {
    /// Whether the loss makes iterates irrational, so that the law is propagated with
    /// boxes that enclose them (`interval`) instead of exact rationals.
    pub fn needs_boxes(&self) -> bool {
        irrational_part(&self.loss).is_some()
    }

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

    /// The boxes of the weights (endpoint pairs) and the example's fields bound for
    /// [`interval::idual`], the weights carrying unit gradients.
    fn bind_box<'a>(&'a self, w: &[Rational], z: &[Rational]) -> HashMap<&'a str, interval::IDual> {
        let d = self.weights.len();
        let mut vals = HashMap::new();
        for (k, name) in self.weights.iter().enumerate() {
            let mut x = interval::IDual::constant(interval::Iv::of(&w[2 * k], &w[2 * k + 1]), d);
            x.g[k] = interval::Iv::point(&Rational::from(1));
            vals.insert(name.as_str(), x);
        }
        for (name, v) in self.fields.iter().zip(z) {
            vals.insert(
                name.as_str(),
                interval::IDual::constant(interval::Iv::point(v), d),
            );
        }
        vals
    }

    /// One SGD step from `w` on example `z` with step size `a` (over a box, with `boxes`:
    /// a box that contains the step's result for every point of `w`, endpoints rounded
    /// outward), with the squared gradient norm and the loss at `w`, enclosed (lo = hi when
    /// exact).
    fn step_and_stats(
        &self,
        w: &[Rational],
        z: &[Rational],
        a: &Rational,
        boxes: bool,
    ) -> Result<(Vec<Rational>, Bounds, Bounds), PropagateError> {
        let d = self.weights.len();
        if !boxes {
            let x = dual(&self.loss, &self.bind(w, z, true), d)?;
            let g2: Rational = x.g.iter().map(|x| Rational::from(x * x)).sum();
            let next = zip(w, &x.g, |p, g| p - Rational::from(a * g));
            return Ok((next, (g2.clone(), g2), (x.v.clone(), x.v)));
        }
        let x = interval::idual(&self.loss, &self.bind_box(w, z), d)?;
        let a = interval::Iv::point(a);
        let mut next = Vec::with_capacity(w.len());
        for (k, gk) in x.g.iter().enumerate() {
            let (lo, hi) = interval::Iv::of(&w[2 * k], &w[2 * k + 1])
                .sub_scaled(&a, gk)
                .bounds()?;
            next.push(lo);
            next.push(hi);
        }
        let g2 = interval::Iv::sum_of_squares(&x.g).bounds()?;
        Ok((next, g2, x.v.bounds()?))
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
        if let Some(why) = irrational_part(&self.loss) {
            return Err(PropagateError::Unsupported(format!(
                "the loss has {why}: its iterates are irrational, so its law is not a list of exact states (the quantities enclose it)"
            )));
        }
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
    /// the largest squared gradient norm, enclosed (lo = hi for rational losses)
    pub(crate) grad_sq_max: Option<Bounds>,
    /// the smallest loss, enclosed
    pub(crate) loss_min: Option<Bounds>,
    /// the largest loss, enclosed
    pub(crate) loss_max: Option<Bounds>,
    /// one dimension, rational losses: every iterate reached (for slopes of the derivative)
    pub(crate) points: std::collections::BTreeSet<Rational>,
}

/// An enclosure [lo, hi] with exact ends (lo = hi for an exact value).
type Bounds = (Rational, Rational);

/// Folds the enclosure [lo, hi] of one value into the enclosure of the largest (or, with
/// `min`, the smallest) value seen: the extreme of the lower ends and of the upper ends.
fn fold_extreme(acc: &mut Option<Bounds>, lo: Rational, hi: Rational, min: bool) {
    *acc = Some(match acc.take() {
        None => (lo, hi),
        Some((a, b)) => {
            let pick = |x: Rational, y: Rational| if (y < x) == min { y } else { x };
            (pick(a, lo), pick(b, hi))
        }
    });
}

/// The law of (w_t, w'_t) advanced one step at a time (the propagation behind
/// [`LossConstruction::propagate`] and the conditional quantities): states with integer
/// counts of index sequences, iterates interned per step.
#[derive(Clone)]
pub(crate) struct Walk {
    c: std::sync::Arc<LossConstruction>,
    differing: Vec<bool>,
    /// the iterates: exact points, or with `boxes` endpoint pairs (lo_1, hi_1, lo_2, …)
    points: Vec<Vec<Rational>>,
    /// the distinct examples of S and S', and for each run (0: S, 1: S') the index of its
    /// i-th example among them: an update is computed once per iterate and distinct example
    examples: Vec<Vec<Rational>>,
    example_of: [Vec<usize>; 2],
    /// the loss is irrational: iterates are boxes, and w = w' is known only structurally
    /// (no example where S and S' differ drawn yet) or refuted by disjoint boxes
    boxes: bool,
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
        let boxes = c.needs_boxes();
        let mut examples: Vec<Vec<Rational>> = Vec::new();
        let mut index = |z: &Vec<Rational>| match examples.iter().position(|e| e == z) {
            Some(k) => k,
            None => {
                examples.push(z.clone());
                examples.len() - 1
            }
        };
        let example_of = [
            c.s.iter().map(&mut index).collect(),
            c.s_twin.iter().map(&mut index).collect(),
        ];
        let start = if boxes {
            c.start
                .iter()
                .flat_map(|v| [v.clone(), v.clone()])
                .collect()
        } else {
            c.start.clone()
        };
        Ok(Walk {
            differing: c.differing(),
            points: vec![start],
            examples,
            example_of,
            boxes,
            states,
            total: rug::Integer::from(1),
            t: c.first_step,
            max_states,
            deadline,
            reached: collect_reached.then(Reached::default),
            c,
        })
    }

    /// Records the loss and gradient at every iterate of this step, for every example;
    /// returns the updates it computed on the way (by iterate and distinct example), which
    /// the step then reuses.
    fn record_reached(
        &mut self,
        a: &Rational,
    ) -> Result<HashMap<(u32, usize), Vec<Rational>>, PropagateError> {
        let mut next = HashMap::new();
        let Some(r) = self.reached.as_mut() else {
            return Ok(next);
        };
        let c = &self.c;
        for (id, w) in self.points.iter().enumerate() {
            if c.weights.len() == 1 && !self.boxes {
                r.points.insert(w[0].clone());
            }
            for (e, z) in self.examples.iter().enumerate() {
                let (w1, g2, v) = c.step_and_stats(w, z, a, self.boxes)?;
                fold_extreme(&mut r.grad_sq_max, g2.0, g2.1, false);
                fold_extreme(&mut r.loss_min, v.0.clone(), v.1.clone(), true);
                fold_extreme(&mut r.loss_max, v.0, v.1, false);
                next.insert((id as u32, e), w1);
            }
        }
        Ok(next)
    }

    /// Step t: every state draws each example it may (the same for both runs).
    pub(crate) fn step(&mut self, restrict: Restrict) -> Result<(), PropagateError> {
        if let Some(d) = self.deadline
            && std::time::Instant::now() > d
        {
            return Err(PropagateError::Time { step: self.t });
        }
        let c = self.c.clone();
        let n = c.n();
        let t = self.t;
        let a = c.step_at(t)?;
        let mut done = self.record_reached(&a)?;
        let pos = ((t - c.first_step) % n as u64) as usize;
        let mut next_ids: HashMap<Vec<Rational>, u32> = HashMap::new();
        let mut next_points: Vec<Vec<Rational>> = Vec::new();
        // the update of iterate `id` on example i of S (run 0) or of S' (run 1), computed
        // once per distinct example
        let mut cache: HashMap<(u32, usize), u32> = HashMap::new();
        let points = &self.points;
        let boxes = self.boxes;
        let (examples, example_of) = (&self.examples, &self.example_of);
        let mut update = |run: u8, id: u32, i: usize| -> Result<u32, PropagateError> {
            let e = example_of[run as usize][i];
            if let Some(&k) = cache.get(&(id, e)) {
                return Ok(k);
            }
            let w = match done.remove(&(id, e)) {
                Some(w) => w,
                None if boxes => {
                    c.step_and_stats(&points[id as usize], &examples[e], &a, true)?
                        .0
                }
                None => c.sgd_step(&points[id as usize], &examples[e], &a)?,
            };
            let k = match next_ids.get(&w) {
                Some(&k) => k,
                None => {
                    let k = next_points.len() as u32;
                    next_ids.insert(w.clone(), k);
                    next_points.push(w);
                    k
                }
            };
            cache.insert((id, e), k);
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

    /// Whether w = w' in state `k`: `Some(true)` or `Some(false)` when known, `None` when
    /// the boxes of an irrational loss overlap after an example where S and S' differ was
    /// drawn (equal enclosures do not make equal iterates).
    fn equal(&self, k: &Key) -> Option<bool> {
        if !self.boxes {
            // interned exact points: equal ids are equal iterates
            return Some(k.0 == k.1);
        }
        if !k.3 {
            // both runs drew only examples S and S' share: the same computation
            return Some(true);
        }
        let (a, b) = (&self.points[k.0 as usize], &self.points[k.1 as usize]);
        let disjoint = (0..a.len() / 2).any(|j| a[2 * j + 1] < b[2 * j] || b[2 * j + 1] < a[2 * j]);
        if disjoint { Some(false) } else { None }
    }

    /// Keeps the states where w = w' (`equal`) or where w != w'; fails when the boxes of an
    /// irrational loss do not decide it in a state of positive probability.
    pub(crate) fn retain(&mut self, equal: bool) -> Result<(), PropagateError> {
        let mut decided = HashMap::with_capacity(self.states.len());
        for k in self.states.keys() {
            match self.equal(k) {
                Some(e) => {
                    decided.insert(*k, e);
                }
                None => {
                    return Err(PropagateError::Unsupported(format!(
                        "whether w = w' after step {} is not decided by the enclosures of the iterates (their boxes overlap in a state where S and S' differed in a drawn example)",
                        self.t - 1
                    )));
                }
            }
        }
        self.states.retain(|k, _| decided[k] == equal);
        Ok(())
    }

    /// The states kept: their probability (counts over every index sequence) and the
    /// conditional expectation of ‖w_t − w'_t‖ and of its square given them (`None` when
    /// no state is kept); enclosures where the loss is irrational.
    pub(crate) fn moments(&self) -> Moments {
        let mut mass = rug::Integer::new();
        let mut equal = rug::Integer::new();
        let mut undecided = rug::Integer::new();
        let (mut sq_lo, mut sq_hi) = (Rational::new(), Rational::new());
        let (mut lo, mut hi) = (Rational::new(), Rational::new());
        let mut exact = true;
        let mut dist: HashMap<(u32, u32), [Rational; 4]> = HashMap::new();
        for (k, count) in &self.states {
            mass += count;
            match self.equal(k) {
                Some(true) => {
                    equal += count;
                    continue;
                }
                Some(false) => {}
                None => undecided += count,
            }
            let [s2lo, s2hi, dlo, dhi] = dist
                .entry((k.0, k.1))
                .or_insert_with(|| {
                    let (a, b) = (&self.points[k.0 as usize], &self.points[k.1 as usize]);
                    let (s2lo, s2hi) = if self.boxes {
                        box_sq_distance(a, b)
                    } else {
                        let s2 = sq_distance(a, b);
                        (s2.clone(), s2)
                    };
                    let (dlo, _, _) = sqrt_enclosure(&s2lo, ENCLOSURE_BITS);
                    let (_, dhi, _) = sqrt_enclosure(&s2hi, ENCLOSURE_BITS);
                    [s2lo, s2hi, dlo, dhi]
                })
                .clone();
            exact &= dlo == dhi;
            sq_lo += s2lo * count;
            sq_hi += s2hi * count;
            lo += dlo * count;
            hi += dhi * count;
        }
        let total = Rational::from(self.total.clone());
        let p = Rational::from((mass.clone(), self.total.clone()));
        let p_equal = enclosure(
            Rational::from(&equal) / &total,
            Rational::from(equal + undecided) / &total,
        );
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
            sq: Some(enclosure(sq_lo / &m, sq_hi / &m)),
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
    /// the probability of the kept states with w = w' (enclosed where boxes overlap)
    pub(crate) p_equal: Expectation,
    /// E[‖w − w'‖ | kept]
    pub(crate) dist: Option<Expectation>,
    /// E[‖w − w'‖² | kept]
    pub(crate) sq: Option<Expectation>,
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

/// The value when `lo = hi`, else the enclosure.
pub(crate) fn enclosure(lo: Rational, hi: Rational) -> Expectation {
    if lo == hi {
        Expectation::Exact(lo)
    } else {
        Expectation::Enclosure(lo, hi)
    }
}

/// Bounds of ‖a − b‖² over two boxes (endpoint pairs): per coordinate the difference's
/// interval, squared (from 0 when it contains 0).
fn box_sq_distance(a: &[Rational], b: &[Rational]) -> (Rational, Rational) {
    let (mut lo, mut hi) = (Rational::new(), Rational::new());
    for j in 0..a.len() / 2 {
        let dlo = Rational::from(&a[2 * j] - &b[2 * j + 1]);
        let dhi = Rational::from(&a[2 * j + 1] - &b[2 * j]);
        let (l2, h2) = (Rational::from(&dlo * &dlo), Rational::from(&dhi * &dhi));
        let (small, large) = if l2 < h2 { (l2, h2) } else { (h2, l2) };
        if dlo <= 0 && dhi >= 0 {
            hi += large;
        } else {
            lo += small;
            hi += large;
        }
    }
    (lo, hi)
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
