"""The local engine: the build's phases in worker processes on this machine.

Each block's map (``corpus.engines.mapping.map_block``) and write
(``corpus.engines.writing.write_block``) is one task of a process pool: the worker reads its
block itself (HTML and WARC extraction included), runs the stages and commits its part, so
the main process only schedules and counts; what it shows is ``corpus.engines.progress``'s. The decide phase
(``corpus.engines.deciding.decide_here``) runs in the main process, in input order, so "keep
the first copy" is deterministic whatever the worker count. Killed at any point (the main
process or a worker) and run again with the same command, a build redoes only the blocks
without a committed marker and ends with exactly the output of an uninterrupted build.

``workers: 0`` runs everything in the main process; ``auto`` uses every core (and none for an
input under 1 MB, where starting workers costs more than it saves).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from corpus.engines.build import BuildResult
from corpus.engines.build import run_build as run_in_shell
from corpus.engines.deciding import decide_here
from corpus.engines.finish import finish_files
from corpus.engines.mapping import map_block
from corpus.engines.work import WorkFolder
from corpus.engines.writing import write_block
from corpus.errors import BuildError
from corpus.io.fs import Location

_WORKER: dict[str, Any] = {}

# Called in the main process at named points of a build ("block_mapped" and "block_written" with
# the block's number as each commits, "decided" with 0); tests use it to kill a build there.
on_event: Callable[[str, int], None] | None = None


def _event(name: str, n: int) -> None:
    if on_event is not None:
        on_event(name, n)


def _init_worker(pipeline: Any, files: list[Any], parent: int | None = None) -> None:
    _WORKER.update(pipeline=pipeline, files=files)
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


def _map_task(number: int, block: Any, work: str, limit: int | None = None) -> dict[str, Any]:
    return map_block(_WORKER["pipeline"], number, block, _WORKER["files"], WorkFolder.at(work), limit)


def _write_task(number: int, blocks: int, work: str, staging: str, form: str) -> dict[str, Any]:
    return write_block(_WORKER["pipeline"], number, blocks, WorkFolder.at(work), Location(staging), form)


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


class LocalEngine:
    """Worker processes on this machine; the phases are ``corpus.engines.build``'s."""

    def __init__(self, pipeline: Any, workers: int | str | None = None, progress: bool | None = None) -> None:
        self.pipeline = pipeline
        self.wanted = workers if workers is not None else pipeline.settings.workers
        self.progress = progress
        self.files: list[Any] = []
        self.pool: ProcessPoolExecutor | None = None

    def check(self, pipeline: Any, files: list[Any]) -> None:
        self.files = files

    @contextmanager
    def session(self) -> Iterator[None]:
        from corpus.io.fs import size

        workers = _resolve_workers(self.wanted)
        if self.wanted in (None, "auto") and sum(size(f.path) for f in self.files) < 1 << 20:
            workers = 0  # a small input: worker start-up would cost more than it saves
        self.workers = workers
        if workers > 0:
            ctx = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(
                workers,
                mp_context=ctx,
                initializer=_init_worker,
                initargs=(self.pipeline, self.files, os.getpid()),
            )
        else:
            _init_worker(self.pipeline, self.files)
        try:
            yield
        except BrokenProcessPool as exc:
            raise BuildError(
                f"a worker process died ({exc}); committed blocks are kept: run the same command again "
                "to resume" + _script_hint()
            ) from None
        finally:
            if self.pool is not None:
                self.pool.shutdown(cancel_futures=True)
                self.pool = None

    def plan(self, files: list[Any], target_bytes: int) -> list[Any]:
        from corpus.io.read.blocks import plan_blocks

        return plan_blocks(files, dict(self.pipeline.settings.input), target_bytes)

    def _run(
        self, what: str, calls: list[tuple[Callable[..., dict], tuple]], done: Callable[[dict], None] | None
    ) -> list[dict]:
        """Run the tasks (in the pool, or here), in any order; ``done`` sees each summary as it comes."""
        out: list[dict] = []
        if self.pool is None:
            for fn, args in calls:
                out.append(self._done(what, fn(*args), done))
            return out
        futures: list[Future] = [self.pool.submit(fn, *args) for fn, args in calls]
        for fut in as_completed(futures):
            out.append(self._done(what, fut.result(), done))
        return out

    def _done(self, what: str, summary: dict[str, Any], done: Callable[[dict], None] | None) -> dict:
        if done is not None:
            done(summary)
        _event("block_mapped" if what == "map" else "block_written", summary["block"])
        return summary

    def map(
        self,
        blocks: list[Any],
        todo: list[int],
        work: WorkFolder,
        done: Callable[[dict], None] | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """``map_block`` for each block of ``todo``; ``limit``: read at most that many records of each."""
        calls = [(_map_task, (b, blocks[b], work.url, limit)) for b in todo]
        return self._run("map", calls, done)

    def decide(
        self, blocks: int, work: WorkFolder, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, Any]:
        summary = decide_here(self.pipeline, work, blocks, progress=progress)
        _event("decided", 0)
        return summary

    def write(
        self,
        blocks: int,
        todo: list[int],
        work: WorkFolder,
        staging: Location,
        form: str,
        done: Callable[[dict], None] | None = None,
    ) -> list[dict]:
        calls = [(_write_task, (b, blocks, work.url, staging.url, form)) for b in todo]
        return self._run("write", calls, done)

    def finish_files(self, work: WorkFolder, staging: Location, blocks: int, form: str) -> dict[str, Any]:
        return finish_files(self.pipeline, work, staging, blocks, form)


def run_build(
    pipeline: Any,
    *,
    workers: int | str | None = None,
    output: str | Path | None = None,
    progress: bool | None = None,
) -> BuildResult:
    """Build the dataset described by ``pipeline.config`` on this machine; resumes an interrupted build."""
    return run_in_shell(pipeline, LocalEngine(pipeline, workers, progress), output=output, progress=progress)
