"""A real build with the four quality stages over bench documents: typed signal columns in tag mode,
every document accounted for by stage.rule in drop mode."""

from __future__ import annotations

import io
import json
import random

import pytest
from conftest import shared_path

from corpus import Pipeline
from corpus import stages as registry
from corpus.document import Document, features
from corpus.text.quality_signals import SIGNALS

STAGES = ("gopher_quality", "gopher_repetition", "c4_quality", "fineweb_quality")


@pytest.fixture(scope="module")
def bench_docs() -> list[dict]:
    """50 bench documents (seeded; under 20,000 characters so the build stays quick)."""
    import zstandard

    path = shared_path("bench", "base_text.jsonl.zst")
    with path.open("rb") as f:
        lines = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8").readlines()
    rows = [json.loads(line) for line in random.Random(7).sample(lines, 400)]
    rows = [r for r in rows if len(r["text"]) < 20_000][:50]
    assert len(rows) == 50
    return [{"id": r["id"], "text": r["text"], "source": r["source"]} for r in rows]


def config(tmp_path, docs, mode: str) -> dict:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return {
        "input": {"paths": [str(src)]},
        "stages": [{name: {"mode": mode, "language": "en"}} for name in STAGES],
        "output": {"path": str(tmp_path / "out")},
        "batch_size": 16,
    }


def tagged_in_process(docs: list[dict]) -> dict[str, Document]:
    built = [registry.build(name, mode="tag", language="en") for name in STAGES]
    out = {}
    for d in docs:
        doc = Document(id=d["id"], text=d["text"])
        for stage in built:
            doc = stage.apply(doc).doc
        out[doc.id] = doc
    return out


@pytest.fixture(scope="module")
def tag_build(tmp_path_factory, bench_docs):
    import datasets

    tmp_path = tmp_path_factory.mktemp("tag")
    result = Pipeline.from_config(config(tmp_path, bench_docs, "tag")).build(workers=0, progress=False)
    ds = datasets.load_dataset(str(tmp_path / "out"), split="train", cache_dir=str(tmp_path / "hf"))
    return result, ds


def test_tag_mode_writes_typed_signal_columns(tag_build, bench_docs):
    result, ds = tag_build
    counts = result.manifest["counts"]
    assert counts["read"] == counts["kept"] == 50 and not counts.get("dropped")
    assert ds.features == features()
    struct = ds.features["quality_signals"]
    assert set(struct) == set(SIGNALS)
    for name, signal in SIGNALS.items():
        assert struct[name].dtype == {"int": "int64", "float": "float64"}[signal.kind], name
    assert ds.features["quality_failed"].feature.dtype == "string"
    expected = tagged_in_process(bench_docs)
    assert sorted(ds["id"]) == sorted(expected)
    assert [r["text"] for r in ds] == [expected[i].text for i in ds["id"]]  # tag mode never edits
    assert 0 < sum(bool(d.quality_failed) for d in expected.values()) < 50
    stage_counts = result.manifest["stages"]
    for name in STAGES:  # tag counters reach the manifest as tagged.<rule>
        tagged: dict[str, int] = {}
        for doc in expected.values():
            for f in doc.quality_failed:
                if f.startswith(f"{name}."):
                    key = "tagged." + f.split(".", 1)[1]
                    tagged[key] = tagged.get(key, 0) + 1
        got = {k: v for k, v in stage_counts[name].items() if k.startswith("tagged.")}
        assert got == tagged, name


def test_tag_mode_signal_values_reach_the_output(tag_build, bench_docs):
    _, ds = tag_build
    expected = tagged_in_process(bench_docs)
    for row in ds:
        doc = expected[row["id"]]
        assert row["quality_signals"] is not None, row["id"]
        signals = {k: v for k, v in row["quality_signals"].items() if v is not None}
        assert signals == doc.quality_signals, row["id"]
        assert all(isinstance(v, int) for k, v in signals.items() if SIGNALS[k].kind == "int")
        assert row["quality_failed"] == doc.quality_failed


def test_drop_mode_accounts_for_every_document_by_stage_and_rule(tmp_path, bench_docs):
    import datasets

    result = Pipeline.from_config(config(tmp_path, bench_docs, "drop")).build(workers=0, progress=False)
    counts = result.manifest["counts"]
    built = [registry.build(name, language="en") for name in STAGES]
    expected: dict[str, int] = {}
    kept = []
    for d in bench_docs:  # the same chain in process: c4 edits the text the FineWeb stage sees
        doc: Document | None = Document(id=d["id"], text=d["text"])
        for stage in built:
            out = stage.apply(doc)
            if out.doc is None:
                key = f"{stage.name}.{out.reason}"
                expected[key] = expected.get(key, 0) + 1
                break
            doc = out.doc
        else:
            kept.append(doc)
    assert counts["dropped"] == expected
    assert all(k.split(".")[0] in STAGES for k in counts["dropped"])
    assert (
        counts["read"]
        == 50
        == counts["kept"] + sum(counts["dropped"].values()) + counts.get("quarantined", 0)
    )
    assert counts["kept"] == len(kept) > 0
    out = tmp_path / "out"
    dropped = [json.loads(line) for line in (out / "dropped.jsonl").read_text().splitlines()]
    ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "hf"))
    assert sorted([d["id"] for d in dropped] + list(ds["id"])) == sorted(d["id"] for d in bench_docs)
    assert [r["text"] for r in ds] == [d.text for d in kept]  # c4's line removals reach the output
    assert all(r["quality_signals"] is None and r["quality_failed"] is None for r in ds)


@pytest.mark.parametrize("dedup", ["near_dedup", "exact_dedup"])
def test_signals_survive_a_corpus_step_after_them(tmp_path, bench_docs, dedup):
    """A kept document that a corpus step passes on keeps the signals tagged before it.

    near_dedup annotates the documents it keeps (a changed document goes through the decide
    phase's ``doc`` fate): that fate used to carry no quality fields, so every near_dedup
    build wrote null quality_signals.
    """
    import pyarrow.parquet as pq

    cfg = config(tmp_path, bench_docs, "tag")
    cfg["stages"].append({dedup: {}})
    Pipeline.from_config(cfg).build(workers=0, progress=False)
    rows = pq.read_table(sorted((tmp_path / "out" / "data").glob("*.parquet"))[0]).to_pylist()
    expected = tagged_in_process(bench_docs)
    assert len(rows) >= 45  # the bench sample holds few duplicates
    for row in rows:
        signals = {k: v for k, v in row["quality_signals"].items() if v is not None}
        assert signals == pytest.approx(expected[row["id"]].quality_signals), row["id"]
        assert row["quality_failed"] == expected[row["id"]].quality_failed
