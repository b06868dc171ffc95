"""Language-independent signals of one candidate line, for the learned furniture model.

``strip_boilerplate`` scores only the lines the cue prefilter finds (a few per document). For
each it names a handful of binary features, all cheap to compute and none tied to one site:

- what the rules said: ``rule:<class>`` (the rule class that marks the line) or ``rule:-``;
- which cue stems it holds (``cue:<block>``, one per block of ``rules.cues``) and where the first
  one sits (``cue@start``: a line that opens with its keyword reads as a button or a call);
- its shape: word-count bins, how it ends (``end:.``, ``end:!``, ``end:?``, ...), casing
  (``case:title``, ``case:upper``, ``case:lower``), separators of link bars (``bar``), digits,
  years, URLs, "@", a second-person address (``you``), indentation, and whether it is part of
  a hard-wrapped paragraph (``wrap:in``: it continues the line above; ``wrap:out``: the line
  below continues it);
- where it sits: its relative position in the document, and whether it lies before, inside or
  after the article body (the span from the first to the last prose line: at least
  ``PROSE_WORDS`` words ending in sentence punctuation);
- its neighbours: whether the previous/next non-blank line is marked by a rule, holds a cue,
  touches it (no blank line between: a wrapped paragraph or a list), is short (at most four
  words), long (eight or more) or prose;
- the document: how much of it reads as code or reference documentation (``doc:<bin>``, code
  marks per 1,000 characters), also crossed with the rule class, word count and line end, so
  the same line can weigh differently in a manual and on a news page.

A feature is a short string; the model (``model``) is a weight per feature.
"""

from __future__ import annotations

import re
from functools import lru_cache

from corpus.text.boilerplate.prefilter import cue_automaton, cue_pattern
from corpus.text.boilerplate.reference import CUES
from corpus.text.boilerplate.rules.cues import CUE_CLASSES

__all__ = ["CUE_CLASSES", "Context", "cue_blocks", "cue_hits", "line_features"]

PROSE_WORDS = 12  # a prose line has at least this many words and ends a sentence
_WORD_BINS = (1, 2, 3, 5, 8, 12, 20, 35, 60)
_END_PUNCT = {".": ".", "!": "!", "?": "?", ":": ":", "…": ".", "»": "q", '"': "q", "”": "q", ")": ")"}
# Marks of code and reference documentation, counted over the whole document with str.count
# (a C loop per mark; a regex over every position costs a hundred times more).
TECH_MARKS = ("_", "()", "{", ";", "->", "::", " --", "$", "</", ".h", ".c ", "/usr/", ".conf")
_DOC_BINS = (0, 1, 3, 6, 12)
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_URL = re.compile(r"https?://|www\.|\.(?:com|org|net|de|fr|uk)\b")
_YOU = re.compile(
    r"\b(?:you|your|yours|du|dich|dein\w*|ihr\w*|sie|vous|votre|vos|tu|ton|ta|tes|usted|su|sus|tú|"
    r"você|seu|sua|voi|vostr\w*|ваш\w*|вы|вас|тебя|твой)\b"
)
_BAR = re.compile(r"\s[|•·»/]\s|\s\|\s?|^\s*[|•·]")


@lru_cache(maxsize=1)
def cue_blocks() -> re.Pattern[str]:
    """One regex over the blocks of ``rules.cues.CUES``, a named group per block ("c3" is the
    block of index 3, which names the feature ``cue:3``), tried only where a cue may start."""
    return re.compile("|".join(f"(?P<c{k}>{cue_pattern([block])})" for k, block in enumerate(CUES)))


def cue_hits(low: str) -> list[tuple[int, str]]:
    """(position, block group) of every cue in lowercased ``low``: the prefilter's automaton says
    where a cue may start, the block regex confirms it there and names the block.

    >>> cue_hits("share this, follow us")
    [(0, 'c4'), (12, 'c5')]
    """
    automaton = cue_automaton()
    match = cue_blocks().match
    if automaton is None:
        return [(m.start(), m.lastgroup or "") for m in cue_blocks().finditer(low)]
    out = []
    try:
        hits = automaton.find_matches_as_indexes(low, overlapping=True)
    except UnicodeEncodeError:
        return [(m.start(), m.lastgroup or "") for m in cue_blocks().finditer(low)]
    for _, at, _ in hits:
        m = match(low, at)
        if m is not None:
            out.append((at, m.lastgroup or ""))
    return out


def _bin(n: int, bins: tuple[int, ...]) -> str:
    for b in bins:
        if n <= b:
            return str(b)
    return f">{bins[-1]}"


class Context:
    """What ``line_features`` needs to know about a document: its lines, the rule-marked and
    candidate lines; word counts and the article body span are worked out when first asked."""

    __slots__ = ("_body", "_doc", "_text", "_words", "candidates", "lines", "n", "ruled")

    def __init__(
        self, lines: list[str], ruled: dict[int, str], candidates: set[int], text: str | None = None
    ) -> None:
        """``text``, if given, is ``"\\n".join(lines)`` (the document, so it need not be joined)."""
        self.lines = lines
        self.n = len(lines)
        self.ruled = ruled
        self.candidates = candidates
        self._words: dict[int, int] = {}
        self._body: tuple[int, int] | bool | None = False
        self._doc: str | None = None
        self._text = text

    @property
    def doc(self) -> str:
        """``doc:<bin>``: how much of the document reads as code or reference documentation
        (``TECH_MARKS`` per 1,000 characters: identifiers, calls, braces, options, paths)."""
        if self._doc is None:
            text = "\n".join(self.lines) if self._text is None else self._text
            size, hits = max(1, len(text)), 0
            for mark in TECH_MARKS:
                hits += text.count(mark)
                if 1000 * hits // size > _DOC_BINS[-1]:  # the top bin already: more marks change nothing
                    break
            self._doc = "doc:" + _bin(1000 * hits // size, _DOC_BINS)
        return self._doc

    def words(self, i: int) -> int:
        """The word count of line ``i`` (0 for a blank line)."""
        try:
            return self._words[i]
        except KeyError:
            line = self.lines[i]
            w = self._words[i] = line.count(" ") + 1 if line.strip() else 0
            return w

    def prose(self, i: int) -> bool:
        return self.words(i) >= PROSE_WORDS and _is_prose(self.lines[i])

    @property
    def body(self) -> tuple[int, int] | None:
        """(first, last) prose line: the article body's span; None without prose."""
        if self._body is False:
            lines, spaces = self.lines, PROSE_WORDS - 1  # a non-blank line of n words has n - 1 spaces
            first = next((i for i, x in enumerate(lines) if x.count(" ") >= spaces and _is_prose(x)), None)
            if first is None:
                self._body = None
            else:
                last = next(i for i in range(self.n - 1, first - 1, -1) if self.prose(i))
                self._body = (first, last)
        return self._body  # type: ignore[return-value]

    def neighbour(self, i: int, step: int) -> int | None:
        """The index of the nearest non-blank line before (step -1) or after (step 1) ``i``."""
        j = i + step
        while 0 <= j < self.n:
            if self.lines[j].strip():
                return j
            j += step
        return None


def _wraps(line: str) -> bool:
    """Whether a paragraph may go on after ``line``: words, and no sentence end or colon."""
    tail = line.rstrip()[-1:]
    return bool(tail) and (tail.isalnum() or tail in ",;-(")


def _is_prose(line: str) -> bool:
    tail = line.rstrip()[-1:]
    return bool(tail) and tail in '.!?…"”»)'


def line_features(i: int, ctx: Context) -> list[str]:
    """The features of line ``i`` of a document (see the module docstring).

    >>> lines = ["Home | News | Sport", "", "Peace talks resumed in Geneva on Monday after a week of "
    ...          "shelling, officials said.", "Sign up for our newsletter"]
    >>> ctx = Context(lines, {3: "newsletter.en"}, {3})
    >>> f = line_features(3, ctx)
    >>> [x for x in f if x.startswith(("rule", "cue@", "pos", "body"))]
    ['rule:newsletter', 'cue@start', 'pos:3', 'body:after']
    """
    line = ctx.lines[i]
    stripped = line.strip()
    low = stripped.lower()
    words = ctx.words(i)
    rule = ctx.ruled.get(i)
    feats = ["bias", "rule:" + (rule.split(".")[0] if rule else "-"), "w:" + _bin(words, _WORD_BINS)]
    hits = cue_hits(low)
    for block in dict.fromkeys(b for _, b in hits):
        feats.append("cue:" + block[1:])
    if hits and min(at for at, _ in hits) <= 2:
        feats.append("cue@start")
    end = "end:" + _END_PUNCT.get(stripped[-1:], "a" if stripped[-1:].isalnum() else "o")
    feats.append(end)
    letters = [w for w in stripped.split() if w[:1].isalpha()]
    if letters and all(w[0].isupper() for w in letters):
        feats.append("case:upper" if stripped.isupper() else "case:title")
    elif stripped[:1].islower():
        feats.append("case:lower")
    if (
        "|" in stripped or "/" in stripped or "•" in stripped or "·" in stripped or "»" in stripped
    ) and _BAR.search(stripped):  # every branch of _BAR needs one of these separators
        feats.append("bar")
    if _DIGIT.search(stripped):
        feats.append("digit")
        if _YEAR.search(stripped):
            feats.append("year")
    if ("." in low or ":" in low) and _URL.search(low):  # every branch needs "." or "://"
        feats.append("url")
    if "@" in stripped:
        feats.append("at")
    if _YOU.search(low):
        feats.append("you")
    feats.append("pos:" + str(min(4, 5 * i // max(1, ctx.n))))
    doc = ctx.doc
    feats.append(doc)
    feats += [f"{doc}&{feats[1]}", f"{doc}&{feats[2]}", f"{doc}&{end}"]  # x rule, words, end
    if ctx.body is None:
        feats.append("body:none")
    else:
        first_body, last_body = ctx.body
        feats.append("body:before" if i < first_body else "body:after" if i > last_body else "body:in")
    if line[:1] in (" ", "\t"):
        feats.append("indent")
    if i > 0 and stripped[:1].islower() and _wraps(ctx.lines[i - 1]):
        feats.append("wrap:in")  # the line continues the one above: a hard-wrapped paragraph
    if i + 1 < ctx.n and ctx.lines[i + 1].lstrip()[:1].islower() and _wraps(line):
        feats.append("wrap:out")  # ... or goes on in the line below
    for step, side in ((-1, "prev"), (1, "next")):
        j = ctx.neighbour(i, step)
        if j is None:
            feats.append(side + ":edge")
            continue
        if j == i + step:
            feats.append(side + ":adjacent")  # no blank line between: a wrapped paragraph, a list
        if j in ctx.ruled:
            feats.append(side + ":rule")
        elif j in ctx.candidates:
            feats.append(side + ":cue")
        if ctx.words(j) <= 4:
            feats.append(side + ":short")
        elif ctx.prose(j):
            feats.append(side + ":prose")
        elif ctx.words(j) >= 8:
            feats.append(side + ":long")
    return feats
