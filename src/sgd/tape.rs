//! A loss written as an expression of the claim language (a construction given by its
//! loss), compiled once to an f64 tape that the simulator evaluates with its gradient by
//! forward-mode differentiation — the same derivation the exact engine makes, with the same
//! conventions at kinks (`abs'(0) = 0`; `min`/`max` follow the first argument attaining the
//! value; `floor`/`ceil` have derivative 0), so that the float runs measure the process the
//! exact law describes. Unlike the exact engine the tape also takes `exp`, `ln`, `sqrt` and
//! real powers (logistic losses).

use crate::expr::{BinOp, Expr, Func};

/// One instruction; operands are indices of earlier instructions.
#[derive(Clone, Debug, PartialEq)]
enum Op {
    Const(f64),
    Weight(usize),
    Field(usize),
    Neg(usize),
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    Div(usize, usize),
    /// a power with a constant integer exponent
    PowI(usize, i32),
    /// a power with any exponent: `a^b = exp(b ln a)`
    Pow(usize, usize),
    Abs(usize),
    Min(Vec<usize>),
    Max(Vec<usize>),
    /// floor or ceil: derivative 0
    Floor(usize),
    Ceil(usize),
    Exp(usize),
    Ln(usize),
    Sqrt(usize),
}

/// A loss compiled for f64 evaluation: `d` weights, `m` fields per example.
#[derive(Clone, Debug, PartialEq)]
pub struct Tape {
    ops: Vec<Op>,
    d: usize,
    m: usize,
    /// the loss as written (descriptions)
    pub text: String,
}

/// Why a loss does not compile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TapeError(pub String);

impl Tape {
    /// Compiles `loss` in the weights `weights` and the fields `fields` (every other name,
    /// sums, products, recurrences and opaque functions are refused).
    pub fn compile(loss: &Expr, weights: &[String], fields: &[String]) -> Result<Tape, TapeError> {
        let mut t = Tape {
            ops: Vec::new(),
            d: weights.len(),
            m: fields.len(),
            text: loss.to_string(),
        };
        t.emit(loss, weights, fields)?;
        Ok(t)
    }

    /// The number of weights.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// The number of fields of an example.
    pub fn fields(&self) -> usize {
        self.m
    }

    /// Work space for [`Tape::eval`]: values and, when a gradient is asked, `d` partials per
    /// instruction.
    pub fn scratch_len(&self) -> (usize, usize) {
        (self.ops.len(), self.ops.len() * self.d)
    }

    fn push(&mut self, op: Op) -> usize {
        self.ops.push(op);
        self.ops.len() - 1
    }

    fn emit(
        &mut self,
        e: &Expr,
        weights: &[String],
        fields: &[String],
    ) -> Result<usize, TapeError> {
        Ok(match e {
            Expr::Num(v) => self.push(Op::Const(v.to_f64())),
            Expr::Var(n) => {
                if let Some(k) = weights.iter().position(|w| w == n) {
                    self.push(Op::Weight(k))
                } else if let Some(k) = fields.iter().position(|f| f == n) {
                    self.push(Op::Field(k))
                } else {
                    return Err(TapeError(format!(
                        "`{n}` in the loss is neither a weight nor a field"
                    )));
                }
            }
            Expr::Neg(a) => {
                let a = self.emit(a, weights, fields)?;
                self.push(Op::Neg(a))
            }
            Expr::Bin(op, a, b) => {
                // a constant integer exponent keeps powers of negative bases defined
                if *op == BinOp::Pow
                    && let Expr::Num(k) = b.as_ref()
                    && k.is_integer()
                    && let Some(k) = k.numer().to_i32()
                {
                    let a = self.emit(a, weights, fields)?;
                    return Ok(self.push(Op::PowI(a, k)));
                }
                let (a, b) = (
                    self.emit(a, weights, fields)?,
                    self.emit(b, weights, fields)?,
                );
                self.push(match op {
                    BinOp::Add => Op::Add(a, b),
                    BinOp::Sub => Op::Sub(a, b),
                    BinOp::Mul => Op::Mul(a, b),
                    BinOp::Div => Op::Div(a, b),
                    BinOp::Pow => Op::Pow(a, b),
                })
            }
            Expr::Call(f, args) => {
                let ids = args
                    .iter()
                    .map(|a| self.emit(a, weights, fields))
                    .collect::<Result<Vec<_>, _>>()?;
                let a = ids[0];
                self.push(match f {
                    Func::Exp => Op::Exp(a),
                    Func::Ln => Op::Ln(a),
                    Func::Sqrt => Op::Sqrt(a),
                    Func::Abs => Op::Abs(a),
                    Func::Floor => Op::Floor(a),
                    Func::Ceil => Op::Ceil(a),
                    Func::Min => Op::Min(ids),
                    Func::Max => Op::Max(ids),
                    Func::Opaque(_) => {
                        return Err(TapeError(format!("`{}` cannot appear in a loss", f.name())));
                    }
                })
            }
            Expr::Big { .. } | Expr::Rec { .. } => {
                return Err(TapeError(
                    "sums, products and recurrences inside a loss are not supported".into(),
                ));
            }
        })
    }

    /// The loss at `w` on the example `z`; with `grad` (length `scratch_len().1`) also its
    /// gradient, left in `grad[last * d..]` and returned as the second value's offset.
    /// `val` has length `scratch_len().0`.
    pub fn eval(
        &self,
        w: &[f64],
        z: &[f64],
        val: &mut [f64],
        mut grad: Option<&mut [f64]>,
    ) -> (f64, usize) {
        let d = self.d;
        for (i, op) in self.ops.iter().enumerate() {
            let v = match op {
                Op::Const(c) => *c,
                Op::Weight(k) => w[*k],
                Op::Field(k) => z[*k],
                Op::Neg(a) => -val[*a],
                Op::Add(a, b) => val[*a] + val[*b],
                Op::Sub(a, b) => val[*a] - val[*b],
                Op::Mul(a, b) => val[*a] * val[*b],
                Op::Div(a, b) => val[*a] / val[*b],
                Op::PowI(a, k) => val[*a].powi(*k),
                Op::Pow(a, b) => val[*a].powf(val[*b]),
                Op::Abs(a) => val[*a].abs(),
                Op::Min(xs) => val[pick(xs, val, |c, b| c < b)],
                Op::Max(xs) => val[pick(xs, val, |c, b| c > b)],
                Op::Floor(a) => val[*a].floor(),
                Op::Ceil(a) => val[*a].ceil(),
                Op::Exp(a) => val[*a].exp(),
                Op::Ln(a) => val[*a].ln(),
                Op::Sqrt(a) => val[*a].sqrt(),
            };
            val[i] = v;
            if let Some(g) = grad.as_deref_mut() {
                let (done, rest) = g.split_at_mut(i * d);
                let out = &mut rest[..d];
                let part = |j: usize| &done[j * d..(j + 1) * d];
                // out = ca * a' (+ cb * b')
                let mut lin = |ca: f64, a: usize, cb: f64, b: Option<usize>| {
                    for (k, o) in out.iter_mut().enumerate() {
                        *o = ca * part(a)[k] + b.map_or(0.0, |b| cb * part(b)[k]);
                    }
                };
                match op {
                    Op::Const(_) | Op::Field(_) | Op::Floor(_) | Op::Ceil(_) => {
                        out.iter_mut().for_each(|o| *o = 0.0)
                    }
                    Op::Weight(k) => {
                        out.iter_mut().for_each(|o| *o = 0.0);
                        out[*k] = 1.0;
                    }
                    Op::Neg(a) => lin(-1.0, *a, 0.0, None),
                    Op::Add(a, b) => lin(1.0, *a, 1.0, Some(*b)),
                    Op::Sub(a, b) => lin(1.0, *a, -1.0, Some(*b)),
                    Op::Mul(a, b) => lin(val[*b], *a, val[*a], Some(*b)),
                    Op::Div(a, b) => {
                        let vb = val[*b];
                        lin(1.0 / vb, *a, -val[*a] / (vb * vb), Some(*b))
                    }
                    Op::PowI(a, k) => {
                        let c = if *k == 0 {
                            0.0
                        } else {
                            *k as f64 * val[*a].powi(*k - 1)
                        };
                        lin(c, *a, 0.0, None)
                    }
                    Op::Pow(a, b) => {
                        // d(a^b) = b a^(b-1) a' + a^b ln(a) b'; the second term only where b varies
                        let (va, vb) = (val[*a], val[*b]);
                        let varies = part(*b).iter().any(|x| *x != 0.0);
                        let cb = if varies { v * va.ln() } else { 0.0 };
                        lin(vb * va.powf(vb - 1.0), *a, cb, Some(*b))
                    }
                    Op::Abs(a) => {
                        let va = val[*a];
                        let s = if va > 0.0 {
                            1.0
                        } else if va < 0.0 {
                            -1.0
                        } else {
                            0.0
                        };
                        lin(s, *a, 0.0, None)
                    }
                    Op::Min(xs) => lin(1.0, pick(xs, val, |c, b| c < b), 0.0, None),
                    Op::Max(xs) => lin(1.0, pick(xs, val, |c, b| c > b), 0.0, None),
                    Op::Exp(a) => lin(v, *a, 0.0, None),
                    Op::Ln(a) => lin(1.0 / val[*a], *a, 0.0, None),
                    Op::Sqrt(a) => lin(0.5 / v, *a, 0.0, None),
                }
            }
        }
        let last = self.ops.len() - 1;
        (val[last], last * d)
    }
}

/// The first argument attaining the extreme (`better(candidate, best)`).
fn pick(xs: &[usize], val: &[f64], better: impl Fn(f64, f64) -> bool) -> usize {
    let mut best = xs[0];
    for &c in &xs[1..] {
        if better(val[c], val[best]) {
            best = c;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tape(src: &str, w: &[&str], f: &[&str]) -> Tape {
        let names = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Tape::compile(&crate::expr::parse_expr(src).unwrap(), &names(w), &names(f)).unwrap()
    }

    fn value_and_gradient(t: &Tape, w: &[f64], z: &[f64]) -> (f64, Vec<f64>) {
        let (nv, ng) = t.scratch_len();
        let (mut val, mut g) = (vec![0.0; nv], vec![0.0; ng]);
        let (v, off) = t.eval(w, z, &mut val, Some(&mut g));
        (v, g[off..off + t.dim()].to_vec())
    }

    /// Central differences agree with the tape's gradient away from kinks, for a loss using
    /// every smooth operation.
    #[test]
    fn gradient_matches_finite_differences() {
        let t = tape(
            "ln(1 + exp(-y*(x1*w1 + x2*w2))) + sqrt(w1^2 + 1)/(2 + w2^2) - w1^3 + (1 + w2^2)^(1/3) + (w1^2 + 1)^w2",
            &["w1", "w2"],
            &["x1", "x2", "y"],
        );
        for w in [[0.3, -0.7], [-1.2, 0.4], [2.0, 1.5]] {
            let z = [0.5, -1.5, 1.0];
            let (_, g) = value_and_gradient(&t, &w, &z);
            for k in 0..2 {
                let h = 1e-6;
                let (mut wp, mut wm) = (w, w);
                wp[k] += h;
                wm[k] -= h;
                let fd = (value_and_gradient(&t, &wp, &z).0 - value_and_gradient(&t, &wm, &z).0)
                    / (2.0 * h);
                assert!(
                    (fd - g[k]).abs() < 1e-6,
                    "w = {w:?}, k = {k}: {} vs {fd}",
                    g[k]
                );
            }
        }
    }

    /// At kinks the conventions are the exact engine's: abs'(0) = 0, min and max follow the
    /// first argument attaining the value, floor has derivative 0.
    #[test]
    fn conventions_at_kinks() {
        let t = tape("abs(w - x)", &["w"], &["x"]);
        assert_eq!(value_and_gradient(&t, &[1.0], &[1.0]), (0.0, vec![0.0]));
        assert_eq!(value_and_gradient(&t, &[0.5], &[1.0]), (0.5, vec![-1.0]));
        let t = tape("max(w, 2*w - 1)", &["w"], &[]);
        assert_eq!(value_and_gradient(&t, &[1.0], &[]).1, vec![1.0]);
        let t = tape("max(2*w - 1, w)", &["w"], &[]);
        assert_eq!(value_and_gradient(&t, &[1.0], &[]).1, vec![2.0]);
        let t = tape("min(w, 3) + floor(w)*w", &["w"], &[]);
        assert_eq!(value_and_gradient(&t, &[2.5], &[]), (7.5, vec![3.0]));
        // an integer power of a negative base is defined
        let t = tape("w^3", &["w"], &[]);
        assert_eq!(value_and_gradient(&t, &[-2.0], &[]), (-8.0, vec![12.0]));
    }

    #[test]
    fn unknown_names_and_sums_are_refused() {
        let p = |s: &str| crate::expr::parse_expr(s).unwrap();
        let e = Tape::compile(&p("w*q"), &["w".into()], &[]).unwrap_err();
        assert!(e.0.contains("`q`"), "{e}");
        let e = Tape::compile(&p("sum(i, 1, 3, w)"), &["w".into()], &[]).unwrap_err();
        assert!(e.0.contains("sums"), "{e}");
    }
}
