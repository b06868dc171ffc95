"""Repair mojibake with ftfy, then tidy line breaks, controls and spaces: ``text -> (text, edits)``.

Steps, in order; each one is an option of ``fix_encoding`` and names the rule it records:

1. ``newlines`` (on): CRLF and lone CR become LF (``whitespace.newlines``).
2. ``ftfy`` (dict, see ``corpus.text.ftfy_gate``): ftfy's ``fix_text``, line by line exactly as
   ftfy segments it; rule ``ftfy.<plan>``, e.g. ``ftfy.encode:sloppy-windows-1252/decode:utf-8``
   (replayable with ``ftfy.apply_plan``).
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

Steps 2-5 run again (at most twice) if 3-5 changed something, so the result is idempotent.
``gate=False`` runs ftfy on every line instead of only the lines the gate matches (same output).
A second regex, the gate plus the characters of steps 1 and 3-4, skips steps 1-5 for a whole
clean document. An edit's ``start`` is an offset into the input only while no earlier edit
has changed the text; later ones have ``start=None``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows-* codecs)
from ftfy import TextFixerConfig, fix_and_explain

from corpus.document import Edit
from corpus.text.ftfy_gate import FTFY_COSMETIC, FTFY_DEFAULTS, anchored, build_gate, ftfy_config, needs_ftfy

__all__ = [
    "FTFY_COSMETIC",
    "FTFY_DEFAULTS",
    "SPACES",
    "EncodingFixer",
    "fix_encoding",
    "mojibake",
    "repair_mojibake",
]

SPACES = ("keep", "ascii")
# Horizontal whitespace: what str.isspace() calls space, minus line breaks and C0 separators.
_HSPACE = r"[^\S\n\r\x0b\x0c\x1c-\x1f\x85\u2028\u2029]"
NEWLINE_RE = re.compile(r"\r\n?")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SPACE_RE = re.compile(r"[^\S \t\n\r\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")
TRAILING_RE = re.compile(_HSPACE + r"+(?=[\r\n]|\Z)")
_SPACE_BEFORE_EOL = re.compile(rf"[\r\n](?<={_HSPACE}[\r\n])")  # scans line ends only: fast


def fix_encoding(
    text: str,
    *,
    ftfy: Mapping[str, Any] | None = None,
    gate: bool = True,
    newlines: bool = True,
    remove_controls: bool = True,
    spaces: str = "keep",
    nfc: bool = False,
    strip_trailing: bool = False,
    max_blank_lines: int | None = 1,
) -> tuple[str, list[Edit]]:
    """The repaired text and the edits that made it (see the module docstring for the steps).

    The sample article's mojibake copy (data/sample) comes back as the article, byte for byte:

    >>> from pathlib import Path
    >>> sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    >>> broken = (sample / "pompeo-variant-1-mojibake.txt").read_text(encoding="utf-8")
    >>> text, edits = fix_encoding(broken)
    >>> text == (sample / "pompeo-nagorno-karabakh.txt").read_text(encoding="utf-8")
    True
    >>> print(edits[2].describe())
    [ftfy.encode:sloppy-windows-1252/decode:utf-8] @559 'â€œ' -> '“'

    One of its lines, with CRLF and a trailing NBSP:

    >>> text, edits = fix_encoding("President Trumpâ€™s administration\\xa0\\r\\n", strip_trailing=True)
    >>> text
    'President Trump’s administration\\n'
    >>> for edit in edits:
    ...     print(edit.describe())
    [whitespace.newlines] @35 '\\r\\n' -> '\\n'
    [ftfy.apply:decode_inconsistent_utf8] 'â€™' -> '’'
    [whitespace.trailing] removed '\\xa0'
    """
    flags = (gate, newlines, remove_controls, spaces, nfc, strip_trailing, max_blank_lines)
    try:
        fixer = _fixer(tuple(sorted((ftfy or {}).items())), *flags)
    except TypeError:  # an unhashable value: not a valid option either, EncodingFixer says why
        fixer = EncodingFixer(ftfy=ftfy, **dict(zip(_FLAGS, flags, strict=True)))
    return fixer(text)


_FLAGS = ("gate", "newlines", "remove_controls", "spaces", "nfc", "strip_trailing", "max_blank_lines")


@functools.lru_cache(maxsize=32)
def _fixer(ftfy: tuple[tuple[str, Any], ...], *flags: Any) -> EncodingFixer:
    """Building the gate takes ~70 ms: one fixer per distinct set of options."""
    return EncodingFixer(ftfy=dict(ftfy), **dict(zip(_FLAGS, flags, strict=True)))


class EncodingFixer:
    """``fix_encoding`` with its options compiled once (ftfy config, gates, blank-line regex).

    >>> text, edits = EncodingFixer(nfc=True)("Cafe\\u0301\\n\\n\\n")
    >>> text, [edit.rule for edit in edits]
    ('Café\\n\\n', ['unicode.nfc', 'whitespace.blank_lines'])
    """

    def __init__(
        self,
        *,
        ftfy: Mapping[str, Any] | None = None,
        gate: bool = True,
        newlines: bool = True,
        remove_controls: bool = True,
        spaces: str = "keep",
        nfc: bool = False,
        strip_trailing: bool = False,
        max_blank_lines: int | None = 1,
    ) -> None:
        self.config = config = ftfy_config(ftfy)
        self.newlines, self.remove_controls, self.nfc = newlines, remove_controls, nfc
        self.ascii_spaces = spaces == "ascii"
        self.strip_trailing = strip_trailing
        # `quick` also matches what the character rules act on: no match, no work but whitespace.
        extra = anchored(NEWLINE_RE, ascii_ok=True)[0][0] if newlines else set()
        if remove_controls:
            extra |= anchored(CONTROL_RE, ascii_ok=True)[0][0]
        if self.ascii_spaces:
            extra |= {c for c in range(0x3001) if SPACE_RE.match(chr(c))}  # Zs ends at U+3000
        self.gate = build_gate(config) if gate else None
        self.quick = build_gate(config, extra) if gate else None
        self.form = "NFC" if nfc else config.normalization
        self.blank_re = blank_lines_re(max_blank_lines) if max_blank_lines is not None else None
        self.blank_repl = "\n" * (max_blank_lines + 1) if max_blank_lines is not None else ""

    def __call__(self, text: str) -> tuple[str, list[Edit]]:
        config, quick = self.config, self.quick
        edits: list[Edit] = []
        if (
            quick is None
            or quick.search(text)
            or len(text) > config.max_decode_length
            or (self.form and not unicodedata.is_normalized(self.form, text))
        ):
            text = self._fix_characters(text, edits)
        if self.strip_trailing and (
            TRAILING_RE.match(text, len(text) - 1)
            or (("\n" in text or "\r" in text) and _SPACE_BEFORE_EOL.search(text))
        ):
            text = _substitute(TRAILING_RE, "", text, "whitespace.trailing", edits, not edits)
        if self.blank_re is not None and "\n" in text:
            text = _substitute(
                self.blank_re, self.blank_repl, text, "whitespace.blank_lines", edits, not edits
            )
        return text, edits

    def _fix_characters(self, text: str, edits: list[Edit]) -> str:
        config, gate = self.config, self.gate
        if self.newlines and "\r" in text:
            text = _substitute(NEWLINE_RE, "\n", text, "whitespace.newlines", edits, not edits)
        for _ in range(3):  # rerun ftfy when a character rule exposed new mojibake (rare)
            if gate is None or needs_ftfy(text, config, gate) or len(text) > config.max_decode_length:
                text, fixed = repair_mojibake(text, config, gate)
                edits += fixed if not edits else [dataclasses.replace(e, start=None) for e in fixed]
            seen = len(edits)
            if self.remove_controls and CONTROL_RE.search(text):
                text = _substitute(CONTROL_RE, "", text, "control.removed", edits, not edits)
            if self.ascii_spaces and SPACE_RE.search(text):
                text = _substitute(SPACE_RE, " ", text, "whitespace.spaces", edits, not edits)
            if self.nfc:
                text = _nfc(text, edits, not edits)
            if len(edits) == seen:
                break
        return text


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


def blank_lines_re(max_blank_lines: int) -> re.Pattern[str]:
    """A regex for runs of more than ``max_blank_lines`` blank (or whitespace-only) lines."""
    return re.compile(rf"\n(?:{_HSPACE}*\n){{{max_blank_lines + 1},}}")


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


# --- the single rules, one by one (the fixer above applies them with edits) -----------------


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


def collapse_blank_lines(text: str, max_blank_lines: int = 1) -> str:
    r"""Cut every run of more than ``max_blank_lines`` blank lines to that many.

    >>> collapse_blank_lines("a\n\n\n\nb\n\nc"), collapse_blank_lines("a\n\n\nb", 0)
    ('a\n\nb\n\nc', 'a\nb')
    """
    return blank_lines_re(max_blank_lines).sub("\n" * (max_blank_lines + 1), text)
