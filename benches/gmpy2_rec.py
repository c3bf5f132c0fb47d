#!/usr/bin/env python3
"""The exact engine's anchor (benches/engines_vs.rs): the exact value of
x_T for x_{t+1} = (1 + a/(0.99 t)) x_t + 1/(t n), x_1 = 0 (steps t = 1, ..., T - 1, as
stabcert's `rec(x, t, 1, T, 0, ...)`), a = 1/100, n = 10, by binary
splitting with gmpy2 (GMP integers): step t is the integer affine map
x -> (10 (99 t + 1) x + 99) / (990 t), maps are composed in a balanced tree, and the result
is reduced to lowest terms (as stabcert's value is). Prints one JSON line: the seconds (best
of `repeat`), the bit lengths of the numerator and denominator, and both modulo 2^61 - 1
(to check that the two programs computed the same number).

usage: gmpy2_rec.py T [repeat]
"""
import json
import sys
import time

import gmpy2
from gmpy2 import mpz


def split(lo, hi):
    # the composition of steps lo..hi-1 as (a, b, c): x -> (a x + b) / c
    if hi - lo == 1:
        t = lo
        return mpz(10 * (99 * t + 1)), mpz(99), mpz(990 * t)
    mid = (lo + hi) // 2
    a1, b1, c1 = split(lo, mid)
    a2, b2, c2 = split(mid, hi)
    return a2 * a1, a2 * b1 + b2 * c1, c1 * c2


def main():
    T = int(sys.argv[1])
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    sys.setrecursionlimit(10000)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        _, b, c = split(1, T)
        q = gmpy2.mpq(b, c)  # x_1 = 0: x_T = b / c in lowest terms
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
