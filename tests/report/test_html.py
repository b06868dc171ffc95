"""report.html (issue 19, part 1) rendered from real builds: the sections hold the build's own values.

Data: the shipped sample (configs/sample.yaml over data/sample/: one article and five copies, so
exact and near duplicates), and the first 300 documents of the team's bench corpus
(../shared/bench/base_text.jsonl.zst, read in place with input.limit; skipped when absent) with
quality rules and near_dedup at 0.5 so clusters appear. Expected values are read from each build's
manifest.json, report.json and dropped.jsonl, never typed in.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from pathlib import Path

import pytest
from conftest import ROOT, shared_path

from corpus.cli import main
from corpus.report import sections
from corpus.report.clusters import read_clusters
from corpus.report.html import render_html, write_report

BENCH_STAGES = [
    {"fix_encoding": {}},
    {"strip_boilerplate": {}},
    {"detect_language": {}},
    {"gopher_quality": {"mode": "tag"}},
    {"c4_quality": {}},
    {"exact_dedup": {}},
    {"near_dedup": {"threshold": 0.5}},
]


@contextmanager
def cwd(path: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def build(config: Path | str, out: Path, where: Path = ROOT) -> Path:
    with cwd(where):
        assert main(["-q", "build", str(config), "--output", str(out)]) == 0
    return out


def load(out: Path) -> tuple[dict, dict, list[str], str]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    dropped = (out / "dropped.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    return manifest, report, dropped, (out / "report.html").read_text(encoding="utf-8")


def section(page: str, name: str) -> str:
    start = page.index(f"<section id={name}>")
    return page[start : page.index("</section>", start)]


def numbers(html: str) -> str:
    return html.replace(",", "")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return build("configs/sample.yaml", tmp_path_factory.mktemp("sample") / "out")


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> Path:
    data = shared_path("bench", "base_text.jsonl.zst")
    folder = tmp_path_factory.mktemp("bench")
    config = {
        "name": "bench slice",
        "input": {"paths": [os.path.relpath(data, folder)], "format": "jsonl", "limit": 300},
        "stages": BENCH_STAGES,
        "output": {"path": "out"},
    }
    (folder / "c.yaml").write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return build("c.yaml", folder / "out", where=folder)


def test_sample_report_holds_the_builds_values(sample):
    manifest, _report, dropped, page = load(sample)
    counts = manifest["counts"]
    funnel = numbers(section(page, "funnel"))
    assert f"<td>read</td><td class=num>{counts['read']}</td>" in funnel
    assert f"<td>kept</td><td class=num>{counts['kept']}</td>" in funnel
    for reason, n in counts["dropped"].items():
        assert f"<td>dropped: {reason}</td><td class=num>{n}</td>" in funnel
    # stages in pipeline order, with the characters each removed
    stages = numbers(section(page, "stages"))
    order = [next(iter(s)) for s in manifest["config"]["stages"]]
    rows = [stages.index(f"<tr><td>{name}</td>") for name in order]
    assert rows == sorted(rows)
    for name in order:
        removed = manifest["stages"][name].get("chars_removed", 0)
        assert re.search(
            rf"<tr><td>{name}</td>(<td class=num>[^<]*</td>){{4}}<td class=num>{removed}</td>", stages
        )
    # the header: name, version, config hash; tokens when counted
    assert escape(manifest["config"]["name"]) in page and manifest["config_sha256"] in page
    assert f"corpus {manifest['toolkit_version']}" in page
    if "tokens" in manifest:
        assert f"{manifest['tokens']['total']:,}" in section(page, "tokens")
    # every dropped id of a duplicate is in a cluster under its kept id, with its similarity
    dups = numbers(section(page, "duplicates"))
    for row in map(json.loads, dropped):
        assert escape(row["id"]) in dups and escape(row["kept_id"]) in dups
        if "similarity" in row:
            assert f"{escape(row['id'])}</span> <span class=muted>J≈{row['similarity']:.3f}" in dups
    sizes = {}
    for row in map(json.loads, dropped):
        sizes[row["kept_id"]] = sizes.get(row["kept_id"], 1) + 1
    for kept, size in sizes.items():
        assert f"<td class=doc-id>{escape(kept)}</td><td class=num>{size}</td>" in dups


def test_sample_samples_show_removed_lines_drops_and_diffs(sample):
    _, report, _, page = load(sample)
    samples = section(page, "samples")
    for key, items in report["samples"]["removed_lines"].items():
        stage, rule = key.split(":", 1)
        assert f"<span class=stage>{stage}</span> {escape(rule)}</h4>" in samples
        assert f"<del>{escape(items[0]['removed'].split(chr(10))[0], quote=False)}" in samples
    for key, items in report["samples"]["dropped"].items():
        stage, reason = key.split(".", 1)
        assert f"<span class=stage>{stage}</span> {escape(reason)}</h4>" in samples
        assert all(escape(item["id"]) in samples for item in items)
    for item in report["samples"]["kept"]:
        assert escape(item["id"]) in samples
    # the sample's kept article lost its sign-up line: the diff shows it deleted
    assert "<del>Sign up to receive our latest news!" in samples


def test_sample_charts_are_inline_svg_without_network(sample):
    _, _, _, page = load(sample)
    charts = re.findall(r'<svg role="img" class="chart" data-chart="([^"]+)"', page)
    assert {
        "funnel",
        "chars-removed",
        "hist-chars",
        "hist-words",
        "hist-lines",
        "languages",
        "sources",
    } <= set(charts)
    assert "cluster-sizes" in charts and len(charts) == len(set(charts))
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "an element id is used twice in the page"
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/", "")
    assert "https://" not in page and "@import" not in page and "<link" not in page


def test_render_is_deterministic_and_a_rebuild_gives_the_same_page(sample, tmp_path):
    manifest, report, dropped, _page = load(sample)
    assert render_html(manifest, report, dropped) == render_html(manifest, report, iter(dropped))
    again = build("configs/sample.yaml", tmp_path / "again")
    assert (again / "report.html").read_bytes() == (sample / "report.html").read_bytes()
    # `corpus report --html` without --out keeps the listed bytes, so the build still verifies
    with cwd(ROOT):
        assert main(["report", str(again), "--html"]) == 0
        assert main(["verify", str(again)]) == 0
    assert (again / "report.html").read_bytes() == (sample / "report.html").read_bytes()


def test_report_command_out_and_errors(sample, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(sample), "--html", "--out", str(out)]) == 0
    assert out.read_bytes() == (sample / "report.html").read_bytes()
    capsys.readouterr()
    assert main(["report", str(tmp_path / "missing"), "--html"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "manifest.json: no such file" in err
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "manifest.json").write_text('{"counts": {"read": 1}, "config": [1]}', encoding="utf-8")
    assert main(["report", str(damaged), "--html"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "damaged" in err and "Traceback" not in err


def test_a_build_without_report_json_says_what_is_missing(sample, tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    manifest, _, dropped, _ = load(sample)
    manifest["files"] = [f for f in manifest["files"] if not f["path"].startswith("report.")]
    (old / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (old / "dropped.jsonl").write_text("".join(dropped), encoding="utf-8")
    page = write_report(old).read_text(encoding="utf-8")
    assert "No report.json in this build" in page
    assert f"<td>read</td><td class=num>{manifest['counts']['read']}</td>" in numbers(section(page, "funnel"))
    assert 'data-chart="languages"' in page and 'data-chart="cluster-sizes"' in page
    assert 'data-chart="hist-chars"' not in page


def test_document_text_and_ids_are_escaped(tmp_path):
    """A kept document and a dropped copy holding markup show it as text; no tag reaches the page."""
    text = "<script>alert('x')</script> A real sentence & more.\n<b>bold</b> line two is long enough.\n"
    docs = [{"id": "doc-<img src=x>", "text": text}, {"id": "copy", "text": text}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    config = {"name": "<i>escape</i> me", "input": {"paths": ["in.jsonl"], "format": "jsonl"}}
    config.update(stages=[{"exact_dedup": {}}], output={"path": "out"})
    (tmp_path / "c.yaml").write_text(json.dumps(config), encoding="utf-8")
    page = (build("c.yaml", tmp_path / "out", where=tmp_path) / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page and "<b>bold" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page or "&lt;script&gt;alert('x')" in page
    assert "doc-&lt;img src=x&gt;" in page and "&lt;i&gt;escape&lt;/i&gt; me" in page


def test_clusters_cap_is_said_on_the_page(sample):
    _, _, dropped, _ = load(sample)
    found = read_clusters(dropped, max_lines=2)
    assert found.capped and found.lines_read == 2 and found.docs == 2
    assert "only its first 2 lines were read" in sections.duplicates(found)
    assert not read_clusters(dropped).capped


def test_bench_slice_report(bench):
    manifest, report, dropped, page = load(bench)
    funnel = numbers(section(page, "funnel"))
    for reason, n in manifest["counts"]["dropped"].items():
        assert f"<td>dropped: {reason}</td><td class=num>{n}</td>" in funnel
    langs = sorted(manifest["languages"].items(), key=lambda kv: (-kv[1], kv[0]))
    assert langs and f">{langs[0][0]}</text>" in page  # the chart's label for the top language
    for name, _count in report["kept"]["sources"][:3]:
        assert escape(name) in section(page, "kept")
    quality = report["kept"]["quality"]
    assert len(re.findall(r'data-chart="quality-\d+"', page)) == min(len(quality), 24)
    # near-duplicate clusters: the largest (by size, then id) listed first with its members
    rows = [json.loads(line) for line in dropped if '"kept_id"' in line]
    assert rows, "the bench slice should hold near duplicates at threshold 0.5"
    sizes: dict[str, int] = {}
    for row in rows:
        sizes[row["kept_id"]] = sizes.get(row["kept_id"], 1) + 1
    largest = min(sizes, key=lambda k: (-sizes[k], k))
    dups = section(page, "duplicates")
    assert dups.index(f"<td class=doc-id>{escape(largest)}</td>") < dups.index("</tbody>")
    first = next(r for r in rows if r["kept_id"] == largest)
    assert escape(first["id"]) in dups
    # the size chart: a bar per size from 2 to the largest (ranges past 9), each labelled
    labels = re.findall(r"<text[^>]*>([0-9,–]+)</text>", dups.split('data-chart="cluster-sizes"')[1])
    top = max(sizes.values())
    assert labels[0] == "2" and labels[: min(top, 9) - 1] == [str(n) for n in range(2, min(top, 9) + 1)]
    # a removed line of a rule, and a dropped document of each reason
    samples = section(page, "samples")
    key, items = sorted(report["samples"]["removed_lines"].items())[0]
    assert f"<span class=stage>{key.split(':')[0]}</span> {escape(key.split(':', 1)[1])}</h4>" in samples
    assert f"<del>{escape(items[0]['removed'].split(chr(10))[0], quote=False)}" in samples
    for _key, items in report["samples"]["dropped"].items():
        assert escape(items[0]["id"]) in samples
