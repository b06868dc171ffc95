"""The fix_encoding stage: ftfy's cases, clean text untouched, the gate never skips a repair."""

from __future__ import annotations

import io
import json
import pickle
import random
import re
import unicodedata
import warnings

import ftfy
import pytest
from conftest import ROOT, shared_path
from ftfy import fixes
from ftfy.badness import BADNESS_RE
from ftfy.chardata import C1_CONTROL_RE, DOUBLE_QUOTE_RE, HTML_ENTITY_RE, SINGLE_QUOTE_RE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import stages
from corpus.document import Document
from corpus.errors import ConfigError
from corpus.stages.encoding import FixEncoding
from corpus.text import regex_items
from corpus.text.encoding import fix_encoding, mojibake
from corpus.text.ftfy_gate import FTFY_COSMETIC, build_gate, ftfy_config, needs_ftfy, trigger_chars

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
    "options, message",
    [
        ({"ftfy": {"no_such_fix": True}}, "fix_encoding.ftfy: unknown option 'no_such_fix'"),
        ({"ftfy": {"explain": False}}, "fix_encoding.ftfy: unknown option 'explain'"),
        (
            {"ftfy": {"uncurl_quotes": "yes"}},
            "fix_encoding.ftfy.uncurl_quotes: expected true or false; got 'yes'",
        ),
        (
            {"ftfy": {"normalization": "NFX"}},
            "fix_encoding.ftfy.normalization: expected one of None, NFC, NFD, NFKC, NFKD; got 'NFX'",
        ),
        (
            {"ftfy": {"max_decode_length": 0}},
            "fix_encoding.ftfy.max_decode_length: expected an integer >= 1; got 0",
        ),
        (
            {"ftfy": ["uncurl_quotes"]},
            'fix_encoding.ftfy: expected a mapping or null; got ["uncurl_quotes"] (a list)',
        ),
        ({"spaces": "nbsp"}, "fix_encoding.spaces: expected one of keep, ascii; got 'nbsp'"),
        ({"max_blank_lines": -1}, "fix_encoding.max_blank_lines: expected an integer >= 0 or null; got -1"),
        ({"nfc": 1}, "fix_encoding.nfc: expected true or false; got 1 (an integer)"),
        ({"gate": None}, "fix_encoding.gate: expected true or false; got null"),
    ],
)
def test_bad_options_raise_config_error_naming_the_option(options, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        FixEncoding(**options)


@pytest.mark.parametrize("option", sorted(FixEncoding.OPTIONS))
@pytest.mark.parametrize("wrong", ["1", 1.5, [True]])
def test_every_option_rejects_a_wrong_type(option, wrong):
    with pytest.raises(ConfigError, match=re.escape(f"fix_encoding.{option}: expected")):
        FixEncoding(**{option: wrong})


def test_options_are_fixed_once_built():
    stage = FixEncoding()
    with pytest.raises(AttributeError, match="fixed"):
        stage.nfc = True
    assert stage.replace(nfc=True).nfc is True


def test_pickled_stage_rebuilds_its_state():
    stage = FixEncoding()
    stage.setup()
    copy = pickle.loads(pickle.dumps(stage))
    assert "_fixer" not in copy.__dict__
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


RULES = [
    json.loads(line) for line in (ROOT / "tests" / "data" / "encoding" / "rules.jsonl").open(encoding="utf-8")
]


def test_rule_cases_shape():
    assert len(RULES) == 20 and len({c["label"] for c in RULES}) == len(RULES)
    assert all(set(c) == {"label", "original", "options", "expected", "expect"} for c in RULES)


@pytest.mark.parametrize("case", RULES, ids=[c["label"] for c in RULES])
def test_rules(case):
    """``expect: fail`` (as in ftfy's cases) marks a known failure: it must still fail."""
    got = fix(case["original"], **case["options"])
    assert fix_encoding(case["original"], **case["options"])[0] == got
    assert (got == case["expected"]) is (case["expect"] == "pass")


def test_pure_function_gives_the_stage_edits(sample_article):
    broken = mojibake(sample_article) + "\r\n\x00\n\n\n"
    for options in ({}, {"strip_trailing": True, "spaces": "ascii"}, {"gate": False, "nfc": True}):
        assert fix_encoding(broken, **options) == FixEncoding(**options).fix(broken)


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


# --- the gate's own regex parser (corpus.text.regex_items) ---------------------------------


def _sre_items(sre_parse, sre, items) -> list:
    """A ``sre_parse`` tree in ``regex_items``' node shapes."""
    cat = {sre.CATEGORY_SPACE: "s", sre.CATEGORY_WORD: "w", sre.CATEGORY_DIGIT: "d"}
    part = {sre.NEGATE: "NEGATE", sre.LITERAL: "LITERAL", sre.RANGE: "RANGE", sre.CATEGORY: "CATEGORY"}
    out = []
    for op, av in items:
        if op is sre.MAX_REPEAT:
            high = None if av[1] is sre.MAXREPEAT else av[1]
            out.append(("MAX_REPEAT", (av[0], high, _sre_items(sre_parse, sre, av[2]))))
        elif op is sre.IN:
            out.append(("IN", [(part[o], cat[a] if o is sre.CATEGORY else a) for o, a in av]))
        else:
            out.append(
                ({sre.LITERAL: "LITERAL", sre.ANY: "ANY", sre.AT: "AT"}[op], "^" if op is sre.AT else av)
            )
    return out


def test_regex_items_parse_ftfy_patterns_as_python_does():
    """The oracle is Python's own (deprecated) parser, where the running Python still has it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sre_parse = pytest.importorskip("sre_parse")
        sre = pytest.importorskip("sre_constants")
    for pattern in (BADNESS_RE, C1_CONTROL_RE, HTML_ENTITY_RE, SINGLE_QUOTE_RE, DOUBLE_QUOTE_RE):
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
        branches = tree.data[0][1][1] if tree.data[0][0] is sre.BRANCH else [tree]
        assert regex_items.parse(pattern) == [_sre_items(sre_parse, sre, list(b)) for b in branches]
    assert len(regex_items.parse(BADNESS_RE)) == 37


@pytest.mark.parametrize("source", [r"(a)", r"(?:a)", r"a*?", r"\bx", r"x$", r"\S", r"[\W]"])
def test_regex_items_refuse_what_the_gate_cannot_read(source):
    with pytest.raises(ValueError):
        regex_items.parse(re.compile(source))


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
