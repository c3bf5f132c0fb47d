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

/// The twin dataset `S'`: `S` with example `index` replaced by `(x, y)` (and, for a
/// construction given by its loss, possibly further examples replaced: `others`).
#[derive(Clone, Debug)]
pub struct Twin {
    /// the (first) example that differs
    pub index: usize,
    /// its input in `S'`
    pub x: Array1<f64>,
    /// its label in `S'`
    pub y: f64,
    /// further examples where `S'` differs, with their input and label in `S'` (empty but
    /// for constructions given by their loss, whose S and S' are listed example by example)
    pub others: Vec<(usize, Array1<f64>, f64)>,
}

impl Twin {
    /// Whether `S'` differs from `S` at example `i`.
    pub fn differs_at(&self, i: usize) -> bool {
        i == self.index || self.others.iter().any(|(j, _, _)| *j == i)
    }
}

impl Twin {
    /// Remove example `index` and duplicate example `dup` (Hardt et al.'s variant): `S'`
    /// holds `z_dup` where `S` holds `z_index`.
    pub fn remove_duplicate(data: &Data, index: usize, dup: usize) -> Twin {
        Twin {
            index,
            x: data.x.row(dup).to_owned(),
            y: data.y[dup],
            others: Vec::new(),
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
        others: Vec::new(),
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

pub(crate) fn mean_sd(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
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
        others: Vec::new(),
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

/// Why a data file could not be read: the message names the line (CSV) or the header
/// field (NPY) at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError(pub String);

/// Most examples times columns a data file may hold.
pub const MAX_FILE_VALUES: usize = 200_000_000;

/// A CSV file with a header line: every column a number; `target` names the label column
/// (default: the last), the others are the inputs in file order. Empty lines are skipped.
pub fn csv(text: &str, target: Option<&str>) -> Result<Data, FileError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, head) = lines
        .next()
        .ok_or_else(|| FileError("the file is empty (a header line is needed)".into()))?;
    let names: Vec<String> = head
        .split(',')
        .map(|h| h.trim().trim_matches('"').to_string())
        .collect();
    if names.len() < 2 {
        return Err(FileError(
            "line 1: the header names fewer than two columns (inputs and a target)".into(),
        ));
    }
    let t = match target {
        Some(name) => names.iter().position(|n| n == name).ok_or_else(|| {
            FileError(format!(
                "no column `{name}` in the header (columns: {})",
                names.join(", ")
            ))
        })?,
        None => names.len() - 1,
    };
    let d = names.len() - 1;
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for (i, line) in lines {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != names.len() {
            return Err(FileError(format!(
                "line {}: {} values, but the header names {} columns",
                i + 1,
                cells.len(),
                names.len()
            )));
        }
        for (k, c) in cells.iter().enumerate() {
            let v: f64 = c.trim().trim_matches('"').parse().map_err(|_| {
                FileError(format!(
                    "line {}, column `{}`: `{}` is not a number",
                    i + 1,
                    names[k],
                    c.trim()
                ))
            })?;
            if !v.is_finite() {
                return Err(FileError(format!(
                    "line {}, column `{}`: {v} is not a finite number",
                    i + 1,
                    names[k]
                )));
            }
            if k == t {
                ys.push(v);
            } else {
                xs.push(v);
            }
        }
        if xs.len() > MAX_FILE_VALUES {
            return Err(FileError(format!("more than {MAX_FILE_VALUES} values")));
        }
    }
    let n = ys.len();
    let x = Array2::from_shape_vec((n, d), xs).map_err(|e| FileError(e.to_string()))?;
    Ok(Data {
        x,
        y: Array1::from_vec(ys),
    })
}

/// The array of a NumPy `.npy` file (format versions 1 to 3; little-endian `f8`, `f4`,
/// `i8` or `i4`; C or Fortran order) as (shape, values in C order).
pub fn npy(bytes: &[u8]) -> Result<(Vec<usize>, Vec<f64>), FileError> {
    let bad = |m: &str| FileError(format!("not a .npy file: {m}"));
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("no \\x93NUMPY magic"));
    }
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(bad(&format!("format version {v}"))),
    };
    let header = bytes
        .get(start..start + hlen)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| bad("truncated header"))?;
    let field = |key: &str| -> Option<&str> {
        let i = header.find(&format!("'{key}'"))?;
        let rest = header[i + key.len() + 2..].trim_start().strip_prefix(':')?;
        Some(rest.trim_start())
    };
    let descr = field("descr")
        .and_then(|r| r.strip_prefix('\''))
        .and_then(|r| r.split('\'').next())
        .ok_or_else(|| bad("no 'descr'"))?;
    let fortran = field("fortran_order")
        .map(|r| r.starts_with("True"))
        .ok_or_else(|| bad("no 'fortran_order'"))?;
    let shape_text = field("shape")
        .and_then(|r| r.strip_prefix('('))
        .and_then(|r| r.split(')').next())
        .ok_or_else(|| bad("no 'shape'"))?;
    let shape: Vec<usize> = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| bad(&format!("shape entry `{s}`")))
        })
        .collect::<Result<_, _>>()?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &b| a.checked_mul(b))
        .filter(|&c| c <= MAX_FILE_VALUES)
        .ok_or_else(|| FileError(format!("more than {MAX_FILE_VALUES} values")))?;
    let body = &bytes[start + hlen..];
    let (size, read): (usize, fn(&[u8]) -> f64) = match descr {
        "<f8" => (8, |b| f64::from_le_bytes(b.try_into().expect("8 bytes"))),
        "<f4" => (4, |b| {
            f64::from(f32::from_le_bytes(b.try_into().expect("4 bytes")))
        }),
        "<i8" => (8, |b| {
            i64::from_le_bytes(b.try_into().expect("8 bytes")) as f64
        }),
        "<i4" => (4, |b| {
            f64::from(i32::from_le_bytes(b.try_into().expect("4 bytes")))
        }),
        other => {
            return Err(FileError(format!(
                "dtype `{other}`: stabcert reads little-endian f8, f4, i8 and i4"
            )));
        }
    };
    if body.len() < count * size {
        return Err(bad(&format!(
            "{} bytes of data for {count} values of {size} bytes",
            body.len()
        )));
    }
    let mut vals: Vec<f64> = body[..count * size].chunks_exact(size).map(read).collect();
    if let Some(v) = vals.iter().find(|v| !v.is_finite()) {
        return Err(FileError(format!(
            "the array holds {v}, not a finite number"
        )));
    }
    if fortran && shape.len() == 2 {
        let (r, c) = (shape[0], shape[1]);
        let f = vals.clone();
        for i in 0..r {
            for j in 0..c {
                vals[i * c + j] = f[j * r + i];
            }
        }
    } else if fortran && shape.len() > 2 {
        return Err(FileError(
            "Fortran-order arrays of more than 2 dimensions".into(),
        ));
    }
    Ok((shape, vals))
}

/// Examples from NumPy arrays: `x` is `n x d`; the labels are `y` (length n) or, without
/// it, the last column of `x`.
pub fn from_npy(
    x: (Vec<usize>, Vec<f64>),
    y: Option<(Vec<usize>, Vec<f64>)>,
) -> Result<Data, FileError> {
    let (shape, vals) = x;
    let [n, c] = shape[..] else {
        return Err(FileError(format!(
            "the inputs are {}-dimensional; a 2-D array (examples x features) is needed",
            shape.len()
        )));
    };
    let full = Array2::from_shape_vec((n, c), vals).map_err(|e| FileError(e.to_string()))?;
    match y {
        Some((ys, yv)) => {
            if ys != [n] && ys != [n, 1] {
                return Err(FileError(format!(
                    "the targets have shape {ys:?}; ({n},) is needed, one per example"
                )));
            }
            Ok(Data {
                x: full,
                y: Array1::from_vec(yv),
            })
        }
        None => {
            if c < 2 {
                return Err(FileError("one column: no inputs beside the target".into()));
            }
            Ok(Data {
                x: full.slice(ndarray::s![.., ..c - 1]).to_owned(),
                y: full.column(c - 1).to_owned(),
            })
        }
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

    fn npy_file(descr: &str, fortran: bool, shape: &str, body: &[u8]) -> Vec<u8> {
        let mut h = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}\n",
            if fortran { "True" } else { "False" }
        );
        while (10 + h.len()) % 16 != 0 {
            h.insert(h.len() - 1, ' ');
        }
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((h.len() as u16).to_le_bytes());
        out.extend(h.as_bytes());
        out.extend(body);
        out
    }

    #[test]
    fn npy_orders_and_types() {
        // the 2 x 3 array [[1, 2, 3], [4, 5, 6]] in Fortran order, as f4
        let body: Vec<u8> = [1f32, 4., 2., 5., 3., 6.]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let (shape, vals) = npy(&npy_file("<f4", true, "(2, 3)", &body)).unwrap();
        assert_eq!(shape, vec![2, 3]);
        assert_eq!(vals, vec![1., 2., 3., 4., 5., 6.]);
        let d = from_npy((shape, vals), None).unwrap();
        assert_eq!(d.y.to_vec(), vec![3., 6.]);
        assert_eq!(d.x.row(1).to_vec(), vec![4., 5.]);
        // i8 targets, one-dimensional
        let y: Vec<u8> = [7i64, 8].iter().flat_map(|v| v.to_le_bytes()).collect();
        let yt = npy(&npy_file("<i8", false, "(2,)", &y)).unwrap();
        assert_eq!(yt, (vec![2], vec![7., 8.]));
        // refusals: big-endian, truncated, non-finite
        assert!(npy(&npy_file(">f8", false, "(1,)", &[0; 8])).is_err());
        assert!(npy(&npy_file("<f8", false, "(2,)", &[0; 8])).is_err());
        let nan = f64::NAN.to_le_bytes();
        assert!(npy(&npy_file("<f8", false, "(1,)", &nan)).is_err());
    }

    #[test]
    fn csv_with_a_header() {
        let d = csv("a, b ,y\n1,2,3\n\n4,5,6\n", Some("b")).unwrap();
        assert_eq!(d.y.to_vec(), vec![2., 5.]);
        assert_eq!(d.x.row(1).to_vec(), vec![4., 6.]);
        let e = csv("a,y\n1,2\n3\n", None).unwrap_err();
        assert_eq!(e.0, "line 3: 1 values, but the header names 2 columns");
        assert!(csv("a,y\n1,inf\n", None).is_err());
        assert!(
            csv("a,y\n", Some("z"))
                .unwrap_err()
                .0
                .contains("no column `z`")
        );
    }
}
