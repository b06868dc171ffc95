"""Engine ray from s3:// inputs to an s3:// output, against a real S3-compatible server (moto's, on
127.0.0.1; see tests/s3server.py). Nothing of ours is mocked: the driver and Ray's worker processes
reach the bucket through the environment alone.

The server must be up before Ray starts, so that Ray's processes inherit its environment: the build
runs the CLI in a fresh process that starts its own private local Ray (``--workers 2``), never the
session's Ray of tests/engines/test_ray.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from corpus.pipeline import Pipeline
from tests.conftest import ROOT
from tests.s3server import SECRET, upload

pytest.importorskip("ray", reason="engine ray needs the ray extra: pip install corpus[ray]")

pytestmark = pytest.mark.usefixtures("fresh_s3fs")

SAMPLE = ROOT / "data" / "sample"
BLOCK_SIZE = 4000  # bytes: each of the six sample files is a block of its own


def s3():
    import boto3

    return boto3.client("s3")


def keys(bucket: str, prefix: str = "") -> list[str]:
    pages = s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def config(inputs: str, output: str) -> dict:
    """configs/sample.yaml's stages over the sample files at ``inputs``, in blocks of 4 kB."""
    from corpus.config import load_yaml

    return {
        "name": "ray s3 round trip",
        "input": {"paths": [f"{inputs}/*.txt", f"{inputs}/*.html"], "format": "auto"},
        "stages": load_yaml(ROOT / "configs" / "sample.yaml")["stages"],
        "output": {"path": output},
        "block_size": BLOCK_SIZE,
    }


def corpus_cli(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh process: the S3 server's environment, no Ray of this process's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_") and k != "CORPUS_RAY_RUN"}
    env |= {"PYTHONPATH": str(ROOT), "RAY_DEDUP_LOGS": "0"}
    run = subprocess.run(
        [sys.executable, "-m", "corpus.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert SECRET not in run.stdout + run.stderr, "the secret access key was printed"
    return run


@pytest.mark.slow  # ~30 s; the local engine's S3 builds run in make test (tests/io/test_s3_build.py)
def test_ray_build_from_s3_to_s3_verifies_loads_and_equals_the_local_engine(s3_server, tmp_path):
    import datasets

    bucket = s3_server.bucket
    inputs, out = f"s3://{bucket}/ray-in", f"s3://{bucket}/ray-out"
    upload(SAMPLE, inputs)
    (tmp_path / "build.yaml").write_text(json.dumps(config(inputs, out)), encoding="utf-8")

    built = corpus_cli("build", "build.yaml", "--engine", "ray", "--workers", "2", "--quiet", cwd=tmp_path)
    assert built.returncode == 0, built.stderr[-3000:]
    assert built.stdout.startswith(f"built {out}"), built.stdout
    assert "read 6, kept 1, dropped 5, quarantined 0" in built.stdout, built.stdout
    assert not [k for k in keys(bucket) if k.startswith(".ray-out.")], "a work folder was left in the bucket"

    checked = corpus_cli("verify", out, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr[-3000:]
    assert f"{out}: ok, every shard and file matches the manifest" in checked.stdout

    manifest = json.loads(s3().get_object(Bucket=bucket, Key="ray-out/manifest.json")["Body"].read())
    assert len(manifest["shards"]) == 6  # one per block
    urls = [f"{out}/{s['path']}" for s in manifest["shards"]]
    options = {"endpoint_url": s3_server.endpoint}  # the credentials: from the environment
    data = datasets.load_dataset(
        "parquet", data_files=urls, split="train", storage_options=options, cache_dir=str(tmp_path / "hf")
    )
    assert len(data) == manifest["counts"]["kept"] == 1

    # the same inputs, the local engine, a local folder: the same shards, byte for byte
    local = Pipeline.from_config(config(inputs, str(tmp_path / "local"))).build(workers=0, progress=False)
    assert local.manifest["counts"] == manifest["counts"]
    assert local.manifest["shards"] == manifest["shards"]
    remote = {
        key.removeprefix("ray-out/"): s3().get_object(Bucket=bucket, Key=key)["Body"].read()
        for key in keys(bucket, "ray-out/data/")
    }
    mine = {
        p.relative_to(tmp_path / "local").as_posix(): p.read_bytes()
        for p in sorted((tmp_path / "local" / "data").iterdir())
    }
    assert remote == mine, "the Ray build's shards differ from the local engine's"
    for name in ("dropped.jsonl", "quarantine.jsonl"):
        if (tmp_path / "local" / name).exists():
            body = s3().get_object(Bucket=bucket, Key=f"ray-out/{name}")["Body"].read()
            assert body == (tmp_path / "local" / name).read_bytes(), name
