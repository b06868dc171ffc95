"""The technical guard of ``strip_boilerplate``: content is sacred, in manuals and code above all.

Furniture words occur in technical text as content: "Also read the object names to remove notes"
(an option description), ``cookie->offset += size;``, ``$ gcloud auth login``, "follow symbolic
links", SEE ALSO. Two levels keep them:

- ``code_like`` (``CODE_LIKE``): a line that reads as code, a flag, a path or a section number is
  never furniture. It is part of every rule (``reference.rule_of`` and ``fast.classify`` apply it).
- ``protect``: after the rules have marked a document's lines, it gives back the lines a rule
  marked but that are code, shell prompts, command-line options and their descriptions, or
  headings of reference documentation (man-page SEE ALSO, VOIR AUSSI, "14.1 Defining ...").
  In a document that reads as technical as a whole (``technical_score``: the share of lines that
  are indented, code, options, identifiers, man headings) only precise furniture (``PRECISE``: a
  whole cookie-consent sentence, a share or follow bar) may still go.

Copyright notices are their own rule class (``copyright``, switched by the stage's ``rules``
option) and are left to it.
"""

from __future__ import annotations

import re

# Lines that read as code, command lines or numbered section titles are never page furniture,
# whatever words they hold: "struct fscache_cookie *cookie", "--membership=MEMBERSHIP",
# "/usr/share", "14.1. Defining a Security Policy" (man pages and documentation).
CODE_LIKE = re.compile(
    r"(?:^|\s)--\w"  # a command-line flag
    r"|\w \*\w"  # a C pointer declaration
    r"|(?<![:/\w.])/\w+/"  # a file path (not inside a URL)
    r"|[{}]|\w\(\d?\)"  # braces, a call or a man-page reference: f(), login.defs(5)
    r"|^\s*\d+(?:\.\d+)+\.\s+\S"  # a numbered section title: "14.1. Defining a Security Policy"
)

# Code, prompts, options and numbered titles that ``CODE_LIKE`` leaves to ``protect``.
CODE = re.compile(
    r"\w->\w|\w::\w|;\s*$"  # a member access, a scope, a statement end
    r"|\w\s*(?:[-+*/%|&^]|<<|>>)?=\s*[\w\"'(\[$-]"  # an assignment: "size = 4", "x += size"
    r"|^\s*(?://|/\*|\*/|#!|#include\b|>>>|\.\.\s+\w+::)"  # comments, doctests, directives
    r"|^\s*@[a-z_][\w.]*\s*(?:\(.*)?$"  # a decorator
)
PROMPT = re.compile(r"^\s*(?:[\w.-]+@[\w.-]+[:~]\S*)?[$#>%]\s+[a-z][\w.+/-]*(?:\s|$)")
OPTION = re.compile(r"^\s*(?:--[a-z0-9][\w-]*|-[A-Za-z0-9?]{1,2}|\+[A-Za-z])(?=[\s=,\[]|$)")
SECTION = re.compile(r"^\s*\d+(?:\.\d+)+\.?\s+[^\W\d_]")  # "14.1 Defining ...", "3.2. Options"
IDENTIFIER = re.compile(
    r"\w\(\)|\b[a-z]+_[a-z_]+\b|\b[a-z]+[A-Z][a-z]\w*|</?[a-z]+>|\$\w"
    r"|\b\w+\.(?:c|h|py|pl|conf|cfg|ini|xml|xhp|html|txt|sh|so|d)\b"
)
# Man-page section headings that go by furniture words, in the languages of Debian's manuals.
REFERENCE_HEADINGS = frozenset(
    "see also|voir aussi|siehe auch|véase también|vea también|veja também|ver também|vedere anche|"
    "vedi anche|zie ook|zobacz także|смотрите также|см. также|se även|se også|katso myös|"
    "lásd még|viz také|bkz.|参见|参照|関連項目".split("|")
)
_LETTERS = re.compile(r"[^\W\d_]")
# Web-page placeholders that read as code but are not: "{{ title }}", "{M}eta", "--select--".
_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}|\{[\w .^#/]*\}|--\w+--")
_CODE_LEADS = frozenset("/*#>@")  # what CODE's line-start branches open with, after the indent
CONTEXT_LINES = 5  # non-blank lines on each side that ``in_technical_context`` reads
CONTEXT_MIN = 2  # ... of which this many must be code, options or prompts

# Furniture so precise that it goes even in a technical document: a whole consent sentence,
# a share / follow bar.
_NETWORKS = r"facebook|twitter|linkedin|pinterest|reddit|whatsapp|telegram|tumblr|instagram|youtube|e-?mail"
PRECISE = re.compile(
    r"(?:this|our) (?:web)?site uses cookies|we use cookies|uses? cookies to|cookies? (?:policy|settings)"
    r"|(?:by (?:continuing|using)|if you continue).{0,60}(?:cookies|agree|accept)"
    r"|\b(?:share|tweet|teilen|partager|compartir|compartilhar|condividi)\b.{0,40}\b(?:" + _NETWORKS + r")\b"
    r"|\b(?:follow|like) us\b|^(?:" + _NETWORKS + r")(?:\s*[|•·,/]\s*(?:" + _NETWORKS + r"|tweet|share))+$"
    r"|(?:sign up|subscribe) (?:for|to) (?:our|the) newsletter"
    r"|^(?:share|follow|add a comment)(?: \|.*)?$"  # the buttons under a Q&A post
)

TECHNICAL_SHARE = 0.3  # a document whose share of technical lines reaches this reads as technical
INDENTED_SHARE = 0.15  # ... if this share of its lines is indented
MIN_TECHNICAL_LINES = 3  # ... and it holds at least this many technical lines
SCORE_LINES = 200  # technical_score reads at most about this many lines of a document, evenly spaced


def code_like(line: str) -> bool:
    """``CODE_LIKE.search(line)``, skipped when ``line`` lacks the characters every branch needs.

    Each branch needs "--", " *", "/", a brace or "(", or (the section title) a decimal digit
    after the leading whitespace; most lines have none, and ``in`` tests are far cheaper.

    >>> code_like("struct fscache_cookie *cookie"), code_like("Sign up for our newsletter")
    (True, False)
    """
    if "--" in line or " *" in line or "/" in line or "{" in line or "}" in line or "(" in line:
        return CODE_LIKE.search(line) is not None
    return line.lstrip()[:1].isdecimal() and CODE_LIKE.search(line) is not None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _caps(line: str) -> bool:
    """An ALL-CAPS heading at column 0: "SEE ALSO", "VÉASE TAMBIÉN", "СМОТРИТЕ ТАКЖЕ"."""
    return (
        line[:1] not in (" ", "\t", "")
        and line.upper() == line
        and len(line) <= 40
        and len(_LETTERS.findall(line)) >= 2
        and line.lower() != line
    )


def is_code(line: str) -> bool:
    """Code, a shell prompt or a command-line option (the line alone says it).

    >>> [is_code(x) for x in ["cookie->offset += size;", "$ gcloud auth login", "--stdin", "-r, --remove"]]
    [True, True, True, True]
    >>> [is_code(x) for x in ["Share on Facebook", "Read more ->", "-Login", "@Follow me", "8 comments"]]
    [False, False, False, False, False]
    """
    return bool(code_like(line) or _code(line) or PROMPT.match(line) or OPTION.match(line))


def _code(line: str) -> bool:
    """``CODE.search(line)``, skipped when ``line`` lacks what every branch needs: "=", "->",
    "::" or ";" somewhere, or a comment, directive, doctest or decorator mark after the indent."""
    if "=" in line or ";" in line or "->" in line or "::" in line or line.lstrip()[:1] in _CODE_LEADS:
        return CODE.search(line) is not None
    return False


def _near(lines: list[str], i: int, step: int, n: int) -> list[str]:
    """Up to ``n`` non-blank lines from ``lines[i + step]`` on, going by ``step``."""
    out: list[str] = []
    j = i + step
    while 0 <= j < len(lines) and len(out) < n:
        if lines[j].strip():
            out.append(lines[j])
        j += step
    return out


def is_heading(lines: list[str], i: int) -> bool:
    """Whether ``lines[i]`` is a heading of reference documentation: a numbered section title, or
    an ALL-CAPS heading at column 0 with indented text or code (``git(1)``) under it.

    >>> is_heading(["SEE ALSO", "       git-notes(1)"], 0), is_heading(["VOIR AUSSI", "ls(1), cp(1)"], 0)
    (True, True)
    >>> is_heading(["14.1 Defining a Security Policy"], 0), is_heading(["RELATED STORIES", "A title"], 0)
    (True, False)
    """
    line = lines[i]
    if SECTION.match(line):
        return True
    if not _caps(line):
        return False
    nxt = _near(lines, i, 1, 1)
    return bool(nxt) and (_indent(nxt[0]) >= 3 or is_code(nxt[0]))


def is_technical_line(lines: list[str], i: int) -> bool:
    """Code, a prompt, an option, a reference heading, or the description of an option (an
    indented line under a less indented option line).

    >>> lines = ["       -r, --remove", "           Also read the object names to remove notes."]
    >>> is_technical_line(lines, 1), is_technical_line(["follow symbolic links"], 0)
    (True, False)
    """
    line = lines[i]
    if is_code(line) or is_heading(lines, i):
        return True
    depth = _indent(line)
    if depth == 0:
        return False
    for j in range(i - 1, max(-1, i - 30), -1):  # the definition this line describes
        prev = lines[j]
        if prev.strip() and _indent(prev) < depth:
            return OPTION.match(prev) is not None
    return False


def in_technical_context(lines: list[str], i: int) -> bool:
    """Whether at least ``CONTEXT_MIN`` of the ``CONTEXT_LINES`` non-blank lines on either side
    of ``lines[i]`` are code, options or prompts: "Members" under a C struct, "See also" over
    ``git-diff(1) -b, -w``.

    >>> struct = ["struct fw_cdev_event_common {", "__u64 closure;", "};", "", "Members", "closure"]
    >>> in_technical_context(struct, 4), in_technical_context(["Body.", "Members", "Text."], 1)
    (True, False)
    """
    return _in_context(lines, i, {})


def _in_context(lines: list[str], i: int, seen: dict[int, bool]) -> bool:
    """``in_technical_context``, with ``seen`` ({line index: code?}) shared by the lines of one
    document (neighbouring furniture lines read the same neighbours); stops at ``CONTEXT_MIN``."""
    found = 0
    for step in (-1, 1):
        j, taken = i + step, 0
        while 0 <= j < len(lines) and taken < CONTEXT_LINES:
            x = lines[j]
            if x.strip():
                taken += 1
                code = seen.get(j)
                if code is None:
                    code = seen[j] = is_code(_TEMPLATE.sub("", x) if "{" in x or "--" in x else x)
                if code:
                    found += 1
                    if found >= CONTEXT_MIN:
                        return True
            j += step
    return False


def technical_score(lines: list[str]) -> tuple[int, int]:
    """(technical lines, non-blank lines): indented lines, code, options, prompts, identifiers
    (``f()``, ``snake_case``, ``file.conf``) and ALL-CAPS headings at column 0.

    >>> technical_score(["NAME", "       ls - list directory contents", "", "Share on Facebook"])
    (2, 3)
    """
    tech = total = 0
    for line in lines:
        if not line.strip():
            continue
        total += 1
        if line[:1] in (" ", "\t") or is_code(line) or IDENTIFIER.search(line) or _caps(line):
            tech += 1
    return tech, total


def is_technical(lines: list[str]) -> bool:
    """Whether the document reads as technical as a whole: at least ``TECHNICAL_SHARE`` of its
    lines technical (``technical_score``), ``INDENTED_SHARE`` of them indented, as manual pages,
    READMEs and code are (extracted web text is not indented).

    >>> is_technical(["NAME", "       ls - list", "SYNOPSIS", "       ls [OPTION]... [FILE]..."])
    True
    >>> is_technical(["Peace talks resumed.", "Sign up for our newsletter"])
    False
    """
    indented = total = 0
    for line in lines:
        if line.strip():
            total += 1
            indented += line[:1] in (" ", "\t")
    if indented < INDENTED_SHARE * total:  # extracted web text is not indented: done, cheaply
        return False
    step = max(1, len(lines) // SCORE_LINES)  # a long document: score an even sample of its lines
    tech, sampled = technical_score(lines[::step])
    return tech >= MIN_TECHNICAL_LINES and tech >= TECHNICAL_SHARE * sampled


def protect(lines: list[str], drop: dict[int, str]) -> dict[int, str]:
    """``drop`` ({line index: rule}) without the lines the technical guard keeps.

    Copyright removals are left to the ``copyright`` rule class. Called only with a non-empty
    ``drop``, so the whole document may be read.

    >>> man = ["NAME", "       git-notes - add or inspect object notes", "", "OPTIONS",
    ...        "       --stdin", "           Also read the object names to remove notes from stdin.",
    ...        "", "SEE ALSO", "       git(1)", "", "Share on Facebook | Tweet"]
    >>> protect(man, {5: "related.en", 7: "related.en", 10: "share.en"})
    {10: 'share.en'}
    >>> protect(["Body text.", "Sign up for our newsletter"], {1: "newsletter.en"})
    {1: 'newsletter.en'}
    """
    kept: dict[int, str] = {}
    seen: dict[int, bool] = {}
    for i, rule in drop.items():
        if rule.startswith("copyright"):
            kept[i] = rule
        elif not is_technical_line(lines, i) and (
            PRECISE.search(_norm(lines[i])) or not _in_context(lines, i, seen)
        ):
            kept[i] = rule
    if all(r.startswith("copyright") for r in kept.values()) or not is_technical(lines):
        return kept
    return {i: r for i, r in kept.items() if r.startswith("copyright") or PRECISE.search(_norm(lines[i]))}


def _norm(line: str) -> str:
    return " ".join(line.lower().split())
