"""Counters keyed by stable dotted names, added up across workers.

Keys look like ``strip_boilerplate.docs_in``, ``strip_boilerplate.removed.newsletter``,
``detect_language.dropped.lang_not_kept``. The runner records; stages only report.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from corpus.document import Document
from corpus.stages.base import Outcome


class Stats(Counter):
    """A Counter of dotted keys with helpers to record stage outcomes."""

    def record(self, stage: str, before: Document, outcome: Outcome) -> None:
        self[f"{stage}.docs_in"] += 1
        for key, n in outcome.counts.items():
            self[f"{stage}.{key}"] += n
        after = outcome.doc
        if after is None:
            self[f"{stage}.dropped.{outcome.reason or 'unspecified'}"] += 1
            return
        self[f"{stage}.docs_out"] += 1
        if after.text != before.text:
            self[f"{stage}.docs_changed"] += 1
            delta = len(before.text) - len(after.text)
            if delta > 0:
                self[f"{stage}.chars_removed"] += delta
            elif delta < 0:
                self[f"{stage}.chars_added"] += -delta

    def drops(self) -> dict[str, int]:
        """Dropped documents by ``stage.reason``."""
        out: dict[str, int] = {}
        for key, n in self.items():
            stage, _, rest = key.partition(".")
            if rest.startswith("dropped."):
                out[f"{stage}.{rest[len('dropped.') :]}"] = n
        return dict(sorted(out.items()))

    def by_stage(self) -> dict[str, dict[str, Any]]:
        """Nested view: {stage: {counter: n}}, keys sorted for stable output."""
        nested: dict[str, dict[str, Any]] = {}
        for key in sorted(self):
            stage, _, rest = key.partition(".")
            nested.setdefault(stage, {})[rest] = self[key]
        return nested
