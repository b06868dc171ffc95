"""Which literal strings a rule regex needs: the facts behind the cue automaton and the rule guards.

The fast path skips work on lines that lack a literal every match needs ("newsletter"), or
that no literal prefix of a pattern starts in. Those literals come from the regex text. This
module parses the small regex dialect of the rule tables itself, into a tree of literals,
literal classes, groups, repeats and "other" (anything it does not look into: "\\b", "\\w",
".", lookarounds, ranges). It needs no private ``re`` internals (``re._parser`` exists only
from Python 3.11 on, ``sre_parse`` is deprecated). "Other" is always a safe answer: it only
makes an analysis find fewer literals, never a wrong one. Syntax it cannot place at all
(backreferences, inline flags, hex escapes) raises ``ValueError``; callers then skip the
speed-up.
"""

from __future__ import annotations

import re

from corpus.text.boilerplate.patterns import class_end

# A node: ("lit", ch) | ("in", chars) | ("group", branches) | ("repeat", lo, hi, greedy, seq) | ("other",)
Node = tuple
Seq = list  # a sequence of nodes

_OTHER: Node = ("other",)
_MANY = 1 << 30
_BOUNDS = re.compile(r"\{(\d*)(?:(,)(\d*))?\}")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}


def parse(pattern: str) -> Seq:
    """The node sequence of ``pattern`` (a top-level "|" gives one group node).

    >>> parse(r"ab?|[c-]")
    [('group', [[('lit', 'a'), ('repeat', 0, 1, True, [('lit', 'b')])], [('in', 'c-')]])]
    """
    branches, i = _branches(pattern, 0)
    if i != len(pattern):
        raise ValueError(f"unbalanced ')' at {i} in {pattern!r}")
    return branches[0] if len(branches) == 1 else [("group", branches)]


def _branches(p: str, i: int) -> tuple[list[Seq], int]:
    out: list[Seq] = [[]]
    while i < len(p) and p[i] != ")":
        if p[i] == "|":
            out.append([])
            i += 1
            continue
        node, i = _atom(p, i)
        node, i = _quantified(p, i, node)
        out[-1].append(node)
    return out, i


def _atom(p: str, i: int) -> tuple[Node, int]:
    ch = p[i]
    if ch == "(":
        look = p.startswith(("(?=", "(?!", "(?<=", "(?<!"), i)
        if p.startswith("(?:", i):
            j = i + 3
        elif p.startswith("(?P<", i):
            j = p.index(">", i) + 1
        elif look:
            j = i + (4 if p.startswith("(?<", i) else 3)
        elif p.startswith("(?", i):
            raise ValueError(f"unsupported group at {i} in {p!r}")
        else:
            j = i + 1
        inner, j = _branches(p, j)
        if p[j : j + 1] != ")":
            raise ValueError(f"unclosed group at {i} in {p!r}")
        return (_OTHER if look else ("group", inner)), j + 1
    if ch == "[":
        j = class_end(p, i)
        return _class(p[i + 1 : j - 1]), j
    if ch == "\\":
        nxt = p[i + 1 : i + 2]
        if not nxt or nxt in "xuUN0123456789":
            raise ValueError(f"unsupported escape at {i} in {p!r}")
        if nxt.isalnum():
            return (("lit", _ESCAPES[nxt]) if nxt in _ESCAPES else _OTHER), i + 2
        return ("lit", nxt), i + 2
    if ch in ".^$":
        return _OTHER, i + 1
    if ch in "*+?":
        raise ValueError(f"nothing to repeat at {i} in {p!r}")
    return ("lit", ch), i + 1


def _class(body: str) -> Node:
    """A class of plain characters as ("in", chars); ranges, negations and "\\w" are "other"."""
    if body.startswith("^"):
        return _OTHER
    chars, k = [], 0
    while k < len(body):
        c = body[k]
        if c == "\\":
            c = body[k + 1 : k + 2]
            if not c or c.isalnum():
                return _OTHER  # "\d", "\w", "\n", ...: not worth telling apart
            k += 1
        elif c == "-" and 0 < k < len(body) - 1:
            return _OTHER  # a range
        chars.append(c)
        k += 1
    return ("in", "".join(dict.fromkeys(chars))) if chars else _OTHER


def _quantified(p: str, i: int, node: Node) -> tuple[Node, int]:
    ch = p[i : i + 1]
    if ch in ("*", "+", "?"):
        lo, hi, i = (0 if ch != "+" else 1), (1 if ch == "?" else _MANY), i + 1
    elif ch == "{" and (m := _BOUNDS.match(p, i)) and (m[1] or m[3]):
        lo = int(m[1] or 0)
        hi = _MANY if m[2] and not m[3] else int(m[3] or m[1])
        i = m.end()
    else:
        return node, i
    greedy = p[i : i + 1] not in ("?", "+")  # lazy "??" or possessive "?+" (Python 3.11+)
    if not greedy:
        i += 1
    return ("repeat", lo, hi, greedy, [node]), i


def _parts(node: Node) -> list[Seq]:
    """The branches of a group node (one branch for a plain group)."""
    return node[1]


def required_literals(items: Seq) -> set[str] | None:
    """Strings one of which every match of the parsed regex ``items`` contains, or None.

    A run of literals in sequence is one such string; a group of alternatives gives the union
    of its alternatives' sets, a repeat of at least once its item's set. Of the elements of a
    sequence, the set whose shortest string is longest is kept (the most selective).

    >>> sorted(required_literals(parse(r"\\bfo(?:bar|bazz)+\\w")))
    ['bar', 'bazz']
    """
    best: set[str] | None = None

    def consider(found: set[str] | None) -> None:
        nonlocal best
        if found and all(found) and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found

    run = ""
    for node in items:
        kind = node[0]
        if kind == "lit" or (kind == "in" and len(node[1]) == 1):
            run += node[1]
            continue
        consider({run} if run else None)
        run = ""
        if kind == "group":
            parts = [required_literals(b) for b in _parts(node)]
            consider(None if any(not p for p in parts) else set().union(*parts))  # type: ignore[arg-type]
        elif kind == "repeat" and node[1] >= 1:
            consider(required_literals(node[4]))
    consider({run} if run else None)
    return best


def literal_prefixes(items: Seq, limit: int = 8) -> list[str] | None:
    """Literal strings that every match of the parsed regex ``items`` starts with (one of them).

    Literals, small literal classes ("[ -]"), optional parts ("-?") and groups of alternatives
    are multiplied out, up to ``limit`` characters; anything else (a lookaround, "\\b", "\\d")
    ends a prefix there. None when there would be more than 64 prefixes.

    >>> literal_prefixes(parse(r"sign[ -]?(?:in|up)\\b"))
    ['sign in', 'sign up', 'sign-in', 'sign-up', 'signin', 'signup']
    """
    done: list[str] = []
    growing = [""]
    for node in items:
        kind = node[0]
        alts: list[tuple[str, bool]] | None  # (text, whether a prefix may grow past it)
        if kind in ("lit", "in"):
            alts = [(c, True) for c in node[1]]
        elif kind == "group":
            alts = []
            for branch in _parts(node):
                sub = _grown(literal_prefixes(branch, limit), branch, limit)
                if sub is None:
                    return None
                alts += sub
        elif kind == "repeat" and node[1:4] == (0, 1, True):
            sub = _grown(literal_prefixes(node[4], limit), node[4], limit)
            alts = None if sub is None else [*sub, ("", True)]
        else:
            alts = None
        if alts is None:
            return done + growing
        nxt = []
        for p in growing:
            for a, grows in alts:
                (nxt if grows and len(p + a) < limit else done).append(p + a)
        growing = nxt
        if len(done) + len(growing) > 64:
            return None
    return done + growing


def _grown(prefixes: list[str] | None, items: Seq, limit: int) -> list[tuple[str, bool]] | None:
    """``prefixes`` of a sub-pattern, each marked whether it spells a whole match of it."""
    if prefixes is None:
        return None
    whole = literal_set(items, limit)
    return [(p, whole is not None and p in whole) for p in prefixes]


def literal_set(items: Seq, limit: int, most: int = 64) -> set[str] | None:
    """Every string the parsed regex ``items`` can match, if it is a small finite literal set.

    >>> sorted(literal_set(parse("e-?mail|news"), 100))
    ['e-mail', 'email', 'news']
    """
    out = {""}
    for node in items:
        kind = node[0]
        opts: set[str] | None
        if kind in ("lit", "in"):
            opts = set(node[1])
        elif kind == "group":
            opts = set()
            for branch in _parts(node):
                sub = literal_set(branch, limit, most)
                if sub is None:
                    return None
                opts |= sub
        elif kind == "repeat" and node[1:4] == (0, 1, True):
            sub = literal_set(node[4], limit, most)
            opts = None if sub is None else sub | {""}
        else:
            opts = None
        if opts is None:
            return None
        out = {p + o for p in out for o in opts}
        if len(out) > most or any(len(p) >= limit for p in out):
            return None
    return out
