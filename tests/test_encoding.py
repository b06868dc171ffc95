"""The fix_encoding stage: ftfy's cases, clean text untouched, the gate never skips a repair."""

from __future__ import annotations

import io
import json
import pickle
import random
import unicodedata

import ftfy
import pytest
from conftest import shared_path
from ftfy import fixes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import stages
from corpus.document import Document
from corpus.errors import ConfigError
from corpus.stages.encoding import (
    FTFY_COSMETIC,
    FixEncoding,
    build_gate,
    ftfy_config,
    mojibake,
    needs_ftfy,
    trigger_chars,
)

# ftfy.fix_text semantics: cosmetic fixers on, our own whitespace and control rules off.
FTFY_LIKE = dict(
    ftfy=FTFY_COSMETIC, newlines=False, remove_controls=False, strip_trailing=False, max_blank_lines=None
)
CONFIGS = {"default": ftfy_config(), "cosmetic": ftfy_config(FTFY_COSMETIC)}
GATES = {name: build_gate(config) for name, config in CONFIGS.items()}
ENCODINGS = [
    "sloppy-windows-1252",
    "sloppy-windows-1251",
    "sloppy-windows-1250",
    "latin-1",
    "macroman",
    "cp437",
]


def fix(text: str, **options) -> str:
    return FixEncoding(**options).fix(text)[0]


def read_jsonl(*parts: str) -> list[dict]:
    with open(shared_path(*parts), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


# --- config ---------------------------------------------------------------------------------


def test_registry_builds_the_stage_and_config_round_trips():
    stage = stages.build("fix_encoding", ftfy={"uncurl_quotes": True}, max_blank_lines=2)
    assert isinstance(stage, FixEncoding)
    assert FixEncoding(**stage.get_config()).get_config() == stage.get_config()
    assert stage.get_config()["ftfy"] == {"uncurl_quotes": True}


@pytest.mark.parametrize(
    "options, named",
    [
        ({"ftfy": {"no_such_fix": True}}, "ftfy.no_such_fix"),
        ({"ftfy": {"explain": False}}, "ftfy.explain"),
        ({"ftfy": {"uncurl_quotes": "yes"}}, "ftfy.uncurl_quotes"),
        ({"ftfy": {"normalization": "NFX"}}, "ftfy.normalization"),
        ({"ftfy": {"max_decode_length": 0}}, "ftfy.max_decode_length"),
        ({"ftfy": ["uncurl_quotes"]}, "ftfy"),
        ({"spaces": "nbsp"}, "spaces"),
        ({"max_blank_lines": -1}, "max_blank_lines"),
        ({"nfc": 1}, "nfc"),
        ({"gate": None}, "gate"),
    ],
)
def test_bad_options_raise_config_error_naming_the_option(options, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        FixEncoding(**options)


def test_pickled_stage_rebuilds_its_state():
    stage = FixEncoding()
    stage.setup()
    copy = pickle.loads(pickle.dumps(stage))
    assert not hasattr(copy, "_state")
    assert copy.fix("cafÃ©")[0] == "café"


# --- real text ------------------------------------------------------------------------------


def test_sample_article_is_not_changed_by_default(sample_article):
    out = FixEncoding().apply(Document("a", sample_article))
    assert out.edits == [] and out.doc.text == sample_article


def test_strip_trailing_removes_only_the_trailing_nbsp(sample_article):
    out = FixEncoding(strip_trailing=True).apply(Document("a", sample_article))
    assert {e.rule for e in out.edits} == {"whitespace.trailing"}
    assert all(e.before == "\xa0" and sample_article[e.start] == "\xa0" for e in out.edits)
    assert out.doc.text == sample_article.replace("\xa0\n", "\n")


# Not windows-1251: a lone NBSP read as 1251 ("В\xa0") does not look like mojibake even to ftfy.
@pytest.mark.parametrize("encoding", ["sloppy-windows-1252", "latin-1", "sloppy-windows-1250", "macroman"])
def test_mojibake_sample_article_is_restored(sample_article, encoding):
    broken = mojibake(sample_article, encoding)
    assert broken != sample_article
    assert fix(broken) == fix(sample_article)
    assert fix(broken, strip_trailing=False) == sample_article


def test_cp1252_mojibake_needs_the_sloppy_codec(sample_article):
    # The article's closing quote is E2 80 9D; strict cp1252 cannot decode byte 9D.
    with pytest.raises(UnicodeDecodeError):
        sample_article.encode("utf-8").decode("cp1252")
    lossy = sample_article.encode("utf-8").decode("cp1252", errors="replace")
    assert "�" in lossy and fix(lossy) != fix(sample_article)  # information lost: ftfy writes '�'


def test_apply_never_mutates_and_names_ftfy_steps():
    doc = Document("d", "Ã‰cole\r\nok", meta={"k": 1})
    out = FixEncoding().apply(doc)
    assert doc.text == "Ã‰cole\r\nok" and out.doc is not doc
    assert out.doc.text == "École\nok" and out.doc.meta == {"k": 1}
    assert [e.rule for e in out.edits] == [
        "whitespace.newlines",
        "ftfy.encode:sloppy-windows-1252/decode:utf-8",
    ]
    assert out.counts == {"whitespace.newlines": 1, "ftfy.encode:sloppy-windows-1252/decode:utf-8": 1}
    clean = Document("c", "Déjà vu — “fine”.")
    assert FixEncoding().apply(clean).doc is clean


def test_edit_offsets_point_into_the_input():
    text = "ok\nsÃ³ and \x0cx  \n"
    out = FixEncoding(strip_trailing=True).apply(Document("d", text))
    assert [e.rule for e in out.edits] == [
        "ftfy.encode:latin-1/decode:utf-8",
        "control.removed",
        "whitespace.trailing",
    ]
    first = out.edits[0]
    assert (first.before, first.after, first.start) == ("Ã³", "ó", 4)
    assert [e.start for e in out.edits[1:]] == [None, None]  # made on an already changed text


# --- whitespace and control rules -----------------------------------------------------------


@pytest.mark.parametrize(
    "text, options, expected",
    [
        ("a\r\nb\rc", {}, "a\nb\nc"),
        ("a\r\nb", {"newlines": False, "ftfy": {"fix_line_breaks": False}}, "a\r\nb"),
        ("a  \t\nb\xa0\u3000\nc ", {"strip_trailing": True}, "a\nb\nc"),
        ("a  \nb", {}, "a  \nb"),  # trailing whitespace is kept by default: clean text is never changed
        ("a\n\n\n\n\nb\n\nc", {}, "a\n\nb\n\nc"),
        ("a\n \n\t\n\nb", {}, "a\n\nb"),
        ("a\n\n\n\nb", {"max_blank_lines": 2}, "a\n\n\nb"),
        ("a\n\n\n\nb", {"max_blank_lines": None}, "a\n\n\n\nb"),
        ("a\x00b\x0cc\x7fd\te\u200df", {}, "abc\x7fd\te\u200df".replace("\x7f", "")),
        ("x\x81y", {}, "x\x81y"),  # an undefined cp1252 byte: ftfy keeps it, so do we
        ("x\x81y", {"remove_controls": False}, "x\x81y"),
        ("10\xa0000\u202fkm", {}, "10\xa0000\u202fkm"),
        ("10\xa0000\u202fkm", {"spaces": "ascii"}, "10 000 km"),
        ("e\u0301t\u00e9", {}, "e\u0301t\u00e9"),
        ("e\u0301t\u00e9", {"nfc": True}, "\u00e9t\u00e9"),
        ("\x1b[31mred\x1b[0m", {}, "red"),  # terminal escapes go before control removal
        ("“quoted” ﬁne ＡＢ", {}, "“quoted” ﬁne ＡＢ"),  # cosmetic fixers off by default
        ("“quoted” ﬁne ＡＢ", {"ftfy": FTFY_COSMETIC}, '"quoted" fine AB'),
        ("AT&amp;T &lt;b&gt;", {}, "AT&T <b>"),
        ("<p>AT&amp;T</p>", {}, "<p>AT&amp;T</p>"),  # ftfy's "auto": real HTML keeps entities
    ],
)
def test_rules(text, options, expected):
    assert fix(text, **options) == expected


def test_rule_names_for_own_rules():
    rules = [
        e.rule
        for e in FixEncoding(spaces="ascii", nfc=True, strip_trailing=True).fix("a\x0c\xa0e\u0301 \n\n\n\nb")[
            1
        ]
    ]
    assert rules == [
        "control.removed",
        "whitespace.spaces",
        "unicode.nfc",
        "whitespace.trailing",
        "whitespace.blank_lines",
    ]


# --- ftfy's own cases (../shared/eval/encoding) ---------------------------------------------


def test_ftfy_cases_pass_with_ftfy_semantics():
    cases = [c for c in read_jsonl("eval", "encoding", "ftfy-cases.jsonl") if c["expect"] == "pass"]
    assert len(cases) == 103  # the DEV side: 111 cases, 8 known failures
    stage = FixEncoding(**FTFY_LIKE)
    assert [c["key"] for c in cases if stage.fix(c["original"])[0] != c["fixed"]] == []


def test_ftfy_cases_default_differs_only_by_cosmetic_and_whitespace_policy():
    """Default output == gold, or both agree once the cosmetic fixers and our rules are applied."""
    finish = FixEncoding(ftfy={**FTFY_COSMETIC, "fix_encoding": False, "unescape_html": False})
    stage = FixEncoding()
    for case in read_jsonl("eval", "encoding", "ftfy-cases.jsonl"):
        if case["expect"] == "pass":
            out = stage.fix(case["original"])[0]
            assert finish.fix(out)[0] == finish.fix(case["fixed"])[0], case["key"]


def test_gate_flags_every_ftfy_case_ftfy_changes():
    for case in read_jsonl("eval", "encoding", "ftfy-cases.jsonl"):
        for name, config in CONFIGS.items():
            if ftfy.fix_text(case["original"], config) != case["original"]:
                assert needs_ftfy(case["original"], config, GATES[name]), (name, case["key"])


def test_clean_multilingual_text_is_never_changed():
    rows = read_jsonl("eval", "encoding", "clean-multilingual.jsonl")
    stage = FixEncoding()
    changed = [
        (r["lang"], r["line"]) for r in rows if not r["defects"] and stage.fix(r["text"])[0] != r["text"]
    ]
    assert changed == []
    assert all(stage.fix(r["text"])[0] != r["text"] for r in rows if r["defects"])  # the 15 defect rows


def test_gate_flags_mojibake_of_real_bench_documents():
    zstandard = pytest.importorskip("zstandard")
    path = shared_path("bench", "base_text.jsonl.zst")
    docs = []
    with open(path, "rb") as raw:
        for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(raw), encoding="utf-8"):
            text = json.loads(line)["text"]
            if sum(ord(c) > 127 for c in text[:5000]) >= 20:  # make_variants.py's criterion
                docs.append(text)
            if len(docs) == 300:
                break
    gated, ungated = FixEncoding(), FixEncoding(gate=False)
    config, gate = CONFIGS["default"], GATES["default"]
    for text in random.Random(1).sample(docs, 150):
        broken = mojibake(text)
        assert needs_ftfy(broken, config, gate)
        assert gated.fix(broken) == ungated.fix(broken)  # whether or not ftfy repairs it all


# --- the gate, proved and property-tested ---------------------------------------------------


def test_per_character_fixers_touch_only_their_trigger_characters():
    everything = trigger_chars(ftfy_config({**FTFY_COSMETIC}))
    fixers = [
        fixes.remove_control_chars,
        fixes.remove_terminal_escapes,
        fixes.fix_surrogates,
        fixes.fix_line_breaks,
        fixes.fix_c1_controls,
        fixes.fix_latin_ligatures,
        fixes.fix_character_width,
        fixes.uncurl_quotes,
    ]
    for code in range(0x10000):
        if code not in everything:
            char = f"a{chr(code)}b"
            assert all(fixer(char) == char for fixer in fixers), hex(code)


MOJIBAKE_PRONE = (
    "ÂÃÎÐâ€œ\x9d™šž¢£¥«»“”‘’–—…\xa0\xad²³°µ·´×÷ŒœŠ©®¬¦¤¨ˆ˜ÀÉÈàéèçñöüßøØÙ"
    "ВГРСвЂўβΒΓΞΟΆā√≈‚Ä∂†±≠ﬁＡ\u3000\x1a\x81\x85\x1b\r\n\t &#;<>amp1x\ufffd\u0301\u2028"
)
texts = st.text(alphabet=st.one_of(st.sampled_from(MOJIBAKE_PRONE), st.characters()), max_size=40)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_gate_skipped_text_is_unchanged_by_fix_text(text):
    for name, config in CONFIGS.items():
        if not needs_ftfy(text, config, GATES[name]):
            assert ftfy.fix_text(text, config) == text
            assert ftfy.fix_text(text, config._replace(explain=False)) == text


@settings(max_examples=500, deadline=None)
@given(texts, st.sampled_from(ENCODINGS))
def test_mojibake_is_flagged_whenever_ftfy_would_change_it(text, encoding):
    try:
        broken = mojibake(text, encoding)
    except UnicodeError:  # lone surrogates cannot be encoded
        return
    for name, config in CONFIGS.items():
        if ftfy.fix_text(broken, config) != broken:
            assert needs_ftfy(broken, config, GATES[name])


@settings(max_examples=500, deadline=None)
@given(texts, st.sampled_from([None, *ENCODINGS[:2]]))
@pytest.mark.slow
def test_stage_is_idempotent_and_gate_changes_nothing(text, encoding):
    text = mojibake(text, encoding) if encoding and text.isprintable() else text
    once = fix(text)
    assert fix(once) == once
    assert fix(text, gate=False) == once
    assert unicodedata.is_normalized("NFC", fix(text, nfc=True))
