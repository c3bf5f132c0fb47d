#!/usr/bin/env python3
"""The exact engine's anchor (benches/engines_vs.rs): the exact value x_T of a recurrence
(steps t = 1, ..., T - 1, as stabcert's `rec(x, t, 1, T, x_1, ...)`) by binary splitting
with gmpy2 (GMP integers): step t is an integer affine map x -> (A x + B) / C written by
hand in lowest terms, maps are composed in a balanced tree, the initial value is applied,
and the result is reduced to lowest terms (as stabcert's value is). Two recurrences:

- `hardt` (default): x_{t+1} = (1 + a/(0.99 t)) x_t + 1/(t n), x_1 = 0, a = 1/100,
  n = 10: x -> (10 (99 t + 1) x + 99) / (990 t);
- `telescoping`: x_{t+1} = (1 - 1/(t+1)^2) x_t + 1/(100 (t^2 + t)), x_1 = 1/3:
  x -> (100 t^2 (t + 2) x + (t + 1)) / (100 t (t + 1)^2).

Prints one JSON line: the seconds (best of `repeat`), the bit lengths of the numerator and
denominator, and both modulo 2^61 - 1 (to check that the two programs computed the same
number).

usage: gmpy2_rec.py T [repeat] [hardt|telescoping]
"""
import json
import sys
import time

import gmpy2
from gmpy2 import mpz


def hardt(t):
    return mpz(10 * (99 * t + 1)), mpz(99), mpz(990 * t)


def telescoping(t):
    return mpz(100 * t * t * (t + 2)), mpz(t + 1), mpz(100 * t * (t + 1) ** 2)


STEPS = {"hardt": (hardt, gmpy2.mpq(0)), "telescoping": (telescoping, gmpy2.mpq(1, 3))}


def split(leaf, lo, hi):
    # the composition of steps lo..hi-1 as (a, b, c): x -> (a x + b) / c
    if hi - lo == 1:
        return leaf(lo)
    mid = (lo + hi) // 2
    a1, b1, c1 = split(leaf, lo, mid)
    a2, b2, c2 = split(leaf, mid, hi)
    return a2 * a1, a2 * b1 + b2 * c1, c1 * c2


def main():
    T = int(sys.argv[1])
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    leaf, x1 = STEPS[sys.argv[3] if len(sys.argv) > 3 else "hardt"]
    sys.setrecursionlimit(10000)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        a, b, c = split(leaf, 1, T)
        if x1 == 0:
            q = gmpy2.mpq(b, c)  # x_T = b / c in lowest terms
        else:
            n, d = x1.numerator, x1.denominator
            q = gmpy2.mpq(a * n + b * d, c * d)
        best = min(best, time.perf_counter() - start)
    m = (1 << 61) - 1
    num, den = q.numerator, q.denominator
    print(json.dumps({
        "seconds": best,
        "num_bits": int(num.bit_length()),
        "den_bits": int(den.bit_length()),
        "num_mod": int(num % m),
        "den_mod": int(den % m),
        "gmpy2": gmpy2.version(),
        "gmp": gmpy2.mp_version(),
    }))


if __name__ == "__main__":
    main()
