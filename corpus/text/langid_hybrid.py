"""The ``hybrid`` language detector: lingua on short text, langdetect-rs on long text, a calibrated score.

Which detector decides (chosen on half of the DEV lines of ../shared/eval/langid, see
``scripts/train/langid_calibration.py``; ``n`` = characters of the stripped text):

- ``n >= 150``: langdetect-rs alone (``langdetect_rs``). lingua is ~50x slower on long text and
  no better there; this keeps the speed of langdetect-rs on documents.
- ``n < 150``: lingua's high-accuracy model (far better on words and short phrases) and
  langdetect-rs (cheap on short text) both run. lingua's label is written (``lingua_agree`` or
  ``lingua_disagree``), except when the two disagree and langdetect-rs is sure while lingua is
  not (``langdetect_rs_mid``): from 60 characters on when lingua's confidence is under 0.7 and
  langdetect-rs's probability at least 0.9 (+0.15 points of sentence accuracy on both halves),
  and from 25 characters on when langdetect-rs's probability is at least 0.99 and lingua gives
  langdetect-rs's label at least half the confidence of its own (+0.07-0.09 points more; the
  README's "Pompeo met both ministers.", lingua: Afrikaans 0.32, English 0.19). Single words
  and word pairs are lingua's: langdetect-rs overruling them lost accuracy on every rule tried.

The score is not a detector's own probability (lingua's and langdetect's are far from honest on
short text: langdetect says 1.0 on most word pairs it gets wrong) but the calibrated chance that
the label is right, looked up by path, length band and raw score (``corpus.text.langid_calibration``).
A label whose calibrated score is under the table's floor is ``und`` with score 0.0: too little
evidence to name a language.

The two detectors only ever see the languages asked for (default: the 51 that both cover);
langdetect-rs then loads only their profiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from corpus.text.langid_calibration import Calibration, load_calibration
from corpus.text.langid_langdetect import LangdetectBackend
from corpus.text.langid_lingua import COMMON_LANGUAGES, UNDETERMINED, LinguaBackend

LONG_CHARS = 150  # from here on, langdetect-rs alone
MID_CHARS = 60  # from here on, langdetect-rs may overrule an unsure lingua
LINGUA_UNSURE = 0.7  # lingua's confidence under which it may be overruled
RS_SURE = 0.9  # langdetect-rs's probability from which it may overrule
CLOSE_CHARS = 25  # from here on, langdetect-rs may pick lingua's close runner-up
RS_VERY_SURE = 0.99  # ... when this sure
CLOSE_RATIO = 0.5  # ... and lingua gives its label at least this share of lingua's top confidence


@dataclass(frozen=True)
class Decision:
    """What the hybrid chose before calibration: label, the deciding detector's raw score, path, length."""

    code: str
    raw: float
    path: str
    length: int


class HybridBackend:
    """lingua + langdetect-rs by length and confidence, with a calibrated score (module docstring)."""

    def __init__(
        self,
        *,
        seed: int = 0,
        max_chars: int | None = None,
        languages: Sequence[str] | None = None,
        calibration: Calibration | None = None,
    ) -> None:
        self.languages = tuple(languages) if languages is not None else COMMON_LANGUAGES
        self.max_chars = max_chars
        self.rs = LangdetectBackend(
            seed=seed, max_chars=max_chars, module="langdetect_rs", languages=self.languages
        )
        self.lingua = LinguaBackend(languages=self.languages)
        self.calibration = calibration

    def load(self) -> None:
        self.rs.load()
        self.lingua.load()  # lingua's models themselves load when a short text first needs them
        if self.calibration is None:
            self.calibration = load_calibration()

    def decide(self, text: str) -> Decision:
        """The label and the path that chose it (uncalibrated)."""
        if self.max_chars is not None:
            text = text[: self.max_chars]
        n = len(text.strip())
        if n >= LONG_CHARS:
            code, raw = self.rs.detect(text)
            return Decision(code, raw, "langdetect_rs", n)
        confidences = self.lingua.confidences(text)
        code, conf = next(iter(confidences.items()), (UNDETERMINED, 0.0))
        rs_code, rs_prob = self.rs.detect(text)
        if rs_code == code:
            return Decision(code, conf, "lingua_agree", n)
        unsure = n >= MID_CHARS and conf < LINGUA_UNSURE and rs_prob >= RS_SURE
        close = (
            n >= CLOSE_CHARS
            and rs_prob >= RS_VERY_SURE
            and confidences.get(rs_code, 0.0) >= CLOSE_RATIO * conf
        )
        if code == UNDETERMINED or unsure or close:
            return Decision(rs_code, rs_prob, "langdetect_rs_mid", n)
        return Decision(code, conf, "lingua_disagree", n)

    def detect(self, text: str) -> tuple[str, float]:
        decision = self.decide(text)
        if decision.code == UNDETERMINED:
            return UNDETERMINED, 0.0
        assert self.calibration is not None, "load() first"
        score = self.calibration.score(decision.path, decision.length, decision.raw)
        if score < self.calibration.floor:
            return UNDETERMINED, 0.0
        return decision.code, score
