"""The build shell both engines run inside: one sequence of phases, one result, one manifest.

``run_build(pipeline, engine)``:

1. list the inputs (``corpus.io.read``) and let the engine check what it supports;
2. take the output (``corpus.engines.output``: refused unless absent, empty or a previous build
   of ours; locked), hash the inputs (``Inputs``);
3. open the work folder (``corpus.engines.work``): resume the same run's committed work, or start
   afresh; plan the blocks once (``engine.plan``) and record the plan;
4. ``engine.map``: every block without a map marker (``corpus.engines.mapping.map_block``, run by
   workers that read their block themselves); with ``input.limit`` N, one block at a time in plan
   order until N records are read, and the plan cut to the blocks mapped;
5. ``engine.decide``: the corpus steps' decisions (``corpus.engines.deciding``), unless committed;
6. ``engine.write``: every block without a write marker writes its shards and log pieces
   (``corpus.engines.writing.write_block``) into the build being written;
7. check the inputs did not change; ``engine.finish_files`` (the logs, the index, the
   duplicate-id check, where the workers run) and ``finish`` (``corpus.engines.finish``): the
   accounting, the card and the manifest, from the blocks' summaries; swap the build into place;
   remove the work folder.

An ``Engine`` (``corpus.engines.local.LocalEngine``, ``corpus.engines.ray.engine.RayEngine``)
says only *where* each block's phase runs; what a phase does is written once, in the modules
above, so both engines write the same bytes. The progress of each phase (hash inputs, map,
decide, write, finish) is shown here, from what the engine reports (``corpus.engines.progress``).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from corpus.engines.finish import finish
from corpus.engines.inputs import Inputs
from corpus.engines.output import claimed_output, swap_into
from corpus.engines.progress import Progress
from corpus.engines.work import PLAN_FILE, WorkFolder, block_name
from corpus.errors import BuildError, ConfigError
from corpus.io.fs import Location
from corpus.io.read.listing import InputFile, expand_inputs
from corpus.io.write.manifest import config_hash
from corpus.io.write.shards import parse_size
from corpus.stats import Stats
from corpus.version import __version__

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What a finished build wrote (``output``, its ``manifest``) and what it cost."""

    output: Path | str  # a local folder, or the URL of a remote one
    manifest: dict[str, Any]
    stats: Stats = field(repr=False)
    seconds: float = 0.0
    resumed: int = 0  # units of committed work reused
    resumed_unit: str = "blocks"

    @property
    def resumed_chunks(self) -> int:
        return self.resumed

    def summary(self) -> str:
        c = self.manifest["counts"]
        resumed = f" (resumed: {self.resumed} {self.resumed_unit} reused)" if self.resumed else ""
        took = f" in {self.seconds:.1f}s" if self.seconds else ""
        skipped = c.get("skipped") or {}
        lines = [
            f"built {self.output}{took}{resumed}: read {c['read']}, kept {c['kept']}, "
            f"dropped {sum(c['dropped'].values())}, quarantined {c['quarantined']}"
            + (f", skipped {sum(skipped.values())}" if skipped else ""),
        ]
        lines += [f"  dropped {reason}: {n}" for reason, n in c["dropped"].items()]
        lines += [f"  skipped {reason}: {n}" for reason, n in skipped.items()]
        if c.get("quarantined"):
            lines.append(f"  quarantined records (file, line, error): {self.output}/quarantine.jsonl")
        if c.get("duplicate_ids"):
            lines.append(
                f"  warning: {c['duplicate_ids']} kept documents share an id with an earlier kept one "
                "(ids are not unique across the inputs; see manifest.json duplicate_id_examples)"
            )
        stages = self.manifest["stages"]
        order = [next(iter(item)) for item in self.manifest.get("config", {}).get("stages", [])]
        for stage in [s for s in order if s in stages] + sorted(set(stages) - set(order)):
            parts = ", ".join(f"{k} {v}" for k, v in stages[stage].items())
            lines.append(f"  {stage}: {parts}")
        tokens = self.manifest.get("tokens")
        if tokens:
            about = "about " if tokens.get("method") == "sample" else ""
            lines.append(f"  tokens ({tokens['tokenizer']}): {about}{tokens['total']:,}")
        shards = [s["path"] for s in self.manifest["shards"]]
        more = f", ... ({len(shards)} in all)" if len(shards) > 4 else ""
        lines.append(f"  shards: {', '.join(shards[:4])}{more}")
        if any(f.get("path") == "report.html" for f in self.manifest.get("files", [])):
            lines.append(f"  report: {self.output}/report.html")
        return "\n".join(lines)


class Engine(Protocol):
    """Where the phases of a build run: this machine's processes, or a Ray cluster."""

    def check(self, pipeline: Any, files: list[InputFile]) -> None:
        """Refuse, before any work, what this engine cannot run (ConfigError)."""

    def session(self) -> AbstractContextManager[Any]:
        """Held around the phases (a Ray cluster; nothing for the local engine)."""

    def plan(self, files: list[InputFile], target_bytes: int) -> list[Any]:
        """The blocks of the inputs, in input order (``corpus.io.read.blocks``)."""

    def map(
        self,
        blocks: list[Any],
        todo: list[int],
        work: WorkFolder,
        done: Callable[[dict], None] | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """``map_block`` for each block number in ``todo`` (at most ``limit`` records of each);
        their summaries, each also given to ``done`` as it comes (the progress shown)."""

    def decide(
        self, blocks: int, work: WorkFolder, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, Any]:
        """The corpus steps' decisions into the work folder; the decide summary.
        ``progress(passes, docs)`` hears of the work as it is done, where the engine can say."""

    def write(
        self,
        blocks: int,
        todo: list[int],
        work: WorkFolder,
        staging: Location,
        form: str,
        done: Callable[[dict], None] | None = None,
    ) -> list[dict]:
        """``write_block`` for each block number in ``todo``; their summaries (each to ``done``)."""

    def finish_files(self, work: WorkFolder, staging: Location, blocks: int, form: str) -> dict[str, Any]:
        """``corpus.engines.finish.finish_files``, wherever the engine runs it."""


def build_run_record(pipeline: Any, inputs: Inputs, **engine: Any) -> dict[str, Any]:
    """What a work folder is for: resuming needs the same toolkit, config and input bytes."""
    return {
        **engine,
        "toolkit_version": __version__,
        "config_sha256": config_hash(pipeline.config),
        "inputs": inputs.records,
    }


def block_bytes(settings: Any) -> int:
    """The block size: ``block_size``, capped by ``output.max_shard_size``."""
    size = parse_size(settings.block_size)
    if settings.output.max_shard_size:
        size = min(size, parse_size(settings.output.max_shard_size))
    return max(1, size)


def _plan(engine: Any, work: WorkFolder, files: list[InputFile], target: int) -> list[Any]:
    from corpus.io.read.blocks import Block

    recorded = work.read_json(PLAN_FILE)
    if recorded is None:
        blocks = engine.plan(files, target)
        work.write_json(PLAN_FILE, {"blocks": [dataclasses.asdict(b) for b in blocks]})
        return blocks
    try:
        return [Block(**b) for b in recorded["blocks"]]
    except (TypeError, KeyError) as exc:
        raise BuildError(
            f"{work.url}/{PLAN_FILE}: not a plan this toolkit wrote ({exc}); remove it"
        ) from None


FINISHED = "finished.json"  # in the work folder: the build is complete in output/, its manifest's sha256
MANIFEST = "manifest.json"


def _finished_before(work: WorkFolder, out: Location) -> dict[str, Any] | None:
    """The manifest of this run's build if an earlier try finished it (and was killed before the
    work folder was removed): the swap into place is completed if it was not, never redone."""
    import json

    record = work.read_json(FINISHED)
    if record is None:
        return None
    staging = work.loc.child("output")
    if staging.exists(MANIFEST):  # not swapped yet, or (remote) not all copied
        swap_into(staging, out)
    want = record.get("manifest_sha256") if isinstance(record, dict) else None
    if not out.exists(MANIFEST) or out.sha256(MANIFEST) != want:
        raise BuildError(
            f"{work.url}: a finished build whose output is not in place at {out.url}; remove "
            "the work folder and build again"
        )
    return json.loads(out.read_bytes(MANIFEST))


def _map_limited(engine: Any, work: WorkFolder, blocks: list[Any], limit: int, phase: Any) -> list[Any]:
    """The map of ``input.limit``: blocks one at a time in plan order, each told how many records
    are still wanted, until ``limit`` are read; the plan is cut to the blocks mapped."""
    mapped = work.done("map")
    wanted, cut = limit, 0
    while cut < len(blocks) and wanted > 0:
        if cut in mapped:  # an earlier try of this run mapped it
            summary = work.read_json(block_name("map", cut, ".json"))
            phase.summary(summary)
        else:
            (summary,) = engine.map(blocks, [cut], work, phase.summary, limit=wanted)
        wanted -= int(summary["read"])
        cut += 1
    cut = max(cut, 1)  # a build has a block, even of nothing
    if cut < len(blocks):
        blocks = blocks[:cut]
        work.write_json(PLAN_FILE, {"blocks": [dataclasses.asdict(b) for b in blocks], "limit": limit})
    return blocks


def run_build(
    pipeline: Any,
    engine: Any,
    *,
    output: str | Path | None = None,
    progress: bool | None = None,
) -> BuildResult:
    """Build ``pipeline.config`` with ``engine``; resumes from the committed work of the same run.

    ``progress``: None shows bars on a terminal and plain lines elsewhere, False nothing
    (``corpus.engines.progress``)."""
    settings = pipeline.settings
    if not settings.buildable:
        raise ConfigError(
            "a build needs input paths and an output: Pipeline.from_yaml(path), or "
            "pipeline.build(inputs=[...], output=...)"
        )
    started = time.perf_counter()
    shown = Progress(progress)
    out = Location(str(output or settings.output.path))
    files = expand_inputs(list(settings.input["paths"]), relative_to=pipeline.config_dir)
    engine.check(pipeline, files)
    limit = settings.input.get("limit")
    seconds = Stats()
    clock = time.process_time
    with claimed_output(out, files, pipeline.config):
        with shown.phase("hash inputs", total=len(files), unit="files", extra="bytes") as phase:
            inputs = Inputs(files, on_hashed=lambda nbytes: phase.update(1, nbytes))
        work = WorkFolder(out)
        work.open(build_run_record(pipeline, inputs, block_size=block_bytes(settings)))
        manifest = _finished_before(work, out)
        if manifest is not None:  # killed after its finish: the swap is done, or is done now
            n = len(work.done("map"))
            todo, stats = [], Stats()
        else:
            with engine.session():
                t0 = clock()
                blocks = _plan(engine, work, files, block_bytes(settings))
                log.info("planned %d block(s) of at most %s of input each", len(blocks), settings.block_size)
                mapped = work.done("map")
                todo = [b for b in range(len(blocks)) if b not in mapped]
                with shown.phase("map", total=len(blocks), initial=len(blocks) - len(todo)) as phase:
                    if limit is None:
                        summaries = engine.map(blocks, todo, work, phase.summary)
                    else:
                        phase.initial = phase.done = 0
                        blocks = _map_limited(engine, work, blocks, limit, phase)
                        summaries = []
                        phase.total = len(blocks)
                n = len(blocks)
                todo = [b for b in todo if b < n]
                for summary in summaries:
                    seconds.seconds.update(summary.get("seconds", {}))
                passes = 1 + len(pipeline.global_steps)
                with shown.phase("decide", total=passes, unit="passes") as phase:
                    if work.decided() is None:
                        seconds.seconds.update(engine.decide(n, work, phase.update).get("seconds", {}))
                    else:
                        phase.update(passes)
                form = work.decided()["form"]
                staging = work.loc.child("output")
                unwritten = [b for b in range(n) if b not in work.done("write")]
                with shown.phase("write", total=n, initial=n - len(unwritten)) as phase:
                    for summary in engine.write(n, unwritten, work, staging, form, phase.summary):
                        seconds.seconds.update(summary.get("seconds", {}))
                with shown.phase("finish", total=2, unit="steps", extra=None) as phase:
                    inputs.check_unchanged()
                    gathered = engine.finish_files(work, staging, n, form)
                    phase.update(1)
                    manifest, stats = finish(pipeline, work, staging, n, inputs.records, gathered)
                    phase.update(1)
                stats.seconds.update(seconds.seconds)
                stats.seconds["phase.driver"] += clock() - t0
            work.write_json(FINISHED, {"manifest_sha256": staging.sha256(MANIFEST)})
            swap_into(staging, out)
        work.remove()
    where = Path(out.url) if out.is_local else out.url
    return BuildResult(where, manifest, stats, time.perf_counter() - started, n - len(todo), "blocks")
