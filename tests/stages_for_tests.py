"""Tiny stages used by engine tests, so they do not depend on the real cleaning stages.

Tests never register them for good: ``registered_stages`` (or the ``toy_stages`` fixture of
tests/conftest.py) adds them to the registry for a test and removes them after, and tests/conftest.py
checks that every test module leaves the registry as it found it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import ClassVar

from corpus import stages
from corpus.dedup.base import CorpusStep, GlobalStep, Verdict
from corpus.document import Document
from corpus.options import Option
from corpus.stages.base import Edit, Outcome, Stage


@contextlib.contextmanager
def registered_stages(**targets: type | str) -> Iterator[None]:
    """``name=Class`` (or ``name="module:Class"``) registered for the ``with`` block, removed after.

    A name the registry already holds is refused, so a test never shadows a real stage, and removing
    the names again restores the registry exactly.
    """
    taken = sorted(set(targets) & set(stages.available()))
    if taken:
        raise ValueError(f"stage names already registered: {taken}")
    added: list[str] = []
    try:
        for name, target in targets.items():
            stages.register(name, target)
            added.append(name)
        yield
    finally:
        for name in added:
            stages.unregister(name)


class DropShort(Stage):
    """Drops documents with fewer than ``min_words`` words (reason ``too_short``)."""

    name = "drop_short"
    OPTIONS: ClassVar[dict[str, Option]] = {"min_words": Option(3, "fewest words kept", kind=int, min=0)}

    def apply(self, doc: Document) -> Outcome:
        if len(doc.text.split()) < self.min_words:
            return Outcome.drop("too_short")
        return Outcome(doc)


class StripFooter(Stage):
    """Removes lines equal to ``footer``."""

    name = "strip_footer"
    OPTIONS: ClassVar[dict[str, Option]] = {"footer": Option("Subscribe!", "the line removed", kind=str)}

    def apply(self, doc: Document) -> Outcome:
        lines = doc.text.split("\n")
        kept = [ln for ln in lines if ln.strip() != self.footer]
        if len(kept) == len(lines):
            return Outcome(doc)
        edits = [Edit("footer", ln) for ln in lines if ln.strip() == self.footer]
        return Outcome(
            dataclasses.replace(doc, text="\n".join(kept).strip("\n")),
            edits=edits,
            counts={"removed.footer": len(edits)},
        )


class LongestPerFirstWord(GlobalStep):
    """A toy global step: documents sharing a first word form a cluster; the longest is kept."""

    name = "longest_per_first_word"

    def configure(self) -> None:
        self._seen: list[tuple[str, str, int]] = []

    def reset(self) -> None:
        self._seen = []

    def fingerprint(self, doc: Document) -> str:
        return (doc.text.split() or [""])[0].lower()

    def collect(self, key: str, doc: Document) -> None:
        self._seen.append((key, doc.id, len(doc.text)))

    def resolve(self) -> list[Verdict]:
        best: dict[str, int] = {}
        size: dict[str, int] = {}
        for i, (key, _, length) in enumerate(self._seen):
            size[key] = size.get(key, 0) + 1
            if key not in best or length > self._seen[best[key]][2]:
                best[key] = i
        return [
            Verdict(True, fields={"cluster_size": size[key]})
            if best[key] == i
            else Verdict(False, "shares_first_word", note=f"kept {self._seen[best[key]][1]}")
            for i, (key, _, _) in enumerate(self._seen)
        ]

    def admit(self, key: str, doc: Document) -> Outcome:  # streaming form: not used by these tests
        raise NotImplementedError


class DropLinesSeenTwice(GlobalStep):
    """A toy text-rewriting global step: removes lines that occur in two or more documents."""

    name = "drop_lines_seen_twice"

    def configure(self) -> None:
        self._counts: dict[str, int] = {}

    def reset(self) -> None:
        self._counts = {}

    def fingerprint(self, doc: Document) -> set[str]:
        return set(doc.text.split("\n"))

    def collect(self, key: set[str], doc: Document) -> None:
        for line in key:
            self._counts[line] = self._counts.get(line, 0) + 1

    def decide(self, index: int, doc: Document) -> Outcome:
        kept = [ln for ln in doc.text.split("\n") if self._counts.get(ln, 0) < 2]
        if not kept:
            return Outcome.drop("only_repeated_lines")
        return Outcome(dataclasses.replace(doc, text="\n".join(kept)))


class TagOddLength(CorpusStep):
    """A toy streaming step that changes some documents: odd-length texts get ``meta.odd``."""

    name = "tag_odd_length"

    def fingerprint(self, doc: Document) -> int:
        return len(doc.text) % 2

    def admit(self, key: int, doc: Document) -> Outcome:
        if key:
            return Outcome(dataclasses.replace(doc, meta={**doc.meta, "odd": True}))
        return Outcome(doc)


# Every stage above under its config name: what the ``toy_stages`` fixture registers.
TOY_STAGES: dict[str, type] = {
    cls.name: cls for cls in (DropShort, StripFooter, LongestPerFirstWord, DropLinesSeenTwice, TagOddLength)
}
