"""The Python package against the command line: the same verdicts, values, documents and
Monte Carlo figures (bit for bit), and bad input as InputError with the command line's
message."""

import json
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import stabcert


def test_check_equals_the_command_line(cli):
    # examples/claims.toml: a certified sweep, a refutation with its counterexample, a
    # threshold, a best constant, a chain and a sampled claim
    got = stabcert.check("examples/claims.toml")
    assert got == cli("check", "examples/claims.toml", "--json")["claims"]
    by_id = {c["id"]: c for c in got}
    assert by_id["bernoulli"]["verdict"] == "certified"
    assert any(c["verdict"] == "refuted" and c["counterexample"] for c in got)
    doc = stabcert.check_document("examples/claims.toml", only=["bernoulli"])
    assert [c["id"] for c in doc["claims"]] == ["bernoulli"]
    assert doc["document"] == "check"


def test_eval_exact_and_enclosures():
    assert stabcert.eval("1/3 + 1/6") == Fraction(1, 2)
    assert stabcert.eval("(1 - 1/n)^T", n=10, T=5) == Fraction(59049, 100000)
    # parameter values are exact: 0.1 is 1/10, a Fraction stays a Fraction
    assert stabcert.eval("x*10", x=0.1) == 1
    assert stabcert.eval("3*c", c=Fraction(1, 3)) == 1
    lo, hi = stabcert.eval("exp(1)", digits=12)
    assert isinstance(lo, Decimal) and lo < Decimal(repr(math.e)) < hi
    assert hi - lo <= Decimal("1e-11")


def test_symbolic_documents(cli):
    eq = stabcert.symbolic("equal", "(x + 1)^2", "x^2 + 2*x + 1")
    assert eq["status"] == "proved"
    assert eq == cli("symbolic", "equal", "(x + 1)^2", "x^2 + 2*x + 1", "--json")
    assert stabcert.symbolic("equal", "a+b", "a*b")["status"] == "refuted"
    cross = stabcert.symbolic("crossover", "T/(n-1)", "1", solve_for="T", assume="n >= 2")
    assert cross == cli(
        "symbolic", "crossover", "T/(n-1)", "1", "--solve-for", "T", "--assume", "n >= 2",
        "--json",
    )
    dom = stabcert.symbolic("dominance", "T^a", "n", vars="n,T", path="T = n^2",
                            assume="a in (0, 1)")
    assert dom["document"] == "symbolic"


def test_simulate_arrays_match_the_command_line(cli):
    config = "examples/simulate/thm1_convex.toml"
    s = stabcert.simulate(config, replicas=30, seed=3)
    doc = cli("simulate", config, "--replicas", "30", "--seed", "3", "--json")
    assert s["document"] == doc
    cps = doc["checkpoints"]
    assert s["mean"].dtype == np.float64 and len(s["mean"]) == len(cps)
    # bit for bit: the JSON floats are the shortest decimals, which read back exactly
    assert list(s["mean"]) == [c["dist"]["mean"] for c in cps]
    assert list(s["se"]) == [c["dist"]["se"] for c in cps]
    assert list(s["step"]) == [c["step"] for c in cps]
    assert s["distances"].shape == (30, len(cps))
    # the per-replica distances average to the reported means (summed in replica order)
    for k, c in enumerate(cps):
        assert math.fsum(s["distances"][:, k]) / 30 == pytest.approx(c["dist"]["mean"], rel=1e-12)


def test_shards_merge_in_python():
    parts = [stabcert.check_shard("examples/claims.toml", i, 3) for i in (2, 3, 1)]
    assert stabcert.merge(parts)["claims"] == stabcert.check("examples/claims.toml")
    config = "examples/simulate/thm1_convex.toml"
    shards = [stabcert.simulate_shard(config, i, 2, replicas=11) for i in (1, 2)]
    merged = stabcert.simulation(stabcert.merge(shards), shards)
    whole = stabcert.simulate(config, replicas=11)
    assert merged["document"] == whole["document"]
    assert np.array_equal(merged["distances"], whole["distances"], equal_nan=True)


def test_bad_input_raises_with_the_command_lines_message(tmp_path):
    with pytest.raises(stabcert.InputError, match="no such file or folder"):
        stabcert.check(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[claim]]\nid = "c"\nsource = "s"\ntext = "t"\nparams = ["n in 1..=3"]\nholds = "n <= (1"\n')
    with pytest.raises(ValueError, match=r"bad\.toml:6:\d+"):
        stabcert.check(bad)
    with pytest.raises(stabcert.InputError, match="EXPR:1:3"):
        stabcert.eval("1/")
    with pytest.raises(stabcert.InputError, match="unknown name `n`"):
        stabcert.eval("n + 1")
    with pytest.raises(stabcert.InputError, match="1 <= i <= N"):
        stabcert.check_shard("examples/claims.toml", 0, 2)
    with pytest.raises(stabcert.InputError, match="not a shard document"):
        stabcert.merge([json.dumps({"document": "check"})])
    with pytest.raises(stabcert.InputError, match="shard 2/2 missing"):
        stabcert.merge([stabcert.simulate_shard("examples/simulate/thm1_convex.toml", 1, 2, replicas=4)])
    with pytest.raises(stabcert.InputError, match="symbolic"):
        stabcert.symbolic("integrate", "x")
