"""Connected components of an edge list on Ray Data, by alternating large-star / small-star rounds.

Kiveris et al. 2014: each round is a shuffle by node; the graph converges to a set of stars, each
centred on its component's smallest node, which is how ``minhash.connected_components`` labels a
component on one machine (the near step's verified pairs must cluster the same on both engines).
Rows are EDGE ``(u, v, flag)``: flag 0 an edge, flag 1 a "not settled yet" marker of a round.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpus.dedup.frames import column, grouped, run_ids, runs, table, total
from corpus.errors import BuildError

MAX_ROUNDS = 200  # large-star/small-star converges in O(log^2 n) rounds; a guard, never reached
EDGE = pa.schema([("u", pa.int64()), ("v", pa.int64()), ("flag", pa.int8())])
HALF = pa.schema([("k", pa.int64()), ("n", pa.int64())])


def _both_directions(t: pa.Table) -> pa.Table:
    t = t.filter(pc.equal(t["flag"], 0))
    u, v = column(t, "u"), column(t, "v")
    return table(HALF, k=np.concatenate([u, v]), n=np.concatenate([v, u]))


def _adjacency(t: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unique (k, n) sorted, the start of each k's run, and each row's run number."""
    pairs = np.unique(np.stack([column(t, "k"), column(t, "n")], axis=1), axis=0)
    k, n = pairs[:, 0], pairs[:, 1]
    starts = runs(k)
    return k, n, starts, run_ids(starts, len(k))


def _large_star(t: pa.Table) -> pa.Table:
    """Each node k links its larger neighbours to the smallest of its closed neighbourhood.

    Adds a row with ``flag`` 1 for each k not yet settled (the centre of its star, or a leaf
    with a single, smaller neighbour): no flags means the graph is all stars.
    """
    if t.num_rows == 0:
        return EDGE.empty_table()
    k, n, starts, run = _adjacency(t)
    m = np.minimum(n[starts], k[starts])  # neighbours sorted: the first is the smallest
    sizes = np.diff(np.append(starts, len(k)))
    settled = (m == k[starts]) | (sizes == 1)
    big = n > k
    unsettled = int((~settled).sum())
    return table(
        EDGE,
        u=np.concatenate([n[big], np.full(unsettled, -1)]),
        v=np.concatenate([m[run[big]], np.full(unsettled, -1)]),
        flag=np.concatenate([np.zeros(int(big.sum()), np.int8), np.ones(unsettled, np.int8)]),
    )


def _smaller_side(t: pa.Table) -> pa.Table:
    t = t.filter(pc.equal(t["flag"], 0))
    u, v = column(t, "u"), column(t, "v")
    return table(HALF, k=np.maximum(u, v), n=np.minimum(u, v))


def _small_star(t: pa.Table) -> pa.Table:
    """Each node k and its smaller neighbours all link to the smallest of them."""
    if t.num_rows == 0:
        return EDGE.empty_table()
    k, n, starts, run = _adjacency(t)
    m = n[starts]
    mine = n != m[run]
    u = np.concatenate([n[mine], k[starts]])
    v = np.concatenate([m[run[mine]], m])
    return table(EDGE, u=u, v=v, flag=np.zeros(len(u), dtype=np.int8))


def connected_components(edges: Any, partitions: int) -> tuple[Any, int]:
    """Star edges ``(leaf, centre)`` of the components of ``edges`` (EDGE rows), and the rounds taken.

    The centre is the component's smallest node, as ``minhash.connected_components`` labels it.
    """
    current = edges
    for rounds in range(1, MAX_ROUNDS + 1):
        halves = current.map_batches(_both_directions, batch_format="pyarrow")
        large = grouped(halves, "k", _large_star, partitions).materialize()
        if not total(large, "flag"):
            return large, rounds
        halves = large.map_batches(_smaller_side, batch_format="pyarrow")
        current = grouped(halves, "k", _small_star, partitions).materialize()
    raise BuildError(  # a guard: only a bug gets here
        f"near_dedup: connected components did not converge in {MAX_ROUNDS} rounds; "
        "report this with the build's config, and use engine local meanwhile"
    )
