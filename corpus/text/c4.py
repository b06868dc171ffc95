"""C4's quality rules (Raffel et al. 2020, section 2.2; the TFDS c4_utils reference code).

Line rules drop a line: a word over 1,000 characters, no terminal punctuation (or an ellipsis at
its end), fewer than 3 words, "javascript", a cookie or terms-of-use phrase. Document rules drop
the page: "lorem ipsum" or "{" in a kept line, fewer than 5 sentences in the kept lines. Wikipedia
citation markers ("[1]", "[edit]", "[citation needed]") are removed from kept lines. The order is
datatrove 0.10.1's C4QualityFilter, whose first failed rule a drop names; sentences are counted
as spaCy's sentencizer splits the kept lines (a sentence ends at a terminal mark followed by a
word).

>>> r = c4_lines("Read this. It is fine. Then more. And more. Last one here.\\nEnable javascript now.")
>>> r.removed, r.signals["c4_sentences"], r.failed
([('javascript', 'Enable javascript now.')], 5, [])
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from corpus.text.words import words

CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
END_PUNCTUATION = (".", "?", "!", '"', "'")
# Closing quotes C4's ASCII list misses: with ``curly_quotes`` a news sentence ending in '.”' or '!»'
# counts as ending in punctuation, as '."' does in C4.
CURLY_QUOTES = ("”", "’", "»", "«", "」", "』", "›")
POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
# spaCy's Sentencizer.default_punct_chars: the marks after which a new sentence may start.
SENTENCE_MARKS = frozenset(
    "!.?։؟۔܀܁܂߹।॥၊။።፧፨᙮᜵᜶᠃᠉᥄᥅᪨᪩᪪᪫᭚᭛᭞᭟᰻᰼᱾᱿‼‽⁇⁈⁉⸮⸼꓿꘎꘏꛳꛷꡶꡷꣎꣏꤯꧈꧉꩝꩞꩟꫰꫱꯫﹒﹖﹗！．？｡"
    "\U00010a56\U00010a57\U00011047\U00011048\U000110be\U000110bf\U000110c0\U000110c1\U00011141"
    "\U00011142\U00011143\U000111c5\U000111c6\U000111cd\U000111de\U000111df\U00011238\U00011239"
    "\U0001123b\U0001123c\U000112a9\U0001144b\U0001144c\U000115c2\U000115c3\U000115c9\U000115ca"
    "\U000115cb\U000115cc\U000115cd\U000115ce\U000115cf\U000115d0\U000115d1\U000115d2\U000115d3"
    "\U000115d4\U000115d5\U000115d6\U000115d7\U00011641\U00011642\U0001173c\U0001173d\U0001173e"
    "\U00011c41\U00011c42\U00016a6e\U00016a6f\U00016af5\U00016b37\U00016b38\U00016b44\U0001bc9f"
    "\U0001da88\U00011a42\U00011a43\U00011a9b\U00011a9c"
)
_POLICY = re.compile("|".join(map(re.escape, POLICY)))
_MARK = re.compile("[" + re.escape("".join(sorted(SENTENCE_MARKS))) + "]")
_CLOSERS = "".join(SENTENCE_MARKS) + "\"'”’)]"


@dataclass
class C4Lines:
    kept: list[str]
    removed: list[tuple[str, str]] = field(default_factory=list)  # (rule, line)
    failed: list[str] = field(default_factory=list)  # document rules, in the reference order
    signals: dict[str, int] = field(default_factory=dict)


def count_sentences(line: str) -> int:
    """Sentences in ``line`` as spaCy's sentencizer counts them over its tokens."""
    if not line:
        return 0
    if not _MARK.search(line.rstrip(_CLOSERS)):
        return 1  # marks only at the end (or none): one sentence, whatever the tokens
    tokens = words(line, remember=False).tokens()
    count = 1 if tokens else 0
    seen_mark = False
    for tok in tokens:
        if tok in SENTENCE_MARKS:
            seen_mark = True
        elif seen_mark and not all(unicodedata.category(ch).startswith("P") for ch in tok):
            count += 1
            seen_mark = False
    return count


def c4_lines(
    text: str,
    *,
    min_words_per_line: int = 3,
    max_word_length: int = 1000,
    remove_citations: bool = True,
    terminal_punct: bool = True,
    curly_quotes: bool = False,
    javascript: bool = True,
    policy: bool = True,
    lorem_ipsum: bool = True,
    curly_bracket: bool = True,
    min_sentences: int = 5,
    stop_at_failure: bool = False,
) -> C4Lines:
    """Apply C4's line rules to ``text``; the document rules it fails are in ``failed``."""
    lines = text.splitlines()
    endings = END_PUNCTUATION + CURLY_QUOTES if curly_quotes else END_PUNCTUATION
    out = C4Lines(kept=[])
    sentences = 0
    for raw in lines:
        line = raw.strip()
        if len(line) > max_word_length >= 0 and any(len(w) > max_word_length for w in line.split()):
            out.removed.append(("too_long_word", raw))
            continue
        cited = line
        if remove_citations and "[" in line:
            line = CITATION.sub("", line)
        if terminal_punct and (not line.endswith(endings) or line.endswith("...")):
            out.removed.append(("no_terminal_punct", raw))
            continue
        if len(cited.split()) < min_words_per_line:  # words counted before citations go, as C4 does
            out.removed.append(("too_few_words", raw))
            continue
        lower = line.lower()
        if lorem_ipsum and "lorem ipsum" in lower and "lorem_ipsum" not in out.failed:
            out.failed.append("lorem_ipsum")
            if stop_at_failure:
                break
        if javascript and "javascript" in lower:
            out.removed.append(("javascript", raw))
            continue
        if curly_bracket and "{" in line and "curly_bracket" not in out.failed:
            out.failed.append("curly_bracket")
            if stop_at_failure:
                break
        if policy and _POLICY.search(lower):
            out.removed.append(("policy", raw))
            continue
        if min_sentences >= 0 and not (stop_at_failure and sentences >= min_sentences):
            sentences += count_sentences(line)  # dropping: counting stops once there are enough
        out.kept.append(line)
    if not out.failed or not stop_at_failure:
        if min_sentences >= 0 and sentences < min_sentences:
            out.failed.append("too_few_sentences")
    out.signals = {
        "c4_lines": len(lines),
        "c4_lines_kept": len(out.kept),
        "c4_sentences": sentences,
        "c4_lorem_ipsum": int("lorem_ipsum" in out.failed),
        "c4_curly_bracket": int("curly_bracket" in out.failed),
    }
    return out
