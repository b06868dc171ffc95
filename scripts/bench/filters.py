"""`make bench-filters`: our four quality stages against datatrove 0.10.1's, decision by decision.

    python -m scripts.bench.filters [--docs N] [--peer-python build/bench-venv/bin/python] [--no-pipeline]

On the 27,145 bench documents (../shared/bench, read where it lies), each of gopher_quality,
gopher_repetition, c4_quality and fineweb_quality (``language: en``, every option at its default)
and its datatrove counterpart decide every original document on its own. Prints, per stage:
agreement on keep/drop, the disagreements by (our reason, theirs) with an example id each, and
documents per CPU-second of ours and theirs (process CPU time around each call; ours also for the
four in a row on one document, the way a pipeline runs them, in drop and tag mode). Then the
default pipeline with and without the four stages, end to end (`corpus build`, 1 worker, docs per
CPU-second of the process tree). datatrove's decisions are cached in build/bench-filters/ (its
run takes about 20 minutes); results go to build/bench-filters/results.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from scripts.bench.common import PEER_PYTHON, ROOT, SHARED_BENCH, log, median, rel
from scripts.bench.filters_peer import DATATROVE_REASON

WORK = ROOT / "build" / "bench-filters"
NAMES = ("gopher_quality", "gopher_repetition", "c4_quality", "fineweb_quality")
PEER = "datatrove-0.10.1"
# Pipelines for the end-to-end figure: the default one, and the same with the quality stages.
DEFAULT = [
    {"fix_encoding": {}},
    {"strip_boilerplate": {}},
    {"normalize_handles": {"mode": "mask"}},
    {"detect_language": {}},
]
QUALITY = [{name: {}} for name in NAMES]
DEDUP = [{"exact_dedup": {}}, {"near_dedup": {}}]


def documents(limit: int | None) -> Path:
    """The bench documents as plain JSON lines (id, text) under build/bench-filters."""
    import zstandard

    source = SHARED_BENCH / "base_text.jsonl.zst"
    if not source.exists():
        sys.exit(f"bench-filters: {rel(source)} is missing (the team's ../shared/bench)")
    out = WORK / (f"docs-{limit}.jsonl" if limit else "docs.jsonl")
    if not out.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        with zstandard.open(source, "rt", encoding="utf-8") as f, out.open("w", encoding="utf-8") as w:
            for i, line in enumerate(f):
                if limit and i >= limit:
                    break
                row = json.loads(line)
                w.write(json.dumps({"id": row["id"], "text": row["text"]}, ensure_ascii=False) + "\n")
    return out


def peer_decisions(docs: Path, python: str) -> tuple[dict[str, dict[str, str]], dict[str, float]]:
    """datatrove's verdict per document and filter, and its CPU seconds per filter (cached)."""
    out = WORK / f"{PEER}-{docs.stem}.jsonl"
    if not out.exists() or out.stat().st_mtime < docs.stat().st_mtime:
        log(f"running datatrove's filters over {rel(docs)} (about 20 minutes for all 27,145)")
        tmp = out.with_suffix(".partial")
        subprocess.run(
            [python, "-m", "scripts.bench.filters_peer", str(docs), str(tmp)], cwd=ROOT, check=True
        )
        tmp.replace(out)
    verdicts: dict[str, dict[str, str]] = {}
    timing: dict[str, float] = {}
    for line in out.open(encoding="utf-8"):
        row = json.loads(line)
        if "timing" in row:
            timing = row["timing"]
        else:
            verdicts[row["id"]] = row
    return verdicts, timing


def our_decisions(docs: Path) -> tuple[dict[str, dict[str, str]], dict[str, float], dict[str, float]]:
    """Our verdicts, CPU seconds per stage (each alone), and the four in a row (drop, tag)."""
    from corpus import stages
    from corpus.document import Document

    alone = {name: stages.build(name, language="en") for name in NAMES}
    rows = [json.loads(line) for line in docs.open(encoding="utf-8")]
    verdicts: dict[str, dict[str, str]] = {row["id"]: {} for row in rows}
    cpu = dict.fromkeys(NAMES, 0.0)
    for name, stage in alone.items():  # each stage alone: its own word splitting
        for row in rows:
            doc = Document(row["id"], row["text"])
            t0 = time.process_time()
            out = stage.apply(doc)
            cpu[name] += time.process_time() - t0
            verdicts[row["id"]][name] = "keep" if out.doc is not None else str(out.reason)
    together = {}
    log("the four in a row on each document, drop mode (3 runs) and tag mode (1 run)")
    for mode in ("drop", "tag"):
        chain = [stages.build(name, language="en", mode=mode) for name in NAMES]
        times = []
        for _ in range(3 if mode == "drop" else 1):  # tag mode: one run (it is the slower, stable one)
            t0 = time.process_time()
            for row in rows:
                doc = Document(row["id"], row["text"])
                for stage in chain:
                    stage.apply(doc)
            times.append(time.process_time() - t0)
        together[mode] = median(times)
    return verdicts, cpu, together


def compare(ours: dict, theirs: dict) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name in NAMES:
        agree = same_reason = both_drop = 0
        classes: Counter = Counter()
        examples: dict[tuple[str, str], str] = {}
        ids = [i for i in ours if i in theirs]
        for i in ids:
            a, b = ours[i][name], theirs[i][name]
            if (a == "keep") == (b == "keep"):
                agree += 1
                if a != "keep":
                    both_drop += 1
                    same_reason += DATATROVE_REASON[name].get(a, a) == b
            else:
                classes[(a, b)] += 1
                examples.setdefault((a, b), i)
        table[name] = {
            "docs": len(ids),
            "agree": agree / len(ids),
            "dropped_ours": sum(ours[i][name] != "keep" for i in ids),
            "dropped_theirs": sum(theirs[i][name] != "keep" for i in ids),
            "same_first_reason": same_reason / both_drop if both_drop else 1.0,
            "disagreements": [
                {"ours": a, "theirs": b, "docs": n, "example": examples[(a, b)]}
                for (a, b), n in classes.most_common()
            ],
        }
    return table


def pipeline_rates(docs: int) -> dict[str, float]:
    """Docs per CPU-second of `corpus build` (1 worker), default pipeline without and with the stages."""
    from scripts.bench.inputs import ensure_base
    from scripts.bench.runs import run_ours

    ensure_base()
    rates: dict[str, list[float]] = defaultdict(list)
    for _ in range(3):  # interleaved, so machine load falls on both
        for label, stages in (("default", DEFAULT + DEDUP), ("default + quality", DEFAULT + QUALITY + DEDUP)):
            run = run_ours(docs, 1, stages, f"filters-{label.replace(' + ', '-')}")
            rates[label].append(docs / run["cpu"])
    return {label: median(values) for label, values in rates.items()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=None, help="only the first N bench documents")
    parser.add_argument("--peer-python", default=str(PEER_PYTHON))
    parser.add_argument("--no-pipeline", action="store_true", help="skip the end-to-end builds")
    args = parser.parse_args(argv)
    docs = documents(args.docs)
    theirs, peer_cpu = peer_decisions(docs, args.peer_python)
    log("our four stages over the same documents")
    ours, our_cpu, together = our_decisions(docs)
    table = compare(ours, theirs)
    n = len(ours)
    results = {
        "docs": n,
        "parity": table,
        "docs_per_cpu_s": {
            "ours": {name: n / our_cpu[name] for name in NAMES},
            "theirs": {name: n / peer_cpu[name] for name in NAMES if peer_cpu.get(name)},
            "ours_four_in_a_row": {mode: n / cpu for mode, cpu in together.items()},
            "theirs_four_in_a_row": n / sum(peer_cpu.values()) if peer_cpu else None,
        },
    }
    if not args.no_pipeline:
        log("the default pipeline end to end, without and with the quality stages (3 runs each)")
        results["pipeline_docs_per_cpu_s"] = pipeline_rates(n)
    (WORK / "results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(render(results))
    return 0


def render(r: dict[str, Any]) -> str:
    rates = r["docs_per_cpu_s"]
    lines = [
        f"## Quality stages against {PEER}, {r['docs']:,} bench documents",
        "",
        "| stage | agree on keep/drop | dropped ours / theirs | same first rule "
        "| docs/CPU-s ours | theirs | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in NAMES:
        p = r["parity"][name]
        ours, theirs = rates["ours"][name], rates["theirs"].get(name)
        ratio = f"{ours / theirs:,.0f}x" if theirs else "-"
        lines.append(
            f"| {name} | {p['agree']:.2%} | {p['dropped_ours']:,} / {p['dropped_theirs']:,} | "
            f"{p['same_first_reason']:.2%} | {ours:,.0f} | {theirs or 0:,.1f} | {ratio} |"
        )
    four = rates["ours_four_in_a_row"]
    theirs4 = rates["theirs_four_in_a_row"]
    lines += [
        "",
        f"Four in a row on each document: ours {four['drop']:,.0f} docs/CPU-s (drop mode), "
        f"{four['tag']:,.0f} (tag mode); datatrove {theirs4 or 0:,.1f}.",
    ]
    if "pipeline_docs_per_cpu_s" in r:
        lines.append(
            "End to end (`corpus build`, 1 worker, docs per CPU-second of the process tree, median of 3): "
            + ", ".join(f"{k} {v:,.0f}" for k, v in r["pipeline_docs_per_cpu_s"].items())
        )
    lines += ["", "Disagreements (ours -> datatrove's, documents, an example):"]
    for name in NAMES:
        for d in r["parity"][name]["disagreements"][:8]:
            lines.append(f"- {name}: {d['ours']} -> {d['theirs']}: {d['docs']} ({d['example']})")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
