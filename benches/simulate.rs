//! Twin SGD on logistic regression (issue 7's speed target): d = 64, n = 2000, 10^4
//! replicas x 10^3 steps, constant step 0.5, with replacement, zero initialisation.
//! Criterion times `Sim::monte_carlo`; then the harness writes the same dataset to a CSV,
//! runs `benches/numpy_twin_logistic.py` (NumPy, vectorised across replicas) on it in the
//! same session, times one Rust run the same way, and prints the ratio and both estimates
//! of E||w_T - w'_T|| (they must agree within their standard errors: same data, different
//! random streams).
//!
//! Run: `cargo bench --bench simulate` (needs a python3 with NumPy for the comparison:
//! `apt-get install python3-numpy`).

use criterion::{Criterion, criterion_group, criterion_main};
use stabcert::sgd::config;
use std::process::Command;
use std::time::Instant;

const R: u64 = 10_000;
const T: usize = 1_000;

fn config() -> config::Config {
    let text = format!(
        "seed = 1\nreplicas = {R}\nsteps = {T}\ncheckpoints = [{T}]\n[data]\nsource = \"synthetic\"\nn = 2000\nd = 64\nseed = 7\n[model]\nloss = \"logistic\"\n[twin]\nindex = 0\n[sgd]\nstep = \"0.5\"\n"
    );
    config::parse("bench.toml", &text, None).expect("valid")
}

fn python_with_numpy() -> Option<String> {
    ["python3", "/usr/bin/python3", "python"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .args(["-c", "import numpy"])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(str::to_string)
}

fn bench(c: &mut Criterion) {
    let cfg = config();
    let mut g = c.benchmark_group("twin_logistic_d64_n2000");
    g.sample_size(10);
    g.bench_function("10^4 replicas x 10^3 steps", |b| {
        b.iter(|| cfg.sim.monte_carlo(R, 1, &|| {}))
    });
    g.finish();

    let Some(py) = python_with_numpy() else {
        eprintln!("no python3 with NumPy: skipping the comparison (apt-get install python3-numpy)");
        return;
    };
    let data = &cfg.sim.data;
    let mut csv = String::new();
    for i in 0..data.n() {
        let row: Vec<String> = data.x.row(i).iter().map(|v| format!("{v:e}")).collect();
        csv += &format!("{},{:e}\n", row.join(","), data.y[i]);
    }
    let twin = &cfg.sim.twin;
    let row: Vec<String> = twin.x.iter().map(|v| format!("{v:e}")).collect();
    csv += &format!("{},{:e}\n", row.join(","), twin.y);
    let path = std::env::temp_dir().join("stabcert-bench-logistic.csv");
    std::fs::write(&path, csv).expect("write data");

    let start = Instant::now();
    let s = cfg.sim.monte_carlo(R, 1, &|| {});
    let rust = start.elapsed().as_secs_f64();
    let st = s.checkpoints[0].dist.expect("finite");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/numpy_twin_logistic.py"
    );
    let out = Command::new(&py)
        .args([
            script,
            path.to_str().expect("utf-8"),
            &R.to_string(),
            &T.to_string(),
            "0.5",
            "0",
            "1",
        ])
        .output()
        .expect("python runs");
    let line = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = match serde_json::from_str(line.trim()) {
        Ok(v) => v,
        Err(_) => {
            eprintln!(
                "numpy script failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return;
        }
    };
    let numpy = v["seconds"].as_f64().expect("seconds");
    println!(
        "twin logistic d=64 n=2000 R=1e4 T=1e3: stabcert {rust:.3} s ({} threads, {} from length {}, AVX2 below), NumPy {} {numpy:.3} s: ratio {:.1}x",
        rayon::current_num_threads(),
        stabcert::sgd::kernels::isa().name(),
        stabcert::sgd::kernels::AVX512_FROM,
        v["numpy"].as_str().unwrap_or("?"),
        numpy / rust
    );
    println!(
        "E||w_T - w'_T||: stabcert {:.5} ± {:.5}, NumPy {:.5} ± {:.5}",
        st.mean,
        st.se,
        v["mean"].as_f64().unwrap_or(f64::NAN),
        v["se"].as_f64().unwrap_or(f64::NAN)
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
