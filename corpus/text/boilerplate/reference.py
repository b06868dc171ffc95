"""What a boilerplate rule means, and the slow, obviously correct classifier that says it directly.

The fast path (``compiler`` + ``fast`` + ``prefilter``) regroups the rules into a few combined
regexes, literal guards and an Aho-Corasick automaton; the tests hold it to this module: same
rule for every line, same output for every text. Semantics, on the *normalized* line
(``normalize_line``) of a line of at most ``max_line_chars`` characters and ``BUDGETS[-1]`` words:

1. Word budgets: a rule admits a line of at most its ``max_words``, rounded up to a ``BUDGETS``
   step.
2. Leads (``LEADS`` and every "^..." row of ``ANYWHERE`` / ``PHRASES``): the first admitted row,
   in table order, that matches at the line start names the rule.
3. Otherwise the other rows are searched: the leftmost match wins; at one position, rows that
   do not start with "\\b" come first, then "\\b" rows, each group in table order.
4. Otherwise link bars: a line of at most ``LINK_BAR_MAX_WORDS`` words that labels cover (at
   least ``MIN_LABEL_COVER`` of its letters) is named after its first non-generic label; then
   a sentence glued to a "|"-separated link bar (``segment_tail``).
5. A code-like line (``guard.code_like``: flags, paths, pointers, section numbers) is never
   furniture; then ``guard.protect`` gives back a document's technical lines (``strip``).

Which lines are tested at all is part of the meaning: only lines that hold a cue stem
(``has_cue``). A line a rule matches but without a cue is kept: on the dev pages 19 of the
18,696 lines a rule classifies ("_Impressum", "Threads", "menu-line", "Name: bcookie").
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from corpus.document import Edit
from corpus.text.boilerplate import lines as _lines
from corpus.text.boilerplate.guard import CODE_LIKE, protect
from corpus.text.boilerplate.patterns import first_literal, split_alternatives
from corpus.text.boilerplate.rules import cues as _cues
from corpus.text.boilerplate.rules import phrases as _phrases
from corpus.text.boilerplate.rules import tables as _tables

_FRAGMENT = re.compile(r"\{([A-Z_]+)\}")


def fill(pattern: str) -> str:
    """``pattern`` with its "{NAME}" fragments (``rules.tables.FRAGMENTS``) filled in.

    >>> fill("share on (?:{NETWORKS})")[:30]
    'share on (?:facebook|twitter|x'
    """
    return _FRAGMENT.sub(lambda m: _tables.FRAGMENTS[m[1]], pattern)


class Row(NamedTuple):
    """One rule row: class, language, word budget, pattern; ``anchored`` rows match at the start."""

    cls: str
    lang: str
    max_words: int
    pattern: str
    anchored: bool


GENERIC: dict[str, list[str]] = {lang: [fill(a) for a in alts] for lang, alts in _tables.GENERIC.items()}
LABELS: dict[str, dict[str, list[str]]] = {
    cls: {lang: [fill(a) for a in alts] for lang, alts in by_lang.items()}
    for cls, by_lang in _tables.LABELS.items()
}
ROWS: tuple[Row, ...] = (
    *(Row(c, lg, n, fill(p), True) for c, lg, n, p in _tables.LEADS),
    *(
        Row(c, lg, n, fill(p[1:]), True) if p.startswith("^") else Row(c, lg, n, fill(p), False)
        for c, lg, n, p in _tables.ANYWHERE + _phrases.PHRASES
    ),
)
CUES: list[str] = _cues.CUES

RULE_CLASSES: tuple[str, ...] = tuple(dict.fromkeys([*LABELS, *(r.cls for r in ROWS), "related_block"]))
LANGUAGES: tuple[str, ...] = tuple(
    sorted({lang for t in LABELS.values() for lang in t} | {lang for _, lang, *_ in _tables.LEADS})
)
DEFAULT_RULES: tuple[str, ...] = tuple(c for c in RULE_CLASSES if c != "related_block")

BUDGETS: tuple[int, ...] = (4, 6, 12, 25, 60, 150)  # rule word budgets are rounded up to one of these
MIN_LABEL_COVER = 0.6  # share of a line's letters that labels must cover for a link bar
LINK_BAR_MAX_WORDS = 40  # longer lines are never whole link bars
SEGMENT_MIN = 4  # a line needs this many "|"-separated segments to be read as a trailing link bar
AFTER = r"(?=[\W\d_]|$)"  # a label ends where letters end
LETTER = re.compile(r"[^\W\d_]")
WORD = re.compile(r"[^\W\d_]+")
_SPACE = re.compile(r"\s+")
_SEGMENT_SPLIT = re.compile(r"\s+[|•·]\s+")


def normalize_line(line: str) -> str:
    """Whitespace runs to one space, stripped, lowercased: the form every rule is matched on.

    >>> normalize_line("  Share   on\\tTwitter ")
    'share on twitter'
    """
    return _SPACE.sub(" ", line).strip().lower()


def budget(max_words: int) -> int:
    """The ``BUDGETS`` step a rule's ``max_words`` is rounded up to."""
    return next((b for b in BUDGETS if max_words <= b), BUDGETS[-1])


def rule_id(cls: str, lang: str) -> str:
    return f"{cls}.{lang}"


def cue_alternatives(cues: list[str]) -> tuple[list[str], list[str]]:
    """The cue alternatives that start with a symbol, and (without "\\b") those that start a word."""
    plain: list[str] = []
    word: list[str] = []
    for block in cues:
        for alt in split_alternatives(block):
            bare = alt[2:] if alt.startswith("\\b") else alt
            lit = first_literal(bare)[0]
            (word if lit and (lit.isalnum() or lit == "_") else plain).append(bare)
    return plain, word


@lru_cache(maxsize=1)
def _cue_regex() -> re.Pattern[str]:
    plain, word = cue_alternatives(CUES)
    return re.compile("|".join(plain + [f"\\b{w}" for w in word]))


def has_cue(low: str) -> bool:
    """Whether lowercased ``low`` holds a cue stem; letter stems count at word starts only.

    >>> has_cue("share this"), has_cue("kundenkonto")
    (True, False)
    """
    return _cue_regex().search(low) is not None


def segment_tail(norm: str) -> str | None:
    """The link bar to test when ``norm`` glues a sentence to a "|"-separated bar, else None.

    A footer often glues a sentence to its links: "VAT included where applicable. Privacy Policy |
    Legal | Cookies". At least ``SEGMENT_MIN`` segments, every segment but the first at most four
    words; the last sentence of the first segment joins the bar.

    >>> segment_tail("vat included. privacy policy | legal | refunds | cookies")
    'privacy policy | legal | refunds | cookies'
    """
    if norm.count("|") + norm.count("•") + norm.count("·") < SEGMENT_MIN - 1:
        return None
    parts = _SEGMENT_SPLIT.split(norm)
    if len(parts) < SEGMENT_MIN or any(p.count(" ") > 3 for p in parts[1:]):
        return None
    head = parts[0].rsplit(". ", 1)[-1]  # the link that shares a segment with the prose
    if head.count(" ") > 3:
        return None
    return " | ".join([head, *parts[1:]])


def label_rows(rules: tuple[str, ...], languages: tuple[str, ...] | None) -> list[tuple[str, str, str]]:
    """(class, lang, label) of the enabled labels, longest first ("privacy policy" before
    "privacy"); generic labels have class "generic". Empty when no furniture label is enabled."""
    rows = [
        (cls, lang, alt)
        for cls, by_lang in LABELS.items()
        for lang, alts in by_lang.items()
        for alt in split_alternatives("|".join(alts))
        if cls in rules and (languages is None or lang in languages)
    ]
    rows += [
        ("generic", "", alt)
        for lang, alts in GENERIC.items()
        for alt in split_alternatives("|".join(alts))
        if languages is None or lang in languages
    ]
    if all(c == "generic" for c, _, _ in rows):
        return []
    rows.sort(key=lambda x: -len(x[2]))
    return rows


def plain_start(label: str) -> bool:
    """Whether a label starts with a plain letter (the compiler keys such labels by it)."""
    return label[:1].isalpha() and label[1:2] not in ("?", "*", "+", "{")


@lru_cache(maxsize=4096)
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _label_at(norm: str, at: int, labels: list[tuple[str, str, str]]) -> tuple[int, str | None] | None:
    """(end, rule id or None for a generic label) of the label at ``at``: those keyed by the
    letter there first, then those without a plain first letter, each longest first."""
    keyed = [r for r in labels if plain_start(r[2]) and r[2][0] == norm[at]]
    for cls, lang, alt in keyed + [r for r in labels if not plain_start(r[2])]:
        m = _rx(f"(?:{alt}){AFTER}").match(norm, at)
        if m is not None:
            return m.end(), None if cls == "generic" else rule_id(cls, lang)
    return None


def link_bar(norm: str, labels: list[tuple[str, str, str]]) -> str | None:
    """The rule of a line made mostly of labels (at each letter-run start after the previous
    label, the first label that matches), named after the first non-generic one."""
    covered, first, pos = 0, None, 0
    for w in WORD.finditer(norm):
        if w.start() < pos:
            continue  # inside the previous label
        found = _label_at(norm, w.start(), labels)
        if found is None:
            continue
        pos = found[0]
        covered += len(LETTER.findall(norm[w.start() : pos]))
        first = first or found[1]
    if first is None or covered < MIN_LABEL_COVER * len(LETTER.findall(norm)):
        return None
    return first


def rule_of(
    line: str, rules: tuple[str, ...], languages: tuple[str, ...] | None, max_line_chars: int
) -> str | None:
    """The rule that marks ``line`` (lowercased) as furniture, straight from the rule tables."""
    if len(line) > max_line_chars * 2:
        return None
    norm = " ".join(line.lower().split())
    words = norm.count(" ") + 1
    if not norm or len(norm) > max_line_chars or words > BUDGETS[-1]:
        return None
    rows = [
        r
        for r in ROWS
        if r.cls in rules and (languages is None or r.lang in languages) and words <= budget(r.max_words)
    ]
    rule = next((rule_id(r.cls, r.lang) for r in rows if r.anchored and _rx(r.pattern).match(norm)), None)
    if rule is None:
        ordered = [r for r in rows if not r.anchored and not r.pattern.startswith("\\b")]
        ordered += [r for r in rows if not r.anchored and r.pattern.startswith("\\b")]
        hits = [(m.start(), i) for i, r in enumerate(ordered) if (m := _rx(r.pattern).search(norm))]
        rule = rule_id(ordered[min(hits)[1]].cls, ordered[min(hits)[1]].lang) if hits else None
    labels = label_rows(rules, languages)
    if rule is None and labels:
        rule = link_bar(norm, labels) if words <= LINK_BAR_MAX_WORDS else None
        tail = segment_tail(norm) if rule is None else None
        rule = rule or (link_bar(tail, labels) if tail is not None else None)
    return None if rule is None or CODE_LIKE.search(line) else rule


def strip(
    text: str, rules: tuple[str, ...], languages: tuple[str, ...] | None, max_line_chars: int
) -> tuple[str, list[Edit]]:
    """``strip_boilerplate`` by the definition: every line with a cue that a rule marks goes."""
    lines = text.split("\n")
    drop: dict[int, str] = {}
    for i, line in enumerate(lines):
        low = line.lower() if len(line.lower()) == len(line) else line
        rule = rule_of(low, rules, languages, max_line_chars) if has_cue(low) else None
        if rule is not None:
            drop[i] = rule
    if drop:
        drop = protect(lines, drop)
    if "related_block" in rules and any(r.startswith("related") for r in drop.values()):
        drop.update(_lines.related_zones(lines, drop))
    return _lines.remove_lines(text, drop, lines)
