"""Remove page furniture lines: sign-up, newsletter, terms, cookie, share, follow, related, ad, ...

Text-level and line-based: a line goes only when the WHOLE line looks like furniture (a button
label, a link bar, a consent or cookie notice, an ad label), never because a keyword occurs
somewhere in it. So "Sign up to receive our latest news!" goes, while "The company changed its
terms of service after the lawsuit." stays. Every other line is left byte-identical; blank-line
runs are collapsed only where a removal created them.

Modules: ``rules`` (the data), ``reference`` (what a rule means; the slow classifier),
``compiler`` (rules -> combined regexes, detectors, guards), ``prefilter`` (the cue gate),
``fast`` (classification with the compiled rules), ``lines`` (line removal, related zones).
``related_block`` (opt-in, not in ``DEFAULT_RULES``) also removes the teaser headlines under a
related-links heading; on the dev data it cost more content than it removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from corpus.document import Edit
from corpus.text.boilerplate.compiler import Compiled, compile_rules
from corpus.text.boilerplate.fast import classify, classify_lines
from corpus.text.boilerplate.guard import protect
from corpus.text.boilerplate.lines import related_zones, remove_lines
from corpus.text.boilerplate.model import LineModel, decide, shipped_model
from corpus.text.boilerplate.prefilter import candidate_lines
from corpus.text.boilerplate.reference import DEFAULT_RULES, LANGUAGES, RULE_CLASSES, normalize_line

__all__ = [
    "DEFAULT_RULES",
    "LANGUAGES",
    "RULE_CLASSES",
    "candidate_lines",
    "classify_line",
    "compile_rules",
    "normalize_line",
    "remove_lines",
    "strip_boilerplate",
]


def _key(rules: Sequence[str] | None, languages: Sequence[str] | None) -> tuple:
    return (DEFAULT_RULES if rules is None else tuple(rules), None if languages is None else tuple(languages))


def strip_boilerplate(
    text: str,
    *,
    rules: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    max_line_chars: int = 1000,
    learned: bool = True,
) -> tuple[str, list[Edit]]:
    """Remove furniture lines from ``text``; return the new text and one Edit per removed line.

    ``rules``: rule classes to enable (default ``DEFAULT_RULES``); ``languages``: ISO codes
    whose patterns to enable (default all); lines longer than ``max_line_chars`` always stay;
    ``learned``: let the line model (``model``) veto rule hits and remove the furniture lines no
    rule names (``<class>.learned``; each such Edit says why); False: the rules alone.

    The sample article (data/sample/pompeo-nagorno-karabakh.txt) ends with two such lines:

    >>> text = "Peace talks resumed.\\n\\nSign up to receive our latest news!\\n\\n"
    >>> text += "By submitting this form, I agree to the terms."
    >>> out, edits = strip_boilerplate(text)
    >>> out
    'Peace talks resumed.'
    >>> [(e.rule, e.start, e.before) for e in edits][0]
    ('newsletter.en', 22, 'Sign up to receive our latest news!')
    >>> edits[1].rule
    'terms_agree.en'
    """
    rule_set, langs = _key(rules, languages)
    model = shipped_model() if learned else None
    return strip_with(text, compile_rules(rule_set, langs), rule_set, max_line_chars, model)


def strip_with(
    text: str, compiled: Compiled, rule_set: tuple[str, ...], max_line_chars: int, model: LineModel | None
) -> tuple[str, list[Edit]]:
    """``strip_boilerplate`` with compiled rules and a model given (None: the rules alone)."""
    low = text.lower()
    if len(low) != len(text):  # rare: lowercasing changed lengths; classify the original lines
        low = "\n".join(line.lower() if len(line.lower()) == len(line) else line for line in text.split("\n"))
    candidates = candidate_lines(low)
    if not candidates:
        return text, []
    ruled = classify_lines(low, compiled, max_line_chars, candidates)
    if not ruled:  # the model reads only documents where a rule found furniture
        return text, []
    lines = text.split("\n")
    why: dict[int, str] = {}
    if model is None:
        drop = ruled
    else:
        allowed = (*rule_set, "furniture")
        usable = [i for i, _, _ in candidates if i in ruled or len(lines[i]) <= max_line_chars]
        drop, why = decide(lines, ruled, usable, model, allowed, text)
        if not drop:
            return text, []
    drop = protect(lines, drop)  # the technical guard: code, options, man headings, manuals
    if "related_block" in rule_set and any(r.startswith("related") for r in drop.values()):
        drop.update(related_zones(lines, drop))  # opt-in: not in DEFAULT_RULES
    out, edits = remove_lines(text, drop, lines)
    if why:
        edits = [replace(e, why=why[i]) if i in why else e for i, e in zip(sorted(drop), edits, strict=True)]
    return out, edits


def classify_line(
    line: str,
    *,
    rules: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    max_line_chars: int = 1000,
) -> str | None:
    """The id of the rule that marks ``line`` as furniture ("newsletter.en", ...), or None.

    Unlike ``strip_boilerplate``, this skips the cue gate: it says what the rules say.

    >>> classify_line("Sign up for our newsletter")
    'newsletter.en'
    >>> classify_line("Privacy Policy | Terms of Use | Sitemap")
    'terms.en'
    >>> classify_line("The company changed its terms of service after the lawsuit.") is None
    True
    """
    return classify(line, compile_rules(*_key(rules, languages)), max_line_chars)
