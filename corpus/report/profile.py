"""The build profile (``report.json``): distributions and samples, gathered per block and merged.

Each block's map and write phases fill small collectors, saved as one JSON piece per phase in the
work folder (``profile/block-NNNNNN.map.json``, ``.write.json``) before the phase's marker, so a
resumed build finds them. ``Profile`` merges the pieces in block order into the report's dict.
Everything is deterministic: same blocks, same report, whatever the engine or the worker count.

- Distributions of kept documents: characters, words (``str.split``), non-blank lines
  (``str.splitlines``), rounded *down* to 2 significant digits (1234 -> 1200, 87 -> 87), so a
  block's counters stay small; quality signals (tag mode) rounded to 3 significant digits.
- Sources: the url's host, else ``doc.source``; a block keeps its ``SOURCES_PER_BLOCK`` largest
  (the rest counted as other), the report the ``SOURCES_TOP`` largest and ``["(other)", n]``.
- Samples, each bounded: the first ``PER_KEY`` removed lines per ``stage:rule`` and dropped
  documents per ``stage.reason``, in input order (the corpus steps' removed lines, such as
  repeated_lines', come from the write pieces, or from ``profile/decide.json`` when the steps were
  decided in one process); the kept documents with the smallest
  blake2b-64 hash of their id (``KEPT`` of them), input as read and output as written. A block
  offers the ``CANDIDATES`` smallest among its map survivors, so a pick is missed only when more
  than ``CANDIDATES - KEPT`` of them in one block are later dropped by the corpus steps.

>>> round_down(1234), round_down(87), round_down(100), round_down(0)
(1200, 87, 100, 0)
>>> round_signal(0.123456), round_signal(12345), round_signal(1e-05)
(0.123, 12300, 1e-05)
>>> trim("abcdef", 3)
'abc …'
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import re
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from corpus.document import Document
from corpus.report.tokens import Tally
from corpus.stats import Stats, drop_key

FORMAT = 1
PER_KEY = 3  # removed lines per rule, dropped documents per reason
KEPT = 5  # kept samples in the report
CANDIDATES = 8  # kept-sample candidates a block offers (its map survivors with the smallest hashes)
CONTEXT = 160  # characters of context either side of a removed line
REMOVED_CHARS = 600
DROPPED_CHARS = 600
KEPT_CHARS = 4000
SOURCES_TOP = 30
SOURCES_PER_BLOCK = 200
OTHER = "(other)"
# a [value, count] pair as json.dumps(indent=1) spreads it over four lines (only layout has real newlines)
_PAIR = re.compile(r'\[\n *(-?[0-9][0-9.eE+-]*|"(?:[^"\\\n]|\\.)*"),\n *([0-9]+)\n *\]')


def round_down(value: int, digits: int = 2) -> int:
    """``value`` rounded down to ``digits`` significant digits (a non-negative int)."""
    scale = 10 ** max(len(str(value)) - digits, 0)
    return value // scale * scale


def round_signal(value: float | int) -> float | int:
    """A quality signal rounded to 3 significant digits (ints stay ints)."""
    rounded = float(f"{value:.3g}")
    return int(rounded) if isinstance(value, int) else rounded


def trim(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with `` …`` when cut."""
    return text if len(text) <= limit else text[:limit] + " …"


def id_hash(doc_id: str) -> int:
    """blake2b-64 of the id: what picks the kept samples (same as the ids/ files' hash)."""
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def source_name(doc: Document) -> str:
    """The url's host when the document has a url, else its source."""
    if doc.url:
        try:
            host = urlsplit(doc.url).hostname
        except ValueError:
            host = None
        if host:
            return host
    return doc.source or "(none)"


def _pairs(counter: Counter[Any]) -> list[list[Any]]:
    return [[k, v] for k, v in sorted(counter.items())]


def _whole_lines(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is one or more whole lines (a removed line, not a removed character)."""
    starts = start == 0 or text[start - 1] == "\n" or text[start] == "\n"
    ends = end >= len(text) or text[end] == "\n" or text[end - 1] == "\n"
    return starts and ends


class Removals:
    """The first ``PER_KEY`` removed lines per ``stage:rule``, each with its context, in the order
    the documents came (a stage's drops are sampled elsewhere: ``MapPiece.drop``, ``WritePiece.drop``)."""

    def __init__(self) -> None:
        self.samples: dict[str, list[dict[str, str]]] = {}

    def stage(self, stage: str, before: Document, outcome: Any) -> None:
        """The lines one stage removed from one document (nothing when it dropped it)."""
        if outcome.doc is None:
            return
        text = before.text
        for edit in outcome.edits:
            if edit.after.strip() or not edit.before.strip():
                continue  # a replacement, or whitespace: not a removed line
            key = f"{stage}:{edit.rule}"
            if len(self.samples.get(key, ())) >= PER_KEY:
                continue
            start = edit.start if edit.start is not None else text.find(edit.before)
            end = start + len(edit.before)
            if start < 0 or not text.startswith(edit.before, start) or not _whole_lines(text, start, end):
                continue
            self.samples.setdefault(key, []).append(
                {
                    "id": before.id,
                    "before": text[max(0, start - CONTEXT) : start],
                    "removed": trim(edit.before, REMOVED_CHARS),
                    "after": text[end : end + CONTEXT],
                }
            )


class MapPiece:
    """One block's map-phase profile: removed lines, map drops, kept-sample candidates."""

    def __init__(self) -> None:
        self.removals = Removals()
        self.dropped: dict[str, list[dict[str, str]]] = {}
        self.candidates: list[tuple[int, int, str, str]] = []  # max-heap by (-hash, -idx)

    def stage(self, stage: str, before: Document, outcome: Any) -> None:
        """What one stage did to one document (the ``Stats.record`` call of ``phases.map_batch``)."""
        if outcome.doc is None:
            self.drop(drop_key(stage, outcome.reason), before.id, before.text, outcome.note)
        else:
            self.removals.stage(stage, before, outcome)

    def drop(self, key: str, doc_id: str, text: str, note: str = "") -> None:
        samples = self.dropped.setdefault(key, [])
        if len(samples) < PER_KEY:
            samples.append({"id": doc_id, "text": trim(text, DROPPED_CHARS), "note": note})

    def candidate(self, idx: int, doc_id: str, text: str) -> None:
        """A map survivor at stable position ``idx``, ``text`` as read."""
        key = (-id_hash(doc_id), -idx)
        if len(self.candidates) < CANDIDATES:
            heapq.heappush(self.candidates, (*key, doc_id, text))
        elif key > self.candidates[0][:2]:
            heapq.heapreplace(self.candidates, (*key, doc_id, text))

    def to_json(self) -> dict[str, Any]:
        kept = sorted((-h, -i, d, t) for h, i, d, t in self.candidates)
        return {
            "removed": self.removals.samples,
            "dropped": self.dropped,
            "candidates": [
                {"hash": h, "idx": i, "id": d, "input": trim(t, KEPT_CHARS)} for h, i, d, t in kept
            ],
        }


class RecordingStats(Stats):
    """A phase's counters, also telling ``piece`` what each stage did: a ``MapPiece`` (removals,
    drops) in the map phase, ``Removals`` for the corpus steps (their drops are sampled at write)."""

    def __init__(self, piece: MapPiece | Removals) -> None:
        super().__init__()
        self.piece = piece

    def record(self, stage: str, before: Document, outcome: Any) -> None:
        super().record(stage, before, outcome)
        if outcome.doc is None or outcome.edits:
            self.piece.stage(stage, before, outcome)


class WritePiece:
    """One block's write-phase profile: kept distributions, sources, quality, tokens, later drops,
    the outputs of the kept candidates."""

    def __init__(self, candidates: set[int], count_tokens: str | None = None) -> None:
        self.wanted = candidates
        self.tally = Tally(count_tokens) if count_tokens else None  # "exact", "sample" or None
        self.chars: Counter[int] = Counter()
        self.words: Counter[int] = Counter()
        self.lines: Counter[int] = Counter()
        self.sources: Counter[str] = Counter()
        self.quality: dict[str, Counter[Any]] = {}
        self.dropped: dict[str, list[dict[str, str]]] = {}
        self.removals = Removals()  # lines the corpus steps removed here (a distributed decision)
        self.outputs: dict[int, str] = {}

    def kept(self, idx: int, doc: Document, split: str) -> None:
        text = doc.text
        self.chars[round_down(len(text))] += 1
        self.words[round_down(len(text.split()))] += 1
        self.lines[round_down(sum(1 for line in text.splitlines() if line.strip()))] += 1
        self.sources[source_name(doc)] += 1
        for name, value in doc.quality_signals.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                self.quality.setdefault(name, Counter())[round_signal(value)] += 1
        if self.tally is not None:
            self.tally.add(split, text, id_hash(doc.id))
        if idx in self.wanted:
            self.outputs[idx] = trim(text, KEPT_CHARS)

    def drop(self, key: str, doc: Document, note: str = "") -> None:
        samples = self.dropped.setdefault(key, [])
        if len(samples) < PER_KEY:
            samples.append({"id": doc.id, "text": trim(doc.text, DROPPED_CHARS), "note": note})

    def to_json(self) -> dict[str, Any]:
        top = sorted(self.sources.items(), key=lambda kv: (-kv[1], kv[0]))
        return {
            "chars": _pairs(self.chars),
            "words": _pairs(self.words),
            "lines": _pairs(self.lines),
            "sources": [list(kv) for kv in top[:SOURCES_PER_BLOCK]],
            "sources_other": sum(n for _, n in top[SOURCES_PER_BLOCK:]),
            "quality": {name: _pairs(c) for name, c in sorted(self.quality.items())},
            "tokens": self.tally.to_json() if self.tally is not None else None,
            "dropped": self.dropped,
            "removed": self.removals.samples,
            "outputs": [[i, t] for i, t in sorted(self.outputs.items())],
        }


def candidate_positions(piece: dict[str, Any]) -> set[int]:
    """The stable positions (idx) of a map piece's kept-sample candidates."""
    return {c["idx"] for c in piece["candidates"]}


class Profile:
    """The pieces of every block merged in block order (call ``add`` for block 0, 1, ...)."""

    def __init__(self) -> None:
        self.chars: Counter[int] = Counter()
        self.words: Counter[int] = Counter()
        self.lines: Counter[int] = Counter()
        self.sources: Counter[str] = Counter()
        self.sources_other = 0
        self.quality: dict[str, Counter[Any]] = {}
        self.tokens: Tally | None = None  # the blocks' token sums, from the first piece that has some
        self.tokens_off = False  # a piece without tokens (output.count_tokens: false)
        self.removed: dict[str, list[dict[str, str]]] = {}
        self.dropped: dict[str, list[dict[str, str]]] = {}
        self.kept: list[tuple[int, int, dict[str, str]]] = []

    def add(self, mapped: dict[str, Any], written: dict[str, Any]) -> None:
        """Block pieces (as ``to_json`` gave them, read back); ValueError when malformed."""
        try:
            self._add(mapped, written)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a profile piece: {exc!r}") from None

    def _add(self, mapped: dict[str, Any], written: dict[str, Any]) -> None:
        for name in ("chars", "words", "lines"):
            getattr(self, name).update({_int(k): _int(v) for k, v in written[name]})
        self.sources.update({str(k): _int(v) for k, v in written["sources"]})
        self.sources_other += _int(written["sources_other"])
        for name, pairs in written["quality"].items():
            self.quality.setdefault(str(name), Counter()).update({_num(k): _int(v) for k, v in pairs})
        if written["tokens"] is None:
            self.tokens_off = True
        else:
            if self.tokens is None:
                self.tokens = Tally(str(written["tokens"]["method"]))
            self.tokens.merge(written["tokens"])
        _first(self.removed, mapped["removed"], ("id", "before", "removed", "after"))
        _first(self.dropped, mapped["dropped"], ("id", "text", "note"))
        _first(self.dropped, written["dropped"], ("id", "text", "note"))
        self.add_removed(written["removed"])
        outputs = {_int(i): str(t) for i, t in written["outputs"]}
        for c in mapped["candidates"]:
            if (idx := _int(c["idx"])) in outputs:
                sample = {"id": str(c["id"]), "input": str(c["input"]), "output": outputs[idx]}
                self.kept.append((_int(c["hash"]), idx, sample))
        self.kept = sorted(self.kept, key=lambda k: k[:2])[:KEPT]

    def add_removed(self, removed: dict[str, Any]) -> None:
        """Removed-line samples of the corpus steps (a write piece's, or the decide phase's
        ``profile/decide.json`` when they were decided in one process); ValueError when malformed."""
        try:
            _first(self.removed, removed, ("id", "before", "removed", "after"))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a profile piece: {exc!r}") from None

    def report(self) -> dict[str, Any]:
        """The report.json dict."""
        top = sorted(self.sources.items(), key=lambda kv: (-kv[1], kv[0]))
        other = self.sources_other + sum(n for _, n in top[SOURCES_TOP:])
        sources = [list(kv) for kv in top[:SOURCES_TOP]] + ([[OTHER, other]] if other else [])
        return {
            "format": FORMAT,
            "kept": {
                "chars": _pairs(self.chars),
                "words": _pairs(self.words),
                "lines": _pairs(self.lines),
                "sources": sources,
                "quality": {name: _pairs(c) for name, c in sorted(self.quality.items())},
            },
            "samples": {
                "removed_lines": dict(sorted(self.removed.items())),
                "dropped": dict(sorted(self.dropped.items())),
                "kept": [sample for _, _, sample in self.kept],
            },
        }

    def token_tally(self, method: str) -> Tally | None:
        """The blocks' token sums merged (``corpus.report.tokens.summary`` makes the manifest's
        tokens of them); None when the blocks did not count them."""
        return None if self.tokens_off else self.tokens or Tally(method)


def report_bytes(report: dict[str, Any]) -> bytes:
    """report.json as a build writes it: sorted keys, UTF-8, indent 1, a [value, count] pair per line."""
    text = json.dumps(report, indent=1, sort_keys=True, ensure_ascii=False)
    return (_PAIR.sub(r"[\1, \2]", text) + "\n").encode("utf-8")


def _first(into: dict[str, list[dict[str, str]]], piece: dict[str, Any], fields: tuple[str, ...]) -> None:
    for key, samples in piece.items():
        have = into.setdefault(str(key), [])
        for sample in samples[: max(PER_KEY - len(have), 0)]:
            have.append({f: str(sample[f]) for f in fields})


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{value!r} is not an integer")
    return value


def _num(value: Any) -> float | int:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{value!r} is not a number")
    return value
