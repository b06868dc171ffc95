"""End-to-end throughput benchmark: our default pipeline through the real engine vs datatrove, same input.

    .venv/bin/python -m scripts.bench.pipeline            # full run, 10-12 min on 2 cores
    .venv/bin/python -m scripts.bench.pipeline --quick    # smoke run: 3,000 docs, about 1 min
    make bench                                            # also creates the peers' venv

Run from the repository root. Input: the shared bench documents, the first N of them
(scripts/bench/inputs.py). What runs, each in its own subprocess (scripts/bench/common.py says
how it is measured):

* ours, end to end: ``corpus build`` on a config with fix_encoding, strip_boilerplate,
  normalize_handles (mask), detect_language, exact_dedup, near_dedup (0.8), every option at its
  default (no language filter), writing zstd Parquet shards; ``--workers`` 1 and 2;
* ours, engine only: the same build with no stages (read JSONL, ship batches to a worker and
  back, checkpoint chunks, read them back, write Parquet), workers 1;
* the per-stage profile (scripts/bench/profile.py): in-process builds of the same documents,
  CPU seconds by stage and engine phase as the engine records them (``Stats.seconds``), and the
  bytes the corpus steps hold per document;
* datatrove 0.10.1 (interpreter of --peer-python; scripts/bench/peers.py): its language, Gopher
  repetition and C4 quality filters, then its 4 MinHash dedup stages, 2 tasks / 2 workers;
* memory: peak RSS of our end-to-end build (workers 1) at each of --sizes.

Figures (scripts/bench/report.py): docs/s and MB/s are wall-clock; "per core" is per
CPU-second of the whole process tree; peak memory is the largest sum of RSS over the process
tree (PSS, which counts shared pages once, is in the JSON). Medians over --repeats runs of ours
and --peer-repeats runs of datatrove (default 1: it is slow).

Results: a table on stdout, build/bench/pipeline.json (this run), and one line appended to
build/bench/pipeline_history.jsonl (to compare runs over time).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from scripts.bench.common import OUT, PEER_PYTHON, fit_line, log, median, median_run, module_command, rel
from scripts.bench.inputs import (
    BASE_DOCS,
    MB,
    SHARED_BASE,
    STAGES,
    WORK,
    ensure_base,
    input_bytes,
    make_input,
    write_config,
)
from scripts.bench.peers import DT_TASKS
from scripts.bench.report import render
from scripts.bench.runs import git_state, measured, peer_versions, ratios, run_datatrove, run_ours, summarize

TARGET_DOCS_PER_CORE = 1_000
TARGET_RATIO = 40


def main(argv: list[str] | None = None) -> int:
    """Run the chosen tools, print the report, write pipeline.json and the history line."""
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
    args = ap.parse_args(argv)

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
        cmd = module_command(
            sys.executable, "scripts.bench.profile", "--config", rel(config), "--repeats", str(repeats)
        )
        cmd += ["--result", rel(res)]
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


if __name__ == "__main__":
    sys.exit(main())
