"""Clusters of verified near-duplicate pairs, and the document each cluster keeps.

Two rules, both pure numpy/Python over an edge list (no text, no signatures):

* ``star_clusters`` (the default): documents are taken in keep order (earliest first, or
  longest first); each joins the most similar *kept* document it was verified against, or
  is kept itself. Every removed document is at or above the threshold with the document
  kept in its place, so clusters cannot chain: a~b and b~c never put c with a unless c is
  itself close to a. A document that matches any kept document joins one, so recall is kept.
* ``connected_components``: union-find over the verified pairs; a chain a~b~c is one
  cluster however far a is from c (templated pages form long chains).

``choose_kept`` picks a component's kept document; a star's kept document is its centre.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from corpus.errors import ConfigError


def connected_components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Label of each of ``n`` nodes = smallest node index in its component.

    Union-find in numpy: hook each edge's larger root onto the smaller one, then jump
    pointers until every node points at its root; repeat until no edge joins two roots.

    >>> connected_components(6, np.array([[4, 5], [1, 4], [2, 3]])).tolist()
    [0, 1, 2, 2, 1, 1]
    """
    parent = np.arange(n, dtype=np.int64)
    if len(pairs) == 0:
        return parent
    u, v = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    while True:
        pu, pv = parent[u], parent[v]
        joins = pu != pv
        if not joins.any():
            return parent
        u, v = u[joins], v[joins]
        np.minimum.at(parent, np.maximum(pu[joins], pv[joins]), np.minimum(pu[joins], pv[joins]))
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


def keep_rank(keep: str, n: int, lengths: np.ndarray | None = None, first: int = 0) -> np.ndarray:
    """Each node's place in keep order (0 = kept before all others).

    ``first``: the nodes ``0..first-1`` (an index of earlier documents) come before all others
    whatever the rule. ``first``: input order. ``longest``: longest first, ties by input order.

    >>> keep_rank("longest", 4, np.array([5, 9, 9, 1])).tolist()
    [2, 0, 1, 3]
    """
    if keep == "first":
        return np.arange(n, dtype=np.int64)
    if keep != "longest":
        raise ConfigError(f"keep_rank: keep must be 'first' or 'longest'; got {keep!r}")
    if lengths is None or len(lengths) != n:
        given = "none" if lengths is None else str(len(lengths))
        raise ConfigError(f"keep_rank: keep='longest' needs one length per node; got {given} for {n}")
    idx = np.arange(n)
    indexed = idx < first
    order = np.lexsort((idx, -np.asarray(lengths, dtype=np.int64), ~indexed))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = idx
    return rank


def star_clusters(
    n: int,
    pairs: np.ndarray,
    sims: np.ndarray,
    rank: np.ndarray | None = None,
    *,
    first: int = 0,
    floor: float | None = None,
    similarity: Callable[[int, np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(labels, similarity)``: each node's centre (itself when kept) and its similarity to it.

    ``pairs`` are verified pairs (similarity at or above the threshold). Centres are chosen
    most connected first (ties in ``rank`` order; the nodes ``0..first-1``, an index of
    earlier documents, before all): a node becomes a centre when no centre chosen before it is
    its pair. So the original of several edited copies is the centre, not whichever copy came
    first. Then each other node, in the same order, joins the most similar centre it is paired
    with, provided it is at least ``floor`` similar to every member already there (asked of
    ``similarity(node, members)`` only where the triangle inequality of Jaccard distance does not
    already promise it); a node that fits nowhere stays alone.

    >>> labels, sim = star_clusters(4, np.array([[0, 1], [1, 2], [2, 3]]), np.array([0.9, 0.9, 0.95]))
    >>> labels.tolist(), sim.tolist()
    ([1, 1, 3, 3], [0.9, 1.0, 0.95, 1.0])
    """
    labels = np.arange(n, dtype=np.int64)
    similarity_out = np.ones(n, dtype=np.float64)
    if len(pairs) == 0:
        return labels, similarity_out
    rank = np.arange(n, dtype=np.int64) if rank is None else np.asarray(rank, dtype=np.int64)
    u = np.concatenate([pairs[:, 0], pairs[:, 1]]).astype(np.int64)
    v = np.concatenate([pairs[:, 1], pairs[:, 0]]).astype(np.int64)
    s = np.concatenate([sims, sims]).astype(np.float64)
    by = np.lexsort((rank[v], -s, u))  # each node's pairs, most similar first, ties by rank
    u, v, s = u[by], v[by], s[by]
    start = np.searchsorted(u, np.arange(n + 1))
    degree = np.diff(start)
    order = np.lexsort((rank, -degree, np.arange(n) >= first))
    order = order[degree[order] > 0].tolist()
    centre = np.zeros(n, dtype=bool)
    for x in order:
        if not centre[v[start[x] : start[x + 1]]].any():
            centre[x] = True
    members: dict[int, tuple[list[int], list[float]]] = {}  # centre -> members, their distance to it
    for x in order:
        if centre[x]:
            continue
        lo, hi = start[x], start[x + 1]
        for c, sim in zip(v[lo:hi].tolist(), s[lo:hi].tolist(), strict=True):
            if not centre[c]:
                continue
            nodes, dists = members.setdefault(c, ([], []))
            if floor is not None and nodes:
                # d(x, m) <= d(x, c) + d(c, m): only members farther than that from c are asked.
                far = np.asarray(dists) > (1 - floor) - (1 - sim)
                if far.any() and (
                    similarity is None or (similarity(x, np.asarray(nodes)[far]) < floor).any()
                ):
                    continue
            labels[x], similarity_out[x] = c, sim
            nodes.append(x)
            dists.append(1 - sim)
            break
    return labels, similarity_out


def choose_kept(labels: np.ndarray, keep: str = "first", lengths: np.ndarray | None = None) -> np.ndarray:
    """Index of the document kept for each document's component.

    ``first``: the earliest in input order (the label itself). ``longest``: the longest
    text, ties to the earliest. Wrong arguments are a ConfigError (this is public API).

    >>> labels = np.array([0, 1, 0, 1, 0])
    >>> choose_kept(labels, "longest", np.array([3, 9, 7, 9, 7])).tolist()
    [2, 1, 2, 1, 2]
    """
    if keep == "first":
        return labels.copy()
    if keep != "longest":
        raise ConfigError(f"choose_kept: keep must be 'first' or 'longest'; got {keep!r}")
    if lengths is None or len(lengths) != len(labels):
        given = "none" if lengths is None else str(len(lengths))
        raise ConfigError(
            f"choose_kept: keep='longest' needs one length per label; got {given} for {len(labels)}"
        )
    idx = np.arange(len(labels))
    order = np.lexsort((idx, -np.asarray(lengths, dtype=np.int64), labels))
    head = np.ones(len(order), dtype=bool)
    head[1:] = labels[order][1:] != labels[order][:-1]
    best = np.empty(len(labels), dtype=np.int64)
    best[labels[order][head]] = order[head]
    return best[labels]
