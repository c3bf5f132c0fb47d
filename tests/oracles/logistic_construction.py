"""Brute-force oracle for a construction given by an irrational loss (tests/loss_construction.rs).

The logistic loss f(w; x, y) = ln(1 + exp(-y w x)) in one weight, with
S = {(1, 1), (1/2, 1), (-1, 1)} and S' = {(1, -1), (1/2, 1), (-1, 1)} (the label of the
first example flipped), constant step 1/2, first step 1, start 0; draws with replacement,
and by reshuffling. Every index sequence is enumerated and each quantity is computed from
its definition with mpmath at 80 significant digits (no interning, no merging, no counting),
independently of stabcert's interval propagation. The derivative is
f'(w; x, y) = -y x / (1 + exp(y w x)). w_t = w'_t is decided numerically (|w_t - w'_t| below
1e-60: the runs coincide exactly while the flipped example has not been drawn, and differ by
at least 1e-3 once it has, for these data).

Run: python3 tests/oracles/logistic_construction.py
"""
from itertools import product, permutations
from mpmath import mp, mpf, exp, log, nstr

mp.dps = 80

S = [(mpf(1), mpf(1)), (mpf(1) / 2, mpf(1)), (mpf(-1), mpf(1))]
S2 = [(mpf(1), mpf(-1)), (mpf(1) / 2, mpf(1)), (mpf(-1), mpf(1))]
n = 3
FIRST = 1
ALPHA = mpf(1) / 2
EQUAL = mpf(10) ** -60


def grad(w, z):
    x, y = z
    return -y * x / (1 + exp(y * w * x))


def loss(w, z):
    x, y = z
    return log(1 + exp(-y * w * x))


def sequences(T, reshuffle):
    steps = T - FIRST
    if not reshuffle:
        yield from product(range(n), repeat=steps)
        return
    epochs = (steps + n - 1) // n
    perms = list(permutations(range(n)))
    for choice in product(perms, repeat=epochs):
        yield tuple([i for p in choice for i in p][:steps])


def runs(seq):
    w, w2 = mpf(0), mpf(0)
    ws = [(w, w2)]
    for i in seq:
        w, w2 = w - ALPHA * grad(w, S[i]), w2 - ALPHA * grad(w2, S2[i])
        ws.append((w, w2))
    return ws


def quantities(T, t0, s, reshuffle):
    seqs = [runs(q) + [q] for q in sequences(T, reshuffle)]
    m = len(seqs)
    d = lambda r, k: abs(r[k][0] - r[k][1])
    last, k0 = T - FIRST, t0 - FIRST
    out = {}
    out["div_T"] = sum(d(r, last) for r in seqs) / m
    out["sqdiv_T"] = sum(d(r, last) ** 2 for r in seqs) / m
    zero = [r for r in seqs if d(r, k0) < EQUAL]
    nonzero = [r for r in seqs if d(r, k0) >= EQUAL]
    assert all(d(r, k0) > mpf(10) ** -3 for r in nonzero)
    out["p_zero_t0"] = mpf(len(zero)) / m
    out["div_T_given_zero_t0"] = sum(d(r, last) for r in zero) / len(zero)
    out["div_T_given_nonzero_t0"] = sum(d(r, last) for r in nonzero) / len(nonzero)
    out["div_t0"] = sum(d(r, k0) for r in seqs) / m
    ks = s - FIRST
    first = [r for r in seqs if 0 in r[-1] and r[-1].index(0) == ks]
    out["p_first_s"] = mpf(len(first)) / m
    out["div_T_given_first_s"] = sum(d(r, last) for r in first) / len(first)
    pts = set()
    for r in seqs:
        for (w, w2) in r[:last]:
            pts.add(w)
            pts.add(w2)
    zs = S + S2
    out["grad_max_T"] = max(abs(grad(w, z)) for w in pts for z in zs)
    out["loss_min_T"] = min(loss(w, z) for w in pts for z in zs)
    out["loss_max_T"] = max(loss(w, z) for w in pts for z in zs)
    return out


if __name__ == "__main__":
    for reshuffle in (False, True):
        q = quantities(7, 3, 2, reshuffle)
        print("reshuffle" if reshuffle else "with replacement", "T = 7, t0 = 3, s = 2")
        for k, v in q.items():
            print(f'    ("{k}", "{nstr(v, 50, strip_zeros=False)}"),')
