"""The local engine: accounting closes, output loads with `datasets`, and bytes are deterministic."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
import yaml

from corpus import Document, Pipeline
from corpus import stages as registry
from corpus.document import features
from corpus.errors import BuildError
from corpus.io.write.shards import sha256_file

# The tiny stages of tests/stages_for_tests.py, registered for each test and removed after it.
pytestmark = pytest.mark.usefixtures("toy_stages")


def make_inputs(tmp_path, sample_article):
    """A sample article with copies, plus a JSONL file with short, bad and duplicate records."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(sample_article, encoding="utf-8")
    (src / "b.txt").write_text(sample_article + "\nSubscribe!\n", encoding="utf-8")  # same after footer strip
    rows = [{"id": f"r{i}", "text": f"record {i} has several words"} for i in range(600)]
    rows[10]["text"] = "short"
    rows[20]["text"] = rows[5]["text"]
    lines = [json.dumps(r) for r in rows]
    lines.insert(30, '{"id": "broken", "text": ')
    (src / "c.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return src


def config(src, out, **extra):
    return {
        "input": {"paths": [str(src / "*.txt"), str(src / "*.jsonl")]},
        "stages": [{"strip_footer": {}}, {"drop_short": {"min_words": 2}}, {"exact_dedup": {}}],
        "output": {"path": str(out), "max_shard_rows": 250},
        "batch_size": 64,
        **extra,
    }


def assert_clean(tmp_path):
    """No work folder (spools included) or lock left beside the output, nothing but the build in it."""
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    out = tmp_path / "out"
    build = {"data", "README.md", "manifest.json", "dropped.jsonl", "report.json", "report.html"}
    assert {p.name for p in out.iterdir()} <= build


@pytest.mark.parametrize("workers", [0, 2])
def test_build_accounts_for_every_document(tmp_path, sample_article, workers):
    src = make_inputs(tmp_path, sample_article)
    out = tmp_path / "out"
    # six blocks (a.txt + b.txt, then c.jsonl cut in five), mapped and written in any order
    result = Pipeline.from_config(config(src, out, block_size=8000)).build(workers=workers, progress=False)
    assert len(result.manifest["shards"]) == 6
    counts = result.manifest["counts"]
    assert counts["read"] == 2 + 601
    assert counts["quarantined"] == 1
    assert counts["dropped"] == {"drop_short.too_short": 1, "exact_dedup.exact_duplicate": 2}
    assert counts["kept"] == 603 - 1 - 1 - 2
    assert counts["read"] == counts["kept"] + sum(counts["dropped"].values()) + counts["quarantined"]
    (q,) = (out / "quarantine.jsonl").read_text().splitlines()
    assert json.loads(q)["line"] == 31 and json.loads(q)["file"].endswith("c.jsonl")
    dropped = [json.loads(line) for line in (out / "dropped.jsonl").read_text().splitlines()]
    assert [d["id"] for d in dropped] == ["b", "r10", "r20"]  # input order, block by block
    assert next(d for d in dropped if d["id"] == "r20")["note"] == "duplicate of r5"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"], "work folder or lock left behind"


def test_output_loads_with_datasets_and_matches_manifest(tmp_path, sample_article):
    import datasets

    src = make_inputs(tmp_path, sample_article)
    out = tmp_path / "out"
    # one shard per block: a.txt and b.txt grouped in one, c.jsonl (33 kB) cut in two;
    # max_shard_rows (250) is accepted but no longer cuts shards
    result = Pipeline.from_config(config(src, out, block_size=20_000)).build(workers=0, progress=False)
    shards = result.manifest["shards"]
    assert [s["path"] for s in shards] == [f"data/train-{i:05d}-of-00003.parquet" for i in range(3)]
    assert shards[0]["rows"] == 1  # a.txt; b.txt is its exact duplicate after the footer is stripped
    assert shards[1]["rows"] > 250 and sum(s["rows"] for s in shards) == result.manifest["counts"]["kept"]
    for s in shards:
        assert sha256_file(out / s["path"]) == s["sha256"]
        assert pq.ParquetFile(out / s["path"]).metadata.num_rows == s["rows"]
    ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "hf"))
    assert len(ds) == result.manifest["counts"]["kept"]
    assert ds.features == features()
    assert ds[0]["id"] == "a" and ds[0]["text"] == sample_article.strip("\n")
    card = (out / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(card.split("---")[1])
    assert header["configs"][0]["data_files"] == [{"split": "train", "path": "data/train-*.parquet"}]
    assert header["size_categories"] == ["n<1K"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == result.manifest["counts"]


def test_same_input_same_bytes_whatever_the_worker_count(tmp_path, sample_article):
    src = make_inputs(tmp_path, sample_article)
    one = Pipeline.from_config(config(src, tmp_path / "one")).build(workers=0, progress=False)
    two = Pipeline.from_config(config(src, tmp_path / "two")).build(workers=2, progress=False)
    assert [s["sha256"] for s in one.manifest["shards"]] == [s["sha256"] for s in two.manifest["shards"]]
    strip = {"config", "config_sha256", "files"}  # output path differs, and the card shows the config
    assert {k: v for k, v in one.manifest.items() if k not in strip} == {
        k: v for k, v in two.manifest.items() if k not in strip
    }


def test_rebuild_replaces_previous_output_atomically(tmp_path, sample_article):
    src = make_inputs(tmp_path, sample_article)
    out = tmp_path / "out"
    Pipeline.from_config(config(src, out)).build(workers=0, progress=False)
    (out / "data" / "train-00000-of-00009.parquet").write_bytes(b"a shard an older build left")
    (out / "notes.txt").write_text("the user's own file")
    with pytest.raises(BuildError, match=r"not part of the previous build \(data/train-00000-of-00009"):
        Pipeline.from_config(config(src, out)).build(workers=0, progress=False)
    assert (out / "notes.txt").exists()  # never deleted: the build stops before reading a byte
    (out / "notes.txt").unlink()
    (out / "data" / "train-00000-of-00009.parquet").unlink()
    old = {p.name for p in (out / "data").iterdir()}
    Pipeline.from_config(config(src, out)).build(workers=0, progress=False)
    assert {p.name for p in (out / "data").iterdir()} == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_python_pipeline_runs_in_process(sample_article):
    from corpus import Document

    pipeline = Pipeline([registry.build("strip_footer"), registry.build("exact_dedup")])
    docs = [
        Document(id="1", text="a b c\nSubscribe!"),
        Document(id="2", text="a  b c"),
        Document(id="3", text="x"),
    ]
    assert [(d.id, d.text) for d in pipeline.run(docs)] == [("1", "a b c"), ("3", "x")]


@pytest.mark.parametrize("workers", [0, 2])
def test_global_step_sees_every_document_before_deciding(tmp_path, workers):
    src = tmp_path / "in"
    src.mkdir()
    rows = [{"id": f"d{i}", "text": f"w{i % 7} " + "x " * (i % 11)} for i in range(700)]
    (src / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    cfg = {
        "input": {"paths": [str(src / "d.jsonl")]},
        "stages": [{"longest_per_first_word": {}}, {"exact_dedup": {}}],
        "output": {"path": str(tmp_path / "out")},
        "batch_size": 50,
    }
    pipeline = Pipeline.from_config(cfg)
    assert [s.name for s in pipeline.corpus_steps] == ["exact_dedup", "longest_per_first_word"]
    result = pipeline.build(workers=workers, progress=False)
    counts = result.manifest["counts"]
    exact = counts["dropped"]["exact_dedup.exact_duplicate"]
    assert (
        counts["kept"] == 7 and exact + counts["dropped"]["longest_per_first_word.shares_first_word"] == 693
    )
    import datasets

    ds = datasets.load_dataset(str(tmp_path / "out"), split="train", cache_dir=str(tmp_path / "hf"))
    in_process = list(Pipeline.from_config(cfg).run(Document.from_dict(r) for r in rows))
    assert [r["id"] for r in ds] == [d.id for d in in_process]
    assert sum(json.loads(r["meta"])["cluster_size"] for r in ds) == 700 - exact
    assert_clean(tmp_path)


@pytest.mark.parametrize("workers", [0, 2])
def test_global_steps_chain_each_seeing_the_previous_ones_output(tmp_path, workers):
    src = tmp_path / "in"
    src.mkdir()
    # every document ends with the same footer line; once it is gone, "w3 ..." documents share a first word
    rows = [{"id": f"d{i}", "text": f"w{i % 4} body {i}\nFooter line"} for i in range(300)]
    (src / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    cfg = {
        "input": {"paths": [str(src / "d.jsonl")]},
        "stages": [{"drop_lines_seen_twice": {}}, {"longest_per_first_word": {}}],
        "output": {"path": str(tmp_path / "out")},
        "batch_size": 32,
    }
    result = Pipeline.from_config(cfg).build(workers=workers, progress=False)
    assert result.manifest["counts"]["kept"] == 4
    assert result.manifest["stages"]["drop_lines_seen_twice"]["docs_changed"] == 300
    in_process = list(Pipeline.from_config(cfg).run(Document.from_dict(r) for r in rows))
    assert [d.text for d in in_process] == [
        "w0 body 100",
        "w1 body 101",
        "w2 body 102",
        "w3 body 103",
    ]  # longest, then earliest
    assert_clean(tmp_path)


def test_global_pass_reads_blocks_again_and_spools_only_changed_documents(tmp_path):
    """Streaming steps keep some documents as they are and change others; the global step sees both."""
    src = tmp_path / "in"
    src.mkdir()
    rows = [{"id": f"d{i}", "text": f"w{i % 5} " + "y" * (i % 9) + "z" * (i % 5 < 2)} for i in range(500)]
    (src / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    cfg = {
        "input": {"paths": [str(src / "d.jsonl")]},
        "stages": [{"tag_odd_length": {}}, {"exact_dedup": {}}, {"longest_per_first_word": {}}],
        "output": {"path": str(tmp_path / "out")},
        "batch_size": 40,
        "checkpoint_docs": 120,  # accepted, no effect
        "block_size": 2000,
    }
    result = Pipeline.from_config(cfg).build(workers=0, progress=False)
    import datasets

    ds = datasets.load_dataset(str(tmp_path / "out"), split="train", cache_dir=str(tmp_path / "hf"))
    in_process = list(Pipeline.from_config(cfg).run(Document.from_dict(r) for r in rows))
    assert [(r["id"], json.loads(r["meta"])) for r in ds] == [(d.id, d.meta) for d in in_process]
    assert any(d.meta.get("odd") for d in in_process) and any(not d.meta.get("odd") for d in in_process)
    assert result.manifest["counts"]["kept"] == 5
    assert len(result.manifest["shards"]) > 3  # one per block, most of them empty
    assert_clean(tmp_path)


def test_a_script_that_builds_at_its_top_level_is_told_how_to_fix_it(tmp_path):
    """Spawned workers import the caller's script; unguarded, each would build again and die.

    The build fails with a BuildError that names the script and the fix, not a bare "worker died".
    """
    import subprocess
    import sys

    from tests.conftest import ROOT

    (tmp_path / "in.txt").write_text((ROOT / "data" / "sample" / "pompeo-nagorno-karabakh.txt").read_text())
    script = tmp_path / "make_corpus.py"
    script.write_text(
        "import corpus\n"
        "pipeline = corpus.Pipeline([corpus.stages.build('fix_encoding')])\n"
        "pipeline.build(inputs=['in.txt'], output='out', workers=1, progress=False)\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert run.returncode != 0
    assert "BuildError" in run.stderr
    assert (
        'make_corpus.py calls build() at its top level, put the call under `if __name__ == "__main__":`'
        in (run.stderr)
    )
    guarded = script.read_text().replace("pipeline.build(", "if __name__ == '__main__':\n    pipeline.build(")
    script.write_text(guarded, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "manifest.json").is_file()
