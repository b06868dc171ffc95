"""The build manifest: what went in, what came out, and how; machine-readable and deterministic.

No timestamps or machine paths: building the same inputs with the same config
gives a byte-identical manifest.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

DEPENDENCIES = (
    "ftfy",
    "trafilatura",
    "langdetect",
    "langdetect-rs",
    "datasets",
    "pyarrow",
    "pyyaml",
    "jsonschema",
    "tqdm",
)


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(config).encode("utf-8")).hexdigest()


def dependency_versions(stage_names: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
    """Versions of the libraries a build's output depends on, and of the packages its plugin
    stages come from (``stage_names``: the config's stages), so a build records all it ran."""
    from corpus import stages

    out = {}
    for name in DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    for stage in stage_names:
        where = stages.origin(stage)
        if where:  # "corpus-plugin-example 0.1"
            package, _, version = where.rpartition(" ")
            out[package or where] = version
    return out


def write_json(path: Path, obj: Any) -> None:
    path.write_bytes(manifest_bytes(obj))


def manifest_bytes(obj: Any) -> bytes:
    """The bytes ``write_json`` writes, for a folder that is not a local path."""
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
