"""Duplicate clusters from a build's dropped.jsonl, read as a stream.

A dropped document with a ``kept_id`` was dropped as a duplicate of that kept document: with a
``similarity`` it is a near duplicate (near_dedup's estimated Jaccard), without one an exact
duplicate. A cluster is one kept document and every document dropped as its duplicate; its size
counts the kept document too. Work is capped: past ``MAX_LINES`` lines the rest of the file is
not read (the page says so), and each cluster keeps its first ``MAX_MEMBERS`` members only.

Cluster sizes are charted in buckets, one per size up to 9, then 1-2-5 ranges, so that one cluster
of hundreds does not squeeze the common sizes into slivers:

>>> size_buckets([(2, 40), (3, 7), (5, 1), (12, 2), (310, 1)])[:4]
[('2', 40), ('3', 7), ('4', 0), ('5', 1)]
>>> size_buckets([(2, 40), (3, 7), (5, 1), (12, 2), (310, 1)])[8:]
[('10–19', 2), ('20–49', 0), ('50–99', 0), ('100–199', 0), ('200–499', 1)]
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

MAX_LINES = 500_000
MAX_MEMBERS = 25
TOP = 10


@dataclass
class Cluster:
    kept_id: str
    size: int = 1  # the kept document and its dropped duplicates
    exact: int = 0
    near: int = 0
    members: list[tuple[str, str, float | None]] = field(default_factory=list)  # id, reason, similarity


@dataclass
class Clusters:
    """What the dropped lines say about duplicates."""

    clusters: list[Cluster]  # the TOP largest, by size then kept id
    sizes: list[tuple[int, int]]  # (cluster size, number of clusters), by size
    count: int = 0  # clusters in all
    exact_docs: int = 0  # documents dropped as exact duplicates
    near_docs: int = 0
    lines_read: int = 0
    capped: bool = False  # stopped at MAX_LINES
    bad_lines: int = 0  # lines that were not a JSON object

    @property
    def docs(self) -> int:
        return self.exact_docs + self.near_docs


def size_buckets(sizes: Iterable[tuple[int, int]]) -> list[tuple[str, int]]:
    """(cluster size, clusters) pairs as (bucket label, clusters), every bucket from size 2 up to the
    largest one present, empty ones too (the axis stays honest)."""
    counts = Counter()
    for size, n in sizes:
        counts[_bucket(size)] += n
    if not counts:
        return []
    top = max(counts)
    return [(_label(lo), counts[lo]) for lo in itertools.takewhile(lambda lo: lo <= top, _bounds())]


def _bounds() -> Iterator[int]:
    """Lower bounds of the buckets: 2 .. 9, then 10, 20, 50, 100, 200, 500, ..."""
    yield from range(2, 10)
    scale = 10
    while True:
        yield from (scale, 2 * scale, 5 * scale)
        scale *= 10


def _bucket(size: int) -> int:
    last = 2
    for lo in _bounds():
        if lo > size:
            return last
        last = lo
    raise AssertionError("unreachable")


def _label(lo: int) -> str:
    if lo < 10:
        return str(lo)
    hi = lo * 5 // 2 - 1 if str(lo)[0] == "2" else 2 * lo - 1
    return f"{lo:,}–{hi:,}"


def read_clusters(lines: Iterable[str], max_lines: int = MAX_LINES) -> Clusters:
    """Group the duplicate drops of ``lines`` (dropped.jsonl) by the document they duplicate."""
    by_kept: dict[str, Cluster] = {}
    read = bad = 0
    capped = False
    for line in lines:
        if read >= max_lines:
            capped = True
            break
        read += 1
        if "kept_id" not in line:  # most drops of a filtering build: no need to parse them
            continue
        try:
            row = json.loads(line)
            kept = row["kept_id"]
        except (ValueError, KeyError, TypeError):
            bad += 1
            continue
        if not isinstance(kept, str):
            bad += 1
            continue
        cluster = by_kept.get(kept)
        if cluster is None:
            cluster = by_kept[kept] = Cluster(kept)
        cluster.size += 1
        similarity = row.get("similarity")
        similarity = float(similarity) if isinstance(similarity, (int, float)) else None
        if similarity is None:
            cluster.exact += 1
        else:
            cluster.near += 1
        if len(cluster.members) < MAX_MEMBERS:
            cluster.members.append((str(row.get("id", "")), str(row.get("dropped_by", "")), similarity))
    sizes = Counter(c.size for c in by_kept.values())
    top = sorted(by_kept.values(), key=lambda c: (-c.size, c.kept_id))[:TOP]
    for cluster in top:  # nearest first, exact copies (similarity None) at the top
        cluster.members.sort(key=lambda m: (-(m[2] if m[2] is not None else 2.0), m[0]))
    return Clusters(
        clusters=top,
        sizes=sorted(sizes.items()),
        count=len(by_kept),
        exact_docs=sum(c.exact for c in by_kept.values()),
        near_docs=sum(c.near for c in by_kept.values()),
        lines_read=read,
        capped=capped,
        bad_lines=bad,
    )
