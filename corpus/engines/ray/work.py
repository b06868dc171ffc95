"""The work directory's format: the map output on disk, one committed Parquet part per input file.

The map output is checkpointed per input file in ``.{out}.ray-work/`` beside the output
(``run.json``: toolkit version, config hash, input sha256s; ``file-NNNNNN.parquet``: one file's
map output, committed by an atomic rename after fsync; see ``RayWorkDir``, ``_Part``,
``_persist``). The work directory is written and read by the driver only, so it needs no shared
filesystem. It holds Parquet with JSON text only (no pickle): a part is checked as it is read
back (``_decode``, ``_decode_stats``), and anything this toolkit did not write is refused naming
the part, or redone when it is not our layout. The rows' schemas (``RECORD`` from a read task,
``MAPPED`` from a map actor and in a part) and kinds live here too.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpus.document import Document
from corpus.engines.checkpoint import WorkDir
from corpus.errors import BuildError

QUARANTINED, DROPPED, SURVIVED, SKIPPED = 0, 1, 2, 3
SECONDS = "seconds:"  # a part's counters carry the map's CPU seconds by stage under this prefix
READ_ROWS = 1_000  # records per block a read task yields
FILE_SHIFT = 40  # idx = file << 40 | record: 2**40 records per file, 2**23 files

RECORD = pa.schema(
    [("idx", pa.int64()), ("kind", pa.int8()), ("payload", pa.binary()), ("invalid", pa.bool_())]
)
MAPPED = pa.schema(
    [
        ("idx", pa.int64()),
        ("kind", pa.int8()),
        ("payload", pa.binary()),
        ("invalid", pa.bool_()),
        ("id", pa.string()),
        ("ekey", pa.string()),
        ("sig", pa.binary()),
        ("length", pa.int64()),
        ("stats", pa.binary()),
    ]
)


# -- what the work directory holds: JSON text in Parquet columns, never pickle -----------------
# A row's ``payload`` is JSON (ASCII escapes keep lone surrogates; NaN and big integers as
# Python writes them): a Document as its 7 fields in order (SURVIVED), [id, dropped_by]
# (DROPPED), a quarantine record (QUARANTINED), [reason] (SKIPPED); ``stats`` is a JSON object
# of counters on a file's first row. A part is checked on the way back in: anything else is a
# BuildError naming it, and nothing in it is ever executed.


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _doc_payload(doc: Document) -> bytes:
    return _dump([doc.id, doc.text, doc.source, doc.url, doc.lang, doc.lang_score, doc.meta])


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _decode(kind: int, payload: bytes, where: str) -> Any:
    """A row's payload back as its kind's value (Document, drop, record, reason); BuildError if forged."""
    try:
        value = json.loads(payload)
    except ValueError as exc:
        raise BuildError(f"{where}: not a part this toolkit wrote ({exc}); remove it and run again") from None
    ok = False
    if kind == SURVIVED:
        ok = isinstance(value, list) and len(value) == 7 and all(isinstance(v, str) for v in value[:5])
        ok = ok and _number(value[5]) and isinstance(value[6], dict)
        if ok:
            return Document(*value)
    elif kind == DROPPED:
        ok = isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)
    elif kind == QUARANTINED:
        ok = isinstance(value, dict)
    elif kind == SKIPPED:
        ok = isinstance(value, list) and len(value) == 1 and isinstance(value[0], str)
    if not ok:
        raise BuildError(f"{where}: a record of kind {kind} this toolkit did not write; remove it, run again")
    return value


def _decode_stats(payload: bytes, where: str) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(k, str) and _number(v) for k, v in value.items()):
        raise BuildError(f"{where}: counters this toolkit did not write; remove it and run again")
    return value


# -- the work directory: the map output, one committed part per input file ---------------------


class RayWorkDir(WorkDir):
    """``.{out}.ray-work/`` beside the output: ``run.json`` and ``file-NNNNNN.parquet`` parts.

    A part holds one input file's map output (MAPPED rows, input order). It is written as
    ``file-NNNNNN.parquet.tmp``, fsynced and renamed into place: the rename is the commit, so
    a part under its final name is whole and anything else is ignored (and overwritten).
    ``open`` (the run marker, starting afresh for another run) is the local engine's.
    """

    suffix = ".ray-work"

    def committed(self) -> set[int]:
        return {int(p.name[5:11]) for p in self.root.glob("file-??????.parquet")}

    def part(self, number: int) -> Path:
        return self.root / f"file-{number:06d}.parquet"

    def whole(self, number: int) -> bool:
        """A committed part is reused only if it is Parquet with exactly MAPPED's columns."""
        try:
            return pq.read_schema(self.part(number)).equals(MAPPED, check_metadata=False)
        except (OSError, pa.ArrowException):
            return False

    def batches(self, numbers: Iterable[int], columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The committed parts of ``numbers``, in that order, READ_ROWS records at a time."""
        for number in numbers:
            yield from pq.ParquetFile(self.part(number)).iter_batches(batch_size=READ_ROWS, columns=columns)


class _Part:
    """One input file's part being written; ``commit`` seals it (fsync, rename, fsync the folder)."""

    def __init__(self, work: RayWorkDir, number: int, on_commit: Callable[[int], None]) -> None:
        self.work, self.number, self.on_commit = work, number, on_commit
        self.final = work.part(number)
        self.tmp = self.final.with_name(self.final.name + ".tmp")
        self.writer = pq.ParquetWriter(self.tmp, MAPPED, compression="none")

    def add(self, t: pa.Table) -> None:
        self.writer.write_table(t)

    def commit(self) -> None:
        self.writer.close()
        fd = os.open(self.tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(self.tmp, self.final)
        fd = os.open(self.work.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self.on_commit(self.number)


def _persist(
    fresh: Any, todo: list[int], work: RayWorkDir, survivors: Any, on_commit: Callable[[int], None]
) -> None:
    """Stream the map output (input order) into one committed part per input file of ``todo``.

    A file's part is committed when the stream moves past it; a file with no record gets an
    empty part. Every batch's survivor columns also go to ``survivors`` (its ``add``);
    ``on_commit(file number)`` is called as each part is committed.
    """
    queue = iter(todo)
    part: _Part | None = None

    def advance(to: int) -> _Part:
        """Commit the current part and an empty one for each file before ``to``; open ``to``'s."""
        if part is not None:
            part.commit()
        for number in queue:
            if number == to:
                return _Part(work, number, on_commit)
            if number > to:
                break
            _Part(work, number, on_commit).commit()
        raise BuildError(f"engine ray: map output for input file {to}, out of input order")

    for batch in fresh.iter_batches(batch_format="pyarrow", batch_size=None):
        files = np.asarray(batch["idx"]) >> FILE_SHIFT
        cuts = np.flatnonzero(files[1:] != files[:-1]) + 1
        bounds = [0, *cuts.tolist(), batch.num_rows]
        for a, b in itertools.pairwise(bounds):
            if a == b:
                continue
            piece = batch.slice(a, b - a)
            number = int(files[a])
            if part is None or number != part.number:
                part = advance(number)
            part.add(piece)
            survivors.add(piece)
    if part is not None:
        part.commit()
    for number in queue:
        _Part(work, number, on_commit).commit()
