"""Brute-force oracle for constructions given by their loss (tests/loss_construction.rs).

Enumerates every index sequence of the two coupled runs with exact fractions and
computes the quantities by their definitions, independently of stabcert's propagation
(no interning, no merging, no counting): the construction is the absolute loss
f(w; x, y) = |w x - y| with S = {(1, 1), (1, 0), (1, 0)} and S' = {(-1, 1), (1, 0), (1, 0)},
step alpha_t = 1/(t + 1), first step 1, start 0, draws with replacement; and the same
with reshuffling. The subgradient convention is abs'(0) = 0.

Run: python3 tests/oracles/loss_construction.py
"""
from fractions import Fraction as F
from itertools import product, permutations

S = [(F(1), F(1)), (F(1), F(0)), (F(1), F(0))]
S2 = [(F(-1), F(1)), (F(1), F(0)), (F(1), F(0))]
n = 3
FIRST = 1


def step(t):
    return F(1, t + 1)


def sign(u):
    return (u > 0) - (u < 0)


def grad(w, z):
    x, y = z
    return sign(w * x - y) * x


def loss(w, z):
    x, y = z
    return abs(w * x - y)


def sequences(T, reshuffle):
    steps = T - FIRST
    if not reshuffle:
        yield from product(range(n), repeat=steps)
        return
    # epochs of n steps, each a permutation; a prefix of the last one
    epochs = (steps + n - 1) // n
    perms = list(permutations(range(n)))
    for choice in product(perms, repeat=epochs):
        seq = [i for p in choice for i in p][:steps]
        yield tuple(seq)


def runs(seq):
    """w_t and w'_t for t = FIRST .. FIRST + len(seq)."""
    w, w2 = F(0), F(0)
    ws = [(w, w2)]
    for k, i in enumerate(seq):
        a = step(FIRST + k)
        w, w2 = w - a * grad(w, S[i]), w2 - a * grad(w2, S2[i])
        ws.append((w, w2))
    return ws


def quantities(T, t0, s, reshuffle):
    # with reshuffling, prefixes of permutations repeat: weight each distinct prefix by
    # how many full sequences extend it (all equally likely), i.e. plain average over
    # the enumerated full-epoch choices
    seqs = list(sequences(T, reshuffle))
    m = len(seqs)
    out = {}
    out["div_T"] = sum(abs(runs(q)[-1][0] - runs(q)[-1][1]) for q in seqs) / m
    out["sqdiv_T"] = sum((runs(q)[-1][0] - runs(q)[-1][1]) ** 2 for q in seqs) / m
    k0 = t0 - FIRST
    zero = [q for q in seqs if runs(q)[k0][0] == runs(q)[k0][1]]
    nonzero = [q for q in seqs if runs(q)[k0][0] != runs(q)[k0][1]]
    out["p_zero_t0"] = F(len(zero), m)
    out["div_T_given_zero_t0"] = sum(abs(runs(q)[-1][0] - runs(q)[-1][1]) for q in zero) / len(zero)
    out["div_T_given_nonzero_t0"] = sum(abs(runs(q)[-1][0] - runs(q)[-1][1]) for q in nonzero) / len(nonzero)
    out["div_t0"] = sum(abs(runs(q)[k0][0] - runs(q)[k0][1]) for q in seqs) / m
    # H: the first step drawing the differing example (index 0)
    ks = s - FIRST
    first = [q for q in seqs if 0 in q and q.index(0) == ks]
    out["p_first_s"] = F(len(first), m)
    out["div_T_given_first_s"] = sum(abs(runs(q)[-1][0] - runs(q)[-1][1]) for q in first) / len(first)
    # the iterates at steps FIRST .. T-1 of either run, every example of S and S'
    pts = set()
    for q in seqs:
        for (w, w2) in runs(q)[:-1]:
            pts.add(w)
            pts.add(w2)
    zs = S + S2
    out["grad_max_T"] = max(abs(grad(w, z)) for w in pts for z in zs)
    out["loss_min_T"] = min(loss(w, z) for w in pts for z in zs)
    out["loss_max_T"] = max(loss(w, z) for w in pts for z in zs)
    srt = sorted(pts)
    slope = F(0)
    for z in zs:
        for a, b in zip(srt, srt[1:]):
            slope = max(slope, abs(grad(b, z) - grad(a, z)) / (b - a))
    out["slope_max_T"] = slope
    return out


if __name__ == "__main__":
    for reshuffle in (False, True):
        q = quantities(7, 3, 2, reshuffle)
        print("reshuffle" if reshuffle else "with replacement", "T = 7, t0 = 3, s = 2")
        for k, v in q.items():
            print(f"  {k} = {v}")
    # tests/data/loss_construction_coq.toml: the best K in div_T <= K over T <= 6 (with
    # replacement) and the slopes of f' between reached iterates at T = 3 and 4
    def div(T):
        seqs = list(sequences(T, False))
        return sum(abs(runs(q)[-1][0] - runs(q)[-1][1]) for q in seqs) / len(seqs)
    best = max((div(T), T) for T in range(1, 7))
    print("best K over T <= 6:", best[0], "at T =", best[1])
    for T in (3, 4):
        print(f"slope_max_T at T = {T}:", quantities(T, 2, 1, False)["slope_max_T"])
