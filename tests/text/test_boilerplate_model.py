"""The learned line model of strip_boilerplate on real text: the shipped weights, learned
removals and their reasons, vetoes, the rule gate, copyright, the stage, and (slow) that the
shipped model.json is what ``python -m scripts.train.boilerplate`` writes."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from corpus import explain
from corpus.document import Document
from corpus.stages.boilerplate import StripBoilerplate
from corpus.text.boilerplate import DEFAULT_RULES, RULE_CLASSES, classify_line, strip_boilerplate
from corpus.text.boilerplate.features import (
    _DOC_BINS,
    _END_PUNCT,
    _WORD_BINS,
    CUE_CLASSES,
    Context,
    line_features,
)
from corpus.text.boilerplate.model import LineModel, decide, learned_class, shipped_model
from corpus.text.boilerplate.prefilter import candidate_lines
from corpus.text.boilerplate.reference import CUES

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SAMPLE = ROOT / "data" / "sample" / "pompeo-nagorno-karabakh.txt"

SIGNUP = "Sign up to receive our latest news!"  # the sample article's own furniture: newsletter.en
AGREE = "By submitting this form, I agree to the terms."  # ... and terms_agree.en
UNNAMED = "Sharing is caring!"  # furniture no rule names (a share call phrased unusually)


@pytest.fixture(scope="module")
def body() -> str:
    """The first three paragraphs of the sample article: real prose with a Twitter handle."""
    paragraphs = SAMPLE.read_text(encoding="utf-8").split("\n\n")
    return "\n\n".join(p.strip() for p in paragraphs[:3])


@pytest.fixture(scope="module")
def page(body: str) -> str:
    """A page: the article, a share call no rule names, then the sample's two furniture lines."""
    return f"{body}\n\n{UNNAMED}\n{SIGNUP}\n\n{AGREE}\n"


def _bins(bins: tuple[int, ...]) -> set[str]:
    return {str(b) for b in bins} | {f">{bins[-1]}"}


def emittable_features() -> set[str]:
    """Every feature ``line_features`` can emit, spelled out from its definition."""
    rules = {"rule:-"} | {f"rule:{c}" for c in RULE_CLASSES}
    words = {f"w:{b}" for b in _bins(_WORD_BINS)}
    ends = {f"end:{e}" for e in {*_END_PUNCT.values(), "a", "o"}}
    docs = {f"doc:{b}" for b in _bins(_DOC_BINS)}
    crosses = {f"{d}&{f}" for d in docs for f in rules | words | ends}
    sides = {
        f"{side}:{what}"
        for side in ("prev", "next")
        for what in ("edge", "adjacent", "rule", "cue", "short", "prose", "long")
    }
    fixed = {"bias", "cue@start", "bar", "digit", "year", "url", "at", "you", "indent"}
    fixed |= {"case:title", "case:upper", "case:lower", "wrap:in", "wrap:out"}
    fixed |= {f"body:{b}" for b in ("before", "in", "after", "none")}
    fixed |= {f"pos:{k}" for k in range(5)}
    fixed |= {f"cue:{k}" for k in range(len(CUES))}
    return rules | words | ends | docs | crosses | sides | fixed


def features_of(text: str, line: str, **kw: object) -> list[str]:
    """The features ``strip_boilerplate`` computes for ``line`` of ``text`` (rules as given)."""
    lines = text.split("\n")
    found = candidate_lines(text.lower())
    ruled = {i: r for i, _, _ in found if (r := classify_line(lines[i], **kw)) is not None}  # type: ignore[arg-type]
    return line_features(lines.index(line), Context(lines, ruled, {i for i, _, _ in found}))


# --- the shipped model --------------------------------------------------------------------------


def test_shipped_model_loads_from_package_data() -> None:
    model = shipped_model()
    assert isinstance(model, LineModel)
    assert 0.0 < model.threshold < 1.0
    assert model.trained_on.strip()
    assert len(model.weights) > 50
    assert all(isinstance(w, float) for w in model.weights.values())
    raw = resources.files("corpus.text.boilerplate.rules").joinpath("model.json").read_text(encoding="utf-8")
    assert LineModel.from_dict(json.loads(raw)) == model


def test_every_weight_is_a_feature_line_features_can_emit() -> None:
    weights = shipped_model().weights
    unknown = sorted(set(weights) - emittable_features())
    assert not unknown, f"weights for features line_features never emits: {unknown}"
    prefixes = ("bias", "rule:", "w:", "cue:", "cue@start", "end:", "case:", "bar", "digit", "year", "url")
    prefixes += ("at", "you", "pos:", "doc:", "body:", "prev:", "next:", "indent", "wrap:")
    assert all(k.startswith(prefixes) for k in weights)
    for k in weights:
        if k.startswith("cue:"):
            assert 0 <= int(k[4:]) < len(CUES), k
        if "&" in k:
            cross, what = k.split("&")
            assert cross.startswith("doc:") and what.startswith(("rule:", "w:", "end:")), k
    # the model knows the signals that matter: the rule, the cue blocks, the neighbours
    assert {"bias", "rule:-", "cue@start", "next:rule", "prev:rule"} <= set(weights)


def test_cue_classes_name_one_class_per_cue_block() -> None:
    assert len(CUE_CLASSES) == len(CUES)
    assert set(CUE_CLASSES) <= {*RULE_CLASSES, "furniture"}
    assert [learned_class([f"cue:{k}"]) for k in range(len(CUES))] == CUE_CLASSES
    assert learned_class(["bias", "cue:11", "cue:5"]) == "follow"  # the first class block names it


def test_features_of_a_real_page_are_all_known(page: str) -> None:
    """What the model is asked about on a real page lies inside the vocabulary above."""
    lines = page.split("\n")
    found = candidate_lines(page.lower())
    ctx = Context(lines, {}, {i for i, _, _ in found})
    emitted = {f for i, _, _ in found for f in line_features(i, ctx)}
    assert emitted <= emittable_features()
    assert "body:after" in line_features(lines.index(UNNAMED), ctx)


# --- learned removals, vetoes and the gate -------------------------------------------------------


def test_learned_removal_on_a_real_page(page: str) -> None:
    assert classify_line(UNNAMED) is None  # no rule names it ...
    out, edits = strip_boilerplate(page)
    by_line = {e.before: e for e in edits}
    assert set(by_line) == {UNNAMED, SIGNUP, AGREE}
    learned = by_line[UNNAMED]  # ... the model removes it, named after its cue block
    assert learned.rule == "share.learned"
    assert learned.why.startswith("p=")
    p = float(learned.why[2:6])
    assert shipped_model().threshold <= p <= 1.0
    assert "next:rule" in learned.why  # the rule-marked sign-up line right below is the reason
    assert f"({learned.why})" in learned.describe()
    assert by_line[SIGNUP].rule == "newsletter.en" and by_line[SIGNUP].why == ""
    assert by_line[AGREE].rule == "terms_agree.en" and "(" not in by_line[AGREE].describe()
    assert UNNAMED not in out and out.startswith(page.split("\n")[0])
    assert page.index(UNNAMED) == learned.start

    rules_only, rule_edits = strip_boilerplate(page, learned=False)
    assert UNNAMED in rules_only.split("\n")
    assert [e.rule for e in rule_edits] == ["newsletter.en", "terms_agree.en"]
    assert all(e.why == "" for e in rule_edits)


def test_explain_shows_why_a_learned_line_went(page: str) -> None:
    report = explain(page)
    line = next(x for x in report.splitlines() if "[share.learned]" in x)
    assert repr(UNNAMED) in line
    assert "(p=" in line and "next:rule" in line
    assert "removed.share 1" in report


def test_model_vetoes_a_rule_hit_inside_a_wrapped_paragraph() -> None:
    """A hard-wrapped paragraph whose middle line opens with "read more": the related rule marks
    it, the model sees a lower-case line that continues the paragraph and keeps it."""
    paragraph = (
        "Officials in Stepanakert urged residents to stay in the shelters and to\n"
        "read more about the evacuation routes listed on the city website before\n"
        "nightfall, a spokesman for the regional government said on Friday."
    )
    middle = paragraph.split("\n")[1]
    assert classify_line(middle) == "related.en"
    text = f"{paragraph}\n\n{SIGNUP}"
    feats = features_of(text, middle)
    assert {"rule:related", "case:lower", "wrap:in", "wrap:out"} <= set(feats)
    assert shipped_model().probability(feats) < shipped_model().threshold
    out, edits = strip_boilerplate(text)
    assert out == paragraph
    assert [e.rule for e in edits] == ["newsletter.en"]
    rules_only, _ = strip_boilerplate(text, learned=False)
    assert middle not in rules_only  # the rules alone cut the sentence in half


def test_no_learned_removal_where_no_rule_fires(body: str) -> None:
    """The gate: the same share call, in a page where no rule finds furniture, stays."""
    for text in (f"{body}\n\n{UNNAMED}\n", f"{body}\n\n{UNNAMED}\nFollow the author\n"):
        lines = text.split("\n")
        assert any(i for i, _, _ in candidate_lines(text.lower()))  # cue lines are there ...
        assert all(classify_line(x) is None for x in lines)  # ... but no rule marks one
        # the model alone would call the last line furniture: only the gate keeps it
        found = [i for i, _, _ in candidate_lines(text.lower())]
        drop, _ = decide(lines, {}, found, shipped_model(), (*DEFAULT_RULES, "furniture"))
        assert drop and max(drop) == len(lines) - 2
        assert strip_boilerplate(text, learned=True) == (text, [])
    prose = (
        "Both governments said they would share intelligence and follow the ceasefire terms, "
        "and the ministers agreed to sign up observers from the OSCE Minsk Group."
    )
    assert candidate_lines(prose.lower())
    assert strip_boilerplate(prose) == (prose, [])


# --- copyright ------------------------------------------------------------------------------------

COPYRIGHT = "© 2020 The Sample Times. All rights reserved."
NO_COPYRIGHT = tuple(r for r in DEFAULT_RULES if r != "copyright")


def test_copyright_is_its_rule_class_and_the_model_never_adds_it(body: str) -> None:
    text = f"{body}\n\n{SIGNUP}\n\n{COPYRIGHT}"
    out, edits = strip_boilerplate(text)
    assert [e.rule for e in edits] == ["newsletter.en", "copyright.en"]
    assert COPYRIGHT not in out

    # the model would call it furniture, but without the copyright rule class it stays
    feats = features_of(text, COPYRIGHT, rules=NO_COPYRIGHT)
    assert "rule:-" in feats and learned_class(feats) == "copyright"
    assert shipped_model().probability(feats) >= shipped_model().threshold
    out, edits = strip_boilerplate(text, rules=NO_COPYRIGHT)
    assert [e.rule for e in edits] == ["newsletter.en"]
    assert out.endswith(f"\n\n{COPYRIGHT}")


def test_copyright_is_never_vetoed() -> None:
    """A copyright line the model scores as content still goes with its rule."""
    text = (
        "    int main(void) { return fwrite(buf, 1, n, stdout); }  /* see fwrite(3) */\n"
        "    static int x_y; x->z = a::b(); /usr/include/stdio.h\n"
        "    Copyright (C) 2020 Free Software Foundation, Inc.\n"
        "\n"
        "Sign up for our newsletter\n"
    )
    line = text.split("\n")[2]
    assert classify_line(line) == "copyright.en"
    feats = features_of(text, line)
    assert shipped_model().probability(feats) < shipped_model().threshold
    _, edits = strip_boilerplate(text)
    assert [(e.rule, e.before) for e in edits if e.rule.startswith("copyright")] == [("copyright.en", line)]


def test_copyright_word_line_is_not_learned_as_terms(body: str) -> None:
    line = "Copyright 2020 The Sample Times"
    text = f"{body}\n\n{SIGNUP}\n\n{line}"
    assert classify_line(line) == "copyright.en"
    out, _ = strip_boilerplate(text, rules=NO_COPYRIGHT)
    assert out.endswith(f"\n\n{line}")


# --- the stage --------------------------------------------------------------------------------------


def test_stage_learned_option_and_counts(page: str) -> None:
    doc = Document(id="p", text=page)
    rules_only = StripBoilerplate(learned=False).apply(doc)
    text, edits = strip_boilerplate(page, learned=False)
    assert rules_only.doc.text == text and rules_only.edits == edits
    assert rules_only.counts == {"removed.newsletter": 1, "removed.terms_agree": 1}

    learned = StripBoilerplate().apply(doc)
    assert learned.doc.text == strip_boilerplate(page)[0] != text
    assert learned.counts == {"removed.share": 1, "removed.newsletter": 1, "removed.terms_agree": 1}
    assert [e.why != "" for e in learned.edits] == [True, False, False]
    assert StripBoilerplate().get_config()["learned"] is True


# --- training ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_shipped_model_is_what_the_trainer_writes() -> None:
    """Training is deterministic: the trainer, run in-process on ../shared, gives model.json."""
    for need in (SHARED / "eval" / "boilerplate", SHARED / "bench" / "base_text.jsonl.zst"):
        if not need.exists():
            pytest.skip(f"needs {need} (the team's shared data) to train the model")
    pytest.importorskip("sklearn", reason="training needs scikit-learn (the dev extra)")
    pytest.importorskip("zstandard", reason="reading the bench needs zstandard")
    from corpus.text.boilerplate import compile_rules
    from scripts.train.boilerplate import MODEL_PATH, SOURCES, load_all, train_model

    model = train_model(load_all(), SOURCES, compile_rules(DEFAULT_RULES, None))
    shipped = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    trained = model.to_dict()
    assert trained["threshold"] == shipped["threshold"]
    assert trained["trained_on"] == shipped["trained_on"]
    assert trained["weights"] == shipped["weights"]
    assert trained == shipped
