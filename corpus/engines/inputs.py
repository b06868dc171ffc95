"""The inputs of a build as the manifest records them: a portable name and a sha256 each.

An input is a file or a Hugging Face dataset folder (hashed over its files, sorted by relative
path). The hash is taken before the build reads the input; its size and modification time are
taken with it and checked again once the build has read everything, so an input that changed
while the build read it stops the build instead of leaving a manifest that names bytes the
dataset did not come from.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.errors import BuildError
from corpus.io import fs
from corpus.io.read.listing import record_name
from corpus.io.write.shards import sha256_file


def _files(path: str) -> list[Path]:
    """The regular files an input consists of: itself, or a folder's files sorted by relative path."""
    root = Path(path)
    if not root.is_dir():
        return [root]
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        out += [Path(dirpath) / name for name in filenames]
    return sorted(out, key=lambda p: p.relative_to(root).as_posix())


def sha256_input(path: str) -> str:
    """sha256 of a file, or of a folder: over each file's relative path and sha256, in sorted order."""
    if fs.is_url(path):
        return fs.sha256(path)
    root = Path(path)
    if not root.is_dir():
        return sha256_file(root)
    digest = hashlib.sha256()
    for f in _files(path):
        digest.update(f"{f.relative_to(root).as_posix()}\0{sha256_file(f)}\n".encode())
    return digest.hexdigest()


def _state(path: str) -> list[tuple[str, int, Any]]:
    if fs.is_url(path):
        try:
            return [(path, *fs.fingerprint(path))]
        except OSError as exc:
            raise BuildError(f"input {fs.shown(path)}: cannot read: {exc}") from None
    try:
        return [(f.as_posix(), (st := f.stat()).st_size, st.st_mtime_ns) for f in _files(path)]
    except OSError as exc:
        raise BuildError(f"input {path}: cannot read: {exc.strerror or exc}") from None


@dataclass
class Inputs:
    """The input files of one build (``corpus.io.read.InputFile``), hashed once;
    ``on_hashed(nbytes)`` hears of each file as it is hashed (the build's progress)."""

    files: list[Any]
    on_hashed: Callable[[int], None] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._before = [_state(f.path) for f in self.files]
        self.bytes = sum(part[1] for state in self._before for part in state)
        try:
            self.records = []
            for f, state in zip(self.files, self._before, strict=True):
                self.records.append({"path": f.name, "sha256": sha256_input(f.path)})
                if self.on_hashed is not None:
                    self.on_hashed(sum(part[1] for part in state))
        except OSError as exc:
            raise BuildError(f"input {exc.filename}: cannot read: {exc.strerror or exc}") from None

    def paths(self) -> Iterable[str]:
        return [f.path for f in self.files]

    def check_unchanged(self) -> None:
        """Stop the build if an input changed (size or mtime) since it was hashed."""
        for f, before in zip(self.files, self._before, strict=True):
            if _state(f.path) != before:
                raise BuildError(
                    f"input {f.name}: changed while the build read it; run the build again "
                    "once nothing writes to its inputs"
                )


def recorded_config(config: dict[str, Any], relative_to: str | None = None) -> dict[str, Any]:
    """The config as the manifest and card record it: no absolute path of the building machine."""
    out = {**config, "input": {**config["input"]}, "output": {**config["output"]}}
    out["input"]["paths"] = [_recorded(p, relative_to) for p in config["input"]["paths"]]
    out["output"]["path"] = _recorded(config["output"]["path"], relative_to)
    return out


def _recorded(path: str, relative_to: str | None) -> str:
    """A path as the readers record inputs (``record_name``); a URL as it is."""
    return fs.shown(path) if "://" in path else record_name(path, relative_to)
