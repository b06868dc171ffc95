"""The ``fix_encoding`` stage: repair mojibake with ftfy, then tidy line breaks, controls and spaces.

A thin wrapper around ``corpus.text.encoding.fix_encoding`` (the steps, the rule each edit
names and why each default is what it is are documented there); ``ftfy`` takes ftfy's
TextFixerConfig fields (all but ``explain``) as overrides of ``FTFY_DEFAULTS``
(``corpus.text.ftfy_gate``): pass ``ftfy=FTFY_COSMETIC`` for ftfy's full default behaviour.

>>> stage = FixEncoding(strip_trailing=True)
>>> out = stage.apply(Document("1", "Pompeoâ€™s statement:\\xa0\\r\\nâ€œStop.â€\\x9d\\n"))
>>> out.doc.text
'Pompeo’s statement:\\n“Stop.”\\n'
>>> for edit in out.edits:
...     print(edit.describe())
[whitespace.newlines] @22 '\\r\\n' -> '\\n'
[ftfy.apply:decode_inconsistent_utf8] 'â€™' -> '’'
[ftfy.encode:sloppy-windows-1252/decode:utf-8] 'â€œStop.â€\\x9d' -> '“Stop.”'
[whitespace.trailing] removed '\\xa0'
>>> FixEncoding(spaces="nbsp")
Traceback (most recent call last):
...
corpus.errors.ConfigError: fix_encoding.spaces: expected one of keep, ascii; got 'nbsp' (a string)
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from corpus.document import Document, Edit
from corpus.options import Option
from corpus.stages.base import Outcome, Stage
from corpus.text.encoding import SPACES, EncodingFixer
from corpus.text.ftfy_gate import ftfy_config


class FixEncoding(Stage):
    """Repair mojibake and normalise whitespace; see ``corpus.text.encoding`` for the steps."""

    name = "fix_encoding"
    OPTIONS: ClassVar[dict[str, Option]] = {
        "ftfy": Option(
            None, "overrides of ftfy's TextFixerConfig (cosmetic fixers off by default)", kind=dict
        ),
        "gate": Option(True, "run ftfy only on lines it could change (same output, faster)", kind=bool),
        "newlines": Option(True, "CRLF and lone CR become LF", kind=bool),
        "remove_controls": Option(True, "drop C0 control characters and DEL but TAB, LF, CR", kind=bool),
        "spaces": Option("keep", "ascii: NBSP and other space separators become U+0020", choices=SPACES),
        "nfc": Option(False, "Unicode NFC (changes some clean text)", kind=bool),
        "strip_trailing": Option(False, "drop horizontal whitespace at line ends", kind=bool),
        "max_blank_lines": Option(
            1, "cut longer runs of blank lines; null keeps them", kind=int, min=0, nullable=True
        ),
    }

    def configure(self) -> None:
        ftfy_config(self.ftfy)  # every key and value of the ftfy mapping, checked now

    def setup(self) -> None:
        if "_fixer" not in self.__dict__:  # the gate regexes: ~70 ms, once per worker
            self._fixer = EncodingFixer(**self._options)

    def fix(self, text: str) -> tuple[str, list[Edit]]:
        """The stage's text and the edits that made it (``fix_encoding`` with these options)."""
        self.setup()
        return self._fixer(text)

    def apply(self, doc: Document) -> Outcome:
        try:
            text, edits = self._fixer(doc.text)
        except AttributeError:
            text, edits = self.fix(doc.text)
        if not edits:
            return Outcome(doc)
        counts: dict[str, int] = {}
        for edit in edits:
            counts[edit.rule] = counts.get(edit.rule, 0) + 1
        return Outcome(dataclasses.replace(doc, text=text), edits=edits, counts=counts)
