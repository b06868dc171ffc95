"""Make the near-dedup bench corpus: >= 100k real-text documents with known injected near-duplicates.

    .venv/bin/python -m scripts.bench.make_corpus [--out build/bench] [--seed 1]   # about 1 minute

The 27k bench documents (../shared/bench/base_text.jsonl.zst) are cut at blank lines into
segments of at least 80 words (a shorter document stays whole), which gives about 110k
distinct real texts; then 20% of the segments of 50+ words get 1-3 edited copies made by
../shared/bench/make_variants.py's own ``edit`` (word swaps and substitutions, dropped
sentences, page-furniture lines), inserted at random places. Writes:

* ``corpus.jsonl``: ``{id, text}`` in bench order (copies are ``<segment id>#dup<k>``);
* ``truth.jsonl``: every pair inside an injected cluster, ``{a, b, jaccard}`` with the exact
  word-5-gram Jaccard of ../shared/eval/neardup/SOURCE.txt (copy-copy pairs included).

Natural near-duplicates among the segments are not listed: the bench scores precision with
the exact Jaccard of every predicted pair instead (scripts/bench/neardup.py).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import sys
from pathlib import Path

from scripts.bench.common import OUT, ROOT, SHARED_BENCH

BENCH = SHARED_BENCH
MIN_WORDS = 80


def load_variants():
    """../shared/bench/make_variants.py, read where it lies (its ``edit`` makes the copies)."""
    spec = importlib.util.spec_from_file_location("make_variants", BENCH / "make_variants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def segments(doc_id: str, text: str) -> list[tuple[str, str]]:
    """Blank-line paragraphs packed into consecutive segments of at least MIN_WORDS words."""
    out, buf, words = [], [], 0
    for para in text.split("\n\n"):
        buf.append(para)
        words += len(para.split())
        if words >= MIN_WORDS:
            out.append("\n\n".join(buf))
            buf, words = [], 0
    if buf:
        if out:
            out[-1] += "\n\n" + "\n\n".join(buf)
        else:
            out.append("\n\n".join(buf))
    if len(out) == 1:
        return [(doc_id, out[0])]
    return [(f"{doc_id}#s{k}", seg) for k, seg in enumerate(out)]


def main(argv: list[str] | None = None) -> int:
    """Write corpus.jsonl and truth.jsonl."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.relpath(OUT, ROOT))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dup-share", type=float, default=0.2)
    args = ap.parse_args(argv)
    mv = load_variants()
    rng = random.Random(args.seed)
    base = [seg for r in mv.read_jsonl(BENCH / "base_text.jsonl.zst") for seg in segments(r["id"], r["text"])]
    eligible = [i for i, (_, t) in enumerate(base) if len(t.split()) >= 50]
    picked = sorted(rng.sample(eligible, int(args.dup_share * len(base))))
    docs = [{"id": i, "text": t} for i, t in base]
    truth = []
    copies = []
    for i in picked:
        orig_id, text = base[i]
        members = [(orig_id, text)]
        for c in range(rng.choices([1, 2, 3], weights=[70, 20, 10])[0]):
            members.append((f"{orig_id}#dup{c}", mv.edit(text, rng.random(), rng)))
        copies += [{"id": m, "text": t} for m, t in members[1:]]
        shingles = [mv.shingles(t) for _, t in members]
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                j = len(shingles[x] & shingles[y]) / max(1, len(shingles[x] | shingles[y]))
                a, b = sorted((members[x][0], members[y][0]))
                truth.append({"a": a, "b": b, "jaccard": round(j, 6)})
    # Insert copies at random places, as make_variants does (one pass, not O(n^2) inserts).
    slots = sorted((rng.randrange(len(docs) + 1), k) for k in range(len(copies)))
    merged, at = [], 0
    for pos, k in slots:
        merged += docs[at:pos]
        merged.append(copies[k])
        at = pos
    merged += docs[at:]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as f:
        for r in merged:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(out / "truth.jsonl", "w", encoding="utf-8") as f:
        for t in truth:
            f.write(json.dumps(t) + "\n")
    high = sum(t["jaccard"] >= 0.8 for t in truth)
    print(
        f"{len(merged)} docs ({len(base)} segments + {len(copies)} copies of {len(picked)}); "
        f"{len(truth)} truth pairs, {high} with J >= 0.8 -> {out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
