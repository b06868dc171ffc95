"""What repeated_lines (per-site furniture learning, on by default) adds after strip_boilerplate.

1. On the labelled pages of ../shared/eval (extraction/<source>/fulltext.jsonl, urls from
   gold.jsonl, snippets from boilerplate/<source>.jsonl, scored as boilerplate/SOURCE.txt says:
   furniture removed, content kept, "other" removed), for the pages of sites with at least
   ``min_docs`` pages, strip_boilerplate alone and then with repeated_lines learned over every
   page of the source, as a build would.
2. On the man, htmldoc and usrdoc documents of ../shared/bench/base_text.jsonl.zst (no urls):
   lines removed per 10,000 non-blank lines, and the lines removed most often. These are
   formats, not sites: their repeated lines (man-page headings) are content, so the default
   (``group_by: domain``) must remove none; ``domain_or_source`` shows what grouping them by
   source would do.

    .venv/bin/python -m scripts.bench.repeated_lines [--min-docs N] [--bench-docs N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from corpus.dedup.lines import RepeatedLines, group_key, normalize_for_lines
from corpus.document import Document
from corpus.stages.boilerplate import StripBoilerplate
from scripts.eval.boilerplate import FURNITURE, SOURCES, norm
from scripts.eval.boilerplate import load_source as load_pages
from scripts.train.boilerplate import bench_documents

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
EVAL = SHARED / "eval"
BENCH = SHARED / "bench" / "base_text.jsonl.zst"
BENCH_SOURCES = ("man", "htmldoc", "usrdoc")


def score(rows: list[dict], outputs: dict[str, str]) -> dict[str, tuple[int, int]]:
    """metric -> (hits, cases) over ``rows`` of the pages in ``outputs``: removed, kept, other."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        if r["doc_id"] not in outputs:
            continue
        present = r["text"] in outputs[r["doc_id"]]
        if r["kind"] == "keep":
            metric, hit = "kept", present
        elif r["class"] in FURNITURE:
            metric, hit = "removed", not present
        elif r["class"] == "other":
            metric, hit = "other", not present
        else:
            continue
        tally[metric][0] += hit
        tally[metric][1] += 1
    return {k: (v[0], v[1]) for k, v in tally.items()}


def _fmt(hit_n: tuple[int, int] | None) -> str:
    if not hit_n or not hit_n[1]:
        return f"{'-':>13}"
    hit, n = hit_n
    return f"{hit / n:.3f} ({n:>4})"


def learn(docs: list[Document], **options) -> RepeatedLines:
    learner = RepeatedLines(**options)
    for d in docs:
        learner.observe(d)
    return learner


def eval_sites(min_docs: int, group_by: str) -> None:
    print(
        f"\n# eval pages of sites with >= {min_docs} pages (group_by: {group_by}); "
        "furniture removed / content kept / other removed (cases)"
    )
    print(
        f"{'source':<17} {'sites':>5} {'pages':>5}  {'variant':<20} "
        f"{'furniture':>13} {'content':>13} {'other':>13}"
    )
    stage = StripBoilerplate()
    stage.setup()
    for source in SOURCES:
        docs, rows = load_pages(source)
        stripped = [stage.apply(d).doc for d in docs]
        sizes = Counter(group_key(d, group_by) for d in stripped)
        sites = {g for g, n in sizes.items() if g is not None and n >= min_docs}
        chosen = [d for d in stripped if group_key(d, group_by) in sites]
        pages = len(chosen)
        if not chosen:
            print(f"{source:<17} {0:>5} {0:>5}  (no site has {min_docs} pages)")
            continue
        learner = learn(stripped, min_docs=min_docs, group_by=group_by)  # every page, as a build
        rules = {d.id: norm(d.text) for d in chosen}
        learned = {}
        dropped = 0
        for d in chosen:
            out = learner.apply(d)
            dropped += out.doc is None
            learned[d.id] = "" if out.doc is None else norm(out.doc.text)
        named = ", ".join(f"{g} {sizes[g]}" for g in sorted(sites, key=lambda g: -sizes[g]))
        for variant, outputs in (("strip_boilerplate", rules), ("+ repeated_lines", learned)):
            s = score(rows, outputs)
            print(
                f"{source:<17} {len(sites):>5} {pages:>5}  {variant:<20} "
                f"{_fmt(s.get('removed'))} {_fmt(s.get('kept'))} {_fmt(s.get('other'))}"
            )
        print(f"{'':<30}sites: {named}; pages dropped as only_repeated_lines: {dropped}")


def bench_docs(limit: int | None) -> dict[str, list[Document]]:
    out: dict[str, list[Document]] = {s: [] for s in BENCH_SOURCES}
    for row in bench_documents(None, BENCH_SOURCES):
        if limit is None or len(out[row["source"]]) < limit:
            out[row["source"]].append(Document(id=str(row["id"]), text=row["text"], source=row["source"]))
    return out


def bench(limit: int | None, min_docs: int) -> None:
    print(
        "\n# bench documents without urls (../shared/bench/base_text.jsonl.zst): "
        "lines removed per 10,000 non-blank lines, after strip_boilerplate"
    )
    stage = StripBoilerplate()
    stage.setup()
    by_source = bench_docs(limit)
    print(f"{'source':<8} {'docs':>6} {'lines':>9}  {'group_by':<17} {'removed':>8} {'per 10k':>8}  top")
    for source, docs in by_source.items():
        stripped = [stage.apply(d).doc for d in docs]
        lines = sum(1 for d in stripped for ln in d.text.split("\n") if ln.strip())
        for group_by in ("domain", "domain_or_source"):
            t0 = time.perf_counter()
            learner = learn(stripped, min_docs=min_docs, group_by=group_by)
            removed: Counter[str] = Counter()
            for d in stripped:
                for e in learner.apply(d).edits:
                    removed[normalize_for_lines(e.before)[:40]] += 1
            total = sum(removed.values())
            top = "; ".join(f"{t!r} {n}" for t, n in removed.most_common(3)) or "-"
            default = " (default)" if group_by == "domain" else ""
            print(
                f"{source:<8} {len(docs):>6} {lines:>9}  {group_by + default:<17} {total:>8} "
                f"{10_000 * total / max(lines, 1):>8.1f}  {top}  [{time.perf_counter() - t0:.1f} s]"
            )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-docs", type=int, default=RepeatedLines().min_docs, help="repeated_lines min_docs")
    ap.add_argument("--bench-docs", type=int, default=None, help="at most this many bench docs per source")
    args = ap.parse_args(argv)
    ran = False
    if (EVAL / "boilerplate").exists() and (EVAL / "extraction").exists():
        for group_by in ("domain", "domain_or_source"):
            eval_sites(args.min_docs, group_by)
        ran = True
    else:
        print(f"skipped the eval pages: {EVAL} is absent (the team's shared data)", file=sys.stderr)
    if BENCH.exists():
        try:
            import zstandard  # noqa: F401
        except ImportError:
            print("skipped the bench documents: zstandard is not installed", file=sys.stderr)
        else:
            bench(args.bench_docs, args.min_docs)
            ran = True
    else:
        print(f"skipped the bench documents: {BENCH} is absent (the team's shared data)", file=sys.stderr)
    if not ran:
        print("nothing measured", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
