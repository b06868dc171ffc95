"""Counters keyed by stable dotted names, added up across workers.

Keys look like ``strip_boilerplate.docs_in``, ``strip_boilerplate.removed.newsletter``,
``detect_language.dropped.lang_not_kept``. The runner records; stages only report.
``seconds`` holds CPU seconds by stage (and ``phase.<name>`` for the engine's phases): it adds
up like the counters but never goes into a manifest, which must not depend on the machine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from corpus.document import Document


def drop_key(stage: str, reason: str | None) -> str:
    """The one spelling of a drop reason across logs, manifests and summaries: ``stage.reason``.

    >>> drop_key("detect_language", "lang_not_kept"), drop_key("near_dedup", None)
    ('detect_language.lang_not_kept', 'near_dedup.unspecified')
    """
    return f"{stage}.{reason or 'unspecified'}"


class Stats(Counter):
    """A Counter of dotted keys with helpers to record stage outcomes, plus CPU ``seconds``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seconds: Counter[str] = Counter()

    def update(self, other: Iterable[Any] | Mapping[str, Any] | None = None, /, **kwargs: Any) -> None:
        super().update(other, **kwargs)
        if isinstance(other, Stats):
            self.seconds.update(other.seconds)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (dict(self), dict(self.seconds)))

    def record(self, stage: str, before: Document, outcome: Any) -> None:
        """Count one stage's ``Outcome`` on one document."""
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
                out[drop_key(stage, rest[len("dropped.") :])] = n
        return dict(sorted(out.items()))

    def by_stage(self) -> dict[str, dict[str, Any]]:
        """Nested view: {stage: {counter: n}}, keys sorted for stable output."""
        nested: dict[str, dict[str, Any]] = {}
        for key in sorted(self):
            stage, _, rest = key.partition(".")
            nested.setdefault(stage, {})[rest] = self[key]
        return nested


def _rebuild(counts: dict[str, int], seconds: dict[str, float]) -> Stats:
    stats = Stats(counts)
    stats.seconds.update(seconds)
    return stats
