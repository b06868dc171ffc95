"""How much strip_boilerplate removes from technical text (man pages, HTML documentation, READMEs).

Runs the stage's text function on the man, htmldoc and usrdoc documents of
../shared/bench/base_text.jsonl.zst in the half the line model did not learn from (about 13k of
26.5k documents; ``scripts.train.boilerplate.bench_half``) and counts the removed lines per
10,000 non-blank lines: nearly all of them are content there (SEE ALSO, option descriptions,
code), so the figure is a loss rate; target <= 2 per 10,000 lines, copyright notices counted
apart (their own rule class, switched by the stage's ``rules`` option).

    .venv/bin/python -m scripts.eval.technical   # the rows, then a sample of 30 removals and per-rule counts
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from corpus.text.boilerplate import strip_boilerplate
from scripts.train.boilerplate import bench_documents

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
BENCH = SHARED / "bench" / "base_text.jsonl.zst"
SOURCES = ("man", "htmldoc", "usrdoc")
TARGET = "target <= 2 per 10,000 lines (copyright aside)"
SAMPLE, SEED = 30, 20240


def _row(metric: str, score: float, cases: int, dps: float | None, note: str, **extra) -> dict:
    return dict(
        stage="strip_boilerplate",
        metric=metric,
        score=score,
        reference=extra.pop("reference", None),
        cases=cases,
        docs_per_s=None if dps is None else round(dps, 1),
        note=note,
        **extra,
    )


def _documents() -> Iterator[dict]:
    """The held half of the bench's technical documents: the line model learned from the other
    half (``scripts.train.boilerplate.bench_half``), so only this half is a fair test."""
    yield from bench_documents("held", SOURCES)


def measure() -> tuple[
    dict[str, int], dict[str, int], dict[str, int], list[tuple[str, str, str]], int, float
]:
    """(non-blank lines, removals, copyright removals) per source, every non-copyright removal as
    (document id, rule, line), documents, seconds spent stripping."""
    lines: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    copyright_: Counter[str] = Counter()
    removals: list[tuple[str, str, str]] = []
    docs, spent = 0, 0.0
    for row in _documents():
        text, source = row["text"], row["source"]
        t0 = time.perf_counter()
        _, edits = strip_boilerplate(text)
        spent += time.perf_counter() - t0
        docs += 1
        lines[source] += sum(1 for line in text.split("\n") if line.strip())
        for e in edits:
            if e.rule.startswith("copyright"):
                copyright_[source] += 1
            else:
                removed[source] += 1
                removals.append((str(row["id"]), e.rule, e.before))
    return dict(lines), dict(removed), dict(copyright_), removals, docs, spent


def _absent() -> str | None:
    if not BENCH.exists():
        return "../shared/bench/base_text.jsonl.zst is absent; nothing scored"
    try:
        import zstandard  # noqa: F401
    except ImportError:
        return "zstandard is not installed; nothing scored"
    return None


def run(*, _measured: tuple | None = None) -> list[dict]:
    """The table rows: removals per 10,000 non-blank lines, all sources and per source; copyright apart."""
    why = _absent()
    if why is not None:
        return [_row("technical/removed_per_10k", float("nan"), 0, None, why, reference=TARGET)]
    lines, removed, copyright_, _, docs, spent = _measured or measure()
    dps = docs / spent if spent else None
    total = sum(lines.values())
    note = f"the held half ({docs} docs) of the bench's man/htmldoc/usrdoc; per 10,000 non-blank lines"
    rows = [
        _row(
            "technical/removed_per_10k",
            round(1e4 * sum(removed.values()) / total, 2),
            total,
            dps,
            note,
            reference=TARGET,
        ),
        _row(
            "technical/copyright_per_10k",
            round(1e4 * sum(copyright_.values()) / total, 2),
            total,
            None,
            "copyright notices (rule class copyright, switched by the rules option)",
            detail=True,
        ),
    ]
    for source in SOURCES:
        n = lines.get(source, 0)
        for metric, counts in (("removed", removed), ("copyright", copyright_)):
            rows.append(
                _row(
                    f"technical/{source}/{metric}_per_10k",
                    round(1e4 * counts.get(source, 0) / n, 2) if n else float("nan"),
                    n,
                    None,
                    f"{source}: per 10,000 non-blank lines",
                    detail=True,
                )
            )
    return rows


def main() -> None:
    why = _absent()
    if why is not None:
        print(why)
        return
    measured = measure()
    for row in run(_measured=measured):
        print(f"{row['metric']:<40} {row['score']:>8.2f}  n={row['cases']:<8} {row['note']}")
    removals = measured[3]
    print(f"\n{min(SAMPLE, len(removals))} removals drawn at random (seed {SEED}):")
    for doc_id, rule, line in random.Random(SEED).sample(removals, min(SAMPLE, len(removals))):
        print(f"  {rule:<16} {line.strip()[:110]!r}  ({doc_id})")
    print("\nremovals per rule:")
    for rule, n in Counter(r for _, r, _ in removals).most_common():
        print(f"  {rule:<16} {n}")


if __name__ == "__main__":
    main()
