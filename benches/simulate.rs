//! Twin SGD on logistic regression, like for like: d = 64, n = 2000, 10^4 replicas x 10^3
//! steps, constant step 0.5, with replacement, zero initialisation (and d = 256 for the
//! arithmetic rate).
//!
//! 1. Criterion times `Sim::monte_carlo` on 1 and on 2 threads, with the twin run computed
//!    in full (`full_twin = true`, the work every batched Python version does) and with the
//!    shared prefix (the default: the twin is computed from the first draw of the differing
//!    example).
//! 2. The harness then measures this machine's f64 FMA peak per core, writes the dataset
//!    to a CSV, and runs `benches/python_twin_logistic.py` on it — NumPy, JAX (jit,
//!    float64; compile time apart), PyTorch eager and `torch.compile` — each on one thread,
//!    where they import (`STABCERT_BENCH_PYTHON`, else `target/bench-venv/bin/python`, else
//!    `python3`); beside them one timed stabcert run per configuration. It prints seconds,
//!    replica-steps per second per core, GFLOP/s (4d flops per run and step: the dot
//!    product and the update) and the fraction of the peak, and every implementation's
//!    E||w_T - w'_T|| with its standard error (same data, independent random streams: they
//!    must agree within a few standard errors).
//!
//! Run: `cargo bench --bench simulate` (a Python with NumPy, JAX and PyTorch for the
//! anchors: `python3 -m venv target/bench-venv && target/bench-venv/bin/pip install numpy
//! "jax[cpu]" torch`; missing ones are skipped).

use criterion::{Criterion, criterion_group, criterion_main};
use stabcert::sgd::config;
use std::process::Command;
use std::time::Instant;

const R: u64 = 10_000;
const T: usize = 1_000;

fn config(d: usize, full: bool) -> config::Config {
    let text = format!(
        "seed = 1\nreplicas = {R}\nsteps = {T}\ncheckpoints = [{T}]\nfull_twin = {full}\n[data]\nsource = \"synthetic\"\nn = 2000\nd = {d}\nseed = 7\n[model]\nloss = \"logistic\"\n[twin]\nindex = 0\n[sgd]\nstep = \"0.5\"\n"
    );
    config::parse("bench.toml", &text, None).expect("valid")
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("twin_logistic_d64_n2000");
    g.sample_size(10);
    for full in [true, false] {
        let cfg = config(64, full);
        for threads in [1, 2] {
            let p = pool(threads);
            let name = format!(
                "10^4 x 10^3, {threads} thread{}, {}",
                if threads == 1 { "" } else { "s" },
                if full {
                    "twin in full"
                } else {
                    "shared prefix"
                }
            );
            g.bench_function(name, |b| {
                b.iter(|| p.install(|| cfg.sim.monte_carlo(R, 1, &|| {})))
            });
        }
    }
    g.finish();
    compare();
}

/// This core's f64 FMA rate (GFLOP/s): independent fused multiply-adds in 512-bit and
/// 256-bit registers, the best of both.
fn fma_peak() -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        const N: usize = 20_000_000;
        #[target_feature(enable = "avx512f")]
        unsafe fn run512() -> f64 {
            let a = _mm512_set1_pd(0.999_999_9);
            let b = _mm512_set1_pd(1e-9);
            let mut acc = [_mm512_set1_pd(1.0); 16];
            for _ in 0..N / 16 {
                for r in acc.iter_mut() {
                    *r = _mm512_fmadd_pd(*r, a, b);
                }
            }
            let mut s = 0.0;
            for r in acc {
                s += _mm512_reduce_add_pd(r);
            }
            s
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn run256() -> f64 {
            let a = _mm256_set1_pd(0.999_999_9);
            let b = _mm256_set1_pd(1e-9);
            let mut acc = [_mm256_set1_pd(1.0); 16];
            for _ in 0..N / 16 {
                for r in acc.iter_mut() {
                    *r = _mm256_fmadd_pd(*r, a, b);
                }
            }
            let mut buf = [0.0; 4];
            let mut s = 0.0;
            for r in acc {
                // SAFETY: buf holds four f64
                unsafe { _mm256_storeu_pd(buf.as_mut_ptr(), r) };
                s += buf.iter().sum::<f64>();
            }
            s
        }
        let mut best: f64 = 0.0;
        for _ in 0..3 {
            if is_x86_feature_detected!("avx512f") {
                let t = Instant::now();
                // SAFETY: the feature was detected
                std::hint::black_box(unsafe { run512() });
                best = best.max((N * 16) as f64 / t.elapsed().as_secs_f64() / 1e9);
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                let t = Instant::now();
                // SAFETY: the features were detected
                std::hint::black_box(unsafe { run256() });
                best = best.max((N * 8) as f64 / t.elapsed().as_secs_f64() / 1e9);
            }
        }
        best
    }
    #[cfg(not(target_arch = "x86_64"))]
    0.0
}

fn python() -> Option<String> {
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-venv/bin/python");
    let candidates = [
        std::env::var("STABCERT_BENCH_PYTHON").unwrap_or_default(),
        venv.to_string(),
        "python3".to_string(),
    ];
    candidates.into_iter().filter(|p| !p.is_empty()).find(|p| {
        Command::new(p)
            .args(["-c", "import numpy"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Seconds of the best of three runs, and the last run's estimate.
fn timed(cfg: &config::Config, threads: usize) -> (f64, f64, f64) {
    let p = pool(threads);
    let mut best = f64::INFINITY;
    let mut est = (0.0, 0.0);
    for _ in 0..3 {
        let t = Instant::now();
        let s = p.install(|| cfg.sim.monte_carlo(R, 1, &|| {}));
        best = best.min(t.elapsed().as_secs_f64());
        let st = s.checkpoints[0].dist.expect("finite");
        est = (st.mean, st.se);
    }
    (best, est.0, est.1)
}

fn compare() {
    let peak = fma_peak();
    println!("f64 FMA peak of one core: {peak:.1} GFLOP/s");
    // `full`: the run does the whole work (both runs of every replica, every step); the
    // shared-prefix runs do less, so they get no rate
    let line = |name: &str, secs: f64, cores: f64, d: usize, est: (f64, f64), full: bool| {
        // both runs of every replica step: a dot product and an update, 4d flops
        let run_steps = (R as f64) * (T as f64) * 2.0;
        let per_core = run_steps / secs / cores;
        let gflops = per_core * 4.0 * d as f64 / 1e9;
        let rates = if full {
            format!(
                "{:>7.1} M run-steps/s/core  {gflops:>5.1} GFLOP/s/core  {:>5.1}% of peak",
                per_core / 1e6,
                100.0 * gflops / peak
            )
        } else {
            format!(
                "{:<61}",
                "  (less work: the twin from its first differing draw)"
            )
        };
        println!(
            "  {name:<52} {secs:>8.3} s  {rates}  E||dw|| {:.5} ± {:.5}",
            est.0, est.1
        );
    };
    for d in [64usize, 256] {
        println!("d = {d}, n = 2000, R = 10^4, T = 10^3:");
        for (full, label) in [(true, "twin in full"), (false, "shared prefix")] {
            let cfg = config(d, full);
            for threads in [1usize, 2] {
                let (s, m, se) = timed(&cfg, threads);
                line(
                    &format!("stabcert, {label}, {threads} thread(s)"),
                    s,
                    threads as f64,
                    d,
                    (m, se),
                    full,
                );
            }
        }
        let Some(py) = python() else {
            eprintln!("no python with NumPy: skipping the anchors");
            continue;
        };
        let cfg = config(d, true);
        let data = &cfg.sim.data;
        let mut csv = String::new();
        for i in 0..data.n() {
            let row: Vec<String> = data.x.row(i).iter().map(|v| format!("{v:e}")).collect();
            csv += &format!("{},{:e}\n", row.join(","), data.y[i]);
        }
        let twin = &cfg.sim.twin;
        let row: Vec<String> = twin.x.iter().map(|v| format!("{v:e}")).collect();
        csv += &format!("{},{:e}\n", row.join(","), twin.y);
        let path = std::env::temp_dir().join(format!("stabcert-bench-logistic-{d}.csv"));
        std::fs::write(&path, csv).expect("write data");
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/python_twin_logistic.py"
        );
        for imp in ["numpy", "jax", "torch", "torch-compile"] {
            let out = Command::new(&py)
                .args([
                    script,
                    imp,
                    path.to_str().expect("utf-8"),
                    &R.to_string(),
                    &T.to_string(),
                    "0.5",
                    "0",
                    "1",
                ])
                .output()
                .expect("python runs");
            let text = String::from_utf8_lossy(&out.stdout);
            let Ok(v) = serde_json::from_str::<serde_json::Value>(text.trim()) else {
                let err = String::from_utf8_lossy(&out.stderr);
                eprintln!(
                    "  {imp}: skipped ({})",
                    err.lines().last().unwrap_or("no output")
                );
                continue;
            };
            let secs = v["seconds"].as_f64().unwrap_or(f64::NAN);
            let name = format!(
                "{} (1 thread, compile {:.2} s apart)",
                v["version"].as_str().unwrap_or(imp),
                v["compile_seconds"].as_f64().unwrap_or(0.0)
            );
            line(
                &name,
                secs,
                1.0,
                d,
                (
                    v["mean"].as_f64().unwrap_or(f64::NAN),
                    v["se"].as_f64().unwrap_or(f64::NAN),
                ),
                true,
            );
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
