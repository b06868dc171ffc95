"""Parquet shards in Hugging Face Hub layout: data/{split}-{i:05d}-of-{n:05d}.parquet.

Rows are written to numbered part files while the build runs; ``close()``
renames them to their final names once the shard count is known. A shard is
closed when it reaches ``max_rows`` rows or ``max_bytes`` bytes on disk
(checked after each row group, so a shard overshoots by at most one row group).
Row groups are small (2,000 rows or 8 MiB of text, or a quarter of the shard
size target) so streaming readers fetch little at a time.
The schema carries the ``datasets`` Features in its metadata, so
``load_dataset`` reads the declared types. Same rows, same bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from corpus.document import Document, features, from_batch, to_table
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


class ShardWriter:
    """Writes Documents of one split to size-bounded Parquet shards under ``root/data``."""

    def __init__(
        self,
        root: str | Path,
        *,
        split: str = "train",
        max_rows: int = 100_000,
        max_bytes: int | None = None,
        compression: str = "zstd",
    ) -> None:
        self.root = Path(root)
        self.split = split
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.compression = None if compression == "none" else compression
        self.schema = features().arrow_schema
        self._parts: list[tuple[Path, int]] = []
        self._writer: pq.ParquetWriter | None = None
        self._sink: Any = None
        self._rows_in_part = 0
        self._buffer: list[Document] = []
        self._buffered_bytes = 0
        self.group_bytes = min(ROW_GROUP_BYTES, max_bytes // 4) if max_bytes else ROW_GROUP_BYTES
        (self.root / "data").mkdir(parents=True, exist_ok=True)

    def write(self, doc: Document) -> None:
        self._buffer.append(doc)
        self._buffered_bytes += len(doc.text)
        if (
            len(self._buffer) >= ROW_GROUP_ROWS
            or self._buffered_bytes >= self.group_bytes
            or self._rows_in_part + len(self._buffer) >= self.max_rows
        ):
            self._flush()

    def _open_part(self) -> None:
        path = self.root / "data" / f".{self.split}-part-{len(self._parts):05d}.parquet"
        self._sink = pa.OSFile(str(path), "wb")
        self._writer = pq.ParquetWriter(self._sink, self.schema, compression=self.compression)
        self._parts.append((path, 0))
        self._rows_in_part = 0

    def _close_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._sink.close()
            self._writer = self._sink = None

    def _flush(self) -> None:
        self._buffered_bytes = 0
        while self._buffer:
            if self._writer is None:
                self._open_part()
            room = min(self.max_rows - self._rows_in_part, ROW_GROUP_ROWS)
            rows, self._buffer = self._buffer[:room], self._buffer[room:]
            self._writer.write_table(to_table(rows, self.schema), row_group_size=ROW_GROUP_ROWS)
            self._rows_in_part += len(rows)
            self._parts[-1] = (self._parts[-1][0], self._rows_in_part)
            full = self._rows_in_part >= self.max_rows
            if self.max_bytes is not None and self._sink.tell() >= self.max_bytes:
                full = True
            if full:
                self._close_part()

    def close(self) -> list[dict[str, Any]]:
        """Finish the shards, give them their final names; returns one entry per shard."""
        self._flush()
        self._close_part()
        if not self._parts:  # an empty split still yields one loadable (empty) shard
            self._open_part()
            self._close_part()
        n = len(self._parts)
        shards = []
        for i, (part, rows) in enumerate(self._parts):
            final = self.root / "data" / f"{self.split}-{i:05d}-of-{n:05d}.parquet"
            os.replace(part, final)
            shards.append(
                {
                    "path": final.relative_to(self.root).as_posix(),
                    "split": self.split,
                    "rows": rows,
                    "bytes": final.stat().st_size,
                    "sha256": sha256_file(final),
                }
            )
        return shards


class DatasetWriter:
    """One ShardWriter per split; each document goes to the split its id hashes to."""

    def __init__(self, root: str | Path, output: dict[str, Any]) -> None:
        self.ratios: dict[str, float] = output.get("splits") or {output.get("split", "train"): 1.0}
        max_bytes = parse_size(output["max_shard_size"]) if output.get("max_shard_size") else None
        self.writers = {
            name: ShardWriter(
                root,
                split=name,
                max_rows=output.get("max_shard_rows", 100_000),
                max_bytes=max_bytes,
                compression=output.get("compression", "zstd"),
            )
            for name in self.ratios
        }
        self.root = Path(root)

    def write(self, doc: Document) -> str:
        split = assign_split(doc.id, self.ratios) if len(self.ratios) > 1 else next(iter(self.ratios))
        self.writers[split].write(doc)
        return split

    def close(self) -> list[dict[str, Any]]:
        return [shard for writer in self.writers.values() for shard in writer.close()]
