"""The near-dedup bench's tools, each run alone in a subprocess so its memory is its own.

    python -m scripts.bench.neardup_tools --worker ours|datasketch|datatrove --n N --groups OUT.json

Every tool streams the first N documents of build/bench/corpus.jsonl from disk (JSON parsing is
inside its time) and writes its duplicate groups (lists of document numbers), its seconds and
its RSS after imports. Peers run in the peers' venv: this module imports only the standard
library and scripts.bench.common at the top, each tool its own package inside.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scripts.bench.common import OUT, self_rss

CORPUS = OUT / "corpus.jsonl"
TOK = re.compile(r"\w+")


def read_docs(n: int) -> Iterator[dict[str, Any]]:
    """The first ``n`` records of the bench corpus."""
    with open(CORPUS, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= n:
                return
            yield json.loads(line)


def work_ours(n: int) -> list[list[int]]:
    """Our NearDedup: batch fingerprints, then one clustering; groups of document numbers."""
    import numpy as np

    from corpus.dedup.near import NearDedup
    from corpus.dedup.sketch import Sketches
    from corpus.document import Document

    step = NearDedup()
    parts: list[Sketches] = []
    lengths = np.empty(n, dtype=np.int64)
    batch: list[Document] = []
    at = 0
    for r in read_docs(n):
        batch.append(Document(id=r["id"], text=r["text"]))
        if len(batch) == 1024:
            parts.append(step.fingerprint_batch(batch))
            lengths[at : at + len(batch)] = [len(d.text) for d in batch]
            at += len(batch)
            batch = []
    if batch:
        parts.append(step.fingerprint_batch(batch))
        lengths[at : at + len(batch)] = [len(d.text) for d in batch]
    sigs = Sketches.concat(parts, step.num_perm)
    result = step.cluster(sigs, lengths)
    groups: dict[int, list[int]] = {}
    for i, kept in enumerate(result.kept_index.tolist()):
        groups.setdefault(kept, []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def union_groups(n: int, links: list[tuple[int, int]]) -> list[list[int]]:
    """Groups of the linked pairs (union-find), singletons left out."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def work_datasketch(n: int) -> list[list[int]]:
    """datasketch's MinHashLSH, each candidate verified by its estimated Jaccard."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    hashes = []
    for i, r in enumerate(read_docs(n)):
        w = TOK.findall(r["text"].lower())
        grams = {" ".join(w[k : k + 5]) for k in range(max(1, len(w) - 4))}
        m = MinHash(num_perm=128, seed=1)
        m.update_batch([g.encode("utf-8") for g in grams])
        lsh.insert(i, m)
        hashes.append(m)
    links = [
        (i, j) for i, m in enumerate(hashes) for j in lsh.query(m) if j > i and m.jaccard(hashes[j]) >= 0.8
    ]
    return union_groups(len(hashes), links)


def work_datatrove(n: int) -> list[list[int]]:
    """datatrove's 4 MinHash stages; groups from the cluster ids it writes."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    tmp = Path(tempfile.mkdtemp(dir=OUT))
    order = {}
    # Input as 2 files, one per task (datatrove shards by file): setup, outside the clock.
    (tmp / "in").mkdir()
    half = (n + 1) // 2
    with open(tmp / "in" / "a.jsonl", "w") as fa, open(tmp / "in" / "b.jsonl", "w") as fb:
        for i, r in enumerate(read_docs(n)):
            order[r["id"]] = i
            (fa if i < half else fb).write(json.dumps(r, ensure_ascii=False) + "\n")
    started = time.perf_counter()
    cfg = MinhashConfig(n_grams=5, num_buckets=9, hashes_per_bucket=13)
    common = {"logging_dir": str(tmp / "logs"), "skip_completed": False}  # not ./logs in the repo
    runs = [
        ([JsonlReader(str(tmp / "in")), MinhashDedupSignature(str(tmp / "sigs"), config=cfg)], 2, 2),
        ([MinhashDedupBuckets(str(tmp / "sigs"), str(tmp / "buckets"), config=cfg)], 9, 2),
        (
            [
                MinhashDedupCluster(
                    str(tmp / "buckets"), str(tmp / "remove"), config=cfg, save_cluster_id=True
                )
            ],
            1,
            1,
        ),
        (
            [
                JsonlReader(str(tmp / "in")),
                MinhashDedupFilter(
                    str(tmp / "remove"),
                    load_cluster_ids=True,
                    exclusion_writer=JsonlWriter(str(tmp / "removed"), compression=None),
                ),
                JsonlWriter(str(tmp / "kept"), compression=None),
            ],
            2,
            2,
        ),
    ]
    for steps, tasks, workers in runs:
        LocalPipelineExecutor(pipeline=steps, tasks=tasks, workers=workers, **common).run()
    elapsed = time.perf_counter() - started
    clusters: dict[int, list[int]] = {}
    for f in list((tmp / "kept").glob("*")) + list((tmp / "removed").glob("*")):
        for line in open(f, encoding="utf-8"):
            r = json.loads(line)
            cid = r.get("metadata", {}).get("minhash_cluster_id", -1)
            if cid != -1:
                clusters.setdefault(cid, []).append(order[r["id"]])
    work_datatrove.elapsed = elapsed  # the cluster read-back above is not datatrove's work
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return [sorted(g) for g in clusters.values() if len(g) > 1]


WORKERS = {"ours": work_ours, "datasketch": work_datasketch, "datatrove": work_datatrove}


def prepare(tool: str) -> None:
    """Import the tool (and build its constant tables) before the baseline RSS is taken."""
    if tool == "ours":
        from corpus.dedup import minhash

        minhash.word_table()
    elif tool == "datasketch":
        import datasketch  # noqa: F401
    else:
        import datatrove.pipeline.dedup.minhash  # noqa: F401


def worker_main(tool: str, n: int, out: str) -> None:
    """Time one tool after its imports and write its groups, seconds and base RSS."""
    prepare(tool)
    base = self_rss()
    started = time.perf_counter()
    groups = WORKERS[tool](n)
    elapsed = getattr(WORKERS[tool], "elapsed", None) or time.perf_counter() - started
    Path(out).write_text(json.dumps({"seconds": elapsed, "base_rss": base, "groups": groups}))


def main(argv: list[str] | None = None) -> int:
    """Command line of one tool's run."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", choices=sorted(WORKERS), required=True)
    ap.add_argument("--n", type=int, required=True, help="documents to read")
    ap.add_argument("--groups", required=True, help="JSON file for the groups, seconds and base RSS")
    args = ap.parse_args(argv)
    worker_main(args.worker, args.n, args.groups)
    return 0


if __name__ == "__main__":
    sys.exit(main())
