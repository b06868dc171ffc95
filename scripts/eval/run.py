"""`make eval`: score every stage on the data other people labelled (../shared/eval).

Prints one table, stage by stage: metric, score, reference score where one is
published or measured, cases, and docs/s. Each stage's scorer lives in
scripts/eval/<stage>.py and exposes ``run() -> list[dict]``. Results also go to
build/eval.json so runs can be compared over time. Run from the repository root:

    python -m scripts.eval [--all] [stage ...]
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCORERS = ["encoding", "boilerplate", "technical", "handles", "language", "extraction", "neardup", "pii"]


def load(name: str) -> ModuleType:
    """The scorer module of one stage (imported only when asked for: each loads its own data)."""
    return importlib.import_module(f"scripts.eval.{name}")


def fmt(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if value < 1000 else f"{value:,.0f}"
    return str(value)


def render(rows: list[dict]) -> str:
    head = ["stage", "metric", "score", "reference", "cases", "docs/s", "note"]
    table = [head] + [
        [
            r.get("stage", ""),
            r.get("metric", ""),
            fmt(r.get("score")),
            fmt(r.get("reference")),
            fmt(r.get("cases")),
            fmt(r.get("docs_per_s"), 0),
            r.get("note", "") or "",
        ]
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(head))]
    lines = [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in table
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    show_all = "--all" in argv
    argv = [a for a in argv if a != "--all"]
    names = argv or SCORERS
    rows: list[dict] = []
    for name in names:
        started = time.perf_counter()
        rows.extend(load(name).run())
        print(f"scored {name} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    print(render(rows if show_all else [r for r in rows if not r.get("detail")]))
    if not show_all and any(r.get("detail") for r in rows):
        print("(headline rows; per-language and diagnostic rows: --all, or build/eval.json)")
    out = ROOT / "build" / "eval.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
