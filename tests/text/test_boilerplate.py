"""strip_boilerplate on real text: the sample article, multilingual cases, must-keep sentences."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from corpus import stages
from corpus.document import Document
from corpus.errors import ConfigError
from corpus.stages.boilerplate import StripBoilerplate
from corpus.text.boilerplate import (
    DEFAULT_RULES,
    RULE_CLASSES,
    candidate_lines,
    classify_line,
    compile_rules,
    normalize_line,
    reference,
    remove_lines,
    strip_boilerplate,
)
from corpus.text.boilerplate.compiler import NO_GUARD, rule_of_group
from corpus.text.boilerplate.fast import _rule, classify, code_like, link_bar, link_bar_rule, segment_bar_rule
from corpus.text.boilerplate.prefilter import candidate_lines_re, cue_finder
from tests.conftest import shared_path

# The cases are data (tests/data/boilerplate/*.jsonl, one JSON object a line, as ftfy's test
# cases): "label", "original", "expected" (what strip_boilerplate makes of the original) and
# "expect" ("pass", or "fail" for a known miss, run as xfail).
# furniture: lines verbatim from the full page text of ../shared/eval/extraction pages (label:
#   source, sh = scrapinghub-aeb, tr = trafilatura-eval, wx = wcxb, sample = data/sample; rule).
# keep: content that mentions the same words and must never be removed (written for this test,
#   or verbatim "keep" snippets of ../shared/eval/boilerplate where marked), and lines of Debian
#   manual pages and HTML documentation (../shared/bench) that hold furniture words but are
#   command lines, code, paths or section titles.
# edge: texts that hit the edges of the fast paths (cue positions, CRLF, astral characters).
DATA = Path(__file__).parents[1] / "data" / "boilerplate"


def _cases(name: str) -> list[dict[str, str]]:
    with (DATA / f"{name}.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _params(name: str) -> list:
    return [
        pytest.param(
            c, id=c["label"], marks=[pytest.mark.xfail(strict=True)] if c["expect"] == "fail" else []
        )
        for c in _cases(name)
    ]


FURNITURE = [c["original"] for c in _cases("furniture")]
MUST_KEEP = [c["original"] for c in _cases("keep")]
EDGE_TEXTS = [c["original"] for c in _cases("edge")]


@pytest.mark.parametrize("case", _params("furniture") + _params("keep") + _params("edge"))
def test_cases_strip_to_expected(case: dict[str, str]) -> None:
    assert strip_boilerplate(case["original"])[0] == case["expected"], case["label"]


@pytest.mark.parametrize("case", _params("furniture"))
def test_furniture_lines_are_classified(case: dict[str, str]) -> None:
    assert classify_line(case["original"]) is not None, case["label"]


@pytest.mark.parametrize("case", _params("keep"))
def test_content_mentioning_keywords_is_kept(case: dict[str, str]) -> None:
    assert classify_line(case["original"]) is None, case["label"]


def test_sample_article(sample_article: str) -> None:
    out = StripBoilerplate().apply(Document(id="s", text=sample_article))
    text = out.doc.text
    assert "Sign up to receive our latest news!" not in text
    assert "By submitting this form, I agree to the terms." not in text
    kept = [p for p in sample_article.split("\n") if p.strip()][:-2]
    assert [p for p in text.split("\n") if p.strip()] == kept  # every other paragraph verbatim
    assert text == sample_article[: len(text)]  # nothing re-flowed
    rules = [e.rule for e in out.edits]
    assert rules[0].startswith("newsletter.") and rules[1].startswith("terms_agree.")
    assert out.counts == {"removed.newsletter": 1, "removed.terms_agree": 1}
    assert all(sample_article[e.start : e.start + len(e.before)] == e.before for e in out.edits)


def test_idempotent_and_input_untouched(sample_article: str) -> None:
    doc = Document(id="s", text=sample_article)
    stage = StripBoilerplate()
    once = stage(doc)
    assert doc.text == sample_article
    assert stage(once).text == once.text
    assert stage.apply(once).edits == []


def test_blank_runs_collapse_only_where_created() -> None:
    text = "A\n\nShare\n\nB\n\n\nC\r\n"
    out, edits = remove_lines(text, {2: "share.en"})
    assert out == "A\n\nB\n\n\nC\r\n"
    assert [e.start for e in edits] == [3]
    assert strip_boilerplate("Share this article\nBody text here.")[0] == "Body text here."


def test_options_and_registry() -> None:
    stage = stages.build("strip_boilerplate", rules=["share"], languages=["en"])
    assert stage.get_config() == {
        "rules": ["share"],
        "languages": ["en"],
        "max_line_chars": 1000,
        "learned": True,
    }
    text = "Share on Twitter\nSign up for our newsletter\nBody."
    assert stage(Document(id="1", text=text)).text == "Sign up for our newsletter\nBody."
    german_only = StripBoilerplate(languages=["de"], learned=False)  # the model knows no languages
    assert german_only(Document(id="1", text="Artikel teilen\nShare on Twitter")).text == "Share on Twitter"
    assert pickle.loads(pickle.dumps(stage))(Document(id="1", text=text)).text.startswith("Sign up")
    for bad in ({"rules": ["nope"]}, {"languages": "en"}, {"max_line_chars": 0}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            StripBoilerplate(**bad)


def test_segment_bar_needs_a_furniture_label() -> None:
    c = compile_rules(RULE_CLASSES, None)
    assert segment_bar_rule("prices incl. vat. privacy policy | legal | refunds | cookies", c) == "terms.en"
    assert segment_bar_rule("home | news | sport | weather", c) is None  # generic labels only


def test_related_block_is_opt_in() -> None:
    end = "The article then goes on with a sentence that is long and ends the way prose does."
    text = f"Body text.\nRelated Stories\nHow Facebook gets the First Amendment backward\n{end}"
    assert "How Facebook" in strip_boilerplate(text, learned=False)[0]
    stage = StripBoilerplate(rules=["related", "related_block"], learned=False)
    out = stage.apply(Document(id="1", text=text))
    assert out.doc.text == f"Body text.\n{end}"
    assert [e.rule for e in out.edits] == ["related.en", "related_block"]
    assert out.counts == {"removed.related": 1, "removed.related_block": 1}


@pytest.mark.parametrize("case", _params("furniture"))
def test_every_classified_line_has_a_cue(case: dict[str, str]) -> None:
    line = case["original"]
    assert [i for i, *_ in candidate_lines("body.\n" + line.lower())] == [1], case["label"]


def test_cue_prefilter_loses_nothing_on_dev_pages() -> None:
    """The cue gate is part of the stage's meaning (``reference``); on the dev pages it may keep only a
    handful of the lines a rule classifies (19 of 18,696: "_Impressum", "Threads", "menu-line")."""
    shared_path("eval", "boilerplate", "SOURCE.txt")
    from scripts.eval.boilerplate import SOURCES, load_source

    classified = ungated = 0
    for source in SOURCES:
        for doc in load_source(source)[0]:
            low = doc.text.lower()
            gated = {i for i, *_ in candidate_lines(low)}
            for i, line in enumerate(doc.text.split("\n")):
                if classify_line(line) is not None:
                    classified += 1
                    ungated += i not in gated
    # a handful of icon labels ("menu-line") and cookie table rows ("Name: bcookie") only
    assert ungated <= 0.005 * classified, (ungated, classified)


def test_eval_in_sample_on_dev_data() -> None:
    """The shipped rules and model on the dev pages they were fitted on (not the headline)."""
    shared_path("eval", "boilerplate", "SOURCE.txt")
    from scripts.eval.boilerplate import run

    shipped = "in-sample (the dev pages the rules and model were fitted on): strip_boilerplate"
    rows = {r["metric"]: r["score"] for r in run(by_lang=False, loso=False) if r["note"] == shipped}
    for source in ("scrapinghub-aeb", "trafilatura-eval", "wcxb"):
        assert rows[f"{source}/kept"] >= 0.99, source
        assert rows[f"{source}/removed"] >= 0.95, source


@pytest.mark.slow
def test_eval_leave_one_source_out() -> None:
    """The headline (about 60 s): fitted on two sources, scored on the third. Floors at the
    measured figures, so a change that generalizes worse fails; the issue's targets are higher."""
    shared_path("eval", "boilerplate", "SOURCE.txt")
    pytest.importorskip("sklearn", reason="the leave-one-source-out folds fit the model with scikit-learn")
    from scripts.eval.boilerplate import loso_rows

    rows = {(r["metric"], r["note"].split(",")[0]): r["score"] for r in loso_rows()}
    floors = {"scrapinghub-aeb": 0.89, "trafilatura-eval": 0.78, "wcxb": 0.92}
    for source, floor in floors.items():
        model = rows[(f"loso/{source}/removed", "rules + line model")]
        assert model >= floor, source
        assert model >= rows[(f"loso/{source}/removed", "rules alone")], source
        assert rows[(f"loso/{source}/kept", "rules + line model")] >= 0.99, source


def test_the_code_guard_keeps_web_furniture_with_numbers_and_urls():
    assert classify_line("1.977 commentaires") is not None
    assert (
        classify_line("Abonnieren Sie jetzt den apolut-Newsletter: https://apolut.net/newsletter/")
        is not None
    )


# The fast paths (cue automaton, rule detectors, link-bar scanner, code-guard precheck) must give
# what the plain forms give; the edge texts hit their edges.


def _plain_candidates(low: str) -> list[int]:
    return sorted({low.count("\n", 0, m.start()) for m in cue_finder().finditer(low)})


@pytest.mark.parametrize("text", EDGE_TEXTS + FURNITURE + MUST_KEEP)
def test_candidate_lines_are_the_lines_the_plain_search_finds(text: str) -> None:
    low = text.lower()
    assert [i for i, *_ in candidate_lines(low)] == _plain_candidates(low)


@pytest.mark.parametrize("line", FURNITURE + MUST_KEEP + EDGE_TEXTS)
def test_fast_link_bar_and_code_guard_agree_with_the_plain_forms(line: str) -> None:
    c = compile_rules(RULE_CLASSES, None)
    norm = normalize_line(line)
    assert link_bar(norm, c) == link_bar_rule(norm, c.labels)
    assert code_like(line) == (reference.CODE_LIKE.search(line) is not None)


def _plain_rule(line: str) -> str | None:
    """The rule of a line by the named unions alone, without the detectors (the slow form)."""
    c = compile_rules(DEFAULT_RULES, None)
    norm = normalize_line(line)
    words = norm.count(" ") + 1
    for limit, leads, anywhere in c.buckets:
        if words <= limit:
            m = (leads.match(norm) if leads else None) or (anywhere.search(norm) if anywhere else None)
            return rule_of_group(m.lastgroup) if m else None
    return None


@pytest.mark.parametrize("words", [3, 4, 5, 6, 7, 12, 13, 25, 26, 45, 46, 60, 61])
@pytest.mark.parametrize(
    "head", ["Sign up for our newsletter", "Share on Facebook", "All rights reserved", "Lesen Sie auch"]
)
def test_rules_at_word_budget_boundaries(head: str, words: int) -> None:
    filler = " ".join(["today"] * max(0, words - len(head.split())))
    line = f"{head} {filler}".strip()
    if _plain_rule(line) is not None:
        assert classify_line(line) == _plain_rule(line), line


def test_crlf_lines_keep_their_carriage_return() -> None:
    text = "Body text.\r\nShare on Twitter\r\nMore body."
    out, edits = strip_boilerplate(text)
    assert out == "Body text.\r\nMore body."
    assert [(e.rule, e.before, e.start) for e in edits] == [("share.en", "Share on Twitter\r", 12)]


@pytest.mark.parametrize("text", [*EDGE_TEXTS, "Share \udcff this\nSign up", "x\n" * 3 + "ad1 pin2 ©"])
def test_cue_automaton_and_regex_scan_find_the_same_lines(text: str) -> None:
    low = text.lower()
    assert candidate_lines(low) == candidate_lines_re(low)


@pytest.mark.parametrize("rules", ["default", "all", "en", "de_fr"])
def test_literal_guards_agree_with_the_full_detectors(rules: str, sample_article: str) -> None:
    rule_set, languages = {
        "default": (DEFAULT_RULES, None),
        "all": (RULE_CLASSES, None),
        "en": (DEFAULT_RULES, ("en",)),
        "de_fr": (RULE_CLASSES, ("de", "fr")),
    }[rules]
    c = compile_rules(rule_set, languages)
    plain = c._replace(guards=[NO_GUARD] * len(c.guards))
    lines = FURNITURE + MUST_KEEP + EDGE_TEXTS + sample_article.split("\n")
    lines += ["Subscribe to the 9to5Toys YouTube Channel for all of the latest videos", "Teilen Sie"]
    for line in lines:
        assert _rule(line, c, 1000) == _rule(line, plain, 1000), line


CONFIGS = {
    "default": (DEFAULT_RULES, None, 1000),
    "all": (RULE_CLASSES, None, 1000),
    "en": (DEFAULT_RULES, ("en",), 1000),
    "de_fr": (RULE_CLASSES, ("de", "fr"), 1000),
    "short": (DEFAULT_RULES, None, 30),
}


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_fast_path_gives_what_the_reference_gives(config: str, sample_article: str) -> None:
    """Every line's rule, and every text's output, as ``reference`` defines them."""
    rules, languages, max_chars = CONFIGS[config]
    c = compile_rules(rules, languages)
    lines = FURNITURE + MUST_KEEP + sample_article.split("\n")
    lines += [line for t in EDGE_TEXTS for line in t.split("\n")]
    lines += [
        "Related Stories",
        "How Facebook gets the First Amendment backward",
        "menu-line",
        "Name: bcookie",
    ]
    for line in lines:
        low = line.lower()
        assert classify(low, c, max_chars) == reference.rule_of(low, rules, languages, max_chars), line
    text = "\n".join(
        [sample_article, *FURNITURE, "", *MUST_KEEP, "Related Stories", "A headline", *EDGE_TEXTS]
    )
    for t in [text, sample_article, *EDGE_TEXTS]:
        fast = strip_boilerplate(t, rules=rules, languages=languages, max_line_chars=max_chars, learned=False)
        assert fast == reference.strip(t, rules, languages, max_chars)


def test_the_cue_gate_is_part_of_the_meaning() -> None:
    """A line a rule marks but no cue holds stays (reference.has_cue): "menu-line" is a share label."""
    assert classify_line("menu-line") is not None and not reference.has_cue("menu-line")
    assert strip_boilerplate("Body.\nmenu-line")[0] == "Body.\nmenu-line"
