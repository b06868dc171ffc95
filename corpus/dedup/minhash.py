"""MinHash + LSH near-duplicate detection as pure, vectorized numpy functions.

Why this shape: a Python loop per shingle (datasketch's ``update``) costs more than
the whole rest of a cleaning pipeline, so everything here works on whole batches:

* text -> code points (one ``encode``), word characters by a lookup table that is
  exactly ``re``'s ``\\w``; token hashes by prefix sums of a polynomial (mod 2**64);
  word n-gram hashes by combining ``n`` shifted token-hash arrays; a final mix.
* signature = per document, per permutation, the minimum of ``a*h + b (mod 2**64)``
  (``a`` odd: a bijection of the 64-bit hash space), kept as its top 32 bits: one
  broadcast over all shingles of a chunk, min-reduced per document with
  ``np.minimum.reduceat``.
* LSH: ``bands x rows`` signature slices hashed to one uint64 each; buckets found
  by sorting, never by dicts of Python objects; candidates are then
  verified (``corpus.dedup.sketch``) and clustered (``corpus.dedup.clusters``).

Nothing here keeps state between calls; the only cache is the constant ``\\w`` table.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np

from corpus.dedup.base import fold

U64 = np.uint64
_FMIX1 = U64(0xFF51AFD7ED558CCD)
_FMIX2 = U64(0xC4CEB9FE1A85EC53)
_TOKEN_BASE = 0x100000001B3  # odd, so it has an inverse mod 2**64
_TOKEN_BASE_INV = pow(_TOKEN_BASE, -1, 2**64)
_GRAM_MULT = U64(0x9E3779B97F4A7C15)
_CHUNK = 8192  # shingles per permutation block: 8192 x 128 x 8 B = 8 MiB of scratch
_trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy < 2 has only trapz
PAIR_WINDOW = 64  # in a bucket, each member is checked against the next PAIR_WINDOW members


@functools.cache
def word_table() -> np.ndarray:
    """Boolean lookup over all code points: True where ``re`` counts the character as ``\\w``."""
    table = np.zeros(0x110000, dtype=bool)
    for lo in range(0, 0x110000, 0x10000):  # by plane: a few MB of scratch, not 100
        chars = "".join(map(chr, range(lo, lo + 0x10000)))
        table[[lo + m.start() for m in re.finditer(r"\w", chars)]] = True
    return table


def fmix64(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer (vectorized): spreads every input bit over the output.

    >>> int(fmix64(np.array([1], dtype=np.uint64))[0]) != 1
    True
    """
    x = x ^ (x >> U64(33))
    x = x * _FMIX1
    x = x ^ (x >> U64(33))
    x = x * _FMIX2
    return x ^ (x >> U64(33))


def _powers(base: int, n: int) -> np.ndarray:
    """``base**j mod 2**64`` for ``j < n`` as ``base**(1024q) * base**r``: one multiply, no long cumprod."""
    low = np.full(1024, base, dtype=U64)
    low[0] = 1
    low = np.cumprod(low, dtype=U64)
    high = np.full(n // 1024 + 1, pow(base, 1024, 2**64), dtype=U64)
    high[0] = 1
    high = np.cumprod(high, dtype=U64)
    return (high[:, None] * low[None, :]).ravel()[:n]


_POWERS: list[np.ndarray] = []


def _token_powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``B**j`` and ``B**-j`` (mod 2**64) for ``j < n``: kept for the largest batch so far.

    Every batch needs them for its length; computed once (and again only when a longer batch
    comes, at twice its length) they cost nothing per batch.
    """
    if not _POWERS or len(_POWERS[0]) < n:
        size = max(n, 2 * len(_POWERS[0]) if _POWERS else 1 << 16)
        _POWERS[:] = [_powers(_TOKEN_BASE, size), _powers(_TOKEN_BASE_INV, size)]
    return _POWERS[0], _POWERS[1]


def normalize(text: str) -> str:
    """NFKC and lower case: what exact dedup does, minus whitespace folding (words ignore it).

    >>> normalize("Ｃａｆé  ＡＢＣ")
    'café  abc'
    """
    return fold(text)


def shingle_hashes(
    texts: Sequence[str], ngram: int = 5, *, normalized: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the word n-grams of every text, and per-text offsets into them.

    Texts are normalized as for exact dedup (NFKC, lower case; ``normalized=True`` says the
    caller did it with ``normalize``); words are ``\\w+`` runs.
    A text with fewer than ``ngram`` words has one shingle of all its words (so an
    empty text has one, too). Hashes of a text do not depend on the batch around it.

    >>> h, off = shingle_hashes(["a b c d e f", "B C D E F", "x"], ngram=5)
    >>> off.tolist(), bool(h[1] == h[2]), len(set(h.tolist()))
    ([0, 2, 3, 4], True, 3)
    """
    norm = list(texts) if normalized else [normalize(t) for t in texts]
    n_docs = len(norm)
    char_start = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum([len(t) + 1 for t in norm], out=char_start[1:])
    joined = " ".join(norm) + " "
    cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    # Word edges: where \\w-ness changes. The text ends in a space, so with a non-word
    # before the first character the edges alternate start, end, start, end...
    is_word = np.zeros(len(cp) + 1, dtype=bool)
    word_table().take(cp, out=is_word[1:])
    edges = np.flatnonzero(is_word[1:] != is_word[:-1])
    starts, ends = edges[0::2], edges[1::2]
    # Token hash = sum(c_j * B**(j - start)) over its characters, from prefix sums.
    pw, inv = _token_powers(len(cp) + 1)
    prefix = np.zeros(len(cp) + 1, dtype=U64)
    np.multiply(cp, pw[: len(cp)], out=prefix[1:])
    np.cumsum(prefix[1:], out=prefix[1:])
    tokens = fmix64((prefix[ends] - prefix[starts]) * inv[starts])
    # Word n-grams never cross a document boundary.
    doc_tokens = np.diff(np.searchsorted(starts, char_start))
    tok_offset = np.concatenate(([0], np.cumsum(doc_tokens)))[:-1]
    counts = np.maximum(doc_tokens - ngram + 1, 1)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    owner = np.repeat(np.arange(n_docs), counts)
    first = tok_offset[owner] + (np.arange(offsets[-1]) - offsets[owner])
    width = np.minimum(doc_tokens, ngram)[owner]
    padded = np.append(tokens, U64(0))
    grams = np.zeros(len(first), dtype=U64)
    for k in range(ngram):
        take = np.minimum(first + k, len(tokens))
        grams = np.where(k < width, grams * _GRAM_MULT + padded[take], grams)
    return fmix64(grams + width.astype(U64) * _FMIX2), offsets


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``(a, b)`` of ``num_perm`` hash permutations ``a*h + b mod 2**64`` (``a`` odd).

    >>> a, b = permutations(4, seed=0)
    >>> bool((a % 2 == 1).all()), a.dtype.name
    (True, 'uint64')
    """
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2**64, size=num_perm, dtype=U64, endpoint=False) | U64(1)
    b = rng.integers(0, 2**64, size=num_perm, dtype=U64, endpoint=False)
    return a, b


def signatures(hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash signatures ``(n_docs, num_perm)`` uint32 of the shingle hashes of each document.

    Works in blocks of ``_CHUNK`` shingles (bounded scratch memory whatever the document
    length); a document cut by a block edge gets the minimum of its parts.

    >>> a, b = permutations(8, 1)
    >>> h, off = shingle_hashes(["one two three four five six", "six five four three two one"])
    >>> sig = signatures(h, off, a, b)
    >>> sig.shape, sig.dtype.name, bool((sig[0] != sig[1]).any())
    ((2, 8), 'uint32', True)
    """
    n_docs, k = len(offsets) - 1, len(a)
    # Permutation-major layout: each reduction runs over contiguous memory (10x faster).
    mins = np.full((k, n_docs), np.iinfo(np.uint64).max, dtype=U64)
    scratch = np.empty((k, min(_CHUNK, len(hashes))), dtype=U64)
    owner_starts = offsets[:-1]
    for lo in range(0, len(hashes), _CHUNK):
        hi = min(lo + _CHUNK, len(hashes))
        buf = scratch[:, : hi - lo]
        np.multiply(a[:, None], hashes[None, lo:hi], out=buf)
        np.add(buf, b[:, None], out=buf)
        # Segments: the block start, then every document start inside the block.
        first_doc = np.searchsorted(owner_starts, lo, side="right") - 1
        last_doc = np.searchsorted(owner_starts, hi, side="left")
        docs = np.arange(first_doc, last_doc)
        seg = np.maximum(owner_starts[docs], lo) - lo
        part = np.minimum.reduceat(buf, seg, axis=1)
        mins[:, docs] = np.minimum(mins[:, docs], part)
    return np.ascontiguousarray((mins >> U64(32)).astype(np.uint32).T)


def optimal_bands(
    threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5
) -> tuple[int, int]:
    """``(bands, rows)`` minimizing the weighted false positive and negative areas, as datasketch does.

    A pair with Jaccard ``s`` becomes a candidate with probability ``1 - (1 - s**r)**b``;
    the false positive area is its integral over ``[0, threshold]``, the false negative
    area that of its complement over ``[threshold, 1]`` (numerical integration).

    >>> optimal_bands(0.8, 128)
    (9, 13)
    >>> optimal_bands(0.5, 128)
    (25, 5)
    >>> optimal_bands(0.8, 128, fp_weight=0.1, fn_weight=0.9)
    (14, 9)
    """
    best, best_cost = (1, 1), float("inf")
    lo = np.linspace(0.0, threshold, 2001)
    hi = np.linspace(threshold, 1.0, 2001)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = _trapezoid(1 - (1 - lo**r) ** b, lo)
            fn = _trapezoid((1 - hi**r) ** b, hi)
            cost = fp_weight * fp + fn_weight * fn
            if cost < best_cost - 1e-15:
                best, best_cost = (b, r), cost
    return best


def recall_bands(threshold: float, num_perm: int, recall: float = 0.995) -> tuple[int, int]:
    """``(bands, rows)`` that make a pair at the threshold a candidate with probability ``recall``,
    with the fewest candidates below the threshold (the least false positive area).

    Fit for exact verification: a false candidate costs one comparison, a missed one is lost
    for good. If no ``bands x rows <= num_perm`` reaches ``recall``, the one closest to it.

    >>> recall_bands(0.8, 128)
    (18, 6)
    """
    lo = np.linspace(0.0, threshold, 2001)
    best, best_key = (1, 1), (1.0, float("inf"))
    for r in range(1, num_perm + 1):
        for b in range(1, num_perm // r + 1):
            at = 1 - (1 - threshold**r) ** b
            short = max(0.0, recall - at)
            fp = float(_trapezoid(1 - (1 - lo**r) ** b, lo))
            key = (short, fp)
            if key < best_key:
                best, best_key = (b, r), key
    return best


def band_hashes(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One uint64 per document per band: the hash of that band's ``rows`` signature values.

    >>> sig = np.array([[1, 2, 3, 4], [1, 2, 9, 4]], dtype=np.uint32)
    >>> bh = band_hashes(sig, 2, 2)
    >>> bool(bh[0, 0] == bh[1, 0]), bool(bh[0, 1] == bh[1, 1])
    (True, False)
    """
    block = sigs[:, : bands * rows].reshape(len(sigs), bands, rows).astype(U64)
    h = np.zeros((len(sigs), bands), dtype=U64)
    for r in range(rows):
        h = h * _GRAM_MULT + block[:, :, r]
    return fmix64(h)


def candidate_pairs(bands: np.ndarray, window: int = PAIR_WINDOW) -> np.ndarray:
    """Unique ``(i, j)``, ``i < j``, of documents sharing a bucket in any band.

    Buckets are runs of equal hashes after a stable sort, so members stay in input order;
    each member is paired with the next ``window`` members of its bucket (all pairs in
    buckets up to ``window + 1`` members; linear work in a huge bucket of boilerplate).

    >>> candidate_pairs(np.array([[5, 1], [6, 2], [5, 3], [6, 1]], dtype=np.uint64)).tolist()
    [[0, 2], [0, 3], [1, 3]]
    """
    n = len(bands)
    found = []
    for j in range(bands.shape[1]):
        col = bands[:, j]
        order = np.argsort(col, kind="stable")
        sc = col[order]
        same = sc[1:] == sc[:-1]
        if not same.any():
            continue
        member = np.zeros(n, dtype=bool)
        member[:-1] |= same
        member[1:] |= same
        sc, order = sc[member], order[member]
        for d in range(1, window + 1):
            hit = sc[d:] == sc[:-d]
            if not hit.any():
                break
            found.append(order[:-d][hit].astype(np.int64) * n + order[d:][hit])
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    codes = np.unique(np.concatenate(found))
    return np.stack([codes // n, codes % n], axis=1)


def estimate_jaccard(sigs: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Share of equal signature values of each ``(left[k], right[k])`` pair (float32)."""
    out = np.empty(len(left), dtype=np.float32)
    step = max(1, 2**22 // max(1, sigs.shape[1]))
    for lo in range(0, len(left), step):
        a, b = sigs[left[lo : lo + step]], sigs[right[lo : lo + step]]
        out[lo : lo + step] = (a == b).mean(axis=1)
    return out
