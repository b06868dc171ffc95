"""The quality stages: ``gopher_quality``, ``gopher_repetition``, ``c4_quality``, ``fineweb_quality``.

Thin wrappers around ``corpus.text.gopher``, ``corpus.text.c4`` and ``corpus.text.fineweb``. Each
computes its signals once and, in ``mode: drop`` (the default), drops a document that fails a
rule with that rule as its reason (``gopher_quality.few_stop_words``: the first failed rule, in
the reference's order); in ``mode: tag`` it keeps every document and records the signals in
``quality_signals`` and every failed rule in ``quality_failed``, so thresholds can be chosen
after the build. A threshold set to null switches its rule off.

``language``: ``auto`` splits words by the document's ``lang`` (Chinese and Japanese segmented,
others by spaCy's English rules) and applies the Gopher stop-word rule only to English or
undetected documents (the stop words are English); ``en`` treats every document as English, as
datatrove's filters do by default.

>>> text = "I am at it, as we go by. " * 20
>>> GopherQuality().apply(Document("1", text)).reason
'short_mean_word'
>>> out = GopherQuality(mode="tag").apply(Document("1", text))
>>> out.doc.quality_failed, out.doc.quality_signals["gopher_words"]
(['gopher_quality.short_mean_word', 'gopher_quality.few_stop_words'], 160)
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, ClassVar

from corpus.document import Document, Edit
from corpus.options import Option
from corpus.stages.base import Outcome, Stage
from corpus.text import c4, fineweb, gopher
from corpus.text.words import words

_COMPARE = {"<": operator.lt, ">": operator.gt}
MODES = ("drop", "tag")
LANGUAGES = ("auto", "en")


def _threshold(default: float | int, doc: str, kind: type = float) -> Option:
    return Option(default, doc, kind=kind, min=0, nullable=True)


_COMMON = {
    "mode": Option("drop", "drop a failing document, or tag it and keep it", choices=MODES),
    "language": Option(
        "auto", "word splitting: by the document's lang, or English for all", choices=LANGUAGES
    ),
}


class QualityStage(Stage):
    """A stage that measures signals and compares them with thresholds (subclasses fill ``signals``)."""

    RULES: ClassVar[tuple[tuple[str, str, str, str], ...]] = ()

    def lang(self, doc: Document) -> str:
        return "en" if self.language == "en" else (doc.lang or "en")

    def signals(self, doc: Document) -> dict[str, Any] | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def failures(self, doc: Document, values: dict[str, Any]) -> list[str]:
        failed = []
        for rule, signal, op, option in self.RULES:
            limit = getattr(self, option)
            if signal not in values:
                continue  # not measured: an earlier rule already failed (drop mode stops there)
            if limit is not None and limit != 0 and _COMPARE[op](values[signal], limit):
                failed.append(rule)
        return failed

    def apply(self, doc: Document) -> Outcome:
        values = self.signals(doc)
        if values is None:
            failed = ["empty"]
            values = {}
        else:
            failed = self.failures(doc, values)
        return self.decide(doc, values, failed)

    def decide(self, doc: Document, values: dict[str, Any], failed: list[str]) -> Outcome:
        if self.mode == "drop":
            return Outcome.drop(failed[0]) if failed else Outcome(doc)
        tagged = dataclasses.replace(
            doc,
            quality_signals={**doc.quality_signals, **values},
            quality_failed=[*doc.quality_failed, *(f"{self.name}.{rule}" for rule in failed)],
        )
        return Outcome(tagged, counts={f"tagged.{rule}": 1 for rule in failed})


class GopherQuality(QualityStage):
    """Gopher's quality rules: word count, mean word length, symbols, bullets, letters, stop words."""

    name = "gopher_quality"
    RULES = gopher.QUALITY_RULES
    OPTIONS: ClassVar[dict[str, Option]] = {
        **_COMMON,
        "min_doc_words": _threshold(50, "fewest words", int),
        "max_doc_words": _threshold(100_000, "most words", int),
        "min_avg_word_length": _threshold(3, "shortest mean word length"),
        "max_avg_word_length": _threshold(10, "longest mean word length"),
        "max_symbol_word_ratio": _threshold(0.1, "most '#' or ellipses per word"),
        "max_bullet_lines_ratio": _threshold(0.9, "largest share of lines starting with a bullet"),
        "max_ellipsis_lines_ratio": _threshold(0.3, "largest share of lines ending with an ellipsis"),
        "min_alpha_words_ratio": _threshold(0.8, "smallest share of words with a letter"),
        "min_stop_words": _threshold(2, "fewest distinct stop words (English documents)", int),
        "stop_words": Option(sorted(gopher.STOP_WORDS), "the stop words", kind=list, items=str),
    }

    def configure(self) -> None:
        self._stop = frozenset(self.stop_words)

    def signals(self, doc: Document) -> dict[str, Any]:
        lang = self.lang(doc)
        return gopher.quality_signals(doc.text, words(doc.text, lang), self._stop)

    def failures(self, doc: Document, values: dict[str, Any]) -> list[str]:
        failed = super().failures(doc, values)
        if "few_stop_words" in failed and self.language == "auto" and doc.lang not in ("", "en", "und"):
            failed.remove("few_stop_words")  # English stop words say nothing of another language
        if values["gopher_words"] == 0 and "short_mean_word" in failed:
            failed.remove("short_mean_word")  # no words: short_doc already says it
        return failed


class GopherRepetition(QualityStage):
    """Gopher's repetition rules: repeated lines and paragraphs, top and repeated n-grams."""

    name = "gopher_repetition"
    RULES = gopher.REPETITION_RULES
    OPTIONS: ClassVar[dict[str, Option]] = {
        **_COMMON,
        "dup_para_frac": _threshold(0.3, "largest share of repeated paragraphs"),
        "dup_para_char_frac": _threshold(0.2, "largest share of characters in repeated paragraphs"),
        "dup_line_frac": _threshold(0.3, "largest share of repeated lines"),
        "dup_line_char_frac": _threshold(0.2, "largest share of characters in repeated lines"),
        **{
            f"top_{n}_gram_frac": _threshold(limit, f"largest share of characters in the top {n}-gram")
            for n, limit in ((2, 0.2), (3, 0.18), (4, 0.16))
        },
        **{
            f"dup_{n}_gram_frac": _threshold(limit, f"largest share of characters in repeated {n}-grams")
            for n, limit in zip(range(5, 11), (0.15, 0.14, 0.13, 0.12, 0.11, 0.10), strict=True)
        },
    }

    def configure(self) -> None:
        self._limits = {signal: getattr(self, option) for _, signal, _, option in self.RULES}
        self._limits = {k: v for k, v in self._limits.items() if v}

    def signals(self, doc: Document) -> dict[str, Any] | None:
        if not doc.text:
            return None
        limits = self._limits if self.mode == "drop" else None
        return gopher.repetition_signals(doc.text, words(doc.text, self.lang(doc)), limits)


class FineWebQuality(QualityStage):
    """FineWeb's rules: terminal punctuation, short lines, repeated-line characters, newlines per word."""

    name = "fineweb_quality"
    RULES = fineweb.RULES
    OPTIONS: ClassVar[dict[str, Option]] = {
        **_COMMON,
        "line_punct_thr": _threshold(0.12, "smallest share of lines ending in terminal punctuation"),
        "short_line_thr": _threshold(0.67, "largest share of short lines"),
        "short_line_length": Option(30, "a line this long or shorter is short", kind=int, min=1),
        "char_duplicates_ratio": _threshold(0.01, "largest share of characters in repeated lines"),
        "new_line_ratio": _threshold(0.3, "most newlines per word"),
    }

    def signals(self, doc: Document) -> dict[str, Any] | None:
        if not doc.text.strip():
            return None  # no non-blank line: fineweb_signals would say so after splitting words
        n_words = len(words(doc.text, self.lang(doc)))
        return fineweb.fineweb_signals(doc.text, n_words, self.short_line_length)


class C4Quality(QualityStage):
    """C4's rules: lines without terminal punctuation, short, javascript or policy lines are removed;
    pages with lorem ipsum, a curly bracket or fewer than 5 sentences are dropped."""

    name = "c4_quality"
    OPTIONS: ClassVar[dict[str, Option]] = {
        **_COMMON,
        "min_words_per_line": Option(3, "a kept line has at least this many words", kind=int, min=0),
        "max_word_length": Option(1000, "a line with a longer word is removed", kind=int, min=1),
        "remove_citations": Option(True, "remove [1], [edit], [citation needed]", kind=bool),
        "terminal_punct": Option(True, "remove lines not ending in . ? ! or a quote", kind=bool),
        "curly_quotes": Option(False, "count ” ’ » « 」 』 › as quotes too (C4: ASCII only)", kind=bool),
        "javascript": Option(True, "remove lines that mention javascript", kind=bool),
        "policy": Option(True, "remove terms-of-use, privacy and cookie lines", kind=bool),
        "lorem_ipsum": Option(True, "drop pages saying lorem ipsum", kind=bool),
        "curly_bracket": Option(True, "drop pages with a '{'", kind=bool),
        "min_sentences": Option(
            5, "drop pages with fewer sentences in kept lines (null: off)", kind=int, min=0, nullable=True
        ),
    }

    def apply(self, doc: Document) -> Outcome:
        options = {k: getattr(self, k) for k in self.OPTIONS if k not in _COMMON}
        options["min_sentences"] = -1 if self.min_sentences is None else self.min_sentences
        result = c4.c4_lines(doc.text, stop_at_failure=self.mode == "drop", **options)
        if self.mode == "tag":
            return self.decide(doc, result.signals, result.failed)
        if result.failed:
            return Outcome.drop(result.failed[0])
        text = "\n".join(result.kept).strip()
        if text == doc.text:
            return Outcome(doc)
        edits = [Edit(f"c4.{rule}", line) for rule, line in result.removed if line.strip()]
        counts: dict[str, int] = {}
        for rule, _ in result.removed:
            counts[f"lines.{rule}"] = counts.get(f"lines.{rule}", 0) + 1
        return Outcome(dataclasses.replace(doc, text=text), edits=edits, counts=counts)
