"""Near-dedup benchmark: ours vs datasketch MinHashLSH vs datatrove's MinHash dedup, same data, same run.

    .venv/bin/python -m scripts.bench.make_corpus               # once: build/bench/corpus.jsonl
    .venv/bin/python -m scripts.bench.neardup [--sizes 30000,60000,120000] [--repeats 3]

Each tool runs in its own subprocess (scripts/bench/neardup_tools.py) on the first N documents
of build/bench/corpus.jsonl, streaming them from disk (JSON parsing is inside every tool's
time), so peak memory is per tool: the RSS of the worker's process tree, sampled every 20 ms
from /proc; bytes/doc is (peak - RSS after imports) / N. Peers use the interpreter of
--peer-python (a venv of their own; requirement lines for a ``bench`` extra are printed with
the table):

* ours: ``NearDedup()`` (14 x 9 LSH, 128 perm, verified at estimated J >= 0.8), one process;
* datasketch: MinHash(128, seed 1) via update_batch, MinHashLSH(0.8) (9 x 13), query all,
  candidate linked only if MinHash.jaccard() >= 0.8, union-find ("datasketch+verify");
* datatrove: the 4 MinHash stages (signatures, buckets, cluster, filter) with 9 x 13
  (datasketch's choice for 0.8), 2 tasks / 2 workers as on a 2-core machine.

Scoring (same for all): predicted pairs = all pairs inside each output group; precision from
the exact word-5-gram Jaccard of every predicted pair (>= 0.8 TP, < 0.7 false merge);
recall over the injected pairs with J >= 0.8 (natural duplicates are not enumerated).
Time and memory at 1M documents are extrapolated by a least-squares line over the sizes.
Results: build/bench/neardup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scripts.bench.common import OUT, PEER_PYTHON, ROOT, fit_line, module_command, rss_of_tree
from scripts.bench.neardup_tools import CORPUS, TOK, read_docs

BENCH_REQUIREMENTS = ["corpus[bench] (pyproject.toml)"]


def run_tool(tool: str, n: int, python: str) -> dict[str, Any]:
    """One tool's run in its own subprocess, its peak RSS sampled from outside every 20 ms."""
    with tempfile.NamedTemporaryFile(suffix=".json", dir=OUT, delete=False) as f:
        out = f.name
    cmd = module_command(python, "scripts.bench.neardup_tools", "--worker", tool, "--n", str(n))
    cmd += ["--groups", os.path.relpath(out, ROOT)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, rss_of_tree(proc.pid))
        time.sleep(0.02)
    err = proc.stderr.read()
    if proc.returncode:
        raise RuntimeError(f"{tool} n={n} failed:\n{err[-3000:]}")
    data = json.loads(Path(out).read_text())
    os.unlink(out)
    return {
        "seconds": data["seconds"],
        "peak_rss": peak,
        "base_rss": data["base_rss"],
        "groups": data["groups"],
    }


class Scorer:
    """Exact word-5-gram Jaccard of predicted pairs; recall over injected pairs >= 0.8."""

    def __init__(self, n: int) -> None:
        docs = list(read_docs(n))
        self.ids = [d["id"] for d in docs]
        self.texts = [d["text"] for d in docs]
        self.sets: dict[int, frozenset[int]] = {}
        where = {d: i for i, d in enumerate(self.ids)}
        self.truth = set()
        with open(OUT / "truth.jsonl", encoding="utf-8") as f:
            for t in map(json.loads, f):
                if t["jaccard"] >= 0.8 and t["a"] in where and t["b"] in where:
                    self.truth.add(tuple(sorted((where[t["a"]], where[t["b"]]))))

    def shingles(self, i: int) -> frozenset[int]:
        if i not in self.sets:
            w = TOK.findall(self.texts[i].lower())
            self.sets[i] = frozenset(hash(" ".join(w[k : k + 5])) for k in range(max(1, len(w) - 4)))
        return self.sets[i]

    def score(self, groups: list[list[int]]) -> dict[str, Any]:
        tp = fp = 0
        found = set()
        for g in groups:
            g = sorted(g)
            for x, a in enumerate(g):
                for b in g[x + 1 :]:
                    sa, sb = self.shingles(a), self.shingles(b)
                    j = len(sa & sb) / len(sa | sb)
                    tp += j >= 0.8
                    fp += j < 0.7
                    found.add((a, b))
        p = tp / (tp + fp) if tp + fp else 1.0
        r = len(found & self.truth) / len(self.truth) if self.truth else 1.0
        return {
            "precision": p,
            "recall": r,
            "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "false_merges": fp,
            "largest_group": max(map(len, groups), default=1),
        }


def main(argv: list[str] | None = None) -> int:
    """Every tool at every size, scored the same way; the table and build/bench/neardup.json."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="30000,60000,120000")
    ap.add_argument("--repeats", type=int, default=3, help="runs of ours per size (median)")
    ap.add_argument("--peer-repeats", type=int, default=1)
    ap.add_argument("--tools", default="ours,datasketch,datatrove")
    ap.add_argument("--peer-python", default=str(PEER_PYTHON))
    args = ap.parse_args(argv)
    if not CORPUS.exists():
        missing = os.path.relpath(CORPUS, ROOT)
        print(f"{missing} is missing: run `python -m scripts.bench.make_corpus` first", file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.sizes.split(",")]
    tools = args.tools.split(",")
    cores = {"ours": 1, "datasketch": 1, "datatrove": 2}
    results: dict[str, dict[int, dict[str, Any]]] = {t: {} for t in tools}
    for n in sizes:
        scorer = Scorer(n)
        for tool in tools:
            python = sys.executable if tool == "ours" else args.peer_python
            runs = [
                run_tool(tool, n, python)
                for _ in range(args.repeats if tool == "ours" else args.peer_repeats)
            ]
            best = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
            peak = statistics.median(r["peak_rss"] for r in runs)
            row = {
                "docs": n,
                "seconds": best["seconds"],
                "docs_per_s": n / best["seconds"],
                "docs_per_s_per_core": n / best["seconds"] / cores[tool],
                "cores": cores[tool],
                "peak_rss_mb": peak / 2**20,
                "bytes_per_doc": (peak - best["base_rss"]) / n,
                "runs": len(runs),
                **scorer.score(best["groups"]),
            }
            results[tool][n] = row
            print(
                f"{tool:10s} n={n:>7,}: {row['docs_per_s']:8.0f} docs/s, {row['peak_rss_mb']:7.0f} MB, "
                f"{row['bytes_per_doc']:6.0f} B/doc, F1 {row['f1']:.3f}",
                file=sys.stderr,
            )
    report = {
        "sizes": sizes,
        "machine": f"{os.cpu_count()} cores",
        "results": results,
        "extrapolated_1M": {},
        "bench_extra": BENCH_REQUIREMENTS,
    }
    for tool in tools:
        rows = [results[tool][n] for n in sizes]
        if len(rows) >= 2:
            t0, t1 = fit_line(sizes, [r["seconds"] for r in rows])
            m0, m1 = fit_line(sizes, [r["peak_rss_mb"] for r in rows])
            report["extrapolated_1M"][tool] = {
                "seconds": t0 + t1 * 1e6,
                "peak_rss_mb": m0 + m1 * 1e6,
                "mb_per_1k_docs": m1 * 1e3,
            }
    print(render(report))
    (OUT / "neardup.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def render(report: dict[str, Any]) -> str:
    """The table at the largest size and the 1M-document extrapolations."""
    n = max(report["sizes"])
    rows = {t: r[n] for t, r in report["results"].items()}
    peers = [t for t in rows if t != "ours"]
    fastest = max((rows[t]["docs_per_s"] for t in peers), default=None)
    cols = "tool|docs|docs/s|docs/s/core|peak RSS MB|bytes/doc|P|R|F1|false merges|x fastest peer"
    head = "| " + " | ".join(cols.split("|")) + " |"
    lines = [head, "|---" * 11 + "|"]
    for t, r in rows.items():
        ratio = f"{r['docs_per_s'] / fastest:.2f}" if fastest else "-"
        lines.append(
            f"| {t} | {r['docs']:,} | {r['docs_per_s']:,.0f} | {r['docs_per_s_per_core']:,.0f} | "
            f"{r['peak_rss_mb']:,.0f} | {r['bytes_per_doc']:,.0f} | {r['precision']:.3f} | "
            f"{r['recall']:.3f} | {r['f1']:.3f} | {r['false_merges']:,} | {ratio} |"
        )
    for t, e in report["extrapolated_1M"].items():
        lines.append(
            f"1M docs, {t}: ~{e['seconds'] / 60:,.1f} min, ~{e['peak_rss_mb']:,.0f} MB peak "
            f"({e['mb_per_1k_docs']:.2f} MB per 1k docs)"
        )
    lines.append("bench extra: " + ", ".join(f'"{x}"' for x in report["bench_extra"]))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
