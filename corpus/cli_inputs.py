"""What `corpus` commands read: one file for clean/explain, --dedup-against, and the build's
input overrides (--input, --limit, --sample/--seed)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corpus.document import Document
from corpus.errors import ConfigError


class _Reading:
    """The documents of one input file for clean/explain; unreadable records go to stderr, counted.

    ``skipped FILE:LINE: reason`` for each record that is quarantined or skipped by design, so a
    user sees what was left out; ``read`` tells the caller whether anything could be read at all.
    """

    def __init__(self, path: str, fmt: str) -> None:
        from dataclasses import replace

        from corpus.io.read import expand_inputs

        # The build's checks (missing, unreadable, special files) and its recorded name.
        if os.path.isdir(path):
            raise ConfigError(f"{path}: a folder; clean and explain take one file")
        found = expand_inputs([path])
        if len(found) != 1:  # a glob, or a folder of an object store (s3://bucket/dir/)
            some = ", ".join(f.name for f in found[:3]) + (", ..." if len(found) > 3 else "")
            raise ConfigError(f"{path}: matches {len(found)} files ({some}); clean and explain take one file")
        found = found[0]
        self.input = replace(found, id_prefix=Path(path).name)
        self.path, self.fmt, self.read, self.skipped = path, fmt, 0, 0

    def __iter__(self) -> Iterator[Document]:
        from corpus.io.read import Quarantined, Skipped, read_input

        for item in read_input(self.input, {"format": self.fmt}):
            if isinstance(item, (Quarantined, Skipped)):
                offset = getattr(item, "offset", None)
                where = f"{item.path}:{item.line}" if item.line else item.path
                where += f" (byte {offset})" if offset is not None and not item.line else ""
                reason = getattr(item, "error", None) or getattr(item, "reason", "")
                print(f"skipped {where}: {reason}", file=sys.stderr)
                self.skipped += 1
                continue
            self.read += 1
            yield item

    def nothing_read(self) -> int:
        """1 (with a message) when no document could be read, else 0."""
        if self.read:
            return 0
        why = f"all {self.skipped} records were skipped" if self.skipped > 1 else "it holds no document"
        why = "its one record was skipped" if self.skipped == 1 else why
        print(f"corpus: error: {self.path}: nothing to read ({why})", file=sys.stderr)
        return 1


def _with_index(config: dict[str, Any], path: str, where: str) -> dict[str, Any]:
    """``config`` with its near_dedup step deduplicating against an earlier build's index."""
    from corpus.dedup.index import INDEX_DIR

    items = [item for item in config["stages"] if "near_dedup" in item]
    if not items:
        raise ConfigError(f"--dedup-against needs a near_dedup stage in {where}")
    index = Path(path) / INDEX_DIR if (Path(path) / INDEX_DIR).is_dir() else Path(path)
    if not (index / "header.json").is_file():
        raise ConfigError(
            f"--dedup-against {path}: no near-dedup index there (a build directory or its {INDEX_DIR}/)"
        )
    _check_index(index, path)
    items[0]["near_dedup"] = {**(items[0]["near_dedup"] or {}), "index": index.as_posix()}
    return config


def _check_index(index: Path, given: str) -> None:
    """Refuse a damaged index now, with a message, rather than as a traceback after the map phase."""
    import json

    import numpy as np

    fix = "point --dedup-against at a finished build, or rebuild the one it names"
    header_path = index / "header.json"
    try:
        header = json.loads(header_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"--dedup-against {given}: {header_path} is not a readable index header ({exc}); {fix}"
        ) from None
    if not isinstance(header, dict) or not isinstance(header.get("ids"), list) or "params" not in header:
        raise ConfigError(f"--dedup-against {given}: {header_path} lacks 'ids' or 'params'; {fix}")
    sig_path = index / "signatures.npy"
    try:
        sigs = np.load(sig_path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        reason = "missing" if not sig_path.exists() else f"unreadable ({exc})"
        raise ConfigError(f"--dedup-against {given}: {sig_path} is {reason}; {fix}") from None
    if sigs.ndim != 2 or len(sigs) != len(header["ids"]):
        raise ConfigError(
            f"--dedup-against {given}: {sig_path} holds {sigs.shape} signatures for "
            f"{len(header['ids'])} ids in header.json; {fix}"
        )


def _input_overrides(config: dict[str, Any], args: argparse.Namespace) -> None:
    """--input, --limit, --sample/--seed into the config's ``input`` (so the manifest records them)."""
    if args.seed is not None and args.sample is None:
        raise ConfigError("--seed picks the sample of --sample FRACTION; give --sample too")
    inp = config.get("input")
    if not isinstance(inp, dict):
        if not args.input:
            return  # the schema check names the missing section
        inp = config["input"] = {}
    if args.input:
        # relative to where the build starts, as typed; the config's paths are relative to it too
        inp["paths"] = list(args.input)
    if args.limit is not None:
        inp["limit"] = args.limit
    if args.sample is not None:
        inp["sample"] = args.sample
        inp["sample_seed"] = args.seed or 0
