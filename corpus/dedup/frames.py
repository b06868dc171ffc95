"""Arrow and Ray Data building blocks of the distributed dedup steps: tables, runs, grouped maps.

Why a module of its own: the exact and near steps (``corpus.dedup.distributed``) and the
connected components (``corpus.dedup.components``) all work the same way, vectorized over
Arrow tables with many keys per call (a Python call per document would cost more than the
dedup), so the few helpers that make that shape live here once.

>>> starts = runs(np.array([3, 3, 5, 7, 7, 7]))
>>> starts.tolist(), run_ids(starts, 6).tolist()
([0, 2, 3], [0, 0, 1, 2, 2, 2])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpus.dedup import minhash as mh
from corpus.errors import BuildError

GROUPS_PER_PARTITION = 8  # shuffle groups per partition; each holds many keys


def sig_matrix(column: Any, num_perm: int) -> np.ndarray:
    """A binary column of uint32 signatures as an ``(n, num_perm)`` array."""
    values = column.to_pylist() if hasattr(column, "to_pylist") else list(column)
    if not values:
        return np.zeros((0, num_perm), dtype=np.uint32)
    flat = b"".join(values)
    if len(flat) != len(values) * num_perm * 4:  # a damaged work part: numpy would say "cannot reshape"
        raise BuildError(
            f"engine ray: {len(values)} signatures hold {len(flat)} bytes, not {num_perm} uint32 each; "
            "the build's work folder is damaged: build again into an empty output folder"
        )
    return np.frombuffer(flat, dtype=np.uint32).reshape(len(values), num_perm)


def table(schema: pa.Schema, **columns: Any) -> pa.Table:
    return pa.table({f.name: pa.array(columns[f.name], type=f.type) for f in schema}, schema=schema)


def column(table: pa.Table, name: str) -> np.ndarray:
    return table[name].to_numpy()


def runs(*keys: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal keys in sorted arrays (always includes 0)."""
    n = len(keys[0])
    change = np.zeros(n, dtype=bool)
    change[:1] = True
    for k in keys:
        change[1:] |= k[1:] != k[:-1]
    return np.flatnonzero(change)


def run_ids(starts: np.ndarray, n: int) -> np.ndarray:
    """For each position, the number of its run."""
    ids = np.zeros(n, dtype=np.int64)
    ids[starts[1:]] = 1
    return np.cumsum(ids)


def grouped(ds: Any, key: str, fn: Any, partitions: int, **fn_kwargs: Any) -> Any:
    """``fn`` over every group of equal ``key``, with many keys per call.

    Rows are grouped by a hash of the key into ``GROUPS_PER_PARTITION x partitions`` groups
    (``groupby().map_groups``: a group always arrives whole), and ``fn`` groups by the key itself
    inside, vectorized: a per-key call would cost a Python call per document.
    """
    groups = np.uint64(GROUPS_PER_PARTITION * partitions)

    def bucket(t: pa.Table) -> pa.Table:
        values = t[key].to_numpy().astype(np.int64).view(np.uint64)
        return t.append_column("_g", pa.array((mh.fmix64(values) % groups).astype(np.int64)))

    return (
        ds.map_batches(bucket, batch_format="pyarrow")
        .groupby("_g", num_partitions=partitions)
        .map_groups(fn, batch_format="pyarrow", fn_kwargs=fn_kwargs)
    )


def total(ds: Any, column: str) -> int:
    """Sum of an integer column: one partial sum per block comes to the driver, nothing else."""

    def partial(t: pa.Table) -> pa.Table:
        return pa.table({"s": [int(pc.sum(t[column]).as_py() or 0)]})

    return sum(row["s"] for row in ds.map_batches(partial, batch_format="pyarrow").take_all())
