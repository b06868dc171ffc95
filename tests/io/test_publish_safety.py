"""Issue 13 items 7 and 10 (publish): replacing a previous publish, never writing outside the target,
never echoing credentials, never creating a bucket, and network failures as messages that say how
to resume. Real builds, a real filesystem, real datasets and huggingface_hub (no network needed:
a refused connection is real too); S3 through a local moto server when moto and s3fs are installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from corpus import BuildError, Pipeline
from corpus.io import publish
from corpus.io.verify import verify_build
from tests.conftest import ROOT


def build(tmp_path: Path, name: str, rows: int, block_size: int | None = None) -> Path:
    """A build of ``rows`` distinct documents named after ``name``, one shard per ``block_size`` bytes."""
    src = tmp_path / f"in-{name}"
    src.mkdir()
    lines = [
        json.dumps(
            {"id": f"{name}-{i:03d}", "text": f"Record {i} of {name}: a plain sentence about item {i}."}
        )
        for i in range(rows)
    ]
    (src / "rows.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = {
        "name": f"{name} build",
        "license": "cc-by-4.0",
        "input": {"paths": [str(src / "rows.jsonl")]},
        "stages": [{"exact_dedup": {}}],
        "output": {"path": str(tmp_path / f"build-{name}")},
        **({"block_size": block_size} if block_size else {}),
    }
    return Pipeline.from_config(cfg).build(workers=0, progress=False).output


def manifest_of(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text(encoding="utf-8"))


def load_ids(path: Path, cache: Path) -> list[str]:
    import datasets

    return list(datasets.load_dataset(str(path), split="train", cache_dir=str(cache))["id"])


@pytest.fixture
def two_builds(tmp_path):
    first = build(tmp_path, "first", rows=30, block_size=1400)  # 2.6 kB: 2 shards
    second = build(tmp_path, "second", rows=20)  # 1 shard
    assert len(manifest_of(first)["shards"]) == 2 and len(manifest_of(second)["shards"]) == 1
    return first, second


# item 7: re-publishing replaces the previous build


def test_republishing_removes_the_previous_builds_shards(two_builds, tmp_path):
    first, second = two_builds
    dest = tmp_path / "drive" / "corpus"
    publish.publish_fs(first, str(dest))
    assert load_ids(dest, tmp_path / "hf") == [f"first-{i:03d}" for i in range(30)]
    publish.publish_fs(second, str(dest))
    assert load_ids(dest, tmp_path / "hf") == [f"second-{i:03d}" for i in range(20)]
    assert sorted(p.name for p in (dest / "data").iterdir()) == ["train-00000-of-00001.parquet"]
    assert verify_build(dest) == [] and not (dest / publish.JOURNAL).exists()


def test_an_interrupted_republish_leaves_no_manifest_and_resumes(two_builds, tmp_path):
    first, second = two_builds
    dest = tmp_path / "drive" / "corpus"
    publish.publish_fs(second, str(dest))
    blocker = dest / "data" / "train-00001-of-00002.parquet"
    blocker.mkdir()  # the second shard cannot be written: the publish stops half-way
    with pytest.raises(BuildError, match="re-run the same command to resume") as err:
        publish.publish_fs(first, str(dest))
    assert str(dest) in str(err.value)
    assert not (dest / "manifest.json").exists()  # the old one went first; the new one never came
    blocker.rmdir()
    publish.publish_fs(first, str(dest))
    assert verify_build(dest) == [] and load_ids(dest, tmp_path / "hf") == [
        f"first-{i:03d}" for i in range(30)
    ]


def test_a_corrupt_target_shard_of_the_right_size_is_repaired(two_builds, tmp_path):
    first, _ = two_builds
    dest = tmp_path / "copy"
    publish.publish_fs(first, str(dest))
    shard = dest / manifest_of(first)["shards"][1]["path"]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    written = publish.publish_fs(first, str(dest))
    assert manifest_of(first)["shards"][1]["path"] in written
    assert manifest_of(first)["shards"][0]["path"] not in written and verify_build(dest) == []


def test_a_folder_of_foreign_files_is_refused_and_left_as_it_was(two_builds, tmp_path):
    first, _ = two_builds
    dest = tmp_path / "mine"
    (dest / "data").mkdir(parents=True)
    (dest / "notes.txt").write_text("my notes\n")
    (dest / "data" / "train-00000-of-00002.parquet").write_bytes(b"not ours but named like ours")
    before = {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    with pytest.raises(BuildError, match=r"notes\.txt") as err:
        publish.publish_fs(first, str(dest))
    assert str(dest) in str(err.value) and "did not publish" in str(err.value)
    assert {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()} == before
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(BuildError, match="not a folder"):
        publish.publish_fs(first, str(a_file))
    assert a_file.read_text() == "x"


def test_a_foreign_manifest_is_not_taken_for_a_previous_build(two_builds, tmp_path):
    first, _ = two_builds
    dest = tmp_path / "other-tool"
    dest.mkdir()
    (dest / "manifest.json").write_text('{"files": [{"path": "precious.bin"}]}')
    (dest / "precious.bin").write_bytes(b"\x00")
    with pytest.raises(BuildError, match="did not publish"):
        publish.publish_fs(first, str(dest))
    assert (dest / "precious.bin").exists() and (dest / "manifest.json").exists()


def test_publishing_into_the_build_itself_is_refused(two_builds):
    first, _ = two_builds
    with pytest.raises(BuildError, match="overlaps"):
        publish.publish_fs(first, str(first / "copy"))
    assert verify_build(first) == []


# item 10: manifest paths never lead outside the build or the target


@pytest.mark.parametrize("bad", ["../escape.txt", "ABSOLUTE", "sub\\..\\..\\escape.txt", "a//escape.txt"])
def test_manifest_paths_outside_the_build_are_refused_before_anything_is_written(two_builds, tmp_path, bad):
    first, _ = two_builds
    outside = tmp_path / "escape.txt"
    outside.write_text("planted\n")
    bad = str(outside) if bad == "ABSOLUTE" else bad
    manifest = manifest_of(first)
    manifest["files"].append({"path": bad, "bytes": outside.stat().st_size, "sha256": sha256(outside)})
    (first / "manifest.json").write_text(json.dumps(manifest))
    dest = tmp_path / "target" / "inner"
    with pytest.raises(BuildError, match="not a plain relative path") as err:
        publish.publish_fs(first, str(dest))
    assert repr(bad) in str(err.value)
    assert not (tmp_path / "target").exists() and outside.read_text() == "planted\n"
    hub = FakeHub({})
    with pytest.raises(BuildError, match="not a plain relative path"):
        publish.publish_hub(first, "org/name", api=hub)
    assert hub.calls == [] and hub.commits == []


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# item 10: credentials in a --to URL are never echoed


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("s3://AKIAEXAMPLE:wJalr/XUtn+FEMI@bucket/x", "s3://***@bucket/x"),
        (
            "https://user:p%40ss@host.example/d?token=hf_abc&page=2",
            "https://***@host.example/d?token=***&page=2",
        ),
        ("https://ghp_TOKEN123@host.example/repo", "https://***@host.example/repo"),
        ("https://h.example/f?X-Amz-Signature=abc&X-Amz-Credential=k%2Fday", None),
        ("simplecache::s3://K:S@b/x", "simplecache::s3://***@b/x"),
        ("hf://datasets/org/name@v1", "hf://datasets/org/name@v1"),
        ("file:///srv/data/out", "file:///srv/data/out"),
    ],
)
def test_redact_url_hides_userinfo_and_secret_query_values(url, shown):
    out = publish.redact_url(url)
    if shown is not None:
        assert out == shown
    for secret in ("wJalr", "p%40ss", "hf_abc", "ghp_TOKEN123", "Signature=abc", "k%2Fday", "K:S"):
        assert secret not in out


def test_dry_run_never_prints_credentials(two_builds):
    first, _ = two_builds
    for url in (
        "s3://AKIAEXAMPLE:wJalrSECRET@bucket/x",
        "https://user:hunter2@host.example/d?token=hf_SECRET",
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "corpus.cli", "publish", str(first), "--to", url, "--dry-run"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout + proc.stderr
        assert "***@" in out and not any(s in out for s in ("wJalrSECRET", "hunter2", "hf_SECRET"))


# item 7, Hub: the previous build's files are deleted in the commit sequence


def remote_of(manifest: dict, extra: dict[str, str | None]) -> dict[str, str | None]:
    files = {s["path"]: s["sha256"] for s in manifest["shards"]}
    files |= {f["path"]: None for f in manifest["files"]} | {"manifest.json": None}
    return files | extra


def test_hub_commit_plan_replaces_the_previous_build_and_keeps_foreign_files(two_builds):
    first, second = two_builds
    old = manifest_of(first)
    old["files"].append({"path": "../outside.txt", "bytes": 1, "sha256": "0" * 64})
    remote = remote_of(old, {".gitattributes": None, "notes.md": None, "../outside.txt": None})
    items, new = publish.plan_upload(second)
    plan = publish.hub_commit_plan(items, remote, old)
    assert [i.path_in_repo for i in plan[0].adds] == [new["shards"][0]["path"]]
    assert plan[0].deletes == ["manifest.json"]  # first: never an old manifest beside new shards
    assert plan[-1].deletes == ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"]
    assert [i.path_in_repo for i in plan[-1].adds][-1] == "manifest.json" and len(plan) == 2
    resumed = publish.hub_commit_plan(items, remote_of(new, {}), new)  # all there: only the last commit
    assert len(resumed) == 1 and resumed[0].deletes == []


class FakeHub:
    """Records the calls and commits; serves a previous build's manifest like hf_hub_download."""

    def __init__(self, present, old_manifest=None, tmp=None):
        self.present, self.old, self.tmp = present, old_manifest, tmp
        self.calls, self.commits = [], []

    def create_repo(self, repo_id, **kw):
        self.calls.append(("create_repo", repo_id))

    def list_repo_tree(self, repo_id, **kw):
        return [
            SimpleNamespace(path=p, lfs=SimpleNamespace(sha256=h) if h else None)
            for p, h in self.present.items()
        ]

    def hf_hub_download(self, repo_id, filename, **kw):
        path = self.tmp / "downloaded-manifest.json"
        path.write_text(json.dumps(self.old))
        return str(path)

    def create_commit(self, repo_id, operations, **kw):
        self.commits.append(operations)
        return SimpleNamespace(commit_url=f"https://example.invalid/{len(self.commits)}")


def test_publish_hub_deletes_the_previous_builds_shards(two_builds, tmp_path):
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    first, second = two_builds
    hub = FakeHub(remote_of(manifest_of(first), {}), manifest_of(first), tmp_path)
    publish.publish_hub(second, "org/name", api=hub)
    deleted = [op.path_in_repo for ops in hub.commits for op in ops if isinstance(op, CommitOperationDelete)]
    assert deleted == [
        "manifest.json",
        "data/train-00000-of-00002.parquet",
        "data/train-00001-of-00002.parquet",
    ]
    last = hub.commits[-1]
    assert isinstance(last[-1], CommitOperationAdd) and last[-1].path_in_repo == "manifest.json"


# network errors are messages, not tracebacks


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_hub_connection_is_a_message_that_says_how_to_resume(two_builds):
    first, _ = two_builds
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")}
    env |= {"HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}", "HF_TOKEN": "hf_not_a_real_token"}
    proc = subprocess.run(
        [sys.executable, "-m", "corpus.cli", "publish", str(first), "--repo-id", "org/name"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "publishing to hf://datasets/org/name failed" in proc.stderr and "re-run" in proc.stderr
    assert "hf_not_a_real_token" not in proc.stderr


def test_cli_refuses_a_foreign_target_with_a_message(two_builds, tmp_path):
    first, _ = two_builds
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "thesis.tex").write_text("x")
    proc = subprocess.run(
        [sys.executable, "-m", "corpus.cli", "publish", str(first), "--to", str(tmp_path / "home")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "thesis.tex" in proc.stderr and (tmp_path / "home" / "thesis.tex").read_text() == "x"


# S3: a real S3-compatible server on 127.0.0.1


@pytest.fixture
def s3(monkeypatch):
    moto_server = pytest.importorskip("moto.server", reason="S3 tests need moto[server] (the dev extra)")
    pytest.importorskip("s3fs", reason="S3 tests need s3fs (the dev extra)")
    import boto3
    import fsspec

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": endpoint, "skip_instance_cache": True})
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    yield client
    server.stop()


def test_s3_a_missing_bucket_is_refused_not_created(two_builds, s3):
    first, _ = two_builds
    with pytest.raises(BuildError, match="bucket 'missing-bucket' does not exist"):
        publish.publish_fs(first, "s3://missing-bucket/corpus")
    assert s3.list_buckets()["Buckets"] == []


def test_s3_republish_replaces_the_previous_build(two_builds, s3):
    first, second = two_builds
    s3.create_bucket(Bucket="corpora")
    publish.publish_fs(first, "s3://corpora/sample")
    publish.publish_fs(second, "s3://corpora/sample")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="corpora")["Contents"])
    assert keys == [
        "sample/README.md",
        "sample/data/train-00000-of-00001.parquet",
        "sample/manifest.json",
        "sample/report.html",
        "sample/report.json",
    ]
    body = s3.get_object(Bucket="corpora", Key="sample/data/train-00000-of-00001.parquet")["Body"].read()
    assert hashlib.sha256(body).hexdigest() == manifest_of(second)["shards"][0]["sha256"]


def test_verify_counts_skipped_records(tmp_path):
    """A wget WARC (tests/data/hostile): 10 of its 12 records are skipped by design (requests,
    logs, metadata); the build verifies, and a forged count is still caught."""
    cfg = {
        "input": {"paths": [str(ROOT / "tests" / "data" / "hostile" / "crawl-mixed.warc.gz")]},
        "stages": [],
        "output": {"path": str(tmp_path / "out")},
    }
    out = Pipeline.from_config(cfg).build(workers=0, progress=False).output
    counts = manifest_of(out)["counts"]
    assert sum(counts["skipped"].values()) == 10 and counts["read"] == 12
    assert verify_build(out) == []
    manifest = manifest_of(out)
    manifest["counts"]["read"] += 1
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert any("read 13 != kept + dropped + quarantined + skipped 12" in p for p in verify_build(out))
