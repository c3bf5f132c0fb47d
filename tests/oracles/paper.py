#!/usr/bin/env python3
"""Independent oracle (Python fractions + mpmath, no stabcert code) for the figures
tests/paper.rs pins about the paper's catalogue (proofs/paper).

Run: python3 tests/oracles/paper.py
"""
from fractions import Fraction as F
import mpmath as mp

mp.mp.dps = 50


def div_construction(n, T, lam, step, g, first=1):
    """E||Delta_T|| for theta_{t+1} = (1 - alpha_t lam) theta_t + alpha_t g I_t, P[I_t]=1/n,
    iterated directly from the update (no closed form)."""
    x = F(0)
    for t in range(first, T):
        a = step(t)
        x = (1 - a * lam) * x + a * g / n
    return x


# Lemma 3's inequality e^a <= 1 + a/0.99: the largest a where it holds
a_star = mp.findroot(lambda a: mp.e**a - 1 - a / mp.mpf("0.99"), 0.02)
print("lemma3.ineq.step1 threshold a* =", mp.nstr(a_star, 15))

# Theorem 1 main text: at n = 2, T = 1, alpha = 1/100: E = 0 < L/(3n) * alpha = 1/200
print("thm1 at n=2,T=1: E =", div_construction(2, 1, 0, lambda t: F(1, 100), 1), " rhs =", F(3, 6) * F(1, 100))

# Theorem 1 best K: min over T >= 2 of (T-1)/(3T) = 1/6
print("thm1.best K =", min(F(T - 1, 3 * T) for T in range(2, 81)))

# Theorem 4 proof, step 2 at n = 13, T = 14, a = 1/10, L = 1
a = mp.mpf(1) / 10
n, T = 13, 14
lhs = 2 * T**a / n**2 * (n ** (1 - a) - 1) / (1 - a)
rhs = 2 * T**a / n ** (1 + a)
print("thm4.appendix.step2 at n=13,T=14,a=1/10:", mp.nstr(lhs, 12), ">", mp.nstr(rhs, 12), lhs > rhs)
# and it holds at n = 12 (the counterexample is the smallest n)
n, T = 12, 13
print("  at n=12,T=13:", (2 * T**a / n**2 * (n ** (1 - a) - 1) / (1 - a)) <= 2 * T**a / n ** (1 + a))

# Theorem 6 at gamma=1/10, u=1/10, v=1/1000, L=1, one step: r_1 = alpha^2 + 6 alpha sigma
gamma, u, v = F(1, 10), F(1, 10), F(1, 1000)
sigma = 12 / gamma * (1 + u)
alpha = v * sigma**2 / (2 * gamma)
print("thm6 r_1 =", alpha**2 + 6 * alpha * sigma, " sigma^2 =", sigma**2)

# Theorem 3 best K at a = 1/10: min over n in 2..10, T in n+1..60 of E / (T^a / n^(1+a))
a = F(1, 10)
best = None
for n in range(2, 11):
    for T in range(n + 1, 61):
        E = div_construction(n, T, -a / F(99, 100), lambda t: F(1, t), 1)
        k = mp.mpf(E.numerator) / E.denominator / (mp.mpf(T) ** mp.mpf(0.1) / mp.mpf(n) ** mp.mpf(1.1))
        if best is None or k < best[0]:
            best = (k, n, T)
print("thm3.best K =", mp.nstr(best[0], 12), "at n, T =", best[1:])

# Hardt 3.12 vs Theorem 4: crossover in m (T = m n^((1+a)/a)) at n = 100, a = 1/10
n, a = 100, mp.mpf(1) / 10
def ratio(m):
    T = m * mp.mpf(n) ** ((1 + a) / a)
    ours = 2 * T**a / mp.mpf(n) ** (1 + a)
    hardt = (1 + 1 / a) / (n - 1) * (2 * a) ** (1 / (a + 1)) * T ** (a / (a + 1))
    return ours / hardt
m_star = mp.findroot(lambda lm: ratio(mp.e**lm) - 1, 27)
print("crossover m* =", mp.nstr(mp.e**m_star, 12))

# Lemma 1, printed proof chain at n=2, alpha=1/10, lambda=1/2, theta=1/4, u=2 (first vs last link)
n, al, lam, th, u = 2, F(1, 10), F(1, 2), F(1, 4), 2
first = (1 - F(1, n)) * abs(1 - lam) * th * u + F(1, n) * abs((1 - lam) * th + al) * u
last = (1 - al * lam) * th * u + al / n * u
print("lemma1 (printed chain) at n=2,..:", first, "vs", last)

# Lemma 2 as stated at n=2, T=2, c=1/10, lambda=-1: E = (2/n) c = 1/10, rhs = (2/n) * 1 (empty product)
print("lemma2 at n=2,T=2: E =", div_construction(2, 2, -1, lambda t: F(1, 10) / t, 2), " rhs =", F(2, 2))

# Theorem 5, chain step 3 at n=2, t0=2, T=3, a=1/10 (alpha = 1, lambda = -a/0.99, g = 1):
# E[theta_T 1{H < 2}] = P[draw at step 1] * E[theta_3 | H = 1] = (1/n) * (m * 1 + 1/n)
a = F(1, 10)
m = 1 + a / F(99, 100)
lhs = F(1, 2) * (m + F(1, 2))
rhs = mp.mpf(1) / 2 * (mp.mpf(2) / 2 * mp.e ** (mp.mpf(0.1) * 3 / 2))
print("thm5.step3 at n=2,t0=2,T=3:", mp.nstr(mp.mpf(lhs.numerator) / lhs.denominator, 10), "vs", mp.nstr(rhs, 10))

# Table 1 convex lower: best K = min over T >= 2 of ((T-1)/n alpha)/(alpha T/n) = 1/2
print("table1.convex.lower K =", min(F(T - 1, T) for T in range(2, 81)))

# Table 1 non-convex lower: best K = max of E n^(1+a)/T^a at a = 1/10, n <= 10, n < T <= 60
best = None
for n in range(2, 11):
    for T in range(n + 1, 61):
        E = div_construction(n, T, -F(1, 10) / F(99, 100), lambda t: F(1, t), 1)
        k = mp.mpf(E.numerator) / E.denominator * mp.mpf(n) ** mp.mpf(1.1) / mp.mpf(T) ** mp.mpf(0.1)
        if best is None or k > best[0]:
            best = (k, n, T)
print("table1.nonconvex.lower K =", mp.nstr(best[0], 12), "at n, T =", best[1:])

# Theorem 4 chain conclusion at n=2, T=3, a=1/100
a = mp.mpf(1) / 100
print("thm4.appendix.large at n=2,T=3:", mp.nstr((2 / mp.mpf(4)) * (3**a + (mp.mpf(3) / 2) ** a), 10), "vs", mp.nstr(2 * 3**a / 2 ** (1 + a), 10))

# Table 1, strongly convex construction (lambda = 1, g = 1, alpha = a): E at T = 2, n = 1000,
# a = 1/100 is the smallest sampled value; E < 1/n always (best K in E <= K/n tends to 1)
print("table1.strongly_convex.lower K =", div_construction(1000, 2, 1, lambda t: F(1, 100), 1))
print("table1.strongly_convex.upper: n E at n=2, T=10^4, a=1/2 =", float(2 * div_construction(2, 10**4, 1, lambda t: F(1, 2), 1)))
