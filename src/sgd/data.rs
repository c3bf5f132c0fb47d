//! Datasets and their twins: synthetic data from a named seed, the real datasets that ship
//! inside `linfa-datasets` (iris, winequality, diabetes), the quadratic twin constructions
//! of stability proofs embedded in `d` dimensions, and the twin `S'` that differs from `S`
//! in one example (replaced, or removed with another example duplicated).

use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A dataset: one example per row of `x`, labels in `y` (regression targets, `±1` for
/// logistic regression, class indices `0, 1, ..` for the MLP).
#[derive(Clone, Debug)]
pub struct Data {
    /// inputs, `n x d`, standard (row-major) layout
    pub x: Array2<f64>,
    /// labels, length `n`
    pub y: Array1<f64>,
}

impl Data {
    /// Number of examples.
    pub fn n(&self) -> usize {
        self.x.nrows()
    }

    /// Input dimension.
    pub fn d(&self) -> usize {
        self.x.ncols()
    }

    /// Example `i` as a slice.
    pub fn row(&self, i: usize) -> &[f64] {
        self.x.row(i).to_slice().expect("standard layout")
    }
}

/// The twin dataset `S'`: `S` with example `index` replaced by `(x, y)`.
#[derive(Clone, Debug)]
pub struct Twin {
    /// the example that differs
    pub index: usize,
    /// its input in `S'`
    pub x: Array1<f64>,
    /// its label in `S'`
    pub y: f64,
}

impl Twin {
    /// Remove example `index` and duplicate example `dup` (Hardt et al.'s variant): `S'`
    /// holds `z_dup` where `S` holds `z_index`.
    pub fn remove_duplicate(data: &Data, index: usize, dup: usize) -> Twin {
        Twin {
            index,
            x: data.x.row(dup).to_owned(),
            y: data.y[dup],
        }
    }
}

/// Splits off the last example: S is every other example, and the last one replaces
/// example 0 in S' (the `replace` twin of real and synthetic data).
pub fn split_last(full: Data) -> (Data, Twin) {
    let n = full.n() - 1;
    let twin = Twin {
        index: 0,
        x: full.x.row(n).to_owned(),
        y: full.y[n],
    };
    let data = Data {
        x: full.x.slice(ndarray::s![..n, ..]).to_owned(),
        y: full.y.slice(ndarray::s![..n]).to_owned(),
    };
    (data, twin)
}

/// A standard normal draw (Box–Muller on two uniforms from `rng`; deterministic given the
/// stream, unlike a rejection sampler whose draw count varies).
pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.r#gen::<f64>(); // (0, 1]
    let u2: f64 = rng.r#gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Synthetic data for a model: `n + 1` examples (the last is the replacement of a
/// `replace` twin), inputs `N(0, I/d)`, a hidden `w* ~ N(0, I)`; labels `xᵀw* + noise N(0,
/// noise²)` (linear), `±1` with `P[+1] = σ(xᵀw*)` (logistic), or for `classes` classes the
/// arg-max of `W* x` with `W*` Gaussian.
pub fn synthetic(kind: &str, n: usize, d: usize, classes: usize, noise: f64, seed: u64) -> Data {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(0x5eed_da7a);
    let scale = 1.0 / (d as f64).sqrt();
    let rows = classes.max(1);
    let wstar: Vec<f64> = (0..rows * d).map(|_| normal(&mut rng)).collect();
    let mut x = Array2::<f64>::zeros((n + 1, d));
    let mut y = Array1::<f64>::zeros(n + 1);
    for i in 0..=n {
        for j in 0..d {
            x[(i, j)] = scale * normal(&mut rng);
        }
        let xi = x.row(i);
        let z = |r: usize| (0..d).map(|j| xi[j] * wstar[r * d + j]).sum::<f64>();
        y[i] = match kind {
            "linear" => z(0) + noise * normal(&mut rng),
            "logistic" => {
                let p = 1.0 / (1.0 + (-z(0)).exp());
                if rng.r#gen::<f64>() < p { 1.0 } else { -1.0 }
            }
            _ => {
                let mut best = 0;
                for r in 1..rows {
                    if z(r) > z(best) {
                        best = r;
                    }
                }
                best as f64
            }
        };
    }
    Data { x, y }
}

/// A real dataset shipped in `linfa-datasets`: `iris` (150 x 4, 3 classes), `winequality`
/// (1599 x 11, quality scores mapped to classes 0..), `diabetes` (441 x 10, regression;
/// linfa-datasets drops the first of the usual 442 rows).
/// Features are standardised to mean 0 and variance 1 (and the regression target too) when
/// `standardise` is set, so that one step size suits every feature.
pub fn real(name: &str, standardise: bool) -> Option<Data> {
    let (x, y): (Array2<f64>, Array1<f64>) = match name {
        "iris" => {
            let ds = linfa_datasets::iris();
            (ds.records, ds.targets.mapv(|c| c as f64))
        }
        "winequality" => {
            let ds = linfa_datasets::winequality();
            let min = ds.targets.iter().copied().min().unwrap_or(0);
            (ds.records, ds.targets.mapv(|c| (c - min) as f64))
        }
        "diabetes" => {
            let ds = linfa_datasets::diabetes();
            (ds.records, ds.targets)
        }
        _ => return None,
    };
    let mut x = x.as_standard_layout().to_owned();
    let mut y = y;
    if standardise {
        for mut col in x.columns_mut() {
            let (m, s) = mean_sd(col.iter().copied());
            col.mapv_inplace(|v| if s > 0.0 { (v - m) / s } else { v - m });
        }
        if name == "diabetes" {
            let (m, s) = mean_sd(y.iter().copied());
            y.mapv_inplace(|v| (v - m) / s);
        }
    }
    Some(Data { x, y })
}

fn mean_sd(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = v.clone().count() as f64;
    let m = v.clone().sum::<f64>() / n;
    let var = v.map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, var.sqrt())
}

/// A uniformly random orthogonal `d x d` matrix (Gram–Schmidt on Gaussian columns), from
/// `rng`; column `k` is eigenvector `k`.
pub fn random_orthogonal(d: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    let mut q = Array2::<f64>::zeros((d, d));
    for k in 0..d {
        loop {
            let mut v: Vec<f64> = (0..d).map(|_| normal(rng)).collect();
            for _ in 0..2 {
                for p in 0..k {
                    let c: f64 = (0..d).map(|i| v[i] * q[(i, p)]).sum();
                    for (i, vi) in v.iter_mut().enumerate() {
                        *vi -= c * q[(i, p)];
                    }
                }
            }
            let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
            if norm > 1e-6 {
                for (i, vi) in v.iter().enumerate() {
                    q[(i, k)] = vi / norm;
                }
                break;
            }
        }
    }
    q
}

/// `A = Q diag(spectrum) Qᵀ`, symmetrised exactly.
pub fn matrix_from_spectrum(q: &Array2<f64>, spectrum: &[f64]) -> Array2<f64> {
    let d = spectrum.len();
    let mut a = Array2::<f64>::zeros((d, d));
    for i in 0..d {
        for j in 0..=i {
            let v: f64 = (0..d).map(|k| q[(i, k)] * spectrum[k] * q[(j, k)]).sum();
            a[(i, j)] = v;
            a[(j, i)] = v;
        }
    }
    a
}

/// A quadratic twin construction embedded in `d` dimensions: `A = Q diag(λ, λ_2, ..) Qᵀ`
/// with `v = Q e_1` the divergence direction; example `index` is `(x v, y)` in `S` and
/// `(x' v, y')` in `S'`; the other `n - 1` examples lie in the span of the other
/// eigenvectors (the range of A) with Gaussian coefficients and labels. Returns the data,
/// the twin and A.
pub struct Embedded {
    /// the dataset S
    pub data: Data,
    /// the example S' has instead
    pub twin: Twin,
    /// the matrix A of the loss
    pub a: Array2<f64>,
}

/// See [`Embedded`]. `others` are the eigenvalues of the other `d - 1` directions.
#[allow(clippy::too_many_arguments)]
pub fn embed_construction(
    n: usize,
    d: usize,
    eigenvalue: f64,
    others: &[f64],
    z: (f64, f64),
    z_twin: (f64, f64),
    index: usize,
    seed: u64,
) -> Embedded {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(0xc0de);
    let q = random_orthogonal(d, &mut rng);
    let mut spectrum = vec![eigenvalue];
    spectrum.extend_from_slice(others);
    let a = matrix_from_spectrum(&q, &spectrum);
    let mut x = Array2::<f64>::zeros((n, d));
    let mut y = Array1::<f64>::zeros(n);
    for i in 0..n {
        if i == index {
            for r in 0..d {
                x[(i, r)] = z.0 * q[(r, 0)];
            }
            y[i] = z.1;
            continue;
        }
        let coef: Vec<f64> = (1..d).map(|_| normal(&mut rng)).collect();
        for r in 0..d {
            x[(i, r)] = (1..d).map(|k| coef[k - 1] * q[(r, k)]).sum::<f64>();
        }
        y[i] = normal(&mut rng);
    }
    let twin = Twin {
        index,
        x: Array1::from_iter((0..d).map(|r| z_twin.0 * q[(r, 0)])),
        y: z_twin.1,
    };
    Embedded {
        data: Data { x, y },
        twin,
        a,
    }
}

/// `k` uniform indices in `0..n` from `rng` (with replacement).
pub fn uniform_indices(rng: &mut ChaCha8Rng, n: usize, out: &mut [usize]) {
    for o in out.iter_mut() {
        *o = rng.gen_range(0..n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_and_spectrum() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let q = random_orthogonal(10, &mut rng);
        let qtq = q.t().dot(&q);
        for i in 0..10 {
            for j in 0..10 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((qtq[(i, j)] - want).abs() < 1e-12);
            }
        }
        let spec: Vec<f64> = (0..10).map(|k| k as f64 - 3.0).collect();
        let a = matrix_from_spectrum(&q, &spec);
        // A q_k = λ_k q_k
        for k in 0..10 {
            let av = a.dot(&q.column(k));
            for i in 0..10 {
                assert!((av[i] - spec[k] * q[(i, k)]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn real_datasets_load() {
        let iris = real("iris", true).unwrap();
        assert_eq!((iris.n(), iris.d()), (150, 4));
        assert_eq!(iris.y.iter().cloned().fold(0.0, f64::max), 2.0);
        let wine = real("winequality", false).unwrap();
        assert_eq!((wine.n(), wine.d()), (1599, 11));
        assert_eq!(wine.y.iter().cloned().fold(9.0, f64::min), 0.0);
        let diab = real("diabetes", true).unwrap();
        // 441, not the usual 442: linfa-datasets 0.8.1 reads the header-less file's first
        // row as a header
        assert_eq!((diab.n(), diab.d()), (441, 10));
        let (m, s) = mean_sd(diab.x.column(3).iter().copied());
        assert!(m.abs() < 1e-12 && (s - 1.0).abs() < 1e-12);
        assert!(real("mnist", true).is_none());
    }

    #[test]
    fn embedding_keeps_other_examples_orthogonal_to_v() {
        let e = embed_construction(6, 10, -0.5, &[1.0; 9], (1.0, 0.5), (-1.0, 0.5), 2, 3);
        let v = &e.twin.x * -1.0; // x' v with x' = -1
        for i in 0..6 {
            let dotv: f64 = e.data.x.row(i).dot(&v);
            if i == 2 {
                assert!((dotv - 1.0).abs() < 1e-12);
            } else {
                assert!(dotv.abs() < 1e-12, "example {i} has {dotv} along v");
            }
        }
        let av = e.a.dot(&v);
        for r in 0..10 {
            assert!((av[r] + 0.5 * v[r]).abs() < 1e-12);
        }
    }
}
