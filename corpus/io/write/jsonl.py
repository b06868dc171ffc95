"""JSONL shards (``output.format: jsonl``): one JSON object per line, zstd, gzip or uncompressed.

A line holds what a row of the Parquet shard holds, field for field, in ``corpus.document``'s
field order: ``meta`` as its JSON string, ``quality_signals`` with every signal (null where not
measured) or null, ``quality_failed`` a list or null. The rows go through the same Arrow table
the Parquet writer writes, so the values are those a Parquet reader gives back.

The bytes are deterministic: zstd at a fixed level, one frame per shard, no threads; gzip with
mtime 0 and no file name in its header; compact JSON, ``ensure_ascii=False``. The writer has the
interface of the Parquet one (``corpus.engines.writing._Shard``): ``add``, ``flush``, ``close``.
"""

from __future__ import annotations

import gzip
import json
from typing import Any, BinaryIO

from corpus.document import Document, arrow_schema, to_table
from corpus.io.fs import Location
from corpus.io.write.shards import ROW_GROUP_ROWS

ZSTD_LEVEL = 6
GZIP_LEVEL = 6


def _compressed(raw: BinaryIO, compression: str) -> BinaryIO:
    if compression == "zstd":
        import zstandard

        # one frame for the whole shard: some readers stop at the end of the first frame
        return zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True).stream_writer(
            raw, closefd=False
        )
    if compression == "gzip":
        return gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0)
    if compression == "none":
        return raw
    raise ValueError(f"not a JSONL compression: {compression!r}")


def json_lines(rows: list[dict[str, Any]]) -> bytes:
    """The JSONL bytes of rows (dicts in field order).

    >>> json_lines([{"id": "a", "text": "é", "lang_score": 0.5, "quality_failed": None}])
    b'{"id":"a","text":"\\xc3\\xa9","lang_score":0.5,"quality_failed":null}\\n'
    """
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows).encode()


class JsonlShard:
    """One block's JSONL shard of one split, written ROW_GROUP_ROWS rows or ``group_bytes`` of text
    at a time."""

    def __init__(self, staging: Location, name: str, compression: str, group_bytes: int) -> None:
        self.staging, self.name = staging, name
        self.schema = arrow_schema()
        self.raw = staging.open(name, "wb")
        self.out = _compressed(self.raw, compression)
        self.group_bytes = group_bytes
        self.buffer: list[Document] = []
        self.buffered = 0
        self.rows = 0
        self.num_bytes = 0

    def add(self, doc: Document) -> None:
        self.buffer.append(doc)
        self.buffered += len(doc.text)
        if len(self.buffer) >= ROW_GROUP_ROWS or self.buffered >= self.group_bytes:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            table = to_table(self.buffer, self.schema)
            self.out.write(json_lines(table.to_pylist()))
            self.num_bytes += table.nbytes
            self.rows += len(self.buffer)
            self.buffer, self.buffered = [], 0

    def close(self, split: str) -> dict[str, Any]:
        self.flush()
        if self.out is not self.raw:
            self.out.close()
        self.raw.close()
        return {
            "path": self.name,
            "split": split,
            "rows": self.rows,
            "bytes": self.staging.size(self.name),
            "sha256": self.staging.sha256(self.name),
            "num_bytes": self.num_bytes,
        }
