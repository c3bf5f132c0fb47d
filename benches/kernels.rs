//! The SIMD kernels against their scalar twins (issue 7): dot and axpy at lengths 256, 1024
//! and 4096 on every instruction set this machine has. Throughput is reported in elements
//! per second (2 flops per element: one fused multiply-add).
//!
//! Run: `cargo bench --bench kernels`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stabcert::sgd::kernels::{Isa, axpy_scalar, axpy_with, dot_scalar, dot_with};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    for n in [256usize, 1024, 4096] {
        let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
        let y: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
        let mut g = c.benchmark_group(format!("dot/{n}"));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function("scalar twin", |b| {
            b.iter(|| dot_scalar(black_box(&x), black_box(&y)))
        });
        for isa in [Isa::Avx2Fma, Isa::Avx512]
            .into_iter()
            .filter(|i| i.available())
        {
            g.bench_function(isa.name(), |b| {
                b.iter(|| dot_with(isa, black_box(&x), black_box(&y)))
            });
        }
        g.finish();
        let mut g = c.benchmark_group(format!("axpy/{n}"));
        g.throughput(Throughput::Elements(n as u64));
        let mut z = y.clone();
        g.bench_function("scalar twin", |b| {
            b.iter(|| axpy_scalar(black_box(1e-9), black_box(&x), &mut z))
        });
        for isa in [Isa::Avx2Fma, Isa::Avx512]
            .into_iter()
            .filter(|i| i.available())
        {
            g.bench_function(isa.name(), |b| {
                b.iter(|| axpy_with(isa, black_box(1e-9), black_box(&x), &mut z))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
