"""Before against after: the default pipeline over the bench documents at two git revisions.

    python -m scripts.bench.ab 25ec5b7 HEAD [--docs 27145] [--repeats 3]    # from the repo root

Each revision is exported (``git archive``) into build/ab/<rev>/ and run with this venv's
packages, ``PYTHONPATH`` pointing at its tree, alternating A and B so machine load falls on both.
The figure is documents per CPU-second of the whole build (main process and worker), the median
over the repeats: CPU seconds are less distorted than wall time on a shared, noisy machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from scripts.bench.common import ROOT, SHARED_BENCH

BENCH = SHARED_BENCH / "base_text.jsonl.zst"
CONFIG = """input: {paths: [%s], format: jsonl}
stages: [{fix_encoding: {}}, {strip_boilerplate: {}}, {normalize_handles: {mode: mask}},
         {detect_language: {}}, {exact_dedup: {}}, {near_dedup: {}}]
output: {path: out}
workers: 1
"""


def export(rev: str, where: Path) -> Path:
    """The tree of ``rev`` under build/ab/<sha> (git archive): run as it was, not as the work tree is."""
    sha = subprocess.run(["git", "rev-parse", rev], cwd=ROOT, capture_output=True, text=True, check=True)
    tree = where / sha.stdout.strip()[:12]
    if not tree.is_dir():
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def write_input(docs: int, where: Path) -> Path:
    """The first ``docs`` bench documents as one JSONL file, written once."""
    import zstandard

    path = where / f"bench-{docs}.jsonl"
    if not path.exists():
        with zstandard.open(BENCH, "rt", encoding="utf-8") as src, open(path, "w", encoding="utf-8") as out:
            out.writelines(itertools.islice(src, docs))
    return path


def run(tree: Path, data: Path, work: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one build with the code of ``tree``."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "c.yaml").write_text(CONFIG % json.dumps(str(data)), encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    code = "import sys; from corpus.cli import main; sys.exit(main())"
    subprocess.run(
        [sys.executable, "-c", code, "build", "c.yaml", "--quiet"],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(tree)},
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    """Alternate A and B builds and print docs per CPU-second of each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--docs", type=int, default=27_145)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not BENCH.exists():
        print(f"needs ../shared/bench/{BENCH.name} (the team's shared data)", file=sys.stderr)
        return 2
    where = ROOT / "build" / "ab"
    trees = {args.a: export(args.a, where), args.b: export(args.b, where)}
    data = write_input(args.docs, where)
    runs: dict[str, list[tuple[float, float]]] = {rev: [] for rev in trees}
    for _ in range(args.repeats):
        for rev, tree in trees.items():
            wall, cpu = run(tree, data, where / "work")
            runs[rev].append((wall, cpu))
            rate = args.docs / cpu
            print(f"{rev}: {wall:.1f} s wall, {cpu:.1f} CPU-s, {rate:,.0f} docs per CPU-s", flush=True)
    shutil.rmtree(where / "work", ignore_errors=True)
    print(f"\n{args.docs:,} documents, default pipeline, 1 worker, medians of {args.repeats}:")
    for rev, figures in runs.items():
        per_cpu = statistics.median(args.docs / cpu for _, cpu in figures)
        wall = statistics.median(w for w, _ in figures)
        print(f"  {rev:>12}: {per_cpu:,.0f} docs per CPU-s, {wall:.1f} s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
