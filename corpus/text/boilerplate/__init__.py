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

from corpus.document import Edit
from corpus.text.boilerplate.compiler import compile_rules
from corpus.text.boilerplate.fast import classify, classify_lines
from corpus.text.boilerplate.guard import protect
from corpus.text.boilerplate.lines import related_zones, remove_lines
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
) -> tuple[str, list[Edit]]:
    """Remove furniture lines from ``text``; return the new text and one Edit per removed line.

    ``rules``: rule classes to enable (default ``DEFAULT_RULES``); ``languages``: ISO codes
    whose patterns to enable (default all); lines longer than ``max_line_chars`` always stay.

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
    compiled = compile_rules(rule_set, langs)
    low = text.lower()
    if len(low) != len(text):  # rare: lowercasing changed lengths; classify the original lines
        low = "\n".join(line.lower() if len(line.lower()) == len(line) else line for line in text.split("\n"))
    drop = classify_lines(low, compiled, max_line_chars)
    if not drop:
        return text, []
    lines = text.split("\n")
    drop = protect(lines, drop)  # the technical guard: code, options, man headings, manuals
    if "related_block" in rule_set and any(r.startswith("related") for r in drop.values()):
        drop.update(related_zones(lines, drop))  # opt-in: not in DEFAULT_RULES
    return remove_lines(text, drop, lines)


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
