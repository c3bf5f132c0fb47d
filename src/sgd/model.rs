//! Losses with exact gradients, on a flat parameter vector: the paper's quadratic
//! `1/2 wᵀ A w - y xᵀ w`, linear regression, logistic regression, and a one-hidden-layer
//! MLP (tanh or ReLU) with softmax cross-entropy. Gradients are derived by hand (checked
//! against central finite differences in the tests) and computed with the SIMD kernels.

use super::kernels::{axpy, dot, gemv, logistic_coef};
use super::tape::Tape;
use ndarray::Array2;
use std::ops::Range;

/// The hidden-layer nonlinearity of the MLP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `tanh(u)`
    Tanh,
    /// `max(u, 0)` (derivative taken as 0 at 0)
    Relu,
}

impl Activation {
    /// Parses `tanh` or `relu`.
    pub fn parse(s: &str) -> Option<Activation> {
        match s.trim() {
            "tanh" => Some(Activation::Tanh),
            "relu" => Some(Activation::Relu),
            _ => None,
        }
    }
}

/// A loss `f(w; x, y)` with its parameter layout.
#[derive(Clone, Debug)]
pub enum Model {
    /// `f = 1/2 wᵀ A w - y xᵀ w` (gradient `A w - y x`); `a` is symmetric `d x d`, row-major
    Quadratic {
        /// the matrix A
        a: Array2<f64>,
    },
    /// `f = 1/2 (xᵀ w - y)²`
    Linear {
        /// input dimension
        d: usize,
    },
    /// `f = ln(1 + exp(-y xᵀ w))` with labels `y ∈ {-1, +1}`
    Logistic {
        /// input dimension
        d: usize,
    },
    /// `W2 act(W1 x + b1) + b2`, softmax cross-entropy with class label `y ∈ {0, ..}`;
    /// parameters laid out as `W1` (hidden x d, row-major), `b1`, `W2` (classes x hidden), `b2`
    Mlp {
        /// input dimension
        d: usize,
        /// hidden units
        hidden: usize,
        /// classes
        classes: usize,
        /// the nonlinearity
        act: Activation,
    },
    /// a loss written as an expression (a construction given by its loss), compiled to a
    /// tape: `x` holds the example's fields, `y` is not used
    Expr(std::sync::Arc<Tape>),
}

/// Work buffers for one model, reused across steps (no allocation in the SGD loop).
#[derive(Clone, Debug)]
pub struct Scratch {
    grad: Vec<f64>,
    a: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
}

impl Model {
    /// Number of parameters.
    pub fn dim(&self) -> usize {
        match self {
            Model::Quadratic { a } => a.nrows(),
            Model::Linear { d } | Model::Logistic { d } => *d,
            Model::Mlp {
                d, hidden, classes, ..
            } => hidden * d + hidden + classes * hidden + classes,
            Model::Expr(t) => t.dim(),
        }
    }

    /// Length of an input `x`.
    pub fn input_dim(&self) -> usize {
        match self {
            Model::Quadratic { a } => a.nrows(),
            Model::Linear { d } | Model::Logistic { d } | Model::Mlp { d, .. } => *d,
            Model::Expr(t) => t.fields(),
        }
    }

    /// Short name (`quadratic`, `linear`, `logistic`, `mlp`, `expression`).
    pub fn name(&self) -> &'static str {
        match self {
            Model::Quadratic { .. } => "quadratic",
            Model::Linear { .. } => "linear",
            Model::Logistic { .. } => "logistic",
            Model::Mlp { .. } => "mlp",
            Model::Expr(_) => "expression",
        }
    }

    /// Named parameter blocks (per-layer distances): one block for the linear models, two
    /// (`layer1` = W1, b1; `layer2` = W2, b2) for the MLP.
    pub fn layers(&self) -> Vec<(&'static str, Range<usize>)> {
        match self {
            Model::Mlp {
                d, hidden, classes, ..
            } => {
                let l1 = hidden * d + hidden;
                vec![
                    ("layer1", 0..l1),
                    ("layer2", l1..l1 + classes * hidden + classes),
                ]
            }
            _ => vec![("all", 0..self.dim())],
        }
    }

    /// Fresh work buffers for this model.
    pub fn scratch(&self) -> Scratch {
        let (a, b, c) = match self {
            Model::Quadratic { a } => (a.nrows(), 0, 0),
            Model::Mlp {
                hidden, classes, ..
            } => (*hidden, *hidden, *classes),
            Model::Expr(t) => (t.scratch_len().0, t.scratch_len().1, 0),
            _ => (0, 0, 0),
        };
        Scratch {
            grad: vec![0.0; self.dim()],
            a: vec![0.0; a],
            b: vec![0.0; b],
            c: vec![0.0; c],
        }
    }

    /// The loss at `w` on example `(x, y)`.
    pub fn loss(&self, w: &[f64], x: &[f64], y: f64, s: &mut Scratch) -> f64 {
        match self {
            Model::Quadratic { a } => {
                let n = a.nrows();
                gemv(a.as_slice().expect("standard layout"), n, n, w, &mut s.a);
                0.5 * dot(w, &s.a) - y * dot(x, w)
            }
            Model::Linear { .. } => {
                let r = dot(x, w) - y;
                0.5 * r * r
            }
            Model::Logistic { .. } => softplus(-y * dot(x, w)),
            Model::Mlp { .. } => {
                self.mlp_forward(w, x, s);
                let k = y as usize;
                // -log softmax(logits)[k] = logsumexp(logits) - logits[k]
                let m = s.c.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = s.c.iter().map(|&l| (l - m).exp()).sum();
                m + sum.ln() - s.c[k]
            }
            Model::Expr(t) => t.eval(w, x, &mut s.a, None).0,
        }
    }

    /// `out += scale * ∇f(w; x, y)`.
    pub fn add_grad(
        &self,
        w: &[f64],
        x: &[f64],
        y: f64,
        scale: f64,
        out: &mut [f64],
        s: &mut Scratch,
    ) {
        match self {
            Model::Quadratic { a } => {
                let n = a.nrows();
                gemv(a.as_slice().expect("standard layout"), n, n, w, &mut s.a);
                axpy(scale, &s.a, out);
                axpy(-scale * y, x, out);
            }
            Model::Linear { .. } => axpy(scale * (dot(x, w) - y), x, out),
            Model::Logistic { .. } => axpy(logistic_coef(dot(x, w), y, scale), x, out),
            Model::Expr(t) => {
                let (_, off) = t.eval(w, x, &mut s.a, Some(&mut s.b));
                for (o, g) in out.iter_mut().zip(&s.b[off..]) {
                    *o += scale * g;
                }
            }
            Model::Mlp {
                d,
                hidden,
                classes,
                act,
            } => {
                let (d, h, k) = (*d, *hidden, *classes);
                self.mlp_forward(w, x, s);
                // s.a = pre-activation, s.b = activation, s.c = logits -> δ2 = softmax - onehot
                let m = s.c.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let mut sum = 0.0;
                for l in s.c.iter_mut() {
                    *l = (*l - m).exp();
                    sum += *l;
                }
                for l in s.c.iter_mut() {
                    *l /= sum;
                }
                s.c[y as usize] -= 1.0;
                let (w1_end, b1_end) = (h * d, h * d + h);
                let w2_end = b1_end + k * h;
                let w2 = &w[b1_end..w2_end];
                for r in 0..k {
                    let g = scale * s.c[r];
                    axpy(g, &s.b, &mut out[b1_end + r * h..b1_end + (r + 1) * h]);
                    out[w2_end + r] += g;
                }
                // δ1 = (W2ᵀ δ2) ⊙ act'(pre), built in s.b (the activations are read first)
                for j in 0..h {
                    let deriv = match act {
                        Activation::Tanh => 1.0 - s.b[j] * s.b[j],
                        Activation::Relu => {
                            if s.a[j] > 0.0 {
                                1.0
                            } else {
                                0.0
                            }
                        }
                    };
                    s.a[j] = deriv;
                }
                s.b.iter_mut().for_each(|v| *v = 0.0);
                for r in 0..k {
                    axpy(s.c[r], &w2[r * h..(r + 1) * h], &mut s.b);
                }
                for j in 0..h {
                    let g = scale * s.b[j] * s.a[j];
                    axpy(g, x, &mut out[j * d..(j + 1) * d]);
                    out[w1_end + j] += g;
                }
            }
        }
    }

    /// One in-place step on one example: `w += scale * ∇f(w; x, y)` (the gradient is taken
    /// at the `w` before the step).
    pub fn step(&self, w: &mut [f64], x: &[f64], y: f64, scale: f64, s: &mut Scratch) {
        match self {
            Model::Linear { .. } => {
                let c = scale * (dot(x, w) - y);
                axpy(c, x, w);
            }
            Model::Logistic { .. } => {
                let c = logistic_coef(dot(x, w), y, scale);
                axpy(c, x, w);
            }
            _ => {
                let mut g = std::mem::take(&mut s.grad);
                g.iter_mut().for_each(|v| *v = 0.0);
                self.add_grad(w, x, y, 1.0, &mut g, s);
                axpy(scale, &g, w);
                s.grad = g;
            }
        }
    }

    /// Forward pass of the MLP: pre-activations in `s.a`, activations in `s.b`, logits in `s.c`.
    fn mlp_forward(&self, w: &[f64], x: &[f64], s: &mut Scratch) {
        let Model::Mlp {
            d,
            hidden,
            classes,
            act,
        } = self
        else {
            unreachable!("mlp_forward on a non-MLP model")
        };
        let (d, h, k) = (*d, *hidden, *classes);
        let (w1_end, b1_end) = (h * d, h * d + h);
        let w2_end = b1_end + k * h;
        gemv(&w[..w1_end], h, d, x, &mut s.a);
        for j in 0..h {
            s.a[j] += w[w1_end + j];
            s.b[j] = match act {
                Activation::Tanh => s.a[j].tanh(),
                Activation::Relu => s.a[j].max(0.0),
            };
        }
        gemv(&w[b1_end..w2_end], k, h, &s.b, &mut s.c);
        for r in 0..k {
            s.c[r] += w[w2_end + r];
        }
    }
}

/// `ln(1 + e^m)` without overflow.
fn softplus(m: f64) -> f64 {
    if m > 0.0 {
        m + (-m).exp().ln_1p()
    } else {
        m.exp().ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn models() -> Vec<(Model, Vec<f64>)> {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let d = 7;
        let mut a = Array2::<f64>::zeros((d, d));
        for i in 0..d {
            for j in 0..=i {
                let v: f64 = rng.gen_range(-1.0..1.0);
                a[(i, j)] = v;
                a[(j, i)] = v;
            }
        }
        let mlp = |act| Model::Mlp {
            d,
            hidden: 5,
            classes: 3,
            act,
        };
        vec![
            (Model::Quadratic { a }, vec![0.7, -1.3]),
            (Model::Linear { d }, vec![0.4, -2.0]),
            (Model::Logistic { d }, vec![1.0, -1.0]),
            (mlp(Activation::Tanh), vec![0.0, 2.0]),
            (mlp(Activation::Relu), vec![1.0, 2.0]),
        ]
    }

    /// Central differences with step 1e-6 agree with the gradient to 1e-6 relative, at
    /// random points, for every loss (a wrong sign or a missing term fails by O(1)).
    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for (model, labels) in models() {
            let p = model.dim();
            let mut s = model.scratch();
            for &y in &labels {
                for _ in 0..3 {
                    let w: Vec<f64> = (0..p).map(|_| rng.gen_range(-1.0..1.0)).collect();
                    let x: Vec<f64> = (0..model.input_dim())
                        .map(|_| rng.gen_range(-1.0..1.0))
                        .collect();
                    let mut g = vec![0.0; p];
                    model.add_grad(&w, &x, y, 1.0, &mut g, &mut s);
                    let scale = g.iter().fold(1.0f64, |m, v| m.max(v.abs()));
                    for j in 0..p {
                        let h = 1e-6;
                        let mut wp = w.clone();
                        wp[j] += h;
                        let mut wm = w.clone();
                        wm[j] -= h;
                        let fd = (model.loss(&wp, &x, y, &mut s) - model.loss(&wm, &x, y, &mut s))
                            / (2.0 * h);
                        assert!(
                            (fd - g[j]).abs() <= 1e-6 * scale,
                            "{} coordinate {j}: gradient {} vs finite difference {fd}",
                            model.name(),
                            g[j]
                        );
                    }
                    // the in-place step is w + scale * gradient
                    let mut w2 = w.clone();
                    model.step(&mut w2, &x, y, -0.1, &mut s);
                    for j in 0..p {
                        assert!((w2[j] - (w[j] - 0.1 * g[j])).abs() <= 1e-12 * scale.max(1.0));
                    }
                }
            }
        }
    }

    #[test]
    fn layouts() {
        let m = Model::Mlp {
            d: 4,
            hidden: 3,
            classes: 2,
            act: Activation::Tanh,
        };
        assert_eq!(m.dim(), 12 + 3 + 6 + 2);
        assert_eq!(m.layers(), vec![("layer1", 0..15), ("layer2", 15..23)]);
        assert_eq!(Model::Logistic { d: 9 }.layers(), vec![("all", 0..9)]);
        // logistic loss is stable far out: no overflow to inf, no loss of the linear part
        let l = Model::Logistic { d: 1 };
        let mut s = l.scratch();
        assert_eq!(l.loss(&[1000.0], &[1.0], -1.0, &mut s), 1000.0);
        assert!(l.loss(&[1000.0], &[1.0], 1.0, &mut s) < 1e-300);
    }
}
