"""Score the HTML reader on ../shared/eval/extraction, beside trafilatura's own defaults.

For each source folder (scrapinghub-aeb, trafilatura-eval, wcxb) every page is read twice:

- ours: the page file itself (``pages/<id>.html.gz``) through ``read_input`` with
  ``format: html`` and the reader's default options (a quarantined page scores as "");
- reference: ``trafilatura.extract`` with the library's defaults, on the input its SOURCE.txt
  baselines use (scrapinghub-aeb, wcxb: the page decoded by the fulltext rule; trafilatura-eval:
  the raw bytes), in the same run, so the two columns differ only by what the reader does.

Metrics, exactly as each SOURCE.txt gives them: scrapinghub-aeb 4-gram word-shingle F1 (macro over
pages), trafilatura-eval snippet F1 (micro), wcxb word-multiset F1 (macro over scorable pages, and
per page type). To keep the run near two minutes on two cores, each source is subsampled to
``MAX_PAGES`` (200) pages: those whose sha1("<source>:<id>") sorts first, the same every run;
``--max-pages 0`` scores every dev page (about four minutes; see the numbers in the commit that
introduced this script). docs_per_s is the reader's own speed (ours, metadata included); the
reference's speed is in the note.

    .venv/bin/python -m scripts.eval.extraction [--max-pages N]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corpus.io.read import InputFile, Quarantined, read_input

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT.parent / "shared" / "eval" / "extraction"
MAX_PAGES = 200
_WORD = re.compile(r"\w+")
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_ALIASES = {"iso-8859-1": "windows-1252", "latin1": "windows-1252", "us-ascii": "windows-1252"}
_ALIASES["gb2312"] = "gbk"


def fulltext_decode(data: bytes) -> str:
    """The page decoded as the SOURCE.txt files describe (first <meta charset>, WHATWG aliases)."""
    found = _META_CHARSET.search(data)
    codec = "utf-8"
    if found:
        label = found.group(1).decode("ascii", "replace").lower()
        label = _ALIASES.get(label, label)
        try:
            import codecs

            if codecs.lookup(label).name != "utf-8":
                codec = label
        except LookupError:
            pass
    return data.decode(codec, errors="replace")


def shingle_f1(golds: list[str], preds: list[str]) -> tuple[float, float, float]:
    """scrapinghub-aeb: 4-gram word shingles as multisets, P and R averaged over pages, F1 of those."""

    def shingles(text: str) -> Counter:
        tokens = _WORD.findall(text or "")
        if not tokens:
            return Counter()
        if len(tokens) < 4:
            return Counter([tuple(tokens)])
        return Counter(tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))

    precisions, recalls = [], []
    for gold, pred in zip(golds, preds, strict=True):
        g, p = shingles(gold), shingles(pred)
        tp = sum((g & p).values())
        fp, fn = sum((p - g).values()), sum((g - p).values())
        if tp + fp > 0:
            precisions.append(tp / (tp + fp) if fp else 1.0)
        if tp + fn > 0:
            recalls.append(tp / (tp + fn) if fn else 1.0)
    prec = sum(precisions) / len(precisions) if precisions else 0.0
    rec = sum(recalls) / len(recalls) if recalls else 0.0
    return (2 * prec * rec / (prec + rec) if prec + rec else 0.0), prec, rec


def snippet_f1(cases: list[dict[str, Any]], preds: list[str]) -> tuple[float, float, float]:
    """trafilatura-eval: "with" segments found = TP, "without" found = FP, summed over pages."""

    def norm(s: str) -> str:
        return " ".join(s.split())

    tp = fp = fn = 0
    for case, pred in zip(cases, preds, strict=True):
        text = norm(pred or "")
        for w in case["with"]:
            if norm(w) in text:
                tp += 1
            else:
                fn += 1
        fp += sum(1 for w in case["without"] if norm(w) in text)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return (2 * tp / (2 * tp + fp + fn) if tp else 0.0), prec, rec


def word_f1(gold: str, pred: str) -> float:
    """wcxb: word-multiset F1 of one page (lowercased \\w+ tokens)."""
    g, p = Counter(_WORD.findall(gold.lower())), Counter(_WORD.findall((pred or "").lower()))
    overlap = sum((g & p).values())
    if not overlap:
        return 0.0
    prec, rec = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * prec * rec / (prec + rec)


def _ours(path: Path) -> str:
    items = list(read_input(InputFile(path.as_posix(), path.name), {"format": "html"}))
    return "" if not items or isinstance(items[0], Quarantined) else items[0].text


def _run_source(
    name: str, max_pages: int | None, reference_input: Callable[[bytes], Any]
) -> tuple[list[dict[str, Any]], list[str], list[str], float]:
    import trafilatura

    folder = EVAL / name
    lines = (folder / "gold.jsonl").read_text(encoding="utf-8").split("\n")  # not splitlines: U+2028
    cases = [json.loads(line) for line in lines if line]
    cases.sort(key=lambda c: hashlib.sha1(f"{name}:{c['id']}".encode()).hexdigest())
    if max_pages:
        cases = sorted(cases[:max_pages], key=lambda c: c["id"])
    ours, refs, seconds, ref_seconds = [], [], 0.0, 0.0
    for case in cases:
        path = folder / case["file"]
        started = time.perf_counter()
        ours.append(_ours(path))
        seconds += time.perf_counter() - started
        page = reference_input(gzip.decompress(path.read_bytes()))
        started = time.perf_counter()
        refs.append(trafilatura.extract(page) or "")
        ref_seconds += time.perf_counter() - started
    return cases, ours, refs, (len(cases) / seconds, len(cases) / ref_seconds)


def run(max_pages: int | None = MAX_PAGES) -> list[dict[str, Any]]:
    """One row per source (and per wcxb page type): ours vs trafilatura's defaults."""
    if not EVAL.is_dir():
        raise SystemExit(f"needs ../shared/eval/extraction beside the checkout ({EVAL})")
    rows: list[dict[str, Any]] = []
    sub = f"{max_pages} pages a source, sampled by sha1 of id" if max_pages else "all dev pages"
    note = f"{sub}; reference = trafilatura.extract defaults, same run"

    def row(metric: str, score: float, ref: float, cases: int, speeds: Any, extra: str = "") -> None:
        speed, ref_speed = speeds
        extra = f"reference {ref_speed:.1f} docs/s (no metadata){'; ' + extra if extra else ''}"
        rows.append(
            {
                "stage": "read_html",
                "metric": metric,
                "score": round(score, 4),
                "reference": round(ref, 4),
                "cases": cases,
                "docs_per_s": round(speed, 1),
                "note": f"{note}; {extra}",
                "detail": "(" in metric,  # per page type
            }
        )

    cases, ours, refs, speed = _run_source("scrapinghub-aeb", max_pages, fulltext_decode)
    golds = [c["gold_text"] for c in cases]
    (f, p, r), (rf, rp, rr) = shingle_f1(golds, ours), shingle_f1(golds, refs)
    row("scrapinghub-aeb shingle F1", f, rf, len(cases), speed, f"P {p:.3f}/{rp:.3f} R {r:.3f}/{rr:.3f}")

    cases, ours, refs, speed = _run_source("trafilatura-eval", max_pages, lambda data: data)
    (f, p, r), (rf, rp, rr) = snippet_f1(cases, ours), snippet_f1(cases, refs)
    row("trafilatura-eval snippet F1", f, rf, len(cases), speed, f"P {p:.3f}/{rp:.3f} R {r:.3f}/{rr:.3f}")

    cases, ours, refs, speed = _run_source("wcxb", max_pages, fulltext_decode)
    scored = [(c, o, rf) for c, o, rf in zip(cases, ours, refs, strict=True) if _WORD.search(c["gold_text"])]
    by_type: dict[str, list[tuple[float, float]]] = {}
    for c, o, rf in scored:
        pair = (word_f1(c["gold_text"], o), word_f1(c["gold_text"], rf))
        by_type.setdefault(c["page_type"], []).append(pair)
    pairs = [pair for values in by_type.values() for pair in values]
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    row("wcxb word F1", mean([a for a, _ in pairs]), mean([b for _, b in pairs]), len(pairs), speed)
    for page_type, values in sorted(by_type.items(), key=lambda kv: -len(kv[1])):
        a, b = mean([x for x, _ in values]), mean([y for _, y in values])
        row(f"wcxb word F1 ({page_type})", a, b, len(values), speed)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-pages", type=int, default=MAX_PAGES, help="pages a source; 0 = all")
    args = parser.parse_args()
    rows = run(args.max_pages)
    print(f"{'metric':36} {'ours':>7} {'trafil.':>7} {'cases':>6} {'docs/s':>7}")
    for r in rows:
        scores = f"{r['score']:7.4f} {r['reference']:7.4f}"
        print(f"{r['metric']:36} {scores} {r['cases']:6d} {r['docs_per_s']:7.1f}")
    for r in rows:
        print(f"  {r['metric']}: {r['note']}")


if __name__ == "__main__":
    main()
