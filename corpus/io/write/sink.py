"""Where every decided record of a build goes, counted: the build's ``Output``.

``Ledger``: what was read (and how much of it had invalid UTF-8 replaced), quarantined (each
record logged to quarantine.jsonl with its file, line and error) and skipped by design, by
reason. ``Sink``: kept documents to the shards, dropped ones to dropped.jsonl, by reason.
Both engines write through one ``Output`` in input order, so their files are the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections import Counter
from pathlib import Path
from typing import IO, Any

from corpus.document import Document
from corpus.io.write.shards import DatasetWriter, ShardWriter

DUPLICATE_ID_EXAMPLES = 10


def open_log(path: Path) -> IO[str]:
    """A JSON-lines log (quarantine, drops); a lone surrogate is written as its JSON escape."""
    return open(path, "w", encoding="utf-8", errors="backslashreplace")


class Ledger:
    """The records read, quarantined (logged) and skipped, counted as the engine meets them."""

    def __init__(self, log: IO[str]) -> None:
        self.log = log
        self.read = 0
        self.invalid_utf8 = 0
        self.quarantined = 0
        self.skipped: Counter[str] = Counter()

    def count_read(self, n: int = 1, invalid_utf8: int = 0) -> None:
        self.read += n
        self.invalid_utf8 += invalid_utf8

    def quarantine(self, record: dict[str, Any]) -> None:
        self.quarantined += 1
        self.log.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] += n


class Sink:
    """Where decided documents go: shards for kept ones, dropped.jsonl for the others, with counts."""

    def __init__(self, writer: DatasetWriter, dropped: IO[str]) -> None:
        self.writer = writer
        self.dropped = dropped
        self.drops: Counter[str] = Counter()
        self.langs: Counter[str] = Counter()
        self.splits: Counter[str] = Counter()
        self.lengths = array("q")
        self._ids: set[int] = set()  # 8-byte hashes of the kept ids, to report ids kept twice
        self.duplicate_ids = 0
        self.duplicate_id_examples: list[str] = []

    def keep(self, doc: Document) -> None:
        digest = hashlib.blake2b(doc.id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        key = int.from_bytes(digest, "big")  # Python 3.10 has no default byte order
        if key in self._ids:
            self.duplicate_ids += 1
            if len(self.duplicate_id_examples) < DUPLICATE_ID_EXAMPLES:
                self.duplicate_id_examples.append(doc.id)
        self._ids.add(key)
        self.splits[self.writer.write(doc)] += 1
        self.langs[doc.lang] += 1
        self.lengths.append(len(doc.text))

    def route(self, doc_id: str, outcome: Any, reason: str, spool: ShardWriter | None = None) -> None:
        """A decided document (an ``Outcome``): to the drop log, to the next pass's spool, or kept."""
        if outcome.doc is None:
            self.drop(doc_id, reason, outcome.note, outcome.info)
        elif spool is not None:
            spool.write(outcome.doc)
        else:
            self.keep(outcome.doc)

    def drop(self, doc_id: str, reason: str, note: str = "", info: dict[str, Any] | None = None) -> None:
        self.drops[reason] += 1
        record = {"id": doc_id, "dropped_by": reason, **(info or {}), **({"note": note} if note else {})}
        self.dropped.write(json.dumps(record, ensure_ascii=False) + "\n")


class Output:
    """A build being written into ``tmp``: shards, the two logs, their counts. A context manager."""

    def __init__(self, tmp: Path, output_config: dict[str, Any]) -> None:
        self.tmp = tmp
        self.writer = DatasetWriter(tmp, output_config)
        self._quarantine = open_log(tmp / "quarantine.jsonl")
        self._dropped = open_log(tmp / "dropped.jsonl")
        self.ledger = Ledger(self._quarantine)
        self.sink = Sink(self.writer, self._dropped)

    def __enter__(self) -> Output:
        return self

    def __exit__(self, *exc: object) -> None:
        self._quarantine.close()
        self._dropped.close()
