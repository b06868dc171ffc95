"""JSONL output (issue 19 part 4): ``output.format: jsonl`` with zstd, gzip or no compression
gives the rows the Parquet build gives, through ``datasets.load_dataset``, in deterministic bytes,
and ``corpus verify`` and ``corpus publish --dry-run`` accept the build.

Real text: the shipped sample, and the 300 long documents of ../shared/eval/langid (read in place).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest

from corpus import Pipeline
from corpus.io.verify import verify_build
from tests.conftest import ROOT, shared_path

SUFFIX = {"zstd": "jsonl.zst", "gzip": "jsonl.gz", "none": "jsonl"}


def build(out, config_path=None, workers=0, **output):
    if config_path is None:
        config_path = ROOT / "configs" / "sample.yaml"
    pipeline = Pipeline.from_yaml(config_path)
    config = pipeline.config
    config["output"] = {**config["output"], **output}
    Pipeline.from_config(config, config_dir=pipeline.config_dir).build(
        output=out, workers=workers, progress=False
    )
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def rows(out, tmp_path, name="default"):
    import datasets

    ds = datasets.load_dataset(str(out), name, cache_dir=str(tmp_path / "hf"))
    return {split: (d.features, d.to_list()) for split, d in ds.items()}


@pytest.fixture(scope="module")
def parquet_sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("pq") / "sample"
    build(out)
    return out


@pytest.mark.parametrize("compression", ["zstd", "gzip", "none"])
def test_jsonl_sample_loads_the_rows_of_the_parquet_build(parquet_sample, tmp_path, compression):
    out = tmp_path / "sample"
    manifest = build(out, format="jsonl", compression=compression)
    assert [s["path"] for s in manifest["shards"]] == [f"data/train-00000-of-00001.{SUFFIX[compression]}"]
    assert rows(out, tmp_path) == rows(parquet_sample, tmp_path / "p")
    header = (out / "README.md").read_text(encoding="utf-8").split("---")[1]
    assert f"path: data/train-*.{SUFFIX[compression]}" in header
    assert verify_build(out) == []
    dry = subprocess.run(
        [sys.executable, "-m", "corpus.cli", "publish", str(out), "--to", str(tmp_path / "pub"), "--dry-run"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert dry.returncode == 0, dry.stderr
    assert f"data/train-00000-of-00001.{SUFFIX[compression]}" in dry.stdout


def test_a_line_is_the_parquet_row(parquet_sample, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "sample"
    build(out, format="jsonl", compression="none")
    lines = (out / "data" / "train-00000-of-00001.jsonl").read_text(encoding="utf-8").splitlines()
    table = pq.read_table(parquet_sample / "data" / "train-00000-of-00001.parquet")
    assert [json.loads(line) for line in lines] == table.to_pylist()
    assert list(json.loads(lines[0])) == table.column_names  # fields in the document's order


def test_gzip_header_has_no_time_and_no_name(tmp_path):
    out = tmp_path / "sample"
    build(out, format="jsonl", compression="gzip")
    raw = (out / "data" / "train-00000-of-00001.jsonl.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b" and raw[3] & 0x08 == 0  # FNAME flag unset
    assert raw[4:8] == b"\0\0\0\0"  # MTIME 0
    assert gzip.decompress(raw).decode("utf-8").count("\n") == 1


@pytest.fixture(scope="module")
def long_docs(tmp_path_factory):
    """A config over the 300 long multilingual documents of ../shared/eval/langid, cut into blocks."""
    docs = shared_path("eval", "langid", "long-docs.jsonl")
    where = tmp_path_factory.mktemp("long")
    config = {
        "name": "langid long docs",
        "license": "apache-2.0",  # lingua-py's test data (../shared/eval/langid/SOURCE.txt)
        "input": {"paths": [str(docs)], "id_field": "key"},
        "stages": [{"fix_encoding": {}}, {"exact_dedup": {}}],
        "output": {"path": "out", "format": "jsonl", "splits": {"train": 0.9, "validation": 0.1}},
        "block_size": "400KB",
    }
    path = where / "long.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def test_jsonl_real_slice_is_deterministic_and_loads_like_parquet(long_docs, tmp_path):
    one, two, pq_out = tmp_path / "w0", tmp_path / "w2", tmp_path / "pq"
    m1 = build(one, long_docs, workers=0)
    m2 = build(two, long_docs, workers=2)
    build(pq_out, long_docs, workers=0, format="parquet")
    assert len(m1["shards"]) > 2 and {s["split"] for s in m1["shards"]} == {"train", "validation"}
    assert [(s["path"], s["sha256"]) for s in m1["shards"]] == [
        (s["path"], s["sha256"]) for s in m2["shards"]
    ]
    assert (one / "README.md").read_bytes() == (two / "README.md").read_bytes()
    got, want = rows(one, tmp_path / "a"), rows(pq_out, tmp_path / "b")
    assert got == want and sum(len(r) for _, r in got.values()) == m1["counts"]["kept"] == 300
    assert verify_build(one) == []
