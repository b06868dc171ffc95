"""Fit the hybrid language detector's score calibration: corpus/text/data/langid_calibration.json.

    .venv/bin/python -m scripts.train.langid_calibration          # ~1.5 min; rewrites the table
    .venv/bin/python -m scripts.train.langid_calibration --check  # exit 1 if the table on disk differs

Data: the DEV lines of ../shared/eval/langid (lingua's test sentences, word pairs and single words)
of the 51 languages the hybrid covers, each stripped line one item, gold = its file's code. They
are split in two halves by a hash of the key, the same form as SOURCE.txt's split rule:
``KEY = f"{kind}/{file}:{j}"`` (j = 0-based line number in the DEV file) and the line is in the
*fit* half iff ``int(sha1(f"calib:{KEY}").hexdigest()[:8], 16) % 2 == 0``. The table is fitted on
the fit half only; ``make eval`` (scripts/eval/language.py) reports reliability on the other.

Per stratum (path x length band, ``corpus.text.langid_calibration.BANDS``): items sorted by raw
score, cut into bins of at least ``max(MIN_BIN, n // MAX_BINS)`` items (equal raw scores never
split), made monotone by pool-adjacent-violators, each bin's value (right + 1) / (n + 2).

The floor (``und`` under it) is FLOOR: a label right less than one time in ten is no answer.
On the fit half that turns 200 of 25,800 single words (the lowest bin of lingua-vs-langdetect
disagreements on texts under 10 characters, right 17 times) and nothing longer into ``und``,
costing 0.10 points of single-word accuracy (an ``und`` always counts wrong). A floor of 0.2
would cost 0.53 points (600 items, 94 of them right) and miss the single-word target.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corpus.text.langid_calibration import TABLE, Calibration, stratum
from corpus.text.langid_hybrid import HybridBackend
from corpus.text.langid_lingua import COMMON_LANGUAGES, UNDETERMINED

ROOT = Path(__file__).resolve().parents[2]
LANGID = ROOT.parent / "shared" / "eval" / "langid"
KINDS = ("sentences", "word-pairs", "single-words")
MIN_BIN = 40
MAX_BINS = 25
FLOOR = 0.1


def read_lines(path: Path) -> list[str]:
    """A DEV file's lines, split on "\\n" only (some lines hold U+0085 or U+2028)."""
    lines = path.read_bytes().decode("utf-8").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def half(key: str) -> int:
    """0: the fit half, 1: the check half."""
    return int(hashlib.sha1(f"calib:{key}".encode()).hexdigest()[:8], 16) % 2


def dev_items(which: int | None = None, languages: tuple[str, ...] = COMMON_LANGUAGES) -> Iterator[dict]:
    """``{kind, gold, key, text}`` of every DEV line (of one half when ``which`` is 0 or 1)."""
    for kind in KINDS:
        for code in languages:
            for j, line in enumerate(read_lines(LANGID / "lingua" / kind / f"{code}.txt")):
                key = f"{kind}/{code}.txt:{j}"
                if which is None or half(key) == which:
                    yield {"kind": kind, "gold": code, "key": key, "text": line.strip()}


def _bins(pairs: list[tuple[float, bool]]) -> list[list[float]]:
    """[max raw, right, n] per bin of sorted (raw, right) pairs; ties stay in one bin."""
    pairs.sort()
    size = max(MIN_BIN, len(pairs) // MAX_BINS)
    bins: list[list[float]] = []
    current = [0.0, 0, 0]
    for i, (raw, right) in enumerate(pairs):
        current = [raw, current[1] + right, current[2] + 1]
        last = i + 1 == len(pairs)
        if last or (current[2] >= size and pairs[i + 1][0] != raw):
            bins.append(current)
            current = [0.0, 0, 0]
    if len(bins) > 1 and bins[-1][2] < size:  # a short tail joins its neighbour
        tail = bins.pop()
        bins[-1] = [tail[0], bins[-1][1] + tail[1], bins[-1][2] + tail[2]]
    return bins


def _pav(bins: list[list[float]]) -> list[list[float]]:
    """Pool adjacent bins until right/n never decreases with the raw score."""
    out: list[list[float]] = []
    for b in bins:
        out.append(list(b))
        while len(out) > 1 and out[-2][1] / out[-2][2] > out[-1][1] / out[-1][2]:
            top = out.pop()
            out[-1] = [top[0], out[-1][1] + top[1], out[-1][2] + top[2]]
    return out


def fit_stratum(pairs: list[tuple[float, bool]]) -> dict[str, list]:
    blocks = _pav(_bins(pairs))
    values, best = [], 0.0
    for _, right, n in blocks:
        best = max(best, (right + 1) / (n + 2))  # smoothing may dent the order: keep it monotone
        values.append(round(best, 6))
    return {
        "edges": [round(b[0], 6) for b in blocks],
        "values": values,
        "n": [int(b[2]) for b in blocks],
        "right": [int(b[1]) for b in blocks],
    }


def decisions(which: int) -> list[tuple[Any, dict]]:
    """The hybrid's uncalibrated decision on every item of one half."""
    backend = HybridBackend(max_chars=10_000, calibration=Calibration({}, 0.0))
    backend.load()
    return [(backend.decide(item["text"]), item) for item in dev_items(which)]


def fit() -> dict[str, Any]:
    by_stratum: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for decision, item in decisions(0):
        if decision.code != UNDETERMINED:
            key = stratum(decision.path, decision.length)
            by_stratum[key].append((round(decision.raw, 6), decision.code == item["gold"]))
    return {
        "about": "hybrid language ID score calibration; fitted by scripts/train/langid_calibration.py "
        "on the fit half of ../shared/eval/langid DEV lines (51 languages); edges[i] = the largest "
        "raw score of bin i, values[i] = its calibrated score; n/right = items and correct labels",
        "floor": FLOOR,
        "strata": {key: fit_stratum(by_stratum[key]) for key in sorted(by_stratum)},
    }


def render(table: dict[str, Any]) -> str:
    return json.dumps(table, indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    if not (LANGID / "languages.tsv").exists():
        print("../shared/eval/langid is absent: nothing to fit on", file=sys.stderr)
        return 1
    text = render(fit())
    if "--check" in argv:
        same = TABLE.exists() and TABLE.read_text(encoding="utf-8") == text
        print(f"{TABLE.name}: {'up to date' if same else 'differs, rerun without --check'}")
        return int(not same)
    TABLE.write_text(text, encoding="utf-8")
    table = json.loads(text)
    for key, s in table["strata"].items():
        low, high = s["values"][0], s["values"][-1]
        print(f"{key:28} items {sum(s['n']):6d}  bins {len(s['n']):2d}  values {low:.3f}..{high:.3f}")
    print(f"wrote {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
