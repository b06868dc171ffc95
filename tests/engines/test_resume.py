"""Issue 8: a build killed at any point and run again ends with exactly the output of an uninterrupted one."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Runs the real CLI with a hook that SIGKILLs the build (or one of its workers) at a named point.
KILLER = """
import multiprocessing, os, signal, sys
import corpus.engines.local as local
from corpus.cli import main
what, point, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def hook(name, i):
    if name == point and i == n:
        if what == "worker":
            os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)
        else:
            os.kill(os.getpid(), signal.SIGKILL)
local.on_event = hook
sys.exit(main(sys.argv[4:]))
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory, request):
    """~600 real records with exact and near duplicates, 7 chunks of 100, and the uninterrupted result."""
    tmp = tmp_path_factory.mktemp("resume")
    article = (ROOT / "data" / "sample" / "pompeo-nagorno-karabakh.txt").read_text(encoding="utf-8")
    sentences = [s for s in re.split(r"(?<=[.!?”])\s+", article) if len(s.split()) > 5]
    rows = []
    for i in range(620):
        text = " ".join(sentences[(i + k) % len(sentences)] for k in range(4)) + f" Item {i % 150}."
        rows.append({"id": f"r{i:04d}", "text": text, "source": "sample"})
    (tmp / "in.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    config = tmp / "build.yaml"
    config.write_text(
        "input: {paths: [in.jsonl]}\n"
        "stages:\n  - fix_encoding: {}\n  - normalize_handles: {}\n  - exact_dedup: {}\n  - near_dedup: {}\n"
        "output: {path: out}\nworkers: 2\nbatch_size: 25\ncheckpoint_docs: 100\n",
        encoding="utf-8",
    )
    assert cli(tmp, "build", "build.yaml", "--quiet").returncode == 0
    reference = snapshot(tmp / "out")
    counts = json.loads(reference["manifest.json"])["counts"]
    assert counts["read"] == 620 and 0 < counts["kept"] < 620
    return tmp, reference


def cli(cwd: Path, *args: str, killer: tuple[str, str, int] | None = None) -> subprocess.CompletedProcess:
    prefix = ["-c", KILLER, *map(str, killer)] if killer else ["-m", "corpus.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *prefix, *args], cwd=cwd, capture_output=True, text=True, env=env)


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("what", "point", "n"),
    [
        # one kill per kind of point runs in `make test`; the other points are slow variants
        pytest.param("main", "chunk_committed", 0, marks=pytest.mark.slow),  # after the first chunk
        ("main", "chunk_committed", 4),  # mid-map, four chunks committed
        ("worker", "chunk_committed", 2),  # a worker dies mid-map
        ("main", "reduce_chunk", 3),  # in the middle of exact dedup
        ("main", "global_pass", 0),  # in the middle of near dedup
        ("main", "final_write", 0),  # while the shards are written
    ],
)
def test_killed_build_resumes_to_the_same_bytes(setup, what, point, n):
    tmp, reference = setup
    out = tmp / "out"
    for stale in (out, tmp / ".out.work"):
        if stale.exists():
            import shutil

            shutil.rmtree(stale)
    killed = cli(tmp, "build", "build.yaml", "--quiet", killer=(what, point, n))
    assert killed.returncode != 0
    if what == "worker":
        assert "a worker process died" in killed.stderr and "run the same command again" in killed.stderr
    assert not out.exists(), "an interrupted first build must not leave an output that looks complete"
    resumed = cli(tmp, "build", "build.yaml", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    if point == "chunk_committed" or (point != "chunk_committed" and what == "main"):
        assert "resumed:" in resumed.stdout
    assert snapshot(out) == reference
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith(".")) == [], "checkpoints left behind"
