"""The pipeline bench's per-stage profile: CPU seconds by stage and engine phase, as the engine records them.

    .venv/bin/python -m scripts.bench.profile --config CONFIG.yaml [--repeats 3] [--result OUT.json]

Runs real in-process builds (``Pipeline.build(workers=0)``: one process, so every CPU second
is on one core) and reads ``BuildResult.stats.seconds``, the per-stage CPU time the engine
itself keeps: a stage's name for a per-document stage or a corpus step's fingerprints,
``phase.<name>`` for a phase of the build (map: read and the stages; reduce: the corpus
steps' decisions and the shard writer; finish: shards closed, manifest and card). The bench
never re-implements the engine to time it, so what it times is what a build does. Medians
over ``--repeats`` builds.

Also the bytes each corpus step holds per document once it has seen all of them (tracemalloc
of the steps' state): the part of the reduce phase's memory that grows with the corpus.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from scripts.bench.common import rel
from scripts.bench.inputs import WORK

PHASE = "phase."


def one_build(config: str, out: Path) -> tuple[Any, float, float]:
    """(BuildResult, CPU s of setup, CPU s of the whole build) of a fresh in-process build."""
    from corpus.pipeline import Pipeline

    for stale in (out, out.parent / f".{out.name}.work", out.parent / f".{out.name}.tmp"):
        shutil.rmtree(stale, ignore_errors=True)  # a left work directory would be resumed
    pipeline = Pipeline.from_yaml(config)
    gc.collect()
    t = time.process_time()
    pipeline.setup()  # models and tables: once per build, outside the phases
    setup = time.process_time() - t
    t = time.process_time()
    result = pipeline.build(workers=0, output=out, progress=False)
    whole = time.process_time() - t
    if result.resumed_chunks:
        raise RuntimeError(f"{rel(out)}: the build resumed an earlier one, its time is not a full build's")
    shutil.rmtree(out, ignore_errors=True)
    return result, setup, whole


def docs_in(key: str, result: Any) -> int:
    """Documents a stage or phase saw: the stage's docs_in counter, the build's counts for a phase."""
    counts = result.manifest["counts"]
    if key.startswith(PHASE):
        return counts["kept"] if key == f"{PHASE}finish" else counts["read"]
    return int(result.stats.get(f"{key}.docs_in", 0)) or counts["read"]


def label(key: str, steps: set[str]) -> str:
    """A row's name: a phase, a per-document stage, or a corpus step (whose fingerprints are timed)."""
    if key.startswith(PHASE):
        return f"{key.removeprefix(PHASE)} phase"
    return f"{key} fingerprints (worker side)" if key in steps else key


def work_profile(config: str, repeats: int) -> dict[str, Any]:
    """Per-stage and per-phase CPU seconds on one core over ``config``'s input, medians of builds."""
    from corpus.pipeline import Pipeline

    steps = {s.name for s in Pipeline.from_yaml(config).corpus_steps}  # only fingerprints are timed
    out = WORK / "out" / "profile"
    builds = [one_build(config, out) for _ in range(repeats)]
    result = builds[0][0]
    keys = list(dict.fromkeys(k for r, _, _ in builds for k in r.stats.seconds))
    if not keys:
        raise RuntimeError("the build recorded no per-stage seconds (corpus.stats.Stats.seconds)")
    rows = []
    for key in keys:
        runs = [float(r.stats.seconds.get(key, 0.0)) for r, _, _ in builds]
        rows.append(
            {
                "part": "engine" if key.startswith(PHASE) else "stage",
                "what": label(key, steps),
                "docs": docs_in(key, result),
                "cpu_s": statistics.median(runs),
                "runs": runs,
            }
        )
    whole = [w for _, _, w in builds]
    rows.append(
        {
            "part": "check",
            "what": "the whole build in one process (process_time around Pipeline.build)",
            "docs": result.manifest["counts"]["read"],
            "cpu_s": statistics.median(whole),
            "runs": whole,
        }
    )
    return {
        "docs": result.manifest["counts"]["read"],
        "kept": result.manifest["counts"]["kept"],
        "setup_cpu_s": statistics.median(s for _, s, _ in builds),
        "rows": rows,
        "state": dedup_state(config),
    }


def survivors_and_keys(config: str) -> tuple[Any, list[Any], list[list[Any]]]:
    """The documents the per-document stages keep, with their corpus-step keys (the map's output)."""
    from corpus.document import Document
    from corpus.engines.phases import map_batch
    from corpus.io.read import expand_inputs, read_input
    from corpus.pipeline import Pipeline
    from corpus.stats import Stats

    pipeline = Pipeline.from_yaml(config)
    cfg = pipeline.config
    batch_size = cfg.get("batch_size", 256)
    files = expand_inputs(cfg["input"]["paths"], relative_to=pipeline.config_dir)
    docs = [d for f in files for d in read_input(f, cfg["input"]) if isinstance(d, Document)]
    survivors, keys = [], []
    for i in range(0, len(docs), batch_size):
        for doc, key, _ in map_batch(pipeline, docs[i : i + batch_size], Stats()):
            if doc is not None:
                survivors.append(doc)
                keys.append(key)
    return pipeline, survivors, keys


def dedup_state(config: str) -> dict[str, Any]:
    """Bytes each corpus step holds per document once it has seen them all (tracemalloc).

    This is the part of the reduce phase's memory that grows with the corpus: the exact
    digests and near-dup signatures; everything else is bounded by batch and shard sizes.
    """
    import dataclasses
    import pickle
    import tracemalloc

    from corpus.dedup.base import GlobalStep

    pipeline, survivors, keys = survivors_and_keys(config)
    out = {}
    for k, step in enumerate(pipeline.worker_steps):
        step.reset()
        column = [row[k] for row in keys]
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for key, doc in zip(column, survivors, strict=True):
            # Fresh copies, as the reduce phase unpickles them: what the step keeps is counted.
            key, doc_id = pickle.loads(pickle.dumps((key, doc.id)))
            doc = dataclasses.replace(doc, id=doc_id)
            if isinstance(step, GlobalStep):
                step.collect(key, doc)
            else:
                step.admit(key, doc)
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        out[step.name] = {
            "docs": len(survivors),
            "bytes": held,
            "bytes_per_doc": held / max(len(survivors), 1),
        }
        step.reset()
    return out


def main(argv: list[str] | None = None) -> int:
    """Profile one config; the JSON for the pipeline bench, or the table alone."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True, help="a build config (the pipeline bench writes one)")
    ap.add_argument("--repeats", type=int, default=1, help="builds, median per row (default 1)")
    ap.add_argument("--result", help="write the profile here as JSON (default: print the table)")
    args = ap.parse_args(argv)
    result = work_profile(args.config, args.repeats)
    if args.result:
        Path(args.result).write_text(json.dumps(result) + "\n")
    else:
        from scripts.bench.report import render_profile

        print("\n".join(render_profile(result, {"rows": {}})))
    return 0


if __name__ == "__main__":
    sys.exit(main())
