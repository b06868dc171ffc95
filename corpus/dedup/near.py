"""Near-duplicate removal: MinHash candidates, verified exactly, clustered as stars, one kept per cluster.

Map side: ``fingerprint(doc)`` / ``fingerprint_batch(docs)`` give each document's MinHash
signature and, with ``verify: exact`` (the default), its set of shingle hashes
(``corpus.dedup.sketch``; pure). Reduce side, as a global step: ``collect`` keeps only those,
the length and the id of each document (never text); ``resolve`` clusters them all at once
(``cluster``) and returns one verdict per document. ``admit`` is the streaming form for
plain-Python use: each document against an LSH index of the documents kept so far.

How a decision is made: LSH over the signatures proposes candidate pairs (bands chosen so that
a pair at the threshold is proposed with probability 0.995); a candidate whose estimated
Jaccard is within ``CANDIDATE_MARGIN`` of the threshold is verified on the exact Jaccard of the
two shingle sets. Clusters are stars (``corpus.dedup.clusters``): the most connected documents
are kept as centres (ties in keep order), the others join the most similar centre they verified
against, unless that would put two members under ``threshold - spread``. So every removed
document is at or above the threshold with the one kept in its place, and the decisions do not
depend on the seed beyond a candidate missed by LSH. The streaming ``admit`` is keep-first: a
document joins the most similar document kept before it, so it may keep a copy where the
global clustering keeps the original. ``cluster_by: components`` (union-find,
chains) and ``verify: signature`` (decide on the estimate, no sets kept) are the older rules.

An index (a finished build's kept documents) can be saved beside its shards and loaded by a
later build (option ``index``): documents matching an indexed document are removed as its near
duplicates. Its files are ``corpus.dedup.index``'s.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from corpus.dedup import clusters as cl
from corpus.dedup import minhash as mh
from corpus.dedup.base import GlobalStep, Verdict, fold
from corpus.dedup.index import INDEX_DIR, check_params, load_index, save_index
from corpus.dedup.sketch import CANDIDATE_MARGIN, Sketches, exact_jaccard, shingle_sets
from corpus.dedup.verdicts import LazyVerdicts, NearDupResult, verdict  # noqa: F401 (verdict: re-exported)
from corpus.document import Document
from corpus.errors import ConfigError
from corpus.options import Option
from corpus.stages.base import Outcome

KEEP_RULES = ("first", "longest")
# star: each document joins the most similar kept document, so nothing chains past the threshold;
# components: connected components of verified pairs (union-find), chains of templated pages merge.
CLUSTER_RULES = ("star", "components")
# exact: candidates decided on the exact Jaccard of their shingle sets (4 bytes a distinct shingle);
# signature: on the MinHash estimate (no sets kept; the decision moves with the seed).
VERIFY_RULES = ("exact", "signature")
RECALL_AT_THRESHOLD = 0.995  # chance that LSH proposes a pair at the threshold (minhash.recall_bands)


class NearDedup(GlobalStep):
    """Drop near-duplicate documents (reason ``near_duplicate``), keeping one per cluster."""

    name = "near_dedup"
    OPTIONS: ClassVar[dict[str, Option]] = {
        "threshold": Option(
            0.8, "Jaccard at which two documents are duplicates; > 0", kind=float, min=0, max=1
        ),
        "num_perm": Option(128, "MinHash permutations (signature length)", kind=int, min=1),
        "ngram": Option(5, "words per shingle", kind=int, min=1),
        "seed": Option(0, "seed of the hash permutations", kind=int, min=0),
        "keep": Option("first", "which document of a cluster is kept", choices=KEEP_RULES),
        "cluster_by": Option("star", "how verified pairs form clusters", choices=CLUSTER_RULES),
        "verify": Option("exact", "what decides a candidate pair", choices=VERIFY_RULES),
        "spread": Option(
            0.1,
            "star clusters: no two members less alike than threshold - spread; null: no bound",
            kind=float,
            min=0,
            max=1,
            nullable=True,
        ),
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
            (self.bands, self.rows) if self.bands is not None else _bands(self.threshold, self.num_perm)
        )
        self._ab: tuple[np.ndarray, np.ndarray] | None = None
        self._index_data: tuple[Sketches, list[str]] | None = None
        self.reset()

    # -- parameters --------------------------------------------------------------------

    @property
    def band_rows(self) -> tuple[int, int]:
        """``(bands, rows)``: the override, or ``minhash.recall_bands`` of threshold and num_perm."""
        return self._band_rows

    @property
    def exact(self) -> bool:
        """Whether candidates are decided on shingle sets (``verify: exact``)."""
        return self.verify == "exact"

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

    def fingerprint_batch(self, docs: list[Document]) -> Sketches:
        """Sketches of the documents; item i equals ``fingerprint(docs[i])``."""
        return self.fingerprint_folded([fold(d.text) for d in docs])

    takes_folded = True

    def fingerprint_folded(self, folded: Sequence[str]) -> Sketches:
        """``fingerprint_batch`` of documents given as ``fold(text)``."""
        if not folded:
            return Sketches.of(np.zeros((0, self.num_perm), dtype=np.uint32))
        hashes, offsets = mh.shingle_hashes(folded, self.ngram, normalized=True)
        sigs = mh.signatures(hashes, offsets, *self._perm())
        return Sketches(sigs, *shingle_sets(hashes, offsets)) if self.exact else Sketches.of(sigs)

    def fingerprint(self, doc: Document) -> np.ndarray:
        """One uint32 array: the signature, then (``verify: exact``) the shingle set."""
        return self.fingerprint_batch([doc])[0]

    # -- global phase ------------------------------------------------------------------

    def cluster(
        self,
        sketches: Sketches | np.ndarray,
        lengths: np.ndarray | None = None,
        ids: list[str] | None = None,
        *,
        index: tuple[Sketches, list[str]] | None = None,
    ) -> NearDupResult:
        """Cluster all documents (stable input order) and pick the one kept per cluster.

        ``sketches``: what ``fingerprint_batch`` gives (a signature matrix alone will do with
        ``verify: signature``). ``index`` (sketches, ids) are earlier documents that are always
        kept: a document matching one is removed in its favour.
        """
        new = sketches if isinstance(sketches, Sketches) else Sketches.of(np.asarray(sketches))
        self._check_input(new, lengths, ids)
        index = index if index is not None else self._loaded_index()
        offset = 0 if index is None else len(index[0])
        every = new if index is None else Sketches.concat([index[0], new], self.num_perm)
        n = len(every)
        pairs = self.candidates(every.sigs)
        pairs = pairs[(pairs[:, 0] >= offset) | (pairs[:, 1] >= offset)]  # indexed ones stay kept
        full_lengths = None
        if lengths is not None:
            full_lengths = np.concatenate([np.zeros(offset, np.int64), np.asarray(lengths, np.int64)])
        labels, kept, similarity = self.settle(every, pairs, full_lengths, offset)
        kept = kept[offset:]
        keep = kept == np.arange(offset, n)
        size = np.bincount(labels, minlength=n)[labels[offset:]]
        all_ids = None if ids is None else (list(index[1]) if index is not None else []) + list(ids)
        sim = similarity[offset:].astype(np.float32)
        return NearDupResult(keep, kept.copy(), size, kept, sim, all_ids, offset)

    @property
    def candidate_floor(self) -> float:
        """The estimated Jaccard at which an LSH candidate is looked at further."""
        return self.threshold - CANDIDATE_MARGIN if self.exact else self.threshold

    def candidates(self, sigs: np.ndarray) -> np.ndarray:
        """Pairs ``(i, j)``, ``i < j``, sharing an LSH bucket, estimated Jaccard >= ``candidate_floor``."""
        bands, rows = self.band_rows
        pairs = mh.candidate_pairs(mh.band_hashes(sigs, bands, rows))
        return pairs[mh.estimate_jaccard(sigs, pairs[:, 0], pairs[:, 1]) >= self.candidate_floor]

    def settle(
        self, every: Sketches, pairs: np.ndarray, lengths: np.ndarray | None = None, first: int = 0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(labels, kept, similarity)`` of documents ``every`` from their candidate ``pairs``.

        Pairs are verified (exactly, or on the estimate), then clustered. ``labels`` name each
        document's cluster, ``kept`` the document kept for it, ``similarity`` its Jaccard to that
        one (1 when kept). The first ``first`` documents are an index: always kept. Only the
        documents' order, lengths and pairs matter, so a connected part of the candidate graph
        settles the same alone as with everything else (the Ray engine settles parts apart).
        """
        n = len(every)
        sims = self._similarity(every, pairs)
        ok = sims >= self.threshold
        if self.cluster_by == "star":
            rank = cl.keep_rank(self.keep, n, lengths, first=first)
            floor = None if self.spread is None else self.threshold - self.spread

            def alike(x: int, members: np.ndarray) -> np.ndarray:
                both = np.stack([np.full(len(members), x), members], axis=1)
                return self._similarity(every, both)

            kept, similarity = cl.star_clusters(
                n, pairs[ok], sims[ok], rank, first=first, floor=floor, similarity=alike
            )
            return kept, kept, similarity
        labels = cl.connected_components(n, pairs[ok])
        if self.keep == "longest":  # indexed documents win their components whatever their length
            lengths = np.array(lengths, dtype=np.int64)
            lengths[:first] = np.iinfo(np.int64).max
        kept = cl.choose_kept(labels, self.keep, lengths)
        similarity = np.ones(n, dtype=np.float64)
        gone = np.flatnonzero(kept != np.arange(n))
        similarity[gone] = self._similarity(every, np.stack([gone, kept[gone]], axis=1))
        return labels, kept, similarity

    def _similarity(self, every: Sketches, pairs: np.ndarray) -> np.ndarray:
        """The Jaccard that decides each pair (float64): exact with ``verify: exact``, else estimated."""
        if self.exact:
            return exact_jaccard(every.values, every.offsets, pairs[:, 0], pairs[:, 1])
        return mh.estimate_jaccard(every.sigs, pairs[:, 0], pairs[:, 1]).astype(np.float64)

    def _check_input(self, sketches: Sketches, lengths: Any, ids: list[str] | None) -> None:
        """ConfigError, naming the argument, for input ``cluster`` cannot use (numpy would say less)."""
        shape = getattr(sketches.sigs, "shape", None)
        if shape is None or len(shape) != 2 or shape[1] != self.num_perm:
            raise ConfigError(
                f"near_dedup.cluster: signatures must be an (n, {self.num_perm}) array, as fingerprint_batch "
                f"gives with num_perm={self.num_perm}; got shape {shape}"
            )
        if self.exact and not sketches.has_sets:
            raise ConfigError(
                "near_dedup.verify: 'exact' needs the documents' shingle sets; pass the Sketches "
                "fingerprint_batch gives, or set verify: signature"
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
        key = np.asarray(key, dtype=np.uint32)
        self._sigs[self._count] = key[: self.num_perm]
        self._count += 1
        if self.exact:
            self._values.frombytes(key[self.num_perm :].tobytes())  # array("I"): 4 bytes a shingle
            self._set_ends.append(len(self._values))
        self._ids.append(doc.id)
        self._lengths.append(len(doc.text))  # an array("q"): 8 bytes a document

    def _collected(self) -> Sketches:
        sigs = self._sigs[: self._count]
        if not self.exact:
            return Sketches.of(sigs)
        offsets = np.zeros(self._count + 1, dtype=np.int64)
        offsets[1:] = np.frombuffer(self._set_ends, dtype=np.int64)
        return Sketches(sigs, np.frombuffer(self._values, dtype=np.uint32), offsets)

    def resolve(self) -> Sequence[Verdict]:
        collected = self._collected()
        result = self.cluster(collected, np.frombuffer(self._lengths, dtype=np.int64), self._ids)
        self.last_result, self._last = result, collected
        return LazyVerdicts(result, self.annotate)

    def save_index(
        self, path: str | Path, sketches: Sketches | np.ndarray | None = None, ids: list[str] | None = None
    ) -> Path:
        """Save an index; by default the kept documents of the last ``resolve`` (plus any loaded index)."""
        if sketches is None:
            result = self.last_result
            if result is None:
                raise ConfigError(
                    "near_dedup.save_index: nothing clustered yet; "
                    "call it after a build, or pass signatures and ids"
                )
            rows = np.flatnonzero(result.keep)
            kept = self._last.take(rows)
            ids = [self._ids[i] for i in rows]
            loaded = self._loaded_index()
            if loaded is not None:
                kept, ids = Sketches.concat([loaded[0], kept], self.num_perm), list(loaded[1]) + ids
            sketches = kept
        return save_index(path, sketches, list(ids or []), self.params())

    def save(self, root: Path) -> list[Path]:
        """The build's index of kept documents, for ``--dedup-against`` by a later build."""
        folder = Path(root) / INDEX_DIR
        self.save_index(folder)
        return sorted(p for p in folder.iterdir() if p.is_file())

    def load_index(self, path: str | Path) -> tuple[Sketches, list[str]]:
        """Sketches and ids of a saved index; ConfigError when its params differ from this step's
        (or it has no shingle sets and this step verifies exactly), BuildError when it is damaged."""
        sketches, ids, params = load_index(path)
        check_params(path, params, self.params())
        if self.exact and not sketches.has_sets:
            raise ConfigError(
                f"near_dedup.verify: the index {str(path)!r} holds signatures only (made with verify: "
                "signature or an older corpus); set near_dedup.verify: signature, or rebuild that build"
            )
        return sketches, ids

    def _loaded_index(self) -> tuple[Sketches, list[str]] | None:
        if self.index is None:
            return None
        if self._index_data is None:
            self._index_data = self.load_index(self.index)
        return self._index_data

    # -- streaming form ----------------------------------------------------------------

    def reset(self) -> None:
        self._sigs = np.zeros((0, self.num_perm), dtype=np.uint32)
        self._count = 0
        self._values = array("I")
        self._set_ends = array("q")
        self._ids: list[str] = []
        self._lengths = array("q")
        self.last_result: NearDupResult | None = None
        self._last = Sketches.of(self._sigs)
        self._buckets: list[dict[int, list[int]]] = [{} for _ in range(self.band_rows[0])]
        self._kept: list[np.ndarray] = []
        self._kept_ids: list[str] = []
        self._seeded = False  # the streaming index takes a loaded index on first use

    def _seed(self) -> None:
        self._seeded = True
        loaded = self._loaded_index()
        if loaded is not None:
            for i, doc_id in enumerate(loaded[1]):
                self._remember(loaded[0][i], doc_id)

    def _remember(self, key: np.ndarray, doc_id: str) -> None:
        slot = len(self._kept_ids)
        for band, h in zip(self._buckets, self._band_keys(key), strict=True):
            band.setdefault(h, []).append(slot)
        self._kept.append(key)
        self._kept_ids.append(doc_id)

    def _band_keys(self, key: np.ndarray) -> list[int]:
        return mh.band_hashes(key[None, : self.num_perm], *self.band_rows)[0].tolist()

    def admit(self, key: np.ndarray, doc: Document) -> Outcome:
        """Keep-first: drop the document if it verifies against one kept before it, else keep it."""
        if not self._seeded:
            self._seed()
        slots = sorted(
            {s for band, h in zip(self._buckets, self._band_keys(key), strict=True) for s in band.get(h, ())}
        )
        if slots:
            pair = Sketches.from_keys([key, *(self._kept[s] for s in slots)], self.num_perm)
            both = np.stack([np.zeros(len(slots), np.int64), np.arange(1, len(slots) + 1)], axis=1)
            # As in ``candidates`` then ``settle``: the estimate filters, ``_similarity`` decides.
            near = mh.estimate_jaccard(pair.sigs, both[:, 0], both[:, 1]) >= self.candidate_floor
            sims = np.zeros(len(slots))
            sims[near] = self._similarity(pair, both[near])
            best = int(np.argmax(sims))  # highest similarity, ties to the earliest kept
            if sims[best] >= self.threshold:
                kept_id = self._kept_ids[slots[best]]
                out = Outcome.drop("near_duplicate")
                out.note = f"near duplicate of {kept_id} (J~{sims[best]:.2f})"
                return out
        self._remember(np.asarray(key, dtype=np.uint32), doc.id)
        return Outcome(doc)


def _bands(threshold: float, num_perm: int) -> tuple[int, int]:
    key = (float(threshold), int(num_perm))
    if key not in _BANDS:
        _BANDS[key] = mh.recall_bands(threshold, num_perm, RECALL_AT_THRESHOLD)
    return _BANDS[key]


_BANDS: dict[tuple[float, int], tuple[int, int]] = {}  # a pure function's memo, not state
