"""A small parser for the regexes ftfy detects mojibake with, so the gate can be derived from them.

The gate (``corpus.text.ftfy_gate``) reads ftfy's own patterns item by item. Python's parser
for that is private and moved between versions (``sre_parse``, then ``re._parser``), so this
module parses the subset ftfy uses itself, into the node shapes ``sre_parse`` gives for them
(single-character classes become literals, repeated class members are dropped):

- ``("LITERAL", code)``, ``("ANY", None)``, ``("AT", "^")``;
- ``("IN", parts)``: a class; parts are ``("NEGATE", None)`` (first), ``("LITERAL", code)``,
  ``("RANGE", (low, high))`` and ``("CATEGORY", "s" | "w" | "d")``; ``\\s`` outside a class is
  a class of one category, as in ``sre_parse``;
- ``("MAX_REPEAT", (low, high, [item]))`` for ``? * + {m,n}``, ``high`` None when unbounded.

Alternatives at the top level are branches; anything else (groups, lazy repeats, ``$``,
``\\b``) raises ValueError: ftfy changed its patterns and the gate must be revisited.

>>> amp, hash_, name, semicolon = parse(re.compile(r"&#?[0-9a-z]{1,24};"))[0]
>>> hash_
('MAX_REPEAT', (0, 1, [('LITERAL', 35)]))
>>> name
('MAX_REPEAT', (1, 24, [('IN', [('RANGE', (48, 57)), ('RANGE', (97, 122))])]))
>>> parse(re.compile("a|[^b]|[c]"))
[[('LITERAL', 97)], [('IN', [('NEGATE', None), ('LITERAL', 98)])], [('LITERAL', 99)]]
"""

from __future__ import annotations

import re
from typing import Any

Item = tuple[str, Any]

_CATEGORY = {"s": "s", "w": "w", "d": "d"}
_CONTROL = {"n": 10, "t": 9, "r": 13, "f": 12, "v": 11, "a": 7}
_HEX = {"x": 2, "u": 4, "U": 8}
_REPEAT_RE = re.compile(r"\{(\d*)(,?)(\d*)\}")


def parse(pattern: re.Pattern[str]) -> list[list[Item]]:
    """The branches of ``pattern`` (one when it has no top-level ``|``), each a list of items."""
    src, verbose = pattern.pattern, bool(pattern.flags & re.VERBOSE)
    branches: list[list[Item]] = []
    items: list[Item] = []
    i = 0
    while i < len(src):
        c = src[i]
        if verbose and c.isspace():
            i += 1
        elif verbose and c == "#":
            end = src.find("\n", i)
            i = len(src) if end < 0 else end
        elif c == "|":
            branches.append(items)
            items, i = [], i + 1
        elif c in "?*+" or (c == "{" and _REPEAT_RE.match(src, i)):
            if not items or items[-1][0] in ("MAX_REPEAT", "AT"):
                raise ValueError(f"unsupported repeat at {i} in {src!r}")
            low, high, i = _repeat(src, i)
            if src[i : i + 1] in ("?", "+"):
                raise ValueError(f"unsupported lazy or possessive repeat at {i} in {src!r}")
            items[-1] = ("MAX_REPEAT", (low, high, [items[-1]]))
        elif c == "[":
            item, i = _class(src, i + 1)
            items.append(item)
        elif c == "\\":
            code, i = _escape(src, i + 1)
            items.append(("IN", [("CATEGORY", code)]) if isinstance(code, str) else ("LITERAL", code))
        elif c in "()$":
            raise ValueError(f"unsupported {c!r} at {i} in {src!r}")
        else:
            items.append(("ANY", None) if c == "." else ("AT", "^") if c == "^" else ("LITERAL", ord(c)))
            i += 1
    branches.append(items)
    return branches


def _repeat(src: str, i: int) -> tuple[int, int | None, int]:
    """(low, high, position after) for the repeat at ``src[i]``."""
    c = src[i]
    if c != "{":
        return {"?": (0, 1), "*": (0, None), "+": (1, None)}[c] + (i + 1,)
    m = _REPEAT_RE.match(src, i)
    assert m is not None
    low = int(m.group(1) or 0)
    high = int(m.group(3)) if m.group(3) else (None if m.group(2) else low)
    return low, high, m.end()


def _escape(src: str, i: int) -> tuple[int | str, int]:
    """The character code (or category letter) of the escape whose letter is at ``src[i]``."""
    c = src[i]
    if c in _CATEGORY:
        return _CATEGORY[c], i + 1
    if c in _CONTROL:
        return _CONTROL[c], i + 1
    if c in _HEX:
        digits = src[i + 1 : i + 1 + _HEX[c]]
        if len(digits) != _HEX[c] or not all(d in "0123456789abcdefABCDEF" for d in digits):
            raise ValueError(f"bad escape \\{c}{digits} in {src!r}")
        return int(digits, 16), i + 1 + _HEX[c]
    if c.isalnum():  # \b, \A, \S, back references, ...: not in ftfy's patterns
        raise ValueError(f"unsupported escape \\{c} in {src!r}")
    return ord(c), i + 1


def _class(src: str, i: int) -> tuple[Item, int]:
    """The class whose first member is at ``src[i]`` (just after "["), and the position after it."""
    negate = src[i : i + 1] == "^"
    i += negate
    parts: list[Item] = []
    first = True
    while True:
        if i >= len(src):
            raise ValueError(f"unterminated class in {src!r}")
        c = src[i]
        if c == "]" and not first:
            i += 1
            break
        first = False
        low, i = _class_member(src, i)
        if src[i : i + 1] == "-" and src[i + 1 : i + 2] not in ("]", "") and isinstance(low, int):
            high, i = _class_member(src, i + 1)
            if isinstance(high, str) or high < low:
                raise ValueError(f"bad range in {src!r}")
            parts.append(("RANGE", (low, high)))
        else:
            parts.append(("CATEGORY", low) if isinstance(low, str) else ("LITERAL", low))
    parts = list(dict.fromkeys(parts))
    if len(parts) == 1 and parts[0][0] == "LITERAL" and not negate:
        return parts[0], i
    return ("IN", [("NEGATE", None), *parts] if negate else parts), i


def _class_member(src: str, i: int) -> tuple[int | str, int]:
    if src[i] == "\\":
        return _escape(src, i + 1)
    return ord(src[i]), i + 1
