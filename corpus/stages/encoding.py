"""The ``fix_encoding`` stage: repair mojibake with ftfy, then tidy line breaks, controls and spaces.

Steps, in order; each one is an option and names the rule it records in ``Outcome.edits``:

1. ``newlines`` (on): CRLF and lone CR become LF (``whitespace.newlines``).
2. ``ftfy`` (dict, see below): ftfy's ``fix_text``, line by line exactly as ftfy segments it;
   rule ``ftfy.<plan>``, e.g. ``ftfy.encode:sloppy-windows-1252/decode:utf-8`` (replayable
   with ``ftfy.apply_plan``).
3. ``remove_controls`` (on): drop C0 control characters and DEL other than TAB, LF and CR,
   which is left to ``newlines`` (``control.removed``). After ftfy, which reads C1 characters
   as Windows-1252 (``fix_c1_controls``) and strips terminal escapes whole; the five C1 bytes
   Windows-1252 leaves undefined are kept, as ftfy keeps them. Format characters (ZWJ, RLM) are
   kept.
4. ``spaces``: ``"keep"`` (default) or ``"ascii"``: NBSP and other space separators become
   U+0020 (``whitespace.spaces``). Kept by default: NBSP is meaningful French typography.
5. ``nfc`` (off): Unicode NFC (``unicode.nfc``). Off because it changes 40 clean lingua rows.
6. ``strip_trailing`` (off): drop spaces, tabs, NBSP and other space separators at line ends
   (``whitespace.trailing``). Off by default so that clean text is never changed: the sample
   article ends paragraphs with NBSP, and ftfy's own cases keep trailing spaces.
7. ``max_blank_lines`` (1): cut longer runs of blank lines to this many; None keeps them
   (``whitespace.blank_lines``).

Steps 2-5 run again (at most twice) if 3-5 changed something, so the stage is idempotent.

``ftfy`` takes TextFixerConfig fields (all but ``explain``) as overrides of ``FTFY_DEFAULTS``:
ftfy's own defaults with the cosmetic fixers off (``uncurl_quotes``, ``fix_latin_ligatures``,
``fix_character_width``, ``normalization``), so that clean text is never changed while mojibake,
HTML entities, C1 controls, terminal escapes and surrogates are still repaired. Pass
``ftfy=FTFY_COSMETIC`` to get ftfy's full default behaviour.

The gate (``gate=True``) makes clean text cheap: ftfy runs on a line only if ``build_gate``'s
regex matches it. The regex is derived from ftfy itself: every branch of ``ftfy.badness``'s
mojibake detector (ftfy changes no encoding unless it matches), HTML entities, and the
characters each enabled per-character fixer acts on. A line it does not match is provably left
unchanged by ftfy; ``gate=False`` runs ftfy on every line, for comparison. A second regex, the
gate plus the characters of steps 1 and 3-4, skips steps 1-5 for a whole clean document.

>>> stage = FixEncoding(strip_trailing=True)
>>> out = stage.apply(Document("1", "Pompeoâ€™s statement:\\xa0\\r\\nâ€œStop.â€\\x9d\\n"))
>>> out.doc.text
'Pompeo’s statement:\\n“Stop.”\\n'
>>> for edit in out.edits:
...     print(edit.describe())
[whitespace.newlines] @22 '\\r\\n' -> '\\n'
[ftfy.apply:decode_inconsistent_utf8] 'â€™' -> '’'
[ftfy.encode:sloppy-windows-1252/decode:utf-8] 'â€œStop.â€\\x9d' -> '“Stop.”'
[whitespace.trailing] removed '\\xa0'
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows-* codecs)
from ftfy import TextFixerConfig, fix_and_explain
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

from corpus.document import Document
from corpus.errors import ConfigError
from corpus.stages.base import Edit, Outcome, Stage

try:  # Python >= 3.11
    from re import _constants as sre
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as sre
    import sre_parse

COSMETIC = ("uncurl_quotes", "fix_latin_ligatures", "fix_character_width", "normalization")
FTFY_DEFAULTS: dict[str, Any] = {
    **TextFixerConfig()._asdict(),
    **dict.fromkeys(COSMETIC[:3], False),
    "normalization": None,
}
del FTFY_DEFAULTS["explain"]
FTFY_COSMETIC: dict[str, Any] = {k: TextFixerConfig()._asdict()[k] for k in COSMETIC}
SPACES = ("keep", "ascii")
_FTFY_CHOICES = {
    "unescape_html": (True, False, "auto"),
    "normalization": (None, "NFC", "NFD", "NFKC", "NFKD"),
}

# Horizontal whitespace: what str.isspace() calls space, minus line breaks and C0 separators.
_HSPACE = r"[^\S\n\r\x0b\x0c\x1c-\x1f\x85\u2028\u2029]"
NEWLINE_RE = re.compile(r"\r\n?")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SPACE_RE = re.compile(r"[^\S \t\n\r\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")
TRAILING_RE = re.compile(_HSPACE + r"+(?=[\r\n]|\Z)")
_SPACE_BEFORE_EOL = re.compile(rf"[\r\n](?<={_HSPACE}[\r\n])")  # scans line ends only: fast


def ftfy_config(options: dict[str, Any] | None = None) -> TextFixerConfig:
    """The TextFixerConfig for ``FTFY_DEFAULTS`` updated by ``options``; bad keys or values raise.

    >>> ftfy_config({"uncurl_quotes": True}).uncurl_quotes, ftfy_config().uncurl_quotes
    (True, False)
    >>> ftfy_config({"fix_entities": True})
    Traceback (most recent call last):
    ...
    corpus.errors.ConfigError: fix_encoding: unknown option ftfy.fix_entities; expected one of: ...
    """
    options = dict(options or {})
    for key, value in options.items():
        if key not in FTFY_DEFAULTS:
            known = ", ".join(FTFY_DEFAULTS)
            raise ConfigError(f"fix_encoding: unknown option ftfy.{key}; expected one of: {known}")
        if key in _FTFY_CHOICES:
            ok = any(value is v or (isinstance(v, str) and value == v) for v in _FTFY_CHOICES[key])
        elif key == "max_decode_length":
            ok = type(value) is int and value >= 1
        else:
            ok = type(value) is bool
        if not ok:
            expected = _FTFY_CHOICES.get(
                key, "a positive integer" if key == "max_decode_length" else "a boolean"
            )
            raise ConfigError(f"fix_encoding: ftfy.{key} must be {expected}, not {value!r}")
    return TextFixerConfig(**{**FTFY_DEFAULTS, **options, "explain": True})


# --- the gate -------------------------------------------------------------------------------


def _esc(code: int) -> str:
    return f"\\U{code:08x}"


_CATEGORIES = {sre.CATEGORY_SPACE: r"\s", sre.CATEGORY_WORD: r"\w", sre.CATEGORY_DIGIT: r"\d"}
_IN_PARTS = {
    sre.NEGATE: lambda a: "^",
    sre.LITERAL: _esc,
    sre.RANGE: lambda a: f"{_esc(a[0])}-{_esc(a[1])}",
    sre.CATEGORY: _CATEGORIES.__getitem__,
}


def _unparse(items: Any) -> str:
    """Regex source for parsed items (the few node kinds ftfy's regexes use)."""
    out = []
    for op, av in items:
        if op is sre.LITERAL:
            out.append(_esc(av))
        elif op is sre.ANY:
            out.append(".")
        elif op is sre.AT and av is sre.AT_BEGINNING:
            out.append("^")
        elif op is sre.MAX_REPEAT:
            low, high, sub = av
            out.append(f"(?:{_unparse(sub)}){{{low},{'' if high is sre.MAXREPEAT else high}}}")
        elif op is sre.IN:
            out.append("[" + "".join(_IN_PARTS[o](a) for o, a in av) + "]")
        else:
            raise ValueError(f"unexpected regex node {op}")
    return "".join(out)


def _codes(op: Any, av: Any) -> set[int]:
    """The characters one parsed item can match, or an empty set if not a plain set."""
    if op is sre.LITERAL:
        return {av}
    if op is not sre.IN or any(o not in (sre.LITERAL, sre.RANGE) for o, _ in av):
        return set()
    return {c for o, a in av for c in ([a] if o is sre.LITERAL else range(a[0], a[1] + 1))}


def _anchored(pattern: re.Pattern[str], ascii_ok: bool = False) -> list[tuple[set[int], str, str]]:
    """Each branch of ``pattern`` as (anchor characters, lookbehind regex, rest regex).

    The anchor is the branch item that is a plain set of characters (non-ASCII ones unless
    ``ascii_ok``) with the fewest letters, then the fewest characters, then the fewest items
    dropped, then the rightmost: letters are what clean text is made of, so the regex engine
    stops on few of them. The single-character items just before it become lookbehind context;
    items before those (``\\s?``, ``^``) are dropped, which can only widen the match.
    """
    tree = sre_parse.parse(pattern.pattern, pattern.flags)
    branches = tree.data[0][1][1] if tree.data[0][0] is sre.BRANCH else [tree]
    out = []
    for branch in branches:
        items = list(branch)
        candidates = []
        for k, (op, av) in enumerate(items):
            codes = _codes(op, av)
            if codes and (ascii_ok or min(codes) >= 0x80):
                start = k
                while start > 0 and items[start - 1][0] in (sre.LITERAL, sre.IN, sre.ANY):
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
        codes |= _anchored(C1_CONTROL_RE)[0][0]
    if config.fix_latin_ligatures:
        codes |= set(LIGATURES)
    if config.fix_character_width:
        codes |= set(WIDTH_MAP)
    if config.uncurl_quotes:
        codes |= _anchored(SINGLE_QUOTE_RE)[0][0] | _anchored(DOUBLE_QUOTE_RE)[0][0]
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
        branches += _anchored(BADNESS_RE)
    if config.unescape_html:
        branches += _anchored(HTML_ENTITY_RE, ascii_ok=True)
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


# --- the repairs ----------------------------------------------------------------------------


def _diff(before: str, after: str) -> tuple[int, str, str]:
    """(offset, changed part of before, changed part of after): common ends trimmed."""
    i, j, n = 0, 0, min(len(before), len(after))
    while i < n and before[i] == after[i]:
        i += 1
    while j < n - i and before[-1 - j] == after[-1 - j]:
        j += 1
    return i, before[i : len(before) - j], after[i : len(after) - j]


def repair_mojibake(
    text: str, config: TextFixerConfig, gate: re.Pattern[str] | None = None
) -> tuple[str, list[Edit]]:
    """``ftfy.fix_text(text, config)`` with one Edit per changed segment, naming ftfy's plan.

    Segments are cut as fix_text cuts them (lines, at most max_decode_length characters), and
    "auto" HTML unescaping stops for good after the first "<", as in fix_text. With a gate,
    ftfy runs only on the segments it matches.

    >>> repair_mojibake("ok\\nsÃ³\\n", ftfy_config())
    ('ok\\nsó\\n', [Edit(rule='ftfy.encode:latin-1/decode:utf-8', before='Ã³', after='ó', start=4)])
    """
    first_lt = text.find("<") if config.unescape_html == "auto" else -1
    out: list[str] = []
    edits: list[Edit] = []
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos) + 1 or len(text)
        end = min(end, pos + config.max_decode_length)
        segment = text[pos:end]
        if gate is None or needs_ftfy(segment, config, gate):
            seg_config = config._replace(unescape_html=False) if 0 <= first_lt < end else config
            fixed, plan = fix_and_explain(segment, seg_config)
            if fixed != segment:
                rule = "ftfy." + "/".join(f"{action}:{param}" for action, param in plan or [])
                at, before, after = _diff(segment, fixed)
                edits.append(Edit(rule, before, after, pos + at))
                segment = fixed
        out.append(segment)
        pos = end
    return "".join(out), edits


def normalize_newlines(text: str) -> str:
    r"""CRLF and lone CR become LF.

    >>> normalize_newlines("a\r\nb\rc\n")
    'a\nb\nc\n'
    """
    return NEWLINE_RE.sub("\n", text)


def remove_control_chars(text: str) -> str:
    r"""Drop C0 control characters and DEL except TAB, LF and CR (C1 is ftfy's to repair).

    >>> remove_control_chars("a\x00b\tc\x1bd\x7fe\r\n")
    'ab\tcde\r\n'
    """
    return CONTROL_RE.sub("", text)


def normalize_spaces(text: str) -> str:
    r"""Space separators other than U+0020 (NBSP, thin, ideographic, ...) become U+0020.

    >>> normalize_spaces("10\u202f000\xa0km\u3000!\t")
    '10 000 km !\t'
    """
    return SPACE_RE.sub(" ", text)


def strip_trailing_whitespace(text: str) -> str:
    r"""Drop horizontal whitespace (spaces, tabs, NBSP, ...) at the end of every line.

    >>> strip_trailing_whitespace("a \t\nb\xa0\n  c  ")
    'a\nb\n  c'
    """
    return TRAILING_RE.sub("", text)


def blank_lines_re(max_blank_lines: int) -> re.Pattern[str]:
    """A regex for runs of more than ``max_blank_lines`` blank (or whitespace-only) lines."""
    return re.compile(rf"\n(?:{_HSPACE}*\n){{{max_blank_lines + 1},}}")


def collapse_blank_lines(text: str, max_blank_lines: int = 1) -> str:
    r"""Cut every run of more than ``max_blank_lines`` blank lines to that many.

    >>> collapse_blank_lines("a\n\n\n\nb\n\nc"), collapse_blank_lines("a\n\n\nb", 0)
    ('a\n\nb\n\nc', 'a\nb')
    """
    return blank_lines_re(max_blank_lines).sub("\n" * (max_blank_lines + 1), text)


def mojibake(text: str, encoding: str = "sloppy-windows-1252") -> str:
    """``text`` as UTF-8 bytes read in ``encoding``: what a browser shows for mislabelled pages.

    >>> mojibake("café “quoted”")
    'cafÃ© â€œquotedâ€\\x9d'
    """
    return text.encode("utf-8").decode(encoding)


def _substitute(
    pattern: re.Pattern[str], repl: str, text: str, rule: str, edits: list[Edit], offsets: bool
) -> str:
    """``pattern.sub(repl, text)``, recording one Edit per match."""
    parts, last = [], 0
    for m in pattern.finditer(text):
        parts += [text[last : m.start()], repl]
        edits.append(Edit(rule, m.group(), repl, m.start() if offsets else None))
        last = m.end()
    return "".join(parts) + text[last:] if parts else text


def _nfc(text: str, edits: list[Edit], offsets: bool) -> str:
    """NFC line by line (LF never composes), one Edit per changed line."""
    if unicodedata.is_normalized("NFC", text):
        return text
    lines = text.split("\n")
    pos = 0
    for i, line in enumerate(lines):
        fixed = unicodedata.normalize("NFC", line)
        if fixed != line:
            at, before, after = _diff(line, fixed)
            edits.append(Edit("unicode.nfc", before, after, pos + at if offsets else None))
            lines[i] = fixed
        pos += len(line) + 1
    return "\n".join(lines)


class FixEncoding(Stage):
    """Repair mojibake and normalise whitespace; see the module docstring for the options."""

    name = "fix_encoding"

    def __init__(
        self,
        *,
        ftfy: dict[str, Any] | None = None,
        gate: bool = True,
        newlines: bool = True,
        remove_controls: bool = True,
        spaces: str = "keep",
        nfc: bool = False,
        strip_trailing: bool = False,
        max_blank_lines: int | None = 1,
    ) -> None:
        if ftfy is not None and not isinstance(ftfy, dict):
            raise ConfigError(f"fix_encoding: ftfy must be a mapping of ftfy options or null, not {ftfy!r}")
        ftfy_config(ftfy)  # validates
        switches = dict(gate=gate, newlines=newlines, remove_controls=remove_controls, nfc=nfc)
        for key, value in {**switches, "strip_trailing": strip_trailing}.items():
            if type(value) is not bool:
                raise ConfigError(f"fix_encoding: {key} must be true or false, not {value!r}")
        if spaces not in SPACES:
            raise ConfigError(f"fix_encoding: spaces must be one of {', '.join(SPACES)}, not {spaces!r}")
        if max_blank_lines is not None and (type(max_blank_lines) is not int or max_blank_lines < 0):
            raise ConfigError(
                f"fix_encoding: max_blank_lines must be an integer >= 0 or null, not {max_blank_lines!r}"
            )
        self.ftfy = ftfy
        self.gate = gate
        self.newlines = newlines
        self.remove_controls = remove_controls
        self.spaces = spaces
        self.nfc = nfc
        self.strip_trailing = strip_trailing
        self.max_blank_lines = max_blank_lines

    def setup(self) -> None:
        self._ready()

    def _ready(self) -> tuple[Any, ...]:
        # After unpickling the underscore attributes are gone: rebuild them, once per worker.
        if getattr(self, "_state", None) is None:
            config = ftfy_config(self.ftfy)
            # `quick` also matches what the character rules act on: no match, no work but whitespace.
            extra = _anchored(NEWLINE_RE, ascii_ok=True)[0][0] if self.newlines else set()
            if self.remove_controls:
                extra |= _anchored(CONTROL_RE, ascii_ok=True)[0][0]
            if self.spaces == "ascii":
                extra |= {c for c in range(0x3001) if SPACE_RE.match(chr(c))}  # Zs ends at U+3000
            blanks = self.max_blank_lines
            self._state = (
                config,
                build_gate(config) if self.gate else None,
                build_gate(config, extra) if self.gate else None,
                "NFC" if self.nfc else config.normalization,
                blank_lines_re(blanks) if blanks is not None else None,
                "\n" * (blanks + 1) if blanks is not None else "",
            )
        return self._state

    def fix(self, text: str) -> tuple[str, list[Edit]]:
        """The stage's text and the edits that made it."""
        try:
            config, gate, quick, form, blank_re, blank_repl = self._state
        except AttributeError:
            config, gate, quick, form, blank_re, blank_repl = self._ready()
        edits: list[Edit] = []
        if (
            quick is None
            or quick.search(text)
            or len(text) > config.max_decode_length
            or (form and not unicodedata.is_normalized(form, text))
        ):
            text = self._fix_characters(text, edits, config, gate)
        if self.strip_trailing and (
            TRAILING_RE.match(text, len(text) - 1)
            or (("\n" in text or "\r" in text) and _SPACE_BEFORE_EOL.search(text))
        ):
            text = _substitute(TRAILING_RE, "", text, "whitespace.trailing", edits, not edits)
        if blank_re is not None and "\n" in text:
            text = _substitute(blank_re, blank_repl, text, "whitespace.blank_lines", edits, not edits)
        return text, edits

    def _fix_characters(
        self, text: str, edits: list[Edit], config: TextFixerConfig, gate: re.Pattern[str] | None
    ) -> str:
        if self.newlines and "\r" in text:
            text = _substitute(NEWLINE_RE, "\n", text, "whitespace.newlines", edits, not edits)
        for _ in range(3):  # rerun ftfy when a character rule exposed new mojibake (rare)
            if gate is None or needs_ftfy(text, config, gate) or len(text) > config.max_decode_length:
                text, fixed = repair_mojibake(text, config, gate)
                edits += fixed if not edits else [dataclasses.replace(e, start=None) for e in fixed]
            seen = len(edits)
            if self.remove_controls and CONTROL_RE.search(text):
                text = _substitute(CONTROL_RE, "", text, "control.removed", edits, not edits)
            if self.spaces == "ascii" and SPACE_RE.search(text):
                text = _substitute(SPACE_RE, " ", text, "whitespace.spaces", edits, not edits)
            if self.nfc:
                text = _nfc(text, edits, not edits)
            if len(edits) == seen:
                break
        return text

    def apply(self, doc: Document) -> Outcome:
        text, edits = self.fix(doc.text)
        if not edits:
            return Outcome(doc)
        counts: dict[str, int] = {}
        for edit in edits:
            counts[edit.rule] = counts.get(edit.rule, 0) + 1
        return Outcome(dataclasses.replace(doc, text=text), edits=edits, counts=counts)
