//! f64 kernels (dot, axpy, gemv) with runtime instruction-set dispatch — AVX-512, AVX2+FMA
//! or a portable baseline — chosen once per process, and bit-identical results on every
//! instruction set.
//!
//! Bit-identity comes from one fixed evaluation order shared by every path: 32 running
//! accumulators (element `i` of each block of 32 goes to accumulator `i`; four AVX-512 or
//! eight AVX2 registers, enough independent chains to hide the FMA latency), each update a
//! fused multiply-add (`f64::mul_add` in the baseline, the same single rounding as the
//! hardware instruction), the accumulators combined by the same tree ([`reduce32`]), then
//! the tail elements added in order. `axpy` is element-wise FMA.

use std::sync::OnceLock;

/// The instruction sets the kernels are written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// AVX-512F (8 f64 lanes per register)
    Avx512,
    /// AVX2 with FMA (4 lanes, two registers per block of eight)
    Avx2Fma,
    /// portable code (`f64::mul_add`)
    Baseline,
}

impl Isa {
    /// Whether this machine can run the kernels of `self`.
    pub fn available(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx512 | Isa::Avx2Fma => false,
            Isa::Baseline => true,
        }
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "AVX-512",
            Isa::Avx2Fma => "AVX2+FMA",
            Isa::Baseline => "baseline",
        }
    }
}

/// The best instruction set of this machine, detected once (`STABCERT_ISA=baseline|avx2|
/// avx512` caps it, for comparisons).
pub fn isa() -> Isa {
    static CHOSEN: OnceLock<Isa> = OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let cap = std::env::var("STABCERT_ISA").unwrap_or_default();
        let order: &[Isa] = match cap.as_str() {
            "baseline" => &[Isa::Baseline],
            "avx2" => &[Isa::Avx2Fma, Isa::Baseline],
            _ => &[Isa::Avx512, Isa::Avx2Fma, Isa::Baseline],
        };
        order
            .iter()
            .copied()
            .find(|i| i.available())
            .unwrap_or(Isa::Baseline)
    })
}

/// The fixed combination of eight lanes.
#[inline(always)]
pub fn reduce8(a: [f64; 8]) -> f64 {
    ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
}

/// The fixed combination of the 32 accumulators: the four groups of eight lane by lane,
/// `(g0 + g1) + (g2 + g3)`, then [`reduce8`].
#[inline(always)]
pub fn reduce32(a: &[f64; 32]) -> f64 {
    let mut g = [0.0f64; 8];
    for l in 0..8 {
        g[l] = (a[l] + a[8 + l]) + (a[16 + l] + a[24 + l]);
    }
    reduce8(g)
}

/// Elements per block of the dot product.
pub const BLOCK: usize = 32;

/// `sum x[i] * y[i]` with the dispatched instruction set. Panics if the lengths differ.
pub fn dot(x: &[f64], y: &[f64]) -> f64 {
    dot_with(isa_for(x.len()), x, y)
}

/// Below this length the dispatched kernels use AVX2 even where AVX-512 is available:
/// measured on twin SGD with d = 64 (BENCHMARKS.md), 512-bit code on short vectors is
/// slower (fewer blocks to amortise the reduction, and the lower clock of 512-bit code).
/// Results are the same on every path, so this choice cannot change a figure.
pub const AVX512_FROM: usize = 256;

/// The instruction set `dot`/`axpy` use for vectors of length `len`.
fn isa_for(len: usize) -> Isa {
    match isa() {
        Isa::Avx512 if len < AVX512_FROM => Isa::Avx2Fma,
        i => i,
    }
}

/// `dot` on a given instruction set (which must be available; the baseline otherwise).
pub fn dot_with(isa: Isa, x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "dot: lengths differ");
    match isa {
        // SAFETY: the instruction set was checked to be available on this machine
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if isa.available() => unsafe { x86::dot_avx512(x, y) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma if isa.available() => unsafe { x86::dot_avx2(x, y) },
        _ => dot_scalar(x, y),
    }
}

/// The scalar twin of `dot`: the same order and the same roundings.
pub fn dot_scalar(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "dot: lengths differ");
    let n = x.len();
    let blocks = n / BLOCK;
    let mut acc = [0.0f64; BLOCK];
    for b in 0..blocks {
        let (xs, ys) = (
            &x[b * BLOCK..(b + 1) * BLOCK],
            &y[b * BLOCK..(b + 1) * BLOCK],
        );
        for l in 0..BLOCK {
            acc[l] = xs[l].mul_add(ys[l], acc[l]);
        }
    }
    let mut s = reduce32(&acc);
    for i in blocks * BLOCK..n {
        s = x[i].mul_add(y[i], s);
    }
    s
}

/// `y[i] += a * x[i]` (one FMA per element) with the dispatched instruction set.
pub fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    axpy_with(isa_for(x.len()), a, x, y)
}

/// `axpy` on a given instruction set.
pub fn axpy_with(isa: Isa, a: f64, x: &[f64], y: &mut [f64]) {
    assert_eq!(x.len(), y.len(), "axpy: lengths differ");
    match isa {
        // SAFETY: the instruction set was checked to be available on this machine
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if isa.available() => unsafe { x86::axpy_avx512(a, x, y) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma if isa.available() => unsafe { x86::axpy_avx2(a, x, y) },
        _ => axpy_scalar(a, x, y),
    }
}

/// The scalar twin of `axpy`.
pub fn axpy_scalar(a: f64, x: &[f64], y: &mut [f64]) {
    assert_eq!(x.len(), y.len(), "axpy: lengths differ");
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi = a.mul_add(*xi, *yi);
    }
}

/// Hints the processor to fetch `x` into the cache (one hint per 64-byte line); no effect
/// on results. Twin SGD prefetches the next step's examples while it computes this one.
#[inline]
pub fn prefetch(x: &[f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        for i in (0..x.len()).step_by(8) {
            // SAFETY: prefetching is a hint that never faults; the address is in bounds
            #[allow(unused_unsafe)]
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(x.as_ptr().add(i) as *const i8)
            };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// `y = A x` for a row-major `rows x cols` matrix `A`, one [`dot`] per row.
pub fn gemv(a: &[f64], rows: usize, cols: usize, x: &[f64], y: &mut [f64]) {
    gemv_with(isa_for(cols), a, rows, cols, x, y)
}

/// `gemv` on a given instruction set.
pub fn gemv_with(isa: Isa, a: &[f64], rows: usize, cols: usize, x: &[f64], y: &mut [f64]) {
    assert_eq!(a.len(), rows * cols, "gemv: matrix size");
    assert_eq!(x.len(), cols, "gemv: x length");
    assert_eq!(y.len(), rows, "gemv: y length");
    for (r, yr) in y.iter_mut().enumerate() {
        *yr = dot_with(isa, &a[r * cols..(r + 1) * cols], x);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{BLOCK, reduce32};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot_avx2(x: &[f64], y: &[f64]) -> f64 {
        let n = x.len();
        let blocks = n / BLOCK;
        // register r holds accumulators 4r..4r+4
        let mut v = [_mm256_setzero_pd(); 8];
        for b in 0..blocks {
            let i = b * BLOCK;
            for (r, vr) in v.iter_mut().enumerate() {
                // SAFETY: i + 32 <= n for both slices (equal lengths checked by the caller)
                unsafe {
                    let (xp, yp) = (x.as_ptr().add(i + 4 * r), y.as_ptr().add(i + 4 * r));
                    *vr = _mm256_fmadd_pd(_mm256_loadu_pd(xp), _mm256_loadu_pd(yp), *vr);
                }
            }
        }
        let mut acc = [0.0f64; BLOCK];
        for (r, vr) in v.iter().enumerate() {
            // SAFETY: acc has room for eight vectors of four
            unsafe { _mm256_storeu_pd(acc.as_mut_ptr().add(4 * r), *vr) };
        }
        let mut s = reduce32(&acc);
        for i in blocks * BLOCK..n {
            s = x[i].mul_add(y[i], s);
        }
        s
    }

    #[target_feature(enable = "avx512f")]
    pub unsafe fn dot_avx512(x: &[f64], y: &[f64]) -> f64 {
        let n = x.len();
        let blocks = n / BLOCK;
        // register r holds accumulators 8r..8r+8
        let mut v = [_mm512_setzero_pd(); 4];
        for b in 0..blocks {
            let i = b * BLOCK;
            for (r, vr) in v.iter_mut().enumerate() {
                // SAFETY: i + 32 <= n for both slices
                unsafe {
                    *vr = _mm512_fmadd_pd(
                        _mm512_loadu_pd(x.as_ptr().add(i + 8 * r)),
                        _mm512_loadu_pd(y.as_ptr().add(i + 8 * r)),
                        *vr,
                    );
                }
            }
        }
        let mut acc = [0.0f64; BLOCK];
        for (r, vr) in v.iter().enumerate() {
            // SAFETY: acc has room for four vectors of eight
            unsafe { _mm512_storeu_pd(acc.as_mut_ptr().add(8 * r), *vr) };
        }
        let mut s = reduce32(&acc);
        for i in blocks * BLOCK..n {
            s = x[i].mul_add(y[i], s);
        }
        s
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn axpy_avx2(a: f64, x: &[f64], y: &mut [f64]) {
        let n = x.len();
        let va = _mm256_set1_pd(a);
        let blocks = n / 4;
        for b in 0..blocks {
            let i = b * 4;
            // SAFETY: i + 4 <= n for both slices
            unsafe {
                let yp = y.as_mut_ptr().add(i);
                let r =
                    _mm256_fmadd_pd(va, _mm256_loadu_pd(x.as_ptr().add(i)), _mm256_loadu_pd(yp));
                _mm256_storeu_pd(yp, r);
            }
        }
        for i in blocks * 4..n {
            y[i] = a.mul_add(x[i], y[i]);
        }
    }

    #[target_feature(enable = "avx512f")]
    pub unsafe fn axpy_avx512(a: f64, x: &[f64], y: &mut [f64]) {
        let n = x.len();
        let va = _mm512_set1_pd(a);
        let blocks = n / 8;
        for b in 0..blocks {
            let i = b * 8;
            // SAFETY: i + 8 <= n for both slices
            unsafe {
                let yp = y.as_mut_ptr().add(i);
                let r =
                    _mm512_fmadd_pd(va, _mm512_loadu_pd(x.as_ptr().add(i)), _mm512_loadu_pd(yp));
                _mm512_storeu_pd(yp, r);
            }
        }
        for i in blocks * 8..n {
            y[i] = a.mul_add(x[i], y[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic awkward values: mixed signs and magnitudes, so that the order of
    /// additions changes the rounding (a reordered kernel would not match bit for bit).
    fn data(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let m = (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                let e = ((s >> 3) % 40) as i32 - 20;
                m * 2f64.powi(e)
            })
            .collect()
    }

    const ALL: [Isa; 3] = [Isa::Avx512, Isa::Avx2Fma, Isa::Baseline];

    #[test]
    fn every_isa_matches_its_scalar_twin_bit_for_bit() {
        for isa in ALL.into_iter().filter(|i| i.available()) {
            for n in (0..=64).chain([95, 96, 97, 200]) {
                // misaligned: start 0..4 elements into a larger buffer
                for off in 0..4 {
                    let xb = data(n + off, 1 + n as u64);
                    let yb = data(n + off, 1000 + n as u64);
                    let (x, y) = (&xb[off..], &yb[off..]);
                    let (d, s) = (dot_with(isa, x, y), dot_scalar(x, y));
                    assert_eq!(
                        d.to_bits(),
                        s.to_bits(),
                        "{} dot n={n} off={off}",
                        isa.name()
                    );
                    let a = 0.37 - n as f64 / 100.0;
                    let mut y1 = yb.clone();
                    let mut y2 = yb.clone();
                    axpy_with(isa, a, x, &mut y1[off..]);
                    axpy_scalar(a, x, &mut y2[off..]);
                    assert!(
                        y1.iter().zip(&y2).all(|(p, q)| p.to_bits() == q.to_bits()),
                        "{} axpy n={n} off={off}",
                        isa.name()
                    );
                }
            }
        }
    }

    #[test]
    fn the_order_matters_so_the_test_above_can_fail() {
        // a plain left-to-right sum differs from the 32-accumulator order on these data
        let (x, y) = (data(64, 7), data(64, 8));
        let naive = x.iter().zip(&y).fold(0.0, |s, (a, b)| a.mul_add(*b, s));
        assert_ne!(naive.to_bits(), dot_scalar(&x, &y).to_bits());
    }

    #[test]
    fn gemv_is_a_dot_per_row() {
        let (rows, cols) = (5, 13);
        let a = data(rows * cols, 3);
        let x = data(cols, 4);
        for isa in ALL.into_iter().filter(|i| i.available()) {
            let mut y = vec![0.0; rows];
            gemv_with(isa, &a, rows, cols, &x, &mut y);
            for r in 0..rows {
                assert_eq!(
                    y[r].to_bits(),
                    dot_scalar(&a[r * cols..(r + 1) * cols], &x).to_bits()
                );
            }
        }
    }
}
