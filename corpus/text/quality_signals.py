"""The quality signals a build can record per document: one declaration, every schema derived from it.

A quality stage in ``mode: tag`` keeps the document and writes what it measured into
``Document.quality_signals`` (name -> number) and the rules it failed into
``Document.quality_failed`` (``"gopher_quality.stop_words"``, ...), so thresholds can be chosen
after the build, as RedPajama-V2 ships its signals. ``SIGNALS`` is the one list of them: the
Arrow struct of written shards, the Hugging Face Features and the JSON Schema all derive from it
(``corpus.document``), so every signal is a typed column, never a JSON string.

>>> SIGNALS["gopher_words"].kind, SIGNALS["fineweb_line_punct_ratio"].kind
('int', 'float')
>>> sorted({s.stage for s in SIGNALS.values()})
['c4_quality', 'fineweb_quality', 'gopher_quality', 'gopher_repetition']
"""

from __future__ import annotations

from typing import NamedTuple


class Signal(NamedTuple):
    name: str
    stage: str
    kind: str  # "int" | "float"
    description: str


def _declare(stage: str, *rows: tuple[str, str, str]) -> list[Signal]:
    return [Signal(name, stage, kind, description) for name, kind, description in rows]


_ALL = [
    *_declare(
        "gopher_quality",
        ("gopher_words", "int", "words that are not all punctuation or symbols"),
        ("gopher_mean_word_length", "float", "mean characters per such word"),
        ("gopher_hash_ratio", "float", "'#' per token"),
        ("gopher_ellipsis_ratio", "float", "'...' and '…' per token"),
        ("gopher_bullet_lines_ratio", "float", "share of lines starting with a bullet ('•' or '-')"),
        ("gopher_ellipsis_lines_ratio", "float", "share of lines ending with an ellipsis"),
        ("gopher_alpha_words_ratio", "float", "share of tokens with at least one letter"),
        ("gopher_stop_words", "int", "distinct stop words present"),
    ),
    *_declare(
        "gopher_repetition",
        ("gopher_dup_para_frac", "float", "share of paragraphs that repeat an earlier one"),
        ("gopher_dup_para_char_frac", "float", "characters in repeated paragraphs / all characters"),
        ("gopher_dup_line_frac", "float", "share of lines that repeat an earlier one"),
        ("gopher_dup_line_char_frac", "float", "characters in repeated lines / all characters"),
        *(
            (f"gopher_top_{n}_gram_frac", "float", f"characters of the most frequent {n}-gram, all copies")
            for n in (2, 3, 4)
        ),
        *(
            (f"gopher_dup_{n}_gram_frac", "float", f"characters in repeated {n}-grams / all characters")
            for n in range(5, 11)
        ),
    ),
    *_declare(
        "c4_quality",
        ("c4_lines", "int", "lines in the document"),
        ("c4_lines_kept", "int", "lines the C4 line rules keep"),
        ("c4_sentences", "int", "sentences in the kept lines"),
        ("c4_lorem_ipsum", "int", "1 when a kept line says 'lorem ipsum'"),
        ("c4_curly_bracket", "int", "1 when a kept line holds '{'"),
    ),
    *_declare(
        "fineweb_quality",
        ("fineweb_line_punct_ratio", "float", "share of non-blank lines ending in terminal punctuation"),
        ("fineweb_short_line_ratio", "float", "share of non-blank lines of at most 30 characters"),
        ("fineweb_char_dup_ratio", "float", "characters in repeated lines / characters"),
        ("fineweb_newline_ratio", "float", "newlines per word"),
    ),
]
SIGNALS: dict[str, Signal] = {s.name: s for s in _ALL}
