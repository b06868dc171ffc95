"""A build whose inputs, work folder and output are all s3:// URLs, with the local engine, against
a real S3-compatible server (moto's, on 127.0.0.1; see tests/s3server.py). Nothing of ours is
mocked: s3fs, pyarrow and the datasets library reach the server through the environment alone.

The inputs are two small JSONL files made from the sample article (the ``sample_article``
fixture's file, data/sample/pompeo-nagorno-karabakh.txt): its paragraphs in distinct
combinations, then exact copies and near copies of some of them, so exact and near dedup both
drop something.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.engines import local
from corpus.errors import BuildError
from corpus.pipeline import Pipeline
from tests.conftest import ROOT
from tests.s3server import SECRET, clear_s3fs_cache, upload

ARTICLE = ROOT / "data" / "sample" / "pompeo-nagorno-karabakh.txt"  # the sample_article fixture's file
RUN_CLI = "import sys; from corpus.cli import main; sys.exit(main(sys.argv[1:]))"
BLOCK_SIZE = 2000  # bytes: the ~9 KB of input makes several blocks

pytestmark = pytest.mark.usefixtures("fresh_s3fs")


def _paragraphs() -> list[str]:
    return [p for p in ARTICLE.read_text(encoding="utf-8").split("\n") if len(p) > 80]


def _lines(rows: list[dict[str, str]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


@pytest.fixture(scope="module")
def local_inputs(tmp_path_factory) -> Path:
    """a.jsonl: 14 documents, each two paragraphs of the article; b.jsonl: 3 exact copies of a's
    documents (other ids), 2 near copies (one word added) and 3 new documents."""
    paras = _paragraphs()
    n = len(paras)
    docs = [f"{paras[i % n]} {paras[(i * 5 + 3) % n]}" for i in range(14)]
    a = [{"id": f"a{i}", "text": text} for i, text in enumerate(docs)]
    b = [{"id": f"copy{i}", "text": docs[i]} for i in (1, 4, 9)]
    b += [{"id": f"near{i}", "text": docs[i] + " (Reuters)"} for i in (2, 7)]
    b += [{"id": f"b{i}", "text": f"{paras[(i * 3 + 1) % n]} {paras[(i + 11) % n]}"} for i in range(3)]
    root = tmp_path_factory.mktemp("s3-build-inputs")
    (root / "a.jsonl").write_text(_lines(a), encoding="utf-8")
    (root / "b.jsonl").write_text(_lines(b), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def remote_inputs(s3_server, local_inputs) -> str:
    url = f"s3://{s3_server.bucket}/in"
    upload(local_inputs, url)
    return url


def config(inputs: str, output: str, **extra) -> dict:
    return {
        "name": "s3 round trip",
        "input": {"paths": [inputs], "format": "jsonl"},
        "stages": [{"exact_dedup": {}}, {"near_dedup": {}}],
        "output": {"path": output},
        "block_size": BLOCK_SIZE,
        **extra,
    }


def build(inputs: str, output: str, workers: int = 0):
    return Pipeline.from_config(config(inputs, output)).build(workers=workers, progress=False)


def s3():
    import boto3

    return boto3.client("s3")


def keys(bucket: str, prefix: str = "") -> list[str]:
    pages = s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def shard_bytes(bucket: str, prefix: str) -> dict[str, bytes]:
    """The data shards under ``prefix`` (relative names) and their bytes."""
    return {
        key[len(prefix) + 1 :]: s3().get_object(Bucket=bucket, Key=key)["Body"].read()
        for key in keys(bucket, f"{prefix}/data/")
    }


def local_shards(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted((folder / "data").iterdir())}


def corpus(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess that inherits only the environment (the checkout's code first)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", RUN_CLI, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert SECRET not in run.stdout + run.stderr, "the secret access key was printed"
    return run


@pytest.fixture(scope="module")
def local_build(remote_inputs, tmp_path_factory) -> Path:
    """The same build into a local folder: what a build into the bucket must equal byte for byte.
    (The inputs are the same objects: a shard records each document's source, its input's name.)"""
    out = tmp_path_factory.mktemp("s3-build-local") / "out"
    build(f"{remote_inputs}/*.jsonl", str(out))
    return out


@pytest.fixture(scope="module")
def s3_build(s3_server, remote_inputs):
    """The build from the bucket into it (workers=0), once for the module: its URL and result."""
    out = f"s3://{s3_server.bucket}/out"
    return out, build(f"{remote_inputs}/*.jsonl", out)


def check_round_trip(bucket: str, prefix: str, result, local_build: Path) -> None:
    """Counts, shards equal to the local build's, no work or staging folder left in the bucket."""
    manifest = result.manifest
    counts = manifest["counts"]
    assert result.output == f"s3://{bucket}/{prefix}"
    assert (counts["read"], counts["kept"], counts["quarantined"]) == (22, 17, 0), counts
    assert counts["dropped"] == {"exact_dedup.exact_duplicate": 3, "near_dedup.near_duplicate": 2}, counts
    assert len(manifest["shards"]) == 5  # several blocks: one shard each
    remote = shard_bytes(bucket, prefix)
    assert sorted(remote) == sorted(s["path"] for s in manifest["shards"])
    assert remote == local_shards(local_build), "the shards differ from the same build's in a local folder"
    work = prefix.rpartition("/")[2]
    assert not [k for k in keys(bucket) if k.startswith(f".{work}.")], "a work folder was left in the bucket"


def test_a_build_from_s3_to_s3_verifies_and_equals_the_same_build_in_a_folder(
    s3_server, s3_build, local_build
):
    out, result = s3_build
    check_round_trip(s3_server.bucket, "out", result, local_build)
    assert not [k for k in keys(s3_server.bucket) if k.startswith(".out.")], keys(s3_server.bucket)
    run = corpus("verify", out)
    assert run.returncode == 0, run.stderr
    assert f"{out}: ok, every shard and file matches the manifest" in run.stdout


@pytest.mark.slow
def test_two_workers_write_the_same_bytes_into_the_bucket(s3_server, remote_inputs, local_build):
    """The workers are spawned processes: they reach the bucket through the environment alone."""
    result = build(f"{remote_inputs}/*.jsonl", f"s3://{s3_server.bucket}/out-2", workers=2)
    check_round_trip(s3_server.bucket, "out-2", result, local_build)
    assert not [k for k in keys(s3_server.bucket) if k.startswith(".out-2.")]
    from corpus.io.verify import verify_build

    assert verify_build(f"s3://{s3_server.bucket}/out-2") == []


def test_load_dataset_reads_the_shards_at_their_urls(s3_server, s3_build):
    import datasets

    out, result = s3_build
    urls = [f"{out}/{s['path']}" for s in result.manifest["shards"]]
    options = {"endpoint_url": s3_server.endpoint}  # the credentials: from the environment
    data = datasets.load_dataset("parquet", data_files=urls, split="train", storage_options=options)
    assert len(data) == result.manifest["counts"]["kept"] == 17
    ids = data["id"]
    assert len(set(ids)) == 17 and not {"copy1", "copy4", "copy9", "near2", "near7"} & set(ids)


def test_a_second_build_into_the_same_output_replaces_the_first(s3_server, remote_inputs, s3_build):
    bucket = s3_server.bucket
    first = Pipeline.from_config(config(f"{remote_inputs}/*.jsonl", f"s3://{bucket}/again"))
    first.build(workers=0, progress=False)
    before = keys(bucket, "again/")
    result = build(f"{remote_inputs}/a.jsonl", f"s3://{bucket}/again")  # fewer blocks: other shard names
    after = keys(bucket, "again/")
    shards = sorted(f"again/{s['path']}" for s in result.manifest["shards"])
    assert result.manifest["counts"]["read"] == 14
    assert [k for k in after if k.startswith("again/data/")] == shards
    assert set(before) - set(after), "the first build's shards are gone"
    from corpus.io.verify import verify_build

    assert verify_build(f"s3://{bucket}/again") == []
    assert not [k for k in keys(bucket) if k.startswith(".again.")]


def test_a_missing_bucket_is_a_clear_error_and_nothing_is_created(remote_inputs):
    before = [b["Name"] for b in s3().list_buckets()["Buckets"]]
    with pytest.raises(BuildError, match=r"s3://no-such-bucket/out: bucket 'no-such-bucket' does not exist"):
        build(f"{remote_inputs}/*.jsonl", "s3://no-such-bucket/out")
    assert [b["Name"] for b in s3().list_buckets()["Buckets"]] == before


def test_the_cli_names_a_missing_output_bucket_without_the_secret(remote_inputs, tmp_path):
    cfg = tmp_path / "c.json"  # YAML is a superset of JSON
    cfg.write_text(
        json.dumps(config(f"{remote_inputs}/*.jsonl", "s3://no-such-bucket/out")), encoding="utf-8"
    )
    run = corpus("build", str(cfg), "--workers", "0", "--quiet")  # asserts SECRET is not printed
    assert run.returncode == 2, run.stderr
    assert "bucket 'no-such-bucket' does not exist" in run.stderr and "Traceback" not in run.stderr


def test_a_build_interrupted_after_a_block_resumes_into_the_same_bytes(
    s3_server, remote_inputs, local_build, monkeypatch
):
    bucket = s3_server.bucket

    def stop(name: str, n: int) -> None:
        if (name, n) == ("block_written", 1):
            raise KeyboardInterrupt

    monkeypatch.setattr(local, "on_event", stop)
    with pytest.raises(KeyboardInterrupt):
        build(f"{remote_inputs}/*.jsonl", f"s3://{bucket}/resumed")
    work = keys(bucket, ".resumed.work/")
    assert ".resumed.work/write/block-000001.json" in work and not keys(bucket, "resumed/")
    monkeypatch.setattr(local, "on_event", None)
    clear_s3fs_cache()  # as a new process would: nothing cached from the first run
    result = build(f"{remote_inputs}/*.jsonl", f"s3://{bucket}/resumed")
    assert result.resumed == 5  # every block was mapped before the write phase began
    check_round_trip(bucket, "resumed", result, local_build)
    assert not [k for k in keys(bucket) if k.startswith(".resumed.")]


def test_an_output_at_a_bucket_root_or_inside_the_inputs_is_refused_and_nothing_written(
    s3_server, remote_inputs
):
    bucket = s3_server.bucket
    s3().create_bucket(Bucket="empty-bucket")
    before = keys(bucket)
    for inputs, out, why in (
        (f"{remote_inputs}/*.jsonl", "s3://empty-bucket", "output s3://empty-bucket: is a bucket's root"),
        (f"{remote_inputs}/*.jsonl", f"s3://{bucket}", f"output s3://{bucket}: holds the input"),
        (f"{remote_inputs}/", f"{remote_inputs}/out", f"lies inside the input {remote_inputs}/"),
        (f"{remote_inputs}/**/*.jsonl", f"{remote_inputs}/o", "lies inside the input"),
        (f"{remote_inputs}/*.jsonl", remote_inputs, f"holds the input {remote_inputs}/a.jsonl"),
    ):
        with pytest.raises(BuildError, match=why.replace("*", r"\*")):
            build(inputs, out)
    assert keys(bucket) == before and keys("empty-bucket") == []
