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
//!
//! `exp` and the logistic loss's step coefficient ([`logistic_coefs`]) are computed by our
//! own exponential (a Cody–Waite reduction, a degree-13 polynomial in fused multiply-adds
//! evaluated by Estrin's scheme,
//! an exact scaling by 2^k): the same operations on one value or on a slice of them, so
//! the vectorised slice (replicas batched by the Monte Carlo engine) gives the bits of the
//! scalar call on every instruction set. libm's `exp` is not used in the SGD step: its
//! results may differ between libraries and it does not vectorise.

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
            Isa::Avx512 => is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("fma"),
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

/// `e^x` within about 1 ulp (tested against the platform's `exp`), the same bits on every
/// instruction set and in [`logistic_coefs`]; NaN stays NaN, overflow gives infinity,
/// underflow 0 or a subnormal.
#[inline(always)]
fn exp_body(x: f64) -> f64 {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    // 1.5 * 2^52: adding it rounds to an integer, which is left in the low mantissa bits
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    // ln 2 in two parts, the first with trailing zeros so that k * LN2_HI is exact
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // fdlibm's ln2_hi
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // fdlibm's ln2_lo
    // 1/j! for j = 13, 12, ..., 2
    const C: [f64; 12] = [
        1.0 / 6_227_020_800.0,
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
    ];
    // beyond these the result is infinity or rounds to 0 (NaN is restored at the end)
    let xc = x.clamp(-746.0, 710.0);
    let t = xc.mul_add(LOG2E, SHIFT);
    let kf = t - SHIFT;
    let r = kf.mul_add(-LN2_HI, xc);
    let r = kf.mul_add(-LN2_LO, r);
    // sum of r^j / j! for j = 0..=13 as 1 + (r + r^2 t(r)), t by Estrin's scheme (pairs,
    // then powers of r^2): a dependency chain of 6 operations instead of Horner's 13, the
    // small terms summed before the 1 (within 1 ulp, tested)
    let r2 = r * r;
    let r4 = r2 * r2;
    let q1 = r.mul_add(C[10], C[11]); // 1/2 + r/6
    let q2 = r.mul_add(C[8], C[9]); // 1/24 + r/120
    let q3 = r.mul_add(C[6], C[7]);
    let q4 = r.mul_add(C[4], C[5]);
    let q5 = r.mul_add(C[2], C[3]);
    let q6 = r.mul_add(C[0], C[1]); // 1/12! + r/13!
    let s0 = r2.mul_add(q2, q1);
    let s1 = r2.mul_add(q4, q3);
    let s2 = r2.mul_add(q6, q5);
    let tail = r4.mul_add(r4.mul_add(s2, s1), s0);
    let p = 1.0 + r2.mul_add(tail, r);
    // 2^k as two normal powers of two (k in [-1076, 1025]): the first product is exact,
    // the second rounds once (to a subnormal, or to infinity)
    let k = (t.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    let k1 = k >> 1;
    let k2 = k - k1;
    let e1 = f64::from_bits(((k1 + 1023) as u64) << 52);
    let e2 = f64::from_bits(((k2 + 1023) as u64) << 52);
    let y = p * e1 * e2;
    if x.is_nan() { x } else { y }
}

/// The step coefficient of the logistic loss, `scale * (-y / (1 + e^(y z)))` (the
/// derivative of `ln(1 + e^(-y z))` in `z`, times `scale`), with [`exp`]'s exponential.
#[inline(always)]
fn logistic_coef_body(z: f64, y: f64, scale: f64) -> f64 {
    scale * (-y / (1.0 + exp_body(y * z)))
}

/// `e^x` (see `exp_body`): fused multiply-adds in hardware where the machine has them.
pub fn exp(x: f64) -> f64 {
    exp_with(isa(), x)
}

/// `exp` on a given instruction set (the baseline where it is not available).
pub fn exp_with(isa: Isa, x: f64) -> f64 {
    match isa {
        // SAFETY: the instruction set was checked to be available on this machine
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 | Isa::Avx2Fma if isa.available() => unsafe { x86::exp_fma(x) },
        _ => exp_body(x),
    }
}

/// `scale * (-y / (1 + e^(y z)))` for one example (what [`logistic_coefs`] computes for many).
pub fn logistic_coef(z: f64, y: f64, scale: f64) -> f64 {
    logistic_coef_with(isa(), z, y, scale)
}

/// `logistic_coef` on a given instruction set (the baseline where it is not available).
pub fn logistic_coef_with(isa: Isa, z: f64, y: f64, scale: f64) -> f64 {
    match isa {
        // SAFETY: as in `exp`
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 | Isa::Avx2Fma if isa.available() => unsafe {
            x86::logistic_coef_fma(z, y, scale)
        },
        _ => logistic_coef_body(z, y, scale),
    }
}

/// `out[i] = scale * (-y[i] / (1 + e^(y[i] z[i])))`, vectorised across `i` (the replicas
/// of a batch), each element the bits of [`logistic_coef`]. Panics if the lengths differ.
pub fn logistic_coefs(z: &[f64], y: &[f64], scale: f64, out: &mut [f64]) {
    logistic_coefs_with(isa(), z, y, scale, out)
}

/// `logistic_coefs` on a given instruction set (the baseline where it is not available).
pub fn logistic_coefs_with(isa: Isa, z: &[f64], y: &[f64], scale: f64, out: &mut [f64]) {
    assert!(
        z.len() == y.len() && z.len() == out.len(),
        "logistic_coefs: lengths differ"
    );
    match isa {
        // SAFETY: as in `exp`
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if isa.available() => unsafe { x86::logistic_coefs_avx512(z, y, scale, out) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma if isa.available() => unsafe { x86::logistic_coefs_avx2(z, y, scale, out) },
        _ => {
            for ((o, z), y) in out.iter_mut().zip(z).zip(y) {
                *o = logistic_coef_body(*z, *y, scale);
            }
        }
    }
}

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
pub fn isa_for(len: usize) -> Isa {
    match isa() {
        Isa::Avx512 if len < AVX512_FROM => Isa::Avx2Fma,
        i => i,
    }
}

/// `dot` on a given instruction set (which must be available; the baseline otherwise).
pub fn dot_with(isa: Isa, x: &[f64], y: &[f64]) -> f64 {
    dot_fn(isa)(x, y)
}

/// `w += a x`, then `dot(xn, w)` of the updated `w`, in one pass over `w`: the bits of
/// [`axpy`] followed by [`dot`] (the same per-element FMAs and the same accumulation order),
/// with half the loads of `w`. The Monte Carlo engine computes a step's update and the next
/// step's dot product this way. Panics if the lengths differ.
pub fn axpy_dot(a: f64, x: &[f64], w: &mut [f64], xn: &[f64]) -> f64 {
    axpy_dot_with(isa_for(x.len()), a, x, w, xn)
}

/// `axpy_dot` on a given instruction set (which must be available; the baseline otherwise).
pub fn axpy_dot_with(isa: Isa, a: f64, x: &[f64], w: &mut [f64], xn: &[f64]) -> f64 {
    axpy_dot_fn(isa)(a, x, w, xn)
}

/// The portable `axpy_dot`: [`axpy_scalar`], then [`dot_scalar`].
fn axpy_dot_scalar(a: f64, x: &[f64], w: &mut [f64], xn: &[f64]) -> f64 {
    assert!(
        x.len() == w.len() && x.len() == xn.len(),
        "axpy_dot: lengths differ"
    );
    axpy_scalar(a, x, w);
    dot_scalar(xn, w)
}

/// `dot` on an instruction set resolved once: a function to call in a hot loop without
/// dispatching at every call (the baseline where `isa` is not available).
pub fn dot_fn(isa: Isa) -> fn(&[f64], &[f64]) -> f64 {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if isa.available() => |x, y| {
            assert_eq!(x.len(), y.len(), "dot: lengths differ");
            // SAFETY: available, checked when the function was chosen
            unsafe { x86::dot_avx512(x, y) }
        },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma if isa.available() => |x, y| {
            assert_eq!(x.len(), y.len(), "dot: lengths differ");
            // SAFETY: as above
            unsafe { x86::dot_avx2(x, y) }
        },
        _ => dot_scalar,
    }
}

/// `axpy_dot` on an instruction set resolved once (see [`dot_fn`]).
pub fn axpy_dot_fn(isa: Isa) -> fn(f64, &[f64], &mut [f64], &[f64]) -> f64 {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if isa.available() => |a, x, w, xn| {
            assert!(
                x.len() == w.len() && x.len() == xn.len(),
                "axpy_dot: lengths differ"
            );
            // SAFETY: available, checked when the function was chosen
            unsafe { x86::axpy_dot_avx512(a, x, w, xn) }
        },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma if isa.available() => |a, x, w, xn| {
            assert!(
                x.len() == w.len() && x.len() == xn.len(),
                "axpy_dot: lengths differ"
            );
            // SAFETY: as above
            unsafe { x86::axpy_dot_avx2(a, x, w, xn) }
        },
        _ => axpy_dot_scalar,
    }
}

/// The update-and-dot of two runs that share their examples (the twin runs of a replica at
/// a step where both draw the same example, and the same next one): `(axpy_dot(a1, x, w1,
/// xn), axpy_dot(a2, x, w2, xn))` bit for bit, loading `x` and `xn` once for both. Kernels
/// exist for AVX-512 (its 32 registers hold both runs' accumulators) and AVX2 (whose 16 do
/// not: some accumulators live in memory, and still it saves loads; measured 6.5% at
/// d = 64 against two AVX2 calls): see [`axpy_dot_pair_fn`]; on the baseline the caller
/// makes two [`axpy_dot`] calls (the same bits).
#[derive(Clone, Copy)]
pub struct AxpyDotPair(PairKernel);

type PairKernel = unsafe fn(f64, f64, &[f64], &mut [f64], &mut [f64], &[f64]) -> (f64, f64);

impl AxpyDotPair {
    /// The two updates and dot products. Panics if the lengths differ.
    #[inline]
    pub fn call(
        self,
        a1: f64,
        a2: f64,
        x: &[f64],
        w1: &mut [f64],
        w2: &mut [f64],
        xn: &[f64],
    ) -> (f64, f64) {
        assert!(
            x.len() == w1.len() && x.len() == w2.len() && x.len() == xn.len(),
            "axpy_dot_pair: lengths differ"
        );
        // SAFETY: a kernel is only made for an instruction set found available
        // (`axpy_dot_pair_fn`); the lengths are equal
        unsafe { (self.0)(a1, a2, x, w1, w2, xn) }
    }
}

/// The pair kernel ([`AxpyDotPair`]) when `isa` has one and is available; called through a
/// plain function pointer (no dispatch per call).
pub fn axpy_dot_pair_fn(isa: Isa) -> Option<AxpyDotPair> {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if isa.available() => Some(AxpyDotPair(x86::axpy_dot_pair_avx512)),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma if isa.available() => Some(AxpyDotPair(x86::axpy_dot_pair_avx2)),
        _ => None,
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
    use super::BLOCK;
    use std::arch::x86_64::*;

    /// [`reduce32`] of the accumulators of the AVX2 kernels (register `r` holds
    /// accumulators `4r..4r+4`) in registers, the same additions in the same order: lane by
    /// lane `(a[l] + a[8+l]) + (a[16+l] + a[24+l])`, then `reduce8`'s tree.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn reduce32_avx2(v: &[__m256d; 8]) -> f64 {
        // g[0..4] and g[4..8]
        let g0 = _mm256_add_pd(_mm256_add_pd(v[0], v[2]), _mm256_add_pd(v[4], v[6]));
        let g1 = _mm256_add_pd(_mm256_add_pd(v[1], v[3]), _mm256_add_pd(v[5], v[7]));
        reduce8_avx2(g0, g1)
    }

    /// `reduce8` of g[0..4] and g[4..8]: h[l] = g[l] + g[4+l], then (h0 + h2) + (h1 + h3).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn reduce8_avx2(g0: __m256d, g1: __m256d) -> f64 {
        let h = _mm256_add_pd(g0, g1);
        let lo = _mm256_castpd256_pd128(h);
        let hi = _mm256_extractf128_pd::<1>(h);
        let p = _mm_add_pd(lo, hi); // (h0 + h2, h1 + h3)
        let q = _mm_unpackhi_pd(p, p);
        _mm_cvtsd_f64(_mm_add_sd(p, q))
    }

    /// [`reduce32`] of the accumulators of the AVX-512 kernels (register `r` holds
    /// accumulators `8r..8r+8`) in registers, the same additions in the same order.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn reduce32_avx512(v: &[__m512d; 4]) -> f64 {
        let g = _mm512_add_pd(_mm512_add_pd(v[0], v[1]), _mm512_add_pd(v[2], v[3]));
        reduce8_avx2(_mm512_castpd512_pd256(g), _mm512_extractf64x4_pd::<1>(g))
    }

    /// Instantiates a kernel macro on both register widths: AVX2 (8 registers of 4 lanes per
    /// block of 32) and AVX-512 (4 registers of 8 lanes), with their intrinsics.
    macro_rules! both_widths {
        ($kernel:ident, $avx2:ident, $avx512:ident) => {
            $kernel!(
                $avx2,
                "avx2,fma",
                8,
                4,
                _mm256_setzero_pd,
                _mm256_set1_pd,
                _mm256_loadu_pd,
                _mm256_storeu_pd,
                _mm256_fmadd_pd,
                reduce32_avx2
            );
            $kernel!(
                $avx512,
                "avx512f",
                4,
                8,
                _mm512_setzero_pd,
                _mm512_set1_pd,
                _mm512_loadu_pd,
                _mm512_storeu_pd,
                _mm512_fmadd_pd,
                reduce32_avx512
            );
        };
    }

    /// The fused update-and-dot (`axpy_dot`) per block of 32: the update of `w` and the
    /// `$regs` accumulators (of `$w` lanes) of the dot kernel on the same register width.
    macro_rules! single_kernel {
        ($name:ident, $feature:literal, $regs:literal, $w:literal, $zero:ident, $set1:ident,
         $load:ident, $store:ident, $fma:ident, $reduce:ident) => {
            #[target_feature(enable = $feature)]
            pub unsafe fn $name(a: f64, x: &[f64], w: &mut [f64], xn: &[f64]) -> f64 {
                let n = x.len();
                let blocks = n / BLOCK;
                let va = $set1(a);
                let mut v = [$zero(); $regs];
                for b in 0..blocks {
                    let i = b * BLOCK;
                    for (r, vr) in v.iter_mut().enumerate() {
                        // SAFETY: i + 32 <= n for the three slices (equal lengths checked)
                        unsafe {
                            let j = i + $w * r;
                            let wp = w.as_mut_ptr().add(j);
                            let nw = $fma(va, $load(x.as_ptr().add(j)), $load(wp));
                            $store(wp, nw);
                            *vr = $fma($load(xn.as_ptr().add(j)), nw, *vr);
                        }
                    }
                }
                for i in blocks * BLOCK..n {
                    w[i] = a.mul_add(x[i], w[i]);
                }
                let mut s = $reduce(&v);
                for i in blocks * BLOCK..n {
                    s = xn[i].mul_add(w[i], s);
                }
                s
            }
        };
    }

    both_widths!(single_kernel, axpy_dot_avx2, axpy_dot_avx512);

    /// Two runs' fused update-and-dot on shared `x` and `xn` (`$regs` registers of `$w`
    /// lanes per block of 32, each run's accumulators as in its single kernel; `x` and `xn`
    /// loaded once): the AVX2 and AVX-512 pair kernels, the same code on two register
    /// widths.
    macro_rules! pair_kernel {
        ($name:ident, $feature:literal, $regs:literal, $w:literal, $zero:ident, $set1:ident,
         $load:ident, $store:ident, $fma:ident, $reduce:ident) => {
            #[target_feature(enable = $feature)]
            pub unsafe fn $name(
                a1: f64,
                a2: f64,
                x: &[f64],
                w1: &mut [f64],
                w2: &mut [f64],
                xn: &[f64],
            ) -> (f64, f64) {
                let n = x.len();
                let blocks = n / BLOCK;
                let (va1, va2) = ($set1(a1), $set1(a2));
                let mut v1 = [$zero(); $regs];
                let mut v2 = [$zero(); $regs];
                for b in 0..blocks {
                    let i = b * BLOCK;
                    for r in 0..$regs {
                        // SAFETY: i + 32 <= n for the four slices (equal lengths checked)
                        unsafe {
                            let j = i + $w * r;
                            let xv = $load(x.as_ptr().add(j));
                            let xnv = $load(xn.as_ptr().add(j));
                            let p1 = w1.as_mut_ptr().add(j);
                            let n1 = $fma(va1, xv, $load(p1));
                            $store(p1, n1);
                            v1[r] = $fma(xnv, n1, v1[r]);
                            let p2 = w2.as_mut_ptr().add(j);
                            let n2 = $fma(va2, xv, $load(p2));
                            $store(p2, n2);
                            v2[r] = $fma(xnv, n2, v2[r]);
                        }
                    }
                }
                for i in blocks * BLOCK..n {
                    w1[i] = a1.mul_add(x[i], w1[i]);
                    w2[i] = a2.mul_add(x[i], w2[i]);
                }
                let (mut s1, mut s2) = ($reduce(&v1), $reduce(&v2));
                for i in blocks * BLOCK..n {
                    s1 = xn[i].mul_add(w1[i], s1);
                    s2 = xn[i].mul_add(w2[i], s2);
                }
                (s1, s2)
            }
        };
    }

    both_widths!(pair_kernel, axpy_dot_pair_avx2, axpy_dot_pair_avx512);

    /// `exp_body` compiled with hardware FMA.
    #[target_feature(enable = "fma")]
    pub unsafe fn exp_fma(x: f64) -> f64 {
        super::exp_body(x)
    }

    /// `logistic_coef_body` compiled with hardware FMA.
    #[target_feature(enable = "fma")]
    pub unsafe fn logistic_coef_fma(z: f64, y: f64, scale: f64) -> f64 {
        super::logistic_coef_body(z, y, scale)
    }

    /// `logistic_coef_body` over slices, vectorised by the compiler with 512-bit registers.
    #[target_feature(enable = "avx512f,fma")]
    pub unsafe fn logistic_coefs_avx512(z: &[f64], y: &[f64], scale: f64, out: &mut [f64]) {
        for ((o, z), y) in out.iter_mut().zip(z).zip(y) {
            *o = super::logistic_coef_body(*z, *y, scale);
        }
    }

    /// `logistic_coef_body` over slices, vectorised by the compiler with 256-bit registers.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn logistic_coefs_avx2(z: &[f64], y: &[f64], scale: f64, out: &mut [f64]) {
        for ((o, z), y) in out.iter_mut().zip(z).zip(y) {
            *o = super::logistic_coef_body(*z, *y, scale);
        }
    }

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
        let mut s = reduce32_avx2(&v);
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
        let mut s = reduce32_avx512(&v);
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

    /// The fused update-and-dot is the update followed by the dot product, bit for bit, on
    /// every instruction set, every length and alignment.
    #[test]
    fn axpy_dot_is_axpy_then_dot() {
        for isa in ALL.into_iter().filter(|i| i.available()) {
            for n in (0..=70).chain([95, 96, 97, 256, 1000]) {
                for off in 0..3 {
                    let x = data(n + off, 5 + n as u64);
                    let xn = data(n + off, 50 + n as u64);
                    let w0 = data(n + off, 500 + n as u64);
                    let a = -0.3 + n as f64 / 77.0;
                    let mut w1 = w0.clone();
                    let z1 = axpy_dot_with(isa, a, &x[off..], &mut w1[off..], &xn[off..]);
                    let mut w2 = w0.clone();
                    axpy_scalar(a, &x[off..], &mut w2[off..]);
                    let z2 = dot_scalar(&xn[off..], &w2[off..]);
                    assert_eq!(z1.to_bits(), z2.to_bits(), "{} n={n} off={off}", isa.name());
                    assert!(w1.iter().zip(&w2).all(|(p, q)| p.to_bits() == q.to_bits()));
                }
            }
        }
    }

    /// The pair kernel is two fused update-and-dots, bit for bit, every length and
    /// alignment (where the machine has it).
    #[test]
    fn axpy_dot_pair_is_two_axpy_dots() {
        for isa in ALL.into_iter().filter(|i| i.available()) {
            let Some(pair) = axpy_dot_pair_fn(isa) else {
                continue;
            };
            for n in (0..=70).chain([95, 96, 97, 256, 1000]) {
                for off in 0..3 {
                    let x = data(n + off, 5 + n as u64);
                    let xn = data(n + off, 50 + n as u64);
                    let w0 = data(n + off, 500 + n as u64);
                    let u0 = data(n + off, 900 + n as u64);
                    let (a1, a2) = (-0.3 + n as f64 / 77.0, 0.7 - n as f64 / 31.0);
                    let (mut w1, mut u1) = (w0.clone(), u0.clone());
                    let (z1, y1) = pair.call(
                        a1,
                        a2,
                        &x[off..],
                        &mut w1[off..],
                        &mut u1[off..],
                        &xn[off..],
                    );
                    let (mut w2, mut u2) = (w0.clone(), u0.clone());
                    let z2 = axpy_dot_scalar(a1, &x[off..], &mut w2[off..], &xn[off..]);
                    let y2 = axpy_dot_scalar(a2, &x[off..], &mut u2[off..], &xn[off..]);
                    assert_eq!(z1.to_bits(), z2.to_bits(), "{} n={n} off={off}", isa.name());
                    assert_eq!(y1.to_bits(), y2.to_bits(), "{} n={n} off={off}", isa.name());
                    assert!(w1.iter().zip(&w2).all(|(p, q)| p.to_bits() == q.to_bits()));
                    assert!(u1.iter().zip(&u2).all(|(p, q)| p.to_bits() == q.to_bits()));
                }
            }
        }
    }

    /// Our exponential within 1 ulp of the platform's (correctly rounded or nearly) over
    /// every magnitude, the edges of overflow and underflow and the subnormal range; NaN and
    /// infinities as `exp`'s; and the same bits on every instruction set, one value at a
    /// time or vectorised in `logistic_coefs`.
    #[test]
    fn exp_is_accurate_and_the_same_everywhere() {
        let mut xs: Vec<f64> = data(20_000, 9)
            .into_iter()
            .map(|v| v * 1e-6 % 745.0)
            .collect();
        xs.extend((-7460..=7100).map(|k| k as f64 / 10.0 + 0.013));
        xs.extend([
            0.0,
            -0.0,
            1e-300,
            -1e-300,
            1.0,
            -1.0,
            709.78,
            709.782_712_893_384,
            709.79,
            710.0,
            -708.39,
            -708.4,
            -744.4,
            -745.1,
            -745.133_219_101_941_1,
            -745.2,
            -1000.0,
            1000.0,
        ]);
        let ulps = |a: f64, b: f64| (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs();
        for &x in &xs {
            let (ours, libm) = (exp_with(Isa::Baseline, x), x.exp());
            if libm == 0.0 || libm.is_infinite() {
                // at the very edge the two may round to the neighbouring value
                assert!(
                    ours == libm || ulps(ours, libm) <= 1,
                    "exp({x}) = {ours}, libm {libm}"
                );
            } else {
                assert!(ulps(ours, libm) <= 1, "exp({x}) = {ours:e}, libm {libm:e}");
            }
        }
        assert!(exp_with(Isa::Baseline, f64::NAN).is_nan());
        assert_eq!(exp_with(Isa::Baseline, f64::INFINITY), f64::INFINITY);
        assert_eq!(exp_with(Isa::Baseline, f64::NEG_INFINITY), 0.0);
        let ys: Vec<f64> = xs
            .iter()
            .map(|x| if x.to_bits() % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let zs: Vec<f64> = xs.iter().map(|x| -x).collect();
        for isa in ALL.into_iter().filter(|i| i.available()) {
            let mut out = vec![0.0; zs.len()];
            logistic_coefs_with(isa, &zs, &ys, -0.37, &mut out);
            for (k, &x) in xs.iter().enumerate() {
                assert_eq!(
                    exp_with(isa, x).to_bits(),
                    exp_with(Isa::Baseline, x).to_bits()
                );
                let one = logistic_coef_with(Isa::Baseline, zs[k], ys[k], -0.37);
                assert_eq!(out[k].to_bits(), one.to_bits(), "{} at {x}", isa.name());
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
