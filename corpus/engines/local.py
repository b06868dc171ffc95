"""The local engine: streaming reads, worker processes, checkpointed chunks, atomic output.

Map phase: the main process reads the inputs in stable order and cuts the
record stream into chunks (``checkpoint_docs`` records) and each chunk into
batches (``batch_size``); worker processes run the per-document stages and
compute the corpus steps' fingerprints; results come back *in input order* and
each finished chunk is committed to the work directory (see
``corpus.engines.checkpoint``). At most ``2 x workers`` batches are in flight,
so memory is bounded by the batch size, not the corpus size.

Reduce phase (``corpus.engines.reduce``): the corpus steps decide over the
committed chunks in input order, so "keep the first copy" is deterministic
whatever the worker count, and the output is written to a temporary directory
that replaces the output directory only when complete; then the work directory
is removed.

Killed at any point (main process or a worker) and run again with the same
command, a build resumes from its committed chunks and ends with exactly the
output of an uninterrupted build.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from tqdm import tqdm

from corpus.document import Document
from corpus.engines import phases
from corpus.engines.build import BuildResult, build_run_record
from corpus.engines.build import run_build as run_in_shell
from corpus.engines.checkpoint import ChunkWriter, WorkDir
from corpus.engines.inputs import Inputs
from corpus.engines.reduce import reduce_chunks
from corpus.errors import BuildError
from corpus.io.read import Quarantined, Skipped, read_input
from corpus.io.write.sink import Output
from corpus.stats import Stats

_WORKER_PIPELINE: Any = None

# Called at named points of a build ("chunk_committed", "reduce_chunk", "global_pass",
# "final_write") with a number; tests use it to kill a build at a chosen point.
on_event: Callable[[str, int], None] | None = None


def _event(name: str, n: int) -> None:
    if on_event is not None:
        on_event(name, n)


def _init_worker(pipeline: Any, parent: int | None = None) -> None:
    global _WORKER_PIPELINE
    _WORKER_PIPELINE = pipeline
    if parent is not None:
        # Ctrl-C reaches the whole process group: the main process stops the build, workers just end.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    pipeline.setup()


def _exit_with_parent(parent: int) -> None:
    """A worker whose build was killed exits instead of waiting forever on the task queue."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _process_batch(docs: list[Document]) -> tuple[list[tuple[Any, list[Any], str, str]], Stats]:
    stats = Stats()
    processed = phases.map_batch(_WORKER_PIPELINE, docs, stats)
    results = [
        (out, keys, dropped, doc.id) for (out, keys, dropped), doc in zip(processed, docs, strict=True)
    ]
    return results, stats


def _script_hint() -> str:
    """Why workers die at once when ``build()`` runs at the top level of a script, and the fix.

    Worker processes are spawned: each starts by importing the caller's script, which (unguarded)
    starts a build of its own, which multiprocessing refuses in a process still starting up.
    """
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    if not script or getattr(getattr(main, "__spec__", None), "name", "").startswith("corpus"):
        return ""
    return (
        f". If {os.path.basename(script)} calls build() at its top level, put the call under "
        '`if __name__ == "__main__":` (each worker process imports the script), or pass workers=0'
    )


def _resolve_workers(value: Any) -> int:
    if value in (None, "auto"):
        return os.cpu_count() or 1
    return int(value)


def _events(files: list[Any], config: dict[str, Any], chunk_docs: int, batch_size: int) -> Iterator[tuple]:
    """The record stream as ("batch", chunk, docs), ("quarantine", chunk, item), ("end", chunk, counts)."""
    chunk, read, invalid, batch = 0, 0, 0, []
    for f in files:
        for item in read_input(f, config):
            if isinstance(item, Quarantined):
                yield "quarantine", chunk, item
            elif isinstance(item, Skipped):
                yield "skip", chunk, item
            else:
                invalid += bool(item.meta.get("invalid_utf8"))
                batch.append(item)
            read += 1
            if len(batch) >= batch_size or (read == chunk_docs and batch):
                yield "batch", chunk, batch
                batch = []
            if read == chunk_docs:
                yield "end", chunk, (read, invalid)
                chunk, read, invalid = chunk + 1, 0, 0
    if batch:
        yield "batch", chunk, batch
    if read or chunk == 0:
        yield "end", chunk, (read, invalid)


class _Done(Future):
    """A finished future, for the in-process path."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.set_result(value)


def _map(
    pipeline: Any,
    files: list[Any],
    work: WorkDir,
    done: set[int],
    workers: int,
    progress: bool | None,
    seconds: Counter[str],
) -> int:
    """Run the per-document stages over every chunk not yet committed; returns the number of chunks."""
    settings = pipeline.settings
    events = _events(files, dict(settings.input), settings.checkpoint_docs, settings.batch_size)
    pool = None
    if workers > 0:
        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(pipeline, os.getpid())
        )
    else:
        _init_worker(pipeline)
    writers: dict[int, ChunkWriter] = {}
    pending: deque[tuple[int, Any]] = deque()
    bar = tqdm(desc="documents", unit="doc", disable=None if progress is None else not progress)
    chunks = 0

    def settle(index: int, item: Any) -> None:
        writer = writers[index]
        if isinstance(item, tuple):  # the chunk's end: every batch before it is settled
            writer.part.read, writer.part.invalid_utf8 = item
            writer.commit()
            del writers[index]
            _event("chunk_committed", index)
            return
        results, stats = item.result()
        writer.part.stats.update(stats)
        seconds.update(stats.seconds)  # CPU time stays out of the checkpoint: it is this run's
        survivors = []
        for out, keys, dropped, doc_id in results:
            bar.update(1)
            if out is None:
                writer.part.drops.append({"id": doc_id, "dropped_by": dropped})
            else:
                survivors.append(out)
                writer.part.keys.append(keys)
        writer.add(survivors)

    try:
        for kind, index, payload in events:
            chunks = index + 1
            if index in done:
                continue
            if index not in writers:
                writers[index] = work.writer(index)
            if kind == "quarantine":
                writers[index].part.quarantine.append(payload.to_dict())
                if progress is not False:
                    tqdm.write(f"quarantined {payload.path}:{payload.line or ''} {payload.error}")
                continue
            if kind == "skip":
                writers[index].part.skipped[payload.reason] += 1
                continue
            if kind == "end":
                pending.append((index, payload))
            else:
                fut = pool.submit(_process_batch, payload) if pool else _Done(_process_batch(payload))
                pending.append((index, fut))
            while len(pending) > 2 * max(workers, 1) or (pending and not pool):
                settle(*pending.popleft())
        while pending:
            settle(*pending.popleft())
    except BrokenProcessPool as exc:
        raise BuildError(
            f"a worker process died ({exc}); committed chunks are kept: run the same command again to resume"
            + _script_hint()
        ) from None
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return chunks


class LocalEngine:
    """Worker processes on this machine, checkpointed chunks (``corpus.engines.checkpoint``)."""

    resumed_unit = "chunks"

    def __init__(self, pipeline: Any, workers: int | str | None = None, progress: bool | None = None) -> None:
        self.pipeline = pipeline
        self.wanted = workers if workers is not None else pipeline.settings.workers
        self.progress = progress
        self.files: list[Any] = []
        self.chunks = 0

    def check(self, pipeline: Any, files: list[Any]) -> None:
        self.files = files

    def session(self) -> Any:
        return nullcontext()

    def open(self, out_dir: Path, inputs: Inputs) -> None:
        self.work = WorkDir(out_dir)
        chunk_docs = self.pipeline.settings.checkpoint_docs
        self.done = self.work.open(build_run_record(self.pipeline, inputs, checkpoint_docs=chunk_docs))

    def map(self) -> None:
        n_workers = _resolve_workers(self.wanted)
        if self.wanted in (None, "auto") and sum(os.path.getsize(f.path) for f in self.files) < 1 << 20:
            n_workers = 0  # a small input: worker start-up would cost more than it saves
        self.seconds: Counter[str] = Counter()
        self.chunks = _map(
            self.pipeline, self.files, self.work, self.done, n_workers, self.progress, self.seconds
        )

    def reduce(self, out: Output) -> tuple[Stats, list[Path]]:
        stats, saved = reduce_chunks(self.pipeline, self.work, self.chunks, out, _event)
        stats.seconds.update(self.seconds)
        return stats, saved

    def remove(self) -> None:
        self.work.remove()

    @property
    def resumed(self) -> int:
        return len(self.done & set(range(self.chunks)))


def run_build(
    pipeline: Any,
    *,
    workers: int | str | None = None,
    output: str | Path | None = None,
    progress: bool | None = None,
) -> BuildResult:
    """Build the dataset described by ``pipeline.config`` on this machine; resumes an interrupted build."""
    return run_in_shell(pipeline, LocalEngine(pipeline, workers, progress), output=output, progress=progress)
