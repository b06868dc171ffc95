"""Documents per second: engine local vs engine ray, on 1 and 2 CPUs, same input, medians of runs.

Input: the first ``--docs`` records of ../shared/bench/base_text.jsonl.zst (real documents).
Stages: fix_encoding, exact_dedup, near_dedup by default; ``--full`` adds the cleaning stages
of configs/sample.yaml (strip_boilerplate, normalize_handles, detect_language). Each engine
and CPU count runs ``--repeat`` times; a fresh Ray is started per CPU count (its start-up is
reported apart, not in the build times). Every ray build is checked against the local one.
``--resumed`` also times ray builds rerun over a complete work directory (every input file's
map part committed, as after a kill in the dedup steps): read back, dedup, write.

    .venv/bin/python -m scripts.bench.ray_engine [--docs 8000] [--repeat 3] [--full] [--cpus 2]
        [--engines ray] [--resumed]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scripts.bench.common import SHARED_BENCH

BENCH = SHARED_BENCH / "base_text.jsonl.zst"


def write_input(path: Path, docs: int, bench: Path) -> int:
    """The first ``docs`` records of the bench corpus as one JSONL file; how many there were."""
    import zstandard

    n = 0
    with zstandard.open(bench, "rt", encoding="utf-8") as src, open(path, "w", encoding="utf-8") as out:
        for line in src:
            if n == docs:
                break
            out.write(line)
            n += 1
    return n


def config(src: Path, full: bool) -> dict:
    """The build config: dedup stages, with the cleaning stages when ``full``."""
    cleaning = [{"strip_boilerplate": {}}, {"normalize_handles": {}}, {"detect_language": {}}] if full else []
    stages = [{"fix_encoding": {}}, *cleaning, {"exact_dedup": {}}, {"near_dedup": {}}]
    return {"input": {"paths": [str(src)]}, "stages": stages, "output": {"path": "unused"}}


def shards(out: Path) -> list[bytes]:
    """The bytes of every shard, to check that each engine wrote the same dataset."""
    manifest = json.loads((out / "manifest.json").read_text())
    return [(out / s["path"]).read_bytes() for s in manifest["shards"]]


def rerun_resumed(pipeline, out: Path) -> float:
    """Seconds of a ray build of ``out`` again, after one killed right after its map was committed."""
    import corpus.engines.ray.engine as engine

    class Killed(Exception):
        pass

    def stop(name: str, n: int) -> None:
        if name == "dedup":
            raise Killed

    engine.on_event = stop
    try:
        pipeline.build(output=out, engine="ray", progress=False)
    except Killed:
        pass
    finally:
        engine.on_event = None
    started = time.perf_counter()
    result = pipeline.build(output=out, engine="ray", progress=False)
    assert result.resumed_chunks, "the rerun did not reuse the committed parts"
    return time.perf_counter() - started


def main() -> int:
    """Time each engine at each CPU count, checking every ray build against the local one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=8000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also the cleaning stages of the sample config")
    parser.add_argument("--cpus", default="1,2", help="CPU counts to run, comma-separated")
    parser.add_argument("--engines", default="local,ray", help="engines to run, comma-separated")
    parser.add_argument("--resumed", action="store_true", help="also ray reruns over a complete work dir")
    parser.add_argument("--bench", type=Path, default=BENCH, help="the bench corpus (.jsonl.zst)")
    args = parser.parse_args()
    if not args.bench.exists():
        print(f"needs {args.bench} (../shared/bench/{BENCH.name})", file=sys.stderr)
        return 2
    cpu_counts = [int(c) for c in args.cpus.split(",")]
    engines = args.engines.split(",")
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    import ray

    from corpus import Pipeline

    tmp = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    src = tmp / "input.jsonl"
    n = write_input(src, args.docs, args.bench)
    cfg = config(src, args.full)
    print(f"{n} documents, stages: {', '.join(next(iter(s)) for s in cfg['stages'])}; {os.cpu_count()} cores")
    rows = []
    reference: list[bytes] = []
    for cpus in cpu_counts if "local" in engines else []:
        times = []
        for r in range(args.repeat):
            out = tmp / f"local-{cpus}-{r}"
            started = time.perf_counter()
            Pipeline.from_config(cfg).build(output=out, workers=cpus, progress=False)
            times.append(time.perf_counter() - started)
            reference = reference or shards(out)
        rows.append(("local", cpus, times))
    for cpus in cpu_counts if "ray" in engines else []:
        started = time.perf_counter()
        ray.init(num_cpus=cpus, include_dashboard=False, object_store_memory=1 << 30, logging_level="WARNING")
        startup = time.perf_counter() - started
        times, resumed = [], []
        for r in range(args.repeat):
            out = tmp / f"ray-{cpus}-{r}"
            started = time.perf_counter()
            Pipeline.from_config(cfg).build(output=out, engine="ray", progress=False)
            times.append(time.perf_counter() - started)
            reference = reference or shards(out)
            assert shards(out) == reference, "ray output differs from local"
            if args.resumed:
                resumed.append(rerun_resumed(Pipeline.from_config(cfg), out))
                assert shards(out) == reference, "resumed ray output differs"
        ray.shutdown()
        rows.append((f"ray (start-up {startup:.1f}s)", cpus, times))
        if resumed:
            rows.append(("ray, all parts reused", cpus, resumed))
    print(f"{'engine':<24} {'cpus':>4} {'median s':>9} {'docs/s':>8}  runs (s)")
    for name, cpus, times in rows:
        med = statistics.median(times)
        runs = ", ".join(f"{t:.1f}" for t in times)
        print(f"{name:<24} {cpus:>4} {med:>9.1f} {n / med:>8.0f}  {runs}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
