"""The decide phase on the cluster: exact and near dedup as Ray Data steps, fates written by workers.

``distributable`` says whether a pipeline's corpus steps all have a distributed form: at most one
exact_dedup, then at most one near_dedup (any options but an index to dedup against), then at
most one repeated_lines, last. Any other pipeline is decided by
``corpus.engines.deciding.decide_here`` in one Ray task, which runs every option the local
engine runs.

``decide_distributed``:

1. one task per block reads only the columns dedup needs from the block's map part (idx, kind,
   id, length and the exact digest / MinHash signature the map workers computed), keeping the
   survivors;
2. ``corpus.dedup.distributed``'s exact and near dedup turn them into decision rows
   ``(idx, payload)`` for the documents they drop or cluster, through shuffles between workers;
3. the decisions are grouped by block (``idx >> SHIFT``) and each group's task writes that
   block's fates (``decide/block-NNNNNN.parquet``, sorted by idx); a block without decisions
   has no fate file, which reads as no fates;
4. with repeated_lines, one task learns the repeated lines (``corpus.engines.repeated``) from
   the parts' line-hash column and the fates.

The write phase applies the decisions (``corpus.engines.writing``, form ``distributed``), so the
output is the local engine's, byte for byte. The driver sees only per-block counts.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpus.dedup import distributed as dist
from corpus.dedup.exact import ExactDedup
from corpus.dedup.lines import RepeatedLines
from corpus.dedup.near import NearDedup
from corpus.engines.deciding import FATE
from corpus.engines.mapping import SHIFT, SURVIVED, read_part
from corpus.engines.work import DECIDED, WorkFolder, block_name

__all__ = ["Steps", "decide_distributed", "distributable"]


class Steps:
    """The corpus steps of a distributable pipeline and their key columns in the map parts."""

    def __init__(self, exact: int | None, near: int | None, repeated: bool, steps: list[Any]) -> None:
        self.exact_key = None if exact is None else f"key{exact}"
        self.near_key = None if near is None else f"key{near}"
        self.near: NearDedup | None = None if near is None else steps[near]
        self.repeated = repeated


def distributable(pipeline: Any) -> Steps | None:
    """The pipeline's dedup steps if every corpus step has a distributed form, else None."""
    steps = pipeline.worker_steps
    streaming, global_steps = pipeline.streaming_steps, pipeline.global_steps
    if len(streaming) > 1 or any(not isinstance(s, ExactDedup) for s in streaming):
        return None
    kinds = [type(s) for s in global_steps]
    if kinds not in ([], [NearDedup], [RepeatedLines], [NearDedup, RepeatedLines]):
        return None
    near = next((s for s in global_steps if isinstance(s, NearDedup)), None)
    if near is not None and near.index is not None:
        return None
    at = {type(s): i for i, s in enumerate(steps)}  # the map parts' key columns
    return Steps(at.get(ExactDedup), at.get(NearDedup), RepeatedLines in kinds, steps)


def _survivor_rows(batch: dict[str, np.ndarray], work: str, exact: str | None, near: str | None) -> pa.Table:
    """Task: the survivors' dedup columns of the given blocks, read from their map parts."""
    folder = WorkFolder.at(work)
    tables = []
    for number in batch["block"]:
        columns = ["idx", "kind", "id", "length", *(k for k in (exact, near) if k)]
        t = read_part(folder, int(number), columns)
        t = t.filter(pc.equal(t["kind"], SURVIVED))
        n = t.num_rows
        sig = t[near] if near else pa.array([b""] * n, pa.binary())
        cols = {"idx": t["idx"], "id": t["id"], "sig": sig.cast(pa.binary()), "length": t["length"]}
        schema = dist.SURVIVOR
        if exact:
            cols["ekey"] = pa.array([k.hex() for k in t[exact].to_pylist()], pa.string())
            schema = dist.EXACT_IN
        tables.append(pa.table(cols, schema=schema))
    return pa.concat_tables(tables)


def _with_block(t: pa.Table) -> pa.Table:
    blocks = np.asarray(t["idx"].to_numpy(zero_copy_only=False), dtype=np.int64) >> SHIFT
    return t.append_column("block", pa.array(blocks, pa.int64()))


def _write_fates(t: pa.Table, work: str) -> pa.Table:
    """Task: one block's decisions as its fate file, sorted by idx; returns (block, rows)."""
    t = t.sort_by("idx")
    number = int(t["block"][0].as_py())
    fates = pa.table([t["idx"], t["payload"]], schema=FATE)
    fs, path = WorkFolder.at(work).loc.arrow(block_name("decide", number, ".parquet"))
    pq.write_table(fates, path, filesystem=fs, compression="none")
    return pa.table({"block": [number], "rows": [t.num_rows]})


def _learn(pipeline: Any, work: str, blocks: int) -> int:
    from corpus.engines.repeated import learn_repeated

    return learn_repeated(pipeline, WorkFolder.at(work), blocks)


def decide_distributed(
    pipeline: Any, steps: Steps, work: WorkFolder, work_url: str, blocks: int, cpus: int
) -> dict[str, Any]:
    """Exact and near dedup on the cluster; fates per block; repeated lines learned; the marker."""
    import ray
    import ray.data

    started = time.process_time()
    partitions = min(1000, max(2, cpus, blocks // 32))
    if blocks:
        survivors = ray.data.from_items(
            [{"block": b} for b in range(blocks)], override_num_blocks=blocks
        ).map_batches(
            _survivor_rows,
            batch_size=1,
            batch_format="numpy",
            fn_kwargs={"work": work_url, "exact": steps.exact_key, "near": steps.near_key},
        )
        parts = []
        if steps.exact_key:
            dropped, survivors = dist.exact_dedup(survivors, partitions)
            parts.append(dropped)
        if steps.near is not None:
            clustered, _ = dist.near_dedup(survivors.materialize(), steps.near, partitions)
            if clustered is not None:
                parts.append(clustered)
        if parts:
            union = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])
            written = (
                union.map_batches(_with_block, batch_format="pyarrow")
                .groupby("block", num_partitions=partitions)
                .map_groups(_write_fates, batch_format="pyarrow", fn_kwargs={"work": work_url})
            )
            for _ in written.iter_batches(batch_size=None):  # per-block counts only
                pass
        if steps.repeated:
            ray.get(ray.remote(num_cpus=1)(_learn).remote(pipeline, work_url, blocks))
    summary = {"stats": {}, "saved": [], "form": "distributed"}
    work.write_json(DECIDED, summary)
    return {**summary, "seconds": {"phase.decide.driver": time.process_time() - started}}
