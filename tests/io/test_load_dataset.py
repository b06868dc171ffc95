"""Issue 13 item 6: ``datasets.load_dataset(build_dir)`` returns the rows on disk, with the default cache.

Every build is made by the CLI and every load runs in a fresh process, the loads sharing one
``HF_HOME`` (the default cache behaviour, isolated from the user's own cache): a cached copy of
an earlier build, or of another folder with the same base name, must never be returned.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT

TOPICS = {
    "alpha": "rivers and the towns that grew along their banks",
    "beta": "mountain weather and how shepherds read the clouds",
    "gamma": "old printing presses and the people who repaired them",
}


def write_config(where: Path, name: str, rows: int = 12, **output: object) -> Path:
    """A JSONL file of ``rows`` distinct documents about ``name`` and a config reading it (relative paths)."""
    where.mkdir(parents=True, exist_ok=True)
    topic = TOPICS[name]
    lines = [
        json.dumps({"id": f"{name}-{i:03d}", "text": f"Document {i} of the {name} set is about {topic}."})
        for i in range(rows)
    ]
    (where / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = {"path": "unused", **output}
    config = {
        "name": f"{name} corpus",
        "license": "cc-by-4.0",
        "input": {"paths": [f"{name}.jsonl"]},
        "stages": [{"exact_dedup": {}}],
        "output": out,
    }
    path = where / f"{name}.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return path


def env_for(cache: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HF_HOME": str(cache),
        "HF_DATASETS_CACHE": str(cache / "datasets"),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
    }


def corpus(*args: str, cwd: Path, cache: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "corpus.cli", *args],
        cwd=cwd,
        env=env_for(cache),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def build(config: Path, out: Path, cache: Path) -> None:
    corpus(
        "build",
        config.name,
        "--output",
        str(out),
        "--quiet",
        "--workers",
        "0",
        cwd=config.parent,
        cache=cache,
    )


LOAD = (
    "import datasets, json, sys; d = datasets.load_dataset(sys.argv[1], split='train'); "
    "print(json.dumps(list(d['id'])))"
)


def load_ids(path: Path, cache: Path) -> list[str]:
    """The ids ``load_dataset(path, split="train")`` returns, loaded in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-c", LOAD, str(path)], env=env_for(cache), capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def ids_on_disk(path: Path) -> list[str]:
    """The ids of the shards the manifest at ``path`` lists, read with pyarrow, in shard order."""
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    return [
        i
        for s in manifest["shards"]
        for i in pq.read_table(path / s["path"], columns=["id"])["id"].to_pylist()
    ]


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "hf-cache"


def test_rebuilding_a_folder_with_other_data_loads_the_new_rows(tmp_path, cache):
    alpha, beta = write_config(tmp_path / "cfg", "alpha"), write_config(tmp_path / "cfg", "beta")
    out = tmp_path / "build" / "sample"
    build(alpha, out, cache)
    assert load_ids(out, cache) == ids_on_disk(out) and ids_on_disk(out)[0] == "alpha-000"
    build(beta, out, cache)  # same folder, same row count, other rows
    assert load_ids(out, cache) == ids_on_disk(out) and ids_on_disk(out)[0] == "beta-000"
    build(alpha, out, cache)  # and back: the first build's cache entry is right again
    assert load_ids(out, cache) == ids_on_disk(out) and ids_on_disk(out)[0] == "alpha-000"


def test_same_named_folders_in_two_places_load_their_own_rows(tmp_path, cache):
    a, b = tmp_path / "a" / "out", tmp_path / "b" / "out"
    build(write_config(tmp_path / "cfg-a", "alpha"), a, cache)
    build(write_config(tmp_path / "cfg-b", "beta"), b, cache)
    assert load_ids(a, cache) == ids_on_disk(a)
    assert load_ids(b, cache) == ids_on_disk(b)
    assert load_ids(a, cache) == ids_on_disk(a) != ids_on_disk(b)


def test_a_published_copy_loads_the_rows_of_the_last_publish(tmp_path, cache):
    a, b, dest = tmp_path / "a" / "out", tmp_path / "b" / "out", tmp_path / "shared-drive" / "out"
    build(write_config(tmp_path / "cfg-a", "alpha"), a, cache)
    build(write_config(tmp_path / "cfg-b", "beta", rows=9), b, cache)
    corpus("publish", str(a), "--to", str(dest), cwd=ROOT, cache=cache)
    assert load_ids(dest, cache) == ids_on_disk(a)
    corpus("publish", str(b), "--to", str(dest), cwd=ROOT, cache=cache)  # replaces the first
    assert load_ids(dest, cache) == ids_on_disk(b) == ids_on_disk(dest)


def test_the_card_names_no_path_of_the_building_machine(tmp_path, cache):
    out = tmp_path / "a" / "out"
    build(write_config(tmp_path / "cfg", "gamma"), out, cache)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert str(tmp_path) not in card and "gamma.jsonl" in card
