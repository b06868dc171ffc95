"""The ``detect_language`` stage: write ``lang`` and ``lang_score``, optionally filter on them.

A thin wrapper around ``corpus.text.langid.detect_language``. The default backend, ``hybrid``
(``corpus.text.langid_hybrid``), asks lingua's high-accuracy model about short text (under 150
characters) and langdetect-rs about long text, and writes a calibrated score: on the held-back
half of ../shared/eval/langid's DEV lines a score of s is right about s of the time, and a label
right less than one time in ten is written as ``und`` (score 0.0) instead. ``languages`` is the
set it may output (default: the 51 languages lingua and langdetect share). The other backends
stay selectable with their own raw scores: ``langdetect_rs`` (langdetect's labels and
probabilities bit for bit, the default before), ``langdetect``, ``lingua`` (slow on long text)
and ``fasttext``. Figures: ``python -m scripts.eval.language``.

When a document is dropped:

- ``keep``: when set, a document whose ``lang`` is not in it is dropped ("lang_not_kept").
- ``min_score``: a document scored under it is dropped ("lang_low_score").
- An undetermined document is dropped ("lang_undetected") only when ``keep`` or
  ``min_score`` asks for a filter; otherwise it is kept with ``lang="und"``. Either way it is
  counted: ``detect_language.undetermined`` in the build's stats.

``max_chars`` (default 10,000, langdetect's own limit) is how many characters from the start
of the text are read; None reads everything.

A short text is lingua's (its models load on the first short text, once per process), a long
one langdetect-rs's; neither score is 1.0:

>>> stage = DetectLanguage(keep=["de"])
>>> stage.setup()
>>> out = stage.apply(Document("1", "Das ist ein kurzer deutscher Satz über das Wetter in Berlin."))
>>> out.doc.lang, out.doc.lang_score
('de', 0.9957)
>>> long = " ".join(["Der Stadtrat hat am Dienstagabend den neuen Haushalt beschlossen."] * 4)
>>> stage.apply(Document("2", long)).doc.lang_score
0.9985
>>> stage.apply(Document("3", "This short sentence is written in English.")).reason
'lang_not_kept'
>>> out = stage.apply(Document("4", "   "))
>>> out.reason, out.counts
('lang_undetected', {'undetermined': 1})
>>> DetectLanguage(min_score="0.5")
Traceback (most recent call last):
...
corpus.errors.ConfigError: detect_language.min_score: expected a number in [0, 1]; got '0.5' (a string)
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from corpus.document import Document
from corpus.options import Option
from corpus.stages.base import Outcome, Stage
from corpus.text.langid import BACKENDS, DEFAULT_BACKEND, UNDETERMINED, LanguageDetector, make_backend


class DetectLanguage(Stage):
    """Detect each document's language; see the module docstring for the options."""

    name = "detect_language"
    OPTIONS: ClassVar[dict[str, Option]] = {
        "backend": Option(DEFAULT_BACKEND, "language identifier", choices=BACKENDS),
        "keep": Option(None, "languages kept (ISO 639-1 codes); null keeps all", kind=list, items=str),
        "min_score": Option(0.0, "drop documents scored under this", kind=float, min=0, max=1),
        "languages": Option(
            None,
            "languages the detector may output (ISO 639-1); null: the backend's default set "
            "(hybrid and lingua: the 51 that lingua and langdetect share)",
            kind=list,
            items=str,
        ),
        "seed": Option(0, "seed of langdetect's random walk (results are deterministic per seed)", kind=int),
        "max_chars": Option(
            10_000, "characters read from the start; null reads all", kind=int, min=1, nullable=True
        ),
    }

    def configure(self) -> None:
        self._keep = frozenset(self.keep) if self.keep is not None else None
        # checks the language list against the backend now (ConfigError), without loading a model
        make_backend(self.backend, seed=self.seed, max_chars=self.max_chars, languages=self.languages)

    def setup(self) -> None:
        if "_detector" not in self.__dict__:  # the model, once per worker (shared per process)
            detector = LanguageDetector(
                self.backend, seed=self.seed, max_chars=self.max_chars, languages=self.languages
            )
            detector.load()
            self._detector = detector

    def detect(self, text: str) -> tuple[str, float]:
        """``(lang, lang_score)`` for a text, as this stage writes them."""
        self.setup()
        return self._detector(text)

    def apply(self, doc: Document) -> Outcome:
        lang, score = self.detect(doc.text)
        filtering = self._keep is not None or self.min_score > 0
        if lang == UNDETERMINED:  # counted as detect_language.undetermined, kept or dropped
            if filtering:
                return Outcome.drop("lang_undetected", undetermined=1)
            return Outcome(dataclasses.replace(doc, lang=lang, lang_score=score), counts={"undetermined": 1})
        if self._keep is not None and lang not in self._keep:
            return Outcome.drop("lang_not_kept")
        if score < self.min_score:
            return Outcome.drop("lang_low_score")
        return Outcome(dataclasses.replace(doc, lang=lang, lang_score=score))
