"""Social-media handles (@ZMnatsakanyan): recognise them, then keep, mask, strip or resolve them.

``normalize_handles(text, mode=...) -> (text, edits)`` is the whole job as a pure function;
``corpus.stages.handles`` wraps it as the ``normalize_handles`` stage.

Recognition (``find_handles``) follows twitter-text's mention rules, widened to the shapes
of other platforms. The deliberate decisions (also listed in scripts/eval/handles.py):

- Before the '@' (twitter-text): start of text or any character except an ASCII letter or
  digit and ``_ ! # $ % & * @ ＠``; also "RT"/"RT:" in any case when not glued to a word.
  The full-width '＠' (U+FF20) counts as '@'.
- The name is ``[A-Za-z0-9_]``; dots may join parts (Instagram/Threads ``@olga.photo``) when
  the character after the dot is lowercase, a digit or "_" (Instagram names are lowercase,
  so "@user.The" is a handle and a missing space), never a trailing dot.
- Length 1..``max_length`` (default 32, Telegram's maximum; Instagram allows 30, X 15). A
  longer run is not a mention at all: it is left whole, never cut to a prefix.
- Rejected when followed by '@', a Latin accented letter or "://" (twitter-text), except the
  fediverse form ``@user@instance.social``, which is one handle.
- Never a handle: e-mail addresses; anything inside a URL (scheme://, www., mailto: or a bare
  domain with a path such as medium.com/@user); '@' + a domain (@kernel.org, @frau-x.de: a
  mangled address or mail-server syntax); lowercase CSS at-rules (@media, @font-face, ...);
  Python decorators (line-start ``@name`` lines, also after a ``>>>`` prompt, ending in
  def/class; ``@name(`` at line start; ``@dotted.name(`` anywhere); "@" meaning "at" before
  prices, times and rates (@3.99, @10:30, @5pm, @21h46, @5%); names of only "_" (Perl's @_).
- The mask token itself ("@USER") is a placeholder, not a handle, so masking is idempotent.

Resolving a handle to a name written in the same text is ``corpus.text.handle_names``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from corpus.document import Edit
from corpus.errors import ConfigError
from corpus.text.handle_names import Run, name_for_handle, name_runs

MODES = ("keep", "mask", "strip", "resolve")
FALLBACKS = ("keep", "mask", "strip")

_AT_SIGNS = "@＠"
_LATIN_ACCENTS = (
    "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b"
    "\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_MENTION_RE = re.compile(
    # '@' first so the regex engine can skip ahead to it; then twitter-text's rule for the
    # character before it (the lookbehinds include the '@' itself).
    r"[@＠](?:(?<![A-Za-z0-9_!#$%&*@＠].)"
    r"|(?<=(?<![A-Za-z0-9_+~.\-@＠])[Rr][Tt].)|(?<=(?<![A-Za-z0-9_+~.\-@＠])[Rr][Tt]:.))"
    r"(?P<name>[A-Za-z0-9_]+(?:\.(?=[a-z0-9_])[A-Za-z0-9_]+)*)"
    rf"(?:[@＠](?P<host>(?:{_LABEL}\.)+[A-Za-z]{{2,}})(?![\w-]))?"
)
_BAD_FOLLOWER_RE = re.compile(rf"[@＠{_LATIN_ACCENTS}]|://")
_NUMERIC_RE = re.compile(  # prices, times (5pm, 10:30, 21h46), percentages
    r"\d+(?:[.,:]\d+)+|\d{1,2}(?:[:.]\d\d)?\s?[AaPp]\.?[Mm]\b|\d{1,2}h(?:\d\d)?\b|\d+(?:[.,]\d+)*\s?%"
)
_CSS_AT_RULE_RE = re.compile(
    r"(?:-(?:webkit|moz|ms|o)-)?(?:charset|import|namespace|media|supports|document|page|font-face"
    r"|keyframes|viewport|counter-style|font-feature-values|font-palette-values|layer|container"
    r"|property|scope|starting-style|position-try|view-transition|tailwind|apply)(?![\w-])"
)
_INDENT = r"[ \t]*(?:(?:>>>|\.\.\.)[ \t]+)?"  # indentation, or a doctest/REPL prompt
_INDENT_RE = re.compile(_INDENT)
_DECORATOR_LINE_RE = re.compile(_INDENT + r"[@＠][A-Za-z_][\w.]*(?:\(.*\))?[ \t]*(?:#.*)?")
_DEF_RE = re.compile(_INDENT + r"(?:async[ \t]+)?(?:def|class)[ \t]+[A-Za-z_]\w*")
_DECORATOR_INLINE_DEF_RE = re.compile(
    _INDENT + r"[@＠][A-Za-z_][\w.]*(?:\([^\n]*?\))?[ \t]+"
    r"(?:async[ \t]+)?(?:def|class)[ \t]+[A-Za-z_]\w*[ \t]*[(:]"
)
# '@' + a host name ending in a common top-level domain is a domain ('@kernel.org' left by a
# mangled address, '@example.com' in mail-server syntax), not a handle.
_DOMAIN_RE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.(?:[a-z]{2}|com|org|net|edu|gov|mil|int|info|biz)(?![\w-])"
)
_DOTTED_CALL_RE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\(")
_URL_RE = re.compile(
    r"(?i)(?:\b[a-z][a-z0-9+.-]*://|\bwww\.|\bmailto:)[^\s<>\"]+"
    rf"|(?<![\w@＠.-])(?:{_LABEL}\.)+[a-z]{{2,}}/[^\s<>\"]*"
)
_EMAIL_RE = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~@＠-])[\w.!#$%&'*+/=?^`{|}~-]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}"
)
_NONSPACE_RE = re.compile(r"\S*")
_MAX_TOKEN = 2048  # how far back a URL or e-mail token is looked for


class Handle(NamedTuple):
    """One recognised handle: its span in the text and the name without '@'."""

    start: int
    end: int
    name: str  # 'ZMnatsakanyan', or 'user@mastodon.social' for a fediverse handle


def _protected(text: str, start: int, end: int) -> bool:
    """True when the candidate at [start, end) is part of an e-mail, URL, CSS or Python code."""
    lo = start
    floor = max(0, start - _MAX_TOKEN)
    while lo > floor and not text[lo - 1].isspace():
        lo -= 1
    hi = _NONSPACE_RE.match(text, end).end()
    for rx in (_URL_RE, _EMAIL_RE):
        for m in rx.finditer(text, lo, hi):
            if m.start() < end and start < m.end():
                return True
    if _CSS_AT_RULE_RE.match(text, start + 1) or _DOTTED_CALL_RE.match(text, start + 1):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    if _INDENT_RE.match(text, line_start).end() != start:
        return False
    return text[end : end + 1] == "(" or _is_decorator(text, line_start)


def _is_decorator(text: str, line_start: int) -> bool:
    """A line-start '@name' that begins a run of decorator lines ending in def/class."""
    if _DECORATOR_INLINE_DEF_RE.match(text, line_start):
        return True
    pos = line_start
    while True:
        m = _DECORATOR_LINE_RE.match(text, pos)
        if not m or (m.end() < len(text) and text[m.end()] != "\n"):
            return _DEF_RE.match(text, pos) is not None and pos != line_start
        pos = m.end() + 1
        if pos > len(text):
            return False


def find_handles(text: str, *, max_length: int = 32, placeholder: str = "@USER") -> list[Handle]:
    """The handles in ``text``, in order (see the module docstring for the rules).

    >>> [h.name for h in find_handles("RT @ZMnatsakanyan: cc @bayramov_jeyhun, mail a@b.com")]
    ['ZMnatsakanyan', 'bayramov_jeyhun']
    >>> [h.name for h in find_handles("@olga.photo and @Gargron@mastodon.social @ 5pm @3.99")]
    ['olga.photo', 'Gargron@mastodon.social']
    """
    if "@" not in text and "＠" not in text:
        return []
    found = []
    for m in _MENTION_RE.finditer(text):
        name, start, end = m.group("name"), m.start(), m.end()
        if len(name) > max_length or text[start:end] == placeholder or not name.strip("_."):
            continue
        if ("." in name or text[end : end + 1] in (".", "-")) and _DOMAIN_RE.match(text, start + 1):
            continue
        if _BAD_FOLLOWER_RE.match(text, end):
            continue
        if name[0].isdigit() and _NUMERIC_RE.match(text, start + 1):
            continue
        if _protected(text, start, end):
            continue
        if m.group("host"):
            name = f"{name}@{m.group('host')}"
        found.append(Handle(start, end, name))
    return found


# --- rewriting ---------------------------------------------------------------------------------


def normalise_mapping(mapping: Mapping[str, Any], where: str = "mapping") -> dict[str, str]:
    """The user's handle -> name mapping as looked up: keys without '@', case-folded.

    >>> normalise_mapping({"@POTUS": " the President "})
    {'potus': 'the President'}
    """
    out = {}
    for key, value in mapping.items():
        if not isinstance(key, str) or not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: entry {key!r} -> {value!r}; expected handle -> name (strings)")
        out[key.lstrip(_AT_SIGNS).casefold()] = value.strip()
    return out


def normalize_handles(
    text: str,
    *,
    mode: str = "mask",
    mask_token: str = "@USER",
    mapping: Mapping[str, str] | None = None,
    fallback: str = "mask",
    max_length: int = 32,
) -> tuple[str, list[Edit]]:
    """The text with every handle kept, masked, stripped or resolved per ``mode``, and the edits.

    The sample article (data/sample) quotes a tweet naming two ministers, and names them later:

    >>> from pathlib import Path
    >>> sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    >>> article = (sample / "pompeo-nagorno-karabakh.txt").read_text(encoding="utf-8")
    >>> text, edits = normalize_handles(article, mode="resolve")
    >>> for edit in edits:
    ...     print(edit.describe())
    [handle.resolve] @610 '@ZMnatsakanyan' -> 'Zohrab Mnatsakanyan'
    [handle.resolve] @658 '@bayramov_jeyhun' -> 'Jeyhun Bayramov'
    >>> [edit.after for edit in normalize_handles(article)[1]]
    ['@USER', '@USER']
    >>> normalize_handles("RT @ZMnatsakanyan: thanks", mode="strip")[0]
    'RT ZMnatsakanyan: thanks'
    """
    rewrite = HandleRewriter(
        mode=mode, mask_token=mask_token, mapping=mapping, fallback=fallback, max_length=max_length
    )
    return rewrite(text)[:2]


def rewrite_handles(
    text: str,
    mode: str = "mask",
    *,
    mask_token: str = "@USER",
    mapping: Mapping[str, str] | None = None,
    fallback: str = "mask",
    max_length: int = 32,
) -> tuple[str, list[Edit], dict[str, int]]:
    """``normalize_handles`` plus the counts a stage records (handles found and resolved).

    >>> text, edits, counts = rewrite_handles("cc @bayramov_jeyhun. Jeyhun Bayramov said", "resolve")
    >>> text
    'cc Jeyhun Bayramov. Jeyhun Bayramov said'
    >>> print(edits[0].describe())
    [handle.resolve] @3 '@bayramov_jeyhun' -> 'Jeyhun Bayramov'
    >>> counts
    {'handles.found': 1, 'handles.resolved': 1}
    """
    rewrite = HandleRewriter(
        mode=mode, mask_token=mask_token, mapping=mapping, fallback=fallback, max_length=max_length
    )
    return rewrite(text)


class HandleRewriter:
    """``rewrite_handles`` with its options fixed and the mapping normalised once."""

    def __init__(
        self,
        *,
        mode: str = "mask",
        mask_token: str = "@USER",
        mapping: Mapping[str, str] | None = None,
        fallback: str = "mask",
        max_length: int = 32,
    ) -> None:
        self.mode, self.mask_token, self.fallback, self.max_length = mode, mask_token, fallback, max_length
        self.lookup = normalise_mapping(mapping) if mapping else {}

    def __call__(self, text: str) -> tuple[str, list[Edit], dict[str, int]]:
        return _rewrite(text, self.mode, self.mask_token, self.lookup, self.fallback, self.max_length)


def _rewrite(
    text: str, mode: str, mask_token: str, lookup: dict[str, str], fallback: str, max_length: int
) -> tuple[str, list[Edit], dict[str, int]]:
    handles = find_handles(text, max_length=max_length, placeholder=mask_token)
    counts = {"handles.found": len(handles)}
    if mode == "resolve":
        counts["handles.resolved"] = 0
    if not handles or mode == "keep":
        return text, [], counts
    pieces, edits, last = [], [], 0
    runs: list[Run] | None = None
    for h in handles:
        before = text[h.start : h.end]
        how = mode
        if mode == "resolve":
            after = lookup.get(h.name.casefold())
            if not after:
                runs = name_runs(text) if runs is None else runs
                after = name_for_handle(h.name, text, runs)
            how = "resolve" if after else fallback
            counts["handles.resolved"] += how == "resolve"
        if how == "keep":
            continue
        if how == "mask":
            after = mask_token
        elif how == "strip":  # 'RT@name' -> 'RT name', not 'RTname'
            after = (" " if h.start and text[h.start - 1].isalnum() else "") + before[1:]
        pieces += [text[last : h.start], after]
        edits.append(Edit(f"handle.{how}", before, after, h.start))
        last = h.end
    pieces.append(text[last:])
    return "".join(pieces), edits, counts


def mask_handles(text: str, token: str = "@USER") -> str:
    """Replace every handle with ``token``.

    >>> mask_handles("Thanks @jrmy! Write to jrmy@example.com or see https://medium.com/@jrmy/x")
    'Thanks @USER! Write to jrmy@example.com or see https://medium.com/@jrmy/x'
    """
    return rewrite_handles(text, "mask", mask_token=token)[0]


def strip_handles(text: str) -> str:
    """Drop the '@' of every handle, keeping the name (a glued 'RT@' gets a space).

    >>> strip_handles("— The Nigerian Senate (@NGRSenate) October 9, 2018")
    '— The Nigerian Senate (NGRSenate) October 9, 2018'
    >>> strip_handles("RT@username: hi")
    'RT username: hi'
    """
    return rewrite_handles(text, "strip")[0]


def resolve_handles(text: str, mapping: Mapping[str, str] | None = None, fallback: str = "mask") -> str:
    """Replace handles with a name from ``mapping`` or from the text itself, else ``fallback``.

    >>> resolve_handles("@ZMnatsakanyan and @potus met", {"@POTUS": "the President"})
    '@USER and the President met'
    """
    return rewrite_handles(text, "resolve", mapping=mapping, fallback=fallback)[0]
