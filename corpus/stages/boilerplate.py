"""Remove page furniture lines: sign-up, newsletter, terms, cookie, share, follow, related, ad, ...

Text-level and line-based: a line goes only when the WHOLE line looks like furniture (a button
label, a link bar, a consent or cookie notice, an ad label), never because a keyword occurs
somewhere in it. So "Sign up to receive our latest news!" goes, while "The company changed its
terms of service after the lawsuit." stays. Every other line is left byte-identical; blank-line
runs are collapsed only where a removal created them.

Cheap by construction: one Aho-Corasick pass (``ahocorasick_rs``) over the lowercased document
finds where a cue stem (``boilerplate_cues``) may start and the cue regex confirms it there; only
the lines holding one are normalized and tested against a few combined,
precompiled regexes (one per word budget; tables in ``boilerplate_rules`` and
``boilerplate_phrases``). Lines that end in a "|"-separated link bar after a sentence are caught by
``segment_bar_rule``. ``related_block`` (opt-in, not in ``DEFAULT_RULES``) also removes the teaser
headlines under a related-links heading; on the dev data it cost more content than it removed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from functools import lru_cache
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser as _sre_parse  # type: ignore[attr-defined]
from typing import NamedTuple

import ahocorasick_rs

from corpus.document import Document
from corpus.errors import ConfigError
from corpus.stages import boilerplate_cues as C
from corpus.stages import boilerplate_phrases as P
from corpus.stages import boilerplate_rules as R
from corpus.stages.base import Edit, Outcome, Stage

RULE_CLASSES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            *R.LABELS,
            *(c for c, *_ in R.LEADS),
            *(c for c, *_ in R.ANYWHERE),
            *(c for c, *_ in P.PHRASES),
            "related_block",
        ]
    )
)
LANGUAGES: tuple[str, ...] = tuple(
    sorted({lang for t in R.LABELS.values() for lang in t} | {lang for _, lang, *_ in R.LEADS})
)
DEFAULT_RULES: tuple[str, ...] = tuple(c for c in RULE_CLASSES if c != "related_block")
_SPACE = re.compile(r"\s+")
_AFTER = r"(?=[\W\d_]|$)"  # a label ends where letters end


def normalize_line(line: str) -> str:
    """Whitespace runs to one space, stripped, lowercased: the form every rule is matched on.

    >>> normalize_line("  Share   on\\tTwitter ")
    'share on twitter'
    """
    return _SPACE.sub(" ", line).strip().lower()


BUDGETS: tuple[int, ...] = (4, 6, 12, 25, 60, 150)  # rule word budgets are rounded up to one of these
MIN_LABEL_COVER = 0.6  # share of a line's letters that labels must cover for a link bar
_LETTER = re.compile(r"[^\W\d_]")
_NOT_LETTER = re.compile(r"[\W\d_]+")  # the complement of _LETTER: removing it leaves the letters


class _Compiled(NamedTuple):
    labels: dict[str, re.Pattern[str]]  # first letter ("" = any) -> labels, one group per label
    buckets: list[tuple[int, re.Pattern[str] | None, re.Pattern[str] | None]]  # (max_words, leads, anywhere)
    # Speed-ups that give the same results (see ``_detector`` and ``_label_scanner``):
    detectors: list[tuple[re.Pattern[str] | None, re.Pattern[str] | None]]  # per bucket: (leads, anywhere)
    label_scan: re.Pattern[str] | None  # every label at once, for ``finditer`` over a line
    guards: list[_Guard]  # per bucket: which detectors a line can need at all (``_guard``)


class _Guard(NamedTuple):
    """Literals that tell a line which cannot need the slow detector alternatives (``_guard``)."""

    automaton: ahocorasick_rs.AhoCorasick | None  # None: no guard, always run the full detectors
    masks: tuple[int, ...]  # per literal: needed by 1 = a slow lead alternative, 2 = an anywhere
    # alternative, 4 = a label that is not generic (a link bar needs one)
    cheap_lead: re.Pattern[str] | None  # the lead detector without its slow alternatives
    any_guarded: bool  # every anywhere alternative needs one of the literals
    base: int  # what every line needs whatever literals it holds (as in ``masks``)


def _gname(cls: str, lang: str, i: int) -> str:
    return f"{cls}__{lang}__{i}"


def _split_alternatives(pattern: str) -> list[str]:
    """Split a regex on its top-level "|".

    >>> _split_alternatives("a|b(?:c|d)|e")
    ['a', 'b(?:c|d)', 'e']
    """
    out, depth, cur, i = [], 0, [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            cur.append(pattern[i : i + 2])
            i += 2
            continue
        depth += (ch == "(" and 1) or (ch == ")" and -1) or 0
        if ch == "|" and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


def _rule_id(group: str) -> str:
    cls, lang, _ = group.split("__")
    return f"{cls}.{lang}"


def _class_end(pattern: str, i: int) -> int:
    """Index just past the character class that opens at ``pattern[i] == "["``."""
    j = i + 1
    if pattern[j : j + 1] == "^":
        j += 1
    if pattern[j : j + 1] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j + 1


def _split_top(pattern: str) -> list[str]:
    """Split a regex on its top-level "|", skipping escapes and character classes.

    >>> _split_top(r"a(?=[:|])|b(?:c|d)")
    ['a(?=[:|])', 'b(?:c|d)']
    """
    out, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(pattern, i)
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


def _expand(alt: str, limit: int = 256) -> list[str]:
    """Alternatives equivalent to ``alt`` with a leading "(?:a|b)" group multiplied out.

    "(?:a|b)c" matches at a position exactly when "ac" or "bc" does; multiplied out, each
    alternative starts with a literal that ``_by_first_char`` can dispatch on.

    >>> _expand(r"\\b(?:ab|c)d")
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
            i = _class_end(body, i)
            continue
        depth += (ch == "(") - (ch == ")")
        i += 1
        if depth == 0:
            break
    rest = body[i:]
    if rest[:1] in ("?", "*", "+", "{"):
        return [alt]
    out = [prefix + e for inner in _split_top(body[3 : i - 1]) for e in _expand(inner + rest, limit)]
    return out if len(out) <= limit else [alt]


def _detector(patterns: list[str]) -> re.Pattern[str] | None:
    """One regex that matches at exactly the positions where one of ``patterns`` matches.

    The rule unions try their named alternatives one by one at every position, which is what
    made a line cost tens of microseconds. This copy has no group names, so its alternatives
    can be regrouped into a trie on their first characters (``_by_first_char``): it only tells
    *where* the union matches; the union itself is then run at that one position, so the rule
    (the first alternative that matches there) is the same as before.
    """
    if not patterns:
        return None
    words: list[str] = []
    others: list[str] = []
    for pat in patterns:
        for alt in _split_top(pat):
            for e in _expand(alt):
                if e.startswith("\\b"):
                    words.append(e[2:])
                else:
                    others.append(e)
    parts = _by_first_char(others)
    if words:
        parts.append(f"\\b(?:{'|'.join(_by_first_char(words))})")
    return re.compile("|".join(parts))


def _label_scanner(keyed: dict[str, list[str]]) -> re.Pattern[str] | None:
    """All labels in one regex for ``finditer``, equivalent to ``link_bar_rule``'s word loop.

    That loop tries, at each start of a letter run at or after the end of the previous label,
    the labels that begin with its first letter, then the others (``misc``), and continues
    after a match. ``finditer`` does the same in one call: the lookbehind admits only letter-run
    starts, and each first letter leads to its own labels in their original order (a literal
    first letter rules out the other groups at once), so every match has the same extent. The
    scanner has no named groups (with hundreds, each group the engine enters costs a pass over
    all of them); the label pattern of the match's first letter names the rule afterwards.
    """
    if not keyed:
        return None
    parts = [f"{k}(?:{'|'.join(alt[1:] for alt in v)})" for k, v in keyed.items() if k]
    if keyed.get(""):
        parts.append(f"(?=[^\\W\\d_])(?:{'|'.join(keyed[''])})")
    scanner = re.compile(f"(?<![^\\W\\d_])(?:{'|'.join(parts)}){_AFTER}")
    return scanner if scanner.groups == 0 else None  # findall must return whole matches


def _required_literals(items: list) -> set[str] | None:
    """Strings one of which every match of the parsed regex ``items`` contains, or None.

    A run of literals in sequence is one such string; a group of alternatives gives the union
    of its alternatives' sets, a repeat of at least once its item's set. Of the elements of a
    sequence, the set whose shortest string is longest is kept (the most selective).
    """
    best: set[str] | None = None

    def consider(found: set[str] | None) -> None:
        nonlocal best
        if found and all(found) and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found

    run = ""
    for op, av in items:
        if op is _sre.LITERAL:
            run += chr(av)
            continue
        consider({run} if run else None)
        run = ""
        if op is _sre.SUBPATTERN:
            consider(_required_literals(list(av[3])))
        elif op is _sre.BRANCH:
            parts = [_required_literals(list(b)) for b in av[1]]
            consider(None if any(not p for p in parts) else set().union(*parts))  # type: ignore[arg-type]
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT) and av[0] >= 1:
            consider(_required_literals(list(av[2])))
    consider({run} if run else None)
    return best


def _alternatives(patterns: list[str]) -> list[str]:
    return [e for pat in patterns for alt in _split_top(pat) for e in _expand(alt)]


def _guard(lead_raw: list[str], any_raw: list[str], label_texts: set[str] | None) -> _Guard:
    """What spares most lines the slow detector alternatives, with the same results.

    Lead alternatives that start with a literal prefix fail at once on most lines; the others
    ("(?:\\S+ ){0,5}?newsletter", "\\W*(?:related|...)") try every word. Each of those, and each
    anywhere alternative, needs a literal somewhere in the line ("newsletter"). One automaton
    finds them: a line without one of a slow lead alternative's literals only needs the cheap
    lead detector, a line without any anywhere literal no anywhere search at all. A link bar
    names its rule after a label that is not generic, so a line holding none of their texts
    (``label_texts``, None if unknown) is no link bar.
    """
    cheap, slow = [], []
    for alt in _alternatives(lead_raw):
        prefixes = _literal_prefixes(list(_sre_parse.parse(alt)))
        (cheap if prefixes and all(prefixes) else slow).append(alt)
    masks: dict[str, int] = {}
    for mask, alts in ((1, slow), (2, _alternatives(any_raw))):
        for alt in alts:
            found = _required_literals(list(_sre_parse.parse(alt)))
            if found is None:
                return _Guard(None, (), None, False, 7)
            for lit in found:
                masks[lit] = masks.get(lit, 0) | mask
    for lit in label_texts or ():
        masks[lit] = masks.get(lit, 0) | 4
    if label_texts is None and not masks:
        return _Guard(None, (), None, False, 7)
    keys = sorted(masks)
    automaton = ahocorasick_rs.AhoCorasick(keys, implementation=ahocorasick_rs.Implementation.DFA)
    base = 4 if label_texts is None else 0  # without label texts, every line may be a link bar
    return _Guard(automaton, tuple(masks[k] for k in keys), _detector(cheap), bool(any_raw), base)


@lru_cache(maxsize=32)
def compile_rules(rules: tuple[str, ...], languages: tuple[str, ...] | None) -> _Compiled:
    """Compile the enabled rule classes and languages into a few combined regexes (cached).

    >>> c = compile_rules(("share",), ("en",))
    >>> c.labels["f"].match("facebook | home").lastgroup.split("__")[0]
    'share'

    """

    def on(cls: str, lang: str) -> bool:
        return cls in rules and (languages is None or lang in languages)

    labels = [
        (cls, lang, alt)
        for cls, by_lang in R.LABELS.items()
        for lang, alts in by_lang.items()
        for alt in _split_alternatives("|".join(alts))
        if on(cls, lang)
    ]
    labels += [
        ("generic", "", alt)
        for lang, alts in R.GENERIC.items()
        for alt in _split_alternatives("|".join(alts))
        if languages is None or lang in languages
    ]
    finder: dict[str, list[str]] = {}
    keyed: dict[str, list[str]] = {}  # the same labels, without group names
    if any(c != "generic" for c, _, _ in labels):
        labels.sort(key=lambda x: -len(x[2]))  # longest first: "privacy policy" before "privacy"
        for i, (c, lg, alt) in enumerate(labels):
            plain = alt[:1].isalpha() and alt[1:2] not in ("?", "*", "+", "{")
            name = f"generic{i}" if c == "generic" else _gname(c, lg, i)
            finder.setdefault(alt[0] if plain else "", []).append(f"(?P<{name}>{alt})")
            keyed.setdefault(alt[0] if plain else "", []).append(alt)
    misc = finder.pop("", [])
    label_texts: set[str] | None = set()  # every text a label that is not generic can match
    for c, _, alt in labels:
        texts = _literal_set(list(_sre_parse.parse(alt)), 10**6, 10**5) if c != "generic" else set()
        label_texts = None if texts is None or label_texts is None else label_texts | texts
    finder_re = {k: re.compile(f"(?:{'|'.join(v + misc)}){_AFTER}") for k, v in finder.items()}
    if misc:
        finder_re[""] = re.compile(f"(?:{'|'.join(misc)}){_AFTER}")

    def budget(n: int) -> int:
        return next((b for b in BUDGETS if n <= b), BUDGETS[-1])

    # Anchored rules ("^...", all of LEADS) join one union tried at the line start; of the
    # others, those that start at a word ("\\b...") share one "\\b" test per position.
    rows = [(c, lg, n, pat, True) for c, lg, n, pat in R.LEADS]
    for c, lg, n, pat in R.ANYWHERE + P.PHRASES:
        rows.append((c, lg, n, pat[1:], True) if pat.startswith("^") else (c, lg, n, pat, False))
    buckets = []  # one union per budget: every rule whose budget admits a line of that length
    detectors = []
    guards = []
    for limit in BUDGETS:
        lead, word, other = [], [], []
        lead_raw, any_raw = [], []  # the same rules without group names, for the detectors
        for i, (c, lg, n, pat, anchored) in enumerate(rows):
            if budget(n) < limit or not on(c, lg):
                continue
            if anchored:
                lead.append(f"(?P<{_gname(c, lg, i)}>{pat})")
                lead_raw.append(pat)
            elif pat.startswith("\\b"):
                word.append(f"(?P<{_gname(c, lg, i)}>{pat[2:]})")
                any_raw += [f"\\b{alt}" for alt in _split_top(pat[2:])]
            else:
                other.append(f"(?P<{_gname(c, lg, i)}>{pat})")
                any_raw.append(pat)
        if word:
            other.append(f"\\b(?:{'|'.join(word)})")
        buckets.append(
            (
                limit,
                re.compile("|".join(lead)) if lead else None,
                re.compile("|".join(other)) if other else None,
            )
        )
        detectors.append((_detector(lead_raw), _detector(any_raw)))
        guards.append(_guard(lead_raw, any_raw, label_texts))
    return _Compiled(finder_re, buckets, detectors, _label_scanner(keyed), guards)


_WORD = re.compile(r"[^\W\d_]+")


def link_bar_rule(norm: str, labels: dict[str, re.Pattern[str]]) -> str | None:
    """The rule of a normalized line made mostly of link labels, or None.

    Labels must cover at least ``MIN_LABEL_COVER`` of the line's letters, and at least one must
    be a furniture label (generic nav words such as "home" or "contact" only fill a bar).

    >>> labels = compile_rules(RULE_CLASSES, None).labels
    >>> link_bar_rule("about us | stats | advertise with us | terms of service | privacy policy", labels)
    'ad.en'
    >>> link_bar_rule("home | about us | contact", labels) is None
    True
    """
    covered, first, pos, misc = 0, None, 0, labels.get("")
    for w in _WORD.finditer(norm):
        if w.start() < pos:
            continue  # inside the previous label
        pattern = labels.get(norm[w.start()], misc)
        m = pattern.match(norm, w.start()) if pattern is not None else None
        if m is None:
            continue
        pos = m.end()
        covered += len(_LETTER.findall(m.group()))
        if first is None and not (m.lastgroup or "").startswith("generic"):
            first = m.lastgroup
    if first is None or covered < MIN_LABEL_COVER * len(_LETTER.findall(norm)):
        return None
    return _rule_id(first)


def _link_bar(norm: str, compiled: _Compiled) -> str | None:
    """``link_bar_rule(norm, compiled.labels)``, with one ``finditer`` instead of a loop over words.

    The scanner gives the same label extents, so the coverage is known before any rule name is;
    most lines fail it and never run the named label patterns. Otherwise the first label that
    is not generic names the rule, as in the loop.
    """
    scan, labels = compiled.label_scan, compiled.labels
    if scan is None:
        return link_bar_rule(norm, labels)
    found = scan.findall(norm)  # the label texts, in order (the scanner has no groups)
    if not found:
        return None
    covered = len(_NOT_LETTER.sub("", "".join(found)))  # letters, as len(_LETTER.findall(...))
    if covered < MIN_LABEL_COVER * len(_NOT_LETTER.sub("", norm)):
        return None
    misc = labels.get("")
    for f in scan.finditer(norm):
        m = labels.get(norm[f.start()], misc).match(norm, f.start())  # type: ignore[union-attr]
        if m is None or m.end() != f.end() or m.end() == m.start():
            return link_bar_rule(norm, labels)  # cannot happen (same alternatives); the loop decides
        if not (m.lastgroup or "").startswith("generic"):
            return _rule_id(m.lastgroup or "")
    return None


def classify_line(
    line: str,
    *,
    rules: tuple[str, ...] = DEFAULT_RULES,
    languages: tuple[str, ...] | None = None,
    max_line_chars: int = 1000,
) -> str | None:
    """The id of the rule that marks ``line`` as furniture ("newsletter.en", ...), or None.

    >>> classify_line("Sign up for our newsletter")
    'newsletter.en'
    >>> classify_line("Privacy Policy | Terms of Use | Sitemap")
    'terms.en'
    >>> classify_line("The company changed its terms of service after the lawsuit.") is None
    True
    """
    compiled = compile_rules(tuple(rules), None if languages is None else tuple(languages))
    return _classify(line, compiled, max_line_chars)


# Lines that read as code, command lines or numbered section titles are never page furniture,
# whatever words they hold: "struct fscache_cookie *cookie", "--membership=MEMBERSHIP",
# "/usr/share", "14.1. Defining a Security Policy" (man pages and documentation).
_CODE_LIKE = re.compile(
    r"(?:^|\s)--\w"  # a command-line flag
    r"|\w \*\w"  # a C pointer declaration
    r"|(?<![:/\w.])/\w+/"  # a file path (not inside a URL)
    r"|[{}]|\w\(\d?\)"  # braces, a call or a man-page reference: f(), login.defs(5)
    r"|^\s*\d+(?:\.\d+)+\.\s+\S"  # a numbered section title: "14.1. Defining a Security Policy"
)


def _code_like(line: str) -> bool:
    """``_CODE_LIKE.search(line)``, skipped when ``line`` lacks the characters every branch needs.

    Each branch needs "--", " *", "/", a brace or "(", or (the section title) a decimal digit
    after the leading whitespace; most lines have none, and ``in`` tests are far cheaper than a
    regex tried at every position.
    """
    if "--" in line or " *" in line or "/" in line or "{" in line or "}" in line or "(" in line:
        return _CODE_LIKE.search(line) is not None
    return line.lstrip()[:1].isdecimal() and _CODE_LIKE.search(line) is not None


def _classify(line: str, compiled: _Compiled, max_line_chars: int) -> str | None:
    if len(line) > max_line_chars * 2:  # cheap gate before normalizing
        return None
    rule = _rule(line, compiled, max_line_chars)
    # A code-like line is never furniture; tested last, on the few lines a rule marks.
    return None if rule is None or _code_like(line) else rule


def _rule(line: str, compiled: _Compiled, max_line_chars: int) -> str | None:
    norm = " ".join(line.lower().split())
    if not norm or len(norm) > max_line_chars:
        return None
    words = norm.count(" ") + 1
    if words > BUDGETS[-1]:
        return None
    need = 7
    for (limit, leads, anywhere), (find_lead, find_any), guard in zip(
        compiled.buckets, compiled.detectors, compiled.guards, strict=True
    ):
        if words > limit:
            continue
        if guard.automaton is not None:  # which slow alternatives the line's literals admit
            need = guard.base
            masks = guard.masks
            for k, _, _ in guard.automaton.find_matches_as_indexes(norm, overlapping=True):
                need |= masks[k]
            if not need & 1:
                find_lead = guard.cheap_lead
            if not need & 2 and guard.any_guarded:
                anywhere = None
        # The detectors say whether (and where) the union matches; the union then names the rule.
        m = (
            leads.match(norm)
            if leads is not None and find_lead is not None and find_lead.match(norm) is not None
            else None
        )
        if m is None and anywhere is not None:
            at = find_any.search(norm)
            m = anywhere.match(norm, at.start()) if at is not None else None
        if m is not None:
            return _rule_id(m.lastgroup or "")
        break  # the first admissible bucket holds every rule that applies
    if compiled.labels and words <= 40:
        return (_link_bar(norm, compiled) if need & 4 else None) or segment_bar_rule(norm, compiled)
    if compiled.labels:
        return segment_bar_rule(norm, compiled)
    return None


_SEGMENT_SPLIT = re.compile(r"\s+[|•·]\s+")
SEGMENT_MIN = 4  # a line needs this many "|"-separated segments to be read as a trailing link bar


def segment_bar_rule(norm: str, compiled: _Compiled) -> str | None:
    """The rule of a line whose "|"-separated tail is a link bar after some prose, or None.

    A footer often glues a sentence to its links: "VAT included where applicable. Privacy Policy |
    Legal | Cookies". At least ``SEGMENT_MIN`` segments, every segment but the first at most four
    words, and the segments after the first form a link bar (``link_bar_rule``).

    >>> c = compile_rules(RULE_CLASSES, None)
    >>> segment_bar_rule("vat included where applicable. privacy policy | legal | refunds | cookies", c)
    'terms.en'
    >>> segment_bar_rule("he said | she said | they said | we said", c) is None
    True
    """
    if norm.count("|") + norm.count("•") + norm.count("·") < SEGMENT_MIN - 1:
        return None
    parts = _SEGMENT_SPLIT.split(norm)
    if len(parts) < SEGMENT_MIN or any(p.count(" ") > 3 for p in parts[1:]):
        return None
    head = parts[0].rsplit(". ", 1)[-1]  # the link that shares a segment with the prose
    if head.count(" ") > 3:
        return None
    return _link_bar(" | ".join([head, *parts[1:]]), compiled)


def remove_lines(text: str, drop: dict[int, str], lines: list[str] | None = None) -> tuple[str, list[Edit]]:
    """Remove the lines (split on "\\n") whose index is in ``drop`` (index -> rule id).

    The kept lines stay byte-identical. Where removals join blank-line runs, only the longest
    original run is kept (at the start or end of the text: only the original edge run), so no
    new gaps appear. Edits carry the removed line (without its newline) and its offset.

    >>> remove_lines("A\\n\\nShare\\n\\nB", {2: "share.en"})[0]
    'A\\n\\nB'
    >>> remove_lines("Share\\nA", {0: "share.en"})
    ('A', [Edit(rule='share.en', before='Share', after='', start=0)])
    """
    if not drop:
        return text, []
    if lines is None:
        lines = text.split("\n")
    order = sorted(drop)
    edits, pos, prev = [], 0, 0
    for i in order:  # offsets only up to the removed lines
        pos += sum(map(len, lines[prev:i])) + i - prev
        prev = i
        edits.append(Edit(drop[i], before=lines[i], after="", start=pos))
    n = len(lines)
    remove: set[int] = set()
    done = -1
    for d in order:  # each maximal gap of blank-or-removed lines that contains a removal
        if d <= done:
            continue
        i = d
        while i > 0 and (i - 1 in drop or not lines[i - 1].strip()):
            i -= 1
        j = d + 1
        while j < n and (j in drop or not lines[j].strip()):
            j += 1
        done = j - 1
        runs: list[list[int]] = [[]]
        for k in range(i, j):
            if k in drop:
                runs.append([])
            else:
                runs[-1].append(k)
        chosen = runs[0] if i == 0 else runs[-1] if j == n else max(runs, key=len)
        remove.update(k for k in range(i, j) if k not in chosen)
    kept = lines[:]
    for k in sorted(remove, reverse=True):  # a few removals: deleting beats filtering every line
        del kept[k]
    return "\n".join(kept), edits


_META = set("\\.^$*+?{}[]()|")


def _first_literal(alt: str) -> tuple[str, str]:
    """Split a regex alternative into its first literal character and the rest ("" if none)."""
    lit = alt[:2] if alt[:1] == "\\" and alt[1:2] and not alt[1].isalnum() else alt[:1]
    if not lit or (lit[0] in _META and len(lit) == 1) or alt[len(lit) : len(lit) + 1] in ("?", "*", "+", "{"):
        return "", alt
    return lit, alt[len(lit) :]


def _by_first_char(alts: list[str]) -> list[str]:
    groups: dict[str, list[str]] = {}
    misc: list[str] = []
    for alt in alts:
        lit, rest = _first_literal(alt)
        if lit:
            groups.setdefault(lit, []).append(rest)
        else:
            misc.append(alt)
    nested = [f"{c}(?:{'|'.join(_by_first_char(v) if len(v) > 1 else v)})" for c, v in groups.items()]
    return nested + misc


def cue_pattern(cues: list[str]) -> str:
    r"""One alternation of ``cues`` that the regex engine scans fast.

    Stems that start with a letter are matched only at a word start (one ``\b`` test rejects
    most positions) and grouped into a trie by their leading characters, so the engine compares
    a few characters per position instead of trying hundreds of alternatives. Cue stems
    therefore match at word starts ("konto", not "kundenkonto").

    >>> cue_pattern(["share|sign", r"\(c\)|\bjoin|\bjet"])
    '\\((?:c\\))|\\b(?:s(?:h(?:are)|i(?:gn))|j(?:o(?:in)|e(?:t)))'
    """
    plain, word = _cue_alternatives(cues)
    parts = _by_first_char(plain)
    if word:
        parts.append(f"\\b(?:{'|'.join(_by_first_char(word))})")
    return "|".join(parts)


def _cue_alternatives(cues: list[str]) -> tuple[list[str], list[str]]:
    """The cue alternatives that start with a symbol, and (without "\\b") those that start a word."""
    plain: list[str] = []
    word: list[str] = []
    for block in cues:
        for alt in _split_alternatives(block):
            bare = alt[2:] if alt.startswith("\\b") else alt
            lit = _first_literal(bare)[0]
            if lit and (lit.isalnum() or lit == "_"):
                word.append(bare)
            else:
                plain.append(alt)
    return plain, word


@lru_cache(maxsize=4)
def _cue_finder() -> re.Pattern[str]:
    return re.compile(cue_pattern(C.CUES), re.MULTILINE)


def _char_class(pred: Callable[[str], bool]) -> str:
    """A regex class of the BMP characters for which ``pred`` holds (as ranges)."""
    out, start = [], None
    for i in range(0x10001):
        if i < 0x10000 and pred(chr(i)):
            start = i if start is None else start
        elif start is not None:
            a, b = re.escape(chr(start)), re.escape(chr(i - 1))
            out.append(a if start == i - 1 else f"{a}-{b}")
            start = None
    return f"[{''.join(out)}]"


# Word-initial letters by frequency in running text: trie branches tried in this order fail sooner.
_INITIALS = "tasoicpwbfmhdelrngyuvkjqxz"


@lru_cache(maxsize=4)
def _cue_skipper() -> re.Pattern[str] | None:
    """A regex that, matched at a position, runs up to just before the next cue (same cues).

    ``_cue_finder().search`` tries the cue alternation at every position of the document, and
    the ``\\w``/``\\W`` tests behind ``\\b`` look up Unicode tables for each character. This
    loop instead consumes a word and the non-word run after it per step, with explicit BMP
    classes (bitmap lookups), and tries the cue trie only where a word starts, i.e. where
    ``\\b`` holds. It stops at a symbol that starts a cue ("©"), at a word start where a cue
    matches (then at the start of the word before it) or at the end. ``_cue_finder`` then finds
    the cue itself a few characters on. Astral characters (emoji, math letters) take a slower
    branch that tests ``\\w`` directly. None when a cue does not fit this scheme.
    """
    plain, word = _cue_alternatives(C.CUES)
    stops = set()
    for alt in plain:
        lit = _first_literal(alt)[0]
        if not lit or lit[-1].isalnum() or lit[-1] == "_":
            return None
        stops.add(lit[-1])
    trie = _by_first_char(word)
    if any(not t[:1].isalnum() or ord(t[0]) > 0xFFFF for t in trie):
        return None
    trie.sort(key=lambda t: _INITIALS.find(t[0]) % 64)  # unknown initials (-1) last
    cue = f"(?:{'|'.join(trie)})"
    w = _char_class(lambda c: c.isalnum() or c == "_")  # exactly \w, as the regex engine has it
    nw = _char_class(lambda c: not (c.isalnum() or c == "_") and c not in stops)
    astral = "[\U00010000-\U0010ffff]"
    return re.compile(f"(?:{w}*+(?:{nw}++(?!{cue})|{astral}(?:(?<=\\w)|(?!{cue}))))*+", re.MULTILINE)


_HEADING = re.compile(C.BLOCK_HEADING)
_SENTENCE_END = re.compile(r"[.!?。…][\"'”’)\]]*$")
ZONE_MAX_LINES = 40  # non-blank lines a related zone may cover after its heading
TITLE_MAX_WORDS = 20  # a teaser headline is shorter than this


def _literal_prefixes(items: list, limit: int = 8) -> list[str] | None:
    """Literal strings that every match of the parsed regex ``items`` starts with (one of them).

    Literals, small literal classes ("[ -]"), optional parts ("-?") and groups of alternatives
    are multiplied out, up to ``limit`` characters; anything else (a lookaround, "\\b", "\\d")
    ends a prefix there. None when there would be more than 64 prefixes.
    """
    done: list[str] = []
    growing = [""]
    for op, av in items:
        alts: list[tuple[str, bool]] | None  # (text, whether a prefix may grow past it)
        if op is _sre.LITERAL:
            alts = [(chr(av), True)]
        elif op is _sre.IN and all(o is _sre.LITERAL for o, _ in av):
            alts = [(chr(a), True) for _, a in av]
        elif op is _sre.SUBPATTERN:
            alts = _grown(_literal_prefixes(list(av[3]), limit), list(av[3]), limit)
        elif op is _sre.BRANCH:
            alts = []
            for branch in av[1]:
                sub = _grown(_literal_prefixes(list(branch), limit), list(branch), limit)
                if sub is None:
                    return None
                alts += sub
        elif op is _sre.MAX_REPEAT and av[0] == 0 and av[1] == 1:
            sub = _grown(_literal_prefixes(list(av[2]), limit), list(av[2]), limit)
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


def _grown(prefixes: list[str] | None, items: list, limit: int) -> list[tuple[str, bool]] | None:
    """``prefixes`` of a sub-pattern, each marked whether it spells a whole match of it."""
    if prefixes is None:
        return None
    whole = _literal_set(items, limit)
    return [(p, whole is not None and p in whole) for p in prefixes]


def _literal_set(items: list, limit: int, most: int = 64) -> set[str] | None:
    """Every string the parsed regex ``items`` can match, if it is a small finite literal set."""
    out = {""}
    for op, av in items:
        if op is _sre.LITERAL:
            opts = {chr(av)}
        elif op is _sre.IN and all(o is _sre.LITERAL for o, _ in av):
            opts = {chr(a) for _, a in av}
        elif op is _sre.SUBPATTERN:
            opts = _literal_set(list(av[3]), limit, most)
        elif op is _sre.BRANCH:
            opts = set()
            for branch in av[1]:
                sub = _literal_set(list(branch), limit, most)
                if sub is None:
                    return None
                opts |= sub
        elif op is _sre.MAX_REPEAT and av[0] == 0 and av[1] == 1:
            sub = _literal_set(list(av[2]), limit, most)
            opts = None if sub is None else sub | {""}
        else:
            opts = None
        if opts is None:
            return None
        out = {p + o for p in out for o in opts}
        if len(out) > most or any(len(p) >= limit for p in out):
            return None
    return out


@lru_cache(maxsize=4)
def _cue_automaton() -> ahocorasick_rs.AhoCorasick | None:
    """An Aho-Corasick automaton (a DFA, in C) over literal prefixes of every cue alternative.

    Wherever ``_cue_finder`` matches, one of these prefixes starts, so the automaton's hits are
    a superset of the cue positions: ``_cue_finder().match`` at a hit then decides, exactly as
    the search would. None (use the regex scan) if some alternative has no usable prefix.
    """
    plain, word = _cue_alternatives(C.CUES)
    keys: set[str] = set()
    for alt in plain + word:
        prefixes = _literal_prefixes(list(_sre_parse.parse(alt)))
        if not prefixes or any(not p or "\n" in p for p in prefixes):
            return None
        keys.update(prefixes)
    minimal = sorted(k for k in keys if not any(k[:i] in keys for i in range(1, len(k))))
    return ahocorasick_rs.AhoCorasick(minimal, implementation=ahocorasick_rs.Implementation.DFA)


def candidate_lines(low: str) -> list[tuple[int, int, int]]:
    """(line index, start, end) of the lines of lowercased ``low`` that contain a cue stem.

    A line without any cue cannot match a rule, so it is never normalized. The automaton
    (``_cue_automaton``) finds the places where a cue may start in one pass; the cue regex is
    then tried only there, and not again in a line already taken.

    >>> candidate_lines("peace talks resumed.\\nshare this article\\nbody.")
    [(1, 21, 39)]
    """
    automaton = _cue_automaton()
    if automaton is None:
        return _candidate_lines_re(low)
    try:
        hits = automaton.find_matches_as_indexes(low, overlapping=True)
    except UnicodeEncodeError:  # lone surrogates: the automaton takes only valid text
        return _candidate_lines_re(low)
    match = _cue_finder().match
    out, line_no, pos, end = [], 0, 0, -1
    for _, at, _ in hits:  # by end offset, so by line (no prefix holds a newline)
        if at <= end or match(low, at) is None:
            continue
        start = low.rfind("\n", 0, at) + 1
        end = low.find("\n", at)
        if end < 0:
            end = len(low)
        line_no += low.count("\n", pos, start)
        pos = start
        out.append((line_no, start, end))
    return out


def _candidate_lines_re(low: str) -> list[tuple[int, int, int]]:
    """``candidate_lines`` with regexes only: the cue skipper and the cue search."""
    finder, skipper = _cue_finder(), _cue_skipper()
    search = finder.search
    out, line_no, pos, n = [], 0, 0, len(low)
    if skipper is None:
        m = search(low)
    else:  # the skipper cannot see a cue at 0 (no "\\b" test there): match it first
        skip = skipper.match
        m = finder.match(low) or search(low, skip(low).end())
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
        # from the newline: the skipper checks the next line's first word after it
        m = search(low, end + 1) if skipper is None else search(low, skip(low, end).end())
    return out


def is_title_like(line: str) -> bool:
    """A short line without a sentence ending: a headline, a label, a date.

    >>> is_title_like("How Facebook gets the First Amendment backward")
    True
    >>> is_title_like("The report claims the display size will remain 13.3 inches, as before.")
    False
    """
    words = line.split()
    if len(words) >= TITLE_MAX_WORDS:
        return False
    return len(words) <= 6 or _SENTENCE_END.search(line.rstrip()) is None


def related_zones(lines: list[str], drop: dict[int, str]) -> dict[int, str]:
    """Lines after a related-block heading ("More Great WIRED Stories", "Lesen Sie auch"), as
    {index: "related_block"}: the run of title-like lines (and blank lines) that follows it, up to
    the first prose line, at most ``ZONE_MAX_LINES`` non-blank lines.

    >>> related_zones(["Body text.", "Related stories", "A headline", "", "Another one", "Prose again, "
    ...     "a long sentence that is clearly part of the article and ends as prose does."], {1: "related.en"})
    {2: 'related_block', 4: 'related_block'}
    """
    out: dict[int, str] = {}
    for i in sorted(drop):
        if not drop[i].startswith("related") or i in out:
            continue
        norm = " ".join(lines[i].lower().split())
        if norm.count(" ") >= C.HEADING_MAX_WORDS or not _HEADING.match(norm):
            continue
        seen = 0
        for j in range(i + 1, len(lines)):
            line = lines[j]
            if not line.strip() or j in drop:
                continue
            if seen >= ZONE_MAX_LINES or not is_title_like(line):
                break
            out[j] = "related_block"
            seen += 1
    return out


def strip_boilerplate(
    text: str,
    *,
    rules: tuple[str, ...] = DEFAULT_RULES,
    languages: tuple[str, ...] | None = None,
    max_line_chars: int = 1000,
) -> tuple[str, list[Edit]]:
    """Remove furniture lines from ``text``; return the new text and one Edit per removed line.

    >>> strip_boilerplate("Peace talks resumed.\\n\\nSign up to receive our latest news!")[0]
    'Peace talks resumed.'
    """
    compiled = compile_rules(tuple(rules), None if languages is None else tuple(languages))
    low = text.lower()
    if len(low) != len(text):  # rare: lowercasing changed lengths; classify the original lines
        low = "\n".join(line.lower() if len(line.lower()) == len(line) else line for line in text.split("\n"))
    drop: dict[int, str] = {}
    for i, start, end in candidate_lines(low):
        rule = _classify(low[start:end], compiled, max_line_chars)
        if rule is not None:
            drop[i] = rule
    if not drop:
        return text, []
    lines = text.split("\n")
    if "related_block" in rules and any(r.startswith("related") for r in drop.values()):
        drop.update(related_zones(lines, drop))  # opt-in: not in DEFAULT_RULES
    return remove_lines(text, drop, lines)


class StripBoilerplate(Stage):
    """Remove whole furniture lines; each Edit names its rule ("newsletter.en", "terms_agree.de").

    Options: ``rules`` (rule classes to enable, default ``DEFAULT_RULES``: all of ``RULE_CLASSES``
    but the opt-in ``related_block``), ``languages``
    (ISO codes whose patterns to enable, default all), ``max_line_chars`` (longer lines are
    never candidates). Counts: ``removed.<class>`` per rule class.
    """

    name = "strip_boilerplate"

    def __init__(
        self,
        *,
        rules: list[str] | None = None,
        languages: list[str] | None = None,
        max_line_chars: int = 1000,
    ) -> None:
        self.rules = rules
        self.languages = languages
        self.max_line_chars = max_line_chars
        for option, value, known in (("rules", rules, RULE_CLASSES), ("languages", languages, LANGUAGES)):
            if value is None:
                continue
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"strip_boilerplate: option {option!r} must be a list of strings")
            unknown = sorted(set(value) - set(known))
            if unknown:
                raise ConfigError(
                    f"strip_boilerplate: option {option!r} has unknown {unknown}; expected some of: "
                    + ", ".join(known)
                )
        if isinstance(max_line_chars, bool) or not isinstance(max_line_chars, int) or max_line_chars < 1:
            raise ConfigError(
                f"strip_boilerplate: option 'max_line_chars' must be a positive int, got {max_line_chars!r}"
            )
        self._rules = tuple(rules) if rules is not None else DEFAULT_RULES
        self._languages = tuple(languages) if languages is not None else None

    def setup(self) -> None:
        if not hasattr(self, "_rules"):  # after unpickling
            self._rules = tuple(self.rules) if self.rules is not None else DEFAULT_RULES
            self._languages = tuple(self.languages) if self.languages is not None else None
        compile_rules(self._rules, self._languages)

    def apply(self, doc: Document) -> Outcome:
        self.setup()
        text, edits = strip_boilerplate(
            doc.text, rules=self._rules, languages=self._languages, max_line_chars=self.max_line_chars
        )
        if not edits:
            return Outcome(doc)
        counts: dict[str, int] = {}
        for e in edits:
            key = "removed." + e.rule.split(".")[0]
            counts[key] = counts.get(key, 0) + 1
        return Outcome(dataclasses.replace(doc, text=text), edits=edits, counts=counts)
