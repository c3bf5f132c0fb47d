"""Independent check of the figures tests/domains.rs pins for domains that are not boxes
(dependent bounds, `where` constraints), with exact rationals (fractions), no stabcert code:
- each counterexample lies in the domain (every bound, every constraint) and fails;
- each true claim holds at every point of a fine rational grid of its region, and the sides
  are equal at the touching points named in the tests;
- the counterexample is the simplest one the engine's rule gives: along the failing face
  (alpha = 2/beta) every beta fails, so beta is the simplest rational of [1/4, 4], i.e. 1, and
  then alpha is the simplest of the failing (1, 2], i.e. 2; for x*y <= 1/5 under x + y <= 1,
  y <= 2x the failing set contains x = y = 1/2, the simplest point of [0, 1]^2 in it;
- the integer claims' point count and lexicographically smallest counterexample.
Run: python3 tests/oracles/domains.py"""
from fractions import Fraction as F

N = 60
grid = [F(i, N) for i in range(N + 1)]

# beta in [1/4, 4], alpha in (0, 1/beta]: alpha*beta <= 1, equal on alpha = 1/beta
for b in [F(1, 4) + (F(4) - F(1, 4)) * g for g in grid]:
    for u in grid[1:]:
        a = u / b
        assert a * b <= 1
assert F(1, 4) * 4 == 1
# alpha in (0, 2/beta]: the counterexample beta = 1, alpha = 2
b, a = F(1), F(2)
assert F(1, 4) <= b <= 4 and 0 < a <= 2 / b and a * b > 1
# every beta fails at alpha = 2/beta; at beta = 1 the failing alphas are (1, 2]
assert all((2 / bb) * bb > 1 for bb in [F(1, 4), F(1), F(4)])

# x in [0, 1], y in [x, 1]: x*y <= y^2, equal on y = x
for x in grid:
    for g in grid:
        y = x + g * (1 - x)
        assert x * y <= y * y
assert F(1, 3) * F(1, 3) == F(1, 3) ** 2

# the simplex: x*y*z <= 1/27, equal at the centre
M = 30
for i in range(M + 1):
    for j in range(M + 1 - i):
        for k in range(M + 1 - i - j):
            x, y, z = F(i, M), F(j, M), F(k, M)
            assert x * y * z <= F(1, 27)
c = F(1, 3)
assert c * c * c == F(1, 27)

# where x + y <= 1: x*y <= 1/4 (equal at x = y = 1/2), x + y <= 1 itself
for x in grid:
    for y in grid:
        if x + y <= 1:
            assert x * y <= F(1, 4)
# where x + y <= 1 and y <= 2x: x*y <= 1/5 fails at x = y = 1/2
x, y = F(1, 2), F(1, 2)
assert x + y <= 1 and y <= 2 * x and x * y == F(1, 4) and x * y > F(1, 5)
# no simpler point (denominator 1) of the region fails: the corners
for x in [F(0), F(1)]:
    for y in [F(0), F(1)]:
        if x + y <= 1 and y <= 2 * x:
            assert x * y <= F(1, 5)
# integer parameters under a constraint: k <= n on 1..=30 has 465 points; the
# lexicographically smallest (n, k) with 2k <= n and k > 7 is (16, 8)
assert sum(1 for n in range(1, 31) for k in range(1, 31) if k <= n) == 465
assert min((n, k) for n in range(1, 31) for k in range(1, 31) if 2 * k <= n and k > 7) == (16, 8)
print("domains: all checks passed")
