"""Classify lines with the compiled rules: the fast form of ``reference.rule_of`` (same answers).

Per candidate line: the literal guard says which detectors the line can need, a detector says
whether (and where) a rule union matches, and only then does the named union run, at that one
position, to name the rule. Link bars use one ``finditer`` over all labels before any label is
named. ``classify_lines`` runs this over the candidate lines of a whole document.
"""

from __future__ import annotations

import re

from corpus.text.boilerplate.compiler import Compiled, rule_of_group
from corpus.text.boilerplate.guard import code_like
from corpus.text.boilerplate.prefilter import candidate_lines
from corpus.text.boilerplate.reference import (
    BUDGETS,
    LETTER,
    LINK_BAR_MAX_WORDS,
    MIN_LABEL_COVER,
    WORD,
    segment_tail,
)

_NOT_LETTER = re.compile(r"[\W\d_]+")  # the complement of LETTER: removing it leaves the letters


def link_bar_rule(norm: str, labels: dict[str, re.Pattern[str]]) -> str | None:
    """The rule of a normalized line made mostly of link labels, or None (the word loop).

    Labels must cover at least ``MIN_LABEL_COVER`` of the line's letters, and at least one must
    be a furniture label (generic nav words such as "home" or "contact" only fill a bar).

    >>> from corpus.text.boilerplate import RULE_CLASSES, compile_rules
    >>> labels = compile_rules(RULE_CLASSES, None).labels
    >>> link_bar_rule("about us | stats | advertise with us | terms of service | privacy policy", labels)
    'ad.en'
    >>> link_bar_rule("home | about us | contact", labels) is None
    True
    """
    covered, first, pos, misc = 0, None, 0, labels.get("")
    for w in WORD.finditer(norm):
        if w.start() < pos:
            continue  # inside the previous label
        pattern = labels.get(norm[w.start()], misc)
        m = pattern.match(norm, w.start()) if pattern is not None else None
        if m is None:
            continue
        pos = m.end()
        covered += len(LETTER.findall(m.group()))
        if first is None and not (m.lastgroup or "").startswith("generic"):
            first = m.lastgroup
    if first is None or covered < MIN_LABEL_COVER * len(LETTER.findall(norm)):
        return None
    return rule_of_group(first)


def link_bar(norm: str, compiled: Compiled) -> str | None:
    """``link_bar_rule(norm, compiled.labels)``, with one ``finditer`` instead of a loop over words.

    The scanner gives the same label extents, so the coverage is known before any rule name is;
    most lines fail it and never run the named label patterns.
    """
    scan, labels = compiled.label_scan, compiled.labels
    if scan is None:
        return link_bar_rule(norm, labels)
    found = scan.findall(norm)  # the label texts, in order (the scanner has no groups)
    if not found:
        return None
    covered = len(_NOT_LETTER.sub("", "".join(found)))  # letters, as len(LETTER.findall(...))
    if covered < MIN_LABEL_COVER * len(_NOT_LETTER.sub("", norm)):
        return None
    misc = labels.get("")
    for f in scan.finditer(norm):
        m = labels.get(norm[f.start()], misc).match(norm, f.start())  # type: ignore[union-attr]
        if m is None or m.end() != f.end() or m.end() == m.start():
            return link_bar_rule(norm, labels)  # cannot happen (same alternatives); the loop decides
        if not (m.lastgroup or "").startswith("generic"):
            return rule_of_group(m.lastgroup or "")
    return None


def segment_bar_rule(norm: str, compiled: Compiled) -> str | None:
    """The rule of a line whose "|"-separated tail is a link bar after some prose, or None.

    >>> from corpus.text.boilerplate import RULE_CLASSES, compile_rules
    >>> c = compile_rules(RULE_CLASSES, None)
    >>> segment_bar_rule("vat included where applicable. privacy policy | legal | refunds | cookies", c)
    'terms.en'
    >>> segment_bar_rule("he said | she said | they said | we said", c) is None
    True
    """
    tail = segment_tail(norm)
    return None if tail is None else link_bar(tail, compiled)


def classify(line: str, compiled: Compiled, max_line_chars: int) -> str | None:
    """The rule of one (lowercased) line, or None; the code guard is tested last, on few lines."""
    if len(line) > max_line_chars * 2:  # cheap gate before normalizing
        return None
    rule = _rule(line, compiled, max_line_chars)
    return None if rule is None or code_like(line) else rule


def classify_lines(
    low: str, compiled: Compiled, max_line_chars: int, candidates: list[tuple[int, int, int]] | None = None
) -> dict[int, str]:
    """{line index: rule} for the lines of lowercased text ``low`` that hold a cue and a rule marks
    (``candidates``: the prefilter's (line, start, end), when the caller has them already)."""
    drop: dict[int, str] = {}
    for i, start, end in candidate_lines(low) if candidates is None else candidates:
        rule = classify(low[start:end], compiled, max_line_chars)
        if rule is not None:
            drop[i] = rule
    return drop


def _rule(line: str, compiled: Compiled, max_line_chars: int) -> str | None:
    norm = " ".join(line.lower().split())
    if not norm or len(norm) > max_line_chars:
        return None
    words = norm.count(" ") + 1
    if words > BUDGETS[-1]:
        return None
    need = 7
    for (limit, leads, anywhere), (find_lead, find_any), guard in zip(
        compiled.buckets, compiled.detectors, compiled.guards, strict=True
    ):
        if words > limit:
            continue
        if guard.automaton is not None:  # which slow alternatives the line's literals admit
            need = guard.base
            masks = guard.masks
            for k, _, _ in guard.automaton.find_matches_as_indexes(norm, overlapping=True):
                need |= masks[k]
            if not need & 1:
                find_lead = guard.cheap_lead
            if not need & 2 and guard.any_guarded:
                anywhere = None
        # The detectors say whether (and where) the union matches; the union then names the rule.
        m = (
            leads.match(norm)
            if leads is not None and find_lead is not None and find_lead.match(norm) is not None
            else None
        )
        if m is None and anywhere is not None:
            at = find_any.search(norm)  # type: ignore[union-attr]
            m = anywhere.match(norm, at.start()) if at is not None else None
        if m is not None:
            return rule_of_group(m.lastgroup or "")
        break  # the first admissible bucket holds every rule that applies
    if compiled.labels and words <= LINK_BAR_MAX_WORDS:
        return (link_bar(norm, compiled) if need & 4 else None) or segment_bar_rule(norm, compiled)
    if compiled.labels:
        return segment_bar_rule(norm, compiled)
    return None
