"""Calibrated scores for the ``hybrid`` language detector: a raw detector score -> how often it is right.

The table (``corpus/text/data/langid_calibration.json``) is fitted by
``scripts/train/langid_calibration.py`` on one half of the DEV lines of ../shared/eval/langid
(sentences, word pairs, single words of the 51 common languages) and checked on the other half
(``make eval`` prints the reliability table). One stratum per detector path and length band
(:func:`stratum`); in each, the items are cut into bins by raw score, the bins' accuracies made
monotone (isotonic regression, pool-adjacent-violators) and smoothed as (right + 1) / (n + 2),
so no bin says 1.0. A score is the value of the bin its raw score falls in: a step function,
deterministic to the bit.

>>> stratum("lingua_agree", 14), stratum("langdetect_rs", 6000)
('lingua_agree/10-20', 'langdetect_rs/150-')
"""

from __future__ import annotations

import bisect
import functools
import json
from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "data" / "langid_calibration.json"
# Length bands (characters of the stripped text), per path; the last band is open-ended.
BANDS = {
    "lingua_agree": (0, 10, 20, 40, 60),
    "lingua_disagree": (0, 10, 20, 40, 60),
    "langdetect_rs_mid": (25, 60),
    "langdetect_rs": (150,),
}
PATHS = tuple(BANDS)
RAW_DECIMALS = 6  # raw scores are rounded before the lookup, so float noise cannot move a bin edge


def stratum(path: str, length: int) -> str:
    """The stratum name of a path and a text length: ``path/lo-hi`` (``lo-`` for the last band)."""
    bands = BANDS[path]
    i = max(bisect.bisect_right(bands, length) - 1, 0)
    hi = bands[i + 1] if i + 1 < len(bands) else ""
    return f"{path}/{bands[i]}-{hi}"


@dataclass(frozen=True)
class Steps:
    """One stratum's step function: bin i holds raw scores up to ``edges[i]`` and maps to ``values[i]``."""

    edges: tuple[float, ...]
    values: tuple[float, ...]

    def __call__(self, raw: float) -> float:
        i = bisect.bisect_left(self.edges, round(raw, RAW_DECIMALS))
        return self.values[min(i, len(self.values) - 1)]


@dataclass(frozen=True)
class Calibration:
    """The fitted table: a step function per stratum, and the floor under which a label is ``und``."""

    steps: dict[str, Steps]
    floor: float

    def score(self, path: str, length: int, raw: float) -> float:
        """Calibrated probability that the label is right; raw score clipped to [0, 1] when no table."""
        steps = self.steps.get(stratum(path, length))
        if steps is None:
            return min(max(raw, 0.0), 1.0)
        return steps(raw)


def from_json(data: dict) -> Calibration:
    steps = {
        name: Steps(tuple(float(e) for e in s["edges"]), tuple(float(v) for v in s["values"]))
        for name, s in data["strata"].items()
    }
    return Calibration(steps, float(data["floor"]))


@functools.cache
def load_calibration(path: Path = TABLE) -> Calibration:
    """The shipped table, read once per process."""
    return from_json(json.loads(path.read_text(encoding="utf-8")))
