"""Regex text surgery for the rule compiler: split on top-level "|", multiply out groups, build tries.

The rule tables are regex *text*; the compiler regroups their alternatives so the engine tries
fewer of them per position. These helpers work on the text and never change what an
alternative matches. There is one splitter (``split_alternatives``); it skips escapes and
character classes, so the "|" in "[:|]" is not a split point.
"""

from __future__ import annotations

_META = set("\\.^$*+?{}[]()|")
_QUANTIFIERS = ("?", "*", "+", "{")


def class_end(pattern: str, i: int) -> int:
    """Index just past the character class that opens at ``pattern[i] == "["``.

    >>> class_end("a[]|]b", 1)
    5
    """
    j = i + 1
    if pattern[j : j + 1] == "^":
        j += 1
    if pattern[j : j + 1] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j + 1


def split_alternatives(pattern: str) -> list[str]:
    """Split a regex on its top-level "|", skipping escapes, groups and character classes.

    >>> split_alternatives("a|b(?:c|d)|e")
    ['a', 'b(?:c|d)', 'e']
    >>> split_alternatives(r"a(?=[:|])|b\\|c")
    ['a(?=[:|])', 'b\\\\|c']
    """
    out, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = class_end(pattern, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return out


def expand(alt: str, limit: int = 256) -> list[str]:
    """Alternatives equivalent to ``alt`` with a leading "(?:a|b)" group multiplied out.

    "(?:a|b)c" matches at a position exactly when "ac" or "bc" does; multiplied out, each
    alternative starts with a literal that ``by_first_char`` can dispatch on.

    >>> expand(r"\\b(?:ab|c)d")
    ['\\\\babd', '\\\\bcd']
    """
    prefix = "\\b" if alt.startswith("\\b") else ""
    body = alt[len(prefix) :]
    if not body.startswith("(?:"):
        return [alt]
    depth, i = 0, 0
    while i < len(body):  # find the end of the leading group
        ch = body[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = class_end(body, i)
            continue
        depth += (ch == "(") - (ch == ")")
        i += 1
        if depth == 0:
            break
    rest = body[i:]
    if rest[:1] in _QUANTIFIERS:
        return [alt]
    out = [prefix + e for inner in split_alternatives(body[3 : i - 1]) for e in expand(inner + rest, limit)]
    return out if len(out) <= limit else [alt]


def alternatives(patterns: list[str]) -> list[str]:
    """Every top-level alternative of ``patterns``, with leading groups multiplied out."""
    return [e for pat in patterns for alt in split_alternatives(pat) for e in expand(alt)]


def first_literal(alt: str) -> tuple[str, str]:
    """Split a regex alternative into its first literal character and the rest ("" if none).

    >>> first_literal("share"), first_literal(r"\\(c\\)"), first_literal("s?x")
    (('s', 'hare'), ('\\\\(', 'c\\\\)'), ('', 's?x'))
    """
    lit = alt[:2] if alt[:1] == "\\" and alt[1:2] and not alt[1].isalnum() else alt[:1]
    if not lit or (lit[0] in _META and len(lit) == 1) or alt[len(lit) : len(lit) + 1] in _QUANTIFIERS:
        return "", alt
    return lit, alt[len(lit) :]


def by_first_char(alts: list[str]) -> list[str]:
    """``alts`` regrouped into a trie on their leading literals (same matches, same order per key).

    >>> by_first_char(["share", "sign", "(?:x)"])
    ['s(?:h(?:are)|i(?:gn))', '(?:x)']
    """
    groups: dict[str, list[str]] = {}
    misc: list[str] = []
    for alt in alts:
        lit, rest = first_literal(alt)
        if lit:
            groups.setdefault(lit, []).append(rest)
        else:
            misc.append(alt)
    nested = [f"{c}(?:{'|'.join(by_first_char(v) if len(v) > 1 else v)})" for c, v in groups.items()]
    return nested + misc
