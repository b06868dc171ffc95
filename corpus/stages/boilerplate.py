"""Remove page furniture lines: sign-up, newsletter, terms, cookie, share, follow, related, ad, ...

Text-level and line-based: a line goes only when the WHOLE line looks like furniture (a button
label, a link bar, a consent or cookie notice, an ad label), never because a keyword occurs
somewhere in it. So "Sign up to receive our latest news!" goes, while "The company changed its
terms of service after the lawsuit." stays. Every other line is left byte-identical; blank-line
runs are collapsed only where a removal created them.

Cheap by construction: only lines of at most ``max_line_chars`` characters are candidates, and
each candidate is tested against a few combined, precompiled regexes (one per word budget;
the tables live in ``boilerplate_rules``).
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
from typing import NamedTuple

from corpus.document import Document
from corpus.errors import ConfigError
from corpus.stages import boilerplate_rules as R
from corpus.stages.base import Edit, Outcome, Stage

RULE_CLASSES: tuple[str, ...] = tuple(
    dict.fromkeys([*R.LABELS, *(c for c, *_ in R.LEADS), *(c for c, *_ in R.ANYWHERE)])
)
LANGUAGES: tuple[str, ...] = tuple(
    sorted({lang for t in R.LABELS.values() for lang in t} | {lang for _, lang, *_ in R.LEADS})
)
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


class _Compiled(NamedTuple):
    labels: dict[str, re.Pattern[str]]  # first letter ("" = any) -> labels, one group per label
    buckets: list[tuple[int, re.Pattern[str] | None, re.Pattern[str] | None]]  # (max_words, leads, anywhere)


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
    if any(c != "generic" for c, _, _ in labels):
        labels.sort(key=lambda x: -len(x[2]))  # longest first: "privacy policy" before "privacy"
        for i, (c, lg, alt) in enumerate(labels):
            plain = alt[:1].isalpha() and alt[1:2] not in ("?", "*", "+", "{")
            name = f"generic{i}" if c == "generic" else _gname(c, lg, i)
            finder.setdefault(alt[0] if plain else "", []).append(f"(?P<{name}>{alt})")
    misc = finder.pop("", [])
    finder_re = {k: re.compile(f"(?:{'|'.join(v + misc)}){_AFTER}") for k, v in finder.items()}
    if misc:
        finder_re[""] = re.compile(f"(?:{'|'.join(misc)}){_AFTER}")

    def budget(n: int) -> int:
        return next((b for b in BUDGETS if n <= b), BUDGETS[-1])

    buckets = []  # one union per budget: every rule whose budget admits a line of that length
    for limit in BUDGETS:
        parts = []
        for table in (R.LEADS, R.ANYWHERE):
            alts = [
                f"(?P<{_gname(c, lg, i)}>{pat})"
                for i, (c, lg, n, pat) in enumerate(table)
                if budget(n) >= limit and on(c, lg)
            ]
            parts.append(re.compile("|".join(alts)) if alts else None)
        buckets.append((limit, parts[0], parts[1]))
    return _Compiled(finder_re, buckets)


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


def classify_line(
    line: str,
    *,
    rules: tuple[str, ...] = RULE_CLASSES,
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
    if len(line) > max_line_chars * 2:  # cheap gate before normalizing
        return None
    norm = normalize_line(line)
    if not norm or len(norm) > max_line_chars:
        return None
    compiled = compile_rules(tuple(rules), None if languages is None else tuple(languages))
    words = norm.count(" ") + 1
    for limit, leads, anywhere in compiled.buckets:
        if words > limit:
            continue
        m = leads.match(norm) if leads is not None else None
        if m is None and anywhere is not None:
            m = anywhere.search(norm)
        if m is not None:
            return _rule_id(m.lastgroup or "")
        break  # the first admissible bucket holds every rule that applies
    if words <= 40 and compiled.labels:
        return link_bar_rule(norm, compiled.labels)
    return None


def remove_lines(text: str, drop: dict[int, str]) -> tuple[str, list[Edit]]:
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
    lines = text.split("\n")
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    edits = [Edit(drop[i], before=lines[i], after="", start=offsets[i]) for i in sorted(drop)]
    blank = [not ln.strip() for ln in lines]
    keep = [i not in drop for i in range(len(lines))]
    n, i = len(lines), 0
    while i < n:  # each maximal gap of blank-or-removed lines that contains a removal
        if not (blank[i] or not keep[i]):
            i += 1
            continue
        j = i
        while j < n and (blank[j] or not keep[j]):
            j += 1
        if any(not keep[k] for k in range(i, j)):
            runs, cur = [], []
            for k in range(i, j):
                if keep[k]:
                    cur.append(k)
                else:
                    runs.append(cur)
                    cur = []
            runs.append(cur)
            if i == 0:
                chosen = runs[0]
            elif j == n:
                chosen = runs[-1]
            else:
                chosen = max(runs, key=len)
            for k in range(i, j):
                keep[k] = k in chosen
        i = j
    out = [ln for ln, k in zip(lines, keep, strict=True) if k]
    return "\n".join(out), edits


def strip_boilerplate(
    text: str,
    *,
    rules: tuple[str, ...] = RULE_CLASSES,
    languages: tuple[str, ...] | None = None,
    max_line_chars: int = 1000,
) -> tuple[str, list[Edit]]:
    """Remove furniture lines from ``text``; return the new text and one Edit per removed line.

    >>> strip_boilerplate("Peace talks resumed.\\n\\nSign up to receive our latest news!")[0]
    'Peace talks resumed.'
    """
    drop = {}
    for i, line in enumerate(text.split("\n")):
        rule = classify_line(line, rules=rules, languages=languages, max_line_chars=max_line_chars)
        if rule is not None:
            drop[i] = rule
    return remove_lines(text, drop)


class StripBoilerplate(Stage):
    """Remove whole furniture lines; each Edit names its rule ("newsletter.en", "terms_agree.de").

    Options: ``rules`` (rule classes to enable, default all of ``RULE_CLASSES``), ``languages``
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
        self._rules = tuple(rules) if rules is not None else RULE_CLASSES
        self._languages = tuple(languages) if languages is not None else None

    def setup(self) -> None:
        if not hasattr(self, "_rules"):  # after unpickling
            self._rules = tuple(self.rules) if self.rules is not None else RULE_CLASSES
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
