//! Lower-bound constructions of SGD stability proofs, and the quantities the proofs reason
//! about, derived from the SGD update itself (not transcribed from a paper).
//!
//! # The model
//!
//! Loss `f(w; z) = 1/2 wᵀ A w - y xᵀ w` (gradient `A w - y x`), twin datasets `S`, `S'`
//! that differ only in example `i`: `z_i = (x_i, y_i)` and `z'_i = (x'_i, y'_i)`, both along
//! a unit eigenvector `v` of `A` with eigenvalue `λ`: `x_i = x v`, `x'_i = x' v`. The other
//! examples are shared, so they cancel in the difference of the two runs. Both runs start
//! at the same `w_0` and use the same index sequence (the coupling of the analysis).
//!
//! # The derivation
//!
//! One SGD step on each run, subtracted:
//!
//! ```text
//! Δ_{t+1} = Δ_t - α_t (A w_t - y_{i_t} x_{i_t}) + α_t (A w'_t - y'_{i_t} x'_{i_t})
//!         = (I - α_t A) Δ_t + α_t (y_i x_i - y'_i x'_i) 1[i_t = i]
//! ```
//!
//! Since `Δ_{F} = 0` (F the first step) and every term lies along `v`, `Δ_t = θ_t v` with
//!
//! ```text
//! θ_{t+1} = m_t θ_t + b_t I_t,   m_t = 1 - α_t λ,   b_t = α_t g,   g = y x - y' x',
//! ```
//!
//! `I_t = 1[i_t = i]`, and `‖Δ_T‖ = |θ_T| = |Σ_s I_s b_s Π_{τ=s+1}^{T-1} m_τ|`. When every
//! `m_t > 0` and every `b_t` has the same strict sign (the construction's *guards*, checked
//! at every point where a claim uses these quantities), all terms share one sign, so
//! `E|θ_T| = |E θ_T|` and expectations pass through the absolute value linearly:
//! `E θ_T` follows the affine recurrence `x_{t+1} = m_t x_t + b_t P[I_t = 1]`. The guards
//! also make `Δ_t = 0` exactly the event "index i not drawn before t" (`H ≥ t`, H the first
//! draw).
//!
//! Sampling with replacement: the `I_t` are independent with `P[I_t = 1] = 1/n`, so
//! `P[H ≥ t0] = (1 - 1/n)^{t0 - F}` and `P[H = s] = (1 - 1/n)^{s - F} / n`; after the first
//! draw at `s`, later draws are still independent. Random reshuffling (a fresh permutation
//! each epoch of n steps, epochs starting at F): index i is drawn exactly once per epoch at a
//! uniform position, so `P[I_t = 1] = 1/n` unconditionally, `P[H = s] = 1/n` inside the first
//! epoch (0 after), `P[H ≥ t0] = 1 - (t0 - F)/n` inside it; given `H ≥ t0` the first-epoch
//! draw is uniform over the positions left, and given `H = s` the index is not drawn again
//! before the next epoch.
//!
//! Conditional expectations are again affine recurrences started at the conditioning time,
//! and `E[θ_T | H < t0]` follows from total expectation. Every quantity is an [`Expr`] (sums,
//! products and `rec` of the expression language), so the exact engine evaluates it by
//! binary splitting and the interval engine encloses it; the brute-force test in
//! `tests/construction.rs` enumerates every index sequence of small instances and compares.

use crate::expr::{BinOp, Expr, Func, Rel, Relation, parse_expr};
use std::collections::BTreeSet;

/// How the index sequence is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampling {
    /// uniformly and independently at every step
    WithReplacement,
    /// a fresh uniform permutation of the n examples every n steps
    Reshuffle,
}

impl Sampling {
    /// Parses `with-replacement` or `reshuffle`.
    pub fn parse(s: &str) -> Option<Sampling> {
        match s.trim() {
            "with-replacement" | "replacement" | "uniform" => Some(Sampling::WithReplacement),
            "reshuffle" | "random-reshuffling" | "permutation" => Some(Sampling::Reshuffle),
            _ => None,
        }
    }
}

/// The data of a quadratic twin-dataset construction (all expressions may use the claim's
/// parameters; `step` also uses the time `t`).
#[derive(Clone, Debug)]
pub struct Spec {
    /// eigenvalue λ of A along the divergence direction v
    pub eigenvalue: Expr,
    /// coordinate of x_i along v
    pub x: Expr,
    /// coordinate of x'_i along v
    pub x_twin: Expr,
    /// label y_i
    pub y: Expr,
    /// label y'_i
    pub y_twin: Expr,
    /// step size α_t (uses `t`)
    pub step: Expr,
    /// first step index F: the steps are t = F .. T-1
    pub first_step: Expr,
    /// the sampling scheme
    pub sampling: Sampling,
}

/// A derived quantity: its name, its expression, and the guards it rests on.
#[derive(Clone, Debug)]
pub struct Quantity {
    /// the name claims use
    pub name: String,
    /// what it is, in words
    pub meaning: String,
    /// its value as an expression in the claim's parameters
    pub expr: Expr,
    /// relations that must hold at a point for the expression to be the quantity
    pub guards: Vec<(String, Relation)>,
}

/// Names of the derived quantities (the time names they use: `T`, `t0`, `s`, `n`).
pub const QUANTITIES: &[(&str, &str)] = &[
    ("div_T", "E||w_T - w'_T||"),
    (
        "p_zero_t0",
        "P[Delta_t0 = 0] (index i not drawn before step t0)",
    ),
    ("div_T_given_zero_t0", "E[||Delta_T|| | Delta_t0 = 0]"),
    ("div_T_given_nonzero_t0", "E[||Delta_T|| | Delta_t0 != 0]"),
    ("p_first_s", "P[H = s] (index i first drawn at step s)"),
    ("div_T_given_first_s", "E[||Delta_T|| | H = s]"),
    ("div_t0", "E||w_t0 - w'_t0||"),
    ("div_t0_given_nonzero_t0", "E[||Delta_t0|| | Delta_t0 != 0]"),
];

fn v(name: &str) -> Expr {
    Expr::Var(name.into())
}

fn n(k: i64) -> Expr {
    Expr::num(k)
}

fn add(a: Expr, b: Expr) -> Expr {
    Expr::bin(BinOp::Add, a, b)
}

fn sub(a: Expr, b: Expr) -> Expr {
    Expr::bin(BinOp::Sub, a, b)
}

fn mul(a: Expr, b: Expr) -> Expr {
    Expr::bin(BinOp::Mul, a, b)
}

fn div(a: Expr, b: Expr) -> Expr {
    Expr::bin(BinOp::Div, a, b)
}

fn call(f: Func, args: Vec<Expr>) -> Expr {
    Expr::Call(f, args)
}

/// `[a <= b]` for integers a, b, as an expression: `min(1, max(0, b - a + 1))`.
fn indicator_le(a: Expr, b: Expr) -> Expr {
    call(
        Func::Min,
        vec![n(1), call(Func::Max, vec![n(0), add(sub(b, a), n(1))])],
    )
}

/// A name not used by any expression of the spec (for bound variables).
fn fresh(spec: &Spec, base: &str) -> String {
    let mut used = spec.free_names();
    for q in ["T", "t0", "t1", "s", "n"] {
        used.insert(q.to_string());
    }
    std::iter::once(base.to_string())
        .chain((1..).map(|k| format!("{base}{k}")))
        .find(|c| !used.contains(c))
        .expect("unbounded")
}

impl Spec {
    /// Every name the construction's expressions use (parameters, and `t` in the step).
    pub fn free_names(&self) -> BTreeSet<String> {
        let mut used = BTreeSet::new();
        for e in [
            &self.eigenvalue,
            &self.x,
            &self.x_twin,
            &self.y,
            &self.y_twin,
            &self.step,
            &self.first_step,
        ] {
            used.extend(e.free_vars());
        }
        used
    }

    /// `α_t` at time expression `time`.
    fn alpha(&self, time: &Expr) -> Expr {
        self.step.substitute("t", time)
    }

    /// g = y x - y' x'
    fn g(&self) -> Expr {
        sub(
            mul(self.y.clone(), self.x.clone()),
            mul(self.y_twin.clone(), self.x_twin.clone()),
        )
    }

    /// m_t = 1 - α_t λ
    fn m(&self, time: &Expr) -> Expr {
        sub(n(1), mul(self.alpha(time), self.eigenvalue.clone()))
    }

    /// b_t = α_t g
    fn b(&self, time: &Expr) -> Expr {
        mul(self.alpha(time), self.g())
    }

    /// `E[θ_T | ...]` as `rec(θ, τ, start, T, init, m_τ θ + b_τ p(τ))`.
    fn expected_theta(&self, start: Expr, init: Expr, p: &dyn Fn(&Expr) -> Expr) -> Expr {
        self.expected_theta_until(start, v("T"), init, p)
    }

    /// `E[θ_end | ...]` as `rec(θ, τ, start, end, init, m_τ θ + b_τ p(τ))`.
    fn expected_theta_until(
        &self,
        start: Expr,
        end: Expr,
        init: Expr,
        p: &dyn Fn(&Expr) -> Expr,
    ) -> Expr {
        let th = fresh(self, "theta");
        let tau = fresh(self, "tau");
        let tt = v(&tau);
        Expr::Rec {
            x: th.clone(),
            t: tau.clone(),
            start: Box::new(start),
            end: Box::new(end),
            init: Box::new(init),
            step: Box::new(add(mul(self.m(&tt), v(&th)), mul(self.b(&tt), p(&tt)))),
        }
    }

    /// The guards of the linear closed forms on steps F .. T-1: every `m_t > 0` and every
    /// `b_t` of one strict sign.
    fn sign_guards(&self) -> Vec<(String, Relation)> {
        self.sign_guards_until(&v("T"))
    }

    /// The sign guards on steps F .. end-1.
    fn sign_guards_until(&self, end: &Expr) -> Vec<(String, Relation)> {
        let z = fresh(self, "z");
        let tau = fresh(self, "tau");
        let tt = v(&tau);
        let running = |init: i64, f: Func, term: Expr| Expr::Rec {
            x: z.clone(),
            t: tau.clone(),
            start: Box::new(self.first_step.clone()),
            end: Box::new(end.clone()),
            init: Box::new(n(init)),
            step: Box::new(call(f, vec![v(&z), term])),
        };
        let min_m = running(1, Func::Min, self.m(&tt));
        let min_b = running(1, Func::Min, self.b(&tt));
        let max_b = running(-1, Func::Max, self.b(&tt));
        vec![
            (
                "every multiplier 1 - alpha_t*lambda is positive".to_string(),
                Relation {
                    lhs: min_m,
                    rel: Rel::Gt,
                    rhs: n(0),
                },
            ),
            (
                "every increment alpha_t*(y x - y' x') has the same strict sign".to_string(),
                Relation {
                    lhs: call(Func::Max, vec![min_b, Expr::Neg(Box::new(max_b))]),
                    rel: Rel::Gt,
                    rhs: n(0),
                },
            ),
        ]
    }

    /// The last step of the epoch holding step `time` (reshuffling; epochs of n steps from F).
    fn epoch_end(&self, time: &Expr) -> Expr {
        // F + n*(floor((time - F)/n) + 1) - 1
        add(
            self.first_step.clone(),
            sub(
                mul(
                    v("n"),
                    add(
                        call(
                            Func::Floor,
                            vec![div(sub(time.clone(), self.first_step.clone()), v("n"))],
                        ),
                        n(1),
                    ),
                ),
                n(1),
            ),
        )
    }

    /// Every derived quantity; those conditioned on time `t0` also come as a `_t1` copy
    /// (conditioned on `t1`), for statements that relate two conditioning times.
    pub fn quantities(&self) -> Vec<Quantity> {
        let mut out = self.quantities_t0();
        let t1 = v("t1");
        let copies: Vec<Quantity> = out
            .iter()
            .filter(|q| q.name.ends_with("_t0"))
            .map(|q| Quantity {
                name: format!("{}_t1", q.name.trim_end_matches("_t0")),
                meaning: q.meaning.replace("t0", "t1"),
                expr: q.expr.substitute("t0", &t1),
                guards: q
                    .guards
                    .iter()
                    .map(|(text, r)| {
                        (
                            text.replace("t0", "t1"),
                            Relation {
                                lhs: r.lhs.substitute("t0", &t1),
                                rel: r.rel,
                                rhs: r.rhs.substitute("t0", &t1),
                            },
                        )
                    })
                    .collect(),
            })
            .collect();
        out.extend(copies);
        out
    }

    fn quantities_t0(&self) -> Vec<Quantity> {
        let nn = v("n");
        let one_over_n = |_: &Expr| div(n(1), v("n"));
        let f = self.first_step.clone();
        let t0 = v("t0");
        let s = v("s");
        let guards = self.sign_guards();
        let mut out = Vec::new();

        let e_theta = self.expected_theta(f.clone(), n(0), &one_over_n);
        out.push(Quantity {
            name: "div_T".into(),
            meaning: QUANTITIES[0].1.into(),
            expr: call(Func::Abs, vec![e_theta.clone()]),
            guards: guards.clone(),
        });

        // both ends of "F <= t0 <= T" are conditions: one relation each, one text
        let t0_text = "t0 is a step of the run (F <= t0 <= T)".to_string();
        let t0_guards = [
            (
                t0_text.clone(),
                Relation {
                    lhs: t0.clone(),
                    rel: Rel::Ge,
                    rhs: f.clone(),
                },
            ),
            (
                t0_text,
                Relation {
                    lhs: t0.clone(),
                    rel: Rel::Le,
                    rhs: v("T"),
                },
            ),
        ];
        let p_zero = match self.sampling {
            Sampling::WithReplacement => Expr::bin(
                BinOp::Pow,
                sub(n(1), div(n(1), nn.clone())),
                sub(t0.clone(), f.clone()),
            ),
            Sampling::Reshuffle => call(
                Func::Max,
                vec![n(0), sub(n(1), div(sub(t0.clone(), f.clone()), nn.clone()))],
            ),
        };
        out.push(Quantity {
            name: "p_zero_t0".into(),
            meaning: QUANTITIES[1].1.into(),
            expr: p_zero.clone(),
            // Delta_t0 = 0 is the event "not drawn before t0" only under the sign guards
            guards: {
                let mut g = guards.clone();
                g.extend(t0_guards.iter().cloned());
                g
            },
        });

        // E[θ_T | H >= t0]: draws from t0 on
        let zero_t0 = match self.sampling {
            Sampling::WithReplacement => self.expected_theta(t0.clone(), n(0), &one_over_n),
            Sampling::Reshuffle => {
                let e0 = sub(add(f.clone(), nn.clone()), n(1));
                let left = add(sub(e0.clone(), t0.clone()), n(1)); // positions left in epoch 0
                let p = move |tt: &Expr| {
                    let in0 = indicator_le(tt.clone(), e0.clone());
                    add(div(in0.clone(), left.clone()), div(sub(n(1), in0), v("n")))
                };
                self.expected_theta(t0.clone(), n(0), &p)
            }
        };
        let mut g_zero = guards.clone();
        g_zero.extend(t0_guards.iter().cloned());
        if self.sampling == Sampling::Reshuffle {
            g_zero.push((
                "Delta_t0 = 0 has positive probability (t0 inside the first epoch)".into(),
                Relation {
                    lhs: t0.clone(),
                    rel: Rel::Le,
                    rhs: sub(add(f.clone(), nn.clone()), n(1)),
                },
            ));
        }
        out.push(Quantity {
            name: "div_T_given_zero_t0".into(),
            meaning: QUANTITIES[2].1.into(),
            expr: call(Func::Abs, vec![zero_t0]),
            guards: g_zero,
        });

        // E[θ_T | H < t0] = (E θ_T - E[θ_T 1{H >= t0}]) / (1 - P[H >= t0]), where the joint
        // term draws at τ >= t0 with P[I_τ = 1, H >= t0]: with replacement P[H >= t0]/n;
        // reshuffling 1/n inside the first epoch, P[H >= t0]/n after it
        let joint = {
            let pz = p_zero.clone();
            match self.sampling {
                Sampling::WithReplacement => {
                    let p = move |_: &Expr| div(pz.clone(), v("n"));
                    self.expected_theta(t0.clone(), n(0), &p)
                }
                Sampling::Reshuffle => {
                    let e0 = sub(add(f.clone(), nn.clone()), n(1));
                    let p = move |tt: &Expr| {
                        let in0 = indicator_le(tt.clone(), e0.clone());
                        div(add(in0.clone(), mul(sub(n(1), in0), pz.clone())), v("n"))
                    };
                    self.expected_theta(t0.clone(), n(0), &p)
                }
            }
        };
        let nonzero = div(sub(e_theta.clone(), joint), sub(n(1), p_zero.clone()));
        let mut g_nz = guards.clone();
        g_nz.extend(t0_guards);
        out.push(Quantity {
            name: "div_T_given_nonzero_t0".into(),
            meaning: QUANTITIES[3].1.into(),
            expr: call(Func::Abs, vec![nonzero]),
            guards: g_nz,
        });

        // its upper end is the guard `s_before_t` below
        let s_guard = (
            "s is a step of the run (F <= s <= T-1)".to_string(),
            Relation {
                lhs: s.clone(),
                rel: Rel::Ge,
                rhs: f.clone(),
            },
        );
        let p_first = match self.sampling {
            Sampling::WithReplacement => div(
                Expr::bin(
                    BinOp::Pow,
                    sub(n(1), div(n(1), nn.clone())),
                    sub(s.clone(), f.clone()),
                ),
                nn.clone(),
            ),
            Sampling::Reshuffle => div(
                indicator_le(s.clone(), sub(add(f.clone(), nn.clone()), n(1))),
                nn.clone(),
            ),
        };
        let s_before_t = (
            "s is before T".to_string(),
            Relation {
                lhs: s.clone(),
                rel: Rel::Lt,
                rhs: v("T"),
            },
        );
        out.push(Quantity {
            name: "p_first_s".into(),
            meaning: QUANTITIES[4].1.into(),
            expr: p_first,
            guards: vec![s_guard.clone(), s_before_t.clone()],
        });

        let after_s = add(s.clone(), n(1));
        let first_s = match self.sampling {
            Sampling::WithReplacement => self.expected_theta(after_s, self.b(&s), &one_over_n),
            Sampling::Reshuffle => {
                let es = self.epoch_end(&s);
                let p =
                    move |tt: &Expr| div(sub(n(1), indicator_le(tt.clone(), es.clone())), v("n"));
                self.expected_theta(after_s, self.b(&s), &p)
            }
        };
        let mut g_s = guards;
        g_s.push(s_guard);
        g_s.push(s_before_t);
        if self.sampling == Sampling::Reshuffle {
            g_s.push((
                "H = s has positive probability (s inside the first epoch)".into(),
                Relation {
                    lhs: v("s"),
                    rel: Rel::Le,
                    rhs: sub(add(f.clone(), nn.clone()), n(1)),
                },
            ));
        }
        // at time t0: E θ_t0 and E[θ_t0 | H < t0] = E θ_t0 / P[H < t0] (θ_t0 = 0 when H >= t0)
        let e_theta_t0 = self.expected_theta_until(f.clone(), t0.clone(), n(0), &one_over_n);
        let mut g_t0 = self.sign_guards_until(&t0);
        g_t0.push((
            "t0 is a step of the run (F <= t0)".to_string(),
            Relation {
                lhs: t0.clone(),
                rel: Rel::Ge,
                rhs: f.clone(),
            },
        ));
        out.push(Quantity {
            name: "div_t0".into(),
            meaning: QUANTITIES[6].1.into(),
            expr: call(Func::Abs, vec![e_theta_t0.clone()]),
            guards: g_t0.clone(),
        });
        out.push(Quantity {
            name: "div_t0_given_nonzero_t0".into(),
            meaning: QUANTITIES[7].1.into(),
            expr: call(Func::Abs, vec![div(e_theta_t0, sub(n(1), p_zero.clone()))]),
            guards: g_t0,
        });
        out.push(Quantity {
            name: "div_T_given_first_s".into(),
            meaning: QUANTITIES[5].1.into(),
            expr: call(Func::Abs, vec![first_s]),
            guards: g_s,
        });
        out
    }
}

/// Parses one field of a construction.
pub fn field(src: &str) -> Result<Expr, crate::expr::ParseError> {
    parse_expr(src)
}
