#!/usr/bin/env python3
"""The anchors of the twin-SGD speed comparison (benches/simulate.rs): coupled SGD runs on
logistic regression written the way a practitioner would batch them across replicas, in
NumPy, JAX (jit, float64) and PyTorch (eager, and torch.compile), each on one thread.

Both runs of every replica are computed from the first step (the twin in full), as
`stabcert simulate` does with `full_twin = true`. The script reads the dataset the Rust
benchmark wrote (CSV: n + 1 rows of d features and a +-1 label; the last row replaces
example `index` in S'), runs R replicas x T steps with constant step alpha, sampling with
replacement from zero initialisation, and prints one JSON line: the seconds of the SGD loop
(compile time apart), E||w_T - w'_T|| with its standard error, and the library's version.

usage: python_twin_logistic.py IMPL DATA.csv R T alpha index seed
       IMPL: numpy | jax | torch | torch-compile
"""
import json
import os
import sys
import time

# one thread everywhere, set before the libraries load
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = "1"
os.environ["XLA_FLAGS"] = (
    "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import numpy as np  # noqa: E402


def load(path):
    data = np.loadtxt(path, delimiter=",")
    return data[:-1, :-1].copy(), data[:-1, -1].copy(), data[-1, :-1].copy(), data[-1, -1]


def summary(w, w2):
    dist = np.sqrt(((w - w2) ** 2).sum(axis=1))
    return float(dist.mean()), float(dist.std(ddof=1) / np.sqrt(len(dist)))


def run_numpy(X, y, x_rep, y_rep, R, T, alpha, index, seed):
    n, d = X.shape
    rng = np.random.default_rng(seed)
    W = np.zeros((R, d))
    W2 = np.zeros((R, d))
    start = time.perf_counter()
    for _ in range(T):
        idx = rng.integers(0, n, R)
        Xi = X[idx]
        yi = y[idx]
        z = np.einsum("rd,rd->r", W, Xi)
        c = (-alpha) * (-yi / (1.0 + np.exp(yi * z)))
        W += c[:, None] * Xi
        hit = idx == index
        if hit.any():
            Xi[hit] = x_rep
            yi[hit] = y_rep
        z2 = np.einsum("rd,rd->r", W2, Xi)
        c2 = (-alpha) * (-yi / (1.0 + np.exp(yi * z2)))
        W2 += c2[:, None] * Xi
    seconds = time.perf_counter() - start
    return seconds, 0.0, summary(W, W2), "numpy " + np.__version__


def run_jax(X, y, x_rep, y_rep, R, T, alpha, index, seed):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    n, d = X.shape
    Xj, yj = jnp.asarray(X), jnp.asarray(y)
    X2 = Xj.at[index].set(jnp.asarray(x_rep))
    y2 = yj.at[index].set(y_rep)
    block = 250  # replicas per jitted call (the batch JAX keeps in cache)

    @jax.jit
    def block_run(key):
        def step(carry, k):
            W, W2 = carry
            idx = jax.random.randint(jax.random.fold_in(key, k), (block,), 0, n)
            Xi, yi = Xj[idx], yj[idx]
            c = -alpha * (-yi / (1.0 + jnp.exp(yi * jnp.einsum("rd,rd->r", W, Xi))))
            W = W + c[:, None] * Xi
            Xi2, yi2 = X2[idx], y2[idx]
            c2 = -alpha * (-yi2 / (1.0 + jnp.exp(yi2 * jnp.einsum("rd,rd->r", W2, Xi2))))
            W2 = W2 + c2[:, None] * Xi2
            return (W, W2), None

        z = jnp.zeros((block, d))
        (W, W2), _ = jax.lax.scan(step, (z, z), jnp.arange(T))
        return W, W2

    base = jax.random.PRNGKey(seed)
    t0 = time.perf_counter()
    jax.block_until_ready(block_run.lower(base).compile())
    compile_s = time.perf_counter() - t0
    outs = []
    start = time.perf_counter()
    for b in range(R // block):
        outs.append(block_run(jax.random.fold_in(base, b)))
    jax.block_until_ready(outs)
    seconds = time.perf_counter() - start
    W = np.concatenate([np.asarray(o[0]) for o in outs])
    W2 = np.concatenate([np.asarray(o[1]) for o in outs])
    return seconds, compile_s, summary(W, W2), "jax " + jax.__version__


def run_torch(X, y, x_rep, y_rep, R, T, alpha, index, seed, compiled):
    import torch

    torch.set_num_threads(1)
    n, d = X.shape
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y)
    X2 = Xt.clone()
    X2[index] = torch.from_numpy(x_rep)
    y2 = yt.clone()
    y2[index] = y_rep
    W = torch.zeros((R, d), dtype=torch.float64)
    W2 = torch.zeros((R, d), dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    idx = torch.empty(R, dtype=torch.int64)

    def step(W, W2, idx):
        # no allocation beyond the gathers: in-place updates of W and W2
        Xi, yi = Xt[idx], yt[idx]
        c = (-alpha) * (-yi / (1.0 + torch.exp(yi * (W * Xi).sum(dim=1))))
        W.add_(c[:, None] * Xi)
        Xi2, yi2 = X2[idx], y2[idx]
        c2 = (-alpha) * (-yi2 / (1.0 + torch.exp(yi2 * (W2 * Xi2).sum(dim=1))))
        W2.add_(c2[:, None] * Xi2)

    compile_s = 0.0
    fn = step
    if compiled:
        fn = torch.compile(step)
        t0 = time.perf_counter()
        Wc, W2c = W.clone(), W2.clone()
        torch.randint(0, n, (R,), generator=gen, out=idx)
        fn(Wc, W2c, idx)
        compile_s = time.perf_counter() - t0
        gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    with torch.no_grad():
        for _ in range(T):
            torch.randint(0, n, (R,), generator=gen, out=idx)
            fn(W, W2, idx)
    seconds = time.perf_counter() - start
    return seconds, compile_s, summary(W.numpy(), W2.numpy()), "torch " + torch.__version__


def main():
    impl, path, R, T, alpha, index, seed = sys.argv[1:8]
    R, T, alpha, index, seed = int(R), int(T), float(alpha), int(index), int(seed)
    X, y, x_rep, y_rep = load(path)
    if impl == "numpy":
        r = run_numpy(X, y, x_rep, y_rep, R, T, alpha, index, seed)
    elif impl == "jax":
        r = run_jax(X, y, x_rep, y_rep, R, T, alpha, index, seed)
    elif impl in ("torch", "torch-compile"):
        r = run_torch(X, y, x_rep, y_rep, R, T, alpha, index, seed, impl == "torch-compile")
    else:
        sys.exit(f"unknown implementation {impl}")
    seconds, compile_s, (mean, se), version = r
    print(json.dumps({"impl": impl, "seconds": seconds, "compile_seconds": compile_s,
                      "mean": mean, "se": se, "version": version}))


if __name__ == "__main__":
    main()
