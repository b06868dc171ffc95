"""strip_boilerplate on real text: the sample article, multilingual cases, must-keep sentences."""

from __future__ import annotations

import pickle

import pytest

from corpus import stages
from corpus.document import Document
from corpus.errors import ConfigError
from corpus.stages.boilerplate import (
    StripBoilerplate,
    candidate_lines,
    classify_line,
    remove_lines,
    segment_bar_rule,
    strip_boilerplate,
)
from tests.conftest import shared_path

# Furniture lines, verbatim from the full page text of ../shared/eval/extraction pages
# (source noted per case: sh = scrapinghub-aeb, tr = trafilatura-eval, wx = wcxb, sample = data/sample).
FURNITURE = [
    ("sample", "Sign up to receive our latest news!"),
    ("sample", "By submitting this form, I agree to the terms."),
    ("sh", "Sign up for our daily email newsletter and get our latest fact-checks delivered to your inbox"),
    ("sh", "Privacy Policy | Terms & Conditions"),
    ("sh", "© 2019 Reuters. All Rights Reserved."),
    (
        "sh",
        "We use cookies to improve your experience on our website. "
        "By browsing this website, you agree to our use of cookies.",
    ),
    ("sh", "Click to share on Twitter (Opens in new window)"),
    ("sh", "Facebook Twitter Email LinkedIn Reddit Pinterest"),
    ("sh", "Follow VentureBeat on Twitter"),
    ("sh", "You may also like:"),
    ("sh", "ADVERTISEMENT – Global Holidays"),
    ("wx", "Legal | Terms of Use | Privacy Policy | Cookies Settings"),
    ("wx", "Advertisement - Continue Reading Below"),
    ("wx", "Leave a Reply Cancel reply"),
    ("tr", "Jetzt Newsletter abonnieren"),  # de
    ("tr", "Diesen Artikel teilen:"),  # de
    ("tr", "Lesen Sie auch:"),  # de
    ("tr", "Impressum | Datenschutz | AGB"),  # de
    ("tr", "Folgen Sie uns auf"),  # de
    ("tr", "Pour rester informé inscrivez-vous à la newsletter"),  # fr
    (
        "tr",
        "À lire aussi » Ballonnements, lourdeurs...Quel est votre profil digestif et comment y remédier ?",
    ),  # fr
    ("tr", "También te puede interesar"),  # es
    (
        "tr",
        "Siguenos en Telegram, Instagram, Facebook y Twitter para recibir "
        "en directo todas nuestras actualizaciones",
    ),
    ("sh", "Política de Privacidade"),  # pt
    ("sh", "Copyright © 2010 AUTORACING. Todos os direitos reservados."),  # pt
    (
        "sh",
        "Utilizziamo i cookie per essere sicuri che tu possa avere la migliore esperienza sul nostro sito.",
    ),  # it
    ("sh", "Lascia un commento Annulla risposta"),  # it
    ("sh", "Подписка на рассылку"),  # ru
    ("sh", "Подписываясь на рассылку Wday вы принимаете условия пользовательского соглашения"),  # ru
    # phrase rules (boilerplate_phrases): furniture phrases inside longer lines
    ("sh", "Email Tariq Malik at tmalik@space.com. Follow us on Twitter @Spacedotcom and on Facebook."),
    ("sh", "Subscribe to the 9to5Toys YouTube Channel for all of the latest videos, reviews, and more!"),
    ("sh", "If you buy something through this post, IGN may get a share of the sale. For more, learn more."),
    (
        "tr",
        "Use of this Web site constitutes acceptance of our Terms and Conditions of Use and Privacy Policy.",
    ),
    ("tr", "Zachęcamy do regularnych odwiedzin naszej strony. Informujemy, że korzystamy z cookies."),  # pl
    ("wx", "Thanks for reading! Subscribe for free to receive new posts and support my work."),
    ("wx", "All gists Back to GitHub Sign in Sign up"),
    ("wx", "Copyright 2019 | Privacy Policy"),
    # a sentence glued to a link bar (segment_bar_rule)
    (
        "wx",
        "VAT included in all prices where applicable. "
        "Privacy Policy | Legal | Accessibility | Refunds | Cookies",
    ),
]

# Content that mentions the same words; must never be removed. (Written for this test, or
# verbatim "keep" snippets of ../shared/eval/boilerplate where marked.)
MUST_KEEP = [
    "The company changed its terms of service after the lawsuit.",
    "Subscribers to the service rose 10%.",
    "Regulators said the cookies stored by the app tracked users for years.",
    'Privacy, like environmental sustainability, are not "bolt-on things," Cook said.',  # sh keep
    "An Alibaba spokesperson declined to comment on the pricing to Reuters.",  # sh keep
    "Shares of construction goods giant Home Depot are dropping in premarket trading.",  # sh, shortened
    "Foreign Secretary Dominic Raab defended the party's actions, saying the Twitter account was linked.",
    "Related research has shown that the effect fades within a year.",
    "Follow-up studies are planned for next spring.",
    "Die Zahl der Abonnenten stieg im vergangenen Jahr deutlich an, teilte der Verlag mit.",
    "Le gouvernement a partagé les conditions générales de l'accord avec les syndicats.",
    "La empresa dijo que sus suscriptores aumentaron un 10% en el último trimestre.",
    "Von seinem Vorgänger unterscheidet sich der Browser vor allem durch den eingebauten AdBlocker.",
    "Police continued to follow him on foot for several blocks.",
    "If you buy a house now, the agent's commission is negotiable.",
    "The study found that we use cookies and other snacks as rewards far more often than we think, and "
    "the authors say the habit starts early.",
    "He said | she said | they said | we said",
]


@pytest.mark.parametrize(("where", "line"), FURNITURE)
def test_furniture_lines_are_classified(where: str, line: str) -> None:
    assert classify_line(line) is not None, (where, line)


@pytest.mark.parametrize("line", MUST_KEEP)
def test_content_mentioning_keywords_is_kept(line: str) -> None:
    assert classify_line(line) is None


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
    assert stage.get_config() == {"rules": ["share"], "languages": ["en"], "max_line_chars": 1000}
    text = "Share on Twitter\nSign up for our newsletter\nBody."
    assert stage(Document(id="1", text=text)).text == "Sign up for our newsletter\nBody."
    german_only = StripBoilerplate(languages=["de"])
    assert german_only(Document(id="1", text="Artikel teilen\nShare on Twitter")).text == "Share on Twitter"
    assert pickle.loads(pickle.dumps(stage))(Document(id="1", text=text)).text.startswith("Sign up")
    for bad in ({"rules": ["nope"]}, {"languages": "en"}, {"max_line_chars": 0}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            StripBoilerplate(**bad)


def test_segment_bar_needs_a_furniture_label() -> None:
    from corpus.stages.boilerplate import RULE_CLASSES, compile_rules

    c = compile_rules(RULE_CLASSES, None)
    assert segment_bar_rule("prices incl. vat. privacy policy | legal | refunds | cookies", c) == "terms.en"
    assert segment_bar_rule("home | news | sport | weather", c) is None  # generic labels only


def test_related_block_is_opt_in() -> None:
    end = "The article then goes on with a sentence that is long and ends the way prose does."
    text = f"Body text.\nRelated Stories\nHow Facebook gets the First Amendment backward\n{end}"
    assert "How Facebook" in strip_boilerplate(text)[0]
    stage = StripBoilerplate(rules=["related", "related_block"])
    out = stage.apply(Document(id="1", text=text))
    assert out.doc.text == f"Body text.\n{end}"
    assert [e.rule for e in out.edits] == ["related.en", "related_block"]
    assert out.counts == {"removed.related": 1, "removed.related_block": 1}


@pytest.mark.parametrize(("where", "line"), FURNITURE)
def test_every_classified_line_has_a_cue(where: str, line: str) -> None:
    assert [i for i, *_ in candidate_lines("body.\n" + line.lower())] == [1], (where, line)


def test_cue_prefilter_loses_nothing_on_dev_pages() -> None:
    """The cue gate is an optimization: on the dev pages it must drop no line a rule classifies."""
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


def test_eval_targets_on_dev_data() -> None:
    shared_path("eval", "boilerplate", "SOURCE.txt")
    from scripts.eval.boilerplate import run

    rows = {r["metric"]: r["score"] for r in run(by_lang=False) if r["note"] == "per-line rules"}
    for source in ("scrapinghub-aeb", "trafilatura-eval", "wcxb"):
        assert rows[f"{source}/kept"] >= 0.99, source
        assert rows[f"{source}/removed"] >= 0.90, source


@pytest.mark.parametrize(
    "line",
    [
        # lines of Debian manual pages and HTML documentation (../shared/bench, sources man and htmldoc)
        # that hold furniture words but are command lines, code, paths or section titles
        "      --membership=MEMBERSHIP",
        "      -c, --comment COMMENT",
        "      --advertisement-mode=MODE",
        "struct fscache_cookie *cookie",
        "/usr/share",
        "9.2. Remote Login",
        "14.1. Defining a Security Policy",
        "login(1), nologin(5).",
    ],
)
def test_code_command_lines_and_section_titles_are_never_furniture(line):
    assert classify_line(line) is None


def test_the_code_guard_keeps_web_furniture_with_numbers_and_urls():
    assert classify_line("1.977 commentaires") is not None
    assert (
        classify_line("Abonnieren Sie jetzt den apolut-Newsletter: https://apolut.net/newsletter/")
        is not None
    )


# The fast paths (cue skipper, rule detectors, link-bar scanner, code-guard precheck) must give
# what the plain forms give; these texts hit their edges.
EDGE_TEXTS = [
    "Share this article\nBody.",  # a cue at offset 0
    "Body.\nShare on Twitter",  # a cue right after a newline, at the end
    "Body text.\r\nSign up for our newsletter\r\n\r\nMore body.\r\n",  # CRLF
    "2share 3newsletter x_share kundenkonto",  # no word boundary before the stems
    "Copyright ©2020 Example. ©",  # a symbol cue inside and at the end of a line
    "Emoji 🙂share and 🙂 Share on Facebook; 𝐀share",  # astral non-word and word characters
    "İstanbul’da paylaş — Share\nSIGN UP",  # lowercasing changes a line's length
    "plain prose with no furniture words at all, " * 200,  # one long line, no cue
    "",
]


def _plain_candidates(low: str) -> list[int]:
    from corpus.stages.boilerplate import _cue_finder

    return sorted({low.count("\n", 0, m.start()) for m in _cue_finder().finditer(low)})


@pytest.mark.parametrize("text", EDGE_TEXTS + [line for _, line in FURNITURE] + MUST_KEEP)
def test_cue_skipper_finds_the_lines_the_plain_search_finds(text: str) -> None:
    low = text.lower()
    assert [i for i, *_ in candidate_lines(low)] == _plain_candidates(low)


@pytest.mark.parametrize("line", [line for _, line in FURNITURE] + MUST_KEEP + EDGE_TEXTS)
def test_fast_link_bar_and_code_guard_agree_with_the_plain_forms(line: str) -> None:
    from corpus.stages.boilerplate import (
        _CODE_LIKE,
        RULE_CLASSES,
        _code_like,
        _link_bar,
        compile_rules,
        link_bar_rule,
        normalize_line,
    )

    c = compile_rules(RULE_CLASSES, None)
    norm = normalize_line(line)
    assert _link_bar(norm, c) == link_bar_rule(norm, c.labels)
    assert _code_like(line) == (_CODE_LIKE.search(line) is not None)


def _plain_rule(line: str) -> str | None:
    """The rule of a line by the named unions alone, without the detectors (the slow form)."""
    from corpus.stages.boilerplate import DEFAULT_RULES, _rule_id, compile_rules, normalize_line

    c = compile_rules(DEFAULT_RULES, None)
    norm = normalize_line(line)
    words = norm.count(" ") + 1
    for limit, leads, anywhere in c.buckets:
        if words <= limit:
            m = (leads.match(norm) if leads else None) or (anywhere.search(norm) if anywhere else None)
            return _rule_id(m.lastgroup) if m else None
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
    from corpus.stages.boilerplate import _candidate_lines_re

    low = text.lower()
    assert candidate_lines(low) == _candidate_lines_re(low)


@pytest.mark.parametrize("rules", ["default", "all", "en", "de_fr"])
def test_literal_guards_agree_with_the_full_detectors(rules: str, sample_article: str) -> None:
    from corpus.stages.boilerplate import DEFAULT_RULES, RULE_CLASSES, _Guard, _rule, compile_rules

    rule_set, languages = {
        "default": (DEFAULT_RULES, None),
        "all": (RULE_CLASSES, None),
        "en": (DEFAULT_RULES, ("en",)),
        "de_fr": (RULE_CLASSES, ("de", "fr")),
    }[rules]
    c = compile_rules(rule_set, languages)
    plain = c._replace(guards=[_Guard(None, (), None, False, 7)] * len(c.guards))
    lines = [line for _, line in FURNITURE] + MUST_KEEP + EDGE_TEXTS + sample_article.split("\n")
    lines += ["Subscribe to the 9to5Toys YouTube Channel for all of the latest videos", "Teilen Sie"]
    for line in lines:
        assert _rule(line, c, 1000) == _rule(line, plain, 1000), line
