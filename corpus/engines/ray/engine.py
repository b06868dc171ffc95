"""The Ray Data engine: the local engine's stages and output, on a Ray cluster.

Dataflow (each arrow a Ray Data operation):

1. read: one task per input file calls our own readers (``read_input``), so ids,
   quarantine records and their accounting are the local engine's; every record gets
   ``idx`` = file number << 40 | record number, which sorts in stable input order.
2. map: ``map_batches`` on an actor pool; each actor loads the pipeline once (models
   such as detect_language's) and runs ``phases.map_batch`` once per input file in
   a batch: the per-document stages and the corpus steps' fingerprints. The driver
   streams the result in input order (``preserve_order``) into the work directory, one
   Parquet part per input file (``work``), and hands the survivors' dedup
   columns (idx, id, signature, length, exact digest) back to Ray as blocks.
3. exact dedup, near dedup: distributed steps (``dedup``, ``corpus.dedup.distributed``)
   over those columns; they return decision rows ``(idx, payload)`` only for documents they
   drop or cluster; these are sorted by ``idx``.
4. write: the driver reads the parts back in input order, merges in the decisions, and
   writes the build as the local engine would, byte for byte (``write``). With repeated_lines
   (after near dedup), the driver first reads the parts once more to count the survivors'
   line hashes, as the local reduce process does, then removes the repeated lines as it writes.

This module holds the read and map tasks and the build itself (``run_build``). Kill safety and
resume: killed at any point (the driver, or a worker: Ray itself retries map tasks and restarts
map actors) and run again with the same command, a build maps only the input files with no
committed part (``work``) and ends with exactly the output of an uninterrupted build; the
dedup steps and the write, which need every document, are redone. A different config, toolkit
version or input bytes starts afresh. The build is written to ``.{out}.tmp`` and swapped into
place when complete, so a killed build never leaves output that looks complete; the work
directory is removed once the output is in place.

Ray itself (no address, no $RAY_ADDRESS: a private local Ray) is ``cluster``'s. Options
with no distributed form yet fail with a ConfigError naming them. The names of those modules
that tests, scripts and callers import from here are re-exported.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from corpus.dedup.exact import ExactDedup
from corpus.dedup.near import NearDedup
from corpus.engines import phases
from corpus.engines.build import BuildResult, build_run_record
from corpus.engines.build import run_build as run_in_shell
from corpus.engines.checkpoint import WorkDir
from corpus.engines.ray.cluster import (
    LOOPBACK,
    MARKER,
    REAPER,
    _cluster_cpus,
    _configure_data,
    cluster,
    local_ray,
)
from corpus.engines.ray.dedup import SURVIVOR_COLUMNS, _dedup, _Survivors, check_supported
from corpus.engines.ray.work import (
    DROPPED,
    FILE_SHIFT,
    MAPPED,
    QUARANTINED,
    READ_ROWS,
    RECORD,
    SECONDS,
    SKIPPED,
    SURVIVED,
    RayWorkDir,
    _decode,
    _doc_payload,
    _dump,
    _persist,
)
from corpus.engines.ray.write import _write
from corpus.errors import BuildError
from corpus.io.read import (
    Quarantined,
    ReadOptions,
    Skipped,
    check_readable,
    detect_format,
    read_input,
)
from corpus.io.write.sink import Output
from corpus.stats import Stats

log = logging.getLogger(__name__)

# The public names, with those re-exported from cluster, work and dedup (tests,
# scripts and corpus.engines import them from here).
__all__ = [
    "DROPPED",
    "FILE_SHIFT",
    "LOOPBACK",
    "MAPPED",
    "MARKER",
    "QUARANTINED",
    "READ_ROWS",
    "REAPER",
    "RECORD",
    "SKIPPED",
    "SURVIVED",
    "RayEngine",
    "RayWorkDir",
    "check_supported",
    "cluster",
    "local_ray",
    "on_event",
    "run_build",
]

# -- read and map ------------------------------------------------------------------------------


@contextmanager
def _cwd(path: str) -> Iterator[None]:
    """Relative input paths mean what they mean on the driver (a read task is alone in its process)."""
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _read_files(batch: dict[str, np.ndarray], files: list[Any], config: dict[str, Any], cwd: str):
    """Read task: every record of the given input files as RECORD rows, READ_ROWS at a time."""
    for number in batch["file"]:
        number = int(number)
        rows: list[tuple[int, int, bytes, bool]] = []
        with _cwd(cwd):
            # An input this worker cannot see (no shared mount, removed since the driver listed
            # it) stops the build naming it; the readers would quarantine it as damage.
            check_readable(files[number].path)
            for i, item in enumerate(read_input(files[number], config)):
                idx = number << FILE_SHIFT | i
                if isinstance(item, Quarantined):
                    rows.append((idx, QUARANTINED, _dump(item.to_dict()), False))
                elif isinstance(item, Skipped):
                    rows.append((idx, SKIPPED, _dump([item.reason]), False))
                else:
                    invalid = bool(item.meta.get("invalid_utf8"))
                    rows.append((idx, SURVIVED, _doc_payload(item), invalid))
                if len(rows) >= READ_ROWS:
                    yield _records(rows)
                    rows = []
        if rows:
            yield _records(rows)


def _records(rows: list[tuple[int, int, bytes, bool]]) -> pa.Table:
    idx, kind, payload, invalid = zip(*rows, strict=True)
    return pa.table(
        [
            pa.array(idx, pa.int64()),
            pa.array(kind, pa.int8()),
            pa.array(payload, pa.binary()),
            pa.array(invalid),
        ],
        schema=RECORD,
    )


class _Process:
    """Map actor: holds the pipeline, set up once, and runs ``phases.map_batch`` on each batch."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        pipeline.setup()
        self.steps = pipeline.worker_steps

    def __call__(self, t: pa.Table) -> pa.Table:
        # One map_batch per input file in the batch: each file's counters ride on its own
        # rows, so a file's committed part holds exactly its share (see _persist).
        files = np.asarray(t["idx"]) >> FILE_SHIFT
        cuts = np.flatnonzero(files[1:] != files[:-1]) + 1
        if not len(cuts):
            return self._one(t)
        bounds = [0, *cuts.tolist(), t.num_rows]
        return pa.concat_tables([self._one(t.slice(a, b - a)) for a, b in itertools.pairwise(bounds)])

    def _one(self, t: pa.Table) -> pa.Table:
        kinds = t["kind"].to_pylist()
        payloads = t["payload"].to_pylist()
        docs = [_decode(k, p, "a read block") for p, k in zip(payloads, kinds, strict=True) if k == SURVIVED]
        stats = Stats()
        results = iter(phases.map_batch(self.pipeline, docs, stats))
        docs_iter = iter(docs)
        cols: dict[str, list[Any]] = {name: [] for name in ("kind", "payload", "id", "ekey", "sig", "length")}
        for kind, payload in zip(kinds, payloads, strict=True):
            if kind != SURVIVED:
                out_kind, out_payload, doc_id, ekey, sig, length = kind, payload, "", "", b"", 0
            else:
                doc = next(docs_iter)
                out, keys, dropped = next(results)
                if out is None:
                    out_kind, out_payload = DROPPED, _dump([doc.id, dropped])
                    doc_id, ekey, sig, length = "", "", b"", 0
                else:
                    out_kind, out_payload = SURVIVED, _doc_payload(out)
                    doc_id, ekey, sig, length = out.id, "", b"", len(out.text)
                    for step, key in zip(self.steps, keys, strict=True):
                        if isinstance(step, ExactDedup):
                            ekey = key.hex()
                        elif isinstance(step, NearDedup):
                            sig = np.ascontiguousarray(key, dtype=np.uint32).tobytes()
                        # repeated_lines: its keys are taken again on the driver (``write``)
            cols["kind"].append(out_kind)
            cols["payload"].append(out_payload)
            cols["id"].append(doc_id)
            cols["ekey"].append(ekey)
            cols["sig"].append(sig)
            cols["length"].append(length)
        n = t.num_rows
        counters = {**stats, **{SECONDS + k: v for k, v in stats.seconds.items()}}
        stats_col = [_dump(counters)] + [b""] * (n - 1) if n else []
        return pa.table(
            {
                "idx": t["idx"],
                "kind": pa.array(cols["kind"], pa.int8()),
                "payload": pa.array(cols["payload"], pa.binary()),
                "invalid": t["invalid"],
                "id": pa.array(cols["id"], pa.string()),
                "ekey": pa.array(cols["ekey"], pa.string()),
                "sig": pa.array(cols["sig"], pa.binary()),
                "length": pa.array(cols["length"], pa.int64()),
                "stats": pa.array(stats_col, pa.binary()),
            },
            schema=MAPPED,
        )


def _build_error(exc: BaseException) -> BuildError | None:
    """The BuildError a Ray task raised (Ray wraps it, maybe twice), as the driver's own."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, BuildError) and not isinstance(getattr(e, "cause", None), BaseException):
            return BuildError(*e.args)
        todo += [e.__cause__, e.__context__, getattr(e, "cause", None)]
    return None


# -- the build -----------------------------------------------------------------------------------

# Called at named points of a build ("map" with the number of input files to map, before the
# read tasks start; "part_committed" with the input file's number, "dedup"
# with 0 before exact dedup and 1 before near dedup, "final_write" with the file number whose
# records are being written); tests use it to kill a build at a chosen point.
on_event: Callable[[str, int], None] | None = None


def _event(name: str, n: int) -> None:
    if on_event is not None:
        on_event(name, n)


class RayEngine:
    """Ray Data on a cluster (``address``, else $RAY_ADDRESS, else a private local Ray)."""

    resumed_unit = "input files"

    def __init__(self, pipeline: Any, address: str | None = None, workers: int | str | None = None) -> None:
        self.pipeline = pipeline
        self.address = address or pipeline.settings.ray_address
        self.wanted = workers if workers is not None else pipeline.settings.workers
        self.files: list[Any] = []

    def check(self, pipeline: Any, files: list[Any]) -> None:
        """Options with no distributed form and bad read options fail here, not in a Ray task."""
        self.exact, self.near = check_supported(pipeline)
        read_config = dict(pipeline.settings.input)
        ReadOptions.from_config(read_config)
        for f in files:
            detect_format(f.path, read_config.get("format", "auto"))
        self.files = files

    def session(self) -> Any:
        return cluster(self.address)

    def open(self, out_dir: Path, inputs: Any) -> None:
        WorkDir(out_dir).remove()  # a local engine's checkpoints would not match this build's
        self.work = RayWorkDir(out_dir)
        run = build_run_record(self.pipeline, inputs, engine="ray", file_shift=FILE_SHIFT)
        self.done = {n for n in self.work.open(run) & set(range(len(self.files))) if self.work.whole(n)}
        if self.done:
            log.info(
                "engine ray: resuming, %d of %d input files already mapped", len(self.done), len(self.files)
            )

    def map(self) -> None:
        """Read and map the input files not yet committed; gather the survivors' dedup columns."""
        import ray.data

        _configure_data()
        self.cpus = _cluster_cpus()
        actors = self.cpus if self.wanted in (None, "auto") else max(1, int(self.wanted))
        settings = self.pipeline.settings
        todo = [i for i in range(len(self.files)) if i not in self.done]
        self.survivors = _Survivors()
        for batch in self.work.batches(sorted(self.done), columns=["kind", *SURVIVOR_COLUMNS]):
            self.survivors.add(batch)
        if not todo:
            return
        fresh = (
            ray.data.from_items([{"file": i} for i in todo], override_num_blocks=len(todo))
            .map_batches(
                _read_files,
                batch_size=1,
                fn_kwargs={"files": self.files, "config": dict(settings.input), "cwd": os.getcwd()},
            )
            .map_batches(
                _Process,
                batch_format="pyarrow",
                batch_size=settings.batch_size,
                fn_constructor_args=(self.pipeline,),
                concurrency=(1, actors),
            )
        )
        _event("map", len(todo))
        try:
            _persist(fresh, todo, self.work, self.survivors, lambda n: _event("part_committed", n))
        except Exception as exc:
            stop = _build_error(exc)
            if stop is None:
                raise
            raise stop from None

    def reduce(self, out: Output) -> tuple[Stats, list[Path]]:
        """Dedup on the cluster, then the ordered write of the committed parts and the decisions."""
        decisions = _dedup(
            self.survivors.dataset(), self.survivors.rows, self.exact, self.near, self.cpus, _event
        )
        mapped = lambda: self.work.batches(range(len(self.files)))  # noqa: E731
        where = lambda n: str(self.work.part(n))  # noqa: E731
        return _write(self.pipeline, mapped, decisions, out, where, _event)

    def remove(self) -> None:
        self.work.remove()

    @property
    def resumed(self) -> int:
        return len(self.done)


def run_build(
    pipeline: Any,
    *,
    address: str | None = None,
    workers: int | str | None = None,
    output: str | Path | None = None,
    progress: bool | None = None,
) -> BuildResult:
    """Build ``pipeline.config`` on Ray: the local engine's output, byte for byte.

    Resumes an interrupted build from the input files whose map output was committed. Uses a
    Ray already initialised in this process as it is, and shuts down only a Ray it started.
    """
    return run_in_shell(pipeline, RayEngine(pipeline, address, workers), output=output, progress=progress)
