"""stabcert.dask on a LocalCluster of 2 worker processes: split runs mapped over the
workers and merged give what one run gives (verdicts, counterexamples, brackets; Monte
Carlo figures bit for bit)."""

import numpy as np
import pytest

import stabcert
import stabcert.dask

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_check_on_the_cluster_equals_one_run(client):
    assert len(client.nthreads()) == 2
    one = stabcert.check("examples/claims.toml")
    assert stabcert.dask.check("examples/claims.toml", client) == one
    assert stabcert.dask.check("examples/claims.toml", client, shards=5) == one


def test_simulate_on_the_cluster_is_bit_identical(client):
    config = "examples/simulate/thm1_convex.toml"
    one = stabcert.simulate(config, replicas=40, seed=2)
    got = stabcert.dask.simulate(config, client, shards=3, replicas=40, seed=2)
    assert got["document"] == one["document"]
    for k in ("mean", "se", "lo", "hi", "probe_mean"):
        assert np.array_equal(got[k], one[k], equal_nan=True), k
    assert np.array_equal(got["distances"], one["distances"], equal_nan=True)


def test_errors_come_back_from_the_workers(client):
    with pytest.raises(stabcert.InputError, match="no such file or folder"):
        stabcert.dask.check("examples/missing.toml", client)
