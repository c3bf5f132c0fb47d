"""Independent check of the symbolic engine's regime figure (tests/symbolic.rs):
Theorem 4's bound 2 L^2 T^a / n^(1+a) equals Hardt et al.'s Theorem 3.12 bound with
beta = 1, c = a,  (1 + 1/a)/(n - 1) (2 a L^2)^(1/(1+a)) T^(a/(1+a)),  at the T solving
T^(a^2/(1+a)) = (1 + 1/a) (2 a L^2)^(1/(1+a)) n^(1+a) / (2 L^2 (n - 1)); the factor by which
it exceeds the claimed crossover n^((1+a)/a) is F = T / n^((1+a)/a).
Run: python3 tests/oracles/symbolic.py (mpmath, 50 digits)."""
from mpmath import mp, mpf

mp.dps = 50


def F(a, L, n):
    a, L, n = mpf(a), mpf(L), mpf(n)
    rhs = (1 + 1 / a) * (2 * a * L**2) ** (1 / (1 + a)) * n ** (1 + a) / (2 * L**2 * (n - 1))
    T = rhs ** ((1 + a) / a**2)
    # the two bounds agree at T
    thm4 = 2 * L**2 * T**a / n ** (1 + a)
    hardt = (1 + 1 / a) / (n - 1) * (2 * a * L**2) ** (1 / (1 + a)) * T ** (a / (1 + a))
    assert abs(thm4 / hardt - 1) < mpf(10) ** -40
    return T / n ** ((1 + a) / a)


for a, L, n in [(mpf(1) / 10, 1, 100), (mpf(1) / 2, 1, 100), (mpf(1) / 10, 10, 100)]:
    print(f"a = {a}, L = {L}, n = {n}: F = {mp.nstr(F(a, L, n), 8)}")
