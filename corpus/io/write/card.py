"""The dataset card (README.md with the YAML header the Hub reads), generated from the manifest."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import yaml


def size_category(n: int) -> str:
    """The Hub's size_categories bucket.

    >>> size_category(3), size_category(5_000), size_category(2_000_000)
    ('n<1K', '1K<n<10K', '1M<n<10M')
    """
    bounds = [
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
        (100_000_000, "10M<n<100M"),
    ]
    for bound, label in bounds:
        if n < bound:
            return label
    return "n>100M"


def data_sha256(manifest: dict[str, Any]) -> str:
    """One sha256 over every shard's path, split, rows and sha256: the identity of the build's rows."""
    shards = [[s["path"], s["split"], s["rows"], s["sha256"]] for s in manifest["shards"]]
    return hashlib.sha256(json.dumps(shards, separators=(",", ":")).encode("utf-8")).hexdigest()


def render_card(manifest: dict[str, Any]) -> str:
    """README.md for the build folder and the Hub.

    The config's ``description`` carries the data's sha256: ``datasets`` caches a local folder
    under its base name and a hash of this YAML header only (the ``data_files`` globs, not the
    files), so without it a rebuilt folder, or another folder of the same name, loads stale rows.
    """
    counts = manifest["counts"]
    config = manifest["config"]
    splits = sorted({s["split"] for s in manifest["shards"]})
    langs = [k for k in manifest["languages"] if k not in ("", "und")]
    header = {
        "pretty_name": config.get("name", "corpus build"),
        "license": config.get("license", "other"),
        "language": langs,
        "size_categories": [size_category(counts["kept"])],
        "task_categories": ["text-generation"],
        "configs": [
            {
                "config_name": "default",
                "description": f"corpus build, data sha256 {data_sha256(manifest)}",
                "data_files": [{"split": s, "path": f"data/{s}-*.parquet"} for s in splits],
            }
        ],
    }
    lines = ["---", yaml.safe_dump(header, sort_keys=False, allow_unicode=True).rstrip(), "---", ""]
    lines += [f"# {header['pretty_name']}", ""]
    if config.get("description"):
        lines += [config["description"], ""]
    lines += [
        f"Built with corpus {manifest['toolkit_version']}. Every input document is accounted for:",
        "",
        "| documents | count |",
        "|---|---:|",
        f"| read | {counts['read']} |",
        f"| kept | {counts['kept']} |",
    ]
    for reason, n in counts["dropped"].items():
        lines.append(f"| dropped: {reason} | {n} |")
    lines += [f"| quarantined (unreadable) | {counts['quarantined']} |", ""]
    lines += ["## Languages", "", "| lang | documents |", "|---|---:|"]
    lines += [f"| {k or 'none'} | {v} |" for k, v in manifest["languages"].items()]
    length = manifest["length_chars"]
    lines += [
        "",
        "## Lengths (characters)",
        "",
        f"min {length['min']}, median {length['median']}, mean {length['mean']}, max {length['max']}, "
        f"total {length['total']}.",
        "",
        "## Stages",
        "",
        "| stage | counter | value |",
        "|---|---|---:|",
    ]
    for stage, stats in manifest["stages"].items():
        for key, value in stats.items():
            lines.append(f"| {stage} | {key} | {value} |")
    lines += [
        "",
        "## Shards",
        "",
        "| file | rows | bytes | sha256 |",
        "|---|---:|---:|---|",
    ]
    lines += [
        f"| {s['path']} | {s['rows']} | {s['bytes']} | `{s['sha256'][:16]}` |" for s in manifest["shards"]
    ]
    lines += [
        "",
        "## How it was built",
        "",
        f"Config (sha256 `{manifest['config_sha256'][:16]}`):",
        "",
        "```yaml",
        yaml.safe_dump(config, sort_keys=False, allow_unicode=True).rstrip(),
        "```",
        "",
    ]
    return "\n".join(lines)
