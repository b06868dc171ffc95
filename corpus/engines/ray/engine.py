"""The Ray Data engine: the build's phases (``corpus.engines.build``) on a Ray cluster.

Each phase is a Ray Data dataset whose rows are block numbers, one block per call, so the work
spreads over every CPU the cluster offers and nothing of a document passes through the driver:

- plan: a task per input file larger than a block finds its block boundaries (byte ranges of
  JSONL and text, line ranges of compressed files, WARC record offsets, Parquet row groups);
- map: an actor pool (one actor per CPU, each holding the pipeline set up once, models loaded)
  runs ``corpus.engines.mapping.map_block`` per block; the worker reads its block itself, runs
  the stages and commits the block's part to the work folder; the driver gets a summary;
- decide: exact and near dedup and repeated_lines as distributed steps
  (``corpus.engines.ray.dedup``) when the pipeline's corpus steps all have that form and the
  survivors are many (``DISTRIBUTE_ABOVE``; $CORPUS_RAY_DEDUP=distributed|one-task forces a
  form), else ``corpus.engines.deciding.decide_here`` in one task (any step, any option);
- write: a task per block runs ``corpus.engines.writing.write_block``: its shards, with
  deterministic names and bytes, straight into the output being built;
- finish: one task joins the logs, saves the index and checks ids (``finish_files``); the
  driver writes the card and the manifest from the blocks' summaries.

The work folder, the output and the inputs may be local paths every node can see or fsspec URLs
(``s3://``, ``gs://``...). Killed at any point (the driver or a worker) and run again, a build
redoes only the blocks and phases without a committed marker. The output is the local engine's,
byte for byte. Ray itself (a private local Ray unless an address is given) is ``cluster``'s.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from corpus.engines.build import BuildResult
from corpus.engines.build import run_build as run_in_shell
from corpus.engines.deciding import decide_here
from corpus.engines.finish import finish_files
from corpus.engines.mapping import map_block
from corpus.engines.ray.cluster import (
    LOOPBACK,
    MARKER,
    REAPER,
    cluster,
    cluster_cpus,
    data_context,
    local_ray,
)
from corpus.engines.ray.dedup import decide_distributed, distributable
from corpus.engines.work import WorkFolder, block_name
from corpus.engines.writing import write_block
from corpus.errors import BuildError
from corpus.io.fs import Location, is_url
from corpus.io.read import ReadOptions, check_readable, detect_format
from corpus.io.read.blocks import Block

log = logging.getLogger(__name__)

__all__ = ["LOOPBACK", "MARKER", "REAPER", "RayEngine", "cluster", "local_ray", "on_event", "run_build"]

# Called on the driver at named points of a build ("block_mapped" and "block_written" with the
# block's number as each commits, "decided" with 0); tests use it to kill a build there.
on_event: Callable[[str, int], None] | None = None


# Survivors of the map above which exact and near dedup run as distributed steps; below, one
# task decides (in memory: about 0.6 kB a survivor for near dedup's signatures and ids).
DISTRIBUTE_ABOVE = 1_000_000


def _event(name: str, n: int) -> None:
    if on_event is not None:
        on_event(name, n)


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


@contextmanager
def _as_build_errors() -> Iterator[None]:
    try:
        yield
    except BuildError:
        raise
    except Exception as exc:
        stop = _build_error(exc)
        if stop is None:
            raise
        raise stop from None


def _absolute(path: str) -> str:
    """A local path as every worker must see it (workers do not share the driver's cwd)."""
    return path if is_url(path) else os.path.abspath(path)


class _Mapper:
    """Map actor: the pipeline, set up once; ``map_block`` for each block of a batch."""

    def __init__(self, pipeline: Any, files: list[Any], work: str, limit: int | None = None) -> None:
        self.pipeline, self.files, self.work = pipeline, files, WorkFolder.at(work)
        self.limit = limit  # records read per block at most (a build's input.limit)
        pipeline.setup()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[str]]:
        out = []
        pid = os.getpid()
        for number, raw in zip(batch["block"], batch["plan"], strict=True):
            block = Block(**json.loads(raw))
            for f in range(block.file, block.file + block.files):
                # an input this worker cannot see (no shared mount, removed since the driver listed
                # it) stops the build naming it; the readers would quarantine it as damage
                check_readable(self.files[f].path)
            summary = map_block(self.pipeline, int(number), block, self.files, self.work, self.limit)
            out.append(json.dumps({**summary, "pid": pid}))  # which worker: for tests and benches
        return {"summary": out}


def _write(
    batch: dict[str, np.ndarray], pipeline: Any, blocks: int, work: str, staging: str, form: str
) -> dict[str, list[str]]:
    """Write task: ``write_block`` for each block of a batch."""
    folder, where = WorkFolder.at(work), Location(staging)
    return {
        "summary": [
            json.dumps(write_block(pipeline, int(b), blocks, folder, where, form)) for b in batch["block"]
        ]
    }


def _plan_file(f: Any, number: int, config: dict[str, Any], target: int) -> list[dict[str, Any]]:
    from corpus.io.read.blocks import plan_file

    return [dataclasses.asdict(b) for b in plan_file(f, number, config, target)]


def _importable(modules: list[tuple[str, str]]) -> list[str]:
    """On a Ray worker: each ``(stage, module)`` that does not import there, with the reason."""
    import importlib

    bad = []
    for stage, module in modules:
        try:
            importlib.import_module(module)
        except Exception as exc:  # any failure to import is the answer
            bad.append(f"stage {stage!r} (module {module}): {type(exc).__name__}: {exc}")
    return bad


def _check_workers_import(pipeline: Any) -> None:
    """Stages from other packages (plugins) must import on the workers too: say so in one line now,
    rather than as a Ray traceback from every map actor."""
    import ray

    outside = [s for s in pipeline.stages if not type(s).__module__.startswith("corpus.")]
    modules = sorted({(s.name, type(s).__module__) for s in outside})
    if not modules:
        return
    bad = ray.get(ray.remote(num_cpus=0)(_importable).remote(modules))
    if bad:
        raise BuildError(
            f"the Ray workers cannot import {'; '.join(bad)}; install the package on every node "
            "(or set runtime_env), as on the driver"
        )


class RayEngine:
    """Ray Data on a cluster (``address``, else $RAY_ADDRESS, else a private local Ray)."""

    def __init__(
        self,
        pipeline: Any,
        address: str | None = None,
        workers: int | str | None = None,
        progress: bool | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.address = address or pipeline.settings.ray_address
        wanted = workers if workers is not None else pipeline.settings.workers
        self.wanted = None if wanted in (None, "auto", 0) else int(wanted)
        self.progress = progress
        self.files: list[Any] = []

    def check(self, pipeline: Any, files: list[Any]) -> None:
        """Bad read options fail here, not in a Ray task."""
        read_config = dict(pipeline.settings.input)
        ReadOptions.from_config(read_config)
        for f in files:
            detect_format(f.path, read_config.get("format", "auto"))
        self.files = [dataclasses.replace(f, path=_absolute(f.path)) for f in files]

    @contextmanager
    def session(self) -> Iterator[None]:
        """Ray (``--workers N`` on a private local Ray: N CPUs) and Ray Data set up for this build."""
        with cluster(self.address, self.wanted), data_context():
            self.cpus = cluster_cpus()
            self.actors = min(self.cpus, self.wanted) if self.wanted else self.cpus
            _check_workers_import(self.pipeline)
            with _as_build_errors():
                yield

    def plan(self, files: list[Any], target_bytes: int) -> list[Any]:
        import ray

        from corpus.io.fs import size
        from corpus.io.read.blocks import group_small, plan_file

        config = dict(self.pipeline.settings.input)
        remote = ray.remote(num_cpus=1)(_plan_file)
        pending = {}
        planned: dict[int, list[Block]] = {}
        for number, f in enumerate(self.files):
            if size(f.path) > target_bytes:
                pending[number] = remote.remote(f, number, config, target_bytes)
            else:
                planned[number] = plan_file(f, number, config, target_bytes)
        for number, ref in pending.items():
            planned[number] = [Block(**b) for b in ray.get(ref)]
        return group_small([b for n in range(len(self.files)) for b in planned[n]], target_bytes)

    def _run(self, what: str, ds: Any, done: Callable[[dict], None] | None) -> list[dict[str, Any]]:
        """Consume a dataset of block summaries, in any order; ``done`` sees each as it comes."""
        out: list[dict[str, Any]] = []
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            for raw in batch["summary"]:
                summary = json.loads(raw)
                if done is not None:
                    done(summary)
                _event("block_mapped" if what == "map" else "block_written", summary["block"])
                out.append(summary)
        return out

    def _blocks(self, rows: list[dict[str, Any]]) -> Any:
        import ray.data

        return ray.data.from_items(rows, override_num_blocks=max(1, len(rows)))

    def map(
        self,
        blocks: list[Any],
        todo: list[int],
        work: WorkFolder,
        done: Callable[[dict], None] | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """``map_block`` for each block of ``todo``; ``limit``: read at most that many records of each."""
        from ray.data import ActorPoolStrategy

        if not todo:
            return []
        rows = [{"block": b, "plan": json.dumps(dataclasses.asdict(blocks[b]))} for b in todo]
        ds = self._blocks(rows).map_batches(
            _Mapper,
            batch_size=1,
            batch_format="numpy",
            fn_constructor_args=(self.pipeline, self.files, _absolute(work.url), limit),
            # a fixed pool, one block per actor at a time: a block queued behind a busy actor
            # while another idles would make the slowest actor's queue the map's length
            compute=ActorPoolStrategy(size=min(self.actors, len(todo)), max_tasks_in_flight_per_actor=1),
            num_cpus=1,
        )
        return self._run("map", ds, done)

    def decide(
        self, blocks: int, work: WorkFolder, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, Any]:
        """The decide phase, in Ray tasks; ``progress`` hears of it once, at its end."""
        import ray

        url = _absolute(work.url)
        steps = distributable(self.pipeline)
        if steps is not None and self._distribute(work, blocks):
            summary = decide_distributed(self.pipeline, steps, work, url, blocks, self.cpus)
        else:
            here = ray.remote(num_cpus=1)(_decide_here)
            summary = ray.get(here.remote(self.pipeline, url, blocks))
        if progress is not None:  # the survivors of the map, decided in passes it cannot watch
            progress(1 + len(self.pipeline.global_steps), self._survivors(work, blocks))
        _event("decided", 0)
        return summary

    def _distribute(self, work: WorkFolder, blocks: int) -> bool:
        """Whether dedup is worth distributing: more survivors than one task decides in seconds
        (each shuffle costs the driver a second or more), or $CORPUS_RAY_DEDUP says so."""
        wanted = os.environ.get("CORPUS_RAY_DEDUP", "auto")
        if wanted in ("distributed", "one-task"):
            return wanted == "distributed"
        return self._survivors(work, blocks) > DISTRIBUTE_ABOVE

    def _survivors(self, work: WorkFolder, blocks: int) -> int:
        """The documents the map kept, from the blocks' summaries."""
        survivors = 0
        for b in range(blocks):
            mapped = work.read_json(block_name("map", b, ".json"))
            survivors += int(mapped.get("survivors", 0)) if isinstance(mapped, dict) else 0
        return survivors

    def write(
        self,
        blocks: int,
        todo: list[int],
        work: WorkFolder,
        staging: Location,
        form: str,
        done: Callable[[dict], None] | None = None,
    ) -> list[dict]:
        if not todo:
            return []
        ds = self._blocks([{"block": b} for b in todo]).map_batches(
            _write,
            batch_size=1,
            batch_format="numpy",
            fn_kwargs={
                "pipeline": self.pipeline,
                "blocks": blocks,
                "work": _absolute(work.url),
                "staging": _absolute(staging.url),
                "form": form,
            },
            num_cpus=1,
        )
        return self._run("write", ds, done)

    def finish_files(self, work: WorkFolder, staging: Location, blocks: int, form: str) -> dict[str, Any]:
        import ray

        task = ray.remote(num_cpus=1)(_finish_files)
        return ray.get(task.remote(self.pipeline, _absolute(work.url), _absolute(staging.url), blocks, form))


def _decide_here(pipeline: Any, work: str, blocks: int) -> dict[str, Any]:
    return decide_here(pipeline, WorkFolder.at(work), blocks)


def _finish_files(pipeline: Any, work: str, staging: str, blocks: int, form: str) -> dict[str, Any]:
    return finish_files(pipeline, WorkFolder.at(work), Location(staging), blocks, form)


def run_build(
    pipeline: Any,
    *,
    address: str | None = None,
    workers: int | str | None = None,
    output: str | Path | None = None,
    progress: bool | None = None,
) -> BuildResult:
    """Build ``pipeline.config`` on Ray: the local engine's output, byte for byte.

    Resumes an interrupted build from its committed blocks. Uses a Ray already initialised in
    this process as it is, and shuts down only a Ray it started.
    """
    engine = RayEngine(pipeline, address, workers, progress)
    return run_in_shell(pipeline, engine, output=output, progress=progress)
