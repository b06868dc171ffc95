"""The ``strip_boilerplate`` stage: page furniture lines out, one Edit per removed line.

A thin wrapper: the rules, their compiler and the line removal live in
``corpus.text.boilerplate`` (``strip_boilerplate(text) -> (text, edits)``); this stage declares
the options, compiles the enabled rules once per worker and counts removals per rule class.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from corpus.document import Document
from corpus.errors import ConfigError
from corpus.options import Option
from corpus.stages.base import Outcome, Stage
from corpus.text.boilerplate import (
    DEFAULT_RULES,
    LANGUAGES,
    RULE_CLASSES,
    compile_rules,
    strip_boilerplate,
)
from corpus.text.boilerplate.model import shipped_model


def _check_names(option: str, value: list[str] | None, known: tuple[str, ...]) -> None:
    """ConfigError naming the unknown entries of a list option, with what it accepts."""
    unknown = sorted(set(value or ()) - set(known))
    if unknown:
        raise ConfigError(
            f"strip_boilerplate.{option}: unknown {unknown}; expected some of: {', '.join(known)}"
        )


class StripBoilerplate(Stage):
    """Remove whole furniture lines; each Edit names its rule ("newsletter.en", "terms_agree.de",
    or "signup.learned" for a line the line model removed, with the reason in ``Edit.why``).

    Counts: ``removed.<class>`` per rule class (``removed.newsletter``), learned removals included.
    """

    name = "strip_boilerplate"
    OPTIONS: ClassVar[dict[str, Option]] = {
        "rules": Option(
            None,
            "rule classes to enable (null: all but the opt-in related_block): " + ", ".join(RULE_CLASSES),
            kind=list,
            items=str,
        ),
        "languages": Option(
            None,
            "ISO codes whose patterns to enable (null: all): " + ", ".join(LANGUAGES),
            kind=list,
            items=str,
        ),
        "max_line_chars": Option(1000, "longer lines are never furniture", kind=int, min=1),
        "learned": Option(
            True,
            "let the shipped line model veto rule hits and remove furniture no rule names "
            "(<class>.learned); false: the rules alone",
            kind=bool,
        ),
    }

    def configure(self) -> None:
        _check_names("rules", self.rules, RULE_CLASSES)
        _check_names("languages", self.languages, LANGUAGES)
        self._rules = tuple(self.rules) if self.rules is not None else DEFAULT_RULES
        self._languages = tuple(self.languages) if self.languages is not None else None

    def setup(self) -> None:
        compile_rules(self._rules, self._languages)  # cached: the first document pays, not each
        if self.learned:
            shipped_model()

    def apply(self, doc: Document) -> Outcome:
        text, edits = strip_boilerplate(
            doc.text,
            rules=self._rules,
            languages=self._languages,
            max_line_chars=self.max_line_chars,
            learned=self.learned,
        )
        if not edits:
            return Outcome(doc)
        counts: dict[str, int] = {}
        for e in edits:
            key = "removed." + e.rule.split(".")[0]
            counts[key] = counts.get(key, 0) + 1
        return Outcome(dataclasses.replace(doc, text=text), edits=edits, counts=counts)
