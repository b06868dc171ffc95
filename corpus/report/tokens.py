"""Token counts of the kept text, for the manifest and the dataset card.

The tokenizer is OpenAI's ``o200k_base`` as the bpe-openai package ships it (offline, no download):
loaded once per process, when a first document is counted; a document counts
``len(encode_ordinary(text))`` tokens (special-token text is counted as ordinary text).

``output.count_tokens``: ``exact`` counts every kept document; ``sample`` (the default) counts the
kept documents whose blake2b-64 id hash is 0 modulo ``ONE_IN`` (a fixed 1/16, the same whatever
the blocks or workers) and estimates the total as all kept characters times the sample's tokens
per character (a ratio estimator, with its relative standard error); a build keeping fewer than
``EXACT_BELOW`` documents is counted exactly all the same. ``false`` leaves tokens out. Each write
block keeps integer sums per split (``Tally``), merged in ``summary``.

>>> count("Hello world, this is a test.")
8
>>> describe()["tokenizer"]
'o200k_base'
>>> approx(1234567), approx(634), approx(12345), approx(2.5e9)
('1.23M', '634', '12.3K', '2.5B')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from corpus.errors import ConfigError

TOKENIZER = "o200k_base"
PACKAGE = "bpe-openai"
ONE_IN = 16  # sample: the kept documents with id hash % ONE_IN == 0 are counted
EXACT_BELOW = 1000  # sample: a build keeping fewer documents is counted exactly
# a split's sums: kept documents and characters; counted documents, characters, tokens, and the
# squares and products the ratio estimator's variance needs
FIELDS = ("documents", "chars", "sampled", "sampled_chars", "tokens", "tokens_sq", "chars_sq", "cross")

_ENCODING: Any = None


def encoding() -> Any:
    """The tokenizer, loaded once per process; ConfigError naming the option when it is missing."""
    global _ENCODING
    if _ENCODING is None:
        try:
            import bpe_openai
        except ImportError:
            raise ConfigError(
                f"output.count_tokens: counting tokens needs the {PACKAGE} package "
                f"(pip install {PACKAGE}); or set output.count_tokens: false"
            ) from None
        _ENCODING = bpe_openai.get_encoding(TOKENIZER)
    return _ENCODING


def count(text: str) -> int:
    """Tokens in ``text`` (``encode_ordinary``)."""
    return len(encoding().encode_ordinary(text))


def library() -> str:
    """``bpe-openai 0.1.4``: the package and version that counted."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{PACKAGE} {version(PACKAGE)}"
    except PackageNotFoundError:
        encoding()  # the one clear error
        return PACKAGE


def describe() -> dict[str, str]:
    """The tokenizer's name and library, as the manifest records them."""
    return {"tokenizer": TOKENIZER, "library": library()}


def method(option: Any) -> str | None:
    """``exact``, ``sample`` or None (off) for an ``output.count_tokens`` value (``true``: exact)."""
    if option is True:
        return "exact"
    return option or None


class Tally:
    """One block's (or, merged, the build's) token sums by split; integers only, so exact."""

    def __init__(self, how: str) -> None:
        self.method = how
        self.splits: dict[str, list[int]] = {}

    def add(self, split: str, text: str, hash_: int) -> None:
        row = self.splits.setdefault(split, [0] * len(FIELDS))
        x = len(text)
        row[0] += 1
        row[1] += x
        if self.method == "exact" or hash_ % ONE_IN == 0:
            y = count(text)
            row[2] += 1
            row[3] += x
            row[4] += y
            row[5] += y * y
            row[6] += x * x
            row[7] += x * y

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "splits": {s: dict(zip(FIELDS, r, strict=True)) for s, r in sorted(self.splits.items())},
        }

    def merge(self, piece: dict[str, Any]) -> None:
        """Add a ``to_json`` piece; TypeError or KeyError when it is not one of this method."""
        if piece["method"] != self.method:
            raise TypeError(f"token method {piece['method']!r}, not {self.method!r}")
        for split, sums in piece["splits"].items():
            row = self.splits.setdefault(str(split), [0] * len(FIELDS))
            for i, name in enumerate(FIELDS):
                value = sums[name]
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise TypeError(f"{value!r} is not a count")
                row[i] += value


def summary(tally: Tally, splits: Iterable[str], texts: Callable[[], Iterable[tuple[str, str]]]) -> dict:
    """manifest["tokens"] from the build's tally; ``texts`` gives the kept (split, text) pairs, read
    back to count every document when a sample build kept fewer than EXACT_BELOW (or sampled < 2)."""
    rows = {s: tally.splits.get(s, [0] * len(FIELDS)) for s in splits}
    kept, chars, n, x, y, yy, xx, xy = (sum(r[i] for r in rows.values()) for i in range(len(FIELDS)))
    head = describe()
    if n == kept:
        per_split = {s: r[4] for s, r in rows.items()}
        return {**head, "method": "exact", "total": sum(per_split.values()), "splits": per_split}
    if kept < EXACT_BELOW or n < 2 or y == 0:
        counted = dict.fromkeys(rows, 0)
        for split, text in texts():
            counted[split] += count(text)
        return {**head, "method": "exact", "total": sum(counted.values()), "splits": counted}
    ratio = Fraction(y, x)  # tokens per character in the sample
    spread = (yy - 2 * ratio * xy + ratio * ratio * xx) / (n - 1)  # of y - ratio * x
    relative = math.sqrt(max(float((1 - Fraction(n, kept)) * spread / n), 0.0)) / (y / n)
    return {
        **head,
        "method": "sample",
        "total": round(chars * ratio),
        "splits": {s: round(r[1] * ratio) for s, r in rows.items()},
        "sampled_documents": n,
        "relative_error": round(relative, 4),
    }


def approx(value: float) -> str:
    """A count to 3 significant digits with K, M or B (1234567 -> 1.23M)."""
    rounded = float(f"{value:.3g}")
    for scale, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if rounded >= scale:
            return f"{rounded / scale:g}{unit}"
    return f"{rounded:,.0f}"


def phrase(info: dict[str, Any], kept: int) -> str:
    """``634 tokens (o200k_base)``, or for an estimate ``≈ 1.23M tokens (o200k_base, estimated from
    312 of 5,000 documents, ± 0.8%)``."""
    if info.get("method") != "sample":
        return f"{info['total']:,} tokens ({info['tokenizer']})"
    return (
        f"≈ {approx(info['total'])} tokens ({info['tokenizer']}, estimated from "
        f"{info['sampled_documents']:,} of {kept:,} documents, ± {percent(info['relative_error'])})"
    )


def percent(relative: float) -> str:
    """0.0081 -> ``0.8%``; below 0.05%, ``<0.1%``."""
    return f"{relative * 100:.1f}%" if relative >= 0.0005 else "<0.1%"
