"""Score ``near_dedup`` on ../shared/eval/neardup (DEV side): pairwise P/R/F1 at J >= 0.8, false merges,
as mean and spread over 10 seeds, for the default rule and for the rule before it.

    .venv/bin/python -m scripts.eval.neardup      # about 3 minutes on one core

Protocol as in ../shared/eval/neardup/SOURCE.txt: the step sees text only; its clusters
(every removed document linked to its kept one) give predicted pairs = all pairs inside a
cluster; a pair with exact J >= 0.8 is a true positive, 0.7 <= J < 0.8 is ignored, anything
else (J < 0.7 or unlisted) is a false merge. Recall is over listed pairs with J >= 0.8.
docs/CPU-s = documents / CPU seconds of the process for folding, shingling, signatures and
sets, LSH, verification and clustering (file reading excluded), median over the seeds.
Reference: rensa 0.5.0 (the best baseline measured in SOURCE.txt); datasketch with
verification in the note; both over 10 seeds as issue 18 measured them in the printed table.
"""

from __future__ import annotations

import gzip
import io
import json
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from corpus.dedup.near import NearDedup
from corpus.dedup.sketch import Sketches
from corpus.document import Document

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
NEARDUP = SHARED / "eval" / "neardup"
BENCH = SHARED / "bench" / "base_text.jsonl.zst"
STAGE = "near_dedup"
# (rensa F1, datasketch+verify F1) measured in SOURCE.txt on the same DEV sets.
BASELINES = {"natural": (0.936, 0.896), "news-variants": (0.996, 0.968)}
BATCH = 256
SEEDS = range(10)
RULES = {  # name -> options; "before" is the rule of the previous release
    "star, exact (default)": {},
    "components, signature (before)": {"cluster_by": "components", "verify": "signature"},
}
# Peers on natural over 10 seeds (issue 18, same protocol): F1 mean +- sd, false merges mean.
PEERS_NATURAL = (
    "rensa 16x8+verify 0.846 +- 0.104 (924 false merges); datasketch 9x13+verify 0.894 +- 0.012 (114)"
)


def read_jsonl_zst(path: Path):
    import zstandard

    with open(path, "rb") as raw:
        yield from map(json.loads, io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(raw), "utf-8"))


def load_natural() -> tuple[list[Document], dict[tuple[str, str], float]]:
    ids = set((NEARDUP / "natural" / "ids.txt").read_text(encoding="utf-8").split("\n")) - {""}
    docs = [Document(id=r["id"], text=r["text"]) for r in read_jsonl_zst(BENCH) if r["id"] in ids]
    with gzip.open(NEARDUP / "natural" / "pairs.jsonl.gz", "rt", encoding="utf-8") as f:
        pairs = {(r["a"], r["b"]): r["inter"] / r["union"] for r in map(json.loads, f)}
    return docs, pairs


def load_news() -> tuple[list[Document], dict[tuple[str, str], float]]:
    folder = NEARDUP / "news-variants"
    with open(folder / "docs.jsonl", encoding="utf-8") as f:
        docs = [Document(id=r["id"], text=r["text"]) for r in map(json.loads, f)]
    with open(folder / "pairs.jsonl", encoding="utf-8") as f:
        pairs = {(r["a"], r["b"]): r["inter"] / r["union"] for r in map(json.loads, f)}
    return docs, pairs


def dedup_groups(step: NearDedup, docs: list[Document]) -> tuple[list[list[str]], float, Any]:
    """Predicted groups (kept doc with what was removed for it), CPU seconds, and the result."""
    started = time.process_time()
    parts = [step.fingerprint_batch(docs[i : i + BATCH]) for i in range(0, len(docs), BATCH)]
    sketches = Sketches.concat(parts, step.num_perm)
    result = step.cluster(sketches, np.array([len(d.text) for d in docs]), [d.id for d in docs])
    seconds = time.process_time() - started
    groups: dict[int, list[str]] = defaultdict(list)
    for i, kept in enumerate(result.kept_index.tolist()):
        groups[kept].append(docs[i].id)
    result.bytes_per_doc = sketches.nbytes / max(1, len(docs))
    return [g for g in groups.values() if len(g) > 1], seconds, result


def score(groups: list[list[str]], truth: dict[tuple[str, str], float]) -> dict[str, Any]:
    """Pairwise precision, recall, F1 and false merges (SOURCE.txt, threshold 0.8)."""
    tp = fp = 0
    for group in groups:
        members = sorted(group)
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                j = truth.get((a, b), 0.0)
                tp += j >= 0.8
                fp += j < 0.7
    positives = sum(j >= 0.8 for j in truth.values())
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / positives if positives else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": p,
        "recall": r,
        "f1": f1,
        "false_merges": fp,
        "true_pairs": positives,
        "largest_group": max(map(len, groups), default=1),
    }


SETS = {"natural": load_natural, "news-variants": load_news}


def evaluate(step: NearDedup | None = None) -> dict[str, dict[str, Any]]:
    """Scores per DEV set for one step (one seed), with docs/CPU-s and the number of documents."""
    step = step or NearDedup()
    out = {}
    for name, load in SETS.items():
        docs, truth = load()
        step.fingerprint_batch(docs[:2])  # warm the \\w table outside the timing
        groups, seconds, _ = dedup_groups(step, docs)
        out[name] = {**score(groups, truth), "docs": len(docs), "docs_per_s": len(docs) / seconds}
    return out


def over_seeds(docs: list[Document], truth: dict, options: dict[str, Any]) -> dict[str, Any]:
    """Each seed's scores, and the seed-0 result for the cluster details."""
    runs, first = [], None
    for seed in SEEDS:
        groups, seconds, result = dedup_groups(NearDedup(seed=seed, **options), docs)
        runs.append({**score(groups, truth), "docs_per_s": len(docs) / seconds})
        first = first or (groups, result)
    return {"runs": runs, "first": first}


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    f1 = [r["f1"] for r in runs]
    fm = [r["false_merges"] for r in runs]
    return {
        "f1": statistics.mean(f1),
        "sd": statistics.stdev(f1) if len(f1) > 1 else 0.0,
        "f1_range": (min(f1), max(f1)),
        "precision": statistics.mean(r["precision"] for r in runs),
        "recall": statistics.mean(r["recall"] for r in runs),
        "fm": statistics.mean(fm),
        "fm_range": (min(fm), max(fm)),
        "largest": max(r["largest_group"] for r in runs),
        "docs_per_cpu_s": statistics.median(r["docs_per_s"] for r in runs),
    }


def clusters_detail(name: str, groups: list[list[str]], result: Any, truth: dict) -> list[str]:
    """Cluster sizes, the largest clusters and the worst pair (lowest similarity to its kept doc)."""
    sizes = Counter(len(g) for g in groups)
    lines = [
        f"{name}, seed 0: {len(groups)} clusters of 2+; sizes "
        + ", ".join(f"{k}: {v}" for k, v in sorted(sizes.items()))
    ]
    for g in sorted(groups, key=len, reverse=True)[:2]:
        lines.append(
            f"  largest ({len(g)}): kept {g[0]}; members {', '.join(g[1:4])}{' ...' if len(g) > 4 else ''}"
        )
    removed = result.removed()
    if removed:
        worst = min(removed, key=lambda r: r["similarity"])
        a, b = sorted((worst["id"], worst["kept_id"]))
        lines.append(
            f"  worst pair: {worst['id']} removed for {worst['kept_id']}, "
            f"similarity {worst['similarity']:.3f} (truth J {truth.get((a, b), 0.0):.3f})"
        )
    lines.append(
        f"  memory per document: {result.bytes_per_doc:,.0f} bytes (signature 512 + 4 per distinct shingle)"
    )
    return lines


def run() -> list[dict[str, Any]]:
    if not NEARDUP.exists():
        return [{"stage": STAGE, "metric": "skipped", "note": "needs ../shared/eval/neardup"}]
    bands, rows = NearDedup().band_rows
    table = [
        "| set | rule | F1 mean +- sd | F1 min-max | P | R | false merges mean (range) | largest "
        "| docs/CPU-s |",
        "|---|---|---|---|---:|---:|---|---:|---:|",
    ]
    details: list[str] = []
    rows_out = []
    for name, load in SETS.items():
        docs, truth = load()
        NearDedup().fingerprint_batch(docs[:2])  # warm the \\w table outside the timing
        for rule, options in RULES.items():
            found = over_seeds(docs, truth, options)
            s = summary(found["runs"])
            lo, hi = s["f1_range"]
            fm = f"{s['fm']:.1f} ({s['fm_range'][0]}-{s['fm_range'][1]})"
            table.append(
                f"| {name} | {rule} | {s['f1']:.4f} +- {s['sd']:.4f} | {lo:.3f}-{hi:.3f} "
                f"| {s['precision']:.4f} | {s['recall']:.4f} | {fm} | {s['largest']} "
                f"| {s['docs_per_cpu_s']:,.0f} |"
            )
            if options:
                continue
            details += clusters_detail(name, *found["first"], truth)
            rensa, verified = BASELINES[name]
            note = (
                f"mean of {len(SEEDS)} seeds, sd {s['sd']:.4f}; P {s['precision']:.3f} R {s['recall']:.3f}; "
                f"false merges {fm}; largest {s['largest']}; "
                f"{bands}x{rows} LSH, exact verify; ref = rensa (one seed), datasketch+verify {verified}"
            )
            rows_out.append(
                {
                    "stage": STAGE,
                    "metric": f"{name} pairwise F1",
                    "score": round(s["f1"], 3),
                    "reference": rensa,
                    "cases": len(docs),
                    "docs_per_s": round(s["docs_per_cpu_s"]),
                    "note": note,
                }
            )
    print("near_dedup over seeds " + f"{SEEDS.start}-{SEEDS.stop - 1} (docs/CPU-s: one process, median)")
    print("\n".join(table))
    print(f"peers, natural, 10 seeds (issue 18): {PEERS_NATURAL}")
    print("\n".join(details))
    return rows_out


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row, ensure_ascii=False))
