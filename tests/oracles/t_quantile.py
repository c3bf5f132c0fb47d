"""Independent oracle for `sgd::sim::t_quantile_975`: the 97.5% quantile of Student's t
with df degrees of freedom, from mpmath's regularized incomplete beta function at 40
digits (no stabcert code). Run: python3 tests/oracles/t_quantile.py"""
import mpmath as mp

mp.mp.dps = 40


def tail(t, df):
    # P(T > t) = I_{df/(df+t^2)}(df/2, 1/2) / 2 for t > 0
    x = df / (df + t * t)
    return mp.betainc(mp.mpf(df) / 2, mp.mpf(1) / 2, 0, x, regularized=True) / 2


for df in [1, 2, 3, 9, 30, 99, 999, 100000]:
    t = mp.findroot(lambda t: tail(t, df) - mp.mpf("0.025"), 2.5 if df > 2 else 5)
    print(df, mp.nstr(t, 17))
