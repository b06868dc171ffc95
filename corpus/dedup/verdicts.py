"""What near dedup decided, per document: ``NearDupResult`` (arrays) and the verdicts made from it.

Kept apart from the clustering (``corpus.dedup.near``) because both engines turn decisions into
verdicts the same way (``verdict``), and a list of verdicts is made only when asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corpus.dedup.base import Verdict


@dataclass
class NearDupResult:
    """Per-document decisions of ``NearDedup.cluster`` (arrays over the clustered documents).

    Indices (``cluster_id``, ``kept_index``) count the indexed documents first: index
    ``offset + i`` is the i-th clustered document; below ``offset`` is an indexed one.
    """

    keep: np.ndarray  # bool
    cluster_id: np.ndarray  # int64: index of the cluster's kept document
    cluster_size: np.ndarray  # int64: documents in the cluster, indexed ones included
    kept_index: np.ndarray  # int64: same as cluster_id (the document kept in its place)
    similarity: np.ndarray  # float32: Jaccard to the kept document (exact with verify: exact; 1 when kept)
    ids: list[str] | None = None  # indexed ids + clustered ids, when known
    offset: int = 0  # number of indexed documents

    def kept_id(self, i: int) -> str:
        """Id of the document kept in place of clustered document ``i``."""
        return self.ids[int(self.kept_index[i])] if self.ids else str(int(self.kept_index[i]))

    def removed(self) -> list[dict[str, Any]]:
        """Every removed document: its id, the kept id and the estimated similarity."""
        return [
            {
                "id": self.ids[self.offset + i] if self.ids else str(self.offset + i),
                "kept_id": self.kept_id(i),
                "similarity": round(float(self.similarity[i]), 3),
            }
            for i in np.flatnonzero(~self.keep)
        ]


def verdict(keep: bool, kept_id: str, cluster_size: int, similarity: float, *, annotate: bool) -> Verdict:
    """The verdict on one clustered document; shared by ``NearDedup.resolve`` and the Ray engine.

    >>> verdict(False, "a", 2, 0.87654, annotate=True).details
    {'kept_id': 'a', 'similarity': 0.8765}
    """
    if keep:
        fields = {"near_dup_cluster": kept_id, "near_dup_cluster_size": cluster_size} if annotate else {}
        return Verdict(True, fields=fields)
    sim = round(similarity, 4)
    note = f"near duplicate of {kept_id} (J~{sim:.2f})"
    return Verdict(False, "near_duplicate", note, details={"kept_id": kept_id, "similarity": sim})


class LazyVerdicts(Sequence):
    """The verdicts of a clustering, made when asked for: a list of them costs ~0.5 KB per document."""

    def __init__(self, result: NearDupResult, annotate: bool) -> None:
        self.result, self.annotate = result, annotate

    def __len__(self) -> int:
        return len(self.result.keep)

    def __getitem__(self, i: int) -> Verdict:  # type: ignore[override]
        result = self.result
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return verdict(
            bool(result.keep[i]),
            result.kept_id(i),
            int(result.cluster_size[i]),
            float(result.similarity[i]),
            annotate=self.annotate,
        )
