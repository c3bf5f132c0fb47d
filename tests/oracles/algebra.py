"""Independent check of the claims tests/algebra.rs pins (examples/algebra.toml), with exact
rationals (fractions), no stabcert code:
- each true claim's margin is a sum of squares (or squares over a positive product), checked
  as a polynomial identity at random rational points, and is non-negative on a rational grid;
- x*n*y <= n^2/4 under x*n + y <= n by AM-GM (x*n*y <= ((x*n + y)/2)^2 <= n^2/4);
- Motzkin's polynomial is non-negative by AM-GM on x^4y^2, x^2y^4, 1 (checked on a grid);
- the counterexamples fail exactly: (x, y) = (1, 1) for the ratio bound with 2.0001, and
  x = 275807/195025 (a convergent of sqrt 2) for (x^2 - 2)^2 >= 10^-20.
Run: python3 tests/oracles/algebra.py"""
import random
from fractions import Fraction as F

rng = random.Random(20261206)


def rq():
    return F(rng.randint(-1000, 1000), rng.randint(1, 1000))


for _ in range(500):
    x, y, a, b = rq(), rq(), rq(), rq()
    # x^2 + y^2 - 2xy = (x - y)^2
    assert x * x + y * y - 2 * x * y == (x - y) ** 2
    # Lagrange's identity: (a^2 + b^2)(x^2 + y^2) - (ax + by)^2 = (ay - bx)^2
    assert (a * a + b * b) * (x * x + y * y) - (a * x + b * y) ** 2 == (a * y - b * x) ** 2
    if x * y != 0:
        # (x^2 + y^2)/(xy) - 2 = (x - y)^2/(xy), >= 0 when xy > 0
        assert (x * x + y * y) / (x * y) - 2 == (x - y) ** 2 / (x * y)

N = 40
grid = [F(i, N) for i in range(-2 * N, 2 * N + 1)]
for x in grid:
    for y in grid:
        assert x**4 * y**2 + x**2 * y**4 - 3 * x**2 * y**2 + 1 >= 0
assert 1 + 1 - 3 + 1 == 0  # zero at (1, 1)

for n in range(1, 5):
    for i in range(N + 1):
        x = F(i, N)
        for j in range(4 * N + 1):
            y = F(j, N)
            if x * n + y <= n:
                assert x * n * y <= F(n * n, 4)
    assert F(1, 2) * n * F(n, 2) == F(n * n, 4)  # equal at x = 1/2, y = n/2

# the counterexamples
assert (F(1) ** 2 + F(1) ** 2) / (F(1) * F(1)) < F(20001, 10000)
x = F(275807, 195025)
assert 0 <= x <= 2 and (x * x - 2) ** 2 < F(1, 10**20)
print("algebra oracle: all checks passed")
