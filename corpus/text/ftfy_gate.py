"""Which text ftfy could change: its config with our defaults, and a regex gate derived from ftfy.

``FTFY_DEFAULTS`` is ftfy's own TextFixerConfig with the cosmetic fixers off (``uncurl_quotes``,
``fix_latin_ligatures``, ``fix_character_width``, ``normalization``), so that clean text is
never changed while mojibake, HTML entities, C1 controls, terminal escapes and surrogates are
still repaired. ``FTFY_COSMETIC`` turns them back on (ftfy's full default behaviour).

The gate makes clean text cheap: ftfy runs on a line only if ``build_gate``'s regex matches it.
The regex is derived from ftfy itself: every branch of ``ftfy.badness``'s mojibake detector
(ftfy changes no encoding unless it matches), HTML entities, and the characters each enabled
per-character fixer acts on. A line it does not match is provably left unchanged by ftfy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from ftfy import TextFixerConfig
from ftfy.badness import BADNESS_RE
from ftfy.chardata import (
    C1_CONTROL_RE,
    CONTROL_CHARS,
    DOUBLE_QUOTE_RE,
    HTML_ENTITY_RE,
    LIGATURES,
    SINGLE_QUOTE_RE,
    WIDTH_MAP,
)

from corpus.options import Option, check_options
from corpus.text.regex_items import Item, parse

COSMETIC = ("uncurl_quotes", "fix_latin_ligatures", "fix_character_width", "normalization")
FTFY_DEFAULTS: dict[str, Any] = {
    **TextFixerConfig()._asdict(),
    **dict.fromkeys(COSMETIC[:3], False),
    "normalization": None,
}
del FTFY_DEFAULTS["explain"]
FTFY_COSMETIC: dict[str, Any] = {k: TextFixerConfig()._asdict()[k] for k in COSMETIC}
_SPECIAL = {
    "unescape_html": Option("auto", "decode HTML entities", choices=(True, False, "auto")),
    "normalization": Option(None, "Unicode normal form", choices=(None, "NFC", "NFD", "NFKC", "NFKD")),
    "max_decode_length": Option(1_000_000, "longest segment ftfy decodes at once", kind=int, min=1),
}
# ftfy's TextFixerConfig fields, all but ``explain``, as declared options (for one kind of error).
FTFY_OPTIONS: dict[str, Option] = {
    key: _SPECIAL.get(key) or Option(value, f"ftfy's {key}", kind=bool)
    for key, value in FTFY_DEFAULTS.items()
}


def ftfy_config(options: Mapping[str, Any] | None = None) -> TextFixerConfig:
    """The TextFixerConfig for ``FTFY_DEFAULTS`` updated by ``options``; bad keys or values raise.

    >>> ftfy_config({"uncurl_quotes": True}).uncurl_quotes, ftfy_config().uncurl_quotes
    (True, False)
    >>> ftfy_config({"fix_entities": True})
    Traceback (most recent call last):
    ...
    corpus.errors.ConfigError: fix_encoding.ftfy: unknown option 'fix_entities'; expected one of: ...
    """
    values = check_options("fix_encoding.ftfy", FTFY_OPTIONS, dict(options or {}))
    return TextFixerConfig(**{**FTFY_DEFAULTS, **values, "explain": True})


def _esc(code: int) -> str:
    return f"\\U{code:08x}"


_CATEGORIES = {"s": r"\s", "w": r"\w", "d": r"\d"}
_IN_PARTS = {
    "NEGATE": lambda a: "^",
    "LITERAL": _esc,
    "RANGE": lambda a: f"{_esc(a[0])}-{_esc(a[1])}",
    "CATEGORY": _CATEGORIES.__getitem__,
}


def _unparse(items: list[Item]) -> str:
    """Regex source for parsed items (``corpus.text.regex_items``)."""
    out = []
    for op, av in items:
        if op == "LITERAL":
            out.append(_esc(av))
        elif op == "ANY":
            out.append(".")
        elif op == "AT":
            out.append("^")
        elif op == "MAX_REPEAT":
            low, high, sub = av
            out.append(f"(?:{_unparse(sub)}){{{low},{'' if high is None else high}}}")
        elif op == "IN":
            out.append("[" + "".join(_IN_PARTS[o](a) for o, a in av) + "]")
        else:  # pragma: no cover - parse() gives no other kind
            raise ValueError(f"unexpected regex node {op}")
    return "".join(out)


def _codes(op: str, av: Any) -> set[int]:
    """The characters one parsed item can match, or an empty set if not a plain set."""
    if op == "LITERAL":
        return {av}
    if op != "IN" or any(o not in ("LITERAL", "RANGE") for o, _ in av):
        return set()
    return {c for o, a in av for c in ([a] if o == "LITERAL" else range(a[0], a[1] + 1))}


def anchored(pattern: re.Pattern[str], ascii_ok: bool = False) -> list[tuple[set[int], str, str]]:
    """Each branch of ``pattern`` as (anchor characters, lookbehind regex, rest regex).

    The anchor is the branch item that is a plain set of characters (non-ASCII ones unless
    ``ascii_ok``) with the fewest letters, then the fewest characters, then the fewest items
    dropped, then the rightmost: letters are what clean text is made of, so the regex engine
    stops on few of them. The single-character items just before it become lookbehind context;
    items before those (``\\s?``, ``^``) are dropped, which can only widen the match.
    """
    out = []
    for items in parse(pattern):
        candidates = []
        for k, (op, av) in enumerate(items):
            codes = _codes(op, av)
            if codes and (ascii_ok or min(codes) >= 0x80):
                start = k
                while start > 0 and items[start - 1][0] in ("LITERAL", "IN", "ANY"):
                    start -= 1
                letters = sum(chr(c).isalpha() for c in codes)
                candidates.append((letters, len(codes), start, -k, codes))
        if not candidates:  # ftfy changed its detector: the gate must be revisited
            raise ValueError(f"no anchor in {_unparse(items)!r}")
        _, _, start, k, codes = min(candidates)
        k = -k
        out.append((codes, _unparse(items[start : k + 1]), _unparse(items[k + 1 :])))
    return out


def trigger_chars(config: TextFixerConfig) -> set[int]:
    """Characters the enabled per-character fixers of ftfy act on (from ftfy's own tables).

    >>> len(trigger_chars(ftfy_config())), len(trigger_chars(ftfy_config(FTFY_COSMETIC)))
    (2123, 2380)
    """
    codes: set[int] = set()
    if config.remove_control_chars:
        codes |= set(CONTROL_CHARS)
    if config.remove_terminal_escapes:
        codes.add(0x1B)
    if config.fix_surrogates:
        codes |= set(range(0xD800, 0xE000))
    if config.fix_line_breaks:  # what fixes.fix_line_breaks replaces
        codes |= {0x0D, 0x85, 0x2028, 0x2029}
    if config.fix_c1_controls:
        codes |= anchored(C1_CONTROL_RE)[0][0]
    if config.fix_latin_ligatures:
        codes |= set(LIGATURES)
    if config.fix_character_width:
        codes |= set(WIDTH_MAP)
    if config.uncurl_quotes:
        codes |= anchored(SINGLE_QUOTE_RE)[0][0] | anchored(DOUBLE_QUOTE_RE)[0][0]
    return codes


def build_gate(config: TextFixerConfig, extra: Iterable[int] = ()) -> re.Pattern[str]:
    """A regex that matches every line ftfy could change under ``config`` (and a few more).

    ``extra`` adds characters that match on their own. The form is ``[anchors](?:(?<=A1)R1|...)``:
    a character set first, which the regex engine scans for at C speed, then the branches.

    >>> gate = build_gate(ftfy_config())
    >>> [bool(gate.search(t)) for t in ["Café «crème»", "CafÃ©", "AT&amp;T", "a\\x00b"]]
    [False, True, True, True]
    """
    branches = []
    if config.fix_encoding:
        branches += anchored(BADNESS_RE)
    if config.unescape_html:
        branches += anchored(HTML_ENTITY_RE, ascii_ok=True)
    alternatives = [f"(?<={anchor}){rest}" for _, anchor, rest in branches]
    singles = trigger_chars(config) | set(extra)
    if singles:
        alternatives.append(f"(?<=[{''.join(map(_esc, sorted(singles)))}])")
    first = singles.union(*(codes for codes, _, _ in branches))
    if not first:
        return re.compile(r"(?!)")
    return re.compile(f"[{''.join(map(_esc, sorted(first)))}](?:{'|'.join(alternatives)})")


def needs_ftfy(text: str, config: TextFixerConfig, gate: re.Pattern[str]) -> bool:
    """False only if ``ftfy.fix_text(text, config)`` would return ``text`` unchanged.

    >>> config = ftfy_config()
    >>> gate = build_gate(config)
    >>> needs_ftfy("Zoë’s naïve café", config, gate), needs_ftfy("ZoÃ«", config, gate)
    (False, True)
    """
    if gate.search(text):
        return True
    form = config.normalization
    return form is not None and not unicodedata.is_normalized(form, text)
