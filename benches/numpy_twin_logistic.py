#!/usr/bin/env python3
"""Reference implementation for the twin-SGD speed comparison (issue 7): coupled SGD runs on
logistic regression, vectorised across replicas with NumPy (one (R, d) array per run, one
fancy-indexed gather, einsum and fused in-place update per step). It reads the dataset the
Rust benchmark wrote (CSV: n + 1 rows of d features and a +-1 label; the last row is the
replacement of example `index` in S'), runs R replicas x T steps with constant step alpha,
sampling with replacement from zero initialisation, and prints one JSON line: the seconds
of the SGD loop and E||w_T - w'_T|| with its standard error.

usage: numpy_twin_logistic.py DATA.csv R T alpha index seed
"""
import json
import sys
import time

import numpy as np


def main():
    path, R, T, alpha, index, seed = sys.argv[1:7]
    R, T, alpha, index, seed = int(R), int(T), float(alpha), int(index), int(seed)
    data = np.loadtxt(path, delimiter=",")
    X, y = data[:-1, :-1].copy(), data[:-1, -1].copy()
    x_rep, y_rep = data[-1, :-1].copy(), data[-1, -1]
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
    dist = np.sqrt(((W - W2) ** 2).sum(axis=1))
    print(json.dumps({
        "seconds": seconds,
        "mean": float(dist.mean()),
        "se": float(dist.std(ddof=1) / np.sqrt(R)),
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
