"""The learned line model of ``strip_boilerplate``: a logistic regression over line features.

The rules say what furniture looks like in the languages they were written for; the model says
how furniture *behaves* (``features``: where a line sits, its shape, its neighbours, which cue
stems and which rule class it holds). It scores every line the cue prefilter finds and decides:

- a line a rule marks goes unless the model is confident it is content (it can veto a rule);
- a line no rule marks goes when the model says furniture with probability >= ``threshold``,
  named ``<class>.learned`` after its first class cue (``signup.learned``, ``share.learned``;
  ``furniture.learned`` when only a language cue block matched).

Each learned removal carries its reason (``why``): the probability and the features that
pushed it most, so ``corpus explain`` can show why a line went. The weights are data
(``rules/model.json``), trained by ``python -m scripts.train.boilerplate`` on the labelled
pages of ``../shared/eval/boilerplate`` (deterministic: same data, same bytes) and shipped with
the package: no download, no third-party runtime, a dictionary lookup per feature.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import repeat

from corpus.text.boilerplate.features import CUE_CLASSES, Context, line_features

MODEL_FILE = "model.json"
# A copyright notice belongs to the copyright rule class (switched by the stage's ``rules``): the
# model never adds one, whatever cue block names it ("Copyright 2020 ..." is in the terms block).
COPYRIGHT = re.compile(r"©|\(c\)|copyright|all rights reserved|rechte vorbehalten|droits réservés", re.I)


@dataclass(frozen=True)
class LineModel:
    """Weights per feature name, the decision threshold and where they came from."""

    weights: dict[str, float]
    threshold: float = 0.5
    trained_on: str = ""

    def probability(self, feats: list[str]) -> float:
        """P(furniture) of a line with these features (unknown features weigh nothing)."""
        z = sum(map(self.weights.get, feats, repeat(0.0)))  # the same sum, in the same order
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def why(self, feats: list[str], p: float, top: int = 3) -> str:
        """ "p=0.93: cue@start +1.20, body:after +0.81, ..." — the features that pushed most
        toward the decision (toward furniture when ``p`` is at least the threshold)."""
        sign = 1.0 if p >= self.threshold else -1.0
        pushed = sorted(
            ((self.weights.get(f, 0.0), f) for f in feats if f != "bias"), key=lambda x: -sign * x[0]
        )
        shown = ", ".join(f"{f} {w:+.2f}" for w, f in pushed[:top] if sign * w > 0)
        return f"p={p:.2f}" + (f": {shown}" if shown else "")

    @classmethod
    def from_dict(cls, data: dict) -> LineModel:
        return cls(
            weights={str(k): float(v) for k, v in data["weights"].items()},
            threshold=float(data.get("threshold", 0.5)),
            trained_on=str(data.get("trained_on", "")),
        )

    def to_dict(self) -> dict:
        return {
            "threshold": self.threshold,
            "trained_on": self.trained_on,
            "weights": {k: round(v, 4) for k, v in sorted(self.weights.items())},
        }


@lru_cache(maxsize=1)
def shipped_model() -> LineModel:
    """The model that ships in ``corpus/text/boilerplate/rules/model.json``."""
    text = resources.files("corpus.text.boilerplate.rules").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return LineModel.from_dict(json.loads(text))


def learned_class(feats: list[str]) -> str:
    """The furniture class a learned removal is named after: that of its first class cue block.

    >>> learned_class(["bias", "cue:4", "cue:1"])
    'share'
    >>> learned_class(["bias", "cue:13"])
    'furniture'
    """
    for f in feats:
        if f.startswith("cue:"):
            cls = CUE_CLASSES[int(f[4:])]
            if cls != "furniture":
                return cls
    return "furniture"


def decide(
    lines: list[str],
    ruled: dict[int, str],
    candidates: list[int],
    model: LineModel,
    allowed: tuple[str, ...],
    text: str | None = None,
) -> tuple[dict[int, str], dict[int, str]]:
    """({line: rule id} to remove, {line: why} of the learned removals) over the candidate lines.

    ``ruled`` holds what the rules marked; ``allowed`` the classes a learned removal may have
    (the enabled rule classes, plus "furniture"). A ruled line the model vetoes stays. ``text``,
    if given, is ``"\\n".join(lines)``.
    """
    ctx = Context(lines, ruled, set(candidates), text)
    drop: dict[int, str] = {}
    why: dict[int, str] = {}
    for i in candidates:
        rule = ruled.get(i)
        if rule is not None and rule.startswith("copyright"):
            drop[i] = rule  # copyright notices are their own switchable rule class, not learned
            continue
        feats = line_features(i, ctx)
        p = model.probability(feats)
        if p < model.threshold:
            continue
        if rule is None:
            cls = learned_class(feats)
            if cls not in allowed or cls == "copyright" or COPYRIGHT.search(lines[i]):
                continue
            rule = f"{cls}.learned"
            why[i] = model.why(feats, p)
        drop[i] = rule
    return drop, why
