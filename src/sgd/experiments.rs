//! The paper's empirical section at laptop scale, on data shipped in `linfa-datasets`:
//! the Figure 1a analog (normalised twin distance per epoch, whole model and per layer),
//! the Figure 1b analog (the Hessian-contractivity estimate of eq. (4)), the Table 2 analog
//! (retraining from Gaussian perturbations of a trained model), Theorem 2 / Observation 1
//! (the ξ-self-correlation computed exactly, and the Monte Carlo divergence of linear and
//! logistic regression against `4 L R / (ξ γ n)`), and Theorem 6 (SGD started near a
//! minimum of a Hessian-contractive loss). Every figure records its parameters and seed.

use super::data::{self, Data, Twin, normal, split_last};
use super::kernels::dot;
use super::model::{Activation, Model};
use super::sim::{Init, Sim, Stat};
use crate::construction::Sampling;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rug::{Integer, Rational};
use serde::Serialize;
use std::sync::Arc;

/// Scale of a run: `quick` for tests (seconds), else the report's default (about a minute).
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// small epochs, replicas and perturbation counts
    pub quick: bool,
    /// master seed
    pub seed: u64,
}

/// A curve of statistics against an x value.
#[derive(Clone, Debug, Serialize)]
pub struct Curve {
    /// legend name
    pub name: String,
    /// x values (epochs, steps)
    pub x: Vec<f64>,
    /// statistics at each x
    pub stats: Vec<Stat>,
}

/// Figure 1a analog.
#[derive(Clone, Debug, Serialize)]
pub struct Fig1a {
    /// what was run
    pub setup: String,
    /// twin pairs
    pub pairs: usize,
    /// `||w - w'|| / ||w||` per epoch: "all", then each layer
    pub curves: Vec<Curve>,
}

/// Figure 1b analog.
#[derive(Clone, Debug, Serialize)]
pub struct Fig1b {
    /// what was run
    pub setup: String,
    /// epochs of the checkpoints
    pub epochs: Vec<f64>,
    /// mean over perturbations, averaged over copies (with the spread across copies)
    pub mean: Vec<Stat>,
    /// min over perturbations, averaged over copies
    pub mean_min: Vec<Stat>,
}

/// One row of the Table 2 analog.
#[derive(Clone, Debug, Serialize)]
pub struct Table2Row {
    /// perturbation standard deviation
    pub sigma: f64,
    /// `||w~ - w*|| / ||w*||`
    pub before: Stat,
    /// `||w~* - w*|| / ||w*||`
    pub after: Stat,
}

/// Table 2 analog.
#[derive(Clone, Debug, Serialize)]
pub struct Table2 {
    /// what was run
    pub setup: String,
    /// one row per sigma
    pub rows: Vec<Table2Row>,
}

/// Theorem 2 / Observation 1 on one dataset and loss.
#[derive(Clone, Debug, Serialize)]
pub struct Thm2 {
    /// what was run
    pub setup: String,
    /// examples in S
    pub n: usize,
    /// ξ = min_j (1/n) Σ_i (x_jᵀ x_i)², exact (as a decimal with 10 digits)
    pub xi: String,
    /// ξ as f64
    pub xi_f64: f64,
    /// R = max ||x_j||
    pub r: f64,
    /// the γ used (a lower bound on f'' over the range seen, or the exact constant)
    pub gamma: f64,
    /// how γ was obtained
    pub gamma_note: String,
    /// the L used
    pub l: f64,
    /// how L was obtained
    pub l_note: String,
    /// the step size (at most 1/β)
    pub alpha: f64,
    /// Observation 1's Hessian-contractivity constant ξ γ / R²
    pub hc_constant: f64,
    /// Theorem 2's bound 4 L R / (ξ γ n)
    pub bound: f64,
    /// Monte Carlo E||w_T - w'_T|| at checkpoints (steps)
    pub divergence: Curve,
    /// the largest Monte Carlo mean over the bound
    pub max_ratio: f64,
}

/// One radius of the Theorem 6 experiment.
#[derive(Clone, Debug, Serialize)]
pub struct Thm6Row {
    /// radius σ of the region and of the start
    pub sigma: f64,
    /// Lipschitz constant of f on the σ-ball around w*
    pub l: f64,
    /// the hypothesis σ > 12 L / γ
    pub radius_ok: bool,
    /// 12 L / γ
    pub radius_needed: f64,
    /// the step bound σ² / (2 γ L²)
    pub alpha_max: f64,
    /// the step used (the bound, capped at 1/β for a stable run)
    pub alpha: f64,
    /// the largest ||w_t - w*|| seen
    pub max_dist: f64,
    /// the first step where ||w_t - w*|| > σ, if any
    pub first_exit: Option<usize>,
}

/// Theorem 6 experiment.
#[derive(Clone, Debug, Serialize)]
pub struct Thm6 {
    /// what was run
    pub setup: String,
    /// the Hessian-contractivity constant γ used (Observation 1's ξ γ_f / R²)
    pub gamma: f64,
    /// β = max ||x||² (smoothness)
    pub beta: f64,
    /// steps per run
    pub steps: usize,
    /// per radius
    pub rows: Vec<Thm6Row>,
}

/// Everything the audit's empirical section shows.
#[derive(Clone, Debug, Serialize)]
pub struct Experiments {
    /// the master seed
    pub seed: u64,
    /// quick scale
    pub quick: bool,
    /// Figure 1a analog
    pub fig1a: Fig1a,
    /// Figure 1b analog
    pub fig1b: Fig1b,
    /// Table 2 analog
    pub table2: Table2,
    /// Theorem 2 / Observation 1: linear regression (diabetes), logistic regression
    /// (winequality, good = quality >= 6)
    pub thm2: Vec<Thm2>,
    /// Theorem 6
    pub thm6: Thm6,
}

/// Runs every experiment.
pub fn run_all(scale: Scale) -> Experiments {
    let (mlp_data, mlp_twin) = split_last(data::real("winequality", true).expect("shipped"));
    Experiments {
        seed: scale.seed,
        quick: scale.quick,
        fig1a: fig1a(&mlp_data, &mlp_twin, scale),
        fig1b: fig1b(&mlp_data, &mlp_twin, scale),
        table2: table2(&mlp_data, &mlp_twin, scale),
        thm2: vec![thm2_linear(scale), thm2_logistic(scale)],
        thm6: thm6(scale),
    }
}

const BATCH: usize = 32;
const HIDDEN: usize = 32;

fn mlp_sim(data: &Data, twin: &Twin, epochs: usize, every: usize) -> Sim {
    let per_epoch = data.n().div_ceil(BATCH);
    let steps = epochs * per_epoch;
    let classes = data.y.iter().cloned().fold(0.0, f64::max) as usize + 1;
    Sim {
        model: Model::Mlp {
            d: data.d(),
            hidden: HIDDEN,
            classes,
            act: Activation::Tanh,
        },
        data: data.clone(),
        twin: twin.clone(),
        alphas: vec![0.01; steps],
        first_step: 1,
        momentum: 0.9,
        batch: BATCH,
        sampling: Sampling::Reshuffle,
        init: Init::Scaled,
        probe: 0,
        checkpoints: (1..=epochs)
            .filter(|e| e % every == 0 || *e == epochs)
            .map(|e| e * per_epoch)
            .collect(),
        share_until_split: true,
    }
}

fn mlp_setup(data: &Data, epochs: usize) -> String {
    format!(
        "winequality (red; {} x {}, standardised), MLP {} tanh units, softmax cross-entropy; SGD step 0.01, momentum 0.9, batch {BATCH}, reshuffled, {epochs} epochs, init N(0, 1/fan_in)",
        data.n(),
        data.d(),
        HIDDEN
    )
}

fn fig1a(data: &Data, twin: &Twin, scale: Scale) -> Fig1a {
    let epochs = if scale.quick { 2 } else { 20 };
    let pairs = 35;
    let outs: Vec<_> = (0..pairs)
        .into_par_iter()
        .map(|p| {
            // pair p replaces example p by the held-out example
            let mut t = twin.clone();
            t.index = p;
            let mut sim = mlp_sim(data, &t, epochs, 1);
            sim.twin = t;
            sim.run_replica(scale.seed, p as u64)
        })
        .collect();
    let x: Vec<f64> = (1..=epochs).map(|e| e as f64).collect();
    let layer_names: Vec<&str> = mlp_sim(data, twin, 1, 1)
        .model
        .layers()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let mut curves = vec![Curve {
        name: "all".into(),
        x: x.clone(),
        stats: (0..epochs)
            .map(|c| {
                Stat::of(
                    &outs
                        .iter()
                        .map(|o| o.dist[c] / o.norm[c])
                        .collect::<Vec<_>>(),
                )
            })
            .collect(),
    }];
    for (l, name) in layer_names.iter().enumerate() {
        curves.push(Curve {
            name: (*name).into(),
            x: x.clone(),
            stats: (0..epochs)
                .map(|c| {
                    Stat::of(
                        &outs
                            .iter()
                            .map(|o| o.layers[c][l].0 / o.layers[c][l].1)
                            .collect::<Vec<_>>(),
                    )
                })
                .collect(),
        });
    }
    Fig1a {
        setup: format!(
            "{}; {pairs} twin pairs, pair p replaces example p by the held-out last example and uses replica stream p of seed {}",
            mlp_setup(data, epochs),
            scale.seed
        ),
        pairs,
        curves,
    }
}

/// Mean gradient of `model` at `w` over the examples `idx` of `data`.
fn batch_grad(model: &Model, data: &Data, w: &[f64], idx: &[usize], out: &mut [f64]) {
    let mut s = model.scratch();
    out.iter_mut().for_each(|v| *v = 0.0);
    let scale = 1.0 / idx.len() as f64;
    for &i in idx {
        model.add_grad(w, data.row(i), data.y[i], scale, out, &mut s);
    }
}

/// Eq. (4): `(1/η) [g(w~) - g(w~ - η g(w~))]ᵀ g(w~) / ||g(w~)||²` on one minibatch.
pub fn hc_estimate(model: &Model, data: &Data, w: &[f64], idx: &[usize], eta: f64) -> f64 {
    let p = w.len();
    let mut g = vec![0.0; p];
    batch_grad(model, data, w, idx, &mut g);
    let w2: Vec<f64> = w.iter().zip(&g).map(|(a, b)| a - eta * b).collect();
    let mut g2 = vec![0.0; p];
    batch_grad(model, data, &w2, idx, &mut g2);
    let diff: Vec<f64> = g.iter().zip(&g2).map(|(a, b)| a - b).collect();
    dot(&diff, &g) / (eta * dot(&g, &g))
}

fn fig1b(data: &Data, twin: &Twin, scale: Scale) -> Fig1b {
    let (epochs, every, perturb, copies) = if scale.quick {
        (2, 1, 10, 2)
    } else {
        (20, 4, 100, 5)
    };
    let sim = mlp_sim(data, twin, epochs, every);
    let per_epoch = data.n().div_ceil(BATCH);
    let eta = 1e-3;
    let hb = 128.min(data.n());
    // per copy, per checkpoint: (mean, min) over perturbations
    let per_copy: Vec<Vec<(f64, f64)>> = (0..copies as u64)
        .into_par_iter()
        .map(|c| {
            let (snaps, _) = sim.trajectory(scale.seed ^ 0xf1b, c);
            snaps
                .iter()
                .enumerate()
                .map(|(k, w)| {
                    let mut rng = ChaCha8Rng::seed_from_u64(scale.seed ^ 0x4e55);
                    rng.set_stream(c * 1_000_000 + k as u64);
                    let vals: Vec<f64> = (0..perturb)
                        .map(|_| {
                            let u: Vec<f64> = (0..w.len()).map(|_| normal(&mut rng)).collect();
                            let norm = dot(&u, &u).sqrt();
                            let wt: Vec<f64> =
                                w.iter().zip(&u).map(|(a, b)| a + b / norm).collect();
                            let idx: Vec<usize> =
                                (0..hb).map(|_| rng.gen_range(0..data.n())).collect();
                            hc_estimate(&sim.model, data, &wt, &idx, eta)
                        })
                        .collect();
                    let mean = vals.iter().sum::<f64>() / vals.len() as f64;
                    let min = vals.iter().cloned().fold(f64::INFINITY, f64::min);
                    (mean, min)
                })
                .collect()
        })
        .collect();
    let ncp = sim.checkpoints.len();
    let col = |f: &dyn Fn(&(f64, f64)) -> f64| -> Vec<Stat> {
        (0..ncp)
            .map(|k| Stat::of(&per_copy.iter().map(|v| f(&v[k])).collect::<Vec<_>>()))
            .collect()
    };
    Fig1b {
        setup: format!(
            "{}; {copies} independently trained copies (streams 0..{copies} of seed {} ^ 0xf1b); at each checkpoint {perturb} perturbations uniform on the unit sphere around w, eq. (4) with eta = {eta} on a minibatch of {hb} drawn with replacement, normalised by ||grad||^2",
            mlp_setup(data, epochs),
            scale.seed
        ),
        epochs: sim
            .checkpoints
            .iter()
            .map(|&s| (s / per_epoch) as f64)
            .collect(),
        mean: col(&|v| v.0),
        mean_min: col(&|v| v.1),
    }
}

fn table2(data: &Data, twin: &Twin, scale: Scale) -> Table2 {
    let (epochs, retrain, count) = if scale.quick { (2, 1, 5) } else { (20, 5, 20) };
    let sim = mlp_sim(data, twin, epochs, epochs);
    let (snaps, _) = sim.trajectory(scale.seed ^ 0x7ab2, 0);
    let wstar = Arc::new(snaps.last().expect("trained").clone());
    let norm_star = dot(&wstar, &wstar).sqrt();
    let rows = [0.01, 0.005]
        .iter()
        .enumerate()
        .map(|(si, &sigma)| {
            let pairs: Vec<(f64, f64)> = (0..count as u64)
                .into_par_iter()
                .map(|j| {
                    let mut rng = ChaCha8Rng::seed_from_u64(scale.seed ^ 0x7ab2);
                    rng.set_stream(1000 * (si as u64 + 1) + j);
                    let wt: Vec<f64> = wstar.iter().map(|v| v + sigma * normal(&mut rng)).collect();
                    let before = dist(&wt, &wstar) / norm_star;
                    let mut re = mlp_sim(data, twin, retrain, retrain);
                    re.init = Init::Given(Arc::new(wt));
                    let (s, _) = re.trajectory(scale.seed ^ 0x7ab3, 1000 * (si as u64 + 1) + j);
                    let after = dist(s.last().expect("retrained"), &wstar) / norm_star;
                    (before, after)
                })
                .collect();
            Table2Row {
                sigma,
                before: Stat::of(&pairs.iter().map(|p| p.0).collect::<Vec<_>>()),
                after: Stat::of(&pairs.iter().map(|p| p.1).collect::<Vec<_>>()),
            }
        })
        .collect();
    Table2 {
        setup: format!(
            "w* = {} (stream 0 of seed {} ^ 0x7ab2); {count} Gaussian perturbations per sigma, each retrained for {retrain} epochs with the same SGD",
            mlp_setup(data, epochs),
            scale.seed
        ),
        rows,
    }
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// An f64 as an exact integer times `2^shift` (shift common to a set of values).
fn exact_ints(vals: &[f64]) -> (Vec<Integer>, i32) {
    let shift = vals
        .iter()
        .filter(|v| **v != 0.0)
        .map(|v| {
            let (_, e) = Rational::from_f64(*v).expect("finite").into_numer_denom();
            -(e.significant_bits() as i32 - 1)
        })
        .min()
        .unwrap_or(0);
    let ints = vals
        .iter()
        .map(|v| {
            let r = Rational::from_f64(*v).expect("finite")
                * Rational::from(Integer::from(1) << (-shift) as u32);
            r.into_numer_denom().0
        })
        .collect();
    (ints, shift)
}

/// ξ = min_j (1/n) Σ_i (x_jᵀ x_i)² computed exactly from the f64 data (every f64 is a
/// dyadic rational), and R² = max_j ||x_j||², both exact.
pub fn self_correlation(data: &Data) -> (Rational, Rational) {
    let (n, d) = (data.n(), data.d());
    let (ints, shift) = exact_ints(data.x.as_slice().expect("standard layout"));
    let rows: Vec<&[Integer]> = (0..n).map(|i| &ints[i * d..(i + 1) * d]).collect();
    let dotz = |a: &[Integer], b: &[Integer]| -> Integer {
        let mut s = Integer::new();
        for (x, y) in a.iter().zip(b) {
            s += x * y;
        }
        s
    };
    let sums: Vec<Integer> = (0..n)
        .into_par_iter()
        .map(|j| {
            let mut s = Integer::new();
            for i in 0..n {
                let p = dotz(rows[j], rows[i]);
                s += &p * &p;
            }
            s
        })
        .collect();
    let min = sums.iter().min().expect("n >= 1").clone();
    let r2 = rows.iter().map(|r| dotz(r, r)).max().expect("n >= 1");
    // x = ints * 2^shift: (xᵀx')² carries 2^(4 shift), ||x||² carries 2^(2 shift)
    let scale = |v: Integer, k: i32| -> Rational {
        let p = Integer::from(1) << (k.unsigned_abs());
        if k >= 0 {
            Rational::from(v * p)
        } else {
            Rational::from((v, p))
        }
    };
    (
        scale(min, 4 * shift) / Integer::from(n),
        scale(r2, 2 * shift),
    )
}

#[allow(clippy::too_many_arguments)] // one call per loss; the parameters are the theorem's
fn thm2_common(
    setup: String,
    data: Data,
    twin: Twin,
    model: Model,
    scale: Scale,
    gamma_of: &dyn Fn(f64) -> (f64, String),
    l_of: &dyn Fn(f64) -> (f64, String),
    alpha: f64,
) -> Thm2 {
    let n = data.n();
    let (xi, r2) = self_correlation(&data);
    let xi_f = xi.to_f64();
    let r = r2.to_f64().sqrt();
    let (epochs, replicas) = if scale.quick { (2, 100) } else { (20, 1000) };
    let steps = epochs * n;
    let sim = Sim {
        model,
        data: data.clone(),
        twin,
        alphas: vec![alpha; steps],
        first_step: 1,
        momentum: 0.0,
        batch: 1,
        sampling: Sampling::WithReplacement,
        init: Init::Zeros,
        probe: 0,
        checkpoints: (1..=epochs).map(|e| e * n).collect(),
        share_until_split: true,
    };
    let summary = sim.monte_carlo(replicas, scale.seed ^ 0x7402, &|| {});
    // the largest |w_tᵀ x_j| seen on S along a few trajectories (bounds the range of f'')
    let u_max = (0..8u64)
        .into_par_iter()
        .map(|r| {
            let (snaps, _) = sim.trajectory(scale.seed ^ 0x7402, r);
            snaps
                .iter()
                .map(|w| {
                    (0..n)
                        .map(|j| dot(w, data.row(j)).abs())
                        .fold(0.0, f64::max)
                })
                .fold(0.0, f64::max)
        })
        .collect::<Vec<f64>>()
        .into_iter()
        .fold(0.0, f64::max);
    let (gamma, gamma_note) = gamma_of(u_max);
    let (l, l_note) = l_of(u_max);
    let bound = 4.0 * l * r / (xi_f * gamma * n as f64);
    let stats: Vec<Stat> = summary
        .checkpoints
        .iter()
        .map(|c| {
            c.dist.unwrap_or(Stat {
                mean: f64::NAN,
                sd: f64::NAN,
                se: f64::NAN,
                lo: f64::NAN,
                hi: f64::NAN,
            })
        })
        .collect();
    let max_ratio = stats.iter().map(|s| s.mean / bound).fold(0.0, f64::max);
    Thm2 {
        setup: format!(
            "{setup}; {replicas} replicas x {epochs} epochs of {n} steps, step {alpha:.4e}, with replacement, w_0 = 0, seed {} ^ 0x7402",
            scale.seed
        ),
        n,
        xi: crate::engine::exact::approx(&xi, 10),
        xi_f64: xi_f,
        r,
        gamma,
        gamma_note,
        l,
        l_note,
        alpha,
        hc_constant: xi_f * gamma / (r * r),
        bound,
        divergence: Curve {
            name: "E||w_T - w'_T||".into(),
            x: summary.checkpoints.iter().map(|c| c.step as f64).collect(),
            stats,
        },
        max_ratio,
    }
}

fn thm2_linear(scale: Scale) -> Thm2 {
    let (data, twin) = split_last(data::real("diabetes", true).expect("shipped"));
    let max_x2 = (0..data.n())
        .map(|j| dot(data.row(j), data.row(j)))
        .fold(0.0, f64::max);
    let d = data.d();
    let ys = data.y.clone();
    let y_max = ys.iter().fold(0.0f64, |m, v| m.max(v.abs())) + twin.y.abs();
    thm2_common(
        "linear regression f_y(u) = (u - y)^2/2 on diabetes (standardised), S' replaces example 0 by the held-out last example".into(),
        data,
        twin,
        Model::Linear { d },
        scale,
        &|_| (1.0, "f''_y = 1 exactly (so gamma = beta = 1)".into()),
        &|u| {
            (
                u + y_max,
                "|f'_y(u)| = |u - y| is unbounded; L = max |w_t^T x_j| + max |y| seen along 8 trajectories (hypothesis (1) holds only on that range)".into(),
            )
        },
        // alpha <= 1/beta = 1; also at most 1/max ||x||^2 so that every SGD step contracts
        1.0f64.min(1.0 / max_x2),
    )
}

fn thm2_logistic(scale: Scale) -> Thm2 {
    let full = data::real("winequality", true).expect("shipped");
    // classes 0.. are quality 3..8: good (quality >= 6) is +1
    let y = full.y.mapv(|c| if c >= 3.0 { 1.0 } else { -1.0 });
    let (data, twin) = split_last(Data { x: full.x, y });
    let d = data.d();
    let max_x2 = (0..data.n())
        .map(|j| dot(data.row(j), data.row(j)))
        .fold(0.0, f64::max);
    thm2_common(
        "logistic regression f_y(u) = ln(1 + exp(-y u)) on winequality (standardised; y = +1 for quality >= 6), S' replaces example 0 by the held-out last example".into(),
        data,
        twin,
        Model::Logistic { d },
        scale,
        &|u| {
            let s = 1.0 / (1.0 + (-u).exp());
            (
                s * (1.0 - s),
                format!("f''_y(u) = s(u)(1 - s(u)) >= gamma for |u| <= {u:.3}, the largest |w_t^T x_j| seen along 8 trajectories (no gamma > 0 holds globally)"),
            )
        },
        &|_| (1.0, "|f'_y| <= 1 (exact)".into()),
        // f'' <= 1/4 = beta, so alpha <= 4; capped at 1/max ||x||^2 for contraction
        4.0f64.min(1.0 / max_x2),
    )
}

/// Solves the normal equations `(XᵀX) w = Xᵀy` by Gaussian elimination with partial
/// pivoting (d is small).
fn least_squares(data: &Data) -> Vec<f64> {
    let (n, d) = (data.n(), data.d());
    let mut a = vec![vec![0.0; d + 1]; d];
    for j in 0..n {
        let x = data.row(j);
        for r in 0..d {
            for c in 0..d {
                a[r][c] += x[r] * x[c];
            }
            a[r][d] += x[r] * data.y[j];
        }
    }
    for col in 0..d {
        let piv = (col..d)
            .max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs()))
            .expect("rows");
        a.swap(col, piv);
        let pivot = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot[col];
                for (x, p) in row[col..].iter_mut().zip(&pivot[col..]) {
                    *x -= f * p;
                }
            }
        }
    }
    (0..d).map(|r| a[r][d] / a[r][r]).collect()
}

fn thm6(scale: Scale) -> Thm6 {
    let (data, twin) = split_last(data::real("diabetes", true).expect("shipped"));
    let (n, d) = (data.n(), data.d());
    let wstar = least_squares(&data);
    let (xi, r2) = self_correlation(&data);
    let beta = r2.to_f64();
    let gamma = xi.to_f64() / beta; // Observation 1 with f'' = 1
    let steps = if scale.quick { 2 * n } else { 20 * n };
    let norms: Vec<f64> = (0..n)
        .map(|j| dot(data.row(j), data.row(j)).sqrt())
        .collect();
    let resid: Vec<f64> = (0..n)
        .map(|j| (dot(data.row(j), &wstar) - data.y[j]).abs())
        .collect();
    let rows = [0.1, 0.5, 1.0, 2.0, 5.0]
        .iter()
        .enumerate()
        .map(|(k, &sigma)| {
            // ||∇f(w; z_j)|| = |x_jᵀw - y_j| ||x_j|| <= (|x_jᵀw* - y_j| + σ ||x_j||) ||x_j||
            let l = (0..n)
                .map(|j| (resid[j] + sigma * norms[j]) * norms[j])
                .fold(0.0, f64::max);
            let alpha_max = sigma * sigma / (2.0 * gamma * l * l);
            let alpha = alpha_max.min(1.0 / beta);
            let mut rng = ChaCha8Rng::seed_from_u64(scale.seed ^ 0x7406);
            rng.set_stream(k as u64);
            let u: Vec<f64> = (0..d).map(|_| normal(&mut rng)).collect();
            let un = dot(&u, &u).sqrt();
            let w0: Vec<f64> = wstar
                .iter()
                .zip(&u)
                .map(|(a, b)| a + sigma * b / un)
                .collect();
            let sim = Sim {
                model: Model::Linear { d },
                data: data.clone(),
                twin: twin.clone(),
                alphas: vec![alpha; steps],
                first_step: 1,
                momentum: 0.0,
                batch: 1,
                sampling: Sampling::WithReplacement,
                init: Init::Given(Arc::new(w0)),
                probe: 0,
                checkpoints: (1..=steps).collect(),
                share_until_split: true,
            };
            let (snaps, _) = sim.trajectory(scale.seed ^ 0x7406, k as u64);
            let dists: Vec<f64> = snaps.iter().map(|w| dist(w, &wstar)).collect();
            Thm6Row {
                sigma,
                l,
                radius_ok: sigma > 12.0 * l / gamma,
                radius_needed: 12.0 * l / gamma,
                alpha_max,
                alpha,
                max_dist: dists.iter().cloned().fold(0.0, f64::max),
                first_exit: dists.iter().position(|&x| x > sigma).map(|p| p + 1),
            }
        })
        .collect();
    Thm6 {
        setup: format!(
            "linear regression on diabetes (standardised, n = {n}); w* the least-squares minimum; gamma = xi/R^2 (Observation 1 with f'' = 1), beta = R^2; per sigma one run of {steps} steps from w* + sigma u (u a random unit vector, stream k of seed {} ^ 0x7406), with replacement, step min(sigma^2/(2 gamma L^2), 1/beta)",
            scale.seed
        ),
        gamma,
        beta,
        steps,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2};

    /// ξ and R² on a 3-point dataset, by hand: x = (1, 0), (0, 2), (1, 1).
    /// Gram: [[1, 0, 1], [0, 4, 2], [1, 2, 2]]; row sums of squares 2, 20, 9 → ξ = 2/3;
    /// R² = 4. Also with values that are not small integers (1/3 as f64 is exact dyadic).
    #[test]
    fn self_correlation_by_hand() {
        let data = Data {
            x: Array2::from_shape_vec((3, 2), vec![1.0, 0.0, 0.0, 2.0, 1.0, 1.0]).unwrap(),
            y: Array1::zeros(3),
        };
        let (xi, r2) = self_correlation(&data);
        assert_eq!(xi, Rational::from((2, 3)));
        assert_eq!(r2, Rational::from(4));
        let t = 1.0 / 3.0;
        let data = Data {
            x: Array2::from_shape_vec((1, 1), vec![t]).unwrap(),
            y: Array1::zeros(1),
        };
        let (xi, r2) = self_correlation(&data);
        let e = Rational::from_f64(t).unwrap();
        assert_eq!(r2, e.clone() * &e);
        assert_eq!(xi, e.clone() * &e * &e * &e);
    }

    /// Eq. (4) on a quadratic is exact: for f = 1/2 wᵀAw - y xᵀw the gradient difference
    /// is η A g, so the estimate is gᵀAg/||g||², here with A = diag(1, 3) and g ∝ (1, 1):
    /// (1 + 3)/2 = 2 up to rounding.
    #[test]
    fn hc_estimate_on_a_quadratic() {
        let mut a = Array2::<f64>::zeros((2, 2));
        a[(0, 0)] = 1.0;
        a[(1, 1)] = 3.0;
        let model = Model::Quadratic { a };
        let data = Data {
            x: Array2::from_shape_vec((1, 2), vec![0.0, 0.0]).unwrap(),
            y: Array1::zeros(1),
        };
        let w = [3.0, 1.0]; // A w = (3, 3)
        let v = hc_estimate(&model, &data, &w, &[0], 1e-3);
        assert!((v - 2.0).abs() < 1e-9, "{v}");
    }

    #[test]
    fn least_squares_recovers_a_planted_solution() {
        let x =
            Array2::from_shape_vec((4, 2), vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, -1.0]).unwrap();
        let w = [0.5, -2.0];
        let y = Array1::from_iter((0..4).map(|i| x[(i, 0)] * w[0] + x[(i, 1)] * w[1]));
        let s = least_squares(&Data { x, y });
        assert!((s[0] - 0.5).abs() < 1e-12 && (s[1] + 2.0).abs() < 1e-12);
    }
}
