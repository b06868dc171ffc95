"""The near-dedup index on disk: a finished build's kept signatures, for a later build to dedup against.

A build with a ``near_dedup`` step saves ``near_dedup_index/`` beside its shards:

* ``signatures.npy``: ``(count, num_perm)`` uint32, one MinHash signature per kept document;
* ``sets.npy``, ``set_offsets.npy`` (``verify: exact``): the kept documents' shingle sets, flat
  uint32, and ``count + 1`` int64 offsets into them (``corpus.dedup.sketch.Sketches``);
* ``header.json``: ``{"format": INDEX_FORMAT, "params": ..., "count": n, "ids": [...]}``, where
  ``params`` are what a later step must agree on for the signatures to be comparable.

Kept apart from the clustering (``corpus.dedup.near``) because both engines write it and
``--dedup-against`` reads it: one place says what the format is and what a damaged one means.
Errors: an index folder that is missing is the user's argument (``ConfigError``); one that is
there but damaged stops the build (``BuildError``); both say what to do.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     folder = save_index(Path(tmp) / INDEX_DIR, np.ones((2, 4), np.uint32), ["a", "b"], {"num_perm": 4})
...     sketches, ids, params = load_index(folder)
>>> sketches.sigs.shape, sketches.has_sets, ids, params
((2, 4), False, ['a', 'b'], {'num_perm': 4})
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corpus.dedup.sketch import Sketches
from corpus.errors import BuildError, ConfigError

INDEX_FORMAT = "corpus.near_dedup.v2"
READABLE = (INDEX_FORMAT, "corpus.near_dedup.v1")  # v1: signatures only, as v2 without sets
INDEX_DIR = "near_dedup_index"  # inside a build directory
HEADER, SIGNATURES, SETS, SET_OFFSETS = "header.json", "signatures.npy", "sets.npy", "set_offsets.npy"
# The params that decide whether two signatures can be compared at all (bands/rows only
# decide which pairs become candidates, so an index may differ in them).
MUST_AGREE = ("num_perm", "ngram", "seed", "hash")
_FIX = "point near_dedup.index (--dedup-against) at a finished build's index, or rebuild that build"


def save_index(
    path: str | Path, sketches: Sketches | np.ndarray, ids: Sequence[str], params: dict[str, Any]
) -> Path:
    """Write the signatures (and sets, when given), ``header.json`` into directory ``path`` (created)."""
    path = Path(path)
    if not isinstance(sketches, Sketches):
        sketches = Sketches.of(np.asarray(sketches))
    if len(ids) != len(sketches):
        raise ConfigError(
            f"near_dedup index {str(path)!r}: {len(ids)} ids for {len(sketches)} signatures; "
            "pass one id per signature row"
        )
    path.mkdir(parents=True, exist_ok=True)
    np.save(path / SIGNATURES, np.ascontiguousarray(sketches.sigs, dtype=np.uint32))
    sets = sketches.has_sets and len(sketches) > 0
    if sets:
        np.save(path / SETS, np.ascontiguousarray(sketches.values, dtype=np.uint32))
        np.save(path / SET_OFFSETS, np.ascontiguousarray(sketches.offsets, dtype=np.int64))
    header = {"format": INDEX_FORMAT, "params": params, "count": len(ids), "sets": sets, "ids": list(ids)}
    (path / HEADER).write_text(json.dumps(header, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_index(path: str | Path) -> tuple[Sketches, list[str], dict[str, Any]]:
    """Sketches (signatures, and sets when saved), ids and params of an index written by ``save_index``.

    ConfigError when ``path`` holds no header at all (a wrong option or argument); BuildError
    when the files are there but damaged (unreadable, another format, counts or widths differ).
    """
    path = Path(path)
    if not (path / HEADER).is_file():
        raise ConfigError(
            f"near_dedup.index: {str(path)!r} holds no {HEADER}; expected a build's {INDEX_DIR}/ folder"
        )
    try:
        header = json.loads((path / HEADER).read_text(encoding="utf-8"))
        sigs = np.load(path / SIGNATURES, allow_pickle=False)
        sets = None
        if isinstance(header, dict) and header.get("sets") is True:
            sets = np.load(path / SETS, allow_pickle=False), np.load(path / SET_OFFSETS, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise BuildError(f"near_dedup: index {str(path)!r} cannot be read ({exc}); {_FIX}") from None
    if not _well_formed(header, sigs) or (sets is not None and not _sets_fit(sets, len(sigs))):
        raise BuildError(f"near_dedup: {str(path)!r} is not a {INDEX_FORMAT} index; {_FIX}")
    sketches = Sketches.of(sigs) if sets is None else Sketches(sigs, *sets)
    return sketches, header["ids"], header["params"]


def _well_formed(header: Any, sigs: np.ndarray) -> bool:
    """Whether a header and its signatures are what ``save_index`` writes (damage shows here)."""
    if not isinstance(header, dict) or header.get("format") not in READABLE:
        return False
    ids, params = header.get("ids"), header.get("params")
    if not isinstance(ids, list) or not isinstance(params, dict):
        return False
    if sigs.ndim != 2 or sigs.dtype != np.uint32 or len(sigs) != len(ids):
        return False
    return params.get("num_perm", sigs.shape[1]) == sigs.shape[1]


def _sets_fit(sets: tuple[np.ndarray, np.ndarray], count: int) -> bool:
    """Whether set values and offsets are what ``save_index`` writes for ``count`` documents."""
    values, offsets = sets
    if values.ndim != 1 or values.dtype != np.uint32 or offsets.ndim != 1 or offsets.dtype != np.int64:
        return False
    if len(offsets) != count + 1 or offsets[0] != 0 or offsets[-1] != len(values):
        return False
    return bool((np.diff(offsets) >= 0).all())


def check_params(path: str | Path, params: Mapping[str, Any], mine: Mapping[str, Any]) -> None:
    """ConfigError unless the index's signatures were made as this step makes its own.

    >>> check_params("x", {"num_perm": 64}, {"num_perm": 128})
    Traceback (most recent call last):
    ...
    corpus.errors.ConfigError: near_dedup.num_perm: the index 'x' was made with num_perm=64, this step \
has 128; set near_dedup.num_perm: 64, or dedup against an index made with 128
    """
    for key in MUST_AGREE:
        theirs = params.get(key)
        if theirs != mine.get(key):
            fix = (
                f"set near_dedup.{key}: {theirs!r}, or dedup against an index made with {mine.get(key)!r}"
                if key != "hash"
                else "rebuild the index with this version of corpus"
            )
            raise ConfigError(
                f"near_dedup.{key}: the index {str(path)!r} was made with {key}={theirs!r}, "
                f"this step has {mine.get(key)!r}; {fix}"
            )
