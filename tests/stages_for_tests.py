"""Tiny stages used by engine tests, so they do not depend on the real cleaning stages."""

from __future__ import annotations

import dataclasses

from corpus.document import Document
from corpus.stages.base import Edit, Outcome, Stage


class DropShort(Stage):
    """Drops documents with fewer than ``min_words`` words (reason ``too_short``)."""

    name = "drop_short"

    def __init__(self, *, min_words: int = 3) -> None:
        self.min_words = min_words

    def apply(self, doc: Document) -> Outcome:
        if len(doc.text.split()) < self.min_words:
            return Outcome.drop("too_short")
        return Outcome(doc)


class StripFooter(Stage):
    """Removes lines equal to ``footer``."""

    name = "strip_footer"

    def __init__(self, *, footer: str = "Subscribe!") -> None:
        self.footer = footer

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
