"""The language sets the detectors can output, and the ``lingua`` backend (lingua-language-detector).

lingua (https://github.com/pemistahl/lingua-py) ships its n-gram models inside the wheel, so it
loads offline. Its high-accuracy mode is the best measured detector on short text (single
words, word pairs) on ../shared/eval/langid, but reads long documents about 50x slower than
langdetect-rs; the ``hybrid`` backend (``corpus.text.langid_hybrid``) asks it only about short
text.

Models: a detector is built once per process and language set (cached below, under a lock).
lingua loads a language's models the first time a text could be in that language and keeps
them process-wide (read-only), so a worker that never sees a short text never pays for them;
all 51 default languages take ~1 GB and ~10 s to load (``preload()`` loads them now).

>>> COMMON_LANGUAGES[:5], len(COMMON_LANGUAGES)
(('af', 'ar', 'bg', 'bn', 'ca'), 51)
>>> langdetect_profiles(["nb", "zh", "en"])
('en', 'no', 'zh-cn', 'zh-tw')
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from corpus.errors import ConfigError

UNDETERMINED = "und"

# langdetect 1.0.9's 55 profiles as our codes (file name -> code: "no" -> nb, zh-cn/zh-tw -> zh).
LANGDETECT_LANGUAGES = (
    "af ar bg bn ca cs cy da de el en es et fa fi fr gu he hi hr hu id it ja kn ko lt lv mk ml mr ne nb nl "
    "pa pl pt ro ru sk sl so sq sv sw ta te th tl tr uk ur vi zh"
).split()
_PROFILE_NAMES = {"nb": ("no",), "zh": ("zh-cn", "zh-tw")}

# lingua 2.1's 75 languages (ISO 639-1).
LINGUA_LANGUAGES = (
    "af ar az be bg bn bs ca cs cy da de el en eo es et eu fa fi fr ga gu he hi hr hu hy id is it ja ka kk "
    "ko la lg lt lv mi mk mn mr ms nb nl nn pa pl pt ro ru sk sl sn so sq sr st sv sw ta te th tl tn tr ts "
    "uk ur vi xh yo zh zu"
).split()

# Both detectors cover these 51 ("common" in ../shared/eval/langid/SOURCE.txt): the hybrid's
# languages, and its default output set.
COMMON_LANGUAGES = tuple(code for code in LANGDETECT_LANGUAGES if code in set(LINGUA_LANGUAGES))


def langdetect_profiles(languages: Iterable[str]) -> tuple[str, ...]:
    """langdetect's profile file names for our codes, sorted (file-name order, as loaded)."""
    names: list[str] = []
    for code in languages:
        names.extend(_PROFILE_NAMES.get(code, (code,)))
    return tuple(sorted(set(names)))


def check_languages(where: str, languages: Sequence[str], supported: Sequence[str], backend: str) -> None:
    """ConfigError unless ``languages`` is a non-empty list of distinct codes the backend can output."""
    if not languages:
        raise ConfigError(f"{where}: empty; name some languages or leave it null (the backend's default set)")
    unknown = [code for code in languages if code not in supported]
    if unknown:
        raise ConfigError(
            f"{where}: backend {backend!r} cannot output {', '.join(map(repr, unknown))}; "
            f"it knows {' '.join(supported)}"
        )
    if len(set(languages)) != len(languages):
        raise ConfigError(f"{where}: {list(languages)!r} names a language twice")


_LOCK = threading.Lock()


@functools.cache
def _lingua_detector(languages: tuple[str, ...], preload: bool) -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in languages]
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
    return (builder.with_preloaded_language_models() if preload else builder).build()


def lingua_detector(languages: Sequence[str], *, preload: bool = False) -> Any:
    """lingua's high-accuracy detector restricted to ``languages``, one per process and set.

    lingua keeps loaded models process-wide, shared by its detectors: ``preload=True`` loads
    every model of the set now; otherwise each loads when a text first needs it."""
    with _LOCK:
        return _lingua_detector(tuple(sorted(languages)), preload)


@functools.cache
def _code(language: Any) -> str:
    return language.iso_code_639_1.name.lower()


class LinguaBackend:
    """lingua's high-accuracy mode over ``languages`` (default: the 51 common ones).

    ``detect`` gives the top language and lingua's confidence in it (its probabilities over the
    languages built in add up to 1); ``("und", 0.0)`` when lingua names none.
    """

    def __init__(self, *, languages: Sequence[str] | None = None, max_chars: int | None = None) -> None:
        self.languages = tuple(languages) if languages is not None else COMMON_LANGUAGES
        self.max_chars = max_chars
        self._detector: Any = None

    def load(self) -> None:
        if self._detector is None:
            self._detector = lingua_detector(self.languages)

    def preload(self) -> None:
        """Load every model now (~10 s and ~1 GB for the 51 default languages) instead of on demand."""
        self._detector = lingua_detector(self.languages, preload=True)

    def confidences(self, text: str) -> dict[str, float]:
        """lingua's confidence per language, best first (languages at 0 left out); empty when none."""
        values = self._detector.compute_language_confidence_values(text)
        return {_code(v.language): float(v.value) for v in values if v.value > 0.0}

    def detect(self, text: str) -> tuple[str, float]:
        if self.max_chars is not None:
            text = text[: self.max_chars]
        best = next(iter(self.confidences(text).items()), None)
        return best if best is not None else (UNDETERMINED, 0.0)
