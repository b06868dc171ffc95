"""The build profile: report.json and manifest tokens, on the shipped sample and a slice of real documents.

The slice: the first 200 records of ../shared/bench/base_text.jsonl.zst (real web pages, manual pages
and documentation; skipped when ../shared is absent), plus exact copies of five of them so the corpus
steps drop something, cut into several blocks.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpus import Pipeline
from corpus.report.profile import KEPT, PER_KEY, round_down
from tests.conftest import ROOT, shared_path

try:  # the session's Ray fixture, for the one Ray test
    import ray  # noqa: F401

    from tests.engines.test_ray import ray_cluster  # noqa: F401
except ImportError:
    pass

SAMPLE = ROOT / "configs" / "sample.yaml"
NEWSLETTER = "Sign up to receive our latest news!"


def report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def shard_texts(out: Path) -> list[str]:
    manifest = json.loads((out / "manifest.json").read_text())
    return [
        t
        for s in manifest["shards"]
        for t in pq.read_table(out / s["path"], columns=["text"])["text"].to_pylist()
    ]


def sample_config(**output) -> dict:
    from corpus.config import load_yaml

    config = load_yaml(SAMPLE)
    config["input"] = {**config["input"], "paths": [str(ROOT / p) for p in config["input"]["paths"]]}
    config["output"] = {**config["output"], **output}
    return config


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("profile") / "sample"
    result = Pipeline.from_yaml(SAMPLE).build(output=out, workers=0, progress=False)
    return out, result.manifest


def bench_slice(folder: Path, n: int = 200) -> Path:
    """The first ``n`` bench records, then exact copies of five of them (new ids), as JSONL."""
    zstandard = pytest.importorskip("zstandard")
    bench = shared_path("bench", "base_text.jsonl.zst")
    rows = []
    with zstandard.open(bench, "rt", encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if len(rows) == n:
                break
    rows += [{**rows[i], "id": f"copy-of-{rows[i]['id']}"} for i in (3, 50, 90, 120, 160)]
    path = folder / "slice.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def bench_config(src: Path, out: Path, **extra) -> dict:
    return {
        "input": {"paths": [str(src)]},
        "stages": [
            {"fix_encoding": {}},
            {"strip_boilerplate": {}},
            {"normalize_handles": {"mode": "mask"}},
            {"detect_language": {}},
            {"gopher_quality": {"mode": "tag"}},
            {"exact_dedup": {}},
            {"near_dedup": {}},
        ],
        "output": {"path": str(out)},
        "block_size": "256KB",
        **extra,
    }


def test_sample_report_shows_removed_lines_with_their_context(sample):
    out, _ = sample
    removed = report(out)["samples"]["removed_lines"]
    newsletter = removed["strip_boilerplate:newsletter.en"]
    assert 1 <= len(newsletter) <= PER_KEY
    first = newsletter[0]
    assert first["id"] == "pompeo-nagorno-karabakh" and first["removed"] == NEWSLETTER
    original = (ROOT / "data" / "sample" / "pompeo-nagorno-karabakh.txt").read_text(encoding="utf-8")
    assert first["before"] and first["after"] and len(first["before"]) <= 160 and len(first["after"]) <= 160
    assert first["before"] + first["removed"] + first["after"] in original.replace("\r\n", "\n")
    assert all(key.startswith("strip_boilerplate:") for key in removed), "only whole removed lines"


def test_sample_report_shows_dropped_copies_with_text(sample):
    out, manifest = sample
    dropped = report(out)["samples"]["dropped"]
    assert (
        set(dropped)
        == set(manifest["counts"]["dropped"])
        == {
            "exact_dedup.exact_duplicate",
            "near_dedup.near_duplicate",
        }
    )
    for reason, samples in dropped.items():
        assert len(samples) == min(PER_KEY, manifest["counts"]["dropped"][reason])
        for s in samples:
            assert "Mike Pompeo" in s["text"] and len(s["text"]) <= 602
            assert "pompeo-nagorno-karabakh" in s["note"]
    assert [s["id"] for s in dropped["exact_dedup.exact_duplicate"]] == [
        "pompeo-variant-1-mojibake",
        "pompeo-variant-2-exact-copy",
        "pompeo-variant-4-other-footer",
    ]


def test_sample_kept_document_shows_input_and_output(sample):
    out, _ = sample
    (kept,) = report(out)["samples"]["kept"]
    assert kept["id"] == "pompeo-nagorno-karabakh"
    assert "@ZMnatsakanyan" in kept["input"] and NEWSLETTER in kept["input"]
    assert "@ZMnatsakanyan" not in kept["output"] and "@USER" in kept["output"]
    assert NEWSLETTER not in kept["output"]
    assert kept["output"] == shard_texts(out)[0]


def test_sample_distributions_count_the_kept_documents(sample):
    out, _ = sample
    kept = report(out)["kept"]
    (text,) = shard_texts(out)
    assert kept["chars"] == [[round_down(len(text)), 1]]
    assert kept["words"] == [[round_down(len(text.split())), 1]]
    assert kept["lines"] == [[round_down(sum(1 for x in text.splitlines() if x.strip())), 1]]
    assert kept["sources"] == [["data/sample/pompeo-nagorno-karabakh.txt", 1]]
    assert kept["quality"] == {}
    assert report(out)["format"] == 1


def test_sample_tokens_and_files_in_the_manifest(sample):
    """count_tokens: sample (the default) on the one kept document: counted exactly all the same."""
    import bpe_openai

    out, manifest = sample
    assert manifest["config"]["output"].get("count_tokens", "sample") == "sample"
    encoding = bpe_openai.get_encoding("o200k_base")
    total = sum(len(encoding.encode_ordinary(t)) for t in shard_texts(out))
    assert manifest["tokens"] == {
        "tokenizer": "o200k_base",
        "library": f"bpe-openai {bpe_openai.__version__}",
        "method": "exact",
        "total": total,
        "splits": {"train": total},
    }
    assert f"{total:,} tokens (o200k_base)" in (out / "README.md").read_text(encoding="utf-8")
    listed = {f["path"] for f in manifest["files"]}
    assert {"report.json", "report.html"} <= listed
    from corpus.io.verify import verify_build

    assert verify_build(out) == []  # every listed file re-hashed


def test_count_tokens_false_leaves_tokens_out(tmp_path):
    config = sample_config(path=str(tmp_path / "out"), count_tokens=False)
    manifest = Pipeline.from_config(config).build(workers=0, progress=False).manifest
    assert "tokens" not in manifest and manifest["config"]["output"]["count_tokens"] is False
    assert report(tmp_path / "out")["kept"]["chars"], "the report is written all the same"
    assert "o200k_base" not in (tmp_path / "out" / "README.md").read_text(encoding="utf-8")


def test_drops_by_a_stage_show_the_text_that_stage_saw(tmp_path):
    """Every sample document dropped by detect_language (keep: fr): the samples hold the text after
    the stages before it (the newsletter line already stripped); nothing kept, an empty profile."""
    config = sample_config(path=str(tmp_path / "out"), allow_empty=True)
    config["stages"] = [
        {"detect_language": {"keep": ["fr"]}} if "detect_language" in s else s for s in config["stages"]
    ]
    manifest = Pipeline.from_config(config).build(workers=0, progress=False).manifest
    assert manifest["counts"]["kept"] == 0 and manifest["tokens"]["total"] == 0
    profile = report(tmp_path / "out")
    (samples,) = profile["samples"]["dropped"].values()
    assert list(profile["samples"]["dropped"]) == ["detect_language.lang_not_kept"]
    assert [d["id"] for d in samples] == [
        "pompeo-nagorno-karabakh",
        "pompeo-variant-1-mojibake",
        "pompeo-variant-2-exact-copy",
    ]
    assert all("Mike Pompeo" in d["text"] and NEWSLETTER not in d["text"] for d in samples)
    assert profile["kept"] == {"chars": [], "lines": [], "quality": {}, "sources": [], "words": []}
    assert profile["samples"]["kept"] == []
    assert (tmp_path / "out" / "report.html").stat().st_size > 0


@pytest.mark.slow
def test_bench_slice_report_is_the_same_for_any_workers_and_blocks(tmp_path):
    """Workers 0 and 2 over blocks of 256KB, and one block: the same report.json bytes and tokens."""
    import bpe_openai

    src = bench_slice(tmp_path)
    builds = {}
    for name, extra in {
        "w0": {"workers": 0},
        "w2": {"workers": 2},
        "one-block": {"workers": 0, "block_size": "16MB"},
    }.items():
        out = tmp_path / name
        manifest = Pipeline.from_config(bench_config(src, out, **extra)).build(progress=False).manifest
        builds[name] = (out, manifest)
    out, manifest = builds["w0"]
    assert len(manifest["shards"]) > 3, "several blocks"
    data = (out / "report.json").read_bytes()
    for other, m in builds.values():
        assert (other / "report.json").read_bytes() == data
        assert m["tokens"] == manifest["tokens"] and m["counts"] == manifest["counts"]
    profile = json.loads(data)
    kept = manifest["counts"]["kept"]
    for name in ("chars", "words", "lines", "sources"):
        assert sum(n for _, n in profile["kept"][name]) == kept, name
    assert 0 < sum(n for _, n in profile["kept"]["quality"]["gopher_words"]) <= kept
    texts = shard_texts(out)
    encoding = bpe_openai.get_encoding("o200k_base")
    assert manifest["tokens"]["total"] == sum(len(encoding.encode_ordinary(t)) for t in texts)
    # the kept picks: the smallest id hashes among the kept documents, input as read
    from corpus.report.profile import id_hash

    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()]
    kept_ids = [i for s in manifest["shards"] for i in pq.read_table(out / s["path"])["id"].to_pylist()]
    wanted = sorted(kept_ids, key=id_hash)[:KEPT]
    assert [k["id"] for k in profile["samples"]["kept"]] == wanted
    by_id = {r["id"]: r["text"] for r in rows}
    assert all(by_id[k["id"]].startswith(k["input"].removesuffix(" …")) for k in profile["samples"]["kept"])
    dropped = profile["samples"]["dropped"]["exact_dedup.exact_duplicate"]
    assert [d["id"] for d in dropped] == [f"copy-of-{rows[i]['id']}" for i in (3, 50, 90)]


def steam_pages(folder: Path) -> tuple[Path, dict[str, str]]:
    """The six store.steampowered.com pages of ../shared/eval/extraction/wcxb (their full page text,
    furniture included, with their urls) as JSONL; and their texts by id."""
    root = shared_path("eval", "extraction", "wcxb")

    def rows(name: str) -> list[dict]:  # split on \n only: page texts hold U+2028
        return [json.loads(line) for line in (root / name).read_text(encoding="utf-8").split("\n") if line]

    urls = {r["id"]: r["url"] for r in rows("gold.jsonl") if "store.steampowered.com" in r["url"]}
    texts = {r["id"]: r["text"] for r in rows("fulltext.jsonl") if r["id"] in urls}
    assert len(texts) == 6
    path = folder / "steam.jsonl"
    rows = [{"id": i, "url": urls[i], "text": texts[i]} for i in sorted(texts)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path, texts


def steam_config(src: Path, out: Path, **extra) -> dict:
    return {
        "input": {"paths": [str(src)]},
        "stages": [{"repeated_lines": {}}, {"exact_dedup": {}}],
        "output": {"path": str(out)},
        "block_size": "20KB",
        **extra,
    }


def test_lines_a_corpus_step_removed_are_sampled(tmp_path):
    """repeated_lines on a real site's pages (decided after the map, in one process): the report
    shows the site's furniture it removed, in context, whatever the workers, and report.html lists it."""
    src, texts = steam_pages(tmp_path)
    reports = []
    for workers in (0, 2):
        out = tmp_path / f"w{workers}"
        manifest = (
            Pipeline.from_config(steam_config(src, out, workers=workers)).build(progress=False).manifest
        )
        assert manifest["stages"]["repeated_lines"]["removed.repeated_line"] > 0
        assert len(manifest["shards"]) > 1, "several blocks"
        reports.append((out / "report.json").read_bytes())
    assert reports[0] == reports[1]
    samples = json.loads(reports[0])["samples"]["removed_lines"]["repeated_lines:repeated_line"]
    assert len(samples) == PER_KEY
    first = min(texts)
    for s in samples:
        assert s["id"] == first, "the first page's lines, in input order"
        assert s["before"] + s["removed"] + s["after"] in texts[first]
        line = s["removed"].strip()
        assert sum(line in {x.strip() for x in t.split("\n")} for t in texts.values()) >= 5, line
    html = (tmp_path / "w0" / "report.html").read_text(encoding="utf-8")
    assert "<span class=stage>repeated_lines</span> repeated_line</h4>" in html
    assert f"<del>{escape(samples[0]['removed'].strip(), quote=False)}" in html


def test_count_tokens_true_is_exact(tmp_path):
    config = sample_config(path=str(tmp_path / "out"), count_tokens=True)
    manifest = Pipeline.from_config(config).build(workers=0, progress=False).manifest
    assert manifest["tokens"]["method"] == "exact" and manifest["tokens"]["total"] > 0


@pytest.mark.slow
def test_sampled_tokens_estimate_the_exact_count(tmp_path):
    """3,000 bench documents: the sample's estimate within 3 standard errors of the exact count, the
    same manifest with 0 and 2 workers; the card and the report say it is an estimate."""
    import math

    from corpus.report.tokens import ONE_IN, approx

    src = bench_slice(tmp_path, 3000)
    builds = {}
    for name, extra in {
        "exact": {"workers": 0, "count": "exact"},
        "w0": {"workers": 0},
        "w2": {"workers": 2},
    }.items():
        config = bench_config(src, tmp_path / name, block_size="2MB", **extra)
        config["stages"] = [{"fix_encoding": {}}]
        config["output"]["count_tokens"] = config.pop("count", "sample")
        builds[name] = Pipeline.from_config(config).build(progress=False).manifest
    exact, sampled = builds["exact"]["tokens"], builds["w0"]["tokens"]
    kept = builds["w0"]["counts"]["kept"]
    assert exact["method"] == "exact" and "relative_error" not in exact and kept > 2000
    assert sampled["method"] == "sample"
    for key in ("tokens", "counts", "shards"):
        assert builds["w2"][key] == builds["w0"][key], key
    assert math.isclose(sampled["sampled_documents"], kept / ONE_IN, rel_tol=0.3)
    assert 0 < sampled["relative_error"] < 0.05
    error = abs(sampled["total"] - exact["total"]) / exact["total"]
    assert error < 3 * sampled["relative_error"], (error, sampled["relative_error"])
    assert sum(sampled["splits"].values()) == sampled["total"] or len(sampled["splits"]) > 1
    percent = f"{sampled['relative_error'] * 100:.1f}%"
    card = (tmp_path / "w0" / "README.md").read_text(encoding="utf-8")
    assert (
        f"≈ {approx(sampled['total'])} tokens (o200k_base, estimated from "
        f"{sampled['sampled_documents']:,} of {kept:,} documents, ± {percent})" in card
    )
    page = (tmp_path / "w0" / "report.html").read_text(encoding="utf-8")
    assert f"≈ {approx(sampled['total'])}" in page and f"± {percent}" in page
    assert (
        "<th class=num>tokens (≈ estimated)</th>" in page
    )  # the tokens table says its figures are estimates
    from corpus.io.verify import verify_build

    assert verify_build(tmp_path / "w0") == []  # the manifest follows its schema


@pytest.fixture
def ray_here(request):
    """The session's local Ray of tests/engines/test_ray.py (skipped without the ray extra)."""
    pytest.importorskip("ray", reason="engine ray needs the ray extra: pip install corpus[ray]")
    return request.getfixturevalue("ray_cluster")


@pytest.mark.slow
def test_ray_gives_the_local_report(ray_here, tmp_path, monkeypatch):
    """Engine ray with dedup decided in the distributed form (its drops made in the write phase):
    the local engine's report.json, report.html and tokens, byte for byte."""
    from tests.engines.test_ray import build_both

    monkeypatch.setenv("CORPUS_RAY_DEDUP", "distributed")
    src = bench_slice(tmp_path)
    config = bench_config(src, tmp_path / "local")
    local, ray_manifest = build_both(tmp_path, config)  # every other file the same bytes too
    assert ray_manifest["tokens"] == local["tokens"]
    for name in ("report.json", "report.html"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    dropped = report(tmp_path / "ray")["samples"]["dropped"]["exact_dedup.exact_duplicate"]
    assert len(dropped) == PER_KEY and all(d["id"].startswith("copy-of-") and d["text"] for d in dropped)


@pytest.mark.slow
def test_ray_samples_the_lines_a_distributed_step_removed(ray_here, tmp_path, monkeypatch):
    """repeated_lines decided in the distributed form (its lines removed in the write phase): the
    local engine's report (decided in one process), byte for byte, with the site's furniture in it."""
    from tests.engines.test_ray import build_both

    monkeypatch.setenv("CORPUS_RAY_DEDUP", "distributed")
    src, _ = steam_pages(tmp_path)
    build_both(tmp_path, steam_config(src, tmp_path / "local"))
    for name in ("report.json", "report.html"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    assert (
        len(report(tmp_path / "ray")["samples"]["removed_lines"]["repeated_lines:repeated_line"]) == PER_KEY
    )
