"""Resolve a handle to the person name it spells, when that name is written in the same text.

Resolve never invents a name: it uses the user's mapping, or a capitalised 2-4 word name
that literally appears in the same text and whose every token is matched by a distinct part
of the handle (fully, or as a one-letter initial; the surname fully). Ambiguous -> fallback.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

_CAMEL_RE = re.compile(r"(?P<initials>[A-Z]+(?=[A-Z][a-z]))|[A-Z]?[a-z]+|[A-Z]+")
_UPPER_CPS = [c for c in range(0x2000) if chr(c).isupper() or chr(c).istitle()]  # Latin..Georgian
_UPPER = "".join(
    re.escape(chr(run[0][1])) + (f"-{re.escape(chr(run[-1][1]))}" if len(run) > 1 else "")
    for run in (list(g) for _, g in itertools.groupby(enumerate(_UPPER_CPS), lambda e: e[1] - e[0]))
)
# The rest of a capitalised word, or an initial's dot, or nothing (a one-letter word).
_NAME_TAIL = r"(?:[^\W\d_]+(?:['’-][^\W\d_]+)*|\.(?=[ \u00a0])|)"
_NAME_RUN_RE = re.compile(  # capital first (fast scan), then "not inside a word" (lookbehind incl. it)
    rf"[{_UPPER}](?<![\w'’-].){_NAME_TAIL}(?:[ \u00a0][{_UPPER}]{_NAME_TAIL})+"
)
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")

Run = list[tuple[int, int, list[str]]]  # capitalised words: start, end, folded parts ("Jean-Luc": 2)


def _fold(s: str) -> str:
    if s.isascii():
        return s.casefold()
    decomposed = unicodedata.normalize("NFKD", s)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def split_handle(name: str) -> list[str]:
    """Split a handle into name parts on "_", ".", digits and case changes (capitals before a
    capitalised word are initials).

    >>> split_handle("ZMnatsakanyan"), split_handle("bayramov_jeyhun"), split_handle("JFKennedy2")
    (['Z', 'Mnatsakanyan'], ['bayramov', 'jeyhun'], ['J', 'F', 'Kennedy'])
    """
    parts = []
    for chunk in re.split(r"[_.\d]+", name.split("@", 1)[0]):
        for m in _CAMEL_RE.finditer(chunk):
            parts += list(m.group()) if m.group("initials") else [m.group()]
    return parts


def name_runs(text: str) -> list[Run]:
    """Runs of 2+ capitalised words joined by single spaces (an initial may keep its dot).

    >>> [[t for _, _, t in run] for run in name_runs("as Jean-Luc Picard and John R. Smith said")]
    [[['jean', 'luc'], ['picard']], [['john'], ['r'], ['smith']]]
    """
    return [
        [
            (w.start(), w.end(), [_fold(t).replace("'", "").replace("’", "") for t in w.group().split("-")])
            for w in _WORD_RE.finditer(text, run.start(), run.end())
        ]
        for run in _NAME_RUN_RE.finditer(text)
    ]


def _covers(parts: list[str], tokens: list[tuple[str, bool]]) -> bool:
    """Each token matched by a distinct handle part: fully, or as an initial (never the surname)."""
    return len(tokens) == len(parts) and any(
        all(
            p == t or (len(p) == 1 and t.startswith(p) and not last)
            for p, (t, last) in zip(perm, tokens, strict=True)
        )
        for perm in itertools.permutations(parts)
    )


def name_for_handle(name: str, text: str, runs: list[Run] | None = None) -> str | None:
    """The one person name in ``text`` that the handle spells, else None (never invented).

    >>> name_for_handle("ZMnatsakanyan", "Foreign Minister Zohrab Mnatsakanyan said")
    'Zohrab Mnatsakanyan'
    >>> name_for_handle("JSmith", "John Smith met Jane Smith") is None  # ambiguous
    True
    """
    parts = [_fold(p) for p in split_handle(name)]
    if not 2 <= len(parts) <= 4:
        return None
    found: dict[str, str] = {}
    for run in name_runs(text) if runs is None else runs:
        for j, (_, end, surname) in enumerate(run):
            if not set(surname) <= set(parts):  # the surname must be spelled out in full
                continue
            for i in range(max(0, j - 3), j):
                tokens = [(t, k == j) for k in range(i, j + 1) for t in run[k][2]]
                if _covers(parts, tokens):
                    found.setdefault(_fold(text[run[i][0] : end]), text[run[i][0] : end])
    return next(iter(found.values())) if len(found) == 1 else None
