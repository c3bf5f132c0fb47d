"""stabcert on a Dask cluster: the shards of a split run mapped over the workers of a
``dask.distributed.Client``, then merged into exactly what one run gives.

    from dask.distributed import Client, LocalCluster
    import stabcert.dask

    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
    claims = stabcert.dask.check(["claims/"], client)
    runs = stabcert.dask.simulate("sim.toml", client, replicas=100_000)

Every worker needs stabcert installed (the same version) and must see the claim files or
configuration at the path given (a shared file system, or the same checkout everywhere);
relative paths are resolved in each worker's working directory. Each shard uses every core
of its worker (the Rust side runs its own thread pool); one worker thread per machine is
the natural layout.
"""

import json
import os

import stabcert
from stabcert import _stabcert

__all__ = ["check", "check_document", "simulate"]


def _shards(client, shards):
    if shards is not None:
        if shards < 1:
            raise stabcert.InputError("shards: must be at least 1")
        return int(shards)
    return max(1, sum(client.nthreads().values()))


def _check_shard(paths, only, index, count, time_per_claim, boxes, points):
    return _stabcert.check_shard_json(paths, only, index, count, time_per_claim, boxes, points)


def _simulate_shard(config, index, count, replicas, seed):
    return _stabcert.simulate_shard_json(config, index, count, replicas, seed)


def check_document(
    paths, client, *, shards=None, only=None, time_per_claim=None, boxes=None, points=None
):
    """``stabcert.check_document`` with the claims' domains split into ``shards`` parts
    (default: one per worker thread of ``client``), decided on the cluster and merged."""
    args = (
        stabcert._paths(paths),
        stabcert._only(only),
        stabcert._seconds(time_per_claim),
        boxes,
        points,
    )
    n = _shards(client, shards)
    futures = [
        client.submit(
            _check_shard, args[0], args[1], i, n, args[2], args[3], args[4], pure=False
        )
        for i in range(1, n + 1)
    ]
    texts = client.gather(futures)
    return json.loads(_stabcert.merge_json(texts))


def check(paths, client, **options):
    """``stabcert.check`` on the cluster: one dict per relation, the same as one run."""
    return check_document(paths, client, **options)["claims"]


def simulate(config, client, *, shards=None, replicas=None, seed=None):
    """``stabcert.simulate`` on the cluster: the replicas split by ranges of stream numbers
    into ``shards`` parts (default: one per worker thread), run on the workers and merged;
    the same arrays as one run, bit for bit."""
    n = _shards(client, shards)
    config = os.fspath(config)
    futures = [
        client.submit(_simulate_shard, config, i, n, replicas, seed, pure=False)
        for i in range(1, n + 1)
    ]
    docs = [json.loads(t) for t in client.gather(futures)]
    return stabcert.simulation(stabcert.merge(docs), docs)
