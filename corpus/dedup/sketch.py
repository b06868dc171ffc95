"""What near dedup keeps per document: a MinHash signature for finding candidates, and the
document's shingle set for verifying them exactly.

Why exact verification: a 128-value MinHash estimates Jaccard with a standard error of
``sqrt(J(1-J)/128)``, 0.035 at J = 0.8. Deciding on the estimate merges pairs of J ~ 0.7 and
misses pairs of J ~ 0.85 by the luck of the seed (pairwise F1 on the natural near-duplicates of
../shared/eval/neardup moved between 0.83 and 0.92 over ten seeds). So the signature only
proposes candidates (``CANDIDATE_MARGIN`` under the threshold, which a pair of J at the
threshold misses with probability ~1e-5), and a candidate is decided on the Jaccard of the two
documents' sets of shingle hashes.

The set is held compactly: the sorted distinct shingle hashes cut to their top 32 bits, 4 bytes
per distinct shingle (``Sketches``: one flat uint32 array and offsets for a batch). Cutting to
32 bits makes two distinct shingles of two documents share a value with probability 2**-32:
for documents of 1,000 shingles each the chance that any false match moves their Jaccard is
about 2e-4, and then by one shingle in the union. That is the only error.

A document's fingerprint (what travels from the map to the decide phase) is one uint32 array:
its ``num_perm`` signature values, then its set (``Sketches.__getitem__``; empty set part when
verification is by signature).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from corpus.errors import ConfigError

CANDIDATE_MARGIN = 0.15  # candidates: estimated Jaccard >= threshold - this (4 standard errors at 0.8)
_LOW32 = np.uint64(0xFFFFFFFF)


def shingle_sets(hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per document, its sorted distinct shingle hashes cut to the top 32 bits; flat, with offsets.

    >>> hashes = np.array([3 << 32, 1 << 32, 3 << 32, 7 << 32], np.uint64)
    >>> values, offs = shingle_sets(hashes, np.array([0, 3, 4]))
    >>> values.tolist(), offs.tolist()
    ([1, 3, 7], [0, 2, 3])
    """
    n = len(offsets) - 1
    owner = np.repeat(np.arange(n, dtype=np.uint64), np.diff(offsets))
    key = (owner << np.uint64(32)) | (hashes >> np.uint64(32))
    key.sort()
    distinct = np.ones(len(key), dtype=bool)
    distinct[1:] = key[1:] != key[:-1]
    key = key[distinct]
    out = np.searchsorted(key >> np.uint64(32), np.arange(n + 1, dtype=np.uint64)).astype(np.int64)
    return (key & _LOW32).astype(np.uint32), out


def exact_jaccard(values: np.ndarray, offsets: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Jaccard of the sets of documents ``left[k]`` and ``right[k]`` (float64).

    >>> values, offs = np.array([1, 2, 3, 4, 2, 3, 4, 5], np.uint32), np.array([0, 4, 8])
    >>> exact_jaccard(values, offs, np.array([0]), np.array([1])).tolist()
    [0.6]
    """
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    out = np.empty(len(left), dtype=np.float64)
    a_lo, a_hi = offsets[left].tolist(), offsets[left + 1].tolist()
    b_lo, b_hi = offsets[right].tolist(), offsets[right + 1].tolist()
    bounds = zip(a_lo, a_hi, b_lo, b_hi, strict=True)
    for k, (a0, a1, b0, b1) in enumerate(bounds):
        a, b = values[a0:a1], values[b0:b1]
        if len(a) > len(b):
            a, b = b, a
        if len(a) == 0:
            out[k] = 1.0 if len(b) == 0 else 0.0
            continue
        inter = int(np.count_nonzero(b.take(np.searchsorted(b, a), mode="clip") == a))
        out[k] = inter / (len(a) + len(b) - inter)
    return out


@dataclass(frozen=True, eq=False)
class Sketches(Sequence):
    """Signatures ``(n, num_perm)`` uint32 and the shingle sets of ``n`` documents.

    Item ``i`` is document i's fingerprint: signature then set, one uint32 array.
    ``values``/``offsets`` are empty/zeros when the sets were not kept (verify by signature).
    """

    sigs: np.ndarray
    values: np.ndarray
    offsets: np.ndarray

    @classmethod
    def of(
        cls, sigs: np.ndarray, values: np.ndarray | None = None, offsets: np.ndarray | None = None
    ) -> Sketches:
        """Sketches of signatures alone (``values`` None) or of signatures and sets."""
        if values is None:
            return cls(sigs, np.zeros(0, np.uint32), np.zeros(len(sigs) + 1, np.int64))
        return cls(sigs, values, offsets)

    @property
    def has_sets(self) -> bool:
        return len(self.values) > 0 or len(self.sigs) == 0

    def __len__(self) -> int:
        return len(self.sigs)

    def __getitem__(self, i: int) -> np.ndarray:  # type: ignore[override]
        i = range(len(self))[i]
        return np.concatenate([self.sigs[i], self.values[self.offsets[i] : self.offsets[i + 1]]])

    def take(self, rows: np.ndarray) -> Sketches:
        """The sketches of documents ``rows``, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(self.values) == 0:  # signatures only
            return Sketches.of(self.sigs[rows])
        sizes = np.diff(self.offsets)[rows]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        starts = np.repeat(self.offsets[rows] - offsets[:-1], sizes)
        return Sketches(self.sigs[rows], self.values[starts + np.arange(offsets[-1])], offsets)

    @property
    def nbytes(self) -> int:
        """Bytes held: signatures, set values and offsets."""
        return self.sigs.nbytes + self.values.nbytes + self.offsets.nbytes

    @classmethod
    def from_keys(cls, keys: Iterable[np.ndarray], num_perm: int) -> Sketches:
        """Sketches of fingerprints as ``__getitem__`` gives them (signature then set)."""
        keys = list(keys)
        if any(len(k) < num_perm for k in keys):
            short = min(len(k) for k in keys)
            raise ConfigError(
                f"near_dedup: a fingerprint has {short} values, fewer than num_perm={num_perm}; "
                "pass what fingerprint() of a step with the same num_perm gives"
            )
        sigs = np.array([k[:num_perm] for k in keys], dtype=np.uint32).reshape(len(keys), num_perm)
        sizes = np.array([len(k) - num_perm for k in keys], dtype=np.int64)
        offsets = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        values = (
            np.concatenate([k[num_perm:] for k in keys]).astype(np.uint32) if keys else np.zeros(0, np.uint32)
        )
        return cls(sigs, values, offsets)

    @classmethod
    def concat(cls, parts: Sequence[Sketches], num_perm: int) -> Sketches:
        """One Sketches of several, in order."""
        if not parts:
            return cls.of(np.zeros((0, num_perm), np.uint32))
        sizes = [np.diff(p.offsets) for p in parts]
        offsets = np.zeros(sum(len(p) for p in parts) + 1, dtype=np.int64)
        np.cumsum(np.concatenate(sizes), out=offsets[1:])
        return cls(
            np.concatenate([p.sigs for p in parts]), np.concatenate([p.values for p in parts]), offsets
        )
