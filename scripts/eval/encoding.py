"""Score the ``fix_encoding`` stage on ../shared/eval/encoding and time it on ../shared/bench.

    .venv/bin/python -m scripts.eval.encoding                     # about 1 minute on one core
    .venv/bin/python -m scripts.eval.encoding --variants DIR/mojibake.jsonl   # make_variants.py output

Protocol (../shared/eval/encoding/SOURCE.txt; the file holds the DEV side, 111 cases): exact
string equality with ftfy's gold. Full-fix metric: output == ``fixed``; encoding-repair metric:
output == ``fixed_encoding`` if present, else ``fixed``. Groups: repair (expect=pass, not
negative), negative (expect=pass, negative), known failures (informational). Two configs: the
stage's default (cosmetic fixers off, our whitespace/control rules on) and "ftfy-like"
(``ftfy=FTFY_COSMETIC``, own rules off), which is ftfy.fix_text's own behaviour. Clean check:
rows with defects == [] that the stage changes (lower is better).

Speed: CPU time of one process (time.process_time, garbage collector off as in timeit), median
of 3 passes, for plain ``ftfy.fix_text`` (default config) and ``FixEncoding.apply`` with
``gate=False`` and with the gate (default). MB are UTF-8 megabytes of input. Bench: every
10th document of base_text.jsonl.zst (needs the ``zstandard`` package). Mojibake: 2,000 bench
documents with >= 20 non-ASCII characters in their first 5,000 (make_variants.py's rule; seed
1), encoded UTF-8 and read as sloppy-windows-1252; repaired means stage(mojibake) == stage(original).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ftfy

from corpus.document import Document
from corpus.stages.encoding import FixEncoding
from corpus.text.encoding import FTFY_COSMETIC, mojibake

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval" / "encoding"
BENCH = SHARED / "bench" / "base_text.jsonl.zst"
STAGE = "fix_encoding"
FTFY_LIKE: dict[str, Any] = dict(
    ftfy=FTFY_COSMETIC, newlines=False, remove_controls=False, strip_trailing=False, max_blank_lines=None
)


DETAIL = (
    "gate off",
    "known failures",
    "negatives (gold",
    "defect rows",
    "cosmetics off",
    "negative, == encoding",
)


def _row(metric: str, score: float, cases: int, note: str = "", **kw: Any) -> dict[str, Any]:
    return {
        "detail": any(d in metric for d in DETAIL),
        "stage": STAGE,
        "metric": metric,
        "score": round(float(score), 4),
        "reference": kw.get("reference"),
        "cases": cases,
        "docs_per_s": kw.get("docs_per_s"),
        "note": note,
    }


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _bench_docs() -> list[str]:
    import zstandard  # not a dependency of the package: pip install zstandard

    with open(BENCH, "rb") as raw:
        stream = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(raw), encoding="utf-8")
        return [json.loads(line)["text"] for line in stream]


def _timed(
    fn: Callable[[Any], Any], texts: list[str], passes: int = 3, docs: bool = False
) -> tuple[float, float]:
    """(MB/s, docs/s) of CPU time, median of ``passes``; ``docs``: call ``fn`` on Documents."""
    items = [Document(str(i), t) for i, t in enumerate(texts)] if docs else texts
    seconds = []
    gc.disable()  # as timeit does, for every contender alike
    try:
        for _ in range(passes):
            started = time.process_time()
            for item in items:
                fn(item)
            seconds.append(time.process_time() - started)
    finally:
        gc.enable()
    best = statistics.median(seconds)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    return megabytes / best, len(texts) / best


def score_cases() -> list[dict[str, Any]]:
    cases = _jsonl(EVAL / "ftfy-cases.jsonl")
    default, like, cos = FixEncoding(), FixEncoding(**FTFY_LIKE), FixEncoding(ftfy=FTFY_COSMETIC)
    groups = {
        "repair": [c for c in cases if c["expect"] == "pass" and not c["negative"]],
        "negative": [c for c in cases if c["expect"] == "pass" and c["negative"]],
    }
    rows = []
    for group, members in groups.items():
        ref = f"ftfy 6.3.1 fix_text {len(members)}/{len(members)}"
        out = {c["key"]: default.fix(c["original"])[0] for c in members}
        wrong = [c for c in members if out[c["key"]] != c["fixed"]]
        cosmetic = [c["key"] for c in wrong if cos.fix(c["original"])[0] == c["fixed"]]
        policy = [c["key"] for c in wrong if c["key"] not in cosmetic]
        note = f"{len(members) - len(wrong)}/{len(members)}; pass only with ftfy=FTFY_COSMETIC: "
        note += f"{', '.join(cosmetic) or 'none'}; only with own rules off too: {', '.join(policy) or 'none'}"
        rows.append(
            _row(
                f"ftfy cases {group}, == fixed, default config",
                1 - len(wrong) / len(members),
                len(members),
                note,
                reference=ref,
            )
        )
        passed = sum(like.fix(c["original"])[0] == c["fixed"] for c in members)
        rows.append(
            _row(
                f"ftfy cases {group}, == fixed, ftfy-like config",
                passed / len(members),
                len(members),
                f"{passed}/{len(members)}; ftfy=FTFY_COSMETIC, own rules off",
                reference=ref,
            )
        )
        enc = sum(out[c["key"]] == c.get("fixed_encoding", c["fixed"]) for c in members)
        rows.append(
            _row(
                f"ftfy cases {group}, == encoding gold, default config",
                enc / len(members),
                len(members),
                f"{enc}/{len(members)}",
                reference=f"ftfy fix_encoding {ref[-5:]}",
            )
        )
    keep = [c for c in groups["negative"] if c.get("fixed_encoding", c["fixed"]) == c["original"]]
    changed = [c["key"] for c in keep if default.fix(c["original"])[0] != c["original"]]
    rows.append(
        _row(
            "negatives (gold == original) changed, default config",
            len(changed),
            len(keep),
            ", ".join(changed) + " (lower is better)",
            reference="fix_text 5, fix_encoding 0",
        )
    )
    fails = [c for c in cases if c["expect"] == "fail"]
    hit = sum(default.fix(c["original"])[0] == c.get("fixed_encoding", c["fixed"]) for c in fails)
    rows.append(
        _row(
            "known failures == encoding gold (informational)",
            hit / len(fails),
            len(fails),
            f"{hit}/{len(fails)}; upstream expects these to fail",
            reference="ftfy 0/8",
        )
    )
    return rows


def score_clean_and_sample() -> list[dict[str, Any]]:
    rows_in = _jsonl(EVAL / "clean-multilingual.jsonl")
    stage = FixEncoding()
    clean = [r for r in rows_in if not r["defects"]]
    results = [stage.fix(r["text"]) for r in clean]
    changed = sum(text != r["text"] for (text, _), r in zip(results, clean, strict=True))
    ws = sum(any(e.rule.startswith("whitespace.") for e in edits) for _, edits in results)
    rows = [
        _row(
            "clean-multilingual rows changed (defects == [])",
            changed,
            len(clean),
            f"lower is better; whitespace rules touch {ws} rows; uncurl/width/ligatures/NFC off",
            reference="ftfy fix_text 261",
        ),
    ]
    defects = [r for r in rows_in if r["defects"]]
    fixed = sum(stage.fix(r["text"])[0] != r["text"] for r in defects)
    rows.append(
        _row(
            "clean-multilingual defect rows changed",
            fixed / len(defects),
            len(defects),
            "C1 quotes, 'ďż˝' mojibake, '&#151;'",
            reference="ftfy fix_encoding 14/15",
        )
    )
    sample = (ROOT / "data" / "sample" / "pompeo-nagorno-karabakh.txt").read_text(encoding="utf-8")
    edits = stage.fix(sample)[1]
    restored = stage.fix(mojibake(sample))[0] == sample
    rows.append(
        _row(
            "sample article: mojibake copy restored exactly",
            float(restored),
            1,
            f"default config edits the clean article {len(edits)} times (target 0)",
        )
    )
    return rows


def score_speed(bench: list[str] | None) -> list[dict[str, Any]]:
    clean = [r["text"] for r in _jsonl(EVAL / "clean-multilingual.jsonl")]
    sets = {"clean-multilingual": clean}
    if bench is not None:
        sets["bench every 10th doc"] = bench[::10]
    gated, ungated = FixEncoding(), FixEncoding(gate=False)
    rows = []
    for name, texts in sets.items():
        base_mb, base_docs = _timed(ftfy.fix_text, texts)
        off_mb, off_docs = _timed(ungated.apply, texts, docs=True)
        on_mb, on_docs = _timed(gated.apply, texts, docs=True)
        n = len(texts)
        rows += [
            _row(
                f"MB/s {name}: ftfy.fix_text (default)",
                base_mb,
                n,
                "CPU time, one core",
                docs_per_s=base_docs,
            ),
            _row(f"MB/s {name}: stage.apply, gate off", off_mb, n, "", docs_per_s=off_docs),
            _row(
                f"MB/s {name}: stage.apply, gate on",
                on_mb,
                n,
                f"{on_mb / base_mb:.1f}x ftfy.fix_text, {on_mb / off_mb:.1f}x gate off",
                docs_per_s=on_docs,
            ),
        ]
    return rows


def score_mojibake(bench: list[str], variants: Path | None) -> list[dict[str, Any]]:
    if variants is not None:
        pairs = [(r["text"], r["orig"]) for r in _jsonl(variants)]
        where = str(variants.name)
    else:
        eligible = [t for t in bench if sum(ord(c) > 127 for c in t[:5000]) >= 20]
        pairs = [(mojibake(t), t) for t in random.Random(1).sample(eligible, min(2000, len(eligible)))]
        where = "generated from bench"
    gated, ungated = FixEncoding(), FixEncoding(gate=False)
    rows = []
    outs = {}
    for label, stage in [("gate on", gated), ("gate off", ungated)]:
        started = time.process_time()
        outs[label] = [stage.fix(bad)[0] for bad, _ in pairs]
        rate = len(pairs) / (time.process_time() - started)
        ok = sum(out == stage.fix(orig)[0] for out, (_, orig) in zip(outs[label], pairs, strict=True))
        rows.append(
            _row(
                f"mojibake docs repaired, {label}",
                ok / len(pairs),
                len(pairs),
                f"{ok}/{len(pairs)} == stage(original); {where}",
                docs_per_s=rate,
            )
        )
    same = sum(a == b for a, b in zip(outs["gate on"], outs["gate off"], strict=True))
    rows.append(
        _row("mojibake outputs identical with and without gate", same / len(pairs), len(pairs), "must be 1.0")
    )
    config = ftfy.TextFixerConfig(
        uncurl_quotes=False, fix_latin_ligatures=False, fix_character_width=False, normalization=None
    )
    ref = sum(ftfy.fix_text(bad, config) == orig for bad, orig in pairs)
    rows.append(
        _row(
            "mojibake docs: ftfy.fix_text (cosmetics off) == original",
            ref / len(pairs),
            len(pairs),
            "reference: the repairs ftfy itself makes",
        )
    )
    return rows


def run(variants: Path | None = None) -> list[dict[str, Any]]:
    if not EVAL.exists():
        return [_row("not scored", 0.0, 0, "../shared/eval/encoding is absent (the team's shared data)")]
    rows = score_cases() + score_clean_and_sample()
    try:
        bench = _bench_docs() if BENCH.exists() else None
    except ImportError:
        bench = None
    rows += score_speed(bench)
    if bench is not None:
        rows += score_mojibake(bench, variants)
    else:
        rows.append(_row("bench not scored", 0.0, 0, "needs ../shared/bench and `pip install zstandard`"))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", type=Path, help="mojibake.jsonl written by make_variants.py")
    args = parser.parse_args()
    from scripts.eval.run import render  # the table of `make eval`

    print(render(run(args.variants)))
