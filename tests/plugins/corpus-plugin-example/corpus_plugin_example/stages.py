"""``straighten_quotes``: curly quotes to straight ones, a stage another package can ship.

A plugin stage is a ``corpus.Stage`` subclass: a ``name`` (the entry point's name), its
``OPTIONS`` declared as built-in stages declare theirs (checked when the stage is built, printed by
``corpus stages``) and ``apply``, which returns an ``Outcome``: the new document, one ``Edit`` per
change (``corpus explain`` prints them) and counters (the build's manifest sums them under
``straighten_quotes.<counter>``). Its package names it in pyproject.toml::

    [project.entry-points."corpus.stages"]
    straighten_quotes = "corpus_plugin_example.stages:StraightenQuotes"

>>> from corpus import Document
>>> out = StraightenQuotes().apply(Document("1", "“Both must,” he wrote. It’s ‘late’."))
>>> out.doc.text, out.counts
('"Both must," he wrote. It\\'s \\'late\\'.', {'replaced.double': 2, 'replaced.single': 3})
>>> StraightenQuotes(single=False).apply(Document("1", "It’s “late”.")).doc.text
'It’s "late".'
>>> StraightenQuotes(double=False, single=False)
Traceback (most recent call last):
...
corpus.errors.ConfigError: straighten_quotes: double and single are both false; nothing to straighten
"""

from __future__ import annotations

import dataclasses
import re
from typing import ClassVar

from corpus import Document, Edit, Outcome, Stage
from corpus.errors import ConfigError
from corpus.options import Option

DOUBLE = "“”„‟″〝〞"  # left, right, low-9, reversed-9 double quotes; double prime; CJK double primes
SINGLE = "‘’‚‛′"  # left, right, low-9, reversed-9 single quotes; prime


class StraightenQuotes(Stage):
    """Replace curly quotes with straight ones (“ ” „ with ", ‘ ’ ‚ with ')."""

    name = "straighten_quotes"
    OPTIONS: ClassVar[dict[str, Option]] = {
        "double": Option(True, 'straighten double quotes (“ ” „) to "', kind=bool),
        "single": Option(True, "straighten single quotes and apostrophes (‘ ’ ‚) to '", kind=bool),
    }

    def configure(self) -> None:
        if not (self.double or self.single):
            raise ConfigError(f"{self.name}: double and single are both false; nothing to straighten")
        table = {}
        if self.double:
            table |= {ord(c): '"' for c in DOUBLE}
        if self.single:
            table |= {ord(c): "'" for c in SINGLE}
        self._table = table
        self._find = re.compile("[" + "".join(map(chr, table)) + "]")

    def apply(self, doc: Document) -> Outcome:
        text = doc.text
        edits = []
        counts = {"replaced.double": 0, "replaced.single": 0}
        for match in self._find.finditer(text):
            char = match.group()
            kind = "double" if char in DOUBLE else "single"
            counts[f"replaced.{kind}"] += 1
            edits.append(Edit(f"{kind}_quote", char, self._table[ord(char)], start=match.start()))
        if not edits:
            return Outcome(doc)
        new = dataclasses.replace(doc, text=text.translate(self._table))
        return Outcome(new, edits=edits, counts={k: n for k, n in counts.items() if n})
