"""Learn a site's own furniture: lines repeated verbatim across many documents of one site.

A line such as "© 2019 Example Media. Terms | Privacy" or a site's own menu recurs in every page
of that site; a content line almost never does. This step counts, per group, in how many
documents each normalized line occurs, and removes the lines that pass the threshold.

Group (``group_by``): ``domain`` (the default) is the domain of ``doc.url`` without "www.";
a document without a url belongs to no site and is neither counted nor changed. A source (a
file, a dump of man pages) is not a site: its documents share a format, and the lines that
format repeats are content (the man-page heading "DESCRIPTION" is in every man page; grouped
by source, 12,375 of them went from the bench corpus). ``domain_or_source`` falls back to
``doc.source`` for documents without a url, for a source known to be one site.

Two-pass protocol, the GlobalStep one (the engine follows it; in Python, ``observe`` then
``apply``; plain ``apply`` without observing removes nothing):

1. Observe: call ``observe(doc)`` on every document (after the per-document stages). Only
   8-byte BLAKE2b hashes of normalized lines are kept, once per document, never text. Workers may
   each observe a shard with their own copy and the parent combines them with ``merge(other)``
   (counts add up; the result does not depend on how documents were split or ordered).
2. Apply: ``apply(doc)`` removes every line whose (group, hash) occurs in at least ``min_docs``
   documents AND in at least ``min_fraction`` of the group's documents. Edit rule
   "repeated_line"; counts {"removed.repeated_line": n}. A document with nothing but repeated
   lines (a page that is all furniture) is dropped as ``repeated_lines.only_repeated_lines``
   rather than kept empty. Pickling ships the counts, so a
   worker can apply after the parent has merged.

Which lines are eligible: normalized length from ``min_chars`` to ``max_chars``. The lower bound
(default 10) keeps short common lines ("Yes", "Thanks!", "1.") that recur for innocent reasons;
short furniture ("Share") is the per-line rules' job (strip_boilerplate). The upper bound keeps
long paragraphs (e.g. a quoted press statement syndicated across a site) out of reach.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from typing import Any, ClassVar
from urllib.parse import urlsplit

from corpus.dedup.base import GlobalStep
from corpus.document import Document
from corpus.errors import ConfigError
from corpus.options import Option
from corpus.stages.base import Outcome
from corpus.text.boilerplate import remove_lines

_SPACE = re.compile(r"\s+")


def normalize_for_lines(line: str) -> str:
    """Whitespace runs to one space, stripped, casefolded.

    >>> normalize_for_lines("  Read   MORE ")
    'read more'
    """
    return _SPACE.sub(" ", line).strip().casefold()


def line_hash(norm: str) -> bytes:
    """8-byte BLAKE2b digest of a normalized line.

    >>> len(line_hash("read more"))
    8
    """
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=8).digest()


GROUP_BY = ("domain", "domain_or_source")


def group_key(doc: Document, group_by: str = "domain") -> str | None:
    """The url's domain without "www."; else None (``domain``) or the source (``domain_or_source``).

    >>> group_key(Document(id="1", text="", source="crawl", url="https://www.example.com/a"))
    'example.com'
    >>> group_key(Document(id="1", text="", source="crawl")) is None
    True
    >>> group_key(Document(id="1", text="", source="crawl"), "domain_or_source")
    'crawl'
    """
    try:
        host = urlsplit(doc.url).hostname if doc.url else None
    except ValueError:  # an unparsable url (e.g. a bad IPv6 literal) names no site
        host = None
    if host:
        return host.removeprefix("www.")
    return (doc.source or None) if group_by == "domain_or_source" else None


class RepeatedLines(GlobalStep):
    """Remove lines that recur verbatim in many documents of the same site (two-pass; see module)."""

    name = "repeated_lines"
    OPTIONS: ClassVar[dict[str, Option]] = {
        "min_docs": Option(
            5, "remove a line found in at least this many documents of its site", kind=int, min=1
        ),
        "min_fraction": Option(
            0.5, "... and in at least this share of the site's documents", kind=float, min=0, max=1
        ),
        "min_chars": Option(10, "shortest line considered (normalized characters)", kind=int, min=1),
        "max_chars": Option(300, "longest line considered (normalized characters)", kind=int, min=1),
        "group_by": Option(
            "domain",
            "what a site is: the url's domain (documents without a url are left alone), "
            "or domain_or_source (the source when there is no url)",
            choices=GROUP_BY,
        ),
    }

    def configure(self) -> None:
        if self.min_chars > self.max_chars:
            raise ConfigError(
                f"repeated_lines.min_chars, repeated_lines.max_chars: min_chars must not exceed max_chars; "
                f"got min_chars={self.min_chars}, max_chars={self.max_chars}"
            )
        self.reset()

    def __getstate__(self) -> dict[str, Any]:
        # The counts travel too: a worker applies what the parent learned and merged.
        return {
            **super().__getstate__(),
            "doc_counts": self.doc_counts,
            "line_counts": self.line_counts,
            "_learned": self._learned,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.doc_counts = state.get("doc_counts", Counter())
        self.line_counts = state.get("line_counts", {})
        self._learned = state.get("_learned")

    def _hashes(self, text: str) -> list[bytes | None]:
        out: list[bytes | None] = []
        for line in text.split("\n"):
            norm = normalize_for_lines(line)
            out.append(line_hash(norm) if self.min_chars <= len(norm) <= self.max_chars else None)
        return out

    def fingerprint(self, doc: Document) -> tuple[str | None, frozenset[bytes]]:
        """Map side (a worker): the document's group and the hashes of its eligible lines.

        A document of no group (no url under ``group_by: domain``) is not hashed at all.
        """
        group = group_key(doc, self.group_by)
        if group is None:
            return None, frozenset()
        return group, frozenset(h for h in self._hashes(doc.text) if h is not None)

    def collect(self, key: tuple[str | None, frozenset[bytes]], doc: Document) -> None:
        group, hashes = key
        if group is None:
            return
        self.doc_counts[group] += 1
        self.line_counts.setdefault(group, Counter()).update(hashes)

    def observe(self, doc: Document) -> None:
        """Phase 1: count this document's eligible lines (each distinct line once)."""
        self.collect(self.fingerprint(doc), doc)

    def decide(self, index: int, doc: Document) -> Outcome:
        return self.apply(doc)

    def merge(self, other: RepeatedLines) -> RepeatedLines:
        """Add another observer's counts into this one (workers -> parent); returns self."""
        self.doc_counts.update(other.doc_counts)
        for group, counts in other.line_counts.items():
            self.line_counts.setdefault(group, Counter()).update(counts)
        return self

    def learned(self) -> dict[str, list[bytes]]:
        """The repeated lines found, by group: what ``apply`` needs, without the counts (sorted)."""
        return {
            group: sorted(h for h in counts if self.is_repeated(group, h))
            for group, counts in sorted(self.line_counts.items())
        }

    def use_learned(self, learned: dict[str, list[bytes]]) -> None:
        """Apply what another process learned (``learned()``) instead of counting here."""
        self._learned = {group: frozenset(hashes) for group, hashes in learned.items()}

    def is_repeated(self, group: str, h: bytes) -> bool:
        """Whether the line with hash ``h`` passes the threshold in ``group``."""
        if self._learned is not None:
            return h in self._learned.get(group, ())
        n = self.line_counts.get(group, {}).get(h, 0)
        return n >= self.min_docs and n >= self.min_fraction * self.doc_counts[group]

    def reset(self) -> None:
        """Forget all observations (start of a new build)."""
        self.doc_counts: Counter[str] = Counter()  # group -> documents observed
        self.line_counts: dict[str, Counter[bytes]] = {}  # group -> hash -> documents containing it
        self._learned: dict[str, frozenset[bytes]] | None = None  # from use_learned

    def apply(self, doc: Document) -> Outcome:
        """Phase 2: remove the repeated lines of this document's group."""
        group = group_key(doc, self.group_by)
        if group is None or group not in (self.line_counts if self._learned is None else self._learned):
            return Outcome(doc)
        drop = {
            i: "repeated_line"
            for i, h in enumerate(self._hashes(doc.text))
            if h and self.is_repeated(group, h)
        }
        if not drop:
            return Outcome(doc)
        text, edits = remove_lines(doc.text, drop)
        if not text.strip():  # nothing but the site's furniture: not a document to keep empty
            return Outcome(
                None, reason="only_repeated_lines", edits=edits, counts={"removed.repeated_line": len(edits)}
            )
        return Outcome(
            dataclasses.replace(doc, text=text),
            edits=edits,
            counts={"removed.repeated_line": len(edits)},
        )
