"""Exact and near deduplication as Ray Data steps, giving exactly what the local engine gives.

Every document is named by ``idx``, an int64 that sorts in stable input order, so "the
first copy" and "the smallest node" mean the same thing as in the local engine. Each
step is a map (``map_batches``) and a shuffle (``groupby(...).map_groups``); nothing is
gathered on the driver:

* ``exact_dedup``: group by the normalized-text digest; the smallest ``idx`` of a group is
  kept, the others are duplicates of it.
* ``near_dedup``: band keys computed in the map (``minhash.band_hashes``); group by (band,
  key): a bucket's members in input order, each paired with the next ``PAIR_WINDOW``
  members (``minhash.candidate_pairs``'s rule), pairs kept as candidates when their estimated
  Jaccard reaches ``NearDedup.candidate_floor`` (the signature travels with the band key);
  then connected components of the candidate edges by alternating large-star / small-star
  rounds (``corpus.dedup.components``) until the graph is a set of stars centred on each
  component's smallest ``idx``; then each component's members (with their whole fingerprint:
  signature and shingle set) and its candidate edges are gathered by their centre, and
  ``NearDedup.settle`` decides the component exactly as the local engine decides the corpus
  (verification, star clusters or components, the kept document, each member's similarity):
  a component's decisions depend on nothing outside it.

Decisions come back as rows ``(idx, payload)``: ``("exact", kept_id)`` or ``("near", keep,
kept_id, cluster_size, similarity)``; a document with no near row is alone in its cluster.
The table helpers the steps share are ``corpus.dedup.frames``'s.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpus.dedup import minhash as mh
from corpus.dedup.components import EDGE, connected_components
from corpus.dedup.frames import column, grouped, run_ids, runs, sig_matrix, table
from corpus.dedup.sketch import Sketches
from corpus.errors import BuildError

log = logging.getLogger(__name__)

SURVIVOR = pa.schema([("idx", pa.int64()), ("id", pa.string()), ("sig", pa.binary()), ("length", pa.int64())])
EXACT_IN = SURVIVOR.append(pa.field("ekey", pa.string()))
EXACT_OUT = SURVIVOR.append(pa.field("dup_of", pa.string()))
BAND = pa.schema([("band", pa.int64()), ("h", pa.int64()), ("idx", pa.int64()), ("sig", pa.binary())])
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
    [
        ("c", pa.int64()),
        ("node", pa.int64()),
        ("other", pa.int64()),  # -1: a member row; else a candidate edge (node, other)
        ("id", pa.string()),
        ("sig", pa.binary()),
        ("length", pa.int64()),
    ]
)
DECISION = pa.schema([("idx", pa.int64()), ("payload", pa.binary())])


# -- exact dedup ------------------------------------------------------------------------


def _exact_groups(t: pa.Table) -> pa.Table:
    """Within each run of equal digests, in input order, the first is kept; the others name it."""
    t = t.sort_by([("ekey", "ascending"), ("idx", "ascending")])
    ekey = np.asarray(t["ekey"].to_pylist(), dtype=object)
    ids = np.asarray(t["id"].to_pylist(), dtype=object)
    starts = runs(ekey)
    first = starts[run_ids(starts, len(ekey))]
    dup_of = np.where(first == np.arange(len(ekey)), "", ids[first])
    return t.select(SURVIVOR.names).append_column("dup_of", pa.array(dup_of.tolist(), pa.string()))


def exact_dedup(survivors: Any, partitions: int) -> tuple[Any, Any]:
    """(decision rows of the duplicates, the first copies as SURVIVOR rows); ``survivors`` has EXACT_IN."""

    def prefix(t: pa.Table) -> pa.Table:
        head = [int(e[:15] or "0", 16) for e in t["ekey"].to_pylist()]
        return t.append_column("_k", pa.array(head, pa.int64()))

    keyed = survivors.map_batches(prefix, batch_format="pyarrow")
    done = grouped(keyed, "_k", _exact_groups, partitions).materialize()

    def decisions(t: pa.Table) -> pa.Table:
        t = t.filter(pc.not_equal(t["dup_of"], ""))
        payload = [encode(("exact", k)) for k in t["dup_of"].to_pylist()]
        return table(DECISION, idx=t["idx"], payload=payload)

    def firsts(t: pa.Table) -> pa.Table:
        return t.filter(pc.equal(t["dup_of"], "")).select(SURVIVOR.names)

    return (
        done.map_batches(decisions, batch_format="pyarrow"),
        done.map_batches(firsts, batch_format="pyarrow"),
    )


# -- near dedup: candidates ---------------------------------------------------------------


def _band_rows(t: pa.Table, bands: int, rows: int, num_perm: int) -> pa.Table:
    n = t.num_rows
    sig = pc.binary_slice(t["sig"], 0, num_perm * 4)  # the signature part of the fingerprint
    keys = mh.band_hashes(sig_matrix(sig, num_perm), bands, rows)
    take = np.repeat(np.arange(n), bands)
    return table(
        BAND,
        band=np.tile(np.arange(bands, dtype=np.int64), n),
        h=keys.ravel().view(np.int64),
        idx=column(t, "idx")[take],
        sig=sig.take(pa.array(take)),
    )


def _bucket_edges(t: pa.Table, floor: float, window: int, num_perm: int) -> pa.Table:
    """Candidate pairs of the buckets: members in input order, each with the next ``window`` members,
    kept when their estimated Jaccard reaches ``floor``. The pairing is ``minhash.candidate_pairs``'s."""
    t = t.sort_by([("band", "ascending"), ("h", "ascending"), ("idx", "ascending")])
    band, h, idx = column(t, "band"), column(t, "h"), column(t, "idx")
    left, right = [], []
    for d in range(1, window + 1):
        hit = (band[d:] == band[:-d]) & (h[d:] == h[:-d])
        if not hit.any():
            break
        pos = np.flatnonzero(hit)
        left.append(pos)
        right.append(pos + d)
    if not left:
        return EDGE.empty_table()
    left, right = np.concatenate(left), np.concatenate(right)
    rows = np.unique(np.concatenate([left, right]))
    sigs = np.zeros((len(t), num_perm), dtype=np.uint32)
    sigs[rows] = sig_matrix(t["sig"].take(pa.array(rows)), num_perm)
    ok = mh.estimate_jaccard(sigs, left, right) >= floor
    return table(EDGE, u=idx[left[ok]], v=idx[right[ok]], flag=np.zeros(int(ok.sum()), dtype=np.int8))


# -- near dedup: verdicts ------------------------------------------------------------------

OWN, LEAF, CENTRE, PAIR = 0, 1, 2, 3  # ATTACH roles, in the order they sort within a node


def _survivor_side(t: pa.Table) -> pa.Table:
    n = t.num_rows
    return table(
        ATTACH,
        key=t["idx"],
        role=np.full(n, OWN, dtype=np.int8),
        other=np.full(n, -1),
        id=t["id"],
        sig=t["sig"],
        length=t["length"],
    )


def _placeholders(key: np.ndarray, role: np.ndarray, other: np.ndarray) -> pa.Table:
    n = len(key)
    return table(
        ATTACH, key=key, role=role, other=other, id=[""] * n, sig=[b""] * n, length=np.zeros(n, np.int64)
    )


def _star_side(t: pa.Table) -> pa.Table:
    t = t.filter(pc.equal(t["flag"], 0))
    leaf, centre = column(t, "u"), column(t, "v")
    n = len(leaf)
    role = np.concatenate([np.full(n, LEAF, dtype=np.int8), np.full(n, CENTRE, dtype=np.int8)])
    return _placeholders(np.concatenate([leaf, centre]), role, np.concatenate([centre, centre]))


def _edge_side(t: pa.Table) -> pa.Table:
    u, v = column(t, "u"), column(t, "v")
    return _placeholders(u, np.full(len(u), PAIR, dtype=np.int8), v)


def _attach(t: pa.Table) -> pa.Table:
    """Each clustered node's id, fingerprint and length, and its candidate edges, addressed to its
    component's centre.

    Per node: its own row (role OWN), from the stars a LEAF row (naming the centre) or CENTRE
    rows, and a PAIR row per candidate edge it starts. A node alone has only its own row: nothing.
    """
    t = t.sort_by([("key", "ascending"), ("role", "ascending")])
    key, role, other = column(t, "key"), column(t, "role"), column(t, "other")
    starts = runs(key)
    ends = np.append(starts[1:], len(key))
    clustered = np.flatnonzero(ends - starts > 1)
    own = starts[clustered]  # OWN sorts first
    nxt = own + 1  # the LEAF row if there is one (it sorts before CENTRE and PAIR), else another
    centre_of = np.full(len(starts), -1)
    centre_of[clustered] = np.where(role[nxt] == LEAF, other[nxt], key[own])
    pairs = np.flatnonzero(role == PAIR)
    rows = pa.array(own)
    n_pairs = len(pairs)
    return table(
        MEMBER,
        c=np.concatenate([centre_of[clustered], centre_of[run_ids(starts, len(key))[pairs]]]),
        node=np.concatenate([key[own], key[pairs]]),
        other=np.concatenate([np.full(len(own), -1), other[pairs]]),
        id=t["id"].take(rows).to_pylist() + [""] * n_pairs,
        sig=t["sig"].take(rows).to_pylist() + [b""] * n_pairs,
        length=np.concatenate([column(t, "length")[own], np.zeros(n_pairs, np.int64)]),
    )


def _components(t: pa.Table, step: Any) -> pa.Table:
    """Verdict rows of each component, settled by ``step`` as the local engine settles the corpus."""
    t = t.sort_by([("c", "ascending"), ("other", "ascending"), ("node", "ascending")])
    c, nodes, other, lengths = column(t, "c"), column(t, "node"), column(t, "other"), column(t, "length")
    ids, keys = t["id"].to_pylist(), t["sig"].to_pylist()
    starts = runs(c)
    ends = np.append(starts[1:], len(c))
    out_idx: list[np.ndarray] = []
    payload: list[bytes] = []
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        split = lo + int(np.searchsorted(other[lo:hi], 0))  # members (other = -1) sort first
        members = nodes[lo:split]
        every = Sketches.from_keys((np.frombuffer(k, dtype=np.uint32) for k in keys[lo:split]), step.num_perm)
        u = np.searchsorted(members, nodes[split:hi])
        v = np.searchsorted(members, other[split:hi])
        pairs = np.unique(np.stack([np.minimum(u, v), np.maximum(u, v)], axis=1), axis=0)
        labels, kept, sims = step.settle(every, pairs.reshape(-1, 2), lengths[lo:split])
        size = np.bincount(labels, minlength=len(members))[labels]
        sim32 = sims.astype(np.float32)
        names = ids[lo:split]
        for i, (j, s) in enumerate(zip(kept.tolist(), size.tolist(), strict=True)):
            payload.append(encode(("near", i == j, names[j], int(s), 1.0 if i == j else float(sim32[i]))))
        out_idx.append(members)
    idx = np.concatenate(out_idx) if out_idx else np.zeros(0, np.int64)
    return table(DECISION, idx=idx, payload=payload)


def near_dedup(survivors: Any, step: Any, partitions: int) -> tuple[Any | None, dict[str, int]]:
    """Decision rows for the documents in candidate components of two or more (None if there are
    none), and figures.

    ``survivors`` has SURVIVOR rows (the documents exact dedup kept, ``sig`` their whole
    near-dedup fingerprint); ``step`` is the ``NearDedup`` whose parameters apply.
    """
    bands, rows = step.band_rows
    num_perm = step.num_perm
    band_rows = survivors.map_batches(
        _band_rows, batch_format="pyarrow", fn_kwargs={"bands": bands, "rows": rows, "num_perm": num_perm}
    )
    edges = grouped(
        band_rows,
        "h",
        _bucket_edges,
        partitions,
        floor=step.candidate_floor,
        window=mh.PAIR_WINDOW,
        num_perm=num_perm,
    ).materialize()
    n_edges = edges.count()
    figures = {"candidate_edges": n_edges, "rounds": 0}
    if n_edges == 0:
        return None, figures
    stars, figures["rounds"] = connected_components(edges, partitions)
    attach = (
        survivors.map_batches(_survivor_side, batch_format="pyarrow")
        .union(stars.map_batches(_star_side, batch_format="pyarrow"))
        .union(edges.map_batches(_edge_side, batch_format="pyarrow"))
    )
    members = grouped(attach, "key", _attach, partitions)
    verdicts = grouped(members, "c", _components, partitions, step=step)
    return verdicts, figures


def encode(decision: tuple[Any, ...]) -> bytes:
    """A decision row's payload: JSON (ASCII escapes keep a lone surrogate in an id), never pickle."""
    return json.dumps(decision, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def decode(payload: bytes) -> tuple[Any, ...]:
    """A decision row's payload back; anything but what ``encode`` writes is a BuildError."""
    try:
        decision = json.loads(payload)
    except ValueError as exc:
        raise BuildError(f"engine ray: a dedup decision is not JSON ({exc}); {_AGAIN}") from None
    if isinstance(decision, list) and decision[:1] == ["exact"] and len(decision) == 2:
        return tuple(decision)
    if isinstance(decision, list) and decision[:1] == ["near"] and len(decision) == 5:
        return tuple(decision)
    raise BuildError(f"engine ray: not a dedup decision: {payload[:80]!r}; {_AGAIN}")


_AGAIN = "the build's dedup decisions are damaged: build again into an empty output folder"
