//! The foundation's speed target: the exact value of
//! `rec(x, t, 1, T, 0, (1 + a/(0.99*t))*x + 1/(t*n))` at n = 10, a = 1/100, by integer
//! binary splitting (T = 10^4, 10^5, 10^6), against the per-step exact rational loop at
//! T = 10^4 (and 10^5 with `STABCERT_BENCH_NAIVE=1`, which takes about half a minute a run).
//!
//! Run: `cargo bench --bench exact_rec`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rug::Rational;
use stabcert::exact::{self, Budget, Env};
use stabcert::expr::parse_expr;
use std::time::Duration;

fn env(t: u64) -> Env {
    let mut env = Env::new();
    env.push("a", Rational::from((1, 100)));
    env.push("n", Rational::from(10));
    env.push("T", Rational::from(t));
    env
}

fn bench(c: &mut Criterion) {
    let e = parse_expr("rec(x, t, 1, T, 0, (1 + a/(0.99*t))*x + 1/(t*n))").expect("parses");
    let step = parse_expr("(1 + a/(0.99*t))*x + 1/(t*n)").expect("parses");
    let budget = Budget::default();
    let mut g = c.benchmark_group("exact_rec");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for t in [10_000u64, 100_000, 1_000_000] {
        g.bench_with_input(BenchmarkId::new("binary_splitting", t), &t, |b, &t| {
            b.iter(|| exact::eval(&e, &mut env(t), &budget).expect("value"))
        });
    }
    let mut naive_ts = vec![10_000u64];
    if std::env::var_os("STABCERT_BENCH_NAIVE").is_some() {
        naive_ts.push(100_000);
    }
    for t in naive_ts {
        g.bench_with_input(BenchmarkId::new("naive_loop", t), &t, |b, &t| {
            b.iter(|| {
                let mut env = env(t);
                exact::rec_affine_naive(
                    "x",
                    "t",
                    1,
                    t as i64,
                    Rational::new(),
                    &step,
                    &mut env,
                    &budget,
                )
                .expect("value")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
