"""The cue prefilter: find, in one pass over a document, the few lines worth classifying.

Only a line that holds a cue stem (``rules.cues``; see ``reference.has_cue``) is normalized
and tested against the rules. An Aho-Corasick automaton (``ahocorasick_rs``, a DFA in C) over
literal prefixes of every cue alternative finds where a cue may start; the cue regex confirms
it there. The gate is part of what the stage means (``reference``): a line no cue marks is kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

import ahocorasick_rs

from corpus.text.boilerplate.literals import literal_prefixes, parse
from corpus.text.boilerplate.patterns import by_first_char
from corpus.text.boilerplate.reference import CUES, cue_alternatives


def cue_pattern(cues: list[str]) -> str:
    r"""One alternation of ``cues`` that the regex engine scans fast.

    Stems that start with a letter are matched only at a word start (one ``\b`` test rejects
    most positions) and grouped into a trie by their leading characters, so the engine compares
    a few characters per position instead of trying hundreds of alternatives. Cue stems
    therefore match at word starts ("konto", not "kundenkonto").

    >>> cue_pattern(["share|sign", r"\(c\)|\bjoin|\bjet"])
    '\\((?:c\\))|\\b(?:s(?:h(?:are)|i(?:gn))|j(?:o(?:in)|e(?:t)))'
    """
    plain, word = cue_alternatives(cues)
    parts = by_first_char(plain)
    if word:
        parts.append(f"\\b(?:{'|'.join(by_first_char(word))})")
    return "|".join(parts)


@lru_cache(maxsize=4)
def cue_finder() -> re.Pattern[str]:
    return re.compile(cue_pattern(CUES), re.MULTILINE)


@lru_cache(maxsize=4)
def cue_keys() -> tuple[str, ...] | None:
    """Literal prefixes of every cue alternative (the shortest, minimal set): wherever
    ``cue_finder`` matches, one of them starts. None if some alternative has no usable prefix."""
    plain, word = cue_alternatives(CUES)
    keys: set[str] = set()
    for alt in plain + word:
        try:
            prefixes = literal_prefixes(parse(alt))
        except ValueError:
            return None
        if not prefixes or any(not p or "\n" in p for p in prefixes):
            return None
        keys.update(prefixes)
    return tuple(sorted(k for k in keys if not any(k[:i] in keys for i in range(1, len(k)))))


@lru_cache(maxsize=4)
def cue_automaton() -> ahocorasick_rs.AhoCorasick | None:
    """An automaton over ``cue_keys``.

    Wherever ``cue_finder`` matches, one of these prefixes starts, so the automaton's hits are
    a superset of the cue positions: ``cue_finder().match`` at a hit then decides, exactly as
    the search would. None (use the regex scan) if some alternative has no usable prefix.
    """
    keys = cue_keys()
    if keys is None:
        return None
    return ahocorasick_rs.AhoCorasick(list(keys), implementation=ahocorasick_rs.Implementation.DFA)


@lru_cache(maxsize=4)
def cue_bytes_automaton() -> ahocorasick_rs.BytesAhoCorasick | None:
    """``cue_automaton`` over UTF-8 bytes: on a whole document it is about twice as fast as the
    text automaton, which maps every hit back from bytes to characters (``candidate_lines`` maps
    only the few hits it tries)."""
    keys = cue_keys()
    if keys is None:
        return None
    return ahocorasick_rs.BytesAhoCorasick(
        [k.encode("utf-8") for k in keys], implementation=ahocorasick_rs.Implementation.DFA
    )


def candidate_lines(low: str) -> list[tuple[int, int, int]]:
    """(line index, start, end) of the lines of lowercased ``low`` that contain a cue stem.

    The automaton finds the places where a cue may start in one pass over the UTF-8 bytes; the
    cue regex is then tried only there, and not again in a line already taken.

    >>> candidate_lines("peace talks resumed.\\nshare this article\\nbody.")
    [(1, 21, 39)]
    """
    automaton = cue_bytes_automaton()
    if automaton is None:
        return candidate_lines_re(low)
    try:
        raw = low.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: the automaton takes only valid text
        return candidate_lines_re(low)
    hits = automaton.find_matches_as_indexes(raw, overlapping=True)
    match = cue_finder().match
    ascii_only = len(raw) == len(low)
    out, line_no, pos, end = [], 0, 0, -1
    at, at_raw, end_raw = 0, 0, -1  # a hit's offset in characters and in bytes; the line end in bytes
    for _, hit, _ in hits:  # by end offset, so by line (no prefix holds a newline)
        if hit <= end_raw:
            continue
        if ascii_only:
            at = hit
        else:  # characters up to the hit: decode only the bytes between it and the last one tried
            if hit >= at_raw:  # (hits come by end offset: a longer key may start earlier)
                at += len(raw[at_raw:hit].decode("utf-8"))
            else:
                at -= len(raw[hit:at_raw].decode("utf-8"))
            at_raw = hit
        if match(low, at) is None:
            continue
        start = low.rfind("\n", 0, at) + 1
        end = low.find("\n", at)
        if end < 0:
            end = len(low)
        end_raw = raw.find(b"\n", hit)
        if end_raw < 0:
            end_raw = len(raw)
        line_no += low.count("\n", pos, start)
        pos = start
        out.append((line_no, start, end))
    return out


def candidate_lines_re(low: str) -> list[tuple[int, int, int]]:
    """``candidate_lines`` with the cue regex only (text the automaton cannot take)."""
    search = cue_finder().search
    out, line_no, pos, n = [], 0, 0, len(low)
    m = search(low)
    while m is not None:
        start = low.rfind("\n", 0, m.start()) + 1
        end = low.find("\n", m.start())
        if end < 0:
            end = n
        line_no += low.count("\n", pos, start)
        pos = start
        out.append((line_no, start, end))
        if end >= n:
            break
        m = search(low, end + 1)
    return out
