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


# -- on by default (configs/sample.yaml), on real text --------------------------------------------

NAV_LINE = "Home | World | Politics | Opinion | Contact the newsroom"
# furniture strip_boilerplate's rules leave alone (a copyright line would go by its rule already)
SITE_FOOTER = (
    "The Example Herald, 1 Main Street, Springfield",
    "Edited by Jane Doe and John Roe in Springfield since 1921.",
)
SMALL_FOOTER = "Small Example Site, 22 Harbour Road, Portsmouth"


def site_pages(article: str, *, urls: bool = True) -> list[dict]:
    """Pages of two sites made from the sample article (data/sample): herald.example has 8
    pages, each two paragraphs of the article between the site's menu and footer (and the
    sign-up line a scraper picks up), plus a page with nothing but the furniture and an exact
    copy of its first page; small.example has 3 pages (fewer than min_docs) with its own footer."""
    paragraphs = [p for p in article.split("\n\n") if len(p) > 80]
    pages = []
    for i in range(8):
        body = "\n\n".join(paragraphs[2 * i : 2 * i + 2])
        text = f"{NAV_LINE}\n{body}\nSign up to receive our latest news!\n" + "\n".join(SITE_FOOTER)
        pages.append({"id": f"herald-{i}", "text": text, "url": f"https://www.herald.example/news/{i}"})
    pages.append(
        {
            "id": "herald-index",
            "text": f"{NAV_LINE}\n" + "\n".join(SITE_FOOTER),
            "url": "https://herald.example/",
        }
    )
    pages.append({**pages[0], "id": "herald-0-copy"})
    for i in range(3):
        text = f"{paragraphs[16 - i]}\n{SMALL_FOOTER}"
        pages.append({"id": f"small-{i}", "text": text, "url": f"https://small.example/{i}"})
    if not urls:
        pages = [{k: v for k, v in p.items() if k != "url"} for p in pages]
    return pages


def _build_sample_stages(tmp_path, rows: list[dict], name: str, drop: str | None = None):
    """configs/sample.yaml's stages (optionally without one) over ``rows``, into tmp_path/name."""
    import json

    from corpus import Pipeline
    from corpus.config import load_yaml
    from tests.conftest import ROOT

    config = load_yaml(ROOT / "configs" / "sample.yaml")
    src = tmp_path / f"{name}.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    stages = [s for s in config["stages"] if drop is None or drop not in s]
    cfg = {
        **config,
        "stages": stages,
        "input": {"paths": [str(src)]},
        "output": {"path": str(tmp_path / name)},
    }
    return Pipeline.from_config(cfg).build(workers=0, progress=False)


def _texts(result) -> dict[str, str]:
    import pyarrow.parquet as pq

    return {
        r["id"]: r["text"]
        for s in result.manifest["shards"]
        for r in pq.read_table(result.output / s["path"]).to_pylist()
    }


def test_on_in_the_default_config_after_near_dedup() -> None:
    from corpus import Pipeline
    from tests.conftest import ROOT

    pipeline = Pipeline.from_yaml(ROOT / "configs" / "sample.yaml")
    assert [s.name for s in pipeline.global_steps] == ["near_dedup", "repeated_lines"]
    assert pipeline.global_steps[-1].get_config() == RepeatedLines().get_config()  # its defaults


def test_default_config_leaves_the_sample_build_unchanged(tmp_path) -> None:
    """`make corpus`: one page per site (and text files without a url): the same kept text and shards."""
    from corpus import Pipeline
    from corpus.config import load_yaml
    from tests.conftest import ROOT

    config = load_yaml(ROOT / "configs" / "sample.yaml")
    paths = [str(ROOT / p) for p in config["input"]["paths"]]
    results = {}
    for name, stages in (
        ("with", config["stages"]),
        ("without", [s for s in config["stages"] if "repeated_lines" not in s]),
    ):
        cfg = {**config, "stages": stages, "input": {**config["input"], "paths": paths}}
        results[name] = Pipeline.from_config(cfg).build(output=tmp_path / name, workers=0, progress=False)
    assert _texts(results["with"]) == _texts(results["without"])
    assert [s["sha256"] for s in results["with"].manifest["shards"]] == [
        s["sha256"] for s in results["without"].manifest["shards"]
    ]
    assert results["with"].manifest["counts"] == results["without"].manifest["counts"]
    assert results["with"].manifest["stages"]["repeated_lines"] == {"docs_in": 1, "docs_out": 1}


def test_default_config_removes_a_multi_page_sites_furniture(tmp_path, sample_article) -> None:
    rows = site_pages(sample_article)
    result = _build_sample_stages(tmp_path, rows, "sites")
    texts = _texts(result)
    herald = [t for i, t in texts.items() if i.startswith("herald-")]
    assert len(herald) == 8
    for t in herald:  # the menu and both footer lines gone, every paragraph of the article kept
        assert NAV_LINE not in t and not any(f in t for f in SITE_FOOTER)
    paragraphs = [p for p in sample_article.split("\n\n") if len(p) > 80]
    for i in range(8):
        body = "\n\n".join(paragraphs[2 * i : 2 * i + 2])
        assert texts[f"herald-{i}"] == body.replace("@ZMnatsakanyan", "@USER").replace(
            "@bayramov_jeyhun", "@USER"
        )
    # small.example has 3 pages < min_docs: its footer stays
    small = [t for i, t in texts.items() if i.startswith("small-")]
    assert len(small) == 3 and all(t.endswith(SMALL_FOOTER) for t in small)
    counts = result.manifest["counts"]
    assert counts["dropped"] == {
        "exact_dedup.exact_duplicate": 1,  # herald-0-copy: before the learner counts anything
        "repeated_lines.only_repeated_lines": 1,  # herald-index: nothing but the menu and footer
    }
    stats = result.manifest["stages"]["repeated_lines"]
    assert stats["removed.repeated_line"] == 8 * 3 + 3
    assert stats["docs_in"] == 12 and stats["docs_changed"] == 8


def test_default_config_with_fewer_pages_than_min_docs_does_nothing(tmp_path, sample_article) -> None:
    rows = [r for r in site_pages(sample_article) if r["id"] in {f"herald-{i}" for i in range(4)}]
    with_, without = (
        _build_sample_stages(tmp_path, rows, n, drop) for n, drop in (("a", None), ("b", "repeated_lines"))
    )
    assert _texts(with_) == _texts(without)
    assert all(NAV_LINE in t for t in _texts(with_).values())
    assert "removed.repeated_line" not in with_.manifest["stages"]["repeated_lines"]


def test_documents_without_a_url_are_left_alone(tmp_path, sample_article) -> None:
    """No url, no site: the same pages from a dump without urls keep every line (the man-page case:
    grouped by source, a format's own headings would go)."""
    rows = site_pages(sample_article, urls=False)
    with_, without = (
        _build_sample_stages(tmp_path, rows, n, drop) for n, drop in (("a", None), ("b", "repeated_lines"))
    )
    assert _texts(with_) == _texts(without)
    assert with_.manifest["counts"]["dropped"] == {"exact_dedup.exact_duplicate": 1}
    man = [
        Document(
            id=str(i),
            text=f"LS{i}(1)\nNAME\nls{i} - list\nDESCRIPTION\nList things, number {i}.",
            source="man",
        )
        for i in range(20)
    ]
    assert all(_learn(man).apply(d).doc is d for d in man)
    by_source = _learn(man, group_by="domain_or_source")  # opt-in: a source known to be one site
    assert by_source.apply(man[0]).doc.text == "LS0(1)\nNAME\nls0 - list\nList things, number 0."
