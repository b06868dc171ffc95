"""The dedup steps on the cluster: which ones have a distributed form, their input, their decisions.

``check_supported`` names the pipeline's exact and near dedup steps (a ConfigError for any
step with no distributed form yet); ``repeated_step`` its repeated_lines step, which runs on the
driver around the ordered write (``corpus.engines.ray.write``), after near dedup.
``_Survivors`` collects the survivors' dedup columns (idx, id, signature, length, exact
digest) into object-store blocks; ``_dedup`` runs the distributed steps
(``corpus.dedup.distributed``) over them, which return decision rows ``(idx, payload)`` only
for documents they drop or cluster, sorted by ``idx``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from corpus.dedup import distributed as dist
from corpus.dedup.exact import ExactDedup
from corpus.dedup.lines import RepeatedLines
from corpus.dedup.near import NearDedup
from corpus.engines.ray.work import MAPPED, SURVIVED
from corpus.errors import ConfigError


def check_supported(pipeline: Any) -> tuple[ExactDedup | None, NearDedup | None]:
    """The pipeline's exact and near dedup steps; ConfigError for what has no distributed form yet."""
    streaming, global_steps = pipeline.streaming_steps, pipeline.global_steps
    for step in streaming:
        if not isinstance(step, ExactDedup):
            raise ConfigError(
                f"engine ray: stage {step.name!r} has no distributed form yet; use engine local"
            )
    for step in global_steps:
        if not isinstance(step, NearDedup | RepeatedLines):
            raise ConfigError(
                f"engine ray: stage {step.name!r} has no distributed form yet; use engine local"
            )
    nears = [s for s in global_steps if isinstance(s, NearDedup)]
    repeated = [s for s in global_steps if isinstance(s, RepeatedLines)]
    if len(streaming) > 1 or len(nears) > 1 or len(repeated) > 1:
        raise ConfigError(
            "engine ray: at most one exact_dedup, one near_dedup and one repeated_lines stage; "
            "use engine local"
        )
    if repeated and global_steps[-1] is not repeated[0]:
        raise ConfigError(
            "engine ray: repeated_lines runs after near_dedup only (put it after near_dedup in the "
            "stages, as configs/sample.yaml does) or use engine local"
        )
    near = nears[0] if nears else None
    if near is not None and near.cluster_by != "components":
        raise ConfigError(
            "engine ray: near_dedup option 'cluster_by: star' has no distributed form yet; "
            "use cluster_by: components or engine local"
        )
    if near is not None and near.index is not None:
        raise ConfigError(
            "engine ray: near_dedup option 'index' (--dedup-against) has no distributed form yet; "
            "use engine local"
        )
    return (streaming[0] if streaming else None), near


def repeated_step(pipeline: Any) -> RepeatedLines | None:
    """The pipeline's repeated_lines step (after ``check_supported``: at most one, the last global step)."""
    return next((s for s in pipeline.global_steps if isinstance(s, RepeatedLines)), None)


SURVIVOR_COLUMNS = ["idx", "id", "sig", "length", "ekey"]
SURVIVOR_BLOCK = 50_000  # survivor rows per block handed to the dedup steps


class _Survivors:
    """Collects the dedup steps' input (survivors' idx, id, sig, length, ekey) into object-store blocks."""

    def __init__(self) -> None:
        self.refs: list[Any] = []
        self.rows = 0
        self._held: list[pa.Table] = []
        self._held_rows = 0

    def add(self, t: pa.Table | pa.RecordBatch) -> None:
        import pyarrow.compute as pc

        if isinstance(t, pa.RecordBatch):
            t = pa.Table.from_batches([t])
        t = t.filter(pc.equal(t["kind"], SURVIVED)).select(SURVIVOR_COLUMNS)
        if t.num_rows:
            self._held.append(t)
            self._held_rows += t.num_rows
            if self._held_rows >= SURVIVOR_BLOCK:
                self.flush()

    def flush(self) -> None:
        import ray

        if self._held:
            block = pa.concat_tables(self._held).combine_chunks()
            self.refs.append(ray.put(block))
            self.rows += block.num_rows
            self._held, self._held_rows = [], 0

    def dataset(self) -> Any:
        import ray.data

        self.flush()
        if not self.refs:
            return ray.data.from_arrow(_survivors(MAPPED.empty_table()))
        return ray.data.from_arrow_refs(self.refs)


def _survivors(t: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    return t.filter(pc.equal(t["kind"], SURVIVED)).select(["idx", "id", "sig", "length", "ekey"])


def _dedup(
    survivors: Any,
    n: int,
    exact: ExactDedup | None,
    near: NearDedup | None,
    cpus: int,
    event: Callable[[str, int], None],
) -> Any:
    """The decision rows of both dedup steps, sorted by idx and materialized (None when no step).

    ``event("dedup", 0)`` is called before exact dedup, ``event("dedup", 1)`` before near dedup.
    """
    if exact is None and near is None:
        return None
    partitions = min(1000, max(2, cpus, n // 200_000))  # ~200k rows per shuffle partition
    parts = []
    if exact is not None:
        event("dedup", 0)
        dropped, survivors = dist.exact_dedup(survivors, partitions)
        parts.append(dropped)
    else:
        survivors = survivors.map_batches(lambda t: t.select(dist.SURVIVOR.names), batch_format="pyarrow")
    if near is not None:
        survivors = survivors.materialize()
        event("dedup", 1)
        clustered, figures = dist.near_dedup(survivors, near, partitions)
        dist.log.info("near_dedup: %s", figures)
        if clustered is not None:
            parts.append(clustered)
    if not parts:
        return None
    union = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])
    return union.sort("idx").materialize()
