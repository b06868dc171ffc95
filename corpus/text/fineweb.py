"""FineWeb's quality signals (Penedo et al. 2024, "The FineWeb Datasets", section 3.4).

Four rules on lines: at least 12% of non-blank lines end in terminal punctuation, at most 67% are
30 characters or shorter, at most 1% of the characters are in lines repeating an earlier line,
at most 0.3 newlines per word. Thresholds and order are datatrove 0.10.1's FineWebQualityFilter;
words are ``corpus.text.words`` (spaCy's English tokenization, as datatrove counts them).

>>> s = fineweb_signals("A line that ends well.\\nmenu\\nmenu\\n", 7)
>>> s["fineweb_line_punct_ratio"], s["fineweb_short_line_ratio"], s["fineweb_newline_ratio"]
(0.3333333333333333, 1.0, 0.42857142857142855)
"""

from __future__ import annotations

from corpus.text.gopher import duplicates
from corpus.text.words import TERMINAL_PUNCTUATION

# (rule, signal, comparison, option) in the reference order.
RULES = (
    ("line_punct_ratio", "fineweb_line_punct_ratio", "<", "line_punct_thr"),
    ("short_line_ratio", "fineweb_short_line_ratio", ">", "short_line_thr"),
    ("char_dup_ratio", "fineweb_char_dup_ratio", ">", "char_duplicates_ratio"),
    ("list_ratio", "fineweb_newline_ratio", ">", "new_line_ratio"),
)


def fineweb_signals(text: str, n_words: int, short_line_length: int = 30) -> dict[str, float] | None:
    """The FineWeb signals of ``text`` with ``n_words`` words; None when it has no non-blank line."""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return None
    n = len(lines)
    newlines = text.count("\n")
    return {
        "fineweb_line_punct_ratio": sum(1 for line in lines if line[-1] in TERMINAL_PUNCTUATION) / n,
        "fineweb_short_line_ratio": sum(1 for line in lines if len(line) <= short_line_length) / n,
        "fineweb_char_dup_ratio": duplicates(lines)[1] / (len(text) - newlines),
        "fineweb_newline_ratio": newlines / n_words if n_words else float(newlines > 0),
    }
