"""The Ray engine's scaling: docs/s on 1 and 2 CPUs, CPU accounting, driver cost per document, two nodes.

Every run is a real ``corpus build`` (the stages of configs/sample.yaml, its input and output
replaced) of bench documents in a subprocess, measured by scripts/bench/ray_procs.py. Inputs,
configs and results live in build/bench-ray/ (never committed):

- 27k: the 27,145 documents of ../shared/bench/base_text.jsonl.zst, as 1 JSONL file and as 8
  (split in order); 9k: the first 9,048 (a third); 81k: the 27,145 three times, copies 2 and 3
  with ``~copy2``/``~copy3`` appended to the id and a final line ``copy 2``/``copy 3`` appended
  to the text (exact dedup keeps them; near dedup then finds them near-duplicates of the
  original, as a crawl's re-fetched pages would be).
- throughput: engine ray on 1 and 2 CPUs, engine local with 1 and 2 workers, 27k as 1 and 8
  files, ``--repeat`` times each (runs interleaved), medians. CPUs are limited with ``taskset``
  (cores 0 / 0,1) around the whole build, and for ray also Ray's logical CPU count: today
  through $RAY_OVERRIDE_RESOURCES='{"CPU": N}', which the private local Ray's ``ray.init``
  honours (the CLI has no option for it: ``--workers`` only caps the map actor pool);
  ``--ray-limit workers`` passes ``--workers N`` instead, ``both`` does both.
- driver: engine ray, 2 CPUs, 8 files, at 9k, 27k and 81k documents: the driver's CPU per
  document and peak RSS (81k runs ``--repeat-large`` times, default 1).
- repeats: every configuration runs once, then again (interleaved) up to ``--repeat`` times
  while each further run, timed by its first, still ends within ``--budget`` minutes (25); the
  tables give the number of runs behind each median.
- nodes: a head and a second node (``ray start``, 1 CPU each, on 127.0.0.1) and a build with
  $RAY_ADDRESS set: how the CPU of the worker processes split between the nodes.

    .venv/bin/python -m scripts.bench.ray_scaling [--quick] [--only throughput|driver|nodes]
        [--repeat 3] [--repeat-large 1] [--budget 25] [--ray-limit env|workers|both] [--rev REV]

``--rev REV`` runs the code of a git revision (``git archive`` into build/bench-ray/src/), not
the checkout as it is (which may be mid-edit).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scripts.bench.common import ROOT, SHARED_BENCH, log, median
from scripts.bench.ray_procs import Nodes, run_accounted

CACHE = ROOT / "build" / "bench-ray"
SHARED = SHARED_BENCH / "base_text.jsonl.zst"
SAMPLE_CONFIG = ROOT / "configs" / "sample.yaml"
BASE_DOCS = 27_145
SIZES = {"9k": BASE_DOCS // 3, "27k": BASE_DOCS, "81k": 3 * BASE_DOCS}  # 9,048 / 27,145 / 81,435
LIMITS = {
    "env": "$RAY_OVERRIDE_RESOURCES",
    "workers": "corpus build --workers N",
    "both": "$RAY_OVERRIDE_RESOURCES and --workers N",
}
INPUTS_VERSION = "1"  # bump when the way inputs are made changes: they are made again


def split_sizes(n: int, parts: int) -> list[int]:
    """``n`` records in ``parts`` files in order, sizes differing by at most one, larger first."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def copy_line(line: str, k: int) -> str:
    """Record ``line`` as copy ``k`` (1 = as it is): id suffixed ``~copyK``, a final text line ``copy K``."""
    if k == 1:
        return line if line.endswith("\n") else line + "\n"
    r = json.loads(line)
    r["id"] = f"{r['id']}~copy{k}"
    text = r["text"]
    r["text"] = f"{text}{'' if text.endswith(chr(10)) or not text else chr(10)}copy {k}"
    return json.dumps(r, ensure_ascii=False) + "\n"


def input_name(size: str, files: int) -> str:
    """The folder name of an input: ``27k-8f``."""
    return f"{size}-{files}f"


def base_lines() -> list[str]:
    """The shared bench corpus, one JSON line per document, as stored."""
    import zstandard

    with open(SHARED, "rb") as raw:
        text = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(raw), encoding="utf-8")
        return [line for line in text if line.strip()]


def prepare_input(size: str, files: int, lines: list[str] | None) -> tuple[Path, list[str] | None]:
    """build/bench-ray/inputs/SIZE-Nf/part-XXXXX.jsonl, made once; returns it (and the base lines read)."""
    folder = CACHE / "inputs" / input_name(size, files)
    done = folder.with_name(folder.name + ".done")
    if (
        done.exists()
        and done.read_text() == INPUTS_VERSION
        and done.stat().st_mtime >= SHARED.stat().st_mtime
    ):
        return folder, lines
    lines = lines or base_lines()
    if len(lines) != BASE_DOCS:
        raise SystemExit(f"{SHARED} holds {len(lines)} documents, not {BASE_DOCS}")
    n = SIZES[size]
    records = (copy_line(lines[i % BASE_DOCS], i // BASE_DOCS + 1) for i in range(n))
    shutil.rmtree(folder, ignore_errors=True)
    done.unlink(missing_ok=True)
    folder.mkdir(parents=True)
    for part, count in enumerate(split_sizes(n, files)):
        with open(folder / f"part-{part:05d}.jsonl", "w", encoding="utf-8") as out:
            for _ in range(count):
                out.write(next(records))
    done.write_text(INPUTS_VERSION)
    return folder, lines


def write_config(name: str, folder: Path) -> Path:
    """configs/sample.yaml with its input replaced by ``folder``'s JSONL files; in build/bench-ray/configs."""
    import yaml

    config = yaml.safe_load(SAMPLE_CONFIG.read_text(encoding="utf-8"))
    config["input"] = {"paths": [str(folder / "*.jsonl")], "format": "jsonl"}
    config["output"] = {"path": str(CACHE / "out" / name)}  # each run passes its own --output
    path = CACHE / "configs" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Spec:
    """One configuration: an input, an engine and a CPU count."""

    section: str  # throughput, driver or nodes
    size: str
    files: int
    engine: str
    cpus: int

    @property
    def docs(self) -> int:
        return SIZES[self.size]

    @property
    def key(self) -> str:
        return f"{self.section}:{self.size}:{self.files}f:{self.engine}:{self.cpus}"


def export(rev: str) -> Path:
    """The tree of git revision ``rev`` under build/bench-ray/src/<sha> (git archive), made once."""
    sha = subprocess.run(["git", "rev-parse", rev], cwd=ROOT, capture_output=True, text=True, check=True)
    tree = CACHE / "src" / sha.stdout.strip()[:12]
    if not (tree / ".exported").exists():
        shutil.rmtree(tree, ignore_errors=True)
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        (tree / ".exported").touch()
    return tree


def run_env(spec: Spec, ray_limit: str, tree: Path = ROOT) -> dict[str, str]:
    """The build's environment: no inherited Ray address, auth or marker; Ray's CPU count if asked.

    A ``tree`` other than the checkout (``--rev``) goes first on PYTHONPATH (the build also runs
    with it as its working directory, which Ray puts on its workers' sys.path).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_ADDRESS", "RAY_AUTH", "CORPUS_RAY"))}
    env |= {"RAY_USAGE_STATS_ENABLED": "0", "RAY_DEDUP_LOGS": "0", "PYTHONUNBUFFERED": "1"}
    if tree != ROOT:
        env["PYTHONPATH"] = os.pathsep.join([str(tree), *filter(None, [os.environ.get("PYTHONPATH")])])
    if spec.engine == "ray" and spec.section != "nodes" and ray_limit in ("env", "both"):
        env["RAY_OVERRIDE_RESOURCES"] = json.dumps({"CPU": spec.cpus})
    return env


def build_command(spec: Spec, config: Path, out: Path, ray_limit: str) -> list[str]:
    """``taskset -c CORES corpus build CONFIG --engine E --output OUT --quiet`` (+ ``--workers N``)."""
    corpus = str(Path(sys.executable).with_name("corpus"))
    cmd = [corpus, "build", str(config), "--engine", spec.engine, "--output", str(out), "--quiet"]
    if spec.engine == "local" or ray_limit in ("workers", "both"):
        cmd += ["--workers", str(spec.cpus)]
    if spec.section == "nodes":
        return cmd
    cores = ",".join(str(c) for c in range(spec.cpus))
    return ["taskset", "-c", cores, *cmd]


def output_summary(out: Path) -> dict[str, Any]:
    """Documents read and kept, and the shards' sha256 (equal outputs across engines and runs)."""
    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["counts"]
    return {
        "read": counts.get("read"),
        "kept": counts.get("kept"),
        "shards": [s["sha256"] for s in manifest["shards"]],
    }


def one_run(spec: Spec, config: Path, args: argparse.Namespace, r: int, nodes: Nodes | None = None) -> dict:
    """Build ``spec`` once, measured; the run's figures (raises if the build failed)."""
    label = spec.key.replace(":", "_")
    out = CACHE / "out" / label
    shutil.rmtree(out, ignore_errors=True)
    logs = CACHE / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = run_env(spec, args.ray_limit, args.tree)
    if nodes:
        env |= nodes.client_env()
    cmd = build_command(spec, config, out, args.ray_limit)
    m = run_accounted(cmd, env=env, cwd=str(args.tree), log_path=logs / f"{label}_{r}.log", nodes=nodes)
    if m.returncode != 0:
        raise SystemExit(f"{spec.key} failed ({m.returncode}): see {logs / f'{label}_{r}.log'}")
    summary = output_summary(out)
    shutil.rmtree(out, ignore_errors=True)
    row = {"key": spec.key, **asdict(spec), "docs": spec.docs, "repeat": r, **asdict(m), **summary}
    log(
        f"  {spec.key} #{r}: {m.wall:.1f} s wall, {m.cpu_total:.1f} CPU-s (polled {m.cpu_polled:.1f}), "
        f"driver {m.driver_cpu:.1f} CPU-s, {m.driver_peak / 1e6:.0f} MB, kept {summary['kept']}"
    )
    if m.strays:
        log(f"  warning: processes of the run still alive after the grace time: {m.strays}")
    return row


def summarize(runs: list[dict]) -> dict[str, Any]:
    """Medians of one configuration's runs: wall, docs/s, docs per CPU-s, driver share and peak."""
    first = runs[0]
    wall = median([r["wall"] for r in runs])
    cpu = median([r["cpu_total"] for r in runs])
    driver = median([r["driver_cpu"] for r in runs])
    return {
        **{k: first[k] for k in ("key", "section", "size", "files", "engine", "cpus", "docs", "kept")},
        "runs": len(runs),
        "walls": [round(r["wall"], 2) for r in runs],
        "wall": wall,
        "docs_per_s": first["docs"] / wall,
        "cpu_total": cpu,
        "docs_per_cpu_s": first["docs"] / cpu,
        "driver_cpu": driver,
        "driver_share": median([r["driver_cpu"] / r["cpu_total"] for r in runs]),
        "driver_us_per_doc": driver / first["docs"] * 1e6,
        "driver_peak_mb": median([r["driver_peak"] for r in runs]) / 1e6,
        "same_output": len({tuple(r["shards"]) for r in runs}) == 1,
        "groups": {g: median([r["groups"].get(g, 0.0) for r in runs]) for g in first["groups"]},
    }


def _row(r: dict[str, Any]) -> str:
    return (
        f"| {r['docs']:,} | {r['engine']} | {r['cpus']} | {r['files']} | {r['runs']} | {r['wall']:.1f} "
        f"| {r['docs_per_s']:,.0f} | {r['docs_per_cpu_s']:,.0f} | {100 * r['driver_share']:.0f} "
        f"| {r['driver_peak_mb']:,.0f} |"
    )


def render(report: dict[str, Any]) -> str:
    """The markdown report: throughput, speedups, driver scaling, two-node split."""
    rows = report["rows"]
    out = [
        f"Ray engine scaling, commit {report['commit']}, {report['date']}, {report['cores']} cores "
        f"(load {report['load_after']:.1f} at the end); medians of up to {report['repeat']} runs; "
        f"CPUs limited by taskset, and Ray's CPU count by {LIMITS[report['ray_limit']]}.",
        "",
    ]
    thr = [r for r in rows.values() if r["section"] == "throughput"]
    if thr:
        out += [
            "| docs | engine | CPUs (ray) / workers (local) | files | runs | median wall s | docs/s "
            "| docs per CPU-s | driver CPU % | driver peak MB |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        out += [_row(r) for r in sorted(thr, key=lambda r: (r["files"], r["engine"] != "ray", r["cpus"]))]
        kept = {(r["size"], r["files"]): r["kept"] for r in thr}
        out += ["", "Documents kept: " + ", ".join(f"{s} in {f} files: {k:,}" for (s, f), k in kept.items())]
        by = {(r["engine"], r["cpus"], r["files"]): r for r in thr}
        out += [
            "",
            "| files | ray 2 CPUs / ray 1 CPU | ray 2 CPUs / local 2 workers | ray 1 CPU / local 1 worker |",
            "|---:|---:|---:|---:|",
        ]
        for files in sorted({r["files"] for r in thr}):
            ratio = lambda a, b: by[a]["docs_per_s"] / by[b]["docs_per_s"]  # noqa: E731
            out.append(
                f"| {files} | {ratio(('ray', 2, files), ('ray', 1, files)):.2f} "
                f"| {ratio(('ray', 2, files), ('local', 2, files)):.2f} "
                f"| {ratio(('ray', 1, files), ('local', 1, files)):.2f} |"
            )
    drv = sorted((r for r in rows.values() if r["section"] == "driver"), key=lambda r: r["docs"])
    if drv:
        out += [
            "",
            "Driver scaling (engine ray, 2 CPUs, 8 files):",
            "",
            "| docs | runs | median wall s | docs/s | total CPU s | driver CPU s | driver µs/doc "
            "| driver CPU % | driver peak MB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        out += [
            f"| {r['docs']:,} | {r['runs']} | {r['wall']:.1f} | {r['docs_per_s']:,.0f} "
            f"| {r['cpu_total']:.1f} | {r['driver_cpu']:.1f} | {r['driver_us_per_doc']:,.0f} "
            f"| {100 * r['driver_share']:.0f} "
            f"| {r['driver_peak_mb']:,.0f} |"
            for r in drv
        ]
    for r in (r for r in rows.values() if r["section"] == "nodes"):
        groups = r["groups"]
        workers = {g: c for g, c in groups.items() if g.endswith(" workers")}
        all_workers = sum(workers.values()) or 1.0
        out += [
            "",
            f"Two nodes on this host (ray start, 1 CPU each, $RAY_ADDRESS; {r['docs']:,} docs in "
            f"{r['files']} files): {r['wall']:.1f} s wall, {r['docs_per_s']:,.0f} docs/s, "
            f"{r['cpu_total']:.1f} CPU-s in all, driver {r['driver_cpu']:.1f} CPU-s "
            f"({100 * r['driver_share']:.0f}%), {r['driver_peak_mb']:,.0f} MB.",
            "",
            "| processes | CPU s | share of worker CPU |",
            "|---|---:|---:|",
        ]
        out += [
            f"| {g} | {c:.1f} | {f'{100 * c / all_workers:.0f}%' if g in workers else ''} |"
            for g, c in sorted(groups.items())
        ]
    if any(not r["same_output"] for r in rows.values()):
        out += [
            "",
            "WARNING: runs of one configuration wrote different outputs: "
            + ", ".join(k for k, r in rows.items() if not r["same_output"]),
        ]
    digests = {}
    for r in rows.values():
        digests.setdefault((r["size"], r["files"]), set()).add(tuple(report["runs"][r["key"]][0]["shards"]))
    differ = [f"{s} in {f} files" for (s, f), d in digests.items() if len(d) > 1]
    if differ:
        out += ["", "WARNING: engines wrote different outputs for " + ", ".join(differ)]
    out += [f"\nFAILED: {e}" for e in report.get("errors", [])]
    out += ["", f"Runtime of this bench: {report['seconds'] / 60:.1f} min."]
    return "\n".join(out)


def git_head() -> str:
    """The checkout's short commit, with ``+dirty`` if corpus/ has uncommitted changes."""
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: E731
    return git("rev-parse", "--short", "HEAD") + ("+dirty" if git("status", "--porcelain", "corpus") else "")


def plan(args: argparse.Namespace) -> tuple[list[Spec], list[Spec], list[Spec]]:
    """The throughput, driver and nodes configurations ``args`` asks for."""
    big = "9k" if args.quick else "27k"
    throughput = [
        Spec("throughput", big, files, engine, cpus)
        for files in (1, 8)
        for engine in ("ray", "local")
        for cpus in (1, 2)
    ]
    sizes = ["9k"] if args.quick else ["9k", "27k", "81k"]
    driver = [Spec("driver", size, 8, "ray", 2) for size in sizes]
    nodes = [Spec("nodes", big, 8, "ray", 2)]
    only = args.only
    return (
        throughput if only in (None, "throughput") else [],
        driver if only in (None, "driver") else [],
        nodes if only in (None, "nodes") else [],
    )


def main(argv: list[str] | None = None) -> int:
    """Prepare inputs, run every configuration, print the report and write results.md/.json."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="9k documents only, 1 repeat: a smoke run")
    p.add_argument("--only", choices=["throughput", "driver", "nodes"])
    p.add_argument("--repeat", type=int, default=3, help="runs per configuration (median reported)")
    p.add_argument("--repeat-large", type=int, default=1, help="runs of the 81k driver configuration")
    p.add_argument(
        "--budget",
        type=float,
        default=25,
        help="minutes: no repeat run starts that would end later (0: none)",
    )
    p.add_argument(
        "--ray-limit",
        choices=["env", "workers", "both"],
        default="env",
        help="how ray's CPU count is limited besides taskset (env: $RAY_OVERRIDE_RESOURCES)",
    )
    p.add_argument("--rev", help="run the code of this git revision (exported), not the checkout as it is")
    args = p.parse_args(argv)
    if not SHARED.exists():
        log(f"needs {SHARED}")
        return 2
    if not shutil.which("taskset"):
        log("needs taskset (util-linux) to limit the CPUs of a run")
        return 2
    repeat = 1 if args.quick else args.repeat
    args.tree = export(args.rev) if args.rev else ROOT
    throughput, driver, nodes = plan(args)
    started = time.monotonic()
    lines = None
    configs: dict[tuple[str, int], Path] = {}
    for spec in [*throughput, *driver, *nodes]:
        if (spec.size, spec.files) not in configs:
            folder, lines = prepare_input(spec.size, spec.files, lines)
            configs[spec.size, spec.files] = write_config(input_name(spec.size, spec.files), folder)
    del lines
    runs: dict[str, list[dict]] = {}
    # The driver figure at 27k is the throughput run of the same configuration (ray, 2 CPUs, 8 files).
    reuse = {s.key: s for s in driver if Spec("throughput", s.size, s.files, "ray", 2) in throughput}
    todo = [s for s in [*throughput, *driver] if s.key not in reuse]
    # Round 1 runs every configuration once, the two-node build included; later rounds (up to
    # --repeat, interleaved so a noisy minute hurts one run of each configuration) run a
    # configuration again only if its first run's time still fits in --budget minutes.
    took: dict[str, float] = {}
    errors: list[str] = []
    for r in range(repeat):
        for spec in todo:
            if spec.size == "81k" and r >= args.repeat_large:
                continue
            elapsed = time.monotonic() - started
            if r and args.budget and elapsed + took[spec.key] > 60 * args.budget:
                log(f"[{elapsed:.0f} s] {spec.key} run {r + 1}: skipped, over the {args.budget} min budget")
                continue
            log(f"[{elapsed:.0f} s] {spec.key} run {r + 1}")
            runs.setdefault(spec.key, []).append(one_run(spec, configs[spec.size, spec.files], args, r))
            took[spec.key] = time.monotonic() - started - elapsed
        for spec in nodes if r == 0 else []:
            log(f"[{time.monotonic() - started:.0f} s] {spec.key}: starting two Ray nodes")
            ray = str(Path(sys.executable).with_name("ray"))
            env = run_env(spec, args.ray_limit, args.tree)
            try:
                with Nodes(ray, CACHE / "ray", env) as cluster:
                    runs[spec.key] = [one_run(spec, configs[spec.size, spec.files], args, 0, cluster)]
            except (RuntimeError, SystemExit, OSError, subprocess.SubprocessError) as exc:
                log(f"  {spec.key} failed: {exc}")  # the other sections' figures are still reported
                errors.append(f"{spec.key}: {exc}")
    for key, spec in reuse.items():
        runs[key] = [
            {**row, "key": key, "section": "driver"}
            for row in runs[spec.key.replace("driver", "throughput", 1)]
        ]
    total = time.monotonic() - started
    report = {
        "commit": args.tree.name if args.rev else git_head(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "load_after": os.getloadavg()[0],
        "ray_limit": args.ray_limit,
        "repeat": repeat,
        "seconds": total,
        "errors": errors,
        "rows": {key: summarize(rs) for key, rs in runs.items()},
        "runs": runs,
    }
    text = render(report)
    print(text)
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "results.md").write_text(text + "\n", encoding="utf-8")
    (CACHE / "results.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    log(f"{total:.0f} s in all; build/bench-ray/results.md and results.json written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
