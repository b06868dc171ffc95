"""Parquet shards in Hugging Face Hub layout: data/{split}-{i:05d}-of-{n:05d}.parquet.

Rows are written to numbered part files while the build runs; ``close()``
renames them to their final names once the shard count is known. The schema
carries the ``datasets`` Features in its metadata, so ``load_dataset`` reads the
declared types. Output is deterministic: same rows, same bytes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from corpus.document import Document, features

ROW_GROUP_ROWS = 2_000  # small row groups stream well


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


class ShardWriter:
    """Writes Documents to size-bounded Parquet shards under ``root/data``."""

    def __init__(
        self, root: str | Path, *, split: str = "train", max_rows: int = 100_000, compression: str = "zstd"
    ) -> None:
        self.root = Path(root)
        self.split = split
        self.max_rows = max_rows
        self.compression = None if compression == "none" else compression
        self.schema = features().arrow_schema
        self._parts: list[tuple[Path, int]] = []
        self._writer: pq.ParquetWriter | None = None
        self._rows_in_part = 0
        self._buffer: list[dict[str, Any]] = []
        (self.root / "data").mkdir(parents=True, exist_ok=True)

    def write(self, doc: Document) -> None:
        self._buffer.append(doc.to_row())
        if len(self._buffer) >= ROW_GROUP_ROWS or self._rows_in_part + len(self._buffer) >= self.max_rows:
            self._flush()

    def _flush(self) -> None:
        while self._buffer:
            if self._writer is None:
                path = self.root / "data" / f".part-{len(self._parts):05d}.parquet"
                self._writer = pq.ParquetWriter(path, self.schema, compression=self.compression)
                self._parts.append((path, 0))
                self._rows_in_part = 0
            room = self.max_rows - self._rows_in_part
            rows, self._buffer = self._buffer[:room], self._buffer[room:]
            self._writer.write_table(
                pa.Table.from_pylist(rows, schema=self.schema), row_group_size=ROW_GROUP_ROWS
            )
            self._rows_in_part += len(rows)
            path, _ = self._parts[-1]
            self._parts[-1] = (path, self._rows_in_part)
            if self._rows_in_part >= self.max_rows:
                self._writer.close()
                self._writer = None

    def close(self) -> list[dict[str, Any]]:
        """Finish the shards, give them their final names; returns one entry per shard."""
        self._flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if not self._parts:  # an empty build still yields one loadable (empty) shard
            path = self.root / "data" / ".part-00000.parquet"
            pq.write_table(self.schema.empty_table(), path, compression=self.compression)
            self._parts.append((path, 0))
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
