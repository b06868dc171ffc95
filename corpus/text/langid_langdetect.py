"""langdetect and langdetect-rs as a backend of ``corpus.text.langid`` (labels mapped by ``normalize_code``).

>>> normalize_code("no"), normalize_code("und")
('nb', None)
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corpus.text.langid_lingua import UNDETERMINED, langdetect_profiles

_CODE_MAP = {
    "zh-cn": "zh",
    "zh-tw": "zh",
    "zh-hans": "zh",
    "zh-hant": "zh",
    "iw": "he",
    "jw": "jv",
    "no": "nb",
}
_NO_ANSWER = {"", "un", "und", "zxx", "unknown"}


def normalize_code(label: str) -> str | None:
    """Map a backend label to our code: lowercase, no ``__label__``; None when it is no answer."""
    code = label.strip().lower().removeprefix("__label__")
    if code in _NO_ANSWER:
        return None
    return _CODE_MAP.get(code, code)


_LOCK = threading.Lock()


def _rs_probabilities(detector: Any) -> list[Any]:
    """langdetect-rs's ``get_probabilities`` in one pass of its core instead of two.

    Its ``_detect_block`` first runs the core with no trials only to learn whether the text
    has features (a third of the time on 6 KB documents), then runs it again with the
    trials; the run with trials reports "features" the same way. Defaults only (no prior
    map; alpha and trial count from the detector): what this backend sets. The result is
    the same list (tested against the library's own path).
    """
    from langdetect_rs.detector import seed_state

    detector.cleaning_text()
    langprob, error = detector._core.detect_block(
        detector.text, detector.alpha, detector.n_trial, None, seed_state(detector.seed)
    )
    if error == "features":
        raise _no_features()
    if error is not None:
        raise error
    detector.langprob = langprob
    return detector._sort_probability(langprob)


def _no_features() -> Exception:
    from langdetect_rs.detector import _no_features as make

    return make()


@functools.cache
def _sorted_profiles(names: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """langdetect's language profiles (JSON text) in file-name order: all 55, or those ``names``."""
    import langdetect

    directory = Path(langdetect.__file__).resolve().parent / "profiles"
    files = sorted(p for p in directory.iterdir() if p.is_file() and (names is None or p.name in names))
    return tuple(p.read_text(encoding="utf-8") for p in files)


def _load_factory(module_name: str, profiles: tuple[str, ...] | None = None) -> Any:
    """One DetectorFactory per process, module and profile set, created under a lock (never the
    global one). ``profiles``: profile file names (None: all 55)."""
    with _LOCK:
        return _load_factory_unlocked(module_name, profiles)


@functools.cache
def _load_factory_unlocked(module_name: str, profiles: tuple[str, ...] | None = None) -> Any:
    import importlib

    module = importlib.import_module(module_name)
    factory = module.DetectorFactory()
    factory.load_json_profile(list(_sorted_profiles(profiles)))
    return factory


class LangdetectBackend:
    """langdetect (``module="langdetect"``) or its Rust port (``module="langdetect_rs"``).

    ``lang`` is the top label of ``get_probabilities()``, mapped; the score is its probability
    (for "zh", zh-cn and zh-tw added up). A text without features gives ``("und", 0.0)``.
    ``languages`` (our codes) loads only their profiles, so only they can come out; None loads
    all 55 (langdetect's own behaviour, bit for bit).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        max_chars: int | None = None,
        module: str = "langdetect",
        languages: Sequence[str] | None = None,
    ) -> None:
        self.seed = seed
        self.max_chars = max_chars
        self.module = module
        self.profiles = langdetect_profiles(languages) if languages is not None else None
        self._factory: Any = None
        self._error: type[Exception] = Exception

    def load(self) -> None:
        if self._factory is None:
            import importlib

            self._error = importlib.import_module(self.module).LangDetectException
            self._factory = _load_factory(self.module, self.profiles)

    def detect(self, text: str) -> tuple[str, float]:
        if self.max_chars is not None:
            text = text[: self.max_chars]
        detector = self._factory.create()
        detector.seed = self.seed  # per detection; the factory's and the class's seed stay untouched
        detector.set_max_text_length(len(text) + 1)  # we cut above; langdetect's own cap is 10,000
        detector.append(text)
        try:
            if self.module == "langdetect_rs":
                probabilities = _rs_probabilities(detector)
            else:
                probabilities = detector.get_probabilities()
        except self._error:  # "No features in text": nothing langdetect can read
            return UNDETERMINED, 0.0
        code = normalize_code(probabilities[0].lang) if probabilities else None
        if code is None:
            return UNDETERMINED, 0.0
        # The label is langdetect's top one; its score adds up the labels that map to it
        # (zh-cn + zh-tw for "zh"), so it is the probability of the code written.
        return code, sum(float(p.prob) for p in probabilities if normalize_code(p.lang) == code)
