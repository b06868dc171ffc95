"""Score ``near_dedup`` on ../shared/eval/neardup (DEV side): pairwise P/R/F1 at J >= 0.8, false merges.

    .venv/bin/python -m scripts.eval.neardup      # about 30 s on one core

Protocol as in ../shared/eval/neardup/SOURCE.txt: the step sees text only; its clusters
(every removed document linked to its kept one) give predicted pairs = all pairs inside a
cluster; a pair with exact J >= 0.8 is a true positive, 0.7 <= J < 0.8 is ignored, anything
else (J < 0.7 or unlisted) is a false merge. Recall is over listed pairs with J >= 0.8.
docs/s = documents / wall-clock seconds of one process for shingling, signatures, LSH,
verification and grouping (file reading excluded). Reference: rensa 0.5.0 (the best baseline
measured in SOURCE.txt); datasketch with verification in the note.
"""

from __future__ import annotations

import gzip
import io
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from corpus.dedup.near import NearDedup
from corpus.document import Document

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
NEARDUP = SHARED / "eval" / "neardup"
BENCH = SHARED / "bench" / "base_text.jsonl.zst"
STAGE = "near_dedup"
# (rensa F1, datasketch+verify F1) measured in SOURCE.txt on the same DEV sets.
BASELINES = {"natural": (0.936, 0.896), "news-variants": (0.996, 0.968)}
BATCH = 256


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


def dedup_groups(step: NearDedup, docs: list[Document]) -> tuple[list[list[str]], float]:
    """Predicted groups (kept doc with what was removed for it) and the wall-clock seconds."""
    started = time.perf_counter()
    sigs = [step.fingerprint_batch(docs[i : i + BATCH]) for i in range(0, len(docs), BATCH)]
    import numpy as np

    result = step.cluster(np.concatenate(sigs), np.array([len(d.text) for d in docs]), [d.id for d in docs])
    seconds = time.perf_counter() - started
    groups: dict[int, list[str]] = defaultdict(list)
    for i, kept in enumerate(result.kept_index.tolist()):
        groups[kept].append(docs[i].id)
    return [g for g in groups.values() if len(g) > 1], seconds


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


def evaluate(step: NearDedup | None = None) -> dict[str, dict[str, Any]]:
    """Scores per DEV set, with docs/s and the number of documents."""
    step = step or NearDedup()
    out = {}
    for name, load in (("natural", load_natural), ("news-variants", load_news)):
        docs, truth = load()
        step.fingerprint_batch(docs[:2])  # warm the \\w table outside the timing
        groups, seconds = dedup_groups(step, docs)
        out[name] = {**score(groups, truth), "docs": len(docs), "docs_per_s": len(docs) / seconds}
    return out


def run() -> list[dict[str, Any]]:
    if not NEARDUP.exists():
        return [{"stage": STAGE, "metric": "skipped", "note": "needs ../shared/eval/neardup"}]
    step = NearDedup()
    bands, rows = step.band_rows
    rows_out = []
    for name, s in evaluate(step).items():
        rensa, verified = BASELINES[name]
        common = {"stage": STAGE, "cases": s["docs"], "docs_per_s": round(s["docs_per_s"])}
        note = (
            f"P {s['precision']:.3f} R {s['recall']:.3f}, {s['false_merges']} false merges, largest group "
            f"{s['largest_group']}; ref = rensa, datasketch+verify {verified}; {bands}x{rows} LSH, 1 core"
        )
        rows_out.append(
            {
                **common,
                "metric": f"{name} pairwise F1",
                "score": round(s["f1"], 3),
                "reference": rensa,
                "note": note,
            }
        )
    return rows_out


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row, ensure_ascii=False))
