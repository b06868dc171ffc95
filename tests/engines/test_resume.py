"""Issue 8: a build killed at any point and run again ends with exactly the output of an uninterrupted one."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Runs the real CLI with a hook (``corpus.engines.local.on_event``, called in the main process) that
# logs every event and SIGKILLs the build, or one of its workers, at a named one. The main process
# writes its workers' pids first, so the test can wait until the orphans are gone.
KILLER = """
import multiprocessing, os, signal, sys
import corpus.engines.local as local
from corpus.cli import main
what, point, n, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def hook(name, i):
    with open(log, "a") as fh:
        fh.write(f"{name} {i}\\n")
    if what != "none" and name == point and i == n:
        children = [p.pid for p in multiprocessing.active_children()]
        if what == "worker":
            os.kill(children[0], signal.SIGKILL)
        else:
            with open(log + ".pids", "w") as fh:
                fh.write(" ".join(map(str, children)))
            os.kill(os.getpid(), signal.SIGKILL)
local.on_event = hook
sys.exit(main(sys.argv[5:]))
"""
BLOCKS = 8


@pytest.fixture(scope="module")
def setup(tmp_path_factory, request):
    """620 real records (360 kB) with exact and near duplicates, 8 blocks, and the uninterrupted result."""
    tmp = tmp_path_factory.mktemp("resume")
    article = (ROOT / "data" / "sample" / "pompeo-nagorno-karabakh.txt").read_text(encoding="utf-8")
    sentences = [s for s in re.split(r"(?<=[.!?”])\s+", article) if len(s.split()) > 5]
    rows = []
    for i in range(620):
        text = " ".join(sentences[(i + k) % len(sentences)] for k in range(4)) + f" Item {i % 150}."
        if i % 10 == 9:  # an exact copy of a record a block or more before
            text = rows[i - 99 if i > 99 else 0]["text"]
        rows.append({"id": f"r{i:04d}", "text": text, "source": "sample"})
    (tmp / "in.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    config = tmp / "build.yaml"
    config.write_text(
        "input: {paths: [in.jsonl]}\n"
        "stages:\n  - fix_encoding: {}\n  - normalize_handles: {}\n  - exact_dedup: {}\n  - near_dedup: {}\n"
        "output: {path: out}\nworkers: 2\nbatch_size: 25\nblock_size: 50KB\n",
        encoding="utf-8",
    )
    assert cli(tmp, "build", "build.yaml", "--quiet").returncode == 0
    reference = snapshot(tmp / "out")
    manifest = json.loads(reference["manifest.json"])
    counts = manifest["counts"]
    assert counts["read"] == 620 and 0 < counts["kept"] < 620
    assert counts["dropped"]["exact_dedup.exact_duplicate"] and counts["dropped"]["near_dedup.near_duplicate"]
    assert len(manifest["shards"]) == BLOCKS
    return tmp, reference


def cli(
    cwd: Path, *args: str, killer: tuple[str, str, int] | None = None, log: Path | None = None
) -> subprocess.CompletedProcess:
    if killer or log:
        prefix = ["-c", KILLER, *map(str, killer or ("none", "", -1)), str(log)]
    else:
        prefix = ["-m", "corpus.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, *prefix, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600
    )


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def events(log: Path) -> list[tuple[str, int]]:
    if not log.exists():
        return []
    return [(name, int(n)) for name, n in (line.split() for line in log.read_text().splitlines())]


def committed(work: Path, phase: str) -> set[int]:
    return {int(p.name[6:12]) for p in (work / phase).glob("block-*.json")}


def wait_gone(pids: list[int], seconds: float = 30) -> None:
    """Until the killed build's orphaned workers have exited (they poll for their parent)."""

    def alive(pid: int) -> bool:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return stat.rpartition(")")[2].split()[0] != "Z"

    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids):
        assert time.monotonic() < deadline, f"workers {pids} outlived their killed build"
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("what", "point", "n"),
    [
        # one kill per phase runs in `make test` (mid-map by a worker); the others are slow variants
        pytest.param("main", "block_mapped", 0, marks=pytest.mark.slow),  # after the first block's map
        pytest.param("main", "block_mapped", 3, marks=pytest.mark.slow),  # mid-map
        ("worker", "block_mapped", 2),  # a worker dies mid-map
        pytest.param("main", "block_mapped", BLOCKS - 1, marks=pytest.mark.slow),
        ("main", "decided", 0),  # the decisions (exact and near dedup) committed, nothing written
        pytest.param("main", "block_written", 0, marks=pytest.mark.slow),
        ("main", "block_written", 4),  # while the shards are written
        pytest.param("worker", "block_written", 0, marks=pytest.mark.slow),  # a worker dies mid-write
    ],
)
def test_killed_build_resumes_to_the_same_bytes(setup, tmp_path, what, point, n):
    tmp, reference = setup
    out, work = tmp / "out", tmp / ".out.work"
    for stale in (out, work):
        if stale.exists():
            shutil.rmtree(stale)
    log = tmp_path / "killed.log"
    killed = cli(tmp, "build", "build.yaml", "--quiet", killer=(what, point, n), log=log)
    assert killed.returncode != 0
    assert (point, n) in events(log), f"the build never reached {point} {n}"
    if what == "worker":
        assert "a worker process died" in killed.stderr and "run the same command again" in killed.stderr
        assert "Traceback" not in killed.stderr
    else:
        assert killed.returncode == -signal.SIGKILL
        wait_gone([int(p) for p in Path(f"{log}.pids").read_text().split()])
    assert not out.exists(), "an interrupted first build must not leave an output that looks complete"

    mapped, written = committed(work, "map"), committed(work, "write")
    decided = (work / "decide" / "done.json").exists()
    everything = set(range(BLOCKS))
    if point == "block_mapped":
        assert not decided and not written and (what == "worker" or n in mapped)
    elif point == "decided":
        assert decided and mapped == everything and not written
    else:
        assert decided and mapped == everything and (what == "worker" or n in written)

    relog = tmp_path / "resumed.log"
    resumed = cli(tmp, "build", "build.yaml", "--quiet", log=relog)
    assert resumed.returncode == 0, resumed.stderr
    # the rerun redid exactly the work without a committed marker, each block once
    again = events(relog)
    assert sorted(b for e, b in again if e == "block_mapped") == sorted(everything - mapped)
    assert [e for e, _ in again].count("decided") == (0 if decided else 1)
    assert sorted(b for e, b in again if e == "block_written") == sorted(everything - written)
    if mapped:
        assert f"(resumed: {len(mapped)} blocks reused)" in resumed.stdout
    else:
        assert "resumed:" not in resumed.stdout
    assert snapshot(out) == reference
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith(".")) == [], "work folder left behind"


def test_killed_after_the_swap_the_rerun_keeps_the_build(tmp_path, monkeypatch, sample_article):
    """Killed once the build is in place but before its work folder is gone, a rerun must not
    finish again from write markers whose shards were moved: it keeps the build as it is."""
    from corpus.engines.work import WorkFolder
    from corpus.io.verify import verify_build
    from corpus.pipeline import Pipeline

    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(sample_article, encoding="utf-8")
    (src / "b.txt").write_text(sample_article + "\nA second edition.", encoding="utf-8")
    cfg = {
        "name": "t",
        "license": "other",
        "input": {"paths": [str(src / "*.txt")]},
        "stages": [{"exact_dedup": {}}],
        "output": {"path": str(tmp_path / "out")},
    }

    def killed(self):
        raise KeyboardInterrupt("killed between the swap and the clean-up")

    with monkeypatch.context() as m:
        m.setattr(WorkFolder, "remove", killed)
        with pytest.raises(KeyboardInterrupt):
            Pipeline.from_config(cfg).build(workers=0, progress=False)
    before = {
        p.relative_to(tmp_path / "out"): p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()
    }
    assert (tmp_path / ".out.work").is_dir()
    result = Pipeline.from_config(cfg).build(workers=0, progress=False)
    after = {
        p.relative_to(tmp_path / "out"): p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()
    }
    assert after == before and result.manifest["counts"]["kept"] == 2
    assert verify_build(tmp_path / "out") == []
    assert not (tmp_path / ".out.work").exists()
