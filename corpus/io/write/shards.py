"""Shard helpers: sizes (``parse_size``), the split a document goes to (``assign_split``),
reading a shard back and hashing a file. The shards themselves, one per block and split named
``data/{split}-{block:05d}-of-{blocks:05d}.parquet``, are written by ``corpus.engines.writing``
(row groups of at most ``ROW_GROUP_ROWS`` rows or ``ROW_GROUP_BYTES`` of text).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq

from corpus.document import Document, from_batch
from corpus.errors import ConfigError

ROW_GROUP_ROWS = 2_000
ROW_GROUP_BYTES = 8 * 1024 * 1024  # of text; a row group is cut at whichever limit comes first
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?)B?\s*$", re.IGNORECASE)


def parse_size(value: str | int) -> int:
    """Bytes from "256MB", "1.5GiB", "500kB" or an int (decimal units; "i" for binary).

    >>> parse_size("256MB"), parse_size("1GiB"), parse_size(1024)
    (256000000, 1073741824, 1024)
    """
    if isinstance(value, int):
        return value
    m = _SIZE.match(value)
    if not m:
        raise ConfigError(f"output.max_shard_size: expected a size such as '256MB'; got {value!r}")
    number, unit, binary = float(m.group(1)), m.group(2).upper(), bool(m.group(3))
    power = "KMGT".index(unit) + 1 if unit else 0
    return int(number * (1024 if binary else 1000) ** power)


def assign_split(doc_id: str, ratios: dict[str, float]) -> str:
    """A split for ``doc_id`` by a stable hash of the id, so splits never change between builds.

    >>> assign_split("doc-1", {"train": 1.0})
    'train'
    >>> sorted({assign_split(str(i), {"train": 0.9, "validation": 0.1}) for i in range(100)})
    ['train', 'validation']
    """
    digest = hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest()
    point = int.from_bytes(digest, "big") / 2**64 * sum(ratios.values())
    for name, share in ratios.items():
        if point < share:
            return name
        point -= share
    return name


def read_documents(path: str | Path, batch_rows: int = 1_000) -> Iterator[Document]:
    """The Documents of a shard or spool file, in order, ``batch_rows`` at a time (bounded memory)."""
    # pre_buffer (on by default) reads whole row groups ahead: 4x the memory on local files.
    for batch in pq.ParquetFile(path, pre_buffer=False).iter_batches(batch_size=batch_rows):
        yield from from_batch(batch)


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
