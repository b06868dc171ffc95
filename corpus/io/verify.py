"""`corpus verify BUILD_DIR`: re-hash a build and check it against its manifest.

Catches a flipped byte (sha256 or size mismatch), a missing shard, an extra
file in data/, a manifest that does not follow schemas/manifest.schema.json,
a manifest path that leads outside the build, and counts that do not add up.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from corpus.io.write.shards import sha256_file


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
    """Every problem found, one message each; an empty list means the build is intact."""
    import jsonschema

    from corpus.config import load_schema

    root = Path(build_dir)
    path = root / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{path}: cannot read manifest: {exc}"]
    schema_errors = sorted(
        jsonschema.Draft202012Validator(load_schema("manifest.schema.json")).iter_errors(manifest), key=str
    )
    if schema_errors:
        err = schema_errors[0]
        where = ".".join(map(str, err.absolute_path)) or "(top level)"
        return [f"{path}: {where}: {err.message}"]
    problems = []
    for entry in manifest["shards"] + manifest["files"]:
        why = unsafe_path(entry["path"])
        if why:
            problems.append(f"{entry['path']!r}: not a plain relative path inside the build ({why})")
            continue
        f = root / entry["path"]
        if not f.is_file():
            problems.append(f"{entry['path']}: missing")
        elif f.stat().st_size != entry["bytes"]:
            problems.append(f"{entry['path']}: size {f.stat().st_size} != manifest {entry['bytes']}")
        elif sha256_file(f) != entry["sha256"]:
            problems.append(f"{entry['path']}: sha256 differs from manifest")
    listed = {e["path"] for e in manifest["shards"]}
    for f in sorted((root / "data").glob("*")) if (root / "data").is_dir() else []:
        rel = f.relative_to(root).as_posix()
        if rel not in listed:
            problems.append(f"{rel}: not in the manifest")
    counts = manifest["counts"]
    rows = sum(s["rows"] for s in manifest["shards"])
    if rows != counts["kept"]:
        problems.append(f"manifest: shards hold {rows} rows but counts.kept is {counts['kept']}")
    accounted = counts["kept"] + sum(counts["dropped"].values()) + counts["quarantined"]
    if accounted != counts["read"]:
        problems.append(f"manifest: read {counts['read']} != kept + dropped + quarantined {accounted}")
    return problems
