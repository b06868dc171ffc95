"""repeated_lines: the two-pass site-furniture learner."""

from __future__ import annotations

import pickle

import pytest

from corpus.dedup.lines import RepeatedLines, group_key
from corpus.document import Document
from corpus.errors import ConfigError

FOOTER = "© 2019 Example Media Group. All rights reserved."
NAV = "World | Politics | Business | Tech"


def _site(n: int, host: str = "https://www.example.com") -> list[Document]:
    return [
        Document(
            id=str(i),
            text=f"{NAV}\n\nStory number {i} about the harbour.\n\nYes\n\n{FOOTER}",
            url=f"{host}/{i}",
        )
        for i in range(n)
    ]


def _learn(docs: list[Document], **kw) -> RepeatedLines:
    step = RepeatedLines(**kw)
    for d in docs:
        step.observe(d)
    return step


def test_removes_lines_repeated_across_a_site() -> None:
    docs = _site(6)
    step = _learn(docs)
    out = step.apply(docs[0])
    assert out.doc.text == "Story number 0 about the harbour.\n\nYes"  # "Yes" is below min_chars
    assert [e.rule for e in out.edits] == ["repeated_line", "repeated_line"]
    assert out.counts == {"removed.repeated_line": 2}
    assert docs[0].text.startswith(NAV)  # input untouched


def test_threshold_and_groups() -> None:
    docs = _site(4) + _site(4, host="https://other.org")
    step = _learn(docs)  # 4 docs per group < min_docs=5
    assert step.apply(docs[0]).edits == []
    assert _learn(docs, min_docs=3).apply(docs[0]).doc.text.startswith("Story")
    assert group_key(docs[5]) == "other.org"
    assert group_key(Document(id="x", text="", source="feed")) is None  # no url: no site
    assert group_key(Document(id="x", text="", source="feed"), "domain_or_source") == "feed"
    # a page with nothing but the site's furniture is dropped, not kept empty
    only = _learn(_site(10), min_fraction=0.5).apply(Document(id="n", text=NAV, url="https://example.com/z"))
    assert only.doc is None and only.reason == "only_repeated_lines"
    assert only.counts == {"removed.repeated_line": 1}


def test_merge_equals_single_pass_and_pickles() -> None:
    docs = _site(6)
    a, b = _learn(docs[:3]), _learn(docs[3:])
    merged = a.merge(b)
    whole = _learn(docs)
    assert merged.doc_counts == whole.doc_counts and merged.line_counts == whole.line_counts
    shipped = pickle.loads(pickle.dumps(merged))
    assert shipped.apply(docs[1]).doc.text == whole.apply(docs[1]).doc.text
    assert shipped.get_config() == {
        "min_docs": 5,
        "min_fraction": 0.5,
        "min_chars": 10,
        "max_chars": 300,
        "group_by": "domain",
    }


def test_idempotent_and_unobserved_is_noop() -> None:
    docs = _site(6)
    step = _learn(docs)
    once = step.apply(docs[2]).doc
    assert step.apply(once).doc.text == once.text
    assert RepeatedLines().apply(docs[0]).doc is docs[0]


@pytest.mark.parametrize(
    "bad, says",
    [
        ({"min_docs": 0}, r"repeated_lines\.min_docs: expected an integer >= 1; got 0"),
        ({"min_docs": True}, r"repeated_lines\.min_docs: .*got true"),
        ({"min_fraction": 1.5}, r"repeated_lines\.min_fraction: expected a number in \[0, 1\]; got 1\.5"),
        ({"max_chars": "300"}, r"repeated_lines\.max_chars: .*got '300' \(a string\)"),
        (
            {"min_chars": 50, "max_chars": 10},
            r"repeated_lines\.min_chars, repeated_lines\.max_chars: .*got min_chars=50, max_chars=10",
        ),
        ({"min_lines": 3}, r"repeated_lines: unknown option 'min_lines'"),
    ],
)
def test_bad_options(bad: dict, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        RepeatedLines(**bad)


def test_options_are_fixed_once_built() -> None:
    step = RepeatedLines(min_docs=3)
    with pytest.raises(AttributeError, match="replace"):
        step.min_docs = 4
    assert step.replace(min_docs=4).get_config()["min_docs"] == 4
    with pytest.raises(ConfigError, match="max_chars"):
        step.replace(max_chars=5)


def test_repeated_lines_runs_in_a_build_and_is_counted(tmp_path, sample_article) -> None:
    import json

    from corpus import Pipeline

    paragraphs = [p for p in sample_article.split("\n\n") if len(p) > 80]
    footer = "Copyright 2020 Example News Network. All rights reserved worldwide."
    rows = [
        {"id": f"p{i}", "text": f"{p}\n{footer}", "url": "https://www.example.org/a"}
        for i, p in enumerate(paragraphs)
    ]
    rows.append(
        {
            "id": "other-site",
            "text": f"{paragraphs[0]} (syndicated)\n{footer}",
            "url": "https://other.example/x",
        }
    )
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    cfg = {
        "input": {"paths": [str(src)]},
        "stages": [{"repeated_lines": {"min_docs": 5}}],
        "output": {"path": str(tmp_path / "out")},
        "batch_size": 4,
    }
    result = Pipeline.from_config(cfg).build(workers=2, progress=False)
    stats = result.manifest["stages"]["repeated_lines"]
    assert stats["removed.repeated_line"] == len(paragraphs)  # every example.org page, not the other site
    import pyarrow.parquet as pq

    texts = pq.read_table(tmp_path / "out" / result.manifest["shards"][0]["path"]).column("text").to_pylist()
    assert [t for t in texts if footer in t] == [f"{paragraphs[0]} (syndicated)\n{footer}"]
