"""Rules -> compiled matchers: a few combined regexes per word budget, with detectors and guards.

Per-rule regexes tried one by one cost tens of microseconds a line; this compiles the enabled
rows of ``reference.ROWS`` into one named union per ``BUDGETS`` step (the group name is the
rule), plus unnamed copies regrouped into tries that only say *where* a union matches
(``detector``), literal guards that spare most lines the slow alternatives (``guard``), and
the labels keyed by first letter. ``fast`` runs them; ``reference`` says what they must give.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple, TypeVar

import ahocorasick_rs

from corpus.text.boilerplate.literals import Seq, literal_prefixes, literal_set, parse, required_literals
from corpus.text.boilerplate.patterns import alternatives, by_first_char, split_alternatives
from corpus.text.boilerplate.reference import AFTER, BUDGETS, ROWS, budget, label_rows

T = TypeVar("T")


class Guard(NamedTuple):
    """Literals that tell a line which cannot need the slow detector alternatives (``guard``)."""

    automaton: ahocorasick_rs.AhoCorasick | None  # None: no guard, always run the full detectors
    masks: tuple[int, ...]  # per literal: needed by 1 = a slow lead alternative, 2 = an anywhere
    # alternative, 4 = a label that is not generic (a link bar needs one)
    cheap_lead: re.Pattern[str] | None  # the lead detector without its slow alternatives
    any_guarded: bool  # every anywhere alternative needs one of the literals
    base: int  # what every line needs whatever literals it holds (as in ``masks``)


NO_GUARD = Guard(None, (), None, False, 7)


class Compiled(NamedTuple):
    labels: dict[str, re.Pattern[str]]  # first letter ("" = any) -> labels, one group per label
    buckets: list[tuple[int, re.Pattern[str] | None, re.Pattern[str] | None]]  # (max_words, leads, anywhere)
    # Speed-ups that give the same results (see ``detector`` and ``label_scanner``):
    detectors: list[tuple[re.Pattern[str] | None, re.Pattern[str] | None]]  # per bucket: (leads, anywhere)
    label_scan: re.Pattern[str] | None  # every label at once, for ``finditer`` over a line
    guards: list[Guard]  # per bucket: which detectors a line can need at all (``guard``)


def group_name(cls: str, lang: str, i: int) -> str:
    return f"{cls}__{lang}__{i}"


def rule_of_group(group: str) -> str:
    """The rule id ("share.en") a union's group name stands for."""
    cls, lang, _ = group.split("__")
    return f"{cls}.{lang}"


def detector(patterns: list[str]) -> re.Pattern[str] | None:
    """One regex that matches at exactly the positions where one of ``patterns`` matches.

    The rule unions try their named alternatives one by one at every position. This copy has
    no group names, so its alternatives can be regrouped into a trie on their first characters
    (``by_first_char``): it only tells *where* the union matches; the union itself is then run
    at that one position, so the rule (the first alternative that matches there) is the same.
    """
    if not patterns:
        return None
    words: list[str] = []
    others: list[str] = []
    for alt in alternatives(patterns):
        (words if alt.startswith("\\b") else others).append(alt[2:] if alt.startswith("\\b") else alt)
    parts = by_first_char(others)
    if words:
        parts.append(f"\\b(?:{'|'.join(by_first_char(words))})")
    return re.compile("|".join(parts))


def label_scanner(keyed: dict[str, list[str]]) -> re.Pattern[str] | None:
    """All labels in one regex for ``finditer``, equivalent to the link-bar word loop.

    That loop tries, at each start of a letter run at or after the end of the previous label,
    the labels that begin with its first letter, then the others, and continues after a match.
    ``finditer`` does the same in one call: the lookbehind admits only letter-run starts, and
    each first letter leads to its own labels in their original order, so every match has the
    same extent. No named groups (with hundreds, each group entered costs a pass over all).
    """
    if not keyed:
        return None
    parts = [f"{k}(?:{'|'.join(alt[1:] for alt in v)})" for k, v in keyed.items() if k]
    if keyed.get(""):
        parts.append(f"(?=[^\\W\\d_])(?:{'|'.join(keyed[''])})")
    scanner = re.compile(f"(?<![^\\W\\d_])(?:{'|'.join(parts)}){AFTER}")
    return scanner if scanner.groups == 0 else None  # findall must return whole matches


def _analysed(fn: Callable[[Seq], T], alt: str) -> T | None:
    """``fn`` on the parsed ``alt``; None when the literal parser does not read ``alt``."""
    try:
        return fn(parse(alt))
    except ValueError:
        return None


def guard(lead_raw: list[str], any_raw: list[str], label_texts: set[str] | None) -> Guard:
    """What spares most lines the slow detector alternatives, with the same results.

    Lead alternatives that start with a literal prefix fail at once on most lines; the others
    ("(?:\\S+ ){0,5}?newsletter") try every word. Each of those, and each anywhere alternative,
    needs a literal somewhere in the line ("newsletter"). One automaton finds them: a line
    without a slow lead alternative's literals needs only the cheap lead detector, a line
    without any anywhere literal no anywhere search. A link bar names its rule after a label
    that is not generic, so a line holding none of their texts (``label_texts``, None if
    unknown) is no link bar.
    """
    cheap, slow = [], []
    for alt in alternatives(lead_raw):
        prefixes = _analysed(literal_prefixes, alt)
        (cheap if prefixes and all(prefixes) else slow).append(alt)
    masks: dict[str, int] = {}
    for mask, alts in ((1, slow), (2, alternatives(any_raw))):
        for alt in alts:
            found = _analysed(required_literals, alt)
            if found is None:
                return NO_GUARD
            for lit in found:
                masks[lit] = masks.get(lit, 0) | mask
    for lit in label_texts or ():
        masks[lit] = masks.get(lit, 0) | 4
    if label_texts is None and not masks:
        return NO_GUARD
    keys = sorted(masks)
    automaton = ahocorasick_rs.AhoCorasick(keys, implementation=ahocorasick_rs.Implementation.DFA)
    base = 4 if label_texts is None else 0  # without label texts, every line may be a link bar
    return Guard(automaton, tuple(masks[k] for k in keys), detector(cheap), bool(any_raw), base)


def _labels(
    rules: tuple[str, ...], languages: tuple[str, ...] | None
) -> tuple[dict[str, re.Pattern[str]], dict[str, list[str]], set[str] | None]:
    """(finder per first letter, the same labels without names, every non-generic label text)."""
    finder: dict[str, list[str]] = {}
    keyed: dict[str, list[str]] = {}
    rows = label_rows(rules, languages)
    for i, (c, lg, alt) in enumerate(rows):
        plain = alt[:1].isalpha() and alt[1:2] not in ("?", "*", "+", "{")
        name = f"generic{i}" if c == "generic" else group_name(c, lg, i)
        finder.setdefault(alt[0] if plain else "", []).append(f"(?P<{name}>{alt})")
        keyed.setdefault(alt[0] if plain else "", []).append(alt)
    misc = finder.pop("", [])
    label_texts: set[str] | None = set()  # every text a label that is not generic can match
    for c, _, alt in rows:
        texts = _analysed(lambda items: literal_set(items, 10**6, 10**5), alt) if c != "generic" else set()
        label_texts = None if texts is None or label_texts is None else label_texts | texts
    finder_re = {k: re.compile(f"(?:{'|'.join(v + misc)}){AFTER}") for k, v in finder.items()}
    if misc:
        finder_re[""] = re.compile(f"(?:{'|'.join(misc)}){AFTER}")
    return finder_re, keyed, label_texts


@lru_cache(maxsize=32)
def compile_rules(
    rules: tuple[str, ...], languages: tuple[str, ...] | None, exclude: frozenset[int] = frozenset()
) -> Compiled:
    """Compile the enabled rule classes and languages into a few combined regexes (cached).

    ``exclude``: indexes of ``ROWS`` to leave out (the leave-one-source-out evaluation drops
    the rows whose only support is the held-out source).

    >>> c = compile_rules(("share",), ("en",))
    >>> c.labels["f"].match("facebook | home").lastgroup.split("__")[0]
    'share'
    """
    finder_re, keyed, label_texts = _labels(rules, languages)
    # Anchored rows join one union tried at the line start; of the others, those that start at
    # a word ("\\b...") share one "\\b" test per position, after the rest.
    buckets, detectors, guards = [], [], []
    for limit in BUDGETS:
        lead, word, other = [], [], []
        lead_raw, any_raw = [], []  # the same rules without group names, for the detectors
        for i, row in enumerate(ROWS):
            c, lg, n, pat = row.cls, row.lang, row.max_words, row.pattern
            if (
                budget(n) < limit
                or c not in rules
                or (languages is not None and lg not in languages)
                or i in exclude
            ):
                continue
            if row.anchored:
                lead.append(f"(?P<{group_name(c, lg, i)}>{pat})")
                lead_raw.append(pat)
            elif pat.startswith("\\b"):
                word.append(f"(?P<{group_name(c, lg, i)}>{pat[2:]})")
                any_raw += [f"\\b{alt}" for alt in split_alternatives(pat[2:])]
            else:
                other.append(f"(?P<{group_name(c, lg, i)}>{pat})")
                any_raw.append(pat)
        if word:
            other.append(f"\\b(?:{'|'.join(word)})")
        lead_re = re.compile("|".join(lead)) if lead else None
        buckets.append((limit, lead_re, re.compile("|".join(other)) if other else None))
        detectors.append((detector(lead_raw), detector(any_raw)))
        guards.append(guard(lead_raw, any_raw, label_texts))
    return Compiled(finder_re, buckets, detectors, label_scanner(keyed), guards)
