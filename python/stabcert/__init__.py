"""stabcert from Python: audit stability bounds for SGD with exact rationals, rigorous
intervals and formal certificates.

The functions run the same code as the ``stabcert`` command line (a native module built from
the Rust crate) and give the same answers:

- ``check(paths)``: decide the claims of claim files; a list of dicts, one per relation, as
  ``stabcert check --json`` writes them (``check_document`` returns the whole document).
- ``eval(expr, **params)``: an exact value as a ``fractions.Fraction``, or with ``digits=N``
  a rigorous enclosure ``(lo, hi)`` of ``decimal.Decimal``.
- ``symbolic(op, *exprs, assume=...)``: compare bound expressions (simplify, ratio,
  crossover, dominance, equal); the ``stabcert symbolic --json`` document.
- ``simulate(config)``: Monte Carlo twin SGD runs; NumPy arrays per checkpoint and per
  replica.
- ``check_shard`` / ``simulate_shard`` / ``merge``: split runs whose merge equals one run
  (``stabcert.dask`` maps them over a Dask cluster).

Bad input raises ``InputError`` (a ``ValueError``) with the command line's message, which
names the file, line and column; the computation runs with the GIL released.
"""

import json
import os
from decimal import Decimal
from fractions import Fraction

import numpy as np

from . import _stabcert
from ._stabcert import InputError, InternalError, __version__

__all__ = [
    "InputError",
    "InternalError",
    "__version__",
    "check",
    "check_document",
    "check_shard",
    "eval",
    "merge",
    "simulate",
    "simulate_shard",
    "symbolic",
]


def _paths(paths):
    if paths is None:
        return []
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


def _only(only):
    if only is None:
        return []
    if isinstance(only, str):
        return [only]
    return list(only)


def _seconds(t):
    # an exact decimal or fraction, as the command line reads it
    return None if t is None else str(t)


def check_document(paths=None, *, only=None, time_per_claim=None, boxes=None, points=None):
    """The ``stabcert check --json`` document of the claim files (or folders) ``paths``.

    ``paths``: a path or a list of them; ``None`` reads ``proofs/paper`` in the working
    directory, else the catalogue built into stabcert. ``only``: claim or step ids to keep.
    ``time_per_claim`` (seconds), ``boxes`` and ``points``: the decision budgets.
    """
    text = _stabcert.check_json(
        _paths(paths), _only(only), _seconds(time_per_claim), boxes, points
    )
    return json.loads(text)


def check(paths=None, **options):
    """The verdicts of the claims in ``paths``: one dict per relation (``id``, ``verdict``,
    ``coverage``, ``counterexample``, ``threshold``, ``best_constant``, ``reason``, ...), as
    in ``stabcert check --json``. Options as :func:`check_document`."""
    return check_document(paths, **options)["claims"]


def check_shard(paths, index, count, *, only=None, time_per_claim=None, boxes=None, points=None):
    """Shard ``index`` of ``count`` (from 1) of ``check(paths)``: the shard document
    (a dict) that :func:`merge` combines with the others."""
    text = _stabcert.check_shard_json(
        _paths(paths), _only(only), index, count, _seconds(time_per_claim), boxes, points
    )
    return json.loads(text)


def merge(documents):
    """Combines the shard documents of one split run (dicts or JSON text, any order) into
    the document one run writes (``check --json`` or ``simulate --json``)."""
    texts = [d if isinstance(d, str) else json.dumps(d) for d in documents]
    return json.loads(_stabcert.merge_json(texts))


def _value_text(v):
    if isinstance(v, bool):
        raise InputError(f"{v!r}: a parameter value is a number or an exact expression")
    if isinstance(v, float):
        # the shortest decimal that reads back as this float, read exactly
        return repr(v)
    return str(v)


def eval(expr, *, digits=None, time_limit=120, **params):
    """The exact value of ``expr`` with ``params`` (``n=10``, ``alpha="1/100"``,
    ``c=Fraction(1, 3)``; a float is read as its shortest decimal), as a ``Fraction``; with
    ``digits=N``, a rigorous enclosure ``(lo, hi)`` of ``Decimal`` with N significant
    digits (for irrational values)."""
    sets = [f"{k}={_value_text(v)}" for k, v in params.items()]
    text = _stabcert.eval(expr, sets, digits, float(time_limit))
    if digits is None:
        return Fraction(text)
    lo, hi = text.strip().lstrip("[").rstrip("]").split(",")
    return Decimal(lo.strip()), Decimal(hi.strip())


def symbolic(op, *exprs, assume=(), solve_for=None, grow=(), vars=(), path=None):
    """``stabcert symbolic OP EXPR... --json``: ``op`` is ``"simplify"``, ``"ratio"``,
    ``"crossover"`` (``solve_for=``, ``grow=``), ``"dominance"`` (``vars=("n", "T")``,
    ``path="T = n^2"``) or ``"equal"``; ``assume``: parameter ranges in claim-file syntax
    (``"a in (0, 1)"``, ``"n >= 2"``). Returns the document as a dict."""
    if isinstance(assume, str):
        assume = [assume]
    if isinstance(vars, str):
        vars = [v.strip() for v in vars.split(",")]
    if isinstance(grow, str):
        grow = [grow]
    text = _stabcert.symbolic_json(
        op, list(exprs), list(assume), solve_for, list(grow), list(vars), path
    )
    return json.loads(text)


def simulate_shard(config, index, count, *, replicas=None, seed=None):
    """Shard ``index`` of ``count`` (from 1) of ``simulate(config)``: the replicas of that
    range of stream numbers, as a shard document (a dict) for :func:`merge`."""
    text = _stabcert.simulate_shard_json(os.fspath(config), index, count, replicas, seed)
    return json.loads(text)


def _float_bits(bits, width):
    # IEEE-754 bit patterns back to floats, NaN-padded to `width` checkpoints
    a = np.full(width, np.nan)
    if bits:
        a[: len(bits)] = np.array(bits, dtype=np.uint64).view(np.float64)
    return a


def simulation(document, shards=()):
    """The arrays of a ``simulate --json`` document (and, given the shard documents it was
    merged from, every replica's distances): see :func:`simulate`."""
    cps = document["checkpoints"]

    def stat(key, field):
        return np.array([c[key][field] if c[key] is not None else np.nan for c in cps])

    out = {
        "step": np.array([c["step"] for c in cps], dtype=np.int64),
        "time": np.array([c["time"] for c in cps], dtype=np.int64),
        "mean": stat("dist", "mean"),
        "se": stat("dist", "se"),
        "lo": stat("dist", "lo"),
        "hi": stat("dist", "hi"),
        "probe_mean": stat("probe", "mean"),
        "probe_se": stat("probe", "se"),
        "finite": np.array([c["replicas"] for c in cps], dtype=np.int64),
        "document": document,
    }
    results = [r for s in sorted(shards, key=lambda s: s["first_replica"]) for r in s["results"]]
    if results:
        out["distances"] = np.vstack([_float_bits(r["dist"], len(cps)) for r in results])
        out["probes"] = np.vstack([_float_bits(r["probe"], len(cps)) for r in results])
    return out


def simulate(config, *, replicas=None, seed=None):
    """Monte Carlo twin SGD runs of the configuration file ``config`` (the TOML of
    ``stabcert simulate``; ``replicas`` and ``seed`` override the file's).

    Returns a dict of NumPy arrays, one entry per checkpoint: ``step``, ``time``, ``mean``,
    ``se``, ``lo``, ``hi`` (E||w_T - w'_T|| with its standard error and 95% interval),
    ``probe_mean``, ``probe_se`` (E|f(w_T; z) - f(w'_T; z)|), ``finite`` (replicas
    averaged); ``distances`` and ``probes`` (replicas x checkpoints, NaN after a replica
    stopped being finite); and ``document``, the ``simulate --json`` document. The figures
    are those of the command line, bit for bit.
    """
    shard = simulate_shard(config, 1, 1, replicas=replicas, seed=seed)
    return simulation(merge([shard]), [shard])
