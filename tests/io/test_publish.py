"""Issue 6: shards a user can upload, verify and reload; publishing plans, Hub commits, fsspec copies."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest

from corpus import BuildError, Pipeline
from corpus.document import features
from corpus.io import publish
from corpus.io.verify import verify_build
from tests.conftest import ROOT


def make_build(tmp_path, sample_article, out_name="out", block_size=None, **output):
    """Sentences of the sample article as JSONL records: ~20 real, distinct documents (7 kB)."""
    src = tmp_path / "in"
    src.mkdir(exist_ok=True)
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", sample_article) if len(s.split()) > 4]
    rows = [{"id": f"s{i:03d}", "text": " ".join(sentences[i : i + 3])} for i in range(len(sentences))]
    (src / "s.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    cfg = {
        "name": "publish test",
        "license": "cc-by-4.0",
        "input": {"paths": [str(src / "s.jsonl")]},
        "stages": [{"exact_dedup": {}}],
        "output": {"path": str(tmp_path / out_name), **output},
        **({"block_size": block_size} if block_size else {}),
    }
    return Pipeline.from_config(cfg).build(workers=0, progress=False)


@pytest.fixture
def split_build(tmp_path, sample_article):
    return make_build(
        tmp_path, sample_article, splits={"train": 0.75, "validation": 0.25}, max_shard_size="2KB"
    )


def test_splits_and_size_targeted_shards_load_with_datasets(split_build, tmp_path):
    import datasets

    out, manifest = split_build.output, split_build.manifest
    by_split = {}
    for shard in manifest["shards"]:
        by_split.setdefault(shard["split"], []).append(shard["path"])
    assert set(by_split) == {"train", "validation"} and len(by_split["train"]) > 1
    n = len(by_split["train"])
    # one shard per block and split, every name of the -of- set present (an empty one too)
    for split in ("train", "validation"):
        assert by_split[split] == [f"data/{split}-{i:05d}-of-{n:05d}.parquet" for i in range(n)]
    # max_shard_size (2 kB) caps the input of a block: its lines, cut at the first line start past 2 kB
    lines = {
        json.loads(line)["id"]: len(line) + 1 for line in (tmp_path / "in" / "s.jsonl").open(encoding="utf-8")
    }
    assert 2000 * (n - 1) < sum(lines.values()) <= 2000 * n + n * max(lines.values())
    for i in range(n):
        block = [
            pq.read_table(out / f"data/{s}-{i:05d}-of-{n:05d}.parquet")["id"].to_pylist() for s in by_split
        ]
        assert sum(lines[doc_id] for ids in block for doc_id in ids) < 2000 + max(lines.values())
    cache = str(tmp_path / "hf")
    ds = datasets.load_dataset(str(out), cache_dir=cache)
    assert {k: len(v) for k, v in ds.items()} == manifest["counts"]["splits"]
    assert all(d.features == features() for d in ds.values())
    files = {k: [str(out / p) for p in v] for k, v in by_split.items()}
    direct = datasets.load_dataset("parquet", data_files=files, cache_dir=cache)
    assert direct["validation"]["id"] == ds["validation"]["id"]
    streamed = datasets.load_dataset(str(out), split="train", streaming=True)
    assert [r["id"] for r in streamed] == ds["train"]["id"]


def test_split_of_a_document_is_stable_across_builds(tmp_path, sample_article, split_build):
    again = make_build(tmp_path, sample_article, "again", splits={"train": 0.75, "validation": 0.25})
    assert again.manifest["counts"]["splits"] == split_build.manifest["counts"]["splits"]


def test_same_inputs_same_config_give_identical_bytes(tmp_path, sample_article):
    first = make_build(tmp_path, sample_article, block_size=2500)
    saved = {p.relative_to(first.output): p.read_bytes() for p in first.output.rglob("*") if p.is_file()}
    second = make_build(tmp_path, sample_article, block_size=2500)  # same output path, rebuilt
    again = {p.relative_to(second.output): p.read_bytes() for p in second.output.rglob("*") if p.is_file()}
    assert saved == again and len(first.manifest["shards"]) > 1


def test_a_block_that_keeps_nothing_still_writes_its_empty_shard(tmp_path, sample_article):
    """The second file is all copies of the first: its block keeps nothing, and its shard is empty."""
    first = make_build(tmp_path, sample_article, "first", block_size=100_000)
    shutil.copy(tmp_path / "in" / "s.jsonl", tmp_path / "in" / "t.jsonl")
    cfg = {
        "input": {"paths": [str(tmp_path / "in" / "s.jsonl"), str(tmp_path / "in" / "t.jsonl")]},
        "stages": [{"exact_dedup": {}}],
        "output": {"path": str(tmp_path / "out")},
        "block_size": os.path.getsize(tmp_path / "in" / "s.jsonl"),  # one block per file
    }
    result = Pipeline.from_config(cfg).build(workers=0, progress=False)
    shards = result.manifest["shards"]
    assert [(s["path"], s["rows"]) for s in shards] == [
        ("data/train-00000-of-00002.parquet", first.manifest["counts"]["kept"]),
        ("data/train-00001-of-00002.parquet", 0),
    ]
    assert verify_build(result.output) == []
    import datasets

    ds = datasets.load_dataset(str(result.output), split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.features == features() and ds["id"] == sorted(ds["id"])
    assert len(ds) == first.manifest["counts"]["kept"]


def test_card_header_and_body_come_from_the_manifest(split_build):
    import yaml

    card = (split_build.output / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(card.split("---")[1])
    assert header["license"] == "cc-by-4.0" and header["pretty_name"] == "publish test"
    assert header["configs"][0]["data_files"] == [
        {"split": "train", "path": "data/train-*.parquet"},
        {"split": "validation", "path": "data/validation-*.parquet"},
    ]
    assert header["task_categories"] == ["text-generation"] and header["size_categories"] == ["n<1K"]
    assert "exact_dedup" in card and "## Languages" in card and "```yaml" in card


def test_verify_catches_flipped_byte_missing_and_extra_shard(split_build):
    out = split_build.output
    assert verify_build(out) == []
    shard = out / split_build.manifest["shards"][0]["path"]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    assert verify_build(out) == [f"{shard.relative_to(out).as_posix()}: sha256 differs from manifest"]
    shard.unlink()
    assert verify_build(out) == [f"{shard.relative_to(out).as_posix()}: missing"]
    extra = out / "data" / "train-00099-of-00099.parquet"
    shutil.copy(out / split_build.manifest["shards"][1]["path"], extra)
    assert f"data/{extra.name}: not in the manifest" in verify_build(out)
    with pytest.raises(BuildError, match="refusing to publish"):
        publish.plan_upload(out)


def test_cli_verify_exit_codes(split_build):
    cmd = [sys.executable, "-m", "corpus.cli", "verify", str(split_build.output)]
    assert subprocess.run(cmd, capture_output=True, cwd=ROOT).returncode == 0
    (split_build.output / "manifest.json").write_text("{}")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1 and "manifest.json" in proc.stderr


def test_dry_run_prints_every_file_and_the_commit_message(split_build):
    cmd = [
        sys.executable,
        "-m",
        "corpus.cli",
        "publish",
        str(split_build.output),
        "--repo-id",
        "org/name",
        "--dry-run",
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"}
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("would publish ") and "hf://datasets/org/name" in lines[0]
    listed = [ln.split()[0] for ln in lines if ln.startswith("  ")]
    manifest = split_build.manifest
    assert listed == [s["path"] for s in manifest["shards"]] + [f["path"] for f in manifest["files"]] + [
        "manifest.json"
    ]
    assert f"{manifest['counts']['kept']} documents in {len(manifest['shards'])} shards" in lines[1]


class FakeHub:
    """Records what would be sent; the first shard is already on the remote (a resumed upload)."""

    def __init__(self, present):
        self.present = present
        self.commits = []
        self.calls = []

    def create_repo(self, repo_id, **kw):
        self.calls.append(("create_repo", repo_id, kw))

    def create_branch(self, repo_id, **kw):
        self.calls.append(("create_branch", repo_id, kw))

    def list_repo_tree(self, repo_id, **kw):
        return [SimpleNamespace(path=p, lfs=SimpleNamespace(sha256=h)) for p, h in self.present.items()]

    def create_commit(self, repo_id, operations, **kw):
        self.commits.append((operations, kw))
        return SimpleNamespace(commit_url=f"https://example.invalid/{len(self.commits)}")


def test_hub_upload_sends_commit_operations_and_resumes(split_build):
    from huggingface_hub import CommitOperationAdd

    first = split_build.manifest["shards"][0]
    hub = FakeHub({first["path"]: first["sha256"]})
    commits = publish.publish_hub(split_build.output, "org/name", private=True, revision="v1", api=hub)
    assert hub.calls[0] == (
        "create_repo",
        "org/name",
        {"repo_type": "dataset", "private": True, "exist_ok": True},
    )
    assert hub.calls[1][0] == "create_branch"
    sent = [op for ops, _ in hub.commits for op in ops]
    assert all(isinstance(op, CommitOperationAdd) for op in sent)
    paths = [op.path_in_repo for op in sent]
    assert first["path"] not in paths  # already there with the same sha256
    assert paths[-3:] == ["README.md", "dropped.jsonl", "manifest.json"] or paths[-2:] == [
        "README.md",
        "manifest.json",
    ]
    assert all(kw["repo_type"] == "dataset" and kw["revision"] == "v1" for _, kw in hub.commits)
    assert len(commits) == len(hub.commits)


def test_publish_to_a_directory_gives_a_verified_loadable_copy(split_build, tmp_path):
    import datasets

    dest = tmp_path / "shared-drive" / "sample"
    written = publish.publish_fs(split_build.output, f"file://{dest}")
    assert written[-1] == "manifest.json" and verify_build(dest) == []
    assert publish.publish_fs(split_build.output, str(dest)) == [
        p for p in written if not p.startswith("data/")
    ]  # second run copies no shard again
    ds = datasets.load_dataset(str(dest), cache_dir=str(tmp_path / "hf"))
    assert set(ds) == {"train", "validation"}


@pytest.mark.skipif(
    not (os.environ.get("HF_TOKEN") and os.environ.get("CORPUS_TEST_HF_REPO")),
    reason="real upload needs HF_TOKEN and CORPUS_TEST_HF_REPO (a dataset repo you own)",
)
def test_real_upload_and_reload(split_build):
    import datasets

    repo = os.environ["CORPUS_TEST_HF_REPO"]
    publish.publish_hub(split_build.output, repo, private=True)
    ds = datasets.load_dataset(repo, download_mode="force_redownload")
    assert {k: len(v) for k, v in ds.items()} == split_build.manifest["counts"]["splits"]
