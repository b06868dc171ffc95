"""Checkpoints of a build: the work directory and its chunk parts.

The input stream (every record of every input file, in stable order) is cut
into chunks of ``checkpoint_docs`` records. When the per-document stages have
run over a whole chunk, its part is committed to the work directory beside
the output (``.{name}.work/``):

* ``chunk-NNNNNN.parquet``: the chunk's survivors (Document rows, input order);
* ``chunk-NNNNNN.json``: what the reduce phase needs besides the text: the
  corpus steps' fingerprints, per-stage counters, drop, quarantine and skip
  records, the number of records read. Renamed into place last: it is the commit mark.

Nothing in a work directory can carry code: parts are Parquet and JSON, and
fingerprints are stored as tagged JSON values (bytes and numeric arrays as base64,
of a fixed set of dtypes), checked when read back. A part without its ``.json``
is half-written and ignored. A rerun of the same
build (same config, same input files, same bytes) finds the committed parts
and processes only the remaining chunks; anything else starts afresh. The
work directory is deleted once the output is in place.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from corpus.document import Document, features, to_table
from corpus.errors import BuildError
from corpus.io.write.shards import read_documents
from corpus.stats import Stats

RUN_FILE = "run.json"


@dataclass
class ChunkPart:
    """What one chunk left for the reduce phase (everything but the survivors' text)."""

    index: int
    read: int = 0
    keys: list[list[Any]] = field(default_factory=list)  # per survivor, per worker step
    stats: Stats = field(default_factory=Stats)
    drops: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # records readers skip by design, by reason
    invalid_utf8: int = 0

    def to_json(self) -> bytes:
        data = {
            "index": self.index,
            "read": self.read,
            "keys": encode_columns(self.keys),
            "stats": dict(self.stats),
            "drops": self.drops,
            "quarantine": self.quarantine,
            "skipped": dict(self.skipped),
            "invalid_utf8": self.invalid_utf8,
        }
        return json.dumps(data, sort_keys=True).encode("ascii")  # escapes keep lone surrogates

    @classmethod
    def from_json(cls, raw: bytes, where: str) -> ChunkPart:
        """A part read back; anything but what ``to_json`` writes is refused (BuildError)."""
        try:
            data = json.loads(raw)
            part = cls(
                index=_typed(data["index"], int),
                read=_typed(data["read"], int),
                keys=decode_columns(_typed(data["keys"], dict)),
                stats=Stats({_typed(k, str): _typed(v, int) for k, v in _typed(data["stats"], dict).items()}),
                drops=[_typed(d, dict) for d in _typed(data["drops"], list)],
                quarantine=[_typed(q, dict) for q in _typed(data["quarantine"], list)],
                skipped=Counter({_typed(k, str): _typed(v, int) for k, v in data["skipped"].items()}),
                invalid_utf8=_typed(data["invalid_utf8"], int),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BuildError(
                f"{where}: not a checkpoint part this toolkit wrote ({type(exc).__name__}: {exc}); "
                "remove the work directory and run the build again"
            ) from None
        return part


_DTYPES = {"<u4", "<u8", "<i4", "<i8", "<f4", "<f8", "|u1"}


def _typed(value: Any, kind: type) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def encode_columns(rows: list[list[Any]]) -> dict[str, Any]:
    """Per-document fingerprint lists, stored column by column (one per corpus step).

    A column of equal-shape arrays is one base64 block, as is a column of equal-length bytes
    (about 8x faster than a value each, on 10,000 MinHash signatures); others go value by value.

    >>> rows = [[b"ab", np.arange(2, dtype=np.uint32), ("x", frozenset())] for _ in range(3)]
    >>> back = decode_columns(encode_columns(rows))
    >>> back[2][0], back[2][1].tolist(), back[2][2]
    (b'ab', [0, 1], ('x', frozenset()))
    """
    columns = []
    for column in zip(*rows, strict=True):
        first = column[0]
        if isinstance(first, np.ndarray) and all(
            isinstance(v, np.ndarray) and v.shape == first.shape and v.dtype == first.dtype for v in column
        ):
            columns.append({"A": encode_key(np.stack(column))})
        elif isinstance(first, bytes) and all(isinstance(v, bytes) and len(v) == len(first) for v in column):
            columns.append({"B": [len(first), base64.b64encode(b"".join(column)).decode("ascii")]})
        else:
            columns.append({"V": [encode_key(v) for v in column]})
    return {"rows": len(rows), "columns": columns}


def decode_columns(data: dict[str, Any]) -> list[list[Any]]:
    """The inverse of ``encode_columns``; raises ValueError/TypeError on anything it would not write."""
    n = _typed(data["rows"], int)
    columns: list[Any] = []
    for column in _typed(data["columns"], list):
        ((tag, body),) = _typed(column, dict).items()
        if tag == "A":
            values = decode_key(body)
            if not isinstance(values, np.ndarray) or len(values) != n:
                raise ValueError("array column of the wrong length")
        elif tag == "B":
            size, blob = _typed(body, list)
            raw = base64.b64decode(_typed(blob, str), validate=True)
            if len(raw) != _typed(size, int) * n:
                raise ValueError("bytes column of the wrong length")
            values = [raw[i * size : (i + 1) * size] for i in range(n)]
        elif tag == "V":
            values = [decode_key(v) for v in _typed(body, list)]
            if len(values) != n:
                raise ValueError("value column of the wrong length")
        else:
            raise ValueError(f"unknown column tag {tag!r}")
        columns.append(values)
    return [list(row) for row in zip(*columns, strict=True)] if columns else [[] for _ in range(n)]


def encode_key(value: Any) -> Any:
    """A corpus step's fingerprint as a JSON value: bytes, numeric arrays, tuples and frozensets tagged.

    >>> decode_key(encode_key((b"ab", frozenset({b"x"}), np.arange(3, dtype=np.uint32))))[2].tolist()
    [0, 1, 2]
    """
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, np.ndarray):
        return {"a": [value.dtype.str, list(value.shape), base64.b64encode(value.tobytes()).decode("ascii")]}
    if isinstance(value, tuple):
        return {"t": [encode_key(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        tag = "f" if isinstance(value, frozenset) else "s"
        return {tag: [encode_key(v) for v in sorted(value, key=repr)]}
    if isinstance(value, list):
        return [encode_key(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot checkpoint a fingerprint of type {type(value).__name__}")


def decode_key(value: Any) -> Any:
    """The inverse of ``encode_key``; raises ValueError/TypeError on anything it would not write."""
    if isinstance(value, list):
        return [decode_key(v) for v in value]
    if not isinstance(value, dict):
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        raise TypeError(f"unexpected {type(value).__name__}")
    ((tag, body),) = value.items()
    if tag == "b":
        return base64.b64decode(_typed(body, str), validate=True)
    if tag == "a":
        dtype, shape, data = _typed(body, list)
        if dtype not in _DTYPES or not all(isinstance(n, int) and n >= 0 for n in _typed(shape, list)):
            raise ValueError(f"array of dtype {dtype!r} / shape {shape!r}")
        return np.frombuffer(base64.b64decode(_typed(data, str), validate=True), dtype=dtype).reshape(shape)
    if tag == "t":
        return tuple(decode_key(v) for v in _typed(body, list))
    if tag in ("f", "s"):
        items = [decode_key(v) for v in _typed(body, list)]
        return frozenset(items) if tag == "f" else set(items)
    raise ValueError(f"unknown tag {tag!r}")


class WorkDir:
    """The work directory of one output: committed chunk parts and the run they belong to."""

    suffix = ".work"

    def __init__(self, out_dir: Path) -> None:
        self.root = out_dir.parent / f".{out_dir.name}{self.suffix}"

    def committed(self) -> set[int]:
        """The indexes of the parts under their final names (whole: the rename is the commit)."""
        return {int(p.name[6:12]) for p in self.root.glob("chunk-??????.json")}

    def open(self, run: dict[str, Any]) -> set[int]:
        """Prepare for ``run``; returns the indexes of parts already committed by the same run."""
        marker = self.root / RUN_FILE
        if marker.is_file():
            try:
                same = json.loads(marker.read_text(encoding="utf-8")) == run
            except ValueError:
                same = False
            if same:
                return self.committed()
        elif self.root.exists() and any(self.root.iterdir()):
            raise BuildError(
                f"{self.root}: exists and is not a work directory of this toolkit (no {RUN_FILE}); "
                "move it away: a build keeps its checkpoints there"
            )
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        _atomic_write(marker, json.dumps(run, sort_keys=True).encode("utf-8"))
        return set()

    def path(self, index: int, suffix: str) -> Path:
        return self.root / f"chunk-{index:06d}{suffix}"

    def writer(self, index: int) -> ChunkWriter:
        return ChunkWriter(self, index)

    def load(self, index: int) -> ChunkPart:
        path = self.path(index, ".json")
        return ChunkPart.from_json(path.read_bytes(), str(path))

    def survivors(self, index: int) -> Iterator[Document]:
        """A committed chunk's survivors, in input order, a record batch at a time."""
        return read_documents(self.path(index, ".parquet"))

    def remove(self) -> None:
        """Delete the work directory, only when it is ours (it holds the run marker)."""
        if (self.root / RUN_FILE).is_file():
            shutil.rmtree(self.root, ignore_errors=True)


class ChunkWriter:
    """Streams one chunk's survivors to disk as batches come back; ``commit`` seals the part."""

    def __init__(self, work: WorkDir, index: int) -> None:
        self.work = work
        self.part = ChunkPart(index)
        self._tmp = work.path(index, ".parquet.tmp")
        self._schema = features().arrow_schema
        self._writer = pq.ParquetWriter(self._tmp, self._schema, compression="none")

    def add(self, docs: list[Document]) -> None:
        if docs:
            self._writer.write_table(to_table(docs, self._schema))

    def commit(self) -> None:
        """Survivors first, then the metadata (the commit mark), each renamed into place atomically."""
        self._writer.close()
        os.replace(self._tmp, self.work.path(self.part.index, ".parquet"))
        _atomic_write(self.work.path(self.part.index, ".json"), self.part.to_json())


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
