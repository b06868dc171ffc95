"""Near-duplicate removal: MinHash signatures, LSH candidates, verified, clustered, one kept per cluster.

Map side: ``fingerprint(doc)`` / ``fingerprint_batch(docs)`` give uint32 signatures (pure).
Reduce side, as a global step: ``collect`` keeps only the signature, length and id of
each document (``num_perm * 4 + ~100`` bytes, never text); ``resolve`` clusters them all
at once (``cluster``) and returns one verdict per document. ``admit`` is the streaming
form for plain-Python use: keep-first against an LSH index of the documents kept so far.

Global clusters are connected components of verified candidate pairs (estimated
Jaccard >= threshold), so a chain a~b~c is one cluster even when a and c differ more;
the streaming form joins each document to one kept document only. Both keep the
earliest document by default, so on typical data they agree.

An index (signatures of a finished build's kept documents) can be saved beside its
shards and loaded by a later build (option ``index``): documents matching an indexed
document are removed as its near duplicates. Its files are ``corpus.dedup.index``'s.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from corpus.dedup import minhash as mh
from corpus.dedup.base import GlobalStep, Verdict, fold
from corpus.dedup.index import INDEX_DIR, check_params, load_index, save_index
from corpus.document import Document
from corpus.errors import ConfigError
from corpus.options import Option
from corpus.stages.base import Outcome

KEEP_RULES = ("first", "longest")
# components: connected components of verified pairs (union-find); star: each document joins its
# most similar earlier centre, so near-template chains do not merge (scripts/eval/neardup.py).
CLUSTER_RULES = ("components", "star")
# LSH weights: verification removes false-positive candidates cheaply, a missed candidate is
# lost for good, so the band choice weighs false negatives 9:1 (0.8 and 128 perm -> 14 x 9;
# datasketch's 1:1 gives 9 x 13, whose recall on the natural DEV set is 0.82 against 0.92).
FP_WEIGHT, FN_WEIGHT = 0.1, 0.9


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
    similarity: np.ndarray  # float32: estimated Jaccard to the kept document (1 when kept)
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


class _Verdicts(Sequence):
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


class NearDedup(GlobalStep):
    """Drop near-duplicate documents (reason ``near_duplicate``), keeping one per cluster."""

    name = "near_dedup"
    OPTIONS: ClassVar[dict[str, Option]] = {
        "threshold": Option(
            0.8, "estimated Jaccard at which two documents are duplicates; > 0", kind=float, min=0, max=1
        ),
        "num_perm": Option(128, "MinHash permutations (signature length)", kind=int, min=1),
        "ngram": Option(5, "words per shingle", kind=int, min=1),
        "seed": Option(0, "seed of the hash permutations", kind=int, min=0),
        "keep": Option("first", "which document of a cluster is kept", choices=KEEP_RULES),
        "cluster_by": Option("components", "how verified pairs form clusters", choices=CLUSTER_RULES),
        "annotate": Option(
            True, "set near_dup_cluster and near_dup_cluster_size on kept documents", kind=bool
        ),
        "bands": Option(
            None, "LSH bands (with rows; null: chosen from threshold and num_perm)", kind=int, min=1
        ),
        "rows": Option(None, "LSH rows per band (with bands)", kind=int, min=1),
        "index": Option(None, "an earlier build's near_dedup_index/ to dedup against", kind=str),
    }

    def configure(self) -> None:
        if self.threshold == 0:  # the declaration's range is inclusive; 0 would join every candidate
            raise ConfigError(f"near_dedup.threshold: expected a number in (0, 1]; got {self.threshold!r}")
        if (self.bands is None) != (self.rows is None):
            raise ConfigError(
                f"near_dedup.bands, near_dedup.rows: give both or neither; got bands={self.bands!r}, "
                f"rows={self.rows!r}"
            )
        if self.bands is not None and self.bands * self.rows > self.num_perm:
            raise ConfigError(
                f"near_dedup.bands, near_dedup.rows: bands x rows = {self.bands * self.rows} exceeds "
                f"num_perm {self.num_perm}; lower them or raise num_perm"
            )
        self._band_rows = (
            (self.bands, self.rows) if self.bands is not None else _optimal(self.threshold, self.num_perm)
        )
        self._ab: tuple[np.ndarray, np.ndarray] | None = None
        self._index_data: tuple[np.ndarray, list[str]] | None = None
        self.reset()

    # -- parameters --------------------------------------------------------------------

    @property
    def band_rows(self) -> tuple[int, int]:
        """``(bands, rows)``: the override, or the weighted optimum for threshold and num_perm."""
        return self._band_rows

    def params(self) -> dict[str, Any]:
        """What an index must agree on to be comparable with this step's signatures."""
        bands, rows = self.band_rows
        return {
            "num_perm": self.num_perm,
            "ngram": self.ngram,
            "seed": self.seed,
            "hash": "affine64-top32",
            "bands": bands,
            "rows": rows,
        }

    def _perm(self) -> tuple[np.ndarray, np.ndarray]:
        if self._ab is None:
            self._ab = mh.permutations(self.num_perm, self.seed)
        return self._ab

    # -- map side ----------------------------------------------------------------------

    def fingerprint_batch(self, docs: list[Document]) -> np.ndarray:
        """Signatures ``(len(docs), num_perm)`` uint32; row i equals ``fingerprint(docs[i])``."""
        return self.fingerprint_folded([fold(d.text) for d in docs])

    takes_folded = True

    def fingerprint_folded(self, folded: Sequence[str]) -> np.ndarray:
        """``fingerprint_batch`` of documents given as ``fold(text)``."""
        if not folded:
            return np.zeros((0, self.num_perm), dtype=np.uint32)
        hashes, offsets = mh.shingle_hashes(folded, self.ngram, normalized=True)
        return mh.signatures(hashes, offsets, *self._perm())

    def fingerprint(self, doc: Document) -> np.ndarray:
        return self.fingerprint_batch([doc])[0]

    # -- global phase ------------------------------------------------------------------

    def cluster(
        self,
        signatures: np.ndarray,
        lengths: np.ndarray | None = None,
        ids: list[str] | None = None,
        *,
        index: tuple[np.ndarray, list[str]] | None = None,
    ) -> NearDupResult:
        """Cluster all documents (stable input order) and pick the one kept per cluster.

        ``index`` (signatures, ids) are earlier documents that are always kept: a document
        in their cluster is removed in favour of the earliest indexed one.
        """
        self._check_input(signatures, lengths, ids)
        index = index if index is not None else self._loaded_index()
        n_new = len(signatures)
        offset = 0 if index is None else len(index[0])
        sigs = signatures if index is None else np.concatenate([index[0], signatures])
        bands, rows = self.band_rows
        pairs = mh.candidate_pairs(mh.band_hashes(sigs, bands, rows))
        est = mh.estimate_jaccard(sigs, pairs[:, 0], pairs[:, 1])
        verified = est >= self.threshold
        if self.cluster_by == "star":
            labels = mh.star_clusters(len(sigs), pairs[verified], est[verified])
        else:
            labels = mh.connected_components(len(sigs), pairs[verified])
        if self.keep == "longest":
            # Indexed documents win their clusters whatever their length.
            full = np.concatenate([np.full(offset, np.iinfo(np.int64).max), np.asarray(lengths)])
            kept = mh.choose_kept(labels, "longest", full)
        else:
            kept = mh.choose_kept(labels, "first")
        kept = kept[offset:]
        mine = np.arange(offset, offset + n_new)
        keep = kept == mine
        similarity = np.ones(n_new, dtype=np.float32)
        gone = np.flatnonzero(~keep)
        similarity[gone] = mh.estimate_jaccard(sigs, gone + offset, kept[gone])
        size = np.bincount(labels, minlength=len(sigs))[labels[offset:]]
        all_ids = None if ids is None else (list(index[1]) if index is not None else []) + list(ids)
        return NearDupResult(keep, kept.copy(), size, kept, similarity, all_ids, offset)

    def _check_input(self, signatures: Any, lengths: Any, ids: list[str] | None) -> None:
        """ConfigError, naming the argument, for input ``cluster`` cannot use (numpy would say less)."""
        shape = getattr(signatures, "shape", None)
        if shape is None or len(shape) != 2 or shape[1] != self.num_perm:
            raise ConfigError(
                f"near_dedup.cluster: signatures must be an (n, {self.num_perm}) array, as fingerprint_batch "
                f"gives with num_perm={self.num_perm}; got shape {shape}"
            )
        if self.keep == "longest" and lengths is None:
            raise ConfigError(
                "near_dedup.keep: 'longest' needs the documents' lengths; pass cluster(..., lengths)"
            )
        for name, given in (("lengths", lengths), ("ids", ids)):
            if given is not None and len(given) != shape[0]:
                raise ConfigError(
                    f"near_dedup.cluster: {len(given)} {name} for {shape[0]} signatures; "
                    "pass one per document"
                )

    def collect(self, key: np.ndarray, doc: Document) -> None:
        if self._count == len(self._sigs):
            # Grow by a quarter: the slack is at most 25% of 512 B a document (doubling: up to 100%).
            # (np.resize would return a view of a base array of whole copies: up to twice that.)
            grown = np.empty((max(1024, len(self._sigs) * 5 // 4), self.num_perm), dtype=np.uint32)
            grown[: self._count] = self._sigs[: self._count]
            self._sigs = grown
        self._sigs[self._count] = key
        self._count += 1
        self._ids.append(doc.id)
        self._lengths.append(len(doc.text))  # an array("q"): 8 bytes a document

    def resolve(self) -> Sequence[Verdict]:
        sigs = self._sigs[: self._count]
        result = self.cluster(sigs, np.frombuffer(self._lengths, dtype=np.int64), self._ids)
        self.last_result, self._last_sigs = result, sigs
        return _Verdicts(result, self.annotate)

    def save_index(
        self, path: str | Path, signatures: np.ndarray | None = None, ids: list[str] | None = None
    ) -> Path:
        """Save an index; by default the kept documents of the last ``resolve`` (plus any loaded index)."""
        if signatures is None:
            result = self.last_result
            if result is None:
                raise ConfigError(
                    "near_dedup.save_index: nothing clustered yet; "
                    "call it after a build, or pass signatures and ids"
                )
            signatures, ids = (
                self._last_sigs[result.keep],
                [self._ids[i] for i in np.flatnonzero(result.keep)],
            )
            loaded = self._loaded_index()
            if loaded is not None:
                signatures, ids = np.concatenate([loaded[0], signatures]), list(loaded[1]) + ids
        return save_index(path, signatures, list(ids or []), self.params())

    def save(self, root: Path) -> list[Path]:
        """The build's index of kept documents, for ``--dedup-against`` by a later build."""
        folder = Path(root) / INDEX_DIR
        self.save_index(folder)
        return sorted(p for p in folder.iterdir() if p.is_file())

    def load_index(self, path: str | Path) -> tuple[np.ndarray, list[str]]:
        """Signatures and ids of a saved index; ConfigError when its params differ from this step's,
        BuildError when it is damaged (``corpus.dedup.index``)."""
        sigs, ids, params = load_index(path)
        check_params(path, params, self.params())
        return sigs, ids

    def _loaded_index(self) -> tuple[np.ndarray, list[str]] | None:
        if self.index is None:
            return None
        if self._index_data is None:
            self._index_data = self.load_index(self.index)
        return self._index_data

    # -- streaming form ----------------------------------------------------------------

    def reset(self) -> None:
        self._sigs = np.zeros((0, self.num_perm), dtype=np.uint32)
        self._count = 0
        self._ids: list[str] = []
        self._lengths = array("q")
        self.last_result: NearDupResult | None = None
        self._last_sigs = self._sigs
        self._buckets: list[dict[int, list[int]]] = [{} for _ in range(self.band_rows[0])]
        self._kept_sigs: list[np.ndarray] = []
        self._kept_ids: list[str] = []
        self._seeded = False  # the streaming index takes a loaded index on first use

    def _seed(self) -> None:
        self._seeded = True
        loaded = self._loaded_index()
        if loaded is not None:
            for sig, doc_id in zip(loaded[0], loaded[1], strict=True):
                self._remember(sig, doc_id)

    def _remember(self, sig: np.ndarray, doc_id: str) -> None:
        slot = len(self._kept_ids)
        for band, h in zip(self._buckets, self._band_keys(sig), strict=True):
            band.setdefault(h, []).append(slot)
        self._kept_sigs.append(sig)
        self._kept_ids.append(doc_id)

    def _band_keys(self, sig: np.ndarray) -> list[int]:
        return mh.band_hashes(sig[None, :], *self.band_rows)[0].tolist()

    def admit(self, key: np.ndarray, doc: Document) -> Outcome:
        """Keep-first: drop the document if a kept one is verified similar, else remember it."""
        if not self._seeded:
            self._seed()
        slots = sorted(
            {s for band, h in zip(self._buckets, self._band_keys(key), strict=True) for s in band.get(h, ())}
        )
        if slots:
            sims = (np.stack([self._kept_sigs[s] for s in slots]) == key).mean(axis=1)
            best = int(np.argmax(sims))  # highest similarity, ties to the earliest kept
            if sims[best] >= self.threshold:
                kept_id = self._kept_ids[slots[best]]
                out = Outcome.drop("near_duplicate")
                out.note = f"near duplicate of {kept_id} (J~{sims[best]:.2f})"
                return out
        self._remember(key, doc.id)
        return Outcome(doc)


def _optimal(threshold: float, num_perm: int) -> tuple[int, int]:
    key = (float(threshold), int(num_perm))
    if key not in _BANDS:
        _BANDS[key] = mh.optimal_bands(threshold, num_perm, FP_WEIGHT, FN_WEIGHT)
    return _BANDS[key]


_BANDS: dict[tuple[float, int], tuple[int, int]] = {}  # a pure function's memo, not state
