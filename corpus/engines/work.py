"""The work folder of a build: the plan, and each phase's committed output, block by block.

A build's unit of work is a *block* of input (``corpus.io.read.blocks``: a byte range, some
lines, some row groups, or a few small files). Every phase writes its output for a block and
then its *marker*, a small JSON file renamed into place (or put whole, on an object store): a
block whose marker is there is done, anything else is redone. So a build killed at any point
(the driver or a worker) and run again with the same command redoes only the blocks, and the
phases, without a marker. The folder, ``.{name}.work`` beside the output (a local path or an
fsspec URL), holds:

- ``run.json``: what it is for (toolkit version, config hash, inputs with their sha256). A
  different run starts afresh;
- ``plan.json``: the blocks, in input order (written once);
- ``map/block-NNNNNN.parquet`` + ``.json``: the per-document stages' output and its summary;
- ``decide/``: the corpus steps' decisions, per block, and ``decide/done.json``;
- ``write/block-NNNNNN.json`` (+ ``ids/``, ``logs/``): what each block wrote to the output;
- ``output/``: the build being written (swapped or copied into place at the end);
- ``finished.json``: the build in ``output/`` is complete (its manifest's sha256).

Nothing in it can carry code: Parquet and JSON only, checked when read back.
"""

from __future__ import annotations

import json
from typing import Any

from corpus.errors import BuildError
from corpus.io.fs import Location

RUN_FILE = "run.json"
PLAN_FILE = "plan.json"
DECIDED = "decide/done.json"


def dump(value: Any) -> bytes:
    """JSON for the work folder: ASCII (escapes keep lone surrogates), sorted keys."""
    return json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode("ascii")


def block_name(phase: str, number: int, suffix: str) -> str:
    """``map/block-000012.parquet`` and the like."""
    return f"{phase}/block-{number:06d}{suffix}"


class WorkFolder:
    """``.{name}.work`` beside the output ``out`` (a Location): markers, plan, per-block files."""

    def __init__(self, out: Location, suffix: str = ".work") -> None:
        parent, _, name = out.url.rstrip("/").rpartition("/") if not out.is_local else _split_local(out.url)
        self.loc = Location(_join(parent, f".{name}{suffix}", out.is_local))

    @classmethod
    def at(cls, url: str) -> WorkFolder:
        """The work folder at ``url`` itself (a worker is given its URL, not the output's)."""
        work = cls.__new__(cls)
        work.loc = Location(url)
        return work

    @property
    def url(self) -> str:
        return self.loc.url

    def open(self, run: dict[str, Any]) -> bool:
        """Prepare for ``run``; True when committed work of the same run is there to resume."""
        if self.loc.exists(RUN_FILE):
            try:
                same = json.loads(self.loc.read_bytes(RUN_FILE)) == json.loads(dump(run))
            except ValueError:
                same = False
            if same:
                return True
        elif self.loc.exists() and self.loc.listdir():
            raise BuildError(
                f"{self.loc}: exists and is not a work folder of this toolkit (no {RUN_FILE}); "
                "move it away: a build keeps its work there"
            )
        self.loc.remove(recursive=True)
        self.loc.makedirs()
        self.loc.write_bytes(RUN_FILE, dump(run))
        return False

    def read_json(self, name: str) -> Any:
        """A committed JSON file, or None when absent; BuildError when it is not ours."""
        if not self.loc.exists(name):
            return None
        try:
            return json.loads(self.loc.read_bytes(name))
        except ValueError as exc:
            raise BuildError(
                f"{self.loc.url_of(name)}: not a file this toolkit wrote ({exc}); "
                "remove the work folder and run again"
            ) from None

    def not_ours(self, name: str, why: Any) -> BuildError:
        """The error for a file of the work folder this toolkit did not write (forged, damaged)."""
        return BuildError(
            f"{self.loc.url_of(name)}: not a file this toolkit wrote ({why}); "
            "remove the work folder and run again"
        )

    def read_table(
        self, name: str, columns: list[str] | None = None, types: dict[str, Any] | None = None
    ) -> Any:
        """A committed Parquet file (or some of its columns) as an Arrow table; BuildError naming it
        when it is not Parquet, or a column named in ``types`` is missing or of another type."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        fs, path = self.loc.arrow(name)
        try:
            t = pq.read_table(path, filesystem=fs, columns=columns)
        except (pa.ArrowException, OSError) as exc:
            raise self.not_ours(name, exc) from None
        for column, kind in (types or {}).items():
            if columns is not None and column not in columns:
                continue
            if column not in t.column_names or t.schema.field(column).type != kind:
                raise self.not_ours(name, f"column {column!r}")
        return t

    def decided(self) -> dict[str, Any] | None:
        """The committed decide summary (``decide/done.json``), checked; None before the decide phase."""
        d = self.read_json(DECIDED)
        if d is None:
            return None
        saved = d.get("saved", []) if isinstance(d, dict) else None
        ok = (
            isinstance(d, dict)
            and d.get("form") in ("here", "distributed")
            and isinstance(d.get("stats", {}), dict)
            and isinstance(saved, list)
            and all(isinstance(n, str) and _relative(n) for n in saved)
        )
        if not ok:
            raise self.not_ours(DECIDED, "not a decide summary")
        return d

    def write_json(self, name: str, value: Any) -> None:
        self.loc.write_bytes(name, dump(value))

    def done(self, phase: str) -> set[int]:
        """The blocks whose ``phase`` marker is committed."""
        return {
            int(name[6:12])
            for name in self.loc.listdir(phase)
            if name.startswith("block-") and name.endswith(".json") and len(name) == 17
        }

    def remove(self) -> None:
        """Delete the work folder, only when it is ours (it holds the run marker)."""
        if self.loc.exists(RUN_FILE):
            self.loc.remove(recursive=True)


def _relative(name: str) -> bool:
    """A plain relative POSIX name inside a folder (no absolute path, no ``..``, no backslash)."""
    if not name or "\\" in name or ":" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def _split_local(path: str) -> tuple[str, str, str]:
    import os

    path = os.path.normpath(path)
    return os.path.dirname(path), "/", os.path.basename(path)


def _join(parent: str, name: str, local: bool) -> str:
    import os

    return os.path.join(parent, name) if local else f"{parent}/{name}"
