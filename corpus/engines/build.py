"""The build shell both engines run inside: one sequence, one result, one manifest.

``run_build(pipeline, engine)``:

1. list the inputs (``corpus.io.read``) and let the engine check what it supports;
2. take the output (``corpus.engines.output.locked_output``: refused unless absent, empty or a
   previous build of ours; locked), hash the inputs (``Inputs``);
3. ``engine.open``: resume from the engine's committed work, or start afresh;
4. ``engine.map``: the per-document phase (``corpus.engines.phases.map_batch``) over every input
   record not yet committed;
5. check the inputs did not change meanwhile; ``engine.reduce`` into a staging folder through
   one ``Output`` (``corpus.io.write.sink``): the corpus steps decide, in input order;
6. ``finish``: check the accounting, write the card and the manifest; swap the staging folder
   into place; remove the work folder.

An ``Engine`` (``corpus.engines.local.LocalEngine``, ``corpus.engines.ray.engine.RayEngine``)
supplies only steps 3-5; everything a user can observe of a build is written here.
"""

from __future__ import annotations

import shutil
import statistics
import time
from array import array
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from corpus.engines.inputs import Inputs, recorded_config
from corpus.engines.output import locked_output, staging, swap
from corpus.errors import BuildError, ConfigError
from corpus.io.read.listing import InputFile, expand_inputs
from corpus.io.write.card import render_card
from corpus.io.write.manifest import config_hash, dependency_versions, write_json
from corpus.io.write.shards import sha256_file
from corpus.io.write.sink import Output
from corpus.stats import Stats
from corpus.version import __version__


@dataclass
class BuildResult:
    """What a finished build wrote (``output``, its ``manifest``) and what it cost."""

    output: Path
    manifest: dict[str, Any]
    stats: Stats = field(repr=False)
    seconds: float = 0.0
    resumed: int = 0  # units of committed work reused
    resumed_unit: str = "chunks"

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
            lines.append(f"  quarantined records (file, line, error): {self.output / 'quarantine.jsonl'}")
        if c.get("duplicate_ids"):
            lines.append(
                f"  warning: {c['duplicate_ids']} kept documents share an id with an earlier kept one "
                "(ids are not unique across the inputs; see manifest.json duplicate_id_examples)"
            )
        for stage, counters in self.manifest["stages"].items():
            parts = ", ".join(f"{k} {v}" for k, v in counters.items())
            lines.append(f"  {stage}: {parts}")
        lines.append(f"  shards: {', '.join(s['path'] for s in self.manifest['shards'])}")
        return "\n".join(lines)


class Engine(Protocol):
    """What an engine supplies to the shell: its work folder, the map phase and the reduce phase."""

    resumed_unit: str  # what ``open`` counts: "chunks", "input files"

    def check(self, pipeline: Any, files: list[InputFile]) -> None:
        """Refuse, before any work, what this engine cannot run (ConfigError)."""

    def session(self) -> AbstractContextManager[Any]:
        """Held around open, map and reduce (a Ray cluster; nothing for the local engine)."""

    def open(self, out_dir: Path, inputs: Inputs) -> None:
        """Open the work folder for a build of ``inputs`` (``build_run_record``): resume or start afresh."""

    def map(self) -> None:
        """The per-document phase over everything not yet committed."""

    def reduce(self, out: Output) -> tuple[Stats, list[Path]]:
        """The corpus steps, in input order, into ``out``; returns the stats and the files saved."""

    def remove(self) -> None:
        """Remove the work folder (the build is in place)."""

    @property
    def resumed(self) -> int:
        """Units of committed work the map reused (known once it ran)."""


def build_run_record(pipeline: Any, inputs: Inputs, **engine: Any) -> dict[str, Any]:
    """What a work folder is for: resuming needs the same toolkit, config and input bytes."""
    return {
        **engine,
        "toolkit_version": __version__,
        "config_sha256": config_hash(pipeline.config),
        "inputs": inputs.records,
    }


def run_build(
    pipeline: Any,
    engine: Any,
    *,
    output: str | Path | None = None,
    progress: bool | None = None,
) -> BuildResult:
    """Build ``pipeline.config`` with ``engine``; resumes from the engine's committed work."""
    settings = pipeline.settings
    if not settings.buildable:
        raise ConfigError(
            "a build needs input paths and an output: Pipeline.from_yaml(path), or "
            "pipeline.build(inputs=[...], output=...)"
        )
    started = time.perf_counter()
    out_dir = Path(output or settings.output.path)
    files = expand_inputs(list(settings.input["paths"]), relative_to=pipeline.config_dir)
    config = pipeline.config
    engine.check(pipeline, files)
    with locked_output(out_dir, files, config):
        inputs = Inputs(files)
        with engine.session():
            engine.open(out_dir, inputs)
            clock = time.process_time  # this process's CPU; the workers' is in stats.seconds by stage
            t_map = clock()
            engine.map()
            t_map = clock() - t_map
            inputs.check_unchanged()
            tmp = staging(out_dir)
            try:
                t_reduce = clock()
                with Output(tmp, config["output"]) as out:
                    stats, saved = engine.reduce(out)
                t_finish = clock()
                manifest = finish(pipeline, out, stats, inputs.records, saved)
                stats.seconds["phase.map"] += t_map
                stats.seconds["phase.reduce"] += t_finish - t_reduce
                stats.seconds["phase.finish"] += clock() - t_finish
                swap(tmp, out_dir)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        engine.remove()
    return BuildResult(
        out_dir, manifest, stats, time.perf_counter() - started, engine.resumed, engine.resumed_unit
    )


def finish(
    pipeline: Any, out: Output, stats: Stats, inputs: list[dict[str, Any]], saved: list[Path]
) -> dict[str, Any]:
    """Close the shards, check the accounting, write the card and the manifest into ``out.tmp``.

    Every record read is kept, dropped, quarantined or skipped, or the build fails; so does a
    build that read documents and kept none, unless ``output.allow_empty``.
    """
    config = recorded_config(pipeline.config, pipeline.config_dir)
    tmp, ledger, sink = out.tmp, out.ledger, out.sink
    read, quarantined = ledger.read, ledger.quarantined
    skipped = dict(sorted(ledger.skipped.items()))
    shards = out.writer.close()
    kept = len(sink.lengths)
    dropped = sum(sink.drops.values())
    if read != kept + dropped + quarantined + sum(skipped.values()):
        raise BuildError(
            f"accounting does not close: read {read} != kept {kept} + dropped {dropped} "
            f"+ quarantined {quarantined} + skipped {sum(skipped.values())}"
        )
    if kept == 0 and read > 0 and not config["output"].get("allow_empty", False):
        reasons = [f"{n} {why}" for why, n in sorted(sink.drops.items())]
        reasons += [f"{quarantined} quarantined"] * bool(quarantined)
        reasons += [f"{n} skipped ({why})" for why, n in skipped.items()]
        raise BuildError(
            f"read {read} records and kept none ({', '.join(reasons)}); nothing was written. "
            "Check the config (a language keep-list, the text field), or set output.allow_empty: true "
            "(--allow-empty) to write an empty dataset"
        )
    for name in ("quarantine.jsonl", "dropped.jsonl"):
        if (tmp / name).stat().st_size == 0:
            (tmp / name).unlink()
    manifest = {
        "toolkit_version": __version__,
        "dependencies": dependency_versions(),
        "config": config,
        "config_sha256": config_hash(config),
        "inputs": inputs,
        "shards": shards,
        "counts": {
            "read": read,
            "kept": kept,
            "dropped": dict(sorted(sink.drops.items())),
            "quarantined": quarantined,
            "skipped": skipped,
            "invalid_utf8_replaced": ledger.invalid_utf8,
            "duplicate_ids": sink.duplicate_ids,
            "splits": {name: sink.splits[name] for name in out.writer.ratios},
        },
        **({"duplicate_id_examples": sink.duplicate_id_examples} if sink.duplicate_ids else {}),
        "languages": dict(sorted(sink.langs.items(), key=lambda kv: (-kv[1], kv[0]))),
        "length_chars": _length_stats(sink.lengths),
        "stages": stats.by_stage(),
    }
    (tmp / "README.md").write_text(render_card(manifest), encoding="utf-8")
    names = [name for name in ("README.md", "dropped.jsonl", "quarantine.jsonl") if (tmp / name).exists()]
    names += [p.relative_to(tmp).as_posix() for p in saved]
    manifest["files"] = [
        {"path": name, "bytes": (tmp / name).stat().st_size, "sha256": sha256_file(tmp / name)}
        for name in names
    ]
    write_json(tmp / "manifest.json", manifest)
    return manifest


def _length_stats(lengths: array) -> dict[str, Any]:
    if not lengths:
        return {"min": 0, "max": 0, "mean": 0, "median": 0, "total": 0}
    return {
        "min": min(lengths),
        "max": max(lengths),
        "mean": round(sum(lengths) / len(lengths), 1),
        "median": statistics.median(lengths),
        "total": sum(lengths),
    }
