#!/usr/bin/env python3
"""Independent oracle (Python fractions, no stabcert code) for the figures the tests pin
about proofs/paper/lemma6.toml and the benchmark recurrence.

Run: python3 tests/oracles/lemma6.py
"""
from fractions import Fraction as F


def lemma6_ineq():
    fails = [0, 0]
    pts = 0
    for n in range(1, 201):
        for r in range(1, n + 1):
            pts += 1
            mid = (1 - F(1, n)) ** r
            fails[0] += not (F(n - r, n) <= mid)
            fails[1] += not (mid <= F(n, n + r))
    print("lemma6.ineq points", pts, "failures step1, step2:", fails)


def lemma6_chains():
    c = 4
    first = {}
    counts = {}
    pts = 0
    for n in range(2, 101):
        for t in range(1, 101):
            pts += 1
            tk = c * t
            q = 1 - F(1, n)
            i = [q**t * (1 - q ** (tk - t)) / (1 - q**tk), q**t, F(n, n + t)]
            ii = [(1 - q**t) / (1 - q**tk),
                  (1 - F(n, n + t)) / (1 - F(n - tk, n)),
                  F(t, tk) * (1 + F(tk, n)),
                  F(1, c) * (1 + F(tk, n))]
            rels = {
                "lemma6.i": (i[0], i[2], "<="),
                "lemma6.i.step1": (i[0], i[1], "<="),
                "lemma6.i.step2": (i[1], i[2], "<="),
                "lemma6.ii": (ii[0], ii[3], "<="),
                "lemma6.ii.step1": (ii[0], ii[1], "<="),
                "lemma6.ii.step2": (ii[1], ii[2], "<="),
                "lemma6.ii.step3": (ii[2], ii[3], "="),
            }
            for k, (a, b, r) in rels.items():
                ok = a <= b if r == "<=" else a == b
                if not ok:
                    counts[k] = counts.get(k, 0) + 1
                    first.setdefault(k, (n, t, a, b))
    print("lemma6 grid points", pts)
    for k in sorted(first):
        print(k, "failures", counts[k], "first", first[k])


def bench_rec(T, a=F(1, 100), n=10):
    x = F(0)
    for t in range(1, T):
        x = (1 + a / (F(99, 100) * t)) * x + F(1, t * n)
    return x


if __name__ == "__main__":
    lemma6_ineq()
    lemma6_chains()
    print("rec T=10:", bench_rec(10))
    print("rec T=50:", bench_rec(50))
