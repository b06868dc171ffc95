"""Inputs, verify and publish at s3:// URLs, against a real S3-compatible server (moto's, on
127.0.0.1; see tests/s3server.py). Nothing in our code is mocked: s3fs and boto3 reach the
server through the environment alone, in this process and in the CLI run as a subprocess."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.errors import BuildError, ConfigError
from corpus.io.read import expand_inputs, read_input
from corpus.io.read.base import Quarantined
from tests.s3server import SECRET, clear_s3fs_cache, upload

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
SHARD = "data/train-00000-of-00001.parquet"
RUN_CLI = "import sys; from corpus.cli import main; sys.exit(main(sys.argv[1:]))"

pytestmark = pytest.mark.usefixtures("fresh_s3fs")


def corpus(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess that inherits only the environment (the checkout's code first)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", RUN_CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert SECRET not in run.stdout + run.stderr, "the secret access key was printed"
    return run


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """The CLI in this process (faster than a subprocess): exit code, stdout, stderr."""
    from corpus.cli import main

    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    assert SECRET not in out + err, "the secret access key was printed"
    return code, out, err


def s3():
    import boto3

    return boto3.client("s3")


@pytest.fixture(scope="module")
def local_inputs(tmp_path_factory) -> Path:
    """The sample articles and pages plus one file of each other format, as a local folder."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.test_cli import write_warc

    root = tmp_path_factory.mktemp("inputs")
    for f in sorted(SAMPLE.iterdir()):
        (root / f.name).write_bytes(f.read_bytes())
    article = (SAMPLE / "pompeo-nagorno-karabakh.txt").read_text(encoding="utf-8")
    rows = [{"id": f"r{i}", "text": f"record {i}: {article[i * 50 : i * 50 + 200]}"} for i in range(5)]
    jsonl = "".join(json.dumps(r) + "\n" for r in rows).encode()
    (root / "more").mkdir()
    (root / "more" / "records.jsonl").write_bytes(jsonl)
    (root / "more" / "records.jsonl.gz").write_bytes(gzip.compress(jsonl))
    csv = "id,text\n" + "".join(f'{r["id"]},"{r["text"]}"\n' for r in rows)
    (root / "more" / "records.csv").write_text(csv)
    pq.write_table(pa.Table.from_pylist(rows), root / "more" / "records.parquet")
    write_warc(root / "more" / "crawl.warc.gz", with_article=True)
    return root


@pytest.fixture(scope="module")
def remote_inputs(s3_server, local_inputs) -> str:
    url = f"s3://{s3_server.bucket}/inputs"
    upload(local_inputs, url)
    return url


def documents(f) -> list[tuple[str, str]]:
    items = list(read_input(f, {"format": "auto"}))
    assert not [i for i in items if isinstance(i, Quarantined)], items
    return [(d.id, d.text) for d in items if hasattr(d, "text")]


def test_s3fs_and_a_subprocess_reach_the_server_through_the_environment_alone(s3_server):
    import s3fs

    assert s3_server.endpoint.startswith("http://127.0.0.1:")
    assert s3_server.bucket in s3fs.S3FileSystem().ls("")  # no endpoint given: AWS_ENDPOINT_URL
    code = "import s3fs; print(s3fs.S3FileSystem().ls(''))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert s3_server.bucket in out.stdout


def test_a_glob_lists_objects_named_by_their_url_reading_as_the_local_copies(remote_inputs, local_inputs):
    remote = expand_inputs([f"{remote_inputs}/*.txt"])
    local = expand_inputs([str(local_inputs / "*.txt")])
    assert [f.name for f in remote] == [f"{remote_inputs}/{Path(f.path).name}" for f in local]
    assert [f.path for f in remote] == [f.name for f in remote]
    assert [f.id_prefix for f in remote] == [f.id_prefix for f in local]
    for r, lo in zip(remote, local, strict=True):
        assert documents(r) == documents(lo) != []


def test_a_folder_lists_every_object_under_it_and_every_format_reads(remote_inputs, local_inputs):
    remote = expand_inputs([f"{remote_inputs}/"])
    local = expand_inputs([str(local_inputs)])
    assert [f.id_prefix for f in remote] == [f.id_prefix for f in local]
    assert {Path(f.name).suffix for f in remote} >= {".txt", ".html", ".jsonl", ".gz", ".csv", ".parquet"}
    assert expand_inputs([remote_inputs]) == remote  # without the trailing slash: the same
    for r, lo in zip(remote, local, strict=True):
        assert r.name.startswith("s3://") and documents(r) == documents(lo) != [], r.name


def test_one_object_is_one_input(remote_inputs):
    (f,) = expand_inputs([f"{remote_inputs}/more/records.jsonl.gz"])
    assert (f.name, f.id_prefix) == (f"{remote_inputs}/more/records.jsonl.gz", "records")
    assert [i for i, _ in documents(f)] == [f"r{n}" for n in range(5)]


def test_a_pattern_matching_nothing_and_a_missing_bucket_are_errors_naming_them(remote_inputs):
    with pytest.raises(ConfigError, match=f"pattern '{remote_inputs}/nothing-\\*.txt' matches no files"):
        expand_inputs([f"{remote_inputs}/nothing-*.txt"])
    with pytest.raises(ConfigError, match="matches no files"):
        expand_inputs([f"{remote_inputs}/no-such-folder/"])
    for pattern in ("s3://no-such-bucket/x/*.txt", "s3://no-such-bucket/x.txt", "s3://no-such-bucket/dir/"):
        with pytest.raises(BuildError, match=r"bucket 'no-such-bucket' does not exist.*create it first"):
            expand_inputs([pattern])
    assert "no-such-bucket" not in [b["Name"] for b in s3().list_buckets()["Buckets"]]


def test_the_cli_reads_a_url_and_names_a_missing_one_without_a_traceback(remote_inputs, capsys):
    run = corpus("clean", f"{remote_inputs}/pompeo-nagorno-karabakh.txt")
    assert run.returncode == 0, run.stderr
    assert "Pompeo" in run.stdout
    for url, what in (  # main() prints the error and returns: a traceback would raise here
        (f"{remote_inputs}/nothing-*.txt", f"{remote_inputs}/nothing-*.txt' matches no files"),
        ("s3://no-such-bucket/a.txt", "bucket 'no-such-bucket' does not exist"),
        (f"{remote_inputs}/gone.txt", f"input.paths: no such object or folder: {remote_inputs}/gone.txt"),
    ):
        code, _, err = cli(capsys, "clean", url)
        assert code != 0 and what in err, err


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory) -> Path:
    """configs/sample.yaml built locally, once for the module."""
    from corpus.cli import main

    out = tmp_path_factory.mktemp("build") / "sample"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert main(["build", "configs/sample.yaml", "--output", str(out), "--workers", "0", "--quiet"]) == 0
    finally:
        os.chdir(cwd)
    return out


def _put(bucket: str, key: str, body: bytes) -> None:
    s3().put_object(Bucket=bucket, Key=key, Body=body)


def test_verify_a_build_at_a_url_and_name_what_changed(s3_server, sample_build, capsys):
    url = f"s3://{s3_server.bucket}/builds/sample"
    upload(sample_build, url)
    run = corpus("verify", url)
    assert run.returncode == 0, run.stderr
    assert "ok, every shard and file matches the manifest" in run.stdout

    key = f"builds/sample/{SHARD}"
    body = bytearray(s3().get_object(Bucket=s3_server.bucket, Key=key)["Body"].read())
    body[len(body) // 2] ^= 0x01
    _put(s3_server.bucket, key, bytes(body))
    _put(s3_server.bucket, "builds/sample/data/stray.parquet", b"not ours")
    s3().delete_object(Bucket=s3_server.bucket, Key="builds/sample/README.md")
    clear_s3fs_cache()
    code, _, err = cli(capsys, "verify", url)
    assert code == 1
    assert f"{url}: {SHARD}: sha256 differs from manifest" in err
    assert f"{url}: data/stray.parquet: not in the manifest" in err
    assert f"{url}: README.md: missing" in err

    code, _, err = cli(capsys, "verify", f"s3://{s3_server.bucket}/builds/none")
    assert code == 1 and f"s3://{s3_server.bucket}/builds/none/manifest.json: cannot read manifest" in err


def test_publish_to_a_missing_bucket_is_refused_and_the_bucket_not_created(s3_server, sample_build):
    run = corpus("publish", str(sample_build), "--to", "s3://missing-bucket/x")
    assert run.returncode != 0
    assert "bucket 'missing-bucket' does not exist" in run.stderr and "create it" in run.stderr
    assert "Traceback" not in run.stderr
    assert "missing-bucket" not in [b["Name"] for b in s3().list_buckets()["Buckets"]]


def test_publish_to_a_bucket_then_verify_the_published_copy(s3_server, sample_build, capsys):
    url = f"s3://{s3_server.bucket}/published/sample"
    code, out, err = cli(capsys, "publish", str(sample_build), "--to", url)
    assert code == 0, err
    assert f"published {sample_build} to {url}" in out
    code, out, err = cli(capsys, "verify", url)
    assert code == 0 and "ok" in out, err


def test_sha256_and_fingerprint_of_an_object_for_the_manifest_and_the_changed_input_check(s3_server):
    import hashlib

    from corpus.io import fs

    url = f"s3://{s3_server.bucket}/fp/a.txt"
    _put(s3_server.bucket, "fp/a.txt", b"first")
    size, marker = fs.fingerprint(url)
    assert (fs.sha256(url), size) == (hashlib.sha256(b"first").hexdigest(), 5)
    _put(s3_server.bucket, "fp/a.txt", b"other")  # same size, new bytes: a new ETag
    assert fs.fingerprint(url) == (5, fs.fingerprint(url)[1]) and fs.fingerprint(url)[1] != marker
    assert fs.bucket_of(url) == s3_server.bucket
    fs.check_bucket(url)
    with pytest.raises(BuildError, match="bucket 'no-such-bucket' does not exist"):
        fs.check_bucket("s3://no-such-bucket/x")


def test_publish_a_build_at_a_url_to_a_bucket_and_to_a_folder_never_onto_itself(
    s3_server, sample_build, tmp_path, capsys
):
    build = f"s3://{s3_server.bucket}/url-build/sample"
    upload(sample_build, build)
    code, _, err = cli(capsys, "publish", build, "--to", f"{build}/inside")
    assert code != 0 and "is, or overlaps, the build folder" in err, err
    for target in (f"s3://{s3_server.bucket}/url-published", str(tmp_path / "published")):
        code, _, err = cli(capsys, "publish", build, "--to", target)
        assert code == 0, err
        code, out, err = cli(capsys, "verify", target)
        assert code == 0 and "ok" in out, err
    assert (tmp_path / "published" / SHARD).read_bytes() == (sample_build / SHARD).read_bytes()


def test_check_readable_takes_an_object_and_refuses_a_folder_or_nothing(remote_inputs):
    from corpus.io.read.listing import check_readable

    check_readable(f"{remote_inputs}/more/records.jsonl")
    with pytest.raises(BuildError, match="more: a folder, not a file"):
        check_readable(f"{remote_inputs}/more")
    with pytest.raises(BuildError, match=r"gone\.jsonl: no such object"):
        check_readable(f"{remote_inputs}/gone.jsonl")
    with pytest.raises(BuildError, match="bucket 'no-such-bucket' does not exist"):
        check_readable("s3://no-such-bucket/a.jsonl")
