"""Gopher's quality and repetition signals (Rae et al. 2021, "Scaling Language Models", appendix A).

Pure functions of a text: ``quality_signals`` and ``repetition_signals`` return the numbers, and
``QUALITY_RULES`` / ``REPETITION_RULES`` say which comparison fails a document, in the order the
reference implementation (datatrove 0.10.1's GopherQualityFilter and GopherRepetitionFilter)
checks them, so a drop names the same first failed rule. Words are ``corpus.text.words``: spaCy's
English tokenization, as datatrove counts them. The n-gram signals run over token ids in NumPy.

>>> text = "The cat sat on the mat and looked at the dog.\\n" * 3
>>> s = repetition_signals(text, words(text))
>>> round(s["gopher_dup_line_frac"], 3), round(s["gopher_dup_line_char_frac"], 3)
(0.5, 0.652)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from corpus.text.words import Words, words

__all__ = ["QUALITY_RULES", "REPETITION_RULES", "quality_signals", "repetition_signals", "words"]

# Gopher's stop words (the paper, A.1.1: "the, be, to, of, and, that, have, with").
STOP_WORDS = frozenset({"the", "be", "to", "of", "and", "that", "have", "with"})

# (rule, signal, comparison, option holding the threshold) in the reference order. Thresholds are
# Gopher's, Table A1 and A.1.1: 50-100,000 words, mean word length 3-10, hash or ellipsis per word
# <= 0.1, bullet lines <= 90%, ellipsis lines <= 30%, alphabetic words >= 80%, >= 2 stop words.
QUALITY_RULES = (
    ("short_doc", "gopher_words", "<", "min_doc_words"),
    ("long_doc", "gopher_words", ">", "max_doc_words"),
    ("short_mean_word", "gopher_mean_word_length", "<", "min_avg_word_length"),
    ("long_mean_word", "gopher_mean_word_length", ">", "max_avg_word_length"),
    ("too_many_hashes", "gopher_hash_ratio", ">", "max_symbol_word_ratio"),
    ("too_many_ellipsis", "gopher_ellipsis_ratio", ">", "max_symbol_word_ratio"),
    ("too_many_bullets", "gopher_bullet_lines_ratio", ">", "max_bullet_lines_ratio"),
    ("too_many_end_ellipsis", "gopher_ellipsis_lines_ratio", ">", "max_ellipsis_lines_ratio"),
    ("few_alpha_words", "gopher_alpha_words_ratio", "<", "min_alpha_words_ratio"),
    ("few_stop_words", "gopher_stop_words", "<", "min_stop_words"),
)
# Table A1: duplicate line / paragraph fractions 0.30 (by count) and 0.20 (by characters); the most
# frequent 2-, 3-, 4-gram's characters 0.20, 0.18, 0.16; repeated 5- to 10-grams 0.15 down to 0.10.
REPETITION_RULES = (
    ("dup_para_frac", "gopher_dup_para_frac", ">", "dup_para_frac"),
    ("dup_para_char_frac", "gopher_dup_para_char_frac", ">", "dup_para_char_frac"),
    ("dup_line_frac", "gopher_dup_line_frac", ">", "dup_line_frac"),
    ("dup_line_char_frac", "gopher_dup_line_char_frac", ">", "dup_line_char_frac"),
    *((f"top_{n}_gram", f"gopher_top_{n}_gram_frac", ">", f"top_{n}_gram_frac") for n in (2, 3, 4)),
    *((f"dup_{n}_gram", f"gopher_dup_{n}_gram_frac", ">", f"dup_{n}_gram_frac") for n in range(5, 11)),
)

_PARAGRAPHS = re.compile(r"\n{2,}")
_P = np.uint64(0x9E3779B97F4A7C15)  # odd: n-gram keys are polynomials in it, modulo 2**64


def quality_signals(text: str, w: Words, stop_words: Iterable[str] = STOP_WORDS) -> dict[str, float]:
    """The Gopher quality signals of ``text`` (``w`` its words)."""
    n_tokens = len(w)
    wordlike = ~w.symbol
    n_words = int(wordlike.sum())
    lines = text.splitlines() or [""]
    bullets = sum(1 for s in lines if s.lstrip().startswith(("•", "-")))
    ellipsis_lines = sum(1 for s in lines if s.rstrip().endswith(("...", "…")))
    per = n_tokens or 1  # ratios divide as the reference does (x / n, not x * (1 / n): 0.8 stays 0.8)
    return {
        "gopher_words": n_words,
        "gopher_mean_word_length": float(w.length[wordlike].mean()) if n_words else 0.0,
        "gopher_hash_ratio": text.count("#") / per,
        "gopher_ellipsis_ratio": (text.count("...") + text.count("…")) / per,
        "gopher_bullet_lines_ratio": bullets / len(lines),
        "gopher_ellipsis_lines_ratio": ellipsis_lines / len(lines),
        "gopher_alpha_words_ratio": int(w.alpha.sum()) / per,
        "gopher_stop_words": w.has_tokens(frozenset(stop_words)),
    }


def duplicates(parts: list[str]) -> tuple[int, int]:
    """(repeated elements, their characters): every copy after the first counts."""
    distinct = set(parts)
    return len(parts) - len(distinct), sum(map(len, parts)) - sum(map(len, distinct))


def _split_lines(text: str) -> list[str]:
    """``re.split(r"\\n+", text)`` without the regex: empty pieces only at the two ends."""
    parts = text.split("\n")
    if len(parts) < 3:
        return parts
    return [parts[0], *filter(None, parts[1:-1]), parts[-1]]


def _ngram_keys(ids: np.ndarray, n: int) -> np.ndarray:
    """One uint64 key per n-gram of ``ids`` (equal n-grams, equal keys; others collide ~2**-64)."""
    m = len(ids) - n + 1
    keys = ids[:m].astype(np.uint64)
    for j in range(1, n):
        keys = keys * _P + ids[j : j + m].astype(np.uint64)
    return keys


def _window_sums(lengths: np.ndarray, n: int) -> np.ndarray:
    c = np.concatenate(([0], np.cumsum(lengths)))
    return c[n:] - c[:-n]


def _top_ngram_chars(keys: np.ndarray, chars: np.ndarray) -> int:
    """Characters of the most frequent n-gram times its count; ties go to the earliest n-gram."""
    ordered = np.sort(keys)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    counts = np.diff(np.append(starts, len(ordered)))
    best = int(counts.max())
    if best == 1:
        return int(chars[0])  # all distinct: the first n-gram
    tied = ordered[starts[counts == best]]
    if len(tied) <= 8:
        winner = min(int(np.argmax(keys == key)) for key in tied)
    else:
        winner = int(np.flatnonzero(np.isin(keys, tied))[0])
    return int(chars[winner]) * best


def _repeating(ids: np.ndarray) -> np.ndarray:
    """Sorted positions whose 5-gram occurs more than once (only there can a longer n-gram repeat)."""
    keys = _ngram_keys(ids, 5)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return np.empty(0, dtype=np.int64)
    marked = np.zeros(len(keys), dtype=bool)
    marked[1:] |= same
    marked[:-1] |= same
    return np.sort(order[marked])


def _repeated_chars(
    ids: np.ndarray, lengths: np.ndarray, where: np.ndarray, n: int, stop: float = float("inf")
) -> int:
    """Characters of repeated n-grams, read left to right, a repeat skipping its n words (Gopher).

    Only positions in ``where`` (a repeated 5-gram starts there) can hold a repeat or its first
    copy, and of those only the ones whose n-gram occurs again: every other n-gram is unique, is
    never skipped to and never matched, so the walk visits those positions alone. With a finite
    ``stop`` (dropping: only the comparison matters) it stops once the count passes ``stop``, and
    is skipped when even every later copy counted in full stays under it: the value returned is
    then that upper bound, at most ``stop``.
    """
    where = where[where <= len(ids) - n]
    if len(where) < 2:
        return 0
    keys = ids[where].astype(np.uint64)
    for j in range(1, n):
        keys = keys * _P + ids[where + j].astype(np.uint64)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return 0
    sums = _window_sums(lengths, n)
    if stop != float("inf"):
        bound = int(sums[where[order[1:][same]]].sum())  # every copy after the first, overlaps and all
        if bound <= stop:
            return bound
    marked = np.zeros(len(keys), dtype=bool)
    marked[order[1:][same]] = True
    marked[order[:-1][same]] = True
    where, keys = where[marked], keys[marked]
    chars = sums[where]
    seen: set[int] = set()
    total = 0
    pos = 0
    for c, key, size in zip(where.tolist(), keys.tolist(), chars.tolist(), strict=True):
        if c < pos:
            continue  # inside the words a repeat just consumed
        if key in seen:
            total += size
            if total > stop:
                break
            pos = c + n
        else:
            seen.add(key)
            pos = c + 1
    return total


def repetition_signals(text: str, w: Words, limits: dict[str, float] | None = None) -> dict[str, float]:
    """The Gopher repetition signals of ``text`` (``w`` its words).

    With ``limits`` (signal -> largest value kept), measuring stops at the first signal over its
    limit, in the reference's order: what dropping needs, for less work. Without, all are measured.
    """
    size = len(text) or 1
    out: dict[str, float] = {}

    def over(name: str, value: float) -> bool:
        out[name] = value
        limit = None if limits is None else limits.get(name)
        return limit is not None and value > limit

    paragraphs = _PARAGRAPHS.split(text.strip())
    para_dups, para_chars = duplicates(paragraphs)
    if over("gopher_dup_para_frac", para_dups / len(paragraphs)):
        return out
    if over("gopher_dup_para_char_frac", para_chars / size):
        return out
    lines = _split_lines(text)
    line_dups, line_chars = duplicates(lines)
    if over("gopher_dup_line_frac", line_dups / len(lines)):
        return out
    if over("gopher_dup_line_char_frac", line_chars / size):
        return out
    ids, lengths = w.ids, w.length
    for n in (2, 3, 4):
        value = 0.0
        if len(ids) >= n:
            chars = _window_sums(lengths, n) + (n - 1)  # joined with spaces
            value = _top_ngram_chars(_ngram_keys(ids, n), chars) / size
        if over(f"gopher_top_{n}_gram_frac", value):
            return out
    where = _repeating(ids) if len(ids) >= 5 else np.empty(0, dtype=np.int64)
    for n in range(5, 11):
        name = f"gopher_dup_{n}_gram_frac"
        limit = None if limits is None else limits.get(name)
        stop = limit * size if limit is not None else float("inf")
        # joined without spaces, as the reference does
        value = _repeated_chars(ids, lengths, where, n, stop) / size if len(where) else 0.0
        if over(name, value):
            return out
    return out
