"""Exact deduplication on normalized text, keeping the first copy in stable input order."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import ClassVar

from corpus.dedup.base import CorpusStep, fold
from corpus.document import Document
from corpus.options import Option
from corpus.stages.base import Outcome


def normalize_for_dedup(text: str, *, lowercase: bool = True) -> str:
    """NFKC, whitespace runs to one space, stripped, optionally lowercased.

    >>> normalize_for_dedup("  Hello\\n\\n  WORLD ")
    'hello world'
    """
    return " ".join(fold(text, lowercase=lowercase).split())


def duplicate_of(doc: Document, kept: str) -> Outcome:
    """The outcome for an exact copy of the kept document ``kept`` (shared with the Ray engine)."""
    out = Outcome.drop("exact_duplicate")
    out.info = {"kept_id": kept}
    out.note = f"duplicate of {kept}"
    return out


def _key(norm: str) -> bytes:
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=16).digest()


class ExactDedup(CorpusStep):
    """Drop documents whose normalized text was already seen (reason ``exact_duplicate``).

    Holds one 16-byte BLAKE2b digest per kept document, never text.
    """

    name = "exact_dedup"
    OPTIONS: ClassVar[dict[str, Option]] = {
        "lowercase": Option(True, "compare texts lower-cased (after NFKC and whitespace folding)", kind=bool),
    }

    def configure(self) -> None:
        self._seen: dict[bytes, str] = {}

    @property
    def takes_folded(self) -> bool:  # fold() lowercases: only the default form can share it
        return self.lowercase

    def fingerprint(self, doc: Document) -> bytes:
        return _key(normalize_for_dedup(doc.text, lowercase=self.lowercase))

    def fingerprint_folded(self, folded: Sequence[str]) -> list[bytes]:
        return [_key(" ".join(text.split())) for text in folded]

    def admit(self, key: bytes, doc: Document) -> Outcome:
        kept = self._seen.get(key)
        if kept is not None:
            return duplicate_of(doc, kept)
        self._seen[key] = doc.id
        return Outcome(doc)

    def reset(self) -> None:
        self._seen = {}
