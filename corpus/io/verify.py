"""`corpus verify BUILD_DIR`: re-hash a build and check it against its manifest.

BUILD_DIR is a local folder or an fsspec URL (``s3://bucket/build``), read through
``corpus.io.fs.Location``.

Catches a flipped byte (sha256 or size mismatch), a missing shard, an extra
file in data/, a manifest that does not follow schemas/manifest.schema.json,
a manifest path that leads outside the build, and counts that do not add up.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from corpus.errors import BuildError
from corpus.io.fs import Location, is_url, shown


def unsafe_path(path: object) -> str | None:
    """Why ``path`` is not a plain relative path inside a build, or None if it is.

    Manifest paths are joined to the build (and to a publish target): ``..``, an absolute
    path or a backslash would read or write outside them.

    >>> unsafe_path("data/train-00000-of-00001.parquet") is None, unsafe_path("../x"), unsafe_path("/etc/x")
    (True, "a '..', '.' or empty part", 'absolute')
    """
    if not isinstance(path, str) or not path:
        return "empty"
    if "\\" in path:
        return "a backslash"
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "absolute"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "a '..', '.' or empty part"
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        return "a control character"
    return None


def verify_build(build_dir: str | Path) -> list[str]:
    """Every problem found, one message each; an empty list means the build is intact.

    ``build_dir`` is a local folder or an fsspec URL (``s3://bucket/build``): every file is read
    through ``corpus.io.fs.Location``, and a URL is named without its credentials."""
    import jsonschema

    from corpus.config import load_schema

    try:
        root = Location(build_dir)
        path = shown(root.url_of("manifest.json"))
        manifest = json.loads(root.read_bytes("manifest.json").decode("utf-8"))
    except (OSError, ValueError, BuildError) as exc:
        where = shown(f"{str(build_dir).rstrip('/')}/manifest.json") if is_url(build_dir) else None
        return [f"{where or Path(build_dir) / 'manifest.json'}: cannot read manifest: {_safe(exc)}"]
    schema_errors = sorted(
        jsonschema.Draft202012Validator(load_schema("manifest.schema.json")).iter_errors(manifest), key=str
    )
    if schema_errors:
        err = schema_errors[0]
        where = ".".join(map(str, err.absolute_path)) or "(top level)"
        return [f"{path}: {where}: {err.message}"]
    problems = []
    try:
        problems += _check_files(root, manifest)
    except OSError as exc:  # a store that fails half way: reported, not a traceback
        problems.append(f"{shown(root.url)}: cannot read: {_safe(exc)}")
    counts = manifest["counts"]
    rows = sum(s["rows"] for s in manifest["shards"])
    if rows != counts["kept"]:
        problems.append(f"manifest: shards hold {rows} rows but counts.kept is {counts['kept']}")
    skipped = sum((counts.get("skipped") or {}).values())
    accounted = counts["kept"] + sum(counts["dropped"].values()) + counts["quarantined"] + skipped
    if accounted != counts["read"]:
        problems.append(
            f"manifest: read {counts['read']} != kept + dropped + quarantined + skipped {accounted}"
        )
    return problems


def _check_files(root: Location, manifest: dict) -> list[str]:
    """Missing, resized, changed files the manifest lists, and files in data/ it does not list."""
    problems = []
    for entry in manifest["shards"] + manifest["files"]:
        why = unsafe_path(entry["path"])
        if why:
            problems.append(f"{entry['path']!r}: not a plain relative path inside the build ({why})")
            continue
        name = entry["path"]
        if not root.exists(name) or root.isdir(name):
            problems.append(f"{name}: missing")
            continue
        size = root.size(name)
        if size != entry["bytes"]:
            problems.append(f"{name}: size {size} != manifest {entry['bytes']}")
        elif root.sha256(name) != entry["sha256"]:
            problems.append(f"{name}: sha256 differs from manifest")
    listed = {e["path"] for e in manifest["shards"]}
    for rel in _data_files(root, "data", listed):
        problems.append(f"{rel}: not in the manifest")
    return problems


def _data_files(root: Location, folder: str, listed: set[str]) -> list[str]:
    """What is in ``folder`` (data/, and the language folders of a partitioned build) that
    ``listed`` does not name: a folder holding no listed shard is named, not walked."""
    out = []
    for name in root.listdir(folder):
        rel = f"{folder}/{name}"
        if rel in listed:
            continue
        if folder == "data" and any(p.startswith(rel + "/") for p in listed) and root.isdir(rel):
            out += _data_files(root, rel, listed)
        else:
            out.append(rel)
    return out


def _safe(exc: BaseException) -> str:
    """An error's text with any credentials in a URL it quotes masked."""
    return shown(str(exc))
