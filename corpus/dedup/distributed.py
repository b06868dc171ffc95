"""Exact and near deduplication as Ray Data steps, giving exactly what the local engine gives.

Every document is named by ``idx``, an int64 that sorts in stable input order, so "the
first copy" and "the smallest node" mean the same thing as in the local engine. Each
step is a map (``map_batches``) and a shuffle (``groupby(...).map_groups``); nothing is
gathered on the driver:

* ``exact_dedup``: group by the normalized-text digest; the smallest ``idx`` of a group is
  kept, the others are duplicates of it.
* ``near_dedup``: band keys computed in the map (``minhash.band_hashes``); group by (band,
  key): a bucket's members in input order, each paired with the next ``PAIR_WINDOW``
  members (``minhash.candidate_pairs``'s rule), pairs verified by estimated Jaccard in the
  bucket (the signature travels with the band key); then connected components of the
  verified edges by alternating large-star / small-star rounds (Kiveris et al. 2014) until
  the graph is a set of stars centred on each component's smallest ``idx``; then each
  component's members are gathered by their centre to choose the kept document, the
  cluster size and every member's similarity to the kept one.

Decisions come back as rows ``(idx, payload)``: ``("exact", kept_id)`` or ``("near", keep,
kept_id, cluster_size, similarity)``; a document with no near row is alone in its cluster.
"""

from __future__ import annotations

import logging
import pickle
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpus.dedup import minhash as mh
from corpus.errors import BuildError

log = logging.getLogger(__name__)

MAX_ROUNDS = 200  # large-star/small-star converges in O(log^2 n) rounds; a guard, never reached

SURVIVOR = pa.schema([("idx", pa.int64()), ("id", pa.string()), ("sig", pa.binary()), ("length", pa.int64())])
EXACT_IN = SURVIVOR.append(pa.field("ekey", pa.string()))
EXACT_OUT = SURVIVOR.append(pa.field("dup_of", pa.string()))
BAND = pa.schema([("band", pa.int64()), ("h", pa.int64()), ("idx", pa.int64()), ("sig", pa.binary())])
EDGE = pa.schema([("u", pa.int64()), ("v", pa.int64()), ("flag", pa.int8())])
HALF = pa.schema([("k", pa.int64()), ("n", pa.int64())])
ATTACH = pa.schema(
    [
        ("key", pa.int64()),
        ("role", pa.int8()),
        ("other", pa.int64()),
        ("id", pa.string()),
        ("sig", pa.binary()),
        ("length", pa.int64()),
    ]
)
MEMBER = pa.schema(
    [("c", pa.int64()), ("node", pa.int64()), ("id", pa.string()), ("sig", pa.binary()), ("length", pa.int64())]
)
DECISION = pa.schema([("idx", pa.int64()), ("payload", pa.binary())])


def sig_matrix(column: Any, num_perm: int) -> np.ndarray:
    """A binary column of uint32 signatures as an ``(n, num_perm)`` array."""
    values = column.to_pylist() if hasattr(column, "to_pylist") else list(column)
    if not values:
        return np.zeros((0, num_perm), dtype=np.uint32)
    return np.frombuffer(b"".join(values), dtype=np.uint32).reshape(len(values), num_perm)


def _table(schema: pa.Schema, **columns: Any) -> pa.Table:
    return pa.table({f.name: pa.array(columns[f.name], type=f.type) for f in schema}, schema=schema)


def _np(table: pa.Table, name: str) -> np.ndarray:
    return table[name].to_numpy()


# -- exact dedup ------------------------------------------------------------------------


def _exact_group(t: pa.Table) -> pa.Table:
    t = t.sort_by("idx")
    ids = t["id"].to_pylist()
    dup_of = [""] + [ids[0]] * (len(ids) - 1)
    return t.select(SURVIVOR.names).append_column("dup_of", pa.array(dup_of, pa.string()))


def exact_dedup(survivors: Any, partitions: int) -> tuple[Any, Any]:
    """(decision rows of the duplicates, the first copies as SURVIVOR rows); ``survivors`` has EXACT_IN."""
    grouped = (
        survivors.groupby("ekey", num_partitions=partitions)
        .map_groups(_exact_group, batch_format="pyarrow")
        .materialize()
    )

    def decisions(t: pa.Table) -> pa.Table:
        t = t.filter(pc.not_equal(t["dup_of"], ""))
        payload = [pickle.dumps(("exact", k)) for k in t["dup_of"].to_pylist()]
        return _table(DECISION, idx=t["idx"], payload=payload)

    def firsts(t: pa.Table) -> pa.Table:
        return t.filter(pc.equal(t["dup_of"], "")).select(SURVIVOR.names)

    return (
        grouped.map_batches(decisions, batch_format="pyarrow"),
        grouped.map_batches(firsts, batch_format="pyarrow"),
    )


# -- near dedup: candidates ---------------------------------------------------------------


def _band_rows(t: pa.Table, bands: int, rows: int, num_perm: int) -> pa.Table:
    n = t.num_rows
    keys = mh.band_hashes(sig_matrix(t["sig"], num_perm), bands, rows)
    take = np.repeat(np.arange(n), bands)
    return _table(
        BAND,
        band=np.tile(np.arange(bands, dtype=np.int64), n),
        h=keys.ravel().view(np.int64),
        idx=_np(t, "idx")[take],
        sig=t["sig"].take(pa.array(take)),
    )


def _bucket_edges(t: pa.Table, threshold: float, window: int, num_perm: int) -> pa.Table:
    """Verified pairs of one bucket: each member with the next ``window`` members, in input order."""
    n = t.num_rows
    if n < 2:
        return EDGE.empty_table()
    t = t.sort_by("idx")
    idx, sigs = _np(t, "idx"), sig_matrix(t["sig"], num_perm)
    dists = range(1, min(window, n - 1) + 1)
    left = np.concatenate([np.arange(n - d) for d in dists])
    right = np.concatenate([np.arange(d, n) for d in dists])
    ok = mh.estimate_jaccard(sigs, left, right) >= threshold
    return _table(EDGE, u=idx[left[ok]], v=idx[right[ok]], flag=np.zeros(int(ok.sum()), dtype=np.int8))


# -- near dedup: connected components ------------------------------------------------------


def _both_directions(t: pa.Table) -> pa.Table:
    t = t.filter(pc.equal(t["flag"], 0))
    u, v = _np(t, "u"), _np(t, "v")
    return _table(HALF, k=np.concatenate([u, v]), n=np.concatenate([v, u]))


def _large_star(t: pa.Table) -> pa.Table:
    """Node k links every larger neighbour to the smallest of its closed neighbourhood.

    Adds a row with ``flag`` 1 unless k is already settled (the centre of its star, or a
    leaf with a single, smaller neighbour): no flags means the graph is all stars.
    """
    k = int(t["k"][0].as_py())
    nbrs = np.unique(_np(t, "n"))
    m = min(int(nbrs[0]), k)
    big = nbrs[nbrs > k]
    settled = m == k or len(nbrs) == 1
    u = np.append(big, -1) if not settled else big
    v = np.append(np.full(len(big), m), -1) if not settled else np.full(len(big), m)
    flag = np.zeros(len(u), dtype=np.int8)
    if not settled:
        flag[-1] = 1
    return _table(EDGE, u=u, v=v, flag=flag)


def _smaller_side(t: pa.Table) -> pa.Table:
    t = t.filter(pc.equal(t["flag"], 0))
    u, v = _np(t, "u"), _np(t, "v")
    return _table(HALF, k=np.maximum(u, v), n=np.minimum(u, v))


def _small_star(t: pa.Table) -> pa.Table:
    """Node k and its smaller neighbours all link to the smallest of them."""
    k = int(t["k"][0].as_py())
    nbrs = np.unique(_np(t, "n"))
    m = int(nbrs[0])
    u = np.append(nbrs[nbrs != m], k)
    return _table(EDGE, u=u, v=np.full(len(u), m), flag=np.zeros(len(u), dtype=np.int8))


def connected_components(edges: Any, partitions: int) -> tuple[Any, int]:
    """Star edges ``(leaf, centre)`` of the components of ``edges`` (EDGE rows), and the rounds taken.

    The centre is the component's smallest node, as ``minhash.connected_components`` labels it.
    """
    current = edges
    for rounds in range(1, MAX_ROUNDS + 1):
        large = (
            current.map_batches(_both_directions, batch_format="pyarrow")
            .groupby("k", num_partitions=partitions)
            .map_groups(_large_star, batch_format="pyarrow")
            .materialize()
        )
        if not (large.sum("flag") or 0):
            return large, rounds
        current = (
            large.map_batches(_smaller_side, batch_format="pyarrow")
            .groupby("k", num_partitions=partitions)
            .map_groups(_small_star, batch_format="pyarrow")
            .materialize()
        )
    raise BuildError(f"near_dedup: connected components did not converge in {MAX_ROUNDS} rounds")


# -- near dedup: verdicts ------------------------------------------------------------------


def _survivor_side(t: pa.Table) -> pa.Table:
    n = t.num_rows
    return _table(
        ATTACH,
        key=t["idx"],
        role=np.zeros(n, dtype=np.int8),
        other=np.full(n, -1),
        id=t["id"],
        sig=t["sig"],
        length=t["length"],
    )


def _star_side(t: pa.Table) -> pa.Table:
    t = t.filter(pc.equal(t["flag"], 0))
    leaf, centre = _np(t, "u"), _np(t, "v")
    n = len(leaf)
    return _table(
        ATTACH,
        key=np.concatenate([leaf, centre]),
        role=np.concatenate([np.ones(n, dtype=np.int8), np.full(n, 2, dtype=np.int8)]),
        other=np.concatenate([centre, centre]),
        id=[""] * (2 * n),
        sig=[b""] * (2 * n),
        length=np.zeros(2 * n, dtype=np.int64),
    )


def _attach(t: pa.Table) -> pa.Table:
    """A node's id, signature and length, addressed to its component's centre (singletons: nothing)."""
    roles = _np(t, "role")
    if len(roles) == 1:
        return MEMBER.empty_table()
    me = t.filter(pc.equal(t["role"], 0))
    leaf = t.filter(pc.equal(t["role"], 1))
    key = int(t["key"][0].as_py())
    centre = int(leaf["other"][0].as_py()) if leaf.num_rows else key
    return _table(MEMBER, c=[centre], node=[key], id=me["id"], sig=me["sig"], length=me["length"])


def _component(t: pa.Table, keep: str, num_perm: int) -> pa.Table:
    """Verdict rows of one component: the kept document, its size, each member's similarity to it."""
    t = t.sort_by("node")
    nodes, lengths, ids = _np(t, "node"), _np(t, "length"), t["id"].to_pylist()
    sigs = sig_matrix(t["sig"], num_perm)
    kept = 0 if keep == "first" else int(np.lexsort((nodes, -lengths))[0])
    sims = mh.estimate_jaccard(sigs, np.arange(len(nodes)), np.full(len(nodes), kept))
    size = len(nodes)
    payload = [
        pickle.dumps(("near", i == kept, ids[kept], size, 1.0 if i == kept else float(sims[i])))
        for i in range(size)
    ]
    return _table(DECISION, idx=nodes, payload=payload)


def near_dedup(survivors: Any, step: Any, partitions: int) -> tuple[Any | None, dict[str, int]]:
    """Decision rows for the documents in clusters of two or more (None if there are none), and figures.

    ``survivors`` has SURVIVOR rows (the documents exact dedup kept); ``step`` is the
    ``NearDedup`` whose parameters apply.
    """
    bands, rows = step.band_rows
    num_perm = step.num_perm
    edges = (
        survivors.map_batches(
            _band_rows, batch_format="pyarrow", fn_kwargs={"bands": bands, "rows": rows, "num_perm": num_perm}
        )
        .groupby(["band", "h"], num_partitions=partitions)
        .map_groups(
            _bucket_edges,
            batch_format="pyarrow",
            fn_kwargs={"threshold": step.threshold, "window": mh.PAIR_WINDOW, "num_perm": num_perm},
        )
        .materialize()
    )
    n_edges = edges.count()
    figures = {"verified_edges": n_edges, "rounds": 0}
    if n_edges == 0:
        return None, figures
    stars, figures["rounds"] = connected_components(edges, partitions)
    members = (
        survivors.map_batches(_survivor_side, batch_format="pyarrow")
        .union(stars.map_batches(_star_side, batch_format="pyarrow"))
        .groupby("key", num_partitions=partitions)
        .map_groups(_attach, batch_format="pyarrow")
    )
    verdicts = members.groupby("c", num_partitions=partitions).map_groups(
        _component, batch_format="pyarrow", fn_kwargs={"keep": step.keep, "num_perm": num_perm}
    )
    return verdicts, figures


def decode(payload: bytes) -> tuple[Any, ...]:
    """A decision row's payload (our own pickle, written by the steps above)."""
    return pickle.loads(payload)
