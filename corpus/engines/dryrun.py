"""``corpus build --dry-run``: what a build would do, found without doing any of it.

``describe_build`` resolves the inputs (files and sizes), plans the blocks as the build would
(``corpus.io.read.blocks.plan_blocks``: both engines plan the same blocks), and says which
stages run in which order with their options, on which engine and how many workers, and what
the output path holds now: absent, empty, a previous build (which would be replaced), or
something a build refuses to replace (with the reason the build would give). It writes
nothing: no output, no work folder, no lock.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from corpus.errors import BuildError
from corpus.io.fs import Location, size


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _stage_lines(pipeline: Any) -> list[str]:
    """The stages in the order they run: per-document ones, then the corpus steps."""
    lines = []
    order = [(s, "per document") for s in pipeline.doc_stages]
    order += [(s, "corpus step") for s in pipeline.corpus_steps]
    for number, (stage, kind) in enumerate(order, 1):
        declared = getattr(type(stage), "OPTIONS", {})
        config = stage.get_config()
        changed = {k: v for k, v in config.items() if k not in declared or declared[k].default != v}
        rest = len(config) - len(changed)
        shown = ", ".join(f"{k}={_value(v)}" for k, v in changed.items())
        if rest:
            shown += f" (+{rest} at their defaults)" if changed else "options at their defaults"
        lines.append(f"  {number}. {stage.name} [{kind}]" + (f": {shown}" if shown else ""))
    return lines or ["  (none: documents are read and written as they are)"]


def _engine_line(pipeline: Any, engine: str, workers: Any, address: str | None, nbytes: int) -> str:
    wanted = workers if workers is not None else pipeline.settings.workers
    if engine == "ray":
        where = (
            address or pipeline.settings.ray_address or os.environ.get("RAY_ADDRESS") or "a private local Ray"
        )
        cpus = f"{wanted} CPUs" if wanted not in (None, "auto", 0) else "every CPU it offers"
        return f"engine: ray on {where}, {cpus}"
    if wanted in (None, "auto"):
        count = 0 if nbytes < 1 << 20 else (os.cpu_count() or 1)
        why = " (input under 1 MB: in-process)" if count == 0 else " (auto: every core)"
        return f"engine: local, {count} worker processes{why}"
    return f"engine: local, {wanted} worker processes" + (" (in-process)" if wanted == 0 else "")


def _output_state(pipeline: Any, out: Location, files: list[Any]) -> tuple[str, bool]:
    """What the output path holds and what the build would do to it; whether it may proceed."""
    from corpus.engines.output import check_output, check_remote_inputs, check_remote_output, input_folders

    config = pipeline.config
    overwrite = config["output"].get("overwrite", True)
    try:
        if out.is_local:
            check_output(Path(out.url), [f.path for f in files] + input_folders(config), overwrite=overwrite)
        else:
            check_remote_inputs(out, [f.path for f in files], config["input"]["paths"])
            check_remote_output(out, overwrite=overwrite)
    except BuildError as exc:
        return f"refused: {exc}", False
    manifest = None
    if out.exists("manifest.json"):
        try:
            manifest = json.loads(out.read_bytes("manifest.json"))
        except (OSError, ValueError):
            manifest = None
    if isinstance(manifest, dict):
        counts = manifest.get("counts") or {}
        shards = len(manifest.get("shards") or [])
        what = (
            f"an earlier build (toolkit {manifest.get('toolkit_version', '?')}, "
            f"kept {counts.get('kept', '?')}, {shards} shards): it would be replaced whole"
        )
        return what, True
    if out.is_local and Path(out.url).is_dir():
        return "an empty folder: the build would be written into it", True
    return "absent: it would be created", True


def describe_build(
    pipeline: Any,
    *,
    output: str | Path | None = None,
    engine: str | None = None,
    workers: Any = None,
    address: str | None = None,
) -> tuple[str, bool]:
    """The plan of ``pipeline``'s build, as lines for a person; and whether the build could run."""
    from corpus.engines.build import block_bytes
    from corpus.engines.work import WorkFolder
    from corpus.io.read.blocks import plan_blocks
    from corpus.io.read.listing import expand_inputs

    settings = pipeline.settings
    files = expand_inputs(list(settings.input["paths"]), relative_to=pipeline.config_dir)
    sizes = [size(f.path) if not os.path.isdir(f.path) else _folder_bytes(f.path) for f in files]
    nbytes = sum(sizes)
    target = block_bytes(settings)
    blocks = plan_blocks(files, dict(settings.input), target)
    engine = engine or settings.engine
    inp = settings.input
    lines = [f"dry run of {settings.name!r}: nothing is read past planning, nothing is written"]
    lines.append(f"inputs: {len(files)} files, {_size(nbytes)} (format {inp.get('format', 'auto')})")
    for f, n in list(zip(files, sizes, strict=True))[:20]:
        lines.append(f"  {f.name}  {_size(n)}")
    if len(files) > 20:
        lines.append(f"  ... and {len(files) - 20} more")
    if inp.get("limit") is not None:
        lines.append(f"limit: the first {inp['limit']} records only")
    if inp.get("sample") is not None and inp["sample"] < 1:
        lines.append(f"sample: {inp['sample']:g} of the records (seed {inp.get('sample_seed', 0)})")
    lines.append("stages, in the order they run:")
    lines += _stage_lines(pipeline)
    lines.append(_engine_line(pipeline, engine, workers, address, nbytes))
    lines.append(f"blocks: {len(blocks)} (block_size {settings.block_size}, at most {_size(target)} each)")
    out = Location(str(output or settings.output.path))
    state, ok = _output_state(pipeline, out, files)
    lines.append(f"output: {out}: {state}")
    work = WorkFolder(out)
    if work.loc.is_local and Path(work.url).exists():
        lines.append(
            f"work folder: {work.url} exists: a build of the same run resumes from its committed blocks"
        )
    return "\n".join(lines), ok


def _folder_bytes(path: str) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
